// bfloat16 GEMM: a blocked loop around an 8 x 32 micro-kernel of vdpbf16ps (see bf16_gemm.h).
//
// vdpbf16ps multiplies the two bfloat16 values of each 32-bit lane (the even k in the low half,
// the odd k in the high half) by those of the same lane of another vector and adds both products
// to that lane's float32 sum. So b is packed into strips of 32 columns, each k-pair a row of 32
// words (two vectors: columns 0-15 and 16-31), and a into panels of 8 rows, each k-pair the 8
// rows' words side by side; one word of a is broadcast to every lane. An 8 x 32 block of c is
// then 16 vectors of sums, and each k-pair costs two loads, eight broadcasts and 16 dot
// products. (Read in place, a's 8 rows were 8 streams for the prefetchers: the kernel ran 8%
// slower than on the packed panel.)
//
// Blocking: one task computes a kTileRows x kTileCols tile of c; for each block of kBlockPairs
// k-pairs (a thousand values of k) it sweeps the tile's strips (a strip's block, 64 KiB, read
// from L2) and, for each strip, the tile's 8-row panels (16 KiB each). Long blocks pay: c's
// sums are loaded and stored once per block, and with 128 k-pairs per block (a strip's block in
// L1) 1024^2 took 6-7% longer, with 256 3-5% longer. Tiles run in parallel over the pool; a and b
// are packed once, before them, also in parallel.
#include "backend/cpu/bf16_gemm.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "backend/cpu/scratch.h"
#include "backend/cpu/thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define MLX_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512bf16")))
#endif

namespace mlx::core::cpu {

#if defined(__x86_64__)

bool has_bf16_dot() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512bf16");
  }();
  return has;
}

namespace {

constexpr int64_t kStrip = 32;        // columns of a packed strip of b
constexpr int64_t kPanel = 8;         // rows of c per micro-kernel call
constexpr int64_t kBlockPairs = 512;  // k-pairs per block
constexpr int64_t kTileRows = 128;
constexpr int64_t kTileCols = 256;  // a multiple of kStrip
// Elements of a or b packed per parallel chunk (at least one panel or strip).
constexpr size_t kPackGrain = size_t(1) << 15;

uint32_t bits(const bfloat16_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Panel q of a (rows 8q to 8q + 7) into dst: for each k-pair p, 8 words
// (a[r][2p] | a[r][2p + 1] << 16), zero past row m and past column k.
void pack_panel(const bfloat16_t* a, int64_t rs, int64_t cs, int64_t m, int64_t k, int64_t q,
                uint32_t* dst) {
  const int64_t pairs = (k + 1) / 2;
  const bfloat16_t* rows[kPanel];
  for (int64_t r = 0; r < kPanel; ++r) {
    rows[r] = q * kPanel + r < m ? a + (q * kPanel + r) * rs : nullptr;
  }
  const bool whole_pairs = cs == 1 && k % 2 == 0;
  for (int64_t p = 0; p < pairs; ++p) {
    uint32_t* out = dst + p * kPanel;
    for (int64_t r = 0; r < kPanel; ++r) {
      if (rows[r] == nullptr) {
        out[r] = 0;
      } else if (whole_pairs) {
        std::memcpy(out + r, rows[r] + 2 * p, sizeof(uint32_t));
      } else {
        const bfloat16_t* e = rows[r] + 2 * p * cs;
        out[r] = bits(e) | (2 * p + 1 < k ? bits(e + cs) << 16 : 0);
      }
    }
  }
}

// Strip s of b (columns 32s to 32s + 31) into dst: for each k-pair p, 32 words
// (b[2p][j] | b[2p + 1][j] << 16), zero past column n and past row k.
MLX_BF16_TARGET void pack_strip(const bfloat16_t* b, int64_t rs, int64_t cs, int64_t k, int64_t n,
                                int64_t s, uint32_t* dst) {
  const int64_t j0 = s * kStrip;
  const int64_t cols = std::min(kStrip, n - j0);
  const int64_t pairs = (k + 1) / 2;
  if (cs == 1) {
    // Rows of b are contiguous: two rows' 32 values interleave into the strip's two vectors.
    alignas(64) uint16_t lo[32], hi[32];
    for (int j = 0; j < 16; ++j) {
      lo[2 * j] = static_cast<uint16_t>(j);
      lo[2 * j + 1] = static_cast<uint16_t>(32 + j);
      hi[2 * j] = static_cast<uint16_t>(16 + j);
      hi[2 * j + 1] = static_cast<uint16_t>(48 + j);
    }
    const __m512i idx_lo = _mm512_load_si512(lo);
    const __m512i idx_hi = _mm512_load_si512(hi);
    const __mmask32 mask = cols == kStrip ? ~__mmask32(0) : (__mmask32(1) << cols) - 1;
    for (int64_t p = 0; p < pairs; ++p) {
      const bfloat16_t* row = b + 2 * p * rs + j0;
      const __m512i r0 = _mm512_maskz_loadu_epi16(mask, row);
      const __m512i r1 =
          2 * p + 1 < k ? _mm512_maskz_loadu_epi16(mask, row + rs) : _mm512_setzero_si512();
      _mm512_storeu_si512(dst + p * kStrip, _mm512_permutex2var_epi16(r0, idx_lo, r1));
      _mm512_storeu_si512(dst + p * kStrip + 16, _mm512_permutex2var_epi16(r0, idx_hi, r1));
    }
    return;
  }
  for (int64_t p = 0; p < pairs; ++p) {
    uint32_t* out = dst + p * kStrip;
    const bool odd = 2 * p + 1 < k;
    for (int64_t j = 0; j < kStrip; ++j) {
      if (j >= cols) {
        out[j] = 0;
        continue;
      }
      const bfloat16_t* e = b + 2 * p * rs + (j0 + j) * cs;
      out[j] = bits(e) | (odd ? bits(e + rs) << 16 : 0);
    }
  }
}

// c[r][0, 32) (+)= the sum over np k-pairs of the panel's row r times the strip's block, for the
// first R rows; columns of c past the masks are neither read nor written.
template <int R>
MLX_BF16_TARGET void micro(const uint32_t* a, const uint32_t* b, int64_t np, float* c, int64_t ldc,
                           __mmask16 m0, __mmask16 m1, bool load) {
  __m512 acc[R][2];
  for (int r = 0; r < R; ++r) {
    acc[r][0] = load ? _mm512_maskz_loadu_ps(m0, c + r * ldc) : _mm512_setzero_ps();
    acc[r][1] = load ? _mm512_maskz_loadu_ps(m1, c + r * ldc + 16) : _mm512_setzero_ps();
  }
  for (int64_t p = 0; p < np; ++p) {
    const auto b0 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(b + p * kStrip));
    const auto b1 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(b + p * kStrip + 16));
    for (int r = 0; r < R; ++r) {
      const auto x =
          reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(a[p * kPanel + r])));
      acc[r][0] = _mm512_dpbf16_ps(acc[r][0], b0, x);
      acc[r][1] = _mm512_dpbf16_ps(acc[r][1], b1, x);
    }
  }
  for (int r = 0; r < R; ++r) {
    _mm512_mask_storeu_ps(c + r * ldc, m0, acc[r][0]);
    _mm512_mask_storeu_ps(c + r * ldc + 16, m1, acc[r][1]);
  }
}

using Micro = void (*)(const uint32_t*, const uint32_t*, int64_t, float*, int64_t, __mmask16,
                       __mmask16, bool);
constexpr Micro kMicro[kPanel] = {micro<1>, micro<2>, micro<3>, micro<4>,
                                  micro<5>, micro<6>, micro<7>, micro<8>};

// `count` packed panels (or strips) of `width` words per k-pair, the i-th written by
// fill(i, its start), in parallel when `parallel`.
template <typename Fill>
const uint32_t* pack(ScratchBuffer& buf, bool parallel, int64_t count, int64_t width, int64_t k,
                     Fill&& fill) {
  const int64_t words = (k + 1) / 2 * width;
  uint32_t* dst = buf.get<uint32_t>(static_cast<size_t>(count * words));
  parallel_for_if(parallel, static_cast<size_t>(count),
                  std::max<size_t>(1, kPackGrain / static_cast<size_t>(k * width)),
                  [&](size_t b, size_t e) {
                    for (auto i = static_cast<int64_t>(b); i < static_cast<int64_t>(e); ++i) {
                      fill(i, dst + i * words);
                    }
                  });
  return dst;
}

}  // namespace

void bf16_gemm(const bfloat16_t* a, int64_t a_rs, int64_t a_cs, const bfloat16_t* b, int64_t b_rs,
               int64_t b_cs, int64_t m, int64_t n, int64_t k, float* c, int64_t ldc,
               bool accumulate, bool parallel) {
  if (!has_bf16_dot()) {
    throw std::runtime_error("[matmul] bf16_gemm needs AVX-512 BF16 (an internal error).");
  }
  const int64_t pairs = (k + 1) / 2;
  ScratchBuffer packed_a, packed_b;
  const int64_t strips = (n + kStrip - 1) / kStrip;
  const uint32_t* bp = pack(packed_b, parallel, strips, kStrip, k, [&](int64_t s, uint32_t* dst) {
    pack_strip(b, b_rs, b_cs, k, n, s, dst);
  });
  const uint32_t* ap =
      pack(packed_a, parallel, (m + kPanel - 1) / kPanel, kPanel, k,
           [&](int64_t q, uint32_t* dst) { pack_panel(a, a_rs, a_cs, m, k, q, dst); });

  const int64_t tile_rows = (m + kTileRows - 1) / kTileRows;
  const int64_t tile_cols = (n + kTileCols - 1) / kTileCols;
  parallel_for_if(
      parallel, static_cast<size_t>(tile_rows * tile_cols), 1, [&](size_t tb, size_t te) {
        for (auto t = static_cast<int64_t>(tb); t < static_cast<int64_t>(te); ++t) {
          const int64_t i0 = (t / tile_cols) * kTileRows;
          const int64_t i1 = std::min(m, i0 + kTileRows);
          const int64_t j0 = (t % tile_cols) * kTileCols;
          const int64_t j1 = std::min(n, j0 + kTileCols);
          for (int64_t p0 = 0; p0 < pairs; p0 += kBlockPairs) {
            const int64_t np = std::min(kBlockPairs, pairs - p0);
            const bool load = accumulate || p0 > 0;
            for (int64_t j = j0; j < j1; j += kStrip) {
              const int64_t cols = std::min(kStrip, n - j);
              const auto m0 = static_cast<__mmask16>(cols >= 16 ? 0xFFFF : (1u << cols) - 1);
              const auto m1 = static_cast<__mmask16>(cols >= 32  ? 0xFFFF
                                                     : cols > 16 ? (1u << (cols - 16)) - 1
                                                                 : 0);
              const uint32_t* block = bp + ((j / kStrip) * pairs + p0) * kStrip;
              for (int64_t i = i0; i < i1; i += kPanel) {
                const auto rows = std::min(kPanel, i1 - i);
                kMicro[rows - 1](ap + ((i / kPanel) * pairs + p0) * kPanel, block, np,
                                 c + i * ldc + j, ldc, m0, m1, load);
              }
            }
          }
        }
      });
}

#else

bool has_bf16_dot() { return false; }

void bf16_gemm(const bfloat16_t*, int64_t, int64_t, const bfloat16_t*, int64_t, int64_t, int64_t,
               int64_t, int64_t, float*, int64_t, bool, bool) {
  throw std::runtime_error("[matmul] bf16_gemm needs AVX-512 BF16 (an internal error).");
}

#endif

}  // namespace mlx::core::cpu
