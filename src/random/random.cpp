// Random numbers: keys, the default key sequence, bits and split (RandomBits), and the
// distributions, built from ops on bits exactly as MLX builds them so that a key gives the
// same numbers.
#include "mlx/random.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

Dtype bits_dtype(int width) {
  switch (width) {
    case 1:
      return uint8;
    case 2:
      return uint16;
    case 4:
      return uint32;
    default: {
      std::ostringstream msg;
      msg << "[bits] Bit width must be in {1, 2, 4} but got " << width << ".";
      throw std::invalid_argument(msg.str());
    }
  }
}

// Whether an array of shape `from` broadcasts to exactly `to`.
bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) {
    return false;
  }
  size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i) {
    if (from[i] != 1 && from[i] != to[lead + i]) {
      return false;
    }
  }
  return true;
}

uint64_t clock_seed() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

}  // namespace

namespace random {

KeySequence::KeySequence(uint64_t seed) : key_(key(seed)) {}

void KeySequence::seed(uint64_t seed) { key_ = key(seed); }

array KeySequence::next() {
  auto [current, out] = random::split(key_);
  key_ = current;
  return out;
}

KeySequence& KeySequence::default_() {
  static thread_local KeySequence sequence(clock_seed());
  return sequence;
}

array key(uint64_t seed) {
  return array({static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(seed)});
}

void seed(uint64_t seed) { KeySequence::default_().seed(seed); }

array bits(const Shape& shape, int width, const std::optional<array>& key_, StreamOrDevice s) {
  auto dtype = bits_dtype(width);
  detail::check_shape(shape, "bits");
  if (key_) {
    if (key_->dtype() != uint32) {
      std::ostringstream msg;
      msg << "[bits] Expected key type uint32 but received " << key_->dtype() << ".";
      throw std::invalid_argument(msg.str());
    }
    if (key_->shape() != Shape{2}) {
      std::ostringstream msg;
      msg << "[bits] Expected key shape (2) but received " << key_->shape() << ".";
      throw std::invalid_argument(msg.str());
    }
  }
  auto key = key_ ? *key_ : KeySequence::default_().next();
  return array(shape, dtype, std::make_shared<RandomBits>(to_stream(s), shape, width), {key});
}

std::pair<array, array> split(const array& key, StreamOrDevice s) {
  auto stream = to_stream(s);
  auto keys = random::split(key, 2, stream);
  return {reshape(slice(keys, {0, 0}, {1, 2}, stream), {2}, stream),
          reshape(slice(keys, {1, 0}, {2, 2}, stream), {2}, stream)};
}

array split(const array& key, int num, StreamOrDevice s) { return bits({num, 2}, 4, key, s); }

}  // namespace random

// ---- distributions ----

namespace {

void check_floating(Dtype dtype, const char* op, const char* what) {
  if (!issubdtype(dtype, floating)) {
    std::ostringstream msg;
    msg << "[" << op << "] Can only generate " << what
        << " numbers with a real floating point type, got " << dtype << ".";
    throw std::invalid_argument(msg.str());
  }
}

// The gap between 1 and the next value below it: in float16 and bfloat16 their own, in every
// other floating dtype float32's (float64 too, as in MLX).
float gap_below_one(Dtype dtype) {
  if (dtype == float16) {
    return 0x1p-11f;
  }
  if (dtype == bfloat16) {
    return 0x1p-8f;
  }
  return 0x1p-24f;
}

array below_one(Dtype dtype) { return array(1.0f - gap_below_one(dtype), dtype); }
array above_minus_one(Dtype dtype) { return array(gap_below_one(dtype) - 1.0f, dtype); }

int normalize_axis(int axis, const array& logits) {
  int nd = static_cast<int>(logits.ndim());
  if (axis < -nd || axis >= nd) {
    std::ostringstream msg;
    msg << "[categorical] Axis " << axis << " is out of bounds for logits with " << nd
        << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  return axis < 0 ? axis + nd : axis;
}

// Inverse CDF, which is what the vectors recorded from MLX 0.32 show (not Gumbel-max): one
// uniform draw per sample, of the output's shape, counted against the cumulative probabilities
// along `axis`. `cdf_view` shapes the (..., n) probabilities to broadcast with (out_shape..., n).
array sample_categorical(const array& logits, int axis, const Shape& out_shape,
                         const std::function<array(array)>& cdf_view,
                         const std::optional<array>& key, Stream s) {
  if (!issubdtype(logits.dtype(), floating)) {
    std::ostringstream msg;
    msg << "[categorical] The logits must have a real floating point type, got " << logits.dtype()
        << ".";
    throw std::invalid_argument(msg.str());
  }
  int n = logits.shape(axis);
  std::vector<int> order;
  for (int d = 0; d < static_cast<int>(logits.ndim()); ++d) {
    if (d != axis) {
      order.push_back(d);
    }
  }
  order.push_back(axis);
  auto probs = softmax(transpose(logits, order, s), std::vector<int>{-1}, true, s);
  auto cdf = cdf_view(astype(cumsum(probs, -1, false, true, s), float32, s));
  auto u = expand_dims(random::uniform(out_shape, float32, key, s), -1, s);
  auto below = sum(less_equal(cdf, u, s), -1, false, s);
  // Rounding can leave the last cumulative probability just under u.
  return astype(minimum(below, array(std::max(n - 1, 0), below.dtype()), s), uint32, s);
}

}  // namespace

namespace random {

// bits / (2^32 - 1) in float32, kept below 1 in the dtype, then scaled to [low, high).
array uniform(const array& low, const array& high, const Shape& shape, Dtype dtype,
              const std::optional<array>& key, StreamOrDevice s) {
  check_floating(dtype, "uniform", "uniform");
  detail::check_shape(shape, "uniform");
  auto stream = to_stream(s);
  auto lo = astype(low, dtype, stream);
  auto range = subtract(astype(high, dtype, stream), lo, stream);
  if (!broadcasts_to(range.shape(), shape)) {
    std::ostringstream msg;
    msg << "[uniform] Cannot generate random values of shape " << shape
        << " from bounds of broadcast shape " << range.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  auto u = divide(bits(shape, 4, key, stream), array(4294967295.0f), stream);
  u = minimum(astype(u, dtype, stream), below_one(dtype), stream);
  return add(multiply(range, u, stream), lo, stream);
}

array uniform(const Shape& shape, Dtype dtype, const std::optional<array>& key, StreamOrDevice s) {
  return uniform(array(0.0f, dtype), array(1.0f, dtype), shape, dtype, key, s);
}

array normal(const Shape& shape, Dtype dtype, const std::optional<array>& loc,
             const std::optional<array>& scale, const std::optional<array>& key, StreamOrDevice s) {
  check_floating(dtype, "normal", "normal");
  auto stream = to_stream(s);
  auto u = uniform(above_minus_one(dtype), array(1.0f, dtype), shape, dtype, key, stream);
  auto applied_scale = array(std::sqrt(2.0), dtype);
  if (scale) {
    applied_scale = multiply(applied_scale, astype(*scale, dtype, stream), stream);
  }
  auto out = multiply(applied_scale, erfinv(u, stream), stream);
  if (loc) {
    out = add(astype(*loc, dtype, stream), out, stream);
  }
  return out;
}

array multivariate_normal(const array& mean, const array& cov, const Shape& shape, Dtype dtype,
                          const std::optional<array>& key, StreamOrDevice s) {
  if (dtype != float32 && dtype != float64) {
    std::ostringstream msg;
    msg << "[multivariate_normal] dtype must be float32 or float64, got " << dtype << ".";
    throw std::invalid_argument(msg.str());
  }
  if (mean.ndim() < 1) {
    throw std::invalid_argument("[multivariate_normal] mean must have at least one dimension.");
  }
  if (cov.ndim() < 2) {
    throw std::invalid_argument("[multivariate_normal] cov must have at least two dimensions.");
  }
  if (cov.shape(-1) != cov.shape(-2)) {
    std::ostringstream msg;
    msg << "[multivariate_normal] last two dimensions of cov must be equal, got shape "
        << cov.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  int n = mean.shape(-1);
  if (n != cov.shape(-1)) {
    std::ostringstream msg;
    msg << "[multivariate_normal] mean and cov must have compatible shapes, got " << mean.shape()
        << " and " << cov.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  auto out_shape = broadcast_shapes(Shape(mean.shape().begin(), mean.shape().end() - 1),
                                    Shape(cov.shape().begin(), cov.shape().end() - 2));
  out_shape = broadcast_shapes(out_shape, shape);
  out_shape.push_back(n);
  auto stream = to_stream(s);
  // The symmetric square root U sqrt(S) Vt of the covariance (Vt = U^T for a symmetric
  // positive semi-definite one), so that z @ root has covariance root^T root = cov.
  auto usv = linalg::svd(astype(cov, dtype, stream), true, stream);
  auto root = matmul(multiply(usv[0], expand_dims(sqrt(usv[1], stream), -2, stream), stream),
                     usv[2], stream);
  auto z = normal(out_shape, dtype, std::nullopt, std::nullopt, key, stream);
  auto x = squeeze(matmul(expand_dims(z, -2, stream), root, stream), -2, stream);
  return add(astype(mean, dtype, stream), x, stream);
}

// floor(uniform) clamped to [low, high - 1] in float32, where it lands exactly on integers, then
// converted. Flooring (rather than truncating) keeps negative ranges uniform.
array randint(const array& low, const array& high, const Shape& shape, Dtype dtype,
              const std::optional<array>& key, StreamOrDevice s) {
  if (issubdtype(dtype, inexact)) {
    std::ostringstream msg;
    msg << "[randint] randint only accepts integer dtypes and bool, got " << dtype << ".";
    throw std::invalid_argument(msg.str());
  }
  auto stream = to_stream(s);
  auto u = floor(uniform(low, high, shape, float32, key, stream), stream);
  auto lo = astype(low, float32, stream);
  auto top = subtract(astype(high, float32, stream), array(1.0f), stream);
  return astype(maximum(minimum(u, top, stream), lo, stream), dtype, stream);
}

// bits < p * 2^32 (the float just above 2^32 - 1), so p >= 1 is always true, p <= 0 never.
array bernoulli(const array& p, const Shape& shape, const std::optional<array>& key,
                StreamOrDevice s) {
  if (!issubdtype(p.dtype(), floating)) {
    std::ostringstream msg;
    msg << "[bernoulli] The probability p must have a floating point type, got " << p.dtype()
        << ".";
    throw std::invalid_argument(msg.str());
  }
  detail::check_shape(shape, "bernoulli");
  if (!broadcasts_to(p.shape(), shape)) {
    std::ostringstream msg;
    msg << "[bernoulli] The shape of p, " << p.shape()
        << ", does not broadcast to the requested shape " << shape << ".";
    throw std::invalid_argument(msg.str());
  }
  auto stream = to_stream(s);
  auto upper = array(std::nextafter(4294967295.0f, std::numeric_limits<float>::max()));
  return less(bits(shape, 4, key, stream), multiply(p, upper, stream), stream);
}

array bernoulli(const array& p, const std::optional<array>& key, StreamOrDevice s) {
  return bernoulli(p, p.shape(), key, s);
}

array bernoulli(const std::optional<array>& key, StreamOrDevice s) {
  return bernoulli(array(0.5f), key, s);
}

// Inverse CDF between the CDF's values at the bounds, clipped into them against rounding.
array truncated_normal(const array& lower, const array& upper, const Shape& shape, Dtype dtype,
                       const std::optional<array>& key, StreamOrDevice s) {
  check_floating(dtype, "truncated_normal", "truncated normal");
  auto stream = to_stream(s);
  auto sqrt2 = array(std::sqrt(2.0), dtype);
  auto lo = astype(lower, dtype, stream);
  auto hi = astype(upper, dtype, stream);
  auto a = erf(divide(lo, sqrt2, stream), stream);
  auto b = erf(divide(hi, sqrt2, stream), stream);
  auto u = uniform(a, b, shape, dtype, key, stream);
  auto out = multiply(sqrt2, erfinv(u, stream), stream);
  return maximum(minimum(hi, out, stream), lo, stream);
}

array truncated_normal(const array& lower, const array& upper, Dtype dtype,
                       const std::optional<array>& key, StreamOrDevice s) {
  auto shape = broadcast_shapes(lower.shape(), upper.shape());
  return truncated_normal(lower, upper, shape, dtype, key, s);
}

array gumbel(const Shape& shape, Dtype dtype, const std::optional<array>& key, StreamOrDevice s) {
  check_floating(dtype, "gumbel", "Gumbel");
  auto stream = to_stream(s);
  auto u = uniform(shape, dtype, key, stream);
  return negative(log(negative(log(u, stream), stream), stream), stream);
}

array categorical(const array& logits, int axis, const Shape& shape,
                  const std::optional<array>& key, StreamOrDevice s) {
  axis = normalize_axis(axis, logits);
  detail::check_shape(shape, "categorical");
  auto batch = logits.shape();
  batch.erase(batch.begin() + axis);
  if (!broadcasts_to(batch, shape)) {
    std::ostringstream msg;
    msg << "[categorical] Requested shape " << shape << " does not broadcast with logits of shape "
        << logits.shape() << " without axis " << axis << ".";
    throw std::invalid_argument(msg.str());
  }
  return sample_categorical(
      logits, axis, shape, [](array cdf) { return cdf; }, key, to_stream(s));
}

// num_samples draws per distribution, along a new last axis.
array categorical(const array& logits, int axis, int num_samples, const std::optional<array>& key,
                  StreamOrDevice s) {
  axis = normalize_axis(axis, logits);
  if (num_samples < 0) {
    std::ostringstream msg;
    msg << "[categorical] The number of samples must be non-negative, got " << num_samples << ".";
    throw std::invalid_argument(msg.str());
  }
  auto stream = to_stream(s);
  auto shape = logits.shape();
  shape.erase(shape.begin() + axis);
  shape.push_back(num_samples);
  return sample_categorical(
      logits, axis, shape, [&](array cdf) { return expand_dims(cdf, -2, stream); }, key, stream);
}

array categorical(const array& logits, int axis, const std::optional<array>& key,
                  StreamOrDevice s) {
  axis = normalize_axis(axis, logits);
  auto shape = logits.shape();
  shape.erase(shape.begin() + axis);
  return sample_categorical(
      logits, axis, shape, [](array cdf) { return cdf; }, key, to_stream(s));
}

// Inverse CDF: sign(u) * log1p(-|u|) for u uniform in (-1, 1).
array laplace(const Shape& shape, Dtype dtype, float loc, float scale,
              const std::optional<array>& key, StreamOrDevice s) {
  check_floating(dtype, "laplace", "Laplace");
  auto stream = to_stream(s);
  auto u = uniform(above_minus_one(dtype), array(1.0f, dtype), shape, dtype, key, stream);
  auto out = multiply(sign(u, stream),
                      log1p(multiply(array(-1.0f, dtype), abs(u, stream), stream), stream), stream);
  if (scale != 1.0f) {
    out = multiply(array(scale, dtype), out, stream);
  }
  if (loc != 0.0f) {
    out = add(array(loc, dtype), out, stream);
  }
  return out;
}

// x[perm] along the axis: the same permutation for every line, through sort's AxisPermute
// (which also gives the gradient, the inverse permutation).
array permutation(const array& x, int axis, const std::optional<array>& key, StreamOrDevice s) {
  int nd = static_cast<int>(x.ndim());
  if (axis < -nd || axis >= nd) {
    std::ostringstream msg;
    msg << "[permutation] Axis " << axis << " is out of bounds for an array of shape " << x.shape()
        << ".";
    throw std::invalid_argument(msg.str());
  }
  axis = axis < 0 ? axis + nd : axis;
  auto stream = to_stream(s);
  Shape line(nd, 1);
  line[axis] = x.shape(axis);
  auto perm = reshape(permutation(x.shape(axis), key, stream), line, stream);
  auto idx = broadcast_to(perm, x.shape(), stream);
  return array(x.shape(), x.dtype(), std::make_shared<AxisPermute>(stream, axis, false), {x, idx});
}

// The order that sorts random bits.
array permutation(int x, const std::optional<array>& key, StreamOrDevice s) {
  if (x < 0) {
    std::ostringstream msg;
    msg << "[permutation] The number of elements must be non-negative, got " << x << ".";
    throw std::invalid_argument(msg.str());
  }
  auto stream = to_stream(s);
  return argsort(bits({x}, 4, key, stream), stream);
}

}  // namespace random

// ---- transform rules ----

// Keys are not differentiable: their cotangents and the output's tangents are zero.
std::vector<array> RandomBits::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                   const std::vector<int>& argnums, const std::vector<array>&) {
  return {zeros_like(primals[0], stream())};
}
std::vector<array> RandomBits::jvp(const std::vector<array>&, const std::vector<array>&,
                                   const std::vector<int>&) {
  auto& [shape, width] = state_;
  return {zeros(shape, bits_dtype(width), stream())};
}

// A batch of keys gives a batch of independent draws, as in MLX: the batch axis moves in front
// of the key pair and of the per-key shape.
std::pair<std::vector<array>, std::vector<int>> RandomBits::vmap(const std::vector<array>& inputs,
                                                                 const std::vector<int>& axes) {
  auto [shape, width] = state_;
  auto key = inputs[0];
  if (axes[0] >= 0) {
    key = move_batch_axis(key, axes[0], 0, stream());
    shape.insert(shape.begin(), key.shape(0));
  }
  auto out =
      array(shape, bits_dtype(width), std::make_shared<RandomBits>(stream(), shape, width), {key});
  return {{out}, {axes[0] >= 0 ? 0 : -1}};
}

}  // namespace mlx::core
