// Internal: primitives of the shape family (src/ops/shape.cpp); views where possible.
#pragma once

#include "mlx/ops.h"
#include "ops/primitive_params.h"

namespace mlx::core {

// ---- shape family: views ----

// A view when the input's strides allow splitting and merging its dims (NumPy's no-copy rule),
// else a row-major copy.
class Reshape : public PrimitiveWithParams<UnaryPrimitive, Shape> {
 public:
  Reshape(Stream s, Shape shape) : PrimitiveWithParams(s, std::move(shape)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Reshape"; }
  MLX_TRANSFORM_RULES()
};

class Broadcast : public PrimitiveWithParams<UnaryPrimitive, Shape> {
 public:
  Broadcast(Stream s, Shape shape) : PrimitiveWithParams(s, std::move(shape)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Broadcast"; }
  MLX_TRANSFORM_RULES()
};

// A strided view (the slice op). Named SliceView because mlx::core::Slice is the index type of
// mlx/indexing.h.
class SliceView : public PrimitiveWithParams<UnaryPrimitive, Shape, Shape, Shape> {
 public:
  SliceView(Stream s, Shape start, Shape stop, Shape strides)
      : PrimitiveWithParams(s, std::move(start), std::move(stop), std::move(strides)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Slice"; }
  MLX_TRANSFORM_RULES()
};

// Output dim i is input dim axes[i] (axes is a permutation, non-negative).
class Transpose : public PrimitiveWithParams<UnaryPrimitive, std::vector<int>> {
 public:
  Transpose(Stream s, std::vector<int> axes) : PrimitiveWithParams(s, std::move(axes)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Transpose"; }
  MLX_TRANSFORM_RULES()
};

// Inserts size-one dims at the given axes of the output (sorted, non-negative).
class ExpandDims : public PrimitiveWithParams<UnaryPrimitive, std::vector<int>> {
 public:
  ExpandDims(Stream s, std::vector<int> axes) : PrimitiveWithParams(s, std::move(axes)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "ExpandDims"; }
  MLX_TRANSFORM_RULES()
};

// Removes the given size-one axes of the input (sorted, non-negative).
class Squeeze : public PrimitiveWithParams<UnaryPrimitive, std::vector<int>> {
 public:
  Squeeze(Stream s, std::vector<int> axes) : PrimitiveWithParams(s, std::move(axes)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Squeeze"; }
  MLX_TRANSFORM_RULES()
};

// Reinterprets the input's bits as the output's dtype; a view of row-contiguous inputs (of any
// layout when the itemsizes match).
class View : public PrimitiveWithParams<UnaryPrimitive, Dtype> {
 public:
  View(Stream s, Dtype dtype) : PrimitiveWithParams(s, dtype) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "View"; }
  MLX_TRANSFORM_RULES()
};

// A view of the input's elements in row-major order (copied first when the input is not
// row-contiguous) with the given strides and offset, in elements; the builder checks the bounds.
class AsStrided : public PrimitiveWithParams<UnaryPrimitive, Shape, Strides, int64_t> {
 public:
  AsStrided(Stream s, Shape shape, Strides strides, int64_t offset)
      : PrimitiveWithParams(s, std::move(shape), std::move(strides), offset) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "AsStrided"; }
  MLX_TRANSFORM_RULES()
};

// The adjoint of AsStrided: adds each input element into the (row-major, zero-initialised)
// output of the given shape at the position AsStrided would have read it from.
class AsStridedAdd : public PrimitiveWithParams<UnaryPrimitive, Shape, Strides, int64_t> {
 public:
  AsStridedAdd(Stream s, Shape shape, Strides strides, int64_t offset)
      : PrimitiveWithParams(s, std::move(shape), std::move(strides), offset) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "AsStridedAdd"; }
  MLX_TRANSFORM_RULES()
};

// The product of the input's dims over the given (non-negative) axes, or its inverse, read
// from the input's shape when evaluated.
class NumberOfElements : public PrimitiveWithParams<UnaryPrimitive, std::vector<int>, bool, Dtype> {
 public:
  NumberOfElements(Stream s, std::vector<int> axes, bool inverted, Dtype dtype)
      : PrimitiveWithParams(s, std::move(axes), inverted, dtype) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "NumberOfElements"; }
  MLX_TRANSFORM_RULES()
};

// ---- shape family: copies ----

// Shares the input when its layout (known only once it is computed) is already row-contiguous,
// or column-contiguous when allowed; copies it to row-major otherwise.
class Contiguous : public PrimitiveWithParams<UnaryPrimitive, bool> {
 public:
  Contiguous(Stream s, bool allow_col_major) : PrimitiveWithParams(s, allow_col_major) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Contiguous"; }
  MLX_TRANSFORM_RULES()
};

// Joins its inputs (all of the output's dtype) along a non-negative axis.
class Concatenate : public PrimitiveWithParams<UnaryPrimitive, int> {
 public:
  Concatenate(Stream s, int axis) : PrimitiveWithParams(s, axis) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Concatenate"; }
  MLX_TRANSFORM_RULES()
};

namespace detail {
// An axis in [-ndim, ndim) as an index in [0, ndim); anything else is an invalid_argument
// "[op] Received invalid axis ...".
int normalize_axis(const char* op, int axis, const array& a);
}  // namespace detail

}  // namespace mlx::core
