// The optimizers' per-array rules and the state bookkeeping they share (MLX's update rules;
// see docs/optimizers.md for the formulas and where MLX Python and Swift differ).
#include "mlx/optimizers/optimizers.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "mlx/ops.h"
#include "mlx/utils.h"

namespace mlx::optimizers {

using core::Dtype;
using core::operator<<;

namespace {

// A scalar in the dtype of the array it combines with: a float32 scalar would promote float16
// and bfloat16 parameters to float32.
array scalar(float v, Dtype dtype) { return array(v, dtype); }

array rms(const array& x) { return core::sqrt(core::mean(core::square(x))); }

// The step as float32, for the powers and roots of bias corrections and relative steps.
array step_f(const array& step) { return core::astype(step, core::float32); }

}  // namespace

array LearningRate::at(const array& step) const {
  if (auto* s = std::get_if<Schedule>(&value_)) {
    return core::astype((*s)(step), core::float32);
  }
  return array(std::get<float>(value_));
}

OptimizerBase::OptimizerBase(std::optional<LearningRate> learning_rate)
    : schedule_(std::move(learning_rate)), step_(array(uint64_t{0})) {
  if (schedule_) {
    learning_rate_ = schedule_->at(step_);
  }
}

void OptimizerBase::set_learning_rate(LearningRate learning_rate) {
  schedule_ = std::move(learning_rate);
  learning_rate_ = schedule_->at(step_);
}

array OptimizerBase::learning_rate() const {
  if (!learning_rate_) {
    throw std::invalid_argument(
        "[Optimizer::learning_rate] This optimizer has no learning rate: it derives its step "
        "size from the step count (Adafactor with relative_step).");
  }
  return *learning_rate_;
}

array OptimizerBase::lr(Dtype dtype) const { return core::astype(learning_rate(), dtype); }

void OptimizerBase::init(const Parameters& params) {
  for (auto& [path, p] : params.flattened()) {
    if (!states_.contains(path)) {
      ArrayState st;
      init_single(p, st);
      states_.emplace(path, std::move(st));
    }
  }
}

Parameters OptimizerBase::apply_gradients(const Parameters& grads, const Parameters& params) {
  auto flat_grads = grads.flattened();
  std::unordered_map<std::string, array> by_path;
  for (auto& [path, p] : params.flattened()) {
    by_path.emplace(path, p);
  }
  std::vector<std::pair<std::string, array>> targets;
  targets.reserve(flat_grads.size());
  for (auto& [path, g] : flat_grads) {
    auto it = by_path.find(path);
    if (it == by_path.end()) {
      throw std::invalid_argument("[Optimizer::apply_gradients] The gradient '" + path +
                                  "' has no parameter.");
    }
    if (it->second.shape() != g.shape()) {
      std::ostringstream msg;
      msg << "[Optimizer::apply_gradients] The gradient '" << path << "' has shape " << g.shape()
          << " but its parameter has shape " << it->second.shape() << ".";
      throw std::invalid_argument(msg.str());
    }
    targets.emplace_back(path, it->second);
  }
  for (auto& [path, p] : targets) {
    if (!states_.contains(path)) {
      ArrayState st;
      init_single(p, st);
      states_.emplace(path, std::move(st));
    }
  }
  if (schedule_ && schedule_->is_schedule()) {
    learning_rate_ = schedule_->at(step_);
  }
  step_ = step_ + array(uint64_t{1});
  std::vector<std::pair<std::string, array>> out;
  out.reserve(flat_grads.size());
  for (size_t i = 0; i < flat_grads.size(); ++i) {
    auto& path = flat_grads[i].first;
    out.emplace_back(path, apply_single(flat_grads[i].second, targets[i].second, states_.at(path)));
  }
  return Parameters::unflattened(out);
}

OptimizerState OptimizerBase::state() const {
  std::vector<std::pair<std::string, array>> flat;
  for (auto& [path, st] : states_) {
    for (auto& [name, a] : st) {
      flat.emplace_back(path + "." + name, a);
    }
  }
  flat.emplace_back("step", step_);
  if (learning_rate_) {
    flat.emplace_back("learning_rate", *learning_rate_);
  }
  return OptimizerState::unflattened(flat);
}

void OptimizerBase::set_state(const OptimizerState& state) {
  std::optional<array> step;
  std::optional<array> rate;
  std::map<std::string, ArrayState> states;
  for (auto& [key, a] : state.flattened()) {
    if (key == "step") {
      step = a;
    } else if (key == "learning_rate") {
      rate = a;
    } else if (auto dot = key.rfind('.'); dot != std::string::npos) {
      states[key.substr(0, dot)].insert_or_assign(key.substr(dot + 1), a);
    } else {
      throw std::invalid_argument("[Optimizer::set_state] Unexpected key '" + key +
                                  "': expected 'step', 'learning_rate' or "
                                  "'<parameter path>.<state name>'.");
    }
  }
  if (!step) {
    throw std::invalid_argument("[Optimizer::set_state] The state has no 'step'.");
  }
  if (learning_rate_.has_value() != rate.has_value()) {
    throw std::invalid_argument(learning_rate_
                                    ? "[Optimizer::set_state] The state has no 'learning_rate'."
                                    : "[Optimizer::set_state] Unexpected key 'learning_rate': "
                                      "this optimizer has no learning rate.");
  }
  step_ = core::astype(*step, core::uint64);
  if (rate) {
    learning_rate_ = core::astype(*rate, core::float32);
  }
  states_ = std::move(states);
}

std::vector<array> OptimizerBase::inner_state() const {
  std::vector<array> out{step_};
  if (learning_rate_) {
    out.push_back(*learning_rate_);
  }
  for (auto& [path, st] : states_) {
    for (auto& [name, a] : st) {
      out.push_back(a);
    }
  }
  return out;
}

void OptimizerBase::set_inner_state(const std::vector<array>& arrays) {
  auto expected = inner_state().size();
  if (arrays.size() != expected) {
    throw std::invalid_argument("[Optimizer::set_inner_state] Expected " +
                                std::to_string(expected) + " arrays but got " +
                                std::to_string(arrays.size()) + ".");
  }
  size_t i = 0;
  step_ = arrays[i++];
  if (learning_rate_) {
    learning_rate_ = arrays[i++];
  }
  for (auto& [path, st] : states_) {
    for (auto& [name, a] : st) {
      a = arrays[i++];
    }
  }
}

// ---- SGD ----

SGD::SGD(LearningRate learning_rate, float momentum, float weight_decay, float dampening,
         bool nesterov)
    : OptimizerBase(std::move(learning_rate)),
      momentum_(momentum),
      weight_decay_(weight_decay),
      dampening_(dampening),
      nesterov_(nesterov) {
  if (nesterov && (momentum <= 0 || dampening != 0)) {
    std::ostringstream msg;
    msg << "[SGD] Nesterov momentum needs a positive momentum and zero dampening but got momentum "
        << momentum << " and dampening " << dampening << ".";
    throw std::invalid_argument(msg.str());
  }
}

void SGD::init_single(const array& param, ArrayState& state) {
  state.insert_or_assign("v", core::zeros_like(param));
}

array SGD::apply_single(const array& grad, const array& param, ArrayState& state) {
  auto dt = grad.dtype();
  auto g = grad;
  if (weight_decay_ != 0) {
    g = g + scalar(weight_decay_, dt) * param;
  }
  if (momentum_ <= 0) {
    return param - lr(dt) * g;
  }
  auto v = scalar(momentum_, dt) * state.at("v");
  v = v + (dampening_ > 0 ? scalar(1 - dampening_, dt) * g : g);
  state.insert_or_assign("v", v);
  auto update = nesterov_ ? g + scalar(momentum_, dt) * v : v;
  return param - lr(dt) * update;
}

// ---- RMSprop, AdaGrad, AdaDelta ----

RMSprop::RMSprop(LearningRate learning_rate, float alpha, float eps)
    : OptimizerBase(std::move(learning_rate)), alpha_(alpha), eps_(eps) {
  if (alpha < 0 || eps < 0) {
    std::ostringstream msg;
    msg << "[RMSprop] alpha and eps must be non-negative but got alpha " << alpha << " and eps "
        << eps << ".";
    throw std::invalid_argument(msg.str());
  }
}

void RMSprop::init_single(const array& param, ArrayState& state) {
  state.insert_or_assign("v", core::zeros_like(param));
}

array RMSprop::apply_single(const array& grad, const array& param, ArrayState& state) {
  auto dt = grad.dtype();
  auto v = scalar(alpha_, dt) * state.at("v") + scalar(1 - alpha_, dt) * core::square(grad);
  state.insert_or_assign("v", v);
  return param - lr(dt) * grad / (core::sqrt(v) + scalar(eps_, dt));
}

AdaGrad::AdaGrad(LearningRate learning_rate, float eps)
    : OptimizerBase(std::move(learning_rate)), eps_(eps) {
  if (eps < 0) {
    std::ostringstream msg;
    msg << "[AdaGrad] eps must be non-negative but got " << eps << ".";
    throw std::invalid_argument(msg.str());
  }
}

void AdaGrad::init_single(const array& param, ArrayState& state) {
  state.insert_or_assign("v", core::zeros_like(param));
}

array AdaGrad::apply_single(const array& grad, const array& param, ArrayState& state) {
  auto dt = grad.dtype();
  auto v = state.at("v") + core::square(grad);
  state.insert_or_assign("v", v);
  return param - lr(dt) * grad / (core::sqrt(v) + scalar(eps_, dt));
}

AdaDelta::AdaDelta(LearningRate learning_rate, float rho, float eps)
    : OptimizerBase(std::move(learning_rate)), rho_(rho), eps_(eps) {
  if (rho < 0 || eps < 0) {
    std::ostringstream msg;
    msg << "[AdaDelta] rho and eps must be non-negative but got rho " << rho << " and eps " << eps
        << ".";
    throw std::invalid_argument(msg.str());
  }
}

void AdaDelta::init_single(const array& param, ArrayState& state) {
  state.insert_or_assign("v", core::zeros_like(param));
  state.insert_or_assign("u", core::zeros_like(param));
}

array AdaDelta::apply_single(const array& grad, const array& param, ArrayState& state) {
  auto dt = grad.dtype();
  auto rho = scalar(rho_, dt), one_minus_rho = scalar(1 - rho_, dt), eps = scalar(eps_, dt);
  auto v = rho * state.at("v") + one_minus_rho * core::square(grad);
  auto d = core::sqrt(state.at("u") + eps) / core::sqrt(v + eps) * grad;
  auto u = rho * state.at("u") + one_minus_rho * core::square(d);
  state.insert_or_assign("v", v);
  state.insert_or_assign("u", u);
  return param - lr(dt) * d;
}

// ---- Adam, AdamW, Adamax ----

Adam::Adam(LearningRate learning_rate, Betas betas, float eps, bool bias_correction)
    : OptimizerBase(std::move(learning_rate)),
      betas_(betas),
      eps_(eps),
      bias_correction_(bias_correction) {}

void Adam::init_single(const array& param, ArrayState& state) {
  state.insert_or_assign("m", core::zeros_like(param));
  state.insert_or_assign("v", core::zeros_like(param));
}

array Adam::apply_single(const array& grad, const array& param, ArrayState& state) {
  auto dt = grad.dtype();
  auto [b1, b2] = betas_;
  auto m = scalar(b1, dt) * state.at("m") + scalar(1 - b1, dt) * grad;
  auto v = scalar(b2, dt) * state.at("v") + scalar(1 - b2, dt) * core::square(grad);
  state.insert_or_assign("m", m);
  state.insert_or_assign("v", v);
  if (!bias_correction_) {
    return param - lr(dt) * m / (core::sqrt(v) + scalar(eps_, dt));
  }
  auto t = step_f(step());
  auto c1 = core::astype(learning_rate() / (1.0f - core::power(array(b1), t)), dt);
  auto c2 = core::astype(core::rsqrt(1.0f - core::power(array(b2), t)), dt);
  return param - c1 * m / (core::sqrt(v) * c2 + scalar(eps_, dt));
}

AdamW::AdamW(LearningRate learning_rate, Betas betas, float eps, float weight_decay,
             bool bias_correction)
    : Adam(std::move(learning_rate), betas, eps, bias_correction), weight_decay_(weight_decay) {}

array AdamW::apply_single(const array& grad, const array& param, ArrayState& state) {
  auto dt = grad.dtype();
  auto decayed = param * (scalar(1, dt) - lr(dt) * scalar(weight_decay_, dt));
  return Adam::apply_single(grad, decayed, state);
}

Adamax::Adamax(LearningRate learning_rate, Betas betas, float eps)
    : OptimizerBase(std::move(learning_rate)), betas_(betas), eps_(eps) {
  if (eps < 0) {
    std::ostringstream msg;
    msg << "[Adamax] eps must be non-negative but got " << eps << ".";
    throw std::invalid_argument(msg.str());
  }
}

void Adamax::init_single(const array& param, ArrayState& state) {
  state.insert_or_assign("m", core::zeros_like(param));
  state.insert_or_assign("v", core::zeros_like(param));
}

array Adamax::apply_single(const array& grad, const array& param, ArrayState& state) {
  auto dt = grad.dtype();
  auto [b1, b2] = betas_;
  auto m = scalar(b1, dt) * state.at("m") + scalar(1 - b1, dt) * grad;
  auto v = core::maximum(scalar(b2, dt) * state.at("v"), core::abs(grad));
  state.insert_or_assign("m", m);
  state.insert_or_assign("v", v);
  return param - lr(dt) * m / (v + scalar(eps_, dt));
}

// ---- Lion ----

Lion::Lion(LearningRate learning_rate, Betas betas, float weight_decay)
    : OptimizerBase(std::move(learning_rate)), betas_(betas), weight_decay_(weight_decay) {}

void Lion::init_single(const array& param, ArrayState& state) {
  state.insert_or_assign("m", core::zeros_like(param));
}

array Lion::apply_single(const array& grad, const array& param, ArrayState& state) {
  auto dt = grad.dtype();
  auto [b1, b2] = betas_;
  auto m = state.at("m");
  auto c = scalar(b1, dt) * m + scalar(1 - b1, dt) * grad;
  state.insert_or_assign("m", scalar(b2, dt) * m + scalar(1 - b2, dt) * grad);
  auto p = param;
  if (weight_decay_ > 0) {
    p = (scalar(1, dt) - lr(dt) * scalar(weight_decay_, dt)) * p;
  }
  return p - lr(dt) * core::sign(c);
}

// ---- Adafactor ----

namespace {

std::optional<LearningRate> required_unless_relative(std::optional<LearningRate> rate,
                                                     bool relative_step) {
  if (!relative_step && !rate) {
    throw std::invalid_argument(
        "[Adafactor] A learning_rate is needed when relative_step is false.");
  }
  return rate;
}

}  // namespace

Adafactor::Adafactor(std::optional<LearningRate> learning_rate, std::pair<float, float> eps,
                     float clip_threshold, float decay_rate, std::optional<float> beta1,
                     float weight_decay, bool scale_parameter, bool relative_step, bool warmup_init)
    : OptimizerBase(required_unless_relative(std::move(learning_rate), relative_step)),
      eps_(eps),
      clip_threshold_(clip_threshold),
      decay_rate_(decay_rate),
      beta1_(beta1),
      weight_decay_(weight_decay),
      scale_parameter_(scale_parameter),
      relative_step_(relative_step),
      warmup_init_(warmup_init) {}

void Adafactor::init_single(const array& param, ArrayState& state) {
  if (param.ndim() >= 2) {
    auto shape = param.shape();
    core::Shape row(shape.begin(), shape.end() - 1);
    core::Shape col(shape.begin(), shape.end() - 2);
    col.push_back(shape.back());
    state.insert_or_assign("exp_avg_sq_row", core::zeros(row, param.dtype()));
    state.insert_or_assign("exp_avg_sq_col", core::zeros(col, param.dtype()));
  } else {
    state.insert_or_assign("exp_avg_sq", core::zeros_like(param));
  }
  if (beta1_) {
    state.insert_or_assign("exp_avg", core::zeros_like(param));
  }
}

array Adafactor::apply_single(const array& grad, const array& param, ArrayState& state) {
  auto dt = grad.dtype();
  auto t = step_f(step());
  // The step size: relative (a function of the step) or the learning rate, scaled by the
  // parameter's RMS when scale_parameter is set.
  array step_size =
      relative_step_ ? core::minimum(warmup_init_ ? array(1e-6f) * t : array(1e-2f), core::rsqrt(t))
                     : learning_rate();
  step_size = core::astype(step_size, dt);
  if (scale_parameter_) {
    step_size = core::maximum(scalar(eps_.second, dt), rms(param)) * step_size;
  }
  auto beta2 = core::astype(1.0f - core::power(t, array(decay_rate_)), dt);
  auto one_minus_beta2 = scalar(1, dt) - beta2;
  auto update = core::square(grad) + scalar(eps_.first, dt);
  if (grad.ndim() >= 2) {
    auto row = beta2 * state.at("exp_avg_sq_row") + one_minus_beta2 * core::mean(update, -1);
    auto col = beta2 * state.at("exp_avg_sq_col") + one_minus_beta2 * core::mean(update, -2);
    state.insert_or_assign("exp_avg_sq_row", row);
    state.insert_or_assign("exp_avg_sq_col", col);
    // The rank-one estimate of the second moments: row * col / mean(row), as its inverse root.
    auto r = core::rsqrt(row / core::mean(row, -1, true));
    auto c = core::rsqrt(col);
    update = core::expand_dims(r, -1) * core::expand_dims(c, -2) * grad;
  } else {
    auto v = beta2 * state.at("exp_avg_sq") + one_minus_beta2 * update;
    state.insert_or_assign("exp_avg_sq", v);
    update = core::rsqrt(v) * grad;
  }
  update = update / core::maximum(scalar(1, dt), rms(update) / scalar(clip_threshold_, dt));
  update = step_size * update;
  if (beta1_) {
    auto avg = scalar(*beta1_, dt) * state.at("exp_avg") + scalar(1 - *beta1_, dt) * update;
    state.insert_or_assign("exp_avg", avg);
    update = avg;
  }
  auto p = param;
  if (weight_decay_ != 0) {
    p = p + p * (scalar(-weight_decay_, dt) * step_size);
  }
  return p - update;
}

// ---- Muon ----

Muon::Muon(LearningRate learning_rate, float momentum, float weight_decay, bool nesterov,
           int ns_steps)
    : OptimizerBase(std::move(learning_rate)),
      momentum_(momentum),
      weight_decay_(weight_decay),
      nesterov_(nesterov),
      ns_steps_(ns_steps) {
  if (ns_steps < 0) {
    throw std::invalid_argument("[Muon] ns_steps must be non-negative but got " +
                                std::to_string(ns_steps) + ".");
  }
}

void Muon::init_single(const array& param, ArrayState& state) {
  state.insert_or_assign("v", core::zeros_like(param));
}

namespace {

// The quintic Newton-Schulz iteration of Muon: maps a matrix to (roughly) the orthogonal factor
// of its polar decomposition, with the coefficients of the Muon paper.
array orthogonalize(array x, int steps) {
  const float a = 3.4445f, b = -4.7750f, c = 2.0315f;
  bool tall = x.shape(0) > x.shape(1);
  if (tall) {
    x = core::transpose(x);
  }
  x = x / (core::sqrt(core::sum(core::square(x))) + array(1e-7f, x.dtype()));
  for (int i = 0; i < steps; ++i) {
    auto A = core::matmul(x, core::transpose(x));
    auto B = core::addmm(array(b, x.dtype()) * A, A, A, c, 1.0f);
    x = core::addmm(x, B, x, 1.0f, a);
  }
  return tall ? core::transpose(x) : x;
}

}  // namespace

array Muon::apply_single(const array& grad, const array& param, ArrayState& state) {
  auto dt = grad.dtype();
  auto g = grad;
  if (weight_decay_ != 0) {
    g = g + scalar(weight_decay_, dt) * param;
  }
  auto v = scalar(momentum_, dt) * state.at("v") + scalar(1 - momentum_, dt) * g;
  state.insert_or_assign("v", v);
  auto update = nesterov_ ? g * scalar(1 - momentum_, dt) + v * scalar(momentum_, dt) : v;
  auto rate = lr(dt);
  if (update.ndim() >= 2) {
    auto shape = update.shape();
    auto work = dt == core::float64 ? core::float64 : core::float32;
    auto flat = core::reshape(core::astype(update, work), {shape[0], -1});
    update = core::astype(core::reshape(orthogonalize(flat, ns_steps_), shape), dt);
    float ratio = static_cast<float>(shape[shape.size() - 2]) / shape.back();
    rate = rate * scalar(std::sqrt(std::max(1.0f, ratio)), dt);
  }
  return param - rate * update;
}

// ---- MultiOptimizer ----

MultiOptimizer::MultiOptimizer(std::vector<std::shared_ptr<Optimizer>> optimizers,
                               std::vector<ParameterFilter> filters)
    : optimizers_(std::move(optimizers)), filters_(std::move(filters)) {
  if (optimizers_.empty() || filters_.size() + 1 != optimizers_.size()) {
    throw std::invalid_argument(
        "[MultiOptimizer] Expected one filter fewer than optimizers but got " +
        std::to_string(optimizers_.size()) + " optimizers and " + std::to_string(filters_.size()) +
        " filters.");
  }
  for (auto& o : optimizers_) {
    if (!o) {
      throw std::invalid_argument("[MultiOptimizer] An optimizer is null.");
    }
  }
}

std::vector<Parameters> MultiOptimizer::split(const Parameters& tree) const {
  std::vector<std::vector<std::pair<std::string, array>>> parts(optimizers_.size());
  for (auto& [path, a] : tree.flattened()) {
    size_t i = 0;
    while (i < filters_.size() && !filters_[i](path, a)) {
      ++i;
    }
    parts[i].emplace_back(path, a);
  }
  std::vector<Parameters> out;
  out.reserve(parts.size());
  for (auto& p : parts) {
    out.push_back(Parameters::unflattened(p));
  }
  return out;
}

void MultiOptimizer::init(const Parameters& params) {
  auto parts = split(params);
  for (size_t i = 0; i < optimizers_.size(); ++i) {
    optimizers_[i]->init(parts[i]);
  }
}

Parameters MultiOptimizer::apply_gradients(const Parameters& grads, const Parameters& params) {
  auto parts = split(grads);
  std::vector<std::pair<std::string, array>> merged;
  for (size_t i = 0; i < optimizers_.size(); ++i) {
    auto updated = optimizers_[i]->apply_gradients(parts[i], params).flattened();
    merged.insert(merged.end(), updated.begin(), updated.end());
  }
  return Parameters::unflattened(merged);
}

OptimizerState MultiOptimizer::state() const {
  std::vector<std::pair<std::string, array>> flat;
  for (size_t i = 0; i < optimizers_.size(); ++i) {
    for (auto& [key, a] : optimizers_[i]->state().flattened()) {
      flat.emplace_back("states." + std::to_string(i) + "." + key, a);
    }
  }
  return OptimizerState::unflattened(flat);
}

void MultiOptimizer::set_state(const OptimizerState& state) {
  std::vector<std::vector<std::pair<std::string, array>>> parts(optimizers_.size());
  const std::string prefix = "states.";
  for (auto& [key, a] : state.flattened()) {
    size_t index = 0, used = 0;
    bool ok = key.starts_with(prefix);
    if (ok) {
      try {
        index = std::stoul(key.substr(prefix.size()), &used);
      } catch (const std::exception&) {
        ok = false;
      }
    }
    size_t rest = prefix.size() + used;
    if (!ok || index >= optimizers_.size() || rest >= key.size() || key[rest] != '.') {
      throw std::invalid_argument("[MultiOptimizer::set_state] Unexpected key '" + key +
                                  "': expected 'states.<i>.<key>' with i below " +
                                  std::to_string(optimizers_.size()) + ".");
    }
    parts[index].emplace_back(key.substr(rest + 1), a);
  }
  for (size_t i = 0; i < optimizers_.size(); ++i) {
    optimizers_[i]->set_state(OptimizerState::unflattened(parts[i]));
  }
}

std::vector<array> MultiOptimizer::inner_state() const {
  std::vector<array> out;
  for (auto& o : optimizers_) {
    auto s = o->inner_state();
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

void MultiOptimizer::set_inner_state(const std::vector<array>& arrays) {
  auto expected = inner_state().size();
  if (arrays.size() != expected) {
    throw std::invalid_argument("[Optimizer::set_inner_state] Expected " +
                                std::to_string(expected) + " arrays but got " +
                                std::to_string(arrays.size()) + ".");
  }
  auto it = arrays.begin();
  for (auto& o : optimizers_) {
    auto n = o->inner_state().size();
    o->set_inner_state(std::vector<array>(it, it + n));
    it += n;
  }
}

// ---- clip_grad_norm ----

namespace {

// The squared L2 norm of g, accumulated in float32 at least: squares of half-precision
// gradients overflow their own dtype long before float32's.
array squared_norm(const array& g) {
  auto work = core::promote_types(g.dtype(), core::float32);
  return core::sum(core::square(core::astype(g, work)));
}

array clip_factor(const array& total_norm, float max_norm) {
  return core::minimum(array(max_norm) / (total_norm + array(1e-6f)), array(1.0f));
}

}  // namespace

std::pair<Parameters, array> clip_grad_norm(const Parameters& grads, float max_norm) {
  auto flat = grads.flattened_values();
  auto [clipped, norm] = clip_grad_norm(flat, max_norm);
  return {grads.replacing_values(clipped), norm};
}

std::pair<std::vector<array>, array> clip_grad_norm(const std::vector<array>& grads,
                                                    float max_norm) {
  if (max_norm < 0) {
    std::ostringstream msg;
    msg << "[clip_grad_norm] max_norm must be non-negative but got " << max_norm << ".";
    throw std::invalid_argument(msg.str());
  }
  array total = array(0.0f);
  for (auto& g : grads) {
    total = total + squared_norm(g);
  }
  auto norm = core::sqrt(total);
  auto factor = clip_factor(norm, max_norm);
  std::vector<array> clipped;
  clipped.reserve(grads.size());
  for (auto& g : grads) {
    clipped.push_back(g * core::astype(factor, g.dtype()));
  }
  return {clipped, norm};
}

}  // namespace mlx::optimizers
