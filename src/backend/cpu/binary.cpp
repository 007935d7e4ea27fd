// Binary elementwise ops on the CPU: each op is a functor; each (op, dtype) row is a tile kernel
// run by the shared elementwise driver. SIMD rows (binary_simd.cpp) replace the scalar template
// where they pay.
#include "backend/cpu/binary.h"

#include <type_traits>

#include "backend/cpu/elementwise.h"
#include "core/dtype_utils.h"
#include "ops/ops.h"

namespace mlx::core {

namespace cpu {

namespace {

// Integer arithmetic wraps around (as NumPy's does) instead of being undefined on overflow.
template <typename T>
using WrapType = std::conditional_t<sizeof(T) <= 4, uint32_t, uint64_t>;

struct AddOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a || b;
    } else if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(static_cast<WrapType<T>>(a) + static_cast<WrapType<T>>(b));
    } else {
      return static_cast<T>(a + b);
    }
  }
};

struct MultiplyOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a && b;
    } else if constexpr (std::is_integral_v<T>) {
      return static_cast<T>(static_cast<WrapType<T>>(a) * static_cast<WrapType<T>>(b));
    } else {
      return static_cast<T>(a * b);
    }
  }
};

template <typename T, typename Op>
void scalar_tile(const void* const* in, void* out, size_t n) {
  auto a = static_cast<const T*>(in[0]);
  auto b = static_cast<const T*>(in[1]);
  auto o = static_cast<T*>(out);
  Op op;
  for (size_t i = 0; i < n; ++i) {
    o[i] = op(a[i], b[i]);
  }
}

template <typename Op>
TileFn scalar_kernel(Dtype dtype) {
  return dispatch_dtype(
      dtype, [](auto tag) -> TileFn { return scalar_tile<typename decltype(tag)::type, Op>; });
}

}  // namespace

TileFn binary_kernel(BinaryOp op, Dtype dtype) {
  if (auto fn = binary_simd_kernel(op, dtype)) {
    return fn;
  }
  switch (op) {
    case BinaryOp::Add:
      return scalar_kernel<AddOp>(dtype);
    case BinaryOp::Multiply:
      return scalar_kernel<MultiplyOp>(dtype);
  }
  return nullptr;
}

}  // namespace cpu

void Binary::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::run_elementwise(cpu::binary_kernel(op(), out.dtype()), inputs, out);
}

}  // namespace mlx::core
