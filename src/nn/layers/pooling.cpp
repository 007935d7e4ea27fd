#include "mlx/nn/layers/pooling.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "mlx/ops.h"
#include "nn/common.h"

namespace mlx::nn {

using namespace mlx::core;

namespace {

std::string tuple_str(const std::vector<int>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(v[i]);
  }
  return s + (v.size() == 1 ? ",)" : ")");
}

// A strided view [N, out..., kernel..., C] of the windows of a row-contiguous x.
array sliding_windows(const array& x, const std::vector<int>& window,
                      const std::vector<int>& window_strides) {
  int n = static_cast<int>(window.size());
  Strides strides(x.ndim(), 1);
  for (int i = static_cast<int>(x.ndim()) - 2; i >= 0; --i) {
    strides[i] = strides[i + 1] * x.shape(i + 1);
  }
  Shape shape{x.shape(0)};
  Strides out_strides{strides[0]};
  for (int i = 0; i < n; ++i) {
    shape.push_back((x.shape(i + 1) - window[i]) / window_strides[i] + 1);
    out_strides.push_back(strides[i + 1] * window_strides[i]);
  }
  for (int i = 0; i < n; ++i) {
    shape.push_back(window[i]);
    out_strides.push_back(strides[i + 1]);
  }
  shape.push_back(x.shape(-1));
  out_strides.push_back(1);
  return as_strided(x, shape, out_strides, 0);
}

}  // namespace

PoolBase::PoolBase(const char* layer, int n, bool is_max, const IntOrTuple& kernel_size_,
                   const std::optional<IntOrTuple>& stride_, const IntOrTuple& padding_)
    : kernel_size(kernel_size_.expand(layer, "kernel_size", n)),
      stride(stride_ ? stride_->expand(layer, "stride", n) : kernel_size),
      padding(padding_.expand(layer, "padding", n)),
      max_(is_max) {
  for (int i = 0; i < n; ++i) {
    if (kernel_size[i] <= 0 || stride[i] <= 0 || padding[i] < 0 ||
        padding[i] > kernel_size[i] / 2) {
      throw std::invalid_argument(
          std::string("[") + layer + "] Kernel sizes and strides must be positive and paddings " +
          "at most half the kernel size, got kernel_size=" + tuple_str(kernel_size) +
          ", stride=" + tuple_str(stride) + ", padding=" + tuple_str(padding) + ".");
    }
  }
}

std::string PoolBase::describe_extra() const {
  return "kernel_size=" + tuple_str(kernel_size) + ", stride=" + tuple_str(stride) +
         ", padding=" + tuple_str(padding);
}

array PoolBase::operator()(const array& x) {
  int n = static_cast<int>(kernel_size.size());
  if (static_cast<int>(x.ndim()) != n + 2) {
    throw std::invalid_argument("[" + name() + "] Expected an input with " + std::to_string(n + 2) +
                                " dimensions [batch, spatial..., channels], got shape " +
                                detail::shape_str(x.shape()) + ".");
  }
  array y = x;
  if (std::any_of(padding.begin(), padding.end(), [](int p) { return p > 0; })) {
    std::vector<std::pair<int, int>> widths{{0, 0}};
    for (int p : padding) {
      widths.emplace_back(p, p);
    }
    widths.emplace_back(0, 0);
    auto value = !max_ ? array(0, x.dtype())
                 : issubdtype(x.dtype(), inexact)
                     ? array(-std::numeric_limits<float>::infinity(), x.dtype())
                     : array(iinfo(x.dtype()).min, x.dtype());
    y = pad(y, widths, value);
  }
  for (int i = 0; i < n; ++i) {
    if (y.shape(i + 1) < kernel_size[i]) {
      throw std::invalid_argument("[" + name() + "] The kernel " + tuple_str(kernel_size) +
                                  " is larger than the padded input's spatial shape " +
                                  detail::shape_str(y.shape()) + ".");
    }
  }
  auto windows = sliding_windows(contiguous(y), kernel_size, stride);
  std::vector<int> axes(n);
  std::iota(axes.begin(), axes.end(), n + 1);
  return max_ ? max(windows, axes) : mean(windows, axes);
}

}  // namespace mlx::nn
