// Wired memory for concurrent "inference requests": the model's weights are reserved with a
// reservation ticket, each request takes an active ticket for its KV cache, and a budget policy
// admits at most two requests at a time. A listener thread prints the coordinator's events.
//
// The shared manager applies the limits with set_wired_limit (mlock). Without CAP_IPC_LOCK and
// with a small RLIMIT_MEMLOCK (`ulimit -l`) the system refuses the larger limits: the events then
// show limit_apply_failed and the manager carries on with the policy's limits as accounting.
#include <cstdio>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mlx/backend/cpu/available.h"
#include "mlx/mlx.h"
#include "mlx/wired.h"

namespace mx = mlx::core;

namespace {

// Sums the group's tickets (weights + every KV cache) and admits a request only while the total
// stays within the budget.
class BudgetPolicy : public mx::WiredSumPolicy {
 public:
  explicit BudgetPolicy(size_t budget) : mx::WiredSumPolicy("llm"), budget_(budget) {}
  bool can_admit(size_t, const std::vector<size_t>& active_sizes, size_t new_size) const override {
    size_t total = new_size;
    for (size_t s : active_sizes) {
      total += s;
    }
    return total <= budget_;
  }
  std::string name() const override { return "BudgetPolicy"; }

 private:
  size_t budget_;
};

constexpr int kHidden = 1024;
constexpr int kLayers = 4;
constexpr int kContext = 256;
constexpr int kRequests = 4;
constexpr int kDecodeSteps = 8;

}  // namespace

int main() {
  const mx::DeviceInfo& info = mx::cpu::device_info();
  std::cout << "CPU: " << std::get<std::string>(info.at("device_name")) << " ("
            << std::get<std::string>(info.at("architecture")) << ", "
            << std::get<size_t>(info.at("num_cores")) << " cores, "
            << std::get<size_t>(info.at("memory_size")) / (1 << 20) << " MiB)\n";
  mx::memory::Snapshot start = mx::memory::snapshot();

  // Prints every event until the baseline is restored with no ticket left (the end of the run).
  std::mutex print_mu;
  mx::WiredMemoryEventStream events = mx::WiredMemoryManager::shared().events();
  std::thread listener([&] {
    while (auto e = events.next()) {
      std::ostringstream line;
      line << "  event " << *e << "\n";
      {
        std::lock_guard lk(print_mu);
        std::cout << line.str() << std::flush;
      }
      if (e->kind == mx::WiredMemoryEvent::Kind::baseline_restored && e->active_count == 0) {
        return;
      }
    }
  });

  // The model: kLayers square float32 matrices (4 MiB each).
  std::vector<mx::array> layers;
  for (int i = 0; i < kLayers; ++i) {
    layers.push_back((mx::random::uniform({kHidden, kHidden}, mx::float32) - mx::array(0.5f)) *
                     mx::array(0.1f));
  }
  mx::eval(layers);
  size_t weight_bytes = 0;
  for (const auto& w : layers) {
    weight_bytes += w.nbytes();
  }
  const size_t kv_bytes = size_t{2} * kLayers * kContext * kHidden * sizeof(float);

  auto policy = std::make_shared<BudgetPolicy>(weight_bytes + 2 * kv_bytes);
  mx::WiredMemoryTicket weights =
      policy->ticket(weight_bytes, mx::WiredMemoryTicketKind::reservation);
  size_t limit = weights.start();
  {
    std::lock_guard lk(print_mu);
    std::printf("weights: %zu bytes reserved (limit %zu)\n", weight_bytes, limit);
    std::fflush(stdout);
  }
  std::vector<std::thread> requests;
  for (int r = 0; r < kRequests; ++r) {
    requests.emplace_back([&, r] {
      mx::WiredMemoryTicket kv = policy->ticket(kv_bytes);
      float checksum = kv.with_wired_limit([&] {
        // The KV cache of this request, then a few decode steps through every layer.
        mx::array cache = mx::zeros({2 * kLayers, kContext, kHidden}, mx::float32);
        mx::array x = mx::ones({1, kHidden}, mx::float32) * mx::array(static_cast<float>(r + 1));
        for (int step = 0; step < kDecodeSteps; ++step) {
          for (const auto& w : layers) {
            x = mx::tanh(mx::matmul(x, w));
          }
          x = x + mx::sum(cache) * mx::array(0.0f);
        }
        return mx::sum(x).item<float>();
      });
      std::lock_guard lk(print_mu);
      std::printf("request %d done (checksum %.4f)\n", r, checksum);
      std::fflush(stdout);
    });
  }
  for (auto& t : requests) {
    t.join();
  }
  limit = weights.end();
  listener.join();
  std::printf("all requests done; limit %zu\n", limit);
  std::cout << "memory growth over the run:\n" << start.delta(mx::memory::snapshot()) << "\n";
  return 0;
}
