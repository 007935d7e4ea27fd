// Shape ops: the views (reshape, transpose, expand_dims, squeeze, broadcast_to, broadcast_arrays,
// slice, view, as_strided), the ones that copy (contiguous, concatenate, stack) and
// number_of_elements. Ops built from these are in layout.cpp and pad.cpp.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

array reshape(const array& a, Shape shape, StreamOrDevice s) {
  int infer = -1;
  size_t size = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) {
        throw std::invalid_argument("[reshape] Reshape can only infer one dimension.");
      }
      infer = static_cast<int>(i);
    } else if (shape[i] < 0) {
      std::ostringstream msg;
      msg << "[reshape] Invalid dimension " << shape[i] << " in shape " << shape << ".";
      throw std::invalid_argument(msg.str());
    } else {
      size *= shape[i];
    }
  }
  if (infer >= 0) {
    if (size == 0 || a.size() % size != 0) {
      std::ostringstream msg;
      msg << "[reshape] Cannot infer the shape of an array of size " << a.size() << " reshaped to "
          << shape << ".";
      throw std::invalid_argument(msg.str());
    }
    shape[infer] = safe_cast(static_cast<int64_t>(a.size() / size));
    size = a.size();
  }
  if (size != a.size()) {
    std::ostringstream msg;
    msg << "[reshape] Cannot reshape an array of shape " << a.shape() << " (size " << a.size()
        << ") into shape " << shape << " (size " << size << ").";
    throw std::invalid_argument(msg.str());
  }
  if (a.shape() == shape) {
    return a;
  }
  auto p = std::make_shared<Reshape>(to_stream(s), shape);
  return array(std::move(shape), a.dtype(), std::move(p), {a});
}

array broadcast_to(const array& a, const Shape& shape, StreamOrDevice s) {
  if (a.shape() == shape) {
    return a;
  }
  // Broadcasting must not need to change `shape` itself, whose dims must all be non-negative.
  bool ok = shape.size() >= a.ndim() &&
            std::all_of(shape.begin(), shape.end(), [](auto d) { return d >= 0; });
  for (size_t i = 0; ok && i < a.ndim(); ++i) {
    auto ad = a.shape()[a.ndim() - 1 - i];
    auto sd = shape[shape.size() - 1 - i];
    ok = ad == sd || ad == 1;
  }
  if (!ok) {
    std::ostringstream msg;
    msg << "[broadcast_to] Cannot broadcast an array of shape " << a.shape() << " to shape "
        << shape << ".";
    throw std::invalid_argument(msg.str());
  }
  return array(shape, a.dtype(), std::make_shared<Broadcast>(to_stream(s), shape), {a});
}

std::vector<array> broadcast_arrays(const std::vector<array>& inputs, StreamOrDevice s) {
  Shape shape;
  for (auto& in : inputs) {
    shape = broadcast_shapes(shape, in.shape());
  }
  auto stream = to_stream(s);
  std::vector<array> outputs;
  outputs.reserve(inputs.size());
  for (auto& in : inputs) {
    outputs.push_back(broadcast_to(in, shape, stream));
  }
  return outputs;
}

array slice(const array& a, Shape start, Shape stop, Shape strides, StreamOrDevice s) {
  auto nd = a.ndim();
  if (start.size() != nd || stop.size() != nd || strides.size() != nd) {
    std::ostringstream msg;
    msg << "[slice] Invalid number of indices or strides for an array with " << nd
        << " dimensions (start " << start << ", stop " << stop << ", strides " << strides << ").";
    throw std::invalid_argument(msg.str());
  }
  Shape out_shape(nd);
  bool identity = true;
  for (size_t i = 0; i < nd; ++i) {
    int64_t n = a.shape()[i];
    int64_t st = strides[i];
    if (st == 0) {
      std::ostringstream msg;
      msg << "[slice] Slice strides must be non-zero, got " << strides << ".";
      throw std::invalid_argument(msg.str());
    }
    // NumPy's rules: negative indices count from the end, then clamp to the valid range.
    int64_t b = start[i] < 0 ? start[i] + n : start[i];
    int64_t e = stop[i] < 0 ? stop[i] + n : stop[i];
    int64_t len;
    if (st > 0) {
      b = std::clamp<int64_t>(b, 0, n);
      e = std::clamp<int64_t>(e, 0, n);
      len = e > b ? (e - b + st - 1) / st : 0;
    } else {
      b = std::clamp<int64_t>(b, -1, n - 1);
      e = std::clamp<int64_t>(e, -1, n - 1);
      len = b > e ? (b - e - st - 1) / (-st) : 0;
    }
    start[i] = static_cast<ShapeElem>(b);
    stop[i] = static_cast<ShapeElem>(e);
    out_shape[i] = static_cast<ShapeElem>(len);
    identity = identity && b == 0 && len == n && st == 1;
  }
  if (identity) {
    return a;
  }
  return array(out_shape, a.dtype(),
               std::make_shared<SliceView>(to_stream(s), std::move(start), std::move(stop),
                                           std::move(strides)),
               {a});
}

array slice(const array& a, Shape start, Shape stop, StreamOrDevice s) {
  Shape strides(a.ndim(), 1);
  return slice(a, std::move(start), std::move(stop), std::move(strides), s);
}

array transpose(const array& a, std::vector<int> axes, StreamOrDevice s) {
  int nd = static_cast<int>(a.ndim());
  std::vector<int> perm(axes.size());
  std::vector<bool> seen(nd, false);
  bool valid = static_cast<int>(axes.size()) == nd;
  for (size_t i = 0; valid && i < axes.size(); ++i) {
    int ax = axes[i] < 0 ? axes[i] + nd : axes[i];
    valid = ax >= 0 && ax < nd && !seen[ax];
    if (valid) {
      seen[ax] = true;
      perm[i] = ax;
    }
  }
  if (!valid) {
    std::ostringstream msg;
    msg << "[transpose] Recived invalid axes " << axes << " for array with " << nd
        << " dimensions: they must be a permutation of the dimensions.";
    throw std::invalid_argument(msg.str());
  }
  bool identity = true;
  Shape shape(nd);
  for (int i = 0; i < nd; ++i) {
    shape[i] = a.shape()[perm[i]];
    identity = identity && perm[i] == i;
  }
  if (identity) {
    return a;
  }
  return array(std::move(shape), a.dtype(),
               std::make_shared<Transpose>(to_stream(s), std::move(perm)), {a});
}

array transpose(const array& a, StreamOrDevice s) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.rbegin(), axes.rend(), 0);
  return transpose(a, std::move(axes), s);
}

array expand_dims(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  if (axes.empty()) {
    return a;
  }
  int out_nd = static_cast<int>(a.ndim() + axes.size());
  std::vector<int> sorted(axes.size());
  bool valid = true;
  for (size_t i = 0; i < axes.size(); ++i) {
    sorted[i] = axes[i] < 0 ? axes[i] + out_nd : axes[i];
    valid = valid && sorted[i] >= 0 && sorted[i] < out_nd;
  }
  std::sort(sorted.begin(), sorted.end());
  valid = valid && std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
  if (!valid) {
    std::ostringstream msg;
    msg << "[expand_dims] Invalid axes " << axes << " for an array with " << a.ndim()
        << " dimensions: the axes index the " << out_nd
        << "-dimensional result and must be unique.";
    throw std::invalid_argument(msg.str());
  }
  Shape shape(out_nd, 1);
  for (int d = 0, in_d = 0, k = 0; d < out_nd; ++d) {
    if (k < static_cast<int>(sorted.size()) && sorted[k] == d) {
      ++k;
    } else {
      shape[d] = a.shape()[in_d++];
    }
  }
  return array(std::move(shape), a.dtype(),
               std::make_shared<ExpandDims>(to_stream(s), std::move(sorted)), {a});
}

array expand_dims(const array& a, int axis, StreamOrDevice s) {
  return expand_dims(a, std::vector<int>{axis}, s);
}

array squeeze(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  if (axes.empty()) {
    return a;
  }
  int nd = static_cast<int>(a.ndim());
  std::vector<int> sorted(axes.size());
  for (size_t i = 0; i < axes.size(); ++i) {
    sorted[i] = normalize_axis_index(axes[i], nd, "[squeeze] ");
    if (a.shape()[sorted[i]] != 1) {
      std::ostringstream msg;
      msg << "[squeeze] Cannot squeeze axis " << axes[i] << " with size " << a.shape()[sorted[i]]
          << " (only size-one axes can be removed).";
      throw std::invalid_argument(msg.str());
    }
  }
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    std::ostringstream msg;
    msg << "[squeeze] Received duplicate axes " << axes << " for an array with " << nd
        << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  Shape shape;
  shape.reserve(nd - sorted.size());
  for (int d = 0, k = 0; d < nd; ++d) {
    if (k < static_cast<int>(sorted.size()) && sorted[k] == d) {
      ++k;
    } else {
      shape.push_back(a.shape()[d]);
    }
  }
  return array(std::move(shape), a.dtype(),
               std::make_shared<Squeeze>(to_stream(s), std::move(sorted)), {a});
}

array squeeze(const array& a, int axis, StreamOrDevice s) {
  return squeeze(a, std::vector<int>{axis}, s);
}

array squeeze(const array& a, StreamOrDevice s) {
  std::vector<int> axes;
  for (int d = 0; d < static_cast<int>(a.ndim()); ++d) {
    if (a.shape()[d] == 1) {
      axes.push_back(d);
    }
  }
  return squeeze(a, axes, s);
}

array contiguous(const array& a, bool allow_col_major, StreamOrDevice s) {
  // Strides are known only once an array is computed; otherwise the kernel decides.
  if (a.is_available() &&
      (a.flags().row_contiguous || (allow_col_major && a.flags().col_contiguous))) {
    return a;
  }
  return array(a.shape(), a.dtype(), std::make_shared<Contiguous>(to_stream(s), allow_col_major),
               {a});
}

array concatenate(std::vector<array> arrays, int axis, StreamOrDevice s) {
  if (arrays.empty()) {
    throw std::invalid_argument("[concatenate] No arrays provided for concatenation.");
  }
  const auto& first = arrays[0];
  int ax = normalize_axis_index(axis, static_cast<int>(first.ndim()), "[concatenate] ");
  int64_t total = 0;
  for (auto& a : arrays) {
    bool match = a.ndim() == first.ndim();
    for (size_t d = 0; match && d < a.ndim(); ++d) {
      match = static_cast<int>(d) == ax || a.shape()[d] == first.shape()[d];
    }
    if (!match) {
      std::ostringstream msg;
      msg << "[concatenate] All the input array dimensions must match exactly except for the "
             "concatenation axis. However, the provided shapes are "
          << first.shape() << " and " << a.shape() << ", and the concatenation axis is " << axis
          << ".";
      throw std::invalid_argument(msg.str());
    }
    total += a.shape()[ax];
  }
  Shape shape = first.shape();
  shape[ax] = safe_cast(total, "concatenated dimension");
  auto dtype = result_type(arrays);
  auto stream = to_stream(s);
  // Converting first keeps the kernel a plain copy of same-sized elements.
  for (auto& a : arrays) {
    a = astype(std::move(a), dtype, stream);
  }
  if (arrays.size() == 1) {
    return arrays[0];
  }
  return array(std::move(shape), dtype, std::make_shared<Concatenate>(stream, ax),
               std::move(arrays));
}

array concatenate(std::vector<array> arrays, StreamOrDevice s) {
  auto stream = to_stream(s);
  for (auto& a : arrays) {
    a = reshape(a, {safe_cast(static_cast<int64_t>(a.size()))}, stream);
  }
  return concatenate(std::move(arrays), 0, stream);
}

array stack(const std::vector<array>& arrays, int axis, StreamOrDevice s) {
  if (arrays.empty()) {
    throw std::invalid_argument("[stack] No arrays provided for stacking.");
  }
  for (auto& a : arrays) {
    if (a.shape() != arrays[0].shape()) {
      std::ostringstream msg;
      msg << "[stack] All arrays must have the same shape, got " << arrays[0].shape() << " and "
          << a.shape() << ".";
      throw std::invalid_argument(msg.str());
    }
  }
  int out_nd = static_cast<int>(arrays[0].ndim()) + 1;
  if (axis < -out_nd || axis >= out_nd) {
    std::ostringstream msg;
    msg << "[stack] Invalid axis " << axis << " for arrays with " << out_nd - 1
        << " dimensions (the stacked result has " << out_nd << ").";
    throw std::invalid_argument(msg.str());
  }
  auto stream = to_stream(s);
  std::vector<array> expanded;
  expanded.reserve(arrays.size());
  for (auto& a : arrays) {
    expanded.push_back(expand_dims(a, axis, stream));
  }
  return concatenate(std::move(expanded), axis, stream);
}

array stack(const std::vector<array>& arrays, StreamOrDevice s) { return stack(arrays, 0, s); }

array view(const array& a, const Dtype& dtype, StreamOrDevice s) {
  if (a.dtype() == dtype) {
    return a;
  }
  auto shape = a.shape();
  size_t in_size = a.itemsize(), out_size = size_of(dtype);
  if (in_size != out_size) {
    if (a.ndim() == 0) {
      std::ostringstream msg;
      msg << "[view] Cannot view a scalar of " << a.dtype() << " (" << in_size << " bytes) as "
          << dtype << " (" << out_size << " bytes): the item sizes must match.";
      throw std::invalid_argument(msg.str());
    }
    int64_t bytes = static_cast<int64_t>(shape.back()) * static_cast<int64_t>(in_size);
    if (bytes % static_cast<int64_t>(out_size) != 0) {
      std::ostringstream msg;
      msg << "[view] Cannot view an array of shape " << a.shape() << " and dtype " << a.dtype()
          << " as " << dtype << ": its last axis has " << bytes
          << " bytes, not a multiple of the item size " << out_size << ".";
      throw std::invalid_argument(msg.str());
    }
    shape.back() = safe_cast(bytes / static_cast<int64_t>(out_size));
  }
  return array(std::move(shape), dtype, std::make_shared<View>(to_stream(s), dtype), {a});
}

// The strides and offset index `a`'s elements in row-major order; every element the view can
// reach must be one of them, so no input gives a view outside the buffer.
array as_strided(array a, Shape shape, Strides strides, size_t offset, StreamOrDevice s) {
  if (shape.size() != strides.size()) {
    std::ostringstream msg;
    msg << "[as_strided] The shape " << shape << " and strides " << strides
        << " must have the same length.";
    throw std::invalid_argument(msg.str());
  }
  int64_t lo = static_cast<int64_t>(offset), hi = lo;
  bool empty = false, overflow = offset > static_cast<size_t>(INT64_MAX);
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      std::ostringstream msg;
      msg << "[as_strided] Negative dimensions are not allowed, got shape " << shape << ".";
      throw std::invalid_argument(msg.str());
    }
    empty = empty || shape[i] == 0;
    int64_t reach;
    overflow = overflow || __builtin_mul_overflow(std::max(shape[i] - 1, 0), strides[i], &reach);
    overflow =
        overflow || __builtin_add_overflow(reach < 0 ? lo : hi, reach, reach < 0 ? &lo : &hi);
  }
  if (!empty && (overflow || lo < 0 || hi >= static_cast<int64_t>(a.size()))) {
    std::ostringstream msg;
    msg << "[as_strided] The shape " << shape << ", strides " << strides << " and offset " << offset
        << " reach elements " << lo << " to " << hi << " of an array with " << a.size()
        << " elements.";
    throw std::invalid_argument(msg.str());
  }
  auto dtype = a.dtype();
  auto out_shape = shape;
  return array(std::move(out_shape), dtype,
               std::make_shared<AsStrided>(to_stream(s), std::move(shape), std::move(strides),
                                           empty ? 0 : static_cast<int64_t>(offset)),
               {std::move(a)});
}

array number_of_elements(const array& a, std::vector<int> axes, bool inverted, Dtype dtype,
                         StreamOrDevice s) {
  int nd = static_cast<int>(a.ndim());
  for (auto& ax : axes) {
    int norm = ax < 0 ? ax + nd : ax;
    if (norm < 0 || norm >= nd) {
      std::ostringstream msg;
      msg << "[number_of_elements] Invalid axis " << ax << " for an array with " << nd
          << " dimensions.";
      throw std::invalid_argument(msg.str());
    }
    ax = norm;
  }
  return array({}, dtype,
               std::make_shared<NumberOfElements>(to_stream(s), std::move(axes), inverted, dtype),
               {a});
}

// ---- derivative and batching rules ----

std::vector<array> Reshape::vjp(const std::vector<array>& primals,
                                const std::vector<array>& cotangents, const std::vector<int>&,
                                const std::vector<array>&) {
  return {reshape(cotangents[0], primals[0].shape(), stream())};
}
std::vector<array> Reshape::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                const std::vector<int>&) {
  return {reshape(tangents[0], std::get<0>(state_), stream())};
}
std::pair<std::vector<array>, std::vector<int>> Reshape::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  auto shape = std::get<0>(state_);
  shape.insert(shape.begin(), x.shape(0));
  return {{reshape(x, shape, stream())}, {0}};
}

// The cotangent of a broadcast sums over the dims it added or stretched.
std::vector<array> Broadcast::vjp(const std::vector<array>& primals,
                                  const std::vector<array>& cotangents, const std::vector<int>&,
                                  const std::vector<array>&) {
  auto& in = primals[0];
  auto& shape = std::get<0>(state_);
  int lead = static_cast<int>(shape.size() - in.ndim());
  std::vector<int> axes;
  for (int i = 0; i < static_cast<int>(shape.size()); ++i) {
    if (i < lead || (in.shape(i - lead) == 1 && shape[i] != 1)) {
      axes.push_back(i);
    }
  }
  auto ct = axes.empty() ? cotangents[0] : sum(cotangents[0], axes, true, stream());
  return {reshape(ct, in.shape(), stream())};
}
std::vector<array> Broadcast::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                  const std::vector<int>&) {
  return {broadcast_to(tangents[0], std::get<0>(state_), stream())};
}
std::pair<std::vector<array>, std::vector<int>> Broadcast::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  auto shape = std::get<0>(state_);
  // Line the input's dims up with the target's (after the batch axis), then broadcast.
  auto aligned = x.shape();
  aligned.insert(aligned.begin() + 1, shape.size() - (x.ndim() - 1), 1);
  shape.insert(shape.begin(), x.shape(0));
  return {{broadcast_to(reshape(x, aligned, stream()), shape, stream())}, {0}};
}

std::vector<array> SliceView::vjp(const std::vector<array>& primals,
                                  const std::vector<array>& cotangents, const std::vector<int>&,
                                  const std::vector<array>&) {
  auto& [start, stop, strides] = state_;
  return {detail::slice_update_normalized(zeros_like(primals[0], stream()), cotangents[0], start,
                                          stop, strides, stream())};
}
std::vector<array> SliceView::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                  const std::vector<int>&) {
  auto& [start, stop, strides] = state_;
  return {detail::slice_normalized(tangents[0], start, stop, strides, stream())};
}
std::pair<std::vector<array>, std::vector<int>> SliceView::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  auto [start, stop, strides] = state_;
  start.insert(start.begin(), 0);
  stop.insert(stop.begin(), x.shape(0));
  strides.insert(strides.begin(), 1);
  return {{detail::slice_normalized(x, start, stop, strides, stream())}, {0}};
}

std::vector<array> Transpose::vjp(const std::vector<array>&, const std::vector<array>& cotangents,
                                  const std::vector<int>&, const std::vector<array>&) {
  auto& perm = std::get<0>(state_);
  std::vector<int> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    inverse[perm[i]] = static_cast<int>(i);
  }
  return {transpose(cotangents[0], inverse, stream())};
}
std::vector<array> Transpose::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                  const std::vector<int>&) {
  return {transpose(tangents[0], std::get<0>(state_), stream())};
}
std::pair<std::vector<array>, std::vector<int>> Transpose::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  std::vector<int> perm{0};
  for (int p : std::get<0>(state_)) {
    perm.push_back(p + 1);
  }
  return {{transpose(x, perm, stream())}, {0}};
}

namespace {
std::vector<int> shifted(const std::vector<int>& axes) {
  std::vector<int> out;
  for (int a : axes) {
    out.push_back(a + 1);
  }
  return out;
}
}  // namespace

std::vector<array> ExpandDims::vjp(const std::vector<array>& primals,
                                   const std::vector<array>& cotangents, const std::vector<int>&,
                                   const std::vector<array>&) {
  return {reshape(cotangents[0], primals[0].shape(), stream())};
}
std::vector<array> ExpandDims::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                   const std::vector<int>&) {
  return {expand_dims(tangents[0], std::get<0>(state_), stream())};
}
std::pair<std::vector<array>, std::vector<int>> ExpandDims::vmap(const std::vector<array>& inputs,
                                                                 const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  return {{expand_dims(x, shifted(std::get<0>(state_)), stream())}, {0}};
}

std::vector<array> Squeeze::vjp(const std::vector<array>& primals,
                                const std::vector<array>& cotangents, const std::vector<int>&,
                                const std::vector<array>&) {
  return {reshape(cotangents[0], primals[0].shape(), stream())};
}
std::vector<array> Squeeze::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                const std::vector<int>&) {
  return {squeeze(tangents[0], std::get<0>(state_), stream())};
}
std::pair<std::vector<array>, std::vector<int>> Squeeze::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  return {{squeeze(x, shifted(std::get<0>(state_)), stream())}, {0}};
}

// A bit reinterpretation has a derivative only as the identity on bits between dtypes of one
// size (the cotangent is viewed back); across item sizes the elements do not correspond.
std::vector<array> View::vjp(const std::vector<array>& primals,
                             const std::vector<array>& cotangents, const std::vector<int>&,
                             const std::vector<array>&) {
  if (primals[0].itemsize() != size_of(std::get<0>(state_))) {
    throw std::invalid_argument("[view] No vjp for a view between dtypes of different sizes.");
  }
  return {view(cotangents[0], primals[0].dtype(), stream())};
}
std::vector<array> View::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                             const std::vector<int>&) {
  auto dtype = std::get<0>(state_);
  if (primals[0].itemsize() != size_of(dtype)) {
    throw std::invalid_argument("[view] No jvp for a view between dtypes of different sizes.");
  }
  return {view(tangents[0], dtype, stream())};
}
std::pair<std::vector<array>, std::vector<int>> View::vmap(const std::vector<array>& inputs,
                                                           const std::vector<int>& axes) {
  // The last axis is rescaled, so the batch axis must not be it.
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  return {{view(x, std::get<0>(state_), stream())}, {0}};
}

std::vector<array> AsStrided::vjp(const std::vector<array>& primals,
                                  const std::vector<array>& cotangents, const std::vector<int>&,
                                  const std::vector<array>&) {
  auto& [shape, strides, offset] = state_;
  auto& ct = cotangents[0];
  return {array(primals[0].shape(), ct.dtype(),
                std::make_shared<AsStridedAdd>(stream(), primals[0].shape(), strides, offset),
                {ct})};
}
std::vector<array> AsStrided::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                  const std::vector<int>&) {
  auto& [shape, strides, offset] = state_;
  return {as_strided(tangents[0], shape, strides, static_cast<size_t>(offset), stream())};
}
// Each batch element's values are one block of the batch-first input's row-major order.
std::pair<std::vector<array>, std::vector<int>> AsStrided::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  auto [shape, strides, offset] = state_;
  int64_t block = x.shape(0) == 0 ? 0 : static_cast<int64_t>(x.size()) / x.shape(0);
  shape.insert(shape.begin(), x.shape(0));
  strides.insert(strides.begin(), block);
  return {{as_strided(x, shape, strides, static_cast<size_t>(offset), stream())}, {0}};
}

std::vector<array> AsStridedAdd::vjp(const std::vector<array>& primals,
                                     const std::vector<array>& cotangents, const std::vector<int>&,
                                     const std::vector<array>&) {
  auto& [shape, strides, offset] = state_;
  return {as_strided(cotangents[0], primals[0].shape(), strides, static_cast<size_t>(offset),
                     stream())};
}
std::vector<array> AsStridedAdd::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                     const std::vector<int>&) {
  auto& [shape, strides, offset] = state_;
  auto& t = tangents[0];
  return {array(shape, t.dtype(), std::make_shared<AsStridedAdd>(stream(), shape, strides, offset),
                {t})};
}
std::pair<std::vector<array>, std::vector<int>> AsStridedAdd::vmap(const std::vector<array>& inputs,
                                                                   const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  auto [shape, strides, offset] = state_;
  int64_t block = 1;
  for (auto d : shape) {
    block *= d;
  }
  shape.insert(shape.begin(), x.shape(0));
  strides.insert(strides.begin(), block);
  auto out_shape = shape;
  return {
      {array(std::move(out_shape), x.dtype(),
             std::make_shared<AsStridedAdd>(stream(), std::move(shape), std::move(strides), offset),
             {x})},
      {0}};
}

// The count depends on the shape alone: a constant for every transform.
std::vector<array> NumberOfElements::vjp(const std::vector<array>& primals,
                                         const std::vector<array>&, const std::vector<int>&,
                                         const std::vector<array>&) {
  return {zeros_like(primals[0], stream())};
}
std::vector<array> NumberOfElements::jvp(const std::vector<array>&, const std::vector<array>&,
                                         const std::vector<int>&) {
  return {zeros({}, std::get<2>(state_), stream())};
}
std::pair<std::vector<array>, std::vector<int>> NumberOfElements::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  auto [counted, inverted, dtype] = state_;
  for (auto& ax : counted) {
    ax += axes[0] >= 0 && ax >= axes[0] ? 1 : 0;
  }
  auto n = number_of_elements(inputs[0], counted, inverted, dtype, stream());
  int batch = axes[0] >= 0 ? inputs[0].shape(axes[0]) : 1;
  return {{broadcast_to(n, {batch}, stream())}, {0}};
}

std::vector<array> Contiguous::vjp(const std::vector<array>&, const std::vector<array>& cotangents,
                                   const std::vector<int>&, const std::vector<array>&) {
  return {cotangents[0]};
}
std::vector<array> Contiguous::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                   const std::vector<int>&) {
  return {tangents[0]};
}
std::pair<std::vector<array>, std::vector<int>> Contiguous::vmap(const std::vector<array>& inputs,
                                                                 const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  return {{contiguous(x, std::get<0>(state_), stream())}, {0}};
}

std::vector<array> Concatenate::vjp(const std::vector<array>& primals,
                                    const std::vector<array>& cotangents,
                                    const std::vector<int>& argnums, const std::vector<array>&) {
  int axis = std::get<0>(state_);
  std::vector<int> offsets{0};
  for (auto& p : primals) {
    offsets.push_back(offsets.back() + p.shape(axis));
  }
  auto& ct = cotangents[0];
  std::vector<array> vjps;
  for (int arg : argnums) {
    Shape start(ct.ndim(), 0), stop = ct.shape();
    start[axis] = offsets[arg];
    stop[axis] = offsets[arg + 1];
    vjps.push_back(slice(ct, start, stop, stream()));
  }
  return vjps;
}
std::vector<array> Concatenate::jvp(const std::vector<array>& primals,
                                    const std::vector<array>& tangents,
                                    const std::vector<int>& argnums) {
  std::vector<array> parts;
  for (auto& p : primals) {
    parts.push_back(zeros_like(p, stream()));
  }
  for (size_t i = 0; i < argnums.size(); ++i) {
    parts[argnums[i]] = tangents[i];
  }
  return {concatenate(parts, std::get<0>(state_), stream())};
}
std::pair<std::vector<array>, std::vector<int>> Concatenate::vmap(const std::vector<array>& inputs,
                                                                  const std::vector<int>& axes) {
  int batch = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (axes[i] >= 0) batch = inputs[i].shape(axes[i]);
  }
  std::vector<array> parts;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto x = move_batch_axis(inputs[i], axes[i], 0, stream());
    if (axes[i] < 0) {
      auto shape = x.shape();
      shape[0] = batch;
      x = broadcast_to(x, shape, stream());
    }
    parts.push_back(x);
  }
  return {{concatenate(parts, std::get<0>(state_) + 1, stream())}, {0}};
}

namespace detail {

int normalize_axis(const char* op, int axis, const array& a) {
  const int nd = static_cast<int>(a.ndim());
  if (axis < -nd || axis >= nd) {
    std::ostringstream msg;
    msg << "[" << op << "] Received invalid axis " << axis << " for array with " << nd
        << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  return axis < 0 ? axis + nd : axis;
}

}  // namespace detail

}  // namespace mlx::core
