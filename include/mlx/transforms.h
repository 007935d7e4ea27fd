// Evaluation and function transformations.
#pragma once

#include <vector>

#include "mlx/array.h"

namespace mlx::core {

/** Computes the arrays (and what they depend on) and waits for them. Rethrows the error of a
 * failed kernel they depend on. */
void eval(std::vector<array> outputs);

template <typename... Arrays, typename = enable_for_arrays_t<Arrays...>>
void eval(Arrays&&... outputs) {
  eval(std::vector<array>{std::forward<Arrays>(outputs)...});
}

/** Schedules the computation of the arrays and returns at once. */
void async_eval(std::vector<array> outputs);

template <typename... Arrays, typename = enable_for_arrays_t<Arrays...>>
void async_eval(Arrays&&... outputs) {
  async_eval(std::vector<array>{std::forward<Arrays>(outputs)...});
}

}  // namespace mlx::core
