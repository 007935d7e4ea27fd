// Internal: what export knows about the built-in primitives (src/transforms/export.cpp).
#pragma once

#include <string>
#include <vector>

namespace mlx::core::detail {

// The keys of the primitives a file can hold ("Binary", "fast::RMSNorm", ...), and the
// primitives that export refuses with a clear error (their state is code, not data).
std::vector<std::string> exportable_primitives();
std::vector<std::string> unexportable_primitives();

}  // namespace mlx::core::detail
