// Binary elementwise ops on the CPU: one driver for contiguous, scalar-broadcast and strided
// inputs; each op is a functor.
#include <type_traits>

#include "backend/cpu/strided.h"
#include "backend/cpu/thread_pool.h"
#include "core/dtype_utils.h"
#include "ops/ops.h"

namespace mlx::core {

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
void binary_kernel(const array& a, const array& b, array& out, Op op) {
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* po = out.data<T>();
  size_t n = out.size();
  bool a_scalar = a.data_size() == 1;
  bool b_scalar = b.data_size() == 1;
  bool a_flat = a.flags().row_contiguous;
  bool b_flat = b.flags().row_contiguous;
  if ((a_flat || a_scalar) && (b_flat || b_scalar)) {
    cpu::parallel_for(n, cpu::kElementwiseGrain, [&](size_t lo, size_t hi) {
      if (a_scalar && b_scalar) {
        std::fill(po + lo, po + hi, op(pa[0], pb[0]));
      } else if (a_scalar) {
        T x = pa[0];
        for (size_t i = lo; i < hi; ++i) po[i] = op(x, pb[i]);
      } else if (b_scalar) {
        T y = pb[0];
        for (size_t i = lo; i < hi; ++i) po[i] = op(pa[i], y);
      } else {
        for (size_t i = lo; i < hi; ++i) po[i] = op(pa[i], pb[i]);
      }
    });
    return;
  }
  auto l = cpu::collapse(out.shape(), {a.strides(), b.strides()});
  size_t inner = l.inner();
  int64_t sa = l.strides[0].back();
  int64_t sb = l.strides[1].back();
  size_t grain = std::max<size_t>(1, cpu::kElementwiseGrain / std::max<size_t>(inner, 1));
  cpu::parallel_for(l.rows(), grain, [&](size_t rb, size_t re) {
    cpu::for_each_row<2>(l, rb, re, [&](size_t row, const std::array<int64_t, 2>& offs) {
      const T* x = pa + offs[0];
      const T* y = pb + offs[1];
      T* o = po + row * inner;
      for (size_t k = 0; k < inner; ++k) {
        o[k] = op(x[static_cast<int64_t>(k) * sa], y[static_cast<int64_t>(k) * sb]);
      }
    });
  });
}

template <typename Op>
void run_binary(const array& a, const array& b, array& out, Op op) {
  dispatch_dtype(out.dtype(),
                 [&](auto tag) { binary_kernel<typename decltype(tag)::type>(a, b, out, op); });
}

}  // namespace

void Binary::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  switch (op()) {
    case BinaryOp::Add:
      return run_binary(inputs[0], inputs[1], out, AddOp{});
    case BinaryOp::Multiply:
      return run_binary(inputs[0], inputs[1], out, MultiplyOp{});
  }
}

}  // namespace mlx::core
