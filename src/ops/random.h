// Internal: the primitive behind mlx/random.h (builders and rules in src/random/random.cpp).
#pragma once

#include "mlx/ops.h"
#include "ops/primitive_params.h"

namespace mlx::core {

// Threefry-2x32 bits of `width` bytes per element from keys of shape (..., 2). The output's
// shape (`shape`) starts with the keys' leading dims: each key fills its own contiguous block.
class RandomBits : public PrimitiveWithParams<UnaryPrimitive, Shape, int> {
 public:
  RandomBits(Stream s, Shape shape, int width) : PrimitiveWithParams(s, std::move(shape), width) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "RandomBits"; }
  MLX_TRANSFORM_RULES()
};

}  // namespace mlx::core
