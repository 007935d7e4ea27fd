// FFTs: the fftn family builds one FFT primitive after padding or truncating its input with
// slice and pad; fftfreq, rfftfreq, fftshift and ifftshift are compositions.
#include <algorithm>
#include <numeric>
#include <set>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

const char* fft_name(bool real, bool inverse) {
  if (real) {
    return inverse ? "irfftn" : "rfftn";
  }
  return inverse ? "ifftn" : "fftn";
}

// The axes, non-negative; throws for an out-of-range or repeated axis.
std::vector<int> fft_axes(const array& a, const std::vector<int>& axes, const char* name) {
  const int nd = static_cast<int>(a.ndim());
  if (nd < 1) {
    std::ostringstream msg;
    msg << "[" << name << "] Requires an array with at least one dimension but got shape "
        << a.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  std::vector<int> out;
  for (int ax : axes) {
    if (ax < -nd || ax >= nd) {
      std::ostringstream msg;
      msg << "[" << name << "] Invalid axis " << ax << " for array with " << nd << " dimensions.";
      throw std::invalid_argument(msg.str());
    }
    out.push_back(ax < 0 ? ax + nd : ax);
  }
  if (std::set<int>(out.begin(), out.end()).size() != out.size()) {
    std::ostringstream msg;
    msg << "[" << name << "] Duplicated axis received " << axes << ".";
    throw std::invalid_argument(msg.str());
  }
  return out;
}

array fft_impl(const array& a, const Shape& n, const std::vector<int>& axes, bool real,
               bool inverse, fft::FFTNorm norm, StreamOrDevice s) {
  const char* name = fft_name(real, inverse);
  auto ax = fft_axes(a, axes, name);
  if (n.size() != axes.size()) {
    std::ostringstream msg;
    msg << "[" << name << "] Shape and axes have different sizes: n " << n << " and axes " << axes
        << ".";
    throw std::invalid_argument(msg.str());
  }
  if (axes.empty()) {
    return a;
  }
  if (std::any_of(n.begin(), n.end(), [](int v) { return v <= 0; })) {
    std::ostringstream msg;
    msg << "[" << name << "] Invalid FFT output size requested " << n << ".";
    throw std::invalid_argument(msg.str());
  }
  if (real && !inverse && a.dtype() == complex64) {
    std::ostringstream msg;
    msg << "[" << name << "] Requires a real input but got " << a.dtype() << ".";
    throw std::invalid_argument(msg.str());
  }
  auto stream = to_stream(s);
  // The transformed axes take their lengths from n; the last axis of irfftn holds n/2 + 1
  // frequencies.
  Shape in_shape = a.shape();
  for (size_t i = 0; i < ax.size(); ++i) {
    in_shape[ax[i]] = n[i];
  }
  if (real && inverse) {
    in_shape[ax.back()] = n.back() / 2 + 1;
  }
  auto in = astype(a, real && !inverse ? float32 : complex64, stream);
  Shape stop = in.shape();
  std::vector<int> pad_axes;
  Shape low, high;
  for (int d = 0; d < static_cast<int>(in.ndim()); ++d) {
    stop[d] = std::min(stop[d], in_shape[d]);
    if (in_shape[d] > in.shape(d)) {
      pad_axes.push_back(d);
      low.push_back(0);
      high.push_back(in_shape[d] - in.shape(d));
    }
  }
  if (stop != in.shape()) {
    in = slice(in, Shape(in.ndim(), 0), stop, stream);
  }
  if (!pad_axes.empty()) {
    in = pad(in, pad_axes, low, high, array(0, in.dtype()), "constant", stream);
  }
  Shape out_shape = in_shape;
  if (real) {
    out_shape[ax.back()] = inverse ? n.back() : n.back() / 2 + 1;
  }
  return array(out_shape, real && inverse ? float32 : complex64,
               std::make_shared<FFT>(stream, ax, n, inverse, real, norm), {in});
}

// The default lengths: the input's, except that irfftn makes 2 * (m - 1) values of m frequencies.
array fft_impl(const array& a, const std::vector<int>& axes, bool real, bool inverse,
               fft::FFTNorm norm, StreamOrDevice s) {
  auto ax = fft_axes(a, axes, fft_name(real, inverse));
  Shape n;
  for (int d : ax) {
    n.push_back(a.shape(d));
  }
  if (real && inverse && !n.empty()) {
    n.back() = 2 * (n.back() - 1);
  }
  return fft_impl(a, n, axes, real, inverse, norm, s);
}

array fft_impl(const array& a, bool real, bool inverse, fft::FFTNorm norm, StreamOrDevice s) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  return fft_impl(a, axes, real, inverse, norm, s);
}

array shift(const array& a, const std::vector<int>& axes, bool inverse, StreamOrDevice s) {
  if (axes.empty()) {
    return a;
  }
  const int nd = static_cast<int>(a.ndim());
  Shape shifts;
  for (int ax : axes) {
    if (ax < -nd || ax >= nd) {
      std::ostringstream msg;
      msg << "[" << (inverse ? "ifftshift" : "fftshift") << "] Invalid axis " << ax
          << " for array with " << nd << " dimensions.";
      throw std::invalid_argument(msg.str());
    }
    int size = a.shape(ax < 0 ? ax + nd : ax);
    shifts.push_back(inverse ? (size + 1) / 2 : size / 2);
  }
  return roll(a, shifts, axes, s);
}

std::vector<int> all_axes(const array& a) {
  std::vector<int> axes(a.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  return axes;
}

array frequencies(int n, double d, bool real) {
  if (n <= 0) {
    std::ostringstream msg;
    msg << "[" << (real ? "rfftfreq" : "fftfreq") << "] n must be positive but got " << n << ".";
    throw std::invalid_argument(msg.str());
  }
  const double step = 1.0 / (static_cast<double>(n) * d);
  const int count = real ? n / 2 + 1 : n;
  std::vector<float> v(count);
  for (int k = 0; k < count; ++k) {
    // The upper half of fft's frequencies is negative: -(n/2), ..., -1.
    int f = (!real && k > (n - 1) / 2) ? k - n : k;
    v[k] = static_cast<float>(f * step);
  }
  return array(v.begin(), {count}, float32);
}

// Another transform with p's axes, lengths and norm.
array fft_node(const array& x, const Shape& shape, Dtype dtype, FFT& p, bool inverse, bool real) {
  return array(shape, dtype,
               std::make_shared<FFT>(p.stream(), p.axes(), p.n(), inverse, real, p.norm()), {x});
}

}  // namespace

namespace fft {

array fftn(const array& a, const Shape& n, const std::vector<int>& axes, FFTNorm norm,
           StreamOrDevice s) {
  return fft_impl(a, n, axes, false, false, norm, s);
}
array fftn(const array& a, const std::vector<int>& axes, FFTNorm norm, StreamOrDevice s) {
  return fft_impl(a, axes, false, false, norm, s);
}
array fftn(const array& a, FFTNorm norm, StreamOrDevice s) {
  return fft_impl(a, false, false, norm, s);
}

array ifftn(const array& a, const Shape& n, const std::vector<int>& axes, FFTNorm norm,
            StreamOrDevice s) {
  return fft_impl(a, n, axes, false, true, norm, s);
}
array ifftn(const array& a, const std::vector<int>& axes, FFTNorm norm, StreamOrDevice s) {
  return fft_impl(a, axes, false, true, norm, s);
}
array ifftn(const array& a, FFTNorm norm, StreamOrDevice s) {
  return fft_impl(a, false, true, norm, s);
}

array rfftn(const array& a, const Shape& n, const std::vector<int>& axes, FFTNorm norm,
            StreamOrDevice s) {
  return fft_impl(a, n, axes, true, false, norm, s);
}
array rfftn(const array& a, const std::vector<int>& axes, FFTNorm norm, StreamOrDevice s) {
  return fft_impl(a, axes, true, false, norm, s);
}
array rfftn(const array& a, FFTNorm norm, StreamOrDevice s) {
  return fft_impl(a, true, false, norm, s);
}

array irfftn(const array& a, const Shape& n, const std::vector<int>& axes, FFTNorm norm,
             StreamOrDevice s) {
  return fft_impl(a, n, axes, true, true, norm, s);
}
array irfftn(const array& a, const std::vector<int>& axes, FFTNorm norm, StreamOrDevice s) {
  return fft_impl(a, axes, true, true, norm, s);
}
array irfftn(const array& a, FFTNorm norm, StreamOrDevice s) {
  return fft_impl(a, true, true, norm, s);
}

array fftfreq(int n, double d, StreamOrDevice) { return frequencies(n, d, false); }
array rfftfreq(int n, double d, StreamOrDevice) { return frequencies(n, d, true); }

array fftshift(const array& a, StreamOrDevice s) { return shift(a, all_axes(a), false, s); }
array fftshift(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  return shift(a, axes, false, s);
}
array ifftshift(const array& a, StreamOrDevice s) { return shift(a, all_axes(a), true, s); }
array ifftshift(const array& a, const std::vector<int>& axes, StreamOrDevice s) {
  return shift(a, axes, true, s);
}

}  // namespace fft

// ---- derivative and batching rules ----
//
// Complex cotangents follow MLX: for z = x + iy the cotangent is dL/dx - i dL/dy, so the vjp
// of a complex-linear map is its plain transpose. A DFT matrix (any norm, either direction) is
// symmetric, hence a complex transform is its own vjp.

std::vector<array> FFT::vjp(const std::vector<array>& primals, const std::vector<array>& cotangents,
                            const std::vector<int>&, const std::vector<array>&) {
  auto& in = primals[0];
  auto s = stream();
  auto ct = cotangents[0];
  if (!real()) {
    return {fft_node(astype(ct, complex64, s), in.shape(), complex64, *this, inverse(), false)};
  }
  const int last = axes().back();
  if (!inverse()) {
    // rfftn keeps the first n/2 + 1 rows of the DFT of a real input: the transpose pads the
    // cotangent back to n with zeros, and the real input takes the real part.
    const int m = ct.shape(last);
    auto padded = pad(astype(ct, complex64, s), {last}, {0}, {n().back() - m}, array(0, complex64),
                      "constant", s);
    return {mlx::core::real(fft_node(padded, in.shape(), complex64, *this, false, false), s)};
  }
  // irfftn is y = scale * Re(sum_k c_k X_k e^{2 pi i jk/n}) over the kept frequencies, with c_k
  // = 2 for the ones that stand for a conjugate pair and 1 for k = 0 and (n even) k = n/2: so
  // dL/dRe X - i dL/dIm X = c_k times the same-norm inverse DFT of the (real) cotangent.
  Shape full = ct.shape();
  auto spectrum = fft_node(astype(ct, complex64, s), full, complex64, *this, true, false);
  const int m = in.shape(last);
  Shape stop = spectrum.shape();
  stop[last] = m;
  spectrum = slice(spectrum, Shape(spectrum.ndim(), 0), stop, s);
  std::vector<float> weights(m, 2.0f);
  weights[0] = 1.0f;
  if (n().back() % 2 == 0) {
    weights[m - 1] = 1.0f;
  }
  Shape wshape(spectrum.ndim(), 1);
  wshape[last] = m;
  return {multiply(spectrum, array(weights.begin(), wshape, float32), s)};
}

std::vector<array> FFT::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                            const std::vector<int>&) {
  // Linear in its input (real-linear for irfftn): the tangent goes through the same transform.
  auto& in = primals[0];
  auto t = astype(tangents[0], in.dtype(), stream());
  Shape shape = in.shape();
  if (real()) {
    shape[axes().back()] = inverse() ? n().back() : n().back() / 2 + 1;
  }
  return {fft_node(t, shape, real() && inverse() ? float32 : complex64, *this, inverse(), real())};
}

std::pair<std::vector<array>, std::vector<int>> FFT::vmap(const std::vector<array>& inputs,
                                                          const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  std::vector<int> moved = this->axes();
  for (auto& a : moved) {
    ++a;
  }
  Shape shape = x.shape();
  if (real()) {
    shape[moved.back()] = inverse() ? n().back() : n().back() / 2 + 1;
  }
  auto p = std::make_shared<FFT>(stream(), moved, n(), inverse(), real(), norm());
  return {{array(shape, real() && inverse() ? float32 : complex64, p, {x})}, {0}};
}

}  // namespace mlx::core
