// The CUDA backend's availability. The CUDA backend is not built yet: is_available() is false.
#pragma once

#include "mlx/device.h"

namespace mlx::core::cu {

bool is_available();
/** Throws std::invalid_argument while the CUDA backend is unavailable. */
const DeviceInfo& device_info(int index = 0);

}  // namespace mlx::core::cu
