// Internal: the graph walk shared by the transformations.
#pragma once

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "mlx/array.h"

namespace mlx::core::detail {

// The nodes between the inputs (whose ids start in `depends`) and `outputs` that depend on an
// input, in topological order; `depends` receives their ids and their siblings'. Iterative, so
// deep graphs are fine. With `stop_at_stop_gradient`, nothing flows through a StopGradient.
std::vector<array> sort_dependents(const std::vector<array>& outputs,
                                   std::unordered_set<std::uintptr_t>& depends,
                                   bool stop_at_stop_gradient);

}  // namespace mlx::core::detail
