// Internal: the convolution primitive (src/ops/conv.cpp builds it and holds its rules,
// src/backend/cpu/conv.cpp runs it).
#pragma once

#include <vector>

#include "mlx/ops.h"
#include "ops/primitive_params.h"

namespace mlx::core {

// A grouped N-D (1 to 3 spatial dims) correlation, channels last: input (N, spatial..., C_in),
// weight (C_out, kernel..., C_in / groups), both of the output's floating dtype. Per spatial
// dim the input is dilated (input_dilation - 1 zeros between elements), then padded by
// padding_lo / padding_hi zeros (a negative padding crops the dilated input), and the kernel,
// dilated by kernel_dilation, steps by `stride` over it. `flip` reverses the kernel's spatial
// axes (a true convolution). Output channel c reads input channel group
// c / (C_out / groups).
class Convolution
    : public PrimitiveWithParams<UnaryPrimitive, std::vector<int>, std::vector<int>,
                                 std::vector<int>, std::vector<int>, std::vector<int>, int, bool> {
 public:
  Convolution(Stream s, std::vector<int> stride, std::vector<int> padding_lo,
              std::vector<int> padding_hi, std::vector<int> kernel_dilation,
              std::vector<int> input_dilation, int groups, bool flip)
      : PrimitiveWithParams(s, std::move(stride), std::move(padding_lo), std::move(padding_hi),
                            std::move(kernel_dilation), std::move(input_dilation), groups, flip) {}
  const std::vector<int>& stride() const { return std::get<0>(state_); }
  const std::vector<int>& padding_lo() const { return std::get<1>(state_); }
  const std::vector<int>& padding_hi() const { return std::get<2>(state_); }
  const std::vector<int>& kernel_dilation() const { return std::get<3>(state_); }
  const std::vector<int>& input_dilation() const { return std::get<4>(state_); }
  int groups() const { return std::get<5>(state_); }
  bool flip() const { return std::get<6>(state_); }

  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Convolution"; }
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
  MLX_TRANSFORM_RULES()
};

}  // namespace mlx::core
