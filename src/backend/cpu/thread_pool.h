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

}  // namespace mlx::core::cpu
