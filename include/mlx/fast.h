// Fused operations (namespace mlx::core::fast): each computes what a composition of ops would,
// in one kernel that reads its inputs once, with a fused derivative.
#pragma once

#include <optional>
#include <string>

#include "mlx/array.h"
#include "mlx/utils.h"

namespace mlx::core::fast {

/** x * rsqrt(mean(x^2, -1) + eps) * weight, in float32 for half inputs. */
array rms_norm(const array& x, const std::optional<array>& weight, float eps,
               StreamOrDevice s = {});

/** (x - mean) * rsqrt(var + eps) * weight + bias over the last axis. */
array layer_norm(const array& x, const std::optional<array>& weight,
                 const std::optional<array>& bias, float eps, StreamOrDevice s = {});

/** Rotary position embedding of the first `dims` features of the last axis. */
array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           int offset, const std::optional<array>& freqs = std::nullopt, StreamOrDevice s = {});

array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           const array& offset, const std::optional<array>& freqs = std::nullopt,
           StreamOrDevice s = {});

/**
 * softmax(scale * q k^T + mask) v over (batch, heads, tokens, dim) inputs; keys and values may
 * have fewer heads than the queries (grouped-query attention). mask_mode is "", "causal" or
 * "array" (then mask_arr is a boolean or additive mask that broadcasts to the scores).
 */
array scaled_dot_product_attention(const array& queries, const array& keys, const array& values,
                                   const float scale, const std::string& mask_mode = "",
                                   std::optional<array> mask_arr = {},
                                   const std::optional<array>& sinks = {}, bool force_fused = false,
                                   StreamOrDevice s = {});

}  // namespace mlx::core::fast
