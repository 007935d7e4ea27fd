// Primitives used by derivative rules, on the CPU: EqualMask.
#include "ops/gradient.h"
#include "backend/cpu/elementwise.h"
#include "core/dtype_utils.h"

namespace mlx::core {

void EqualMask::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::for_each_tile(inputs, out, [](const void* const* in, void* o, size_t n) {
      auto x = static_cast<const T*>(in[0]);
      auto y = static_cast<const T*>(in[1]);
      auto r = static_cast<T*>(o);
      for (size_t i = 0; i < n; ++i) {
        r[i] = x[i] == y[i] ? T(1) : T(0);
      }
    });
  });
}

}  // namespace mlx::core
