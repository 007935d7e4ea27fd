// Internal: primitives of the shape family (src/ops/shape.cpp); views where possible.
#pragma once

#include "mlx/ops.h"
#include "ops/primitive_params.h"

namespace mlx::core {

// ---- shape family: views ----

class Reshape : public PrimitiveWithParams<UnaryPrimitive, Shape> {
 public:
  Reshape(Stream s, Shape shape) : PrimitiveWithParams(s, std::move(shape)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Reshape"; }
};

class Broadcast : public PrimitiveWithParams<UnaryPrimitive, Shape> {
 public:
  Broadcast(Stream s, Shape shape) : PrimitiveWithParams(s, std::move(shape)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Broadcast"; }
};

class Slice : public PrimitiveWithParams<UnaryPrimitive, Shape, Shape, Shape> {
 public:
  Slice(Stream s, Shape start, Shape stop, Shape strides)
      : PrimitiveWithParams(s, std::move(start), std::move(stop), std::move(strides)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Slice"; }
};

}  // namespace mlx::core
