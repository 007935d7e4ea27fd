// Internal interface of compile (MLX's names), for the transformations that build on it.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "mlx/array.h"
#include "mlx/compile.h"

namespace mlx::core::detail {

// The mode in effect: set_compile_mode's, or disabled by disable_compile / MLX_DISABLE_COMPILE.
CompileMode compile_mode();

// compile with an explicit cache key: `fun_id` identifies the function, `constants` any values
// the caller wants in the key besides the inputs' signature.
std::function<std::vector<array>(const std::vector<array>&)> compile(
    std::function<std::vector<array>(const std::vector<array>&)> fun, std::uintptr_t fun_id,
    bool shapeless = false, std::vector<uint64_t> constants = {});

// Drops the cached traces of one function, or of all.
void compile_erase(std::uintptr_t fun_id);
void compile_clear_cache();

}  // namespace mlx::core::detail
