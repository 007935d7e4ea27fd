// The elementwise families: add, subtract, multiply, divide (and their operators, scalars on
// either side), negative, and astype across all dtype pairs; their SIMD kernels against the
// scalar semantics; donation; and a fused tile chain built from the same tile kernels.
#include <gtest/gtest.h>

#include "helpers.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "backend/cpu/binary.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/elementwise.h"
#include "core/dtype_utils.h"
#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

const std::vector<Dtype> kAllDtypes = {bool_,   uint8,   uint16,   uint32,   uint64,
                                       int8,    int16,   int32,    int64,    float16,
                                       float32, float64, bfloat16, complex64};

// A 1-d array of the values (std::vector<bool> packs bits, so bools go through a plain buffer).
template <typename T>
array to_array(const std::vector<T>& v, Dtype dtype) {
  Shape shape{static_cast<int>(v.size())};
  if constexpr (std::is_same_v<T, bool>) {
    std::unique_ptr<bool[]> buf(new bool[v.size()]);
    std::copy(v.begin(), v.end(), buf.get());
    return array(buf.get(), shape, dtype);
  } else {
    return array(v.begin(), shape, dtype);
  }
}

std::string name_of(Dtype d) {
  std::ostringstream os;
  os << d;
  return os.str();
}

template <typename T>
constexpr bool is_half_v = std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>;

template <typename T>
bool is_nan(T v) {
  if constexpr (std::is_same_v<T, complex64_t>) {
    return std::isnan(v.real()) || std::isnan(v.imag());
  } else if constexpr (std::is_floating_point_v<T> || is_half_v<T>) {
    return std::isnan(static_cast<double>(v));
  } else {
    return false;
  }
}

// Equal values, or both NaN; +0 and -0 differ (the bits of non-NaN floats must match).
template <typename T>
bool same_value(T a, T b) {
  if (is_nan(a) || is_nan(b)) {
    return is_nan(a) && is_nan(b);
  }
  if constexpr (is_half_v<T>) {
    return a.bits() == b.bits();
  } else if constexpr (std::is_floating_point_v<T>) {
    return a == b && std::signbit(a) == std::signbit(b);
  } else {
    return a == b;
  }
}

template <typename T>
void expect_same_values(const std::vector<T>& got, const std::vector<T>& expected,
                        const std::string& what) {
  ASSERT_EQ(got.size(), expected.size()) << what;
  int reported = 0;
  for (size_t i = 0; i < got.size() && reported < 5; ++i) {
    if (!same_value(got[i], expected[i])) {
      ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", expected "
                    << expected[i];
      ++reported;
    }
  }
}

// 37 elements: whole SIMD vectors of every width and a partial tail.
constexpr int kLen = 37;

// Small operands that every dtype holds exactly (b is never zero), so the expected values
// can be computed here in a wider type.
template <typename T>
std::vector<T> operand(int which) {
  std::vector<T> v;
  for (int i = 0; i < kLen; ++i) {
    int x = which == 0 ? (i * 7) % 23 : (i * 5) % 13 + 1;
    if constexpr (std::is_signed_v<T> || !std::is_integral_v<T>) {
      x -= which == 0 ? 11 : 0;
    }
    if constexpr (std::is_same_v<T, bool>) {
      v.push_back(which == 0 ? (i % 2 != 0) : ((i / 2) % 2 != 0));
    } else {
      v.push_back(static_cast<T>(x));
    }
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// add, subtract, multiply, divide

template <typename T>
void check_arithmetic(Dtype dtype) {
  auto av = operand<T>(0);
  auto bv = operand<T>(1);
  auto a = to_array(av, dtype);
  auto b = to_array(bv, dtype);
  std::vector<T> sum, diff, prod;
  for (int i = 0; i < kLen; ++i) {
    if constexpr (std::is_same_v<T, bool>) {
      sum.push_back(av[i] || bv[i]);
      diff.push_back(av[i] != bv[i]);
      prod.push_back(av[i] && bv[i]);
    } else if constexpr (std::is_integral_v<T>) {
      // Small values: exact in int64, then wrapped (modular conversion).
      auto x = static_cast<int64_t>(av[i]);
      auto y = static_cast<int64_t>(bv[i]);
      sum.push_back(static_cast<T>(x + y));
      diff.push_back(static_cast<T>(x - y));
      prod.push_back(static_cast<T>(x * y));
    } else {
      // Rounded once from double: the correctly rounded result.
      auto x = static_cast<double>(av[i]);
      auto y = static_cast<double>(bv[i]);
      sum.push_back(static_cast<T>(x + y));
      diff.push_back(static_cast<T>(x - y));
      prod.push_back(static_cast<T>(x * y));
    }
  }
  auto what = name_of(dtype);
  EXPECT_EQ((a + b).dtype(), dtype);
  expect_same_values(values<T>(a + b), sum, "add " + what);
  expect_same_values(values<T>(subtract(a, b)), diff, "subtract " + what);
  expect_same_values(values<T>(a * b), prod, "multiply " + what);

  // True division: integers and bool divide in float32.
  if constexpr (std::is_integral_v<T>) {
    auto q = a / b;
    EXPECT_EQ(q.dtype(), float32) << what;
    std::vector<float> expected;
    for (int i = 0; i < kLen; ++i) {
      expected.push_back(static_cast<float>(static_cast<double>(av[i]) / bv[i]));
    }
    expect_same_values(values<float>(q), expected, "divide " + what);
  } else {
    auto q = divide(a, b);
    EXPECT_EQ(q.dtype(), dtype) << what;
    std::vector<T> expected;
    for (int i = 0; i < kLen; ++i) {
      expected.push_back(static_cast<T>(static_cast<double>(av[i]) / static_cast<double>(bv[i])));
    }
    expect_same_values(values<T>(q), expected, "divide " + what);
  }
}

TEST(ElementwiseBinary, ValuesEveryRealDtype) {
  for (auto dtype : kAllDtypes) {
    if (dtype == complex64) {
      continue;
    }
    dispatch_dtype(dtype, [&](auto tag) { check_arithmetic<typename decltype(tag)::type>(dtype); });
  }
}

TEST(ElementwiseBinary, ComplexValues) {
  auto a = array({complex64_t(1, 2), complex64_t(3, -1)});
  auto b = array({complex64_t(2, 0), complex64_t(1, 1)});
  expect_array<complex64_t>(a + b, {2}, complex64, {complex64_t(3, 2), complex64_t(4, 0)});
  expect_array<complex64_t>(a - b, {2}, complex64, {complex64_t(-1, 2), complex64_t(2, -2)});
  expect_array<complex64_t>(a * b, {2}, complex64, {complex64_t(2, 4), complex64_t(4, 2)});
  expect_array<complex64_t>(a / b, {2}, complex64, {complex64_t(0.5f, 1), complex64_t(1, -2)});
  expect_array<complex64_t>(a - array(1), {2}, complex64, {complex64_t(0, 2), complex64_t(2, -1)});
}

TEST(ElementwiseBinary, IntegerOverflowWraps) {
  expect_array<int8_t>(array({int8_t{100}, int8_t{-128}}, int8) + array({int8_t{100}}, int8), {2},
                       int8, {-56, -28});
  expect_array<uint8_t>(array({uint8_t{3}, uint8_t{0}}, uint8) - array({uint8_t{5}}, uint8), {2},
                        uint8, {254, 251});
  expect_array<int16_t>(array({int16_t{300}}, int16) * array({int16_t{300}}, int16), {1}, int16,
                        {24464});
  constexpr auto kMax32 = std::numeric_limits<int32_t>::max();
  constexpr auto kMin32 = std::numeric_limits<int32_t>::min();
  expect_array<int32_t>(array({kMax32, kMin32}) + array({1, -1}), {2}, int32, {kMin32, kMax32});
  expect_array<int32_t>(array({kMin32}) * array({-1}), {1}, int32, {kMin32});
  expect_array<uint32_t>(array({0u}, uint32) - array({1u}, uint32), {1}, uint32, {4294967295u});
  constexpr auto kMin64 = std::numeric_limits<int64_t>::min();
  constexpr auto kMax64 = std::numeric_limits<int64_t>::max();
  expect_array<int64_t>(array({kMin64}, int64) - array({int64_t{1}}, int64), {1}, int64, {kMax64});
  expect_array<int64_t>(array({kMax64}, int64) * array({int64_t{2}}, int64), {1}, int64, {-2});
  expect_array<uint64_t>(array({uint64_t{0}}, uint64) - array({uint64_t{1}}, uint64), {1}, uint64,
                         {std::numeric_limits<uint64_t>::max()});
  expect_array<uint64_t>(array({uint64_t{1} << 63}, uint64) * array({uint64_t{3}}, uint64), {1},
                         uint64, {uint64_t{1} << 63});
}

TEST(ElementwiseBinary, FloatDivisionByZero) {
  auto q = values<float>(array({1.0f, -1.0f, 0.0f, kInf, 1.0f}) /
                         array({0.0f, 0.0f, 0.0f, kInf, -0.0f}));
  EXPECT_EQ(q[0], kInf);
  EXPECT_EQ(q[1], -kInf);
  EXPECT_TRUE(std::isnan(q[2]));
  EXPECT_TRUE(std::isnan(q[3]));
  EXPECT_EQ(q[4], -kInf);
  // Integer division by zero is float division: no trap.
  auto qi = values<float>(array({1, -1, 0}) / array({0, 0, 0}));
  EXPECT_EQ(qi[0], kInf);
  EXPECT_EQ(qi[1], -kInf);
  EXPECT_TRUE(std::isnan(qi[2]));
  auto qd = values<double>(array({1.0}, float64) / array({-0.0}, float64));
  EXPECT_EQ(qd[0], -std::numeric_limits<double>::infinity());
}

TEST(ElementwiseBinary, Promotion) {
  auto i8 = array({int8_t{-7}}, int8);
  auto u8 = array({uint8_t{200}}, uint8);
  expect_array<int16_t>(i8 - u8, {1}, int16, {-207});
  // C++ scalars are not weak: an int is int32, a float or double is float32.
  expect_array<int32_t>(i8 - 1, {1}, int32, {-8});
  expect_array<int64_t>(array({1u}, uint32) - 2, {1}, int64, {-1});
  expect_array<float>(array({uint64_t{5}}, uint64) - 2, {1}, float32, {3.0f});
  expect_array<float>(array({1.5f}, float16) - 2.0f, {1}, float32, {-0.5f});
  expect_array<float>(array({1.5f}, float16) / 2.0, {1}, float32, {0.75f});
  expect_array<double>(array({1.0}, float64) - 0.25f, {1}, float64, {0.75});
  EXPECT_EQ((array({1.0f}, float16) - array({1.0f}, bfloat16)).dtype(), float32);
  EXPECT_EQ((array({1.0f}, float16) / array({1.0f}, float16)).dtype(), float16);
  EXPECT_EQ((array({1.0f}, bfloat16) / array({2}, int32)).dtype(), bfloat16);
  EXPECT_EQ((array({1.0}, float64) / array({2}, int64)).dtype(), float64);
  EXPECT_EQ((array({1.0f}) / array({complex64_t(1, 0)})).dtype(), complex64);
  EXPECT_EQ((array({1}, int64) - array({complex64_t(1, 0)})).dtype(), complex64);
  // Divide of integers and bools: at least float32.
  expect_array<float>(array({int8_t{7}}, int8) / array({int8_t{-2}}, int8), {1}, float32, {-3.5f});
  expect_array<float>(array({uint64_t{7}}, uint64) / array({2}), {1}, float32, {3.5f});
  expect_array<float>(array({true, false}) / array({true, true}), {2}, float32, {1.0f, 0.0f});
  // bool - bool stays bool, as in MLX (true where they differ).
  expect_array<bool>(array({true, true, false, false}) - array({true, false, true, false}), {4},
                     bool_, {false, true, true, false});
}

TEST(ElementwiseBinary, Broadcasting) {
  auto a = reshape(arange(6), {2, 1, 3});
  auto b = reshape(array({10, 20, 30, 40}), {4, 1});
  auto d = b - a;
  expect_array<int32_t>(d, {2, 4, 3}, int32, {10, 9, 8, 20, 19, 18, 30, 29, 28, 40, 39, 38,
                                              7,  6, 5, 17, 16, 15, 27, 26, 25, 37, 36, 35});
  auto q = array({1.0f, 2.0f, 4.0f}) / reshape(array({1.0f, 2.0f}), {2, 1});
  expect_array<float>(q, {2, 3}, float32, {1.0f, 2.0f, 4.0f, 0.5f, 1.0f, 2.0f});
  // Empty broadcasts.
  expect_array<float>(zeros({0, 3}) - array({1.0f, 2.0f, 3.0f}), {0, 3}, float32, {});
}

TEST(ElementwiseBinary, StridedInputs) {
  auto m = reshape(arange(0.0, 24.0, 1.0, float32), {4, 6});
  // Every other column of reversed rows, and a transposed view.
  auto s = slice(m, {3, 0}, {-5, 6}, {-1, 2});   // (4, 3): rows 3,2,1,0; cols 0,2,4
  auto t = transpose(slice(m, {0, 0}, {3, 4}));  // (4, 3): m[j][i]
  auto d = s - t;
  std::vector<float> expected;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 3; ++j) {
      float sv = static_cast<float>((3 - i) * 6 + 2 * j);
      float tv = static_cast<float>(j * 6 + i);
      expected.push_back(sv - tv);
    }
  }
  expect_array<float>(d, {4, 3}, float32, expected);
  std::vector<float> quotient;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 3; ++j) {
      quotient.push_back(static_cast<float>((3 - i) * 6 + 2 * j) /
                         static_cast<float>(j * 6 + i + 1));
    }
  }
  expect_array<float>(s / (t + 1.0f), {4, 3}, float32, quotient);
  auto n = values<float>(-t);
  EXPECT_EQ(n[1], -6.0f);
  EXPECT_EQ(n[3], -1.0f);
}

TEST(ElementwiseBinary, ScalarsOnEitherSide) {
  auto a = array({1, 2, 4});
  expect_array<int32_t>(a - 1, {3}, int32, {0, 1, 3});
  expect_array<int32_t>(10 - a, {3}, int32, {9, 8, 6});
  expect_array<float>(a - 0.5f, {3}, float32, {0.5f, 1.5f, 3.5f});
  expect_array<float>(a / 2.0, {3}, float32, {0.5f, 1.0f, 2.0f});
  expect_array<float>(8.0 / a, {3}, float32, {8.0f, 4.0f, 2.0f});
  expect_array<float>(array({2.0f, 8.0f}) / array(4.0f), {2}, float32, {0.5f, 2.0f});
  expect_array<float>(array(1.0f) / array({2.0f, 8.0f}), {2}, float32, {0.5f, 0.125f});
  expect_array<float>(array(3.0f) - array({1.0f, -1.0f}), {2}, float32, {2.0f, 4.0f});
  expect_array<float>(subtract(array(3.0f), array(1.0f)), {}, float32, {2.0f});
  // A scalar array broadcast against a large one, on both sides (scalar tiles).
  int n = 5000;
  auto big = arange(0.0, static_cast<double>(n), 1.0, float32);
  auto left = values<float>(1.0f - big);
  auto right = values<float>(big / 4.0);
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(left[i], 1.0f - static_cast<float>(i)) << i;
    ASSERT_EQ(right[i], static_cast<float>(i) / 4.0f) << i;
  }
}

TEST(ElementwiseBinary, LargeInputs) {
  // 1 << 20 elements run on the thread pool, contiguous and strided.
  int n = 1 << 20;
  auto a = arange(0.0, static_cast<double>(n), 1.0, float32);
  auto b = full({n}, array(4.0f));
  auto d = values<float>(a - b);
  auto q = values<float>(a / b);
  ASSERT_EQ(d.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(d[i], static_cast<float>(i) - 4.0f) << i;
    ASSERT_EQ(q[i], static_cast<float>(i) / 4.0f) << i;
  }
  auto m = reshape(arange(n), {1024, 1024});
  auto t = values<int32_t>(m - transpose(m));
  for (int i = 0; i < 1024; ++i) {
    for (int j = 0; j < 1024; ++j) {
      ASSERT_EQ(t[i * 1024 + j], (i * 1024 + j) - (j * 1024 + i)) << i << "," << j;
    }
  }
  // Outputs large enough for streaming stores: contiguous (and donated), and through scalar
  // tiles.
  int big = 1 << 21;
  auto x = arange(0.0, static_cast<double>(big), 1.0, float64);
  auto y = values<double>(x * x - x);
  for (int i = 0; i < big; i += 997) {
    ASSERT_EQ(y[i], static_cast<double>(i) * i - i) << i;
  }
  ASSERT_EQ(y[big - 1], static_cast<double>(big - 1) * (big - 1) - (big - 1));
  auto xf = arange(0.0, static_cast<double>(big), 1.0, float32);
  auto yf = values<float>((xf + 1.0f) / 2.0f);
  for (int i = 0; i < big; i += 997) {
    ASSERT_EQ(yf[i], (static_cast<float>(i) + 1.0f) / 2.0f) << i;
  }
  ASSERT_EQ(yf[big - 1], static_cast<float>(big) / 2.0f);
}

// float16 and bfloat16 compute in float32 lanes and round once: the result must equal the
// exact result rounded to the format, for every float16/bfloat16 bit pattern as the first
// operand (NaN, inf, subnormals and ties included).
template <typename H>
void check_half_rounding(Dtype dtype) {
  constexpr int n = 1 << 16;
  std::vector<H> av, bv;
  uint32_t state = 12345;
  for (int i = 0; i < n; ++i) {
    av.push_back(H::from_bits(static_cast<uint16_t>(i)));
    state = state * 1664525u + 1013904223u;
    bv.push_back(H::from_bits(static_cast<uint16_t>(state >> 16)));
  }
  auto a = to_array(av, dtype);
  auto b = to_array(bv, dtype);
  using Op = std::function<double(double, double)>;
  std::vector<std::pair<std::string, Op>> ops = {
      {"add", [](double x, double y) { return x + y; }},
      {"subtract", [](double x, double y) { return x - y; }},
      {"multiply", [](double x, double y) { return x * y; }},
      {"divide", [](double x, double y) { return x / y; }},
  };
  std::vector<array> results = {a + b, a - b, a * b, a / b};
  for (size_t k = 0; k < ops.size(); ++k) {
    EXPECT_EQ(results[k].dtype(), dtype);
    std::vector<H> expected;
    for (int i = 0; i < n; ++i) {
      // Rounding the double result once more is innocuous (53 >= 2 * 11 + 2 bits): this is the
      // correctly rounded result.
      expected.push_back(H(ops[k].second(static_cast<float>(av[i]), static_cast<float>(bv[i]))));
    }
    expect_same_values(values<H>(results[k]), expected, ops[k].first + " " + name_of(dtype));
  }
  std::vector<H> negated;
  for (int i = 0; i < n; ++i) {
    negated.push_back(H::from_bits(static_cast<uint16_t>(i ^ 0x8000)));
  }
  auto neg = values<H>(-a);
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(neg[i].bits(), negated[i].bits()) << "negative " << name_of(dtype) << " of " << i;
  }
}

TEST(ElementwiseBinary, HalfTypesRoundCorrectly) {
  check_half_rounding<float16_t>(float16);
  check_half_rounding<bfloat16_t>(bfloat16);
}

TEST(ElementwiseBinary, Errors) {
  auto a = zeros({2, 3});
  auto b = zeros({4});
  EXPECT_EQ(error_message([&] { subtract(a, b); }),
            "[subtract] Shapes (2,3) and (4) cannot be broadcast.");
  EXPECT_EQ(error_message([&] { a - b; }), "[subtract] Shapes (2,3) and (4) cannot be broadcast.");
  EXPECT_EQ(error_message([&] { divide(a, b); }),
            "[divide] Shapes (2,3) and (4) cannot be broadcast.");
  EXPECT_EQ(error_message([&] { a / b; }), "[divide] Shapes (2,3) and (4) cannot be broadcast.");
}

TEST(ElementwiseBinary, PrimitiveNames) {
  auto a = array({1.0f});
  std::ostringstream os;
  os << subtract(a, a).primitive() << " " << divide(a, a).primitive() << " "
     << negative(a).primitive();
  EXPECT_EQ(os.str(), "Subtract Divide Negative");
  EXPECT_TRUE(subtract(a, a).primitive().is_equivalent(subtract(a, a).primitive()));
  EXPECT_FALSE(subtract(a, a).primitive().is_equivalent(add(a, a).primitive()));
  EXPECT_EQ(subtract(a, a).primitive().hash(), subtract(a, a).primitive().hash());
}

TEST(ElementwiseBinary, KernelsPerDtype) {
  // Divide has no integer kernel: the op computes integers in float32.
  EXPECT_EQ(cpu::binary_kernel(BinaryOp::Divide, int32), nullptr);
  for (auto dtype : kAllDtypes) {
    EXPECT_NE(cpu::binary_kernel(BinaryOp::Subtract, dtype), nullptr) << name_of(dtype);
    if (dtype != bool_ && !issubdtype(dtype, integer)) {
      EXPECT_NE(cpu::binary_kernel(BinaryOp::Divide, dtype), nullptr) << name_of(dtype);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// donation

TEST(ElementwiseDonation, TemporaryInputBufferIsReused) {
  auto a = arange(0.0, 4096.0, 1.0, float32);
  auto c = full({4096}, array(2.0f));
  // An evaluated temporary that only the next op holds lends it its buffer.
  auto t = a + a;
  t.eval();
  const void* buffer = t.data<void>();
  auto y = t / c;
  t = array(0.0f);
  y.eval();
  EXPECT_EQ(y.data<void>(), buffer);
  EXPECT_EQ(values<float>(y)[4095], 4095.0f);

  // Unary, and astype between dtypes of one size.
  auto u = a - c;
  u.eval();
  buffer = u.data<void>();
  auto n = -u;
  u = array(0.0f);
  n.eval();
  EXPECT_EQ(n.data<void>(), buffer);
  EXPECT_EQ(values<float>(n)[3], -1.0f);
  auto i = astype(n, int32);
  n = array(0.0f);
  i.eval();
  EXPECT_EQ(i.data<void>(), buffer);
  EXPECT_EQ(values<int32_t>(i)[4095], -4093);

  // An input someone else still holds is left alone.
  auto x = a * c;
  x.eval();
  auto z = x - c;
  z.eval();
  EXPECT_NE(z.data<void>(), x.data<void>());
  EXPECT_EQ(values<float>(x)[1], 2.0f);
}

// ---------------------------------------------------------------------------------------------
// negative

template <typename T>
void check_negative(Dtype dtype) {
  auto av = operand<T>(0);
  auto a = to_array(av, dtype);
  std::vector<T> expected;
  for (auto x : av) {
    if constexpr (std::is_integral_v<T>) {
      expected.push_back(static_cast<T>(-static_cast<int64_t>(x)));
    } else {
      expected.push_back(static_cast<T>(-static_cast<double>(x)));
    }
  }
  auto n = negative(a);
  EXPECT_EQ(n.dtype(), dtype);
  expect_same_values(values<T>(n), expected, "negative " + name_of(dtype));
}

TEST(ElementwiseUnary, NegativeEveryDtype) {
  for (auto dtype : kAllDtypes) {
    if (dtype == bool_ || dtype == complex64) {
      continue;
    }
    dispatch_dtype(dtype, [&](auto tag) { check_negative<typename decltype(tag)::type>(dtype); });
  }
  expect_array<complex64_t>(-array({complex64_t(1, -2)}), {1}, complex64, {complex64_t(-1, 2)});
}

TEST(ElementwiseUnary, NegativeEdges) {
  // Unsigned and most-negative values wrap.
  expect_array<uint8_t>(negative(array({uint8_t{0}, uint8_t{1}, uint8_t{255}}, uint8)), {3}, uint8,
                        {0, 255, 1});
  expect_array<uint32_t>(-array({1u, 0x80000000u}, uint32), {2}, uint32,
                         {4294967295u, 0x80000000u});
  expect_array<uint64_t>(-array({uint64_t{2}}, uint64), {1}, uint64,
                         {std::numeric_limits<uint64_t>::max() - 1});
  expect_array<int8_t>(-array({int8_t{-128}, int8_t{127}}, int8), {2}, int8, {-128, -127});
  constexpr auto kMin64 = std::numeric_limits<int64_t>::min();
  expect_array<int64_t>(-array({kMin64}, int64), {1}, int64, {kMin64});
  // Signed zeros, infinities and NaN.
  auto f = values<float>(-array({0.0f, -0.0f, kInf, kNaN}));
  EXPECT_TRUE(std::signbit(f[0]));
  EXPECT_FALSE(std::signbit(f[1]));
  EXPECT_EQ(f[2], -kInf);
  EXPECT_TRUE(std::isnan(f[3]));
  auto d = values<double>(-array({0.0, 1e300}, float64));
  EXPECT_TRUE(std::signbit(d[0]));
  EXPECT_EQ(d[1], -1e300);
  // Strided and broadcast inputs.
  auto m = reshape(arange(6), {2, 3});
  expect_array<int32_t>(-transpose(m), {3, 2}, int32, {0, -3, -1, -4, -2, -5});
  expect_array<float>(-broadcast_to(array(1.5f), {2, 2}), {2, 2}, float32,
                      {-1.5f, -1.5f, -1.5f, -1.5f});
}

TEST(ElementwiseUnary, NegativeOfBoolIsAnError) {
  EXPECT_EQ(error_message([] {
              negative(array({true, false}));
            }),
            "[negative] The negative of a boolean array is not defined.");
  EXPECT_EQ(error_message([] { -array(true); }),
            "[negative] The negative of a boolean array is not defined.");
}

// ---------------------------------------------------------------------------------------------
// astype

// A value of the test's source set; im is used by complex sources only.
struct Value {
  double re;
  double im;
};

std::vector<Value> sources_for(Dtype d) {
  if (d == bool_) {
    return {{0, 0}, {1, 0}};
  }
  if (issubdtype(d, unsignedinteger)) {
    return {{0, 0}, {1, 0}, {2, 0}, {100, 0}, {200, 0}};
  }
  if (issubdtype(d, signedinteger)) {
    return {{0, 0}, {1, 0}, {-1, 0}, {-3, 0}, {100, 0}, {-100, 0}};
  }
  if (d == complex64) {
    return {{0, 0}, {2.5, 3}, {0, 1}, {-1, 0}, {-2.5, -1}, {100, 0}};
  }
  return {{0, 0}, {1, 0}, {-1, 0}, {2.5, 0}, {-2.5, 0}, {100, 0}, {-100, 0}, {0.75, 0}};
}

// What astype gives for a value: nonzero is true; integers truncate toward zero and then wrap
// (C++20 conversions to integers are modular); floats hold these values exactly; complex keeps
// the imaginary part of a complex source.
template <typename T>
T expected_cast(Value v, bool complex_source) {
  if constexpr (std::is_same_v<T, bool>) {
    return v.re != 0 || (complex_source && v.im != 0);
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(static_cast<int64_t>(std::trunc(v.re)));
  } else if constexpr (std::is_same_v<T, complex64_t>) {
    return complex64_t(static_cast<float>(v.re), complex_source ? static_cast<float>(v.im) : 0.0f);
  } else {
    return static_cast<T>(v.re);
  }
}

template <typename From, typename To>
void check_astype_pair(Dtype from, Dtype to) {
  auto sources = sources_for(from);
  std::vector<From> in;
  std::vector<To> expected;
  for (int i = 0; i < kLen; ++i) {
    auto v = sources[i % sources.size()];
    if constexpr (std::is_same_v<From, complex64_t>) {
      in.push_back(complex64_t(static_cast<float>(v.re), static_cast<float>(v.im)));
    } else if constexpr (std::is_same_v<From, bool>) {
      in.push_back(v.re != 0);
    } else {
      in.push_back(static_cast<From>(v.re));
    }
    expected.push_back(expected_cast<To>(v, from == complex64));
  }
  auto a = to_array(in, from);
  auto b = astype(a, to);
  EXPECT_EQ(b.dtype(), to);
  expect_same_values(values<To>(b), expected, name_of(from) + " -> " + name_of(to));
  // The same through a strided view (every other element, reversed).
  auto s = astype(slice(a, {kLen - 1}, {-kLen - 1}, {-2}), to);
  std::vector<To> strided;
  for (int i = kLen - 1; i >= 0; i -= 2) {
    strided.push_back(expected[i]);
  }
  expect_same_values(values<To>(s), strided, "strided " + name_of(from) + " -> " + name_of(to));
}

TEST(ElementwiseAsType, EveryDtypePair) {
  for (auto from : kAllDtypes) {
    for (auto to : kAllDtypes) {
      dispatch_dtype(from, [&](auto in_tag) {
        dispatch_dtype(to, [&](auto out_tag) {
          check_astype_pair<typename decltype(in_tag)::type, typename decltype(out_tag)::type>(from,
                                                                                               to);
        });
      });
    }
  }
}

TEST(ElementwiseAsType, EdgeValuesToIntegers) {
  // NaN is 0; beyond int64 the value saturates at int64's bounds (uint64's maximum for uint64)
  // and then wraps into narrower types like any int64.
  auto a = array({kNaN, kInf, -kInf, 3e9f, -3e9f, 300.0f, -1.0f, 65520.0f, 0.99f, -0.99f});
  Shape s{10};
  expect_array<int8_t>(astype(a, int8), s, int8, {0, -1, 0, 0, 0, 44, -1, -16, 0, 0});
  expect_array<uint8_t>(astype(a, uint8), s, uint8, {0, 255, 0, 0, 0, 44, 255, 240, 0, 0});
  expect_array<int16_t>(astype(a, int16), s, int16, {0, -1, 0, 24064, -24064, 300, -1, -16, 0, 0});
  expect_array<uint16_t>(astype(a, uint16), s, uint16,
                         {0, 65535, 0, 24064, 41472, 300, 65535, 65520, 0, 0});
  expect_array<int32_t>(astype(a, int32), s, int32,
                        {0, -1, 0, -1294967296, 1294967296, 300, -1, 65520, 0, 0});
  expect_array<uint32_t>(
      astype(a, uint32), s, uint32,
      {0, 4294967295u, 0, 3000000000u, 1294967296u, 300, 4294967295u, 65520, 0, 0});
  constexpr auto kMax64 = std::numeric_limits<int64_t>::max();
  constexpr auto kMin64 = std::numeric_limits<int64_t>::min();
  expect_array<int64_t>(astype(a, int64), s, int64,
                        {0, kMax64, kMin64, 3000000000, -3000000000, 300, -1, 65520, 0, 0});
  expect_array<uint64_t>(astype(a, uint64), s, uint64,
                         {0, std::numeric_limits<uint64_t>::max(), uint64_t{1} << 63, 3000000000u,
                          18446744070709551616u, 300, 18446744073709551615u, 65520, 0, 0});
  expect_array<bool>(astype(a, bool_), s, bool_,
                     {true, true, true, true, true, true, true, true, true, true});
}

TEST(ElementwiseAsType, EdgeValuesBetweenFloats) {
  // float64 -> float32 rounds to nearest even; the tie above FLT_MAX rounds to inf.
  double tie = std::ldexp(1.0, 128) - std::ldexp(1.0, 103);
  double below = tie - std::ldexp(1.0, 76);
  auto f = values<float>(astype(
      array({tie, below, 1e-300, -1e-300, 16777217.0, 0.1, std::nan("")}, float64), float32));
  EXPECT_EQ(f[0], kInf);
  EXPECT_EQ(f[1], std::numeric_limits<float>::max());
  EXPECT_EQ(f[2], 0.0f);
  EXPECT_TRUE(std::signbit(f[3]));
  EXPECT_EQ(f[4], 16777216.0f);
  EXPECT_EQ(f[5], 0.1f);
  EXPECT_TRUE(std::isnan(f[6]));
  // float32 -> bfloat16: ties to even, the top of the range to inf, NaN payloads kept NaN.
  auto b = values<bfloat16_t>(astype(
      array({std::bit_cast<float>(0x3F808000u), std::bit_cast<float>(0x3F818000u),
             std::numeric_limits<float>::max(), std::bit_cast<float>(0x7F800001u), -kInf, 1e-45f}),
      bfloat16));
  EXPECT_EQ(b[0].bits(), 0x3F80);
  EXPECT_EQ(b[1].bits(), 0x3F82);
  EXPECT_EQ(b[2].bits(), 0x7F80);
  EXPECT_TRUE(isnan(b[3]));
  EXPECT_EQ(b[4].bits(), 0xFF80);
  EXPECT_EQ(b[5].bits(), 0x0000);
  // float32 -> float16: ties to even, overflow, subnormals.
  auto h = values<float16_t>(
      astype(array({2049.0f, 2051.0f, 65519.0f, 65520.0f, -1e10f, 6e-8f, 2e-8f, -0.0f}), float16));
  std::vector<uint16_t> hb;
  for (auto x : h) {
    hb.push_back(x.bits());
  }
  EXPECT_EQ(
      hb, (std::vector<uint16_t>{0x6800, 0x6802, 0x7BFF, 0x7C00, 0xFC00, 0x0001, 0x0000, 0x8000}));
  // Integers to floats round to nearest even.
  expect_array<float>(astype(array({16777217, -16777219, 2147483647}), float32), {3}, float32,
                      {16777216.0f, -16777220.0f, 2147483648.0f});
  expect_array<bfloat16_t>(astype(array({uint64_t{18446744073709551615ull}}, uint64), bfloat16),
                           {1}, bfloat16, {bfloat16_t::from_bits(0x5F80)});
  expect_array<float16_t>(astype(array({int64_t{-65520}}, int64), float16), {1}, float16,
                          {float16_t::from_bits(0xFC00)});
}

// Bit patterns that cover every class of value of a 32-bit float: all exponents, with
// mantissas that hit ties and their neighbours for the 16-bit formats.
std::vector<float> float_patterns() {
  std::vector<float> v;
  const uint32_t lows[] = {0x0000, 0x0001, 0x0FFF, 0x1000, 0x1001,
                           0x2345, 0x7FFF, 0x8000, 0x8001, 0xFFFF};
  for (uint32_t hi = 0; hi < 0x10000; hi += 7) {
    for (auto lo : lows) {
      v.push_back(std::bit_cast<float>((hi << 16) | lo));
    }
  }
  return v;
}

template <typename From, typename To>
void check_matches_scalar(const std::vector<From>& in, Dtype from, Dtype to) {
  std::vector<To> expected;
  for (auto x : in) {
    expected.push_back(detail::cast_value<To>(x));
  }
  auto a = to_array(in, from);
  auto got = values<To>(astype(a, to));
  ASSERT_EQ(got.size(), expected.size());
  int reported = 0;
  for (size_t i = 0; i < got.size() && reported < 5; ++i) {
    bool ok;
    if constexpr (std::is_integral_v<To>) {
      ok = got[i] == expected[i];
    } else if constexpr (std::is_same_v<To, float>) {
      ok = std::bit_cast<uint32_t>(got[i]) == std::bit_cast<uint32_t>(expected[i]);
    } else if constexpr (std::is_same_v<To, double>) {
      ok = std::bit_cast<uint64_t>(got[i]) == std::bit_cast<uint64_t>(expected[i]);
    } else {
      ok = got[i].bits() == expected[i].bits();
    }
    if (!ok) {
      ADD_FAILURE() << name_of(from) << " -> " << name_of(to) << ": element " << i << " is "
                    << got[i] << ", expected " << expected[i];
      ++reported;
    }
  }
}

// The SIMD conversions (float32 <-> float16/bfloat16/float64/int32, float16 <-> bfloat16)
// give the scalar conversion's bits exactly, NaN payloads included.
TEST(ElementwiseAsType, SimdPairsMatchScalarConversion) {
  std::vector<float16_t> halves;
  std::vector<bfloat16_t> brains;
  for (int i = 0; i < (1 << 16); ++i) {
    halves.push_back(float16_t::from_bits(static_cast<uint16_t>(i)));
    brains.push_back(bfloat16_t::from_bits(static_cast<uint16_t>(i)));
  }
  auto floats = float_patterns();
  std::vector<double> doubles;
  std::vector<int32_t> ints;
  uint64_t state = 99;
  for (size_t i = 0; i < floats.size(); ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    doubles.push_back(std::bit_cast<double>(state));
    // Halfway between two floats (for normal ones): bit 28 is half a float ulp.
    doubles.push_back(std::bit_cast<double>(
        std::bit_cast<uint64_t>(static_cast<double>(floats[i])) | (uint64_t{1} << 28)));
    ints.push_back(static_cast<int32_t>(state >> 32));
  }
  check_matches_scalar<float, float16_t>(floats, float32, float16);
  check_matches_scalar<float, bfloat16_t>(floats, float32, bfloat16);
  check_matches_scalar<float, double>(floats, float32, float64);
  check_matches_scalar<double, float>(doubles, float64, float32);
  check_matches_scalar<int32_t, float>(ints, int32, float32);
  check_matches_scalar<float, int32_t>(floats, float32, int32);
  check_matches_scalar<float16_t, float>(halves, float16, float32);
  check_matches_scalar<bfloat16_t, float>(brains, bfloat16, float32);
  check_matches_scalar<float16_t, bfloat16_t>(halves, float16, bfloat16);
  check_matches_scalar<bfloat16_t, float16_t>(brains, bfloat16, float16);
}

TEST(ElementwiseAsType, LargeAndBroadcastInputs) {
  int n = 1 << 20;
  auto a = astype(arange(n), float16);
  auto v = values<float16_t>(a);
  for (int i = 0; i < n; i += 131) {
    ASSERT_EQ(v[i].bits(), float16_t(i).bits()) << i;
  }
  auto m = reshape(arange(0.0, static_cast<double>(n), 1.0, float32), {1024, 1024});
  auto t = values<bfloat16_t>(astype(transpose(m), bfloat16));
  for (int i = 0; i < 1024; i += 7) {
    for (int j = 0; j < 1024; j += 5) {
      ASSERT_EQ(t[i * 1024 + j].bits(), bfloat16_t(static_cast<float>(j * 1024 + i)).bits());
    }
  }
  auto f = values<double>(full({3, 4}, array(2.5f), float64));
  EXPECT_EQ(f, std::vector<double>(12, 2.5));
}

TEST(ElementwiseAsType, TransposedInputs) {
  // Transposed layouts are copied in square blocks: sizes that are not multiples of the block,
  // an outer dim, a reversed axis, and items of every width.
  auto base = reshape(arange(3 * 37 * 45), {3, 37, 45});
  auto t = transpose(base, {0, 2, 1});                      // (3, 45, 37)
  auto r = slice(t, {0, 44, 0}, {3, -46, 37}, {1, -1, 1});  // the 45-axis reversed
  auto value = [](int k, int i, int j) { return k * 37 * 45 + j * 45 + i; };
  for (auto dtype : {int8, float16, int32, float32, int64, complex64}) {
    auto got = values<double>(astype(astype(t, dtype), float64));
    auto got_r = values<double>(astype(reshape(astype(r, dtype), {-1}), float64));
    // Reshape copies (same dtype) into a buffer of another shape.
    auto got_c = values<double>(astype(reshape(t, {3 * 45 * 37}), float64));
    for (int k = 0, n = 0; k < 3; ++k) {
      for (int i = 0; i < 45; ++i) {
        for (int j = 0; j < 37; ++j, ++n) {
          double v = value(k, i, j);
          double vr = value(k, 44 - i, j);
          if (dtype == int8) {
            v = static_cast<int8_t>(v);
            vr = static_cast<int8_t>(vr);
          } else if (dtype == float16) {
            v = static_cast<float>(float16_t(v));
            vr = static_cast<float>(float16_t(vr));
          }
          ASSERT_EQ(got[n], v) << name_of(dtype) << " at " << k << "," << i << "," << j;
          ASSERT_EQ(got_r[n], vr) << name_of(dtype) << " at " << k << "," << i << "," << j;
          ASSERT_EQ(got_c[n], value(k, i, j));
        }
      }
    }
  }
  // A transposed broadcast (one stride 0).
  auto b = transpose(broadcast_to(reshape(arange(40), {40, 1}), {40, 50}));
  auto bv = values<int64_t>(astype(b, int64));
  for (int i = 0; i < 50; ++i) {
    for (int j = 0; j < 40; ++j) {
      ASSERT_EQ(bv[i * 40 + j], j);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// fusion: the eager ops' tile kernels chained per tile, as compile's fused regions run them

TEST(ElementwiseFusion, AddThenMultiplyPerTileMatchesUnfusedOps) {
  // a: a transposed view (strided); b: a row broadcast down the rows; c: a scalar broadcast.
  auto base = reshape(arange(0.0, 300.0 * 257.0, 1.0, float32), {257, 300});
  auto a = transpose(base);
  auto b = broadcast_to(reshape(arange(0.0, 257.0, 1.0, float32) / 7.0, {1, 257}), {300, 257});
  auto c = broadcast_to(array(0.75f), {300, 257});
  eval({a, b, c});
  auto expected = values<float>((a + b) * c);

  auto add = cpu::binary_kernel(BinaryOp::Add, float32);
  auto mul = cpu::binary_kernel(BinaryOp::Multiply, float32);
  ASSERT_NE(add, nullptr);
  ASSERT_NE(mul, nullptr);
  auto out = zeros({300, 257}, float32);
  out.eval();
  cpu::for_each_tile({a, b, c}, out, [&](const void* const* in, void* o, size_t n) {
    ASSERT_LE(n, cpu::kTileSize);
    alignas(64) float sum[cpu::kTileSize];
    const void* add_in[2] = {in[0], in[1]};
    add(add_in, sum, n);
    const void* mul_in[2] = {sum, in[2]};
    mul(mul_in, o, n);
  });
  auto fused = values<float>(out);
  ASSERT_EQ(fused.size(), expected.size());
  for (size_t i = 0; i < fused.size(); ++i) {
    ASSERT_EQ(fused[i], expected[i]) << "at " << i;
  }
}

}  // namespace
