// SIMD kernels of the float reductions (sum, prod, max, min of float32 and float64; float16 and
// bfloat16 widened to float32 lanes), compiled once per Highway target and chosen at run time.
// Four independent accumulator vectors hide the latency of the adds, and contiguous runs are
// reduced in a cascade of blocks, so that no lane adds more than a few dozen values in one
// sequence: float32 sums stay accurate (2^24 ones sum to exactly 2^24) at memory speed.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/reduce_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>

#include "backend/cpu/reduce.h"
#include "backend/cpu/simd/elementwise-inl.h"

HWY_BEFORE_NAMESPACE();
namespace mlx::core::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// How each input type is stored and widened to its accumulator's lanes.
template <typename In>
struct FormatOf {
  using type = NativeFormat<In>;
};
template <>
struct FormatOf<bfloat16_t> {
  using type = BF16Format;
};
#if MLX_SIMD_F16
template <>
struct FormatOf<float16_t> {
  using type = F16Format;
};
#endif

template <typename In, class D>
HWY_INLINE hn::Vec<D> LoadLanes(D d, const In* p) {
  using Fmt = typename FormatOf<In>::type;
  return Fmt::Load(d, reinterpret_cast<const typename Fmt::Storage*>(p));
}

template <ReduceOp op, class V>
HWY_INLINE V Apply(V acc, V x) {
  if constexpr (op == ReduceOp::Sum) {
    return hn::Add(acc, x);
  } else if constexpr (op == ReduceOp::Prod) {
    return hn::Mul(acc, x);
  } else if constexpr (op == ReduceOp::Max) {
    return hn::IfThenElse(hn::Or(hn::Lt(acc, x), hn::IsNaN(x)), x, acc);
  } else {
    return hn::IfThenElse(hn::Or(hn::Lt(x, acc), hn::IsNaN(x)), x, acc);
  }
}

// Values per block (a multiple of 4 vectors, so each lane adds 2048 / (4 * lanes) of them), and
// blocks per second-level accumulator: a flat three-level cascade. Error bounds like pairwise
// summation's for the sizes that matter, at the speed of a plain loop (recursing over blocks
// measured a third slower).
constexpr size_t kBlock = 2048;
constexpr size_t kBlocksPerLevel = 64;

// The lane-wise reduction of p[0, n), n a multiple of the lane count.
template <ReduceOp op, class D, typename In>
HWY_INLINE hn::Vec<D> RunLanes(D d, const In* p, size_t n) {
  const size_t N = hn::Lanes(d);
  const auto id = hn::Set(d, reduce_identity<op, hn::TFromD<D>>());
  auto total = id;
  auto level = id;
  size_t blocks = 0;
  for (size_t b = 0; b < n; b += kBlock) {
    const In* q = p + b;
    const size_t m = std::min(kBlock, n - b);
    auto a0 = id, a1 = id, a2 = id, a3 = id;
    size_t i = 0;
    for (; i + 4 * N <= m; i += 4 * N) {
      a0 = Apply<op>(a0, LoadLanes(d, q + i));
      a1 = Apply<op>(a1, LoadLanes(d, q + i + N));
      a2 = Apply<op>(a2, LoadLanes(d, q + i + 2 * N));
      a3 = Apply<op>(a3, LoadLanes(d, q + i + 3 * N));
    }
    for (; i < m; i += N) {
      a0 = Apply<op>(a0, LoadLanes(d, q + i));
    }
    level = Apply<op>(level, Apply<op>(Apply<op>(a0, a1), Apply<op>(a2, a3)));
    if (++blocks == kBlocksPerLevel) {
      total = Apply<op>(total, level);
      level = id;
      blocks = 0;
    }
  }
  return Apply<op>(total, level);
}

template <ReduceOp op, typename In, typename A>
A Run(const In* p, size_t n) {
  const hn::ScalableTag<A> d;
  const size_t N = hn::Lanes(d);
  const size_t nv = n / N * N;
  A r = reduce_identity<op, A>();
  if (nv > 0) {
    HWY_ALIGN A lanes[hn::MaxLanes(d)];
    hn::Store(RunLanes<op>(d, p, nv), d, lanes);
    for (size_t k = 0; k < N; ++k) {
      r = reduce_apply<op>(r, lanes[k]);
    }
  }
  for (size_t i = nv; i < n; ++i) {
    r = reduce_apply<op>(r, static_cast<A>(p[i]));
  }
  return r;
}

template <ReduceOp op, typename In, typename A>
void Runs(const In* p, size_t n, int64_t step, size_t count, A* acc) {
  for (size_t i = 0; i < count; ++i) {
    acc[i] = reduce_apply<op>(acc[i], Run<op, In, A>(p + static_cast<int64_t>(i) * step, n));
  }
}

// Rows are taken four at a time, so that each accumulator vector is loaded and stored once per
// four rows read.
template <ReduceOp op, typename In, typename A>
void Rows(const In* p, int64_t stride, size_t rows, A* acc, size_t n) {
  const hn::ScalableTag<A> d;
  const size_t N = hn::Lanes(d);
  const size_t nv = n / N * N;
  size_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const In* q0 = p + static_cast<int64_t>(r) * stride;
    const In* q1 = q0 + stride;
    const In* q2 = q1 + stride;
    const In* q3 = q2 + stride;
    for (size_t j = 0; j < nv; j += N) {
      auto a = hn::LoadU(d, acc + j);
      a = Apply<op>(a, LoadLanes(d, q0 + j));
      a = Apply<op>(a, LoadLanes(d, q1 + j));
      a = Apply<op>(a, LoadLanes(d, q2 + j));
      a = Apply<op>(a, LoadLanes(d, q3 + j));
      hn::StoreU(a, d, acc + j);
    }
    for (size_t j = nv; j < n; ++j) {
      A a = reduce_apply<op>(acc[j], static_cast<A>(q0[j]));
      a = reduce_apply<op>(a, static_cast<A>(q1[j]));
      a = reduce_apply<op>(a, static_cast<A>(q2[j]));
      acc[j] = reduce_apply<op>(a, static_cast<A>(q3[j]));
    }
  }
  for (; r < rows; ++r) {
    const In* q = p + static_cast<int64_t>(r) * stride;
    for (size_t j = 0; j < nv; j += N) {
      hn::StoreU(Apply<op>(hn::LoadU(d, acc + j), LoadLanes(d, q + j)), d, acc + j);
    }
    for (size_t j = nv; j < n; ++j) {
      acc[j] = reduce_apply<op>(acc[j], static_cast<A>(q[j]));
    }
  }
}

// float16 lanes need exact conversions (F16C); elsewhere float16 takes the scalar kernels.
bool HasF16() { return MLX_SIMD_F16; }

#define MLX_REDUCE_SIMD(OP, NAME, IN, A)                                            \
  A Run##OP##NAME(const IN* p, size_t n) { return Run<ReduceOp::OP, IN, A>(p, n); } \
  void Runs##OP##NAME(const IN* p, size_t n, int64_t step, size_t count, A* acc) {  \
    Runs<ReduceOp::OP, IN, A>(p, n, step, count, acc);                              \
  }                                                                                 \
  void Rows##OP##NAME(const IN* p, int64_t stride, size_t rows, A* acc, size_t n) { \
    Rows<ReduceOp::OP, IN, A>(p, stride, rows, acc, n);                             \
  }
#define MLX_REDUCE_SIMD_OPS(NAME, IN, A) \
  MLX_REDUCE_SIMD(Sum, NAME, IN, A)      \
  MLX_REDUCE_SIMD(Prod, NAME, IN, A)     \
  MLX_REDUCE_SIMD(Max, NAME, IN, A)      \
  MLX_REDUCE_SIMD(Min, NAME, IN, A)

MLX_REDUCE_SIMD_OPS(F32, float, float)
MLX_REDUCE_SIMD_OPS(F64, double, double)
MLX_REDUCE_SIMD_OPS(BF16, bfloat16_t, float)
#if MLX_SIMD_F16
MLX_REDUCE_SIMD_OPS(F16, float16_t, float)
#else
// Never called (HasF16 says so); they give the dispatch table an entry on this target.
#define MLX_REDUCE_NO_SIMD(OP)                                             \
  float Run##OP##F16(const float16_t*, size_t) { return 0.0f; }            \
  void Runs##OP##F16(const float16_t*, size_t, int64_t, size_t, float*) {} \
  void Rows##OP##F16(const float16_t*, int64_t, size_t, float*, size_t) {}
MLX_REDUCE_NO_SIMD(Sum)
MLX_REDUCE_NO_SIMD(Prod)
MLX_REDUCE_NO_SIMD(Max)
MLX_REDUCE_NO_SIMD(Min)
#undef MLX_REDUCE_NO_SIMD
#endif

#undef MLX_REDUCE_SIMD_OPS
#undef MLX_REDUCE_SIMD

}  // namespace mlx::core::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace mlx::core::cpu {

#define MLX_REDUCE_EXPORT(NAME) \
  HWY_EXPORT(RunSum##NAME);     \
  HWY_EXPORT(RunsSum##NAME);    \
  HWY_EXPORT(RowsSum##NAME);    \
  HWY_EXPORT(RunProd##NAME);    \
  HWY_EXPORT(RunsProd##NAME);   \
  HWY_EXPORT(RowsProd##NAME);   \
  HWY_EXPORT(RunMax##NAME);     \
  HWY_EXPORT(RunsMax##NAME);    \
  HWY_EXPORT(RowsMax##NAME);    \
  HWY_EXPORT(RunMin##NAME);     \
  HWY_EXPORT(RunsMin##NAME);    \
  HWY_EXPORT(RowsMin##NAME);

MLX_REDUCE_EXPORT(F32)
MLX_REDUCE_EXPORT(F64)
MLX_REDUCE_EXPORT(F16)
MLX_REDUCE_EXPORT(BF16)
HWY_EXPORT(HasF16);

#define MLX_REDUCE_CASE(OP, NAME, IN, A)                                                     \
  case ReduceOp::OP:                                                                         \
    return {[](const IN* p, size_t n) { return HWY_DYNAMIC_DISPATCH(Run##OP##NAME)(p, n); }, \
            [](const IN* p, size_t n, int64_t step, size_t count, A* acc) {                  \
              HWY_DYNAMIC_DISPATCH(Runs##OP##NAME)(p, n, step, count, acc);                  \
            },                                                                               \
            [](const IN* p, int64_t stride, size_t rows, A* acc, size_t n) {                 \
              HWY_DYNAMIC_DISPATCH(Rows##OP##NAME)(p, stride, rows, acc, n);                 \
            }};
#define MLX_REDUCE_TABLE(NAME, IN, A)                                       \
  template <>                                                               \
  SimdReduce<IN> simd_reduce<IN>(ReduceOp op) {                             \
    if (std::is_same_v<IN, float16_t> && !HWY_DYNAMIC_DISPATCH(HasF16)()) { \
      return {};                                                            \
    }                                                                       \
    switch (op) {                                                           \
      MLX_REDUCE_CASE(Sum, NAME, IN, A)                                     \
      MLX_REDUCE_CASE(Prod, NAME, IN, A)                                    \
      MLX_REDUCE_CASE(Max, NAME, IN, A)                                     \
      MLX_REDUCE_CASE(Min, NAME, IN, A)                                     \
      default:                                                              \
        return {};                                                          \
    }                                                                       \
  }

MLX_REDUCE_TABLE(F32, float, float)
MLX_REDUCE_TABLE(F64, double, double)
MLX_REDUCE_TABLE(F16, float16_t, float)
MLX_REDUCE_TABLE(BF16, bfloat16_t, float)

#undef MLX_REDUCE_TABLE
#undef MLX_REDUCE_CASE
#undef MLX_REDUCE_EXPORT

}  // namespace mlx::core::cpu
#endif  // HWY_ONCE
