// SIMD dot products of packed quantized rows with float32 vectors (the decode case of
// quantized_matmul), compiled once per Highway target and chosen at run time.
//
// A vector of L uint32 words is loaded once; masking it gives, per step t, code t of every word
// in the L lanes, left in place, which meets x read in the same permuted (and pre-scaled) order.
// A vector may span several groups (16 words of 4-bit codes are two groups of 64): its lanes are
// summed over the steps, then multiplied by each lane's own group scale, picked from a vector of
// the row's scales by a lane permutation. Rows go together (kRows) so that each x vector loaded
// serves them all, and the rows after them are prefetched meanwhile (one core alone cannot keep
// enough cache misses in flight to stream from L3 or memory at the decode rate); the bias part
// is added at the end from the groups' sums of x.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/quantized_simd.cpp"
#include <hwy/cache_control.h>
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <cstring>

#include "backend/cpu/quantized.h"
#include "backend/cpu/simd/elementwise-inl.h"

HWY_BEFORE_NAMESPACE();
namespace mlx::core::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Rows computed together: four where there are 32 vector registers (their accumulators, masks,
// scales and words all fit; each x vector loaded serves four rows, and four rows give the
// multiply-adds enough independent chains to fill both pipes), two on x86 targets with 16 and
// for 2-bit codes (whose 15 masks would not fit beside four rows; measured 1.35x slower).
template <int kBits>
constexpr size_t RowsTogether() {
#if HWY_ARCH_X86 && HWY_TARGET > HWY_AVX3
  return 2;
#else
  return kBits == 2 ? 2 : 4;
#endif
}

// How the vectors of a row meet its groups.
struct QDotPlan {
  size_t row_words;
  size_t groups;  // per row
  size_t nvec;    // vectors per row
  size_t wpg;     // words per group
};

// Adds code t of every word of the kR rows' vectors v, times x (kPerWord vectors at cx), into
// acc: two accumulators per row, by step parity.
template <int kBits, size_t kR, class DF, class VU>
HWY_INLINE void QDotAccumulate(DF df, const VU* masks, const VU* v, const float* cx,
                               hn::Vec<DF> (*acc)[2]) {
  constexpr size_t kPerWord = 32 / kBits;
  const hn::RebindToSigned<DF> di;
  const size_t lanes = hn::Lanes(df);
  for (size_t t = 0; t < kPerWord; ++t) {
    const auto xv = hn::LoadU(df, cx + t * lanes);
    for (size_t i = 0; i < kR; ++i) {
      // The top code is shifted down: in place it would be negative as int32.
      const auto bits =
          t + 1 < kPerWord ? hn::And(v[i], masks[t]) : hn::ShiftRight<kBits*(kPerWord - 1)>(v[i]);
      acc[i][t % 2] = hn::MulAdd(hn::ConvertTo(df, hn::BitCast(di, bits)), xv, acc[i][t % 2]);
    }
  }
}

// out[i] = row i's dot product with x, for kR consecutive rows (w, scales and biases at the
// first) and one row of x (its group sums at xs); with `prefetch`, the kR rows after them are
// fetched meanwhile. kSpan: a vector spans lanes / wpg groups (else a group spans wpg / lanes
// vectors).
template <int kBits, size_t kCap, size_t kR, bool kSpan, class VU>
HWY_INLINE void QDotRows(const VU* masks, const QDotPlan& p, const uint32_t* w, const float* scales,
                         const float* biases, const float* x, const float* xs, bool prefetch,
                         float* out) {
  constexpr size_t kPerWord = 32 / kBits;
  const hn::CappedTag<float, kCap> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::RebindToUnsigned<decltype(df)> du;
  using VF = hn::Vec<decltype(df)>;
  const size_t lanes = hn::Lanes(df);
  if (prefetch) {
    // The next rows' scales and biases, a cache line at a time (their words: below).
    for (size_t i = 0; i < kR; ++i) {
      for (size_t g = 0; g < p.groups; g += 64 / sizeof(float)) {
        hwy::Prefetch(scales + (kR + i) * p.groups + g);
        if (biases) hwy::Prefetch(biases + (kR + i) * p.groups + g);
      }
    }
  }
  auto load = [&](size_t c, VU* v) {
    for (size_t i = 0; i < kR; ++i) v[i] = hn::LoadU(du, w + i * p.row_words + c * lanes);
    if (prefetch) {
      for (size_t i = 0; i < kR; ++i) hwy::Prefetch(w + (kR + i) * p.row_words + c * lanes);
    }
  };
  VF total[kR];
  for (auto& t : total) t = hn::Zero(df);
  if constexpr (kSpan) {
    // A block of wpg vectors covers `lanes` groups, whose scales are loaded once; lane j of the
    // block's vector b belongs to its group b * lanes / wpg + j / wpg.
    const size_t gpv = lanes / p.wpg;
    int wpg_log2 = 0;
    while ((size_t(1) << wpg_log2) < p.wpg) ++wpg_log2;
    const auto first_idx = hn::ShiftRightSame(hn::Iota(di, 0), wpg_log2);
    const auto step = hn::Set(di, static_cast<int32_t>(gpv));
    for (size_t c0 = 0, g0 = 0; c0 < p.nvec; c0 += p.wpg, g0 += lanes) {
      VF sv[kR];
      const size_t n = std::min(lanes, p.groups - g0);
      for (size_t i = 0; i < kR; ++i) {
        const float* s = scales + i * p.groups + g0;
        if (n == lanes) {
          sv[i] = hn::LoadU(df, s);
        } else {
          // The row's last scales: never read past them (the buffer may end there).
          HWY_ALIGN float buf[kCap] = {};
          std::memcpy(buf, s, n * sizeof(float));
          sv[i] = hn::Load(df, buf);
        }
      }
      auto idx = first_idx;
      const size_t c1 = std::min(p.nvec, c0 + p.wpg);
      for (size_t c = c0; c < c1; ++c) {
        VU v[kR];
        load(c, v);
        VF acc[kR][2];
        for (auto& a : acc) a[0] = a[1] = hn::Zero(df);
        QDotAccumulate<kBits, kR>(df, masks, v, x + c * lanes * kPerWord, acc);
        for (size_t i = 0; i < kR; ++i) {
          const VF scale = hn::TableLookupLanes(sv[i], hn::IndicesFromVec(df, idx));
          total[i] = hn::MulAdd(scale, hn::Add(acc[i][0], acc[i][1]), total[i]);
        }
        idx = hn::Add(idx, step);
      }
    }
  } else {
    const size_t vpg = p.wpg / lanes;
    for (size_t g = 0, c = 0; g < p.groups; ++g) {
      VF acc[kR][2];
      for (auto& a : acc) a[0] = a[1] = hn::Zero(df);
      for (size_t c1 = c + vpg; c < c1; ++c) {
        VU v[kR];
        load(c, v);
        QDotAccumulate<kBits, kR>(df, masks, v, x + c * lanes * kPerWord, acc);
      }
      for (size_t i = 0; i < kR; ++i) {
        const VF scale = hn::Set(df, scales[i * p.groups + g]);
        total[i] = hn::MulAdd(scale, hn::Add(acc[i][0], acc[i][1]), total[i]);
      }
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

template <int kBits, size_t kCap, bool kSpan>
void QDotSpan(const uint32_t* w, size_t row_words, const float* scales, const float* biases,
              size_t rows, const float* xp, const float* xsum, size_t nx, size_t group_size,
              float* out, size_t ldo) {
  constexpr size_t kPerWord = 32 / kBits;
  const hn::CappedTag<float, kCap> df;
  const hn::RebindToUnsigned<decltype(df)> du;
  QDotPlan p;
  p.row_words = row_words;
  p.wpg = group_size * kBits / 32;
  p.groups = row_words / p.wpg;
  p.nvec = row_words / hn::Lanes(df);
  // Code t of each word, left in place (code << bits * t): x comes scaled by 2^(-bits * t).
  hn::Vec<decltype(du)> masks[kPerWord];
  for (size_t t = 0; t < kPerWord; ++t) {
    masks[t] = hn::Set(du, ((1u << kBits) - 1) << (kBits * t));
  }
  const size_t k = row_words * kPerWord;
  constexpr size_t kRows = RowsTogether<kBits>();
  size_t r = 0;
  for (; r + kRows <= rows; r += kRows) {
    for (size_t m = 0; m < nx; ++m) {
      float o[kRows];
      QDotRows<kBits, kCap, kRows, kSpan>(masks, p, w + r * row_words, scales + r * p.groups,
                                          biases ? biases + r * p.groups : nullptr, xp + m * k,
                                          xsum + m * p.groups, m == 0 && r + 2 * kRows <= rows, o);
      for (size_t i = 0; i < kRows; ++i) out[m * ldo + r + i] = o[i];
    }
  }
  for (; r < rows; ++r) {
    for (size_t m = 0; m < nx; ++m) {
      QDotRows<kBits, kCap, 1, kSpan>(masks, p, w + r * row_words, scales + r * p.groups,
                                      biases ? biases + r * p.groups : nullptr, xp + m * k,
                                      xsum + m * p.groups, false, out + m * ldo + r);
    }
  }
}

template <int kBits, size_t kCap>
void QDot(const uint32_t* w, size_t row_words, const float* scales, const float* biases,
          size_t rows, const float* xp, const float* xsum, size_t nx, size_t group_size, float* out,
          size_t ldo) {
  const hn::CappedTag<float, kCap> df;
  auto fn = group_size * kBits / 32 < hn::Lanes(df) ? QDotSpan<kBits, kCap, true>
                                                    : QDotSpan<kBits, kCap, false>;
  fn(w, row_words, scales, biases, rows, xp, xsum, nx, group_size, out, ldo);
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
