// Random numbers: keys, the key sequence, bits and split against vectors recorded from MLX 0.32
// and against a scalar Threefry reference (large outputs take the SIMD and threaded paths), the
// errors, and vmap over a batch of keys.
#include <gtest/gtest.h>

#include "check.h"
#include "helpers.h"

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
  std::memcpy(out.data(), w.data(), bytes);
  return out;
}

template <typename T>
std::vector<T> bits_ref_as(uint32_t k0, uint32_t k1, size_t n) {
  auto b = bits_ref(k0, k1, n * sizeof(T));
  std::vector<T> out(n);
  std::memcpy(out.data(), b.data(), b.size());
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
