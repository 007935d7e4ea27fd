// Internal: primitives that only matter to the transformations.
#pragma once

#include "ops/primitive_params.h"

namespace mlx::core {

// The identity whose gradient is zero: vjp and jvp stop at it.
class StopGradient : public PrimitiveWithParams<UnaryPrimitive> {
 public:
  explicit StopGradient(Stream s) : PrimitiveWithParams(s) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override {
    out.copy_shared_buffer(inputs[0]);
  }
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  MLX_TRANSFORM_RULES()
  const char* name() const override { return "StopGradient"; }
};

// 1 where x == y, else 0, in x's dtype (x and y of one shape and dtype). Piecewise constant,
// so its derivative is zero. Used by the rules of max and min.
class EqualMask : public PrimitiveWithParams<UnaryPrimitive> {
 public:
  explicit EqualMask(Stream s) : PrimitiveWithParams(s) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  MLX_TRANSFORM_RULES()
  const char* name() const override { return "EqualMask"; }
};

namespace detail {
array equal_mask(const array& x, const array& y, Stream s);
}  // namespace detail

}  // namespace mlx::core
