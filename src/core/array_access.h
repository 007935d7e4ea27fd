// Internal access to an array's node state, for the scheduler.
#pragma once

#include "mlx/array.h"

namespace mlx::core {

struct ArrayAccess {
  using State = array::State;

  static State state(const array& a) {
    return a.array_desc_->state.load(std::memory_order_acquire);
  }
  static bool try_claim(const array& a) {
    auto expected = State::unscheduled;
    return a.array_desc_->state.compare_exchange_strong(expected, State::scheduled,
                                                        std::memory_order_acq_rel);
  }
  static void set_state(const array& a, State s) {
    a.array_desc_->state.store(s, std::memory_order_release);
    a.array_desc_->state.notify_all();
  }
  // Publishes the final state (available or failed) and wakes every waiter.
  static void finish(const array& a, std::exception_ptr error) {
    auto& d = *a.array_desc_;
    d.error = std::move(error);
    d.state.store(d.error ? State::failed : State::available, std::memory_order_release);
    d.state.notify_all();
  }
  // Blocks until the node is available or failed; returns which.
  static State wait_done(const array& a) {
    auto& st = a.array_desc_->state;
    auto s = st.load(std::memory_order_acquire);
    while (s == State::scheduled || s == State::unscheduled) {
      st.wait(s, std::memory_order_acquire);
      s = st.load(std::memory_order_acquire);
    }
    return s;
  }
  static const std::exception_ptr& error(const array& a) { return a.array_desc_->error; }
  static bool has_data(const array& a) { return a.array_desc_->data != nullptr; }
};

}  // namespace mlx::core
