// einsum and einsum_path: values against NumPy 1.24 literals (explicit and implicit outputs,
// "...", diagonals, traces, sums, broadcasting of size-1 letters, integer operands), NumPy's
// greedy path on a chain, the exact errors, and vjp/vmap through the check harness.
#include <gtest/gtest.h>

#include "check.h"
#include "helpers.h"

#include <string>
#include <vector>

#include "mlx/einsum.h"
#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

using V = std::vector<array>;

// The products take floats: iota in float32 unless told.
array fiota(const Shape& shape, Dtype dtype = float32, double shift = 0.0) {
  return iota(shape, dtype, shift);
}

}  // namespace

TEST(Einsum, Values) {
  auto a = fiota({2, 3});
  auto b = fiota({3, 4}, float32, -3);
  std::vector<float> ab{11, 14, 17, 20, 20, 32, 44, 56};
  expect_array<float>(einsum("ij,jk->ik", {a, b}), {2, 4}, float32, ab);
  expect_array<float>(einsum("ij,jk", {a, b}), {2, 4}, float32, ab);
  expect_array<float>(einsum(" i j , j k -> i k ", {a, b}), {2, 4}, float32, ab);
  expect_array<float>(einsum("ij->ji", {a}), {3, 2}, float32, {0, 3, 1, 4, 2, 5});
  expect_array<float>(einsum("ji", {a}), {3, 2}, float32, {0, 3, 1, 4, 2, 5});
  expect_array<float>(einsum("ij->", {a}), {}, float32, {15});
  auto sq = fiota({3, 3});
  expect_array<float>(einsum("ii", {sq}), {}, float32, {12});
  expect_array<float>(einsum("ii->i", {sq}), {3}, float32, {0, 4, 8});
  expect_array<float>(einsum("iij->ij", {fiota({3, 3, 2})}), {3, 2}, float32, {0, 1, 8, 9, 16, 17});
  expect_array<float>(
      einsum("bij,bjk->bik", {slice(fiota({2, 3, 4}), {0, 0, 0}, {2, 3, 3}), fiota({2, 3, 3})}),
      {2, 3, 3}, float32,
      {15, 18, 21, 51, 66, 81, 87, 114, 141, 474, 513, 552, 618, 669, 720, 762, 825, 888});
  expect_array<float>(einsum("...ij,jk->...ik", {fiota({2, 3, 4}), fiota({4, 2})}), {2, 3, 2},
                      float32, {28, 34, 76, 98, 124, 162, 172, 226, 220, 290, 268, 354});
  // Implicit output with "...": broadcast dims first.
  EXPECT_EQ(einsum("...ij,jk", {fiota({2, 3, 4}), fiota({4, 2})}).shape(), Shape({2, 3, 2}));
  expect_array<float>(einsum("ij,jk,k->i", {a, b, array({1.0f, 2.0f, 3.0f, 4.0f})}), {2}, float32,
                      {170, 440});
  // Implicit order is ASCII: capitals first.
  EXPECT_EQ(einsum("bA,Ac", {ones({2, 3}), ones({3, 4})}).shape(), Shape({2, 4}));
  EXPECT_EQ(einsum("Ab,bc", {ones({2, 3}), ones({3, 4})}).shape(), Shape({2, 4}));
  EXPECT_EQ(einsum("cb,bA", {ones({2, 3}), ones({3, 4})}).shape(), Shape({4, 2}));
  // A letter of size 1 broadcasts, even a summed one.
  expect_array<float>(einsum("ij,jk", {array({1.0f, 2.0f}, {2, 1}), fiota({3, 4})}), {2, 4},
                      float32, {12, 15, 18, 21, 24, 30, 36, 42});
  // Outer products, integers, bools, promotion.
  expect_array<int32_t>(einsum("i,j->ij", {array({1, 2}), array({3, 4, 5})}), {2, 3}, int32,
                        {3, 4, 5, 6, 8, 10});
  expect_array<int32_t>(einsum("i,i", {array({1, 2, 3}), array({4, 5, 6})}), {}, int32, {32});
  expect_array<int16_t>(einsum("ij->i", {array({1, 2, 3, 4}, {2, 2}, int16)}), {2}, int16, {3, 7});
  EXPECT_EQ(einsum("i,i", {array({1, 2}, int8), array({1.0f, 2.0f}, float16)}).dtype(), float16);
  for (auto dt : {float16, bfloat16, float64}) {
    auto out = einsum("ij,jk->ik", {astype(a, dt), astype(b, dt)});
    EXPECT_EQ(out.dtype(), dt);
    check::expect_same(astype(out, float32), array(ab.data(), {2, 4}, float32));
  }
  // A 0-d operand has an empty term.
  expect_array<float>(einsum(",i->i", {array(2.0f), array({1.0f, 3.0f})}), {2}, float32, {2, 6});
  array ca({complex64_t(1, 1), complex64_t(0, 2)});
  expect_array<complex64_t>(einsum("i,i", {ca, ca}), {}, complex64, {complex64_t(-4, 2)});
}

TEST(Einsum, Path) {
  auto [path, report] = einsum_path("ij,jk,kl->il", {ones({2, 3}), ones({3, 4}), ones({4, 5})});
  // NumPy: ['einsum_path', (1, 2), (0, 1)].
  EXPECT_EQ(path, (std::vector<std::vector<int>>{{1, 2}, {0, 1}}));
  EXPECT_NE(report.find("  Complete contraction:  ij,jk,kl->il\n"), std::string::npos) << report;
  EXPECT_NE(report.find("         Naive scaling:  4\n"), std::string::npos) << report;
  EXPECT_NE(report.find("     Optimized scaling:  3\n"), std::string::npos) << report;
  EXPECT_NE(report.find("      Naive FLOP count:  3.600e+02\n"), std::string::npos) << report;
  EXPECT_NE(report.find("  Optimized FLOP count:  1.810e+02\n"), std::string::npos) << report;
  EXPECT_NE(report.find("  Largest intermediate:  1.500e+01 elements\n"), std::string::npos)
      << report;
  EXPECT_NE(report.find("jk,kl->jl"), std::string::npos) << report;
  EXPECT_NE(report.find("ij,jl->il"), std::string::npos) << report;
  // A chain whose best first pair is at the front, and a single operand.
  EXPECT_EQ(einsum_path("ij,jk,kl", {ones({2, 30}), ones({30, 2}), ones({2, 40})}).first,
            (std::vector<std::vector<int>>{{0, 1}, {0, 1}}));
  EXPECT_EQ(einsum_path("ii", {ones({3, 3})}).first, (std::vector<std::vector<int>>{{0}}));
  // The contraction follows the path: a long chain never builds the outer product of all.
  std::vector<array> chain;
  std::string subs;
  for (int i = 0; i < 8; ++i) {
    chain.push_back(ones({16, 16}));
    subs += std::string(i ? "," : "") + char('a' + i) + char('a' + i + 1);
  }
  expect_array<float>(einsum(subs + "->ai", chain), {16, 16}, float32,
                      std::vector<float>(256, 16.0f * 16 * 16 * 16 * 16 * 16 * 16));
}

TEST(Einsum, Errors) {
  auto a = ones({2, 3});
  auto b = ones({3, 4});
  EXPECT_INVALID(einsum("ij,jk", {a}),
                 "[einsum] Subscripts 'ij,jk' name 2 operands but 1 were given.");
  EXPECT_INVALID(einsum("ij", {}), "[einsum] At least one operand is required.");
  EXPECT_INVALID(einsum("i1,jk", {a, b}), "[einsum] Invalid character '1' in subscripts 'i1,jk'.");
  EXPECT_INVALID(einsum("i.j", {a}), "[einsum] Invalid character '.' in subscripts 'i.j'.");
  EXPECT_INVALID(einsum("ijk,jk", {a, b}),
                 "[einsum] Operand 0 with shape (2,3) has 2 dimensions but its subscripts 'ijk' "
                 "name 3.");
  EXPECT_INVALID(einsum("...ijk", {a}),
                 "[einsum] Operand 0 with shape (2,3) has 2 dimensions but its subscripts "
                 "'...ijk' name 3.");
  EXPECT_INVALID(einsum("...i...", {a}),
                 "[einsum] Subscripts '...i...' have more than one '...' in the term '...i...'.");
  EXPECT_INVALID(einsum("ij,jk", {a, ones({4, 4})}),
                 "[einsum] Index 'j' has size 4 in operand 1 but size 3 elsewhere.");
  EXPECT_INVALID(einsum("ii", {a}),
                 "[einsum] Index 'i' is repeated in operand 0 with shape (2,3) but its dimensions "
                 "differ.");
  EXPECT_INVALID(einsum("ij->iki", {a}),
                 "[einsum] Output index 'k' does not appear in the inputs of 'ij->iki'.");
  EXPECT_INVALID(einsum("ij->ii", {a}),
                 "[einsum] Output index 'i' is repeated in subscripts 'ij->ii'.");
  EXPECT_INVALID(einsum("ij->i->j", {a}),
                 "[einsum] Subscripts 'ij->i->j' have more than one '->'.");
  EXPECT_INVALID(einsum("...i->i", {ones({2, 3})}),
                 "[einsum] The inputs of '...i->i' have '...' dimensions but the output has no "
                 "'...' to put them.");
  EXPECT_INVALID(einsum("...i,...i", {ones({2, 3}), ones({4, 3})}),
                 "[einsum] The '...' dimensions of operand 1 with shape (4,3) cannot be broadcast "
                 "with the other operands.");
  EXPECT_INVALID(einsum_path("ij,jk", {a}),
                 "[einsum] Subscripts 'ij,jk' name 2 operands but 1 were given.");
}

TEST(Einsum, Transforms) {
  auto f = [](const V& x) { return V{einsum("ij,jk,kl->il", {x[0], x[1], x[2]})}; };
  std::vector<array> in{check::uniform({2, 3}, -1, 1, 1), check::uniform({3, 4}, -1, 1, 2),
                        check::uniform({4, 2}, -1, 1, 3)};
  check::grads(f, in);
  check::vmaps(f, in);
  auto g = [](const V& x) { return V{einsum("iij,jk->ik", {x[0], x[1]})}; };
  check::grads(g, {check::uniform({3, 3, 2}, -1, 1, 4), check::uniform({2, 4}, -1, 1, 5)});
  check::vmaps(g, {check::uniform({3, 3, 2}, -1, 1, 4), check::uniform({2, 4}, -1, 1, 5)});
  auto h = [](const V& x) { return V{einsum("...j,j->...", {x[0], x[1]})}; };
  check::grads(h, {check::uniform({2, 3}, -1, 1, 6), check::uniform({3}, -1, 1, 7)});
  check::vmaps(h, {check::uniform({2, 3}, -1, 1, 6), check::uniform({3}, -1, 1, 7)});
}
