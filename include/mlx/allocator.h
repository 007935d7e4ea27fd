// Buffers and the allocator behind every array's memory.
#pragma once

#include <cstddef>

namespace mlx::core::allocator {

// A handle to memory owned by the allocator. `ptr()` is the allocator's own record (opaque to
// users); `raw_ptr()` is the address of the first byte of the data.
class Buffer {
 private:
  void* ptr_;

 public:
  explicit Buffer(void* ptr) : ptr_(ptr) {}

  void* raw_ptr();

  const void* ptr() const { return ptr_; }
  void* ptr() { return ptr_; }
};

class Allocator {
 public:
  virtual Buffer malloc(size_t size) = 0;
  virtual void free(Buffer buffer) = 0;
  virtual size_t size(Buffer buffer) const = 0;
  // Wraps memory the allocator does not own, without copying. `release` drops the wrapper
  // without touching the memory. Returns Buffer{nullptr} when wrapping is not possible.
  virtual Buffer make_buffer(void* ptr, size_t size) = 0;
  virtual void release(Buffer buffer) = 0;

  Allocator() = default;
  Allocator(const Allocator&) = delete;
  Allocator(Allocator&&) = delete;
  Allocator& operator=(const Allocator&) = delete;
  Allocator& operator=(Allocator&&) = delete;
  virtual ~Allocator() = default;
};

Allocator& allocator();

// Allocates `size` bytes (page-aligned from 16 KiB up, 64-byte aligned below). Throws
// std::runtime_error naming the size when the memory cannot be had.
Buffer malloc(size_t size);
// Returns the buffer to the cache (or to the system when the cache is full).
void free(Buffer buffer);

inline Buffer make_buffer(void* ptr, size_t size) { return allocator().make_buffer(ptr, size); }
inline void release(Buffer buffer) { allocator().release(buffer); }
// Our allocator wraps any host pointer, so foreign buffers are never copied.
inline bool can_reuse_alien_buffer() { return true; }

}  // namespace mlx::core::allocator
