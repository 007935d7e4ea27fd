// Reductions: sum, prod, mean, max, min, all, any, count_nonzero, argmin, argmax, logsumexp,
// softmax, var, std — every overload, the dtype rules, axes (negative,
// several, none), keepdims, strided and broadcast inputs, empty arrays, NaN, the errors, and
// inputs large enough to take the thread pool and the SIMD kernels (with exact expected values).
#include <gtest/gtest.h>

#include "check.h"
#include "helpers.h"

#include <algorithm>
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

// ---------------------------------------------------------------------------------------------
// any

TEST(ReduceAny, EveryOverload) {
  auto a = array({false, false, true, false}, {2, 2});
  expect_array<bool>(any(a), {}, bool_, {true});
  expect_array<bool>(any(a, true), {1, 1}, bool_, {true});
  expect_array<bool>(any(a, 0), {2}, bool_, {true, false});
  expect_array<bool>(any(a, -1, true), {2, 1}, bool_, {false, true});
  expect_array<bool>(any(a, std::vector<int>{0, 1}), {}, bool_, {true});
  expect_array<bool>(any(zeros({2, 2})), {}, bool_, {false});
}

TEST(ReduceAny, EveryDtypeIsTestedForNonzero) {
  for (int i = 0; i < num_dtypes; ++i) {
    auto dt = dtype_from_index(i);
    auto a = astype(array({0, 0, 0, 2, 0, 0}, {2, 3}), dt);
    expect_array<bool>(any(a, 1), {2}, bool_, {false, true});
  }
  // NaN is nonzero.
  expect_array<bool>(any(array({0.0f, kNaN})), {}, bool_, {true});
}

TEST(ReduceAny, EmptyAndNoAxes) {
  expect_array<bool>(any(zeros({0})), {}, bool_, {false});
  expect_array<bool>(any(zeros({2, 0}), 1), {2}, bool_, {false, false});
  expect_array<bool>(any(array({0, 3}), std::vector<int>{}), {2}, bool_, {false, true});
  EXPECT_INVALID(any(zeros({2}), 1), "[any] Received invalid axis 1 for array with 1 dimensions.");
}

TEST(ReduceAny, Large) {
  // One nonzero far into a large input, through the parallel split.
  auto a = zeros({1 << 20}, int32);
  auto b = slice_update(a, array({5}), {(1 << 20) - 3}, {(1 << 20) - 2});
  expect_array<bool>(any(b), {}, bool_, {true});
  expect_array<bool>(any(a), {}, bool_, {false});
  auto cols = any(reshape(b, {1024, 1024}), 0);
  auto v = values<bool>(cols);
  for (int j = 0; j < 1024; ++j) {
    EXPECT_EQ(v[j], j == 1021) << j;
  }
}

// ---------------------------------------------------------------------------------------------
// prod

TEST(ReduceProd, EveryOverload) {
  auto a = array({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}, {2, 3});
  expect_array<float>(prod(a), {}, float32, {720});
  expect_array<float>(prod(a, true), {1, 1}, float32, {720});
  expect_array<float>(prod(a, 0), {3}, float32, {4, 10, 18});
  expect_array<float>(prod(a, -1, true), {2, 1}, float32, {6, 120});
  expect_array<float>(prod(a, {1, 0}), {}, float32, {720});
}

TEST(ReduceProd, DtypesWidenLikeSum) {
  auto v = array({1, 2, 3, 4, 5, 6}, {2, 3});
  expect_array<int32_t>(prod(astype(v, int8), 1), {2}, int32, {6, 120});
  expect_array<int32_t>(prod(astype(v, int16), 1), {2}, int32, {6, 120});
  expect_array<uint32_t>(prod(astype(v, uint8), 1), {2}, uint32, {6, 120});
  expect_array<uint32_t>(prod(astype(v, uint16)), {}, uint32, {720});
  expect_array<int64_t>(prod(astype(v, int64), 0), {3}, int64, {4, 10, 18});
  expect_array<uint64_t>(prod(astype(v, uint64), 0), {3}, uint64, {4, 10, 18});
  expect_array<int32_t>(prod(array({true, true, false})), {}, int32, {0});
  expect_array<double>(prod(astype(v, float64)), {}, float64, {720});
  expect_array<float16_t>(prod(astype(v, float16), 1), {2}, float16, {6, 120});
  expect_array<bfloat16_t>(prod(astype(v, bfloat16), 1), {2}, bfloat16, {6, 120});
  expect_array<complex64_t>(prod(array({complex64_t(0, 1), complex64_t(0, 1)})), {}, complex64,
                            {complex64_t(-1, 0)});
  // Wider products wrap around, as NumPy's do; small ones widen first.
  expect_array<int32_t>(prod(array({65536, 65536})), {}, int32, {0});
  expect_array<uint32_t>(prod(array({200, 2}, uint8)), {}, uint32, {400});
  expect_array<int32_t>(prod(array({-128, 2}, int8)), {}, int32, {-256});
}

TEST(ReduceProd, EmptyAndNoAxes) {
  expect_array<float>(prod(zeros({0})), {}, float32, {1});
  expect_array<int32_t>(prod(zeros({2, 0}, int8), 1), {2}, int32, {1, 1});
  auto a = array({3, 4}, int8);
  auto same = prod(a, std::vector<int>{});
  EXPECT_EQ(same.dtype(), int8);
  expect_array<int8_t>(same, {2}, int8, {3, 4});
  EXPECT_INVALID(prod(a, {0, 0}),
                 "[prod] Received duplicate axis 0 in axes (0,0) for array with 1 dimensions.");
}

TEST(ReduceProd, LargeFloatAndColumns) {
  // Values near one keep the product finite; every path must agree with a double loop.
  const int rows = 300, cols = 257;
  std::vector<float> v(rows * cols);
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = 1.0f + static_cast<float>((i * 7) % 13) / 1024.0f;
  }
  auto a = array(v.begin(), {rows, cols}, float32);
  auto by_row = values<float>(prod(a, 1));
  auto by_col = values<float>(prod(a, 0));
  for (int i = 0; i < rows; ++i) {
    double p = 1;
    for (int j = 0; j < cols; ++j) p *= v[i * cols + j];
    EXPECT_NEAR(by_row[i], p, 1e-5 * p) << i;
  }
  for (int j = 0; j < cols; ++j) {
    double p = 1;
    for (int i = 0; i < rows; ++i) p *= v[i * cols + j];
    EXPECT_NEAR(by_col[j], p, 1e-5 * p) << j;
  }
}

TEST(ReduceProd, GradientsAtZeros) {
  // No zero: prod / x. One zero: the product of the others at the zero, zero elsewhere. Two: all
  // zero.
  auto f = [](const array& x) { return prod(x, 1); };
  auto x = array({2.0f, 3.0f, 4.0f, 2.0f, 0.0f, 5.0f, 0.0f, 3.0f, 0.0f}, {3, 3});
  auto [out, g] = vjp(f, x, array({1.0f, 1.0f, 1.0f}));
  expect_array<float>(out, {3}, float32, {24, 0, 0});
  expect_array<float>(g, {3, 3}, float32, {12, 8, 6, 0, 10, 0, 0, 0, 0});
  auto [jout, jt] = jvp(f, x, ones({3, 3}));
  expect_array<float>(jt, {3}, float32, {26, 10, 0});
}

// ---------------------------------------------------------------------------------------------
// count_nonzero

TEST(ReduceCountNonzero, EveryOverload) {
  auto a = array({0, 1, 2, 0, 0, 3}, {2, 3});
  expect_array<uint32_t>(count_nonzero(a), {}, uint32, {3});
  expect_array<uint32_t>(count_nonzero(a, true), {1, 1}, uint32, {3});
  expect_array<uint32_t>(count_nonzero(a, 0), {3}, uint32, {0, 1, 2});
  expect_array<uint32_t>(count_nonzero(a, -1, true), {2, 1}, uint32, {2, 1});
  expect_array<uint32_t>(count_nonzero(a, std::vector<int>{1, 0}), {}, uint32, {3});
  expect_array<uint32_t>(count_nonzero(a, std::vector<int>{}), {2, 3}, uint32, {0, 1, 1, 0, 0, 1});
}

TEST(ReduceCountNonzero, DtypesAndEmpty) {
  for (int i = 0; i < num_dtypes; ++i) {
    auto a = astype(array({0, 4, 0, 1}), dtype_from_index(i));
    expect_array<uint32_t>(count_nonzero(a), {}, uint32, {2});
  }
  expect_array<uint32_t>(count_nonzero(array({kNaN, 0.0f, -0.0f})), {}, uint32, {1});
  expect_array<uint32_t>(count_nonzero(zeros({0})), {}, uint32, {0});
  expect_array<uint32_t>(count_nonzero(ones({3000, 2}), 0), {2}, uint32, {3000, 3000});
  EXPECT_INVALID(count_nonzero(zeros({2}), -2),
                 "[count_nonzero] Received invalid axis -2 for array with 1 dimensions.");
}

// ---------------------------------------------------------------------------------------------
// argmin and argmax

TEST(ReduceArg, EveryOverload) {
  auto a = array({1.0f, 5.0f, 5.0f, 7.0f, 0.0f, 7.0f}, {2, 3});
  expect_array<uint32_t>(argmax(a), {}, uint32, {3});
  expect_array<uint32_t>(argmin(a), {}, uint32, {4});
  expect_array<uint32_t>(argmax(a, true), {1, 1}, uint32, {3});
  expect_array<uint32_t>(argmin(a, false), {}, uint32, {4});
  expect_array<uint32_t>(argmax(a, 1), {2}, uint32, {1, 0});
  expect_array<uint32_t>(argmin(a, 1), {2}, uint32, {0, 1});
  expect_array<uint32_t>(argmax(a, 0), {3}, uint32, {1, 0, 1});
  expect_array<uint32_t>(argmin(a, -2, true), {1, 3}, uint32, {0, 1, 0});
  expect_array<uint32_t>(argmax(a, -1, true), {2, 1}, uint32, {1, 0});
  expect_array<uint32_t>(argmax(array(3.0f)), {}, uint32, {0});
}

TEST(ReduceArg, EveryDtype) {
  for (int i = 0; i < num_dtypes; ++i) {
    auto dt = dtype_from_index(i);
    if (dt == bool_) {
      expect_array<uint32_t>(argmax(array({false, true, true})), {}, uint32, {1});
      expect_array<uint32_t>(argmin(array({true, false, false})), {}, uint32, {1});
      continue;
    }
    auto a = astype(array({3, 1, 4, 1, 5, 9, 2, 6}), dt);
    expect_array<uint32_t>(argmax(a), {}, uint32, {5});
    expect_array<uint32_t>(argmin(a), {}, uint32, {1});
    expect_array<uint32_t>(argmax(reshape(a, {2, 4}), 0), {4}, uint32, {1, 1, 0, 1});
  }
  // Signed values and the extremes of the type.
  expect_array<uint32_t>(argmin(array({0, -128, 127}, int8)), {}, uint32, {1});
  expect_array<uint32_t>(argmax(array({0, -128, 127}, int8)), {}, uint32, {2});
  expect_array<uint32_t>(argmin(array({kInf, -kInf, 0.0f})), {}, uint32, {1});
}

TEST(ReduceArg, NaNWinsAndTiesTakeTheFirst) {
  auto a = array({1.0f, kNaN, 3.0f, kNaN});
  expect_array<uint32_t>(argmax(a), {}, uint32, {1});
  expect_array<uint32_t>(argmin(a), {}, uint32, {1});
  expect_array<uint32_t>(argmax(array({kNaN, 9.0f})), {}, uint32, {0});
  expect_array<uint32_t>(argmin(astype(array({2.0f, 1.0f, kNaN}), float16)), {}, uint32, {2});
  expect_array<uint32_t>(argmax(astype(array({2.0f, kNaN}), float64)), {}, uint32, {1});
  auto cols = array({1.0f, 2.0f, kNaN, 2.0f, 0.0f, 2.0f}, {3, 2});
  expect_array<uint32_t>(argmax(cols, 0), {2}, uint32, {1, 0});
  expect_array<uint32_t>(argmin(cols, 0), {2}, uint32, {1, 0});
  expect_array<uint32_t>(argmax(array({2, 7, 7, 7})), {}, uint32, {1});
  expect_array<uint32_t>(argmin(array({2, 0, 5, 0})), {}, uint32, {1});
}

TEST(ReduceArg, LargeStridedAndColumns) {
  // Through the row scan, the column scan (axis 0 of a contiguous array), a transpose and a
  // reversed slice, against a plain loop.
  const int rows = 333, cols = 517;
  std::vector<int> v(rows * cols);
  for (int i = 0; i < rows * cols; ++i) {
    v[i] = (i * 7919) % 1009;
  }
  auto a = astype(array(v.begin(), {rows, cols}, int32), float32);
  auto check = [&](const array& out, int axis) {
    auto got = values<uint32_t>(out);
    const int n = axis == 0 ? rows : cols;
    const int m = axis == 0 ? cols : rows;
    ASSERT_EQ(got.size(), static_cast<size_t>(m));
    for (int k = 0; k < m; ++k) {
      int best_max = 0, best_min = 0;
      auto at = [&](int i) { return axis == 0 ? v[i * cols + k] : v[k * cols + i]; };
      for (int i = 1; i < n; ++i) {
        if (at(i) > at(best_max)) best_max = i;
        if (at(i) < at(best_min)) best_min = i;
      }
      EXPECT_EQ(got[k], static_cast<uint32_t>(best_max)) << "axis " << axis << " k " << k;
    }
  };
  check(argmax(a, 0), 0);
  check(argmax(a, 1), 1);
  check(argmax(transpose(a), 1), 0);
  check(argmax(transpose(a), 0), 1);
  auto rev = slice(a, {0, cols - 1}, {rows, -cols - 1}, {1, -1});
  auto got = values<uint32_t>(argmin(rev, 1));
  for (int r = 0; r < rows; ++r) {
    int best = 0;
    for (int i = 1; i < cols; ++i) {
      if (v[r * cols + cols - 1 - i] < v[r * cols + cols - 1 - best]) best = i;
    }
    EXPECT_EQ(got[r], static_cast<uint32_t>(best)) << r;
  }
}

TEST(ReduceArg, Errors) {
  EXPECT_INVALID(argmax(zeros({2, 3}), 2),
                 "[argmax] Received invalid axis 2 for array with 2 dimensions.");
  EXPECT_INVALID(argmin(zeros({2, 3}), -3),
                 "[argmin] Received invalid axis -3 for array with 2 dimensions.");
  EXPECT_INVALID(argmax(zeros({2, 0}), 1),
                 "[argmax] Cannot reduce an empty axis: axis 1 of an array with shape (2,0) has "
                 "no elements.");
  EXPECT_INVALID(argmin(zeros({0})),
                 "[argmin] Cannot reduce an empty axis: axis 0 of an array with shape (0) has no "
                 "elements.");
  expect_array<uint32_t>(argmax(zeros({0, 3}), 1), {0}, uint32, {});
}

TEST(ReduceArg, GradientIsZero) {
  auto g = grad([](const array& x) { return sum(astype(argmax(x), float32) + x); });
  expect_array<float>(g(array({1.0f, 3.0f})), {2}, float32, {1, 1});
  auto [out, t] =
      jvp([](const array& x) { return argmax(x); }, array({1.0f, 3.0f}), array({1.0f, 1.0f}));
  expect_array<uint32_t>(t, {}, uint32, {0});
}

// ---------------------------------------------------------------------------------------------
// logsumexp

TEST(ReduceLogSumExp, EveryOverload) {
  auto a = reshape(arange(6.0f), {2, 3});
  check::expect_same(logsumexp(a), array(5.456193316018123f), 1e-7);
  check::expect_same(logsumexp(a, true), array({5.456193316018123f}, {1, 1}), 1e-7);
  check::expect_same(logsumexp(a, 1), array({2.40760596444438f, 5.407605964444381f}), 1e-7);
  check::expect_same(logsumexp(a, -1, true), array({2.40760596444438f, 5.407605964444381f}, {2, 1}),
                     1e-7);
  check::expect_same(logsumexp(a, 0),
                     array({3.048587351573742f, 4.048587351573742f, 5.048587351573742f}), 1e-7);
  check::expect_same(logsumexp(a, {1, 0}), array(5.456193316018123f), 1e-7);
}

TEST(ReduceLogSumExp, Dtypes) {
  auto ints = array({0, 1, 2});
  check::expect_same(logsumexp(ints), array(2.40760596444438f), 1e-7);
  check::expect_same(logsumexp(array({0.0, 1.0, 2.0}, float64)), array(2.40760596444438, float64),
                     1e-15);
  auto h = logsumexp(array({0.0f, 1.0f, 2.0f}, float16));
  EXPECT_EQ(h.dtype(), float16);
  check::expect_same(h, array(2.40760596444438f, float16));
  EXPECT_EQ(logsumexp(array({0.0f, 1.0f}, bfloat16)).dtype(), bfloat16);
  EXPECT_EQ(logsumexp(array({true, false})).dtype(), float32);
  EXPECT_INVALID(logsumexp(array({complex64_t(1, 1)})),
                 "[logsumexp] Complex inputs are not supported, received complex64.");
}

TEST(ReduceLogSumExp, StableAndSpecialValues) {
  check::expect_same(logsumexp(array({1000.0f, 1000.0f})), array(1000.6931471805599f), 1e-7);
  check::expect_same(logsumexp(array({-1000.0f, -1000.0f})), array(-999.3068528194401f), 1e-7);
  EXPECT_EQ(logsumexp(array({kInf, 1.0f})).item<float>(), kInf);
  EXPECT_EQ(logsumexp(array({-kInf, -kInf})).item<float>(), -kInf);
  EXPECT_EQ(logsumexp(array({-kInf, 0.0f})).item<float>(), 0.0f);
  EXPECT_TRUE(std::isnan(logsumexp(array({1.0f, kNaN})).item<float>()));
  EXPECT_TRUE(std::isnan(logsumexp(array({kInf, kNaN})).item<float>()));
  // An empty axis sums nothing: log(0).
  expect_array<float>(logsumexp(zeros({2, 0}), 1), {2}, float32, {-kInf, -kInf});
  // No axes: each element on its own.
  expect_array<float>(logsumexp(array({1, 2}), std::vector<int>{}), {2}, float32, {1, 2});
}

TEST(ReduceLogSumExp, LongRowsAgreeWithDouble) {
  for (int n : {1, 7, 16, 33, 1000, 4099}) {
    std::vector<float> v(n);
    for (int i = 0; i < n; ++i) v[i] = static_cast<float>((i * 37) % 101) / 10.0f - 5.0f;
    double m = *std::max_element(v.begin(), v.end()), s = 0;
    for (float x : v) s += std::exp(x - m);
    auto a = array(v.begin(), {1, n}, float32);
    check::expect_same(logsumexp(a, 1), array({static_cast<float>(m + std::log(s))}), 1e-6);
    // The same values down a column.
    check::expect_same(logsumexp(reshape(a, {n, 1}), 0),
                       array({static_cast<float>(m + std::log(s))}), 1e-6);
  }
}

// ---------------------------------------------------------------------------------------------
// softmax

TEST(ReduceSoftmax, EveryOverload) {
  auto row = array({0.09003057317038046f, 0.24472847105479764f, 0.6652409557748218f});
  check::expect_same(softmax(array({1.0f, 2.0f, 3.0f})), row, 1e-7);
  check::expect_same(softmax(array({1.0f, 2.0f, 3.0f}), 0), row, 1e-7);
  check::expect_same(softmax(array({1.0f, 2.0f, 3.0f}), std::vector<int>{-1}, true), row, 1e-7);
  auto a = reshape(arange(6.0f), {2, 3});
  check::expect_same(softmax(a, -1), reshape(concatenate({row, row}), {2, 3}), 1e-7);
  auto lo = 0.04742587317756678f, hi = 0.9525741268224334f;
  check::expect_same(softmax(a, 0), array({lo, lo, lo, hi, hi, hi}, {2, 3}), 1e-7);
  check::expect_same(softmax(a),
                     array({0.00426977854528211f, 0.011606461431184656f, 0.03154963320110001f,
                            0.08576079462509835f, 0.23312200962361299f, 0.6336913225737218f},
                           {2, 3}),
                     1e-7);
  check::expect_same(softmax(a, {1, 0}), softmax(a), 1e-7);
  // Over the middle axis of a 3-d array: each (i, :, k) sums to one.
  auto c = reshape(arange(24.0f), {2, 3, 4});
  check::expect_same(sum(softmax(c, 1), 1), ones({2, 4}), 1e-6);
  check::expect_same(softmax(c, 1), exp(c - logsumexp(c, 1, true)), 1e-6);
}

TEST(ReduceSoftmax, DtypesAndSpecialValues) {
  EXPECT_EQ(softmax(array({1, 2})).dtype(), float32);
  check::expect_same(softmax(array({0, 3})), array({0.04742587317756678f, 0.9525741268224334f}),
                     1e-7);
  check::expect_same(softmax(array({0.0, 3.0}, float64)),
                     array({0.04742587317756678, 0.9525741268224334}, float64), 1e-15);
  auto h = softmax(array({0.0f, 3.0f}, float16));
  EXPECT_EQ(h.dtype(), float16);
  check::expect_same(h, array({0.04742587317756678f, 0.9525741268224334f}, float16));
  EXPECT_EQ(softmax(array({0.0f, 3.0f}, bfloat16), true).dtype(), bfloat16);
  check::expect_same(softmax(array({1000.0f, 1000.0f})), array({0.5f, 0.5f}));
  check::expect_same(softmax(array({-kInf, 0.0f})), array({0.0f, 1.0f}));
  // A NaN, an infinite max (inf - inf) or a row of -inf make the whole row NaN, as in NumPy;
  // rows long enough for the vector kernel too.
  for (int n : {2, 40}) {
    for (float special : {kNaN, kInf, -kInf}) {
      std::vector<float> v(n, special == -kInf ? -kInf : 1.0f);
      v[n / 2] = special;
      auto r = values<float>(softmax(array(v.begin(), {n}, float32)));
      for (float x : r) EXPECT_TRUE(std::isnan(x)) << n << " " << special;
      auto l = logsumexp(array(v.begin(), {n}, float32)).item<float>();
      if (std::isnan(special)) {
        EXPECT_TRUE(std::isnan(l));
      } else {
        EXPECT_EQ(l, special);
      }
    }
  }
  EXPECT_EQ(softmax(zeros({0, 3}), 1).shape(), Shape({0, 3}));
  expect_array<float>(softmax(array({2.0f, 5.0f}), std::vector<int>{}), {2}, float32, {1, 1});
  EXPECT_INVALID(softmax(zeros({2}), 1),
                 "[softmax] Received invalid axis 1 for array with 1 dimensions.");
}

TEST(ReduceSoftmax, LongRowsAgreeWithDouble) {
  for (int n : {1, 5, 16, 31, 1000, 4096, 4099}) {
    // 260 rows of 4099: over 4 MiB of output, streamed out from a scratch row at every alignment.
    const int rows = n == 4099 ? 260 : 2;
    std::vector<float> v(rows * n);
    for (int i = 0; i < rows * n; ++i) v[i] = static_cast<float>((i * 37) % 101) / 10.0f - 5.0f;
    auto a = array(v.begin(), {rows, n}, float32);
    std::vector<float> expected(rows * n);
    for (int r = 0; r < rows; ++r) {
      double m = *std::max_element(v.begin() + r * n, v.begin() + (r + 1) * n), s = 0;
      for (int i = 0; i < n; ++i) s += std::exp(v[r * n + i] - m);
      for (int i = 0; i < n; ++i) expected[r * n + i] = std::exp(v[r * n + i] - m) / s;
    }
    auto want = array(expected.begin(), {rows, n}, float32);
    check::expect_same(softmax(a, 1), want, 1e-6);
    // A transposed input takes a copy first; the result is the same.
    check::expect_same(transpose(softmax(transpose(a), 0)), want, 1e-6);
    check::expect_same(softmax(astype(a, float64), 1), astype(want, float64), 1e-6);
  }
}

// ---------------------------------------------------------------------------------------------
// var and std

TEST(ReduceVar, EveryOverload) {
  auto a = array({1.0f, 2.0f, 3.0f, 4.0f});
  check::expect_same(var(a), array(1.25f));
  check::expect_same(var(a, false, 1), array(1.6666666666666667f), 1e-7);
  check::expect_same(var(a, true), array({1.25f}, {1}));
  check::expect_same(mlx::core::std(a), array(1.118033988749895f), 1e-7);
  check::expect_same(mlx::core::std(a, true, 1), array({1.2909944487358056f}, {1}), 1e-7);
  auto b = reshape(arange(1.0f, 7.0f, 1.0f), {2, 3});
  check::expect_same(var(b, 0), array({2.25f, 2.25f, 2.25f}));
  check::expect_same(var(b, -1, true), array({0.6666666666666666f, 0.6666666666666666f}, {2, 1}),
                     1e-7);
  check::expect_same(var(b, 1, false, 1), array({1.0f, 1.0f}));
  check::expect_same(var(b, {0, 1}), array(2.9166666666666665f), 1e-7);
  check::expect_same(mlx::core::std(b, 0), array({1.5f, 1.5f, 1.5f}));
  check::expect_same(mlx::core::std(b, -1, false, 1), array({1.0f, 1.0f}));
  check::expect_same(mlx::core::std(b, {1, 0}, true), array({1.707825127659933f}, {1, 1}), 1e-7);
  check::expect_same(mlx::core::std(b), array(1.707825127659933f), 1e-7);
}

TEST(ReduceVar, DtypesAndAccuracy) {
  check::expect_same(var(array({1, 2, 3, 4})), array(1.25f));
  check::expect_same(mlx::core::std(array({true, false})), array(0.5f));
  check::expect_same(var(array({1.0, 2.0, 3.0, 4.0}, float64)), array(1.25, float64));
  auto h = var(array({1.0f, 2.0f, 3.0f, 4.0f}, float16));
  EXPECT_EQ(h.dtype(), float16);
  check::expect_same(h, array(1.25f, float16));
  EXPECT_EQ(mlx::core::std(array({1.0f, 3.0f}, bfloat16)).dtype(), bfloat16);
  // A large mean does not swamp the spread (mean(x^2) - mean(x)^2 would give 0 or worse here).
  check::expect_same(var(array({10000.5f, 10001.5f, 10000.5f, 10001.5f})), array(0.25f));
  check::expect_same(var(array({1e8 + 1, 1e8 + 2, 1e8 + 3}, float64)),
                     array(0.6666666666666666, float64), 1e-9);
}

TEST(ReduceVar, DegreesOfFreedomAndEmptyAxes) {
  // n - ddof <= 0 divides by zero, as NumPy does.
  EXPECT_EQ(var(array({1.0f, 2.0f}), false, 2).item<float>(), kInf);
  EXPECT_EQ(var(array({1.0f, 2.0f}), false, 3).item<float>(), kInf);
  EXPECT_TRUE(std::isnan(var(array({1.0f, 1.0f}), false, 2).item<float>()));
  // No axes: nothing varies.
  expect_array<float>(var(array({1.0f, 5.0f}), std::vector<int>{}), {2}, float32, {0, 0});
  EXPECT_INVALID(var(zeros({2}), 3), "[var] Received invalid axis 3 for array with 1 dimensions.");
  EXPECT_INVALID(mlx::core::std(zeros({2}), {0, -1}),
                 "[std] Received duplicate axis 0 in axes (0,-1) for array with 1 dimensions.");
}

// ---------------------------------------------------------------------------------------------
// every op of the family through the transform harness

namespace {
using V = std::vector<array>;
array x234() { return check::uniform({2, 3, 4}, -1, 1, 2); }
// x234 with exact zeros: one in some products over axis 1, two in another.
array x234_zeros() {
  std::vector<double> m(24, 1.0);
  for (int i : {0, 5, 9, 17, 13}) m[i] = 0.0;
  return x234() * array(m.data(), {2, 3, 4}, float64);
}
}  // namespace

#define REDUCE_HARNESS(name, fn, ...)       \
  TEST(ReduceHarness, name) {               \
    check::Fn f = fn;                       \
    std::vector<array> inputs{__VA_ARGS__}; \
    check::grads(f, inputs);                \
    check::vmaps(f, inputs);                \
  }
#define REDUCE_VMAP(name, fn, ...)          \
  TEST(ReduceHarness, name) {               \
    check::Fn f = fn;                       \
    std::vector<array> inputs{__VA_ARGS__}; \
    check::vmaps(f, inputs);                \
  }

REDUCE_HARNESS(
    Prod, [](const V& in) { return V{prod(in[0], 1)}; }, x234())
REDUCE_HARNESS(
    ProdAxes,
    [](const V& in) {
      return V{prod(in[0], {0, 2}, true)};
    },
    check::uniform({2, 3, 2}, 0.5, 1.5, 3))
REDUCE_HARNESS(
    ProdWithZeros, [](const V& in) { return V{prod(in[0], 1)}; }, x234_zeros())
REDUCE_HARNESS(
    LogSumExp, [](const V& in) { return V{logsumexp(in[0], -1)}; }, x234())
REDUCE_HARNESS(
    LogSumExpAxes,
    [](const V& in) {
      return V{logsumexp(in[0], {0, 2}, true)};
    },
    x234())
REDUCE_HARNESS(
    LogSumExpAll, [](const V& in) { return V{logsumexp(in[0])}; }, x234())
REDUCE_HARNESS(
    Softmax, [](const V& in) { return V{softmax(in[0], -1)}; }, x234())
REDUCE_HARNESS(
    SoftmaxMiddle, [](const V& in) { return V{softmax(in[0], 1)}; }, x234())
REDUCE_HARNESS(
    SoftmaxAll, [](const V& in) { return V{softmax(in[0])}; }, x234())
REDUCE_HARNESS(
    Var, [](const V& in) { return V{var(in[0], 1)}; }, x234())
REDUCE_HARNESS(
    VarDdof,
    [](const V& in) {
      return V{var(in[0], {0, 2}, true, 1)};
    },
    x234())
REDUCE_HARNESS(
    Std, [](const V& in) { return V{mlx::core::std(in[0], -1)}; }, x234())
REDUCE_VMAP(
    All, [](const V& in) { return V{all(in[0], 1)}; }, x234_zeros())
REDUCE_VMAP(
    Any,
    [](const V& in) {
      return V{any(in[0], {0, 2})};
    },
    x234_zeros())
REDUCE_VMAP(
    ArgMax, [](const V& in) { return V{argmax(in[0], 1)}; }, x234())
REDUCE_VMAP(
    ArgMin, [](const V& in) { return V{argmin(in[0], -1, true)}; }, x234())
REDUCE_VMAP(
    ArgMaxAll, [](const V& in) { return V{argmax(in[0])}; }, x234())
REDUCE_VMAP(
    CountNonzero, [](const V& in) { return V{count_nonzero(in[0], 1)}; }, x234_zeros())
