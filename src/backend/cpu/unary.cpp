// Unary elementwise ops on the CPU: each op is a functor; each (op, dtype) row is a tile kernel
// run by the shared elementwise driver. SIMD rows (unary_simd.cpp) replace the scalar template
// where they pay.
#include "backend/cpu/unary.h"

#include <complex>
#include <sstream>
#include <stdexcept>
#include <type_traits>

#include "backend/cpu/elementwise.h"
#include "backend/cpu/unary_ops.h"
#include "core/dtype_utils.h"
#include "ops/ops.h"

namespace mlx::core {

namespace cpu {

namespace {

// Integer arithmetic in unsigned types of at least 32 bits, so that overflow wraps (the most
// negative value negates to itself) instead of being undefined.
template <typename T>
using Wrap = std::make_unsigned_t<std::conditional_t<sizeof(T) < 4, uint32_t, T>>;

struct NegativeOp {
  template <typename T>
  T operator()(T a) const {
    if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(Wrap<T>(0) - static_cast<Wrap<T>>(a));
    } else {
      return -a;
    }
  }
};

struct AbsOp {
  template <typename T>
  auto operator()(T a) const {
    if constexpr (std::is_same_v<T, complex64_t>) {
      return std::abs(static_cast<std::complex<float>>(a));
    } else if constexpr (std::is_unsigned_v<T>) {
      return a;
    } else if constexpr (std::is_integral_v<T>) {
      return a < 0 ? NegativeOp()(a) : a;
    } else if constexpr (std::is_floating_point_v<T>) {
      return std::abs(a);
    } else {
      return T(std::abs(static_cast<float>(a)));
    }
  }
};

// NaN has no sign: it gives 0 (both comparisons fail), as in MLX.
struct SignOp {
  template <typename T>
  T operator()(T a) const {
    if constexpr (std::is_same_v<T, complex64_t>) {
      auto z = static_cast<std::complex<float>>(a);
      return z == std::complex<float>(0) ? a : complex64_t(z / std::abs(z));
    } else if constexpr (std::is_unsigned_v<T>) {
      return static_cast<T>(a != 0);
    } else {
      return static_cast<T>((a > T(0)) - (a < T(0)));
    }
  }
};

struct SquareOp {
  template <typename T>
  T operator()(T a) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a;
    } else if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(static_cast<Wrap<T>>(a) * static_cast<Wrap<T>>(a));
    } else if constexpr (std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>) {
      auto x = static_cast<float>(a);
      return T(x * x);
    } else {
      return a * a;
    }
  }
};

struct BitwiseInvertOp {
  template <typename T>
  T operator()(T a) const {
    if constexpr (std::is_same_v<T, bool>) {
      return !a;
    } else {
      return static_cast<T>(~a);
    }
  }
};

struct ConjugateOp {
  complex64_t operator()(complex64_t a) const { return complex64_t(std::conj(a)); }
};
struct RealOp {
  float operator()(complex64_t a) const { return a.real(); }
};
struct ImagOp {
  float operator()(complex64_t a) const { return a.imag(); }
};

// A math function on a storage type: half floats are computed in float, complex64 as
// std::complex<float>.
template <typename F>
struct MathOp {
  template <typename T>
  T operator()(T a) const {
    F f;
    if constexpr (std::is_same_v<T, complex64_t>) {
      return complex64_t(f(static_cast<std::complex<float>>(a)));
    } else if constexpr (std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>) {
      return T(f(static_cast<float>(a)));
    } else {
      return f(a);
    }
  }
};

template <typename T, typename Op>
void scalar_tile(const void* const* in, void* out, size_t n) {
  auto a = static_cast<const T*>(in[0]);
  using TOut = decltype(Op()(a[0]));
  auto o = static_cast<TOut*>(out);
  Op op;
  for (size_t i = 0; i < n; ++i) {
    o[i] = op(a[i]);
  }
}

// Every dtype.
template <typename Op>
TileFn any_kernel(Dtype dtype) {
  return dispatch_dtype(
      dtype, [](auto tag) -> TileFn { return scalar_tile<typename decltype(tag)::type, Op>; });
}

// The inexact dtypes (complex64 where the function has a complex form).
template <typename F>
TileFn float_kernel(Dtype dtype) {
  switch (dtype) {
    case Dtype::Val::float16:
      return scalar_tile<float16_t, MathOp<F>>;
    case Dtype::Val::bfloat16:
      return scalar_tile<bfloat16_t, MathOp<F>>;
    case Dtype::Val::float32:
      return scalar_tile<float, MathOp<F>>;
    case Dtype::Val::float64:
      return scalar_tile<double, MathOp<F>>;
    case Dtype::Val::complex64:
      if constexpr (F::kComplex) {
        return scalar_tile<complex64_t, MathOp<F>>;
      }
      return nullptr;
    default:
      return nullptr;
  }
}

TileFn invert_kernel(Dtype dtype) {
  return dispatch_dtype(dtype, [](auto tag) -> TileFn {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T>) {
      return scalar_tile<T, BitwiseInvertOp>;
    } else {
      return nullptr;
    }
  });
}

template <typename Op>
TileFn complex_kernel(Dtype dtype) {
  return dtype == complex64 ? scalar_tile<complex64_t, Op> : nullptr;
}

}  // namespace

TileFn unary_kernel(UnaryOp op, Dtype dtype) {
  if (auto fn = unary_simd_kernel(op, dtype)) {
    return fn;
  }
  namespace s = scalar;
  switch (op) {
    case UnaryOp::Negative:
      return any_kernel<NegativeOp>(dtype);
    case UnaryOp::Abs:
      return any_kernel<AbsOp>(dtype);
    case UnaryOp::Sign:
      return any_kernel<SignOp>(dtype);
    case UnaryOp::Square:
      return any_kernel<SquareOp>(dtype);
    case UnaryOp::BitwiseInvert:
      return invert_kernel(dtype);
    case UnaryOp::Conjugate:
      return complex_kernel<ConjugateOp>(dtype);
    case UnaryOp::Real:
      return complex_kernel<RealOp>(dtype);
    case UnaryOp::Imag:
      return complex_kernel<ImagOp>(dtype);
    case UnaryOp::Exp:
      return float_kernel<s::Exp>(dtype);
    case UnaryOp::Log:
      return float_kernel<s::Log>(dtype);
    case UnaryOp::Log1p:
      return float_kernel<s::Log1p>(dtype);
    case UnaryOp::Sqrt:
      return float_kernel<s::Sqrt>(dtype);
    case UnaryOp::Reciprocal:
      return float_kernel<s::Reciprocal>(dtype);
    case UnaryOp::Floor:
      return float_kernel<s::Floor>(dtype);
    case UnaryOp::Ceil:
      return float_kernel<s::Ceil>(dtype);
    case UnaryOp::Trunc:
      return float_kernel<s::Trunc>(dtype);
    case UnaryOp::Round:
      return float_kernel<s::Round>(dtype);
    case UnaryOp::Rsqrt:
      return float_kernel<s::Rsqrt>(dtype);
    case UnaryOp::Expm1:
      return float_kernel<s::Expm1>(dtype);
    case UnaryOp::Log2:
      return float_kernel<s::Log2>(dtype);
    case UnaryOp::Log10:
      return float_kernel<s::Log10>(dtype);
    case UnaryOp::Sin:
      return float_kernel<s::Sin>(dtype);
    case UnaryOp::Cos:
      return float_kernel<s::Cos>(dtype);
    case UnaryOp::Tan:
      return float_kernel<s::Tan>(dtype);
    case UnaryOp::ArcSin:
      return float_kernel<s::ArcSin>(dtype);
    case UnaryOp::ArcCos:
      return float_kernel<s::ArcCos>(dtype);
    case UnaryOp::ArcTan:
      return float_kernel<s::ArcTan>(dtype);
    case UnaryOp::Sinh:
      return float_kernel<s::Sinh>(dtype);
    case UnaryOp::Cosh:
      return float_kernel<s::Cosh>(dtype);
    case UnaryOp::Tanh:
      return float_kernel<s::Tanh>(dtype);
    case UnaryOp::ArcSinh:
      return float_kernel<s::ArcSinh>(dtype);
    case UnaryOp::ArcCosh:
      return float_kernel<s::ArcCosh>(dtype);
    case UnaryOp::ArcTanh:
      return float_kernel<s::ArcTanh>(dtype);
    case UnaryOp::Degrees:
      return float_kernel<s::Degrees>(dtype);
    case UnaryOp::Radians:
      return float_kernel<s::Radians>(dtype);
    case UnaryOp::Sigmoid:
      return float_kernel<s::Sigmoid>(dtype);
    case UnaryOp::Erf:
      return float_kernel<s::Erf>(dtype);
    case UnaryOp::ErfInv:
      return float_kernel<s::ErfInv>(dtype);
  }
  return nullptr;
}

}  // namespace cpu

void Unary::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto kernel = cpu::unary_kernel(op(), inputs[0].dtype());
  if (!kernel) {
    // The builders never ask for one; a primitive built by hand can.
    std::ostringstream msg;
    msg << "[" << name() << "] No CPU kernel for inputs of type " << inputs[0].dtype() << ".";
    throw std::runtime_error(msg.str());
  }
  cpu::run_elementwise(kernel, inputs, out);
}

}  // namespace mlx::core
