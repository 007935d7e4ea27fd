// Logistic regression trained with value_and_grad on linearly separable data.
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
  std::mt19937 gen(7);

  auto w_star = normal({num_features}, gen);
  auto X = normal({num_examples, num_features}, gen);
  // Labels 1 where the true margin is positive, else 0.
  auto margin = mx::matmul(X, w_star);
  eval(margin);
  std::vector<float> labels(num_examples);
  for (int i = 0; i < num_examples; ++i) labels[i] = margin.data<float>()[i] > 0 ? 1.0f : 0.0f;
  auto y = mx::array(labels.data(), {num_examples});

  // Binary cross-entropy with logits: log(1 + exp(z)) - y * z.
  auto loss_fn = [&](const mx::array& w) {
    auto z = mx::matmul(X, w);
    return mx::mean(mx::log1p(mx::exp(z)) - y * z);
  };
  auto value_and_grad = mx::value_and_grad(loss_fn);

  auto w = mx::zeros({num_features});
  for (int it = 0; it < num_iters; ++it) {
    auto [loss, grad] = value_and_grad(w);
    w = w - grad * mx::array(lr);
    mx::eval(w, loss);
    if (it % 40 == 0 || it == num_iters - 1) {
      std::printf("logistic regression: iteration %3d  loss %.6f\n", it, loss.item<float>());
    }
  }
  auto logits = mx::matmul(X, w);
  eval(logits);
  int correct = 0;
  for (int i = 0; i < num_examples; ++i) {
    correct += (logits.data<float>()[i] > 0) == (labels[i] > 0.5f);
  }
  std::printf("logistic regression: training accuracy %.1f%%\n", 100.0 * correct / num_examples);
  return 0;
}
