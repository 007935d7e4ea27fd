// The binary elementwise ops beyond the four arithmetic ones: floor_divide, remainder, divmod,
// maximum, minimum, power, arctan2, logaddexp, the bitwise ops and shifts, clip, and their
// operators. Expected values follow NumPy (computed with Python's floor-division semantics).
#include <gtest/gtest.h>

#include "check.h"
#include "helpers.h"

#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <vector>

#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

template <typename T>
array vec(const std::vector<T>& v, Dtype dtype) {
  return array(v.begin(), Shape{static_cast<int>(v.size())}, dtype);
}

array bools(const std::vector<int>& v) { return astype(vec(v, int32), bool_); }

template <typename T>
void expect_close(const array& a, Dtype dtype, const std::vector<double>& expected,
                  double rtol = 1e-6) {
  ASSERT_EQ(a.dtype(), dtype);
  auto got = values<T>(a);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    double g = static_cast<double>(got[i]);
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(g)) << "at " << i;
    } else if (std::isinf(expected[i])) {
      EXPECT_EQ(g, expected[i]) << "at " << i;
    } else {
      EXPECT_NEAR(g, expected[i], rtol * std::max(1.0, std::abs(expected[i]))) << "at " << i;
    }
  }
}

template <typename T>
class SignedInts : public ::testing::Test {};
using SignedTypes = ::testing::Types<int8_t, int16_t, int32_t, int64_t>;
TYPED_TEST_SUITE(SignedInts, SignedTypes);

template <typename T>
class UnsignedInts : public ::testing::Test {};
using UnsignedTypes = ::testing::Types<uint8_t, uint16_t, uint32_t, uint64_t>;
TYPED_TEST_SUITE(UnsignedInts, UnsignedTypes);

template <typename T>
Dtype dtype_of() {
  return TypeToDtype<T>();
}

}  // namespace

TYPED_TEST(SignedInts, FloorDivideAndRemainder) {
  using T = TypeParam;
  auto dt = dtype_of<T>();
  auto a = vec<T>({7, -7, 7, -7, 0, 5, -1, 1}, dt);
  auto b = vec<T>({2, 2, -2, -2, 3, 0, 3, -3}, dt);
  // Division by zero gives 0 (NumPy's value; NumPy also warns).
  expect_array<T>(floor_divide(a, b), {8}, dt, {3, -4, -4, 3, 0, 0, -1, -1});
  expect_array<T>(remainder(a, b), {8}, dt, {1, 1, -1, -1, 0, 0, 2, -2});
  expect_array<T>(a % b, {8}, dt, {1, 1, -1, -1, 0, 0, 2, -2});
  auto qr = divmod(a, b);
  ASSERT_EQ(qr.size(), 2u);
  expect_array<T>(qr[0], {8}, dt, {3, -4, -4, 3, 0, 0, -1, -1});
  expect_array<T>(qr[1], {8}, dt, {1, 1, -1, -1, 0, 0, 2, -2});
  // The one overflowing quotient wraps instead of trapping.
  auto lo = std::numeric_limits<T>::min();
  auto m = vec<T>({lo, lo}, dt);
  auto n = vec<T>({-1, 1}, dt);
  expect_array<T>(floor_divide(m, n), {2}, dt, {lo, lo});
  expect_array<T>(remainder(m, n), {2}, dt, {0, 0});
}

TYPED_TEST(UnsignedInts, FloorDivideAndRemainder) {
  using T = TypeParam;
  auto dt = dtype_of<T>();
  auto a = vec<T>({7, 200, 0, 5, 255}, dt);
  auto b = vec<T>({2, 7, 3, 0, 16}, dt);
  expect_array<T>(floor_divide(a, b), {5}, dt, {3, 28, 0, 0, 15});
  expect_array<T>(remainder(a, b), {5}, dt, {1, 4, 0, 0, 15});
}

TEST(Binary, FloorDivideAndRemainderFloats) {
  std::vector<double> a{7.5, -7.5, 7.5, -7.5, 0.0, 1.0, -1.0, 1.0, 5.0};
  std::vector<double> b{2.0, 2.0, -2.0, -2.0, 3.0, -3.0, 3.0, 0.0, kInf};
  std::vector<double> q{3, -4, -4, 3, 0, -1, -1, kInf, 0};
  std::vector<double> r{1.5, 0.5, -0.5, -1.5, 0.0, -2.0, 2.0, kNaN, 5.0};
  for (auto dt : {float32, float64, float16, bfloat16}) {
    SCOPED_TRACE(dt);
    auto x = astype(vec(a, float64), dt);
    auto y = astype(vec(b, float64), dt);
    expect_close<double>(astype(floor_divide(x, y), float64), float64, q);
    expect_close<double>(astype(remainder(x, y), float64), float64, r);
    EXPECT_EQ(floor_divide(x, y).dtype(), dt);
    EXPECT_EQ(remainder(x, y).dtype(), dt);
  }
  // The remainder's zero takes the divisor's sign; -1 % inf is inf, as in NumPy.
  auto z = remainder(array({0.0f, -1.0f}), array({-3.0f, kInf}));
  auto v = values<float>(z);
  EXPECT_TRUE(std::signbit(v[0]));
  EXPECT_EQ(v[1], kInf);
  // float64 is computed in double precision.
  auto big = remainder(array(1e17 + 8, float64), array(3.0, float64));
  EXPECT_EQ(values<double>(big)[0], std::fmod(1e17 + 8, 3.0));
}

TEST(Binary, FloorDivideRemainderPromotionAndErrors) {
  // Integers stay integers (no float upcast), with MLX promotion; C++ scalars are int32/float32.
  EXPECT_EQ(floor_divide(vec<int8_t>({7}, int8), vec<uint8_t>({2}, uint8)).dtype(), int16);
  EXPECT_EQ(remainder(vec<int8_t>({7}, int8), array(2)).dtype(), int32);
  EXPECT_EQ((vec<uint32_t>({7}, uint32) % 2).dtype(), int64);
  expect_array<int32_t>(7 % vec<int32_t>({2, -2}, int32), {2}, int32, {1, -1});
  EXPECT_EQ(remainder(vec<int32_t>({7}, int32), array(2.0f)).dtype(), float32);
  expect_array<bool>(floor_divide(bools({1, 1, 0, 0}), bools({1, 0, 1, 0})), {4}, bool_,
                     {true, false, false, false});
  expect_array<bool>(remainder(bools({1, 1, 0, 0}), bools({1, 0, 1, 0})), {4}, bool_,
                     {false, false, false, false});
  auto c = astype(array({1.0f}), complex64);
  EXPECT_INVALID(remainder(c, array(1.0f)),
                 "[remainder] Complex operands are not supported, but got operands of type "
                 "complex64 and float32.");
  EXPECT_INVALID(floor_divide(array(1.0f), c),
                 "[floor_divide] Complex operands are not supported, but got operands of type "
                 "float32 and complex64.");
  EXPECT_INVALID(divmod(c, c),
                 "[floor_divide] Complex operands are not supported, but got operands of type "
                 "complex64 and complex64.");
  EXPECT_INVALID(remainder(zeros({2, 3}), zeros({4})),
                 "[remainder] Shapes (2,3) and (4) cannot be broadcast.");
}

TEST(Binary, DivMod) {
  // Broadcast and strided operands; both outputs in one pass.
  auto a = transpose(reshape(arange(-6, 6, int32), {3, 4}));  // (4, 3), strided
  auto b = array({4, -5, 3}, int32);
  auto qr = divmod(a, b);
  ASSERT_EQ(qr.size(), 2u);
  expect_array<int32_t>(qr[0], {4, 3}, int32, {-2, 0, 0, -2, 0, 1, -1, 0, 1, -1, -1, 1});
  expect_array<int32_t>(qr[1], {4, 3}, int32, {2, -2, 2, 3, -1, 0, 0, 0, 1, 1, -4, 2});
  auto f = divmod(array({7.5f, -7.5f}), array(2.0f));
  expect_array<float>(f[0], {2}, float32, {3.0f, -4.0f});
  expect_array<float>(f[1], {2}, float32, {1.5f, 0.5f});
  // Large enough for the thread pool.
  auto x = arange(-50000, 50000, int64);
  auto y = array(int64_t{7});
  auto big = divmod(x, y);
  auto q = values<int64_t>(big[0]);
  auto r = values<int64_t>(big[1]);
  for (int64_t i = 0; i < 100000; i += 997) {
    int64_t v = i - 50000;
    int64_t fq = v / 7 - ((v % 7 != 0) && (v < 0));
    EXPECT_EQ(q[i], fq);
    EXPECT_EQ(r[i], v - fq * 7);
  }
}

TEST(Binary, MaximumMinimum) {
  auto a = array({1.0f, kNaN, 3.0f, -0.5f, kNaN, -kInf});
  auto b = array({2.0f, 1.0f, kNaN, -1.0f, kNaN, 4.0f});
  expect_close<float>(maximum(a, b), float32, {2, kNaN, kNaN, -0.5, kNaN, 4});
  expect_close<float>(minimum(a, b), float32, {1, kNaN, kNaN, -1, kNaN, -kInf});
  for (auto dt : {float64, float16, bfloat16}) {
    SCOPED_TRACE(dt);
    expect_close<double>(astype(maximum(astype(a, dt), astype(b, dt)), float64), float64,
                         {2, kNaN, kNaN, -0.5, kNaN, 4});
    expect_close<double>(astype(minimum(astype(a, dt), astype(b, dt)), float64), float64,
                         {1, kNaN, kNaN, -1, kNaN, -kInf});
  }
  for (auto dt : {int8, int16, int32, int64}) {
    SCOPED_TRACE(dt);
    auto x = astype(array({-3, 5, 0, -128}), dt);
    auto y = astype(array({2, -5, 0, 127}), dt);
    expect_array<int64_t>(astype(maximum(x, y), int64), {4}, int64, {2, 5, 0, 127});
    expect_array<int64_t>(astype(minimum(x, y), int64), {4}, int64, {-3, -5, 0, -128});
  }
  for (auto dt : {uint8, uint16, uint32, uint64}) {
    SCOPED_TRACE(dt);
    auto x = astype(array({3, 200, 0}), dt);
    auto y = astype(array({4, 100, 0}), dt);
    expect_array<int64_t>(astype(maximum(x, y), int64), {3}, int64, {4, 200, 0});
    expect_array<int64_t>(astype(minimum(x, y), int64), {3}, int64, {3, 100, 0});
  }
  expect_array<bool>(maximum(bools({1, 0, 1, 0}), bools({1, 1, 0, 0})), {4}, bool_,
                     {true, true, true, false});
  expect_array<bool>(minimum(bools({1, 0, 1, 0}), bools({1, 1, 0, 0})), {4}, bool_,
                     {true, false, false, false});
  // Complex values compare lexicographically (real part first).
  auto c = array({complex64_t(1, 5), complex64_t(2, -1), complex64_t(3, 1)});
  auto d = array({complex64_t(1, 6), complex64_t(1, 9), complex64_t(3, 0)});
  expect_array<complex64_t>(maximum(c, d), {3}, complex64,
                            {complex64_t(1, 6), complex64_t(2, -1), complex64_t(3, 1)});
  expect_array<complex64_t>(minimum(c, d), {3}, complex64,
                            {complex64_t(1, 5), complex64_t(1, 9), complex64_t(3, 0)});
  // Promotion and broadcasting.
  auto p = maximum(vec<int8_t>({-1, 9}, int8), vec<uint8_t>({3}, uint8));
  expect_array<int16_t>(p, {2}, int16, {3, 9});
  EXPECT_EQ(maximum(vec<uint64_t>({1}, uint64), array(1)).dtype(), float32);
  EXPECT_EQ(minimum(astype(array({1.0f}), float16), array(1.0f)).dtype(), float32);
  auto m = maximum(reshape(array({1.0f, 5.0f}), {2, 1}), array({0.0f, 2.0f, 7.0f}));
  expect_array<float>(m, {2, 3}, float32, {1, 2, 7, 5, 5, 7});
  EXPECT_INVALID(minimum(zeros({2}), zeros({3})),
                 "[minimum] Shapes (2) and (3) cannot be broadcast.");
}

TEST(Binary, MaximumMinimumLarge) {
  // Several SIMD tiles, threads and (above 4 MiB) the streaming path, NaN anywhere.
  for (int n : {1000003, 4099}) {
    auto x = check::uniform({n}, -1, 1, 3, float32);
    auto y = check::uniform({n}, -1, 1, 4, float32);
    std::vector<float> xs = values<float>(x);
    xs[17] = kNaN;
    xs[n - 2] = kNaN;
    auto xn = vec(xs, float32);
    auto ys = values<float>(y);
    auto mx = values<float>(maximum(xn, y));
    auto mn = values<float>(minimum(y, xn));
    for (int i = 0; i < n; ++i) {
      if (std::isnan(xs[i])) {
        ASSERT_TRUE(std::isnan(mx[i]) && std::isnan(mn[i])) << i;
      } else {
        ASSERT_EQ(mx[i], std::max(xs[i], ys[i])) << i;
        ASSERT_EQ(mn[i], std::min(xs[i], ys[i])) << i;
      }
    }
  }
}

TEST(Binary, Clip) {
  auto a = array({-3.0f, 0.5f, 4.0f, kNaN});
  expect_close<float>(clip(a, array(-1.0f), array(2.0f)), float32, {-1, 0.5, 2, kNaN});
  expect_close<float>(clip(a, array(0.0f)), float32, {0, 0.5, 4, kNaN});
  expect_close<float>(clip(a, std::nullopt, array(1.0f)), float32, {-3, 0.5, 1, kNaN});
  // Array bounds broadcast; the result promotes with the bounds.
  auto i = clip(array({1, 5, 9}, int32), array({2, 2, 2}, int32), array({3, 4, 10}, int32));
  expect_array<int32_t>(i, {3}, int32, {2, 4, 9});
  EXPECT_EQ(clip(vec<int8_t>({1}, int8), array(0.5f)).dtype(), float32);
  EXPECT_INVALID(clip(a), "[clip] At least one of a_min and a_max must be given.");
}

TEST(Binary, Power) {
  for (auto dt : {int8, int16, int32, int64}) {
    SCOPED_TRACE(dt);
    auto a = astype(array({2, -3, 5, 0, 1, -1, -1, 2, 0}), dt);
    auto b = astype(array({3, 3, 0, 0, -4, -3, -2, -1, 2}), dt);
    // A negative exponent gives the truncated 1 / a^-b: 1, -1, 1, then 0.
    expect_array<int64_t>(astype(power(a, b), int64), {9}, int64, {8, -27, 1, 1, 1, -1, 1, 0, 0});
  }
  for (auto dt : {uint8, uint16, uint32, uint64}) {
    SCOPED_TRACE(dt);
    auto a = astype(array({2, 3, 0, 7}), dt);
    auto b = astype(array({7, 4, 0, 1}), dt);
    expect_array<int64_t>(astype(power(a, b), int64), {4}, int64, {128, 81, 1, 7});
  }
  // Overflow wraps, as NumPy's integer power does.
  expect_array<int8_t>(power(vec<int8_t>({2, 3}, int8), vec<int8_t>({7, 5}, int8)), {2}, int8,
                       {-128, -13});
  expect_array<int64_t>(power(vec<int64_t>({3}, int64), vec<int64_t>({40}, int64)), {1}, int64,
                        {int64_t{-6289078614652622815}});
  expect_array<bool>(power(bools({0, 0, 1, 1}), bools({0, 1, 0, 1})), {4}, bool_,
                     {true, false, true, true});
  auto f =
      power(array({2.0f, 4.0f, -2.0f, 0.0f, -8.0f}), array({0.5f, -1.0f, 3.0f, 0.0f, 1.0f / 3}));
  expect_close<float>(f, float32, {std::sqrt(2.0), 0.25, -8, 1, kNaN});
  for (auto dt : {float64, float16, bfloat16}) {
    SCOPED_TRACE(dt);
    auto g = power(astype(array({2.0f, 9.0f, 1.5f}), dt), astype(array({10.0f, 0.5f, 2.0f}), dt));
    EXPECT_EQ(g.dtype(), dt);
    expect_close<double>(astype(g, float64), float64, {1024, 3, 2.25}, 1e-2);
  }
  EXPECT_EQ(values<double>(power(array(1.0000001, float64), array(1e7, float64)))[0],
            std::pow(1.0000001, 1e7));
  auto c = power(array({complex64_t(0, 1), complex64_t(1, 1), complex64_t(0, 0)}),
                 array(complex64_t(2, 0)));
  auto cv = values<complex64_t>(c);
  EXPECT_EQ(cv[2], complex64_t(0, 0));
  EXPECT_NEAR(cv[0].real(), -1, 1e-6);
  EXPECT_NEAR(cv[0].imag(), 0, 1e-6);
  EXPECT_NEAR(cv[1].real(), 0, 1e-6);
  EXPECT_NEAR(cv[1].imag(), 2, 1e-6);
  // Promotion keeps integers integer; a float scalar makes float32.
  EXPECT_EQ(power(vec<int16_t>({2}, int16), array(2)).dtype(), int32);
  EXPECT_EQ(power(vec<int16_t>({2}, int16), array(2.0f)).dtype(), float32);
}

TEST(Binary, PowerScalarExponentFastPath) {
  // Squares and cubes by a scalar exponent run as multiplications; they agree with pow to an ulp.
  for (auto dt : {float32, float64, bfloat16, float16}) {
    SCOPED_TRACE(dt);
    auto x = check::uniform({10007}, -3, 3, 5, dt);
    for (float e : {2.0f, 3.0f, 2.5f}) {
      auto y = power(x, astype(array(e), dt));
      auto got = values<double>(astype(y, float64));
      auto xs = values<double>(astype(x, float64));
      for (size_t i = 0; i < xs.size(); i += 7) {
        double want = std::pow(xs[i], static_cast<double>(e));
        double tol = dt == float64 ? 1e-15 : (dt == float32 ? 3e-7 : 1e-2);
        if (std::isnan(want)) {
          ASSERT_TRUE(std::isnan(got[i])) << i;
        } else {
          ASSERT_NEAR(got[i], want, tol * std::max(1.0, std::abs(want))) << i << " e=" << e;
        }
      }
    }
  }
}

TEST(Binary, ArcTan2) {
  auto a = array({1.0f, 1.0f, -1.0f, 0.0f, -2.0f});
  auto b = array({1.0f, -1.0f, -1.0f, -1.0f, 0.5f});
  std::vector<double> want{0.7853981633974483, 2.356194490192345, -2.356194490192345,
                           3.141592653589793, -1.3258176636680326};
  expect_close<float>(arctan2(a, b), float32, want);
  expect_close<double>(arctan2(astype(a, float64), astype(b, float64)), float64, want, 1e-15);
  expect_close<double>(astype(arctan2(astype(a, bfloat16), astype(b, bfloat16)), float64), float64,
                       want, 1e-2);
  // Integers compute in float32.
  auto i = arctan2(array({1, -1}, int32), array({0, 0}, int32));
  expect_close<float>(i, float32, {M_PI / 2, -M_PI / 2});
  EXPECT_INVALID(arctan2(astype(a, complex64), b),
                 "[arctan2] Complex operands are not supported, but got operands of type "
                 "complex64 and float32.");
}

TEST(Binary, ArcTan2SpecialValues) {
  // Every pair of signed zeros, infinities, NaN and ordinary values, in every quadrant, against
  // the C library (several SIMD vectors' worth, so both the vector and tail paths run).
  std::vector<double> specials{0.0, -0.0, kInf, -kInf, kNaN, 1.0, -1.0, 3e-5, -7.5, 1e30, -2e-30};
  std::vector<double> ys, xs;
  for (double y : specials) {
    for (double x : specials) {
      ys.push_back(y);
      xs.push_back(x);
    }
  }
  for (auto dt : {float32, float64}) {
    SCOPED_TRACE(dt);
    auto got = values<double>(
        astype(arctan2(astype(vec(ys, float64), dt), astype(vec(xs, float64), dt)), float64));
    for (size_t i = 0; i < ys.size(); ++i) {
      double want = dt == float32 ? std::atan2(static_cast<float>(ys[i]), static_cast<float>(xs[i]))
                                  : std::atan2(ys[i], xs[i]);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got[i])) << ys[i] << ", " << xs[i];
      } else {
        EXPECT_NEAR(got[i], want, (dt == float32 ? 4e-7 : 1e-15) * std::abs(want))
            << ys[i] << ", " << xs[i];
        EXPECT_EQ(std::signbit(got[i]), std::signbit(want)) << ys[i] << ", " << xs[i];
      }
    }
  }
  auto y = check::uniform({100003}, -10, 10, 41, float32);
  auto x = check::uniform({100003}, -10, 10, 42, float32);
  auto got = values<float>(arctan2(y, x));
  auto yv = values<float>(y);
  auto xv = values<float>(x);
  for (size_t i = 0; i < got.size(); i += 11) {
    ASSERT_NEAR(got[i], std::atan2(yv[i], xv[i]), 4e-7 * std::abs(std::atan2(yv[i], xv[i])));
  }
}

TEST(Binary, LogAddExp) {
  auto a = array({0.0f, 1.0f, -3.0f, 100.0f, -1000.0f, kInf, -kInf, kNaN, -kInf});
  auto b = array({0.0f, 2.0f, 5.0f, 100.0f, -1000.0f, kInf, -kInf, 1.0f, 2.0f});
  std::vector<double> want{0.6931471805599453,
                           2.313261687518223,
                           5.000335406372896,
                           100.69314718055995,
                           -999.3068528194401,
                           kInf,
                           -kInf,
                           kNaN,
                           2.0};
  expect_close<float>(logaddexp(a, b), float32, want);
  expect_close<double>(logaddexp(astype(a, float64), astype(b, float64)), float64, want, 1e-15);
  expect_close<double>(astype(logaddexp(astype(a, float16), astype(b, float16)), float64), float64,
                       {0.693, 2.313, 5.0, 100.7, -999.3, kInf, -kInf, kNaN, 2.0}, 1e-2);
  // Integers compute in float32.
  expect_close<float>(logaddexp(array({0, 1}, int32), array({0, 2}, int32)), float32,
                      {0.6931471805599453, 2.313261687518223});
  auto c = logaddexp(array({complex64_t(0, 0)}), array({complex64_t(0, 0)}));
  auto cv = values<complex64_t>(c);
  EXPECT_NEAR(cv[0].real(), std::log(2.0), 1e-6);
  EXPECT_NEAR(cv[0].imag(), 0, 1e-6);
}

TEST(Binary, Bitwise) {
  for (auto dt : {int8, int16, int32, int64, uint8, uint16, uint32, uint64}) {
    SCOPED_TRACE(dt);
    auto a = astype(array({12, 10, 0, 127}), dt);
    auto b = astype(array({10, 5, 7, 1}), dt);
    expect_array<int64_t>(astype(bitwise_and(a, b), int64), {4}, int64, {8, 0, 0, 1});
    expect_array<int64_t>(astype(a | b, int64), {4}, int64, {14, 15, 7, 127});
    expect_array<int64_t>(astype(a ^ b, int64), {4}, int64, {6, 15, 7, 126});
    EXPECT_EQ((a & b).dtype(), dt);
  }
  auto neg = array({-1, -8}, int32) & array({6, 7}, int32);
  expect_array<int32_t>(neg, {2}, int32, {6, 0});
  // Bools are logical.
  auto p = bools({1, 1, 0, 0});
  auto q = bools({1, 0, 1, 0});
  expect_array<bool>(p & q, {4}, bool_, {true, false, false, false});
  expect_array<bool>(p | q, {4}, bool_, {true, true, true, false});
  expect_array<bool>(p ^ q, {4}, bool_, {false, true, true, false});
  // Promotion: int8 with uint8 is int16; bool with int is int.
  EXPECT_EQ((vec<int8_t>({1}, int8) | vec<uint8_t>({1}, uint8)).dtype(), int16);
  expect_array<int32_t>(p & array({3, 3, 3, 3}, int32), {4}, int32, {1, 1, 0, 0});
  // Large enough for SIMD and threads.
  auto big = arange(0, 300000, int32) & array(0xff, int32);
  auto bv = values<int32_t>(big);
  for (int i = 0; i < 300000; i += 1001) {
    ASSERT_EQ(bv[i], i & 0xff);
  }
  EXPECT_INVALID(bitwise_and(array(1.0f), array(1)),
                 "[bitwise_and] Only integer and boolean operands are supported, but got operands "
                 "of type float32 and int32.");
  EXPECT_INVALID(array(1) ^ astype(array(1), complex64),
                 "[bitwise_xor] Only integer and boolean operands are supported, but got operands "
                 "of type int32 and complex64.");
}

TEST(Binary, Shifts) {
  for (auto dt : {int8, int16, int32, int64}) {
    SCOPED_TRACE(dt);
    auto a = astype(array({1, -3, 5, -16, 7, -7, 1}), dt);
    auto b = astype(array({3, 1, 0, 2, -1, 100, 1}), dt);
    // Past the width (or negative): 0 for left shifts, the sign fill for right shifts.
    expect_array<int64_t>(astype(a << b, int64), {7}, int64, {8, -6, 5, -64, 0, 0, 2});
    expect_array<int64_t>(astype(a >> b, int64), {7}, int64, {0, -2, 5, -4, 0, -1, 0});
  }
  for (auto dt : {uint8, uint16, uint32, uint64}) {
    SCOPED_TRACE(dt);
    auto a = astype(array({1, 200, 5, 64}), dt);
    auto b = astype(array({3, 1, 70, 6}), dt);
    expect_array<int64_t>(astype(right_shift(a, b), int64), {4}, int64, {0, 100, 0, 1});
  }
  // Bits shifted out are dropped.
  expect_array<int8_t>(left_shift(vec<int8_t>({64, 1}, int8), vec<int8_t>({1, 7}, int8)), {2}, int8,
                       {-128, -128});
  expect_array<uint8_t>(left_shift(vec<uint8_t>({200}, uint8), vec<uint8_t>({1}, uint8)), {1},
                        uint8, {144});
  expect_array<int32_t>(left_shift(array({1}, int32), array({31}, int32)), {1}, int32,
                        {std::numeric_limits<int32_t>::min()});
  // Bools shift as uint8.
  expect_array<uint8_t>(left_shift(bools({1, 0, 1}), bools({1, 1, 0})), {3}, uint8, {2, 0, 1});
  expect_array<uint8_t>(right_shift(bools({1, 1}), bools({1, 0})), {2}, uint8, {0, 1});
  EXPECT_EQ((vec<int8_t>({1}, int8) << array(2)).dtype(), int32);
  EXPECT_INVALID(left_shift(array(1.0f), array(1)),
                 "[left_shift] Only integer and boolean operands are supported, but got operands "
                 "of type float32 and int32.");
  EXPECT_INVALID(right_shift(array(1), array(1.0f)),
                 "[right_shift] Only integer and boolean operands are supported, but got operands "
                 "of type int32 and float32.");
}

TEST(Binary, Names) {
  std::vector<std::pair<array, std::string>> cases{
      {floor_divide(array(1), array(1)), "FloorDivide"},
      {remainder(array(1), array(1)), "Remainder"},
      {maximum(array(1), array(1)), "Maximum"},
      {minimum(array(1), array(1)), "Minimum"},
      {power(array(1), array(1)), "Power"},
      {arctan2(array(1), array(1)), "ArcTan2"},
      {logaddexp(array(1), array(1)), "LogAddExp"},
      {array(1) & array(1), "BitwiseAnd"},
      {array(1) | array(1), "BitwiseOr"},
      {array(1) ^ array(1), "BitwiseXor"},
      {array(1) << array(1), "LeftShift"},
      {array(1) >> array(1), "RightShift"},
      {divmod(array(1), array(1))[0], "DivMod"}};
  for (auto& [a, name] : cases) {
    EXPECT_EQ(a.primitive().name(), name);
  }
}

TEST(Binary, Gradients) {
  auto a = check::uniform({2, 3}, 0.5, 2.0, 21);
  auto b = check::uniform({2, 3}, -2.0, 2.0, 22);
  // Away from the kinks: a and b differ by more than the finite-difference step.
  auto b_far = b + array(0.1, float64) * astype(greater(b, a), float64);
  using V = std::vector<array>;
  check::grads([](const V& x) { return V{maximum(x[0], x[1])}; }, {a, b_far});
  check::grads([](const V& x) { return V{minimum(x[0], x[1])}; }, {a, b_far});
  check::grads([](const V& x) { return V{power(x[0], x[1])}; }, {a, b});
  check::grads([](const V& x) { return V{clip(x[0], x[1])}; }, {a, b_far});
  check::grads([](const V& x) { return V{arctan2(x[0], x[1])}; }, {a, b});
  check::grads([](const V& x) { return V{arctan2(x[1], x[0])}; }, {a, b});
  check::grads([](const V& x) { return V{logaddexp(x[0], x[1])}; }, {a, b});
  // remainder away from the jumps of floor(a / b).
  auto num = check::uniform({2, 3}, 0.1, 0.9, 23) + array(3.0, float64);
  auto den = array(2.0, float64) * ones({2, 3}, float64);
  check::grads([](const V& x) { return V{remainder(x[0], x[1])}; }, {num, den});
  check::grads([](const V& x) { return V{floor_divide(x[0], x[1])}; }, {num, den});
  check::grads([](const V& x) { return divmod(x[0], x[1]); }, {num, den});
  // The gradient of maximum goes to b on ties, as in MLX.
  auto g = grad([](const V& x) { return sum(maximum(x[0], x[1])); },
                std::vector<int>{0, 1})(V{array({1.0f, 2.0f}), array({1.0f, 1.0f})});
  expect_array<float>(g[0], {2}, float32, {0.0f, 1.0f});
  expect_array<float>(g[1], {2}, float32, {1.0f, 0.0f});
  // d/db a^b at a = 0 is 0, not NaN.
  auto gp = grad([](const V& x) { return sum(power(x[0], x[1])); },
                 1)(V{array({0.0f, 2.0f}), array({2.0f, 3.0f})});
  expect_close<float>(gp[0], float32, {0.0, 8 * std::log(2.0)});
}

TEST(Binary, Vmaps) {
  auto a = check::uniform({2, 3}, 0.5, 2.0, 31);
  auto b = check::uniform({2, 3}, -2.0, 2.0, 32);
  using V = std::vector<array>;
  check::vmaps([](const V& x) { return V{maximum(x[0], x[1])}; }, {a, b});
  check::vmaps([](const V& x) { return V{minimum(x[0], x[1])}; }, {a, b});
  check::vmaps([](const V& x) { return V{power(x[0], x[1])}; }, {a, b});
  check::vmaps([](const V& x) { return V{arctan2(x[0], x[1])}; }, {a, b});
  check::vmaps([](const V& x) { return V{logaddexp(x[0], x[1])}; }, {a, b});
  check::vmaps([](const V& x) { return V{remainder(x[0], x[1])}; }, {a, b});
  check::vmaps([](const V& x) { return V{floor_divide(x[0], x[1])}; }, {a, b});
  check::vmaps([](const V& x) { return divmod(x[0], x[1]); }, {a, b});
  check::vmaps([](const V& x) { return V{clip(x[0], x[1])}; }, {a, b});
  auto i = astype(array({3, 12, 7, 1, 9, 30}, {2, 3}), int32);
  auto j = astype(array({1, 2, 3, 0, 4, 5}, {2, 3}), int32);
  check::vmaps([](const V& x) { return V{x[0] & x[1]}; }, {i, j});
  check::vmaps([](const V& x) { return V{x[0] | x[1]}; }, {i, j});
  check::vmaps([](const V& x) { return V{x[0] ^ x[1]}; }, {i, j});
  check::vmaps([](const V& x) { return V{x[0] << x[1]}; }, {i, j});
  check::vmaps([](const V& x) { return V{x[0] >> x[1]}; }, {i, j});
}
