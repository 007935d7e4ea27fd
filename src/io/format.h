// Internal: helpers shared by the file-format loaders and savers (src/io/*.cpp). Everything read
// from a file is checked against these bounds before it is used, so hostile files give errors.
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "mlx/array.h"
#include "mlx/io/load.h"
#include "mlx/stream.h"

namespace mlx::core::io_detail {

// A std::runtime_error "[op] <reader label>: what".
[[noreturn]] void fail(const char* op, const io::Reader& in, const std::string& what);

// The reader's total size in bytes (its position is kept).
size_t stream_size(io::Reader& in);

// a * b, or nullopt-like failure through `ok` when it does not fit in 64 bits.
inline bool mul_overflows(uint64_t a, uint64_t b, uint64_t& out) {
  return __builtin_mul_overflow(a, b, &out);
}

// The shape from dimensions read from a file: each must fit an int32 dimension and the total
// byte size (elements * itemsize, returned in nbytes) must fit in 64 bits.
Shape checked_shape(const char* op, const io::Reader& in, const std::vector<uint64_t>& dims,
                    size_t itemsize, uint64_t& nbytes);

// An unevaluated array whose bytes are read from `in` at `offset` (swapping units of swap_width
// bytes when > 1) when it is evaluated.
array lazy_load(std::shared_ptr<io::Reader> in, size_t offset, Shape shape, Dtype dtype,
                int swap_width, Stream s);

// Writes an array's elements in row-major order (evaluating it first).
void write_array(io::Writer& out, array a);

}  // namespace mlx::core::io_detail
