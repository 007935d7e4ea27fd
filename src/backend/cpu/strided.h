// Internal: walking strided arrays on the CPU.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "mlx/array.h"

namespace mlx::core::cpu {

// A loop nest for one or more arrays of the same shape: adjacent dims are merged wherever every
// array's strides allow it, so kernels run over as few (and as long) dims as possible. Always
// has at least one dim.
struct Layout {
  Shape shape;
  std::vector<Strides> strides;

  // Elements in the innermost dim, and the number of rows (product of the other dims).
  size_t inner() const { return static_cast<size_t>(shape.back()); }
  size_t rows() const;
};

Layout collapse(const Shape& shape, const std::vector<Strides>& strides);

// Flags and data size for a view with the given shape and strides.
array::Flags view_flags(const Shape& shape, const Strides& strides);
size_t view_data_size(const Shape& shape, const Strides& strides);

// Calls f(row, offsets) for rows [row_begin, row_end) of the layout, where offsets[k] is the
// element offset of the row's first element in array k.
template <size_t N, typename F>
void for_each_row(const Layout& l, size_t row_begin, size_t row_end, F&& f) {
  int outer = static_cast<int>(l.shape.size()) - 1;
  std::vector<int64_t> idx(outer, 0);
  std::array<int64_t, N> offs{};
  size_t r = row_begin;
  for (int d = outer - 1; d >= 0; --d) {
    idx[d] = static_cast<int64_t>(r % l.shape[d]);
    r /= l.shape[d];
    for (size_t k = 0; k < N; ++k) {
      offs[k] += idx[d] * l.strides[k][d];
    }
  }
  for (size_t row = row_begin; row < row_end; ++row) {
    f(row, offs);
    for (int d = outer - 1; d >= 0; --d) {
      if (++idx[d] < l.shape[d]) {
        for (size_t k = 0; k < N; ++k) {
          offs[k] += l.strides[k][d];
        }
        break;
      }
      for (size_t k = 0; k < N; ++k) {
        offs[k] -= (l.shape[d] - 1) * l.strides[k][d];
      }
      idx[d] = 0;
    }
  }
}

// Elements per parallel chunk for simple elementwise kernels: below this, threads cost more
// than they save.
inline constexpr size_t kElementwiseGrain = 1 << 15;

}  // namespace mlx::core::cpu
