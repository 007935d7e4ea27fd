#include "mlx/nn/layers/normalization.h"

#include <numeric>
#include <stdexcept>

#include "mlx/fast.h"
#include "mlx/ops.h"
#include "nn/common.h"

namespace mlx::nn {

using namespace mlx::core;
using detail::py_bool;
using detail::py_float;
using detail::shape_str;

namespace {

void check_features(const char* layer, const array& x, int dims, size_t min_ndim = 1) {
  if (x.ndim() < min_ndim || x.shape(-1) != dims) {
    throw std::invalid_argument(std::string("[") + layer + "] Expected an input with at least " +
                                std::to_string(min_ndim) + " dimensions and " +
                                std::to_string(dims) + " features on the last axis, got shape " +
                                shape_str(x.shape()) + ".");
  }
}

array normalize(const array& x, const std::vector<int>& axes, float eps) {
  auto m = mean(x, axes, true);
  auto v = var(x, axes, true);
  return (x - m) * rsqrt(v + detail::weak(eps, v));
}

array affine_of(const array& x, const std::optional<array>& weight,
                const std::optional<array>& bias) {
  return weight ? *weight * x + *bias : x;
}

}  // namespace

InstanceNorm::InstanceNorm(int dims_, float eps_, bool affine) : dims(dims_), eps(eps_) {
  if (affine) {
    weight = ones({dims});
    bias = zeros({dims});
  }
  register_parameter("weight", weight);
  register_parameter("bias", bias);
}

std::string InstanceNorm::describe_extra() const {
  return std::to_string(dims) + ", eps=" + py_float(eps) +
         ", affine=" + py_bool(weight.has_value());
}

array InstanceNorm::operator()(const array& x) {
  check_features("InstanceNorm", x, dims, 3);
  std::vector<int> axes(x.ndim() - 2);
  std::iota(axes.begin(), axes.end(), 1);
  return affine_of(normalize(x, axes, eps), weight, bias);
}

LayerNorm::LayerNorm(int dims_, float eps_, bool affine, bool has_bias) : dims(dims_), eps(eps_) {
  if (affine) {
    weight = ones({dims});
    if (has_bias) {
      bias = zeros({dims});
    }
  }
  register_parameter("weight", weight);
  register_parameter("bias", bias);
}

std::string LayerNorm::describe_extra() const {
  return std::to_string(dims) + ", eps=" + py_float(eps) +
         ", affine=" + py_bool(weight.has_value());
}

array LayerNorm::operator()(const array& x) {
  check_features("LayerNorm", x, dims);
  return fast::layer_norm(x, weight, bias, eps);
}

RMSNorm::RMSNorm(int dims, float eps_) : eps(eps_), weight(ones({dims})) {
  register_parameter("weight", weight);
}

std::string RMSNorm::describe_extra() const {
  return std::to_string(weight.shape(0)) + ", eps=" + py_float(eps);
}

array RMSNorm::operator()(const array& x) {
  check_features("RMSNorm", x, weight.shape(0));
  return fast::rms_norm(x, weight, eps);
}

GroupNorm::GroupNorm(int num_groups_, int dims_, float eps_, bool affine, bool pytorch_compatible_)
    : num_groups(num_groups_), dims(dims_), eps(eps_), pytorch_compatible(pytorch_compatible_) {
  if (num_groups <= 0 || dims % num_groups != 0) {
    throw std::invalid_argument("[GroupNorm] The dimensions " + std::to_string(dims) +
                                " must be divisible by the number of groups " +
                                std::to_string(num_groups) + ".");
  }
  if (affine) {
    weight = ones({dims});
    bias = zeros({dims});
  }
  register_parameter("weight", weight);
  register_parameter("bias", bias);
}

std::string GroupNorm::describe_extra() const {
  return std::to_string(num_groups) + ", " + std::to_string(dims) + ", eps=" + py_float(eps) +
         ", affine=" + py_bool(weight.has_value()) +
         ", pytorch_compatible=" + py_bool(pytorch_compatible);
}

array GroupNorm::operator()(const array& x) {
  check_features("GroupNorm", x, dims, 2);
  int batch = x.shape(0);
  int group_size = dims / num_groups;
  array y = x;
  if (pytorch_compatible) {
    // [batch, rest, groups, group_size] -> [batch, groups, rest * group_size], normalised per row.
    y = reshape(x, {batch, -1, num_groups, group_size});
    y = reshape(transpose(y, {0, 2, 1, 3}), {batch, num_groups, -1});
    y = fast::layer_norm(y, std::nullopt, std::nullopt, eps);
    y = reshape(y, {batch, num_groups, -1, group_size});
    y = reshape(transpose(y, {0, 2, 1, 3}), x.shape());
  } else {
    y = reshape(normalize(reshape(x, {batch, -1, num_groups}), {1}, eps), x.shape());
  }
  return affine_of(y, weight, bias);
}

BatchNorm::BatchNorm(int num_features_, float eps_, float momentum_, bool affine,
                     bool track_running_stats_)
    : num_features(num_features_),
      eps(eps_),
      momentum(momentum_),
      track_running_stats(track_running_stats_) {
  if (affine) {
    weight = ones({num_features});
    bias = zeros({num_features});
  }
  if (track_running_stats) {
    running_mean = zeros({num_features});
    running_var = ones({num_features});
  }
  register_parameter("weight", weight);
  register_parameter("bias", bias);
  register_parameter("running_mean", running_mean);
  register_parameter("running_var", running_var);
  if (track_running_stats) {
    freeze(false, std::vector<std::string>{"running_mean", "running_var"});
  }
}

std::string BatchNorm::describe_extra() const {
  return std::to_string(num_features) + ", eps=" + py_float(eps) +
         ", momentum=" + py_float(momentum) + ", affine=" + py_bool(weight.has_value()) +
         ", track_running_stats=" + py_bool(track_running_stats);
}

void BatchNorm::unfreeze(bool recursive, const std::optional<std::vector<std::string>>& keys,
                         bool strict) {
  Module::unfreeze(recursive, keys, strict);
  if (track_running_stats) {
    freeze(false, std::vector<std::string>{"running_mean", "running_var"});
  }
}

array BatchNorm::operator()(const array& x) {
  if (x.ndim() < 2 || x.ndim() > 4) {
    throw std::invalid_argument(
        "[BatchNorm] Expected input tensor to have 2, 3 or 4 dimensions, but got " +
        std::to_string(x.ndim()) + ".");
  }
  check_features("BatchNorm", x, num_features, 2);
  std::vector<int> axes(x.ndim() - 1);
  std::iota(axes.begin(), axes.end(), 0);
  array m = mean(x, axes);
  array v = var(x, axes);
  if (training() && track_running_stats) {
    auto mu = detail::weak(momentum, *running_mean);
    auto keep = detail::weak(1.0 - momentum, *running_mean);
    running_mean = keep * *running_mean + mu * stop_gradient(m);
    running_var = keep * *running_var + mu * stop_gradient(v);
  } else if (track_running_stats) {
    m = *running_mean;
    v = *running_var;
  }
  return affine_of((x - m) * rsqrt(v + detail::weak(eps, v)), weight, bias);
}

}  // namespace mlx::nn
