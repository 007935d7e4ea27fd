// Stream selection, printing, and small helpers shared by the API.
#pragma once

#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "mlx/array.h"
#include "mlx/device.h"
#include "mlx/dtype.h"
#include "mlx/stream.h"

namespace mlx::core {

using StreamOrDevice =
    std::variant<std::monostate, Stream, ThreadLocalStream, Device, Device::DeviceType>;

// The stream an op runs on: the given stream, or the calling thread's default stream of the
// given device (of the default device for an empty argument). Throws std::invalid_argument for
// a device that is not available.
Stream to_stream(StreamOrDevice s);
Stream to_stream(StreamOrDevice s, Device default_);

// Sets the calling thread's default device and stream for its lifetime, then restores them.
struct StreamContext {
 public:
  StreamContext(StreamOrDevice s);
  ~StreamContext();
  StreamContext(const StreamContext&) = delete;
  StreamContext& operator=(const StreamContext&) = delete;

 private:
  Device previous_device_;
  Stream previous_stream_;
};

struct PrintOptions {
  // Digits after the decimal point for inexact dtypes; -1 prints the shortest form that keeps
  // 6 significant digits (as MLX does by default).
  int precision{-1};
};

struct PrintFormatter {
  void print(std::ostream& os, bool val);
  void print(std::ostream& os, int8_t val);
  void print(std::ostream& os, int16_t val);
  void print(std::ostream& os, int32_t val);
  void print(std::ostream& os, int64_t val);
  void print(std::ostream& os, uint8_t val);
  void print(std::ostream& os, uint16_t val);
  void print(std::ostream& os, uint32_t val);
  void print(std::ostream& os, uint64_t val);
  void print(std::ostream& os, float16_t val);
  void print(std::ostream& os, bfloat16_t val);
  void print(std::ostream& os, float val);
  void print(std::ostream& os, double val);
  void print(std::ostream& os, complex64_t val);

  bool capitalize_bool{false};
  PrintOptions options{};
};

PrintFormatter& get_global_formatter();
void set_printoptions(PrintOptions options);

/** The dtype that results from promoting the dtypes of the arrays. */
inline Dtype result_type(const array& a, const array& b) {
  return promote_types(a.dtype(), b.dtype());
}
inline Dtype result_type(const array& a, const array& b, const array& c) {
  return promote_types(result_type(a, b), c.dtype());
}
Dtype result_type(const std::vector<array>& arrays);

/** NumPy broadcasting of two shapes; throws std::invalid_argument naming both shapes. */
Shape broadcast_shapes(const Shape& s1, const Shape& s2);

/** The axis in [0, ndim) for an axis in [-ndim, ndim); throws std::invalid_argument naming the
 * axis and ndim (prefixed by msg_prefix) otherwise. */
int normalize_axis_index(int axis, int ndim, const std::string& msg_prefix = "");

/** Narrows a size to int32 (shape dimensions are int32); throws std::invalid_argument if it
 * does not fit. */
ShapeElem safe_cast(int64_t value, const char* what = "shape dimension");

std::ostream& operator<<(std::ostream& os, const Device& d);
std::ostream& operator<<(std::ostream& os, const Stream& s);
std::ostream& operator<<(std::ostream& os, const array& a);
std::ostream& operator<<(std::ostream& os, const std::vector<int>& v);
std::ostream& operator<<(std::ostream& os, const std::vector<int64_t>& v);
std::ostream& operator<<(std::ostream& os, const std::vector<size_t>& v);
std::ostream& operator<<(std::ostream& os, const complex64_t& v);

}  // namespace mlx::core
