// Evaluation: laziness, scheduling, multi-output nodes, errors at run time, concurrency.
#include <gtest/gtest.h>

#include "helpers.h"

#include <atomic>
#include <stdexcept>
#include <thread>

#include "backend/cpu/thread_pool.h"
#include "core/allocator_internal.h"
#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

// Fails in its kernel with a message naming the op.
class Explode : public UnaryPrimitive {
 public:
  explicit Explode(Stream s) : UnaryPrimitive(s) {}
  void eval_cpu(const std::vector<array>&, array&) override {
    runs++;
    throw std::runtime_error("[Explode] kernel failed");
  }
  void eval_gpu(const std::vector<array>&, array&) override {}
  const char* name() const override { return "Explode"; }
  static inline std::atomic<int> runs{0};
};

array explode(const array& x, StreamOrDevice s = {}) {
  return array(x.shape(), x.dtype(), std::make_shared<Explode>(to_stream(s)), {x});
}

// Two outputs: x + y and x * y, computed in one kernel.
class SumProd : public Primitive {
 public:
  explicit SumProd(Stream s) : Primitive(s) {}
  void eval_cpu(const std::vector<array>& in, std::vector<array>& out) override {
    runs++;
    for (auto& o : out) {
      o.set_data(allocator::malloc(o.nbytes()));
    }
    auto x = in[0].data<float>();
    auto y = in[1].data<float>();
    for (size_t i = 0; i < out[0].size(); ++i) {
      out[0].data<float>()[i] = x[i] + y[i];
      out[1].data<float>()[i] = x[i] * y[i];
    }
  }
  void eval_gpu(const std::vector<array>&, std::vector<array>&) override {}
  const char* name() const override { return "SumProd"; }
  static inline std::atomic<int> runs{0};
};

std::vector<array> sum_prod(const array& x, const array& y) {
  return array::make_arrays({x.shape(), x.shape()}, {float32, float32},
                            std::make_shared<SumProd>(to_stream({})), {x, y});
}

// Forgets to set its output's data.
class Lazy : public UnaryPrimitive {
 public:
  explicit Lazy(Stream s) : UnaryPrimitive(s) {}
  void eval_cpu(const std::vector<array>&, array&) override {}
  void eval_gpu(const std::vector<array>&, array&) override {}
  const char* name() const override { return "Lazy"; }
};

}  // namespace

TEST(Eval, OpsAreLazyUntilEvaluated) {
  auto a = arange(4.0);
  auto b = a + a;
  EXPECT_EQ(b.status(), array::unscheduled);
  EXPECT_TRUE(b.has_primitive());
  EXPECT_EQ(b.inputs().size(), 2u);
  eval(b);
  EXPECT_EQ(b.status(), array::available);
  EXPECT_TRUE(b.is_available());
  // Evaluated arrays drop their graph.
  EXPECT_FALSE(b.has_primitive());
  EXPECT_TRUE(b.inputs().empty());
  EXPECT_EQ(b.data<float>()[3], 6.0f);
  // Evaluating again is free and changes nothing.
  eval(b);
  EXPECT_EQ(b.data<float>()[1], 2.0f);
}

TEST(Eval, ItemEvaluates) {
  auto x = full({}, 3, int32) * array(4);
  EXPECT_EQ(x.item<int>(), 12);
  const auto& cx = x;
  EXPECT_EQ(cx.item<int>(), 12);
  auto y = array(1.0f) + array(2.0f);
  const auto& cy = y;
  EXPECT_THROW(cy.item<float>(), std::invalid_argument);  // const item needs a scheduled array
}

TEST(Eval, UnusedBranchesAreNotComputed) {
  SumProd::runs = 0;
  Explode::runs = 0;
  auto x = ones({3});
  auto never = explode(x);
  auto y = x + x;
  eval(y);
  EXPECT_EQ(Explode::runs, 0);
  EXPECT_EQ(never.status(), array::unscheduled);
}

TEST(Eval, LongChainEvaluatesIteratively) {
  auto x = array(0.0f);
  for (int i = 0; i < 100000; ++i) {
    x = x + array(1.0f);
  }
  EXPECT_EQ(x.item<float>(), 100000.0f);
}

TEST(Eval, LongUnevaluatedChainIsFreedWithoutRecursion) {
  {
    auto x = array(1);
    for (int i = 0; i < 200000; ++i) {
      x = x * array(1);
    }
  }
  SUCCEED();
}

TEST(Eval, AsyncEvalReturnsAndWaitCompletes) {
  auto x = arange(1000.0);
  for (int i = 0; i < 50; ++i) {
    x = x + array(1.0f);
  }
  async_eval(x);
  EXPECT_NE(x.status(), array::unscheduled);
  x.wait();
  EXPECT_TRUE(x.is_available());
  EXPECT_EQ(x.data<float>()[999], 1049.0f);
}

TEST(Eval, MultiOutputPrimitiveRunsOnceForAllOutputs) {
  SumProd::runs = 0;
  auto x = array({1.0f, 2.0f, 3.0f});
  auto y = array({4.0f, 5.0f, 6.0f});
  auto outs = sum_prod(x, y);
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[0].siblings().size(), 1u);
  EXPECT_EQ(outs[1].sibling_position(), 1);
  EXPECT_EQ(outs[0].outputs()[1].id(), outs[1].id());
  eval(outs[1]);
  EXPECT_EQ(SumProd::runs, 1);
  EXPECT_TRUE(outs[0].is_available());
  EXPECT_EQ(outs[0].data<float>()[2], 9.0f);
  EXPECT_EQ(outs[1].data<float>()[2], 18.0f);
  eval(outs);
  EXPECT_EQ(SumProd::runs, 1);
  EXPECT_TRUE(outs[0].siblings().empty());  // detached after evaluation
}

TEST(Eval, UnevaluatedSiblingGroupIsFreed) {
  clear_cache();
  auto before = get_active_memory();
  {
    auto x = ones({1 << 16});
    eval(x);
    auto outs = sum_prod(x, x);
    outs.pop_back();  // the remaining output still holds its sibling
  }
  synchronize();  // the worker drops its own handles just after publishing results
  EXPECT_EQ(get_active_memory(), before);
}

TEST(Eval, KernelErrorIsKeptAndRethrownToEveryWaiter) {
  Explode::runs = 0;
  auto x = ones({4});
  auto bad = explode(x);
  auto dependent = bad + array(1.0f);
  auto other_stream = new_stream(Device::cpu);
  auto dependent2 = multiply(bad, bad, other_stream);
  auto unrelated = x + x;

  EXPECT_EQ(error_of([&] { eval(dependent); }), "[Explode] kernel failed");
  EXPECT_EQ(Explode::runs, 1);
  EXPECT_EQ(error_of([&] { eval(dependent2); }), "[Explode] kernel failed");
  EXPECT_EQ(error_of([&] { bad.item<float>(); }),
            "[item] item can only be called on arrays of size 1, not shape (4).");
  EXPECT_EQ(error_of([&] { bad.eval(); }), "[Explode] kernel failed");
  EXPECT_EQ(error_of([&] { dependent.wait(); }), "[Explode] kernel failed");
  EXPECT_EQ(Explode::runs, 1);  // never re-run
  // Arrays built later on top of the failed one fail too, without running anything.
  auto later = dependent2 * array(2.0f);
  EXPECT_EQ(error_of([&] { eval(later); }), "[Explode] kernel failed");
  // Everything else keeps working.
  eval(unrelated);
  EXPECT_EQ(unrelated.data<float>()[0], 2.0f);
  auto tripled = x * array(3.0f);
  eval(tripled);
  EXPECT_EQ(tripled.data<float>()[3], 3.0f);
}

TEST(Eval, ScalarKernelErrorThroughItem) {
  auto bad = explode(array(1.0f));
  EXPECT_EQ(error_of([&] { bad.item<float>(); }), "[Explode] kernel failed");
  auto s = bad + array(2.0f);
  EXPECT_EQ(error_of([&] { s.item<float>(); }), "[Explode] kernel failed");
}

TEST(Eval, AsyncEvalErrorSurfacesOnWait) {
  auto bad = explode(ones({2})) * array(2.0f);
  EXPECT_NO_THROW(async_eval(bad));
  EXPECT_EQ(error_of([&] { bad.wait(); }), "[Explode] kernel failed");
}

TEST(Eval, PrimitiveThatSetsNoDataIsAnError) {
  auto y = array(Shape{2}, float32, std::make_shared<Lazy>(to_stream({})), {ones({2})});
  EXPECT_EQ(error_of([&] { eval(y); }), "[eval] Primitive Lazy did not set the data of output 0.");
}

TEST(Eval, WaitingOnAnUnscheduledArrayIsAnError) {
  auto x = array(1.0f) + array(1.0f);
  EXPECT_EQ(error_of([&] { x.wait(); }),
            "[array::wait] The array has not been scheduled; call eval or async_eval first.");
}

TEST(Eval, WrappedMemoryIsNeverWrittenByKernels) {
  std::vector<float> raw{1, 2, 3, 4};
  auto out = array(raw.data(), {4}, float32, [](void*) {}) + array(1.0f);
  eval(out);
  EXPECT_EQ(raw[0], 1.0f);
  EXPECT_NE(out.data<float>(), raw.data());
  EXPECT_EQ(out.data<float>()[0], 2.0f);
}

TEST(Eval, ArrayWithoutDataOrPrimitiveIsAnError) {
  auto y = array(Shape{2}, float32, nullptr, {});
  EXPECT_THROW(eval(y), std::invalid_argument);
  // Its claim was given back: it is still unscheduled.
  EXPECT_EQ(y.status(), array::unscheduled);
}

TEST(Eval, CrossStreamDependencies) {
  auto s1 = new_stream(Device::cpu);
  auto s2 = new_stream(Device::cpu);
  auto a = add(arange(100000.0, s1), array(1.0f), s1);
  auto b = multiply(a, array(2.0f), s2);
  auto c = add(b, a, s1);
  eval(c);
  EXPECT_EQ(c.data<float>()[0], 3.0f);
  EXPECT_EQ(c.data<float>()[99999], 300000.0f);
}

TEST(Eval, ConcurrentEvaluationFromManyThreads) {
  // A shared graph and per-thread graphs on top of it, evaluated from 8 threads at once, 20
  // times over: every node must run exactly once and every result be right.
  for (int round = 0; round < 20; ++round) {
    auto base = arange(4096.0);
    for (int i = 0; i < 20; ++i) {
      base = base + array(1.0f);
    }
    std::vector<array> results(8, array(0.0f));
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        try {
          auto r = base * array(static_cast<float>(t));
          eval(r, base);
          results[t] = r;
        } catch (...) {
          failures++;
        }
      });
    }
    for (auto& th : threads) {
      th.join();
    }
    ASSERT_EQ(failures, 0);
    for (int t = 0; t < 8; ++t) {
      ASSERT_EQ(results[t].data<float>()[4095], static_cast<float>(t) * (4095.0f + 20.0f));
    }
  }
}

TEST(Eval, IntermediatesAreFreedDuringEvaluation) {
  clear_cache();
  reset_peak_memory();
  auto start = get_active_memory();
  constexpr int n = 1 << 20;  // 4 MiB of float32
  {
    auto x = zeros({n});
    for (int i = 0; i < 30; ++i) {
      x = x + array(1.0f);
    }
    eval(x);
    EXPECT_EQ(x.data<float>()[n - 1], 30.0f);
  }
  synchronize();  // the worker drops its own handles just after publishing results
  // A chain of 30 ops over 4 MiB arrays never holds more than a few of them at once.
  EXPECT_LT(get_peak_memory() - start, 4u * 4 * n);
  EXPECT_EQ(get_active_memory(), start);
}

TEST(Eval, SoftMemoryLimitProceeds) {
  auto old = set_memory_limit(1024);
  auto x = zeros({1 << 16});
  for (int i = 0; i < 5; ++i) {
    x = x + array(1.0f);
  }
  eval(x);
  EXPECT_EQ(x.data<float>()[10], 5.0f);
  set_memory_limit(old);
}

TEST(Eval, StrictMemoryLimitFailsTheNodeNotTheProcess) {
  auto x = zeros({1 << 10});
  eval(x);
  auto old_limit = set_memory_limit(get_active_memory() + 1024);
  auto old_mode = set_memory_limit_strict(true);
  auto y = zeros({1 << 20}) + array(1.0f);
  auto msg = error_of([&] { eval(y); });
  set_memory_limit_strict(old_mode);
  set_memory_limit(old_limit);
  EXPECT_NE(msg.find("[malloc]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("memory limit"), std::string::npos) << msg;
  // A memory-limit failure keeps the graph: with the limit restored the same array evaluates.
  eval(y);
  EXPECT_EQ(y.data<float>()[(1 << 20) - 1], 1.0f);
  auto z = x + array(1.0f);
  eval(z);
  EXPECT_EQ(z.data<float>()[1023], 1.0f);
}

TEST(ThreadPool, RunsEveryChunkAndRethrows) {
  std::vector<int> hits(100000, 0);
  cpu::parallel_for(hits.size(), 1000, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) hits[i]++;
  });
  for (auto h : hits) {
    ASSERT_EQ(h, 1);
  }
  EXPECT_THROW(cpu::parallel_for(100000, 10,
                                 [](size_t b, size_t) {
                                   if (b > 5000) throw std::runtime_error("chunk failed");
                                 }),
               std::runtime_error);
  // The pool still works afterwards.
  std::atomic<size_t> total{0};
  cpu::parallel_for(1 << 20, 1024, [&](size_t b, size_t e) { total += e - b; });
  EXPECT_EQ(total, 1u << 20);
  EXPECT_GE(cpu::num_threads(), 1);
}
