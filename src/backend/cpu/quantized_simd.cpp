// SIMD dot products of packed quantized rows with float32 vectors (the decode case of
// quantized_matmul), compiled once per Highway target and chosen at run time.
//
// A vector of L uint32 words is loaded once; shifting it right by `bits` and masking gives, per
// step t, code t of every word in the L lanes, which meets x read in the same permuted order.
// Each step accumulates into its own register, so the FMAs of a group do not wait for each
// other; a group's sum is scaled once at its end (the bias part is added by the caller).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/quantized_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>

#include "backend/cpu/quantized.h"
#include "backend/cpu/simd/elementwise-inl.h"

HWY_BEFORE_NAMESPACE();
namespace mlx::core::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <int kBits, size_t kCap>
void QDot(const uint32_t* w, size_t row_words, const float* scales, size_t rows, const float* xp,
          size_t nx, size_t group_size, float* out, size_t ldo) {
  constexpr size_t kPerWord = 32 / kBits;
  const hn::CappedTag<float, kCap> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::RebindToUnsigned<decltype(df)> du;
  using VF = hn::Vec<decltype(df)>;
  const size_t lanes = hn::Lanes(df);
  const size_t k = row_words * kPerWord;
  const size_t groups = k / group_size;
  const size_t words_per_group = group_size * kBits / 32;
  const auto mask = hn::Set(du, (1u << kBits) - 1);
  for (size_t r = 0; r < rows; ++r) {
    const uint32_t* row = w + r * row_words;
    const float* row_scales = scales + r * groups;
    for (size_t m = 0; m < nx; ++m) {
      const float* x = xp + m * k;
      VF total = hn::Zero(df);
      for (size_t g = 0; g < groups; ++g) {
        VF acc[kPerWord];
        for (auto& a : acc) a = hn::Zero(df);
        const uint32_t* gw = row + g * words_per_group;
        const float* gx = x + g * group_size;
        for (size_t c = 0; c < words_per_group; c += lanes) {
          auto v = hn::LoadU(du, gw + c);
          const float* cx = gx + c * kPerWord;
          for (size_t t = 0; t < kPerWord; ++t) {
            auto code = hn::ConvertTo(df, hn::BitCast(di, hn::And(v, mask)));
            acc[t] = hn::MulAdd(code, hn::LoadU(df, cx + t * lanes), acc[t]);
            v = hn::ShiftRight<kBits>(v);
          }
        }
        for (size_t t = 1; t < kPerWord; ++t) acc[0] = hn::Add(acc[0], acc[t]);
        total = hn::MulAdd(hn::Set(df, row_scales[g]), acc[0], total);
      }
      out[m * ldo + r] = hn::GetLane(hn::SumOfLanes(df, total));
    }
  }
}

QDotKernel QDotSimdKernel(int bits, int group_size) {
#if MLX_SIMD_NATIVE
  size_t words_per_group = static_cast<size_t>(group_size) * bits / 32;
  auto pick = [&](auto cap) -> QDotKernel {
    constexpr size_t kCap = decltype(cap)::value;
    const hn::CappedTag<float, kCap> df;
    switch (bits) {
      case 2:
        return {QDot<2, kCap>, hn::Lanes(df)};
      case 4:
        return {QDot<4, kCap>, hn::Lanes(df)};
      case 8:
        return {QDot<8, kCap>, hn::Lanes(df)};
      default:
        return {};
    }
  };
  // A vector of words must lie within one group (whose scale it shares).
  if (words_per_group >= 8) {
    return pick(std::integral_constant<size_t, 8>{});
  }
  if (words_per_group >= 4) {
    return pick(std::integral_constant<size_t, 4>{});
  }
#endif
  return {};
}

}  // namespace mlx::core::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace mlx::core::cpu {

HWY_EXPORT(QDotSimdKernel);

QDotKernel qdot_simd_kernel(int bits, int group_size) {
  return HWY_DYNAMIC_DISPATCH(QDotSimdKernel)(bits, group_size);
}

}  // namespace mlx::core::cpu
#endif  // HWY_ONCE
