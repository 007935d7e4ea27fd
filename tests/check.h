// The shared check harness: one line per op checks its derivative rules against finite
// differences, its vmap rule against a loop, and its result dtypes against promote_types.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <sstream>
#include <vector>

#include "mlx/backend/common/utils.h"
#include "mlx/mlx.h"

namespace check {

using namespace mlx::core;
using Fn = std::function<std::vector<array>(const std::vector<array>&)>;

// The values of an array as doubles, in row-major order (any strides, any real dtype).
inline std::vector<double> values(const array& a) {
  auto x = astype(a, float64);
  eval(x);
  std::vector<double> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    out[i] = x.data<double>()[elem_to_loc(static_cast<int64_t>(i), x.shape(), x.strides())];
  }
  return out;
}

// Uniform values in [lo, hi) of the given shape, from a fixed seed.
inline array uniform(const Shape& shape, double lo = -1.0, double hi = 1.0, unsigned seed = 7,
                     Dtype dtype = float64) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  size_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<double> v(n);
  for (auto& x : v) x = dist(gen);
  return astype(array(v.data(), shape, float64), dtype);
}

inline double dot(const array& a, const array& b) {
  auto x = values(a), y = values(b);
  EXPECT_EQ(x.size(), y.size());
  double s = 0;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) s += x[i] * y[i];
  return s;
}

// Checks vjp and jvp of f at `inputs` (float64) against central finite differences along a
// random direction, for a random cotangent: <u, J v> three ways.
inline void grads(const Fn& f, const std::vector<array>& inputs, double eps = 1e-6,
                  double tol = 1e-6, unsigned seed = 11) {
  std::vector<array> dirs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    dirs.push_back(uniform(inputs[i].shape(), -1, 1, seed + static_cast<unsigned>(i)));
  }
  auto outs = f(inputs);
  std::vector<array> cots;
  for (size_t i = 0; i < outs.size(); ++i) {
    cots.push_back(uniform(outs[i].shape(), -1, 1, seed + 100 + static_cast<unsigned>(i)));
  }
  std::vector<array> plus, minus;
  for (size_t i = 0; i < inputs.size(); ++i) {
    plus.push_back(inputs[i] + dirs[i] * array(eps, float64));
    minus.push_back(inputs[i] - dirs[i] * array(eps, float64));
  }
  auto fp = f(plus), fm = f(minus);
  double fd = 0;
  for (size_t i = 0; i < outs.size(); ++i) {
    fd += (dot(cots[i], fp[i]) - dot(cots[i], fm[i])) / (2 * eps);
  }
  auto [vouts, vjps] = vjp(f, inputs, cots);
  double by_vjp = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_EQ(vjps[i].shape(), inputs[i].shape()) << "vjp " << i << " has the wrong shape";
    by_vjp += dot(vjps[i], dirs[i]);
  }
  auto [jouts, jvps] = jvp(f, inputs, dirs);
  double by_jvp = 0;
  for (size_t i = 0; i < outs.size(); ++i) {
    EXPECT_EQ(jvps[i].shape(), outs[i].shape()) << "jvp " << i << " has the wrong shape";
    by_jvp += dot(cots[i], jvps[i]);
  }
  double scale = std::max(1.0, std::abs(fd));
  EXPECT_NEAR(by_vjp, fd, tol * scale) << "vjp disagrees with finite differences";
  EXPECT_NEAR(by_jvp, fd, tol * scale) << "jvp disagrees with finite differences";
}

// The i-th slice of x along axis (the axis removed).
inline array take_slice(const array& x, int axis, int i) {
  Shape start(x.ndim(), 0), stop = x.shape();
  start[axis] = i;
  stop[axis] = i + 1;
  return squeeze(slice(x, start, stop), axis);
}

inline void expect_same(const array& a, const array& b, double tol = 1e-12) {
  ASSERT_EQ(a.shape(), b.shape());
  EXPECT_EQ(a.dtype(), b.dtype());
  auto x = values(a), y = values(b);
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) {
      EXPECT_TRUE(std::isnan(y[i])) << "at " << i;
    } else {
      EXPECT_NEAR(x[i], y[i], tol * std::max(1.0, std::abs(y[i]))) << "at " << i;
    }
  }
}

// Checks vmap(f, in_axes) against applying f to each slice and stacking the results along
// axis 0. Inputs with in_axis -1 are passed whole to every call. `tol` is relative.
inline void vmap_matches_loop(const Fn& f, const std::vector<array>& inputs,
                              const std::vector<int>& in_axes, double tol = 1e-12) {
  int batch = -1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (in_axes[i] >= 0) batch = inputs[i].shape(in_axes[i]);
  }
  ASSERT_GE(batch, 0);
  auto vouts = vmap(f, in_axes)(inputs);
  std::vector<std::vector<array>> per_output(vouts.size());
  for (int b = 0; b < batch; ++b) {
    std::vector<array> args;
    for (size_t i = 0; i < inputs.size(); ++i) {
      args.push_back(in_axes[i] >= 0 ? take_slice(inputs[i], in_axes[i], b) : inputs[i]);
    }
    auto outs = f(args);
    for (size_t k = 0; k < outs.size(); ++k) per_output[k].push_back(outs[k]);
  }
  for (size_t k = 0; k < vouts.size(); ++k) {
    expect_same(vouts[k], stack(per_output[k], 0), tol);
  }
}

// A batch of 3 distinct variants of x stacked along `axis`.
inline array batch_of(const array& x, int axis, double shift = 0.0) {
  auto dt = x.dtype();
  std::vector<array> variants{x, x * array(-0.5 + shift, dt), x + array(0.25 + shift, dt)};
  return stack(variants, axis);
}

// The standard vmap sweep for a function of per-example inputs shaped like `inputs`: a batch
// stacked along axis 0 of every input; along each input's last axis; along the middle axis of
// the first input with the others unmapped; then a vmap of a vmap (a 3 x 3 batch). A float32
// function whose batched kernels sum in another order than the per-example ones needs a `tol`
// near float32's epsilon.
inline void vmaps(const Fn& f, const std::vector<array>& inputs, double tol = 1e-12) {
  size_t n = inputs.size();
  std::vector<array> front, last;
  std::vector<int> zeros(n, 0), lasts;
  for (auto& in : inputs) {
    front.push_back(batch_of(in, 0));
    lasts.push_back(static_cast<int>(in.ndim()));
    last.push_back(batch_of(in, static_cast<int>(in.ndim())));
  }
  vmap_matches_loop(f, front, zeros, tol);
  vmap_matches_loop(f, last, lasts, tol);
  std::vector<array> mid = inputs;
  std::vector<int> mid_axes(n, -1);
  mid_axes[0] = static_cast<int>(inputs[0].ndim()) / 2;
  mid[0] = batch_of(inputs[0], mid_axes[0]);
  vmap_matches_loop(f, mid, mid_axes, tol);
  std::vector<array> twice;
  for (auto& in : inputs) twice.push_back(batch_of(batch_of(in, 0, 1.0), 0));
  Fn inner = vmap(f, zeros);
  vmap_matches_loop(inner, twice, zeros, tol);
}

}  // namespace check
