// Internal: primitives of the comparison family (src/ops/compare.cpp): comparisons and binary
// logical ops (bool results), predicates on one input, isclose, and selection (where).
#pragma once

#include "mlx/ops.h"
#include "ops/primitive_params.h"

namespace mlx::core {

// The order is the order of the rows in src/ops/compare.cpp.
enum class CompareOp {
  Equal,
  NotEqual,
  Greater,
  GreaterEqual,
  Less,
  LessEqual,
  // Equal, with NaN equal to NaN (array_equal with equal_nan).
  NaNEqual,
  LogicalAnd,
  LogicalOr,
  LogicalXor,
};

// Two inputs of one dtype (broadcast to the output's shape) to a bool output. The logical rows
// take bool inputs.
class Compare : public PrimitiveWithParams<UnaryPrimitive, CompareOp> {
 public:
  Compare(Stream s, CompareOp op) : PrimitiveWithParams(s, op) {}
  CompareOp op() const { return std::get<0>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override;
  void print(std::ostream& os) const override { os << name(); }
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {broadcast_shapes(inputs[0].shape(), inputs[1].shape())};
  }
  MLX_TRANSFORM_RULES()
};

// The order is the order of the rows in src/ops/compare.cpp.
enum class PredicateOp { IsNaN, IsInf, IsPosInf, IsNegInf, IsFinite, LogicalNot };

// One input of any dtype to a bool output of its shape.
class Predicate : public PrimitiveWithParams<UnaryPrimitive, PredicateOp> {
 public:
  Predicate(Stream s, PredicateOp op) : PrimitiveWithParams(s, op) {}
  PredicateOp op() const { return std::get<0>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override;
  void print(std::ostream& os) const override { os << name(); }
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  MLX_TRANSFORM_RULES()
};

// isclose in one pass: (rtol, atol, equal_nan); two inputs of one dtype to bool.
class IsClose : public PrimitiveWithParams<UnaryPrimitive, double, double, bool> {
 public:
  IsClose(Stream s, double rtol, double atol, bool equal_nan)
      : PrimitiveWithParams(s, rtol, atol, equal_nan) {}
  double rtol() const { return std::get<0>(state_); }
  double atol() const { return std::get<1>(state_); }
  bool equal_nan() const { return std::get<2>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "IsClose"; }
  MLX_TRANSFORM_RULES()
};

// nan_to_num of a floating input in one pass: the replacements of (NaN, +inf, -inf).
class NanToNum : public PrimitiveWithParams<UnaryPrimitive, double, double, double> {
 public:
  NanToNum(Stream s, double nan, double posinf, double neginf)
      : PrimitiveWithParams(s, nan, posinf, neginf) {}
  double nan() const { return std::get<0>(state_); }
  double posinf() const { return std::get<1>(state_); }
  double neginf() const { return std::get<2>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "NanToNum"; }
  MLX_TRANSFORM_RULES()
};

// where: inputs (condition as bool, x, y), all of the output's shape, x and y of its dtype.
class Select : public PrimitiveWithParams<UnaryPrimitive> {
 public:
  explicit Select(Stream s) : PrimitiveWithParams(s) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Select"; }
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {broadcast_shapes(inputs[0].shape(),
                             broadcast_shapes(inputs[1].shape(), inputs[2].shape()))};
  }
  MLX_TRANSFORM_RULES()
};

}  // namespace mlx::core
