// The standard workloads of the core kernel layer, with the machine's limits measured in the
// same run. Prints one line per figure: "<name> <median ms>" for workloads (median of repeats,
// inputs evaluated beforehand, each repeat evaluates the op) and the limits in GB/s, GFLOP/s.
// benchmarks/compare.py runs the same workloads in NumPy and PyTorch and prints ratios.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "machine_limits.h"
#include "mlx/mlx.h"
#include "mlx/nn.h"
#include "mlx/optimizers.h"

namespace mx = mlx::core;
namespace nn = mlx::nn;
namespace optim = mlx::optimizers;

namespace {

double median_ms(const std::function<mx::array()>& op, int repeats) {
  std::vector<double> times;
  for (int r = 0; r < repeats + 2; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    auto out = op();
    mx::eval(out);
    auto t1 = std::chrono::steady_clock::now();
    if (r >= 2) {  // two warm-up runs fill the buffer cache and the caches
      times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

mx::array ramp(mx::Shape shape) {
  size_t n = 1;
  for (auto d : shape) n *= d;
  // Values in [0, 1): exact in float32, no denormals, sums stay finite.
  auto x =
      mx::reshape(mx::multiply(mx::arange(static_cast<double>(n)), mx::array(1.0f / n)), shape);
  mx::eval(x);
  return x;
}

// W9's model: token and learned position embeddings, a pre-norm nn::TransformerEncoder under a
// causal mask, and an output projection to the vocabulary.
class BenchTransformer : public nn::Module {
 public:
  BenchTransformer(int vocab, int d, int heads, int n_layers, int tokens)
      : embedding(std::make_shared<nn::Embedding>(vocab, d)),
        positions(mx::random::normal({tokens, d}) * mx::array(0.02f)),
        encoder(std::make_shared<nn::TransformerEncoder>(n_layers, d, heads, 4 * d, 0.0f, nullptr,
                                                         true)),
        out(std::make_shared<nn::Linear>(d, vocab, false)),
        mask_(nn::MultiHeadAttention::create_additive_causal_mask(tokens)) {
    register_module("embedding", embedding);
    register_parameter("positions", positions);
    register_module("encoder", encoder);
    register_module("out", out);
  }
  // Logits (batch * tokens, vocab) of tokens (batch, tokens).
  mx::array operator()(const mx::array& tokens) {
    auto x = (*encoder)((*embedding)(tokens) + positions, mask_);
    return mx::flatten((*out)(x), 0, 1);
  }
  std::shared_ptr<nn::Embedding> embedding;
  mx::array positions;
  std::shared_ptr<nn::TransformerEncoder> encoder;
  std::shared_ptr<nn::Linear> out;

 private:
  mx::array mask_;
};

mx::array mean_cross_entropy(const mx::array& logits, const mx::array& targets) {
  return nn::losses::cross_entropy(logits, targets, std::nullopt, -1, 0.0f,
                                   nn::losses::Reduction::mean);
}

}  // namespace

int main(int argc, char** argv) {
  bool only_workloads = argc > 1 && std::strcmp(argv[1], "--workloads") == 0;
  if (!only_workloads) {
    auto bw = measure_bandwidth(2);
    std::printf("limit_copy_gbs %.2f\n", bw.copy_gbs);
    std::printf("limit_read_gbs %.2f\n", bw.read_gbs);
    std::printf("limit_triad_gbs %.2f\n", bw.triad_gbs);
    for (int n : {1024, 2048}) {
      double ms = sgemm_ms(n, 5);
      std::printf("cblas_sgemm_%d_ms %.3f\n", n, ms);
    }
  }

  auto a = ramp({1 << 24});
  auto b = ramp({1 << 24});
  std::printf("W1_add_f32_2^24 %.3f\n", median_ms([&] { return a + b; }, 20));
  std::printf("W3_sum_f32_2^24 %.3f\n", median_ms([&] { return mx::sum(a); }, 20));
  auto m = ramp({4096, 4096});
  std::printf("W3_rowsum_f32_4096x4096 %.3f\n", median_ms([&] { return mx::sum(m, -1); }, 20));
  // W2: GELU, tanh form, written with ops (one pass per op, no fusion).
  auto gelu = [](const mx::array& x) {
    auto inner = mx::array(0.7978845608f) * (x + mx::array(0.044715f) * (x * x * x));
    return mx::array(0.5f) * x * (mx::array(1.0f) + mx::tanh(inner));
  };
  std::printf("W2_gelu_f32_2^24 %.3f\n", median_ms([&] { return gelu(a); }, 10));
  // W2c: the same GELU through compile (issue 7): one fused pass, one read and one write.
  auto gelu_compiled = mx::compile(std::function(
      [gelu](const std::vector<mx::array>& in) { return std::vector<mx::array>{gelu(in[0])}; }));
  std::printf("W2c_gelu_compiled_f32_2^24 %.3f\n",
              median_ms([&] { return gelu_compiled({a})[0]; }, 10));
  // W7: 1,000 chained adds on 16-element float32 arrays, then one eval: the per-op overhead of
  // building the graph and evaluating it (issue 7). The median is for all 1,000 ops together.
  auto x16 = ramp({16});
  auto y16 = ramp({16});
  auto chain = [&] {
    auto z = x16;
    for (int i = 0; i < 1000; ++i) {
      z = z + y16;
    }
    return z;
  };
  std::printf("W7_chain_add_1000x16 %.3f\n", median_ms(chain, 50));
  std::printf("W4_softmax_f32_4096x4096 %.3f\n", median_ms([&] { return mx::softmax(m, -1); }, 10));
  // W10: the same pseudo-random values as compare.py (Knuth's multiplicative hash of the index).
  auto keys =
      mx::multiply(mx::astype(mx::arange(1 << 22), mx::uint32), mx::array(2654435761u, mx::uint32));
  auto v = mx::multiply(mx::astype(keys, mx::float32), mx::array(1.0f / 4294967296.0f));
  mx::eval(v);
  std::printf("W10_sort_f32_2^22 %.3f\n", median_ms([&] { return mx::sort(v); }, 10));
  std::printf("W11_transpose_copy_f32_4096x4096 %.3f\n",
              median_ms([&] { return mx::contiguous(mx::transpose(m)); }, 10));
  for (int n : {1024, 2048}) {
    auto x = ramp({n, n});
    auto y = ramp({n, n});
    std::printf("W5_matmul_f32_%d %.3f\n", n,
                median_ms([&] { return mx::matmul(x, y); }, n == 1024 ? 10 : 5));
  }

  // W5h/W5b: 1024^2 matmul in float16 and bfloat16 (issue 6, products).
  {
    auto x = ramp({1024, 1024});
    for (auto [name, dtype] : {std::pair{"W5h_matmul_f16_1024", mx::float16},
                               std::pair{"W5b_matmul_bf16_1024", mx::bfloat16}}) {
      auto xh = mx::astype(x, dtype);
      mx::eval(xh);
      std::printf("%s %.3f\n", name, median_ms([&] { return mx::matmul(xh, xh); }, 10));
    }
  }

  // W6: conv2d, (32, 64, 64, 64) NHWC input, 3x3 64->64 kernel, padding 1 (issue 6, convolution).
  {
    auto x = ramp({32, 64, 64, 64});
    auto w = ramp({64, 3, 3, 64});
    std::printf("W6_conv2d_f32_32x64x64x64 %.3f\n", median_ms(
                                                        [&] {
                                                          return mx::conv2d(x, w, {1, 1}, {1, 1});
                                                        },
                                                        5));
  }

  // W12: take of 2^20 random indices from 2^24 float32 (issue 6, gather): the top 24 bits of
  // Knuth's multiplicative hash of the position, the same indices as compare.py.
  auto hashed =
      mx::multiply(mx::astype(mx::arange(1 << 20), mx::uint32), mx::array(2654435761u, mx::uint32));
  auto idx = mx::right_shift(hashed, mx::array(8u, mx::uint32));
  mx::eval(idx);
  std::printf("W12_take_f32_2^20_of_2^24 %.3f\n", median_ms([&] { return mx::take(a, idx); }, 20));

  // W13: 4-bit affine quantized_matmul, 1x4096 by 4096x4096, group 64 (issue 6, quantization).
  {
    auto wq = mx::quantize(ramp({4096, 4096}) - mx::array(0.5f), 64, 4);
    mx::eval(wq);
    auto xq = ramp({1, 4096});
    std::printf("W13_qmm_4bit_1x4096x4096 %.3f\n",
                median_ms([&] { return mx::quantized_matmul(xq, wq[0], wq[1], wq[2]); }, 20));
  }

  // The cost of value_and_grad of a 3-layer MLP (softplus activations, mean-square loss) against
  // the forward pass alone: batch 256, 784 -> 512 -> 512 -> 10, float32.
  auto X = ramp({256, 784});
  std::vector<mx::array> params{ramp({784, 512}), ramp({512, 512}), ramp({512, 10})};
  auto forward = [&X](const std::vector<mx::array>& p) {
    auto h = mx::log1p(mx::exp(mx::matmul(X, p[0]) - mx::array(100.0f)));
    h = mx::log1p(mx::exp(mx::matmul(h, p[1]) - mx::array(1.0f)));
    auto y = mx::matmul(h, p[2]);
    return mx::mean(y * y);
  };
  auto vg = mx::value_and_grad(forward, {0, 1, 2});
  double fwd = median_ms([&] { return forward(params); }, 20);
  double both = median_ms(
      [&] {
        auto [loss, grads] = vg(params);
        mx::eval(grads);
        return loss;
      },
      20);
  std::printf("MLP_forward_ms %.3f\n", fwd);
  std::printf("MLP_value_and_grad_ms %.3f\n", both);
  // [train spot] A training step (MLP 784-512-512-10 forward, value_and_grad, Adam written with
  // ops), compiled and not (issue 7), at batch 256, 128 and 64. The model is the MLP above without
  // its shifts and with weights scaled as nn::Linear initialises them (uniform in
  // +-1/sqrt(fan_in), here a ramp), so that every value stays finite over the steps (with the
  // MLP above the first step's exp overflows and the steps after it ran on infinities and NaN).
  // The state is (3 weights, 3 first moments, 3 second moments, step count); the step returns
  // the new state and the loss.
  {
    using Fn = std::function<std::vector<mx::array>(const std::vector<mx::array>&)>;
    const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    // The Adam update: from (3 weights, 3 first moments, 3 second moments, 3 gradients, step
    // count) to the new (weights, first moments, second moments, step count).
    Fn adam = [lr, b1, b2, eps](const std::vector<mx::array>& s) {
      auto t = s[12] + mx::array(1.0f);
      auto c1 = mx::array(1.0f) - mx::power(mx::array(b1), t);
      auto c2 = mx::array(1.0f) - mx::power(mx::array(b2), t);
      std::vector<mx::array> out(10, t);
      for (int i = 0; i < 3; ++i) {
        auto& g = s[9 + i];
        auto m = mx::array(b1) * s[3 + i] + mx::array(1.0f - b1) * g;
        auto v = mx::array(b2) * s[6 + i] + mx::array(1.0f - b2) * g * g;
        out[i] = s[i] - mx::array(lr) * (m / c1) / (mx::sqrt(v / c2) + mx::array(eps));
        out[3 + i] = m;
        out[6 + i] = v;
      }
      return out;
    };
    auto init = [](int fan_in, int fan_out) {
      auto w = (ramp({fan_in, fan_out}) - mx::array(0.5f)) * mx::array(2.0f / std::sqrt(fan_in));
      mx::eval(w);
      return w;
    };
    const std::vector<mx::array> weights{init(784, 512), init(512, 512), init(512, 10)};
    auto time_fn = [](const Fn& f, const std::vector<mx::array>& in) {
      return median_ms(
          [&] {
            auto out = f(in);
            mx::eval(out);
            return out[0];
          },
          20);
    };
    for (int batch : {256, 128, 64}) {
      auto xb = ramp({batch, 784});
      auto train_forward = [xb](const std::vector<mx::array>& p) {
        auto h = mx::log1p(mx::exp(mx::matmul(xb, p[0])));
        h = mx::log1p(mx::exp(mx::matmul(h, p[1])));
        auto y = mx::matmul(h, p[2]);
        return mx::mean(y * y);
      };
      auto train_vg = mx::value_and_grad(train_forward, {0, 1, 2});
      Fn step = [&train_vg, &adam](const std::vector<mx::array>& s) {
        auto [loss, g] = train_vg({s[0], s[1], s[2]});
        std::vector<mx::array> in(s.begin(), s.begin() + 9);
        in.insert(in.end(), g.begin(), g.end());
        in.push_back(s[9]);
        auto out = adam(in);
        out.push_back(loss);
        return out;
      };
      // The uncompiled and compiled steps run by turns, each from its own state, so that a
      // noisy spell on the shared machine (bandwidth taken by its neighbours) slows both alike
      // rather than whichever ran during it: run one after the other, the ratio moved between
      // 1.08x and 1.32x from run to run.
      auto time_steps = [&weights](const std::vector<Fn>& fns) {
        std::vector<std::vector<mx::array>> states;
        for (size_t f = 0; f < fns.size(); ++f) {
          std::vector<mx::array> state(weights);
          for (int k = 0; k < 6; ++k) {
            state.push_back(mx::zeros_like(weights[k % 3]));
          }
          state.push_back(mx::array(0.0f));
          mx::eval(state);
          states.push_back(std::move(state));
        }
        std::vector<std::vector<double>> times(fns.size());
        for (int r = 0; r < 40 + 2; ++r) {
          for (size_t f = 0; f < fns.size(); ++f) {
            auto t0 = std::chrono::steady_clock::now();
            auto out = fns[f](states[f]);
            mx::eval(out);
            auto t1 = std::chrono::steady_clock::now();
            states[f].assign(out.begin(), out.begin() + 10);
            if (r >= 2) {  // warm-up: the compiled step traces on its first call
              times[f].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
            }
          }
        }
        std::vector<double> medians;
        for (auto& t : times) {
          std::sort(t.begin(), t.end());
          medians.push_back(t[t.size() / 2]);
        }
        return medians;
      };
      const std::string tag = batch == 256 ? "TRAIN_" : "TRAIN_b" + std::to_string(batch) + "_";
      auto step_ms = time_steps({step, mx::compile(step)});
      std::printf("%sstep_ms %.3f\n", tag.c_str(), step_ms[0]);
      std::printf("%sstep_compiled_ms %.3f\n", tag.c_str(), step_ms[1]);
      if (batch != 256) {
        continue;
      }
      // The step's two parts apart, compiled and not: value_and_grad (matmul-bound) and the
      // Adam update (elementwise: all of what fusion can shorten).
      Fn grads = [&train_vg](const std::vector<mx::array>& p) {
        auto [loss, g] = train_vg(p);
        g.push_back(loss);
        return g;
      };
      std::vector<mx::array> adam_in(weights);
      for (int k = 0; k < 3; ++k) {  // first moments, second moments (not negative), gradients
        for (auto& w : weights) {
          adam_in.push_back(k == 1 ? w * w : w * mx::array(0.5f));
        }
      }
      adam_in.push_back(mx::array(1.0f));
      mx::eval(adam_in);
      std::printf("TRAIN_grads_ms %.3f\n", time_fn(grads, weights));
      std::printf("TRAIN_grads_compiled_ms %.3f\n", time_fn(mx::compile(grads), weights));
      std::printf("TRAIN_adam_ms %.3f\n", time_fn(adam, adam_in));
      std::printf("TRAIN_adam_compiled_ms %.3f\n", time_fn(mx::compile(adam), adam_in));
    }
  }

  // W8: a training step of an MLP 784-512-512-10 (nn::Linear, ReLU), batch 256, cross-entropy,
  // Adam, compiled as one function (optim::training_step) and not.
  {
    mx::random::seed(8);
    auto model = std::make_shared<nn::Sequential>(
        std::make_shared<nn::Linear>(784, 512), std::make_shared<nn::ReLU>(),
        std::make_shared<nn::Linear>(512, 512), std::make_shared<nn::ReLU>(),
        std::make_shared<nn::Linear>(512, 10));
    optim::Adam adam(1e-3f);
    auto x = ramp({256, 784});
    auto y = mx::remainder(mx::arange(256), mx::array(10));
    mx::eval(model->parameters().flattened_values());
    auto loss = [&model](const std::vector<mx::array>& in) {
      return std::vector<mx::array>{mean_cross_entropy((*model)(in[0]), in[1])};
    };
    for (bool compiled : {true, false}) {
      auto step = optim::training_step(*model, adam, loss, compiled);
      std::printf("%s %.3f\n", compiled ? "W8_train_mlp_adam" : "W8u_train_mlp_adam_uncompiled",
                  median_ms(
                      [&] {
                        return step({x, y})[0];
                      },
                      20));
    }
  }

  // W9: a training step of a 4-layer pre-norm transformer (width 256, 4 heads, MLP 1024, 128
  // tokens, batch 16, vocabulary 256), next-token cross-entropy, AdamW, compiled.
  {
    mx::random::seed(9);
    const int batch = 16, tokens = 128, vocab = 256;
    auto model = std::make_shared<BenchTransformer>(vocab, 256, 4, 4, tokens);
    optim::AdamW adamw(1e-3f);
    auto seq =
        mx::remainder(mx::multiply(mx::arange(batch * tokens), mx::array(7)), mx::array(vocab));
    auto inputs = mx::reshape(seq, {batch, tokens});
    auto targets = mx::flatten(mx::remainder(inputs + mx::array(1), mx::array(vocab)));
    mx::eval(model->parameters().flattened_values());
    mx::eval(inputs, targets);
    auto loss = [&model](const std::vector<mx::array>& in) {
      return std::vector<mx::array>{mean_cross_entropy((*model)(in[0]), in[1])};
    };
    auto step = optim::training_step(*model, adamw, loss);
    std::printf("W9_train_transformer_adamw %.3f\n", median_ms(
                                                         [&] {
                                                           return step({inputs, targets})[0];
                                                         },
                                                         5));
  }

  // FAST: causal attention (batch 4, heads 8, 1024 tokens, head dim 64), fused and as the
  // matmul/softmax composition; rms_norm of 4096x4096 (issue 8).
  {
    auto q = ramp({4, 8, 1024, 64}) - mx::array(0.5f);
    auto k = mx::flip(q, 2);
    auto v = ramp({4, 8, 1024, 64});
    mx::eval(q, k, v);
    const float scale = 0.125f;
    std::printf(
        "FAST_sdpa_causal_4x8x1024x64 %.3f\n",
        median_ms([&] { return mx::fast::scaled_dot_product_attention(q, k, v, scale, "causal"); },
                  10));
    auto causal = mx::greater_equal(mx::expand_dims(mx::arange(1024), 1),
                                    mx::expand_dims(mx::arange(1024), 0));
    mx::eval(causal);
    auto unfused = [&] {
      auto s = mx::matmul(mx::multiply(q, mx::array(scale)), mx::swapaxes(k, -1, -2));
      s = mx::where(causal, s, mx::array(-std::numeric_limits<float>::infinity()));
      return mx::matmul(mx::softmax(s, -1), v);
    };
    std::printf("FAST_sdpa_unfused_4x8x1024x64 %.3f\n", median_ms(unfused, 10));
    std::printf("FAST_rms_norm_4096x4096 %.3f\n",
                median_ms([&] { return mx::fast::rms_norm(m, std::nullopt, 1e-5f); }, 10));
  }

  // FFT: a complex64 transform of 2^20 points, re = ramp, im = 1 - ramp (issue 8).
  {
    auto re = ramp({1 << 20});
    auto x = mx::add(re, mx::multiply(mx::subtract(mx::array(1.0f), re),
                                      mx::array(std::complex<float>(0.0f, 1.0f))));
    mx::eval(x);
    std::printf("fft_c64_2^20 %.3f\n", median_ms([&] { return mx::fft::fft(x); }, 20));
  }

  // IO: loading a 1 GiB safetensors file (16 tensors of 64 MiB) from the page cache, against
  // `cat` of the same file in the same run (issue 8); the file lives only for this run.
  {
    const std::string path = "/tmp/mlx_bench_core_1GiB.safetensors";
    std::unordered_map<std::string, mx::array> tensors;
    for (int i = 0; i < 16; ++i) {
      tensors.emplace("t" + std::to_string(i), ramp({16 << 20}));
    }
    mx::save_safetensors(path, tensors);
    tensors.clear();
    auto load_all = [&] {
      auto loaded = mx::load_safetensors(path).first;
      std::vector<mx::array> out;
      for (auto& [name, a] : loaded) {
        out.push_back(a);
      }
      mx::eval(out);
      return out[0];
    };
    std::printf("IO_safetensors_load_1GiB %.3f\n", median_ms(load_all, 5));
    const std::string cat = "cat " + path + " > /dev/null";
    std::printf("IO_cat_1GiB %.3f\n", median_ms(
                                          [&] {
                                            if (std::system(cat.c_str()) != 0) {
                                              std::perror("cat");
                                            }
                                            return mx::array(0);
                                          },
                                          5));
    std::remove(path.c_str());
  }
  return 0;
}
