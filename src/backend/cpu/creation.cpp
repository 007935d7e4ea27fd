// Creation kernels on the CPU: Arange, Linspace, Eye, Tri write their outputs directly.
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "backend/cpu/strided.h"
#include "backend/cpu/thread_pool.h"
#include "core/dtype_utils.h"
#include "ops/ops.h"

namespace mlx::core {

namespace {

// Runs fn(row, row_begin) over the rows of a row-major matrix output, in parallel for large
// ones. Every dtype's zero is all zero bits, so kernels may clear rows with memset.
template <typename T, typename F>
void for_each_matrix_row(array& out, F&& fn) {
  out.set_data(allocator::malloc(out.nbytes()));
  size_t rows = out.shape(0), cols = out.shape(1);
  T* p = out.data<T>();
  size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / std::max<size_t>(cols, 1));
  cpu::parallel_for(rows, grain, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      fn(static_cast<int64_t>(i), p + i * cols);
    }
  });
}

}  // namespace

void Arange::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  auto [start, stop, step] = state_;
  dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, bool>) {
      // As in MLX: the step is taken in the output type (T(start + step) - T(start)) and values
      // are built by repeated addition in that type, so low-precision floats drift the same way.
      T value = detail::cast_value<T>(start);
      T next = detail::cast_value<T>(start + step);
      T* p = out.data<T>();
      if constexpr (std::is_integral_v<T>) {
        using U = std::make_unsigned_t<T>;
        U v = static_cast<U>(value);
        U delta = static_cast<U>(static_cast<U>(next) - static_cast<U>(value));
        for (size_t i = 0; i < out.size(); ++i, v += delta) {
          p[i] = static_cast<T>(v);
        }
      } else {
        T delta = static_cast<T>(next - value);
        for (size_t i = 0; i < out.size(); ++i) {
          p[i] = value;
          value = static_cast<T>(value + delta);
        }
      }
    }
  });
}

void Linspace::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  auto [start, stop, endpoint] = state_;
  size_t n = out.size();
  if (n == 0) {
    return;
  }
  // NumPy's formula in double: start + i * step, then converted; a step that underflows to zero
  // is applied as (i / div) * delta instead.
  double div = endpoint ? static_cast<double>(n - 1) : static_cast<double>(n);
  double delta = stop - start;
  double step = div > 0 ? delta / div : 0.0;
  bool late_scale = step == 0 && div > 0;
  dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = out.data<T>();
    cpu::parallel_for(n, cpu::kElementwiseGrain, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        double x = static_cast<double>(i);
        p[i] = detail::cast_value<T>(late_scale ? x / div * delta + start : x * step + start);
      }
    });
    if (endpoint && n > 1) {
      p[n - 1] = detail::cast_value<T>(stop);
    }
  });
}

void Eye::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto [k] = state_;
  int64_t cols = out.shape(1);
  dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T one = detail::cast_value<T>(1.0f);
    for_each_matrix_row<T>(out, [&](int64_t i, T* row) {
      std::memset(static_cast<void*>(row), 0, cols * sizeof(T));
      if (i + k >= 0 && i + k < cols) {
        row[i + k] = one;
      }
    });
  });
}

void Tri::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto [k] = state_;
  int64_t cols = out.shape(1);
  dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T one = detail::cast_value<T>(1.0f);
    for_each_matrix_row<T>(out, [&](int64_t i, T* row) {
      int64_t ones = std::clamp<int64_t>(i + k + 1, 0, cols);
      std::fill(row, row + ones, one);
      std::memset(static_cast<void*>(row + ones), 0, (cols - ones) * sizeof(T));
    });
  });
}

}  // namespace mlx::core
