#include "mlx/device.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "mlx/backend/cpu/available.h"
#include "mlx/backend/cuda/cuda.h"
#include "mlx/backend/gpu/available.h"
#include "mlx/backend/metal/metal.h"

namespace mlx::core {

namespace {

// Read by every op that is built without a stream, so it takes no lock.
std::atomic<Device>& default_device_storage() {
  static std::atomic<Device> d{gpu::is_available() ? Device::gpu : Device::cpu};
  return d;
}

std::string cpu_model_name() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto pos = line.find(':');
      if (pos != std::string::npos) {
        auto name = line.substr(pos + 1);
        name.erase(0, name.find_first_not_of(' '));
        return name;
      }
    }
  }
  return "cpu";
}

size_t available_memory_bytes() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  size_t value;
  std::string unit;
  while (f >> key >> value >> unit) {
    if (key == "MemAvailable:") {
      return value * 1024;
    }
  }
  return static_cast<size_t>(sysconf(_SC_AVPHYS_PAGES)) *
         static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

std::string device_string(const Device& d) {
  return std::string(d.type == Device::cpu ? "cpu" : "gpu") + "(" + std::to_string(d.index) + ")";
}

}  // namespace

const Device& default_device() {
  // A per-thread copy: the reference stays valid whatever other threads set meanwhile.
  static thread_local Device d = Device::cpu;
  d = default_device_storage().load(std::memory_order_acquire);
  return d;
}

void set_default_device(const Device& d) {
  if (!is_available(d)) {
    throw std::invalid_argument(
        "[set_default_device] Device " + device_string(d) + " is not available" +
        (d.type == Device::gpu ? " (this build has no GPU backend)." : "."));
  }
  default_device_storage().store(d, std::memory_order_release);
}

bool operator==(const Device& lhs, const Device& rhs) {
  return lhs.type == rhs.type && lhs.index == rhs.index;
}

bool operator!=(const Device& lhs, const Device& rhs) { return !(lhs == rhs); }

bool operator<(const Device& lhs, const Device& rhs) {
  return lhs.type != rhs.type ? lhs.type < rhs.type : lhs.index < rhs.index;
}

bool is_available(const Device& d) {
  if (d.type == Device::cpu) {
    return d.index == 0;
  }
  return d.index >= 0 && d.index < gpu::device_count();
}

int device_count(Device::DeviceType type) { return type == Device::cpu ? 1 : gpu::device_count(); }

const DeviceInfo& device_info(const Device& d) {
  if (d.type == Device::gpu) {
    return gpu::device_info(d.index);
  }
  if (!is_available(d)) {
    throw std::invalid_argument("[device_info] Device " + device_string(d) + " is not available.");
  }
  return cpu::device_info();
}

namespace cpu {

bool is_available() { return true; }

const DeviceInfo& device_info() {
  // Per thread, so that refreshing free_memory never races with another thread's reads. The
  // static part is computed once.
  static const DeviceInfo fixed = [] {
    DeviceInfo i;
    i["device_name"] = cpu_model_name();
#if defined(__x86_64__)
    i["architecture"] = std::string("x86_64");
#elif defined(__aarch64__)
    i["architecture"] = std::string("aarch64");
#else
    i["architecture"] = std::string("unknown");
#endif
    size_t total =
        static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
    i["memory_size"] = total;
    i["total_memory"] = total;
    i["num_cores"] = static_cast<size_t>(std::max(1u, std::thread::hardware_concurrency()));
    return i;
  }();
  thread_local DeviceInfo info = fixed;
  info["free_memory"] = available_memory_bytes();
  return info;
}

}  // namespace cpu

// ---- GPU backend availability: no GPU backend is built yet. ----

namespace gpu {
bool is_available() { return false; }
int device_count() { return 0; }
const DeviceInfo& device_info(int index) {
  throw std::invalid_argument(
      "[gpu::device_info] No GPU backend is available in this build "
      "(requested device " +
      std::to_string(index) + ").");
}
}  // namespace gpu

namespace cu {
bool is_available() { return false; }
const DeviceInfo& device_info(int index) {
  throw std::invalid_argument(
      "[cu::device_info] The CUDA backend is not available in this build "
      "(requested device " +
      std::to_string(index) + ").");
}
}  // namespace cu

namespace metal {
bool is_available() { return false; }
void start_capture(std::string) {
  throw std::invalid_argument("[metal::start_capture] Metal is not available on Linux.");
}
void stop_capture() {
  throw std::invalid_argument("[metal::stop_capture] Metal is not available on Linux.");
}
const DeviceInfo& device_info() {
  throw std::invalid_argument("[metal::device_info] Metal is not available on Linux.");
}
namespace {
std::string& metallib_path() {
  static std::string p;
  return p;
}
}  // namespace
void set_metallib_path(const std::string& path) { metallib_path() = path; }
const std::string& get_metallib_path() { return metallib_path(); }
}  // namespace metal

}  // namespace mlx::core
