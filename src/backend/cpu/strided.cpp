#include "backend/cpu/strided.h"

#include <algorithm>
#include <cstdlib>

namespace mlx::core::cpu {

size_t Layout::rows() const {
  size_t r = 1;
  for (size_t d = 0; d + 1 < shape.size(); ++d) {
    r *= static_cast<size_t>(shape[d]);
  }
  return r;
}

Layout collapse(const Shape& shape, const std::vector<Strides>& strides) {
  Layout l;
  l.strides.resize(strides.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) {
      continue;  // size-1 dims never move the offset
    }
    bool merge = !l.shape.empty();
    for (size_t k = 0; merge && k < strides.size(); ++k) {
      merge = l.strides[k].back() == strides[k][d] * shape[d];
    }
    if (merge) {
      l.shape.back() *= shape[d];
      for (size_t k = 0; k < strides.size(); ++k) {
        l.strides[k].back() = strides[k][d];
      }
    } else {
      l.shape.push_back(shape[d]);
      for (size_t k = 0; k < strides.size(); ++k) {
        l.strides[k].push_back(strides[k][d]);
      }
    }
  }
  if (l.shape.empty()) {
    l.shape.push_back(1);
    for (auto& s : l.strides) {
      s.push_back(0);
    }
  }
  return l;
}

array::Flags view_flags(const Shape& shape, const Strides& strides) {
  array::Flags f{};
  bool row = true, col = true;
  int64_t expect = 1;
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    if (shape[d] > 1) {
      row = row && strides[d] == expect;
      expect *= shape[d];
    }
  }
  expect = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] > 1) {
      col = col && strides[d] == expect;
      expect *= shape[d];
    }
  }
  // Dense in some order of the dims (a transpose of a contiguous array, say): sort the non-unit
  // dims by stride and check that they tile the data without gaps.
  std::vector<std::pair<int64_t, int64_t>> dims;
  bool dense = true;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] > 1) {
      dense = dense && strides[d] > 0;
      dims.emplace_back(strides[d], shape[d]);
    }
  }
  if (dense) {
    std::sort(dims.begin(), dims.end());
    expect = 1;
    for (auto& [st, n] : dims) {
      dense = dense && st == expect;
      expect *= n;
    }
  }
  f.row_contiguous = row;
  f.col_contiguous = col;
  f.contiguous = row || col || dense;
  return f;
}

size_t view_data_size(const Shape& shape, const Strides& strides) {
  size_t span = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) {
      return 0;
    }
    span += static_cast<size_t>(shape[d] - 1) * static_cast<size_t>(std::llabs(strides[d]));
  }
  return span;
}

}  // namespace mlx::core::cpu
