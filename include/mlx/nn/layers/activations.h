// The activation functions of mlx/nn/activations.h as modules (mlx.nn.ReLU, GELU, ...), for
// Sequential and for layers that take an activation module.
#pragma once

#include "mlx/nn/activations.h"
#include "mlx/nn/module.h"

namespace mlx::nn {

#define MLX_NN_ACTIVATION_MODULE(Name, fn)                      \
  class Name : public UnaryLayer {                              \
   public:                                                      \
    std::string name() const override { return #Name; }         \
    array operator()(const array& x) override { return fn(x); } \
  };

MLX_NN_ACTIVATION_MODULE(Sigmoid, sigmoid)
MLX_NN_ACTIVATION_MODULE(Tanh, tanh)
MLX_NN_ACTIVATION_MODULE(ReLU, relu)
MLX_NN_ACTIVATION_MODULE(ReLU6, relu6)
MLX_NN_ACTIVATION_MODULE(ReLUSquared, relu_squared)
MLX_NN_ACTIVATION_MODULE(Softplus, softplus)
MLX_NN_ACTIVATION_MODULE(Softsign, softsign)
MLX_NN_ACTIVATION_MODULE(SiLU, silu)
MLX_NN_ACTIVATION_MODULE(LogSigmoid, log_sigmoid)
MLX_NN_ACTIVATION_MODULE(Mish, mish)
MLX_NN_ACTIVATION_MODULE(HardSwish, hard_swish)
MLX_NN_ACTIVATION_MODULE(SELU, selu)

#undef MLX_NN_ACTIVATION_MODULE

// Activations with one float parameter, kept as a public member.
#define MLX_NN_ACTIVATION_MODULE_1(Name, fn, param, default_value)     \
  class Name : public UnaryLayer {                                     \
   public:                                                             \
    explicit Name(float param##_ = default_value) : param(param##_) {} \
    std::string name() const override { return #Name; }                \
    array operator()(const array& x) override { return fn(x, param); } \
    float param;                                                       \
  };

MLX_NN_ACTIVATION_MODULE_1(LeakyReLU, leaky_relu, negative_slope, 0.01f)
MLX_NN_ACTIVATION_MODULE_1(ELU, elu, alpha, 1.0f)
MLX_NN_ACTIVATION_MODULE_1(CELU, celu, alpha, 1.0f)
MLX_NN_ACTIVATION_MODULE_1(Softshrink, softshrink, lambd, 0.5f)
MLX_NN_ACTIVATION_MODULE_1(HardShrink, hard_shrink, lambd, 0.5f)
MLX_NN_ACTIVATION_MODULE_1(Step, step, threshold, 0.0f)

#undef MLX_NN_ACTIVATION_MODULE_1

// Activations over an axis.
#define MLX_NN_AXIS_ACTIVATION_MODULE(Name, fn)                       \
  class Name : public UnaryLayer {                                    \
   public:                                                            \
    explicit Name(int axis_ = -1) : axis(axis_) {}                    \
    std::string name() const override { return #Name; }               \
    array operator()(const array& x) override { return fn(x, axis); } \
    int axis;                                                         \
  };

MLX_NN_AXIS_ACTIVATION_MODULE(GLU, glu)
MLX_NN_AXIS_ACTIVATION_MODULE(Softmax, softmax)
MLX_NN_AXIS_ACTIVATION_MODULE(Softmin, softmin)
MLX_NN_AXIS_ACTIVATION_MODULE(LogSoftmax, log_softmax)

#undef MLX_NN_AXIS_ACTIVATION_MODULE

// MLX Swift's spellings.
using SoftMax = Softmax;
using SoftPlus = Softplus;
using SoftSign = Softsign;
using LogSoftMax = LogSoftmax;

class HardTanh : public UnaryLayer {
 public:
  explicit HardTanh(float min_val_ = -1.0f, float max_val_ = 1.0f)
      : min_val(min_val_), max_val(max_val_) {}
  std::string name() const override { return "HardTanh"; }
  array operator()(const array& x) override { return hard_tanh(x, min_val, max_val); }
  float min_val, max_val;
};

/** prelu with a learnable slope "weight" of `count` entries (1 or one per feature). */
class PReLU : public UnaryLayer {
 public:
  explicit PReLU(int count = 1, float value = 0.25f);
  std::string name() const override { return "PReLU"; }
  array operator()(const array& x) override { return prelu(x, weight); }
  array weight;
};

/**
 * gelu (none), gelu_approx (precise and tanh: the tanh approximation, which MLX calls
 * "precise" too) or gelu_fast_approx (fast).
 */
class GELU : public UnaryLayer {
 public:
  enum class Approximation { none, precise, tanh, fast };
  explicit GELU(Approximation approximation = Approximation::none);
  std::string name() const override { return "GELU"; }
  array operator()(const array& x) override;
  Approximation approximation;
};

}  // namespace mlx::nn
