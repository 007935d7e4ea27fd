// mlx::nn::losses: values against PyTorch (torch 1.13, float64) literals or, where MLX's
// definition differs from PyTorch's, against the MLX formula evaluated in float64; reductions,
// errors and derivatives.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "check.h"
#include "helpers.h"
#include "mlx/nn/losses.h"
#include "nn_helpers.h"

namespace {

using namespace mlx::core;
namespace losses = mlx::nn::losses;
using losses::Reduction;

// (shape, dtype, expected[, tol]) in the order these tests read best.
void expect_near(const array& a, const Shape& shape, Dtype dtype,
                 const std::vector<double>& expected, double tol = 2e-6) {
  nn_test::expect_near(a, shape, expected, tol, dtype);
}

array logits() {
  return array({2.0f, -1.0f, 0.5f, 0.0f, 0.1f, 0.2f, 3.0f, -2.0f, -1.0f, 1.0f, 0.0f, 0.5f}, {3, 4});
}
array targets() { return array({0, 2, 3}); }
array probs() {
  return array({0.5f, 0.25f, 0.25f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.1f, 0.2f, 0.3f, 0.4f}, {3, 4});
}
array a23() { return array({1.0f, 2.0f, -0.5f, 0.0f, 4.0f, 3.0f}, {2, 3}); }
array b23() { return array({0.5f, 2.5f, 0.5f, -1.0f, 1.0f, 3.5f}, {2, 3}); }

TEST(NnLosses, CrossEntropyClassIndices) {
  expect_near(losses::cross_entropy(logits(), targets()), {3}, float32,
              {0.342349582389822, 0.11562179490671844, 1.246567269173791});
  expect_near(losses::cross_entropy(logits(), astype(targets(), uint8)), {3}, float32,
              {0.342349582389822, 0.11562179490671844, 1.246567269173791});
  expect_near(losses::cross_entropy(logits(), targets(), std::nullopt, -1, 0.3f), {3}, float32,
              {0.829849582389822, 0.9181217949067184, 1.3590672691737908});
  expect_near(losses::cross_entropy(transpose(logits()), targets(), std::nullopt, 0), {3}, float32,
              {0.342349582389822, 0.11562179490671844, 1.246567269173791});
  expect_near(losses::cross_entropy(logits(), targets(), array({1.0f, 0.5f, 2.0f}), -1, 0.0f,
                                    Reduction::mean),
              {}, float32, {0.9644316727302544});
  expect_near(losses::cross_entropy(logits(), targets(), std::nullopt, -1, 0.0f, Reduction::sum),
              {}, float32, {0.342349582389822 + 0.11562179490671844 + 1.246567269173791});
}

TEST(NnLosses, CrossEntropyProbabilities) {
  expect_near(losses::cross_entropy(logits(), probs()), {3}, float32,
              {1.4673495823898222, 0.11562179490671844, 1.4465672691737912});
  // MLX smooths probability targets as lse - (1 - s) sum(l t) - s mean(l).
  expect_near(losses::cross_entropy(logits(), probs(), std::nullopt, -1, 0.2f), {3}, float32,
              {1.567349582389822, 0.6506217949067183, 1.4815672691737911});
}

TEST(NnLosses, CrossEntropyErrors) {
  EXPECT_EQ(error_message([] {
              losses::cross_entropy(logits(), array({0, 1}));
            }),
            "[cross_entropy] Targets shape (2) does not match logits shape (3,4).");
  EXPECT_EQ(error_message([] {
              losses::cross_entropy(logits(), zeros({3, 3}));
            }),
            "[cross_entropy] Targets shape (3,3) does not match logits shape (3,4).");
  EXPECT_EQ(
      error_message([] { losses::cross_entropy(logits(), targets(), std::nullopt, -1, 1.0f); }),
      "[cross_entropy] Label smoothing must be in [0, 1), got 1.000000.");
  EXPECT_EQ(error_message([] { losses::cross_entropy(logits(), targets(), array({1.0f})); }),
            "[cross_entropy] Weights with shape (1) is not the same as output loss with shape "
            "(3).");
  EXPECT_EQ(error_message([] { losses::cross_entropy(logits(), targets(), std::nullopt, 2); }),
            "[cross_entropy] Axis 2 is out of bounds for an input with 2 dimensions.");
  EXPECT_EQ(error_message([] {
              losses::cross_entropy(logits(), array({0.0f, 1.0f, 2.0f}));
            }),
            "[cross_entropy] Class-index targets must have an integer dtype, got float32.");
}

array bce_x() { return array({0.5f, -1.0f, 2.0f, -3.0f, 0.0f, 1.5f}); }
array bce_y() { return array({1.0f, 0.0f, 1.0f, 1.0f, 0.0f, 0.0f}); }

TEST(NnLosses, BinaryCrossEntropy) {
  expect_near(losses::binary_cross_entropy(bce_x(), bce_y()), {}, float32, {1.059569082142957});
  expect_near(losses::binary_cross_entropy(bce_x(), bce_y(), std::nullopt, true, Reduction::none),
              {6}, float32,
              {0.4740769841801067, 0.31326168751822286, 0.1269280110429726, 3.048587351573742,
               0.6931471805599453, 1.7014132779827524});
  expect_near(
      losses::binary_cross_entropy(bce_x(), bce_y(), array({1.0f, 2.0f, 0.5f, 1.0f, 1.0f, 3.0f}),
                                   true, Reduction::sum),
      {}, float32, {10.010038730819984});
  // Probabilities: log terms are clipped at -100, as PyTorch does.
  expect_near(losses::binary_cross_entropy(array({0.9f, 0.2f, 0.6f, 0.0f, 0.5f, 1.0f}), bce_y(),
                                           std::nullopt, false, Reduction::none),
              {6}, float32,
              {0.10536051565782628, 0.2231435513142097, 0.5108256237659907, 100.0,
               0.6931471805599453, 100.0});
  EXPECT_EQ(error_message([] { losses::binary_cross_entropy(bce_x(), array({1.0f})); }),
            "[binary_cross_entropy] Inputs shape (6) does not match targets shape (1).");
}

TEST(NnLosses, RegressionLosses) {
  expect_near(losses::l1_loss(a23(), b23()), {}, float32, {1.0833333333333333});
  expect_near(losses::l1_loss(a23(), b23(), Reduction::none), {2, 3}, float32,
              {0.5, 0.5, 1.0, 1.0, 3.0, 0.5});
  expect_near(losses::mse_loss(a23(), b23()), {}, float32, {1.9583333333333333});
  expect_near(losses::mse_loss(a23(), b23(), Reduction::sum), {}, float32, {11.75});
  expect_near(losses::smooth_l1_loss(a23(), b23()), {}, float32, {0.6458333333333334});
  expect_near(losses::smooth_l1_loss(a23(), b23(), 2.0f, Reduction::none), {2, 3}, float32,
              {0.0625, 0.0625, 0.25, 0.25, 2.0, 0.0625});
  expect_near(losses::huber_loss(a23(), b23()), {2, 3}, float32,
              {0.125, 0.125, 0.5, 0.5, 2.5, 0.125});
  expect_near(losses::huber_loss(a23(), b23(), 0.5f, Reduction::mean), {}, float32,
              {0.4166666666666667});
  expect_near(losses::log_cosh_loss(a23(), b23()), {2, 3}, float32,
              {0.12011450695827745, 0.12011450695827745, 0.4337808304830271, 0.4337808304830271,
               2.309328504577785, 0.12011450695827745});
  // log cosh of a large error is |e| - log 2, without overflow.
  expect_near(losses::log_cosh_loss(array({200.0f}), array({0.0f})), {1}, float32,
              {200.0 - std::log(2.0)});
  EXPECT_EQ(error_message([] {
              losses::mse_loss(a23(), zeros({3, 2}));
            }),
            "[mse_loss] Predictions shape (2,3) does not match targets shape (3,2).");
  EXPECT_EQ(error_message([] { losses::l1_loss(a23(), zeros({3})); }),
            "[l1_loss] Predictions shape (2,3) does not match targets shape (3).");
  EXPECT_EQ(error_message([] { losses::smooth_l1_loss(a23(), zeros({3})); }),
            "[smooth_l1_loss] Predictions shape (2,3) does not match targets shape (3).");
}

TEST(NnLosses, HalfPrecisionStaysHalf) {
  auto a = astype(a23(), float16), b = astype(b23(), float16);
  expect_near(losses::mse_loss(a, b), {}, float16, {1.9583333333333333}, 2e-3);
  expect_near(losses::huber_loss(a, b), {2, 3}, float16, {0.125, 0.125, 0.5, 0.5, 2.5, 0.125},
              2e-3);
  expect_near(losses::cross_entropy(astype(logits(), bfloat16), targets()), {3}, bfloat16,
              {0.342349582389822, 0.11562179490671844, 1.246567269173791}, 1.6e-2);
}

TEST(NnLosses, NllAndKl) {
  auto lp = mlx::core::subtract(logits(), logsumexp(logits(), -1, true));
  expect_near(losses::nll_loss(lp, targets()), {3}, float32,
              {0.342349582389822, 0.11562179490671844, 1.246567269173791});
  expect_near(losses::nll_loss(lp, targets(), -1, Reduction::mean), {}, float32,
              {0.5681795488234438});
  expect_near(losses::nll_loss(transpose(lp), targets(), 0), {3}, float32,
              {0.342349582389822, 0.11562179490671844, 1.246567269173791});
  EXPECT_EQ(error_message([] {
              losses::nll_loss(logits(), array({0, 1}));
            }),
            "[nll_loss] Targets shape (2) does not match inputs shape (3,4).");
  auto q = array({0.0f, 1.0f, 2.0f, 3.0f, 1.0f, 1.0f, 1.0f, 1.0f, 3.0f, 0.0f, -1.0f, 0.5f}, {3, 4});
  auto lq = q - logsumexp(q, -1, true);
  expect_near(losses::kl_div_loss(lp, lq), {3}, float32,
              {1.2993983215513043, 1.4043274337868277, 2.025125268355482});
  expect_near(losses::kl_div_loss(lp, lq, -1, Reduction::sum), {}, float32,
              {1.2993983215513043 + 1.4043274337868277 + 2.025125268355482});
}

TEST(NnLosses, TripletHingeCosine) {
  auto anc = array({1.0f, 2.0f, 3.0f, 0.0f, 0.0f, 1.0f}, {2, 3});
  auto pos = array({1.5f, 2.0f, 2.0f, 0.5f, -0.5f, 1.0f}, {2, 3});
  auto neg = array({0.0f, 2.5f, 4.0f, 0.5f, 0.5f, 0.5f}, {2, 3});
  expect_near(losses::triplet_loss(anc, pos, neg), {2}, float32,
              {0.6180341026301046, 0.8410815071584598});
  expect_near(losses::triplet_loss(anc, pos, neg, -1, 2, 0.1f), {2}, float32, {0.0, 0.0});
  expect_near(losses::triplet_loss(anc, pos, neg, -1, 2, 1.0f, 1e-6f, Reduction::mean), {}, float32,
              {(0.6180341026301046 + 0.8410815071584598) / 2});

  auto inp = array({0.5f, -2.0f, 1.5f, 0.0f, -0.3f});
  auto t = array({1.0f, -1.0f, -1.0f, 1.0f, 1.0f});
  expect_near(losses::hinge_loss(inp, t), {5}, float32, {0.5, 0.0, 2.5, 1.0, 1.3});
  expect_near(losses::hinge_loss(inp, t, Reduction::sum), {}, float32, {5.3});

  auto c1 = array({1.0f, 2.0f, 0.0f, 0.0f, -1.0f, 3.0f}, {2, 3});
  auto c2 = array({2.0f, 1.0f, 1.0f, 0.0f, 2.0f, -6.0f}, {2, 3});
  expect_near(losses::cosine_similarity_loss(c1, c2), {2}, float32,
              {0.7302967433402215, -0.9999999999999999});
  // The zero column's norm product is clamped at eps, so its similarity is 0, not NaN.
  expect_near(losses::cosine_similarity_loss(c1, c2, 0), {3}, float32,
              {1.0, 0.0, -0.9863939238321437});
}

TEST(NnLosses, ReduceHelper) {
  auto l = array({1.0f, 2.0f, 6.0f});
  expect_near(losses::reduce(l, Reduction::mean), {}, float32, {3.0});
  expect_near(losses::reduce(l, Reduction::sum), {}, float32, {9.0});
  expect_near(losses::reduce(l, Reduction::none), {3}, float32, {1.0, 2.0, 6.0});
}

TEST(NnLosses, Gradients) {
  auto x = check::uniform({3, 4}, -2, 2, 5);
  auto y = check::uniform({3, 4}, -2, 2, 6);
  auto p = softmax(check::uniform({3, 4}, -1, 1, 8), -1);
  auto idx = array({1, 0, 3});
  using F = std::function<array(const array&, const array&)>;
  std::vector<F> fns = {
      [&](auto& a, auto&) { return losses::cross_entropy(a, idx, std::nullopt, -1, 0.1f); },
      [&](auto& a, auto&) { return losses::cross_entropy(a, p, std::nullopt, -1, 0.1f); },
      [](auto& a, auto& b) { return losses::binary_cross_entropy(a, sigmoid(b)); },
      [](auto& a, auto& b) {
        return losses::binary_cross_entropy(sigmoid(a), sigmoid(b), std::nullopt, false);
      },
      [](auto& a, auto& b) { return losses::l1_loss(a, b); },
      [](auto& a, auto& b) { return losses::mse_loss(a, b, Reduction::sum); },
      [&](auto& a, auto&) { return losses::nll_loss(a, idx); },
      [](auto& a, auto& b) { return losses::kl_div_loss(a, b); },
      [](auto& a, auto& b) { return losses::smooth_l1_loss(a, b, 0.5f); },
      [](auto& a, auto& b) { return losses::triplet_loss(a, b, a * b, 1); },
      [](auto& a, auto& b) { return losses::hinge_loss(a, b); },
      [](auto& a, auto& b) { return losses::huber_loss(a, b, 0.7f); },
      [](auto& a, auto& b) { return losses::log_cosh_loss(a, b, Reduction::mean); },
      [](auto& a, auto& b) { return losses::cosine_similarity_loss(a, b); },
  };
  for (size_t i = 0; i < fns.size(); ++i) {
    SCOPED_TRACE(i);
    check::grads(
        [&](const std::vector<array>& in) { return std::vector<array>{fns[i](in[0], in[1])}; },
        {x, y}, 1e-6, 1e-5);
  }
}

}  // namespace
