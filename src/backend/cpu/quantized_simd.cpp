// SIMD dot products of packed quantized rows with float32 vectors (the decode case of
// quantized_matmul), compiled once per Highway target and chosen at run time.
//
// A vector of L uint32 words is loaded once; masking it gives, per step t, code t of every word
// in the L lanes, left in place, which meets x read in the same permuted (and pre-scaled) order.
// A vector may span several groups (16 words of 4-bit codes are two groups of 64): its lanes are
// summed over the steps, then multiplied by each lane's own group scale, picked from a vector of
// the row's scales by a lane permutation. Two rows go together so that each x vector loaded
// serves both; the bias part is added at the end from the groups' sums of x.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/quantized_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include <algorithm>
#include <cstring>

#include "backend/cpu/quantized.h"
#include "backend/cpu/simd/elementwise-inl.h"

HWY_BEFORE_NAMESPACE();
namespace mlx::core::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// How the vectors of a row meet its groups.
struct QDotPlan {
  size_t row_words;
  size_t groups;  // per row
  size_t nvec;    // vectors per row
  size_t block;   // consecutive vectors that share one load of scales
  size_t gpv;     // groups per vector; 0 when a group spans `block` vectors
  int wpg_log2;   // log2 of the words per group
};

// out[i] = row i's dot product with x, for kR consecutive rows (w, scales and biases at the
// first) and one row of x (its group sums at xs).
template <int kBits, size_t kCap, size_t kR, class VU>
HWY_INLINE void QDotRows(const VU* masks, const QDotPlan& p, const uint32_t* w, const float* scales,
                         const float* biases, const float* x, const float* xs, bool prefetch,
                         float* out) {
  constexpr size_t kPerWord = 32 / kBits;
  const hn::CappedTag<float, kCap> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::RebindToUnsigned<decltype(df)> du;
  using VF = hn::Vec<decltype(df)>;
  const size_t lanes = hn::Lanes(df);
  // Lane j of the block's vector i belongs to the block's group i * gpv + j / wpg.
  const auto first_idx = p.gpv ? hn::ShiftRightSame(hn::Iota(di, 0), p.wpg_log2) : hn::Zero(di);
  const auto step = hn::Set(di, static_cast<int32_t>(p.gpv));
  VF total[kR];
  for (auto& t : total) t = hn::Zero(df);
  for (size_t c0 = 0; c0 < p.nvec; c0 += p.block) {
    VF sv[kR];
    for (size_t i = 0; i < kR; ++i) {
      const float* s = scales + i * p.groups;
      if (!p.gpv) {
        sv[i] = hn::Set(df, s[c0 / p.block]);
        continue;
      }
      const size_t g0 = c0 * p.gpv;
      const size_t n = std::min(lanes, p.groups - g0);
      if (n == lanes) {
        sv[i] = hn::LoadU(df, s + g0);
      } else {
        // The row's last scales: never read past them (the buffer may end there).
        HWY_ALIGN float buf[kCap] = {};
        std::memcpy(buf, s + g0, n * sizeof(float));
        sv[i] = hn::Load(df, buf);
      }
    }
    if (prefetch) {
      for (size_t i = 0; i < kR; ++i) {
        const size_t g = c0 * p.gpv + (p.gpv ? 0 : c0 / p.block);
        hwy::Prefetch(scales + (kR + i) * p.groups + g);
        if (biases) hwy::Prefetch(biases + (kR + i) * p.groups + g);
      }
    }
    auto idx = first_idx;
    const size_t c1 = std::min(p.nvec, c0 + p.block);
    for (size_t c = c0; c < c1; ++c) {
      const float* cx = x + c * lanes * kPerWord;
      VU v[kR];
      for (size_t i = 0; i < kR; ++i) v[i] = hn::LoadU(du, w + i * p.row_words + c * lanes);
      if (prefetch) {
        for (size_t i = 0; i < kR; ++i) {
          hwy::Prefetch(w + (kR + i) * p.row_words + c * lanes);
        }
      }
      VF acc[kR][2];
      for (size_t t = 0; t < kPerWord; ++t) {
        const VF xv = hn::LoadU(df, cx + t * lanes);
        for (size_t i = 0; i < kR; ++i) {
          // The top code is shifted down: in place it would be negative as int32.
          const auto bits = t + 1 < kPerWord ? hn::And(v[i], masks[t])
                                             : hn::ShiftRight<kBits*(kPerWord - 1)>(v[i]);
          const VF code = hn::ConvertTo(df, hn::BitCast(di, bits));
          acc[i][t % 2] = t < 2 ? hn::Mul(code, xv) : hn::MulAdd(code, xv, acc[i][t % 2]);
        }
      }
      for (size_t i = 0; i < kR; ++i) {
        const VF scale = p.gpv ? hn::TableLookupLanes(sv[i], hn::IndicesFromVec(df, idx)) : sv[i];
        total[i] = hn::MulAdd(scale, hn::Add(acc[i][0], acc[i][1]), total[i]);
      }
      idx = hn::Add(idx, step);
    }
  }
  for (size_t i = 0; i < kR; ++i) {
    float sum = hn::GetLane(hn::SumOfLanes(df, total[i]));
    if (biases) {
      // The biases' part: sum over groups of bias * (the group's sum of x).
      const float* b = biases + i * p.groups;
      float bsum = 0.0f;
      size_t g = 0;
      if (p.groups >= lanes) {
        VF bacc = hn::Zero(df);
        for (; g + lanes <= p.groups; g += lanes) {
          bacc = hn::MulAdd(hn::LoadU(df, b + g), hn::LoadU(df, xs + g), bacc);
        }
        bsum = hn::GetLane(hn::SumOfLanes(df, bacc));
      }
      for (; g < p.groups; ++g) bsum += b[g] * xs[g];
      sum += bsum;
    }
    out[i] = sum;
  }
}

template <int kBits, size_t kCap>
void QDot(const uint32_t* w, size_t row_words, const float* scales, const float* biases,
          size_t rows, const float* xp, const float* xsum, size_t nx, size_t group_size, float* out,
          size_t ldo) {
  constexpr size_t kPerWord = 32 / kBits;
  const hn::CappedTag<float, kCap> df;
  const hn::RebindToUnsigned<decltype(df)> du;
  const size_t lanes = hn::Lanes(df);
  const size_t wpg = group_size * kBits / 32;
  QDotPlan p;
  p.row_words = row_words;
  p.groups = row_words / wpg;
  p.nvec = row_words / lanes;
  p.block = wpg >= lanes ? wpg / lanes : wpg;
  p.gpv = wpg >= lanes ? 0 : lanes / wpg;
  p.wpg_log2 = 0;
  while ((size_t(1) << p.wpg_log2) < wpg) ++p.wpg_log2;
  // Code t of each word, left in place (code << bits * t): x comes scaled by 2^(-bits * t).
  hn::Vec<decltype(du)> masks[kPerWord];
  for (size_t t = 0; t < kPerWord; ++t) {
    masks[t] = hn::Set(du, ((1u << kBits) - 1) << (kBits * t));
  }
  const size_t k = row_words * kPerWord;
  size_t r = 0;
  for (; r + 2 <= rows; r += 2) {
    for (size_t m = 0; m < nx; ++m) {
      float o[2];
      QDotRows<kBits, kCap, 2>(masks, p, w + r * row_words, scales + r * p.groups,
                               biases ? biases + r * p.groups : nullptr, xp + m * k,
                               xsum + m * p.groups, m == 0 && r + 4 <= rows, o);
      out[m * ldo + r] = o[0];
      out[m * ldo + r + 1] = o[1];
    }
  }
  for (; r < rows; ++r) {
    for (size_t m = 0; m < nx; ++m) {
      QDotRows<kBits, kCap, 1>(masks, p, w + r * row_words, scales + r * p.groups,
                               biases ? biases + r * p.groups : nullptr, xp + m * k,
                               xsum + m * p.groups, false, out + m * ldo + r);
    }
  }
}

QDotKernel QDotSimdKernel(int bits, size_t row_words) {
#if MLX_SIMD_NATIVE
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
  // The widest vector that tiles a row.
  if (row_words % hn::Lanes(hn::CappedTag<float, 16>()) == 0) {
    return pick(std::integral_constant<size_t, 16>{});
  }
  if (row_words % hn::Lanes(hn::CappedTag<float, 8>()) == 0) {
    return pick(std::integral_constant<size_t, 8>{});
  }
  if (row_words % hn::Lanes(hn::CappedTag<float, 4>()) == 0) {
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

QDotKernel qdot_simd_kernel(int bits, size_t row_words) {
  return HWY_DYNAMIC_DISPATCH(QDotSimdKernel)(bits, row_words);
}

}  // namespace mlx::core::cpu
#endif  // HWY_ONCE
