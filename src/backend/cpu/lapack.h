// Internal: the LAPACK routines (OpenBLAS's) the linalg kernels call, with overloads on float and
// double. Debian ships no LAPACKE header, so the Fortran symbols are declared here: every
// argument by pointer, column-major matrices, and the hidden length of each character argument
// passed at the end, as gfortran expects.
#pragma once

#include <algorithm>
#include <complex>
#include <cstddef>
#include <vector>

extern "C" {
using lapack_len = std::size_t;

void sgetrf_(const int* m, const int* n, float* a, const int* lda, int* ipiv, int* info);
void dgetrf_(const int* m, const int* n, double* a, const int* lda, int* ipiv, int* info);
void sgetri_(const int* n, float* a, const int* lda, const int* ipiv, float* work, const int* lwork,
             int* info);
void dgetri_(const int* n, double* a, const int* lda, const int* ipiv, double* work,
             const int* lwork, int* info);
void sgetrs_(const char* trans, const int* n, const int* nrhs, const float* a, const int* lda,
             const int* ipiv, float* b, const int* ldb, int* info, lapack_len);
void dgetrs_(const char* trans, const int* n, const int* nrhs, const double* a, const int* lda,
             const int* ipiv, double* b, const int* ldb, int* info, lapack_len);
void strtri_(const char* uplo, const char* diag, const int* n, float* a, const int* lda, int* info,
             lapack_len, lapack_len);
void dtrtri_(const char* uplo, const char* diag, const int* n, double* a, const int* lda, int* info,
             lapack_len, lapack_len);
void strtrs_(const char* uplo, const char* trans, const char* diag, const int* n, const int* nrhs,
             const float* a, const int* lda, float* b, const int* ldb, int* info, lapack_len,
             lapack_len, lapack_len);
void dtrtrs_(const char* uplo, const char* trans, const char* diag, const int* n, const int* nrhs,
             const double* a, const int* lda, double* b, const int* ldb, int* info, lapack_len,
             lapack_len, lapack_len);
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, lapack_len);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, lapack_len);
void sgeqrf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work,
             const int* lwork, int* info);
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work,
             const int* lwork, int* info);
void sorgqr_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau,
             float* work, const int* lwork, int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau,
             double* work, const int* lwork, int* info);
void sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda, float* s,
             float* u, const int* ldu, float* vt, const int* ldvt, float* work, const int* lwork,
             int* iwork, int* info, lapack_len);
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s,
             double* u, const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork,
             int* iwork, int* info, lapack_len);
void sgeev_(const char* jobvl, const char* jobvr, const int* n, float* a, const int* lda, float* wr,
            float* wi, float* vl, const int* ldvl, float* vr, const int* ldvr, float* work,
            const int* lwork, int* info, lapack_len, lapack_len);
void dgeev_(const char* jobvl, const char* jobvr, const int* n, double* a, const int* lda,
            double* wr, double* wi, double* vl, const int* ldvl, double* vr, const int* ldvr,
            double* work, const int* lwork, int* info, lapack_len, lapack_len);
void ssyevd_(const char* jobz, const char* uplo, const int* n, float* a, const int* lda, float* w,
             float* work, const int* lwork, int* iwork, const int* liwork, int* info, lapack_len,
             lapack_len);
void cgesdd_(const char* jobz, const int* m, const int* n, std::complex<float>* a, const int* lda,
             float* s, std::complex<float>* u, const int* ldu, std::complex<float>* vt,
             const int* ldvt, std::complex<float>* work, const int* lwork, float* rwork, int* iwork,
             int* info, lapack_len);
void cgeev_(const char* jobvl, const char* jobvr, const int* n, std::complex<float>* a,
            const int* lda, std::complex<float>* w, std::complex<float>* vl, const int* ldvl,
            std::complex<float>* vr, const int* ldvr, std::complex<float>* work, const int* lwork,
            float* rwork, int* info, lapack_len, lapack_len);
void cheevd_(const char* jobz, const char* uplo, const int* n, std::complex<float>* a,
             const int* lda, float* w, std::complex<float>* work, const int* lwork, float* rwork,
             const int* lrwork, int* iwork, const int* liwork, int* info, lapack_len, lapack_len);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info, lapack_len,
             lapack_len);
}

namespace mlx::core::cpu::lapack {

// Each returns LAPACK's info. A workspace size of -1 asks for the optimal size in work[0].

#define MLX_LAPACK_OVERLOADS(T, p)                                                                \
  inline int getrf(int m, int n, T* a, int lda, int* ipiv) {                                      \
    int info = 0;                                                                                 \
    p##getrf_(&m, &n, a, &lda, ipiv, &info);                                                      \
    return info;                                                                                  \
  }                                                                                               \
  inline int getri(int n, T* a, int lda, const int* ipiv, T* work, int lwork) {                   \
    int info = 0;                                                                                 \
    p##getri_(&n, a, &lda, ipiv, work, &lwork, &info);                                            \
    return info;                                                                                  \
  }                                                                                               \
  inline int getrs(char trans, int n, int nrhs, const T* a, int lda, const int* ipiv, T* b,       \
                   int ldb) {                                                                     \
    int info = 0;                                                                                 \
    p##getrs_(&trans, &n, &nrhs, a, &lda, ipiv, b, &ldb, &info, 1);                               \
    return info;                                                                                  \
  }                                                                                               \
  inline int trtri(char uplo, int n, T* a, int lda) {                                             \
    int info = 0;                                                                                 \
    char diag = 'N';                                                                              \
    p##trtri_(&uplo, &diag, &n, a, &lda, &info, 1, 1);                                            \
    return info;                                                                                  \
  }                                                                                               \
  inline int trtrs(char uplo, char trans, int n, int nrhs, const T* a, int lda, T* b, int ldb) {  \
    int info = 0;                                                                                 \
    char diag = 'N';                                                                              \
    p##trtrs_(&uplo, &trans, &diag, &n, &nrhs, a, &lda, b, &ldb, &info, 1, 1, 1);                 \
    return info;                                                                                  \
  }                                                                                               \
  inline int potrf(char uplo, int n, T* a, int lda) {                                             \
    int info = 0;                                                                                 \
    p##potrf_(&uplo, &n, a, &lda, &info, 1);                                                      \
    return info;                                                                                  \
  }                                                                                               \
  inline int geqrf(int m, int n, T* a, int lda, T* tau, T* work, int lwork) {                     \
    int info = 0;                                                                                 \
    p##geqrf_(&m, &n, a, &lda, tau, work, &lwork, &info);                                         \
    return info;                                                                                  \
  }                                                                                               \
  inline int orgqr(int m, int n, int k, T* a, int lda, const T* tau, T* work, int lwork) {        \
    int info = 0;                                                                                 \
    p##orgqr_(&m, &n, &k, a, &lda, tau, work, &lwork, &info);                                     \
    return info;                                                                                  \
  }                                                                                               \
  inline int gesdd(char jobz, int m, int n, T* a, int lda, T* s, T* u, int ldu, T* vt, int ldvt,  \
                   T* work, int lwork, int* iwork) {                                              \
    int info = 0;                                                                                 \
    p##gesdd_(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, &info, 1);      \
    return info;                                                                                  \
  }                                                                                               \
  inline int geev(char jobvr, int n, T* a, int lda, T* wr, T* wi, T* vr, int ldvr, T* work,       \
                  int lwork) {                                                                    \
    int info = 0;                                                                                 \
    char jobvl = 'N';                                                                             \
    int ldvl = 1;                                                                                 \
    p##geev_(&jobvl, &jobvr, &n, a, &lda, wr, wi, nullptr, &ldvl, vr, &ldvr, work, &lwork, &info, \
             1, 1);                                                                               \
    return info;                                                                                  \
  }                                                                                               \
  inline int syevd(char jobz, char uplo, int n, T* a, int lda, T* w, T* work, int lwork,          \
                   int* iwork, int liwork) {                                                      \
    int info = 0;                                                                                 \
    p##syevd_(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, &info, 1, 1);           \
    return info;                                                                                  \
  }

MLX_LAPACK_OVERLOADS(float, s)
MLX_LAPACK_OVERLOADS(double, d)

#undef MLX_LAPACK_OVERLOADS

// complex64: the real workspaces (sized by LAPACK's documented minimums) are allocated here.
using cfloat = std::complex<float>;

inline int gesdd(char jobz, int m, int n, cfloat* a, int lda, float* s, cfloat* u, int ldu,
                 cfloat* vt, int ldvt, cfloat* work, int lwork, int* iwork) {
  int info = 0;
  size_t k = std::min(m, n), mx = std::max(m, n);
  std::vector<float> rwork(
      std::max<size_t>(1, jobz == 'N' ? 7 * k : k * std::max(5 * k + 7, 2 * mx + 2 * k + 1)));
  cgesdd_(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, rwork.data(), iwork, &info,
          1);
  return info;
}

inline int geev(char jobvr, int n, cfloat* a, int lda, cfloat* w, cfloat* vr, int ldvr,
                cfloat* work, int lwork) {
  int info = 0;
  char jobvl = 'N';
  int ldvl = 1;
  std::vector<float> rwork(std::max(1, 2 * n));
  cgeev_(&jobvl, &jobvr, &n, a, &lda, w, nullptr, &ldvl, vr, &ldvr, work, &lwork, rwork.data(),
         &info, 1, 1);
  return info;
}

inline int syevd(char jobz, char uplo, int n, cfloat* a, int lda, float* w, cfloat* work, int lwork,
                 int* iwork, int liwork) {
  int info = 0;
  size_t nn = static_cast<size_t>(n);
  int lrwork = static_cast<int>(std::max<size_t>(1, jobz == 'V' ? 1 + 5 * nn + 2 * nn * nn : nn));
  std::vector<float> rwork(lrwork);
  cheevd_(&jobz, &uplo, &n, a, &lda, w, work, &lwork, rwork.data(), &lrwork, iwork, &liwork, &info,
          1, 1);
  return info;
}

}  // namespace mlx::core::cpu::lapack
