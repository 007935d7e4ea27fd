// Softmax and logsumexp over the last axis on the CPU: one fused pass per row (its max, the sum
// of exp(x - max), then the scaling or the log), rows spread over the pool. A row is read from
// memory once (prefetched while the previous row is computed); the later passes find it in
// cache. float32 rows use a vector exp, compiled once per target and chosen at run time; other
// dtypes take a scalar loop (half floats in float32).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/softmax.cpp"
#include <hwy/cache_control.h>
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "backend/cpu/copy.h"
#include "backend/cpu/simd/elementwise-inl.h"
#include "backend/cpu/thread_pool.h"
#include "core/dtype_utils.h"
#include "ops/ops.h"

HWY_BEFORE_NAMESPACE();
namespace mlx::core::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The largest value of p[0, n), NaN if there is one (-inf for n = 0).
float RowMax(const float* p, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto apply = [](auto acc, auto x) {
    return hn::IfThenElse(hn::Or(hn::Lt(acc, x), hn::IsNaN(x)), x, acc);
  };
  const auto id = hn::Set(d, -std::numeric_limits<float>::infinity());
  auto a0 = id, a1 = id, a2 = id, a3 = id;
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    a0 = apply(a0, hn::LoadU(d, p + i));
    a1 = apply(a1, hn::LoadU(d, p + i + N));
    a2 = apply(a2, hn::LoadU(d, p + i + 2 * N));
    a3 = apply(a3, hn::LoadU(d, p + i + 3 * N));
  }
  for (; i + N <= n; i += N) {
    a0 = apply(a0, hn::LoadU(d, p + i));
  }
  HWY_ALIGN float lanes[hn::MaxLanes(d)];
  hn::Store(apply(apply(a0, a1), apply(a2, a3)), d, lanes);
  float m = -std::numeric_limits<float>::infinity();
  auto scalar = [](float acc, float x) { return (acc < x || x != x) ? x : acc; };
  for (size_t k = 0; k < N; ++k) {
    m = scalar(m, lanes[k]);
  }
  for (; i < n; ++i) {
    m = scalar(m, p[i]);
  }
  return m;
}

// exp(x) for x <= 0 (not NaN), by ExpF32. Inputs are clamped where exp rounds to zero: with
// vscalefps (TimesPow2) at -104 (2^-150 rounds to 0, so -inf gives exactly 0); otherwise at
// -87.3, where float32 goes subnormal, and 0 is selected below it. Leaner than Highway's
// general Exp, which also handles large and NaN inputs that softmax never passes (rows whose
// max is not finite are answered without it).
template <class D, class V>
HWY_INLINE V ExpNonPositive(D d, V x) {
  const auto lo = hn::Set(d, kScalef<D> ? -104.0f : -87.3f);
  const auto e = ExpF32(d, hn::Max(x, lo));
  if constexpr (kScalef<D>) {
    return e;
  } else {
    return hn::IfThenZeroElse(hn::Lt(x, lo), e);
  }
}

// The sum of exp(p[i] - m) for a finite m, also stored to out[i] when out is not null. The
// next row (when not null) is prefetched meanwhile, a cache line per line of this row: the
// exps are the compute-heavy part, and without it the memory sits idle while they run.
template <bool kStore>
float SumExp(const float* p, size_t n, float m, float* out, const float* next) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto vm = hn::Set(d, m);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    if (next) {
      hwy::Prefetch(next + i);
      hwy::Prefetch(next + i + N);
    }
    auto e0 = ExpNonPositive(d, hn::Sub(hn::LoadU(d, p + i), vm));
    auto e1 = ExpNonPositive(d, hn::Sub(hn::LoadU(d, p + i + N), vm));
    if constexpr (kStore) {
      hn::StoreU(e0, d, out + i);
      hn::StoreU(e1, d, out + i + N);
    }
    s0 = hn::Add(s0, e0);
    s1 = hn::Add(s1, e1);
  }
  for (; i + N <= n; i += N) {
    auto e = ExpNonPositive(d, hn::Sub(hn::LoadU(d, p + i), vm));
    if constexpr (kStore) {
      hn::StoreU(e, d, out + i);
    }
    s0 = hn::Add(s0, e);
  }
  if (i < n) {
    // The tail as one masked vector, so that every element takes the same exp. Loaded through
    // an aligned copy: Highway's MaskedLoad wants an aligned pointer and, below AVX2, reads the
    // whole vector (an SSE4-only CPU crashed here on an unaligned row).
    const auto mask = hn::FirstN(d, n - i);
    HWY_ALIGN float tail[hn::MaxLanes(d)] = {};
    std::copy(p + i, p + n, tail);
    auto e = hn::IfThenElseZero(mask, ExpNonPositive(d, hn::Sub(hn::Load(d, tail), vm)));
    if constexpr (kStore) {
      hn::BlendedStore(e, mask, d, out + i);
    }
    s0 = hn::Add(s0, e);
  }
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
}

void SoftmaxRow(const float* p, float* out, size_t n, const float* next) {
  const float m = RowMax(p, n);
  if (!std::isfinite(m)) {
    // A NaN, or an infinite max (inf - inf): the whole row is NaN, as exp(x - m) / sum says.
    std::fill_n(out, n, std::numeric_limits<float>::quiet_NaN());
    return;
  }
  const float s = SumExp<true>(p, n, m, out, next);
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto scale = hn::Set(d, 1.0f / s);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(hn::Mul(hn::LoadU(d, out + i), scale), d, out + i);
  }
  for (; i < n; ++i) {
    out[i] *= 1.0f / s;
  }
}

float LogSumExpRow(const float* p, size_t n, const float* next) {
  const float m = RowMax(p, n);
  if (!std::isfinite(m)) {
    return m;
  }
  return m + std::log(SumExp<false>(p, n, m, nullptr, next));
}

}  // namespace mlx::core::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace mlx::core {

namespace cpu {

HWY_EXPORT(SoftmaxRow);
HWY_EXPORT(LogSumExpRow);

namespace {

// Rows of at least this many elements per parallel chunk.
constexpr size_t kGrain = size_t{1} << 15;

template <typename T>
void softmax_row(const T* p, T* out, size_t n) {
  using W = float_work_t<T>;
  W m = -std::numeric_limits<W>::infinity();
  for (size_t i = 0; i < n; ++i) {
    W x = static_cast<W>(p[i]);
    m = (m < x || x != x) ? x : m;
  }
  // exp(x - m) is kept in the output only when it holds W exactly; half floats compute it twice.
  W s = 0;
  for (size_t i = 0; i < n; ++i) {
    W e = std::exp(static_cast<W>(p[i]) - m);
    if constexpr (std::is_same_v<T, W>) {
      out[i] = e;
    }
    s += e;
  }
  const W scale = W(1) / s;
  for (size_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<T, W>) {
      out[i] = static_cast<T>(out[i] * scale);
    } else {
      out[i] = static_cast<T>(std::exp(static_cast<W>(p[i]) - m) * scale);
    }
  }
}

template <typename T>
T logsumexp_row(const T* p, size_t n) {
  using W = float_work_t<T>;
  W m = -std::numeric_limits<W>::infinity();
  for (size_t i = 0; i < n; ++i) {
    W x = static_cast<W>(p[i]);
    m = (m < x || x != x) ? x : m;
  }
  if (std::isinf(m)) {
    return static_cast<T>(m);
  }
  W s = 0;
  for (size_t i = 0; i < n; ++i) {
    s += std::exp(static_cast<W>(p[i]) - m);
  }
  return static_cast<T>(m + std::log(s));
}

// The input with its rows contiguous: itself, or a row-contiguous copy kept in `tmp`. A
// reference, so that the input stays donatable.
const array& contiguous_rows(const array& in, std::optional<array>& tmp) {
  if (in.flags().row_contiguous) {
    return in;
  }
  tmp.emplace(in.shape(), in.dtype(), nullptr, std::vector<array>{});
  copy_to_contiguous(in, *tmp);
  return *tmp;
}

// Calls f(row_begin, row_end) over the rows of n elements, spread over the pool.
template <typename F>
void for_rows(size_t rows, size_t n, F&& f) {
  parallel_for(rows, std::max<size_t>(1, kGrain / std::max<size_t>(n, 1)), f);
}

}  // namespace

}  // namespace cpu

void Softmax::eval_cpu(const std::vector<array>& inputs, array& out) {
  std::optional<array> tmp;
  const array& in = cpu::contiguous_rows(inputs[0], tmp);
  // A row is read whole before its output is written, so the output may take the input's
  // buffer.
  if (in.is_donatable() && in.data_size() == in.size()) {
    out.copy_shared_buffer(in);
  } else {
    out.set_data(allocator::malloc(out.nbytes()));
  }
  if (out.size() == 0) {
    return;
  }
  const size_t n = in.shape().back();
  const size_t rows = in.size() / n;
  dispatch_dtype(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, float16_t> ||
                  std::is_same_v<T, bfloat16_t>) {
      const T* src = in.data<T>();
      T* dst = out.data<T>();
      cpu::for_rows(rows, n, [&](size_t b, size_t e) {
        for (size_t r = b; r < e; ++r) {
          if constexpr (std::is_same_v<T, float>) {
            HWY_DYNAMIC_DISPATCH(cpu::SoftmaxRow)
            (src + r * n, dst + r * n, n, r + 1 < e ? src + (r + 1) * n : nullptr);
          } else {
            cpu::softmax_row(src + r * n, dst + r * n, n);
          }
        }
      });
    } else {
      throw std::runtime_error("[softmax] Expected a real floating point input.");
    }
  });
}

void LogSumExp::eval_cpu(const std::vector<array>& inputs, array& out) {
  std::optional<array> tmp;
  const array& in = cpu::contiguous_rows(inputs[0], tmp);
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  const size_t n = in.shape().back();
  const size_t rows = out.size();
  dispatch_dtype(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, float16_t> ||
                  std::is_same_v<T, bfloat16_t>) {
      const T* src = in.data<T>();
      T* dst = out.data<T>();
      cpu::for_rows(rows, n, [&](size_t b, size_t e) {
        for (size_t r = b; r < e; ++r) {
          if constexpr (std::is_same_v<T, float>) {
            dst[r] = HWY_DYNAMIC_DISPATCH(cpu::LogSumExpRow)(
                src + r * n, n, r + 1 < e ? src + (r + 1) * n : nullptr);
          } else {
            dst[r] = cpu::logsumexp_row(src + r * n, n);
          }
        }
      });
    } else {
      throw std::runtime_error("[logsumexp] Expected a real floating point input.");
    }
  });
}

}  // namespace mlx::core
#endif  // HWY_ONCE
