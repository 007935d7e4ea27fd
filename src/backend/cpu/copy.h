// Internal: copying (and converting) arrays into new contiguous buffers on the CPU.
#pragma once

#include <cstdint>

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

// dst[i * dr + j] = src[j * sc + i] for i, j < 8 (4-byte elements) in registers, for the best
// target this CPU supports, or nullptr where it has no 256-bit vectors (transpose_simd.cpp).
using Transpose8x8Fn = void (*)(const uint32_t* src, int64_t sc, uint32_t* dst, int64_t dr);
Transpose8x8Fn transpose8x8_simd_kernel();

// The same for i, j < 16 where the CPU has 512-bit vectors (else nullptr): every row read and
// written is one whole cache line. With `stream` (dst 64-byte aligned, dr a multiple of 16) the
// rows are written with non-temporal stores; the caller fences (stream_fence) before its writes
// are read.
using Transpose16x16Fn = void (*)(const uint32_t* src, int64_t sc, uint32_t* dst, int64_t dr,
                                  bool stream);
Transpose16x16Fn transpose16x16_simd_kernel();
void stream_fence();

// The tile kernel converting elements of dtype `from` to dtype `to` (a copy when they are
// equal), with the semantics of astype.
TileFn convert_kernel(Dtype from, Dtype to);

// The SIMD conversion for the best target this CPU supports, or nullptr where the scalar
// template is used (unary_simd.cpp).
TileFn convert_simd_kernel(Dtype from, Dtype to);

}  // namespace mlx::core::cpu
