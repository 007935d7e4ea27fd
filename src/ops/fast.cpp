// mlx::core::fast: rms_norm, layer_norm, rope and scaled_dot_product_attention as fused
// primitives, each with the op composition it stands for (its fallback, which also gives the
// rules that have no fused form), and the custom-kernel entry points this build cannot run.
#include <cmath>
#include <numeric>
#include <sstream>

#include "mlx/transforms.h"
#include "mlx/transforms_impl.h"
#include "ops/ops.h"

namespace mlx::core::fast {

namespace {

// Half floats are worked in float32; float64 stays float64.
Dtype work_dtype(Dtype t) { return t == float64 ? float64 : float32; }

// Every axis but the last, over which the weight and bias cotangents are summed.
std::vector<int> leading_axes(const array& x) {
  std::vector<int> axes(x.ndim() - 1);
  std::iota(axes.begin(), axes.end(), 0);
  return axes;
}

std::vector<array> select(std::vector<array> all, const std::vector<int>& argnums) {
  std::vector<array> out;
  for (int a : argnums) {
    out.push_back(all[a]);
  }
  return out;
}

void check_norm_input(const char* op, const array& x) {
  if (x.ndim() == 0) {
    std::ostringstream msg;
    msg << "[" << op << "] Input must have at least 1 dimension but got input with 0 dimensions.";
    throw std::invalid_argument(msg.str());
  }
}

void check_norm_param(const char* op, const char* what, const array& x,
                      const std::optional<array>& p) {
  if (!p) {
    return;
  }
  if (p->ndim() != 1) {
    std::ostringstream msg;
    msg << "[" << op << "] " << what << " must have 1 dimension but has " << p->ndim()
        << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  if (p->size() != static_cast<size_t>(x.shape(-1))) {
    std::ostringstream msg;
    msg << "[" << op << "] " << what << " must have the same size as the last dimension of x ("
        << x.shape(-1) << ") but has " << p->size() << " elements.";
    throw std::invalid_argument(msg.str());
  }
}

void check_floating(const char* op, Dtype t) {
  if (!issubdtype(t, floating)) {
    std::ostringstream msg;
    msg << "[" << op << "] Received unsupported type " << t << ".";
    throw std::invalid_argument(msg.str());
  }
}

}  // namespace

// ---- derivative and batching rules from the fallback ----

std::vector<array> Custom::vjp(const std::vector<array>& primals,
                               const std::vector<array>& cotangents,
                               const std::vector<int>& argnums, const std::vector<array>&) {
  auto f = [this](const std::vector<array>& in) { return fallback(in); };
  return select(mlx::core::vjp(f, primals, cotangents).second, argnums);
}

std::vector<array> Custom::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents,
                               const std::vector<int>& argnums) {
  std::vector<array> all;
  for (size_t i = 0, j = 0; i < primals.size(); ++i) {
    if (j < argnums.size() && argnums[j] == static_cast<int>(i)) {
      all.push_back(tangents[j++]);
    } else {
      all.push_back(zeros_like(primals[i], stream()));
    }
  }
  auto f = [this](const std::vector<array>& in) { return fallback(in); };
  return mlx::core::jvp(f, primals, all).second;
}

std::pair<std::vector<array>, std::vector<int>> Custom::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes) {
  auto f = [this](const std::vector<array>& in) { return fallback(in); };
  auto outs = mlx::core::vmap(f, axes)(inputs);
  return {outs, std::vector<int>(outs.size(), 0)};
}

// ---- rms_norm ----

array rms_norm(const array& x, const std::optional<array>& weight, float eps, StreamOrDevice s_) {
  check_norm_input("rms_norm", x);
  check_norm_param("rms_norm", "weight", x, weight);
  Dtype out_type = weight ? result_type(x, *weight) : x.dtype();
  check_floating("rms_norm", out_type);
  auto s = to_stream(s_);
  array w = weight ? astype(*weight, out_type, s) : array(1, out_type);
  return array(x.shape(), out_type, std::make_shared<RMSNorm>(s, eps), {astype(x, out_type, s), w});
}

std::vector<array> RMSNorm::fallback(const std::vector<array>& inputs) {
  auto s = stream();
  Dtype t = inputs[0].dtype(), wt = work_dtype(t);
  auto x = astype(inputs[0], wt, s);
  auto r = rsqrt(add(mean(square(x, s), -1, true, s), array(eps(), wt), s), s);
  auto y = multiply(multiply(x, r, s), astype(inputs[1], wt, s), s);
  return {astype(y, t, s)};
}

std::vector<array> RMSNorm::vjp(const std::vector<array>& primals,
                                const std::vector<array>& cotangents,
                                const std::vector<int>& argnums, const std::vector<array>&) {
  auto& x = primals[0];
  auto& w = primals[1];
  auto vjps = array::make_arrays({x.shape(), w.shape()}, {x.dtype(), w.dtype()},
                                 std::make_shared<RMSNormVJP>(stream(), eps()),
                                 {x, w, astype(cotangents[0], x.dtype(), stream())});
  return select(vjps, argnums);
}

// With r = rsqrt(mean(x^2) + eps): dx = r g w - x r^3 mean(g w x), dw = sum(g x r).
std::vector<array> RMSNormVJP::fallback(const std::vector<array>& inputs) {
  auto s = stream();
  Dtype t = inputs[0].dtype(), wt = work_dtype(t);
  auto x = astype(inputs[0], wt, s);
  auto w = astype(inputs[1], wt, s);
  auto g = astype(inputs[2], wt, s);
  auto r = rsqrt(add(mean(square(x, s), -1, true, s), array(eps(), wt), s), s);
  auto gw = multiply(g, w, s);
  auto m = mean(multiply(gw, x, s), -1, true, s);
  auto dx =
      subtract(multiply(gw, r, s), multiply(x, multiply(m, power(r, array(3, wt), s), s), s), s);
  auto dw = inputs[1].ndim() == 0
                ? zeros_like(inputs[1], s)
                : sum(multiply(g, multiply(x, r, s), s), leading_axes(x), false, s);
  return {astype(dx, t, s), astype(dw, inputs[1].dtype(), s)};
}

// ---- layer_norm ----

array layer_norm(const array& x, const std::optional<array>& weight,
                 const std::optional<array>& bias, float eps, StreamOrDevice s_) {
  check_norm_input("layer_norm", x);
  check_norm_param("layer_norm", "weight", x, weight);
  check_norm_param("layer_norm", "bias", x, bias);
  Dtype out_type = x.dtype();
  if (weight) {
    out_type = promote_types(out_type, weight->dtype());
  }
  if (bias) {
    out_type = promote_types(out_type, bias->dtype());
  }
  check_floating("layer_norm", out_type);
  auto s = to_stream(s_);
  array w = weight ? astype(*weight, out_type, s) : array(1, out_type);
  array b = bias ? astype(*bias, out_type, s) : array(0, out_type);
  return array(x.shape(), out_type, std::make_shared<LayerNorm>(s, eps),
               {astype(x, out_type, s), w, b});
}

std::vector<array> LayerNorm::fallback(const std::vector<array>& inputs) {
  auto s = stream();
  Dtype t = inputs[0].dtype(), wt = work_dtype(t);
  auto x = astype(inputs[0], wt, s);
  auto xc = subtract(x, mean(x, -1, true, s), s);
  auto r = rsqrt(add(mean(square(xc, s), -1, true, s), array(eps(), wt), s), s);
  auto y =
      add(multiply(multiply(xc, r, s), astype(inputs[1], wt, s), s), astype(inputs[2], wt, s), s);
  return {astype(y, t, s)};
}

std::vector<array> LayerNorm::vjp(const std::vector<array>& primals,
                                  const std::vector<array>& cotangents,
                                  const std::vector<int>& argnums, const std::vector<array>&) {
  auto& x = primals[0];
  auto& w = primals[1];
  auto& b = primals[2];
  auto vjps =
      array::make_arrays({x.shape(), w.shape(), b.shape()}, {x.dtype(), w.dtype(), b.dtype()},
                         std::make_shared<LayerNormVJP>(stream(), eps()),
                         {x, w, b, astype(cotangents[0], x.dtype(), stream())});
  return select(vjps, argnums);
}

// With h = (x - mean) r the normalised input: dx = r (g w - mean(g w) - h mean(g w h)),
// dw = sum(g h), db = sum(g).
std::vector<array> LayerNormVJP::fallback(const std::vector<array>& inputs) {
  auto s = stream();
  Dtype t = inputs[0].dtype(), wt = work_dtype(t);
  auto x = astype(inputs[0], wt, s);
  auto w = astype(inputs[1], wt, s);
  auto g = astype(inputs[3], wt, s);
  auto xc = subtract(x, mean(x, -1, true, s), s);
  auto r = rsqrt(add(mean(square(xc, s), -1, true, s), array(eps(), wt), s), s);
  auto h = multiply(xc, r, s);
  auto gw = multiply(g, w, s);
  auto dx = multiply(r,
                     subtract(subtract(gw, mean(gw, -1, true, s), s),
                              multiply(h, mean(multiply(gw, h, s), -1, true, s), s), s),
                     s);
  auto axes = leading_axes(x);
  auto dw = inputs[1].ndim() == 0
                ? zeros_like(inputs[1], s)
                : astype(sum(multiply(g, h, s), axes, false, s), inputs[1].dtype(), s);
  auto db = inputs[2].ndim() == 0 ? zeros_like(inputs[2], s)
                                  : astype(sum(g, axes, false, s), inputs[2].dtype(), s);
  return {astype(dx, t, s), dw, db};
}

// ---- rope ----

namespace {

array rope_node(std::vector<array> inputs, int dims, bool traditional, float base, float scale,
                bool forward, Stream s) {
  auto& x = inputs[0];
  auto& offset = inputs[1];
  if (x.ndim() < 3) {
    std::ostringstream msg;
    msg << "[rope] Input must have at least 3 dimensions but got input with " << x.ndim()
        << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  if (!issubdtype(x.dtype(), floating)) {
    std::ostringstream msg;
    msg << "[rope] Input must be a floating type but got " << x.dtype() << ".";
    throw std::invalid_argument(msg.str());
  }
  if (offset.ndim() > 1) {
    std::ostringstream msg;
    msg << "[rope] offset must have at most one dimension but has shape " << offset.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  if (offset.size() != 1 && offset.size() != static_cast<size_t>(x.shape(0))) {
    std::ostringstream msg;
    msg << "[rope] offset must be a scalar or vector with " << x.shape(0)
        << " elements but has shape " << offset.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  if (!issubdtype(offset.dtype(), integer)) {
    std::ostringstream msg;
    msg << "[rope] offset must be an integer but got type " << offset.dtype() << ".";
    throw std::invalid_argument(msg.str());
  }
  if (dims <= 0 || dims % 2 != 0) {
    std::ostringstream msg;
    msg << "[rope] dims must be positive and even but got " << dims << ".";
    throw std::invalid_argument(msg.str());
  }
  if (dims > x.shape(-1)) {
    std::ostringstream msg;
    msg << "[rope] dims must not exceed the input's last dimension (" << x.shape(-1) << ") but got "
        << dims << ".";
    throw std::invalid_argument(msg.str());
  }
  if (inputs.size() == 3 && (inputs[2].ndim() != 1 || inputs[2].shape(0) != dims / 2)) {
    std::ostringstream msg;
    msg << "[rope] freqs must be one dimensional with size " << dims / 2 << " but got shape "
        << inputs[2].shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  offset = astype(offset, int32, s);
  if (inputs.size() == 3) {
    inputs[2] = astype(inputs[2], float32, s);
  }
  Shape shape = x.shape();
  Dtype t = x.dtype();
  return array(std::move(shape), t,
               std::make_shared<RoPE>(s, dims, traditional, base, scale, forward),
               std::move(inputs));
}

}  // namespace

array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           const array& offset, const std::optional<array>& freqs, StreamOrDevice s) {
  if (freqs && base) {
    throw std::invalid_argument("[rope] Only one of base or freqs can have a value.");
  }
  if (!freqs && !base) {
    throw std::invalid_argument("[rope] Neither base nor freqs has a value.");
  }
  std::vector<array> inputs{x, offset};
  if (freqs) {
    inputs.push_back(*freqs);
  }
  return rope_node(std::move(inputs), dims, traditional, base.value_or(1.0f), scale, true,
                   to_stream(s));
}

array rope(const array& x, int dims, bool traditional, std::optional<float> base, float scale,
           int offset, const std::optional<array>& freqs, StreamOrDevice s) {
  return rope(x, dims, traditional, base, scale, array(offset, int32), freqs, s);
}

// The rotation written with ops on x viewed as (B, N, T, D); positions and angles in float32.
std::vector<array> RoPE::fallback(const std::vector<array>& inputs) {
  auto s = stream();
  const int d = dims(), half = d / 2;
  auto x = inputs[0];
  Shape shape = x.shape();
  x = x.ndim() == 3 ? expand_dims(x, 1, s) : flatten(x, 1, static_cast<int>(x.ndim()) - 3, s);
  const int B = x.shape(0), N = x.shape(1), T = x.shape(2);
  auto offset = inputs[1];
  offset = offset.size() > 1 ? reshape(offset, {B, 1, 1}, s) : reshape(offset, {}, s);
  auto positions =
      multiply(add(arange(T, float32, s), astype(offset, float32, s), s), array(scale()), s);
  auto inv_freqs =
      inputs.size() == 3
          ? reciprocal(inputs[2], s)
          : exp(multiply(arange(0, -half, -1, float32, s), array(std::log(base()) / half), s), s);
  auto theta = multiply(expand_dims(positions, -1, s), inv_freqs, s);
  auto c = astype(cos(theta, s), x.dtype(), s);
  auto sn = astype(sin(theta, s), x.dtype(), s);
  if (!forward()) {
    sn = negative(sn, s);
  }
  array x1 = x, x2 = x;
  if (traditional()) {
    x1 = slice(x, {0, 0, 0, 0}, {B, N, T, d}, {1, 1, 1, 2}, s);
    x2 = slice(x, {0, 0, 0, 1}, {B, N, T, d}, {1, 1, 1, 2}, s);
  } else {
    x1 = slice(x, {0, 0, 0, 0}, {B, N, T, half}, s);
    x2 = slice(x, {0, 0, 0, half}, {B, N, T, d}, s);
  }
  auto y1 = subtract(multiply(x1, c, s), multiply(x2, sn, s), s);
  auto y2 = add(multiply(x1, sn, s), multiply(x2, c, s), s);
  array y = traditional() ? reshape(stack({y1, y2}, -1, s), {B, N, T, d}, s)
                          : concatenate({y1, y2}, -1, s);
  if (d < x.shape(-1)) {
    y = concatenate({y, slice(x, {0, 0, 0, d}, x.shape(), s)}, -1, s);
  }
  return {reshape(y, shape, s)};
}

// The rotation is linear in x and orthogonal: its vjp rotates back, its jvp rotates the tangent.
std::vector<array> RoPE::vjp(const std::vector<array>& primals,
                             const std::vector<array>& cotangents, const std::vector<int>& argnums,
                             const std::vector<array>&) {
  if (argnums.size() != 1 || argnums[0] != 0) {
    throw std::invalid_argument("[rope] The vjp for offset or freqs is not supported.");
  }
  std::vector<array> inputs = primals;
  inputs[0] = cotangents[0];
  auto shape = cotangents[0].shape();
  return {
      array(std::move(shape), cotangents[0].dtype(),
            std::make_shared<RoPE>(stream(), dims(), traditional(), base(), scale(), !forward()),
            std::move(inputs))};
}

std::vector<array> RoPE::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                             const std::vector<int>& argnums) {
  if (argnums.size() != 1 || argnums[0] != 0) {
    throw std::invalid_argument("[rope] The jvp for offset or freqs is not supported.");
  }
  std::vector<array> inputs = primals;
  inputs[0] = tangents[0];
  auto shape = tangents[0].shape();
  return {array(std::move(shape), tangents[0].dtype(),
                std::make_shared<RoPE>(stream(), dims(), traditional(), base(), scale(), forward()),
                std::move(inputs))};
}

// With one offset for every batch entry and shared freqs, the batch axis can go anywhere but the
// last two: it goes second, a head-like axis that keeps axis 0 for per-batch offsets.
std::pair<std::vector<array>, std::vector<int>> RoPE::vmap(const std::vector<array>& inputs,
                                                           const std::vector<int>& axes) {
  for (size_t i = 1; i < axes.size(); ++i) {
    if (axes[i] >= 0) {
      return Custom::vmap(inputs, axes);
    }
  }
  std::vector<array> in = inputs;
  in[0] = move_batch_axis(inputs[0], axes[0], 1, stream());
  auto shape = in[0].shape();
  auto t = in[0].dtype();
  return {
      {array(std::move(shape), t,
             std::make_shared<RoPE>(stream(), dims(), traditional(), base(), scale(), forward()),
             std::move(in))},
      {1}};
}

// ---- scaled_dot_product_attention ----

array scaled_dot_product_attention(const array& queries, const array& keys, const array& values,
                                   const float scale, const std::string& mask_mode,
                                   std::optional<array> mask_arr, const std::optional<array>& sinks,
                                   bool /* force_fused */, StreamOrDevice s_) {
  constexpr const char* kOp = "[scaled_dot_product_attention]";
  for (const auto& t : {queries, keys, values}) {
    if (t.ndim() != 4) {
      std::ostringstream msg;
      msg << kOp << " input with shape " << t.shape() << " expected to be rank 4.";
      throw std::invalid_argument(msg.str());
    }
  }
  if (mask_mode != "" && mask_mode != "causal" && mask_mode != "array") {
    std::ostringstream msg;
    msg << kOp << " Invalid mask_mode " << mask_mode
        << ". mask_mode must be 'causal', 'array' or ''.";
    throw std::invalid_argument(msg.str());
  }
  const bool causal = mask_mode == "causal";
  if (causal && mask_arr) {
    std::ostringstream msg;
    msg << kOp << " Invalid mask_arr for mask_mode 'causal'. No array mask should be passed.";
    throw std::invalid_argument(msg.str());
  }
  if (mask_mode == "array" && !mask_arr) {
    std::ostringstream msg;
    msg << kOp << " mask_mode 'array' needs a mask_arr.";
    throw std::invalid_argument(msg.str());
  }
  if (mask_arr && mask_arr->ndim() > 4) {
    std::ostringstream msg;
    msg << kOp << " the mask with shape " << mask_arr->shape()
        << " expected to have at most rank 4.";
    throw std::invalid_argument(msg.str());
  }
  for (const auto& t : {keys, values}) {
    if (t.shape(0) != queries.shape(0)) {
      std::ostringstream msg;
      msg << kOp << " mismatching batch dimension for input with shape " << t.shape() << ".";
      throw std::invalid_argument(msg.str());
    }
  }
  if (queries.shape(-1) != keys.shape(-1)) {
    std::ostringstream msg;
    msg << kOp << " query, keys expected to have matching last dimension; found query shape "
        << queries.shape() << " for keys shape " << keys.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  if (keys.shape(-2) != values.shape(-2)) {
    std::ostringstream msg;
    msg << kOp << " keys, values expected to have the same sequence length; found keys shape "
        << keys.shape() << " for values shape " << values.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  const int n_q_heads = queries.shape(1), n_kv_heads = keys.shape(1);
  if (values.shape(1) != n_kv_heads) {
    std::ostringstream msg;
    msg << kOp << " keys, values expected to have matching n_kv_heads; found keys with n_heads "
        << n_kv_heads << " for values with n_heads " << values.shape(1) << ".";
    throw std::invalid_argument(msg.str());
  }
  if (n_kv_heads == 0 || n_q_heads % n_kv_heads != 0) {
    std::ostringstream msg;
    msg << kOp << " n_heads must be a multiple of n_kv_heads, found n_heads " << n_q_heads
        << " for n_kv_heads " << n_kv_heads << ".";
    throw std::invalid_argument(msg.str());
  }
  Dtype t = result_type(queries, keys, values);
  check_floating("scaled_dot_product_attention", t);
  auto s = to_stream(s_);
  std::vector<array> inputs{astype(queries, t, s), astype(keys, t, s), astype(values, t, s)};
  if (mask_arr) {
    if (promote_types(mask_arr->dtype(), t) != t) {
      std::ostringstream msg;
      msg << kOp << " Mask type must promote to output type " << t << " but got "
          << mask_arr->dtype() << ".";
      throw std::invalid_argument(msg.str());
    }
    Shape mask_shape = queries.shape();
    mask_shape.back() = keys.shape(-2);
    auto m = mask_arr->dtype() == bool_ ? *mask_arr : astype(*mask_arr, t, s);
    inputs.push_back(broadcast_to(m, mask_shape, s));
  }
  if (sinks) {
    if (promote_types(sinks->dtype(), t) != t) {
      std::ostringstream msg;
      msg << kOp << " Type of sinks must promote to output type " << t << " but got "
          << sinks->dtype() << ".";
      throw std::invalid_argument(msg.str());
    }
    if (sinks->ndim() != 1 || sinks->shape(0) != n_q_heads) {
      std::ostringstream msg;
      msg << kOp << " Received invalid shape for sinks " << sinks->shape() << " (expected ("
          << n_q_heads << ")).";
      throw std::invalid_argument(msg.str());
    }
    inputs.push_back(astype(*sinks, t, s));
  }
  const bool output_lse = detail::InTracing::in_grad_tracing();
  Shape out_shape{queries.shape(0), n_q_heads, queries.shape(2), values.shape(3)};
  auto p =
      std::make_shared<ScaledDotProductAttention>(s, scale, causal, sinks.has_value(), output_lse);
  if (output_lse) {
    Shape lse_shape{queries.shape(0), n_q_heads, queries.shape(2), 1};
    return array::make_arrays({out_shape, lse_shape}, {t, work_dtype(t)}, p, std::move(inputs))[0];
  }
  return array(std::move(out_shape), t, p, std::move(inputs));
}

// The composition: scores = scale q k^T (keys shared by groups of query heads), masked (a
// bool or causal mask puts the lowest finite value where it is false, so a fully masked row
// averages the values), the sinks as one more logit per head, softmax in float32, times v.
std::vector<array> ScaledDotProductAttention::fallback(const std::vector<array>& inputs) {
  auto s = stream();
  auto q = inputs[0], k = inputs[1], v = inputs[2];
  Dtype t = q.dtype();
  const int B = q.shape(0), Hq = q.shape(1), L = q.shape(2), Hk = k.shape(1), S = k.shape(2);
  const int rep = Hq / Hk;
  const bool has_mask = inputs.size() > 3 + (has_sinks() ? 1 : 0);
  q = multiply(array(scale(), t), q, s);
  q = reshape(q, {B, Hk, rep, L, q.shape(3)}, s);
  k = expand_dims(k, 2, s);
  v = expand_dims(v, 2, s);
  auto scores = matmul(q, swapaxes(k, -1, -2, s), s);
  std::optional<array> mask;
  if (causal()) {
    auto qi = expand_dims(arange(S - L, S, s), 1, s);
    auto ki = expand_dims(arange(0, S, s), 0, s);
    mask = greater_equal(qi, ki, s);
  } else if (has_mask) {
    mask = reshape(inputs[3], {B, Hk, rep, L, S}, s);
  }
  if (mask) {
    scores = mask->dtype() == bool_ ? where(*mask, scores, array(finfo(t).min, t), s)
                                    : add(scores, *mask, s);
  }
  if (has_sinks()) {
    auto sk = reshape(inputs.back(), {1, Hk, rep, 1, 1}, s);
    Shape shape = scores.shape();
    shape.back() = 1;
    scores = concatenate({broadcast_to(sk, shape, s), scores}, -1, s);
  }
  auto p = softmax(scores, -1, true, s);
  if (has_sinks()) {
    Shape start(5, 0);
    start.back() = 1;
    p = slice(p, start, p.shape(), s);
  }
  auto out = reshape(matmul(p, v, s), {B, Hq, L, inputs[2].shape(3)}, s);
  if (!output_logsumexp()) {
    return {out};
  }
  auto lse = logsumexp(astype(scores, work_dtype(t), s), -1, true, s);
  return {out, reshape(lse, {B, Hq, L, 1}, s)};
}

std::vector<array> ScaledDotProductAttention::vjp(const std::vector<array>& primals,
                                                  const std::vector<array>& cotangents,
                                                  const std::vector<int>& argnums,
                                                  const std::vector<array>& outputs) {
  bool fused = output_logsumexp();
  for (int a : argnums) {
    fused = fused && a < 3;
  }
  if (!fused) {
    return Custom::vjp(primals, cotangents, argnums, outputs);
  }
  std::vector<array> inputs = primals;
  inputs.push_back(outputs[0]);
  inputs.push_back(outputs[1]);
  inputs.push_back(cotangents[0]);
  auto vjps = array::make_arrays(
      {primals[0].shape(), primals[1].shape(), primals[2].shape()},
      {primals[0].dtype(), primals[1].dtype(), primals[2].dtype()},
      std::make_shared<ScaledDotProductAttentionVJP>(stream(), scale(), causal(), has_sinks()),
      std::move(inputs));
  return select(vjps, argnums);
}

// The forward composition's vjp for q, k and v.
std::vector<array> ScaledDotProductAttentionVJP::fallback(const std::vector<array>& inputs) {
  std::vector<array> primals(inputs.begin(), inputs.end() - 3);
  auto forward =
      std::make_shared<ScaledDotProductAttention>(stream(), scale(), causal(), has_sinks(), false);
  auto f = [forward](const std::vector<array>& in) { return forward->fallback(in); };
  auto vjps = mlx::core::vjp(f, primals, {inputs.back()}).second;
  return {vjps[0], vjps[1], vjps[2]};
}

// ---- custom kernels ----

CustomKernelFunction metal_kernel(const std::string&, const std::vector<std::string>&,
                                  const std::vector<std::string>&, const std::string&,
                                  const std::string&, bool, bool) {
  throw std::invalid_argument("[metal_kernel] Metal kernels are only available on Apple silicon.");
}

CustomKernelFunction cuda_kernel(const std::string&, const std::vector<std::string>&,
                                 const std::vector<std::string>&, const std::string&,
                                 const std::string&, bool, int) {
  throw std::invalid_argument(
      "[cuda_kernel] CUDA kernels need the CUDA backend and this build has no CUDA backend.");
}

std::vector<array> precompiled_cuda_kernel(const std::string&, const std::string&,
                                           const std::vector<array>&, const std::vector<Shape>&,
                                           const std::vector<Dtype>&, const std::vector<ScalarArg>&,
                                           std::tuple<int, int, int>, std::tuple<int, int, int>,
                                           int, std::optional<float>, bool, StreamOrDevice) {
  throw std::invalid_argument(
      "[precompiled_cuda_kernel] CUDA kernels need the CUDA backend and this build has no CUDA "
      "backend.");
}

}  // namespace mlx::core::fast
