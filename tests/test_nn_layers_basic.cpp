// mlx::nn layers: Linear, Bilinear, Identity, Sequential, Embedding, Dropout, the activation
// modules and the quantized layers. Values against tests/nn_layers_reference.h (PyTorch).
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

void set(nn::Module& m, std::vector<std::pair<std::string, array>> values) {
  m.update(params(values), nn::VerifyUpdate::no_unused_keys | nn::VerifyUpdate::shape_mismatch);
}

TEST(NnLinear, ValuesKeysAndPrinting) {
  auto lin = std::make_shared<nn::Linear>(3, 4);
  EXPECT_EQ(key_shapes(lin->parameters()), (KeyShapes{{"bias", {4}}, {"weight", {4, 3}}}));
  EXPECT_EQ(lin->description(), "Linear(input_dims=3, output_dims=4, bias=True)");
  // Initialised from U(-1/sqrt(3), 1/sqrt(3)).
  EXPECT_LE(max(abs(lin->weight)).item<float>(), 1 / std::sqrt(3.0f));
  set(*lin, {{"weight", pattern({4, 3}, 2)}, {"bias", pattern({4}, 3)}});
  expect_near((*lin)(pattern({2, 3}, 1)), {2, 4}, nn_ref::linear);

  auto nobias = std::make_shared<nn::Linear>(3, 4, false);
  EXPECT_EQ(key_shapes(nobias->parameters()), (KeyShapes{{"weight", {4, 3}}}));
  EXPECT_EQ(nobias->description(), "Linear(input_dims=3, output_dims=4, bias=False)");
  set(*nobias, {{"weight", pattern({4, 3}, 2)}});
  expect_near((*nobias)(pattern({2, 2, 3}, 4)), {2, 2, 4}, nn_ref::linear3d_nobias);

  auto from_weight = std::make_shared<nn::Linear>(pattern({4, 3}, 2), pattern({4}, 3));
  expect_near((*from_weight)(pattern({2, 3}, 1)), {2, 4}, nn_ref::linear);

  EXPECT_EQ(error_message([&] {
              (*lin)(zeros({2, 5}));
            }),
            "[Linear] Expected an input whose last axis has 3 features, got shape (2,5).");
  EXPECT_EQ(error_message([] { nn::Linear(0, 4); }),
            "[Linear] Dimensions must be positive, got 0.");
  EXPECT_EQ(error_message([] {
              nn::Linear(zeros({4, 3}), zeros({3}));
            }),
            "[Linear] Expected a weight [output_dims, input_dims] and a bias [output_dims], got "
            "weight (4,3) and bias (3).");
}

TEST(NnLinear, Gradients) {
  auto lin = std::make_shared<nn::Linear>(3, 2);
  lin->apply([](const array& a) { return astype(a, float64); });
  auto x = check::uniform({4, 3});
  check::grads(
      [&](const std::vector<array>& in) {
        set(*lin, {{"weight", in[1]}, {"bias", in[2]}});
        return std::vector<array>{(*lin)(in[0])};
      },
      {x, check::uniform({2, 3}, -1, 1, 3), check::uniform({2}, -1, 1, 4)});
}

TEST(NnBilinear, ValuesAndKeys) {
  auto bl = std::make_shared<nn::Bilinear>(3, 2, 4);
  EXPECT_EQ(key_shapes(bl->parameters()), (KeyShapes{{"bias", {4}}, {"weight", {4, 2, 3}}}));
  EXPECT_EQ(bl->description(), "Bilinear(input1_dims=3, input2_dims=2, output_dims=4, bias=True)");
  set(*bl, {{"weight", pattern({4, 2, 3}, 7)}, {"bias", pattern({4}, 8)}});
  expect_near((*bl)(pattern({2, 3}, 5), pattern({2, 2}, 6)), {2, 4}, nn_ref::bilinear);
  // Leading axes are kept.
  auto y = (*bl)(reshape(pattern({2, 3}, 5), {2, 1, 3}), reshape(pattern({2, 2}, 6), {2, 1, 2}));
  expect_near(y, {2, 1, 4}, nn_ref::bilinear);
  auto x1 = check::uniform({3, 3}), x2 = check::uniform({3, 2}, -1, 1, 9);
  bl->apply([](const array& a) { return astype(a, float64); });
  check::grads(
      [&](const std::vector<array>& in) { return std::vector<array>{(*bl)(in[0], in[1])}; },
      {x1, x2});
}

TEST(NnContainers, SequentialAndIdentity) {
  auto l1 = std::make_shared<nn::Linear>(3, 4);
  auto l2 = std::make_shared<nn::Linear>(4, 2, false);
  auto seq = std::make_shared<nn::Sequential>(l1, std::make_shared<nn::ReLU>(), l2);
  EXPECT_EQ(key_shapes(seq->parameters()),
            (KeyShapes{
                {"layers.0.bias", {4}}, {"layers.0.weight", {4, 3}}, {"layers.2.weight", {2, 4}}}));
  auto x = pattern({5, 3}, 1);
  check::expect_same((*seq)(x),
                     matmul(maximum(addmm(l1->bias.value(), x, transpose(l1->weight)), array(0.0f)),
                            transpose(l2->weight)),
                     1e-6);
  EXPECT_EQ(seq->description(),
            "Sequential(\n"
            "  (layers.0): Linear(input_dims=3, output_dims=4, bias=True)\n"
            "  (layers.1): ReLU()\n"
            "  (layers.2): Linear(input_dims=4, output_dims=2, bias=False)\n"
            ")");
  auto id = std::make_shared<nn::Identity>();
  check::expect_same((*id)(x), x);
  EXPECT_TRUE(id->parameters().empty());
}

TEST(NnEmbedding, LookupAndAsLinear) {
  auto emb = std::make_shared<nn::Embedding>(5, 3);
  EXPECT_EQ(key_shapes(emb->parameters()), (KeyShapes{{"weight", {5, 3}}}));
  EXPECT_EQ(emb->description(), "Embedding(5, 3)");
  set(*emb, {{"weight", pattern({5, 3}, 9)}});
  expect_near((*emb)(array({4, 0, 2, 2}, {2, 2})), {2, 2, 3}, nn_ref::embedding);
  expect_near((*emb)(astype(array({4, 0, 2, 2}, {2, 2}), uint8)), {2, 2, 3}, nn_ref::embedding);
  expect_near(emb->as_linear(pattern({2, 3}, 10)), {2, 5}, nn_ref::embedding_as_linear);
  EXPECT_EQ(error_message([&] { (*emb)(array({1.0f})); }),
            "[Embedding] Indices must have an integer dtype, got float32.");
  // The table's gradient accumulates the picked rows.
  auto g = grad([&](const array& w) {
    set(*emb, {{"weight", w}});
    return sum((*emb)(array({1, 1, 3})));
  })(pattern({5, 3}, 9));
  expect_array<float>(g, {5, 3}, float32, {0, 0, 0, 2, 2, 2, 0, 0, 0, 1, 1, 1, 0, 0, 0});
}

TEST(NnDropout, TrainingAndEval) {
  random::seed(5);
  auto d = std::make_shared<nn::Dropout>(0.25f);
  EXPECT_EQ(d->description(), "Dropout(p=0.25)");
  auto x = ones({200, 100});
  auto y = (*d)(x);
  auto v = check::values(y);
  size_t zeros_count = 0;
  for (double e : v) {
    if (e == 0) {
      ++zeros_count;
    } else {
      EXPECT_NEAR(e, 1 / 0.75, 1e-6);
    }
  }
  EXPECT_NEAR(zeros_count / 20000.0, 0.25, 0.02);
  d->train(false);
  EXPECT_FALSE(d->training());
  check::expect_same((*d)(x), x);
  EXPECT_EQ(error_message([] { nn::Dropout(1.0f); }),
            "[Dropout] The dropout probability 1.0 is not in [0, 1).");
  check::expect_same((*std::make_shared<nn::Dropout>(0.0f))(x), x);
}

TEST(NnDropout, ChannelDropout) {
  random::seed(6);
  auto d2 = std::make_shared<nn::Dropout2d>(0.5f);
  auto y = (*d2)(ones({8, 3, 4, 16}));
  // Each (sample, channel) is kept or dropped as a whole.
  auto per_channel = check::values(max(y, {1, 2}));
  auto min_channel = check::values(min(y, {1, 2}));
  int dropped = 0;
  for (size_t i = 0; i < per_channel.size(); ++i) {
    EXPECT_EQ(per_channel[i], min_channel[i]);
    EXPECT_TRUE(per_channel[i] == 0 || per_channel[i] == 2);
    dropped += per_channel[i] == 0;
  }
  EXPECT_GT(dropped, 30);
  EXPECT_LT(dropped, 98);
  EXPECT_EQ((*d2)(ones({3, 4, 16})).shape(), Shape({3, 4, 16}));
  EXPECT_EQ(error_message([&] {
              (*d2)(ones({4, 16}));
            }),
            "[Dropout2d] Received input with 2 dimensions. Expected 3 or 4 dimensions.");
  auto d3 = std::make_shared<nn::Dropout3d>(0.5f);
  auto y3 = (*d3)(ones({2, 2, 3, 4, 8}));
  auto mx3 = check::values(max(y3, {1, 2, 3})), mn3 = check::values(min(y3, {1, 2, 3}));
  EXPECT_EQ(mx3, mn3);
  EXPECT_EQ(error_message([&] {
              (*d3)(ones({3, 4, 16}));
            }),
            "[Dropout3d] Received input with 3 dimensions. Expected 4 or 5 dimensions.");
  d3->train(false);
  check::expect_same((*d3)(ones({2, 3, 4, 8})), ones({2, 3, 4, 8}));
}

TEST(NnActivationModules, MatchTheFunctions) {
  auto x = pattern({3, 4}, 3);
  std::vector<std::pair<std::shared_ptr<nn::UnaryLayer>, array>> cases = {
      {std::make_shared<nn::Sigmoid>(), sigmoid(x)},
      {std::make_shared<nn::Tanh>(), tanh(x)},
      {std::make_shared<nn::ReLU>(), nn::relu(x)},
      {std::make_shared<nn::LeakyReLU>(0.2f), nn::leaky_relu(x, 0.2f)},
      {std::make_shared<nn::ReLU6>(), nn::relu6(x)},
      {std::make_shared<nn::ReLUSquared>(), nn::relu_squared(x)},
      {std::make_shared<nn::Softmax>(), softmax(x, -1)},
      {std::make_shared<nn::SoftMax>(0), softmax(x, 0)},
      {std::make_shared<nn::Softmin>(), nn::softmin(x)},
      {std::make_shared<nn::Softplus>(), nn::softplus(x)},
      {std::make_shared<nn::SoftPlus>(), nn::softplus(x)},
      {std::make_shared<nn::Softsign>(), nn::softsign(x)},
      {std::make_shared<nn::SoftSign>(), nn::softsign(x)},
      {std::make_shared<nn::Softshrink>(0.25f), nn::softshrink(x, 0.25f)},
      {std::make_shared<nn::ELU>(0.5f), nn::elu(x, 0.5f)},
      {std::make_shared<nn::CELU>(2.0f), nn::celu(x, 2.0f)},
      {std::make_shared<nn::SiLU>(), nn::silu(x)},
      {std::make_shared<nn::LogSoftmax>(), nn::log_softmax(x)},
      {std::make_shared<nn::LogSoftMax>(), nn::log_softmax(x)},
      {std::make_shared<nn::LogSigmoid>(), nn::log_sigmoid(x)},
      {std::make_shared<nn::GELU>(), nn::gelu(x)},
      {std::make_shared<nn::GELU>(nn::GELU::Approximation::precise), nn::gelu_approx(x)},
      {std::make_shared<nn::GELU>(nn::GELU::Approximation::tanh), nn::gelu_approx(x)},
      {std::make_shared<nn::GELU>(nn::GELU::Approximation::fast), nn::gelu_fast_approx(x)},
      {std::make_shared<nn::Mish>(), nn::mish(x)},
      {std::make_shared<nn::HardSwish>(), nn::hard_swish(x)},
      {std::make_shared<nn::HardTanh>(-0.5f, 0.25f), nn::hard_tanh(x, -0.5f, 0.25f)},
      {std::make_shared<nn::HardShrink>(0.3f), nn::hard_shrink(x, 0.3f)},
      {std::make_shared<nn::Step>(0.1f), nn::step(x, 0.1f)},
      {std::make_shared<nn::SELU>(), nn::selu(x)},
      {std::make_shared<nn::GLU>(0), nn::glu(reshape(x, {4, 3}), 0)},
      {std::make_shared<nn::PReLU>(), nn::prelu(x, array({0.25f}))},
  };
  for (auto& [m, expected] : cases) {
    SCOPED_TRACE(m->name());
    auto in = m->name() == "GLU" ? reshape(x, {4, 3}) : x;
    check::expect_same((*m)(in), expected, 1e-6);
    EXPECT_EQ(m->description(), m->name() + "()");
  }
  auto prelu = std::make_shared<nn::PReLU>(4, 0.1f);
  EXPECT_EQ(key_shapes(prelu->parameters()), (KeyShapes{{"weight", {4}}}));
  check::expect_same((*prelu)(x), nn::prelu(x, full({4}, 0.1f)), 1e-6);
}

TEST(NnQuantized, LinearAndEmbedding) {
  random::seed(7);
  auto lin = std::make_shared<nn::Linear>(64, 8);
  auto q = nn::QuantizedLinear::from_linear(*lin, 32, 8);
  EXPECT_EQ(q->description(),
            "QuantizedLinear(input_dims=64, output_dims=8, bias=True, group_size=32, bits=8, "
            "mode=affine)");
  EXPECT_EQ(
      key_shapes(q->parameters()),
      (KeyShapes{{"bias", {8}}, {"biases", {8, 2}}, {"scales", {8, 2}}, {"weight", {8, 16}}}));
  // Frozen, also after unfreeze, except for the bias.
  EXPECT_TRUE(q->trainable_parameters().empty());
  q->unfreeze();
  EXPECT_EQ(key_shapes(q->trainable_parameters()), (KeyShapes{{"bias", {8}}}));
  auto x = check::uniform({3, 64}, -1, 1, 5, float32);
  // 8-bit affine quantization keeps the product within ~1%.
  auto diff = max(abs((*q)(x) - (*lin)(x))).item<float>();
  EXPECT_LT(diff, 0.02f);

  auto fresh = std::make_shared<nn::QuantizedLinear>(128, 4, false);
  EXPECT_EQ(key_shapes(fresh->parameters()),
            (KeyShapes{{"biases", {4, 2}}, {"scales", {4, 2}}, {"weight", {4, 16}}}));
  EXPECT_EQ((*fresh)(zeros({2, 128})).shape(), Shape({2, 4}));

  auto emb = std::make_shared<nn::Embedding>(10, 64);
  auto qe = nn::QuantizedEmbedding::from_embedding(*emb, 64, 8);
  EXPECT_EQ(qe->description(), "QuantizedEmbedding(10, 64, group_size=64, bits=8, mode=affine)");
  auto idx = array({3, 7, 3});
  EXPECT_LT(max(abs((*qe)(idx) - (*emb)(idx))).item<float>(), 0.02f);
  auto h = check::uniform({2, 64}, -1, 1, 6, float32);
  EXPECT_LT(max(abs(qe->as_linear(h) - emb->as_linear(h))).item<float>(), 0.1f);
}

class TwoLayer : public nn::Module {
 public:
  TwoLayer()
      : emb(std::make_shared<nn::Embedding>(16, 64)),
        proj(std::make_shared<nn::Linear>(64, 32)),
        head(std::make_shared<nn::Linear>(32, 5)) {
    register_module("emb", emb);
    register_module("proj", proj);
    register_module("head", head);
  }
  std::string name() const override { return "TwoLayer"; }
  std::shared_ptr<nn::Embedding> emb;
  std::shared_ptr<nn::Linear> proj;
  std::shared_ptr<nn::UnaryLayer> head;
};

TEST(NnQuantized, QuantizeModel) {
  auto m = std::make_shared<TwoLayer>();
  // The head's 32 inputs are not a multiple of the group size 64: it stays a Linear.
  nn::quantize(*m, 64, 4);
  EXPECT_EQ(m->emb->name(), "QuantizedEmbedding");
  EXPECT_EQ(m->proj->name(), "QuantizedLinear");
  EXPECT_EQ(m->head->name(), "Linear");
  auto m2 = std::make_shared<TwoLayer>();
  nn::quantize(*m2, 32, 4, "affine",
               [](const std::string& path, nn::Module&) { return path != "proj"; });
  EXPECT_EQ(m2->emb->name(), "QuantizedEmbedding");
  EXPECT_EQ(m2->proj->name(), "Linear");
  EXPECT_EQ(m2->head->name(), "QuantizedLinear");
}

}  // namespace
