// NumPy-style indexing on arrays (src/ops/index.cpp; docs/indexing.md):
//
//   a.index({0, Slice(1, {}), NewAxis, Ellipsis})   a[0, 1:, None, ...]
//   a(Slice({}, {}, -1))                            a[::-1]
//   a.index({idx_array, mask_array})                integer (advanced) and boolean-mask indexing
//   a.index_put({Slice(0, 2)}, v)                   a[0:2] = v   (reassigns a; gradients flow)
//   a.at({idx}).add(v)                              a.at[idx].add(v)  (duplicates accumulate)
//
// Integer indices wrap from the end in [-n, n); anything else is an error (for index arrays, when
// evaluated). Boolean masks and nonzero/argwhere/unique evaluate their input.
#pragma once

#include <optional>
#include <variant>
#include <vector>

#include "mlx/array.h"
#include "mlx/utils.h"

namespace mlx::core {

/** start:stop:step with open ends (std::nullopt, or {}) and NumPy's defaults for them. */
struct Slice {
  std::optional<int> start;
  std::optional<int> stop;
  int step = 1;
  Slice() = default;
  Slice(std::optional<int> start, std::optional<int> stop = std::nullopt, int step = 1)
      : start(start), stop(stop), step(step) {}
};

/** `...`: as many full slices as needed (at most one per index). */
struct EllipsisIndex {};
inline constexpr EllipsisIndex Ellipsis{};

/** `None`/`newaxis`: a new axis of size 1. */
struct NewAxisIndex {};
inline constexpr NewAxisIndex NewAxis{};

/** One entry of an index: an integer, a Slice, Ellipsis, NewAxis, or an integer or bool array. */
class Index {
 public:
  Index(int i) : v_(i) {}
  Index(Slice s) : v_(s) {}
  Index(EllipsisIndex e) : v_(e) {}
  Index(NewAxisIndex n) : v_(n) {}
  Index(array a) : v_(std::move(a)) {}
  const std::variant<int, Slice, EllipsisIndex, NewAxisIndex, array>& value() const { return v_; }

 private:
  std::variant<int, Slice, EllipsisIndex, NewAxisIndex, array> v_;
};

/** Free-function forms of array::index and array::index_put (the result, a is unchanged). */
array index(const array& a, const std::vector<Index>& indices, StreamOrDevice s = {});
array index_put(const array& a, const std::vector<Index>& indices, const array& value,
                StreamOrDevice s = {});

/** The accumulating updates of array::at: each returns a new array. */
class ArrayAt {
 public:
  ArrayAt(array a, std::vector<Index> indices) : a_(std::move(a)), indices_(std::move(indices)) {}
  array add(const array& v) const;
  array subtract(const array& v) const;
  array multiply(const array& v) const;
  array divide(const array& v) const;
  array maximum(const array& v) const;
  array minimum(const array& v) const;

 private:
  array a_;
  std::vector<Index> indices_;
};

template <typename... Ts>
array array::operator()(const Ts&... indices) const {
  return index(std::vector<Index>{Index(indices)...});
}

template <typename T>
array& array::index_put(const std::vector<Index>& indices, T value) {
  return index_put(indices, array(value));
}

}  // namespace mlx::core
