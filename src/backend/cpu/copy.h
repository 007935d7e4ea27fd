// Internal: copying (and converting) arrays into new contiguous buffers on the CPU.
#pragma once

#include "backend/cpu/elementwise.h"
#include "mlx/array.h"

namespace mlx::core::cpu {

// Allocates `out` row-contiguous and fills it with `in`'s values (any strides, broadcast
// included) in row-major order, converted to out's dtype. The sizes must match; the shapes may
// differ (a reshape).
void copy_to_contiguous(const array& in, array& out);

// Whether reading `in` in row-major order would step through memory by a larger stride along
// its innermost dim than along the one before it (a transpose): copy_to_contiguous copies such
// inputs by blocks, several times faster than gathering them element by element.
bool is_transposed(const array& in);

// The tile kernel converting elements of dtype `from` to dtype `to` (a copy when they are
// equal), with the semantics of astype.
TileFn convert_kernel(Dtype from, Dtype to);

// The SIMD conversion for the best target this CPU supports, or nullptr where the scalar
// template is used (unary_simd.cpp).
TileFn convert_simd_kernel(Dtype from, Dtype to);

}  // namespace mlx::core::cpu
