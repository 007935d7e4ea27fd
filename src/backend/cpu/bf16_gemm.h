// Internal: bfloat16 GEMM on CPUs with AVX-512 BF16 dot products (vdpbf16ps), which multiply
// pairs of bfloat16 values exactly and add them to float32 sums: twice the multiply-adds per
// instruction of a float32 FMA, and no widening pass over the operands. OpenBLAS 0.3.21 as
// Debian builds it has no bfloat16 GEMM (sbgemm), so matmul would otherwise widen both operands
// to float32 and run sgemm.
#pragma once

#include <cstdint>

#include "mlx/types/half_types.h"

namespace mlx::core::cpu {

// Whether this CPU runs bf16_gemm (AVX-512 F, BW and BF16).
bool has_bf16_dot();

// c (row-major m x n float32, leading dimension ldc) = a @ b, plus c's own values when
// `accumulate`. a (m x k) and b (k x n) are bfloat16 read through element strides (any layout:
// both are repacked into the kernel's layouts).
// Products are exact and sums are float32, as a widened sgemm computes them, in another order;
// the instruction reads subnormal bfloat16 inputs as zero and flushes subnormal sums to zero.
// Runs on the pool when `parallel`. Needs has_bf16_dot().
void bf16_gemm(const bfloat16_t* a, int64_t a_rs, int64_t a_cs, const bfloat16_t* b, int64_t b_rs,
               int64_t b_cs, int64_t m, int64_t n, int64_t k, float* c, int64_t ldc,
               bool accumulate, bool parallel);

}  // namespace mlx::core::cpu
