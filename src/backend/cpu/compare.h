// Internal: the tile kernels of the comparison family.
#pragma once

#include "backend/cpu/elementwise.h"
#include "mlx/dtype.h"
#include "ops/ops.h"

namespace mlx::core::cpu {

// The tile kernel of a comparison row on two inputs of dtype (bool output), or nullptr where
// the row is not defined at that dtype.
TileFn compare_kernel(CompareOp op, Dtype dtype);

// The tile kernel of a predicate on one input of dtype (bool output), or nullptr where the op
// builder answers without one.
TileFn predicate_kernel(PredicateOp op, Dtype dtype);

// The tile kernel of where on (bool, x, y) with x and y of `itemsize` bytes.
TileFn select_kernel(size_t itemsize);

// The SIMD tile kernel of a comparison row on two inputs of dtype (bool output) for the best
// target this CPU supports, or nullptr where the scalar template is used.
TileFn compare_simd_kernel(CompareOp op, Dtype dtype);

// The SIMD tile kernel of where on (bool, x, y) with x and y of `itemsize` bytes, or nullptr.
TileFn select_simd_kernel(size_t itemsize);

}  // namespace mlx::core::cpu
