// Positional encodings (mlx.nn.RoPE, SinusoidalPositionalEncoding, ALiBi).
#pragma once

#include <optional>

#include "mlx/nn/module.h"

namespace mlx::nn {

/**
 * Rotary positional encoding of the first `dims` features of [..., tokens, features] inputs
 * (fast::rope). `traditional` rotates consecutive feature pairs instead of the two halves.
 */
class RoPE : public UnaryLayer {
 public:
  explicit RoPE(int dims, bool traditional = false, float base = 10000.0f, float scale = 1.0f);

  std::string name() const override { return "RoPE"; }
  std::string describe_extra() const override;
  array operator()(const array& x) override { return (*this)(x, 0); }
  /** Positions start at `offset` (a KV cache's length). */
  array operator()(const array& x, int offset);
  /** Positions start at `offset`, a scalar or one offset per batch element. */
  array operator()(const array& x, const array& offset);

  int dims;
  bool traditional;
  float base, scale;
};

/**
 * sin and cos of x * sigma for geometrically spaced frequencies sigma from max_freq down to
 * min_freq: a new last axis of size dims. scale defaults to sqrt(2 / dims).
 */
class SinusoidalPositionalEncoding : public UnaryLayer {
 public:
  explicit SinusoidalPositionalEncoding(int dims, float min_freq = 0.0001f, float max_freq = 1.0f,
                                        std::optional<float> scale = std::nullopt,
                                        bool cos_first = false, bool full_turns = false);

  std::string name() const override { return "SinusoidalPositionalEncoding"; }
  array operator()(const array& x) override;

  float scale;
  bool cos_first;

 private:
  array sigmas_;
};

/** Attention with linear biases: adds -slope_h * |i - j| to attention scores [B, H, Q, K]. */
class ALiBi : public Module {
 public:
  std::string name() const override { return "ALiBi"; }
  array operator()(const array& attention_scores, int offset = 0,
                   const std::optional<array>& mask = std::nullopt);

  /** The additive bias [1, heads, q_len - offset, k_len] for queries offset..q_len-1. */
  static array create_alibi_matrix(int q_sequence_length, int k_sequence_length, int num_heads,
                                   int offset, mlx::core::Dtype dtype = mlx::core::float32);
  /** The per-head slopes 2^(-8 h / heads), h = 1..heads, shaped [heads, 1, 1]. */
  static array create_alibi_slope(int num_heads);
};

}  // namespace mlx::nn
