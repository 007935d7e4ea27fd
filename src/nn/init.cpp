#include "mlx/nn/init.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "mlx/ops.h"
#include "mlx/random.h"
#include "nn/common.h"

namespace mlx::nn::init {

using namespace mlx::core;

namespace {

// fan_in is the last axis times the receptive field (the axes between the first and the last),
// fan_out the first axis times the receptive field: MLX's weight layouts are [out, ..., in].
std::pair<double, double> fans(const char* op, const array& a) {
  if (a.ndim() < 2) {
    throw std::invalid_argument(std::string("[") + op +
                                "] Glorot / He initialization requires at least 2 dimensional "
                                "input but input with " +
                                std::to_string(a.ndim()) + " dimensions.");
  }
  double receptive = 1;
  for (size_t i = 1; i + 1 < a.ndim(); ++i) {
    receptive *= a.shape(static_cast<int>(i));
  }
  return {a.shape(-1) * receptive, a.shape(0) * receptive};
}

double fan_of(const char* op, const array& a, FanMode mode) {
  auto [fan_in, fan_out] = fans(op, a);
  return mode == FanMode::fan_in ? fan_in : fan_out;
}

array scaled_normal(const array& a, double std, Dtype dtype) {
  return random::normal(a.shape(), dtype) * array(std, dtype);
}

array symmetric_uniform(const array& a, double limit, Dtype dtype) {
  return random::uniform(array(-limit, dtype), array(limit, dtype), a.shape(), dtype);
}

}  // namespace

Initializer constant(float value, Dtype dtype) {
  return [=](const array& a) { return full(a.shape(), array(value, dtype), dtype); };
}

Initializer uniform(float low, float high, Dtype dtype) {
  return [=](const array& a) {
    return random::uniform(array(low, dtype), array(high, dtype), a.shape(), dtype);
  };
}

Initializer normal(float mean, float std, Dtype dtype) {
  return [=](const array& a) { return random::normal(a.shape(), dtype, mean, std); };
}

Initializer identity(Dtype dtype) {
  return [=](const array& a) {
    if (a.ndim() != 2 || a.shape(0) != a.shape(1)) {
      throw std::invalid_argument(
          "[identity] The input array must be a square matrix but got shape " +
          detail::shape_str(a.shape()) + ".");
    }
    return eye(a.shape(0), dtype);
  };
}

Initializer glorot_normal(Dtype dtype, float gain) {
  return [=](const array& a) {
    auto [fan_in, fan_out] = fans("glorot_normal", a);
    return scaled_normal(a, gain * std::sqrt(2.0 / (fan_in + fan_out)), dtype);
  };
}

Initializer glorot_uniform(Dtype dtype, float gain) {
  return [=](const array& a) {
    auto [fan_in, fan_out] = fans("glorot_uniform", a);
    return symmetric_uniform(a, gain * std::sqrt(6.0 / (fan_in + fan_out)), dtype);
  };
}

Initializer he_normal(Dtype dtype, FanMode mode, float gain) {
  return [=](const array& a) {
    return scaled_normal(a, gain / std::sqrt(fan_of("he_normal", a, mode)), dtype);
  };
}

Initializer he_uniform(Dtype dtype, FanMode mode, float gain) {
  return [=](const array& a) {
    return symmetric_uniform(a, gain * std::sqrt(3.0 / fan_of("he_uniform", a, mode)), dtype);
  };
}

}  // namespace mlx::nn::init
