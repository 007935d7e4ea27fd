// Reductions: sum, mean, max, min, all — every overload, the dtype rules, axes (negative,
// several, none), keepdims, strided and broadcast inputs, empty arrays, NaN, the errors, and
// inputs large enough to take the thread pool and the SIMD kernels (with exact expected values).
#include <gtest/gtest.h>

#include "helpers.h"

#include <cmath>
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

// arange(24) as a (2, 3, 4) array of the given dtype.
array cube(Dtype dtype = int32) { return astype(reshape(arange(24), {2, 3, 4}), dtype); }

// x[i][j] = i + j, a contiguous (rows, cols) array.
array ramp2d(int rows, int cols, Dtype dtype) {
  return astype(add(reshape(arange(rows), {rows, 1}), reshape(arange(cols), {1, cols})), dtype);
}

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

}  // namespace

// ---------------------------------------------------------------------------------------------
// sum

TEST(ReduceSum, EveryOverload) {
  auto a = reshape(arange(6.0), {2, 3});
  expect_array<float>(sum(a), {}, float32, {15});
  expect_array<float>(sum(a, true), {1, 1}, float32, {15});
  expect_array<float>(sum(a, false), {}, float32, {15});
  expect_array<float>(sum(a, 0), {3}, float32, {3, 5, 7});
  expect_array<float>(sum(a, 1), {2}, float32, {3, 12});
  expect_array<float>(sum(a, -1, true), {2, 1}, float32, {3, 12});
  expect_array<float>(sum(a, -2, true), {1, 3}, float32, {3, 5, 7});
  expect_array<float>(sum(a, std::vector<int>{0, 1}), {}, float32, {15});
  expect_array<float>(sum(a, {1, 0}, true), {1, 1}, float32, {15});
  expect_array<float>(sum(a, std::vector<int>{-1}), {2}, float32, {3, 12});
}

TEST(ReduceSum, SeveralAxes) {
  auto a = cube();
  expect_array<int32_t>(sum(a, {0, 2}), {3}, int32, {60, 92, 124});
  expect_array<int32_t>(sum(a, {2, 0}, true), {1, 3, 1}, int32, {60, 92, 124});
  expect_array<int32_t>(sum(a, {-3, -2}), {4}, int32, {60, 66, 72, 78});
  expect_array<int32_t>(sum(a, 1), {2, 4}, int32, {12, 15, 18, 21, 48, 51, 54, 57});
  expect_array<int32_t>(sum(a), {}, int32, {276});
  expect_array<int32_t>(sum(a, true), {1, 1, 1}, int32, {276});
}

TEST(ReduceSum, SignedIntegersWidenToInt32) {
  expect_array<int32_t>(sum(array({100, 100, 100, -1}, int8)), {}, int32, {299});
  expect_array<int32_t>(sum(array({30000, 30000, -7}, int16)), {}, int32, {59993});
  // int32 sums wrap around, as NumPy's do.
  expect_array<int32_t>(sum(array({2147483647, 1, 5}, int32)), {}, int32, {-2147483643});
  expect_array<int64_t>(sum(array({int64_t{1} << 62, int64_t{1} << 62, int64_t{-5}}, int64)), {},
                        int64, {std::numeric_limits<int64_t>::max() - 4});
}

TEST(ReduceSum, UnsignedIntegersWidenToUint32) {
  expect_array<uint32_t>(sum(array({200, 200, 255}, uint8)), {}, uint32, {655});
  expect_array<uint32_t>(sum(array({65535, 65535}, uint16)), {}, uint32, {131070});
  expect_array<uint32_t>(sum(array({4294967295u, 3u}, uint32)), {}, uint32, {2});
  expect_array<uint64_t>(sum(array({uint64_t{1} << 63, uint64_t{1} << 62}, uint64)), {}, uint64,
                         {(uint64_t{1} << 63) + (uint64_t{1} << 62)});
}

TEST(ReduceSum, BoolCountsInInt32) {
  auto a = array({true, false, true, true, false, true}, {2, 3});
  expect_array<int32_t>(sum(a), {}, int32, {4});
  expect_array<int32_t>(sum(a, 0), {3}, int32, {2, 0, 2});
  expect_array<int32_t>(sum(a, 1), {2}, int32, {2, 2});
}

TEST(ReduceSum, FloatsKeepTheirDtype) {
  expect_array<float16_t>(sum(array({0.5f, 0.25f, 1.5f}, float16)), {}, float16,
                          {float16_t(2.25f)});
  expect_array<bfloat16_t>(sum(array({0.5f, 0.25f, 1.5f}, bfloat16)), {}, bfloat16,
                           {bfloat16_t(2.25f)});
  expect_array<double>(sum(array({0.1, 0.2, 0.3}, float64)), {}, float64, {0.1 + 0.2 + 0.3});
  expect_array<float>(sum(array({1.5f, -2.25f}, {2, 1}), 1), {2}, float32, {1.5f, -2.25f});
  expect_array<complex64_t>(
      sum(array({complex64_t(1, 2), complex64_t(3, -1), complex64_t(-0.5f, 0.25f)})), {}, complex64,
      {complex64_t(3.5f, 1.25f)});
}

TEST(ReduceSum, HalfFloatsAccumulateInFloat32) {
  // In float16 a running sum of ones stops at 2048, in bfloat16 at 256.
  expect_array<float16_t>(sum(ones({4096}, float16)), {}, float16, {float16_t(4096.0f)});
  expect_array<bfloat16_t>(sum(ones({1000}, bfloat16)), {}, bfloat16, {bfloat16_t(1000.0f)});
  expect_array<float16_t>(sum(ones({3000, 8}, float16), 0), {8}, float16,
                          std::vector<float16_t>(8, float16_t(3000.0f)));
  expect_array<bfloat16_t>(sum(ones({8, 1000}, bfloat16), 1), {8}, bfloat16,
                           std::vector<bfloat16_t>(8, bfloat16_t(1000.0f)));
  // Large enough for the thread pool.
  expect_array<bfloat16_t>(sum(ones({512, 512}, bfloat16), 0), {512}, bfloat16,
                           std::vector<bfloat16_t>(512, bfloat16_t(512.0f)));
  expect_array<float16_t>(sum(ones({512, 512}, float16), 1), {512}, float16,
                          std::vector<float16_t>(512, float16_t(512.0f)));
}

TEST(ReduceSum, NoAxesReturnsTheInput) {
  auto s = array(static_cast<int8_t>(7));
  auto r = sum(s);
  EXPECT_EQ(r.id(), s.id());
  expect_array<int8_t>(r, {}, int8, {7});
  expect_array<int8_t>(sum(s, true), {}, int8, {7});
  auto a = array({1, 2, 3}, int16);
  EXPECT_EQ(sum(a, std::vector<int>{}).id(), a.id());
  EXPECT_EQ(sum(a, std::vector<int>{}, true).dtype(), int16);
}

TEST(ReduceSum, AxesOfSizeOneStillWiden) {
  expect_array<int32_t>(sum(array({-3, 4}, {2, 1}, int8), 1), {2}, int32, {-3, 4});
  expect_array<uint32_t>(sum(array({250}, {1, 1}, uint8), {0, 1}, true), {1, 1}, uint32, {250});
}

TEST(ReduceSum, EmptyArrays) {
  auto e = zeros({0, 3});
  expect_array<float>(sum(e, 0), {3}, float32, {0, 0, 0});
  expect_array<float>(sum(e, 1), {0}, float32, {});
  expect_array<float>(sum(e), {}, float32, {0});
  expect_array<int32_t>(sum(zeros({0}, int8)), {}, int32, {0});
  expect_array<int32_t>(sum(zeros({2, 0, 3}, bool_), {1}, true), {2, 1, 3}, int32,
                        std::vector<int32_t>(6, 0));
  expect_array<complex64_t>(sum(zeros({0}, complex64)), {}, complex64, {complex64_t(0, 0)});
}

TEST(ReduceSum, Float32SumOfTwoToThe24OnesIsExact) {
  // One float32 accumulator would stop at 2^24 - there 1 is below half an ulp - and lose the
  // rest; partial sums keep every step exact.
  expect_array<float>(sum(ones({1 << 24})), {}, float32, {16777216.0f});
  expect_array<float>(sum(ones({(1 << 24) + 1000})), {}, float32, {16778216.0f});
  expect_array<float>(mean(ones({1 << 24})), {}, float32, {1.0f});
}

// ---------------------------------------------------------------------------------------------
// strided and broadcast inputs

TEST(ReduceStrided, SlicesWithSteps) {
  auto a = cube();
  // a[:, ::-1, ::2]
  auto b = slice(a, {0, 2, 0}, {2, -4, 4}, {1, -1, 2});
  ASSERT_EQ(b.shape(), (Shape{2, 3, 2}));
  expect_array<int32_t>(sum(b, {0, 2}), {3}, int32, {60, 44, 28});
  expect_array<int32_t>(sum(b, 2), {2, 3}, int32, {18, 10, 2, 42, 34, 26});
  expect_array<int32_t>(sum(b), {}, int32, {132});
  // a[1:, ::2, 1::2]
  auto c = slice(a, {1, 0, 1}, {2, 3, 4}, {1, 2, 2});
  expect_array<int32_t>(sum(c, 0), {2, 2}, int32, {13, 15, 21, 23});
  expect_array<int32_t>(sum(c, {1, 2}), {1}, int32, {72});
  expect_array<int32_t>(max(c, 2), {1, 2}, int32, {15, 23});
  expect_array<int32_t>(min(b, {0, 1}), {2}, int32, {0, 2});
}

TEST(ReduceStrided, Transposed) {
  auto t = transpose(cube(float32), {2, 0, 1});
  expect_array<float>(sum(t, 0), {2, 3}, float32, {6, 22, 38, 54, 70, 86});
  expect_array<float>(sum(t, {1, 2}), {4}, float32, {60, 66, 72, 78});
  expect_array<float>(sum(t, 2), {4, 2}, float32, {12, 48, 15, 51, 18, 54, 21, 57});
  expect_array<float>(sum(t), {}, float32, {276});
  expect_array<float>(max(t, {0, 2}), {2}, float32, {11, 23});
}

TEST(ReduceStrided, Broadcasts) {
  auto row = array({1.0f, 2.0f, 3.0f});
  auto b = broadcast_to(row, {4, 3});
  expect_array<float>(sum(b, 0), {3}, float32, {4, 8, 12});
  expect_array<float>(sum(b, 1), {4}, float32, {6, 6, 6, 6});
  expect_array<float>(sum(b), {}, float32, {24});
  auto s = broadcast_to(array(2.5f), {1000, 300});
  expect_array<float>(sum(s), {}, float32, {750000.0f});
  expect_array<float>(sum(s, 0), {300}, float32, std::vector<float>(300, 2500.0f));
  expect_array<float>(max(s, 1), {1000}, float32, std::vector<float>(1000, 2.5f));
  auto col = broadcast_to(array({1, 2}, {2, 1}, int8), {2, 5});
  expect_array<int32_t>(sum(col, 1), {2}, int32, {5, 10});
  expect_array<bool>(all(col, 0), {5}, bool_, std::vector<bool>(5, true));
}

// ---------------------------------------------------------------------------------------------
// mean

TEST(ReduceMean, EveryOverload) {
  auto a = cube();
  expect_array<float>(mean(a), {}, float32, {11.5f});
  expect_array<float>(mean(a, true), {1, 1, 1}, float32, {11.5f});
  expect_array<float>(mean(a, {0, 2}), {3}, float32, {7.5f, 11.5f, 15.5f});
  expect_array<float>(mean(a, -1), {2, 3}, float32, {1.5f, 5.5f, 9.5f, 13.5f, 17.5f, 21.5f});
  expect_array<float>(mean(a, 0, true), {1, 3, 4}, float32,
                      {6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17});
}

TEST(ReduceMean, Dtypes) {
  expect_array<float>(mean(array({1, 2}, int8)), {}, float32, {1.5f});
  expect_array<float>(mean(array({true, false, false, false})), {}, float32, {0.25f});
  expect_array<float>(mean(array({7u, 8u}, uint64)), {}, float32, {7.5f});
  expect_array<float16_t>(mean(array({1.0f, 2.0f}, float16)), {}, float16, {float16_t(1.5f)});
  expect_array<bfloat16_t>(mean(array({1.0f, 2.0f, 4.0f, 1.0f}, bfloat16)), {}, bfloat16,
                           {bfloat16_t(2.0f)});
  expect_array<double>(mean(array({1.0, 2.0, 4.0}, float64)), {}, float64, {7.0 / 3.0});
  expect_array<complex64_t>(
      mean(array({complex64_t(1, 2), complex64_t(3, -1), complex64_t(3, -2), complex64_t(1, -1)})),
      {}, complex64, {complex64_t(2.0f, -0.5f)});
  // sum / count, rounded once (5 * float32(1/3) would round to 1.6666667f).
  expect_array<float>(mean(array({0.0f, 0.0f, 5.0f})), {}, float32, {5.0f / 3.0f});
}

TEST(ReduceMean, IntegerSumsDoNotOverflow) {
  expect_array<float>(mean(array({2147483647, 2147483647, 2147483647}, int32)), {}, float32,
                      {2147483648.0f});
  expect_array<float>(mean(array({250, 250}, uint8)), {}, float32, {250.0f});
}

TEST(ReduceMean, HalfFloatCountsBeyondFloat16) {
  // 70000 does not fit in float16, but the division happens in float32.
  expect_array<float16_t>(mean(ones({70000}, float16)), {}, float16, {float16_t(1.0f)});
}

TEST(ReduceMean, NoAxesAndEmptyAxes) {
  expect_array<float>(mean(array(3, int32)), {}, float32, {3.0f});
  expect_array<float>(mean(array({1, 2}, int16), std::vector<int>{}), {2}, float32, {1, 2});
  auto m = values<float>(mean(zeros({0, 2}), 0));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_TRUE(std::isnan(m[0]) && std::isnan(m[1]));
}

// ---------------------------------------------------------------------------------------------
// max and min

TEST(ReduceMaxMin, EveryOverload) {
  auto a = array({3.0f, -1.0f, 7.0f, 2.0f, 9.0f, -4.0f}, {2, 3});
  expect_array<float>(max(a), {}, float32, {9});
  expect_array<float>(max(a, true), {1, 1}, float32, {9});
  expect_array<float>(max(a, 0), {3}, float32, {3, 9, 7});
  expect_array<float>(max(a, -1, true), {2, 1}, float32, {7, 9});
  expect_array<float>(max(a, {0, 1}), {}, float32, {9});
  expect_array<float>(min(a), {}, float32, {-4});
  expect_array<float>(min(a, false), {}, float32, {-4});
  expect_array<float>(min(a, 0), {3}, float32, {2, -1, -4});
  expect_array<float>(min(a, 1, true), {2, 1}, float32, {-1, -4});
  expect_array<float>(min(a, std::vector<int>{-1, -2}, true), {1, 1}, float32, {-4});
  auto c = cube();
  expect_array<int32_t>(max(c, {0, 2}), {3}, int32, {15, 19, 23});
  expect_array<int32_t>(min(c, {2, 0}), {3}, int32, {0, 4, 8});
}

TEST(ReduceMaxMin, EveryDtypeKeepsItsDtype) {
  expect_array<bool>(max(array({false, true, false})), {}, bool_, {true});
  expect_array<bool>(min(array({false, true, true})), {}, bool_, {false});
  expect_array<int8_t>(max(array({-128, 5, 127}, int8)), {}, int8, {127});
  expect_array<int8_t>(min(array({-128, 5, 127}, int8)), {}, int8, {-128});
  expect_array<int16_t>(min(array({-300, 5}, int16)), {}, int16, {-300});
  expect_array<int32_t>(max(array({-7, -3, -9}, int32)), {}, int32, {-3});
  expect_array<int64_t>(max(array({int64_t{1} << 40, int64_t{-1}}, int64)), {}, int64,
                        {int64_t{1} << 40});
  expect_array<uint8_t>(max(array({3, 255, 0}, uint8)), {}, uint8, {255});
  expect_array<uint16_t>(min(array({3, 65535}, uint16)), {}, uint16, {3});
  expect_array<uint32_t>(max(array({4000000000u, 1u}, uint32)), {}, uint32, {4000000000u});
  expect_array<uint64_t>(min(array({uint64_t{1} << 63, uint64_t{9}}, uint64)), {}, uint64, {9});
  expect_array<float16_t>(max(array({0.5f, -2.0f, 1.5f}, float16)), {}, float16, {float16_t(1.5f)});
  expect_array<bfloat16_t>(min(array({0.5f, -2.0f, 1.5f}, bfloat16)), {}, bfloat16,
                           {bfloat16_t(-2.0f)});
  expect_array<double>(max(array({0.1, 0.3, 0.2}, float64)), {}, float64, {0.3});
  expect_array<float>(max(array({-kInf, -kInf})), {}, float32, {-kInf});
  expect_array<float>(min(array({kInf, 3.0f})), {}, float32, {3.0f});
}

TEST(ReduceMaxMin, ComplexComparesRealPartFirst) {
  auto z = array({complex64_t(1, 5), complex64_t(3, -1), complex64_t(3, -2), complex64_t(-2, 9)});
  expect_array<complex64_t>(max(z), {}, complex64, {complex64_t(3, -1)});
  expect_array<complex64_t>(min(z), {}, complex64, {complex64_t(-2, 9)});
  expect_array<complex64_t>(max(reshape(z, {2, 2}), 0), {2}, complex64,
                            {complex64_t(3, -2), complex64_t(3, -1)});
}

TEST(ReduceMaxMin, NaNPropagates) {
  auto a = array({1.0f, kNaN, 3.0f, 2.0f, 5.0f, -1.0f}, {2, 3});
  EXPECT_TRUE(std::isnan(max(a).item<float>()));
  EXPECT_TRUE(std::isnan(min(a).item<float>()));
  auto r = values<float>(max(a, 1));
  EXPECT_TRUE(std::isnan(r[0]));
  EXPECT_EQ(r[1], 5.0f);
  auto c = values<float>(min(a, 0));
  EXPECT_EQ(c[0], 1.0f);
  EXPECT_TRUE(std::isnan(c[1]));
  EXPECT_EQ(c[2], -1.0f);
  // NaN first, last, and in the half-float and float64 kernels.
  EXPECT_TRUE(std::isnan(max(array({kNaN, 1.0f})).item<float>()));
  EXPECT_TRUE(std::isnan(min(array({1.0f, kNaN})).item<float>()));
  EXPECT_TRUE(std::isnan(static_cast<float>(max(array({1.0f, kNaN}, float16)).item<float16_t>())));
  EXPECT_TRUE(
      std::isnan(static_cast<float>(min(array({kNaN, 1.0f}, bfloat16)).item<bfloat16_t>())));
  EXPECT_TRUE(std::isnan(max(array({2.0, std::nan(""), 1.0}, float64)).item<double>()));
}

TEST(ReduceMaxMin, NaNPropagatesThroughSimdPaths) {
  // NaN at every position of vector-sized inputs, through the row and the column kernels.
  for (int n : {17, 64, 100, 2049, 5000}) {
    for (int pos : {0, n / 3, n - 1}) {
      std::vector<float> v(n);
      for (int i = 0; i < n; ++i) {
        v[i] = static_cast<float>(i % 13);
      }
      v[pos] = kNaN;
      auto a = array(v.begin(), {n}, float32);
      EXPECT_TRUE(std::isnan(max(a).item<float>())) << n << " " << pos;
      EXPECT_TRUE(std::isnan(min(a).item<float>())) << n << " " << pos;
      EXPECT_TRUE(std::isnan(static_cast<float>(max(astype(a, float16)).item<float16_t>())));
      EXPECT_TRUE(std::isnan(min(astype(a, float64)).item<double>()));
      auto col = values<float>(max(reshape(a, {n, 1}), 0));
      EXPECT_TRUE(std::isnan(col[0])) << n << " " << pos;
    }
  }
}

TEST(ReduceMaxMin, EmptyAxisIsAnError) {
  EXPECT_EQ(error_message([] {
              max(zeros({0, 3}), 0);
            }),
            "[max] Cannot reduce an empty axis: axis 0 of an array with shape (0,3) has no "
            "elements and max has no identity.");
  EXPECT_EQ(error_message([] {
              min(zeros({2, 0}), std::vector<int>{0, -1});
            }),
            "[min] Cannot reduce an empty axis: axis 1 of an array with shape (2,0) has no "
            "elements and min has no identity.");
  EXPECT_EQ(error_message([] { max(zeros({0})); }),
            "[max] Cannot reduce an empty axis: axis 0 of an array with shape (0) has no "
            "elements and max has no identity.");
  // Reducing a non-empty axis of an empty array is fine: there is nothing to compute.
  expect_array<float>(max(zeros({0, 3}), 1), {0}, float32, {});
  expect_array<float>(min(zeros({3, 0}), 0, true), {1, 0}, float32, {});
}

// ---------------------------------------------------------------------------------------------
// all

TEST(ReduceAll, EveryOverload) {
  auto a = array({true, true, false, true, true, true}, {2, 3});
  expect_array<bool>(all(a), {}, bool_, {false});
  expect_array<bool>(all(a, true), {1, 1}, bool_, {false});
  expect_array<bool>(all(a, 0), {3}, bool_, {true, true, false});
  expect_array<bool>(all(a, -1, true), {2, 1}, bool_, {false, true});
  expect_array<bool>(all(a, {0, 1}), {}, bool_, {false});
  expect_array<bool>(all(ones({2, 2}, bool_), std::vector<int>{1, 0}, true), {1, 1}, bool_, {true});
}

TEST(ReduceAll, EveryDtypeIsTestedForNonzero) {
  expect_array<bool>(all(array({1, -1, 3}, int8), 0), {}, bool_, {true});
  expect_array<bool>(all(array({1, 0, 3}, uint16)), {}, bool_, {false});
  expect_array<bool>(all(array({256, 65536}, int32)), {}, bool_, {true});
  expect_array<bool>(all(array({uint64_t{1} << 63}, uint64)), {}, bool_, {true});
  expect_array<bool>(all(array({int64_t{0}, int64_t{1}}, int64)), {}, bool_, {false});
  expect_array<bool>(all(array({0.5f, -0.0f}, float16)), {}, bool_, {false});
  expect_array<bool>(all(array({0.5f, 2.0f}, bfloat16)), {}, bool_, {true});
  // NaN is nonzero.
  expect_array<bool>(all(array({kNaN, 1.0f})), {}, bool_, {true});
  expect_array<bool>(all(array({1e-300, 0.0}, float64)), {}, bool_, {false});
  expect_array<bool>(all(array({complex64_t(0, 1), complex64_t(2, 0)})), {}, bool_, {true});
  expect_array<bool>(all(array({complex64_t(0, 0), complex64_t(2, 0)})), {}, bool_, {false});
}

TEST(ReduceAll, EmptyAndNoAxes) {
  expect_array<bool>(all(zeros({0})), {}, bool_, {true});
  expect_array<bool>(all(zeros({0, 2}), 0), {2}, bool_, {true, true});
  expect_array<bool>(all(array({0, 2}, int32), std::vector<int>{}), {2}, bool_, {false, true});
  expect_array<bool>(all(array(0.5f)), {}, bool_, {true});
}

// ---------------------------------------------------------------------------------------------
// axes and errors

TEST(ReduceAxes, InvalidAxes) {
  auto a = zeros({2, 3});
  EXPECT_EQ(error_message([&] { sum(a, 2); }),
            "[sum] Received invalid axis 2 for array with 2 dimensions.");
  EXPECT_EQ(error_message([&] {
              sum(a, std::vector<int>{0, 3});
            }),
            "[sum] Received invalid axis 3 for array with 2 dimensions.");
  EXPECT_EQ(error_message([&] { mean(a, -3); }),
            "[mean] Received invalid axis -3 for array with 2 dimensions.");
  EXPECT_EQ(error_message([&] { max(a, 5, true); }),
            "[max] Received invalid axis 5 for array with 2 dimensions.");
  EXPECT_EQ(error_message([&] {
              min(a, {0, -4});
            }),
            "[min] Received invalid axis -4 for array with 2 dimensions.");
  EXPECT_EQ(error_message([&] { all(a, 2); }),
            "[all] Received invalid axis 2 for array with 2 dimensions.");
  EXPECT_EQ(error_message([] { sum(array(1.0f), 0); }),
            "[sum] Received invalid axis 0 for array with 0 dimensions.");
}

TEST(ReduceAxes, DuplicateAxes) {
  auto a = zeros({2, 3});
  EXPECT_EQ(error_message([&] {
              sum(a, {1, -1});
            }),
            "[sum] Received duplicate axis 1 in axes (1,-1) for array with 2 dimensions.");
  EXPECT_EQ(error_message([&] {
              mean(a, {0, 0});
            }),
            "[mean] Received duplicate axis 0 in axes (0,0) for array with 2 dimensions.");
  EXPECT_EQ(error_message([&] {
              max(a, {-2, 1, 0});
            }),
            "[max] Received duplicate axis 0 in axes (-2,1,0) for array with 2 dimensions.");
  EXPECT_EQ(error_message([&] {
              all(a, {1, 1});
            }),
            "[all] Received duplicate axis 1 in axes (1,1) for array with 2 dimensions.");
}

TEST(ReduceAxes, KeepdimsFalseIsAViewOfTheResult) {
  auto r = sum(cube(), {0, 2}, true);
  auto v = reshape(r, {3});
  r.eval();
  v.eval();
  EXPECT_EQ(v.data<int32_t>(), r.data<int32_t>());
  EXPECT_EQ(v.strides(), (Strides{1}));
}

TEST(ReduceAxes, Printing) {
  auto r = sum(cube(), {2, 0}, true);
  std::ostringstream os;
  r.primitive().print(os);
  EXPECT_EQ(os.str(), "Sum(0,2)");
  std::ostringstream os2;
  all(cube(), 1, true).primitive().print(os2);
  EXPECT_EQ(os2.str(), "And(1)");
}

// ---------------------------------------------------------------------------------------------
// large inputs: the thread pool, the SIMD kernels, split reductions

TEST(ReduceLarge, RowAndColumnSumsOfARamp) {
  // x[i][j] = i + j: every partial sum is an integer below 2^24, so float32 results are exact.
  const int n = 2048;
  auto x = ramp2d(n, n, float32);
  auto rows = values<float>(sum(x, 1));
  auto cols = values<float>(sum(x, 0));
  auto rmax = values<float>(max(x, 1));
  auto cmin = values<float>(min(x, 0));
  ASSERT_EQ(rows.size(), static_cast<size_t>(n));
  ASSERT_EQ(cols.size(), static_cast<size_t>(n));
  const float base = n * (n - 1) / 2.0f;
  int bad = 0;
  for (int i = 0; i < n; ++i) {
    bad += rows[i] != base + static_cast<float>(n) * i;
    bad += cols[i] != base + static_cast<float>(n) * i;
    bad += rmax[i] != static_cast<float>(i + n - 1);
    bad += cmin[i] != static_cast<float>(i);
  }
  EXPECT_EQ(bad, 0);
}

TEST(ReduceLarge, EveryFloatDtypeThroughRowsAndColumns) {
  // x[i][j] = i + j below 256: exact in every float dtype below.
  const int r = 150, c = 100;
  for (Dtype dt : {float16, bfloat16, float32, float64}) {
    auto x = ramp2d(r, c, dt);
    auto rows = values<double>(astype(sum(x, 1), float64));
    auto cols = values<double>(astype(sum(x, 0), float64));
    auto rmax = values<double>(astype(max(x, 1), float64));
    auto cmax = values<double>(astype(max(x, 0), float64));
    auto rmin = values<double>(astype(min(x, 1), float64));
    int bad = 0;
    for (int i = 0; i < r; ++i) {
      // Sums are exact in float32, then rounded once to the dtype.
      double exact = static_cast<double>(c) * i + c * (c - 1) / 2.0;
      bad += rows[i] != values<double>(astype(astype(array(exact, float64), dt), float64))[0];
      bad += rmax[i] != i + c - 1;
      bad += rmin[i] != i;
    }
    for (int j = 0; j < c; ++j) {
      double exact = static_cast<double>(r) * j + r * (r - 1) / 2.0;
      bad += cols[j] != values<double>(astype(astype(array(exact, float64), dt), float64))[0];
      bad += cmax[j] != j + r - 1;
    }
    EXPECT_EQ(bad, 0) << dt;
  }
}

TEST(ReduceLarge, FewOutputsSplitTheReduction) {
  // Three long rows and three long columns: the reduced range is cut into chunks.
  const int64_t n = 1 << 18;
  auto rows = ramp2d(3, static_cast<int>(n), float64);
  expect_array<double>(sum(rows, 1), {3}, float64,
                       {n * (n - 1) / 2.0, n * (n - 1) / 2.0 + n, n * (n - 1) / 2.0 + 2 * n});
  auto cols = ramp2d(static_cast<int>(n), 3, float64);
  expect_array<double>(sum(cols, 0), {3}, float64,
                       {n * (n - 1) / 2.0, n * (n - 1) / 2.0 + n, n * (n - 1) / 2.0 + 2 * n});
  expect_array<double>(max(cols, 0), {3}, float64, {n - 1.0, n + 0.0, n + 1.0});
  expect_array<float>(sum(ones({static_cast<int>(n), 3}), 0), {3}, float32,
                      std::vector<float>(3, static_cast<float>(n)));
  expect_array<int32_t>(sum(ones({static_cast<int>(n), 5}, int8), 0), {5}, int32,
                        std::vector<int32_t>(5, static_cast<int32_t>(n)));
}

TEST(ReduceLarge, FullReductions) {
  const int64_t n = 3000000;
  auto x = astype(arange(static_cast<int>(n)), float64);
  expect_array<double>(sum(x), {}, float64, {n * (n - 1) / 2.0});
  expect_array<double>(max(x), {}, float64, {n - 1.0});
  expect_array<double>(min(x), {}, float64, {0.0});
  expect_array<double>(mean(x), {}, float64, {(n - 1) / 2.0});
  expect_array<int64_t>(sum(astype(arange(static_cast<int>(n)), int64)), {}, int64,
                        {n * (n - 1) / 2});
  // int32 wraps around: n(n-1)/2 = 4499998500000 modulo 2^32.
  expect_array<int32_t>(sum(arange(static_cast<int>(n))), {}, int32,
                        {static_cast<int32_t>(static_cast<uint32_t>(n * (n - 1) / 2))});
  expect_array<float>(mean(arange(static_cast<int>(n))), {}, float32,
                      {static_cast<float>((n - 1) / 2.0)});
  expect_array<bool>(all(ones({static_cast<int>(n)}, bool_)), {}, bool_, {true});
  expect_array<bool>(all(add(arange(static_cast<int>(n)), array(1))), {}, bool_, {true});
  expect_array<bool>(all(arange(static_cast<int>(n))), {}, bool_, {false});
  expect_array<uint32_t>(sum(ones({static_cast<int>(n)}, uint8)), {}, uint32,
                         {static_cast<uint32_t>(n)});
}

TEST(ReduceLarge, StridedAndBroadcastInputs) {
  const int n = 1 << 20;
  auto x = astype(arange(n), float64);
  // Every other element, backwards: 2k + 1 for k < n/2.
  auto odd = slice(x, {n - 1}, {0}, {-2});
  expect_array<double>(sum(odd), {}, float64, {static_cast<double>(n / 2) * (n / 2)});
  auto m = reshape(x, {1024, 1024});
  // Every other row and column of the matrix, reduced over the rows (no dim is contiguous).
  auto sub = slice(m, {0, 0}, {1024, 1024}, {2, 2});
  auto cols = values<double>(sum(sub, 0));
  int bad = 0;
  for (int j = 0; j < 512; ++j) {
    // sum over k < 512 of (2k * 1024 + 2j)
    bad += cols[j] != 1024.0 * 512 * 511 + 512.0 * 2 * j;
  }
  EXPECT_EQ(bad, 0);
  auto b = broadcast_to(reshape(astype(arange(1000), float32), {1000, 1}), {1000, 500});
  auto bs = values<float>(sum(b, 1));
  bad = 0;
  for (int i = 0; i < 1000; ++i) {
    bad += bs[i] != 500.0f * i;
  }
  EXPECT_EQ(bad, 0);
  auto b64 = broadcast_to(reshape(astype(arange(1000), float64), {1000, 1}), {1000, 500});
  expect_array<double>(sum(b64), {}, float64, {500.0 * 999 * 1000 / 2});
  expect_array<double>(sum(b64, 0), {500}, float64, std::vector<double>(500, 999.0 * 1000 / 2));
}

TEST(ReduceLarge, ManySmallReductions) {
  // One million rows of length 3, and a reduction over the middle axis of a 3-d array.
  const int n = 1 << 20;
  auto x = reshape(astype(arange(3 * n), int64), {n, 3});
  auto s = values<int64_t>(sum(x, 1));
  int bad = 0;
  for (int i = 0; i < n; ++i) {
    bad += s[i] != 9LL * i + 3;
  }
  EXPECT_EQ(bad, 0);
  auto y = reshape(astype(arange(64 * 100 * 64), float64), {64, 100, 64});
  auto mid = values<double>(sum(y, 1));
  bad = 0;
  for (int i = 0; i < 64; ++i) {
    for (int k = 0; k < 64; ++k) {
      // sum over j < 100 of (i * 6400 + j * 64 + k)
      bad += mid[i * 64 + k] != 100.0 * (i * 6400 + k) + 64.0 * 4950;
    }
  }
  EXPECT_EQ(bad, 0);
}
