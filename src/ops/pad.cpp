// pad, built from the shape and indexing families' primitives (so its derivative and batching
// rules come from those). A constant pad is one fill and one slice update; the other modes
// rebuild each padded axis as a concatenation of views of the input (forward, reversed or
// broadcast runs), so any width works, including widths larger than the axis.
#include <algorithm>
#include <functional>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

enum class PadMode { constant, edge, reflect, symmetric };

PadMode parse_mode(const std::string& mode) {
  if (mode == "constant") return PadMode::constant;
  if (mode == "edge") return PadMode::edge;
  if (mode == "reflect") return PadMode::reflect;
  if (mode == "symmetric") return PadMode::symmetric;
  std::ostringstream msg;
  msg << "[pad] Invalid padding mode \"" << mode
      << "\": use \"constant\", \"edge\", \"reflect\" or \"symmetric\".";
  throw std::invalid_argument(msg.str());
}

// The input index that padded index i (counted from the input's first element, so the low pad
// is i < 0) takes its value from: NumPy's rules, repeated periodically for wide pads.
int64_t source_index(int64_t i, int64_t n, PadMode mode) {
  if (i >= 0 && i < n) {
    return i;
  }
  switch (mode) {
    case PadMode::edge:
      return i < 0 ? 0 : n - 1;
    case PadMode::reflect: {
      if (n == 1) {
        return 0;
      }
      int64_t period = 2 * (n - 1);
      int64_t j = ((i % period) + period) % period;
      return j < n ? j : period - j;
    }
    default: {
      int64_t period = 2 * n;
      int64_t j = ((i % period) + period) % period;
      return j < n ? j : period - 1 - j;
    }
  }
}

// `x` padded along `axis`: the padded indices are walked once and split into runs whose
// source indices go up by one, down by one, or stay, each run one view of `x`.
array pad_axis(const array& x, int axis, int low, int high, PadMode mode, Stream s) {
  int64_t n = x.shape(axis);
  if (n == 0) {
    std::ostringstream msg;
    msg << "[pad] Cannot pad axis " << axis << " of size 0 with low " << low << " and high " << high
        << " in a mode that copies the array's values.";
    throw std::invalid_argument(msg.str());
  }
  auto piece = [&](int64_t begin, int64_t end) {
    Shape start(x.ndim(), 0), stop = x.shape();
    start[axis] = static_cast<int>(begin);
    stop[axis] = static_cast<int>(end);
    return slice(x, std::move(start), std::move(stop), s);
  };
  std::vector<array> pieces;
  int64_t i = -static_cast<int64_t>(low), end = n + high;
  while (i < end) {
    int64_t j = source_index(i, n, mode);
    if (i == 0) {
      pieces.push_back(x);
      i = n;
      continue;
    }
    int64_t step = i + 1 < end ? source_index(i + 1, n, mode) - j : 1;
    int64_t len = 1;
    // The input itself is always its own piece, so runs stop at index 0.
    while (i + len < end && i + len != 0 && source_index(i + len, n, mode) == j + len * step) {
      ++len;
    }
    if (step == 0) {
      auto shape = x.shape();
      shape[axis] = static_cast<int>(len);
      pieces.push_back(broadcast_to(piece(j, j + 1), shape, s));
    } else if (step > 0) {
      pieces.push_back(piece(j, j + len));
    } else {
      pieces.push_back(flip(piece(j - len + 1, j + 1), axis, s));
    }
    i += len;
  }
  return concatenate(std::move(pieces), axis, s);
}

}  // namespace

array pad(const array& a, const std::vector<int>& axes, const Shape& low_pad_size,
          const Shape& high_pad_size, const array& pad_value, const std::string& mode,
          StreamOrDevice s) {
  if (axes.size() != low_pad_size.size() || axes.size() != high_pad_size.size()) {
    std::ostringstream msg;
    msg << "[pad] The axes " << axes << ", low pad sizes " << low_pad_size << " and high pad sizes "
        << high_pad_size << " must have the same length.";
    throw std::invalid_argument(msg.str());
  }
  int nd = static_cast<int>(a.ndim());
  std::vector<int> norm;
  for (int ax : axes) {
    int d = ax < 0 ? ax + nd : ax;
    if (d < 0 || d >= nd || std::find(norm.begin(), norm.end(), d) != norm.end()) {
      std::ostringstream msg;
      msg << "[pad] Invalid axes " << axes << " for an array with " << nd
          << " dimensions: each must be in range and appear once.";
      throw std::invalid_argument(msg.str());
    }
    norm.push_back(d);
  }
  for (size_t i = 0; i < axes.size(); ++i) {
    if (low_pad_size[i] < 0 || high_pad_size[i] < 0) {
      std::ostringstream msg;
      msg << "[pad] Pad sizes must be non-negative, got low " << low_pad_size << " and high "
          << high_pad_size << ".";
      throw std::invalid_argument(msg.str());
    }
  }
  auto pad_mode = parse_mode(mode);
  if (pad_value.size() != 1) {
    std::ostringstream msg;
    msg << "[pad] The pad value must be a single value, got shape " << pad_value.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  auto stream = to_stream(s);
  if (pad_mode != PadMode::constant) {
    array out = a;
    for (size_t i = 0; i < norm.size(); ++i) {
      if (low_pad_size[i] > 0 || high_pad_size[i] > 0) {
        out = pad_axis(out, norm[i], low_pad_size[i], high_pad_size[i], pad_mode, stream);
      }
    }
    return out;
  }
  auto shape = a.shape();
  Shape start(nd, 0), stop = a.shape();
  bool padded = false;
  for (size_t i = 0; i < norm.size(); ++i) {
    int d = norm[i];
    shape[d] = safe_cast(static_cast<int64_t>(shape[d]) + low_pad_size[i] + high_pad_size[i],
                         "padded dimension");
    start[d] = low_pad_size[i];
    stop[d] = low_pad_size[i] + a.shape(d);
    padded = padded || low_pad_size[i] > 0 || high_pad_size[i] > 0;
  }
  if (!padded) {
    return a;
  }
  auto filled = full(std::move(shape), reshape(pad_value, {}, stream), a.dtype(), stream);
  return slice_update(filled, a, std::move(start), std::move(stop), stream);
}

array pad(const array& a, const std::vector<std::pair<int, int>>& pad_width, const array& pad_value,
          const std::string& mode, StreamOrDevice s) {
  // One (low, high) pair pads every axis, as in NumPy.
  size_t nd = a.ndim();
  if (pad_width.size() != nd && pad_width.size() != 1) {
    std::ostringstream msg;
    msg << "[pad] Expected " << nd << " (low, high) pairs (or one for every axis) for an array "
        << "of shape " << a.shape() << ", got " << pad_width.size() << ".";
    throw std::invalid_argument(msg.str());
  }
  std::vector<int> axes(nd);
  Shape low(nd), high(nd);
  for (size_t d = 0; d < nd; ++d) {
    axes[d] = static_cast<int>(d);
    auto& [l, h] = pad_width[pad_width.size() == 1 ? 0 : d];
    low[d] = l;
    high[d] = h;
  }
  return pad(a, axes, low, high, pad_value, mode, s);
}

array pad(const array& a, const std::pair<int, int>& pad_width, const array& pad_value,
          const std::string& mode, StreamOrDevice s) {
  return pad(a, std::vector<std::pair<int, int>>{pad_width}, pad_value, mode, s);
}

array pad(const array& a, int pad_width, const array& pad_value, const std::string& mode,
          StreamOrDevice s) {
  return pad(a, std::vector<std::pair<int, int>>{{pad_width, pad_width}}, pad_value, mode, s);
}

}  // namespace mlx::core
