// Normalisation layers (mlx.nn.InstanceNorm, LayerNorm, RMSNorm, GroupNorm, BatchNorm). Features
// are on the last axis, as everywhere in MLX.
#pragma once

#include <optional>

#include "mlx/nn/module.h"

namespace mlx::nn {

/** Normalises each sample and feature over the spatial axes (all but the first and last). */
class InstanceNorm : public UnaryLayer {
 public:
  explicit InstanceNorm(int dims, float eps = 1e-5f, bool affine = false);

  std::string name() const override { return "InstanceNorm"; }
  std::string describe_extra() const override;
  array operator()(const array& x) override;

  int dims;
  float eps;
  std::optional<array> weight, bias;
};

/** (x - mean) / sqrt(var + eps) * weight + bias over the last axis (fast::layer_norm). */
class LayerNorm : public UnaryLayer {
 public:
  explicit LayerNorm(int dims, float eps = 1e-5f, bool affine = true, bool bias = true);

  std::string name() const override { return "LayerNorm"; }
  std::string describe_extra() const override;
  array operator()(const array& x) override;

  int dims;
  float eps;
  std::optional<array> weight, bias;
};

/** x / sqrt(mean(x^2) + eps) * weight over the last axis (fast::rms_norm). */
class RMSNorm : public UnaryLayer {
 public:
  explicit RMSNorm(int dims, float eps = 1e-5f);

  std::string name() const override { return "RMSNorm"; }
  std::string describe_extra() const override;
  array operator()(const array& x) override;

  float eps;
  array weight;
};

/**
 * Normalises groups of features over the spatial axes. MLX's default groups features strided
 * (feature f in group f % groups); pytorch_compatible groups them contiguously as PyTorch does.
 */
class GroupNorm : public UnaryLayer {
 public:
  GroupNorm(int num_groups, int dims, float eps = 1e-5f, bool affine = true,
            bool pytorch_compatible = false);

  std::string name() const override { return "GroupNorm"; }
  std::string describe_extra() const override;
  array operator()(const array& x) override;

  int num_groups, dims;
  float eps;
  bool pytorch_compatible;
  std::optional<array> weight, bias;
};

/**
 * Normalises each feature over the batch (and spatial) axes of 2-4 dimensional inputs. In
 * training mode it uses the batch statistics and, with track_running_stats, updates
 * running_mean / running_var by `momentum`; in eval mode it uses the running statistics. The
 * running statistics are parameters (they are saved and loaded) but stay frozen.
 */
class BatchNorm : public UnaryLayer {
 public:
  explicit BatchNorm(int num_features, float eps = 1e-5f, float momentum = 0.1f, bool affine = true,
                     bool track_running_stats = true);

  std::string name() const override { return "BatchNorm"; }
  std::string describe_extra() const override;
  array operator()(const array& x) override;
  void unfreeze(bool recursive = true,
                const std::optional<std::vector<std::string>>& keys = std::nullopt,
                bool strict = false) override;

  int num_features;
  float eps, momentum;
  bool track_running_stats;
  std::optional<array> weight, bias, running_mean, running_var;
};

}  // namespace mlx::nn
