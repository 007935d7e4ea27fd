// compile: values against the uncompiled function, the trace cache, shapeless reuse,
// simplification, modes, composition with the other transformations, errors and threads.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "check.h"
#include "helpers.h"
#include "mlx/compile_impl.h"
#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

using Fn = std::function<std::vector<array>(const std::vector<array>&)>;

// Nodes (primitive applications) that still have to be computed to get `outs`.
int count_nodes(const std::vector<array>& outs) {
  std::unordered_set<std::uintptr_t> seen;
  std::vector<array> stack(outs.begin(), outs.end());
  int n = 0;
  while (!stack.empty()) {
    array a = stack.back();
    stack.pop_back();
    if (!a.has_primitive() || !seen.insert(a.id()).second) {
      continue;
    }
    for (auto& s : a.siblings()) {
      seen.insert(s.id());
    }
    ++n;
    for (auto& in : a.inputs()) {
      stack.push_back(in);
    }
  }
  return n;
}

void expect_close(const array& a, const array& b, double tol = 1e-5) {
  ASSERT_EQ(a.shape(), b.shape());
  ASSERT_EQ(a.dtype(), b.dtype());
  auto x = check::values(a), y = check::values(b);
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR(x[i], y[i], tol * (1 + std::abs(y[i]))) << "at " << i;
  }
}

void expect_same(const Fn& f, const std::vector<array>& inputs, double tol = 1e-5) {
  auto want = f(inputs);
  auto got = compile(f)(inputs);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    expect_close(got[i], want[i], tol);
  }
}

// Restores the default mode when a test that changes it ends.
struct ModeGuard {
  explicit ModeGuard(CompileMode m) { set_compile_mode(m); }
  ~ModeGuard() { set_compile_mode(CompileMode::enabled); }
};

std::atomic<int> traces_a{0};
std::vector<array> counted_a(const std::vector<array>& x) {
  ++traces_a;
  return {exp(x[0]) * x[0] + sin(x[0])};
}

std::atomic<int> traces_b{0};
std::vector<array> counted_b(const std::vector<array>& x) {
  ++traces_b;
  std::vector<array> out;
  for (auto& a : x) {
    out.push_back(a + a);
  }
  return out;
}

std::atomic<int> traces_generic{0};
std::vector<array> shape_generic(const std::vector<array>& x) {
  ++traces_generic;
  return {exp(x[0]) * x[1] - sin(x[1]) / (x[0] * x[0] + x[1] * x[1] + exp(x[0]))};
}

std::atomic<int> traces_mean{0};
std::vector<array> mean_based(const std::vector<array>& x) {
  ++traces_mean;
  return {mean(x[0], -1) + sum(x[0] * x[0], -1)};
}

std::vector<array> evaluates(const std::vector<array>& x) {
  auto y = exp(x[0]);
  eval(y);
  return {y};
}

}  // namespace

TEST(CompileValues, OpMixesMatchUncompiled) {
  auto x = check::uniform({4, 5}, -1, 1, 1, float32);
  auto y = check::uniform({4, 5}, 0.5, 2, 2, float32);
  auto w = check::uniform({5, 3}, -1, 1, 3, float32);
  expect_same([](const std::vector<array>& in) { return std::vector<array>{exp(in[0]) + in[1]}; },
              {x, y});
  expect_same(
      [](const std::vector<array>& in) {
        auto g = in[0] * sigmoid(in[0]) + array(0.5f) * tanh(in[1]);
        return std::vector<array>{maximum(g, array(0.0f)), log(in[1]) / sqrt(in[1])};
      },
      {x, y});
  expect_same(
      [](const std::vector<array>& in) {
        auto h = matmul(in[0], in[2]);
        return std::vector<array>{softmax(h, -1), sum(h * h, 0), max(h, {0, 1})};
      },
      {x, y, w});
  expect_same(
      [](const std::vector<array>& in) {
        auto m = greater(in[0], array(0.0f));
        return std::vector<array>{where(m, in[0], in[1]), astype(m, int32) * array(3)};
      },
      {x, y});
  // Broadcasting, a transpose, a reshape and a slice.
  expect_same(
      [](const std::vector<array>& in) {
        auto b = reshape(in[0], {20}) + reshape(transpose(in[1]), {20});
        auto row = slice(in[0], {1, 0}, {2, 5});
        return std::vector<array>{b, in[1] - row, cumsum(in[0], 1)};
      },
      {x, y});
  // Integer and bool dtypes.
  auto xi = astype(iota({2, 3}), int64);
  expect_same(
      [](const std::vector<array>& in) {
        return std::vector<array>{in[0] * in[0] - array(2, int64), in[0] % array(2, int64),
                                  logical_not(equal(in[0], array(3, int64)))};
      },
      {xi});
  // float64 and float16.
  expect_same([](const std::vector<array>& in) { return std::vector<array>{exp(in[0]) * in[0]}; },
              {check::uniform({7}, -1, 1, 4, float64)});
  expect_same(
      [](const std::vector<array>& in) { return std::vector<array>{in[0] * in[0] + in[0]}; },
      {check::uniform({7}, -1, 1, 5, float16)}, 1e-3);
}

TEST(CompileValues, RepeatedCallsAndNewInputs) {
  auto f = compile(
      [](const std::vector<array>& in) { return std::vector<array>{in[0] * in[1] + array(1.0f)}; });
  for (int i = 0; i < 3; ++i) {
    auto a = array({1.0f, 2.0f, 3.0f}) + array(static_cast<float>(i));
    auto out = f({a, array({2.0f, 2.0f, 2.0f})})[0];
    expect_array<float>(out, {3}, float32,
                        {2.0f * (1 + i) + 1, 2.0f * (2 + i) + 1, 2.0f * (3 + i) + 1});
  }
}

TEST(CompileValues, MultipleOutputsInputsAndConstants) {
  auto c = array({10.0f, 20.0f});
  auto f = compile([c](const std::vector<array>& in) {
    return std::vector<array>{in[1], in[0] + c, c, in[0], in[0] * in[0]};
  });
  auto a = array({1.0f, 2.0f});
  auto b = array({5, 6});
  auto out = f({a, b});
  ASSERT_EQ(out.size(), 5u);
  // Outputs that are inputs or constants are the very same arrays.
  EXPECT_EQ(out[0].id(), b.id());
  EXPECT_EQ(out[2].id(), c.id());
  EXPECT_EQ(out[3].id(), a.id());
  expect_array<float>(out[1], {2}, float32, {11.0f, 22.0f});
  expect_array<float>(out[4], {2}, float32, {1.0f, 4.0f});
}

TEST(CompileValues, MultiOutputPrimitive) {
  auto f = compile([](const std::vector<array>& in) {
    auto qr = divmod(in[0], in[1]);
    return std::vector<array>{qr[1], qr[0] * array(10)};
  });
  auto out = f({array({7, -7, 9}), array({2, 2, 4})});
  expect_array<int>(out[0], {3}, int32, {1, 1, 1});
  expect_array<int>(out[1], {3}, int32, {30, -40, 20});
}

TEST(CompileValues, CapturedArraysAreConstants) {
  auto w = array({1.0f, 2.0f, 3.0f});
  auto lazy = w * array(2.0f);  // captured before it is evaluated
  auto f = compile(
      [w, lazy](const std::vector<array>& in) { return std::vector<array>{in[0] * w + lazy}; });
  expect_array<float>(f({array({1.0f, 1.0f, 1.0f})})[0], {3}, float32, {3.0f, 6.0f, 9.0f});
  eval(lazy);
  expect_array<float>(f({array({2.0f, 0.0f, 1.0f})})[0], {3}, float32, {4.0f, 4.0f, 9.0f});
}

TEST(CompileCache, SameSignatureDoesNotRetrace) {
  detail::compile_clear_cache();
  traces_a = 0;
  auto f = compile(counted_a);
  auto x = array({0.5f, 1.0f});
  auto r1 = f({x})[0];
  auto r2 = f({array({2.0f, 3.0f})})[0];
  EXPECT_EQ(traces_a.load(), 1);
  expect_close(r1, counted_a({x})[0]);
  traces_a = 0;
  // A capture-less lambda or the same function pointer shares the cache.
  auto g = compile(counted_a);
  g({array({1.0f, 1.0f})});
  EXPECT_EQ(traces_a.load(), 0);
  f({array({1.0f, 2.0f, 3.0f})});  // new shape
  EXPECT_EQ(traces_a.load(), 1);
  f({array({1.0, 2.0}, float64)});  // new dtype
  EXPECT_EQ(traces_a.load(), 2);
  f({array({1.0f, 2.0f}, {1, 2})});  // new rank
  EXPECT_EQ(traces_a.load(), 3);
  f({array({4.0f, 5.0f})});
  f({array({1.0f, 2.0f, 3.0f})});
  EXPECT_EQ(traces_a.load(), 3);

  traces_b = 0;
  auto h = compile(counted_b);
  h({array(1)});
  h({array(1), array(2)});  // new arity
  h({array(3), array(4)});
  EXPECT_EQ(traces_b.load(), 2);
  auto out = h({array(3), array(4), array(5)});
  EXPECT_EQ(traces_b.load(), 3);
  expect_array<int>(out[2], {}, int32, {10});
}

TEST(CompileCache, ClosuresGetTheirOwnEntries) {
  int traces = 0;
  auto make = [&traces](float k) {
    return compile([&traces, k](const std::vector<array>& in) {
      ++traces;
      return std::vector<array>{in[0] * array(k)};
    });
  };
  auto f2 = make(2.0f);
  auto f3 = make(3.0f);
  auto x = array({1.0f, 2.0f});
  expect_array<float>(f2({x})[0], {2}, float32, {2.0f, 4.0f});
  expect_array<float>(f3({x})[0], {2}, float32, {3.0f, 6.0f});
  f2({x});
  f3({x});
  EXPECT_EQ(traces, 2);
  // Closures made in a loop are traced each time and leave nothing behind when dropped.
  for (int i = 0; i < 5; ++i) {
    auto f = make(static_cast<float>(i));
    expect_array<float>(f({x})[0], {2}, float32, {1.0f * i, 2.0f * i});
  }
  EXPECT_EQ(traces, 7);
}

TEST(CompileCache, ExplicitIdsConstantsAndErase) {
  int traces = 0;
  Fn fun = [&traces](const std::vector<array>& in) {
    ++traces;
    return std::vector<array>{in[0] + array(1)};
  };
  auto a = detail::compile(fun, 12345, false, {1});
  auto b = detail::compile(fun, 12345, false, {2});
  a({array(1)});
  a({array(2)});
  b({array(1)});
  EXPECT_EQ(traces, 2);
  detail::compile_erase(12345);
  expect_array<int>(a({array(5)})[0], {}, int32, {6});
  EXPECT_EQ(traces, 3);
  detail::compile_clear_cache();
  b({array(5)});
  EXPECT_EQ(traces, 4);
}

TEST(CompileShapeless, ReusesTheTraceAcrossShapes) {
  detail::compile_clear_cache();
  traces_generic = 0;
  auto f = compile(shape_generic, /* shapeless = */ true);
  for (int n : {3, 5, 8, 2, 5}) {
    auto x = check::uniform({n}, -1, 1, n, float32);
    auto y = check::uniform({n}, -1, 1, n + 100, float32);
    expect_close(f({x, y})[0], shape_generic({x, y})[0]);
  }
  // One trace, and one more at the second shape to confirm the graph does not depend on shapes.
  EXPECT_EQ(traces_generic.load(), 2 + 5);  // +5: the uncompiled reference calls
  traces_generic = 0;
  f({check::uniform({4, 4}, -1, 1, 9, float32), check::uniform({4, 4}, -1, 1, 10, float32)});
  EXPECT_EQ(traces_generic.load(), 1);  // new rank
  f({array({1.0, 2.0}, float64), array({1.0, 2.0}, float64)});
  EXPECT_EQ(traces_generic.load(), 2);  // new dtype
  // Shapes that do not broadcast still give the op's error.
  EXPECT_THROW(f({array({1.0f, 2.0f}), array({1.0f, 2.0f, 3.0f})}), std::invalid_argument);
}

TEST(CompileShapeless, ShapeDependentTracesRetrace) {
  detail::compile_clear_cache();
  traces_mean = 0;
  auto f = compile(mean_based, /* shapeless = */ true);
  std::vector<int> sizes{2, 3, 4, 3, 6};
  for (int n : sizes) {
    auto x = iota({2, n}, float32);
    auto got = f({x})[0];
    auto want = mean_based({x})[0];
    expect_close(got, want);
  }
  // mean's 1/n is baked into each trace: every distinct shape is traced (4 shapes) and the
  // reference calls count too (5).
  EXPECT_EQ(traces_mean.load(), 4 + 5);
  // Scalar constants broadcast to the input's shape: correct whatever the shape.
  auto g = compile(
      [](const std::vector<array>& in) { return std::vector<array>{in[0] * array(2.0f) + 1.0f}; },
      true);
  expect_array<float>(g({array({1.0f})})[0], {1}, float32, {3.0f});
  expect_array<float>(g({array({1.0f, 2.0f})})[0], {2}, float32, {3.0f, 5.0f});
  expect_array<float>(g({array({1.0f, 2.0f, 3.0f})})[0], {3}, float32, {3.0f, 5.0f, 7.0f});
}

TEST(CompileShapeless, PrimitivesWithoutShapeRulesRetrace) {
  int traces = 0;
  auto f = compile(
      [&traces](const std::vector<array>& in) {
        ++traces;
        return std::vector<array>{exp(transpose(in[0]))};
      },
      true);
  for (auto [m, n] : std::vector<std::pair<int, int>>{{2, 3}, {3, 4}, {4, 5}, {3, 4}}) {
    auto x = iota({m, n}, float32);
    expect_close(f({x})[0], exp(transpose(x)));
  }
  // The second shape confirms the graph; Transpose cannot infer shapes, so the third is traced.
  EXPECT_EQ(traces, 3);
}

TEST(CompileShapeless, MatmulAndReductionsKeepingDims) {
  auto fn = [](const std::vector<array>& in) {
    auto h = matmul(in[0], in[1]);
    return std::vector<array>{sum(exp(h), {1}, true), max(h, {0}, true)};
  };
  auto f = compile(fn, true);
  for (auto [m, k, n] : std::vector<std::tuple<int, int, int>>{{2, 3, 4}, {3, 2, 5}, {4, 4, 1}}) {
    auto a = check::uniform({m, k}, -1, 1, m, float32);
    auto b = check::uniform({k, n}, -1, 1, n, float32);
    auto got = f({a, b});
    auto want = fn({a, b});
    expect_close(got[0], want[0]);
    expect_close(got[1], want[1]);
  }
}

TEST(CompileSimplify, MergesCommonSubexpressionsAndConstants) {
  ModeGuard mode(CompileMode::no_fuse);
  auto fn = [](const std::vector<array>& in) {
    auto a = exp(in[0]) * array(2.0f);
    auto b = exp(in[0]) * array(2.0f);
    return std::vector<array>{a + b};
  };
  auto x = array({0.0f, 1.0f});
  auto out = compile(fn)({x});
  // exp, one broadcast constant, one multiply, the add: the second exp and multiply merged.
  EXPECT_EQ(count_nodes(out), 4);
  expect_close(out[0], fn({x})[0]);
  // Merged outputs stay distinct handles with the right values.
  auto two = compile([](const std::vector<array>& in) {
    return std::vector<array>{sin(in[0]), sin(in[0]) + array(0.0f)};
  })({x});
  expect_close(two[0], sin(x));
  expect_close(two[1], sin(x));
}

TEST(CompileSimplify, MergesMultiOutputNodes) {
  ModeGuard mode(CompileMode::no_fuse);
  auto fn = [](const std::vector<array>& in) {
    auto a = divmod(in[0], in[1]);
    auto b = divmod(in[0], in[1]);
    return std::vector<array>{a[0] + b[0], a[1] * b[1]};
  };
  auto out = compile(fn)({array({7, 9}), array({2, 4})});
  EXPECT_EQ(count_nodes(out), 3);  // one divmod, the add and the multiply
  expect_array<int>(out[0], {2}, int32, {6, 4});
  expect_array<int>(out[1], {2}, int32, {1, 1});
}

TEST(CompileSimplify, NoSimplifyKeepsEveryNode) {
  auto fn = [](const std::vector<array>& in) {
    return std::vector<array>{exp(in[0]) + exp(in[0])};
  };
  auto x = array({0.0f, 1.0f});
  auto run = [&](CompileMode m) {
    ModeGuard guard(m);
    auto out = compile(fn)({x});
    std::ostringstream os;
    os << count_nodes(out) << " ";
    out[0].primitive().print(os);  // before evaluation drops the graph
    expect_close(out[0], fn({x})[0]);
    return os.str();
  };
  // Fusion makes one node either way; without simplification it computes exp twice.
  EXPECT_EQ(run(CompileMode::no_simplify), "1 Compiled(Exp, Exp, Add)");
  EXPECT_EQ(run(CompileMode::enabled), "1 Compiled(Exp, Add)");
  EXPECT_EQ(run(CompileMode::no_fuse), "2 Add");
}

TEST(CompileModes, DisableAndEnable) {
  int traces = 0;
  Fn fn = [&traces](const std::vector<array>& in) {
    ++traces;
    return std::vector<array>{in[0] + array(1)};
  };
  disable_compile();
  EXPECT_EQ(detail::compile_mode(), CompileMode::disabled);
  auto f = compile(fn);
  f({array(1)});
  f({array(1)});
  EXPECT_EQ(traces, 2);  // the function itself runs each time
  enable_compile();
  EXPECT_EQ(detail::compile_mode(), CompileMode::enabled);
  auto g = compile(fn);
  expect_array<int>(g({array(1)})[0], {}, int32, {2});
  g({array(1)});
  EXPECT_EQ(traces, 3);
  // A compiled function runs uncompiled while compile is disabled.
  disable_compile();
  g({array(1)});
  EXPECT_EQ(traces, 4);
  enable_compile();
  for (auto m : {CompileMode::no_simplify, CompileMode::no_fuse, CompileMode::enabled}) {
    ModeGuard guard(m);
    EXPECT_EQ(detail::compile_mode(), m);
    expect_array<int>(compile(fn)({array(4)})[0], {}, int32, {5});
  }
}

TEST(CompileErrors, EvaluatingInsideIsAnError) {
  const std::string msg =
      "[eval] Attempting to eval an array during function transformations like compile or "
      "vmap is not allowed.";
  auto x = array({1.0f});
  EXPECT_INVALID(compile(evaluates)({x}), msg);
  EXPECT_INVALID(compile([](const std::vector<array>& in) {
                   float v = sum(in[0]).item<float>();
                   return std::vector<array>{in[0] * array(v)};
                 })({x}),
                 msg);
  EXPECT_INVALID(compile([](const std::vector<array>& in) {
                   async_eval({in[0] + array(1.0f)});
                   return in;
                 })({x}),
                 msg);
  EXPECT_INVALID(vmap([](const array& a) {
                   auto b = a * a;
                   eval(b);
                   return b;
                 })(array({1.0f, 2.0f})),
                 msg);
  // Ops whose shapes depend on values refuse tracing too.
  EXPECT_THROW(compile([](const std::vector<array>& in) { return nonzero(in[0]); })({x}),
               std::invalid_argument);
  // After an error the function and compile keep working.
  expect_array<float>(compile(counted_a)({array({0.0f})})[0], {1}, float32, {0.0f});
}

TEST(CompileErrors, ErrorsPropagate) {
  auto f = compile([](const std::vector<array>& in) {
    if (in.size() != 2) {
      throw std::invalid_argument("two inputs please");
    }
    return std::vector<array>{matmul(in[0], in[1])};
  });
  EXPECT_INVALID(f({array({1.0f})}), "two inputs please");
  EXPECT_THROW(f({ones({2, 3}), ones({2, 3})}), std::invalid_argument);
  // Kernel errors surface when the result is evaluated.
  auto g = compile(
      [](const std::vector<array>& in) { return std::vector<array>{take(in[0], in[1], 0)}; });
  auto out = g({array({1.0f, 2.0f}), array({5})})[0];
  EXPECT_THROW(eval(out), std::exception);
  expect_array<float>(g({array({1.0f, 2.0f}), array({1})})[0], {1}, float32, {2.0f});
}

TEST(CompileCompose, GradVjpJvpVmap) {
  auto scalar = [](const std::vector<array>& in) {
    return sum(sin(in[0]) * in[1] + exp(in[0] * in[1]));
  };
  Fn fn = [scalar](const std::vector<array>& in) { return std::vector<array>{scalar(in)}; };
  auto first = [](Fn f) { return [f](const std::vector<array>& in) { return f(in)[0]; }; };
  auto x = check::uniform({3}, -1, 1, 1);
  auto y = check::uniform({3}, -1, 1, 2);
  // grad(compile(f)), compile(grad(f)) and nestings agree with grad(f).
  auto want = grad(scalar, {0, 1})({x, y});
  auto g1 = grad(first(compile(fn)), {0, 1})({x, y});
  auto g2 = compile(grad(scalar, {0, 1}))({x, y});
  auto g3 = compile(compile(grad(first(compile(fn)), {0, 1})))({x, y});
  for (int i = 0; i < 2; ++i) {
    expect_close(g1[i], want[i]);
    expect_close(g2[i], want[i]);
    expect_close(g3[i], want[i]);
  }
  // The check harness: derivatives against finite differences, vmap against a loop.
  Fn elementwise = [](const std::vector<array>& in) {
    return std::vector<array>{sin(in[0]) * in[1] + exp(in[0] * in[1]), tanh(in[0])};
  };
  check::grads(compile(elementwise), {x, y});
  check::vmaps(compile(elementwise), {x, y});
  auto vf = vmap(elementwise, {0, 0});
  auto xb = check::uniform({4, 3}, -1, 1, 3);
  auto yb = check::uniform({4, 3}, -1, 1, 4);
  auto vwant = vf({xb, yb});
  auto vgot = compile(vf)({xb, yb});
  expect_close(vgot[0], vwant[0]);
  expect_close(vgot[1], vwant[1]);
  auto [outs, tangents] = jvp(compile(elementwise), {x, y}, {ones_like(x), zeros_like(y)});
  auto [outs2, tangents2] = jvp(elementwise, {x, y}, {ones_like(x), zeros_like(y)});
  expect_close(tangents[0], tangents2[0]);
  expect_close(tangents[1], tangents2[1]);
}

TEST(CompileGraph, LongChainCompiles) {
  auto f = compile([](const std::vector<array>& in) {
    auto x = in[0];
    for (int i = 0; i < 100000; ++i) {
      x = x + array(1.0f);
    }
    return std::vector<array>{x};
  });
  expect_array<float>(f({array({0.0f, 1.0f})})[0], {2}, float32, {100000.0f, 100001.0f});
  expect_array<float>(f({array({2.0f, 3.0f})})[0], {2}, float32, {100002.0f, 100003.0f});
}

TEST(CompileThreads, CompileFromTwoThreads) {
  auto fn = [](const std::vector<array>& in) {
    return std::vector<array>{exp(in[0]) * in[0] - in[0]};
  };
  auto shared = compile(fn);
  std::atomic<int> failures{0};
  auto work = [&](int seed) {
    for (int i = 0; i < 50; ++i) {
      int n = 1 + (i + seed) % 4;
      auto x = check::uniform({n}, -1, 1, seed * 100 + i, float32);
      auto own = compile(fn);
      for (auto& f : {shared, own}) {
        auto got = check::values(f({x})[0]);
        auto want = check::values(fn({x})[0]);
        for (size_t k = 0; k < got.size(); ++k) {
          if (std::abs(got[k] - want[k]) > 1e-6) {
            ++failures;
          }
        }
      }
    }
  };
  std::thread t1(work, 1), t2(work, 2);
  t1.join();
  t2.join();
  EXPECT_EQ(failures.load(), 0);
}

// compile and fusion together: GELU's nine ops become one fused node that reads x once, and the
// transformations see through it.
TEST(CompileFused, GeluIsOneNodeAndDifferentiable) {
  auto gelu = [](const std::vector<array>& in) {
    auto& x = in[0];
    auto inner = array(0.7978845608f) * (x + array(0.044715f) * (x * x * x));
    return std::vector<array>{array(0.5f) * x * (array(1.0f) + tanh(inner))};
  };
  auto x = array({-3.0f, -1.0f, -0.25f, 0.0f, 0.5f, 2.0f, 4.0f});
  // The first call also computes the trace's constants (the scalars broadcast to x's shape);
  // later calls reuse them, leaving one node.
  eval(compile(gelu)({x}));
  auto out = compile(gelu)({x});
  EXPECT_EQ(count_nodes(out), 1);
  EXPECT_STREQ(out[0].primitive().name(), "Compiled");
  // Same tile kernels as the eager ops, so the values are the same bits.
  auto want = gelu({x})[0];
  EXPECT_TRUE(array_equal(out[0], want).item<bool>());

  auto loss = [&](const std::vector<array>& in) { return sum(gelu(in)[0]); };
  auto compiled_loss = [&](const std::vector<array>& in) { return sum(compile(Fn(gelu))(in)[0]); };
  expect_close(grad(compiled_loss)({x})[0], grad(loss)({x})[0]);
  // d/dx gelu(0) = 0.5.
  EXPECT_FLOAT_EQ(grad(compiled_loss)({x})[0].index({3}).item<float>(), 0.5f);
  expect_close(vmap(compile(Fn(gelu)))({reshape(x, {7, 1})})[0], reshape(want, {7, 1}));
}
