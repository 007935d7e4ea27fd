// Activation functions of mlx.nn (MLX Python semantics and defaults, snake_case names). Scalar
// constants adopt the input's floating dtype, as MLX Python's weak scalars do, so a float16
// input gives a float16 output. The module forms are in mlx/nn/layers/activations.h.
#pragma once

#include "mlx/array.h"
#include "mlx/ops.h"

namespace mlx::nn {

using mlx::core::array;

// The core ops themselves (MLX Python's nn.sigmoid, nn.tanh, nn.softmax): separate functions of
// the same name would make unqualified calls ambiguous, as argument-dependent lookup finds the
// core ones too. mlx::core::softmax without an axis normalises over all axes.
using mlx::core::sigmoid;
using mlx::core::softmax;
using mlx::core::tanh;

/** max(x, 0). */
array relu(const array& x);
/** max(negative_slope * x, x). */
array leaky_relu(const array& x, float negative_slope = 0.01f);
/** x - logsumexp(x, axis). */
array log_softmax(const array& x, int axis = -1);
/** x where x > 0, else alpha * (exp(x) - 1). */
array elu(const array& x, float alpha = 1.0f);
/** min(max(x, 0), 6). */
array relu6(const array& x);
array relu_squared(const array& x);
/** log(1 + exp(x)), computed as logaddexp(x, 0). */
array softplus(const array& x);
/** x / (1 + |x|). */
array softsign(const array& x);
/** x - sign(x) * lambd where |x| > lambd, else 0. */
array softshrink(const array& x, float lambd = 0.5f);
/** max(x, 0) + alpha * (exp(min(x, 0) / alpha) - 1). */
array celu(const array& x, float alpha = 1.0f);
/** x * sigmoid(x). */
array silu(const array& x);
/** -softplus(-x). */
array log_sigmoid(const array& x);
/** x * (1 + erf(x / sqrt(2))) / 2. */
array gelu(const array& x);
/** 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))). */
array gelu_approx(const array& x);
/** x * sigmoid(1.702 x). */
array gelu_fast_approx(const array& x);
/** a * sigmoid(b) where a, b are the two halves of x along axis. */
array glu(const array& x, int axis = -1);
/** 1 where x > threshold, else 0 (int32 for integer inputs as MLX's weak scalars give). */
array step(const array& x, float threshold = 0.0f);
/** 1.0507 * elu(x, 1.67326). */
array selu(const array& x);
/** max(0, x) + alpha * min(0, x). */
array prelu(const array& x, const array& alpha);
/** x * tanh(softplus(x)). */
array mish(const array& x);
/** x * min(max(x + 3, 0), 6) / 6. */
array hard_swish(const array& x);
/** min(max(x, min_val), max_val). */
array hard_tanh(const array& x, float min_val = -1.0f, float max_val = 1.0f);
/** x where |x| > lambd, else 0. */
array hard_shrink(const array& x, float lambd = 0.5f);
/** softmax(-x, axis). */
array softmin(const array& x, int axis = -1);

}  // namespace mlx::nn
