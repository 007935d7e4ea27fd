// The copy family on the CPU: AsType, Copy, Full, and the strided copy they share.
#include "backend/cpu/copy.h"

#include "backend/cpu/strided.h"
#include "backend/cpu/thread_pool.h"
#include "core/dtype_utils.h"
#include "ops/ops.h"

namespace mlx::core {

namespace cpu {

namespace {

template <typename In, typename Out>
void copy_kernel(const array& in, array& out) {
  const In* src = in.data<In>();
  Out* dst = out.data<Out>();
  size_t n = out.size();
  if (in.data_size() == 1) {
    Out v = detail::cast_value<Out>(src[0]);
    parallel_for(n, kElementwiseGrain, [&](size_t b, size_t e) { std::fill(dst + b, dst + e, v); });
  } else if (in.flags().row_contiguous) {
    parallel_for(n, kElementwiseGrain, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        dst[i] = detail::cast_value<Out>(src[i]);
      }
    });
  } else {
    auto l = collapse(in.shape(), {in.strides()});
    size_t inner = l.inner();
    int64_t st = l.strides[0].back();
    size_t grain = std::max<size_t>(1, kElementwiseGrain / std::max<size_t>(inner, 1));
    parallel_for(l.rows(), grain, [&](size_t rb, size_t re) {
      for_each_row<1>(l, rb, re, [&](size_t row, const std::array<int64_t, 1>& offs) {
        const In* s = src + offs[0];
        Out* d = dst + row * inner;
        for (size_t k = 0; k < inner; ++k) {
          d[k] = detail::cast_value<Out>(s[static_cast<int64_t>(k) * st]);
        }
      });
    });
  }
}

}  // namespace

void copy_to_contiguous(const array& in, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  dispatch_dtype(in.dtype(), [&](auto in_tag) {
    dispatch_dtype(out.dtype(), [&](auto out_tag) {
      copy_kernel<typename decltype(in_tag)::type, typename decltype(out_tag)::type>(in, out);
    });
  });
}

}  // namespace cpu

void AsType::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::copy_to_contiguous(inputs[0], out);
}

void Copy::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.copy_shared_buffer(inputs[0]);
}

void Full::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::copy_to_contiguous(inputs[0], out);
}

}  // namespace mlx::core
