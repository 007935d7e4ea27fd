// An MLP classifier on MNIST-like data made in code: 28x28 images of ten digit-like glyphs (each
// class a few strokes), randomly shifted, thickened and noised. Trained with nn::value_and_grad
// and SGD with momentum; reports test accuracy.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "mlx/nn.h"

namespace mx = mlx::core;
namespace nn = mlx::nn;
using mx::array;

namespace {

constexpr int kSide = 28, kPixels = kSide * kSide, kClasses = 10;

// Seven-segment-style strokes (x0, y0, x1, y1 on a 0..4 x 0..8 grid) drawn for each digit.
struct Stroke {
  int x0, y0, x1, y1;
};
const Stroke kTop{0, 0, 4, 0}, kMiddle{0, 4, 4, 4}, kBottom{0, 8, 4, 8}, kUpperLeft{0, 0, 0, 4},
    kUpperRight{4, 0, 4, 4}, kLowerLeft{0, 4, 0, 8}, kLowerRight{4, 4, 4, 8}, kDiagonal{4, 0, 0, 8};
const std::vector<std::vector<Stroke>> kGlyphs = {
    {kTop, kBottom, kUpperLeft, kUpperRight, kLowerLeft, kLowerRight},           // 0
    {kUpperRight, kLowerRight},                                                  // 1
    {kTop, kUpperRight, kMiddle, kLowerLeft, kBottom},                           // 2
    {kTop, kUpperRight, kMiddle, kLowerRight, kBottom},                          // 3
    {kUpperLeft, kMiddle, kUpperRight, kLowerRight},                             // 4
    {kTop, kUpperLeft, kMiddle, kLowerRight, kBottom},                           // 5
    {kTop, kUpperLeft, kMiddle, kLowerLeft, kLowerRight, kBottom},               // 6
    {kTop, kDiagonal},                                                           // 7
    {kTop, kMiddle, kBottom, kUpperLeft, kUpperRight, kLowerLeft, kLowerRight},  // 8
    {kTop, kMiddle, kBottom, kUpperLeft, kUpperRight, kLowerRight},              // 9
};

// n images (n, 784) in [0, 1] and their labels.
std::pair<array, array> make_digits(int n, std::mt19937& gen) {
  std::vector<float> images(size_t(n) * kPixels, 0.0f);
  std::vector<int32_t> labels(n);
  std::uniform_int_distribution<int> label(0, kClasses - 1), shift(-3, 3), scale(2, 3);
  std::normal_distribution<float> noise(0.0f, 0.15f);
  for (int i = 0; i < n; ++i) {
    labels[i] = label(gen);
    float* img = &images[size_t(i) * kPixels];
    int sx = scale(gen), dx = 9 + shift(gen), dy = 4 + shift(gen) / 2;
    bool thick = gen() & 1;
    for (auto& s : kGlyphs[labels[i]]) {
      for (int t = 0; t <= 16; ++t) {
        int x = dx + (s.x0 * 16 + (s.x1 - s.x0) * t) * sx / 16;
        int y = dy + (s.y0 * 16 + (s.y1 - s.y0) * t) * 5 / 16;
        for (int w = 0; w <= int(thick); ++w) {
          if (x + w >= 0 && x + w < kSide && y >= 0 && y < kSide) img[y * kSide + x + w] = 1.0f;
        }
      }
    }
    for (int p = 0; p < kPixels; ++p) img[p] = std::clamp(img[p] + noise(gen), 0.0f, 1.0f);
  }
  return {array(images.data(), {n, kPixels}), array(labels.data(), {n}, mx::int32)};
}

class MLP : public nn::Module {
 public:
  MLP(int in, int hidden, int out)
      : layers{std::make_shared<nn::Linear>(in, hidden),
               std::make_shared<nn::Linear>(hidden, hidden),
               std::make_shared<nn::Linear>(hidden, out)} {
    register_modules("layers", layers);
  }
  std::string name() const override { return "MLP"; }
  array operator()(array x) {
    for (size_t i = 0; i + 1 < layers.size(); ++i) x = nn::relu((*layers[i])(x));
    return (*layers.back())(x);
  }
  std::vector<std::shared_ptr<nn::UnaryLayer>> layers;
};

}  // namespace

int main() {
  const int train_size = 20000, test_size = 2000, batch = 128, epochs = 3;
  const float lr = 0.1f, momentum = 0.9f;
  std::mt19937 gen(0);
  mx::random::seed(0);
  auto [x_train, y_train] = make_digits(train_size, gen);
  auto [x_test, y_test] = make_digits(test_size, gen);

  auto model = std::make_shared<MLP>(kPixels, 128, kClasses);
  std::printf("mnist_mlp: %s\n", model->description().c_str());
  auto loss_fn = [&](const std::vector<array>& in) {
    return nn::losses::cross_entropy((*model)(in[0]), in[1], std::nullopt, -1, 0.0f,
                                     nn::losses::Reduction::mean);
  };
  auto step = nn::value_and_grad(*model, loss_fn);
  auto velocity = model->parameters().map_values([](const array& p) { return mx::zeros_like(p); });

  auto accuracy = [&](const array& x, const array& y) {
    auto correct = mx::sum(mx::equal(mx::argmax((*model)(x), -1), mx::astype(y, mx::uint32)));
    return correct.item<int>() / double(y.size());
  };
  auto start = std::chrono::steady_clock::now();
  for (int epoch = 0; epoch < epochs; ++epoch) {
    auto order = mx::random::permutation(train_size);
    float total = 0.0f;
    int batches = 0;
    for (int b = 0; b + batch <= train_size; b += batch, ++batches) {
      auto idx = mx::slice(order, {b}, {b + batch});
      auto [loss, grads] = step({mx::take(x_train, idx, 0), mx::take(y_train, idx, 0)});
      velocity = velocity.map_values(
          grads, [&](const array& v, const array& g) { return array(momentum) * v + g; });
      model->update(model->parameters().map_values(
          velocity, [&](const array& p, const array& v) { return p - array(lr) * v; }));
      auto state = model->parameters().flattened_values();
      for (auto& v : velocity.flattened_values()) state.push_back(v);
      state.push_back(loss);
      mx::eval(state);
      total += loss.item<float>();
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("mnist_mlp: epoch %d  loss %.4f  test accuracy %.1f%%  (%.1fs)\n", epoch + 1,
                total / batches, 100.0 * accuracy(x_test, y_test), seconds);
  }
  return 0;
}
