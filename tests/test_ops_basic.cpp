// The first op families: creation (arange, full, zeros, ones, *_like), astype, copy, add and
// multiply (with promotion and broadcasting), the view ops (reshape, broadcast_to,
// broadcast_arrays, slice), and iterating an array over its first axis.
#include <gtest/gtest.h>

#include "helpers.h"

#include <cmath>
#include <complex>
#include <cstdint>
#include <functional>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

std::string to_str(Dtype d) {
  std::ostringstream os;
  os << d;
  return os.str();
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

#define EXPECT_INVALID_PREFIX(stmt, prefix)                        \
  do {                                                             \
    EXPECT_THROW(stmt, std::invalid_argument);                     \
    auto msg_ = error_message([&] { stmt; });                      \
    EXPECT_TRUE(starts_with(msg_, prefix)) << "message: " << msg_; \
  } while (0)

std::vector<int32_t> iota(int32_t begin, int32_t end, int32_t step = 1) {
  std::vector<int32_t> v;
  for (int32_t x = begin; step > 0 ? x < end : x > end; x += step) {
    v.push_back(x);
  }
  return v;
}

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

}  // namespace

// ---------------------------------------------------------------------------------------------
// zeros, ones, full, *_like

TEST(OpsCreation, ZerosAndOnes) {
  expect_array<float>(zeros({2, 3}), {2, 3}, float32, std::vector<float>(6, 0.0f));
  expect_array<float>(ones({3}), {3}, float32, {1.0f, 1.0f, 1.0f});
  expect_array<int32_t>(zeros({2, 2}, int32), {2, 2}, int32, {0, 0, 0, 0});
  expect_array<int64_t>(ones({2}, int64), {2}, int64, {1, 1});
  expect_array<uint8_t>(ones({1, 2}, uint8), {1, 2}, uint8, {1, 1});
  expect_array<bool>(zeros({2}, bool_), {2}, bool_, {false, false});
  expect_array<bool>(ones({2}, bool_), {2}, bool_, {true, true});
  expect_array<double>(ones({2}, float64), {2}, float64, {1.0, 1.0});
  expect_array<float16_t>(ones({2}, float16), {2}, float16, {float16_t(1.0f), float16_t(1.0f)});
  expect_array<bfloat16_t>(zeros({1}, bfloat16), {1}, bfloat16, {bfloat16_t(0.0f)});
  expect_array<complex64_t>(ones({2}, complex64), {2}, complex64,
                            {complex64_t(1, 0), complex64_t(1, 0)});
  // 0-d and empty shapes.
  expect_array<float>(ones({}), {}, float32, {1.0f});
  expect_array<float>(zeros({0, 3}), {0, 3}, float32, {});
  expect_array<int32_t>(ones({3, 0}, int32), {3, 0}, int32, {});
}

TEST(OpsCreation, ZerosAndOnesAreContiguousNewBuffers) {
  auto a = ones({4, 5});
  a.eval();
  EXPECT_TRUE(a.flags().row_contiguous);
  EXPECT_EQ(a.strides(), (Strides{5, 1}));
  EXPECT_EQ(a.data_size(), 20u);
  EXPECT_EQ(a.offset(), 0);
}

TEST(OpsCreation, NegativeDimensions) {
  EXPECT_INVALID(zeros({2, -3}), "[full] Negative dimensions are not allowed, got shape (2,-3).");
  EXPECT_INVALID(ones({-1}), "[full] Negative dimensions are not allowed, got shape (-1).");
  EXPECT_INVALID(full({-2}, 1.0f), "[full] Negative dimensions are not allowed, got shape (-2).");
  EXPECT_INVALID(full({-2}, array(1), float32),
                 "[full] Negative dimensions are not allowed, got shape (-2).");
}

TEST(OpsCreation, FullWithScalar) {
  // The value's C++ type gives the dtype: int -> int32, float and double -> float32.
  expect_array<int32_t>(full({3}, 7), {3}, int32, {7, 7, 7});
  expect_array<float>(full({2}, 2.5), {2}, float32, {2.5f, 2.5f});
  expect_array<float>(full({2, 1}, 0.25f), {2, 1}, float32, {0.25f, 0.25f});
  expect_array<bool>(full({2}, true), {2}, bool_, {true, true});
  expect_array<int64_t>(full({1}, int64_t{1} << 40), {1}, int64, {int64_t{1} << 40});
  // With a dtype, the value is converted first (float -> int truncates).
  expect_array<int32_t>(full({3}, 2.9, int32), {3}, int32, {2, 2, 2});
  expect_array<int8_t>(full({2}, -3.7f, int8), {2}, int8, {-3, -3});
  expect_array<uint8_t>(full({2}, -1, uint8), {2}, uint8, {255, 255});
  expect_array<float16_t>(full({2}, 0.1f, float16), {2}, float16,
                          {float16_t(0.0999755859375f), float16_t(0.0999755859375f)});
  expect_array<bool>(full({2}, 0.5f, bool_), {2}, bool_, {true, true});
  // A double value with dtype float64 keeps its double precision.
  expect_array<double>(full({1}, 0.1, float64), {1}, float64, {0.1});
  expect_array<int32_t>(full({}, 4), {}, int32, {4});
  expect_array<int32_t>(full({0}, 4), {0}, int32, {});
}

TEST(OpsCreation, FullWithArray) {
  // The value array broadcasts to the shape and keeps its dtype.
  expect_array<int32_t>(full({2, 3}, array({1, 2, 3})), {2, 3}, int32, {1, 2, 3, 1, 2, 3});
  expect_array<int32_t>(full({2, 3}, array({1, 2}, {2, 1})), {2, 3}, int32, {1, 1, 1, 2, 2, 2});
  expect_array<float>(full({2, 2}, array(1.5f)), {2, 2}, float32, {1.5f, 1.5f, 1.5f, 1.5f});
  expect_array<int32_t>(full({2, 1, 2}, array({5, 6})), {2, 1, 2}, int32, {5, 6, 5, 6});
  // With a dtype the values are converted.
  expect_array<float>(full({2, 3}, array({1, 2, 3}), float32), {2, 3}, float32, {1, 2, 3, 1, 2, 3});
  expect_array<int32_t>(full({2}, array(3.75f), int32), {2}, int32, {3, 3});
  expect_array<float16_t>(full({1}, array(2049), float16), {1}, float16, {float16_t(2048.0f)});
  // A strided value array.
  auto evens = slice(array({0, 1, 2, 3, 4, 5}), {0}, {6}, {2});
  expect_array<int32_t>(full({2, 3}, evens), {2, 3}, int32, {0, 2, 4, 0, 2, 4});
  auto reversed = slice(array({0, 1, 2}), {2}, {-4}, {-1});
  expect_array<int32_t>(full({2, 3}, reversed), {2, 3}, int32, {2, 1, 0, 2, 1, 0});
  // The result owns a new row-contiguous buffer, even when the value is broadcast.
  auto v = array({1.0f, 2.0f});
  auto f = full({3, 2}, v);
  f.eval();
  v.eval();
  EXPECT_TRUE(f.flags().row_contiguous);
  EXPECT_EQ(f.data_size(), 6u);
  EXPECT_NE(f.data<float>(), v.data<float>());
}

TEST(OpsCreation, FullWithNonBroadcastableValue) {
  EXPECT_INVALID(full({2}, array({1, 2, 3})),
                 "[broadcast_to] Cannot broadcast an array of shape (3) to shape (2).");
  EXPECT_INVALID(full({3}, array({1, 2, 3}, {3, 1})),
                 "[broadcast_to] Cannot broadcast an array of shape (3,1) to shape (3).");
}

TEST(OpsCreation, ZerosLikeOnesLike) {
  auto a = array({1, 2, 3, 4, 5, 6}, {2, 3});
  expect_array<int32_t>(zeros_like(a), {2, 3}, int32, {0, 0, 0, 0, 0, 0});
  expect_array<int32_t>(ones_like(a), {2, 3}, int32, {1, 1, 1, 1, 1, 1});
  auto h = array({1.5f, 2.5f}, float16);
  expect_array<float16_t>(zeros_like(h), {2}, float16, {float16_t(0.0f), float16_t(0.0f)});
  expect_array<float16_t>(ones_like(h), {2}, float16, {float16_t(1.0f), float16_t(1.0f)});
  auto b = array({true, false});
  expect_array<bool>(ones_like(b), {2}, bool_, {true, true});
  expect_array<complex64_t>(zeros_like(array(complex64_t(1, 2))), {}, complex64,
                            {complex64_t(0, 0)});
  // The shape of a strided view, and of an empty array.
  auto s = slice(a, {0, 0}, {2, 3}, {1, 2});
  expect_array<int32_t>(ones_like(s), {2, 2}, int32, {1, 1, 1, 1});
  expect_array<float>(zeros_like(zeros({0, 4})), {0, 4}, float32, {});
}

// ---------------------------------------------------------------------------------------------
// arange

TEST(OpsArange, IntOverloads) {
  expect_array<int32_t>(arange(5), {5}, int32, {0, 1, 2, 3, 4});
  expect_array<int32_t>(arange(2, 7), {5}, int32, {2, 3, 4, 5, 6});
  expect_array<int32_t>(arange(1, 10, 3), {3}, int32, {1, 4, 7});
  expect_array<int32_t>(arange(10, 1, -3), {3}, int32, {10, 7, 4});
  expect_array<int32_t>(arange(-3, 3, 2), {3}, int32, {-3, -1, 1});
  expect_array<int32_t>(arange(0, -5, -1), {5}, int32, {0, -1, -2, -3, -4});
  // Empty ranges.
  expect_array<int32_t>(arange(0), {0}, int32, {});
  expect_array<int32_t>(arange(-4), {0}, int32, {});
  expect_array<int32_t>(arange(3, 3), {0}, int32, {});
  expect_array<int32_t>(arange(5, 2), {0}, int32, {});
  expect_array<int32_t>(arange(0, 5, -1), {0}, int32, {});
  // A step larger than the range gives the start alone.
  expect_array<int32_t>(arange(0, 5, 100), {1}, int32, {0});
}

TEST(OpsArange, DoubleOverloads) {
  expect_array<float>(arange(5.0), {5}, float32, {0, 1, 2, 3, 4});
  expect_array<float>(arange(2.0, 5.0), {3}, float32, {2, 3, 4});
  expect_array<float>(arange(0.0, 1.0, 0.25), {4}, float32, {0.0f, 0.25f, 0.5f, 0.75f});
  expect_array<float>(arange(1.0, -1.0, -0.5), {4}, float32, {1.0f, 0.5f, 0.0f, -0.5f});
  expect_array<float>(arange(5.0, 0.0, -1.5), {4}, float32, {5.0f, 3.5f, 2.0f, 0.5f});
  // The size is ceil((stop - start) / step).
  expect_array<float>(arange(0.5, 3.0), {3}, float32, {0.5f, 1.5f, 2.5f});
  expect_array<float>(arange(2.5), {3}, float32, {0.0f, 1.0f, 2.0f});
  // With a dtype.
  expect_array<int64_t>(arange(4.0, int64), {4}, int64, {0, 1, 2, 3});
  expect_array<double>(arange(1.0, 3.0, float64), {2}, float64, {1.0, 2.0});
  expect_array<double>(arange(0.0, 0.3, 0.1, float64), {3}, float64, {0.0, 0.1, 0.2});
  expect_array<uint8_t>(arange(2.0, 5.0, 1.0, uint8), {3}, uint8, {2, 3, 4});
  expect_array<int16_t>(arange(3.0, -3.0, -2.0, int16), {3}, int16, {3, 1, -1});
  expect_array<complex64_t>(arange(0.0, 2.0, complex64), {2}, complex64,
                            {complex64_t(0, 0), complex64_t(1, 0)});
  // Empty ranges.
  expect_array<float>(arange(0.0), {0}, float32, {});
  expect_array<float>(arange(1.0, 1.0), {0}, float32, {});
  expect_array<float>(arange(1.0, 0.0), {0}, float32, {});
  expect_array<float>(arange(0.0, 1.0, -0.1), {0}, float32, {});
  expect_array<float16_t>(arange(0.0, -1.0, 0.5, float16), {0}, float16, {});
  // Far more (negative) elements than an int holds is still just an empty range.
  expect_array<float>(arange(0.0, 1e10, -1.0), {0}, float32, {});
  expect_array<float>(arange(0.0, 1e300, -1e-300), {0}, float32, {});
}

TEST(OpsArange, InfiniteStep) {
  // As in NumPy and MLX: an infinite step in the direction of stop gives [start]; the other way
  // the range is empty.
  expect_array<float>(arange(0.0, 10.0, static_cast<double>(kInf)), {1}, float32, {0.0f});
  expect_array<float>(arange(3.0, -10.0, -static_cast<double>(kInf)), {1}, float32, {3.0f});
  expect_array<float>(arange(0.0, 10.0, -static_cast<double>(kInf)), {0}, float32, {});
  expect_array<float>(arange(2.0, 2.0, static_cast<double>(kInf)), {0}, float32, {});
}

TEST(OpsArange, FloatDtypesAccumulateInTheOutputType) {
  // Part E: float dtypes are filled by repeated addition of T(start + step) - T(start) in the
  // output dtype, so low-precision types drift. The expected values were computed by simulating
  // that recurrence with correctly rounded float16 / bfloat16 / float32 additions.
  std::vector<float16_t> h;
  for (float v : {0.0f, 0.0999755859375f, 0.199951171875f, 0.2998046875f, 0.39990234375f, 0.5f,
                  0.60009765625f, 0.7001953125f, 0.80029296875f, 0.900390625f}) {
    h.push_back(float16_t(v));
  }
  expect_array<float16_t>(arange(0.0, 1.0, 0.1, float16), {10}, float16, h);
  // (Direct rounding would give 0.300048828125 for the fourth element, not 0.2998046875.)

  std::vector<bfloat16_t> bf;
  for (float v : {0.0f, 0.10009765625f, 0.2001953125f, 0.30078125f, 0.400390625f, 0.5f, 0.6015625f,
                  0.703125f, 0.8046875f, 0.90625f}) {
    bf.push_back(bfloat16_t(v));
  }
  expect_array<bfloat16_t>(arange(0.0, 1.0, 0.1, bfloat16), {10}, bfloat16, bf);

  // 1000 float16 steps of 0.1 end far from 99.9.
  auto long_range = arange(0.0, 100.0, 0.1, float16);
  ASSERT_EQ(long_range.shape(), Shape{1000});
  auto lv = values<float16_t>(long_range);
  EXPECT_EQ(static_cast<float>(lv[995]), 104.5625f);
  EXPECT_EQ(static_cast<float>(lv[999]), 105.0625f);

  // Above 2048 float16 cannot represent odd integers: T(2049) - T(2048) is 0, so the range is
  // constant.
  expect_array<float16_t>(arange(2048.0, 2060.0, 1.0, float16), {12}, float16,
                          std::vector<float16_t>(12, float16_t(2048.0f)));

  // float32 drifts too: the tenth element of 0, 0.1, ... is 0.90000010, not 0.9f.
  auto f = values<float>(arange(0.0, 1.0, 0.1));
  ASSERT_EQ(f.size(), 10u);
  EXPECT_EQ(f[9], 0.9000000953674316f);
  EXPECT_NE(f[9], 0.9f);
}

TEST(OpsArange, IntegerDtypesStepInTheOutputType) {
  // Part E: with an integer dtype the step is T(start + step) - T(start).
  expect_array<int32_t>(arange(0.5, 5.0, 1.5, int32), {3}, int32, {0, 2, 4});
  expect_array<int32_t>(arange(0.0, 3.0, 0.5, int32), {6}, int32, {0, 0, 0, 0, 0, 0});
  expect_array<int32_t>(arange(10.0, 0.0, -2.5, int32), {4}, int32, {10, 7, 4, 1});
  expect_array<uint8_t>(arange(10.0, 0.0, -3.0, uint8), {4}, uint8, {10, 7, 4, 1});
  expect_array<int64_t>(arange(-1.5, 2.0, 1.0, int64), {4}, int64, {-1, 0, 1, 2});
  // Values past the type's range wrap as the type's arithmetic does.
  expect_array<uint8_t>(arange(252.0, 258.0, 1.0, uint8), {6}, uint8, {252, 253, 254, 255, 0, 1});
  expect_array<int8_t>(arange(125.0, 129.0, 1.0, int8), {4}, int8, {125, 126, 127, -128});
}

TEST(OpsArange, Errors) {
  EXPECT_INVALID(arange(0.0, 5.0, 1.0, bool_), "[arange] Cannot use dtype bool.");
  EXPECT_INVALID(arange(5.0, bool_), "[arange] Cannot use dtype bool.");
  EXPECT_INVALID(arange(0.0, 10.0, 0.0), "[arange] Cannot compute the length of arange(0, 10, 0).");
  EXPECT_INVALID(arange(0, 10, 0), "[arange] Cannot compute the length of arange(0, 10, 0).");
  EXPECT_INVALID(arange(3, 3, 0), "[arange] Cannot compute the length of arange(3, 3, 0).");
  EXPECT_INVALID(arange(static_cast<double>(kNaN)),
                 "[arange] Cannot compute the length of arange(0, nan, 1).");
  EXPECT_INVALID(arange(static_cast<double>(kNaN), 1.0),
                 "[arange] Cannot compute the length of arange(nan, 1, 1).");
  EXPECT_INVALID(arange(0.0, 1.0, static_cast<double>(kNaN)),
                 "[arange] Cannot compute the length of arange(0, 1, nan).");
  EXPECT_INVALID(arange(static_cast<double>(kInf)),
                 "[arange] Cannot compute the length of arange(0, inf, 1).");
  EXPECT_INVALID(arange(-static_cast<double>(kInf), 0.0),
                 "[arange] Cannot compute the length of arange(-inf, 0, 1).");
  EXPECT_INVALID(arange(0.0, 3e9),
                 "[arange] arange(0, 3e+09, 1) has 3e+09 elements, more than the maximum of "
                 "2147483647.");
  EXPECT_INVALID_PREFIX(arange(0.0, 1.0, 1e-12, float16), "[arange] arange(0, 1, 1e-12) has ");
  EXPECT_INVALID_PREFIX(arange(-2000000000, 2000000000), "[arange] arange(-2e+09, 2e+09, 1) has ");
}

// ---------------------------------------------------------------------------------------------
// astype

TEST(OpsAstype, SameDtypeReturnsTheSameArray) {
  auto a = array({1.0f, 2.0f});
  EXPECT_EQ(astype(a, float32).id(), a.id());
  auto b = array({1, 2});
  EXPECT_NE(astype(b, int64).id(), b.id());
}

TEST(OpsAstype, IntegerConversions) {
  auto a = array({-1, 0, 1, 127, 128, 255, 256, 300, -129});
  expect_array<uint8_t>(astype(a, uint8), {9}, uint8, {255, 0, 1, 127, 128, 255, 0, 44, 127});
  expect_array<int8_t>(astype(a, int8), {9}, int8, {-1, 0, 1, 127, -128, -1, 0, 44, 127});
  expect_array<int64_t>(astype(a, int64), {9}, int64, {-1, 0, 1, 127, 128, 255, 256, 300, -129});
  expect_array<uint32_t>(astype(array({-1, 7}), uint32), {2}, uint32, {4294967295u, 7u});
  expect_array<uint16_t>(astype(array({70000, -2}), uint16), {2}, uint16, {4464, 65534});
  auto big = array({int64_t{1} << 32 | 5, -(int64_t{1} << 33)}, int64);
  expect_array<int32_t>(astype(big, int32), {2}, int32, {5, 0});
  expect_array<int16_t>(astype(array({uint8_t{200}}, uint8), int16), {1}, int16, {200});
  expect_array<int8_t>(astype(array({uint8_t{200}}, uint8), int8), {1}, int8, {-56});
  expect_array<int64_t>(astype(array({uint64_t{18446744073709551615ull}}, uint64), int64), {1},
                        int64, {-1});
}

TEST(OpsAstype, FloatToInteger) {
  // Truncation toward zero.
  auto a = array({2.9f, -2.9f, 0.5f, -0.5f, 100.0f});
  expect_array<int32_t>(astype(a, int32), {5}, int32, {2, -2, 0, 0, 100});
  expect_array<int64_t>(astype(a, int64), {5}, int64, {2, -2, 0, 0, 100});
  // Negative floats into unsigned types wrap like the integer value would: -1.0 -> 255.
  expect_array<uint8_t>(astype(array({-1.0f, -2.5f, 300.7f}), uint8), {3}, uint8, {255, 254, 44});
  expect_array<uint32_t>(astype(array({-1.0f}), uint32), {1}, uint32, {4294967295u});
  // NaN becomes 0.
  expect_array<int32_t>(astype(array({kNaN}), int32), {1}, int32, {0});
  expect_array<uint8_t>(astype(array({kNaN}), uint8), {1}, uint8, {0});
  expect_array<int64_t>(astype(array({kNaN}), int64), {1}, int64, {0});
  // Huge values (and infinities): the float first saturates at the int64 bounds, then that int64
  // wraps into the target type. So +1e20 -> INT64_MAX (int32 -1, uint8 255) and -1e20 ->
  // INT64_MIN (int32 0, uint64 2^63); uint64 saturates at its own maximum instead.
  auto huge = array({1e20f, -1e20f, kInf, -kInf});
  expect_array<int64_t>(astype(huge, int64), {4}, int64,
                        {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(),
                         std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()});
  expect_array<int32_t>(astype(huge, int32), {4}, int32, {-1, 0, -1, 0});
  expect_array<uint8_t>(astype(huge, uint8), {4}, uint8, {255, 0, 255, 0});
  expect_array<uint64_t>(astype(huge, uint64), {4}, uint64,
                         {std::numeric_limits<uint64_t>::max(), uint64_t{1} << 63,
                          std::numeric_limits<uint64_t>::max(), uint64_t{1} << 63});
  // Large but in range for uint64 (beyond int64).
  expect_array<uint64_t>(astype(array({1e19}, float64), uint64), {1}, uint64,
                         {10000000000000000000ull});
  // From half types.
  expect_array<int32_t>(astype(array({-3.75f, 65504.0f}, float16), int32), {2}, int32, {-3, 65504});
  expect_array<int16_t>(astype(array({-7.9f}, bfloat16), int16), {1}, int16, {-7});
}

TEST(OpsAstype, IntegerToFloat) {
  expect_array<float>(astype(array({1, -2, 16777217}), float32), {3}, float32,
                      {1.0f, -2.0f, 16777216.0f});
  expect_array<double>(astype(array({int64_t{9007199254740993}}, int64), float64), {1}, float64,
                       {9007199254740992.0});
  expect_array<float>(astype(array({uint64_t{18446744073709551615ull}}, uint64), float32), {1},
                      float32, {18446744073709551616.0f});
  expect_array<float16_t>(
      astype(array({2049, 65504, 65520, -70000}), float16), {4}, float16,
      {float16_t(2048.0f), float16_t(65504.0f), float16_t(kInf), float16_t(-kInf)});
  expect_array<bfloat16_t>(astype(array({257, 259}), bfloat16), {2}, bfloat16,
                           {bfloat16_t(256.0f), bfloat16_t(260.0f)});
}

TEST(OpsAstype, FloatToFloat) {
  // float32 -> float16 rounds to nearest, ties to even.
  auto a = array({1.0f + 0x1p-11f, 1.0f + 3 * 0x1p-11f, 1.0f / 3.0f, 65519.0f, 65520.0f, 1e-8f});
  expect_array<float16_t>(astype(a, float16), {6}, float16,
                          {float16_t(1.0f), float16_t(1.001953125f), float16_t(0.333251953125f),
                           float16_t(65504.0f), float16_t(kInf), float16_t(0.0f)});
  // float32 -> bfloat16 likewise.
  auto b = array({1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, 1.0f / 3.0f, 3.14159f, 1e30f});
  auto bv = values<bfloat16_t>(astype(b, bfloat16));
  ASSERT_EQ(bv.size(), 5u);
  EXPECT_EQ(static_cast<float>(bv[0]), 1.0f);
  EXPECT_EQ(static_cast<float>(bv[1]), 1.015625f);
  EXPECT_EQ(static_cast<float>(bv[2]), 0.333984375f);
  EXPECT_EQ(static_cast<float>(bv[3]), 3.140625f);
  EXPECT_EQ(static_cast<float>(bv[4]), 1.0002555517425873e30f);
  // Half to half goes through float.
  expect_array<float16_t>(astype(array({3.14159f}, bfloat16), float16), {1}, float16,
                          {float16_t(3.140625f)});
  expect_array<bfloat16_t>(astype(array({0.1f}, float16), bfloat16), {1}, bfloat16,
                           {bfloat16_t(0.10009765625f)});
  // float64 rounds to the half types directly, not through float32 (which would round
  // 1 + 2^-11 + 2^-40 to the tie 1 + 2^-11 first, and that to even, 1).
  expect_array<float16_t>(astype(array({1.0 + 0x1p-11 + 0x1p-40}, float64), float16), {1}, float16,
                          {float16_t(1.0009765625f)});
  expect_array<bfloat16_t>(astype(array({1.0 + 0x1p-8 + 0x1p-40}, float64), bfloat16), {1},
                           bfloat16, {bfloat16_t(1.0078125f)});
  // float64 <-> float32.
  expect_array<float>(astype(array({0.1, 1e40, -1e-50}, float64), float32), {3}, float32,
                      {0.1f, kInf, -0.0f});
  expect_array<double>(astype(array({0.1f}), float64), {1}, float64, {static_cast<double>(0.1f)});
  // NaN and infinities survive.
  auto nan_inf = values<float16_t>(astype(array({kNaN, kInf, -kInf}), float16));
  EXPECT_TRUE(std::isnan(static_cast<float>(nan_inf[0])));
  EXPECT_EQ(static_cast<float>(nan_inf[1]), kInf);
  EXPECT_EQ(static_cast<float>(nan_inf[2]), -kInf);
}

TEST(OpsAstype, BoolConversions) {
  // Anything nonzero (NaN included) is true; -0.0 is false.
  expect_array<bool>(astype(array({0.0f, -0.0f, 0.5f, -2.0f, kNaN, kInf}), bool_), {6}, bool_,
                     {false, false, true, true, true, true});
  expect_array<bool>(astype(array({0, 1, -1, 256}), bool_), {4}, bool_, {false, true, true, true});
  expect_array<bool>(astype(array({uint8_t{0}, uint8_t{2}}, uint8), bool_), {2}, bool_,
                     {false, true});
  expect_array<bool>(astype(array({0.0f, 0.25f}, float16), bool_), {2}, bool_, {false, true});
  // A complex value is true if either part is nonzero.
  expect_array<bool>(astype(array({complex64_t(0, 0), complex64_t(0, 1), complex64_t(2, 0),
                                   complex64_t(-0.0f, 0)}),
                            bool_),
                     {4}, bool_, {false, true, true, false});
  // From bool: 0 or 1.
  auto t = array({true, false, true});
  expect_array<int32_t>(astype(t, int32), {3}, int32, {1, 0, 1});
  expect_array<uint8_t>(astype(t, uint8), {3}, uint8, {1, 0, 1});
  expect_array<float>(astype(t, float32), {3}, float32, {1.0f, 0.0f, 1.0f});
  expect_array<float16_t>(astype(t, float16), {3}, float16,
                          {float16_t(1.0f), float16_t(0.0f), float16_t(1.0f)});
  expect_array<complex64_t>(astype(t, complex64), {3}, complex64,
                            {complex64_t(1, 0), complex64_t(0, 0), complex64_t(1, 0)});
}

TEST(OpsAstype, ComplexConversions) {
  auto c = array({complex64_t(1.5f, 2.0f), complex64_t(-2.75f, -1.0f), complex64_t(0, 7)});
  // Complex to real keeps the real part.
  expect_array<float>(astype(c, float32), {3}, float32, {1.5f, -2.75f, 0.0f});
  expect_array<double>(astype(c, float64), {3}, float64, {1.5, -2.75, 0.0});
  expect_array<int32_t>(astype(c, int32), {3}, int32, {1, -2, 0});
  expect_array<float16_t>(astype(c, float16), {3}, float16,
                          {float16_t(1.5f), float16_t(-2.75f), float16_t(0.0f)});
  // Real to complex has a zero imaginary part.
  expect_array<complex64_t>(astype(array({1, -3}), complex64), {2}, complex64,
                            {complex64_t(1, 0), complex64_t(-3, 0)});
  expect_array<complex64_t>(astype(array({0.5f}, bfloat16), complex64), {1}, complex64,
                            {complex64_t(0.5f, 0)});
  expect_array<complex64_t>(astype(array({0.1}, float64), complex64), {1}, complex64,
                            {complex64_t(0.1f, 0)});
}

TEST(OpsAstype, StridedAndBroadcastInputs) {
  auto a = array({0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f}, {2, 3});
  // Every other column, reversed rows.
  auto s = slice(a, {1, 0}, {-3, 3}, {-1, 2});
  expect_array<int32_t>(astype(s, int32), {2, 2}, int32, {3, 5, 0, 2});
  auto b = broadcast_to(array({1.25f, -1.25f}), {3, 2});
  expect_array<int32_t>(astype(b, int32), {3, 2}, int32, {1, -1, 1, -1, 1, -1});
  expect_array<double>(astype(broadcast_to(array(2.0f), {2, 2}), float64), {2, 2}, float64,
                       {2.0, 2.0, 2.0, 2.0});
  // The result is row contiguous.
  auto r = astype(s, int32);
  r.eval();
  EXPECT_TRUE(r.flags().row_contiguous);
  expect_array<float>(astype(zeros({0, 2}, int32), float32), {0, 2}, float32, {});
}

TEST(OpsAstype, LargeInput) {
  int n = 1 << 20;
  auto a = astype(arange(n), float32);
  auto v = values<float>(a);
  ASSERT_EQ(v.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(v[i], static_cast<float>(i)) << "at " << i;
  }
  // Strided, large.
  auto rev = astype(slice(arange(2 * n), {2 * n - 1}, {-2 * n - 1}, {-2}), int64);
  auto rv = values<int64_t>(rev);
  ASSERT_EQ(rv.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(rv[i], 2 * n - 1 - 2 * i) << "at " << i;
  }
}

// ---------------------------------------------------------------------------------------------
// add, multiply

TEST(OpsBinary, AddMultiplyValues) {
  auto a = array({1, 2, 3});
  auto b = array({10, 20, 30});
  expect_array<int32_t>(add(a, b), {3}, int32, {11, 22, 33});
  expect_array<int32_t>(a + b, {3}, int32, {11, 22, 33});
  expect_array<int32_t>(multiply(a, b), {3}, int32, {10, 40, 90});
  expect_array<int32_t>(a * b, {3}, int32, {10, 40, 90});
  auto x = array({0.5f, -1.5f});
  auto y = array({0.25f, 2.0f});
  expect_array<float>(x + y, {2}, float32, {0.75f, 0.5f});
  expect_array<float>(x * y, {2}, float32, {0.125f, -3.0f});
  expect_array<double>(array({0.1}, float64) + array({0.2}, float64), {1}, float64, {0.1 + 0.2});
  auto c = array({complex64_t(1, 2), complex64_t(0, 1)});
  auto d = array({complex64_t(3, 4), complex64_t(0, 1)});
  expect_array<complex64_t>(c + d, {2}, complex64, {complex64_t(4, 6), complex64_t(0, 2)});
  expect_array<complex64_t>(c * d, {2}, complex64, {complex64_t(-5, 10), complex64_t(-1, 0)});
  // Half types compute in their own type: 2048 + 1 rounds back to 2048 in float16.
  expect_array<float16_t>(array({2048.0f, 0.5f}, float16) + array({1.0f, 0.25f}, float16), {2},
                          float16, {float16_t(2048.0f), float16_t(0.75f)});
  expect_array<bfloat16_t>(array({256.0f}, bfloat16) + array({1.0f}, bfloat16), {1}, bfloat16,
                           {bfloat16_t(256.0f)});
  expect_array<float16_t>(array({300.0f}, float16) * array({300.0f}, float16), {1}, float16,
                          {float16_t(kInf)});
  // IEEE specials.
  auto s = values<float>(array({kInf, kInf, 0.0f}) * array({0.0f, -1.0f, kNaN}));
  EXPECT_TRUE(std::isnan(s[0]));
  EXPECT_EQ(s[1], -kInf);
  EXPECT_TRUE(std::isnan(s[2]));
  expect_array<float>(array({kInf}) + array({1.0f}), {1}, float32, {kInf});
}

TEST(OpsBinary, Scalars) {
  auto a = array({1, 2, 3});
  expect_array<int32_t>(a + 1, {3}, int32, {2, 3, 4});
  expect_array<int32_t>(1 + a, {3}, int32, {2, 3, 4});
  expect_array<int32_t>(a * 3, {3}, int32, {3, 6, 9});
  expect_array<int32_t>(3 * a, {3}, int32, {3, 6, 9});
  // A float scalar makes an int array float32.
  expect_array<float>(a + 0.5f, {3}, float32, {1.5f, 2.5f, 3.5f});
  expect_array<float>(a * 0.5, {3}, float32, {0.5f, 1.0f, 1.5f});
  expect_array<float>(0.5 * a, {3}, float32, {0.5f, 1.0f, 1.5f});
  // Two 0-d arrays make a 0-d array.
  expect_array<int32_t>(array(2) * array(21), {}, int32, {42});
  expect_array<float>(array(1.5f) + 2, {}, float32, {3.5f});
}

TEST(OpsBinary, PromotionWithScalars) {
  // Part E: C++ scalars are not weakly typed. An int is int32, a float or double float32.
  auto i8 = array({int8_t{100}, int8_t{-100}}, int8);
  expect_array<int32_t>(i8 + 100, {2}, int32, {200, 0});
  expect_array<int32_t>(i8 * 2, {2}, int32, {200, -200});
  auto u32 = array({4294967295u, 0u}, uint32);
  expect_array<int64_t>(u32 + 1, {2}, int64, {4294967296, 1});
  auto u64 = array({uint64_t{18446744073709551615ull}, uint64_t{2}}, uint64);
  expect_array<float>(u64 + 1, {2}, float32, {18446744073709551616.0f, 3.0f});
  auto f16 = array({1.5f, 0.1f}, float16);
  expect_array<float>(f16 * 2.0f, {2}, float32, {3.0f, 2.0f * 0.0999755859375f});
  expect_array<float>(f16 + 1.0, {2}, float32, {2.5f, 1.0f + 0.0999755859375f});
  expect_array<float16_t>(f16 * array(2.0f, float16), {2}, float16,
                          {float16_t(3.0f), float16_t(0.199951171875f)});
  auto b = array({true, false});
  expect_array<int32_t>(b + 1, {2}, int32, {2, 1});
  expect_array<float>(b * 2.5f, {2}, float32, {2.5f, 0.0f});
  auto u8 = array({uint8_t{250}}, uint8);
  expect_array<int32_t>(u8 + 10, {1}, int32, {260});
  // A float64 array stays float64 with a float scalar (the scalar is float32).
  expect_array<double>(array({0.1}, float64) + 0.2, {1}, float64,
                       {0.1 + static_cast<double>(0.2f)});
  expect_array<complex64_t>(array({complex64_t(1, 1)}) * 2, {1}, complex64, {complex64_t(2, 2)});
}

TEST(OpsBinary, PromotionBetweenArrays) {
  auto i8 = array({int8_t{-1}}, int8);
  auto u8 = array({uint8_t{255}}, uint8);
  expect_array<int16_t>(i8 + u8, {1}, int16, {254});
  expect_array<int64_t>(array({-1}) + array({4294967295u}, uint32), {1}, int64, {4294967294});
  expect_array<float>(array({int64_t{-1}}, int64) + array({uint64_t{3}}, uint64), {1}, float32,
                      {2.0f});
  expect_array<float>(array({1.5f}, float16) + array({0.25f}, bfloat16), {1}, float32, {1.75f});
  expect_array<float16_t>(array({7}) * array({0.5f}, float16), {1}, float16, {float16_t(3.5f)});
  expect_array<complex64_t>(array({2.0}, float64) * array({complex64_t(1, -1)}), {1}, complex64,
                            {complex64_t(2, -2)});
  expect_array<double>(array({1.0f}, float16) + array({0.5}, float64), {1}, float64, {1.5});
  expect_array<uint16_t>(array({uint8_t{200}}, uint8) * array({uint16_t{300}}, uint16), {1}, uint16,
                         {60000});
}

TEST(OpsBinary, BoolArithmetic) {
  auto a = array({true, true, false, false});
  auto b = array({true, false, true, false});
  // bool + bool is logical or, bool * bool is logical and; the result stays bool.
  expect_array<bool>(a + b, {4}, bool_, {true, true, true, false});
  expect_array<bool>(a * b, {4}, bool_, {true, false, false, false});
  expect_array<bool>(a + array(false), {4}, bool_, {true, true, false, false});
  expect_array<bool>(array(true) * b, {4}, bool_, {true, false, true, false});
  // Mixed with ints they are 0 and 1.
  expect_array<int32_t>(a + array({1, 1, 1, 1}), {4}, int32, {2, 2, 1, 1});
  expect_array<uint8_t>(a * array({uint8_t{7}}, uint8), {4}, uint8, {7, 7, 0, 0});
}

TEST(OpsBinary, IntegerOverflowWraps) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  expect_array<int32_t>(array({kMax}) + 1, {1}, int32, {kMin});
  expect_array<int32_t>(array({kMin}) + array({-1}), {1}, int32, {kMax});
  expect_array<int32_t>(array({65536}) * array({65536}), {1}, int32, {0});
  expect_array<int32_t>(array({kMax}) * 2, {1}, int32, {-2});
  expect_array<int32_t>(array({kMin}) * array({-1}), {1}, int32, {kMin});
  constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();
  expect_array<int64_t>(array({kMax64}, int64) + array({int64_t{1}}, int64), {1}, int64,
                        {std::numeric_limits<int64_t>::min()});
  expect_array<int64_t>(array({int64_t{1} << 62}, int64) * array({int64_t{4}}, int64), {1}, int64,
                        {0});
  expect_array<int8_t>(array({int8_t{100}}, int8) + array({int8_t{100}}, int8), {1}, int8, {-56});
  expect_array<int16_t>(array({int16_t{300}}, int16) * array({int16_t{300}}, int16), {1}, int16,
                        {24464});
  expect_array<uint8_t>(array({uint8_t{200}}, uint8) + array({uint8_t{100}}, uint8), {1}, uint8,
                        {44});
  expect_array<uint8_t>(array({uint8_t{16}}, uint8) * array({uint8_t{16}}, uint8), {1}, uint8, {0});
  expect_array<uint16_t>(array({uint16_t{65535}}, uint16) * array({uint16_t{65535}}, uint16), {1},
                         uint16, {1});
  expect_array<uint32_t>(array({4294967295u}, uint32) + array({2u}, uint32), {1}, uint32, {1u});
  expect_array<uint64_t>(
      array({std::numeric_limits<uint64_t>::max()}, uint64) + array({uint64_t{1}}, uint64), {1},
      uint64, {0});
}

TEST(OpsBinary, Broadcasting) {
  auto col = array({1, 2, 3}, {3, 1});
  auto row = array({10, 20, 30, 40}, {1, 4});
  // Both sides broadcast.
  expect_array<int32_t>(col + row, {3, 4}, int32, {11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43});
  expect_array<int32_t>(row * col, {3, 4}, int32,
                        {10, 20, 30, 40, 20, 40, 60, 80, 30, 60, 90, 120});
  // Different ranks: (4,1,3) + (2,1) -> (4,2,3).
  auto a = reshape(arange(12), {4, 1, 3});
  auto b = array({0, 100}, {2, 1});
  auto ab = a + b;
  std::vector<int32_t> expected;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 2; ++j) {
      for (int k = 0; k < 3; ++k) {
        expected.push_back(i * 3 + k + j * 100);
      }
    }
  }
  expect_array<int32_t>(ab, {4, 2, 3}, int32, expected);
  expect_array<int32_t>(b + a, {4, 2, 3}, int32, expected);
  // A 1-D array along the last axis and a 0-d array everywhere.
  expect_array<int32_t>(array({1, 2, 3, 4, 5, 6}, {2, 3}) * array({1, 0, -1}), {2, 3}, int32,
                        {1, 0, -3, 4, 0, -6});
  expect_array<float>(array(2.0f) * array({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2}), {2, 2}, float32,
                      {2, 4, 6, 8});
  // Empty dims.
  expect_array<int32_t>(zeros({0, 3}, int32) + array({1, 2, 3}), {0, 3}, int32, {});
  expect_array<int32_t>(zeros({2, 0}, int32) + ones({2, 1}, int32), {2, 0}, int32, {});
  expect_array<float>(zeros({0}) * array(5.0f), {0}, float32, {});
  expect_array<float>(ones({1, 0}) + ones({3, 1}), {3, 0}, float32, {});
}

TEST(OpsBinary, ShapeErrors) {
  auto a = ones({2, 3});
  auto b = ones({3, 2});
  EXPECT_INVALID(add(a, b), "[add] Shapes (2,3) and (3,2) cannot be broadcast.");
  EXPECT_INVALID(a + b, "[add] Shapes (2,3) and (3,2) cannot be broadcast.");
  EXPECT_INVALID(multiply(a, b), "[multiply] Shapes (2,3) and (3,2) cannot be broadcast.");
  EXPECT_INVALID(a * b, "[multiply] Shapes (2,3) and (3,2) cannot be broadcast.");
  EXPECT_INVALID(ones({3}) + ones({4}), "[add] Shapes (3) and (4) cannot be broadcast.");
  EXPECT_INVALID(ones({0}) * ones({2}), "[multiply] Shapes (0) and (2) cannot be broadcast.");
  EXPECT_INVALID(ones({2, 1, 3}) + ones({4, 2}),
                 "[add] Shapes (2,1,3) and (4,2) cannot be broadcast.");
}

TEST(OpsBinary, StridedInputs) {
  auto x = arange(20);
  // x[1::3] and x[::-3] from the end.
  auto a = slice(x, {1}, {20}, {3});
  auto b = slice(x, {19}, {-21}, {-3});
  expect_array<int32_t>(a, {7}, int32, {1, 4, 7, 10, 13, 16, 19});
  expect_array<int32_t>(b, {7}, int32, {19, 16, 13, 10, 7, 4, 1});
  expect_array<int32_t>(a + b, {7}, int32, {20, 20, 20, 20, 20, 20, 20});
  expect_array<int32_t>(a * b, {7}, int32, {19, 64, 91, 100, 91, 64, 19});
  // 2-D: every other row and column of a 6x8 array, against a broadcast row and a reversed
  // column.
  auto m = reshape(arange(48), {6, 8});
  auto sm = slice(m, {0, 1}, {6, 8}, {2, 2});  // rows 0,2,4; cols 1,3,5,7
  auto r = broadcast_to(array({1000, 2000, 3000, 4000}), {3, 4});
  std::vector<int32_t> expected;
  for (int i : {0, 2, 4}) {
    for (int j : {1, 3, 5, 7}) {
      expected.push_back(i * 8 + j + 1000 * ((j + 1) / 2));
    }
  }
  expect_array<int32_t>(sm + r, {3, 4}, int32, expected);
  auto rc = slice(array({1, 2, 3}, {3, 1}), {2, 0}, {-4, 1}, {-1, 1});  // [[3],[2],[1]]
  expected.clear();
  for (int i : {0, 2, 4}) {
    for (int j : {1, 3, 5, 7}) {
      expected.push_back((i * 8 + j) * (3 - i / 2));
    }
  }
  expect_array<int32_t>(sm * rc, {3, 4}, int32, expected);
  // A column slice (not row contiguous) times itself reversed along both axes.
  auto c = slice(m, {0, 6}, {6, 8});              // cols 6, 7
  auto cr = slice(m, {5, 7}, {-7, 5}, {-1, -1});  // rows 5..0, cols 7, 6
  expected.clear();
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 2; ++j) {
      expected.push_back((i * 8 + 6 + j) + ((5 - i) * 8 + 7 - j));
    }
  }
  expect_array<int32_t>(c + cr, {6, 2}, int32, expected);
  // Broadcast views on both sides, with a type conversion.
  auto p = broadcast_to(array({1.5f, 2.5f}, {2, 1}), {2, 3});
  auto q = broadcast_to(array({1, 2, 3}), {2, 3});
  expect_array<float>(p * q, {2, 3}, float32, {1.5f, 3.0f, 4.5f, 2.5f, 5.0f, 7.5f});
  expect_array<float>(p + q, {2, 3}, float32, {2.5f, 3.5f, 4.5f, 3.5f, 4.5f, 5.5f});
  // A size-1 slice from the middle behaves as a scalar.
  auto one = slice(x, {7}, {8});
  expect_array<int32_t>(one * a, {7}, int32, {7, 28, 49, 70, 91, 112, 133});
}

TEST(OpsBinary, LargeInputs) {
  // Large enough to be split over the thread pool.
  int n = 1 << 20;
  auto a = arange(n);
  auto sum = a + a * 3;
  auto v = values<int32_t>(sum);
  ASSERT_EQ(v.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(v[i], 4 * i) << "at " << i;
  }
  // Large with a scalar on either side.
  auto f = values<float>(1.0f + astype(a, float32) * 0.5f);
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(f[i], 1.0f + 0.5f * static_cast<float>(i)) << "at " << i;
  }
  // Large strided: the even elements of 2n plus the odd ones reversed.
  auto big = arange(2 * n);
  auto evens = slice(big, {0}, {2 * n}, {2});
  auto odds_rev = slice(big, {2 * n - 1}, {-2 * n - 1}, {-2});
  auto s = values<int32_t>(evens + odds_rev);
  ASSERT_EQ(s.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(s[i], 2 * i + (2 * n - 1 - 2 * i)) << "at " << i;
  }
  // Large with both sides broadcast: (1024,1) * 1024 + (1,1024).
  auto rows = reshape(arange(1024), {1024, 1}) * 1024;
  auto cols = reshape(arange(1024), {1, 1024});
  auto grid = values<int32_t>(rows + cols);
  ASSERT_EQ(grid.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(grid[i], i) << "at " << i;
  }
  // Large non-contiguous 2-D: a transposed-like column view (every other column).
  auto m = reshape(arange(2 * n), {1024, 2048});
  auto every_other = slice(m, {0, 1}, {1024, 2048}, {1, 2});
  auto e = values<int32_t>(every_other * 2);
  ASSERT_EQ(e.size(), static_cast<size_t>(n));
  for (int i = 0; i < 1024; ++i) {
    for (int j = 0; j < 1024; ++j) {
      ASSERT_EQ(e[i * 1024 + j], 2 * (i * 2048 + 2 * j + 1)) << "at " << i << ", " << j;
    }
  }
}

TEST(OpsBinary, EveryDtype) {
  // Each dtype's own kernel: 1.5 and 2.5 become 1 and 2 in the integer types.
  auto a = array({1.5f, 2.5f, -3.0f});
  auto b = array({2.0f, 0.5f, 4.0f});
  for (Dtype d : {uint8, uint16, uint32, uint64, int8, int16, int32, int64, float16, float32,
                  float64, bfloat16, complex64}) {
    SCOPED_TRACE(to_str(d));
    auto x = astype(a, d);
    auto y = astype(b, d);
    auto sum = x + y;
    auto prod = x * y;
    EXPECT_EQ(sum.dtype(), d);
    EXPECT_EQ(prod.dtype(), d);
    bool is_int = issubdtype(d, integer);
    bool is_unsigned = issubdtype(d, unsignedinteger);
    // -3 wraps in the unsigned types: -3 + 4 == 1 and -3 * 4 == -12 (mod 2^bits).
    std::vector<double> expected_sum =
        is_int ? std::vector<double>{3, 2, 1} : std::vector<double>{3.5, 3.0, 1.0};
    EXPECT_EQ(values<double>(astype(sum, float64)), expected_sum);
    auto p = values<double>(astype(prod, float64));
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[0], is_int ? 2.0 : 3.0);
    EXPECT_EQ(p[1], is_int ? 0.0 : 1.25);
    if (is_unsigned) {
      double modulus = std::ldexp(1.0, 8 * static_cast<int>(size_of(d)));
      EXPECT_EQ(p[2], modulus - 12.0);
    } else {
      EXPECT_EQ(p[2], -12.0);
    }
  }
}

TEST(OpsBinary, AllSmallSizesAndLayouts) {
  // Sizes around SIMD widths (tails) with contiguous, scalar and strided operands.
  for (int n = 0; n <= 70; ++n) {
    SCOPED_TRACE("n = " + std::to_string(n));
    for (Dtype d : {float32, float64, int32, float16}) {
      SCOPED_TRACE(to_str(d));
      auto x = astype(arange(n), d);
      auto y = astype(arange(n, 2 * n), d);
      // Every other element of [0, 2n), reversed: 2n-1, 2n-3, ..., 1.
      auto z = astype(slice(arange(2 * n), {2 * n - 1}, {-2 * n - 1}, {-2}), d);
      auto r1 = values<double>(astype(x + y, float64));
      auto r2 = values<double>(astype(x * y, float64));
      auto r3 = values<double>(astype(x * 3 + z, float64));
      auto r4 = values<double>(astype(array(2.0f) * z, float64));
      ASSERT_EQ(r1.size(), static_cast<size_t>(n));
      ASSERT_EQ(r3.size(), static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) {
        double xi = i, yi = n + i, zi = 2 * n - 1 - 2 * i;
        EXPECT_EQ(r1[i], xi + yi);
        // float16 products above 2048 round; only compare what float16 holds exactly.
        if (d != float16 || xi * yi <= 2048) {
          EXPECT_EQ(r2[i], xi * yi);
        }
        EXPECT_EQ(r3[i], 3 * xi + zi);
        EXPECT_EQ(r4[i], 2 * zi);
      }
    }
  }
}

TEST(OpsBinary, LargeStridedChunksStartMidRow) {
  // 1031 x 1021 elements, every other column of a wider array: the work is split in chunks that
  // begin in the middle of rows.
  int rows = 1031, cols = 1021;
  auto m = reshape(arange(rows * 2 * cols), {rows, 2 * cols});
  auto s = slice(m, {0, 1}, {rows, 2 * cols}, {1, 2});
  auto col = reshape(arange(rows), {rows, 1});
  auto r = values<int32_t>(s * 3 + col);
  ASSERT_EQ(r.size(), static_cast<size_t>(rows) * cols);
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) {
      ASSERT_EQ(r[static_cast<size_t>(i) * cols + j], 3 * (i * 2 * cols + 2 * j + 1) + i)
          << "at " << i << ", " << j;
    }
  }
  // The same in float32 (the SIMD rows), with a scalar on the left.
  auto f = values<float>(0.5f * astype(s, float32) + astype(col, float32));
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) {
      ASSERT_EQ(f[static_cast<size_t>(i) * cols + j],
                0.5f * static_cast<float>(i * 2 * cols + 2 * j + 1) + static_cast<float>(i))
          << "at " << i << ", " << j;
    }
  }
}

TEST(OpsBinary, InputsStillHeldAreNotOverwritten) {
  // Intermediates nobody holds may lend their buffer to the output; arrays still held keep their
  // values.
  auto a = array({1.0f, 2.0f, 3.0f}) + 1.0f;
  auto b = a * 2.0f;
  auto c = (a + 1.0f) * 10.0f;
  b.eval();
  c.eval();
  expect_array<float>(a, {3}, float32, {2.0f, 3.0f, 4.0f});
  expect_array<float>(b, {3}, float32, {4.0f, 6.0f, 8.0f});
  expect_array<float>(c, {3}, float32, {30.0f, 40.0f, 50.0f});
  // A view of an intermediate keeps it alive.
  auto t = arange(6) + 1;
  auto rev = slice(t, {5}, {-7}, {-1});
  auto u = t + rev;
  expect_array<int32_t>(u, {6}, int32, {7, 7, 7, 7, 7, 7});
  expect_array<int32_t>(rev, {6}, int32, {6, 5, 4, 3, 2, 1});
  // An operand used twice.
  auto v = arange(4) * 3;
  expect_array<int32_t>(v * v + v, {4}, int32, {0, 12, 42, 90});
  expect_array<int32_t>(v, {4}, int32, {0, 3, 6, 9});
}

TEST(OpsBinary, LazyGraphs) {
  // Ops only build nodes; a chain evaluates to the right value once.
  auto x = array({1.0f, 2.0f});
  auto y = x;
  for (int i = 0; i < 100; ++i) {
    y = y + x;
  }
  EXPECT_EQ(y.status(), array::unscheduled);
  expect_array<float>(y, {2}, float32, {101.0f, 202.0f});
}

// ---------------------------------------------------------------------------------------------
// reshape

TEST(OpsReshape, Values) {
  auto a = arange(6);
  expect_array<int32_t>(reshape(a, {2, 3}), {2, 3}, int32, {0, 1, 2, 3, 4, 5});
  expect_array<int32_t>(reshape(a, {3, -1}), {3, 2}, int32, {0, 1, 2, 3, 4, 5});
  expect_array<int32_t>(reshape(a, {-1}), {6}, int32, {0, 1, 2, 3, 4, 5});
  expect_array<int32_t>(reshape(a, {1, -1, 1}), {1, 6, 1}, int32, {0, 1, 2, 3, 4, 5});
  expect_array<int32_t>(reshape(array(7), {1, 1}), {1, 1}, int32, {7});
  expect_array<int32_t>(reshape(array({7}), {}), {}, int32, {7});
  expect_array<float>(reshape(zeros({0, 3}), {3, 0, 5}), {3, 0, 5}, float32, {});
  expect_array<float>(reshape(zeros({0, 3}), {-1, 3}), {0, 3}, float32, {});
  // The same shape gives the same array.
  EXPECT_EQ(reshape(a, {6}).id(), a.id());
}

TEST(OpsReshape, Errors) {
  auto a = arange(6);
  EXPECT_INVALID(reshape(a, {-1, -1}), "[reshape] Reshape can only infer one dimension.");
  EXPECT_INVALID(reshape(a, {4, 2}),
                 "[reshape] Cannot reshape an array of shape (6) (size 6) into shape (4,2) (size "
                 "8).");
  EXPECT_INVALID(reshape(a, {}),
                 "[reshape] Cannot reshape an array of shape (6) (size 6) into shape () (size 1).");
  EXPECT_INVALID(reshape(a, {-2, -3}), "[reshape] Invalid dimension -2 in shape (-2,-3).");
  EXPECT_INVALID(reshape(a, {2, -3}), "[reshape] Invalid dimension -3 in shape (2,-3).");
  EXPECT_INVALID(reshape(a, {-1, 4}),
                 "[reshape] Cannot infer the shape of an array of size 6 reshaped to (-1,4).");
  EXPECT_INVALID(reshape(zeros({0}), {-1, 0}),
                 "[reshape] Cannot infer the shape of an array of size 0 reshaped to (-1,0).");
  // As in NumPy, -1 cannot be inferred next to a 0 dim.
  EXPECT_INVALID(reshape(zeros({2, 0}), {0, -1}),
                 "[reshape] Cannot infer the shape of an array of size 0 reshaped to (0,-1).");
}

TEST(OpsReshape, ContiguousInputSharesTheBuffer) {
  auto a = arange(12.0);
  auto r = reshape(a, {3, 4});
  r.eval();
  a.eval();
  EXPECT_EQ(r.data<float>(), a.data<float>());
  EXPECT_EQ(r.data_shared_ptr(), a.data_shared_ptr());
  EXPECT_EQ(r.strides(), (Strides{4, 1}));
  EXPECT_TRUE(r.flags().row_contiguous);
  // A row-contiguous slice (rows 1..2 of a 4x3) with an offset is still viewed in place.
  auto m = reshape(a, {4, 3});
  auto rows = slice(m, {1, 0}, {3, 3});
  auto flat = reshape(rows, {6});
  flat.eval();
  EXPECT_EQ(flat.data<float>(), a.data<float>() + 3);
  EXPECT_EQ(flat.offset(), 12);
  expect_array<float>(flat, {6}, float32, {3, 4, 5, 6, 7, 8});
}

TEST(OpsReshape, NonContiguousInput) {
  auto m = reshape(arange(12), {3, 4});
  // Columns 1 and 3: not contiguous, so reshape copies; the values keep the logical order.
  auto cols = slice(m, {0, 1}, {3, 4}, {1, 2});
  expect_array<int32_t>(reshape(cols, {6}), {6}, int32, {1, 3, 5, 7, 9, 11});
  expect_array<int32_t>(reshape(cols, {2, 3}), {2, 3}, int32, {1, 3, 5, 7, 9, 11});
  // Reversed rows.
  auto rev = slice(m, {2, 0}, {-4, 4}, {-1, 1});
  expect_array<int32_t>(reshape(rev, {2, 6}), {2, 6}, int32,
                        {8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3});
  // A broadcast.
  auto b = broadcast_to(array({1, 2}), {3, 2});
  expect_array<int32_t>(reshape(b, {-1}), {6}, int32, {1, 2, 1, 2, 1, 2});
  expect_array<int32_t>(reshape(b, {2, 3}), {2, 3}, int32, {1, 2, 1, 2, 1, 2});
}

// ---------------------------------------------------------------------------------------------
// broadcast_to, broadcast_arrays

TEST(OpsBroadcast, BroadcastToValues) {
  auto a = array({1, 2, 3});
  expect_array<int32_t>(broadcast_to(a, {2, 3}), {2, 3}, int32, {1, 2, 3, 1, 2, 3});
  expect_array<int32_t>(broadcast_to(array({1, 2}, {2, 1}), {2, 3}), {2, 3}, int32,
                        {1, 1, 1, 2, 2, 2});
  expect_array<float>(broadcast_to(array(4.5f), {2, 2}), {2, 2}, float32, {4.5f, 4.5f, 4.5f, 4.5f});
  expect_array<int32_t>(broadcast_to(array({7}), {3}), {3}, int32, {7, 7, 7});
  expect_array<int32_t>(broadcast_to(a, {0, 3}), {0, 3}, int32, {});
  expect_array<int32_t>(broadcast_to(array({5}), {0}), {0}, int32, {});
  expect_array<int32_t>(broadcast_to(array(9), {}), {}, int32, {9});
  // Broadcasting a strided view.
  auto rev = slice(a, {2}, {-4}, {-1});
  expect_array<int32_t>(broadcast_to(rev, {2, 3}), {2, 3}, int32, {3, 2, 1, 3, 2, 1});
  // The same shape gives the same array.
  EXPECT_EQ(broadcast_to(a, {3}).id(), a.id());
}

TEST(OpsBroadcast, BroadcastToIsAView) {
  auto a = array({1.0f, 2.0f, 3.0f});
  auto b = broadcast_to(a, {4, 3});
  b.eval();
  a.eval();
  EXPECT_EQ(b.data<float>(), a.data<float>());
  EXPECT_EQ(b.data_shared_ptr(), a.data_shared_ptr());
  EXPECT_EQ(b.strides(), (Strides{0, 1}));
  EXPECT_EQ(b.data_size(), 3u);
  EXPECT_FALSE(b.flags().row_contiguous);
  auto c = broadcast_to(array({1.0f, 2.0f}, {2, 1}), {2, 5});
  c.eval();
  EXPECT_EQ(c.strides(), (Strides{1, 0}));
}

TEST(OpsBroadcast, BroadcastToErrors) {
  EXPECT_INVALID(broadcast_to(array({1, 2, 3}), {4}),
                 "[broadcast_to] Cannot broadcast an array of shape (3) to shape (4).");
  EXPECT_INVALID(broadcast_to(array({1, 2, 3}), {3, 2}),
                 "[broadcast_to] Cannot broadcast an array of shape (3) to shape (3,2).");
  // Broadcasting never removes dims.
  EXPECT_INVALID(broadcast_to(ones({1, 3}), {3}),
                 "[broadcast_to] Cannot broadcast an array of shape (1,3) to shape (3).");
  EXPECT_INVALID(broadcast_to(ones({0}), {2}),
                 "[broadcast_to] Cannot broadcast an array of shape (0) to shape (2).");
  // Negative dims, in the broadcast part of the shape too.
  EXPECT_INVALID(broadcast_to(ones({1}), {-1}),
                 "[broadcast_to] Cannot broadcast an array of shape (1) to shape (-1).");
  EXPECT_INVALID(broadcast_to(ones({3}), {-1, 3}),
                 "[broadcast_to] Cannot broadcast an array of shape (3) to shape (-1,3).");
  EXPECT_INVALID(broadcast_to(array(1), {2, -2}),
                 "[broadcast_to] Cannot broadcast an array of shape () to shape (2,-2).");
}

TEST(OpsBroadcast, BroadcastArrays) {
  auto a = array({1, 2, 3}, {3, 1});
  auto b = array({10.0f, 20.0f});
  auto c = array(true);
  auto out = broadcast_arrays({a, b, c});
  ASSERT_EQ(out.size(), 3u);
  // Each keeps its dtype.
  expect_array<int32_t>(out[0], {3, 2}, int32, {1, 1, 2, 2, 3, 3});
  expect_array<float>(out[1], {3, 2}, float32, {10, 20, 10, 20, 10, 20});
  expect_array<bool>(out[2], {3, 2}, bool_, std::vector<bool>(6, true));
  // They are views of the inputs.
  a.eval();
  EXPECT_EQ(out[0].data<int32_t>(), a.data<int32_t>());
  EXPECT_EQ(out[0].strides(), (Strides{1, 0}));

  auto same = broadcast_arrays({ones({2, 2}), zeros({2, 2})});
  EXPECT_EQ(same[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(same[1].shape(), (Shape{2, 2}));
  EXPECT_TRUE(broadcast_arrays({}).empty());
  auto empty = broadcast_arrays({ones({0, 1}), ones({4})});
  EXPECT_EQ(empty[0].shape(), (Shape{0, 4}));
  EXPECT_EQ(empty[1].shape(), (Shape{0, 4}));

  EXPECT_INVALID(broadcast_arrays({ones({3}), ones({4})}),
                 "[broadcast_shapes] Shapes (3) and (4) cannot be broadcast.");
  EXPECT_INVALID(broadcast_arrays({ones({2, 1}), ones({3}), ones({3, 3})}),
                 "[broadcast_shapes] Shapes (2,3) and (3,3) cannot be broadcast.");
}

// ---------------------------------------------------------------------------------------------
// slice

TEST(OpsSlice, PositiveStrides) {
  auto a = arange(10);
  expect_array<int32_t>(slice(a, {2}, {8}), {6}, int32, {2, 3, 4, 5, 6, 7});
  expect_array<int32_t>(slice(a, {2}, {8}, {2}), {3}, int32, {2, 4, 6});
  expect_array<int32_t>(slice(a, {1}, {10}, {4}), {3}, int32, {1, 5, 9});
  expect_array<int32_t>(slice(a, {0}, {10}, {20}), {1}, int32, {0});
  // Negative indices count from the end.
  expect_array<int32_t>(slice(a, {-3}, {10}), {3}, int32, {7, 8, 9});
  expect_array<int32_t>(slice(a, {-5}, {-2}), {3}, int32, {5, 6, 7});
  expect_array<int32_t>(slice(a, {0}, {-8}), {2}, int32, {0, 1});
  // Out-of-range indices clamp.
  expect_array<int32_t>(slice(a, {-100}, {3}), {3}, int32, {0, 1, 2});
  expect_array<int32_t>(slice(a, {8}, {100}), {2}, int32, {8, 9});
  // The whole array is the array itself.
  EXPECT_EQ(slice(a, {-100}, {100}).id(), a.id());
  EXPECT_EQ(slice(a, {0}, {10}, {1}).id(), a.id());
}

TEST(OpsSlice, NegativeStrides) {
  auto a = arange(10);
  // a[::-1]: start past the end clamps to the last element, stop before the start to -1.
  expect_array<int32_t>(slice(a, {-1}, {-11}, {-1}), {10}, int32, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  expect_array<int32_t>(slice(a, {100}, {-100}, {-1}), {10}, int32, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  expect_array<int32_t>(slice(a, {8}, {2}, {-2}), {3}, int32, {8, 6, 4});
  expect_array<int32_t>(slice(a, {100}, {0}, {-3}), {3}, int32, {9, 6, 3});
  expect_array<int32_t>(slice(a, {-2}, {-6}, {-1}), {4}, int32, {8, 7, 6, 5});
  expect_array<int32_t>(slice(a, {3}, {-100}, {-1}), {4}, int32, {3, 2, 1, 0});
  expect_array<int32_t>(slice(a, {0}, {-11}, {-1}), {1}, int32, {0});
  expect_array<int32_t>(slice(a, {9}, {-11}, {-20}), {1}, int32, {9});
}

TEST(OpsSlice, EmptyResults) {
  auto a = arange(10);
  expect_array<int32_t>(slice(a, {5}, {5}), {0}, int32, {});
  expect_array<int32_t>(slice(a, {8}, {2}), {0}, int32, {});
  expect_array<int32_t>(slice(a, {2}, {8}, {-1}), {0}, int32, {});
  expect_array<int32_t>(slice(a, {20}, {30}), {0}, int32, {});
  expect_array<int32_t>(slice(a, {-20}, {-15}), {0}, int32, {});
  expect_array<int32_t>(slice(a, {-20}, {-15}, {-1}), {0}, int32, {});
  expect_array<int32_t>(slice(reshape(a, {2, 5}), {0, 3}, {2, 3}), {2, 0}, int32, {});
  expect_array<float>(slice(zeros({0, 4}), {0, 1}, {0, 3}), {0, 2}, float32, {});
}

TEST(OpsSlice, MultiDimensional) {
  auto m = reshape(arange(20), {4, 5});
  expect_array<int32_t>(slice(m, {1, 1}, {3, 4}), {2, 3}, int32, {6, 7, 8, 11, 12, 13});
  // m[1:3, ::-2]
  expect_array<int32_t>(slice(m, {1, -1}, {3, -6}, {1, -2}), {2, 3}, int32, {9, 7, 5, 14, 12, 10});
  // m[::-1, 4:0:-3]
  expect_array<int32_t>(slice(m, {3, 4}, {-5, 0}, {-1, -3}), {4, 2}, int32,
                        {19, 16, 14, 11, 9, 6, 4, 1});
  // A slice of a slice.
  auto s = slice(m, {0, 0}, {4, 5}, {2, 2});  // rows 0,2; cols 0,2,4
  expect_array<int32_t>(s, {2, 3}, int32, {0, 2, 4, 10, 12, 14});
  expect_array<int32_t>(slice(s, {1, 2}, {-3, -3}, {-1, -1}), {2, 2}, int32, {14, 12, 4, 2});
  // 3-D.
  auto t = reshape(arange(24), {2, 3, 4});
  expect_array<int32_t>(slice(t, {1, 0, 1}, {2, 3, 4}, {1, 2, 2}), {1, 2, 2}, int32,
                        {13, 15, 21, 23});
  // 0-d: nothing to slice.
  EXPECT_EQ(slice(array(3), {}, {}).shape(), Shape{});
}

TEST(OpsSlice, SharesTheBuffer) {
  auto a = arange(10.0);
  a.eval();
  auto s = slice(a, {2}, {8}, {2});
  s.eval();
  EXPECT_EQ(s.data_shared_ptr(), a.data_shared_ptr());
  EXPECT_EQ(s.offset(), 8);  // bytes
  EXPECT_EQ(s.data<float>(), a.data<float>() + 2);
  EXPECT_EQ(s.strides(), (Strides{2}));
  EXPECT_FALSE(s.flags().row_contiguous);

  auto r = slice(a, {-1}, {-11}, {-1});
  r.eval();
  EXPECT_EQ(r.offset(), 36);
  EXPECT_EQ(r.strides(), (Strides{-1}));

  auto m = reshape(arange(20, int64), {4, 5});
  auto ms = slice(m, {1, 2}, {3, 5});
  ms.eval();
  EXPECT_EQ(ms.offset(), (1 * 5 + 2) * 8);
  EXPECT_EQ(ms.strides(), (Strides{5, 1}));
  // A slice of a slice adds the offsets.
  auto mss = slice(ms, {1, 1}, {2, 3});
  mss.eval();
  EXPECT_EQ(mss.offset(), (2 * 5 + 3) * 8);
  expect_array<int64_t>(mss, {1, 2}, int64, {13, 14});
  // Whole rows are row contiguous.
  auto rows = slice(m, {1, 0}, {3, 5});
  rows.eval();
  EXPECT_TRUE(rows.flags().row_contiguous);
  EXPECT_EQ(rows.offset(), 40);
}

TEST(OpsSlice, Errors) {
  auto m = ones({2, 3});
  EXPECT_INVALID(slice(m, {0}, {1}),
                 "[slice] Invalid number of indices or strides for an array with 2 dimensions "
                 "(start (0), stop (1), strides (1,1)).");
  EXPECT_INVALID(slice(m, {0, 0}, {1, 1}, {1}),
                 "[slice] Invalid number of indices or strides for an array with 2 dimensions "
                 "(start (0,0), stop (1,1), strides (1)).");
  EXPECT_INVALID(slice(m, {0, 0, 0}, {1, 1, 1}),
                 "[slice] Invalid number of indices or strides for an array with 2 dimensions "
                 "(start (0,0,0), stop (1,1,1), strides (1,1)).");
  EXPECT_INVALID(slice(m, {0, 0}, {1, 1}, {1, 0}),
                 "[slice] Slice strides must be non-zero, got (1,0).");
}

// ---------------------------------------------------------------------------------------------
// copy

TEST(OpsCopy, ValuesAndBuffer) {
  auto a = array({1.5f, 2.5f, 3.5f});
  auto c = copy(a);
  EXPECT_NE(c.id(), a.id());
  expect_array<float>(c, {3}, float32, {1.5f, 2.5f, 3.5f});
  a.eval();
  EXPECT_EQ(c.data<float>(), a.data<float>());
  // Copies of views keep the view's values.
  auto s = slice(reshape(arange(12), {3, 4}), {2, 3}, {-4, -5}, {-2, -3});
  expect_array<int32_t>(copy(s), {2, 2}, int32, {11, 8, 3, 0});
  auto b = broadcast_to(array({true, false}), {2, 2});
  expect_array<bool>(copy(b), {2, 2}, bool_, {true, false, true, false});
  expect_array<int32_t>(copy(array(5)), {}, int32, {5});
  expect_array<float>(copy(zeros({0, 2})), {0, 2}, float32, {});
}

// ---------------------------------------------------------------------------------------------
// Iterating an array over its first axis

TEST(OpsIteration, RowsOfA2DArray) {
  auto m = reshape(arange(6), {3, 2});
  std::vector<std::vector<int32_t>> rows;
  for (auto row : m) {
    EXPECT_EQ(row.shape(), (Shape{2}));
    EXPECT_EQ(row.dtype(), int32);
    rows.push_back(values<int32_t>(row));
  }
  EXPECT_EQ(rows, (std::vector<std::vector<int32_t>>{{0, 1}, {2, 3}, {4, 5}}));
}

TEST(OpsIteration, ElementsOfA1DArrayAndBlocksOf3D) {
  std::vector<float> seen;
  for (auto x : array({0.5f, 1.5f, 2.5f})) {
    EXPECT_EQ(x.ndim(), 0u);
    seen.push_back(x.item<float>());
  }
  EXPECT_EQ(seen, (std::vector<float>{0.5f, 1.5f, 2.5f}));

  auto t = reshape(arange(12), {2, 3, 2});
  int i = 0;
  for (auto block : t) {
    expect_array<int32_t>(block, {3, 2}, int32, iota(6 * i, 6 * i + 6));
    ++i;
  }
  EXPECT_EQ(i, 2);
}

TEST(OpsIteration, StridedAndEmptyArrays) {
  // Rows of a reversed view.
  auto m = slice(reshape(arange(6), {3, 2}), {2, 1}, {-4, -3}, {-1, -1});
  std::vector<std::vector<int32_t>> rows;
  for (auto row : m) {
    rows.push_back(values<int32_t>(row));
  }
  EXPECT_EQ(rows, (std::vector<std::vector<int32_t>>{{5, 4}, {3, 2}, {1, 0}}));

  int count = 0;
  for (auto row : zeros({0, 3})) {
    (void)row;
    ++count;
  }
  EXPECT_EQ(count, 0);
  for (auto row : zeros({2, 0})) {
    EXPECT_EQ(row.shape(), (Shape{0}));
    ++count;
  }
  EXPECT_EQ(count, 2);
}

TEST(OpsIteration, ZeroDimensionalArrayThrows) {
  auto s = array(1.0f);
  EXPECT_INVALID(s.begin(), "[array::ArrayIterator] Cannot iterate over a 0-d array.");
  EXPECT_INVALID(
      {
        for (auto x : s) {
          (void)x;
        }
      },
      "[array::ArrayIterator] Cannot iterate over a 0-d array.");
}

// ---------------------------------------------------------------------------------------------
// Streams

TEST(OpsStreams, OpsRunOnTheGivenStream) {
  auto s = new_stream(Device::cpu);
  auto a = arange(0.0, 4.0, 1.0, s);
  auto b = full({4}, 2.0f, s);
  auto c = multiply(add(a, b, s), array(3.0f), s);
  EXPECT_EQ(c.primitive().stream(), s);
  EXPECT_EQ(a.primitive().stream(), s);
  expect_array<float>(c, {4}, float32, {6.0f, 9.0f, 12.0f, 15.0f});
  // A device means its default stream.
  auto d = add(array({1, 2}), array({3, 4}), Device::cpu);
  EXPECT_EQ(d.primitive().stream(), default_stream(Device::cpu));
  expect_array<int32_t>(d, {2}, int32, {4, 6});
  expect_array<int32_t>(slice(reshape(arange(6, Device::cpu), {2, 3}, s), {0, 2}, {2, 3}, s),
                        {2, 1}, int32, {2, 5});
}
