// FFTs on the CPU, with our own engine (the FFT libraries Debian ships are GPL, this project is
// MIT-style). Plans compute the unscaled forward DFT in float32 with twiddles computed in double;
// inverse transforms conjugate on the way in and out, and the norm's scale is applied when the
// results are written.
//
// A plan transforms several sequences ("lanes") at once, stored split (real parts and imaginary
// parts apart) and lane-interleaved: element j of lane b sits at [j * lanes + b]. Every butterfly
// loop then runs over contiguous lanes and vectorises at every stage. Lines along an axis are
// gathered into such blocks, transformed, and scattered back, blocks in parallel.
//
// - Stockham: self-sorting mixed radix (4, 2, 3, 5, and a direct butterfly for other primes up
//   to kMaxRadix), one pass per factor, twiddles per stage.
// - FourStep: a long sequence n = n1 * n2 (from kFourStepMin) as n2 columns of length n1 and n1
//   rows of length n2, each done by a Stockham plan on cache-sized blocks of 16 lanes, blocks
//   in parallel: every pass stays in cache and both cores work on one transform.
// - Bluestein: lengths with a larger prime factor, as a convolution with a chirp through a
//   power-of-two transform.
// - Real transforms of even length n go through a complex transform of n/2 (the even and odd
//   samples as real and imaginary parts) and a post-twiddle; odd lengths through a complex one.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <numbers>
#include <vector>

#include "backend/cpu/lines.h"
#include "backend/cpu/thread_pool.h"
#include "ops/fft.h"

namespace mlx::core {

namespace {

constexpr int kMaxRadix = 31;
constexpr size_t kFourStepMin = size_t{1} << 14;
constexpr size_t kLanes = 16;
// Floats of one part (real or imaginary) of a block that keeps a whole block in L2.
constexpr size_t kBlockFloats = size_t{1} << 15;

struct Split {
  float* re;
  float* im;
  Split offset(size_t k) const { return {re + k, im + k}; }
};

// Per-thread buffers (two parts each), reused across blocks and calls so that transforming many
// small lines does not touch fresh memory every time. Each user has its own slot.
enum Slot { kLineIn, kLineOut, kStepIn, kStepOut, kChirpA, kChirpB, kSlots };

Split scratch(Slot slot, size_t count) {
  thread_local std::vector<float> bufs[kSlots];
  auto& b = bufs[slot];
  if (b.size() < 2 * count) {
    b.assign(2 * count, 0.0f);
  }
  return {b.data(), b.data() + count};
}

void copy_split(Split from, Split to, size_t count) {
  std::memcpy(to.re, from.re, count * sizeof(float));
  std::memcpy(to.im, from.im, count * sizeof(float));
}

// e^{-2 pi i k / n}, with k reduced first so large products stay exact.
void twiddle(size_t k, size_t n, float& re, float& im) {
  double a = -2.0 * std::numbers::pi * static_cast<double>(k % n) / static_cast<double>(n);
  re = static_cast<float>(std::cos(a));
  im = static_cast<float>(std::sin(a));
}

class Plan {
 public:
  explicit Plan(size_t n) : n_(n) {}
  virtual ~Plan() = default;
  size_t size() const { return n_; }
  // Whether run() takes more than one lane.
  virtual bool batched() const = 0;
  // The unscaled forward DFT of `in` (clobbered) into `out`, n * lanes floats per part each.
  virtual void run(Split in, Split out, size_t lanes) const = 0;

 protected:
  size_t n_;
};

std::shared_ptr<const Plan> get_plan(size_t n);

// ---- Stockham ----

struct Stage {
  int radix;
  size_t m;                       // butterflies per sub-transform: the sub-length over the radix
  std::vector<float> wre, wim;    // twiddles: [p * (radix - 1) + k - 1] = w_{m*radix}^{p*k}
  std::vector<float> cosv, sinv;  // cos and sin of 2 pi k / radix, for the direct butterflies
};

// One stage: x holds the sub-transforms of length m * r at stride sb (floats), y receives
// them as r interleaved ones of length m at stride sb * r.
void radix2(const Stage& st, Split x, Split y, size_t sb) {
  const size_t m = st.m;
  for (size_t p = 0; p < m; ++p) {
    const float wr = st.wre[p], wi = st.wim[p];
    const float *x0r = x.re + sb * p, *x0i = x.im + sb * p;
    const float *x1r = x.re + sb * (p + m), *x1i = x.im + sb * (p + m);
    float *y0r = y.re + sb * 2 * p, *y0i = y.im + sb * 2 * p;
    float *y1r = y0r + sb, *y1i = y0i + sb;
    for (size_t t = 0; t < sb; ++t) {
      float ar = x0r[t], ai = x0i[t], br = x1r[t], bi = x1i[t];
      y0r[t] = ar + br;
      y0i[t] = ai + bi;
      float dr = ar - br, di = ai - bi;
      y1r[t] = dr * wr - di * wi;
      y1i[t] = dr * wi + di * wr;
    }
  }
}

void radix4(const Stage& st, Split x, Split y, size_t sb) {
  const size_t m = st.m;
  for (size_t p = 0; p < m; ++p) {
    const float* w = st.wre.data() + 3 * p;
    const float* v = st.wim.data() + 3 * p;
    const float w1r = w[0], w1i = v[0], w2r = w[1], w2i = v[1], w3r = w[2], w3i = v[2];
    const float *x0r = x.re + sb * p, *x0i = x.im + sb * p;
    const float *x1r = x0r + sb * m, *x1i = x0i + sb * m;
    const float *x2r = x1r + sb * m, *x2i = x1i + sb * m;
    const float *x3r = x2r + sb * m, *x3i = x2i + sb * m;
    float *y0r = y.re + sb * 4 * p, *y0i = y.im + sb * 4 * p;
    float *y1r = y0r + sb, *y1i = y0i + sb;
    float *y2r = y1r + sb, *y2i = y1i + sb;
    float *y3r = y2r + sb, *y3i = y2i + sb;
    for (size_t t = 0; t < sb; ++t) {
      float s0r = x0r[t] + x2r[t], s0i = x0i[t] + x2i[t];
      float d0r = x0r[t] - x2r[t], d0i = x0i[t] - x2i[t];
      float s1r = x1r[t] + x3r[t], s1i = x1i[t] + x3i[t];
      float d1r = x1r[t] - x3r[t], d1i = x1i[t] - x3i[t];
      y0r[t] = s0r + s1r;
      y0i[t] = s0i + s1i;
      // b1 = d0 - i d1, b2 = s0 - s1, b3 = d0 + i d1.
      float b1r = d0r + d1i, b1i = d0i - d1r;
      float b2r = s0r - s1r, b2i = s0i - s1i;
      float b3r = d0r - d1i, b3i = d0i + d1r;
      y1r[t] = b1r * w1r - b1i * w1i;
      y1i[t] = b1r * w1i + b1i * w1r;
      y2r[t] = b2r * w2r - b2i * w2i;
      y2i[t] = b2r * w2i + b2i * w2r;
      y3r[t] = b3r * w3r - b3i * w3i;
      y3i[t] = b3r * w3i + b3i * w3r;
    }
  }
}

// An odd radix r as a direct DFT that pairs a_j with a_{r-j}: b_k = a_0 + sum_j (a_j + a_{r-j})
// cos(2 pi jk/r) - i (a_j - a_{r-j}) sin(2 pi jk/r), and b_{r-k} the same with +i. R is the radix
// when known at compile time (so the small ones unroll), else 0.
template <int R>
void radix_odd(const Stage& st, Split x, Split y, size_t sb) {
  const int r = R ? R : st.radix;
  const int h = (r - 1) / 2;
  const size_t m = st.m;
  const float* cs = st.cosv.data();
  const float* sn = st.sinv.data();
  constexpr int kMax = R ? R : kMaxRadix;
  for (size_t p = 0; p < m; ++p) {
    const float* wr = st.wre.data() + (r - 1) * p;
    const float* wi = st.wim.data() + (r - 1) * p;
    for (size_t t = 0; t < sb; ++t) {
      float spr[kMax], spi[kMax], smr[kMax], smi[kMax];
      const float a0r = x.re[sb * p + t], a0i = x.im[sb * p + t];
      float b0r = a0r, b0i = a0i;
      for (int j = 1; j <= h; ++j) {
        size_t lo = sb * (p + j * m) + t, hi = sb * (p + (r - j) * m) + t;
        spr[j] = x.re[lo] + x.re[hi];
        spi[j] = x.im[lo] + x.im[hi];
        smr[j] = x.re[lo] - x.re[hi];
        smi[j] = x.im[lo] - x.im[hi];
        b0r += spr[j];
        b0i += spi[j];
      }
      y.re[sb * r * p + t] = b0r;
      y.im[sb * r * p + t] = b0i;
      for (int k = 1; k <= h; ++k) {
        float ar = a0r, ai = a0i, br = 0.0f, bi = 0.0f;
        for (int j = 1; j <= h; ++j) {
          int jk = (j * k) % r;
          ar += spr[j] * cs[jk];
          ai += spi[j] * cs[jk];
          br += smr[j] * sn[jk];
          bi += smi[j] * sn[jk];
        }
        // b_k = A - iB, b_{r-k} = A + iB, then the twiddles.
        float ukr = ar + bi, uki = ai - br;
        float vkr = ar - bi, vki = ai + br;
        size_t ok = sb * (r * p + k) + t, on = sb * (r * p + r - k) + t;
        float w1r = wr[k - 1], w1i = wi[k - 1], w2r = wr[r - k - 1], w2i = wi[r - k - 1];
        y.re[ok] = ukr * w1r - uki * w1i;
        y.im[ok] = ukr * w1i + uki * w1r;
        y.re[on] = vkr * w2r - vki * w2i;
        y.im[on] = vkr * w2i + vki * w2r;
      }
    }
  }
}

class Stockham : public Plan {
 public:
  explicit Stockham(size_t n) : Plan(n) {
    std::vector<int> radices;
    size_t rest = n;
    while (rest % 4 == 0) {
      radices.push_back(4);
      rest /= 4;
    }
    for (int r = 2; rest > 1; ++r) {
      while (rest % r == 0) {
        radices.push_back(r);
        rest /= r;
      }
    }
    size_t len = n;
    for (int r : radices) {
      Stage st;
      st.radix = r;
      st.m = len / r;
      st.wre.resize(st.m * (r - 1));
      st.wim.resize(st.m * (r - 1));
      for (size_t p = 0; p < st.m; ++p) {
        for (int k = 1; k < r; ++k) {
          twiddle(p * k, len, st.wre[p * (r - 1) + k - 1], st.wim[p * (r - 1) + k - 1]);
        }
      }
      for (int k = 0; k < r; ++k) {
        double a = 2.0 * std::numbers::pi * k / r;
        st.cosv.push_back(static_cast<float>(std::cos(a)));
        st.sinv.push_back(static_cast<float>(std::sin(a)));
      }
      stages_.push_back(std::move(st));
      len /= r;
    }
  }
  bool batched() const override { return true; }

  void run(Split in, Split out, size_t lanes) const override {
    Split x = in, y = out;
    size_t sb = lanes;
    for (auto& st : stages_) {
      switch (st.radix) {
        case 2:
          radix2(st, x, y, sb);
          break;
        case 4:
          radix4(st, x, y, sb);
          break;
        case 3:
          radix_odd<3>(st, x, y, sb);
          break;
        case 5:
          radix_odd<5>(st, x, y, sb);
          break;
        default:
          radix_odd<0>(st, x, y, sb);
      }
      std::swap(x, y);
      sb *= st.radix;
    }
    if (x.re != out.re) {
      copy_split(x, out, n_ * lanes);
    }
  }

 private:
  std::vector<Stage> stages_;
};

// ---- four-step ----

class FourStep : public Plan {
 public:
  FourStep(size_t n, size_t n1)
      : Plan(n),
        n1_(n1),
        n2_(n / n1),
        cols_(std::make_shared<Stockham>(n1_)),
        rows_(std::make_shared<Stockham>(n2_)) {
    tre_.resize(n);
    tim_.resize(n);
    for (size_t k1 = 0; k1 < n1_; ++k1) {
      for (size_t j2 = 0; j2 < n2_; ++j2) {
        twiddle(k1 * j2, n, tre_[k1 * n2_ + j2], tim_[k1 * n2_ + j2]);
      }
    }
  }
  bool batched() const override { return false; }

  // x[n2 j1 + j2] as a matrix of n1 rows: a DFT down each column, the twiddles w_n^{k1 j2},
  // then a DFT along each row, whose result k2 of row k1 is X[k1 + n1 k2].
  void run(Split in, Split out, size_t) const override {
    const size_t n1 = n1_, n2 = n2_;
    cpu::parallel_for((n2 + kLanes - 1) / kLanes, 1, [&](size_t b0, size_t b1) {
      Split u = scratch(kStepIn, n1 * kLanes), v = scratch(kStepOut, n1 * kLanes);
      for (size_t blk = b0; blk < b1; ++blk) {
        const size_t j0 = blk * kLanes, L = std::min(kLanes, n2 - j0);
        for (size_t j1 = 0; j1 < n1; ++j1) {
          for (size_t b = 0; b < L; ++b) {
            u.re[j1 * L + b] = in.re[j1 * n2 + j0 + b];
            u.im[j1 * L + b] = in.im[j1 * n2 + j0 + b];
          }
        }
        cols_->run(u, v, L);
        for (size_t k1 = 0; k1 < n1; ++k1) {
          for (size_t b = 0; b < L; ++b) {
            const size_t i = k1 * n2 + j0 + b;
            float ar = v.re[k1 * L + b], ai = v.im[k1 * L + b];
            in.re[i] = ar * tre_[i] - ai * tim_[i];
            in.im[i] = ar * tim_[i] + ai * tre_[i];
          }
        }
      }
    });
    cpu::parallel_for((n1 + kLanes - 1) / kLanes, 1, [&](size_t b0, size_t b1) {
      Split u = scratch(kStepIn, n2 * kLanes), v = scratch(kStepOut, n2 * kLanes);
      for (size_t blk = b0; blk < b1; ++blk) {
        const size_t k0 = blk * kLanes, L = std::min(kLanes, n1 - k0);
        for (size_t b = 0; b < L; ++b) {
          for (size_t j2 = 0; j2 < n2; ++j2) {
            u.re[j2 * L + b] = in.re[(k0 + b) * n2 + j2];
            u.im[j2 * L + b] = in.im[(k0 + b) * n2 + j2];
          }
        }
        rows_->run(u, v, L);
        for (size_t k2 = 0; k2 < n2; ++k2) {
          for (size_t b = 0; b < L; ++b) {
            out.re[k0 + b + n1 * k2] = v.re[k2 * L + b];
            out.im[k0 + b + n1 * k2] = v.im[k2 * L + b];
          }
        }
      }
    });
  }

 private:
  size_t n1_, n2_;
  std::shared_ptr<const Plan> cols_, rows_;
  std::vector<float> tre_, tim_;
};

// ---- Bluestein ----

// With c_j = e^{-i pi j^2 / n}, X_k = c_k sum_j (x_j c_j) conj(c_{k-j}): a circular convolution
// of length m >= 2n - 1, done as two transforms of m and a product with the transformed chirp.
class Bluestein : public Plan {
 public:
  explicit Bluestein(size_t n) : Plan(n) {
    m_ = 1;
    while (m_ < 2 * n - 1) {
      m_ *= 2;
    }
    inner_ = get_plan(m_);
    cre_.resize(n);
    cim_.resize(n);
    for (size_t j = 0; j < n; ++j) {
      // j^2 mod 2n keeps the angle exact for large j.
      twiddle((j * j) % (2 * n), 2 * n, cre_[j], cim_[j]);
    }
    std::vector<float> hr(2 * m_, 0.0f), hi(2 * m_, 0.0f);
    Split h{hr.data(), hi.data()};
    for (size_t j = 0; j < n; ++j) {
      h.re[j] = cre_[j];
      h.im[j] = -cim_[j];
      if (j > 0) {
        h.re[m_ - j] = cre_[j];
        h.im[m_ - j] = -cim_[j];
      }
    }
    bre_.resize(m_);
    bim_.resize(m_);
    inner_->run(h, {bre_.data(), bim_.data()}, 1);
    // The 1/m of the inverse transform, folded in.
    for (size_t k = 0; k < m_; ++k) {
      bre_[k] /= static_cast<float>(m_);
      bim_[k] /= static_cast<float>(m_);
    }
  }
  bool batched() const override { return inner_->batched(); }

  void run(Split in, Split out, size_t lanes) const override {
    Split a = scratch(kChirpA, m_ * lanes), b = scratch(kChirpB, m_ * lanes);
    for (size_t j = 0; j < n_; ++j) {
      const float cr = cre_[j], ci = cim_[j];
      for (size_t l = 0; l < lanes; ++l) {
        const size_t i = j * lanes + l;
        a.re[i] = in.re[i] * cr - in.im[i] * ci;
        a.im[i] = in.re[i] * ci + in.im[i] * cr;
      }
    }
    std::fill(a.re + n_ * lanes, a.re + m_ * lanes, 0.0f);
    std::fill(a.im + n_ * lanes, a.im + m_ * lanes, 0.0f);
    inner_->run(a, b, lanes);
    // The inverse transform as conj(F(conj(.))).
    for (size_t k = 0; k < m_; ++k) {
      const float hr = bre_[k], hi = bim_[k];
      for (size_t l = 0; l < lanes; ++l) {
        const size_t i = k * lanes + l;
        a.re[i] = b.re[i] * hr - b.im[i] * hi;
        a.im[i] = -(b.re[i] * hi + b.im[i] * hr);
      }
    }
    inner_->run(a, b, lanes);
    for (size_t k = 0; k < n_; ++k) {
      const float cr = cre_[k], ci = cim_[k];
      for (size_t l = 0; l < lanes; ++l) {
        const size_t i = k * lanes + l;
        const float zr = b.re[i], zi = -b.im[i];
        out.re[i] = zr * cr - zi * ci;
        out.im[i] = zr * ci + zi * cr;
      }
    }
  }

 private:
  size_t m_;
  std::shared_ptr<const Plan> inner_;
  std::vector<float> cre_, cim_, bre_, bim_;
};

// ---- plan selection and caches ----

size_t largest_prime_factor(size_t n) {
  size_t big = 1;
  for (size_t p = 2; p * p <= n; ++p) {
    while (n % p == 0) {
      big = p;
      n /= p;
    }
  }
  return std::max(big, n);
}

// The divisor of n nearest sqrt(n) from below: the shorter side of a four-step split.
size_t four_step_split(size_t n) {
  size_t d = static_cast<size_t>(std::sqrt(static_cast<double>(n)));
  while (d > 1 && n % d != 0) {
    --d;
  }
  return d;
}

std::shared_ptr<const Plan> make_plan(size_t n) {
  if (largest_prime_factor(n) > kMaxRadix) {
    return std::make_shared<Bluestein>(n);
  }
  if (n >= kFourStepMin) {
    size_t n1 = four_step_split(n);
    if (n1 >= kLanes) {
      return std::make_shared<FourStep>(n, n1);
    }
  }
  return std::make_shared<Stockham>(n);
}

// Plans (and the real transforms' post-twiddles) live in a small cache: programs use few
// lengths, and a plan costs O(n) twiddles to build.
template <typename T>
class Cache {
 public:
  template <typename Make>
  std::shared_ptr<const T> get(size_t n, Make make) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = items_.find(n);
      if (it != items_.end()) {
        return it->second;
      }
    }
    // Built outside the lock: a Bluestein plan asks the cache for its inner plan.
    std::shared_ptr<const T> item = make(n);
    std::lock_guard<std::mutex> lock(mu_);
    if (items_.size() >= 64) {
      items_.clear();
    }
    return items_.emplace(n, item).first->second;
  }

 private:
  std::mutex mu_;
  std::map<size_t, std::shared_ptr<const T>> items_;
};

std::shared_ptr<const Plan> get_plan(size_t n) {
  static Cache<Plan> cache;
  return cache.get(n, make_plan);
}

// w_n^k for k in [0, n/2]: the post-twiddles of a real transform of even length n.
struct RealTwiddles {
  std::vector<float> re, im;
};

std::shared_ptr<const RealTwiddles> get_real_twiddles(size_t n) {
  static Cache<RealTwiddles> cache;
  return cache.get(n, [](size_t len) {
    auto t = std::make_shared<RealTwiddles>();
    t->re.resize(len / 2 + 1);
    t->im.resize(len / 2 + 1);
    for (size_t k = 0; k <= len / 2; ++k) {
      twiddle(k, len, t->re[k], t->im[k]);
    }
    return t;
  });
}

// ---- lines ----

// The lines along one axis of a row-contiguous array: line l starts at start(l) and its
// elements are `inner` apart; `len` differs between input and output of a real transform.
struct Axis {
  size_t outer = 1, inner = 1;
  Axis(const Shape& shape, int axis) {
    for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
      if (d < axis) outer *= shape[d];
      if (d > axis) inner *= shape[d];
    }
  }
  size_t count() const { return outer * inner; }
  size_t start(size_t l, size_t len) const { return (l / inner) * len * inner + l % inner; }
};

// Part `index` of `parts` equal parts of a loop over [0, count): gathers and scatters of one
// long line run in parallel, each thread on a part.
struct Part {
  size_t index = 0, parts = 1;
  size_t begin(size_t count) const { return count * index / parts; }
  size_t end(size_t count) const { return count * (index + 1) / parts; }
};

// Runs gather(l0, lanes, buffer, part), the plan, and scatter(l0, lanes, result, part) over
// blocks of lines. Plans that take lanes get blocks that fit in cache, in parallel; the others
// take one (long) line at a time, parallel inside, and its gather and scatter in parts.
template <typename Gather, typename Scatter>
void for_blocks(const Plan& plan, size_t lines, const Gather& gather, const Scatter& scatter) {
  const size_t h = plan.size();
  if (!plan.batched()) {
    Split u = scratch(kLineIn, h), v = scratch(kLineOut, h);
    const size_t parts = 4 * static_cast<size_t>(cpu::num_threads());
    for (size_t l = 0; l < lines; ++l) {
      cpu::parallel_for(parts, 1, [&](size_t c0, size_t c1) {
        for (size_t c = c0; c < c1; ++c) gather(l, 1, u, Part{c, parts});
      });
      plan.run(u, v, 1);
      cpu::parallel_for(parts, 1, [&](size_t c0, size_t c1) {
        for (size_t c = c0; c < c1; ++c) scatter(l, 1, v, Part{c, parts});
      });
    }
    return;
  }
  const size_t lanes = std::clamp<size_t>(kBlockFloats / h, 1, kLanes);
  const size_t blocks = (lines + lanes - 1) / lanes;
  const size_t grain = std::max<size_t>(1, (size_t{1} << 16) / (h * lanes));
  cpu::parallel_for(blocks, grain, [&](size_t b0, size_t b1) {
    Split u = scratch(kLineIn, h * lanes), v = scratch(kLineOut, h * lanes);
    for (size_t blk = b0; blk < b1; ++blk) {
      const size_t l0 = blk * lanes, count = std::min(lanes, lines - l0);
      gather(l0, count, u, Part{});
      plan.run(u, v, count);
      scatter(l0, count, v, Part{});
    }
  });
}

// Complex to complex along `axis`, from x to y (which may be the same buffer).
void c2c(const complex64_t* x, complex64_t* y, const Shape& shape, int axis, bool inverse,
         float scale) {
  const Axis ax(shape, axis);
  const size_t n = shape[axis];
  const float sign = inverse ? -1.0f : 1.0f;
  auto plan = get_plan(n);
  for_blocks(
      *plan, ax.count(),
      [&](size_t l0, size_t lanes, Split u, Part part) {
        for (size_t b = 0; b < lanes; ++b) {
          const complex64_t* src = x + ax.start(l0 + b, n);
          for (size_t j = part.begin(n); j < part.end(n); ++j) {
            u.re[j * lanes + b] = src[j * ax.inner].real();
            u.im[j * lanes + b] = sign * src[j * ax.inner].imag();
          }
        }
      },
      [&](size_t l0, size_t lanes, Split v, Part part) {
        const float si = sign * scale;
        for (size_t b = 0; b < lanes; ++b) {
          complex64_t* dst = y + ax.start(l0 + b, n);
          for (size_t k = part.begin(n); k < part.end(n); ++k) {
            dst[k * ax.inner] = complex64_t(v.re[k * lanes + b] * scale, v.im[k * lanes + b] * si);
          }
        }
      });
}

// Real to complex along `axis`: n real values in, n/2 + 1 frequencies out.
void r2c(const float* x, complex64_t* y, const Shape& in_shape, int axis, float scale) {
  const Axis ax(in_shape, axis);
  const size_t n = in_shape[axis], m = n / 2 + 1;
  if (n % 2 == 1) {
    auto plan = get_plan(n);
    for_blocks(
        *plan, ax.count(),
        [&](size_t l0, size_t lanes, Split u, Part part) {
          for (size_t b = 0; b < lanes; ++b) {
            const float* src = x + ax.start(l0 + b, n);
            for (size_t j = part.begin(n); j < part.end(n); ++j) {
              u.re[j * lanes + b] = src[j * ax.inner];
              u.im[j * lanes + b] = 0.0f;
            }
          }
        },
        [&](size_t l0, size_t lanes, Split v, Part part) {
          for (size_t b = 0; b < lanes; ++b) {
            complex64_t* dst = y + ax.start(l0 + b, m);
            for (size_t k = part.begin(m); k < part.end(m); ++k) {
              dst[k * ax.inner] =
                  complex64_t(v.re[k * lanes + b] * scale, v.im[k * lanes + b] * scale);
            }
          }
        });
    return;
  }
  // z_j = x_{2j} + i x_{2j+1} has Z_k = E_k + i O_k (E, O: the transforms of the even and odd
  // samples), so E_k = (Z_k + conj Z_{h-k}) / 2, O_k = -i (Z_k - conj Z_{h-k}) / 2 and
  // X_k = E_k + w_n^k O_k.
  const size_t h = n / 2;
  auto plan = get_plan(h);
  auto tw = get_real_twiddles(n);
  for_blocks(
      *plan, ax.count(),
      [&](size_t l0, size_t lanes, Split u, Part part) {
        for (size_t b = 0; b < lanes; ++b) {
          const float* src = x + ax.start(l0 + b, n);
          for (size_t j = part.begin(h); j < part.end(h); ++j) {
            u.re[j * lanes + b] = src[2 * j * ax.inner];
            u.im[j * lanes + b] = src[(2 * j + 1) * ax.inner];
          }
        }
      },
      [&](size_t l0, size_t lanes, Split v, Part part) {
        const float half = 0.5f * scale;
        for (size_t b = 0; b < lanes; ++b) {
          complex64_t* dst = y + ax.start(l0 + b, m);
          for (size_t k = part.begin(m); k < part.end(m); ++k) {
            const size_t i = (k % h) * lanes + b, c = ((h - k) % h) * lanes + b;
            const float zr = v.re[i], zi = v.im[i], cr = v.re[c], ci = -v.im[c];
            const float er = zr + cr, ei = zi + ci;
            const float or_ = zi - ci, oi = cr - zr;
            const float wr = tw->re[k], wi = tw->im[k];
            dst[k * ax.inner] =
                complex64_t((er + or_ * wr - oi * wi) * half, (ei + or_ * wi + oi * wr) * half);
          }
        }
      });
}

// Complex to real along `axis`: n/2 + 1 frequencies in (a Hermitian spectrum: the imaginary
// parts of X_0 and, for even n, X_{n/2} are ignored), n real values out.
void c2r(const complex64_t* x, float* y, const Shape& out_shape, int axis, float scale) {
  const Axis ax(out_shape, axis);
  const size_t n = out_shape[axis], m = n / 2 + 1;
  if (n % 2 == 1) {
    // The whole spectrum, conjugated for the inverse: conj X_k at k and X_k at n - k.
    auto plan = get_plan(n);
    for_blocks(
        *plan, ax.count(),
        [&](size_t l0, size_t lanes, Split u, Part part) {
          for (size_t b = 0; b < lanes; ++b) {
            const complex64_t* src = x + ax.start(l0 + b, m);
            if (part.begin(m) == 0) {
              u.re[b] = src[0].real();
              u.im[b] = 0.0f;
            }
            for (size_t k = std::max<size_t>(1, part.begin(m)); k < part.end(m); ++k) {
              const complex64_t z = src[k * ax.inner];
              u.re[k * lanes + b] = z.real();
              u.im[k * lanes + b] = -z.imag();
              u.re[(n - k) * lanes + b] = z.real();
              u.im[(n - k) * lanes + b] = z.imag();
            }
          }
        },
        [&](size_t l0, size_t lanes, Split v, Part part) {
          for (size_t b = 0; b < lanes; ++b) {
            float* dst = y + ax.start(l0 + b, n);
            for (size_t j = part.begin(n); j < part.end(n); ++j) {
              dst[j * ax.inner] = v.re[j * lanes + b] * scale;
            }
          }
        });
    return;
  }
  // The reverse of r2c: E_k = X_k + conj X_{h-k}, O_k = (X_k - conj X_{h-k}) w_n^{-k}, and the
  // inverse transform of Z = E + i O of length h holds x_{2j} + i x_{2j+1} (times n, unscaled).
  const size_t h = n / 2;
  auto plan = get_plan(h);
  auto tw = get_real_twiddles(n);
  for_blocks(
      *plan, ax.count(),
      [&](size_t l0, size_t lanes, Split u, Part part) {
        for (size_t b = 0; b < lanes; ++b) {
          const complex64_t* src = x + ax.start(l0 + b, m);
          for (size_t k = part.begin(h); k < part.end(h); ++k) {
            const complex64_t a = src[k * ax.inner], c = src[(h - k) * ax.inner];
            const float ar = a.real(), ai = k == 0 ? 0.0f : a.imag();
            const float cr = c.real(), ci = k == 0 ? 0.0f : -c.imag();
            const float er = ar + cr, ei = ai + ci;
            const float dr = ar - cr, di = ai - ci;
            // (d) times conj(w_n^k).
            const float wr = tw->re[k], wi = -tw->im[k];
            const float or_ = dr * wr - di * wi, oi = dr * wi + di * wr;
            // Z = E + i O, stored conjugated for the inverse.
            u.re[k * lanes + b] = er - oi;
            u.im[k * lanes + b] = -(ei + or_);
          }
        }
      },
      [&](size_t l0, size_t lanes, Split v, Part part) {
        for (size_t b = 0; b < lanes; ++b) {
          float* dst = y + ax.start(l0 + b, n);
          for (size_t j = part.begin(h); j < part.end(h); ++j) {
            dst[2 * j * ax.inner] = v.re[j * lanes + b] * scale;
            dst[(2 * j + 1) * ax.inner] = -v.im[j * lanes + b] * scale;
          }
        }
      });
}

float norm_scale(fft::FFTNorm norm, bool inverse, size_t n) {
  switch (norm) {
    case fft::FFTNorm::Backward:
      return inverse ? static_cast<float>(1.0 / static_cast<double>(n)) : 1.0f;
    case fft::FFTNorm::Forward:
      return inverse ? 1.0f : static_cast<float>(1.0 / static_cast<double>(n));
    case fft::FFTNorm::Ortho:
      return static_cast<float>(1.0 / std::sqrt(static_cast<double>(n)));
  }
  return 1.0f;
}

}  // namespace

void FFT::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  auto in = cpu::contiguous_input(inputs[0]);
  const auto& ax = axes();
  const size_t last = ax.size() - 1;
  auto scale = [&](size_t i) { return norm_scale(norm(), inverse(), n()[i]); };
  if (!real()) {
    const complex64_t* src = in.data<complex64_t>();
    for (size_t i = 0; i < ax.size(); ++i) {
      c2c(src, out.data<complex64_t>(), out.shape(), ax[i], inverse(), scale(i));
      src = out.data<complex64_t>();
    }
  } else if (!inverse()) {
    r2c(in.data<float>(), out.data<complex64_t>(), in.shape(), ax[last], scale(last));
    for (size_t i = 0; i < last; ++i) {
      c2c(out.data<complex64_t>(), out.data<complex64_t>(), out.shape(), ax[i], false, scale(i));
    }
  } else {
    // The complex axes first (the reverse of rfftn), then the real one.
    array spectrum = in;
    if (last > 0) {
      spectrum = array(in.shape(), complex64, nullptr, {});
      spectrum.set_data(allocator::malloc(spectrum.nbytes()));
      const complex64_t* src = in.data<complex64_t>();
      for (size_t i = 0; i < last; ++i) {
        c2c(src, spectrum.data<complex64_t>(), in.shape(), ax[i], true, scale(i));
        src = spectrum.data<complex64_t>();
      }
    }
    c2r(spectrum.data<complex64_t>(), out.data<float>(), out.shape(), ax[last], scale(last));
  }
}

}  // namespace mlx::core
