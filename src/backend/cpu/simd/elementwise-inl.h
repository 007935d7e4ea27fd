// Per-target building blocks of the elementwise SIMD kernels (binary_simd.cpp, unary_simd.cpp):
// a tile loop over whole vectors, and loading/storing each storage type in its compute lanes.
// Included once per Highway target, hence the toggling include guard.
#if defined(MLX_BACKEND_CPU_SIMD_ELEMENTWISE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef MLX_BACKEND_CPU_SIMD_ELEMENTWISE_INL_H_
#undef MLX_BACKEND_CPU_SIMD_ELEMENTWISE_INL_H_
#else
#define MLX_BACKEND_CPU_SIMD_ELEMENTWISE_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>

#include <hwy/highway.h>

// Emulated targets (EMU128, SCALAR) gain nothing over the scalar kernels, and Highway 1.0.3's
// emulation differs in corners (float64 -> float32 saturates instead of overflowing to inf):
// there the kernels' getters return nullptr.
#undef MLX_SIMD_NATIVE
#if HWY_TARGET == HWY_EMU128 || HWY_TARGET == HWY_SCALAR
#define MLX_SIMD_NATIVE 0
#else
#define MLX_SIMD_NATIVE 1
#endif

// float16 in SIMD needs the F16C conversions: without them Highway 1.0.3 converts by truncating
// and mishandles inf and NaN, so such targets leave float16 to the scalar kernels.
#undef MLX_SIMD_F16
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2 && !defined(HWY_DISABLE_F16C)
#define MLX_SIMD_F16 1
#else
#define MLX_SIMD_F16 0
#endif

HWY_BEFORE_NAMESPACE();
namespace mlx::core::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Calls step(p, o) with p[k] pointing at kLanes elements of input k and o at kLanes outputs,
// over n elements. The last partial vector goes through stack buffers: Highway 1.0.3's masked
// loads and stores fall back to whole-vector accesses on some targets, which could touch memory
// past the tile (even another thread's chunk).
template <size_t kLanes, size_t kArity, typename TIn, typename TOut, class Step>
HWY_INLINE void VectorLoop(const void* const* in, void* out, size_t n, const Step& step) {
  const TIn* src[kArity];
  for (size_t k = 0; k < kArity; ++k) {
    src[k] = static_cast<const TIn*>(in[k]);
  }
  auto* dst = static_cast<TOut*>(out);
  const TIn* p[kArity];
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t k = 0; k < kArity; ++k) {
      p[k] = src[k] + i;
    }
    step(p, dst + i);
  }
  if (i < n) {
    const size_t rest = n - i;
    HWY_ALIGN TIn buf[kArity][kLanes] = {};
    HWY_ALIGN TOut obuf[kLanes];
    for (size_t k = 0; k < kArity; ++k) {
      std::memcpy(buf[k], src[k] + i, rest * sizeof(TIn));
      p[k] = buf[k];
    }
    step(p, obuf);
    std::memcpy(dst + i, obuf, rest * sizeof(TOut));
  }
}

// Like VectorLoop for a step that computes each output vector (compute(p) with p[k] pointing at
// input k), but the output bypasses the cache: non-temporal stores, which need aligned
// addresses, so the unaligned head and the partial tail are written the usual way.
template <size_t kLanes, size_t kArity, typename T, class Compute>
HWY_INLINE void StreamLoop(const void* const* in, T* out, size_t n, const Compute& compute) {
  const hn::ScalableTag<T> d;
  constexpr size_t kAlign = kLanes * sizeof(T);
  auto stored = [&](const T* const* p, T* o) { hn::StoreU(compute(p), d, o); };
  const auto addr = reinterpret_cast<uintptr_t>(out);
  size_t head = n;
  if (addr % sizeof(T) == 0) {
    head = std::min(n, (kAlign - addr % kAlign) % kAlign / sizeof(T));
  }
  VectorLoop<kLanes, kArity, T, T>(in, out, head, stored);
  const T* p[kArity];
  size_t i = head;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t k = 0; k < kArity; ++k) {
      p[k] = static_cast<const T*>(in[k]) + i;
    }
    hn::Stream(compute(p), d, out + i);
  }
  for (size_t k = 0; k < kArity; ++k) {
    p[k] = static_cast<const T*>(in[k]) + i;
  }
  VectorLoop<kLanes, kArity, T, T>(reinterpret_cast<const void* const*>(p), out + i, n - i, stored);
  // Streaming stores are weakly ordered: for_each_tile fences once per chunk, after its last tile
  // (a fence per tile stalls each tile until its stores have drained).
}

// ---- scaling by powers of two (the last step of the exp-based kernels) ----

// Whether TimesPow2 is AVX-512's vscalefps for these lanes: exact, and rounding to a subnormal or
// zero where the result underflows, so callers need no select for very negative k.
template <class D>
constexpr bool kScalef = (HWY_ARCH_X86 != 0) &&
                         (HWY_TARGET <= HWY_AVX3) && hn::MaxLanes(D()) == 16 &&
                         sizeof(hn::TFromD<D>) == 4;

// p * 2^k for float32 lanes, k holding integers. Without vscalefps, k is added to p's exponent
// bits: the product must then be a normal number.
template <class D>
HWY_INLINE hn::Vec<D> TimesPow2(D d, hn::Vec<D> p, hn::Vec<D> k) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  if constexpr (kScalef<D>) {
    return hn::Vec<D>{_mm512_scalef_ps(p.raw, k.raw)};
  }
#endif
  const hn::RebindToSigned<D> di;
  return hn::BitCast(d, hn::Add(hn::BitCast(di, p), hn::ShiftLeft<23>(hn::ConvertTo(di, k))));
}

// e^y in float32 lanes for |y| <= kExpF32Limit: y = n ln2 + r, |r| <= ln2 / 2 (ln2 in two
// parts), a degree-6 polynomial for e^r and a scaling by 2^n (TimesPow2, which needs a normal
// result without vscalefps: hence the limit; with it, any y down to -104 rounds correctly to a
// subnormal or zero). The coefficients are least-squares fits of the relative error: within
// 1.05 ulp. Half the instructions of Highway's Exp, which also covers the arguments whose result
// is subnormal or infinite. The exp of unary exp, sigmoid, tanh, logaddexp and softmax.
constexpr float kExpF32Limit = 86.0f;

template <class D>
HWY_INLINE hn::Vec<D> ExpF32(D d, hn::Vec<D> y) {
  const auto n = hn::Round(hn::Mul(y, hn::Set(d, 1.44269504f)));
  auto r = hn::NegMulAdd(n, hn::Set(d, 0.693145751953125f), y);
  r = hn::NegMulAdd(n, hn::Set(d, 1.428606765330187e-6f), r);
  auto q = hn::Set(d, 1.3829420786350965e-3f);
  for (float c : {8.374771103262901e-3f, 4.16683591902256e-2f, 1.666642129421234e-1f,
                  4.9999991059303284e-1f, 1.0f, 1.0f}) {
    q = hn::MulAdd(q, r, hn::Set(d, c));
  }
  return TimesPow2(d, q, n);
}

// ---- storage formats: T is stored as Storage and computed on in lanes of Compute ----

template <typename T>
struct NativeFormat {
  using Storage = T;
  using Compute = T;
  template <class D>
  static HWY_INLINE hn::Vec<D> Load(D d, const T* p) {
    return hn::LoadU(d, p);
  }
  template <class D>
  static HWY_INLINE void Store(hn::Vec<D> v, D d, T* p) {
    hn::StoreU(v, d, p);
  }
};

// bfloat16 is the top half of a float32.
struct BF16Format {
  using Storage = uint16_t;
  using Compute = float;

  // Exact; NaNs gain the quiet bit, as the scalar conversion does.
  template <class DF>
  static HWY_INLINE hn::Vec<DF> Load(DF df, const uint16_t* p) {
    const hn::Rebind<uint16_t, DF> du16;
    const hn::RebindToUnsigned<DF> du32;
    const auto v = hn::BitCast(df, hn::ShiftLeft<16>(hn::PromoteTo(du32, hn::LoadU(du16, p))));
    return hn::IfThenElse(hn::IsNaN(v), hn::Or(v, hn::BitCast(df, hn::Set(du32, 0x00400000u))), v);
  }

  // Rounds to nearest even: Highway 1.0.3's DemoteTo to bfloat16 truncates. NaNs stay NaN
  // (rounding could carry a payload into the exponent) by keeping their top half, made quiet.
  template <class DF>
  static HWY_INLINE void Store(hn::Vec<DF> v, DF df, uint16_t* p) {
    const hn::Rebind<uint16_t, DF> du16;
    const hn::RebindToUnsigned<DF> du32;
    const hn::RebindToSigned<DF> di32;
    const auto bits = hn::BitCast(du32, v);
    const auto odd = hn::And(hn::ShiftRight<16>(bits), hn::Set(du32, 1u));
    const auto rounded = hn::Add(bits, hn::Add(hn::Set(du32, 0x7FFFu), odd));
    const auto nan = hn::RebindMask(du32, hn::IsNaN(v));
    const auto top =
        hn::ShiftRight<16>(hn::IfThenElse(nan, hn::Or(bits, hn::Set(du32, 0x00400000u)), rounded));
    hn::StoreU(hn::DemoteTo(du16, hn::BitCast(di32, top)), du16, p);
  }
};

#if MLX_SIMD_F16
// float16 through F16C, which rounds to nearest even and keeps inf and NaN.
struct F16Format {
  using Storage = uint16_t;
  using Compute = float;
  template <class DF>
  static HWY_INLINE hn::Vec<DF> Load(DF df, const uint16_t* p) {
    const hn::Rebind<uint16_t, DF> du16;
    const hn::Rebind<hwy::float16_t, DF> df16;
    return hn::PromoteTo(df, hn::BitCast(df16, hn::LoadU(du16, p)));
  }
  template <class DF>
  static HWY_INLINE void Store(hn::Vec<DF> v, DF df, uint16_t* p) {
    const hn::Rebind<uint16_t, DF> du16;
    const hn::Rebind<hwy::float16_t, DF> df16;
    hn::StoreU(hn::BitCast(du16, hn::DemoteTo(df16, v)), du16, p);
  }
};
#endif

// A tile kernel applying op (a functor on compute vectors) to kArity inputs of format Fmt.
template <class Fmt, size_t kArity, class Op>
void MapTile(const void* const* in, void* out, size_t n) {
  using S = typename Fmt::Storage;
  const hn::ScalableTag<typename Fmt::Compute> d;
  const Op op;
  VectorLoop<hn::MaxLanes(d), kArity, S, S>(in, out, n, [&](const S* const* p, S* o) {
    if constexpr (kArity == 1) {
      Fmt::Store(op(Fmt::Load(d, p[0])), d, o);
    } else {
      Fmt::Store(op(Fmt::Load(d, p[0]), Fmt::Load(d, p[1])), d, o);
    }
  });
}

// v, hidden from the optimiser: GCC would contract a multiplication and the addition that reads
// it into one fused multiply-add, which rounds once where the ops it stands for round twice.
// Where it cannot be hidden (MLX_SIMD_OPAQUE 0) the prologue kernels are not offered.
#undef MLX_SIMD_OPAQUE
#if HWY_ARCH_X86 && (defined(__GNUC__) || defined(__clang__))
#define MLX_SIMD_OPAQUE 1
#else
#define MLX_SIMD_OPAQUE 0
#endif
template <class V>
HWY_INLINE V Opaque(V v) {
#if MLX_SIMD_OPAQUE
  asm("" : "+v"(v.raw));
#endif
  return v;
}

// A float32 tile kernel of Op (on kArity inputs) whose inputs first pass through a prologue,
// chosen per input i by bits 2i and 2i + 1 of kModes: 0 none, 1 x * prologue[2i], 2 x * x,
// 3 (x * prologue[2i]) + prologue[2i + 1]; rounded after each operation. These are the squares
// and the multiplications and additions by constants that a compiled region folds into the ops
// that read them (backend/cpu/compiled.cpp), with the same results. A factor of 1 leaves a
// value unchanged bit for bit. kStream: the output bypasses the cache (StreamLoop).
template <size_t kArity, class Op, unsigned kModes, bool kStream>
void PrologueTile(const void* const* in, void* out, size_t n, const float* prologue) {
  const hn::ScalableTag<float> d;
  constexpr size_t kLanes = hn::MaxLanes(d);
  const Op op;
  hn::Vec<decltype(d)> factor[2], term[2];
  for (size_t k = 0; k < kArity; ++k) {
    factor[k] = hn::Set(d, prologue[2 * k]);
    term[k] = hn::Set(d, prologue[2 * k + 1]);
  }
  auto load = [&](const float* p, size_t k) {
    auto v = hn::LoadU(d, p);
    // Opaque after each product: the op that reads it must not fuse with it either.
    switch ((kModes >> (2 * k)) & 3) {
      case 1:
        return Opaque(hn::Mul(v, factor[k]));
      case 2:
        return Opaque(hn::Mul(v, v));
      case 3:
        return hn::Add(Opaque(hn::Mul(v, factor[k])), term[k]);
      default:
        return v;
    }
  };
  auto apply = [&](const float* const* p) {
    if constexpr (kArity == 1) {
      return op(load(p[0], 0));
    } else {
      return op(load(p[0], 0), load(p[1], 1));
    }
  };
  if constexpr (kStream) {
    StreamLoop<kLanes, kArity>(in, static_cast<float*>(out), n, apply);
  } else {
    VectorLoop<kLanes, kArity, float, float>(
        in, out, n, [&](const float* const* p, float* o) { hn::StoreU(apply(p), d, o); });
  }
}

}  // namespace mlx::core::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
