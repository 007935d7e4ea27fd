#include "mlx/nn/layers/dropout.h"

#include <stdexcept>

#include "mlx/ops.h"
#include "mlx/random.h"
#include "nn/common.h"

namespace mlx::nn {

using namespace mlx::core;

namespace {

float checked_p(const char* layer, float p) {
  if (!(p >= 0.0f && p < 1.0f)) {
    throw std::invalid_argument(std::string("[") + layer + "] The dropout probability " +
                                detail::py_float(p) + " is not in [0, 1).");
  }
  return p;
}

// Keeps each element of x whose mask entry (drawn with `mask_shape`, broadcast to x) is set.
array drop(const array& x, float p, const Shape& mask_shape) {
  float keep = 1.0f - p;
  auto mask = random::bernoulli(array(keep), mask_shape);
  return x * (astype(mask, x.dtype()) * detail::weak(1.0 / keep, x));
}

// Whole channels of inputs with `spatial` spatial axes, with or without a batch axis: the mask
// has size 1 on the spatial axes.
array drop_channels(const char* layer, const array& x, float p, bool training, int spatial) {
  int nd = static_cast<int>(x.ndim());
  if (nd != spatial + 1 && nd != spatial + 2) {
    throw std::invalid_argument(std::string("[") + layer + "] Received input with " +
                                std::to_string(nd) + " dimensions. Expected " +
                                std::to_string(spatial + 1) + " or " + std::to_string(spatial + 2) +
                                " dimensions.");
  }
  if (p == 0.0f || !training) {
    return x;
  }
  auto mask_shape = x.shape();
  for (int i = 2; i <= spatial + 1; ++i) {
    mask_shape[nd - i] = 1;
  }
  return drop(x, p, mask_shape);
}

}  // namespace

Dropout::Dropout(float p_) : p(checked_p("Dropout", p_)) {}

std::string Dropout::describe_extra() const { return "p=" + detail::py_float(p); }

array Dropout::operator()(const array& x) {
  if (p == 0.0f || !training()) {
    return x;
  }
  return drop(x, p, x.shape());
}

Dropout2d::Dropout2d(float p_) : p(checked_p("Dropout2d", p_)) {}

std::string Dropout2d::describe_extra() const { return "p=" + detail::py_float(p); }

array Dropout2d::operator()(const array& x) {
  return drop_channels("Dropout2d", x, p, training(), 2);
}

Dropout3d::Dropout3d(float p_) : p(checked_p("Dropout3d", p_)) {}

std::string Dropout3d::describe_extra() const { return "p=" + detail::py_float(p); }

array Dropout3d::operator()(const array& x) {
  return drop_channels("Dropout3d", x, p, training(), 3);
}

}  // namespace mlx::nn
