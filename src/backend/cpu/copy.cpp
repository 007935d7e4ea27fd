// The copy family on the CPU: AsType, Copy, Full, and the conversion kernels they share. A
// conversion is a one-input tile kernel, so the elementwise driver handles contiguous,
// broadcast and strided inputs and the thread pool; transposed inputs go by square blocks.
#include "backend/cpu/copy.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "backend/cpu/strided.h"
#include "backend/cpu/thread_pool.h"
#include "core/dtype_utils.h"
#include "ops/ops.h"

namespace mlx::core {

namespace cpu {

namespace {

template <typename In, typename Out>
void convert_tile(const void* const* in, void* out, size_t n) {
  auto src = static_cast<const In*>(in[0]);
  auto dst = static_cast<Out*>(out);
  if constexpr (std::is_same_v<In, Out>) {
    std::memcpy(dst, src, n * sizeof(Out));
  } else {
    for (size_t i = 0; i < n; ++i) {
      dst[i] = detail::cast_value<Out>(src[i]);
    }
  }
}

// Walking the output of a transposed input in row order would step through the input by a
// large stride at every element, touching a new cache line (and often a new page) each time:
// the copy goes by square blocks instead, gathered into a tile whose input lines stay in cache.
constexpr int64_t kBlock = 32;

// The input's last dim moves through memory slower than its second-to-last.
bool is_transposed(const Layout& l) {
  size_t nd = l.shape.size();
  if (nd < 2) {
    return false;
  }
  auto inner = std::abs(l.strides[0][nd - 1]);
  auto outer = std::abs(l.strides[0][nd - 2]);
  return outer != 0 && inner > outer;
}

// tile[i * cols + j] = src[i * sr + j * sc], reading down the input's faster dim.
template <typename U>
void gather_block(const U* src, int64_t sr, int64_t sc, int64_t rows, int64_t cols, void* tile) {
  auto t = static_cast<U*>(tile);
  for (int64_t j = 0; j < cols; ++j) {
    for (int64_t i = 0; i < rows; ++i) {
      t[i * cols + j] = src[i * sr + j * sc];
    }
  }
}

// dst[i * dr + j] = src[i * sr + j * sc] for an 8 x 8 block (or the corner of one), read along
// the source's faster dim into registers and written along the destination's rows.
template <typename U>
void transpose_block(const U* src, int64_t sr, int64_t sc, U* dst, int64_t dr, int64_t rows,
                     int64_t cols) {
  U b[8][8];
  if (rows == 8 && cols == 8) {
    for (int j = 0; j < 8; ++j) {
      for (int i = 0; i < 8; ++i) {
        b[i][j] = src[i * sr + j * sc];
      }
    }
    for (int i = 0; i < 8; ++i) {
      for (int j = 0; j < 8; ++j) {
        dst[i * dr + j] = b[i][j];
      }
    }
    return;
  }
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      dst[i * dr + j] = src[i * sr + j * sc];
    }
  }
}

// A same-dtype copy of a transposed layout, straight into the row-major output: super-tiles of
// kSuper x kSuper (one parallel task each) walked in 16 x 16 tiles: one 512-bit register
// transpose each where the CPU has it (whole cache lines read and written, streamed out for large
// outputs), else 8 x 8 blocks. Small tiles keep the few source lines a tile reads from competing
// for the same cache sets when the source rows are a power of two apart, and the super-tiles
// bound the pages a task touches; each tile prefetches the source lines of the tile below it.
// (Walking the tiles along source rows instead measured 1.6x slower.)
template <typename U>
void transpose_copy(const array& in, const Layout& l, U* dst) {
  constexpr int64_t kSuper = 256, kTile = 16, kB = 8;
  size_t nd = l.shape.size();
  int64_t n_rows = l.shape[nd - 2], n_cols = l.shape[nd - 1];
  int64_t sr = l.strides[0][nd - 2], sc = l.strides[0][nd - 1];
  int64_t row_tiles = (n_rows + kSuper - 1) / kSuper, col_tiles = (n_cols + kSuper - 1) / kSuper;
  size_t matrices = l.rows() / static_cast<size_t>(n_rows);
  size_t tasks = matrices * static_cast<size_t>(row_tiles * col_tiles);
  size_t grain = std::max<size_t>(1, kElementwiseGrain / (kSuper * kSuper));
  const U* src = in.data<U>();
  Transpose8x8Fn simd = nullptr;
  Transpose16x16Fn simd16 = nullptr;
  if constexpr (sizeof(U) == 4) {
    simd = sr == 1 ? transpose8x8_simd_kernel() : nullptr;
    simd16 = sr == 1 ? transpose16x16_simd_kernel() : nullptr;
  }
  // Whole output lines of a large output go straight to memory: rows of whole lines from a
  // line-aligned start.
  const bool stream = simd16 && n_cols % 16 == 0 && reinterpret_cast<uintptr_t>(dst) % 64 == 0 &&
                      l.rows() * static_cast<size_t>(n_cols) * sizeof(U) > kStreamingBytes;
  parallel_for(tasks, grain, [&](size_t begin, size_t end) {
    for (size_t task = begin; task < end; ++task) {
      size_t m = task / static_cast<size_t>(row_tiles * col_tiles);
      int64_t t = static_cast<int64_t>(task % static_cast<size_t>(row_tiles * col_tiles));
      int64_t r_lo = t / col_tiles * kSuper, c_lo = t % col_tiles * kSuper;
      int64_t r_hi = std::min(n_rows, r_lo + kSuper), c_hi = std::min(n_cols, c_lo + kSuper);
      int64_t base = 0;
      for_each_row<1>(l, m * static_cast<size_t>(n_rows), m * static_cast<size_t>(n_rows) + 1,
                      [&](size_t, const std::array<int64_t, 1>& o) { base = o[0]; });
      U* out = dst + static_cast<int64_t>(m) * n_rows * n_cols;
      for (int64_t r0 = r_lo; r0 < r_hi; r0 += kTile) {
        for (int64_t c0 = c_lo; c0 < c_hi; c0 += kTile) {
          int64_t r_end = std::min(r_hi, r0 + kTile), c_end = std::min(c_hi, c0 + kTile);
          // The next lines of these source rows are read a row of tiles later: far too many
          // streams for the hardware prefetcher to follow.
          if (sr == 1 && r0 + kTile < r_hi && c_end - c0 == kTile) {
            const U* next = src + base + (r0 + kTile) + c0 * sc;
            for (int64_t k = 0; k < kTile; ++k) {
              for (size_t b = 0; b < kTile * sizeof(U); b += 64) {
                __builtin_prefetch(reinterpret_cast<const char*>(next + k * sc) + b);
              }
            }
          }
          if constexpr (sizeof(U) == 4) {
            if (simd16 && r_end - r0 == kTile && c_end - c0 == kTile) {
              simd16(src + base + r0 * sr + c0 * sc, sc, out + r0 * n_cols + c0, n_cols, stream);
              continue;
            }
          }
          for (int64_t j = c0; j < c_end; j += kB) {
            for (int64_t i = r0; i < r_end; i += kB) {
              const U* s = src + base + i * sr + j * sc;
              U* d = out + i * n_cols + j;
              if constexpr (sizeof(U) == 4) {
                if (simd && i + kB <= r_end && j + kB <= c_end) {
                  simd(s, sc, d, n_cols);
                  continue;
                }
              }
              transpose_block(s, sr, sc, d, n_cols, std::min(kB, r_end - i),
                              std::min(kB, c_end - j));
            }
          }
        }
      }
    }
    if (stream) {
      stream_fence();
    }
  });
}

// Bands of kBlock rows of the (collapsed) layout, each in kBlock x kBlock blocks, converted by
// fn into the row-major output at dst.
void copy_blocked(const array& in, const Layout& l, TileFn fn, char* dst, size_t out_item) {
  size_t nd = l.shape.size();
  int64_t n_rows = l.shape[nd - 2];
  int64_t n_cols = l.shape[nd - 1];
  int64_t sr = l.strides[0][nd - 2];
  int64_t sc = l.strides[0][nd - 1];
  size_t bands = static_cast<size_t>((n_rows + kBlock - 1) / kBlock);
  size_t tasks = l.rows() / static_cast<size_t>(n_rows) * bands;
  size_t grain = std::max<size_t>(1, kElementwiseGrain / static_cast<size_t>(kBlock * n_cols));
  const char* src = in.data<char>();
  size_t item = in.itemsize();
  parallel_for(tasks, grain, [&](size_t begin, size_t end) {
    alignas(64) uint64_t tile[kBlock * kBlock];
    for (size_t task = begin; task < end; ++task) {
      int64_t r0 = static_cast<int64_t>(task % bands) * kBlock;
      int64_t rows = std::min(kBlock, n_rows - r0);
      size_t first_row = task / bands * static_cast<size_t>(n_rows) + static_cast<size_t>(r0);
      int64_t offset = 0;
      for_each_row<1>(l, first_row, first_row + 1,
                      [&](size_t, const std::array<int64_t, 1>& o) { offset = o[0]; });
      for (int64_t c0 = 0; c0 < n_cols; c0 += kBlock) {
        int64_t cols = std::min(kBlock, n_cols - c0);
        const char* s = src + (offset + c0 * sc) * static_cast<int64_t>(item);
        switch (item) {
          case 1:
            gather_block(reinterpret_cast<const uint8_t*>(s), sr, sc, rows, cols, tile);
            break;
          case 2:
            gather_block(reinterpret_cast<const uint16_t*>(s), sr, sc, rows, cols, tile);
            break;
          case 4:
            gather_block(reinterpret_cast<const uint32_t*>(s), sr, sc, rows, cols, tile);
            break;
          default:
            gather_block(reinterpret_cast<const uint64_t*>(s), sr, sc, rows, cols, tile);
        }
        for (int64_t i = 0; i < rows; ++i) {
          const void* row_in[1] = {reinterpret_cast<const char*>(tile) + i * cols * item};
          fn(row_in, dst + ((first_row + i) * n_cols + c0) * out_item, cols);
        }
      }
    }
  });
}

}  // namespace

bool is_transposed(const array& in) {
  return in.data_size() != 1 && !in.flags().row_contiguous &&
         is_transposed(collapse(in.shape(), {in.strides()}));
}

TileFn convert_kernel(Dtype from, Dtype to) {
  if (auto fn = convert_simd_kernel(from, to)) {
    return fn;
  }
  return dispatch_dtype(from, [to](auto in_tag) {
    return dispatch_dtype(to, [](auto out_tag) -> TileFn {
      return convert_tile<typename decltype(in_tag)::type, typename decltype(out_tag)::type>;
    });
  });
}

void copy_to_contiguous(const array& in, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  TileFn fn = convert_kernel(in.dtype(), out.dtype());
  if (in.data_size() != 1 && !in.flags().row_contiguous) {
    auto l = collapse(in.shape(), {in.strides()});
    if (is_transposed(l) && in.dtype() == out.dtype()) {
      switch (in.itemsize()) {
        case 1:
          return transpose_copy(in, l, out.data<uint8_t>());
        case 2:
          return transpose_copy(in, l, out.data<uint16_t>());
        case 4:
          return transpose_copy(in, l, out.data<uint32_t>());
        default:
          return transpose_copy(in, l, out.data<uint64_t>());
      }
    }
    if (is_transposed(l)) {
      copy_blocked(in, l, fn, out.data<char>(), out.itemsize());
      return;
    }
  }
  auto body = [fn](const void* const* i, void* o, size_t n) { fn(i, o, n); };
  if (in.shape() == out.shape()) {
    for_each_tile({in}, out, body, SIZE_MAX);
    return;
  }
  // A reshape: out's buffer seen with in's shape takes in's elements in row-major order.
  array dst(in.shape(), out.dtype(), nullptr, {});
  auto strides = dst.strides();
  dst.copy_shared_buffer(out, strides, out.flags(), out.size());
  for_each_tile({in}, dst, body, SIZE_MAX);
}

}  // namespace cpu

void AsType::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& in = inputs[0];
  // Converting between dtypes of one size can run in place on an input nobody else holds.
  if (in.is_donatable() && in.itemsize() == out.itemsize() && in.flags().row_contiguous &&
      in.data_size() == in.size()) {
    out.copy_shared_buffer(in);
    cpu::TileFn fn = cpu::convert_kernel(in.dtype(), out.dtype());
    cpu::for_each_tile(
        inputs, out, [fn](const void* const* i, void* o, size_t n) { fn(i, o, n); }, SIZE_MAX);
    return;
  }
  cpu::copy_to_contiguous(in, out);
}

void Copy::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.copy_shared_buffer(inputs[0]);
}

void Full::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::copy_to_contiguous(inputs[0], out);
}

}  // namespace mlx::core
