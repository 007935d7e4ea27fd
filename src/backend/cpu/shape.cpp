// The shape family on the CPU: the views (Reshape when the strides allow, Broadcast, Slice,
// Transpose, ExpandDims, Squeeze, View, AsStrided) share their input's buffer; Contiguous and
// Concatenate copy; AsStridedAdd accumulates; NumberOfElements reads the input's shape.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "backend/cpu/copy.h"
#include "backend/cpu/strided.h"
#include "backend/cpu/thread_pool.h"
#include "core/dtype_utils.h"
#include "ops/ops.h"

namespace mlx::core {

namespace {

Strides row_major(const Shape& shape) {
  Strides s(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) {
    s[i] = s[i + 1] * std::max<int64_t>(shape[i + 1], 1);
  }
  return s;
}

void share_view(const array& in, array& out, const Strides& strides, int64_t offset) {
  out.copy_shared_buffer(in, strides, cpu::view_flags(out.shape(), strides),
                         cpu::view_data_size(out.shape(), strides), offset);
}

// NumPy's no-copy reshape: walks groups of input and output dims with equal products; a group
// of input dims must be one contiguous run (each stride the next one's stride times its size)
// to be re-split into the output dims. Stride-0 (broadcast) runs qualify too.
std::optional<Strides> reshape_strides(const array& in, const Shape& out_shape) {
  Shape old_shape;
  Strides old_strides;
  for (size_t d = 0; d < in.ndim(); ++d) {
    if (in.shape()[d] != 1) {
      old_shape.push_back(in.shape()[d]);
      old_strides.push_back(in.strides()[d]);
    }
  }
  // Size-one output dims left over after the last group never move the offset.
  Strides strides(out_shape.size(), 1);
  size_t oi = 0, ni = 0;
  while (oi < old_shape.size() && ni < out_shape.size()) {
    size_t oj = oi + 1, nj = ni + 1;
    int64_t old_prod = old_shape[oi], new_prod = out_shape[ni];
    while (old_prod != new_prod) {
      if (new_prod < old_prod) {
        new_prod *= out_shape[nj++];
      } else {
        old_prod *= old_shape[oj++];
      }
    }
    for (size_t k = oi; k + 1 < oj; ++k) {
      if (old_strides[k] != old_strides[k + 1] * old_shape[k + 1]) {
        return std::nullopt;
      }
    }
    strides[nj - 1] = old_strides[oj - 1];
    for (size_t k = nj - 1; k > ni; --k) {
      strides[k - 1] = strides[k] * out_shape[k];
    }
    oi = oj;
    ni = nj;
  }
  return strides;
}

array contiguous_copy(const array& in) {
  array tmp(in.shape(), in.dtype(), nullptr, {});
  cpu::copy_to_contiguous(in, tmp);
  return tmp;
}

array row_contiguous(const array& in) {
  return in.flags().row_contiguous ? in : contiguous_copy(in);
}

template <size_t N>
struct Elem {
  unsigned char bytes[N];
};

// A source that walks memory faster along its second-innermost dim than along its innermost one
// (a transpose, say) is copied by square blocks: each is gathered into a small tile reading down
// the source's faster dim, then written out along the destination's rows, so both sides use
// whole cache lines instead of touching a new line (and often a new page) per element.
template <size_t N>
void copy_tiled(const Elem<N>* src, Elem<N>* dst, const cpu::Layout& l) {
  constexpr int64_t kTile = 32;
  size_t nd = l.shape.size();
  int64_t rows = l.shape[nd - 2], cols = l.shape[nd - 1];
  int64_t row_tiles = (rows + kTile - 1) / kTile, col_tiles = (cols + kTile - 1) / kTile;
  size_t tiles = l.rows() / rows * row_tiles * col_tiles;
  int64_t sr = l.strides[0][nd - 2], sc = l.strides[0][nd - 1];
  int64_t dr = l.strides[1][nd - 2], dc = l.strides[1][nd - 1];
  cpu::parallel_for(tiles, std::max<size_t>(1, cpu::kElementwiseGrain / (kTile * kTile)),
                    [&](size_t b, size_t e) {
                      Elem<N> tile[kTile * kTile];
                      for (size_t t = b; t < e; ++t) {
                        int64_t c0 = static_cast<int64_t>(t % col_tiles) * kTile;
                        int64_t r0 = static_cast<int64_t>(t / col_tiles % row_tiles) * kTile;
                        size_t outer = t / col_tiles / row_tiles;
                        int64_t so = r0 * sr + c0 * sc, dof = r0 * dr + c0 * dc;
                        for (int d = static_cast<int>(nd) - 3; d >= 0; --d) {
                          int64_t idx = static_cast<int64_t>(outer % l.shape[d]);
                          outer /= l.shape[d];
                          so += idx * l.strides[0][d];
                          dof += idx * l.strides[1][d];
                        }
                        int64_t nr = std::min(kTile, rows - r0), nc = std::min(kTile, cols - c0);
                        for (int64_t c = 0; c < nc; ++c) {
                          for (int64_t r = 0; r < nr; ++r) {
                            tile[r * kTile + c] = src[so + r * sr + c * sc];
                          }
                        }
                        for (int64_t r = 0; r < nr; ++r) {
                          Elem<N>* d = dst + dof + r * dr;
                          if (dc == 1) {
                            std::memcpy(d, tile + r * kTile, nc * N);
                          } else {
                            for (int64_t c = 0; c < nc; ++c) {
                              d[c * dc] = tile[r * kTile + c];
                            }
                          }
                        }
                      }
                    });
}

// Copies `in` into the region of `out` that starts `dst_offset` elements in and has out's
// strides, moving elements of N bytes (the copy never converts: inputs already have out's
// dtype).
template <size_t N>
void copy_into(const array& in, array& out, int64_t dst_offset) {
  const auto* src = in.data<Elem<N>>();
  auto* dst = out.data<Elem<N>>() + dst_offset;
  auto l = cpu::collapse(in.shape(), {in.strides(), out.strides()});
  size_t nd = l.shape.size();
  size_t inner = l.inner();
  int64_t src_st = l.strides[0].back();
  int64_t dst_st = l.strides[1].back();
  if (nd >= 2 && std::llabs(src_st) > 1 && std::llabs(l.strides[0][nd - 2]) < std::llabs(src_st)) {
    copy_tiled(src, dst, l);
    return;
  }
  // Chunks are ranges of elements, not rows, so one long contiguous run is split too.
  cpu::parallel_for(in.size(), cpu::kElementwiseGrain, [&](size_t b, size_t e) {
    cpu::for_each_row<2>(
        l, b / inner, (e - 1) / inner + 1, [&](size_t row, const std::array<int64_t, 2>& offs) {
          size_t lo = std::max(b, row * inner) - row * inner;
          size_t hi = std::min(e, (row + 1) * inner) - row * inner;
          const auto* s = src + offs[0];
          auto* d = dst + offs[1];
          if (src_st == 1 && dst_st == 1) {
            std::memcpy(d + lo, s + lo, (hi - lo) * N);
          } else {
            for (size_t k = lo; k < hi; ++k) {
              d[static_cast<int64_t>(k) * dst_st] = s[static_cast<int64_t>(k) * src_st];
            }
          }
        });
  });
}

}  // namespace

void Reshape::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& in = inputs[0];
  if (in.flags().row_contiguous || out.size() == 0) {
    share_view(in, out, row_major(out.shape()), 0);
  } else if (auto strides = reshape_strides(in, out.shape())) {
    share_view(in, out, *strides, 0);
  } else {
    cpu::copy_to_contiguous(in, out);
  }
}

void Broadcast::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& in = inputs[0];
  Strides strides(out.ndim(), 0);
  size_t lead = out.ndim() - in.ndim();
  for (size_t i = 0; i < in.ndim(); ++i) {
    strides[lead + i] = (in.shape()[i] == 1 && out.shape()[lead + i] != 1) ? 0 : in.strides()[i];
  }
  share_view(in, out, strides, 0);
}

void SliceView::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& in = inputs[0];
  auto& [start, stop, steps] = state_;
  Strides strides(in.ndim());
  int64_t offset = 0;
  for (size_t i = 0; i < in.ndim(); ++i) {
    strides[i] = in.strides()[i] * steps[i];
    offset += static_cast<int64_t>(start[i]) * in.strides()[i];
  }
  share_view(in, out, strides, out.size() == 0 ? 0 : offset);
}

void Transpose::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& in = inputs[0];
  auto& [axes] = state_;
  Strides strides(axes.size());
  for (size_t i = 0; i < axes.size(); ++i) {
    strides[i] = in.strides()[axes[i]];
  }
  share_view(in, out, strides, 0);
}

void ExpandDims::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& in = inputs[0];
  auto& [axes] = state_;
  // A new dim gets the stride it would have in a row-major layout of the dims to its right, so
  // expanding a row-contiguous array gives the strides of a fresh one.
  Strides strides(out.ndim());
  size_t k = axes.size(), in_d = in.ndim();
  for (int d = static_cast<int>(out.ndim()) - 1; d >= 0; --d) {
    if (k > 0 && axes[k - 1] == d) {
      --k;
      strides[d] = d + 1 < static_cast<int>(out.ndim())
                       ? strides[d + 1] * std::max<int64_t>(out.shape()[d + 1], 1)
                       : 1;
    } else {
      strides[d] = in.strides()[--in_d];
    }
  }
  share_view(in, out, strides, 0);
}

void Squeeze::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& in = inputs[0];
  auto& [axes] = state_;
  Strides strides;
  strides.reserve(out.ndim());
  for (size_t d = 0, k = 0; d < in.ndim(); ++d) {
    if (k < axes.size() && axes[k] == static_cast<int>(d)) {
      ++k;
    } else {
      strides.push_back(in.strides()[d]);
    }
  }
  share_view(in, out, strides, 0);
}

void Contiguous::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& in = inputs[0];
  auto [allow_col_major] = state_;
  if (in.flags().row_contiguous || (allow_col_major && in.flags().col_contiguous)) {
    out.copy_shared_buffer(in);
  } else {
    cpu::copy_to_contiguous(in, out);
  }
}

void Concatenate::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto [axis] = state_;
  out.set_data(allocator::malloc(out.nbytes()));
  int64_t offset = 0;
  for (auto& in : inputs) {
    if (in.size() > 0) {
      switch (out.itemsize()) {
        case 1:
          copy_into<1>(in, out, offset);
          break;
        case 2:
          copy_into<2>(in, out, offset);
          break;
        case 4:
          copy_into<4>(in, out, offset);
          break;
        default:
          copy_into<8>(in, out, offset);
          break;
      }
    }
    offset += in.shape()[axis] * out.strides()[axis];
  }
}

void View::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& in = inputs[0];
  if (in.itemsize() == out.itemsize()) {
    out.copy_shared_buffer(in);
    return;
  }
  // A first element misaligned for the new dtype would be read through a misaligned pointer.
  bool aligned = in.offset() % static_cast<int64_t>(out.itemsize()) == 0;
  share_view(aligned ? row_contiguous(in) : contiguous_copy(in), out, row_major(out.shape()), 0);
}

void AsStrided::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& [shape, strides, offset] = state_;
  share_view(row_contiguous(inputs[0]), out, strides, offset);
}

// Sequential: positions may repeat, and each must add up every element that reads it.
void AsStridedAdd::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& [shape, strides, offset] = state_;
  auto& in = inputs[0];
  out.set_data(allocator::malloc(out.nbytes()));
  std::memset(out.data<void>(), 0, out.nbytes());
  if (in.size() == 0) {
    return;
  }
  auto l = cpu::collapse(in.shape(), {in.strides(), strides});
  int64_t in_st = l.strides[0].back(), out_st = l.strides[1].back();
  dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* src = in.data<T>();
    T* dst = out.data<T>() + offset;
    cpu::for_each_row<2>(l, 0, l.rows(), [&](size_t, const std::array<int64_t, 2>& offs) {
      for (int64_t k = 0; k < static_cast<int64_t>(l.inner()); ++k) {
        T& d = dst[offs[1] + k * out_st];
        d = static_cast<T>(d + src[offs[0] + k * in_st]);
      }
    });
  });
}

void NumberOfElements::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& [axes, inverted, dtype] = state_;
  double n = 1;
  for (int ax : axes) {
    n *= inputs[0].shape(ax);
  }
  out.set_data(allocator::malloc(out.nbytes()));
  dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    *out.data<T>() = detail::cast_value<T>(inverted ? 1.0 / n : n);
  });
}

}  // namespace mlx::core
