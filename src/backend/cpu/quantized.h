// Internal: the SIMD part of the quantized products (quantized_simd.cpp), used by quantized.cpp.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace mlx::core::cpu {

// Dot products of packed rows with x, for codes of 2, 4 or 8 bits. A row of `row_words` uint32
// words holds K = row_words * 32 / bits codes; each word's codes are unpacked into one lane, so
// x must come permuted (and scaled) by qdot_permute (below) for the lane count the kernel uses.
// For each row r < rows and m < nx: out[m * ldo + r] = sum over groups g of
//   scales[r * groups + g] * sum_{k in g} code(r, k) * x[m][k]
//   + biases[r * groups + g] * xsum[m * groups + g]   (when biases is not null),
// xsum holding the groups' sums of x.
using QDotFn = void (*)(const uint32_t* w, size_t row_words, const float* scales,
                        const float* biases, size_t rows, const float* xp, const float* xsum,
                        size_t nx, size_t group_size, float* out, size_t ldo);

struct QDotKernel {
  QDotFn fn = nullptr;  // nullptr: no SIMD kernel for these bits and group size
  size_t lanes = 0;
};

// The kernel for the best target this CPU supports and rows of `row_words` words: its vectors
// tile a row (they may span several groups).
QDotKernel qdot_simd_kernel(int bits, size_t row_words);

// xp = x (k values) in the order the kernel reads it: within each block of lanes words
// (lanes * 32 / bits codes), lane j of step t reads code t of word j, which the kernel leaves
// shifted left by bits * t (but the last): x is scaled by 2^(-bits * t) to match.
inline void qdot_permute(const float* x, float* xp, size_t k, int bits, size_t lanes) {
  size_t per_word = 32 / static_cast<size_t>(bits);
  size_t block = per_word * lanes;
  for (size_t b = 0; b < k; b += block) {
    for (size_t t = 0; t < per_word; ++t) {
      float scale = t + 1 < per_word ? std::ldexp(1.0f, -bits * static_cast<int>(t)) : 1.0f;
      for (size_t j = 0; j < lanes; ++j) {
        xp[b + t * lanes + j] = x[b + j * per_word + t] * scale;
      }
    }
  }
}

}  // namespace mlx::core::cpu
