// Internal: primitives of the matmul family (src/ops/matmul.cpp).
#pragma once

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
  MLX_TRANSFORM_RULES()
};

}  // namespace mlx::core
