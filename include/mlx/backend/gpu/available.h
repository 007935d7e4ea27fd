// GPU backend availability (any GPU backend).
#pragma once

#include "mlx/device.h"

namespace mlx::core::gpu {

/** True when a GPU backend is built in and a GPU is present. False in CPU-only builds. */
bool is_available();
int device_count();
/** Throws std::invalid_argument when no GPU is available. */
const DeviceInfo& device_info(int index = 0);

}  // namespace mlx::core::gpu
