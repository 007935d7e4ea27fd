// Creation ops: linspace, eye, identity, tri, full_like, and zeros_like/ones_like with a dtype.
#include <gtest/gtest.h>

#include "helpers.h"

#include <climits>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "check.h"
#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

// The expected matrix with ones where pred(i, j) holds.
std::vector<double> matrix_where(int n, int m, const std::function<bool(int, int)>& pred) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < m; ++j) {
      v.push_back(pred(i, j) ? 1.0 : 0.0);
    }
  }
  return v;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// linspace

TEST(CreationLinspace, Values) {
  expect_array<float>(linspace(0, 1, 5), {5}, float32, {0.0f, 0.25f, 0.5f, 0.75f, 1.0f});
  expect_array<float>(linspace(1, 0, 5), {5}, float32, {1.0f, 0.75f, 0.5f, 0.25f, 0.0f});
  expect_array<float>(linspace(0, 1, 4, false), {4}, float32, {0.0f, 0.25f, 0.5f, 0.75f});
  expect_array<float>(linspace(0, 1, 2, false), {2}, float32, {0.0f, 0.5f});
  expect_array<float>(linspace(-2, 6, 3, true), {3}, float32, {-2.0f, 2.0f, 6.0f});
  expect_array<float>(linspace(3, 3, 3), {3}, float32, {3.0f, 3.0f, 3.0f});
  // One sample is the start; none is an empty array.
  expect_array<float>(linspace(2, 3, 1), {1}, float32, {2.0f});
  expect_array<float>(linspace(2, 3, 1, false), {1}, float32, {2.0f});
  expect_array<float>(linspace(2, 3, 0), {0}, float32, {});
  expect_array<double>(linspace(2, 3, 0, false, float64), {0}, float64, {});
  // The default is 50 samples with the endpoint.
  auto d = linspace(0, 1);
  EXPECT_EQ(d.shape(), (Shape{50}));
  EXPECT_EQ(d.dtype(), float32);
  auto dv = values<float>(d);
  EXPECT_EQ(dv[0], 0.0f);
  EXPECT_EQ(dv[1], static_cast<float>(1.0 / 49));
  EXPECT_EQ(dv[49], 1.0f);
}

TEST(CreationLinspace, ComputedInDoubleAsNumPy) {
  // NumPy: start + i * step in double (values from numpy.linspace), the last one exactly stop.
  expect_array<double>(linspace(0.1, 0.7, 4, float64), {4}, float64, {0.1, 0.3, 0.5, 0.7});
  expect_array<double>(
      linspace(-0.3, 1.1, 5, false, float64), {5}, float64,
      {-0.3, -0.019999999999999962, 0.26000000000000006, 0.54, 0.8200000000000001});
  expect_array<double>(linspace(1.0 / 3, 2.0 / 3, 6, float64), {6}, float64,
                       {0.3333333333333333, 0.39999999999999997, 0.4666666666666667,
                        0.5333333333333333, 0.6, 0.6666666666666666});
  // float32 results are those doubles rounded once.
  expect_array<float>(
      linspace(-0.3, 1.1, 5, false), {5}, float32,
      {-0.3f, static_cast<float>(-0.019999999999999962), static_cast<float>(0.26000000000000006),
       0.54f, static_cast<float>(0.8200000000000001)});
  expect_array<float>(linspace(0.1, 0.7, 4), {4}, float32, {0.1f, 0.3f, 0.5f, 0.7f});
}

TEST(CreationLinspace, OtherDtypes) {
  // Integer results truncate toward zero, as astype does (NumPy 2 floors instead).
  expect_array<int32_t>(linspace(0, 10, 4, int32), {4}, int32, {0, 3, 6, 10});
  expect_array<int32_t>(linspace(-1, 0, 3, int32), {3}, int32, {-1, 0, 0});
  expect_array<int32_t>(linspace(-7, 7, 5, false, int32), {5}, int32, {-7, -4, -1, 1, 4});
  expect_array<uint8_t>(linspace(0, 255, 4, uint8), {4}, uint8, {0, 85, 170, 255});
  expect_array<int64_t>(linspace(0, 1e12, 3, int64), {3}, int64,
                        {0, 500000000000LL, 1000000000000LL});
  expect_array<int8_t>(linspace(-128, 127, 2, int8), {2}, int8, {-128, 127});
  expect_array<uint16_t>(linspace(0, 9, 3, uint16), {3}, uint16, {0, 4, 9});
  expect_array<uint32_t>(linspace(1, 2, 2, uint32), {2}, uint32, {1, 2});
  expect_array<uint64_t>(linspace(0, 6, 4, uint64), {4}, uint64, {0, 2, 4, 6});
  expect_array<int16_t>(linspace(-4, 4, 3, int16), {3}, int16, {-4, 0, 4});
  // bool is "nonzero", as NumPy's linspace(..., dtype=bool).
  expect_array<bool>(linspace(0, 1, 3, bool_), {3}, bool_, {false, true, true});
  expect_array<bool>(linspace(-1, 1, 3, bool_), {3}, bool_, {true, false, true});
  expect_array<float16_t>(linspace(0, 1, 3, float16), {3}, float16,
                          {float16_t(0.0f), float16_t(0.5f), float16_t(1.0f)});
  expect_array<bfloat16_t>(
      linspace(-1, 1, 5, bfloat16), {5}, bfloat16,
      {bfloat16_t(-1.0f), bfloat16_t(-0.5f), bfloat16_t(0.0f), bfloat16_t(0.5f), bfloat16_t(1.0f)});
  expect_array<complex64_t>(linspace(0, 2, 3, complex64), {3}, complex64,
                            {complex64_t(0, 0), complex64_t(1, 0), complex64_t(2, 0)});
}

TEST(CreationLinspace, Large) {
  // 2^20 steps of 10 / 2^20: every value is exact in double.
  int n = (1 << 20) + 1;
  auto a = linspace(-5, 5, n, float64);
  auto v = values<double>(a);
  ASSERT_EQ(v.size(), static_cast<size_t>(n));
  bool ok = true;
  for (int i = 0; i < n && ok; ++i) {
    ok = v[i] == -5.0 + i * (10.0 / (1 << 20));
  }
  EXPECT_TRUE(ok);
  EXPECT_EQ(v[1 << 19], 0.0);
  EXPECT_EQ(v[n - 1], 5.0);
}

TEST(CreationLinspace, Errors) {
  EXPECT_INVALID(linspace(0, 1, -1), "[linspace] The number of samples, -1, must be non-negative.");
  EXPECT_INVALID(linspace(0, 1, -5, false, int32),
                 "[linspace] The number of samples, -5, must be non-negative.");
}

// ---------------------------------------------------------------------------------------------
// eye, identity

TEST(CreationEye, Values) {
  expect_array<float>(eye(3), {3, 3}, float32, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  expect_array<float>(eye(2, 3), {2, 3}, float32, {1, 0, 0, 0, 1, 0});
  expect_array<float>(eye(2, 3, 1), {2, 3}, float32, {0, 1, 0, 0, 0, 1});
  expect_array<float>(eye(3, 2, -1), {3, 2}, float32, {0, 0, 1, 0, 0, 1});
  expect_array<float>(eye(3, 3, 2), {3, 3}, float32, {0, 0, 1, 0, 0, 0, 0, 0, 0});
  expect_array<int32_t>(eye(2, int32), {2, 2}, int32, {1, 0, 0, 1});
  expect_array<int64_t>(eye(2, 3, -1, int64), {2, 3}, int64, {0, 0, 0, 1, 0, 0});
  expect_array<bool>(eye(2, bool_), {2, 2}, bool_, {true, false, false, true});
  // Diagonals outside the matrix give zeros.
  expect_array<float>(eye(2, 3, 3), {2, 3}, float32, std::vector<float>(6, 0.0f));
  expect_array<float>(eye(2, 3, -2), {2, 3}, float32, std::vector<float>(6, 0.0f));
  expect_array<float>(eye(2, 2, INT_MAX), {2, 2}, float32, std::vector<float>(4, 0.0f));
  expect_array<float>(eye(2, 2, INT_MIN), {2, 2}, float32, std::vector<float>(4, 0.0f));
  // Empty matrices.
  expect_array<float>(eye(0), {0, 0}, float32, {});
  expect_array<float>(eye(0, 3), {0, 3}, float32, {});
  expect_array<int32_t>(eye(3, 0, 0, int32), {3, 0}, int32, {});
  auto e = eye(4);
  e.eval();
  EXPECT_TRUE(e.flags().row_contiguous);
  EXPECT_EQ(e.strides(), (Strides{4, 1}));
}

TEST(CreationEye, Identity) {
  expect_array<float>(identity(3), {3, 3}, float32, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  expect_array<uint8_t>(identity(2, uint8), {2, 2}, uint8, {1, 0, 0, 1});
  expect_array<bool>(identity(1, bool_), {1, 1}, bool_, {true});
  expect_array<double>(identity(0, float64), {0, 0}, float64, {});
}

TEST(CreationEye, EveryDtype) {
  for (int t = 0; t < num_dtypes; ++t) {
    auto dt = dtype_from_index(t);
    SCOPED_TRACE(t);
    auto a = eye(3, 4, 1, dt);
    EXPECT_EQ(a.dtype(), dt);
    EXPECT_EQ(a.shape(), (Shape{3, 4}));
    EXPECT_EQ(check::values(a), matrix_where(3, 4, [](int i, int j) { return j == i + 1; }));
  }
  expect_array<complex64_t>(
      eye(2, complex64), {2, 2}, complex64,
      {complex64_t(1, 0), complex64_t(0, 0), complex64_t(0, 0), complex64_t(1, 0)});
  expect_array<float16_t>(eye(1, 2, 1, float16), {1, 2}, float16,
                          {float16_t(0.0f), float16_t(1.0f)});
}

TEST(CreationEye, Large) {
  auto a = eye(1000, 800, -3, float64);
  EXPECT_EQ(check::values(a), matrix_where(1000, 800, [](int i, int j) { return j == i - 3; }));
}

TEST(CreationEye, Errors) {
  EXPECT_INVALID(eye(-1), "[eye] N and M must be non-negative, got N = -1 and M = -1.");
  EXPECT_INVALID(eye(2, -3), "[eye] N and M must be non-negative, got N = 2 and M = -3.");
  EXPECT_INVALID(eye(-2, 3, 1, int32), "[eye] N and M must be non-negative, got N = -2 and M = 3.");
  EXPECT_INVALID(identity(-4), "[eye] N and M must be non-negative, got N = -4 and M = -4.");
}

// ---------------------------------------------------------------------------------------------
// tri

TEST(CreationTri, Values) {
  expect_array<float>(tri(3, float32), {3, 3}, float32, {1, 0, 0, 1, 1, 0, 1, 1, 1});
  expect_array<float>(tri(3, 4, 1, float32), {3, 4}, float32, {1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1});
  expect_array<float>(tri(3, 4, -1, float32), {3, 4}, float32,
                      {0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0});
  expect_array<int32_t>(tri(4, 2, 0, int32), {4, 2}, int32, {1, 0, 1, 1, 1, 1, 1, 1});
  expect_array<bool>(tri(2, bool_), {2, 2}, bool_, {true, false, true, true});
  expect_array<float>(tri(2, 3, -5, float32), {2, 3}, float32, std::vector<float>(6, 0.0f));
  expect_array<float>(tri(2, 3, 10, float32), {2, 3}, float32, std::vector<float>(6, 1.0f));
  expect_array<float>(tri(2, 2, INT_MAX, float32), {2, 2}, float32, std::vector<float>(4, 1.0f));
  expect_array<float>(tri(2, 2, INT_MIN, float32), {2, 2}, float32, std::vector<float>(4, 0.0f));
  expect_array<float>(tri(0, float32), {0, 0}, float32, {});
  expect_array<float>(tri(0, 3, 0, float32), {0, 3}, float32, {});
  expect_array<float>(tri(2, 0, 1, float32), {2, 0}, float32, {});
}

TEST(CreationTri, EveryDtype) {
  for (int t = 0; t < num_dtypes; ++t) {
    auto dt = dtype_from_index(t);
    SCOPED_TRACE(t);
    auto a = tri(4, 3, -1, dt);
    EXPECT_EQ(a.dtype(), dt);
    EXPECT_EQ(a.shape(), (Shape{4, 3}));
    EXPECT_EQ(check::values(a), matrix_where(4, 3, [](int i, int j) { return j <= i - 1; }));
  }
}

TEST(CreationTri, Large) {
  auto a = tri(900, 700, 5, int32);
  EXPECT_EQ(check::values(a), matrix_where(900, 700, [](int i, int j) { return j <= i + 5; }));
}

TEST(CreationTri, Errors) {
  EXPECT_INVALID(tri(-1, float32), "[tri] N and M must be non-negative, got N = -1 and M = -1.");
  EXPECT_INVALID(tri(2, -1, 0, int32), "[tri] N and M must be non-negative, got N = 2 and M = -1.");
}

// ---------------------------------------------------------------------------------------------
// full_like, zeros_like, ones_like

TEST(CreationFullLike, KeepsTheShapeAndByDefaultTheDtype) {
  auto a = reshape(arange(6), {2, 3});
  expect_array<int32_t>(full_like(a, array(2.5f)), {2, 3}, int32, {2, 2, 2, 2, 2, 2});
  expect_array<float>(full_like(a, array(2.5f), float32), {2, 3}, float32,
                      {2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f});
  expect_array<int32_t>(full_like(a, 7), {2, 3}, int32, {7, 7, 7, 7, 7, 7});
  expect_array<int32_t>(full_like(a, -3.9), {2, 3}, int32, {-3, -3, -3, -3, -3, -3});
  expect_array<float16_t>(full_like(a, 2.5, float16), {2, 3}, float16,
                          std::vector<float16_t>(6, float16_t(2.5f)));
  expect_array<uint8_t>(full_like(a, 300, uint8), {2, 3}, uint8, {44, 44, 44, 44, 44, 44});
  // The values broadcast to a's shape.
  expect_array<int32_t>(full_like(a, array({1, 2, 3})), {2, 3}, int32, {1, 2, 3, 1, 2, 3});
  expect_array<double>(full_like(a, array({1.5f, -2.5f}, {2, 1}), float64), {2, 3}, float64,
                       {1.5, 1.5, 1.5, -2.5, -2.5, -2.5});
  // The shape of a view; bool and complex.
  expect_array<float>(full_like(transpose(a), array(1.0f), float32), {3, 2}, float32,
                      std::vector<float>(6, 1.0f));
  expect_array<bool>(full_like(array({true, false}), 3), {2}, bool_, {true, true});
  expect_array<float>(full_like(array({1.0f}), array(complex64_t(1, 2))), {1}, float32, {1.0f});
  expect_array<complex64_t>(full_like(array({1.0f}), array(complex64_t(1, 2)), complex64), {1},
                            complex64, {complex64_t(1, 2)});
  expect_array<float>(full_like(zeros({0, 2}), 4.0f), {0, 2}, float32, {});
  expect_array<int64_t>(full_like(array(1, int64), array(9)), {}, int64, {9});
}

TEST(CreationFullLike, Errors) {
  auto a = reshape(arange(6), {2, 3});
  EXPECT_INVALID(full_like(a, array({1, 2})),
                 "[broadcast_to] Cannot broadcast an array of shape (2) to shape (2,3).");
}

TEST(CreationFullLike, ZerosLikeOnesLikeWithDtype) {
  auto a = reshape(arange(6), {3, 2});
  for (int t = 0; t < num_dtypes; ++t) {
    auto dt = dtype_from_index(t);
    SCOPED_TRACE(t);
    auto z = zeros_like(a, dt);
    auto o = ones_like(a, dt);
    EXPECT_EQ(z.dtype(), dt);
    EXPECT_EQ(o.dtype(), dt);
    EXPECT_EQ(z.shape(), (Shape{3, 2}));
    EXPECT_EQ(o.shape(), (Shape{3, 2}));
    EXPECT_EQ(check::values(z), std::vector<double>(6, 0.0));
    EXPECT_EQ(check::values(o), std::vector<double>(6, 1.0));
  }
  expect_array<int8_t>(zeros_like(transpose(a), int8), {2, 3}, int8, {0, 0, 0, 0, 0, 0});
  expect_array<bool>(ones_like(array(2.5f), bool_), {}, bool_, {true});
  expect_array<float>(ones_like(zeros({4, 0}, int32), float32), {4, 0}, float32, {});
}

// ---------------------------------------------------------------------------------------------
// window functions (NumPy's values, computed in double)

TEST(CreationWindows, Values) {
  auto near = [](const array& w, const std::vector<double>& expected) {
    EXPECT_EQ(w.dtype(), float32);
    ASSERT_EQ(w.shape(), (Shape{static_cast<int>(expected.size())}));
    auto v = values<float>(w);
    for (size_t i = 0; i < v.size(); ++i) {
      EXPECT_NEAR(v[i], expected[i], 1e-7) << "at " << i;
    }
  };
  near(hanning(5), {0, 0.5, 1, 0.5, 0});
  near(hanning(6), {0, 0.345491503, 0.904508497, 0.904508497, 0.345491503, 0});
  near(hamming(5), {0.08, 0.54, 1, 0.54, 0.08});
  near(hamming(6), {0.08, 0.397852183, 0.912147817, 0.912147817, 0.397852183, 0.08});
  near(bartlett(5), {0, 0.5, 1, 0.5, 0});
  near(bartlett(6), {0, 0.4, 0.8, 0.8, 0.4, 0});
  near(blackman(5), {0, 0.34, 1, 0.34, 0});
  near(blackman(6), {0, 0.200770143, 0.849229857, 0.849229857, 0.200770143, 0});
  for (auto* fn : {&hanning, &hamming, &bartlett, &blackman}) {
    expect_array<float>((*fn)(1, {}), {1}, float32, {1.0f});
    expect_array<float>((*fn)(0, {}), {0}, float32, {});
    expect_array<float>((*fn)(-3, {}), {0}, float32, {});
  }
}
