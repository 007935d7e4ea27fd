// Winograd F(4x4, 3x3) convolution (Lavin and Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2015), float32, channels last, compiled once per Highway target.
//
// Each 4x4 block of output positions (a tile) reads a 6x6 patch of input positions. With the
// paper's matrices B (6x6), G (6x3) and A (6x4), a tile of one output channel is
// A^T [ sum over input channels of (G g G^T) * (B^T d B) ] A, where * multiplies the 36 entries
// one by one. So the convolution becomes 36 independent products (one per entry xi) of the
// tiles' transformed patches V[xi] (tiles x c) with the transformed weights U[xi] (c x k): 36
// multiply-adds per 16 outputs per channel pair instead of 144, a quarter of direct
// convolution's. The transforms are additions and small multiples, vectorised across channels.
//
// Tiles go in blocks of kBlockTiles per task; a block's V and products M stay in the core's L2
// and each U[xi] panel in L1 while the block's rows pass it. The products run in a register-
// blocked kernel: kRows tiles by up to kMaxVecs vectors of output channels accumulate in
// registers over the input channels.
//
// Each output depends on its tile's whole 6x6 patch through coefficients that cancel, so one
// infinite or NaN input would make a whole tile's outputs NaN, and values near float32's range
// overflow in the transforms. Where any output is not finite the caller computes the
// convolution directly instead, so such values spread exactly as a direct sum spreads them.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/winograd_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>

#include <hwy/aligned_allocator.h>

#include "backend/cpu/thread_pool.h"
#include "backend/cpu/winograd.h"

HWY_BEFORE_NAMESPACE();
namespace mlx::core::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;

// Tiles per register block, and vectors of output channels per register block: 6 x 4
// accumulators where there are 32 vector registers, 6 x 2 where there are 16.
constexpr size_t kRows = 6;
#if HWY_ARCH_X86 && HWY_TARGET > HWY_AVX3
constexpr size_t kMaxVecs = 2;
#else
constexpr size_t kMaxVecs = 4;
#endif
// Tiles per task: a multiple of kRows.
constexpr size_t kBlockTiles = 2 * kRows;

size_t RoundUp(size_t n, size_t m) { return (n + m - 1) / m * m; }

// out[6] = B^T in[6]: the input transform along one axis.
HWY_INLINE void InputAxis(D d, const V* in, V* out) {
  const V two = hn::Set(d, 2.0f), four = hn::Set(d, 4.0f), five = hn::Set(d, 5.0f);
  out[0] = hn::MulAdd(four, in[0], hn::NegMulAdd(five, in[2], in[4]));
  out[1] = hn::NegMulAdd(four, hn::Add(in[1], in[2]), hn::Add(in[3], in[4]));
  out[2] = hn::MulAdd(four, hn::Sub(in[1], in[2]), hn::Sub(in[4], in[3]));
  const V d42 = hn::Sub(in[4], in[2]), d13 = hn::Sub(in[1], in[3]);
  out[3] = hn::NegMulAdd(two, d13, d42);
  out[4] = hn::MulAdd(two, d13, d42);
  out[5] = hn::MulAdd(four, in[1], hn::NegMulAdd(five, in[3], in[5]));
}

// out[4] = A^T in[6]: the output transform along one axis.
HWY_INLINE void OutputAxis(D d, const V* in, V* out) {
  const V s12 = hn::Add(in[1], in[2]), d12 = hn::Sub(in[1], in[2]);
  const V s34 = hn::Add(in[3], in[4]), d34 = hn::Sub(in[3], in[4]);
  out[0] = hn::Add(hn::Add(in[0], s12), s34);
  out[1] = hn::MulAdd(hn::Set(d, 2.0f), d34, d12);
  out[2] = hn::MulAdd(hn::Set(d, 4.0f), s34, s12);
  out[3] = hn::Add(hn::MulAdd(hn::Set(d, 8.0f), d34, d12), in[5]);
}

// The tile's 6x6 input patch, cp channels per position (zeros past c and outside the image).
void GatherPatch(const Winograd3x3& s, const float* image, int64_t y0, int64_t x0, size_t cp,
                 float* patch) {
  const auto c = static_cast<size_t>(s.c);
  for (int64_t i = 0; i < 6; ++i, patch += 6 * cp) {
    const int64_t iy = y0 + i;
    if (iy < 0 || iy >= s.h) {
      std::fill_n(patch, 6 * cp, 0.0f);
      continue;
    }
    const float* row = image + iy * s.w * s.c;
    for (int64_t j = 0; j < 6; ++j) {
      float* dst = patch + j * cp;
      const int64_t ix = x0 + j;
      if (ix < 0 || ix >= s.w) {
        std::fill_n(dst, cp, 0.0f);
      } else {
        std::memcpy(dst, row + ix * s.c, c * sizeof(float));
        std::fill_n(dst + c, cp - c, 0.0f);
      }
    }
  }
}

// v[xi * xi_stride + channel] = (B^T patch B)[xi] for the tile's cp channels, patch position
// (i, j) at patch + i * row + j * cp.
void InputTransform(const float* patch, size_t row, size_t cp, float* v, size_t xi_stride) {
  const D d;
  const size_t L = hn::Lanes(d);
  HWY_ALIGN float tmp[36 * hn::MaxLanes(d)];
  V in[6], out[6];
  for (size_t l = 0; l < cp; l += L) {
    for (size_t j = 0; j < 6; ++j) {
      for (size_t i = 0; i < 6; ++i) in[i] = hn::LoadU(d, patch + i * row + j * cp + l);
      InputAxis(d, in, out);
      for (size_t i = 0; i < 6; ++i) hn::Store(out[i], d, tmp + (i * 6 + j) * L);
    }
    for (size_t i = 0; i < 6; ++i) {
      for (size_t j = 0; j < 6; ++j) in[j] = hn::Load(d, tmp + (i * 6 + j) * L);
      InputAxis(d, in, out);
      for (size_t j = 0; j < 6; ++j) hn::Store(out[j], d, v + (i * 6 + j) * xi_stride + l);
    }
  }
}

// The tile's outputs from its products m[xi * xi_stride + channel]: A^T m A, the rows and
// columns inside the output (rows, cols <= 4) stored at out (row stride out_row). Returns
// whether every value stored is finite.
bool OutputTransform(const float* m, size_t xi_stride, size_t k, int64_t rows, int64_t cols,
                     float* out, int64_t out_row) {
  bool finite = true;
  const D d;
  const size_t L = hn::Lanes(d);
  HWY_ALIGN float tmp[24 * hn::MaxLanes(d)];
  HWY_ALIGN float part[hn::MaxLanes(d)];
  V in[6], res[4];
  for (size_t l = 0; l < k; l += L) {
    for (size_t j = 0; j < 6; ++j) {
      for (size_t i = 0; i < 6; ++i) in[i] = hn::Load(d, m + (i * 6 + j) * xi_stride + l);
      OutputAxis(d, in, res);
      for (size_t r = 0; r < 4; ++r) hn::Store(res[r], d, tmp + (r * 6 + j) * L);
    }
    const size_t n = std::min(L, k - l);
    for (int64_t r = 0; r < rows; ++r) {
      for (size_t j = 0; j < 6; ++j) in[j] = hn::Load(d, tmp + (r * 6 + j) * L);
      OutputAxis(d, in, res);
      for (int64_t q = 0; q < cols; ++q) {
        float* dst = out + r * out_row + q * static_cast<int64_t>(k) + static_cast<int64_t>(l);
        finite &= hn::AllTrue(d, hn::Or(hn::IsFinite(res[q]), hn::Not(hn::FirstN(d, n))));
        if (n == L) {
          hn::StoreU(res[q], d, dst);
        } else {
          hn::Store(res[q], d, part);
          std::memcpy(dst, part, n * sizeof(float));
        }
      }
    }
  }
  return finite;
}

// c[kRows x NV vectors] = a[kRows x depth] b[depth x NV vectors], accumulated in registers.
template <size_t NV>
HWY_INLINE void MicroKernel(const float* a, size_t lda, const float* b, size_t ldb, float* c,
                            size_t ldc, size_t depth) {
  const D d;
  const size_t L = hn::Lanes(d);
  V acc[kRows][NV];
  for (size_t r = 0; r < kRows; ++r) {
    for (size_t j = 0; j < NV; ++j) acc[r][j] = hn::Zero(d);
  }
  for (size_t p = 0; p < depth; ++p, b += ldb) {
    V bv[NV];
    for (size_t j = 0; j < NV; ++j) bv[j] = hn::Load(d, b + j * L);
    for (size_t r = 0; r < kRows; ++r) {
      const V ar = hn::Set(d, a[r * lda + p]);
      for (size_t j = 0; j < NV; ++j) acc[r][j] = hn::MulAdd(ar, bv[j], acc[r][j]);
    }
  }
  for (size_t r = 0; r < kRows; ++r) {
    for (size_t j = 0; j < NV; ++j) hn::Store(acc[r][j], d, c + r * ldc + j * L);
  }
}

// c[rows x kp] = a[rows x depth] b[depth x kp]; rows a multiple of kRows, kp of the lanes.
void BlockProduct(const float* a, size_t lda, const float* b, size_t kp, float* c, size_t rows,
                  size_t depth) {
  const size_t L = hn::Lanes(D());
  for (size_t j = 0; j < kp;) {
    const size_t left = (kp - j) / L;
    for (size_t r = 0; r < rows; r += kRows) {
      const float* ar = a + r * lda;
      float* cr = c + r * kp + j;
      if (left >= kMaxVecs) {
        MicroKernel<kMaxVecs>(ar, lda, b + j, kp, cr, kp, depth);
      } else if (left >= 2) {
        MicroKernel<2>(ar, lda, b + j, kp, cr, kp, depth);
      } else {
        MicroKernel<1>(ar, lda, b + j, kp, cr, kp, depth);
      }
    }
    j += L * (left >= kMaxVecs ? kMaxVecs : left >= 2 ? 2 : 1);
  }
}

// u[xi][ci][kk] = (G g G^T)[xi] for the filter g of output channel kk and input channel ci,
// kp channels per row (zeros past k).
void TransformWeights(const Winograd3x3& s, const float* wt, size_t kp, float* u) {
  static constexpr double G[6][3] = {{1.0 / 4, 0, 0},
                                     {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                     {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                     {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                     {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                     {0, 0, 1}};
  const auto c = static_cast<size_t>(s.c), k = static_cast<size_t>(s.k);
  std::fill_n(u, 36 * c * kp, 0.0f);
  parallel_for(k, std::max<size_t>(1, 4096 / c), [&](size_t k0, size_t k1) {
    for (size_t kk = k0; kk < k1; ++kk) {
      for (size_t ci = 0; ci < c; ++ci) {
        double g[3][3], t[6][3];
        for (size_t a = 0; a < 3; ++a) {
          for (size_t b = 0; b < 3; ++b) {
            const size_t ka = s.flip ? 2 - a : a, kb = s.flip ? 2 - b : b;
            g[a][b] = wt[((kk * 3 + ka) * 3 + kb) * c + ci];
          }
        }
        for (size_t i = 0; i < 6; ++i) {
          for (size_t b = 0; b < 3; ++b) {
            t[i][b] = G[i][0] * g[0][b] + G[i][1] * g[1][b] + G[i][2] * g[2][b];
          }
        }
        for (size_t i = 0; i < 6; ++i) {
          for (size_t j = 0; j < 6; ++j) {
            u[((i * 6 + j) * c + ci) * kp + kk] =
                static_cast<float>(t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2]);
          }
        }
      }
    }
  });
}

// The calling thread's scratch, kept between calls (a convolution runs one block at a time per
// thread).
float* ThreadScratch(size_t floats) {
  thread_local hwy::AlignedFreeUniquePtr<float[]> buffer;
  thread_local size_t capacity = 0;
  if (capacity < floats) {
    buffer = hwy::AllocateAligned<float>(floats);
    if (!buffer) {
      capacity = 0;
      throw std::bad_alloc();
    }
    capacity = floats;
  }
  return buffer.get();
}

bool WinogradConv3x3(const Winograd3x3& s, const float* x, const float* wt, float* out) {
  const size_t L = hn::Lanes(D());
  const auto c = static_cast<size_t>(s.c), k = static_cast<size_t>(s.k);
  const size_t cp = RoundUp(c, L), kp = RoundUp(k, L);
  auto u = hwy::AllocateAligned<float>(36 * c * kp);
  if (!u) {
    throw std::bad_alloc();
  }
  TransformWeights(s, wt, kp, u.get());

  const int64_t tiles_y = (s.out_h + 3) / 4, tiles_x = (s.out_w + 3) / 4;
  const int64_t per_image = tiles_y * tiles_x;
  const auto tiles = static_cast<size_t>(s.batch * per_image);
  const size_t blocks = (tiles + kBlockTiles - 1) / kBlockTiles;
  const size_t v_size = 36 * kBlockTiles * cp, m_size = 36 * kBlockTiles * kp;
  const size_t grain = std::max<size_t>(1, blocks / (8 * static_cast<size_t>(num_threads())));
  std::atomic<bool> all_finite{true};
  parallel_for(blocks, grain, [&](size_t b0, size_t b1) {
    bool finite = true;
    float* v = ThreadScratch(v_size + m_size + 36 * cp);
    float* m = v + v_size;
    float* patch = m + m_size;
    for (size_t b = b0; b < b1; ++b) {
      const size_t t0 = b * kBlockTiles, count = std::min(kBlockTiles, tiles - t0);
      for (size_t t = 0; t < count; ++t) {
        const auto tile = static_cast<int64_t>(t0 + t);
        const int64_t n = tile / per_image, ty = tile % per_image / tiles_x, tx = tile % tiles_x;
        const int64_t y0 = 4 * ty - s.pad_h, x0 = 4 * tx - s.pad_w;
        const float* image = x + n * s.h * s.w * s.c;
        if (cp == c && y0 >= 0 && y0 + 6 <= s.h && x0 >= 0 && x0 + 6 <= s.w) {
          // Inside the image: read in place.
          InputTransform(image + (y0 * s.w + x0) * s.c, s.w * c, cp, v + t * cp, kBlockTiles * cp);
        } else {
          GatherPatch(s, image, y0, x0, cp, patch);
          InputTransform(patch, 6 * cp, cp, v + t * cp, kBlockTiles * cp);
        }
      }
      // The last block's rows past its tiles, up to a whole register block, read zeros.
      const size_t rows = RoundUp(count, kRows);
      for (size_t xi = 0; xi < 36 && rows > count; ++xi) {
        std::fill_n(v + xi * kBlockTiles * cp + count * cp, (rows - count) * cp, 0.0f);
      }
      for (size_t xi = 0; xi < 36; ++xi) {
        BlockProduct(v + xi * kBlockTiles * cp, cp, u.get() + xi * c * kp, kp,
                     m + xi * kBlockTiles * kp, rows, c);
      }
      for (size_t t = 0; t < count; ++t) {
        const auto tile = static_cast<int64_t>(t0 + t);
        const int64_t n = tile / per_image, ty = tile % per_image / tiles_x, tx = tile % tiles_x;
        const int64_t rows_out = std::min<int64_t>(4, s.out_h - 4 * ty);
        const int64_t cols_out = std::min<int64_t>(4, s.out_w - 4 * tx);
        float* dst = out + ((n * s.out_h + 4 * ty) * s.out_w + 4 * tx) * s.k;
        finite &= OutputTransform(m + t * kp, kBlockTiles * kp, k, rows_out, cols_out, dst,
                                  s.out_w * s.k);
      }
    }
    if (!finite) {
      all_finite.store(false, std::memory_order_relaxed);
    }
  });
  return all_finite.load();
}

}  // namespace mlx::core::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace mlx::core::cpu {

HWY_EXPORT(WinogradConv3x3);

bool winograd_conv3x3(const Winograd3x3& s, const float* x, const float* wt, float* out) {
  return HWY_DYNAMIC_DISPATCH(WinogradConv3x3)(s, x, wt, out);
}

}  // namespace mlx::core::cpu
#endif  // HWY_ONCE
