// Graph evaluation: claim the unscheduled part of the graph, sort it, hand each stream its part
// as one task, and wait. See docs/architecture.md and docs/streams.md for the reasoning.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/allocator_internal.h"
#include "core/array_access.h"
#include "core/scheduler.h"
#include "mlx/memory.h"
#include "mlx/primitives.h"
#include "mlx/transforms.h"
#include "mlx/transforms_impl.h"

namespace mlx::core {

namespace {

using State = ArrayAccess::State;

// Claiming and enqueueing happen under one lock (scheduler::eval_mutex), so every stream's
// queue sees the tasks of different eval calls in the same order; a task can then only wait on
// nodes of its own eval call or of earlier ones, which rules out deadlock between streams.

// ---- the soft memory limit ----
// While active memory is above the limit, a node waits before running until the nodes running
// on other streams finish (they may free memory), then proceeds anyway.
std::atomic<int> running_nodes{0};
std::atomic<int> memory_waiters{0};
std::mutex memory_mutex;
std::condition_variable memory_cv;

void wait_for_memory() {
  if (!allocator::detail::over_memory_limit()) {
    return;
  }
  std::unique_lock<std::mutex> lk(memory_mutex);
  memory_waiters++;
  while (allocator::detail::over_memory_limit() &&
         running_nodes.load(std::memory_order_acquire) > 0) {
    // Memory may also be freed by other threads dropping arrays; poll now and then.
    memory_cv.wait_for(lk, std::chrono::milliseconds(20));
  }
  memory_waiters--;
}

void node_finished() {
  running_nodes.fetch_sub(1, std::memory_order_acq_rel);
  if (memory_waiters.load(std::memory_order_acquire) > 0) {
    std::lock_guard<std::mutex> lk(memory_mutex);
    memory_cv.notify_all();
  }
}

// The outputs of the node's primitive, in order, into `outputs` (kept by the caller between
// nodes so that single-output nodes allocate nothing).
void gather_outputs(const array& node, std::vector<array>& outputs) {
  auto& siblings = node.siblings();
  size_t pos = node.sibling_position();
  outputs.insert(outputs.end(), siblings.begin(), siblings.begin() + pos);
  outputs.push_back(node);
  outputs.insert(outputs.end(), siblings.begin() + pos, siblings.end());
}

// Runs one node (all outputs of its primitive) on the calling stream worker. `detach` was decided
// on the thread that called eval (tracing state is per thread).
void run_node(array node, bool detach, std::vector<array>& outputs) {
  std::exception_ptr error;
  // A node that hit the strict memory limit, and everything that depends on it, keeps its graph
  // so that it can be evaluated again.
  bool keep_graph = false;
  for (auto& in : node.inputs()) {
    // Inputs from other streams may still be running; same-stream inputs are done already.
    if (ArrayAccess::wait_done(in) == State::failed && !error) {
      error = ArrayAccess::error(in);
      keep_graph = ArrayAccess::retryable(error);
    }
  }
  // Nothing may escape to the worker's loop: every failure becomes the node's error.
  try {
    gather_outputs(node, outputs);
    if (!error) {
      wait_for_memory();
      struct Running {
        Running() { running_nodes.fetch_add(1, std::memory_order_acq_rel); }
        ~Running() { node_finished(); }
      } running;
      auto& p = node.primitive();
      if (p.device() == Device::cpu) {
        p.eval_cpu(node.inputs(), outputs);
      } else {
        p.eval_gpu(node.inputs(), outputs);
      }
      for (size_t i = 0; i < outputs.size(); ++i) {
        if (!ArrayAccess::has_data(outputs[i])) {
          throw std::runtime_error(std::string("[eval] Primitive ") + p.name() +
                                   " did not set the data of output " + std::to_string(i) + ".");
        }
      }
    }
  } catch (const allocator::detail::MemoryLimitError&) {
    error = std::current_exception();
    keep_graph = true;
  } catch (...) {
    error = std::current_exception();
    keep_graph = false;
  }
  if (outputs.empty()) {
    outputs.push_back(node);  // gathering the outputs itself failed
  }
  // Drop the graph before publishing: a waiter may destroy the outputs as soon as it wakes.
  if (detach && !keep_graph) {
    node.detach();
  }
  for (auto& out : outputs) {
    ArrayAccess::finish(out, error);
  }
  outputs.clear();
}

// Claims a node and its siblings; false when it was claimed or computed before.
bool claim(const array& a, std::vector<array>& claimed_siblings) {
  if (!ArrayAccess::try_claim(a)) {
    return false;
  }
  for (auto& s : a.siblings()) {
    if (ArrayAccess::try_claim(s)) {
      claimed_siblings.push_back(s);
    }
  }
  return true;
}

// The nodes one stream runs for one eval call, in order, with their detach flags.
struct StreamNodes {
  Stream stream;
  std::vector<std::pair<array, bool>> nodes;
  std::shared_ptr<scheduler::StreamWorker> worker;
};

// Counts down the tasks of one synchronous eval call; the caller sleeps until all are done.
class TasksDone {
 public:
  explicit TasksDone(int tasks) : pending_(tasks) {}
  void count_down() {
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      ArrayAccess::store(done_, State::available);
    }
  }
  void wait() { ArrayAccess::wait_while(done_, State::scheduled); }

 private:
  std::atomic<int> pending_;
  ArrayAccess::Word done_{State::scheduled};
};

// A vector kept by the thread between eval calls, so that its memory is reused: a graph of
// thousands of nodes grows the sort's vectors through blocks of 1 KiB and more, and each such
// allocation makes glibc merge all of its small free blocks (the nodes' shapes, strides and
// input lists just freed), which then cost more to hand out again: a fifth of W7's time (1,000
// chained adds on 16 elements). Borrowed by moving it out, so that an eval nested in a node's
// evaluation gets a vector of its own; given back emptied, unless it grew past kMaxKept.
template <typename T>
class Reused {
 public:
  static std::vector<T> borrow() { return std::move(kept()); }
  static void give_back(std::vector<T>& v) {
    constexpr size_t kMaxKept = size_t(1) << 16;
    v.clear();
    if (v.capacity() <= kMaxKept) {
      kept() = std::move(v);
    }
  }

 private:
  static std::vector<T>& kept() {
    thread_local std::vector<T> v;
    return v;
  }
};

void eval_impl(std::vector<array> outputs, bool async) {
  std::shared_ptr<TasksDone> tasks_done;
  // A synchronous eval of a graph on one idle stream runs its nodes here, straight from the
  // sorted tape, after the lock (see scheduler::try_claim_idle).
  auto tape = Reused<array>::borrow();
  std::shared_ptr<scheduler::StreamWorker> inline_worker;
  {
    std::lock_guard<std::mutex> lk(scheduler::eval_mutex());
    // Iterative depth-first search in post-order: long chains must not use the C++ stack.
    auto stack = Reused<std::pair<array, size_t>>::borrow();
    std::vector<array> claimed_siblings;
    std::vector<StreamNodes> groups;
    try {
      for (auto& out : outputs) {
        if (ArrayAccess::state(out) == State::unscheduled && !out.has_primitive()) {
          throw std::invalid_argument(
              "[eval] Attempting to evaluate an array without data or a "
              "primitive.");
        }
        if (!claim(out, claimed_siblings)) {
          continue;
        }
        stack.emplace_back(out, 0);
        while (!stack.empty()) {
          auto& top = stack.back();
          if (top.second < top.first.inputs().size()) {
            auto& in = top.first.inputs()[top.second++];
            if (ArrayAccess::state(in) == State::unscheduled && !in.has_primitive()) {
              throw std::invalid_argument("[eval] An input has neither data nor a primitive.");
            }
            if (claim(in, claimed_siblings)) {
              stack.emplace_back(in, 0);
            }
          } else {
            tape.push_back(std::move(top.first));
            stack.pop_back();
          }
        }
      }
      Reused<std::pair<array, size_t>>::give_back(stack);
      if (!async && !tape.empty()) {
        auto& s = tape.front().primitive().stream();
        bool one_stream = std::all_of(tape.begin(), tape.end(),
                                      [&](const array& a) { return a.primitive().stream() == s; });
        if (one_stream) {
          auto worker = scheduler::worker(s, "eval");
          if (scheduler::try_claim_idle(*worker)) {
            inline_worker = std::move(worker);
          }
        }
      }
      // Otherwise the sorted tape is split by stream, keeping the order within each stream,
      // and each stream's part is one task. Most graphs use one stream, so the stream of the
      // previous node is tried first.
      size_t g = 0;
      for (auto& node : inline_worker ? std::span<array>() : std::span<array>(tape)) {
        auto& s = node.primitive().stream();
        if (groups.empty() || groups[g].stream != s) {
          g = 0;
          while (g < groups.size() && groups[g].stream != s) {
            ++g;
          }
          if (g == groups.size()) {
            groups.push_back({s, {}, scheduler::worker(s, "eval")});
            groups.back().nodes.reserve(tape.size());
          }
        }
        bool detach = !node.is_tracer();
        groups[g].nodes.emplace_back(std::move(node), detach);
      }
    } catch (...) {
      // Give the claims back so the arrays stay usable (for example on another stream).
      auto release = [](const array& a) { ArrayAccess::set_state(a, State::unscheduled); };
      for (auto& a : tape) {
        if (a.id() != 0) {  // a moved-from handle was already handed to a group
          release(a);
        }
      }
      for (auto& group : groups) {
        for (auto& [a, detach] : group.nodes) {
          release(a);
        }
      }
      for (auto& [a, i] : stack) {
        release(a);
      }
      for (auto& a : claimed_siblings) {
        release(a);
      }
      throw;
    }
    // Holding the claimed siblings past this point would keep them alive.
    claimed_siblings.clear();
    // A synchronous eval returns only once its tasks have dropped their handles to the graph:
    // outputs are published before the worker lets go of the node, and a caller that then
    // releases its own handles must see the memory freed at once, not a moment later.
    if (!async && !groups.empty()) {
      tasks_done = std::make_shared<TasksDone>(static_cast<int>(groups.size()));
    }
    for (auto& group : groups) {
      std::function<void()> task = [nodes = std::move(group.nodes), done = tasks_done]() mutable {
        std::vector<array> outs;
        for (auto& [n, detach] : nodes) {
          // Release the tape's handle as each node finishes so intermediates can be freed.
          run_node(std::move(n), detach, outs);
        }
        // The nodes' handles go before the count-down: the caller may free the graph then.
        nodes.clear();
        if (done) {
          done->count_down();
        }
      };
      scheduler::enqueue(*group.worker, std::move(task));
    }
  }
  if (inline_worker) {
    // run_node catches the nodes' errors; the turn is given back whatever happens.
    struct Release {
      scheduler::StreamWorker& worker;
      ~Release() { scheduler::release(worker); }
    } release{*inline_worker};
    std::vector<array> outs;
    for (auto& node : tape) {
      bool detach = !node.is_tracer();
      run_node(std::move(node), detach, outs);
    }
  }
  Reused<array>::give_back(tape);
  if (!async) {
    if (tasks_done) {
      tasks_done->wait();
    }
    // Outputs claimed by another eval call are waited for here; errors are rethrown.
    for (auto& out : outputs) {
      out.wait();
    }
  }
}

// A transformation other than grad traces on placeholders that have no values to compute.
void check_not_tracing() {
  if (detail::InTracing::in_non_grad_tracing()) {
    throw std::invalid_argument(
        "[eval] Attempting to eval an array during function transformations like compile or "
        "vmap is not allowed.");
  }
}

}  // namespace

void eval(std::vector<array> outputs) {
  check_not_tracing();
  eval_impl(std::move(outputs), /* async = */ false);
}

void async_eval(std::vector<array> outputs) {
  check_not_tracing();
  for (auto& out : outputs) {
    if (out.is_tracer()) {
      throw std::invalid_argument("[async_eval] Not allowed inside a graph transformation.");
    }
  }
  eval_impl(std::move(outputs), /* async = */ true);
}

}  // namespace mlx::core
