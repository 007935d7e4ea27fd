// Upsample (mlx.nn.Upsample) of channels-last inputs [N, spatial..., C] by nearest neighbour,
// (bi/tri)linear or (bi)cubic interpolation.
#pragma once

#include <vector>

#include "mlx/nn/module.h"

namespace mlx::nn {

class Upsample : public UnaryLayer {
 public:
  enum class Mode { nearest, linear, cubic };

  /** The same scale for every spatial axis. */
  explicit Upsample(float scale_factor, Mode mode = Mode::nearest, bool align_corners = false);
  /** One scale per spatial axis. */
  explicit Upsample(std::vector<float> scale_factor, Mode mode = Mode::nearest,
                    bool align_corners = false);

  std::string name() const override { return "Upsample"; }
  std::string describe_extra() const override;
  array operator()(const array& x) override;

  std::vector<float> scale_factor;
  Mode mode;
  bool align_corners;
};

/** x upsampled by nearest neighbour, one scale per spatial axis. */
array upsample_nearest(const array& x, const std::vector<float>& scale_factor);
/** x upsampled by linear interpolation along each spatial axis. */
array upsample_linear(const array& x, const std::vector<float>& scale_factor,
                      bool align_corners = false);
/** x upsampled by cubic convolution (a = -0.75, borders repeated) along each spatial axis. */
array upsample_cubic(const array& x, const std::vector<float>& scale_factor,
                     bool align_corners = false);

}  // namespace mlx::nn
