// Internal: primitives of the scan family (src/ops/scan.cpp builds them, src/backend/cpu/scan.cpp
// runs them).
#pragma once

#include "mlx/ops.h"
#include "ops/primitive_params.h"

namespace mlx::core {

// The order is the order of the names in src/ops/scan.cpp.
enum class ScanOp { Sum, Prod, Max, Min, LogAddExp };

// The running op along `axis` (non-negative), from the end when `reverse`; an exclusive scan
// starts with the op's identity. The output has the input's dtype (builders convert first);
// half floats accumulate in float32.
class Scan : public PrimitiveWithParams<UnaryPrimitive, ScanOp, int, bool, bool> {
 public:
  Scan(Stream s, ScanOp op, int axis, bool reverse, bool inclusive)
      : PrimitiveWithParams(s, op, axis, reverse, inclusive) {}
  ScanOp op() const { return std::get<0>(state_); }
  int axis() const { return std::get<1>(state_); }
  bool reverse() const { return std::get<2>(state_); }
  bool inclusive() const { return std::get<3>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override;
  MLX_TRANSFORM_RULES()
};

// The derivative of a Prod, Max, Min or LogAddExp scan (same parameters) at input 0 (x, a real
// float dtype): with `vjp`, the cotangent of x for the output cotangent in input 1; else the
// output tangent for the tangent of x in input 1. One pass per line, exact where x has zeros
// (products use exclusive products) and stable for logcumsumexp; the running max and min route
// each output's cotangent to the position it came from (the last one among ties). It has no
// derivative of its own.
class ScanGrad : public PrimitiveWithParams<UnaryPrimitive, ScanOp, int, bool, bool, bool> {
 public:
  ScanGrad(Stream s, ScanOp op, int axis, bool reverse, bool inclusive, bool vjp)
      : PrimitiveWithParams(s, op, axis, reverse, inclusive, vjp) {}
  ScanOp op() const { return std::get<0>(state_); }
  int axis() const { return std::get<1>(state_); }
  bool reverse() const { return std::get<2>(state_); }
  bool inclusive() const { return std::get<3>(state_); }
  bool is_vjp() const { return std::get<4>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "ScanGrad"; }
  MLX_TRANSFORM_RULES()
};

}  // namespace mlx::core
