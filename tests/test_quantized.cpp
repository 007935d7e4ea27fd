// Quantization: the vectors recorded from MLX 0.32 (../shared/QUANT.md) bit for bit for every
// affine width and the fp modes; round trips in every dtype; quantized_matmul (both transposes,
// the decode path and the GEMM path, batches, 1-D x) against matmul with the dequantized
// matrix; gather_qmm against a loop, with out-of-range indices raising at eval; qqmm and
// gather_qqmm against their definitions; to_fp8/from_fp8; derivatives and vmap of
// quantized_matmul; the exact errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "check.h"
#include "helpers.h"
#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

using V = std::vector<array>;

// The input of QUANT.md: w[i] = sin(0.37 i) (1 + 0.01 i) in float32 arithmetic, shape (2, 64),
// as bits (libm's sin may differ from the one that recorded the vectors in the last place).
array reference_w() {
  static const uint32_t bits[128] = {
      0x00000000, 0x3ebaffa3, 0x3f3011ef, 0x3f6c2d85, 0x3f849258, 0x3f813205, 0x3f5827ef,
      0x3f0f8bd4, 0x3e47b999, 0xbe510cfd, 0xbf1533ae, 0xbf63847b, 0xbf8a130f, 0xbf8ff395,
      0xbf824150, 0xbf450630, 0xbed2fdfd, 0x3c02a18a, 0x3ede4e93, 0x3f4ef184, 0x3f8a0aa4,
      0x3f9a558b, 0x3f95d0e3, 0x3f7984f9, 0x3f24819f, 0x3e5e941a, 0xbe7a4947, 0xbf2e22a2,
      0xbf83d8e0, 0xbf9f54cb, 0xbfa57e59, 0xbf95291d, 0xbf606ee2, 0xbeed91eb, 0x3c959bad,
      0x3f015aa3, 0x3f6e3e06, 0x3f9e1e2f, 0x3fb01d45, 0x3faa588e, 0x3f8d4137, 0x3f38f398,
      0x3e7315d8, 0xbe92eb37, 0xbf478fd7, 0xbf961afa, 0xbfb4a890, 0xbfbaff3d, 0xbfa7ec75,
      0xbf7b6354, 0xbf038336, 0x3cfce267, 0x3f141941, 0x3f86fb43, 0x3fb250a5, 0x3fc5e8c3,
      0x3fbec844, 0x3f9d8f8c, 0x3f4ce0e5, 0x3e829eee, 0xbea9d9c1, 0xbf617a31, 0xbfa88800,
      0xbfca0d97, 0xbfd07578, 0xbfba8aa2, 0xbf8af15c, 0xbf0fad24, 0x3d3b8d0c, 0x3f2762a0,
      0x3f970cd8, 0x3fc6a165, 0x3fdbb73c, 0x3fd31f54, 0x3fadacd9, 0x3f604900, 0x3e8a856a,
      0xbec1eefa, 0xbf7be123, 0xbfbb1f32, 0xbfdf832b, 0xbfe5e046, 0xbfcd030b, 0xbf97f5e2,
      0xbf1b468c, 0x3d811350, 0x3f3b35d3, 0x3fa75347, 0x3fdb0fac, 0x3ff187ea, 0x3fe75cfb,
      0x3fbd988b, 0x3f732acd, 0x3e913e9c, 0xbedb2a81, 0xbf8b61d3, 0xbfcde00c, 0xbff5087e,
      0xbffb3ee5, 0xbfdf54e9, 0xbfa4beea, 0xbf264ec5, 0x3da91ccc, 0x3f4f92a4, 0x3fb7ce17,
      0x3fef9ac7, 0x4003ad04, 0x3ffb8072, 0x3fcd5235, 0x3f82c2de, 0x3e96c936, 0xbef58c1a,
      0xbf991069, 0xbfe0c9d7, 0xc0054e6c, 0xc008484c, 0xbff17f97, 0xbfb14bc7, 0xbf30c513,
      0x3dd5ddcd, 0x3f647834, 0x3fc87ca7, 0x400220f1, 0x400e9667, 0x4007c484, 0x3fdcd8f2,
      0x3f8bacc8, 0x3e9b2549};
  std::vector<float> v(128);
  std::memcpy(v.data(), bits, sizeof(bits));
  return array(v.begin(), {2, 64}, float32);
}

// Values in [-1, 1) from a fixed seed, in float32 (then dtype).
array uniform(const Shape& shape, unsigned seed, Dtype dtype = float32) {
  return check::uniform(shape, -1.0, 1.0, seed, dtype);
}

// max |a - b| <= tol * max(1, max |b|), in float64.
void expect_close(const array& a, const array& b, double tol) {
  ASSERT_EQ(a.shape(), b.shape());
  auto x = check::values(a);
  auto y = check::values(b);
  double scale = 1.0;
  for (double v : y) scale = std::max(scale, std::abs(v));
  double worst = 0.0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]));
  EXPECT_LE(worst, tol * scale);
}

// x @ dequantize(w).T (or without .T) the long way, in float32.
array reference_qmm(const array& x, const array& w, const array& scales,
                    const std::optional<array>& biases, bool transpose, int group_size, int bits,
                    const std::string& mode = "affine") {
  auto wd = dequantize(w, scales, biases, group_size, bits, mode, std::nullopt, float32);
  if (transpose) wd = swapaxes(wd, -1, -2);
  return matmul(astype(x, float32), wd);
}

}  // namespace

// ---- the recorded vectors ----

TEST(Quantized, AffineVectorsFromMlx) {
  auto w = reference_w();
  struct Row {
    int bits;
    std::vector<uint32_t> wq;
    std::vector<float> scales;
  };
  std::vector<Row> rows = {
      {2,
       {1079705598, 7077881, 95420389, 113246100, 4199552767, 3909114879, 2768334847, 2416295935},
       {0.64645916f, 0.78926986f, -0.94348013f, -1.1139649f}},
      {3,
       {2648702892, 4284695698, 1371903, 2013260570, 3637575847, 87801855, 1210436543, 1610611380,
        3584163882, 158527487, 2147396880, 1753221783},
       {0.32322958f, 0.39463493f, -0.47174007f, -0.55698246f}},
      {4,
       {3186551976, 839988345, 4026522501, 268584604, 4293769316, 287603150, 4292576561, 21404911,
        324578799, 3970384401, 629923839, 3665043457, 1487794174, 2806124819, 2329935852,
        1948254501},
       {0.16161479f, 0.19731747f, -0.23587003f, -0.27849123f}},
      {5,
       {3118327472, 849719998,  1443573956, 2028453853, 268579894,  3147481447, 2261449711,
        750979208,  2684335976, 13556195,   2500519838, 3834659097, 2080368166, 19570525,
        3441197444, 3953064924, 1090807379, 4290354066, 2860348911, 1913131012},
       {0.080807395f, 0.098658733f, -0.11793502f, -0.13924561f}},
      {6,
       {4226235041, 656850814,  879822121,  4258973782, 3119639551, 201344833,
        1940522446, 1542909902, 137498730,  1820680965, 243204045,  5478807,
        1605054076, 2432899269, 3877215044, 3939745726, 268642631,  3396784156,
        1927794423, 558584314,  2646886672, 1006628465, 848527021,  1895940608},
       {0.039179344f, 0.049329367f, -0.058967508f, -0.069622807f}},
      {8,
       {3804932484, 3185241070, 692613016,  891031830,  3618669914, 3908829170, 1064016582,
        218105115,  2860669753, 4008830669, 1788132571, 168698177,  2220306710, 4294170544,
        2529355515, 1390950,    2865686772, 389109376,  1176834060, 3905396080, 3589472252,
        676364205,  470155276,  3483463489, 3908432608, 1400744141, 252319022,  2658223652,
        4277987528, 2091570160, 730958,     1883380998},
       {0.0097948359f, 0.012236742f, -0.014404277f, -0.017137922f}},
  };
  const std::vector<float> biases = {-1.2929183f, -1.5785397f, 1.8869603f, 2.2279298f};
  for (auto& r : rows) {
    SCOPED_TRACE("bits " + std::to_string(r.bits));
    auto q = quantize(w, 32, r.bits);
    ASSERT_EQ(q.size(), 3u);
    expect_array(q[0], {2, static_cast<int>(r.wq.size()) / 2}, uint32, r.wq);
    expect_array(q[1], {2, 2}, float32, r.scales);
    expect_array(q[2], {2, 2}, float32, biases);
  }
}

TEST(Quantized, AffineDequantizedVectorFromMlx) {
  auto q = quantize(reference_w());  // group 64, 4 bits
  auto d = dequantize(q[0], q[1], q[2]);
  EXPECT_EQ(d.dtype(), float32);
  expect_array(slice(d, {0, 0}, {1, 8}), {1, 8}, float32,
               std::vector<float>{0.0f, 0.39463496f, 0.59195244f, 0.98658741f, 0.98658741f,
                                  0.98658741f, 0.7892698f, 0.59195244f});
}

TEST(Quantized, FpVectorsFromMlx) {
  auto w = reference_w();
  auto mx4 = quantize(w, std::nullopt, std::nullopt, "mxfp4");
  ASSERT_EQ(mx4.size(), 2u);
  expect_array(
      mx4[0], {2, 8}, uint32,
      std::vector<uint32_t>{1164338480, 3740200098, 1717981963, 4025408037, 2003189966, 4293763670,
                            2003045615, 4293600615, 1985007359, 4273104759, 1964830719, 3945166711,
                            817749741, 2705679973, 199159532, 341206612});
  expect_array(mx4[1], {2, 2}, uint8, std::vector<uint8_t>{125, 125, 125, 126});
  auto d4 = dequantize(mx4[0], mx4[1], std::nullopt, std::nullopt, std::nullopt, "mxfp4");
  EXPECT_EQ(d4.dtype(), bfloat16);
  expect_array(astype(slice(d4, {0, 0}, {1, 8}), float32), {1, 8}, float32,
               std::vector<float>{0, 0.375f, 0.75f, 1, 1, 1, 0.75f, 0.5f});

  auto mx8 = quantize(w, std::nullopt, std::nullopt, "mxfp8");
  expect_array(
      mx8[0], {2, 16}, uint32,
      std::vector<uint32_t>{2004052992, 1903589496, 4143048036, 4109957625, 1970159853, 2021227129,
                            4092094066, 4193975032, 1883893750, 2071689847, 3915871353, 4244371956,
                            1357969658, 2088466545, 1752529532, 4261148395, 4059692285, 2088333908,
                            1987804542, 4244171881, 4194172670, 2054445298, 2088664702, 4193151351,
                            4278124285, 1968960250, 2122219131, 4016666749, 4278124282, 1576270846,
                            2122218870, 1786347134});
  expect_array(mx8[1], {2, 2}, uint8, std::vector<uint8_t>{119, 119, 119, 119});
  auto d8 = dequantize(mx8[0], mx8[1], std::nullopt, std::nullopt, std::nullopt, "mxfp8");
  expect_array(astype(slice(d8, {0, 0}, {1, 8}), float32), {1, 8}, float32,
               std::vector<float>{0, 0.375f, 0.6875f, 0.9375f, 1, 1, 0.875f, 0.5625f});

  auto nv = quantize(w, std::nullopt, std::nullopt, "nvfp4");
  expect_array(
      nv[0], {2, 8}, uint32,
      std::vector<uint32_t>{1450665536, 4026527138, 1735812108, 4294892069, 2003189966, 4293763670,
                            2003045615, 4293600615, 1983958783, 4256323191, 1678569471, 3676661623,
                            1087307774, 2992011126, 485490669, 627537764});
  expect_array(nv[1], {2, 4}, uint8, std::vector<uint8_t>{36, 38, 40, 40, 41, 42, 43, 44});
  auto dn = dequantize(nv[0], nv[1], std::nullopt, std::nullopt, std::nullopt, "nvfp4");
  expect_array(astype(slice(dn, {0, 0}, {1, 8}), float32), {1, 8}, float32,
               std::vector<float>{0, 0.375f, 0.75f, 0.75f, 1.125f, 1.125f, 0.75f, 0.5625f});
}

TEST(Quantized, Fp8VectorsFromMlx) {
  auto x = array({0.0f, 0.1f, -0.5f, 1.0f, 3.14159f, -448.0f, 500.0f, 1e-3f});
  auto e = to_fp8(x);
  expect_array(e, {8}, uint8, std::vector<uint8_t>{0, 29, 176, 56, 69, 254, 126, 1});
  expect_array(from_fp8(e, float32), {8}, float32,
               std::vector<float>{0, 0.1015625f, -0.5f, 1, 3.25f, -448, 448, 0.001953125f});
  // E4M3fn: NaN is 0x7F (sign kept), infinities saturate; the other float dtypes agree.
  const float inf = std::numeric_limits<float>::infinity();
  auto special = to_fp8(array({std::nanf(""), inf, -inf, -0.0f, 464.0f, 463.9f}));
  expect_array(special, {6}, uint8, std::vector<uint8_t>{0x7F, 0x7E, 0xFE, 0x80, 0x7E, 0x7E});
  EXPECT_TRUE(std::isnan(values<float>(from_fp8(array({uint8_t(0xFF)}), float32))[0]));
  expect_array(to_fp8(astype(x, bfloat16)), {8}, uint8,
               std::vector<uint8_t>{0, 29, 176, 56, 69, 254, 126, 1});
  expect_array(astype(from_fp8(e, float16), float32), {8}, float32,
               std::vector<float>{0, 0.1015625f, -0.5f, 1, 3.25f, -448, 448, 0.001953125f});
  // Every finite code decodes and encodes back to itself.
  std::vector<uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
  auto codes = array(all.begin(), {256}, uint8);
  auto back = values<uint8_t>(to_fp8(from_fp8(codes, float32)));
  for (int i = 0; i < 256; ++i) {
    if ((i & 0x7F) != 0x7F) {
      EXPECT_EQ(back[i], i);
    }
  }
}

// ---- round trips and dtypes ----

TEST(Quantized, AffineRoundTripEveryWidthAndGroup) {
  auto w = uniform({4, 256}, 3);
  for (int gs : {32, 64, 128}) {
    for (int bits : {2, 3, 4, 5, 6, 8}) {
      SCOPED_TRACE("group " + std::to_string(gs) + " bits " + std::to_string(bits));
      auto q = quantize(w, gs, bits);
      EXPECT_EQ(q[0].shape(), (Shape{4, 256 * bits / 32}));
      EXPECT_EQ(q[1].shape(), (Shape{4, 256 / gs}));
      auto d = dequantize(q[0], q[1], q[2], gs, bits);
      auto err = max(abs(d - w));
      auto step = max(abs(q[1]));
      // Each value is within a step and a half of its code: the scale is adjusted so that the
      // edge of larger magnitude is exact, which may leave the other end clipped.
      EXPECT_LE(err.item<float>(), step.item<float>() * 1.5f + 1e-6f);
    }
  }
}

TEST(Quantized, HalfDtypesAndBatches) {
  for (auto dt : {float16, bfloat16}) {
    auto w = uniform({2, 3, 64}, 5, dt);
    auto q = quantize(w, 32, 4);
    EXPECT_EQ(q[0].shape(), (Shape{2, 3, 8}));
    EXPECT_EQ(q[1].dtype(), dt);
    EXPECT_EQ(q[2].dtype(), dt);
    auto d = dequantize(q[0], q[1], q[2], 32, 4);
    EXPECT_EQ(d.dtype(), dt);
    // MLX computes scale * code + bias in the scales' dtype, rounding after each step.
    auto codes = reshape(
        astype(dequantize(q[0], ones_like(q[1]), zeros_like(q[2]), 32, 4), float32), {2, 3, 2, 32});
    auto expected =
        astype(codes * expand_dims(astype(q[1], float32), -1), dt) + expand_dims(q[2], -1);
    EXPECT_EQ(check::values(d), check::values(reshape(expected, {2, 3, 64})));
    expect_close(d, w, 0.15);
    auto d32 = dequantize(q[0], q[1], q[2], 32, 4, "affine", std::nullopt, float32);
    EXPECT_EQ(d32.dtype(), float32);
    auto fp = quantize(w, std::nullopt, std::nullopt, "mxfp8");
    auto fd = dequantize(fp[0], fp[1], std::nullopt, std::nullopt, std::nullopt, "mxfp8",
                         std::nullopt, dt);
    EXPECT_EQ(fd.dtype(), dt);
    // The mx modes round the scale's exponent to nearest: a block's largest values may
    // saturate, by up to 1 - 2^-0.5 of the block's maximum.
    expect_close(fd, w, 0.3);
  }
}

TEST(Quantized, FpRoundTripsAndGlobalScale) {
  auto w = uniform({3, 64}, 9) * array(4.0f);
  for (std::string mode : {"mxfp4", "mxfp8", "nvfp4"}) {
    SCOPED_TRACE(mode);
    auto q = quantize(w, std::nullopt, std::nullopt, mode);
    auto d = dequantize(q[0], q[1], std::nullopt, std::nullopt, std::nullopt, mode, std::nullopt,
                        float32);
    // The mx modes round the scale's exponent to nearest, so a block's largest values may
    // saturate.
    expect_close(d, w, mode == "nvfp4" ? 0.25 : 0.45);
  }
  // nvfp4 with a global scale (the tensor's absolute maximum): block scales use fp8's range.
  auto g = max(abs(w));
  auto q = quantize(w, std::nullopt, std::nullopt, "nvfp4", g);
  auto d = dequantize(q[0], q[1], std::nullopt, std::nullopt, std::nullopt, "nvfp4", g, float32);
  expect_close(d, w, 0.25);
  EXPECT_GT(max(astype(q[1], float32)).item<float>(), 100.0f);
}

TEST(Quantized, NonFiniteInputsAreDefined) {
  std::vector<float> v(64, 0.5f);
  v[0] = std::numeric_limits<float>::quiet_NaN();
  v[33] = std::numeric_limits<float>::infinity();
  auto w = array(v.begin(), {2, 32}, float32);
  for (std::string mode : {"affine", "mxfp4", "mxfp8", "nvfp4"}) {
    SCOPED_TRACE(mode);
    auto q =
        quantize(w, mode == "affine" ? std::optional<int>(32) : std::nullopt, std::nullopt, mode);
    eval(q);
    EXPECT_EQ(q[0].shape(0), 2);
  }
  // mxfp8 keeps a NaN as the E4M3 NaN code.
  auto q = quantize(w, std::nullopt, std::nullopt, "mxfp8");
  EXPECT_EQ(values<uint8_t>(view(q[0], uint8))[0], 0x7F);
}

// ---- quantized_matmul ----

TEST(Quantized, MatmulMatchesDequantizedProduct) {
  for (int bits : {2, 3, 4, 5, 6, 8}) {
    for (int gs : {32, 64, 128}) {
      auto w = uniform({48, 256}, bits * 10 + gs);
      auto q = quantize(w, gs, bits);
      for (int m : {1, 3, 8, 9, 33}) {
        SCOPED_TRACE("bits " + std::to_string(bits) + " group " + std::to_string(gs) + " M " +
                     std::to_string(m));
        auto x = uniform({m, 256}, m);
        auto out = quantized_matmul(x, q[0], q[1], q[2], true, gs, bits);
        EXPECT_EQ(out.shape(), (Shape{m, 48}));
        expect_close(out, reference_qmm(x, q[0], q[1], q[2], true, gs, bits), 1e-5);
        // Not transposed: w is (K, N) packed along N.
        auto x2 = uniform({m, 48}, m + 100);
        auto out2 = quantized_matmul(x2, q[0], q[1], q[2], false, gs, bits);
        EXPECT_EQ(out2.shape(), (Shape{m, 256}));
        expect_close(out2, reference_qmm(x2, q[0], q[1], q[2], false, gs, bits), 1e-5);
      }
    }
  }
}

TEST(Quantized, MatmulFpModesDtypesAndShapes) {
  auto w = uniform({40, 128}, 21);
  for (std::string mode : {"mxfp4", "mxfp8", "nvfp4"}) {
    SCOPED_TRACE(mode);
    auto q = quantize(w, std::nullopt, std::nullopt, mode);
    for (int m : {1, 5, 12}) {
      auto x = uniform({m, 128}, 30 + m);
      auto out =
          quantized_matmul(x, q[0], q[1], std::nullopt, true, std::nullopt, std::nullopt, mode);
      EXPECT_EQ(out.dtype(), float32);
      int gs = mode == "nvfp4" ? 16 : 32;
      int bits = mode == "mxfp8" ? 8 : 4;
      expect_close(out, reference_qmm(x, q[0], q[1], std::nullopt, true, gs, bits, mode), 1e-5);
    }
  }
  // Half dtypes: the product is computed in float32 and rounded once.
  auto q = quantize(w, 64, 4);
  for (auto dt : {float16, bfloat16}) {
    auto x = uniform({2, 3, 128}, 41, dt);
    auto out = quantized_matmul(x, q[0], astype(q[1], dt), astype(q[2], dt), true, 64, 4);
    EXPECT_EQ(out.dtype(), dt);
    EXPECT_EQ(out.shape(), (Shape{2, 3, 40}));
    expect_close(out, reference_qmm(x, q[0], astype(q[1], dt), astype(q[2], dt), true, 64, 4),
                 dt == float16 ? 2e-3 : 1e-2);
  }
  // float16 x with float32 scales promotes to float32, as MLX does.
  auto xh = uniform({1, 128}, 42, float16);
  EXPECT_EQ(quantized_matmul(xh, q[0], q[1], q[2], true, 64, 4).dtype(), float32);
  // A vector x gives a vector; batched w broadcasts against x's batch like matmul.
  auto v = uniform({128}, 43);
  auto ov = quantized_matmul(v, q[0], q[1], q[2], true, 64, 4);
  EXPECT_EQ(ov.shape(), (Shape{40}));
  expect_close(
      ov, reshape(reference_qmm(reshape(v, {1, 128}), q[0], q[1], q[2], true, 64, 4), {40}), 1e-5);
  auto wb = uniform({3, 40, 128}, 44);
  auto qb = quantize(wb, 64, 4);
  auto xb = uniform({2, 1, 5, 128}, 45);
  auto ob = quantized_matmul(xb, qb[0], qb[1], qb[2], true, 64, 4);
  EXPECT_EQ(ob.shape(), (Shape{2, 3, 5, 40}));
  expect_close(ob, reference_qmm(xb, qb[0], qb[1], qb[2], true, 64, 4), 1e-5);
  auto xt = transpose(uniform({128, 7}, 46));  // strided x
  expect_close(quantized_matmul(xt, q[0], q[1], q[2], true, 64, 4),
               reference_qmm(xt, q[0], q[1], q[2], true, 64, 4), 1e-5);
}

TEST(Quantized, MatmulDecodeShape) {
  // The W13 shape at a smaller K: one row of x against many packed rows, split over the pool.
  auto w = uniform({1024, 512}, 51);
  auto q = quantize(w, 64, 4);
  auto x = uniform({1, 512}, 52);
  expect_close(quantized_matmul(x, q[0], q[1], q[2]),
               reference_qmm(x, q[0], q[1], q[2], true, 64, 4), 1e-5);
}

TEST(Quantized, MatmulDecodeVectorWidths) {
  // The decode kernel's vectors (16, 8 or 4 words, whichever tiles a row) span several groups
  // or a part of one, for every width it serves; the row counts are odd (rows go in twos or
  // fours) and K covers rows whose last vector of scales is partial. A row's result depends
  // neither on its neighbours nor on the other rows of x.
  for (int bits : {2, 4, 8}) {
    for (int gs : {32, 64, 128}) {
      for (int groups : {1, 3, 5, 20}) {
        int k = groups * gs;
        SCOPED_TRACE("bits " + std::to_string(bits) + " group " + std::to_string(gs) + " K " +
                     std::to_string(k));
        auto w = uniform({7, k}, bits + gs + k);
        auto q = quantize(w, gs, bits);
        auto x = uniform({5, k}, k + 1);
        auto out = quantized_matmul(x, q[0], q[1], q[2], true, gs, bits);
        EXPECT_EQ(out.shape(), (Shape{5, 7}));
        expect_close(out, reference_qmm(x, q[0], q[1], q[2], true, gs, bits), 1e-5);
        auto x1 = slice(x, {2, 0}, {3, k});
        auto first = [&](const array& a) { return slice(a, {0, 0}, {6, a.shape(1)}); };
        auto part = quantized_matmul(x1, first(q[0]), first(q[1]), first(q[2]), true, gs, bits);
        EXPECT_EQ(values<float>(part), values<float>(slice(out, {2, 0}, {3, 6})));
        // x read through strides: the same bits.
        auto xt = transpose(transpose(x) + array(0.0f));
        EXPECT_EQ(values<float>(quantized_matmul(xt, q[0], q[1], q[2], true, gs, bits)),
                  values<float>(out));
      }
    }
  }
}

TEST(Quantized, MatmulDerivativesAndVmap) {
  auto w = uniform({24, 64}, 61);
  auto q = quantize(w, 32, 4);
  auto wd = dequantize(q[0], q[1], q[2], 32, 4);
  auto f = [&](const V& in) { return V{quantized_matmul(in[0], q[0], q[1], q[2], true, 32, 4)}; };
  auto x = uniform({2, 64}, 62);
  auto ct = uniform({2, 24}, 63);
  auto [outs, vjps] = vjp(f, {x}, {ct});
  expect_close(vjps[0], matmul(ct, wd), 1e-5);
  auto t = uniform({2, 64}, 64);
  auto [jouts, jvps] = jvp(f, {x}, {t});
  expect_close(jvps[0], matmul(t, transpose(wd)), 1e-5);
  // Not transposed: the vjp is a transposed quantized_matmul.
  auto g = [&](const V& in) { return V{quantized_matmul(in[0], q[0], q[1], q[2], false, 32, 4)}; };
  auto x2 = uniform({3, 24}, 65);
  auto ct2 = uniform({3, 64}, 66);
  auto [o2, v2] = vjp(g, {x2}, {ct2});
  expect_close(v2[0], matmul(ct2, transpose(wd)), 1e-5);
  // Gradient through a loss.
  auto loss = [&](const array& xx) { return sum(square(f({xx})[0])); };
  expect_close(grad(loss)(x), matmul(array(2.0f) * f({x})[0], wd), 1e-5);
  // No gradient for the quantized operands.
  auto h = [&](const V& in) { return V{quantized_matmul(x, q[0], in[0], q[2], true, 32, 4)}; };
  EXPECT_INVALID(vjp(h, {q[1]}, {ct}),
                 "[quantized_matmul] Cannot compute the gradient with respect to the quantized "
                 "weights, scales or biases.");
  // vmap over x (front and last axes: each stays on the decode path, so the loop is exact), and
  // over w, scales and biases together.
  auto xs = uniform({3, 2, 64}, 67);
  check::vmap_matches_loop(f, {xs}, {0});
  check::vmap_matches_loop(f, {transpose(xs, {1, 2, 0})}, {2});
  auto wb = uniform({3, 24, 64}, 68);
  auto qb = quantize(wb, 32, 4);
  auto fw = [](const V& in) {
    return V{quantized_matmul(in[0], in[1], in[2], in[3], true, 32, 4)};
  };
  check::vmap_matches_loop(fw, {x, qb[0], qb[1], qb[2]}, {-1, 0, 0, 0});
  check::vmap_matches_loop(fw, {xs, qb[0], qb[1], qb[2]}, {0, 0, 0, 0});
}

TEST(Quantized, VmapOfQuantizeDequantizeAndFp8) {
  auto w = uniform({3, 2, 64}, 77);
  auto quant = [](const V& in) { return quantize(in[0], 32, 4); };
  check::vmap_matches_loop(quant, {w}, {0});
  check::vmap_matches_loop(quant, {transpose(w, {1, 0, 2})}, {1});
  auto fp = [](const V& in) { return quantize(in[0], std::nullopt, std::nullopt, "mxfp8"); };
  check::vmap_matches_loop(fp, {w}, {0});
  auto q = quantize(w, 32, 4);
  auto deq = [](const V& in) { return V{dequantize(in[0], in[1], in[2], 32, 4)}; };
  check::vmap_matches_loop(deq, {q[0], q[1], q[2]}, {0, 0, 0});
  // An unbatched bias is shared by every member of the batch.
  auto b0 = squeeze(slice(q[2], {0, 0, 0}, {1, 2, 2}), 0);
  check::vmap_matches_loop(deq, {q[0], q[1], b0}, {0, 0, -1});
  auto conv = [](const V& in) { return V{from_fp8(to_fp8(in[0]), float16)}; };
  check::vmap_matches_loop(conv, {w}, {2});
  EXPECT_INVALID(vjp(conv, {w}, {w}),
                 "[from_fp8] Quantized arrays have no derivative: from_fp8 "
                 "is not differentiable.");
}

// ---- gather_qmm ----

TEST(Quantized, GatherQmm) {
  auto w = uniform({4, 16, 64}, 71);
  auto q = quantize(w, 32, 4);
  auto x = uniform({3, 2, 64}, 72);
  auto lhs = array({0, 2, 1, 2, 0}, {5}, int32);
  auto rhs = array({3, 0, 1, 1, 2}, {5}, uint32);
  auto out = gather_qmm(x, q[0], q[1], q[2], lhs, rhs, true, 32, 4);
  EXPECT_EQ(out.shape(), (Shape{5, 2, 16}));
  std::vector<array> rows;
  auto li = values<int32_t>(lhs);
  auto ri = values<uint32_t>(rhs);
  for (int i = 0; i < 5; ++i) {
    auto xi = squeeze(slice(x, {li[i], 0, 0}, {li[i] + 1, 2, 64}), 0);
    int r = static_cast<int>(ri[i]);
    auto pick = [&](const array& a) {
      return squeeze(slice(a, {r, 0, 0}, {r + 1, a.shape(1), a.shape(2)}), 0);
    };
    rows.push_back(quantized_matmul(xi, pick(q[0]), pick(q[1]), pick(q[2]), true, 32, 4));
  }
  expect_close(out, stack(rows), 1e-6);
  // Only rhs_indices: x's batch is the identity (broadcast against the index shape).
  auto x1 = uniform({1, 2, 64}, 73);
  auto o1 = gather_qmm(x1, q[0], q[1], q[2], std::nullopt, array({2, 2}, {2}, uint32), true, 32, 4);
  EXPECT_EQ(o1.shape(), (Shape{2, 2, 16}));
  // No indices at all: quantized_matmul.
  auto x4 = uniform({4, 2, 64}, 75);
  auto o2 = gather_qmm(x4, q[0], q[1], q[2], std::nullopt, std::nullopt, true, 32, 4);
  expect_close(o2, quantized_matmul(x4, q[0], q[1], q[2], true, 32, 4), 0.0);
  // Out-of-range indices raise when evaluated (MLX reads past the buffer).
  auto bad = gather_qmm(x, q[0], q[1], q[2], lhs, array({0, 4, 0, 0, 0}, {5}, uint32), true, 32, 4);
  EXPECT_EQ(error_of([&] { eval(bad); }),
            "[gather_qmm] rhs_indices value 4 is out of range for a batch of 4 matrices.");
  auto neg =
      gather_qmm(x, q[0], q[1], q[2], array({-1}, {1}, int32), array({0}, {1}, int32), true, 32, 4);
  EXPECT_EQ(error_of([&] { eval(neg); }),
            "[gather_qmm] lhs_indices value 4294967295 is out of range for a batch of 3 "
            "matrices.");
  // The vjp w.r.t. x sums each product's cotangent into the x matrix it used.
  auto ct = uniform({5, 2, 16}, 76);
  auto fx = [&](const V& in) {
    return V{gather_qmm(in[0], q[0], q[1], q[2], lhs, rhs, true, 32, 4)};
  };
  auto [outs, vjps] = vjp(fx, {x}, {ct});
  auto wd = dequantize(q[0], q[1], q[2], 32, 4);
  std::vector<array> grads(3, zeros({2, 64}));
  for (int i = 0; i < 5; ++i) {
    int r = static_cast<int>(ri[i]);
    auto wr = squeeze(slice(wd, {r, 0, 0}, {r + 1, 16, 64}), 0);
    grads[li[i]] = grads[li[i]] + matmul(squeeze(slice(ct, {i, 0, 0}, {i + 1, 2, 16}), 0), wr);
  }
  expect_close(vjps[0], stack(grads), 1e-5);
  // vmap over x, over the indices, and over w with its scales and biases.
  auto fv = [](const V& in) {
    return V{gather_qmm(in[0], in[1], in[2], in[3], in[4], in[5], true, 32, 4)};
  };
  auto xs = uniform({3, 3, 2, 64}, 77);
  auto lhs2 = array({0, 1, 2, 2, 1, 0}, {3, 2}, uint32);
  auto qs = quantize(uniform({2, 4, 16, 64}, 78), 32, 4);
  check::vmap_matches_loop(fv, {xs, q[0], q[1], q[2], lhs, rhs}, {0, -1, -1, -1, -1, -1});
  auto rhs2 = array({1, 3}, {2}, uint32);
  check::vmap_matches_loop(fv, {x, q[0], q[1], q[2], lhs2, rhs2}, {-1, -1, -1, -1, 0, -1});
  check::vmap_matches_loop(fv, {x, qs[0], qs[1], qs[2], lhs, rhs}, {-1, 0, 0, 0, -1, -1});
  check::vmap_matches_loop(fv, {transpose(xs, {1, 0, 2, 3}), q[0], q[1], q[2], lhs2, rhs2},
                           {1, -1, -1, -1, 0, -1});
  // jvp w.r.t. x goes through the same gather.
  auto f = [&](const V& in) {
    return V{gather_qmm(in[0], q[0], q[1], q[2], lhs, rhs, true, 32, 4)};
  };
  auto t = uniform({3, 2, 64}, 74);
  auto [o, tans] = jvp(f, {x}, {t});
  expect_close(tans[0], f({t})[0], 1e-6);
}

// ---- qqmm ----

TEST(Quantized, Qqmm) {
  auto x = uniform({3, 64}, 81);
  auto w = uniform({10, 64}, 82);
  for (std::string mode : {"nvfp4", "mxfp8", "mxfp4"}) {
    SCOPED_TRACE(mode);
    auto wq = quantize(w, std::nullopt, std::nullopt, mode);
    auto xq = quantize(x, std::nullopt, std::nullopt, mode);
    auto x_hat = dequantize(xq[0], xq[1], std::nullopt, std::nullopt, std::nullopt, mode,
                            std::nullopt, float32);
    auto expected = reference_qmm(x_hat, wq[0], wq[1], std::nullopt, true,
                                  mode == "nvfp4" ? 16 : 32, mode == "mxfp8" ? 8 : 4, mode);
    auto out = qqmm(x, wq[0], wq[1], std::nullopt, std::nullopt, mode);
    EXPECT_EQ(out.dtype(), float32);
    expect_close(out, expected, 1e-5);
    // An unquantized w is quantized here too.
    expect_close(qqmm(x, w, std::nullopt, std::nullopt, std::nullopt, mode), expected, 1e-5);
  }
  // nvfp4 global scales: the product is close to x @ w.T.
  auto gx = max(abs(x));
  auto gw = max(abs(w));
  auto out = qqmm(x, w, std::nullopt, std::nullopt, std::nullopt, "nvfp4", gx, gw);
  expect_close(out, matmul(x, transpose(w)), 0.3);
  // gather_qqmm picks matrices like gather_qmm.
  auto wb = quantize(uniform({2, 10, 64}, 83), std::nullopt, std::nullopt, "nvfp4");
  auto xb = uniform({2, 3, 64}, 84);
  auto og = gather_qqmm(xb, wb[0], wb[1], array({1, 0}, {2}, uint32), array({0, 0}, {2}, uint32));
  EXPECT_EQ(og.shape(), (Shape{2, 3, 10}));
  auto x1 = squeeze(slice(xb, {1, 0, 0}, {2, 3, 64}), 0);
  auto w0 = squeeze(slice(wb[0], {0, 0, 0}, {1, 10, 8}), 0);
  auto s0 = squeeze(slice(wb[1], {0, 0, 0}, {1, 10, 4}), 0);
  expect_close(squeeze(slice(og, {0, 0, 0}, {1, 3, 10}), 0), qqmm(x1, w0, s0), 1e-6);
  EXPECT_INVALID(qqmm(x, w, std::nullopt, std::nullopt, std::nullopt, "affine"),
                 "[qqmm] Only the modes 'mxfp4', 'mxfp8' and 'nvfp4' are supported but got "
                 "'affine'.");
  EXPECT_INVALID(qqmm(x, wb[0]),
                 "[qqmm] Scales must be provided when the second input is quantized.");
}

// ---- errors ----

TEST(Quantized, Errors) {
  auto w = uniform({2, 64}, 91);
  EXPECT_INVALID(quantize(w, 16),
                 "[quantize] The requested group size 16 is not supported. The "
                 "supported group sizes are 32, 64 and 128.");
  EXPECT_INVALID(quantize(w, 32, 7),
                 "[quantize] The requested number of bits 7 is not "
                 "supported. The supported bits are 2, 3, 4, 5, 6 and 8.");
  EXPECT_INVALID(quantize(w, 64, 4, "int4"),
                 "[quantize] Invalid quantization mode 'int4'. The supported modes are 'affine', "
                 "'mxfp4', 'mxfp8' and 'nvfp4'.");
  EXPECT_INVALID(quantize(w, 64, std::nullopt, "mxfp4"),
                 "[quantize] mxfp4 quantization requires group size 32 but got 64.");
  EXPECT_INVALID(quantize(w, std::nullopt, 8, "nvfp4"),
                 "[quantize] nvfp4 quantization requires bits to be 4 but got 8.");
  EXPECT_INVALID(quantize(uniform({64}, 1)),
                 "[quantize] The matrix to be quantized must have "
                 "at least 2 dimensions but it has 1.");
  EXPECT_INVALID(quantize(uniform({2, 48}, 1), 32),
                 "[quantize] The last dimension of the matrix needs to be divisible by the "
                 "quantization group size 32 but the matrix has shape (2,48).");
  EXPECT_INVALID(quantize(array({1, 2}, {1, 2}, int32)),
                 "[quantize] Only real floating types can be quantized but w has type int32.");
  EXPECT_INVALID(quantize(w, 64, 4, "affine", array(1.0f)),
                 "[quantize] A global scale is only supported in mode 'nvfp4' but the mode is "
                 "'affine'.");
  auto q = quantize(w, 32, 4);
  EXPECT_INVALID(dequantize(q[0], q[1], std::nullopt, 32, 4),
                 "[dequantize] Biases must be provided for affine quantization.");
  EXPECT_INVALID(dequantize(q[0], q[1], q[2], 64, 4),
                 "[dequantize] The shapes of the quantized matrix (2,8) and scales (2,2) do not "
                 "match with group_size=64 and bits=4.");
  EXPECT_INVALID(dequantize(astype(q[0], int32), q[1], q[2], 32, 4),
                 "[dequantize] The quantized matrix should be uint32 but got int32.");
  EXPECT_INVALID(dequantize(q[0], q[1], q[2], 32, 4, "affine", std::nullopt, int32),
                 "[dequantize] Only real floating types are supported but dtype == int32.");
  EXPECT_INVALID(dequantize(q[0], astype(q[1], uint8), q[2], 32, 4, "mxfp4"),
                 "[dequantize] Biases must be null for quantization mode 'mxfp4'.");
  EXPECT_INVALID(dequantize(q[0], q[1], std::nullopt, 32, 4, "mxfp4"),
                 "[dequantize] Scales must be uint8 in mode 'mxfp4' but got float32.");
  EXPECT_INVALID(quantized_matmul(uniform({1, 32}, 2), q[0], q[1], q[2], true, 32, 4),
                 "[quantized_matmul] Last dimension of first input with shape (1,32) does not "
                 "match the dequantized matrix (64,2) of shape (2,8) with group_size=32, bits=4 "
                 "and transpose=true.");
  auto fq = quantize(w, std::nullopt, std::nullopt, "mxfp4");
  EXPECT_INVALID(quantized_matmul(astype(w, int32), fq[0], fq[1], std::nullopt, true, std::nullopt,
                                  std::nullopt, "mxfp4"),
                 "[quantized_matmul] Only float32, float16 and bfloat16 are supported but the "
                 "product would have dtype int32.");
  EXPECT_INVALID(
      quantized_matmul(astype(uniform({1, 64}, 2), float64), q[0], q[1], q[2], true, 32, 4),
      "[quantized_matmul] Only float32, float16 and bfloat16 are supported but the "
      "product would have dtype float64.");
  EXPECT_INVALID(to_fp8(array({1, 2})),
                 "[to_fp8] Only real floating types are supported but x.dtype() == int32.");
  EXPECT_INVALID(from_fp8(array({1.0f}), float32),
                 "[from_fp8] Input must have type uint8 but x.dtype() == float32.");
  EXPECT_INVALID(from_fp8(array({uint8_t(1)}), int32),
                 "[from_fp8] Only real floating types are supported but dtype == int32.");
}
