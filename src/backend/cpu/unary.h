// Internal: the tile kernels of the unary elementwise rows.
#pragma once

#include "backend/cpu/elementwise.h"
#include "mlx/dtype.h"
#include "ops/ops.h"

namespace mlx::core::cpu {

// The tile kernel of op on inputs of dtype (the output has that dtype too, except for the
// magnitude and parts of complex64, which are float32), or nullptr where op has none.
TileFn unary_kernel(UnaryOp op, Dtype dtype);

// The SIMD tile kernel of op at dtype for the best target this CPU supports, or nullptr where
// the scalar template is used.
TileFn unary_simd_kernel(UnaryOp op, Dtype dtype);

// The float32 SIMD kernel of op with a prologue on its input (see PrologueFn; mode 1 scale, 2
// square, 3 scale and shift), or nullptr.
PrologueFn unary_prologue_kernel(UnaryOp op, unsigned mode);

}  // namespace mlx::core::cpu
