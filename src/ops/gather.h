// Internal: primitives of the gather family (src/ops/gather.cpp builds them and holds their
// rules, src/backend/cpu/gather.cpp runs them).
//
// Index values wrap from the end in [-n, n) (n: the axis size); a value outside, or a slice that
// would not fit after the indexed position, makes eval_cpu throw std::runtime_error naming the
// op, the index and the axis, and no kernel reads or writes outside a buffer. Index arrays may
// have any integer dtype (not bool), each its own.
#pragma once

#include "mlx/ops.h"
#include "ops/primitive_params.h"

namespace mlx::core {

// Inputs: a, then one index array per axis (all of one shape, the index shape). The output has
// shape index shape + slice_sizes: the slice of a of slice_sizes starting at the indexed
// positions along `axes` (non-negative, unique) and at 0 along the other axes.
class Gather : public PrimitiveWithParams<UnaryPrimitive, std::vector<int>, Shape> {
 public:
  Gather(Stream s, std::vector<int> axes, Shape slice_sizes)
      : PrimitiveWithParams(s, std::move(axes), std::move(slice_sizes)) {}
  const std::vector<int>& axes() const { return std::get<0>(state_); }
  const Shape& slice_sizes() const { return std::get<1>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Gather"; }
  MLX_TRANSFORM_RULES()
};

// Inputs: a and indices of a's rank whose shape equals a's except along `axis` (non-negative).
// out[.., j, ..] = a[.., indices[.., j, ..], ..] (take_along_axis).
class GatherAxis : public PrimitiveWithParams<UnaryPrimitive, int> {
 public:
  GatherAxis(Stream s, int axis) : PrimitiveWithParams(s, axis) {}
  int axis() const { return std::get<0>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "GatherAxis"; }
  MLX_TRANSFORM_RULES()
};

// How a scatter combines an update with what is at its position. The order is the order of the
// names in src/ops/gather.cpp.
enum class ScatterOp { None, Sum, Prod, Max, Min };

// Inputs: a, one index array per axis (all of one shape, the index shape), then updates of
// shape index shape + a slice shape of a's rank, in a's dtype. The output is a with each update
// slice combined into the slice starting at the indexed positions along `axes` (non-negative,
// unique) and at 0 along the other axes. With ScatterOp::None, of several updates to one position
// the last in row-major order wins; the other ops combine them all.
class Scatter : public PrimitiveWithParams<UnaryPrimitive, ScatterOp, std::vector<int>> {
 public:
  Scatter(Stream s, ScatterOp op, std::vector<int> axes)
      : PrimitiveWithParams(s, op, std::move(axes)) {}
  ScatterOp op() const { return std::get<0>(state_); }
  const std::vector<int>& axes() const { return std::get<1>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override;
  MLX_TRANSFORM_RULES()
};

// Inputs: a, indices of a's rank whose shape equals a's except along `axis` (non-negative), and
// values of the indices' shape in a's dtype: out = a with out[.., indices[.., j, ..], ..] set to
// (None, the last write in row-major order wins) or increased by (Sum) values[.., j, ..].
class ScatterAxis : public PrimitiveWithParams<UnaryPrimitive, ScatterOp, int> {
 public:
  ScatterAxis(Stream s, ScatterOp op, int axis) : PrimitiveWithParams(s, op, axis) {}
  ScatterOp op() const { return std::get<0>(state_); }
  int axis() const { return std::get<1>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override {
    return op() == ScatterOp::Sum ? "ScatterAxisSum" : "ScatterAxis";
  }
  MLX_TRANSFORM_RULES()
};

namespace detail {
// The op name a scatter reports in its errors ("scatter_add", "put_along_axis", ...).
const char* scatter_op_name(ScatterOp op, bool along_axis);
}  // namespace detail

}  // namespace mlx::core
