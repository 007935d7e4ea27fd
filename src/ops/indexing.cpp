// Indexing: slice_update and its reducing forms, slices with dynamic starts, masked_scatter,
// diagonal/diag/trace, depends.
#include "ops/indexing.h"

#include <algorithm>
#include <sstream>

#include "mlx/ops.h"
#include "ops/reduce.h"

namespace mlx::core {

namespace {

// NumPy's normalisation of one slice dimension; returns the number of elements selected.
int normalize_slice(int n, int& start, int& stop, int step) {
  int64_t b = start < 0 ? int64_t{start} + n : start;
  int64_t e = stop < 0 ? int64_t{stop} + n : stop;
  int64_t len;
  if (step > 0) {
    b = std::clamp<int64_t>(b, 0, n);
    e = std::clamp<int64_t>(e, 0, n);
    len = e > b ? (e - b + step - 1) / step : 0;
  } else {
    b = std::clamp<int64_t>(b, -1, n - 1);
    e = std::clamp<int64_t>(e, -1, n - 1);
    len = b > e ? (b - e - step - 1) / (-step) : 0;
  }
  start = static_cast<int>(b);
  stop = static_cast<int>(e);
  return static_cast<int>(len);
}

Shape slice_shape(const Shape& start, const Shape& stop, const Shape& strides) {
  Shape out(start.size());
  for (size_t i = 0; i < start.size(); ++i) {
    int64_t b = start[i], e = stop[i], st = strides[i];
    out[i] = static_cast<int>(st > 0 ? (e > b ? (e - b + st - 1) / st : 0)
                                     : (b > e ? (b - e - st - 1) / (-st) : 0));
  }
  return out;
}

array slice_update_impl(const char* op, const array& src, const array& update, Shape start,
                        Shape stop, Shape strides, SliceReduce reduce, StreamOrDevice s) {
  auto nd = src.ndim();
  if (start.size() != nd || stop.size() != nd || strides.size() != nd) {
    std::ostringstream msg;
    msg << "[" << op << "] Invalid number of indices or strides for an array with " << nd
        << " dimensions (start " << start << ", stop " << stop << ", strides " << strides << ").";
    throw std::invalid_argument(msg.str());
  }
  Shape region(nd);
  for (size_t i = 0; i < nd; ++i) {
    if (strides[i] == 0) {
      std::ostringstream msg;
      msg << "[" << op << "] Slice strides must be non-zero, got " << strides << ".";
      throw std::invalid_argument(msg.str());
    }
    region[i] = normalize_slice(src.shape()[i], start[i], stop[i], strides[i]);
  }
  bool fits = update.ndim() <= nd;
  for (size_t i = 0; fits && i < update.ndim(); ++i) {
    auto u = update.shape()[update.ndim() - 1 - i];
    fits = u == 1 || u == region[nd - 1 - i];
  }
  if (!fits) {
    std::ostringstream msg;
    msg << "[" << op << "] An update of shape " << update.shape()
        << " cannot be broadcast to the slice of shape " << region << ".";
    throw std::invalid_argument(msg.str());
  }
  return detail::slice_update_normalized(src, update, start, stop, strides, to_stream(s), reduce);
}

// Axes made non-negative; each must exist and appear once.
std::vector<int> normalize_axes(const char* op, std::vector<int> axes, int nd) {
  for (auto& ax : axes) {
    if (ax < -nd || ax >= nd) {
      std::ostringstream msg;
      msg << "[" << op << "] Invalid axis " << ax << " for an array with " << nd << " dimensions.";
      throw std::invalid_argument(msg.str());
    }
    ax = ax < 0 ? ax + nd : ax;
  }
  auto sorted = axes;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    std::ostringstream msg;
    msg << "[" << op << "] Repeated axes in " << Shape(axes.begin(), axes.end()) << ".";
    throw std::invalid_argument(msg.str());
  }
  return axes;
}

// The start values as a 1-D integer array with one value per axis.
array check_start(const char* op, const array& start, size_t naxes, Stream s) {
  if (!issubdtype(start.dtype(), integer)) {
    std::ostringstream msg;
    msg << "[" << op << "] The start must be an integer array, got " << start.dtype() << ".";
    throw std::invalid_argument(msg.str());
  }
  if (start.size() != naxes) {
    std::ostringstream msg;
    msg << "[" << op << "] The start has " << start.size() << " values for " << naxes << " axes.";
    throw std::invalid_argument(msg.str());
  }
  return reshape(start, {static_cast<int>(naxes)}, s);
}

array dynamic_slice_node(const array& a, const array& start, const std::vector<int>& axes,
                         const Shape& size, Stream s) {
  return array(size, a.dtype(), std::make_shared<DynamicSlice>(s, axes, size), {a, start});
}

array dynamic_slice_update_node(const array& src, const array& upd, const array& start,
                                const std::vector<int>& axes, Stream s) {
  return array(src.shape(), src.dtype(), std::make_shared<DynamicSliceUpdate>(s, axes),
               {src, upd, start});
}

array masked_scatter_node(const array& a, const array& mask, const array& src, bool batched,
                          Stream s) {
  return array(a.shape(), a.dtype(), std::make_shared<MaskedScatter>(s, batched), {a, mask, src});
}

array masked_gather_node(const array& x, const array& mask, int length, bool batched, Stream s) {
  Shape shape = batched ? Shape{x.shape(0), length} : Shape{length};
  return array(std::move(shape), x.dtype(), std::make_shared<MaskedGather>(s, batched, length),
               {x, mask});
}

// The b-th element along axis 0 (all of x when it is not batched).
array batch_element(const array& x, bool batched, int b, Stream s) {
  if (!batched) {
    return x;
  }
  Shape start(x.ndim(), 0), stop = x.shape();
  start[0] = b;
  stop[0] = b + 1;
  return squeeze(slice(x, start, stop, s), 0, s);
}

// vmap of a primitive whose per-element results depend on data (batched starts): one call per
// batch element, stacked.
template <typename F>
array per_batch(int batch, F&& f, Stream s) {
  std::vector<array> outs;
  for (int b = 0; b < batch; ++b) {
    outs.push_back(f(b));
  }
  return stack(outs, 0, s);
}

// Inputs with their batch axes in front, unbatched ones broadcast along a batch of `batch`.
array batch_front(const array& x, int axis, int batch, Stream s) {
  auto y = move_batch_axis(x, axis, 0, s);
  auto shape = y.shape();
  shape[0] = batch;
  return broadcast_to(y, shape, s);
}

int batch_size(const std::vector<array>& inputs, const std::vector<int>& axes) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (axes[i] >= 0) {
      return inputs[i].shape(axes[i]);
    }
  }
  return 1;
}

std::vector<int> shifted(std::vector<int> axes) {
  for (auto& ax : axes) {
    ++ax;
  }
  return axes;
}

}  // namespace

namespace detail {

array slice_normalized(const array& a, const Shape& start, const Shape& stop, const Shape& strides,
                       Stream s) {
  return array(slice_shape(start, stop, strides), a.dtype(),
               std::make_shared<SliceView>(s, start, stop, strides), {a});
}

array slice_update_normalized(const array& src, const array& update, const Shape& start,
                              const Shape& stop, const Shape& strides, Stream s,
                              SliceReduce reduce) {
  auto upd = broadcast_to(astype(update, src.dtype(), s), slice_shape(start, stop, strides), s);
  return array(src.shape(), src.dtype(),
               std::make_shared<SliceUpdate>(s, start, stop, strides, reduce), {src, upd});
}

array dynamic_slice(const array& a, const array& start, std::vector<int> axes, Shape slice_size,
                    StreamOrDevice s) {
  auto stream = to_stream(s);
  int nd = static_cast<int>(a.ndim());
  axes = normalize_axes("slice", std::move(axes), nd);
  auto st = check_start("slice", start, axes.size(), stream);
  bool fits = slice_size.size() == a.ndim();
  for (int i = 0; fits && i < nd; ++i) {
    fits = slice_size[i] >= 0 && slice_size[i] <= a.shape(i);
  }
  if (!fits) {
    std::ostringstream msg;
    msg << "[slice] The slice size " << slice_size << " does not fit in an array of shape "
        << a.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  return dynamic_slice_node(a, st, axes, slice_size, stream);
}

array dynamic_slice_update(const array& src, const array& update, const array& start,
                           std::vector<int> axes, StreamOrDevice s) {
  auto stream = to_stream(s);
  int nd = static_cast<int>(src.ndim());
  axes = normalize_axes("slice_update", std::move(axes), nd);
  auto st = check_start("slice_update", start, axes.size(), stream);
  bool fits = static_cast<int>(update.ndim()) <= nd;
  Shape shape(nd, 1);
  for (int i = 0; fits && i < static_cast<int>(update.ndim()); ++i) {
    int d = nd - static_cast<int>(update.ndim()) + i;
    shape[d] = update.shape(i);
    fits = update.shape(i) <= src.shape(d);
  }
  if (!fits) {
    std::ostringstream msg;
    msg << "[slice_update] An update of shape " << update.shape()
        << " does not fit in an array of shape " << src.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  auto upd = reshape(astype(update, src.dtype(), stream), shape, stream);
  return dynamic_slice_update_node(src, upd, st, axes, stream);
}

}  // namespace detail

const char* SliceUpdate::name() const { return "SliceUpdate"; }

array slice_update(const array& src, const array& update, Shape start, Shape stop, Shape strides,
                   StreamOrDevice s) {
  return slice_update_impl("slice_update", src, update, std::move(start), std::move(stop),
                           std::move(strides), SliceReduce::None, s);
}

array slice_update(const array& src, const array& update, Shape start, Shape stop,
                   StreamOrDevice s) {
  Shape strides(src.ndim(), 1);
  return slice_update(src, update, std::move(start), std::move(stop), std::move(strides), s);
}

#define MLX_SLICE_UPDATE_REDUCE(fn, reduce)                                                    \
  array fn(const array& src, const array& update, Shape start, Shape stop, Shape strides,      \
           StreamOrDevice s) {                                                                 \
    return slice_update_impl(#fn, src, update, std::move(start), std::move(stop),              \
                             std::move(strides), reduce, s);                                   \
  }                                                                                            \
  array fn(const array& src, const array& update, Shape start, Shape stop, StreamOrDevice s) { \
    Shape strides(src.ndim(), 1);                                                              \
    return fn(src, update, std::move(start), std::move(stop), std::move(strides), s);          \
  }
MLX_SLICE_UPDATE_REDUCE(slice_update_add, SliceReduce::Sum)
MLX_SLICE_UPDATE_REDUCE(slice_update_prod, SliceReduce::Prod)
MLX_SLICE_UPDATE_REDUCE(slice_update_max, SliceReduce::Max)
MLX_SLICE_UPDATE_REDUCE(slice_update_min, SliceReduce::Min)
#undef MLX_SLICE_UPDATE_REDUCE

array masked_scatter(const array& a, const array& mask, const array& src, StreamOrDevice s) {
  auto stream = to_stream(s);
  if (mask.dtype() != bool_) {
    std::ostringstream msg;
    msg << "[masked_scatter] The mask must be boolean, got " << mask.dtype() << ".";
    throw std::invalid_argument(msg.str());
  }
  bool fits = mask.ndim() <= a.ndim();
  for (size_t i = 0; fits && i < mask.ndim(); ++i) {
    auto m = mask.shape()[mask.ndim() - 1 - i];
    fits = m == 1 || m == a.shape()[a.ndim() - 1 - i];
  }
  if (!fits) {
    std::ostringstream msg;
    msg << "[masked_scatter] A mask of shape " << mask.shape()
        << " cannot be broadcast to the array of shape " << a.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  auto m = broadcast_to(mask, a.shape(), stream);
  auto flat = reshape(astype(src, a.dtype(), stream), {static_cast<int>(src.size())}, stream);
  return masked_scatter_node(a, m, flat, false, stream);
}

array diagonal(const array& a, int offset, int axis1, int axis2, StreamOrDevice s) {
  int nd = static_cast<int>(a.ndim());
  if (nd < 2) {
    std::ostringstream msg;
    msg << "[diagonal] Array must have at least two dimensions, got shape " << a.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  int ax1 = axis1 < 0 ? axis1 + nd : axis1;
  int ax2 = axis2 < 0 ? axis2 + nd : axis2;
  if (ax1 < 0 || ax1 >= nd || ax2 < 0 || ax2 >= nd) {
    std::ostringstream msg;
    msg << "[diagonal] Invalid axes (" << axis1 << ", " << axis2 << ") for an array with " << nd
        << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  if (ax1 == ax2) {
    std::ostringstream msg;
    msg << "[diagonal] axis1 and axis2 must be different axes, got (" << axis1 << ", " << axis2
        << ").";
    throw std::invalid_argument(msg.str());
  }
  // A strided view of the row-major elements: the other axes keep their strides, the diagonal
  // steps along both axes at once.
  Strides rm(nd);
  int64_t st = 1;
  for (int i = nd - 1; i >= 0; --i) {
    rm[i] = st;
    st *= a.shape(i);
  }
  int64_t n1 = a.shape(ax1), n2 = a.shape(ax2);
  int64_t len = std::max<int64_t>(
      0, std::min(n1 - std::max<int64_t>(0, -int64_t{offset}), n2 - std::max<int64_t>(0, offset)));
  Shape shape;
  Strides strides;
  for (int i = 0; i < nd; ++i) {
    if (i != ax1 && i != ax2) {
      shape.push_back(a.shape(i));
      strides.push_back(rm[i]);
    }
  }
  shape.push_back(static_cast<int>(len));
  strides.push_back(rm[ax1] + rm[ax2]);
  int64_t start = len == 0 ? 0 : (offset >= 0 ? offset * rm[ax2] : -int64_t{offset} * rm[ax1]);
  return as_strided(a, std::move(shape), std::move(strides), static_cast<size_t>(start), s);
}

array diag(const array& a, int k, StreamOrDevice s) {
  if (a.ndim() == 2) {
    return diagonal(a, k, 0, 1, s);
  }
  if (a.ndim() != 1) {
    std::ostringstream msg;
    msg << "[diag] Array must be 1-D or 2-D, got shape " << a.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  // Row-major position of diagonal element i is start + i * (n + 1).
  int m = a.shape(0);
  int n = m + std::abs(k);
  int start = std::max(0, -k) * n + std::max(0, k);
  int stop = m == 0 ? start : start + (m - 1) * (n + 1) + 1;
  auto flat = slice_update(zeros({n * n}, a.dtype(), s), a, {start}, {stop}, {n + 1}, s);
  return reshape(flat, {n, n}, s);
}

array trace(const array& a, int offset, int axis1, int axis2, Dtype dtype, StreamOrDevice s) {
  if (a.ndim() < 2) {
    std::ostringstream msg;
    msg << "[trace] Array must have at least two dimensions, got shape " << a.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  // Cast, then sum, as MLX does (so a small integer dtype still sums to int32).
  return sum(astype(diagonal(a, offset, axis1, axis2, s), dtype, s), -1, false, s);
}

array trace(const array& a, int offset, int axis1, int axis2, StreamOrDevice s) {
  return trace(a, offset, axis1, axis2, a.dtype(), s);
}

array trace(const array& a, StreamOrDevice s) { return trace(a, 0, 0, 1, s); }

std::vector<array> depends(const std::vector<array>& inputs,
                           const std::vector<array>& dependencies) {
  if (inputs.empty()) {
    return {};
  }
  std::vector<Shape> shapes;
  std::vector<Dtype> dtypes;
  for (auto& in : inputs) {
    shapes.push_back(in.shape());
    dtypes.push_back(in.dtype());
  }
  auto all = inputs;
  all.insert(all.end(), dependencies.begin(), dependencies.end());
  return array::make_arrays(
      std::move(shapes), dtypes,
      std::make_shared<Depends>(to_stream({}), static_cast<int>(inputs.size())), all);
}

// ---- derivative and batching rules ----

std::vector<array> SliceUpdate::vjp(const std::vector<array>& primals,
                                    const std::vector<array>& cotangents,
                                    const std::vector<int>& argnums,
                                    const std::vector<array>& outputs) {
  auto& [start, stop, strides, reduce] = state_;
  auto s = stream();
  auto& src = primals[0];
  auto& upd = primals[1];
  auto& ct = cotangents[0];
  auto region = [&](const array& x) {
    return detail::slice_normalized(x, start, stop, strides, s);
  };
  auto put = [&](const array& x, const array& u) {
    return detail::slice_update_normalized(x, u, start, stop, strides, s);
  };
  // Max and min pass the cotangent to the update where it won (ties included), else to src.
  auto won = [&] { return equal(upd, region(outputs[0]), s); };
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg == 0) {
      switch (reduce) {
        case SliceReduce::None:
          vjps.push_back(put(ct, zeros_like(upd, s)));
          break;
        case SliceReduce::Sum:
          vjps.push_back(ct);
          break;
        case SliceReduce::Prod:
          vjps.push_back(
              detail::slice_update_normalized(ct, upd, start, stop, strides, s, SliceReduce::Prod));
          break;
        default:
          vjps.push_back(put(ct, where(won(), zeros_like(upd, s), region(ct), s)));
      }
    } else {
      switch (reduce) {
        case SliceReduce::None:
        case SliceReduce::Sum:
          vjps.push_back(region(ct));
          break;
        case SliceReduce::Prod:
          vjps.push_back(region(ct) * region(src));
          break;
        default:
          vjps.push_back(where(won(), region(ct), zeros_like(upd, s), s));
      }
    }
  }
  return vjps;
}

std::vector<array> SliceUpdate::jvp(const std::vector<array>& primals,
                                    const std::vector<array>& tangents,
                                    const std::vector<int>& argnums) {
  auto& [start, stop, strides, reduce] = state_;
  auto s = stream();
  auto& src = primals[0];
  auto& upd = primals[1];
  array t_src = zeros_like(src, s);
  array t_upd = zeros_like(upd, s);
  for (size_t i = 0; i < argnums.size(); ++i) {
    (argnums[i] == 0 ? t_src : t_upd) = tangents[i];
  }
  auto region = [&](const array& x) {
    return detail::slice_normalized(x, start, stop, strides, s);
  };
  auto put = [&](const array& x, const array& u, SliceReduce r = SliceReduce::None) {
    return detail::slice_update_normalized(x, u, start, stop, strides, s, r);
  };
  switch (reduce) {
    case SliceReduce::None:
    case SliceReduce::Sum:
      return {put(t_src, t_upd, reduce)};
    case SliceReduce::Prod:
      return {put(put(t_src, upd, SliceReduce::Prod), region(src) * t_upd, SliceReduce::Sum)};
    default: {
      auto best =
          reduce == SliceReduce::Max ? maximum(region(src), upd, s) : minimum(region(src), upd, s);
      return {put(t_src, where(equal(upd, best, s), t_upd, region(t_src), s))};
    }
  }
}

std::pair<std::vector<array>, std::vector<int>> SliceUpdate::vmap(const std::vector<array>& inputs,
                                                                  const std::vector<int>& axes) {
  auto& [start, stop, strides, reduce] = state_;
  // Batch along axis 0 of both (the update is broadcast there if unbatched); the slice covers
  // the whole batch axis.
  int batch = batch_size(inputs, axes);
  auto src = batch_front(inputs[0], axes[0], batch, stream());
  auto upd = batch_front(inputs[1], axes[1], batch, stream());
  Shape b_start = start, b_stop = stop, b_strides = strides;
  b_start.insert(b_start.begin(), 0);
  b_stop.insert(b_stop.begin(), batch);
  b_strides.insert(b_strides.begin(), 1);
  return {{detail::slice_update_normalized(src, upd, b_start, b_stop, b_strides, stream(), reduce)},
          {0}};
}

std::vector<array> DynamicSlice::vjp(const std::vector<array>& primals,
                                     const std::vector<array>& cotangents,
                                     const std::vector<int>& argnums, const std::vector<array>&) {
  auto& [axes, size] = state_;
  std::vector<array> vjps;
  for (int arg : argnums) {
    vjps.push_back(arg == 0 ? dynamic_slice_update_node(zeros_like(primals[0], stream()),
                                                        cotangents[0], primals[1], axes, stream())
                            : zeros_like(primals[1], stream()));
  }
  return vjps;
}

std::vector<array> DynamicSlice::jvp(const std::vector<array>& primals,
                                     const std::vector<array>& tangents,
                                     const std::vector<int>& argnums) {
  auto& [axes, size] = state_;
  if (argnums[0] != 0) {
    return {zeros(size, primals[0].dtype(), stream())};
  }
  return {dynamic_slice_node(tangents[0], primals[1], axes, size, stream())};
}

std::pair<std::vector<array>, std::vector<int>> DynamicSlice::vmap(const std::vector<array>& inputs,
                                                                   const std::vector<int>& axes) {
  auto [sl_axes, size] = state_;
  auto s = stream();
  int batch = batch_size(inputs, axes);
  if (axes[1] >= 0) {
    auto x = axes[0] >= 0 ? move_batch_axis(inputs[0], axes[0], 0, s) : inputs[0];
    auto st = move_batch_axis(inputs[1], axes[1], 0, s);
    auto out = per_batch(
        batch,
        [&](int b) {
          return dynamic_slice_node(batch_element(x, axes[0] >= 0, b, s),
                                    batch_element(st, true, b, s), sl_axes, size, s);
        },
        s);
    return {{out}, {0}};
  }
  auto x = move_batch_axis(inputs[0], axes[0], 0, s);
  size.insert(size.begin(), batch);
  return {{dynamic_slice_node(x, inputs[1], shifted(sl_axes), size, s)}, {0}};
}

std::vector<array> DynamicSliceUpdate::vjp(const std::vector<array>& primals,
                                           const std::vector<array>& cotangents,
                                           const std::vector<int>& argnums,
                                           const std::vector<array>&) {
  auto& [axes] = state_;
  auto s = stream();
  auto& ct = cotangents[0];
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg == 0) {
      vjps.push_back(dynamic_slice_update_node(ct, zeros_like(primals[1], s), primals[2], axes, s));
    } else if (arg == 1) {
      vjps.push_back(dynamic_slice_node(ct, primals[2], axes, primals[1].shape(), s));
    } else {
      vjps.push_back(zeros_like(primals[2], s));
    }
  }
  return vjps;
}

std::vector<array> DynamicSliceUpdate::jvp(const std::vector<array>& primals,
                                           const std::vector<array>& tangents,
                                           const std::vector<int>& argnums) {
  auto& [axes] = state_;
  auto s = stream();
  array t_src = zeros_like(primals[0], s);
  array t_upd = zeros_like(primals[1], s);
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] < 2) {
      (argnums[i] == 0 ? t_src : t_upd) = tangents[i];
    }
  }
  return {dynamic_slice_update_node(t_src, t_upd, primals[2], axes, s)};
}

std::pair<std::vector<array>, std::vector<int>> DynamicSliceUpdate::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  auto& [up_axes] = state_;
  auto s = stream();
  int batch = batch_size(inputs, axes);
  if (axes[2] >= 0) {
    auto src = axes[0] >= 0 ? move_batch_axis(inputs[0], axes[0], 0, s) : inputs[0];
    auto upd = axes[1] >= 0 ? move_batch_axis(inputs[1], axes[1], 0, s) : inputs[1];
    auto st = move_batch_axis(inputs[2], axes[2], 0, s);
    auto out = per_batch(
        batch,
        [&](int b) {
          return dynamic_slice_update_node(batch_element(src, axes[0] >= 0, b, s),
                                           batch_element(upd, axes[1] >= 0, b, s),
                                           batch_element(st, true, b, s), up_axes, s);
        },
        s);
    return {{out}, {0}};
  }
  auto src = batch_front(inputs[0], axes[0], batch, s);
  auto upd = batch_front(inputs[1], axes[1], batch, s);
  return {{dynamic_slice_update_node(src, upd, inputs[2], shifted(up_axes), s)}, {0}};
}

namespace {

// Inputs of a masked primitive, batch-first with one batch axis (a vmap of a batched node folds
// the two batch axes into one); `front` is input 0's shape before folding, to unfold results.
struct MaskedBatch {
  std::vector<array> inputs;
  Shape front;
};

MaskedBatch masked_batch(const std::vector<array>& inputs, const std::vector<int>& axes,
                         bool batched, Stream s) {
  int batch = batch_size(inputs, axes);
  MaskedBatch mb;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto x = batch_front(inputs[i], axes[i], batch, s);
    if (i == 0) {
      mb.front = x.shape();
    }
    if (batched) {
      auto shape = x.shape();
      shape.erase(shape.begin());
      shape[0] *= batch;
      x = reshape(x, shape, s);
    }
    mb.inputs.push_back(x);
  }
  return mb;
}

}  // namespace

std::vector<array> MaskedScatter::vjp(const std::vector<array>& primals,
                                      const std::vector<array>& cotangents,
                                      const std::vector<int>& argnums, const std::vector<array>&) {
  auto& [batched] = state_;
  auto s = stream();
  auto& ct = cotangents[0];
  auto& mask = primals[1];
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg == 0) {
      vjps.push_back(where(mask, zeros_like(ct, s), ct, s));
    } else if (arg == 1) {
      vjps.push_back(zeros_like(mask, s));
    } else {
      vjps.push_back(masked_gather_node(ct, mask, primals[2].shape().back(), batched, s));
    }
  }
  return vjps;
}

std::vector<array> MaskedScatter::jvp(const std::vector<array>& primals,
                                      const std::vector<array>& tangents,
                                      const std::vector<int>& argnums) {
  auto& [batched] = state_;
  array t_a = zeros_like(primals[0], stream());
  array t_src = zeros_like(primals[2], stream());
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] != 1) {
      (argnums[i] == 0 ? t_a : t_src) = tangents[i];
    }
  }
  return {masked_scatter_node(t_a, primals[1], t_src, batched, stream())};
}

std::pair<std::vector<array>, std::vector<int>> MaskedScatter::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  auto& [batched] = state_;
  auto s = stream();
  auto mb = masked_batch(inputs, axes, batched, s);
  auto out = masked_scatter_node(mb.inputs[0], mb.inputs[1], mb.inputs[2], true, s);
  return {{batched ? reshape(out, mb.front, s) : out}, {0}};
}

std::vector<array> MaskedGather::vjp(const std::vector<array>& primals,
                                     const std::vector<array>& cotangents,
                                     const std::vector<int>& argnums, const std::vector<array>&) {
  auto& [batched, length] = state_;
  std::vector<array> vjps;
  for (int arg : argnums) {
    vjps.push_back(arg == 0 ? masked_scatter_node(zeros_like(primals[0], stream()), primals[1],
                                                  cotangents[0], batched, stream())
                            : zeros_like(primals[1], stream()));
  }
  return vjps;
}

std::vector<array> MaskedGather::jvp(const std::vector<array>& primals,
                                     const std::vector<array>& tangents, const std::vector<int>&) {
  auto& [batched, length] = state_;
  return {masked_gather_node(tangents[0], primals[1], length, batched, stream())};
}

std::pair<std::vector<array>, std::vector<int>> MaskedGather::vmap(const std::vector<array>& inputs,
                                                                   const std::vector<int>& axes) {
  auto& [batched, length] = state_;
  auto s = stream();
  auto mb = masked_batch(inputs, axes, batched, s);
  auto out = masked_gather_node(mb.inputs[0], mb.inputs[1], length, true, s);
  if (batched) {
    out = reshape(out, {mb.front[0], mb.front[1], length}, s);
  }
  return {{out}, {0}};
}

std::vector<array> Depends::vjp(const std::vector<array>& primals,
                                const std::vector<array>& cotangents,
                                const std::vector<int>& argnums, const std::vector<array>&) {
  auto& [n] = state_;
  std::vector<array> vjps;
  for (int arg : argnums) {
    vjps.push_back(arg < n ? cotangents[arg] : zeros_like(primals[arg], stream()));
  }
  return vjps;
}

std::vector<array> Depends::jvp(const std::vector<array>& primals,
                                const std::vector<array>& tangents,
                                const std::vector<int>& argnums) {
  auto& [n] = state_;
  std::vector<array> out;
  for (int i = 0; i < n; ++i) {
    auto it = std::find(argnums.begin(), argnums.end(), i);
    out.push_back(it == argnums.end() ? zeros_like(primals[i], stream())
                                      : tangents[it - argnums.begin()]);
  }
  return out;
}

std::pair<std::vector<array>, std::vector<int>> Depends::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes) {
  auto& [n] = state_;
  int batch = batch_size(inputs, axes);
  std::vector<array> ins, deps(inputs.begin() + n, inputs.end());
  for (int i = 0; i < n; ++i) {
    ins.push_back(batch_front(inputs[i], axes[i], batch, stream()));
  }
  return {depends(ins, deps), std::vector<int>(n, 0)};
}

}  // namespace mlx::core
