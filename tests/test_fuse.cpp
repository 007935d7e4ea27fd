// compile's fusion pass (detail::compile_fuse) and the Compiled primitive: which regions fuse,
// the fused kernel's values against the unfused graph (the same tile kernels, so bit for bit),
// and the transforms through a Compiled node.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <unordered_set>

#include "check.h"
#include "helpers.h"
#include "mlx/mlx.h"
#include "ops/ops.h"
#include "transforms/compile.h"

using namespace mlx::core;

namespace {

using Fn = std::function<std::vector<array>(const std::vector<array>&)>;

// The nodes between the leaves (arrays without a primitive) and `outputs` in topological order,
// one entry per primitive application (its first output), as compile's trace makes them.
std::vector<array> tape_of(const std::vector<array>& outputs) {
  std::unordered_set<std::uintptr_t> seen;
  std::vector<array> tape;
  std::vector<std::pair<array, size_t>> stack;
  auto push = [&](const array& a) {
    if (!a.has_primitive() || seen.count(a.id())) {
      return;
    }
    for (auto& o : a.outputs()) {
      seen.insert(o.id());
    }
    stack.emplace_back(a, 0);
  };
  for (auto& out : outputs) {
    push(out);
    while (!stack.empty()) {
      if (stack.back().second < stack.back().first.inputs().size()) {
        array in = stack.back().first.inputs()[stack.back().second++];
        push(in);
        continue;
      }
      tape.push_back(stack.back().first.outputs()[0]);
      stack.pop_back();
    }
  }
  return tape;
}

// Fuses the graph of `outputs` in place and returns its tape.
std::vector<array> fuse(const std::vector<array>& outputs) {
  auto tape = tape_of(outputs);
  detail::compile_fuse(tape, {}, outputs);
  return tape;
}

bool is_compiled(const array& a) {
  return a.has_primitive() && typeid(a.primitive()) == typeid(Compiled);
}

int count_compiled(const std::vector<array>& tape) {
  return static_cast<int>(std::count_if(tape.begin(), tape.end(), is_compiled));
}

// Every node's inputs that are nodes of the tape come before it.
void expect_topological(const std::vector<array>& tape) {
  std::unordered_set<std::uintptr_t> on_tape, done;
  for (auto& node : tape) {
    for (auto& o : node.outputs()) on_tape.insert(o.id());
  }
  for (auto& node : tape) {
    for (auto& in : node.inputs()) {
      EXPECT_TRUE(!on_tape.count(in.id()) || done.count(in.id())) << "input after its consumer";
    }
    for (auto& o : node.outputs()) done.insert(o.id());
  }
}

// Identical values (NaN where NaN, the same sign of zero), shape and dtype.
void expect_identical(const array& a, const array& b) {
  ASSERT_EQ(a.shape(), b.shape());
  ASSERT_EQ(a.dtype(), b.dtype());
  auto x = check::values(a), y = check::values(b);
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(y[i])) {
      EXPECT_TRUE(std::isnan(x[i])) << "at " << i;
    } else {
      EXPECT_EQ(x[i], y[i]) << "at " << i;
      EXPECT_EQ(std::signbit(x[i]), std::signbit(y[i])) << "at " << i;
    }
  }
}

// Builds f's graph twice, fuses one copy, and compares every output with the unfused one.
// `inspect` sees the fused tape before evaluation detaches its nodes; returns the number of
// Compiled nodes it had.
int expect_fused_matches(const Fn& f, const std::vector<array>& inputs,
                         const std::function<void(const std::vector<array>&)>& inspect = {}) {
  auto expected = f(inputs);
  auto outputs = f(inputs);
  auto tape = fuse(outputs);
  expect_topological(tape);
  if (inspect) {
    inspect(tape);
  }
  int compiled = count_compiled(tape);
  eval(outputs);
  eval(expected);
  for (size_t i = 0; i < outputs.size(); ++i) {
    expect_identical(outputs[i], expected[i]);
  }
  return compiled;
}

array gelu(const array& x) {
  auto dt = x.dtype();
  auto inner = array(0.7978845608f, dt) * (x + array(0.044715f, dt) * (x * x * x));
  return array(0.5f, dt) * x * (array(1.0f, dt) + tanh(inner));
}

// Values in [lo, hi) of the given shape and dtype.
array spread(const Shape& shape, Dtype dtype = float32, double lo = -3.0, double hi = 3.0,
             unsigned seed = 5) {
  return check::uniform(shape, lo, hi, seed, dtype);
}

}  // namespace

TEST(FuseRegions, GeluIsOneNode) {
  for (auto dt : {float32, float16, bfloat16, float64}) {
    auto x = spread({1000}, dt);
    eval(x);
    auto gelu_fn = [](const auto& in) { return std::vector<array>{gelu(in[0])}; };
    expect_fused_matches(gelu_fn, {x}, [&](const std::vector<array>& tape) {
      ASSERT_EQ(tape.size(), 1u) << dt;
      EXPECT_TRUE(is_compiled(tape[0]));
      // The region reads x and the four constants, which stay scalars.
      EXPECT_EQ(tape[0].inputs().size(), 5u);
      for (auto& in : tape[0].inputs()) {
        EXPECT_TRUE(in.ndim() == 0 || in.id() == x.id());
      }
    });
  }
}

TEST(FuseRegions, LargeInputsRunInParallelAndStream) {
  // 2^21 float32 elements (8 MB) span several chunks of the pool, and the final product goes
  // through the streaming stores as the eager multiply does.
  auto x = spread({1 << 21});
  eval(x);
  auto gelu_fn = [](const auto& in) { return std::vector<array>{gelu(in[0])}; };
  EXPECT_EQ(expect_fused_matches(gelu_fn, {x}), 1);
}

TEST(FuseRegions, MixedDtypesCastsComparisonsAndWhere) {
  auto a = spread({7, 300}, float16);
  auto b = spread({7, 300}, bfloat16, -2, 2, 6);
  auto i = astype(spread({7, 300}, float32, -50, 50, 8), int32);
  auto m = spread({7, 300}, float32, 0, 1, 9) > array(0.5f);
  eval(a, b, i, m);
  auto f = [](const std::vector<array>& in) {
    auto wide = astype(in[0], float32) * astype(in[1], float32);
    auto ints = in[2] * array(3) - array(7);
    auto chosen = where(logical_and(in[3], wide > array(0.0f)), wide, astype(ints, float32));
    auto small = astype(chosen, bfloat16) + in[1];
    auto flags = logical_not(in[3]) != (ints > array(0));
    return std::vector<array>{small, flags, abs(ints)};
  };
  expect_fused_matches(f, {a, b, i, m}, [](const std::vector<array>& tape) {
    ASSERT_EQ(tape.size(), 1u);
    ASSERT_TRUE(is_compiled(tape[0]));
    ASSERT_EQ(tape[0].outputs().size(), 3u);
    EXPECT_EQ(tape[0].dtype(), bfloat16);
    EXPECT_EQ(tape[0].siblings()[0].dtype(), bool_);
    EXPECT_EQ(tape[0].siblings()[1].dtype(), int32);
  });
}

TEST(FuseRegions, BroadcastStridedAndTransposedInputs) {
  auto x = spread({40, 70});
  auto row = spread({70}, float32, -1, 1, 3);
  auto col = spread({40, 1}, float32, -1, 1, 4);
  auto t = spread({70, 40}, float32, -1, 1, 5);       // used transposed
  auto big = spread({80, 140}, float32, -1, 1, 6);    // sliced with steps
  auto wide = spread({300, 300}, float32, -1, 1, 7);  // transposed, large enough to be copied
  eval(x, row, col, t, big, wide);
  auto f = [](const std::vector<array>& in) {
    auto strided = slice(in[4], {0, 0}, {80, 140}, {2, 2});
    auto y = (in[0] * in[1] + in[2]) * transpose(in[3]) - exp(strided) + array(2.0f);
    return std::vector<array>{maximum(y, array(0.0f)) * array(3.0f)};
  };
  EXPECT_EQ(expect_fused_matches(f, {x, row, col, t, big}), 1);
  auto g = [](const std::vector<array>& in) {
    auto y = transpose(in[0]);
    return std::vector<array>{sin(y) * y + array(1.5f)};
  };
  EXPECT_EQ(expect_fused_matches(g, {wide}), 1);
}

TEST(FuseRegions, ScalarOnlyAndZeroSize) {
  auto f = [](const std::vector<array>& in) {
    return std::vector<array>{exp(in[0]) * array(2.0f) + array(1.0f)};
  };
  EXPECT_EQ(expect_fused_matches(f, {array(0.25f)}), 1);
  EXPECT_EQ(expect_fused_matches(f, {zeros({0, 3})}), 1);
}

TEST(FuseRegions, ConstantOperandsOnEitherSide) {
  // Steps with a one-value operand read it once into a register (float32, float64): both
  // sides of each op, a NaN for maximum and minimum, and a broadcast view as the constant.
  for (auto dt : {float32, float64}) {
    auto x = spread({1500}, dt, -3, 3);
    auto nan = array(std::nanf(""), dt);
    auto view = broadcast_to(array(0.75f, dt), {1500});
    eval(x, nan, view);
    auto f = [dt](const std::vector<array>& in) {
      auto c = array(1.5f, dt);
      auto y = (c - in[0]) / c + in[0] * c - c / (in[0] + c);
      auto z = maximum(in[1], y) + minimum(y, c) + maximum(c, in[0] - in[1]);
      return std::vector<array>{z * in[2] - in[2], minimum(in[1], y)};
    };
    EXPECT_EQ(expect_fused_matches(f, {x, nan, view}), 1) << dt;
  }
}

// float32 squares and multiplications, additions and subtractions by constants are folded into
// the steps that read them (computed as those steps load their inputs, rounded as the separate
// ops are): every form (c - u, u - c, c + u, u * c + c2, c - u * c2, squares with and without
// factor and term), chains that go past the form (add then multiply, two factors, a square of a
// folded value), a folded value read twice, read by steps that cannot fold (compare, where,
// astype) and as an output, on inputs with zeros of both signs, infinities and NaN, small and
// large (streamed outputs with a partial last vector) arrays.
TEST(FuseRegions, FoldedConstantsAndSquaresMatchTheOps) {
  std::vector<float> special{0.0f,  -0.0f,  INFINITY, -INFINITY, NAN,   1.0f,   -1.0f,
                             1e30f, -1e30f, 1e-30f,   3.0f,      -2.5f, 0.625f, 7.0f};
  for (int n : {37, (1 << 21) + 5}) {
    std::vector<float> v(n);
    auto base = check::values(spread({n}, float32, -4, 4, 9));
    for (int i = 0; i < n; ++i) {
      v[i] = i < static_cast<int>(special.size()) ? special[i] : static_cast<float>(base[i]);
    }
    auto x = array(v.data(), {n}, float32);
    auto y = spread({n}, float32, -2, 2, 10);
    eval(x, y);
    auto f = [](const std::vector<array>& in) {
      auto c = [](float value) { return array(value); };
      auto u = in[0], w = in[1];
      auto a = (c(1.5f) - u) * w + (u - c(0.0f)) / (c(-0.0f) + w);
      auto b = tanh((u * c(0.25f) + c(0.5f)) * (c(2.0f) - w * c(3.0f)));
      auto sq = exp(u * u * c(-0.5f) + c(1.0f)) + u * u * u;
      auto chains =
          (u + c(1.0f)) * c(2.0f) + (w * c(2.0f)) * c(3.0f) - (u * c(2.0f)) * (u * c(2.0f));
      auto twice = c(-1.0f) - w;
      auto mixed = where(greater(twice, c(0.0f)), twice, astype(twice * c(0.5f), float32));
      auto scaled = u + w * c(0.044715f) - (u * u) * c(1.25f);
      return std::vector<array>{a,     b,           sq,    chains + sigmoid(twice) * twice,
                                mixed, w * c(4.0f), scaled};
    };
    EXPECT_GE(expect_fused_matches(f, {x, y}), 1) << n;
  }
}

TEST(FuseRegions, IntermediateUsedOutsideIsAnOutput) {
  auto x = spread({5, 64});
  eval(x);
  auto f = [](const std::vector<array>& in) {
    auto y = exp(in[0]);
    auto z = y * array(2.0f) + array(1.0f);
    return std::vector<array>{z, sum(y, 1)};
  };
  expect_fused_matches(f, {x}, [](const std::vector<array>& tape) {
    ASSERT_EQ(tape.size(), 3u);  // the region, the sum, its reshape dropping the axis
    ASSERT_TRUE(is_compiled(tape[0]));
    EXPECT_EQ(tape[0].outputs().size(), 2u);
    EXPECT_EQ(tape[1].primitive().name(), std::string("Sum"));
    // The reduction reads one of the region's outputs, which is still the same array.
    EXPECT_EQ(tape[1].inputs()[0].primitive_id(), tape[0].primitive_id());
  });
}

TEST(FuseRegions, PathsLeavingAndReenteringARegionSplitIt) {
  // exp(x) * 2 feeds both the sum and the division by the sum: one region would be needed
  // both before and after the sum.
  auto x = spread({6, 50});
  eval(x);
  auto f = [](const std::vector<array>& in) {
    auto y = exp(in[0]) * array(2.0f);
    auto s = sum(y, 1, true);
    return std::vector<array>{y / s + array(1.0f)};
  };
  expect_fused_matches(f, {x}, [](const std::vector<array>& tape) {
    EXPECT_EQ(count_compiled(tape), 2);
    EXPECT_EQ(tape.size(), 3u);
  });
}

TEST(FuseRegions, IndependentChainsMerge) {
  // exp(x) and sin(y) start separate regions; the sum of the two joins them into one.
  auto x = spread({3, 5});
  auto y = spread({3, 5}, float32, -1, 1, 4);
  eval(x, y);
  auto f = [](const std::vector<array>& in) { return std::vector<array>{exp(in[0]) + sin(in[1])}; };
  expect_fused_matches(f, {x, y}, [](const std::vector<array>& tape) {
    ASSERT_EQ(tape.size(), 1u);
    EXPECT_TRUE(is_compiled(tape[0]));
  });
}

TEST(FuseRegions, RegionsThatDoNotPayStayUnfused) {
  auto x = spread({4, 8});
  eval(x);
  // One op.
  auto one = [](const std::vector<array>& in) { return std::vector<array>{in[0] + array(1.0f)}; };
  EXPECT_EQ(expect_fused_matches(one, {x}), 0);
  // Every node is an output: nothing stays out of memory.
  auto all_out = [](const std::vector<array>& in) {
    auto a = in[0] + array(1.0f);
    return std::vector<array>{a, a * array(2.0f)};
  };
  EXPECT_EQ(expect_fused_matches(all_out, {x}), 0);
  // Different shapes are different regions: a single op each.
  auto shapes = [](const std::vector<array>& in) {
    auto r = sum(exp(in[0]), 0);
    return std::vector<array>{sqrt(r)};
  };
  EXPECT_EQ(expect_fused_matches(shapes, {x}), 0);
  // A node with no tile kernel at its dtype (a hand-built exp of integers) is left alone, so
  // what remains is one op.
  auto i = astype(x, int32);
  eval(i);
  auto bad = array(i.shape(), int32,
                   std::make_shared<Unary>(default_stream(default_device()), UnaryOp::Exp),
                   {i + array(1)});
  auto tape = fuse({bad});
  EXPECT_EQ(count_compiled(tape), 0);
  EXPECT_EQ(tape.size(), 3u);  // broadcast, add, exp
}

TEST(FuseRegions, BroadcastUsedOutsideStaysAView) {
  auto x = spread({3, 4});
  auto r = spread({4}, float32, -1, 1, 2);
  eval(x, r);
  auto f = [](const std::vector<array>& in) {
    auto b = broadcast_to(in[1], {3, 4});
    return std::vector<array>{exp(in[0] * b) + array(1.0f), b};
  };
  expect_fused_matches(f, {x, r}, [&](const std::vector<array>& tape) {
    ASSERT_EQ(count_compiled(tape), 1);
    for (auto& node : tape) {
      if (is_compiled(node)) {
        // It reads the broadcast node (a view), not r.
        bool reads_view = false;
        for (auto& in : node.inputs()) {
          reads_view |= in.shape() == Shape{3, 4} && in.id() != x.id();
        }
        EXPECT_TRUE(reads_view);
      }
    }
  });
}

TEST(FuseRegions, DonatesAnInputNobodyElseHolds) {
  auto out = [] {
    auto x = spread({1000});
    eval(x);
    auto y = exp(x * array(2.0f)) + array(1.0f);
    fuse({y});
    return y;
  }();
  auto expected = exp(spread({1000}) * array(2.0f)) + array(1.0f);
  expect_identical(out, expected);
}

TEST(FuseCompiled, PrintEquivalenceAndHash) {
  auto x = spread({8});
  eval(x);
  auto f = [&] { return exp(x) * array(2.0f); };
  auto a = f();
  auto b = f();
  auto c = exp(x) + array(2.0f);
  fuse({a});
  fuse({b});
  fuse({c});
  ASSERT_TRUE(is_compiled(a) && is_compiled(b) && is_compiled(c));
  EXPECT_TRUE(a.primitive().is_equivalent(b.primitive()));
  EXPECT_EQ(a.primitive().hash(), b.primitive().hash());
  EXPECT_FALSE(a.primitive().is_equivalent(c.primitive()));
  std::ostringstream os;
  a.primitive().print(os);
  EXPECT_EQ(os.str(), "Compiled(Exp, Broadcast((8)), Multiply)");
}

TEST(FuseCompiled, OutputShapes) {
  auto x = spread({2, 3});
  auto y = spread({2, 3}, float32, 0, 1, 2);
  eval(x, y);
  auto z = exp(x) * y;
  fuse({z});
  ASSERT_TRUE(is_compiled(z));
  // Without a Broadcast step the shape follows the inputs (shapeless compile reuses it).
  auto shapes = z.primitive().output_shapes({zeros({5, 1}), zeros({4})});
  ASSERT_EQ(shapes.size(), 1u);
  EXPECT_EQ(shapes[0], (Shape{5, 4}));
  auto w = exp(x) * array(2.0f);
  fuse({w});
  ASSERT_TRUE(is_compiled(w));
  EXPECT_INVALID(w.primitive().output_shapes({zeros({5}), array(1.0f)}),
                 "[Compiled] The region broadcasts to the fixed shape (2,3), so its output shape "
                 "does not follow from its inputs.");
}

namespace {

// f with its graph fused before it is returned (a Compiled node under the transforms).
Fn fused(const Fn& f) {
  return [f](const std::vector<array>& in) {
    auto outs = f(in);
    fuse(outs);
    return outs;
  };
}

Fn gelu_and_more = [](const std::vector<array>& in) {
  auto g = gelu(in[0]);
  auto y = where(in[1] > array(0.0, float64), g * in[1], sin(in[0]) - in[1]);
  return std::vector<array>{y, exp(g) * array(0.5, float64)};
};

}  // namespace

TEST(FuseTransforms, GradsThroughCompiled) {
  auto x = spread({3, 4}, float64, -1, 1, 1);
  auto y = spread({3, 4}, float64, -1, 1, 2);
  {
    // The transforms see a Compiled node.
    auto outs = fused(gelu_and_more)({x, y});
    EXPECT_TRUE(is_compiled(outs[0]));
  }
  check::grads(fused(gelu_and_more), {x, y});
  // Against the unfused graph: vjp and jvp agree exactly in value.
  auto cts =
      std::vector<array>{spread({3, 4}, float64, -1, 1, 3), spread({3, 4}, float64, -1, 1, 4)};
  auto [o1, g1] = vjp(fused(gelu_and_more), {x, y}, cts);
  auto [o2, g2] = vjp(gelu_and_more, {x, y}, cts);
  for (size_t i = 0; i < 2; ++i) {
    check::expect_same(o1[i], o2[i], 0);
    check::expect_same(g1[i], g2[i], 1e-15);
  }
  auto [j1, t1] = jvp(fused(gelu_and_more), {x, y}, cts);
  auto [j2, t2] = jvp(gelu_and_more, {x, y}, cts);
  for (size_t i = 0; i < 2; ++i) {
    check::expect_same(t1[i], t2[i], 1e-15);
  }
  // grad of a scalar function of a fused region, and grad of grad.
  auto h = [](const array& v) {
    auto outs = fused([](const auto& in) { return std::vector<array>{gelu(in[0])}; })({v});
    return sum(outs[0]);
  };
  auto u = spread({5}, float64, -1, 1, 8);
  auto uh = [](const array& v) { return sum(gelu(v)); };
  check::expect_same(grad(h)(u), grad(uh)(u), 1e-15);
  check::expect_same(grad([&](const array& v) { return sum(grad(h)(v)); })(u),
                     grad([&](const array& v) { return sum(grad(uh)(v)); })(u), 1e-14);
}

TEST(FuseTransforms, VmapThroughCompiled) {
  auto x = spread({3, 4}, float64, -1, 1, 1);
  auto y = spread({3, 4}, float64, -1, 1, 2);
  check::vmaps(fused(gelu_and_more), {x, y});
  // A region with a Broadcast step (a row vector against a matrix).
  auto row_fn = fused([](const std::vector<array>& in) {
    return std::vector<array>{exp(in[0] * in[1]) + array(1.0, float64)};
  });
  check::vmaps(row_fn, {x, spread({4}, float64, -1, 1, 3)});
}
