// Memory figures and limits.
#pragma once

#include <cstddef>

namespace mlx::core {

// Bytes held by live arrays (allocated and not yet freed).
size_t get_active_memory();
// The largest value get_active_memory() has had since start or since reset_peak_memory().
size_t get_peak_memory();
void reset_peak_memory();
// Bytes kept in the buffer cache for reuse.
size_t get_cache_memory();

// The memory limit. By default it is soft, as in MLX: when active memory is above it, evaluation
// waits for work in flight on other streams to finish (and free memory) before running the next
// kernel, then proceeds. With a strict limit an allocation that would pass it raises
// std::runtime_error instead. Returns the previous limit. Default: the machine's physical memory.
size_t set_memory_limit(size_t limit);
size_t get_memory_limit();
// Opt-in strict mode for the memory limit; returns the previous mode.
bool set_memory_limit_strict(bool strict);

// Bounds the buffer cache; 0 disables caching. Returns the previous limit. Default: the memory
// limit.
size_t set_cache_limit(size_t limit);
// Frees every cached buffer.
void clear_cache();

// Bytes of buffers the allocator keeps locked in RAM (mlock). Returns the previous limit. Throws
// std::invalid_argument above the system's limit (RLIMIT_MEMLOCK).
size_t set_wired_limit(size_t limit);

}  // namespace mlx::core
