// NumPy-style indexing (mlx/indexing.h): basic, advanced and boolean-mask reads, index_put,
// at(...) accumulation, nonzero/argwhere/unique — values, shapes, placement rules, errors,
// gradients, and the evaluation points refusing vmap.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "check.h"
#include "helpers.h"
#include "mlx/mlx.h"

using namespace mlx::core;
using V = std::vector<array>;

TEST(Index, Basic) {
  auto a = iota({3, 4});
  expect_array<int32_t>(a(1), {4}, int32, {4, 5, 6, 7});
  expect_array<int32_t>(a(-1), {4}, int32, {8, 9, 10, 11});
  expect_array<int32_t>(a(1, -2), {}, int32, {6});
  expect_array<int32_t>(a(Slice(1, {})), {2, 4}, int32, {4, 5, 6, 7, 8, 9, 10, 11});
  expect_array<int32_t>(a(Slice({}, {}, -1), 0), {3}, int32, {8, 4, 0});
  expect_array<int32_t>(a(Ellipsis, 0), {3}, int32, {0, 4, 8});
  expect_array<int32_t>(a(0, Slice(1, 3)), {2}, int32, {1, 2});
  expect_array<int32_t>(a(Slice({}, {}, 2), Slice({}, {}, -2)), {2, 2}, int32, {3, 1, 11, 9});
  expect_array<int32_t>(a(Slice(-2, {}, -1), 3), {2}, int32, {7, 3});
  expect_array<int32_t>(a(Slice(5, 10)), {0, 4}, int32, {});
  expect_array<int32_t>(a.index({NewAxis, 0}), {1, 4}, int32, {0, 1, 2, 3});
  expect_array<int32_t>(a(Slice(), NewAxis, 1), {3, 1}, int32, {1, 5, 9});
  expect_array<int32_t>(a(Ellipsis, NewAxis), {3, 4, 1}, int32,
                        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  EXPECT_EQ(a.index({}).shape(), (Shape{3, 4}));
  auto b = iota({2, 3, 4});
  expect_array<int32_t>(b(Ellipsis, 1, Slice(2, {})), {2, 2}, int32, {6, 7, 18, 19});
  expect_array<int32_t>(b(1, Ellipsis, 3), {3}, int32, {15, 19, 23});
  // The free function is the same; the input is unchanged.
  expect_array<int32_t>(index(a, {2, 3}), {}, int32, {11});
  // Strided inputs.
  expect_array<int32_t>(transpose(a)(1, Slice({}, {}, -1)), {3}, int32, {9, 5, 1});
}

TEST(Index, Errors) {
  auto a = iota({3, 4});
  EXPECT_INVALID(a(3), "[index] Index 3 is out of bounds for axis 0 with size 3.");
  EXPECT_INVALID(a(0, -5), "[index] Index -5 is out of bounds for axis 1 with size 4.");
  EXPECT_INVALID(a(0, 0, 0), "[index] Too many indices for an array with 2 dimensions: 3 given.");
  EXPECT_INVALID(a(Ellipsis, 0, Ellipsis), "[index] An index can have only one ellipsis, got 2.");
  EXPECT_INVALID(a(Slice(0, 2, 0)), "[index] Slice step cannot be zero.");
  EXPECT_INVALID(a(array({1.0f})), "[index] Index arrays must be integer or boolean, got float32.");
  EXPECT_INVALID(a(array({true, false})),
                 "[index] A boolean mask of shape (2) does not match the indexed dimensions (3) "
                 "of the array of shape (3,4).");
  EXPECT_INVALID(a(array(true)), "[index] A boolean mask must have at least one dimension.");
  // Index arrays are checked when the gather runs.
  EXPECT_THROW(eval(a(array({3}))), std::runtime_error);
}

TEST(Index, Advanced) {
  auto a = iota({3, 4});
  expect_array<int32_t>(a(array({2, 0})), {2, 4}, int32, {8, 9, 10, 11, 0, 1, 2, 3});
  expect_array<int32_t>(a(array({-1})), {1, 4}, int32, {8, 9, 10, 11});
  expect_array<int32_t>(a(array({2, 0}), array({1, 3})), {2}, int32, {9, 3});
  // Index arrays broadcast together.
  expect_array<int32_t>(a(array({0, 2}, {2, 1}), array({1, 3})), {2, 2}, int32, {1, 3, 9, 11});
  expect_array<int32_t>(a(Slice(), array({0, 0, 3})), {3, 3}, int32, {0, 0, 3, 4, 4, 7, 8, 8, 11});
  expect_array<int32_t>(a(array({0, 2, 1, 0}, {2, 2}), 1), {2, 2}, int32, {1, 9, 5, 1});
  EXPECT_EQ(a(array({0, 2, 1, 0}, {2, 2})).shape(), (Shape{2, 2, 4}));
  auto b = iota({2, 3, 4});
  // Adjacent advanced indices stay in place.
  expect_array<int32_t>(b(Slice(), array({0, 2}), array({1, 1})), {2, 2}, int32, {1, 9, 13, 21});
  expect_array<int32_t>(b(Slice(), 1, array({0, 3})), {2, 2}, int32, {4, 7, 16, 19});
  expect_array<int32_t>(b(Slice(1, {}), Slice(), array({2})), {1, 3, 1}, int32, {14, 18, 22});
  // Separated ones (an int counts as one) move to the front.
  expect_array<int32_t>(b(array({0, 1}), Slice(), array({3, 0})), {2, 3}, int32,
                        {3, 7, 11, 12, 16, 20});
  expect_array<int32_t>(b(0, Slice(), array({1, 2})), {2, 3}, int32, {1, 5, 9, 2, 6, 10});
  // New axes keep their places among the basic dims.
  expect_array<int32_t>(a(NewAxis, array({1})), {1, 1, 4}, int32, {4, 5, 6, 7});
  expect_array<int32_t>(b(Slice(), NewAxis, array({0}), array({1})), {2, 1, 1}, int32, {1, 13});
  EXPECT_EQ(b(array({0}), NewAxis, array({1})).shape(), (Shape{1, 1, 4}));
  // Any integer dtype; mixed with strided views.
  expect_array<float>(astype(a, float32)(array({2}, uint8), Slice({}, {}, -3)), {1, 2}, float32,
                      {11, 8});
}

TEST(Index, Masks) {
  auto a = iota({3, 4});
  expect_array<int32_t>(a(greater(a, array(8))), {3}, int32, {9, 10, 11});
  expect_array<int32_t>(a(array({true, false, true})), {2, 4}, int32, {0, 1, 2, 3, 8, 9, 10, 11});
  expect_array<int32_t>(a(Slice(), array({true, false, false, true})), {3, 2}, int32,
                        {0, 3, 4, 7, 8, 11});
  expect_array<int32_t>(a(array({false, false, false})), {0, 4}, int32, {});
  auto b = iota({2, 2, 2});
  expect_array<int32_t>(b(array({true, false, false, true}, {2, 2}), 1), {2}, int32, {1, 7});
  // Reads with a mask differentiate (the mask itself is evaluated).
  auto x = check::uniform({3, 4}, -1, 1, 3);
  auto mask = greater(x, array(0.0));
  auto g = grad([mask](const array& y) { return sum(square(y(mask))); })(x);
  check::expect_same(g, where(mask, x * array(2.0), zeros_like(x)));
  // A mask computed from the traced input is evaluated too.
  auto g2 = grad([](const array& y) { return sum(square(y(greater(y, array(0.0))))); })(x);
  check::expect_same(g2, where(mask, x * array(2.0), zeros_like(x)));
}

TEST(Index, Put) {
  auto x = zeros({3, 4});
  auto old = x;
  x.index_put({1}, array(5.0f));
  expect_array<float>(x, {3, 4}, float32, {0, 0, 0, 0, 5, 5, 5, 5, 0, 0, 0, 0});
  expect_array<float>(old, {3, 4}, float32, std::vector<float>(12, 0));
  x.index_put({Slice(), Slice({}, {}, 2)}, array({1.0f, 2.0f}));
  expect_array<float>(x, {3, 4}, float32, {1, 0, 2, 0, 1, 5, 2, 5, 1, 0, 2, 0});
  x.index_put({Slice({}, {}, -1), NewAxis, 3}, array({7, 8, 9}, {3, 1}));
  expect_array<float>(x, {3, 4}, float32, {1, 0, 2, 9, 1, 5, 2, 8, 1, 0, 2, 7});
  x.index_put({array({0, 2}), array({1, -1})}, array({-1.0f, -2.0f}));
  expect_array<float>(x, {3, 4}, float32, {1, -1, 2, 9, 1, 5, 2, 8, 1, 0, 2, -2});
  x.index_put({Slice(1, {}), array({0})}, 3);
  expect_array<float>(x, {3, 4}, float32, {1, -1, 2, 9, 3, 5, 2, 8, 3, 0, 2, -2});
  // Masks: a value for every masked element (where), or one row per true (masked_scatter).
  auto y = iota({3, 4});
  y.index_put({greater(y, array(9))}, array(-1));
  expect_array<int32_t>(y, {3, 4}, int32, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1});
  y.index_put({array({true, false, true})}, array({0, 1, 2, 3, 4, 5, 6, 7}, {2, 4}));
  expect_array<int32_t>(y, {3, 4}, int32, {0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7});
  y.index_put({array({true, false, true})}, array({20, 30}, {2, 1}));
  expect_array<int32_t>(y, {3, 4}, int32, {20, 20, 20, 20, 4, 5, 6, 7, 30, 30, 30, 30});
  auto z = index_put(iota({2, 2}), {Slice(), array({false, true})}, array({9}));
  expect_array<int32_t>(z, {2, 2}, int32, {0, 9, 2, 9});
  EXPECT_INVALID(y.index_put({0}, array({1, 2})),
                 "[index_put] A value of shape (2) cannot be broadcast to the indexed shape (4).");
  EXPECT_INVALID(y.index_put({array({true, false, true})}, array({1, 2, 3})),
                 "[index_put] A value of shape (3) cannot be broadcast to the masked rows of "
                 "shape (4).");
}

TEST(Index, PutGradients) {
  auto x = check::uniform({3, 4}, -1, 1, 5);
  check::Fn basic = [](const V& in) {
    return V{index_put(in[0], {Slice(1, {}), Slice({}, {}, -2)}, in[1])};
  };
  check::grads(basic, {x, check::uniform({2}, -1, 1, 6)});
  check::Fn adv = [](const V& in) { return V{index_put(in[0], {array({0, 2}), 1}, in[1])}; };
  check::grads(adv, {x, check::uniform({2}, -1, 1, 7)});
  auto mask = array({true, false, true});
  check::Fn masked = [mask](const V& in) { return V{index_put(in[0], {mask}, in[1])}; };
  check::grads(masked, {x, check::uniform({4}, -1, 1, 8)});
  check::grads(masked, {x, check::uniform({2, 4}, -1, 1, 9)});
  check::Fn acc = [](const V& in) {
    return V{in[0].at({array({0, 0, 2}), Slice(1, 3)}).add(in[1])};
  };
  check::grads(acc, {x, check::uniform({3, 2}, -1, 1, 10)});
  // index_put through grad: the method reassigns a handle inside the function.
  auto g = grad([](const array& v) {
    auto y = zeros({4});
    y.index_put({array({1, 3})}, v * v);
    return sum(y);
  })(array({2.0f, 3.0f}));
  expect_array<float>(g, {2}, float32, {4, 6});
}

TEST(Index, At) {
  auto a = zeros({4});
  expect_array<float>(a.at({array({0, 0, 2})}).add(array(1.0f)), {4}, float32, {2, 0, 1, 0});
  expect_array<float>(a.at({array({0, 0, 2})}).subtract(array({1.0f, 2.0f, 3.0f})), {4}, float32,
                      {-3, 0, -3, 0});
  expect_array<float>(ones({4}).at({array({1, 1})}).multiply(array(3.0f)), {4}, float32,
                      {1, 9, 1, 1});
  expect_array<float>(ones({4}).at({array({1, 1})}).divide(array(2.0f)), {4}, float32,
                      {1, 0.25f, 1, 1});
  auto b = array({1, 5, 3});
  expect_array<int32_t>(b.at({array({0, 0, 1})}).maximum(array({4, 2, 2})), {3}, int32, {4, 5, 3});
  expect_array<int32_t>(b.at({array({0, 0, 1})}).minimum(array({4, 2, 2})), {3}, int32, {1, 2, 3});
  // Basic indices use the reducing slice updates.
  expect_array<float>(a.at({Slice(1, 3)}).add(array(1.0f)), {4}, float32, {0, 1, 1, 0});
  expect_array<int32_t>(iota({2, 3}).at({Slice(), Slice({}, {}, 2)}).multiply(array(-1)), {2, 3},
                        int32, {0, 1, -2, -3, 4, -5});
  expect_array<int32_t>(iota({2, 2}).at({greater(iota({2, 2}), array(1))}).add(array(10)), {2, 2},
                        int32, {0, 1, 12, 13});
  expect_array<float>(a, {4}, float32, {0, 0, 0, 0});
}

TEST(Index, NonzeroArgwhereUnique) {
  auto a = array({0, 3, 0, 4}, {2, 2});
  auto nz = nonzero(a);
  ASSERT_EQ(nz.size(), 2u);
  expect_array<uint32_t>(nz[0], {2}, uint32, {0, 1});
  expect_array<uint32_t>(nz[1], {2}, uint32, {1, 1});
  expect_array<uint32_t>(argwhere(a), {2, 2}, uint32, {0, 1, 1, 1});
  expect_array<uint32_t>(argwhere(zeros({2, 3})), {0, 2}, uint32, {});
  expect_array<uint32_t>(argwhere(array(2.0f)), {1, 0}, uint32, {});
  expect_array<uint32_t>(nonzero(array({false, true, true}))[0], {2}, uint32, {1, 2});
  EXPECT_INVALID(nonzero(array(1)),
                 "[nonzero] A scalar has no axes to index; use reshape(a, {1}) first.");
  expect_array<int32_t>(unique(array({3, 1, 3, 2, 1}, {5})), {3}, int32, {1, 2, 3});
  expect_array<int8_t>(unique(array({4, 4}, {1, 2}, int8)), {1}, int8, {4});
  float nan = std::numeric_limits<float>::quiet_NaN();
  auto u = values<float>(unique(array({nan, 1.0f, nan, -0.0f, 0.0f})));
  ASSERT_EQ(u.size(), 3u);
  EXPECT_EQ(u[0], 0.0f);
  EXPECT_EQ(u[1], 1.0f);
  EXPECT_TRUE(std::isnan(u[2]));
  EXPECT_EQ(unique(zeros({0})).shape(), (Shape{0}));
  // Evaluation points refuse vmap.
  auto f = [](const array& x) { return unique(x); };
  EXPECT_INVALID(vmap(f)(ones({2, 3})),
                 "[unique] The result's shape depends on the input's values, so it cannot be "
                 "used under vmap or compile (it evaluates its input).");
  EXPECT_INVALID(vmap([](const array& x) { return nonzero(x)[0]; })(ones({2, 3})),
                 "[nonzero] The result's shape depends on the input's values, so it cannot be "
                 "used under vmap or compile (it evaluates its input).");
  EXPECT_INVALID(vmap([](const array& x) { return x(greater(x, array(0.0f))); })(ones({2, 3})),
                 "[index] The result's shape depends on the input's values, so it cannot be used "
                 "under vmap or compile (it evaluates its input).");
  // Grad allows them: the result is a constant.
  auto g = grad([](const array& x) {
    auto picked = x(argwhere(x)(Slice(), 0));
    return sum(picked * picked);
  })(array({0.0f, 2.0f, 3.0f}));
  expect_array<float>(g, {3}, float32, {0, 4, 6});
}
