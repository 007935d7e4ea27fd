// Streams and their worker threads, per-thread default streams, and stream selection.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/scheduler.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

// Thread-local stream handles live in their own index range so that a handle mistaken for a
// concrete stream is reported as unknown rather than silently used.
constexpr int kThreadLocalBase = 1 << 24;

}  // namespace

namespace scheduler {

class StreamWorker {
 public:
  StreamWorker(Stream s, std::thread::id owner) : stream(s), owner(owner) {
    thread_ = std::thread([this] { run(); });
  }

  ~StreamWorker() {
    {
      std::lock_guard<std::mutex> lk(mutex_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  void enqueue(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lk(mutex_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

  // Takes the worker's turn for the calling thread if nothing runs or waits on it.
  bool try_claim_idle() {
    std::lock_guard<std::mutex> lk(mutex_);
    if (busy_ || !tasks_.empty() || stop_) {
      return false;
    }
    busy_ = true;
    return true;
  }

  // Gives the turn back; tasks queued meanwhile run next (and a stopping worker may finish).
  void release() {
    bool queued;
    {
      std::lock_guard<std::mutex> lk(mutex_);
      busy_ = false;
      queued = !tasks_.empty() || stop_;
    }
    if (queued) {
      cv_.notify_one();
    }
  }

  const Stream stream;
  const std::thread::id owner;

 private:
  void run() {
    while (true) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lk(mutex_);
        cv_.wait(lk, [this] { return (stop_ || !tasks_.empty()) && !busy_; });
        // Drain the queue before stopping so queued work is never dropped.
        if (tasks_.empty()) {
          return;
        }
        task = std::move(tasks_.front());
        tasks_.pop_front();
        busy_ = true;
      }
      task();
      std::lock_guard<std::mutex> lk(mutex_);
      busy_ = false;
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  // A task runs: on the worker's thread, or on a thread that claimed the worker's turn.
  bool busy_{false};
  bool stop_{false};
  std::thread thread_;
};

}  // namespace scheduler

namespace {

using scheduler::StreamWorker;

struct Registry {
  std::mutex mutex;
  std::map<int, std::shared_ptr<StreamWorker>> workers;
  int next_index{0};
  int next_thread_local{kThreadLocalBase};
  std::map<int, Device> thread_local_handles;
  // Bumped whenever streams are destroyed, so threads can trust their cached default stream
  // without taking the lock while it is unchanged.
  std::atomic<uint64_t> epoch{0};
};

Registry& registry() {
  // Leaked on purpose: worker threads may still run while static destructors do.
  static Registry* r = new Registry();
  return *r;
}

struct ThreadStreams {
  std::map<Device, int> defaults;
  std::map<int, int> thread_local_streams;  // handle index -> stream index
  // The default stream last returned, valid while the registry's epoch is `epoch`: building an
  // op asks for it, and must take no lock.
  Stream last{0, Device::cpu};
  uint64_t epoch{0};
  bool has_last{false};
};

ThreadStreams& thread_streams() {
  static thread_local ThreadStreams t;
  return t;
}

std::string stream_string(const Stream& s) {
  return "Stream(" + std::string(s.device.type == Device::cpu ? "cpu" : "gpu") + ", " +
         std::to_string(s.index) + ")";
}

std::shared_ptr<StreamWorker> find_worker(const Stream& s) {
  auto& r = registry();
  std::lock_guard<std::mutex> lk(r.mutex);
  auto it = r.workers.find(s.index);
  if (it == r.workers.end() || it->second->stream.device != s.device) {
    return nullptr;
  }
  return it->second;
}

void check_device(const Device& d, const char* caller) {
  if (!is_available(d)) {
    throw std::invalid_argument(
        std::string("[") + caller + "] Device " + (d.type == Device::cpu ? "cpu(" : "gpu(") +
        std::to_string(d.index) + ") is not available" +
        (d.type == Device::gpu ? " (this build has no GPU backend)." : "."));
  }
}

Stream create_stream(Device d, const char* caller) {
  check_device(d, caller);
  auto& r = registry();
  std::lock_guard<std::mutex> lk(r.mutex);
  Stream s(r.next_index++, d);
  r.workers.emplace(s.index, std::make_shared<StreamWorker>(s, std::this_thread::get_id()));
  return s;
}

}  // namespace

namespace scheduler {

std::mutex& eval_mutex() {
  static std::mutex m;
  return m;
}

void check_stream(const Stream& s, const char* caller) {
  if (!find_worker(s)) {
    throw std::invalid_argument(std::string("[") + caller + "] " + stream_string(s) +
                                " does not exist (it was never created or has been cleared).");
  }
}

std::shared_ptr<StreamWorker> worker(const Stream& s, const char* caller) {
  auto w = find_worker(s);
  if (!w) {
    check_stream(s, caller);
  }
  return w;
}

void enqueue(StreamWorker& worker, std::function<void()> task) { worker.enqueue(std::move(task)); }

bool try_claim_idle(StreamWorker& worker) { return worker.try_claim_idle(); }

void release(StreamWorker& worker) { worker.release(); }

void enqueue(const Stream& s, std::function<void()> task) {
  worker(s, "eval")->enqueue(std::move(task));
}

}  // namespace scheduler

Stream default_stream(Device d) {
  auto& t = thread_streams();
  auto& r = registry();
  if (t.has_last && t.last.device == d && t.epoch == r.epoch.load(std::memory_order_acquire)) {
    return t.last;
  }
  check_device(d, "default_stream");
  // Read before looking the stream up: a stream destroyed after this shows as a new epoch.
  uint64_t epoch = r.epoch.load(std::memory_order_acquire);
  auto it = t.defaults.find(d);
  Stream s(-1, d);
  if (it != t.defaults.end() && find_worker(Stream(it->second, d))) {
    s = Stream(it->second, d);
  } else {
    s = create_stream(d, "default_stream");
    t.defaults.insert_or_assign(d, s.index);
  }
  t.last = s;
  t.epoch = epoch;
  t.has_last = true;
  return s;
}

void set_default_stream(Stream s) {
  scheduler::check_stream(s, "set_default_stream");
  auto& t = thread_streams();
  t.defaults.insert_or_assign(s.device, s.index);
  t.has_last = false;
}

Stream new_stream(Device d) { return create_stream(d, "new_stream"); }

Stream new_thread_unsafe_stream(Device d) { return create_stream(d, "new_thread_unsafe_stream"); }

ThreadLocalStream new_thread_local_stream(Device d) {
  check_device(d, "new_thread_local_stream");
  auto& r = registry();
  std::lock_guard<std::mutex> lk(r.mutex);
  int index = r.next_thread_local++;
  r.thread_local_handles.emplace(index, d);
  return ThreadLocalStream(index, d);
}

Stream stream_from_thread_local_stream(ThreadLocalStream s) {
  {
    auto& r = registry();
    std::lock_guard<std::mutex> lk(r.mutex);
    if (r.thread_local_handles.find(s.index) == r.thread_local_handles.end()) {
      throw std::invalid_argument("[stream_from_thread_local_stream] " + stream_string(s) +
                                  " is not a thread-local stream handle.");
    }
  }
  auto& map = thread_streams().thread_local_streams;
  auto it = map.find(s.index);
  if (it != map.end()) {
    Stream concrete(it->second, s.device);
    if (find_worker(concrete)) {
      return concrete;
    }
  }
  auto concrete = create_stream(s.device, "stream_from_thread_local_stream");
  map.insert_or_assign(s.index, concrete.index);
  return concrete;
}

std::vector<Stream> get_streams() {
  auto& r = registry();
  std::lock_guard<std::mutex> lk(r.mutex);
  std::vector<Stream> out;
  for (auto& [i, w] : r.workers) {
    out.push_back(w->stream);
  }
  return out;
}

bool operator==(const Stream& lhs, const Stream& rhs) {
  return lhs.index == rhs.index && lhs.device == rhs.device;
}

bool operator!=(const Stream& lhs, const Stream& rhs) { return !(lhs == rhs); }

bool operator<(const Stream& lhs, const Stream& rhs) { return lhs.index < rhs.index; }

void synchronize(Stream s) {
  auto w = scheduler::worker(s, "synchronize");
  std::promise<void> done;
  auto fut = done.get_future();
  w->enqueue([&done] { done.set_value(); });
  fut.wait();
}

void synchronize(ThreadLocalStream s) { synchronize(stream_from_thread_local_stream(s)); }

void synchronize() { synchronize(default_stream(default_device())); }

void clear_streams() {
  auto me = std::this_thread::get_id();
  std::vector<std::shared_ptr<StreamWorker>> mine;
  {
    std::lock_guard<std::mutex> eval_lock(scheduler::eval_mutex());
    auto& r = registry();
    std::lock_guard<std::mutex> lk(r.mutex);
    for (auto it = r.workers.begin(); it != r.workers.end();) {
      if (it->second->owner == me) {
        mine.push_back(std::move(it->second));
        it = r.workers.erase(it);
      } else {
        ++it;
      }
    }
    if (!mine.empty()) {
      r.epoch.fetch_add(1, std::memory_order_acq_rel);
    }
  }
  auto& t = thread_streams();
  t.defaults.clear();
  t.thread_local_streams.clear();
  t.has_last = false;
  // Destroying a worker finishes its queued tasks, then joins its thread.
  mine.clear();
}

Stream to_stream(StreamOrDevice s) { return to_stream(std::move(s), default_device()); }

Stream to_stream(StreamOrDevice s, Device default_) {
  if (std::holds_alternative<std::monostate>(s)) {
    return default_stream(default_);
  } else if (auto* d = std::get_if<Device>(&s)) {
    return default_stream(*d);
  } else if (auto* t = std::get_if<Device::DeviceType>(&s)) {
    return default_stream(Device(*t));
  } else if (auto* tls = std::get_if<ThreadLocalStream>(&s)) {
    return stream_from_thread_local_stream(*tls);
  }
  auto stream = std::get<Stream>(s);
  check_device(stream.device, "to_stream");
  return stream;
}

StreamContext::StreamContext(StreamOrDevice s)
    : previous_device_(default_device()), previous_stream_(default_stream(default_device())) {
  if (std::holds_alternative<std::monostate>(s)) {
    throw std::invalid_argument("[StreamContext] Expected a stream or a device, got none.");
  }
  auto stream = to_stream(s);
  set_default_device(stream.device);
  set_default_stream(stream);
}

StreamContext::~StreamContext() {
  set_default_device(previous_device_);
  try {
    set_default_stream(previous_stream_);
  } catch (const std::invalid_argument&) {
    // The previous default was cleared meanwhile; a new one is made on next use.
  }
}

}  // namespace mlx::core
