#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "mlx/dtype.h"

using namespace mlx::core;

namespace {

template <typename T>
std::string to_string(const T& x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

// The expected message of an exception thrown by f, or "" if none is thrown.
template <typename F>
std::string invalid_argument_message(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

uint32_t float_bits(float f) { return std::bit_cast<uint32_t>(f); }
float bits_float(uint32_t b) { return std::bit_cast<float>(b); }
double bits_double(uint64_t b) { return std::bit_cast<double>(b); }

// ---------------------------------------------------------------------------------------------
// Promotion

// MLX's promotion table, rows and columns in enum order.
const Dtype kPromotionTable[14][14] = {
    // clang-format off
    //           bool       uint8      uint16     uint32     uint64     int8       int16      int32      int64      float16    float32    float64    bfloat16   complex64
    /* bool   */ {bool_,     uint8,     uint16,    uint32,    uint64,    int8,      int16,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64},
    /* uint8  */ {uint8,     uint8,     uint16,    uint32,    uint64,    int16,     int16,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64},
    /* uint16 */ {uint16,    uint16,    uint16,    uint32,    uint64,    int32,     int32,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64},
    /* uint32 */ {uint32,    uint32,    uint32,    uint32,    uint64,    int64,     int64,     int64,     int64,     float16,   float32,   float64,   bfloat16,  complex64},
    /* uint64 */ {uint64,    uint64,    uint64,    uint64,    uint64,    float32,   float32,   float32,   float32,   float16,   float32,   float64,   bfloat16,  complex64},
    /* int8   */ {int8,      int16,     int32,     int64,     float32,   int8,      int16,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64},
    /* int16  */ {int16,     int16,     int32,     int64,     float32,   int16,     int16,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64},
    /* int32  */ {int32,     int32,     int32,     int64,     float32,   int32,     int32,     int32,     int64,     float16,   float32,   float64,   bfloat16,  complex64},
    /* int64  */ {int64,     int64,     int64,     int64,     float32,   int64,     int64,     int64,     int64,     float16,   float32,   float64,   bfloat16,  complex64},
    /* f16    */ {float16,   float16,   float16,   float16,   float16,   float16,   float16,   float16,   float16,   float16,   float32,   float64,   float32,   complex64},
    /* f32    */ {float32,   float32,   float32,   float32,   float32,   float32,   float32,   float32,   float32,   float32,   float32,   float64,   float32,   complex64},
    /* f64    */ {float64,   float64,   float64,   float64,   float64,   float64,   float64,   float64,   float64,   float64,   float64,   float64,   float64,   complex64},
    /* bf16   */ {bfloat16,  bfloat16,  bfloat16,  bfloat16,  bfloat16,  bfloat16,  bfloat16,  bfloat16,  bfloat16,  float32,   float32,   float64,   bfloat16,  complex64},
    /* c64    */ {complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64, complex64},
    // clang-format on
};

const Dtype kAllDtypes[14] = {bool_, uint8, uint16,  uint32,  uint64,  int8,     int16,
                              int32, int64, float16, float32, float64, bfloat16, complex64};

const Dtype::Category kAllCategories[8] = {complexfloating, floating, inexact, signedinteger,
                                           unsignedinteger, integer,  number,  generic};

TEST(Dtype, IndexRoundTrip) {
  for (int i = 0; i < num_dtypes; ++i) {
    EXPECT_EQ(dtype_from_index(i), kAllDtypes[i]);
    EXPECT_EQ(dtype_index(kAllDtypes[i]), i);
    EXPECT_EQ(dtype_from_index(i).size(), kAllDtypes[i].size());
  }
  EXPECT_EQ(invalid_argument_message([] { dtype_from_index(14); }),
            "[dtype_from_index] Index 14 is out of range [0, 14).");
  EXPECT_EQ(invalid_argument_message([] { dtype_from_index(-1); }),
            "[dtype_from_index] Index -1 is out of range [0, 14).");
}

TEST(Dtype, PromotionTable) {
  for (int i = 0; i < num_dtypes; ++i) {
    for (int j = 0; j < num_dtypes; ++j) {
      const Dtype got = promote_types(kAllDtypes[i], kAllDtypes[j]);
      EXPECT_EQ(got, kPromotionTable[i][j]) << kAllDtypes[i] << " + " << kAllDtypes[j];
      EXPECT_EQ(got.size(), kPromotionTable[i][j].size());
    }
  }
}

TEST(Dtype, PromotionIsSymmetric) {
  for (Dtype a : kAllDtypes) {
    for (Dtype b : kAllDtypes) {
      EXPECT_EQ(promote_types(a, b), promote_types(b, a)) << a << " + " << b;
    }
  }
}

TEST(Dtype, PromotionCorners) {
  EXPECT_EQ(promote_types(uint8, int8), int16);
  EXPECT_EQ(promote_types(uint16, int16), int32);
  EXPECT_EQ(promote_types(uint32, int8), int64);
  EXPECT_EQ(promote_types(uint64, int8), float32);
  EXPECT_EQ(promote_types(uint64, int64), float32);
  EXPECT_EQ(promote_types(int64, float16), float16);
  EXPECT_EQ(promote_types(uint64, bfloat16), bfloat16);
  EXPECT_EQ(promote_types(float16, bfloat16), float32);
  EXPECT_EQ(promote_types(float64, bfloat16), float64);
  EXPECT_EQ(promote_types(float64, complex64), complex64);
  EXPECT_EQ(promote_types(bool_, bool_), bool_);
}

TEST(Dtype, InvalidDtypeValue) {
  const Dtype bogus(static_cast<Dtype::Val>(20), 1);
  EXPECT_EQ(invalid_argument_message([&] { promote_types(bogus, int8); }),
            "[Dtype] Invalid dtype value 20.");
  EXPECT_EQ(invalid_argument_message([&] { dtype_to_string(bogus); }),
            "[Dtype] Invalid dtype value 20.");
}

// ---------------------------------------------------------------------------------------------
// Categories

TEST(Dtype, IssubdtypeCategoryCategory) {
  // Rows: a, columns: b, both in the order of kAllCategories; entry is issubdtype(a, b).
  const bool expected[8][8] = {
      // clang-format off
      /* complexfloating */ {true,  false, true,  false, false, false, true,  true},
      /* floating        */ {false, true,  true,  false, false, false, true,  true},
      /* inexact         */ {false, false, true,  false, false, false, true,  true},
      /* signedinteger   */ {false, false, false, true,  false, true,  true,  true},
      /* unsignedinteger */ {false, false, false, false, true,  true,  true,  true},
      /* integer         */ {false, false, false, false, false, true,  true,  true},
      /* number          */ {false, false, false, false, false, false, true,  true},
      /* generic         */ {false, false, false, false, false, false, false, true},
      // clang-format on
  };
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 8; ++j) {
      EXPECT_EQ(issubdtype(kAllCategories[i], kAllCategories[j]), expected[i][j])
          << "categories " << i << ", " << j;
    }
  }
}

TEST(Dtype, IssubdtypeDtypeCategory) {
  // Rows: dtypes in enum order; columns: kAllCategories.
  const bool expected[14][8] = {
      // clang-format off
      //             cfloat floating inexact signed unsigned integer number generic
      /* bool   */ {false, false, false, false, false, false, false, true},
      /* uint8  */ {false, false, false, false, true,  true,  true,  true},
      /* uint16 */ {false, false, false, false, true,  true,  true,  true},
      /* uint32 */ {false, false, false, false, true,  true,  true,  true},
      /* uint64 */ {false, false, false, false, true,  true,  true,  true},
      /* int8   */ {false, false, false, true,  false, true,  true,  true},
      /* int16  */ {false, false, false, true,  false, true,  true,  true},
      /* int32  */ {false, false, false, true,  false, true,  true,  true},
      /* int64  */ {false, false, false, true,  false, true,  true,  true},
      /* f16    */ {false, true,  true,  false, false, false, true,  true},
      /* f32    */ {false, true,  true,  false, false, false, true,  true},
      /* f64    */ {false, true,  true,  false, false, false, true,  true},
      /* bf16   */ {false, true,  true,  false, false, false, true,  true},
      /* c64    */ {true,  false, true,  false, false, false, true,  true},
      // clang-format on
  };
  for (int i = 0; i < num_dtypes; ++i) {
    for (int j = 0; j < 8; ++j) {
      EXPECT_EQ(issubdtype(kAllDtypes[i], kAllCategories[j]), expected[i][j])
          << kAllDtypes[i] << " in category " << j;
      // A category is never a subtype of a dtype.
      EXPECT_FALSE(issubdtype(kAllCategories[j], kAllDtypes[i]));
    }
  }
}

TEST(Dtype, IssubdtypeDtypeDtype) {
  for (int i = 0; i < num_dtypes; ++i) {
    for (int j = 0; j < num_dtypes; ++j) {
      EXPECT_EQ(issubdtype(kAllDtypes[i], kAllDtypes[j]), i == j);
    }
  }
}

TEST(Dtype, CategoryOf) {
  const Dtype::Category expected[14] = {
      generic,       unsignedinteger, unsignedinteger, unsignedinteger, unsignedinteger,
      signedinteger, signedinteger,   signedinteger,   signedinteger,   floating,
      floating,      floating,        floating,        complexfloating};
  for (int i = 0; i < num_dtypes; ++i) {
    EXPECT_EQ(category_of(kAllDtypes[i]), expected[i]) << kAllDtypes[i];
  }
}

// ---------------------------------------------------------------------------------------------
// Kinds, sizes, names

TEST(Dtype, Kinds) {
  using K = Dtype::Kind;
  const K expected[14] = {K::b, K::u, K::u, K::u, K::u, K::i, K::i,
                          K::i, K::i, K::f, K::f, K::f, K::V, K::c};
  const char* letters = "buuuuiiiifffVc";
  for (int i = 0; i < num_dtypes; ++i) {
    EXPECT_EQ(kindof(kAllDtypes[i]), expected[i]) << kAllDtypes[i];
    EXPECT_EQ(to_string(kindof(kAllDtypes[i])), std::string(1, letters[i]));
  }
}

TEST(Dtype, Sizes) {
  const int expected[14] = {1, 1, 2, 4, 8, 1, 2, 4, 8, 2, 4, 8, 2, 8};
  for (int i = 0; i < num_dtypes; ++i) {
    EXPECT_EQ(size_of(kAllDtypes[i]), expected[i]) << kAllDtypes[i];
    EXPECT_EQ(kAllDtypes[i].size(), expected[i]);
  }
  static_assert(sizeof(float16_t) == 2 && sizeof(bfloat16_t) == 2 && sizeof(complex64_t) == 8);
  static_assert(std::is_trivially_copyable_v<float16_t> && std::is_trivial_v<bfloat16_t>);
  static_assert(std::is_trivially_copyable_v<complex64_t>);
}

TEST(Dtype, Names) {
  const char* expected[14] = {"bool",    "uint8",   "uint16",   "uint32",   "uint64",
                              "int8",    "int16",   "int32",    "int64",    "float16",
                              "float32", "float64", "bfloat16", "complex64"};
  for (int i = 0; i < num_dtypes; ++i) {
    EXPECT_STREQ(dtype_to_string(kAllDtypes[i]), expected[i]);
    EXPECT_EQ(to_string(kAllDtypes[i]), expected[i]);
  }
}

TEST(Dtype, TypeToDtype) {
  EXPECT_EQ(Dtype(TypeToDtype<bool>()), bool_);
  EXPECT_EQ(Dtype(TypeToDtype<uint8_t>()), uint8);
  EXPECT_EQ(Dtype(TypeToDtype<uint16_t>()), uint16);
  EXPECT_EQ(Dtype(TypeToDtype<uint32_t>()), uint32);
  EXPECT_EQ(Dtype(TypeToDtype<uint64_t>()), uint64);
  EXPECT_EQ(Dtype(TypeToDtype<unsigned long long>()), uint64);
  EXPECT_EQ(Dtype(TypeToDtype<int8_t>()), int8);
  EXPECT_EQ(Dtype(TypeToDtype<int16_t>()), int16);
  EXPECT_EQ(Dtype(TypeToDtype<int32_t>()), int32);
  EXPECT_EQ(Dtype(TypeToDtype<int64_t>()), int64);
  EXPECT_EQ(Dtype(TypeToDtype<long long>()), int64);
  EXPECT_EQ(Dtype(TypeToDtype<float16_t>()), float16);
  EXPECT_EQ(Dtype(TypeToDtype<float>()), float32);
  EXPECT_EQ(Dtype(TypeToDtype<double>()), float32);
  EXPECT_EQ(Dtype(TypeToDtype<bfloat16_t>()), bfloat16);
  EXPECT_EQ(Dtype(TypeToDtype<complex64_t>()), complex64);
  EXPECT_EQ(Dtype(TypeToDtype<std::complex<float>>()), complex64);
}

// ---------------------------------------------------------------------------------------------
// finfo / iinfo

void expect_finfo(Dtype type, Dtype dtype, int bits, double max, double eps,
                  double smallest_normal) {
  const finfo info(type);
  EXPECT_EQ(info.dtype, dtype) << type;
  EXPECT_EQ(info.bits, bits) << type;
  EXPECT_EQ(info.min, -max) << type;
  EXPECT_EQ(info.max, max) << type;
  EXPECT_EQ(info.eps, eps) << type;
  EXPECT_EQ(info.smallest_normal, smallest_normal) << type;
}

TEST(Dtype, Finfo) {
  expect_finfo(float16, float16, 16, 65504.0, 0.0009765625, 6.103515625e-05);
  expect_finfo(bfloat16, bfloat16, 16, 3.3895313892515355e38, 0.0078125, 1.1754943508222875e-38);
  expect_finfo(float32, float32, 32, 3.4028234663852886e38, 1.1920928955078125e-07,
               1.1754943508222875e-38);
  expect_finfo(complex64, float32, 32, 3.4028234663852886e38, 1.1920928955078125e-07,
               1.1754943508222875e-38);
  expect_finfo(float64, float64, 64, 1.7976931348623157e308, 2.220446049250313e-16,
               2.2250738585072014e-308);
  EXPECT_EQ(finfo(float16).eps, std::ldexp(1.0, -10));
  EXPECT_EQ(finfo(bfloat16).smallest_normal, std::ldexp(1.0, -126));
  EXPECT_EQ(finfo(bfloat16).max, std::ldexp(255.0, 120));
  EXPECT_EQ(finfo(float64).eps, std::ldexp(1.0, -52));
}

TEST(Dtype, FinfoRejectsExactDtypes) {
  for (Dtype d : {bool_, uint8, uint16, uint32, uint64, int8, int16, int32, int64}) {
    EXPECT_EQ(invalid_argument_message([&] { finfo info(d); }),
              std::string("[finfo] dtype ") + dtype_to_string(d) + " is not inexact.");
  }
}

TEST(Dtype, Iinfo) {
  struct Case {
    Dtype dtype;
    int bits;
    int64_t min;
    uint64_t max;
  };
  const Case cases[] = {
      {uint8, 8, 0, 255},
      {uint16, 16, 0, 65535},
      {uint32, 32, 0, 4294967295ull},
      {uint64, 64, 0, 18446744073709551615ull},
      {int8, 8, -128, 127},
      {int16, 16, -32768, 32767},
      {int32, 32, -2147483648ll, 2147483647},
      {int64, 64, std::numeric_limits<int64_t>::min(), 9223372036854775807ull},
  };
  for (const Case& c : cases) {
    const iinfo info(c.dtype);
    EXPECT_EQ(info.dtype, c.dtype);
    EXPECT_EQ(info.bits, c.bits) << c.dtype;
    EXPECT_EQ(info.min, c.min) << c.dtype;
    EXPECT_EQ(info.max, c.max) << c.dtype;
  }
  EXPECT_EQ(iinfo(int64).min, -9223372036854775807ll - 1);
}

TEST(Dtype, IinfoRejectsOtherDtypes) {
  for (Dtype d : {bool_, float16, float32, float64, bfloat16, complex64}) {
    EXPECT_EQ(invalid_argument_message([&] { iinfo info(d); }),
              std::string("[iinfo] dtype ") + dtype_to_string(d) + " is not integral.");
  }
}

// ---------------------------------------------------------------------------------------------
// Half conversions, checked against a reference built only from the format definitions.

struct Format {
  int exp_bits;
  int mant_bits;
  uint16_t inf_bits() const { return uint16_t(((1u << exp_bits) - 1) << mant_bits); }
  int bias() const { return (1 << (exp_bits - 1)) - 1; }
};

constexpr Format kHalf{5, 10};
constexpr Format kBf16{8, 7};

// The value of a finite or infinite (not NaN) bit pattern.
double decode(Format f, uint16_t bits) {
  const int e = (bits >> f.mant_bits) & ((1 << f.exp_bits) - 1);
  const int m = bits & ((1 << f.mant_bits) - 1);
  const double sign = (bits & 0x8000) ? -1.0 : 1.0;
  if (e == (1 << f.exp_bits) - 1) {
    return sign * std::numeric_limits<double>::infinity();
  }
  if (e == 0) {
    return sign * std::ldexp(double(m), 1 - f.bias() - f.mant_bits);
  }
  return sign * std::ldexp(double(m + (1 << f.mant_bits)), e - f.bias() - f.mant_bits);
}

// Round-to-nearest-even of a non-NaN double: positive patterns 0 .. inf are ordered by value, so
// a binary search finds the two neighbours; inf stands in for the next power of two.
uint16_t reference_round(Format f, double x) {
  const uint16_t sign = std::signbit(x) ? 0x8000 : 0;
  const double mag = std::fabs(x);
  const uint16_t inf = f.inf_bits();
  const double beyond = std::ldexp(1.0, f.bias() + 1);
  auto value = [&](uint16_t b) { return b == inf ? beyond : decode(f, b); };
  if (mag >= beyond) {
    return sign | inf;
  }
  uint16_t lo = 0;
  uint16_t hi = inf;
  while (hi - lo > 1) {
    const uint16_t mid = uint16_t((lo + hi) / 2);
    (value(mid) <= mag ? lo : hi) = mid;
  }
  // Both distances are exact: they span less than one ulp of the target format.
  const double below = mag - value(lo);
  const double above = value(hi) - mag;
  if (below == 0) {
    return sign | lo;
  }
  if (below < above || (below == above && (lo & 1) == 0)) {
    return sign | lo;
  }
  return sign | hi;
}

template <typename H>
Format format_of() {
  return std::is_same_v<H, float16_t> ? kHalf : kBf16;
}

template <typename H>
void check_all_patterns() {
  const Format f = format_of<H>();
  const uint16_t quiet = uint16_t(1u << (f.mant_bits - 1));
  for (uint32_t i = 0; i < 65536; ++i) {
    const uint16_t bits = uint16_t(i);
    const H h = H::from_bits(bits);
    ASSERT_EQ(h.bits(), bits);
    const float x = h;
    const bool nan_pattern = (bits & 0x7FFF) > f.inf_bits();
    ASSERT_EQ(std::isnan(x), nan_pattern) << std::hex << bits;
    ASSERT_EQ(isnan(h), nan_pattern) << std::hex << bits;
    if (nan_pattern) {
      // NaNs come back quiet, with sign and payload kept.
      ASSERT_EQ(H(x).bits(), bits | quiet) << std::hex << bits;
      ASSERT_EQ(H(double(x)).bits(), bits | quiet) << std::hex << bits;
      ASSERT_EQ(std::signbit(x), (bits & 0x8000) != 0);
      continue;
    }
    ASSERT_EQ(double(x), decode(f, bits)) << std::hex << bits;
    ASSERT_EQ(H(x).bits(), bits) << std::hex << bits;
    ASSERT_EQ(H(double(x)).bits(), bits) << std::hex << bits;
    ASSERT_EQ(isinf(h), (bits & 0x7FFF) == f.inf_bits());
    ASSERT_EQ(isfinite(h), (bits & 0x7FFF) < f.inf_bits());
    ASSERT_EQ(signbit(h), (bits & 0x8000) != 0);
    ASSERT_EQ(float(-h), -x);
  }
}

TEST(HalfTypes, Float16AllPatternsRoundTrip) { check_all_patterns<float16_t>(); }

TEST(HalfTypes, Bfloat16AllPatternsRoundTrip) { check_all_patterns<bfloat16_t>(); }

TEST(HalfTypes, Bfloat16WidensByShifting) {
  for (uint32_t i = 0; i < 65536; ++i) {
    const bfloat16_t h = bfloat16_t::from_bits(uint16_t(i));
    if (!isnan(h)) {
      ASSERT_EQ(float_bits(h), i << 16);
    }
  }
}

// Every midpoint between neighbouring patterns and the floats and doubles right around it, where
// rounding decides; doubles one ulp off a midpoint also catch rounding through float first.
template <typename H>
void check_around_midpoints() {
  const Format f = format_of<H>();
  for (uint16_t b = 0; b < f.inf_bits(); ++b) {
    const double lo = decode(f, b);
    const double hi = b + 1 == f.inf_bits() ? std::ldexp(1.0, f.bias() + 1) : decode(f, b + 1);
    for (double base : {lo, (lo + hi) / 2}) {
      const float fbase = float(base);
      if (std::isinf(fbase)) {
        continue;
      }
      // Stepping the bit pattern of a non-negative value moves by one ulp; below zero it would
      // wrap into the NaNs.
      for (int k = base == 0 ? 0 : -2; k <= 2; ++k) {
        const float x = bits_float(uint32_t(int64_t(float_bits(fbase)) + k));
        ASSERT_EQ(H(x).bits(), reference_round(f, x)) << std::hexfloat << x;
        ASSERT_EQ(H(-x).bits(), reference_round(f, -x)) << std::hexfloat << -x;
        const double y = bits_double(uint64_t(int64_t(std::bit_cast<uint64_t>(base)) + k));
        ASSERT_EQ(H(y).bits(), reference_round(f, y)) << std::hexfloat << y;
        ASSERT_EQ(H(-y).bits(), reference_round(f, -y)) << std::hexfloat << -y;
      }
    }
  }
}

TEST(HalfTypes, Float16RoundingAroundMidpoints) { check_around_midpoints<float16_t>(); }

TEST(HalfTypes, Bfloat16RoundingAroundMidpoints) { check_around_midpoints<bfloat16_t>(); }

// A stride through all float bit patterns, hitting every exponent with varied mantissas.
template <typename H>
void check_float_sweep() {
  const Format f = format_of<H>();
  for (uint64_t i = 0; i < (uint64_t(1) << 32); i += 4093) {
    const float x = bits_float(uint32_t(i));
    if (std::isnan(x)) {
      ASSERT_TRUE(isnan(H(x)));
      continue;
    }
    ASSERT_EQ(H(x).bits(), reference_round(f, x)) << std::hexfloat << x;
  }
}

TEST(HalfTypes, Float16FloatSweep) { check_float_sweep<float16_t>(); }

TEST(HalfTypes, Bfloat16FloatSweep) { check_float_sweep<bfloat16_t>(); }

TEST(HalfTypes, Float16Ties) {
  EXPECT_EQ(float16_t(1.0f).bits(), 0x3C00);
  // 1 + 2^-11 lies halfway between 1 (even) and 1 + 2^-10 (odd).
  EXPECT_EQ(float16_t(1.0f + 0x1p-11f).bits(), 0x3C00);
  // 1 + 3 * 2^-11 lies halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
  EXPECT_EQ(float16_t(1.0f + 3 * 0x1p-11f).bits(), 0x3C02);
  EXPECT_EQ(float(float16_t(1.0f + 3 * 0x1p-11f)), 1.0f + 0x1p-9f);
  // Just above the first tie.
  EXPECT_EQ(float16_t(1.0f + 0x1p-11f + 0x1p-23f).bits(), 0x3C01);
  // The same ties from double, including one that rounding through float would get wrong.
  EXPECT_EQ(float16_t(1.0 + 0x1p-11).bits(), 0x3C00);
  EXPECT_EQ(float16_t(1.0 + 0x1p-11 + 0x1p-40).bits(), 0x3C01);
  EXPECT_EQ(float16_t(float(1.0 + 0x1p-11 + 0x1p-40)).bits(), 0x3C00);
}

TEST(HalfTypes, Float16Subnormals) {
  EXPECT_EQ(float16_t(0x1p-24f).bits(), 0x0001);
  EXPECT_EQ(float(float16_t::from_bits(0x0001)), 0x1p-24f);
  EXPECT_EQ(float16_t(0x1p-25f).bits(), 0x0000);
  EXPECT_EQ(float16_t(-0x1p-25f).bits(), 0x8000);
  EXPECT_EQ(float16_t(1.5f * 0x1p-25f).bits(), 0x0001);
  EXPECT_EQ(float16_t(0x1p-26f).bits(), 0x0000);
  // 1.5 * 2^-24: halfway between patterns 1 and 2.
  EXPECT_EQ(float16_t(3 * 0x1p-25f).bits(), 0x0002);
  // Largest subnormal, and the tie above it carrying into the smallest normal.
  EXPECT_EQ(float16_t(1023 * 0x1p-24f).bits(), 0x03FF);
  EXPECT_EQ(float16_t(1023.5f * 0x1p-24f).bits(), 0x0400);
  EXPECT_EQ(float16_t(0x1p-14f).bits(), 0x0400);
  EXPECT_EQ(float(float16_t::from_bits(0x03FF)), 1023 * 0x1p-24f);
  EXPECT_EQ(float(float16_t::from_bits(0x0200)), 0x1p-15f);
  EXPECT_EQ(float16_t(std::numeric_limits<float>::denorm_min()).bits(), 0x0000);
  EXPECT_EQ(float16_t(-std::numeric_limits<double>::denorm_min()).bits(), 0x8000);
  EXPECT_EQ(float16_t(0x1p-25).bits(), 0x0000);
  EXPECT_EQ(float16_t(0x1p-25 + 0x1p-70).bits(), 0x0001);
}

TEST(HalfTypes, Float16Overflow) {
  EXPECT_EQ(float16_t(65504.0f).bits(), 0x7BFF);
  EXPECT_EQ(float16_t(65519.0f).bits(), 0x7BFF);
  EXPECT_EQ(float16_t(65519.996f).bits(), 0x7BFF);
  EXPECT_EQ(float16_t(65520.0f).bits(), 0x7C00);
  EXPECT_EQ(float16_t(-65520.0f).bits(), 0xFC00);
  EXPECT_EQ(float16_t(65520.0).bits(), 0x7C00);
  EXPECT_EQ(float16_t(65519.999999).bits(), 0x7BFF);
  EXPECT_EQ(float16_t(1e10f).bits(), 0x7C00);
  EXPECT_EQ(float16_t(std::numeric_limits<float>::max()).bits(), 0x7C00);
  EXPECT_EQ(float16_t(-std::numeric_limits<double>::max()).bits(), 0xFC00);
  EXPECT_EQ(float16_t(std::numeric_limits<float>::infinity()).bits(), 0x7C00);
  EXPECT_EQ(float16_t(-std::numeric_limits<double>::infinity()).bits(), 0xFC00);
}

TEST(HalfTypes, Float16NaN) {
  EXPECT_EQ(float16_t(std::numeric_limits<float>::quiet_NaN()).bits(), 0x7E00);
  EXPECT_EQ(float16_t(-std::numeric_limits<float>::quiet_NaN()).bits(), 0xFE00);
  // A payload only in bits that are dropped must not turn the NaN into inf.
  EXPECT_EQ(float16_t(bits_float(0x7F800001)).bits(), 0x7E00);
  EXPECT_EQ(float16_t(bits_double(0x7FF0000000000001ull)).bits(), 0x7E00);
  EXPECT_TRUE(isnan(float16_t(std::nan(""))));
  EXPECT_TRUE(std::isnan(float(float16_t::from_bits(0x7C01))));
  // Signalling NaNs widen quiet.
  EXPECT_EQ(float_bits(float16_t::from_bits(0x7C01)), 0x7FC02000u);
}

TEST(HalfTypes, Bfloat16Rounding) {
  EXPECT_EQ(bfloat16_t(1.0f).bits(), 0x3F80);
  EXPECT_EQ(bfloat16_t(bits_float(0x3F808000)).bits(), 0x3F80);
  EXPECT_EQ(bfloat16_t(bits_float(0x3F808001)).bits(), 0x3F81);
  EXPECT_EQ(bfloat16_t(bits_float(0x3F818000)).bits(), 0x3F82);
  EXPECT_EQ(bfloat16_t(bits_float(0x3F817FFF)).bits(), 0x3F81);
  EXPECT_EQ(bfloat16_t(bits_float(0xBF818000)).bits(), 0xBF82);
  // Subnormals round the same way.
  EXPECT_EQ(bfloat16_t(bits_float(0x00008000)).bits(), 0x0000);
  EXPECT_EQ(bfloat16_t(bits_float(0x00018000)).bits(), 0x0002);
  EXPECT_EQ(bfloat16_t(bits_float(0x00008001)).bits(), 0x0001);
  // Overflow: the tie above the largest finite value goes to inf (even).
  EXPECT_EQ(bfloat16_t(bits_float(0x7F7F7FFF)).bits(), 0x7F7F);
  EXPECT_EQ(bfloat16_t(bits_float(0x7F7F8000)).bits(), 0x7F80);
  EXPECT_EQ(bfloat16_t(std::numeric_limits<float>::max()).bits(), 0x7F80);
  EXPECT_EQ(bfloat16_t(-std::numeric_limits<float>::infinity()).bits(), 0xFF80);
  EXPECT_EQ(bfloat16_t(1e300).bits(), 0x7F80);
  EXPECT_EQ(bfloat16_t(1e-300).bits(), 0x0000);
  // From double: a tie plus a bit that float would drop.
  EXPECT_EQ(bfloat16_t(1.0 + 0x1p-8).bits(), 0x3F80);
  EXPECT_EQ(bfloat16_t(1.0 + 0x1p-8 + 0x1p-40).bits(), 0x3F81);
}

TEST(HalfTypes, Bfloat16NaN) {
  EXPECT_EQ(bfloat16_t(std::numeric_limits<float>::quiet_NaN()).bits(), 0x7FC0);
  EXPECT_EQ(bfloat16_t(bits_float(0x7F800001)).bits(), 0x7FC0);
  EXPECT_EQ(bfloat16_t(bits_float(0xFF800001)).bits(), 0xFFC0);
  EXPECT_EQ(bfloat16_t(bits_float(0x7FFFFFFF)).bits(), 0x7FFF);
  EXPECT_EQ(bfloat16_t(bits_double(0x7FF0000000000001ull)).bits(), 0x7FC0);
  EXPECT_TRUE(isnan(bfloat16_t(std::nan(""))));
}

TEST(HalfTypes, FromIntegers) {
  for (int32_t i = -70000; i <= 70000; ++i) {
    ASSERT_EQ(float16_t(i).bits(), reference_round(kHalf, i)) << i;
    ASSERT_EQ(bfloat16_t(i).bits(), reference_round(kBf16, i)) << i;
  }
  EXPECT_EQ(float16_t(true).bits(), 0x3C00);
  EXPECT_EQ(float16_t(false).bits(), 0x0000);
  EXPECT_EQ(float16_t(uint8_t(255)).bits(), reference_round(kHalf, 255));
  EXPECT_EQ(float16_t(int8_t(-128)).bits(), reference_round(kHalf, -128));
  EXPECT_EQ(float16_t(65520).bits(), 0x7C00);
  EXPECT_EQ(float16_t(std::numeric_limits<int64_t>::min()).bits(), 0xFC00);
  EXPECT_EQ(float16_t(std::numeric_limits<uint64_t>::max()).bits(), 0x7C00);
  EXPECT_EQ(bfloat16_t(std::numeric_limits<int64_t>::min()).bits(), 0xDF00);
  EXPECT_EQ(bfloat16_t(std::numeric_limits<int64_t>::max()).bits(), 0x5F00);
  EXPECT_EQ(bfloat16_t(std::numeric_limits<uint64_t>::max()).bits(), 0x5F80);
  // 2^30 + 2^22 is a tie (to 2^30); one more makes it round up, which rounding through float
  // (which drops the 1) would miss. Likewise for 2^62 + 2^54 through double.
  EXPECT_EQ(bfloat16_t(int32_t((1 << 30) + (1 << 22))).bits(), 0x4E80);
  EXPECT_EQ(bfloat16_t(int32_t((1 << 30) + (1 << 22) + 1)).bits(), 0x4E81);
  EXPECT_EQ(bfloat16_t((int64_t(1) << 62) + (int64_t(1) << 54)).bits(), 0x5E80);
  EXPECT_EQ(bfloat16_t((int64_t(1) << 62) + (int64_t(1) << 54) + 1).bits(), 0x5E81);
  // A carry out of the mantissa: 2^9 - 1 rounds up to 2^9.
  EXPECT_EQ(bfloat16_t(511).bits(), 0x4400);
  EXPECT_EQ(float16_t(4095).bits(), reference_round(kHalf, 4096));
}

TEST(HalfTypes, ConstantEvaluation) {
  static_assert(float16_t(1.0f).bits() == 0x3C00);
  static_assert(float16_t(-2).bits() == 0xC000);
  static_assert(bfloat16_t(1.0).bits() == 0x3F80);
  static_assert(float(float16_t::from_bits(0x3555)) == 0x1.554p-2f);
  static_assert(float(bfloat16_t::from_bits(0x4049)) == 3.140625f);
  static_assert(float16_t(1.5f) + float16_t(2.25f) == 3.75f);
  SUCCEED();
}

TEST(HalfTypes, CrossFormatConversion) {
  EXPECT_EQ(float16_t(bfloat16_t(1.5f)).bits(), float16_t(1.5f).bits());
  EXPECT_EQ(bfloat16_t(float16_t(65504.0f)).bits(), bfloat16_t(65504.0f).bits());
  EXPECT_EQ(float16_t(bfloat16_t(1e30f)).bits(), 0x7C00);
  static_assert(!std::is_convertible_v<bfloat16_t, float16_t>);
  static_assert(std::is_constructible_v<float16_t, bfloat16_t>);
}

// ---------------------------------------------------------------------------------------------
// Half arithmetic

template <typename A, typename B, typename R>
constexpr bool all_ops_are() {
  return std::is_same_v<decltype(std::declval<A>() + std::declval<B>()), R> &&
         std::is_same_v<decltype(std::declval<A>() - std::declval<B>()), R> &&
         std::is_same_v<decltype(std::declval<A>() * std::declval<B>()), R> &&
         std::is_same_v<decltype(std::declval<A>() / std::declval<B>()), R> &&
         std::is_same_v<decltype(std::declval<B>() + std::declval<A>()), R> &&
         std::is_same_v<decltype(std::declval<B>() / std::declval<A>()), R>;
}

static_assert(all_ops_are<float16_t, float16_t, float16_t>());
static_assert(all_ops_are<bfloat16_t, bfloat16_t, bfloat16_t>());
static_assert(all_ops_are<float16_t, float, float>());
static_assert(all_ops_are<bfloat16_t, float, float>());
static_assert(all_ops_are<float16_t, double, double>());
static_assert(all_ops_are<bfloat16_t, double, double>());
static_assert(all_ops_are<float16_t, int, float16_t>());
static_assert(all_ops_are<float16_t, int64_t, float16_t>());
static_assert(all_ops_are<float16_t, uint8_t, float16_t>());
static_assert(all_ops_are<float16_t, bool, float16_t>());
static_assert(all_ops_are<bfloat16_t, int32_t, bfloat16_t>());
static_assert(all_ops_are<bfloat16_t, uint64_t, bfloat16_t>());
static_assert(all_ops_are<float16_t, bfloat16_t, float>());
static_assert(std::is_same_v<decltype(-float16_t()), float16_t>);
static_assert(std::is_same_v<decltype(-bfloat16_t()), bfloat16_t>);
static_assert(std::is_same_v<decltype(std::declval<float16_t&>() += 1.0), float16_t&>);
static_assert(std::is_same_v<decltype(std::declval<bfloat16_t&>() *= 2), bfloat16_t&>);
static_assert(std::is_same_v<decltype(float16_t() < 1), bool>);
static_assert(std::is_same_v<decltype(float16_t() == bfloat16_t()), bool>);
static_assert(std::is_convertible_v<float16_t, float> && std::is_convertible_v<double, float16_t>);
static_assert(std::is_convertible_v<int64_t, bfloat16_t> && std::is_convertible_v<bool, float16_t>);

TEST(HalfTypes, ArithmeticValues) {
  const float16_t a(1.5f);
  const float16_t b(2.25f);
  EXPECT_EQ(float(a + b), 3.75f);
  EXPECT_EQ(float(a - b), -0.75f);
  EXPECT_EQ(float(a * b), 3.375f);
  EXPECT_EQ(float(b / a), 1.5f);
  EXPECT_EQ(float(-a), -1.5f);
  EXPECT_EQ(float(a + 1), 2.5f);
  EXPECT_EQ(float(2 * a), 3.0f);
  EXPECT_EQ(a + 0.1f, 1.5f + 0.1f);
  EXPECT_EQ(a + 0.1, 1.5 + 0.1);
  // Results round to the half type: 1 + 2^-11 is a tie that goes back down to 1.
  EXPECT_EQ((float16_t(1) + float16_t(0x1p-11f)).bits(), 0x3C00);
  EXPECT_EQ((float16_t(65504.0f) + float16_t(32.0f)).bits(), 0x7C00);
  EXPECT_EQ((float16_t(1) / 0).bits(), 0x7C00);
  EXPECT_TRUE(isnan(float16_t(0) / float16_t(0)));
  EXPECT_EQ(float(bfloat16_t(3) * bfloat16_t(5)), 15.0f);
  EXPECT_EQ((bfloat16_t(256) + bfloat16_t(1)).bits(), bfloat16_t(256).bits());
  EXPECT_EQ(float16_t(0.5f) + bfloat16_t(0.25f), 0.75f);

  float16_t c(1.0f);
  c += 1;
  EXPECT_EQ(float(c), 2.0f);
  c *= 1.5;
  EXPECT_EQ(float(c), 3.0f);
  c -= float16_t(0.5f);
  EXPECT_EQ(float(c), 2.5f);
  c /= 2.0f;
  EXPECT_EQ(float(c), 1.25f);
  bfloat16_t d(1.0f);
  d += float16_t(2.0f);
  EXPECT_EQ(float(d), 3.0f);
}

TEST(HalfTypes, Comparisons) {
  const float16_t one(1);
  const float16_t two(2);
  EXPECT_TRUE(one == one);
  EXPECT_TRUE(one != two);
  EXPECT_TRUE(one < two);
  EXPECT_TRUE(one <= two);
  EXPECT_TRUE(two > one);
  EXPECT_TRUE(two >= one);
  EXPECT_TRUE(one == 1);
  EXPECT_TRUE(1 == one);
  EXPECT_TRUE(one < 1.5);
  EXPECT_TRUE(1.5f > one);
  EXPECT_TRUE(one != 2u);
  EXPECT_TRUE(one == bfloat16_t(1));
  EXPECT_TRUE(bfloat16_t(3) > two);
  EXPECT_TRUE(float16_t(0.0f) == float16_t(-0.0f));
  const float16_t nan = std::numeric_limits<float16_t>::quiet_NaN();
  EXPECT_FALSE(nan == nan);
  EXPECT_TRUE(nan != nan);
  EXPECT_FALSE(nan < one);
  EXPECT_FALSE(nan >= one);
  EXPECT_FALSE(nan == 0);
  // Large integers compare without first being rounded to float.
  EXPECT_FALSE(bfloat16_t(16777216) == 16777217);
  EXPECT_TRUE(bfloat16_t(16777216) < 16777217);
}

TEST(HalfTypes, Printing) {
  EXPECT_EQ(to_string(float16_t(1.5f)), "1.5");
  EXPECT_EQ(to_string(bfloat16_t(-2)), "-2");
  EXPECT_EQ(to_string(std::numeric_limits<float16_t>::infinity()), to_string(1.0f / 0.0f));
}

template <typename H>
void check_limits(uint16_t min, uint16_t max, uint16_t lowest, uint16_t eps, uint16_t inf,
                  uint16_t qnan) {
  using L = std::numeric_limits<H>;
  static_assert(L::is_specialized && L::is_signed && !L::is_integer && !L::is_exact);
  static_assert(L::has_infinity && L::has_quiet_NaN && L::radix == 2);
  EXPECT_EQ(L::min().bits(), min);
  EXPECT_EQ(L::max().bits(), max);
  EXPECT_EQ(L::lowest().bits(), lowest);
  EXPECT_EQ(L::epsilon().bits(), eps);
  EXPECT_EQ(L::infinity().bits(), inf);
  EXPECT_EQ(L::quiet_NaN().bits(), qnan);
  EXPECT_EQ(L::denorm_min().bits(), 0x0001);
  EXPECT_EQ(float(L::round_error()), 0.5f);
  EXPECT_TRUE(isnan(L::signaling_NaN()));
  EXPECT_EQ(float(L::epsilon()), std::ldexp(1.0f, 1 - L::digits));
  EXPECT_EQ(float(L::min()), std::ldexp(1.0f, L::min_exponent - 1));
  EXPECT_EQ(float(L::max()),
            std::ldexp(2.0f - std::ldexp(1.0f, 1 - L::digits), L::max_exponent - 1));
  EXPECT_EQ(L::digits10, int(std::floor((L::digits - 1) * std::log10(2.0))));
  EXPECT_EQ(L::max_digits10, int(std::ceil(L::digits * std::log10(2.0) + 1)));
  EXPECT_EQ(L::min_exponent10, int(std::ceil(std::log10(double(float(L::min()))))));
  EXPECT_EQ(L::max_exponent10, int(std::floor(std::log10(double(float(L::max()))))));
}

TEST(HalfTypes, NumericLimits) {
  check_limits<float16_t>(0x0400, 0x7BFF, 0xFBFF, 0x1400, 0x7C00, 0x7E00);
  check_limits<bfloat16_t>(0x0080, 0x7F7F, 0xFF7F, 0x3C00, 0x7F80, 0x7FC0);
  EXPECT_EQ(float(std::numeric_limits<float16_t>::max()), 65504.0f);
  EXPECT_EQ(float(std::numeric_limits<float16_t>::denorm_min()), 0x1p-24f);
  EXPECT_EQ(float(std::numeric_limits<bfloat16_t>::denorm_min()), 0x1p-133f);
  static_assert(std::numeric_limits<float16_t>::digits == 11);
  static_assert(std::numeric_limits<bfloat16_t>::digits == 8);
  static_assert(std::numeric_limits<float16_t>::is_iec559);
  static_assert(std::numeric_limits<const bfloat16_t>::max_exponent == 128);
}

// ---------------------------------------------------------------------------------------------
// complex64_t

static_assert(all_ops_are<complex64_t, complex64_t, complex64_t>());
static_assert(all_ops_are<complex64_t, float, complex64_t>());
static_assert(all_ops_are<complex64_t, double, complex64_t>());
static_assert(all_ops_are<complex64_t, int, complex64_t>());
static_assert(all_ops_are<complex64_t, bool, complex64_t>());
static_assert(all_ops_are<complex64_t, float16_t, complex64_t>());
static_assert(all_ops_are<complex64_t, bfloat16_t, complex64_t>());
static_assert(all_ops_are<complex64_t, std::complex<float>, complex64_t>());
static_assert(std::is_same_v<decltype(-complex64_t()), complex64_t>);
static_assert(std::is_convertible_v<float16_t, complex64_t>);
static_assert(std::is_convertible_v<std::complex<float>, complex64_t>);
static_assert(std::is_convertible_v<uint64_t, complex64_t>);
static_assert(!std::is_convertible_v<complex64_t, float>);

void expect_complex(const complex64_t& z, float re, float im) {
  EXPECT_EQ(z.real(), re);
  EXPECT_EQ(z.imag(), im);
}

TEST(Complex64, Construction) {
  expect_complex(complex64_t(), 0, 0);
  expect_complex(complex64_t(1.5f, -2.0f), 1.5f, -2.0f);
  expect_complex(complex64_t(std::complex<float>(3, 4)), 3, 4);
  expect_complex(complex64_t(2.5), 2.5f, 0);
  expect_complex(complex64_t(7), 7, 0);
  expect_complex(complex64_t(uint64_t(9)), 9, 0);
  expect_complex(complex64_t(true), 1, 0);
  expect_complex(complex64_t(float16_t(0.5f)), 0.5f, 0);
  expect_complex(complex64_t(bfloat16_t(-3)), -3, 0);
  const complex64_t z = 4;
  expect_complex(z, 4, 0);
}

TEST(Complex64, Arithmetic) {
  const complex64_t a(1, 2);
  const complex64_t b(3, 4);
  expect_complex(a + b, 4, 6);
  expect_complex(a - b, -2, -2);
  expect_complex(a * b, -5, 10);
  const complex64_t q = a / b;
  EXPECT_NEAR(q.real(), 0.44f, 1e-6f);
  EXPECT_NEAR(q.imag(), 0.08f, 1e-6f);
  expect_complex(-a, -1, -2);
  expect_complex(a * 2, 2, 4);
  expect_complex(2.0 * a, 2, 4);
  expect_complex(a + 1.5f, 2.5f, 2);
  expect_complex(1 - a, 0, -2);
  expect_complex(a * float16_t(0.5f), 0.5f, 1);
  expect_complex(bfloat16_t(2) + a, 3, 2);
  expect_complex(a / 2, 0.5f, 1);
  expect_complex(std::complex<float>(1, 1) * a, -1, 3);
  // Real operands are not widened to (x, 0), which would make inf * 0 appear.
  const float inf = std::numeric_limits<float>::infinity();
  expect_complex(complex64_t(inf, 0) * 2, inf, 0);
  expect_complex(2.0f * complex64_t(inf, 1), inf, 2);

  complex64_t c(1, 1);
  c += complex64_t(1, 2);
  expect_complex(c, 2, 3);
  c *= 2;
  expect_complex(c, 4, 6);
  c -= 1.0;
  expect_complex(c, 3, 6);
  c /= float16_t(3.0f);
  expect_complex(c, 1, 2);
  c *= std::complex<float>(0, 1);
  expect_complex(c, -2, 1);
}

TEST(Complex64, StdFunctions) {
  const complex64_t z(3, 4);
  EXPECT_EQ(std::abs(z), 5.0f);
  EXPECT_EQ(std::real(z), 3.0f);
  EXPECT_EQ(std::imag(z), 4.0f);
  expect_complex(complex64_t(std::conj(z)), 3, -4);
}

TEST(Complex64, Comparisons) {
  const complex64_t a(1, 2);
  EXPECT_TRUE(a == complex64_t(1, 2));
  EXPECT_FALSE(a != complex64_t(1, 2));
  EXPECT_TRUE(a != complex64_t(1, 3));
  EXPECT_TRUE(complex64_t(2) == 2);
  EXPECT_TRUE(2.0 == complex64_t(2));
  EXPECT_TRUE(complex64_t(2) == float16_t(2));
  EXPECT_FALSE(a == 1);
  EXPECT_TRUE(a == std::complex<float>(1, 2));
  // Ordering is lexicographic, real part first.
  EXPECT_TRUE(a < complex64_t(2, 0));
  EXPECT_TRUE(a < complex64_t(1, 3));
  EXPECT_TRUE(a > complex64_t(1, 1));
  EXPECT_TRUE(a >= a);
  EXPECT_TRUE(a <= 1.5);
  const complex64_t nan(std::nanf(""), 0);
  EXPECT_FALSE(nan == nan);
  EXPECT_FALSE(nan < a);
  EXPECT_FALSE(nan >= a);
}

TEST(Complex64, ConversionsOut) {
  const complex64_t z(2.75f, -1);
  EXPECT_EQ(static_cast<float>(z), 2.75f);
  EXPECT_EQ(static_cast<double>(z), 2.75);
  EXPECT_EQ(static_cast<int>(z), 2);
  EXPECT_EQ(static_cast<float16_t>(z).bits(), float16_t(2.75f).bits());
  EXPECT_TRUE(static_cast<bool>(complex64_t(0, 1)));
  EXPECT_FALSE(static_cast<bool>(complex64_t(0, 0)));
  const std::complex<float> s = z;
  EXPECT_EQ(s, std::complex<float>(2.75f, -1));
}

}  // namespace
