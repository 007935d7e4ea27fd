// Scans: cumsum, cumprod, cummax, cummin, logcumsumexp (reverse, exclusive, dtype), and diff —
// every overload, the dtype rules, axes, strided inputs, empty axes, NaN, long lines along the
// last and other axes, the errors, and the derivative and batching rules.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "check.h"
#include "helpers.h"
#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

array m23() { return array({1, 2, 3, 4, 5, 6}, {2, 3}); }

void expect_near(const array& a, const std::vector<float>& expected, float tol = 1e-6f) {
  auto v = values<float>(a);
  ASSERT_EQ(v.size(), expected.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(v[i])) << i;
    } else if (std::isinf(expected[i])) {
      EXPECT_EQ(v[i], expected[i]) << i;
    } else {
      EXPECT_NEAR(v[i], expected[i], tol) << i;
    }
  }
}

}  // namespace

TEST(CumSum, ReverseAndExclusive) {
  auto a = array({1.0f, 2.0f, 3.0f, 4.0f});
  expect_array<float>(cumsum(a), {4}, float32, {1, 3, 6, 10});
  expect_array<float>(cumsum(a, true), {4}, float32, {10, 9, 7, 4});
  expect_array<float>(cumsum(a, false, false), {4}, float32, {0, 1, 3, 6});
  expect_array<float>(cumsum(a, true, false), {4}, float32, {9, 7, 4, 0});
  expect_array<float>(cumsum(a, 0, true, false), {4}, float32, {9, 7, 4, 0});
}

TEST(CumSum, Axes) {
  expect_array<int>(cumsum(m23(), 0), {2, 3}, int32, {1, 2, 3, 5, 7, 9});
  expect_array<int>(cumsum(m23(), -1), {2, 3}, int32, {1, 3, 6, 4, 9, 15});
  expect_array<int>(cumsum(m23(), 0, true), {2, 3}, int32, {5, 7, 9, 4, 5, 6});
  expect_array<int>(cumsum(m23(), 1, false, false), {2, 3}, int32, {0, 1, 3, 0, 4, 9});
  expect_array<int>(cumsum(m23(), 0, true, false), {2, 3}, int32, {4, 5, 6, 0, 0, 0});
  expect_array<int>(cumsum(m23()), {6}, int32, {1, 3, 6, 10, 15, 21});
  // A transposed (strided) and a broadcast input.
  expect_array<int>(cumsum(transpose(m23()), 1), {3, 2}, int32, {1, 5, 2, 7, 3, 9});
  expect_array<int>(cumsum(broadcast_to(array({1, 2}), {2, 2}), 0), {2, 2}, int32, {1, 2, 2, 4});
  expect_array<int>(cumsum(array(5)), {1}, int32, {5});
  expect_array<float>(cumsum(zeros({0, 3}), 0), {0, 3}, float32, {});
  expect_array<float>(cumsum(zeros({3, 0}), 1, true, false), {3, 0}, float32, {});
}

TEST(CumSum, Dtypes) {
  expect_array<int>(cumsum(array({true, false, true})), {3}, int32, {1, 1, 2});
  expect_array<int>(cumsum(array({100, 100, 100}, int8)), {3}, int32, {100, 200, 300});
  expect_array<int>(cumsum(array({-1, 2}, int16)), {2}, int32, {-1, 1});
  expect_array<uint32_t>(cumsum(array({200, 200}, uint8)), {2}, uint32, {200, 400});
  expect_array<uint32_t>(cumsum(array({60000, 60000}, uint16)), {2}, uint32, {60000, 120000});
  expect_array<int64_t>(cumsum(array({1, 2}, int64)), {2}, int64, {1, 3});
  expect_array<uint64_t>(cumsum(array({1, 2}, uint64)), {2}, uint64, {1, 3});
  expect_array<uint32_t>(cumsum(array({1, 2}, uint32)), {2}, uint32, {1, 3});
  expect_array<double>(cumsum(astype(array({0.5f, 0.25f}), float64)), {2}, float64, {0.5, 0.75});
  // Half floats accumulate in float32: 2048 + 1 + 1 is 2050 (float16 alone would stay at 2048).
  auto h = cumsum(astype(array({2048.0f, 1.0f, 1.0f}), float16), 0, false, true);
  EXPECT_EQ(h.dtype(), float16);
  expect_array<float>(astype(h, float32), {3}, float32, {2048, 2048, 2050});
  auto b = cumsum(astype(array({1.0f, 2.0f}), bfloat16));
  EXPECT_EQ(b.dtype(), bfloat16);
  expect_array<float>(astype(b, float32), {2}, float32, {1, 3});
  auto c = values<complex64_t>(cumsum(array({complex64_t(1, 1), complex64_t(2, -3)})));
  EXPECT_EQ(c[1], complex64_t(3, -2));
  // The optional dtype.
  expect_array<float>(cumsum(array({1, 2, 3}), false, true, float32), {3}, float32, {1, 3, 6});
  expect_array<int8_t>(cumsum(array({100, 100}, int8), 0, false, true, int8), {2}, int8,
                       {100, -56});
  expect_array<double>(cumsum(array({true, true}), false, true, float64), {2}, float64, {1, 2});
}

TEST(CumSum, LongLines) {
  // One long line (a sequential pass) and a long axis with a wide inner dimension (vectorised
  // across the rows, in blocks).
  int n = 1 << 20;
  auto a = cumsum(ones({n}));
  auto v = values<float>(a);
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[n - 1], static_cast<float>(n));
  int rows = 50, cols = 700;
  auto r = add(reshape(arange(rows), {rows, 1}), reshape(arange(cols), {1, cols}));
  auto c = values<int>(cumsum(r, 0));
  auto rc = values<int>(cumsum(r, 0, true));
  for (int i : {0, 7, 49}) {
    for (int j : {0, 255, 256, 699}) {
      EXPECT_EQ(c[i * cols + j], i * (i + 1) / 2 + (i + 1) * j);
      int below = (rows - 1) * rows / 2 - (i - 1) * i / 2;
      EXPECT_EQ(rc[i * cols + j], below + (rows - i) * j);
    }
  }
  auto rl = values<int>(cumsum(r, 1));
  EXPECT_EQ(rl[3 * cols + 699], 3 * 700 + 699 * 700 / 2);
}

TEST(CumProd, Values) {
  auto a = array({1.0f, 2.0f, 3.0f, 4.0f});
  expect_array<float>(cumprod(a), {4}, float32, {1, 2, 6, 24});
  expect_array<float>(cumprod(a, true), {4}, float32, {24, 24, 12, 4});
  expect_array<float>(cumprod(a, false, false), {4}, float32, {1, 1, 2, 6});
  expect_array<float>(cumprod(a, true, false), {4}, float32, {24, 12, 4, 1});
  expect_array<int>(cumprod(m23(), 0), {2, 3}, int32, {1, 2, 3, 4, 10, 18});
  expect_array<int>(cumprod(array({2, 3}, int8)), {2}, int32, {2, 6});
  expect_array<bool>(cumprod(array({true, true, false, true})), {4}, bool_,
                     {true, true, false, false});
  expect_array<bool>(cumprod(array({true, false}), false, false), {2}, bool_, {true, true});
  expect_array<double>(cumprod(array({1, 2, 3}), false, true, float64), {3}, float64, {1, 2, 6});
}

TEST(CumMaxMin, Values) {
  auto a = array({1, 3, 2, 5, 4}, int32);
  expect_array<int>(cummax(a), {5}, int32, {1, 3, 3, 5, 5});
  expect_array<int>(cummin(a), {5}, int32, {1, 1, 1, 1, 1});
  expect_array<int>(cummax(a, true), {5}, int32, {5, 5, 5, 5, 4});
  expect_array<int>(cummin(a, true), {5}, int32, {1, 2, 2, 4, 4});
  int lowest = std::numeric_limits<int>::lowest();
  expect_array<int>(cummax(a, false, false), {5}, int32, {lowest, 1, 3, 3, 5});
  expect_array<uint8_t>(cummin(array({3, 1, 2}, uint8), 0, false, false), {3}, uint8, {255, 3, 1});
  expect_array<bool>(cummax(array({false, true, false})), {3}, bool_, {false, true, true});
  expect_array<int>(cummax(m23(), 0, true), {2, 3}, int32, {4, 5, 6, 4, 5, 6});
  auto f = array({1.0f, kNaN, 3.0f});
  expect_near(cummax(f), {1, kNaN, kNaN});
  expect_near(cummin(f), {1, kNaN, kNaN});
  expect_near(cummax(f, false, false), {-kInf, 1, kNaN});
  expect_near(cummin(array({2.0f, 1.0f}), false, false), {kInf, 2});
  auto h = cummax(astype(array({1.0f, -2.0f, 3.0f}), float16));
  EXPECT_EQ(h.dtype(), float16);
  expect_near(astype(h, float32), {1, 1, 3});
}

TEST(LogCumSumExp, Values) {
  auto a = array({0.0f, 0.0f, 0.0f});
  expect_near(logcumsumexp(a), {0, std::log(2.0f), std::log(3.0f)});
  expect_near(logcumsumexp(a, true), {std::log(3.0f), std::log(2.0f), 0});
  expect_near(logcumsumexp(a, false, false), {-kInf, 0, std::log(2.0f)});
  // Large values do not overflow; infinities and NaN behave.
  expect_near(logcumsumexp(array({1000.0f, 1000.0f})), {1000, 1000 + std::log(2.0f)}, 1e-3f);
  expect_near(logcumsumexp(array({-kInf, -kInf, 1.0f})), {-kInf, -kInf, 1});
  expect_near(logcumsumexp(array({kInf, kInf})), {kInf, kInf});
  expect_near(logcumsumexp(array({1.0f, kNaN, 1.0f})), {1, kNaN, kNaN});
  auto i = logcumsumexp(array({0, 0}, int32));
  EXPECT_EQ(i.dtype(), float32);
  expect_near(i, {0, std::log(2.0f)});
  expect_near(logcumsumexp(array({0.0f, 0.0f, 0.0f, 0.0f}, {2, 2}), 0),
              {0, 0, std::log(2.0f), std::log(2.0f)});
  EXPECT_EQ(logcumsumexp(astype(a, bfloat16)).dtype(), bfloat16);
}

TEST(Scan, Errors) {
  EXPECT_INVALID(cumsum(m23(), 2), "[cumsum] Received invalid axis 2 for array with 2 dimensions.");
  EXPECT_INVALID(cumprod(m23(), -3),
                 "[cumprod] Received invalid axis -3 for array with 2 dimensions.");
  EXPECT_INVALID(cummax(array(1.0f), 0),
                 "[cummax] Received invalid axis 0 for array with 0 dimensions.");
  EXPECT_INVALID(cummin(array({complex64_t(1, 0)})),
                 "[cummin] Complex inputs (got complex64) are not supported.");
  EXPECT_INVALID(logcumsumexp(m23(), 5),
                 "[logcumsumexp] Received invalid axis 5 for array with 2 dimensions.");
}

TEST(Diff, Orders) {
  auto a = array({1, 4, 9, 16}, int32);
  expect_array<int>(diff(a), {3}, int32, {3, 5, 7});
  expect_array<int>(diff(a, 2), {2}, int32, {2, 2});
  expect_array<int>(diff(a, 0), {4}, int32, {1, 4, 9, 16});
  expect_array<int>(diff(a, 4), {0}, int32, {});
  expect_array<int>(diff(a, 9), {0}, int32, {});
  expect_array<int>(diff(m23(), 1, 0), {1, 3}, int32, {3, 3, 3});
  expect_array<int>(diff(m23(), 1, -1), {2, 2}, int32, {1, 1, 1, 1});
  expect_array<float>(diff(array({1.0f, 0.5f})), {1}, float32, {-0.5f});
  expect_array<uint8_t>(diff(array({3, 1}, uint8)), {1}, uint8, {254});
  expect_array<bool>(diff(array({true, true, false, true})), {3}, bool_, {false, true, true});
  expect_array<bool>(diff(array({true, true, false, true}), 2), {2}, bool_, {true, false});
  expect_array<bool>(diff(array({true, false, false, false, true, true}, {2, 3}), 1, 0), {1, 3},
                     bool_, {true, true, true});
  EXPECT_INVALID(diff(a, -1), "[diff] Order n must be non-negative but got -1.");
  EXPECT_INVALID(diff(a, 1, 1), "[diff] Received invalid axis 1 for array with 1 dimensions.");
  EXPECT_INVALID(diff(array(1), 1), "[diff] Received invalid axis -1 for array with 0 dimensions.");
}

// ---- derivative and batching rules ----

namespace {
using V = std::vector<array>;
array x34() { return check::uniform({3, 4}, -1, 1, 31); }
// Exact zeros, where the running product's derivative cannot divide by x.
array with_zeros() {
  return array({0.5, 0.0, -1.2, 2.0, 0.0, 0.7, 1.5, -0.8, 0.9, 0.0, 1.1, 0.3}, {3, 4});
}

// The scan's output without its first element along `axis` (an exclusive max, min or
// logcumsumexp starts with an infinity, which finite differences cannot take).
array drop_first(const array& y, int axis, bool reverse) {
  Shape start(y.ndim(), 0), stop = y.shape();
  if (reverse) {
    stop[axis] -= 1;
  } else {
    start[axis] = 1;
  }
  return slice(y, start, stop);
}

using ScanFn = array (*)(const array&, int, bool, bool);
array cumsum_f(const array& a, int ax, bool r, bool i) { return cumsum(a, ax, r, i); }
array cumprod_f(const array& a, int ax, bool r, bool i) { return cumprod(a, ax, r, i); }

void harness(ScanFn fn, const array& x, bool trim) {
  for (int axis : {0, 1}) {
    for (bool reverse : {false, true}) {
      for (bool inclusive : {true, false}) {
        SCOPED_TRACE(::testing::Message()
                     << "axis " << axis << " reverse " << reverse << " inclusive " << inclusive);
        check::Fn f = [=](const V& in) {
          auto y = fn(in[0], axis, reverse, inclusive);
          return V{trim && !inclusive ? drop_first(y, axis, reverse) : y};
        };
        check::grads(f, {x});
        check::vmaps(f, {x});
      }
    }
  }
}
}  // namespace

TEST(ScanHarness, CumSum) { harness(cumsum_f, x34(), false); }
TEST(ScanHarness, CumProd) {
  harness(cumprod_f, x34(), false);
  harness(cumprod_f, with_zeros(), false);
}
TEST(ScanHarness, CumMax) {
  harness([](const array& a, int ax, bool r, bool i) { return cummax(a, ax, r, i); }, x34(), true);
}
TEST(ScanHarness, CumMin) {
  harness([](const array& a, int ax, bool r, bool i) { return cummin(a, ax, r, i); }, x34(), true);
}
TEST(ScanHarness, LogCumSumExp) {
  harness([](const array& a, int ax, bool r, bool i) { return logcumsumexp(a, ax, r, i); },
          x34() * array(5.0, float64), true);
}
TEST(ScanHarness, Diff) {
  check::Fn f = [](const V& in) { return V{diff(in[0], 2, 1)}; };
  check::grads(f, {x34()});
  check::vmaps(f, {x34()});
}

TEST(ScanHarness, CumProdGradientAtZeros) {
  // d/dx of sum(cumprod([2, 0, 3])) = [1 + 0 + 0, 2 + 2*3, 0] = [1, 8, 0].
  auto g = grad([](const array& x) { return sum(cumprod(x)); })(array({2.0f, 0.0f, 3.0f}));
  expect_array<float>(g, {3}, float32, {1, 8, 0});
  // cummax routes each output's cotangent to where its value came from.
  auto m = grad([](const array& x) { return sum(cummax(x)); })(array({1.0f, 3.0f, 2.0f, 4.0f}));
  expect_array<float>(m, {4}, float32, {1, 2, 0, 1});
  // cumsum's rule is a cumsum, so grad of grad works.
  auto f = [](const array& x) { return sum(cumsum(x * x)); };
  auto gg = grad([&](const array& x) { return sum(grad(f)(x)); })(array({1.0f, 2.0f}));
  expect_array<float>(gg, {2}, float32, {4, 2});
}
