// Internal: the scalar functions of the unary rows, shared by the scalar tile kernels
// (unary.cpp) and the SIMD kernels' fallback for lanes outside their valid range
// (unary_simd.cpp). Math functors take float, double and, where marked, std::complex<float>.
#pragma once

#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <numbers>
#include <type_traits>

namespace mlx::core::cpu::scalar {

template <typename X>
inline constexpr bool is_complex_v = std::is_same_v<X, std::complex<float>>;

// Ops of std:: functions with complex overloads.
#define MLX_STD_MATH(Name, fn)             \
  struct Name {                            \
    static constexpr bool kComplex = true; \
    template <typename X>                  \
    X operator()(X x) const {              \
      return std::fn(x);                   \
    }                                      \
  };
MLX_STD_MATH(Exp, exp)
MLX_STD_MATH(Log, log)
MLX_STD_MATH(Log10, log10)
MLX_STD_MATH(Sqrt, sqrt)
MLX_STD_MATH(Sin, sin)
MLX_STD_MATH(Cos, cos)
MLX_STD_MATH(Tan, tan)
MLX_STD_MATH(ArcSin, asin)
MLX_STD_MATH(ArcCos, acos)
MLX_STD_MATH(ArcTan, atan)
MLX_STD_MATH(Sinh, sinh)
MLX_STD_MATH(Cosh, cosh)
MLX_STD_MATH(Tanh, tanh)
MLX_STD_MATH(ArcSinh, asinh)
MLX_STD_MATH(ArcCosh, acosh)
MLX_STD_MATH(ArcTanh, atanh)
#undef MLX_STD_MATH

struct Log1p {
  static constexpr bool kComplex = true;
  template <typename X>
  X operator()(X x) const {
    if constexpr (is_complex_v<X>) {
      return std::log(x + X(1.0f));
    } else {
      return std::log1p(x);
    }
  }
};

struct Expm1 {
  static constexpr bool kComplex = true;
  template <typename X>
  X operator()(X x) const {
    if constexpr (is_complex_v<X>) {
      return std::exp(x) - X(1.0f);
    } else {
      return std::expm1(x);
    }
  }
};

struct Log2 {
  static constexpr bool kComplex = true;
  template <typename X>
  X operator()(X x) const {
    if constexpr (is_complex_v<X>) {
      return std::log(x) / std::numbers::ln2_v<float>;
    } else {
      return std::log2(x);
    }
  }
};

struct Reciprocal {
  static constexpr bool kComplex = true;
  template <typename X>
  X operator()(X x) const {
    return X(1) / x;
  }
};

// Two roundings (the square root, then the division), as MLX computes it.
struct Rsqrt {
  static constexpr bool kComplex = true;
  template <typename X>
  X operator()(X x) const {
    return X(1) / std::sqrt(x);
  }
};

// The constant is rounded to the compute type first, as multiplying by an MLX scalar does.
template <int kDegrees>
struct ScaleAngle {
  static constexpr bool kComplex = true;
  template <typename X>
  X operator()(X x) const {
    using R = std::conditional_t<is_complex_v<X>, float, X>;
    constexpr double k = kDegrees ? 180 / std::numbers::pi : std::numbers::pi / 180;
    return x * static_cast<R>(k);
  }
};
using Degrees = ScaleAngle<1>;
using Radians = ScaleAngle<0>;

struct Sigmoid {
  static constexpr bool kComplex = true;
  template <typename X>
  X operator()(X x) const {
    return X(1) / (X(1) + std::exp(-x));
  }
};

// Rounding (real types only).
struct Floor {
  static constexpr bool kComplex = false;
  template <typename X>
  X operator()(X x) const {
    return std::floor(x);
  }
};
struct Ceil {
  static constexpr bool kComplex = false;
  template <typename X>
  X operator()(X x) const {
    return std::ceil(x);
  }
};
struct Trunc {
  static constexpr bool kComplex = false;
  template <typename X>
  X operator()(X x) const {
    return std::trunc(x);
  }
};
// Half to even (the default rounding mode).
struct Round {
  static constexpr bool kComplex = false;
  template <typename X>
  X operator()(X x) const {
    return std::nearbyint(x);
  }
};

// erf in float32 as MLX computes it (Juffa's approximations, under 1 ulp); double uses libm.
inline float erf_f32(float a) {
  const float t = std::abs(a);
  const float s = a * a;
  float r;
  if (t > 0.927734375f) {
    r = std::fma(-1.72853470e-5f, t, 3.83197126e-4f);
    const float u = std::fma(-3.88396438e-3f, t, 2.42546219e-2f);
    r = std::fma(r, s, u);
    r = std::fma(r, t, -1.06777877e-1f);
    r = std::fma(r, t, -6.34846687e-1f);
    r = std::fma(r, t, -1.28717512e-1f);
    r = std::fma(r, t, -t);
    r = std::copysign(1.0f - std::exp(r), a);
  } else {
    r = -5.96761703e-4f;
    r = std::fma(r, s, 4.99119423e-3f);
    r = std::fma(r, s, -2.67681349e-2f);
    r = std::fma(r, s, 1.12819925e-1f);
    r = std::fma(r, s, -3.76125336e-1f);
    r = std::fma(r, s, 1.28379166e-1f);
    r = std::fma(r, a, a);
  }
  return r;
}

// erfinv(a) = a * p(log(1 - a^2)), p a polynomial on two intervals of t = log(1 - a^2), with
// the published single-precision coefficients MLX uses (under 2.36 ulp). Evaluated in T so that
// double can start its refinement from it.
template <typename T>
inline T erfinv_poly(T a, T t) {
  T p;
  if (std::abs(t) > T(6.125f)) {
    p = T(3.03697567e-10f);
    p = std::fma(p, t, T(2.93243101e-8f));
    p = std::fma(p, t, T(1.22150334e-6f));
    p = std::fma(p, t, T(2.84108955e-5f));
    p = std::fma(p, t, T(3.93552968e-4f));
    p = std::fma(p, t, T(3.02698812e-3f));
    p = std::fma(p, t, T(4.83185798e-3f));
    p = std::fma(p, t, T(-2.64646143e-1f));
    p = std::fma(p, t, T(8.40016484e-1f));
  } else {
    p = T(5.43877832e-9f);
    p = std::fma(p, t, T(1.43285448e-7f));
    p = std::fma(p, t, T(1.22774793e-6f));
    p = std::fma(p, t, T(1.12963626e-7f));
    p = std::fma(p, t, T(-5.61530760e-5f));
    p = std::fma(p, t, T(-1.47697632e-4f));
    p = std::fma(p, t, T(2.31468678e-3f));
    p = std::fma(p, t, T(1.15392581e-2f));
    p = std::fma(p, t, T(-2.32015476e-1f));
    p = std::fma(p, t, T(8.86226892e-1f));
  }
  return a * p;
}

inline float erfinv_f32(float a) { return erfinv_poly(a, std::log(std::fma(a, -a, 1.0f))); }

// Newton steps on erf (or on erfc near +-1, where 1 - |a| is exact and erf would lose the
// digits) from the float approximation, or from the tail's asymptote where the polynomial was
// not fitted (1 - a^2 below float's reach).
inline double erfinv_f64(double a) {
  const double x = std::abs(a);
  if (!(x < 1)) {
    return x == 1 ? std::copysign(std::numeric_limits<double>::infinity(), a)
                  : std::numeric_limits<double>::quiet_NaN();
  }
  if (x == 0) {
    return a;
  }
  const double t = std::log1p(-x * x);
  double y;
  if (t > -15) {
    y = erfinv_poly(x, t);
  } else {
    const double l = -std::log1p(-x);
    y = std::sqrt(l - std::log(std::sqrt(l * std::numbers::pi)));
  }
  const double slope = 2 * std::numbers::inv_sqrtpi;
  for (int i = 0; i < 4; ++i) {
    const double residual = x > 0.5 ? (1 - x) - std::erfc(y) : std::erf(y) - x;
    y -= residual / (slope * std::exp(-y * y));
  }
  return std::copysign(y, a);
}

struct Erf {
  static constexpr bool kComplex = false;
  template <typename X>
  X operator()(X x) const {
    if constexpr (std::is_same_v<X, float>) {
      return erf_f32(x);
    } else {
      return std::erf(x);
    }
  }
};

struct ErfInv {
  static constexpr bool kComplex = false;
  template <typename X>
  X operator()(X x) const {
    if constexpr (std::is_same_v<X, float>) {
      return erfinv_f32(x);
    } else {
      return erfinv_f64(x);
    }
  }
};

}  // namespace mlx::core::cpu::scalar
