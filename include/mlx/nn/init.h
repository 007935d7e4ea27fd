// Initialisers of mlx.nn.init: each factory returns a function that, given an array, returns a
// new array of its shape (in the factory's dtype), drawn from the global random key sequence.
// MLX Python passes gain and mode when the initialiser is called; here they are arguments of the
// factory, as C++ functions carry no defaults.
#pragma once

#include <functional>

#include "mlx/array.h"

namespace mlx::nn::init {

using mlx::core::array;
using mlx::core::Dtype;
using Initializer = std::function<array(const array&)>;

enum class FanMode { fan_in, fan_out };

/** Every element `value`. */
Initializer constant(float value, Dtype dtype = mlx::core::float32);
/** U(low, high). */
Initializer uniform(float low = 0.0f, float high = 1.0f, Dtype dtype = mlx::core::float32);
/** N(mean, std^2). */
Initializer normal(float mean = 0.0f, float std = 1.0f, Dtype dtype = mlx::core::float32);
/** The identity matrix (the array must be square). */
Initializer identity(Dtype dtype = mlx::core::float32);
/** N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)). */
Initializer glorot_normal(Dtype dtype = mlx::core::float32, float gain = 1.0f);
/** U(-limit, limit) with limit = gain * sqrt(6 / (fan_in + fan_out)). */
Initializer glorot_uniform(Dtype dtype = mlx::core::float32, float gain = 1.0f);
/** N(0, std^2) with std = gain / sqrt(fan). */
Initializer he_normal(Dtype dtype = mlx::core::float32, FanMode mode = FanMode::fan_in,
                      float gain = 1.0f);
/** U(-limit, limit) with limit = gain * sqrt(3 / fan). */
Initializer he_uniform(Dtype dtype = mlx::core::float32, FanMode mode = FanMode::fan_in,
                       float gain = 1.0f);

}  // namespace mlx::nn::init
