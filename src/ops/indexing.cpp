// Indexing: slice_update.
#include "ops/indexing.h"

#include <sstream>

#include "mlx/ops.h"

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

}  // namespace

namespace detail {

array slice_normalized(const array& a, const Shape& start, const Shape& stop, const Shape& strides,
                       Stream s) {
  return array(slice_shape(start, stop, strides), a.dtype(),
               std::make_shared<SliceView>(s, start, stop, strides), {a});
}

array slice_update_normalized(const array& src, const array& update, const Shape& start,
                              const Shape& stop, const Shape& strides, Stream s) {
  auto upd = broadcast_to(astype(update, src.dtype(), s), slice_shape(start, stop, strides), s);
  return array(src.shape(), src.dtype(), std::make_shared<SliceUpdate>(s, start, stop, strides),
               {src, upd});
}

}  // namespace detail

array slice_update(const array& src, const array& update, Shape start, Shape stop, Shape strides,
                   StreamOrDevice s) {
  auto nd = src.ndim();
  if (start.size() != nd || stop.size() != nd || strides.size() != nd) {
    std::ostringstream msg;
    msg << "[slice_update] Invalid number of indices or strides for an array with " << nd
        << " dimensions (start " << start << ", stop " << stop << ", strides " << strides << ").";
    throw std::invalid_argument(msg.str());
  }
  Shape region(nd);
  for (size_t i = 0; i < nd; ++i) {
    if (strides[i] == 0) {
      std::ostringstream msg;
      msg << "[slice_update] Slice strides must be non-zero, got " << strides << ".";
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
    msg << "[slice_update] An update of shape " << update.shape()
        << " cannot be broadcast to the slice of shape " << region << ".";
    throw std::invalid_argument(msg.str());
  }
  auto stream = to_stream(s);
  auto upd = broadcast_to(astype(update, src.dtype(), stream), region, stream);
  return array(
      src.shape(), src.dtype(),
      std::make_shared<SliceUpdate>(stream, std::move(start), std::move(stop), std::move(strides)),
      {src, upd});
}

array slice_update(const array& src, const array& update, Shape start, Shape stop,
                   StreamOrDevice s) {
  Shape strides(src.ndim(), 1);
  return slice_update(src, update, std::move(start), std::move(stop), std::move(strides), s);
}

std::vector<array> SliceUpdate::vjp(const std::vector<array>& primals,
                                    const std::vector<array>& cotangents,
                                    const std::vector<int>& argnums, const std::vector<array>&) {
  auto& [start, stop, strides] = state_;
  auto& ct = cotangents[0];
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg == 0) {
      vjps.push_back(detail::slice_update_normalized(ct, zeros_like(primals[1], stream()), start,
                                                     stop, strides, stream()));
    } else {
      vjps.push_back(detail::slice_normalized(ct, start, stop, strides, stream()));
    }
  }
  return vjps;
}

std::vector<array> SliceUpdate::jvp(const std::vector<array>& primals,
                                    const std::vector<array>& tangents,
                                    const std::vector<int>& argnums) {
  auto& [start, stop, strides] = state_;
  array t_src = zeros_like(primals[0], stream());
  array t_upd = zeros_like(primals[1], stream());
  for (size_t i = 0; i < argnums.size(); ++i) {
    (argnums[i] == 0 ? t_src : t_upd) = tangents[i];
  }
  return {detail::slice_update_normalized(t_src, t_upd, start, stop, strides, stream())};
}

std::pair<std::vector<array>, std::vector<int>> SliceUpdate::vmap(const std::vector<array>& inputs,
                                                                  const std::vector<int>& axes) {
  auto& [start, stop, strides] = state_;
  // Batch along axis 0 of both (the update is broadcast there if unbatched); the slice covers
  // the whole batch axis.
  int batch = axes[0] >= 0 ? inputs[0].shape(axes[0]) : inputs[1].shape(axes[1]);
  auto to_front = [&](const array& x, int ax, const Shape& unbatched) {
    if (ax < 0) {
      auto shape = unbatched;
      shape.insert(shape.begin(), batch);
      return broadcast_to(expand_dims(x, 0, stream()), shape, stream());
    }
    std::vector<int> perm;
    perm.push_back(ax);
    for (int i = 0; i < static_cast<int>(x.ndim()); ++i) {
      if (i != ax) perm.push_back(i);
    }
    return transpose(x, perm, stream());
  };
  auto src = to_front(inputs[0], axes[0], inputs[0].shape());
  auto upd = to_front(inputs[1], axes[1], inputs[1].shape());
  Shape b_start = start, b_stop = stop, b_strides = strides;
  b_start.insert(b_start.begin(), 0);
  b_stop.insert(b_stop.begin(), batch);
  b_strides.insert(b_strides.begin(), 1);
  return {{detail::slice_update_normalized(src, upd, b_start, b_stop, b_strides, stream())}, {0}};
}

}  // namespace mlx::core
