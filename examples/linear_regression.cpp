// Linear regression trained with value_and_grad: recovers the weights that made the data.
#include <cstdio>
#include <random>
#include <vector>

#include "mlx/mlx.h"

namespace mx = mlx::core;

namespace {
mx::array normal(mx::Shape shape, std::mt19937& gen) {
  std::normal_distribution<float> dist;
  size_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return mx::array(v.data(), shape);
}
}  // namespace

int main() {
  const int num_features = 100, num_examples = 1000, num_iters = 200;
  const float lr = 0.1f;
  std::mt19937 gen(42);

  auto w_star = normal({num_features}, gen);  // the true weights
  auto X = normal({num_examples, num_features}, gen);
  auto y = mx::matmul(X, w_star) + normal({num_examples}, gen) * mx::array(1e-2f);

  auto loss_fn = [&](const mx::array& w) {
    auto residual = mx::matmul(X, w) - y;
    return mx::mean(residual * residual) * mx::array(0.5f);
  };
  auto value_and_grad = mx::value_and_grad(loss_fn);

  auto w = normal({num_features}, gen) * mx::array(1e-2f);
  for (int it = 0; it < num_iters; ++it) {
    auto [loss, grad] = value_and_grad(w);
    w = w - grad * mx::array(lr);
    mx::eval(w, loss);
    if (it % 40 == 0 || it == num_iters - 1) {
      std::printf("linear regression: iteration %3d  loss %.6f\n", it, loss.item<float>());
    }
  }
  auto diff = w - w_star;
  auto error = mx::sqrt(mx::sum(diff * diff));
  std::printf("linear regression: |w - w*| = %.5f\n", error.item<float>());
  return 0;
}
