// Unary elementwise ops: every op against libm (or exact values) at every dtype it accepts, the
// SIMD kernels and their edge cases (inf, NaN, -0, domain errors) against the scalar ones, the
// dtype rules, complex64, round's decimals, erfinv's accuracy, the errors, and every derivative
// and vmap through the check harness.
#include <gtest/gtest.h>

#include "check.h"
#include "helpers.h"

#include <cmath>
#include <complex>
#include <cstdint>
#include <functional>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "backend/cpu/unary_ops.h"
#include "mlx/mlx.h"
#include "ops/ops.h"

using namespace mlx::core;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr float kInfF = std::numeric_limits<float>::infinity();

using UnaryFn = array (*)(const array&, StreamOrDevice);

struct MathCase {
  const char* name;
  UnaryFn op;
  double (*ref)(double);
  double lo, hi;  // the sampled domain
};

double ref_sigmoid(double x) { return 1 / (1 + std::exp(-x)); }
double ref_rsqrt(double x) { return 1 / std::sqrt(x); }
double ref_reciprocal(double x) { return 1 / x; }
double ref_degrees(double x) { return x * (180 / std::numbers::pi); }
double ref_radians(double x) { return x * (std::numbers::pi / 180); }
double ref_square(double x) { return x * x; }
double ref_sign(double x) { return (x > 0) - (x < 0); }
double ref_round(double x) { return std::nearbyint(x); }

// clang-format off
const MathCase kMathCases[] = {
    {"exp", exp, [](double x) { return std::exp(x); }, -20, 20},
    {"log", log, [](double x) { return std::log(x); }, 1e-3, 1e3},
    {"log1p", log1p, [](double x) { return std::log1p(x); }, -0.9, 10},
    {"sqrt", sqrt, [](double x) { return std::sqrt(x); }, 0, 100},
    {"abs", abs, [](double x) { return std::abs(x); }, -5, 5},
    {"sign", sign, ref_sign, -5, 5},
    {"reciprocal", reciprocal, ref_reciprocal, 0.1, 9},
    {"floor", floor, [](double x) { return std::floor(x); }, -5, 5},
    {"ceil", ceil, [](double x) { return std::ceil(x); }, -5, 5},
    {"trunc", trunc, [](double x) { return std::trunc(x); }, -5, 5},
    {"round", round, ref_round, -5, 5},
    {"square", square, ref_square, -5, 5},
    {"rsqrt", rsqrt, ref_rsqrt, 0.01, 100},
    {"expm1", expm1, [](double x) { return std::expm1(x); }, -3, 3},
    {"log2", log2, [](double x) { return std::log2(x); }, 1e-3, 1e3},
    {"log10", log10, [](double x) { return std::log10(x); }, 1e-3, 1e3},
    {"sin", sin, [](double x) { return std::sin(x); }, -10, 10},
    {"cos", cos, [](double x) { return std::cos(x); }, -10, 10},
    {"tan", tan, [](double x) { return std::tan(x); }, -1.4, 1.4},
    {"arcsin", arcsin, [](double x) { return std::asin(x); }, -1, 1},
    {"arccos", arccos, [](double x) { return std::acos(x); }, -1, 1},
    {"arctan", arctan, [](double x) { return std::atan(x); }, -10, 10},
    {"sinh", sinh, [](double x) { return std::sinh(x); }, -10, 10},
    {"cosh", cosh, [](double x) { return std::cosh(x); }, -10, 10},
    {"tanh", tanh, [](double x) { return std::tanh(x); }, -10, 10},
    {"arcsinh", arcsinh, [](double x) { return std::asinh(x); }, -10, 10},
    {"arccosh", arccosh, [](double x) { return std::acosh(x); }, 1, 10},
    {"arctanh", arctanh, [](double x) { return std::atanh(x); }, -0.99, 0.99},
    {"degrees", degrees, ref_degrees, -7, 7},
    {"radians", radians, ref_radians, -400, 400},
    {"sigmoid", sigmoid, ref_sigmoid, -20, 20},
    {"erf", erf, [](double x) { return std::erf(x); }, -4, 4},
};
// clang-format on

// Inputs that stress the edges of the SIMD kernels' valid ranges and libm's special values.
const double kSpecials[] = {0.0,   -0.0,   kInf,  -kInf, kNaN,   1.0,      -1.0,  0.5,   -0.5,
                            1.5,   2.5,    -2.5,  100.0, -100.0, 1e5,      -1e5,  89.0,  -89.0,
                            710.0, -710.0, 1e-30, 3.0,   -3.0,   0.999999, 1e300, -1e300};

// 67 values spread over [lo, hi]: whole SIMD vectors at every width and a tail.
std::vector<double> samples(double lo, double hi) {
  std::vector<double> v;
  for (int i = 0; i < 67; ++i) {
    v.push_back(lo + (hi - lo) * i / 66.0);
  }
  return v;
}

// Relative and absolute tolerance of a dtype: a few ulp of the result (the absolute part covers
// results near a zero of the function, where the error is relative to the argument).
std::pair<double, double> tolerance(Dtype dtype) {
  if (dtype == float64) return {4e-15, 1e-15};
  if (dtype == float32) return {6e-7, 2e-7};
  if (dtype == float16) return {2e-3, 1e-4};
  return {1.6e-2, 1e-3};  // bfloat16
}

bool close(double got, double want, double rel, double abs_tol) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::abs(got - want) <= rel * std::abs(want) + abs_tol;
}

// op(x) at `dtype` against ref at the input's value rounded to that dtype.
void check_math(const MathCase& c, Dtype dtype, const std::vector<double>& xs, bool specials) {
  auto x = astype(array(xs.data(), {static_cast<int>(xs.size())}, float64), dtype);
  auto y = c.op(x, {});
  ASSERT_EQ(y.dtype(), dtype) << c.name;
  auto in = check::values(x);
  auto out = check::values(y);
  auto [rel, abs_tol] = tolerance(dtype);
  // The float32 erf is MLX's approximation (under 1 ulp) and the half types round the float32
  // result once more; tan near its poles amplifies the argument's rounding.
  if (std::string(c.name) == "tan" && dtype != float64) rel *= 8;
  int reported = 0;
  for (size_t i = 0; i < in.size() && reported < 5; ++i) {
    double want = c.ref(in[i]);
    if (dtype != float64 && !std::isnan(want)) {
      // The correctly rounded result in this dtype (overflow included).
      want = check::values(astype(array(want, float64), dtype))[0];
    }
    // libm's special values must match exactly (NaN for NaN, inf for inf, signed zeros).
    bool ok =
        specials && (std::isnan(want) || std::isinf(want) || want == 0)
            ? (std::isnan(want) ? std::isnan(out[i])
                                : out[i] == want && std::signbit(out[i]) == std::signbit(want))
            : close(out[i], want, rel, abs_tol);
    if (!ok) {
      ADD_FAILURE() << c.name << " at " << dtype << " of " << in[i] << " is " << out[i]
                    << ", expected " << want;
      ++reported;
    }
  }
}

const Dtype kFloatDtypes[] = {float32, float64, float16, bfloat16};

}  // namespace

TEST(UnaryMath, EveryOpEveryFloatDtypeAgainstLibm) {
  for (const auto& c : kMathCases) {
    for (auto dtype : kFloatDtypes) {
      check_math(c, dtype, samples(c.lo, c.hi), false);
    }
  }
}

TEST(UnaryMath, SpecialValuesFollowLibm) {
  std::vector<double> xs(std::begin(kSpecials), std::end(kSpecials));
  for (const auto& c : kMathCases) {
    for (auto dtype : {float32, float64}) {
      check_math(c, dtype, xs, true);
    }
  }
}

TEST(UnaryMath, SimdLanesOutsideTheValidRangeFallBackOneByOne) {
  // One NaN (or huge value, or infinity) in a vector must not change its neighbours. NaN lanes
  // and exp's overflowing ones are settled in the vector, the rest lane by lane (exp of 88:
  // finite, past the SIMD range; log1p of -inf: NaN).
  std::vector<float> v(40, 0.5f);
  v[3] = std::numeric_limits<float>::quiet_NaN();
  v[9] = 1e30f;
  v[17] = 88.0f;
  v[18] = 88.72284f;
  v[21] = -std::numeric_limits<float>::infinity();
  v[22] = std::numeric_limits<float>::infinity();
  auto x = array(v.begin(), {40});
  const std::vector<std::pair<UnaryFn, float (*)(float)>> cases = {
      {tanh, std::tanh}, {sin, std::sin}, {exp, std::exp}, {log, std::log}, {log1p, std::log1p}};
  for (auto [fn, ref] : cases) {
    auto out = values<float>(fn(x, {}));
    for (int i = 0; i < 40; ++i) {
      if (std::isnan(ref(v[i]))) {
        EXPECT_TRUE(std::isnan(out[i])) << i;
      } else if (std::isinf(ref(v[i]))) {
        EXPECT_EQ(out[i], ref(v[i])) << i;
      } else {
        EXPECT_NEAR(out[i], ref(v[i]), 4e-7 * std::abs(ref(v[i])) + 1e-30) << i;
      }
    }
  }
}

// The float32 exp, sigmoid and logaddexp run their own exp (ExpF32) on vectors within +-86 and
// Highway's elsewhere: within 2 ulps (sigmoid and logaddexp 3) of the double result over a dense
// grid that crosses the switch, reaches exp's subnormal results (below -87.3) and its overflow
// (past 88.72).
TEST(UnaryMath, Float32ExpUlpsAcrossItsRanges) {
  std::vector<float> v;
  for (int i = 0; i <= 200000; ++i) {
    v.push_back(-104.0f + 193.0f * static_cast<float>(i) / 200000.0f);
  }
  for (float x : {86.0f, -86.0f, 85.99999f, 86.00001f, -87.33655f, 88.72283f, 88.72284f}) {
    v.push_back(x);
  }
  auto ulps = [](float got, double want) {
    const auto w = static_cast<float>(want);
    if (std::isinf(w)) {
      return got == w ? 0.0 : 1e9;
    }
    // An ulp at the result's magnitude; for subnormals, the smallest subnormal.
    const double ulp =
        std::nextafter(std::abs(w), std::numeric_limits<float>::infinity()) - std::abs(w);
    return std::abs(static_cast<double>(got) - want) / ulp;
  };
  auto x = array(v.begin(), {static_cast<int>(v.size())});
  auto e = values<float>(exp(x));
  auto s = values<float>(sigmoid(x));
  auto sp = values<float>(logaddexp(x, array(0.0f)));
  for (size_t i = 0; i < v.size(); ++i) {
    const double xd = v[i];
    ASSERT_LE(ulps(e[i], std::exp(xd)), 2.0) << "exp at " << v[i];
    ASSERT_LE(ulps(sp[i], std::max(xd, 0.0) + std::log1p(std::exp(-std::abs(xd)))), 3.0)
        << "logaddexp(x, 0) at " << v[i];
    if (xd > -87.0) {  // (sigmoid's subnormal results take 1 / (1 + e^-x): 3-4 ulps of 2^-149)
      ASSERT_LE(ulps(s[i], 1.0 / (1.0 + std::exp(-xd))), 3.0) << "sigmoid at " << v[i];
    }
  }
}

TEST(UnaryMath, IntegersAndBoolsComputeInFloat32) {
  auto i = array({1, 4, 9}, int32);
  expect_array<float>(sqrt(i), {3}, float32, {1, 2, 3});
  expect_array<float>(reciprocal(i), {3}, float32, {1, 0.25f, 1.0f / 9});
  EXPECT_EQ(sin(array({true, false})).dtype(), float32);
  EXPECT_EQ(sigmoid(array({1, 2}, uint8)).dtype(), float32);
  EXPECT_EQ(erf(array({1, 2}, int64)).dtype(), float32);
  EXPECT_EQ(tanh(array({1.0f}, float16)).dtype(), float16);
  EXPECT_EQ(tanh(array({1.0}, float64)).dtype(), float64);
}

TEST(UnaryMath, StridedAndBroadcastInputs) {
  auto x = reshape(astype(arange(24), float32), {4, 6});
  auto t = transpose(x);
  auto want = check::values(tanh(copy(t)));
  auto got = check::values(tanh(t));
  EXPECT_EQ(got, want);
  auto b = broadcast_to(array(0.5f), {3, 5});
  expect_array<float>(sigmoid(b), {3, 5}, float32,
                      std::vector<float>(15, static_cast<float>(ref_sigmoid(0.5))));
}

TEST(UnaryMath, LargeInputsUseThePool) {
  int n = 1 << 20;
  auto x = astype(arange(n), float32) * array(1e-5f) - array(5.0f);
  auto y = tanh(x);
  auto in = check::values(x);
  auto out = check::values(y);
  for (int i = 0; i < n; i += 997) {
    EXPECT_NEAR(out[i], std::tanh(in[i]), 5e-7 * std::abs(std::tanh(in[i])) + 1e-38) << i;
  }
}

// ---- integer-preserving ops ----

TEST(UnaryExact, AbsSignSquareKeepIntegerDtypes) {
  auto i8 = array({-128, -3, 0, 5, 127}, int8);
  expect_array<int8_t>(abs(i8), {5}, int8, {-128, 3, 0, 5, 127});  // -128 wraps as in NumPy
  expect_array<int8_t>(sign(i8), {5}, int8, {-1, -1, 0, 1, 1});
  expect_array<int8_t>(square(i8), {5}, int8, {0, 9, 0, 25, 1});
  auto i64 = array({int64_t(-3000000000), int64_t(7)});
  expect_array<int64_t>(abs(i64), {2}, int64, {3000000000, 7});
  expect_array<int64_t>(square(i64), {2}, int64, {int64_t(9000000000000000000), 49});
  auto u16 = array({0, 3, 65535}, uint16);
  expect_array<uint16_t>(abs(u16), {3}, uint16, {0, 3, 65535});
  expect_array<uint16_t>(sign(u16), {3}, uint16, {0, 1, 1});
  expect_array<uint16_t>(square(u16), {3}, uint16, {0, 9, 1});
  auto u64 = array({uint64_t(0), uint64_t(1) << 40});
  expect_array<uint64_t>(sign(u64), {2}, uint64, {0, 1});
  auto i32 = array({-7, 0, 9});
  expect_array<int32_t>(sign(i32), {3}, int32, {-1, 0, 1});
  expect_array<int32_t>(abs(i32), {3}, int32, {7, 0, 9});
  auto i16 = array({-300, 200}, int16);
  expect_array<int16_t>(square(i16), {2}, int16, {int16_t(90000 - 65536), int16_t(40000 - 65536)});
  auto u8 = array({0, 7, 200}, uint8);
  expect_array<uint8_t>(abs(u8), {3}, uint8, {0, 7, 200});
  expect_array<uint8_t>(sign(u8), {3}, uint8, {0, 1, 1});
  expect_array<uint8_t>(square(u8), {3}, uint8, {0, 49, 64});  // 40000 mod 256
  auto u32 = array({0u, 3u, 70000u}, uint32);
  expect_array<uint32_t>(abs(u32), {3}, uint32, {0, 3, 70000});
  expect_array<uint32_t>(sign(u32), {3}, uint32, {0, 1, 1});
  expect_array<uint32_t>(square(u32), {3}, uint32, {0, 9, 605032704u});  // 4.9e9 mod 2^32
  auto b = array({true, false});
  expect_array<bool>(abs(b), {2}, bool_, {true, false});
  expect_array<bool>(sign(b), {2}, bool_, {true, false});
  expect_array<bool>(square(b), {2}, bool_, {true, false});
}

TEST(UnaryExact, FloatEdgeCases) {
  auto x = array({-0.0f, 0.0f, -2.0f, static_cast<float>(kNaN), static_cast<float>(-kInf)});
  auto s = values<float>(sign(x));
  EXPECT_EQ(s[0], 0.0f);
  EXPECT_FALSE(std::signbit(s[0]));
  EXPECT_EQ(s[2], -1.0f);
  EXPECT_EQ(s[3], 0.0f);  // sign(NaN) = 0, as MLX
  EXPECT_EQ(s[4], -1.0f);
  auto a = values<float>(abs(x));
  EXPECT_FALSE(std::signbit(a[0]));
  EXPECT_TRUE(std::isnan(a[3]));
  EXPECT_EQ(a[4], static_cast<float>(kInf));
  auto r = values<float>(reciprocal(x));
  EXPECT_EQ(r[0], static_cast<float>(-kInf));
  EXPECT_EQ(r[1], static_cast<float>(kInf));
  auto q = values<float>(rsqrt(x));
  EXPECT_EQ(q[1], static_cast<float>(kInf));
  EXPECT_TRUE(std::isnan(q[2]));
  EXPECT_TRUE(std::isnan(values<float>(log(array(-1.0f)))[0]));
  EXPECT_TRUE(std::isnan(values<float>(arcsin(array(1.5f)))[0]));
  EXPECT_EQ(values<float>(arctanh(array(1.0f)))[0], static_cast<float>(kInf));
  EXPECT_EQ(values<float>(log2(array(0.0f)))[0], static_cast<float>(-kInf));
  EXPECT_EQ(values<float>(floor(array(-0.5f)))[0], -1.0f);
  EXPECT_TRUE(std::signbit(values<float>(ceil(array(-0.5f)))[0]));
  EXPECT_TRUE(std::signbit(values<float>(trunc(array(-0.5f)))[0]));
}

TEST(UnaryExact, RoundingOfIntegersIsTheIdentity) {
  auto i = array({-3, 4}, int16);
  for (UnaryFn fn : {UnaryFn(floor), UnaryFn(ceil), UnaryFn(trunc)}) {
    expect_array<int16_t>(fn(i, {}), {2}, int16, {-3, 4});
  }
  expect_array<int16_t>(round(i), {2}, int16, {-3, 4});
  expect_array<int16_t>(round(i, 2), {2}, int16, {-3, 4});
  expect_array<bool>(floor(array({true, false})), {2}, bool_, {true, false});
}

TEST(UnaryExact, RoundHalfToEvenWithDecimals) {
  auto x = array({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 3.7f, -3.2f});
  expect_array<float>(round(x), {7}, float32, {0, 2, 2, -0.0f, -2, 4, -3});
  EXPECT_TRUE(std::signbit(values<float>(round(array(-0.5f)))[0]));
  auto d = array({1.2345, 2.675, -0.125, 0.135}, float64);
  // As NumPy's np.round([1.2345, 2.675, -0.125, 0.135], 2): 2.675 * 100 is 267.5 in double.
  expect_array<double>(round(d, 2), {4}, float64, {1.23, 2.68, -0.12, 0.14});
  expect_array<double>(round(array({1250.0, 1350.0, -1749.0}, float64), -2), {3}, float64,
                       {1200.0, 1400.0, -1700.0});
  expect_array<int32_t>(round(array({1250, 1351, -1749}), -2), {3}, int32, {1200, 1400, -1700});
  // In float32, 0.35f * 10 rounds to 3.5, which rounds to 4 (as NumPy computes it).
  expect_array<float>(round(array({0.25f, 0.35f}, float32), 1), {2}, float32, {0.2f, 0.4f});
  auto h = round(array({2.5f, 3.5f}, float16));
  EXPECT_EQ(h.dtype(), float16);
  EXPECT_EQ(check::values(h), (std::vector<double>{2, 4}));
}

TEST(UnaryExact, BitwiseInvert) {
  expect_array<int8_t>(bitwise_invert(array({0, -1, 5}, int8)), {3}, int8, {-1, 0, -6});
  expect_array<uint8_t>(~array({0, 255, 5}, uint8), {3}, uint8, {255, 0, 250});
  expect_array<uint16_t>(~array({0, 1}, uint16), {2}, uint16, {65535, 65534});
  expect_array<uint32_t>(~array({0u, 1u}, uint32), {2}, uint32, {4294967295u, 4294967294u});
  expect_array<int64_t>(~array({int64_t(0), int64_t(41)}), {2}, int64, {-1, -42});
  expect_array<uint64_t>(~array({uint64_t(0)}), {1}, uint64, {~uint64_t(0)});
  expect_array<int32_t>(~array({7}), {1}, int32, {-8});
  expect_array<int16_t>(~array({7}, int16), {1}, int16, {-8});
  expect_array<bool>(~array({true, false}), {2}, bool_, {false, true});
}

TEST(UnaryExact, DegreesAndRadians) {
  expect_array<float>(degrees(array({0.0f})), {1}, float32, {0});
  EXPECT_NEAR(values<float>(degrees(array(static_cast<float>(std::numbers::pi))))[0], 180.0f, 2e-5);
  EXPECT_NEAR(values<double>(radians(array(180.0, float64)))[0], std::numbers::pi, 1e-15);
  EXPECT_EQ(degrees(array({1}, int32)).dtype(), float32);
}

// ---- complex64 ----

TEST(UnaryComplex, MagnitudePartsAndConjugate) {
  auto z = array({complex64_t(3, 4), complex64_t(0, 0), complex64_t(-1, 2)});
  expect_array<float>(abs(z), {3}, float32, {5, 0, std::sqrt(5.0f)});
  expect_array<float>(real(z), {3}, float32, {3, 0, -1});
  expect_array<float>(imag(z), {3}, float32, {4, 0, 2});
  expect_array<complex64_t>(conjugate(z), {3}, complex64,
                            {complex64_t(3, -4), complex64_t(0, 0), complex64_t(-1, -2)});
  expect_array<complex64_t>(sign(z), {3}, complex64,
                            {complex64_t(0.6f, 0.8f), complex64_t(0, 0),
                             complex64_t(std::complex<float>(-1, 2) / std::sqrt(5.0f))});
  expect_array<complex64_t>(square(z), {3}, complex64,
                            {complex64_t(-7, 24), complex64_t(0, 0), complex64_t(-3, -4)});
  expect_array<complex64_t>(negative(z), {3}, complex64,
                            {complex64_t(-3, -4), complex64_t(-0.0f, -0.0f), complex64_t(1, -2)});
}

TEST(UnaryComplex, TranscendentalsFollowStdComplex) {
  std::vector<std::complex<float>> zs = {{0.5f, 0.25f}, {-1, 2}, {2, -0.5f}};
  auto z = array({complex64_t(zs[0]), complex64_t(zs[1]), complex64_t(zs[2])});
  using CF = std::complex<float>;
  std::vector<std::pair<UnaryFn, CF (*)(const CF&)>> cases = {
      {exp, std::exp},     {log, std::log},       {sqrt, std::sqrt},     {sin, std::sin},
      {cos, std::cos},     {tan, std::tan},       {sinh, std::sinh},     {cosh, std::cosh},
      {tanh, std::tanh},   {arcsin, std::asin},   {arccos, std::acos},   {arctan, std::atan},
      {log10, std::log10}, {arcsinh, std::asinh}, {arccosh, std::acosh}, {arctanh, std::atanh}};
  for (auto [fn, ref] : cases) {
    auto out = values<complex64_t>(fn(z, {}));
    for (size_t i = 0; i < zs.size(); ++i) {
      auto want = ref(zs[i]);
      EXPECT_NEAR(out[i].real(), want.real(), 1e-6 * std::abs(want) + 1e-7);
      EXPECT_NEAR(out[i].imag(), want.imag(), 1e-6 * std::abs(want) + 1e-7);
    }
  }
  auto r = values<complex64_t>(reciprocal(z));
  EXPECT_NEAR(r[1].real(), (CF(1) / zs[1]).real(), 1e-7);
  EXPECT_NEAR(r[1].imag(), (CF(1) / zs[1]).imag(), 1e-7);
  auto e = values<complex64_t>(expm1(z));
  EXPECT_NEAR(e[0].real(), (std::exp(zs[0]) - CF(1)).real(), 1e-6);
  auto s = values<complex64_t>(sigmoid(z));
  EXPECT_NEAR(s[2].imag(), (CF(1) / (CF(1) + std::exp(-zs[2]))).imag(), 1e-6);
}

TEST(UnaryComplex, RealArraysPassThrough) {
  auto x = array({1.5f, -2.0f});
  expect_array<float>(real(x), {2}, float32, {1.5f, -2.0f});
  expect_array<float>(imag(x), {2}, float32, {0, 0});
  expect_array<float>(conjugate(x), {2}, float32, {1.5f, -2.0f});
  expect_array<int32_t>(imag(array({3, 4})), {2}, int32, {0, 0});
  expect_array<float>(positive(x), {2}, float32, {1.5f, -2.0f});
}

// ---- tanh ----

TEST(UnaryMath, TanhFloat32WithinTwoUlpEverywhere) {
  // The float32 kernel switches from a polynomial to an exp-based form at |x| = 0.625 and
  // saturates past 9.1: a dense grid over both, the switch and the saturation, against double.
  std::vector<float> xs;
  for (int i = -120000; i <= 120000; ++i) xs.push_back(i / 10000.0f);
  for (float c : {0.625f, 9.1f, 1e-20f, 1e-6f}) {
    for (float x = c, k = 0; k < 64; ++k, x = std::nextafter(x, kInfF)) {
      xs.push_back(x);
      xs.push_back(-x);
    }
  }
  auto x = array(xs.begin(), {static_cast<int>(xs.size())});
  auto got = values<float>(tanh(x));
  auto exact = values<double>(tanh(astype(x, float64)));
  for (size_t i = 0; i < xs.size(); ++i) {
    float want = static_cast<float>(exact[i]);
    float ulp = std::nextafter(std::abs(want), kInfF) - std::abs(want);
    ASSERT_LE(std::abs(got[i] - want), 2 * ulp) << xs[i];
    ASSERT_EQ(std::signbit(got[i]), std::signbit(xs[i])) << xs[i];
  }
  auto special = values<float>(tanh(array({0.0f, -0.0f, kInfF, -kInfF, 1e30f, -1e30f})));
  EXPECT_EQ(special, (std::vector<float>{0.0f, -0.0f, 1.0f, -1.0f, 1.0f, -1.0f}));
  EXPECT_TRUE(std::signbit(special[1]));
  EXPECT_TRUE(std::isnan(values<float>(tanh(array(std::nanf(""))))[0]));
}

// exp in SIMD lanes down to the lowest float, where results are subnormal or zero: within one
// ulp of libm (subnormal ulps included); -inf, NaN and overflow as libm.
TEST(UnaryMath, ExpFloat32UnderflowWithinOneUlp) {
  std::vector<float> xs;
  for (int i = 0; i <= 20000; ++i) xs.push_back(-110.0f + i * 0.001f);  // through -103.97, -87.3
  xs.push_back(-1e30f);
  xs.push_back(std::numeric_limits<float>::lowest());
  auto got = values<float>(exp(array(xs.begin(), {static_cast<int>(xs.size())})));
  for (size_t i = 0; i < xs.size(); ++i) {
    float want = std::exp(xs[i]);
    float ulp = std::nextafter(want, kInfF) - want;
    ASSERT_LE(std::abs(got[i] - want), ulp) << xs[i];
  }
  EXPECT_EQ(got.back(), 0.0f);
  auto special = values<float>(exp(array({-kInfF, kInfF, 89.0f, 0.0f})));
  EXPECT_EQ(special, (std::vector<float>{0.0f, kInfF, kInfF, 1.0f}));
  EXPECT_TRUE(std::isnan(values<float>(exp(array(std::nanf(""))))[0]));
}

// ---- erf and erfinv ----

TEST(UnaryErf, ErfinvFloat32IsMlxsApproximation) {
  // The SIMD kernel against the scalar formula on a fine grid of (-1, 1), and both within 3 ulp
  // of the double-precision inverse.
  std::vector<float> xs;
  for (int i = -5000; i <= 5000; ++i) xs.push_back(i / 5000.5f);
  for (float e = 1e-7f; e < 1e-1f; e *= 1.7f) {
    xs.push_back(1 - e);
    xs.push_back(-1 + e);
  }
  auto got = values<float>(erfinv(array(xs.begin(), {static_cast<int>(xs.size())})));
  auto exact = values<double>(erfinv(array(xs.begin(), {static_cast<int>(xs.size())}, float64)));
  int off_by_more_than_one = 0;
  int same_as_mlx = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    float want = static_cast<float>(exact[i]);
    float ulp = std::nextafter(std::abs(want), kInfF) - std::abs(want);
    EXPECT_LE(std::abs(got[i] - want), 3 * ulp) << xs[i];
    off_by_more_than_one += std::abs(got[i] - want) > ulp;
    // MLX's scalar formula (fused multiply-adds, libm's logf): the SIMD kernel reproduces it.
    float mlx = cpu::scalar::erfinv_f32(xs[i]);
    EXPECT_LE(std::abs(got[i] - mlx), std::nextafter(std::abs(mlx), kInfF) - std::abs(mlx))
        << xs[i];
    same_as_mlx += got[i] == mlx;
  }
  EXPECT_GT(same_as_mlx, static_cast<int>(xs.size() * 99 / 100));
  EXPECT_LT(off_by_more_than_one, static_cast<int>(xs.size()) / 20);
}

TEST(UnaryErf, ErfinvFloat64InvertsErf) {
  for (double x : {-0.999999999999, -0.9, -0.3, 1e-12, 0.1, 0.5, 0.75, 0.99, 0.999999, 1 - 1e-15}) {
    double y = values<double>(erfinv(array(x, float64)))[0];
    if (x > 0.5) {
      // erfc's condition number 2y^2 amplifies y's last-bit error.
      EXPECT_NEAR(std::erfc(y), 1 - x, 4e-16 * (1 + 2 * y * y) * (1 - x)) << x;
    } else {
      EXPECT_NEAR(std::erf(y), x, 4e-16 * std::abs(x)) << x;
    }
  }
  auto e = check::values(erfinv(array({1.0, -1.0, 1.5, kNaN, 0.0}, float64)));
  EXPECT_EQ(e[0], kInf);
  EXPECT_EQ(e[1], -kInf);
  EXPECT_TRUE(std::isnan(e[2]));
  EXPECT_TRUE(std::isnan(e[3]));
  EXPECT_EQ(e[4], 0.0);
  auto f = values<float>(erfinv(array({1.0f, -1.0f, 2.0f, 0.0f})));
  EXPECT_EQ(f[0], static_cast<float>(kInf));
  EXPECT_EQ(f[1], static_cast<float>(-kInf));
  EXPECT_TRUE(std::isnan(f[2]));
  EXPECT_EQ(f[3], 0.0f);
  EXPECT_EQ(erfinv(array({1}, int32)).dtype(), float32);
  EXPECT_NEAR(check::values(erfinv(array({0.5f}, bfloat16)))[0], 0.4769362762, 4e-3);
}

TEST(UnaryErf, ErfOfSpecials) {
  auto e = values<float>(
      erf(array({0.0f, -0.0f, 10.0f, -10.0f, static_cast<float>(kInf), static_cast<float>(kNaN)})));
  EXPECT_EQ(e[0], 0.0f);
  EXPECT_TRUE(std::signbit(e[1]));
  EXPECT_EQ(e[2], 1.0f);
  EXPECT_EQ(e[3], -1.0f);
  EXPECT_EQ(e[4], 1.0f);
  EXPECT_TRUE(std::isnan(e[5]));
}

// ---- errors ----

TEST(UnaryErrors, KernelMissingForAHandBuiltPrimitive) {
  // Only a hand-built primitive can ask for a kernel the builders never request.
  auto x = array({1.0f});
  auto bad =
      array(x.shape(), float32,
            std::make_shared<Unary>(default_stream(default_device()), UnaryOp::BitwiseInvert), {x});
  EXPECT_EQ(error_of([&] { bad.eval(); }),
            "[BitwiseInvert] No CPU kernel for inputs of type float32.");
}

TEST(UnaryErrors, Messages) {
  auto z = array({complex64_t(1, 1)});
  EXPECT_INVALID(erf(z), "[erf] Not supported for complex64.");
  EXPECT_INVALID(erfinv(z), "[erfinv] Not supported for complex64.");
  EXPECT_INVALID(floor(z), "[floor] Not supported for complex64.");
  EXPECT_INVALID(ceil(z), "[ceil] Not supported for complex64.");
  EXPECT_INVALID(trunc(z), "[trunc] Not supported for complex64.");
  EXPECT_INVALID(round(z, 1), "[round] Not supported for complex64.");
  EXPECT_INVALID(bitwise_invert(array({1.0f})),
                 "[bitwise_invert] Bitwise inverse only allowed on integer and boolean types, "
                 "got float32.");
  EXPECT_INVALID(~z,
                 "[bitwise_invert] Bitwise inverse only allowed on integer and boolean types, "
                 "got complex64.");
}

// ---- derivatives and vmap ----

namespace {
using V = std::vector<array>;
array in(double lo, double hi, unsigned seed = 3) {
  return check::uniform({2, 3, 4}, lo, hi, seed);
}
}  // namespace

#define UNARY_HARNESS(name, fn, lo, hi)                   \
  TEST(UnaryHarness, name) {                              \
    check::Fn f = [](const V& x) { return V{fn(x[0])}; }; \
    check::grads(f, {in(lo, hi)});                        \
    check::vmaps(f, {in(lo, hi)});                        \
  }

UNARY_HARNESS(Abs, abs, -2, 2)
UNARY_HARNESS(Sign, sign, -2, 2)
UNARY_HARNESS(Reciprocal, reciprocal, 0.5, 2)
UNARY_HARNESS(Floor, floor, 0.1, 0.9)
UNARY_HARNESS(Ceil, ceil, 0.1, 0.9)
UNARY_HARNESS(Trunc, trunc, 0.1, 0.9)
UNARY_HARNESS(Round, round, 0.1, 0.4)
UNARY_HARNESS(Square, square, -2, 2)
UNARY_HARNESS(Rsqrt, rsqrt, 0.5, 2)
UNARY_HARNESS(Expm1, expm1, -1, 1)
UNARY_HARNESS(Log2, log2, 0.5, 2)
UNARY_HARNESS(Log10, log10, 0.5, 2)
UNARY_HARNESS(Sin, sin, -2, 2)
UNARY_HARNESS(Cos, cos, -2, 2)
UNARY_HARNESS(Tan, tan, -1, 1)
UNARY_HARNESS(ArcSin, arcsin, -0.8, 0.8)
UNARY_HARNESS(ArcCos, arccos, -0.8, 0.8)
UNARY_HARNESS(ArcTan, arctan, -2, 2)
UNARY_HARNESS(Sinh, sinh, -2, 2)
UNARY_HARNESS(Cosh, cosh, -2, 2)
UNARY_HARNESS(Tanh, tanh, -2, 2)
UNARY_HARNESS(ArcSinh, arcsinh, -2, 2)
UNARY_HARNESS(ArcCosh, arccosh, 1.5, 3)
UNARY_HARNESS(ArcTanh, arctanh, -0.8, 0.8)
UNARY_HARNESS(Degrees, degrees, -2, 2)
UNARY_HARNESS(Radians, radians, -2, 2)
UNARY_HARNESS(Sigmoid, sigmoid, -3, 3)
UNARY_HARNESS(Erf, erf, -2, 2)
UNARY_HARNESS(ErfInv, erfinv, -0.9, 0.9)
UNARY_HARNESS(Exp, exp, -2, 2)
UNARY_HARNESS(Log, log, 0.5, 2)
UNARY_HARNESS(Log1p, log1p, -0.5, 2)
UNARY_HARNESS(Sqrt, sqrt, 0.5, 2)
UNARY_HARNESS(Positive, positive, -2, 2)

TEST(UnaryHarness, SecondDerivatives) {
  // grad of grad goes through the derivative rules, which are written with ops.
  auto x = array(0.3, float64);
  auto d2 = [&](std::function<array(const array&)> f) {
    return values<double>(grad(grad([f](const array& a) { return f(a); }))(x))[0];
  };
  double t = std::tanh(0.3);
  EXPECT_NEAR(d2([](const array& a) { return tanh(a); }), -2 * t * (1 - t * t), 1e-12);
  double s = 1 / (1 + std::exp(-0.3));
  EXPECT_NEAR(d2([](const array& a) { return sigmoid(a); }), s * (1 - s) * (1 - 2 * s), 1e-12);
  EXPECT_NEAR(d2([](const array& a) { return erf(a); }),
              -4 * 0.3 * std::numbers::inv_sqrtpi * std::exp(-0.09), 1e-12);
  EXPECT_NEAR(d2([](const array& a) { return sin(a); }), -std::sin(0.3), 1e-12);
  EXPECT_NEAR(d2([](const array& a) { return arctan(a); }), -2 * 0.3 / std::pow(1.09, 2), 1e-12);
}

TEST(UnaryHarness, ComplexParts) {
  auto z = array({complex64_t(1, 2), complex64_t(-3, 0.5f)});
  // vjp of real and imag (MLX's convention: imag's cotangent times -i).
  auto [outs, vjps] = vjp([](const V& a) { return V{real(a[0])}; }, {z}, {array({1.0f, 2.0f})});
  expect_array<complex64_t>(vjps[0], {2}, complex64, {complex64_t(1, 0), complex64_t(2, 0)});
  auto [outs2, vjps2] = vjp([](const V& a) { return V{imag(a[0])}; }, {z}, {array({1.0f, 2.0f})});
  expect_array<complex64_t>(vjps2[0], {2}, complex64, {complex64_t(0, -1), complex64_t(0, -2)});
  auto [jo, jt] = jvp([](const V& a) { return V{imag(a[0])}; }, {z}, {z});
  expect_array<float>(jt[0], {2}, float32, {2, 0.5f});
  auto [co, ct] = jvp([](const V& a) { return V{conjugate(a[0])}; }, {z}, {z});
  expect_array<complex64_t>(ct[0], {2}, complex64, {complex64_t(1, -2), complex64_t(-3, -0.5f)});
  auto vm = vmap([](const array& a) { return abs(a); })(reshape(z, {2, 1}));
  expect_array<float>(vm, {2, 1}, float32, {std::sqrt(5.0f), std::hypot(3.0f, 0.5f)});
}
