// Internal: calling OpenBLAS from the CPU backend without oversubscribing the cores.
#pragma once

#include <cblas.h>

#include <cstddef>
#include <mutex>

namespace mlx::core::cpu {

// Ends OpenBLAS's worker threads, which OpenBLAS re-creates by itself at its next multi-threaded
// call. An idle OpenBLAS worker polls for work with sched_yield for about a quarter of a second
// (2^28 cycles) after each multi-threaded call and after the library loads; beside the pool's
// threads on a small machine that took a sixth to a third of the bandwidth of the kernels that
// ran meanwhile (a 64 MiB sum: 0.85 -> 0.65 ms once they were gone). Leaves OpenBLAS's thread
// count at one. Called with the lock of BlasThreads held (or before any BLAS call), so that no
// BLAS call is in flight.
void end_blas_threads();

// Multiply-adds from which work that is not split over the pool gets OpenBLAS's threads: ending
// them afterwards costs a fraction of a millisecond (see BlasThreads).
constexpr size_t kThreadedBlasWork = size_t(1) << 24;

// OpenBLAS's thread count for `work` multiply-adds run with BLAS alone: every core from
// kThreadedBlasWork, else one.
int blas_threads_for(size_t work);

// OpenBLAS's thread count is one process-wide setting that every BLAS call reads when it starts,
// so a caller holds this lock from setting the count until its last BLAS call returns: two
// streams can then never change the count under each other's calls, nor run two multi-threaded
// BLAS calls at once (each would want every core). The count is only written when it changes.
// Callers ask for more than one thread only for large work (several milliseconds): on leaving,
// such a scope ends OpenBLAS's threads (end_blas_threads), which costs a fraction of a
// millisecond.
class BlasThreads {
 public:
  explicit BlasThreads(int n) : lock_(mutex()), threaded_(n > 1) {
    if (openblas_get_num_threads() != n) {
      openblas_set_num_threads(n);
    }
  }
  ~BlasThreads() {
    if (threaded_) {
      end_blas_threads();
    }
  }
  BlasThreads(const BlasThreads&) = delete;
  BlasThreads& operator=(const BlasThreads&) = delete;

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }

  std::lock_guard<std::mutex> lock_;
  bool threaded_;
};

}  // namespace mlx::core::cpu
