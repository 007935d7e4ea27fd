// Sorting and selection: sort, argsort, partition, argpartition, topk, and median (a sort
// followed by picking the middle). One Sort primitive covers the four orderings; AxisPermute
// carries their derivatives.
#include <algorithm>
#include <limits>
#include <numeric>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

constexpr const char* kSortNames[] = {"Sort", "ArgSort", "Partition", "ArgPartition"};

array sort_node(const array& a, SortOp op, int axis, int kth, Stream s) {
  bool arg = op == SortOp::ArgSort || op == SortOp::ArgPartition;
  return array(a.shape(), arg ? uint32 : a.dtype(), std::make_shared<Sort>(s, op, axis, kth), {a});
}

array flat(const array& a, Stream s) { return reshape(a, {static_cast<int>(a.size())}, s); }

// kth made non-negative; it must name an element of the axis.
int normalize_kth(const char* op, const array& a, int kth, int axis) {
  int n = a.shape(axis);
  if (kth < -n || kth >= n) {
    std::ostringstream msg;
    msg << "[" << op << "] Received invalid kth " << kth << " along axis " << axis << " of size "
        << n << ".";
    throw std::invalid_argument(msg.str());
  }
  return kth < 0 ? kth + n : kth;
}

array permute(const array& x, const array& idx, int axis, bool inverse, Stream s) {
  return array(x.shape(), x.dtype(), std::make_shared<AxisPermute>(s, axis, inverse), {x, idx});
}

}  // namespace

const char* Sort::name() const { return kSortNames[static_cast<int>(op())]; }

array sort(const array& a, int axis, StreamOrDevice s) {
  int ax = detail::normalize_axis("sort", axis, a);
  return sort_node(a, SortOp::Sort, ax, 0, to_stream(s));
}
array sort(const array& a, StreamOrDevice s) {
  auto stream = to_stream(s);
  return sort_node(flat(a, stream), SortOp::Sort, 0, 0, stream);
}

array argsort(const array& a, int axis, StreamOrDevice s) {
  int ax = detail::normalize_axis("argsort", axis, a);
  return sort_node(a, SortOp::ArgSort, ax, 0, to_stream(s));
}
array argsort(const array& a, StreamOrDevice s) {
  auto stream = to_stream(s);
  return sort_node(flat(a, stream), SortOp::ArgSort, 0, 0, stream);
}

array partition(const array& a, int kth, int axis, StreamOrDevice s) {
  int ax = detail::normalize_axis("partition", axis, a);
  int k = normalize_kth("partition", a, kth, ax);
  return sort_node(a, SortOp::Partition, ax, k, to_stream(s));
}
array partition(const array& a, int kth, StreamOrDevice s) {
  auto stream = to_stream(s);
  return partition(flat(a, stream), kth, 0, stream);
}

array argpartition(const array& a, int kth, int axis, StreamOrDevice s) {
  int ax = detail::normalize_axis("argpartition", axis, a);
  int k = normalize_kth("argpartition", a, kth, ax);
  return sort_node(a, SortOp::ArgPartition, ax, k, to_stream(s));
}
array argpartition(const array& a, int kth, StreamOrDevice s) {
  auto stream = to_stream(s);
  return argpartition(flat(a, stream), kth, 0, stream);
}

// The k largest along the axis: the smallest of them first, the others after it in no
// particular order (the tail of a partition around the kth largest, as in MLX).
array topk(const array& a, int k, int axis, StreamOrDevice s) {
  int ax = detail::normalize_axis("topk", axis, a);
  int n = a.shape(ax);
  if (k < 0 || k > n) {
    std::ostringstream msg;
    msg << "[topk] Received invalid k " << k << " along axis " << ax << " of size " << n << ".";
    throw std::invalid_argument(msg.str());
  }
  auto stream = to_stream(s);
  Shape start(a.ndim(), 0), stop = a.shape();
  start[ax] = n - k;
  if (k == 0) {
    return slice(a, start, stop, stream);
  }
  return slice(sort_node(a, SortOp::Partition, ax, n - k, stream), start, stop, stream);
}
array topk(const array& a, int k, StreamOrDevice s) {
  auto stream = to_stream(s);
  return topk(flat(a, stream), k, 0, stream);
}

// Sorts the reduced axes (gathered at the end, flattened) and averages the one or two middle
// elements; a NaN anywhere sorts last and makes the median NaN.
array median(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto stream = to_stream(s);
  const int nd = static_cast<int>(a.ndim());
  std::vector<bool> reduced(nd, false);
  for (int ax : axes) {
    int v = detail::normalize_axis("median", ax, a);
    if (reduced[v]) {
      std::ostringstream msg;
      msg << "[median] Received duplicate axis " << v << " in axes " << axes << " for array with "
          << nd << " dimensions.";
      throw std::invalid_argument(msg.str());
    }
    reduced[v] = true;
  }
  auto dtype = issubdtype(a.dtype(), inexact) ? a.dtype() : float32;
  std::vector<int> perm;
  Shape kept, kept_dims = a.shape();
  int count = 1;
  for (int d = 0; d < nd; ++d) {
    if (!reduced[d]) {
      perm.push_back(d);
      kept.push_back(a.shape(d));
    } else {
      kept_dims[d] = 1;
      count *= a.shape(d);
    }
  }
  Shape out_shape = keepdims ? kept_dims : kept;
  if (count == 0) {
    return full(out_shape, std::numeric_limits<float>::quiet_NaN(), dtype, stream);
  }
  for (int d = 0; d < nd; ++d) {
    if (reduced[d]) perm.push_back(d);
  }
  Shape lines = kept;
  lines.push_back(count);
  int last = static_cast<int>(kept.size());
  auto sorted = sort(reshape(transpose(a, perm, stream), lines, stream), last, stream);
  auto pick = [&](int i) {
    Shape start(lines.size(), 0), stop = lines;
    start[last] = i;
    stop[last] = i + 1;
    return reshape(slice(sorted, start, stop, stream), out_shape, stream);
  };
  // Half floats average in float32, so that the sum of the two middle values cannot overflow.
  bool half = dtype == float16 || dtype == bfloat16;
  auto work = half ? float32 : dtype;
  auto lo = astype(pick((count - 1) / 2), work, stream);
  array med = lo;
  if (count % 2 == 0) {
    auto hi = astype(pick(count / 2), work, stream);
    med = multiply(add(lo, hi, stream), array(0.5, work), stream);
  }
  if (issubdtype(a.dtype(), floating)) {
    // NaN sorts last, so the largest element says whether the line has one.
    auto top = stop_gradient(astype(pick(count - 1), work, stream), stream);
    med = where(isnan(top, stream), top, med, stream);
  }
  return astype(med, dtype, stream);
}
array median(const array& a, bool keepdims, StreamOrDevice s) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  return median(a, axes, keepdims, s);
}
array median(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return median(a, std::vector<int>{axis}, keepdims, s);
}

array searchsorted(const array& sorted_sequence, const array& values, const std::string& side,
                   StreamOrDevice s) {
  if (side != "left" && side != "right") {
    std::ostringstream msg;
    msg << "[searchsorted] side must be \"left\" or \"right\", got \"" << side << "\".";
    throw std::invalid_argument(msg.str());
  }
  if (sorted_sequence.ndim() == 0) {
    throw std::invalid_argument(
        "[searchsorted] The sorted sequence must have at least one dimension, got a scalar.");
  }
  auto stream = to_stream(s);
  auto dtype = promote_types(sorted_sequence.dtype(), values.dtype());
  auto seq = astype(sorted_sequence, dtype, stream);
  auto vals = astype(values, dtype, stream);
  bool right = side == "right";
  int n = seq.shape().back();
  if (seq.ndim() == 1) {
    // Every value searches the one line: each is a line of one value.
    auto v = expand_dims(vals, -1, stream);
    auto shape = vals.shape();
    shape.push_back(n);
    auto out = array(v.shape(), uint32, std::make_shared<SearchSorted>(stream, right),
                     {broadcast_to(seq, shape, stream), v});
    return squeeze(out, -1, stream);
  }
  if (vals.ndim() == 0) {
    std::ostringstream msg;
    msg << "[searchsorted] The values must have at least one dimension to search sorted lines "
        << "of shape " << seq.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  Shape seq_batch(seq.shape().begin(), seq.shape().end() - 1);
  Shape val_batch(vals.shape().begin(), vals.shape().end() - 1);
  Shape batch;
  try {
    batch = broadcast_shapes(seq_batch, val_batch);
  } catch (const std::invalid_argument&) {
    std::ostringstream msg;
    msg << "[searchsorted] The batch dimensions of the sorted sequence " << seq.shape()
        << " and of the values " << vals.shape() << " cannot be broadcast together.";
    throw std::invalid_argument(msg.str());
  }
  auto seq_shape = batch, val_shape = batch;
  seq_shape.push_back(n);
  val_shape.push_back(vals.shape().back());
  return array(val_shape, uint32, std::make_shared<SearchSorted>(stream, right),
               {broadcast_to(seq, seq_shape, stream), broadcast_to(vals, val_shape, stream)});
}

// ---- derivative and batching rules ----

std::vector<array> Sort::vjp(const std::vector<array>& primals,
                             const std::vector<array>& cotangents, const std::vector<int>&,
                             const std::vector<array>&) {
  auto& x = primals[0];
  if (op() == SortOp::ArgSort || op() == SortOp::ArgPartition) {
    return {zeros_like(x, stream())};
  }
  auto arg_op = op() == SortOp::Sort ? SortOp::ArgSort : SortOp::ArgPartition;
  auto idx = sort_node(x, arg_op, axis(), kth(), stream());
  return {permute(astype(cotangents[0], x.dtype(), stream()), idx, axis(), true, stream())};
}

std::vector<array> Sort::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                             const std::vector<int>&) {
  auto& x = primals[0];
  if (op() == SortOp::ArgSort || op() == SortOp::ArgPartition) {
    return {zeros(x.shape(), uint32, stream())};
  }
  auto arg_op = op() == SortOp::Sort ? SortOp::ArgSort : SortOp::ArgPartition;
  auto idx = sort_node(x, arg_op, axis(), kth(), stream());
  return {permute(tangents[0], idx, axis(), false, stream())};
}

std::pair<std::vector<array>, std::vector<int>> Sort::vmap(const std::vector<array>& inputs,
                                                           const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  return {{sort_node(x, op(), axis() + 1, kth(), stream())}, {0}};
}

std::vector<array> SearchSorted::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                     const std::vector<int>& argnums, const std::vector<array>&) {
  std::vector<array> out;
  for (int i : argnums) {
    out.push_back(zeros_like(primals[i], stream()));
  }
  return out;
}

std::vector<array> SearchSorted::jvp(const std::vector<array>& primals, const std::vector<array>&,
                                     const std::vector<int>&) {
  return {zeros(primals[1].shape(), uint32, stream())};
}

std::pair<std::vector<array>, std::vector<int>> SearchSorted::vmap(const std::vector<array>& inputs,
                                                                   const std::vector<int>& axes) {
  int batch = 1;
  for (size_t i = 0; i < 2; ++i) {
    if (axes[i] >= 0) batch = inputs[i].shape(axes[i]);
  }
  std::vector<array> in;
  for (size_t i = 0; i < 2; ++i) {
    auto x = move_batch_axis(inputs[i], axes[i], 0, stream());
    auto shape = x.shape();
    shape[0] = batch;
    in.push_back(broadcast_to(x, shape, stream()));
  }
  return {{array(in[1].shape(), uint32,
                 std::make_shared<SearchSorted>(stream(), std::get<0>(state_)), in)},
          {0}};
}

std::vector<array> AxisPermute::vjp(const std::vector<array>& primals,
                                    const std::vector<array>& cotangents,
                                    const std::vector<int>& argnums, const std::vector<array>&) {
  std::vector<array> out;
  for (int i : argnums) {
    if (i == 0) {
      out.push_back(permute(cotangents[0], primals[1], axis(), !inverse(), stream()));
    } else {
      out.push_back(zeros_like(primals[1], stream()));
    }
  }
  return out;
}

std::vector<array> AxisPermute::jvp(const std::vector<array>& primals,
                                    const std::vector<array>& tangents,
                                    const std::vector<int>& argnums) {
  for (size_t k = 0; k < argnums.size(); ++k) {
    if (argnums[k] == 0) {
      return {permute(tangents[k], primals[1], axis(), inverse(), stream())};
    }
  }
  return {zeros_like(primals[0], stream())};
}

std::pair<std::vector<array>, std::vector<int>> AxisPermute::vmap(const std::vector<array>& inputs,
                                                                  const std::vector<int>& axes) {
  auto in = batch_in_front(inputs, axes, stream());
  Shape shape = in[0].shape();
  shape[0] = std::max(in[0].shape(0), in[1].shape(0));
  auto x = broadcast_to(in[0], shape, stream());
  auto idx = broadcast_to(in[1], shape, stream());
  return {{permute(x, idx, axis() + 1, inverse(), stream())}, {0}};
}

}  // namespace mlx::core
