// Internal: the tile kernels of the binary elementwise rows.
#pragma once

#include "backend/cpu/elementwise.h"
#include "mlx/dtype.h"
#include "ops/ops.h"

namespace mlx::core::cpu {

// The tile kernel of op at dtype (inputs and output of that dtype).
TileFn binary_kernel(BinaryOp op, Dtype dtype);

// The SIMD tile kernel of op at dtype, or nullptr where the scalar template is used.
TileFn binary_simd_kernel(BinaryOp op, Dtype dtype);

}  // namespace mlx::core::cpu
