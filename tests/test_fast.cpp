// mlx::core::fast: rms_norm, layer_norm, rope and scaled_dot_product_attention against
// hand-computed values and against the unfused compositions written here, at every float dtype;
// their argument errors; vjp/jvp through the check harness and the fused vjps against the
// composition's; vmap; the custom-kernel entry points this build cannot run.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "check.h"
#include "helpers.h"
#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

// a and b (any shapes that match, any float dtypes) agree within tol relative to max(1, |b|).
void expect_close(const array& a, const array& b, double tol) {
  ASSERT_EQ(a.shape(), b.shape());
  auto x = check::values(a), y = check::values(b);
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_NEAR(x[i], y[i], tol * std::max(1.0, std::abs(y[i]))) << "at " << i;
  }
}

double tol_of(Dtype t) {
  if (t == float64) return 1e-12;
  if (t == float32) return 2e-5;
  if (t == float16) return 4e-3;
  return 3e-2;
}

const std::vector<Dtype> kFloats{float32, float16, bfloat16, float64};

array rand(const Shape& shape, unsigned seed, Dtype t = float32) {
  return check::uniform(shape, -1, 1, seed, t);
}

array work(const array& x) { return astype(x, x.dtype() == float64 ? float64 : float32); }

array rms_ref(const array& x, const std::optional<array>& w, float eps) {
  auto xf = work(x);
  auto y = xf * rsqrt(mean(square(xf), -1, true) + array(eps, xf.dtype()));
  if (w) y = y * astype(*w, xf.dtype());
  return astype(y, x.dtype());
}

array ln_ref(const array& x, const std::optional<array>& w, const std::optional<array>& b,
             float eps) {
  auto xf = work(x);
  auto xc = xf - mean(xf, -1, true);
  auto y = xc * rsqrt(mean(square(xc), -1, true) + array(eps, xf.dtype()));
  if (w) y = y * astype(*w, xf.dtype());
  if (b) y = y + astype(*b, xf.dtype());
  return astype(y, x.dtype());
}

// RoPE by loops over (B, N, T, D) values: angle (offset[b] + t) * scale * inv_freq[i].
array rope_ref(const array& x, int dims, bool traditional, float base, float scale,
               const std::vector<int>& offsets, const std::vector<float>& freqs = {}) {
  auto v = check::values(x);
  const int B = x.shape(0), T = x.shape(-2), D = x.shape(-1);
  const int N = static_cast<int>(x.size()) / (B * T * D);
  std::vector<double> out = v;
  for (int b = 0; b < B; ++b) {
    for (int n = 0; n < N; ++n) {
      for (int t = 0; t < T; ++t) {
        size_t row = ((static_cast<size_t>(b) * N + n) * T + t) * D;
        for (int i = 0; i < dims / 2; ++i) {
          double inv = freqs.empty() ? std::pow(base, -2.0 * i / dims) : 1.0 / freqs[i];
          double th = (offsets[offsets.size() > 1 ? b : 0] + t) * scale * inv;
          int i1 = traditional ? 2 * i : i, i2 = traditional ? 2 * i + 1 : i + dims / 2;
          out[row + i1] = v[row + i1] * std::cos(th) - v[row + i2] * std::sin(th);
          out[row + i2] = v[row + i1] * std::sin(th) + v[row + i2] * std::cos(th);
        }
      }
    }
  }
  return array(out.data(), x.shape(), float64);
}

// Attention written with matmul and softmax: keys repeated for grouped heads, masked scores
// set to -inf (bool), causal aligned to the bottom right, sinks as an extra logit.
array sdpa_ref(const array& q, const array& k, const array& v, float scale,
               const std::string& mode = "", std::optional<array> mask = {},
               std::optional<array> sinks = {}) {
  const int rep = q.shape(1) / k.shape(1), L = q.shape(2), S = k.shape(2);
  auto wt = q.dtype() == float64 ? float64 : float32;
  auto qf = astype(q, wt), kf = astype(repeat(k, rep, 1), wt), vf = astype(repeat(v, rep, 1), wt);
  auto s = matmul(qf * array(scale, wt), swapaxes(kf, -1, -2));
  if (mode == "causal") {
    mask = expand_dims(arange(S - L, S), 1) >= expand_dims(arange(0, S), 0);
  }
  if (mask) {
    s = mask->dtype() == bool_ ? where(*mask, s, array(-INFINITY, wt)) : s + astype(*mask, wt);
  }
  if (sinks) {
    auto sk = broadcast_to(reshape(astype(*sinks, wt), {1, q.shape(1), 1, 1}),
                           {q.shape(0), q.shape(1), L, 1});
    s = concatenate({sk, s}, -1);
  }
  auto p = softmax(s, -1);
  if (sinks) p = slice(p, {0, 0, 0, 1}, p.shape());
  return astype(matmul(p, vf), q.dtype());
}

}  // namespace

// ---- rms_norm ----

TEST(FastRMSNorm, HandValues) {
  auto y = fast::rms_norm(array({1.0f, 2.0f, 3.0f, 4.0f}), std::nullopt, 0.0f);
  EXPECT_EQ(y.dtype(), float32);
  expect_close(y, array({0.3651484f, 0.7302967f, 1.0954451f, 1.4605935f}), 1e-6);
  auto yw = fast::rms_norm(array({1.0f, 2.0f, 3.0f, 4.0f}, {1, 4}),
                           array({1.0f, -1.0f, 0.5f, 2.0f}), 0.0f);
  expect_close(yw, array({0.3651484f, -0.7302967f, 0.5477226f, 2.921187f}, {1, 4}), 1e-6);
}

TEST(FastRMSNorm, MatchesCompositionEveryDtype) {
  for (auto t : kFloats) {
    auto x = rand({3, 5, 67}, 1, t);
    auto w = rand({67}, 2, t);
    auto y = fast::rms_norm(x, w, 1e-5f);
    EXPECT_EQ(y.dtype(), t);
    expect_close(y, rms_ref(x, w, 1e-5f), tol_of(t));
    expect_close(fast::rms_norm(x, std::nullopt, 1e-5f), rms_ref(x, std::nullopt, 1e-5f),
                 tol_of(t));
  }
  // Long rows, a transposed input, and promotion with the weight's dtype.
  auto x = rand({64, 4100}, 3);
  expect_close(fast::rms_norm(x, std::nullopt, 1e-6f), rms_ref(x, std::nullopt, 1e-6f), 2e-5);
  // Over 4 MiB of output: streaming stores, rows of odd length starting at every alignment.
  auto big = rand({260, 4101}, 8);
  auto wbig = rand({4101}, 9);
  expect_close(fast::rms_norm(big, wbig, 1e-6f), rms_ref(big, wbig, 1e-6f), 2e-5);
  expect_close(fast::rms_norm(big, std::nullopt, 1e-6f), rms_ref(big, std::nullopt, 1e-6f), 2e-5);
  auto xt = transpose(rand({33, 20}, 4));
  auto w = rand({33}, 5, float16);
  expect_close(fast::rms_norm(xt, w, 1e-6f), rms_ref(xt, w, 1e-6f), 2e-5);
  auto h = fast::rms_norm(rand({2, 8}, 6, float16), rand({8}, 7, float32), 1e-5f);
  EXPECT_EQ(h.dtype(), float32);
}

TEST(FastRMSNorm, Errors) {
  auto x = zeros({2, 4});
  EXPECT_INVALID(fast::rms_norm(array(1.0f), std::nullopt, 1e-5f),
                 "[rms_norm] Input must have at least 1 dimension but got input with 0 "
                 "dimensions.");
  EXPECT_INVALID(fast::rms_norm(x, zeros({1, 4}), 1e-5f),
                 "[rms_norm] weight must have 1 dimension but has 2 dimensions.");
  EXPECT_INVALID(fast::rms_norm(x, zeros({3}), 1e-5f),
                 "[rms_norm] weight must have the same size as the last dimension of x (4) but "
                 "has 3 elements.");
  EXPECT_INVALID(fast::rms_norm(zeros({2, 4}, int32), std::nullopt, 1e-5f),
                 "[rms_norm] Received unsupported type int32.");
}

TEST(FastRMSNorm, Gradients) {
  auto f = [](const std::vector<array>& in) {
    return std::vector<array>{fast::rms_norm(in[0], in[1], 1e-5f)};
  };
  check::grads(f, {check::uniform({3, 7}, -1, 1, 1), check::uniform({7}, -1, 1, 2)});
  check::grads(
      [](const std::vector<array>& in) {
        return std::vector<array>{fast::rms_norm(in[0], std::nullopt, 1e-5f)};
      },
      {check::uniform({2, 3, 5}, -1, 1, 3)});
  check::vmaps(f, {check::uniform({3, 7}, -1, 1, 1), check::uniform({7}, -1, 1, 2)});
  // The fused vjp in float32 against the composition's.
  auto x = rand({16, 300}, 8), w = rand({300}, 9), g = rand({16, 300}, 10);
  auto fused = vjp(f, {x, w}, {g}).second;
  auto ref = vjp(
                 [](const std::vector<array>& in) {
                   return std::vector<array>{rms_ref(in[0], in[1], 1e-5f)};
                 },
                 {x, w}, {g})
                 .second;
  expect_close(fused[0], ref[0], 1e-4);
  expect_close(fused[1], ref[1], 1e-4);
}

// ---- layer_norm ----

TEST(FastLayerNorm, HandValues) {
  auto y = fast::layer_norm(array({1.0f, 2.0f, 3.0f, 4.0f}), std::nullopt, std::nullopt, 0.0f);
  expect_close(y, array({-1.3416408f, -0.4472136f, 0.4472136f, 1.3416408f}), 1e-6);
  auto yb = fast::layer_norm(array({1.0f, 2.0f, 3.0f, 4.0f}), array({2.0f, 2.0f, 2.0f, 2.0f}),
                             array({1.0f, 0.0f, 0.0f, -1.0f}), 0.0f);
  expect_close(yb, array({-1.6832816f, -0.8944272f, 0.8944272f, 1.6832816f}), 1e-6);
}

TEST(FastLayerNorm, MatchesCompositionEveryDtype) {
  for (auto t : kFloats) {
    auto x = rand({4, 3, 45}, 11, t) + array(3.0, t);
    auto w = rand({45}, 12, t), b = rand({45}, 13, t);
    auto y = fast::layer_norm(x, w, b, 1e-5f);
    EXPECT_EQ(y.dtype(), t);
    expect_close(y, ln_ref(x, w, b, 1e-5f), tol_of(t) * 4);
    expect_close(fast::layer_norm(x, std::nullopt, b, 1e-5f), ln_ref(x, std::nullopt, b, 1e-5f),
                 tol_of(t) * 4);
    expect_close(fast::layer_norm(x, w, std::nullopt, 1e-5f), ln_ref(x, w, std::nullopt, 1e-5f),
                 tol_of(t) * 4);
  }
  auto y = fast::layer_norm(rand({2, 8}, 6, bfloat16), std::nullopt, rand({8}, 7, float16), 1e-5f);
  EXPECT_EQ(y.dtype(), float32);
}

TEST(FastLayerNorm, Errors) {
  auto x = zeros({2, 4});
  EXPECT_INVALID(fast::layer_norm(array(1.0f), std::nullopt, std::nullopt, 1e-5f),
                 "[layer_norm] Input must have at least 1 dimension but got input with 0 "
                 "dimensions.");
  EXPECT_INVALID(fast::layer_norm(x, zeros({4, 1}), std::nullopt, 1e-5f),
                 "[layer_norm] weight must have 1 dimension but has 2 dimensions.");
  EXPECT_INVALID(fast::layer_norm(x, std::nullopt, zeros({5}), 1e-5f),
                 "[layer_norm] bias must have the same size as the last dimension of x (4) but "
                 "has 5 elements.");
  EXPECT_INVALID(fast::layer_norm(zeros({2, 4}, int8), std::nullopt, std::nullopt, 1e-5f),
                 "[layer_norm] Received unsupported type int8.");
}

TEST(FastLayerNorm, Gradients) {
  auto f = [](const std::vector<array>& in) {
    return std::vector<array>{fast::layer_norm(in[0], in[1], in[2], 1e-5f)};
  };
  std::vector<array> in{check::uniform({3, 6}, -1, 1, 1), check::uniform({6}, -1, 1, 2),
                        check::uniform({6}, -1, 1, 3)};
  check::grads(f, in);
  check::vmaps(f, in);
  auto x = rand({12, 257}, 8), w = rand({257}, 9), b = rand({257}, 10), g = rand({12, 257}, 11);
  auto fused = vjp(f, {x, w, b}, {g}).second;
  auto ref = vjp(
                 [](const std::vector<array>& in) {
                   return std::vector<array>{ln_ref(in[0], in[1], in[2], 1e-5f)};
                 },
                 {x, w, b}, {g})
                 .second;
  for (int i = 0; i < 3; ++i) expect_close(fused[i], ref[i], 1e-4);
}

// ---- rope ----

TEST(FastRoPE, HandValues) {
  auto x = array({1.0f, 0.0f, 1.0f, 0.0f}, {1, 1, 2, 2});
  auto y = fast::rope(x, 2, false, 10000.0f, 1.0f, 0);
  expect_close(y, array({1.0f, 0.0f, 0.5403023f, 0.8414710f}, {1, 1, 2, 2}), 1e-6);
  auto y3 = fast::rope(x, 2, true, 10000.0f, 1.0f, 3);
  expect_close(y3, array({-0.9899925f, 0.1411200f, -0.6536436f, -0.7568025f}, {1, 1, 2, 2}), 1e-6);
}

TEST(FastRoPE, MatchesReferenceEveryDtype) {
  for (auto t : kFloats) {
    for (bool trad : {false, true}) {
      auto x = rand({2, 3, 5, 12}, 21, t);
      auto y = fast::rope(x, 8, trad, 500.0f, 0.5f, 4);
      EXPECT_EQ(y.dtype(), t);
      // The angles are float32 at every dtype, as in MLX.
      expect_close(y, rope_ref(x, 8, trad, 500.0f, 0.5f, {4}), t == float64 ? 1e-6 : tol_of(t) * 4);
    }
  }
  // 3-D and 5-D inputs, a per-batch array offset, custom freqs, a transposed input.
  auto x3 = rand({2, 6, 16}, 22);
  expect_close(fast::rope(x3, 16, false, 10000.0f, 1.0f, array({1, 7})),
               rope_ref(x3, 16, false, 10000.0f, 1.0f, {1, 7}), 2e-5);
  auto x5 = rand({2, 2, 3, 4, 8}, 23);
  expect_close(fast::rope(x5, 6, true, 100.0f, 2.0f, array(5)),
               rope_ref(x5, 6, true, 100.0f, 2.0f, {5}), 2e-5);
  std::vector<float> freqs{1.0f, 3.0f, 10.0f, 40.0f};
  expect_close(fast::rope(x3, 8, false, std::nullopt, 1.0f, 2, array(freqs.data(), {4})),
               rope_ref(x3, 8, false, 0.0f, 1.0f, {2}, freqs), 2e-5);
  auto xt = swapaxes(rand({2, 5, 3, 8}, 24), 1, 2);
  expect_close(fast::rope(xt, 8, false, 10000.0f, 1.0f, 0),
               rope_ref(xt, 8, false, 10000.0f, 1.0f, {0}), 2e-5);
  // A strided offset array; int64 offsets are accepted.
  expect_close(fast::rope(x3, 16, false, 10000.0f, 1.0f, slice(array({1, 0, 7}), {0}, {3}, {2})),
               rope_ref(x3, 16, false, 10000.0f, 1.0f, {1, 7}), 2e-5);
  expect_close(fast::rope(x3, 16, false, 10000.0f, 1.0f, array({1, 7}, int64)),
               rope_ref(x3, 16, false, 10000.0f, 1.0f, {1, 7}), 2e-5);
}

TEST(FastRoPE, Errors) {
  auto x = zeros({1, 2, 8});
  EXPECT_INVALID(fast::rope(zeros({2, 8}), 8, false, 1e4f, 1.0f, 0),
                 "[rope] Input must have at least 3 dimensions but got input with 2 dimensions.");
  EXPECT_INVALID(fast::rope(zeros({1, 2, 8}, int32), 8, false, 1e4f, 1.0f, 0),
                 "[rope] Input must be a floating type but got int32.");
  EXPECT_INVALID(fast::rope(x, 7, false, 1e4f, 1.0f, 0),
                 "[rope] dims must be positive and even but got 7.");
  EXPECT_INVALID(fast::rope(x, 10, false, 1e4f, 1.0f, 0),
                 "[rope] dims must not exceed the input's last dimension (8) but got 10.");
  EXPECT_INVALID(fast::rope(x, 8, false, 1e4f, 1.0f, 0, zeros({4})),
                 "[rope] Only one of base or freqs can have a value.");
  EXPECT_INVALID(fast::rope(x, 8, false, std::nullopt, 1.0f, 0),
                 "[rope] Neither base nor freqs has a value.");
  EXPECT_INVALID(fast::rope(x, 8, false, std::nullopt, 1.0f, 0, zeros({3})),
                 "[rope] freqs must be one dimensional with size 4 but got shape (3).");
  EXPECT_INVALID(fast::rope(x, 8, false, 1e4f, 1.0f, array({1, 2})),
                 "[rope] offset must be a scalar or vector with 1 elements but has shape (2).");
  EXPECT_INVALID(fast::rope(x, 8, false, 1e4f, 1.0f, zeros({1, 1}, int32)),
                 "[rope] offset must have at most one dimension but has shape (1,1).");
  EXPECT_INVALID(fast::rope(x, 8, false, 1e4f, 1.0f, array(1.0f)),
                 "[rope] offset must be an integer but got type float32.");
}

TEST(FastRoPE, Gradients) {
  for (bool trad : {false, true}) {
    auto f = [trad](const std::vector<array>& in) {
      return std::vector<array>{fast::rope(in[0], 6, trad, 100.0f, 1.5f, array({2, 5}))};
    };
    check::grads(f, {check::uniform({2, 3, 4, 8}, -1, 1, 4)});
  }
  auto g = [](const std::vector<array>& in) {
    return std::vector<array>{fast::rope(in[0], 4, false, 100.0f, 1.0f, 3)};
  };
  check::vmaps(g, {check::uniform({2, 3, 4}, -1, 1, 5)});
}

// ---- scaled_dot_product_attention ----

TEST(FastSDPA, HandValues) {
  auto q = array({1.0f}, {1, 1, 1, 1});
  auto k = array({0.0f, 1.0f}, {1, 1, 2, 1});
  auto v = array({1.0f, 3.0f}, {1, 1, 2, 1});
  auto o = fast::scaled_dot_product_attention(q, k, v, 1.0f);
  expect_close(o, array({2.4621172f}, {1, 1, 1, 1}), 1e-6);
  // A sink of logit 1 adds e to the denominator: (1 + 3e) / (1 + 2e).
  auto os = fast::scaled_dot_product_attention(q, k, v, 1.0f, "", {}, array({1.0f}));
  expect_close(os, array({1.4223188f}, {1, 1, 1, 1}), 1e-6);
  // Keep only the first key.
  auto om = fast::scaled_dot_product_attention(q, k, v, 1.0f, "array",
                                               array({true, false}, {1, 1, 1, 2}));
  expect_close(om, array({1.0f}, {1, 1, 1, 1}), 1e-6);
}

TEST(FastSDPA, MatchesCompositionEveryDtype) {
  for (auto t : kFloats) {
    auto q = rand({2, 4, 70, 16}, 31, t), k = rand({2, 2, 150, 16}, 32, t);
    auto v = rand({2, 2, 150, 24}, 33, t);
    const double tol = t == float32 ? 1e-5 : tol_of(t) * 4;
    auto o = fast::scaled_dot_product_attention(q, k, v, 0.25f);
    EXPECT_EQ(o.shape(), (Shape{2, 4, 70, 24}));
    EXPECT_EQ(o.dtype(), t);
    expect_close(o, sdpa_ref(q, k, v, 0.25f), tol);
    expect_close(fast::scaled_dot_product_attention(q, k, v, 0.25f, "causal"),
                 sdpa_ref(q, k, v, 0.25f, "causal"), tol);
    auto bmask = rand({70, 150}, 34) > array(-0.5f);
    expect_close(fast::scaled_dot_product_attention(q, k, v, 0.25f, "array", bmask),
                 sdpa_ref(q, k, v, 0.25f, "", bmask), tol);
    auto amask = astype(rand({4, 1, 150}, 35), t);
    auto sinks = astype(rand({4}, 36), t);
    expect_close(fast::scaled_dot_product_attention(q, k, v, 0.25f, "array", amask, sinks),
                 sdpa_ref(q, k, v, 0.25f, "", amask, sinks), tol);
    expect_close(fast::scaled_dot_product_attention(q, k, v, 0.25f, "causal", {}, sinks),
                 sdpa_ref(q, k, v, 0.25f, "causal", {}, sinks), tol);
  }
  // Causal with more queries than keys: the first rows see no key and average the values, as
  // the composition that fills masked scores with the lowest float does.
  auto q = rand({1, 1, 5, 4}, 37), k = rand({1, 1, 3, 4}, 38), v = rand({1, 1, 3, 4}, 39);
  auto o = fast::scaled_dot_product_attention(q, k, v, 1.0f, "causal");
  auto mv = mean(v, 2, true);
  expect_close(slice(o, {0, 0, 0, 0}, {1, 1, 2, 4}), broadcast_to(mv, {1, 1, 2, 4}), 1e-6);
  expect_close(slice(o, {0, 0, 2, 0}, {1, 1, 5, 4}),
               sdpa_ref(slice(q, {0, 0, 2, 0}, {1, 1, 5, 4}), k, v, 1.0f, "causal"), 1e-5);
  // Transposed (B, L, H, D) views and a single query (decoding).
  auto qt = swapaxes(rand({2, 9, 4, 8}, 40), 1, 2), kt = swapaxes(rand({2, 11, 4, 8}, 41), 1, 2);
  expect_close(fast::scaled_dot_product_attention(qt, kt, kt, 0.5f), sdpa_ref(qt, kt, kt, 0.5f),
               1e-5);
  auto q1 = rand({1, 8, 1, 64}, 42), k1 = rand({1, 2, 300, 64}, 43), v1 = rand({1, 2, 300, 64}, 44);
  expect_close(fast::scaled_dot_product_attention(q1, k1, v1, 0.125f, "causal"),
               sdpa_ref(q1, k1, v1, 0.125f), 1e-5);
}

TEST(FastSDPA, ManyKeyBlocks) {
  // More keys than one block holds: the online softmax rescales across blocks.
  auto q = rand({1, 2, 70, 8}, 61), k = rand({1, 1, 2300, 8}, 62), v = rand({1, 1, 2300, 4}, 63);
  auto g = rand({1, 2, 70, 4}, 64);
  auto mask = rand({2, 70, 2300}, 65) > array(0.7f);
  auto sinks = array({0.5f, -2.0f});
  for (std::string mode : {"", "causal", "array"}) {
    std::optional<array> m;
    if (mode == "array") m = mask;
    auto f = [&](const std::vector<array>& x) {
      return std::vector<array>{
          fast::scaled_dot_product_attention(x[0], x[1], x[2], 2.0f, mode, m, sinks)};
    };
    auto r = [&](const std::vector<array>& x) {
      return std::vector<array>{sdpa_ref(x[0], x[1], x[2], 2.0f, mode, m, sinks)};
    };
    expect_close(f({q, k, v})[0], r({q, k, v})[0], 1e-5);
    auto fused = vjp(f, {q, k, v}, {g}).second, ref = vjp(r, {q, k, v}, {g}).second;
    for (int i = 0; i < 3; ++i) expect_close(fused[i], ref[i], 1e-4);
  }
}

TEST(FastSDPA, Errors) {
  auto q = zeros({1, 4, 3, 8}), k = zeros({1, 2, 5, 8}), v = zeros({1, 2, 5, 8});
  const std::string op = "[scaled_dot_product_attention] ";
  EXPECT_INVALID(fast::scaled_dot_product_attention(zeros({4, 3, 8}), k, v, 1.0f),
                 op + "input with shape (4,3,8) expected to be rank 4.");
  EXPECT_INVALID(fast::scaled_dot_product_attention(q, k, v, 1.0f, "full"),
                 op + "Invalid mask_mode full. mask_mode must be 'causal', 'array' or ''.");
  EXPECT_INVALID(fast::scaled_dot_product_attention(q, k, v, 1.0f, "causal", zeros({3, 5})),
                 op + "Invalid mask_arr for mask_mode 'causal'. No array mask should be passed.");
  EXPECT_INVALID(fast::scaled_dot_product_attention(q, k, v, 1.0f, "array"),
                 op + "mask_mode 'array' needs a mask_arr.");
  EXPECT_INVALID(fast::scaled_dot_product_attention(q, k, v, 1.0f, "array", zeros({1, 1, 1, 3, 5})),
                 op + "the mask with shape (1,1,1,3,5) expected to have at most rank 4.");
  EXPECT_INVALID(fast::scaled_dot_product_attention(q, zeros({2, 2, 5, 8}), v, 1.0f),
                 op + "mismatching batch dimension for input with shape (2,2,5,8).");
  EXPECT_INVALID(fast::scaled_dot_product_attention(q, zeros({1, 2, 5, 6}), v, 1.0f),
                 op + "query, keys expected to have matching last dimension; found query shape "
                      "(1,4,3,8) for keys shape (1,2,5,6).");
  EXPECT_INVALID(fast::scaled_dot_product_attention(q, k, zeros({1, 2, 6, 8}), 1.0f),
                 op + "keys, values expected to have the same sequence length; found keys shape "
                      "(1,2,5,8) for values shape (1,2,6,8).");
  EXPECT_INVALID(fast::scaled_dot_product_attention(q, k, zeros({1, 1, 5, 8}), 1.0f),
                 op + "keys, values expected to have matching n_kv_heads; found keys with "
                      "n_heads 2 for values with n_heads 1.");
  EXPECT_INVALID(
      fast::scaled_dot_product_attention(q, zeros({1, 3, 5, 8}), zeros({1, 3, 5, 8}), 1.0f),
      op + "n_heads must be a multiple of n_kv_heads, found n_heads 4 for n_kv_heads "
           "3.");
  EXPECT_INVALID(
      fast::scaled_dot_product_attention(astype(q, float16), astype(k, float16), astype(v, float16),
                                         1.0f, "array", zeros({3, 5})),
      op + "Mask type must promote to output type float16 but got float32.");
  EXPECT_INVALID(fast::scaled_dot_product_attention(q, k, v, 1.0f, "", {}, zeros({2})),
                 op + "Received invalid shape for sinks (2) (expected (4)).");
  EXPECT_INVALID(fast::scaled_dot_product_attention(astype(q, float16), astype(k, float16),
                                                    astype(v, float16), 1.0f, "", {}, zeros({4})),
                 op + "Type of sinks must promote to output type float16 but got float32.");
  EXPECT_INVALID(
      fast::scaled_dot_product_attention(zeros({1, 4, 3, 8}, int32), zeros({1, 2, 5, 8}, int32),
                                         zeros({1, 2, 5, 8}, int32), 1.0f),
      "[scaled_dot_product_attention] Received unsupported type int32.");
}

TEST(FastSDPA, Gradients) {
  std::vector<array> in{check::uniform({1, 4, 5, 3}, -1, 1, 1),
                        check::uniform({1, 2, 6, 3}, -1, 1, 2),
                        check::uniform({1, 2, 6, 2}, -1, 1, 3)};
  for (std::string mode : {"", "causal"}) {
    check::grads(
        [mode](const std::vector<array>& x) {
          return std::vector<array>{
              fast::scaled_dot_product_attention(x[0], x[1], x[2], 0.7f, mode)};
        },
        in);
  }
  auto bmask = check::uniform({5, 6}, -1, 1, 9) > array(-0.3);
  check::grads(
      [bmask](const std::vector<array>& x) {
        return std::vector<array>{fast::scaled_dot_product_attention(
            x[0], x[1], x[2], 0.7f, "array", bmask, array({0.5, -1.0, 0.0, 2.0}))};
      },
      in);
  // Gradients for the additive mask and the sinks go through the composition.
  auto with_mask = in;
  with_mask.push_back(check::uniform({1, 4, 5, 6}, -1, 1, 4));
  with_mask.push_back(check::uniform({4}, -1, 1, 5));
  check::grads(
      [](const std::vector<array>& x) {
        return std::vector<array>{
            fast::scaled_dot_product_attention(x[0], x[1], x[2], 0.7f, "array", x[3], x[4])};
      },
      with_mask);
  check::vmaps(
      [](const std::vector<array>& x) {
        return std::vector<array>{
            fast::scaled_dot_product_attention(x[0], x[1], x[2], 0.7f, "causal")};
      },
      in);
}

TEST(FastSDPA, FusedVjpMatchesComposition) {
  for (auto t : {float32, float16}) {
    auto q = rand({2, 4, 130, 16}, 51, t), k = rand({2, 2, 200, 16}, 52, t);
    auto v = rand({2, 2, 200, 8}, 53, t), g = rand({2, 4, 130, 8}, 54, t);
    auto sinks = astype(rand({4}, 55), t);
    for (std::string mode : {"", "causal"}) {
      auto fused = vjp(
                       [&](const std::vector<array>& x) {
                         return std::vector<array>{fast::scaled_dot_product_attention(
                             x[0], x[1], x[2], 0.3f, mode, {}, sinks)};
                       },
                       {q, k, v}, {g})
                       .second;
      auto ref = vjp(
                     [&](const std::vector<array>& x) {
                       return std::vector<array>{sdpa_ref(x[0], x[1], x[2], 0.3f, mode, {}, sinks)};
                     },
                     {q, k, v}, {g})
                     .second;
      for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(fused[i].dtype(), t);
        expect_close(fused[i], ref[i], t == float32 ? 1e-4 : 3e-2);
      }
    }
  }
}

// ---- custom kernels ----

TEST(FastCustomKernels, ClearErrors) {
  EXPECT_INVALID(fast::metal_kernel("k", {"a"}, {"out"}, "out[0] = a[0];"),
                 "[metal_kernel] Metal kernels are only available on Apple silicon.");
  EXPECT_INVALID(fast::cuda_kernel("k", {"a"}, {"out"}, "out[0] = a[0];"),
                 "[cuda_kernel] CUDA kernels need the CUDA backend and this build has no CUDA "
                 "backend.");
  EXPECT_INVALID(fast::precompiled_cuda_kernel("k", "", {}, {}, {}, {}, {1, 1, 1}, {1, 1, 1}),
                 "[precompiled_cuda_kernel] CUDA kernels need the CUDA backend and this build "
                 "has no CUDA backend.");
}
