// Random numbers: keys, the key sequence, bits and split against vectors recorded from MLX 0.32
// and against a scalar Threefry reference (large outputs take the SIMD and threaded paths), the
// errors, and vmap over a batch of keys.
#include <gtest/gtest.h>

#include "check.h"
#include "helpers.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

// The hash and the bits layout written out plainly, to check the kernel on large outputs.
std::pair<uint32_t, uint32_t> threefry_ref(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1) {
  const int rot[2][4] = {{13, 15, 26, 6}, {17, 29, 16, 24}};
  uint32_t ks[3] = {k0, k1, k0 ^ k1 ^ 0x1BD11BDAu};
  uint32_t x0 = c0 + ks[0], x1 = c1 + ks[1];
  for (uint32_t g = 0; g < 5; ++g) {
    for (int i = 0; i < 4; ++i) {
      int r = rot[g % 2][i];
      x0 += x1;
      x1 = (x1 << r) | (x1 >> (32 - r));
      x1 ^= x0;
    }
    x0 += ks[(g + 1) % 3];
    x1 += ks[(g + 2) % 3] + g + 1;
  }
  return {x0, x1};
}

std::vector<uint8_t> bits_ref(uint32_t k0, uint32_t k1, size_t bytes) {
  size_t words = (bytes + 3) / 4, half = words / 2, odd = words % 2;
  std::vector<uint32_t> w(words);
  for (size_t j = 0; j < half; ++j) {
    auto h = threefry_ref(k0, k1, j, j + half + odd);
    w[j] = h.first;
    w[j + half + odd] = h.second;
  }
  if (odd) {
    w[half] = threefry_ref(k0, k1, half, 0).first;
  }
  std::vector<uint8_t> out(bytes);
  if (bytes > 0) {  // memcpy's pointers must not be null, even for no bytes
    std::memcpy(out.data(), w.data(), bytes);
  }
  return out;
}

template <typename T>
std::vector<T> bits_ref_as(uint32_t k0, uint32_t k1, size_t n) {
  auto b = bits_ref(k0, k1, n * sizeof(T));
  std::vector<T> out(n);
  if (n > 0) {
    std::memcpy(out.data(), b.data(), b.size());
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// keys, split, bits

TEST(RandomKey, Values) {
  expect_array<uint32_t>(random::key(0), {2}, uint32, {0, 0});
  expect_array<uint32_t>(random::key(42), {2}, uint32, {0, 42});
  expect_array<uint32_t>(random::key(0x100000007ull), {2}, uint32, {1, 7});
}

TEST(RandomSplit, MatchesMlx) {
  auto [a, b] = random::split(random::key(0));
  expect_array<uint32_t>(a, {2}, uint32, {4146024105u, 967050713u});
  expect_array<uint32_t>(b, {2}, uint32, {2718843009u, 1272950319u});
  expect_array<uint32_t>(
      random::split(random::key(0), 3), {3, 2}, uint32,
      {2467461003u, 428148500u, 3186719485u, 3840466878u, 2562233961u, 1946702221u});
  // split(key) is the two rows of split(key, 2).
  auto two = random::split(random::key(9), 2);
  auto [c, d] = random::split(random::key(9));
  auto rows = values<uint32_t>(two);
  EXPECT_EQ(values<uint32_t>(c), std::vector<uint32_t>(rows.begin(), rows.begin() + 2));
  EXPECT_EQ(values<uint32_t>(d), std::vector<uint32_t>(rows.begin() + 2, rows.end()));
}

TEST(RandomBits, MatchesMlx) {
  expect_array<uint32_t>(random::bits({5}, 4, random::key(0)), {5}, uint32,
                         {2467461003u, 428148500u, 1688610540u, 3840466878u, 2562233961u});
  expect_array<uint32_t>(random::bits({4}, 4, random::key(42)), {4}, uint32,
                         {2465931498u, 3679230171u, 255383827u, 267815257u});
  expect_array<uint32_t>(
      random::bits({2, 3}, random::key(7)), {2, 3}, uint32,
      {276534068u, 861967409u, 1905761346u, 1641862660u, 2900896126u, 1402713516u});
  expect_array<uint16_t>(random::bits({7}, 2, random::key(0)), {7}, uint16,
                         {20137, 63263, 1497, 14756, 16513, 41486, 44591});
  expect_array<uint8_t>(random::bits({9}, 1, random::key(0)), {9}, uint8,
                        {169, 78, 31, 247, 44, 251, 142, 80, 129});
}

TEST(RandomBits, MatchesReference) {
  // Sizes around the vector width and the chunking, odd and even word counts, partial words.
  auto key = random::key(0x123456789abcdefull);
  auto kv = values<uint32_t>(key);
  for (int n : {0, 1, 2, 3, 15, 16, 17, 33, 1000, 100001, 300000}) {
    EXPECT_EQ(values<uint32_t>(random::bits({n}, 4, key)), bits_ref_as<uint32_t>(kv[0], kv[1], n))
        << n;
  }
  for (int n : {1, 3, 5, 6, 31, 1001, 200003}) {
    EXPECT_EQ(values<uint16_t>(random::bits({n}, 2, key)), bits_ref_as<uint16_t>(kv[0], kv[1], n))
        << n;
  }
  for (int n : {1, 2, 3, 4, 5, 7, 9, 1003, 400001}) {
    EXPECT_EQ(values<uint8_t>(random::bits({n}, 1, key)), bits_ref_as<uint8_t>(kv[0], kv[1], n))
        << n;
  }
  // bits depends on the total count: a shorter draw is not a prefix of a longer one.
  EXPECT_NE(values<uint32_t>(random::bits({3}, key))[1],
            values<uint32_t>(random::bits({4}, key))[1]);
}

TEST(RandomBits, Errors) {
  auto k = random::key(0);
  EXPECT_INVALID(random::bits({2}, 3, k), "[bits] Bit width must be in {1, 2, 4} but got 3.");
  EXPECT_INVALID(random::bits({2}, 8, k), "[bits] Bit width must be in {1, 2, 4} but got 8.");
  EXPECT_INVALID(random::bits({2}, 4, astype(k, int32)),
                 "[bits] Expected key type uint32 but received int32.");
  EXPECT_INVALID(random::bits({2}, 4, random::split(k, 2)),
                 "[bits] Expected key shape (2) but received (2,2).");
  EXPECT_INVALID(random::bits({2, -1}, 4, k),
                 "[bits] Negative dimensions are not allowed, got shape (2,-1).");
}

TEST(RandomBits, EmptyAndScalarShapes) {
  auto k = random::key(3);
  expect_array<uint32_t>(random::bits({0, 4}, k), {0, 4}, uint32, {});
  auto scalar = random::bits({}, 4, k);
  EXPECT_EQ(scalar.shape(), Shape{});
  auto kv = values<uint32_t>(k);
  EXPECT_EQ(values<uint32_t>(scalar), bits_ref_as<uint32_t>(kv[0], kv[1], 1));
}

// ---------------------------------------------------------------------------------------------
// the default key sequence

TEST(RandomKeySequence, SeedAndNext) {
  random::KeySequence seq(0);
  // next() splits the current key: the returned key is the second half of split(key(0)).
  expect_array<uint32_t>(seq.next(), {2}, uint32, {2718843009u, 1272950319u});
  auto [current, returned] = random::split(random::split(random::key(0)).first);
  expect_array<uint32_t>(seq.next(), {2}, uint32, values<uint32_t>(returned));
  seq.seed(0);
  expect_array<uint32_t>(seq.next(), {2}, uint32, {2718843009u, 1272950319u});

  random::seed(11);
  auto a = random::bits({4});
  auto b = random::bits({4});
  random::seed(11);
  EXPECT_EQ(values<uint32_t>(random::bits({4})), values<uint32_t>(a));
  EXPECT_EQ(values<uint32_t>(random::bits({4})), values<uint32_t>(b));
  EXPECT_NE(values<uint32_t>(a), values<uint32_t>(b));
}

TEST(RandomKeySequence, PerThread) {
  random::seed(5);
  auto here = values<uint32_t>(random::bits({4}));
  std::vector<uint32_t> there;
  std::thread t([&] {
    random::seed(5);
    there = values<uint32_t>(random::bits({4}));
  });
  t.join();
  EXPECT_EQ(here, there);
  // The other thread's draw did not advance this thread's sequence.
  random::seed(5);
  random::bits({4});
  auto second = values<uint32_t>(random::bits({4}));
  random::seed(5);
  random::bits({4});
  EXPECT_EQ(values<uint32_t>(random::bits({4})), second);
}

// ---------------------------------------------------------------------------------------------
// transforms of RandomBits

TEST(RandomBits, VmapOverKeys) {
  auto keys = random::split(random::key(1), 3);
  for (int width : {1, 2, 4}) {
    for (Shape shape : {Shape{}, Shape{3}, Shape{2, 5}}) {
      check::Fn f = [&](const std::vector<array>& in) {
        return std::vector<array>{random::bits(shape, width, in[0])};
      };
      check::vmap_matches_loop(f, {keys}, {0});
      check::vmap_matches_loop(f, {transpose(keys)}, {1});
      // A batch of batches of keys.
      auto grid = reshape(random::split(random::key(2), 6), {2, 3, 2});
      check::vmap_matches_loop(vmap(f, {0}), {grid}, {0});
      check::vmap_matches_loop(vmap(f, {1}), {transpose(grid, {2, 1, 0})}, {2});
    }
  }
}

TEST(RandomBits, NoGradientThroughKeys) {
  // A function of x that also draws bits: the key contributes nothing to the gradient.
  auto k = random::key(4);
  auto f = [&](const array& x) {
    auto b = astype(random::bits({3}, 4, k), float32);
    return sum(x * b / array(4294967296.0f));
  };
  auto x = array({1.0f, 2.0f, 3.0f});
  auto g = grad(f)(x);
  auto b = values<uint32_t>(random::bits({3}, 4, k));
  auto gv = values<float>(g);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FLOAT_EQ(gv[i], static_cast<float>(b[i]) / 4294967296.0f);
  }
}

// ---------------------------------------------------------------------------------------------
// distributions

namespace {

// Float32 values within `ulps` units in the last place of the expected ones.
void expect_ulps(const array& a, const Shape& shape, const std::vector<float>& expected,
                 int ulps = 2) {
  ASSERT_EQ(a.shape(), shape);
  ASSERT_EQ(a.dtype(), float32);
  auto got = values<float>(a);
  for (size_t i = 0; i < expected.size(); ++i) {
    float e = expected[i];
    float ulp = std::nextafter(std::abs(e), INFINITY) - std::abs(e);
    EXPECT_NEAR(got[i], e, ulps * ulp) << "at " << i;
  }
}

template <typename T>
std::vector<float> as_floats(const array& a) {
  return values<float>(astype(a, float32));
}

}  // namespace

TEST(RandomUniform, MatchesMlx) {
  expect_array<float>(
      random::uniform({6}, float32, random::key(0)), {6}, float32,
      {0.574500561f, 0.0996860936f, 0.74196595f, 0.894178391f, 0.596566558f, 0.453251928f});
  expect_array<float>(random::uniform(-3, 5, {4}, float32, random::key(3)), {4}, float32,
                      {-1.09169853f, -2.91104436f, 1.8499465f, -0.321585655f});
  // The default dtype and the shape-only form.
  EXPECT_EQ(values<float>(random::uniform({6}, random::key(0))),
            values<float>(random::uniform({6}, float32, random::key(0))));
  EXPECT_EQ(values<float>(random::uniform(array(-3), array(5), {4}, float32, random::key(3))),
            values<float>(random::uniform(-3.0f, 5.0f, {4}, float32, random::key(3))));
}

TEST(RandomUniform, DtypesBroadcastAndBounds) {
  auto k = random::key(21);
  // Bounds broadcast with the shape; each value is low + (high - low) * u for the same u.
  auto u = values<float>(random::uniform({3, 2}, k));
  auto v = random::uniform(array({0.0f, 10.0f}), array(20.0f), {3, 2}, float32, k);
  auto vv = values<float>(v);
  for (int i = 0; i < 6; ++i) {
    float lo = i % 2 ? 10.0f : 0.0f;
    EXPECT_EQ(vv[i], (20.0f - lo) * u[i] + lo) << i;
  }
  for (Dtype dt : {float16, bfloat16, float32, float64}) {
    auto x = random::uniform({50000}, dt, k);
    EXPECT_EQ(x.dtype(), dt);
    auto xs = as_floats<float>(x);
    EXPECT_LT(*std::max_element(xs.begin(), xs.end()), 1.0f);
    EXPECT_GE(*std::min_element(xs.begin(), xs.end()), 0.0f);
    double mean = 0;
    for (float f : xs) mean += f;
    EXPECT_NEAR(mean / xs.size(), 0.5, 0.01);
  }
  EXPECT_INVALID(random::uniform({2}, int32, k),
                 "[uniform] Can only generate uniform numbers with a real floating point type, "
                 "got int32.");
  EXPECT_INVALID(random::uniform(array({0.0f, 1.0f, 2.0f}), array(5.0f), {2, 2}, float32, k),
                 "[uniform] Cannot generate random values of shape (2,2) from bounds of broadcast "
                 "shape (3).");
  EXPECT_INVALID(random::uniform(array({0.0f, 1.0f}), array(5.0f), {4, 1}, float32, k),
                 "[uniform] Cannot generate random values of shape (4,1) from bounds of broadcast "
                 "shape (2).");
}

TEST(RandomUniform, Transforms) {
  auto k = random::key(8);
  // Differentiable in low and high: d/dlow = 1 - u, d/dhigh = u.
  check::Fn f = [&](const std::vector<array>& in) {
    return std::vector<array>{random::uniform(in[0], in[1], {2, 3}, float64, k)};
  };
  check::grads(f, {check::uniform({2, 3}, -2.0, -1.0), check::uniform({3}, 1.0, 2.0)});
  // A batch of keys gives each key's draw.
  check::Fn g = [](const std::vector<array>& in) {
    return std::vector<array>{random::uniform({4}, float32, in[0])};
  };
  check::vmap_matches_loop(g, {random::split(k, 3)}, {0});
}

TEST(RandomNormal, MatchesMlx) {
  expect_ulps(random::normal({6}, float32, random::key(0)), {6},
              {0.187844157f, -1.28334212f, 0.649418294f, 1.24905992f, 0.244470015f, -0.117449418f});
  auto k = random::key(0);
  auto z = values<float>(random::normal({6}, k));
  auto shifted = values<float>(random::normal({6}, 2.0f, 3.0f, k));
  auto arrays = values<float>(random::normal({6}, float32, array(2.0f), array(3.0f), k));
  for (int i = 0; i < 6; ++i) {
    EXPECT_NEAR(shifted[i], 2.0f + 3.0f * z[i], 1e-5f);
    EXPECT_EQ(arrays[i], shifted[i]);
  }
  for (Dtype dt : {float16, bfloat16, float64}) {
    auto x = random::normal({20000}, dt, random::key(1));
    EXPECT_EQ(x.dtype(), dt);
    auto xs = as_floats<float>(x);
    double m = 0, v = 0;
    for (float f : xs) {
      EXPECT_TRUE(std::isfinite(f));
      m += f;
      v += f * f;
    }
    EXPECT_NEAR(m / xs.size(), 0.0, 0.03);
    EXPECT_NEAR(v / xs.size(), 1.0, 0.05);
  }
  EXPECT_INVALID(random::normal({2}, int32, k),
                 "[normal] Can only generate normal numbers with a real floating point type, "
                 "got int32.");
}

TEST(RandomNormal, Transforms) {
  auto k = random::key(9);
  check::Fn f = [&](const std::vector<array>& in) {
    return std::vector<array>{random::normal({2, 3}, float64, in[0], in[1], k)};
  };
  check::grads(f, {check::uniform({2, 3}), check::uniform({3}, 0.5, 2.0)});
  check::Fn g = [](const std::vector<array>& in) {
    return std::vector<array>{random::normal({5}, float32, in[0])};
  };
  check::vmap_matches_loop(g, {random::split(k, 4)}, {0});
}

TEST(RandomRandint, MatchesMlxAndRanges) {
  expect_array<int32_t>(random::randint(0, 10, {8}, int32, random::key(0)), {8}, int32,
                        {5, 3, 3, 9, 1, 9, 1, 8});
  auto k = random::key(17);
  // Negative ranges are uniform too (floor, not truncation toward zero).
  auto v = values<int32_t>(random::randint(-3, 5, {40000}, int32, k));
  std::vector<int> counts(8, 0);
  for (int x : v) {
    ASSERT_GE(x, -3);
    ASSERT_LT(x, 5);
    counts[x + 3]++;
  }
  for (int c : counts) EXPECT_NEAR(c, 5000, 400);
  for (Dtype dt : {uint8, int8, int16, uint32, int64, uint64}) {
    auto x = random::randint(array(1), array(7), {1000}, dt, k);
    EXPECT_EQ(x.dtype(), dt);
    for (float f : as_floats<float>(x)) {
      EXPECT_GE(f, 1.0f);
      EXPECT_LE(f, 6.0f);
    }
  }
  // Per-element bounds broadcast with the shape.
  auto b = values<int32_t>(random::randint(array({0, 100}), array({1, 103}), {50, 2}, int32, k));
  for (int i = 0; i < 100; ++i) {
    if (i % 2) {
      EXPECT_TRUE(b[i] >= 100 && b[i] <= 102);
    } else {
      EXPECT_EQ(b[i], 0);
    }
  }
  EXPECT_INVALID(random::randint(0, 10, {2}, float32, k),
                 "[randint] randint only accepts integer dtypes and bool, got float32.");
}

TEST(RandomBernoulli, MatchesMlxAndForms) {
  expect_array<bool>(random::bernoulli(0.3, {8}, random::key(0)), {8}, bool_,
                     {false, false, false, false, true, false, true, false});
  auto k = random::key(0);
  // p = 0.5 by default; p's shape by default; p broadcast with the shape.
  auto half = values<bool>(random::bernoulli(std::optional<array>(k)));
  EXPECT_EQ(half.size(), 1u);
  EXPECT_EQ(random::bernoulli(array({0.1f, 0.9f}), k).shape(), Shape{2});
  EXPECT_EQ(random::bernoulli(0.5f, k).shape(), Shape{});
  auto always = values<bool>(random::bernoulli(array({0.0f, 1.0f}), {500, 2}, k));
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(always[i], i % 2 == 1);
  int ones = 0;
  for (bool x : values<bool>(random::bernoulli(0.25f, {40000}, k))) ones += x;
  EXPECT_NEAR(ones, 10000, 300);
  EXPECT_INVALID(random::bernoulli(array(1), {2}, k),
                 "[bernoulli] The probability p must have a floating point type, got int32.");
  EXPECT_INVALID(random::bernoulli(array({0.1f, 0.2f, 0.3f}), {2}, k),
                 "[bernoulli] The shape of p, (3), does not broadcast to the requested shape (2).");
}

TEST(RandomTruncatedNormal, MatchesMlxAndBounds) {
  // Within 6 ulp, not 2: our float32 erf(-1/sqrt(2)) is the correctly rounded -0.682689488
  // where MLX's is one ulp smaller in magnitude, and erfinv amplifies that near 0.1.
  expect_ulps(random::truncated_normal(array(-1.0f), array(1.0f), {5}, float32, random::key(0)),
              {5}, {0.127836272f, -0.749725759f, -0.183859974f, 0.735890865f, 0.166008756f}, 6);
  auto k = random::key(2);
  auto lo = array({-0.5f, 1.0f, -3.0f});
  auto hi = array({0.5f, 2.0f, -2.5f});
  auto x = random::truncated_normal(lo, hi, float32, k);
  EXPECT_EQ(x.shape(), Shape{3});
  auto many = values<float>(random::truncated_normal(lo, hi, {2000, 3}, float32, k));
  for (int i = 0; i < 6000; ++i) {
    EXPECT_GE(many[i], values<float>(lo)[i % 3]);
    EXPECT_LE(many[i], values<float>(hi)[i % 3]);
  }
  EXPECT_INVALID(random::truncated_normal(lo, hi, int32, k),
                 "[truncated_normal] Can only generate truncated normal numbers with a real "
                 "floating point type, got int32.");
}

TEST(RandomGumbel, MatchesMlx) {
  expect_ulps(random::gumbel({4}, float32, random::key(0)), {4},
              {3.34403968f, -0.399412364f, 0.782552361f, -0.195654482f});
  EXPECT_EQ(random::gumbel({2, 3}, float16, random::key(1)).dtype(), float16);
  EXPECT_INVALID(random::gumbel({2}, int32, random::key(1)),
                 "[gumbel] Can only generate Gumbel numbers with a real floating point type, "
                 "got int32.");
}

TEST(RandomLaplace, MatchesMlxAndForms) {
  expect_ulps(random::laplace({4}, float32, 0.0f, 1.0f, random::key(0)), {4},
              {-2.6684885f, 0.797801077f, -0.309328079f, 0.522959411f});
  auto k = random::key(0);
  auto base = values<float>(random::laplace({4}, k));
  auto moved = values<float>(random::laplace({4}, 1.0f, 2.0f, k));
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(moved[i], 1.0f + 2.0f * base[i], 1e-5f);
  EXPECT_EQ(values<float>(random::laplace({4}, float32, k)), base);
  EXPECT_INVALID(random::laplace({2}, int32, k),
                 "[laplace] Can only generate Laplace numbers with a real floating point type, "
                 "got int32.");
}

TEST(RandomCategorical, MatchesMlxAndForms) {
  auto logits = log(array({0.1f, 0.2f, 0.7f}));
  expect_array<uint32_t>(random::categorical(logits, -1, 8, random::key(0)), {8}, uint32,
                         {2, 2, 2, 2, 1, 2, 1, 2});
  auto k = random::key(6);
  // Two distributions along axis 0 of a (3, 2) array: column 0 always picks row 2, column 1
  // always row 0.
  auto two = log(array({0.0f, 1.0f, 0.0f, 0.0f, 1.0f, 0.0f}, {3, 2}));
  expect_array<uint32_t>(random::categorical(two, 0, k), {2}, uint32, {2, 0});
  auto shaped = random::categorical(two, 0, Shape{4, 2}, k);
  expect_array<uint32_t>(shaped, {4, 2}, uint32, {2, 0, 2, 0, 2, 0, 2, 0});
  expect_array<uint32_t>(random::categorical(two, 0, 3, k), {2, 3}, uint32, {2, 2, 2, 0, 0, 0});
  // Frequencies follow the probabilities.
  std::vector<int> counts(3, 0);
  for (auto c : values<uint32_t>(random::categorical(logits, 0, 30000, k))) counts[c]++;
  EXPECT_NEAR(counts[0], 3000, 250);
  EXPECT_NEAR(counts[1], 6000, 300);
  EXPECT_NEAR(counts[2], 21000, 400);
  EXPECT_INVALID(random::categorical(logits, 1, k),
                 "[categorical] Axis 1 is out of bounds for logits with 1 dimensions.");
  EXPECT_INVALID(random::categorical(two, 0, Shape{4, 3}, k),
                 "[categorical] Requested shape (4,3) does not broadcast with logits of shape "
                 "(3,2) without axis 0.");
  EXPECT_INVALID(random::categorical(two, 0, -1, k),
                 "[categorical] The number of samples must be non-negative, got -1.");
}

TEST(RandomPermutation, MatchesMlx) {
  expect_array<uint32_t>(random::permutation(8, random::key(0)), {8}, uint32,
                         {4, 6, 1, 2, 0, 7, 3, 5});
  auto p = values<uint32_t>(random::permutation(1000, random::key(3)));
  std::sort(p.begin(), p.end());
  for (uint32_t i = 0; i < 1000; ++i) EXPECT_EQ(p[i], i);
  EXPECT_INVALID(random::permutation(-1, random::key(3)),
                 "[permutation] The number of elements must be non-negative, got -1.");
}

TEST(RandomKeySequence, MatchesMlx) {
  random::seed(5);
  expect_array<float>(random::uniform({3}), {3}, float32,
                      {0.178238466f, 0.995461583f, 0.0947757661f});
  expect_array<float>(random::uniform({3}), {3}, float32,
                      {0.672338784f, 0.0314054824f, 0.0148298983f});
}

TEST(RandomPermutation, ArrayForm) {
  auto k = random::key(0);
  std::vector<int32_t> perm = {4, 6, 1, 2, 0, 7, 3, 5};
  auto x = reshape(arange(16), {8, 2});
  std::vector<int32_t> rows;
  for (int p : perm) {
    rows.push_back(2 * p);
    rows.push_back(2 * p + 1);
  }
  expect_array<int32_t>(random::permutation(x, 0, k), {8, 2}, int32, rows);
  std::vector<int32_t> cols;
  for (int i = 0; i < 2; ++i) {
    for (int p : perm) cols.push_back(8 * i + p);
  }
  expect_array<int32_t>(random::permutation(reshape(arange(16), {2, 8}), -1, k), {2, 8}, int32,
                        cols);
  // Differentiable in x; batched over x with one permutation for every batch element.
  check::Fn f = [&](const std::vector<array>& in) {
    return std::vector<array>{random::permutation(in[0], 1, k)};
  };
  check::grads(f, {check::uniform({3, 8})});
  check::vmaps(f, {check::uniform({3, 8})});
  EXPECT_INVALID(random::permutation(x, 2, k),
                 "[permutation] Axis 2 is out of bounds for an array of shape (8,2).");
  EXPECT_INVALID(random::permutation(array(1.0f), 0, k),
                 "[permutation] Axis 0 is out of bounds for an array of shape ().");
}
