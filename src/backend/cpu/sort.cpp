// Sorting on the CPU. Lines along the sorted axis are independent and run in parallel. Small
// lines use std::stable_sort with a NaN-last order; long lines of 32-bit values use an LSD radix
// sort of order-preserving keys, whose passes over one huge line are split over the pool.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "backend/cpu/lines.h"
#include "backend/cpu/thread_pool.h"
#include "core/dtype_utils.h"
#include "ops/sort.h"

namespace mlx::core {

using cpu::contiguous_input;
using cpu::Lines;

namespace {

template <typename T>
constexpr bool is_complex_v = std::is_same_v<T, complex64_t>;

template <typename T>
constexpr bool is_float_v =
    std::is_floating_point_v<T> || std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>;

template <typename F>
bool less_nan_last(F a, F b) {
  return a < b || (std::isnan(b) && !std::isnan(a));
}

// NumPy's order: NaN after every number, complex numbers by real then imaginary part.
template <typename T>
bool less(const T& a, const T& b) {
  if constexpr (is_complex_v<T>) {
    float ar = a.real(), br = b.real();
    if (less_nan_last(ar, br)) return true;
    if (less_nan_last(br, ar)) return false;
    return less_nan_last(a.imag(), b.imag());
  } else if constexpr (std::is_same_v<T, double>) {
    return less_nan_last(a, b);
  } else if constexpr (is_float_v<T>) {
    return less_nan_last(static_cast<float>(a), static_cast<float>(b));
  } else {
    return a < b;
  }
}

// ---- radix sort of 32-bit keys ----

// Keys whose unsigned order is the NaN-last order of the values. Float keys merge -0 with +0
// and every NaN into one largest key, so that equal values keep their input order.
template <typename T>
uint32_t to_key(T v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  if constexpr (std::is_same_v<T, float>) {
    if (std::isnan(v)) return 0xFFFFFFFFu;
    if (u == 0x80000000u) u = 0;
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
  } else if constexpr (std::is_same_v<T, int32_t>) {
    return u ^ 0x80000000u;
  } else {
    return u;
  }
}

// The inverse of to_key for keys of values to_key maps one to one.
template <typename T>
T from_key(uint32_t k) {
  uint32_t u;
  if constexpr (std::is_same_v<T, float>) {
    u = (k & 0x80000000u) ? (k ^ 0x80000000u) : ~k;
  } else if constexpr (std::is_same_v<T, int32_t>) {
    u = k ^ 0x80000000u;
  } else {
    u = k;
  }
  T v;
  std::memcpy(&v, &u, 4);
  return v;
}

// Whether to_key loses information about v (so a key-only sort could not give v back).
template <typename T>
bool key_merges(T v) {
  if constexpr (std::is_same_v<T, float>) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    return u == 0x80000000u || std::isnan(v);
  } else {
    return false;
  }
}

constexpr int kDigitBits = 11;
constexpr int kBuckets = 1 << kDigitBits;
constexpr int kPasses = 3;
// Lines shorter than this sort with std::stable_sort: a radix pass costs kBuckets counters.
constexpr size_t kRadixMin = 1 << 14;
// Lines at least this long split each radix pass over the pool.
constexpr size_t kParallelRadixMin = 1 << 18;

inline uint32_t digit(uint32_t key, int pass) {
  return (key >> (pass * kDigitBits)) & (kBuckets - 1);
}

// Stable LSD radix sort of keys (and, when idx is given, their payload) using the scratch
// buffers of the same size; the result ends in keys/idx. `chunks` splits each pass: every chunk
// counts its digits, then scatters to its own offsets, so the order stays stable.
void radix_sort(uint32_t* keys, uint32_t* keys_tmp, uint32_t* idx, uint32_t* idx_tmp, size_t n,
                size_t chunks) {
  std::vector<size_t> counts(chunks * kBuckets);
  size_t chunk = (n + chunks - 1) / chunks;
  auto run = [&](const std::function<void(size_t, size_t, size_t)>& fn) {
    if (chunks == 1) {
      fn(0, 0, n);
      return;
    }
    cpu::parallel_for(chunks, 1, [&](size_t cb, size_t ce) {
      for (size_t c = cb; c < ce; ++c) fn(c, c * chunk, std::min(n, (c + 1) * chunk));
    });
  };
  uint32_t *src = keys, *dst = keys_tmp, *isrc = idx, *idst = idx_tmp;
  for (int pass = 0; pass < kPasses; ++pass) {
    run([&](size_t c, size_t b, size_t e) {
      size_t* h = counts.data() + c * kBuckets;
      std::fill(h, h + kBuckets, 0);
      for (size_t i = b; i < e; ++i) ++h[digit(src[i], pass)];
    });
    // A pass where every key has the same digit would move nothing.
    bool trivial = false;
    for (int d = 0; d < kBuckets && !trivial; ++d) {
      size_t total = 0;
      for (size_t c = 0; c < chunks; ++c) total += counts[c * kBuckets + d];
      trivial = total == n;
    }
    if (trivial) continue;
    size_t sum = 0;
    for (int d = 0; d < kBuckets; ++d) {
      for (size_t c = 0; c < chunks; ++c) {
        size_t v = counts[c * kBuckets + d];
        counts[c * kBuckets + d] = sum;
        sum += v;
      }
    }
    run([&](size_t c, size_t b, size_t e) {
      size_t* off = counts.data() + c * kBuckets;
      if (isrc) {
        for (size_t i = b; i < e; ++i) {
          size_t p = off[digit(src[i], pass)]++;
          dst[p] = src[i];
          idst[p] = isrc[i];
        }
      } else {
        for (size_t i = b; i < e; ++i) dst[off[digit(src[i], pass)]++] = src[i];
      }
    });
    std::swap(src, dst);
    std::swap(isrc, idst);
  }
  if (src != keys) {
    run([&](size_t, size_t b, size_t e) {
      std::memcpy(keys + b, src + b, (e - b) * 4);
      if (isrc) std::memcpy(idx + b, isrc + b, (e - b) * 4);
    });
  }
}

template <typename T>
constexpr bool radix_type_v =
    std::is_same_v<T, float> || std::is_same_v<T, int32_t> || std::is_same_v<T, uint32_t>;

// Per-line scratch for the radix path.
struct Scratch {
  std::vector<uint32_t> keys, keys_tmp, idx, idx_tmp;
};

// Sorts one line of n values (elements `stride` apart in src) into out (same layout); with
// `arg`, writes the sorting indices instead. `chunks` > 1 splits radix passes over the pool.
template <typename T>
void sort_line(const T* src, void* out, size_t n, size_t stride, bool arg, size_t chunks,
               Scratch& s) {
  auto* oi = static_cast<uint32_t*>(out);
  auto* ov = static_cast<T*>(out);
  if constexpr (radix_type_v<T>) {
    if (n >= kRadixMin) {
      s.keys.resize(n);
      s.keys_tmp.resize(n);
      bool merged = false;
      for (size_t i = 0; i < n; ++i) {
        T v = src[i * stride];
        s.keys[i] = to_key(v);
        merged |= key_merges(v);
      }
      bool with_idx = arg || merged;
      if (with_idx) {
        s.idx.resize(n);
        s.idx_tmp.resize(n);
        std::iota(s.idx.begin(), s.idx.end(), 0u);
      }
      radix_sort(s.keys.data(), s.keys_tmp.data(), with_idx ? s.idx.data() : nullptr,
                 s.idx_tmp.data(), n, chunks);
      for (size_t i = 0; i < n; ++i) {
        if (arg) {
          oi[i * stride] = s.idx[i];
        } else {
          ov[i * stride] = merged ? src[s.idx[i] * stride] : from_key<T>(s.keys[i]);
        }
      }
      return;
    }
  }
  s.idx.resize(n);
  std::iota(s.idx.begin(), s.idx.end(), 0u);
  std::stable_sort(s.idx.begin(), s.idx.end(),
                   [&](uint32_t a, uint32_t b) { return less(src[a * stride], src[b * stride]); });
  for (size_t i = 0; i < n; ++i) {
    if (arg) {
      oi[i * stride] = s.idx[i];
    } else {
      ov[i * stride] = src[s.idx[i] * stride];
    }
  }
}

// Puts the kth element of the line in place, by value then index (a total order, so partition
// and argpartition agree).
template <typename T>
void partition_line(const T* src, void* out, size_t n, size_t stride, size_t kth, bool arg,
                    Scratch& s) {
  s.idx.resize(n);
  std::iota(s.idx.begin(), s.idx.end(), 0u);
  std::nth_element(s.idx.begin(), s.idx.begin() + kth, s.idx.end(), [&](uint32_t a, uint32_t b) {
    const T& x = src[a * stride];
    const T& y = src[b * stride];
    if (less(x, y)) return true;
    if (less(y, x)) return false;
    return a < b;
  });
  for (size_t i = 0; i < n; ++i) {
    if (arg) {
      static_cast<uint32_t*>(out)[i * stride] = s.idx[i];
    } else {
      static_cast<T*>(out)[i * stride] = src[s.idx[i] * stride];
    }
  }
}

}  // namespace

void Sort::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  auto in = contiguous_input(inputs[0]);
  Lines l(in, axis());
  bool arg = op() == SortOp::ArgSort || op() == SortOp::ArgPartition;
  bool part = op() == SortOp::Partition || op() == SortOp::ArgPartition;
  size_t k = static_cast<size_t>(kth());
  dispatch_dtype(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = in.data<T>();
    char* o = out.data<char>();
    size_t osize = out.itemsize();
    size_t lines = l.count();
    size_t chunks = (lines == 1 && l.n >= kParallelRadixMin && !part)
                        ? static_cast<size_t>(cpu::num_threads())
                        : 1;
    size_t grain = std::max<size_t>(1, (1 << 15) / std::max<size_t>(l.n, 1));
    cpu::parallel_for(lines, grain, [&](size_t b, size_t e) {
      Scratch s;
      for (size_t line = b; line < e; ++line) {
        size_t st = l.start(line);
        if (part) {
          partition_line(x + st, o + st * osize, l.n, l.inner, k, arg, s);
        } else {
          sort_line(x + st, o + st * osize, l.n, l.inner, arg, chunks, s);
        }
      }
    });
  });
}

namespace {

template <typename U>
void permute_lines(const U* x, const uint32_t* idx, U* out, const Lines& l, bool inverse) {
  size_t grain = std::max<size_t>(1, (1 << 15) / std::max<size_t>(l.n, 1));
  cpu::parallel_for(l.count(), grain, [&](size_t b, size_t e) {
    for (size_t line = b; line < e; ++line) {
      size_t st = l.start(line);
      for (size_t i = 0; i < l.n; ++i) {
        size_t j = idx[st + i * l.inner];
        if (j >= l.n) {
          throw std::runtime_error("[AxisPermute] Index " + std::to_string(j) +
                                   " is out of range for an axis of size " + std::to_string(l.n) +
                                   ".");
        }
        if (inverse) {
          out[st + j * l.inner] = x[st + i * l.inner];
        } else {
          out[st + i * l.inner] = x[st + j * l.inner];
        }
      }
    }
  });
}

}  // namespace

void AxisPermute::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  auto x = contiguous_input(inputs[0]);
  auto idx = contiguous_input(inputs[1]);
  Lines l(x, axis());
  const uint32_t* ip = idx.data<uint32_t>();
  switch (out.itemsize()) {
    case 1:
      return permute_lines(x.data<uint8_t>(), ip, out.data<uint8_t>(), l, inverse());
    case 2:
      return permute_lines(x.data<uint16_t>(), ip, out.data<uint16_t>(), l, inverse());
    case 4:
      return permute_lines(x.data<uint32_t>(), ip, out.data<uint32_t>(), l, inverse());
    default:
      return permute_lines(x.data<uint64_t>(), ip, out.data<uint64_t>(), l, inverse());
  }
}

}  // namespace mlx::core
