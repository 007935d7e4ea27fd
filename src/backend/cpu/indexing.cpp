// Indexing on the CPU: SliceUpdate (plain and reducing), DynamicSlice, DynamicSliceUpdate,
// MaskedScatter, MaskedGather, Depends.
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "backend/cpu/copy.h"
#include "backend/cpu/strided.h"
#include "backend/cpu/thread_pool.h"
#include "core/allocator_internal.h"
#include "core/dtype_utils.h"
#include "mlx/backend/common/utils.h"
#include "ops/indexing.h"

namespace mlx::core {

namespace {

// Copies of single elements: one kernel per item size.
template <typename F>
void dispatch_itemsize(size_t itemsize, F&& f) {
  switch (itemsize) {
    case 1:
      return f(uint8_t{});
    case 2:
      return f(uint16_t{});
    case 4:
      return f(uint32_t{});
    default:
      return f(uint64_t{});
  }
}

// out[region] = combine(out[region], upd), the region given by `out` (its first element) and
// `out_strides`, in upd's shape.
template <typename T, typename Combine>
void update_region(T* out, const Strides& out_strides, const array& upd, Combine combine) {
  auto l = cpu::collapse(upd.shape(), {out_strides, upd.strides()});
  size_t inner = l.inner();
  int64_t so = l.strides[0].back();
  int64_t su = l.strides[1].back();
  const T* u = upd.data<T>();
  size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / std::max<size_t>(inner, 1));
  cpu::parallel_for(l.rows(), grain, [&](size_t rb, size_t re) {
    cpu::for_each_row<2>(l, rb, re, [&](size_t, const std::array<int64_t, 2>& offs) {
      T* o = out + offs[0];
      const T* v = u + offs[1];
      for (size_t k = 0; k < inner; ++k) {
        auto i = static_cast<int64_t>(k);
        o[i * so] = combine(o[i * so], v[i * su]);
      }
    });
  });
}

template <typename T>
bool greater_or_nan(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    return a > b;
  } else {
    return a > b || a != a;
  }
}

template <typename T>
bool less_or_nan(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    return a < b;
  } else {
    return a < b || a != a;
  }
}

// Writes (or combines) upd into the region of out starting at element `offset` with `strides`.
void write_region(array& out, int64_t offset, const Strides& strides, const array& upd,
                  SliceReduce reduce) {
  if (upd.size() == 0) {
    return;
  }
  if (reduce == SliceReduce::None) {
    // A plain write moves bits: one kernel per item size.
    return dispatch_itemsize(out.itemsize(), [&](auto tag) {
      using T = decltype(tag);
      update_region(out.data<T>() + offset, strides, upd, [](T, T v) { return v; });
    });
  }
  dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = out.data<T>() + offset;
    switch (reduce) {
      case SliceReduce::Sum:
        return update_region(o, strides, upd, [](T a, T b) { return static_cast<T>(a + b); });
      case SliceReduce::Prod:
        return update_region(o, strides, upd, [](T a, T b) { return static_cast<T>(a * b); });
      case SliceReduce::Max:
        return update_region(o, strides, upd,
                             [](T a, T b) { return greater_or_nan(a, b) ? a : b; });
      default:
        return update_region(o, strides, upd, [](T a, T b) { return less_or_nan(a, b) ? a : b; });
    }
  });
}

// `out` holds a row-contiguous copy of `src`, or src's own buffer when nobody else needs it.
void copy_or_donate(const array& src, array& out) {
  if (src.is_donatable() && src.flags().row_contiguous && src.data_size() == src.size() &&
      !allocator::detail::is_wrapped(src.buffer())) {
    out.copy_shared_buffer(src);
  } else {
    cpu::copy_to_contiguous(src, out);
  }
}

// The element offset (in `strides`) of a dynamic slice of `size` in `shape`, its starts along
// `axes` read from the 1-D integer array `start`: negative ones count from the end, then each is
// clamped so the slice fits.
int64_t dynamic_offset(const array& start, const std::vector<int>& axes, const Shape& shape,
                       const Shape& size, const Strides& strides) {
  int64_t offset = 0;
  dispatch_dtype(start.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T>) {
      for (size_t i = 0; i < axes.size(); ++i) {
        int ax = axes[i];
        int64_t n = shape[ax];
        auto v = start.data<T>()[static_cast<int64_t>(i) * start.strides()[0]];
        int64_t b;
        if constexpr (std::is_signed_v<T>) {
          b = v < 0 ? int64_t{v} + n : int64_t{v};
        } else {
          b = static_cast<int64_t>(std::min<uint64_t>(v, static_cast<uint64_t>(n)));
        }
        b = std::clamp<int64_t>(b, 0, n - size[ax]);
        offset += b * strides[ax];
      }
    }
  });
  return offset;
}

array row_contiguous(const array& in) {
  if (in.flags().row_contiguous) {
    return in;
  }
  array tmp(in.shape(), in.dtype(), nullptr, {});
  cpu::copy_to_contiguous(in, tmp);
  return tmp;
}

// The masked kernels walk each row (batch element) of a row-contiguous mask in chunks; the
// positions a chunk starts from in the row's packed (source) order come from counting the mask
// over the chunks before it.
struct MaskedChunks {
  static constexpr size_t kChunk = 1 << 16;
  size_t rows, row_size, per_row;
  std::vector<size_t> first;   // packed position of each chunk's first true
  std::vector<size_t> totals;  // trues per row

  MaskedChunks(const bool* mask, size_t rows, size_t row_size)
      : rows(rows), row_size(row_size), per_row((row_size + kChunk - 1) / kChunk) {
    first.assign(rows * per_row, 0);
    cpu::parallel_for(first.size(), 1, [&](size_t cb, size_t ce) {
      for (size_t c = cb; c < ce; ++c) {
        auto [b, e] = bounds(c);
        size_t n = 0;
        for (size_t i = b; i < e; ++i) {
          n += mask[i];
        }
        first[c] = n;
      }
    });
    totals.assign(rows, 0);
    for (size_t r = 0; r < rows; ++r) {
      size_t run = 0;
      for (size_t k = 0; k < per_row; ++k) {
        size_t n = first[r * per_row + k];
        first[r * per_row + k] = run;
        run += n;
      }
      totals[r] = run;
    }
  }

  // Element range [begin, end) of chunk c (row-major over all rows).
  std::pair<size_t, size_t> bounds(size_t c) const {
    size_t r = c / per_row, k = c % per_row;
    return {r * row_size + k * kChunk, r * row_size + std::min(row_size, (k + 1) * kChunk)};
  }

  // Calls f(row, element, packed position) for every true of the mask, chunks in parallel.
  template <typename F>
  void for_each_true(const bool* mask, F&& f) const {
    cpu::parallel_for(first.size(), 1, [&](size_t cb, size_t ce) {
      for (size_t c = cb; c < ce; ++c) {
        auto [b, e] = bounds(c);
        size_t r = c / per_row, pos = first[c];
        for (size_t i = b; i < e; ++i) {
          if (mask[i]) {
            f(r, i, pos++);
          }
        }
      }
    });
  }
};

}  // namespace

void SliceUpdate::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& upd = inputs[1];
  copy_or_donate(inputs[0], out);
  auto& [start, stop, steps, reduce] = state_;
  Strides strides(out.ndim());
  int64_t offset = 0;
  for (size_t i = 0; i < out.ndim(); ++i) {
    strides[i] = out.strides()[i] * steps[i];
    offset += static_cast<int64_t>(start[i]) * out.strides()[i];
  }
  write_region(out, offset, strides, upd, reduce);
}

void DynamicSlice::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& in = inputs[0];
  auto& [axes, size] = state_;
  int64_t offset =
      out.size() == 0 ? 0 : dynamic_offset(inputs[1], axes, in.shape(), size, in.strides());
  out.copy_shared_buffer(in, in.strides(), cpu::view_flags(out.shape(), in.strides()),
                         cpu::view_data_size(out.shape(), in.strides()), offset);
}

void DynamicSliceUpdate::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& upd = inputs[1];
  copy_or_donate(inputs[0], out);
  if (upd.size() == 0) {
    return;
  }
  auto& [axes] = state_;
  int64_t offset = dynamic_offset(inputs[2], axes, out.shape(), upd.shape(), out.strides());
  write_region(out, offset, out.strides(), upd, SliceReduce::None);
}

void MaskedScatter::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& [batched] = state_;
  copy_or_donate(inputs[0], out);
  if (out.size() == 0) {
    return;
  }
  auto mask = row_contiguous(inputs[1]);
  auto src = row_contiguous(inputs[2]);
  size_t rows = batched ? static_cast<size_t>(out.shape(0)) : 1;
  size_t src_len = src.ndim() == 0 ? 1 : static_cast<size_t>(src.shape().back());
  MaskedChunks chunks(mask.data<bool>(), rows, out.size() / rows);
  for (auto t : chunks.totals) {
    if (t > src_len) {
      std::ostringstream msg;
      msg << "[masked_scatter] The mask selects " << t << " positions but the source has only "
          << src_len << " values.";
      throw std::runtime_error(msg.str());
    }
  }
  dispatch_itemsize(out.itemsize(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    const T* v = src.data<T>();
    chunks.for_each_true(mask.data<bool>(),
                         [&](size_t r, size_t i, size_t pos) { o[i] = v[r * src_len + pos]; });
  });
}

void MaskedGather::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& [batched, length] = state_;
  out.set_data(allocator::malloc(out.nbytes()));
  std::memset(out.data<void>(), 0, out.nbytes());
  auto& in = inputs[0];
  if (in.size() == 0) {
    return;
  }
  auto x = row_contiguous(in);
  auto mask = row_contiguous(inputs[1]);
  size_t rows = batched ? static_cast<size_t>(in.shape(0)) : 1;
  size_t len = static_cast<size_t>(length);
  MaskedChunks chunks(mask.data<bool>(), rows, in.size() / rows);
  dispatch_itemsize(out.itemsize(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    const T* v = x.data<T>();
    chunks.for_each_true(mask.data<bool>(), [&](size_t r, size_t i, size_t pos) {
      if (pos < len) {
        o[r * len + pos] = v[i];
      }
    });
  });
}

void Depends::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    outputs[i].copy_shared_buffer(inputs[i]);
  }
}

}  // namespace mlx::core
