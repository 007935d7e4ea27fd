// Reductions: sum, mean, max, min, all. Each builds one Reduce primitive over normalised axes,
// with the output dtype of the op, and drops the reduced axes with a reshape (a view) unless
// keepdims is set.
#include <algorithm>
#include <numeric>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

constexpr const char* kReduceNames[] = {"Sum", "Prod", "Max", "Min", "And", "Or"};

std::vector<int> all_axes(const array& a) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  return axes;
}

// The axes made non-negative and sorted; errors name the op and the offending axis.
std::vector<int> normalize_axes(const char* op, const array& a, const std::vector<int>& axes) {
  const int nd = static_cast<int>(a.ndim());
  std::vector<int> out;
  out.reserve(axes.size());
  for (int ax : axes) {
    if (ax < -nd || ax >= nd) {
      std::ostringstream msg;
      msg << "[" << op << "] Received invalid axis " << ax << " for array with " << nd
          << " dimensions.";
      throw std::invalid_argument(msg.str());
    }
    out.push_back(ax < 0 ? ax + nd : ax);
  }
  std::sort(out.begin(), out.end());
  if (auto dup = std::adjacent_find(out.begin(), out.end()); dup != out.end()) {
    std::ostringstream msg;
    msg << "[" << op << "] Received duplicate axis " << *dup << " in axes " << axes
        << " for array with " << nd << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  return out;
}

// Max and min have no identity: like NumPy, they refuse an axis with no elements.
void check_nonempty(const char* op, const array& a, const std::vector<int>& axes) {
  for (int ax : axes) {
    if (a.shape()[ax] == 0) {
      std::ostringstream msg;
      msg << "[" << op << "] Cannot reduce an empty axis: axis " << ax << " of an array with shape "
          << a.shape() << " has no elements and " << op << " has no identity.";
      throw std::invalid_argument(msg.str());
    }
  }
}

// `a` reduced over `axes` (normalised, not empty) into `dtype`.
array reduce(const array& a, ReduceOp op, std::vector<int> axes, bool keepdims, Dtype dtype,
             Stream s) {
  Shape kept_shape = a.shape();
  Shape dropped_shape;
  for (size_t d = 0, k = 0; d < a.ndim(); ++d) {
    if (k < axes.size() && axes[k] == static_cast<int>(d)) {
      kept_shape[d] = 1;
      ++k;
    } else {
      dropped_shape.push_back(a.shape()[d]);
    }
  }
  auto out = array(std::move(kept_shape), dtype,
                   std::make_shared<Reduce>(s, op, std::move(axes), dtype), {a});
  return keepdims ? out : reshape(out, std::move(dropped_shape), s);
}

// Sums (and products) widen small integers so that they overflow later, as NumPy's do.
Dtype sum_dtype(Dtype d) {
  switch (d) {
    case Dtype::Val::bool_:
    case Dtype::Val::int8:
    case Dtype::Val::int16:
    case Dtype::Val::int32:
      return int32;
    case Dtype::Val::uint8:
    case Dtype::Val::uint16:
    case Dtype::Val::uint32:
      return uint32;
    default:
      return d;
  }
}

}  // namespace

const char* Reduce::name() const { return kReduceNames[static_cast<int>(op())]; }

void Reduce::print(std::ostream& os) const {
  os << name();
  params::print_value(os, axes());
}

array all(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto ax = normalize_axes("all", a, axes);
  auto stream = to_stream(s);
  if (ax.empty()) {
    return astype(a, bool_, stream);
  }
  return reduce(a, ReduceOp::And, std::move(ax), keepdims, bool_, stream);
}
array all(const array& a, bool keepdims, StreamOrDevice s) {
  return all(a, all_axes(a), keepdims, s);
}
array all(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return all(a, std::vector<int>{axis}, keepdims, s);
}

array sum(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto ax = normalize_axes("sum", a, axes);
  if (ax.empty()) {
    return a;
  }
  return reduce(a, ReduceOp::Sum, std::move(ax), keepdims, sum_dtype(a.dtype()), to_stream(s));
}
array sum(const array& a, bool keepdims, StreamOrDevice s) {
  return sum(a, all_axes(a), keepdims, s);
}
array sum(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return sum(a, std::vector<int>{axis}, keepdims, s);
}

array mean(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto ax = normalize_axes("mean", a, axes);
  auto dtype = issubdtype(a.dtype(), inexact) ? a.dtype() : float32;
  auto stream = to_stream(s);
  if (ax.empty()) {
    return astype(a, dtype, stream);
  }
  double count = 1;
  for (int x : ax) {
    count *= a.shape()[x];
  }
  // Integers are summed exactly and half floats in float32, the quotient taken in float32 (where
  // the count is exact up to 2^24, while float16 cannot even hold counts past 65504) and rounded
  // once to the output dtype.
  bool half = dtype == float16 || dtype == bfloat16;
  auto sum_type = half ? float32 : dtype;
  auto total = reduce(a, ReduceOp::Sum, std::move(ax), keepdims, sum_type, stream);
  return astype(divide(total, array(count, sum_type), stream), dtype, stream);
}
array mean(const array& a, bool keepdims, StreamOrDevice s) {
  return mean(a, all_axes(a), keepdims, s);
}
array mean(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return mean(a, std::vector<int>{axis}, keepdims, s);
}

array max(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto ax = normalize_axes("max", a, axes);
  if (ax.empty()) {
    return a;
  }
  check_nonempty("max", a, ax);
  return reduce(a, ReduceOp::Max, std::move(ax), keepdims, a.dtype(), to_stream(s));
}
array max(const array& a, bool keepdims, StreamOrDevice s) {
  return max(a, all_axes(a), keepdims, s);
}
array max(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return max(a, std::vector<int>{axis}, keepdims, s);
}

array min(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto ax = normalize_axes("min", a, axes);
  if (ax.empty()) {
    return a;
  }
  check_nonempty("min", a, ax);
  return reduce(a, ReduceOp::Min, std::move(ax), keepdims, a.dtype(), to_stream(s));
}
array min(const array& a, bool keepdims, StreamOrDevice s) {
  return min(a, all_axes(a), keepdims, s);
}
array min(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return min(a, std::vector<int>{axis}, keepdims, s);
}

// ---- derivative and batching rules ----

namespace {
// The reduction of `x` (kept dims) with this primitive's op and axes, in `dtype`.
array rebuild(const array& x, ReduceOp op, const std::vector<int>& axes, Dtype dtype, Stream s) {
  auto shape = x.shape();
  for (int a : axes) shape[a] = 1;
  return array(std::move(shape), dtype, std::make_shared<Reduce>(s, op, axes, dtype), {x});
}
}  // namespace

std::vector<array> Reduce::vjp(const std::vector<array>& primals,
                               const std::vector<array>& cotangents, const std::vector<int>&,
                               const std::vector<array>& outputs) {
  auto& x = primals[0];
  auto ct = astype(cotangents[0], x.dtype(), stream());
  switch (op()) {
    case ReduceOp::Sum:
      return {broadcast_to(ct, x.shape(), stream())};
    case ReduceOp::Max:
    case ReduceOp::Min: {
      // Ties share the cotangent equally.
      auto mask = detail::equal_mask(x, broadcast_to(outputs[0], x.shape(), stream()), stream());
      auto count = sum(mask, axes(), true, stream());
      return {multiply(mask, divide(ct, count, stream()), stream())};
    }
    default:
      throw std::invalid_argument(std::string("[") + name() +
                                  "] The vector-Jacobian product is not implemented.");
  }
}

std::vector<array> Reduce::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents, const std::vector<int>&) {
  auto& x = primals[0];
  switch (op()) {
    case ReduceOp::Sum:
      return {rebuild(tangents[0], op(), axes(), out_dtype(), stream())};
    case ReduceOp::Max:
    case ReduceOp::Min: {
      auto out = rebuild(x, op(), axes(), x.dtype(), stream());
      auto mask = detail::equal_mask(x, broadcast_to(out, x.shape(), stream()), stream());
      auto count = sum(mask, axes(), true, stream());
      return {divide(sum(multiply(mask, tangents[0], stream()), axes(), true, stream()), count,
                     stream())};
    }
    default:
      throw std::invalid_argument(std::string("[") + name() +
                                  "] The Jacobian-vector product is not implemented.");
  }
}

std::pair<std::vector<array>, std::vector<int>> Reduce::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes_in) {
  auto x = move_batch_axis(inputs[0], axes_in[0], 0, stream());
  std::vector<int> ax;
  for (int a : axes()) ax.push_back(a + 1);
  return {{rebuild(x, op(), ax, out_dtype(), stream())}, {0}};
}

}  // namespace mlx::core
