// vjp, jvp, grad, value_and_grad, vmap, stop_gradient, and the harness run over every op.
#include <gtest/gtest.h>

#include "helpers.h"

#include "check.h"
#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

float scalar(const array& a) { return astype(a, float32).item<float>(); }

}  // namespace

TEST(Transforms, GradOfSquare) {
  auto f = [](const array& x) { return x * x; };
  auto df = grad(f);
  EXPECT_EQ(scalar(df(array(3.0f))), 6.0f);
  auto [v, g] = value_and_grad(f)(array(-2.0f));
  EXPECT_EQ(scalar(v), 4.0f);
  EXPECT_EQ(scalar(g), -4.0f);
}

TEST(Transforms, GradOfGradAndThirdOrder) {
  auto f = [](const array& x) { return x * x * x; };  // 3x^2, 6x, 6
  EXPECT_EQ(scalar(grad(f)(array(2.0f))), 12.0f);
  EXPECT_EQ(scalar(grad(grad(f))(array(2.0f))), 12.0f);
  EXPECT_EQ(scalar(grad(grad(grad(f)))(array(2.0f))), 6.0f);
}

TEST(Transforms, ArgnumsIncludingNegative) {
  auto f = [](const std::vector<array>& in) { return sum(in[0] * in[1] + in[2]); };
  std::vector<array> x{array({1.0f, 2.0f}), array({3.0f, 4.0f}), array({5.0f, 6.0f})};
  auto g = grad(f, {0, -1})(x);
  ASSERT_EQ(g.size(), 2u);
  check::expect_same(g[0], array({3.0f, 4.0f}));
  check::expect_same(g[1], array({1.0f, 1.0f}));
  auto g1 = grad(f, 1)(x);
  check::expect_same(g1[0], array({1.0f, 2.0f}));
  EXPECT_EQ(error_of([&] {
              grad(f, {0, 0})(x);
            }),
            "[grad] Repeated argument numbers are not allowed.");
  EXPECT_EQ(error_of([&] { grad(f, 3)(x); }),
            "[grad] Invalid argument number 3 for a function with 3 inputs.");
  EXPECT_EQ(error_of([&] { grad(f, std::vector<int>{}); }),
            "[grad] Must specify at least one argument.");
}

TEST(Transforms, GradNeedsScalarFirstOutput) {
  auto f = [](const array& x) { return x * x; };
  EXPECT_EQ(error_of([&] {
              grad(f)(array({1.0f, 2.0f}));
            }),
            "[grad] The function must return a scalar as its first output, got shape (2).");
}

TEST(Transforms, ValueAndGradWithAuxOutputs) {
  auto f = [](const std::vector<array>& in) {
    auto y = in[0] * in[0];
    return std::vector<array>{sum(y), y * array(10.0f)};
  };
  auto [outs, grads] = value_and_grad(f)({array({1.0f, 2.0f})});
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(scalar(outs[0]), 5.0f);
  check::expect_same(outs[1], array({10.0f, 40.0f}));
  check::expect_same(grads[0], array({2.0f, 4.0f}));
}

TEST(Transforms, StopGradient) {
  auto f = [](const array& x) { return sum(x * stop_gradient(x)); };
  check::expect_same(grad(f)(array({1.0f, 3.0f})), array({1.0f, 3.0f}));
  auto g = [](const array& x) { return sum(stop_gradient(x * x)); };
  check::expect_same(grad(g)(array({1.0f, 3.0f})), array({0.0f, 0.0f}));
  auto [o, t] = jvp([](const array& x) { return stop_gradient(x) + x; }, array(2.0f), array(1.0f));
  EXPECT_EQ(scalar(o), 4.0f);
  EXPECT_EQ(scalar(t), 1.0f);
}

TEST(Transforms, VjpAndJvpUnaryForms) {
  auto f = [](const array& x) { return x * array(3.0f) + x * x; };
  auto [out, ct] = vjp(f, array({1.0f, 2.0f}), array({1.0f, 10.0f}));
  check::expect_same(out, array({4.0f, 10.0f}));
  check::expect_same(ct, array({5.0f, 70.0f}));
  auto [out2, tan] = jvp(f, array({1.0f, 2.0f}), array({1.0f, 10.0f}));
  check::expect_same(tan, array({5.0f, 70.0f}));
  EXPECT_EQ(error_of([&] {
              vjp(f, array({1.0f, 2.0f}), array({1.0f}));
            }),
            "[vjp] Output 0 has shape (2) but its cotangent has shape (1).");
  EXPECT_EQ(error_of([&] {
              jvp(f, array({1.0f, 2.0f}), array(1.0f));
            }),
            "[jvp] Primal 0 has shape (2) but its tangent has shape ().");
}

TEST(Transforms, CotangentIsCastToOutputDtype) {
  auto f = [](const array& x) { return sum(x * x); };
  auto g = grad(f)(array({1.0, 2.0}, float64));
  EXPECT_EQ(g.dtype(), float64);
  auto h = grad(f)(array({1.0f, 2.0f}, float16));
  EXPECT_EQ(h.dtype(), float16);
  check::expect_same(h, array({2.0f, 4.0f}, float16));
}

TEST(Transforms, UnusedInputGetsZeros) {
  auto f = [](const std::vector<array>& in) { return sum(in[0]); };
  auto g = grad(f, {0, 1})({array({1.0f, 2.0f}), array({5.0f, 6.0f, 7.0f})});
  check::expect_same(g[1], zeros({3}));
}

TEST(Transforms, EvalInsideATracedFunctionKeepsTheGraph) {
  auto f = [](const array& x) {
    auto y = x * x;
    eval(y);  // a sync point inside the traced function
    return sum(y * x);
  };
  check::expect_same(grad(f)(array({1.0f, 2.0f})), array({3.0f, 12.0f}));
}

TEST(Transforms, DeepGraphGradient) {
  auto f = [](const array& x) {
    auto y = x;
    for (int i = 0; i < 20000; ++i) y = y + x;
    return sum(y);
  };
  EXPECT_EQ(scalar(grad(f)(array(1.0f))), 20001.0f);
}

TEST(Transforms, VmapBasics) {
  auto x = reshape(arange(6.0), {2, 3});
  auto f = [](const array& v) { return sum(v * v); };
  check::expect_same(vmap(f)(x), array({5.0f, 50.0f}));
  check::expect_same(vmap(f, 1)(x), array({9.0f, 17.0f, 29.0f}));
  auto g = [](const array& a, const array& b) { return a * b; };
  auto y = array({10.0f, 20.0f, 30.0f});
  check::expect_same(vmap(g, 0, -1)(x, y), x * y);
  check::expect_same(vmap(g, 0, -1, 1)(x, y), transpose(x * y));
  EXPECT_EQ(error_of([&] { vmap(g, 0, 0)(x, y); }),
            "[vmap] Inconsistent sizes of the mapped axes: 2 and 3.");
  EXPECT_EQ(error_of([&] { vmap(f, 2)(x); }),
            "[vmap] Input axis 2 of input 0 is out of bounds for an array with 2 dimensions.");
  // An output that does not depend on the mapped input is repeated along the batch axis.
  auto c = vmap([](const array&) { return array({1.0f, 2.0f}); })(x);
  check::expect_same(c, array({1.0f, 2.0f, 1.0f, 2.0f}, {2, 2}));
}

TEST(Transforms, VmapOfGradAndGradOfVmap) {
  auto f = [](const array& v) { return sum(v * v * v); };
  auto x = reshape(arange(6.0), {2, 3});
  check::expect_same(vmap(grad(f))(x), x * x * array(3.0f));
  auto h = [](const array& m) { return sum(vmap([](const array& r) { return r * r; })(m)); };
  check::expect_same(grad(h)(x), x * array(2.0f));
}

TEST(Transforms, JvpOfVjp) {
  // d/dx of the vjp of x^3 (= 3x^2 * ct) along tangent 1 is 6x * ct.
  auto g = [](const array& x) {
    return vjp([](const array& y) { return y * y * y; }, x, array(2.0f)).second;
  };
  auto [out, tan] = jvp(g, array(3.0f), array(1.0f));
  EXPECT_EQ(scalar(out), 54.0f);
  EXPECT_EQ(scalar(tan), 36.0f);
}

// ---- every foundation op through the harness ----

namespace {
array x234() { return check::uniform({2, 3, 4}, -1, 1, 2); }
array pos(const Shape& s, unsigned seed) { return check::uniform(s, 0.5, 2.0, seed); }
}  // namespace

#define HARNESS(name, fn, ...)              \
  TEST(Harness, name) {                     \
    check::Fn f = fn;                       \
    std::vector<array> inputs{__VA_ARGS__}; \
    check::grads(f, inputs);                \
    check::vmaps(f, inputs);                \
  }

using V = std::vector<array>;

HARNESS(
    Add, [](const V& in) { return V{in[0] + in[1]}; }, x234(), x234())
HARNESS(
    AddBroadcast, [](const V& in) { return V{in[0] + in[1]}; }, x234(),
    check::uniform({3, 1}, -1, 1, 5))
HARNESS(
    Subtract, [](const V& in) { return V{in[0] - in[1]}; }, x234(), x234())
HARNESS(
    Multiply, [](const V& in) { return V{in[0] * in[1]}; }, x234(), check::uniform({4}, -1, 1, 6))
HARNESS(
    Divide, [](const V& in) { return V{in[0] / in[1]}; }, x234(), pos({2, 3, 4}, 7))
HARNESS(
    Negative, [](const V& in) { return V{-in[0]}; }, x234())
TEST(Harness, AsType) {
  // Through float32 and back: a larger step keeps float32 rounding out of the differences.
  check::Fn f = [](const V& in) { return V{astype(astype(in[0], float32), float64)}; };
  check::grads(f, {x234()}, 1e-2, 1e-5);
  check::vmaps(f, {x234()});
}
HARNESS(
    Copy, [](const V& in) { return V{copy(in[0])}; }, x234())
HARNESS(
    Reshape,
    [](const V& in) {
      return V{reshape(in[0], {4, -1})};
    },
    x234())
HARNESS(
    Transpose,
    [](const V& in) {
      return V{transpose(in[0], {2, 0, 1})};
    },
    x234())
HARNESS(
    BroadcastTo,
    [](const V& in) {
      return V{broadcast_to(in[0], {2, 2, 3})};
    },
    check::uniform({2, 1, 3}, -1, 1, 8))
HARNESS(
    ExpandDims,
    [](const V& in) {
      return V{expand_dims(in[0], {0, 2})};
    },
    x234())
HARNESS(
    Squeeze, [](const V& in) { return V{squeeze(in[0], 1)}; }, check::uniform({2, 1, 3}, -1, 1, 9))
HARNESS(
    Slice,
    [](const V& in) {
      return V{slice(in[0], {0, 2, 3}, {2, 0, 0}, {1, -1, -2})};
    },
    x234())
HARNESS(
    SliceUpdate,
    [](const V& in) {
      return V{slice_update(in[0], in[1], {0, 1, 0}, {2, 3, 4}, {1, 1, 2})};
    },
    x234(), check::uniform({2, 2, 2}, -1, 1, 10))
HARNESS(
    Concatenate,
    [](const V& in) {
      return V{concatenate({in[0], in[1]}, 1)};
    },
    x234(), check::uniform({2, 2, 4}, -1, 1, 11))
HARNESS(
    Stack,
    [](const V& in) {
      return V{stack({in[0], in[1]}, 1)};
    },
    x234(), x234())
HARNESS(
    SumAll, [](const V& in) { return V{sum(in[0])}; }, x234())
HARNESS(
    SumAxes,
    [](const V& in) {
      return V{sum(in[0], {0, 2}, true)};
    },
    x234())
HARNESS(
    Mean, [](const V& in) { return V{mean(in[0], -1)}; }, x234())
HARNESS(
    Max, [](const V& in) { return V{max(in[0], 1)}; }, x234())
HARNESS(
    Min,
    [](const V& in) {
      return V{min(in[0], {0, 1})};
    },
    x234())
HARNESS(
    Matmul, [](const V& in) { return V{matmul(in[0], in[1])}; }, x234(),
    check::uniform({2, 4, 5}, -1, 1, 12))
HARNESS(
    MatmulVector, [](const V& in) { return V{matmul(in[0], in[1])}; },
    check::uniform({3, 4}, -1, 1, 13), check::uniform({4}, -1, 1, 14))
HARNESS(
    Full,
    [](const V& in) {
      return V{full({2, 3, 4}, in[0]) * in[0]};
    },
    check::uniform({4}, -1, 1, 15))
HARNESS(
    Contiguous, [](const V& in) { return V{contiguous(transpose(in[0]))}; }, x234())
HARNESS(
    Exp, [](const V& in) { return V{exp(in[0])}; }, x234())
HARNESS(
    Log, [](const V& in) { return V{log(in[0])}; }, pos({2, 3, 4}, 30))
HARNESS(
    Log1p, [](const V& in) { return V{log1p(in[0])}; }, pos({2, 3, 4}, 31))
HARNESS(
    Sqrt, [](const V& in) { return V{sqrt(in[0])}; }, pos({2, 3, 4}, 32))

TEST(Harness, MathValuesAndDtypes) {
  check::expect_same(exp(array({0.0f, 1.0f})), array({1.0f, 2.7182817f}), 1e-7);
  check::expect_same(log(array({1.0, 2.0}, float64)), array({0.0, 0.6931471805599453}, float64));
  check::expect_same(log1p(array({0.0f, 1e-10f})), array({0.0f, 1e-10f}), 1e-7);
  check::expect_same(sqrt(array({4, 9})), array({2.0f, 3.0f}));  // int32 -> float32
  EXPECT_EQ(sqrt(array({4}, float16)).dtype(), float16);
  check::expect_same(exp(array({1.0f}, bfloat16)), array({2.71875f}, bfloat16));
}

HARNESS(
    Chain, [](const V& in) { return V{sum(matmul(in[0], in[1]) * in[0], 1) - in[0]}; },
    check::uniform({3, 3, 3}, -1, 1, 16), check::uniform({3, 3, 3}, -1, 1, 17))

TEST(Harness, ResultDtypesFollowPromotion) {
  for (int i = 0; i < num_dtypes; ++i) {
    for (int j = 0; j < num_dtypes; ++j) {
      auto a = zeros({2}, dtype_from_index(i));
      auto b = zeros({2}, dtype_from_index(j));
      auto expected = promote_types(a.dtype(), b.dtype());
      EXPECT_EQ((a + b).dtype(), expected);
      EXPECT_EQ((a * b).dtype(), expected);
      if (expected != bool_) {
        EXPECT_EQ((a - b).dtype(), expected);
      }
      auto div = issubdtype(expected, inexact) ? expected : float32;
      EXPECT_EQ((a / b).dtype(), div);
    }
  }
}
