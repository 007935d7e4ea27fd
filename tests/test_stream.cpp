// Devices, streams, stream selection, events.
#include <gtest/gtest.h>

#include "helpers.h"

#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "mlx/mlx.h"

using namespace mlx::core;

TEST(Device, CpuIsTheDefaultAndGpuIsUnavailable) {
  EXPECT_EQ(default_device(), Device::cpu);
  EXPECT_TRUE(is_available(Device::cpu));
  EXPECT_FALSE(is_available(Device::gpu));
  EXPECT_FALSE(is_available(Device(Device::cpu, 1)));
  EXPECT_EQ(device_count(Device::cpu), 1);
  EXPECT_EQ(device_count(Device::gpu), 0);
  EXPECT_FALSE(gpu::is_available());
  EXPECT_FALSE(cu::is_available());
  EXPECT_FALSE(metal::is_available());
  EXPECT_EQ(error_of([] { set_default_device(Device::gpu); }),
            "[set_default_device] Device gpu(0) is not available (this build has no GPU "
            "backend).");
  EXPECT_THROW(gpu::device_info(), std::invalid_argument);
  EXPECT_THROW(cu::device_info(), std::invalid_argument);
  EXPECT_THROW(metal::device_info(), std::invalid_argument);
  EXPECT_THROW(device_info(Device::gpu), std::invalid_argument);
  EXPECT_TRUE(Device(Device::cpu) == Device::cpu);
  EXPECT_TRUE(Device(Device::cpu) != Device(Device::gpu));
  EXPECT_TRUE(Device(Device::cpu) < Device(Device::gpu));
  std::ostringstream os;
  os << Device(Device::cpu);
  EXPECT_EQ(os.str(), "Device(cpu, 0)");
}

TEST(Device, CpuInfo) {
  auto& info = device_info(Device::cpu);
  ASSERT_TRUE(info.count("device_name"));
  ASSERT_TRUE(info.count("architecture"));
  EXPECT_GT(std::get<size_t>(info.at("memory_size")), 0u);
  EXPECT_GT(std::get<size_t>(info.at("free_memory")), 0u);
  EXPECT_LE(std::get<size_t>(info.at("free_memory")), std::get<size_t>(info.at("total_memory")));
  EXPECT_GE(std::get<size_t>(info.at("num_cores")), 1u);
}

TEST(Stream, OpsOnGpuAreAClearError) {
  EXPECT_EQ(error_of([] { add(array(1), array(2), Device::gpu); }),
            "[default_stream] Device gpu(0) is not available (this build has no GPU backend).");
  EXPECT_THROW(new_stream(Device::gpu), std::invalid_argument);
  EXPECT_THROW(to_stream(Stream(0, Device::gpu)), std::invalid_argument);
}

TEST(Stream, DefaultStreamsArePerThread) {
  auto mine = default_stream(Device::cpu);
  EXPECT_EQ(mine, default_stream(Device::cpu));
  EXPECT_EQ(mine.device, Device::cpu);
  Stream theirs(0, Device::cpu);
  std::thread([&] { theirs = default_stream(Device::cpu); }).join();
  EXPECT_NE(mine, theirs);
  // An op's stream is the calling thread's default.
  auto x = array(1.0f) + array(2.0f);
  EXPECT_EQ(x.primitive().stream(), mine);
}

TEST(Stream, NewStreamsAndSelection) {
  auto s = new_stream(Device::cpu);
  auto t = new_thread_unsafe_stream(Device::cpu);
  EXPECT_NE(s, t);
  EXPECT_NE(s, default_stream(Device::cpu));
  auto streams = get_streams();
  EXPECT_TRUE(std::find(streams.begin(), streams.end(), s) != streams.end());
  EXPECT_EQ(to_stream(s), s);
  EXPECT_EQ(to_stream(Device::cpu), default_stream(Device::cpu));
  EXPECT_EQ(to_stream(Device(Device::cpu)), default_stream(Device::cpu));
  EXPECT_EQ(to_stream({}), default_stream(default_device()));
  auto x = add(array(1), array(2), s);
  EXPECT_EQ(x.primitive().stream(), s);
  EXPECT_EQ(x.item<int>(), 3);
  // A stream may be used from any thread.
  int from_thread = 0;
  std::thread([&] { from_thread = multiply(array(3), array(4), t).item<int>(); }).join();
  EXPECT_EQ(from_thread, 12);
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "Stream(Device(cpu, 0), " + std::to_string(s.index) + ")");
}

TEST(Stream, SetDefaultStreamAndContext) {
  auto original = default_stream(Device::cpu);
  auto s = new_stream(Device::cpu);
  {
    StreamContext ctx(s);
    EXPECT_EQ(default_stream(Device::cpu), s);
    auto x = array(1) + array(1);
    EXPECT_EQ(x.primitive().stream(), s);
  }
  EXPECT_EQ(default_stream(Device::cpu), original);
  set_default_stream(s);
  EXPECT_EQ(default_stream(Device::cpu), s);
  set_default_stream(original);
  EXPECT_EQ(default_stream(Device::cpu), original);
  EXPECT_THROW(StreamContext(Device::gpu), std::invalid_argument);
  EXPECT_EQ(default_device(), Device::cpu);
  EXPECT_EQ(error_of([] { set_default_stream(Stream(123456, Device::cpu)); }),
            "[set_default_stream] Stream(cpu, 123456) does not exist (it was never created or "
            "has been cleared).");
}

TEST(Stream, ThreadLocalStreamsResolvePerThread) {
  auto tls = new_thread_local_stream(Device::cpu);
  auto here = stream_from_thread_local_stream(tls);
  EXPECT_EQ(here, stream_from_thread_local_stream(tls));
  EXPECT_EQ(to_stream(tls), here);
  Stream there(0, Device::cpu);
  int value = 0;
  std::thread([&] {
    there = stream_from_thread_local_stream(tls);
    value = add(array(2), array(5), tls).item<int>();
  }).join();
  EXPECT_NE(here, there);
  EXPECT_EQ(value, 7);
  synchronize(tls);
  EXPECT_THROW(stream_from_thread_local_stream(ThreadLocalStream(5, Device::cpu)),
               std::invalid_argument);
}

TEST(Stream, SynchronizeWaitsForQueuedWork) {
  auto s = new_stream(Device::cpu);
  auto x = zeros({1 << 16}, float32, s);
  for (int i = 0; i < 20; ++i) {
    x = add(x, array(1.0f), s);
  }
  async_eval(x);
  synchronize(s);
  EXPECT_TRUE(x.is_available());
  EXPECT_EQ(x.data<float>()[100], 20.0f);
  synchronize();
}

namespace {

// A primitive that calls a hook when it runs (its output is its input's value): it shows which
// thread ran it, and in which order.
class Probe : public UnaryPrimitive {
 public:
  Probe(Stream s, std::function<void()> hook) : UnaryPrimitive(s), hook_(std::move(hook)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override {
    hook_();
    out.copy_shared_buffer(inputs[0]);
  }
  void eval_gpu(const std::vector<array>&, array&) override {
    throw std::runtime_error("Probe has no GPU implementation.");
  }
  const char* name() const override { return "Probe"; }

 private:
  std::function<void()> hook_;
};

array probe(const array& x, Stream s, std::function<void()> hook) {
  return array(x.shape(), x.dtype(), std::make_shared<Probe>(s, std::move(hook)), {x});
}

}  // namespace

// A synchronous eval on an idle stream runs on the calling thread (it would only wait for the
// stream's worker); an async_eval runs on the worker.
TEST(Stream, SynchronousEvalOfAnIdleStreamRunsOnTheCaller) {
  auto s = new_stream(Device::cpu);
  std::thread::id ran_on;
  auto y = probe(array({1.0f, 2.0f}), s, [&] { ran_on = std::this_thread::get_id(); });
  eval(y);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_EQ(y.data<float>()[1], 2.0f);
  auto z = probe(array({3.0f}), s, [&] { ran_on = std::this_thread::get_id(); });
  async_eval(z);
  synchronize(s);
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_EQ(z.item<float>(), 3.0f);
}

// While the stream's worker runs a task, a synchronous eval on that stream waits its turn:
// tasks of one stream run in the order they were queued.
TEST(Stream, SynchronousEvalOfABusyStreamWaitsItsTurn) {
  auto s = new_stream(Device::cpu);
  std::mutex m;
  std::vector<int> order;
  std::promise<void> started, go;
  auto go_future = go.get_future().share();
  auto first = probe(array(1.0f), s, [&] {
    started.set_value();
    go_future.wait();
    std::lock_guard<std::mutex> lk(m);
    order.push_back(1);
  });
  async_eval(first);
  started.get_future().wait();
  std::atomic<bool> evaluating{false};
  std::thread other([&] {
    auto second = probe(array(2.0f), s, [&] {
      std::lock_guard<std::mutex> lk(m);
      order.push_back(2);
    });
    evaluating = true;
    eval(second);
    EXPECT_EQ(second.item<float>(), 2.0f);
  });
  // The other thread is about to call eval; give it time to get there (had it run its task
  // itself, `order` would hold 2).
  while (!evaluating) {
    std::this_thread::yield();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  {
    std::lock_guard<std::mutex> lk(m);
    EXPECT_TRUE(order.empty());
  }
  go.set_value();
  other.join();
  synchronize(s);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(Stream, ClearStreamsDestroysTheCallingThreadsStreams) {
  std::thread([] {
    auto mine = new_stream(Device::cpu);
    auto def = default_stream(Device::cpu);
    auto x = add(arange(1000.0, mine), array(1.0f), mine);
    async_eval(x);
    clear_streams();  // finishes the queued work first
    EXPECT_TRUE(x.is_available());
    EXPECT_EQ(x.data<float>()[999], 1000.0f);
    auto streams = get_streams();
    EXPECT_TRUE(std::find(streams.begin(), streams.end(), mine) == streams.end());
    EXPECT_TRUE(std::find(streams.begin(), streams.end(), def) == streams.end());
    // Using a cleared stream is an error; the default stream comes back on demand.
    EXPECT_THROW(synchronize(mine), std::invalid_argument);
    auto y = add(array(1), array(1), mine);
    EXPECT_EQ(error_of([&] { eval(y); }),
              "[eval] Stream(cpu, " + std::to_string(mine.index) +
                  ") does not exist (it was never created or has been cleared).");
    EXPECT_NE(default_stream(Device::cpu), def);
    EXPECT_EQ((array(2) + array(2)).item<int>(), 4);
  }).join();
}

TEST(Event, SignalAndWait) {
  auto s = new_stream(Device::cpu);
  Event e(s);
  EXPECT_TRUE(e.valid());
  e.set_value(1);
  EXPECT_FALSE(e.is_signaled());
  e.signal(s);
  e.wait();
  EXPECT_TRUE(e.is_signaled());
  // A stream can be made to wait for an event signalled from elsewhere.
  Event gate(s);
  gate.set_value(1);
  gate.wait(s);
  auto x = add(array(1), array(1), s);
  async_eval(x);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(x.is_available());
  gate.signal();
  EXPECT_EQ(x.item<int>(), 2);
  EXPECT_FALSE(Event().valid());
  EXPECT_TRUE(Event().is_signaled());
}
