// mlx::nn normalisation layers against tests/nn_layers_reference.h (PyTorch): values, parameter
// trees, training vs eval behaviour of BatchNorm, gradients, errors.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "check.h"
#include "helpers.h"
#include "mlx/nn.h"
#include "nn_layer_helpers.h"
#include "nn_layers_reference.h"

namespace {

using namespace mlx::core;
namespace nn = mlx::nn;
using nn_test::expect_near;
using nn_test::pattern;

using nn_test::keys;
using nn_test::params;

using Strings = std::vector<std::string>;

TEST(NnNorm, LayerNorm) {
  auto ln = std::make_shared<nn::LayerNorm>(4);
  EXPECT_EQ(keys(ln->parameters()), (Strings{"bias", "weight"}));
  EXPECT_EQ(ln->description(), "LayerNorm(4, eps=1e-05, affine=True)");
  ln->update(params({{"weight", pattern({4}, 25)}, {"bias", pattern({4}, 26)}}));
  auto x = pattern({2, 3, 4}, 24) + arange(0, 4, float32) * array(0.3f);
  expect_near((*ln)(x), {2, 3, 4}, nn_ref::layer_norm, 1e-5);
  EXPECT_TRUE(std::make_shared<nn::LayerNorm>(4, 1e-5f, false)->parameters().empty());
  EXPECT_EQ(keys(std::make_shared<nn::LayerNorm>(4, 1e-5f, true, false)->parameters()),
            (Strings{"weight"}));
  EXPECT_EQ(error_message([&] {
              (*ln)(zeros({2, 3}));
            }),
            "[LayerNorm] Expected an input with at least 1 dimensions and 4 features on the last "
            "axis, got shape (2,3).");
  auto w = check::uniform({4}, 0.5, 1.5, 3), b = check::uniform({4}, -1, 1, 4);
  check::grads(
      [&](const std::vector<array>& in) {
        ln->update(params({{"weight", in[1]}, {"bias", in[2]}}));
        return std::vector<array>{(*ln)(in[0])};
      },
      {check::uniform({3, 4}), w, b}, 1e-6, 1e-5);
}

TEST(NnNorm, RMSNorm) {
  auto rms = std::make_shared<nn::RMSNorm>(4);
  EXPECT_EQ(keys(rms->parameters()), (Strings{"weight"}));
  EXPECT_EQ(rms->description(), "RMSNorm(4, eps=1e-05)");
  rms->weight = pattern({4}, 25);
  auto x = pattern({2, 3, 4}, 24) + arange(0, 4, float32) * array(0.3f);
  expect_near((*rms)(x), {2, 3, 4}, nn_ref::rms_norm, 1e-5);
  rms->weight = check::uniform({4}, 0.5, 1.5, 3);
  check::grads([&](const std::vector<array>& in) { return std::vector<array>{(*rms)(in[0])}; },
               {check::uniform({3, 4})}, 1e-6, 1e-5);
}

TEST(NnNorm, GroupNorm) {
  auto x = pattern({2, 3, 4}, 27) * array(2.0f) + arange(0, 4, float32) * array(0.5f);
  auto torch_like = std::make_shared<nn::GroupNorm>(2, 4, 1e-5f, true, true);
  EXPECT_EQ(torch_like->description(),
            "GroupNorm(2, 4, eps=1e-05, affine=True, pytorch_compatible=True)");
  expect_near((*torch_like)(x), {2, 3, 4}, nn_ref::group_norm_pytorch, 1e-5);
  auto mlx_like = std::make_shared<nn::GroupNorm>(2, 4, 1e-5f, false);
  EXPECT_TRUE(mlx_like->parameters().empty());
  expect_near((*mlx_like)(x), {2, 3, 4}, nn_ref::group_norm_mlx, 1e-5);
  // The affine part scales and shifts per feature.
  torch_like->weight = array({1.0f, 2.0f, 0.5f, -1.0f});
  torch_like->bias = array({0.0f, 1.0f, 0.0f, 2.0f});
  auto y = (*torch_like)(x);
  auto base = (*std::make_shared<nn::GroupNorm>(2, 4, 1e-5f, false, true))(x);
  check::expect_same(y, base * *torch_like->weight + *torch_like->bias, 1e-6);
  EXPECT_EQ(error_message([] { nn::GroupNorm(3, 4); }),
            "[GroupNorm] The dimensions 4 must be divisible by the number of groups 3.");
  check::grads([&](const std::vector<array>& in) { return std::vector<array>{(*mlx_like)(in[0])}; },
               {check::uniform({2, 3, 4})}, 1e-6, 1e-5);
}

TEST(NnNorm, InstanceNorm) {
  auto in = std::make_shared<nn::InstanceNorm>(2);
  EXPECT_TRUE(in->parameters().empty());
  EXPECT_EQ(in->description(), "InstanceNorm(2, eps=1e-05, affine=False)");
  auto x = pattern({2, 2, 3, 2}, 28) + array({0.0f, 1.0f});
  expect_near((*in)(x), {2, 2, 3, 2}, nn_ref::instance_norm, 1e-5);
  auto affine = std::make_shared<nn::InstanceNorm>(2, 1e-5f, true);
  EXPECT_EQ(keys(affine->parameters()), (Strings{"bias", "weight"}));
  expect_near((*affine)(x), {2, 2, 3, 2}, nn_ref::instance_norm, 1e-5);
  EXPECT_EQ(error_message([&] {
              (*in)(zeros({3, 2}));
            }),
            "[InstanceNorm] Expected an input with at least 3 dimensions and 2 features on the "
            "last axis, got shape (3,2).");
}

TEST(NnNorm, BatchNormTrainingAndEval) {
  auto bn = std::make_shared<nn::BatchNorm>(3);
  EXPECT_EQ(bn->description(),
            "BatchNorm(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  EXPECT_EQ(keys(bn->parameters()), (Strings{"bias", "running_mean", "running_var", "weight"}));
  // The running statistics are state, not trainable, also after unfreeze().
  EXPECT_EQ(keys(bn->trainable_parameters()), (Strings{"bias", "weight"}));
  bn->unfreeze();
  EXPECT_EQ(keys(bn->trainable_parameters()), (Strings{"bias", "weight"}));

  auto x = pattern({4, 3}, 29) * array(3.0f) + array({1.0f, -1.0f, 0.5f});
  expect_near((*bn)(x), {4, 3}, nn_ref::batch_norm_train, 1e-5);
  expect_near(*bn->running_mean, {3}, nn_ref::bn_running_mean, 1e-6);
  expect_near(*bn->running_var, {3}, nn_ref::bn_running_var, 1e-6);
  bn->train(false);
  expect_near((*bn)(x), {4, 3}, nn_ref::batch_norm_eval, 1e-5);
  // Eval mode leaves the statistics alone.
  expect_near(*bn->running_mean, {3}, nn_ref::bn_running_mean, 1e-6);

  auto plain = std::make_shared<nn::BatchNorm>(3, 1e-5f, 0.1f, false, false);
  EXPECT_TRUE(plain->parameters().empty());
  plain->train(false);
  expect_near((*plain)(x), {4, 3}, nn_ref::batch_norm_train, 1e-5);
  // Spatial inputs [N, L, C] normalise over N and L.
  auto y = (*plain)(reshape(x, {2, 2, 3}));
  expect_near(y, {2, 2, 3}, nn_ref::batch_norm_train, 1e-5);
  EXPECT_EQ(error_message([&] { (*bn)(zeros({3})); }),
            "[BatchNorm] Expected input tensor to have 2, 3 or 4 dimensions, but got 1.");
  check::grads([&](const std::vector<array>& in) { return std::vector<array>{(*plain)(in[0])}; },
               {check::uniform({5, 3})}, 1e-6, 1e-5);
}

TEST(NnNorm, BatchNormStatisticsUpdateInsideValueAndGrad) {
  auto bn = std::make_shared<nn::BatchNorm>(3);
  auto x = pattern({4, 3}, 29) * array(3.0f) + array({1.0f, -1.0f, 0.5f});
  auto vg = nn::value_and_grad(
      *bn, [&](const std::vector<array>& in) { return sum(square((*bn)(in[0]))); });
  auto [loss, grads] = vg({x});
  EXPECT_EQ(keys(grads), (Strings{"bias", "weight"}));
  expect_near(*bn->running_mean, {3}, nn_ref::bn_running_mean, 1e-6);
  expect_near(*bn->running_var, {3}, nn_ref::bn_running_var, 1e-6);
}

TEST(NnNorm, HalfPrecision) {
  auto x = astype(pattern({2, 3, 4}, 24), float16);
  auto ln = std::make_shared<nn::LayerNorm>(4);
  ln->apply([](const array& a) { return astype(a, float16); });
  EXPECT_EQ((*ln)(x).dtype(), float16);
  auto gn = std::make_shared<nn::GroupNorm>(2, 4, 1e-5f, false);
  EXPECT_EQ((*gn)(x).dtype(), float16);
}

}  // namespace
