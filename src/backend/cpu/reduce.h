// Internal: what the CPU reduction kernels share (reduce.cpp, reduce_simd.cpp): the meaning of
// each op on one accumulator value, and the entry points of the SIMD kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "mlx/types/complex.h"
#include "mlx/types/half_types.h"
#include "ops/reduce.h"

namespace mlx::core::cpu {

// The value that leaves any accumulator unchanged under op. Max and min order complex values
// lexicographically (real part first), so (-inf, -inf) is below every other.
template <ReduceOp op, typename A>
constexpr A reduce_identity() {
  if constexpr (op == ReduceOp::Sum) {
    return A(0);
  } else if constexpr (op == ReduceOp::Prod) {
    return A(1);
  } else if constexpr (op == ReduceOp::And) {
    return A(true);
  } else if constexpr (op == ReduceOp::Or) {
    return A(false);
  } else if constexpr (std::is_same_v<A, complex64_t>) {
    constexpr float inf = std::numeric_limits<float>::infinity();
    return op == ReduceOp::Max ? A(-inf, -inf) : A(inf, inf);
  } else if constexpr (std::numeric_limits<A>::has_infinity) {
    return op == ReduceOp::Max ? -std::numeric_limits<A>::infinity()
                               : std::numeric_limits<A>::infinity();
  } else {
    return op == ReduceOp::Max ? std::numeric_limits<A>::lowest() : std::numeric_limits<A>::max();
  }
}

// One step of op. Integer accumulators are unsigned, so sums and products wrap around (as NumPy's
// do) instead of overflowing. Max and min propagate NaN: once the accumulator holds one, it stays.
template <ReduceOp op, typename A>
inline A reduce_apply(A acc, A x) {
  constexpr bool has_nan = !std::is_integral_v<A>;
  if constexpr (op == ReduceOp::Sum) {
    return static_cast<A>(acc + x);
  } else if constexpr (op == ReduceOp::Prod) {
    return static_cast<A>(acc * x);
  } else if constexpr (op == ReduceOp::And) {
    return acc && x;
  } else if constexpr (op == ReduceOp::Or) {
    return acc || x;
  } else if constexpr (op == ReduceOp::Max) {
    if constexpr (has_nan) {
      return (acc < x || x != x) ? x : acc;
    } else {
      return acc < x ? x : acc;
    }
  } else {
    if constexpr (has_nan) {
      return (x < acc || x != x) ? x : acc;
    } else {
      return x < acc ? x : acc;
    }
  }
}

// The accumulator of the SIMD kernels: float lanes for float32, float16 and bfloat16.
template <typename In>
using SimdAcc = std::conditional_t<std::is_same_v<In, double>, double, float>;

// The SIMD kernels of one op over In values; null where there are none.
template <typename In>
struct SimdReduce {
  using Acc = SimdAcc<In>;
  // The reduction of p[0], ..., p[n - 1].
  Acc (*run)(const In* p, size_t n) = nullptr;
  // acc[i] = op(acc[i], the reduction of p[i * step], ..., p[i * step + n - 1]) for i < count:
  // one call for a batch of rows.
  void (*runs)(const In* p, size_t n, int64_t step, size_t count, Acc* acc) = nullptr;
  // acc[j] = op(acc[j], p[r * stride + j]) for r < rows and j < n.
  void (*rows)(const In* p, int64_t stride, size_t rows, Acc* acc, size_t n) = nullptr;
};

// Sum, Prod, Max and Min have SIMD kernels for these four types (float16 only where the CPU
// converts it exactly); And and Or have none.
template <typename In>
SimdReduce<In> simd_reduce(ReduceOp op);
template <>
SimdReduce<float> simd_reduce<float>(ReduceOp op);
template <>
SimdReduce<double> simd_reduce<double>(ReduceOp op);
template <>
SimdReduce<float16_t> simd_reduce<float16_t>(ReduceOp op);
template <>
SimdReduce<bfloat16_t> simd_reduce<bfloat16_t>(ReduceOp op);

}  // namespace mlx::core::cpu
