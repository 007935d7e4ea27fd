// Optimizers (MLXOptimizers in C++): per-array update rules over parameter trees, their state
// as a tree that saves and loads, gradient clipping. See docs/optimizers.md.
#pragma once

#include <concepts>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "mlx/array.h"
#include "mlx/nested.h"
#include "mlx/optimizers/schedulers.h"

namespace mlx::nn {
class Module;
}

namespace mlx::optimizers {

using core::array;
/** A parameter or gradient tree (nn::ModuleParameters is the same type). */
using Parameters = core::NestedDictionary<std::string, array>;
/** An optimizer's state tree: per parameter path a dictionary of arrays, plus "step" and
 * "learning_rate" at the top. */
using OptimizerState = core::NestedDictionary<std::string, array>;

/** A learning rate: a constant, or a schedule evaluated at the step counter on each update. */
class LearningRate {
 public:
  LearningRate(float value) : value_(value) {}
  LearningRate(Schedule schedule) : value_(std::move(schedule)) {}
  template <typename F>
  requires(std::invocable<F, const array&> && !std::same_as<std::decay_t<F>, Schedule>)
      LearningRate(F f)
      : value_(Schedule(std::move(f))) {}

  bool is_schedule() const { return std::holds_alternative<Schedule>(value_); }
  /** The rate at the given step, as a float32 scalar. */
  array at(const array& step) const;

 private:
  std::variant<float, Schedule> value_;
};

/**
 * The interface every optimizer has. The state is created lazily by the first update (or by
 * init, which a compiled training step needs before tracing); state()/set_state() give it as a
 * tree to save and restore, inner_state()/set_inner_state() as a flat list for compile.
 */
class Optimizer {
 public:
  virtual ~Optimizer() = default;

  /** Creates the state of every parameter in the tree that has none yet. */
  virtual void init(const Parameters& params) = 0;

  /** The updated values of the parameters that have a gradient (a tree shaped like grads). */
  virtual Parameters apply_gradients(const Parameters& grads, const Parameters& params) = 0;

  /** Updates the model's parameters that have a gradient in grads; the others keep theirs. */
  void update(nn::Module& model, const Parameters& grads);

  virtual OptimizerState state() const = 0;
  /** Replaces the state with one state() returned (possibly saved and reloaded). */
  virtual void set_state(const OptimizerState& state) = 0;

  /** Every state array in a fixed order, and its inverse (same count and order). */
  virtual std::vector<array> inner_state() const = 0;
  virtual void set_inner_state(const std::vector<array>& arrays) = 0;
};

/**
 * An optimizer defined by a per-array rule (MLX Swift's OptimizerBase): init_single creates the
 * state of one parameter, apply_single returns its new value and updates its state. The step
 * counter is a uint64 scalar incremented before each update's rules run (so the first update sees
 * step 1); the learning rate is evaluated at the step before it is incremented.
 */
class OptimizerBase : public Optimizer {
 public:
  using ArrayState = std::map<std::string, array>;

  explicit OptimizerBase(std::optional<LearningRate> learning_rate);

  void init(const Parameters& params) override;
  Parameters apply_gradients(const Parameters& grads, const Parameters& params) override;
  OptimizerState state() const override;
  void set_state(const OptimizerState& state) override;
  std::vector<array> inner_state() const override;
  void set_inner_state(const std::vector<array>& arrays) override;

  /** The step counter (uint64 scalar): how many updates were applied. */
  array step() const { return step_; }
  /** The learning rate of the last update (before any, the rate at step 0), float32 scalar.
   * Throws for an Adafactor that computes its rate from the step (it has none). */
  array learning_rate() const;
  void set_learning_rate(LearningRate learning_rate);

 protected:
  virtual void init_single(const array& param, ArrayState& state) = 0;
  virtual array apply_single(const array& grad, const array& param, ArrayState& state) = 0;

  /** The learning rate in the dtype of a parameter. */
  array lr(core::Dtype dtype) const;

 private:
  std::optional<LearningRate> schedule_;
  array step_;
  std::optional<array> learning_rate_;
  std::map<std::string, ArrayState> states_;  // by the parameter's flattened path
};

/** Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay. */
class SGD : public OptimizerBase {
 public:
  explicit SGD(LearningRate learning_rate, float momentum = 0.0f, float weight_decay = 0.0f,
               float dampening = 0.0f, bool nesterov = false);

 protected:
  void init_single(const array& param, ArrayState& state) override;
  array apply_single(const array& grad, const array& param, ArrayState& state) override;

 private:
  float momentum_, weight_decay_, dampening_;
  bool nesterov_;
};

class RMSprop : public OptimizerBase {
 public:
  explicit RMSprop(LearningRate learning_rate, float alpha = 0.99f, float eps = 1e-8f);

 protected:
  void init_single(const array& param, ArrayState& state) override;
  array apply_single(const array& grad, const array& param, ArrayState& state) override;

 private:
  float alpha_, eps_;
};

class AdaGrad : public OptimizerBase {
 public:
  explicit AdaGrad(LearningRate learning_rate, float eps = 1e-8f);

 protected:
  void init_single(const array& param, ArrayState& state) override;
  array apply_single(const array& grad, const array& param, ArrayState& state) override;

 private:
  float eps_;
};

class AdaDelta : public OptimizerBase {
 public:
  explicit AdaDelta(LearningRate learning_rate, float rho = 0.9f, float eps = 1e-6f);

 protected:
  void init_single(const array& param, ArrayState& state) override;
  array apply_single(const array& grad, const array& param, ArrayState& state) override;

 private:
  float rho_, eps_;
};

using Betas = std::pair<float, float>;

class Adam : public OptimizerBase {
 public:
  explicit Adam(LearningRate learning_rate, Betas betas = {0.9f, 0.999f}, float eps = 1e-8f,
                bool bias_correction = false);

 protected:
  void init_single(const array& param, ArrayState& state) override;
  array apply_single(const array& grad, const array& param, ArrayState& state) override;

 private:
  Betas betas_;
  float eps_;
  bool bias_correction_;
};

/** Adam with decoupled weight decay: the parameter is scaled by 1 - lr * weight_decay first. */
class AdamW : public Adam {
 public:
  explicit AdamW(LearningRate learning_rate, Betas betas = {0.9f, 0.999f}, float eps = 1e-8f,
                 float weight_decay = 0.01f, bool bias_correction = false);

 protected:
  array apply_single(const array& grad, const array& param, ArrayState& state) override;

 private:
  float weight_decay_;
};

class Adamax : public OptimizerBase {
 public:
  explicit Adamax(LearningRate learning_rate, Betas betas = {0.9f, 0.999f}, float eps = 1e-8f);

 protected:
  void init_single(const array& param, ArrayState& state) override;
  array apply_single(const array& grad, const array& param, ArrayState& state) override;

 private:
  Betas betas_;
  float eps_;
};

/** Lion (sign of an interpolated momentum). MLX Swift's default betas; Python MLX's are
 * (0.9, 0.99). */
class Lion : public OptimizerBase {
 public:
  explicit Lion(LearningRate learning_rate, Betas betas = {0.9f, 0.999f},
                float weight_decay = 0.0f);

 protected:
  void init_single(const array& param, ArrayState& state) override;
  array apply_single(const array& grad, const array& param, ArrayState& state) override;

 private:
  Betas betas_;
  float weight_decay_;
};

/**
 * Adafactor: second moments factored into row and column averages for parameters of two or more
 * dimensions. Without a learning rate, relative_step must be true (the rate is then
 * min(1e-2, 1/sqrt(step)), or min(1e-6 * step, 1/sqrt(step)) with warmup_init).
 */
class Adafactor : public OptimizerBase {
 public:
  explicit Adafactor(std::optional<LearningRate> learning_rate = std::nullopt,
                     std::pair<float, float> eps = {1e-30f, 1e-3f}, float clip_threshold = 1.0f,
                     float decay_rate = -0.8f, std::optional<float> beta1 = std::nullopt,
                     float weight_decay = 0.0f, bool scale_parameter = true,
                     bool relative_step = true, bool warmup_init = false);

 protected:
  void init_single(const array& param, ArrayState& state) override;
  array apply_single(const array& grad, const array& param, ArrayState& state) override;

 private:
  std::pair<float, float> eps_;
  float clip_threshold_, decay_rate_;
  std::optional<float> beta1_;
  float weight_decay_;
  bool scale_parameter_, relative_step_, warmup_init_;
};

/**
 * Muon: momentum whose update, for parameters of two or more dimensions, is orthogonalised by
 * ns_steps Newton-Schulz iterations (on the update flattened to (shape[0], rest)) and its rate
 * scaled by sqrt(max(1, shape[-2] / shape[-1])). The iterations run in float32 (MLX runs them in
 * bfloat16).
 */
class Muon : public OptimizerBase {
 public:
  explicit Muon(LearningRate learning_rate, float momentum = 0.95f, float weight_decay = 0.01f,
                bool nesterov = true, int ns_steps = 5);

 protected:
  void init_single(const array& param, ArrayState& state) override;
  array apply_single(const array& grad, const array& param, ArrayState& state) override;

 private:
  float momentum_, weight_decay_;
  bool nesterov_;
  int ns_steps_;
};

/** Chooses the optimizer of a parameter from its flattened path and its gradient. */
using ParameterFilter = std::function<bool(const std::string& path, const array& grad)>;

/**
 * Routes each gradient to the first optimizer whose filter accepts it, or to the last optimizer
 * (which has no filter). Its state is {"states": [state of each optimizer]}.
 */
class MultiOptimizer : public Optimizer {
 public:
  MultiOptimizer(std::vector<std::shared_ptr<Optimizer>> optimizers,
                 std::vector<ParameterFilter> filters);

  void init(const Parameters& params) override;
  Parameters apply_gradients(const Parameters& grads, const Parameters& params) override;
  OptimizerState state() const override;
  void set_state(const OptimizerState& state) override;
  std::vector<array> inner_state() const override;
  void set_inner_state(const std::vector<array>& arrays) override;

  const std::vector<std::shared_ptr<Optimizer>>& optimizers() const { return optimizers_; }

 private:
  std::vector<Parameters> split(const Parameters& tree) const;

  std::vector<std::shared_ptr<Optimizer>> optimizers_;
  std::vector<ParameterFilter> filters_;
};

/**
 * Scales the gradients so that their global L2 norm (over every array) is at most max_norm:
 * each is multiplied by min(1, max_norm / (norm + 1e-6)). Returns the scaled gradients and the
 * norm before scaling.
 */
std::pair<Parameters, array> clip_grad_norm(const Parameters& grads, float max_norm);
std::pair<std::vector<array>, array> clip_grad_norm(const std::vector<array>& grads,
                                                    float max_norm);

}  // namespace mlx::optimizers
