// Internal: primitives of the matmul family (src/ops/matmul.cpp builds them and holds their
// transform rules; src/backend/cpu/matmul.cpp and hadamard.cpp run them).
#pragma once

#include <algorithm>

#include "mlx/ops.h"
#include "ops/primitive_params.h"

namespace mlx::core {

// Batched matrix product: inputs (batch..., M, K) and (batch..., K, N) of the output's dtype,
// already broadcast to the output's batch shape (broadcast dims have stride 0, never copied).
class Matmul : public PrimitiveWithParams<UnaryPrimitive> {
 public:
  explicit Matmul(Stream s) : PrimitiveWithParams(s) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Matmul"; }
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    auto& a = inputs[0].shape();
    auto& b = inputs[1].shape();
    if (a.size() < 2 || a.size() != b.size() || a.back() != b[b.size() - 2] ||
        !std::equal(a.begin(), a.end() - 2, b.begin())) {
      throw std::invalid_argument("[Matmul] Input shapes do not fit together.");
    }
    auto shape = a;
    shape.back() = b.back();
    return {shape};
  }
  MLX_TRANSFORM_RULES()
};

// beta * c + alpha * (a @ b): Matmul's inputs plus c, broadcast to the output's shape. c is
// copied into the output and GEMM accumulates onto it (its beta).
class AddMM : public PrimitiveWithParams<UnaryPrimitive, float, float> {
 public:
  AddMM(Stream s, float alpha, float beta) : PrimitiveWithParams(s, alpha, beta) {}
  float alpha() const { return std::get<0>(state_); }
  float beta() const { return std::get<1>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "AddMM"; }
  MLX_TRANSFORM_RULES()
};

// out[i] = a[lhs[i]] @ b[rhs[i]]: a (batch_a..., M, K), b (batch_b..., K, N) of the output's
// dtype; lhs and rhs uint32 of one shape, indexing the row-major flattened batch dims of a and
// b. An index past the end is an error when the kernel runs. The flags record that an index
// array was sorted (a hint, kept for equivalence as MLX does).
class GatherMM : public PrimitiveWithParams<UnaryPrimitive, bool, bool> {
 public:
  GatherMM(Stream s, bool left_sorted, bool right_sorted)
      : PrimitiveWithParams(s, left_sorted, right_sorted) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "GatherMM"; }
  MLX_TRANSFORM_RULES()
};

// out[s] = a[:, start_s:end_s] @ b[start_s:end_s, :] for a (M, K), b (K, N) and segments
// (..., 2) uint32 holding [start, end) pairs; a pair outside [0, K] or with end < start is an
// error when the kernel runs.
class SegmentedMM : public PrimitiveWithParams<UnaryPrimitive> {
 public:
  explicit SegmentedMM(Stream s) : PrimitiveWithParams(s) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "SegmentedMM"; }
  MLX_TRANSFORM_RULES()
};

// scale * (H_m kron H_2^k) x along the last axis (size m * 2^k, m in {1, 12, 20, 28}), with
// Sylvester's H_2^k and the m x m matrices MLX uses; `transposed` applies the transpose instead
// (H_20 and H_28 are not symmetric), which the vjp needs. Accumulates in float32 (float64 for
// float64) and rounds once.
class Hadamard : public PrimitiveWithParams<UnaryPrimitive, float, bool> {
 public:
  Hadamard(Stream s, float scale, bool transposed) : PrimitiveWithParams(s, scale, transposed) {}
  float scale() const { return std::get<0>(state_); }
  bool transposed() const { return std::get<1>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Hadamard"; }
  MLX_TRANSFORM_RULES()
};

namespace detail {
// n = m * 2^k with m in {1, 12, 20, 28}: returns m, or 0 when n has no such form.
int hadamard_factor(int n);
}  // namespace detail

}  // namespace mlx::core
