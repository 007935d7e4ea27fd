// Internal: copying (and converting) arrays into new contiguous buffers on the CPU.
#pragma once

#include "backend/cpu/elementwise.h"
#include "mlx/array.h"

namespace mlx::core::cpu {

// Allocates `out` row-contiguous and fills it with `in`'s values (any strides, broadcast
// included) in row-major order, converted to out's dtype. The sizes must match; the shapes may
// differ (a reshape).
void copy_to_contiguous(const array& in, array& out);

// The tile kernel converting elements of dtype `from` to dtype `to` (a copy when they are
// equal), with the semantics of astype.
TileFn convert_kernel(Dtype from, Dtype to);

// The SIMD conversion for the best target this CPU supports, or nullptr where the scalar
// template is used (unary_simd.cpp).
TileFn convert_simd_kernel(Dtype from, Dtype to);

}  // namespace mlx::core::cpu
