// Convolution on the CPU, channels last: im2col into GEMM (OpenBLAS). For each image and each
// tile of output positions, the tile's patches (one row per output position: every kernel tap's
// input channels of one group, zeros where the tap falls on padding or between dilated input
// elements) are gathered into a scratch matrix sized to stay in L2, then multiplied by the
// group's weights (C_out / groups, kernel... * C_in / groups) straight into the output rows.
// A 1x1 convolution with unit stride and no padding is one GEMM over the input as it lies. A
// 2-D 3x3 one with unit stride and enough channels (float32, float16, bfloat16) runs Winograd's
// F(4x4, 3x3) instead (winograd_simd.cpp), a quarter of the multiply-adds.
// float16 and bfloat16 are computed in float32 and rounded once at the end.
//
// Threading follows matmul's policy (src/backend/cpu/matmul.cpp): many tiles run on the pool
// with single-threaded BLAS; few tiles (or the 1x1 GEMM) run on the stream's worker with
// OpenBLAS using every core.
#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "backend/cpu/blas.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/strided.h"
#include "backend/cpu/thread_pool.h"
#include "backend/cpu/winograd.h"
#include "ops/ops.h"

namespace mlx::core {

namespace {

// Scratch bytes of patches per tile: the tile and the packed weights stay in a core's L2.
constexpr size_t kTileBytes = size_t(512) << 10;
// The fewest rows per GEMM worth a tile; longer patch rows are split instead.
constexpr int64_t kMinRows = 64;
// Input elements (rows times channels) per chunk of a pointwise convolution split over the pool.
constexpr size_t kPointwiseWork = size_t(1) << 16;
// The fewest input and output channels for which Winograd beats im2col ((32, 64, 64, c) inputs,
// c -> c: 4.4 vs 5.0 ms at 8 channels, slower at 4).
constexpr int kWinogradChannels = 8;

// c (m x n, leading dim ldc) = a (m x k) @ b^T (b: n x k), or += when accumulating.
void gemm(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c, int ldc,
          bool accumulate) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, lda, b, ldb,
              accumulate ? 1.0f : 0.0f, c, ldc);
}

void gemm(int m, int n, int k, const double* a, int lda, const double* b, int ldb, double* c,
          int ldc, bool accumulate) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0, a, lda, b, ldb,
              accumulate ? 1.0 : 0.0, c, ldc);
}

// The geometry in elements, with fewer than 3 spatial dims padded in front by dims of size 1,
// so one code path serves 1, 2 and 3 spatial dims.
struct Geometry {
  int64_t batch, c_in, c_out, groups, cg_in, cg_out;
  std::array<int64_t, 3> out_sp{1, 1, 1}, k_sp{1, 1, 1};
  int64_t in_image, out_positions, kernel_positions;
  // taps[d][o * k_sp[d] + k]: the element offset (within an image) of the input position that
  // output index o and kernel index k read along spatial dim d, or -1 where that is padding or
  // falls between dilated input elements. The kernel index is reversed when flipping.
  std::array<std::vector<int64_t>, 3> taps;
  // run[o]: whether every tap of innermost output index o reads the input, each next to the
  // last, so that one copy gathers them all.
  std::vector<bool> run;
  bool pointwise;
};

Geometry make_geometry(const Convolution& p, const array& in, const array& wt, const array& out) {
  Geometry g;
  int spatial = static_cast<int>(in.ndim()) - 2;
  g.batch = in.shape(0);
  g.c_in = in.shape(-1);
  g.c_out = out.shape(-1);
  g.groups = p.groups();
  g.cg_in = g.c_in / g.groups;
  g.cg_out = g.c_out / g.groups;
  g.in_image = g.c_in;
  g.pointwise = true;
  std::array<int64_t, 3> in_sp{1, 1, 1};
  for (int i = 0; i < spatial; ++i) {
    int d = 3 - spatial + i;
    in_sp[d] = in.shape(i + 1);
    g.k_sp[d] = wt.shape(i + 1);
    g.out_sp[d] = out.shape(i + 1);
    g.in_image *= in_sp[d];
    g.pointwise = g.pointwise && g.k_sp[d] == 1 && p.stride()[i] == 1 && p.padding_lo()[i] == 0 &&
                  p.padding_hi()[i] == 0 && p.input_dilation()[i] == 1;
  }
  g.out_positions = g.out_sp[0] * g.out_sp[1] * g.out_sp[2];
  g.kernel_positions = g.k_sp[0] * g.k_sp[1] * g.k_sp[2];
  int64_t elem_stride = g.c_in;
  for (int d = 2; d >= 0; --d) {
    int i = d - (3 - spatial);
    int64_t stride = i >= 0 ? p.stride()[i] : 1;
    int64_t lo = i >= 0 ? p.padding_lo()[i] : 0;
    int64_t kdil = i >= 0 ? p.kernel_dilation()[i] : 1;
    int64_t idil = i >= 0 ? p.input_dilation()[i] : 1;
    auto& t = g.taps[d];
    t.resize(g.out_sp[d] * g.k_sp[d]);
    for (int64_t o = 0; o < g.out_sp[d]; ++o) {
      for (int64_t k = 0; k < g.k_sp[d]; ++k) {
        int64_t kk = p.flip() ? g.k_sp[d] - 1 - k : k;
        int64_t q = o * stride - lo + kk * kdil;
        bool valid = q >= 0 && q % idil == 0 && q / idil < in_sp[d];
        t[o * g.k_sp[d] + k] = valid ? q / idil * elem_stride : -1;
      }
    }
    elem_stride *= in_sp[d];
  }
  g.run.resize(g.out_sp[2]);
  for (int64_t o = 0; o < g.out_sp[2]; ++o) {
    const int64_t* t = g.taps[2].data() + o * g.k_sp[2];
    bool run = t[0] >= 0;
    for (int64_t k = 1; k < g.k_sp[2] && run; ++k) {
      run = t[k] == t[k - 1] + g.cg_in && g.cg_in == g.c_in;
    }
    g.run[o] = run;
  }
  return g;
}

// Gathers rows [r0, r1) of the patch matrix (row r: image r / out_positions, output position
// r % out_positions), restricted to kernel positions [k_begin, k_end), for the group whose first
// channel x points at: each row holds (k_end - k_begin) * cg_in elements.
template <typename T>
void gather_patches(const Geometry& g, const T* x, int64_t r0, int64_t r1, int64_t k_begin,
                    int64_t k_end, T* dst) {
  int64_t width = g.cg_in;
  bool whole = k_begin == 0 && k_end == g.kernel_positions;
  int64_t n = r0 / g.out_positions;
  int64_t p = r0 % g.out_positions;
  int64_t o0 = p / (g.out_sp[1] * g.out_sp[2]);
  int64_t o1 = p / g.out_sp[2] % g.out_sp[1];
  int64_t o2 = p % g.out_sp[2];
  for (int64_t r = r0; r < r1; ++r) {
    const T* image = x + n * g.in_image;
    const int64_t* t0 = g.taps[0].data() + o0 * g.k_sp[0];
    const int64_t* t1 = g.taps[1].data() + o1 * g.k_sp[1];
    const int64_t* t2 = g.taps[2].data() + o2 * g.k_sp[2];
    if (whole) {
      for (int64_t k0 = 0; k0 < g.k_sp[0]; ++k0) {
        for (int64_t k1 = 0; k1 < g.k_sp[1]; ++k1) {
          bool outer = t0[k0] >= 0 && t1[k1] >= 0;
          const T* base = image + t0[k0] + t1[k1];
          if (outer && g.run[o2]) {
            std::memcpy(dst, base + t2[0], g.k_sp[2] * width * sizeof(T));
            dst += g.k_sp[2] * width;
            continue;
          }
          for (int64_t k2 = 0; k2 < g.k_sp[2]; ++k2, dst += width) {
            if (outer && t2[k2] >= 0) {
              std::memcpy(dst, base + t2[k2], width * sizeof(T));
            } else {
              std::fill_n(dst, width, T(0));
            }
          }
        }
      }
    } else {
      for (int64_t k = k_begin; k < k_end; ++k, dst += width) {
        int64_t k2 = k % g.k_sp[2];
        int64_t k1 = k / g.k_sp[2] % g.k_sp[1];
        int64_t k0 = k / (g.k_sp[1] * g.k_sp[2]);
        if (t0[k0] >= 0 && t1[k1] >= 0 && t2[k2] >= 0) {
          std::memcpy(dst, image + t0[k0] + t1[k1] + t2[k2], width * sizeof(T));
        } else {
          std::fill_n(dst, width, T(0));
        }
      }
    }
    if (++o2 == g.out_sp[2]) {
      o2 = 0;
      if (++o1 == g.out_sp[1]) {
        o1 = 0;
        if (++o0 == g.out_sp[0]) {
          o0 = 0;
          ++n;
        }
      }
    }
  }
}

// One input channel per group (depthwise, maybe with several outputs per channel): a GEMM per
// group would have one column, so each output row instead sums its taps directly, every
// channel at once (w^T holds the kernel position's weights contiguously).
template <typename T>
void convolve_depthwise(const Geometry& g, const T* x, const T* w, T* out) {
  std::vector<T> wt(g.kernel_positions * g.c_out);
  for (int64_t c = 0; c < g.c_out; ++c) {
    for (int64_t k = 0; k < g.kernel_positions; ++k) {
      wt[k * g.c_out + c] = w[c * g.kernel_positions + k];
    }
  }
  int64_t total = g.batch * g.out_positions;
  size_t work = static_cast<size_t>(g.kernel_positions * g.c_out);
  cpu::parallel_for(
      total, std::max<size_t>(1, cpu::kElementwiseGrain / work), [&](size_t r0, size_t r1) {
        std::vector<T> gathered(g.c_out);
        for (size_t r = r0; r < r1; ++r) {
          int64_t n = static_cast<int64_t>(r) / g.out_positions;
          int64_t p = static_cast<int64_t>(r) % g.out_positions;
          const T* image = x + n * g.in_image;
          const int64_t* t0 = g.taps[0].data() + p / (g.out_sp[1] * g.out_sp[2]) * g.k_sp[0];
          const int64_t* t1 = g.taps[1].data() + p / g.out_sp[2] % g.out_sp[1] * g.k_sp[1];
          const int64_t* t2 = g.taps[2].data() + p % g.out_sp[2] * g.k_sp[2];
          T* acc = out + r * g.c_out;
          std::fill_n(acc, g.c_out, T(0));
          const T* wk = wt.data();
          for (int64_t k0 = 0; k0 < g.k_sp[0]; ++k0) {
            for (int64_t k1 = 0; k1 < g.k_sp[1]; ++k1) {
              for (int64_t k2 = 0; k2 < g.k_sp[2]; ++k2, wk += g.c_out) {
                if (t0[k0] < 0 || t1[k1] < 0 || t2[k2] < 0) {
                  continue;
                }
                const T* in = image + t0[k0] + t1[k1] + t2[k2];
                if (g.cg_out > 1) {
                  for (int64_t c = 0; c < g.c_out; ++c) gathered[c] = in[c / g.cg_out];
                  in = gathered.data();
                }
                for (int64_t c = 0; c < g.c_out; ++c) acc[c] += in[c] * wk[c];
              }
            }
          }
        }
      });
}

template <typename T>
void convolve(const Geometry& g, const T* x, const T* w, T* out) {
  int threads = cpu::num_threads();
  int64_t row_len = g.kernel_positions * g.cg_in;
  if (g.cg_in == 1 && g.groups > 1) {
    convolve_depthwise(g, x, w, out);
    return;
  }
  int64_t total = g.batch * g.out_positions;
  // Multiply-adds of the whole convolution: only large ones are worth OpenBLAS's threads.
  const auto work = static_cast<size_t>(total * row_len * g.cg_out * g.groups);
  if (g.pointwise && total <= INT_MAX) {
    // One GEMM per group over output positions [r0, r1).
    auto rows = [&](size_t r0, size_t r1) {
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        gemm(static_cast<int>(r1 - r0), static_cast<int>(g.cg_out), static_cast<int>(g.cg_in),
             x + static_cast<int64_t>(r0) * g.c_in + grp * g.cg_in, static_cast<int>(g.c_in),
             w + grp * g.cg_out * g.cg_in, static_cast<int>(g.cg_in),
             out + static_cast<int64_t>(r0) * g.c_out + grp * g.cg_out, static_cast<int>(g.c_out),
             false);
      }
    };
    if (total < 2 * kMinRows * threads) {
      // Too few output positions to split (a small image with many channels).
      cpu::BlasThreads blas(cpu::blas_threads_for(work));
      rows(0, static_cast<size_t>(total));
    } else {
      cpu::BlasThreads blas(1);
      cpu::parallel_for(static_cast<size_t>(total),
                        std::max<size_t>(kMinRows, kPointwiseWork / row_len), rows);
    }
    return;
  }
  // Rows of every image are consecutive output rows, so tiles may span images. Patch rows too
  // long for a tile of kMinRows (a large kernel: the weight gradient's convolution has the
  // cotangent as kernel) are split into chunks of kernel positions, accumulated by the GEMMs.
  int64_t rows = std::clamp<int64_t>(kTileBytes / (row_len * sizeof(T)), 1, total);
  int64_t chunk = g.kernel_positions;
  if (rows < kMinRows && rows < total) {
    rows = std::min(kMinRows, total);
    chunk = std::clamp<int64_t>(kTileBytes / (rows * g.cg_in * sizeof(T)), 1, chunk);
  }
  size_t tasks = static_cast<size_t>((total + rows - 1) / rows);
  auto run = [&](size_t begin, size_t end) {
    array scratch({static_cast<int>(rows * chunk * g.cg_in)}, sizeof(T) == 4 ? float32 : float64,
                  nullptr, {});
    scratch.set_data(allocator::malloc(scratch.nbytes()));
    T* patches = scratch.data<T>();
    for (size_t task = begin; task < end; ++task) {
      int64_t r0 = static_cast<int64_t>(task) * rows;
      int64_t r1 = std::min(r0 + rows, total);
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        for (int64_t k0 = 0; k0 < g.kernel_positions; k0 += chunk) {
          int64_t k1 = std::min(k0 + chunk, g.kernel_positions);
          int cols = static_cast<int>((k1 - k0) * g.cg_in);
          gather_patches(g, x + grp * g.cg_in, r0, r1, k0, k1, patches);
          gemm(static_cast<int>(r1 - r0), static_cast<int>(g.cg_out), cols, patches, cols,
               w + grp * g.cg_out * row_len + k0 * g.cg_in, static_cast<int>(row_len),
               out + r0 * g.c_out + grp * g.cg_out, static_cast<int>(g.c_out), k0 > 0);
        }
      }
    }
  };
  if (threads > 1 && tasks >= 2 * static_cast<size_t>(threads)) {
    cpu::BlasThreads blas(1);
    cpu::parallel_for(tasks, std::max<size_t>(1, tasks / (4 * threads)), run);
  } else {
    cpu::BlasThreads blas(cpu::blas_threads_for(work));
    run(0, tasks);
  }
}

// `in` row-contiguous in dtype `dtype`: as it is when it already is, else copied.
array contiguous_as(const array& in, Dtype dtype) {
  if (in.dtype() == dtype && in.flags().row_contiguous && in.data_size() == in.size()) {
    return in;
  }
  array out(in.shape(), dtype, nullptr, {});
  cpu::copy_to_contiguous(in, out);
  return out;
}

// A 2-D 3x3 convolution with unit stride, no dilation and one group, with enough channels for
// Winograd's products to pay (src/backend/cpu/winograd_simd.cpp): its shape, else nothing.
std::optional<cpu::Winograd3x3> winograd_shape(const Convolution& p, const array& in,
                                               const array& wt, const array& out) {
  auto ones = [](const std::vector<int>& v) {
    return std::all_of(v.begin(), v.end(), [](int e) { return e == 1; });
  };
  if (in.ndim() != 4 || wt.shape(1) != 3 || wt.shape(2) != 3 || p.groups() != 1 ||
      !ones(p.stride()) || !ones(p.kernel_dilation()) || !ones(p.input_dilation()) ||
      in.shape(-1) < kWinogradChannels || out.shape(-1) < kWinogradChannels) {
    return std::nullopt;
  }
  return cpu::Winograd3x3{in.shape(0),       in.shape(1),  in.shape(2),  in.shape(3),
                          out.shape(3),      out.shape(1), out.shape(2), p.padding_lo()[0],
                          p.padding_lo()[1], p.flip()};
}

}  // namespace

void Convolution::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto dtype = out.dtype();
  if (dtype != float32 && dtype != float64 && dtype != float16 && dtype != bfloat16) {
    std::ostringstream msg;
    msg << "[Convolution] Unsupported dtype " << dtype << ".";
    throw std::runtime_error(msg.str());
  }
  Dtype acc = dtype == float64 ? float64 : float32;
  array result = dtype == acc ? out : array(out.shape(), acc, nullptr, {});
  result.set_data(allocator::malloc(result.nbytes()));
  if (result.size() > 0) {
    if (inputs[1].size() == 0) {
      // No input channels: every sum is empty. All-zero bytes are 0 in every float dtype.
      std::memset(result.data<char>(), 0, result.nbytes());
    } else {
      auto x = contiguous_as(inputs[0], acc);
      auto w = contiguous_as(inputs[1], acc);
      // Winograd where it applies; a result with a value that is not finite is computed again
      // directly.
      auto wino = acc == float32 ? winograd_shape(*this, x, w, result) : std::nullopt;
      bool done = wino && cpu::winograd_conv3x3(*wino, x.data<float>(), w.data<float>(),
                                                result.data<float>());
      if (!done && acc == float64) {
        convolve(make_geometry(*this, x, w, result), x.data<double>(), w.data<double>(),
                 result.data<double>());
      } else if (!done) {
        convolve(make_geometry(*this, x, w, result), x.data<float>(), w.data<float>(),
                 result.data<float>());
      }
    }
  }
  if (dtype != acc) {
    cpu::copy_to_contiguous(result, out);
  }
}

}  // namespace mlx::core
