// Binary elementwise ops on the CPU: each op is a functor; each (op, dtype) row is a tile kernel
// run by the shared elementwise driver. SIMD rows (binary_simd.cpp) replace the scalar template
// where they pay.
#include "backend/cpu/binary.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "backend/cpu/elementwise.h"
#include "core/dtype_utils.h"
#include "ops/ops.h"

namespace mlx::core {

namespace cpu {

namespace {

// Integer arithmetic wraps around (as NumPy's does) instead of being undefined on overflow.
template <typename T>
using WrapType = std::conditional_t<sizeof(T) <= 4, uint32_t, uint64_t>;

template <typename T>
inline constexpr bool is_wrapping_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;

struct AddOp {
  template <typename T>
  static constexpr bool supports = true;

  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a || b;
    } else if constexpr (is_wrapping_v<T>) {
      return static_cast<T>(static_cast<WrapType<T>>(a) + static_cast<WrapType<T>>(b));
    } else {
      return static_cast<T>(a + b);
    }
  }
};

struct SubtractOp {
  template <typename T>
  static constexpr bool supports = true;

  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      // As MLX: true - true is 0 and false - true is -1, which is true again.
      return a != b;
    } else if constexpr (is_wrapping_v<T>) {
      return static_cast<T>(static_cast<WrapType<T>>(a) - static_cast<WrapType<T>>(b));
    } else {
      return static_cast<T>(a - b);
    }
  }
};

struct MultiplyOp {
  template <typename T>
  static constexpr bool supports = true;

  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a && b;
    } else if constexpr (is_wrapping_v<T>) {
      return static_cast<T>(static_cast<WrapType<T>>(a) * static_cast<WrapType<T>>(b));
    } else {
      return static_cast<T>(a * b);
    }
  }
};

struct DivideOp {
  template <typename T>
  static constexpr bool supports = !std::is_integral_v<T>;

  template <typename T>
  T operator()(T a, T b) const {
    return static_cast<T>(a / b);
  }
};

// The floating types the scalar kernels compute through float (half types) or themselves.
template <typename T>
inline constexpr bool is_half_v = std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>;

template <typename T>
inline constexpr bool is_real_float_v = std::is_floating_point_v<T> || is_half_v<T>;

template <typename T>
using ComputeType = std::conditional_t<is_half_v<T>, float, T>;

// Integer division by zero gives 0 (NumPy's result, which it accompanies with a warning), and
// the one overflowing quotient, min / -1, wraps to min as NumPy's does: neither traps.
struct FloorDivideOp {
  template <typename T>
  static constexpr bool supports = !std::is_same_v<T, complex64_t>;

  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a && b;
    } else if constexpr (std::is_integral_v<T>) {
      if (b == 0) {
        return 0;
      }
      if constexpr (std::is_signed_v<T>) {
        if (b == -1) {
          return static_cast<T>(WrapType<T>(0) - static_cast<WrapType<T>>(a));
        }
        T q = static_cast<T>(a / b);
        return static_cast<T>((a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q);
      } else {
        return static_cast<T>(a / b);
      }
    } else {
      // floor(a / b) with the quotient rounded to T first, as MLX computes it.
      using C = ComputeType<T>;
      return T(std::floor(static_cast<C>(T(static_cast<C>(a) / static_cast<C>(b)))));
    }
  }
};

// The sign follows the divisor (NumPy's and Python's %). Integer remainder by zero is 0.
struct RemainderOp {
  template <typename T>
  static constexpr bool supports = !std::is_same_v<T, complex64_t>;

  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return false;
    } else if constexpr (std::is_integral_v<T>) {
      if constexpr (std::is_signed_v<T>) {
        if (b == 0 || b == -1) {
          return 0;
        }
        T r = static_cast<T>(a % b);
        return static_cast<T>((r != 0 && (r < 0) != (b < 0)) ? r + b : r);
      } else {
        return b == 0 ? T(0) : static_cast<T>(a % b);
      }
    } else {
      using C = ComputeType<T>;
      C x = static_cast<C>(a);
      C y = static_cast<C>(b);
      C r = std::fmod(x, y);
      if (r == 0) {
        r = std::copysign(C(0), y);
      } else if ((r < 0) != (y < 0)) {
        r += y;
      }
      return T(r);
    }
  }
};

// NaN propagates; complex values compare lexicographically, as MLX orders them.
struct MaximumOp {
  template <typename T>
  static constexpr bool supports = true;

  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      return a > b ? a : b;
    } else {
      return (a > b || a != a) ? a : b;
    }
  }
};

struct MinimumOp {
  template <typename T>
  static constexpr bool supports = true;

  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      return a < b ? a : b;
    } else {
      return (a < b || a != a) ? a : b;
    }
  }
};

// Integer powers by squaring, wrapping on overflow. A negative exponent gives the truncated
// value of 1 / a^-b: 1 for a = 1, +-1 for a = -1 and 0 otherwise (0 for a = 0 too, where NumPy
// raises; an op cannot raise on values without a synchronisation).
struct PowerOp {
  template <typename T>
  static constexpr bool supports = true;

  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a || !b;
    } else if constexpr (std::is_integral_v<T>) {
      if constexpr (std::is_signed_v<T>) {
        if (b < 0) {
          if (a == 1) {
            return 1;
          }
          return a == -1 ? static_cast<T>((b & 1) ? -1 : 1) : T(0);
        }
      }
      using W = WrapType<T>;
      W base = static_cast<W>(a);
      W result = 1;
      for (auto e = static_cast<std::make_unsigned_t<T>>(b); e != 0; e >>= 1) {
        if (e & 1) {
          result *= base;
        }
        base *= base;
      }
      return static_cast<T>(result);
    } else if constexpr (std::is_same_v<T, complex64_t>) {
      // exp(b log a) is NaN at a = 0, where NumPy gives 0 for a positive real exponent.
      if (a == complex64_t(0, 0) && b.imag() == 0 && b.real() > 0) {
        return complex64_t(0, 0);
      }
      return complex64_t(
          std::pow(static_cast<std::complex<float>>(a), static_cast<std::complex<float>>(b)));
    } else {
      using C = ComputeType<T>;
      return T(std::pow(static_cast<C>(a), static_cast<C>(b)));
    }
  }
};

struct ArcTan2Op {
  template <typename T>
  static constexpr bool supports = is_real_float_v<T>;

  template <typename T>
  T operator()(T a, T b) const {
    using C = ComputeType<T>;
    return T(std::atan2(static_cast<C>(a), static_cast<C>(b)));
  }
};

// max + log1p(exp(min - max)): no overflow, and equal infinities give themselves, not NaN.
struct LogAddExpOp {
  template <typename T>
  static constexpr bool supports = !std::is_integral_v<T>;

  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, complex64_t>) {
      // Shifted by the operand with the larger real part, which bounds |exp| by 1.
      using C = std::complex<float>;
      C x = static_cast<C>(a);
      C y = static_cast<C>(b);
      if (x.real() < y.real()) {
        std::swap(x, y);
      }
      if (std::isinf(x.real()) && x.real() < 0) {
        return complex64_t(x);
      }
      return complex64_t(x + std::log(C(1.0f) + std::exp(y - x)));
    } else {
      using C = ComputeType<T>;
      C x = static_cast<C>(a);
      C y = static_cast<C>(b);
      if (x != x || y != y) {
        return T(x + y);
      }
      C hi = std::max(x, y);
      C lo = std::min(x, y);
      if (std::isinf(hi)) {
        return T(hi);
      }
      return T(hi + std::log1p(std::exp(lo - hi)));
    }
  }
};

struct BitwiseAndOp {
  template <typename T>
  static constexpr bool supports = std::is_integral_v<T>;

  template <typename T>
  T operator()(T a, T b) const {
    return static_cast<T>(a & b);
  }
};

struct BitwiseOrOp {
  template <typename T>
  static constexpr bool supports = std::is_integral_v<T>;

  template <typename T>
  T operator()(T a, T b) const {
    return static_cast<T>(a | b);
  }
};

struct BitwiseXorOp {
  template <typename T>
  static constexpr bool supports = std::is_integral_v<T>;

  template <typename T>
  T operator()(T a, T b) const {
    return static_cast<T>(a ^ b);
  }
};

// Whether b is a shift count within T's width (negative counts are not, as in NumPy).
template <typename T>
bool shift_in_range(T b) {
  if constexpr (std::is_signed_v<T>) {
    if (b < 0) {
      return false;
    }
  }
  return static_cast<uint64_t>(b) < sizeof(T) * 8;
}

// Shifts past the width give 0, as NumPy's; bits shifted out of signed values are dropped.
struct LeftShiftOp {
  template <typename T>
  static constexpr bool supports = is_wrapping_v<T>;

  template <typename T>
  T operator()(T a, T b) const {
    using U = std::make_unsigned_t<T>;
    return shift_in_range(b) ? static_cast<T>(static_cast<U>(static_cast<U>(a) << b)) : T(0);
  }
};

// Arithmetic for signed values; past the width, what the sign fills in (0 or -1), as NumPy's.
struct RightShiftOp {
  template <typename T>
  static constexpr bool supports = is_wrapping_v<T>;

  template <typename T>
  T operator()(T a, T b) const {
    if (shift_in_range(b)) {
      return static_cast<T>(a >> b);
    }
    return static_cast<T>(a < 0 ? -1 : 0);
  }
};

template <typename T, typename Op>
void scalar_tile(const void* const* in, void* out, size_t n) {
  auto a = static_cast<const T*>(in[0]);
  auto b = static_cast<const T*>(in[1]);
  auto o = static_cast<T*>(out);
  Op op;
  for (size_t i = 0; i < n; ++i) {
    o[i] = op(a[i], b[i]);
  }
}

template <typename Op>
TileFn scalar_kernel(Dtype dtype) {
  return dispatch_dtype(dtype, [](auto tag) -> TileFn {
    using T = typename decltype(tag)::type;
    if constexpr (Op::template supports<T>) {
      return scalar_tile<T, Op>;
    } else {
      return nullptr;
    }
  });
}

}  // namespace

TileFn binary_kernel(BinaryOp op, Dtype dtype) {
  if (auto fn = binary_simd_kernel(op, dtype)) {
    return fn;
  }
  switch (op) {
    case BinaryOp::Add:
      return scalar_kernel<AddOp>(dtype);
    case BinaryOp::Subtract:
      return scalar_kernel<SubtractOp>(dtype);
    case BinaryOp::Multiply:
      return scalar_kernel<MultiplyOp>(dtype);
    case BinaryOp::Divide:
      return scalar_kernel<DivideOp>(dtype);
    case BinaryOp::Remainder:
      return scalar_kernel<RemainderOp>(dtype);
    case BinaryOp::FloorDivide:
      return scalar_kernel<FloorDivideOp>(dtype);
    case BinaryOp::Maximum:
      return scalar_kernel<MaximumOp>(dtype);
    case BinaryOp::Minimum:
      return scalar_kernel<MinimumOp>(dtype);
    case BinaryOp::Power:
      return scalar_kernel<PowerOp>(dtype);
    case BinaryOp::ArcTan2:
      return scalar_kernel<ArcTan2Op>(dtype);
    case BinaryOp::LogAddExp:
      return scalar_kernel<LogAddExpOp>(dtype);
    case BinaryOp::BitwiseAnd:
      return scalar_kernel<BitwiseAndOp>(dtype);
    case BinaryOp::BitwiseOr:
      return scalar_kernel<BitwiseOrOp>(dtype);
    case BinaryOp::BitwiseXor:
      return scalar_kernel<BitwiseXorOp>(dtype);
    case BinaryOp::LeftShift:
      return scalar_kernel<LeftShiftOp>(dtype);
    case BinaryOp::RightShift:
      return scalar_kernel<RightShiftOp>(dtype);
  }
  return nullptr;
}

namespace {

template <typename T>
void divmod_tile(const void* const* in, T* quotient, T* remainder, size_t n) {
  auto a = static_cast<const T*>(in[0]);
  auto b = static_cast<const T*>(in[1]);
  FloorDivideOp div;
  RemainderOp rem;
  for (size_t i = 0; i < n; ++i) {
    // Read first: the quotient may have taken over a's buffer.
    T x = a[i];
    T y = b[i];
    quotient[i] = div(x, y);
    remainder[i] = rem(x, y);
  }
}

}  // namespace

int small_power_exponent(const array& b) {
  if (b.data_size() != 1 || !issubdtype(b.dtype(), floating)) {
    return 0;
  }
  double e = dispatch_dtype(b.dtype(), [&](auto tag) -> double {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, complex64_t>) {
      return 0;
    } else {
      return static_cast<double>(*b.data<T>());
    }
  });
  return (e == 2 || e == 3) ? static_cast<int>(e) : 0;
}

}  // namespace cpu

void Binary::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::TileFn fn = nullptr;
  if (op() == BinaryOp::Power) {
    fn = cpu::small_power_simd_kernel(cpu::small_power_exponent(inputs[1]), out.dtype());
  }
  if (!fn && out.nbytes() > cpu::kStreamingBytes) {
    fn = cpu::binary_simd_kernel(op(), out.dtype(), /* streaming */ true);
  }
  if (!fn) {
    fn = cpu::binary_kernel(op(), out.dtype());
  }
  if (!fn) {
    throw std::runtime_error(std::string("[") + name() + "] Unsupported dtype.");
  }
  cpu::run_elementwise(fn, inputs, out);
}

void DivMod::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& quotient = outputs[0];
  auto& remainder = outputs[1];
  cpu::allocate_or_donate(inputs, quotient);
  remainder.set_data(allocator::malloc(remainder.nbytes()));
  dispatch_dtype(quotient.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (cpu::FloorDivideOp::supports<T>) {
      T* q_base = quotient.data<T>();
      T* r_base = remainder.data<T>();
      // Both outputs are row-contiguous with the same shape: the remainder's tile sits at the
      // quotient tile's offset.
      cpu::for_each_tile(inputs, quotient, [&](const void* const* in, void* q, size_t n) {
        auto qt = static_cast<T*>(q);
        cpu::divmod_tile<T>(in, qt, r_base + (qt - q_base), n);
      });
    } else {
      throw std::runtime_error("[DivMod] Unsupported dtype.");
    }
  });
}

}  // namespace mlx::core
