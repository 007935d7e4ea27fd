// Scans on the CPU. A line along the last axis is one sequential pass (memory speed); along
// another axis a block of up to kBlock neighbouring lines advances together, one contiguous row
// at a time, so the loop vectorises across the inner dimension. Blocks run in parallel.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "backend/cpu/lines.h"
#include "backend/cpu/strided.h"
#include "backend/cpu/thread_pool.h"
#include "core/dtype_utils.h"
#include "ops/scan.h"

namespace mlx::core {

namespace {

using cpu::Lines;

constexpr size_t kBlock = 256;

// Half floats accumulate in float32.
template <typename T>
using Acc =
    std::conditional_t<std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>, float, T>;

template <typename T>
constexpr bool is_real_float_v = std::is_floating_point_v<T>;

template <typename A>
A identity(ScanOp op) {
  if constexpr (std::is_same_v<A, bool>) {
    return op == ScanOp::Prod || op == ScanOp::Min;
  } else if constexpr (std::is_same_v<A, complex64_t>) {
    return A(op == ScanOp::Prod ? 1.0f : 0.0f, 0.0f);
  } else {
    using L = std::numeric_limits<A>;
    switch (op) {
      case ScanOp::Sum:
        return A(0);
      case ScanOp::Prod:
        return A(1);
      case ScanOp::Max:
      case ScanOp::LogAddExp:
        return L::has_infinity ? -L::infinity() : L::lowest();
      case ScanOp::Min:
        return L::has_infinity ? L::infinity() : L::max();
    }
    return A(0);
  }
}

// NaN wins in the running max and min, as in NumPy's maximum.accumulate.
template <typename A>
A max_op(A a, A b) {
  if constexpr (is_real_float_v<A>) {
    return (std::isnan(a) || a > b) ? a : b;
  } else {
    return a > b ? a : b;
  }
}
template <typename A>
A min_op(A a, A b) {
  if constexpr (is_real_float_v<A>) {
    return (std::isnan(a) || a < b) ? a : b;
  } else {
    return a < b ? a : b;
  }
}
template <typename A>
A logaddexp_op(A a, A b) {
  if (a == b) {
    // Equal infinities would give inf - inf below.
    return a + std::log(A(2));
  }
  A m = a > b ? a : b;
  return m + std::log1p(std::exp(-std::abs(a - b)));
}

template <typename T, typename Op>
void scan_lines(const T* in, T* out, const Lines& l, bool reverse, bool inclusive, Acc<T> init,
                Op op) {
  using A = Acc<T>;
  size_t blocks = (l.inner + kBlock - 1) / kBlock;
  size_t width = std::min(l.inner, kBlock);
  size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / std::max<size_t>(l.n * width, 1));
  cpu::parallel_for(l.outer * blocks, grain, [&](size_t b, size_t e) {
    A acc[kBlock];
    for (size_t u = b; u < e; ++u) {
      size_t o = u / blocks;
      size_t j0 = (u % blocks) * kBlock;
      size_t w = std::min(kBlock, l.inner - j0);
      const T* ip = in + o * l.n * l.inner + j0;
      T* op_ = out + o * l.n * l.inner + j0;
      int64_t step = reverse ? -static_cast<int64_t>(l.inner) : static_cast<int64_t>(l.inner);
      if (reverse) {
        ip += (l.n - 1) * l.inner;
        op_ += (l.n - 1) * l.inner;
      }
      if (w == 1) {
        A a = init;
        for (size_t k = 0; k < l.n; ++k, ip += step, op_ += step) {
          if (inclusive) {
            a = op(a, static_cast<A>(*ip));
            *op_ = static_cast<T>(a);
          } else {
            *op_ = static_cast<T>(a);
            a = op(a, static_cast<A>(*ip));
          }
        }
        continue;
      }
      std::fill(acc, acc + w, init);
      for (size_t k = 0; k < l.n; ++k, ip += step, op_ += step) {
        if (inclusive) {
          for (size_t j = 0; j < w; ++j) {
            acc[j] = op(acc[j], static_cast<A>(ip[j]));
            op_[j] = static_cast<T>(acc[j]);
          }
        } else {
          for (size_t j = 0; j < w; ++j) {
            op_[j] = static_cast<T>(acc[j]);
            acc[j] = op(acc[j], static_cast<A>(ip[j]));
          }
        }
      }
    }
  });
}

template <typename T>
void scan_dispatch(const T* in, T* out, const Lines& l, ScanOp op, bool reverse, bool inclusive) {
  using A = Acc<T>;
  A init = identity<A>(op);
  switch (op) {
    case ScanOp::Sum:
      if constexpr (std::is_same_v<A, bool>) {
        return scan_lines(in, out, l, reverse, inclusive, init, [](A a, A b) { return a || b; });
      } else {
        return scan_lines(in, out, l, reverse, inclusive, init, [](A a, A b) { return A(a + b); });
      }
    case ScanOp::Prod:
      if constexpr (std::is_same_v<A, bool>) {
        return scan_lines(in, out, l, reverse, inclusive, init, [](A a, A b) { return a && b; });
      } else {
        return scan_lines(in, out, l, reverse, inclusive, init, [](A a, A b) { return A(a * b); });
      }
    case ScanOp::Max:
      if constexpr (!std::is_same_v<A, complex64_t>) {
        return scan_lines(in, out, l, reverse, inclusive, init, max_op<A>);
      }
      break;
    case ScanOp::Min:
      if constexpr (!std::is_same_v<A, complex64_t>) {
        return scan_lines(in, out, l, reverse, inclusive, init, min_op<A>);
      }
      break;
    case ScanOp::LogAddExp:
      if constexpr (is_real_float_v<A>) {
        return scan_lines(in, out, l, reverse, inclusive, init, logaddexp_op<A>);
      }
      break;
  }
  throw std::runtime_error("[Scan] Unsupported dtype for this scan.");
}

}  // namespace

void Scan::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  auto in = cpu::contiguous_input(inputs[0]);
  Lines l(in, axis());
  dispatch_dtype(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    scan_dispatch(in.data<T>(), out.data<T>(), l, op(), reverse(), inclusive());
  });
}

namespace {

// One line of ScanGrad in the scan's own order (position k is element at(k) of the line). c[k]
// is the cotangent (or tangent) seen by the inclusive scan: an exclusive scan's output k is the
// inclusive output k - 1.
template <typename T>
void scan_grad_line(const T* x, const T* v, T* out, size_t n, int64_t base, int64_t step, ScanOp op,
                    bool inclusive, bool vjp, std::vector<Acc<T>>& buf) {
  using A = Acc<T>;
  auto at = [&](size_t k) { return base + static_cast<int64_t>(k) * step; };
  auto xv = [&](size_t k) { return static_cast<A>(x[at(k)]); };
  // The vjp's cotangent of inclusive output k.
  auto cot = [&](size_t k) {
    size_t src = inclusive ? k : k + 1;
    return src < n ? static_cast<A>(v[at(src)]) : A(0);
  };
  // Writes the jvp's inclusive output k to its place in the (possibly exclusive) output.
  auto put_jvp = [&](size_t k, A val) {
    if (inclusive) {
      out[at(k)] = static_cast<T>(val);
    } else if (k + 1 < n) {
      out[at(k + 1)] = static_cast<T>(val);
    }
  };
  if (!inclusive && !vjp) {
    out[at(0)] = T(0);
  }
  buf.resize(n);
  switch (op) {
    case ScanOp::Prod: {
      // buf[k]: product of the elements before k.
      A p = A(1);
      for (size_t k = 0; k < n; ++k) {
        buf[k] = p;
        p *= xv(k);
      }
      if (vjp) {
        A q = A(0);
        for (size_t k = n; k-- > 0;) {
          q = cot(k) + (k + 1 < n ? xv(k + 1) * q : A(0));
          out[at(k)] = static_cast<T>(buf[k] * q);
        }
      } else {
        A j = A(0);
        for (size_t k = 0; k < n; ++k) {
          j = xv(k) * j + static_cast<A>(v[at(k)]) * buf[k];
          put_jvp(k, j);
        }
      }
      break;
    }
    case ScanOp::Max:
    case ScanOp::Min: {
      bool is_max = op == ScanOp::Max;
      A best = xv(0);
      size_t arg = 0;
      if (vjp) {
        for (size_t k = 0; k < n; ++k) out[at(k)] = T(0);
      }
      for (size_t k = 0; k < n; ++k) {
        A val = xv(k);
        bool take = k == 0 || (!std::isnan(best) &&
                               (std::isnan(val) || (is_max ? val >= best : val <= best)));
        if (take) {
          best = val;
          arg = k;
        }
        if (vjp) {
          out[at(arg)] = static_cast<T>(static_cast<A>(out[at(arg)]) + cot(k));
        } else {
          put_jvp(k, static_cast<A>(v[at(arg)]));
        }
      }
      break;
    }
    case ScanOp::LogAddExp: {
      // buf[k]: the inclusive logcumsumexp. Weights exp(x[k] - y[i]) are written through
      // differences of y, which never exceed 1, so nothing overflows.
      constexpr A kNegInf = -std::numeric_limits<A>::infinity();
      A y = kNegInf;
      for (size_t k = 0; k < n; ++k) {
        y = k == 0 ? xv(0) : logaddexp_op(y, xv(k));
        buf[k] = y;
      }
      auto decay = [&](A from, A to) { return from == kNegInf ? A(0) : std::exp(from - to); };
      if (vjp) {
        A h = A(0);
        for (size_t k = n; k-- > 0;) {
          h = cot(k) + (k + 1 < n ? decay(buf[k], buf[k + 1]) * h : A(0));
          out[at(k)] = static_cast<T>(decay(xv(k), buf[k]) * h);
        }
      } else {
        A j = A(0);
        for (size_t k = 0; k < n; ++k) {
          j = (k > 0 ? decay(buf[k - 1], buf[k]) * j : A(0)) +
              static_cast<A>(v[at(k)]) * decay(xv(k), buf[k]);
          put_jvp(k, j);
        }
      }
      break;
    }
    case ScanOp::Sum:
      break;
  }
}

}  // namespace

void ScanGrad::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  auto x = cpu::contiguous_input(inputs[0]);
  auto v = cpu::contiguous_input(inputs[1]);
  Lines l(x, axis());
  auto run = [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = x.data<T>();
    const T* vp = v.data<T>();
    T* op_ = out.data<T>();
    size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / std::max<size_t>(l.n, 1));
    cpu::parallel_for(l.count(), grain, [&](size_t b, size_t e) {
      std::vector<Acc<T>> buf;
      for (size_t line = b; line < e; ++line) {
        int64_t step = static_cast<int64_t>(l.inner);
        int64_t base = static_cast<int64_t>(l.start(line));
        if (reverse()) {
          base += static_cast<int64_t>(l.n - 1) * step;
          step = -step;
        }
        scan_grad_line(xp, vp, op_, l.n, base, step, op(), inclusive(), is_vjp(), buf);
      }
    });
  };
  switch (out.dtype()) {
    case Dtype::Val::float16:
      return run(TypeTag<float16_t>{});
    case Dtype::Val::bfloat16:
      return run(TypeTag<bfloat16_t>{});
    case Dtype::Val::float32:
      return run(TypeTag<float>{});
    case Dtype::Val::float64:
      return run(TypeTag<double>{});
    default:
      throw std::runtime_error("[ScanGrad] Derivatives need a real floating point dtype.");
  }
}

}  // namespace mlx::core
