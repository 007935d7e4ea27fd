// Graph evaluation: claim the unscheduled part of the graph, sort it, hand each stream its part
// as one task, and wait. See docs/architecture.md for the reasoning.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
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

// Runs one node (all outputs of its primitive) on the calling stream worker. `detach` was decided
// on the thread that called eval (tracing state is per thread).
void run_node(array node, bool detach) {
  std::exception_ptr error;
  for (auto& in : node.inputs()) {
    // Inputs from other streams may still be running; same-stream inputs are done already.
    if (ArrayAccess::wait_done(in) == State::failed && !error) {
      error = ArrayAccess::error(in);
    }
  }
  // Nothing may escape to the worker's loop: every failure becomes the node's error.
  std::vector<array> outputs;
  try {
    outputs = node.outputs();
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
  } catch (...) {
    error = std::current_exception();
  }
  if (outputs.empty()) {
    outputs.push_back(node);  // node.outputs() itself failed
  }
  // Drop the graph before publishing: a waiter may destroy the outputs as soon as it wakes.
  if (detach) {
    node.detach();
  }
  for (auto& out : outputs) {
    ArrayAccess::finish(out, error);
  }
}

// Claims a node and its siblings; false when it was claimed or computed before.
bool claim(const array& a, std::vector<array>& claimed) {
  if (!ArrayAccess::try_claim(a)) {
    return false;
  }
  claimed.push_back(a);
  for (auto& s : a.siblings()) {
    if (ArrayAccess::try_claim(s)) {
      claimed.push_back(s);
    }
  }
  return true;
}

void eval_impl(std::vector<array> outputs, bool async) {
  std::vector<array> claimed;
  {
    std::lock_guard<std::mutex> lk(scheduler::eval_mutex());
    // Iterative depth-first search in post-order: long chains must not use the C++ stack.
    std::vector<array> tape;
    std::vector<std::pair<array, size_t>> stack;
    try {
      for (auto& out : outputs) {
        if (ArrayAccess::state(out) == State::unscheduled && !out.has_primitive()) {
          throw std::invalid_argument(
              "[eval] Attempting to evaluate an array without data or a "
              "primitive.");
        }
        if (!claim(out, claimed)) {
          continue;
        }
        stack.emplace_back(out, 0);
        while (!stack.empty()) {
          auto& top = stack.back();
          if (top.second < top.first.inputs().size()) {
            array in = top.first.inputs()[top.second++];
            if (ArrayAccess::state(in) == State::unscheduled && !in.has_primitive()) {
              throw std::invalid_argument("[eval] An input has neither data nor a primitive.");
            }
            if (claim(in, claimed)) {
              scheduler::check_stream(in.primitive().stream(), "eval");
              stack.emplace_back(std::move(in), 0);
            }
          } else {
            scheduler::check_stream(top.first.primitive().stream(), "eval");
            tape.push_back(std::move(top.first));
            stack.pop_back();
          }
        }
      }
    } catch (...) {
      // Give the claims back so the arrays stay usable (for example on another stream).
      for (auto& a : claimed) {
        ArrayAccess::set_state(a, State::unscheduled);
      }
      throw;
    }
    // Holding the claimed nodes past this point would keep every intermediate alive.
    claimed.clear();

    // Split the sorted tape by stream, keeping the order within each stream.
    std::map<Stream, std::vector<std::pair<array, bool>>> per_stream;
    for (auto& node : tape) {
      bool detach = !node.is_tracer();
      auto s = node.primitive().stream();
      per_stream[s].emplace_back(std::move(node), detach);
    }
    for (auto& [stream, nodes] : per_stream) {
      scheduler::enqueue(stream, [nodes = std::move(nodes)]() mutable {
        for (auto& [n, detach] : nodes) {
          // Release the tape's handle as each node finishes so intermediates can be freed.
          run_node(std::move(n), detach);
        }
      });
    }
  }
  if (!async) {
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
