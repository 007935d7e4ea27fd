// SIMD tile kernels for unary rows and for the hot dtype conversions (astype), compiled once per
// Highway target (SSE4, AVX2, AVX-512) and chosen at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/unary_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "backend/cpu/copy.h"
#include "backend/cpu/simd/elementwise-inl.h"
#include "backend/cpu/unary.h"
#include "mlx/array.h"

HWY_BEFORE_NAMESPACE();
namespace mlx::core::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

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
    default:
      return nullptr;
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
HWY_EXPORT(ConvertSimdKernel);

TileFn unary_simd_kernel(UnaryOp op, Dtype dtype) {
  return HWY_DYNAMIC_DISPATCH(UnarySimdKernel)(op, dtype);
}

TileFn convert_simd_kernel(Dtype from, Dtype to) {
  return HWY_DYNAMIC_DISPATCH(ConvertSimdKernel)(from, to);
}

}  // namespace mlx::core::cpu
#endif  // HWY_ONCE
