// Creation and conversion: arange, linspace, full/zeros/ones (and *_like), eye, tri, the window
// functions, astype, copy.
#include <cmath>
#include <limits>
#include <numbers>
#include <sstream>
#include <vector>

#include "ops/ops.h"

namespace mlx::core {

namespace {

void check_matrix(int n, int m, const char* op) {
  if (n < 0 || m < 0) {
    std::ostringstream msg;
    msg << "[" << op << "] N and M must be non-negative, got N = " << n << " and M = " << m << ".";
    throw std::invalid_argument(msg.str());
  }
}

}  // namespace

namespace detail {
void check_shape(const Shape& shape, const char* op) {
  for (auto d : shape) {
    if (d < 0) {
      std::ostringstream msg;
      msg << "[" << op << "] Negative dimensions are not allowed, got shape " << shape << ".";
      throw std::invalid_argument(msg.str());
    }
  }
}
}  // namespace detail

array arange(double start, double stop, double step, Dtype dtype, StreamOrDevice s) {
  if (dtype == bool_) {
    throw std::invalid_argument("[arange] Cannot use dtype bool.");
  }
  if (step == 0 || std::isnan(start) || std::isnan(stop) || std::isnan(step) || std::isinf(start) ||
      std::isinf(stop)) {
    std::ostringstream msg;
    msg << "[arange] Cannot compute the length of arange(" << start << ", " << stop << ", " << step
        << ").";
    throw std::invalid_argument(msg.str());
  }
  double ratio = (stop - start) / step;
  double real_size = std::ceil(ratio);
  // As in NumPy: a step so large that the ratio underflows to +0 (an infinite step, say) still
  // gives the start when it points toward stop.
  if (ratio == 0 && stop != start && !std::signbit(ratio)) {
    real_size = 1;
  }
  if (real_size > std::numeric_limits<int32_t>::max()) {
    std::ostringstream msg;
    msg << "[arange] arange(" << start << ", " << stop << ", " << step << ") has " << real_size
        << " elements, more than the maximum of " << std::numeric_limits<int32_t>::max() << ".";
    throw std::invalid_argument(msg.str());
  }
  // Casting a huge negative size to int would be undefined.
  int size = real_size > 0 ? static_cast<int>(real_size) : 0;
  return array({size}, dtype, std::make_shared<Arange>(to_stream(s), start, stop, step), {});
}
array arange(double start, double stop, double step, StreamOrDevice s) {
  return arange(start, stop, step, float32, s);
}
array arange(double start, double stop, Dtype dtype, StreamOrDevice s) {
  return arange(start, stop, 1.0, dtype, s);
}
array arange(double start, double stop, StreamOrDevice s) {
  return arange(start, stop, 1.0, float32, s);
}
array arange(double stop, Dtype dtype, StreamOrDevice s) {
  return arange(0.0, stop, 1.0, dtype, s);
}
array arange(double stop, StreamOrDevice s) { return arange(0.0, stop, 1.0, float32, s); }
array arange(int start, int stop, int step, StreamOrDevice s) {
  return arange(static_cast<double>(start), static_cast<double>(stop), static_cast<double>(step),
                int32, s);
}
array arange(int start, int stop, StreamOrDevice s) { return arange(start, stop, 1, s); }
array arange(int stop, StreamOrDevice s) { return arange(0, stop, 1, s); }

// Any dtype: values are computed in double and converted as astype converts, so integers
// truncate toward zero (NumPy 2 floors them) and bool means nonzero (as NumPy's dtype=bool).
array linspace(double start, double stop, int num, bool endpoint, Dtype dtype, StreamOrDevice s) {
  if (num < 0) {
    std::ostringstream msg;
    msg << "[linspace] The number of samples, " << num << ", must be non-negative.";
    throw std::invalid_argument(msg.str());
  }
  return array({num}, dtype, std::make_shared<Linspace>(to_stream(s), start, stop, endpoint), {});
}

array astype(array a, Dtype dtype, StreamOrDevice s) {
  if (a.dtype() == dtype) {
    return a;
  }
  auto shape = a.shape();
  return array(std::move(shape), dtype, std::make_shared<AsType>(to_stream(s), dtype),
               {std::move(a)});
}

array copy(array a, StreamOrDevice s) {
  auto shape = a.shape();
  auto dtype = a.dtype();
  return array(std::move(shape), dtype, std::make_shared<Copy>(to_stream(s)), {std::move(a)});
}

array full(Shape shape, array vals, Dtype dtype, StreamOrDevice s) {
  detail::check_shape(shape, "full");
  auto stream = to_stream(s);
  auto in = broadcast_to(astype(std::move(vals), dtype, stream), shape, stream);
  return array(std::move(shape), dtype, std::make_shared<Full>(stream), {std::move(in)});
}

array full(Shape shape, array vals, StreamOrDevice s) {
  auto dtype = vals.dtype();
  return full(std::move(shape), std::move(vals), dtype, s);
}

array zeros(const Shape& shape, Dtype dtype, StreamOrDevice s) {
  return full(shape, array(false, dtype), dtype, s);
}

array zeros_like(const array& a, StreamOrDevice s) { return zeros(a.shape(), a.dtype(), s); }

array zeros_like(const array& a, Dtype dtype, StreamOrDevice s) {
  return zeros(a.shape(), dtype, s);
}

array ones(const Shape& shape, Dtype dtype, StreamOrDevice s) {
  return full(shape, array(true, dtype), dtype, s);
}

array ones_like(const array& a, StreamOrDevice s) { return ones(a.shape(), a.dtype(), s); }

array ones_like(const array& a, Dtype dtype, StreamOrDevice s) { return ones(a.shape(), dtype, s); }

array full_like(const array& a, array vals, Dtype dtype, StreamOrDevice s) {
  return full(a.shape(), std::move(vals), dtype, s);
}

array full_like(const array& a, array vals, StreamOrDevice s) {
  return full(a.shape(), std::move(vals), a.dtype(), s);
}

// Empty matrices are allowed, as in NumPy (MLX rejects n or m of zero).
array eye(int n, int m, int k, Dtype dtype, StreamOrDevice s) {
  check_matrix(n, m, "eye");
  return array({n, m}, dtype, std::make_shared<Eye>(to_stream(s), k), {});
}

array tri(int n, int m, int k, Dtype type, StreamOrDevice s) {
  check_matrix(n, m, "tri");
  return array({n, m}, type, std::make_shared<Tri>(to_stream(s), k), {});
}

namespace {

// NumPy's window definitions, evaluated in double and rounded once to float32; w gets the
// position x = n / (M - 1) in [0, 1].
template <typename F>
array window(int M, F w) {
  if (M < 1) {
    return array({}, float32);
  }
  std::vector<float> v(M);
  for (int n = 0; n < M; ++n) {
    v[n] = M == 1 ? 1.0f : static_cast<float>(w(static_cast<double>(n) / (M - 1)));
  }
  return array(v.begin(), {M}, float32);
}

constexpr double kTwoPi = 2 * std::numbers::pi;

}  // namespace

array hanning(int M, StreamOrDevice) {
  return window(M, [](double x) { return 0.5 - 0.5 * std::cos(kTwoPi * x); });
}

array hamming(int M, StreamOrDevice) {
  return window(M, [](double x) { return 0.54 - 0.46 * std::cos(kTwoPi * x); });
}

array bartlett(int M, StreamOrDevice) {
  return window(M, [](double x) { return 1.0 - std::abs(2.0 * x - 1.0); });
}

array blackman(int M, StreamOrDevice) {
  return window(M, [](double x) {
    return 0.42 - 0.5 * std::cos(kTwoPi * x) + 0.08 * std::cos(2 * kTwoPi * x);
  });
}

// ---- derivative and batching rules ----

std::vector<array> AsType::vjp(const std::vector<array>& primals,
                               const std::vector<array>& cotangents, const std::vector<int>&,
                               const std::vector<array>&) {
  return {astype(cotangents[0], primals[0].dtype(), stream())};
}
std::vector<array> AsType::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                               const std::vector<int>&) {
  return {astype(tangents[0], std::get<0>(state_), stream())};
}
std::pair<std::vector<array>, std::vector<int>> AsType::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes) {
  return {{astype(inputs[0], std::get<0>(state_), stream())}, axes};
}

std::vector<array> Copy::vjp(const std::vector<array>&, const std::vector<array>& cotangents,
                             const std::vector<int>&, const std::vector<array>&) {
  return {cotangents[0]};
}
std::vector<array> Copy::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                             const std::vector<int>&) {
  return {tangents[0]};
}
std::pair<std::vector<array>, std::vector<int>> Copy::vmap(const std::vector<array>& inputs,
                                                           const std::vector<int>& axes) {
  return {{copy(inputs[0], stream())}, axes};
}

// Full's input is already broadcast to the output's shape: the identity, materialised.
std::vector<array> Full::vjp(const std::vector<array>&, const std::vector<array>& cotangents,
                             const std::vector<int>&, const std::vector<array>&) {
  return {cotangents[0]};
}
std::vector<array> Full::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                             const std::vector<int>&) {
  return {tangents[0]};
}
std::pair<std::vector<array>, std::vector<int>> Full::vmap(const std::vector<array>& inputs,
                                                           const std::vector<int>& axes) {
  auto& in = inputs[0];
  return {{array(in.shape(), in.dtype(), std::make_shared<Full>(stream()), {in})}, axes};
}

}  // namespace mlx::core
