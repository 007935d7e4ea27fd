#include "mlx/nn/layers/embedding.h"

#include <cmath>
#include <stdexcept>

#include "mlx/ops.h"
#include "mlx/random.h"
#include "nn/common.h"

namespace mlx::nn {

using namespace mlx::core;

namespace {

array init_table(int num_embeddings, int dims) {
  if (num_embeddings <= 0 || dims <= 0) {
    throw std::invalid_argument(
        "[Embedding] The number of embeddings and the dimensions must be positive, got " +
        std::to_string(num_embeddings) + " and " + std::to_string(dims) + ".");
  }
  return random::normal({num_embeddings, dims}, float32, 0.0f,
                        static_cast<float>(std::sqrt(1.0 / dims)));
}

}  // namespace

Embedding::Embedding(int num_embeddings, int dims) : weight(init_table(num_embeddings, dims)) {
  register_parameter("weight", weight);
}

Embedding::Embedding(array weight_) : weight(std::move(weight_)) {
  if (weight.ndim() != 2) {
    throw std::invalid_argument("[Embedding] Expected a weight [num_embeddings, dims], got shape " +
                                detail::shape_str(weight.shape()) + ".");
  }
  register_parameter("weight", weight);
}

std::string Embedding::describe_extra() const {
  return std::to_string(weight.shape(0)) + ", " + std::to_string(weight.shape(1));
}

array Embedding::operator()(const array& x) {
  if (!issubdtype(x.dtype(), integer)) {
    throw std::invalid_argument(
        std::string("[Embedding] Indices must have an integer dtype, got ") +
        dtype_to_string(x.dtype()) + ".");
  }
  return take(weight, x, 0);
}

array Embedding::as_linear(const array& x) { return matmul(x, transpose(weight)); }

}  // namespace mlx::nn
