// SIMD tile kernels for unary rows and for the hot dtype conversions (astype), compiled once per
// Highway target (SSE4, AVX2, AVX-512) and chosen at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/unary_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
// After foreach_target.h: it is included once per target.
#include <hwy/contrib/math/math-inl.h>

#include <limits>
#include <numbers>

#include "backend/cpu/copy.h"
#include "backend/cpu/simd/elementwise-inl.h"
#include "backend/cpu/unary.h"
#include "backend/cpu/unary_ops.h"
#include "mlx/array.h"

HWY_BEFORE_NAMESPACE();
namespace mlx::core::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// ---- functors on compute vectors ----

struct NegV {
  template <class V>
  HWY_INLINE V operator()(V a) const {
    return hn::Neg(a);
  }
};

// float16 and bfloat16 both keep their sign in the top bit: negating is exact on the bits.
struct FlipSign16V {
  template <class V>
  HWY_INLINE V operator()(V a) const {
    return hn::Xor(a, hn::Set(hn::DFromV<V>(), uint16_t{0x8000}));
  }
};

// Functors of one Highway call (exact, or valid on every input).
#define MLX_SIMD_CALL(Name, expr)        \
  struct Name {                          \
    template <class V>                   \
    HWY_INLINE V operator()(V v) const { \
      const hn::DFromV<V> d;             \
      (void)d;                           \
      return expr;                       \
    }                                    \
  };
MLX_SIMD_CALL(AbsV, hn::Abs(v))
MLX_SIMD_CALL(SquareV, hn::Mul(v, v))
MLX_SIMD_CALL(FloorV, hn::Floor(v))
MLX_SIMD_CALL(CeilV, hn::Ceil(v))
MLX_SIMD_CALL(TruncV, hn::Trunc(v))
MLX_SIMD_CALL(RoundV, hn::Round(v))  // half to even
MLX_SIMD_CALL(SqrtV, hn::Sqrt(v))
MLX_SIMD_CALL(ReciprocalV, hn::Div(hn::Set(d, 1), v))
MLX_SIMD_CALL(RsqrtV, hn::Div(hn::Set(d, 1), hn::Sqrt(v)))
MLX_SIMD_CALL(DegreesV, hn::Mul(v, hn::Set(d, hn::TFromD<decltype(d)>(180 / std::numbers::pi))))
MLX_SIMD_CALL(RadiansV, hn::Mul(v, hn::Set(d, hn::TFromD<decltype(d)>(std::numbers::pi / 180))))
// NaN and -0 give +0, as the scalar comparisons do.
MLX_SIMD_CALL(SignV, hn::IfThenElse(hn::Gt(v, hn::Zero(d)), hn::Set(d, 1),
                                    hn::IfThenElseZero(hn::Lt(v, hn::Zero(d)), hn::Set(d, -1))))
#undef MLX_SIMD_CALL

// The largest |x| at which exp(x) is finite and normal, with a margin.
template <class D>
HWY_INLINE hn::Vec<D> ExpLimit(D d) {
  return hn::Set(d, sizeof(hn::TFromD<D>) == 4 ? 87.0 : 708.0);
}

// tanh in float32 lanes, within 1.3 ulp (GELU's tanh form runs it on every element, so it is
// worth a cheaper form than Highway's expm1-based one). Below 0.625 an odd polynomial
// x + x^3 P(x^2); above, 1 - 2 / (e^{2|x|} + 1), which cannot cancel there, with e^y for y in
// [1.25, 18.2] by ExpF32. Past 9.1 the result rounds to 1. The coefficients are least-squares
// fits of the relative error, checked against double tanh on a 2-million-point grid of [-12, 12].
template <class D>
HWY_INLINE hn::Vec<D> TanhF32(D d, hn::Vec<D> x) {
  const auto a = hn::Min(hn::Abs(x), hn::Set(d, 9.1f));
  const auto is_small = hn::Lt(a, hn::Set(d, 0.625f));
  auto small = [&] {
    const auto s = hn::Mul(a, a);
    auto p = hn::Set(d, 2.148655941709876e-3f);
    for (float c : {-8.18431843072176e-3f, 2.1703867241740227e-2f, -5.394743010401726e-2f,
                    1.3333211839199066e-1f, -3.333333134651184e-1f}) {
      p = hn::MulAdd(p, s, hn::Set(d, c));
    }
    return hn::MulAdd(hn::Mul(a, s), p, a);
  };
  // Neighbouring elements often lie on one side of 0.625 (smooth or sorted data): a vector
  // wholly below skips the exponential.
  if (hn::AllTrue(d, is_small)) {
    return hn::CopySignToAbs(small(), x);
  }
  const auto e = ExpF32(d, hn::Add(a, a));
  const auto one = hn::Set(d, 1.0f);
  const auto den = hn::Add(e, one);
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  // A division would bound the loop: AVX-512's 14-bit reciprocal and one Newton step give
  // 2^-27, and the fraction is under half the result, so it stays within the ulp budget.
  auto inv = hn::ApproximateReciprocal(den);
  inv = hn::Mul(inv, hn::NegMulAdd(den, inv, hn::Set(d, 2.0f)));
  const auto large = hn::NegMulAdd(hn::Set(d, 2.0f), inv, one);
#else
  const auto large = hn::Sub(one, hn::Div(hn::Set(d, 2.0f), den));
#endif
  if (hn::AllFalse(d, is_small)) {
    return hn::CopySignToAbs(large, x);
  }
  return hn::CopySignToAbs(hn::IfThenElse(is_small, small(), large), x);
}

template <class D>
HWY_INLINE hn::Vec<D> TanhOf(D d, hn::Vec<D> x) {
  if constexpr (sizeof(hn::TFromD<D>) == 4) {
    return TanhF32(d, x);
  } else {
    return hn::Tanh(d, x);
  }
}

// A Highway approximation valid where Valid(d, v) holds. Elsewhere NaN lanes give NaN (every
// guarded function maps NaN to NaN; x + x quiets it; the sign and payload of a NaN are not
// promised) and the other lanes (infinities, domain errors, huge arguments) are computed one by
// one with the scalar function S, so those edge cases follow libm (and NumPy) exactly.
#define MLX_SIMD_GUARDED(Name, S, valid, expr)                    \
  struct Name {                                                   \
    template <class V>                                            \
    HWY_INLINE V operator()(V v) const {                          \
      const hn::DFromV<V> d;                                      \
      const auto ok = valid;                                      \
      if (HWY_LIKELY(hn::AllTrue(d, ok))) {                       \
        return expr;                                              \
      }                                                           \
      const auto nan = hn::IsNaN(v);                              \
      const auto fast = hn::IfThenElse(nan, hn::Add(v, v), expr); \
      const auto known = hn::Or(ok, nan);                         \
      if (hn::AllTrue(d, known)) {                                \
        return fast;                                              \
      }                                                           \
      using T = hn::TFromD<decltype(d)>;                          \
      constexpr size_t kLanes = hn::MaxLanes(d);                  \
      HWY_ALIGN T in[kLanes], out[kLanes];                        \
      uint8_t bits[(kLanes + 7) / 8 + 8] = {};                    \
      hn::Store(v, d, in);                                        \
      hn::Store(fast, d, out);                                    \
      hn::StoreMaskBits(d, known, bits);                          \
      for (size_t i = 0; i < hn::Lanes(d); ++i) {                 \
        if (!((bits[i / 8] >> (i % 8)) & 1)) out[i] = S()(in[i]); \
      }                                                           \
      return hn::Load(d, out);                                    \
    }                                                             \
  };
namespace s = scalar;
// The largest x with a finite exp(x): past it exp overflows to inf, which needs no libm call
// (arrays with many overflowing values otherwise go lane by lane).
template <class D>
HWY_INLINE hn::Vec<D> ExpOverflow(D d) {
  return hn::Set(d, sizeof(hn::TFromD<D>) == 4 ? 88.72283172607421875 : 709.782712893383973096);
}
// Highway's Exp is accurate from the lowest finite value up (results that underflow included):
// only NaN, -inf and inputs between ExpLimit and ExpOverflow take the scalar path.
MLX_SIMD_GUARDED(
    ExpAnyV, s::Exp,
    hn::Or(hn::And(hn::Lt(v, ExpLimit(d)),
                   hn::Ge(v, hn::Set(d, std::numeric_limits<hn::TFromD<decltype(d)>>::lowest()))),
           hn::Gt(v, ExpOverflow(d))),
    hn::IfThenElse(hn::Gt(v, ExpOverflow(d)),
                   hn::Set(d, std::numeric_limits<hn::TFromD<decltype(d)>>::infinity()),
                   hn::Exp(d, v)))
// Float32 vectors whose every lane is within kExpF32Limit take Fast (an ExpF32 form); other
// vectors, and the other types, take Any (a Highway form, guarded).
template <class Fast, class Any>
struct WithinExpF32 {
  template <class V>
  HWY_INLINE V operator()(V v) const {
    const hn::DFromV<V> d;
    if constexpr (sizeof(hn::TFromD<decltype(d)>) == 4) {
      if (HWY_LIKELY(hn::AllTrue(d, hn::Le(hn::Abs(v), hn::Set(d, kExpF32Limit))))) {
        return Fast()(d, v);
      }
    }
    return Any()(v);
  }
};
struct ExpF32Form {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V v) const {
    return ExpF32(d, v);
  }
};
using ExpV = WithinExpF32<ExpF32Form, ExpAnyV>;
// Highway's Expm1, Sin and Tan give +0 for -0: zeros are passed through, keeping their sign.
template <class V>
HWY_INLINE V KeepZero(V v, V r) {
  return hn::IfThenElse(hn::Eq(v, hn::Zero(hn::DFromV<V>())), v, r);
}
MLX_SIMD_GUARDED(Expm1V, s::Expm1, hn::Lt(hn::Abs(v), ExpLimit(d)), KeepZero(v, hn::Expm1(d, v)))
MLX_SIMD_GUARDED(SinhV, s::Sinh, hn::Lt(hn::Abs(v), ExpLimit(d)), hn::Sinh(d, v))
// (e^|x| + e^-|x|) / 2: a sum, so no cancellation.
MLX_SIMD_GUARDED(CoshV, s::Cosh, hn::Lt(hn::Abs(v), ExpLimit(d)), [&] {
  const auto e = hn::Exp(d, hn::Abs(v));
  return hn::Mul(hn::Set(d, 0.5), hn::Add(e, hn::Div(hn::Set(d, 1), e)));
}())
MLX_SIMD_GUARDED(SigmoidAnyV, s::Sigmoid, hn::Gt(v, hn::Neg(ExpLimit(d))),
                 hn::Div(hn::Set(d, 1), hn::Add(hn::Set(d, 1), hn::Exp(d, hn::Neg(v)))))
struct SigmoidF32Form {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V v) const {
    return hn::Div(hn::Set(d, 1), hn::Add(hn::Set(d, 1), ExpF32(d, hn::Neg(v))));
  }
};
using SigmoidV = WithinExpF32<SigmoidF32Form, SigmoidAnyV>;
// Normal positive finite numbers only.
#define MLX_LOG_DOMAIN                                                                \
  hn::And(hn::Ge(v, hn::Set(d, std::numeric_limits<hn::TFromD<decltype(d)>>::min())), \
          hn::Le(v, hn::Set(d, std::numeric_limits<hn::TFromD<decltype(d)>>::max())))
MLX_SIMD_GUARDED(LogV, s::Log, MLX_LOG_DOMAIN, hn::Log(d, v))
MLX_SIMD_GUARDED(Log2V, s::Log2, MLX_LOG_DOMAIN, hn::Log2(d, v))
MLX_SIMD_GUARDED(Log10V, s::Log10, MLX_LOG_DOMAIN, hn::Log10(d, v))
#undef MLX_LOG_DOMAIN
// log1p(+inf) is +inf.
MLX_SIMD_GUARDED(Log1pV, s::Log1p, hn::And(hn::Ge(v, hn::Zero(d)), hn::Not(hn::IsNaN(v))),
                 hn::IfThenElse(hn::IsFinite(v), hn::Log1p(d, v), v))
// Highway's range reduction is accurate to |x| < 39000.
MLX_SIMD_GUARDED(SinV, s::Sin, hn::Lt(hn::Abs(v), hn::Set(d, 39000)), KeepZero(v, hn::Sin(d, v)))
MLX_SIMD_GUARDED(CosV, s::Cos, hn::Lt(hn::Abs(v), hn::Set(d, 39000)), hn::Cos(d, v))
MLX_SIMD_GUARDED(TanV, s::Tan, hn::Lt(hn::Abs(v), hn::Set(d, 39000)),
                 KeepZero(v, hn::Div(hn::Sin(d, v), hn::Cos(d, v))))
MLX_SIMD_GUARDED(TanhV, s::Tanh, hn::IsFinite(v), TanhOf(d, v))
MLX_SIMD_GUARDED(ArcSinV, s::ArcSin, hn::Le(hn::Abs(v), hn::Set(d, 1)), hn::Asin(d, v))
MLX_SIMD_GUARDED(ArcCosV, s::ArcCos, hn::Le(hn::Abs(v), hn::Set(d, 1)), hn::Acos(d, v))
MLX_SIMD_GUARDED(ArcTanV, s::ArcTan, hn::IsFinite(v), hn::Atan(d, v))
MLX_SIMD_GUARDED(ArcSinhV, s::ArcSinh, hn::IsFinite(v), hn::Asinh(d, v))
MLX_SIMD_GUARDED(ArcCoshV, s::ArcCosh, hn::And(hn::Ge(v, hn::Set(d, 1)), hn::IsFinite(v)),
                 hn::Acosh(d, v))
MLX_SIMD_GUARDED(ArcTanhV, s::ArcTanh, hn::Lt(hn::Abs(v), hn::Set(d, 1)), hn::Atanh(d, v))

// erf in float32 lanes: both of scalar::erf_f32's branches, blended. erf(8) rounds to 1.
template <class D>
HWY_INLINE hn::Vec<D> ErfF32(D d, hn::Vec<D> a) {
  const auto t = hn::Abs(a);
  const auto s = hn::Mul(a, a);
  auto r = hn::MulAdd(hn::Set(d, -1.72853470e-5f), t, hn::Set(d, 3.83197126e-4f));
  const auto u = hn::MulAdd(hn::Set(d, -3.88396438e-3f), t, hn::Set(d, 2.42546219e-2f));
  r = hn::MulAdd(r, s, u);
  r = hn::MulAdd(r, t, hn::Set(d, -1.06777877e-1f));
  r = hn::MulAdd(r, t, hn::Set(d, -6.34846687e-1f));
  r = hn::MulAdd(r, t, hn::Set(d, -1.28717512e-1f));
  r = hn::MulAdd(r, t, hn::Neg(t));
  const auto big = hn::CopySign(hn::Sub(hn::Set(d, 1.0f), hn::Exp(d, r)), a);
  auto q = hn::Set(d, -5.96761703e-4f);
  q = hn::MulAdd(q, s, hn::Set(d, 4.99119423e-3f));
  q = hn::MulAdd(q, s, hn::Set(d, -2.67681349e-2f));
  q = hn::MulAdd(q, s, hn::Set(d, 1.12819925e-1f));
  q = hn::MulAdd(q, s, hn::Set(d, -3.76125336e-1f));
  q = hn::MulAdd(q, s, hn::Set(d, 1.28379166e-1f));
  const auto small = hn::MulAdd(q, a, a);
  return hn::IfThenElse(hn::Gt(t, hn::Set(d, 0.927734375f)), big, small);
}
MLX_SIMD_GUARDED(ErfV, s::Erf, hn::Lt(hn::Abs(v), hn::Set(d, 8.0f)), ErfF32(d, v))
#undef MLX_SIMD_GUARDED

// erfinv in float32 as scalar::erfinv_f32 computes it. 1 - a^2 and its log are computed in
// double lanes and rounded once to float, which reproduces the fused multiply-add and libm's
// (correctly rounded) logf, so random::normal matches MLX; the polynomials run in float.
void ErfInvF32Tile(const void* const* in, void* out, size_t n) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  VectorLoop<hn::MaxLanes(dd), 1, float, float>(in, out, n, [&](const float* const* p, float* o) {
    const auto a = hn::LoadU(df, p[0]);
    if (HWY_UNLIKELY(!hn::AllTrue(df, hn::Lt(hn::Abs(a), hn::Set(df, 1.0f))))) {
      for (size_t k = 0; k < hn::MaxLanes(dd); ++k) {
        o[k] = scalar::erfinv_f32(p[0][k]);
      }
      return;
    }
    const auto ad = hn::PromoteTo(dd, a);
    const auto w = hn::DemoteTo(df, hn::NegMulAdd(ad, ad, hn::Set(dd, 1.0)));
    const auto t = hn::DemoteTo(df, hn::Log(dd, hn::PromoteTo(dd, w)));
    auto tail = hn::Set(df, 3.03697567e-10f);
    for (float c : {2.93243101e-8f, 1.22150334e-6f, 2.84108955e-5f, 3.93552968e-4f, 3.02698812e-3f,
                    4.83185798e-3f, -2.64646143e-1f, 8.40016484e-1f}) {
      tail = hn::MulAdd(tail, t, hn::Set(df, c));
    }
    auto body = hn::Set(df, 5.43877832e-9f);
    for (float c :
         {1.43285448e-7f, 1.22774793e-6f, 1.12963626e-7f, -5.61530760e-5f, -1.47697632e-4f,
          2.31468678e-3f, 1.15392581e-2f, -2.32015476e-1f, 8.86226892e-1f}) {
      body = hn::MulAdd(body, t, hn::Set(df, c));
    }
    const auto poly = hn::IfThenElse(hn::Gt(hn::Abs(t), hn::Set(df, 6.125f)), tail, body);
    hn::StoreU(hn::Mul(a, poly), df, o);
  });
}

// The kernel of functor Op at dtype: float32 and float64 always; float16 and bfloat16 (in
// float32 lanes) where kHalf.
template <class Op, bool kHalf>
TileFn FloatKernel(Dtype dtype) {
  switch (dtype) {
    case Dtype::Val::float32:
      return MapTile<NativeFormat<float>, 1, Op>;
    case Dtype::Val::float64:
      return MapTile<NativeFormat<double>, 1, Op>;
    case Dtype::Val::bfloat16:
      if constexpr (kHalf) {
        return MapTile<BF16Format, 1, Op>;
      }
      return nullptr;
#if MLX_SIMD_F16
    case Dtype::Val::float16:
      if constexpr (kHalf) {
        return MapTile<F16Format, 1, Op>;
      }
      return nullptr;
#endif
    default:
      return nullptr;
  }
}

// make.template operator()<Functor, kHalf>() with the functor of op, for the ops computed by one
// functor on float lanes (kHalf: its kernel serves float16 and bfloat16 too), else nullptr.
template <class Make>
auto WithFloatFunctor(UnaryOp op, const Make& make)
    -> decltype(make.template operator()<AbsV, true>()) {
  switch (op) {
    case UnaryOp::Abs:
      return make.template operator()<AbsV, true>();
    case UnaryOp::Square:
      return make.template operator()<SquareV, true>();
    case UnaryOp::Floor:
      return make.template operator()<FloorV, true>();
    case UnaryOp::Ceil:
      return make.template operator()<CeilV, true>();
    case UnaryOp::Trunc:
      return make.template operator()<TruncV, false>();
    case UnaryOp::Round:
      return make.template operator()<RoundV, true>();
    case UnaryOp::Sign:
      return make.template operator()<SignV, false>();
    case UnaryOp::Sqrt:
      return make.template operator()<SqrtV, true>();
    case UnaryOp::Reciprocal:
      return make.template operator()<ReciprocalV, false>();
    case UnaryOp::Rsqrt:
      return make.template operator()<RsqrtV, false>();
    case UnaryOp::Degrees:
      return make.template operator()<DegreesV, false>();
    case UnaryOp::Radians:
      return make.template operator()<RadiansV, false>();
    case UnaryOp::Exp:
      return make.template operator()<ExpV, true>();
    case UnaryOp::Expm1:
      return make.template operator()<Expm1V, false>();
    case UnaryOp::Log:
      return make.template operator()<LogV, true>();
    case UnaryOp::Log1p:
      return make.template operator()<Log1pV, false>();
    case UnaryOp::Log2:
      return make.template operator()<Log2V, false>();
    case UnaryOp::Log10:
      return make.template operator()<Log10V, false>();
    case UnaryOp::Sin:
      return make.template operator()<SinV, true>();
    case UnaryOp::Cos:
      return make.template operator()<CosV, true>();
    case UnaryOp::Tan:
      return make.template operator()<TanV, false>();
    case UnaryOp::ArcSin:
      return make.template operator()<ArcSinV, false>();
    case UnaryOp::ArcCos:
      return make.template operator()<ArcCosV, false>();
    case UnaryOp::ArcTan:
      return make.template operator()<ArcTanV, false>();
    case UnaryOp::Sinh:
      return make.template operator()<SinhV, false>();
    case UnaryOp::Cosh:
      return make.template operator()<CoshV, false>();
    case UnaryOp::Tanh:
      return make.template operator()<TanhV, true>();
    case UnaryOp::ArcSinh:
      return make.template operator()<ArcSinhV, false>();
    case UnaryOp::ArcCosh:
      return make.template operator()<ArcCoshV, false>();
    case UnaryOp::ArcTanh:
      return make.template operator()<ArcTanhV, false>();
    case UnaryOp::Sigmoid:
      return make.template operator()<SigmoidV, true>();
    default:
      return nullptr;
  }
}

TileFn UnarySimdKernel(UnaryOp op, Dtype dtype) {
#if MLX_SIMD_NATIVE
  switch (op) {
    case UnaryOp::Negative:
      switch (dtype) {
        case Dtype::Val::float32:
          return MapTile<NativeFormat<float>, 1, NegV>;
        case Dtype::Val::float64:
          return MapTile<NativeFormat<double>, 1, NegV>;
        case Dtype::Val::float16:
        case Dtype::Val::bfloat16:
          return MapTile<NativeFormat<uint16_t>, 1, FlipSign16V>;
        default:
          return nullptr;
      }
    case UnaryOp::Erf:
      switch (dtype) {
        case Dtype::Val::float32:
          return MapTile<NativeFormat<float>, 1, ErfV>;
        case Dtype::Val::bfloat16:
          return MapTile<BF16Format, 1, ErfV>;
#if MLX_SIMD_F16
        case Dtype::Val::float16:
          return MapTile<F16Format, 1, ErfV>;
#endif
        default:
          return nullptr;
      }
    case UnaryOp::ErfInv:
      return dtype == float32 ? ErfInvF32Tile : nullptr;
    default:
      return WithFloatFunctor(
          op, [dtype]<class Op, bool kHalf>() { return FloatKernel<Op, kHalf>(dtype); });
  }
#endif
  return nullptr;
}

PrologueFn UnaryPrologueKernel(UnaryOp op, unsigned mode) {
#if MLX_SIMD_NATIVE && MLX_SIMD_OPAQUE
  auto make = [mode]<class Op, bool>() -> PrologueFn {
    switch (mode) {
      case 1:
        return PrologueTile<1, Op, 1, false>;
      case 2:
        return PrologueTile<1, Op, 2, false>;
      case 3:
        return PrologueTile<1, Op, 3, false>;
      default:
        return nullptr;
    }
  };
  switch (op) {
    case UnaryOp::Negative:
      return make.template operator()<NegV, true>();
    case UnaryOp::Erf:
      return make.template operator()<ErfV, true>();
    default:
      return WithFloatFunctor(op, make);
  }
#endif
  return nullptr;
}

// ---- conversions ----

// Between formats that compute in float32 lanes (float32 itself, float16, bfloat16).
template <class From, class To>
void RecodeTile(const void* const* in, void* out, size_t n) {
  using SIn = typename From::Storage;
  using SOut = typename To::Storage;
  const hn::ScalableTag<float> d;
  VectorLoop<hn::MaxLanes(d), 1, SIn, SOut>(
      in, out, n, [&](const SIn* const* p, SOut* o) { To::Store(From::Load(d, p[0]), d, o); });
}

void F32ToF64Tile(const void* const* in, void* out, size_t n) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  VectorLoop<hn::MaxLanes(dd), 1, float, double>(in, out, n, [&](const float* const* p, double* o) {
    hn::StoreU(hn::PromoteTo(dd, hn::LoadU(df, p[0])), dd, o);
  });
}

// Rounds to nearest even, as a C++ cast does.
void F64ToF32Tile(const void* const* in, void* out, size_t n) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  VectorLoop<hn::MaxLanes(dd), 1, double, float>(in, out, n, [&](const double* const* p, float* o) {
    hn::StoreU(hn::DemoteTo(df, hn::LoadU(dd, p[0])), df, o);
  });
}

void I32ToF32Tile(const void* const* in, void* out, size_t n) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  VectorLoop<hn::MaxLanes(df), 1, int32_t, float>(
      in, out, n, [&](const int32_t* const* p, float* o) {
        hn::StoreU(hn::ConvertTo(df, hn::LoadU(di, p[0])), df, o);
      });
}

// Truncates toward zero. Vectors with a value outside int32's range (or NaN) take the scalar
// conversion, whose wrapping and NaN rules the hardware conversion does not follow.
void F32ToI32Tile(const void* const* in, void* out, size_t n) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  constexpr size_t kLanes = hn::MaxLanes(df);
  VectorLoop<kLanes, 1, float, int32_t>(in, out, n, [&](const float* const* p, int32_t* o) {
    const auto v = hn::LoadU(df, p[0]);
    if (hn::AllTrue(df, hn::Lt(hn::Abs(v), hn::Set(df, 2147483648.0f)))) {
      hn::StoreU(hn::ConvertTo(di, v), di, o);
    } else {
      for (size_t k = 0; k < kLanes; ++k) {
        o[k] = detail::cast_value<int32_t>(p[0][k]);
      }
    }
  });
}

TileFn ConvertSimdKernel(Dtype from, Dtype to) {
#if MLX_SIMD_NATIVE
  using F32 = NativeFormat<float>;
  if (from == float32 && to == float64) {
    return F32ToF64Tile;
  }
  if (from == float64 && to == float32) {
    return F64ToF32Tile;
  }
  if (from == int32 && to == float32) {
    return I32ToF32Tile;
  }
  if (from == float32 && to == int32) {
    return F32ToI32Tile;
  }
  if (from == float32 && to == bfloat16) {
    return RecodeTile<F32, BF16Format>;
  }
  if (from == bfloat16 && to == float32) {
    return RecodeTile<BF16Format, F32>;
  }
#if MLX_SIMD_F16
  if (from == float32 && to == float16) {
    return RecodeTile<F32, F16Format>;
  }
  if (from == float16 && to == float32) {
    return RecodeTile<F16Format, F32>;
  }
  // Widening float16 is exact, so bfloat16 rounds once.
  if (from == float16 && to == bfloat16) {
    return RecodeTile<F16Format, BF16Format>;
  }
  if (from == bfloat16 && to == float16) {
    return RecodeTile<BF16Format, F16Format>;
  }
#endif
#endif
  return nullptr;
}

}  // namespace mlx::core::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace mlx::core::cpu {

HWY_EXPORT(UnarySimdKernel);
HWY_EXPORT(UnaryPrologueKernel);
HWY_EXPORT(ConvertSimdKernel);

TileFn unary_simd_kernel(UnaryOp op, Dtype dtype) {
  return HWY_DYNAMIC_DISPATCH(UnarySimdKernel)(op, dtype);
}

PrologueFn unary_prologue_kernel(UnaryOp op, unsigned mode) {
  return HWY_DYNAMIC_DISPATCH(UnaryPrologueKernel)(op, mode);
}

TileFn convert_simd_kernel(Dtype from, Dtype to) {
  return HWY_DYNAMIC_DISPATCH(ConvertSimdKernel)(from, to);
}

}  // namespace mlx::core::cpu
#endif  // HWY_ONCE
