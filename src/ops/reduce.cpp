// Reductions: sum, prod, mean, max, min, all, any (one Reduce primitive each over normalised
// axes, with the output dtype of the op, the reduced axes dropped with a reshape, a view, unless
// keepdims is set), count_nonzero, argmin and argmax (an ArgReduce primitive), and var and std,
// built from the others so that they differentiate and batch through their parts.
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

}  // namespace

namespace detail {
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
}  // namespace detail

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

array any(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto ax = normalize_axes("any", a, axes);
  auto stream = to_stream(s);
  if (ax.empty()) {
    return astype(a, bool_, stream);
  }
  return reduce(a, ReduceOp::Or, std::move(ax), keepdims, bool_, stream);
}
array any(const array& a, bool keepdims, StreamOrDevice s) {
  return any(a, all_axes(a), keepdims, s);
}
array any(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return any(a, std::vector<int>{axis}, keepdims, s);
}

array prod(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto ax = normalize_axes("prod", a, axes);
  if (ax.empty()) {
    return a;
  }
  return reduce(a, ReduceOp::Prod, std::move(ax), keepdims, detail::sum_dtype(a.dtype()),
                to_stream(s));
}
array prod(const array& a, bool keepdims, StreamOrDevice s) {
  return prod(a, all_axes(a), keepdims, s);
}
array prod(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return prod(a, std::vector<int>{axis}, keepdims, s);
}

array count_nonzero(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto ax = normalize_axes("count_nonzero", a, axes);
  auto stream = to_stream(s);
  auto nonzero = astype(a, bool_, stream);
  if (ax.empty()) {
    return astype(nonzero, uint32, stream);
  }
  // The sum kernel of bool counts in 32 bits, whose bits a uint32 output shares.
  return reduce(nonzero, ReduceOp::Sum, std::move(ax), keepdims, uint32, stream);
}
array count_nonzero(const array& a, bool keepdims, StreamOrDevice s) {
  return count_nonzero(a, all_axes(a), keepdims, s);
}
array count_nonzero(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return count_nonzero(a, std::vector<int>{axis}, keepdims, s);
}

array sum(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto ax = normalize_axes("sum", a, axes);
  if (ax.empty()) {
    return a;
  }
  return reduce(a, ReduceOp::Sum, std::move(ax), keepdims, detail::sum_dtype(a.dtype()),
                to_stream(s));
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

namespace {

// The variance in the dtype it is worked in: two passes (the mean, then the squared deviations
// from it) rather than MLX's mean(x^2) - mean(x)^2, which cancels catastrophically when the mean
// is large. Half floats are worked in float32, so that var and std round once.
array variance(const char* name, const array& a, const std::vector<int>& axes, bool keepdims,
               int ddof, Stream s) {
  auto ax = normalize_axes(name, a, axes);
  auto work = issubdtype(a.dtype(), inexact) ? a.dtype() : float32;
  if (work == float16 || work == bfloat16) {
    work = float32;
  }
  auto x = astype(a, work, s);
  double n = 1;
  for (int d : ax) {
    n *= a.shape()[d];
  }
  auto dev = subtract(x, mean(x, ax, true, s), s);
  auto sq = sum(multiply(dev, dev, s), ax, keepdims, s);
  // n - ddof <= 0 divides by zero (inf, or NaN for no spread), as NumPy does.
  return divide(sq, array(std::max(n - ddof, 0.0), work), s);
}

Dtype variance_dtype(const array& a) {
  return issubdtype(a.dtype(), inexact) ? a.dtype() : float32;
}

}  // namespace

array var(const array& a, const std::vector<int>& axes, bool keepdims, int ddof, StreamOrDevice s) {
  auto stream = to_stream(s);
  return astype(variance("var", a, axes, keepdims, ddof, stream), variance_dtype(a), stream);
}
array var(const array& a, bool keepdims, int ddof, StreamOrDevice s) {
  return var(a, all_axes(a), keepdims, ddof, s);
}
array var(const array& a, int axis, bool keepdims, int ddof, StreamOrDevice s) {
  return var(a, std::vector<int>{axis}, keepdims, ddof, s);
}

array std(const array& a, const std::vector<int>& axes, bool keepdims, int ddof, StreamOrDevice s) {
  auto stream = to_stream(s);
  auto v = variance("std", a, axes, keepdims, ddof, stream);
  return astype(sqrt(v, stream), variance_dtype(a), stream);
}
array std(const array& a, bool keepdims, int ddof, StreamOrDevice s) {
  return std(a, all_axes(a), keepdims, ddof, s);
}
array std(const array& a, int axis, bool keepdims, int ddof, StreamOrDevice s) {
  return std(a, std::vector<int>{axis}, keepdims, ddof, s);
}

namespace {

array arg_reduce(const char* name, ArgReduceOp op, const array& a, int axis, bool keepdims,
                 StreamOrDevice s) {
  auto ax = normalize_axes(name, a, {axis})[0];
  if (a.shape()[ax] == 0) {
    std::ostringstream msg;
    msg << "[" << name << "] Cannot reduce an empty axis: axis " << ax << " of an array with shape "
        << a.shape() << " has no elements.";
    throw std::invalid_argument(msg.str());
  }
  auto stream = to_stream(s);
  auto shape = a.shape();
  shape[ax] = 1;
  auto out = array(shape, uint32, std::make_shared<ArgReduce>(stream, op, ax), {a});
  return keepdims ? out : squeeze(out, ax, stream);
}

// Over the flattened array; keepdims keeps every axis with size one.
array arg_reduce_all(const char* name, ArgReduceOp op, const array& a, bool keepdims,
                     StreamOrDevice s) {
  auto stream = to_stream(s);
  auto flat = reshape(a, {static_cast<ShapeElem>(a.size())}, stream);
  auto out = arg_reduce(name, op, flat, 0, false, stream);
  return keepdims ? reshape(out, Shape(a.ndim(), 1), stream) : out;
}

}  // namespace

array argmin(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return arg_reduce("argmin", ArgReduceOp::ArgMin, a, axis, keepdims, s);
}
array argmin(const array& a, bool keepdims, StreamOrDevice s) {
  return arg_reduce_all("argmin", ArgReduceOp::ArgMin, a, keepdims, s);
}
array argmax(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return arg_reduce("argmax", ArgReduceOp::ArgMax, a, axis, keepdims, s);
}
array argmax(const array& a, bool keepdims, StreamOrDevice s) {
  return arg_reduce_all("argmax", ArgReduceOp::ArgMax, a, keepdims, s);
}

namespace {

// softmax and logsumexp work in a float dtype; their kernels have no complex form.
array float_input(const char* name, const array& a, Stream s) {
  if (a.dtype() == complex64) {
    throw std::invalid_argument(std::string("[") + name +
                                "] Complex inputs are not supported, received complex64.");
  }
  return issubdtype(a.dtype(), inexact) ? a : astype(a, float32, s);
}

// x with the axes `ax` (normalised) moved to the end and merged into one, as a view where the
// strides allow: the input of the last-axis kernels. `perm` receives the transposition.
array axes_last(const array& x, const std::vector<int>& ax, std::vector<int>& perm, Stream s) {
  Shape shape;
  ShapeElem n = 1;
  for (int d = 0, k = 0; d < static_cast<int>(x.ndim()); ++d) {
    if (k < static_cast<int>(ax.size()) && ax[k] == d) {
      ++k;
      n *= x.shape()[d];
    } else {
      perm.push_back(d);
      shape.push_back(x.shape()[d]);
    }
  }
  perm.insert(perm.end(), ax.begin(), ax.end());
  shape.push_back(n);
  return reshape(transpose(x, perm, s), std::move(shape), s);
}

}  // namespace

array softmax(const array& a, const std::vector<int>& axes, bool precise, StreamOrDevice s) {
  auto ax = normalize_axes("softmax", a, axes);
  auto stream = to_stream(s);
  auto x = float_input("softmax", a, stream);
  if (x.size() == 0) {
    return x;
  }
  std::vector<int> perm;
  auto rows = axes_last(x, ax, perm, stream);
  auto y = array(rows.shape(), rows.dtype(), std::make_shared<Softmax>(stream, precise), {rows});
  Shape moved;
  std::vector<int> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    moved.push_back(x.shape()[perm[i]]);
    inverse[perm[i]] = static_cast<int>(i);
  }
  return transpose(reshape(y, std::move(moved), stream), inverse, stream);
}
array softmax(const array& a, bool precise, StreamOrDevice s) {
  return softmax(a, all_axes(a), precise, s);
}

array logsumexp(const array& a, const std::vector<int>& axes, bool keepdims, StreamOrDevice s) {
  auto ax = normalize_axes("logsumexp", a, axes);
  auto stream = to_stream(s);
  auto x = float_input("logsumexp", a, stream);
  if (ax.empty()) {
    return x;
  }
  std::vector<int> perm;
  auto rows = axes_last(x, ax, perm, stream);
  auto shape = rows.shape();
  shape.back() = 1;
  auto out = array(std::move(shape), rows.dtype(), std::make_shared<LogSumExp>(stream), {rows});
  Shape out_shape;
  for (int d = 0, k = 0; d < static_cast<int>(a.ndim()); ++d) {
    if (k < static_cast<int>(ax.size()) && ax[k] == d) {
      ++k;
      if (keepdims) {
        out_shape.push_back(1);
      }
    } else {
      out_shape.push_back(a.shape()[d]);
    }
  }
  return reshape(out, std::move(out_shape), stream);
}
array logsumexp(const array& a, bool keepdims, StreamOrDevice s) {
  return logsumexp(a, all_axes(a), keepdims, s);
}
array logsumexp(const array& a, int axis, bool keepdims, StreamOrDevice s) {
  return logsumexp(a, std::vector<int>{axis}, keepdims, s);
}

// ---- derivative and batching rules ----

namespace {
// The reduction of `x` (kept dims) with this primitive's op and axes, in `dtype`.
array rebuild(const array& x, ReduceOp op, const std::vector<int>& axes, Dtype dtype, Stream s) {
  auto shape = x.shape();
  for (int a : axes) shape[a] = 1;
  return array(std::move(shape), dtype, std::make_shared<Reduce>(s, op, axes, dtype), {x});
}

// d prod(x) / d x_i over `axes`, shaped like x: the product of the other values. Dividing the
// product by x_i fails at zeros, so zeros are counted: with none it is prod / x_i; with one, the
// zero's partial is the product of the nonzero values and every other partial is zero; with more,
// all are zero. Written with ops, so that it differentiates again.
array prod_partials(const array& x, const std::vector<int>& axes, Stream s) {
  auto zero = detail::equal_mask(x, zeros_like(x, s), s);
  auto nonzero = subtract(array(1, x.dtype()), zero, s);
  auto x_nz = add(x, zero, s);
  auto p_nz = rebuild(x_nz, ReduceOp::Prod, axes, x.dtype(), s);
  auto zeros = rebuild(zero, ReduceOp::Sum, axes, x.dtype(), s);
  auto none = detail::equal_mask(zeros, zeros_like(zeros, s), s);
  auto one = detail::equal_mask(zeros, full_like(zeros, 1, s), s);
  auto at_nonzero = multiply(nonzero, divide(multiply(p_nz, none, s), x_nz, s), s);
  auto at_zero = multiply(zero, multiply(p_nz, one, s), s);
  return add(at_nonzero, at_zero, s);
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
    case ReduceOp::Prod:
      return {multiply(ct, prod_partials(x, axes(), stream()), stream())};
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
    case ReduceOp::Prod: {
      auto t = multiply(prod_partials(x, axes(), stream()), tangents[0], stream());
      return {rebuild(t, ReduceOp::Sum, axes(), out_dtype(), stream())};
    }
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

// The indices are piecewise constant: their derivatives are zero, as in MLX.
std::vector<array> ArgReduce::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                  const std::vector<int>&, const std::vector<array>&) {
  return {zeros_like(primals[0], stream())};
}

std::vector<array> ArgReduce::jvp(const std::vector<array>& primals, const std::vector<array>&,
                                  const std::vector<int>&) {
  auto shape = primals[0].shape();
  shape[axis()] = 1;
  return {zeros(shape, uint32, stream())};
}

std::pair<std::vector<array>, std::vector<int>> ArgReduce::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes_in) {
  auto x = move_batch_axis(inputs[0], axes_in[0], 0, stream());
  auto shape = x.shape();
  shape[axis() + 1] = 1;
  return {{array(shape, uint32, std::make_shared<ArgReduce>(stream(), op(), axis() + 1), {x})},
          {0}};
}

}  // namespace mlx::core

namespace mlx::core {

// y = softmax(x): dy = y * (dx - sum(y * dx)), and the vjp is the same expression in the
// cotangent (the Jacobian is symmetric).
std::vector<array> Softmax::vjp(const std::vector<array>&, const std::vector<array>& cotangents,
                                const std::vector<int>&, const std::vector<array>& outputs) {
  auto& y = outputs[0];
  auto& ct = cotangents[0];
  auto dot = sum(multiply(ct, y, stream()), -1, true, stream());
  return {multiply(y, subtract(ct, dot, stream()), stream())};
}

std::vector<array> Softmax::jvp(const std::vector<array>& primals,
                                const std::vector<array>& tangents, const std::vector<int>&) {
  auto y = array(primals[0].shape(), primals[0].dtype(),
                 std::make_shared<Softmax>(stream(), precise()), {primals[0]});
  auto& t = tangents[0];
  auto dot = sum(multiply(t, y, stream()), -1, true, stream());
  return {multiply(y, subtract(t, dot, stream()), stream())};
}

std::pair<std::vector<array>, std::vector<int>> Softmax::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  return {{array(x.shape(), x.dtype(), std::make_shared<Softmax>(stream(), precise()), {x})}, {0}};
}

// The gradient of logsumexp is the softmax: exp(x - out).
std::vector<array> LogSumExp::vjp(const std::vector<array>& primals,
                                  const std::vector<array>& cotangents, const std::vector<int>&,
                                  const std::vector<array>& outputs) {
  auto p = exp(subtract(primals[0], outputs[0], stream()), stream());
  return {multiply(cotangents[0], p, stream())};
}

std::vector<array> LogSumExp::jvp(const std::vector<array>& primals,
                                  const std::vector<array>& tangents, const std::vector<int>&) {
  auto& x = primals[0];
  auto shape = x.shape();
  shape.back() = 1;
  auto out = array(std::move(shape), x.dtype(), std::make_shared<LogSumExp>(stream()), {x});
  auto p = exp(subtract(x, out, stream()), stream());
  return {sum(multiply(tangents[0], p, stream()), -1, true, stream())};
}

std::pair<std::vector<array>, std::vector<int>> LogSumExp::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  auto shape = x.shape();
  shape.back() = 1;
  return {{array(std::move(shape), x.dtype(), std::make_shared<LogSumExp>(stream()), {x})}, {0}};
}

}  // namespace mlx::core
