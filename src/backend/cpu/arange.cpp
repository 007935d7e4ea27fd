// Arange on the CPU.
#include <type_traits>

#include "core/dtype_utils.h"
#include "ops/ops.h"

namespace mlx::core {

void Arange::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  auto [start, stop, step] = state_;
  dispatch_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, bool>) {
      // As in MLX: the step is taken in the output type (T(start + step) - T(start)) and values
      // are built by repeated addition in that type, so low-precision floats drift the same way.
      T value = detail::cast_value<T>(start);
      T next = detail::cast_value<T>(start + step);
      T* p = out.data<T>();
      if constexpr (std::is_integral_v<T>) {
        using U = std::make_unsigned_t<T>;
        U v = static_cast<U>(value);
        U delta = static_cast<U>(static_cast<U>(next) - static_cast<U>(value));
        for (size_t i = 0; i < out.size(); ++i, v += delta) {
          p[i] = static_cast<T>(v);
        }
      } else {
        T delta = static_cast<T>(next - value);
        for (size_t i = 0; i < out.size(); ++i) {
          p[i] = value;
          value = static_cast<T>(value + delta);
        }
      }
    }
  });
}

}  // namespace mlx::core
