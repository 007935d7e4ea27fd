// NumPy-style indexing (mlx/indexing.h): reads, writes (index_put), accumulating updates (at),
// and the ops whose shapes depend on values: nonzero, argwhere, unique. See docs/indexing.md.
//
// An index is first expanded to one entry per axis (the ellipsis filled with full slices, bool
// masks replaced by their nonzero() positions). Basic entries (ints, slices) become one slice()
// view; integer arrays then go through take/gather (reads) or scatter (writes), with NumPy's
// placement of the broadcast index dims; new axes are size-1 dims added by a final reshape.
#include <algorithm>
#include <numeric>
#include <optional>
#include <sstream>

#include "core/dtype_utils.h"
#include "mlx/indexing.h"
#include "mlx/ops.h"
#include "mlx/transforms.h"
#include "mlx/transforms_impl.h"
#include "ops/gather.h"

namespace mlx::core {

namespace {

enum class Kind { Int, Slice, NewAxis, Array };

// One entry of an expanded index. Ints are already checked and made non-negative; a Slice's
// start/stop are NumPy's (open ends filled in) for slice() to normalise.
struct Entry {
  Kind kind;
  int start = 0, stop = 0, step = 1;
  array idx = array(0);
};

// The op's result shape depends on values: it evaluates, which only grad's tracing allows.
void check_can_evaluate(const char* op) {
  if (detail::InTracing::in_non_grad_tracing()) {
    std::ostringstream msg;
    msg << "[" << op << "] The result's shape depends on the input's values, so it cannot be "
        << "used under vmap or compile (it evaluates its input).";
    throw std::invalid_argument(msg.str());
  }
}

// The positions of the nonzero (true) elements of `a`, in row-major order, as multi-indices.
std::vector<std::vector<uint32_t>> nonzero_positions(const array& a, const char* op) {
  check_can_evaluate(op);
  auto m = contiguous(a.dtype() == bool_ ? a : not_equal(a, zeros({}, a.dtype())));
  eval(m);
  int nd = static_cast<int>(a.ndim());
  std::vector<std::vector<uint32_t>> pos(nd);
  const bool* p = m.data<bool>();
  size_t count = std::count(p, p + m.size(), true);
  for (auto& v : pos) {
    v.reserve(count);
  }
  std::vector<uint32_t> idx(nd, 0);
  for (size_t i = 0; i < m.size(); ++i) {
    if (p[i]) {
      for (int d = 0; d < nd; ++d) {
        pos[d].push_back(idx[d]);
      }
    }
    for (int d = nd - 1; d >= 0; --d) {
      if (++idx[d] < static_cast<uint32_t>(a.shape(d))) {
        break;
      }
      idx[d] = 0;
    }
  }
  return pos;
}

array uint32_array(const std::vector<uint32_t>& v) {
  return array(v.begin(), {static_cast<int>(v.size())}, uint32);
}

std::vector<Entry> expand(const array& a, const std::vector<Index>& indices, const char* op) {
  int nd = static_cast<int>(a.ndim());
  int consumed = 0, ellipses = 0;
  for (auto& index : indices) {
    auto& v = index.value();
    if (std::holds_alternative<EllipsisIndex>(v)) {
      ++ellipses;
    } else if (auto* arr = std::get_if<array>(&v)) {
      if (arr->dtype() != bool_ && !issubdtype(arr->dtype(), integer)) {
        std::ostringstream msg;
        msg << "[" << op << "] Index arrays must be integer or boolean, got " << arr->dtype()
            << ".";
        throw std::invalid_argument(msg.str());
      }
      if (arr->dtype() == bool_ && arr->ndim() == 0) {
        std::ostringstream msg;
        msg << "[" << op << "] A boolean mask must have at least one dimension.";
        throw std::invalid_argument(msg.str());
      }
      consumed += arr->dtype() == bool_ ? static_cast<int>(arr->ndim()) : 1;
    } else if (!std::holds_alternative<NewAxisIndex>(v)) {
      ++consumed;
    }
  }
  if (ellipses > 1) {
    std::ostringstream msg;
    msg << "[" << op << "] An index can have only one ellipsis, got " << ellipses << ".";
    throw std::invalid_argument(msg.str());
  }
  if (consumed > nd) {
    std::ostringstream msg;
    msg << "[" << op << "] Too many indices for an array with " << nd << " dimensions: " << consumed
        << " given.";
    throw std::invalid_argument(msg.str());
  }
  std::vector<Entry> entries;
  int ax = 0;
  auto full = [&] {
    int n = a.shape(ax++);
    entries.push_back({Kind::Slice, 0, n, 1});
  };
  for (auto& index : indices) {
    auto& v = index.value();
    if (std::holds_alternative<EllipsisIndex>(v)) {
      for (int i = consumed; i < nd; ++i) {
        full();
      }
    } else if (std::holds_alternative<NewAxisIndex>(v)) {
      entries.push_back({Kind::NewAxis});
    } else if (auto* i = std::get_if<int>(&v)) {
      int n = a.shape(ax);
      if (*i < -n || *i >= n) {
        std::ostringstream msg;
        msg << "[" << op << "] Index " << *i << " is out of bounds for axis " << ax << " with size "
            << n << ".";
        throw std::invalid_argument(msg.str());
      }
      int k = *i < 0 ? *i + n : *i;
      entries.push_back({Kind::Int, k, k + 1, 1});
      ++ax;
    } else if (auto* sl = std::get_if<Slice>(&v)) {
      if (sl->step == 0) {
        throw std::invalid_argument("[" + std::string(op) + "] Slice step cannot be zero.");
      }
      int n = a.shape(ax++);
      // With a negative step an open stop lies before the first element: -n - 1 is normalised
      // by slice() to just that.
      int start = sl->start.value_or(sl->step > 0 ? 0 : n - 1);
      int stop = sl->stop.value_or(sl->step > 0 ? n : -n - 1);
      entries.push_back({Kind::Slice, start, stop, sl->step});
    } else {
      auto& arr = std::get<array>(v);
      if (arr.dtype() != bool_) {
        entries.push_back({Kind::Array, 0, 0, 1, arr});
        ++ax;
        continue;
      }
      Shape covered(a.shape().begin() + ax, a.shape().begin() + ax + arr.ndim());
      if (covered != arr.shape()) {
        std::ostringstream msg;
        msg << "[" << op << "] A boolean mask of shape " << arr.shape()
            << " does not match the indexed dimensions " << covered << " of the array of shape "
            << a.shape() << ".";
        throw std::invalid_argument(msg.str());
      }
      for (auto& p : nonzero_positions(arr, op)) {
        entries.push_back({Kind::Array, 0, 0, 1, uint32_array(p)});
        ++ax;
      }
    }
  }
  while (ax < nd) {
    full();
  }
  return entries;
}

// The parts of an index once expanded: the slice() of the basic entries (array axes whole),
// and for advanced indexing the index arrays, their axes in the sliced array and where their
// broadcast dims go in the result.
struct Plan {
  Shape start, stop, strides;
  array view = array(0);  // the slice() of the basic entries
  bool has_array = false;
  std::vector<array> idx;
  std::vector<int> axes;  // axes of the index arrays in the sliced array
  Shape index_shape;      // the broadcast shape of the index arrays
  bool adjacent = true;   // advanced entries side by side: their dims stay in place
  int before = 0;         // result dims (new axes included) before the index dims
  int sliced_before = 0;  // sliced dims before the index dims
  Shape result_shape;     // NumPy's shape of a[index]
  Shape moved_shape;      // result_shape without the new axes
};

Plan make_plan(const array& a, std::vector<Entry> entries, Stream s) {
  Plan p;
  for (auto& e : entries) {
    p.has_array = p.has_array || e.kind == Kind::Array;
  }
  // Next to index arrays an int is a 0-d index array (NumPy), which counts for adjacency.
  if (p.has_array) {
    for (auto& e : entries) {
      if (e.kind == Kind::Int) {
        e = {Kind::Array, 0, 0, 1, array(e.start)};
      }
    }
  }
  auto b_shape = a.shape();
  int ax = 0, first = -1, last = -1;
  std::vector<Shape> idx_shapes;
  for (int i = 0; i < static_cast<int>(entries.size()); ++i) {
    auto& e = entries[i];
    if (e.kind == Kind::NewAxis) {
      continue;
    }
    if (e.kind == Kind::Array) {
      p.start.push_back(0);
      p.stop.push_back(a.shape(ax));
      p.strides.push_back(1);
      p.idx.push_back(e.idx);
      p.axes.push_back(ax);
      idx_shapes.push_back(e.idx.shape());
      first = first < 0 ? i : first;
      p.adjacent = p.adjacent && (last < 0 || last == i - 1);
      last = i;
    } else {
      p.start.push_back(e.start);
      p.stop.push_back(e.stop);
      p.strides.push_back(e.step);
    }
    ++ax;
  }
  if (p.has_array) {
    p.index_shape = Shape{};
    for (auto& sh : idx_shapes) {
      p.index_shape = broadcast_shapes(p.index_shape, sh);
    }
  }
  p.view = slice(a, p.start, p.stop, p.strides, s);
  auto& sliced = p.view.shape();
  Shape basic_result, basic_sliced;
  ax = 0;
  for (int i = 0; i < static_cast<int>(entries.size()); ++i) {
    auto& e = entries[i];
    bool in_front = p.adjacent && first >= 0 && i < first;
    if (e.kind == Kind::NewAxis) {
      basic_result.push_back(1);
      p.before += in_front;
      continue;
    }
    if (e.kind == Kind::Slice) {
      basic_result.push_back(sliced[ax]);
      basic_sliced.push_back(sliced[ax]);
      p.before += in_front;
      p.sliced_before += in_front;
    }
    ++ax;
  }
  p.result_shape = basic_result;
  p.result_shape.insert(p.result_shape.begin() + p.before, p.index_shape.begin(),
                        p.index_shape.end());
  p.moved_shape = basic_sliced;
  p.moved_shape.insert(p.moved_shape.begin() + p.sliced_before, p.index_shape.begin(),
                       p.index_shape.end());
  return p;
}

// The index dims of x at [from, from + k) moved to [to, to + k).
array move_index_dims(const array& x, int k, int from, int to, Stream s) {
  if (from == to || k == 0) {
    return x;
  }
  std::vector<int> rest, perm;
  for (int i = 0; i < static_cast<int>(x.ndim()); ++i) {
    if (i < from || i >= from + k) rest.push_back(i);
  }
  perm.assign(rest.begin(), rest.begin() + to);
  for (int i = 0; i < k; ++i) perm.push_back(from + i);
  perm.insert(perm.end(), rest.begin() + to, rest.end());
  return transpose(x, perm, s);
}

array read(const array& a, const std::vector<Index>& indices, Stream s) {
  auto p = make_plan(a, expand(a, indices, "index"), s);
  auto& b = p.view;
  if (!p.has_array) {
    return reshape(b, p.result_shape, s);
  }
  int k = static_cast<int>(p.index_shape.size());
  array g = b;
  if (p.idx.size() == 1) {
    // take puts the index dims in place of the axis.
    g = move_index_dims(take(b, p.idx[0], p.axes[0], s), k, p.axes[0], p.sliced_before, s);
  } else {
    auto sizes = b.shape();
    std::vector<int> squeezed;
    for (int ax : p.axes) {
      sizes[ax] = 1;
      squeezed.push_back(k + ax);
    }
    g = squeeze(gather(b, p.idx, p.axes, sizes, s), squeezed, s);
    g = move_index_dims(g, k, 0, p.sliced_before, s);
  }
  return reshape(g, p.result_shape, s);
}

// a with a[index] combined with value (broadcast to a[index]'s shape): written, or accumulated
// by `op` (duplicate positions accumulate).
array update(const array& a, const std::vector<Index>& indices, const array& value, ScatterOp op,
             const char* name, Stream s) {
  auto p = make_plan(a, expand(a, indices, name), s);
  auto v = astype(value, a.dtype(), s);
  bool fits = v.ndim() <= p.result_shape.size();
  for (size_t i = 0; fits && i < v.ndim(); ++i) {
    auto d = v.shape()[v.ndim() - 1 - i];
    fits = d == 1 || d == p.result_shape[p.result_shape.size() - 1 - i];
  }
  if (!fits) {
    std::ostringstream msg;
    msg << "[" << name << "] A value of shape " << value.shape()
        << " cannot be broadcast to the indexed shape " << p.result_shape << ".";
    throw std::invalid_argument(msg.str());
  }
  v = reshape(broadcast_to(v, p.result_shape, s), p.moved_shape, s);
  if (!p.has_array) {
    // The region of slice(): ints are size-1 dims there.
    v = reshape(v, p.view.shape(), s);
    switch (op) {
      case ScatterOp::None:
        return slice_update(a, v, p.start, p.stop, p.strides, s);
      case ScatterOp::Sum:
        return slice_update_add(a, v, p.start, p.stop, p.strides, s);
      case ScatterOp::Prod:
        return slice_update_prod(a, v, p.start, p.stop, p.strides, s);
      case ScatterOp::Max:
        return slice_update_max(a, v, p.start, p.stop, p.strides, s);
      case ScatterOp::Min:
        return slice_update_min(a, v, p.start, p.stop, p.strides, s);
    }
  }
  int k = static_cast<int>(p.index_shape.size());
  auto& b = p.view;
  // Updates for scatter: the index dims, then b's dims with the indexed ones of size 1.
  v = move_index_dims(v, k, p.sliced_before, 0, s);
  auto upd_shape = p.index_shape;
  auto sizes = b.shape();
  for (int ax : p.axes) {
    sizes[ax] = 1;
  }
  upd_shape.insert(upd_shape.end(), sizes.begin(), sizes.end());
  v = reshape(v, upd_shape, s);
  array r = b;
  switch (op) {
    case ScatterOp::None:
      r = scatter(b, p.idx, v, p.axes, s);
      break;
    case ScatterOp::Sum:
      r = scatter_add(b, p.idx, v, p.axes, s);
      break;
    case ScatterOp::Prod:
      r = scatter_prod(b, p.idx, v, p.axes, s);
      break;
    case ScatterOp::Max:
      r = scatter_max(b, p.idx, v, p.axes, s);
      break;
    case ScatterOp::Min:
      r = scatter_min(b, p.idx, v, p.axes, s);
      break;
  }
  if (b.shape() == a.shape() &&
      std::all_of(p.strides.begin(), p.strides.end(), [](int st) { return st == 1; })) {
    return r;
  }
  return slice_update(a, r, p.start, p.stop, p.strides, s);
}

// a[mask] = value with one mask over a's leading dims: where() when the value broadcasts to a
// row (no evaluation), else the rows are filled in order from the value (masked_scatter).
std::optional<array> mask_put(const array& a, const std::vector<Index>& indices, const array& value,
                              Stream s) {
  if (indices.size() != 1) {
    return std::nullopt;
  }
  auto* m = std::get_if<array>(&indices[0].value());
  if (!m || m->dtype() != bool_ || m->ndim() == 0 || m->ndim() > a.ndim() ||
      !std::equal(m->shape().begin(), m->shape().end(), a.shape().begin())) {
    return std::nullopt;
  }
  Shape row(a.shape().begin() + m->ndim(), a.shape().end());
  auto mask_shape = m->shape();
  mask_shape.insert(mask_shape.end(), row.size(), 1);
  auto mask = reshape(*m, mask_shape, s);
  auto v = astype(value, a.dtype(), s);
  bool fits_row = v.ndim() <= row.size();
  for (size_t i = 0; fits_row && i < v.ndim(); ++i) {
    auto d = v.shape()[v.ndim() - 1 - i];
    fits_row = d == 1 || d == row[row.size() - 1 - i];
  }
  if (fits_row) {
    return where(mask, v, a, s);
  }
  // One value row per true: (n, row...) with n read from the value.
  bool rows = v.ndim() == row.size() + 1;
  for (size_t i = 0; rows && i < row.size(); ++i) {
    rows = v.shape(i + 1) == 1 || v.shape(i + 1) == row[i];
  }
  if (!rows) {
    std::ostringstream msg;
    msg << "[index_put] A value of shape " << value.shape()
        << " cannot be broadcast to the masked rows of shape " << row << ".";
    throw std::invalid_argument(msg.str());
  }
  auto full = row;
  full.insert(full.begin(), v.shape(0));
  return masked_scatter(a, mask, broadcast_to(v, full, s), s);
}

}  // namespace

array index(const array& a, const std::vector<Index>& indices, StreamOrDevice s) {
  return read(a, indices, to_stream(s));
}

array index_put(const array& a, const std::vector<Index>& indices, const array& value,
                StreamOrDevice s) {
  auto stream = to_stream(s);
  if (auto r = mask_put(a, indices, value, stream)) {
    return *r;
  }
  return update(a, indices, value, ScatterOp::None, "index_put", stream);
}

array array::index(const std::vector<Index>& indices) const {
  return mlx::core::index(*this, indices);
}

array& array::index_put(const std::vector<Index>& indices, const array& value) {
  *this = mlx::core::index_put(*this, indices, value);
  return *this;
}

ArrayAt array::at(const std::vector<Index>& indices) const { return ArrayAt(*this, indices); }

array ArrayAt::add(const array& v) const {
  return update(a_, indices_, v, ScatterOp::Sum, "at", to_stream({}));
}
array ArrayAt::subtract(const array& v) const { return add(negative(v)); }
array ArrayAt::multiply(const array& v) const {
  return update(a_, indices_, v, ScatterOp::Prod, "at", to_stream({}));
}
array ArrayAt::divide(const array& v) const { return multiply(mlx::core::divide(array(1.0f), v)); }
array ArrayAt::maximum(const array& v) const {
  return update(a_, indices_, v, ScatterOp::Max, "at", to_stream({}));
}
array ArrayAt::minimum(const array& v) const {
  return update(a_, indices_, v, ScatterOp::Min, "at", to_stream({}));
}

std::vector<array> nonzero(const array& a, StreamOrDevice) {
  if (a.ndim() == 0) {
    throw std::invalid_argument(
        "[nonzero] A scalar has no axes to index; use reshape(a, {1}) first.");
  }
  std::vector<array> out;
  for (auto& p : nonzero_positions(a, "nonzero")) {
    out.push_back(uint32_array(p));
  }
  return out;
}

array argwhere(const array& a, StreamOrDevice) {
  auto pos = nonzero_positions(a, "argwhere");
  int nd = static_cast<int>(a.ndim());
  size_t n = nd == 0 ? 0 : pos[0].size();
  if (nd == 0) {
    // A scalar has one position with no coordinates, present when it is nonzero.
    auto m = not_equal(a, zeros({}, a.dtype()));
    n = m.item<bool>() ? 1 : 0;
  }
  std::vector<uint32_t> flat(n * nd);
  for (size_t i = 0; i < n; ++i) {
    for (int d = 0; d < nd; ++d) {
      flat[i * nd + d] = pos[d][i];
    }
  }
  return array(flat.begin(), {static_cast<int>(n), nd}, uint32);
}

array unique(const array& a, StreamOrDevice s) {
  check_can_evaluate("unique");
  auto sorted = sort(reshape(a, {static_cast<int>(a.size())}, s), s);
  eval(sorted);
  return dispatch_dtype(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = sorted.data<T>();
    // std::vector<bool> has no bool* storage to build an array from.
    std::vector<std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>> out;
    for (size_t i = 0; i < sorted.size(); ++i) {
      // NaNs sort last and count as one value, as NumPy's unique gives them.
      bool same = i > 0 && (p[i] == p[i - 1] || (p[i] != p[i] && p[i - 1] != p[i - 1]));
      if (!same) out.push_back(p[i]);
    }
    return array(out.begin(), {static_cast<int>(out.size())}, a.dtype());
  });
}

}  // namespace mlx::core
