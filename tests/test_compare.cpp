// The comparison family: the six comparisons and their operators, array_equal, the NaN and
// infinity predicates, isclose/allclose, the logical ops, where, nan_to_num, tril/triu; every
// dtype, NaN/inf/-0, promotion, broadcasting, strided inputs, the SIMD rows against a scalar
// loop, errors, and the transform rules through the check harness.
#include <gtest/gtest.h>

#include "check.h"
#include "helpers.h"

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

using B = std::vector<bool>;
using CompareFn = array (*)(const array&, const array&, StreamOrDevice);

const std::vector<Dtype> kNumericDtypes = {uint8,   uint16,   uint32,   uint64,  int8,
                                           int16,   int32,    int64,    float16, float32,
                                           float64, bfloat16, complex64};
const std::vector<Dtype> kFloatDtypes = {float16, float32, float64, bfloat16, complex64};

struct Case {
  const char* name;
  CompareFn fn;
  B small;    // on {0, 1, 2, 3} against {1, 1, 1, 4}
  B special;  // on {nan, inf, -inf, -0, 1} against {nan, inf, 0, 0, nan}
};

const std::vector<Case> kCases = {
    {"equal", equal, {0, 1, 0, 0}, {0, 1, 0, 1, 0}},
    {"not_equal", not_equal, {1, 0, 1, 1}, {1, 0, 1, 0, 1}},
    {"greater", greater, {0, 0, 1, 0}, {0, 0, 0, 0, 0}},
    {"greater_equal", greater_equal, {0, 1, 1, 0}, {0, 1, 0, 1, 0}},
    {"less", less, {1, 0, 0, 1}, {0, 0, 1, 0, 0}},
    {"less_equal", less_equal, {1, 1, 0, 1}, {0, 1, 1, 1, 0}},
};

std::string name_of(Dtype d) {
  std::ostringstream os;
  os << d;
  return os.str();
}

}  // namespace

// ---- comparisons ----

TEST(Compare, EveryDtype) {
  auto a = array({0, 1, 2, 3});
  auto b = array({1, 1, 1, 4});
  for (auto dt : kNumericDtypes) {
    for (auto& c : kCases) {
      SCOPED_TRACE(std::string(c.name) + " " + name_of(dt));
      expect_array<bool>(c.fn(astype(a, dt), astype(b, dt), {}), {4}, bool_, c.small);
    }
  }
}

TEST(Compare, Bools) {
  auto a = array({false, false, true, true});
  auto b = array({false, true, false, true});
  expect_array<bool>(equal(a, b), {4}, bool_, {1, 0, 0, 1});
  expect_array<bool>(not_equal(a, b), {4}, bool_, {0, 1, 1, 0});
  expect_array<bool>(greater(a, b), {4}, bool_, {0, 0, 1, 0});
  expect_array<bool>(greater_equal(a, b), {4}, bool_, {1, 0, 1, 1});
  expect_array<bool>(less(a, b), {4}, bool_, {0, 1, 0, 0});
  expect_array<bool>(less_equal(a, b), {4}, bool_, {1, 1, 0, 1});
}

TEST(Compare, NaNInfAndNegativeZero) {
  auto a = array({kNaN, kInf, -kInf, -0.0f, 1.0f});
  auto b = array({kNaN, kInf, 0.0f, 0.0f, kNaN});
  for (auto dt : kFloatDtypes) {
    for (auto& c : kCases) {
      SCOPED_TRACE(std::string(c.name) + " " + name_of(dt));
      expect_array<bool>(c.fn(astype(a, dt), astype(b, dt), {}), {5}, bool_, c.special);
    }
  }
}

TEST(Compare, ComplexOrdersLexicographically) {
  using C = std::complex<float>;
  auto a = array({complex64_t(C(1, 2)), complex64_t(C(1, 1)), complex64_t(C(0, 5))});
  auto b = array({complex64_t(C(1, 1)), complex64_t(C(1, 1)), complex64_t(C(1, 0))});
  expect_array<bool>(greater(a, b), {3}, bool_, {1, 0, 0});
  expect_array<bool>(greater_equal(a, b), {3}, bool_, {1, 1, 0});
  expect_array<bool>(less(a, b), {3}, bool_, {0, 0, 1});
  expect_array<bool>(less_equal(a, b), {3}, bool_, {0, 1, 1});
  expect_array<bool>(equal(a, b), {3}, bool_, {0, 1, 0});
}

TEST(Compare, PromotesBeforeComparing) {
  // int8 -1 against uint8 255 meet in int16; int32 -1 against uint32 4294967295 in int64.
  auto i8 = array({-1, 5}, int8);
  auto u8 = array({255, 5}, uint8);
  expect_array<bool>(less(i8, u8), {2}, bool_, {1, 0});
  expect_array<bool>(equal(i8, u8), {2}, bool_, {0, 1});
  auto i32 = array({-1});
  auto u32 = array({4294967295u});
  expect_array<bool>(equal(i32, u32), {1}, bool_, {0});
  expect_array<bool>(less(i32, u32), {1}, bool_, {1});
  // A float32 operand makes an int32 comparison inexact, as in MLX: 16777217 is 16777216.
  expect_array<bool>(equal(array({16777217}), array(16777216.0f)), {1}, bool_, {1});
  expect_array<bool>(equal(array({0.1}, float64), array(0.1f)), {1}, bool_, {0});
}

TEST(Compare, Operators) {
  auto x = array({1.0f, 2.0f, 3.0f});
  auto y = array({3.0f, 2.0f, 1.0f});
  expect_array<bool>(x == y, {3}, bool_, {0, 1, 0});
  expect_array<bool>(x != y, {3}, bool_, {1, 0, 1});
  expect_array<bool>(x > y, {3}, bool_, {0, 0, 1});
  expect_array<bool>(x >= y, {3}, bool_, {0, 1, 1});
  expect_array<bool>(x < y, {3}, bool_, {1, 0, 0});
  expect_array<bool>(x <= y, {3}, bool_, {1, 1, 0});
  expect_array<bool>(x == 2.0f, {3}, bool_, {0, 1, 0});
  expect_array<bool>(2 == x, {3}, bool_, {0, 1, 0});
  expect_array<bool>(x != 2, {3}, bool_, {1, 0, 1});
  expect_array<bool>(2.5f != x, {3}, bool_, {1, 1, 1});
  expect_array<bool>(x > 1.5f, {3}, bool_, {0, 1, 1});
  expect_array<bool>(2 > x, {3}, bool_, {1, 0, 0});
  expect_array<bool>(x >= 2, {3}, bool_, {0, 1, 1});
  expect_array<bool>(2 >= x, {3}, bool_, {1, 1, 0});
  expect_array<bool>(x < 2, {3}, bool_, {1, 0, 0});
  expect_array<bool>(2 < x, {3}, bool_, {0, 0, 1});
  expect_array<bool>(x <= 2, {3}, bool_, {1, 1, 0});
  expect_array<bool>(2 <= x, {3}, bool_, {0, 1, 1});
  // An int scalar is an int32 array: against int8 the comparison is in int32.
  expect_array<bool>(array({-128, 127}, int8) < 200, {2}, bool_, {1, 1});
}

TEST(Compare, BroadcastsAndStrides) {
  auto a = array({1, 2}, {2, 1});
  auto b = array({0, 1, 2});
  expect_array<bool>(greater(a, b), {2, 3}, bool_, {1, 0, 0, 1, 1, 0});
  auto m = reshape(arange(6), {2, 3});
  auto t = transpose(m);  // (3,2): 0 3 / 1 4 / 2 5
  expect_array<bool>(less(t, array({2, 4})), {3, 2}, bool_, {1, 1, 1, 0, 0, 0});
  expect_array<bool>(equal(t, t), {3, 2}, bool_, {1, 1, 1, 1, 1, 1});
  auto e = equal(zeros({0, 3}), zeros({3}));
  expect_array<bool>(e, {0, 3}, bool_, {});
  expect_array<bool>(equal(array(1.0f), array(1)), {}, bool_, {1});
}

TEST(Compare, Errors) {
  auto a = zeros({2, 3});
  auto b = zeros({4});
  EXPECT_INVALID(equal(a, b), "[equal] Shapes (2,3) and (4) cannot be broadcast.");
  EXPECT_INVALID(a != b, "[not_equal] Shapes (2,3) and (4) cannot be broadcast.");
  EXPECT_INVALID(a > b, "[greater] Shapes (2,3) and (4) cannot be broadcast.");
  EXPECT_INVALID(a >= b, "[greater_equal] Shapes (2,3) and (4) cannot be broadcast.");
  EXPECT_INVALID(a < b, "[less] Shapes (2,3) and (4) cannot be broadcast.");
  EXPECT_INVALID(a <= b, "[less_equal] Shapes (2,3) and (4) cannot be broadcast.");
  EXPECT_INVALID(logical_and(a, b), "[logical_and] Shapes (2,3) and (4) cannot be broadcast.");
  EXPECT_INVALID(a || b, "[logical_or] Shapes (2,3) and (4) cannot be broadcast.");
  EXPECT_INVALID(logical_xor(a, b), "[logical_xor] Shapes (2,3) and (4) cannot be broadcast.");
  EXPECT_INVALID(isclose(a, b), "[isclose] Shapes (2,3) and (4) cannot be broadcast.");
  EXPECT_INVALID(where(array(true), a, b), "[where] Shapes (), (2,3) and (4) cannot be broadcast.");
}

// Large inputs run the SIMD rows on whole vectors, partial tails and several threads; the
// scalar loop here is the reference.
TEST(Compare, SimdRowsMatchScalarSemantics) {
  const int n = 100003;
  std::vector<float> va(n), vb(n);
  for (int i = 0; i < n; ++i) {
    va[i] = static_cast<float>((i * 37) % 101) - 50.0f;
    vb[i] = static_cast<float>((i * 53) % 97) - 48.0f;
    if (i % 17 == 0) va[i] = kNaN;
    if (i % 23 == 0) vb[i] = kInf;
    if (i % 29 == 0) vb[i] = va[i];
  }
  auto a32 = array(va.data(), {n}, float32);
  auto b32 = array(vb.data(), {n}, float32);
  const std::vector<std::function<bool(float, float)>> ref = {
      [](float x, float y) { return x == y; }, [](float x, float y) { return x != y; },
      [](float x, float y) { return x > y; },  [](float x, float y) { return x >= y; },
      [](float x, float y) { return x < y; },  [](float x, float y) { return x <= y; }};
  for (auto dt : {float32, float16, bfloat16, float64}) {
    // The values are small integers, exact in every one of these dtypes.
    auto a = astype(a32, dt);
    auto b = astype(b32, dt);
    for (size_t k = 0; k < kCases.size(); ++k) {
      SCOPED_TRACE(std::string(kCases[k].name) + " " + name_of(dt));
      auto got = values<bool>(kCases[k].fn(a, b, {}));
      int bad = 0;
      for (int i = 0; i < n; ++i) {
        bad += got[i] != ref[k](va[i], vb[i]);
      }
      EXPECT_EQ(bad, 0);
      // A scalar on one side and an offset start (unaligned rows).
      auto tail = slice(a, {3}, {n});
      auto got2 = values<bool>(kCases[k].fn(tail, array(1.0f, dt), {}));
      bad = 0;
      for (int i = 3; i < n; ++i) {
        bad += got2[i - 3] != ref[k](va[i], 1.0f);
      }
      EXPECT_EQ(bad, 0);
    }
  }
}

// ---- array_equal ----

TEST(ArrayEqual, ValuesShapesDtypes) {
  auto a = array({1, 2, 3});
  auto r = array_equal(a, array({1.0f, 2.0f, 3.0f}));
  expect_array<bool>(r, {}, bool_, {1});
  expect_array<bool>(array_equal(a, array({1, 2, 4})), {}, bool_, {0});
  // A shape mismatch is false, never an error, even where the shapes would broadcast.
  expect_array<bool>(array_equal(a, array({1, 2})), {}, bool_, {0});
  expect_array<bool>(array_equal(array({1, 1, 1}), array(1)), {}, bool_, {0});
  expect_array<bool>(array_equal(zeros({0, 2}), zeros({0, 2}, int32)), {}, bool_, {1});
  expect_array<bool>(array_equal(zeros({0, 2}), zeros({2, 0})), {}, bool_, {0});
}

TEST(ArrayEqual, NaNs) {
  auto a = array({1.0f, kNaN});
  expect_array<bool>(array_equal(a, a), {}, bool_, {0});
  expect_array<bool>(array_equal(a, a, false), {}, bool_, {0});
  expect_array<bool>(array_equal(a, a, true), {}, bool_, {1});
  expect_array<bool>(array_equal(a, array({kNaN, kNaN}), true), {}, bool_, {0});
  for (auto dt : kFloatDtypes) {
    SCOPED_TRACE(name_of(dt));
    expect_array<bool>(array_equal(astype(a, dt), astype(a, dt), true), {}, bool_, {1});
  }
  expect_array<bool>(array_equal(array({1, 2}), array({1, 2}), true), {}, bool_, {1});
}

// ---- predicates ----

TEST(Predicates, Floats) {
  auto x = array({kNaN, kInf, -kInf, -0.0f, 1.0f, -kNaN});
  for (auto dt : {float16, float32, float64, bfloat16}) {
    SCOPED_TRACE(name_of(dt));
    auto v = astype(x, dt);
    expect_array<bool>(isnan(v), {6}, bool_, {1, 0, 0, 0, 0, 1});
    expect_array<bool>(isinf(v), {6}, bool_, {0, 1, 1, 0, 0, 0});
    expect_array<bool>(isposinf(v), {6}, bool_, {0, 1, 0, 0, 0, 0});
    expect_array<bool>(isneginf(v), {6}, bool_, {0, 0, 1, 0, 0, 0});
    expect_array<bool>(isfinite(v), {6}, bool_, {0, 0, 0, 1, 1, 0});
  }
}

TEST(Predicates, Complex) {
  using C = std::complex<float>;
  auto x = array({complex64_t(C(1, kNaN)), complex64_t(C(kInf, 0)), complex64_t(C(kInf, 1)),
                  complex64_t(C(-kInf, 0)), complex64_t(C(0, -kInf)), complex64_t(C(1, 2))});
  expect_array<bool>(isnan(x), {6}, bool_, {1, 0, 0, 0, 0, 0});
  expect_array<bool>(isinf(x), {6}, bool_, {0, 1, 1, 1, 1, 0});
  expect_array<bool>(isposinf(x), {6}, bool_, {0, 1, 0, 0, 0, 0});
  expect_array<bool>(isneginf(x), {6}, bool_, {0, 0, 0, 1, 0, 0});
  expect_array<bool>(isfinite(x), {6}, bool_, {0, 0, 0, 0, 0, 1});
}

TEST(Predicates, IntegersAndBools) {
  for (auto dt : {bool_, uint8, uint16, uint32, uint64, int8, int16, int32, int64}) {
    SCOPED_TRACE(name_of(dt));
    auto v = astype(array({0, 1, 2}, {3, 1}), dt);
    expect_array<bool>(isnan(v), {3, 1}, bool_, {0, 0, 0});
    expect_array<bool>(isinf(v), {3, 1}, bool_, {0, 0, 0});
    expect_array<bool>(isposinf(v), {3, 1}, bool_, {0, 0, 0});
    expect_array<bool>(isneginf(v), {3, 1}, bool_, {0, 0, 0});
    expect_array<bool>(isfinite(v), {3, 1}, bool_, {1, 1, 1});
  }
}

TEST(Predicates, Strided) {
  auto x = reshape(array({kNaN, 1.0f, kInf, 2.0f, -kInf, 3.0f}), {2, 3});
  expect_array<bool>(isnan(transpose(x)), {3, 2}, bool_, {1, 0, 0, 0, 0, 0});
  expect_array<bool>(isinf(transpose(x)), {3, 2}, bool_, {0, 0, 0, 1, 1, 0});
  expect_array<bool>(isfinite(broadcast_to(array(kNaN), {2})), {2}, bool_, {0, 0});
}

// ---- isclose / allclose ----

TEST(IsClose, NumPyRule) {
  auto a = array({1.0f, 1.0f, kInf, kInf, -kInf, kNaN, 0.0f, 1e-9f, 100.0f});
  auto b = array({1.000001f, 1.1f, kInf, -kInf, -kInf, kNaN, 1e-9f, 0.0f, 100.001f});
  expect_array<bool>(isclose(a, b), {9}, bool_, {1, 0, 1, 0, 1, 0, 1, 1, 1});
  expect_array<bool>(isclose(a, b, 1e-5, 1e-8, true), {9}, bool_, {1, 0, 1, 0, 1, 1, 1, 1, 1});
  expect_array<bool>(isclose(a, b, 0.0, 0.0), {9}, bool_, {0, 0, 1, 0, 1, 0, 0, 0, 0});
  expect_array<bool>(isclose(a, b, 0.2, 0.0), {9}, bool_, {1, 1, 1, 0, 1, 0, 0, 0, 1});
  // inf is close to nothing finite, however large the tolerance.
  expect_array<bool>(isclose(array({kInf}), array({1.0f}), 1e30, 1e30), {1}, bool_, {0});
  // The rule is asymmetric: the tolerance scales with |b|.
  expect_array<bool>(isclose(array({0.0f}), array({1.0f}), 1.0, 0.0), {1}, bool_, {1});
  expect_array<bool>(isclose(array({1.0f}), array({0.0f}), 1.0, 0.0), {1}, bool_, {0});
}

TEST(IsClose, Dtypes) {
  auto a = array({1, 2, 100});
  auto b = array({1, 3, 101});
  for (auto dt : kNumericDtypes) {
    SCOPED_TRACE(name_of(dt));
    expect_array<bool>(isclose(astype(a, dt), astype(b, dt)), {3}, bool_, {1, 0, 0});
    expect_array<bool>(isclose(astype(a, dt), astype(b, dt), 0.01, 0.0), {3}, bool_, {1, 0, 1});
  }
  // float64 compares in double precision.
  expect_array<bool>(isclose(array({1.0}, float64), array({1.0 + 1e-12}, float64), 0.0, 1e-13), {1},
                     bool_, {0});
  // Integers differing by less than float32's spacing are not equal.
  expect_array<bool>(isclose(array({16777217}), array({16777216}), 0.0, 0.5), {1}, bool_, {0});
  // Negative tolerances make even equal values not close, as in NumPy.
  expect_array<bool>(isclose(array({1.0f, kInf}), array({1.0f, kInf}), -1.0, 0.0), {2}, bool_,
                     {0, 1});
  using C = std::complex<float>;
  auto z = array({complex64_t(C(1, 1)), complex64_t(C(kInf, 0)), complex64_t(C(kNaN, 0)),
                  complex64_t(C(3, 4))});
  auto w = array({complex64_t(C(1, 1.001f)), complex64_t(C(kInf, 0)), complex64_t(C(kNaN, 0)),
                  complex64_t(C(0, 0))});
  expect_array<bool>(isclose(z, w), {4}, bool_, {0, 1, 0, 0});
  expect_array<bool>(isclose(z, w, 0.01, 0.0, true), {4}, bool_, {1, 1, 1, 0});
  expect_array<bool>(isclose(z, w, 0.0, 5.0), {4}, bool_, {1, 1, 0, 1});
  expect_array<bool>(isclose(array({1, 2}, {2, 1}), array({1.0f, 2.0f})), {2, 2}, bool_,
                     {1, 0, 0, 1});
}

TEST(AllClose, ScalarResult) {
  auto a = array({1.0f, 2.0f, kNaN});
  expect_array<bool>(allclose(a, array({1.0f, 2.0f, kNaN})), {}, bool_, {0});
  expect_array<bool>(allclose(a, array({1.0f, 2.0f, kNaN}), 1e-5, 1e-8, true), {}, bool_, {1});
  expect_array<bool>(allclose(array({1.0f, 2.0f}), array(1.0f), 1.0, 0.0), {}, bool_, {1});
  expect_array<bool>(allclose(array({1.0f, 2.0f}), array(1.0f)), {}, bool_, {0});
  expect_array<bool>(allclose(zeros({0}), zeros({0})), {}, bool_, {1});
}

// ---- logical ----

TEST(Logical, AnyDtypeTestedAgainstZero) {
  auto a = array({0.0f, -0.0f, kNaN, 2.0f});
  expect_array<bool>(logical_not(a), {4}, bool_, {1, 1, 0, 0});
  for (auto dt : kNumericDtypes) {
    SCOPED_TRACE(name_of(dt));
    auto x = astype(array({0, 1, 2, 0}), dt);
    auto y = astype(array({0, 0, 3, 5}), dt);
    expect_array<bool>(logical_not(x), {4}, bool_, {1, 0, 0, 1});
    expect_array<bool>(logical_and(x, y), {4}, bool_, {0, 0, 1, 0});
    expect_array<bool>(logical_or(x, y), {4}, bool_, {0, 1, 1, 1});
    expect_array<bool>(logical_xor(x, y), {4}, bool_, {0, 1, 0, 1});
  }
  using C = std::complex<float>;
  expect_array<bool>(logical_not(array({complex64_t(C(0, 1)), complex64_t(C(0, 0))})), {2}, bool_,
                     {0, 1});
}

TEST(Logical, BoolsOperatorsAndMixedDtypes) {
  auto p = array({false, false, true, true});
  auto q = array({false, true, false, true});
  expect_array<bool>(logical_not(p), {4}, bool_, {1, 1, 0, 0});
  expect_array<bool>(p && q, {4}, bool_, {0, 0, 0, 1});
  expect_array<bool>(p || q, {4}, bool_, {0, 1, 1, 1});
  expect_array<bool>(logical_xor(p, q), {4}, bool_, {0, 1, 1, 0});
  // Each side is tested against zero in its own dtype: 0.5 is true, though int32(0.5) is not.
  expect_array<bool>(logical_and(array({0.5f, 0.0f}), array({3, 3})), {2}, bool_, {1, 0});
  expect_array<bool>(logical_or(array({1e-300, 0.0}, float64), array({0, 0}, int8)), {2}, bool_,
                     {1, 0});
  expect_array<bool>(logical_and(array(true), array({1, 0}, {2, 1})), {2, 1}, bool_, {1, 0});
  expect_array<bool>(logical_not(transpose(array({true, false, true, true}, {2, 2}))), {2, 2},
                     bool_, {0, 0, 1, 0});
}

// ---- where ----

TEST(Where, EveryDtype) {
  auto c = array({true, false, true});
  auto x = array({1, 2, 3});
  auto y = array({4, 5, 6});
  for (auto dt : kNumericDtypes) {
    SCOPED_TRACE(name_of(dt));
    auto r = where(c, astype(x, dt), astype(y, dt));
    EXPECT_EQ(r.dtype(), dt);
    expect_array<int>(astype(r, int32), {3}, int32, {1, 5, 3});
  }
  expect_array<bool>(where(c, array({false, false, false}), array({true, true, true})), {3}, bool_,
                     {0, 1, 0});
  using C = std::complex<float>;
  auto z = where(c, array(complex64_t(C(1, 2))), array(complex64_t(C(3, 4))));
  expect_array<complex64_t>(z, {3}, complex64,
                            {complex64_t(C(1, 2)), complex64_t(C(3, 4)), complex64_t(C(1, 2))});
}

TEST(Where, ConditionOfAnyDtypeAndPromotion) {
  auto x = array({1.0f, 2.0f, 3.0f});
  expect_array<float>(where(array({0.0f, kNaN, -0.0f}), x, array(0.0f)), {3}, float32,
                      {0.0f, 2.0f, 0.0f});
  expect_array<float>(where(array({0, 7, 1}), x, array(-1.0f)), {3}, float32, {-1, 2, 3});
  auto r = where(array({true, false}), array({-1, 2}, int8), array({200, 255}, uint8));
  expect_array<int16_t>(r, {2}, int16, {-1, 255});
  // NaN and -0 pass through untouched.
  auto s = where(array({true, false}), array({kNaN, 1.0f}), array({1.0f, -0.0f}));
  auto v = values<float>(s);
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_TRUE(std::signbit(v[1]));
}

TEST(Where, BroadcastsAndStrides) {
  auto c = array({true, false}, {2, 1});
  auto r = where(c, array({1, 2, 3}), array(0));
  expect_array<int>(r, {2, 3}, int32, {1, 2, 3, 0, 0, 0});
  auto m = reshape(arange(6), {2, 3});
  auto t = transpose(m);  // 0 3 / 1 4 / 2 5
  expect_array<int>(where(t > 2, t, -t), {3, 2}, int32, {0, 3, -1, 4, -2, 5});
  expect_array<int>(where(array(false), array(1), array(2)), {}, int32, {2});
  expect_array<float>(where(zeros({0}, bool_), zeros({0}), zeros({0})), {0}, float32, {});
}

// Every element size through the SIMD kernels, with tails and threads, against a loop.
TEST(Where, LargeEveryElementSize) {
  const int n = 70001;
  std::vector<int> vc(n), vx(n), vy(n);
  for (int i = 0; i < n; ++i) {
    vc[i] = (i * 7) % 3 == 0;
    vx[i] = i % 100;
    vy[i] = -(i % 50);
  }
  auto c = astype(array(vc.begin(), {n}, int32), bool_);
  for (auto dt : {int8, float16, float32, float64, complex64}) {
    SCOPED_TRACE(name_of(dt));
    auto x = astype(array(vx.begin(), {n}, int32), dt);
    auto y = astype(array(vy.begin(), {n}, int32), dt);
    auto got = values<int>(astype(where(c, x, y), int32));
    auto got_tail = values<int>(
        astype(where(slice(c, {1}, {n}), slice(x, {1}, {n}), slice(y, {1}, {n})), int32));
    int bad = 0;
    for (int i = 0; i < n; ++i) {
      int want = vc[i] ? vx[i] : vy[i];
      bad += got[i] != want;
      if (i > 0) bad += got_tail[i - 1] != want;
    }
    EXPECT_EQ(bad, 0);
  }
}

// ---- nan_to_num ----

TEST(NanToNum, Defaults) {
  auto x = array({kNaN, kInf, -kInf, 1.5f, -0.0f});
  expect_array<float>(nan_to_num(x), {5}, float32, {0.0f, FLT_MAX, -FLT_MAX, 1.5f, -0.0f});
  expect_array<float>(nan_to_num(x, 7.0f, 8.0f, -9.0f), {5}, float32,
                      {7.0f, 8.0f, -9.0f, 1.5f, -0.0f});
  expect_array<float>(nan_to_num(x, 1.0f, std::nullopt, 2.0f), {5}, float32,
                      {1.0f, FLT_MAX, 2.0f, 1.5f, -0.0f});
  expect_array<double>(nan_to_num(astype(x, float64)), {5}, float64,
                       {0.0, DBL_MAX, -DBL_MAX, 1.5, -0.0});
  expect_array<float>(astype(nan_to_num(astype(x, float16)), float32), {5}, float32,
                      {0.0f, 65504.0f, -65504.0f, 1.5f, -0.0f});
  expect_array<float>(astype(nan_to_num(astype(x, bfloat16)), float32), {5}, float32,
                      {0.0f, 3.38953139e38f, -3.38953139e38f, 1.5f, -0.0f});
}

TEST(NanToNum, StridedComplexAndLarge) {
  auto x = reshape(array({kNaN, 1.0f, kInf, -kInf}), {2, 2});
  expect_array<float>(nan_to_num(transpose(x), 5.0f), {2, 2}, float32, {5, FLT_MAX, 1, -FLT_MAX});
  using C = std::complex<float>;
  auto z = array({complex64_t(C(kNaN, 1)), complex64_t(C(kInf, 0)), complex64_t(C(1, 2))});
  expect_array<complex64_t>(nan_to_num(z, 3.0f, 4.0f), {3}, complex64,
                            {complex64_t(C(3, 0)), complex64_t(C(4, 0)), complex64_t(C(1, 2))});
  const int n = 50001;
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) {
    v[i] = i % 7 ? static_cast<float>(i) : kNaN;
  }
  auto big = array(v.data(), {n}, float32);
  auto r = values<float>(nan_to_num(big, -1.0f));
  int bad = 0;
  for (int i = 0; i < n; ++i) {
    bad += r[i] != (i % 7 ? static_cast<float>(i) : -1.0f);
  }
  EXPECT_EQ(bad, 0);
}

TEST(NanToNum, IntegersUnchanged) {
  for (auto dt : {bool_, uint8, int32, int64}) {
    auto x = astype(array({0, 1}), dt);
    auto r = nan_to_num(x);
    EXPECT_EQ(r.id(), x.id());
  }
}

// ---- tril / triu ----

TEST(TriangularParts, Values) {
  auto x = reshape(arange(12), {3, 4});
  expect_array<int>(tril(x), {3, 4}, int32, {0, 0, 0, 0, 4, 5, 0, 0, 8, 9, 10, 0});
  expect_array<int>(tril(x, 1), {3, 4}, int32, {0, 1, 0, 0, 4, 5, 6, 0, 8, 9, 10, 11});
  expect_array<int>(tril(x, -1), {3, 4}, int32, {0, 0, 0, 0, 4, 0, 0, 0, 8, 9, 0, 0});
  expect_array<int>(triu(x), {3, 4}, int32, {0, 1, 2, 3, 0, 5, 6, 7, 0, 0, 10, 11});
  expect_array<int>(triu(x, 1), {3, 4}, int32, {0, 1, 2, 3, 0, 0, 6, 7, 0, 0, 0, 11});
  expect_array<int>(triu(x, -1), {3, 4}, int32, {0, 1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11});
  auto batch = reshape(arange(8), {2, 2, 2});
  expect_array<int>(tril(batch), {2, 2, 2}, int32, {0, 0, 2, 3, 4, 0, 6, 7});
  expect_array<float>(triu(ones({2, 2}, float32)), {2, 2}, float32, {1, 1, 0, 1});
  expect_array<bool>(tril(ones({2, 2}, bool_)), {2, 2}, bool_, {1, 0, 1, 1});
}

TEST(TriangularParts, Errors) {
  EXPECT_INVALID(tril(zeros({3})),
                 "[tril] The array must have at least 2 dimensions, got shape (3).");
  EXPECT_INVALID(triu(array(1.0f)),
                 "[triu] The array must have at least 2 dimensions, got shape ().");
}

// ---- transform rules ----

namespace {
array x234() { return check::uniform({2, 3, 4}, -1, 1, 2); }
array y234() { return check::uniform({2, 3, 4}, -1, 1, 3); }
}  // namespace

#define HARNESS(name, fn, ...)              \
  TEST(CompareHarness, name) {              \
    check::Fn f = fn;                       \
    std::vector<array> inputs{__VA_ARGS__}; \
    check::grads(f, inputs);                \
    check::vmaps(f, inputs);                \
  }

using V = std::vector<array>;

HARNESS(
    WhereMaximum, [](const V& in) { return V{where(in[0] > in[1], in[0], in[1])}; }, x234(), y234())
HARNESS(
    WhereBroadcast, [](const V& in) { return V{where(in[2] < 0.0, in[0], in[1])}; }, x234(),
    check::uniform({4}, -1, 1, 4), check::uniform({3, 1}, -1, 1, 5))
HARNESS(
    WhereScalarBranch,
    [](const V& in) { return V{where(in[0] >= 0.0, in[0] * in[0], array(0.0))}; }, x234())
HARNESS(
    Comparisons,
    [](const V& in) {
      return V({equal(in[0], in[1]), not_equal(in[0], in[1]), in[0] > in[1], in[0] >= in[1],
                in[0] < in[1], in[0] <= in[1]});
    },
    x234(), y234())
HARNESS(
    Logical,
    [](const V& in) {
      auto p = in[0] > 0.0;
      auto q = in[1] > 0.0;
      return V({logical_not(in[0]), p && q, p || q, logical_xor(p, in[1])});
    },
    x234(), y234())
HARNESS(
    Predicates,
    [](const V& in) {
      auto x = in[0] / in[1];
      return V({isnan(x), isinf(x), isposinf(x), isneginf(x), isfinite(x)});
    },
    x234(), y234())
HARNESS(
    IsClose, [](const V& in) { return V{isclose(in[0], in[1], 0.5, 0.1)}; }, x234(), y234())
HARNESS(
    NanToNum, [](const V& in) { return V{nan_to_num(in[0] * in[1], 0.0f, 3.0f, -3.0f)}; }, x234(),
    y234())
HARNESS(
    Tril, [](const V& in) { return V{tril(in[0], 1)}; }, x234())
HARNESS(
    Triu, [](const V& in) { return V{triu(in[0], -1)}; }, x234())

TEST(CompareHarness, WhereGradientRoutes) {
  auto c = array({true, false, true});
  auto g = grad([&](const std::vector<array>& in) { return sum(where(c, in[0], in[1])); },
                std::vector<int>{0, 1})({array({1.0f, 2.0f, 3.0f}), array(5.0f)});
  expect_array<float>(g[0], {3}, float32, {1, 0, 1});
  expect_array<float>(g[1], {}, float32, {1});
}

TEST(CompareHarness, ComparisonGradientIsZero) {
  auto g =
      grad([](const array& x) { return sum(astype(x > 0.0f, float32) * x); })(array({-1.0f, 2.0f}));
  expect_array<float>(g, {2}, float32, {0, 1});
}

TEST(CompareHarness, BoolOutputsHaveZeroDerivatives) {
  auto x = array({1.0f, 2.0f, 3.0f});
  auto y = array({2.0f});
  auto f = [](const V& in) { return V{less(in[0], in[1]), isclose(in[0], in[1])}; };
  auto [outs, vjps] = vjp(f, {x, y}, {ones({3}, bool_), ones({3}, bool_)});
  expect_array<bool>(outs[0], {3}, bool_, {1, 0, 0});
  expect_array<float>(vjps[0], {3}, float32, {0, 0, 0});
  expect_array<float>(vjps[1], {1}, float32, {0});
  auto [jouts, jvps] = jvp(f, {x, y}, {ones({3}), ones({1})});
  expect_array<bool>(jvps[0], {3}, bool_, {0, 0, 0});
  expect_array<bool>(jvps[1], {3}, bool_, {0, 0, 0});
  auto [pout, pt] = jvp([](const array& a) { return isnan(a); }, x, ones({3}));
  expect_array<bool>(pt, {3}, bool_, {0, 0, 0});
}

TEST(CompareHarness, NanToNumDerivativeIsZeroWhereReplaced) {
  auto x = array({kNaN, 2.0f, kInf, -1.0f});
  auto g = grad([](const array& a) { return sum(nan_to_num(a) * array(3.0f)); })(x);
  expect_array<float>(g, {4}, float32, {0, 3, 0, 3});
  auto [out, t] = jvp([](const array& a) { return nan_to_num(a, 1.0f); }, x, ones({4}));
  expect_array<float>(t, {4}, float32, {0, 1, 0, 1});
}

TEST(CompareHarness, WhereJvpOfOneBranch) {
  auto c = array({true, false});
  auto [out, t] = jvp(
      [&](const array& y) {
        return where(c, array({5.0f, 6.0f}), y);
      },
      array({1.0f, 2.0f}), array({10.0f, 20.0f}));
  expect_array<float>(out, {2}, float32, {5, 2});
  expect_array<float>(t, {2}, float32, {0, 20});
}
