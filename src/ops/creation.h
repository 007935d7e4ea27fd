// Internal: primitives of the creation and copy family (src/ops/creation.cpp).
#pragma once

#include "mlx/ops.h"
#include "ops/primitive_params.h"

namespace mlx::core {

namespace detail {
// Throws "[op] Negative dimensions are not allowed, ..." for a shape with a negative dimension.
void check_shape(const Shape& shape, const char* op);
}  // namespace detail

// ---- copy family: materialising and converting data ----

// Converts to the output's dtype.
class AsType : public PrimitiveWithParams<UnaryPrimitive, Dtype> {
 public:
  AsType(Stream s, Dtype dtype) : PrimitiveWithParams(s, dtype) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "AsType"; }
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  MLX_TRANSFORM_RULES()
};

// The same values; shares the input's buffer (arrays are immutable).
class Copy : public PrimitiveWithParams<UnaryPrimitive> {
 public:
  explicit Copy(Stream s) : PrimitiveWithParams(s) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Copy"; }
  MLX_TRANSFORM_RULES()
};

// Materialises its (broadcast) input into a new contiguous buffer.
class Full : public PrimitiveWithParams<UnaryPrimitive> {
 public:
  explicit Full(Stream s) : PrimitiveWithParams(s) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Full"; }
  MLX_TRANSFORM_RULES()
};

// ---- creation ----

class Arange : public PrimitiveWithParams<UnaryPrimitive, double, double, double> {
 public:
  Arange(Stream s, double start, double stop, double step)
      : PrimitiveWithParams(s, start, stop, step) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Arange"; }
};

// Evenly spaced values from start to stop (included when `endpoint`), as many as the output has.
class Linspace : public PrimitiveWithParams<UnaryPrimitive, double, double, bool> {
 public:
  Linspace(Stream s, double start, double stop, bool endpoint)
      : PrimitiveWithParams(s, start, stop, endpoint) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Linspace"; }
};

// A matrix with ones on the k-th diagonal.
class Eye : public PrimitiveWithParams<UnaryPrimitive, int> {
 public:
  Eye(Stream s, int k) : PrimitiveWithParams(s, k) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Eye"; }
};

// A matrix with ones at and below the k-th diagonal.
class Tri : public PrimitiveWithParams<UnaryPrimitive, int> {
 public:
  Tri(Stream s, int k) : PrimitiveWithParams(s, k) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Tri"; }
};

}  // namespace mlx::core
