// Gather and scatter: gather, take, take_along_axis, scatter (plain, add, prod, max, min),
// put_along_axis and scatter_add_axis — shapes, every dtype of the array and of the indices,
// broadcasting, wrapping and out-of-range indices, duplicates, the errors, and the derivative
// and batching rules.
#include <gtest/gtest.h>

#include <complex>
#include <cstdint>
#include <limits>
#include <vector>

#include "check.h"
#include "helpers.h"
#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

const std::vector<Dtype> kAllDtypes = {bool_,   uint8,   uint16,   uint32,   uint64,
                                       int8,    int16,   int32,    int64,    float16,
                                       float32, float64, bfloat16, complex64};
const std::vector<Dtype> kIndexDtypes = {uint8, uint16, uint32, uint64, int8, int16, int32, int64};

// The message of the runtime error evaluating x raises.
std::string eval_error(const array& x) {
  try {
    eval(x);
  } catch (const std::runtime_error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<other exception: ") + e.what() + ">";
  }
  return "<no exception>";
}

}  // namespace

// ---- gather and take ----

TEST(Gather, RowsElementsAndWideSlices) {
  auto a = iota({3, 4});
  expect_array<int32_t>(gather(a, array({2, 0}), 0, {1, 4}), {2, 1, 4}, int32,
                        {8, 9, 10, 11, 0, 1, 2, 3});
  expect_array<int32_t>(gather(a, {array({0, 2}), array({1, 3})}, {0, 1}, {1, 1}), {2, 1, 1}, int32,
                        {1, 11});
  // A slice two wide along the indexed axis, and a partial one along the other.
  expect_array<int32_t>(gather(a, array({1}), 1, {2, 2}), {1, 2, 2}, int32, {1, 2, 5, 6});
  // Index arrays broadcast together; the output has their shape first.
  expect_array<int32_t>(gather(a, {array({0, 2}, {2, 1}), array({1, 2, 3})}, {0, 1}, {1, 1}),
                        {2, 3, 1, 1}, int32, {1, 2, 3, 9, 10, 11});
  // Axes in any order, negative axes, scalar indices.
  expect_array<int32_t>(gather(a, {array(3), array(1)}, {-1, 0}, {1, 1}), {1, 1}, int32, {7});
  // No index arrays: one slice from the origin.
  expect_array<int32_t>(gather(a, std::vector<array>{}, {}, {2, 3}), {2, 3}, int32,
                        {0, 1, 2, 4, 5, 6});
  // A strided source (a transpose) and a big slice copied by several threads.
  expect_array<int32_t>(gather(transpose(a), array({2}), 0, {1, 3}), {1, 1, 3}, int32, {2, 6, 10});
  auto cols = gather(transpose(iota({40000, 2})), array({1}), 0, {1, 40000});
  auto cv = values<int32_t>(cols);
  EXPECT_EQ(cv[0], 1);
  EXPECT_EQ(cv[39999], 79999);
  auto big = iota({4, 100000});
  auto g = gather(big, array({3, 1}), 0, {1, 100000});
  EXPECT_EQ(g.shape(), (Shape{2, 1, 100000}));
  auto v = values<int32_t>(g);
  EXPECT_EQ(v[0], 300000);
  EXPECT_EQ(v[99999], 399999);
  EXPECT_EQ(v[100000], 100000);
  EXPECT_EQ(v[199999], 199999);
}

TEST(Gather, WrapsNegativeIndicesAndRejectsOutOfRange) {
  auto a = iota({5});
  expect_array<int32_t>(take(a, array({-1, -5, 0, 4})), {4}, int32, {4, 0, 0, 4});
  EXPECT_EQ(eval_error(take(a, array({1, 7}))),
            "[gather] Index 7 is out of range for axis 0 of size 5.");
  EXPECT_EQ(eval_error(take(a, array({-6}))),
            "[gather] Index -6 is out of range for axis 0 of size 5.");
  EXPECT_EQ(eval_error(take(a, array({std::numeric_limits<uint64_t>::max()}, uint64))),
            "[gather] Index 18446744073709551615 is out of range for axis 0 of size 5.");
  EXPECT_EQ(eval_error(take(a, array({200}, uint8))),
            "[gather] Index 200 is out of range for axis 0 of size 5.");
  auto m = iota({3, 4});
  EXPECT_EQ(eval_error(take(m, array({0, 4}), 1)),
            "[gather] Index 4 is out of range for axis 1 of size 4.");
  // A slice must fit after its start.
  EXPECT_EQ(eval_error(gather(m, array({3}), 1, {3, 2})),
            "[gather] Index 3 is out of range for axis 1 of size 4 with slices of size 2.");
  // Out of range on a large parallel take; the array and later work are unaffected.
  auto idx = astype(arange(100000), int32);
  auto bad = concatenate({idx, array({100000})});
  auto big = iota({100000});
  EXPECT_EQ(eval_error(take(big, bad)),
            "[gather] Index 100000 is out of range for axis 0 of size 100000.");
  EXPECT_EQ(values<int32_t>(take(big, array({99999})))[0], 99999);
  // Indices into an empty axis are all out of range, unless there are none.
  EXPECT_EQ(eval_error(take(zeros({0}), array({0}))),
            "[gather] Index 0 is out of range for axis 0 of size 0.");
  expect_array<float>(take(zeros({0}), array(std::initializer_list<int>{})), {0}, float32, {});
}

TEST(Take, AxisFormsAndFlattenedForms) {
  auto a = iota({3, 4});
  expect_array<int32_t>(take(a, array({2, 0}), 1), {3, 2}, int32, {2, 0, 6, 4, 10, 8});
  expect_array<int32_t>(take(a, array({2, 0}), 0), {2, 4}, int32, {8, 9, 10, 11, 0, 1, 2, 3});
  expect_array<int32_t>(take(a, array({0, 1, 3, 3}, {2, 2}), 1), {3, 2, 2}, int32,
                        {0, 1, 3, 3, 4, 5, 7, 7, 8, 9, 11, 11});
  expect_array<int32_t>(take(a, array({1, 2}, {2, 1}), -2), {2, 1, 4}, int32,
                        {4, 5, 6, 7, 8, 9, 10, 11});
  // Middle axis of a 3-D array: the index dims take its place.
  auto b = iota({2, 3, 2});
  expect_array<int32_t>(take(b, array({2, 0}), 1), {2, 2, 2}, int32, {4, 5, 0, 1, 10, 11, 6, 7});
  // An int index removes the axis.
  expect_array<int32_t>(take(a, 1, 1), {3}, int32, {1, 5, 9});
  expect_array<int32_t>(take(a, -1, 0), {4}, int32, {8, 9, 10, 11});
  expect_array<int32_t>(take(a, array(2), 1), {3}, int32, {2, 6, 10});
  // Flattened.
  expect_array<int32_t>(take(a, array({5, 0, -1})), {3}, int32, {5, 0, 11});
  expect_array<int32_t>(take(a, array({5, 0, 7, 1}, {2, 2})), {2, 2}, int32, {5, 0, 7, 1});
  expect_array<int32_t>(take(a, 7), {}, int32, {7});
  expect_array<int32_t>(take(array(5), 0), {}, int32, {5});
  EXPECT_EQ(eval_error(take(a, 12)), "[gather] Index 12 is out of range for axis 0 of size 12.");
}

TEST(Take, EveryDtypeAndIndexDtype) {
  for (auto dt : kAllDtypes) {
    auto a = astype(array({0, 1, 2, 3, 4, 5}, {2, 3}), dt);
    auto r = take(a, array({2, 0}), 1);
    EXPECT_EQ(r.dtype(), dt);
    auto expect = astype(array({2, 0, 5, 3}, {2, 2}), dt);
    EXPECT_TRUE(array_equal(r, expect).item<bool>()) << dt;
    auto g = gather(a, array({1}), 0, {1, 2});
    EXPECT_TRUE(array_equal(g, astype(array({3, 4}, {1, 1, 2}), dt)).item<bool>()) << dt;
  }
  auto c = astype(array({1.0f, 3.0f}), complex64) +
           array(std::complex<float>(0, 1)) * array({2.0f, -4.0f});
  auto cv = values<complex64_t>(take(c, array({1, 1, 0})));
  EXPECT_EQ(cv[0], complex64_t(3, -4));
  EXPECT_EQ(cv[2], complex64_t(1, 2));
  auto a = iota({10});
  for (auto it : kIndexDtypes) {
    expect_array<int32_t>(take(a, astype(array({9, 3}), it)), {2}, int32, {9, 3});
    expect_array<int32_t>(take_along_axis(a, astype(array({9, 3}), it), 0), {2}, int32, {9, 3});
  }
  for (auto it : {int8, int16, int32, int64}) {
    expect_array<int32_t>(take(a, astype(array({-1, -10}), it)), {2}, int32, {9, 0});
  }
  // Different index dtypes in one gather.
  auto m = iota({3, 4});
  expect_array<int32_t>(gather(m, {array({2}, uint8), array({-1}, int64)}, {0, 1}, {1, 1}),
                        {1, 1, 1}, int32, {11});
}

TEST(Take, LargeTakeMatchesLoop) {
  // The parallel one-element path, with a non-contiguous index array.
  const int n = 1 << 16;
  auto a = astype(arange(n), float32) * array(0.5f);
  auto idx = astype(remainder(arange(3 * n) * array(7919), array(n)), uint32);
  auto strided = slice(idx, {0}, {3 * n}, {3});
  auto r = take(a, strided);
  auto iv = values<uint32_t>(strided);
  auto rv = values<float>(r);
  ASSERT_EQ(rv.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(rv[i], 0.5f * static_cast<float>(iv[i])) << i;
  }
}

TEST(Gather, Errors) {
  auto a = iota({3, 4});
  EXPECT_INVALID(gather(a, array({0}), 2, {1, 1}),
                 "[gather] Received invalid axis 2 for array with 2 dimensions.");
  EXPECT_INVALID(gather(a, {array({0}), array({0})}, {0}, {1, 1}),
                 "[gather] Got 2 index arrays for 1 axes (0).");
  EXPECT_INVALID(gather(a, {array({0}), array({0}), array({0})}, {0, 1, 1}, {1, 1}),
                 "[gather] Got 3 index arrays for an array with 2 dimensions.");
  EXPECT_INVALID(gather(a, {array({0}), array({0})}, {1, -1}, {1, 1}),
                 "[gather] Received duplicate axis 1 in axes (1,1).");
  EXPECT_INVALID(gather(a, array({0}), 0, {1}),
                 "[gather] Slice sizes (1) must give each dimension a size from 0 to the array's, "
                 "(3,4).");
  EXPECT_INVALID(gather(a, array({0}), 0, {1, 5}),
                 "[gather] Slice sizes (1,5) must give each dimension a size from 0 to the "
                 "array's, (3,4).");
  EXPECT_INVALID(gather(a, array({0.5f}), 0, {1, 4}),
                 "[gather] Indices must have an integer dtype, got float32.");
  EXPECT_INVALID(gather(a, array({true}), 0, {1, 4}),
                 "[gather] Indices must have an integer dtype, got bool.");
  EXPECT_INVALID(gather(a, {array({0, 1}), array({0, 1, 2})}, {0, 1}, {1, 1}),
                 "[gather] Index arrays of shapes (2) (3) cannot be broadcast together.");
  EXPECT_INVALID(take(a, array({0}), 2),
                 "[take] Received invalid axis 2 for array with 2 dimensions.");
  EXPECT_INVALID(take(a, 0, -3), "[take] Received invalid axis -3 for array with 2 dimensions.");
  EXPECT_INVALID(take(a, array({1.0})), "[take] Indices must have an integer dtype, got float32.");
  EXPECT_INVALID(take(array(1), array({0}), 0),
                 "[take] Received invalid axis 0 for array with 0 dimensions.");
}

// ---- take_along_axis ----

TEST(TakeAlongAxis, PicksAlongTheAxisAndBroadcasts) {
  auto a = array({10, 30, 20, 60, 40, 50}, {2, 3});
  expect_array<int32_t>(take_along_axis(a, argsort(a, 1), 1), {2, 3}, int32,
                        {10, 20, 30, 40, 50, 60});
  expect_array<int32_t>(take_along_axis(a, array({1, 0, 1}, {1, 3}), 0), {1, 3}, int32,
                        {60, 30, 50});
  expect_array<int32_t>(take_along_axis(a, array({-1, 0}, {2, 1}), 1), {2, 1}, int32, {20, 60});
  // Indices broadcast against a except along the axis, and a against them.
  expect_array<int32_t>(take_along_axis(a, array({2, 2, 0, 1}, {1, 4}), 1), {2, 4}, int32,
                        {20, 20, 10, 30, 50, 50, 60, 40});
  expect_array<int32_t>(take_along_axis(array({1, 2, 3}, {1, 3}), array({0, 2}, {2, 1}), 1), {2, 1},
                        int32, {1, 3});
  // Middle axis of a transposed 3-D array.
  auto b = transpose(iota({2, 3, 4}), {2, 1, 0});  // shape (4, 3, 2)
  auto i = array({2, 0}, {1, 2, 1});
  auto r = take_along_axis(b, i, 1);
  EXPECT_EQ(r.shape(), (Shape{4, 2, 2}));
  expect_array<int32_t>(r, {4, 2, 2}, int32,
                        {8, 20, 0, 12, 9, 21, 1, 13, 10, 22, 2, 14, 11, 23, 3, 15});
  for (auto dt : kAllDtypes) {
    auto x = astype(array({0, 1, 2, 3}, {2, 2}), dt);
    auto y = take_along_axis(x, array({1, 0, 0, 0}, {2, 2}), 1);
    EXPECT_TRUE(array_equal(y, astype(array({1, 0, 2, 2}, {2, 2}), dt)).item<bool>()) << dt;
  }
  EXPECT_EQ(eval_error(take_along_axis(a, array({3}, {1, 1}), 1)),
            "[take_along_axis] Index 3 is out of range for axis 1 of size 3.");
  EXPECT_INVALID(take_along_axis(a, array({0}), 1),
                 "[take_along_axis] Indices of shape (1) must have the 2 dimensions of the array.");
  EXPECT_INVALID(take_along_axis(a, array({0, 0, 0}, {3, 1}), 1),
                 "[take_along_axis] Indices of shape (3,1) cannot be broadcast against an array of "
                 "shape (2,3) except along axis 1.");
  EXPECT_INVALID(take_along_axis(a, array({0.0f}, {1, 1}), 1),
                 "[take_along_axis] Indices must have an integer dtype, got float32.");
  EXPECT_INVALID(take_along_axis(a, array({0}, {1, 1}), 2),
                 "[take_along_axis] Received invalid axis 2 for array with 2 dimensions.");
}

// ---- scatter ----

TEST(Scatter, WritesSlicesAndLastDuplicateWins) {
  auto a = zeros({5}, int32);
  expect_array<int32_t>(scatter(a, array({1, 3}), array({10, 20}, {2, 1}), 0), {5}, int32,
                        {0, 10, 0, 20, 0});
  // Duplicates: the last write in row-major order wins.
  expect_array<int32_t>(scatter(a, array({1, 1, -4}), array({5, 7, 9}, {3, 1}), 0), {5}, int32,
                        {0, 9, 0, 0, 0});
  auto m = zeros({3, 4}, float32);
  expect_array<float>(scatter(m, array({2, 0}), array({1, 2, 3, 4, 5, 6, 7, 8}, {2, 1, 4}), 0),
                      {3, 4}, float32, {5, 6, 7, 8, 0, 0, 0, 0, 1, 2, 3, 4});
  // A partial slice starts at 0 along the other axes.
  expect_array<float>(scatter(m, array({1}), array({1.0f, 2.0f}, {1, 1, 2}), 0), {3, 4}, float32,
                      {0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0});
  // Two index arrays, broadcast together; updates broadcast along the index dims.
  expect_array<float>(
      scatter(m, {array({0, 2}, {2, 1}), array({1, 3})}, full({1, 1, 1, 1}, 9.0f), {0, 1}), {3, 4},
      float32, {0, 9, 0, 9, 0, 0, 0, 0, 0, 9, 0, 9});
  // Along the last axis, with a column slice; updates are cast to a's dtype.
  expect_array<int32_t>(
      scatter(zeros({2, 3}, int32), array({2}), array({1.7f, 2.2f}, {1, 2, 1}), 1), {2, 3}, int32,
      {0, 0, 1, 0, 0, 2});
  // No index arrays: a slice update at the origin.
  expect_array<int32_t>(
      scatter(zeros({2, 2}, int32), std::vector<array>{}, array({4}, {1, 1}), std::vector<int>{}),
      {2, 2}, int32, {4, 0, 0, 0});
  // a itself is unchanged.
  auto x = iota({4});
  auto y = scatter(x, array({0}), array({9}, {1, 1}), 0);
  eval(y);
  expect_array<int32_t>(x, {4}, int32, {0, 1, 2, 3});
  expect_array<int32_t>(y, {4}, int32, {9, 1, 2, 3});
  // A slice of several rows, along the last axis.
  expect_array<int32_t>(
      scatter_add(zeros({3, 4}, int32), array({1}), iota({1, 3, 2}) + array(1), 1), {3, 4}, int32,
      {0, 1, 2, 0, 0, 3, 4, 0, 0, 5, 6, 0});
  // Large slices (the parallel path) into a strided a.
  auto big = transpose(zeros({50000, 2}, int32));
  auto s = scatter(big, array({1}), ones({1, 1, 50000}, int32), 0);
  auto sv = values<int32_t>(s);
  EXPECT_EQ(sv[0], 0);
  EXPECT_EQ(sv[49999], 0);
  EXPECT_EQ(sv[50000], 1);
  EXPECT_EQ(sv[99999], 1);
}

TEST(Scatter, ReductionsCombineDuplicates) {
  auto a = array({1, 2, 3, 4}, int32);
  auto idx = array({1, 1, 3, -1});
  auto upd = array({5, 6, -7, 2}, {4, 1});
  expect_array<int32_t>(scatter_add(a, idx, upd, 0), {4}, int32, {1, 13, 3, -1});
  expect_array<int32_t>(scatter_prod(a, idx, upd, 0), {4}, int32, {1, 60, 3, -56});
  expect_array<int32_t>(scatter_max(a, idx, upd, 0), {4}, int32, {1, 6, 3, 4});
  expect_array<int32_t>(scatter_min(a, idx, upd, 0), {4}, int32, {1, 2, 3, -7});
  // Every dtype.
  for (auto dt : kAllDtypes) {
    auto x = astype(array({1, 0, 1}), dt);
    auto i = array({0, 2, 0});
    auto u = astype(array({1, 1, 1}, {3, 1}), dt);
    auto add = scatter_add(x, i, u, 0);
    auto prod = scatter_prod(x, i, u, 0);
    auto mx = scatter_max(x, i, u, 0);
    auto mn = scatter_min(x, i, u, 0);
    auto set = scatter(x, i, u, 0);
    for (auto& r : {add, prod, mx, mn, set}) EXPECT_EQ(r.dtype(), dt);
    if (dt == bool_) {
      EXPECT_TRUE(array_equal(add, array({true, false, true})).item<bool>());
    } else {
      EXPECT_TRUE(array_equal(add, astype(array({3, 0, 2}), dt)).item<bool>()) << dt;
    }
    EXPECT_TRUE(array_equal(prod, astype(array({1, 0, 1}), dt)).item<bool>()) << dt;
    EXPECT_TRUE(array_equal(mx, astype(array({1, 0, 1}), dt)).item<bool>()) << dt;
    EXPECT_TRUE(array_equal(mn, astype(array({1, 0, 1}), dt)).item<bool>()) << dt;
    EXPECT_TRUE(array_equal(set, astype(array({1, 0, 1}), dt)).item<bool>()) << dt;
  }
  // Integers wrap; NaN propagates through max and min.
  expect_array<int8_t>(
      scatter_add(array({int8_t{120}}), array({0, 0}), array({int8_t{5}, int8_t{5}}, {2, 1}), 0),
      {1}, int8, {-126});
  auto nan = std::numeric_limits<float>::quiet_NaN();
  auto f = scatter_max(array({1.0f, 2.0f}), array({0, 0, 1}), array({nan, 3.0f, 1.0f}, {3, 1}), 0);
  auto fv = values<float>(f);
  EXPECT_TRUE(std::isnan(fv[0]));
  EXPECT_EQ(fv[1], 2.0f);
  // Slices of a reduction.
  auto m = ones({2, 3}, float32);
  expect_array<float>(scatter_add(m, array({1, 1}), full({2, 1, 3}, 2.0f), 0), {2, 3}, float32,
                      {1, 1, 1, 5, 5, 5});
  // Complex max compares lexicographically.
  auto c = reshape(array(std::complex<float>(1, 5)), {1});
  auto cm = scatter_max(c, array({0}), reshape(array(std::complex<float>(1, 6)), {1, 1}), 0);
  EXPECT_EQ(values<complex64_t>(cm)[0], complex64_t(1, 6));
}

TEST(Scatter, ManyUpdatesInParallelStayInOrder) {
  // 100000 updates to 1000 positions, 100 each: the threads split the output.
  const int n = 100000, m = 1000;
  auto idx = remainder(arange(n) * array(7919), array(m));
  auto counts = scatter_add(zeros({m}, int32), idx, ones({n, 1}, int32), 0);
  EXPECT_EQ(values<int32_t>(counts), std::vector<int32_t>(m, 100));
  std::vector<int32_t> last(m);
  for (int i = 0; i < n; ++i) last[(static_cast<int64_t>(i) * 7919) % m] = i;
  expect_array<int32_t>(scatter(zeros({m}, int32), idx, reshape(arange(n), {n, 1}), 0), {m}, int32,
                        last);
  auto bad = concatenate({idx, array({m})});
  EXPECT_EQ(eval_error(scatter_max(zeros({m}, int32), bad, ones({n + 1, 1}, int32), 0)),
            "[scatter_max] Index 1000 is out of range for axis 0 of size 1000.");
}

TEST(Scatter, OutOfRangeAndErrors) {
  auto a = zeros({5}, float32);
  auto u = ones({1, 1});
  EXPECT_EQ(eval_error(scatter_add(a, array({5}), u, 0)),
            "[scatter_add] Index 5 is out of range for axis 0 of size 5.");
  EXPECT_EQ(eval_error(scatter(a, array({-6}), u, 0)),
            "[scatter] Index -6 is out of range for axis 0 of size 5.");
  EXPECT_EQ(eval_error(scatter_prod(a, array({9}, uint16), u, 0)),
            "[scatter_prod] Index 9 is out of range for axis 0 of size 5.");
  EXPECT_EQ(eval_error(scatter_max(a, array({4}), ones({1, 2}), 0)),
            "[scatter_max] Index 4 is out of range for axis 0 of size 5 with slices of size 2.");
  EXPECT_EQ(eval_error(scatter_min(a, array({100}), u, 0)),
            "[scatter_min] Index 100 is out of range for axis 0 of size 5.");
  auto m = zeros({3, 4});
  EXPECT_INVALID(scatter(m, array({0}), ones({1, 4}), 0),
                 "[scatter] Updates of shape (1,4) must be the index shape (1) followed by a slice "
                 "no larger than the array's shape (3,4).");
  EXPECT_INVALID(scatter_add(m, array({0}), ones({1, 1, 5}), 0),
                 "[scatter_add] Updates of shape (1,1,5) must be the index shape (1) followed by a "
                 "slice no larger than the array's shape (3,4).");
  EXPECT_INVALID(scatter(m, array({0, 1}), ones({3, 1, 4}), 0),
                 "[scatter] Updates of shape (3,1,4) must be the index shape (2) followed by a "
                 "slice no larger than the array's shape (3,4).");
  EXPECT_INVALID(scatter(m, array({0.0f}), ones({1, 1, 4}), 0),
                 "[scatter] Indices must have an integer dtype, got float32.");
  EXPECT_INVALID(scatter_min(m, array({0}), ones({1, 1, 4}), 2),
                 "[scatter_min] Received invalid axis 2 for array with 2 dimensions.");
  EXPECT_INVALID(scatter_prod(m, {array({0}), array({0})}, ones({1, 1, 1}), {0, 0}),
                 "[scatter_prod] Received duplicate axis 0 in axes (0,0).");
  EXPECT_INVALID(scatter_max(m, {array({0})}, ones({1, 1, 1}), {0, 1}),
                 "[scatter_max] Got 1 index arrays for 2 axes (0,1).");
}

// ---- put_along_axis and scatter_add_axis ----

TEST(PutAlongAxis, WritesAndAddsAlongTheAxis) {
  auto a = zeros({2, 3}, int32);
  auto idx = array({2, 0, 1, 1}, {2, 2});
  auto v = array({1, 2, 3, 4}, {2, 2});
  // Row 1 writes position 1 twice: the last write wins; scatter_add_axis adds both.
  expect_array<int32_t>(put_along_axis(a, idx, v, 1), {2, 3}, int32, {2, 0, 1, 0, 4, 0});
  expect_array<int32_t>(scatter_add_axis(a, idx, v, 1), {2, 3}, int32, {2, 0, 1, 0, 7, 0});
  // Along axis 0, indices broadcast against a and values against the indices.
  expect_array<int32_t>(put_along_axis(a, array({1}, {1, 1}), array(5), 0), {2, 3}, int32,
                        {0, 0, 0, 5, 5, 5});
  expect_array<int32_t>(scatter_add_axis(a, array({1, 1, -1}, {3, 1}), array({1, 2, 3}, {3, 1}), 0),
                        {2, 3}, int32, {0, 0, 0, 6, 6, 6});
  // Values cast to a's dtype; every dtype.
  for (auto dt : kAllDtypes) {
    auto x = zeros({3}, dt);
    auto p = put_along_axis(x, array({2, 0}), array({1, 1}), 0);
    EXPECT_EQ(p.dtype(), dt);
    EXPECT_TRUE(array_equal(p, astype(array({1, 0, 1}), dt)).item<bool>()) << dt;
    auto s = scatter_add_axis(x, array({2, 2}), array({1, 0}), 0);
    EXPECT_TRUE(array_equal(s, astype(array({0, 0, 1}), dt)).item<bool>()) << dt;
  }
  // A long post dimension (several blocks) and many rows (the parallel paths).
  auto big = zeros({3, 2000}, float32);
  auto bi = broadcast_to(array({2, 0}, {2, 1}), {2, 2000});
  auto r = scatter_add_axis(big, bi, ones({2, 2000}), 0);
  auto rv = values<float>(r);
  EXPECT_EQ(rv[0], 1.0f);
  EXPECT_EQ(rv[1999], 1.0f);
  EXPECT_EQ(rv[2000], 0.0f);
  EXPECT_EQ(rv[4000], 1.0f);
  EXPECT_EQ(rv[5999], 1.0f);
  auto rows = zeros({40000, 3}, int32);
  auto ri = broadcast_to(array({1}, {1, 1}), {40000, 1});
  auto rr = put_along_axis(rows, ri, array(3), 1);
  auto rrv = values<int32_t>(rr);
  EXPECT_EQ(rrv[1], 3);
  EXPECT_EQ(rrv[3 * 39999 + 1], 3);
  EXPECT_EQ(rrv[3 * 39999 + 2], 0);
  EXPECT_EQ(eval_error(put_along_axis(a, array({3}, {1, 1}), array(1), 1)),
            "[put_along_axis] Index 3 is out of range for axis 1 of size 3.");
  EXPECT_EQ(eval_error(scatter_add_axis(a, array({-4}, {1, 1}), array(1), 1)),
            "[scatter_add_axis] Index -4 is out of range for axis 1 of size 3.");
  EXPECT_INVALID(put_along_axis(a, array({0}), array(1), 1),
                 "[put_along_axis] Indices of shape (1) must have the 2 dimensions of the array.");
  EXPECT_INVALID(scatter_add_axis(a, array({0, 0, 0}, {3, 1}), array(1), 1),
                 "[scatter_add_axis] Indices of shape (3,1) cannot be broadcast against an array "
                 "of shape (2,3) except along axis 1.");
  EXPECT_INVALID(put_along_axis(a, array({0}, {1, 1}), array({1, 2, 3}), 1),
                 "[put_along_axis] Values of shape (3) cannot be broadcast to the indices' shape "
                 "(2,1).");
  EXPECT_INVALID(put_along_axis(a, array({0.0f}, {1, 1}), array(1), 1),
                 "[put_along_axis] Indices must have an integer dtype, got float32.");
}

// ---- derivative and batching rules ----

namespace {
using V = std::vector<array>;
}  // namespace

TEST(GatherTransforms, GatherAndTakeGrads) {
  auto a = check::uniform({4, 3});
  // Duplicates accumulate in the vjp (a scatter_add).
  auto rows = array({3, 0, 3, -1});
  auto cols = array({2, -3, 1, 1});
  check::grads([&](const V& x) { return V{take(x[0], rows, 0)}; }, {a});
  check::grads([&](const V& x) { return V{take(x[0], cols, 1)}; }, {a});
  check::grads([&](const V& x) { return V{take(x[0], rows)}; }, {a});
  check::grads([&](const V& x) { return V{take(x[0], 5)}; }, {a});
  check::grads([&](const V& x) { return V{gather(x[0], {rows, cols}, {0, 1}, {1, 1})}; }, {a});
  check::grads([&](const V& x) { return V{gather(x[0], array({1, 0}), 1, {3, 2})}; }, {a});
  auto idx = array({2, 0, 1, 1, 1, 0, 0, 2, 2, 1, 0, 0}, {4, 3});
  check::grads([&](const V& x) { return V{take_along_axis(x[0], idx, 1)}; }, {a});
  check::grads(
      [&](const V& x) {
        return V{take_along_axis(x[0], array({3, 0, 0}, {1, 3}), 0)};
      },
      {a});
  // Index arrays get zero cotangents.
  auto [outs, vjps] =
      vjp([](const V& x) { return V{take(x[0], x[1], 0)}; }, {a, array({1, 2})}, {ones({2, 3})});
  expect_array<int32_t>(vjps[1], {2}, int32, {0, 0});
  expect_array<double>(vjps[0], {4, 3}, float64, {0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0});
}

TEST(GatherTransforms, ScatterGrads) {
  auto a = check::uniform({5, 3}, -1, 1, 3);
  auto idx = array({4, 0, -4});  // no duplicates: a plain scatter's winner is unique
  auto dup = array({4, 0, -1, 2});
  auto upd = check::uniform({3, 1, 3}, -1, 1, 4);
  auto upd4 = check::uniform({4, 1, 3}, -1, 1, 5);
  check::grads([&](const V& x) { return V{scatter(x[0], idx, x[1], 0)}; }, {a, upd});
  check::grads([&](const V& x) { return V{scatter_add(x[0], dup, x[1], 0)}; }, {a, upd4});
  check::grads([&](const V& x) { return V{scatter_max(x[0], dup, x[1], 0)}; }, {a, upd4});
  check::grads([&](const V& x) { return V{scatter_min(x[0], dup, x[1], 0)}; }, {a, upd4});
  check::grads([&](const V& x) { return V{scatter_prod(x[0], dup, upd4, 0)}; }, {a});
  // A column slice with two index arrays.
  auto two = check::uniform({2, 2, 1}, -1, 1, 6);
  check::grads(
      [&](const V& x) {
        return V{scatter_add(x[0], {array({1, 3}), array({0})}, x[1], {0, 1})};
      },
      {a, two});
  auto pidx = array({2, 0, 1, 1, 1, 0}, {2, 3});
  auto vals = check::uniform({2, 3}, -1, 1, 7);
  check::grads(
      [&](const V& x) {
        return V{put_along_axis(x[0], array({4, 1}, {2, 1}), x[1], 0)};
      },
      {a, vals});
  check::grads([&](const V& x) { return V{scatter_add_axis(x[0], pidx, x[1], 0)}; }, {a, vals});
  // The prod rule has no updates part, as in MLX.
  EXPECT_THROW(vjp([&](const V& x) { return V{scatter_prod(a, dup, x[0], 0)}; }, {upd4},
                   {ones({5, 3}, float64)}),
               std::runtime_error);
}

TEST(GatherTransforms, Vmaps) {
  auto a = check::uniform({4, 3});
  // Index values leave room for the +1 variant the harness batches them with.
  auto rows = array({2, 0, -4});
  auto cols = array({1, -3});
  check::vmaps([](const V& x) { return V{take(x[0], x[1], 0)}; }, {a, rows});
  check::vmaps([](const V& x) { return V{take(x[0], x[1], 1)}; }, {a, cols});
  check::vmaps([&](const V& x) { return V{take(x[0], cols, 1)}; }, {a});
  check::vmaps([&](const V& x) { return V{take(a, x[0], 1)}; }, {cols});
  check::vmaps([](const V& x) { return V{take(x[0], x[1])}; }, {a, rows});
  check::vmaps(
      [](const V& x) {
        return V{gather(x[0], {x[1], x[2]}, {0, 1}, {1, 2})};
      },
      {a, array({2, 0, 1}), array({0, -3, 0})});
  auto idx = array({1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0}, {4, 3});
  check::vmaps([](const V& x) { return V{take_along_axis(x[0], x[1], 1)}; }, {a, idx});
  check::vmaps([](const V& x) { return V{take_along_axis(x[0], x[1], 0)}; }, {a, idx});
  auto upd = check::uniform({3, 1, 3}, -1, 1, 5);
  check::vmaps([](const V& x) { return V{scatter(x[0], x[1], x[2], 0)}; }, {a, rows, upd});
  check::vmaps([](const V& x) { return V{scatter_add(x[0], x[1], x[2], 0)}; }, {a, rows, upd});
  check::vmaps([](const V& x) { return V{scatter_max(x[0], x[1], x[2], 0)}; }, {a, rows, upd});
  check::vmaps([&](const V& x) { return V{scatter_prod(x[0], rows, upd, 0)}; }, {a});
  check::vmaps([&](const V& x) { return V{scatter_min(a, rows, x[0], 0)}; }, {upd});
  check::vmaps([](const V& x) { return V{put_along_axis(x[0], x[1], x[2], 1)}; },
               {a, idx, check::uniform({4, 3}, -1, 1, 8)});
  check::vmaps([](const V& x) { return V{scatter_add_axis(x[0], x[1], x[2], 0)}; },
               {a, idx, check::uniform({4, 3}, -1, 1, 9)});
}
