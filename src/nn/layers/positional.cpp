#include "mlx/nn/layers/positional.h"

#include <cmath>
#include <numbers>
#include <stdexcept>

#include "mlx/fast.h"
#include "mlx/ops.h"
#include "nn/common.h"

namespace mlx::nn {

using namespace mlx::core;

RoPE::RoPE(int dims_, bool traditional_, float base_, float scale_)
    : dims(dims_), traditional(traditional_), base(base_), scale(scale_) {
  if (dims <= 0 || dims % 2 != 0) {
    throw std::invalid_argument(
        "[RoPE] The number of rotated features must be positive and even, "
        "got " +
        std::to_string(dims) + ".");
  }
}

std::string RoPE::describe_extra() const {
  return std::to_string(dims) + ", traditional=" + detail::py_bool(traditional);
}

array RoPE::operator()(const array& x, int offset) {
  return fast::rope(x, dims, traditional, base, scale, offset);
}

array RoPE::operator()(const array& x, const array& offset) {
  return fast::rope(x, dims, traditional, base, scale, offset);
}

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(int dims, float min_freq, float max_freq,
                                                           std::optional<float> scale_,
                                                           bool cos_first_, bool full_turns)
    : scale(scale_ ? *scale_ : static_cast<float>(std::sqrt(2.0 / dims))),
      cos_first(cos_first_),
      sigmas_(zeros({0})) {
  if (dims < 4 || dims % 2 != 0) {
    throw std::invalid_argument(
        "[SinusoidalPositionalEncoding] The dimensions must be even and at least 4, got " +
        std::to_string(dims) + ".");
  }
  int half = dims / 2;
  auto one_zero = array(1.0f) - arange(0, half, float32) / array(static_cast<float>(half - 1));
  double lo = std::log(min_freq), hi = std::log(max_freq);
  sigmas_ = exp(one_zero * array(static_cast<float>(hi - lo)) + array(static_cast<float>(lo)));
  if (full_turns) {
    sigmas_ = sigmas_ * array(static_cast<float>(2 * std::numbers::pi));
  }
}

array SinusoidalPositionalEncoding::operator()(const array& x) {
  auto y = expand_dims(x, -1) * sigmas_;
  auto c = cos(y), s = sin(y);
  y = cos_first ? concatenate({c, s}, -1) : concatenate({s, c}, -1);
  return scale != 1.0f ? y * array(scale) : y;
}

array ALiBi::create_alibi_slope(int num_heads) {
  double x = std::pow(256.0, 1.0 / num_heads);
  auto out = power(array(static_cast<float>(x)), -arange(1, num_heads + 1, float32));
  return reshape(out, {num_heads, 1, 1});
}

array ALiBi::create_alibi_matrix(int q_sequence_length, int k_sequence_length, int num_heads,
                                 int offset, Dtype dtype) {
  auto x1 = arange(offset, q_sequence_length, int32);
  auto x2 = arange(0, k_sequence_length, int32);
  auto distance = -abs(reshape(x1, {1, 1, -1, 1}) - reshape(x2, {1, 1, 1, -1}));
  return astype(distance * create_alibi_slope(num_heads), dtype);
}

array ALiBi::operator()(const array& attention_scores, int offset,
                        const std::optional<array>& mask) {
  if (attention_scores.ndim() != 4) {
    throw std::invalid_argument(
        "[ALiBi] Expected attention scores [batch, heads, queries, keys], got shape " +
        detail::shape_str(attention_scores.shape()) + ".");
  }
  auto bias = create_alibi_matrix(attention_scores.shape(-2) + offset, attention_scores.shape(-1),
                                  attention_scores.shape(1), offset, attention_scores.dtype());
  if (mask) {
    bias = bias + *mask;
  }
  return attention_scores + bias;
}

}  // namespace mlx::nn
