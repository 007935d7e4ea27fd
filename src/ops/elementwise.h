// Internal: primitives of the elementwise families (src/ops/binary.cpp, src/ops/unary.cpp).
#pragma once

#include "mlx/ops.h"
#include "ops/primitive_params.h"

namespace mlx::core {

// ---- binary elementwise ----

// The order is the order of the rows in src/ops/binary.cpp.
enum class BinaryOp {
  Add,
  Subtract,
  Multiply,
  Divide,
  Remainder,
  FloorDivide,
  Maximum,
  Minimum,
  Power,
  ArcTan2,
  LogAddExp,
  BitwiseAnd,
  BitwiseOr,
  BitwiseXor,
  LeftShift,
  RightShift,
};

// One primitive for the whole family; the op is a row of the table in src/ops/binary.cpp.
class Binary : public PrimitiveWithParams<UnaryPrimitive, BinaryOp> {
 public:
  Binary(Stream s, BinaryOp op) : PrimitiveWithParams(s, op) {}
  BinaryOp op() const { return std::get<0>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override;
  // The name already says which op it is.
  void print(std::ostream& os) const override { os << name(); }
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {broadcast_shapes(inputs[0].shape(), inputs[1].shape())};
  }
  MLX_TRANSFORM_RULES()
};

// Quotient and remainder of floor division in one pass: {floor_divide(a, b), remainder(a, b)}.
class DivMod : public PrimitiveWithParams<Primitive> {
 public:
  explicit DivMod(Stream s) : PrimitiveWithParams(s) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>&, std::vector<array>&) override { no_gpu_backend(name()); }
  const char* name() const override { return "DivMod"; }
  MLX_TRANSFORM_RULES()
};

// ---- unary elementwise ----

// The order is the order of the rows in src/ops/unary.cpp.
enum class UnaryOp {
  Negative,
  Exp,
  Log,
  Log1p,
  Sqrt,
  Abs,
  Sign,
  Reciprocal,
  Floor,
  Ceil,
  Trunc,
  Round,
  Square,
  Rsqrt,
  Expm1,
  Log2,
  Log10,
  Sin,
  Cos,
  Tan,
  ArcSin,
  ArcCos,
  ArcTan,
  Sinh,
  Cosh,
  Tanh,
  ArcSinh,
  ArcCosh,
  ArcTanh,
  Degrees,
  Radians,
  Sigmoid,
  Erf,
  ErfInv,
  Conjugate,
  Real,
  Imag,
  BitwiseInvert
};

// One primitive for the whole family; the op is a row of the table in src/ops/unary.cpp.
class Unary : public PrimitiveWithParams<UnaryPrimitive, UnaryOp> {
 public:
  Unary(Stream s, UnaryOp op) : PrimitiveWithParams(s, op) {}
  UnaryOp op() const { return std::get<0>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override;
  void print(std::ostream& os) const override { os << name(); }
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override {
    return {inputs[0].shape()};
  }
  MLX_TRANSFORM_RULES()
};

}  // namespace mlx::core
