// Internal: calling OpenBLAS from the CPU backend without oversubscribing the cores.
#pragma once

#include <cblas.h>

#include <mutex>

namespace mlx::core::cpu {

// OpenBLAS's thread count is one process-wide setting that every BLAS call reads when it starts,
// so a caller holds this lock from setting the count until its last BLAS call returns: two
// streams can then never change the count under each other's calls, nor run two multi-threaded
// BLAS calls at once (each would want every core). The count is only written when it changes.
class BlasThreads {
 public:
  explicit BlasThreads(int n) : lock_(mutex()) {
    if (openblas_get_num_threads() != n) {
      openblas_set_num_threads(n);
    }
  }

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }

  std::lock_guard<std::mutex> lock_;
};

}  // namespace mlx::core::cpu
