// Internal: primitives of the quantization family (src/ops/quantized.cpp); layouts and rounding
// in ../shared/QUANT.md.
#pragma once

#include "mlx/ops.h"
#include "ops/primitive_params.h"

namespace mlx::core {

enum class QuantMode { Affine, Mxfp4, Mxfp8, Nvfp4 };

// {wq, scales, biases} (affine) or {wq, scales} (fp modes) from w, along the last axis. Inputs:
// w, and for nvfp4 optionally the global scale (a float32 scalar: the tensor's absolute maximum).
class Quantize : public PrimitiveWithParams<Primitive, int, int, QuantMode> {
 public:
  Quantize(Stream s, int group_size, int bits, QuantMode mode)
      : PrimitiveWithParams(s, group_size, bits, mode) {}
  int group_size() const { return std::get<0>(state_); }
  int bits() const { return std::get<1>(state_); }
  QuantMode mode() const { return std::get<2>(state_); }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>&, std::vector<array>&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Quantize"; }
  MLX_TRANSFORM_RULES()
};

// The inverse: inputs wq, scales, and biases (affine) or the global scale (nvfp4, optional);
// the result has dtype `dtype`.
class Dequantize : public PrimitiveWithParams<UnaryPrimitive, int, int, QuantMode, Dtype> {
 public:
  Dequantize(Stream s, int group_size, int bits, QuantMode mode, Dtype dtype)
      : PrimitiveWithParams(s, group_size, bits, mode, dtype) {}
  int group_size() const { return std::get<0>(state_); }
  int bits() const { return std::get<1>(state_); }
  QuantMode mode() const { return std::get<2>(state_); }
  Dtype dtype() const { return std::get<3>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Dequantize"; }
  MLX_TRANSFORM_RULES()
};

// x @ dequantize(w).T (transpose) or x @ dequantize(w). Inputs x (batch..., M, K), w, scales
// and, in affine mode, biases, with w's batch dims (if any) broadcast to x's; x, scales and
// biases have the output's dtype (affine) or x has it (fp modes, uint8 scales).
class QuantizedMatmul : public PrimitiveWithParams<UnaryPrimitive, int, int, QuantMode, bool> {
 public:
  QuantizedMatmul(Stream s, int group_size, int bits, QuantMode mode, bool transpose)
      : PrimitiveWithParams(s, group_size, bits, mode, transpose) {}
  int group_size() const { return std::get<0>(state_); }
  int bits() const { return std::get<1>(state_); }
  QuantMode mode() const { return std::get<2>(state_); }
  bool transpose() const { return std::get<3>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "QuantizedMatmul"; }
  MLX_TRANSFORM_RULES()
};

// quantized_matmul of x's and w's matrices picked by index arrays: inputs x, w, scales,
// [biases], lhs_indices, rhs_indices (uint32, one shape: the output's batch shape). An index
// past the batch raises at eval.
class GatherQMM : public PrimitiveWithParams<UnaryPrimitive, int, int, QuantMode, bool> {
 public:
  GatherQMM(Stream s, int group_size, int bits, QuantMode mode, bool transpose)
      : PrimitiveWithParams(s, group_size, bits, mode, transpose) {}
  int group_size() const { return std::get<0>(state_); }
  int bits() const { return std::get<1>(state_); }
  QuantMode mode() const { return std::get<2>(state_); }
  bool transpose() const { return std::get<3>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "GatherQMM"; }
  MLX_TRANSFORM_RULES()
};

// Float to FP8 E4M3 bytes (to_fp8 = true, dtype uint8) or back to the float dtype `dtype`.
class ConvertFP8 : public PrimitiveWithParams<UnaryPrimitive, bool, Dtype> {
 public:
  ConvertFP8(Stream s, bool to_fp8, Dtype dtype) : PrimitiveWithParams(s, to_fp8, dtype) {}
  bool to_fp8() const { return std::get<0>(state_); }
  Dtype dtype() const { return std::get<1>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return to_fp8() ? "ToFP8" : "FromFP8"; }
  MLX_TRANSFORM_RULES()
};

}  // namespace mlx::core
