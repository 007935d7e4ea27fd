// Views on the CPU: Reshape, Broadcast, Slice share their input's buffer.
#include "backend/cpu/copy.h"
#include "backend/cpu/strided.h"
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

}  // namespace

void Reshape::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& in = inputs[0];
  if (in.flags().row_contiguous) {
    share_view(in, out, row_major(out.shape()), 0);
  } else {
    // The strides do not allow a view: copy into a new row-major buffer (same values, order).
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

void Slice::eval_cpu(const std::vector<array>& inputs, array& out) {
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

}  // namespace mlx::core
