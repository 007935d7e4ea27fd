// Comparison, logical and selection ops on the CPU: each row is a functor run as a tile kernel
// by the shared elementwise driver; SIMD rows (compare_simd.cpp) replace the scalar template
// where they pay.
#include "backend/cpu/compare.h"

#include <cmath>
#include <complex>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "backend/cpu/elementwise.h"
#include "core/dtype_utils.h"
#include "ops/ops.h"

namespace mlx::core {

namespace cpu {

namespace {

template <typename T>
inline constexpr bool is_complex_v = std::is_same_v<T, complex64_t>;

template <typename T>
inline constexpr bool is_exact_v = std::is_integral_v<T>;

// The predicates on one value. Complex values are NaN or infinite where either part is; the
// signed infinities are (inf, 0) and (-inf, 0), as MLX compares them.
template <typename T>
bool is_nan(T x) {
  if constexpr (is_exact_v<T>) {
    return false;
  } else if constexpr (is_complex_v<T>) {
    return std::isnan(x.real()) || std::isnan(x.imag());
  } else {
    return std::isnan(static_cast<double>(x));
  }
}

template <typename T>
bool is_inf(T x) {
  if constexpr (is_exact_v<T>) {
    return false;
  } else if constexpr (is_complex_v<T>) {
    return std::isinf(x.real()) || std::isinf(x.imag());
  } else {
    return std::isinf(static_cast<double>(x));
  }
}

template <typename T>
bool is_posinf(T x) {
  if constexpr (is_exact_v<T>) {
    return false;
  } else if constexpr (is_complex_v<T>) {
    return x.real() == std::numeric_limits<float>::infinity() && x.imag() == 0;
  } else {
    return static_cast<double>(x) == std::numeric_limits<double>::infinity();
  }
}

template <typename T>
bool is_neginf(T x) {
  if constexpr (is_exact_v<T>) {
    return false;
  } else if constexpr (is_complex_v<T>) {
    return x.real() == -std::numeric_limits<float>::infinity() && x.imag() == 0;
  } else {
    return static_cast<double>(x) == -std::numeric_limits<double>::infinity();
  }
}

template <typename T>
bool is_zero(T x) {
  if constexpr (is_complex_v<T>) {
    return x.real() == 0 && x.imag() == 0;
  } else {
    return static_cast<double>(x) == 0;
  }
}

// ---- comparisons (complex values order lexicographically, as MLX sorts them) ----

struct EqualOp {
  template <typename T>
  bool operator()(T a, T b) const {
    return a == b;
  }
};
struct NotEqualOp {
  template <typename T>
  bool operator()(T a, T b) const {
    return a != b;
  }
};
struct GreaterOp {
  template <typename T>
  bool operator()(T a, T b) const {
    return a > b;
  }
};
struct GreaterEqualOp {
  template <typename T>
  bool operator()(T a, T b) const {
    return a >= b;
  }
};
struct LessOp {
  template <typename T>
  bool operator()(T a, T b) const {
    return a < b;
  }
};
struct LessEqualOp {
  template <typename T>
  bool operator()(T a, T b) const {
    return a <= b;
  }
};
struct NaNEqualOp {
  template <typename T>
  bool operator()(T a, T b) const {
    return a == b || (is_nan(a) && is_nan(b));
  }
};

template <typename T, typename Op>
void compare_tile(const void* const* in, void* out, size_t n) {
  auto a = static_cast<const T*>(in[0]);
  auto b = static_cast<const T*>(in[1]);
  auto o = static_cast<bool*>(out);
  Op op;
  for (size_t i = 0; i < n; ++i) {
    o[i] = op(a[i], b[i]);
  }
}

template <typename Op>
TileFn compare_kernel(Dtype dtype) {
  return dispatch_dtype(dtype, [](auto tag) -> TileFn {
    using T = typename decltype(tag)::type;
    return compare_tile<T, Op>;
  });
}

// Logical rows: the builder converts the inputs to bool.
template <typename Op>
TileFn logical_kernel(Dtype dtype) {
  return dtype == bool_ ? compare_tile<bool, Op> : nullptr;
}

}  // namespace

TileFn compare_kernel(CompareOp op, Dtype dtype) {
  if (auto fn = compare_simd_kernel(op, dtype)) {
    return fn;
  }
  switch (op) {
    case CompareOp::Equal:
      return compare_kernel<EqualOp>(dtype);
    case CompareOp::NotEqual:
      return compare_kernel<NotEqualOp>(dtype);
    case CompareOp::Greater:
      return compare_kernel<GreaterOp>(dtype);
    case CompareOp::GreaterEqual:
      return compare_kernel<GreaterEqualOp>(dtype);
    case CompareOp::Less:
      return compare_kernel<LessOp>(dtype);
    case CompareOp::LessEqual:
      return compare_kernel<LessEqualOp>(dtype);
    case CompareOp::NaNEqual:
      return compare_kernel<NaNEqualOp>(dtype);
    case CompareOp::LogicalAnd:
      return logical_kernel<std::logical_and<>>(dtype);
    case CompareOp::LogicalOr:
      return logical_kernel<std::logical_or<>>(dtype);
    case CompareOp::LogicalXor:
      return logical_kernel<std::not_equal_to<>>(dtype);
  }
  return nullptr;
}

namespace {

// ---- predicates ----

template <typename T, PredicateOp op>
void predicate_tile(const void* const* in, void* out, size_t n) {
  auto x = static_cast<const T*>(in[0]);
  auto o = static_cast<bool*>(out);
  for (size_t i = 0; i < n; ++i) {
    if constexpr (op == PredicateOp::IsNaN) {
      o[i] = is_nan(x[i]);
    } else if constexpr (op == PredicateOp::IsInf) {
      o[i] = is_inf(x[i]);
    } else if constexpr (op == PredicateOp::IsPosInf) {
      o[i] = is_posinf(x[i]);
    } else if constexpr (op == PredicateOp::IsNegInf) {
      o[i] = is_neginf(x[i]);
    } else if constexpr (op == PredicateOp::IsFinite) {
      o[i] = !is_nan(x[i]) && !is_inf(x[i]);
    } else {
      o[i] = is_zero(x[i]);
    }
  }
}

template <PredicateOp op>
TileFn predicate_kernel(Dtype dtype) {
  return dispatch_dtype(dtype, [](auto tag) -> TileFn {
    using T = typename decltype(tag)::type;
    // The builder answers the tests for NaN and infinity of exact dtypes itself.
    if constexpr (is_exact_v<T> && op != PredicateOp::LogicalNot) {
      return nullptr;
    } else {
      return predicate_tile<T, op>;
    }
  });
}

}  // namespace

TileFn predicate_kernel(PredicateOp op, Dtype dtype) {
  switch (op) {
    case PredicateOp::IsNaN:
      return predicate_kernel<PredicateOp::IsNaN>(dtype);
    case PredicateOp::IsInf:
      return predicate_kernel<PredicateOp::IsInf>(dtype);
    case PredicateOp::IsPosInf:
      return predicate_kernel<PredicateOp::IsPosInf>(dtype);
    case PredicateOp::IsNegInf:
      return predicate_kernel<PredicateOp::IsNegInf>(dtype);
    case PredicateOp::IsFinite:
      return predicate_kernel<PredicateOp::IsFinite>(dtype);
    case PredicateOp::LogicalNot:
      return predicate_kernel<PredicateOp::LogicalNot>(dtype);
  }
  return nullptr;
}

namespace {

// ---- isclose ----

// |a - b| <= atol + rtol * |b| in float32 (float64 for float64 inputs), as MLX computes it with
// float32 tolerances; where either value is not finite, close means equal (so infinities of one
// sign are close, NaNs only with equal_nan).
template <typename T>
void isclose_tile(const T* a, const T* b, bool* o, size_t n, double rtol, double atol,
                  bool equal_nan) {
  using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const C r = static_cast<C>(rtol);
  const C t = static_cast<C>(atol);
  if constexpr (is_complex_v<T>) {
    for (size_t i = 0; i < n; ++i) {
      const C diff = std::abs(static_cast<std::complex<float>>(a[i] - b[i]));
      const C mag = std::abs(static_cast<std::complex<float>>(b[i]));
      bool close = diff <= t + r * mag;
      if (is_inf(a[i]) || is_inf(b[i])) {
        close = (is_posinf(a[i]) && is_posinf(b[i])) || (is_neginf(a[i]) && is_neginf(b[i]));
      }
      o[i] = close || (equal_nan && is_nan(a[i]) && is_nan(b[i]));
    }
  } else {
    // Bitwise rather than short-circuit logic, so the loop vectorizes.
    constexpr C inf = std::numeric_limits<C>::infinity();
    for (size_t i = 0; i < n; ++i) {
      const C x = static_cast<C>(a[i]);
      const C y = static_cast<C>(b[i]);
      C diff;
      if constexpr (is_exact_v<T>) {
        // Exact before rounding: large integers can differ by less than float32's spacing.
        diff = static_cast<C>(std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
      } else {
        diff = std::abs(x - y);
      }
      const C mag = std::abs(y);
      const bool finite = (std::abs(x) < inf) & (mag < inf);
      const bool close = (finite & (diff <= t + r * mag)) | (!finite & (x == y));
      o[i] = close | (equal_nan & (x != x) & (y != y));
    }
  }
}

// ---- nan_to_num ----

template <typename T>
void nan_to_num_tile(const T* x, T* o, size_t n, T nan, T posinf, T neginf) {
  for (size_t i = 0; i < n; ++i) {
    o[i] = is_nan(x[i]) ? nan : is_posinf(x[i]) ? posinf : is_neginf(x[i]) ? neginf : x[i];
  }
}

// ---- select ----

// where moves bits: one kernel per element size serves every dtype.
template <typename U>
void select_tile(const void* const* in, void* out, size_t n) {
  auto c = static_cast<const bool*>(in[0]);
  auto x = static_cast<const U*>(in[1]);
  auto y = static_cast<const U*>(in[2]);
  auto o = static_cast<U*>(out);
  for (size_t i = 0; i < n; ++i) {
    o[i] = c[i] ? x[i] : y[i];
  }
}

}  // namespace

TileFn select_kernel(size_t itemsize) {
  if (auto fn = select_simd_kernel(itemsize)) {
    return fn;
  }
  switch (itemsize) {
    case 1:
      return select_tile<uint8_t>;
    case 2:
      return select_tile<uint16_t>;
    case 4:
      return select_tile<uint32_t>;
    default:
      return select_tile<uint64_t>;
  }
}

namespace {

[[noreturn]] void unsupported(const char* name, Dtype dtype) {
  throw std::runtime_error(std::string("[") + name + "] Unsupported dtype " +
                           dtype_to_string(dtype) + ".");
}

}  // namespace

}  // namespace cpu

void Compare::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto fn = cpu::compare_kernel(op(), inputs[0].dtype());
  if (!fn) {
    cpu::unsupported(name(), inputs[0].dtype());
  }
  cpu::run_elementwise(fn, inputs, out);
}

void Predicate::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto fn = cpu::predicate_kernel(op(), inputs[0].dtype());
  if (!fn) {
    cpu::unsupported(name(), inputs[0].dtype());
  }
  cpu::run_elementwise(fn, inputs, out);
}

void IsClose::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::allocate_or_donate(inputs, out);
  double r = rtol();
  double t = atol();
  bool nan = equal_nan();
  dispatch_dtype(inputs[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::for_each_tile(inputs, out, [&](const void* const* in, void* o, size_t n) {
      cpu::isclose_tile(static_cast<const T*>(in[0]), static_cast<const T*>(in[1]),
                        static_cast<bool*>(o), n, r, t, nan);
    });
  });
}

void NanToNum::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::allocate_or_donate(inputs, out);
  dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T>) {
      cpu::unsupported(name(), out.dtype());
    } else {
      const T nan_value = detail::cast_value<T>(nan());
      const T pos = detail::cast_value<T>(posinf());
      const T neg = detail::cast_value<T>(neginf());
      cpu::for_each_tile(inputs, out, [&](const void* const* in, void* o, size_t n) {
        cpu::nan_to_num_tile(static_cast<const T*>(in[0]), static_cast<T*>(o), n, nan_value, pos,
                             neg);
      });
    }
  });
}

void Select::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::run_elementwise(cpu::select_kernel(out.itemsize()), inputs, out);
}

}  // namespace mlx::core
