#include "mlx/nn/layers/containers.h"

namespace mlx::nn {

Sequential::Sequential(std::vector<std::shared_ptr<UnaryLayer>> layers_)
    : layers(std::move(layers_)) {
  register_modules("layers", layers);
}

array Sequential::operator()(const array& x) {
  array y = x;
  for (auto& layer : layers) {
    y = (*layer)(y);
  }
  return y;
}

}  // namespace mlx::nn
