// Unary elementwise ops on the CPU: each op is a functor; each (op, dtype) row is a tile kernel
// run by the shared elementwise driver. SIMD rows (unary_simd.cpp) replace the scalar template
// where they pay.
#include "backend/cpu/unary.h"

#include <cmath>
#include <complex>
#include <type_traits>

#include "backend/cpu/elementwise.h"
#include "core/dtype_utils.h"
#include "ops/ops.h"

namespace mlx::core {

namespace cpu {

namespace {

struct NegativeOp {
  template <typename T>
  T operator()(T a) const {
    if constexpr (std::is_integral_v<T>) {
      // In unsigned arithmetic, so the most negative value (and any unsigned one) wraps.
      using U = std::make_unsigned_t<std::conditional_t<sizeof(T) < 4, uint32_t, T>>;
      return static_cast<T>(U(0) - static_cast<U>(a));
    } else {
      return -a;
    }
  }
};

// Math functions: half floats are computed in float, integers (never produced by the builders,
// which convert them to float32 first) in double.
template <typename F>
struct MathOp {
  template <typename T>
  T operator()(T a) const {
    F f;
    if constexpr (std::is_same_v<T, complex64_t>) {
      return complex64_t(f(static_cast<std::complex<float>>(a)));
    } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      return f(a);
    } else if constexpr (std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>) {
      return T(f(static_cast<float>(a)));
    } else {
      return static_cast<T>(f(static_cast<double>(a)));
    }
  }
};
struct ExpF {
  template <typename X>
  X operator()(X x) const {
    return std::exp(x);
  }
};
struct LogF {
  template <typename X>
  X operator()(X x) const {
    return std::log(x);
  }
};
struct Log1pF {
  template <typename X>
  X operator()(X x) const {
    if constexpr (std::is_same_v<X, std::complex<float>>) {
      return std::log(x + X(1.0f));
    } else {
      return std::log1p(x);
    }
  }
};
struct SqrtF {
  template <typename X>
  X operator()(X x) const {
    return std::sqrt(x);
  }
};

template <typename T, typename Op>
void scalar_tile(const void* const* in, void* out, size_t n) {
  auto a = static_cast<const T*>(in[0]);
  auto o = static_cast<T*>(out);
  Op op;
  for (size_t i = 0; i < n; ++i) {
    o[i] = op(a[i]);
  }
}

template <typename Op>
TileFn scalar_kernel(Dtype dtype) {
  return dispatch_dtype(
      dtype, [](auto tag) -> TileFn { return scalar_tile<typename decltype(tag)::type, Op>; });
}

}  // namespace

TileFn unary_kernel(UnaryOp op, Dtype dtype) {
  if (auto fn = unary_simd_kernel(op, dtype)) {
    return fn;
  }
  switch (op) {
    case UnaryOp::Negative:
      return scalar_kernel<NegativeOp>(dtype);
    case UnaryOp::Exp:
      return scalar_kernel<MathOp<ExpF>>(dtype);
    case UnaryOp::Log:
      return scalar_kernel<MathOp<LogF>>(dtype);
    case UnaryOp::Log1p:
      return scalar_kernel<MathOp<Log1pF>>(dtype);
    case UnaryOp::Sqrt:
      return scalar_kernel<MathOp<SqrtF>>(dtype);
  }
  return nullptr;
}

}  // namespace cpu

void Unary::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::run_elementwise(cpu::unary_kernel(op(), out.dtype()), inputs, out);
}

}  // namespace mlx::core
