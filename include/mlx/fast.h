// Fused operations (namespace mlx::core::fast): each computes what a composition of ops would,
// in one kernel that reads its inputs once, with a fused derivative.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

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

using TemplateArg = std::variant<int, bool, Dtype>;
using ScalarArg = std::variant<bool, int, float>;

/**
 * A custom kernel, called with (inputs, output_shapes, output_dtypes, grid, threadgroup,
 * template_args, init_value, verbose, stream).
 */
using CustomKernelFunction = std::function<std::vector<array>(
    const std::vector<array>&, const std::vector<Shape>&, const std::vector<Dtype>&,
    std::tuple<int, int, int>, std::tuple<int, int, int>,
    std::vector<std::pair<std::string, TemplateArg>>, std::optional<float>, bool, StreamOrDevice)>;

/** Metal source kernels need Apple silicon: this build throws std::invalid_argument. */
CustomKernelFunction metal_kernel(const std::string& name,
                                  const std::vector<std::string>& input_names,
                                  const std::vector<std::string>& output_names,
                                  const std::string& source, const std::string& header = "",
                                  bool ensure_row_contiguous = true, bool atomic_outputs = false);

/** CUDA source kernels need the CUDA backend: this build throws std::invalid_argument. */
CustomKernelFunction cuda_kernel(const std::string& name,
                                 const std::vector<std::string>& input_names,
                                 const std::vector<std::string>& output_names,
                                 const std::string& source, const std::string& header = "",
                                 bool ensure_row_contiguous = true, int shared_memory = 0);

/** Runs a precompiled CUDA kernel; needs the CUDA backend (throws std::invalid_argument here). */
std::vector<array> precompiled_cuda_kernel(
    const std::string& name, const std::string& compiled_source, const std::vector<array>& inputs,
    const std::vector<Shape>& output_shapes, const std::vector<Dtype>& output_dtypes,
    const std::vector<ScalarArg>& scalars, std::tuple<int, int, int> grid,
    std::tuple<int, int, int> threadgroup, int shared_memory = 0,
    std::optional<float> init_value = std::nullopt, bool ensure_row_contiguous = false,
    StreamOrDevice s = {});

}  // namespace mlx::core::fast
