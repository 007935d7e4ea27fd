// mlx::nn::init: shapes, dtypes, bounds and moments of the draws, errors.
#include <gtest/gtest.h>

#include <cmath>

#include "check.h"
#include "helpers.h"
#include "mlx/nn/init.h"

namespace {

using namespace mlx::core;
namespace init = mlx::nn::init;

double mean_of(const array& a) { return mean(astype(a, float64)).item<double>(); }
double std_of(const array& a) { return std::sqrt(var(astype(a, float64)).item<double>()); }
double max_abs(const array& a) { return max(abs(astype(a, float64))).item<double>(); }

TEST(NnInit, ConstantAndIdentity) {
  auto like = zeros({2, 3}, int32);
  expect_array<float>(init::constant(0.5f)(like), {2, 3}, float32, {0.5, 0.5, 0.5, 0.5, 0.5, 0.5});
  expect_array<int32_t>(init::constant(3.0f, int32)(like), {2, 3}, int32, {3, 3, 3, 3, 3, 3});
  expect_array<float>(init::identity()(zeros({2, 2})), {2, 2}, float32, {1, 0, 0, 1});
  EXPECT_EQ(init::identity(float16)(zeros({3, 3})).dtype(), float16);
  EXPECT_EQ(error_message([] {
              init::identity()(zeros({2, 3}));
            }),
            "[identity] The input array must be a square matrix but got shape (2,3).");
}

TEST(NnInit, UniformAndNormal) {
  random::seed(3);
  auto u = init::uniform(-2.0f, 4.0f)(zeros({100, 100}));
  EXPECT_EQ(u.shape(), Shape({100, 100}));
  EXPECT_EQ(u.dtype(), float32);
  EXPECT_GE(min(u).item<float>(), -2.0f);
  EXPECT_LT(max(u).item<float>(), 4.0f);
  EXPECT_NEAR(mean_of(u), 1.0, 0.05);
  EXPECT_NEAR(std_of(u), 6.0 / std::sqrt(12.0), 0.05);
  auto n = init::normal(1.5f, 0.5f, float16)(zeros({100, 100}));
  EXPECT_EQ(n.dtype(), float16);
  EXPECT_NEAR(mean_of(n), 1.5, 0.02);
  EXPECT_NEAR(std_of(n), 0.5, 0.02);
  EXPECT_EQ(init::uniform()(zeros({7})).shape(), Shape({7}));
}

TEST(NnInit, GlorotAndHe) {
  random::seed(4);
  // A conv-style weight [out=64, k=3, in=32]: fan_in = 32 * 3, fan_out = 64 * 3.
  auto like = zeros({64, 3, 32});
  double fan_in = 96, fan_out = 192;
  auto gu = init::glorot_uniform(float32, 2.0f)(like);
  EXPECT_EQ(gu.shape(), like.shape());
  double limit = 2.0 * std::sqrt(6.0 / (fan_in + fan_out));
  EXPECT_LE(max_abs(gu), limit);
  EXPECT_GT(max_abs(gu), 0.95 * limit);
  EXPECT_NEAR(std_of(gu), limit / std::sqrt(3.0), 0.03 * limit);

  auto gn = init::glorot_normal()(zeros({300, 200}));
  EXPECT_NEAR(std_of(gn), std::sqrt(2.0 / 500), 0.02 * std::sqrt(2.0 / 500));
  EXPECT_NEAR(mean_of(gn), 0.0, 0.002);

  auto hn = init::he_normal(float32, init::FanMode::fan_out)(zeros({300, 200}));
  EXPECT_NEAR(std_of(hn), 1.0 / std::sqrt(300.0), 0.02 / std::sqrt(300.0));
  auto hn_in = init::he_normal(bfloat16, init::FanMode::fan_in, 3.0f)(zeros({300, 200}));
  EXPECT_EQ(hn_in.dtype(), bfloat16);
  EXPECT_NEAR(std_of(hn_in), 3.0 / std::sqrt(200.0), 0.03 * 3.0 / std::sqrt(200.0));

  auto hu = init::he_uniform()(like);
  double hu_limit = std::sqrt(3.0 / fan_in);
  EXPECT_LE(max_abs(hu), hu_limit);
  EXPECT_GT(max_abs(hu), 0.95 * hu_limit);
  auto hu_out = init::he_uniform(float32, init::FanMode::fan_out)(like);
  EXPECT_LE(max_abs(hu_out), std::sqrt(3.0 / fan_out));
}

TEST(NnInit, FansNeedTwoDimensions) {
  EXPECT_EQ(error_message([] { init::glorot_uniform()(zeros({5})); }),
            "[glorot_uniform] Glorot / He initialization requires at least 2 dimensional input "
            "but input with 1 dimensions.");
  EXPECT_EQ(error_message([] { init::he_normal()(zeros({})); }),
            "[he_normal] Glorot / He initialization requires at least 2 dimensional input but "
            "input with 0 dimensions.");
}

}  // namespace
