// Winograd F(4x4, 3x3) convolution of float32 channels-last images (see winograd_simd.cpp).
#pragma once

#include <cstdint>

namespace mlx::core::cpu {

// A 3x3 convolution with unit stride and no dilation, one group: x (batch, h, w, c), weights
// (k, 3, 3, c) read flipped when `flip`, out (batch, out_h, out_w, k); output position (y, x)
// reads input rows y - pad_h .. y - pad_h + 2 and columns x - pad_w .. x - pad_w + 2, zero
// outside the image.
struct Winograd3x3 {
  int64_t batch, h, w, c, k, out_h, out_w, pad_h, pad_w;
  bool flip;
};

// Returns false when some output is not finite (see winograd_simd.cpp): `out` must then be
// computed another way.
bool winograd_conv3x3(const Winograd3x3& s, const float* x, const float* wt, float* out);

}  // namespace mlx::core::cpu
