// mlx::core::linalg: norms (compositions of reductions), factorizations and solvers (LAPACK
// primitives), and the derivative and batching rules of those primitives. Rules are written
// with ops, so they compose (grad of grad, vmap of grad). Symmetric inputs (cholesky, eigh) are
// read from one triangle, so their gradients live on that triangle: the gradient S with respect
// to the symmetric matrix becomes tril(S) + tril(S^T, -1).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

array mT(const array& x, Stream s) { return swapaxes(x, -1, -2, s); }

// x with everything outside the lower (or upper) triangle zeroed.
array triangle(const array& x, bool upper, Stream s) {
  return upper ? triu(x, 0, s) : tril(x, 0, s);
}

// The symmetric matrix a triangle of x holds.
array symmetric_from(const array& x, bool upper, Stream s) {
  return upper ? add(triu(x, 0, s), mT(triu(x, 1, s), s), s)
               : add(tril(x, 0, s), mT(tril(x, -1, s), s), s);
}

// The gradient with respect to the triangle that holds a symmetric matrix, from the gradient S
// with respect to the symmetric matrix.
array onto_triangle(const array& g, bool upper, Stream s) {
  return upper ? add(triu(g, 0, s), triu(mT(g, s), 1, s), s)
               : add(tril(g, 0, s), tril(mT(g, s), -1, s), s);
}

array eye_like(const array& x, Stream s) { return eye(x.shape(-2), x.shape(-1), 0, x.dtype(), s); }

// A diagonal matrix (..., n, n) from a vector (..., n).
array diag_matrix(const array& v, Stream s) {
  int n = v.shape(-1);
  return multiply(expand_dims(v, -1, s), eye(n, n, 0, v.dtype(), s), s);
}

array matrix_diagonal(const array& x, Stream s) { return diagonal(x, 0, -2, -1, s); }

// F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it: the coupling of eigenvectors (or
// singular vectors, with squared values) in the derivative rules.
array coupling(const array& w, Stream s) {
  auto diff = subtract(expand_dims(w, -2, s), expand_dims(w, -1, s), s);
  int n = w.shape(-1);
  auto on_diag = astype(eye(n, n, 0, float32, s), bool_, s);
  auto safe = where(on_diag, array(1.0, w.dtype()), diff, s);
  return where(on_diag, array(0.0, w.dtype()), reciprocal(safe, s), s);
}

// Rows (axis -2) [begin, end) or columns (axis -1) of a batch of matrices.
array take_span(const array& x, int axis, int begin, int end, Stream s) {
  Shape start(x.ndim(), 0), stop = x.shape();
  int d = static_cast<int>(x.ndim()) + axis;
  start[d] = begin;
  stop[d] = end;
  return slice(x, std::move(start), std::move(stop), s);
}

Shape batch_shape(const array& x) { return Shape(x.shape().begin(), x.shape().end() - 2); }

Shape with_matrix(Shape batch, int rows, int cols) {
  batch.push_back(rows);
  batch.push_back(cols);
  return batch;
}

// x with a x = b for matrices whose batch dims broadcast; the primitive sees them broadcast.
array solve_matrices(const array& a, const array& b, SolveKind kind, const char* op, Stream s) {
  Shape batch;
  try {
    batch = broadcast_shapes(batch_shape(a), batch_shape(b));
  } catch (const std::invalid_argument&) {
    std::ostringstream msg;
    msg << "[linalg::" << op << "] Batch dimensions of inputs with shapes " << a.shape() << " and "
        << b.shape() << " cannot be broadcast.";
    throw std::invalid_argument(msg.str());
  }
  int n = a.shape(-1);
  int nrhs = b.shape(-1);
  auto a_ = broadcast_to(a, with_matrix(batch, n, n), s);
  auto b_ = broadcast_to(b, with_matrix(batch, n, nrhs), s);
  return array(with_matrix(batch, n, nrhs), a.dtype(), std::make_shared<Solve>(s, kind), {a_, b_});
}

std::vector<array> lu_outputs(const array& a, Stream s) {
  int m = a.shape(-2), n = a.shape(-1);
  Shape pivots = batch_shape(a);
  pivots.push_back(std::min(m, n));
  Shape rows(a.shape().begin(), a.shape().end() - 1);
  return array::make_arrays({a.shape(), pivots, rows}, {a.dtype(), uint32, uint32},
                            std::make_shared<LUF>(s), {a});
}

// Singular values and Hermitian eigenvalues are real: float32 for complex64.
Dtype real_dtype(Dtype d) { return d == complex64 ? float32 : d; }

void check_real_derivative(const array& a, const char* op) {
  if (a.dtype() == complex64) {
    throw std::invalid_argument(std::string("[linalg::") + op +
                                "] Derivatives for complex inputs are not implemented.");
  }
}

std::vector<array> svd_outputs(const array& a, bool compute_uv, Stream s) {
  int m = a.shape(-2), n = a.shape(-1);
  Shape values(a.shape().begin(), a.shape().end() - 1);
  values.back() = std::min(m, n);
  auto p = std::make_shared<SVD>(s, compute_uv);
  if (!compute_uv) {
    return {array(std::move(values), real_dtype(a.dtype()), p, {a})};
  }
  auto batch = batch_shape(a);
  return array::make_arrays({with_matrix(batch, m, m), values, with_matrix(batch, n, n)},
                            {a.dtype(), real_dtype(a.dtype()), a.dtype()}, p, {a});
}

std::vector<array> eigh_outputs(const array& a, const std::string& uplo, bool vectors, Stream s) {
  Shape values(a.shape().begin(), a.shape().end() - 1);
  auto p = std::make_shared<Eigh>(s, uplo, vectors);
  if (!vectors) {
    return {array(std::move(values), real_dtype(a.dtype()), p, {a})};
  }
  return array::make_arrays({values, a.shape()}, {real_dtype(a.dtype()), a.dtype()}, p, {a});
}

}  // namespace

namespace linalg {

namespace {

void check_cpu_stream(const StreamOrDevice& s, const std::string& prefix) {
  if (to_stream(s).device == Device::gpu) {
    throw std::invalid_argument(prefix +
                                " This op is not yet supported on the GPU. Explicitly pass a CPU "
                                "stream to run it.");
  }
}

void check_float(Dtype dtype, const std::string& prefix) {
  if (dtype != float32 && dtype != float64) {
    std::ostringstream msg;
    msg << prefix << " Arrays must have type float32 or float64. Received array with type " << dtype
        << ".";
    throw std::invalid_argument(msg.str());
  }
}

void check_float_or_complex(Dtype dtype, const std::string& prefix) {
  if (dtype != float32 && dtype != float64 && dtype != complex64) {
    std::ostringstream msg;
    msg << prefix << " Arrays must have type float32, float64 or complex64. Received array with "
        << "type " << dtype << ".";
    throw std::invalid_argument(msg.str());
  }
}

void check_matrix(const array& a, const std::string& prefix) {
  if (a.ndim() < 2) {
    std::ostringstream msg;
    msg << prefix << " Arrays must have >= 2 dimensions. Received array with " << a.ndim()
        << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
}

// The checks every factorization shares: a CPU stream, float32 or float64 (or complex64 with
// `complex`), >= 2 dims and, when `square` names what is only defined for square matrices,
// square ones.
void check_factorizable(const array& a, const StreamOrDevice& s, const std::string& prefix,
                        const char* square = nullptr, bool complex = false) {
  check_cpu_stream(s, prefix);
  if (complex) {
    check_float_or_complex(a.dtype(), prefix);
  } else {
    check_float(a.dtype(), prefix);
  }
  check_matrix(a, prefix);
  if (square && a.shape(-1) != a.shape(-2)) {
    std::ostringstream msg;
    msg << prefix << " " << square << " Received array with shape " << a.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
}

Dtype at_least_float(Dtype d) { return issubdtype(d, inexact) ? d : promote_types(d, float32); }

// The dtype the LAPACK kernels compute an input in: float64 and complex64 stay, the others go
// through float32.
Dtype lapack_dtype(Dtype d) { return d == float64 || d == complex64 ? d : float32; }

array l2_norm(const array& a, const std::vector<int>& axes, bool keepdims, Stream s) {
  if (issubdtype(a.dtype(), complexfloating)) {
    auto m = abs(a, s);
    return sqrt(sum(multiply(m, m, s), axes, keepdims, s), s);
  }
  return sqrt(sum(square(a, s), axes, keepdims, s), s);
}

array vector_norm(const array& a, double ord, const std::vector<int>& axes, bool keepdims,
                  Stream s) {
  auto dtype = at_least_float(a.dtype());
  constexpr double inf = std::numeric_limits<double>::infinity();
  if (ord == 0.0) {
    return astype(sum(not_equal(a, array(0), s), axes, keepdims, s), dtype, s);
  } else if (ord == 1.0) {
    return astype(sum(abs(a, s), axes, keepdims, s), dtype, s);
  } else if (ord == 2.0) {
    return l2_norm(a, axes, keepdims, s);
  } else if (ord == inf) {
    return astype(max(abs(a, s), axes, keepdims, s), dtype, s);
  } else if (ord == -inf) {
    return astype(min(abs(a, s), axes, keepdims, s), dtype, s);
  }
  auto powered = power(abs(a, s), array(ord, dtype), s);
  return power(sum(powered, axes, keepdims, s), array(1.0 / ord, dtype), s);
}

int normalize_axis(int axis, const array& a) {
  int nd = static_cast<int>(a.ndim());
  if (axis < -nd || axis >= nd) {
    std::ostringstream msg;
    msg << "[linalg::norm] Invalid axis " << axis << " for array with " << nd << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  return axis < 0 ? axis + nd : axis;
}

// The singular values of the matrices on axes (row, col) (normalized), in a's real float dtype.
array singular_values(const array& a, int row, int col, Stream s) {
  auto dtype = at_least_float(a.dtype());
  auto m = moveaxis(moveaxis(a, row, -1, s), col > row ? col - 1 : col, -1, s);
  m = astype(m, lapack_dtype(dtype), s);
  return astype(svd_outputs(m, false, s)[0], real_dtype(dtype), s);
}

// Re-inserts the reduced axes (row, col) as size 1 when keepdims.
array keep_matrix_dims(const array& x, int row, int col, bool keepdims, Stream s) {
  return keepdims ? expand_dims(x, {std::min(row, col), std::max(row, col)}, s) : x;
}

array matrix_norm(const array& a, double ord, const std::vector<int>& axes, bool keepdims,
                  Stream s) {
  auto dtype = at_least_float(a.dtype());
  int row = normalize_axis(axes[0], a);
  int col = normalize_axis(axes[1], a);
  constexpr double inf = std::numeric_limits<double>::infinity();
  // 1 and -1: the largest (smallest) column sum; inf and -inf: the same over rows. The second
  // reduction's axis moves down when the first removed an axis before it.
  auto reduce_twice = [&](int first, int second, bool largest) {
    auto sums = sum(abs(a, s), first, keepdims, s);
    int after = second - (!keepdims && second > first);
    return astype(largest ? max(sums, after, keepdims, s) : min(sums, after, keepdims, s), dtype,
                  s);
  };
  if (ord == 1.0 || ord == -1.0) {
    return reduce_twice(row, col, ord > 0);
  } else if (ord == inf || ord == -inf) {
    return reduce_twice(col, row, ord > 0);
  } else if (ord == 2.0 || ord == -2.0) {
    auto sv = singular_values(a, row, col, s);
    sv = ord > 0 ? max(sv, -1, false, s) : min(sv, -1, false, s);
    return keep_matrix_dims(sv, row, col, keepdims, s);
  }
  std::ostringstream msg;
  msg << "[linalg::norm] Invalid ord " << ord << " for matrix norm.";
  throw std::invalid_argument(msg.str());
}

array matrix_norm(const array& a, const std::string& ord, const std::vector<int>& axes,
                  bool keepdims, Stream s) {
  if (ord == "f" || ord == "fro") {
    return l2_norm(a, axes, keepdims, s);
  } else if (ord == "nuc") {
    int row = normalize_axis(axes[0], a);
    int col = normalize_axis(axes[1], a);
    auto total = sum(singular_values(a, row, col, s), -1, false, s);
    return keep_matrix_dims(total, row, col, keepdims, s);
  }
  std::ostringstream msg;
  msg << "[linalg::norm] Invalid ord value '" << ord << "' for matrix norm.";
  throw std::invalid_argument(msg.str());
}

std::vector<int> axes_or_all(const array& a, const std::optional<std::vector<int>>& axis) {
  if (axis) return *axis;
  std::vector<int> all(a.ndim());
  std::iota(all.begin(), all.end(), 0);
  return all;
}

void validate_solve(const array& a, const array& b, const StreamOrDevice& s,
                    const std::string& prefix) {
  check_cpu_stream(s, prefix);
  if (a.ndim() < 2) {
    std::ostringstream msg;
    msg << prefix << " First input must have >= 2 dimensions. Received array with " << a.ndim()
        << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  if (b.ndim() < 1) {
    std::ostringstream msg;
    msg << prefix << " Second input must have >= 1 dimensions. Received array with " << b.ndim()
        << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  if (a.shape(-1) != a.shape(-2)) {
    std::ostringstream msg;
    msg << prefix << " First input must be a square matrix. Received array with shape " << a.shape()
        << ".";
    throw std::invalid_argument(msg.str());
  }
  if (a.shape(-1) != b.shape(b.ndim() > 1 ? -2 : -1)) {
    std::ostringstream msg;
    msg << prefix << " Last dimension of first input with shape " << a.shape()
        << " must match second to last dimension of second input with shape " << b.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  auto dtype = promote_types(a.dtype(), b.dtype());
  if (dtype != float32 && dtype != float64) {
    std::ostringstream msg;
    msg << prefix << " Input arrays must promote to float32 or float64. Received arrays with type "
        << a.dtype() << " and " << b.dtype() << ".";
    throw std::invalid_argument(msg.str());
  }
}

array solve_impl(const array& a, const array& b, SolveKind kind, const char* op, StreamOrDevice s) {
  validate_solve(a, b, s, std::string("[linalg::") + op + "]");
  auto stream = to_stream(s);
  auto dtype = promote_types(a.dtype(), b.dtype());
  // A 1-D b is one right-hand side: a column, removed again from the result.
  bool vector = b.ndim() == 1;
  auto rhs = astype(vector ? expand_dims(b, -1, stream) : b, dtype, stream);
  auto x = solve_matrices(astype(a, dtype, stream), rhs, kind, op, stream);
  return vector ? squeeze(x, -1, stream) : x;
}

void validate_det(const array& a, const StreamOrDevice& s, const std::string& prefix) {
  check_cpu_stream(s, prefix);
  if (issubdtype(a.dtype(), complexfloating)) {
    throw std::invalid_argument(prefix + " Complex inputs are not supported.");
  }
  check_matrix(a, prefix);
  if (a.shape(-1) != a.shape(-2)) {
    throw std::invalid_argument(prefix + " Only defined for square matrices.");
  }
}

// a[..., i, j] for every matrix of the batch.
array element(const array& a, int i, int j, Stream s) {
  return squeeze(take_span(take_span(a, -2, i, i + 1, s), -1, j, j + 1, s), {-2, -1}, s);
}

// The determinant of matrices up to 3 x 3 by cofactors (exact for small integers, no LAPACK).
array small_det(const array& a, Stream s) {
  int n = a.shape(-1);
  auto e = [&](int i, int j) { return element(a, i, j, s); };
  if (n == 0) {
    return broadcast_to(array(1.0, a.dtype()), batch_shape(a), s);
  } else if (n == 1) {
    return e(0, 0);
  } else if (n == 2) {
    return subtract(multiply(e(0, 0), e(1, 1), s), multiply(e(0, 1), e(1, 0), s), s);
  }
  auto minor = [&](int r0, int c0, int r1, int c1) {
    return subtract(multiply(e(r0, c0), e(r1, c1), s), multiply(e(r0, c1), e(r1, c0), s), s);
  };
  auto t0 = multiply(e(0, 0), minor(1, 1, 2, 2), s);
  auto t1 = multiply(e(0, 1), minor(1, 0, 2, 2), s);
  auto t2 = multiply(e(0, 2), minor(1, 0, 2, 1), s);
  return add(subtract(t0, t1, s), t2, s);
}

// {the diagonal of U, the sign of the row permutation} of the LU factorization.
std::pair<array, array> lu_diagonal(const array& a, Stream s) {
  auto outs = lu_outputs(a, s);
  auto u_diag = matrix_diagonal(outs[0], s);
  int k = outs[1].shape(-1);
  auto swaps = sum(not_equal(outs[1], arange(0, k, uint32, s), s), -1, false, s);
  auto odd = equal(remainder(astype(swaps, int32, s), array(2), s), array(1), s);
  auto perm_sign = where(odd, array(-1.0, a.dtype()), array(1.0, a.dtype()), s);
  return {u_diag, perm_sign};
}

}  // namespace

// ---- norms ----

array norm(const array& a, const std::optional<std::vector<int>>& axis, bool keepdims,
           StreamOrDevice s) {
  auto stream = to_stream(s);
  if (!axis) {
    return norm(flatten(a, stream), std::vector<int>{0}, keepdims, stream);
  }
  if (axis->size() > 2) {
    throw std::invalid_argument("[linalg::norm] Received too many axes for norm.");
  }
  return l2_norm(a, *axis, keepdims, stream);
}

array norm(const array& a, const double ord, const std::optional<std::vector<int>>& axis,
           bool keepdims, StreamOrDevice s) {
  auto stream = to_stream(s);
  auto axes = axes_or_all(a, axis);
  if (axes.size() == 1) {
    return vector_norm(a, ord, axes, keepdims, stream);
  } else if (axes.size() == 2) {
    return matrix_norm(a, ord, axes, keepdims, stream);
  }
  throw std::invalid_argument("[linalg::norm] Received too many axes for norm.");
}

array norm(const array& a, const std::string& ord, const std::optional<std::vector<int>>& axis,
           bool keepdims, StreamOrDevice s) {
  auto axes = axes_or_all(a, axis);
  if (axes.size() != 2) {
    std::ostringstream msg;
    msg << "[linalg::norm] Norm '" << ord << "' only supported for matrices, but received "
        << axes.size() << " axis/axes.";
    throw std::invalid_argument(msg.str());
  }
  return matrix_norm(a, ord, axes, keepdims, to_stream(s));
}

// ---- factorizations ----

std::pair<array, array> qr(const array& a, StreamOrDevice s) {
  check_factorizable(a, s, "[linalg::qr]");
  int k = std::min(a.shape(-2), a.shape(-1));
  auto batch = batch_shape(a);
  auto out =
      array::make_arrays({with_matrix(batch, a.shape(-2), k), with_matrix(batch, k, a.shape(-1))},
                         {a.dtype(), a.dtype()}, std::make_shared<QRF>(to_stream(s)), {a});
  return {out[0], out[1]};
}

std::vector<array> svd(const array& a, bool compute_uv, StreamOrDevice s) {
  check_cpu_stream(s, "[linalg::svd]");
  check_float_or_complex(a.dtype(), "[linalg::svd]");
  if (a.ndim() < 2) {
    std::ostringstream msg;
    msg << "[linalg::svd] Input array must have >= 2 dimensions. Received array with " << a.ndim()
        << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  return svd_outputs(a, compute_uv, to_stream(s));
}

std::vector<array> svd(const array& a, StreamOrDevice s) { return svd(a, true, s); }

array inv(const array& a, StreamOrDevice s) {
  check_factorizable(a, s, "[linalg::inv]", "Inverses are only defined for square matrices.");
  return array(a.shape(), a.dtype(), std::make_shared<Inverse>(to_stream(s), false, true), {a});
}

array tri_inv(const array& a, bool upper, StreamOrDevice s) {
  check_factorizable(a, s, "[linalg::tri_inv]", "Inverses are only defined for square matrices.");
  return array(a.shape(), a.dtype(), std::make_shared<Inverse>(to_stream(s), true, upper), {a});
}

array pinv(const array& a, StreamOrDevice s) {
  check_factorizable(a, s, "[linalg::pinv]");
  auto stream = to_stream(s);
  int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n);
  auto outs = svd_outputs(a, true, stream);
  // pinv(a) = V_k diag(1 / S) U_k^T, dropping singular values below rcond * max(S) (NumPy's and
  // MLX's default cutoff).
  auto u = mT(take_span(outs[0], -1, 0, k, stream), stream);
  auto v = mT(take_span(outs[2], -2, 0, k, stream), stream);
  auto sv = expand_dims(outs[1], -2, stream);
  double rcond = 10.0 * std::max(m, n) * finfo(a.dtype()).eps;
  auto cutoff = multiply(array(rcond, a.dtype()), max(sv, -1, true, stream), stream);
  auto inv_s =
      where(greater(sv, cutoff, stream), reciprocal(sv, stream), array(0.0, a.dtype()), stream);
  return matmul(multiply(v, inv_s, stream), u, stream);
}

array cholesky(const array& a, bool upper, StreamOrDevice s) {
  check_factorizable(a, s, "[linalg::cholesky]",
                     "Cholesky decomposition is only defined for square matrices.");
  return array(a.shape(), a.dtype(), std::make_shared<Cholesky>(to_stream(s), upper), {a});
}

array cholesky_inv(const array& a, bool upper, StreamOrDevice s) {
  check_factorizable(a, s, "[linalg::cholesky_inv]",
                     "Cholesky inverse is only defined for square matrices.");
  auto stream = to_stream(s);
  auto f_inv = tri_inv(a, upper, stream);
  // a = L L^T gives inv(a) = L^-T L^-1; a = U^T U gives U^-1 U^-T.
  return upper ? matmul(f_inv, mT(f_inv, stream), stream)
               : matmul(mT(f_inv, stream), f_inv, stream);
}

std::vector<array> lu(const array& a, StreamOrDevice s) {
  check_factorizable(a, s, "[linalg::lu]");
  auto stream = to_stream(s);
  auto outs = lu_outputs(a, stream);
  int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n);
  auto l = take_span(tril(outs[0], -1, stream), -1, 0, k, stream);
  l = add(l, eye(m, k, 0, a.dtype(), stream), stream);
  auto u = take_span(triu(outs[0], 0, stream), -2, 0, k, stream);
  return {outs[2], l, u};
}

std::pair<array, array> lu_factor(const array& a, StreamOrDevice s) {
  check_factorizable(a, s, "[linalg::lu_factor]");
  auto outs = lu_outputs(a, to_stream(s));
  return {outs[0], outs[1]};
}

array solve(const array& a, const array& b, StreamOrDevice s) {
  return solve_impl(a, b, SolveKind::General, "solve", s);
}

array solve_triangular(const array& a, const array& b, bool upper, StreamOrDevice s) {
  return solve_impl(a, b, upper ? SolveKind::Upper : SolveKind::Lower, "solve_triangular", s);
}

array cross(const array& a, const array& b, int axis, StreamOrDevice s) {
  for (auto* x : {&a, &b}) {
    int nd = static_cast<int>(x->ndim());
    if (axis >= nd || axis < -nd) {
      std::ostringstream msg;
      msg << "[linalg::cross] axis " << axis << " invalid for array with " << nd << " dimensions.";
      throw std::invalid_argument(msg.str());
    }
    int size = x->shape(axis);
    if (size != 2 && size != 3) {
      std::ostringstream msg;
      msg << "[linalg::cross] The specified axis must have size 2 or 3, but got an array with "
             "shape "
          << x->shape() << ".";
      throw std::invalid_argument(msg.str());
    }
  }
  auto stream = to_stream(s);
  auto dtype = promote_types(a.dtype(), b.dtype());
  // Size-2 vectors get a zero z component; then both broadcast to one shape.
  auto widen = [&](const array& x) {
    int d = axis < 0 ? axis + static_cast<int>(x.ndim()) : axis;
    auto y = astype(x, dtype, stream);
    return x.shape(d) == 2 ? pad(y, {d}, {0}, {1}, array(0, dtype), "constant", stream) : y;
  };
  auto a3 = widen(a), b3 = widen(b);
  auto shape = broadcast_shapes(a3.shape(), b3.shape());
  int d = axis < 0 ? axis + static_cast<int>(shape.size()) : axis;
  a3 = broadcast_to(a3, shape, stream);
  b3 = broadcast_to(b3, shape, stream);
  auto pa = split(a3, 3, d, stream), pb = split(b3, 3, d, stream);
  auto term = [&](int i, int j) {
    return subtract(multiply(pa[i], pb[j], stream), multiply(pa[j], pb[i], stream), stream);
  };
  return concatenate({term(1, 2), term(2, 0), term(0, 1)}, d, stream);
}

// ---- eigenproblems ----

std::pair<array, array> eig(const array& a, StreamOrDevice s) {
  check_factorizable(a, s, "[linalg::eig]", "Only defined for square matrices.", true);
  Shape values(a.shape().begin(), a.shape().end() - 1);
  auto out = array::make_arrays({values, a.shape()}, {complex64, complex64},
                                std::make_shared<Eig>(to_stream(s), true), {a});
  return {out[0], out[1]};
}

array eigvals(const array& a, StreamOrDevice s) {
  check_factorizable(a, s, "[linalg::eigvals]", "Only defined for square matrices.", true);
  Shape values(a.shape().begin(), a.shape().end() - 1);
  return array(std::move(values), complex64, std::make_shared<Eig>(to_stream(s), false), {a});
}

namespace {
void check_uplo(const std::string& uplo, const std::string& prefix) {
  if (uplo != "L" && uplo != "U") {
    throw std::invalid_argument(prefix + " UPLO must be 'L' or 'U', but got '" + uplo + "'.");
  }
}
}  // namespace

std::pair<array, array> eigh(const array& a, std::string UPLO, StreamOrDevice s) {
  check_factorizable(a, s, "[linalg::eigh]", "Only defined for square matrices.", true);
  check_uplo(UPLO, "[linalg::eigh]");
  auto out = eigh_outputs(a, UPLO, true, to_stream(s));
  return {out[0], out[1]};
}

array eigvalsh(const array& a, std::string UPLO, StreamOrDevice s) {
  check_factorizable(a, s, "[linalg::eigvalsh]", "Only defined for square matrices.", true);
  check_uplo(UPLO, "[linalg::eigvalsh]");
  return eigh_outputs(a, UPLO, false, to_stream(s))[0];
}

// ---- determinants ----

std::pair<array, array> slogdet(const array& a, StreamOrDevice s) {
  validate_det(a, s, "[linalg::slogdet]");
  auto stream = to_stream(s);
  auto dtype = at_least_float(a.dtype());
  auto x = astype(a, lapack_dtype(dtype), stream);
  std::optional<array> sign_out, logabs;
  if (x.shape(-1) <= 3) {
    auto d = small_det(x, stream);
    sign_out = sign(d, stream);
    logabs = log(abs(d, stream), stream);
  } else {
    auto [u_diag, perm_sign] = lu_diagonal(x, stream);
    auto negatives = sum(less(u_diag, array(0.0, x.dtype()), stream), -1, false, stream);
    auto odd =
        equal(remainder(astype(negatives, int32, stream), array(2), stream), array(1), stream);
    sign_out = where(odd, negative(perm_sign, stream), perm_sign, stream);
    auto singular = any(equal(u_diag, array(0.0, x.dtype()), stream), -1, false, stream);
    sign_out = where(singular, array(0.0, x.dtype()), *sign_out, stream);
    // log(0) is -inf already, so a singular matrix needs no special case here.
    logabs = sum(log(abs(u_diag, stream), stream), -1, false, stream);
  }
  return {astype(*sign_out, dtype, stream), astype(*logabs, dtype, stream)};
}

array det(const array& a, StreamOrDevice s) {
  validate_det(a, s, "[linalg::det]");
  auto stream = to_stream(s);
  auto dtype = at_least_float(a.dtype());
  auto x = astype(a, lapack_dtype(dtype), stream);
  if (x.shape(-1) <= 3) {
    return astype(small_det(x, stream), dtype, stream);
  }
  // The product of U's diagonal, rather than exp(logabsdet): exact zeros and no rounding
  // through log and exp.
  auto [u_diag, perm_sign] = lu_diagonal(x, stream);
  return astype(multiply(perm_sign, prod(u_diag, -1, false, stream), stream), dtype, stream);
}

}  // namespace linalg

// ---- transform rules ----

namespace {

std::pair<std::vector<array>, std::vector<int>> batched(std::vector<array> outs) {
  std::vector<int> axes(outs.size(), 0);
  return {std::move(outs), std::move(axes)};
}

[[noreturn]] void no_derivative(const char* what) { throw std::invalid_argument(what); }

}  // namespace

// Y = a^-1: dY = -Y da Y, so a's cotangent is -Y^T G Y^T. A triangular inverse reads only its
// triangle, which takes the triangle of both.
std::vector<array> Inverse::vjp(const std::vector<array>&, const std::vector<array>& cotangents,
                                const std::vector<int>&, const std::vector<array>& outputs) {
  auto s = stream();
  auto yt = mT(outputs[0], s);
  auto g = negative(matmul(matmul(yt, cotangents[0], s), yt, s), s);
  return {tri() ? triangle(g, upper(), s) : g};
}

std::vector<array> Inverse::jvp(const std::vector<array>& primals,
                                const std::vector<array>& tangents, const std::vector<int>&) {
  auto s = stream();
  auto y = tri() ? linalg::tri_inv(primals[0], upper(), s) : linalg::inv(primals[0], s);
  auto da = tri() ? triangle(tangents[0], upper(), s) : tangents[0];
  return {negative(matmul(matmul(y, da, s), y, s), s)};
}

std::pair<std::vector<array>, std::vector<int>> Inverse::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  return batched(
      {array(x.shape(), x.dtype(), std::make_shared<Inverse>(stream(), tri(), upper()), {x})});
}

namespace {

// Phi(X): the lower triangle with the diagonal halved.
array phi(const array& x, Stream s) {
  return subtract(tril(x, 0, s), multiply(array(0.5, x.dtype()), multiply(x, eye_like(x, s), s), s),
                  s);
}

// The Cholesky factor's rules in terms of the lower factor l of the matrix held in the lower
// triangle; the upper factor is the transpose of the lower factor of the transpose.
array cholesky_lower_vjp(const array& l, const array& g, Stream s) {
  auto l_inv = linalg::tri_inv(l, false, s);
  auto p = phi(matmul(mT(l, s), g, s), s);
  auto sym = matmul(matmul(mT(l_inv, s), p, s), l_inv, s);
  return onto_triangle(sym, false, s);
}

array cholesky_lower_jvp(const array& l, const array& da, Stream s) {
  auto l_inv = linalg::tri_inv(l, false, s);
  auto z = matmul(matmul(l_inv, symmetric_from(da, false, s), s), mT(l_inv, s), s);
  return matmul(l, phi(z, s), s);
}

}  // namespace

std::vector<array> Cholesky::vjp(const std::vector<array>&, const std::vector<array>& cotangents,
                                 const std::vector<int>&, const std::vector<array>& outputs) {
  auto s = stream();
  if (!upper()) {
    return {cholesky_lower_vjp(outputs[0], cotangents[0], s)};
  }
  return {mT(cholesky_lower_vjp(mT(outputs[0], s), mT(cotangents[0], s), s), s)};
}

std::vector<array> Cholesky::jvp(const std::vector<array>& primals,
                                 const std::vector<array>& tangents, const std::vector<int>&) {
  auto s = stream();
  auto f = linalg::cholesky(primals[0], upper(), s);
  if (!upper()) {
    return {cholesky_lower_jvp(f, tangents[0], s)};
  }
  return {mT(cholesky_lower_jvp(mT(f, s), mT(tangents[0], s), s), s)};
}

std::pair<std::vector<array>, std::vector<int>> Cholesky::vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  return batched({linalg::cholesky(x, upper(), stream())});
}

namespace {

// Reduced QR of a square or tall matrix (m >= n): with M = R G_R^T - G_Q^T Q, the cotangent of
// a is (G_Q + Q copyltu(M)) R^-T, copyltu mirroring the lower triangle onto the upper.
array qr_tall_vjp(const array& q, const array& r, const array& gq, const array& gr, Stream s) {
  auto m = subtract(matmul(r, mT(gr, s), s), matmul(mT(gq, s), q, s), s);
  auto sym = add(tril(m, 0, s), mT(tril(m, -1, s), s), s);
  auto rhs = add(gq, matmul(q, sym, s), s);
  // rhs R^-T = (R^-1 rhs^T)^T.
  return mT(linalg::solve_triangular(r, mT(rhs, s), true, s), s);
}

// dA = dQ R + Q dR with Q^T dQ antisymmetric (the square part) and dR R^-1 upper triangular.
std::pair<array, array> qr_tall_jvp(const array& q, const array& r, const array& da, Stream s) {
  auto r_inv = linalg::tri_inv(r, true, s);
  auto da_rinv = matmul(da, r_inv, s);
  auto x = matmul(mT(q, s), da_rinv, s);
  auto low = tril(x, -1, s);
  auto omega = subtract(low, mT(low, s), s);
  auto upper_part = subtract(x, omega, s);
  auto dr = matmul(upper_part, r, s);
  auto dq = subtract(da_rinv, matmul(q, upper_part, s), s);
  return {dq, dr};
}

}  // namespace

// A wide matrix [X | Y] (m < n) has Q, R_X = qr(X) and R_Y = Q^T Y: X carries the tall rule
// with Q's cotangent raised by Y G_RY^T, and Y's cotangent is Q G_RY.
std::vector<array> QRF::vjp(const std::vector<array>& primals, const std::vector<array>& cotangents,
                            const std::vector<int>&, const std::vector<array>& outputs) {
  auto s = stream();
  auto& a = primals[0];
  int m = a.shape(-2), n = a.shape(-1);
  auto& q = outputs[0];
  auto& r = outputs[1];
  if (m >= n) {
    return {qr_tall_vjp(q, r, cotangents[0], cotangents[1], s)};
  }
  auto y = take_span(a, -1, m, n, s);
  auto rx = take_span(r, -1, 0, m, s);
  auto grx = take_span(cotangents[1], -1, 0, m, s);
  auto gry = take_span(cotangents[1], -1, m, n, s);
  auto gq = add(cotangents[0], matmul(y, mT(gry, s), s), s);
  auto gx = qr_tall_vjp(q, rx, gq, grx, s);
  return {concatenate({gx, matmul(q, gry, s)}, -1, s)};
}

std::vector<array> QRF::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                            const std::vector<int>&) {
  auto s = stream();
  auto& a = primals[0];
  int m = a.shape(-2), n = a.shape(-1);
  auto [q, r] = linalg::qr(a, s);
  if (m >= n) {
    auto [dq, dr] = qr_tall_jvp(q, r, tangents[0], s);
    return {dq, dr};
  }
  auto y = take_span(a, -1, m, n, s);
  auto dx = take_span(tangents[0], -1, 0, m, s);
  auto dy = take_span(tangents[0], -1, m, n, s);
  auto [dq, drx] = qr_tall_jvp(q, take_span(r, -1, 0, m, s), dx, s);
  auto dry = add(matmul(mT(dq, s), y, s), matmul(mT(q, s), dy, s), s);
  return {dq, concatenate({drx, dry}, -1, s)};
}

std::pair<std::vector<array>, std::vector<int>> QRF::vmap(const std::vector<array>& inputs,
                                                          const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  auto [q, r] = linalg::qr(x, stream());
  return batched({q, r});
}

// The singular values alone: dS = diag(U_k^T dA V_k), so a's cotangent is U_k diag(G_S) V_k^T.
// With the singular vectors, only the first K columns of U and rows of Vt depend on a (the rest
// complete a basis), so their cotangents and tangents are those of the thin SVD, as PyTorch's:
// P = U_k^T dA V_k couples the vectors through F = 1 / (s_j^2 - s_i^2), and a tall or wide
// matrix adds the components outside the span of U_k or V_k.
std::vector<array> SVD::vjp(const std::vector<array>& primals, const std::vector<array>& cotangents,
                            const std::vector<int>&, const std::vector<array>& outputs) {
  auto s = stream();
  auto& a = primals[0];
  check_real_derivative(a, "svd");
  int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n);
  auto full = compute_uv() ? outputs : svd_outputs(a, true, s);
  auto uk = take_span(full[0], -1, 0, k, s);
  auto vk = mT(take_span(full[2], -2, 0, k, s), s);
  auto& sv = full[1];
  auto& gs = compute_uv() ? cotangents[1] : cotangents[0];
  if (!compute_uv()) {
    return {matmul(multiply(uk, expand_dims(gs, -2, s), s), mT(vk, s), s)};
  }
  auto gu = take_span(cotangents[0], -1, 0, k, s);
  auto gv = mT(take_span(cotangents[2], -2, 0, k, s), s);
  auto f = coupling(square(sv, s), s);
  auto j = matmul(mT(uk, s), gu, s);
  auto kk = matmul(mT(vk, s), gv, s);
  auto sd = diag_matrix(sv, s);
  auto inner = add(diag_matrix(gs, s), matmul(multiply(f, subtract(j, mT(j, s), s), s), sd, s), s);
  inner = add(inner, matmul(sd, multiply(f, subtract(kk, mT(kk, s), s), s), s), s);
  auto ga = matmul(matmul(uk, inner, s), mT(vk, s), s);
  auto inv_s = expand_dims(reciprocal(sv, s), -2, s);
  if (m > k) {
    ga = add(ga, matmul(multiply(subtract(gu, matmul(uk, j, s), s), inv_s, s), mT(vk, s), s), s);
  }
  if (n > k) {
    auto outside = multiply(subtract(gv, matmul(vk, kk, s), s), inv_s, s);
    ga = add(ga, matmul(uk, mT(outside, s), s), s);
  }
  return {ga};
}

std::vector<array> SVD::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                            const std::vector<int>&) {
  auto s = stream();
  auto& a = primals[0];
  check_real_derivative(a, "svd");
  auto& da = tangents[0];
  int m = a.shape(-2), n = a.shape(-1), k = std::min(m, n);
  auto full = svd_outputs(a, true, s);
  auto uk = take_span(full[0], -1, 0, k, s);
  auto vk = mT(take_span(full[2], -2, 0, k, s), s);
  auto& sv = full[1];
  auto p = matmul(matmul(mT(uk, s), da, s), vk, s);
  if (!compute_uv()) {
    return {matrix_diagonal(p, s)};
  }
  auto f = coupling(square(sv, s), s);
  auto sd = diag_matrix(sv, s);
  auto du = matmul(uk, multiply(f, add(matmul(p, sd, s), matmul(sd, mT(p, s), s), s), s), s);
  auto dv = matmul(vk, multiply(f, add(matmul(sd, p, s), matmul(mT(p, s), sd, s), s), s), s);
  auto inv_s = expand_dims(reciprocal(sv, s), -2, s);
  // The columns of U past K (rows of Vt) complete a basis and get no tangent.
  if (m > k) {
    auto outside = subtract(matmul(da, vk, s), matmul(uk, p, s), s);
    du = add(du, multiply(outside, inv_s, s), s);
    du = concatenate({du, zeros_like(take_span(full[0], -1, k, m, s), s)}, -1, s);
  }
  auto dvt = mT(dv, s);
  if (n > k) {
    auto outside = subtract(matmul(mT(da, s), uk, s), matmul(vk, mT(p, s), s), s);
    dvt = mT(add(dv, multiply(outside, inv_s, s), s), s);
    dvt = concatenate({dvt, zeros_like(take_span(full[2], -2, k, n, s), s)}, -2, s);
  }
  return {du, matrix_diagonal(p, s), dvt};
}

std::pair<std::vector<array>, std::vector<int>> SVD::vmap(const std::vector<array>& inputs,
                                                          const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  return batched(svd_outputs(x, compute_uv(), stream()));
}

std::vector<array> Eig::vjp(const std::vector<array>&, const std::vector<array>&,
                            const std::vector<int>&, const std::vector<array>&) {
  no_derivative("[linalg::eig] The derivative of a general eigendecomposition is not implemented.");
}

std::vector<array> Eig::jvp(const std::vector<array>&, const std::vector<array>&,
                            const std::vector<int>&) {
  no_derivative("[linalg::eig] The derivative of a general eigendecomposition is not implemented.");
}

std::pair<std::vector<array>, std::vector<int>> Eig::vmap(const std::vector<array>& inputs,
                                                          const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  if (!compute_eigenvectors()) {
    return batched({linalg::eigvals(x, stream())});
  }
  auto [w, v] = linalg::eig(x, stream());
  return batched({w, v});
}

// dW = diag(V^T dA V) and dV = V (F o (V^T dA V)) with F = 1 / (w_j - w_i): the cotangent with
// respect to the symmetric matrix is V (diag(G_W) + F o (V^T G_V)) V^T.
std::vector<array> Eigh::vjp(const std::vector<array>& primals,
                             const std::vector<array>& cotangents, const std::vector<int>&,
                             const std::vector<array>& outputs) {
  auto s = stream();
  check_real_derivative(primals[0], "eigh");
  auto full = compute_eigenvectors() ? outputs : eigh_outputs(primals[0], uplo(), true, s);
  auto& w = full[0];
  auto& v = full[1];
  auto inner = diag_matrix(cotangents[0], s);
  if (compute_eigenvectors()) {
    inner = add(inner, multiply(coupling(w, s), matmul(mT(v, s), cotangents[1], s), s), s);
  }
  auto sym = matmul(matmul(v, inner, s), mT(v, s), s);
  return {onto_triangle(sym, uplo() == "U", s)};
}

std::vector<array> Eigh::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                             const std::vector<int>&) {
  auto s = stream();
  check_real_derivative(primals[0], "eigh");
  auto full = eigh_outputs(primals[0], uplo(), true, s);
  auto& w = full[0];
  auto& v = full[1];
  auto p = matmul(matmul(mT(v, s), symmetric_from(tangents[0], uplo() == "U", s), s), v, s);
  auto dw = matrix_diagonal(p, s);
  if (!compute_eigenvectors()) {
    return {dw};
  }
  return {dw, matmul(v, multiply(coupling(w, s), p, s), s)};
}

std::pair<std::vector<array>, std::vector<int>> Eigh::vmap(const std::vector<array>& inputs,
                                                           const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  return batched(eigh_outputs(x, uplo(), compute_eigenvectors(), stream()));
}

namespace {

// The unit lower and the upper factor of a square packed LU.
std::pair<array, array> unpack_lu(const array& lu, Stream s) {
  return {add(tril(lu, -1, s), eye_like(lu, s), s), triu(lu, 0, s)};
}

void check_square_lu(const array& a) {
  if (a.shape(-1) != a.shape(-2)) {
    no_derivative("[linalg::lu] The derivative is only implemented for square matrices.");
  }
}

}  // namespace

// With a[perm] = L U: L^-1 da[perm] U^-1 = X splits into L^-1 dL (strictly lower) and dU U^-1
// (upper), so dLU = L tril(X, -1) + triu(X) U, and the cotangent of a[perm] is
// L^-T (tril(L^T G, -1) + triu(G U^T)) U^-T. Pivots get no derivative.
std::vector<array> LUF::vjp(const std::vector<array>& primals, const std::vector<array>& cotangents,
                            const std::vector<int>&, const std::vector<array>& outputs) {
  check_square_lu(primals[0]);
  auto s = stream();
  auto [l, u] = unpack_lu(outputs[0], s);
  auto& g = cotangents[0];
  auto m = add(tril(matmul(mT(l, s), g, s), -1, s), triu(matmul(g, mT(u, s), s), 0, s), s);
  auto l_inv = linalg::tri_inv(l, false, s);
  auto u_inv = linalg::tri_inv(u, true, s);
  auto permuted = matmul(matmul(mT(l_inv, s), m, s), mT(u_inv, s), s);
  // Row i of a is row P[i] of a[perm].
  return {take_along_axis(permuted, expand_dims(outputs[2], -1, s), -2, s)};
}

std::vector<array> LUF::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                            const std::vector<int>&) {
  check_square_lu(primals[0]);
  auto s = stream();
  auto outs = lu_outputs(primals[0], s);
  auto [l, u] = unpack_lu(outs[0], s);
  auto perm = argsort(outs[2], -1, s);
  auto da = take_along_axis(tangents[0], expand_dims(perm, -1, s), -2, s);
  auto x = matmul(matmul(linalg::tri_inv(l, false, s), da, s), linalg::tri_inv(u, true, s), s);
  auto dlu = add(matmul(l, tril(x, -1, s), s), matmul(triu(x, 0, s), u, s), s);
  return {dlu, zeros_like(outs[1], s), zeros_like(outs[2], s)};
}

std::pair<std::vector<array>, std::vector<int>> LUF::vmap(const std::vector<array>& inputs,
                                                          const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  return batched(lu_outputs(x, stream()));
}

namespace {

SolveKind transposed(SolveKind kind) {
  switch (kind) {
    case SolveKind::Lower:
      return SolveKind::Upper;
    case SolveKind::Upper:
      return SolveKind::Lower;
    default:
      return SolveKind::General;
  }
}

// The part of a matrix a solve reads.
array solved_part(const array& a, SolveKind kind, Stream s) {
  return kind == SolveKind::General ? a : triangle(a, kind == SolveKind::Upper, s);
}

}  // namespace

// x = a^-1 b: b's cotangent is a^-T G and a's is -(a^-T G) x^T (on the triangle a solve reads).
std::vector<array> Solve::vjp(const std::vector<array>& primals,
                              const std::vector<array>& cotangents, const std::vector<int>& argnums,
                              const std::vector<array>& outputs) {
  auto s = stream();
  auto gb = solve_matrices(mT(primals[0], s), cotangents[0], transposed(kind()), "solve", s);
  std::vector<array> vjps;
  for (int arg : argnums) {
    vjps.push_back(
        arg == 1 ? gb : solved_part(negative(matmul(gb, mT(outputs[0], s), s), s), kind(), s));
  }
  return vjps;
}

// dx = a^-1 (db - da x).
std::vector<array> Solve::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                              const std::vector<int>& argnums) {
  auto s = stream();
  auto x = solve_matrices(primals[0], primals[1], kind(), "solve", s);
  std::optional<array> rhs;
  for (size_t i = 0; i < argnums.size(); ++i) {
    auto term = argnums[i] == 1 ? tangents[i]
                                : negative(matmul(solved_part(tangents[i], kind(), s), x, s), s);
    rhs = rhs ? add(*rhs, term, s) : term;
  }
  return {solve_matrices(primals[0], *rhs, kind(), "solve", s)};
}

std::pair<std::vector<array>, std::vector<int>> Solve::vmap(const std::vector<array>& inputs,
                                                            const std::vector<int>& axes) {
  auto in = batch_in_front(inputs, axes, stream());
  return batched({solve_matrices(in[0], in[1], kind(), "solve", stream())});
}

}  // namespace mlx::core
