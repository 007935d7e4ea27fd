// custom_function, custom_vjp and checkpoint: the rules are used where they are given, the
// fallbacks transform the function itself, and the transformations compose.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "helpers.h"

#include "check.h"
#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

using Fn = std::function<std::vector<array>(const std::vector<array>&)>;

// x * x with a vjp that scales the cotangent by 10 (so the rule's use is visible), counting calls.
Fn scaled_square(int* calls) {
  return custom_vjp(
      [](const std::vector<array>& in) { return std::vector<array>{in[0] * in[0]}; },
      [calls](const std::vector<array>&, const std::vector<array>& cts, const std::vector<array>&) {
        ++*calls;
        return std::vector<array>{cts[0] * array(10.0f)};
      });
}

// log(1 + exp(x)) without overflow, and its derivative sigmoid(x) without 0 * inf.
Fn log1pexp() {
  return custom_vjp(
      [](const std::vector<array>& in) {
        auto& x = in[0];
        return std::vector<array>{maximum(x, array(0.0f)) + log1p(exp(negative(abs(x))))};
      },
      [](const std::vector<array>& primals, const std::vector<array>& cts,
         const std::vector<array>&) { return std::vector<array>{cts[0] * sigmoid(primals[0])}; });
}

// A smooth function of two inputs with two outputs, for the harness.
std::vector<array> two_by_two(const std::vector<array>& in) {
  return {sin(in[0]) * in[1], in[0] + exp(in[1])};
}

// Its exact vjp.
std::vector<array> two_by_two_vjp(const std::vector<array>& p, const std::vector<array>& c,
                                  const std::vector<array>&) {
  return {c[0] * cos(p[0]) * p[1] + c[1], c[0] * sin(p[0]) + c[1] * exp(p[1])};
}

// Its exact jvp (tangents given only for the inputs in argnums).
std::vector<array> two_by_two_jvp(const std::vector<array>& p, const std::vector<array>& t,
                                  const std::vector<int>& argnums) {
  auto o0 = zeros_like(p[0]), o1 = zeros_like(p[0]);
  for (size_t j = 0; j < argnums.size(); ++j) {
    if (argnums[j] == 0) {
      o0 = o0 + t[j] * cos(p[0]) * p[1];
      o1 = o1 + t[j];
    } else {
      o0 = o0 + t[j] * sin(p[0]);
      o1 = o1 + t[j] * exp(p[1]);
    }
  }
  return {o0, o1};
}

// A chain of `blocks` blocks of `ops` sines, each block optionally checkpointed.
std::function<array(const array&)> sine_chain(int blocks, int ops, bool checkpointed) {
  Fn block = [ops](const std::vector<array>& in) {
    array y = in[0];
    for (int i = 0; i < ops; ++i) y = sin(y);
    return std::vector<array>{y};
  };
  if (checkpointed) block = checkpoint(block);
  return [block, blocks](const array& x) {
    array y = x;
    for (int b = 0; b < blocks; ++b) y = block({y})[0];
    return sum(y);
  };
}

}  // namespace

TEST(CustomVJP, ScalesTheGradient) {
  int calls = 0;
  auto f = scaled_square(&calls);
  auto x = array({1.0f, -2.0f, 3.0f});
  expect_array<float>(f({x})[0], {3}, float32, {1.0f, 4.0f, 9.0f});
  EXPECT_EQ(calls, 0);
  auto g = grad([&](const array& a) { return sum(f({a})[0]); })(x);
  expect_array<float>(g, {3}, float32, {10.0f, 10.0f, 10.0f});
  EXPECT_EQ(calls, 1);
  // Through further ops: d/dx sum(3 * f(x)) = 30.
  auto g3 = grad([&](const array& a) { return sum(f({a})[0] * array(3.0f)); })(x);
  expect_array<float>(g3, {3}, float32, {30.0f, 30.0f, 30.0f});
}

TEST(CustomVJP, StraightThroughEstimator) {
  auto ste =
      custom_vjp([](const std::vector<array>& in) { return std::vector<array>{floor(in[0])}; },
                 [](const std::vector<array>&, const std::vector<array>& cts,
                    const std::vector<array>&) { return cts; });
  auto x = array({0.3f, 1.7f, -0.5f});
  auto w = array({2.0f, 3.0f, 4.0f});
  auto f = [&](const std::vector<array>& in) { return sum(ste({in[0]})[0] * in[1]); };
  auto [v, g] = value_and_grad(f, {0, 1})({x, w});
  EXPECT_EQ(v.item<float>(), 0.0f * 2 + 1.0f * 3 + -1.0f * 4);
  expect_array<float>(g[0], {3}, float32, {2.0f, 3.0f, 4.0f});  // floor's own gradient is 0
  expect_array<float>(g[1], {3}, float32, {0.0f, 1.0f, -1.0f});
}

TEST(CustomVJP, StableLog1pExp) {
  auto f = log1pexp();
  auto x = array({-100.0f, 0.0f, 2.0f, 100.0f});
  auto y = values<float>(f({x})[0]);
  EXPECT_NEAR(y[0], 3.720076e-44f, 1e-45f);
  EXPECT_FLOAT_EQ(y[1], 0.6931472f);
  EXPECT_FLOAT_EQ(y[2], 2.126928f);
  EXPECT_FLOAT_EQ(y[3], 100.0f);
  auto g = values<float>(grad([&](const array& a) { return sum(f({a})[0]); })(x));
  EXPECT_GE(g[0], 0.0f);  // sigmoid(-100) is below float32's normal range
  EXPECT_LT(g[0], 1e-43f);
  EXPECT_EQ(g[1], 0.5f);  // maximum's tie at 0 does not leak into the gradient
  EXPECT_FLOAT_EQ(g[2], 0.8807971f);
  EXPECT_EQ(g[3], 1.0f);
}

TEST(CustomVJP, SeesPrimalsCotangentsAndOutputs) {
  Shape seen_primal, seen_cotangent, seen_output;
  std::vector<float> cot1;
  auto f = custom_vjp(two_by_two, [&](const std::vector<array>& p, const std::vector<array>& c,
                                      const std::vector<array>& o) {
    seen_primal = p[1].shape();
    seen_cotangent = c[1].shape();
    seen_output = o[0].shape();
    cot1 = values<float>(c[1]);
    return two_by_two_vjp(p, c, o);
  });
  auto x = array({0.5f, 1.0f}), y = array({2.0f, -1.0f});
  // grad differentiates the first output only: the rule gets zeros for the second.
  auto g = grad([&](const std::vector<array>& in) { return sum(f(in)[0]); }, {0, 1})({x, y});
  EXPECT_EQ(seen_primal, Shape{2});
  EXPECT_EQ(seen_cotangent, Shape{2});
  EXPECT_EQ(seen_output, Shape{2});
  EXPECT_EQ(cot1, (std::vector<float>{0.0f, 0.0f}));
  auto g0 = values<float>(g[0]), g1 = values<float>(g[1]);
  EXPECT_FLOAT_EQ(g0[0], std::cos(0.5f) * 2.0f);
  EXPECT_FLOAT_EQ(g0[1], std::cos(1.0f) * -1.0f);
  EXPECT_FLOAT_EQ(g1[0], std::sin(0.5f));
  EXPECT_FLOAT_EQ(g1[1], std::sin(1.0f));
}

TEST(CustomVJP, HarnessAndJvpFallback) {
  // The vjp is the rule; jvp falls back to differentiating the function.
  auto f = custom_vjp(two_by_two, two_by_two_vjp);
  std::vector<array> in{check::uniform({3}, -1, 1, 3), check::uniform({3}, -1, 1, 4)};
  check::grads(f, in);
  check::vmaps(f, in);
}

TEST(CustomVJP, GradOfGrad) {
  // x^3 with the rule 3x^2: grad of grad differentiates the rule's ops.
  auto cube = custom_vjp(
      [](const std::vector<array>& in) { return std::vector<array>{in[0] * in[0] * in[0]}; },
      [](const std::vector<array>& p, const std::vector<array>& c, const std::vector<array>&) {
        return std::vector<array>{c[0] * array(3.0f) * p[0] * p[0]};
      });
  auto f = [&](const array& x) { return sum(cube({x})[0]); };
  auto x = array({1.0f, -2.0f});
  expect_array<float>(grad(f)(x), {2}, float32, {3.0f, 12.0f});
  expect_array<float>(grad([&](const array& a) { return sum(grad(f)(a)); })(x), {2}, float32,
                      {6.0f, -12.0f});
}

TEST(CustomVJP, UnderVmap) {
  int calls = 0;
  auto f = scaled_square(&calls);
  auto xs = array({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2});
  // vmap of grad: the rule runs per example.
  auto per_example = vmap(
      [&](const array& x) { return grad([&](const array& a) { return sum(f({a})[0]); })(x); })(xs);
  expect_array<float>(per_example, {2, 2}, float32, {10.0f, 10.0f, 10.0f, 10.0f});
  // grad of vmap: the batched node keeps the rule.
  calls = 0;
  auto g = grad([&](const array& a) {
    return sum(vmap([&](const array& x) { return f({x})[0]; }, 1, 0)(a));
  })(xs);
  expect_array<float>(g, {2, 2}, float32, {10.0f, 10.0f, 10.0f, 10.0f});
  EXPECT_EQ(calls, 1);
}

TEST(CustomVJP, UnbatchedInputUnderVmapSumsTheBatch) {
  auto f = custom_vjp(
      [](const std::vector<array>& in) { return std::vector<array>{in[0] * in[1]}; },
      [](const std::vector<array>& p, const std::vector<array>& c, const std::vector<array>&) {
        return std::vector<array>{c[0] * p[1], c[0] * p[0]};
      });
  auto xs = array({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}, {3, 2});
  auto w = array({0.5f, -1.0f});
  auto loss = [&](const std::vector<array>& in) { return sum(vmap(f, {0, -1})(in)[0]); };
  auto g = grad(loss, {0, 1})({xs, w});
  expect_array<float>(g[0], {3, 2}, float32, {0.5f, -1.0f, 0.5f, -1.0f, 0.5f, -1.0f});
  expect_array<float>(g[1], {2}, float32, {9.0f, 12.0f});
}

TEST(CustomVJP, OutputNotDependingOnTheBatchUnderVmap) {
  // Output 1 depends on the unbatched w only: vmap repeats it, and its cotangents sum the batch.
  auto f = custom_vjp(
      [](const std::vector<array>& in) {
        return std::vector<array>{in[0] * in[1], in[1] * 2.0f};
      },
      [](const std::vector<array>& p, const std::vector<array>& c, const std::vector<array>&) {
        return std::vector<array>{c[0] * p[1], c[0] * p[0] + c[1] * 2.0f};
      });
  auto xs = array({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}, {3, 2});
  auto w = array({0.5f, -1.0f});
  auto outs = vmap(f, {0, -1})({xs, w});
  expect_array<float>(outs[1], {3, 2}, float32, {1.0f, -2.0f, 1.0f, -2.0f, 1.0f, -2.0f});
  auto loss = [&](const std::vector<array>& in) {
    auto o = vmap(f, {0, -1})(in);
    return sum(o[0]) + sum(o[1]);
  };
  auto g = grad(loss, 1)({xs, w});
  expect_array<float>(g[0], {2}, float32, {9.0f + 6.0f, 12.0f + 6.0f});
}

TEST(CustomJVP, RuleIsUsedAndVjpFallsBack) {
  std::vector<int> seen_argnums;
  size_t seen_tangents = 0;
  auto f = custom_function(two_by_two, std::nullopt,
                           [&](const std::vector<array>& p, const std::vector<array>& t,
                               const std::vector<int>& argnums) {
                             seen_argnums = argnums;
                             seen_tangents = t.size();
                             return two_by_two_jvp(p, t, argnums);
                           });
  std::vector<array> in{check::uniform({4}, -1, 1, 5), check::uniform({4}, -1, 1, 6)};
  check::grads(f, in);
  EXPECT_EQ(seen_argnums, (std::vector<int>{0, 1}));
  // Differentiating with respect to x only: y is a constant and gets no tangent.
  auto y = array({2.0f});
  auto [out, tan] = jvp([&](const array& x) { return f({x, y})[1]; }, array({1.0f}), array({3.0f}));
  EXPECT_EQ(seen_argnums, (std::vector<int>{0}));
  EXPECT_EQ(seen_tangents, 1u);
  expect_array<float>(tan, {1}, float32, {3.0f});
  check::vmaps(f, in);
}

TEST(CustomJVP, ScaledTangentIsObservable) {
  auto f = custom_function(
      [](const std::vector<array>& in) { return std::vector<array>{in[0] * array(2.0f)}; },
      std::nullopt,
      [](const std::vector<array>&, const std::vector<array>& t, const std::vector<int>&) {
        return std::vector<array>{t[0] * array(7.0f)};
      });
  auto [out, tan] =
      jvp([&](const array& x) { return f({x})[0]; }, array({1.0f, 2.0f}), array({1.0f, -1.0f}));
  expect_array<float>(out, {2}, float32, {2.0f, 4.0f});
  expect_array<float>(tan, {2}, float32, {7.0f, -7.0f});
  // vjp is not customised: the true derivative 2.
  auto g = grad([&](const array& x) { return sum(f({x})[0]); })(array({1.0f, 2.0f}));
  expect_array<float>(g, {2}, float32, {2.0f, 2.0f});
}

TEST(CustomVmap, RuleIsUsedAndDerivativesFlowThroughTheFunction) {
  int calls = 0;
  std::vector<int> seen_axes;
  auto f = custom_function(
      two_by_two, std::nullopt, std::nullopt,
      [&](const std::vector<array>& in, const std::vector<int>& axes) {
        ++calls;
        seen_axes = axes;
        // Batch along 1 for every input: move the axes, then compute.
        std::vector<array> moved;
        for (size_t i = 0; i < in.size(); ++i) {
          moved.push_back(axes[i] < 0 ? expand_dims(in[i], 1) : moveaxis(in[i], axes[i], 1));
        }
        return std::make_pair(two_by_two(moved), std::vector<int>{1, 1});
      });
  auto xs = array({0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f}, {2, 3});
  auto y = array({1.0f, 2.0f, 3.0f});
  auto outs = vmap(f, {0, -1})({xs, y});
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen_axes, (std::vector<int>{0, -1}));
  auto want = vmap(two_by_two, {0, -1})({xs, y});
  check::expect_same(outs[0], want[0], 1e-6);
  check::expect_same(outs[1], want[1], 1e-6);
  std::vector<array> in{check::uniform({3}, -1, 1, 8), check::uniform({3}, -1, 1, 9)};
  check::grads(f, in);
  check::vmaps(f, in);
}

TEST(CustomVmap, UnbatchedOutputIsBroadcast) {
  auto f = custom_function(
      [](const std::vector<array>& in) { return std::vector<array>{sum(in[0])}; }, std::nullopt,
      std::nullopt,
      [](const std::vector<array>& in, const std::vector<int>&) {
        // A (wrong, but valid) rule whose output is not batched: the same value for every row.
        return std::make_pair(std::vector<array>{array(5.0f)}, std::vector<int>{-1});
      });
  auto outs = vmap(f)({array({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2})});
  expect_array<float>(outs[0], {2}, float32, {5.0f, 5.0f});
}

TEST(CustomFunction, NoRulesIsTheFunction) {
  auto f = custom_function(two_by_two);
  auto x = array({0.5f}), y = array({2.0f});
  check::expect_same(f({x, y})[0], two_by_two({x, y})[0]);
  std::vector<array> in{check::uniform({3}, -1, 1, 10), check::uniform({3}, -1, 1, 11)};
  check::grads(f, in);
}

TEST(CustomFunction, AllRulesUnderTheHarness) {
  auto f = custom_function(two_by_two, two_by_two_vjp, two_by_two_jvp, std::nullopt);
  std::vector<array> in{check::uniform({2, 3}, -1, 1, 12), check::uniform({2, 3}, -1, 1, 13)};
  check::grads(f, in);
  check::vmaps(f, in);
  // jvp of vmap uses the batched jvp rule.
  auto xs = check::uniform({4, 3}, -1, 1, 14), ys = check::uniform({4, 3}, -1, 1, 15);
  auto tx = check::uniform({4, 3}, -1, 1, 16), ty = check::uniform({4, 3}, -1, 1, 17);
  auto [o1, t1] = jvp(vmap(f), std::vector<array>{xs, ys}, std::vector<array>{tx, ty});
  auto [o2, t2] = jvp(vmap(two_by_two), std::vector<array>{xs, ys}, std::vector<array>{tx, ty});
  check::expect_same(t1[0], t2[0]);
  check::expect_same(t1[1], t2[1]);
}

TEST(CustomFunction, EvaluatesWithoutCopy) {
  auto f = custom_vjp([](const std::vector<array>& in) { return std::vector<array>{in[0] + 1.0f}; },
                      [](const std::vector<array>&, const std::vector<array>& c,
                         const std::vector<array>&) { return c; });
  auto y = f({array({1.0f, 2.0f})})[0];
  EXPECT_EQ(y.primitive().name(), std::string("CustomTransforms"));
  ASSERT_EQ(y.inputs().size(), 2u);
  auto inner = y.inputs()[1];
  eval(y, inner);
  EXPECT_EQ(y.data<float>(), inner.data<float>());
  expect_array<float>(y, {2}, float32, {2.0f, 3.0f});
}

TEST(CustomFunction, Errors) {
  auto x = array({1.0f, 2.0f});
  auto wrong_count = custom_vjp(
      [](const std::vector<array>& in) { return std::vector<array>{in[0] * 2.0f}; },
      [](const std::vector<array>& p, const std::vector<array>&, const std::vector<array>&) {
        return std::vector<array>{p[0], p[0]};
      });
  auto loss = [](Fn f) { return [f](const array& a) { return sum(f({a})[0]); }; };
  EXPECT_INVALID(grad(loss(wrong_count))(x),
                 "[custom_function] The vjp rule returned 2 cotangents for a function of 1 "
                 "inputs.");
  auto wrong_shape = custom_vjp(
      [](const std::vector<array>& in) { return std::vector<array>{in[0] * 2.0f}; },
      [](const std::vector<array>&, const std::vector<array>&, const std::vector<array>&) {
        return std::vector<array>{array({1.0f, 2.0f, 3.0f})};
      });
  EXPECT_INVALID(grad(loss(wrong_shape))(x),
                 "[custom_function] The vjp rule returned a cotangent of shape (3) for input 0 of "
                 "shape (2).");
  auto bad_jvp = custom_function(
      [](const std::vector<array>& in) { return std::vector<array>{in[0] * 2.0f}; }, std::nullopt,
      [](const std::vector<array>&, const std::vector<array>&, const std::vector<int>&) {
        return std::vector<array>{array(1.0f)};
      });
  EXPECT_INVALID(jvp([&](const array& a) { return bad_jvp({a})[0]; }, x, x),
                 "[custom_function] The jvp rule returned a tangent of shape () for output 0 of "
                 "shape (2).");
  auto no_tangents = custom_function(
      [](const std::vector<array>& in) { return std::vector<array>{in[0] * 2.0f}; }, std::nullopt,
      [](const std::vector<array>&, const std::vector<array>&, const std::vector<int>&) {
        return std::vector<array>{};
      });
  EXPECT_INVALID(jvp([&](const array& a) { return no_tangents({a})[0]; }, x, x),
                 "[custom_function] The jvp rule returned 0 tangents for a function of 1 "
                 "outputs.");
  auto bad_vmap =
      custom_function([](const std::vector<array>& in) { return std::vector<array>{in[0] * 2.0f}; },
                      std::nullopt, std::nullopt,
                      [](const std::vector<array>& in, const std::vector<int>&) {
                        return std::make_pair(std::vector<array>{in[0]}, std::vector<int>{2});
                      });
  EXPECT_INVALID(vmap(bad_vmap)({array({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2})}),
                 "[custom_function] The vmap rule returned output 0 of shape (2,2) batched along "
                 "axis 2, but the function's output has shape (2) and the batch size is 2.");
  auto two_outputs = custom_function(
      [](const std::vector<array>& in) { return std::vector<array>{in[0] * 2.0f}; }, std::nullopt,
      std::nullopt,
      [](const std::vector<array>& in, const std::vector<int>&) {
        return std::make_pair(std::vector<array>{in[0], in[0]}, std::vector<int>{0, 0});
      });
  EXPECT_INVALID(vmap(two_outputs)({array({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2})}),
                 "[custom_function] The vmap rule returned 2 outputs and 2 output axes for a "
                 "function of 1 outputs.");
  auto empty = custom_vjp([](const std::vector<array>&) { return std::vector<array>{}; },
                          [](const std::vector<array>& p, const std::vector<array>&,
                             const std::vector<array>&) { return p; });
  EXPECT_INVALID(empty({x}), "[custom_function] The function must return at least one array.");
  // A rule that throws: its error reaches the caller unchanged.
  auto throws = custom_vjp(
      [](const std::vector<array>& in) { return std::vector<array>{in[0] * 2.0f}; },
      [](const std::vector<array>&, const std::vector<array>&,
         const std::vector<array>&) -> std::vector<array> { throw std::runtime_error("boom"); });
  EXPECT_EQ(error_of([&] { grad(loss(throws))(x); }), "boom");
  // The arrays stay usable.
  expect_array<float>(throws({x})[0], {2}, float32, {2.0f, 4.0f});
}

TEST(Checkpoint, MatchesTheFunction) {
  auto x = check::uniform({5}, -1, 1, 21, float32);
  auto plain = sine_chain(3, 3, false), ckpt = sine_chain(3, 3, true);
  check::expect_same(ckpt(x), plain(x), 1e-6);
  check::expect_same(grad(ckpt)(x), grad(plain)(x), 1e-6);
  // Second order: the recomputation is differentiable.
  check::expect_same(grad([&](const array& a) { return sum(grad(ckpt)(a)); })(x),
                     grad([&](const array& a) { return sum(grad(plain)(a)); })(x), 1e-5);
  Fn f = checkpoint(two_by_two);
  std::vector<array> in{check::uniform({2, 2}, -1, 1, 22), check::uniform({2, 2}, -1, 1, 23)};
  check::grads(f, in);
  check::vmaps(f, in);
  // grad of vmap of a checkpointed block.
  auto xs = check::uniform({3, 4}, -1, 1, 24);
  auto vloss = [&](const array& a) {
    return sum(vmap([&](const array& r) { return f({r, r})[0]; })(a));
  };
  auto vplain = [&](const array& a) {
    return sum(vmap([&](const array& r) { return two_by_two({r, r})[0]; })(a));
  };
  check::expect_same(grad(vloss)(xs), grad(vplain)(xs));
}

TEST(Checkpoint, FreesIntermediates) {
  // 8 blocks of 8 sines over 1 MiB arrays: without checkpoint the backward pass needs all 64
  // intermediates at once; with it, the 8 block outputs and one block's recomputation.
  constexpr int kBlocks = 8, kOps = 8;
  auto x = check::uniform({1 << 18}, -1, 1, 31, float32);
  eval(x);
  auto peak_of = [&](bool checkpointed) {
    auto g = grad(sine_chain(kBlocks, kOps, checkpointed));
    reset_peak_memory();
    size_t before = get_active_memory();
    auto dx = g(x);
    eval(dx);
    return get_peak_memory() - before;
  };
  size_t plain = peak_of(false);
  size_t ckpt = peak_of(true);
  size_t mib = 1 << 20;
  EXPECT_GE(plain, size_t{kBlocks * kOps * 3 / 4} * mib);
  EXPECT_LT(ckpt, plain / 2) << "plain " << plain / mib << " MiB, checkpoint " << ckpt / mib
                             << " MiB";
  // Same gradient.
  check::expect_same(grad(sine_chain(kBlocks, kOps, true))(x),
                     grad(sine_chain(kBlocks, kOps, false))(x), 1e-6);
}
