// Memory figures and limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>

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

// The allocator keeps up to `limit` bytes of its page-sized buffers (live and cached) locked in RAM
// with mlock(), so they are never paged out: raising the limit locks more of them at once, lowering
// it unlocks until the locked bytes fit, and buffers allocated later are locked while they fit.
// Returns the previous limit; default 0 (nothing locked).
// When the system refuses, nothing changes (the previous limit and the locked buffers stay):
// std::invalid_argument above RLIMIT_MEMLOCK for a process without CAP_IPC_LOCK, and
// std::runtime_error when mlock() itself fails (other locked memory counts against the same
// RLIMIT_MEMLOCK, or RAM is short).
size_t set_wired_limit(size_t limit);

namespace memory {

// The memory figures at one moment. Signed, so that a delta can go down.
struct Snapshot {
  std::int64_t active = 0;
  std::int64_t cache = 0;
  std::int64_t peak = 0;

  // The change from this snapshot to `later` (later minus this), as MLX Swift's
  // Memory.Snapshot.delta.
  Snapshot delta(const Snapshot& later) const;
};

Snapshot snapshot();

// Three lines, Peak, Active and Cache, each scaled (K, or M from 10 MiB up) and in bytes.
std::ostream& operator<<(std::ostream& os, const Snapshot& s);

}  // namespace memory

}  // namespace mlx::core
