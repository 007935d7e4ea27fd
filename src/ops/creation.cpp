// Creation and conversion: arange, full/zeros/ones (and *_like), astype, copy.
#include <cmath>
#include <limits>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

void check_shape(const Shape& shape, const char* op) {
  for (auto d : shape) {
    if (d < 0) {
      std::ostringstream msg;
      msg << "[" << op << "] Negative dimensions are not allowed, got shape " << shape << ".";
      throw std::invalid_argument(msg.str());
    }
  }
}

}  // namespace

array arange(double start, double stop, double step, Dtype dtype, StreamOrDevice s) {
  if (dtype == bool_) {
    throw std::invalid_argument("[arange] Cannot use dtype bool.");
  }
  if (step == 0 || std::isnan(start) || std::isnan(stop) || std::isnan(step) || std::isinf(start) ||
      std::isinf(stop)) {
    std::ostringstream msg;
    msg << "[arange] Cannot compute the length of arange(" << start << ", " << stop << ", " << step
        << ").";
    throw std::invalid_argument(msg.str());
  }
  double ratio = (stop - start) / step;
  double real_size = std::ceil(ratio);
  // As in NumPy: a step so large that the ratio underflows to +0 (an infinite step, say) still
  // gives the start when it points toward stop.
  if (ratio == 0 && stop != start && !std::signbit(ratio)) {
    real_size = 1;
  }
  if (real_size > std::numeric_limits<int32_t>::max()) {
    std::ostringstream msg;
    msg << "[arange] arange(" << start << ", " << stop << ", " << step << ") has " << real_size
        << " elements, more than the maximum of " << std::numeric_limits<int32_t>::max() << ".";
    throw std::invalid_argument(msg.str());
  }
  // Casting a huge negative size to int would be undefined.
  int size = real_size > 0 ? static_cast<int>(real_size) : 0;
  return array({size}, dtype, std::make_shared<Arange>(to_stream(s), start, stop, step), {});
}
array arange(double start, double stop, double step, StreamOrDevice s) {
  return arange(start, stop, step, float32, s);
}
array arange(double start, double stop, Dtype dtype, StreamOrDevice s) {
  return arange(start, stop, 1.0, dtype, s);
}
array arange(double start, double stop, StreamOrDevice s) {
  return arange(start, stop, 1.0, float32, s);
}
array arange(double stop, Dtype dtype, StreamOrDevice s) {
  return arange(0.0, stop, 1.0, dtype, s);
}
array arange(double stop, StreamOrDevice s) { return arange(0.0, stop, 1.0, float32, s); }
array arange(int start, int stop, int step, StreamOrDevice s) {
  return arange(static_cast<double>(start), static_cast<double>(stop), static_cast<double>(step),
                int32, s);
}
array arange(int start, int stop, StreamOrDevice s) { return arange(start, stop, 1, s); }
array arange(int stop, StreamOrDevice s) { return arange(0, stop, 1, s); }

array astype(array a, Dtype dtype, StreamOrDevice s) {
  if (a.dtype() == dtype) {
    return a;
  }
  auto shape = a.shape();
  return array(std::move(shape), dtype, std::make_shared<AsType>(to_stream(s), dtype),
               {std::move(a)});
}

array copy(array a, StreamOrDevice s) {
  auto shape = a.shape();
  auto dtype = a.dtype();
  return array(std::move(shape), dtype, std::make_shared<Copy>(to_stream(s)), {std::move(a)});
}

array full(Shape shape, array vals, Dtype dtype, StreamOrDevice s) {
  check_shape(shape, "full");
  auto stream = to_stream(s);
  auto in = broadcast_to(astype(std::move(vals), dtype, stream), shape, stream);
  return array(std::move(shape), dtype, std::make_shared<Full>(stream), {std::move(in)});
}

array full(Shape shape, array vals, StreamOrDevice s) {
  auto dtype = vals.dtype();
  return full(std::move(shape), std::move(vals), dtype, s);
}

array zeros(const Shape& shape, Dtype dtype, StreamOrDevice s) {
  return full(shape, array(false, dtype), dtype, s);
}

array zeros_like(const array& a, StreamOrDevice s) { return zeros(a.shape(), a.dtype(), s); }

array ones(const Shape& shape, Dtype dtype, StreamOrDevice s) {
  return full(shape, array(true, dtype), dtype, s);
}

array ones_like(const array& a, StreamOrDevice s) { return ones(a.shape(), a.dtype(), s); }

}  // namespace mlx::core
