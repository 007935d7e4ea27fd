// Internal: the reduction primitive (src/ops/reduce.cpp builds it, src/backend/cpu/reduce.cpp
// runs it).
#pragma once

#include "mlx/ops.h"
#include "ops/primitive_params.h"

namespace mlx::core {

namespace detail {
// The dtype of a sum or product (also a running one): small integers and bool widen to 32 bits so
// that they overflow later, as NumPy's do.
Dtype sum_dtype(Dtype d);
}  // namespace detail

// The order is the order of the names in src/ops/reduce.cpp.
enum class ReduceOp { Sum, Prod, Max, Min, And, Or };

// Reduces its input over `axes` (non-negative, sorted, unique). The output keeps the reduced axes
// with size one (builders drop them with a reshape, a view); its dtype is the builder's choice and
// the kernel picks an accumulator fit for the pair (float32 for half floats, a wrapping 32- or
// 64-bit integer for integer sums, double for integer sums that end as floats).
// The output dtype is a parameter too, so batching (vmap) rebuilds the same reduction.
class Reduce : public PrimitiveWithParams<UnaryPrimitive, ReduceOp, std::vector<int>, Dtype> {
 public:
  Reduce(Stream s, ReduceOp op, std::vector<int> axes, Dtype out_dtype)
      : PrimitiveWithParams(s, op, std::move(axes), out_dtype) {}
  Dtype out_dtype() const { return std::get<2>(state_); }
  ReduceOp op() const { return std::get<0>(state_); }
  const std::vector<int>& axes() const { return std::get<1>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override;
  // The name says which op it is; the axes follow it: "Sum(0,2)".
  void print(std::ostream& os) const override;
  // The reduced axes stay with size one.
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    auto shape = inputs[0].shape();
    for (int ax : axes()) {
      shape.at(ax) = 1;
    }
    return {shape};
  }
  MLX_TRANSFORM_RULES()
};

enum class ArgReduceOp { ArgMin, ArgMax };

// The index (uint32) of the smallest or largest value along `axis` (non-negative, not empty),
// which the output keeps with size one. Ties give the first index; a NaN beats every number
// (the first NaN wins), as in NumPy.
class ArgReduce : public PrimitiveWithParams<UnaryPrimitive, ArgReduceOp, int> {
 public:
  ArgReduce(Stream s, ArgReduceOp op, int axis) : PrimitiveWithParams(s, op, axis) {}
  ArgReduceOp op() const { return std::get<0>(state_); }
  int axis() const { return std::get<1>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return op() == ArgReduceOp::ArgMin ? "ArgMin" : "ArgMax"; }
  MLX_TRANSFORM_RULES()
};

// Softmax over the last axis (src/backend/cpu/softmax.cpp). `precise` is kept for equivalence
// with MLX; the CPU always works half floats in float32.
class Softmax : public PrimitiveWithParams<UnaryPrimitive, bool> {
 public:
  Softmax(Stream s, bool precise) : PrimitiveWithParams(s, precise) {}
  bool precise() const { return std::get<0>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Softmax"; }
  MLX_TRANSFORM_RULES()
};

// log(sum(exp(x))) over the last axis, which the output keeps with size one; -inf for an empty
// axis, the max itself when it is infinite.
class LogSumExp : public PrimitiveWithParams<UnaryPrimitive> {
 public:
  explicit LogSumExp(Stream s) : PrimitiveWithParams(s) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "LogSumExp"; }
  MLX_TRANSFORM_RULES()
};

}  // namespace mlx::core
