// complex64_t: std::complex<float> plus the conversions and mixed-type arithmetic that MLX's
// scalars need, so that every operation with a complex64_t operand yields a complex64_t.
#pragma once

#include <compare>
#include <complex>
#include <concepts>
#include <type_traits>

#include "mlx/types/half_types.h"

namespace mlx::core {

struct complex64_t;

namespace detail {

template <typename T>
concept complex_real_operand = std::is_arithmetic_v<T> || half_type<T>;

template <typename T>
concept complex_operand =
    complex_real_operand<T> || std::same_as<T, std::complex<float>> || std::same_as<T, complex64_t>;

template <typename A, typename B>
concept complex_pair = (std::same_as<A, complex64_t> && complex_operand<B>) ||
                       (complex_operand<A> && std::same_as<B, complex64_t>);

// Real operands stay real so that std::complex uses its scalar formulas: widening them to (x, 0)
// first would turn (inf, 0) * 2 into (inf, nan).
template <typename T>
constexpr auto std_operand(const T& x) {
  if constexpr (complex_real_operand<T>) {
    return static_cast<float>(x);
  } else {
    return static_cast<std::complex<float>>(x);
  }
}

}  // namespace detail

struct complex64_t : std::complex<float> {
  constexpr complex64_t() = default;
  constexpr complex64_t(float re, float im) : std::complex<float>(re, im) {}
  constexpr complex64_t(const std::complex<float>& z) : std::complex<float>(z) {}

  template <detail::complex_real_operand T>
  constexpr complex64_t(T x) : std::complex<float>(static_cast<float>(x), 0.0f) {}

  // Explicit, so that a complex value never drops its imaginary part silently; casts to a real type
  // keep the real part, as MLX's astype does, and truth is "nonzero" as in NumPy.
  template <detail::complex_real_operand T>
  constexpr explicit operator T() const {
    if constexpr (std::is_same_v<T, bool>) {
      return real() != 0.0f || imag() != 0.0f;
    } else {
      return static_cast<T>(real());
    }
  }

  template <detail::complex_operand T>
  constexpr complex64_t& operator+=(const T& x) {
    return *this = complex64_t(detail::std_operand(*this) + detail::std_operand(x));
  }
  template <detail::complex_operand T>
  constexpr complex64_t& operator-=(const T& x) {
    return *this = complex64_t(detail::std_operand(*this) - detail::std_operand(x));
  }
  template <detail::complex_operand T>
  constexpr complex64_t& operator*=(const T& x) {
    return *this = complex64_t(detail::std_operand(*this) * detail::std_operand(x));
  }
  template <detail::complex_operand T>
  constexpr complex64_t& operator/=(const T& x) {
    return *this = complex64_t(detail::std_operand(*this) / detail::std_operand(x));
  }
};

constexpr complex64_t operator-(const complex64_t& x) { return complex64_t(-x.real(), -x.imag()); }
constexpr complex64_t operator+(const complex64_t& x) { return x; }

template <typename A, typename B>
requires detail::complex_pair<A, B>
constexpr complex64_t operator+(const A& a, const B& b) {
  return complex64_t(detail::std_operand(a) + detail::std_operand(b));
}

template <typename A, typename B>
requires detail::complex_pair<A, B>
constexpr complex64_t operator-(const A& a, const B& b) {
  return complex64_t(detail::std_operand(a) - detail::std_operand(b));
}

template <typename A, typename B>
requires detail::complex_pair<A, B>
constexpr complex64_t operator*(const A& a, const B& b) {
  return complex64_t(detail::std_operand(a) * detail::std_operand(b));
}

template <typename A, typename B>
requires detail::complex_pair<A, B>
constexpr complex64_t operator/(const A& a, const B& b) {
  return complex64_t(detail::std_operand(a) / detail::std_operand(b));
}

template <typename A, typename B>
requires detail::complex_pair<A, B>
constexpr bool operator==(const A& a, const B& b) {
  return detail::std_operand(a) == detail::std_operand(b);
}

// Lexicographic (real part first), the order MLX uses to sort complex values and take their
// maximum and minimum.
template <typename A, typename B>
requires detail::complex_pair<A, B>
constexpr std::partial_ordering operator<=>(const A& a, const B& b) {
  const complex64_t x(a);
  const complex64_t y(b);
  if (const auto by_real = x.real() <=> y.real(); by_real != 0) {
    return by_real;
  }
  return x.imag() <=> y.imag();
}

}  // namespace mlx::core
