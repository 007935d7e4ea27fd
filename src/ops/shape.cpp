// Shape ops that are views: reshape, broadcast_to, broadcast_arrays, slice.
#include <algorithm>
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
  return array(
      out_shape, a.dtype(),
      std::make_shared<Slice>(to_stream(s), std::move(start), std::move(stop), std::move(strides)),
      {a});
}

array slice(const array& a, Shape start, Shape stop, StreamOrDevice s) {
  Shape strides(a.ndim(), 1);
  return slice(a, std::move(start), std::move(stop), std::move(strides), s);
}

}  // namespace mlx::core
