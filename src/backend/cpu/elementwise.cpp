#include "backend/cpu/elementwise.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>

#include "backend/cpu/copy.h"
#include "backend/cpu/strided.h"
#include "backend/cpu/thread_pool.h"
#include "core/allocator_internal.h"

namespace mlx::core::cpu {

namespace {

// How for_each_tile feeds an input: in place, through a tile filled with its one value, by
// gathering, or as its one-element buffer (a body that reads only the first element).
enum class Access { flat, scalar, strided, first };

Access access_of(const array& in) {
  if (in.data_size() == 1) {
    return Access::scalar;
  }
  if (in.flags().row_contiguous) {
    return Access::flat;
  }
  return Access::strided;
}

// Walks one strided input in row-major order of the (collapsed) output shape, copying elements
// into contiguous tiles.
class StridedCursor {
 public:
  StridedCursor(const Shape& shape, const Strides& strides, const char* base, size_t itemsize)
      : shape_(shape), strides_(strides), base_(base), itemsize_(itemsize), idx_(shape.size()) {}

  void seek(size_t pos) {
    off_ = 0;
    for (int d = static_cast<int>(shape_.size()) - 1; d >= 0; --d) {
      idx_[d] = static_cast<int64_t>(pos % shape_[d]);
      pos /= shape_[d];
      off_ += idx_[d] * strides_[d];
    }
  }

  void gather(void* dst, size_t n) {
    switch (itemsize_) {
      case 1:
        return gather_typed(static_cast<uint8_t*>(dst), n);
      case 2:
        return gather_typed(static_cast<uint16_t*>(dst), n);
      case 4:
        return gather_typed(static_cast<uint32_t*>(dst), n);
      default:
        return gather_typed(static_cast<uint64_t*>(dst), n);
    }
  }

 private:
  template <typename U>
  void gather_typed(U* dst, size_t n) {
    const U* src = reinterpret_cast<const U*>(base_);
    int last = static_cast<int>(shape_.size()) - 1;
    int64_t s = strides_[last];
    while (n > 0) {
      size_t take = std::min<size_t>(n, static_cast<size_t>(shape_[last] - idx_[last]));
      const U* p = src + off_;
      for (size_t j = 0; j < take; ++j) {
        dst[j] = p[static_cast<int64_t>(j) * s];
      }
      dst += take;
      n -= take;
      idx_[last] += static_cast<int64_t>(take);
      off_ += static_cast<int64_t>(take) * s;
      // Carry into the outer dims when the inner one wraps.
      for (int d = last; d > 0 && idx_[d] == shape_[d]; --d) {
        off_ -= idx_[d] * strides_[d];
        idx_[d] = 0;
        idx_[d - 1]++;
        off_ += strides_[d - 1];
      }
    }
  }

  const Shape& shape_;
  const Strides& strides_;
  const char* base_;
  size_t itemsize_;
  std::vector<int64_t> idx_;
  int64_t off_{0};
};

bool large_transposed(const array& in) { return in.size() >= kTileSize && is_transposed(in); }

template <typename U>
void fill_typed(void* dst, const void* value, size_t n) {
  U v;
  std::memcpy(&v, value, sizeof(U));
  std::fill_n(static_cast<U*>(dst), n, v);
}

// Typed stores, so that the compiler vectorises the fill (a scalar input's tile is filled once
// per chunk, for every scalar of a fused region).
void fill_tile(void* dst, const void* value, size_t itemsize, size_t n) {
  switch (itemsize) {
    case 1:
      return fill_typed<uint8_t>(dst, value, n);
    case 2:
      return fill_typed<uint16_t>(dst, value, n);
    case 4:
      return fill_typed<uint32_t>(dst, value, n);
    case 8:
      return fill_typed<uint64_t>(dst, value, n);
    default: {
      auto* d = static_cast<char*>(dst);
      for (size_t i = 0; i < n; ++i) {
        std::memcpy(d + i * itemsize, value, itemsize);
      }
    }
  }
}

// Outputs this small run as one tile on the calling thread with the scratch on the stack: at
// these sizes the op's overhead, not its arithmetic, is what costs.
constexpr size_t kSmallTotal = 256;
constexpr size_t kSmallInputs = 4;

// True when it ran: every input is contiguous or a scalar and there are few of them.
bool run_small(const std::vector<array>& inputs, array& out, const TileBody& body,
               size_t max_tile) {
  size_t total = out.size();
  size_t n_in = inputs.size();
  if (total > std::min(kSmallTotal, max_tile) || n_in > kSmallInputs) {
    return false;
  }
  const void* ptrs[kSmallInputs];
  alignas(64) uint64_t scratch[kSmallInputs][kSmallTotal];
  for (size_t k = 0; k < n_in; ++k) {
    auto& in = inputs[k];
    switch (access_of(in)) {
      case Access::flat:
        ptrs[k] = in.data<void>();
        break;
      case Access::scalar:
        fill_tile(scratch[k], in.data<void>(), in.itemsize(), total);
        ptrs[k] = scratch[k];
        break;
      case Access::strided:
      case Access::first:  // access_of never says so
        return false;
    }
  }
  body(ptrs, out.data<void>(), total);
  return true;
}

}  // namespace

void for_each_tile(const std::vector<array>& inputs, array& out, const TileBody& body,
                   size_t max_tile, const std::vector<bool>& first_only) {
  size_t total = out.size();
  if (total == 0 || run_small(inputs, out, body, max_tile)) {
    return;
  }
  size_t n_in = inputs.size();
  std::vector<Access> access(n_in);
  std::vector<Strides> strides;
  bool any_strided = false;
  bool any_scalar = false;
  for (size_t k = 0; k < n_in; ++k) {
    access[k] = access_of(inputs[k]);
    if (access[k] == Access::scalar && k < first_only.size() && first_only[k]) {
      access[k] = Access::first;
    }
    any_strided |= access[k] == Access::strided;
    any_scalar |= access[k] == Access::scalar;
    strides.push_back(inputs[k].strides());
  }
  // One loop nest for all strided inputs (dims merged where all of them allow it).
  Layout layout;
  if (any_strided) {
    layout = collapse(out.shape(), strides);
  }
  size_t tile = any_strided || any_scalar ? std::min(max_tile, kTileSize) : max_tile;
  char* out_base = out.data<char>();
  size_t out_item = out.itemsize();

  parallel_for(total, kElementwiseGrain, [&](size_t begin, size_t end) {
    // Scratch: one tile per input that is not passed through directly.
    size_t n_tile = std::min(tile, end - begin);
    std::vector<uint64_t> scratch;
    uint64_t* tiles = nullptr;
    std::vector<const void*> ptrs(n_in);
    std::vector<void*> bufs(n_in, nullptr);
    std::vector<std::optional<StridedCursor>> cursors(n_in);
    if (any_strided || any_scalar) {
      // Cache-line aligned, so that no vector access straddles two lines.
      scratch.resize(n_in * n_tile + 8);
      auto misalign = reinterpret_cast<uintptr_t>(scratch.data()) % 64;
      tiles = scratch.data() + (64 - misalign) % 64 / sizeof(uint64_t);
    }
    for (size_t k = 0; k < n_in; ++k) {
      auto& in = inputs[k];
      if (access[k] == Access::first) {
        ptrs[k] = in.data<void>();
      }
      if (access[k] == Access::scalar || access[k] == Access::strided) {
        bufs[k] = tiles + k * n_tile;
      }
      if (access[k] == Access::scalar) {
        fill_tile(bufs[k], in.data<void>(), in.itemsize(), n_tile);
        ptrs[k] = bufs[k];
      }
      if (access[k] == Access::strided) {
        cursors[k].emplace(layout.shape, layout.strides[k], in.data<char>(), in.itemsize());
        cursors[k]->seek(begin);
      }
    }
    for (size_t pos = begin; pos < end; pos += n_tile) {
      size_t n = std::min(n_tile, end - pos);
      for (size_t k = 0; k < n_in; ++k) {
        if (access[k] == Access::flat) {
          ptrs[k] = inputs[k].data<char>() + pos * inputs[k].itemsize();
        } else if (access[k] == Access::strided) {
          cursors[k]->gather(bufs[k], n);
          ptrs[k] = bufs[k];
        }
      }
      body(ptrs.data(), out_base + pos * out_item, n);
    }
    // Tile kernels may write with non-temporal stores, which are weakly ordered: make them
    // visible before the chunk reports completion.
    stream_fence();
  });
}

bool can_donate(const array& in, const array& out) {
  return in.is_donatable() && !allocator::detail::is_wrapped(in.buffer()) &&
         in.dtype() == out.dtype() && in.flags().row_contiguous && in.data_size() == out.size() &&
         in.shape() == out.shape();
}

void allocate_or_donate(const std::vector<array>& inputs, array& out) {
  for (auto& in : inputs) {
    if (can_donate(in, out)) {
      out.copy_shared_buffer(in);
      return;
    }
  }
  out.set_data(allocator::malloc(out.nbytes()));
}

std::vector<array> untranspose_large(const std::vector<array>& inputs) {
  std::vector<array> out = inputs;
  for (auto& in : out) {
    if (large_transposed(in)) {
      array c(in.shape(), in.dtype(), nullptr, {});
      copy_to_contiguous(in, c);
      in = std::move(c);
    }
  }
  return out;
}

void run_elementwise(TileFn fn, const std::vector<array>& inputs, array& out) {
  allocate_or_donate(inputs, out);
  auto body = [fn](const void* const* in, void* o, size_t n) { fn(in, o, n); };
  if (std::any_of(inputs.begin(), inputs.end(), large_transposed)) {
    for_each_tile(untranspose_large(inputs), out, body, SIZE_MAX);
    return;
  }
  for_each_tile(inputs, out, body, SIZE_MAX);
}

}  // namespace mlx::core::cpu
