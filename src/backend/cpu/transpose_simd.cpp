// The 8 x 8 and 16 x 16 in-register transposes of 4-byte elements used by transposed copies,
// compiled for the Highway targets with 256-bit (AVX2, AVX-512) or 512-bit (AVX-512) vectors and
// chosen at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/transpose_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <hwy/cache_control.h>

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

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
// 16 rows of 16: within each 128-bit block, 4 x 4 transposes of the rows in groups of four
// (32-bit, then 64-bit interleaves); then the 4 x 4 matrix of blocks is transposed with two
// rounds of 128-bit block shuffles. Highway 1.0 has no block shuffle, so this is intrinsics.
void Transpose16x16(const uint32_t* src, int64_t sc, uint32_t* dst, int64_t dr, bool stream) {
  __m512i r[16], t[16];
  for (int k = 0; k < 16; ++k) {
    r[k] = _mm512_loadu_si512(src + k * sc);
  }
  for (int g = 0; g < 16; g += 4) {
    t[g] = _mm512_unpacklo_epi32(r[g], r[g + 1]);
    t[g + 1] = _mm512_unpackhi_epi32(r[g], r[g + 1]);
    t[g + 2] = _mm512_unpacklo_epi32(r[g + 2], r[g + 3]);
    t[g + 3] = _mm512_unpackhi_epi32(r[g + 2], r[g + 3]);
    // Group g / 4, column c of every block: u[g + c].
    r[g] = _mm512_unpacklo_epi64(t[g], t[g + 2]);
    r[g + 1] = _mm512_unpackhi_epi64(t[g], t[g + 2]);
    r[g + 2] = _mm512_unpacklo_epi64(t[g + 1], t[g + 3]);
    r[g + 3] = _mm512_unpackhi_epi64(t[g + 1], t[g + 3]);
  }
  for (int c = 0; c < 4; ++c) {
    const __m512i v0 = _mm512_shuffle_i32x4(r[c], r[4 + c], 0x88);
    const __m512i v1 = _mm512_shuffle_i32x4(r[c], r[4 + c], 0xDD);
    const __m512i v2 = _mm512_shuffle_i32x4(r[8 + c], r[12 + c], 0x88);
    const __m512i v3 = _mm512_shuffle_i32x4(r[8 + c], r[12 + c], 0xDD);
    // Output row 4 b + c gathers block b of every group.
    const __m512i w[4] = {_mm512_shuffle_i32x4(v0, v2, 0x88), _mm512_shuffle_i32x4(v1, v3, 0x88),
                          _mm512_shuffle_i32x4(v0, v2, 0xDD), _mm512_shuffle_i32x4(v1, v3, 0xDD)};
    for (int b = 0; b < 4; ++b) {
      uint32_t* row = dst + (4 * b + c) * dr;
      if (stream) {
        _mm512_stream_si512(reinterpret_cast<__m512i*>(row), w[b]);
      } else {
        _mm512_storeu_si512(row, w[b]);
      }
    }
  }
}

Transpose16x16Fn Transpose16x16Kernel() { return &Transpose16x16; }
#else
Transpose16x16Fn Transpose16x16Kernel() { return nullptr; }
#endif

}  // namespace mlx::core::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace mlx::core::cpu {

HWY_EXPORT(Transpose8x8Kernel);
HWY_EXPORT(Transpose16x16Kernel);

Transpose8x8Fn transpose8x8_simd_kernel() { return HWY_DYNAMIC_DISPATCH(Transpose8x8Kernel)(); }

Transpose16x16Fn transpose16x16_simd_kernel() {
  return HWY_DYNAMIC_DISPATCH(Transpose16x16Kernel)();
}

void stream_fence() { hwy::FlushStream(); }

}  // namespace mlx::core::cpu
#endif  // HWY_ONCE
