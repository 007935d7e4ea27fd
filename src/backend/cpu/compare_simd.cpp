// SIMD tile kernels of the comparison family, compiled once per Highway target (SSE4, AVX2,
// AVX-512) and chosen at run time: comparisons of float32, float16 and bfloat16 (in float32
// lanes) and where for every element size.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/compare_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <cstdint>

#include "backend/cpu/compare.h"
#include "backend/cpu/simd/elementwise-inl.h"

HWY_BEFORE_NAMESPACE();
namespace mlx::core::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

struct EqM {
  template <class V>
  HWY_INLINE auto operator()(V a, V b) const {
    return hn::Eq(a, b);
  }
};
// Not Ne: Highway's is the ordered comparison on some targets, false for NaN.
struct NeM {
  template <class V>
  HWY_INLINE auto operator()(V a, V b) const {
    return hn::Not(hn::Eq(a, b));
  }
};
struct GtM {
  template <class V>
  HWY_INLINE auto operator()(V a, V b) const {
    return hn::Gt(a, b);
  }
};
struct GeM {
  template <class V>
  HWY_INLINE auto operator()(V a, V b) const {
    return hn::Ge(a, b);
  }
};
struct LtM {
  template <class V>
  HWY_INLINE auto operator()(V a, V b) const {
    return hn::Lt(a, b);
  }
};
struct LeM {
  template <class V>
  HWY_INLINE auto operator()(V a, V b) const {
    return hn::Le(a, b);
  }
};

// Compares in float32 lanes and writes each lane's result as a bool byte (0 or 1).
template <class Fmt, class Op>
void CompareTile(const void* const* in, void* out, size_t n) {
  using S = typename Fmt::Storage;
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const hn::Rebind<uint8_t, decltype(d)> d8;
  const Op op;
  const auto one = hn::Set(di, 1);
  VectorLoop<hn::MaxLanes(d), 2, S, uint8_t>(in, out, n, [&](const S* const* p, uint8_t* o) {
    const auto m = hn::RebindMask(di, op(Fmt::Load(d, p[0]), Fmt::Load(d, p[1])));
    hn::StoreU(hn::DemoteTo(d8, hn::IfThenElseZero(m, one)), d8, o);
  });
}

template <class Op>
TileFn FloatKernel(Dtype dtype) {
  switch (dtype) {
    case Dtype::Val::float32:
      return CompareTile<NativeFormat<float>, Op>;
    case Dtype::Val::bfloat16:
      return CompareTile<BF16Format, Op>;
#if MLX_SIMD_F16
    case Dtype::Val::float16:
      return CompareTile<F16Format, Op>;
#endif
    default:
      return nullptr;
  }
}

TileFn CompareSimdKernel(CompareOp op, Dtype dtype) {
#if MLX_SIMD_NATIVE
  switch (op) {
    case CompareOp::Equal:
      return FloatKernel<EqM>(dtype);
    case CompareOp::NotEqual:
      return FloatKernel<NeM>(dtype);
    case CompareOp::Greater:
      return FloatKernel<GtM>(dtype);
    case CompareOp::GreaterEqual:
      return FloatKernel<GeM>(dtype);
    case CompareOp::Less:
      return FloatKernel<LtM>(dtype);
    case CompareOp::LessEqual:
      return FloatKernel<LeM>(dtype);
    default:
      return nullptr;
  }
#endif
  return nullptr;
}

// The condition bytes of one vector of U lanes, as a mask.
template <class D>
HWY_INLINE auto ConditionMask(D d, const uint8_t* c) {
  using U = hn::TFromD<D>;
  const hn::Rebind<uint8_t, D> d8;
  if constexpr (sizeof(U) == 1) {
    return hn::Ne(hn::LoadU(d, c), hn::Zero(d));
  } else if constexpr (sizeof(U) == 8) {
    // Highway 1.0.3 promotes bytes to at most 32 bits at once.
    const hn::Rebind<uint32_t, D> d32;
    return hn::Ne(hn::PromoteTo(d, hn::PromoteTo(d32, hn::LoadU(d8, c))), hn::Zero(d));
  } else {
    return hn::Ne(hn::PromoteTo(d, hn::LoadU(d8, c)), hn::Zero(d));
  }
}

// where moves bits, so the lanes are unsigned integers of the element's size.
template <typename U>
void SelectTile(const void* const* in, void* out, size_t n) {
  const hn::ScalableTag<U> d;
  constexpr size_t kLanes = hn::MaxLanes(d);
  auto c = static_cast<const uint8_t*>(in[0]);
  auto x = static_cast<const U*>(in[1]);
  auto y = static_cast<const U*>(in[2]);
  auto o = static_cast<U*>(out);
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    hn::StoreU(hn::IfThenElse(ConditionMask(d, c + i), hn::LoadU(d, x + i), hn::LoadU(d, y + i)), d,
               o + i);
  }
  for (; i < n; ++i) {
    o[i] = c[i] ? x[i] : y[i];
  }
}

TileFn SelectSimdKernel(size_t itemsize) {
#if MLX_SIMD_NATIVE
  switch (itemsize) {
    case 1:
      return SelectTile<uint8_t>;
    case 2:
      return SelectTile<uint16_t>;
    case 4:
      return SelectTile<uint32_t>;
    case 8:
      return SelectTile<uint64_t>;
    default:
      return nullptr;
  }
#endif
  return nullptr;
}

}  // namespace mlx::core::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace mlx::core::cpu {

HWY_EXPORT(CompareSimdKernel);
HWY_EXPORT(SelectSimdKernel);

TileFn compare_simd_kernel(CompareOp op, Dtype dtype) {
  return HWY_DYNAMIC_DISPATCH(CompareSimdKernel)(op, dtype);
}

TileFn select_simd_kernel(size_t itemsize) {
  return HWY_DYNAMIC_DISPATCH(SelectSimdKernel)(itemsize);
}

}  // namespace mlx::core::cpu
#endif  // HWY_ONCE
