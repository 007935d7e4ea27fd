// Internal: primitives of the indexing family (src/ops/indexing.cpp).
#pragma once

#include "ops/primitive_params.h"
#include "ops/shape.h"

namespace mlx::core {

// src with the strided region start:stop:strides replaced by update (update has the region's
// shape and src's dtype).
class SliceUpdate : public PrimitiveWithParams<UnaryPrimitive, Shape, Shape, Shape> {
 public:
  SliceUpdate(Stream s, Shape start, Shape stop, Shape strides)
      : PrimitiveWithParams(s, std::move(start), std::move(stop), std::move(strides)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  MLX_TRANSFORM_RULES()
  const char* name() const override { return "SliceUpdate"; }
};

namespace detail {
// slice and slice_update with start/stop/strides already normalised by slice() (so a stop of -1
// with a negative stride means "past the first element", not "the last one"). For rules.
array slice_normalized(const array& a, const Shape& start, const Shape& stop, const Shape& strides,
                       Stream s);
array slice_update_normalized(const array& src, const array& update, const Shape& start,
                              const Shape& stop, const Shape& strides, Stream s);
}  // namespace detail

}  // namespace mlx::core
