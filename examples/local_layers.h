// Minimal Linear, Embedding and RMSNorm modules for the examples, with MLX's parameter names and
// initialisation, standing in for nn::Linear, nn::Embedding and nn::RMSNorm until the layers
// library lands.
#pragma once

#include <cmath>
#include <optional>
#include <string>

#include "mlx/nn.h"

namespace examples {

namespace mx = mlx::core;
namespace nn = mlx::nn;
using mx::array;

class Linear : public nn::UnaryLayer {
 public:
  Linear(int in, int out, bool with_bias = true) {
    float k = 1.0f / std::sqrt(float(in));
    weight = mx::random::uniform(-k, k, {out, in});
    if (with_bias) bias = mx::random::uniform(-k, k, {out});
    register_parameter("weight", weight);
    register_parameter("bias", bias);
  }
  std::string name() const override { return "Linear"; }
  std::string describe_extra() const override {
    return "input_dims=" + std::to_string(weight.shape(1)) +
           ", output_dims=" + std::to_string(weight.shape(0)) +
           ", bias=" + (bias ? "True" : "False");
  }
  array operator()(const array& x) override {
    auto y = mx::matmul(x, mx::transpose(weight));
    return bias ? y + *bias : y;
  }
  array weight = array(0.0f);
  std::optional<array> bias;
};

class Embedding : public nn::Module {
 public:
  Embedding(int count, int dims)
      : weight(
            mx::random::normal({count, dims}, mx::float32, 0.0f, 1.0f / std::sqrt(float(dims)))) {
    register_parameter("weight", weight);
  }
  std::string name() const override { return "Embedding"; }
  std::string describe_extra() const override {
    return std::to_string(weight.shape(0)) + ", " + std::to_string(weight.shape(1));
  }
  array operator()(const array& ids) { return mx::take(weight, ids, 0); }
  // The output projection tied to the embedding.
  array as_linear(const array& x) { return mx::matmul(x, mx::transpose(weight)); }
  array weight;
};

class RMSNorm : public nn::UnaryLayer {
 public:
  explicit RMSNorm(int dims) : weight(mx::ones({dims})) { register_parameter("weight", weight); }
  std::string name() const override { return "RMSNorm"; }
  std::string describe_extra() const override {
    return std::to_string(weight.shape(0)) + ", eps=1e-05";
  }
  array operator()(const array& x) override { return mx::fast::rms_norm(x, weight, 1e-5f); }
  array weight;
};

}  // namespace examples
