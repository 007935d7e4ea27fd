#include "mlx/event.h"

#include <atomic>

#include "core/scheduler.h"

namespace mlx::core {

struct Event::State {
  std::atomic<uint64_t> value{0};

  void set(uint64_t v) {
    // Values only grow; a late, smaller signal must not undo a newer one.
    auto cur = value.load(std::memory_order_acquire);
    while (cur < v && !value.compare_exchange_weak(cur, v, std::memory_order_acq_rel)) {
    }
    value.notify_all();
  }

  void wait_for(uint64_t v) {
    auto cur = value.load(std::memory_order_acquire);
    while (cur < v) {
      value.wait(cur, std::memory_order_acquire);
      cur = value.load(std::memory_order_acquire);
    }
  }
};

Event::Event(Stream stream) : stream_(stream), state_(std::make_shared<State>()) {}

void Event::wait() {
  if (state_) {
    state_->wait_for(value_);
  }
}

void Event::wait(Stream stream) {
  if (state_) {
    scheduler::enqueue(stream, [state = state_, v = value_] { state->wait_for(v); });
  }
}

void Event::signal(Stream stream) {
  if (state_) {
    scheduler::enqueue(stream, [state = state_, v = value_] { state->set(v); });
  }
}

void Event::signal() {
  if (state_) {
    state_->set(value_);
  }
}

bool Event::is_signaled() const {
  return !state_ || state_->value.load(std::memory_order_acquire) >= value_;
}

}  // namespace mlx::core
