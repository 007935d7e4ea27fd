// mlx::nn sequence layers: RNN, GRU, LSTM, MultiHeadAttention, the transformers and the
// positional encodings. Values against tests/nn_layers_reference.h (PyTorch) with MLX's key
// names, gradients, errors.
#include <gtest/gtest.h>

#include <cmath>
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

TEST(NnRecurrent, RNN) {
  auto rnn = std::make_shared<nn::RNN>(2, 3);
  EXPECT_EQ(key_shapes(rnn->parameters()),
            (KeyShapes{{"Whh", {3, 3}}, {"Wxh", {3, 2}}, {"bias", {3}}}));
  EXPECT_EQ(rnn->description(), "RNN(input_dims=2, hidden_size=3, bias=True)");
  rnn->update(params(
      {{"Wxh", pattern({3, 2}, 36)}, {"Whh", pattern({3, 3}, 37)}, {"bias", pattern({3}, 38)}}));
  auto xs = pattern({2, 3, 2}, 35);
  expect_near((*rnn)(xs), {2, 3, 3}, nn_ref::rnn, 1e-5);
  expect_near((*rnn)(xs, pattern({2, 3}, 39)), {2, 3, 3}, nn_ref::rnn_h0, 1e-5);
  // Unbatched input [tokens, features].
  auto first = (*rnn)(pattern({3, 2}, 35));
  EXPECT_EQ(first.shape(), Shape({3, 3}));
  EXPECT_EQ(error_message([&] {
              (*rnn)(zeros({2, 3, 5}));
            }),
            "[RNN] Expected an input [batch, tokens, 2] or [tokens, 2], got shape (2,3,5).");
  auto relu_rnn =
      std::make_shared<nn::RNN>(2, 3, false, [](const array& v) { return nn::relu(v); });
  EXPECT_EQ(key_shapes(relu_rnn->parameters()), (KeyShapes{{"Whh", {3, 3}}, {"Wxh", {3, 2}}}));
  EXPECT_GE(min((*relu_rnn)(xs)).item<float>(), 0.0f);
  rnn->apply([](const array& a) { return astype(a, float64); });
  check::grads(
      [&](const std::vector<array>& in) { return std::vector<array>{(*rnn)(in[0], in[1])}; },
      {check::uniform({2, 3, 2}), check::uniform({2, 3}, -1, 1, 5)});
}

TEST(NnRecurrent, GRU) {
  auto gru = std::make_shared<nn::GRU>(2, 2);
  EXPECT_EQ(key_shapes(gru->parameters()),
            (KeyShapes{{"Wh", {6, 2}}, {"Wx", {6, 2}}, {"b", {6}}, {"bhn", {2}}}));
  EXPECT_EQ(gru->description(), "GRU(input_dims=2, hidden_size=2, bias=True)");
  gru->update(params({{"Wx", pattern({6, 2}, 40)},
                      {"Wh", pattern({6, 2}, 41)},
                      {"b", pattern({6}, 42)},
                      {"bhn", pattern({2}, 43)}}));
  auto xs = pattern({2, 3, 2}, 35);
  expect_near((*gru)(xs), {2, 3, 2}, nn_ref::gru, 1e-5);
  expect_near((*gru)(xs, pattern({2, 2}, 44)), {2, 3, 2}, nn_ref::gru_h0, 1e-5);
  gru->apply([](const array& a) { return astype(a, float64); });
  check::grads(
      [&](const std::vector<array>& in) { return std::vector<array>{(*gru)(in[0], in[1])}; },
      {check::uniform({2, 3, 2}), check::uniform({2, 2}, -1, 1, 5)});
}

TEST(NnRecurrent, LSTM) {
  auto lstm = std::make_shared<nn::LSTM>(2, 2);
  EXPECT_EQ(key_shapes(lstm->parameters()),
            (KeyShapes{{"Wh", {8, 2}}, {"Wx", {8, 2}}, {"bias", {8}}}));
  EXPECT_EQ(lstm->description(), "LSTM(input_dims=2, hidden_size=2, bias=True)");
  lstm->Wx = pattern({8, 2}, 45);
  lstm->Wh = pattern({8, 2}, 46);
  lstm->bias = pattern({8}, 47);
  auto [h, c] = (*lstm)(pattern({2, 3, 2}, 35));
  expect_near(h, {2, 3, 2}, nn_ref::lstm_h, 1e-5);
  expect_near(c, {2, 3, 2}, nn_ref::lstm_c, 1e-5);
  lstm->apply([](const array& a) { return astype(a, float64); });
  check::grads(
      [&](const std::vector<array>& in) {
        auto [hs, cs] = (*lstm)(in[0], in[1], in[2]);
        return std::vector<array>{hs, cs};
      },
      {check::uniform({2, 3, 2}), check::uniform({2, 2}, -1, 1, 5),
       check::uniform({2, 2}, -1, 1, 6)});
}

TEST(NnAttention, MultiHeadAttention) {
  auto mha = std::make_shared<nn::MultiHeadAttention>(4, 2);
  EXPECT_EQ(key_shapes(mha->parameters()), (KeyShapes{{"key_proj.weight", {4, 4}},
                                                      {"out_proj.weight", {4, 4}},
                                                      {"query_proj.weight", {4, 4}},
                                                      {"value_proj.weight", {4, 4}}}));
  mha->update(params({{"query_proj.weight", pattern({4, 4}, 48)},
                      {"key_proj.weight", pattern({4, 4}, 49)},
                      {"value_proj.weight", pattern({4, 4}, 50)},
                      {"out_proj.weight", pattern({4, 4}, 51)}}),
              nn::VerifyUpdate::all);
  auto q = pattern({2, 3, 4}, 52), kv = pattern({2, 5, 4}, 53);
  expect_near((*mha)(q, kv, kv), {2, 3, 4}, nn_ref::mha, 1e-5);
  auto mask = nn::MultiHeadAttention::create_additive_causal_mask(3);
  expect_near((*mha)(q, q, q, mask), {2, 3, 4}, nn_ref::mha_causal, 1e-5);
  // A boolean mask (true = attend) means the same.
  auto keep =
      greater_equal(reshape(arange(0, 3, int32), {3, 1}), reshape(arange(0, 3, int32), {1, 3}));
  expect_near((*mha)(q, q, q, keep), {2, 3, 4}, nn_ref::mha_causal, 1e-5);

  float lowest = -3.4028234663852886e38f;
  expect_array<float>(mask, {3, 3}, float32, {0, lowest, lowest, 0, 0, lowest, 0, 0, 0});
  EXPECT_EQ(nn::MultiHeadAttention::create_additive_causal_mask(2, float16).dtype(), float16);

  auto mixed = std::make_shared<nn::MultiHeadAttention>(8, 2, 3, 5, std::nullopt, 6, 7, true);
  EXPECT_EQ(key_shapes(mixed->parameters()), (KeyShapes{{"key_proj.bias", {8}},
                                                        {"key_proj.weight", {8, 5}},
                                                        {"out_proj.bias", {7}},
                                                        {"out_proj.weight", {7, 6}},
                                                        {"query_proj.bias", {8}},
                                                        {"query_proj.weight", {8, 3}},
                                                        {"value_proj.bias", {6}},
                                                        {"value_proj.weight", {6, 5}}}));
  EXPECT_EQ((*mixed)(zeros({2, 4, 3}), zeros({2, 6, 5}), zeros({2, 6, 5})).shape(),
            Shape({2, 4, 7}));
  EXPECT_EQ(error_message([] { nn::MultiHeadAttention(6, 4); }),
            "[MultiHeadAttention] The input feature dimensions should be divisible by the number "
            "of heads (6 % 4) != 0.");
  EXPECT_EQ(error_message([&] {
              (*mha)(zeros({3, 4}), zeros({3, 4}), zeros({3, 4}));
            }),
            "[MultiHeadAttention] Expected inputs [batch, tokens, features], got shape (3,4).");

  mha->apply([](const array& a) { return astype(a, float64); });
  check::grads(
      [&](const std::vector<array>& in) {
        return std::vector<array>{(*mha)(in[0], in[1], in[1], astype(mask, float64))};
      },
      {check::uniform({1, 3, 4}), check::uniform({1, 3, 4}, -1, 1, 8)}, 1e-6, 1e-5);
}

TEST(NnTransformer, KeysShapesAndLayers) {
  auto t = std::make_shared<nn::Transformer>(8, 2, 1, 1, 16);
  auto ks = key_shapes(t->parameters());
  std::vector<std::string> names;
  for (auto& [k, s] : ks) names.push_back(k);
  for (std::string k : {"encoder.layers.0.attention.query_proj.weight",
                        "encoder.layers.0.ln1.weight", "encoder.layers.0.ln2.bias",
                        "encoder.layers.0.linear1.weight", "encoder.layers.0.linear2.bias",
                        "encoder.ln.weight", "decoder.layers.0.self_attention.out_proj.weight",
                        "decoder.layers.0.cross_attention.key_proj.weight",
                        "decoder.layers.0.ln3.weight", "decoder.ln.bias"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), k), names.end()) << k;
  }
  // 1 encoder layer: 4 attention weights, 2 norms, 2 linears; 1 decoder layer: 8 + 3 + 2.
  EXPECT_EQ(ks.size(), (4 + 4 + 4) + 2 + (8 + 6 + 4) + 2);
  auto src = pattern({2, 5, 8}, 1), tgt = pattern({2, 3, 8}, 2);
  auto mask = nn::MultiHeadAttention::create_additive_causal_mask(3);
  auto y = (*t)(src, tgt, std::nullopt, mask, std::nullopt);
  EXPECT_EQ(y.shape(), Shape({2, 3, 8}));

  // The encoder layer is the composition of its sublayers, post-norm by default.
  auto& enc = t->encoder->layers[0];
  auto x = pattern({1, 4, 8}, 3);
  auto a = (*enc->ln1)(x + (*enc->attention)(x, x, x));
  auto expected = (*enc->ln2)(a + (*enc->linear2)(nn::relu((*enc->linear1)(a))));
  check::expect_same((*enc)(x, std::nullopt), expected, 1e-6);
  auto pre = std::make_shared<nn::TransformerEncoderLayer>(8, 2, 16, 0.0f, nullptr, true);
  auto h = x + (*pre->attention)((*pre->ln1)(x), (*pre->ln1)(x), (*pre->ln1)(x));
  auto pre_expected = h + (*pre->linear2)(nn::relu((*pre->linear1)((*pre->ln2)(h))));
  check::expect_same((*pre)(x, std::nullopt), pre_expected, 1e-6);
}

TEST(NnTransformer, GradientsThroughTheModel) {
  auto t = std::make_shared<nn::Transformer>(
      4, 2, 1, 1, 8, 0.0f, [](const array& v) { return nn::gelu(v); }, true);
  t->apply([](const array& a) { return astype(a, float64); });
  auto src = check::uniform({1, 3, 4}), tgt = check::uniform({1, 2, 4}, -1, 1, 3);
  check::grads(
      [&](const std::vector<array>& in) {
        return std::vector<array>{(*t)(in[0], in[1], std::nullopt, std::nullopt, std::nullopt)};
      },
      {src, tgt}, 1e-6, 1e-5);
  auto vg = nn::value_and_grad(*t, [&](const std::vector<array>& in) {
    return sum((*t)(in[0], in[1], std::nullopt, std::nullopt, std::nullopt));
  });
  auto [loss, grads] = vg({src, tgt});
  EXPECT_EQ(key_shapes(grads), key_shapes(t->trainable_parameters()));
}

TEST(NnPositional, RoPE) {
  auto rope = std::make_shared<nn::RoPE>(4, true, 100.0f);
  EXPECT_EQ(rope->description(), "RoPE(4, traditional=True)");
  EXPECT_TRUE(rope->parameters().empty());
  auto x = pattern({1, 2, 5, 6}, 3);
  check::expect_same((*rope)(x), fast::rope(x, 4, true, 100.0f, 1.0f, 0), 1e-6);
  check::expect_same((*rope)(x, 3), fast::rope(x, 4, true, 100.0f, 1.0f, 3), 1e-6);
  check::expect_same((*rope)(x, array(3)), fast::rope(x, 4, true, 100.0f, 1.0f, 3), 1e-6);
  // Position p rotates pair (x0, x1) by p * base^0.
  auto one = reshape(array({1.0f, 0.0f, 0.0f, 0.0f}), {1, 1, 1, 4});
  expect_near((*rope)(one, 2), {1, 1, 1, 4}, {std::cos(2.0), std::sin(2.0), 0.0, 0.0}, 1e-6);
  EXPECT_EQ(error_message([] { nn::RoPE(3); }),
            "[RoPE] The number of rotated features must be positive and even, got 3.");
}

TEST(NnPositional, SinusoidalAndALiBi) {
  auto pe = std::make_shared<nn::SinusoidalPositionalEncoding>(6);
  auto pos = array({0.0f, 1.0f, 2.5f});
  expect_near((*pe)(pos), {3, 6}, nn_ref::sinusoidal, 1e-5);
  auto pe2 = std::make_shared<nn::SinusoidalPositionalEncoding>(6, 0.0001f, 1.0f, 1.0f, true, true);
  expect_near((*pe2)(pos), {3, 6}, nn_ref::sinusoidal_cosfirst_fullturns_scale1, 1e-5);

  auto alibi = std::make_shared<nn::ALiBi>();
  auto slopes = nn::ALiBi::create_alibi_slope(2);
  expect_near(slopes, {2, 1, 1}, {0.0625, 0.00390625});
  auto y = (*alibi)(zeros({1, 2, 2, 3}));
  expect_near(y, {1, 2, 2, 3},
              {0, -0.0625, -0.125, -0.0625, 0, -0.0625, 0, -0.00390625, -0.0078125, -0.00390625, 0,
               -0.00390625});
  // With an offset the queries are the last positions.
  auto y1 = (*alibi)(zeros({1, 2, 1, 3}), 2, ones({1, 3}));
  expect_near(y1, {1, 2, 1, 3}, {1 - 0.125, 1 - 0.0625, 1, 1 - 0.0078125, 1 - 0.00390625, 1});
  EXPECT_EQ(error_message([&] {
              (*alibi)(zeros({2, 3}));
            }),
            "[ALiBi] Expected attention scores [batch, heads, queries, keys], got shape (2,3).");
}

}  // namespace
