#include "backend/cpu/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace mlx::core::cpu {

namespace {

struct Job {
  const std::function<void(size_t, size_t)>* fn;
  size_t n;
  size_t chunk;
  size_t n_chunks;
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex error_mutex;
  std::exception_ptr error;

  // Runs chunks until none is left; returns after the last one this thread could take.
  void work() {
    size_t c;
    while ((c = next.fetch_add(1, std::memory_order_relaxed)) < n_chunks) {
      size_t begin = c * chunk;
      size_t end = std::min(n, begin + chunk);
      try {
        (*fn)(begin, end);
      } catch (...) {
        std::lock_guard<std::mutex> lk(error_mutex);
        if (!error) {
          error = std::current_exception();
        }
      }
      if (done.fetch_add(1, std::memory_order_acq_rel) + 1 == n_chunks) {
        done.notify_all();
      }
    }
  }
};

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads) : n_threads_(n_threads) {
    for (int i = 1; i < n_threads; ++i) {
      threads_.emplace_back([this] { run(); });
    }
  }

  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lk(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) {
      t.join();
    }
  }

  int size() const { return n_threads_; }

  void submit_and_wait(const std::shared_ptr<Job>& job) {
    bool wake;
    {
      std::lock_guard<std::mutex> lk(mutex_);
      jobs_.push_back(job);
      pending_.store(jobs_.size(), std::memory_order_release);
      wake = sleepers_ > 0;
    }
    if (wake) {
      cv_.notify_all();
    }
    job->work();
    {
      // Nobody may pick the job up once its chunks are all taken.
      std::lock_guard<std::mutex> lk(mutex_);
      auto it = std::find(jobs_.begin(), jobs_.end(), job);
      if (it != jobs_.end()) {
        jobs_.erase(it);
        pending_.store(jobs_.size(), std::memory_order_release);
      }
    }
    // The other threads' last chunks usually end within microseconds of ours: poll a little
    // before sleeping, since sleeping and being woken cost a futex call each (tens of
    // microseconds in a VM, as much as a small kernel).
    poll_until(kWaitSpin,
               [&] { return job->done.load(std::memory_order_acquire) >= job->n_chunks; });
    auto d = job->done.load(std::memory_order_acquire);
    while (d < job->n_chunks) {
      job->done.wait(d, std::memory_order_acquire);
      d = job->done.load(std::memory_order_acquire);
    }
    if (job->error) {
      std::rethrow_exception(job->error);
    }
  }

 private:
  void run() {
    while (true) {
      poll_until(kSpin, [this] { return pending_.load(std::memory_order_acquire) != 0; });
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lk(mutex_);
        ++sleepers_;
        cv_.wait(lk, [this] { return stop_ || !jobs_.empty(); });
        --sleepers_;
        if (stop_) {
          return;
        }
        job = jobs_.front();
        if (job->next.load(std::memory_order_relaxed) >= job->n_chunks) {
          jobs_.pop_front();
          pending_.store(jobs_.size(), std::memory_order_release);
          continue;
        }
      }
      job->work();
    }
  }

  // Polls `ready` with pause instructions for up to `limit`. Kernels often come back to back (the
  // ops of a graph, a decode loop), and chunks of one kernel end close together, while sleeping
  // and being woken take a futex call each, in a VM often tens of microseconds: a fair share of a
  // sub-millisecond job. So a thread that ran out of work (or waits for the others' last chunks)
  // polls for a short while first.
  template <typename Ready>
  static void poll_until(std::chrono::microseconds limit, Ready&& ready) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!ready()) {
      for (int i = 0; i < 16; ++i) {
#if defined(__x86_64__) || defined(__i386__)
        _mm_pause();
#endif
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return;
      }
    }
  }

  // How long an idle thread polls for a new job, and a submitter for the others' last chunks.
  static constexpr std::chrono::microseconds kSpin{100};
  static constexpr std::chrono::microseconds kWaitSpin{50};

  int n_threads_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> jobs_;
  std::atomic<size_t> pending_{0};  // jobs_.size(), for the threads that poll without the lock
  int sleepers_{0};                 // threads waiting on cv_
  bool stop_{false};
};

ThreadPool& pool() {
  // MLX_NUM_THREADS overrides the core count (useful to measure scaling).
  static ThreadPool* p = [] {
    int n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (const char* env = std::getenv("MLX_NUM_THREADS")) {
      n = std::max(1, std::atoi(env));
    }
    return new ThreadPool(n);
  }();
  return *p;
}

}  // namespace

int num_threads() { return pool().size(); }

void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) {
    return;
  }
  grain = std::max<size_t>(grain, 1);
  size_t threads = static_cast<size_t>(num_threads());
  if (n <= grain || threads == 1) {
    fn(0, n);
    return;
  }
  // A few chunks per thread balance uneven progress without much scheduling overhead.
  size_t n_chunks = std::min((n + grain - 1) / grain, threads * 4);
  auto job = std::make_shared<Job>();
  job->fn = &fn;
  job->n = n;
  job->chunk = (n + n_chunks - 1) / n_chunks;
  job->n_chunks = (n + job->chunk - 1) / job->chunk;
  pool().submit_and_wait(job);
}

}  // namespace mlx::core::cpu
