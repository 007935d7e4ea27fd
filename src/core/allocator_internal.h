// Internal hooks into the CPU allocator, for the scheduler and the tests. Not installed.
#pragma once

#include <cstddef>
#include <stdexcept>

#include "mlx/allocator.h"

namespace mlx::core::allocator::detail {

// Buffers below this size come from the C heap (64-byte aligned, power-of-two capacities); from
// this size up they are whole pages mapped directly, so they can be mlock()ed and handed back to
// the system independently.
inline constexpr size_t kPageThreshold = 16384;
inline constexpr size_t kPageSize = 4096;
inline constexpr size_t kHugePageSize = size_t{2} << 20;
inline constexpr size_t kSmallAlignment = 64;
inline constexpr size_t kMinCapacity = 64;

// The capacity malloc(size) reserves: the next power of two (at least 64) below 16 KiB, a whole
// number of 4 KiB pages from 16 KiB up.
size_t round_size(size_t size);

// Thrown by malloc in strict mode when an allocation would take active memory past the memory
// limit. The scheduler keeps the graph of a node that fails with it (and of its dependents), so
// the arrays can be evaluated again once memory is freed or the limit raised.
struct MemoryLimitError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Active memory is above the memory limit. The scheduler polls this to implement the soft limit
// (wait for in-flight work to free memory before launching more).
bool over_memory_limit();

// The buffer wraps memory the caller owns (array(void*, ...)): kernels must never write into it,
// since it may be read-only or still in use by its owner.
bool is_wrapped(const Buffer& buffer);

// The cache limit currently in force (it follows the memory limit until set_cache_limit is called).
size_t get_cache_limit();

// Bytes currently mlock()ed by the allocator, cached buffers included.
size_t get_wired_memory();

// The wired limit in force (what set_wired_limit last accepted).
size_t get_wired_limit();

// Restores the default limits (memory limit = physical RAM, soft mode, cache limit following the
// memory limit, wired limit 0, nothing locked) so tests can leave the process as they found it.
void reset_limits();

}  // namespace mlx::core::allocator::detail
