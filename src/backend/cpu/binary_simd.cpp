// SIMD tile kernels for binary rows, compiled once per Highway target (SSE4, AVX2, AVX-512) and
// chosen at run time: float32 and float64, float16 and bfloat16 in float32 lanes, and integer
// add/subtract/multiply (wrapping), maximum/minimum and bitwise and/or/xor where Highway has the
// op; floor_divide, arctan2 and logaddexp of floats; power by a scalar 2 or 3 as multiplications.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/binary_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <hwy/contrib/math/math-inl.h>

#include <algorithm>
#include <cstdint>

#include "backend/cpu/binary.h"
#include "backend/cpu/simd/elementwise-inl.h"
#include "core/dtype_utils.h"

HWY_BEFORE_NAMESPACE();
namespace mlx::core::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

struct AddV {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const {
    return hn::Add(a, b);
  }
};

struct SubV {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const {
    return hn::Sub(a, b);
  }
};

struct MulV {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const {
    return hn::Mul(a, b);
  }
};

struct DivV {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const {
    return hn::Div(a, b);
  }
};

// NaN-propagating: Highway leaves Max and Min of NaN unspecified.
struct MaxV {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const {
    if constexpr (hwy::IsFloat<hn::TFromV<V>>()) {
      return hn::IfThenElse(hn::Or(hn::IsNaN(a), hn::IsNaN(b)), hn::Add(a, b), hn::Max(a, b));
    } else {
      return hn::Max(a, b);
    }
  }
};

struct MinV {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const {
    if constexpr (hwy::IsFloat<hn::TFromV<V>>()) {
      return hn::IfThenElse(hn::Or(hn::IsNaN(a), hn::IsNaN(b)), hn::Add(a, b), hn::Min(a, b));
    } else {
      return hn::Min(a, b);
    }
  }
};

struct AndV {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const {
    return hn::And(a, b);
  }
};

struct OrV {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const {
    return hn::Or(a, b);
  }
};

struct XorV {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const {
    return hn::Xor(a, b);
  }
};

// floor(a / b) for float32 and float64 only: half types round the quotient before the floor.
struct FloorDivV {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const {
    return hn::Floor(hn::Div(a, b));
  }
};

// max + log1p(exp(min - max)), as the scalar row; equal infinities give themselves, NaN
// propagates (Highway leaves Max and Min of NaN unspecified). The exp is ExpF32 for float32
// vectors whose every lane is within its range (softplus of anything but huge values).
struct LogAddExpV {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const {
    const hn::DFromV<V> d;
    const V hi = hn::Max(a, b);
    const V x = hn::Sub(hn::Min(a, b), hi);
    V e;
    if constexpr (sizeof(hn::TFromV<V>) == 4) {
      e = hn::AllTrue(d, hn::Ge(x, hn::Set(d, -kExpF32Limit))) ? ExpF32(d, x) : hn::Exp(d, x);
    } else {
      e = hn::Exp(d, x);
    }
    const V r = hn::Add(hi, hn::Log1p(d, e));
    return hn::IfThenElse(hn::Or(hn::IsNaN(a), hn::IsNaN(b)), hn::Add(a, b),
                          hn::IfThenElse(hn::IsInf(hi), hi, r));
  }
};

// atan2 from atan on [0, 1]: t = min(|a|, |b|) / max(|a|, |b|), then reflected into the octant
// of (b, a). Zeros and infinities give atan2's signed values (0 / 0 and inf / inf are taken as
// t = 0 and t = 1); NaN propagates through t.
struct ArcTan2V {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const {
    using T = hn::TFromV<V>;
    const hn::DFromV<V> d;
    const V ay = hn::Abs(a);
    const V ax = hn::Abs(b);
    const V hi = hn::Max(ax, ay);
    const V lo = hn::Min(ax, ay);
    V t = hn::Div(lo, hi);
    t = hn::IfThenZeroElse(hn::Eq(hi, hn::Zero(d)), t);
    t = hn::IfThenElse(hn::And(hn::IsInf(lo), hn::IsInf(hi)), hn::Set(d, T(1)), t);
    V r = hn::Atan(d, t);
    r = hn::IfThenElse(hn::Gt(ay, ax), hn::Sub(hn::Set(d, T(1.5707963267948966)), r), r);
    const hn::RebindToSigned<decltype(d)> di;
    const auto b_negative = hn::RebindMask(d, hn::Lt(hn::BitCast(di, b), hn::Zero(di)));
    r = hn::IfThenElse(b_negative, hn::Sub(hn::Set(d, T(3.141592653589793)), r), r);
    r = hn::IfThenElse(hn::Or(hn::IsNaN(a), hn::IsNaN(b)), hn::Add(a, b), r);
    return hn::CopySign(r, a);
  }
};

// power(a, b) for a scalar b of 2 or 3, which ignores b.
struct SquareV {
  template <class V>
  HWY_INLINE V operator()(V a, V) const {
    return hn::Mul(a, a);
  }
};

struct CubeV {
  template <class V>
  HWY_INLINE V operator()(V a, V) const {
    return hn::Mul(hn::Mul(a, a), a);
  }
};

// Like MapTile, but the output bypasses the cache (StreamLoop).
template <typename T, class Op>
void StreamTile(const void* const* in, void* out, size_t n) {
  const hn::ScalableTag<T> d;
  const Op op;
  StreamLoop<hn::MaxLanes(d), 2>(in, static_cast<T*>(out), n, [&](const T* const* p) {
    return op(hn::LoadU(d, p[0]), hn::LoadU(d, p[1]));
  });
}

// Like MapTile, with input kScalar one value (its first element) broadcast over the tile.
template <typename T, size_t kScalar, class Op>
void ScalarTile(const void* const* in, void* out, size_t n) {
  const hn::ScalableTag<T> d;
  const Op op;
  const auto s = hn::Set(d, *static_cast<const T*>(in[kScalar]));
  const void* tile[1] = {in[1 - kScalar]};
  VectorLoop<hn::MaxLanes(d), 1, T, T>(tile, out, n, [&](const T* const* p, T* o) {
    const auto v = hn::LoadU(d, p[0]);
    if constexpr (kScalar == 0) {
      hn::StoreU(op(s, v), d, o);
    } else {
      hn::StoreU(op(v, s), d, o);
    }
  });
}

template <class Op>
TileFn ScalarKernel(Dtype dtype, int scalar_side) {
  switch (dtype) {
    case Dtype::Val::float32:
      return scalar_side == 0 ? ScalarTile<float, 0, Op> : ScalarTile<float, 1, Op>;
    case Dtype::Val::float64:
      return scalar_side == 0 ? ScalarTile<double, 0, Op> : ScalarTile<double, 1, Op>;
    default:
      return nullptr;
  }
}

template <class Op>
TileFn FloatKernel(Dtype dtype) {
  switch (dtype) {
    case Dtype::Val::float32:
      return MapTile<NativeFormat<float>, 2, Op>;
    case Dtype::Val::float64:
      return MapTile<NativeFormat<double>, 2, Op>;
    case Dtype::Val::bfloat16:
      return MapTile<BF16Format, 2, Op>;
#if MLX_SIMD_F16
    case Dtype::Val::float16:
      return MapTile<F16Format, 2, Op>;
#endif
    default:
      return nullptr;
  }
}

// Integer lanes with the op: Highway 1.0.3 has no 8-bit multiply.
template <class Op>
TileFn IntegerKernel(Dtype dtype) {
  return dispatch_dtype(dtype, [](auto tag) -> TileFn {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                  !(std::is_same_v<Op, MulV> && sizeof(T) == 1)) {
      return MapTile<NativeFormat<T>, 2, Op>;
    } else {
      return nullptr;
    }
  });
}

template <class Op>
TileFn NativeFloatKernel(Dtype dtype) {
  switch (dtype) {
    case Dtype::Val::float32:
      return MapTile<NativeFormat<float>, 2, Op>;
    case Dtype::Val::float64:
      return MapTile<NativeFormat<double>, 2, Op>;
    default:
      return nullptr;
  }
}

template <class Op>
TileFn StreamKernel(Dtype dtype) {
  switch (dtype) {
    case Dtype::Val::float32:
      return StreamTile<float, Op>;
    case Dtype::Val::float64:
      return StreamTile<double, Op>;
    default:
      return nullptr;
  }
}

// make.template operator()<Functor>() with the functor of op for the six arithmetic ops that
// have streaming, scalar-operand and prologue kernels (add, subtract, multiply, divide, maximum,
// minimum), else nullptr.
template <class Make>
auto WithArithmetic(BinaryOp op, const Make& make) -> decltype(make.template operator()<AddV>()) {
  switch (op) {
    case BinaryOp::Add:
      return make.template operator()<AddV>();
    case BinaryOp::Subtract:
      return make.template operator()<SubV>();
    case BinaryOp::Multiply:
      return make.template operator()<MulV>();
    case BinaryOp::Divide:
      return make.template operator()<DivV>();
    case BinaryOp::Maximum:
      return make.template operator()<MaxV>();
    case BinaryOp::Minimum:
      return make.template operator()<MinV>();
    default:
      return nullptr;
  }
}

TileFn BinarySimdKernel(BinaryOp op, Dtype dtype, bool streaming) {
#if MLX_SIMD_NATIVE
  if (streaming) {
    return WithArithmetic(op, [dtype]<class Op>() { return StreamKernel<Op>(dtype); });
  }
  switch (op) {
    case BinaryOp::Add:
      if (auto fn = FloatKernel<AddV>(dtype)) {
        return fn;
      }
      return IntegerKernel<AddV>(dtype);
    case BinaryOp::Subtract:
      if (auto fn = FloatKernel<SubV>(dtype)) {
        return fn;
      }
      return IntegerKernel<SubV>(dtype);
    case BinaryOp::Multiply:
      if (auto fn = FloatKernel<MulV>(dtype)) {
        return fn;
      }
      return IntegerKernel<MulV>(dtype);
    case BinaryOp::Divide:
      return FloatKernel<DivV>(dtype);
    case BinaryOp::Maximum:
      if (auto fn = FloatKernel<MaxV>(dtype)) {
        return fn;
      }
      return IntegerKernel<MaxV>(dtype);
    case BinaryOp::Minimum:
      if (auto fn = FloatKernel<MinV>(dtype)) {
        return fn;
      }
      return IntegerKernel<MinV>(dtype);
    case BinaryOp::FloorDivide:
      return NativeFloatKernel<FloorDivV>(dtype);
    case BinaryOp::LogAddExp:
      return FloatKernel<LogAddExpV>(dtype);
    case BinaryOp::ArcTan2:
      return FloatKernel<ArcTan2V>(dtype);
    case BinaryOp::BitwiseAnd:
      return IntegerKernel<AndV>(dtype);
    case BinaryOp::BitwiseOr:
      return IntegerKernel<OrV>(dtype);
    case BinaryOp::BitwiseXor:
      return IntegerKernel<XorV>(dtype);
    default:
      return nullptr;
  }
#endif
  return nullptr;
}

TileFn BinaryScalarSimdKernel(BinaryOp op, Dtype dtype, int scalar_side) {
#if MLX_SIMD_NATIVE
  return WithArithmetic(
      op, [dtype, scalar_side]<class Op>() { return ScalarKernel<Op>(dtype, scalar_side); });
#endif
  return nullptr;
}

template <class Op, unsigned kModes>
PrologueFn PrologueKernelOf(bool streaming) {
  return streaming ? PrologueTile<2, Op, kModes, true> : PrologueTile<2, Op, kModes, false>;
}

// modes: the prologue of input 0 in bits 0-1 and of input 1 in bits 2-3 (see PrologueTile).
template <class Op>
PrologueFn PrologueKernel(unsigned modes, bool streaming) {
  switch (modes) {
    case 1:
      return PrologueKernelOf<Op, 1>(streaming);
    case 2:
      return PrologueKernelOf<Op, 2>(streaming);
    case 3:
      return PrologueKernelOf<Op, 3>(streaming);
    case 4:
      return PrologueKernelOf<Op, 4>(streaming);
    case 5:
      return PrologueKernelOf<Op, 5>(streaming);
    case 6:
      return PrologueKernelOf<Op, 6>(streaming);
    case 7:
      return PrologueKernelOf<Op, 7>(streaming);
    case 8:
      return PrologueKernelOf<Op, 8>(streaming);
    case 9:
      return PrologueKernelOf<Op, 9>(streaming);
    case 10:
      return PrologueKernelOf<Op, 10>(streaming);
    case 11:
      return PrologueKernelOf<Op, 11>(streaming);
    case 12:
      return PrologueKernelOf<Op, 12>(streaming);
    case 13:
      return PrologueKernelOf<Op, 13>(streaming);
    case 14:
      return PrologueKernelOf<Op, 14>(streaming);
    case 15:
      return PrologueKernelOf<Op, 15>(streaming);
    default:
      return nullptr;
  }
}

PrologueFn BinaryPrologueKernel(BinaryOp op, unsigned modes, bool streaming) {
#if MLX_SIMD_NATIVE && MLX_SIMD_OPAQUE
  return WithArithmetic(
      op, [modes, streaming]<class Op>() { return PrologueKernel<Op>(modes, streaming); });
#endif
  return nullptr;
}

TileFn SmallPowerSimdKernel(int exponent, Dtype dtype) {
#if MLX_SIMD_NATIVE
  switch (exponent) {
    case 2:
      return FloatKernel<SquareV>(dtype);
    case 3:
      return FloatKernel<CubeV>(dtype);
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

HWY_EXPORT(BinarySimdKernel);
HWY_EXPORT(SmallPowerSimdKernel);
HWY_EXPORT(BinaryScalarSimdKernel);
HWY_EXPORT(BinaryPrologueKernel);

TileFn binary_simd_kernel(BinaryOp op, Dtype dtype, bool streaming) {
  return HWY_DYNAMIC_DISPATCH(BinarySimdKernel)(op, dtype, streaming);
}

TileFn small_power_simd_kernel(int exponent, Dtype dtype) {
  return HWY_DYNAMIC_DISPATCH(SmallPowerSimdKernel)(exponent, dtype);
}

TileFn binary_scalar_simd_kernel(BinaryOp op, Dtype dtype, int scalar_side) {
  return HWY_DYNAMIC_DISPATCH(BinaryScalarSimdKernel)(op, dtype, scalar_side);
}

PrologueFn binary_prologue_kernel(BinaryOp op, unsigned modes, bool streaming) {
  return HWY_DYNAMIC_DISPATCH(BinaryPrologueKernel)(op, modes, streaming);
}

}  // namespace mlx::core::cpu
#endif  // HWY_ONCE
