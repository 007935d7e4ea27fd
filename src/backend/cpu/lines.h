// Internal: kernels that work along one axis (sort, scan) see a row-contiguous array as lines.
#pragma once

#include <cstddef>

#include "backend/cpu/copy.h"
#include "mlx/array.h"

namespace mlx::core::cpu {

// A row-contiguous array seen as `outer` blocks of `n` x `inner` elements, the axis in the
// middle: line l starts at start(l) and its elements are `inner` apart.
struct Lines {
  size_t outer = 1, n = 1, inner = 1;
  Lines(const array& a, int axis) {
    for (int d = 0; d < static_cast<int>(a.ndim()); ++d) {
      size_t s = static_cast<size_t>(a.shape(d));
      if (d < axis) outer *= s;
      if (d == axis) n = s;
      if (d > axis) inner *= s;
    }
  }
  size_t count() const { return outer * inner; }
  size_t start(size_t l) const { return (l / inner) * n * inner + l % inner; }
};

// `in` itself when it is row-contiguous (and not broadcast), else a row-contiguous copy.
inline array contiguous_input(const array& in) {
  if (in.flags().row_contiguous && in.data_size() == in.size()) {
    return in;
  }
  array tmp(in.shape(), in.dtype(), nullptr, {});
  copy_to_contiguous(in, tmp);
  return tmp;
}

}  // namespace mlx::core::cpu
