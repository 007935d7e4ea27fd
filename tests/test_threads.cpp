// Concurrency: streams running at the same time, cross-stream waits, async_eval, several threads
// evaluating shared and independent graphs, stream churn, errors reaching every waiter, and the
// memory limit (throttling, strict mode). These also run under the tsan and asan presets.
#include <gtest/gtest.h>

#include "helpers.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "core/allocator_internal.h"
#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

using namespace std::chrono_literals;

// A one-shot flag a kernel can wait for. Waits time out (an error in the kernel) so a test that
// would deadlock fails instead of hanging.
class Latch {
 public:
  void open() {
    {
      std::lock_guard<std::mutex> lk(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock<std::mutex> lk(mutex_);
    return cv_.wait_for(lk, timeout, [this] { return open_; });
  }
  bool is_open() {
    std::lock_guard<std::mutex> lk(mutex_);
    return open_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_{false};
};

// out = in + 1 (float32), after opening `signal` (if any) and waiting for `gate` (if any).
// Counts its runs. `size` is the number of bytes to hold in a second buffer while waiting, to
// raise active memory.
class Step : public UnaryPrimitive {
 public:
  Step(Stream s, std::shared_ptr<Latch> signal, std::shared_ptr<Latch> gate,
       std::shared_ptr<std::atomic<int>> runs, size_t hold_bytes = 0)
      : UnaryPrimitive(s),
        signal_(std::move(signal)),
        gate_(std::move(gate)),
        runs_(std::move(runs)),
        hold_bytes_(hold_bytes) {}

  void eval_cpu(const std::vector<array>& in, array& out) override {
    (*runs_)++;
    out.set_data(allocator::malloc(out.nbytes()));
    auto held = hold_bytes_ ? allocator::malloc(hold_bytes_) : allocator::Buffer(nullptr);
    if (signal_) {
      signal_->open();
    }
    bool opened = !gate_ || gate_->wait();
    allocator::free(held);
    if (!opened) {
      throw std::runtime_error("[Step] timed out waiting for the gate");
    }
    for (size_t i = 0; i < out.size(); ++i) {
      out.data<float>()[i] = in[0].data<float>()[i] + 1.0f;
    }
  }
  void eval_gpu(const std::vector<array>&, array&) override {}
  const char* name() const override { return "Step"; }

 private:
  std::shared_ptr<Latch> signal_;
  std::shared_ptr<Latch> gate_;
  std::shared_ptr<std::atomic<int>> runs_;
  size_t hold_bytes_;
};

struct StepOptions {
  std::shared_ptr<Latch> signal;
  std::shared_ptr<Latch> gate;
  std::shared_ptr<std::atomic<int>> runs = std::make_shared<std::atomic<int>>(0);
  size_t hold_bytes = 0;
};

array step(const array& x, const StepOptions& o, StreamOrDevice s = {}) {
  return array(x.shape(), float32,
               std::make_shared<Step>(to_stream(s), o.signal, o.gate, o.runs, o.hold_bytes), {x});
}

// Fails in its kernel once `gate` opens.
class FailLater : public UnaryPrimitive {
 public:
  FailLater(Stream s, std::shared_ptr<Latch> gate) : UnaryPrimitive(s), gate_(std::move(gate)) {}
  void eval_cpu(const std::vector<array>&, array&) override {
    gate_->wait();
    throw std::runtime_error("[FailLater] kernel failed");
  }
  void eval_gpu(const std::vector<array>&, array&) override {}
  const char* name() const override { return "FailLater"; }

 private:
  std::shared_ptr<Latch> gate_;
};

// Restores the default memory limits however a test ends.
struct LimitGuard {
  ~LimitGuard() { allocator::detail::reset_limits(); }
};

}  // namespace

TEST(Threads, StreamsRunConcurrently) {
  // Each node opens its own latch, then waits for the other's: run one after the other, the
  // first would wait forever (here: time out and fail).
  auto s1 = new_stream(Device::cpu);
  auto s2 = new_stream(Device::cpu);
  auto l1 = std::make_shared<Latch>();
  auto l2 = std::make_shared<Latch>();
  StepOptions o1{l1, l2};
  StepOptions o2{l2, l1};
  auto a = step(zeros({4}, float32, s1), o1, s1);
  auto b = step(full({4}, 10.0f, s2), o2, s2);
  eval(a, b);
  expect_array(a, {4}, float32, std::vector<float>(4, 1.0f));
  expect_array(b, {4}, float32, std::vector<float>(4, 11.0f));
}

TEST(Threads, CrossStreamChainAlternatingStreams) {
  std::vector<Stream> streams;
  for (int i = 0; i < 4; ++i) {
    streams.push_back(new_stream(Device::cpu));
  }
  auto x = arange(64.0, streams[0]);
  auto y = x;
  for (int i = 0; i < 200; ++i) {
    y = add(y, array(1.0f), streams[i % 4]);
    if (i % 50 == 49) {
      y = multiply(y, array(0.5f), streams[(i + 1) % 4]);
    }
  }
  eval(y);
  // Four times: add 50, then halve.
  auto expected = [](float v) {
    for (int r = 0; r < 4; ++r) {
      v = (v + 50.0f) * 0.5f;
    }
    return v;
  };
  auto got = values<float>(y);
  for (int i = 0; i < 64; ++i) {
    ASSERT_EQ(got[i], expected(static_cast<float>(i))) << i;
  }
}

TEST(Threads, AsyncEvalOverlapsWithTheCaller) {
  auto s = new_stream(Device::cpu);
  StepOptions o;
  o.signal = std::make_shared<Latch>();
  o.gate = std::make_shared<Latch>();
  auto x = add(step(ones({8}, float32, s), o, s), array(1.0f), s);
  async_eval(x);
  // The kernel started and is held; async_eval has returned and the caller keeps working.
  ASSERT_TRUE(o.signal->wait());
  EXPECT_FALSE(x.is_available());
  EXPECT_EQ(x.status(), array::evaluated);
  EXPECT_EQ((sum(arange(5.0)) * array(2.0f)).item<float>(), 20.0f);
  EXPECT_FALSE(x.is_available());
  o.gate->open();
  x.wait();
  expect_array(x, {8}, float32, std::vector<float>(8, 3.0f));
  EXPECT_EQ(*o.runs, 1);
}

TEST(Threads, SharedGraphFromManyThreadsRunsEachNodeOnce) {
  for (int round = 0; round < 10; ++round) {
    StepOptions o;
    auto s1 = new_stream(Device::cpu);
    auto base = arange(256.0);
    std::vector<array> levels;
    for (int i = 0; i < 30; ++i) {
      base = step(base, o, i % 2 ? s1 : default_stream(Device::cpu));
      levels.push_back(base);
    }
    constexpr int kThreads = 8;
    std::vector<float> seen(kThreads, -1.0f);
    std::vector<std::thread> threads;
    std::atomic<int> ready{0};
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        ready++;
        while (ready.load() < kThreads) {
          std::this_thread::yield();
        }
        // Different threads ask for different (overlapping) parts of the same graph.
        auto& target = levels[levels.size() - 1 - (t % 3)];
        auto r = multiply(target, array(2.0f));
        eval(r);
        seen[t] = r.data<float>()[255];
        clear_streams();
      });
    }
    for (auto& th : threads) {
      th.join();
    }
    EXPECT_EQ(*o.runs, 30);
    for (int t = 0; t < kThreads; ++t) {
      EXPECT_EQ(seen[t], 2.0f * (255.0f + 30.0f - static_cast<float>(t % 3))) << t;
    }
  }
}

TEST(Threads, IndependentGraphsFromManyThreads) {
  auto shared_stream = new_stream(Device::cpu);
  constexpr int kThreads = 8;
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        // Odd threads share one stream; even ones use their own default stream.
        StreamOrDevice s = t % 2 ? StreamOrDevice(shared_stream) : StreamOrDevice();
        auto x = full({33}, static_cast<float>(t), float32, s);
        for (int i = 0; i < 50; ++i) {
          x = add(x, array(1.0f), s);
        }
        auto total = sum(x, false, s);
        if (round % 2) {
          async_eval(total);
        }
        wrong[t] += total.item<float>() != 33.0f * (t + 50);
      }
      clear_streams();
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(wrong[t], 0) << t;
  }
}

TEST(Threads, StreamsCreatedAndClearedFromManyThreads) {
  constexpr int kThreads = 6;
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 10; ++round) {
        auto mine = new_stream(Device::cpu);
        auto x = add(arange(100.0, mine), array(static_cast<float>(round)), mine);
        auto y = x * array(2.0f);  // this thread's default stream
        async_eval(y);
        get_streams();
        eval(y);
        wrong[t] += y.data<float>()[99] != 2.0f * (99.0f + round);
        clear_streams();
        // The cleared stream is gone; the default stream comes back on demand.
        wrong[t] +=
            error_of([&] { synchronize(mine); }).find("does not exist") == std::string::npos;
        wrong[t] += (array(t) + array(1)).item<int>() != t + 1;
      }
      clear_streams();
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(wrong[t], 0) << t;
  }
}

TEST(Threads, ErrorReachesEveryWaitingThread) {
  auto gate = std::make_shared<Latch>();
  auto s1 = new_stream(Device::cpu);
  auto s2 = new_stream(Device::cpu);
  auto bad = array(Shape{4}, float32, std::make_shared<FailLater>(s1, gate), {ones({4})});
  auto d1 = add(bad, array(1.0f), s1);
  auto d2 = multiply(bad, array(2.0f), s2);
  constexpr int kThreads = 6;
  std::vector<std::string> messages(kThreads);
  std::atomic<int> started{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      started++;
      auto& target = t % 3 == 0 ? bad : t % 3 == 1 ? d1 : d2;
      messages[t] = error_of([&] {
        if (t < 3) {
          eval(target);
        } else {
          // Waiters that did not schedule anything themselves.
          while (target.status() == array::unscheduled) {
            std::this_thread::yield();
          }
          target.wait();
        }
      });
    });
  }
  while (started.load() < kThreads) {
    std::this_thread::yield();
  }
  std::this_thread::sleep_for(20ms);
  gate->open();
  for (auto& th : threads) {
    th.join();
  }
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(messages[t], "[FailLater] kernel failed") << t;
  }
  // Unrelated work goes on.
  EXPECT_EQ(add(array(1), array(2), s2).item<int>(), 3);
}

TEST(Threads, SoftMemoryLimitWaitsForInFlightWorkThenProceeds) {
  LimitGuard guard;
  auto s1 = new_stream(Device::cpu);
  auto s2 = new_stream(Device::cpu);
  StepOptions hold;
  hold.signal = std::make_shared<Latch>();
  hold.gate = std::make_shared<Latch>();
  hold.hold_bytes = 8 << 20;
  StepOptions probe;
  auto in = ones({16});
  eval(in);
  set_memory_limit(get_active_memory() + (1 << 20));
  auto held = step(in, hold, s1);
  async_eval(held);
  ASSERT_TRUE(hold.signal->wait());  // the first node runs and holds 8 MiB: over the limit
  auto p = step(in, probe, s2);
  async_eval(p);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(*probe.runs, 0);  // throttled while the other node runs
  EXPECT_FALSE(p.is_available());
  hold.gate->open();
  p.wait();  // nothing is running any more: it proceeds although still over the limit
  EXPECT_EQ(*probe.runs, 1);
  expect_array(p, {16}, float32, std::vector<float>(16, 2.0f));
  held.wait();
  expect_array(held, {16}, float32, std::vector<float>(16, 2.0f));
}

TEST(Threads, StrictMemoryLimitRaisesAndLeavesArraysUsable) {
  LimitGuard guard;
  auto s2 = new_stream(Device::cpu);
  auto x = arange(static_cast<double>(1 << 20));  // 4 MiB of float32 once evaluated
  auto y = add(x, array(1.0f));
  auto z = multiply(y, array(2.0f), s2);  // a dependent on another stream
  clear_cache();
  set_memory_limit(get_active_memory() + (1 << 20));
  set_memory_limit_strict(true);
  auto msg = error_of([&] { eval(z); });
  EXPECT_NE(msg.find("[malloc] Allocating 4194304 bytes would exceed the memory limit"),
            std::string::npos)
      << msg;
  EXPECT_EQ(error_of([&] { y.wait(); }), msg);
  EXPECT_FALSE(z.is_available());
  EXPECT_TRUE(z.has_primitive());  // the graph is kept
  // Raising the limit makes the same arrays evaluable.
  set_memory_limit(get_active_memory() + (64 << 20));
  eval(z);
  auto got = values<float>(z);
  EXPECT_EQ(got[0], 2.0f);
  EXPECT_EQ(got[(1 << 20) - 1], 2.0f * (1 << 20));
  EXPECT_EQ(values<float>(y)[5], 6.0f);
}
