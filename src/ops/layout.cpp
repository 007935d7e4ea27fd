// Layout ops built from the shape family's primitives (so their derivative and batching rules
// come from those): flatten, unflatten, flip, swapaxes, moveaxis, split, unstack, meshgrid,
// repeat, tile, atleast_{1,2,3}d and roll. The ones that only move or select elements are
// views; repeat, tile and roll copy once per op (roll once per rolled axis).
#include <algorithm>
#include <numeric>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

std::vector<int> normalize_axes(const std::vector<int>& axes, int nd, const char* op) {
  std::vector<int> out;
  out.reserve(axes.size());
  for (int ax : axes) {
    int norm = ax < 0 ? ax + nd : ax;
    if (norm < 0 || norm >= nd) {
      std::ostringstream msg;
      msg << "[" << op << "] Invalid axis " << ax << " for an array with " << nd << " dimensions.";
      throw std::invalid_argument(msg.str());
    }
    out.push_back(norm);
  }
  return out;
}

// `a` restricted to [begin, end) along `axis` (a view).
array slice_axis(const array& a, int axis, int begin, int end, Stream s) {
  Shape start(a.ndim(), 0), stop = a.shape();
  start[axis] = begin;
  stop[axis] = end;
  return slice(a, std::move(start), std::move(stop), s);
}

}  // namespace

// As MLX: an end axis past the last one is clamped (so is a start axis before the first); a
// start axis at or past the last dim, or after the end axis, is an error.
array flatten(const array& a, int start_axis, int end_axis, StreamOrDevice s) {
  int nd = static_cast<int>(a.ndim());
  if (nd == 0) {
    return reshape(a, {1}, s);
  }
  int start = std::max(0, start_axis < 0 ? start_axis + nd : start_axis);
  int end = std::min(nd - 1, end_axis < 0 ? end_axis + nd : end_axis);
  if (start >= nd) {
    std::ostringstream msg;
    msg << "[flatten] Invalid start axis " << start_axis << " for an array with " << nd
        << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  if (end < start) {
    std::ostringstream msg;
    msg << "[flatten] The start axis " << start_axis << " must not come after the end axis "
        << end_axis << " (for an array with " << nd << " dimensions).";
    throw std::invalid_argument(msg.str());
  }
  if (start == end) {
    return a;
  }
  Shape shape(a.shape().begin(), a.shape().begin() + start);
  int64_t merged = 1;
  for (int d = start; d <= end; ++d) {
    merged *= a.shape(d);
  }
  shape.push_back(safe_cast(merged));
  shape.insert(shape.end(), a.shape().begin() + end + 1, a.shape().end());
  return reshape(a, std::move(shape), s);
}

array flatten(const array& a, StreamOrDevice s) { return flatten(a, 0, -1, s); }

array unflatten(const array& a, int axis, Shape shape, StreamOrDevice s) {
  int ax = normalize_axis_index(axis, static_cast<int>(a.ndim()), "[unflatten] ");
  if (shape.empty()) {
    throw std::invalid_argument("[unflatten] The shape to unflatten into cannot be empty.");
  }
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1 && infer < 0) {
      infer = static_cast<int>(i);
    } else if (shape[i] < 0) {
      std::ostringstream msg;
      msg << "[unflatten] Invalid shape " << shape
          << ": dims must be non-negative, with at most one -1.";
      throw std::invalid_argument(msg.str());
    } else {
      known *= shape[i];
    }
  }
  int64_t n = a.shape(ax);
  if (infer >= 0 && known != 0 && n % known == 0) {
    shape[infer] = safe_cast(n / known);
    known = n;
  }
  if (infer >= 0 ? shape[infer] < 0 : known != n) {
    std::ostringstream msg;
    msg << "[unflatten] Cannot unflatten axis " << axis << " of size " << n << " into shape "
        << shape << ".";
    throw std::invalid_argument(msg.str());
  }
  Shape out(a.shape().begin(), a.shape().begin() + ax);
  out.insert(out.end(), shape.begin(), shape.end());
  out.insert(out.end(), a.shape().begin() + ax + 1, a.shape().end());
  return reshape(a, std::move(out), s);
}

// A slice with step -1 along each axis (a view).
array flip(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  int nd = static_cast<int>(a.ndim());
  auto norm = normalize_axes(axes, nd, "flip");
  Shape start(nd, 0), stop = a.shape(), strides(nd, 1);
  for (int ax : norm) {
    if (strides[ax] == -1) {
      std::ostringstream msg;
      msg << "[flip] Received duplicate axes " << axes << ".";
      throw std::invalid_argument(msg.str());
    }
    start[ax] = a.shape(ax) - 1;
    stop[ax] = -a.shape(ax) - 1;
    strides[ax] = -1;
  }
  return slice(a, std::move(start), std::move(stop), std::move(strides), s);
}

array flip(const array& a, int axis, StreamOrDevice s) {
  return flip(a, std::vector<int>{axis}, s);
}

array flip(const array& a, StreamOrDevice s) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  return flip(a, axes, s);
}

array swapaxes(const array& a, int axis1, int axis2, StreamOrDevice s) {
  int nd = static_cast<int>(a.ndim());
  int a1 = normalize_axis_index(axis1, nd, "[swapaxes] ");
  int a2 = normalize_axis_index(axis2, nd, "[swapaxes] ");
  std::vector<int> perm(nd);
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[a1], perm[a2]);
  return transpose(a, std::move(perm), s);
}

array moveaxis(const array& a, int source, int destination, StreamOrDevice s) {
  int nd = static_cast<int>(a.ndim());
  int src = normalize_axis_index(source, nd, "[moveaxis] ");
  int dst = normalize_axis_index(destination, nd, "[moveaxis] ");
  std::vector<int> perm;
  for (int d = 0; d < nd; ++d) {
    if (d != src) {
      perm.push_back(d);
    }
  }
  perm.insert(perm.begin() + dst, src);
  return transpose(a, std::move(perm), s);
}

// Parts [0, i0), [i0, i1), ..., [ik, n) with NumPy's slice rules for each (negative indices
// count from the end; indices out of order give empty parts). Every part is a view.
std::vector<array> split(const array& a, const Shape& indices, int axis, StreamOrDevice s) {
  int ax = normalize_axis_index(axis, static_cast<int>(a.ndim()), "[split] ");
  auto stream = to_stream(s);
  std::vector<array> parts;
  parts.reserve(indices.size() + 1);
  int begin = 0;
  for (auto idx : indices) {
    parts.push_back(slice_axis(a, ax, begin, idx, stream));
    begin = idx;
  }
  parts.push_back(slice_axis(a, ax, begin, a.shape(ax), stream));
  return parts;
}

std::vector<array> split(const array& a, const Shape& indices, StreamOrDevice s) {
  return split(a, indices, 0, s);
}

std::vector<array> split(const array& a, int num_splits, int axis, StreamOrDevice s) {
  int ax = normalize_axis_index(axis, static_cast<int>(a.ndim()), "[split] ");
  int n = a.shape(ax);
  if (num_splits <= 0 || n % num_splits != 0) {
    std::ostringstream msg;
    msg << "[split] Cannot split axis " << axis << " of size " << n << " into " << num_splits
        << " equal parts.";
    throw std::invalid_argument(msg.str());
  }
  Shape indices;
  for (int i = 1; i < num_splits; ++i) {
    indices.push_back(i * (n / num_splits));
  }
  return split(a, indices, ax, s);
}

std::vector<array> split(const array& a, int num_splits, StreamOrDevice s) {
  return split(a, num_splits, 0, s);
}

std::vector<array> unstack(const array& a, int axis, StreamOrDevice s) {
  if (a.ndim() == 0) {
    throw std::invalid_argument("[unstack] Cannot unstack a scalar (it has no axis).");
  }
  int ax = normalize_axis_index(axis, static_cast<int>(a.ndim()), "[unstack] ");
  auto stream = to_stream(s);
  std::vector<array> parts;
  parts.reserve(a.shape(ax));
  for (int i = 0; i < a.shape(ax); ++i) {
    parts.push_back(squeeze(slice_axis(a, ax, i, i + 1, stream), ax, stream));
  }
  return parts;
}

std::vector<array> unstack(const array& a, StreamOrDevice s) { return unstack(a, 0, s); }

// NumPy's meshgrid: inputs are flattened; "xy" swaps the roles of the first two.
std::vector<array> meshgrid(const std::vector<array>& arrays, bool sparse,
                            const std::string& indexing, StreamOrDevice s) {
  if (indexing != "xy" && indexing != "ij") {
    std::ostringstream msg;
    msg << "[meshgrid] Invalid indexing \"" << indexing << "\": use \"xy\" or \"ij\".";
    throw std::invalid_argument(msg.str());
  }
  auto stream = to_stream(s);
  size_t n = arrays.size();
  std::vector<array> outputs;
  outputs.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    size_t dim = i;
    if (indexing == "xy" && n > 1 && i < 2) {
      dim = 1 - i;
    }
    Shape shape(n, 1);
    shape[dim] = safe_cast(static_cast<int64_t>(arrays[i].size()));
    outputs.push_back(reshape(arrays[i], std::move(shape), stream));
  }
  return sparse ? outputs : broadcast_arrays(outputs, stream);
}

// Each element followed by its copies: a broadcast along a new axis after `axis`, merged in.
array repeat(const array& arr, int repeats, int axis, StreamOrDevice s) {
  int ax = normalize_axis_index(axis, static_cast<int>(arr.ndim()), "[repeat] ");
  if (repeats < 0) {
    std::ostringstream msg;
    msg << "[repeat] The number of repeats must be non-negative, got " << repeats << ".";
    throw std::invalid_argument(msg.str());
  }
  auto stream = to_stream(s);
  auto shape = arr.shape();
  shape.insert(shape.begin() + ax + 1, repeats);
  auto out_shape = arr.shape();
  out_shape[ax] = safe_cast(static_cast<int64_t>(out_shape[ax]) * repeats, "repeated dimension");
  auto x = broadcast_to(expand_dims(arr, ax + 1, stream), shape, stream);
  return reshape(x, std::move(out_shape), stream);
}

array repeat(const array& arr, int repeats, StreamOrDevice s) {
  return repeat(flatten(arr, s), repeats, 0, s);
}

// NumPy's tile: reps and the array's dims are lined up from the right, the shorter padded with
// ones; each dim d with r reps is the broadcast of a new axis r in front of d, merged in.
array tile(const array& arr, std::vector<int> reps, StreamOrDevice s) {
  for (int r : reps) {
    if (r < 0) {
      std::ostringstream msg;
      msg << "[tile] The repetitions must be non-negative, got " << reps << ".";
      throw std::invalid_argument(msg.str());
    }
  }
  auto stream = to_stream(s);
  size_t nd = std::max(arr.ndim(), reps.size());
  reps.insert(reps.begin(), nd - reps.size(), 1);
  Shape shape(nd - arr.ndim(), 1);
  shape.insert(shape.end(), arr.shape().begin(), arr.shape().end());
  Shape expanded, broadcast, out_shape;
  for (size_t d = 0; d < nd; ++d) {
    expanded.insert(expanded.end(), {1, shape[d]});
    broadcast.insert(broadcast.end(), {reps[d], shape[d]});
    out_shape.push_back(safe_cast(static_cast<int64_t>(reps[d]) * shape[d], "tiled dimension"));
  }
  auto x = broadcast_to(reshape(arr, std::move(expanded), stream), broadcast, stream);
  return reshape(x, std::move(out_shape), stream);
}

array atleast_1d(const array& a, StreamOrDevice s) {
  return a.ndim() == 0 ? reshape(a, {1}, s) : a;
}

array atleast_2d(const array& a, StreamOrDevice s) {
  switch (a.ndim()) {
    case 0:
      return reshape(a, {1, 1}, s);
    case 1:
      return expand_dims(a, 0, s);
    default:
      return a;
  }
}

array atleast_3d(const array& a, StreamOrDevice s) {
  switch (a.ndim()) {
    case 0:
      return reshape(a, {1, 1, 1}, s);
    case 1:
      return expand_dims(a, std::vector<int>{0, 2}, s);
    case 2:
      return expand_dims(a, 2, s);
    default:
      return a;
  }
}

namespace {

template <typename F>
std::vector<array> each(const std::vector<array>& arrays, F f, StreamOrDevice s) {
  std::vector<array> out;
  out.reserve(arrays.size());
  for (auto& a : arrays) {
    out.push_back(f(a, s));
  }
  return out;
}

}  // namespace

std::vector<array> atleast_1d(const std::vector<array>& a, StreamOrDevice s) {
  return each(
      a, [](const array& x, StreamOrDevice st) { return atleast_1d(x, st); }, s);
}
std::vector<array> atleast_2d(const std::vector<array>& a, StreamOrDevice s) {
  return each(
      a, [](const array& x, StreamOrDevice st) { return atleast_2d(x, st); }, s);
}
std::vector<array> atleast_3d(const std::vector<array>& a, StreamOrDevice s) {
  return each(
      a, [](const array& x, StreamOrDevice st) { return atleast_3d(x, st); }, s);
}

// NumPy's roll: a shift of k along an axis of size n moves element i to (i + k) mod n; shifts
// given for one axis several times add up. Each rolled axis is one concatenation of two views.
array roll(const array& a, const Shape& shift, const std::vector<int>& axes, StreamOrDevice s) {
  if (shift.size() != axes.size() && shift.size() != 1) {
    std::ostringstream msg;
    msg << "[roll] The shift " << shift << " and the axes " << axes
        << " must have the same size (or one shift for every axis).";
    throw std::invalid_argument(msg.str());
  }
  int nd = static_cast<int>(a.ndim());
  auto norm = normalize_axes(axes, nd, "roll");
  std::vector<int64_t> total(nd, 0);
  for (size_t i = 0; i < norm.size(); ++i) {
    total[norm[i]] += shift[shift.size() == 1 ? 0 : i];
  }
  auto stream = to_stream(s);
  array out = a;
  for (int d = 0; d < nd; ++d) {
    int64_t n = a.shape(d);
    int64_t k = n == 0 ? 0 : ((total[d] % n) + n) % n;
    if (k != 0) {
      int cut = static_cast<int>(n - k);
      out = concatenate({slice_axis(out, d, cut, static_cast<int>(n), stream),
                         slice_axis(out, d, 0, cut, stream)},
                        d, stream);
    }
  }
  return out;
}

// Shifts along one axis add up, so several shifts of one axis (or of the flattened array) are
// passed with that axis repeated.
array roll(const array& a, const Shape& shift, StreamOrDevice s) {
  return reshape(roll(flatten(a, s), shift, std::vector<int>(shift.size(), 0), s), a.shape(), s);
}

array roll(const array& a, int shift, StreamOrDevice s) { return roll(a, Shape{shift}, s); }

array roll(const array& a, int shift, int axis, StreamOrDevice s) {
  return roll(a, Shape{shift}, std::vector<int>{axis}, s);
}

array roll(const array& a, int shift, const std::vector<int>& axes, StreamOrDevice s) {
  return roll(a, Shape{shift}, axes, s);
}

array roll(const array& a, const Shape& shift, int axis, StreamOrDevice s) {
  return roll(a, shift, std::vector<int>(shift.size(), axis), s);
}

}  // namespace mlx::core
