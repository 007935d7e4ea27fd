// Convolution: conv1d/2d/3d and conv_transpose1d/2d/3d against PyTorch-generated literals
// (integer data, so exact in every float dtype), conv_general (input dilation, flips,
// asymmetric and negative padding, groups) against a naive loop in double, the GEMM paths
// (tiled, threaded, 1x1), dtypes and promotion, strided inputs, empty arrays, the exact errors,
// and vjp/jvp/vmap through the check harness.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "check.h"
#include "helpers.h"
#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

// Small integers: (i % m) - off, as the generator of the literals used them.
array ints(const Shape& shape, int m, int off, Dtype dtype = float32) {
  size_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(static_cast<int>(i % m) - off);
  return astype(array(v.data(), shape, float32), dtype);
}
array xs(const Shape& shape, Dtype dtype = float32) { return ints(shape, 7, 3, dtype); }
array ws(const Shape& shape, Dtype dtype = float32) { return ints(shape, 5, 2, dtype); }

void expect_values(const array& a, const Shape& shape, const std::vector<float>& expected,
                   Dtype dtype = float32) {
  EXPECT_EQ(a.shape(), shape);
  EXPECT_EQ(a.dtype(), dtype);
  if (a.shape() == shape) {
    EXPECT_EQ(values<float>(astype(a, float32)), expected);
  }
}

struct Params {
  std::vector<int> stride, lo, hi, kdil, idil;
  int groups = 1;
  bool flip = false;
};

// The definition, in double: per spatial dim the input dilated, then padded (negative padding
// crops the dilated input), the dilated (and maybe flipped) kernel stepping over it.
array naive(const array& x_in, const array& w_in, const Params& p) {
  auto x = check::values(x_in);
  auto w = check::values(w_in);
  int sp = static_cast<int>(x_in.ndim()) - 2;
  std::array<int, 3> in{1, 1, 1}, k{1, 1, 1}, out{1, 1, 1}, st{1, 1, 1}, lo{0, 0, 0}, kd{1, 1, 1},
      id{1, 1, 1};
  Shape out_shape = x_in.shape();
  for (int i = 0; i < sp; ++i) {
    int d = 3 - sp + i;
    in[d] = x_in.shape(i + 1);
    k[d] = w_in.shape(i + 1);
    st[d] = p.stride[i];
    lo[d] = p.lo[i];
    kd[d] = p.kdil[i];
    id[d] = p.idil[i];
    int span = (in[d] - 1) * id[d] + 1 + p.lo[i] + p.hi[i] - ((k[d] - 1) * kd[d] + 1);
    out[d] = span / st[d] + 1;
    out_shape[i + 1] = out[d];
  }
  int n_batch = x_in.shape(0), c_in = x_in.shape(-1), c_out = w_in.shape(0);
  int cg_in = c_in / p.groups, cg_out = c_out / p.groups;
  out_shape.back() = c_out;
  std::vector<double> y;
  for (int n = 0; n < n_batch; ++n)
    for (int o0 = 0; o0 < out[0]; ++o0)
      for (int o1 = 0; o1 < out[1]; ++o1)
        for (int o2 = 0; o2 < out[2]; ++o2)
          for (int c = 0; c < c_out; ++c) {
            double acc = 0;
            int g = c / cg_out;
            std::array<int, 3> o{o0, o1, o2};
            for (int k0 = 0; k0 < k[0]; ++k0)
              for (int k1 = 0; k1 < k[1]; ++k1)
                for (int k2 = 0; k2 < k[2]; ++k2) {
                  std::array<int, 3> kk{k0, k1, k2}, idx{};
                  bool valid = true;
                  for (int d = 0; d < 3; ++d) {
                    int tap = p.flip ? k[d] - 1 - kk[d] : kk[d];
                    int q = o[d] * st[d] - lo[d] + tap * kd[d];
                    valid = valid && q >= 0 && q % id[d] == 0 && q / id[d] < in[d];
                    idx[d] = q / std::max(id[d], 1);
                  }
                  if (!valid) continue;
                  for (int j = 0; j < cg_in; ++j) {
                    size_t xi =
                        ((((size_t)n * in[0] + idx[0]) * in[1] + idx[1]) * in[2] + idx[2]) * c_in +
                        g * cg_in + j;
                    size_t wi = ((((size_t)c * k[0] + k0) * k[1] + k1) * k[2] + k2) * cg_in + j;
                    acc += x[xi] * w[wi];
                  }
                }
            y.push_back(acc);
          }
  return array(y.data(), out_shape, float64);
}

array general(const array& x, const array& w, const Params& p) {
  return conv_general(x, w, p.stride, p.lo, p.hi, p.kdil, p.idil, p.groups, p.flip);
}

}  // namespace

TEST(Conv, Conv1dEveryDtype) {
  std::vector<float> expected{6,   -2, -5, 16, 3,  -5, -9, 1, 16, -6, -8, -5,
                              -11, -7, 2,  6,  -2, -5, 16, 3, -5, -9, 1,  16};
  for (auto dt : {float32, float16, bfloat16, float64}) {
    expect_values(conv1d(xs({2, 6, 2}, dt), ws({3, 3, 2}, dt)), {2, 4, 3}, expected, dt);
  }
}

TEST(Conv, Conv1dStridePaddingDilationGroups) {
  expect_values(conv1d(xs({1, 7, 4}), ws({4, 2, 2}), 2, 1, 2, 2), {1, 4, 4},
                {2, -1, -3, 12, -1, -4, 5, -5, -10, -5, -2, -4, -3, 12, -4, -1});
}

TEST(Conv, Conv2d) {
  expect_values(conv2d(xs({1, 4, 5, 3}), ws({2, 2, 3, 3}), {1, 2}, {1, 0}, {2, 1}), {1, 4, 2, 2},
                {14, -10, 1, -4, 0, 2, 3, -6, -3, -4, 0, 2, 18, -10, 6, -3});
  expect_values(
      conv2d(xs({2, 3, 3, 4}), ws({6, 2, 2, 2}), {1, 1}, {1, 1}, {1, 1}, 2), {2, 4, 4, 6},
      {3,   -2,  -2, 2,  -1, 1,   -3, -4,  10, -4,  -2, -5,  0,  0,   -5, -4, -1,  12, -2, -1,
       5,   2,   0,  -2, -4, 6,   -4, 9,   -9, 3,   9,  -10, 1,  -16, 20, -4, -10, 22, -6, 22,
       -10, -2,  17, -7, -1, -6,  3,  -3,  3,  -9,  9,  -4,  6,  -4,  -6, 9,  -6,  7,  -7, 9,
       -4,  -8,  8,  -4, -2, -10, -5, -1,  -7, -5,  -4, 17,  1,  -1,  2,  -2, -2,  3,  -3, 10,
       -7,  -1,  1,  -7, 10, -11, 8,  -5,  12, -1,  -4, 5,   -1, 12,  -3, -3, 2,   -2, -1, -1,
       2,   0,   -4, -3, 8,  10,  -7, 1,   -1, 1,   -7, -11, 8,  -3,  -2, 0,  2,   5,  -1, -2,
       -4,  17,  -7, 5,  -6, 3,   20, -16, 8,  -10, 9,  -7,  -6, 9,   -6, 7,  -7,  9,  0,  -3,
       9,   -3,  3,  -6, -4, -5,  -1, -1,  -5, -4,  -2, -4,  -6, -8,  -4, 20, -7,  7,  1,  9,
       -6,  -6,  6,  -4, -4, -9,  3,  0,   2,  -4,  5,  -3,  12, -3,  -5, 10, -5,  12, -5, -2,
       8,   -11, 10, 1,  -1, -3,  -7, 8,   -2, -2,  -2, 8});
}

TEST(Conv, Conv3d) {
  expect_values(conv3d(xs({1, 3, 4, 3, 2}), ws({2, 2, 2, 2, 2}), {1, 2, 1}, {0, 1, 1}),
                {1, 2, 3, 4, 2},
                {1,  -3, -2,  3,  -2,  20,  -4, -11, -5, 6,  -11, -24, 6,  2,   -3,  22,
                 10, 8,  -12, -5, -9,  -10, 10, 0,   12, -2, -9,  4,   -2, -14, -1,  10,
                 -7, -8, 32,  15, -21, -1,  -7, -16, -3, -7, 3,   -2,  20, 7,   -11, -3});
}

TEST(Conv, ConvTranspose) {
  // Padding beyond dilation * (kernel - 1): a negative padding of the dilated input.
  expect_values(conv_transpose1d(xs({1, 4, 1}), array({-2.0f}, {1, 1, 1}), 2, 1), {1, 5, 1},
                {0, 4, 0, 2, 0});
  expect_values(conv_transpose1d(xs({1, 5, 2}), ws({2, 1, 2}), 3, 2), {1, 9, 2},
                {0, 0, 2, 0, 0, 0, 0, 0, -4, 2, 0, 0, 0, 0, -3, -3, 0, 0});
  expect_values(
      conv_transpose1d(xs({1, 4, 2}), ws({3, 3, 2}), 2, 1, 1, 1), {1, 8, 3},
      {-2, -7, -2, 0, 9, 3, 0, -1, -2, -6, 1, 3, 2, 5, -2, -5, -7, -4, -3, -3, 12, 12, -3, -3});
  expect_values(conv_transpose1d(xs({1, 3, 4}), ws({4, 2, 2}), 3, 0, 2, 2, 2), {1, 11, 4},
                {8,  -2, -1, 0,  0, 0, 0, 0, -2, 3, 2,  -2, -4, -2, -3, -3, 0, 0, 0, 0, 2, -1,
                 -3, 12, 5,  -2, 2, 1, 0, 0, 0,  0, -1, 2,  -1, -2, 0,  0,  0, 0, 0, 0, 0, 0});
  expect_values(
      conv_transpose2d(xs({1, 2, 3, 2}), ws({2, 3, 2, 2}), {2, 1}, {1, 0}, {1, 1}, {1, 0}),
      {1, 4, 4, 2}, {-2, 3,  1,  -6, -1, -2, -1, 5, -10, 5,  9,  11, 5, -5, -3, 0,
                     12, -3, -5, -1, 0,  -4, 0,  2, -3,  -3, -7, 2,  7, -2, -1, 1});
  expect_values(
      conv_transpose3d(xs({1, 2, 2, 2, 1}), ws({2, 2, 2, 2, 1}), {2, 2, 2}, {0, 1, 0}, {1, 1, 2}),
      {1, 4, 2, 5, 2}, {0,  6,  0, 0, -3, 7,  0, 0, -2, 2,  2,  -1, 0, 0, 1,   -2, 0, 0, 0, 0,
                        3,  -6, 0, 0, 2,  2,  0, 0, 0,  4,  -2, 0,  0, 0, 2,   -1, 0, 0, 0, 0,
                        0,  -2, 0, 0, 1,  -5, 0, 0, 2,  -2, -6, 3,  0, 0, 3,   3,  0, 0, 3, -6,
                        -1, 2,  0, 0, -2, 2,  0, 0, 0,  -4, 6,  0,  0, 0, -12, 3,  0, 0, 6, -3});
}

// Every combination of features against the definition: strides, input and kernel dilation,
// asymmetric and negative padding (cropping the dilated input), flips, groups, 1 to 3 dims.
TEST(Conv, GeneralMatchesDefinition) {
  struct Case {
    Shape x, w;
    Params p;
  };
  std::vector<Case> cases{
      {{2, 9, 4}, {6, 3, 2}, {{2}, {1}, {2}, {2}, {1}, 2, false}},
      {{1, 5, 3}, {2, 2, 3}, {{1}, {2}, {0}, {1}, {3}, 1, true}},
      {{2, 6, 2}, {3, 3, 2}, {{3}, {-1}, {-2}, {1}, {2}, 1, false}},
      {{1, 7, 3}, {3, 4, 1}, {{2}, {3}, {1}, {2}, {2}, 3, true}},
      {{2, 5, 6, 4}, {4, 3, 2, 2}, {{2, 1}, {1, 0}, {2, 1}, {1, 2}, {2, 1}, 2, true}},
      {{1, 6, 5, 3}, {2, 2, 3, 3}, {{1, 2}, {-1, 2}, {0, -1}, {2, 1}, {1, 3}, 1, false}},
      {{2, 4, 3, 5, 2},
       {4, 2, 2, 3, 1},
       {{1, 2, 1}, {1, 0, 2}, {0, 1, 1}, {1, 1, 2}, {2, 1, 1}, 2, true}},
      {{1, 3, 6, 4, 3},
       {2, 1, 3, 2, 3},
       {{2, 1, 3}, {0, -1, 1}, {2, 1, 0}, {1, 2, 1}, {1, 1, 2}, 1, false}},
  };
  for (auto& c : cases) {
    auto x = check::uniform(c.x, -1, 1, 3);
    auto w = check::uniform(c.w, -1, 1, 4);
    check::expect_same(general(x, w, c.p), naive(x, w, c.p));
    auto y32 = general(astype(x, float32), astype(w, float32), c.p);
    EXPECT_EQ(y32.dtype(), float32);
    check::expect_same(astype(y32, float64), naive(x, w, c.p), 1e-5);
  }
}

// Sizes that take several tiles per image, the pool, the grouped loop and the 1x1 GEMM.
TEST(Conv, LargerAgainstDefinition) {
  auto x = check::uniform({3, 23, 29, 24}, -1, 1, 5);
  auto w = check::uniform({20, 3, 2, 24}, -1, 1, 6);
  Params p{{1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}};
  check::expect_same(astype(general(astype(x, float32), astype(w, float32), p), float64),
                     naive(x, w, p), 1e-5);
  // 3x3 with fewer than 8 input channels: im2col, not Winograd.
  auto x6 = check::uniform({2, 13, 11, 6}, -1, 1, 35);
  auto w6 = check::uniform({10, 3, 3, 6}, -1, 1, 36);
  check::expect_same(astype(general(astype(x6, float32), astype(w6, float32), p), float64),
                     naive(x6, w6, p), 1e-5);
  auto wg = check::uniform({16, 3, 3, 6}, -1, 1, 7);
  Params pg{{2, 1}, {1, 0}, {0, 2}, {1, 2}, {1, 1}, 4};
  check::expect_same(general(x, wg, pg), naive(x, wg, pg));
  auto w1 = check::uniform({12, 1, 1, 8}, -1, 1, 8);
  Params p1{{1, 1}, {0, 0}, {0, 0}, {1, 1}, {1, 1}, 3};
  check::expect_same(general(x, w1, p1), naive(x, w1, p1));
  Params p1s{{2, 3}, {0, 0}, {0, 0}, {1, 1}, {1, 1}, 3};
  check::expect_same(general(x, w1, p1s), naive(x, w1, p1s));
  auto big = check::uniform({2, 40, 40, 32}, -1, 1, 9);
  auto wb = check::uniform({32, 1, 1, 32}, -1, 1, 10);
  Params plain{{1, 1}, {0, 0}, {0, 0}, {1, 1}, {1, 1}};
  check::expect_same(conv2d(big, wb), naive(big, wb, plain));
  // A 1x1 convolution with few output positions but much work (49 x 600 x 600): one GEMM on
  // OpenBLAS's threads rather than row blocks on the pool.
  auto few = check::uniform({1, 7, 7, 600}, -1, 1, 11);
  auto wf = check::uniform({600, 1, 1, 600}, -1, 1, 12);
  check::expect_same(conv2d(few, wf), naive(few, wf, plain));
  // Depthwise, with two outputs per channel: summed directly, not by GEMMs.
  auto wd = check::uniform({48, 3, 2, 1}, -1, 1, 19);
  Params pd{{1, 2}, {2, 0}, {1, 1}, {2, 1}, {1, 1}, 24, true};
  check::expect_same(general(x, wd, pd), naive(x, wd, pd));
  // Patch rows too long for a tile are split into chunks of kernel positions.
  auto xl = check::uniform({2, 24, 24, 8}, -1, 1, 17);
  auto wl = check::uniform({3, 20, 20, 8}, -1, 1, 18);
  check::expect_same(conv2d(xl, wl), naive(xl, wl, plain));
  check::expect_same(astype(conv2d(astype(xl, float32), astype(wl, float32)), float64),
                     naive(xl, wl, plain), 1e-4);
}

// 3x3 kernels with unit stride and 8 or more channels each way take Winograd's F(4x4, 3x3)
// path: channel counts off the vector width, output sizes off the 4x4 tiles, several blocks of
// tiles across images, asymmetric and wide padding (tiles wholly in padding), flipped kernels,
// and the half types computed through it. Its transforms scale values by up to 100 and back,
// so its float32 rounding is about 10x a direct sum's.
TEST(Conv, WinogradAgainstDefinition) {
  // Within 5e-5 of the expected values' RMS (measured: up to 2.4e-5 at 64 channels; im2col's
  // float32 sums 2.3e-6; a wrong tap or transform entry would be off by the RMS itself).
  auto near_in_rms = [](const array& y, const array& want) {
    auto rms = sqrt(mean(square(want)));
    check::expect_same(astype(y, float64) / rms, want / rms, 5e-5);
  };
  struct Case {
    Shape x, w;
    Params p;
  };
  std::vector<Case> cases{
      {{2, 23, 29, 20}, {17, 3, 3, 20}, {{1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}}},
      {{3, 9, 6, 16}, {32, 3, 3, 16}, {{1, 1}, {0, 0}, {0, 0}, {1, 1}, {1, 1}}},
      {{1, 8, 8, 8}, {9, 3, 3, 8}, {{1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}}},
      {{1, 5, 7, 33}, {64, 3, 3, 33}, {{1, 1}, {2, 0}, {5, 3}, {1, 1}, {1, 1}, 1, true}},
      {{2, 14, 13, 64}, {70, 3, 3, 64}, {{1, 1}, {1, 2}, {-1, 1}, {1, 1}, {1, 1}, 1, true}},
  };
  for (auto& c : cases) {
    auto x = check::uniform(c.x, -1, 1, 31);
    auto w = check::uniform(c.w, -1, 1, 32);
    auto y = general(astype(x, float32), astype(w, float32), c.p);
    EXPECT_EQ(y.dtype(), float32);
    near_in_rms(y, naive(x, w, c.p));
  }
  auto x = check::uniform({2, 10, 11, 24}, -1, 1, 33);
  auto w = check::uniform({24, 3, 3, 24}, -1, 1, 34);
  for (auto dtype : {float16, bfloat16}) {
    auto y = conv2d(astype(x, dtype), astype(w, dtype), {1, 1}, {1, 1});
    EXPECT_EQ(y.dtype(), dtype);
    auto want = astype(conv2d(astype(astype(x, dtype), float32), astype(astype(w, dtype), float32),
                              {1, 1}, {1, 1}),
                       dtype);
    EXPECT_TRUE(array_equal(y, want).item<bool>()) << dtype;
  }
  // Infinities, NaN and huge finite values spread as in a direct sum (Winograd's transforms
  // would spread them over whole tiles or overflow): only the outputs that read them change.
  {
    auto xs = astype(x, float32);
    auto vals = values<float>(xs);
    vals[5 * 24 + 3] = INFINITY;        // image 0, row 0, column 5, channel 3
    vals[(4 * 11 + 7) * 24 + 1] = NAN;  // image 0, row 4, column 7
    vals[(110 + 60) * 24] = 3e37f;      // image 1, row 5, column 5
    auto special = array(vals.data(), x.shape(), float32);
    auto y = values<float>(conv2d(special, astype(w, float32), {1, 1}, {1, 1}));
    auto want = values<double>(
        naive(astype(special, float64), w, Params{{1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}}));
    ASSERT_EQ(y.size(), want.size());
    int nonfinite = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      EXPECT_EQ(std::isnan(y[i]), std::isnan(want[i])) << i;
      if (std::isinf(want[i]) || std::isinf(y[i])) {
        EXPECT_EQ(y[i], want[i]) << i;
      } else if (!std::isnan(want[i])) {
        EXPECT_NEAR(y[i], want[i], 1e-5 * std::max(1.0, std::abs(want[i]))) << i;
      }
      nonfinite += !std::isfinite(y[i]);
    }
    // Around the infinity the 2x3 outputs inside the image, around the NaN 3x3, every channel;
    // the huge value (which would overflow Winograd's transforms) leaves every sum finite.
    EXPECT_EQ(nonfinite, 6 * 24 + 9 * 24);
  }
  // The input's gradient is a flipped 3x3 convolution, so Winograd's too in float32.
  using V = std::vector<array>;
  auto loss = [](const V& a) { return V{sum(square(conv2d(a[0], a[1], {1, 1}, {1, 1})))}; };
  auto g64 = vjp(loss, {x, w}, {array(1.0, float64)}).second;
  auto g32 = vjp(loss, {astype(x, float32), astype(w, float32)}, {array(1.0f)}).second;
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(g32[i].dtype(), float32);
    near_in_rms(g32[i], g64[i]);
  }
}

TEST(Conv, PromotionAndDtypes) {
  auto x = xs({1, 4, 2});
  auto w = ws({1, 2, 2});
  EXPECT_EQ(conv1d(astype(x, float16), w).dtype(), float32);
  EXPECT_EQ(conv1d(astype(x, bfloat16), astype(w, float16)).dtype(), float32);
  EXPECT_EQ(conv1d(x, astype(w, int32)).dtype(), float32);
  EXPECT_EQ(conv1d(astype(x, float64), w).dtype(), float64);
  expect_values(conv1d(astype(x, float16), astype(w, bfloat16)), {1, 3, 1}, {8, 4, -7});
  // float16 accumulates in float32: 2048 + 1 + 1 - 2048 stays exact only then.
  auto big = array({2048.0f, 1.0f, 1.0f, -2048.0f}, {1, 4, 1});
  expect_values(conv1d(astype(big, float16), astype(ones({1, 4, 1}), float16)), {1, 1, 1}, {2},
                float16);
}

TEST(Conv, StridedAndBroadcastInputs) {
  auto x = check::uniform({4, 2, 5}, -1, 1, 12);
  auto w = check::uniform({3, 2, 4}, -1, 1, 13);
  auto xt = transpose(x, {1, 2, 0});  // (2, 5, 4), not contiguous
  auto wt = broadcast_to(check::uniform({1, 1, 4}, -1, 1, 14), {3, 2, 4});
  Params p{{1}, {1}, {0}, {1}, {1}};
  check::expect_same(general(xt, w, p), naive(contiguous(xt), w, p));
  check::expect_same(general(xt, wt, p), naive(contiguous(xt), contiguous(wt), p));
}

// A call that names fewer than every vector is ambiguous between the two overloads (as in MLX),
// so these name their types.
TEST(Conv, GeneralOverloadsAndDefaults) {
  using Ints = std::vector<int>;
  auto x = check::uniform({1, 6, 5, 2}, -1, 1, 15);
  auto w = check::uniform({3, 2, 2, 2}, -1, 1, 16);
  // One value applies to every spatial dim; none gives the default.
  check::expect_same(conv_general(x, w, Ints{2}, Ints{1}, Ints{1}, Ints{2}, Ints{1}),
                     naive(x, w, {{2, 2}, {1, 1}, {1, 1}, {2, 2}, {1, 1}}));
  check::expect_same(conv_general(x, w, Ints{}, Ints{}, Ints{}, Ints{}, Ints{}), conv2d(x, w));
  // The symmetric-padding overload.
  check::expect_same(conv_general(x, w, Ints{1, 2}, Ints{1, 0}, Ints{2, 1}, Ints{1, 1}, 1, true),
                     naive(x, w, {{1, 2}, {1, 0}, {1, 0}, {2, 1}, {1, 1}, 1, true}));
}

TEST(Conv, EmptyArrays) {
  auto y = conv2d(zeros({0, 4, 4, 2}), zeros({3, 2, 2, 2}));
  EXPECT_EQ(y.shape(), Shape({0, 3, 3, 3}));
  eval(y);
  auto z = conv1d(ones({2, 4, 0}), ones({3, 2, 0}));
  expect_values(z, {2, 3, 3}, std::vector<float>(18, 0.0f));
  auto e = conv1d(ones({1, 0, 2}), ones({1, 1, 2}), 1, 1);
  expect_values(e, {1, 2, 1}, {0, 0});
}

TEST(Conv, Errors) {
  auto x = zeros({1, 5, 4});
  auto w = zeros({2, 3, 4});
  EXPECT_INVALID(conv1d(zeros({5, 4}), w),
                 "[conv1d] Expected an input of rank 3 (N, W, C_in), but got an input with shape "
                 "(5,4).");
  EXPECT_INVALID(conv2d(x, w),
                 "[conv2d] Expected an input of rank 4 (N, H, W, C_in), but got an input with "
                 "shape (1,5,4).");
  EXPECT_INVALID(general(zeros({1, 4}), w, {{}, {}, {}, {}, {}}),
                 "[conv_general] Expected an input with 1 to 3 spatial dimensions (N, spatial..., "
                 "C_in), but got an input with shape (1,4).");
  EXPECT_INVALID(conv1d(x, zeros({2, 4})),
                 "[conv1d] Expected a weight of rank 3 (C_out, kernel..., C_in / groups) for an "
                 "input with shape (1,5,4), but got a weight with shape (2,4).");
  EXPECT_INVALID(conv1d(astype(x, int32), astype(w, int32)),
                 "[conv1d] Only real floating point types are supported, but got an input of type "
                 "int32 and a weight of type int32.");
  EXPECT_INVALID(conv1d(astype(x, complex64), w),
                 "[conv1d] Only real floating point types are supported, but got an input of type "
                 "complex64 and a weight of type float32.");
  EXPECT_INVALID(conv1d(x, w, 1, 0, 1, 0),
                 "[conv1d] The number of groups must be positive, but got 0.");
  EXPECT_INVALID(conv1d(x, zeros({3, 3, 2}), 1, 0, 1, 2),
                 "[conv1d] The input and output channels must be divisible by the number of "
                 "groups, but got an input with shape (1,5,4), a weight with shape (3,3,2) and 2 "
                 "groups.");
  EXPECT_INVALID(conv1d(x, zeros({2, 3, 3})),
                 "[conv1d] Expected the weight's last dimension to be C_in / groups = 4, but got "
                 "an input with shape (1,5,4), a weight with shape (2,3,3) and 1 groups.");
  EXPECT_INVALID(conv1d(x, w, 0), "[conv1d] The stride must be positive, but got (0).");
  EXPECT_INVALID(conv2d(zeros({1, 5, 5, 4}), zeros({2, 3, 3, 4}), {1, 1}, {0, 0}, {1, -1}),
                 "[conv2d] The kernel dilation must be positive, but got (1,-1).");
  EXPECT_INVALID(general(x, w, {{1}, {0}, {0}, {1}, {0}}),
                 "[conv_general] The input dilation must be positive, but got (0).");
  EXPECT_INVALID(general(x, w, {{1, 1}, {}, {}, {}, {}}),
                 "[conv_general] Invalid stride (1,1) for a 1D convolution: expected 1 or 1 "
                 "values.");
  EXPECT_INVALID(conv1d(x, zeros({2, 0, 4})),
                 "[conv1d] The kernel's spatial dimensions must be positive, but got a weight "
                 "with shape (2,0,4).");
  EXPECT_INVALID(conv1d(x, zeros({2, 4, 4}), 1, 0, 2),
                 "[conv1d] The padded input is smaller than the dilated kernel along spatial axis "
                 "0: input shape (1,5,4), weight shape (2,4,4), padding (0) and (0), kernel "
                 "dilation (2), input dilation (1).");
  EXPECT_INVALID(conv_transpose1d(x, w, 2, 0, 1, 2),
                 "[conv_transpose1d] The output padding must be non-negative and smaller than "
                 "either the stride or the dilation, but got output padding (2), stride (2) and "
                 "dilation (1).");
  EXPECT_INVALID(conv_transpose2d(zeros({1, 3, 3, 4}), zeros({2, 2, 2, 4}), {1, 0}),
                 "[conv_transpose2d] The stride must be positive, but got (1,0).");
  EXPECT_INVALID(conv_transpose3d(x, w),
                 "[conv_transpose3d] Expected an input of rank 5 (N, D, H, W, C_in), but got an "
                 "input with shape (1,5,4).");
}

// vjp and jvp against central differences, over strides, paddings (asymmetric and negative),
// both dilations, groups, flips and 1 to 3 dims; both arguments at once.
TEST(Conv, Gradients) {
  using V = std::vector<array>;
  struct Case {
    Shape x, w;
    Params p;
  };
  std::vector<Case> cases{
      {{2, 7, 3}, {2, 3, 3}, {{1}, {0}, {0}, {1}, {1}}},
      {{2, 9, 4}, {6, 3, 2}, {{2}, {1}, {2}, {2}, {1}, 2, false}},
      {{1, 5, 3}, {2, 2, 3}, {{2}, {2}, {0}, {1}, {3}, 1, true}},
      {{2, 8, 2}, {3, 3, 2}, {{3}, {-1}, {-2}, {1}, {2}, 1, false}},
      {{2, 5, 6, 4}, {4, 3, 2, 2}, {{2, 1}, {1, 0}, {2, 1}, {1, 2}, {2, 1}, 2, true}},
      {{1, 6, 5, 2}, {2, 2, 3, 2}, {{1, 3}, {-1, 2}, {0, -1}, {2, 1}, {1, 2}, 1, false}},
      {{1, 4, 3, 5, 2},
       {4, 2, 2, 3, 1},
       {{1, 2, 1}, {1, 0, 2}, {0, 1, 1}, {1, 1, 2}, {2, 1, 1}, 2, true}},
  };
  for (auto& c : cases) {
    auto p = c.p;
    check::Fn f = [p](const V& in) { return V{general(in[0], in[1], p)}; };
    check::grads(f, {check::uniform(c.x, -1, 1, 21), check::uniform(c.w, -1, 1, 22)});
  }
  // The weight gradient's convolution has the cotangent as a large kernel.
  check::Fn f = [](const V& in) { return V{conv2d(in[0], in[1], {2, 1}, {1, 0})}; };
  check::grads(
      f, {check::uniform({4, 40, 40, 4}, -1, 1, 27), check::uniform({2, 3, 3, 4}, -1, 1, 28)});
  check::Fn t = [](const V& in) {
    return V{conv_transpose2d(in[0], in[1], {2, 1}, {1, 0}, {1, 2}, {1, 0}, 2)};
  };
  check::grads(t,
               {check::uniform({2, 3, 4, 4}, -1, 1, 23), check::uniform({4, 2, 2, 2}, -1, 1, 24)});
  // Grad of grad: the rules are convolutions themselves.
  check::Fn gg = [](const V& in) {
    auto loss = [](const V& a) { return V{sum(square(conv1d(a[0], a[1], 2, 1)))}; };
    return vjp(loss, in, {array(1.0, float64)}).second;
  };
  check::grads(gg, {check::uniform({1, 6, 2}, -1, 1, 25), check::uniform({2, 3, 2}, -1, 1, 26)});
}

// The input batched, the weight batched, both, and vmap of vmap.
TEST(Conv, Vmap) {
  using V = std::vector<array>;
  check::Fn f1 = [](const V& in) { return V{conv1d(in[0], in[1], 2, 1, 1, 2)}; };
  check::vmaps(f1, {check::uniform({2, 7, 4}, -1, 1, 31), check::uniform({4, 3, 2}, -1, 1, 32)});
  check::Fn f2 = [](const V& in) {
    return V{general(in[0], in[1], {{1, 2}, {1, 0}, {0, 1}, {2, 1}, {1, 2}, 1, true})};
  };
  check::vmaps(f2,
               {check::uniform({2, 5, 4, 3}, -1, 1, 33), check::uniform({2, 2, 2, 3}, -1, 1, 34)});
  // Only the weight batched.
  auto x = check::uniform({2, 6, 4}, -1, 1, 35);
  auto wb = check::uniform({3, 4, 2, 2}, -1, 1, 36);
  check::vmap_matches_loop(f1, {x, wb}, {-1, 0});
  check::vmap_matches_loop(f1, {x, moveaxis(wb, 0, 2)}, {-1, 2});
}
