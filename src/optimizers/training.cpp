// Optimizer::update on a Module and the (compiled) training step.
#include "mlx/optimizers/training.h"

#include <utility>

#include "mlx/compile.h"
#include "mlx/nn/module.h"
#include "mlx/random.h"
#include "mlx/transforms.h"

namespace mlx::optimizers {

using core::array;

void Optimizer::update(nn::Module& model, const Parameters& grads) {
  model.update(apply_gradients(grads, model.parameters()));
}

namespace {

// The implicit state of a step in a fixed order: parameters (flattened), optimizer state, key.
struct StepState {
  nn::Module& model;
  Optimizer& optimizer;

  std::vector<array> get() const {
    auto out = model.parameters().flattened_values();
    auto opt = optimizer.inner_state();
    out.insert(out.end(), opt.begin(), opt.end());
    out.push_back(core::random::KeySequence::default_().state());
    return out;
  }

  // Puts back the state that get() returned (or a compiled function's new state) and returns
  // the number of arrays it took from the front of `arrays`.
  size_t set(const std::vector<array>& arrays) const {
    auto params = model.parameters();
    size_t n_params = params.flattened_values().size();
    size_t n_opt = optimizer.inner_state().size();
    model.update(
        params.replacing_values(std::vector<array>(arrays.begin(), arrays.begin() + n_params)));
    optimizer.set_inner_state(
        std::vector<array>(arrays.begin() + n_params, arrays.begin() + n_params + n_opt));
    core::random::KeySequence::default_().set_state(arrays[n_params + n_opt]);
    return n_params + n_opt + 1;
  }
};

}  // namespace

StepFunction training_step(nn::Module& model, Optimizer& optimizer, StepFunction loss_fn,
                           bool compiled) {
  auto vg = nn::value_and_grad(model, std::move(loss_fn));
  auto step = [&model, &optimizer, vg](const std::vector<array>& inputs) {
    auto [outputs, grads] = vg(inputs);
    optimizer.update(model, grads);
    return outputs;
  };
  if (!compiled) {
    return [state = StepState{model, optimizer}, step](const std::vector<array>& inputs) {
      auto outputs = step(inputs);
      auto all = state.get();
      all.insert(all.end(), outputs.begin(), outputs.end());
      core::eval(all);
      return outputs;
    };
  }
  // The state must exist before the trace: created inside it, it would be made of tracers.
  optimizer.init(model.trainable_parameters());
  StepState state{model, optimizer};
  auto traced = core::compile([state, step](const std::vector<array>& in) {
    size_t n = state.set(in);
    auto outputs = step(std::vector<array>(in.begin() + n, in.end()));
    auto out = state.get();
    out.insert(out.end(), outputs.begin(), outputs.end());
    return out;
  });
  return [state, traced](const std::vector<array>& inputs) {
    auto before = state.get();
    auto args = before;
    args.insert(args.end(), inputs.begin(), inputs.end());
    std::vector<array> result;
    try {
      result = traced(args);
    } catch (...) {
      // A failed trace leaves tracers in the model and optimizer.
      state.set(before);
      throw;
    }
    size_t n = state.set(result);
    core::eval(result);
    return std::vector<array>(result.begin() + n, result.end());
  };
}

}  // namespace mlx::optimizers
