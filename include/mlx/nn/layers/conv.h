// Convolutions (mlx.nn.Conv1d/2d/3d, ConvTranspose1d/2d/3d), channels last: inputs
// [N, spatial..., C_in], weight [C_out, kernel..., C_in / groups] as MLX lays it out.
#pragma once

#include <initializer_list>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "mlx/nn/module.h"

namespace mlx::nn {

/** One size for every spatial axis, or one per axis: 3, {3, 5}, std::pair{3, 5}. */
struct IntOrTuple {
  IntOrTuple(int v) : values{v} {}
  IntOrTuple(std::initializer_list<int> v) : values(v) {}
  IntOrTuple(std::pair<int, int> v) : values{v.first, v.second} {}
  IntOrTuple(std::tuple<int, int, int> v)
      : values{std::get<0>(v), std::get<1>(v), std::get<2>(v)} {}
  /** The values for n spatial axes (a single value repeated); other lengths throw. */
  std::vector<int> expand(const char* layer, const char* what, int n) const;
  std::vector<int> values;
};

/** The shared implementation of the convolution layers with `n` spatial axes. */
class ConvBase : public UnaryLayer {
 public:
  std::string describe_extra() const override;
  array operator()(const array& x) override;

  std::vector<int> stride, padding, dilation, output_padding;
  int groups;
  array weight;
  std::optional<array> bias;

 protected:
  ConvBase(const char* layer, int n, bool transposed, int in_channels, int out_channels,
           const IntOrTuple& kernel_size, const IntOrTuple& stride, const IntOrTuple& padding,
           const IntOrTuple& dilation, const IntOrTuple& output_padding, int groups, bool bias);

 private:
  int n_;
  bool transposed_;
};

#define MLX_NN_CONV(Name, n)                                                                 \
  class Name : public ConvBase {                                                             \
   public:                                                                                   \
    Name(int in_channels, int out_channels, const IntOrTuple& kernel_size,                   \
         const IntOrTuple& stride = 1, const IntOrTuple& padding = 0,                        \
         const IntOrTuple& dilation = 1, int groups = 1, bool bias = true)                   \
        : ConvBase(#Name, n, false, in_channels, out_channels, kernel_size, stride, padding, \
                   dilation, 0, groups, bias) {}                                             \
    std::string name() const override { return #Name; }                                      \
  };

MLX_NN_CONV(Conv1d, 1)
MLX_NN_CONV(Conv2d, 2)
MLX_NN_CONV(Conv3d, 3)

#undef MLX_NN_CONV

#define MLX_NN_CONV_TRANSPOSE(Name, n)                                                         \
  class Name : public ConvBase {                                                               \
   public:                                                                                     \
    Name(int in_channels, int out_channels, const IntOrTuple& kernel_size,                     \
         const IntOrTuple& stride = 1, const IntOrTuple& padding = 0,                          \
         const IntOrTuple& dilation = 1, const IntOrTuple& output_padding = 0, int groups = 1, \
         bool bias = true)                                                                     \
        : ConvBase(#Name, n, true, in_channels, out_channels, kernel_size, stride, padding,    \
                   dilation, output_padding, groups, bias) {}                                  \
    std::string name() const override { return #Name; }                                        \
  };

MLX_NN_CONV_TRANSPOSE(ConvTranspose1d, 1)
MLX_NN_CONV_TRANSPOSE(ConvTranspose2d, 2)
MLX_NN_CONV_TRANSPOSE(ConvTranspose3d, 3)

#undef MLX_NN_CONV_TRANSPOSE

// MLX Swift's spellings.
using ConvTransposed1d = ConvTranspose1d;
using ConvTransposed2d = ConvTranspose2d;
using ConvTransposed3d = ConvTranspose3d;

}  // namespace mlx::nn
