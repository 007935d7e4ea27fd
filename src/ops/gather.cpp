// Gather and scatter: gather, take, take_along_axis, scatter (plain, add, prod, max, min),
// put_along_axis and scatter_add_axis, with their derivative and batching rules.
#include <algorithm>
#include <optional>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

constexpr const char* kScatterNames[] = {"Scatter", "ScatterSum", "ScatterProd", "ScatterMax",
                                         "ScatterMin"};
constexpr const char* kScatterOpNames[] = {"scatter", "scatter_add", "scatter_prod", "scatter_max",
                                           "scatter_min"};

void check_index_dtype(const char* op, const array& idx) {
  if (!issubdtype(idx.dtype(), integer)) {
    std::ostringstream msg;
    msg << "[" << op << "] Indices must have an integer dtype, got " << idx.dtype() << ".";
    throw std::invalid_argument(msg.str());
  }
}

// Validates the index arrays and their axes against `a`, and broadcasts them together.
std::vector<array> check_indices(const char* op, const array& a, const std::vector<array>& indices,
                                 std::vector<int>& axes, Stream s) {
  if (indices.size() != axes.size()) {
    std::ostringstream msg;
    msg << "[" << op << "] Got " << indices.size() << " index arrays for " << axes.size()
        << " axes " << axes << ".";
    throw std::invalid_argument(msg.str());
  }
  if (indices.size() > a.ndim()) {
    std::ostringstream msg;
    msg << "[" << op << "] Got " << indices.size() << " index arrays for an array with " << a.ndim()
        << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  std::vector<bool> seen(a.ndim(), false);
  for (auto& ax : axes) {
    ax = detail::normalize_axis(op, ax, a);
    if (seen[ax]) {
      std::ostringstream msg;
      msg << "[" << op << "] Received duplicate axis " << ax << " in axes " << axes << ".";
      throw std::invalid_argument(msg.str());
    }
    seen[ax] = true;
  }
  Shape shape;
  for (auto& idx : indices) {
    check_index_dtype(op, idx);
    try {
      shape = broadcast_shapes(shape, idx.shape());
    } catch (const std::invalid_argument&) {
      std::ostringstream msg;
      msg << "[" << op << "] Index arrays of shapes";
      for (auto& i : indices) msg << " " << i.shape();
      msg << " cannot be broadcast together.";
      throw std::invalid_argument(msg.str());
    }
  }
  std::vector<array> out;
  for (auto& idx : indices) out.push_back(broadcast_to(idx, shape, s));
  return out;
}

// The shape of indices (of a's rank) broadcast against a's shape except along `axis`; when
// `both`, a's size-one dims broadcast against the indices' too.
Shape along_axis_shape(const char* op, const array& a, const array& indices, int axis, bool both) {
  if (indices.ndim() != a.ndim()) {
    std::ostringstream msg;
    msg << "[" << op << "] Indices of shape " << indices.shape() << " must have the " << a.ndim()
        << " dimensions of the array.";
    throw std::invalid_argument(msg.str());
  }
  Shape shape = a.shape();
  for (int d = 0; d < static_cast<int>(a.ndim()); ++d) {
    if (d == axis || (both && a.shape(d) == 1)) {
      shape[d] = indices.shape(d);
    } else if (indices.shape(d) != a.shape(d) && indices.shape(d) != 1) {
      std::ostringstream msg;
      msg << "[" << op << "] Indices of shape " << indices.shape()
          << " cannot be broadcast against an array of shape " << a.shape() << " except along axis "
          << axis << ".";
      throw std::invalid_argument(msg.str());
    }
  }
  return shape;
}

Shape concat(const Shape& x, const Shape& y) {
  Shape out = x;
  out.insert(out.end(), y.begin(), y.end());
  return out;
}

std::vector<int> shifted(const std::vector<int>& axes, int by) {
  std::vector<int> out;
  for (int ax : axes) out.push_back(ax + by);
  return out;
}

// Nodes from parameters the builders have checked.
array gather_node(const array& a, const std::vector<array>& idx, std::vector<int> axes,
                  Shape slice_sizes, Stream s) {
  auto shape = concat(idx.empty() ? Shape{} : idx[0].shape(), slice_sizes);
  std::vector<array> inputs{a};
  inputs.insert(inputs.end(), idx.begin(), idx.end());
  return array(std::move(shape), a.dtype(),
               std::make_shared<Gather>(s, std::move(axes), std::move(slice_sizes)),
               std::move(inputs));
}

array scatter_node(ScatterOp op, const array& a, const std::vector<array>& idx,
                   const array& updates, std::vector<int> axes, Stream s) {
  std::vector<array> inputs{a};
  inputs.insert(inputs.end(), idx.begin(), idx.end());
  inputs.push_back(updates);
  return array(a.shape(), a.dtype(), std::make_shared<Scatter>(s, op, std::move(axes)),
               std::move(inputs));
}

array gather_axis_node(const array& a, const array& idx, int axis, Stream s) {
  return array(idx.shape(), a.dtype(), std::make_shared<GatherAxis>(s, axis), {a, idx});
}

array scatter_axis_node(ScatterOp op, const array& a, const array& idx, const array& values,
                        int axis, Stream s) {
  return array(a.shape(), a.dtype(), std::make_shared<ScatterAxis>(s, op, axis), {a, idx, values});
}

array scatter_checked(ScatterOp op, const array& a, const std::vector<array>& indices,
                      const array& updates, std::vector<int> axes, Stream s) {
  const char* name = kScatterOpNames[static_cast<int>(op)];
  auto idx = check_indices(name, a, indices, axes, s);
  Shape idx_shape = idx.empty() ? Shape{} : idx[0].shape();
  const size_t k = idx_shape.size();
  bool ok = updates.ndim() == k + a.ndim();
  for (size_t i = 0; ok && i < k; ++i) {
    ok = updates.shape(i) == idx_shape[i] || updates.shape(i) == 1;
  }
  for (size_t i = 0; ok && i < a.ndim(); ++i) {
    ok = updates.shape(k + i) <= a.shape(i);
  }
  if (!ok) {
    std::ostringstream msg;
    msg << "[" << name << "] Updates of shape " << updates.shape() << " must be the index shape "
        << idx_shape << " followed by a slice no larger than the array's shape " << a.shape()
        << ".";
    throw std::invalid_argument(msg.str());
  }
  Shape upd_shape = updates.shape();
  std::copy(idx_shape.begin(), idx_shape.end(), upd_shape.begin());
  auto upd = broadcast_to(astype(updates, a.dtype(), s), upd_shape, s);
  return scatter_node(op, a, idx, upd, std::move(axes), s);
}

array scatter_axis_checked(ScatterOp op, const array& a, const array& indices, const array& values,
                           int axis, Stream s) {
  const char* name = detail::scatter_op_name(op, true);
  int ax = detail::normalize_axis(name, axis, a);
  check_index_dtype(name, indices);
  auto shape = along_axis_shape(name, a, indices, ax, false);
  if (values.ndim() > shape.size()) {
    std::ostringstream msg;
    msg << "[" << name << "] Values of shape " << values.shape()
        << " cannot be broadcast to the indices' shape " << shape << ".";
    throw std::invalid_argument(msg.str());
  }
  for (size_t i = 0; i < values.ndim(); ++i) {
    auto v = values.shape()[values.ndim() - 1 - i];
    if (v != 1 && v != shape[shape.size() - 1 - i]) {
      std::ostringstream msg;
      msg << "[" << name << "] Values of shape " << values.shape()
          << " cannot be broadcast to the indices' shape " << shape << ".";
      throw std::invalid_argument(msg.str());
    }
  }
  auto idx = broadcast_to(indices, shape, s);
  auto v = broadcast_to(astype(values, a.dtype(), s), shape, s);
  return scatter_axis_node(op, a, idx, v, ax, s);
}

}  // namespace

namespace detail {
const char* scatter_op_name(ScatterOp op, bool along_axis) {
  if (along_axis) {
    return op == ScatterOp::Sum ? "scatter_add_axis" : "put_along_axis";
  }
  return kScatterOpNames[static_cast<int>(op)];
}
}  // namespace detail

const char* Scatter::name() const { return kScatterNames[static_cast<int>(op())]; }

// ---- builders ----

array gather(const array& a, const std::vector<array>& indices, const std::vector<int>& axes,
             const Shape& slice_sizes, StreamOrDevice s) {
  auto stream = to_stream(s);
  auto norm_axes = axes;
  auto idx = check_indices("gather", a, indices, norm_axes, stream);
  bool ok = slice_sizes.size() == a.ndim();
  for (size_t i = 0; ok && i < a.ndim(); ++i) {
    ok = slice_sizes[i] >= 0 && slice_sizes[i] <= a.shape(static_cast<int>(i));
  }
  if (!ok) {
    std::ostringstream msg;
    msg << "[gather] Slice sizes " << slice_sizes
        << " must give each dimension a size from 0 to the array's, " << a.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  return gather_node(a, idx, std::move(norm_axes), slice_sizes, stream);
}

array take(const array& a, const array& indices, int axis, StreamOrDevice s) {
  auto stream = to_stream(s);
  int ax = detail::normalize_axis("take", axis, a);
  check_index_dtype("take", indices);
  // A gather of slices one element thick along the axis, which then moves the index dims to
  // where the axis was.
  Shape slice = a.shape();
  slice[ax] = 1;
  auto g = gather_node(a, {indices}, {ax}, slice, stream);
  const int k = static_cast<int>(indices.ndim());
  Shape shape = indices.shape();
  for (int d = 0; d < static_cast<int>(a.ndim()); ++d) {
    if (d != ax) shape.push_back(a.shape(d));
  }
  g = reshape(g, shape, stream);
  if (ax == 0 || k == 0) {
    return g;
  }
  std::vector<int> perm;
  for (int d = 0; d < ax; ++d) perm.push_back(k + d);
  for (int d = 0; d < k; ++d) perm.push_back(d);
  for (int d = k + ax; d < static_cast<int>(shape.size()); ++d) perm.push_back(d);
  return transpose(g, perm, stream);
}

array take(const array& a, int index, int axis, StreamOrDevice s) {
  return take(a, array(index), axis, s);
}

array take(const array& a, const array& indices, StreamOrDevice s) {
  auto stream = to_stream(s);
  return take(reshape(a, {static_cast<int>(a.size())}, stream), indices, 0, stream);
}

array take(const array& a, int index, StreamOrDevice s) { return take(a, array(index), s); }

array take_along_axis(const array& a, const array& indices, int axis, StreamOrDevice s) {
  auto stream = to_stream(s);
  int ax = detail::normalize_axis("take_along_axis", axis, a);
  check_index_dtype("take_along_axis", indices);
  auto shape = along_axis_shape("take_along_axis", a, indices, ax, true);
  Shape a_shape = shape;
  a_shape[ax] = a.shape(ax);
  return gather_axis_node(broadcast_to(a, a_shape, stream), broadcast_to(indices, shape, stream),
                          ax, stream);
}

array put_along_axis(const array& a, const array& indices, const array& values, int axis,
                     StreamOrDevice s) {
  return scatter_axis_checked(ScatterOp::None, a, indices, values, axis, to_stream(s));
}

array scatter_add_axis(const array& a, const array& indices, const array& values, int axis,
                       StreamOrDevice s) {
  return scatter_axis_checked(ScatterOp::Sum, a, indices, values, axis, to_stream(s));
}

array scatter(const array& a, const std::vector<array>& indices, const array& updates,
              const std::vector<int>& axes, StreamOrDevice s) {
  return scatter_checked(ScatterOp::None, a, indices, updates, axes, to_stream(s));
}

array scatter_add(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s) {
  return scatter_checked(ScatterOp::Sum, a, indices, updates, axes, to_stream(s));
}

array scatter_prod(const array& a, const std::vector<array>& indices, const array& updates,
                   const std::vector<int>& axes, StreamOrDevice s) {
  return scatter_checked(ScatterOp::Prod, a, indices, updates, axes, to_stream(s));
}

array scatter_max(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s) {
  return scatter_checked(ScatterOp::Max, a, indices, updates, axes, to_stream(s));
}

array scatter_min(const array& a, const std::vector<array>& indices, const array& updates,
                  const std::vector<int>& axes, StreamOrDevice s) {
  return scatter_checked(ScatterOp::Min, a, indices, updates, axes, to_stream(s));
}

// ---- derivative and batching rules ----
//
// Index arrays get zero cotangents and tangents: the outputs are piecewise constant in them.

namespace {

// The index arrays of a gather or scatter, batched in front and broadcast together, with the
// batch positions (an arange) as an extra first index array when `with_batch_index`.
std::vector<array> batched_indices(const std::vector<array>& idx, const std::vector<int>& axes,
                                   int batch, bool with_batch_index, Stream s) {
  std::vector<array> out;
  size_t k = 0;
  for (size_t i = 0; i < idx.size(); ++i) {
    out.push_back(move_batch_axis(idx[i], axes[i], 0, s));
    k = idx[i].ndim() - (axes[i] >= 0 ? 1 : 0);
  }
  if (with_batch_index) {
    Shape shape(k + 1, 1);
    shape[0] = batch;
    out.insert(out.begin(), reshape(arange(batch, s), shape, s));
  }
  return broadcast_arrays(out, s);
}

int batch_size(const std::vector<array>& inputs, const std::vector<int>& axes) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (axes[i] >= 0) return inputs[i].shape(axes[i]);
  }
  return 1;
}

// x with its batch axis in front, repeated there when it has none.
array batch_front_full(const array& x, int axis, int batch, Stream s) {
  if (axis >= 0) {
    return move_batch_axis(x, axis, 0, s);
  }
  return broadcast_to(expand_dims(x, 0, s), concat({batch}, x.shape()), s);
}

}  // namespace

std::vector<array> Gather::vjp(const std::vector<array>& primals,
                               const std::vector<array>& cotangents,
                               const std::vector<int>& argnums, const std::vector<array>&) {
  std::vector<array> out;
  std::vector<array> idx(primals.begin() + 1, primals.end());
  for (int arg : argnums) {
    if (arg == 0) {
      out.push_back(scatter_node(ScatterOp::Sum, zeros_like(primals[0], stream()), idx,
                                 cotangents[0], axes(), stream()));
    } else {
      out.push_back(zeros_like(primals[arg], stream()));
    }
  }
  return out;
}

std::vector<array> Gather::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents,
                               const std::vector<int>& argnums) {
  std::vector<array> idx(primals.begin() + 1, primals.end());
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] == 0) {
      return {gather_node(tangents[i], idx, axes(), slice_sizes(), stream())};
    }
  }
  auto shape = concat(idx.empty() ? Shape{} : idx[0].shape(), slice_sizes());
  return {zeros(shape, primals[0].dtype(), stream())};
}

std::pair<std::vector<array>, std::vector<int>> Gather::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes) {
  const auto& a = inputs[0];
  std::vector<array> idx(inputs.begin() + 1, inputs.end());
  std::vector<int> idx_axes(axes.begin() + 1, axes.end());
  bool idx_batched = std::any_of(idx_axes.begin(), idx_axes.end(), [](int ax) { return ax >= 0; });
  int batch = batch_size(inputs, axes);
  auto s = stream();
  if (!idx_batched) {
    // The batch becomes a leading slice dim taken whole: it lands after the index dims.
    auto slice = concat({batch}, slice_sizes());
    auto out =
        gather_node(move_batch_axis(a, axes[0], 0, s), idx, shifted(this->axes(), 1), slice, s);
    return {{out}, {idx.empty() ? 0 : static_cast<int>(idx[0].ndim())}};
  }
  if (axes[0] < 0) {
    return {{gather_node(a, batched_indices(idx, idx_axes, batch, false, s), this->axes(),
                         slice_sizes(), s)},
            {0}};
  }
  // Both batched: example b gathers from slice b of a, picked by an arange index array.
  auto bidx = batched_indices(idx, idx_axes, batch, true, s);
  auto gax = shifted(this->axes(), 1);
  gax.insert(gax.begin(), 0);
  auto out =
      gather_node(move_batch_axis(a, axes[0], 0, s), bidx, gax, concat({1}, slice_sizes()), s);
  auto shape = concat(bidx[0].shape(), slice_sizes());
  return {{reshape(out, shape, s)}, {0}};
}

std::vector<array> GatherAxis::vjp(const std::vector<array>& primals,
                                   const std::vector<array>& cotangents,
                                   const std::vector<int>& argnums, const std::vector<array>&) {
  std::vector<array> out;
  for (int arg : argnums) {
    if (arg == 0) {
      out.push_back(scatter_axis_node(ScatterOp::Sum, zeros_like(primals[0], stream()), primals[1],
                                      cotangents[0], axis(), stream()));
    } else {
      out.push_back(zeros_like(primals[arg], stream()));
    }
  }
  return out;
}

std::vector<array> GatherAxis::jvp(const std::vector<array>& primals,
                                   const std::vector<array>& tangents,
                                   const std::vector<int>& argnums) {
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] == 0) {
      return {gather_axis_node(tangents[i], primals[1], axis(), stream())};
    }
  }
  return {zeros(primals[1].shape(), primals[0].dtype(), stream())};
}

std::pair<std::vector<array>, std::vector<int>> GatherAxis::vmap(const std::vector<array>& inputs,
                                                                 const std::vector<int>& axes) {
  auto in = batch_in_front(inputs, axes, stream());
  return {{take_along_axis(in[0], in[1], axis() + 1, stream())}, {0}};
}

std::vector<array> Scatter::vjp(const std::vector<array>& primals,
                                const std::vector<array>& cotangents,
                                const std::vector<int>& argnums,
                                const std::vector<array>& outputs) {
  auto s = stream();
  const auto& a = primals[0];
  const auto& upd = primals.back();
  const auto& ct = cotangents[0];
  const auto& result = outputs[0];
  std::vector<array> idx(primals.begin() + 1, primals.end() - 1);
  Shape slice(upd.shape().end() - a.ndim(), upd.shape().end());
  const int last = static_cast<int>(primals.size()) - 1;
  std::vector<array> out;
  for (int arg : argnums) {
    if (arg == 0) {
      switch (op()) {
        case ScatterOp::None:
          // The overwritten positions do not depend on a.
          out.push_back(scatter_node(ScatterOp::None, ct, idx, zeros_like(upd, s), axes(), s));
          break;
        case ScatterOp::Sum:
          out.push_back(ct);
          break;
        case ScatterOp::Prod:
          out.push_back(
              multiply(ct, scatter_node(ScatterOp::Prod, ones_like(a, s), idx, upd, axes(), s), s));
          break;
        default:
          out.push_back(multiply(ct, detail::equal_mask(result, a, s), s));
      }
    } else if (arg == last) {
      switch (op()) {
        case ScatterOp::None:
        case ScatterOp::Sum:
          out.push_back(gather_node(ct, idx, axes(), slice, s));
          break;
        case ScatterOp::Prod:
          throw std::runtime_error(
              "[scatter_prod] The vjp with respect to the updates is not implemented.");
        default:
          out.push_back(
              multiply(gather_node(ct, idx, axes(), slice, s),
                       detail::equal_mask(upd, gather_node(result, idx, axes(), slice, s), s), s));
      }
    } else {
      out.push_back(zeros_like(primals[arg], s));
    }
  }
  return out;
}

std::vector<array> Scatter::jvp(const std::vector<array>& primals,
                                const std::vector<array>& tangents,
                                const std::vector<int>& argnums) {
  auto s = stream();
  const auto& a = primals[0];
  const auto& upd = primals.back();
  std::vector<array> idx(primals.begin() + 1, primals.end() - 1);
  const int last = static_cast<int>(primals.size()) - 1;
  std::optional<array> ta, tu;
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] == 0) ta = tangents[i];
    if (argnums[i] == last) tu = tangents[i];
  }
  array t_a = ta ? *ta : zeros_like(a, s);
  array t_u = tu ? *tu : zeros_like(upd, s);
  switch (op()) {
    case ScatterOp::None:
    case ScatterOp::Sum:
      return {scatter_node(op(), t_a, idx, t_u, axes(), s)};
    case ScatterOp::Prod:
      if (tu) {
        throw std::runtime_error(
            "[scatter_prod] The jvp with respect to the updates is not implemented.");
      }
      return {
          multiply(t_a, scatter_node(ScatterOp::Prod, ones_like(a, s), idx, upd, axes(), s), s)};
    default: {
      // The tangent of whichever value won: a's where the result is a's value, the updates'
      // where the result is theirs.
      auto result = scatter_node(op(), a, idx, upd, axes(), s);
      Shape slice(upd.shape().end() - a.ndim(), upd.shape().end());
      auto won = detail::equal_mask(upd, gather_node(result, idx, axes(), slice, s), s);
      return {
          add(multiply(t_a, detail::equal_mask(result, a, s), s),
              scatter_node(ScatterOp::Sum, zeros_like(a, s), idx, multiply(t_u, won, s), axes(), s),
              s)};
    }
  }
}

std::pair<std::vector<array>, std::vector<int>> Scatter::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes) {
  // Every example scatters into its own slice of a batched a, picked by an arange index array
  // along a new leading axis; the updates get a size-one slice dim for it.
  auto s = stream();
  int batch = batch_size(inputs, axes);
  auto a = batch_front_full(inputs[0], axes[0], batch, s);
  std::vector<array> idx(inputs.begin() + 1, inputs.end() - 1);
  std::vector<int> idx_axes(axes.begin() + 1, axes.end() - 1);
  auto bidx = batched_indices(idx, idx_axes, batch, true, s);
  const int k = static_cast<int>(bidx[0].ndim()) - 1;
  auto upd = move_batch_axis(inputs.back(), axes.back(), 0, s);
  upd = expand_dims(upd, 1 + k, s);
  Shape upd_shape = bidx[0].shape();
  upd_shape.insert(upd_shape.end(), upd.shape().begin() + 1 + k, upd.shape().end());
  upd = broadcast_to(upd, upd_shape, s);
  auto sax = shifted(this->axes(), 1);
  sax.insert(sax.begin(), 0);
  return {{scatter_node(op(), a, bidx, upd, sax, s)}, {0}};
}

std::vector<array> ScatterAxis::vjp(const std::vector<array>& primals,
                                    const std::vector<array>& cotangents,
                                    const std::vector<int>& argnums, const std::vector<array>&) {
  auto s = stream();
  const auto& ct = cotangents[0];
  std::vector<array> out;
  for (int arg : argnums) {
    if (arg == 0) {
      out.push_back(op() == ScatterOp::Sum
                        ? ct
                        : scatter_axis_node(ScatterOp::None, ct, primals[1],
                                            zeros_like(primals[2], s), axis(), s));
    } else if (arg == 2) {
      out.push_back(gather_axis_node(ct, primals[1], axis(), s));
    } else {
      out.push_back(zeros_like(primals[1], s));
    }
  }
  return out;
}

std::vector<array> ScatterAxis::jvp(const std::vector<array>& primals,
                                    const std::vector<array>& tangents,
                                    const std::vector<int>& argnums) {
  auto s = stream();
  array t_a = zeros_like(primals[0], s);
  array t_v = zeros_like(primals[2], s);
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] == 0) t_a = tangents[i];
    if (argnums[i] == 2) t_v = tangents[i];
  }
  return {scatter_axis_node(op(), t_a, primals[1], t_v, axis(), s)};
}

std::pair<std::vector<array>, std::vector<int>> ScatterAxis::vmap(const std::vector<array>& inputs,
                                                                  const std::vector<int>& axes) {
  auto s = stream();
  int batch = batch_size(inputs, axes);
  auto a = batch_front_full(inputs[0], axes[0], batch, s);
  auto idx = move_batch_axis(inputs[1], axes[1], 0, s);
  auto v = move_batch_axis(inputs[2], axes[2], 0, s);
  return {{scatter_axis_checked(op(), a, idx, v, axis() + 1, s)}, {0}};
}

}  // namespace mlx::core
