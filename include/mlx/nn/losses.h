// Loss functions of mlx.nn.losses (MLX Python semantics, argument order and defaults).
#pragma once

#include <optional>

#include "mlx/array.h"

namespace mlx::nn::losses {

using mlx::core::array;

enum class Reduction { none, mean, sum };

/** The loss reduced as `reduction` says: unchanged, its mean or its sum. */
array reduce(const array& loss, Reduction reduction);

/**
 * logsumexp(logits) - logits[target] along axis. Targets are class indices (the logits' shape
 * without `axis`) or probabilities (the logits' shape). With label smoothing s in [0, 1) the
 * target distribution is mixed with the uniform one. Weights have the unreduced loss's shape.
 */
array cross_entropy(const array& logits, const array& targets,
                    const std::optional<array>& weights = std::nullopt, int axis = -1,
                    float label_smoothing = 0.0f, Reduction reduction = Reduction::none);

/** Binary cross entropy of logits (with_logits) or of probabilities (log clipped at -100). */
array binary_cross_entropy(const array& inputs, const array& targets,
                           const std::optional<array>& weights = std::nullopt,
                           bool with_logits = true, Reduction reduction = Reduction::mean);

/** |predictions - targets|. */
array l1_loss(const array& predictions, const array& targets,
              Reduction reduction = Reduction::mean);

/** (predictions - targets)^2. */
array mse_loss(const array& predictions, const array& targets,
               Reduction reduction = Reduction::mean);

/** -inputs[target] along axis, for log-probability inputs and class-index targets. */
array nll_loss(const array& inputs, const array& targets, int axis = -1,
               Reduction reduction = Reduction::none);

/** sum(exp(targets) * (targets - inputs), axis), for log-probability inputs and targets. */
array kl_div_loss(const array& inputs, const array& targets, int axis = -1,
                  Reduction reduction = Reduction::none);

/** 0.5 d^2 / beta where d = |predictions - targets| < beta, else d - 0.5 beta. */
array smooth_l1_loss(const array& predictions, const array& targets, float beta = 1.0f,
                     Reduction reduction = Reduction::mean);

/**
 * max(sqrt(sum((a - p)^p_norm, axis) + eps) - sqrt(sum((a - n)^p_norm, axis) + eps) + margin, 0),
 * as MLX computes it.
 */
array triplet_loss(const array& anchors, const array& positives, const array& negatives,
                   int axis = -1, int p = 2, float margin = 1.0f, float eps = 1e-6f,
                   Reduction reduction = Reduction::none);

/** max(1 - inputs * targets, 0), for targets in {-1, 1}. */
array hinge_loss(const array& inputs, const array& targets, Reduction reduction = Reduction::none);

/** 0.5 e^2 where |e| <= delta, else delta (|e| - 0.5 delta), with e = inputs - targets. */
array huber_loss(const array& inputs, const array& targets, float delta = 1.0f,
                 Reduction reduction = Reduction::none);

/** log(cosh(inputs - targets)), computed without overflow. */
array log_cosh_loss(const array& inputs, const array& targets,
                    Reduction reduction = Reduction::none);

/** sum(x1 * x2, axis) / max(|x1| |x2|, eps). */
array cosine_similarity_loss(const array& x1, const array& x2, int axis = 1, float eps = 1e-8f,
                             Reduction reduction = Reduction::none);

}  // namespace mlx::nn::losses
