#include "mlx/nn/layers/activations.h"

#include "mlx/ops.h"

namespace mlx::nn {

PReLU::PReLU(int count, float value) : weight(mlx::core::full({count}, value)) {
  register_parameter("weight", weight);
}

GELU::GELU(Approximation approximation_) : approximation(approximation_) {}

array GELU::operator()(const array& x) {
  switch (approximation) {
    case Approximation::none:
      return gelu(x);
    case Approximation::precise:
    case Approximation::tanh:
      return gelu_approx(x);
    case Approximation::fast:
      break;
  }
  return gelu_fast_approx(x);
}

}  // namespace mlx::nn
