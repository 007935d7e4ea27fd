// Helpers shared by the mlx::nn layer tests: parameter trees from (key, array) lists and as
// (key, shape) lists.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "mlx/nn.h"
#include "nn_helpers.h"

namespace nn_test {

using KeyShapes = std::vector<std::pair<std::string, Shape>>;

inline KeyShapes key_shapes(const mlx::nn::ModuleParameters& p) {
  KeyShapes out;
  for (auto& [k, v] : p.flattened()) out.emplace_back(k, v.shape());
  return out;
}

inline std::vector<std::string> keys(const mlx::nn::ModuleParameters& p) {
  std::vector<std::string> out;
  for (auto& [k, v] : p.flattened()) out.push_back(k);
  return out;
}

/** A (partial) parameter tree from flattened keys ("query_proj.weight"). */
inline mlx::nn::ModuleParameters params(const std::vector<std::pair<std::string, array>>& values) {
  return mlx::nn::ModuleParameters::unflattened(values);
}

}  // namespace nn_test
