// Helpers shared by the mlx::nn tests: exact patterned inputs and weights, tolerant comparisons,
// parameter trees as (key, shape) lists.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "check.h"
#include "mlx/mlx.h"

namespace nn_test {

using namespace mlx::core;

/** (((i * 7 + seed) % 11) - 5) / 8 in row-major order: exact in float32, as in
 * tests/nn_layers_reference.py. */
inline array pattern(const Shape& shape, int seed = 0) {
  size_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = static_cast<float>((static_cast<int>((i * 7 + seed) % 11)) - 5) / 8.0f;
  }
  return array(v.data(), shape, float32);
}

inline void expect_near(const array& a, const Shape& shape, const std::vector<double>& expected,
                        double tol = 2e-6, Dtype dtype = float32) {
  EXPECT_EQ(a.shape(), shape);
  EXPECT_EQ(a.dtype(), dtype);
  auto got = check::values(a);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], expected[i], tol * std::max(1.0, std::abs(expected[i]))) << "at " << i;
  }
}

}  // namespace nn_test
