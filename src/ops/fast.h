// Internal: the fused primitives of mlx::core::fast (src/ops/fast.cpp builds them and holds their
// rules, src/backend/cpu/fast.cpp runs them). Names follow MLX's fast_primitives.h.
#pragma once

#include "mlx/fast.h"
#include "mlx/ops.h"
#include "ops/primitive_params.h"

namespace mlx::core::fast {

// A fused primitive that computes what a composition of ops (its fallback, a function of its
// parameters) would. Derivatives and batching come from the fallback unless a primitive has a
// fused rule of its own.
class Custom : public Primitive {
 public:
  using Primitive::Primitive;
  virtual std::vector<array> fallback(const std::vector<array>& inputs) = 0;
  void eval_gpu(const std::vector<array>&, std::vector<array>&) override { no_gpu_backend(name()); }
  MLX_TRANSFORM_RULES()
};

// x * rsqrt(mean(x^2) + eps) * w over the last axis. Inputs x and w (shape (D,), or a scalar 1
// when there is no weight) of the output dtype; half floats accumulate in float32.
class RMSNorm : public PrimitiveWithParams<Custom, float> {
 public:
  RMSNorm(Stream s, float eps) : PrimitiveWithParams(s, eps) {}
  float eps() const { return std::get<0>(state_); }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  std::vector<array> fallback(const std::vector<array>& inputs) override;
  std::vector<array> vjp(const std::vector<array>& primals, const std::vector<array>& cotangents,
                         const std::vector<int>& argnums,
                         const std::vector<array>& outputs) override;
  const char* name() const override { return "RMSNorm"; }
};

// The cotangents (dx, dw) of RMSNorm for inputs x, w and the output cotangent g, in one pass
// over the rows (dw is summed in per-chunk partials).
class RMSNormVJP : public PrimitiveWithParams<Custom, float> {
 public:
  RMSNormVJP(Stream s, float eps) : PrimitiveWithParams(s, eps) {}
  float eps() const { return std::get<0>(state_); }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  std::vector<array> fallback(const std::vector<array>& inputs) override;
  const char* name() const override { return "RMSNormVJP"; }
};

// (x - mean) * rsqrt(var + eps) * w + b over the last axis. Inputs x, w (or a scalar 1), b (or
// a scalar 0) of the output dtype.
class LayerNorm : public PrimitiveWithParams<Custom, float> {
 public:
  LayerNorm(Stream s, float eps) : PrimitiveWithParams(s, eps) {}
  float eps() const { return std::get<0>(state_); }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  std::vector<array> fallback(const std::vector<array>& inputs) override;
  std::vector<array> vjp(const std::vector<array>& primals, const std::vector<array>& cotangents,
                         const std::vector<int>& argnums,
                         const std::vector<array>& outputs) override;
  const char* name() const override { return "LayerNorm"; }
};

// The cotangents (dx, dw, db) of LayerNorm for inputs x, w, b and the output cotangent g.
class LayerNormVJP : public PrimitiveWithParams<Custom, float> {
 public:
  LayerNormVJP(Stream s, float eps) : PrimitiveWithParams(s, eps) {}
  float eps() const { return std::get<0>(state_); }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  std::vector<array> fallback(const std::vector<array>& inputs) override;
  const char* name() const override { return "LayerNormVJP"; }
};

// Rotary embedding of x (ndim >= 3) by angle (offset + t) * scale * f_i at position t along
// axis -2, f_i = base^(-2i/dims) or 1 / freqs[i]; `forward` false rotates back (the vjp).
// Inputs x, offset (int32, one value or one per x.shape(0)) and, when given, freqs (float32).
class RoPE : public PrimitiveWithParams<Custom, int, bool, float, float, bool> {
 public:
  RoPE(Stream s, int dims, bool traditional, float base, float scale, bool forward)
      : PrimitiveWithParams(s, dims, traditional, base, scale, forward) {}
  int dims() const { return std::get<0>(state_); }
  bool traditional() const { return std::get<1>(state_); }
  float base() const { return std::get<2>(state_); }
  float scale() const { return std::get<3>(state_); }
  bool forward() const { return std::get<4>(state_); }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  std::vector<array> fallback(const std::vector<array>& inputs) override;
  std::vector<array> vjp(const std::vector<array>& primals, const std::vector<array>& cotangents,
                         const std::vector<int>& argnums,
                         const std::vector<array>& outputs) override;
  std::vector<array> jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                         const std::vector<int>& argnums) override;
  std::pair<std::vector<array>, std::vector<int>> vmap(const std::vector<array>& inputs,
                                                       const std::vector<int>& axes) override;
  const char* name() const override { return "RoPE"; }
};

// softmax(scale * q k^T + mask) v for q (B, Hq, L, D), k (B, Hkv, S, D), v (B, Hkv, S, Dv), then
// the mask (bool or of the output dtype, broadcast to (B, Hq, L, S)) when given and the sinks
// (Hq,) when `has_sinks`. With `output_logsumexp` a second output (B, Hq, L, 1), float32
// (float64 for float64 inputs), keeps each row's log-sum-exp for the fused vjp.
class ScaledDotProductAttention : public PrimitiveWithParams<Custom, float, bool, bool, bool> {
 public:
  ScaledDotProductAttention(Stream s, float scale, bool causal, bool has_sinks,
                            bool output_logsumexp)
      : PrimitiveWithParams(s, scale, causal, has_sinks, output_logsumexp) {}
  float scale() const { return std::get<0>(state_); }
  bool causal() const { return std::get<1>(state_); }
  bool has_sinks() const { return std::get<2>(state_); }
  bool output_logsumexp() const { return std::get<3>(state_); }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  std::vector<array> fallback(const std::vector<array>& inputs) override;
  std::vector<array> vjp(const std::vector<array>& primals, const std::vector<array>& cotangents,
                         const std::vector<int>& argnums,
                         const std::vector<array>& outputs) override;
  const char* name() const override { return "ScaledDotProductAttention"; }
};

// The cotangents (dq, dk, dv) of ScaledDotProductAttention: inputs are the forward's inputs,
// then its output, its log-sum-exp and the output cotangent. The softmax is recomputed per block
// from the saved log-sum-exp, so no L x S matrix is ever stored.
class ScaledDotProductAttentionVJP : public PrimitiveWithParams<Custom, float, bool, bool> {
 public:
  ScaledDotProductAttentionVJP(Stream s, float scale, bool causal, bool has_sinks)
      : PrimitiveWithParams(s, scale, causal, has_sinks) {}
  float scale() const { return std::get<0>(state_); }
  bool causal() const { return std::get<1>(state_); }
  bool has_sinks() const { return std::get<2>(state_); }
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  std::vector<array> fallback(const std::vector<array>& inputs) override;
  const char* name() const override { return "ScaledDotProductAttentionVJP"; }
};

}  // namespace mlx::core::fast
