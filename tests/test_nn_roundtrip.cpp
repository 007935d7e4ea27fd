// save_weights / load_weights round trips for every mlx::nn layer class: a model saved and loaded
// into a differently initialised one computes bitwise the same outputs, with the same parameter
// tree. Also the load errors (strict and not) and half-precision models.
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "check.h"
#include "helpers.h"
#include "mlx/nn.h"
#include "nn_layer_helpers.h"

namespace {

using namespace mlx::core;
namespace nn = mlx::nn;
using nn_test::pattern;

// ctest runs every test in its own process, in parallel: the pid keeps their files apart.
std::string temp_file(const std::string& name) {
  return ::testing::TempDir() + "nn_roundtrip_" + std::to_string(::getpid()) + "_" + name +
         ".safetensors";
}

bool is_floating(const array& a) { return issubdtype(a.dtype(), floating); }

// Bitwise equality of values (through float64, which holds every value of the real dtypes
// exactly, so -0 and 0 stay apart), plus shape and dtype.
::testing::AssertionResult bitwise_equal(const array& a, const array& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) {
    return ::testing::AssertionFailure() << "shapes or dtypes differ";
  }
  auto x = check::values(a), y = check::values(b);
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::bit_cast<uint64_t>(x[i]) != std::bit_cast<uint64_t>(y[i])) {
      return ::testing::AssertionFailure() << "differ at " << i << ": " << x[i] << " vs " << y[i];
    }
  }
  return ::testing::AssertionSuccess();
}

void expect_same_parameters(const nn::Module& a, const nn::Module& b) {
  auto pa = a.parameters().flattened(), pb = b.parameters().flattened();
  ASSERT_EQ(nn_test::keys(a.parameters()), nn_test::keys(b.parameters()));
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_TRUE(bitwise_equal(pa[i].second, pb[i].second)) << pa[i].first;
  }
}

array parameter(const nn::Module& m, const std::string& key) {
  for (auto& [k, v] : m.parameters().flattened()) {
    if (k == key) return v;
  }
  throw std::out_of_range("no parameter " + key);
}

bool some_parameter_differs(const nn::Module& a, const nn::Module& b) {
  auto pa = a.parameters().flattened(), pb = b.parameters().flattened();
  for (size_t i = 0; i < pa.size() && i < pb.size(); ++i) {
    if (!bitwise_equal(pa[i].second, pb[i].second)) return true;
  }
  return false;
}

// Many layers start from constants (norm weights 1, biases 0): shifting every floating
// parameter of model A by a seeded amount makes sure the file, not the initialiser, decides
// model B's values. The shift is positive, so variances stay variances.
void perturb(nn::Module& m) {
  m.apply([](const std::string&, const array& p) { return is_floating(p); },
          [](const array& p) { return p + random::uniform(0.0, 0.5, p.shape(), p.dtype()); });
}

/**
 * Model A (seed 1, perturbed, then `prepare`d) runs `forward`, is saved and loaded into model B
 * (seed 2); B's parameters and outputs must be A's, bitwise. `forward` runs under a fixed seed so
 * dropout masks agree.
 */
template <class M>
void round_trip(const std::string& name, const std::function<std::shared_ptr<M>()>& make,
                const std::function<std::vector<array>(M&)>& forward,
                const std::function<void(M&)>& prepare = nullptr) {
  SCOPED_TRACE(name);
  random::seed(1);
  auto a = make();
  perturb(*a);
  if (prepare) prepare(*a);
  random::seed(3);
  auto out_a = forward(*a);
  eval(out_a);
  auto path = temp_file(name);
  a->save_weights(path);

  random::seed(2);
  auto b = make();
  if (!a->parameters().flattened().empty()) {
    EXPECT_TRUE(some_parameter_differs(*a, *b)) << "model B starts equal to model A";
  }
  b->load_weights(path);
  std::remove(path.c_str());
  expect_same_parameters(*a, *b);
  random::seed(3);
  auto out_b = forward(*b);
  ASSERT_EQ(out_a.size(), out_b.size());
  for (size_t i = 0; i < out_a.size(); ++i) {
    EXPECT_TRUE(bitwise_equal(out_a[i], out_b[i])) << "output " << i;
  }
}

// A unary layer's round trip on input x.
template <class M>
void unary_round_trip(const std::string& name, const std::function<std::shared_ptr<M>()>& make,
                      const array& x, const std::function<void(M&)>& prepare = nullptr) {
  round_trip<M>(
      name, make, [x](M& m) { return std::vector<array>{m(x)}; }, prepare);
}

TEST(NnRoundTrip, LinearBilinearEmbeddingSequential) {
  unary_round_trip<nn::Linear>(
      "linear", [] { return std::make_shared<nn::Linear>(3, 4); }, pattern({2, 3}, 1));
  unary_round_trip<nn::Linear>(
      "linear_nobias", [] { return std::make_shared<nn::Linear>(3, 4, false); },
      pattern({2, 3}, 1));
  round_trip<nn::Bilinear>(
      "bilinear", [] { return std::make_shared<nn::Bilinear>(2, 3, 4); },
      [](nn::Bilinear& m) {
        return std::vector<array>{m(pattern({2, 2}, 1), pattern({2, 3}, 2))};
      });
  round_trip<nn::Embedding>(
      "embedding", [] { return std::make_shared<nn::Embedding>(5, 3); },
      [](nn::Embedding& m) {
        return std::vector<array>{m(array({4, 0, 2, 2}, {2, 2})), m.as_linear(pattern({2, 3}))};
      });
  unary_round_trip<nn::PReLU>(
      "prelu", [] { return std::make_shared<nn::PReLU>(3); }, pattern({2, 3}, 4));
  unary_round_trip<nn::Identity>(
      "identity", [] { return std::make_shared<nn::Identity>(); }, pattern({2, 3}));
  // Mixed children, including parameterless ones between parameterised ones (keys
  // "layers.0.weight", "layers.2.weight", ...).
  unary_round_trip<nn::Sequential>(
      "sequential",
      [] {
        return std::make_shared<nn::Sequential>(
            std::make_shared<nn::Linear>(3, 4), std::make_shared<nn::GELU>(),
            std::make_shared<nn::LayerNorm>(4), std::make_shared<nn::Dropout>(0.25f),
            std::make_shared<nn::PReLU>(), std::make_shared<nn::RMSNorm>(4),
            std::make_shared<nn::Linear>(4, 2, false), std::make_shared<nn::Softmax>());
      },
      pattern({3, 3}, 5));
}

TEST(NnRoundTrip, Convolutions) {
  unary_round_trip<nn::Conv1d>(
      "conv1d", [] { return std::make_shared<nn::Conv1d>(2, 3, 3, 1, 1); }, pattern({2, 5, 2}, 1));
  unary_round_trip<nn::Conv2d>(
      "conv2d", [] { return std::make_shared<nn::Conv2d>(2, 4, 3, 1, 0, 1, 2); },
      pattern({1, 4, 5, 2}, 2));
  unary_round_trip<nn::Conv3d>(
      "conv3d", [] { return std::make_shared<nn::Conv3d>(1, 2, 2, 1, 0, 1, 1, false); },
      pattern({1, 3, 3, 3, 1}, 3));
  unary_round_trip<nn::ConvTranspose1d>(
      "convt1d", [] { return std::make_shared<nn::ConvTranspose1d>(2, 3, 3, 2); },
      pattern({2, 4, 2}, 4));
  unary_round_trip<nn::ConvTranspose2d>(
      "convt2d", [] { return std::make_shared<nn::ConvTranspose2d>(2, 2, 2, 1, 1); },
      pattern({1, 3, 3, 2}, 5));
  unary_round_trip<nn::ConvTranspose3d>(
      "convt3d", [] { return std::make_shared<nn::ConvTranspose3d>(1, 2, 2); },
      pattern({1, 2, 2, 2, 1}, 6));
}

TEST(NnRoundTrip, Normalization) {
  auto x = pattern({2, 3, 4}, 7);
  unary_round_trip<nn::LayerNorm>(
      "layer_norm", [] { return std::make_shared<nn::LayerNorm>(4); }, x);
  unary_round_trip<nn::LayerNorm>(
      "layer_norm_nobias", [] { return std::make_shared<nn::LayerNorm>(4, 1e-5f, true, false); },
      x);
  unary_round_trip<nn::RMSNorm>(
      "rms_norm", [] { return std::make_shared<nn::RMSNorm>(4); }, x);
  unary_round_trip<nn::InstanceNorm>(
      "instance_norm", [] { return std::make_shared<nn::InstanceNorm>(4, 1e-5f, true); }, x);
  unary_round_trip<nn::GroupNorm>(
      "group_norm", [] { return std::make_shared<nn::GroupNorm>(2, 4); }, x);
  unary_round_trip<nn::GroupNorm>(
      "group_norm_pt", [] { return std::make_shared<nn::GroupNorm>(2, 4, 1e-5f, true, true); }, x);
  // The running statistics come from a training step of model A and must reach model B: its
  // eval-mode output depends on them alone.
  auto eval_mode = [](nn::BatchNorm& m) {
    m.train(false);
    return std::vector<array>{m(pattern({3, 4}, 9))};
  };
  round_trip<nn::BatchNorm>(
      "batch_norm", [] { return std::make_shared<nn::BatchNorm>(4); }, eval_mode,
      [&](nn::BatchNorm& m) { eval(m(x)); });
  round_trip<nn::BatchNorm>(
      "batch_norm_no_affine", [] { return std::make_shared<nn::BatchNorm>(4, 1e-5f, 0.1f, false); },
      eval_mode, [&](nn::BatchNorm& m) { eval(m(x)); });
}

TEST(NnRoundTrip, BatchNormRunningStatistics) {
  random::seed(1);
  auto a = std::make_shared<nn::BatchNorm>(3);
  eval(std::vector<array>{(*a)(pattern({4, 3}, 1))});
  auto path = temp_file("batch_norm_stats");
  a->save_weights(path);
  auto b = std::make_shared<nn::BatchNorm>(3);
  EXPECT_EQ(nn_test::keys(b->parameters()),
            (std::vector<std::string>{"bias", "running_mean", "running_var", "weight"}));
  EXPECT_FALSE(bitwise_equal(*a->running_mean, *b->running_mean));
  b->load_weights(path);
  std::remove(path.c_str());
  EXPECT_TRUE(bitwise_equal(*a->running_mean, *b->running_mean));
  EXPECT_TRUE(bitwise_equal(*a->running_var, *b->running_var));
  // Loaded statistics stay frozen: trainable_parameters() leaves them out.
  EXPECT_EQ(nn_test::keys(b->trainable_parameters()), (std::vector<std::string>{"bias", "weight"}));
}

TEST(NnRoundTrip, Recurrent) {
  auto x = pattern({2, 3, 2}, 11);
  unary_round_trip<nn::RNN>(
      "rnn", [] { return std::make_shared<nn::RNN>(2, 3); }, x);
  unary_round_trip<nn::RNN>(
      "rnn_nobias", [] { return std::make_shared<nn::RNN>(2, 3, false); }, x);
  unary_round_trip<nn::GRU>(
      "gru", [] { return std::make_shared<nn::GRU>(2, 3); }, x);
  round_trip<nn::LSTM>(
      "lstm", [] { return std::make_shared<nn::LSTM>(2, 3); },
      [x](nn::LSTM& m) {
        auto [h, c] = m(x);
        return std::vector<array>{h, c};
      });
}

TEST(NnRoundTrip, AttentionAndTransformers) {
  auto q = pattern({2, 3, 4}, 12), kv = pattern({2, 5, 4}, 13);
  auto mask = nn::MultiHeadAttention::create_additive_causal_mask(3);
  round_trip<nn::MultiHeadAttention>(
      "mha", [] { return std::make_shared<nn::MultiHeadAttention>(4, 2, 4, 4, 4, 6, 4, true); },
      [&](nn::MultiHeadAttention& m) {
        return std::vector<array>{m(q, kv, kv), m(q, q, q, mask)};
      });
  round_trip<nn::TransformerEncoderLayer>(
      "encoder_layer", [] { return std::make_shared<nn::TransformerEncoderLayer>(4, 2, 8); },
      [&](nn::TransformerEncoderLayer& m) { return std::vector<array>{m(q, mask)}; });
  round_trip<nn::TransformerEncoder>(
      "encoder",
      [] { return std::make_shared<nn::TransformerEncoder>(2, 4, 2, 8, 0.0f, nullptr, true); },
      [&](nn::TransformerEncoder& m) { return std::vector<array>{m(q, mask)}; });
  round_trip<nn::TransformerDecoderLayer>(
      "decoder_layer", [] { return std::make_shared<nn::TransformerDecoderLayer>(4, 2, 8); },
      [&](nn::TransformerDecoderLayer& m) {
        return std::vector<array>{m(q, kv, mask, std::nullopt)};
      });
  round_trip<nn::TransformerDecoder>(
      "decoder", [] { return std::make_shared<nn::TransformerDecoder>(2, 4, 2, 8); },
      [&](nn::TransformerDecoder& m) { return std::vector<array>{m(q, kv, mask, std::nullopt)}; });
  // Dropout in training mode draws the same masks in both models (the forward pass runs under
  // one seed).
  round_trip<nn::Transformer>(
      "transformer",
      [] { return std::make_shared<nn::Transformer>(4, 2, 1, 2, 8, 0.1f, nullptr, true); },
      [&](nn::Transformer& m) {
        return std::vector<array>{m(kv, q, std::nullopt, mask, std::nullopt)};
      });
}

TEST(NnRoundTrip, Quantized) {
  auto x = pattern({2, 64}, 14);
  unary_round_trip<nn::QuantizedLinear>(
      "qlinear", [] { return std::make_shared<nn::QuantizedLinear>(64, 3, true, 32, 4); }, x);
  unary_round_trip<nn::QuantizedLinear>(
      "qlinear_8bit_nobias",
      [] { return std::make_shared<nn::QuantizedLinear>(64, 3, false, 64, 8); }, x);
  round_trip<nn::QuantizedEmbedding>(
      "qembedding", [] { return std::make_shared<nn::QuantizedEmbedding>(5, 64, 32, 4); },
      [&](nn::QuantizedEmbedding& m) {
        return std::vector<array>{m(array({4, 0, 3}, {3})), m.as_linear(x)};
      });
  // A model quantized by nn::quantize saves its packed weights under the Linear's keys.
  auto make = [] {
    auto m = std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(64, 32),
                                              std::make_shared<nn::ReLU>(),
                                              std::make_shared<nn::Linear>(32, 2));
    nn::quantize(*m, 32, 4);
    return m;
  };
  unary_round_trip<nn::Sequential>("quantized_sequential", make, x);
  random::seed(1);
  EXPECT_EQ(nn_test::keys(make()->parameters()),
            (std::vector<std::string>{"layers.0.bias", "layers.0.biases", "layers.0.scales",
                                      "layers.0.weight", "layers.2.bias", "layers.2.biases",
                                      "layers.2.scales", "layers.2.weight"}));
}

// Layers without parameters save an empty file and load it back; their outputs must not change.
TEST(NnRoundTrip, ParameterlessLayers) {
  auto x3 = pattern({2, 4, 4}, 15), x4 = pattern({1, 4, 4, 2}, 16),
       x5 = pattern({1, 2, 4, 4, 2}, 17);
  unary_round_trip<nn::Dropout>(
      "dropout", [] { return std::make_shared<nn::Dropout>(0.5f); }, x3);
  unary_round_trip<nn::Dropout2d>(
      "dropout2d", [] { return std::make_shared<nn::Dropout2d>(0.5f); }, x4);
  unary_round_trip<nn::Dropout3d>(
      "dropout3d", [] { return std::make_shared<nn::Dropout3d>(0.5f); }, x5);
  unary_round_trip<nn::MaxPool1d>(
      "maxpool1d", [] { return std::make_shared<nn::MaxPool1d>(2); }, x3);
  unary_round_trip<nn::AvgPool1d>(
      "avgpool1d", [] { return std::make_shared<nn::AvgPool1d>(3, 1, 1); }, x3);
  unary_round_trip<nn::MaxPool2d>(
      "maxpool2d", [] { return std::make_shared<nn::MaxPool2d>(2, 1); }, x4);
  unary_round_trip<nn::AvgPool2d>(
      "avgpool2d", [] { return std::make_shared<nn::AvgPool2d>(2); }, x4);
  unary_round_trip<nn::MaxPool3d>(
      "maxpool3d", [] { return std::make_shared<nn::MaxPool3d>(2); }, x5);
  unary_round_trip<nn::AvgPool3d>(
      "avgpool3d", [] { return std::make_shared<nn::AvgPool3d>(2); }, x5);
  unary_round_trip<nn::Upsample>(
      "upsample",
      [] { return std::make_shared<nn::Upsample>(2.0f, nn::Upsample::Mode::linear, true); }, x4);
  unary_round_trip<nn::RoPE>(
      "rope", [] { return std::make_shared<nn::RoPE>(4); }, x3);
  unary_round_trip<nn::SinusoidalPositionalEncoding>(
      "sinusoidal", [] { return std::make_shared<nn::SinusoidalPositionalEncoding>(6); },
      pattern({3}, 18));
  round_trip<nn::ALiBi>(
      "alibi", [] { return std::make_shared<nn::ALiBi>(); },
      [](nn::ALiBi& m) {
        return std::vector<array>{m(pattern({1, 2, 3, 3}, 19))};
      });
  unary_round_trip<nn::Sequential>(
      "activations",
      [] {
        return std::make_shared<nn::Sequential>(
            std::make_shared<nn::SiLU>(), std::make_shared<nn::LeakyReLU>(0.2f),
            std::make_shared<nn::HardTanh>(), std::make_shared<nn::GLU>());
      },
      x3);
}

// Loading into a model whose keys or shapes differ from the file's.
TEST(NnRoundTrip, LoadErrors) {
  random::seed(1);
  auto saved = std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(2, 3),
                                                std::make_shared<nn::ReLU>(),
                                                std::make_shared<nn::LayerNorm>(3));
  auto weights = saved->parameters().flattened();
  auto write = [&](const std::string& name, auto edit) {
    std::unordered_map<std::string, array> file;
    for (auto& [k, v] : weights) file.insert_or_assign(k, v);
    edit(file);
    auto path = temp_file(name);
    save_safetensors(path, file);
    return path;
  };
  auto fresh = [] {
    random::seed(2);
    return std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(2, 3),
                                            std::make_shared<nn::ReLU>(),
                                            std::make_shared<nn::LayerNorm>(3));
  };
  auto prefix = [](const std::string& path) {
    return "[Module::load_weights] The weights in '" + path + "' do not match the Sequential: ";
  };

  // A missing key: an error when strict (nothing changes); otherwise the rest loads and the
  // missing parameter keeps its value.
  auto missing = write("missing", [](auto& f) { f.erase("layers.2.bias"); });
  auto m = fresh();
  auto before = m->parameters().flattened();
  EXPECT_INVALID(m->load_weights(missing), prefix(missing) + "Missing keys: layers.2.bias.");
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(m->parameters().flattened()[i].second.id(), before[i].second.id());
  }
  m->load_weights(missing, false);
  EXPECT_TRUE(
      bitwise_equal(parameter(*m, "layers.0.weight"), parameter(*saved, "layers.0.weight")));
  EXPECT_EQ(parameter(*m, "layers.2.bias").id(), before[2].second.id());

  // An extra key: an error when strict, ignored otherwise.
  auto extra = write("extra", [](auto& f) { f.insert_or_assign("layers.1.weight", zeros({3})); });
  m = fresh();
  EXPECT_INVALID(m->load_weights(extra),
                 prefix(extra) + "Unexpected keys (not in the model): layers.1.weight.");
  m->load_weights(extra, false);
  expect_same_parameters(*saved, *m);

  // A wrong shape: an error either way.
  auto wrong = write("wrong", [](auto& f) {
    f.insert_or_assign("layers.0.weight", zeros({3, 3}));
  });
  m = fresh();
  auto message =
      prefix(wrong) + "'layers.0.weight' has shape (3,2) in the model but (3,3) in the file.";
  EXPECT_INVALID(m->load_weights(wrong), message);
  EXPECT_INVALID(m->load_weights(wrong, false), message);

  // All three at once: every problem is named.
  auto all = write("all", [](auto& f) {
    f.erase("layers.0.bias");
    f.insert_or_assign("layers.0.weight", zeros({2, 2}));
    f.insert_or_assign("head.weight", zeros({1}));
  });
  EXPECT_INVALID(m->load_weights(all),
                 prefix(all) +
                     "Unexpected keys (not in the model): head.weight. Missing keys: "
                     "layers.0.bias. 'layers.0.weight' has shape (3,2) in the model but (2,2) in "
                     "the file.");
  for (auto& p : {missing, extra, wrong, all}) std::remove(p.c_str());
}

// A model cast to float16 / bfloat16 saves and loads in that dtype: loading replaces the arrays,
// so even a float32 model takes the file's dtype (as in MLX Python).
TEST(NnRoundTrip, HalfPrecision) {
  for (auto dt : {float16, bfloat16}) {
    SCOPED_TRACE(dt == float16 ? "float16" : "bfloat16");
    auto make = [dt] {
      auto m = std::make_shared<nn::Sequential>(
          std::make_shared<nn::Linear>(3, 4), std::make_shared<nn::LayerNorm>(4),
          std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(4, 2));
      m->apply([dt](const array& p) { return astype(p, dt); });
      return m;
    };
    auto x = astype(pattern({2, 3}, 20), dt);
    unary_round_trip<nn::Sequential>(dt == float16 ? "f16" : "bf16", make, x);

    random::seed(1);
    auto a = make();
    auto path = temp_file("half_into_float32");
    a->save_weights(path);
    random::seed(2);
    auto b = std::make_shared<nn::Sequential>(
        std::make_shared<nn::Linear>(3, 4), std::make_shared<nn::LayerNorm>(4),
        std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(4, 2));
    b->load_weights(path);
    std::remove(path.c_str());
    for (auto& [k, v] : b->parameters().flattened()) EXPECT_EQ(v.dtype(), dt) << k;
    expect_same_parameters(*a, *b);
    auto ya = (*a)(x), yb = (*b)(x);
    EXPECT_EQ(yb.dtype(), dt);
    EXPECT_TRUE(bitwise_equal(ya, yb));
  }
}

}  // namespace
