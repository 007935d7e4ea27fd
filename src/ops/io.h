// Internal: the primitives that read tensors from files (src/io/*.cpp build them, the kernels are
// in src/backend/cpu/io.cpp). They have no inputs: the bytes are read when the output is
// evaluated, so loading a file costs nothing until its arrays are used.
#pragma once

#include <memory>

#include "mlx/io/load.h"
#include "ops/primitive_params.h"

namespace mlx::core {

// Reads out.nbytes() bytes at `offset`; with swap_width > 1 every swap_width-byte unit is
// byte-swapped (big-endian .npy data).
class Load : public PrimitiveWithParams<UnaryPrimitive, std::shared_ptr<io::Reader>, size_t, int> {
 public:
  Load(Stream s, std::shared_ptr<io::Reader> reader, size_t offset, int swap_width = 0)
      : PrimitiveWithParams(s, std::move(reader), offset, swap_width) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Load"; }
};

// The GGML block formats that convert to MLX's affine quantization (32 weights per block).
enum class GGMLQuant { Q4_0, Q4_1, Q8_0 };

// Bytes of one 32-weight block: an fp16 scale (and fp16 minimum for Q4_1), then the codes.
inline size_t ggml_block_bytes(GGMLQuant q) {
  return q == GGMLQuant::Q4_0 ? 18 : q == GGMLQuant::Q4_1 ? 20 : 34;
}

// Reads GGML quantized blocks at `offset` and produces (packed uint32 weights, float16 scales,
// float16 biases) in MLX's affine layout with group size 32.
class LoadQuantized
    : public PrimitiveWithParams<Primitive, std::shared_ptr<io::Reader>, size_t, GGMLQuant> {
 public:
  LoadQuantized(Stream s, std::shared_ptr<io::Reader> reader, size_t offset, GGMLQuant q)
      : PrimitiveWithParams(s, std::move(reader), offset, q) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>&, std::vector<array>&) override { no_gpu_backend(name()); }
  const char* name() const override { return "LoadQuantized"; }
};

}  // namespace mlx::core
