// Attention and transformers (mlx.nn.MultiHeadAttention, TransformerEncoder(Layer),
// TransformerDecoder(Layer), Transformer), with MLX Python's member names so checkpoints load.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "mlx/nn/layers/dropout.h"
#include "mlx/nn/layers/linear.h"
#include "mlx/nn/layers/normalization.h"
#include "mlx/nn/module.h"

namespace mlx::nn {

/**
 * Multi-head scaled dot-product attention over [batch, tokens, features] inputs. The input
 * dimensions default to `dims`, value_input_dims to key_input_dims.
 */
class MultiHeadAttention : public Module {
 public:
  MultiHeadAttention(int dims, int num_heads, std::optional<int> query_input_dims = std::nullopt,
                     std::optional<int> key_input_dims = std::nullopt,
                     std::optional<int> value_input_dims = std::nullopt,
                     std::optional<int> value_dims = std::nullopt,
                     std::optional<int> value_output_dims = std::nullopt, bool bias = false);

  std::string name() const override { return "MultiHeadAttention"; }
  /** `mask` is additive (floating) or boolean (true = attend) and broadcasts to the scores. */
  array operator()(const array& queries, const array& keys, const array& values,
                   const std::optional<array>& mask = std::nullopt);

  /** [n, n] with 0 on and below the diagonal and the dtype's lowest value above it. */
  static array create_additive_causal_mask(int n, mlx::core::Dtype dtype = mlx::core::float32);

  int num_heads;
  std::shared_ptr<UnaryLayer> query_proj, key_proj, value_proj, out_proj;
};

using Activation = std::function<array(const array&)>;

class TransformerEncoderLayer : public Module {
 public:
  TransformerEncoderLayer(int dims, int num_heads, std::optional<int> mlp_dims = std::nullopt,
                          float dropout = 0.0f, Activation activation = nullptr,
                          bool norm_first = false);

  std::string name() const override { return "TransformerEncoderLayer"; }
  array operator()(const array& x, const std::optional<array>& mask);

  std::shared_ptr<MultiHeadAttention> attention;
  std::shared_ptr<LayerNorm> ln1, ln2;
  std::shared_ptr<UnaryLayer> linear1, linear2;
  std::shared_ptr<Dropout> dropout1, dropout2;
  Activation activation;
  bool norm_first;
};

class TransformerEncoder : public Module {
 public:
  TransformerEncoder(int num_layers, int dims, int num_heads,
                     std::optional<int> mlp_dims = std::nullopt, float dropout = 0.0f,
                     Activation activation = nullptr, bool norm_first = false);

  std::string name() const override { return "TransformerEncoder"; }
  array operator()(const array& x, const std::optional<array>& mask);

  std::vector<std::shared_ptr<TransformerEncoderLayer>> layers;
  std::shared_ptr<LayerNorm> ln;
};

class TransformerDecoderLayer : public Module {
 public:
  TransformerDecoderLayer(int dims, int num_heads, std::optional<int> mlp_dims = std::nullopt,
                          float dropout = 0.0f, Activation activation = nullptr,
                          bool norm_first = false);

  std::string name() const override { return "TransformerDecoderLayer"; }
  array operator()(const array& x, const array& memory, const std::optional<array>& x_mask,
                   const std::optional<array>& memory_mask);

  std::shared_ptr<MultiHeadAttention> self_attention, cross_attention;
  std::shared_ptr<LayerNorm> ln1, ln2, ln3;
  std::shared_ptr<UnaryLayer> linear1, linear2;
  std::shared_ptr<Dropout> dropout1, dropout2, dropout3;
  Activation activation;
  bool norm_first;
};

class TransformerDecoder : public Module {
 public:
  TransformerDecoder(int num_layers, int dims, int num_heads,
                     std::optional<int> mlp_dims = std::nullopt, float dropout = 0.0f,
                     Activation activation = nullptr, bool norm_first = false);

  std::string name() const override { return "TransformerDecoder"; }
  array operator()(const array& x, const array& memory, const std::optional<array>& x_mask,
                   const std::optional<array>& memory_mask);

  std::vector<std::shared_ptr<TransformerDecoderLayer>> layers;
  std::shared_ptr<LayerNorm> ln;
};

/**
 * An encoder-decoder transformer. mlp_dims defaults to 4 * dims, the activation to relu;
 * norm_first (pre-norm) defaults to false as in MLX Swift (MLX Python defaults to true).
 */
class Transformer : public Module {
 public:
  explicit Transformer(int dims = 512, int num_heads = 8, int num_encoder_layers = 6,
                       int num_decoder_layers = 6, std::optional<int> mlp_dims = std::nullopt,
                       float dropout = 0.0f, Activation activation = nullptr,
                       bool norm_first = false);

  std::string name() const override { return "Transformer"; }
  array operator()(const array& src, const array& tgt, const std::optional<array>& src_mask,
                   const std::optional<array>& tgt_mask, const std::optional<array>& memory_mask);

  std::shared_ptr<TransformerEncoder> encoder;
  std::shared_ptr<TransformerDecoder> decoder;
};

}  // namespace mlx::nn
