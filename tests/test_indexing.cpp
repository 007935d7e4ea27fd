// Indexing: slices with dynamic starts, the reducing slice updates, masked_scatter, diagonal,
// diag, trace, depends and searchsorted — values, dtypes, clamping, errors, and the derivative
// and batching rules.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "check.h"
#include "helpers.h"
#include "mlx/mlx.h"

using namespace mlx::core;
using V = std::vector<array>;

TEST(DynamicSlice, StartsReadWhenEvaluatedAndClamped) {
  auto a = iota({3, 4});
  expect_array<int32_t>(slice(a, array({1}), {0}, {2, 4}), {2, 4}, int32,
                        {4, 5, 6, 7, 8, 9, 10, 11});
  // Negative starts count from the end; then the start is clamped so the slice fits.
  expect_array<int32_t>(slice(a, array({-1}), {0}, {2, 4}), {2, 4}, int32,
                        {4, 5, 6, 7, 8, 9, 10, 11});
  expect_array<int32_t>(slice(a, array({7}), {0}, {1, 2}), {1, 2}, int32, {8, 9});
  expect_array<int32_t>(slice(a, array({1, 2}, uint8), {0, 1}, {2, 2}), {2, 2}, int32,
                        {6, 7, 10, 11});
  expect_array<int32_t>(slice(a, array({2, 1}, int64), {-1, 0}, {2, 2}), {2, 2}, int32,
                        {6, 7, 10, 11});
  // The start may be any integer array with one value per axis, and computed lazily.
  auto st = array({3}) - array({2});
  expect_array<float>(slice(astype(a, float32), st, {1}, {3, 1}), {3, 1}, float32, {1, 5, 9});
  // Strided inputs.
  expect_array<int32_t>(slice(transpose(a), array({1}), {1}, {2, 2}), {2, 2}, int32, {4, 8, 5, 9});
  EXPECT_EQ(slice(a, array({1}), {0}, {0, 4}).shape(), (Shape{0, 4}));
}

TEST(DynamicSlice, Errors) {
  auto a = iota({3, 4});
  EXPECT_INVALID(slice(a, array({1.0f}), {0}, {1, 4}),
                 "[slice] The start must be an integer array, got float32.");
  EXPECT_INVALID(slice(a, array({1, 2}), {0}, {1, 4}),
                 "[slice] The start has 2 values for 1 axes.");
  EXPECT_INVALID(slice(a, array({1}), {2}, {1, 4}),
                 "[slice] Invalid axis 2 for an array with 2 dimensions.");
  EXPECT_INVALID(slice(a, array({1, 1}), {1, -1}, {1, 4}), "[slice] Repeated axes in (1,1).");
  EXPECT_INVALID(slice(a, array({1}), {0}, {4, 4}),
                 "[slice] The slice size (4,4) does not fit in an array of shape (3,4).");
  EXPECT_INVALID(slice(a, array({1}), {0}, {3}),
                 "[slice] The slice size (3) does not fit in an array of shape (3,4).");
}

TEST(DynamicSliceUpdate, WritesAtClampedStart) {
  auto src = zeros({3, 4}, int32);
  expect_array<int32_t>(slice_update(src, array({1, 2, 3, 4}, {2, 2}), array({1, 3}), {0, 1}),
                        {3, 4}, int32, {0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4});
  // The update gets src's dtype and leading axes of size 1.
  expect_array<float>(slice_update(zeros({2, 3}), array({7, 8}), array({-1}), {0}), {2, 3}, float32,
                      {0, 0, 0, 7, 8, 0});
  expect_array<float>(slice_update(zeros({2, 3}), array({5.0f}), array({1}, uint32), {1}), {2, 3},
                      float32, {0, 5, 0, 0, 0, 0});
  // The source is not changed.
  auto a = iota({4});
  auto b = slice_update(a, array({9}), array({0}), {0});
  expect_array<int32_t>(b, {4}, int32, {9, 1, 2, 3});
  expect_array<int32_t>(a, {4}, int32, {0, 1, 2, 3});
  EXPECT_INVALID(
      slice_update(zeros({2, 3}), ones({3, 3}), array({0}), {0}),
      "[slice_update] An update of shape (3,3) does not fit in an array of shape (2,3).");
  EXPECT_INVALID(slice_update(zeros({2, 3}), ones({3}), array({0.5f}), {0}),
                 "[slice_update] The start must be an integer array, got float32.");
}

TEST(DynamicSlice, Transforms) {
  auto x = check::uniform({3, 4}, -1, 1, 3);
  check::Fn f = [](const V& in) { return V{slice(in[0], array({1, -2}), {0, 1}, {2, 2})}; };
  check::grads(f, {x});
  check::vmaps(f, {x});
  check::Fn g = [](const V& in) { return V{slice_update(in[0], in[1], array({2}), {1})}; };
  check::grads(g, {x, check::uniform({3, 2}, -1, 1, 4)});
  check::vmaps(g, {x, check::uniform({3, 2}, -1, 1, 4)});
  // Batched starts: one slice per batch element.
  check::Fn h = [](const V& in) { return V{slice(in[0], in[1], {1}, {3, 2})}; };
  check::vmap_matches_loop(h, {x, array({0, 2, 3, 1}, {4, 1})}, {-1, 0});
  check::vmap_matches_loop(h, {check::batch_of(x, 0), array({0, 2, 3}, {3, 1})}, {0, 0});
  check::Fn u = [](const V& in) { return V{slice_update(in[0], in[1], in[2], {1})}; };
  check::vmap_matches_loop(u, {x, check::uniform({3, 3, 1}, -1, 1, 5), array({0, 2, 3}, {3, 1})},
                           {-1, 0, 0});
}

TEST(SliceUpdateReduce, Values) {
  auto src = array({1.0f, 2.0f, 3.0f, 4.0f, 5.0f});
  auto upd = array({10.0f, -1.0f});
  expect_array<float>(slice_update_add(src, upd, {1}, {5}, {2}), {5}, float32, {1, 12, 3, 3, 5});
  expect_array<float>(slice_update_prod(src, upd, {1}, {5}, {2}), {5}, float32, {1, 20, 3, -4, 5});
  expect_array<float>(slice_update_max(src, upd, {1}, {5}, {2}), {5}, float32, {1, 10, 3, 4, 5});
  expect_array<float>(slice_update_min(src, upd, {1}, {5}, {2}), {5}, float32, {1, 2, 3, -1, 5});
  // Without strides, with a broadcast update and negative steps.
  auto m = iota({2, 3});
  expect_array<int32_t>(slice_update_add(m, array(10), {0, 1}, {2, 3}), {2, 3}, int32,
                        {0, 11, 12, 3, 14, 15});
  expect_array<int32_t>(slice_update_prod(m, array({2, 3}), {0, 2}, {2, 0}, {1, -1}), {2, 3}, int32,
                        {0, 3, 4, 3, 12, 10});
  expect_array<int32_t>(slice_update_max(m, array({4}), {0, 0}, {2, 3}), {2, 3}, int32,
                        {4, 4, 4, 4, 4, 5});
  expect_array<int32_t>(slice_update_min(m, array({4}), {1, 0}, {2, 3}), {2, 3}, int32,
                        {0, 1, 2, 3, 4, 4});
  // The update takes src's dtype; integers wrap like their dtype.
  expect_array<int8_t>(slice_update_add(array({100, 1}, int8), array({100.7f}), {0}, {1}), {2},
                       int8, {-56, 1});
  expect_array<uint8_t>(slice_update_prod(array({16, 3}, uint8), array({32}), {0}, {2}), {2}, uint8,
                        {0, 96});
  expect_array<bool>(slice_update_add(array({false, true, false}), array({true}), {1}, {3}), {3},
                     bool_, {false, true, true});
  expect_array<bool>(slice_update_min(array({false, true, true}), array({false}), {2}, {3}), {3},
                     bool_, {false, true, false});
  // NaN wins max and min, as in maximum and minimum.
  auto nan = std::numeric_limits<double>::quiet_NaN();
  auto r = values<double>(
      slice_update_max(array({nan, 1.0}, float64), array({2.0, nan}, float64), {0}, {2}));
  EXPECT_TRUE(std::isnan(r[0]) && std::isnan(r[1]));
  expect_array<float16_t>(slice_update_min(array({1.0f, 2.0f}, float16), array({-1.0f}), {1}, {2}),
                          {2}, float16, {float16_t(1.0f), float16_t(-1.0f)});
  expect_array<int64_t>(slice_update_max(array({1, 2}, int64), array({5}, int64), {0}, {1}), {2},
                        int64, {5, 2});
  expect_array<bfloat16_t>(slice_update_max(array({1.0f, 4.0f}, bfloat16), array({2.0f}), {0}, {2}),
                           {2}, bfloat16, {bfloat16_t(2.0f), bfloat16_t(4.0f)});
  expect_array<uint32_t>(slice_update_min(array({7, 1}, uint32), array({3}), {0}, {2}), {2}, uint32,
                         {3, 1});
  expect_array<complex64_t>(slice_update_add(array({complex64_t(1, 1), complex64_t(2, 0)}),
                                             array(complex64_t(0, 1)), {1}, {2}),
                            {2}, complex64, {complex64_t(1, 1), complex64_t(2, 1)});
  expect_array<complex64_t>(slice_update_prod(array({complex64_t(1, 1), complex64_t(2, 0)}),
                                              array(complex64_t(0, 1)), {0}, {1}),
                            {2}, complex64, {complex64_t(-1, 1), complex64_t(2, 0)});
  // The source is not changed.
  expect_array<float>(src, {5}, float32, {1, 2, 3, 4, 5});
}

TEST(SliceUpdateReduce, Errors) {
  auto a = zeros({2, 3});
  EXPECT_INVALID(slice_update_add(a, ones({3}), {0}, {1}),
                 "[slice_update_add] Invalid number of indices or strides for an array with 2 "
                 "dimensions (start (0), stop (1), strides (1,1)).");
  EXPECT_INVALID(slice_update_prod(a, ones({2}), {0, 0}, {2, 3}),
                 "[slice_update_prod] An update of shape (2) cannot be broadcast to the slice of "
                 "shape (2,3).");
  EXPECT_INVALID(slice_update_max(a, ones({1}), {0, 0}, {2, 3}, {1, 0}),
                 "[slice_update_max] Slice strides must be non-zero, got (1,0).");
  EXPECT_INVALID(slice_update_min(a, ones({4}), {0, 0}, {2, 3}),
                 "[slice_update_min] An update of shape (4) cannot be broadcast to the slice of "
                 "shape (2,3).");
}

TEST(SliceUpdateReduce, Transforms) {
  auto src = check::uniform({3, 4}, -1, 1, 21);
  auto upd = check::uniform({2, 2}, -1, 1, 22);
  using Op = array (*)(const array&, const array&, Shape, Shape, Shape, StreamOrDevice);
  for (Op op :
       {Op(slice_update_add), Op(slice_update_prod), Op(slice_update_max), Op(slice_update_min)}) {
    check::Fn f = [op](const V& in) { return V{op(in[0], in[1], {0, 3}, {3, 0}, {2, -2}, {})}; };
    check::grads(f, {src, upd});
    check::vmaps(f, {src, upd});
    // Grad of grad goes through the rules' own ops.
    auto g = grad([op](const array& x) {
      return sum(op(x * x, array({0.5, -0.25}, float64), {1, 0}, {3, 4}, {1, 2}, {}));
    });
    check::Fn gg = [g](const V& in) { return V{g(in[0])}; };
    check::grads(gg, {src});
  }
}

TEST(MaskedScatter, FillsInRowMajorOrder) {
  auto mask = array({true, false, true, false, true, false}, {2, 3});
  expect_array<float>(masked_scatter(zeros({2, 3}), mask, array({1.0f, 2.0f, 3.0f, 4.0f})), {2, 3},
                      float32, {1, 0, 2, 0, 3, 0});
  // The mask broadcasts; src is flattened and converted to a's dtype.
  expect_array<int32_t>(masked_scatter(iota({2, 3}), array({true, false, true}),
                                       array({1.5f, 2.5f, 3.5f, 4.5f, 9.0f}, {5})),
                        {2, 3}, int32, {1, 1, 2, 3, 4, 4});
  expect_array<int8_t>(
      masked_scatter(zeros({2, 2}, int8), array(true), array({1, 2, 3, 4}, {2, 2})), {2, 2}, int8,
      {1, 2, 3, 4});
  expect_array<float>(masked_scatter(ones({3}), array(false), zeros({0})), {3}, float32, {1, 1, 1});
  // Strided inputs.
  expect_array<int32_t>(masked_scatter(transpose(iota({2, 3})), transpose(mask), array({7, 8, 9})),
                        {3, 2}, int32, {7, 3, 1, 8, 9, 5});
  // A large mask runs in parallel chunks, each starting at the right source position.
  int n = 300000;
  auto big = greater(arange(n) % 3, array(0));
  auto filled = masked_scatter(zeros({n}, int32), big, arange(n));
  auto v = values<int32_t>(filled);
  int next = 0;
  bool ok = true;
  for (int i = 0; i < n; ++i) ok = ok && v[i] == (i % 3 ? next++ : 0);
  EXPECT_TRUE(ok);
}

TEST(MaskedScatter, Errors) {
  EXPECT_INVALID(masked_scatter(zeros({2}), array({1, 0}), ones({2})),
                 "[masked_scatter] The mask must be boolean, got int32.");
  EXPECT_INVALID(masked_scatter(zeros({2}), array({true, false, true}), ones({2})),
                 "[masked_scatter] A mask of shape (3) cannot be broadcast to the array of shape "
                 "(2).");
  // Too few source values is found when the mask is known.
  auto r = masked_scatter(zeros({3}), array({true, true, false}), ones({1}));
  EXPECT_THROW(eval(r), std::runtime_error);
  EXPECT_EQ(error_of([&] { eval(r); }),
            "[masked_scatter] The mask selects 2 positions but the source has only 1 values.");
}

TEST(MaskedScatter, Transforms) {
  auto mask =
      array({true, false, true, true, false, false, true, false, true, false, false, true}, {3, 4});
  auto a = check::uniform({3, 4}, -1, 1, 31);
  auto src = check::uniform({8}, -1, 1, 32);
  check::Fn f = [mask](const V& in) { return V{masked_scatter(in[0], mask, in[1])}; };
  check::grads(f, {a, src});
  check::vmaps(f, {a, src});
  // Gradients exactly: a gets the cotangent where the mask is off, src the cotangent at the
  // mask's positions (in order) and zero for the values left over.
  auto g = grad(
      [mask](const V& in) {
        return sum(masked_scatter(in[0], mask, in[1]) * iota({3, 4}, float64));
      },
      std::vector<int>{0, 1})({a, src});
  expect_array<double>(g[0], {3, 4}, float64, {0, 1, 0, 0, 4, 5, 0, 7, 0, 9, 10, 0});
  expect_array<double>(g[1], {8}, float64, {0, 2, 3, 6, 8, 11, 0, 0});
  // A batched mask: each batch element consumes its own source from the start.
  auto masks = array({true, false, true, false, true, true}, {2, 3});
  check::Fn h = [](const V& in) { return V{masked_scatter(in[0], in[1], in[2])}; };
  check::vmap_matches_loop(h, {zeros({2, 3}), masks, check::uniform({2, 2}, -1, 1, 33)}, {0, 0, 0});
  check::vmap_matches_loop(h, {zeros({3}), masks, check::uniform({2, 3}, -1, 1, 34)}, {-1, 0, 0});
  // vmap of vmap and vmap of grad.
  check::Fn hv = [h](const V& in) { return vmap(h, {0, 0, 0})(in); };
  auto masks2 = array({true, false, true, false, true, true, true, true, true, false, false, false},
                      {2, 2, 3});
  check::vmap_matches_loop(
      hv, {check::uniform({2, 2, 3}, -1, 1, 35), masks2, check::uniform({2, 2, 3}, -1, 1, 36)},
      {0, 0, 0});
  check::vmap_matches_loop(
      hv, {check::uniform({2, 2, 3}, -1, 1, 35), masks2, check::uniform({2, 2, 3}, -1, 1, 36)},
      {1, 1, 1});
  auto vg = vmap(
      [mask](const V& in) {
        return V{grad([mask](const array& s) {
          return sum(masked_scatter(zeros({3, 4}, float64), mask, s) * iota({3, 4}, float64));
        })(in[0])};
      },
      {0})({stack({src, src * array(2.0)})});
  expect_array<double>(vg[0], {2, 8}, float64, {0, 2, 3, 6, 8, 11, 0, 0, 0, 2, 3, 6, 8, 11, 0, 0});
}

TEST(Diagonal, ViewsOfThePlanes) {
  auto a = iota({3, 4});
  expect_array<int32_t>(diagonal(a), {3}, int32, {0, 5, 10});
  expect_array<int32_t>(diagonal(a, 1), {3}, int32, {1, 6, 11});
  expect_array<int32_t>(diagonal(a, 2), {2}, int32, {2, 7});
  expect_array<int32_t>(diagonal(a, -1), {2}, int32, {4, 9});
  expect_array<int32_t>(diagonal(a, 0, 1, 0), {3}, int32, {0, 5, 10});
  EXPECT_EQ(diagonal(a, 5).shape(), (Shape{0}));
  EXPECT_EQ(diagonal(a, -3).shape(), (Shape{0}));
  expect_array<int32_t>(diagonal(transpose(a), 1), {2}, int32, {4, 9});
  auto b = iota({2, 3, 4});
  expect_array<int32_t>(diagonal(b, 0, 1, 2), {2, 3}, int32, {0, 5, 10, 12, 17, 22});
  expect_array<int32_t>(diagonal(b, 0, 0, 2), {3, 2}, int32, {0, 13, 4, 17, 8, 21});
  expect_array<int32_t>(diagonal(b, -1, -1, -3), {3, 2}, int32, {1, 14, 5, 18, 9, 22});
  expect_array<float>(diagonal(astype(b, float32), 1, 2, 1), {2, 2}, float32, {4, 9, 16, 21});
  EXPECT_INVALID(diagonal(array({1, 2})),
                 "[diagonal] Array must have at least two dimensions, got shape (2).");
  EXPECT_INVALID(diagonal(a, 0, 0, 2),
                 "[diagonal] Invalid axes (0, 2) for an array with 2 "
                 "dimensions.");
  EXPECT_INVALID(diagonal(a, 0, 1, -1),
                 "[diagonal] axis1 and axis2 must be different axes, got (1, -1).");
}

TEST(Diagonal, DiagAndTrace) {
  auto v = array({1, 2});
  expect_array<int32_t>(diag(v), {2, 2}, int32, {1, 0, 0, 2});
  expect_array<int32_t>(diag(v, 1), {3, 3}, int32, {0, 1, 0, 0, 0, 2, 0, 0, 0});
  expect_array<int32_t>(diag(v, -1), {3, 3}, int32, {0, 0, 0, 1, 0, 0, 0, 2, 0});
  expect_array<float>(diag(array({5.0f}), 2), {3, 3}, float32, {0, 0, 5, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(diag(zeros({0}), 2).shape(), (Shape{2, 2}));
  expect_array<int32_t>(diag(iota({3, 4}), 1), {3}, int32, {1, 6, 11});
  EXPECT_INVALID(diag(iota({2, 2, 2})), "[diag] Array must be 1-D or 2-D, got shape (2,2,2).");
  EXPECT_INVALID(diag(array(1)), "[diag] Array must be 1-D or 2-D, got shape ().");

  auto a = iota({3, 3});
  expect_array<int32_t>(trace(a), {}, int32, {12});
  expect_array<int32_t>(trace(a, 1, 0, 1), {}, int32, {6});
  expect_array<int32_t>(trace(astype(a, int8)), {}, int32, {12});
  expect_array<uint32_t>(trace(astype(a, uint16), -1, 1, 0), {}, uint32, {6});
  expect_array<float>(trace(a, 0, 0, 1, float32), {}, float32, {12});
  // As in MLX, the diagonal is cast to the dtype and then summed with sum's rule.
  expect_array<int32_t>(trace(a, 0, 0, 1, int8), {}, int32, {12});
  EXPECT_EQ(trace(a, 0, 0, 1, float16).dtype(), float16);
  expect_array<int32_t>(trace(iota({2, 3, 3}), 0, 1, 2), {2}, int32, {12, 39});
  EXPECT_INVALID(trace(array({1, 2})),
                 "[trace] Array must have at least two dimensions, got shape (2).");
}

TEST(Diagonal, Transforms) {
  auto x = check::uniform({3, 4}, -1, 1, 41);
  check::Fn f = [](const V& in) { return V{diagonal(in[0], 1)}; };
  check::grads(f, {x});
  check::vmaps(f, {x});
  check::Fn g = [](const V& in) { return V{diagonal(in[0], -1, 2, 0)}; };
  check::grads(g, {check::uniform({3, 2, 4}, -1, 1, 42)});
  check::vmaps(g, {check::uniform({3, 2, 4}, -1, 1, 42)});
  check::Fn d = [](const V& in) { return V{diag(in[0], -1)}; };
  check::grads(d, {check::uniform({3}, -1, 1, 43)});
  check::vmaps(d, {check::uniform({3}, -1, 1, 43)});
  check::Fn t = [](const V& in) { return V{trace(in[0], 1, 0, 1)}; };
  check::grads(t, {x});
  check::vmaps(t, {x});
  expect_array<double>(grad([](const array& m) { return trace(m); })(x), {3, 4}, float64,
                       {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0});
}

TEST(Depends, IdentityWithExtraInputs) {
  auto a = array({1.0f, 2.0f});
  auto b = array({3.0f});
  auto out = depends({a * array(2.0f), a + b}, {b * b});
  ASSERT_EQ(out.size(), 2u);
  expect_array<float>(out[0], {2}, float32, {2, 4});
  expect_array<float>(out[1], {2}, float32, {4, 5});
  EXPECT_TRUE(depends({}, {a}).empty());
  // Cotangents go to the inputs only.
  auto g = grad([](const V& in) { return sum(depends({in[0] * in[0]}, {in[1] * array(5.0f)})[0]); },
                std::vector<int>{0, 1})({a, b});
  expect_array<float>(g[0], {2}, float32, {2, 4});
  expect_array<float>(g[1], {1}, float32, {0});
  check::Fn f = [](const V& in) { return depends({in[0] * in[1], in[1]}, {in[0]}); };
  check::grads(f, {check::uniform({3}, -1, 1, 51), check::uniform({3}, -1, 1, 52)});
  check::vmaps(f, {check::uniform({3}, -1, 1, 51), check::uniform({3}, -1, 1, 52)});
}

TEST(SearchSorted, Sides) {
  auto seq = array({1.0f, 2.0f, 2.0f, 3.0f});
  auto vals = array({2.0f, 0.0f, 5.0f, 2.5f, 1.0f});
  expect_array<uint32_t>(searchsorted(seq, vals), {5}, uint32, {1, 0, 4, 3, 0});
  expect_array<uint32_t>(searchsorted(seq, vals, "right"), {5}, uint32, {3, 0, 4, 3, 1});
  expect_array<uint32_t>(searchsorted(seq, array(2.0f)), {}, uint32, {1});
  expect_array<uint32_t>(searchsorted(array({1, 2, 3}), array({0, 2, 3, 4}, {2, 2}), "right"),
                         {2, 2}, uint32, {0, 2, 3, 3});
  // NaN sorts last.
  float nan = std::numeric_limits<float>::quiet_NaN();
  auto with_nan = array({1.0f, 3.0f, nan});
  expect_array<uint32_t>(searchsorted(with_nan, array({nan, 4.0f})), {2}, uint32, {2, 2});
  expect_array<uint32_t>(searchsorted(with_nan, array({nan, 4.0f}), "right"), {2}, uint32, {3, 2});
  // Values and sequence are compared in their promoted dtype.
  expect_array<uint32_t>(searchsorted(array({1, 2, 3}, int8), array({1.5f, 2.0f})), {2}, uint32,
                         {1, 1});
  expect_array<uint32_t>(searchsorted(array({10, 20}, uint64), array({15}, uint64)), {1}, uint32,
                         {1});
  expect_array<uint32_t>(searchsorted(array({false, true}), array({true})), {1}, uint32, {1});
  expect_array<uint32_t>(searchsorted(zeros({0}), array({1.0f})), {1}, uint32, {0});
  // A strided (reversed) sequence.
  expect_array<uint32_t>(searchsorted(slice(array({5, 4, 3, 2}), {-1}, {-5}, {-1}), array({4})),
                         {1}, uint32, {2});
}

TEST(SearchSorted, BatchedLines) {
  auto seq = array({1, 2, 3, 10, 20, 30}, {2, 3});
  expect_array<uint32_t>(searchsorted(seq, array({2, 4, 15, 5}, {2, 2})), {2, 2}, uint32,
                         {1, 3, 1, 0});
  // The values' leading dims broadcast against the sequence's.
  expect_array<uint32_t>(searchsorted(seq, array({2, 25}, {1, 2}), "right"), {2, 2}, uint32,
                         {2, 3, 0, 2});
  expect_array<uint32_t>(searchsorted(seq, array({3}, {1})), {2, 1}, uint32, {2, 0});
  EXPECT_INVALID(searchsorted(seq, array({1, 2, 3}, {3, 1})),
                 "[searchsorted] The batch dimensions of the sorted sequence (2,3) and of the "
                 "values (3,1) cannot be broadcast together.");
  EXPECT_INVALID(searchsorted(seq, array(1)),
                 "[searchsorted] The values must have at least one dimension to search sorted "
                 "lines of shape (2,3).");
  EXPECT_INVALID(searchsorted(array(1), array(1)),
                 "[searchsorted] The sorted sequence must have at least one dimension, got a "
                 "scalar.");
  EXPECT_INVALID(searchsorted(seq, seq, "middle"),
                 "[searchsorted] side must be \"left\" or \"right\", got \"middle\".");
  // No gradient; vmap over either input.
  auto g = grad([](const array& x) {
    return sum(astype(searchsorted(x, array({0.5f})), float32) * x);
  })(array({0.0f, 1.0f}));
  expect_array<float>(g, {2}, float32, {1, 1});
  check::Fn f = [](const V& in) { return V{searchsorted(in[0], in[1])}; };
  auto sorted = sort(check::uniform({3, 5}, -1, 1, 61), 1);
  check::vmap_matches_loop(f, {sorted, check::uniform({3, 4}, -1, 1, 62)}, {0, 0});
  check::vmap_matches_loop(f, {sorted, check::uniform({4, 2}, -1, 1, 63)}, {0, -1});
  check::vmap_matches_loop(
      f, {sort(check::uniform({5}, -1, 1, 64)), check::uniform({4, 3}, -1, 1, 65)}, {-1, 1});
}
