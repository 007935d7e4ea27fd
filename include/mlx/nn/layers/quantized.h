// Quantized layers (mlx.nn.QuantizedLinear, QuantizedEmbedding) and quantize(model): weights
// packed by mlx::core::quantize, multiplied by quantized_matmul without dequantizing them.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "mlx/nn/layers/embedding.h"
#include "mlx/nn/layers/linear.h"

namespace mlx::nn {

/**
 * A Linear whose weight is quantized: "weight" (packed uint32), "scales", and "biases" (affine
 * mode), plus the optional "bias". It is a Linear, so it replaces Linear children held as
 * std::shared_ptr<Linear>. The quantized arrays are frozen, also after unfreeze().
 */
class QuantizedLinear : public Linear {
 public:
  QuantizedLinear(int input_dims, int output_dims, bool bias = true, int group_size = 64,
                  int bits = 4, const std::string& mode = "affine");
  /** From already quantized arrays (as mlx::core::quantize returns them). */
  QuantizedLinear(array weight, array scales, std::optional<array> biases,
                  std::optional<array> bias, int group_size, int bits, std::string mode);
  static std::shared_ptr<QuantizedLinear> from_linear(const Linear& linear, int group_size = 64,
                                                      int bits = 4,
                                                      const std::string& mode = "affine");

  std::string name() const override { return "QuantizedLinear"; }
  std::string describe_extra() const override;
  array operator()(const array& x) override;
  void unfreeze(bool recursive = true,
                const std::optional<std::vector<std::string>>& keys = std::nullopt,
                bool strict = false) override;

  array scales;
  std::optional<array> biases;
  int group_size, bits;
  std::string mode;

 private:
  QuantizedLinear(std::vector<array> quantized, std::optional<array> bias, int group_size, int bits,
                  const std::string& mode);
};

/** An Embedding whose table is quantized row by row; frozen like QuantizedLinear. */
class QuantizedEmbedding : public Embedding {
 public:
  QuantizedEmbedding(int num_embeddings, int dims, int group_size = 64, int bits = 4,
                     const std::string& mode = "affine");
  QuantizedEmbedding(array weight, array scales, std::optional<array> biases, int group_size,
                     int bits, std::string mode);
  static std::shared_ptr<QuantizedEmbedding> from_embedding(const Embedding& embedding,
                                                            int group_size = 64, int bits = 4,
                                                            const std::string& mode = "affine");

  std::string name() const override { return "QuantizedEmbedding"; }
  std::string describe_extra() const override;
  array operator()(const array& x) override;
  array as_linear(const array& x) override;
  void unfreeze(bool recursive = true,
                const std::optional<std::vector<std::string>>& keys = std::nullopt,
                bool strict = false) override;

  array scales;
  std::optional<array> biases;
  int group_size, bits;
  std::string mode;

 private:
  QuantizedEmbedding(std::vector<array> quantized, int group_size, int bits,
                     const std::string& mode);
};

/**
 * Replaces every Linear and Embedding leaf of `model` (for which filter(path, module) is true,
 * when a filter is given) by its quantized form, through update_modules. Layers whose input
 * dimension is not a multiple of group_size are left as they are.
 */
void quantize(Module& model, int group_size = 64, int bits = 4, const std::string& mode = "affine",
              const std::function<bool(const std::string& path, Module& module)>& filter = nullptr);

}  // namespace mlx::nn
