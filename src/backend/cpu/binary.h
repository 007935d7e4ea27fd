// Internal: the tile kernels of the binary elementwise rows.
#pragma once

#include "backend/cpu/elementwise.h"
#include "mlx/dtype.h"
#include "ops/ops.h"

namespace mlx::core::cpu {

// The tile kernel of op at dtype (inputs and output of that dtype), or nullptr where the op is
// not defined at that dtype (divide of integers: the op builder computes those in float).
TileFn binary_kernel(BinaryOp op, Dtype dtype);

// The SIMD tile kernel of op at dtype for the best target this CPU supports, or nullptr where
// the scalar template is used. With `streaming`, the kernel writes its output with
// non-temporal stores, for outputs too large to stay in cache.
TileFn binary_simd_kernel(BinaryOp op, Dtype dtype, bool streaming = false);

// The exponent of power(a, b) when b is one value that is 2 or 3, the powers worth a fast path
// (squares and cubes in GELU-like expressions); 0 otherwise.
int small_power_exponent(const array& b);

// The SIMD tile kernel of power(a, b) at a floating dtype for a scalar b equal to `exponent`
// (2 or 3: computed by multiplication, within an ulp of pow), or nullptr. It ignores input b.
TileFn small_power_simd_kernel(int exponent, Dtype dtype);

// The SIMD tile kernel of op at float32 or float64 where input `scalar_side` (0 or 1) is one
// value broadcast over the tile: only its first element is read, so a fused region's constant
// costs a register rather than a tile load per step. nullptr for other ops and dtypes.
TileFn binary_scalar_simd_kernel(BinaryOp op, Dtype dtype, int scalar_side);

// The float32 SIMD kernel of op (add, subtract, multiply, divide, maximum, minimum) with
// prologues on its inputs (see PrologueFn): `modes` holds input 0's in bits 0-1 and input 1's
// in bits 2-3 (0 none, 1 scale, 2 square, 3 scale and shift; not all none), maybe with streaming
// stores; nullptr for other ops.
PrologueFn binary_prologue_kernel(BinaryOp op, unsigned modes, bool streaming);

}  // namespace mlx::core::cpu
