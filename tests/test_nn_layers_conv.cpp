// mlx::nn convolution, pooling and upsampling layers against tests/nn_layers_reference.h
// (PyTorch, with its channels-first layouts converted): values, parameter trees, printing,
// gradients, errors.
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

using nn_test::key_shapes;
using nn_test::KeyShapes;
using nn_test::params;

TEST(NnConv, Conv1d) {
  auto c = std::make_shared<nn::Conv1d>(4, 6, 3, 2, 1, 1, 2);
  EXPECT_EQ(key_shapes(c->parameters()), (KeyShapes{{"bias", {6}}, {"weight", {6, 3, 2}}}));
  EXPECT_EQ(c->description(),
            "Conv1d(4, 6, kernel_size=3, stride=2, padding=1, dilation=1, groups=2, bias=True)");
  c->weight = pattern({6, 3, 2}, 12);
  c->bias = pattern({6}, 13);
  expect_near((*c)(pattern({2, 7, 4}, 11)), {2, 4, 6}, nn_ref::conv1d_s2_p1_g2, 1e-5);
  EXPECT_EQ(error_message([&] {
              (*c)(zeros({7, 4}));
            }),
            "[Conv1d] Expected an input with 3 dimensions [batch, spatial..., channels], got "
            "shape (7,4).");
  EXPECT_EQ(error_message([] { nn::Conv1d(3, 6, 3, 1, 0, 1, 2); }),
            "[Conv1d] The number of input channels (3) must be positive and divisible by the "
            "number of groups (2).");
  c->apply([](const array& a) { return astype(a, float64); });
  check::grads(
      [&](const std::vector<array>& in) {
        c->weight = in[1];
        return std::vector<array>{(*c)(in[0])};
      },
      {check::uniform({1, 6, 4}), check::uniform({6, 3, 2}, -1, 1, 2)});
}

TEST(NnConv, Conv2dAnd3d) {
  auto c = std::make_shared<nn::Conv2d>(3, 4, std::pair{3, 2}, std::pair{1, 2}, std::pair{1, 0},
                                        std::pair{2, 1});
  EXPECT_EQ(key_shapes(c->parameters()), (KeyShapes{{"bias", {4}}, {"weight", {4, 3, 2, 3}}}));
  EXPECT_EQ(c->description(),
            "Conv2d(3, 4, kernel_size=(3, 2), stride=(1, 2), padding=(1, 0), dilation=(2, 1), "
            "groups=1, bias=True)");
  c->weight = pattern({4, 3, 2, 3}, 15);
  c->bias = pattern({4}, 16);
  expect_near((*c)(pattern({1, 5, 6, 3}, 14)), {1, 3, 3, 4}, nn_ref::conv2d, 1e-5);
  auto square = std::make_shared<nn::Conv2d>(3, 4, 3);
  EXPECT_EQ(square->weight.shape(), Shape({4, 3, 3, 3}));

  auto c3 = std::make_shared<nn::Conv3d>(2, 2, 2, 1, 0, 1, 1, false);
  EXPECT_EQ(key_shapes(c3->parameters()), (KeyShapes{{"weight", {2, 2, 2, 2, 2}}}));
  c3->weight = pattern({2, 2, 2, 2, 2}, 18);
  expect_near((*c3)(pattern({1, 3, 4, 3, 2}, 17)), {1, 2, 3, 2, 2}, nn_ref::conv3d_nobias, 1e-5);
  EXPECT_EQ(error_message([] {
              nn::Conv2d(3, 4, {3, 3, 3});
            }),
            "[Conv2d] Expected 2 values for kernel_size, got 3.");
}

TEST(NnConv, Transposed) {
  auto t = std::make_shared<nn::ConvTranspose1d>(3, 2, 3, 2, 1, 1, 1);
  EXPECT_EQ(key_shapes(t->parameters()), (KeyShapes{{"bias", {2}}, {"weight", {2, 3, 3}}}));
  EXPECT_EQ(t->description(),
            "ConvTranspose1d(3, 2, kernel_size=3, stride=2, padding=1, dilation=1, "
            "output_padding=1, groups=1, bias=True)");
  t->weight = pattern({2, 3, 3}, 20);
  t->bias = pattern({2}, 21);
  expect_near((*t)(pattern({1, 4, 3}, 19)), {1, 8, 2}, nn_ref::convT1d, 1e-5);

  auto t2 = std::make_shared<nn::ConvTransposed2d>(2, 3, 2, 2, 0, 1, 0, 1, false);
  t2->weight = pattern({3, 2, 2, 2}, 23);
  expect_near((*t2)(pattern({1, 3, 3, 2}, 22)), {1, 6, 6, 3}, nn_ref::convT2d, 1e-5);
  auto t3 = std::make_shared<nn::ConvTranspose3d>(2, 3, 2, 2);
  EXPECT_EQ((*t3)(zeros({1, 2, 2, 2, 2})).shape(), Shape({1, 4, 4, 4, 3}));
}

TEST(NnPool, MaxAndAverage) {
  auto xp = pattern({1, 7, 2}, 30);
  auto mp = std::make_shared<nn::MaxPool1d>(3, 2, 1);
  EXPECT_EQ(mp->description(), "MaxPool1d(kernel_size=(3,), stride=(2,), padding=(1,))");
  expect_near((*mp)(xp), {1, 4, 2}, nn_ref::maxpool1d_k3_s2_p1);
  expect_near((*std::make_shared<nn::AvgPool1d>(2))(xp), {1, 3, 2}, nn_ref::avgpool1d_k2);

  auto xp2 = pattern({1, 4, 5, 2}, 31);
  auto mp2 = std::make_shared<nn::MaxPool2d>(2);
  EXPECT_EQ(mp2->description(), "MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))");
  expect_near((*mp2)(xp2), {1, 2, 2, 2}, nn_ref::maxpool2d_k2);
  expect_near((*std::make_shared<nn::AvgPool2d>(3, 1, 1))(xp2), {1, 4, 5, 2},
              nn_ref::avgpool2d_k3_s1_p1);
  expect_near((*std::make_shared<nn::MaxPool3d>(2))(pattern({1, 2, 4, 4, 1}, 32)), {1, 1, 2, 2, 1},
              nn_ref::maxpool3d_k2);
  EXPECT_EQ((*std::make_shared<nn::AvgPool3d>(2, 1))(zeros({2, 3, 3, 3, 4})).shape(),
            Shape({2, 2, 2, 2, 4}));
  EXPECT_TRUE(mp2->parameters().empty());

  EXPECT_EQ(error_message([&] {
              (*mp2)(zeros({4, 5, 2}));
            }),
            "[MaxPool2d] Expected an input with 4 dimensions [batch, spatial..., channels], got "
            "shape (4,5,2).");
  EXPECT_EQ(error_message([] { nn::MaxPool1d(2, 1, 2); }),
            "[MaxPool1d] Kernel sizes and strides must be positive and paddings at most half the "
            "kernel size, got kernel_size=(2,), stride=(1,), padding=(2,).");
  EXPECT_EQ(error_message([&] {
              (*mp2)(zeros({1, 1, 5, 2}));
            }),
            "[MaxPool2d] The kernel (2, 2) is larger than the padded input's spatial shape "
            "(1,1,5,2).");

  auto avg = std::make_shared<nn::AvgPool2d>(2, 1);
  auto mx = std::make_shared<nn::MaxPool2d>(2, 1);
  check::grads([&](const std::vector<array>& in) { return std::vector<array>{(*avg)(in[0])}; },
               {check::uniform({1, 3, 4, 2})});
  check::grads([&](const std::vector<array>& in) { return std::vector<array>{(*mx)(in[0])}; },
               {check::uniform({1, 3, 4, 2})});
}

TEST(NnUpsample, Modes) {
  auto x = pattern({1, 2, 3, 1}, 33);
  auto near = std::make_shared<nn::Upsample>(2.0f);
  EXPECT_EQ(near->description(), "Upsample(scale_factor=2.0, mode='nearest', align_corners=False)");
  expect_near((*near)(x), {1, 4, 6, 1}, nn_ref::up_nearest_2);
  using M = nn::Upsample::Mode;
  expect_near((*std::make_shared<nn::Upsample>(2.0f, M::linear))(x), {1, 4, 6, 1},
              nn_ref::up_bilinear_2, 1e-5);
  expect_near((*std::make_shared<nn::Upsample>(2.0f, M::linear, true))(x), {1, 4, 6, 1},
              nn_ref::up_bilinear_2_ac, 1e-5);
  expect_near((*std::make_shared<nn::Upsample>(2.0f, M::cubic))(x), {1, 4, 6, 1},
              nn_ref::up_bicubic_2, 1e-5);
  expect_near((*std::make_shared<nn::Upsample>(2.0f, M::cubic, true))(x), {1, 4, 6, 1},
              nn_ref::up_bicubic_2_ac, 1e-5);
  expect_near((*std::make_shared<nn::Upsample>(1.5f, M::linear))(pattern({1, 4, 1}, 34)), {1, 6, 1},
              nn_ref::up_linear1d_1_5, 1e-5);
  auto per_axis = std::make_shared<nn::Upsample>(std::vector<float>{1.0f, 2.0f});
  EXPECT_EQ(per_axis->description(),
            "Upsample(scale_factor=(1.0, 2.0), mode='nearest', align_corners=False)");
  EXPECT_EQ((*per_axis)(x).shape(), Shape({1, 2, 6, 1}));
  // A non-integer nearest scale picks round((i + 0.5) n / m - 0.5).
  expect_array<float>(
      (*std::make_shared<nn::Upsample>(1.5f))(reshape(arange(0, 3, float32), {1, 3, 1})), {1, 4, 1},
      float32, {0, 1, 1, 2});
  EXPECT_EQ(error_message([&] {
              (*per_axis)(zeros({1, 2, 3, 4, 1}));
            }),
            "[upsample_nearest] Expected one scale per spatial axis of an input [batch, "
            "spatial..., channels]; got 2 scales for shape (1,2,3,4,1).");
  auto lin = std::make_shared<nn::Upsample>(2.0f, M::linear);
  check::grads([&](const std::vector<array>& in) { return std::vector<array>{(*lin)(in[0])}; },
               {check::uniform({1, 2, 3, 2})});
}

}  // namespace
