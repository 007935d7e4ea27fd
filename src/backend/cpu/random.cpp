// RandomBits on the CPU: Threefry-2x32 over counter pairs, vectorised across counters with
// Highway (compiled once per target, chosen at run time) and spread over the thread pool. The
// hash is the whole cost (20 dependent rounds per pair), so each step works on two vectors to
// keep the ALUs busy.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/random.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#ifndef MLX_BACKEND_CPU_RANDOM_SCALAR_
#define MLX_BACKEND_CPU_RANDOM_SCALAR_
namespace mlx::core::cpu {

inline constexpr uint32_t kThreefryParity = 0x1BD11BDA;

inline void threefry_round(uint32_t& x0, uint32_t& x1, int r) {
  x0 += x1;
  x1 = (x1 << r) | (x1 >> (32 - r));
  x1 ^= x0;
}

// Threefry-2x32 with 20 rounds (Random123's parameters), for single pairs and vector tails.
inline std::pair<uint32_t, uint32_t> threefry2x32(uint32_t k0, uint32_t k1, uint32_t c0,
                                                  uint32_t c1) {
  static constexpr int kRot[2][4] = {{13, 15, 26, 6}, {17, 29, 16, 24}};
  const uint32_t ks[3] = {k0, k1, k0 ^ k1 ^ kThreefryParity};
  uint32_t x0 = c0 + ks[0], x1 = c1 + ks[1];
  for (uint32_t g = 0; g < 5; ++g) {
    for (int r : kRot[g % 2]) {
      threefry_round(x0, x1, r);
    }
    x0 += ks[(g + 1) % 3];
    x1 += ks[(g + 2) % 3] + g + 1;
  }
  return {x0, x1};
}

}  // namespace mlx::core::cpu
#endif

HWY_BEFORE_NAMESPACE();
namespace mlx::core::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <int R, class V>
HWY_INLINE void Round2(V& a0, V& a1, V& b0, V& b1) {
  a0 = hn::Add(a0, a1);
  b0 = hn::Add(b0, b1);
  a1 = hn::Xor(hn::RotateRight<32 - R>(a1), a0);
  b1 = hn::Xor(hn::RotateRight<32 - R>(b1), b0);
}

template <int R0, int R1, int R2, int R3, class V>
HWY_INLINE void Group(V& a0, V& a1, V& b0, V& b1, V inject0, V inject1) {
  Round2<R0>(a0, a1, b0, b1);
  Round2<R1>(a0, a1, b0, b1);
  Round2<R2>(a0, a1, b0, b1);
  Round2<R3>(a0, a1, b0, b1);
  a0 = hn::Add(a0, inject0);
  b0 = hn::Add(b0, inject0);
  a1 = hn::Add(a1, inject1);
  b1 = hn::Add(b1, inject1);
}

// (o0[i], o1[i]) = hash(key, (c0 + i, c1 + i)) for i in [0, n).
void ThreefryBlock(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, size_t n, uint32_t* o0,
                   uint32_t* o1) {
  const hn::ScalableTag<uint32_t> d;
  const size_t lanes = hn::Lanes(d);
  const uint32_t k2 = k0 ^ k1 ^ kThreefryParity;
  const auto ks0 = hn::Set(d, k0), ks1 = hn::Set(d, k1), ks2 = hn::Set(d, k2);
  // The key schedule injected after each group: (ks[(g+1)%3], ks[(g+2)%3] + g + 1).
  const auto t0 = hn::Set(d, k2 + 1), t1 = hn::Set(d, k0 + 2), t2 = hn::Set(d, k1 + 3),
             t3 = hn::Set(d, k2 + 4), t4 = hn::Set(d, k0 + 5);
  const auto iota = hn::Iota(d, 0);
  const auto step = hn::Set(d, static_cast<uint32_t>(lanes));
  size_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    auto a0 = hn::Add(hn::Add(hn::Set(d, c0 + static_cast<uint32_t>(i)), iota), ks0);
    auto a1 = hn::Add(hn::Add(hn::Set(d, c1 + static_cast<uint32_t>(i)), iota), ks1);
    auto b0 = hn::Add(a0, step);
    auto b1 = hn::Add(a1, step);
    Group<13, 15, 26, 6>(a0, a1, b0, b1, ks1, t0);
    Group<17, 29, 16, 24>(a0, a1, b0, b1, ks2, t1);
    Group<13, 15, 26, 6>(a0, a1, b0, b1, ks0, t2);
    Group<17, 29, 16, 24>(a0, a1, b0, b1, ks1, t3);
    Group<13, 15, 26, 6>(a0, a1, b0, b1, ks2, t4);
    hn::StoreU(a0, d, o0 + i);
    hn::StoreU(b0, d, o0 + i + lanes);
    hn::StoreU(a1, d, o1 + i);
    hn::StoreU(b1, d, o1 + i + lanes);
  }
  for (; i < n; ++i) {
    auto h = threefry2x32(k0, k1, c0 + static_cast<uint32_t>(i), c1 + static_cast<uint32_t>(i));
    o0[i] = h.first;
    o1[i] = h.second;
  }
}

}  // namespace mlx::core::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "backend/cpu/thread_pool.h"
#include "ops/ops.h"

namespace mlx::core {

namespace cpu {
HWY_EXPORT(ThreefryBlock);
}  // namespace cpu

namespace {

// Counter pairs per parallel chunk: each pair costs about as much as a few dozen simple
// elementwise operations.
constexpr size_t kPairGrain = 1 << 12;

// Key pairs in row-major order, read through the keys' strides.
std::vector<uint32_t> read_keys(const array& keys) {
  std::vector<uint32_t> out(keys.size());
  const uint32_t* p = keys.data<uint32_t>();
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t off = 0;
    size_t rest = i;
    for (int d = static_cast<int>(keys.ndim()) - 1; d >= 0; --d) {
      off += static_cast<int64_t>(rest % keys.shape(d)) * keys.strides()[d];
      rest /= keys.shape(d);
    }
    out[i] = p[off];
  }
  return out;
}

void store_bytes(char* dst, uint32_t word, size_t n) { std::memcpy(dst, &word, n); }

// Words [j0, j1) of the first half and their partners j + offset of one key's output, which
// starts at `p` (only byte-aligned when keys' blocks are not whole words).
void hash_pairs(uint32_t k0, uint32_t k1, size_t j0, size_t j1, size_t offset, char* p) {
  auto block = HWY_DYNAMIC_DISPATCH(cpu::ThreefryBlock);
  if (reinterpret_cast<uintptr_t>(p) % alignof(uint32_t) == 0) {
    auto* w = reinterpret_cast<uint32_t*>(p);
    block(k0, k1, j0, j0 + offset, j1 - j0, w + j0, w + j0 + offset);
    return;
  }
  constexpr size_t kChunk = 256;
  uint32_t first[kChunk], second[kChunk];
  for (size_t j = j0; j < j1; j += kChunk) {
    size_t n = std::min(kChunk, j1 - j);
    block(k0, k1, j, j + offset, n, first, second);
    std::memcpy(p + 4 * j, first, 4 * n);
    std::memcpy(p + 4 * (j + offset), second, 4 * n);
  }
}

}  // namespace

// Each key's output is `bytes` bytes seen as W little-endian words w: with half = W / 2 and
// odd = W % 2, (w[j], w[j + half + odd]) = hash(key, (j, j + half + odd)) for j < half, and
// w[half] = hash(key, (half, 0)).first when W is odd; the last word is cut to the bytes left.
void RandomBits::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  auto keys = read_keys(inputs[0]);
  size_t num_keys = keys.size() / 2;
  if (out.size() == 0 || num_keys == 0) {
    return;
  }
  size_t bytes = out.nbytes() / num_keys;
  size_t words = (bytes + 3) / 4;
  size_t half = words / 2, odd = words % 2;
  size_t tail = bytes % 4;
  // Work is counted in pairs; a one-word key still needs one unit.
  size_t units = std::max<size_t>(half, 1);
  char* base = out.data<char>();
  auto run = [&](size_t k, size_t j0, size_t j1) {
    uint32_t k0 = keys[2 * k], k1 = keys[2 * k + 1];
    char* p = base + k * bytes;
    if (half == 0) {
      store_bytes(p, cpu::threefry2x32(k0, k1, 0, 0).first, bytes);
      return;
    }
    size_t offset = half + odd;
    size_t full_end = (tail && j1 == half) ? j1 - 1 : j1;
    hash_pairs(k0, k1, j0, full_end, offset, p);
    if (full_end < j1) {
      auto h = cpu::threefry2x32(k0, k1, full_end, full_end + offset);
      store_bytes(p + 4 * full_end, h.first, 4);
      store_bytes(p + 4 * (full_end + offset), h.second, tail);
    }
    if (odd && j0 == 0) {
      store_bytes(p + 4 * half, cpu::threefry2x32(k0, k1, half, 0).first, 4);
    }
  };
  cpu::parallel_for(num_keys * units, kPairGrain, [&](size_t b, size_t e) {
    for (size_t u = b; u < e;) {
      size_t k = u / units, j0 = u % units;
      size_t j1 = std::min(units, j0 + (e - u));
      run(k, j0, j1);
      u += j1 - j0;
    }
  });
}

}  // namespace mlx::core
#endif  // HWY_ONCE
