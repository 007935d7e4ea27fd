#include "mlx/nn/activations.h"

#include <cmath>
#include <numbers>
#include <stdexcept>

#include "mlx/compile.h"
#include "mlx/ops.h"
#include "nn/common.h"

namespace mlx::nn {

using namespace mlx::core;
using detail::weak;
using detail::weak_int;

namespace {

// Parameterless activations of several ops are compiled (shapeless, as MLX Python does), so that
// each runs as one fused pass over memory.
using Unary = array (*)(const array&);

template <Unary F>
array compiled(const array& x) {
  static auto fn =
      compile([](const std::vector<array>& in) { return std::vector<array>{F(in[0])}; },
              /* shapeless = */ true);
  return fn({x})[0];
}

array softplus_impl(const array& x) { return logaddexp(x, weak(0.0, x)); }

array gelu_impl(const array& x) {
  return x * (weak(1.0, x) + erf(x * weak(std::numbers::sqrt2 / 2, x))) / weak(2.0, x);
}

array gelu_approx_impl(const array& x) {
  const double c = std::sqrt(2.0 / std::numbers::pi);
  return weak(0.5, x) * x * (weak(1.0, x) + tanh(weak(c, x) * (x + weak(0.044715, x) * x * x * x)));
}

array gelu_fast_approx_impl(const array& x) { return x * core::sigmoid(weak(1.702, x) * x); }

array silu_impl(const array& x) { return x * core::sigmoid(x); }

array mish_impl(const array& x) { return x * tanh(softplus_impl(x)); }

array hard_swish_impl(const array& x) {
  auto max_x_3 = maximum(x + weak(3.0, x), weak(0.0, x));
  return x * minimum(max_x_3, weak(6.0, x)) / weak(6.0, x);
}

array elu_impl(const array& x, float alpha) {
  return where(greater(x, weak(0.0, x)), x, weak(alpha, x) * (exp(x) - weak(1.0, x)));
}

array selu_impl(const array& x) { return elu_impl(x, 1.67326f) * weak(1.0507, x); }

}  // namespace

array relu(const array& x) { return maximum(x, weak_int(0, x)); }

array leaky_relu(const array& x, float negative_slope) {
  return maximum(weak(negative_slope, x) * x, x);
}

array log_softmax(const array& x, int axis) { return x - logsumexp(x, axis, true); }

array elu(const array& x, float alpha) { return elu_impl(x, alpha); }

array relu6(const array& x) { return minimum(maximum(x, weak_int(0, x)), weak(6.0, x)); }

array relu_squared(const array& x) { return square(relu(x)); }

array softplus(const array& x) { return softplus_impl(x); }

array softsign(const array& x) { return x / (weak(1.0, x) + abs(x)); }

array softshrink(const array& x, float lambd) {
  return where(greater(abs(x), weak(lambd, x)), x - sign(x) * weak(lambd, x), weak(0.0, x));
}

array celu(const array& x, float alpha) {
  return maximum(x, weak(0.0, x)) +
         weak(alpha, x) * (exp(minimum(x, weak(0.0, x)) / weak(alpha, x)) - weak(1.0, x));
}

array silu(const array& x) { return compiled<silu_impl>(x); }

array log_sigmoid(const array& x) { return -softplus_impl(-x); }

array gelu(const array& x) { return compiled<gelu_impl>(x); }

array gelu_approx(const array& x) { return compiled<gelu_approx_impl>(x); }

array gelu_fast_approx(const array& x) { return compiled<gelu_fast_approx_impl>(x); }

array glu(const array& x, int axis) {
  int ax = axis < 0 ? axis + static_cast<int>(x.ndim()) : axis;
  if (ax < 0 || ax >= static_cast<int>(x.ndim()) || x.shape(ax) % 2 != 0) {
    throw std::invalid_argument("[glu] Axis " + std::to_string(axis) + " of an input with shape " +
                                detail::shape_str(x.shape()) +
                                " must exist and have an even size.");
  }
  auto halves = split(x, 2, ax);
  return halves[0] * core::sigmoid(halves[1]);
}

array step(const array& x, float threshold) {
  return where(greater(x, weak(threshold, x)), array(1), array(0));
}

array selu(const array& x) { return compiled<selu_impl>(x); }

array prelu(const array& x, const array& alpha) {
  return maximum(weak(0.0, x), x) + alpha * minimum(weak(0.0, x), x);
}

array mish(const array& x) { return compiled<mish_impl>(x); }

array hard_swish(const array& x) { return compiled<hard_swish_impl>(x); }

array hard_tanh(const array& x, float min_val, float max_val) {
  return minimum(maximum(x, weak(min_val, x)), weak(max_val, x));
}

array hard_shrink(const array& x, float lambd) {
  return where(greater(abs(x), weak(lambd, x)), x, weak(0.0, x));
}

array softmin(const array& x, int axis) { return core::softmax(-x, axis); }

}  // namespace mlx::nn
