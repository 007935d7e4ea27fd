// The CPU allocator: a size-bucketed buffer cache in front of the C heap (small buffers) and
// anonymous mappings (page-aligned buffers from 16 KiB up).
//
// Limits, in brief:
// - Memory limit (default: physical RAM). Soft by default: the allocator only trims its cache to
//   stay under it, and the scheduler polls detail::over_memory_limit() to throttle. In strict
//   mode an allocation that would take active memory past it throws.
// - Cache limit (default: the memory limit). Until set_cache_limit is first called it follows
//   the memory limit; after that it stays at the value last set, whatever the memory limit does.
// - Wired limit (default 0 = off). Up to that many bytes of the mapped buffers, live or cached, are
//   kept mlock()ed: setting the limit locks or unlocks existing buffers at once, and fresh mappings
//   are locked while they fit.
#include "mlx/allocator.h"

#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/allocator_internal.h"
#include "mlx/memory.h"

namespace mlx::core::allocator {

namespace {

using detail::kMinCapacity;
using detail::kPageSize;
using detail::kPageThreshold;
using detail::kSmallAlignment;

// Requests above this cannot be rounded or summed without overflow, and no machine could serve
// them anyway.
constexpr size_t kMaxRequest = size_t{1} << 62;

// What a Buffer points at. Records are never deleted, only recycled, so a stale Buffer handle
// never points into freed memory.
struct Record {
  void* data = nullptr;
  size_t size = 0;      // requested bytes
  size_t capacity = 0;  // bytes actually reserved (the rounded size); for aliens, their size
  bool alien = false;   // wraps memory we do not own: never freed, never cached
  bool locked = false;  // mlock()ed; counted in the wired bytes until it goes back to the system

  // Links while the record sits in the cache: the global age list (eviction order) and the list
  // of its capacity bucket (reuse order).
  Record* older = nullptr;
  Record* newer = nullptr;
  Record* bucket_prev = nullptr;
  Record* bucket_next = nullptr;
  // Links while a mapped (lockable) buffer is live, so that set_wired_limit can reach it.
  Record* live_prev = nullptr;
  Record* live_next = nullptr;
};

// Memory detached from its record under the lock, to be returned to the system after unlocking.
struct Block {
  void* data;
  size_t capacity;
  bool locked;
};

size_t physical_memory() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) {
    return SIZE_MAX;
  }
  return static_cast<size_t>(pages) * static_cast<size_t>(page);
}

void* system_alloc(size_t capacity) {
  if (capacity >= kPageThreshold) {
    void* p = mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      return nullptr;
    }
    // Large buffers are streamed through: 2 MiB pages spare a TLB miss every 4 KiB (a hint; where
    // transparent huge pages are off it does nothing).
    if (capacity >= detail::kHugePageSize) {
      madvise(p, capacity, MADV_HUGEPAGE);
    }
    return p;
  }
  return std::aligned_alloc(kSmallAlignment, capacity);
}

void release_blocks(const std::vector<Block>& blocks) {
  for (const Block& b : blocks) {
    if (b.capacity >= kPageThreshold) {
      // munmap drops the lock too; the explicit munlock keeps the two paths symmetric and
      // harmless if the mapping is ever split.
      if (b.locked) {
        munlock(b.data, b.capacity);
      }
      munmap(b.data, b.capacity);
    } else {
      std::free(b.data);
    }
  }
}

bool lockable(const Record* r) { return !r->alien && r->capacity >= kPageThreshold; }

// RLIMIT_MEMLOCK binds only processes without CAP_IPC_LOCK (root usually has it).
bool can_lock_unlimited() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) {
    return false;
  }
  return (data[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32))) != 0;
}

class CpuAllocator final : public Allocator {
 public:
  CpuAllocator() : memory_limit_(physical_memory()) {}

  Buffer malloc(size_t size) override;
  void free(Buffer buffer) override;
  size_t size(Buffer buffer) const override;
  Buffer make_buffer(void* ptr, size_t size) override;
  void release(Buffer buffer) override;

  size_t active() { return active_.load(std::memory_order_relaxed); }
  size_t peak() {
    std::lock_guard lk(mu_);
    return peak_;
  }
  void reset_peak() {
    std::lock_guard lk(mu_);
    peak_ = active_.load();
  }
  size_t cached() {
    std::lock_guard lk(mu_);
    return cache_bytes_;
  }
  size_t wired() {
    std::lock_guard lk(mu_);
    return locked_bytes_;
  }
  size_t wired_limit() {
    std::lock_guard lk(mu_);
    return wired_limit_;
  }
  // Polled before every node runs, so it takes no lock.
  bool over_limit() {
    return active_.load(std::memory_order_relaxed) > memory_limit_.load(std::memory_order_relaxed);
  }
  size_t memory_limit() { return memory_limit_.load(std::memory_order_relaxed); }
  size_t cache_limit() {
    std::lock_guard lk(mu_);
    return cache_limit_locked();
  }

  size_t set_memory_limit(size_t limit);
  bool set_strict(bool strict);
  size_t set_cache_limit(size_t limit);
  size_t set_wired_limit(size_t limit);
  void clear_cache();
  void reset_limits();

 private:
  size_t cache_limit_locked() const {
    return cache_limit_set_ ? cache_limit_ : memory_limit_.load();
  }
  void add_active(size_t n) {
    active_ += n;
    peak_ = std::max(peak_, active_.load());
  }

  Record* new_record();
  void recycle(Record* r);
  void cache_insert(Record* r);
  void cache_remove(Record* r);
  Record* cache_take(size_t capacity);
  void live_insert(Record* r);
  void live_remove(Record* r);
  void lock_up_to(size_t limit, size_t previous);
  void unlock_down_to(size_t limit);
  void detach(Record* r, std::vector<Block>& out);
  void evict_to(size_t target, std::vector<Block>& out);
  [[noreturn]] void throw_over_limit(size_t size);

  std::mutex mu_;
  // Changed under mu_ only; atomic so that the figures can be read without it.
  std::atomic<size_t> active_{0};
  size_t peak_ = 0;
  size_t cache_bytes_ = 0;
  size_t locked_bytes_ = 0;
  std::atomic<size_t> memory_limit_;
  size_t cache_limit_ = 0;
  bool cache_limit_set_ = false;
  bool strict_ = false;
  size_t wired_limit_ = 0;

  struct Bucket {
    Record* head = nullptr;  // most recently cached
  };
  std::map<size_t, Bucket> buckets_;
  Record* oldest_ = nullptr;
  Record* newest_ = nullptr;
  Record* live_ = nullptr;  // the most recently allocated live mapped buffer
  std::vector<Record*> spare_records_;
};

Record* CpuAllocator::new_record() {
  if (spare_records_.empty()) {
    return new Record();
  }
  Record* r = spare_records_.back();
  spare_records_.pop_back();
  *r = Record{};
  return r;
}

void CpuAllocator::recycle(Record* r) {
  r->data = nullptr;
  spare_records_.push_back(r);
}

void CpuAllocator::cache_insert(Record* r) {
  r->older = newest_;
  r->newer = nullptr;
  (newest_ ? newest_->newer : oldest_) = r;
  newest_ = r;

  Bucket& b = buckets_[r->capacity];
  r->bucket_prev = nullptr;
  r->bucket_next = b.head;
  if (b.head) {
    b.head->bucket_prev = r;
  }
  b.head = r;
  cache_bytes_ += r->capacity;
}

void CpuAllocator::cache_remove(Record* r) {
  (r->older ? r->older->newer : oldest_) = r->newer;
  (r->newer ? r->newer->older : newest_) = r->older;
  r->older = r->newer = nullptr;

  if (r->bucket_next) {
    r->bucket_next->bucket_prev = r->bucket_prev;
  }
  if (r->bucket_prev) {
    r->bucket_prev->bucket_next = r->bucket_next;
  } else {
    auto it = buckets_.find(r->capacity);
    if (r->bucket_next) {
      it->second.head = r->bucket_next;
    } else {
      buckets_.erase(it);
    }
  }
  r->bucket_prev = r->bucket_next = nullptr;
  cache_bytes_ -= r->capacity;
}

// The smallest cached capacity that fits, unless it wastes more than a quarter of the request
// plus a page (bounded waste keeps large reuse useful without pinning huge buffers to tiny
// requests). Within a bucket the most recently cached buffer is the one most likely still warm.
Record* CpuAllocator::cache_take(size_t capacity) {
  auto it = buckets_.lower_bound(capacity);
  if (it == buckets_.end() || it->first > capacity + capacity / 4 + kPageSize) {
    return nullptr;
  }
  Record* r = it->second.head;
  cache_remove(r);
  return r;
}

void CpuAllocator::live_insert(Record* r) {
  if (!lockable(r)) {
    return;
  }
  r->live_prev = nullptr;
  r->live_next = live_;
  if (live_) {
    live_->live_prev = r;
  }
  live_ = r;
}

void CpuAllocator::live_remove(Record* r) {
  if (!lockable(r)) {
    return;
  }
  (r->live_prev ? r->live_prev->live_next : live_) = r->live_next;
  if (r->live_next) {
    r->live_next->live_prev = r->live_prev;
  }
  r->live_prev = r->live_next = nullptr;
}

// Locks unlocked buffers while they fit under `limit`: live ones first (newest first: they are the
// ones in use), then cached ones (newest first: the likeliest to be reused). Runs under mu_, so no
// buffer can be unmapped meanwhile. If mlock fails, what this call locked is unlocked again and the
// error names the limit.
void CpuAllocator::lock_up_to(size_t limit, size_t previous) {
  std::vector<Record*> locked_now;
  auto try_lock = [&](Record* r) {
    if (r->locked || locked_bytes_ + r->capacity > limit) {
      return;
    }
    if (mlock(r->data, r->capacity) != 0) {
      int err = errno;
      for (Record* l : locked_now) {
        munlock(l->data, l->capacity);
        l->locked = false;
        locked_bytes_ -= l->capacity;
      }
      throw std::runtime_error(
          "[set_wired_limit] The system refused to lock memory for a wired limit of " +
          std::to_string(limit) + " bytes (mlock of " + std::to_string(r->capacity) +
          " bytes with " + std::to_string(locked_bytes_) + " locked: " + std::strerror(err) +
          "). The wired limit stays " + std::to_string(previous) + " bytes.");
    }
    r->locked = true;
    locked_bytes_ += r->capacity;
    locked_now.push_back(r);
  };
  for (Record* r = live_; r && locked_bytes_ < limit; r = r->live_next) {
    try_lock(r);
  }
  for (Record* r = newest_; r && locked_bytes_ < limit; r = r->older) {
    if (lockable(r)) {
      try_lock(r);
    }
  }
}

// Unlocks cached buffers (oldest first), then live ones (oldest first), until the locked bytes
// fit. Bytes reserved by a malloc that is mlock()ing outside the lock are not reachable here;
// that malloc drops its lock itself if it no longer fits.
void CpuAllocator::unlock_down_to(size_t limit) {
  auto unlock = [&](Record* r) {
    if (r->locked) {
      munlock(r->data, r->capacity);
      r->locked = false;
      locked_bytes_ -= r->capacity;
    }
  };
  for (Record* r = oldest_; r && locked_bytes_ > limit; r = r->newer) {
    unlock(r);
  }
  Record* oldest_live = live_;
  while (oldest_live && oldest_live->live_next) {
    oldest_live = oldest_live->live_next;
  }
  for (Record* r = oldest_live; r && locked_bytes_ > limit; r = r->live_prev) {
    unlock(r);
  }
}

void CpuAllocator::detach(Record* r, std::vector<Block>& out) {
  out.push_back({r->data, r->capacity, r->locked});
  if (r->locked) {
    locked_bytes_ -= r->capacity;
  }
  recycle(r);
}

void CpuAllocator::evict_to(size_t target, std::vector<Block>& out) {
  while (cache_bytes_ > target && oldest_) {
    Record* r = oldest_;
    cache_remove(r);
    detach(r, out);
  }
}

void CpuAllocator::throw_over_limit(size_t size) {
  std::string msg = "[malloc] Allocating " + std::to_string(size) +
                    " bytes would exceed the memory limit of " +
                    std::to_string(memory_limit_.load()) + " bytes (active " +
                    std::to_string(active_.load()) + " bytes).";
  throw detail::MemoryLimitError(msg);
}

Buffer CpuAllocator::malloc(size_t size) {
  if (size > kMaxRequest) {
    throw std::runtime_error("[malloc] Unable to allocate " + std::to_string(size) + " bytes.");
  }
  const size_t capacity = detail::round_size(size);

  std::vector<Block> evicted;
  Record* r = nullptr;
  bool want_lock = false;
  {
    std::unique_lock lk(mu_);
    if (strict_ && active_ + capacity > memory_limit_) {
      // Cached memory is the one thing we can give back; other threads may also free in the
      // meantime, so look again before failing.
      evict_to(0, evicted);
      lk.unlock();
      release_blocks(evicted);
      evicted.clear();
      lk.lock();
      if (active_ + capacity > memory_limit_) {
        throw_over_limit(size);
      }
    }
    if (Record* hit = cache_take(capacity)) {
      hit->size = size;
      add_active(hit->capacity);
      live_insert(hit);
      return Buffer{hit};
    }
    // Keep what we hold from the system (active + cache) under the memory limit by trimming the
    // cache before mapping more.
    if (active_ + cache_bytes_ + capacity > memory_limit_) {
      size_t room = memory_limit_ > active_ + capacity ? memory_limit_ - active_ - capacity : 0;
      evict_to(room, evicted);
    }
    want_lock =
        wired_limit_ > 0 && capacity >= kPageThreshold && locked_bytes_ + capacity <= wired_limit_;
    if (want_lock) {
      locked_bytes_ += capacity;
    }
    r = new_record();
    // Reserve now so concurrent strict-mode checks see this allocation; the peak is only
    // updated once the memory is really there.
    active_ += capacity;
  }
  release_blocks(evicted);

  void* data = system_alloc(capacity);
  if (!data) {
    clear_cache();
    data = system_alloc(capacity);
  }
  if (!data) {
    std::lock_guard lk(mu_);
    active_ -= capacity;
    if (want_lock) {
      locked_bytes_ -= capacity;
    }
    recycle(r);
    throw std::runtime_error("[malloc] Unable to allocate " + std::to_string(size) + " bytes.");
  }
  // Locking is best effort: mlock can fail (RLIMIT_MEMLOCK, no RAM) and the buffer is just as
  // usable unlocked.
  bool locked = want_lock && mlock(data, capacity) == 0;

  std::lock_guard lk(mu_);
  // The limit may have been lowered while we were locking.
  if (locked && locked_bytes_ > wired_limit_) {
    munlock(data, capacity);
    locked = false;
  }
  if (want_lock && !locked) {
    locked_bytes_ -= capacity;
  }
  r->data = data;
  r->size = size;
  r->capacity = capacity;
  r->locked = locked;
  live_insert(r);
  peak_ = std::max(peak_, active_.load());
  return Buffer{r};
}

void CpuAllocator::free(Buffer buffer) {
  auto* r = static_cast<Record*>(buffer.ptr());
  if (!r) {
    return;
  }
  if (r->alien) {
    release(buffer);
    return;
  }
  std::vector<Block> evicted;
  {
    std::lock_guard lk(mu_);
    active_ -= r->capacity;
    live_remove(r);
    size_t limit = cache_limit_locked();
    if (r->capacity > limit) {
      detach(r, evicted);
    } else {
      evict_to(limit - r->capacity, evicted);
      cache_insert(r);
    }
  }
  release_blocks(evicted);
}

size_t CpuAllocator::size(Buffer buffer) const {
  auto* r = static_cast<const Record*>(buffer.ptr());
  return r ? r->size : 0;
}

Buffer CpuAllocator::make_buffer(void* ptr, size_t size) {
  std::lock_guard lk(mu_);
  Record* r = new_record();
  r->data = ptr;
  r->size = size;
  r->capacity = size;
  r->alien = true;
  add_active(size);
  return Buffer{r};
}

// For a buffer we own there is no wrapper to drop without leaking, so release gives it back as
// free() would.
void CpuAllocator::release(Buffer buffer) {
  auto* r = static_cast<Record*>(buffer.ptr());
  if (!r) {
    return;
  }
  if (!r->alien) {
    free(buffer);
    return;
  }
  std::lock_guard lk(mu_);
  active_ -= r->capacity;
  recycle(r);
}

size_t CpuAllocator::set_memory_limit(size_t limit) {
  std::vector<Block> evicted;
  size_t previous;
  {
    std::lock_guard lk(mu_);
    previous = memory_limit_.exchange(limit);
    evict_to(cache_limit_locked(), evicted);
  }
  release_blocks(evicted);
  return previous;
}

bool CpuAllocator::set_strict(bool strict) {
  std::lock_guard lk(mu_);
  return std::exchange(strict_, strict);
}

size_t CpuAllocator::set_cache_limit(size_t limit) {
  std::vector<Block> evicted;
  size_t previous;
  {
    std::lock_guard lk(mu_);
    previous = cache_limit_locked();
    cache_limit_ = limit;
    cache_limit_set_ = true;
    evict_to(limit, evicted);
  }
  release_blocks(evicted);
  return previous;
}

size_t CpuAllocator::set_wired_limit(size_t limit) {
  rlimit rl{};
  if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      limit > static_cast<size_t>(rl.rlim_cur) && !can_lock_unlimited()) {
    throw std::invalid_argument("[set_wired_limit] Setting a wired limit of " +
                                std::to_string(limit) + " bytes exceeds the system limit of " +
                                std::to_string(rl.rlim_cur) + " bytes (RLIMIT_MEMLOCK).");
  }
  std::lock_guard lk(mu_);
  if (locked_bytes_ > limit) {
    unlock_down_to(limit);
  } else {
    lock_up_to(limit, wired_limit_);
  }
  return std::exchange(wired_limit_, limit);
}

void CpuAllocator::clear_cache() {
  std::vector<Block> evicted;
  {
    std::lock_guard lk(mu_);
    evict_to(0, evicted);
  }
  release_blocks(evicted);
}

void CpuAllocator::reset_limits() {
  std::vector<Block> evicted;
  {
    std::lock_guard lk(mu_);
    memory_limit_ = physical_memory();
    cache_limit_ = 0;
    cache_limit_set_ = false;
    strict_ = false;
    wired_limit_ = 0;
    unlock_down_to(0);
    evict_to(cache_limit_locked(), evicted);
  }
  release_blocks(evicted);
}

// Never destroyed: buffers held by static objects may be freed after main returns, and the
// records and cached memory stay reachable from here, so leak checkers do not flag them.
CpuAllocator& cpu_allocator() {
  static CpuAllocator* instance = new CpuAllocator();
  return *instance;
}

}  // namespace

void* Buffer::raw_ptr() { return ptr_ ? static_cast<Record*>(ptr_)->data : nullptr; }

Allocator& allocator() { return cpu_allocator(); }

Buffer malloc(size_t size) { return cpu_allocator().malloc(size); }

void free(Buffer buffer) { cpu_allocator().free(buffer); }

namespace detail {

size_t round_size(size_t size) {
  if (size >= kPageThreshold) {
    return (size + kPageSize - 1) & ~(kPageSize - 1);
  }
  return size <= kMinCapacity ? kMinCapacity : std::bit_ceil(size);
}

bool over_memory_limit() { return cpu_allocator().over_limit(); }

bool is_wrapped(const Buffer& buffer) {
  auto* r = static_cast<const Record*>(buffer.ptr());
  return r != nullptr && r->alien;
}

size_t get_cache_limit() { return cpu_allocator().cache_limit(); }

size_t get_wired_memory() { return cpu_allocator().wired(); }

size_t get_wired_limit() { return cpu_allocator().wired_limit(); }

void reset_limits() { cpu_allocator().reset_limits(); }

}  // namespace detail

}  // namespace mlx::core::allocator

namespace mlx::core {

size_t get_active_memory() { return allocator::cpu_allocator().active(); }

size_t get_peak_memory() { return allocator::cpu_allocator().peak(); }

void reset_peak_memory() { allocator::cpu_allocator().reset_peak(); }

size_t get_cache_memory() { return allocator::cpu_allocator().cached(); }

size_t set_memory_limit(size_t limit) { return allocator::cpu_allocator().set_memory_limit(limit); }

size_t get_memory_limit() { return allocator::cpu_allocator().memory_limit(); }

bool set_memory_limit_strict(bool strict) { return allocator::cpu_allocator().set_strict(strict); }

size_t set_cache_limit(size_t limit) { return allocator::cpu_allocator().set_cache_limit(limit); }

void clear_cache() { allocator::cpu_allocator().clear_cache(); }

size_t set_wired_limit(size_t limit) { return allocator::cpu_allocator().set_wired_limit(limit); }

namespace memory {

Snapshot Snapshot::delta(const Snapshot& later) const {
  return {later.active - active, later.cache - cache, later.peak - peak};
}

Snapshot snapshot() {
  return {static_cast<std::int64_t>(get_active_memory()),
          static_cast<std::int64_t>(get_cache_memory()),
          static_cast<std::int64_t>(get_peak_memory())};
}

std::ostream& operator<<(std::ostream& os, const Snapshot& s) {
  auto line = [&os](const char* label, std::int64_t v) {
    constexpr std::int64_t kMiB = 1 << 20;
    std::string scaled = (v > 10 * kMiB || v < -10 * kMiB) ? std::to_string(v / kMiB) + "M"
                                                           : std::to_string(v / 1024) + "K";
    os << label << scaled << std::string(scaled.size() < 12 ? 12 - scaled.size() : 0, ' ') << " ("
       << v << ")";
  };
  line("Peak:   ", s.peak);
  os << '\n';
  line("Active: ", s.active);
  os << '\n';
  line("Cache:  ", s.cache);
  return os;
}

}  // namespace memory

}  // namespace mlx::core
