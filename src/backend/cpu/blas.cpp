#include "backend/cpu/blas.h"

#include "backend/cpu/thread_pool.h"

// OpenBLAS's own entry point for ending its threads (what it runs before a fork). Weak, so that
// a BLAS without it still links; then nothing is ended.
extern "C" int blas_thread_shutdown_(void) __attribute__((weak));

namespace mlx::core::cpu {

void end_blas_threads() {
  // The count goes to one first: OpenBLAS 0.3.21's openblas_set_num_threads re-creates ended
  // threads, so a later BlasThreads(1) must find the count already at one.
  openblas_set_num_threads(1);
  if (blas_thread_shutdown_ != nullptr) {
    blas_thread_shutdown_();
  }
}

int blas_threads_for(size_t work) { return work >= kThreadedBlasWork ? num_threads() : 1; }

namespace {

// OpenBLAS starts its threads when it loads, before this library's initialisers run, and they
// poll for work until their timeout: end them at once rather than let them take a core from
// the first kernels of the program.
[[maybe_unused]] const bool blas_threads_ended_at_load = [] {
  end_blas_threads();
  return true;
}();

}  // namespace

}  // namespace mlx::core::cpu
