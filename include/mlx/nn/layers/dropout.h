// Dropout layers (mlx.nn.Dropout, Dropout2d, Dropout3d): identity in eval mode; in training
// mode they zero elements (or whole channels) with probability p and scale the rest by 1/(1-p).
#pragma once

#include "mlx/nn/module.h"

namespace mlx::nn {

class Dropout : public UnaryLayer {
 public:
  explicit Dropout(float p = 0.5f);

  std::string name() const override { return "Dropout"; }
  std::string describe_extra() const override;
  array operator()(const array& x) override;

  float p;
};

/** Drops whole channels of [N, H, W, C] or [H, W, C] inputs. */
class Dropout2d : public UnaryLayer {
 public:
  explicit Dropout2d(float p = 0.5f);

  std::string name() const override { return "Dropout2d"; }
  std::string describe_extra() const override;
  array operator()(const array& x) override;

  float p;
};

/** Drops whole channels of [N, D, H, W, C] or [D, H, W, C] inputs. */
class Dropout3d : public UnaryLayer {
 public:
  explicit Dropout3d(float p = 0.5f);

  std::string name() const override { return "Dropout3d"; }
  std::string describe_extra() const override;
  array operator()(const array& x) override;

  float p;
};

}  // namespace mlx::nn
