#include "mlx/nn/layers/quantized.h"

#include <cmath>
#include <stdexcept>

#include "mlx/ops.h"
#include "mlx/random.h"
#include "nn/common.h"

namespace mlx::nn {

using namespace mlx::core;

namespace {

const std::vector<std::string> kQuantizedKeys = {"weight", "scales", "biases"};

std::optional<array> biases_of(const std::vector<array>& q) {
  return q.size() > 2 ? std::optional<array>(q[2]) : std::nullopt;
}

// The unpacked size of a packed last axis.
int unpacked(const array& w, int bits) { return w.shape(-1) * 32 / bits; }

std::string quant_extra(int group_size, int bits, const std::string& mode) {
  return ", group_size=" + std::to_string(group_size) + ", bits=" + std::to_string(bits) +
         ", mode=" + mode;
}

}  // namespace

QuantizedLinear::QuantizedLinear(array weight_, array scales_, std::optional<array> biases_,
                                 std::optional<array> bias_, int group_size_, int bits_,
                                 std::string mode_)
    : Linear(std::move(weight_), std::move(bias_)),
      scales(std::move(scales_)),
      biases(std::move(biases_)),
      group_size(group_size_),
      bits(bits_),
      mode(std::move(mode_)) {
  register_parameter("scales", scales);
  register_parameter("biases", biases);
  freeze();
}

QuantizedLinear::QuantizedLinear(int input_dims, int output_dims, bool has_bias, int group_size_,
                                 int bits_, const std::string& mode_)
    : QuantizedLinear(mlx::core::quantize(Linear(input_dims, output_dims, false).weight,
                                          group_size_, bits_, mode_),
                      has_bias ? std::optional<array>(zeros({output_dims})) : std::nullopt,
                      group_size_, bits_, mode_) {}

QuantizedLinear::QuantizedLinear(std::vector<array> q, std::optional<array> bias_, int group_size_,
                                 int bits_, const std::string& mode_)
    : QuantizedLinear(q[0], q[1], biases_of(q), std::move(bias_), group_size_, bits_, mode_) {}

std::shared_ptr<QuantizedLinear> QuantizedLinear::from_linear(const Linear& linear, int group_size,
                                                              int bits, const std::string& mode) {
  auto q = mlx::core::quantize(linear.weight, group_size, bits, mode);
  return std::make_shared<QuantizedLinear>(q[0], q[1], biases_of(q), linear.bias, group_size, bits,
                                           mode);
}

std::string QuantizedLinear::describe_extra() const {
  return "input_dims=" + std::to_string(unpacked(weight, bits)) +
         ", output_dims=" + std::to_string(weight.shape(0)) +
         ", bias=" + detail::py_bool(bias.has_value()) + quant_extra(group_size, bits, mode);
}

array QuantizedLinear::operator()(const array& x) {
  auto y = quantized_matmul(x, weight, scales, biases, true, group_size, bits, mode);
  return bias ? y + *bias : y;
}

void QuantizedLinear::unfreeze(bool recursive, const std::optional<std::vector<std::string>>& keys,
                               bool strict) {
  Module::unfreeze(recursive, keys, strict);
  freeze(false, kQuantizedKeys);
}

QuantizedEmbedding::QuantizedEmbedding(array weight_, array scales_, std::optional<array> biases_,
                                       int group_size_, int bits_, std::string mode_)
    : Embedding(std::move(weight_)),
      scales(std::move(scales_)),
      biases(std::move(biases_)),
      group_size(group_size_),
      bits(bits_),
      mode(std::move(mode_)) {
  register_parameter("scales", scales);
  register_parameter("biases", biases);
  freeze();
}

QuantizedEmbedding::QuantizedEmbedding(int num_embeddings, int dims, int group_size_, int bits_,
                                       const std::string& mode_)
    : QuantizedEmbedding(
          mlx::core::quantize(Embedding(num_embeddings, dims).weight, group_size_, bits_, mode_),
          group_size_, bits_, mode_) {}

QuantizedEmbedding::QuantizedEmbedding(std::vector<array> q, int group_size_, int bits_,
                                       const std::string& mode_)
    : QuantizedEmbedding(q[0], q[1], biases_of(q), group_size_, bits_, mode_) {}

std::shared_ptr<QuantizedEmbedding> QuantizedEmbedding::from_embedding(const Embedding& embedding,
                                                                       int group_size, int bits,
                                                                       const std::string& mode) {
  auto q = mlx::core::quantize(embedding.weight, group_size, bits, mode);
  return std::make_shared<QuantizedEmbedding>(q[0], q[1], biases_of(q), group_size, bits, mode);
}

std::string QuantizedEmbedding::describe_extra() const {
  return std::to_string(weight.shape(0)) + ", " + std::to_string(unpacked(weight, bits)) +
         quant_extra(group_size, bits, mode);
}

array QuantizedEmbedding::operator()(const array& x) {
  if (!issubdtype(x.dtype(), integer)) {
    throw std::invalid_argument(
        std::string("[QuantizedEmbedding] Indices must have an integer dtype, got ") +
        dtype_to_string(x.dtype()) + ".");
  }
  std::optional<array> b = biases ? std::optional<array>(take(*biases, x, 0)) : std::nullopt;
  return dequantize(take(weight, x, 0), take(scales, x, 0), b, group_size, bits, mode);
}

array QuantizedEmbedding::as_linear(const array& x) {
  return quantized_matmul(x, weight, scales, biases, true, group_size, bits, mode);
}

void QuantizedEmbedding::unfreeze(bool recursive,
                                  const std::optional<std::vector<std::string>>& keys,
                                  bool strict) {
  Module::unfreeze(recursive, keys, strict);
  freeze(false, kQuantizedKeys);
}

void quantize(Module& model, int group_size, int bits, const std::string& mode,
              const std::function<bool(const std::string&, Module&)>& filter) {
  auto leaves = model.leaf_modules().map_values_with_path(
      [&](const std::string& path, const std::shared_ptr<Module>& m) -> std::shared_ptr<Module> {
        if (filter && !filter(path, *m)) {
          return m;
        }
        // Already quantized layers are Linear / Embedding too; leave them alone.
        if (std::dynamic_pointer_cast<QuantizedLinear>(m) ||
            std::dynamic_pointer_cast<QuantizedEmbedding>(m)) {
          return m;
        }
        if (auto linear = std::dynamic_pointer_cast<Linear>(m)) {
          if (linear->weight.shape(1) % group_size == 0) {
            return QuantizedLinear::from_linear(*linear, group_size, bits, mode);
          }
        } else if (auto embedding = std::dynamic_pointer_cast<Embedding>(m)) {
          if (embedding->weight.shape(1) % group_size == 0) {
            return QuantizedEmbedding::from_embedding(*embedding, group_size, bits, mode);
          }
        }
        return m;
      });
  model.update_modules(leaves);
}

}  // namespace mlx::nn
