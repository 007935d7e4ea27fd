// Quantization: quantize, dequantize, quantized_matmul, gather_qmm, qqmm, gather_qqmm, to_fp8 and
// from_fp8. Layouts, rounding and the vectors they must reproduce: ../shared/QUANT.md.
//
// qqmm and gather_qqmm are compositions: x is quantized and dequantized (to float32), then
// multiplied with the quantized w by quantized_matmul / gather_qmm, which is what the fused
// kernels of MLX compute up to the order of the float32 sums.
#include <algorithm>
#include <numeric>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

// The product of nvfp4's ranges (fp4 max 6, fp8 max 448): a global scale g maps the tensor's
// absolute maximum g onto the largest block scale.
constexpr float kNvfp4Range = 448.0f * 6.0f;

struct QuantSpec {
  QuantMode mode;
  int group_size;
  int bits;
};

const char* mode_name(QuantMode m) {
  switch (m) {
    case QuantMode::Affine:
      return "affine";
    case QuantMode::Mxfp4:
      return "mxfp4";
    case QuantMode::Mxfp8:
      return "mxfp8";
    case QuantMode::Nvfp4:
      return "nvfp4";
  }
  return "affine";
}

// The mode, group size and bits of an op, with the mode's defaults, checked.
QuantSpec quant_spec(const char* tag, const std::string& mode, std::optional<int> group_size,
                     std::optional<int> bits) {
  QuantSpec q;
  if (mode == "affine") {
    q = {QuantMode::Affine, group_size.value_or(64), bits.value_or(4)};
  } else if (mode == "mxfp4") {
    q = {QuantMode::Mxfp4, group_size.value_or(32), bits.value_or(4)};
  } else if (mode == "mxfp8") {
    q = {QuantMode::Mxfp8, group_size.value_or(32), bits.value_or(8)};
  } else if (mode == "nvfp4") {
    q = {QuantMode::Nvfp4, group_size.value_or(16), bits.value_or(4)};
  } else {
    std::ostringstream msg;
    msg << "[" << tag << "] Invalid quantization mode '" << mode
        << "'. The supported modes are 'affine', 'mxfp4', 'mxfp8' and 'nvfp4'.";
    throw std::invalid_argument(msg.str());
  }
  std::ostringstream msg;
  if (q.mode == QuantMode::Affine) {
    if (q.group_size != 32 && q.group_size != 64 && q.group_size != 128) {
      msg << "[" << tag << "] The requested group size " << q.group_size
          << " is not supported. The supported group sizes are 32, 64 and 128.";
      throw std::invalid_argument(msg.str());
    }
    if (q.bits < 2 || q.bits > 8 || q.bits == 7) {
      msg << "[" << tag << "] The requested number of bits " << q.bits
          << " is not supported. The supported bits are 2, 3, 4, 5, 6 and 8.";
      throw std::invalid_argument(msg.str());
    }
    return q;
  }
  int expected_gs = q.mode == QuantMode::Nvfp4 ? 16 : 32;
  int expected_bits = q.mode == QuantMode::Mxfp8 ? 8 : 4;
  if (q.group_size != expected_gs) {
    msg << "[" << tag << "] " << mode << " quantization requires group size " << expected_gs
        << " but got " << q.group_size << ".";
    throw std::invalid_argument(msg.str());
  }
  if (q.bits != expected_bits) {
    msg << "[" << tag << "] " << mode << " quantization requires bits to be " << expected_bits
        << " but got " << q.bits << ".";
    throw std::invalid_argument(msg.str());
  }
  return q;
}

bool is_half_or_single(Dtype t) { return t == float32 || t == float16 || t == bfloat16; }

// The global scale as a float32 scalar; only nvfp4 takes one.
std::optional<array> check_global_scale(const char* tag, const std::optional<array>& g,
                                        const QuantSpec& q, Stream s) {
  if (!g) {
    return std::nullopt;
  }
  std::ostringstream msg;
  if (q.mode != QuantMode::Nvfp4) {
    msg << "[" << tag << "] A global scale is only supported in mode 'nvfp4' but the mode is '"
        << mode_name(q.mode) << "'.";
    throw std::invalid_argument(msg.str());
  }
  if (g->size() != 1 || !issubdtype(g->dtype(), floating)) {
    msg << "[" << tag << "] The global scale must be one floating-point value but got shape "
        << g->shape() << " and dtype " << g->dtype() << ".";
    throw std::invalid_argument(msg.str());
  }
  return astype(reshape(*g, {}, s), float32, s);
}

// Affine mode needs biases of a floating type and the fp modes none, with uint8 scales.
// Returns the dtype the scales (and biases) have.
Dtype check_scales(const char* tag, const QuantSpec& q, const array& scales,
                   const std::optional<array>& biases) {
  std::ostringstream msg;
  if (q.mode == QuantMode::Affine) {
    if (!biases) {
      msg << "[" << tag << "] Biases must be provided for affine quantization.";
      throw std::invalid_argument(msg.str());
    }
    auto dtype = promote_types(scales.dtype(), biases->dtype());
    if (!issubdtype(dtype, floating)) {
      msg << "[" << tag
          << "] Only real floating types are supported but scales.dtype() == " << scales.dtype()
          << " and biases.dtype() == " << biases->dtype() << ".";
      throw std::invalid_argument(msg.str());
    }
    if (scales.shape() != biases->shape()) {
      msg << "[" << tag << "] Scales and biases should have the same shape but got "
          << scales.shape() << " and " << biases->shape() << ".";
      throw std::invalid_argument(msg.str());
    }
    return dtype;
  }
  if (biases) {
    msg << "[" << tag << "] Biases must be null for quantization mode '" << mode_name(q.mode)
        << "'.";
    throw std::invalid_argument(msg.str());
  }
  if (scales.dtype() != uint8) {
    msg << "[" << tag << "] Scales must be uint8 in mode '" << mode_name(q.mode) << "' but got "
        << scales.dtype() << ".";
    throw std::invalid_argument(msg.str());
  }
  return uint8;
}

// w is a uint32 matrix (or batch of them) and the scales fit it: same dims but the last, which
// holds one scale per group of the unpacked row.
void check_packed(const char* tag, const QuantSpec& q, const array& w, const array& scales) {
  std::ostringstream msg;
  if (w.dtype() != uint32) {
    msg << "[" << tag << "] The quantized matrix should be uint32 but got " << w.dtype() << ".";
    throw std::invalid_argument(msg.str());
  }
  if (w.ndim() < 2) {
    msg << "[" << tag << "] The quantized matrix must have at least 2 dimensions but got shape "
        << w.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  bool fits = scales.ndim() == w.ndim() &&
              std::equal(w.shape().begin(), w.shape().end() - 1, scales.shape().begin()) &&
              static_cast<int64_t>(w.shape(-1)) * 32 ==
                  static_cast<int64_t>(scales.shape(-1)) * q.group_size * q.bits;
  if (!fits) {
    msg << "[" << tag << "] The shapes of the quantized matrix " << w.shape() << " and scales "
        << scales.shape() << " do not match with group_size=" << q.group_size
        << " and bits=" << q.bits << ".";
    throw std::invalid_argument(msg.str());
  }
}

Shape with_last(Shape shape, int last) {
  shape.back() = last;
  return shape;
}

array uint32_indices(const char* tag, const char* which, const array& idx, Stream s) {
  if (!issubdtype(idx.dtype(), integer)) {
    std::ostringstream msg;
    msg << "[" << tag << "] " << which << " must be integers but got " << idx.dtype() << ".";
    throw std::invalid_argument(msg.str());
  }
  // A negative index wraps to a huge one, which the kernel reports as out of range.
  return astype(idx, uint32, s);
}

// The default indices of a gather: every matrix of the batch, in order.
array batch_indices(const array& x, Stream s) {
  Shape batch(x.shape().begin(), x.shape().end() - 2);
  int n = std::accumulate(batch.begin(), batch.end(), 1, std::multiplies<int>());
  return reshape(arange(0, n, 1, uint32, s), batch, s);
}

// Checks quantized_matmul's operands; returns {output dtype, inner dim K, output columns N}.
std::tuple<Dtype, int, int> check_qmm(const char* tag, const QuantSpec& q, const array& x,
                                      const array& w, const array& scales,
                                      const std::optional<array>& biases, bool transpose) {
  auto scales_dtype = check_scales(tag, q, scales, biases);
  check_packed(tag, q, w, scales);
  std::ostringstream msg;
  if (x.ndim() == 0) {
    msg << "[" << tag << "] The input must have at least one dimension but got a scalar.";
    throw std::invalid_argument(msg.str());
  }
  int unpacked = static_cast<int>(static_cast<int64_t>(w.shape(-1)) * 32 / q.bits);
  int k = transpose ? unpacked : w.shape(-2);
  int n = transpose ? w.shape(-2) : unpacked;
  if (x.shape(-1) != k) {
    msg << "[" << tag << "] Last dimension of first input with shape " << x.shape()
        << " does not match the dequantized matrix (" << k << "," << n << ") of shape " << w.shape()
        << " with group_size=" << q.group_size << ", bits=" << q.bits
        << " and transpose=" << (transpose ? "true" : "false") << ".";
    throw std::invalid_argument(msg.str());
  }
  auto dtype = q.mode == QuantMode::Affine ? promote_types(x.dtype(), scales_dtype) : x.dtype();
  if (!is_half_or_single(dtype)) {
    msg << "[" << tag << "] Only float32, float16 and bfloat16 are supported but the product "
        << "would have dtype " << dtype << ".";
    throw std::invalid_argument(msg.str());
  }
  return {dtype, k, n};
}

Shape concat(const Shape& batch, std::initializer_list<int> tail) {
  Shape out = batch;
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

}  // namespace

// ---- quantize / dequantize ----

std::vector<array> quantize(const array& w, std::optional<int> group_size, std::optional<int> bits,
                            const std::string& mode, const std::optional<array>& global_scale,
                            StreamOrDevice s) {
  auto q = quant_spec("quantize", mode, group_size, bits);
  auto stream = to_stream(s);
  std::ostringstream msg;
  if (!issubdtype(w.dtype(), floating)) {
    msg << "[quantize] Only real floating types can be quantized but w has type " << w.dtype()
        << ".";
    throw std::invalid_argument(msg.str());
  }
  if (w.ndim() < 2) {
    msg << "[quantize] The matrix to be quantized must have at least 2 dimensions but it has "
        << w.ndim() << ".";
    throw std::invalid_argument(msg.str());
  }
  if (w.shape(-1) % q.group_size != 0) {
    msg << "[quantize] The last dimension of the matrix needs to be divisible by the "
        << "quantization group size " << q.group_size << " but the matrix has shape " << w.shape()
        << ".";
    throw std::invalid_argument(msg.str());
  }
  auto g = check_global_scale("quantize", global_scale, q, stream);
  int cols = w.shape(-1);
  auto wq_shape = with_last(w.shape(), static_cast<int>(static_cast<int64_t>(cols) * q.bits / 32));
  auto s_shape = with_last(w.shape(), cols / q.group_size);
  std::vector<array> inputs{w};
  if (g) {
    inputs.push_back(*g);
  }
  auto prim = std::make_shared<Quantize>(stream, q.group_size, q.bits, q.mode);
  if (q.mode == QuantMode::Affine) {
    return array::make_arrays({wq_shape, s_shape, s_shape}, {uint32, w.dtype(), w.dtype()}, prim,
                              inputs);
  }
  return array::make_arrays({wq_shape, s_shape}, {uint32, uint8}, prim, inputs);
}

array dequantize(const array& w, const array& scales, const std::optional<array>& biases,
                 std::optional<int> group_size, std::optional<int> bits, const std::string& mode,
                 const std::optional<array>& global_scale, std::optional<Dtype> dtype,
                 StreamOrDevice s) {
  auto q = quant_spec("dequantize", mode, group_size, bits);
  auto stream = to_stream(s);
  auto scales_dtype = check_scales("dequantize", q, scales, biases);
  check_packed("dequantize", q, w, scales);
  auto g = check_global_scale("dequantize", global_scale, q, stream);
  auto out_dtype = dtype.value_or(q.mode == QuantMode::Affine ? scales_dtype : bfloat16);
  if (!issubdtype(out_dtype, floating)) {
    std::ostringstream msg;
    msg << "[dequantize] Only real floating types are supported but dtype == " << out_dtype << ".";
    throw std::invalid_argument(msg.str());
  }
  std::vector<array> inputs{w};
  if (q.mode == QuantMode::Affine) {
    inputs.push_back(astype(scales, scales_dtype, stream));
    inputs.push_back(astype(*biases, scales_dtype, stream));
  } else {
    inputs.push_back(scales);
    if (g) {
      inputs.push_back(*g);
    }
  }
  auto out_shape = with_last(w.shape(), scales.shape(-1) * q.group_size);
  return array(out_shape, out_dtype,
               std::make_shared<Dequantize>(stream, q.group_size, q.bits, q.mode, out_dtype),
               inputs);
}

// ---- products ----

array quantized_matmul(array x, array w, array scales, std::optional<array> biases, bool transpose,
                       std::optional<int> group_size, std::optional<int> bits,
                       const std::string& mode, StreamOrDevice s) {
  const char* tag = "quantized_matmul";
  auto q = quant_spec(tag, mode, group_size, bits);
  auto stream = to_stream(s);
  auto [dtype, k, n] = check_qmm(tag, q, x, w, scales, biases, transpose);
  bool vector = x.ndim() == 1;
  if (vector) {
    x = reshape(x, {1, k}, stream);
  }
  int m = x.shape(-2);
  Shape x_batch(x.shape().begin(), x.shape().end() - 2);
  Shape w_batch(w.shape().begin(), w.shape().end() - 2);
  Shape batch = x_batch;
  std::vector<array> inputs{astype(x, dtype, stream), w,
                            q.mode == QuantMode::Affine ? astype(scales, dtype, stream) : scales};
  if (biases) {
    inputs.push_back(astype(*biases, dtype, stream));
  }
  if (!w_batch.empty()) {
    try {
      batch = broadcast_shapes(x_batch, w_batch);
    } catch (const std::invalid_argument&) {
      std::ostringstream msg;
      msg << "[" << tag << "] Batch dimensions of inputs with shapes " << x.shape() << " and "
          << w.shape() << " cannot be broadcast.";
      throw std::invalid_argument(msg.str());
    }
    // Every operand gets the whole batch shape (views: broadcast dims have stride 0).
    for (auto& in : inputs) {
      in = broadcast_to(in, concat(batch, {in.shape(-2), in.shape(-1)}), stream);
    }
  }
  array out(concat(batch, {m, n}), dtype,
            std::make_shared<QuantizedMatmul>(stream, q.group_size, q.bits, q.mode, transpose),
            inputs);
  if (vector) {
    out = reshape(out, concat(batch, {n}), stream);
  }
  return out;
}

array gather_qmm(const array& x, const array& w, const array& scales,
                 const std::optional<array>& biases, std::optional<array> lhs_indices,
                 std::optional<array> rhs_indices, bool transpose, std::optional<int> group_size,
                 std::optional<int> bits, const std::string& mode, bool sorted_indices,
                 StreamOrDevice s) {
  if (!lhs_indices && !rhs_indices) {
    return quantized_matmul(x, w, scales, biases, transpose, group_size, bits, mode, s);
  }
  const char* tag = "gather_qmm";
  auto q = quant_spec(tag, mode, group_size, bits);
  auto stream = to_stream(s);
  auto [dtype, k, n] = check_qmm(tag, q, x, w, scales, biases, transpose);
  if (x.ndim() < 2) {
    std::ostringstream msg;
    msg << "[" << tag << "] The input must have at least 2 dimensions but got shape " << x.shape()
        << ".";
    throw std::invalid_argument(msg.str());
  }
  auto lhs = lhs_indices ? uint32_indices(tag, "lhs_indices", *lhs_indices, stream)
                         : batch_indices(x, stream);
  auto rhs = rhs_indices ? uint32_indices(tag, "rhs_indices", *rhs_indices, stream)
                         : batch_indices(w, stream);
  Shape idx_shape;
  try {
    idx_shape = broadcast_shapes(lhs.shape(), rhs.shape());
  } catch (const std::invalid_argument&) {
    std::ostringstream msg;
    msg << "[" << tag << "] The index shapes " << lhs.shape() << " and " << rhs.shape()
        << " cannot be broadcast.";
    throw std::invalid_argument(msg.str());
  }
  // Which order the indices come in only changes speed here.
  (void)sorted_indices;
  std::vector<array> inputs{astype(x, dtype, stream), w,
                            q.mode == QuantMode::Affine ? astype(scales, dtype, stream) : scales};
  if (biases) {
    inputs.push_back(astype(*biases, dtype, stream));
  }
  inputs.push_back(broadcast_to(lhs, idx_shape, stream));
  inputs.push_back(broadcast_to(rhs, idx_shape, stream));
  return array(concat(idx_shape, {x.shape(-2), n}), dtype,
               std::make_shared<GatherQMM>(stream, q.group_size, q.bits, q.mode, transpose),
               inputs);
}

namespace {

struct QQOperands {
  array x;  // x quantized and dequantized, float32
  array w;
  array scales;
  std::optional<array> w_factor;  // the global scale of w over kNvfp4Range, when given
};

QQOperands qq_operands(const char* tag, const QuantSpec& q, const std::string& mode, const array& x,
                       const array& w, const std::optional<array>& w_scales,
                       const std::optional<array>& global_scale_x,
                       const std::optional<array>& global_scale_w, Stream s) {
  std::ostringstream msg;
  if (q.mode == QuantMode::Affine) {
    msg << "[" << tag << "] Only the modes 'mxfp4', 'mxfp8' and 'nvfp4' are supported but got '"
        << mode << "'.";
    throw std::invalid_argument(msg.str());
  }
  if (!is_half_or_single(x.dtype())) {
    msg << "[" << tag
        << "] Only float32, float16 and bfloat16 are supported but got x.dtype() == " << x.dtype()
        << ".";
    throw std::invalid_argument(msg.str());
  }
  auto gx = check_global_scale(tag, global_scale_x, q, s);
  auto gw = check_global_scale(tag, global_scale_w, q, s);
  auto xq = quantize(x, q.group_size, q.bits, mode, gx, s);
  auto x_hat = dequantize(xq[0], xq[1], std::nullopt, q.group_size, q.bits, mode, gx, float32, s);
  std::optional<array> factor;
  if (gw) {
    factor = divide(*gw, array(kNvfp4Range), s);
  }
  if (w.dtype() == uint32) {
    if (!w_scales) {
      msg << "[" << tag << "] Scales must be provided when the second input is quantized.";
      throw std::invalid_argument(msg.str());
    }
    return {x_hat, w, *w_scales, factor};
  }
  if (w_scales) {
    msg << "[" << tag << "] Scales were given but the second input is not quantized (dtype "
        << w.dtype() << ").";
    throw std::invalid_argument(msg.str());
  }
  if (!is_half_or_single(w.dtype())) {
    msg << "[" << tag
        << "] Only float32, float16 and bfloat16 are supported but got w.dtype() == " << w.dtype()
        << ".";
    throw std::invalid_argument(msg.str());
  }
  auto wq = quantize(w, q.group_size, q.bits, mode, gw, s);
  return {x_hat, wq[0], wq[1], factor};
}

array qq_finish(array out, const QQOperands& ops, Dtype dtype, Stream s) {
  if (ops.w_factor) {
    out = multiply(out, *ops.w_factor, s);
  }
  return astype(out, dtype, s);
}

}  // namespace

array qqmm(array x, array w, std::optional<array> w_scales, std::optional<int> group_size,
           std::optional<int> bits, const std::string& mode,
           const std::optional<array>& global_scale_x, const std::optional<array>& global_scale_w,
           StreamOrDevice s) {
  auto q = quant_spec("qqmm", mode, group_size, bits);
  auto stream = to_stream(s);
  auto ops = qq_operands("qqmm", q, mode, x, w, w_scales, global_scale_x, global_scale_w, stream);
  auto out = quantized_matmul(ops.x, ops.w, ops.scales, std::nullopt, true, q.group_size, q.bits,
                              mode, stream);
  return qq_finish(out, ops, x.dtype(), stream);
}

array gather_qqmm(const array& x, const array& w, const array& scales_w,
                  std::optional<array> lhs_indices, std::optional<array> rhs_indices,
                  std::optional<int> group_size, std::optional<int> bits, const std::string& mode,
                  const std::optional<array>& global_scale_x,
                  const std::optional<array>& global_scale_w, bool sorted_indices,
                  StreamOrDevice s) {
  auto q = quant_spec("gather_qqmm", mode, group_size, bits);
  auto stream = to_stream(s);
  auto ops =
      qq_operands("gather_qqmm", q, mode, x, w, scales_w, global_scale_x, global_scale_w, stream);
  auto out =
      gather_qmm(ops.x, ops.w, ops.scales, std::nullopt, std::move(lhs_indices),
                 std::move(rhs_indices), true, q.group_size, q.bits, mode, sorted_indices, stream);
  return qq_finish(out, ops, x.dtype(), stream);
}

// ---- fp8 ----

array to_fp8(array x, StreamOrDevice s) {
  if (!issubdtype(x.dtype(), floating)) {
    std::ostringstream msg;
    msg << "[to_fp8] Only real floating types are supported but x.dtype() == " << x.dtype() << ".";
    throw std::invalid_argument(msg.str());
  }
  auto shape = x.shape();
  return array(shape, uint8, std::make_shared<ConvertFP8>(to_stream(s), true, uint8),
               {std::move(x)});
}

array from_fp8(array x, Dtype dtype, StreamOrDevice s) {
  std::ostringstream msg;
  if (x.dtype() != uint8) {
    msg << "[from_fp8] Input must have type uint8 but x.dtype() == " << x.dtype() << ".";
    throw std::invalid_argument(msg.str());
  }
  if (!issubdtype(dtype, floating)) {
    msg << "[from_fp8] Only real floating types are supported but dtype == " << dtype << ".";
    throw std::invalid_argument(msg.str());
  }
  auto shape = x.shape();
  return array(shape, dtype, std::make_shared<ConvertFP8>(to_stream(s), false, dtype),
               {std::move(x)});
}

// ---- transform rules ----

namespace {

[[noreturn]] void not_differentiable(const char* op) {
  std::ostringstream msg;
  msg << "[" << op << "] Quantized arrays have no derivative: " << op << " is not differentiable.";
  throw std::invalid_argument(msg.str());
}

// Inputs with their batch axis in front, all of batch size `size` (unbatched ones broadcast).
std::vector<array> batch_all(const std::vector<array>& inputs, const std::vector<int>& axes,
                             Stream s) {
  int size = 1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (axes[i] >= 0) size = inputs[i].shape(axes[i]);
  }
  auto in = batch_in_front(inputs, axes, s);
  for (size_t i = 0; i < in.size(); ++i) {
    if (axes[i] < 0) {
      auto shape = in[i].shape();
      shape[0] = size;
      in[i] = broadcast_to(in[i], shape, s);
    }
  }
  return in;
}

}  // namespace

std::vector<array> Quantize::vjp(const std::vector<array>&, const std::vector<array>&,
                                 const std::vector<int>&, const std::vector<array>&) {
  not_differentiable("quantize");
}

std::vector<array> Quantize::jvp(const std::vector<array>&, const std::vector<array>&,
                                 const std::vector<int>&) {
  not_differentiable("quantize");
}

// Quantization is row by row, so a batch axis moved in front is one more row dim.
std::pair<std::vector<array>, std::vector<int>> Quantize::vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes) {
  if (inputs.size() > 1 && axes[1] >= 0) {
    throw std::invalid_argument("[quantize] vmap over the global scale is not supported.");
  }
  auto w = move_batch_axis(inputs[0], axes[0], 0, stream());
  std::optional<array> g;
  if (inputs.size() > 1) {
    g = inputs[1];
  }
  auto outs = quantize(w, group_size(), bits(), mode_name(mode()), g, stream());
  return {outs, std::vector<int>(outs.size(), 0)};
}

std::vector<array> Dequantize::vjp(const std::vector<array>&, const std::vector<array>&,
                                   const std::vector<int>&, const std::vector<array>&) {
  not_differentiable("dequantize");
}

std::vector<array> Dequantize::jvp(const std::vector<array>&, const std::vector<array>&,
                                   const std::vector<int>&) {
  not_differentiable("dequantize");
}

std::pair<std::vector<array>, std::vector<int>> Dequantize::vmap(const std::vector<array>& inputs,
                                                                 const std::vector<int>& axes) {
  bool has_global = mode() == QuantMode::Nvfp4 && inputs.size() > 2;
  if (has_global && axes[2] >= 0) {
    throw std::invalid_argument("[dequantize] vmap over the global scale is not supported.");
  }
  size_t packed = has_global ? 2 : inputs.size();
  auto in = batch_all({inputs.begin(), inputs.begin() + packed},
                      {axes.begin(), axes.begin() + packed}, stream());
  if (has_global) {
    in.push_back(inputs[2]);
  }
  auto out_shape = with_last(in[0].shape(), in[1].shape(-1) * group_size());
  return {
      {array(out_shape, dtype(),
             std::make_shared<Dequantize>(stream(), group_size(), bits(), mode(), dtype()), in)},
      {0}};
}

// d(x @ W) = dx @ W, and the cotangent of x is ct @ W^T: a quantized_matmul with the opposite
// transpose. The quantized weights, scales and biases have no gradient (as in MLX).
std::vector<array> QuantizedMatmul::vjp(const std::vector<array>& primals,
                                        const std::vector<array>& cotangents,
                                        const std::vector<int>& argnums,
                                        const std::vector<array>&) {
  std::vector<array> vjps;
  std::optional<array> biases;
  if (primals.size() > 3) {
    biases = primals[3];
  }
  for (int arg : argnums) {
    if (arg != 0) {
      throw std::invalid_argument(
          "[quantized_matmul] Cannot compute the gradient with respect to the quantized weights, "
          "scales or biases.");
    }
    vjps.push_back(quantized_matmul(cotangents[0], primals[1], primals[2], biases, !transpose(),
                                    group_size(), bits(), mode_name(mode()), stream()));
  }
  return vjps;
}

std::vector<array> QuantizedMatmul::jvp(const std::vector<array>& primals,
                                        const std::vector<array>& tangents,
                                        const std::vector<int>& argnums) {
  std::optional<array> biases;
  if (primals.size() > 3) {
    biases = primals[3];
  }
  for (int arg : argnums) {
    if (arg != 0) {
      throw std::invalid_argument(
          "[quantized_matmul] Cannot compute the derivative with respect to the quantized "
          "weights, scales or biases.");
    }
  }
  return {quantized_matmul(tangents[0], primals[1], primals[2], biases, transpose(), group_size(),
                           bits(), mode_name(mode()), stream())};
}

// The batch axis goes in front; quantized_matmul broadcasts batch dims, so an unbatched x keeps
// a size-1 axis there, while w, scales and biases are batched together or not at all.
std::pair<std::vector<array>, std::vector<int>> QuantizedMatmul::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  std::vector<array> packed(inputs.begin() + 1, inputs.end());
  std::vector<int> packed_axes(axes.begin() + 1, axes.end());
  if (std::any_of(packed_axes.begin(), packed_axes.end(), [](int a) { return a >= 0; })) {
    packed = batch_all(packed, packed_axes, stream());
  }
  std::optional<array> biases;
  if (packed.size() > 2) {
    biases = packed[2];
  }
  return {{quantized_matmul(x, packed[0], packed[1], biases, transpose(), group_size(), bits(),
                            mode_name(mode()), stream())},
          {0}};
}

// The cotangent of x: each product's ct[i] @ op(W[rhs[i]])^T (a gather_qmm with the opposite
// transpose), summed into the x matrix lhs[i] it came from, by a product with the one-hot
// matrix of lhs (a scatter-add written with ops that exist in this round).
std::vector<array> GatherQMM::vjp(const std::vector<array>& primals,
                                  const std::vector<array>& cotangents,
                                  const std::vector<int>& argnums, const std::vector<array>&) {
  const size_t n = primals.size();
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg != 0) {
      throw std::invalid_argument(
          "[gather_qmm] Cannot compute the gradient with respect to the quantized weights, "
          "scales, biases or indices.");
    }
    const auto& x = primals[0];
    const auto& ct = cotangents[0];
    int count = static_cast<int>(primals[n - 2].size());
    int m = x.shape(-2);
    int k = x.shape(-1);
    int batch = static_cast<int>(x.size() / (static_cast<size_t>(m) * k));
    auto s = stream();
    std::optional<array> biases;
    if (n == 6) {
      biases = primals[3];
    }
    auto per_index =
        gather_qmm(reshape(ct, {count, m, ct.shape(-1)}, s), primals[1], primals[2], biases,
                   arange(0, count, 1, uint32, s), reshape(primals[n - 1], {count}, s),
                   !transpose(), group_size(), bits(), mode_name(mode()), false, s);
    auto one_hot = astype(equal(reshape(arange(0, batch, 1, uint32, s), {batch, 1}, s),
                                reshape(primals[n - 2], {1, count}, s), s),
                          ct.dtype(), s);
    vjps.push_back(
        reshape(matmul(one_hot, reshape(per_index, {count, m * k}, s), s), x.shape(), s));
  }
  return vjps;
}

// Linear in x: the tangent goes through the same gathered product.
std::vector<array> GatherQMM::jvp(const std::vector<array>& primals,
                                  const std::vector<array>& tangents,
                                  const std::vector<int>& argnums) {
  for (int arg : argnums) {
    if (arg != 0) {
      throw std::invalid_argument(
          "[gather_qmm] Cannot compute the derivative with respect to the quantized weights, "
          "scales, biases or indices.");
    }
  }
  size_t n = primals.size();
  std::optional<array> biases;
  if (n == 6) {
    biases = primals[3];
  }
  return {gather_qmm(tangents[0], primals[1], primals[2], biases, primals[n - 2], primals[n - 1],
                     transpose(), group_size(), bits(), mode_name(mode()), false, stream())};
}

std::pair<std::vector<array>, std::vector<int>> GatherQMM::vmap(const std::vector<array>&,
                                                                const std::vector<int>&) {
  throw std::invalid_argument("[gather_qmm] vmap is not implemented.");
}

std::vector<array> ConvertFP8::vjp(const std::vector<array>&, const std::vector<array>&,
                                   const std::vector<int>&, const std::vector<array>&) {
  not_differentiable(to_fp8() ? "to_fp8" : "from_fp8");
}

std::vector<array> ConvertFP8::jvp(const std::vector<array>&, const std::vector<array>&,
                                   const std::vector<int>&) {
  not_differentiable(to_fp8() ? "to_fp8" : "from_fp8");
}

// Elementwise: the batch axis stays where it is.
std::pair<std::vector<array>, std::vector<int>> ConvertFP8::vmap(const std::vector<array>& inputs,
                                                                 const std::vector<int>& axes) {
  return {
      {to_fp8() ? mlx::core::to_fp8(inputs[0], stream()) : from_fp8(inputs[0], dtype(), stream())},
      {axes[0]}};
}

}  // namespace mlx::core
