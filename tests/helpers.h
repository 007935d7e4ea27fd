// Helpers shared by the test files: reading values through strides, exact error messages.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlx/mlx.h"

namespace mlx::core {

// 0, 1, 2, ... (+ shift) in row-major order, with the given shape and dtype.
inline array iota(const Shape& shape, Dtype dtype = int32, double shift = 0.0) {
  int n = 1;
  for (auto d : shape) n *= d;
  return astype(add(reshape(arange(0.0, n, float64), shape), array(shift, float64)), dtype);
}

// The values of an array in logical (row-major) order, read through its shape and strides, so
// checks do not depend on the copy kernels under test.
template <typename T>
std::vector<T> values(array a) {
  a.eval();
  EXPECT_EQ(a.itemsize(), sizeof(T));
  std::vector<T> out;
  out.reserve(a.size());
  std::vector<int64_t> idx(a.ndim(), 0);
  const T* p = a.data<T>();
  for (size_t n = 0; n < a.size(); ++n) {
    int64_t off = 0;
    for (size_t d = 0; d < a.ndim(); ++d) {
      off += idx[d] * a.strides()[d];
    }
    out.push_back(p[off]);
    for (int d = static_cast<int>(a.ndim()) - 1; d >= 0; --d) {
      if (++idx[d] < a.shape()[d]) {
        break;
      }
      idx[d] = 0;
    }
  }
  return out;
}

template <typename T>
void expect_array(const array& a, const Shape& shape, Dtype dtype, const std::vector<T>& expected) {
  EXPECT_EQ(a.shape(), shape);
  EXPECT_EQ(a.dtype(), dtype);
  if (a.shape() == shape && a.dtype() == dtype) {
    EXPECT_EQ(values<T>(a), expected);
  }
}

// The message of the std::invalid_argument f throws (or a marker saying what happened instead).
inline std::string error_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<other exception: ") + e.what() + ">";
  }
  return "<no exception>";
}

// The message of any exception f throws; empty when it throws none.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace mlx::core

#define EXPECT_INVALID(stmt, message)                   \
  do {                                                  \
    EXPECT_THROW(stmt, std::invalid_argument);          \
    EXPECT_EQ(error_message([&] { stmt; }), (message)); \
  } while (0)
