// Internal: copying (and converting) arrays into new contiguous buffers on the CPU.
#pragma once

#include "mlx/array.h"

namespace mlx::core::cpu {

// Allocates `out` row-contiguous and fills it with `in`'s values (any strides, broadcast
// included) converted to out's dtype. Shapes must match.
void copy_to_contiguous(const array& in, array& out);

}  // namespace mlx::core::cpu
