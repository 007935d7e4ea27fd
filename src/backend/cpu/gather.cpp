// Gather and scatter on the CPU: Gather, GatherAxis, Scatter, ScatterAxis.
//
// Indices are read a block at a time into int64 offsets (wrapped, checked against the axis,
// scaled by its stride) by one routine per index dtype, so the kernels proper are templated on
// the element type only, and no offset is used before its block has been checked.
#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>

#include "backend/cpu/copy.h"
#include "backend/cpu/strided.h"
#include "backend/cpu/thread_pool.h"
#include "core/allocator_internal.h"
#include "core/dtype_utils.h"
#include "ops/gather.h"

namespace mlx::core {

namespace {

// Indices per block: the offsets of a block stay in L1.
constexpr size_t kBlock = 512;

// An index array as the kernels read it, and the axis it indexes.
struct IndexSource {
  const void* data;
  Dtype dtype;
  bool scalar;  // one value broadcast, else row-contiguous
  const char* op;
  int axis;
  int64_t size;    // the axis size
  int64_t limit;   // the largest valid start: size less the slice size
  int64_t stride;  // elements between positions along the axis
};

[[noreturn]] void out_of_range(const IndexSource& s, const std::string& value) {
  std::string msg = std::string("[") + s.op + "] Index " + value + " is out of range for axis " +
                    std::to_string(s.axis) + " of size " + std::to_string(s.size);
  if (s.limit != s.size - 1) {
    msg += " with slices of size " + std::to_string(s.size - s.limit);
  }
  throw std::runtime_error(msg + ".");
}

// dst[t] (or dst[t] += with `accumulate`) = stride * the index at position first + t, wrapped
// from the end; throws when one is out of range.
template <typename I>
void load_typed(const IndexSource& s, size_t first, size_t n, int64_t* dst, bool accumulate) {
  const I* p = static_cast<const I*>(s.data) + (s.scalar ? 0 : first);
  const size_t step = s.scalar ? 0 : 1;
  bool bad = false;
  for (size_t t = 0; t < n; ++t) {
    int64_t v = static_cast<int64_t>(p[t * step]);
    if constexpr (std::is_signed_v<I>) {
      v += v < 0 ? s.size : 0;
    }
    // A uint64 index above int64's range lands below 0 here, so it is caught too.
    bad |= (v < 0) | (v > s.limit);
    // Unsigned arithmetic: a bad index must not overflow before the block is rejected.
    uint64_t scaled = static_cast<uint64_t>(v) * static_cast<uint64_t>(s.stride);
    dst[t] = static_cast<int64_t>(accumulate ? static_cast<uint64_t>(dst[t]) + scaled : scaled);
  }
  if (bad) {
    for (size_t t = 0;; ++t) {
      I raw = p[t * step];
      int64_t v = static_cast<int64_t>(raw);
      if constexpr (std::is_signed_v<I>) {
        v += v < 0 ? s.size : 0;
      }
      if (v < 0 || v > s.limit) {
        out_of_range(s, std::to_string(+raw));
      }
    }
  }
}

void load_indices(const IndexSource& s, size_t first, size_t n, int64_t* dst, bool accumulate) {
  dispatch_dtype(s.dtype, [&](auto tag) {
    using I = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<I> && !std::is_same_v<I, bool>) {
      load_typed<I>(s, first, n, dst, accumulate);
    }
  });
}

// off[t] = the element offset of index tuple first + t: the sum over the index arrays.
void resolve_offsets(const std::vector<IndexSource>& srcs, size_t first, size_t n, int64_t* off) {
  if (srcs.empty()) {
    std::fill(off, off + n, 0);
  }
  for (size_t k = 0; k < srcs.size(); ++k) {
    load_indices(srcs[k], first, n, off, k > 0);
  }
}

// `x` itself when it is row-contiguous (or, with `scalar_ok`, one value broadcast), else a
// row-contiguous copy.
array row_contiguous(const array& x, bool scalar_ok = false) {
  if (x.flags().row_contiguous || (scalar_ok && x.data_size() == 1)) {
    return x;
  }
  array c(x.shape(), x.dtype(), nullptr, {});
  cpu::copy_to_contiguous(x, c);
  return c;
}

// Fills out with a's values, in a's own buffer when nobody else needs it.
void copy_or_donate(const array& a, array& out) {
  if (a.is_donatable() && a.flags().row_contiguous && a.data_size() == a.size() &&
      !allocator::detail::is_wrapped(a.buffer())) {
    out.copy_shared_buffer(a);
  } else {
    cpu::copy_to_contiguous(a, out);
  }
}

Strides row_major(const Shape& shape) {
  Strides st(shape.size(), 1);
  for (int d = static_cast<int>(shape.size()) - 2; d >= 0; --d) {
    st[d] = st[d + 1] * shape[d + 1];
  }
  return st;
}

size_t product(Shape::const_iterator begin, Shape::const_iterator end) {
  size_t n = 1;
  for (auto it = begin; it != end; ++it) n *= static_cast<size_t>(*it);
  return n;
}

// Calls f with the unsigned type of an element size: kernels that only move elements use it.
template <typename F>
void dispatch_size(size_t itemsize, F&& f) {
  switch (itemsize) {
    case 1:
      return f(TypeTag<uint8_t>{});
    case 2:
      return f(TypeTag<uint16_t>{});
    case 4:
      return f(TypeTag<uint32_t>{});
    default:
      return f(TypeTag<uint64_t>{});
  }
}

// The rows of a slice (a layout of two arrays: the slice in the big array, and a row-major
// one), and the offsets of each row, worked out once for slices copied for every index tuple.
struct SliceRows {
  explicit SliceRows(const cpu::Layout& l, bool precompute)
      : layout(l),
        inner(l.inner()),
        big_stride(l.strides[0].back()),
        small_stride(l.strides[1].back()) {
    if (precompute) {
      offsets.resize(l.rows());
      cpu::for_each_row<2>(l, 0, l.rows(),
                           [&](size_t r, const std::array<int64_t, 2>& o) { offsets[r] = o; });
    }
  }

  // Calls f(big_offset, small_offset) for rows [rb, re).
  template <typename F>
  void each(size_t rb, size_t re, F&& f) const {
    if (offsets.empty()) {
      cpu::for_each_row<2>(layout, rb, re,
                           [&](size_t, const std::array<int64_t, 2>& o) { f(o[0], o[1]); });
    } else {
      for (size_t r = rb; r < re; ++r) f(offsets[r][0], offsets[r][1]);
    }
  }

  const cpu::Layout& layout;
  size_t inner;
  int64_t big_stride, small_stride;
  std::vector<std::array<int64_t, 2>> offsets;
};

// Rows [rb, re) of a slice from `src` (the big array) to `dst` (row-major).
template <typename E>
void copy_slice_rows(const E* src, E* dst, const SliceRows& sr, size_t rb, size_t re) {
  const int64_t ss = sr.big_stride;
  const int64_t ds = sr.small_stride;
  sr.each(rb, re, [&](int64_t so, int64_t d_o) {
    if (ss == 1 && ds == 1) {
      std::memcpy(dst + d_o, src + so, sr.inner * sizeof(E));
    } else {
      for (size_t i = 0; i < sr.inner; ++i) {
        dst[d_o + static_cast<int64_t>(i) * ds] = src[so + static_cast<int64_t>(i) * ss];
      }
    }
  });
}

template <typename E>
void gather_kernel(const array& a, const std::vector<IndexSource>& srcs, size_t n_idx,
                   const Shape& slice_sizes, array& out) {
  const E* src = a.data<E>();
  E* dst = out.data<E>();
  const size_t slice = product(slice_sizes.begin(), slice_sizes.end());
  if (slice == 1) {
    // One element per index tuple (take along an axis, NumPy's fancy indexing of elements).
    cpu::parallel_for(n_idx, cpu::kElementwiseGrain / 2, [&](size_t b, size_t e) {
      int64_t off[kBlock];
      for (size_t i0 = b; i0 < e; i0 += kBlock) {
        size_t n = std::min(kBlock, e - i0);
        resolve_offsets(srcs, i0, n, off);
        E* d = dst + i0;
        for (size_t t = 0; t < n; ++t) {
          d[t] = src[off[t]];
        }
      }
    });
    return;
  }
  auto l = cpu::collapse(slice_sizes, {a.strides(), row_major(slice_sizes)});
  const bool large = slice >= cpu::kElementwiseGrain;
  SliceRows sr(l, !large);
  if (large) {
    // Few large slices: each is copied by the whole pool.
    const size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / l.inner());
    for (size_t i = 0; i < n_idx; ++i) {
      int64_t off;
      resolve_offsets(srcs, i, 1, &off);
      cpu::parallel_for(l.rows(), grain, [&](size_t rb, size_t re) {
        copy_slice_rows(src + off, dst + i * slice, sr, rb, re);
      });
    }
    return;
  }
  cpu::parallel_for(n_idx, std::max<size_t>(1, cpu::kElementwiseGrain / slice),
                    [&](size_t b, size_t e) {
                      int64_t off[kBlock];
                      for (size_t i0 = b; i0 < e; i0 += kBlock) {
                        size_t n = std::min(kBlock, e - i0);
                        resolve_offsets(srcs, i0, n, off);
                        for (size_t t = 0; t < n; ++t) {
                          copy_slice_rows(src + off[t], dst + (i0 + t) * slice, sr, 0, l.rows());
                        }
                      }
                    });
}

// How scatters combine an update u into the value o at its position. Integers wrap.
struct AssignOp {
  template <typename T>
  static void apply(T& o, T u) {
    o = u;
  }
};

struct AddOp {
  template <typename T>
  static void apply(T& o, T u) {
    if constexpr (std::is_same_v<T, bool>) {
      o = o || u;
    } else if constexpr (std::is_integral_v<T>) {
      o = static_cast<T>(static_cast<uint64_t>(o) + static_cast<uint64_t>(u));
    } else {
      o = static_cast<T>(o + u);
    }
  }
};

struct MulOp {
  template <typename T>
  static void apply(T& o, T u) {
    if constexpr (std::is_same_v<T, bool>) {
      o = o && u;
    } else if constexpr (std::is_integral_v<T>) {
      o = static_cast<T>(static_cast<uint64_t>(o) * static_cast<uint64_t>(u));
    } else {
      o = static_cast<T>(o * u);
    }
  }
};

// NaN propagates (once there, it stays); complex values compare lexicographically.
struct MaxOp {
  template <typename T>
  static void apply(T& o, T u) {
    if constexpr (std::is_integral_v<T>) {
      o = u > o ? u : o;
    } else {
      o = (u > o || u != u) ? u : o;
    }
  }
};

struct MinOp {
  template <typename T>
  static void apply(T& o, T u) {
    if constexpr (std::is_integral_v<T>) {
      o = u < o ? u : o;
    } else {
      o = (u < o || u != u) ? u : o;
    }
  }
};

// Index tuples are applied in row-major order, one after the other, so that of several writes
// to one position the last wins and combinations are deterministic; large slices are combined
// by the whole pool, and many single elements by threads that each own part of the output.
template <typename T, typename Op>
void scatter_kernel(const array& upd, const std::vector<IndexSource>& srcs, size_t n_idx,
                    const Shape& slice_shape, array& out) {
  T* dst = out.data<T>();
  const T* u = upd.data<T>();
  const size_t slice = product(slice_shape.begin(), slice_shape.end());
  if (slice == 1) {
    // Many updates: the threads split the output, each reading every index and applying, in
    // order, the updates that land in its part.
    const size_t parts = n_idx >= (1 << 16) ? static_cast<size_t>(cpu::num_threads()) : 1;
    const int64_t size = static_cast<int64_t>(out.size());
    cpu::parallel_for(parts, 1, [&](size_t pb, size_t pe) {
      const int64_t lo = size * static_cast<int64_t>(pb) / static_cast<int64_t>(parts);
      const int64_t hi = size * static_cast<int64_t>(pe) / static_cast<int64_t>(parts);
      int64_t part_off[kBlock];
      for (size_t i0 = 0; i0 < n_idx; i0 += kBlock) {
        size_t n = std::min(kBlock, n_idx - i0);
        resolve_offsets(srcs, i0, n, part_off);
        for (size_t t = 0; t < n; ++t) {
          if (part_off[t] >= lo && part_off[t] < hi) {
            Op::apply(dst[part_off[t]], u[i0 + t]);
          }
        }
      }
    });
    return;
  }
  Strides out_strides(out.strides().end() - slice_shape.size(), out.strides().end());
  auto l = cpu::collapse(slice_shape, {out_strides, row_major(slice_shape)});
  const bool parallel = slice >= cpu::kElementwiseGrain;
  SliceRows sr(l, !parallel);
  const size_t inner = l.inner();
  const int64_t ds = sr.big_stride;
  const int64_t us = sr.small_stride;
  auto rows = [&](T* d, const T* s, size_t rb, size_t re) {
    sr.each(rb, re, [&](int64_t d_o, int64_t so) {
      for (size_t i = 0; i < inner; ++i) {
        Op::apply(d[d_o + static_cast<int64_t>(i) * ds], s[so + static_cast<int64_t>(i) * us]);
      }
    });
  };
  const size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / inner);
  int64_t off[kBlock];
  for (size_t i0 = 0; i0 < n_idx; i0 += kBlock) {
    size_t n = std::min(kBlock, n_idx - i0);
    resolve_offsets(srcs, i0, n, off);
    for (size_t t = 0; t < n; ++t) {
      T* d = dst + off[t];
      const T* s = u + (i0 + t) * slice;
      cpu::parallel_for_if(parallel, l.rows(), grain,
                           [&](size_t rb, size_t re) { rows(d, s, rb, re); });
    }
  }
}

// The position along the axis of index array (or value) element f: elements are laid out
// (pre, n, post) around the axis.
struct AxisDims {
  size_t pre, n_a, n_idx, post;
};

AxisDims axis_dims(const array& a, const array& idx, int axis) {
  return {product(a.shape().begin(), a.shape().begin() + axis), static_cast<size_t>(a.shape(axis)),
          static_cast<size_t>(idx.shape(axis)),
          product(a.shape().begin() + axis + 1, a.shape().end())};
}

template <typename E>
void gather_axis_kernel(const array& a, const IndexSource& src, const AxisDims& d, array& out) {
  const E* in = a.data<E>();
  E* dst = out.data<E>();
  const size_t row = d.n_idx * d.post;
  cpu::parallel_for(out.size(), cpu::kElementwiseGrain / 2, [&](size_t b, size_t e) {
    int64_t idx[kBlock];
    size_t q = b % d.post;
    size_t j = (b / d.post) % d.n_idx;
    size_t p = b / row;
    // The offset in a of the element at (p, 0, q).
    int64_t base = static_cast<int64_t>(p * d.n_a * d.post + q);
    for (size_t f0 = b; f0 < e; f0 += kBlock) {
      size_t n = std::min(kBlock, e - f0);
      load_indices(src, f0, n, idx, false);
      for (size_t t = 0; t < n; ++t) {
        dst[f0 + t] = in[base + idx[t]];
        ++base;
        if (++q == d.post) {
          q = 0;
          base -= static_cast<int64_t>(d.post);
          if (++j == d.n_idx) {
            j = 0;
            base += static_cast<int64_t>(d.n_a * d.post);
          }
        }
      }
    }
  });
}

// Work is split between positions that can never collide (different pre or post positions);
// along the axis the values are applied in order, so the last write wins.
template <typename T, typename Op>
void scatter_axis_kernel(const array& values, const IndexSource& src, const AxisDims& d,
                         array& out) {
  T* dst = out.data<T>();
  const T* v = values.data<T>();
  if (d.post == 1) {
    cpu::parallel_for(d.pre, std::max<size_t>(1, cpu::kElementwiseGrain / d.n_idx),
                      [&](size_t pb, size_t pe) {
                        int64_t idx[kBlock];
                        for (size_t p = pb; p < pe; ++p) {
                          T* o = dst + p * d.n_a;
                          for (size_t j0 = 0; j0 < d.n_idx; j0 += kBlock) {
                            size_t n = std::min(kBlock, d.n_idx - j0);
                            size_t f0 = p * d.n_idx + j0;
                            load_indices(src, f0, n, idx, false);
                            for (size_t t = 0; t < n; ++t) {
                              Op::apply(o[idx[t]], v[f0 + t]);
                            }
                          }
                        }
                      });
    return;
  }
  const size_t blocks = (d.post + kBlock - 1) / kBlock;
  cpu::parallel_for(
      d.pre * blocks,
      std::max<size_t>(1, cpu::kElementwiseGrain / (d.n_idx * std::min(d.post, kBlock))),
      [&](size_t ub, size_t ue) {
        int64_t idx[kBlock];
        for (size_t u = ub; u < ue; ++u) {
          size_t p = u / blocks;
          size_t q0 = (u % blocks) * kBlock;
          size_t n = std::min(kBlock, d.post - q0);
          T* o = dst + p * d.n_a * d.post + q0;
          for (size_t j = 0; j < d.n_idx; ++j) {
            size_t f0 = (p * d.n_idx + j) * d.post + q0;
            load_indices(src, f0, n, idx, false);
            for (size_t t = 0; t < n; ++t) {
              Op::apply(o[idx[t] + static_cast<int64_t>(t)], v[f0 + t]);
            }
          }
        }
      });
}

template <template <typename, typename> class Kernel, typename... Args>
void dispatch_scatter(ScatterOp op, const array& out, Args&&... args) {
  auto run = [&](auto op_tag) {
    using Op = typename decltype(op_tag)::type;
    dispatch_dtype(out.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      Kernel<T, Op>::run(args...);
    });
  };
  switch (op) {
    case ScatterOp::None:
      // Moving bits needs no arithmetic type.
      return dispatch_size(out.itemsize(), [&](auto tag) {
        using E = typename decltype(tag)::type;
        Kernel<E, AssignOp>::run(args...);
      });
    case ScatterOp::Sum:
      return run(TypeTag<AddOp>{});
    case ScatterOp::Prod:
      return run(TypeTag<MulOp>{});
    case ScatterOp::Max:
      return run(TypeTag<MaxOp>{});
    case ScatterOp::Min:
      return run(TypeTag<MinOp>{});
  }
}

template <typename T, typename Op>
struct ScatterKernel {
  static void run(const array& upd, const std::vector<IndexSource>& srcs, size_t n_idx,
                  const Shape& slice_shape, array& out) {
    scatter_kernel<T, Op>(upd, srcs, n_idx, slice_shape, out);
  }
};

template <typename T, typename Op>
struct ScatterAxisKernel {
  static void run(const array& values, const IndexSource& src, const AxisDims& d, array& out) {
    if constexpr (std::is_same_v<Op, AssignOp> || std::is_same_v<Op, AddOp>) {
      scatter_axis_kernel<T, Op>(values, src, d, out);
    }
  }
};

}  // namespace

void Gather::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  const auto& a = inputs[0];
  std::vector<array> idx;
  std::vector<IndexSource> srcs;
  for (size_t k = 1; k < inputs.size(); ++k) {
    idx.push_back(row_contiguous(inputs[k], true));
    int ax = axes()[k - 1];
    int64_t n = a.shape(ax);
    srcs.push_back({idx.back().data<void>(), idx.back().dtype(), !idx.back().flags().row_contiguous,
                    "gather", ax, n, n - slice_sizes()[ax], a.strides()[ax]});
  }
  size_t n_idx = idx.empty() ? 1 : idx[0].size();
  dispatch_size(out.itemsize(), [&](auto tag) {
    using E = typename decltype(tag)::type;
    gather_kernel<E>(a, srcs, n_idx, slice_sizes(), out);
  });
}

void GatherAxis::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  auto a = row_contiguous(inputs[0]);
  auto idx = row_contiguous(inputs[1], true);
  int64_t n = a.shape(axis());
  auto d = axis_dims(a, idx, axis());
  IndexSource src{idx.data<void>(),
                  idx.dtype(),
                  !idx.flags().row_contiguous,
                  "take_along_axis",
                  axis(),
                  n,
                  n - 1,
                  static_cast<int64_t>(d.post)};
  dispatch_size(out.itemsize(), [&](auto tag) {
    using E = typename decltype(tag)::type;
    gather_axis_kernel<E>(a, src, d, out);
  });
}

void Scatter::eval_cpu(const std::vector<array>& inputs, array& out) {
  const auto& a = inputs[0];
  copy_or_donate(a, out);
  if (inputs.back().size() == 0) {
    return;
  }
  auto upd = row_contiguous(inputs.back());
  const size_t k = upd.ndim() - a.ndim();
  Shape slice_shape(upd.shape().begin() + k, upd.shape().end());
  std::vector<array> idx;
  std::vector<IndexSource> srcs;
  const char* name = detail::scatter_op_name(op(), false);
  for (size_t i = 1; i + 1 < inputs.size(); ++i) {
    idx.push_back(row_contiguous(inputs[i], true));
    int ax = axes()[i - 1];
    int64_t n = a.shape(ax);
    srcs.push_back({idx.back().data<void>(), idx.back().dtype(), !idx.back().flags().row_contiguous,
                    name, ax, n, n - slice_shape[ax], out.strides()[ax]});
  }
  size_t n_idx = idx.empty() ? 1 : idx[0].size();
  dispatch_scatter<ScatterKernel>(op(), out, upd, srcs, n_idx, slice_shape, out);
}

void ScatterAxis::eval_cpu(const std::vector<array>& inputs, array& out) {
  copy_or_donate(inputs[0], out);
  if (inputs[1].size() == 0) {
    return;
  }
  auto idx = row_contiguous(inputs[1], true);
  auto values = row_contiguous(inputs[2]);
  int64_t n = out.shape(axis());
  auto d = axis_dims(out, idx, axis());
  IndexSource src{idx.data<void>(),
                  idx.dtype(),
                  !idx.flags().row_contiguous,
                  detail::scatter_op_name(op(), true),
                  axis(),
                  n,
                  n - 1,
                  static_cast<int64_t>(d.post)};
  dispatch_scatter<ScatterAxisKernel>(op(), out, values, src, d, out);
}

}  // namespace mlx::core
