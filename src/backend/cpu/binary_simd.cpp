// SIMD tile kernels for binary rows, compiled once per Highway target (SSE4, AVX2, AVX-512) and
// chosen at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/binary_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "backend/cpu/binary.h"

HWY_BEFORE_NAMESPACE();
namespace mlx::core::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

struct AddV {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const {
    return hn::Add(a, b);
  }
};

struct MulV {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const {
    return hn::Mul(a, b);
  }
};

template <typename T, class Op>
HWY_INLINE void BinaryTile(const void* const* in, void* out, size_t n) {
  const hn::ScalableTag<T> d;
  const size_t N = hn::Lanes(d);
  auto a = static_cast<const T*>(in[0]);
  auto b = static_cast<const T*>(in[1]);
  auto o = static_cast<T*>(out);
  Op op;
  size_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(op(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, o + i);
  }
  if (i < n) {
    const auto m = hn::FirstN(d, n - i);
    hn::BlendedStore(op(hn::MaskedLoad(m, d, a + i), hn::MaskedLoad(m, d, b + i)), m, d, o + i);
  }
}

void AddF32(const void* const* in, void* out, size_t n) { BinaryTile<float, AddV>(in, out, n); }
void AddF64(const void* const* in, void* out, size_t n) { BinaryTile<double, AddV>(in, out, n); }
void MulF32(const void* const* in, void* out, size_t n) { BinaryTile<float, MulV>(in, out, n); }
void MulF64(const void* const* in, void* out, size_t n) { BinaryTile<double, MulV>(in, out, n); }

}  // namespace mlx::core::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace mlx::core::cpu {

HWY_EXPORT(AddF32);
HWY_EXPORT(AddF64);
HWY_EXPORT(MulF32);
HWY_EXPORT(MulF64);

TileFn binary_simd_kernel(BinaryOp op, Dtype dtype) {
  switch (op) {
    case BinaryOp::Add:
      if (dtype == float32)
        return [](const void* const* i, void* o, size_t n) {
          HWY_DYNAMIC_DISPATCH(AddF32)(i, o, n);
        };
      if (dtype == float64)
        return [](const void* const* i, void* o, size_t n) {
          HWY_DYNAMIC_DISPATCH(AddF64)(i, o, n);
        };
      break;
    case BinaryOp::Multiply:
      if (dtype == float32)
        return [](const void* const* i, void* o, size_t n) {
          HWY_DYNAMIC_DISPATCH(MulF32)(i, o, n);
        };
      if (dtype == float64)
        return [](const void* const* i, void* o, size_t n) {
          HWY_DYNAMIC_DISPATCH(MulF64)(i, o, n);
        };
      break;
  }
  return nullptr;
}

}  // namespace mlx::core::cpu
#endif  // HWY_ONCE
