// A whole training step (forward, nn::value_and_grad, optimizer update) as one function, compiled
// with the model's parameters, the optimizer's state and the random key as its implicit state
// (MLX Python's mx.compile(step, inputs=state, outputs=state)).
#pragma once

#include <functional>
#include <vector>

#include "mlx/array.h"
#include "mlx/optimizers/optimizers.h"

namespace mlx::optimizers {

using StepFunction = std::function<std::vector<core::array>(const std::vector<core::array>&)>;

/**
 * Returns a function that runs one training step on its inputs: it differentiates loss_fn (whose
 * first output is the scalar loss) with respect to model.trainable_parameters(), applies the
 * optimizer, evaluates the new parameters, optimizer state and loss_fn's outputs, and returns
 * those outputs. With compiled (the default) the step is traced once per input signature: the
 * model's parameters, the optimizer's state (created by init before the first trace) and the
 * calling thread's random key go in and come out as state, so later calls replay the compiled
 * graph and write the new values back into model and optimizer. model and optimizer must outlive
 * the function; a model whose parameter tree changes (freeze, update_modules) is retraced.
 */
StepFunction training_step(nn::Module& model, Optimizer& optimizer, StepFunction loss_fn,
                           bool compiled = true);

}  // namespace mlx::optimizers
