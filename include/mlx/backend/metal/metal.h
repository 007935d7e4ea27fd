// Metal exists only on Apple platforms: on Linux is_available() is false and the capture and
// device-info functions throw std::invalid_argument.
#pragma once

#include <string>

#include "mlx/device.h"

namespace mlx::core::metal {

bool is_available();
void start_capture(std::string path = "");
void stop_capture();
const DeviceInfo& device_info();
void set_metallib_path(const std::string& path);
const std::string& get_metallib_path();

}  // namespace mlx::core::metal
