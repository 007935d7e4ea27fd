// The fused fast:: kernels on the CPU. Norms: one pass per row (the row is read from memory
// once; its later passes find it in cache), rows spread over the pool, half floats in float32.
// RoPE: the angles of a position (float32, as MLX) are computed once and applied to every head.
// Attention: per (batch, head, block of queries), an online softmax over blocks of keys with
// single-threaded BLAS tiles, so the L x S scores never exist whole; causal blocks past the
// diagonal are skipped. Its vjp recomputes the probabilities per block from the saved log-sum-exp.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/fast.cpp"
#include <hwy/cache_control.h>
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <hwy/contrib/math/math-inl.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "backend/cpu/blas.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/elementwise.h"
#include "backend/cpu/thread_pool.h"
#include "core/dtype_utils.h"
#include "ops/fast.h"

HWY_BEFORE_NAMESPACE();
namespace mlx::core::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// p[i] = exp(p[i] - m) for a finite m (-inf entries give 0); returns their sum.
float ExpSubSum(float* p, size_t n, float m) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto vm = hn::Set(d, m);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    auto e0 = hn::Exp(d, hn::Sub(hn::LoadU(d, p + i), vm));
    auto e1 = hn::Exp(d, hn::Sub(hn::LoadU(d, p + i + N), vm));
    hn::StoreU(e0, d, p + i);
    hn::StoreU(e1, d, p + i + N);
    s0 = hn::Add(s0, e0);
    s1 = hn::Add(s1, e1);
  }
  float s = hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
  for (; i < n; ++i) {
    p[i] = std::exp(p[i] - m);
    s += p[i];
  }
  return s;
}

// The largest of p[0, n) (-inf for n = 0); scores hold no NaN unless the inputs do.
float MaxOf(const float* p, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto a0 = hn::Set(d, -std::numeric_limits<float>::infinity()), a1 = a0;
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    a0 = hn::Max(a0, hn::LoadU(d, p + i));
    a1 = hn::Max(a1, hn::LoadU(d, p + i + N));
  }
  float m = hn::GetLane(hn::MaxOfLanes(d, hn::Max(a0, a1)));
  for (; i < n; ++i) {
    m = std::max(m, p[i]);
  }
  return m;
}

// The sum of p[i]^2.
float SumSquares(const float* p, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    auto x0 = hn::LoadU(d, p + i), x1 = hn::LoadU(d, p + i + N);
    auto x2 = hn::LoadU(d, p + i + 2 * N), x3 = hn::LoadU(d, p + i + 3 * N);
    a0 = hn::MulAdd(x0, x0, a0);
    a1 = hn::MulAdd(x1, x1, a1);
    a2 = hn::MulAdd(x2, x2, a2);
    a3 = hn::MulAdd(x3, x3, a3);
  }
  for (; i + N <= n; i += N) {
    auto x = hn::LoadU(d, p + i);
    a0 = hn::MulAdd(x, x, a0);
  }
  float s = hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(a0, a1), hn::Add(a2, a3))));
  for (; i < n; ++i) {
    s += p[i] * p[i];
  }
  return s;
}

// out[i] = x[i] * r * w[i] (w may be null: no weight). With `stream`, the aligned body is written
// with non-temporal stores: a large output would only evict the rows still to be read, and the
// store misses would cost a read of every output line first.
void ScaleRow(const float* x, const float* w, float r, float* out, size_t n, bool stream) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto vr = hn::Set(d, r);
  auto scaled = [&](size_t i) {
    auto v = hn::Mul(hn::LoadU(d, x + i), vr);
    return w ? hn::Mul(v, hn::LoadU(d, w + i)) : v;
  };
  auto scalar = [&](size_t i) { out[i] = w ? x[i] * r * w[i] : x[i] * r; };
  size_t i = 0;
  if (stream) {
    const size_t align = N * sizeof(float);
    const size_t head =
        std::min(n, (align - reinterpret_cast<uintptr_t>(out) % align) % align / sizeof(float));
    for (; i < head; ++i) {
      scalar(i);
    }
    for (; i + N <= n; i += N) {
      hn::Stream(scaled(i), d, out + i);
    }
    // Streaming stores are weakly ordered: make them visible before the row counts as written.
    hwy::FlushStream();
  } else {
    for (; i + N <= n; i += N) {
      hn::StoreU(scaled(i), d, out + i);
    }
  }
  for (; i < n; ++i) {
    scalar(i);
  }
}

}  // namespace mlx::core::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace mlx::core {

namespace cpu {

HWY_EXPORT(ExpSubSum);
HWY_EXPORT(MaxOf);
HWY_EXPORT(SumSquares);
HWY_EXPORT(ScaleRow);

namespace {

// Rows of at least this many elements per parallel chunk.
constexpr size_t kGrain = size_t{1} << 15;

// `in` row-contiguous with dtype `t`: itself, or a converted copy kept in `tmp`.
const array& dense(const array& in, Dtype t, std::optional<array>& tmp) {
  if (in.flags().row_contiguous && in.dtype() == t) {
    return in;
  }
  tmp.emplace(in.shape(), t, nullptr, std::vector<array>{});
  copy_to_contiguous(in, *tmp);
  return *tmp;
}

// The output buffer: the input's when it may be taken (each row is read before it is written).
void alloc_like(const array& in, array& out) {
  if (in.is_donatable() && in.flags().row_contiguous && in.dtype() == out.dtype() &&
      in.data_size() == in.size()) {
    out.copy_shared_buffer(in);
  } else {
    out.set_data(allocator::malloc(out.nbytes()));
  }
}

template <typename F>
void for_rows(size_t rows, size_t n, F&& f) {
  parallel_for(rows, std::max<size_t>(1, kGrain / std::max<size_t>(n, 1)), f);
}

// Runs f(row_begin, row_end, partial) over blocks of rows, each block with its own zeroed
// partial sums of `width` values, and returns the sum of the partials (for weight cotangents,
// which sum over every row).
template <typename W, typename F>
std::vector<W> rows_with_partials(size_t rows, size_t n, size_t width, F&& f) {
  const size_t per = std::max<size_t>(1, kGrain / std::max<size_t>(n, 1));
  const size_t blocks =
      std::max<size_t>(1, std::min((rows + per - 1) / per, static_cast<size_t>(4 * num_threads())));
  std::vector<W> partial(blocks * width, W(0));
  parallel_for(blocks, 1, [&](size_t bb, size_t be) {
    for (size_t blk = bb; blk < be; ++blk) {
      f(rows * blk / blocks, rows * (blk + 1) / blocks, partial.data() + blk * width);
    }
  });
  std::vector<W> total(width, W(0));
  for (size_t blk = 0; blk < blocks; ++blk) {
    for (size_t i = 0; i < width; ++i) {
      total[i] += partial[blk * width + i];
    }
  }
  return total;
}

template <typename T, typename W>
void write_param(array& out, const std::vector<W>& v) {
  out.set_data(allocator::malloc(out.nbytes()));
  T* p = out.data<T>();
  for (size_t i = 0; i < out.size(); ++i) {
    p[i] = static_cast<T>(out.ndim() == 0 ? W(0) : v[i]);
  }
}

// A weight or bias row as W values, or empty when it is the scalar placeholder.
template <typename T, typename W>
std::vector<W> param_row(const array& p) {
  std::vector<W> v;
  if (p.ndim() == 0) {
    return v;
  }
  std::optional<array> tmp;
  const array& c = dense(p, p.dtype(), tmp);
  v.resize(c.size());
  for (size_t i = 0; i < c.size(); ++i) {
    v[i] = static_cast<W>(c.data<T>()[i]);
  }
  return v;
}

template <typename T>
void rms_norm(const array& x_in, const array& w_in, float eps, array& out) {
  using W = float_work_t<T>;
  std::optional<array> tmp;
  const array& x = dense(x_in, x_in.dtype(), tmp);
  alloc_like(x, out);
  if (out.size() == 0) {
    return;
  }
  const size_t n = x.shape().back();
  const size_t rows = x.size() / n;
  const auto w = param_row<T, W>(w_in);
  const T* src = x.data<T>();
  T* dst = out.data<T>();
  const bool stream = out.nbytes() > kStreamingBytes && static_cast<const void*>(src) != dst;
  for_rows(rows, n, [&](size_t b, size_t e) {
    for (size_t r = b; r < e; ++r) {
      const T* xr = src + r * n;
      T* yr = dst + r * n;
      if constexpr (std::is_same_v<T, float>) {
        float ss = HWY_DYNAMIC_DISPATCH(SumSquares)(xr, n);
        float rs = 1.0f / std::sqrt(ss / n + eps);
        HWY_DYNAMIC_DISPATCH(ScaleRow)(xr, w.empty() ? nullptr : w.data(), rs, yr, n, stream);
      } else {
        W ss = 0;
        for (size_t i = 0; i < n; ++i) {
          W v = static_cast<W>(xr[i]);
          ss += v * v;
        }
        W rs = W(1) / std::sqrt(ss / n + W(eps));
        for (size_t i = 0; i < n; ++i) {
          W v = static_cast<W>(xr[i]) * rs;
          yr[i] = static_cast<T>(w.empty() ? v : v * w[i]);
        }
      }
    }
  });
}

template <typename T>
void rms_norm_vjp(const array& x_in, const array& w_in, const array& g_in, float eps, array& dx_out,
                  array& dw_out) {
  using W = float_work_t<T>;
  std::optional<array> tx, tg;
  const array& x = dense(x_in, x_in.dtype(), tx);
  const array& g = dense(g_in, x_in.dtype(), tg);
  const size_t n = x.ndim() ? x.shape().back() : 1;
  const size_t rows = n ? x.size() / n : 0;
  const auto w = param_row<T, W>(w_in);
  dx_out.set_data(allocator::malloc(dx_out.nbytes()));
  const T* xs = x.data<T>();
  const T* gs = g.data<T>();
  T* dx = dx_out.data<T>();
  auto dw = rows_with_partials<W>(rows, n, w.size(), [&](size_t b, size_t e, W* part) {
    for (size_t r = b; r < e; ++r) {
      const T* xr = xs + r * n;
      const T* gr = gs + r * n;
      W ss = 0, dot = 0;
      for (size_t i = 0; i < n; ++i) {
        W xv = static_cast<W>(xr[i]), gw = static_cast<W>(gr[i]) * (w.empty() ? W(1) : w[i]);
        ss += xv * xv;
        dot += gw * xv;
      }
      const W rs = W(1) / std::sqrt(ss / n + W(eps));
      const W c = rs * rs * rs * dot / n;
      for (size_t i = 0; i < n; ++i) {
        W xv = static_cast<W>(xr[i]), gv = static_cast<W>(gr[i]);
        W gw = gv * (w.empty() ? W(1) : w[i]);
        dx[r * n + i] = static_cast<T>(gw * rs - xv * c);
        if (!w.empty()) {
          part[i] += gv * xv * rs;
        }
      }
    }
  });
  write_param<T>(dw_out, dw);
}

template <typename T>
void layer_norm(const array& x_in, const array& w_in, const array& b_in, float eps, array& out) {
  using W = float_work_t<T>;
  std::optional<array> tmp;
  const array& x = dense(x_in, x_in.dtype(), tmp);
  alloc_like(x, out);
  if (out.size() == 0) {
    return;
  }
  const size_t n = x.shape().back();
  const size_t rows = x.size() / n;
  const auto w = param_row<T, W>(w_in);
  const auto bias = param_row<T, W>(b_in);
  const W b0 = b_in.ndim() == 0 ? static_cast<W>(b_in.data<T>()[0]) : W(0);
  const T* src = x.data<T>();
  T* dst = out.data<T>();
  for_rows(rows, n, [&](size_t b, size_t e) {
    for (size_t r = b; r < e; ++r) {
      const T* xr = src + r * n;
      T* yr = dst + r * n;
      W s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      size_t i = 0;
      for (; i + 4 <= n; i += 4) {
        s0 += static_cast<W>(xr[i]);
        s1 += static_cast<W>(xr[i + 1]);
        s2 += static_cast<W>(xr[i + 2]);
        s3 += static_cast<W>(xr[i + 3]);
      }
      for (; i < n; ++i) {
        s0 += static_cast<W>(xr[i]);
      }
      const W mu = (s0 + s1 + s2 + s3) / n;
      W v0 = 0, v1 = 0, v2 = 0, v3 = 0;
      for (i = 0; i + 4 <= n; i += 4) {
        W a = static_cast<W>(xr[i]) - mu, bb = static_cast<W>(xr[i + 1]) - mu;
        W c = static_cast<W>(xr[i + 2]) - mu, d = static_cast<W>(xr[i + 3]) - mu;
        v0 += a * a;
        v1 += bb * bb;
        v2 += c * c;
        v3 += d * d;
      }
      for (; i < n; ++i) {
        W a = static_cast<W>(xr[i]) - mu;
        v0 += a * a;
      }
      const W rs = W(1) / std::sqrt((v0 + v1 + v2 + v3) / n + W(eps));
      for (i = 0; i < n; ++i) {
        W h = (static_cast<W>(xr[i]) - mu) * rs;
        h = w.empty() ? h : h * w[i];
        yr[i] = static_cast<T>(bias.empty() ? h + b0 : h + bias[i]);
      }
    }
  });
}

template <typename T>
void layer_norm_vjp(const array& x_in, const array& w_in, const array& g_in, float eps,
                    array& dx_out, array& dw_out, array& db_out) {
  using W = float_work_t<T>;
  std::optional<array> tx, tg;
  const array& x = dense(x_in, x_in.dtype(), tx);
  const array& g = dense(g_in, x_in.dtype(), tg);
  const size_t n = x.ndim() ? x.shape().back() : 1;
  const size_t rows = n ? x.size() / n : 0;
  const auto w = param_row<T, W>(w_in);
  dx_out.set_data(allocator::malloc(dx_out.nbytes()));
  const T* xs = x.data<T>();
  const T* gs = g.data<T>();
  T* dx = dx_out.data<T>();
  // Partials: the weight's sums of g h, then the bias's sums of g.
  auto sums = rows_with_partials<W>(rows, n, 2 * n, [&](size_t b, size_t e, W* part) {
    for (size_t r = b; r < e; ++r) {
      const T* xr = xs + r * n;
      const T* gr = gs + r * n;
      W s = 0;
      for (size_t i = 0; i < n; ++i) {
        s += static_cast<W>(xr[i]);
      }
      const W mu = s / n;
      W v = 0, sgw = 0;
      for (size_t i = 0; i < n; ++i) {
        W c = static_cast<W>(xr[i]) - mu;
        v += c * c;
        sgw += static_cast<W>(gr[i]) * (w.empty() ? W(1) : w[i]);
      }
      const W rs = W(1) / std::sqrt(v / n + W(eps));
      W sgwh = 0;
      for (size_t i = 0; i < n; ++i) {
        W h = (static_cast<W>(xr[i]) - mu) * rs;
        sgwh += static_cast<W>(gr[i]) * (w.empty() ? W(1) : w[i]) * h;
      }
      const W mgw = sgw / n, mgwh = sgwh / n;
      for (size_t i = 0; i < n; ++i) {
        W h = (static_cast<W>(xr[i]) - mu) * rs;
        W gv = static_cast<W>(gr[i]);
        W gw = gv * (w.empty() ? W(1) : w[i]);
        dx[r * n + i] = static_cast<T>(rs * (gw - mgw - h * mgwh));
        part[i] += gv * h;
        part[n + i] += gv;
      }
    }
  });
  write_param<T>(dw_out, std::vector<W>(sums.begin(), sums.begin() + n));
  write_param<T>(db_out, std::vector<W>(sums.begin() + n, sums.end()));
}

template <typename T>
void rope(const std::vector<array>& inputs, const fast::RoPE& p, array& out) {
  using W = float_work_t<T>;
  std::optional<array> tmp;
  const array& x = dense(inputs[0], inputs[0].dtype(), tmp);
  alloc_like(x, out);
  if (out.size() == 0) {
    return;
  }
  const int D = x.shape(-1), T_ = x.shape(-2), B = x.shape(0);
  const size_t N = x.size() / (static_cast<size_t>(B) * T_ * D);
  const int half = p.dims() / 2;
  std::optional<array> toff;
  const int32_t* offsets = dense(inputs[1], int32, toff).data<int32_t>();
  const bool per_batch = inputs[1].size() > 1;
  std::vector<float> inv_freq(half);
  if (inputs.size() == 3) {
    std::optional<array> tf;
    const array& f = dense(inputs[2], float32, tf);
    for (int i = 0; i < half; ++i) {
      inv_freq[i] = 1.0f / f.data<float>()[i];
    }
  } else {
    const float step = std::log(p.base()) / half;
    for (int i = 0; i < half; ++i) {
      inv_freq[i] = std::exp(-static_cast<float>(i) * step);
    }
  }
  const float scale = p.scale();
  const bool trad = p.traditional();
  const float sign = p.forward() ? 1.0f : -1.0f;
  const T* src = x.data<T>();
  T* dst = out.data<T>();
  const size_t positions = static_cast<size_t>(B) * T_;
  parallel_for(positions, std::max<size_t>(1, kGrain / (N * D)), [&](size_t b, size_t e) {
    std::vector<W> cs(half), sn(half);
    for (size_t bt = b; bt < e; ++bt) {
      const size_t bi = bt / T_, t = bt % T_;
      const float pos =
          (static_cast<float>(t) + static_cast<float>(offsets[per_batch ? bi : 0])) * scale;
      for (int i = 0; i < half; ++i) {
        const float th = pos * inv_freq[i];
        cs[i] = static_cast<W>(std::cos(th));
        sn[i] = static_cast<W>(sign * std::sin(th));
      }
      for (size_t h = 0; h < N; ++h) {
        const size_t row = ((bi * N + h) * T_ + t) * D;
        const T* xr = src + row;
        T* yr = dst + row;
        for (int i = 0; i < half; ++i) {
          const int i1 = trad ? 2 * i : i, i2 = trad ? 2 * i + 1 : i + half;
          const W a = static_cast<W>(xr[i1]), c = static_cast<W>(xr[i2]);
          const W y1 = a * cs[i] - c * sn[i], y2 = a * sn[i] + c * cs[i];
          yr[i1] = static_cast<T>(y1);
          yr[i2] = static_cast<T>(y2);
        }
        if (xr != yr) {
          std::copy(xr + p.dims(), xr + D, yr + p.dims());
        }
      }
    }
  });
}

// ---- attention ----

void gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n,
              k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm(bool ta, bool tb, int m, int n, int k, double alpha, const double* a, int lda,
          const double* b, int ldb, double beta, double* c, int ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n,
              k, alpha, a, lda, b, ldb, beta, c, ldc);
}

template <typename W>
W exp_sub_sum(W* p, size_t n, W m) {
  if constexpr (std::is_same_v<W, float>) {
    return HWY_DYNAMIC_DISPATCH(ExpSubSum)(p, n, m);
  } else {
    W s = 0;
    for (size_t i = 0; i < n; ++i) {
      p[i] = std::exp(p[i] - m);
      s += p[i];
    }
    return s;
  }
}

constexpr int kBlockQ = 64;
constexpr int kBlockK = 1024;

// Shapes and the mask of one attention call; q, k, v are row-contiguous of the work type.
template <typename W>
struct Attention {
  const W* q;
  const W* k;
  const W* v;
  int B, Hq, Hk, L, S, D, Dv;
  W scale;
  bool causal;
  const array* mask;  // broadcast to (B, Hq, L, S), bool or additive; null when none
  std::vector<W> sinks;

  // Keys [0, end) that any of the rows [i0, i0 + rows) may see.
  int key_end(int i0, int rows) const { return causal ? std::clamp(i0 + rows + S - L, 0, S) : S; }

  // Masks scores s (rows x n, leading dimension ld) of queries i0.. against keys j0..: masked
  // entries become -inf, additive masks are added.
  void apply_mask(W* s, int ld, int b, int h, int i0, int rows, int j0, int n) const {
    if (causal) {
      for (int r = 0; r < rows; ++r) {
        const int first = std::max(0, i0 + r + S - L + 1 - j0);
        std::fill(s + r * ld + std::min(first, n), s + r * ld + n,
                  -std::numeric_limits<W>::infinity());
      }
    }
    if (!mask) {
      return;
    }
    const auto& st = mask->strides();
    dispatch_dtype(mask->dtype(), [&](auto tag) {
      using M = typename decltype(tag)::type;
      if constexpr (std::is_same_v<M, bool> || std::is_floating_point_v<M> ||
                    std::is_same_v<M, float16_t> || std::is_same_v<M, bfloat16_t>) {
        const M* base = mask->data<M>() + b * st[0] + h * st[1];
        for (int r = 0; r < rows; ++r) {
          const M* mr = base + (i0 + r) * st[2] + j0 * st[3];
          W* sr = s + r * ld;
          for (int j = 0; j < n; ++j) {
            if constexpr (std::is_same_v<M, bool>) {
              if (!mr[j * st[3]]) {
                sr[j] = -std::numeric_limits<W>::infinity();
              }
            } else {
              sr[j] += static_cast<W>(mr[j * st[3]]);
            }
          }
        }
      }
    });
  }
};

// One block of query rows of one head: out rows (rows x Dv, W) and each row's log-sum-exp.
// A row with no visible key (no sinks) averages all values, as the composition (which fills
// masked scores with the lowest finite value) does; its log-sum-exp is -inf.
template <typename W>
void attention_block(const Attention<W>& a, int b, int h, int i0, int rows, W* o, W* lse,
                     std::vector<W>& scores) {
  const int hk = h / (a.Hq / a.Hk);
  const W* Q = a.q + ((static_cast<size_t>(b) * a.Hq + h) * a.L + i0) * a.D;
  const W* K = a.k + (static_cast<size_t>(b) * a.Hk + hk) * a.S * a.D;
  const W* V = a.v + (static_cast<size_t>(b) * a.Hk + hk) * a.S * a.Dv;
  const W ninf = -std::numeric_limits<W>::infinity();
  W m[kBlockQ], l[kBlockQ];
  for (int r = 0; r < rows; ++r) {
    m[r] = a.sinks.empty() ? ninf : a.sinks[h];
    l[r] = a.sinks.empty() ? W(0) : W(1);
  }
  std::fill(o, o + static_cast<size_t>(rows) * a.Dv, W(0));
  const int end = a.key_end(i0, rows);
  W* s = scores.data();
  for (int j0 = 0; j0 < end; j0 += kBlockK) {
    const int n = std::min(kBlockK, end - j0);
    gemm(false, true, rows, n, a.D, a.scale, Q, a.D, K + static_cast<size_t>(j0) * a.D, a.D, W(0),
         s, kBlockK);
    a.apply_mask(s, kBlockK, b, h, i0, rows, j0, n);
    for (int r = 0; r < rows; ++r) {
      W* sr = s + r * kBlockK;
      W mx = ninf;
      if constexpr (std::is_same_v<W, float>) {
        mx = HWY_DYNAMIC_DISPATCH(MaxOf)(sr, n);
      } else {
        for (int j = 0; j < n; ++j) {
          mx = std::max(mx, sr[j]);
        }
      }
      const W mnew = std::max(m[r], mx);
      if (mnew == ninf) {
        std::fill(sr, sr + n, W(0));
        continue;
      }
      const W corr = std::exp(m[r] - mnew);
      l[r] = l[r] * corr + exp_sub_sum(sr, n, mnew);
      m[r] = mnew;
      if (corr != W(1)) {
        W* orow = o + static_cast<size_t>(r) * a.Dv;
        for (int d = 0; d < a.Dv; ++d) {
          orow[d] *= corr;
        }
      }
    }
    gemm(false, false, rows, a.Dv, n, W(1), s, kBlockK, V + static_cast<size_t>(j0) * a.Dv, a.Dv,
         W(1), o, a.Dv);
  }
  for (int r = 0; r < rows; ++r) {
    W* orow = o + static_cast<size_t>(r) * a.Dv;
    if (l[r] == W(0)) {
      for (int j = 0; j < a.S; ++j) {
        for (int d = 0; d < a.Dv; ++d) {
          orow[d] += V[static_cast<size_t>(j) * a.Dv + d];
        }
      }
      for (int d = 0; d < a.Dv; ++d) {
        orow[d] /= a.S;
      }
      lse[r] = ninf;
      continue;
    }
    const W inv = W(1) / l[r];
    for (int d = 0; d < a.Dv; ++d) {
      orow[d] *= inv;
    }
    lse[r] = m[r] + std::log(l[r]);
  }
}

template <typename T>
std::vector<float_work_t<T>> sinks_of(const std::vector<array>& inputs, bool has_sinks) {
  std::vector<float_work_t<T>> out;
  if (has_sinks) {
    out = param_row<T, float_work_t<T>>(inputs[3 + (inputs.size() > 4 ? 1 : 0)]);
  }
  return out;
}

// The attention problem of dense q, k, v (batch, heads, tokens, dim) for the forward primitive
// or its vjp (both hold the scale, the causal flag and whether sinks follow the inputs).
template <typename T, typename P>
Attention<float_work_t<T>> attention_of(const array& q, const array& k, const array& v, const P& p,
                                        const array* mask, const std::vector<array>& inputs) {
  return {q.data<float_work_t<T>>(),
          k.data<float_work_t<T>>(),
          v.data<float_work_t<T>>(),
          q.shape(0),
          q.shape(1),
          k.shape(1),
          q.shape(2),
          k.shape(2),
          q.shape(3),
          v.shape(3),
          float_work_t<T>(p.scale()),
          p.causal(),
          mask,
          sinks_of<T>(inputs, p.has_sinks())};
}

template <typename T>
void attention(const std::vector<array>& inputs, const fast::ScaledDotProductAttention& p,
               std::vector<array>& outputs) {
  using W = float_work_t<T>;
  constexpr Dtype wt = std::is_same_v<W, double> ? float64 : float32;
  std::optional<array> tq, tk, tv;
  const array& q = dense(inputs[0], wt, tq);
  const array& k = dense(inputs[1], wt, tk);
  const array& v = dense(inputs[2], wt, tv);
  const bool has_mask = inputs.size() > 3 + (p.has_sinks() ? 1 : 0);
  auto a = attention_of<T>(q, k, v, p, has_mask ? &inputs[3] : nullptr, inputs);
  array& out = outputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  W* lse_out = nullptr;
  if (outputs.size() > 1) {
    outputs[1].set_data(allocator::malloc(outputs[1].nbytes()));
    lse_out = outputs[1].data<W>();
  }
  if (out.size() == 0) {
    return;
  }
  const int qblocks = (a.L + kBlockQ - 1) / kBlockQ;
  const size_t tasks = static_cast<size_t>(a.B) * a.Hq * qblocks;
  T* dst = out.data<T>();
  BlasThreads blas(1);
  parallel_for(tasks, 1, [&](size_t tb, size_t te) {
    // Kept per thread: chunks are small and fresh large buffers would fault in new pages.
    thread_local std::vector<W> scores, obuf;
    scores.resize(static_cast<size_t>(kBlockQ) * kBlockK);
    obuf.resize(static_cast<size_t>(kBlockQ) * a.Dv);
    W lse[kBlockQ];
    for (size_t t = tb; t < te; ++t) {
      // The longest (latest) causal blocks first, so that the short ones fill in at the end.
      const int qb = qblocks - 1 - static_cast<int>(t % qblocks);
      const int bh = static_cast<int>(t / qblocks);
      const int b = bh / a.Hq, h = bh % a.Hq;
      const int i0 = qb * kBlockQ, rows = std::min(kBlockQ, a.L - i0);
      attention_block(a, b, h, i0, rows, obuf.data(), lse, scores);
      const size_t row0 = static_cast<size_t>(bh) * a.L + i0;
      for (size_t i = 0; i < static_cast<size_t>(rows) * a.Dv; ++i) {
        dst[row0 * a.Dv + i] = static_cast<T>(obuf[i]);
      }
      if (lse_out) {
        std::copy(lse, lse + rows, lse_out + row0);
      }
    }
  });
}

// The vjp per (batch, kv head): for each of its query heads and query blocks, the scores are
// recomputed per key block, P = exp(s - lse), dP = dO v^T, dS = P (dP - rowsum(dO o)); then
// dq += scale dS k, dk += scale dS^T q, dv += P^T dO. dk and dv belong to the task alone.
template <typename T>
void attention_vjp(const std::vector<array>& inputs, const fast::ScaledDotProductAttentionVJP& p,
                   std::vector<array>& outputs) {
  using W = float_work_t<T>;
  constexpr Dtype wt = std::is_same_v<W, double> ? float64 : float32;
  const size_t nin = inputs.size();
  std::optional<array> tq, tk, tv, to, tl, tg;
  const array& q = dense(inputs[0], wt, tq);
  const array& k = dense(inputs[1], wt, tk);
  const array& v = dense(inputs[2], wt, tv);
  const array& o = dense(inputs[nin - 3], wt, to);
  const array& lse_a = dense(inputs[nin - 2], wt, tl);
  const array& g = dense(inputs[nin - 1], wt, tg);
  const bool has_mask = nin - 3 > 3 + (p.has_sinks() ? 1 : 0);
  std::vector<array> fwd(inputs.begin(), inputs.end() - 3);
  auto a = attention_of<T>(q, k, v, p, has_mask ? &inputs[3] : nullptr, fwd);
  for (auto& out : outputs) {
    out.set_data(allocator::malloc(out.nbytes()));
  }
  const int rep = a.Hq / a.Hk;
  const W* lse = lse_a.data<W>();
  const W* O = o.data<W>();
  const W* G = g.data<W>();
  BlasThreads blas(1);
  parallel_for(static_cast<size_t>(a.B) * a.Hk, 1, [&](size_t tb, size_t te) {
    std::vector<W> P(static_cast<size_t>(kBlockQ) * kBlockK), dS(P.size());
    std::vector<W> dq(static_cast<size_t>(kBlockQ) * a.D);
    std::vector<W> dk(static_cast<size_t>(a.S) * a.D), dv(static_cast<size_t>(a.S) * a.Dv);
    for (size_t t = tb; t < te; ++t) {
      const int b = static_cast<int>(t) / a.Hk, hk = static_cast<int>(t) % a.Hk;
      std::fill(dk.begin(), dk.end(), W(0));
      std::fill(dv.begin(), dv.end(), W(0));
      const W* K = a.k + (static_cast<size_t>(b) * a.Hk + hk) * a.S * a.D;
      const W* V = a.v + (static_cast<size_t>(b) * a.Hk + hk) * a.S * a.Dv;
      for (int h = hk * rep; h < (hk + 1) * rep; ++h) {
        const size_t bh = static_cast<size_t>(b) * a.Hq + h;
        for (int i0 = 0; i0 < a.L; i0 += kBlockQ) {
          const int rows = std::min(kBlockQ, a.L - i0);
          const W* Q = a.q + (bh * a.L + i0) * a.D;
          const W* Ob = O + (bh * a.L + i0) * a.Dv;
          const W* Gb = G + (bh * a.L + i0) * a.Dv;
          const W* Lb = lse + bh * a.L + i0;
          W delta[kBlockQ];
          for (int r = 0; r < rows; ++r) {
            W s = 0;
            for (int d = 0; d < a.Dv; ++d) {
              s += Gb[r * a.Dv + d] * Ob[r * a.Dv + d];
            }
            delta[r] = s;
            // A row that saw no key averaged the values: only they get a cotangent.
            if (Lb[r] == -std::numeric_limits<W>::infinity()) {
              for (int j = 0; j < a.S; ++j) {
                for (int d = 0; d < a.Dv; ++d) {
                  dv[static_cast<size_t>(j) * a.Dv + d] += Gb[r * a.Dv + d] / a.S;
                }
              }
            }
          }
          std::fill(dq.begin(), dq.end(), W(0));
          const int end = a.key_end(i0, rows);
          for (int j0 = 0; j0 < end; j0 += kBlockK) {
            const int n = std::min(kBlockK, end - j0);
            gemm(false, true, rows, n, a.D, a.scale, Q, a.D, K + static_cast<size_t>(j0) * a.D, a.D,
                 W(0), P.data(), kBlockK);
            a.apply_mask(P.data(), kBlockK, b, h, i0, rows, j0, n);
            for (int r = 0; r < rows; ++r) {
              W* pr = P.data() + r * kBlockK;
              if (Lb[r] == -std::numeric_limits<W>::infinity()) {
                std::fill(pr, pr + n, W(0));
              } else {
                exp_sub_sum(pr, n, Lb[r]);
              }
            }
            gemm(false, true, rows, n, a.Dv, W(1), Gb, a.Dv, V + static_cast<size_t>(j0) * a.Dv,
                 a.Dv, W(0), dS.data(), kBlockK);
            for (int r = 0; r < rows; ++r) {
              for (int j = 0; j < n; ++j) {
                dS[r * kBlockK + j] = P[r * kBlockK + j] * (dS[r * kBlockK + j] - delta[r]);
              }
            }
            gemm(false, false, rows, a.D, n, a.scale, dS.data(), kBlockK,
                 K + static_cast<size_t>(j0) * a.D, a.D, W(1), dq.data(), a.D);
            gemm(true, false, n, a.D, rows, a.scale, dS.data(), kBlockK, Q, a.D, W(1),
                 dk.data() + static_cast<size_t>(j0) * a.D, a.D);
            gemm(true, false, n, a.Dv, rows, W(1), P.data(), kBlockK, Gb, a.Dv, W(1),
                 dv.data() + static_cast<size_t>(j0) * a.Dv, a.Dv);
          }
          T* dqo = outputs[0].data<T>() + (bh * a.L + i0) * a.D;
          for (size_t i = 0; i < static_cast<size_t>(rows) * a.D; ++i) {
            dqo[i] = static_cast<T>(dq[i]);
          }
        }
      }
      T* dko = outputs[1].data<T>() + t * a.S * a.D;
      T* dvo = outputs[2].data<T>() + t * a.S * a.Dv;
      for (size_t i = 0; i < dk.size(); ++i) {
        dko[i] = static_cast<T>(dk[i]);
      }
      for (size_t i = 0; i < dv.size(); ++i) {
        dvo[i] = static_cast<T>(dv[i]);
      }
    }
  });
}

}  // namespace

}  // namespace cpu

namespace fast {

void RMSNorm::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  dispatch_float(inputs[0].dtype(), name(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::rms_norm<T>(inputs[0], inputs[1], eps(), outputs[0]);
  });
}

void RMSNormVJP::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  dispatch_float(inputs[0].dtype(), name(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::rms_norm_vjp<T>(inputs[0], inputs[1], inputs[2], eps(), outputs[0], outputs[1]);
  });
}

void LayerNorm::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  dispatch_float(inputs[0].dtype(), name(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::layer_norm<T>(inputs[0], inputs[1], inputs[2], eps(), outputs[0]);
  });
}

void LayerNormVJP::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  dispatch_float(inputs[0].dtype(), name(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::layer_norm_vjp<T>(inputs[0], inputs[1], inputs[3], eps(), outputs[0], outputs[1],
                           outputs[2]);
  });
}

void RoPE::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  dispatch_float(inputs[0].dtype(), name(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::rope<T>(inputs, *this, outputs[0]);
  });
}

void ScaledDotProductAttention::eval_cpu(const std::vector<array>& inputs,
                                         std::vector<array>& outputs) {
  dispatch_float(inputs[0].dtype(), name(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::attention<T>(inputs, *this, outputs);
  });
}

void ScaledDotProductAttentionVJP::eval_cpu(const std::vector<array>& inputs,
                                            std::vector<array>& outputs) {
  dispatch_float(inputs[0].dtype(), name(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::attention_vjp<T>(inputs, *this, outputs);
  });
}

}  // namespace fast

}  // namespace mlx::core
#endif  // HWY_ONCE
