// Internal access to an array's node state, for the scheduler.
#pragma once

#include <cstdint>
#include <mutex>

#include "core/allocator_internal.h"
#include "mlx/array.h"

namespace mlx::core {

struct ArrayAccess {
  using State = array::State;
  using Word = std::atomic<State>;

  // ---- node states ----
  // Besides the state, the word holds a flag saying whether some thread sleeps until it changes,
  // so that publishing the state of a node nobody waits for needs no system call.
  static State load(const Word& w) {
    return static_cast<State>(static_cast<uint8_t>(w.load(std::memory_order_acquire)) & ~kSleepers);
  }
  // Publishes a state and wakes the threads sleeping on the node.
  static void store(Word& w, State s) {
    if (static_cast<uint8_t>(w.exchange(s)) & kSleepers) {
      w.notify_all();
    }
  }
  // Moves the node from `from` to `to`; false if it was not in `from`.
  static bool transition(Word& w, State from, State to) {
    auto cur = w.load(std::memory_order_relaxed);
    while ((static_cast<uint8_t>(cur) & ~kSleepers) == static_cast<uint8_t>(from)) {
      auto next =
          static_cast<State>(static_cast<uint8_t>(to) | (static_cast<uint8_t>(cur) & kSleepers));
      if (w.compare_exchange_weak(cur, next, std::memory_order_acq_rel)) {
        return true;
      }
    }
    return false;
  }
  // Sleeps while the node is in state `s`; returns the state it left `s` for.
  static State wait_while(Word& w, State s) {
    auto cur = w.load(std::memory_order_acquire);
    while ((static_cast<uint8_t>(cur) & ~kSleepers) == static_cast<uint8_t>(s)) {
      auto flagged = static_cast<State>(static_cast<uint8_t>(cur) | kSleepers);
      if (cur != flagged && !w.compare_exchange_weak(cur, flagged, std::memory_order_acquire)) {
        continue;
      }
      w.wait(flagged, std::memory_order_acquire);
      cur = w.load(std::memory_order_acquire);
    }
    return static_cast<State>(static_cast<uint8_t>(cur) & ~kSleepers);
  }

  static State state(const array& a) { return load(a.array_desc_->state); }
  // Claims an unscheduled node, or a failed one that may be evaluated again.
  static bool try_claim(const array& a) {
    auto& st = a.array_desc_->state;
    if (transition(st, State::unscheduled, State::scheduled)) {
      return true;
    }
    return load(st) == State::failed && retryable(error(a)) &&
           transition(st, State::failed, State::scheduled);
  }
  // Nodes that failed on the strict memory limit (and their dependents) keep their graphs and
  // may be evaluated again; every other error is final.
  static bool retryable(const std::exception_ptr& e) {
    if (!e) {
      return false;
    }
    try {
      std::rethrow_exception(e);
    } catch (const allocator::detail::MemoryLimitError&) {
      return true;
    } catch (...) {
      return false;
    }
  }
  static void set_state(const array& a, State s) { store(a.array_desc_->state, s); }
  // Publishes the final state (available or failed) and wakes every waiter. Only the thread
  // that claimed the node writes its error.
  static void finish(const array& a, std::exception_ptr error) {
    auto& d = *a.array_desc_;
    bool failed = error != nullptr;
    if (failed || d.error) {
      std::lock_guard<std::mutex> lk(error_mutex());
      d.error = std::move(error);
    }
    store(d.state, failed ? State::failed : State::available);
  }
  // Blocks until the node is available or failed; returns which.
  static State wait_done(const array& a) {
    auto& st = a.array_desc_->state;
    auto s = load(st);
    while (s == State::scheduled || s == State::unscheduled) {
      s = wait_while(st, s);
    }
    return s;
  }
  // A failed node that is evaluated again gets a new error (or none) while other threads may
  // still be reading the old one; errors are rare, so one lock guards them all.
  static std::exception_ptr error(const array& a) {
    std::lock_guard<std::mutex> lk(error_mutex());
    return a.array_desc_->error;
  }
  static std::mutex& error_mutex() {
    static std::mutex m;
    return m;
  }
  static bool has_data(const array& a) { return a.array_desc_->data != nullptr; }

 private:
  static constexpr uint8_t kSleepers = 0x80;
};

}  // namespace mlx::core
