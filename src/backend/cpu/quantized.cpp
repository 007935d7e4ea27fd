// Quantization on the CPU: quantize and dequantize row by row, the fp8 conversions, and the
// quantized products.
//
// Every packed row is a little-endian bit stream, so any 8 consecutive codes fill exactly `bits`
// bytes: one unpacking routine serves every width. All arithmetic is in float32; values are
// rounded to a 16-bit scale dtype where MLX computes in that dtype, so results match its bits.
//
// Products. In the decode case (transpose, at most kQmvRows rows of x) each packed row is read
// once from memory, unpacked in registers and multiplied with every row of x while it is in the
// L1 cache, split over the pool by output columns, using
//   sum_k (s q_k + b) x_k = s sum_k q_k x_k + b sum_k x_k   per group.
// Larger products (and w not transposed) dequantize tiles of w to float32 and call sgemm.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "backend/cpu/blas.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/quantized.h"
#include "backend/cpu/strided.h"
#include "backend/cpu/thread_pool.h"
#include "ops/ops.h"

namespace mlx::core {

namespace {

// Rows of x up to which a product streams w (the decode case); more rows amortise a dequantized
// tile over a GEMM.
constexpr int kQmvRows = 8;
// nvfp4's global scale g multiplies the block scales by g / (448 * 6) (see src/ops/quantized.cpp).
constexpr float kNvfp4Range = 448.0f * 6.0f;

constexpr std::array<float, 16> kFp4Values = {0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,
                                              4.0f,  6.0f,  -0.0f, -0.5f, -1.0f, -1.5f,
                                              -2.0f, -3.0f, -4.0f, -6.0f};

// ---- E4M3 (fp8), E2M1 (fp4) and E8M0 encodings ----

// E4M3 "fn": no infinities, 0x7F / 0xFF are NaN, the largest finite value is 448. Rounds to
// nearest even and saturates (infinities too); NaN stays NaN.
uint8_t encode_fp8(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  auto sign = static_cast<uint8_t>((bits >> 24) & 0x80);
  bits &= 0x7FFFFFFFu;
  if (bits > 0x7F800000u) {
    return sign | 0x7F;
  }
  uint8_t mag;
  if (bits >= 0x43E80000u) {  // 464 and above round past 448
    mag = 0x7E;
  } else if (bits < (121u << 23)) {
    // Below 2^-6 the steps are 2^-9: adding 2^14 (whose ulp is 2^-9) rounds to nearest even.
    float a;
    std::memcpy(&a, &bits, 4);
    float shifted = a + 16384.0f;
    uint32_t sb;
    std::memcpy(&sb, &shifted, 4);
    mag = static_cast<uint8_t>(sb - (141u << 23));
  } else {
    // Rebias the exponent (127 -> 7) and round the mantissa to 3 bits, ties to even.
    uint32_t odd = (bits >> 20) & 1;
    mag =
        static_cast<uint8_t>((bits + (static_cast<uint32_t>(7 - 127) << 23) + 0x7FFFF + odd) >> 20);
  }
  return sign | mag;
}

float decode_fp8_exact(uint8_t v) {
  int exp = (v >> 3) & 0xF;
  int mant = v & 7;
  float mag;
  if (exp == 0xF && mant == 7) {
    mag = std::numeric_limits<float>::quiet_NaN();
  } else if (exp == 0) {
    mag = std::ldexp(static_cast<float>(mant), -9);
  } else {
    mag = std::ldexp(static_cast<float>(8 + mant), exp - 10);
  }
  return (v & 0x80) ? -mag : mag;
}

const std::array<float, 256>& fp8_table() {
  static const auto table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i) t[i] = decode_fp8_exact(static_cast<uint8_t>(i));
    return t;
  }();
  return table;
}

// E2M1, rounding to nearest even (the thresholds are the midpoints), keeping the sign.
uint8_t encode_fp4(float x) {
  if (std::isnan(x)) {
    return 0x7;
  }
  uint8_t sign = std::signbit(x) ? 0x8 : 0x0;
  float a = std::abs(x);
  uint8_t code = a > 5.0f     ? 7
                 : a >= 3.5f  ? 6
                 : a > 2.5f   ? 5
                 : a >= 1.75f ? 4
                 : a > 1.25f  ? 3
                 : a >= 0.75f ? 2
                 : a > 0.25f  ? 1
                              : 0;
  return code | sign;
}

// E8M0: a power of two 2^(v - 127); 255 is NaN.
const std::array<float, 256>& e8m0_table() {
  static const auto table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 255; ++i) t[i] = std::ldexp(1.0f, i - 127);
    t[255] = std::numeric_limits<float>::quiet_NaN();
    return t;
  }();
  return table;
}

// ---- conversions and layout ----

// v rounded to dtype (for the 16-bit floats) and back.
float round_as(Dtype dtype, float v) {
  if (dtype == float16) {
    return static_cast<float>(float16_t(v));
  }
  if (dtype == bfloat16) {
    return static_cast<float>(bfloat16_t(v));
  }
  return v;
}

void to_float(const void* src, Dtype dtype, size_t n, float* dst) {
  if (dtype == float32) {
    std::memcpy(dst, src, n * sizeof(float));
    return;
  }
  const void* in[1] = {src};
  cpu::convert_kernel(dtype, float32)(in, dst, n);
}

void from_float(const float* src, Dtype dtype, size_t n, void* dst) {
  const void* in[1] = {src};
  cpu::convert_kernel(float32, dtype)(in, dst, n);
}

// a itself when row-contiguous, else a row-contiguous copy.
array as_row_contiguous(const array& a) {
  if (a.flags().row_contiguous) {
    return a;
  }
  array c(a.shape(), a.dtype(), nullptr, {});
  cpu::copy_to_contiguous(a, c);
  return c;
}

// a, or a copy when its matrices (last two dims) are not each row-contiguous.
array matrices_contiguous(const array& a) {
  int nd = static_cast<int>(a.ndim());
  bool inner = a.shape(-1) == 1 || a.strides()[nd - 1] == 1;
  bool outer = a.shape(-2) == 1 || a.strides()[nd - 2] == a.shape(-1);
  return inner && outer ? a : as_row_contiguous(a);
}

// The element offset of matrix i of a's batch (all dims but the last two).
int64_t batch_offset(const array& a, size_t i) {
  int64_t off = 0;
  for (int d = static_cast<int>(a.ndim()) - 3; d >= 0 && i > 0; --d) {
    auto n = static_cast<size_t>(a.shape(d));
    off += static_cast<int64_t>(i % n) * a.strides()[d];
    i /= n;
  }
  return off;
}

// Grain in rows for a row loop touching `cols` elements per row.
size_t row_grain(size_t cols) {
  return std::max<size_t>(1, cpu::kElementwiseGrain / std::max<size_t>(cols, 1));
}

// ---- packing ----

// The n codes (a multiple of 8) starting at `p`: every 8 codes fill `bits` bytes.
void unpack(const uint8_t* p, int bits, size_t n, uint32_t* codes) {
  const uint32_t mask = (1u << bits) - 1;
  for (size_t i = 0; i < n; i += 8, p += bits) {
    uint64_t v = 0;
    std::memcpy(&v, p, static_cast<size_t>(bits));
    for (int j = 0; j < 8; ++j) {
      codes[i + j] = static_cast<uint32_t>(v >> (j * bits)) & mask;
    }
  }
}

void pack(const uint32_t* codes, int bits, size_t n, uint8_t* p) {
  for (size_t i = 0; i < n; i += 8, p += bits) {
    uint64_t v = 0;
    for (int j = 0; j < 8; ++j) {
      v |= static_cast<uint64_t>(codes[i + j]) << (j * bits);
    }
    std::memcpy(p, &v, static_cast<size_t>(bits));
  }
}

// What a kernel needs to know about the quantization.
struct QSpec {
  int group_size;
  int bits;
  QuantMode mode;
  float global = 1.0f;  // nvfp4: the global scale over kNvfp4Range, else 1
};

float global_factor(const std::vector<array>& inputs, size_t index) {
  if (inputs.size() <= index) {
    return 1.0f;
  }
  return inputs[index].data<float>()[0] / kNvfp4Range;
}

// The scales of `rows` rows as float32 (affine: of dtype `dtype`; fp modes: decoded).
void decode_scales(const void* src, Dtype dtype, size_t n, const QSpec& q, float* dst) {
  if (q.mode == QuantMode::Affine) {
    to_float(src, dtype, n, dst);
    return;
  }
  auto* bytes = static_cast<const uint8_t*>(src);
  const auto& table = q.mode == QuantMode::Nvfp4 ? fp8_table() : e8m0_table();
  for (size_t i = 0; i < n; ++i) {
    dst[i] = table[bytes[i]] * q.global;
  }
}

// One dequantized row of `cols` values from its codes, scales and biases (float32), rounded as
// MLX rounds in `dtype`: affine computes (q * s) + b in the scales' dtype.
void dequantize_row(const uint8_t* w, const float* s, const float* b, size_t cols, const QSpec& q,
                    Dtype dtype, uint32_t* codes, float* out) {
  unpack(w, q.bits, cols, codes);
  const size_t gs = q.group_size;
  if (q.mode == QuantMode::Affine) {
    bool exact = dtype == float32 || dtype == float64;
    for (size_t g = 0; g < cols / gs; ++g) {
      for (size_t i = g * gs; i < (g + 1) * gs; ++i) {
        float v = static_cast<float>(codes[i]) * s[g];
        out[i] = exact ? v + b[g] : round_as(dtype, round_as(dtype, v) + b[g]);
      }
    }
    return;
  }
  const float* values = q.bits == 4 ? kFp4Values.data() : fp8_table().data();
  for (size_t i = 0; i < cols; ++i) {
    out[i] = values[codes[i]] * s[i / gs];
  }
}

// ---- quantize ----

// One row of `cols` float32 values: packs its codes into `wq` and writes its scales (float32,
// or the encoded bytes of the fp modes) and biases. `dtype` is w's: MLX computes the fp modes'
// scales and scaled values in it.
void quantize_row(const float* w, size_t cols, const QSpec& q, Dtype dtype, uint32_t* codes,
                  uint8_t* wq, float* scales, float* biases, uint8_t* scale_bytes) {
  const size_t gs = q.group_size;
  for (size_t g = 0; g < cols / gs; ++g) {
    const float* v = w + g * gs;
    uint32_t* c = codes + g * gs;
    if (q.mode == QuantMode::Affine) {
      const float n_bins = static_cast<float>((1 << q.bits) - 1);
      float lo = v[0];
      float hi = v[0];
      for (size_t i = 1; i < gs; ++i) {
        lo = std::min(lo, v[i]);
        hi = std::max(hi, v[i]);
      }
      // The edge of larger magnitude is hit exactly: scale and bias are chosen so that it
      // dequantizes to itself, and zero stays near a code.
      bool min_edge = std::abs(lo) > std::abs(hi);
      float scale = std::max((hi - lo) / n_bins, 1e-7f);
      scale = min_edge ? scale : -scale;
      float edge = min_edge ? lo : hi;
      float q0 = std::rint(edge / scale);
      float bias = 0.0f;
      if (q0 != 0.0f) {
        scale = edge / q0;
        bias = edge;
      }
      for (size_t i = 0; i < gs; ++i) {
        // NaN (from NaN or infinite inputs) gives code 0 rather than an undefined conversion.
        float code = std::rint((v[i] - bias) / scale);
        c[i] = code > 0.0f ? static_cast<uint32_t>(std::min(code, n_bins)) : 0;
      }
      scales[g] = scale;
      biases[g] = bias;
      continue;
    }
    float amax = 0.0f;
    for (size_t i = 0; i < gs; ++i) amax = std::max(amax, std::abs(v[i]));
    float scale = round_as(dtype, amax / (q.bits == 4 ? 6.0f : 448.0f));
    float step;  // the value one unit of code stands for
    if (q.mode == QuantMode::Nvfp4) {
      uint8_t s8 = encode_fp8(round_as(dtype, scale / q.global));
      scale_bytes[g] = s8;
      step = round_as(dtype, fp8_table()[s8] * q.global);
    } else {
      int e = 0;
      if (scale != 0.0f) {
        float l = round_as(dtype, std::log2(scale));
        e = std::isfinite(l) ? static_cast<int>(std::clamp(std::nearbyint(l), -127.0f, 127.0f))
                             : (l > 0 ? 128 : -127);
      }
      scale_bytes[g] = static_cast<uint8_t>(e + 127);
      step = std::ldexp(1.0f, e);
    }
    for (size_t i = 0; i < gs; ++i) {
      float x = step == 0.0f ? 0.0f : round_as(dtype, v[i] / step);
      c[i] = q.bits == 4 ? encode_fp4(x) : encode_fp8(x);
    }
  }
  pack(codes, q.bits, cols, wq);
}

// ---- products ----

// One packed matrix with its scales and biases: `rows` packed rows of `cols` codes.
struct QMatrix {
  const uint8_t* w;
  const void* scales;
  const void* biases;  // affine only
  Dtype dtype;         // of scales and biases (affine)
  size_t rows, cols;
};

size_t row_bytes(const QMatrix& m, const QSpec& q) { return m.cols * q.bits / 8; }

// out (M x N, float32) = x (M x K, float32) @ w^T, w's rows being the N output columns.
void qmv(const float* x, size_t m_rows, const QMatrix& w, const QSpec& q, float* out) {
  const size_t k = w.cols;
  const size_t n = w.rows;
  const size_t gs = q.group_size;
  const size_t groups = k / gs;
  bool affine = q.mode == QuantMode::Affine;
  // Group sums of x, for the biases.
  std::vector<float> xsum(affine ? m_rows * groups : 0);
  for (size_t i = 0; i < xsum.size(); ++i) {
    const float* p = x + i * gs;
    float s = 0.0f;
    for (size_t j = 0; j < gs; ++j) s += p[j];
    xsum[i] = s;
  }
  cpu::QDotKernel simd{};
  if (affine) {
    simd = cpu::qdot_simd_kernel(q.bits, k * q.bits / 32);
  }
  std::vector<float> xp;
  if (simd.fn) {
    xp.resize(m_rows * k);
    for (size_t m = 0; m < m_rows; ++m) {
      cpu::qdot_permute(x + m * k, xp.data() + m * k, k, q.bits, simd.lanes);
    }
  }
  const size_t rb = row_bytes(w, q);
  const size_t sb = groups * size_of(w.dtype);  // uint8 in the fp modes
  auto chunk = [&](size_t begin, size_t end) {
    const size_t rows = end - begin;
    // float32 scales and biases are read in place; others are converted for the chunk.
    const bool in_place = affine && w.dtype == float32;
    std::vector<float> s(in_place ? 0 : rows * groups);
    std::vector<float> b(affine && !in_place ? rows * groups : 0);
    const float* sp = in_place ? static_cast<const float*>(w.scales) + begin * groups : s.data();
    const float* bp = in_place ? static_cast<const float*>(w.biases) + begin * groups : b.data();
    if (!in_place) {
      decode_scales(static_cast<const uint8_t*>(w.scales) + begin * sb, w.dtype, rows * groups, q,
                    s.data());
      if (affine) {
        to_float(static_cast<const uint8_t*>(w.biases) + begin * sb, w.dtype, rows * groups,
                 b.data());
      }
    }
    if (simd.fn) {
      simd.fn(reinterpret_cast<const uint32_t*>(w.w + begin * rb), rb / 4, sp,
              affine ? bp : nullptr, rows, xp.data(), xsum.data(), m_rows, gs, out + begin, n);
      return;
    }
    std::vector<uint32_t> codes(k);
    std::vector<float> vals(k);
    const float* lut = q.bits == 4 ? kFp4Values.data() : fp8_table().data();
    for (size_t r = 0; r < rows; ++r) {
      unpack(w.w + (begin + r) * rb, q.bits, k, codes.data());
      for (size_t i = 0; i < k; ++i) {
        vals[i] = affine ? static_cast<float>(codes[i]) : lut[codes[i]];
      }
      for (size_t m = 0; m < m_rows; ++m) {
        const float* xm = x + m * k;
        float total = 0.0f;
        for (size_t g = 0; g < groups; ++g) {
          float acc[8] = {};
          for (size_t i = g * gs; i < (g + 1) * gs; i += 8) {
            for (int j = 0; j < 8; ++j) acc[j] += vals[i + j] * xm[i + j];
          }
          float dot =
              ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
          total += sp[r * groups + g] * dot;
          if (affine) {
            total += bp[r * groups + g] * xsum[m * groups + g];
          }
        }
        out[m * n + begin + r] = total;
      }
    }
  };
  cpu::parallel_for(n, std::max<size_t>(4, (size_t(1) << 16) / std::max<size_t>(k, 1)), chunk);
}

// Dequantizes rows [begin, end) of w to float32 (row-major, cols per row) on the pool.
void dequantize_rows(const QMatrix& w, const QSpec& q, size_t begin, size_t end, float* dst) {
  const size_t groups = w.cols / q.group_size;
  const size_t rb = row_bytes(w, q);
  bool affine = q.mode == QuantMode::Affine;
  const size_t sb = affine ? groups * size_of(w.dtype) : groups;
  cpu::parallel_for(end - begin, row_grain(w.cols), [&](size_t b0, size_t b1) {
    std::vector<uint32_t> codes(w.cols);
    std::vector<float> s(groups), b(affine ? groups : 0);
    for (size_t r = begin + b0; r < begin + b1; ++r) {
      decode_scales(static_cast<const uint8_t*>(w.scales) + r * sb, w.dtype, groups, q, s.data());
      if (affine) {
        to_float(static_cast<const uint8_t*>(w.biases) + r * sb, w.dtype, groups, b.data());
      }
      dequantize_row(w.w + r * rb, s.data(), b.data(), w.cols, q, float32, codes.data(),
                     dst + (r - begin) * w.cols);
    }
  });
}

// out (M x N, float32) = x (M x K, float32) @ op(dequantize(w)), by tiles of w's rows and sgemm.
void qmm_gemm(const float* x, size_t m_rows, const QMatrix& w, const QSpec& q, bool transpose,
              float* out) {
  const size_t k = transpose ? w.cols : w.rows;
  const size_t n = transpose ? w.rows : w.cols;
  // About 1 MB of float32 per tile: in cache for the GEMM, and wide enough for it to be fast.
  const size_t tile = std::max<size_t>(1, std::min(w.rows, (size_t(1) << 18) / w.cols));
  std::vector<float> buf(tile * w.cols);
  cpu::BlasThreads blas(cpu::blas_threads_for(m_rows * k * n));
  const int m = static_cast<int>(m_rows);
  for (size_t r0 = 0; r0 < w.rows; r0 += tile) {
    size_t r1 = std::min(w.rows, r0 + tile);
    int tr = static_cast<int>(r1 - r0);
    dequantize_rows(w, q, r0, r1, buf.data());
    if (transpose) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, tr, static_cast<int>(k), 1.0f, x,
                  static_cast<int>(k), buf.data(), static_cast<int>(k), 0.0f, out + r0,
                  static_cast<int>(n));
    } else {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, static_cast<int>(n), tr, 1.0f,
                  x + r0, static_cast<int>(k), buf.data(), static_cast<int>(n),
                  r0 == 0 ? 0.0f : 1.0f, out, static_cast<int>(n));
    }
  }
}

// out (M x N, of dtype) = x (M x K, of dtype) @ op(dequantize(w)).
void qmm(const void* x, Dtype dtype, size_t m_rows, const QMatrix& w, const QSpec& q,
         bool transpose, void* out) {
  const size_t k = transpose ? w.cols : w.rows;
  const size_t n = transpose ? w.rows : w.cols;
  std::vector<float> xf(dtype == float32 ? 0 : m_rows * k);
  std::vector<float> of(dtype == float32 ? 0 : m_rows * n);
  const float* xp = static_cast<const float*>(x);
  float* op = static_cast<float*>(out);
  if (dtype != float32) {
    to_float(x, dtype, m_rows * k, xf.data());
    xp = xf.data();
    op = of.data();
  }
  if (k == 0) {
    std::fill(op, op + m_rows * n, 0.0f);
  } else if (transpose && m_rows <= kQmvRows) {
    qmv(xp, m_rows, w, q, op);
  } else {
    qmm_gemm(xp, m_rows, w, q, transpose, op);
  }
  if (dtype != float32) {
    from_float(op, dtype, m_rows * n, out);
  }
}

}  // namespace

void Quantize::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto w = as_row_contiguous(inputs[0]);
  for (auto& o : outputs) {
    o.set_data(allocator::malloc(o.nbytes()));
  }
  QSpec q{group_size(), bits(), mode()};
  if (inputs.size() > 1) {
    q.global = inputs[1].data<float>()[0] / kNvfp4Range;
  }
  const size_t cols = w.shape(-1);
  if (w.size() == 0) {
    return;
  }
  const size_t rows = w.size() / cols;
  const size_t groups = cols / q.group_size;
  const Dtype dtype = w.dtype();
  bool affine = q.mode == QuantMode::Affine;
  const size_t sb = affine ? groups * size_of(dtype) : groups;
  auto* wq = outputs[0].data<uint8_t>();
  auto* scales = outputs[1].data<uint8_t>();
  auto* biases = affine ? outputs[2].data<uint8_t>() : nullptr;
  const auto* src = w.data<uint8_t>();
  cpu::parallel_for(rows, row_grain(cols), [&](size_t begin, size_t end) {
    std::vector<float> row(cols), s(groups), b(groups);
    std::vector<uint32_t> codes(cols);
    for (size_t r = begin; r < end; ++r) {
      to_float(src + r * cols * size_of(dtype), dtype, cols, row.data());
      quantize_row(row.data(), cols, q, dtype, codes.data(), wq + r * cols * q.bits / 8, s.data(),
                   b.data(), scales + r * sb);
      if (affine) {
        from_float(s.data(), dtype, groups, scales + r * sb);
        from_float(b.data(), dtype, groups, biases + r * sb);
      }
    }
  });
}

void Dequantize::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  auto w = as_row_contiguous(inputs[0]);
  auto scales = as_row_contiguous(inputs[1]);
  bool affine = mode() == QuantMode::Affine;
  std::optional<array> biases;
  QSpec q{group_size(), bits(), mode()};
  if (affine) {
    biases = as_row_contiguous(inputs[2]);
  } else {
    q.global = global_factor(inputs, 2);
  }
  const size_t cols = out.shape(-1);
  const size_t rows = out.size() / cols;
  const size_t groups = cols / q.group_size;
  const Dtype sdtype = scales.dtype();
  const size_t sb = affine ? groups * size_of(sdtype) : groups;
  const size_t rb = cols * q.bits / 8;
  const Dtype odtype = out.dtype();
  auto* dst = out.data<uint8_t>();
  cpu::parallel_for(rows, row_grain(cols), [&](size_t begin, size_t end) {
    std::vector<float> row(cols), s(groups), b(affine ? groups : 0);
    std::vector<uint32_t> codes(cols);
    for (size_t r = begin; r < end; ++r) {
      decode_scales(scales.data<uint8_t>() + r * sb, sdtype, groups, q, s.data());
      if (affine) {
        to_float(biases->data<uint8_t>() + r * sb, sdtype, groups, b.data());
      }
      float* o = odtype == float32 ? reinterpret_cast<float*>(dst) + r * cols : row.data();
      dequantize_row(w.data<uint8_t>() + r * rb, s.data(), b.data(), cols, q, sdtype, codes.data(),
                     o);
      if (odtype != float32) {
        from_float(o, odtype, cols, dst + r * cols * size_of(odtype));
      }
    }
  });
}

void QuantizedMatmul::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  QSpec q{group_size(), bits(), mode()};
  bool affine = mode() == QuantMode::Affine;
  const Dtype dtype = out.dtype();
  const size_t isz = size_of(dtype);
  const size_t n = out.shape(-1);
  const size_t m_rows = out.shape(-2);
  auto make = [&](const array& w, const array& s, const array* b, int64_t wo, int64_t so,
                  int64_t bo) {
    size_t rows = w.shape(-2);
    size_t cols = static_cast<size_t>(w.shape(-1)) * 32 / q.bits;
    return QMatrix{w.data<uint8_t>() + wo * 4,
                   s.data<uint8_t>() + so * size_of(s.dtype()),
                   b ? b->data<uint8_t>() + bo * size_of(b->dtype()) : nullptr,
                   s.dtype(),
                   rows,
                   cols};
  };
  if (inputs[1].ndim() == 2) {
    // One matrix for every row of x: the batch folds into M.
    auto x = as_row_contiguous(inputs[0]);
    auto w = as_row_contiguous(inputs[1]);
    auto s = as_row_contiguous(inputs[2]);
    std::optional<array> b;
    if (affine) b = as_row_contiguous(inputs[3]);
    auto qm = make(w, s, b ? &*b : nullptr, 0, 0, 0);
    qmm(x.data<uint8_t>(), dtype, x.size() / x.shape(-1), qm, q, transpose(), out.data<uint8_t>());
    return;
  }
  auto x = matrices_contiguous(inputs[0]);
  auto w = matrices_contiguous(inputs[1]);
  auto s = matrices_contiguous(inputs[2]);
  std::optional<array> b;
  if (affine) b = matrices_contiguous(inputs[3]);
  const size_t count = out.size() / (m_rows * n);
  for (size_t i = 0; i < count; ++i) {
    auto qm = make(w, s, b ? &*b : nullptr, batch_offset(w, i), batch_offset(s, i),
                   b ? batch_offset(*b, i) : 0);
    qmm(x.data<uint8_t>() + batch_offset(x, i) * isz, dtype, m_rows, qm, q, transpose(),
        out.data<uint8_t>() + i * m_rows * n * isz);
  }
}

void GatherQMM::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  QSpec q{group_size(), bits(), mode()};
  bool affine = mode() == QuantMode::Affine;
  const size_t ni = inputs.size();
  auto x = as_row_contiguous(inputs[0]);
  auto w = as_row_contiguous(inputs[1]);
  auto s = as_row_contiguous(inputs[2]);
  std::optional<array> b;
  if (affine) b = as_row_contiguous(inputs[3]);
  auto lhs = as_row_contiguous(inputs[ni - 2]);
  auto rhs = as_row_contiguous(inputs[ni - 1]);
  const size_t m_rows = x.shape(-2);
  const size_t k = x.shape(-1);
  const size_t n = out.shape(-1);
  const size_t x_count = x.size() / std::max<size_t>(m_rows * k, 1);
  const size_t w_count =
      w.size() / std::max<size_t>(static_cast<size_t>(w.shape(-2)) * w.shape(-1), 1);
  const auto* li = lhs.data<uint32_t>();
  const auto* ri = rhs.data<uint32_t>();
  for (size_t i = 0; i < lhs.size(); ++i) {
    if (li[i] >= x_count || ri[i] >= w_count) {
      std::ostringstream msg;
      bool left = li[i] >= x_count;
      msg << "[gather_qmm] " << (left ? "lhs_indices" : "rhs_indices") << " value "
          << (left ? li[i] : ri[i]) << " is out of range for a batch of "
          << (left ? x_count : w_count) << " matrices.";
      throw std::runtime_error(msg.str());
    }
  }
  if (out.size() == 0) {
    return;
  }
  const Dtype dtype = out.dtype();
  const size_t isz = size_of(dtype);
  const size_t rows = w.shape(-2);
  const size_t cols = static_cast<size_t>(w.shape(-1)) * 32 / q.bits;
  const size_t w_bytes = rows * cols * q.bits / 8;
  const size_t s_elems = s.shape(-2) * static_cast<size_t>(s.shape(-1));
  const size_t s_bytes = s_elems * size_of(s.dtype());
  for (size_t i = 0; i < lhs.size(); ++i) {
    QMatrix qm{w.data<uint8_t>() + ri[i] * w_bytes,
               s.data<uint8_t>() + ri[i] * s_bytes,
               b ? b->data<uint8_t>() + ri[i] * s_bytes : nullptr,
               s.dtype(),
               rows,
               cols};
    qmm(x.data<uint8_t>() + li[i] * m_rows * k * isz, dtype, m_rows, qm, q, transpose(),
        out.data<uint8_t>() + i * m_rows * n * isz);
  }
}

void ConvertFP8::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  const size_t n = out.size();
  if (to_fp8()) {
    array in = inputs[0];
    if (in.dtype() != float32 || !in.flags().row_contiguous) {
      array f(in.shape(), float32, nullptr, {});
      cpu::copy_to_contiguous(in, f);
      in = f;
    }
    const float* src = in.data<float>();
    uint8_t* dst = out.data<uint8_t>();
    cpu::parallel_for(n, cpu::kElementwiseGrain, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) dst[i] = encode_fp8(src[i]);
    });
    return;
  }
  auto in = as_row_contiguous(inputs[0]);
  const uint8_t* src = in.data<uint8_t>();
  const auto& table = fp8_table();
  const Dtype dtype = out.dtype();
  auto* dst = out.data<uint8_t>();
  cpu::parallel_for(n, cpu::kElementwiseGrain, [&](size_t begin, size_t end) {
    std::vector<float> buf(dtype == float32 ? 0 : end - begin);
    float* o = dtype == float32 ? reinterpret_cast<float*>(dst) + begin : buf.data();
    for (size_t i = begin; i < end; ++i) o[i - begin] = table[src[i]];
    if (dtype != float32) {
      from_float(o, dtype, end - begin, dst + begin * size_of(dtype));
    }
  });
}

}  // namespace mlx::core
