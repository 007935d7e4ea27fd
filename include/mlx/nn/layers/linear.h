// Linear and Bilinear (mlx.nn.Linear, mlx.nn.Bilinear): weights as MLX lays them out, so that
// MLX checkpoints load.
#pragma once

#include <optional>

#include "mlx/nn/module.h"

namespace mlx::nn {

/**
 * y = x W^T + b with weight [output_dims, input_dims] and bias [output_dims], both initialised
 * from U(-1/sqrt(input_dims), 1/sqrt(input_dims)).
 */
class Linear : public UnaryLayer {
 public:
  Linear(int input_dims, int output_dims, bool bias = true);
  explicit Linear(array weight, std::optional<array> bias = std::nullopt);

  std::string name() const override { return "Linear"; }
  std::string describe_extra() const override;
  array operator()(const array& x) override;

  array weight;
  std::optional<array> bias;
};

/**
 * y_i = x1^T W_i x2 + b_i with weight [output_dims, input2_dims, input1_dims] and bias
 * [output_dims], initialised from U(-1/sqrt(input1_dims), 1/sqrt(input1_dims)).
 */
class Bilinear : public Module {
 public:
  Bilinear(int input1_dims, int input2_dims, int output_dims, bool bias = true);

  std::string name() const override { return "Bilinear"; }
  std::string describe_extra() const override;
  array operator()(const array& x1, const array& x2);

  array weight;
  std::optional<array> bias;
};

}  // namespace mlx::nn
