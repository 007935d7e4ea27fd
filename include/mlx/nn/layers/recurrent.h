// Recurrent layers (mlx.nn.RNN, GRU, LSTM) over [batch, tokens, features] or [tokens, features]
// inputs, returning every step's hidden state. Member names as MLX Python's.
#pragma once

#include <functional>
#include <optional>
#include <utility>

#include "mlx/nn/module.h"

namespace mlx::nn {

/** h_t = nonlinearity(x_t Wxh^T + h_{t-1} Whh^T + bias); nonlinearity defaults to tanh. */
class RNN : public UnaryLayer {
 public:
  RNN(int input_size, int hidden_size, bool bias = true,
      std::function<array(const array&)> nonlinearity = nullptr);

  std::string name() const override { return "RNN"; }
  std::string describe_extra() const override;
  array operator()(const array& x) override { return (*this)(x, std::nullopt); }
  array operator()(const array& x, const std::optional<array>& hidden);

  int hidden_size;
  std::function<array(const array&)> nonlinearity;
  array Wxh, Whh;
  std::optional<array> bias;
};

/**
 * Gated recurrent unit with gates (r, z, n) stacked in Wx [3 hidden, input] and Wh [3 hidden,
 * hidden], input bias b and the n gate's hidden bias bhn. A missing initial hidden state is
 * zeros (so bhn still enters the n gate, as in PyTorch; MLX Python drops it on the first step).
 */
class GRU : public UnaryLayer {
 public:
  GRU(int input_size, int hidden_size, bool bias = true);

  std::string name() const override { return "GRU"; }
  std::string describe_extra() const override;
  array operator()(const array& x) override { return (*this)(x, std::nullopt); }
  array operator()(const array& x, const std::optional<array>& hidden);

  int hidden_size;
  array Wx, Wh;
  std::optional<array> b, bhn;
};

/** Long short-term memory with gates (i, f, g, o) stacked in Wx, Wh and bias. */
class LSTM : public Module {
 public:
  LSTM(int input_size, int hidden_size, bool bias = true);

  std::string name() const override { return "LSTM"; }
  std::string describe_extra() const override;
  /** Every step's (hidden, cell) states, each [..., tokens, hidden_size]. */
  std::pair<array, array> operator()(const array& x,
                                     const std::optional<array>& hidden = std::nullopt,
                                     const std::optional<array>& cell = std::nullopt);

  int hidden_size;
  array Wx, Wh;
  std::optional<array> bias;
};

}  // namespace mlx::nn
