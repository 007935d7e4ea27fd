// Internal: calling a template with the C++ type of a dtype.
#pragma once

#include <stdexcept>
#include <string>
#include <type_traits>

#include "mlx/dtype.h"

namespace mlx::core {

template <typename T>
struct TypeTag {
  using type = T;
};

// Calls f(TypeTag<T>{}) with T the scalar type of `d`, returning what f returns.
template <typename F>
decltype(auto) dispatch_dtype(Dtype d, F&& f) {
  switch (d) {
    case Dtype::Val::bool_:
      return f(TypeTag<bool>{});
    case Dtype::Val::uint8:
      return f(TypeTag<uint8_t>{});
    case Dtype::Val::uint16:
      return f(TypeTag<uint16_t>{});
    case Dtype::Val::uint32:
      return f(TypeTag<uint32_t>{});
    case Dtype::Val::uint64:
      return f(TypeTag<uint64_t>{});
    case Dtype::Val::int8:
      return f(TypeTag<int8_t>{});
    case Dtype::Val::int16:
      return f(TypeTag<int16_t>{});
    case Dtype::Val::int32:
      return f(TypeTag<int32_t>{});
    case Dtype::Val::int64:
      return f(TypeTag<int64_t>{});
    case Dtype::Val::float16:
      return f(TypeTag<float16_t>{});
    case Dtype::Val::float32:
      return f(TypeTag<float>{});
    case Dtype::Val::float64:
      return f(TypeTag<double>{});
    case Dtype::Val::bfloat16:
      return f(TypeTag<bfloat16_t>{});
    case Dtype::Val::complex64:
      return f(TypeTag<complex64_t>{});
  }
  return f(TypeTag<float>{});
}

// The type a real floating T is computed in: float for the half types, T otherwise.
template <typename T>
using float_work_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

// Calls f(TypeTag<T>{}) for the real floating dtypes; `op` names the caller in the error for
// any other dtype (op builders let only those through).
template <typename F>
decltype(auto) dispatch_float(Dtype d, const char* op, F&& f) {
  switch (d) {
    case Dtype::Val::float16:
      return f(TypeTag<float16_t>{});
    case Dtype::Val::bfloat16:
      return f(TypeTag<bfloat16_t>{});
    case Dtype::Val::float32:
      return f(TypeTag<float>{});
    case Dtype::Val::float64:
      return f(TypeTag<double>{});
    default:
      throw std::runtime_error(std::string("[") + op + "] Expected a real floating point input.");
  }
}

}  // namespace mlx::core
