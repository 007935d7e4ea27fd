// Helpers for writing kernels over strided arrays (used by custom primitives).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "mlx/array.h"

namespace mlx::core {

/** The memory offset, in elements, of the element at row-major position `elem`. */
template <typename StrideT>
inline StrideT elem_to_loc(int64_t elem, const Shape& shape, const std::vector<StrideT>& strides) {
  StrideT loc = 0;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    auto q_and_r = std::lldiv(elem, shape[i]);
    loc += static_cast<StrideT>(q_and_r.rem) * strides[i];
    elem = q_and_r.quot;
  }
  return loc;
}

inline int64_t elem_to_loc(int64_t elem, const array& a) {
  return elem_to_loc(elem, a.shape(), a.strides());
}

}  // namespace mlx::core
