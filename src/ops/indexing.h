// Internal: primitives of the indexing family (src/ops/indexing.cpp).
#pragma once

#include "ops/primitive_params.h"

namespace mlx::core {

// src with the strided region start:stop:strides replaced by update (update has the region's
// shape and src's dtype).
class SliceUpdate : public PrimitiveWithParams<UnaryPrimitive, Shape, Shape, Shape> {
 public:
  SliceUpdate(Stream s, Shape start, Shape stop, Shape strides)
      : PrimitiveWithParams(s, std::move(start), std::move(stop), std::move(strides)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  std::vector<array> vjp(const std::vector<array>& primals, const std::vector<array>& cotangents,
                         const std::vector<int>& argnums,
                         const std::vector<array>& outputs) override;
  std::vector<array> jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                         const std::vector<int>& argnums) override;
  std::pair<std::vector<array>, std::vector<int>> vmap(const std::vector<array>& inputs,
                                                       const std::vector<int>& axes) override;
  const char* name() const override { return "SliceUpdate"; }
};

}  // namespace mlx::core
