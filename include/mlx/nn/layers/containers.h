// Sequential and Identity (mlx.nn.Sequential, mlx.nn.Identity).
#pragma once

#include <memory>
#include <vector>

#include "mlx/nn/module.h"

namespace mlx::nn {

/** Calls its layers in order; they are the list "layers" in the parameter tree. */
class Sequential : public UnaryLayer {
 public:
  explicit Sequential(std::vector<std::shared_ptr<UnaryLayer>> layers);
  template <class... Layers>
  explicit Sequential(std::shared_ptr<Layers>... layers)
      : Sequential(std::vector<std::shared_ptr<UnaryLayer>>{std::move(layers)...}) {}

  std::string name() const override { return "Sequential"; }
  array operator()(const array& x) override;

  std::vector<std::shared_ptr<UnaryLayer>> layers;
};

/** Returns its input. */
class Identity : public UnaryLayer {
 public:
  std::string name() const override { return "Identity"; }
  array operator()(const array& x) override { return x; }
};

}  // namespace mlx::nn
