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
void QDot(const uint32_t* w, size_t row_words, const float* scales, const float* biases,
          size_t rows, const float* xp, const float* xsum, size_t nx, size_t group_size, float* out,
          size_t ldo) {
  constexpr size_t kPerWord = 32 / kBits;
  constexpr size_t kAcc = kPerWord < 4 ? kPerWord : 4;
  const hn::CappedTag<float, kCap> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::RebindToUnsigned<decltype(df)> du;
  using VF = hn::Vec<decltype(df)>;
  using VU = hn::Vec<decltype(du)>;
  const size_t lanes = hn::Lanes(df);
  const size_t k = row_words * kPerWord;
  const size_t groups = k / group_size;
  const size_t words_per_group = group_size * kBits / 32;
  // Code t of each word, left in place (code << bits * t): x comes scaled by 2^(-bits * t), so
  // no shift is needed, except for the top code, whose shifted value would be negative as int32.
  VU masks[kPerWord];
  for (size_t t = 0; t < kPerWord; ++t) {
    masks[t] = hn::Set(du, ((1u << kBits) - 1) << (kBits * t));
  }
  for (size_t r = 0; r < rows; ++r) {
    const uint32_t* row = w + r * row_words;
    const float* row_scales = scales + r * groups;
    for (size_t m = 0; m < nx; ++m) {
      const float* x = xp + m * k;
      VF total = hn::Zero(df);
      for (size_t g = 0; g < groups; ++g) {
        VF acc[kAcc];
        for (auto& a : acc) a = hn::Zero(df);
        const uint32_t* gw = row + g * words_per_group;
        const float* gx = x + g * group_size;
        for (size_t c = 0; c < words_per_group; c += lanes) {
          const auto v = hn::LoadU(du, gw + c);
          const float* cx = gx + c * kPerWord;
          for (size_t t = 0; t + 1 < kPerWord; ++t) {
            auto code = hn::ConvertTo(df, hn::BitCast(di, hn::And(v, masks[t])));
            acc[t % kAcc] = hn::MulAdd(code, hn::LoadU(df, cx + t * lanes), acc[t % kAcc]);
          }
          constexpr size_t kTop = kPerWord - 1;
          auto top = hn::ConvertTo(df, hn::BitCast(di, hn::ShiftRight<kBits * kTop>(v)));
          acc[kTop % kAcc] = hn::MulAdd(top, hn::LoadU(df, cx + kTop * lanes), acc[kTop % kAcc]);
        }
        for (size_t t = 1; t < kAcc; ++t) acc[0] = hn::Add(acc[0], acc[t]);
        total = hn::MulAdd(hn::Set(df, row_scales[g]), acc[0], total);
      }
      float sum = hn::GetLane(hn::SumOfLanes(df, total));
      if (biases) {
        // The biases' part: sum over groups of bias * (the group's sum of x).
        const float* b = biases + r * groups;
        const float* xs = xsum + m * groups;
        float bsum = 0.0f;
        size_t g = 0;
        if (groups >= lanes) {
          VF bacc = hn::Zero(df);
          for (; g + lanes <= groups; g += lanes) {
            bacc = hn::MulAdd(hn::LoadU(df, b + g), hn::LoadU(df, xs + g), bacc);
          }
          bsum = hn::GetLane(hn::SumOfLanes(df, bacc));
        }
        for (; g < groups; ++g) bsum += b[g] * xs[g];
        sum += bsum;
      }
      out[m * ldo + r] = sum;
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
