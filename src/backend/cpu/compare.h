// Internal: the SIMD tile kernels of the comparison family.
#pragma once

#include "backend/cpu/elementwise.h"
#include "mlx/dtype.h"
#include "ops/ops.h"

namespace mlx::core::cpu {

// The SIMD tile kernel of a comparison row on two inputs of dtype (bool output) for the best
// target this CPU supports, or nullptr where the scalar template is used.
TileFn compare_simd_kernel(CompareOp op, Dtype dtype);

// The SIMD tile kernel of where on (bool, x, y) with x and y of `itemsize` bytes, or nullptr.
TileFn select_simd_kernel(size_t itemsize);

}  // namespace mlx::core::cpu
