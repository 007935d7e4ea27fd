// Internal: growable scratch memory for CPU kernels.
#pragma once

#include <algorithm>
#include <cstddef>

#include "mlx/allocator.h"

namespace mlx::core::cpu {

// Uninitialised scratch memory from the MLX allocator: its buffer cache hands the same memory to
// the next call, so repeated kernels (a product's widened operands, a sort's keys) neither fault
// its pages in again nor zero it. Grows on demand and is freed with the object.
class ScratchBuffer {
 public:
  ScratchBuffer() = default;
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  ~ScratchBuffer() {
    if (bytes_ > 0) {
      allocator::free(buf_);
    }
  }

  // Room for n values of U (the contents are not kept when it grows).
  template <typename U>
  U* get(size_t n) {
    size_t bytes = std::max<size_t>(n * sizeof(U), 1);
    if (bytes > bytes_) {
      if (bytes_ > 0) {
        allocator::free(buf_);
        bytes_ = 0;
      }
      buf_ = allocator::malloc(bytes);
      bytes_ = bytes;
    }
    return static_cast<U*>(buf_.raw_ptr());
  }

 private:
  allocator::Buffer buf_{nullptr};
  size_t bytes_{0};
};

}  // namespace mlx::core::cpu
