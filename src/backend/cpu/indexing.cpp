// Indexing on the CPU: SliceUpdate.
#include "ops/indexing.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/strided.h"
#include "backend/cpu/thread_pool.h"
#include "core/allocator_internal.h"

namespace mlx::core {

namespace {

template <typename U>
void write_region(char* out, const Strides& out_strides, const array& upd) {
  auto l = cpu::collapse(upd.shape(), {out_strides, upd.strides()});
  size_t inner = l.inner();
  int64_t so = l.strides[0].back();
  int64_t su = l.strides[1].back();
  auto* o = reinterpret_cast<U*>(out);
  auto* u = upd.data<U>();
  size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / std::max<size_t>(inner, 1));
  cpu::parallel_for(l.rows(), grain, [&](size_t rb, size_t re) {
    cpu::for_each_row<2>(l, rb, re, [&](size_t, const std::array<int64_t, 2>& offs) {
      for (size_t k = 0; k < inner; ++k) {
        o[offs[0] + static_cast<int64_t>(k) * so] = u[offs[1] + static_cast<int64_t>(k) * su];
      }
    });
  });
}

}  // namespace

void SliceUpdate::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& src = inputs[0];
  auto& upd = inputs[1];
  // Write into src's buffer when nobody else needs it, else into a copy.
  if (src.is_donatable() && src.flags().row_contiguous && src.data_size() == src.size() &&
      !allocator::detail::is_wrapped(src.buffer())) {
    out.copy_shared_buffer(src);
  } else {
    cpu::copy_to_contiguous(src, out);
  }
  if (upd.size() == 0) {
    return;
  }
  auto& [start, stop, steps] = state_;
  Strides strides(out.ndim());
  int64_t offset = 0;
  for (size_t i = 0; i < out.ndim(); ++i) {
    strides[i] = out.strides()[i] * steps[i];
    offset += static_cast<int64_t>(start[i]) * out.strides()[i];
  }
  char* base = out.data<char>() + offset * static_cast<int64_t>(out.itemsize());
  switch (out.itemsize()) {
    case 1:
      return write_region<uint8_t>(base, strides, upd);
    case 2:
      return write_region<uint16_t>(base, strides, upd);
    case 4:
      return write_region<uint32_t>(base, strides, upd);
    default:
      return write_region<uint64_t>(base, strides, upd);
  }
}

}  // namespace mlx::core
