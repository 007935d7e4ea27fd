#include "mlx/nn/losses.h"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "mlx/ops.h"
#include "nn/common.h"

namespace mlx::nn::losses {

using namespace mlx::core;
using detail::shape_str;
using detail::weak;

namespace {

void check_same_shape(const char* op, const char* what, const array& a, const array& targets) {
  if (a.shape() != targets.shape()) {
    throw std::invalid_argument(std::string("[") + op + "] " + what + " shape " +
                                shape_str(a.shape()) + " does not match targets shape " +
                                shape_str(targets.shape()) + ".");
  }
}

array weighted(const char* op, array loss, const std::optional<array>& weights) {
  if (!weights) {
    return loss;
  }
  if (weights->shape() != loss.shape()) {
    throw std::invalid_argument(
        std::string("[") + op + "] Weights with shape " + shape_str(weights->shape()) +
        " is not the same as output loss with shape " + shape_str(loss.shape()) + ".");
  }
  return loss * *weights;
}

int checked_axis(const char* op, int axis, int ndim) {
  int ax = axis < 0 ? axis + ndim : axis;
  if (ax < 0 || ax >= ndim) {
    throw std::invalid_argument(std::string("[") + op + "] Axis " + std::to_string(axis) +
                                " is out of bounds for an input with " + std::to_string(ndim) +
                                " dimensions.");
  }
  return ax;
}

}  // namespace

array reduce(const array& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::mean:
      return mean(loss);
    case Reduction::sum:
      return sum(loss);
    case Reduction::none:
      break;
  }
  return loss;
}

array cross_entropy(const array& logits, const array& targets, const std::optional<array>& weights,
                    int axis, float label_smoothing, Reduction reduction) {
  if (!(label_smoothing >= 0.0f && label_smoothing < 1.0f)) {
    throw std::invalid_argument("[cross_entropy] Label smoothing must be in [0, 1), got " +
                                std::to_string(label_smoothing) + ".");
  }
  int ax = checked_axis("cross_entropy", axis, static_cast<int>(logits.ndim()));
  bool as_probs = targets.ndim() == logits.ndim();
  auto dropped = logits.shape();
  dropped.erase(dropped.begin() + ax);
  if ((as_probs && targets.shape() != logits.shape()) ||
      (!as_probs && targets.shape() != dropped)) {
    throw std::invalid_argument("[cross_entropy] Targets shape " + shape_str(targets.shape()) +
                                " does not match logits shape " + shape_str(logits.shape()) + ".");
  }
  if (!as_probs && !issubdtype(targets.dtype(), integer)) {
    throw std::invalid_argument(
        "[cross_entropy] Class-index targets must have an integer dtype, got " +
        std::string(dtype_to_string(targets.dtype())) + ".");
  }
  auto score = as_probs ? sum(logits * targets, ax)
                        : squeeze(take_along_axis(logits, expand_dims(targets, ax), ax), ax);
  auto lse = logsumexp(logits, ax);
  array loss = lse - score;
  if (label_smoothing > 0) {
    auto adjusted = weak(1.0 - label_smoothing, score) * score;
    auto smoothed = -mean(logits, ax) * weak(label_smoothing, logits);
    loss = lse - adjusted + smoothed;
  }
  return reduce(weighted("cross_entropy", loss, weights), reduction);
}

array binary_cross_entropy(const array& inputs, const array& targets,
                           const std::optional<array>& weights, bool with_logits,
                           Reduction reduction) {
  check_same_shape("binary_cross_entropy", "Inputs", inputs, targets);
  array loss = inputs;
  if (with_logits) {
    loss = logaddexp(weak(0.0, inputs), inputs) - inputs * targets;
  } else {
    auto floor = weak(-100.0, inputs);
    auto log_p = maximum(log(inputs), floor);
    auto log_not_p = maximum(log(weak(1.0, inputs) - inputs), floor);
    loss = -(targets * log_p + (weak(1.0, targets) - targets) * log_not_p);
  }
  return reduce(weighted("binary_cross_entropy", loss, weights), reduction);
}

array l1_loss(const array& predictions, const array& targets, Reduction reduction) {
  check_same_shape("l1_loss", "Predictions", predictions, targets);
  return reduce(abs(predictions - targets), reduction);
}

array mse_loss(const array& predictions, const array& targets, Reduction reduction) {
  check_same_shape("mse_loss", "Predictions", predictions, targets);
  return reduce(square(predictions - targets), reduction);
}

array nll_loss(const array& inputs, const array& targets, int axis, Reduction reduction) {
  int ax = checked_axis("nll_loss", axis, static_cast<int>(inputs.ndim()));
  auto dropped = inputs.shape();
  dropped.erase(dropped.begin() + ax);
  if (targets.shape() != dropped) {
    throw std::invalid_argument("[nll_loss] Targets shape " + shape_str(targets.shape()) +
                                " does not match inputs shape " + shape_str(inputs.shape()) + ".");
  }
  auto picked = squeeze(take_along_axis(inputs, expand_dims(targets, ax), ax), ax);
  return reduce(-picked, reduction);
}

array kl_div_loss(const array& inputs, const array& targets, int axis, Reduction reduction) {
  return reduce(sum(exp(targets) * (targets - inputs), axis), reduction);
}

array smooth_l1_loss(const array& predictions, const array& targets, float beta,
                     Reduction reduction) {
  check_same_shape("smooth_l1_loss", "Predictions", predictions, targets);
  auto diff = abs(predictions - targets);
  auto b = weak(beta, diff);
  auto loss = where(less(diff, b), weak(0.5, diff) * square(diff) / b, diff - weak(0.5, diff) * b);
  return reduce(loss, reduction);
}

array triplet_loss(const array& anchors, const array& positives, const array& negatives, int axis,
                   int p, float margin, float eps, Reduction reduction) {
  auto distance = [&](const array& other) {
    auto d = anchors - other;
    return sqrt(sum(power(d, array(p, d.dtype())), axis) + weak(eps, d));
  };
  auto pos = distance(positives);
  auto loss = maximum(pos - distance(negatives) + weak(margin, pos), weak(0.0, pos));
  return reduce(loss, reduction);
}

array hinge_loss(const array& inputs, const array& targets, Reduction reduction) {
  auto prod = inputs * targets;
  return reduce(maximum(weak(1.0, prod) - prod, weak(0.0, prod)), reduction);
}

array huber_loss(const array& inputs, const array& targets, float delta, Reduction reduction) {
  auto abs_errors = abs(inputs - targets);
  auto d = weak(delta, abs_errors);
  auto quadratic = minimum(abs_errors, d);
  auto linear = abs_errors - quadratic;
  return reduce(weak(0.5, quadratic) * square(quadratic) + d * linear, reduction);
}

array log_cosh_loss(const array& inputs, const array& targets, Reduction reduction) {
  auto errors = inputs - targets;
  return reduce(logaddexp(errors, -errors) - weak(std::numbers::ln2, errors), reduction);
}

array cosine_similarity_loss(const array& x1, const array& x2, int axis, float eps,
                             Reduction reduction) {
  auto n1 = sqrt(sum(square(x1), axis));
  auto n2 = sqrt(sum(square(x2), axis));
  auto norms = n1 * n2;
  return reduce(sum(x1 * x2, axis) / maximum(norms, weak(eps, norms)), reduction);
}

}  // namespace mlx::nn::losses
