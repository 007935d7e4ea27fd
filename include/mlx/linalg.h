// Linear algebra (namespace mlx::core::linalg): norms, factorizations, inverses, solvers and
// eigenproblems over the last two axes (leading axes are a batch), through LAPACK on the CPU.
// Factorizations accept float32 and float64; eig and eigvals return complex64.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mlx/array.h"
#include "mlx/utils.h"

namespace mlx::core::linalg {

/**
 * Vector norm (one axis) or matrix norm (two axes) of order `ord`: vector ords inf, -inf, 0, 1,
 * 2 and any p; matrix ords 1, -1, 2, -2, inf, -inf. Without axes the norm runs over every axis
 * (so the input must be 1-D or 2-D).
 */
array norm(const array& a, const double ord,
           const std::optional<std::vector<int>>& axis = std::nullopt, bool keepdims = false,
           StreamOrDevice s = {});
inline array norm(const array& a, const double ord, int axis, bool keepdims = false,
                  StreamOrDevice s = {}) {
  return norm(a, ord, std::vector<int>{axis}, keepdims, s);
}

/** Matrix norm "fro" (or "f") or "nuc" over two axes (all of a 2-D input's by default). */
array norm(const array& a, const std::string& ord,
           const std::optional<std::vector<int>>& axis = std::nullopt, bool keepdims = false,
           StreamOrDevice s = {});
inline array norm(const array& a, const std::string& ord, int axis, bool keepdims = false,
                  StreamOrDevice s = {}) {
  return norm(a, ord, std::vector<int>{axis}, keepdims, s);
}

/** The 2-norm over the axes (one or two), or of the flattened input without axes. */
array norm(const array& a, const std::optional<std::vector<int>>& axis = std::nullopt,
           bool keepdims = false, StreamOrDevice s = {});
inline array norm(const array& a, int axis, bool keepdims = false, StreamOrDevice s = {}) {
  return norm(a, std::vector<int>{axis}, keepdims, s);
}

/** Reduced QR factorization: Q (..., M, K) with orthonormal columns, R (..., K, N), K = min. */
std::pair<array, array> qr(const array& a, StreamOrDevice s = {});

/** {U (..., M, M), S (..., K), Vt (..., N, N)} with a = U[:, :K] diag(S) Vt[:K], or {S}. */
std::vector<array> svd(const array& a, StreamOrDevice s = {});
std::vector<array> svd(const array& a, bool compute_uv, StreamOrDevice s = {});

/** The inverse of square matrices; a singular matrix is an error when it is evaluated. */
array inv(const array& a, StreamOrDevice s = {});

/** The inverse of triangular matrices (only the lower, or upper, triangle is read). */
array tri_inv(const array& a, bool upper = false, StreamOrDevice s = {});

/** The Moore-Penrose pseudo-inverse, through the SVD. */
array pinv(const array& a, StreamOrDevice s = {});

/** L with a = L L^T (or U with a = U^T U); reads only that triangle of a. */
array cholesky(const array& a, bool upper = false, StreamOrDevice s = {});

/** The inverse of a = L L^T (or U^T U) from its Cholesky factor. */
array cholesky_inv(const array& a, bool upper = false, StreamOrDevice s = {});

/** {P, L, U} with a = L[P] @ U: P the row indices (uint32), L unit lower, U upper. */
std::vector<array> lu(const array& a, StreamOrDevice s = {});

/** {LU, pivots}: L and U packed in one matrix, pivots LAPACK's row swaps (0-based, uint32). */
std::pair<array, array> lu_factor(const array& a, StreamOrDevice s = {});

/** x with a x = b; b is (..., N) when 1-D, else (..., N, NRHS). */
array solve(const array& a, const array& b, StreamOrDevice s = {});

/** x with a x = b for triangular a (only the lower, or upper, triangle is read). */
array solve_triangular(const array& a, const array& b, bool upper = false, StreamOrDevice s = {});

/** The cross product of vectors of size 2 or 3 along `axis` (size-2 vectors have z = 0). */
array cross(const array& a, const array& b, int axis = -1, StreamOrDevice s = {});

/** Eigenvalues and right eigenvectors (columns) of general square matrices, complex64. */
std::pair<array, array> eig(const array& a, StreamOrDevice s = {});
array eigvals(const array& a, StreamOrDevice s = {});

/** Eigenvalues (ascending) and eigenvectors of symmetric matrices, read from one triangle. */
std::pair<array, array> eigh(const array& a, std::string UPLO = "L", StreamOrDevice s = {});
array eigvalsh(const array& a, std::string UPLO = "L", StreamOrDevice s = {});

/** The determinant of square matrices. */
array det(const array& a, StreamOrDevice s = {});

/** {sign, log|det|} of square matrices ({0, -inf} for a singular one). */
std::pair<array, array> slogdet(const array& a, StreamOrDevice s = {});

}  // namespace mlx::core::linalg
