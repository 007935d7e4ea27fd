// Internal: primitives of the linalg family (src/ops/linalg.cpp builds them and holds their
// transform rules; src/backend/cpu/linalg.cpp runs them through LAPACK). Each works on the last
// two axes of float32 or float64 inputs; leading axes are a batch.
#pragma once

#include <string>

#include "mlx/linalg.h"
#include "mlx/ops.h"
#include "ops/primitive_params.h"

namespace mlx::core {

// {Q (..., M, K), R (..., K, N)}, K = min(M, N).
class QRF : public PrimitiveWithParams<Primitive> {
 public:
  explicit QRF(Stream s) : PrimitiveWithParams(s) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>&, std::vector<array>&) override { no_gpu_backend(name()); }
  const char* name() const override { return "QRF"; }
  MLX_TRANSFORM_RULES()
};

// {U (..., M, M), S (..., K), Vt (..., N, N)} (full matrices), or {S} without compute_uv.
class SVD : public PrimitiveWithParams<Primitive, bool> {
 public:
  SVD(Stream s, bool compute_uv) : PrimitiveWithParams(s, compute_uv) {}
  bool compute_uv() const { return std::get<0>(state_); }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>&, std::vector<array>&) override { no_gpu_backend(name()); }
  const char* name() const override { return "SVD"; }
  MLX_TRANSFORM_RULES()
};

// The inverse; with `tri`, of the lower (or upper) triangle, the other triangle of the output
// zero.
class Inverse : public PrimitiveWithParams<UnaryPrimitive, bool, bool> {
 public:
  Inverse(Stream s, bool tri, bool upper) : PrimitiveWithParams(s, tri, upper) {}
  bool tri() const { return std::get<0>(state_); }
  bool upper() const { return std::get<1>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Inverse"; }
  MLX_TRANSFORM_RULES()
};

// The Cholesky factor of the symmetric matrix held in the lower (or upper) triangle.
class Cholesky : public PrimitiveWithParams<UnaryPrimitive, bool> {
 public:
  Cholesky(Stream s, bool upper) : PrimitiveWithParams(s, upper) {}
  bool upper() const { return std::get<0>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Cholesky"; }
  MLX_TRANSFORM_RULES()
};

// {values (..., N)} or {values, vectors (..., N, N)} of a general matrix, complex64.
class Eig : public PrimitiveWithParams<Primitive, bool> {
 public:
  Eig(Stream s, bool compute_eigenvectors) : PrimitiveWithParams(s, compute_eigenvectors) {}
  bool compute_eigenvectors() const { return std::get<0>(state_); }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>&, std::vector<array>&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Eig"; }
  MLX_TRANSFORM_RULES()
};

// {values (ascending)} or {values, vectors (columns)} of the symmetric matrix held in the
// triangle `uplo` ("L" or "U") names.
class Eigh : public PrimitiveWithParams<Primitive, std::string, bool> {
 public:
  Eigh(Stream s, std::string uplo, bool compute_eigenvectors)
      : PrimitiveWithParams(s, std::move(uplo), compute_eigenvectors) {}
  const std::string& uplo() const { return std::get<0>(state_); }
  bool compute_eigenvectors() const { return std::get<1>(state_); }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>&, std::vector<array>&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Eigh"; }
  MLX_TRANSFORM_RULES()
};

// {LU (..., M, N) packed (L's unit diagonal implied), pivots (..., K) LAPACK's 0-based row
// swaps, row indices (..., M) P with a = L[P] @ U}, the last two uint32.
class LUF : public PrimitiveWithParams<Primitive> {
 public:
  explicit LUF(Stream s) : PrimitiveWithParams(s) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>&, std::vector<array>&) override { no_gpu_backend(name()); }
  const char* name() const override { return "LUF"; }
  MLX_TRANSFORM_RULES()
};

// Which matrix Solve factors: a general one (LU with partial pivoting) or a triangle of it.
enum class SolveKind { General, Lower, Upper };

// x with a x = b for a (..., N, N) and b (..., N, NRHS) of one dtype, batch dims already
// broadcast (stride 0 allowed). A singular matrix is an error when the kernel runs.
class Solve : public PrimitiveWithParams<UnaryPrimitive, SolveKind> {
 public:
  Solve(Stream s, SolveKind kind) : PrimitiveWithParams(s, kind) {}
  SolveKind kind() const { return std::get<0>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Solve"; }
  MLX_TRANSFORM_RULES()
};

}  // namespace mlx::core
