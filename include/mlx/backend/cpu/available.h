// The CPU backend: always available.
#pragma once

#include "mlx/device.h"

namespace mlx::core::cpu {

bool is_available();

// The CPU's facts, in the shape of metal::device_info and gpu::device_info: device_name (the
// /proc/cpuinfo model name), architecture, memory_size and total_memory (physical RAM),
// free_memory (MemAvailable, read on every call), num_cores. The map belongs to the calling
// thread, so reading it never races with another thread's call.
const DeviceInfo& device_info();

}  // namespace mlx::core::cpu
