#include "machine_limits.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <typename F>
double run_threads(int threads, size_t n, F f) {
  std::vector<std::thread> ts;
  double t0 = now();
  for (int t = 0; t < threads; ++t) {
    size_t b = n * t / threads, e = n * (t + 1) / threads;
    ts.emplace_back([=] { f(b, e); });
  }
  for (auto& t : ts) t.join();
  return now() - t0;
}

}  // namespace

MachineLimits measure_bandwidth(int threads) {
  const size_t n = size_t{1} << 25;  // 128 MiB of float32
  float* a = static_cast<float*>(std::aligned_alloc(64, n * 4));
  float* b = static_cast<float*>(std::aligned_alloc(64, n * 4));
  float* c = static_cast<float*>(std::aligned_alloc(64, n * 4));
  run_threads(threads, n, [&](size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) {
      a[i] = 1.0f;
      b[i] = 2.0f;
      c[i] = 0.0f;
    }
  });
  std::vector<float> sinks(threads);
  double best_copy = 1e9, best_read = 1e9, best_triad = 1e9;
  for (int r = 0; r < 10; ++r) {
    best_copy = std::min(best_copy, run_threads(threads, n, [&](size_t lo, size_t hi) {
                           for (size_t i = lo; i < hi; ++i) c[i] = a[i];
                         }));
    best_triad = std::min(best_triad, run_threads(threads, n, [&](size_t lo, size_t hi) {
                            for (size_t i = lo; i < hi; ++i) c[i] = a[i] + 3.0f * b[i];
                          }));
    best_read = std::min(best_read, run_threads(threads, n, [&](size_t lo, size_t hi) {
                           float acc = 0;
                           for (size_t i = lo; i < hi; ++i) acc += a[i];
                           sinks[lo * threads / n] = acc;
                         }));
  }
  std::free(a);
  std::free(b);
  std::free(c);
  return {2.0 * n * 4 / best_copy / 1e9, 1.0 * n * 4 / best_read / 1e9,
          3.0 * n * 4 / best_triad / 1e9};
}

double sgemm_ms(int n, int repeats) {
  // OpenBLAS on every core: the library leaves OpenBLAS's process-wide count at one.
  openblas_set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  std::vector<float> A(size_t(n) * n), B(size_t(n) * n), C(size_t(n) * n);
  for (size_t i = 0; i < A.size(); ++i) {
    A[i] = static_cast<float>(i % 7) * 0.25f;
    B[i] = static_cast<float>(i % 5) * 0.5f;
  }
  std::vector<double> times;
  for (int r = 0; r < repeats + 1; ++r) {
    double t0 = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, A.data(), n, B.data(), n,
                0.0f, C.data(), n);
    if (r > 0) times.push_back((now() - t0) * 1e3);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}
