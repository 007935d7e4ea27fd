// Embedding (mlx.nn.Embedding).
#pragma once

#include "mlx/nn/module.h"

namespace mlx::nn {

/** A lookup table weight [num_embeddings, dims] initialised from N(0, 1/dims). */
class Embedding : public UnaryLayer {
 public:
  Embedding(int num_embeddings, int dims);
  explicit Embedding(array weight);

  std::string name() const override { return "Embedding"; }
  std::string describe_extra() const override;
  /** The rows of the table picked by the integer indices x (shape x.shape + [dims]). */
  array operator()(const array& x) override;
  /** x W^T: the table as an output projection (tied input and output embeddings). */
  virtual array as_linear(const array& x);

  array weight;
};

}  // namespace mlx::nn
