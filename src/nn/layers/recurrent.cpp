#include "mlx/nn/layers/recurrent.h"

#include <cmath>
#include <stdexcept>

#include "mlx/ops.h"
#include "mlx/random.h"
#include "nn/common.h"

namespace mlx::nn {

using namespace mlx::core;

namespace {

array uniform_init(int hidden_size, const Shape& shape) {
  double scale = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  return random::uniform(array(-scale, float32), array(scale, float32), shape, float32);
}

int checked_hidden(const char* layer, int input_size, int hidden_size) {
  if (input_size <= 0 || hidden_size <= 0) {
    throw std::invalid_argument(
        std::string("[") + layer + "] The input and hidden sizes must be positive, got " +
        std::to_string(input_size) + " and " + std::to_string(hidden_size) + ".");
  }
  return hidden_size;
}

// x W^T (+ bias) for all steps at once, after checking x is [..., tokens, input_size].
array project_inputs(const char* layer, const array& x, const array& w,
                     const std::optional<array>& bias) {
  if (x.ndim() < 2 || x.ndim() > 3 || x.shape(-1) != w.shape(1)) {
    throw std::invalid_argument(std::string("[") + layer + "] Expected an input [batch, tokens, " +
                                std::to_string(w.shape(1)) + "] or [tokens, " +
                                std::to_string(w.shape(1)) + "], got shape " +
                                detail::shape_str(x.shape()) + ".");
  }
  return bias ? addmm(*bias, x, transpose(w)) : matmul(x, transpose(w));
}

// Step t of [..., tokens, features].
array step_of(const array& x, int t) {
  Shape start(x.ndim(), 0), stop = x.shape();
  start[x.ndim() - 2] = t;
  stop[x.ndim() - 2] = t + 1;
  return squeeze(slice(x, start, stop), static_cast<int>(x.ndim()) - 2);
}

}  // namespace

RNN::RNN(int input_size, int hidden_size_, bool has_bias,
         std::function<array(const array&)> nonlinearity_)
    : hidden_size(checked_hidden("RNN", input_size, hidden_size_)),
      nonlinearity(nonlinearity_ ? std::move(nonlinearity_)
                                 : [](const array& v) { return mlx::core::tanh(v); }),
      Wxh(uniform_init(hidden_size, {hidden_size, input_size})),
      Whh(uniform_init(hidden_size, {hidden_size, hidden_size})) {
  if (has_bias) {
    bias = uniform_init(hidden_size, {hidden_size});
  }
  register_parameter("Wxh", Wxh);
  register_parameter("Whh", Whh);
  register_parameter("bias", bias);
}

std::string RNN::describe_extra() const {
  return "input_dims=" + std::to_string(Wxh.shape(1)) +
         ", hidden_size=" + std::to_string(hidden_size) +
         ", bias=" + detail::py_bool(bias.has_value());
}

array RNN::operator()(const array& x_in, const std::optional<array>& hidden) {
  auto x = project_inputs("RNN", x_in, Wxh, bias);
  std::optional<array> h = hidden;
  std::vector<array> all;
  for (int t = 0; t < x.shape(-2); ++t) {
    auto xt = step_of(x, t);
    h = nonlinearity(h ? addmm(xt, *h, transpose(Whh)) : xt);
    all.push_back(*h);
  }
  return stack(all, -2);
}

GRU::GRU(int input_size, int hidden_size_, bool has_bias)
    : hidden_size(checked_hidden("GRU", input_size, hidden_size_)),
      Wx(uniform_init(hidden_size, {3 * hidden_size, input_size})),
      Wh(uniform_init(hidden_size, {3 * hidden_size, hidden_size})) {
  if (has_bias) {
    b = uniform_init(hidden_size, {3 * hidden_size});
    bhn = uniform_init(hidden_size, {hidden_size});
  }
  register_parameter("Wx", Wx);
  register_parameter("Wh", Wh);
  register_parameter("b", b);
  register_parameter("bhn", bhn);
}

std::string GRU::describe_extra() const {
  return "input_dims=" + std::to_string(Wx.shape(1)) +
         ", hidden_size=" + std::to_string(hidden_size) +
         ", bias=" + detail::py_bool(b.has_value());
}

array GRU::operator()(const array& x_in, const std::optional<array>& hidden) {
  auto x = project_inputs("GRU", x_in, Wx, b);
  int H = hidden_size;
  auto parts = split(x, Shape{2 * H}, -1);
  auto& x_rz = parts[0];
  auto& x_n = parts[1];
  std::optional<array> h = hidden;
  std::vector<array> all;
  for (int t = 0; t < x.shape(-2); ++t) {
    auto rz = step_of(x_rz, t);
    auto n = step_of(x_n, t);
    std::optional<array> h_proj_n = bhn;
    if (h) {
      auto h_proj = split(matmul(*h, transpose(Wh)), Shape{2 * H}, -1);
      rz = rz + h_proj[0];
      h_proj_n = bhn ? h_proj[1] + *bhn : h_proj[1];
    }
    auto gates = split(sigmoid(rz), 2, -1);
    auto& r = gates[0];
    auto& z = gates[1];
    if (h_proj_n) {
      n = n + r * *h_proj_n;
    }
    n = tanh(n);
    auto one_minus_z = detail::weak(1.0, z) - z;
    h = h ? one_minus_z * n + z * *h : one_minus_z * n;
    all.push_back(*h);
  }
  return stack(all, -2);
}

LSTM::LSTM(int input_size, int hidden_size_, bool has_bias)
    : hidden_size(checked_hidden("LSTM", input_size, hidden_size_)),
      Wx(uniform_init(hidden_size, {4 * hidden_size, input_size})),
      Wh(uniform_init(hidden_size, {4 * hidden_size, hidden_size})) {
  if (has_bias) {
    bias = uniform_init(hidden_size, {4 * hidden_size});
  }
  register_parameter("Wx", Wx);
  register_parameter("Wh", Wh);
  register_parameter("bias", bias);
}

std::string LSTM::describe_extra() const {
  return "input_dims=" + std::to_string(Wx.shape(1)) +
         ", hidden_size=" + std::to_string(hidden_size) +
         ", bias=" + detail::py_bool(bias.has_value());
}

std::pair<array, array> LSTM::operator()(const array& x_in, const std::optional<array>& hidden,
                                         const std::optional<array>& cell) {
  auto x = project_inputs("LSTM", x_in, Wx, bias);
  std::optional<array> h = hidden, c = cell;
  std::vector<array> all_h, all_c;
  for (int t = 0; t < x.shape(-2); ++t) {
    auto ifgo = step_of(x, t);
    if (h) {
      ifgo = addmm(ifgo, *h, transpose(Wh));
    }
    auto g4 = split(ifgo, 4, -1);
    auto i = sigmoid(g4[0]), f = sigmoid(g4[1]), g = tanh(g4[2]), o = sigmoid(g4[3]);
    c = c ? f * *c + i * g : i * g;
    h = o * tanh(*c);
    all_h.push_back(*h);
    all_c.push_back(*c);
  }
  return {stack(all_h, -2), stack(all_c, -2)};
}

}  // namespace mlx::nn
