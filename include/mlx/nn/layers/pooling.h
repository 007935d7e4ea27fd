// Pooling (mlx.nn.MaxPool1d/2d/3d, AvgPool1d/2d/3d) over the spatial axes of channels-last
// inputs [N, spatial..., C]. The stride defaults to the kernel size; padding pads both sides
// (with -inf for max pooling, 0 for average pooling, which counts the padding as MLX does).
#pragma once

#include <optional>
#include <vector>

#include "mlx/nn/layers/conv.h"
#include "mlx/nn/module.h"

namespace mlx::nn {

class PoolBase : public UnaryLayer {
 public:
  std::string describe_extra() const override;
  array operator()(const array& x) override;

  std::vector<int> kernel_size, stride, padding;

 protected:
  PoolBase(const char* layer, int n, bool is_max, const IntOrTuple& kernel_size,
           const std::optional<IntOrTuple>& stride, const IntOrTuple& padding);

 private:
  bool max_;
};

#define MLX_NN_POOL(Name, n, is_max)                                      \
  class Name : public PoolBase {                                          \
   public:                                                                \
    explicit Name(const IntOrTuple& kernel_size,                          \
                  const std::optional<IntOrTuple>& stride = std::nullopt, \
                  const IntOrTuple& padding = 0)                          \
        : PoolBase(#Name, n, is_max, kernel_size, stride, padding) {}     \
    std::string name() const override { return #Name; }                   \
  };

MLX_NN_POOL(MaxPool1d, 1, true)
MLX_NN_POOL(MaxPool2d, 2, true)
MLX_NN_POOL(MaxPool3d, 3, true)
MLX_NN_POOL(AvgPool1d, 1, false)
MLX_NN_POOL(AvgPool2d, 2, false)
MLX_NN_POOL(AvgPool3d, 3, false)

#undef MLX_NN_POOL

}  // namespace mlx::nn
