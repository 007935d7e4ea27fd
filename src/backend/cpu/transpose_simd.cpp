// The 8 x 8 in-register transpose of 4-byte elements used by transposed copies, compiled for
// the Highway targets with 256-bit vectors (AVX2, AVX-512) and chosen at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/transpose_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "backend/cpu/copy.h"

HWY_BEFORE_NAMESPACE();
namespace mlx::core::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
// dst[i * dr + j] = src[j * sc + i] for i, j < 8: interleaving 32-bit, then 64-bit lanes within
// 128-bit halves, then swapping halves.
void Transpose8x8(const uint32_t* src, int64_t sc, uint32_t* dst, int64_t dr) {
  const hn::FixedTag<uint32_t, 8> d;
  const hn::Repartition<uint64_t, decltype(d)> d64;
  using V = hn::Vec<decltype(d)>;
  V r[8], t[8], u[8];
  for (int k = 0; k < 8; ++k) {
    r[k] = hn::LoadU(d, src + k * sc);
  }
  for (int k = 0; k < 8; k += 2) {
    t[k] = hn::InterleaveLower(d, r[k], r[k + 1]);
    t[k + 1] = hn::InterleaveUpper(d, r[k], r[k + 1]);
  }
  for (int k = 0; k < 8; k += 4) {
    for (int h = 0; h < 2; ++h) {
      auto a = hn::BitCast(d64, t[k + h]), b = hn::BitCast(d64, t[k + h + 2]);
      u[k + 2 * h] = hn::BitCast(d, hn::InterleaveLower(d64, a, b));
      u[k + 2 * h + 1] = hn::BitCast(d, hn::InterleaveUpper(d64, a, b));
    }
  }
  for (int k = 0; k < 4; ++k) {
    hn::StoreU(hn::ConcatLowerLower(d, u[k + 4], u[k]), d, dst + k * dr);
    hn::StoreU(hn::ConcatUpperUpper(d, u[k + 4], u[k]), d, dst + (k + 4) * dr);
  }
}

Transpose8x8Fn Transpose8x8Kernel() { return &Transpose8x8; }
#else
Transpose8x8Fn Transpose8x8Kernel() { return nullptr; }
#endif

}  // namespace mlx::core::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace mlx::core::cpu {

HWY_EXPORT(Transpose8x8Kernel);

Transpose8x8Fn transpose8x8_simd_kernel() { return HWY_DYNAMIC_DISPATCH(Transpose8x8Kernel)(); }

}  // namespace mlx::core::cpu
#endif  // HWY_ONCE
