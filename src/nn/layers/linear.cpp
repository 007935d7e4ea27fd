#include "mlx/nn/layers/linear.h"

#include <cmath>
#include <stdexcept>

#include "mlx/ops.h"
#include "mlx/random.h"
#include "nn/common.h"

namespace mlx::nn {

using namespace mlx::core;

namespace {

array uniform_init(double scale, const Shape& shape) {
  return random::uniform(array(-scale, float32), array(scale, float32), shape, float32);
}

void check_dims(const char* layer, std::initializer_list<int> dims) {
  for (int d : dims) {
    if (d <= 0) {
      throw std::invalid_argument(std::string("[") + layer + "] Dimensions must be positive, got " +
                                  std::to_string(d) + ".");
    }
  }
}

void check_last_dim(const char* layer, const array& x, int dims) {
  if (x.ndim() == 0 || x.shape(-1) != dims) {
    throw std::invalid_argument(std::string("[") + layer +
                                "] Expected an input whose last axis has " + std::to_string(dims) +
                                " features, got shape " + detail::shape_str(x.shape()) + ".");
  }
}

}  // namespace

Linear::Linear(int input_dims, int output_dims, bool has_bias)
    : weight((check_dims("Linear", {input_dims, output_dims}),
              uniform_init(std::sqrt(1.0 / input_dims), {output_dims, input_dims}))) {
  if (has_bias) {
    bias = uniform_init(std::sqrt(1.0 / input_dims), {output_dims});
  }
  register_parameter("weight", weight);
  register_parameter("bias", bias);
}

Linear::Linear(array weight_, std::optional<array> bias_)
    : weight(std::move(weight_)), bias(std::move(bias_)) {
  if (weight.ndim() != 2 || (bias && (bias->ndim() != 1 || bias->shape(0) != weight.shape(0)))) {
    throw std::invalid_argument(
        "[Linear] Expected a weight [output_dims, input_dims] and a bias "
        "[output_dims], got weight " +
        detail::shape_str(weight.shape()) + " and bias " +
        (bias ? detail::shape_str(bias->shape()) : "none") + ".");
  }
  register_parameter("weight", weight);
  register_parameter("bias", bias);
}

std::string Linear::describe_extra() const {
  return "input_dims=" + std::to_string(weight.shape(1)) +
         ", output_dims=" + std::to_string(weight.shape(0)) +
         ", bias=" + detail::py_bool(bias.has_value());
}

array Linear::operator()(const array& x) {
  check_last_dim("Linear", x, weight.shape(1));
  // Leading axes fold into the rows of one matrix product: one large GEMM instead of a batch of
  // small ones against a broadcast weight.
  auto rows = x.ndim() > 2 ? reshape(x, {-1, x.shape(-1)}) : x;
  auto y = bias ? addmm(*bias, rows, transpose(weight)) : matmul(rows, transpose(weight));
  if (x.ndim() <= 2) {
    return y;
  }
  auto shape = x.shape();
  shape.back() = weight.shape(0);
  return reshape(y, shape);
}

Bilinear::Bilinear(int input1_dims, int input2_dims, int output_dims, bool has_bias)
    : weight(
          (check_dims("Bilinear", {input1_dims, input2_dims, output_dims}),
           uniform_init(std::sqrt(1.0 / input1_dims), {output_dims, input2_dims, input1_dims}))) {
  if (has_bias) {
    bias = uniform_init(std::sqrt(1.0 / input1_dims), {output_dims});
  }
  register_parameter("weight", weight);
  register_parameter("bias", bias);
}

std::string Bilinear::describe_extra() const {
  return "input1_dims=" + std::to_string(weight.shape(2)) +
         ", input2_dims=" + std::to_string(weight.shape(1)) +
         ", output_dims=" + std::to_string(weight.shape(0)) +
         ", bias=" + detail::py_bool(bias.has_value());
}

array Bilinear::operator()(const array& x1, const array& x2) {
  int out = weight.shape(0), in2 = weight.shape(1), in1 = weight.shape(2);
  check_last_dim("Bilinear", x1, in1);
  check_last_dim("Bilinear", x2, in2);
  Shape lead(x1.shape().begin(), x1.shape().end() - 1);
  // y[n, o] = sum_j x2[n, j] sum_i W[o, j, i] x1[n, i]: one matmul for the inner sums, then a
  // batched vector-matrix product per sample.
  auto y = matmul(reshape(x1, {-1, in1}), transpose(reshape(weight, {out * in2, in1})));
  y = swapaxes(reshape(y, {-1, out, in2}), -2, -1);
  y = squeeze(matmul(reshape(x2, {-1, 1, in2}), y), 1);
  lead.push_back(out);
  y = reshape(y, lead);
  return bias ? y + *bias : y;
}

}  // namespace mlx::nn
