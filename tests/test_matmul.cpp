// matmul: hand-computed values for every accepted dtype (float16 and bfloat16 accumulate in
// float32 and round to nearest even), NumPy's 1-D rules, batch broadcasting, strided and
// transposed operands, promotion, empty dims, the exact errors, and larger products (single,
// folded, and split over the pool) against a naive loop in double.
#include <gtest/gtest.h>

#include "helpers.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

template <typename F>
void expect_invalid_argument(F&& f, const std::string& message) {
  try {
    f();
    ADD_FAILURE() << "expected std::invalid_argument: " << message;
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
}

// A view of `in` with any strides, through the public extension API: the view ops cannot make
// transposed operands yet (transpose is not implemented in this round).
class StridedView : public UnaryPrimitive {
 public:
  StridedView(Stream s, Strides strides, int64_t offset)
      : UnaryPrimitive(s), strides_(std::move(strides)), offset_(offset) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override {
    out.copy_shared_buffer(inputs[0], strides_, array::Flags{false, false, false},
                           inputs[0].data_size(), offset_);
  }
  void eval_gpu(const std::vector<array>&, array&) override {
    throw std::runtime_error("StridedView has no GPU implementation.");
  }
  const char* name() const override { return "StridedView"; }

 private:
  Strides strides_;
  int64_t offset_;
};

array strided_view(const array& in, Shape shape, Strides strides, int64_t offset = 0) {
  auto p =
      std::make_shared<StridedView>(default_stream(default_device()), std::move(strides), offset);
  return array(std::move(shape), in.dtype(), std::move(p), {in});
}

// The transpose of a row-major (rows, cols) matrix, as a view with strides (1, cols).
array transposed_view(const array& m) {
  return strided_view(m, {m.shape(1), m.shape(0)}, {1, m.shape(1)});
}

// Deterministic values in [-1, 1) with 7 fractional bits: exact in every float dtype.
std::vector<float> test_values(size_t n, size_t seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = static_cast<float>((i * 7919 + seed * 104729) % 256) / 128.0f - 1.0f;
  }
  return v;
}

// Naive batched product in double of row-major (batch, m, k) and (batch, k, n) values; a batch
// of 1 on either side is broadcast.
std::vector<double> naive(const std::vector<float>& a, const std::vector<float>& b, int batch,
                          int m, int k, int n) {
  bool a_b = a.size() > static_cast<size_t>(m * k);
  bool b_b = b.size() > static_cast<size_t>(k * n);
  std::vector<double> c(static_cast<size_t>(batch) * m * n, 0.0);
  for (int t = 0; t < batch; ++t) {
    const float* pa = a.data() + (a_b ? t * m * k : 0);
    const float* pb = b.data() + (b_b ? t * k * n : 0);
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) {
        double s = 0.0;
        for (int l = 0; l < k; ++l) {
          s += static_cast<double>(pa[i * k + l]) * pb[l * n + j];
        }
        c[(static_cast<size_t>(t) * m + i) * n + j] = s;
      }
    }
  }
  return c;
}

// Checks values against a reference within rel * max(1, |reference|).
template <typename T>
void expect_close(const array& a, const std::vector<double>& expected, double rel) {
  auto got = values<T>(a);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    double g;
    if constexpr (std::is_same_v<T, double>) {
      g = got[i];
    } else {
      g = static_cast<float>(got[i]);
    }
    ASSERT_NEAR(g, expected[i], rel * std::max(1.0, std::abs(expected[i]))) << "at " << i;
  }
}

const array kA({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}, {2, 3});
const array kB({7.0f, 8.0f, 9.0f, 10.0f, 11.0f, 12.0f}, {3, 2});

}  // namespace

// [[1,2,3],[4,5,6]] @ [[7,8],[9,10],[11,12]] = [[58,64],[139,154]] in every accepted dtype.
TEST(Matmul, RealDtypes) {
  expect_array<float>(matmul(kA, kB), {2, 2}, float32, {58.0f, 64.0f, 139.0f, 154.0f});
  expect_array<double>(matmul(astype(kA, float64), astype(kB, float64)), {2, 2}, float64,
                       {58.0, 64.0, 139.0, 154.0});
  expect_array<float16_t>(
      matmul(astype(kA, float16), astype(kB, float16)), {2, 2}, float16,
      {float16_t(58.0f), float16_t(64.0f), float16_t(139.0f), float16_t(154.0f)});
  expect_array<bfloat16_t>(
      matmul(astype(kA, bfloat16), astype(kB, bfloat16)), {2, 2}, bfloat16,
      {bfloat16_t(58.0f), bfloat16_t(64.0f), bfloat16_t(139.0f), bfloat16_t(154.0f)});
}

// The 16-bit floats accumulate in float32 and round once, to nearest even.
TEST(Matmul, HalfAccumulationAndRounding) {
  auto ones3 = ones({3}, float16);
  // 1 + 2^-11 + 2^-11 = 1 + 2^-10 in float32; a float16 accumulator would have stayed at 1.
  expect_array<float16_t>(matmul(array({1.0f, 0x1p-11f, 0x1p-11f}, {3}, float16), ones3), {},
                          float16, {float16_t(0x1p-10f + 1.0f)});
  auto ones2 = ones({2}, float16);
  // Ties: 1 + 2^-11 goes to 1 (even), 1 + 3 * 2^-11 goes to 1 + 2^-9 (even).
  expect_array<float16_t>(matmul(array({1.0f, 0x1p-11f}, {2}, float16), ones2), {}, float16,
                          {float16_t(1.0f)});
  expect_array<float16_t>(matmul(array({1.0f, 0x3p-11f}, {2}, float16), ones2), {}, float16,
                          {float16_t(1.001953125f)});

  auto bones3 = ones({3}, bfloat16);
  auto bones2 = ones({2}, bfloat16);
  expect_array<bfloat16_t>(matmul(array({1.0f, 0x1p-8f, 0x1p-8f}, {3}, bfloat16), bones3), {},
                           bfloat16, {bfloat16_t(1.0078125f)});
  expect_array<bfloat16_t>(matmul(array({1.0f, 0x1p-8f}, {2}, bfloat16), bones2), {}, bfloat16,
                           {bfloat16_t(1.0f)});
  expect_array<bfloat16_t>(matmul(array({1.0f, 0x3p-8f}, {2}, bfloat16), bones2), {}, bfloat16,
                           {bfloat16_t(1.015625f)});
}

TEST(Matmul, Complex64) {
  array a({complex64_t(1, 2), complex64_t(3, -1), complex64_t(0, 1), complex64_t(2, 0)}, {2, 2});
  array b({complex64_t(2, -1), complex64_t(1, 0), complex64_t(1, 1), complex64_t(0, -2)}, {2, 2});
  // No conjugation: (1+2i)(2-i) + (3-i)(1+i) = 8+5i, (1+2i) + (3-i)(-2i) = -1-4i,
  // i(2-i) + 2(1+i) = 3+4i, i + 2(-2i) = -3i.
  expect_array<complex64_t>(
      matmul(a, b), {2, 2}, complex64,
      {complex64_t(8, 5), complex64_t(-1, -4), complex64_t(3, 4), complex64_t(0, -3)});
  // a's transpose [[1+2i, i], [3-i, 2]], read in place: (1+2i)(2-i) + i(1+i) = 3+4i,
  // (1+2i) + i(-2i) = 3+2i, (3-i)(2-i) + 2(1+i) = 7-3i, (3-i) + 2(-2i) = 3-5i.
  expect_array<complex64_t>(
      matmul(transposed_view(a), b), {2, 2}, complex64,
      {complex64_t(3, 4), complex64_t(3, 2), complex64_t(7, -3), complex64_t(3, -5)});
}

// NumPy's rules: a 1-D left operand is a row, a 1-D right operand a column, and the added dim is
// removed from the result.
TEST(Matmul, VectorRules) {
  array v({1.0f, 2.0f, 3.0f}, {3});
  array w({4.0f, 5.0f, 6.0f}, {3});
  expect_array<float>(matmul(v, kB), {2}, float32, {58.0f, 64.0f});
  expect_array<float>(matmul(kA, v), {2}, float32, {14.0f, 32.0f});
  expect_array<float>(matmul(v, w), {}, float32, {32.0f});
  // With batch dims: (2,2,3) @ (3) -> (2,2) and (3) @ (2,3,2) -> (2,2).
  auto a3 = reshape(arange(12.0), {2, 2, 3});
  expect_array<float>(matmul(a3, v), {2, 2}, float32, {8.0f, 26.0f, 44.0f, 62.0f});
  auto b3 = reshape(arange(12.0), {2, 3, 2});
  expect_array<float>(matmul(v, b3), {2, 2}, float32, {16.0f, 22.0f, 52.0f, 58.0f});
}

// Products with one row or one column (matrix-vector products), with operands stored transposed,
// strided or reversed, in each BLAS type.
TEST(Matmul, MatrixVectorOperands) {
  array v({1.0f, 2.0f, 3.0f}, {3});
  auto at = transposed_view(array({1.0f, 4.0f, 2.0f, 5.0f, 3.0f, 6.0f}, {3, 2}));
  auto bt = transposed_view(array({7.0f, 9.0f, 11.0f, 8.0f, 10.0f, 12.0f}, {2, 3}));
  auto strided = slice(array({1.0f, 0.0f, 2.0f, 0.0f, 3.0f}, {5}), {0}, {5}, {2});
  auto reversed = slice(array({3.0f, 2.0f, 1.0f}, {3}), {2}, {-4}, {-1});
  for (const auto& x : {v, strided, reversed}) {
    expect_array<float>(matmul(x, kB), {2}, float32, {58.0f, 64.0f});
    expect_array<float>(matmul(x, bt), {2}, float32, {58.0f, 64.0f});
    expect_array<float>(matmul(kA, x), {2}, float32, {14.0f, 32.0f});
    expect_array<float>(matmul(at, x), {2}, float32, {14.0f, 32.0f});
  }
  expect_array<double>(matmul(astype(v, float64), astype(kB, float64)), {2}, float64, {58.0, 64.0});
  expect_array<double>(matmul(astype(kA, float64), astype(v, float64)), {2}, float64, {14.0, 32.0});
  expect_array<float16_t>(matmul(astype(v, float16), astype(kB, float16)), {2}, float16,
                          {float16_t(58.0f), float16_t(64.0f)});
  expect_array<bfloat16_t>(matmul(astype(kA, bfloat16), astype(v, bfloat16)), {2}, bfloat16,
                           {bfloat16_t(14.0f), bfloat16_t(32.0f)});

  // x = [1+i, i], a = [[1+2i, 3-i], [i, 2]]: x @ a = [(1+i)(1+2i) + i*i, (1+i)(3-i) + 2i]
  // = [-2+3i, 4+4i]; a @ x = [(1+2i)(1+i) + (3-i)i, i(1+i) + 2i] = [6i, -1+3i].
  array x({complex64_t(1, 1), complex64_t(0, 1)}, {2});
  array a({complex64_t(1, 2), complex64_t(3, -1), complex64_t(0, 1), complex64_t(2, 0)}, {2, 2});
  expect_array<complex64_t>(matmul(x, a), {2}, complex64, {complex64_t(-2, 3), complex64_t(4, 4)});
  expect_array<complex64_t>(matmul(a, x), {2}, complex64, {complex64_t(0, 6), complex64_t(-1, 3)});
}

TEST(Matmul, BatchedBroadcast) {
  // (2,2,2) @ (2,2): [[1,0],[0,1]] and [[1,2],[3,4]] times [[5,6],[7,8]] (one folded GEMM).
  array a({1.0f, 0.0f, 0.0f, 1.0f, 1.0f, 2.0f, 3.0f, 4.0f}, {2, 2, 2});
  array b({5.0f, 6.0f, 7.0f, 8.0f}, {2, 2});
  expect_array<float>(matmul(a, b), {2, 2, 2}, float32,
                      {5.0f, 6.0f, 7.0f, 8.0f, 19.0f, 22.0f, 43.0f, 50.0f});
  // (2,2) @ (2,2,2): [[5,6],[7,8]] times each.
  expect_array<float>(matmul(b, a), {2, 2, 2}, float32,
                      {5.0f, 6.0f, 7.0f, 8.0f, 23.0f, 34.0f, 31.0f, 46.0f});

  // (2,1,3,4) @ (5,4,6) -> (2,5,3,6), checked entry by entry.
  auto av = test_values(24, 1);
  auto bv = test_values(120, 2);
  array a4(av.begin(), {2, 1, 3, 4});
  array b3(bv.begin(), {5, 4, 6});
  auto c = matmul(a4, b3);
  ASSERT_EQ(c.shape(), Shape({2, 5, 3, 6}));
  std::vector<double> expected;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 5; ++j) {
      std::vector<float> ai(av.begin() + i * 12, av.begin() + (i + 1) * 12);
      std::vector<float> bj(bv.begin() + j * 24, bv.begin() + (j + 1) * 24);
      auto cij = naive(ai, bj, 1, 3, 4, 6);
      expected.insert(expected.end(), cij.begin(), cij.end());
    }
  }
  expect_close<float>(c, expected, 1e-6);
}

TEST(Matmul, StridedAndTransposedOperands) {
  const std::vector<float> expected = {58.0f, 64.0f, 139.0f, 154.0f};
  // Transposed views are read in place by BLAS (CblasTrans).
  auto at = transposed_view(array({1.0f, 4.0f, 2.0f, 5.0f, 3.0f, 6.0f}, {3, 2}));
  auto bt = transposed_view(array({7.0f, 9.0f, 11.0f, 8.0f, 10.0f, 12.0f}, {2, 3}));
  expect_array<float>(matmul(at, kB), {2, 2}, float32, expected);
  expect_array<float>(matmul(kA, bt), {2, 2}, float32, expected);
  expect_array<float>(matmul(at, bt), {2, 2}, float32, expected);
  expect_array<double>(matmul(astype(at, float64), astype(kB, float64)), {2, 2}, float64,
                       {58.0, 64.0, 139.0, 154.0});
  // float16 transposed: StridedView of a float16 array.
  auto at16 = transposed_view(array({1.0f, 4.0f, 2.0f, 5.0f, 3.0f, 6.0f}, {3, 2}, float16));
  expect_array<float16_t>(
      matmul(at16, astype(kB, float16)), {2, 2}, float16,
      {float16_t(58.0f), float16_t(64.0f), float16_t(139.0f), float16_t(154.0f)});

  // A sub-block (leading dimension 4 > 3 columns).
  array wide({0.0f, 1.0f, 2.0f, 3.0f, 0.0f, 4.0f, 5.0f, 6.0f}, {2, 4});
  expect_array<float>(matmul(slice(wide, {0, 1}, {2, 4}), kB), {2, 2}, float32, expected);
  // Every other column: no unit stride, so the operand is copied first.
  array gaps({1.0f, 0.0f, 2.0f, 0.0f, 3.0f, 0.0f, 4.0f, 0.0f, 5.0f, 0.0f, 6.0f, 0.0f}, {2, 6});
  expect_array<float>(matmul(slice(gaps, {0, 0}, {2, 6}, {1, 2}), kB), {2, 2}, float32, expected);
  // Rows reversed (negative stride).
  expect_array<float>(matmul(slice(kA, {1, 0}, {-3, 3}, {-1, 1}), kB), {2, 2}, float32,
                      {139.0f, 154.0f, 58.0f, 64.0f});
  // A row broadcast to a matrix (stride 0).
  expect_array<float>(matmul(broadcast_to(array({1.0f, 2.0f, 3.0f}, {1, 3}), {2, 3}), kB), {2, 2},
                      float32, {58.0f, 64.0f, 58.0f, 64.0f});
  // A batch of transposed matrices: (2,3,2) storage viewed as (2,2,3) with strides (6,1,2).
  auto batch_t = strided_view(
      array({1.0f, 4.0f, 2.0f, 5.0f, 3.0f, 6.0f, 1.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f}, {2, 3, 2}),
      {2, 2, 3}, {6, 1, 2});
  expect_array<float>(matmul(batch_t, kB), {2, 2, 2}, float32,
                      {58.0f, 64.0f, 139.0f, 154.0f, 7.0f, 8.0f, 9.0f, 10.0f});
}

// The result has promote_types(a, b). As in MLX, the check is on the promoted type, so an
// integer operand is accepted with an inexact one.
TEST(Matmul, Promotion) {
  // float32 keeps the 2^-11 that a float16 result could not.
  expect_array<float>(matmul(array({1.0f, 0x1p-11f}, {1, 2}, float16), ones({2, 1}, float32)),
                      {1, 1}, float32, {1.00048828125f});
  expect_array<float>(matmul(astype(kA, bfloat16), astype(kB, float16)), {2, 2}, float32,
                      {58.0f, 64.0f, 139.0f, 154.0f});
  expect_array<float>(matmul(array({1, 2}, {1, 2}), array({0.5f, 0.25f}, {2, 1})), {1, 1}, float32,
                      {1.0f});
  expect_array<float16_t>(matmul(array({1, 2}, {1, 2}), array({0.5f, 0.25f}, {2, 1}, float16)),
                          {1, 1}, float16, {float16_t(1.0f)});
  expect_array<complex64_t>(matmul(array({1.0, 2.0}, {1, 2}, float64),
                                   array({complex64_t(0, 1), complex64_t(1, 0)}, {2, 1})),
                            {1, 1}, complex64, {complex64_t(2, 1)});
}

TEST(Matmul, EmptyDims) {
  // K == 0: an empty sum is zero.
  expect_array<float>(matmul(zeros({2, 0}, float32), zeros({0, 3}, float32)), {2, 3}, float32,
                      std::vector<float>(6, 0.0f));
  expect_array<float16_t>(matmul(zeros({1, 0}, float16), zeros({0, 2}, float16)), {1, 2}, float16,
                          {float16_t(0.0f), float16_t(0.0f)});
  expect_array<float>(matmul(zeros({0}, float32), zeros({0}, float32)), {}, float32, {0.0f});
  // M, N or a batch dim of 0: an empty result.
  expect_array<float>(matmul(zeros({0, 3}, float32), kB), {0, 2}, float32, {});
  expect_array<float>(matmul(kA, zeros({3, 0}, float32)), {2, 0}, float32, {});
  expect_array<float>(matmul(zeros({0, 2, 3}, float32), kB), {0, 2, 2}, float32, {});
}

TEST(Matmul, Errors) {
  expect_invalid_argument(
      [] {
        matmul(array({1, 2}, {1, 2}), array({1, 2}, {2, 1}));
      },
      "[matmul] Only inexact types are supported but got int32 and int32.");
  expect_invalid_argument(
      [] {
        matmul(array({true, false}, {1, 2}), array({1, 2}, {2, 1}, int8));
      },
      "[matmul] Only inexact types are supported but got bool and int8.");
  expect_invalid_argument(
      [] { matmul(array(1.0f), kA); },
      "[matmul] Inputs must have at least one dimension but got shapes () and (2,3).");
  expect_invalid_argument(
      [] {
        matmul(kA, zeros({4, 5}, float32));
      },
      "[matmul] Last dimension of first input with shape (2,3) must match "
      "second-to-last dimension of second input with shape (4,5).");
  // Shapes are shown after the 1-D promotion, the shapes the rule is about (as in MLX).
  expect_invalid_argument(
      [] {
        matmul(zeros({3}, float32), zeros({4, 5}, float32));
      },
      "[matmul] Last dimension of first input with shape (1,3) must match "
      "second-to-last dimension of second input with shape (4,5).");
  expect_invalid_argument([] { matmul(kA, zeros({4}, float32)); },
                          "[matmul] Last dimension of first input with shape (2,3) must match "
                          "second-to-last dimension of second input with shape (4,1).");
  expect_invalid_argument(
      [] {
        matmul(zeros({2, 2, 3}, float32), zeros({3, 3, 4}, float32));
      },
      "[matmul] Batch dimensions of inputs with shapes (2,2,3) and (3,3,4) cannot be broadcast.");
}

TEST(Matmul, LargerAgainstNaive) {
  auto av = test_values(128 * 96, 3);
  auto bv = test_values(96 * 64, 4);
  auto want = naive(av, bv, 1, 128, 96, 64);
  array a(av.begin(), {128, 96});
  array b(bv.begin(), {96, 64});
  expect_close<float>(matmul(a, b), want, 1e-5);
  expect_close<double>(matmul(astype(a, float64), astype(b, float64)), want, 1e-12);
  expect_close<float16_t>(matmul(astype(a, float16), astype(b, float16)), want, 1e-3);
  expect_close<bfloat16_t>(matmul(astype(a, bfloat16), astype(b, bfloat16)), want, 8e-3);

  // The same product with b given as the transpose of its (64, 96) transpose.
  std::vector<float> btv(bv.size());
  for (int i = 0; i < 96; ++i) {
    for (int j = 0; j < 64; ++j) {
      btv[j * 96 + i] = bv[i * 64 + j];
    }
  }
  auto bt = transposed_view(array(btv.begin(), {64, 96}));
  expect_close<float>(matmul(a, bt), want, 1e-5);
  expect_close<float16_t>(matmul(astype(a, float16), astype(bt, float16)), want, 1e-3);
}

// A lone product is split by rows over the pool: an odd row count (a short last block) and a
// transposed a (its blocks start at columns of the stored matrix).
TEST(Matmul, RowBlocksOfALoneProduct) {
  const int m = 131, k = 70, n = 65;
  auto av = test_values(m * k, 5);
  auto bv = test_values(k * n, 6);
  auto want = naive(av, bv, 1, m, k, n);
  std::vector<float> atv(av.size());
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < k; ++j) {
      atv[j * m + i] = av[i * k + j];
    }
  }
  array b(bv.begin(), {k, n});
  expect_close<float>(matmul(array(av.begin(), {m, k}), b), want, 1e-5);
  expect_close<float>(matmul(transposed_view(array(atv.begin(), {k, m})), b), want, 1e-5);
  expect_close<float16_t>(
      matmul(astype(transposed_view(array(atv.begin(), {k, m})), float16), astype(b, float16)),
      want, 1e-3);
}

// A lone product with too few rows to split is split by columns over the pool: a few rows, one
// row (matrix-vector), b stored transposed (its blocks start at rows of the stored matrix), and
// addmm's beta (each block accumulates onto its own columns of c).
TEST(Matmul, ColumnBlocksOfALoneProduct) {
  const int k = 200, n = 1319;
  auto bv = test_values(k * n, 8);
  std::vector<float> btv(bv.size());
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < n; ++j) {
      btv[j * k + i] = bv[i * n + j];
    }
  }
  array b(bv.begin(), {k, n});
  array bt = transposed_view(array(btv.begin(), {n, k}));
  for (int m : {1, 5}) {
    auto av = test_values(m * k, 7);
    auto want = naive(av, bv, 1, m, k, n);
    array a(av.begin(), {m, k});
    expect_close<float>(matmul(a, b), want, 1e-5);
    expect_close<float>(matmul(a, bt), want, 1e-5);
    expect_close<double>(matmul(astype(a, float64), astype(bt, float64)), want, 1e-12);
    expect_close<bfloat16_t>(matmul(astype(a, bfloat16), astype(b, bfloat16)), want, 8e-3);
    // addmm: 2 (a @ b) + 0.5 c, with c = (a @ b) itself: 2.5 times the product.
    std::vector<double> want_addmm(want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      want_addmm[i] = 2.5 * want[i];
    }
    expect_close<float>(addmm(matmul(a, b), a, b, 2.0f, 0.5f), want_addmm, 1e-5);
  }
  // A matrix-vector product with many rows is split by rows (one element of c per row).
  auto mv = test_values(300 * 1000, 9);
  auto v = test_values(1000, 10);
  array mva(mv.begin(), {300, 1000});
  array vv(v.begin(), {1000, 1});
  auto want_mv = naive(mv, v, 1, 300, 1000, 1);
  expect_close<float>(matmul(mva, vv), want_mv, 1e-5);
  expect_close<float>(matmul(mva, flatten(vv)), want_mv, 1e-5);
}

// Many small GEMMs are split over the pool; (batch, M, K) @ (K, N) is folded into one GEMM.
TEST(Matmul, ManySmallProducts) {
  auto av = test_values(40 * 7 * 5, 5);
  auto bv = test_values(40 * 5 * 3, 6);
  array a(av.begin(), {40, 7, 5});
  array b(bv.begin(), {40, 5, 3});
  expect_close<float>(matmul(a, b), naive(av, bv, 40, 7, 5, 3), 1e-6);
  expect_close<bfloat16_t>(matmul(astype(a, bfloat16), astype(b, bfloat16)),
                           naive(av, bv, 40, 7, 5, 3), 8e-3);

  std::vector<float> b0(bv.begin(), bv.begin() + 15);
  array b2(b0.begin(), {5, 3});
  expect_close<float>(matmul(a, b2), naive(av, b0, 40, 7, 5, 3), 1e-6);
  expect_close<double>(matmul(astype(a, float64), astype(b2, float64)), naive(av, b0, 40, 7, 5, 3),
                       1e-12);

  std::vector<float> a0(av.begin(), av.begin() + 35);
  array a2(a0.begin(), {7, 5});
  expect_close<float>(matmul(a2, b), naive(a0, bv, 40, 7, 5, 3), 1e-6);
}

// Matmuls on two streams at once share OpenBLAS's process-wide thread setting safely.
TEST(Matmul, ConcurrentStreams) {
  auto av = test_values(96 * 80, 7);
  auto bv = test_values(80 * 72, 8);
  auto want = naive(av, bv, 1, 96, 80, 72);
  array a(av.begin(), {96, 80});
  array b(bv.begin(), {80, 72});
  auto s1 = new_stream(default_device());
  auto s2 = new_stream(default_device());
  std::vector<array> outs;
  for (int i = 0; i < 4; ++i) {
    outs.push_back(matmul(a, b, s1));
    outs.push_back(matmul(broadcast_to(a, {3, 96, 80}, s2), b, s2));
  }
  eval(outs);
  for (size_t i = 0; i < outs.size(); i += 2) {
    expect_close<float>(outs[i], want, 1e-5);
    std::vector<double> want3;
    for (int t = 0; t < 3; ++t) {
      want3.insert(want3.end(), want.begin(), want.end());
    }
    expect_close<float>(outs[i + 1], want3, 1e-5);
  }
}

namespace {

// The bfloat16 result matmul must give for an exactly computed product: test_values' products
// are multiples of 2^-14 and these sums (partial sums included) stay under 2^10, so a float32
// sum is exact in any order
// and only the final rounding to bfloat16 (nearest even) remains.
std::vector<bfloat16_t> rounded_bf16(const std::vector<double>& exact) {
  std::vector<bfloat16_t> out;
  for (double v : exact) {
    out.push_back(bfloat16_t(static_cast<float>(v)));
  }
  return out;
}

}  // namespace

// bfloat16 products large enough for the CPU's bfloat16 dot products where it has them
// (cpu::bf16_gemm, else widened to float32 for sgemm): odd k (the last pair padded), rows not a
// multiple of the 8-row panel and past a 128-row tile, columns not a multiple of the 32-column
// strip and past a 256-column tile, k past two 1,024-value blocks, transposed and strided
// operands, batches, and addmm's beta (and an alpha of 2, which keeps the widened path).
TEST(Matmul, Bfloat16Products) {
  struct Case {
    int m, k, n;
  };
  for (auto [m, k, n] : {Case{9, 257, 70}, Case{130, 64, 33}, Case{20, 300, 300}, Case{2, 8, 4096},
                         Case{64, 1, 600}, Case{3, 2101, 40}}) {
    SCOPED_TRACE("m " + std::to_string(m) + " k " + std::to_string(k) + " n " + std::to_string(n));
    auto av = test_values(static_cast<size_t>(m * k), 11);
    auto bv = test_values(static_cast<size_t>(k * n), 12);
    auto want = rounded_bf16(naive(av, bv, 1, m, k, n));
    std::vector<float> atv(av.size()), btv(bv.size());
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < k; ++j) {
        atv[j * m + i] = av[i * k + j];
      }
    }
    for (int i = 0; i < k; ++i) {
      for (int j = 0; j < n; ++j) {
        btv[j * k + i] = bv[i * n + j];
      }
    }
    auto a = astype(array(av.begin(), {m, k}), bfloat16);
    auto b = astype(array(bv.begin(), {k, n}), bfloat16);
    auto at = transposed_view(astype(array(atv.begin(), {k, m}), bfloat16));
    auto bt = transposed_view(astype(array(btv.begin(), {n, k}), bfloat16));
    expect_array<bfloat16_t>(matmul(a, b), {m, n}, bfloat16, want);
    expect_array<bfloat16_t>(matmul(at, b), {m, n}, bfloat16, want);
    expect_array<bfloat16_t>(matmul(a, bt), {m, n}, bfloat16, want);
    expect_array<bfloat16_t>(matmul(at, bt), {m, n}, bfloat16, want);

    // a's values at every other column of an (m, 2k) matrix.
    std::vector<float> wide(static_cast<size_t>(2 * m * k), 7.0f);
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < k; ++j) {
        wide[static_cast<size_t>(i * 2 * k + 2 * j)] = av[i * k + j];
      }
    }
    auto a_strided =
        strided_view(astype(array(wide.begin(), {m, 2 * k}), bfloat16), {m, k}, {2 * k, 2});
    expect_array<bfloat16_t>(matmul(a_strided, b), {m, n}, bfloat16, want);

    // addmm: 1 (a @ b) + 0.5 c and 2 (a @ b) + 0.5 c, with c = test values.
    auto cv = test_values(static_cast<size_t>(m * n), 13);
    auto exact = naive(av, bv, 1, m, k, n);
    std::vector<double> want1(exact.size()), want2(exact.size());
    for (size_t i = 0; i < exact.size(); ++i) {
      want1[i] = exact[i] + 0.5 * cv[i];
      want2[i] = 2 * exact[i] + 0.5 * cv[i];
    }
    auto c = astype(array(cv.begin(), {m, n}), bfloat16);
    expect_array<bfloat16_t>(addmm(c, a, b, 1.0f, 0.5f), {m, n}, bfloat16, rounded_bf16(want1));
    expect_array<bfloat16_t>(addmm(c, a, b, 2.0f, 0.5f), {m, n}, bfloat16, rounded_bf16(want2));
  }

  // Negative strides (a's rows and b's columns reversed), a zero stride (every column of b the
  // same), and addmm's beta 0 (c's NaN ignored) and 1.
  {
    const int m = 9, k = 257, n = 70;
    auto av = test_values(static_cast<size_t>(m * k), 16);
    auto bv = test_values(static_cast<size_t>(k * n), 17);
    auto exact = naive(av, bv, 1, m, k, n);
    auto a = astype(array(av.begin(), {m, k}), bfloat16);
    auto b = astype(array(bv.begin(), {k, n}), bfloat16);
    std::vector<double> rows_reversed(exact.size()), cols_reversed(exact.size());
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) {
        rows_reversed[i * n + j] = exact[(m - 1 - i) * n + j];
        cols_reversed[i * n + j] = exact[i * n + (n - 1 - j)];
      }
    }
    expect_array<bfloat16_t>(matmul(slice(a, {m - 1, 0}, {-m - 1, k}, {-1, 1}), b), {m, n},
                             bfloat16, rounded_bf16(rows_reversed));
    expect_array<bfloat16_t>(matmul(a, slice(b, {0, n - 1}, {k, -n - 1}, {1, -1})), {m, n},
                             bfloat16, rounded_bf16(cols_reversed));
    std::vector<float> col(bv.begin(), bv.begin() + k);
    std::vector<float> bcols(static_cast<size_t>(k * n));
    for (int i = 0; i < k; ++i) {
      std::fill_n(bcols.begin() + i * n, n, col[i]);
    }
    expect_array<bfloat16_t>(
        matmul(a, broadcast_to(astype(array(col.begin(), {k, 1}), bfloat16), {k, n})), {m, n},
        bfloat16, rounded_bf16(naive(av, bcols, 1, m, k, n)));
    auto c_nan = full({m, n}, array(std::numeric_limits<float>::quiet_NaN()), bfloat16);
    expect_array<bfloat16_t>(addmm(c_nan, a, b, 1.0f, 0.0f), {m, n}, bfloat16, rounded_bf16(exact));
    auto cv = test_values(static_cast<size_t>(m * n), 18);
    std::vector<double> plus_c(exact.size());
    for (size_t i = 0; i < exact.size(); ++i) {
      plus_c[i] = exact[i] + cv[i];
    }
    expect_array<bfloat16_t>(addmm(astype(array(cv.begin(), {m, n}), bfloat16), a, b), {m, n},
                             bfloat16, rounded_bf16(plus_c));
  }

  // A batch of 3 against one b (folded into one product) and against 3 b's.
  const int m = 40, k = 33, n = 48;
  auto av = test_values(static_cast<size_t>(3 * m * k), 14);
  auto bv = test_values(static_cast<size_t>(3 * k * n), 15);
  std::vector<float> b0(bv.begin(), bv.begin() + k * n);
  auto a = astype(array(av.begin(), {3, m, k}), bfloat16);
  expect_array<bfloat16_t>(matmul(a, astype(array(b0.begin(), {k, n}), bfloat16)), {3, m, n},
                           bfloat16, rounded_bf16(naive(av, b0, 3, m, k, n)));
  expect_array<bfloat16_t>(matmul(a, astype(array(bv.begin(), {3, k, n}), bfloat16)), {3, m, n},
                           bfloat16, rounded_bf16(naive(av, bv, 3, m, k, n)));
}
