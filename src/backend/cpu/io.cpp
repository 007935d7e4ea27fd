// Reading tensors from files on the CPU: raw bytes (byte-swapped for big-endian data) and GGML
// quantized blocks converted to MLX's affine layout.
#include <algorithm>
#include <cstring>
#include <memory>

#include "backend/cpu/thread_pool.h"
#include "ops/io.h"

namespace mlx::core {

namespace {

template <int W>
void swap_units(char* p, size_t n) {
  for (size_t i = 0; i < n; i += W) {
    std::reverse(p + i, p + i + W);
  }
}

void swap_bytes(char* data, size_t nbytes, int width) {
  // Chunks are whole units, so every unit is swapped by exactly one thread.
  size_t units = nbytes / width;
  cpu::parallel_for(units, size_t(1) << 16, [&](size_t begin, size_t end) {
    char* p = data + begin * width;
    size_t n = (end - begin) * width;
    switch (width) {
      case 2:
        return swap_units<2>(p, n);
      case 4:
        return swap_units<4>(p, n);
      default:
        return swap_units<8>(p, n);
    }
  });
}

float16_t half_at(const uint8_t* p) { return float16_t::from_bits(uint16_t(p[0] | (p[1] << 8))); }

// One 32-weight block: its codes (0..15 or 0..255) in order, the scale and the bias such that
// weight = scale * code + bias.
void convert_block(GGMLQuant q, const uint8_t* block, uint32_t* words, float16_t* scale,
                   float16_t* bias) {
  uint8_t codes[32];
  *scale = half_at(block);
  if (q == GGMLQuant::Q8_0) {
    // int8 values become unsigned codes offset by 128.
    *bias = float16_t(-128.0f * static_cast<float>(*scale));
    for (int j = 0; j < 32; ++j) {
      codes[j] = block[2 + j] ^ 0x80;
    }
    std::memcpy(words, codes, 32);
    return;
  }
  const uint8_t* qs = block + (q == GGMLQuant::Q4_1 ? 4 : 2);
  *bias = q == GGMLQuant::Q4_1 ? half_at(block + 2) : float16_t(-8.0f * static_cast<float>(*scale));
  // GGML keeps weights 0..15 in the low nibbles and 16..31 in the high ones.
  for (int j = 0; j < 16; ++j) {
    codes[j] = qs[j] & 0x0F;
    codes[j + 16] = qs[j] >> 4;
  }
  // MLX packs code i at bit 4 * i of the little-endian word stream.
  for (int w = 0; w < 4; ++w) {
    uint32_t word = 0;
    for (int k = 0; k < 8; ++k) {
      word |= uint32_t(codes[8 * w + k]) << (4 * k);
    }
    words[w] = word;
  }
}

}  // namespace

void Load::eval_cpu(const std::vector<array>&, array& out) {
  auto& [reader, offset, swap_width] = state_;
  out.set_data(allocator::malloc(out.nbytes()));
  reader->read(out.data<char>(), out.nbytes(), offset);
  if (swap_width > 1) {
    swap_bytes(out.data<char>(), out.nbytes(), swap_width);
  }
}

void LoadQuantized::eval_cpu(const std::vector<array>&, std::vector<array>& outputs) {
  auto& [reader, offset, quant] = state_;
  auto& weights = outputs[0];
  auto& scales = outputs[1];
  auto& biases = outputs[2];
  for (auto& o : outputs) {
    o.set_data(allocator::malloc(o.nbytes()));
  }
  const size_t blocks = scales.size();
  const size_t block_bytes = ggml_block_bytes(quant);
  const size_t words_per_block = quant == GGMLQuant::Q8_0 ? 8 : 4;
  // Left uninitialised: the read fills it.
  std::unique_ptr<uint8_t[]> raw(new uint8_t[blocks * block_bytes]);
  reader->read(reinterpret_cast<char*>(raw.get()), blocks * block_bytes, offset);
  auto* w = weights.data<uint32_t>();
  auto* sc = scales.data<float16_t>();
  auto* bi = biases.data<float16_t>();
  const GGMLQuant q = quant;
  cpu::parallel_for(blocks, 4096, [&](size_t begin, size_t end) {
    for (size_t b = begin; b < end; ++b) {
      convert_block(q, raw.get() + b * block_bytes, w + b * words_per_block, sc + b, bi + b);
    }
  });
}

}  // namespace mlx::core
