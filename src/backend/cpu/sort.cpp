// Sorting on the CPU. Lines along the sorted axis are independent and run in parallel. Float32,
// int32 and uint32 lines sort order-preserving 32-bit keys (NaN last, -0 equal to +0): short ones
// with std::sort, long ones with a radix sort (most significant digit first until a bucket fits
// in cache, then LSD), whose passes over one huge line are split over the pool. Other dtypes use
// std::stable_sort with a NaN-last order (std::sort for integer values).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "backend/cpu/lines.h"
#include "backend/cpu/scratch.h"
#include "backend/cpu/thread_pool.h"
#include "core/dtype_utils.h"
#include "mlx/backend/common/utils.h"
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
    // Branch free, so that the key loop vectorises: negative values flip every bit, others the
    // sign bit.
    uint32_t mag = u & 0x7FFFFFFFu;
    uint32_t flip = static_cast<uint32_t>(static_cast<int32_t>(u) >> 31) | 0x80000000u;
    uint32_t k = mag == 0 ? 0x80000000u : u ^ flip;
    return mag > 0x7F800000u ? 0xFFFFFFFFu : k;
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
    return (u == 0x80000000u) | ((u & 0x7FFFFFFFu) > 0x7F800000u);
  } else {
    return false;
  }
}

constexpr int kDigitBits = 11;
constexpr int kBuckets = 1 << kDigitBits;
// Lines shorter than this sort their keys with std::sort: a radix pass costs kBuckets counters.
constexpr size_t kRadixMin = 1 << 10;
// Ranges up to this many keys (in cache) finish with LSD passes; longer ones split by their top
// digit first.
constexpr size_t kLsdMax = 1 << 18;
// The split of a long range takes this many bits: its buckets then suit in-cache LSD passes of
// at most 9 bits, whose 512 write positions stay in L1.
constexpr int kMsdBits = 12;
constexpr int kMsdBuckets = 1 << kMsdBits;
// Buckets this small finish with an insertion sort.
constexpr size_t kInsertionMax = 32;

// Keys in k[0] with their payload in ix[0] (ix[0] null for none), scratch in k[1], ix[1];
// `base` is where they start in the whole line.
struct Buffers {
  uint32_t* k[2];
  uint32_t* ix[2];
  size_t base;
  Buffers offset(size_t o) const {
    return {
        {k[0] + o, k[1] + o}, {ix[0] ? ix[0] + o : nullptr, ix[1] ? ix[1] + o : nullptr}, base + o};
  }
};

// Called with (base, n, keys, payload) once keys [base, base + n) of the line are sorted, with
// where they lie now (either buffer), to write them out while they are in cache.
using LeafFn = std::function<void(size_t, size_t, const uint32_t*, const uint32_t*)>;

// Stable LSD passes over the low `bits` bits of n keys starting in buffer 0, in as few passes of
// at most kDigitBits as there are (narrower digits need fewer counters); returns the buffer
// holding the result. `h` is 3 x kBuckets counters of scratch: one read counts the digits of
// every pass (the counts do not depend on the order).
int lsd(const Buffers& b, size_t n, int bits, uint32_t* h) {
  if (n <= kInsertionMax) {
    for (size_t i = 1; i < n; ++i) {
      uint32_t key = b.k[0][i];
      uint32_t pay = b.ix[0] ? b.ix[0][i] : 0;
      size_t j = i;
      for (; j > 0 && b.k[0][j - 1] > key; --j) {
        b.k[0][j] = b.k[0][j - 1];
        if (b.ix[0]) b.ix[0][j] = b.ix[0][j - 1];
      }
      b.k[0][j] = key;
      if (b.ix[0]) b.ix[0][j] = pay;
    }
    return 0;
  }
  const int passes = (bits + kDigitBits - 1) / kDigitBits;
  if (passes == 0) return 0;
  const int width = (bits + passes - 1) / passes;
  const size_t buckets = size_t{1} << width;
  auto digit = [width, buckets](uint32_t key, int pass) {
    return (key >> (pass * width)) & (buckets - 1);
  };
  std::fill(h, h + passes * buckets, 0);
  // The common pass counts unrolled: the increments of different passes are independent.
  const uint32_t* k0 = b.k[0];
  const uint32_t mask = static_cast<uint32_t>(buckets - 1);
  uint32_t* h1 = h + buckets;
  uint32_t* h2 = h + 2 * buckets;
  if (passes == 1) {
    for (size_t i = 0; i < n; ++i) ++h[k0[i] & mask];
  } else if (passes == 2) {
    for (size_t i = 0; i < n; ++i) {
      ++h[k0[i] & mask];
      ++h1[(k0[i] >> width) & mask];
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      ++h[k0[i] & mask];
      ++h1[(k0[i] >> width) & mask];
      ++h2[(k0[i] >> (2 * width)) & mask];
    }
  }
  int cur = 0;
  for (int pass = 0; pass < passes; ++pass) {
    const uint32_t* src = b.k[cur];
    uint32_t* off = h + pass * buckets;
    if (off[digit(src[0], pass)] == n) {
      continue;  // every key has this digit: the pass would move nothing
    }
    size_t sum = 0;
    for (size_t d = 0; d < buckets; ++d) {
      size_t c = off[d];
      off[d] = sum;
      sum += c;
    }
    uint32_t* dst = b.k[1 - cur];
    if (b.ix[0]) {
      const uint32_t* isrc = b.ix[cur];
      uint32_t* idst = b.ix[1 - cur];
      for (size_t i = 0; i < n; ++i) {
        size_t p = off[digit(src[i], pass)]++;
        dst[p] = src[i];
        idst[p] = isrc[i];
      }
    } else {
      for (size_t i = 0; i < n; ++i) dst[off[digit(src[i], pass)]++] = src[i];
    }
    cur = 1 - cur;
  }
  return cur;
}

// Sorts the n keys (and payload) in buffer 0, which agree above their low `bits` bits, stably,
// handing each sorted range to `leaf` (`h`: scratch counters for lsd). Long ranges split by their
// top kMsdBits bits and recurse into the buckets (most significant digit first) until a bucket
// fits in cache, where LSD passes finish it. With `parallel`, the split is counted and scattered
// in chunks over the pool (each chunk scatters to its own offsets, which keeps it stable),
// buckets too large for one thread recurse in parallel one by one, and the others run in
// parallel in groups of about equal size (the keys may crowd into a few buckets).
void msd(const Buffers& b, size_t n, int bits, bool parallel, uint32_t* h, const LeafFn& leaf) {
  if (n <= kLsdMax || bits <= kDigitBits) {
    int r = lsd(b, n, bits, h);
    leaf(b.base, n, b.k[r], b.ix[r]);
    return;
  }
  const int shift = bits - kMsdBits;
  auto top = [shift](uint32_t key) { return (key >> shift) & (kMsdBuckets - 1); };
  size_t chunks = parallel ? 4 * static_cast<size_t>(cpu::num_threads()) : 1;
  size_t chunk = (n + chunks - 1) / chunks;
  std::vector<size_t> counts(chunks * kMsdBuckets, 0);
  auto each_chunk = [&](const std::function<void(size_t, size_t, size_t)>& fn) {
    cpu::parallel_for(chunks, 1, [&](size_t cb, size_t ce) {
      for (size_t c = cb; c < ce; ++c) fn(c, c * chunk, std::min(n, (c + 1) * chunk));
    });
  };
  each_chunk([&](size_t c, size_t lo, size_t hi) {
    size_t* h = counts.data() + c * kMsdBuckets;
    for (size_t i = lo; i < hi; ++i) ++h[top(b.k[0][i])];
  });
  std::vector<size_t> starts(kMsdBuckets + 1);
  size_t sum = 0;
  for (int d = 0; d < kMsdBuckets; ++d) {
    starts[d] = sum;
    for (size_t c = 0; c < chunks; ++c) {
      size_t v = counts[c * kMsdBuckets + d];
      counts[c * kMsdBuckets + d] = sum;
      sum += v;
    }
  }
  starts[kMsdBuckets] = n;
  each_chunk([&](size_t c, size_t lo, size_t hi) {
    size_t* off = counts.data() + c * kMsdBuckets;
    for (size_t i = lo; i < hi; ++i) {
      size_t p = off[top(b.k[0][i])]++;
      b.k[1][p] = b.k[0][i];
      if (b.ix[0]) b.ix[1][p] = b.ix[0][i];
    }
  });
  // The buckets now lie in buffer 1.
  auto bucket = [&](size_t d, bool par, uint32_t* hb) {
    size_t lo = starts[d], len = starts[d + 1] - lo;
    if (len == 0) return;
    Buffers sub = b.offset(lo);
    std::swap(sub.k[0], sub.k[1]);
    std::swap(sub.ix[0], sub.ix[1]);
    msd(sub, len, shift, par, hb, leaf);
  };
  if (!parallel) {
    for (int d = 0; d < kMsdBuckets; ++d) bucket(d, false, h);
    return;
  }
  size_t large = n / (2 * chunks);
  for (int d = 0; d < kMsdBuckets; ++d) {
    if (starts[d + 1] - starts[d] > large) bucket(d, true, h);
  }
  // Groups of consecutive buckets holding at least `target` keys: at most 4 per thread, which
  // parallel_for runs one per chunk.
  size_t target = std::max<size_t>(1, n / (4 * chunks));
  std::vector<int> group_end;
  size_t acc = 0;
  for (int d = 0; d < kMsdBuckets; ++d) {
    acc += starts[d + 1] - starts[d];
    if (acc >= target || d == kMsdBuckets - 1) {
      group_end.push_back(d + 1);
      acc = 0;
    }
  }
  cpu::parallel_for(group_end.size(), 1, [&](size_t gb, size_t ge) {
    std::vector<uint32_t> hb(3 * kBuckets);
    for (int d = gb ? group_end[gb - 1] : 0; d < group_end[ge - 1]; ++d) {
      if (starts[d + 1] - starts[d] <= large) bucket(d, false, hb.data());
    }
  });
}

template <typename T>
constexpr bool radix_type_v =
    std::is_same_v<T, float> || std::is_same_v<T, int32_t> || std::is_same_v<T, uint32_t>;

using cpu::ScratchBuffer;

// Per-thread scratch.
struct Scratch {
  ScratchBuffer keys, keys_tmp, idx, idx_tmp, pairs, counts;
};

// Indices 0..n-1 in scratch.
uint32_t* iota_idx(Scratch& s, size_t n) {
  uint32_t* idx = s.idx.get<uint32_t>(n);
  std::iota(idx, idx + n, 0u);
  return idx;
}

// Sorts a line of 32-bit values through their keys: std::sort for short lines, radix for long
// ones. Keys only when they give the values back; else (argsort, or floats with NaN or -0) with
// the indices, which also make the order stable.
template <typename T>
void sort_keys_line(const T* src, void* out, size_t n, size_t stride, bool arg, bool parallel,
                    Scratch& s) {
  auto* oi = static_cast<uint32_t*>(out);
  auto* ov = static_cast<T*>(out);
  // A value sort of a contiguous line builds its keys in the output itself.
  uint32_t* keys = (!arg && stride == 1) ? oi : s.keys.get<uint32_t>(n);
  // The bits where the keys differ (set in their OR, clear in their AND) bound the bits the
  // radix sort needs. Plain OR/AND reductions keep the loop vectorised.
  std::atomic<uint32_t> kor{0}, kand{0xFFFFFFFFu}, merged{0};
  cpu::parallel_for_if(parallel, n, 1 << 16, [&](size_t b, size_t e) {
    uint32_t o = 0, a = 0xFFFFFFFFu, m = 0;
    if (stride == 1) {
      for (size_t i = b; i < e; ++i) {
        uint32_t k = to_key(src[i]);
        keys[i] = k;
        o |= k;
        a &= k;
        m |= static_cast<uint32_t>(key_merges(src[i]));
      }
    } else {
      for (size_t i = b; i < e; ++i) {
        uint32_t k = to_key(src[i * stride]);
        keys[i] = k;
        o |= k;
        a &= k;
        m |= static_cast<uint32_t>(key_merges(src[i * stride]));
      }
    }
    kor.fetch_or(o);
    kand.fetch_and(a);
    merged.fetch_or(m);
  });
  // Sorted input is its own result; radix passes over it would also be slow, every key
  // incrementing the same counter. Unsorted input almost always fails the check at once.
  bool sorted = std::is_sorted(keys, keys + n);
  if (sorted) {
    for (size_t i = 0; i < n; ++i) {
      if (arg) {
        oi[i * stride] = static_cast<uint32_t>(i);
      } else {
        ov[i * stride] = src[i * stride];
      }
    }
    return;
  }
  bool with_idx = arg || merged.load() != 0;
  if (n < kRadixMin) {
    if (!with_idx) {
      std::sort(keys, keys + n);
      for (size_t i = 0; i < n; ++i) ov[i * stride] = from_key<T>(keys[i]);
      return;
    }
    // Key and index in one word: all distinct, so an unstable sort gives the stable order.
    uint64_t* pairs = s.pairs.get<uint64_t>(n);
    for (size_t i = 0; i < n; ++i) pairs[i] = (static_cast<uint64_t>(keys[i]) << 32) | i;
    std::sort(pairs, pairs + n);
    for (size_t i = 0; i < n; ++i) {
      auto j = static_cast<uint32_t>(pairs[i]);
      if (arg) {
        oi[i * stride] = j;
      } else {
        ov[i * stride] = src[j * stride];
      }
    }
    return;
  }
  Buffers b{{keys, s.keys_tmp.get<uint32_t>(n)}, {nullptr, nullptr}, 0};
  if (with_idx) {
    uint32_t* idx = s.idx.get<uint32_t>(n);
    cpu::parallel_for_if(parallel, n, 1 << 16, [&](size_t lo, size_t hi) {
      std::iota(idx + lo, idx + hi, static_cast<uint32_t>(lo));
    });
    b.ix[0] = idx;
    b.ix[1] = s.idx_tmp.get<uint32_t>(n);
  }
  // Each sorted range goes to the output while it is in cache (the output may be buffer 0, but
  // only the range just read is written).
  LeafFn leaf = [&](size_t lo, size_t len, const uint32_t* k, const uint32_t* ix) {
    if (arg) {
      for (size_t i = 0; i < len; ++i) oi[(lo + i) * stride] = ix[i];
    } else if (with_idx) {
      for (size_t i = 0; i < len; ++i) ov[(lo + i) * stride] = src[ix[i] * stride];
    } else {
      for (size_t i = 0; i < len; ++i) ov[(lo + i) * stride] = from_key<T>(k[i]);
    }
  };
  uint32_t d = kor.load() ^ kand.load();
  msd(b, n, d ? 32 - __builtin_clz(d) : 0, parallel, s.counts.get<uint32_t>(3 * kBuckets), leaf);
}

// Sorts one line of n values (elements `stride` apart in src) into out (same layout); with
// `arg`, writes the sorting indices instead. `parallel` lets one huge line use the pool.
template <typename T>
void sort_line(const T* src, void* out, size_t n, size_t stride, bool arg, bool parallel,
               Scratch& s) {
  if constexpr (radix_type_v<T>) {
    return sort_keys_line(src, out, n, stride, arg, parallel, s);
  }
  auto* oi = static_cast<uint32_t*>(out);
  auto* ov = static_cast<T*>(out);
  if constexpr (!is_float_v<T> && !is_complex_v<T>) {
    // Equal integers are indistinguishable, so the values need no stable order.
    if (!arg) {
      T* v = s.keys.get<T>(n);
      for (size_t i = 0; i < n; ++i) v[i] = src[i * stride];
      std::sort(v, v + n);
      for (size_t i = 0; i < n; ++i) ov[i * stride] = v[i];
      return;
    }
  }
  uint32_t* idx = iota_idx(s, n);
  std::stable_sort(idx, idx + n,
                   [&](uint32_t a, uint32_t b) { return less(src[a * stride], src[b * stride]); });
  for (size_t i = 0; i < n; ++i) {
    if (arg) {
      oi[i * stride] = idx[i];
    } else {
      ov[i * stride] = src[idx[i] * stride];
    }
  }
}

// Puts the kth element of the line in place, by value then index (a total order, so partition
// and argpartition agree).
template <typename T>
void partition_line(const T* src, void* out, size_t n, size_t stride, size_t kth, bool arg,
                    Scratch& s) {
  uint32_t* idx = iota_idx(s, n);
  std::nth_element(idx, idx + kth, idx + n, [&](uint32_t a, uint32_t b) {
    const T& x = src[a * stride];
    const T& y = src[b * stride];
    if (less(x, y)) return true;
    if (less(y, x)) return false;
    return a < b;
  });
  for (size_t i = 0; i < n; ++i) {
    if (arg) {
      static_cast<uint32_t*>(out)[i * stride] = idx[i];
    } else {
      static_cast<T*>(out)[i * stride] = src[idx[i] * stride];
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
    bool parallel = lines == 1;
    size_t grain = std::max<size_t>(1, (1 << 15) / std::max<size_t>(l.n, 1));
    cpu::parallel_for(lines, grain, [&](size_t b, size_t e) {
      Scratch s;
      for (size_t line = b; line < e; ++line) {
        size_t st = l.start(line);
        if (part) {
          partition_line(x + st, o + st * osize, l.n, l.inner, k, arg, s);
        } else {
          sort_line(x + st, o + st * osize, l.n, l.inner, arg, parallel, s);
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

// One task per group of lines; each value is a binary search of its line in the NaN-last order.
void SearchSorted::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& seq = inputs[0];
  auto& vals = inputs[1];
  bool right = std::get<0>(state_);
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  int nd = static_cast<int>(out.ndim());
  Shape batch(out.shape().begin(), out.shape().end() - 1);
  Strides seq_strides(seq.strides().begin(), seq.strides().end() - 1);
  Strides val_strides(vals.strides().begin(), vals.strides().end() - 1);
  int64_t n = seq.shape(nd - 1), m = out.shape(nd - 1);
  int64_t sn = seq.strides()[nd - 1], sm = vals.strides()[nd - 1];
  size_t lines = out.size() / static_cast<size_t>(m);
  uint32_t* o = out.data<uint32_t>();
  dispatch_dtype(seq.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* sp = seq.data<T>();
    const T* vp = vals.data<T>();
    size_t grain = std::max<size_t>(1, 4096 / static_cast<size_t>(m));
    cpu::parallel_for(lines, grain, [&](size_t lb, size_t le) {
      for (size_t l = lb; l < le; ++l) {
        const T* line = sp + elem_to_loc(static_cast<int64_t>(l), batch, seq_strides);
        const T* v = vp + elem_to_loc(static_cast<int64_t>(l), batch, val_strides);
        for (int64_t j = 0; j < m; ++j) {
          const T& x = v[j * sm];
          int64_t lo = 0, hi = n;
          while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            const T& y = line[mid * sn];
            bool go_right = right ? !less(x, y) : less(y, x);
            if (go_right) {
              lo = mid + 1;
            } else {
              hi = mid;
            }
          }
          o[l * static_cast<size_t>(m) + static_cast<size_t>(j)] = static_cast<uint32_t>(lo);
        }
      }
    });
  });
}

}  // namespace mlx::core
