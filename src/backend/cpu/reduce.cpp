// Reductions on the CPU. One driver walks any strided input; per (op, dtype) it calls five small
// kernels through a table, so that the layout logic is compiled once.
//
// The input's dims split into kept dims (the output, which is row-contiguous, so kept element k
// is out[k]) and reduced dims, which are reordered densest-innermost and merged where the strides
// allow. Then one of two shapes of loop:
//  - row mode (the innermost reduced dim has stride 1, or nothing better applies): each output
//    reduces its runs along the innermost reduced dim; contiguous float runs go to SIMD kernels.
//    Full reductions of contiguous arrays and row reductions end up here.
//  - column mode (the innermost kept dim is contiguous, the reduced ones are not): whole input
//    rows are accumulated into a block of outputs, with SIMD along the row.
// Large reductions spread independent outputs over the pool. With too few of them, the reduced
// range is cut into chunks (their number depends only on the sizes, so results do not depend on
// the thread count) whose partial results are combined pairwise.
#include "backend/cpu/reduce.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "backend/cpu/strided.h"
#include "backend/cpu/thread_pool.h"
#include "core/dtype_utils.h"
#include "ops/ops.h"

namespace mlx::core {

namespace cpu {

namespace {

// Input elements per parallel chunk.
constexpr size_t kGrain = size_t{1} << 16;
// Fewer independent pieces of work than this and the reduced range is split instead.
constexpr size_t kMinTasks = 8;
constexpr size_t kMaxChunks = 256;
// Outputs whose accumulators live on the stack at once (row mode).
constexpr size_t kBatch = 512;
// Output columns per task in column mode: accumulators stay in L1 while rows stream past.
constexpr size_t kColBlock = 1024;
constexpr size_t kMinColBlock = 64;
// Rows summed into a partial before it joins the total, so that float column sums round like a
// two-level cascade rather than one long chain.
constexpr size_t kCascade = 64;
constexpr size_t kMaxAccSize = 8;
// Shorter runs are not worth a call into the SIMD kernels.
constexpr size_t kMinSimdRun = 16;

// The kernels of one (op, input, accumulator, output) combination, on untyped pointers.
struct Kernels {
  size_t acc_size;
  // Whether column sums go through kCascade-row partials (float sums and products).
  bool cascade;
  // acc[i] = op(acc[i], p[i * step + k * stride] for k < n) for i < count.
  void (*runs)(const void* p, size_t n, int64_t stride, size_t count, int64_t step, void* acc);
  // acc[j] = op(acc[j], p[r * stride + j]) for r < rows, j < n.
  void (*rows)(const void* p, int64_t stride, size_t rows, void* acc, size_t n);
  void (*fill)(void* acc, size_t n);
  // acc[j] = op(acc[j], other[j]).
  void (*combine)(void* acc, const void* other, size_t n);
  void (*finish)(const void* acc, void* out, size_t n);
};

template <typename T>
constexpr bool kIsHalf = std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>;

template <typename T>
constexpr bool kIsSimdType = std::is_same_v<T, float> || std::is_same_v<T, double> || kIsHalf<T>;

template <ReduceOp op, typename In, typename A, typename Out>
struct KernelsOf {
  static constexpr bool kSimd = kIsSimdType<In> && std::is_same_v<A, SimdAcc<In>> &&
                                op != ReduceOp::And && op != ReduceOp::Or;

  static A to_acc(In x) {
    if constexpr (std::is_same_v<A, bool>) {
      return detail::cast_value<bool>(x);
    } else {
      return static_cast<A>(x);
    }
  }

  static A run(const In* p, size_t n, int64_t stride) {
    constexpr A id = reduce_identity<op, A>();
    if constexpr (std::is_integral_v<A>) {
      // One accumulator: the compiler vectorises integer reductions by itself.
      A a = id;
      if (stride == 1) {
        for (size_t i = 0; i < n; ++i) {
          a = reduce_apply<op>(a, to_acc(p[i]));
        }
      } else {
        for (size_t i = 0; i < n; ++i) {
          a = reduce_apply<op>(a, to_acc(p[static_cast<int64_t>(i) * stride]));
        }
      }
      return a;
    } else {
      A a0 = id, a1 = id, a2 = id, a3 = id;
      size_t i = 0;
      for (; i + 4 <= n; i += 4) {
        const In* q = p + static_cast<int64_t>(i) * stride;
        a0 = reduce_apply<op>(a0, to_acc(q[0]));
        a1 = reduce_apply<op>(a1, to_acc(q[stride]));
        a2 = reduce_apply<op>(a2, to_acc(q[2 * stride]));
        a3 = reduce_apply<op>(a3, to_acc(q[3 * stride]));
      }
      for (; i < n; ++i) {
        a0 = reduce_apply<op>(a0, to_acc(p[static_cast<int64_t>(i) * stride]));
      }
      return reduce_apply<op>(reduce_apply<op>(a0, a1), reduce_apply<op>(a2, a3));
    }
  }

  static void runs(const void* p, size_t n, int64_t stride, size_t count, int64_t step, void* acc) {
    auto src = static_cast<const In*>(p);
    auto a = static_cast<A*>(acc);
    if constexpr (kSimd) {
      static const SimdReduce<In> simd = simd_reduce<In>(op);
      if (stride == 1 && n >= kMinSimdRun && simd.runs) {
        simd.runs(src, n, step, count, a);
        return;
      }
    }
    for (size_t i = 0; i < count; ++i) {
      a[i] = reduce_apply<op>(a[i], run(src + static_cast<int64_t>(i) * step, n, stride));
    }
  }

  static void rows(const void* p, int64_t stride, size_t rows, void* acc, size_t n) {
    auto src = static_cast<const In*>(p);
    auto a = static_cast<A*>(acc);
    if constexpr (kSimd) {
      static const SimdReduce<In> simd = simd_reduce<In>(op);
      if (simd.rows) {
        simd.rows(src, stride, rows, a, n);
        return;
      }
    }
    for (size_t r = 0; r < rows; ++r) {
      const In* q = src + static_cast<int64_t>(r) * stride;
      for (size_t j = 0; j < n; ++j) {
        a[j] = reduce_apply<op>(a[j], to_acc(q[j]));
      }
    }
  }

  static void fill(void* acc, size_t n) {
    std::fill_n(static_cast<A*>(acc), n, reduce_identity<op, A>());
  }

  static void combine(void* acc, const void* other, size_t n) {
    auto a = static_cast<A*>(acc);
    auto b = static_cast<const A*>(other);
    for (size_t j = 0; j < n; ++j) {
      a[j] = reduce_apply<op>(a[j], b[j]);
    }
  }

  static void finish(const void* acc, void* out, size_t n) {
    auto a = static_cast<const A*>(acc);
    auto o = static_cast<Out*>(out);
    for (size_t j = 0; j < n; ++j) {
      o[j] = static_cast<Out>(a[j]);
    }
  }

  static Kernels make() {
    static_assert(sizeof(A) <= kMaxAccSize);
    constexpr bool cascade =
        !std::is_integral_v<A> && (op == ReduceOp::Sum || op == ReduceOp::Prod);
    return {sizeof(A), cascade, runs, rows, fill, combine, finish};
  }
};

// Sums and products of small integers (and bool) widen to 32 bits.
template <typename T>
using Widened = std::conditional_t<
    std::is_same_v<T, bool> || std::is_same_v<T, int8_t> || std::is_same_v<T, int16_t>, int32_t,
    std::conditional_t<std::is_same_v<T, uint8_t> || std::is_same_v<T, uint16_t>, uint32_t, T>>;

// Integer sums accumulate unsigned (wrapping), half floats in float32.
template <typename T>
using SumAcc = std::conditional_t<std::is_integral_v<T>,
                                  std::conditional_t<sizeof(T) <= 4, uint32_t, uint64_t>,
                                  std::conditional_t<kIsHalf<T>, float, T>>;

template <ReduceOp op, typename In>
Kernels kernels_for(Dtype out) {
  if constexpr (op == ReduceOp::And || op == ReduceOp::Or) {
    return KernelsOf<op, In, bool, bool>::make();
  } else if constexpr (op == ReduceOp::Max || op == ReduceOp::Min) {
    // Half floats compare exactly in float32 lanes.
    return KernelsOf<op, In, std::conditional_t<kIsHalf<In>, float, In>, In>::make();
  } else {
    // mean's sums: integers summed exactly (in double) and half floats in float32, into float32.
    if constexpr (!std::is_same_v<In, float> && !std::is_same_v<In, double> &&
                  !std::is_same_v<In, complex64_t>) {
      if (out == float32) {
        return KernelsOf<op, In, std::conditional_t<kIsHalf<In>, float, double>, float>::make();
      }
    }
    using W = Widened<In>;
    return KernelsOf<op, In, SumAcc<W>, W>::make();
  }
}

Kernels kernels_for(ReduceOp op, Dtype in, Dtype out) {
  return dispatch_dtype(in, [&](auto tag) {
    using In = typename decltype(tag)::type;
    switch (op) {
      case ReduceOp::Sum:
        return kernels_for<ReduceOp::Sum, In>(out);
      case ReduceOp::Prod:
        return kernels_for<ReduceOp::Prod, In>(out);
      case ReduceOp::Max:
        return kernels_for<ReduceOp::Max, In>(out);
      case ReduceOp::Min:
        return kernels_for<ReduceOp::Min, In>(out);
      case ReduceOp::And:
        return kernels_for<ReduceOp::And, In>(out);
      default:
        return kernels_for<ReduceOp::Or, In>(out);
    }
  });
}

// Calls f(offset, n) over the flat indices [begin, end) of l, in runs along its innermost dim:
// n consecutive indices from the element at `offset` (through l.strides[0]). Unlike
// for_each_row, the range may start and end inside a row.
template <typename F>
void for_each_run(const Layout& l, size_t begin, size_t end, F&& f) {
  if (begin >= end) {
    return;
  }
  const size_t inner = l.inner();
  const int outer = static_cast<int>(l.shape.size()) - 1;
  const Strides& st = l.strides[0];
  int64_t small[8];
  std::vector<int64_t> large;
  int64_t* idx = small;
  if (outer > 8) {
    large.resize(outer);
    idx = large.data();
  }
  size_t row = begin / inner;
  size_t pos = begin % inner;
  int64_t off = 0;
  for (int d = outer - 1; d >= 0; --d) {
    idx[d] = static_cast<int64_t>(row % l.shape[d]);
    row /= l.shape[d];
    off += idx[d] * st[d];
  }
  for (size_t cur = begin;;) {
    const size_t n = std::min(inner - pos, end - cur);
    f(off + static_cast<int64_t>(pos) * st[outer], n);
    cur += n;
    if (cur >= end) {
      return;
    }
    pos = 0;
    for (int d = outer - 1; d >= 0; --d) {
      if (++idx[d] < l.shape[d]) {
        off += st[d];
        break;
      }
      off -= (l.shape[d] - 1) * st[d];
      idx[d] = 0;
    }
  }
}

struct Plan {
  Layout kept;  // input strides of the kept dims
  Layout red;   // input strides of the reduced dims, all non-negative, the smallest innermost
  int64_t offset = 0;  // elements from the input's first element to the plan's origin
  size_t n_red = 1;
  const char* base = nullptr;
  size_t itemsize = 0;

  const char* at(int64_t offset_elems) const { return base + offset_elems * itemsize; }
};

Plan make_plan(const array& in, const std::vector<int>& axes) {
  Plan p;
  Shape kept_shape;
  Strides kept_strides;
  std::vector<std::pair<int64_t, ShapeElem>> red;  // (stride, size)
  for (size_t d = 0, k = 0; d < in.ndim(); ++d) {
    int64_t st = in.strides()[d];
    ShapeElem n = in.shape()[d];
    if (k < axes.size() && axes[k] == static_cast<int>(d)) {
      ++k;
      p.n_red *= static_cast<size_t>(n);
      // The order of a reduction does not matter: walk reversed dims forwards.
      if (st < 0 && n > 0) {
        p.offset += st * (n - 1);
        st = -st;
      }
      red.emplace_back(st, n);
    } else {
      kept_shape.push_back(n);
      kept_strides.push_back(st);
    }
  }
  // Broadcast dims outermost, then the largest strides: the innermost dim is the densest one.
  auto key = [](int64_t st) { return st == 0 ? std::numeric_limits<int64_t>::max() : st; };
  std::stable_sort(red.begin(), red.end(),
                   [&](const auto& a, const auto& b) { return key(a.first) > key(b.first); });
  Shape red_shape;
  Strides red_strides;
  for (auto& [st, n] : red) {
    red_shape.push_back(n);
    red_strides.push_back(st);
  }
  p.kept = collapse(kept_shape, {kept_strides});
  p.red = collapse(red_shape, {red_strides});
  p.itemsize = in.itemsize();
  p.base = in.data<char>();
  return p;
}

// Row mode: folds the reduced range [rb, re) of outputs [kb, ke) into acc (one accumulator per
// output, in order).
void reduce_rows(const Plan& p, const Kernels& k, size_t kb, size_t ke, size_t rb, size_t re,
                 unsigned char* acc) {
  const int64_t step = p.kept.strides[0].back();
  const int64_t stride = p.red.strides[0].back();
  for_each_run(p.kept, kb, ke, [&](int64_t koff, size_t count) {
    for_each_run(p.red, rb, re, [&](int64_t roff, size_t n) {
      k.runs(p.at(p.offset + koff + roff), n, stride, count, step, acc);
    });
    acc += count * k.acc_size;
  });
}

// Column mode: folds the reduced range [rb, re) of the w outputs from kept index `first` (all in
// one contiguous row of the kept dims) into acc; `partial` has room for w accumulators.
void reduce_columns(const Plan& p, const Kernels& k, size_t first, size_t w, size_t rb, size_t re,
                    unsigned char* acc, unsigned char* partial) {
  int64_t koff = 0;
  for_each_run(p.kept, first, first + 1, [&](int64_t off, size_t) { koff = off; });
  const int64_t stride = p.red.strides[0].back();
  for_each_run(p.red, rb, re, [&](int64_t roff, size_t n) {
    const int64_t origin = p.offset + koff + roff;
    if (!k.cascade) {
      k.rows(p.at(origin), stride, n, acc, w);
      return;
    }
    for (size_t r = 0; r < n; r += kCascade) {
      const size_t m = std::min(kCascade, n - r);
      k.fill(partial, w);
      k.rows(p.at(origin + static_cast<int64_t>(r) * stride), stride, m, partial, w);
      k.combine(acc, partial, w);
    }
  });
}

// Cuts the reduced range into chunks reduced in parallel by chunk(rb, re, acc) into n_out
// accumulators each, then combines the chunks pairwise into the output.
template <typename F>
void split_reduce(const Kernels& k, size_t n_out, size_t n_red, char* dst, F&& chunk) {
  const size_t n_chunks =
      std::clamp<size_t>(n_out * n_red / kGrain, 1, std::min(kMaxChunks, n_red));
  const size_t bytes = n_out * k.acc_size;
  std::vector<unsigned char> partials(n_chunks * bytes);
  parallel_for(n_chunks, 1, [&](size_t cb, size_t ce) {
    for (size_t c = cb; c < ce; ++c) {
      unsigned char* acc = partials.data() + c * bytes;
      k.fill(acc, n_out);
      chunk(c * n_red / n_chunks, (c + 1) * n_red / n_chunks, acc);
    }
  });
  for (size_t gap = 1; gap < n_chunks; gap *= 2) {
    for (size_t c = 0; c + gap < n_chunks; c += 2 * gap) {
      k.combine(partials.data() + c * bytes, partials.data() + (c + gap) * bytes, n_out);
    }
  }
  k.finish(partials.data(), dst, n_out);
}

void reduce(const array& in, array& out, const std::vector<int>& axes, const Kernels& k) {
  out.set_data(allocator::malloc(out.nbytes()));
  const size_t n_out = out.size();
  if (n_out == 0) {
    return;
  }
  char* dst = out.data<char>();
  const size_t osize = out.itemsize();
  const Plan p = make_plan(in, axes);
  const size_t n_red = p.n_red;

  if (n_red == 0) {
    parallel_for(n_out, kGrain, [&](size_t b, size_t e) {
      alignas(64) unsigned char acc[kBatch * kMaxAccSize];
      for (size_t kb = b; kb < e; kb += kBatch) {
        const size_t n = std::min(e, kb + kBatch) - kb;
        k.fill(acc, n);
        k.finish(acc, dst + kb * osize, n);
      }
    });
    return;
  }

  const bool columns =
      p.red.strides[0].back() != 1 && p.kept.strides[0].back() == 1 && p.kept.inner() > 1;
  const bool small = n_out * n_red < 2 * kGrain;

  if (!columns) {
    if (n_out >= kMinTasks || small) {
      const size_t grain = std::max<size_t>(1, kGrain / n_red);
      parallel_for(n_out, grain, [&](size_t b, size_t e) {
        alignas(64) unsigned char acc[kBatch * kMaxAccSize];
        for (size_t kb = b; kb < e; kb += kBatch) {
          const size_t ke = std::min(e, kb + kBatch);
          k.fill(acc, ke - kb);
          reduce_rows(p, k, kb, ke, 0, n_red, acc);
          k.finish(acc, dst + kb * osize, ke - kb);
        }
      });
    } else {
      split_reduce(k, n_out, n_red, dst, [&](size_t rb, size_t re, unsigned char* acc) {
        reduce_rows(p, k, 0, n_out, rb, re, acc);
      });
    }
    return;
  }

  const size_t width = p.kept.inner();
  const size_t outer = n_out / width;
  // Whether to split depends on the sizes alone, as it changes how float sums round; the block
  // width does not, and is narrowed only to give every thread work.
  const bool split = !small && outer * ((width + kMinColBlock - 1) / kMinColBlock) < kMinTasks;
  const size_t want = 2 * static_cast<size_t>(num_threads());
  size_t block = kColBlock;
  while (!split && block > kMinColBlock && outer * ((width + block - 1) / block) < want) {
    block /= 2;
  }
  const size_t blocks = (width + block - 1) / block;
  const size_t n_tasks = outer * blocks;
  // Task t covers the columns [first, first + w) of the kept index space.
  auto columns_of = [&](size_t t) {
    const size_t j0 = (t % blocks) * block;
    return std::pair<size_t, size_t>{(t / blocks) * width + j0, std::min(block, width - j0)};
  };
  if (!split) {
    const size_t grain = std::max<size_t>(1, kGrain / (block * n_red));
    parallel_for(n_tasks, grain, [&](size_t b, size_t e) {
      alignas(64) unsigned char acc[kColBlock * kMaxAccSize];
      alignas(64) unsigned char partial[kColBlock * kMaxAccSize];
      for (size_t t = b; t < e; ++t) {
        auto [first, w] = columns_of(t);
        k.fill(acc, w);
        reduce_columns(p, k, first, w, 0, n_red, acc, partial);
        k.finish(acc, dst + first * osize, w);
      }
    });
  } else {
    split_reduce(k, n_out, n_red, dst, [&](size_t rb, size_t re, unsigned char* acc) {
      alignas(64) unsigned char partial[kColBlock * kMaxAccSize];
      for (size_t t = 0; t < n_tasks; ++t) {
        auto [first, w] = columns_of(t);
        reduce_columns(p, k, first, w, rb, re, acc + first * k.acc_size, partial);
      }
    });
  }
}

// ---- argmin and argmax ----

// Compared as: half floats in float32, everything else as itself.
template <typename T>
using ArgValue = std::conditional_t<kIsHalf<T>, float, T>;

// Whether v beats the best so far b: strictly better, so that the first of equal values stays;
// a NaN beats every number and nothing beats a NaN, so the first NaN wins. Branch-free, so that
// the column scan vectorises.
template <ArgReduceOp op, typename V>
inline bool arg_better(V v, V b) {
  bool better = op == ArgReduceOp::ArgMax ? b < v : v < b;
  if constexpr (std::is_floating_point_v<V>) {
    better = better | ((v != v) & (b == b));
  }
  return better;
}

// The index of the first of p[0], p[stride], ... (n of them) that equals the extreme m (or is
// NaN when m is). Blocks are tested whole (a loop without an exit, which vectorises) before the
// hit is located.
template <typename T, typename V>
uint32_t arg_find(const T* p, size_t n, V m) {
  constexpr size_t kFindBlock = 64;
  bool nan = false;
  if constexpr (std::is_floating_point_v<V>) {
    nan = m != m;
  }
  auto hit = [&](size_t i) {
    V v = static_cast<V>(p[i]);
    if constexpr (std::is_floating_point_v<V>) {
      return nan ? v != v : v == m;
    } else {
      return v == m;
    }
  };
  size_t i = 0;
  for (; i + kFindBlock <= n; i += kFindBlock) {
    // Counting (rather than or-ing bools) is what the compiler vectorises.
    int hits = 0;
    if constexpr (std::is_floating_point_v<V>) {
      if (nan) {
        for (size_t k = 0; k < kFindBlock; ++k) {
          V v = static_cast<V>(p[i + k]);
          hits += v != v;
        }
        if (hits) {
          break;
        }
        continue;
      }
    }
    for (size_t k = 0; k < kFindBlock; ++k) {
      hits += static_cast<V>(p[i + k]) == m;
    }
    if (hits) {
      break;
    }
  }
  for (; i < n; ++i) {
    if (hit(i)) {
      break;
    }
  }
  return static_cast<uint32_t>(i);
}

// out[j] = the index along the axis (n values, `stride` apart) of the best of the j-th of
// `count` outputs, the outputs `step` apart.
template <ArgReduceOp op, typename T>
void arg_runs(const T* p, size_t n, int64_t stride, size_t count, int64_t step, uint32_t* out) {
  using V = ArgValue<T>;
  if (stride == 1 && !std::is_same_v<T, complex64_t>) {
    // Contiguous runs: the extreme value at reduction speed (SIMD for floats), then the first
    // index holding it, which is the first best one.
    constexpr ReduceOp rop = op == ArgReduceOp::ArgMax ? ReduceOp::Max : ReduceOp::Min;
    for (size_t j = 0; j < count; ++j) {
      const T* q = p + static_cast<int64_t>(j) * step;
      V m;
      if constexpr (kIsSimdType<T>) {
        static const SimdReduce<T> simd = simd_reduce<T>(rop);
        if (simd.run) {
          m = static_cast<V>(simd.run(q, n));
        } else {
          m = KernelsOf<rop, T, V, T>::run(q, n, 1);
        }
      } else {
        m = KernelsOf<rop, T, V, T>::run(q, n, 1);
      }
      out[j] = arg_find(q, n, m);
    }
    return;
  }
  if (count == 1 || step != 1) {
    for (size_t j = 0; j < count; ++j) {
      const T* q = p + static_cast<int64_t>(j) * step;
      V best = static_cast<V>(q[0]);
      uint32_t idx = 0;
      for (size_t i = 1; i < n; ++i) {
        V v = static_cast<V>(q[static_cast<int64_t>(i) * stride]);
        if (arg_better<op>(v, best)) {
          best = v;
          idx = static_cast<uint32_t>(i);
        }
      }
      out[j] = idx;
    }
    return;
  }
  // Adjacent outputs (step 1) over a strided axis: scanned together row by row, so that memory
  // is read in order, with the running best of each output in a block.
  constexpr size_t kBlock = 256;
  V best[kBlock];
  uint32_t idx[kBlock];
  for (size_t j0 = 0; j0 < count; j0 += kBlock) {
    const size_t m = std::min(kBlock, count - j0);
    for (size_t j = 0; j < m; ++j) {
      best[j] = static_cast<V>(p[j0 + j]);
      idx[j] = 0;
    }
    for (size_t i = 1; i < n; ++i) {
      const T* row = p + static_cast<int64_t>(i) * stride + j0;
      const uint32_t ii = static_cast<uint32_t>(i);
      for (size_t j = 0; j < m; ++j) {
        V v = static_cast<V>(row[j]);
        bool take = arg_better<op>(v, best[j]);
        best[j] = take ? v : best[j];
        idx[j] = take ? ii : idx[j];
      }
    }
    std::copy_n(idx, m, out + j0);
  }
}

template <ArgReduceOp op, typename T>
void arg_reduce(const array& in, array& out, int axis) {
  out.set_data(allocator::malloc(out.nbytes()));
  const size_t n_out = out.size();
  if (n_out == 0) {
    return;
  }
  Shape kept_shape;
  Strides kept_strides;
  for (int d = 0; d < static_cast<int>(in.ndim()); ++d) {
    if (d != axis) {
      kept_shape.push_back(in.shape()[d]);
      kept_strides.push_back(in.strides()[d]);
    }
  }
  const Layout kept = collapse(kept_shape, {kept_strides});
  const int64_t step = kept.strides[0].back();
  const size_t n = static_cast<size_t>(in.shape()[axis]);
  const int64_t stride = in.strides()[axis];
  const T* src = in.data<T>();
  uint32_t* dst = out.data<uint32_t>();
  parallel_for(n_out, std::max<size_t>(1, kGrain / n), [&](size_t b, size_t e) {
    size_t k = b;
    for_each_run(kept, b, e, [&](int64_t koff, size_t count) {
      arg_runs<op>(src + koff, n, stride, count, step, dst + k);
      k += count;
    });
  });
}

}  // namespace

}  // namespace cpu

void ArgReduce::eval_cpu(const std::vector<array>& inputs, array& out) {
  dispatch_dtype(inputs[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (op() == ArgReduceOp::ArgMin) {
      cpu::arg_reduce<ArgReduceOp::ArgMin, T>(inputs[0], out, axis());
    } else {
      cpu::arg_reduce<ArgReduceOp::ArgMax, T>(inputs[0], out, axis());
    }
  });
}

void Reduce::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::reduce(inputs[0], out, axes(), cpu::kernels_for(op(), inputs[0].dtype(), out.dtype()));
}

}  // namespace mlx::core
