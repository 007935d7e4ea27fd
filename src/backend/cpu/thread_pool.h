// The process-wide pool that runs large kernels: one thread per core, counting the thread that
// submits the work (a stream's worker), which runs chunks too instead of sleeping.
#pragma once

#include <cstddef>
#include <functional>

namespace mlx::core::cpu {

// Threads that run a kernel's chunks, the submitting thread included.
int num_threads();

// Runs fn(begin, end) over [0, n) in chunks of at least `grain` items, spread over the pool and
// the calling thread; runs inline when one chunk covers everything. Returns when every chunk has
// run; rethrows the first exception a chunk raised (pool threads never let one escape).
void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn);

// parallel_for when `parallel`, else fn(0, n) on the calling thread (for kernels that also run
// as one chunk of work already spread over the pool, such as one product of a batch). A
// template, so that the serial call makes no std::function.
template <typename F>
void parallel_for_if(bool parallel, size_t n, size_t grain, F&& fn) {
  if (parallel) {
    parallel_for(n, grain, fn);
  } else if (n > 0) {
    fn(0, n);
  }
}

}  // namespace mlx::core::cpu
