#include "mlx/nn/layers/upsample.h"

#include <cmath>
#include <stdexcept>

#include "mlx/ops.h"
#include "nn/common.h"

namespace mlx::nn {

using namespace mlx::core;

namespace {

void check_scales(const char* op, const array& x, const std::vector<float>& scales) {
  if (x.ndim() < 3 || scales.size() != x.ndim() - 2) {
    throw std::invalid_argument(
        std::string("[") + op + "] Expected one scale per spatial axis of " +
        "an input [batch, spatial..., channels]; got " + std::to_string(scales.size()) +
        " scales for shape " + detail::shape_str(x.shape()) + ".");
  }
  for (float s : scales) {
    if (!(s > 0)) {
      throw std::invalid_argument(std::string("[") + op + "] Scales must be positive, got " +
                                  detail::py_float(s) + ".");
    }
  }
}

int out_size(int n, float scale) { return static_cast<int>(scale * n); }

// Source coordinates (float32) of the output positions along an axis of size n.
array scaled_indices(int n, float scale, bool align_corners) {
  int m = out_size(n, scale);
  auto idx = arange(0, m, float32);
  if (align_corners) {
    return idx * array(m > 1 ? static_cast<float>(n - 1) / (m - 1) : 0.0f);
  }
  double step = 1.0 / scale;
  double start = ((m - 1) * step - n + 1) / 2;
  return idx * array(static_cast<float>(step)) - array(static_cast<float>(start));
}

// Picks positions `idx` (uint32) along spatial axis `axis` of x.
array pick(const array& x, const array& idx, int axis) { return take(x, idx, axis + 1); }

// Weight `w` ([m]) shaped to broadcast along spatial axis `axis` of a [N, spatial..., C] array.
array along(const array& w, int axis, int ndim) {
  Shape shape(ndim, 1);
  shape[axis + 1] = -1;
  return reshape(w, shape);
}

// Interpolates along each spatial axis in turn: the interpolations are separable, so the result
// equals MLX's sum over all corner combinations at a fraction of the work.
template <typename Taps>
array separable(const array& x, const std::vector<float>& scales, bool align_corners, Taps&& taps) {
  array y = x;
  int nd = static_cast<int>(x.ndim());
  for (size_t a = 0; a < scales.size(); ++a) {
    int n = y.shape(static_cast<int>(a) + 1);
    auto pos = scaled_indices(n, scales[a], align_corners);
    std::optional<array> acc;
    for (auto& [idx, w] : taps(pos, n)) {
      auto term = pick(y, astype(clip(idx, array(0.0f), array(static_cast<float>(n - 1))), uint32),
                       static_cast<int>(a)) *
                  astype(along(w, static_cast<int>(a), nd), y.dtype());
      acc = acc ? *acc + term : term;
    }
    y = *acc;
  }
  return y;
}

}  // namespace

array upsample_nearest(const array& x, const std::vector<float>& scales) {
  check_scales("upsample_nearest", x, scales);
  array y = x;
  for (size_t a = 0; a < scales.size(); ++a) {
    int n = y.shape(static_cast<int>(a) + 1);
    int m = out_size(n, scales[a]);
    auto idx = arange(0, m, float32);
    if (m > n) {
      idx = round((idx + array(0.5f)) * array(static_cast<float>(n) / m) - array(0.5f));
    } else {
      idx = floor(idx * array(static_cast<float>(n) / m));
    }
    y = pick(y, astype(idx, uint32), static_cast<int>(a));
  }
  return y;
}

array upsample_linear(const array& x, const std::vector<float>& scales, bool align_corners) {
  check_scales("upsample_linear", x, scales);
  return separable(x, scales, align_corners, [](const array& pos, int n) {
    auto p = clip(pos, array(0.0f), array(static_cast<float>(n - 1)));
    auto l = floor(p), r = ceil(p);
    auto w = p - l;
    return std::vector<std::pair<array, array>>{{l, array(1.0f) - w}, {r, w}};
  });
}

array upsample_cubic(const array& x, const std::vector<float>& scales, bool align_corners) {
  check_scales("upsample_cubic", x, scales);
  return separable(x, scales, align_corners, [](const array& pos, int) {
    const float a = -0.75f;
    auto l1 = floor(pos), r1 = floor(pos + array(1.0f));
    auto l2 = l1 - array(1.0f), r2 = r1 + array(1.0f);
    auto near = [&](const array& grid) {
      auto d = abs(pos - grid);
      return (array(a + 2.0f) * d - array(a + 3.0f)) * d * d + array(1.0f);
    };
    auto far = [&](const array& grid) {
      auto d = abs(pos - grid);
      return (((d - array(5.0f)) * d + array(8.0f)) * d - array(4.0f)) * array(a);
    };
    return std::vector<std::pair<array, array>>{
        {l1, near(l1)}, {r1, near(r1)}, {l2, far(l2)}, {r2, far(r2)}};
  });
}

Upsample::Upsample(float scale, Mode mode_, bool align_corners_)
    : Upsample(std::vector<float>{scale}, mode_, align_corners_) {}

Upsample::Upsample(std::vector<float> scale_factor_, Mode mode_, bool align_corners_)
    : scale_factor(std::move(scale_factor_)), mode(mode_), align_corners(align_corners_) {
  if (scale_factor.empty()) {
    throw std::invalid_argument("[Upsample] Expected at least one scale factor.");
  }
}

std::string Upsample::describe_extra() const {
  std::string s = "scale_factor=";
  if (scale_factor.size() == 1) {
    s += detail::py_float(scale_factor[0]);
  } else {
    s += "(";
    for (size_t i = 0; i < scale_factor.size(); ++i) {
      s += (i ? ", " : "") + detail::py_float(scale_factor[i]);
    }
    s += ")";
  }
  const char* names[] = {"'nearest'", "'linear'", "'cubic'"};
  return s + ", mode=" + names[static_cast<int>(mode)] +
         ", align_corners=" + detail::py_bool(align_corners);
}

array Upsample::operator()(const array& x) {
  auto scales = scale_factor;
  if (scales.size() == 1 && x.ndim() > 3) {
    scales.assign(x.ndim() - 2, scales[0]);
  }
  switch (mode) {
    case Mode::nearest:
      return upsample_nearest(x, scales);
    case Mode::linear:
      return upsample_linear(x, scales, align_corners);
    case Mode::cubic:
      break;
  }
  return upsample_cubic(x, scales, align_corners);
}

}  // namespace mlx::nn
