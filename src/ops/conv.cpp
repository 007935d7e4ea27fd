// Convolution: conv_general, conv1d/2d/3d and the transposed convolutions (all one Convolution
// primitive), with its derivative and batching rules.
#include <optional>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

int dilate(int size, int dilation) { return size == 0 ? 0 : (size - 1) * dilation + 1; }

// The padded, dilated input's extent minus the dilated kernel's, per spatial dim: the output
// has span / stride + 1 positions when it is non-negative.
int span(const Shape& in, const Shape& wt, const std::vector<int>& lo, const std::vector<int>& hi,
         const std::vector<int>& kernel_dilation, const std::vector<int>& input_dilation, int i) {
  return dilate(in[i + 1], input_dilation[i]) + lo[i] + hi[i] -
         dilate(wt[i + 1], kernel_dilation[i]);
}

Shape out_shape(const Shape& in, const Shape& wt, const std::vector<int>& stride,
                const std::vector<int>& lo, const std::vector<int>& hi,
                const std::vector<int>& kernel_dilation, const std::vector<int>& input_dilation) {
  Shape out = in;
  for (size_t i = 0; i + 2 < in.size(); ++i) {
    out[i + 1] = span(in, wt, lo, hi, kernel_dilation, input_dilation, i) / stride[i] + 1;
  }
  out.back() = wt[0];
  return out;
}

const char* layout(int spatial) {
  return spatial == 1 ? "(N, W, C_in)" : spatial == 2 ? "(N, H, W, C_in)" : "(N, D, H, W, C_in)";
}

void check_input_rank(const char* op, const array& in, int spatial) {
  if (static_cast<int>(in.ndim()) != spatial + 2) {
    std::ostringstream msg;
    msg << "[" << op << "] Expected an input of rank " << spatial + 2 << " " << layout(spatial)
        << ", but got an input with shape " << in.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
}

void check_weight_rank(const char* op, const array& in, const array& wt) {
  if (wt.ndim() != in.ndim()) {
    std::ostringstream msg;
    msg << "[" << op << "] Expected a weight of rank " << in.ndim()
        << " (C_out, kernel..., C_in / groups) for an input with shape " << in.shape()
        << ", but got a weight with shape " << wt.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
}

// A per-spatial-dim parameter: none means `fallback` for every dim, one value applies to every
// dim (as in MLX).
std::vector<int> per_dim(const char* op, const char* what, std::vector<int> v, int spatial,
                         int fallback) {
  if (v.size() <= 1) {
    return std::vector<int>(spatial, v.empty() ? fallback : v[0]);
  }
  if (static_cast<int>(v.size()) != spatial) {
    std::ostringstream msg;
    msg << "[" << op << "] Invalid " << what << " " << v << " for a " << spatial
        << "D convolution: expected 1 or " << spatial << " values.";
    throw std::invalid_argument(msg.str());
  }
  return v;
}

void check_positive(const char* op, const char* what, const std::vector<int>& v) {
  for (int x : v) {
    if (x <= 0) {
      std::ostringstream msg;
      msg << "[" << op << "] The " << what << " must be positive, but got " << v << ".";
      throw std::invalid_argument(msg.str());
    }
  }
}

// conv_general's checks and the primitive, with `op` (the user-facing op) naming the errors.
// The input's rank is checked by the caller.
array conv(const char* op, array in, array wt, std::vector<int> stride, std::vector<int> lo,
           std::vector<int> hi, std::vector<int> kernel_dilation, std::vector<int> input_dilation,
           int groups, bool flip, StreamOrDevice s) {
  check_weight_rank(op, in, wt);
  int spatial = static_cast<int>(in.ndim()) - 2;
  auto dtype = promote_types(in.dtype(), wt.dtype());
  if (!issubdtype(dtype, floating)) {
    std::ostringstream msg;
    msg << "[" << op << "] Only real floating point types are supported, but got an input of type "
        << in.dtype() << " and a weight of type " << wt.dtype() << ".";
    throw std::invalid_argument(msg.str());
  }
  int c_in = in.shape(-1);
  int c_out = wt.shape(0);
  if (groups < 1) {
    std::ostringstream msg;
    msg << "[" << op << "] The number of groups must be positive, but got " << groups << ".";
    throw std::invalid_argument(msg.str());
  }
  if (c_in % groups != 0 || c_out % groups != 0) {
    std::ostringstream msg;
    msg << "[" << op << "] The input and output channels must be divisible by the number of "
        << "groups, but got an input with shape " << in.shape() << ", a weight with shape "
        << wt.shape() << " and " << groups << " groups.";
    throw std::invalid_argument(msg.str());
  }
  if (wt.shape(-1) != c_in / groups) {
    std::ostringstream msg;
    msg << "[" << op
        << "] Expected the weight's last dimension to be C_in / groups = " << c_in / groups
        << ", but got an input with shape " << in.shape() << ", a weight with shape " << wt.shape()
        << " and " << groups << " groups.";
    throw std::invalid_argument(msg.str());
  }
  stride = per_dim(op, "stride", std::move(stride), spatial, 1);
  lo = per_dim(op, "padding", std::move(lo), spatial, 0);
  hi = per_dim(op, "padding", std::move(hi), spatial, 0);
  kernel_dilation = per_dim(op, "kernel dilation", std::move(kernel_dilation), spatial, 1);
  input_dilation = per_dim(op, "input dilation", std::move(input_dilation), spatial, 1);
  check_positive(op, "stride", stride);
  check_positive(op, "kernel dilation", kernel_dilation);
  check_positive(op, "input dilation", input_dilation);
  for (int i = 0; i < spatial; ++i) {
    if (wt.shape(i + 1) < 1) {
      std::ostringstream msg;
      msg << "[" << op << "] The kernel's spatial dimensions must be positive, but got a weight "
          << "with shape " << wt.shape() << ".";
      throw std::invalid_argument(msg.str());
    }
    if (span(in.shape(), wt.shape(), lo, hi, kernel_dilation, input_dilation, i) < 0) {
      std::ostringstream msg;
      msg << "[" << op << "] The padded input is smaller than the dilated kernel along spatial "
          << "axis " << i << ": input shape " << in.shape() << ", weight shape " << wt.shape()
          << ", padding " << lo << " and " << hi << ", kernel dilation " << kernel_dilation
          << ", input dilation " << input_dilation << ".";
      throw std::invalid_argument(msg.str());
    }
  }
  auto stream = to_stream(s);
  in = astype(in, dtype, stream);
  wt = astype(wt, dtype, stream);
  auto shape = out_shape(in.shape(), wt.shape(), stride, lo, hi, kernel_dilation, input_dilation);
  return array(std::move(shape), dtype,
               std::make_shared<Convolution>(stream, std::move(stride), std::move(lo),
                                             std::move(hi), std::move(kernel_dilation),
                                             std::move(input_dilation), groups, flip),
               {in, wt});
}

// The transposed convolution is the input gradient of a convolution: the input dilated by the
// stride, padded so that the kernel overhangs it by dilation * (k - 1) - padding on each side
// (plus output_padding at the end), against the flipped kernel.
array conv_transpose(const char* op, const array& in, const array& wt, std::vector<int> stride,
                     std::vector<int> padding, std::vector<int> dilation,
                     std::vector<int> output_padding, int groups, StreamOrDevice s) {
  int spatial = static_cast<int>(stride.size());
  check_input_rank(op, in, spatial);
  check_weight_rank(op, in, wt);
  check_positive(op, "stride", stride);
  check_positive(op, "dilation", dilation);
  std::vector<int> lo(spatial), hi(spatial);
  for (int i = 0; i < spatial; ++i) {
    int o = output_padding[i];
    if (o < 0 || (o >= stride[i] && o >= dilation[i])) {
      std::ostringstream msg;
      msg << "[" << op << "] The output padding must be non-negative and smaller than either the "
          << "stride or the dilation, but got output padding " << output_padding << ", stride "
          << stride << " and dilation " << dilation << ".";
      throw std::invalid_argument(msg.str());
    }
    lo[i] = dilate(wt.shape(i + 1), dilation[i]) - 1 - padding[i];
    hi[i] = lo[i] + o;
  }
  return conv(op, in, wt, std::vector<int>(spatial, 1), std::move(lo), std::move(hi),
              std::move(dilation), std::move(stride), groups, true, s);
}

}  // namespace

array conv_general(array input, array weight, std::vector<int> stride, std::vector<int> padding_lo,
                   std::vector<int> padding_hi, std::vector<int> kernel_dilation,
                   std::vector<int> input_dilation, int groups, bool flip, StreamOrDevice s) {
  if (input.ndim() < 3 || input.ndim() > 5) {
    std::ostringstream msg;
    msg << "[conv_general] Expected an input with 1 to 3 spatial dimensions (N, spatial..., "
        << "C_in), but got an input with shape " << input.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  return conv("conv_general", std::move(input), std::move(weight), std::move(stride),
              std::move(padding_lo), std::move(padding_hi), std::move(kernel_dilation),
              std::move(input_dilation), groups, flip, s);
}

array conv1d(const array& input, const array& weight, int stride, int padding, int dilation,
             int groups, StreamOrDevice s) {
  check_input_rank("conv1d", input, 1);
  return conv("conv1d", input, weight, {stride}, {padding}, {padding}, {dilation}, {1}, groups,
              false, s);
}

array conv2d(const array& input, const array& weight, const std::pair<int, int>& stride,
             const std::pair<int, int>& padding, const std::pair<int, int>& dilation, int groups,
             StreamOrDevice s) {
  check_input_rank("conv2d", input, 2);
  std::vector<int> pad{padding.first, padding.second};
  return conv("conv2d", input, weight, {stride.first, stride.second}, pad, pad,
              {dilation.first, dilation.second}, {1, 1}, groups, false, s);
}

array conv3d(const array& input, const array& weight, const std::tuple<int, int, int>& stride,
             const std::tuple<int, int, int>& padding, const std::tuple<int, int, int>& dilation,
             int groups, StreamOrDevice s) {
  check_input_rank("conv3d", input, 3);
  auto [p0, p1, p2] = padding;
  auto [s0, s1, s2] = stride;
  auto [d0, d1, d2] = dilation;
  std::vector<int> pad{p0, p1, p2};
  return conv("conv3d", input, weight, {s0, s1, s2}, pad, pad, {d0, d1, d2}, {1, 1, 1}, groups,
              false, s);
}

array conv_transpose1d(const array& input, const array& weight, int stride, int padding,
                       int dilation, int output_padding, int groups, StreamOrDevice s) {
  return conv_transpose("conv_transpose1d", input, weight, {stride}, {padding}, {dilation},
                        {output_padding}, groups, s);
}

array conv_transpose2d(const array& input, const array& weight, const std::pair<int, int>& stride,
                       const std::pair<int, int>& padding, const std::pair<int, int>& dilation,
                       const std::pair<int, int>& output_padding, int groups, StreamOrDevice s) {
  return conv_transpose("conv_transpose2d", input, weight, {stride.first, stride.second},
                        {padding.first, padding.second}, {dilation.first, dilation.second},
                        {output_padding.first, output_padding.second}, groups, s);
}

array conv_transpose3d(const array& input, const array& weight,
                       const std::tuple<int, int, int>& stride,
                       const std::tuple<int, int, int>& padding,
                       const std::tuple<int, int, int>& dilation,
                       const std::tuple<int, int, int>& output_padding, int groups,
                       StreamOrDevice s) {
  auto [s0, s1, s2] = stride;
  auto [p0, p1, p2] = padding;
  auto [d0, d1, d2] = dilation;
  auto [o0, o1, o2] = output_padding;
  return conv_transpose("conv_transpose3d", input, weight, {s0, s1, s2}, {p0, p1, p2}, {d0, d1, d2},
                        {o0, o1, o2}, groups, s);
}

std::vector<Shape> Convolution::output_shapes(const std::vector<array>& inputs) {
  return {out_shape(inputs[0].shape(), inputs[1].shape(), stride(), padding_lo(), padding_hi(),
                    kernel_dilation(), input_dilation())};
}

namespace {

// (C_out, kernel..., C_in / groups) -> (C_in, kernel..., C_out / groups): within each group,
// the roles of input and output channels swap.
array swap_group_channels(const array& wt, int groups, Stream s) {
  Shape shape = wt.shape();
  shape[0] /= groups;
  shape.insert(shape.begin(), groups);
  auto swapped = swapaxes(reshape(wt, shape, s), 1, -1, s);
  Shape out = swapped.shape();
  out[1] *= groups;
  out.erase(out.begin());
  return reshape(swapped, std::move(out), s);
}

}  // namespace

// With x~ the dilated, padded input, out[n, o, c] = sum over k, j of x~[n, o * stride + k *
// kdil, j] w[c, k, j] (k reversed when flipping), per spatial dim, within c's channel group.
std::vector<array> Convolution::vjp(const std::vector<array>& primals,
                                    const std::vector<array>& cotangents,
                                    const std::vector<int>& argnums, const std::vector<array>&) {
  const auto& in = primals[0];
  const auto& wt = primals[1];
  const auto& ct = cotangents[0];
  auto s = stream();
  int spatial = static_cast<int>(in.ndim()) - 2;
  int g = groups();
  std::vector<array> vjps;
  for (int arg : argnums) {
    const auto& primal = primals[arg];
    if (primal.size() == 0 || ct.size() == 0) {
      vjps.push_back(zeros_like(primal, s));
    } else if (arg == 0) {
      // dx[i] sums ct[o] w[k] over o * stride + k * kdil == i * idil + lo: the cotangent dilated
      // by the stride, against the kernel flipped, stepping by the input dilation. The padding
      // puts kernel tap k of output i on cotangent position i * idil + lo - k * kdil.
      std::vector<int> lo(spatial), hi(spatial);
      for (int i = 0; i < spatial; ++i) {
        lo[i] = dilate(wt.shape(i + 1), kernel_dilation()[i]) - 1 - padding_lo()[i];
        hi[i] = dilate(in.shape(i + 1), input_dilation()[i]) -
                dilate(ct.shape(i + 1), stride()[i]) + padding_lo()[i];
      }
      vjps.push_back(conv_general(ct, swap_group_channels(wt, g, s), input_dilation(), lo, hi,
                                  kernel_dilation(), stride(), g, !flip(), s));
    } else {
      // dw[c, k, j] sums x~[n, o * stride + k * kdil, j] ct[n, o, c] over n and o: a
      // convolution of the input (channels as batch, the batch as channels, per group) with
      // the cotangent as kernel, the roles of stride and kernel dilation swapped.
      Shape grouped = in.shape();
      grouped.back() /= g;
      grouped.insert(grouped.end() - 1, g);
      std::vector<int> perm{spatial + 2};
      for (int i = 1; i <= spatial + 1; ++i) perm.push_back(i);
      perm.push_back(0);
      auto x = transpose(reshape(in, grouped, s), perm, s);
      Shape x_shape = x.shape();
      x_shape[spatial + 1] *= x_shape[spatial + 2];
      x_shape.pop_back();
      x = reshape(x, std::move(x_shape), s);
      std::vector<int> hi(spatial);
      for (int i = 0; i < spatial; ++i) {
        hi[i] = (wt.shape(i + 1) - 1) * kernel_dilation()[i] +
                dilate(ct.shape(i + 1), stride()[i]) -
                dilate(in.shape(i + 1), input_dilation()[i]) - padding_lo()[i];
      }
      auto dw = swapaxes(conv_general(x, swapaxes(ct, 0, -1, s), kernel_dilation(), padding_lo(),
                                      hi, stride(), input_dilation(), g, false, s),
                         0, -1, s);
      if (flip()) {
        Shape start(wt.ndim(), 0), stop = wt.shape(), step(wt.ndim(), 1);
        for (int i = 1; i <= spatial; ++i) {
          start[i] = wt.shape(i) - 1;
          stop[i] = -wt.shape(i) - 1;
          step[i] = -1;
        }
        dw = slice(dw, std::move(start), std::move(stop), std::move(step), s);
      }
      vjps.push_back(dw);
    }
  }
  return vjps;
}

// Linear in each argument.
std::vector<array> Convolution::jvp(const std::vector<array>& primals,
                                    const std::vector<array>& tangents,
                                    const std::vector<int>& argnums) {
  std::optional<array> out;
  for (size_t i = 0; i < argnums.size(); ++i) {
    const auto& x = argnums[i] == 0 ? tangents[i] : primals[0];
    const auto& w = argnums[i] == 0 ? primals[1] : tangents[i];
    auto term = conv_general(x, w, stride(), padding_lo(), padding_hi(), kernel_dilation(),
                             input_dilation(), groups(), flip(), stream());
    out = out ? add(*out, term, stream()) : term;
  }
  return {*out};
}

// A batched input folds into the batch dim N; a batched weight stacks into the output channels
// (within each group), and with both batched each batch entry becomes its own set of groups.
std::pair<std::vector<array>, std::vector<int>> Convolution::vmap(const std::vector<array>& inputs,
                                                                  const std::vector<int>& axes) {
  auto s = stream();
  int spatial = static_cast<int>(inputs[0].ndim()) - 2 - (axes[0] >= 0 ? 1 : 0);
  int g = groups();
  auto apply = [&](const array& x, const array& w, int groups) {
    return conv_general(x, w, stride(), padding_lo(), padding_hi(), kernel_dilation(),
                        input_dilation(), groups, flip(), s);
  };
  if (axes[1] < 0) {
    auto x = move_batch_axis(inputs[0], axes[0], 0, s);
    Shape folded(x.shape().begin() + 1, x.shape().end());
    folded[0] *= x.shape(0);
    auto out = apply(reshape(x, std::move(folded), s), inputs[1], g);
    Shape shape = out.shape();
    shape[0] = x.shape(1);
    shape.insert(shape.begin(), x.shape(0));
    return {{reshape(out, std::move(shape), s)}, {0}};
  }
  auto w = move_batch_axis(inputs[1], axes[1], 0, s);
  int batch = w.shape(0);
  int c_out = w.shape(1);
  Shape w_shape(w.shape().begin() + 1, w.shape().end());
  w_shape[0] *= batch;
  if (axes[0] < 0) {
    // (B, G, C_out / G, ...) -> (G, B, C_out / G, ...): each group's filters for every entry.
    Shape split = w.shape();
    split[1] = c_out / g;
    split.insert(split.begin() + 1, g);
    w = swapaxes(reshape(w, std::move(split), s), 0, 1, s);
    auto out = apply(inputs[0], reshape(w, std::move(w_shape), s), g);
    Shape shape = out.shape();
    shape.back() = c_out / g;
    shape.insert(shape.end() - 1, batch);
    shape.insert(shape.end() - 2, g);
    out = moveaxis(reshape(out, std::move(shape), s), spatial + 2, 0, s);
    Shape merged = out.shape();
    merged.pop_back();
    merged.back() = c_out;
    return {{reshape(out, std::move(merged), s)}, {0}};
  }
  auto x = move_batch_axis(inputs[0], axes[0], spatial + 1, s);
  Shape x_shape = x.shape();
  x_shape[spatial + 1] *= x_shape[spatial + 2];
  x_shape.pop_back();
  auto out = apply(reshape(x, std::move(x_shape), s), reshape(w, std::move(w_shape), s), batch * g);
  Shape shape = out.shape();
  shape.back() = c_out;
  shape.insert(shape.end() - 1, batch);
  return {{moveaxis(reshape(out, std::move(shape), s), spatial + 1, 0, s)}, {0}};
}

}  // namespace mlx::core
