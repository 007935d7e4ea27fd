// The linalg primitives on the CPU: each matrix of the batch is copied into a column-major work
// buffer (LAPACK's layout) and factored by OpenBLAS's LAPACK. Where a factorization of the
// transpose gives the answer directly (inverse, Cholesky, SVD, eigh, solve with getrs' 'T'), the
// row-major copy is used as the column-major transpose and no transposing pass is needed.
//
// Threading: one large matrix runs alone with OpenBLAS's threads (LAPACK's blocked algorithms
// spend their time in BLAS 3); a batch is split over the pool with OpenBLAS single-threaded, as
// for batched matmul. cpu::BlasThreads holds the thread count for the duration (see blas.h).
#include <algorithm>
#include <complex>
#include <numeric>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "backend/cpu/blas.h"
#include "backend/cpu/lapack.h"
#include "backend/cpu/thread_pool.h"
#include "mlx/backend/common/utils.h"
#include "ops/ops.h"

namespace mlx::core {

namespace {

namespace lapack = cpu::lapack;

// Floating-point operations of one factorization: from which a batch chunk is worth a task, and
// from which one matrix gets OpenBLAS's threads (256^3).
constexpr size_t kChunkWork = size_t(1) << 16;
constexpr size_t kThreadedWork = size_t(1) << 24;

struct Batch {
  size_t count;
  int rows;
  int cols;
};

Batch batch_of(const array& a) {
  size_t count = 1;
  for (size_t i = 0; i + 2 < a.ndim(); ++i) count *= static_cast<size_t>(a.shape(i));
  return {count, a.shape(-2), a.shape(-1)};
}

// Offset (elements) of matrix i of a batch, through the leading dims' strides.
int64_t matrix_offset(const array& a, size_t i) {
  int64_t loc = 0;
  auto idx = static_cast<int64_t>(i);
  for (int d = static_cast<int>(a.ndim()) - 3; d >= 0 && idx > 0; --d) {
    loc += (idx % a.shape(d)) * a.strides()[d];
    idx /= a.shape(d);
  }
  return loc;
}

// Copies matrix i of `a` (any strides) into dst, row-major (ld = cols) or column-major
// (ld = rows).
template <typename T>
void load(const array& a, size_t i, T* dst, bool col_major) {
  const T* src = a.data<T>() + matrix_offset(a, i);
  int64_t rows = a.shape(-2), cols = a.shape(-1);
  int64_t rs = a.strides()[a.ndim() - 2], cs = a.strides()[a.ndim() - 1];
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      dst[col_major ? c * rows + r : r * cols + c] = src[r * rs + c * cs];
    }
  }
}

// dst (rows x cols, row-major) = the transpose of src (cols x rows, row-major).
template <typename T, typename U>
void transpose_into(const T* src, int rows, int cols, U* dst) {
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) dst[r * cols + c] = U(src[c * rows + r]);
  }
}

// Zeroes the strictly lower (or upper) triangle of a row-major n x n matrix.
template <typename T>
void zero_triangle(T* a, int n, bool lower) {
  for (int r = 0; r < n; ++r) {
    if (lower) {
      std::fill(a + r * n, a + r * n + r, T(0));
    } else {
      std::fill(a + r * n + r + 1, a + (r + 1) * n, T(0));
    }
  }
}

// Runs fn(begin, end) over the batch's matrices as the threading policy above says; `flops`
// estimates one matrix's work.
template <typename F>
void for_each_matrix(size_t count, size_t flops, F&& fn) {
  if (count == 0) return;
  if (count == 1) {
    // LAPACK's reductions (QR panels, bidiagonal and tridiagonal forms) make many small BLAS
    // calls, each a synchronisation of OpenBLAS's threads: below kThreadedWork it costs more
    // than it gains.
    cpu::BlasThreads threads(flops >= kThreadedWork ? cpu::num_threads() : 1);
    fn(size_t(0), size_t(1));
    return;
  }
  cpu::BlasThreads threads(1);
  cpu::parallel_for(count, std::max<size_t>(1, kChunkWork / std::max<size_t>(flops, 1)), fn);
}

size_t cube(int n) { return static_cast<size_t>(n) * n * n; }

[[noreturn]] void fail(const char* op, const std::string& what) {
  throw std::runtime_error(std::string("[linalg::") + op + "] " + what);
}

void allocate(array& out) { out.set_data(allocator::malloc(out.nbytes())); }

// The workspace size a query returned (in the real part of a complex workspace).
template <typename T>
int query_size(T w) {
  return std::max(1, static_cast<int>(std::real(w)));
}

// The real type of a (possibly complex) element type: singular values and eigenvalues of
// Hermitian matrices.
template <typename T>
using Real = std::conditional_t<std::is_same_v<T, complex64_t>, float, T>;

template <typename T>
T conj_of(T x) {
  if constexpr (std::is_same_v<T, complex64_t>) {
    return std::conj(x);
  } else {
    return x;
  }
}

// ---- kernels, one per primitive, on float or double ----

template <typename T>
void inverse(const array& a, array& out, bool tri, bool upper) {
  Batch g = batch_of(a);
  size_t count = g.count;
  int n = g.rows;
  allocate(out);
  for_each_matrix(count, cube(n), [&](size_t begin, size_t end) {
    std::vector<int> ipiv(n);
    std::vector<T> work;
    for (size_t i = begin; i < end; ++i) {
      // The row-major copy is the column-major transpose, whose inverse is the transpose of
      // the inverse: the buffer ends up holding inv(a) row-major.
      T* m = out.data<T>() + i * n * n;
      load(a, i, m, false);
      if (n == 0) continue;
      if (tri) {
        if (lapack::trtri(upper ? 'L' : 'U', n, m, n) > 0) fail("tri_inv", "Matrix is singular.");
        zero_triangle(m, n, upper);
        continue;
      }
      if (lapack::getrf(n, n, m, n, ipiv.data()) > 0) fail("inv", "Matrix is singular.");
      if (work.empty()) {
        T size;
        lapack::getri(n, m, n, ipiv.data(), &size, -1);
        work.resize(query_size(size));
      }
      lapack::getri(n, m, n, ipiv.data(), work.data(), static_cast<int>(work.size()));
    }
  });
}

template <typename T>
void cholesky(const array& a, array& out, bool upper) {
  Batch g = batch_of(a);
  size_t count = g.count;
  int n = g.rows;
  allocate(out);
  for_each_matrix(count, cube(n) / 3, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      // Row-major L is column-major L^T, the upper factor of the (symmetric) transpose.
      T* m = out.data<T>() + i * n * n;
      load(a, i, m, false);
      if (n == 0) continue;
      int info = lapack::potrf(upper ? 'L' : 'U', n, m, n);
      if (info > 0) {
        fail("cholesky", "Matrix is not positive definite (the leading minor of order " +
                             std::to_string(info) + " is not positive).");
      }
      zero_triangle(m, n, upper);
    }
  });
}

template <typename T>
void qr(const array& a, std::vector<array>& outs) {
  Batch g = batch_of(a);
  size_t count = g.count;
  int m = g.rows, n = g.cols;
  int k = std::min(m, n);
  allocate(outs[0]);
  allocate(outs[1]);
  for_each_matrix(count, 2 * cube(std::max(m, n)), [&](size_t begin, size_t end) {
    std::vector<T> buf(static_cast<size_t>(m) * n), tau(k), work;
    for (size_t i = begin; i < end; ++i) {
      T* q = outs[0].data<T>() + i * m * k;
      T* r = outs[1].data<T>() + i * k * n;
      if (k == 0) continue;
      load(a, i, buf.data(), true);
      if (work.empty()) {
        T s1, s2;
        lapack::geqrf(m, n, buf.data(), m, tau.data(), &s1, -1);
        lapack::orgqr(m, k, k, buf.data(), m, tau.data(), &s2, -1);
        work.resize(std::max(query_size(s1), query_size(s2)));
      }
      int lwork = static_cast<int>(work.size());
      lapack::geqrf(m, n, buf.data(), m, tau.data(), work.data(), lwork);
      for (int row = 0; row < k; ++row) {
        for (int col = 0; col < n; ++col) r[row * n + col] = col < row ? T(0) : buf[col * m + row];
      }
      lapack::orgqr(m, k, k, buf.data(), m, tau.data(), work.data(), lwork);
      transpose_into(buf.data(), m, k, q);
    }
  });
}

template <typename T>
void svd(const array& a, std::vector<array>& outs, bool compute_uv) {
  Batch g = batch_of(a);
  size_t count = g.count;
  int m = g.rows, n = g.cols;
  int k = std::min(m, n);
  for (auto& o : outs) allocate(o);
  array& s_out = compute_uv ? outs[1] : outs[0];
  for_each_matrix(count, 4 * cube(std::max(m, n)), [&](size_t begin, size_t end) {
    std::vector<T> buf(static_cast<size_t>(m) * n), work;
    std::vector<int> iwork(8 * static_cast<size_t>(k));
    T dummy = 0;
    for (size_t i = begin; i < end; ++i) {
      Real<T>* s = s_out.data<Real<T>>() + i * k;
      // LAPACK factors the transpose (the row-major copy): a^T = U' S Vt', so a's U is Vt'
      // and its Vt is U', each already in row-major order.
      T* u = compute_uv ? outs[0].data<T>() + i * m * m : &dummy;
      T* vt = compute_uv ? outs[2].data<T>() + i * n * n : &dummy;
      if (k == 0) {
        // An empty matrix has no singular values; its singular vectors are any basis.
        if (compute_uv) {
          std::fill(u, u + m * m, T(0));
          std::fill(vt, vt + n * n, T(0));
          for (int d = 0; d < m; ++d) u[d * m + d] = T(1);
          for (int d = 0; d < n; ++d) vt[d * n + d] = T(1);
        }
        continue;
      }
      load(a, i, buf.data(), false);
      char job = compute_uv ? 'A' : 'N';
      int ldu = compute_uv ? n : 1, ldvt = compute_uv ? m : 1;
      if (work.empty()) {
        T size;
        lapack::gesdd(job, n, m, buf.data(), n, s, vt, ldu, u, ldvt, &size, -1, iwork.data());
        work.resize(query_size(size));
      }
      int info = lapack::gesdd(job, n, m, buf.data(), n, s, vt, ldu, u, ldvt, work.data(),
                               static_cast<int>(work.size()), iwork.data());
      if (info > 0) fail("svd", "The SVD did not converge.");
      if (info < 0) fail("svd", "The input contains NaN or infinite values.");
    }
  });
}

template <typename T>
void eig(const array& a, std::vector<array>& outs, bool vectors) {
  Batch g = batch_of(a);
  size_t count = g.count;
  int n = g.rows;
  for (auto& o : outs) allocate(o);
  for_each_matrix(count, 10 * cube(n), [&](size_t begin, size_t end) {
    size_t nn = static_cast<size_t>(n) * n;
    std::vector<T> buf(nn), wr(n), wi(n), vr(vectors ? nn : 1), work;
    for (size_t i = begin; i < end; ++i) {
      if (n == 0) continue;
      load(a, i, buf.data(), true);
      char job = vectors ? 'V' : 'N';
      if (work.empty()) {
        T size;
        lapack::geev(job, n, buf.data(), n, wr.data(), wi.data(), vr.data(), n, &size, -1);
        work.resize(query_size(size));
      }
      int info = lapack::geev(job, n, buf.data(), n, wr.data(), wi.data(), vr.data(), n,
                              work.data(), static_cast<int>(work.size()));
      if (info > 0) fail(vectors ? "eig" : "eigvals", "The eigenvalues did not converge.");
      auto* w = outs[0].data<complex64_t>() + i * n;
      for (int j = 0; j < n; ++j) w[j] = complex64_t(float(wr[j]), float(wi[j]));
      if (!vectors) continue;
      // A complex pair (j, j + 1) keeps its vector's real and imaginary parts in columns j and
      // j + 1; the second eigenvalue's vector is the conjugate.
      auto* v = outs[1].data<complex64_t>() + i * nn;
      for (int j = 0; j < n; ++j) {
        const T* col = vr.data() + static_cast<size_t>(j) * n;
        bool pair = wi[j] != T(0) && j + 1 < n;
        for (int r = 0; r < n; ++r) {
          if (!pair) {
            v[r * n + j] = complex64_t(float(col[r]), 0.0f);
          } else {
            v[r * n + j] = complex64_t(float(col[r]), float(col[n + r]));
            v[r * n + j + 1] = complex64_t(float(col[r]), -float(col[n + r]));
          }
        }
        j += pair;
      }
    }
  });
}

// A complex matrix: LAPACK returns complex eigenvalues and eigenvector columns directly.
void eig_complex(const array& a, std::vector<array>& outs, bool vectors) {
  Batch g = batch_of(a);
  int n = g.rows;
  for (auto& o : outs) allocate(o);
  for_each_matrix(g.count, 40 * cube(n), [&](size_t begin, size_t end) {
    size_t nn = static_cast<size_t>(n) * n;
    std::vector<complex64_t> buf(nn), vr(vectors ? nn : 1), work;
    for (size_t i = begin; i < end; ++i) {
      if (n == 0) continue;
      load(a, i, buf.data(), true);
      auto* w = outs[0].data<complex64_t>() + i * n;
      char job = vectors ? 'V' : 'N';
      if (work.empty()) {
        complex64_t size;
        lapack::geev(job, n, buf.data(), n, w, vr.data(), n, &size, -1);
        work.resize(query_size(size));
      }
      int info = lapack::geev(job, n, buf.data(), n, w, vr.data(), n, work.data(),
                              static_cast<int>(work.size()));
      if (info > 0) fail(vectors ? "eig" : "eigvals", "The eigenvalues did not converge.");
      if (vectors) transpose_into(vr.data(), n, n, outs[1].data<complex64_t>() + i * nn);
    }
  });
}

template <typename T>
void eigh(const array& a, std::vector<array>& outs, bool lower, bool vectors) {
  Batch g = batch_of(a);
  size_t count = g.count;
  int n = g.rows;
  for (auto& o : outs) allocate(o);
  for_each_matrix(count, 4 * cube(n), [&](size_t begin, size_t end) {
    std::vector<T> buf(static_cast<size_t>(n) * n), work;
    std::vector<int> iwork;
    for (size_t i = begin; i < end; ++i) {
      if (n == 0) continue;
      // The row-major copy is the transpose, a's conjugate: a's lower triangle is its upper
      // one, and the eigenvectors come out conjugated.
      load(a, i, buf.data(), false);
      Real<T>* w = outs[0].data<Real<T>>() + i * n;
      char job = vectors ? 'V' : 'N', uplo = lower ? 'U' : 'L';
      if (work.empty()) {
        T size;
        int isize;
        lapack::syevd(job, uplo, n, buf.data(), n, w, &size, -1, &isize, -1);
        work.resize(query_size(size));
        iwork.resize(std::max(1, isize));
      }
      int info =
          lapack::syevd(job, uplo, n, buf.data(), n, w, work.data(), static_cast<int>(work.size()),
                        iwork.data(), static_cast<int>(iwork.size()));
      if (info > 0) fail(vectors ? "eigh" : "eigvalsh", "The eigenvalues did not converge.");
      if (!vectors) continue;
      T* v = outs[1].data<T>() + i * n * n;
      for (int r = 0; r < n; ++r) {
        for (int c = 0; c < n; ++c) v[r * n + c] = conj_of(buf[c * n + r]);
      }
    }
  });
}

template <typename T>
void lu(const array& a, std::vector<array>& outs) {
  Batch g = batch_of(a);
  size_t count = g.count;
  int m = g.rows, n = g.cols;
  int k = std::min(m, n);
  for (auto& o : outs) allocate(o);
  for_each_matrix(count, cube(std::max(m, n)), [&](size_t begin, size_t end) {
    std::vector<T> buf(static_cast<size_t>(m) * n);
    std::vector<int> ipiv(k), perm(m);
    for (size_t i = begin; i < end; ++i) {
      auto* pivots = outs[1].data<uint32_t>() + i * k;
      auto* rows = outs[2].data<uint32_t>() + i * m;
      load(a, i, buf.data(), true);
      // A singular U (info > 0) is still a factorization; det and solve handle it.
      if (k > 0) lapack::getrf(m, n, buf.data(), m, ipiv.data());
      transpose_into(buf.data(), m, n, outs[0].data<T>() + i * m * n);
      // perm[j] is the row of a that LU's row j factors; P is its inverse.
      std::iota(perm.begin(), perm.end(), 0);
      for (int j = 0; j < k; ++j) {
        pivots[j] = static_cast<uint32_t>(ipiv[j] - 1);
        std::swap(perm[j], perm[ipiv[j] - 1]);
      }
      for (int j = 0; j < m; ++j) rows[perm[j]] = static_cast<uint32_t>(j);
    }
  });
}

template <typename T>
void solve(const array& a, const array& b, array& out, SolveKind kind) {
  Batch g = batch_of(a);
  size_t count = g.count;
  int n = g.rows;
  int nrhs = b.shape(-1);
  allocate(out);
  for_each_matrix(
      count, cube(n) + 2 * static_cast<size_t>(n) * n * nrhs, [&](size_t begin, size_t end) {
        std::vector<T> factor(static_cast<size_t>(n) * n), x(static_cast<size_t>(n) * nrhs);
        std::vector<int> ipiv(n);
        for (size_t i = begin; i < end; ++i) {
          T* o = out.data<T>() + i * n * nrhs;
          if (n == 0 || nrhs == 0) continue;
          // The row-major copy of a is a^T column-major: solve with a^T's
          // transpose ('T'), so no transposing pass over a is needed.
          load(a, i, factor.data(), false);
          load(b, i, x.data(), true);
          if (kind == SolveKind::General) {
            if (lapack::getrf(n, n, factor.data(), n, ipiv.data()) > 0) {
              fail("solve", "Matrix is singular.");
            }
            lapack::getrs('T', n, nrhs, factor.data(), n, ipiv.data(), x.data(), n);
          } else {
            char uplo = kind == SolveKind::Lower ? 'U' : 'L';
            if (lapack::trtrs(uplo, 'T', n, nrhs, factor.data(), n, x.data(), n) > 0) {
              fail("solve_triangular", "Matrix is singular.");
            }
          }
          transpose_into(x.data(), n, nrhs, o);
        }
      });
}

// Runs kernel<float>, kernel<double> or (where Complex allows) kernel<complex64_t> for the
// input's dtype.
template <bool Complex = false, typename F>
void dispatch(Dtype dtype, const char* name, F&& f) {
  if (dtype == float32) {
    f(float{});
  } else if (dtype == float64) {
    f(double{});
  } else if (Complex && dtype == complex64) {
    if constexpr (Complex) f(complex64_t{});
  } else {
    throw std::runtime_error(std::string("[") + name + "] Unsupported dtype.");
  }
}

}  // namespace

void Inverse::eval_cpu(const std::vector<array>& inputs, array& out) {
  dispatch(out.dtype(), name(),
           [&](auto t) { inverse<decltype(t)>(inputs[0], out, tri(), upper()); });
}

void Cholesky::eval_cpu(const std::vector<array>& inputs, array& out) {
  dispatch(out.dtype(), name(), [&](auto t) { cholesky<decltype(t)>(inputs[0], out, upper()); });
}

void QRF::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  dispatch(inputs[0].dtype(), name(), [&](auto t) { qr<decltype(t)>(inputs[0], outputs); });
}

void SVD::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  dispatch<true>(inputs[0].dtype(), name(),
                 [&](auto t) { svd<decltype(t)>(inputs[0], outputs, compute_uv()); });
}

void Eig::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  if (inputs[0].dtype() == complex64) {
    eig_complex(inputs[0], outputs, compute_eigenvectors());
    return;
  }
  dispatch(inputs[0].dtype(), name(),
           [&](auto t) { eig<decltype(t)>(inputs[0], outputs, compute_eigenvectors()); });
}

void Eigh::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  dispatch<true>(inputs[0].dtype(), name(), [&](auto t) {
    eigh<decltype(t)>(inputs[0], outputs, uplo() == "L", compute_eigenvectors());
  });
}

void LUF::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  dispatch(inputs[0].dtype(), name(), [&](auto t) { lu<decltype(t)>(inputs[0], outputs); });
}

void Solve::eval_cpu(const std::vector<array>& inputs, array& out) {
  dispatch(out.dtype(), name(),
           [&](auto t) { solve<decltype(t)>(inputs[0], inputs[1], out, kind()); });
}

}  // namespace mlx::core
