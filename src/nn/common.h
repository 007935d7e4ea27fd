// Helpers shared by the nn sources: scalar constants that behave as MLX Python's weak scalars
// (a C++ float would be a float32 array and promote float16 inputs, which MLX Python does not
// do), and shapes in error messages.
#pragma once

#include <charconv>
#include <sstream>
#include <string>

#include "mlx/array.h"
#include "mlx/dtype.h"

namespace mlx::nn::detail {

/** A float literal next to x: x's dtype when x is floating, else float32. */
inline core::array weak(double v, const core::array& x) {
  return core::array(v, core::issubdtype(x.dtype(), core::inexact) ? x.dtype() : core::float32);
}

/** An integer literal next to x: x's dtype, except bool, which becomes int32. */
inline core::array weak_int(int v, const core::array& x) {
  return core::array(v, x.dtype() == core::bool_ ? core::int32 : x.dtype());
}

/** "(2,3)", as the core ops print shapes in their messages. */
inline std::string shape_str(const core::Shape& shape) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    os << (i ? "," : "") << shape[i];
  }
  os << ")";
  return os.str();
}

/** A float as Python's repr writes it ("1e-05", "0.1", "1.0"), for describe_extra. */
inline std::string py_float(float v) {
  char buf[32];
  auto end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
  std::string s(buf, end);
  if (s.find_first_of(".ein") == std::string::npos) {
    s += ".0";
  }
  return s;
}

inline std::string py_bool(bool v) { return v ? "True" : "False"; }

}  // namespace mlx::nn::detail
