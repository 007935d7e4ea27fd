// Binary elementwise ops on the CPU: each op is a functor; each (op, dtype) row is a tile kernel
// run by the shared elementwise driver. SIMD rows (binary_simd.cpp) replace the scalar template
// where they pay.
#include "backend/cpu/binary.h"

#include <stdexcept>
#include <string>
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

template <typename T>
inline constexpr bool is_wrapping_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;

struct AddOp {
  template <typename T>
  static constexpr bool supports = true;

  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a || b;
    } else if constexpr (is_wrapping_v<T>) {
      return static_cast<T>(static_cast<WrapType<T>>(a) + static_cast<WrapType<T>>(b));
    } else {
      return static_cast<T>(a + b);
    }
  }
};

struct SubtractOp {
  template <typename T>
  static constexpr bool supports = true;

  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      // As MLX: true - true is 0 and false - true is -1, which is true again.
      return a != b;
    } else if constexpr (is_wrapping_v<T>) {
      return static_cast<T>(static_cast<WrapType<T>>(a) - static_cast<WrapType<T>>(b));
    } else {
      return static_cast<T>(a - b);
    }
  }
};

struct MultiplyOp {
  template <typename T>
  static constexpr bool supports = true;

  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a && b;
    } else if constexpr (is_wrapping_v<T>) {
      return static_cast<T>(static_cast<WrapType<T>>(a) * static_cast<WrapType<T>>(b));
    } else {
      return static_cast<T>(a * b);
    }
  }
};

struct DivideOp {
  template <typename T>
  static constexpr bool supports = !std::is_integral_v<T>;

  template <typename T>
  T operator()(T a, T b) const {
    return static_cast<T>(a / b);
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
  return dispatch_dtype(dtype, [](auto tag) -> TileFn {
    using T = typename decltype(tag)::type;
    if constexpr (Op::template supports<T>) {
      return scalar_tile<T, Op>;
    } else {
      return nullptr;
    }
  });
}

// Above this many output bytes, streaming stores pay: the output would only evict the inputs
// from the cache, and skipping the read-for-ownership saves a third of the memory traffic.
constexpr size_t kStreamingBytes = size_t(4) << 20;

}  // namespace

TileFn binary_kernel(BinaryOp op, Dtype dtype) {
  if (auto fn = binary_simd_kernel(op, dtype)) {
    return fn;
  }
  switch (op) {
    case BinaryOp::Add:
      return scalar_kernel<AddOp>(dtype);
    case BinaryOp::Subtract:
      return scalar_kernel<SubtractOp>(dtype);
    case BinaryOp::Multiply:
      return scalar_kernel<MultiplyOp>(dtype);
    case BinaryOp::Divide:
      return scalar_kernel<DivideOp>(dtype);
  }
  return nullptr;
}

}  // namespace cpu

void Binary::eval_cpu(const std::vector<array>& inputs, array& out) {
  cpu::TileFn fn = nullptr;
  if (out.nbytes() > cpu::kStreamingBytes) {
    fn = cpu::binary_simd_kernel(op(), out.dtype(), /* streaming */ true);
  }
  if (!fn) {
    fn = cpu::binary_kernel(op(), out.dtype());
  }
  if (!fn) {
    throw std::runtime_error(std::string("[") + name() + "] Unsupported dtype.");
  }
  cpu::run_elementwise(fn, inputs, out);
}

}  // namespace mlx::core
