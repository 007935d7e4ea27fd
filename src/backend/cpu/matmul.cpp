// Matmul, AddMM, GatherMM and SegmentedMM on the CPU: OpenBLAS GEMM for float32, float64 and
// complex64; float16 and bfloat16 are widened to float32 (SIMD conversions), multiplied with sgemm
// and rounded back (to nearest even), except bfloat16 matrix products on CPUs with AVX-512 BF16,
// which run on cpu::bf16_gemm (use_bf16_dot). AddMM copies c into the output and lets GEMM
// accumulate onto it (its beta); GatherMM and SegmentedMM run one GEMM per output matrix on views
// of the operands.
//
// Threading policy. The process-wide pool (cpu::num_threads() threads, the stream's worker
// included) and OpenBLAS's own threads must not compete for the cores:
//  - Few large GEMMs (or one) run one after another, each split by rows (or columns) over the
//    pool with single-threaded BLAS; only a large one with too few of both gets OpenBLAS's own
//    threads, which are ended after it (idle, they poll for a quarter of a second).
//  - Many small GEMMs set OpenBLAS to one thread and split the batch over the pool with
//    cpu::parallel_for, each chunk calling single-threaded BLAS.
// OpenBLAS's thread count is process-global, so both paths hold cpu::BlasThreads (a mutex) from
// setting it until their last BLAS call returns: matmuls on concurrent streams run one after the
// other, each with every core, rather than change the count under each other's calls. Other
// streams' elementwise work can still share the cores with a running GEMM; it is not locked out.
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <type_traits>

#include "backend/cpu/bf16_gemm.h"
#include "backend/cpu/blas.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/scratch.h"
#include "backend/cpu/strided.h"
#include "backend/cpu/thread_pool.h"
#include "mlx/backend/common/utils.h"
#include "ops/ops.h"

namespace mlx::core {

namespace {

// Multiply-adds per GEMM from which a GEMM gets every thread rather than run beside others
// (128^3; OpenBLAS's own threading starts at 64^3), and the least per chunk of a batch split
// over the pool.
constexpr size_t kLargeGemm = size_t(1) << 21;
constexpr size_t kBatchChunkWork = size_t(1) << 18;
// A lone product is split by rows (or else by columns) over the pool (see product_on) when every
// thread gets at least this many of them (two panels of OpenBLAS's kernels) and it has at least
// kSplitWork multiply-adds (OpenBLAS's own threshold for using threads).
constexpr int64_t kSplitRows = 64;
constexpr int64_t kSplitCols = 64;
constexpr size_t kSplitWork = size_t(1) << 18;

// BLAS computes in the input type, except for the 16-bit floats, computed in float32.
template <typename T>
using Acc =
    std::conditional_t<std::is_same_v<T, float16_t> || std::is_same_v<T, bfloat16_t>, float, T>;

// c = alpha op(a) op(b) + beta c, all row-major; c has leading dimension ldc.
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha, const float* a,
          int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, double alpha,
          const double* a, int lda, const double* b, int ldb, double beta, double* c, int ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, complex64_t alpha,
          const complex64_t* a, int lda, const complex64_t* b, int ldb, complex64_t beta,
          complex64_t* c, int ldc) {
  cblas_cgemm(CblasRowMajor, ta, tb, m, n, k, &alpha, a, lda, b, ldb, &beta, c, ldc);
}

// y (contiguous) = alpha op(a) x + beta y, a row-major rows x cols.
void gemv(CBLAS_TRANSPOSE ta, int rows, int cols, float alpha, const float* a, int lda,
          const float* x, int incx, float beta, float* y) {
  cblas_sgemv(CblasRowMajor, ta, rows, cols, alpha, a, lda, x, incx, beta, y, 1);
}

void gemv(CBLAS_TRANSPOSE ta, int rows, int cols, double alpha, const double* a, int lda,
          const double* x, int incx, double beta, double* y) {
  cblas_dgemv(CblasRowMajor, ta, rows, cols, alpha, a, lda, x, incx, beta, y, 1);
}

void gemv(CBLAS_TRANSPOSE ta, int rows, int cols, complex64_t alpha, const complex64_t* a, int lda,
          const complex64_t* x, int incx, complex64_t beta, complex64_t* y) {
  cblas_cgemv(CblasRowMajor, ta, rows, cols, &alpha, a, lda, x, incx, &beta, y, 1);
}

// A rows x cols matrix as BLAS reads it: a pointer, whether it is stored transposed, and the
// leading dimension.
template <typename T>
struct Operand {
  const T* ptr;
  CBLAS_TRANSPOSE trans;
  int ld;
};

// The operand BLAS can read in place, if the strides allow: unit stride along one dim and a
// leading dimension at least the other dim's size. A dim of size one may have any stride, since
// BLAS never steps along it.
template <typename T>
bool as_blas(const T* src, int64_t rows, int64_t cols, int64_t rs, int64_t cs, Operand<T>& op) {
  auto valid_ld = [](int64_t ld, int64_t min) {
    return ld >= std::max<int64_t>(min, 1) && ld <= INT_MAX;
  };
  if (cs == 1 || cols == 1) {
    int64_t ld = rows == 1 ? std::max<int64_t>(cols, 1) : rs;
    if (valid_ld(ld, cols)) {
      op = {src, CblasNoTrans, static_cast<int>(ld)};
      return true;
    }
  }
  if (rs == 1 || rows == 1) {
    int64_t ld = cols == 1 ? std::max<int64_t>(rows, 1) : cs;
    if (valid_ld(ld, rows)) {
      op = {src, CblasTrans, static_cast<int>(ld)};
      return true;
    }
  }
  return false;
}

using Scratch = cpu::ScratchBuffer;

// Runs fn(begin, end) over [0, rows), on the pool when `parallel`, sized so that a chunk moves
// about as many elements as an elementwise chunk.
template <typename F>
void for_rows(size_t rows, size_t cols, bool parallel, F&& fn) {
  cpu::parallel_for_if(parallel, rows,
                       std::max<size_t>(1, cpu::kElementwiseGrain / std::max<size_t>(cols, 1)), fn);
}

// Copies a strided rows x cols matrix into a row-major one, converting the type.
template <typename T>
constexpr Dtype dtype_of() {
  if constexpr (std::is_same_v<T, float16_t>) {
    return float16;
  } else if constexpr (std::is_same_v<T, bfloat16_t>) {
    return bfloat16;
  } else if constexpr (std::is_same_v<T, float>) {
    return float32;
  } else if constexpr (std::is_same_v<T, double>) {
    return float64;
  } else {
    return complex64;
  }
}

// Converts n contiguous elements with the SIMD conversion kernels: the 16-bit floats' scalar
// conversions would cost as much as the GEMM's own time on large products.
template <typename In, typename Out>
void convert_contiguous(cpu::TileFn fn, const In* src, Out* dst, size_t n) {
  const void* in[] = {src};
  fn(in, dst, n);
}

// Copies a strided rows x cols matrix into a row-major one, converting the type.
template <typename In, typename Out>
void pack(const In* src, int64_t rows, int64_t cols, int64_t rs, int64_t cs, Out* dst,
          bool parallel) {
  cpu::TileFn convert = cs == 1 ? cpu::convert_kernel(dtype_of<In>(), dtype_of<Out>()) : nullptr;
  for_rows(rows, cols, parallel, [&](size_t rb, size_t re) {
    for (size_t r = rb; r < re; ++r) {
      const In* s = src + static_cast<int64_t>(r) * rs;
      Out* d = dst + r * cols;
      if (convert) {
        convert_contiguous(convert, s, d, static_cast<size_t>(cols));
        continue;
      }
      for (int64_t c = 0; c < cols; ++c) {
        d[c] = static_cast<Out>(s[c * cs]);
      }
    }
  });
}

// The operand for a rows x cols matrix of T: read in place when BLAS can, else copied (and
// widened) into `scratch`, in whichever order reads the source along its smaller stride.
template <typename T>
Operand<Acc<T>> operand(const T* src, int64_t rows, int64_t cols, int64_t rs, int64_t cs,
                        Scratch& scratch, bool parallel) {
  Operand<Acc<T>> op;
  if constexpr (std::is_same_v<T, Acc<T>>) {
    if (as_blas(src, rows, cols, rs, cs, op)) {
      return op;
    }
  }
  auto* dst = scratch.get<Acc<T>>(static_cast<size_t>(rows * cols));
  if (std::abs(rs) < std::abs(cs)) {
    pack(src, cols, rows, cs, rs, dst, parallel);
    return {dst, CblasTrans, static_cast<int>(std::max<int64_t>(rows, 1))};
  }
  pack(src, rows, cols, rs, cs, dst, parallel);
  return {dst, CblasNoTrans, static_cast<int>(std::max<int64_t>(cols, 1))};
}

// c (row-major m x n, leading dimension ldc) = alpha a @ b + beta c. A product with one row or
// one column is a matrix-vector product: OpenBLAS's gemv is several times faster there than its
// gemm, which packs the matrix first.
template <typename T>
void product(const Operand<T>& a, const Operand<T>& b, int m, int n, int k, T alpha, T beta, T* c,
             int ldc) {
  if (n == 1 && ldc == 1) {
    // b is a column, stepping by its leading dim when stored as itself, by 1 when transposed.
    int incx = b.trans == CblasNoTrans ? b.ld : 1;
    if (a.trans == CblasNoTrans) {
      gemv(CblasNoTrans, m, k, alpha, a.ptr, a.ld, b.ptr, incx, beta, c);
    } else {
      gemv(CblasTrans, k, m, alpha, a.ptr, a.ld, b.ptr, incx, beta, c);
    }
  } else if (m == 1) {
    // c = b^T a^T, with a a row.
    int incx = a.trans == CblasNoTrans ? 1 : a.ld;
    if (b.trans == CblasNoTrans) {
      gemv(CblasTrans, k, n, alpha, b.ptr, b.ld, a.ptr, incx, beta, c);
    } else {
      gemv(CblasNoTrans, n, k, alpha, b.ptr, b.ld, a.ptr, incx, beta, c);
    }
  } else {
    gemm(a.trans, b.trans, m, n, k, alpha, a.ptr, a.ld, b.ptr, b.ld, beta, c, ldc);
  }
}

// How a product uses the cores: on the calling thread only (a chunk of a batch split over the
// pool), through BLAS as the current BlasThreads count says, or split over the pool with
// single-threaded BLAS.
enum class Par { serial, blas, split };

// product() of rows [0, m) of a and c; with Par::split, one block of rows (or, with too few rows,
// of columns) per thread runs on the pool, each a single-threaded GEMM. OpenBLAS's own threads
// would otherwise wake for the product and then spin beside the pool's workers through the
// elementwise ops that follow (a training step runs GEMMs and elementwise kernels by turns).
template <typename T>
void product_on(Par par, const Operand<T>& a, const Operand<T>& b, int m, int n, int k, T alpha,
                T beta, T* c) {
  const int threads = cpu::num_threads();
  if (par != Par::split) {
    product(a, b, m, n, k, alpha, beta, c, n);
    return;
  }
  const auto parts = static_cast<size_t>(threads);
  const bool by_rows = m >= kSplitRows * threads;
  cpu::parallel_for(parts, 1, [&](size_t pb, size_t pe) {
    for (size_t part = pb; part < pe; ++part) {
      const int64_t extent = by_rows ? m : n;
      const int i0 = static_cast<int>(extent * static_cast<int64_t>(part) / threads);
      const int i1 = static_cast<int>(extent * static_cast<int64_t>(part + 1) / threads);
      if (by_rows) {
        Operand<T> rows = a;
        rows.ptr += a.trans == CblasNoTrans ? static_cast<size_t>(i0) * a.ld : i0;
        product(rows, b, i1 - i0, n, k, alpha, beta, c + static_cast<size_t>(i0) * n, n);
      } else {
        Operand<T> cols = b;
        cols.ptr += b.trans == CblasNoTrans ? i0 : static_cast<size_t>(i0) * b.ld;
        product(a, cols, m, i1 - i0, k, alpha, beta, c + i0, n);
      }
    }
  });
}

// One product's sizes and each operand's row and column strides, in elements.
struct Layout {
  int64_t m, n, k;
  int64_t a_rs, a_cs, b_rs, b_cs;
};

// A batched product: the batch shape, each operand's batch strides and the matrices' layout.
// The output is row-contiguous.
struct Problem {
  Shape batch;
  Strides a_batch, b_batch;
  Layout mat;
  size_t count;  // batch entries

  // The element offsets of batch entry i in a and b.
  std::pair<int64_t, int64_t> offsets(size_t i) const {
    int64_t oa = 0;
    int64_t ob = 0;
    for (int d = static_cast<int>(batch.size()) - 1; d >= 0 && i > 0; --d) {
      auto idx = static_cast<int64_t>(i % batch[d]);
      i /= batch[d];
      oa += idx * a_batch[d];
      ob += idx * b_batch[d];
    }
    return {oa, ob};
  }
};

Layout make_layout(const array& a, const array& b) {
  size_t nb = a.ndim() - 2;
  size_t nbb = b.ndim() - 2;
  return {a.shape(-2),         b.shape(-1),      a.shape(-1),         a.strides()[nb],
          a.strides()[nb + 1], b.strides()[nbb], b.strides()[nbb + 1]};
}

Problem make_problem(const array& a, const array& b, const array& out) {
  Problem p;
  size_t nb = out.ndim() - 2;
  p.batch.assign(out.shape().begin(), out.shape().begin() + nb);
  p.a_batch.assign(a.strides().begin(), a.strides().begin() + nb);
  p.b_batch.assign(b.strides().begin(), b.strides().begin() + nb);
  p.mat = make_layout(a, b);
  p.count = 1;
  for (auto d : p.batch) {
    p.count *= static_cast<size_t>(d);
  }

  // (batch..., M, K) @ (K, N) broadcast over the batch is one (batch * M, K) @ (K, N) GEMM when
  // a's batch and row dims merge into one strided dim (the output's always do).
  bool b_broadcast = true;
  for (size_t d = 0; d < nb; ++d) {
    b_broadcast = b_broadcast && (p.batch[d] == 1 || p.b_batch[d] == 0);
  }
  if (p.count > 1 && b_broadcast && static_cast<int64_t>(p.count) * p.mat.m <= INT_MAX) {
    // Walk a's dims from the rows outwards: each one of size > 1 must step over those inside
    // it. Before the first such dim the row stride is free (BLAS never steps along a size-1 dim).
    int64_t rows = p.mat.m;
    int64_t rs = p.mat.a_rs;
    bool stepped = p.mat.m > 1;
    bool merges = true;
    for (int d = static_cast<int>(nb) - 1; d >= 0 && merges; --d) {
      if (p.batch[d] == 1) {
        continue;
      }
      if (!stepped) {
        rs = p.a_batch[d];
        stepped = true;
      } else {
        merges = p.a_batch[d] == rs * rows;
      }
      rows *= p.batch[d];
    }
    if (merges) {
      p.mat.m = rows;
      p.mat.a_rs = rs;
      p.batch.clear();
      p.a_batch.clear();
      p.b_batch.clear();
      p.count = 1;
    }
  }
  return p;
}

// Whether a bfloat16 product runs on the CPU's bfloat16 dot products (cpu::bf16_gemm) instead
// of widening to float32 for sgemm: matrix-matrix products (one row or one column stays a
// widened gemv) of at least kBf16DotWork multiply-adds, with alpha 1 (addmm's other alphas are
// rare; they keep the widened path, which applies alpha inside sgemm).
constexpr int64_t kBf16DotWork = int64_t(1) << 15;

bool use_bf16_dot(const Layout& p, float alpha) {
  return alpha == 1.0f && p.m > 1 && p.n > 1 && p.m * p.n * p.k >= kBf16DotWork &&
         cpu::has_bf16_dot();
}

// One product: c (row-major M x N) = alpha a @ b + beta c (c is not read when beta is 0).
template <typename T>
void gemm_entry(const Layout& p, const T* a, const T* b, T* c, Acc<T> alpha, Acc<T> beta,
                Scratch (&scratch)[3], Par par) {
  const bool parallel = par != Par::serial;
  auto mn = static_cast<size_t>(p.m * p.n);
  if (p.k == 0) {
    // An empty sum (BLAS wants leading dims of at least one even here).
    for_rows(p.m, p.n, parallel, [&](size_t rb, size_t re) {
      for (size_t i = rb * p.n; i < re * p.n; ++i) {
        c[i] = beta == Acc<T>(0) ? T(0) : static_cast<T>(beta * static_cast<Acc<T>>(c[i]));
      }
    });
    return;
  }
  const int m = static_cast<int>(p.m);
  const int n = static_cast<int>(p.n);
  const int k = static_cast<int>(p.k);
  auto product_into = [&](auto* out) {
    auto oa = operand(a, p.m, p.k, p.a_rs, p.a_cs, scratch[0], parallel);
    auto ob = operand(b, p.k, p.n, p.b_rs, p.b_cs, scratch[1], parallel);
    product_on(par, oa, ob, m, n, k, alpha, beta, out);
  };
  if constexpr (std::is_same_v<T, Acc<T>>) {
    product_into(c);
  } else {
    float* acc = scratch[2].get<float>(mn);
    // The bfloat16 kernel adds onto acc as it is, so beta is applied here.
    const bool dot = std::is_same_v<T, bfloat16_t> && use_bf16_dot(p, alpha);
    if (beta != 0.0f) {
      auto widen = cpu::convert_kernel(dtype_of<T>(), float32);
      for_rows(p.m, p.n, parallel, [&](size_t rb, size_t re) {
        convert_contiguous(widen, c + rb * p.n, acc + rb * p.n, (re - rb) * p.n);
        if (dot && beta != 1.0f) {
          for (size_t i = rb * p.n; i < re * p.n; ++i) {
            acc[i] *= beta;
          }
        }
      });
    }
    if constexpr (std::is_same_v<T, bfloat16_t>) {
      if (dot) {
        cpu::bf16_gemm(a, p.a_rs, p.a_cs, b, p.b_rs, p.b_cs, p.m, p.n, p.k, acc, p.n, beta != 0.0f,
                       parallel);
      }
    }
    if (!dot) {
      product_into(acc);
    }
    // Rounds to nearest even (astype's conversion).
    auto narrow = cpu::convert_kernel(float32, dtype_of<T>());
    for_rows(p.m, p.n, parallel, [&](size_t rb, size_t re) {
      convert_contiguous(narrow, acc + rb * p.n, c + rb * p.n, (re - rb) * p.n);
    });
  }
}

// Runs `count` products of `rows` x `cols`, the i-th being entry(i, scratch, par), with `work`
// multiply-adds each: few large ones one after another, each split by rows or columns over the
// pool with single-threaded BLAS (or, with too few of both, with OpenBLAS's threads if the work is
// large); many small ones split over the pool with single-threaded BLAS. Splitting rows ourselves
// measured faster than OpenBLAS's threads at every size on 2 cores (an MLP training step 8.8 -> 6.5
// ms, 2048^3 equal): its threads keep spinning after a GEMM, beside the pool's workers.
template <typename Entry>
void run_products(size_t count, int64_t rows, int64_t cols, size_t work, Entry&& entry) {
  int threads = cpu::num_threads();
  bool few_large = work >= kLargeGemm && count < static_cast<size_t>(threads);
  if (threads == 1 || count == 1 || few_large) {
    const bool split = threads > 1 && work >= kSplitWork &&
                       (rows >= kSplitRows * threads || cols >= kSplitCols * threads);
    cpu::BlasThreads blas(split ? 1 : cpu::blas_threads_for(work));
    Scratch scratch[3];
    for (size_t i = 0; i < count; ++i) {
      entry(i, scratch, split ? Par::split : Par::blas);
    }
    return;
  }
  cpu::BlasThreads blas(1);
  cpu::parallel_for(count, std::max<size_t>(1, kBatchChunkWork / std::max<size_t>(work, 1)),
                    [&](size_t begin, size_t end) {
                      Scratch scratch[3];
                      for (size_t i = begin; i < end; ++i) {
                        entry(i, scratch, Par::serial);
                      }
                    });
}

template <typename T>
void matmul(const array& a, const array& b, array& out, Acc<T> alpha, Acc<T> beta) {
  auto p = make_problem(a, b, out);
  const T* a_ptr = a.data<T>();
  const T* b_ptr = b.data<T>();
  T* c_ptr = out.data<T>();
  auto mn = static_cast<size_t>(p.mat.m * p.mat.n);
  run_products(p.count, p.mat.m, p.mat.n, mn * static_cast<size_t>(p.mat.k),
               [&](size_t i, Scratch(&scratch)[3], Par par) {
                 auto [oa, ob] = p.offsets(i);
                 gemm_entry(p.mat, a_ptr + oa, b_ptr + ob, c_ptr + i * mn, alpha, beta, scratch,
                            par);
               });
}

[[noreturn]] void unsupported(const char* name, Dtype dtype) {
  std::ostringstream msg;
  msg << "[" << name << "] Unsupported dtype " << dtype << ".";
  throw std::runtime_error(msg.str());
}

// fn(tag) with the C++ type of an inexact dtype.
template <typename F>
void dispatch_inexact(const char* name, Dtype dtype, F&& fn) {
  switch (dtype.val()) {
    case Dtype::Val::float32:
      return fn(float{});
    case Dtype::Val::float64:
      return fn(double{});
    case Dtype::Val::complex64:
      return fn(complex64_t{});
    case Dtype::Val::float16:
      return fn(float16_t{});
    case Dtype::Val::bfloat16:
      return fn(bfloat16_t{});
    default:
      unsupported(name, dtype);
  }
}

// The flat batch position of every index of an index array (any strides), checked against the
// number of matrices.
std::vector<uint32_t> read_indices(const char* name, const char* which, const array& idx,
                                   int64_t matrices) {
  std::vector<uint32_t> out(idx.size());
  const auto* p = idx.data<uint32_t>();
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = p[elem_to_loc(static_cast<int64_t>(i), idx)];
    if (out[i] >= matrices) {
      std::ostringstream msg;
      msg << "[" << name << "] " << which << " " << out[i] << " is out of range for " << matrices
          << " matrices.";
      throw std::runtime_error(msg.str());
    }
  }
  return out;
}

// The element offset of matrix `i` of x's flattened batch dims.
int64_t batch_offset(const array& x, int64_t i) {
  int64_t off = 0;
  for (int d = static_cast<int>(x.ndim()) - 3; d >= 0 && i > 0; --d) {
    off += (i % x.shape(d)) * x.strides()[d];
    i /= x.shape(d);
  }
  return off;
}

}  // namespace

void Matmul::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  if (out.size() == 0) {
    return;
  }
  dispatch_inexact("Matmul", out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    matmul<T>(inputs[0], inputs[1], out, Acc<T>(1), Acc<T>(0));
  });
}

void AddMM::eval_cpu(const std::vector<array>& inputs, array& out) {
  // c is GEMM's accumulator: copied into the output first (converted, made contiguous).
  if (beta() != 0.0f) {
    cpu::copy_to_contiguous(inputs[2], out);
  } else {
    out.set_data(allocator::malloc(out.nbytes()));
  }
  if (out.size() == 0) {
    return;
  }
  dispatch_inexact("AddMM", out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    matmul<T>(inputs[0], inputs[1], out, Acc<T>(alpha()), Acc<T>(beta()));
  });
}

void GatherMM::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& a = inputs[0];
  auto& b = inputs[1];
  out.set_data(allocator::malloc(out.nbytes()));
  int64_t a_mats = 1;
  int64_t b_mats = 1;
  for (size_t d = 0; d + 2 < a.ndim(); ++d) a_mats *= a.shape(d);
  for (size_t d = 0; d + 2 < b.ndim(); ++d) b_mats *= b.shape(d);
  auto lhs = read_indices("gather_mm", "lhs index", inputs[2], a_mats);
  auto rhs = read_indices("gather_mm", "rhs index", inputs[3], b_mats);
  if (out.size() == 0) {
    return;
  }
  auto mat = make_layout(a, b);
  auto mn = static_cast<size_t>(mat.m * mat.n);
  dispatch_inexact("GatherMM", out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* a_ptr = a.data<T>();
    const T* b_ptr = b.data<T>();
    T* c_ptr = out.data<T>();
    run_products(lhs.size(), mat.m, mat.n, mn * static_cast<size_t>(mat.k),
                 [&](size_t i, Scratch(&scratch)[3], Par par) {
                   gemm_entry(mat, a_ptr + batch_offset(a, lhs[i]), b_ptr + batch_offset(b, rhs[i]),
                              c_ptr + i * mn, Acc<T>(1), Acc<T>(0), scratch, par);
                 });
  });
}

void SegmentedMM::eval_cpu(const std::vector<array>& inputs, array& out) {
  auto& a = inputs[0];
  auto& b = inputs[1];
  auto& segments = inputs[2];
  out.set_data(allocator::malloc(out.nbytes()));
  auto count = segments.size() / 2;
  auto k = static_cast<uint32_t>(a.shape(1));
  std::vector<std::pair<uint32_t, uint32_t>> ranges(count);
  const auto* p = segments.data<uint32_t>();
  for (size_t i = 0; i < count; ++i) {
    auto start = p[elem_to_loc(static_cast<int64_t>(2 * i), segments)];
    auto end = p[elem_to_loc(static_cast<int64_t>(2 * i + 1), segments)];
    if (start > end || end > k) {
      std::ostringstream msg;
      msg << "[segmented_mm] Segment [" << start << ", " << end << ") is not a range within [0, "
          << k << "].";
      throw std::runtime_error(msg.str());
    }
    ranges[i] = {start, end};
  }
  if (out.size() == 0) {
    return;
  }
  auto whole = make_layout(a, b);
  auto mn = static_cast<size_t>(whole.m * whole.n);
  dispatch_inexact("SegmentedMM", out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* a_ptr = a.data<T>();
    const T* b_ptr = b.data<T>();
    T* c_ptr = out.data<T>();
    run_products(count, whole.m, whole.n,
                 mn * static_cast<size_t>(whole.k) / std::max<size_t>(count, 1),
                 [&](size_t i, Scratch(&scratch)[3], Par par) {
                   auto [start, end] = ranges[i];
                   Layout mat = whole;
                   mat.k = end - start;
                   gemm_entry(mat, a_ptr + start * whole.a_cs, b_ptr + start * whole.b_rs,
                              c_ptr + i * mn, Acc<T>(1), Acc<T>(0), scratch, par);
                 });
  });
}

}  // namespace mlx::core
