// 16-bit floating point scalars: float16_t (IEEE binary16) and bfloat16_t (the top half of a
// binary32). Both store raw bits; arithmetic happens in float and rounds back.
#pragma once

#include <bit>
#include <compare>
#include <concepts>
#include <cstdint>
#include <limits>
#include <ostream>
#include <type_traits>

namespace mlx::core {

namespace detail {

// Every conversion into a 16-bit format rounds to nearest even straight from the source value:
// going through float first would round twice and can land on the wrong side of a tie.

// A float or double narrowed to a format with kExpBits exponent bits and kMantBits stored mantissa
// bits. Requires a source whose normal range covers the target's subnormals, so the source's own
// subnormals always underflow to zero.
template <int kExpBits, int kMantBits, typename Src>
constexpr uint16_t narrow_float_bits(Src value) {
  using Bits = std::conditional_t<sizeof(Src) == 4, uint32_t, uint64_t>;
  constexpr int kSrcTotal = sizeof(Bits) * 8;
  constexpr int kSrcMant = std::numeric_limits<Src>::digits - 1;
  constexpr int kSrcBias = std::numeric_limits<Src>::max_exponent - 1;
  constexpr int kBias = (1 << (kExpBits - 1)) - 1;
  constexpr int kDrop = kSrcMant - kMantBits;
  static_assert(kSrcBias - kBias - kMantBits > 0);

  constexpr Bits kAbsMask = ~Bits(0) >> 1;
  constexpr Bits kSrcMantMask = (Bits(1) << kSrcMant) - 1;
  constexpr Bits kSrcInf = kAbsMask & ~kSrcMantMask;
  constexpr uint16_t kInf = uint16_t(((1u << kExpBits) - 1) << kMantBits);
  constexpr uint16_t kMantMask = uint16_t((1u << kMantBits) - 1);
  constexpr uint16_t kQuietBit = uint16_t(1u << (kMantBits - 1));
  // Halfway between the largest finite value and the next power of two: from here on, round to inf.
  constexpr Bits kOverflow =
      (Bits(kSrcBias + kBias) << kSrcMant) | (((Bits(1) << (kMantBits + 1)) - 1) << (kDrop - 1));
  constexpr Bits kMinNormal = Bits(kSrcBias - kBias + 1) << kSrcMant;
  // Half of the smallest subnormal: a tie with zero, which is even.
  constexpr Bits kUnderflow = Bits(kSrcBias - kBias - kMantBits) << kSrcMant;
  constexpr int kSubnormalShift = kSrcBias + kSrcMant + 1 - kBias - kMantBits;

  const Bits x = std::bit_cast<Bits>(value);
  const uint16_t sign = uint16_t(x >> (kSrcTotal - 16)) & 0x8000u;
  const Bits ax = x & kAbsMask;
  if (ax > kSrcInf) {
    return sign | kInf | kQuietBit | (uint16_t(ax >> kDrop) & kMantMask);
  }
  if (ax >= kOverflow) {
    return sign | kInf;
  }
  if (ax >= kMinNormal) {
    // Rebiasing keeps exponent and mantissa adjacent, so a rounding carry out of the mantissa
    // correctly bumps the exponent.
    Bits m = ax - (Bits(kSrcBias - kBias) << kSrcMant);
    m += (Bits(1) << (kDrop - 1)) - 1 + ((m >> kDrop) & 1);
    return sign | uint16_t(m >> kDrop);
  }
  if (ax <= kUnderflow) {
    return sign;
  }
  const int shift = kSubnormalShift - int(ax >> kSrcMant);
  const Bits mant = (ax & kSrcMantMask) | (Bits(1) << kSrcMant);
  const Bits rem = mant & ((Bits(1) << shift) - 1);
  const Bits halfway = Bits(1) << (shift - 1);
  Bits q = mant >> shift;
  q += (rem > halfway || (rem == halfway && (q & 1))) ? 1 : 0;
  return sign | uint16_t(q);
}

// Same format parameters as narrow_float_bits, from an integer of up to 64 bits.
template <int kExpBits, int kMantBits>
constexpr uint16_t narrow_integer_bits(bool negative, uint64_t mag) {
  constexpr int kBias = (1 << (kExpBits - 1)) - 1;
  constexpr uint16_t kInf = uint16_t(((1u << kExpBits) - 1) << kMantBits);
  constexpr uint64_t kMantMask = (uint64_t(1) << kMantBits) - 1;
  const uint16_t sign = negative ? 0x8000u : 0u;
  if (mag == 0) {
    return sign;
  }
  int exponent = 63 - std::countl_zero(mag);
  uint64_t q;
  if (exponent <= kMantBits) {
    q = mag << (kMantBits - exponent);
  } else {
    const int drop = exponent - kMantBits;
    const uint64_t rem = mag & ((uint64_t(1) << drop) - 1);
    const uint64_t halfway = uint64_t(1) << (drop - 1);
    q = mag >> drop;
    q += (rem > halfway || (rem == halfway && (q & 1))) ? 1 : 0;
    if (q >> (kMantBits + 1)) {
      q >>= 1;
      ++exponent;
    }
  }
  if (exponent > kBias) {
    return sign | kInf;
  }
  return sign | uint16_t((uint64_t(exponent + kBias) << kMantBits) | (q & kMantMask));
}

// Any built-in arithmetic value to the bits of the given format.
template <int kExpBits, int kMantBits, typename T>
constexpr uint16_t to_half_bits(T value) {
  if constexpr (std::is_integral_v<T>) {
    static_assert(sizeof(T) <= sizeof(uint64_t));
    if constexpr (std::is_signed_v<T>) {
      // Negating in unsigned arithmetic keeps the most negative value well defined.
      const bool negative = value < 0;
      const uint64_t mag = negative ? uint64_t(0) - uint64_t(value) : uint64_t(value);
      return narrow_integer_bits<kExpBits, kMantBits>(negative, mag);
    } else {
      return narrow_integer_bits<kExpBits, kMantBits>(false, uint64_t(value));
    }
  } else if constexpr (std::is_same_v<T, float> && kExpBits == 8) {
    // bfloat16 shares float's exponent range, so rounding the low 16 bits away is the whole job.
    uint32_t x = std::bit_cast<uint32_t>(value);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) {
      return uint16_t(x >> 16) | 0x0040u;
    }
    x += 0x7FFFu + ((x >> 16) & 1u);
    return uint16_t(x >> 16);
  } else if constexpr (sizeof(T) > sizeof(double)) {
    return narrow_float_bits<kExpBits, kMantBits>(static_cast<double>(value));
  } else {
    return narrow_float_bits<kExpBits, kMantBits>(value);
  }
}

// Widening is exact; only NaNs change, gaining the quiet bit as hardware conversions do.
template <int kExpBits, int kMantBits>
constexpr float half_bits_to_float(uint16_t h) {
  if constexpr (kExpBits == 8) {
    uint32_t x = uint32_t(h) << 16;
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) {
      x |= 0x00400000u;
    }
    return std::bit_cast<float>(x);
  } else {
    static_assert(kExpBits == 5 && kMantBits == 10);
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1Fu;
    const uint32_t mant = h & 0x3FFu;
    if (exponent == 0x1F) {
      const uint32_t quiet = mant != 0 ? 0x00400000u : 0u;
      return std::bit_cast<float>(sign | 0x7F800000u | quiet | (mant << 13));
    }
    if (exponent != 0) {
      return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mant << 13));
    }
    if (mant == 0) {
      return std::bit_cast<float>(sign);
    }
    // A subnormal half is a normal float: shift its leading one into the implicit bit.
    const int shift = std::countl_zero(mant) - 21;
    return std::bit_cast<float>(sign | (uint32_t(113 - shift) << 23) |
                                (((mant << shift) & 0x3FFu) << 13));
  }
}

template <int kExpBits, int kMantBits>
struct HalfFloat;

template <typename T>
inline constexpr bool is_half_v = false;
template <int kExpBits, int kMantBits>
inline constexpr bool is_half_v<HalfFloat<kExpBits, kMantBits>> = true;

template <typename T>
concept half_type = is_half_v<T>;

template <typename T>
concept arithmetic = std::is_arithmetic_v<T>;

template <typename T>
concept half_operand = half_type<T> || arithmetic<T>;

template <typename T, typename Self>
concept other_half_format = half_type<T> && !std::same_as<T, Self>;

template <int kExpBits, int kMantBits>
struct HalfFloat {
  uint16_t bits_;

  HalfFloat() = default;

  template <arithmetic T>
  constexpr HalfFloat(T value) : bits_(to_half_bits<kExpBits, kMantBits>(value)) {}

  // Between float16 and bfloat16 every value may round, so the conversion must be asked for.
  template <other_half_format<HalfFloat> Other>
  constexpr explicit HalfFloat(Other other) : HalfFloat(static_cast<float>(other)) {}

  static constexpr HalfFloat from_bits(uint16_t bits) {
    HalfFloat h;
    h.bits_ = bits;
    return h;
  }

  constexpr uint16_t bits() const { return bits_; }

  constexpr operator float() const { return half_bits_to_float<kExpBits, kMantBits>(bits_); }

  constexpr HalfFloat operator-() const { return from_bits(bits_ ^ 0x8000u); }
  constexpr HalfFloat operator+() const { return *this; }

  // Hidden friends, so they are found for half arguments only and never capture a float argument
  // that would otherwise convert implicitly.
  friend constexpr bool isnan(HalfFloat h) { return (h.bits_ & 0x7FFFu) > kInfBits; }
  friend constexpr bool isinf(HalfFloat h) { return (h.bits_ & 0x7FFFu) == kInfBits; }
  friend constexpr bool isfinite(HalfFloat h) { return (h.bits_ & 0x7FFFu) < kInfBits; }
  friend constexpr bool signbit(HalfFloat h) { return (h.bits_ & 0x8000u) != 0; }

  friend std::ostream& operator<<(std::ostream& os, HalfFloat h) {
    return os << static_cast<float>(h);
  }

 private:
  static constexpr uint16_t kInfBits = uint16_t(((1u << kExpBits) - 1) << kMantBits);
};

template <typename A, typename B>
concept half_pair = (half_type<A> && half_operand<B>) || (half_operand<A> && half_type<B>);

// The type of `a op b`: a half type survives only against itself or an integer; any other
// floating operand wins, and mixing the two half formats meets in float.
template <typename A, typename B>
constexpr auto half_result_tag() {
  if constexpr (half_type<A> && half_type<B>) {
    if constexpr (std::is_same_v<A, B>) {
      return A{};
    } else {
      return float{};
    }
  } else if constexpr (half_type<B>) {
    return half_result_tag<B, A>();
  } else if constexpr (std::is_integral_v<B>) {
    return A{};
  } else {
    return std::common_type_t<float, B>{};
  }
}

template <typename A, typename B>
using half_result_t = decltype(half_result_tag<A, B>());

// Halves compute in float, which carries more than twice their precision: for two float16
// operands, rounding the float result again gives the correctly rounded + - * /.
template <typename A, typename B>
using half_compute_t =
    std::conditional_t<half_type<half_result_t<A, B>>, float, half_result_t<A, B>>;

// Comparisons against integers use double so that large integers are not rounded first.
template <typename A, typename B>
using half_compare_t = std::conditional_t<std::is_integral_v<A> || std::is_integral_v<B>, double,
                                          half_compute_t<A, B>>;

// The return types are deduced (auto) so that clang before 16, which substitutes a declared
// return type before checking the constraint, does not fail on unrelated operands (string + ...).
template <typename A, typename B>
requires half_pair<A, B>
constexpr auto operator+(A a, B b) {
  using C = half_compute_t<A, B>;
  return half_result_t<A, B>(static_cast<C>(a) + static_cast<C>(b));
}

template <typename A, typename B>
requires half_pair<A, B>
constexpr auto operator-(A a, B b) {
  using C = half_compute_t<A, B>;
  return half_result_t<A, B>(static_cast<C>(a) - static_cast<C>(b));
}

template <typename A, typename B>
requires half_pair<A, B>
constexpr auto operator*(A a, B b) {
  using C = half_compute_t<A, B>;
  return half_result_t<A, B>(static_cast<C>(a) * static_cast<C>(b));
}

template <typename A, typename B>
requires half_pair<A, B>
constexpr auto operator/(A a, B b) {
  using C = half_compute_t<A, B>;
  return half_result_t<A, B>(static_cast<C>(a) / static_cast<C>(b));
}

template <half_type H, half_operand T>
constexpr H& operator+=(H& a, T b) {
  a = H(a + b);
  return a;
}

template <half_type H, half_operand T>
constexpr H& operator-=(H& a, T b) {
  a = H(a - b);
  return a;
}

template <half_type H, half_operand T>
constexpr H& operator*=(H& a, T b) {
  a = H(a * b);
  return a;
}

template <half_type H, half_operand T>
constexpr H& operator/=(H& a, T b) {
  a = H(a / b);
  return a;
}

template <typename A, typename B>
requires half_pair<A, B>
constexpr bool operator==(A a, B b) {
  using C = half_compare_t<A, B>;
  return static_cast<C>(a) == static_cast<C>(b);
}

template <typename A, typename B>
requires half_pair<A, B>
constexpr std::partial_ordering operator<=>(A a, B b) {
  using C = half_compare_t<A, B>;
  return static_cast<C>(a) <=> static_cast<C>(b);
}

}  // namespace detail

using float16_t = detail::HalfFloat<5, 10>;
using bfloat16_t = detail::HalfFloat<8, 7>;

}  // namespace mlx::core

template <>
struct std::numeric_limits<mlx::core::float16_t> {
 private:
  using T = mlx::core::float16_t;

 public:
  static constexpr bool is_specialized = true;
  static constexpr bool is_signed = true;
  static constexpr bool is_integer = false;
  static constexpr bool is_exact = false;
  static constexpr bool has_infinity = true;
  static constexpr bool has_quiet_NaN = true;
  static constexpr bool has_signaling_NaN = true;
  static constexpr std::float_denorm_style has_denorm = std::denorm_present;
  static constexpr bool has_denorm_loss = false;
  static constexpr std::float_round_style round_style = std::round_to_nearest;
  static constexpr bool is_iec559 = true;
  static constexpr bool is_bounded = true;
  static constexpr bool is_modulo = false;
  static constexpr int digits = 11;
  static constexpr int digits10 = 3;
  static constexpr int max_digits10 = 5;
  static constexpr int radix = 2;
  static constexpr int min_exponent = -13;
  static constexpr int min_exponent10 = -4;
  static constexpr int max_exponent = 16;
  static constexpr int max_exponent10 = 4;
  static constexpr bool traps = false;
  static constexpr bool tinyness_before = false;

  static constexpr T min() noexcept { return T::from_bits(0x0400); }
  static constexpr T lowest() noexcept { return T::from_bits(0xFBFF); }
  static constexpr T max() noexcept { return T::from_bits(0x7BFF); }
  static constexpr T epsilon() noexcept { return T::from_bits(0x1400); }
  static constexpr T round_error() noexcept { return T::from_bits(0x3800); }
  static constexpr T infinity() noexcept { return T::from_bits(0x7C00); }
  static constexpr T quiet_NaN() noexcept { return T::from_bits(0x7E00); }
  static constexpr T signaling_NaN() noexcept { return T::from_bits(0x7D00); }
  static constexpr T denorm_min() noexcept { return T::from_bits(0x0001); }
};

template <>
struct std::numeric_limits<mlx::core::bfloat16_t> {
 private:
  using T = mlx::core::bfloat16_t;

 public:
  static constexpr bool is_specialized = true;
  static constexpr bool is_signed = true;
  static constexpr bool is_integer = false;
  static constexpr bool is_exact = false;
  static constexpr bool has_infinity = true;
  static constexpr bool has_quiet_NaN = true;
  static constexpr bool has_signaling_NaN = true;
  static constexpr std::float_denorm_style has_denorm = std::denorm_present;
  static constexpr bool has_denorm_loss = false;
  static constexpr std::float_round_style round_style = std::round_to_nearest;
  static constexpr bool is_iec559 = false;
  static constexpr bool is_bounded = true;
  static constexpr bool is_modulo = false;
  static constexpr int digits = 8;
  static constexpr int digits10 = 2;
  static constexpr int max_digits10 = 4;
  static constexpr int radix = 2;
  static constexpr int min_exponent = -125;
  static constexpr int min_exponent10 = -37;
  static constexpr int max_exponent = 128;
  static constexpr int max_exponent10 = 38;
  static constexpr bool traps = false;
  static constexpr bool tinyness_before = false;

  static constexpr T min() noexcept { return T::from_bits(0x0080); }
  static constexpr T lowest() noexcept { return T::from_bits(0xFF7F); }
  static constexpr T max() noexcept { return T::from_bits(0x7F7F); }
  static constexpr T epsilon() noexcept { return T::from_bits(0x3C00); }
  static constexpr T round_error() noexcept { return T::from_bits(0x3F00); }
  static constexpr T infinity() noexcept { return T::from_bits(0x7F80); }
  static constexpr T quiet_NaN() noexcept { return T::from_bits(0x7FC0); }
  static constexpr T signaling_NaN() noexcept { return T::from_bits(0x7FA0); }
  static constexpr T denorm_min() noexcept { return T::from_bits(0x0001); }
};
