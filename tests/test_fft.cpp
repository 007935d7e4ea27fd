// FFTs: values against NumPy (literals generated with numpy.fft in float64 from the same
// float32 inputs) and a direct DFT in double, every norm, padding and truncation, axes, the
// four-step and Bluestein paths, dtypes, errors, and the derivative and batching rules.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <vector>

#include "check.h"
#include "helpers.h"
#include "mlx/mlx.h"

using namespace mlx::core;
using fft::FFTNorm;

namespace {

using cd = std::complex<double>;

// The test signal: x_j = cos(0.37 j) + 0.5 sin(1.91 j + 0.3) + 0.25i cos(2.3 j), rounded to
// float32 (the generator script rounds the same way).
std::vector<float> sig_re(int n) {
  std::vector<float> v(n);
  for (int j = 0; j < n; ++j)
    v[j] = static_cast<float>(std::cos(0.37 * j) + 0.5 * std::sin(1.91 * j + 0.3));
  return v;
}
std::vector<float> sig_im(int n) {
  std::vector<float> v(n);
  for (int j = 0; j < n; ++j) v[j] = static_cast<float>(0.25 * std::cos(2.3 * j));
  return v;
}
std::vector<cd> sig(int n, bool complex = true) {
  auto re = sig_re(n), im = sig_im(n);
  std::vector<cd> v(n);
  for (int j = 0; j < n; ++j) v[j] = cd(re[j], complex ? im[j] : 0.0f);
  return v;
}
array csig(int n, Shape shape = {}) {
  auto re = sig_re(n), im = sig_im(n);
  std::vector<complex64_t> v(n);
  for (int j = 0; j < n; ++j) v[j] = complex64_t(re[j], im[j]);
  return array(v.begin(), shape.empty() ? Shape{n} : shape, complex64);
}
array rsig(int n, Shape shape = {}) {
  auto re = sig_re(n);
  return array(re.begin(), shape.empty() ? Shape{n} : shape, float32);
}

// The unscaled DFT in double, e^{-2 pi i jk/n} (e^{+...} for the inverse).
std::vector<cd> dft(const std::vector<cd>& x, bool inverse) {
  const size_t n = x.size();
  std::vector<cd> y(n);
  for (size_t k = 0; k < n; ++k) {
    cd s = 0;
    for (size_t j = 0; j < n; ++j) {
      double a = 2.0 * std::numbers::pi * static_cast<double>((j * k) % n) / n;
      s += x[j] * cd(std::cos(a), inverse ? std::sin(a) : -std::sin(a));
    }
    y[k] = s;
  }
  return y;
}

double norm2(const std::vector<cd>& x) {
  double s = 0;
  for (auto& z : x) s += std::norm(z);
  return std::sqrt(s);
}

// Float32 FFT error grows like eps * log2(n) * ||x||.
double tol_for(size_t n, double xnorm) {
  return 1e-6 * (1.0 + std::log2(static_cast<double>(n))) * std::max(1.0, xnorm);
}

void expect_close(const array& a, const std::vector<cd>& ref, double tol) {
  ASSERT_EQ(a.dtype(), complex64);
  auto v = values<complex64_t>(a);
  ASSERT_EQ(v.size(), ref.size());
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_NEAR(v[i].real(), ref[i].real(), tol) << "at " << i;
    EXPECT_NEAR(v[i].imag(), ref[i].imag(), tol) << "at " << i;
  }
}

void expect_close_real(const array& a, const std::vector<double>& ref, double tol) {
  ASSERT_EQ(a.dtype(), float32);
  auto v = values<float>(a);
  ASSERT_EQ(v.size(), ref.size());
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_NEAR(v[i], ref[i], tol) << "at " << i;
  }
}

struct ComplexBin {
  int n, k;
  cd fft, ifft;
};
struct Bin {
  int n, k;
  cd value;
};
struct Sample {
  int n, j;
  double value;
};

const std::vector<int> kLengths{1, 2, 3, 5, 7, 8, 12, 17, 64, 97, 1000, 3072};

// The inverse of rfft in double: irfft of the first n/2 + 1 frequencies S (the imaginary parts
// of S_0 and, for even n, S_{n/2} ignored).
std::vector<double> irfft_ref(const std::vector<cd>& s, int n) {
  std::vector<double> y(n);
  const int m = n / 2 + 1;
  for (int j = 0; j < n; ++j) {
    double acc = s[0].real();
    for (int k = 1; k < m; ++k) {
      double a = 2.0 * std::numbers::pi * static_cast<double>((static_cast<long>(j) * k) % n) / n;
      double c = (n % 2 == 0 && k == n / 2) ? 1.0 : 2.0;
      acc += c * (s[k] * cd(std::cos(a), std::sin(a))).real();
    }
    y[j] = acc / n;
  }
  return y;
}

array cplx(const array& re, const array& im) {
  return add(re, multiply(im, array(std::complex<float>(0.0f, 1.0f))));
}

}  // namespace

TEST(FftValues, ComplexLengthsMatchNumPy) {
  const std::vector<ComplexBin> numpy{
      {1, 0, {1.14776015, 0.25}, {1.14776015, 0.25}},
      {2, 0, {2.48137307, 0.0834309906}, {1.24068654, 0.0417154953}},
      {2, 1, {-0.185852766, 0.416569009}, {-0.092926383, 0.208284505}},
      {3, 0, {2.80503705, 0.0553928595}, {0.93501235, 0.0184642865}},
      {3, 1, {0.199150444, -0.527337868}, {0.146364321, 0.407315003}},
      {3, 2, {0.439092963, 1.22194501}, {0.0663834812, -0.175779289}},
      {5, 0, {3.71327704, 0.0156132262}, {0.742655408, 0.00312264524}},
      {5, 1, {1.15858015, -0.729917644}, {0.256908787, 0.138349926}},
      {5, 2, {0.0571586973, 0.202539929}, {-0.094951813, 0.214002971}},
      {5, 4, {1.28454394, 0.691749631}, {0.231716031, -0.145983529}},
      {7, 0, {2.26598302, 0.219143135}, {0.323711859, 0.0313061622}},
      {7, 1, {0.448418371, -2.25299888}, {0.105715935, 0.382686632}},
      {7, 3, {0.959969223, 0.287170527}, {0.0100955218, 0.0710511328}},
      {7, 6, {0.740011546, 2.67880643}, {0.0640597673, -0.321856983}},
      {8, 0, {1.86071593, -0.0118900705}, {0.232589491, -0.00148625881}},
      {8, 1, {1.32384093, -3.1023372}, {0.167078769, 0.38352352}},
      {8, 4, {0.328893781, 0.133799432}, {0.0411117226, 0.016724929}},
      {8, 7, {1.33663015, 3.06818816}, {0.165480116, -0.38779215}},
      {12, 0, {-1.40105808, 0.257568648}, {-0.11675484, 0.021464054}},
      {12, 1, {3.75159303, -4.39537766}, {0.324740922, 0.409718566}},
      {12, 6, {0.578033149, 0.0482442882}, {0.0481694291, 0.00402035735}},
      {12, 11, {3.89689106, 4.91662279}, {0.312632753, -0.366281472}},
      {17, 0, {-0.0210960358, 0.158998979}, {-0.00124094328, 0.00935288113}},
      {17, 1, {8.44854715, 0.141659205}, {0.499734333, 0.0106468472}},
      {17, 8, {-0.379052486, -0.138111503}, {-0.0293868788, -0.0137848849}},
      {17, 16, {8.49548367, 0.180996402}, {0.496973362, 0.00833289441}},
      {64, 0, {-1.78787942, 0.261867246}, {-0.027935616, 0.00409167572}},
      {64, 1, {-2.00387592, 0.955569283}, {-0.0308730971, -0.00674519196}},
      {64, 32, {-0.0784155875, 0.114579928}, {-0.00122524356, 0.00179031137}},
      {64, 63, {-1.97587822, -0.431692286}, {-0.0313105613, 0.0149307701}},
      {97, 0, {-1.50900534, 0.247238544}, {-0.0155567561, 0.00254885096}},
      {97, 1, {-1.60121694, 0.863499048}, {-0.0163070063, -0.00380441821}},
      {97, 48, {0.177559376, 0.246433404}, {0.00132983281, 0.00288180046}},
      {97, 96, {-1.58177962, -0.369028567}, {-0.0165073912, 0.00890205204}},
      {1000, 0, {-1.59982659, 0.0271598792}, {-0.00159982659, 2.71598792e-05}},
      {1000, 1, {-1.60036233, 0.0384190787}, {-0.00160030401, 1.59010427e-05}},
      {1000, 500, {0.210243722, -0.0891123208}, {0.000210243722, -8.91123208e-05}},
      {1000, 999, {-1.60030401, 0.0159010427}, {-0.00160036233, 3.84190787e-05}},
      {3072, 0, {-1.19180082, 0.239631638}, {-0.000387955996, 7.80050905e-05}},
      {3072, 1, {-1.19215415, 0.242767735}, {-0.000387872496, 7.6984525e-05}},
      {3072, 1536, {0.314565014, 0.292422228}, {0.000102397466, 9.51895273e-05}},
      {3072, 3071, {-1.19154431, 0.236496461}, {-0.000388071011, 7.90259556e-05}}};
  for (int n : kLengths) {
    SCOPED_TRACE("n = " + std::to_string(n));
    auto x = sig(n);
    double tol = tol_for(n, norm2(x));
    auto y = fft::fft(csig(n));
    auto yi = fft::ifft(csig(n));
    EXPECT_EQ(y.shape(), Shape{n});
    auto ref = dft(x, false), refi = dft(x, true);
    for (auto& z : refi) z /= n;
    expect_close(y, ref, tol);
    expect_close(yi, refi, tol / n);
    auto v = values<complex64_t>(y), vi = values<complex64_t>(yi);
    for (auto& b : numpy) {
      if (b.n != n) continue;
      EXPECT_NEAR(v[b.k].real(), b.fft.real(), tol) << "bin " << b.k;
      EXPECT_NEAR(v[b.k].imag(), b.fft.imag(), tol) << "bin " << b.k;
      EXPECT_NEAR(vi[b.k].real(), b.ifft.real(), tol / n) << "bin " << b.k;
      EXPECT_NEAR(vi[b.k].imag(), b.ifft.imag(), tol / n) << "bin " << b.k;
    }
    // The round trip.
    expect_close(fft::ifft(y), x, tol / std::sqrt(static_cast<double>(n)) + 1e-6);
  }
}

TEST(FftValues, RealLengthsMatchNumPy) {
  const std::vector<Bin> rfft_numpy{{1, 0, {1.14776015, 0}},
                                    {2, 0, {2.48137307, 0}},
                                    {2, 1, {-0.185852766, 0}},
                                    {3, 0, {2.80503705, 0}},
                                    {3, 1, {0.319121704, -0.874641438}},
                                    {5, 0, {3.71327704, 0}},
                                    {5, 1, {1.22156204, -0.710833637}},
                                    {5, 2, {-0.208800184, -0.433737464}},
                                    {7, 0, {2.26598302, 0}},
                                    {7, 1, {0.594214959, -2.46590265}},
                                    {7, 3, {0.515318938, -0.105093701}},
                                    {8, 0, {1.86071593, 0}},
                                    {8, 1, {1.33023554, -3.08526268}},
                                    {8, 4, {0.328893781, 0}},
                                    {12, 0, {-1.40105808, 0}},
                                    {12, 1, {3.82424204, -4.65600023}},
                                    {12, 6, {0.578033149, 0}},
                                    {17, 0, {-0.0210960358, 0}},
                                    {17, 1, {8.47201541, -0.0196685984}},
                                    {17, 8, {-0.439314713, 0.0481157696}},
                                    {64, 0, {-1.78787942, 0}},
                                    {64, 1, {-1.98987707, 0.693630784}},
                                    {64, 32, {-0.0784155875, 0}},
                                    {97, 0, {-1.50900534, 0}},
                                    {97, 1, {-1.59149828, 0.616263807}},
                                    {97, 48, {0.153276579, -0.0165506203}},
                                    {1000, 0, {-1.59982659, 0}},
                                    {1000, 1, {-1.60033317, 0.011259018}},
                                    {1000, 500, {0.210243722, 0}},
                                    {3072, 0, {-1.19180082, 0}},
                                    {3072, 1, {-1.19184923, 0.00313563729}},
                                    {3072, 1536, {0.314565014, 0}}};
  const std::vector<Sample> irfft_numpy{
      {1, 0, 1.14776015},        {2, 0, 1.24068654},         {2, 1, -0.092926383},
      {3, 0, 1.271662},          {3, 1, 0.0342177404},       {3, 2, -0.158119584},
      {5, 0, 0.89246279},        {5, 1, 0.359614566},        {5, 4, 0.219697012},
      {7, 0, 0.72873543},        {7, 1, 0.318471117},        {7, 6, 0.278995923},
      {8, 0, 0.711246371},       {8, 1, 0.249558102},        {8, 7, 0.248748591},
      {12, 0, 0.362470677},      {12, 1, 0.425090328},       {12, 11, 0.406996426},
      {17, 0, 0.0431865524},     {17, 1, 0.500338857},       {17, 16, 0.491581713},
      {64, 0, -0.0510471044},    {64, 1, 0.0660581516},      {64, 63, 0.0657011747},
      {97, 0, -0.0421866119},    {97, 1, 0.0506490897},      {97, 96, 0.0504466724},
      {1000, 0, 0.00184791681},  {1000, 1, -0.00117059928},  {1000, 999, -0.00117434047},
      {3072, 0, 0.000524644349}, {3072, 1, -0.000304523812}, {3072, 3071, -0.000304707929}};
  for (int n : kLengths) {
    SCOPED_TRACE("n = " + std::to_string(n));
    const int m = n / 2 + 1;
    auto x = sig(n, false);
    double tol = tol_for(n, norm2(x));
    auto y = fft::rfft(rsig(n));
    EXPECT_EQ(y.shape(), Shape{m});
    auto full = dft(x, false);
    expect_close(y, std::vector<cd>(full.begin(), full.begin() + m), tol);
    auto v = values<complex64_t>(y);
    for (auto& b : rfft_numpy) {
      if (b.n != n) continue;
      EXPECT_NEAR(v[b.k].real(), b.value.real(), tol) << "bin " << b.k;
      EXPECT_NEAR(v[b.k].imag(), b.value.imag(), tol) << "bin " << b.k;
    }
    // irfft of a spectrum that is not Hermitian at 0 and n/2: those imaginary parts are ignored.
    auto s = fft::irfft(csig(m), n, -1);
    EXPECT_EQ(s.shape(), Shape{n});
    auto sref = sig(m);
    double stol = tol_for(n, norm2(sref)) * 2 / n;
    expect_close_real(s, irfft_ref(sref, n), stol);
    auto sv = values<float>(s);
    for (auto& b : irfft_numpy) {
      if (b.n != n) continue;
      EXPECT_NEAR(sv[b.j], b.value, stol) << "sample " << b.j;
    }
    std::vector<double> xr(n);
    for (int j = 0; j < n; ++j) xr[j] = x[j].real();
    expect_close_real(fft::irfft(y, n, -1), xr, tol / std::sqrt(static_cast<double>(n)) + 1e-6);
  }
}

TEST(FftValues, LongLengthsFourStepAndBluestein) {
  // 2^16 and 3 * 2^14 take the four-step plan; 40009 (prime) Bluestein over a four-step 2^17.
  for (int n : {1 << 16, 3 << 14, 40009}) {
    SCOPED_TRACE("n = " + std::to_string(n));
    auto x = sig(n);
    double tol = tol_for(n, norm2(x));
    auto y = fft::fft(csig(n));
    auto v = values<complex64_t>(y);
    for (int k : {0, 1, 7, n / 3, n / 2, n - 1}) {
      cd s = 0;
      for (int j = 0; j < n; ++j) {
        double a =
            -2.0 * std::numbers::pi * static_cast<double>((static_cast<long>(j) * k) % n) / n;
        s += x[j] * cd(std::cos(a), std::sin(a));
      }
      EXPECT_NEAR(v[k].real(), s.real(), tol) << "bin " << k;
      EXPECT_NEAR(v[k].imag(), s.imag(), tol) << "bin " << k;
    }
    expect_close(fft::ifft(y), x, 1e-5);
    std::vector<double> xr(n);
    for (int j = 0; j < n; ++j) xr[j] = x[j].real();
    expect_close_real(fft::irfft(fft::rfft(rsig(n)), n, -1), xr, 1e-5);
  }
}

TEST(FftValues, ManyLinesMatchOneAtATime) {
  // Lines in blocks of lanes, along the last axis and along a strided one, for a Stockham, a
  // direct-radix and a Bluestein length.
  for (int n : {12, 17, 97}) {
    SCOPED_TRACE("n = " + std::to_string(n));
    auto x = reshape(csig(n * 37), {37, n});
    auto y = fft::fft(x);
    auto yt = fft::fft(transpose(x), 0);
    for (int r : {0, 5, 36}) {
      auto row = squeeze(slice(x, {r, 0}, {r + 1, n}), 0);
      auto expect = fft::fft(row);
      check::expect_same(squeeze(slice(y, {r, 0}, {r + 1, n}), 0), expect, 1e-6);
      check::expect_same(squeeze(slice(yt, {0, r}, {n, r + 1}), 1), expect, 1e-6);
    }
  }
}

TEST(FftNorm, EveryNormMatchesNumPy) {
  auto x = csig(8);
  double tol = 2e-6;
  expect_close(fft::fft(x, -1, FFTNorm::Ortho),
               {{0.657862424, -0.00420377474},
                {0.468048449, -1.09684184},
                {0.83428718, -0.348599289},
                {0.00096446783, 0.175873753},
                {0.116281511, 0.0473052428},
                {-0.151126482, 0.534412416},
                {0.847468275, 0.314391944},
                {0.472570123, 1.08476833}},
               tol);
  expect_close(fft::fft(x, -1, FFTNorm::Forward),
               {{0.232589491, -0.00148625881},
                {0.165480116, -0.38779215},
                {0.294965061, -0.12324846},
                {0.000340990871, 0.0621807618},
                {0.0411117226, 0.016724929},
                {-0.0534312802, 0.188943322},
                {0.299625282, 0.111154338},
                {0.167078769, 0.38352352}},
               tol);
  expect_close(fft::ifft(x, -1, FFTNorm::Ortho),
               {{0.657862424, -0.00420377474},
                {0.472570123, 1.08476833},
                {0.847468275, 0.314391944},
                {-0.151126482, 0.534412416},
                {0.116281511, 0.0473052428},
                {0.00096446783, 0.175873753},
                {0.83428718, -0.348599289},
                {0.468048449, -1.09684184}},
               tol);
  expect_close(fft::ifft(x, -1, FFTNorm::Forward),
               {{1.86071593, -0.0118900705},
                {1.33663015, 3.06818816},
                {2.39700226, 0.889234701},
                {-0.427450241, 1.51154657},
                {0.328893781, 0.133799432},
                {0.00272792697, 0.497446094},
                {2.35972049, -0.985987684},
                {1.32384093, -3.1023372}},
               tol * 8);
  expect_close(fft::rfft(rsig(8), -1, FFTNorm::Ortho),
               {{0.657862424, 0},
                {0.470309286, -1.09080508},
                {0.840877728, -0.331495616},
                {-0.0750810072, -0.179269331},
                {0.116281511, 0}},
               tol);
  expect_close_real(fft::irfft(csig(4), 7, -1, FFTNorm::Ortho),
                    {1.92805272, 0.842595375, 0.373680436, -0.487882006, -0.263419794,
                     -0.0944926308, 0.738153829},
                    tol);
  expect_close_real(fft::irfft(csig(4), 6, -1, FFTNorm::Forward),
                    {4.78173098, 2.17536152, 0.0498428035, -1.19155475, -0.430042236, 1.50122261},
                    tol * 6);
  // Backward is the default; Ortho round-trips.
  check::expect_same(fft::fft(x, -1, FFTNorm::Backward), fft::fft(x), 0);
  expect_close(fft::ifft(fft::fft(x, -1, FFTNorm::Ortho), -1, FFTNorm::Ortho), sig(8), tol);
  expect_close(fft::ifft(fft::fft(x, -1, FFTNorm::Forward), -1, FFTNorm::Forward), sig(8), tol);
}

TEST(FftShapes, PaddingAndTruncation) {
  double tol = 4e-6;
  expect_close(fft::fft(csig(5), 8, -1),
               {{3.71327704, 0.0156132262},
                {1.27446296, -1.26080502},
                {1.04241885, -0.979868663},
                {-0.103750358, -0.0895105395},
                {0.407217145, -0.059111299},
                {-0.212664839, 1.60089887},
                {1.78341942, 1.04852311},
                {1.277701, 1.72426031}},
               tol);
  expect_close(fft::fft(csig(8), 5, -1),
               {{3.71327704, 0.0156132262},
                {1.15858015, -0.729917644},
                {0.0571586973, 0.202539929},
                {-0.474759065, 1.07001486},
                {1.28454394, 0.691749631}},
               tol);
  expect_close(
      fft::rfft(rsig(4), 6, 0),
      {{3.12445408, 0}, {1.33331759, -1.4352439}, {0.638538733, -0.874641438}, {-0.181605816, 0}},
      tol);
  expect_close_real(fft::irfft(csig(6), 5, 0),
                    {0.89246279, 0.359614566, -0.133510723, -0.190503491, 0.219697012}, tol);
  EXPECT_EQ(fft::irfft(csig(6), 5, 0).shape(), Shape{5});
  EXPECT_EQ(fft::irfft(csig(6)).shape(), Shape{10});
  EXPECT_EQ(fft::rfft(rsig(7)).shape(), Shape{4});
}

TEST(FftAxes, MultiDimensionalMatchNumPy) {
  double tol = 1e-5;
  expect_close(fft::fft(csig(12, {3, 4}), 0),
               {{0.81683296, 0.231449142},
                {-0.619428486, -0.114747092},
                {-1.22834542, -0.078542674},
                {-0.370117128, 0.219409272},
                {0.907169593, -1.04718721},
                {2.47453163, -1.04927166},
                {1.28665394, 0.325329582},
                {0.250618516, 0.300981365},
                {1.71927791, 1.56573807},
                {2.14573561, 0.664311727},
                {0.912683425, -0.330901301},
                {1.0777497, 0.0914031794}},
               tol);
  auto f2 = fft::fft2(csig(12, {3, 4}));
  EXPECT_EQ(f2.shape(), (Shape{3, 4}));
  expect_close(f2,
               {{-1.40105808, 0.257568648},
                {1.71102202, 0.559303174},
                {0.578033149, 0.0482442882},
                {2.37933475, 0.0606804583},
                {4.91897368, -1.47014793},
                {-1.72973737, -3.59642991},
                {-0.531326612, 0.0264326683},
                {0.970768682, 0.851396318},
                {5.85544664, 1.99055168},
                {1.37950303, 0.828653457},
                {-0.591523985, 0.479121862},
                {0.233685933, 2.96462528}},
               tol);
  expect_close(fft::ifft2(csig(12, {3, 4})),
               {{-0.11675484, 0.021464054},
                {0.198277896, 0.00505670486},
                {0.0481694291, 0.00402035735},
                {0.142585168, 0.0466085978},
                {0.487953887, 0.165879306},
                {0.0194738278, 0.247052107},
                {-0.0492936654, 0.0399268219},
                {0.114958586, 0.0690544548},
                {0.409914473, -0.122512327},
                {0.0808973902, 0.0709496932},
                {-0.0442772177, 0.00220272236},
                {-0.144144781, -0.299702492}},
               tol);
  expect_close(
      fft::fftn(csig(24, {2, 3, 4})),
      {{2.44489549, 0.0428951103},    {1.61582384, -1.43753099},   {0.211648539, 0.369911337},
       {1.90838036, 1.35952559},      {4.41692284, -4.76766385},   {-3.53058909, -0.840167183},
       {-1.54059786, 0.579171066},    {-0.701067774, 0.402383323}, {4.63871595, 4.74030304},
       {-0.922969352, -0.0448924974}, {-0.247235829, 0.257534239}, {-3.4018282, -0.00483830952},
       {-5.24701165, 0.472242186},    {1.8062202, 2.55613734},     {0.94441776, -0.273422761},
       {2.85028914, -1.23816468},     {5.42102451, 1.82736799},    {0.0711143429, -6.35269263},
       {0.477944637, -0.526305729},   {2.64260514, 1.30040931},    {7.07217734, -0.759199684},
       {3.68197541, 1.70219941},      {-0.935812141, 0.700709486}, {3.86920007, 5.93408888}},
      tol);
  auto fa = fft::fftn(csig(24, {2, 3, 4}), {3, 3}, {2, 0});
  EXPECT_EQ(fa.shape(), (Shape{3, 3, 3}));
  expect_close(
      fa, {{3.08375658, 0.0508333798},  {-1.19175926, -0.102093376},  {-0.66897259, 0.215417714},
           {2.16946808, -0.0542389564}, {1.05799903, -1.06040954},    {0.55171587, 0.850244872},
           {-2.66737676, 0.0549156144}, {0.918211558, -0.0146483077}, {1.38251867, 0.311079387},
           {2.66172866, -0.183705594},  {1.26287783, 0.464603029},    {0.121447534, 2.68482157},
           {-2.38461519, -2.65542423},  {1.23277011, -0.367241284},   {2.31615617, 0.315106725},
           {-3.10488684, -0.261617152}, {-1.17071757, 0.993348183},   {0.0393441725, -1.96623995},
           {2.66962591, 0.299050792},   {0.526332765, -1.94452326},   {1.86480395, 0.765595737},
           {-2.36026609, 2.5891202},    {1.74568589, -0.865181608},   {0.970492789, -0.945374323},
           {-3.16025721, 0.275544075},  {0.746697564, 2.29841562},    {-1.26128498, 0.335642954}},
      tol);
  auto r2 = fft::rfft2(rsig(12, {3, 4}));
  EXPECT_EQ(r2.shape(), (Shape{3, 3}));
  expect_close(r2,
               {{-1.40105808, 0},
                {2.04517838, 0.249311358},
                {0.578033149, 0},
                {5.38721016, -1.7303498},
                {-0.74802572, -3.2805276},
                {-0.561425298, -0.226344597},
                {5.38721016, 1.7303498},
                {1.17513586, -0.0113714304},
                {-0.561425298, 0.226344597}},
               tol);
  auto rn = fft::rfftn(rsig(24, {2, 3, 4}), {0, 1});
  EXPECT_EQ(rn.shape(), (Shape{2, 2, 4}));
  expect_close(rn,
               {{1.54518706, 0},
                {1.25757588, 0},
                {-0.216915041, 0},
                {-0.140952408, 0},
                {-0.161081165, -1.19679789},
                {1.51575965, -1.89224798},
                {1.97803244, -1.09978463},
                {1.19510847, -0.565152943},
                {0.0884788632, 0},
                {-2.49643286, 0},
                {-2.23977581, 0},
                {-0.599281847, 0},
                {2.78752866, -1.41612739},
                {3.1045076, 0.178664594},
                {0.221304923, 1.75601551},
                {0.133259743, 0.774731128}},
               tol);
  auto i2 = fft::irfft2(csig(12, {4, 3}));
  EXPECT_EQ(i2.shape(), (Shape{4, 4}));
  expect_close_real(
      i2,
      {-0.0294035282, 0.12136207, -0.262053935, -0.0722682755, 0.431758206, -0.125533809,
       -0.0305874571, 0.184429771, 0.209768953, 0.0753389951, -0.0217535552, 0.0701682325,
       0.422538862, 0.218141292, 0.0154445209, -0.0595901897},
      tol);
  auto in = fft::irfftn(csig(24, {2, 3, 4}), {2, 3, 5}, {0, 1, 2});
  EXPECT_EQ(in.shape(), (Shape{2, 3, 5}));
  expect_close_real(
      in, {0.120883625,   0.0941255323,   -0.0069397191, -0.03463857,  0.084100308,  0.227927082,
           -0.251397389,  -0.00916371464, -0.032783063,  0.0681955248, 0.227173118,  0.0962931429,
           -0.0511225546, -0.0924160696,  -0.236399799,  -0.312797949, 0.0880147435, 0.0766348081,
           0.106267492,   0.0566273825,   0.29448065,    0.297668353,  -0.16409514,  0.0475718015,
           0.0946885304,  0.334796263,    0.0349101828,  0.0211755969, -0.184505082, 0.152485065},
      tol);
  // rfftn and irfftn invert each other over every axis, odd last length included.
  auto x = rsig(30, {2, 3, 5});
  check::expect_same(fft::irfftn(fft::rfftn(x), {2, 3, 5}, {0, 1, 2}), x, 1e-5);
  // Axes given negative, or in another order, name the same transform.
  check::expect_same(fft::fftn(csig(24, {2, 3, 4}), {-1, 0}),
                     fft::fftn(csig(24, {2, 3, 4}), {0, 2}), 1e-5);
}

TEST(FftDtypes, InputsAreConverted) {
  // float64, integers and bools go through complex64 (float32 for rfft*), as in MLX, which has
  // no complex128.
  auto x64 = astype(rsig(8), float64);
  auto y = fft::fft(x64);
  EXPECT_EQ(y.dtype(), complex64);
  check::expect_same(y, fft::fft(rsig(8)), 0);
  EXPECT_EQ(fft::rfft(x64).dtype(), complex64);
  check::expect_same(fft::rfft(x64), fft::rfft(rsig(8)), 0);
  EXPECT_EQ(fft::irfft(fft::rfft(x64)).dtype(), float32);
  auto yi = fft::fft(array({1, 2, 3, 4}));
  expect_close(yi, {{10, 0}, {-2, 2}, {-2, 0}, {-2, -2}}, 0);
  expect_close(fft::rfft(array({true, false, true, false})), {{2, 0}, {0, 0}, {2, 0}}, 0);
  expect_close(fft::ifft(array({1.0f, 1.0f})), {{1, 0}, {0, 0}}, 0);
  // A broadcast (strided) input.
  expect_close(fft::fft(broadcast_to(array(1.0f), {4})), {{4, 0}, {0, 0}, {0, 0}, {0, 0}}, 0);
}

TEST(FftShapes, EmptyBatchesAndNoAxes) {
  auto e = fft::fft(zeros({0, 4}, complex64));
  EXPECT_EQ(e.shape(), (Shape{0, 4}));
  EXPECT_EQ(e.dtype(), complex64);
  eval(e);
  auto r = fft::rfft(zeros({0, 6}));
  EXPECT_EQ(r.shape(), (Shape{0, 4}));
  auto ir = fft::irfft(zeros({3, 0, 4}, complex64));
  EXPECT_EQ(ir.shape(), (Shape{3, 0, 6}));
  EXPECT_EQ(ir.dtype(), float32);
  eval(r, ir);
  // No axes: the input as it is (as MLX).
  auto x = rsig(4);
  EXPECT_EQ(fft::fftn(x, std::vector<int>{}).dtype(), float32);
}

TEST(FftErrors, Messages) {
  auto x = csig(6);
  EXPECT_INVALID(fft::fft(array(1.0f)),
                 "[fftn] Requires an array with at least one dimension but got shape ().");
  EXPECT_INVALID(fft::fftn(array(1.0f)),
                 "[fftn] Requires an array with at least one dimension but got shape ().");
  EXPECT_INVALID(fft::fft(x, 0, -1), "[fftn] Invalid FFT output size requested (0).");
  EXPECT_INVALID(fft::ifft(x, -3, 0), "[ifftn] Invalid FFT output size requested (-3).");
  EXPECT_INVALID(fft::fft(x, 1), "[fftn] Invalid axis 1 for array with 1 dimensions.");
  EXPECT_INVALID(fft::rfft(rsig(6), -2), "[rfftn] Invalid axis -2 for array with 1 dimensions.");
  EXPECT_INVALID(fft::fftn(x, {4, 4}, {0}),
                 "[fftn] Shape and axes have different sizes: n (4,4) and axes (0).");
  EXPECT_INVALID(fft::fftn(csig(6, {2, 3}), {0, -2}), "[fftn] Duplicated axis received (0,-2).");
  EXPECT_INVALID(fft::rfft(x), "[rfftn] Requires a real input but got complex64.");
  EXPECT_INVALID(fft::irfft(csig(1)), "[irfftn] Invalid FFT output size requested (0).");
  EXPECT_INVALID(fft::irfft2(csig(4)), "[irfftn] Invalid axis -2 for array with 1 dimensions.");
  EXPECT_INVALID(fft::fftshift(x, {1}), "[fftshift] Invalid axis 1 for array with 1 dimensions.");
  EXPECT_INVALID(fft::ifftshift(x, {-2}),
                 "[ifftshift] Invalid axis -2 for array with 1 dimensions.");
  EXPECT_INVALID(fft::fftfreq(0), "[fftfreq] n must be positive but got 0.");
  EXPECT_INVALID(fft::rfftfreq(-1), "[rfftfreq] n must be positive but got -1.");
}

TEST(FftFreq, MatchesNumPy) {
  expect_array<float>(fft::fftfreq(5, 0.1), {5}, float32, {0, 2, 4, -4, -2});
  expect_array<float>(fft::fftfreq(4), {4}, float32, {0, 0.25, -0.5, -0.25});
  expect_array<float>(fft::fftfreq(1), {1}, float32, {0});
  expect_array<float>(fft::rfftfreq(5, 0.1), {3}, float32, {0, 2, 4});
  expect_array<float>(fft::rfftfreq(4, 2.0), {3}, float32, {0, 0.125, 0.25});
}

TEST(FftShift, MatchesNumPy) {
  expect_array<int>(fft::fftshift(arange(5)), {5}, int32, {3, 4, 0, 1, 2});
  expect_array<int>(fft::ifftshift(arange(5)), {5}, int32, {2, 3, 4, 0, 1});
  expect_array<int>(fft::fftshift(reshape(arange(6), {2, 3})), {2, 3}, int32, {5, 3, 4, 2, 0, 1});
  expect_array<int>(fft::ifftshift(reshape(arange(6), {2, 3}), {1}), {2, 3}, int32,
                    {1, 2, 0, 4, 5, 3});
  expect_array<int>(fft::ifftshift(fft::fftshift(arange(7))), {7}, int32, {0, 1, 2, 3, 4, 5, 6});
  expect_array<int>(fft::fftshift(array(3)), {}, int32, {3});
}

// ---- derivative and batching rules: float32 transforms of float64 inputs, so finite
// differences use a large step (the maps are linear) and a float32 tolerance.

TEST(FftGrads, ComplexTransforms) {
  auto xy = [](const std::vector<array>& in) { return cplx(in[0], in[1]); };
  auto parts = [](const array& z) { return std::vector<array>{real(z), imag(z)}; };
  auto a = check::uniform({6}, -1, 1, 3), b = check::uniform({6}, -1, 1, 4);
  for (auto norm : {FFTNorm::Backward, FFTNorm::Ortho, FFTNorm::Forward}) {
    check::grads([&](auto& in) { return parts(fft::fft(xy(in), -1, norm)); }, {a, b}, 0.5, 1e-5);
    check::grads([&](auto& in) { return parts(fft::ifft(xy(in), 8, 0, norm)); }, {a, b}, 0.5, 1e-5);
  }
  auto c = check::uniform({4, 3}, -1, 1, 5), d = check::uniform({4, 3}, -1, 1, 6);
  check::grads([&](auto& in) { return parts(fft::fft(xy(in), 3, 0)); }, {c, d}, 0.5, 1e-5);
  check::grads([&](auto& in) { return parts(fft::fft2(xy(in))); }, {c, d}, 0.5, 1e-5);
  // 97: the Bluestein path.
  auto e = check::uniform({97}, -1, 1, 7), f = check::uniform({97}, -1, 1, 8);
  check::grads([&](auto& in) { return parts(fft::fft(xy(in))); }, {e, f}, 0.5, 1e-4);
}

TEST(FftGrads, RealTransforms) {
  auto parts = [](const array& z) { return std::vector<array>{real(z), imag(z)}; };
  for (int n : {6, 7}) {
    auto x = check::uniform({n}, -1, 1, 9);
    for (auto norm : {FFTNorm::Backward, FFTNorm::Ortho, FFTNorm::Forward}) {
      check::grads([&](auto& in) { return parts(fft::rfft(in[0], -1, norm)); }, {x}, 0.5, 1e-5);
      check::grads([&](auto& in) { return parts(fft::rfft(in[0], n + 2, -1, norm)); }, {x}, 0.5,
                   1e-5);
    }
  }
  auto x2 = check::uniform({3, 5}, -1, 1, 10);
  check::grads([&](auto& in) { return parts(fft::rfft2(in[0])); }, {x2}, 0.5, 1e-5);
  check::grads([&](auto& in) { return parts(fft::rfft(in[0], 0)); }, {x2}, 0.5, 1e-5);
}

TEST(FftGrads, InverseRealTransforms) {
  // The halved spectrum: every kept frequency except 0 and (even n) n/2 stands for two.
  auto a = check::uniform({4}, -1, 1, 11), b = check::uniform({4}, -1, 1, 12);
  for (int n : {6, 7, 4, 3}) {
    for (auto norm : {FFTNorm::Backward, FFTNorm::Ortho, FFTNorm::Forward}) {
      check::grads(
          [&](auto& in) { return std::vector<array>{fft::irfft(cplx(in[0], in[1]), n, -1, norm)}; },
          {a, b}, 0.5, 1e-5);
    }
  }
  auto c = check::uniform({3, 4}, -1, 1, 13), d = check::uniform({3, 4}, -1, 1, 14);
  check::grads([&](auto& in) { return std::vector<array>{fft::irfft2(cplx(in[0], in[1]))}; },
               {c, d}, 0.5, 1e-5);
  check::grads(
      [&](auto& in) {
        return std::vector<array>{fft::irfftn(cplx(in[0], in[1]), {5, 3}, {1, 0})};
      },
      {c, d}, 0.5, 1e-5);
}

TEST(FftVmap, EveryKind) {
  auto parts = [](const array& z) { return std::vector<array>{real(z), imag(z)}; };
  auto z = csig(12, {3, 4});
  auto x = rsig(12, {3, 4});
  check::vmaps([&](auto& in) { return parts(fft::fft(in[0])); }, {z});
  check::vmaps([&](auto& in) { return parts(fft::ifft(in[0], 5, 0, FFTNorm::Ortho)); }, {z});
  check::vmaps([&](auto& in) { return parts(fft::fft2(in[0])); }, {z});
  check::vmaps([&](auto& in) { return parts(fft::rfft(in[0], 0)); }, {x});
  check::vmaps([&](auto& in) { return parts(fft::rfftn(in[0])); }, {x});
  check::vmaps([&](auto& in) { return std::vector<array>{fft::irfft(in[0], 7, -1)}; }, {z});
  check::vmaps([&](auto& in) { return std::vector<array>{fft::irfft2(in[0])}; }, {z});
}

TEST(FftGrads, ThroughVmapAndGradOfGrad) {
  // grad of a real loss through fft inside vmap, and a second derivative (the rules are
  // written with ops).
  auto loss = [](const array& v) {
    auto y = fft::rfft(v);
    return add(sum(square(real(y))), sum(square(imag(y))));
  };
  auto g = grad(loss);
  auto x = rsig(8);
  // Parseval: sum |rfft(x)|^2 weights each kept bin; its gradient is linear in x.
  auto gx = g(x);
  auto h = vmap([&](const array& v) { return g(v); })(stack({x, x * array(2.0f)}));
  check::expect_same(squeeze(slice(h, {1, 0}, {2, 8}), 0), gx * array(2.0f), 1e-5);
  auto hv =
      jvp([&](const std::vector<array>& in) { return std::vector<array>{g(in[0])}; }, {x}, {x})
          .second[0];
  check::expect_same(hv, gx, 1e-5);
}
