// Devices: the CPU, and the GPU once a GPU backend is built in.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <variant>

namespace mlx::core {

struct Device {
  enum class DeviceType {
    cpu,
    gpu,
  };

  static constexpr DeviceType cpu = DeviceType::cpu;
  static constexpr DeviceType gpu = DeviceType::gpu;

  Device(DeviceType type, int index = 0) : type(type), index(index) {}

  DeviceType type;
  int index;
};

// The GPU when a GPU backend is available, else the CPU.
const Device& default_device();

// Throws std::invalid_argument when the device is not available.
void set_default_device(const Device& d);

bool operator==(const Device& lhs, const Device& rhs);
bool operator!=(const Device& lhs, const Device& rhs);
bool operator<(const Device& lhs, const Device& rhs);
inline bool operator==(const Device& lhs, Device::DeviceType rhs) { return lhs.type == rhs; }

bool is_available(const Device& d);

int device_count(Device::DeviceType type);

using DeviceInfo = std::unordered_map<std::string, std::variant<std::string, size_t>>;

// Facts about a device. For the CPU: device_name, architecture, memory_size, total_memory,
// free_memory, num_cores. Throws std::invalid_argument for an unavailable device.
const DeviceInfo& device_info(const Device& d = default_device());

}  // namespace mlx::core
