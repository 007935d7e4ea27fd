// linalg: values of every function against hand-computed (exact rational or closed-form)
// literals, identities on random and batched inputs (Q R = A, U S Vt = A, A inv(A) = I,
// L L^T = A, L[P] U = A, A V = V W), float32 and float64, the exact argument errors and the
// errors found at evaluation, gradients against finite differences and vmap against a loop.
// multivariate_normal: shapes, errors and the sample moments of 20000 draws.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "check.h"
#include "helpers.h"
#include "mlx/mlx.h"

using namespace mlx::core;
using V = std::vector<array>;

namespace {

array mat(std::vector<double> v, Shape shape, Dtype dtype = float64) {
  return astype(array(v.data(), shape, float64), dtype);
}

array mT(const array& x) { return swapaxes(x, -1, -2); }

// Checks that every value of `a` is within tol of `expected` (read as doubles).
void expect_near(const array& a, const std::vector<double>& expected, double tol) {
  auto got = check::values(a);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], expected[i], tol) << "at " << i;
  }
}

// Checks a ~= b elementwise (same shape).
void expect_close(const array& a, const array& b, double tol) {
  ASSERT_EQ(a.shape(), b.shape());
  expect_near(a, check::values(b), tol);
}

// A well-conditioned random matrix batch: uniform plus a multiple of the identity.
array well_conditioned(Shape shape, Dtype dtype = float64, unsigned seed = 3) {
  int n = shape.back();
  return astype(add(check::uniform(shape, -1, 1, seed), multiply(array(3.0), eye(n, float64))),
                dtype);
}

// A symmetric positive definite batch: X X^T + n I.
array spd(Shape shape, Dtype dtype = float64, unsigned seed = 5) {
  int n = shape.back();
  auto x = check::uniform(shape, -1, 1, seed);
  return astype(add(matmul(x, mT(x)), multiply(array(double(n)), eye(n, float64))), dtype);
}

array mean_of(const array& x) { return mean(x, 0); }

array batch_eye(const array& like) {
  return broadcast_to(eye(like.shape(-1), like.dtype()), like.shape());
}

double tol_of(Dtype dtype) { return dtype == float64 ? 1e-10 : 2e-5; }

}  // namespace

// ---- norm ----

TEST(LinalgNorm, VectorOrds) {
  auto x = array({3.0f, -4.0f, 0.0f});
  expect_near(linalg::norm(x), {5.0}, 1e-6);
  expect_near(linalg::norm(x, 2.0), {5.0}, 1e-6);
  expect_near(linalg::norm(x, 1.0), {7.0}, 1e-6);
  expect_near(linalg::norm(x, 0.0), {2.0}, 0);
  expect_near(linalg::norm(x, 3.0), {4.497941445275415}, 1e-5);
  expect_near(linalg::norm(x, std::numeric_limits<double>::infinity()), {4.0}, 0);
  expect_near(linalg::norm(x, -std::numeric_limits<double>::infinity()), {0.0}, 0);
  EXPECT_EQ(linalg::norm(x, 0.0).dtype(), float32);
  // Integers become float32; float64 stays.
  auto xi = array({3, -4});
  EXPECT_EQ(linalg::norm(xi).dtype(), float32);
  EXPECT_EQ(linalg::norm(xi, 1.0).dtype(), float32);
  EXPECT_EQ(linalg::norm(astype(x, float64), 3.0).dtype(), float64);
  expect_near(linalg::norm(xi, 1.0), {7.0}, 0);
}

TEST(LinalgNorm, AxesAndKeepdims) {
  auto a = mat({1, -2, 3, 4, 0, 1}, {2, 3}, float32);
  auto rows = linalg::norm(a, 1);
  EXPECT_EQ(rows.shape(), Shape({2}));
  expect_near(rows, {std::sqrt(14.0), std::sqrt(17.0)}, 1e-5);
  auto cols = linalg::norm(a, 1.0, 0, true);
  EXPECT_EQ(cols.shape(), Shape({1, 3}));
  expect_near(cols, {5, 2, 4}, 1e-6);
  // No axes: the 2-norm of the flattened input (keepdims gives one axis, as in MLX).
  auto b = reshape(astype(arange(8), float32), {2, 2, 2});
  expect_near(linalg::norm(b), {std::sqrt(140.0)}, 1e-5);
  EXPECT_EQ(linalg::norm(b, std::nullopt, true).shape(), Shape({1}));
  EXPECT_EQ(linalg::norm(b, std::vector<int>{0, 2}).shape(), Shape({2}));
}

TEST(LinalgNorm, MatrixOrds) {
  auto a = mat({1, -2, 3, 4}, {2, 2}, float32);
  constexpr double inf = std::numeric_limits<double>::infinity();
  expect_near(linalg::norm(a, 1.0), {6}, 0);
  expect_near(linalg::norm(a, -1.0), {4}, 0);
  expect_near(linalg::norm(a, inf), {7}, 0);
  expect_near(linalg::norm(a, -inf), {3}, 0);
  expect_near(linalg::norm(a, "fro"), {5.477225575051661}, 1e-5);
  expect_near(linalg::norm(a, "f"), {5.477225575051661}, 1e-5);
  expect_near(linalg::norm(a, 2.0), {5.116672736016928}, 1e-5);
  expect_near(linalg::norm(a, -2.0), {1.9543950758485478}, 1e-5);
  expect_near(linalg::norm(a, "nuc"), {7.0710678118654755}, 1e-5);
  // Axes in either order, batched, keepdims.
  auto batch = stack({a, multiply(a, array(2.0f))}, 1);  // (2, 2, 2): matrices on axes (0, 2)
  auto n1 = linalg::norm(batch, 1.0, std::vector<int>{0, 2});
  expect_near(n1, {6, 12}, 0);
  auto n2 = linalg::norm(batch, 2.0, std::vector<int>{0, 2}, true);
  EXPECT_EQ(n2.shape(), Shape({1, 2, 1}));
  expect_near(n2, {5.116672736016928, 2 * 5.116672736016928}, 1e-4);
  auto ninf = linalg::norm(batch, inf, std::vector<int>{2, 0}, true);
  EXPECT_EQ(ninf.shape(), Shape({1, 2, 1}));
  expect_near(ninf, {6, 12}, 0);
  // The transposed axes give the transpose's norm.
  expect_near(linalg::norm(a, 1.0, std::vector<int>{1, 0}), {7}, 0);
  auto nuc = linalg::norm(astype(a, float64), "nuc", std::vector<int>{-2, -1}, true);
  EXPECT_EQ(nuc.shape(), Shape({1, 1}));
  EXPECT_EQ(nuc.dtype(), float64);
  expect_near(nuc, {7.0710678118654755}, 1e-12);
  // Integer matrices through the SVD in float32.
  auto ai = array({1, -2, 3, 4}, {2, 2});
  EXPECT_EQ(linalg::norm(ai, 2.0).dtype(), float32);
  expect_near(linalg::norm(ai, 2.0), {5.116672736016928}, 1e-5);
}

TEST(LinalgNorm, Errors) {
  auto a = zeros({2, 2, 2});
  EXPECT_INVALID(linalg::norm(a, std::vector<int>{0, 1, 2}),
                 "[linalg::norm] Received too many axes for norm.");
  EXPECT_INVALID(linalg::norm(a, 2.0), "[linalg::norm] Received too many axes for norm.");
  EXPECT_INVALID(linalg::norm(zeros({2, 2}), 3.0), "[linalg::norm] Invalid ord 3 for matrix norm.");
  EXPECT_INVALID(linalg::norm(zeros({2, 2}), "abc"),
                 "[linalg::norm] Invalid ord value 'abc' for matrix norm.");
  EXPECT_INVALID(linalg::norm(zeros({3}), "fro"),
                 "[linalg::norm] Norm 'fro' only supported for matrices, but received 1 "
                 "axis/axes.");
  EXPECT_INVALID(linalg::norm(zeros({2, 2}), 1.0, std::vector<int>{0, 5}),
                 "[linalg::norm] Invalid axis 5 for array with 2 dimensions.");
}

// ---- qr ----

TEST(LinalgQR, Values) {
  auto [q, r] = linalg::qr(mat({1, 2, 3, 4}, {2, 2}));
  // LAPACK's Householder reflections make R's diagonal negative here (as NumPy's).
  expect_near(r, {-3.1622776601683795, -4.427188724235731, 0, -0.6324555320336759}, 1e-12);
  expect_near(q,
              {-0.31622776601683794, -0.9486832980505138, -0.9486832980505138, 0.31622776601683794},
              1e-12);
}

TEST(LinalgQR, Identities) {
  for (auto dtype : {float32, float64}) {
    for (Shape shape : {Shape{4, 3}, Shape{3, 4}, Shape{2, 3, 3}, Shape{5, 2, 4, 2}}) {
      auto a = astype(check::uniform(shape), dtype);
      auto [q, r] = linalg::qr(a);
      int k = std::min(shape[shape.size() - 2], shape.back());
      EXPECT_EQ(q.shape(-1), k);
      EXPECT_EQ(r.shape(-2), k);
      EXPECT_EQ(q.dtype(), dtype);
      expect_close(matmul(q, r), a, 10 * tol_of(dtype));
      auto qtq = matmul(mT(q), q);
      expect_close(qtq, batch_eye(qtq), 10 * tol_of(dtype));
      expect_close(triu(r), r, 0);
    }
  }
}

TEST(LinalgQR, Errors) {
  EXPECT_INVALID(linalg::qr(array({1, 2, 3, 4}, {2, 2})),
                 "[linalg::qr] Arrays must have type float32 or float64. Received array with "
                 "type int32.");
  EXPECT_INVALID(linalg::qr(zeros({3})),
                 "[linalg::qr] Arrays must have >= 2 dimensions. Received array with 1 "
                 "dimensions.");
  EXPECT_INVALID(linalg::qr(zeros({2, 2}, float16)),
                 "[linalg::qr] Arrays must have type float32 or float64. Received array with "
                 "type float16.");
}

// ---- svd ----

TEST(LinalgSVD, Values) {
  auto outs = linalg::svd(mat({3, 0, 0, -2}, {2, 2}));
  ASSERT_EQ(outs.size(), 3u);
  expect_near(outs[1], {3, 2}, 1e-12);
  auto s = linalg::svd(mat({1, -2, 3, 4}, {2, 2}, float32), false);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].dtype(), float32);
  expect_near(s[0], {5.116672736016928, 1.9543950758485478}, 1e-5);
}

TEST(LinalgSVD, Identities) {
  for (auto dtype : {float32, float64}) {
    for (Shape shape : {Shape{4, 3}, Shape{3, 4}, Shape{2, 3, 3}, Shape{3, 2, 5, 2}}) {
      auto a = astype(check::uniform(shape, -1, 1, 9), dtype);
      auto usv = linalg::svd(a);
      int m = shape[shape.size() - 2], n = shape.back(), k = std::min(m, n);
      EXPECT_EQ(usv[0].shape(-1), m);
      EXPECT_EQ(usv[0].shape(-2), m);
      EXPECT_EQ(usv[1].shape(-1), k);
      EXPECT_EQ(usv[2].shape(-1), n);
      // U[:, :k] diag(S) Vt[:k] == A.
      Shape start(a.ndim(), 0);
      auto ustop = usv[0].shape();
      ustop.back() = k;
      auto vstop = usv[2].shape();
      vstop[vstop.size() - 2] = k;
      auto uk = slice(usv[0], start, ustop);
      auto vk = slice(usv[2], start, vstop);
      expect_close(matmul(multiply(uk, expand_dims(usv[1], -2)), vk), a, 10 * tol_of(dtype));
      expect_close(matmul(usv[0], mT(usv[0])), batch_eye(usv[0]), 10 * tol_of(dtype));
      expect_close(matmul(usv[2], mT(usv[2])), batch_eye(usv[2]), 10 * tol_of(dtype));
      expect_close(linalg::svd(a, false)[0], usv[1], 10 * tol_of(dtype));
    }
  }
}

TEST(LinalgSVD, EmptyAndErrors) {
  auto usv = linalg::svd(zeros({0, 3}));
  EXPECT_EQ(usv[1].shape(), Shape({0}));
  expect_near(usv[2], check::values(eye(3)), 0);
  EXPECT_INVALID(linalg::svd(zeros({3})),
                 "[linalg::svd] Input array must have >= 2 dimensions. Received array with 1 "
                 "dimensions.");
  EXPECT_INVALID(linalg::svd(array({1, 2}, {1, 2})),
                 "[linalg::svd] Arrays must have type float32, float64 or complex64. Received "
                 "array with type int32.");
}

// ---- inverses ----

TEST(LinalgInv, Values) {
  for (auto dtype : {float32, float64}) {
    auto a = mat({4, 7, 2, 6}, {2, 2}, dtype);
    auto y = linalg::inv(a);
    EXPECT_EQ(y.dtype(), dtype);
    expect_near(y, {0.6, -0.7, -0.2, 0.4}, tol_of(dtype));
  }
  // A transposed (strided) input.
  expect_near(linalg::inv(mT(mat({4, 7, 2, 6}, {2, 2}))), {0.6, -0.2, -0.7, 0.4}, 1e-12);
  for (auto dtype : {float32, float64}) {
    auto a = well_conditioned({3, 4, 4}, dtype);
    expect_close(matmul(a, linalg::inv(a)), batch_eye(a), 10 * tol_of(dtype));
    auto big = well_conditioned({64, 64}, dtype);
    expect_close(matmul(linalg::inv(big), big), batch_eye(big), 100 * tol_of(dtype));
  }
}

TEST(LinalgInv, TriangularAndCholeskyInverse) {
  // Only the named triangle is read: the other holds junk.
  auto lower = mat({2, 99, 1, 4}, {2, 2});
  expect_near(linalg::tri_inv(lower), {0.5, 0, -0.125, 0.25}, 1e-12);
  auto upper = mat({2, 1, 99, 4}, {2, 2}, float32);
  expect_near(linalg::tri_inv(upper, true), {0.5, -0.125, 0, 0.25}, 1e-7);
  // inv([[4, 2], [2, 3]]) = [[3, -2], [-2, 4]] / 8, from either Cholesky factor.
  auto a = mat({4, 2, 2, 3}, {2, 2});
  expect_near(linalg::cholesky_inv(linalg::cholesky(a)), {0.375, -0.25, -0.25, 0.5}, 1e-12);
  expect_near(linalg::cholesky_inv(linalg::cholesky(a, true), true), {0.375, -0.25, -0.25, 0.5},
              1e-12);
}

TEST(LinalgInv, Pinv) {
  auto a = mat({1, 2, 3, 4, 5, 6}, {3, 2});
  auto p = linalg::pinv(a);
  EXPECT_EQ(p.shape(), Shape({2, 3}));
  // pinv = inv(A^T A) A^T for full column rank: [[-16, -4, 8], [13, 4, -5]] / 12.
  expect_near(p, {-16 / 12.0, -4 / 12.0, 8 / 12.0, 13 / 12.0, 4 / 12.0, -5 / 12.0}, 1e-12);
  expect_close(matmul(matmul(a, p), a), a, 1e-12);
  auto w = linalg::pinv(mT(a));
  EXPECT_EQ(w.shape(), Shape({3, 2}));
  expect_close(w, mT(p), 1e-12);
  // A rank-deficient matrix: the tiny singular value is dropped.
  auto r = mat({1, 2, 2, 4}, {2, 2});
  expect_near(linalg::pinv(r), {0.04, 0.08, 0.08, 0.16}, 1e-12);
  auto b = well_conditioned({2, 3, 3}, float32);
  expect_close(linalg::pinv(b), linalg::inv(b), 1e-5);
}

TEST(LinalgInv, Errors) {
  EXPECT_INVALID(linalg::inv(zeros({2, 3})),
                 "[linalg::inv] Inverses are only defined for square matrices. Received array "
                 "with shape (2,3).");
  EXPECT_INVALID(linalg::inv(zeros({3})),
                 "[linalg::inv] Arrays must have >= 2 dimensions. Received array with 1 "
                 "dimensions.");
  EXPECT_INVALID(linalg::inv(array({1, 2, 3, 4}, {2, 2})),
                 "[linalg::inv] Arrays must have type float32 or float64. Received array with "
                 "type int32.");
  EXPECT_INVALID(linalg::tri_inv(zeros({2, 3})),
                 "[linalg::tri_inv] Inverses are only defined for square matrices. Received "
                 "array with shape (2,3).");
  // A singular matrix is found when the kernel runs; other arrays stay usable.
  auto singular = linalg::inv(mat({1, 2, 2, 4}, {2, 2}, float32));
  EXPECT_EQ(error_of([&] { eval(singular); }), "[linalg::inv] Matrix is singular.");
  auto batch = linalg::inv(stack({eye(2), mat({1, 2, 2, 4}, {2, 2}, float32)}));
  EXPECT_EQ(error_of([&] { eval(batch); }), "[linalg::inv] Matrix is singular.");
  EXPECT_EQ(error_of([&] {
              eval(linalg::tri_inv(mat({0, 0, 1, 1}, {2, 2})));
            }),
            "[linalg::tri_inv] Matrix is singular.");
  expect_near(linalg::inv(eye(2)), {1, 0, 0, 1}, 0);
}

// ---- cholesky ----

TEST(LinalgCholesky, Values) {
  // [[4, 2], [2, 3]] = L L^T with L = [[2, 0], [1, sqrt(2)]]; the unread triangle holds junk.
  auto a = mat({4, 99, 2, 3}, {2, 2});
  expect_near(linalg::cholesky(a), {2, 0, 1, std::sqrt(2.0)}, 1e-12);
  auto au = mat({4, 2, 99, 3}, {2, 2}, float32);
  expect_near(linalg::cholesky(au, true), {2, 1, 0, std::sqrt(2.0)}, 1e-6);
  for (auto dtype : {float32, float64}) {
    auto s = spd({3, 5, 5}, dtype);
    auto l = linalg::cholesky(s);
    expect_close(matmul(l, mT(l)), s, 10 * tol_of(dtype));
    expect_close(tril(l), l, 0);
    auto u = linalg::cholesky(s, true);
    expect_close(matmul(mT(u), u), s, 10 * tol_of(dtype));
    expect_close(linalg::cholesky_inv(l), linalg::inv(s), 10 * tol_of(dtype));
  }
}

TEST(LinalgCholesky, Errors) {
  EXPECT_INVALID(linalg::cholesky(zeros({2, 3})),
                 "[linalg::cholesky] Cholesky decomposition is only defined for square "
                 "matrices. Received array with shape (2,3).");
  EXPECT_INVALID(linalg::cholesky(array({1}, {1, 1})),
                 "[linalg::cholesky] Arrays must have type float32 or float64. Received array "
                 "with type int32.");
  EXPECT_INVALID(linalg::cholesky_inv(zeros({2})),
                 "[linalg::cholesky_inv] Arrays must have >= 2 dimensions. Received array with "
                 "1 dimensions.");
  EXPECT_EQ(error_of([&] {
              eval(linalg::cholesky(mat({1, 2, 2, 1}, {2, 2})));
            }),
            "[linalg::cholesky] Matrix is not positive definite (the leading minor of order 2 "
            "is not positive).");
}

// ---- lu ----

TEST(LinalgLU, Values) {
  auto a = mat({1, 2, 3, 4}, {2, 2});
  auto plu = linalg::lu(a);
  ASSERT_EQ(plu.size(), 3u);
  expect_array<uint32_t>(plu[0], {2}, uint32, {1, 0});
  expect_near(plu[1], {1, 0, 1.0 / 3, 1}, 1e-15);
  expect_near(plu[2], {3, 4, 0, 2.0 / 3}, 1e-15);
  auto [packed, pivots] = linalg::lu_factor(a);
  expect_near(packed, {3, 4, 1.0 / 3, 2.0 / 3}, 1e-15);
  expect_array<uint32_t>(pivots, {2}, uint32, {1, 1});
}

TEST(LinalgLU, Reconstructs) {
  for (auto dtype : {float32, float64}) {
    for (Shape shape : {Shape{5, 5}, Shape{4, 3}, Shape{3, 4}, Shape{2, 3, 4, 4}}) {
      auto a = astype(check::uniform(shape, -1, 1, 13), dtype);
      auto plu = linalg::lu(a);
      int m = shape[shape.size() - 2], n = shape.back(), k = std::min(m, n);
      EXPECT_EQ(plu[1].shape(-1), k);
      EXPECT_EQ(plu[2].shape(-2), k);
      EXPECT_EQ(plu[0].shape(-1), m);
      auto lp = take_along_axis(plu[1], expand_dims(plu[0], -1), -2);
      expect_close(matmul(lp, plu[2]), a, 10 * tol_of(dtype));
      auto [packed, pivots] = linalg::lu_factor(a);
      EXPECT_EQ(pivots.shape(-1), k);
      EXPECT_EQ(pivots.dtype(), uint32);
    }
  }
  EXPECT_INVALID(linalg::lu(zeros({3})),
                 "[linalg::lu] Arrays must have >= 2 dimensions. Received array with 1 "
                 "dimensions.");
  EXPECT_INVALID(linalg::lu_factor(array({1}, {1, 1})),
                 "[linalg::lu_factor] Arrays must have type float32 or float64. Received array "
                 "with type int32.");
}

// ---- solve ----

TEST(LinalgSolve, Values) {
  auto a = mat({3, 1, 1, 2}, {2, 2});
  auto x = linalg::solve(a, mat({9, 8}, {2}));
  EXPECT_EQ(x.shape(), Shape({2}));
  expect_near(x, {2, 3}, 1e-12);
  // Several right-hand sides; float32 a with float64 b promotes.
  auto xs = linalg::solve(astype(a, float32), mat({9, 1, 8, 2}, {2, 2}));
  EXPECT_EQ(xs.dtype(), float64);
  expect_near(xs, {2, 0, 3, 1}, 1e-6);
  // Batch broadcasting: a (3, 4, 4) with b (4, 2), and a (4, 4) with b (3, 4, 2).
  for (auto dtype : {float32, float64}) {
    auto ab = well_conditioned({3, 4, 4}, dtype);
    auto b = astype(check::uniform({4, 2}, -1, 1, 4), dtype);
    auto xb = linalg::solve(ab, b);
    EXPECT_EQ(xb.shape(), Shape({3, 4, 2}));
    expect_close(matmul(ab, xb), broadcast_to(b, {3, 4, 2}), 10 * tol_of(dtype));
    auto bb = astype(check::uniform({3, 4, 2}, -1, 1, 6), dtype);
    auto a1 = well_conditioned({4, 4}, dtype);
    expect_close(matmul(a1, linalg::solve(a1, bb)), bb, 10 * tol_of(dtype));
    auto vec = astype(check::uniform({4}, -1, 1, 8), dtype);
    auto xv = linalg::solve(ab, vec);
    EXPECT_EQ(xv.shape(), Shape({3, 4}));
    expect_close(squeeze(matmul(ab, expand_dims(xv, -1)), -1), broadcast_to(vec, {3, 4}),
                 10 * tol_of(dtype));
  }
}

TEST(LinalgSolve, Triangular) {
  auto l = mat({2, 99, 1, 1}, {2, 2});
  expect_near(linalg::solve_triangular(l, mat({4, 5}, {2})), {2, 3}, 1e-12);
  auto u = mat({2, 1, 99, 1}, {2, 2}, float32);
  expect_near(linalg::solve_triangular(u, mat({7, 3}, {2, 1}, float32), true), {2, 3}, 1e-6);
  auto lb = tril(well_conditioned({2, 5, 5}));
  auto b = check::uniform({2, 5, 3}, -1, 1, 2);
  expect_close(matmul(lb, linalg::solve_triangular(lb, b)), b, 1e-10);
  EXPECT_EQ(error_of([&] {
              eval(linalg::solve_triangular(mat({0, 0, 1, 1}, {2, 2}), mat({1, 1}, {2})));
            }),
            "[linalg::solve_triangular] Matrix is singular.");
}

TEST(LinalgSolve, Errors) {
  auto a = zeros({2, 2});
  EXPECT_INVALID(linalg::solve(zeros({2}), zeros({2})),
                 "[linalg::solve] First input must have >= 2 dimensions. Received array with 1 "
                 "dimensions.");
  EXPECT_INVALID(linalg::solve(a, array(1.0f)),
                 "[linalg::solve] Second input must have >= 1 dimensions. Received array with 0 "
                 "dimensions.");
  EXPECT_INVALID(linalg::solve(zeros({2, 3}), zeros({2})),
                 "[linalg::solve] First input must be a square matrix. Received array with "
                 "shape (2,3).");
  EXPECT_INVALID(linalg::solve(a, zeros({3, 1})),
                 "[linalg::solve] Last dimension of first input with shape (2,2) must match "
                 "second to last dimension of second input with shape (3,1).");
  EXPECT_INVALID(linalg::solve(array({1, 0, 0, 1}, {2, 2}), array({1, 1})),
                 "[linalg::solve] Input arrays must promote to float32 or float64. Received "
                 "arrays with type int32 and int32.");
  EXPECT_INVALID(linalg::solve(zeros({3, 2, 2}), zeros({4, 2, 1})),
                 "[linalg::solve] Batch dimensions of inputs with shapes (3,2,2) and (4,2,1) "
                 "cannot be broadcast.");
  EXPECT_INVALID(linalg::solve_triangular(zeros({2, 3}), zeros({2})),
                 "[linalg::solve_triangular] First input must be a square matrix. Received "
                 "array with shape (2,3).");
  EXPECT_EQ(error_of([&] {
              eval(linalg::solve(mat({1, 2, 2, 4}, {2, 2}), mat({1, 1}, {2})));
            }),
            "[linalg::solve] Matrix is singular.");
}

// ---- cross ----

TEST(LinalgCross, Values) {
  expect_array<float>(linalg::cross(array({1.0f, 0.0f, 0.0f}), array({0.0f, 1.0f, 0.0f})), {3},
                      float32, {0, 0, 1});
  expect_array<int32_t>(linalg::cross(array({1, 2, 3}), array({4, 5, 6})), {3}, int32, {-3, 6, -3});
  expect_array<int32_t>(linalg::cross(array({1, 2}), array({3, 4})), {3}, int32, {0, 0, -2});
  expect_array<int32_t>(linalg::cross(array({1, 2}), array({4, 5, 6})), {3}, int32, {12, -6, -3});
  // Along axis 0, broadcast against a batch.
  auto a = array({1, 0, 0, 1, 0, 0}, {3, 2});  // columns e0, e1 (as 3-vectors along axis 0)
  auto b = array({0, 0, 1}, {3, 1});           // e2
  expect_array<int32_t>(linalg::cross(a, b, 0), {3, 2}, int32, {0, 1, -1, 0, 0, 0});
  EXPECT_EQ(linalg::cross(array({1.0f, 2.0f, 3.0f}), astype(array({1, 2, 3}), float64)).dtype(),
            float64);
}

TEST(LinalgCross, Errors) {
  EXPECT_INVALID(linalg::cross(zeros({4}), zeros({3})),
                 "[linalg::cross] The specified axis must have size 2 or 3, but got an array "
                 "with shape (4).");
  EXPECT_INVALID(linalg::cross(zeros({3}), zeros({3}), 1),
                 "[linalg::cross] axis 1 invalid for array with 1 dimensions.");
}

// ---- eigenproblems ----

TEST(LinalgEig, General) {
  auto [w, v] = linalg::eig(mat({2, 0, 0, 3}, {2, 2}, float32));
  EXPECT_EQ(w.dtype(), complex64);
  EXPECT_EQ(v.dtype(), complex64);
  auto wv = values<complex64_t>(w);
  EXPECT_EQ(wv[0], complex64_t(2, 0));
  EXPECT_EQ(wv[1], complex64_t(3, 0));
  // A rotation: eigenvalues +-i, complex eigenvectors.
  auto rot = mat({0, -1, 1, 0}, {2, 2});
  auto wr = values<complex64_t>(linalg::eigvals(rot));
  EXPECT_NEAR(wr[0].real(), 0, 1e-7);
  EXPECT_NEAR(std::abs(wr[0].imag()), 1, 1e-7);
  EXPECT_NEAR(wr[1].imag(), -wr[0].imag(), 1e-7);
  for (auto dtype : {float32, float64}) {
    auto a = astype(check::uniform({3, 4, 4}, -1, 1, 21), dtype);
    auto [ws, vs] = linalg::eig(a);
    EXPECT_EQ(ws.shape(), Shape({3, 4}));
    EXPECT_EQ(vs.shape(), Shape({3, 4, 4}));
    // A V == V diag(W), in complex64.
    auto ac = astype(a, complex64);
    auto lhs = matmul(ac, vs);
    auto rhs = multiply(vs, expand_dims(ws, -2));
    auto diff = values<float>(max(abs(subtract(lhs, rhs))));
    EXPECT_LT(diff[0], 1e-5);
    auto wv2 = linalg::eigvals(a);
    auto d2 = values<float>(max(abs(subtract(wv2, ws))));
    EXPECT_LT(d2[0], 1e-5);
  }
  EXPECT_INVALID(linalg::eig(zeros({2, 3})),
                 "[linalg::eig] Only defined for square matrices. Received array with shape "
                 "(2,3).");
  EXPECT_INVALID(linalg::eigvals(array({1}, {1, 1})),
                 "[linalg::eigvals] Arrays must have type float32, float64 or complex64. "
                 "Received array with type int32.");
}

TEST(LinalgEig, Symmetric) {
  // [[2, 1], [1, 2]]: eigenvalues 1 and 3 (ascending); the unread triangle holds junk.
  auto a = mat({2, 99, 1, 2}, {2, 2});
  auto [w, v] = linalg::eigh(a);
  expect_near(w, {1, 3}, 1e-12);
  auto vv = check::values(v);
  EXPECT_NEAR(std::abs(vv[0]), std::sqrt(0.5), 1e-12);
  EXPECT_NEAR(vv[0], -vv[2], 1e-12);  // (1, -1) / sqrt(2) for eigenvalue 1
  EXPECT_NEAR(vv[1], vv[3], 1e-12);
  expect_near(linalg::eigvalsh(mat({2, 1, 99, 2}, {2, 2}, float32), "U"), {1, 3}, 1e-6);
  for (auto dtype : {float32, float64}) {
    auto s = spd({2, 5, 5}, dtype);
    auto [ws, vs] = linalg::eigh(s);
    expect_close(matmul(s, vs), multiply(vs, expand_dims(ws, -2)), 100 * tol_of(dtype));
    expect_close(matmul(mT(vs), vs), batch_eye(vs), 10 * tol_of(dtype));
    expect_close(linalg::eigvalsh(s), ws, 10 * tol_of(dtype));
  }
  EXPECT_INVALID(linalg::eigh(zeros({2, 2}), "X"),
                 "[linalg::eigh] UPLO must be 'L' or 'U', but got 'X'.");
  EXPECT_INVALID(linalg::eigvalsh(zeros({3})),
                 "[linalg::eigvalsh] Arrays must have >= 2 dimensions. Received array with 1 "
                 "dimensions.");
}

TEST(LinalgEig, Complex) {
  auto re = check::uniform({2, 4, 4}, -1, 1, 31);
  auto im = check::uniform({2, 4, 4}, -1, 1, 37);
  auto a = add(astype(re, complex64), multiply(astype(im, complex64), array(complex64_t(0, 1))));
  auto max_diff = [](const array& x, const array& y) {
    return values<float>(max(abs(subtract(x, y))))[0];
  };
  // General: A V == V diag(W).
  auto [w, v] = linalg::eig(a);
  EXPECT_EQ(w.dtype(), complex64);
  EXPECT_LT(max_diff(matmul(a, v), multiply(v, expand_dims(w, -2))), 1e-5);
  EXPECT_LT(max_diff(linalg::eigvals(a), w), 1e-5);
  auto d =
      array({complex64_t(1, 1), complex64_t(0, 0), complex64_t(0, 0), complex64_t(2, 0)}, {2, 2});
  auto wd = values<complex64_t>(linalg::eigvals(d));
  EXPECT_EQ(wd[0], complex64_t(1, 1));
  EXPECT_EQ(wd[1], complex64_t(2, 0));
  // Hermitian: [[1, i], [-i, 1]] has eigenvalues 0 and 2 (float32); A V == V diag(W).
  auto h =
      array({complex64_t(1, 0), complex64_t(0, 99), complex64_t(0, -1), complex64_t(1, 0)}, {2, 2});
  auto wh = linalg::eigvalsh(h);
  EXPECT_EQ(wh.dtype(), float32);
  expect_near(wh, {0, 2}, 1e-6);
  auto herm = add(a, conjugate(mT(a)));
  auto [hw, hv] = linalg::eigh(herm);
  EXPECT_EQ(hw.dtype(), float32);
  EXPECT_EQ(hv.dtype(), complex64);
  EXPECT_LT(max_diff(matmul(herm, hv), multiply(hv, astype(expand_dims(hw, -2), complex64))), 1e-5);
  auto [hwu, hvu] = linalg::eigh(herm, "U");
  EXPECT_LT(max_diff(astype(hwu, complex64), astype(hw, complex64)), 1e-5);
  // SVD: U diag(S) Vt == A, S real.
  auto wide = slice(a, {0, 0, 0}, {2, 3, 4});
  auto usv = linalg::svd(wide);
  EXPECT_EQ(usv[1].dtype(), float32);
  auto uk = usv[0];
  auto vk = slice(usv[2], {0, 0, 0}, {2, 3, 4});
  auto rebuilt = matmul(multiply(uk, astype(expand_dims(usv[1], -2), complex64)), vk);
  EXPECT_LT(max_diff(rebuilt, wide), 1e-5);
  expect_close(linalg::svd(wide, false)[0], usv[1], 1e-5);
  expect_close(linalg::norm(wide, "nuc", std::vector<int>{-2, -1}), sum(usv[1], -1), 1e-5);
  EXPECT_INVALID(linalg::inv(a),
                 "[linalg::inv] Arrays must have type float32 or float64. Received array with "
                 "type complex64.");
  EXPECT_THROW(vjp([](const V& x) { return V{linalg::eigvalsh(x[0])}; }, {herm}, {hw}),
               std::invalid_argument);
}

// ---- determinants ----

TEST(LinalgDet, Values) {
  expect_near(linalg::det(mat({1, 2, 3, 4}, {2, 2})), {-2}, 1e-12);
  expect_near(linalg::det(array({1, 2, 3, 4}, {2, 2})), {-2}, 0);
  EXPECT_EQ(linalg::det(array({1, 2, 3, 4}, {2, 2})).dtype(), float32);
  expect_near(linalg::det(mat({2, 0, 1, 1, 3, 2, 1, 1, 2}, {3, 3})), {6}, 1e-12);
  expect_near(linalg::det(zeros({0, 0})), {1}, 0);
  // Through LU: exact rationals (20, 61, and -61 with two rows swapped).
  auto a = mat({4, 3, 2, 1, 3, 4, 3, 2, 2, 3, 4, 3, 1, 2, 3, 4}, {4, 4});
  auto b = mat({1, 2, 0, 3, 0, 1, 4, 1, 2, 0, 1, 0, 1, 1, 1, 5}, {4, 4});
  auto b_swapped = mat({0, 1, 4, 1, 1, 2, 0, 3, 2, 0, 1, 0, 1, 1, 1, 5}, {4, 4});
  expect_near(linalg::det(stack({a, b, b_swapped})), {20, 61, -61}, 1e-10);
  auto [sign, logabs] = linalg::slogdet(stack({a, b, b_swapped}));
  expect_near(sign, {1, 1, -1}, 0);
  expect_near(logabs, {std::log(20.0), std::log(61.0), std::log(61.0)}, 1e-12);
  auto [s2, l2] = linalg::slogdet(mat({1, 2, 3, 4}, {2, 2}, float32));
  EXPECT_EQ(s2.dtype(), float32);
  expect_near(s2, {-1}, 0);
  expect_near(l2, {std::log(2.0)}, 1e-6);
  // Singular: det 0, slogdet {0, -inf}.
  auto singular = mat({1, 2, 3, 4, 2, 4, 6, 8, 0, 1, 0, 1, 1, 0, 0, 1}, {4, 4});
  expect_near(linalg::det(singular), {0}, 0);
  auto [s3, l3] = linalg::slogdet(singular);
  expect_near(s3, {0}, 0);
  EXPECT_EQ(check::values(l3)[0], -std::numeric_limits<double>::infinity());
  auto r = well_conditioned({3, 6, 6});
  auto [ws, vs] = linalg::eig(r);
  expect_near(linalg::det(r), check::values(real(prod(ws, -1))), 1e-3);
}

TEST(LinalgDet, Errors) {
  EXPECT_INVALID(linalg::det(zeros({2, 3})), "[linalg::det] Only defined for square matrices.");
  EXPECT_INVALID(linalg::slogdet(zeros({3})),
                 "[linalg::slogdet] Arrays must have >= 2 dimensions. Received array with 1 "
                 "dimensions.");
  EXPECT_INVALID(linalg::det(zeros({2, 2}, complex64)),
                 "[linalg::det] Complex inputs are not supported.");
}

// ---- gradients and vmap ----

TEST(LinalgTransforms, Grads) {
  auto a = well_conditioned({3, 3});
  auto b = check::uniform({3, 2}, -1, 1, 17);
  auto s = spd({4, 4});
  check::grads([](const V& x) { return V{linalg::inv(x[0])}; }, {a});
  check::grads([](const V& x) { return V{linalg::tri_inv(x[0])}; }, {a});
  check::grads([](const V& x) { return V{linalg::tri_inv(x[0], true)}; }, {a});
  check::grads([](const V& x) { return V{linalg::cholesky(x[0])}; }, {s});
  check::grads([](const V& x) { return V{linalg::cholesky(x[0], true)}; }, {s});
  check::grads([](const V& x) { return V{linalg::cholesky_inv(x[0])}; }, {tril(a)});
  check::grads([](const V& x) { return V{linalg::solve(x[0], x[1])}; }, {a, b});
  check::grads([](const V& x) { return V{linalg::solve(x[0], x[1])}; },
               {a, check::uniform({3}, -1, 1, 2)});
  check::grads([](const V& x) { return V{linalg::solve_triangular(x[0], x[1])}; }, {a, b});
  check::grads([](const V& x) { return V{linalg::solve_triangular(x[0], x[1], true)}; }, {a, b});
  check::grads([](const V& x) { return V{linalg::cross(x[0], x[1])}; },
               {check::uniform({2, 3}), check::uniform({2, 3}, -1, 1, 3)});
}

TEST(LinalgTransforms, FactorizationGrads) {
  auto a = well_conditioned({4, 4});
  auto tall = check::uniform({5, 3}, -1, 1, 23);
  auto wide = check::uniform({3, 5}, -1, 1, 29);
  auto s = spd({4, 4});
  check::grads(
      [](const V& x) {
        auto [q, r] = linalg::qr(x[0]);
        return V{q, r};
      },
      {a});
  check::grads(
      [](const V& x) {
        auto [q, r] = linalg::qr(x[0]);
        return V{q, r};
      },
      {tall});
  check::grads(
      [](const V& x) {
        auto [q, r] = linalg::qr(x[0]);
        return V{q, r};
      },
      {wide});
  check::grads([](const V& x) { return linalg::svd(x[0], false); }, {tall});
  check::grads([](const V& x) { return linalg::svd(x[0], false); }, {wide});
  check::grads([](const V& x) { return linalg::svd(x[0]); }, {a});
  // Tall and wide: the thin part (U's first K columns, Vt's first K rows).
  auto thin = [](const V& x) {
    auto usv = linalg::svd(x[0]);
    int k = usv[1].shape(-1);
    auto u = slice(usv[0], {0, 0}, {usv[0].shape(0), k});
    auto vt = slice(usv[2], {0, 0}, {k, usv[2].shape(1)});
    return V{u, usv[1], vt};
  };
  check::grads(thin, {tall});
  check::grads(thin, {wide});
  check::grads(
      [](const V& x) {
        auto [w, v] = linalg::eigh(x[0]);
        return V{w, v};
      },
      {s});
  check::grads(
      [](const V& x) {
        auto [w, v] = linalg::eigh(x[0], "U");
        return V{w, v};
      },
      {s});
  check::grads([](const V& x) { return V{linalg::eigvalsh(x[0])}; }, {s});
  check::grads([](const V& x) { return V{linalg::lu_factor(x[0]).first}; }, {a});
  check::grads(
      [](const V& x) {
        auto o = linalg::lu(x[0]);
        return V{o[1], o[2]};
      },
      {a});
  check::grads([](const V& x) { return V{linalg::det(x[0])}; }, {a});
  check::grads([](const V& x) { return V{linalg::det(x[0])}; }, {well_conditioned({2, 2})});
  check::grads([](const V& x) { return V{linalg::slogdet(x[0]).second}; }, {a});
  check::grads([](const V& x) { return V{linalg::pinv(x[0])}; }, {tall});
  check::grads([](const V& x) { return V{linalg::norm(x[0], 3.0, -1)}; }, {tall});
  check::grads([](const V& x) { return V{linalg::norm(x[0], "fro")}; }, {tall});
  check::grads([](const V& x) { return V{linalg::norm(x[0], "nuc")}; }, {tall});
  check::grads([](const V& x) { return V{linalg::norm(x[0], 2.0)}; }, {wide});
}

TEST(LinalgTransforms, Vmaps) {
  auto a = well_conditioned({3, 3});
  auto b = check::uniform({3, 2}, -1, 1, 17);
  check::vmaps([](const V& x) { return V{linalg::inv(x[0])}; }, {a});
  check::vmaps([](const V& x) { return V{linalg::tri_inv(x[0], true)}; }, {a});
  // Batches of x, -x/2 and x + 1/4 stay positive definite through x x^T + 3 I.
  check::vmaps(
      [](const V& x) {
        auto s = add(matmul(x[0], mT(x[0])), multiply(array(3.0), eye(3, float64)));
        return V{linalg::cholesky(s)};
      },
      {a});
  check::vmaps(
      [](const V& x) {
        auto [q, r] = linalg::qr(x[0]);
        return V{q, r};
      },
      {check::uniform({4, 3})});
  check::vmaps([](const V& x) { return linalg::svd(x[0]); }, {check::uniform({3, 4})});
  check::vmaps([](const V& x) { return linalg::svd(x[0], false); }, {check::uniform({3, 4})});
  check::vmaps(
      [](const V& x) {
        auto [w, v] = linalg::eigh(add(x[0], mT(x[0])));
        return V{w, v};
      },
      {a});
  check::vmaps([](const V& x) { return V{linalg::eigvalsh(x[0])}; }, {a});
  check::vmaps([](const V& x) { return linalg::lu(x[0]); }, {a});
  check::vmaps([](const V& x) { return V{linalg::solve(x[0], x[1])}; }, {a, b});
  check::vmaps([](const V& x) { return V{linalg::solve_triangular(x[0], x[1])}; }, {a, b});
  check::vmaps([](const V& x) { return V{linalg::det(x[0])}; }, {well_conditioned({4, 4})});
  // eig's complex results: compare the eigenvalues' real and imaginary parts.
  check::vmaps(
      [](const V& x) {
        auto w = linalg::eigvals(x[0]);
        return V{real(w), imag(w)};
      },
      {a});
}

// ---- multivariate_normal ----

TEST(LinalgRandom, MultivariateNormal) {
  auto mean = array({1.0f, -2.0f});
  auto cov = array({2.0f, 0.5f, 0.5f, 1.0f}, {2, 2});
  int n = 20000;
  auto x = random::multivariate_normal(mean, cov, {n}, float32, random::key(3));
  EXPECT_EQ(x.shape(), Shape({n, 2}));
  EXPECT_EQ(x.dtype(), float32);
  auto xd = astype(x, float64);
  auto mu = mean_of(xd);
  expect_near(mu, {1.0, -2.0}, 0.05);
  auto centered = subtract(xd, mu);
  auto sample_cov = divide(matmul(mT(centered), centered), array(double(n - 1)));
  expect_near(sample_cov, {2.0, 0.5, 0.5, 1.0}, 0.08);
  // The same key gives the same draws; float64 works too.
  expect_close(random::multivariate_normal(mean, cov, {n}, float32, random::key(3)), x, 0);
  EXPECT_EQ(random::multivariate_normal(mean, cov, {4}, float64).dtype(), float64);
  // Batch shapes broadcast: mean (3, 2), cov (2, 2), shape (4, 3) -> (4, 3, 2).
  auto means = zeros({3, 2});
  EXPECT_EQ(random::multivariate_normal(means, cov, {4, 3}, float32).shape(), Shape({4, 3, 2}));
  EXPECT_EQ(random::multivariate_normal(mean, broadcast_to(cov, {5, 2, 2}), {}, float32).shape(),
            Shape({5, 2}));
}

TEST(LinalgRandom, MultivariateNormalErrors) {
  auto cov = eye(2);
  EXPECT_INVALID(random::multivariate_normal(zeros({2}), cov, {3}, int32),
                 "[multivariate_normal] dtype must be float32 or float64, got int32.");
  EXPECT_INVALID(random::multivariate_normal(array(0.0f), cov, {3}, float32),
                 "[multivariate_normal] mean must have at least one dimension.");
  EXPECT_INVALID(random::multivariate_normal(zeros({2}), zeros({2}), {3}, float32),
                 "[multivariate_normal] cov must have at least two dimensions.");
  EXPECT_INVALID(random::multivariate_normal(zeros({2}), zeros({2, 3}), {3}, float32),
                 "[multivariate_normal] last two dimensions of cov must be equal, got shape "
                 "(2,3).");
  EXPECT_INVALID(random::multivariate_normal(zeros({3}), cov, {3}, float32),
                 "[multivariate_normal] mean and cov must have compatible shapes, got (3) and "
                 "(2,2).");
}
