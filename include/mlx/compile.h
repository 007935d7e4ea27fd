// compile: trace a function once per input signature, simplify the graph and fuse its
// elementwise regions, then replay the result on later calls. See docs/compile.md.
#pragma once

#include <functional>
#include <type_traits>
#include <vector>

#include "mlx/array.h"

namespace mlx::core {

enum class CompileMode { disabled, no_simplify, no_fuse, enabled };

/**
 * A function that computes what `fun` computes, traced once per (input count, shapes, dtypes,
 * default stream) and replayed afterwards. With `shapeless`, a trace is reused across input
 * shapes where that is valid (the same ranks and dtypes) and retraced where it is not. The
 * function must be pure: arrays it captures are constants of the trace.
 */
std::function<std::vector<array>(const std::vector<array>&)> compile(
    std::function<std::vector<array>(const std::vector<array>&)> fun, bool shapeless = false);

std::function<std::vector<array>(const std::vector<array>&)> compile(
    std::vector<array> (*fun)(const std::vector<array>&), bool shapeless = false);

// Capture-less lambdas convert to function pointers, whose address identifies them in the cache.
template <typename F,
          typename = std::enable_if_t<std::is_convertible_v<F, decltype(+std::declval<F>())>>>
std::function<std::vector<array>(const std::vector<array>&)> compile(F&& f,
                                                                     bool shapeless = false) {
  return compile(+f, shapeless);
}

/** Makes compile return its function unchanged (as the MLX_DISABLE_COMPILE variable does). */
void disable_compile();

/** Undoes disable_compile (and the MLX_DISABLE_COMPILE variable). */
void enable_compile();

/** Chooses how much compile does: nothing, tracing and fusion without simplification, tracing and
 * simplification without fusion, or everything (the default). */
void set_compile_mode(CompileMode mode);

}  // namespace mlx::core
