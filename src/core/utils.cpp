#include "mlx/utils.h"

#include <limits>
#include <sstream>
#include <stdexcept>

#include "mlx/version.h"
#include "ops/primitive_params.h"

namespace mlx::core {

Dtype result_type(const std::vector<array>& arrays) {
  if (arrays.empty()) {
    throw std::invalid_argument("[result_type] Expected at least one array.");
  }
  Dtype t = arrays[0].dtype();
  for (size_t i = 1; i < arrays.size(); ++i) {
    t = promote_types(t, arrays[i].dtype());
  }
  return t;
}

Shape broadcast_shapes(const Shape& s1, const Shape& s2) {
  const auto& big = s1.size() >= s2.size() ? s1 : s2;
  const auto& small = s1.size() >= s2.size() ? s2 : s1;
  Shape out = big;
  size_t diff = big.size() - small.size();
  for (size_t i = 0; i < small.size(); ++i) {
    auto a = big[diff + i];
    auto b = small[i];
    if (a == b || b == 1) {
      out[diff + i] = a;
    } else if (a == 1) {
      out[diff + i] = b;
    } else {
      std::ostringstream msg;
      msg << "[broadcast_shapes] Shapes " << s1 << " and " << s2 << " cannot be broadcast.";
      throw std::invalid_argument(msg.str());
    }
  }
  return out;
}

int normalize_axis_index(int axis, int ndim, const std::string& msg_prefix) {
  if (axis < -ndim || axis >= ndim) {
    std::ostringstream msg;
    msg << msg_prefix << "Axis " << axis << " is out of bounds for an array with " << ndim
        << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  return axis < 0 ? axis + ndim : axis;
}

ShapeElem safe_cast(int64_t value, const char* what) {
  if (value > std::numeric_limits<ShapeElem>::max() ||
      value < std::numeric_limits<ShapeElem>::min()) {
    std::ostringstream msg;
    msg << "[safe_cast] The " << what << " " << value << " does not fit in int32.";
    throw std::invalid_argument(msg.str());
  }
  return static_cast<ShapeElem>(value);
}

std::string version() {
  return std::to_string(MLX_VERSION_MAJOR) + "." + std::to_string(MLX_VERSION_MINOR) + "." +
         std::to_string(MLX_VERSION_PATCH);
}

void no_gpu_backend(const char* name) {
  throw std::runtime_error(std::string("[") + name +
                           "] No GPU backend is available in this build.");
}

std::ostream& operator<<(std::ostream& os, const Device& d) {
  return os << "Device(" << (d.type == Device::cpu ? "cpu" : "gpu") << ", " << d.index << ")";
}

std::ostream& operator<<(std::ostream& os, const Stream& s) {
  return os << "Stream(" << s.device << ", " << s.index << ")";
}

namespace {
template <typename T>
std::ostream& print_vector(std::ostream& os, const std::vector<T>& v) {
  os << "(";
  for (size_t i = 0; i < v.size(); ++i) {
    os << (i ? "," : "") << v[i];
  }
  return os << ")";
}
}  // namespace

std::ostream& operator<<(std::ostream& os, const std::vector<int>& v) {
  return print_vector(os, v);
}
std::ostream& operator<<(std::ostream& os, const std::vector<int64_t>& v) {
  return print_vector(os, v);
}
std::ostream& operator<<(std::ostream& os, const std::vector<size_t>& v) {
  return print_vector(os, v);
}

std::ostream& operator<<(std::ostream& os, const complex64_t& v) {
  os << v.real();
  if (v.imag() >= 0 || v.imag() != v.imag()) {
    os << "+";
  }
  return os << v.imag() << "j";
}

}  // namespace mlx::core
