// Internal: primitives of the indexing family (src/ops/indexing.cpp).
#pragma once

#include "ops/primitive_params.h"
#include "ops/shape.h"

namespace mlx::core {

// How SliceUpdate combines the update with what the region holds.
enum class SliceReduce { None, Sum, Prod, Max, Min };

// src with the strided region start:stop:strides replaced by update, or combined with it (update
// has the region's shape and src's dtype).
class SliceUpdate : public PrimitiveWithParams<UnaryPrimitive, Shape, Shape, Shape, SliceReduce> {
 public:
  SliceUpdate(Stream s, Shape start, Shape stop, Shape strides,
              SliceReduce reduce = SliceReduce::None)
      : PrimitiveWithParams(s, std::move(start), std::move(stop), std::move(strides), reduce) {}
  SliceReduce reduce() const { return std::get<3>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  MLX_TRANSFORM_RULES()
  const char* name() const override;
};

// A slice of the output's shape whose start along `axes` (non-negative, distinct) is read from
// input 1 (integer, one value per axis) when evaluated: negative starts count from the end,
// then every start is clamped so the slice fits.
class DynamicSlice : public PrimitiveWithParams<UnaryPrimitive, std::vector<int>, Shape> {
 public:
  DynamicSlice(Stream s, std::vector<int> axes, Shape slice_size)
      : PrimitiveWithParams(s, std::move(axes), std::move(slice_size)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  MLX_TRANSFORM_RULES()
  const char* name() const override { return "DynamicSlice"; }
};

// Input 0 with the region of input 1's shape (same rank and dtype) written at the start read
// from input 2, placed as DynamicSlice places it.
class DynamicSliceUpdate : public PrimitiveWithParams<UnaryPrimitive, std::vector<int>> {
 public:
  DynamicSliceUpdate(Stream s, std::vector<int> axes) : PrimitiveWithParams(s, std::move(axes)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  MLX_TRANSFORM_RULES()
  const char* name() const override { return "DynamicSliceUpdate"; }
};

// Input 0 with the positions where the bool input 1 (same shape) is true filled in row-major
// order from the flattened input 2 (same dtype). With `batched`, axis 0 of all three is a batch
// of independent problems (vmap).
class MaskedScatter : public PrimitiveWithParams<UnaryPrimitive, bool> {
 public:
  MaskedScatter(Stream s, bool batched) : PrimitiveWithParams(s, batched) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  MLX_TRANSFORM_RULES()
  const char* name() const override { return "MaskedScatter"; }
};

// The adjoint of MaskedScatter with respect to its source: the values of input 0 where the bool
// input 1 (same shape) is true, in row-major order, then zeros up to `length` (per batch row).
class MaskedGather : public PrimitiveWithParams<UnaryPrimitive, bool, int> {
 public:
  MaskedGather(Stream s, bool batched, int length) : PrimitiveWithParams(s, batched, length) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  MLX_TRANSFORM_RULES()
  const char* name() const override { return "MaskedGather"; }
};

// Its first n inputs unchanged (sharing their buffers); the other inputs are only dependencies.
class Depends : public PrimitiveWithParams<Primitive, int> {
 public:
  Depends(Stream s, int n) : PrimitiveWithParams(s, n) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>&, std::vector<array>&) override { no_gpu_backend(name()); }
  MLX_TRANSFORM_RULES()
  const char* name() const override { return "Depends"; }
};

namespace detail {
// slice and slice_update with start/stop/strides already normalised by slice() (so a stop of -1
// with a negative stride means "past the first element", not "the last one"). For rules.
array slice_normalized(const array& a, const Shape& start, const Shape& stop, const Shape& strides,
                       Stream s);
array slice_update_normalized(const array& src, const array& update, const Shape& start,
                              const Shape& stop, const Shape& strides, Stream s,
                              SliceReduce reduce = SliceReduce::None);
}  // namespace detail

}  // namespace mlx::core
