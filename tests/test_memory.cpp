// Allocator and memory-figure tests. They use only the allocator APIs (no arrays) and measure
// everything relative to the active memory at the start of each test, since other tests share the
// process.
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "core/allocator_internal.h"
#include "mlx/allocator.h"
#include "mlx/backend/cpu/available.h"
#include "mlx/device.h"
#include "mlx/memory.h"
#include "mlx/ops.h"
#include "mlx/transforms.h"

namespace {

using namespace mlx::core;
namespace alloc = mlx::core::allocator;
namespace detail = mlx::core::allocator::detail;

size_t physical_memory() {
  return static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// The sanitizers' runtimes replace mlock() by a no-op that succeeds, so the system never refuses.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerMlock = true;
#else
constexpr bool kSanitizerMlock = false;
#endif

uintptr_t address(alloc::Buffer& b) { return reinterpret_cast<uintptr_t>(b.raw_ptr()); }

class MemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    detail::reset_limits();
    clear_cache();
    reset_peak_memory();
    base_ = get_active_memory();
  }
  void TearDown() override {
    detail::reset_limits();
    clear_cache();
  }
  size_t base_ = 0;
};

TEST_F(MemoryTest, RoundSize) {
  EXPECT_EQ(detail::round_size(0), 64u);
  EXPECT_EQ(detail::round_size(1), 64u);
  EXPECT_EQ(detail::round_size(64), 64u);
  EXPECT_EQ(detail::round_size(65), 128u);
  EXPECT_EQ(detail::round_size(100), 128u);
  EXPECT_EQ(detail::round_size(4096), 4096u);
  EXPECT_EQ(detail::round_size(8193), 16384u);
  EXPECT_EQ(detail::round_size(16383), 16384u);
  EXPECT_EQ(detail::round_size(16384), 16384u);
  EXPECT_EQ(detail::round_size(16385), 20480u);
  EXPECT_EQ(detail::round_size(20000), 20480u);
  EXPECT_EQ(detail::round_size(100000), 102400u);
  EXPECT_EQ(detail::round_size(1 << 20), size_t{1} << 20);
}

TEST_F(MemoryTest, NullBuffer) {
  alloc::Buffer b{nullptr};
  EXPECT_EQ(b.raw_ptr(), nullptr);
  EXPECT_EQ(alloc::allocator().size(b), 0u);
  alloc::free(b);
  alloc::release(b);
  EXPECT_EQ(get_active_memory(), base_);
}

TEST_F(MemoryTest, MallocZero) {
  alloc::Buffer b = alloc::malloc(0);
  EXPECT_NE(b.ptr(), nullptr);
  EXPECT_NE(b.raw_ptr(), nullptr);
  EXPECT_EQ(alloc::allocator().size(b), 0u);
  EXPECT_EQ(get_active_memory(), base_ + 64);
  alloc::free(b);
  EXPECT_EQ(get_active_memory(), base_);
  EXPECT_EQ(get_cache_memory(), 64u);
}

TEST_F(MemoryTest, ReuseFromCache) {
  alloc::Buffer a = alloc::malloc(100);
  ASSERT_NE(a.raw_ptr(), nullptr);
  EXPECT_EQ(alloc::allocator().size(a), 100u);
  void* record = a.ptr();
  void* data = a.raw_ptr();
  alloc::free(a);
  EXPECT_EQ(get_cache_memory(), 128u);

  alloc::Buffer b = alloc::malloc(100);
  EXPECT_EQ(b.ptr(), record);
  EXPECT_EQ(b.raw_ptr(), data);
  EXPECT_EQ(get_cache_memory(), 0u);
  alloc::free(b);

  // Same bucket, different request: the record comes back with the new size.
  alloc::Buffer c = alloc::malloc(120);
  EXPECT_EQ(c.ptr(), record);
  EXPECT_EQ(alloc::allocator().size(c), 120u);
  alloc::free(c);

  alloc::Buffer big = alloc::malloc(1 << 20);
  void* big_record = big.ptr();
  alloc::free(big);
  alloc::Buffer big2 = alloc::malloc((1 << 20) - 100);
  EXPECT_EQ(big2.ptr(), big_record);
  EXPECT_EQ(alloc::allocator().size(big2), (1u << 20) - 100);
  EXPECT_EQ(get_active_memory(), base_ + (1 << 20));
  alloc::free(big2);
}

TEST_F(MemoryTest, ReuseTakesSmallestFitWithinSlack) {
  alloc::Buffer b64k = alloc::malloc(65536);
  alloc::Buffer b128k = alloc::malloc(131072);
  void* r64k = b64k.ptr();
  alloc::free(b128k);
  alloc::free(b64k);
  EXPECT_EQ(get_cache_memory(), 65536u + 131072u);

  // 16 KiB may not take a 64 KiB buffer: 65536 > 16384 + 4096 + 4096.
  alloc::Buffer small = alloc::malloc(16384);
  EXPECT_NE(small.ptr(), r64k);
  EXPECT_EQ(get_cache_memory(), 65536u + 131072u);

  // 60000 rounds to 61440, and 65536 <= 61440 + 15360 + 4096: the smallest fit is taken.
  alloc::Buffer fit = alloc::malloc(60000);
  EXPECT_EQ(fit.ptr(), r64k);
  EXPECT_EQ(get_cache_memory(), 131072u);
  EXPECT_EQ(get_active_memory(), base_ + 16384 + 65536);

  // A small request may take a cached page (within the 4 KiB slack) but not more.
  alloc::Buffer page = alloc::malloc(4096);
  void* page_record = page.ptr();
  alloc::Buffer two_pages = alloc::malloc(8192);
  alloc::free(page);
  alloc::free(two_pages);
  alloc::Buffer tiny = alloc::malloc(64);
  EXPECT_EQ(tiny.ptr(), page_record);
  alloc::Buffer tiny2 = alloc::malloc(64);
  EXPECT_EQ(get_cache_memory(), 131072u + 8192u);

  for (auto* b : {&small, &fit, &tiny, &tiny2}) {
    alloc::free(*b);
  }
}

TEST_F(MemoryTest, Figures) {
  alloc::Buffer a = alloc::malloc(1000);
  alloc::Buffer b = alloc::malloc(20000);
  EXPECT_EQ(get_active_memory(), base_ + 1024 + 20480);
  EXPECT_EQ(get_peak_memory(), base_ + 1024 + 20480);
  EXPECT_EQ(get_cache_memory(), 0u);

  alloc::free(a);
  EXPECT_EQ(get_active_memory(), base_ + 20480);
  EXPECT_EQ(get_peak_memory(), base_ + 1024 + 20480);
  EXPECT_EQ(get_cache_memory(), 1024u);

  reset_peak_memory();
  EXPECT_EQ(get_peak_memory(), base_ + 20480);

  alloc::free(b);
  EXPECT_EQ(get_active_memory(), base_);
  EXPECT_EQ(get_peak_memory(), base_ + 20480);
  EXPECT_EQ(get_cache_memory(), 1024u + 20480u);

  // Reuse from the cache counts as active again.
  alloc::Buffer c = alloc::malloc(1000);
  EXPECT_EQ(get_active_memory(), base_ + 1024);
  EXPECT_EQ(get_cache_memory(), 20480u);
  alloc::free(c);

  clear_cache();
  EXPECT_EQ(get_cache_memory(), 0u);
  EXPECT_EQ(get_active_memory(), base_);
}

TEST_F(MemoryTest, Alignment) {
  for (size_t n : {size_t{1}, size_t{63}, size_t{100}, size_t{1000}, size_t{8000}, size_t{16383}}) {
    alloc::Buffer b = alloc::malloc(n);
    EXPECT_EQ(address(b) % 64, 0u) << n;
    std::memset(b.raw_ptr(), 0xab, n);
    alloc::free(b);
  }
  for (size_t n : {size_t{16384}, size_t{20000}, size_t{100000}, size_t{1} << 20}) {
    alloc::Buffer b = alloc::malloc(n);
    EXPECT_EQ(address(b) % 4096, 0u) << n;
    std::memset(b.raw_ptr(), 0xcd, n);
    alloc::free(b);
  }
}

TEST_F(MemoryTest, CacheLimitEvictsOldestFirst) {
  EXPECT_EQ(set_cache_limit(3 * 65536), get_memory_limit());
  EXPECT_EQ(detail::get_cache_limit(), 3u * 65536);

  std::vector<alloc::Buffer> bufs;
  for (int i = 0; i < 4; ++i) {
    bufs.push_back(alloc::malloc(65536));
  }
  std::vector<void*> records;
  for (auto& b : bufs) {
    records.push_back(b.ptr());
  }
  for (int i = 0; i < 3; ++i) {
    alloc::free(bufs[i]);
  }
  EXPECT_EQ(get_cache_memory(), 3u * 65536);
  alloc::free(bufs[3]);  // evicts bufs[0], the oldest
  EXPECT_EQ(get_cache_memory(), 3u * 65536);
  EXPECT_EQ(get_active_memory(), base_);

  // The survivors come back newest first; then the cache is empty.
  std::vector<alloc::Buffer> again;
  for (int i = 3; i >= 1; --i) {
    again.push_back(alloc::malloc(65536));
    EXPECT_EQ(again.back().ptr(), records[i]);
  }
  EXPECT_EQ(get_cache_memory(), 0u);
  for (auto& b : again) {
    alloc::free(b);
  }

  // A buffer larger than the whole cache goes straight back to the system.
  EXPECT_EQ(set_cache_limit(1024), 3u * 65536);
  EXPECT_EQ(get_cache_memory(), 0u);
  alloc::Buffer big = alloc::malloc(2048);
  alloc::free(big);
  EXPECT_EQ(get_cache_memory(), 0u);
  alloc::Buffer fits = alloc::malloc(1000);
  alloc::free(fits);
  EXPECT_EQ(get_cache_memory(), 1024u);
  EXPECT_EQ(get_active_memory(), base_);
}

TEST_F(MemoryTest, CacheLimitZeroDisablesCaching) {
  alloc::free(alloc::malloc(1000));
  alloc::free(alloc::malloc(100000));
  EXPECT_EQ(get_cache_memory(), 1024u + 102400u);
  set_cache_limit(0);
  EXPECT_EQ(get_cache_memory(), 0u);
  alloc::free(alloc::malloc(1000));
  alloc::free(alloc::malloc(100000));
  EXPECT_EQ(get_cache_memory(), 0u);
  EXPECT_EQ(get_active_memory(), base_);
}

TEST_F(MemoryTest, ClearCache) {
  std::vector<alloc::Buffer> bufs;
  for (size_t n : {size_t{10}, size_t{5000}, size_t{50000}, size_t{500000}}) {
    bufs.push_back(alloc::malloc(n));
  }
  for (auto& b : bufs) {
    alloc::free(b);
  }
  EXPECT_EQ(get_cache_memory(), 64u + 8192u + 53248u + 503808u);
  clear_cache();
  EXPECT_EQ(get_cache_memory(), 0u);
  EXPECT_EQ(get_active_memory(), base_);
}

TEST_F(MemoryTest, MemoryLimitGetSet) {
  EXPECT_EQ(get_memory_limit(), physical_memory());
  EXPECT_EQ(detail::get_cache_limit(), physical_memory());
  EXPECT_EQ(set_memory_limit(12345), physical_memory());
  EXPECT_EQ(get_memory_limit(), 12345u);
  EXPECT_EQ(set_memory_limit(size_t{1} << 30), 12345u);

  // The cache limit follows the memory limit until it is set explicitly.
  EXPECT_EQ(detail::get_cache_limit(), size_t{1} << 30);
  EXPECT_EQ(set_cache_limit(size_t{1} << 20), size_t{1} << 30);
  set_memory_limit(size_t{1} << 31);
  EXPECT_EQ(detail::get_cache_limit(), size_t{1} << 20);

  EXPECT_FALSE(set_memory_limit_strict(true));
  EXPECT_TRUE(set_memory_limit_strict(false));
}

TEST_F(MemoryTest, StrictLimitThrows) {
  alloc::free(alloc::malloc(4096));
  EXPECT_EQ(get_cache_memory(), 4096u);

  set_memory_limit(base_ + 4096);
  set_memory_limit_strict(true);
  try {
    alloc::malloc(1 << 20);
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    std::string expected = "[malloc] Allocating 1048576 bytes would exceed the memory limit of " +
                           std::to_string(base_ + 4096) + " bytes (active " +
                           std::to_string(base_) + " bytes).";
    EXPECT_EQ(e.what(), expected);
  }
  // The cache was given back before failing.
  EXPECT_EQ(get_cache_memory(), 0u);
  EXPECT_EQ(get_active_memory(), base_);
  EXPECT_EQ(get_peak_memory(), base_ + 4096);

  // Within the limit, strict mode allocates normally.
  alloc::Buffer ok = alloc::malloc(900);
  EXPECT_EQ(get_active_memory(), base_ + 1024);
  alloc::free(ok);
}

TEST_F(MemoryTest, StrictLimitCountsActiveMemory) {
  set_memory_limit(base_ + 3 * 65536);
  set_memory_limit_strict(true);
  alloc::Buffer a = alloc::malloc(65536);
  alloc::Buffer b = alloc::malloc(65536);
  alloc::Buffer c = alloc::malloc(65536);
  EXPECT_THROW(alloc::malloc(1), std::runtime_error);
  alloc::free(c);
  // Freed into the cache; reusing it keeps active memory within the limit.
  alloc::Buffer d = alloc::malloc(65536);
  alloc::free(a);
  alloc::free(b);
  alloc::free(d);
  EXPECT_EQ(get_active_memory(), base_);
}

TEST_F(MemoryTest, SoftLimitDoesNotThrow) {
  set_memory_limit(base_ + 1000);
  alloc::Buffer b = alloc::malloc(1 << 20);
  EXPECT_EQ(get_active_memory(), base_ + (1 << 20));
  EXPECT_TRUE(detail::over_memory_limit());
  alloc::free(b);
  EXPECT_FALSE(detail::over_memory_limit());
  // Freed above the (following) cache limit: not cached.
  EXPECT_EQ(get_cache_memory(), 0u);
}

TEST_F(MemoryTest, SoftLimitTrimsCache) {
  for (int i = 0; i < 4; ++i) {
    alloc::free(alloc::malloc(65536 * (i + 1)));
  }
  EXPECT_EQ(get_cache_memory(), 65536u * 10);
  set_cache_limit(size_t{1} << 30);
  set_memory_limit(base_ + 65536 * 5);
  // A fresh 2 MiB would push active + cache over the limit: the cache is trimmed (oldest first)
  // to make room, all of it here.
  alloc::Buffer b = alloc::malloc(2 << 20);
  EXPECT_EQ(get_cache_memory(), 0u);
  alloc::free(b);
}

TEST_F(MemoryTest, HugeAllocationThrows) {
  const size_t huge = size_t{1} << 60;
  try {
    alloc::malloc(huge);
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "[malloc] Unable to allocate " + std::to_string(huge) + " bytes.");
  }
  EXPECT_THROW(alloc::malloc(SIZE_MAX), std::runtime_error);
  EXPECT_THROW(alloc::malloc(SIZE_MAX - 100), std::runtime_error);
  EXPECT_EQ(get_active_memory(), base_);
  EXPECT_EQ(get_peak_memory(), base_);

  // The allocator still works afterwards.
  alloc::Buffer b = alloc::malloc(100);
  EXPECT_NE(b.raw_ptr(), nullptr);
  alloc::free(b);
}

TEST_F(MemoryTest, MakeBufferAndRelease) {
  std::vector<unsigned char> foreign(1000, 7);
  alloc::Buffer b = alloc::make_buffer(foreign.data(), foreign.size());
  ASSERT_NE(b.ptr(), nullptr);
  EXPECT_EQ(b.raw_ptr(), foreign.data());
  EXPECT_EQ(alloc::allocator().size(b), 1000u);
  EXPECT_EQ(get_active_memory(), base_ + 1000);
  EXPECT_EQ(get_peak_memory(), base_ + 1000);
  alloc::release(b);
  EXPECT_EQ(get_active_memory(), base_);
  EXPECT_EQ(get_cache_memory(), 0u);

  // free() of a wrapper behaves like release: nothing freed, nothing cached.
  alloc::Buffer c = alloc::make_buffer(foreign.data(), foreign.size());
  alloc::free(c);
  EXPECT_EQ(get_active_memory(), base_);
  EXPECT_EQ(get_cache_memory(), 0u);
  EXPECT_TRUE(std::all_of(foreign.begin(), foreign.end(), [](unsigned char v) { return v == 7; }));

  EXPECT_TRUE(alloc::can_reuse_alien_buffer());
}

// Raising the limit locks live and cached buffers at once (live first), lowering unlocks cached
// then live ones (oldest first), and fresh buffers are locked while they fit.
TEST_F(MemoryTest, WiredLimitLocksAndUnlocksExistingBuffers) {
  constexpr size_t k64 = 65536;
  rlimit rl{};
  ASSERT_EQ(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 10 * k64 && geteuid() != 0) {
    GTEST_SKIP() << "RLIMIT_MEMLOCK too small to lock the test buffers";
  }
  ASSERT_EQ(detail::get_wired_memory(), 0u);
  alloc::Buffer a = alloc::malloc(k64);
  alloc::Buffer b = alloc::malloc(k64);
  alloc::Buffer c = alloc::malloc(2 * k64);
  alloc::Buffer small = alloc::malloc(1000);
  alloc::free(c);
  EXPECT_EQ(detail::get_wired_memory(), 0u);

  EXPECT_EQ(set_wired_limit(4 * k64), 0u);
  EXPECT_EQ(detail::get_wired_limit(), 4 * k64);
  EXPECT_EQ(detail::get_wired_memory(), 4 * k64);  // a, b and the cached c; never small buffers

  // Down to 68 KiB: c (cached) goes first, then a (the oldest live buffer); b stays locked.
  EXPECT_EQ(set_wired_limit(k64 + 4096), 4 * k64);
  EXPECT_EQ(detail::get_wired_memory(), k64);
  // A fresh buffer that does not fit is not locked.
  alloc::Buffer d = alloc::malloc(k64);
  EXPECT_EQ(detail::get_wired_memory(), k64);

  EXPECT_EQ(set_wired_limit(10 * k64), k64 + 4096);
  EXPECT_EQ(detail::get_wired_memory(), 5 * k64);
  // One that fits is locked when it is mapped.
  alloc::Buffer e = alloc::malloc(k64);
  EXPECT_EQ(detail::get_wired_memory(), 6 * k64);

  // Cached buffers stay locked; they are unlocked when they go back to the system.
  for (auto* buf : {&a, &b, &d, &e, &small}) {
    alloc::free(*buf);
  }
  EXPECT_EQ(detail::get_wired_memory(), 6 * k64);
  clear_cache();
  EXPECT_EQ(detail::get_wired_memory(), 0u);
  EXPECT_EQ(set_wired_limit(0), 10 * k64);
  EXPECT_EQ(get_active_memory(), base_);
}

TEST_F(MemoryTest, WiredLimitResetUnlocks) {
  alloc::Buffer a = alloc::malloc(65536);
  set_wired_limit(65536);
  EXPECT_EQ(detail::get_wired_memory(), 65536u);
  detail::reset_limits();
  EXPECT_EQ(detail::get_wired_memory(), 0u);
  EXPECT_EQ(detail::get_wired_limit(), 0u);
  alloc::free(a);
}

// The system refuses for real in a child without CAP_IPC_LOCK and with a 64 KiB RLIMIT_MEMLOCK:
// above the rlimit before locking anything, and when mlock() fails midway (memory locked outside
// the allocator counts against the same rlimit). Either way nothing changes.
TEST_F(MemoryTest, WiredLimitRefusedBySystem) {
  auto result = testing_child::run_in_child([](std::string& report) {
    if (!testing_child::restrict_memlock(65536)) {
      report = "could not restrict RLIMIT_MEMLOCK and CAP_IPC_LOCK";
      return 2;
    }
    set_wired_limit(16384);
    alloc::Buffer a = alloc::malloc(16384);  // locked: it fits
    try {
      set_wired_limit(size_t{1} << 30);
      report += "no error above RLIMIT_MEMLOCK\n";
    } catch (const std::invalid_argument& e) {
      report += std::string(e.what()) + "\n";
    }
    report += "limit " + std::to_string(detail::get_wired_limit()) + " wired " +
              std::to_string(detail::get_wired_memory()) + "\n";

    if (kSanitizerMlock) {
      return 0;
    }
    alloc::Buffer c = alloc::malloc(32768);  // too big for the limit: unlocked
    alloc::Buffer b = alloc::malloc(16384);  // likewise
    void* outside =
        mmap(nullptr, 24576, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (outside == MAP_FAILED || mlock(outside, 24576) != 0) {
      report += "could not lock memory outside the allocator\n";
      return 3;
    }
    // b locks (56 KiB in all), then c would take the process to 88 KiB: b is unlocked again.
    try {
      set_wired_limit(65536);
      report += "no error from mlock\n";
    } catch (const std::runtime_error& e) {
      report += std::string(e.what()) + "\n";
    }
    report += "limit " + std::to_string(detail::get_wired_limit()) + " wired " +
              std::to_string(detail::get_wired_memory());
    for (auto* buf : {&a, &b, &c}) {
      alloc::free(*buf);
    }
    return 0;
  });
  EXPECT_EQ(result.exit_code, 0) << result.report;
  const std::string above =
      "[set_wired_limit] Setting a wired limit of 1073741824 bytes exceeds the system limit "
      "of 65536 bytes (RLIMIT_MEMLOCK).\n"
      "limit 16384 wired 16384\n";
  if (kSanitizerMlock) {
    EXPECT_EQ(result.report, above);
    return;
  }
  EXPECT_EQ(
      result.report,
      above +
          "[set_wired_limit] The system refused to lock memory for a wired limit of 65536 bytes "
          "(mlock of 32768 bytes with 16384 locked: Cannot allocate memory). The wired limit "
          "stays 16384 bytes.\n"
          "limit 16384 wired 16384");
}

TEST_F(MemoryTest, Snapshot) {
  memory::Snapshot s0 = memory::snapshot();
  EXPECT_EQ(s0.active, static_cast<std::int64_t>(base_));
  EXPECT_EQ(s0.cache, 0);
  EXPECT_EQ(s0.peak, static_cast<std::int64_t>(base_));
  alloc::Buffer a = alloc::malloc(20000);
  memory::Snapshot s1 = memory::snapshot();
  alloc::free(a);
  memory::Snapshot s2 = memory::snapshot();

  memory::Snapshot grow = s0.delta(s1);
  EXPECT_EQ(grow.active, 20480);
  EXPECT_EQ(grow.cache, 0);
  EXPECT_EQ(grow.peak, 20480);
  memory::Snapshot shrink = s1.delta(s2);
  EXPECT_EQ(shrink.active, -20480);
  EXPECT_EQ(shrink.cache, 20480);
  EXPECT_EQ(shrink.peak, 0);

  std::ostringstream os;
  os << memory::Snapshot{20480, -4096, 11534336};
  EXPECT_EQ(os.str(),
            "Peak:   11M          (11534336)\n"
            "Active: 20K          (20480)\n"
            "Cache:  -4K          (-4096)");
}

TEST(MemoryDeviceInfo, Cpu) {
  const DeviceInfo& info = cpu::device_info();
  EXPECT_TRUE(cpu::is_available());
  EXPECT_FALSE(std::get<std::string>(info.at("device_name")).empty());
#if defined(__x86_64__)
  EXPECT_EQ(std::get<std::string>(info.at("architecture")), "x86_64");
#endif
  EXPECT_EQ(std::get<size_t>(info.at("memory_size")), physical_memory());
  EXPECT_EQ(std::get<size_t>(info.at("num_cores")),
            static_cast<size_t>(std::max(1u, std::thread::hardware_concurrency())));
  EXPECT_EQ(std::get<std::string>(device_info(Device::cpu).at("device_name")),
            std::get<std::string>(info.at("device_name")));
}

TEST_F(MemoryTest, ConcurrentMallocFree) {
  constexpr int kThreads = 4;
  constexpr int kIters = 3000;
  auto work = [](unsigned seed) {
    std::mt19937 rng(seed);
    const size_t sizes[] = {0, 1, 100, 4000, 9000, 16384, 20000, 70000, 300000};
    std::vector<alloc::Buffer> held;
    for (int i = 0; i < kIters; ++i) {
      size_t n = sizes[rng() % std::size(sizes)];
      alloc::Buffer b = alloc::malloc(n);
      auto* p = static_cast<unsigned char*>(b.raw_ptr());
      if (n > 0) {
        p[0] = 1;
        p[n - 1] = 2;
      }
      held.push_back(b);
      if (held.size() > 8 || rng() % 2) {
        size_t k = rng() % held.size();
        alloc::free(held[k]);
        held.erase(held.begin() + static_cast<long>(k));
      }
    }
    for (auto& b : held) {
      alloc::free(b);
    }
  };

  for (size_t cache_limit : {size_t{1} << 30, size_t{200000}}) {
    set_cache_limit(cache_limit);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back(work, 1234u + static_cast<unsigned>(t));
    }
    for (auto& t : threads) {
      t.join();
    }
    EXPECT_EQ(get_active_memory(), base_);
    EXPECT_LE(get_cache_memory(), cache_limit);
    EXPECT_GE(get_peak_memory(), base_);
  }
  clear_cache();
  EXPECT_EQ(get_cache_memory(), 0u);
}

}  // namespace

// An unevaluated multi-output node is freed when assignments, not destructors, drop the last
// handles to its outputs (a module's update does this): its outputs hold each other as siblings,
// and the cycle must still be broken, releasing the input they keep alive.
TEST_F(MemoryTest, AssignedAwayUnevaluatedSiblingsAreFreed) {
  for (bool move : {false, true}) {
    std::optional<array> a, b;
    {
      auto x = arange(0.0f, float(1 << 18), 1.0f);
      eval(x);
      EXPECT_EQ(get_active_memory(), base_ + (size_t(1) << 20));
      auto parts = split(x, 2);
      a = parts[0];
      b = parts[1];
    }
    // Only the unevaluated split holds x's megabyte now.
    EXPECT_EQ(get_active_memory(), base_ + (size_t(1) << 20));
    array one = array(1.0f), two = array(2.0f);
    if (move) {
      *a = std::move(one);
      *b = std::move(two);
    } else {
      *a = one;
      *b = two;
    }
    EXPECT_EQ(get_active_memory(), base_ + 2 * 64) << "move " << move;
  }
}
