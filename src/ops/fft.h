// Internal: the FFT primitive (src/ops/fft.cpp builds it, src/backend/cpu/fft.cpp runs it).
#pragma once

#include "mlx/fft.h"
#include "ops/primitive_params.h"

namespace mlx::core {

// A discrete Fourier transform over `axes` (non-negative, distinct) of the logical lengths `n`
// (the input's lengths, except the last axis of a complex-to-real transform, where the input
// holds n/2 + 1 frequencies and the output n values), scaled as `norm` says. `real` with
// `inverse` is irfftn (complex64 in, float32 out); `real` alone is rfftn (float32 in, complex64
// out); otherwise complex64 to complex64. Builders pad, truncate and convert the input first.
class FFT : public PrimitiveWithParams<UnaryPrimitive, std::vector<int>, Shape, bool, bool,
                                       fft::FFTNorm> {
 public:
  FFT(Stream s, std::vector<int> axes, Shape n, bool inverse, bool real, fft::FFTNorm norm)
      : PrimitiveWithParams(s, std::move(axes), std::move(n), inverse, real, norm) {}
  const std::vector<int>& axes() const { return std::get<0>(state_); }
  const Shape& n() const { return std::get<1>(state_); }
  bool inverse() const { return std::get<2>(state_); }
  bool real() const { return std::get<3>(state_); }
  fft::FFTNorm norm() const { return std::get<4>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "FFT"; }
  MLX_TRANSFORM_RULES()
};

}  // namespace mlx::core
