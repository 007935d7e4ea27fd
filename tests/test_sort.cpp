// Sorting and selection: sort, argsort, partition, argpartition, topk and median — every
// overload and dtype, NaN placement, stability, strided inputs, empty axes, the radix paths
// (long lines and one huge line), the errors, and the derivative and batching rules.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "check.h"
#include "helpers.h"
#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

const std::vector<Dtype> kRealDtypes = {bool_, uint8, uint16,  uint32,  uint64,  int8,    int16,
                                        int32, int64, float16, float32, float64, bfloat16};

// Bit patterns, so that NaN and the sign of zero compare exactly.
std::vector<uint32_t> bits(const array& a) {
  std::vector<uint32_t> out;
  for (float v : values<float>(a)) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    out.push_back(u);
  }
  return out;
}

}  // namespace

TEST(Sort, NaNLastInfinitiesAndSignedZeros) {
  float neg_nan = -kNaN;
  auto a = array({3.0f, kNaN, -1.0f, neg_nan, kInf, -kInf, 0.5f, 2.0f});
  auto s = sort(a);
  EXPECT_EQ(s.dtype(), float32);
  auto v = values<float>(s);
  ASSERT_EQ(v.size(), 8u);
  std::vector<float> head(v.begin(), v.begin() + 6);
  EXPECT_EQ(head, (std::vector<float>{-kInf, -1.0f, 0.5f, 2.0f, 3.0f, kInf}));
  EXPECT_TRUE(std::isnan(v[6]) && std::isnan(v[7]));
  // NaNs keep their input order: the positive one first.
  expect_array<uint32_t>(argsort(a), {8}, uint32, {5, 2, 6, 7, 0, 4, 1, 3});
  // -0 and +0 are equal: a stable sort keeps their order.
  auto z = array({0.0f, -0.0f, -1.0f, 0.0f});
  auto zb = bits(sort(z));
  EXPECT_EQ(zb, (std::vector<uint32_t>{0xBF800000u, 0u, 0x80000000u, 0u}));
}

TEST(Sort, EveryDtype) {
  auto base = array({3, 1, 2, 0, 1});
  for (auto dt : kRealDtypes) {
    SCOPED_TRACE(dt);
    auto a = astype(base, dt);
    auto s = sort(a);
    EXPECT_EQ(s.dtype(), dt);
    auto idx = argsort(a);
    EXPECT_EQ(idx.dtype(), uint32);
    if (dt == bool_) {
      expect_array<bool>(s, {5}, bool_, {false, true, true, true, true});
      expect_array<uint32_t>(idx, {5}, uint32, {3, 0, 1, 2, 4});
    } else {
      expect_array<int64_t>(astype(s, int64), {5}, int64, {0, 1, 1, 2, 3});
      expect_array<uint32_t>(idx, {5}, uint32, {3, 1, 4, 2, 0});
    }
  }
}

TEST(Sort, NegativeAndHalfFloats) {
  for (auto dt : {int8, int16, int32, int64, float16, bfloat16, float32, float64}) {
    SCOPED_TRACE(dt);
    auto a = astype(array({5, -3, 0, -7, 2}), dt);
    expect_array<int64_t>(astype(sort(a), int64), {5}, int64, {-7, -3, 0, 2, 5});
    expect_array<uint32_t>(argsort(a), {5}, uint32, {3, 1, 2, 4, 0});
  }
  for (auto dt : {float16, bfloat16, float64}) {
    auto a = astype(array({1.0f, kNaN, -2.0f}), dt);
    auto v = values<float>(astype(sort(a), float32));
    EXPECT_EQ(v[0], -2.0f);
    EXPECT_EQ(v[1], 1.0f);
    EXPECT_TRUE(std::isnan(v[2]));
  }
}

TEST(Sort, ComplexIsLexicographic) {
  auto a = array({complex64_t(1, 2), complex64_t(kNaN, 0), complex64_t(1, 1), complex64_t(0, 5)});
  expect_array<uint32_t>(argsort(a), {4}, uint32, {3, 2, 0, 1});
  auto v = values<complex64_t>(sort(a));
  EXPECT_EQ(v[0], complex64_t(0, 5));
  EXPECT_EQ(v[1], complex64_t(1, 1));
  EXPECT_EQ(v[2], complex64_t(1, 2));
  EXPECT_TRUE(std::isnan(v[3].real()));
}

TEST(Sort, AxesAndOverloads) {
  auto a = array({3, 1, 2, 9, 7, 8}, {2, 3});
  expect_array<int>(sort(a, 1), {2, 3}, int32, {1, 2, 3, 7, 8, 9});
  expect_array<int>(sort(a, -1), {2, 3}, int32, {1, 2, 3, 7, 8, 9});
  expect_array<int>(sort(a, 0), {2, 3}, int32, {3, 1, 2, 9, 7, 8});
  expect_array<int>(sort(a), {6}, int32, {1, 2, 3, 7, 8, 9});
  expect_array<uint32_t>(argsort(a, 1), {2, 3}, uint32, {1, 2, 0, 1, 2, 0});
  expect_array<uint32_t>(argsort(a, 0), {2, 3}, uint32, {0, 0, 0, 1, 1, 1});
  expect_array<uint32_t>(argsort(a), {6}, uint32, {1, 2, 0, 4, 5, 3});
  auto b = array({4, 1, 0, 5, 2, 3, 7, 6}, {2, 2, 2});
  expect_array<int>(sort(b, 1), {2, 2, 2}, int32, {0, 1, 4, 5, 2, 3, 7, 6});
  // A transposed (strided) input and a broadcast one.
  expect_array<int>(sort(transpose(a), 0), {3, 2}, int32, {1, 7, 2, 8, 3, 9});
  expect_array<int>(sort(broadcast_to(array({2, 1}), {3, 2}), 1), {3, 2}, int32,
                    {1, 2, 1, 2, 1, 2});
  // A 0-d array sorts as one element when flattened.
  expect_array<int>(sort(array(4)), {1}, int32, {4});
}

TEST(Sort, StableOnTies) {
  auto a = array({2, 1, 2, 1, 0}, int32);
  expect_array<uint32_t>(argsort(a), {5}, uint32, {4, 1, 3, 0, 2});
  auto f = array({1.0f, 0.0f, 1.0f, 0.0f});
  expect_array<uint32_t>(argsort(f), {4}, uint32, {1, 3, 0, 2});
}

TEST(Sort, EmptyAxes) {
  auto a = zeros({0, 3});
  expect_array<float>(sort(a, 0), {0, 3}, float32, {});
  expect_array<uint32_t>(argsort(a, 0), {0, 3}, uint32, {});
  expect_array<float>(sort(zeros({3, 0}), 1), {3, 0}, float32, {});
  expect_array<float>(sort(zeros({0})), {0}, float32, {});
  expect_array<float>(topk(zeros({0}), 0), {0}, float32, {});
}

// Long lines take the radix sort; one huge line splits its passes over the pool.
TEST(Sort, RadixPathsMatchStableSort) {
  std::mt19937 gen(3);
  for (int n : {20000, 1 << 19}) {
    SCOPED_TRACE(n);
    std::uniform_real_distribution<float> dist(-100, 100);
    std::vector<float> v(n);
    for (auto& x : v) x = std::round(dist(gen) * 4) / 4;  // many ties
    std::vector<int> ints(n);
    for (int i = 0; i < n; ++i) ints[i] = static_cast<int>(v[i] * 4);
    std::vector<uint32_t> ref(n);
    std::iota(ref.begin(), ref.end(), 0u);
    std::stable_sort(ref.begin(), ref.end(), [&](uint32_t a, uint32_t b) { return v[a] < v[b]; });
    std::vector<float> sorted_ref(n);
    for (int i = 0; i < n; ++i) sorted_ref[i] = v[ref[i]];
    auto a = array(v.data(), {n}, float32);
    EXPECT_EQ(values<uint32_t>(argsort(a)), ref);
    EXPECT_EQ(values<float>(sort(a)), sorted_ref);
    auto ai = array(ints.data(), {n}, int32);
    EXPECT_EQ(values<uint32_t>(argsort(ai)), ref);
    auto au = astype(ai + array(1000), uint32);
    EXPECT_EQ(values<uint32_t>(argsort(au)), ref);
    // With NaN and -0 the value sort goes through the indices.
    v[5] = kNaN;
    v[7] = -0.0f;
    v[9] = 0.0f;
    auto b = array(v.data(), {n}, float32);
    auto sb = values<float>(sort(b));
    EXPECT_TRUE(std::isnan(sb.back()));
    EXPECT_TRUE(std::is_sorted(sb.begin(), sb.end() - 1));
    auto ib = values<uint32_t>(argsort(b));
    EXPECT_EQ(ib.back(), 5u);
    auto z7 = std::find(ib.begin(), ib.end(), 7u), z9 = std::find(ib.begin(), ib.end(), 9u);
    EXPECT_LT(z7, z9);
  }
  // Equal keys need no pass at all.
  int big = 1 << 18;
  std::vector<uint32_t> iota(big);
  std::iota(iota.begin(), iota.end(), 0u);
  EXPECT_EQ(values<uint32_t>(argsort(full({big}, 2.0f))), iota);
  EXPECT_EQ(values<float>(sort(full({big}, 2.0f))), std::vector<float>(big, 2.0f));
  // Sorted input is its own result; two sorted halves (each chunk sorted, the seam not) are not.
  auto up = astype(arange(big), float32);
  EXPECT_EQ(values<uint32_t>(argsort(up)), iota);
  EXPECT_EQ(values<float>(sort(up)), values<float>(up));
  auto halves = concatenate({slice(up, {big / 2}, {big}), slice(up, {0}, {big / 2})});
  EXPECT_EQ(values<float>(sort(halves)), values<float>(up));
  auto hidx = values<uint32_t>(argsort(halves));
  EXPECT_EQ(hidx[0], static_cast<uint32_t>(big / 2));
  EXPECT_EQ(hidx[big - 1], static_cast<uint32_t>(big / 2 - 1));
  // Many long lines, sorted along a non-last axis.
  auto m = astype(check::uniform({20000, 3}, -5, 5, 9), float32);
  auto sm = sort(m, 0);
  auto col = values<float>(slice(sm, {0, 1}, {20000, 2}));
  EXPECT_TRUE(std::is_sorted(col.begin(), col.end()));
}

// Floats crowding into a few top digits (the exponents of uniform values), positive and
// negative: a huge line (parallel passes) and long lines (one thread each) whose buckets take
// both the in-cache LSD and a second MSD split.
TEST(Sort, RadixSkewedFloats) {
  const int n = 1 << 21;
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) {
    uint32_t h = static_cast<uint32_t>(i) * 2654435761u;
    v[i] = static_cast<float>(h) / 4294967296.0f * (i % 3 == 0 ? -1.0f : 1.0f);
  }
  auto a = array(v.data(), {n}, float32);
  std::vector<uint32_t> ref(n);
  std::iota(ref.begin(), ref.end(), 0u);
  std::stable_sort(ref.begin(), ref.end(), [&](uint32_t x, uint32_t y) { return v[x] < v[y]; });
  std::vector<float> sorted_ref(n);
  for (int i = 0; i < n; ++i) sorted_ref[i] = v[ref[i]];
  EXPECT_EQ(values<float>(sort(a)), sorted_ref);
  EXPECT_EQ(values<uint32_t>(argsort(a)), ref);
  auto lines = values<float>(sort(reshape(a, {2, n / 2}), 1));
  for (int l = 0; l < 2; ++l) {
    std::vector<float> line(v.begin() + l * (n / 2), v.begin() + (l + 1) * (n / 2));
    std::sort(line.begin(), line.end());
    EXPECT_TRUE(std::equal(line.begin(), line.end(), lines.begin() + l * (n / 2))) << l;
  }
}

TEST(Sort, Errors) {
  auto a = zeros({2, 3});
  EXPECT_INVALID(sort(a, 2), "[sort] Received invalid axis 2 for array with 2 dimensions.");
  EXPECT_INVALID(argsort(a, -3), "[argsort] Received invalid axis -3 for array with 2 dimensions.");
  EXPECT_INVALID(sort(array(1.0f), 0),
                 "[sort] Received invalid axis 0 for array with 0 dimensions.");
}

TEST(Partition, KthInPlace) {
  std::vector<int> base{5, 1, 4, 2, 3, 0};
  auto a = array(base.data(), {6}, int32);
  for (int kth : {0, 2, 3, 5, -1, -4}) {
    SCOPED_TRACE(kth);
    int k = kth < 0 ? kth + 6 : kth;
    auto p = values<int>(partition(a, kth));
    auto ip = values<uint32_t>(argpartition(a, kth));
    EXPECT_EQ(p[k], k);
    for (int i = 0; i < 6; ++i) {
      EXPECT_EQ(p[i] < k, i < k) << i;
      EXPECT_EQ(p[i], base[ip[i]]);
    }
  }
  auto b = array({3.0f, kNaN, 1.0f, 2.0f}, {2, 2});
  auto pb = values<float>(partition(b, 0, 0));
  EXPECT_EQ(pb[0], 1.0f);
  EXPECT_EQ(pb[1], 2.0f);
  EXPECT_EQ(pb[2], 3.0f);
  EXPECT_TRUE(std::isnan(pb[3]));
  expect_array<uint32_t>(argpartition(b, 1, 1), {2, 2}, uint32, {0, 1, 0, 1});
  expect_array<int>(partition(array({3, 1, 2}, {3}), 1, 0), {3}, int32, {1, 2, 3});
  EXPECT_EQ(partition(astype(a, float16), 2).dtype(), float16);
}

TEST(Partition, Errors) {
  auto a = zeros({2, 3});
  EXPECT_INVALID(partition(a, 3, 1), "[partition] Received invalid kth 3 along axis 1 of size 3.");
  EXPECT_INVALID(argpartition(a, -3, 0),
                 "[argpartition] Received invalid kth -3 along axis 0 of size 2.");
  EXPECT_INVALID(partition(a, 0, 2),
                 "[partition] Received invalid axis 2 for array with 2 dimensions.");
  EXPECT_INVALID(partition(zeros({0}), 0),
                 "[partition] Received invalid kth 0 along axis 0 of size 0.");
}

TEST(TopK, LargestK) {
  auto a = array({5, 1, 9, 2, 7, 3}, int32);
  auto t = topk(a, 3);
  EXPECT_EQ(t.shape(), Shape{3});
  auto v = values<int>(t);
  // The smallest of the k first, the others in no particular order.
  EXPECT_EQ(v[0], 5);
  std::sort(v.begin(), v.end());
  EXPECT_EQ(v, (std::vector<int>{5, 7, 9}));
  expect_array<int>(sort(topk(a, 6)), {6}, int32, {1, 2, 3, 5, 7, 9});
  expect_array<int>(topk(a, 0), {0}, int32, {});
  auto m = array({1.0f, 4.0f, 2.0f, 8.0f, 6.0f, 7.0f}, {2, 3});
  auto tm = topk(m, 1, 1);
  expect_array<float>(tm, {2, 1}, float32, {4.0f, 8.0f});
  expect_array<float>(topk(m, 1, 0), {1, 3}, float32, {8.0f, 6.0f, 7.0f});
  EXPECT_INVALID(topk(a, 7), "[topk] Received invalid k 7 along axis 0 of size 6.");
  EXPECT_INVALID(topk(a, -1), "[topk] Received invalid k -1 along axis 0 of size 6.");
  EXPECT_INVALID(topk(a, 1, 1), "[topk] Received invalid axis 1 for array with 1 dimensions.");
}

TEST(Median, OverloadsAndDtypes) {
  auto a = array({3.0f, 1.0f, 2.0f, 8.0f, 4.0f, 6.0f}, {2, 3});
  expect_array<float>(median(a), {}, float32, {3.5f});
  expect_array<float>(median(a, true), {1, 1}, float32, {3.5f});
  expect_array<float>(median(a, 1), {2}, float32, {2.0f, 6.0f});
  expect_array<float>(median(a, 0, true), {1, 3}, float32, {5.5f, 2.5f, 4.0f});
  expect_array<float>(median(a, std::vector<int>{0, 1}), {}, float32, {3.5f});
  expect_array<float>(median(a, std::vector<int>{}), {2, 3}, float32,
                      {3.0f, 1.0f, 2.0f, 8.0f, 4.0f, 6.0f});
  // Integers give float32; half floats stay.
  expect_array<float>(median(array({1, 4, 2, 7}, int32)), {}, float32, {3.0f});
  expect_array<float>(median(array({true, false, true})), {}, float32, {1.0f});
  auto h = median(astype(array({65504.0f, 65504.0f}), float16));
  EXPECT_EQ(h.dtype(), float16);
  EXPECT_EQ(values<float>(astype(h, float32))[0], 65504.0f);
  auto c = reshape(arange(24), {2, 3, 4});
  expect_array<float>(median(c, std::vector<int>{0, 2}), {3}, float32, {7.5f, 11.5f, 15.5f});
  expect_array<float>(median(c, std::vector<int>{2, 0}, true), {1, 3, 1}, float32,
                      {7.5f, 11.5f, 15.5f});
}

TEST(Median, NaNAndEmpty) {
  auto a = array({1.0f, kNaN, 3.0f, 2.0f, kInf, 0.0f}, {2, 3});
  auto m = values<float>(median(a, 1));
  EXPECT_TRUE(std::isnan(m[0]));
  EXPECT_EQ(m[1], 2.0f);
  EXPECT_EQ(values<float>(median(array({kInf, 1.0f})))[0], kInf);
  // A negative zero median keeps its sign (the NaN check adds nothing to it).
  EXPECT_TRUE(std::signbit(values<float>(median(array({-0.0f})))[0]));
  EXPECT_TRUE(std::signbit(values<float>(median(array({-0.0f, -0.0f})))[0]));
  auto z = values<float>(median(array({-0.0f, 1.0f, -0.0f, -0.0f, kNaN, -0.0f}, {2, 3}), 1));
  EXPECT_TRUE(std::signbit(z[0]) && z[0] == 0.0f);
  EXPECT_TRUE(std::isnan(z[1]));
  auto e = median(zeros({0, 2}), 0);
  EXPECT_EQ(e.shape(), Shape{2});
  EXPECT_TRUE(std::isnan(values<float>(e)[0]));
  EXPECT_INVALID(median(a, 2), "[median] Received invalid axis 2 for array with 2 dimensions.");
  EXPECT_INVALID(median(a, std::vector<int>{1, -1}),
                 "[median] Received duplicate axis 1 in axes (1,-1) for array with 2 dimensions.");
}

// ---- derivative and batching rules ----

namespace {
using V = std::vector<array>;
array x34() { return check::uniform({3, 4}, -1, 1, 21); }
}  // namespace

TEST(SortHarness, Sort) {
  check::Fn f = [](const V& in) { return V{sort(in[0], 1)}; };
  check::grads(f, {x34()});
  check::vmaps(f, {x34()});
  check::Fn g = [](const V& in) { return V{sort(in[0], 0)}; };
  check::grads(g, {x34()});
  check::vmaps(g, {x34()});
  check::Fn h = [](const V& in) { return V{sort(in[0])}; };
  check::grads(h, {x34()});
}

TEST(SortHarness, ArgSortAndArgPartition) {
  check::vmaps([](const V& in) { return V{argsort(in[0], 1)}; }, {x34()});
  check::vmaps([](const V& in) { return V{argsort(in[0], 0)}; }, {x34()});
  check::vmaps([](const V& in) { return V{argpartition(in[0], 1, 1)}; }, {x34()});
  // No gradient flows through indices.
  auto g = grad([](const array& x) { return sum(astype(argsort(x), float32) * x); })(
      array({2.0f, 1.0f}));
  expect_array<float>(g, {2}, float32, {1.0f, 0.0f});
}

TEST(SortHarness, PartitionAndTopK) {
  check::Fn f = [](const V& in) { return V{partition(in[0], 2, 1)}; };
  check::grads(f, {x34()});
  check::vmaps(f, {x34()});
  check::Fn g = [](const V& in) { return V{topk(in[0], 2, 0)}; };
  check::grads(g, {x34()});
  check::vmaps(g, {x34()});
}

TEST(SortHarness, Median) {
  check::Fn f = [](const V& in) { return V{median(in[0], 1)}; };
  check::grads(f, {x34()});
  check::vmaps(f, {x34()});
  check::Fn g = [](const V& in) { return V{median(in[0], std::vector<int>{0, 1})}; };
  check::grads(g, {x34()});
}

TEST(SortHarness, SecondOrder) {
  // sort's rule is written with ops, so grad of grad works.
  auto f = [](const array& x) { return sum(sort(x) * sort(x) * array(0.5, float64)); };
  auto x = array({3.0, -1.0, 2.0});
  check::expect_same(grad(f)(x), x);
  check::expect_same(grad([&](const array& y) { return sum(grad(f)(y)); })(x),
                     array({1.0, 1.0, 1.0}));
}
