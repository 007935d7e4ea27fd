#include "mlx/nn/layers/conv.h"

#include <cmath>
#include <stdexcept>

#include "mlx/ops.h"
#include "mlx/random.h"
#include "nn/common.h"

namespace mlx::nn {

using namespace mlx::core;

std::vector<int> IntOrTuple::expand(const char* layer, const char* what, int n) const {
  if (values.size() == 1) {
    return std::vector<int>(n, values[0]);
  }
  if (static_cast<int>(values.size()) != n) {
    throw std::invalid_argument(std::string("[") + layer + "] Expected " + std::to_string(n) +
                                " values for " + what + ", got " + std::to_string(values.size()) +
                                ".");
  }
  return values;
}

namespace {

// An int for one spatial axis, a Python tuple "(3, 3)" for several, as MLX Python prints them.
std::string tuple_str(const std::vector<int>& v) {
  if (v.size() == 1) {
    return std::to_string(v[0]);
  }
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(v[i]);
  }
  return s + ")";
}

}  // namespace

ConvBase::ConvBase(const char* layer, int n, bool transposed, int in_channels, int out_channels,
                   const IntOrTuple& kernel_size, const IntOrTuple& stride_,
                   const IntOrTuple& padding_, const IntOrTuple& dilation_,
                   const IntOrTuple& output_padding_, int groups_, bool has_bias)
    : stride(stride_.expand(layer, "stride", n)),
      padding(padding_.expand(layer, "padding", n)),
      dilation(dilation_.expand(layer, "dilation", n)),
      output_padding(output_padding_.expand(layer, "output_padding", n)),
      groups(groups_),
      weight(zeros({0})),
      n_(n),
      transposed_(transposed) {
  if (groups <= 0 || in_channels <= 0 || out_channels <= 0 || in_channels % groups != 0 ||
      (transposed && out_channels % groups != 0)) {
    throw std::invalid_argument(std::string("[") + layer + "] The number of input channels (" +
                                std::to_string(in_channels) + ")" +
                                (transposed
                                     ? " and output channels (" + std::to_string(out_channels) + ")"
                                     : std::string()) +
                                " must be positive and divisible by the number of groups (" +
                                std::to_string(groups) + ").");
  }
  auto kernel = kernel_size.expand(layer, "kernel_size", n);
  Shape shape{out_channels};
  double fan_in = in_channels;
  for (int k : kernel) {
    if (k <= 0) {
      throw std::invalid_argument(std::string("[") + layer +
                                  "] Kernel sizes must be positive, got " + tuple_str(kernel) +
                                  ".");
    }
    shape.push_back(k);
    fan_in *= k;
  }
  shape.push_back(in_channels / groups);
  double scale = std::sqrt(1.0 / fan_in);
  weight = random::uniform(array(-scale, float32), array(scale, float32), shape, float32);
  if (has_bias) {
    bias = zeros({out_channels});
  }
  register_parameter("weight", weight);
  register_parameter("bias", bias);
}

std::string ConvBase::describe_extra() const {
  std::vector<int> kernel(weight.shape().begin() + 1, weight.shape().end() - 1);
  std::string s = std::to_string(weight.shape(-1) * groups) + ", " +
                  std::to_string(weight.shape(0)) + ", kernel_size=" + tuple_str(kernel) +
                  ", stride=" + tuple_str(stride) + ", padding=" + tuple_str(padding) +
                  ", dilation=" + tuple_str(dilation);
  if (transposed_) {
    s += ", output_padding=" + tuple_str(output_padding);
  }
  return s + ", groups=" + std::to_string(groups) + ", bias=" + detail::py_bool(bias.has_value());
}

array ConvBase::operator()(const array& x) {
  if (static_cast<int>(x.ndim()) != n_ + 2) {
    throw std::invalid_argument("[" + name() + "] Expected an input with " +
                                std::to_string(n_ + 2) +
                                " dimensions [batch, spatial..., channels], got shape " +
                                detail::shape_str(x.shape()) + ".");
  }
  array y = x;
  if (!transposed_) {
    y = conv_general(x, weight, stride, padding, dilation, {}, groups);
  } else if (n_ == 1) {
    y = conv_transpose1d(x, weight, stride[0], padding[0], dilation[0], output_padding[0], groups);
  } else if (n_ == 2) {
    y = conv_transpose2d(x, weight, {stride[0], stride[1]}, {padding[0], padding[1]},
                         {dilation[0], dilation[1]}, {output_padding[0], output_padding[1]},
                         groups);
  } else {
    y = conv_transpose3d(x, weight, {stride[0], stride[1], stride[2]},
                         {padding[0], padding[1], padding[2]},
                         {dilation[0], dilation[1], dilation[2]},
                         {output_padding[0], output_padding[1], output_padding[2]}, groups);
  }
  return bias ? y + *bias : y;
}

}  // namespace mlx::nn
