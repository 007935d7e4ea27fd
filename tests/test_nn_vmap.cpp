// vmap of mlx::nn layers' forward passes against a loop over the batch (tests/check.h's sweep:
// batch axis in front, last, in the middle with other inputs unmapped, and a vmap of a vmap).
// Layers run in float64 so that vmap and the loop agree to 1e-12.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "check.h"
#include "helpers.h"
#include "mlx/nn.h"

namespace {

using namespace mlx::core;
namespace nn = mlx::nn;
using check::uniform;

template <class M>
std::shared_ptr<M> in_float64(std::shared_ptr<M> m) {
  m->apply([](const std::string&, const array& p) { return issubdtype(p.dtype(), floating); },
           [](const array& p) { return astype(p, float64); });
  return m;
}

// The sweep for a unary layer on per-example input x.
void unary_vmaps(nn::UnaryLayer& layer, const array& x, double tol = 1e-12) {
  check::vmaps([&](const std::vector<array>& in) { return std::vector<array>{layer(in[0])}; }, {x},
               tol);
}

TEST(NnVmap, LinearBilinearEmbedding) {
  random::seed(1);
  unary_vmaps(*in_float64(std::make_shared<nn::Linear>(3, 4)), uniform({2, 3}));
  unary_vmaps(*in_float64(std::make_shared<nn::Linear>(3, 4, false)), uniform({3}));
  auto bl = in_float64(std::make_shared<nn::Bilinear>(2, 3, 4));
  check::vmaps(
      [&](const std::vector<array>& in) { return std::vector<array>{(*bl)(in[0], in[1])}; },
      {uniform({2, 2}), uniform({2, 3}, -1, 1, 8)});

  // Integer indices: three different index batches rather than check::batch_of's scaled copies.
  auto emb = in_float64(std::make_shared<nn::Embedding>(6, 3));
  auto f = [&](const std::vector<array>& in) { return std::vector<array>{(*emb)(in[0])}; };
  auto idx = array({0, 5, 2, 2, 1, 4, 3, 3, 0, 5, 1, 2}, {3, 2, 2});
  check::vmap_matches_loop(f, {idx}, {0});
  check::vmap_matches_loop(f, {moveaxis(idx, 0, 2)}, {2});
  check::vmap_matches_loop(f, {moveaxis(idx, 0, 1)}, {1});
  check::vmap_matches_loop(
      [&](const std::vector<array>& in) { return std::vector<array>{emb->as_linear(in[0])}; },
      {uniform({3, 2, 3})}, {0});
}

TEST(NnVmap, Convolutions) {
  random::seed(2);
  unary_vmaps(*in_float64(std::make_shared<nn::Conv1d>(2, 3, 3, 1, 1)), uniform({2, 5, 2}));
  unary_vmaps(*in_float64(std::make_shared<nn::Conv2d>(2, 4, 2, 1, 0, 1, 2)),
              uniform({1, 3, 4, 2}));
  unary_vmaps(*in_float64(std::make_shared<nn::ConvTranspose1d>(2, 3, 3, 2)), uniform({1, 4, 2}));
  unary_vmaps(*in_float64(std::make_shared<nn::Conv3d>(1, 2, 2)), uniform({1, 3, 2, 3, 1}));
  unary_vmaps(*in_float64(std::make_shared<nn::ConvTranspose2d>(2, 2, 2, 1, 1)),
              uniform({1, 3, 3, 2}));
}

TEST(NnVmap, NormsInEvalMode) {
  random::seed(3);
  auto x = uniform({2, 3, 4});
  unary_vmaps(*in_float64(std::make_shared<nn::LayerNorm>(4)), x);
  unary_vmaps(*in_float64(std::make_shared<nn::RMSNorm>(4)), x);
  unary_vmaps(*in_float64(std::make_shared<nn::InstanceNorm>(4, 1e-5f, true)), x);
  unary_vmaps(*in_float64(std::make_shared<nn::GroupNorm>(2, 4)), x);
  unary_vmaps(*in_float64(std::make_shared<nn::GroupNorm>(2, 4, 1e-5f, true, true)), x);
  auto bn = in_float64(std::make_shared<nn::BatchNorm>(4));
  eval((*bn)(uniform({5, 4}, -1, 1, 9)));  // running statistics that are not 0 and 1
  bn->train(false);
  unary_vmaps(*bn, x);
}

TEST(NnVmap, Recurrent) {
  random::seed(4);
  auto x = uniform({2, 3, 2});
  unary_vmaps(*in_float64(std::make_shared<nn::RNN>(2, 3)), x);
  unary_vmaps(*in_float64(std::make_shared<nn::GRU>(2, 3)), x);
  auto lstm = in_float64(std::make_shared<nn::LSTM>(2, 3));
  check::vmaps(
      [&](const std::vector<array>& in) {
        auto [h, c] = (*lstm)(in[0], in[1], in[2]);
        return std::vector<array>{h, c};
      },
      {x, uniform({2, 3}, -1, 1, 8), uniform({2, 3}, -1, 1, 9)});
}

TEST(NnVmap, Attention) {
  random::seed(5);
  auto mha = in_float64(std::make_shared<nn::MultiHeadAttention>(4, 2, 4, 4, 4, 6, 4, true));
  auto mask = astype(nn::MultiHeadAttention::create_additive_causal_mask(3), float64);
  check::vmaps(
      [&](const std::vector<array>& in) {
        return std::vector<array>{(*mha)(in[0], in[1], in[2]), (*mha)(in[0], in[0], in[0], mask)};
      },
      {uniform({2, 3, 4}), uniform({2, 5, 4}, -1, 1, 8), uniform({2, 5, 4}, -1, 1, 9)});
  auto enc = in_float64(std::make_shared<nn::TransformerEncoder>(1, 4, 2, 8));
  enc->train(false);
  check::vmaps(
      [&](const std::vector<array>& in) { return std::vector<array>{(*enc)(in[0], mask)}; },
      {uniform({2, 3, 4})});
  auto dec = in_float64(std::make_shared<nn::TransformerDecoder>(1, 4, 2, 8, 0.0f, nullptr, true));
  check::vmaps(
      [&](const std::vector<array>& in) {
        return std::vector<array>{(*dec)(in[0], in[1], mask, std::nullopt)};
      },
      {uniform({2, 3, 4}), uniform({2, 5, 4}, -1, 1, 8)});
}

TEST(NnVmap, ActivationsPoolingUpsample) {
  random::seed(6);
  auto acts = in_float64(std::make_shared<nn::Sequential>(
      std::make_shared<nn::GELU>(), std::make_shared<nn::PReLU>(4),
      std::make_shared<nn::LeakyReLU>(0.2f), std::make_shared<nn::SiLU>(),
      std::make_shared<nn::Softmax>(), std::make_shared<nn::GLU>()));
  unary_vmaps(*acts, uniform({3, 4}));
  nn::LogSoftmax log_softmax_0(0);
  unary_vmaps(log_softmax_0, uniform({3, 4}));

  auto x3 = uniform({2, 4, 3}), x4 = uniform({1, 4, 4, 2});
  unary_vmaps(*std::make_shared<nn::MaxPool1d>(2), x3);
  unary_vmaps(*std::make_shared<nn::AvgPool1d>(3, 1, 1), x3);
  unary_vmaps(*std::make_shared<nn::MaxPool2d>(2, 1, 1), x4);
  unary_vmaps(*std::make_shared<nn::AvgPool2d>(2), x4);
  auto x5 = uniform({1, 2, 4, 2, 1});
  unary_vmaps(*std::make_shared<nn::MaxPool3d>(2), x5);
  unary_vmaps(*std::make_shared<nn::AvgPool3d>(2, 1), x5);
  // Dropout in eval mode is the identity, so it maps like one.
  auto drop = std::make_shared<nn::Dropout2d>();
  drop->train(false);
  unary_vmaps(*drop, x4);
  for (auto mode :
       {nn::Upsample::Mode::nearest, nn::Upsample::Mode::linear, nn::Upsample::Mode::cubic}) {
    unary_vmaps(*std::make_shared<nn::Upsample>(2.0f, mode), x4);
  }
  unary_vmaps(*std::make_shared<nn::Upsample>(std::vector<float>{1.5f, 2.0f},
                                              nn::Upsample::Mode::linear, true),
              x4);
}

TEST(NnVmap, PositionalAndQuantized) {
  random::seed(7);
  auto x = uniform({2, 3, 4});
  unary_vmaps(*std::make_shared<nn::RoPE>(4), x);
  unary_vmaps(*std::make_shared<nn::RoPE>(2, true), x);
  unary_vmaps(*std::make_shared<nn::SinusoidalPositionalEncoding>(6), uniform({3}));
  auto alibi = std::make_shared<nn::ALiBi>();
  check::vmaps([&](const std::vector<array>& in) { return std::vector<array>{(*alibi)(in[0])}; },
               {uniform({1, 2, 3, 3})});
  // Quantized kernels have no float64, and the batched quantized_matmul sums in another order
  // than the per-example one: float32 tolerance.
  auto ql = std::make_shared<nn::QuantizedLinear>(32, 3, true, 32, 4);
  unary_vmaps(*ql, uniform({2, 32}, -1, 1, 7, float32), 1e-5);
  auto qe = std::make_shared<nn::QuantizedEmbedding>(6, 32, 32, 4);
  check::vmap_matches_loop(
      [&](const std::vector<array>& in) { return std::vector<array>{(*qe)(in[0])}; },
      {array({0, 5, 2, 2, 1, 4}, {3, 2})}, {0});
}

// In training mode BatchNorm normalises each example by its own statistics under vmap, as the
// loop does.
TEST(NnVmap, BatchNormTraining) {
  random::seed(8);
  auto bn = in_float64(std::make_shared<nn::BatchNorm>(4, 1e-5f, 0.1f, true, false));
  auto f = [&](const std::vector<array>& in) { return std::vector<array>{(*bn)(in[0])}; };
  check::vmap_matches_loop(f, {uniform({3, 5, 4})}, {0});
  check::vmap_matches_loop(f, {uniform({5, 4, 3})}, {2});
  // With running statistics the update is a side effect: under vmap it stores a tracer of the
  // batched statistics in the module, which cannot be evaluated afterwards (MLX Python's
  // BatchNorm behaves the same). Training-mode batch norm under vmap needs
  // track_running_stats=false.
  auto tracked = in_float64(std::make_shared<nn::BatchNorm>(4));
  vmap([&](const std::vector<array>& in) { return std::vector<array>{(*tracked)(in[0])}; })(
      {uniform({3, 5, 4})});
  EXPECT_INVALID(eval(*tracked->running_mean), "[eval] An input has neither data nor a primitive.");
}

}  // namespace
