#include "mlx/nn/layers/transformer.h"

#include <cmath>
#include <stdexcept>

#include "mlx/fast.h"
#include "mlx/nn/activations.h"
#include "mlx/ops.h"
#include "nn/common.h"

namespace mlx::nn {

using namespace mlx::core;

MultiHeadAttention::MultiHeadAttention(int dims, int num_heads_,
                                       std::optional<int> query_input_dims,
                                       std::optional<int> key_input_dims,
                                       std::optional<int> value_input_dims,
                                       std::optional<int> value_dims,
                                       std::optional<int> value_output_dims, bool bias)
    : num_heads(num_heads_) {
  if (num_heads <= 0 || dims % num_heads != 0) {
    throw std::invalid_argument(
        "[MultiHeadAttention] The input feature dimensions should be divisible by the number of "
        "heads (" +
        std::to_string(dims) + " % " + std::to_string(num_heads) + ") != 0.");
  }
  int kin = key_input_dims.value_or(dims);
  int vdims = value_dims.value_or(dims);
  query_proj = std::make_shared<Linear>(query_input_dims.value_or(dims), dims, bias);
  key_proj = std::make_shared<Linear>(kin, dims, bias);
  value_proj = std::make_shared<Linear>(value_input_dims.value_or(kin), vdims, bias);
  out_proj = std::make_shared<Linear>(vdims, value_output_dims.value_or(dims), bias);
  register_module("query_proj", query_proj);
  register_module("key_proj", key_proj);
  register_module("value_proj", value_proj);
  register_module("out_proj", out_proj);
}

array MultiHeadAttention::operator()(const array& queries, const array& keys, const array& values,
                                     const std::optional<array>& mask) {
  auto heads = [&](const array& x) {
    if (x.ndim() != 3) {
      throw std::invalid_argument(
          "[MultiHeadAttention] Expected inputs [batch, tokens, features], got shape " +
          detail::shape_str(x.shape()) + ".");
    }
    return transpose(unflatten(x, -1, {num_heads, -1}), {0, 2, 1, 3});
  };
  auto q = heads((*query_proj)(queries));
  auto k = heads((*key_proj)(keys));
  auto v = heads((*value_proj)(values));
  float scale = static_cast<float>(std::sqrt(1.0 / q.shape(-1)));
  auto out = mask ? fast::scaled_dot_product_attention(q, k, v, scale, "array", *mask)
                  : fast::scaled_dot_product_attention(q, k, v, scale);
  return (*out_proj)(flatten(transpose(out, {0, 2, 1, 3}), -2, -1));
}

array MultiHeadAttention::create_additive_causal_mask(int n, Dtype dtype) {
  auto indices = arange(0, n, int32);
  auto mask = less(reshape(indices, {-1, 1}), reshape(indices, {1, -1}));
  return astype(mask, dtype) * array(finfo(dtype).min, dtype);
}

namespace {

Activation or_relu(Activation a) {
  return a ? std::move(a) : Activation([](const array& x) { return relu(x); });
}

}  // namespace

TransformerEncoderLayer::TransformerEncoderLayer(int dims, int num_heads,
                                                 std::optional<int> mlp_dims, float dropout,
                                                 Activation activation_, bool norm_first_)
    : attention(std::make_shared<MultiHeadAttention>(dims, num_heads)),
      ln1(std::make_shared<LayerNorm>(dims)),
      ln2(std::make_shared<LayerNorm>(dims)),
      linear1(std::make_shared<Linear>(dims, mlp_dims.value_or(4 * dims))),
      linear2(std::make_shared<Linear>(mlp_dims.value_or(4 * dims), dims)),
      dropout1(std::make_shared<Dropout>(dropout)),
      dropout2(std::make_shared<Dropout>(dropout)),
      activation(or_relu(std::move(activation_))),
      norm_first(norm_first_) {
  register_module("attention", attention);
  register_module("ln1", ln1);
  register_module("ln2", ln2);
  register_module("linear1", linear1);
  register_module("linear2", linear2);
  register_module("dropout1", dropout1);
  register_module("dropout2", dropout2);
}

array TransformerEncoderLayer::operator()(const array& x_in, const std::optional<array>& mask) {
  array x = x_in;
  if (norm_first) {
    auto y = (*ln1)(x);
    x = x + (*dropout1)((*attention)(y, y, y, mask));
    y = (*linear2)((*dropout2)(activation((*linear1)((*ln2)(x)))));
    return x + y;
  }
  x = (*ln1)(x + (*dropout1)((*attention)(x, x, x, mask)));
  auto y = (*linear2)((*dropout2)(activation((*linear1)(x))));
  return (*ln2)(x + y);
}

TransformerEncoder::TransformerEncoder(int num_layers, int dims, int num_heads,
                                       std::optional<int> mlp_dims, float dropout,
                                       Activation activation, bool norm_first)
    : ln(std::make_shared<LayerNorm>(dims)) {
  for (int i = 0; i < num_layers; ++i) {
    layers.push_back(std::make_shared<TransformerEncoderLayer>(dims, num_heads, mlp_dims, dropout,
                                                               activation, norm_first));
  }
  register_modules("layers", layers);
  register_module("ln", ln);
}

array TransformerEncoder::operator()(const array& x_in, const std::optional<array>& mask) {
  array x = x_in;
  for (auto& layer : layers) {
    x = (*layer)(x, mask);
  }
  return (*ln)(x);
}

TransformerDecoderLayer::TransformerDecoderLayer(int dims, int num_heads,
                                                 std::optional<int> mlp_dims, float dropout,
                                                 Activation activation_, bool norm_first_)
    : self_attention(std::make_shared<MultiHeadAttention>(dims, num_heads)),
      cross_attention(std::make_shared<MultiHeadAttention>(dims, num_heads)),
      ln1(std::make_shared<LayerNorm>(dims)),
      ln2(std::make_shared<LayerNorm>(dims)),
      ln3(std::make_shared<LayerNorm>(dims)),
      linear1(std::make_shared<Linear>(dims, mlp_dims.value_or(4 * dims))),
      linear2(std::make_shared<Linear>(mlp_dims.value_or(4 * dims), dims)),
      dropout1(std::make_shared<Dropout>(dropout)),
      dropout2(std::make_shared<Dropout>(dropout)),
      dropout3(std::make_shared<Dropout>(dropout)),
      activation(or_relu(std::move(activation_))),
      norm_first(norm_first_) {
  register_module("self_attention", self_attention);
  register_module("cross_attention", cross_attention);
  register_module("ln1", ln1);
  register_module("ln2", ln2);
  register_module("ln3", ln3);
  register_module("linear1", linear1);
  register_module("linear2", linear2);
  register_module("dropout1", dropout1);
  register_module("dropout2", dropout2);
  register_module("dropout3", dropout3);
}

array TransformerDecoderLayer::operator()(const array& x_in, const array& memory,
                                          const std::optional<array>& x_mask,
                                          const std::optional<array>& memory_mask) {
  array x = x_in;
  if (norm_first) {
    auto y = (*ln1)(x);
    x = x + (*dropout1)((*self_attention)(y, y, y, x_mask));
    y = (*ln2)(x);
    x = x + (*dropout2)((*cross_attention)(y, memory, memory, memory_mask));
    y = (*linear2)((*dropout3)(activation((*linear1)((*ln3)(x)))));
    return x + y;
  }
  x = (*ln1)(x + (*dropout1)((*self_attention)(x, x, x, x_mask)));
  x = (*ln2)(x + (*dropout2)((*cross_attention)(x, memory, memory, memory_mask)));
  auto y = (*linear2)((*dropout3)(activation((*linear1)(x))));
  return (*ln3)(x + y);
}

TransformerDecoder::TransformerDecoder(int num_layers, int dims, int num_heads,
                                       std::optional<int> mlp_dims, float dropout,
                                       Activation activation, bool norm_first)
    : ln(std::make_shared<LayerNorm>(dims)) {
  for (int i = 0; i < num_layers; ++i) {
    layers.push_back(std::make_shared<TransformerDecoderLayer>(dims, num_heads, mlp_dims, dropout,
                                                               activation, norm_first));
  }
  register_modules("layers", layers);
  register_module("ln", ln);
}

array TransformerDecoder::operator()(const array& x_in, const array& memory,
                                     const std::optional<array>& x_mask,
                                     const std::optional<array>& memory_mask) {
  array x = x_in;
  for (auto& layer : layers) {
    x = (*layer)(x, memory, x_mask, memory_mask);
  }
  return (*ln)(x);
}

Transformer::Transformer(int dims, int num_heads, int num_encoder_layers, int num_decoder_layers,
                         std::optional<int> mlp_dims, float dropout, Activation activation,
                         bool norm_first)
    : encoder(std::make_shared<TransformerEncoder>(num_encoder_layers, dims, num_heads, mlp_dims,
                                                   dropout, activation, norm_first)),
      decoder(std::make_shared<TransformerDecoder>(num_decoder_layers, dims, num_heads, mlp_dims,
                                                   dropout, activation, norm_first)) {
  register_module("encoder", encoder);
  register_module("decoder", decoder);
}

array Transformer::operator()(const array& src, const array& tgt,
                              const std::optional<array>& src_mask,
                              const std::optional<array>& tgt_mask,
                              const std::optional<array>& memory_mask) {
  return (*decoder)(tgt, (*encoder)(src, src_mask), tgt_mask, memory_mask);
}

}  // namespace mlx::nn
