// The products built on matmul: tensordot, outer, inner, vecdot, kron, addmm, gather_mm,
// segmented_mm, block_masked_mm and hadamard_transform. Values are NumPy's (literals generated
// with NumPy 1.24), plus dtypes, shapes, the exact errors, and vjp/jvp/vmap through the check
// harness.
#include <gtest/gtest.h>

#include "check.h"
#include "helpers.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

using V = std::vector<array>;

// The products take floats: iota in float32 unless told.
array fiota(const Shape& shape, Dtype dtype = float32, double shift = 0.0) {
  return iota(shape, dtype, shift);
}

}  // namespace

TEST(Products, Tensordot) {
  auto a = fiota({2, 3, 4});
  auto b = fiota({4, 3});
  expect_array<float>(
      tensordot(a, b, 1), {2, 3, 3}, float32,
      {42, 48, 54, 114, 136, 158, 186, 224, 262, 258, 312, 366, 330, 400, 470, 402, 488, 574});
  expect_array<float>(tensordot(a, fiota({3, 4})), {2}, float32, {506, 1298});
  expect_array<float>(tensordot(a, b, {1, 2}, {1, 0}), {2}, float32, {440, 1232});
  expect_array<float>(tensordot(a, b, {-1, -2}, {0, 1}), {2}, float32, {440, 1232});
  expect_array<float>(tensordot(array({1.0f, 2.0f}), array({3.0f, 4.0f, 5.0f}), 0), {2, 3}, float32,
                      {3, 4, 5, 6, 8, 10});
  // float64, float16 and bfloat16 keep their dtype.
  EXPECT_EQ(tensordot(astype(a, float64), astype(b, float64), 1).dtype(), float64);
  expect_array<float16_t>(tensordot(astype(a, float16), astype(fiota({3, 4}), float16)), {2},
                          float16, {float16_t(506.0f), float16_t(1298.0f)});
  EXPECT_EQ(tensordot(astype(a, bfloat16), astype(b, bfloat16), 1).dtype(), bfloat16);

  EXPECT_INVALID(tensordot(a, b, -1), "[tensordot] axis must be greater or equal to 0 but got -1.");
  EXPECT_INVALID(tensordot(a, b, 3),
                 "[tensordot] axis 3 is more than the number of dimensions of a (2,3,4) or b "
                 "(4,3).");
  EXPECT_INVALID(tensordot(a, b, {1}, {0, 1}),
                 "[tensordot] axes must have the same size but got 1 and 2 axes.");
  EXPECT_INVALID(tensordot(a, b, {3}, {0}),
                 "[tensordot] Invalid axis 3 in axes_a for an array with 3 dimensions.");
  EXPECT_INVALID(tensordot(a, b, {1, -2}, {0, 1}), "[tensordot] Repeated axis -2 in axes_a.");
  EXPECT_INVALID(tensordot(a, b, {1}, {0}),
                 "[tensordot] a and b must have the same shape on the contracted axes but a "
                 "(2,3,4) has 3 on axis 1 and b (4,3) has 4 on axis 0.");
  EXPECT_INVALID(tensordot(astype(a, int32), astype(b, int32), 1),
                 "[matmul] Only inexact types are supported but got int32 and int32.");
}

TEST(Products, OuterInner) {
  auto x = array({1, 2, 3});
  auto y = array({1, -1, 2, 0}, {2, 2});
  expect_array<int32_t>(outer(x, y), {3, 4}, int32, {1, -1, 2, 0, 2, -2, 4, 0, 3, -3, 6, 0});
  EXPECT_EQ(outer(astype(x, float16), y).dtype(), float16);

  auto a = array({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}, {2, 3});
  auto b = array({1.0f, 0.0f, -1.0f, 2.0f, 1.0f, 0.0f, 0.5f, 0.5f, 0.5f}, {3, 3});
  expect_array<float>(inner(a, b), {2, 3}, float32, {-2, 4, 3, -2, 13, 7.5});
  expect_array<float>(inner(array({1.0f, 2.0f}), array({3.0f, 4.0f})), {}, float32, {11});
  expect_array<float>(inner(array(2.0f), a), {2, 3}, float32, {2, 4, 6, 8, 10, 12});
  EXPECT_INVALID(inner(a, array({1.0f, 2.0f})),
                 "[inner] a and b must have the same last dimension but got shapes (2,3) and "
                 "(2).");
}

TEST(Products, Vecdot) {
  auto a = fiota({2, 3});
  expect_array<float>(vecdot(a, array({1.0f, -1.0f, 2.0f})), {2}, float32, {3, 9});
  expect_array<float>(vecdot(fiota({3, 2}), array({1.0f, 2.0f, 3.0f}, {3, 1}), 0), {2}, float32,
                      {16, 22});
  // The first argument is conjugated.
  array ca({complex64_t(1, 2), complex64_t(3, -1)});
  array cb({complex64_t(2, -1), complex64_t(1, 1)});
  expect_array<complex64_t>(vecdot(ca, cb), {}, complex64, {complex64_t(2, -1)});
  // Integers and bools work (NumPy's vecdot does) and keep the promoted dtype.
  expect_array<int16_t>(vecdot(array({1, 2, 3}, int16), array({4, 5, 6}, int8)), {}, int16, {32});
  expect_array<bool>(vecdot(array({true, false}), array({false, true})), {}, bool_, {false});
  expect_array<bool>(vecdot(array({true, false}), array({true, true})), {}, bool_, {true});
  EXPECT_EQ(vecdot(astype(a, bfloat16), astype(a, bfloat16)).dtype(), bfloat16);
  EXPECT_INVALID(vecdot(a, a, 2), "[vecdot] Invalid axis 2 for inputs with broadcast shape (2,3).");
  EXPECT_INVALID(vecdot(a, fiota({2})),
                 "[vecdot] Inputs with shapes (2,3) and (2) cannot be broadcast.");
}

TEST(Products, Kron) {
  auto a = array({1, 2, 3, 4}, {2, 2});
  auto b = array({0, 1, 2, 1, 0, -1}, {2, 3});
  expect_array<int32_t>(kron(a, b), {4, 6}, int32, {0, 1, 2, 0, 2, 4, 1, 0, -1, 2, 0, -2,
                                                    0, 3, 6, 0, 4, 8, 3, 0, -3, 4, 0, -4});
  expect_array<int32_t>(kron(array({1, 2}), a), {2, 4}, int32, {1, 2, 2, 4, 3, 4, 6, 8});
  EXPECT_EQ(kron(astype(a, float32), b).dtype(), float32);
  EXPECT_INVALID(kron(a, zeros({0, 2})),
                 "[kron] Input arrays cannot be empty but got shapes (2,2) and (0,2).");
}

TEST(Products, Addmm) {
  auto a = array({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}, {3, 2});
  auto b = array({1.0f, 0.0f, 2.0f, 1.0f, 0.0f, 1.0f, 1.0f, -1.0f}, {2, 4});
  auto c = array({1.0f, 2.0f, 3.0f, 4.0f});
  std::vector<float> expected{2.5, 5, 9.5, 0, 6.5, 9, 21.5, 0, 10.5, 13, 33.5, 0};
  expect_array<float>(addmm(c, a, b, 2.0f, 0.5f), {3, 4}, float32, expected);
  // Defaults alpha = beta = 1; a scalar c; beta = 0 ignores c (even NaN, as GEMM does).
  expect_array<float>(addmm(array(1.0f), array({1.0f, 2.0f}, {1, 2}), array({3.0f, 4.0f}, {2, 1})),
                      {1, 1}, float32, {12});
  expect_array<float>(
      addmm(array(NAN), array({1.0f, 2.0f}, {1, 2}), array({3.0f, 4.0f}, {2, 1}), 1.0f, 0.0f),
      {1, 1}, float32, {11});
  for (auto dt : {float16, bfloat16, float64}) {
    auto out = addmm(astype(c, dt), astype(a, dt), astype(b, dt), 2.0f, 0.5f);
    EXPECT_EQ(out.dtype(), dt);
    check::expect_same(astype(out, float32), array(expected.data(), {3, 4}, float32));
  }
  array cc({complex64_t(1, 1)});
  array ca({complex64_t(1, 2), complex64_t(0, 1)}, {1, 2});
  array cb({complex64_t(2, 0), complex64_t(1, -1)}, {2, 1});
  // 2 * ((1+2i) 2 + i (1-i)) + 3 (1+i) = 2 (3+5i) + 3+3i
  expect_array<complex64_t>(addmm(cc, ca, cb, 2.0f, 3.0f), {1, 1}, complex64, {complex64_t(9, 13)});
  // Vector operands, with c broadcast against the 1-D result.
  expect_array<float>(addmm(array({1.0f, 1.0f, 1.0f}), a, array({1.0f, -1.0f})), {3}, float32,
                      {0, 0, 0});
  expect_array<float>(addmm(array(1.0f), array({1.0f, 2.0f}), array({3.0f, 4.0f})), {}, float32,
                      {12});
  // Batched, c broadcast; K = 0 leaves beta * c.
  auto batched = addmm(array({1.0f, 2.0f}, {2, 1, 1}), fiota({2, 1, 3}), fiota({3, 1}));
  expect_array<float>(batched, {2, 1, 1}, float32, {6, 16});
  expect_array<float>(addmm(array({1.0f, 2.0f}), zeros({1, 0}), zeros({0, 2}), 1.0f, 3.0f), {1, 2},
                      float32, {3, 6});
  // A transposed a and a batch-broadcast b reach GEMM as views; c is read through its strides.
  auto at = transpose(reshape(arange(6.0f), {3, 2}));
  auto bb = broadcast_to(reshape(arange(12.0f), {1, 3, 4}), {2, 3, 4});
  auto ct = transpose(reshape(arange(8.0f), {4, 2}));
  check::expect_same(addmm(ct, at, bb, 2.0f, 3.0f),
                     add(multiply(matmul(at, bb), array(2.0f)), multiply(ct, array(3.0f))));
  // Promotion: int c with float operands.
  EXPECT_EQ(addmm(array(1), a, b).dtype(), float32);

  EXPECT_INVALID(addmm(c, a, fiota({3, 4})),
                 "[addmm] Last dimension of first input with shape (3,2) must match second to "
                 "last dimension of second input with shape (3,4).");
  EXPECT_INVALID(addmm(c, array(1.0f), b),
                 "[addmm] Got 0 dimension input. Inputs must have at least one dimension, but "
                 "got shapes () and (2,4).");
  EXPECT_INVALID(addmm(fiota({2}), a, b),
                 "[addmm] Input c with shape (2) cannot be broadcast to the product's shape "
                 "(3,4).");
  EXPECT_INVALID(addmm(array(1), array({1, 2}, {1, 2}), array({1, 2}, {2, 1})),
                 "[addmm] Only inexact types are supported but got int32, int32 and int32.");
  EXPECT_INVALID(addmm(c, fiota({2, 3, 2}), fiota({3, 2, 4})),
                 "[addmm] Batch dimensions of inputs with shapes (2,3,2) and (3,2,4) cannot be "
                 "broadcast.");

  auto f = [](const V& x) { return V{addmm(x[0], x[1], x[2], 0.75f, -1.5f)}; };
  check::grads(f, {check::uniform({3, 4}, -1, 1, 1), check::uniform({3, 2}, -1, 1, 2),
                   check::uniform({2, 4}, -1, 1, 3)});
  check::grads(f, {check::uniform({4}, -1, 1, 1), check::uniform({2, 3, 2}, -1, 1, 2),
                   check::uniform({2, 4}, -1, 1, 3)});
  check::vmaps(f, {check::uniform({3, 4}, -1, 1, 1), check::uniform({3, 2}, -1, 1, 2),
                   check::uniform({2, 4}, -1, 1, 3)});
}

TEST(Products, GatherMM) {
  auto a = divide(fiota({2, 2, 3}), array(4.0f));
  auto b = fiota({3, 3, 2}, float32, -4);
  auto lhs = array({1u, 0u, 1u});
  auto rhs = array({2u, 2u, 0u});
  std::vector<float> expected{53.5, 58.75, 76, 83.5, 8.5, 9.25, 31, 34, -9.5, -4.25, -14, -6.5};
  expect_array<float>(gather_mm(a, b, lhs, rhs), {3, 2, 2}, float32, expected);
  // Index dtypes other than uint32, broadcast index shapes.
  expect_array<float>(gather_mm(a, b, array({1, 0, 1}, int64), array({2, 2, 0}, int16)), {3, 2, 2},
                      float32, expected);
  auto bc = gather_mm(a, b, array({1u}, {1, 1}), array({2u, 0u}, {2, 1}));
  EXPECT_EQ(bc.shape(), Shape({2, 1, 2, 2}));
  // No lhs indices: a's own batch (one matrix here), broadcast against rhs.
  auto one = gather_mm(fiota({2, 3}), b, std::nullopt, array({1u, 2u}));
  expect_array<float>(one, {2, 2, 2}, float32,
                      values<float>(matmul(fiota({2, 3}), stack({check::take_slice(b, 0, 1),
                                                                 check::take_slice(b, 0, 2)}))));
  for (auto dt : {float16, bfloat16, float64}) {
    auto out = gather_mm(astype(a, dt), astype(b, dt), lhs, rhs);
    EXPECT_EQ(out.dtype(), dt);
    check::expect_same(astype(out, float32), array(expected.data(), {3, 2, 2}, float32));
  }
  // No indices at all is matmul.
  EXPECT_EQ(gather_mm(fiota({2, 3}), fiota({3, 4})).shape(), Shape({2, 4}));

  // Out-of-range indices fail when the kernel runs (MLX leaves them undefined).
  EXPECT_EQ(error_of([&] { eval(gather_mm(a, b, array({2u}), array({0u}))); }),
            "[gather_mm] lhs index 2 is out of range for 2 matrices.");
  EXPECT_EQ(error_of([&] { eval(gather_mm(a, b, array({0u}), array({-1}))); }),
            "[gather_mm] rhs index 4294967295 is out of range for 3 matrices.");
  EXPECT_INVALID(gather_mm(a, b, array({0.5f}), rhs),
                 "[gather_mm] Got lhs_indices with invalid dtype float32. Indices must be "
                 "integral.");
  EXPECT_INVALID(gather_mm(a, b, array({0u, 1u}), rhs),
                 "[gather_mm] The index shapes (2) and (3) cannot be broadcast.");
  EXPECT_INVALID(gather_mm(astype(a, int32), astype(b, int32), lhs, rhs),
                 "[gather_mm] Only inexact types are supported but got int32 and int32.");
  EXPECT_INVALID(gather_mm(a, fiota({3, 2, 2}), lhs, rhs),
                 "[gather_mm] Last dimension of first input with shape (2,2,3) must match second "
                 "to last dimension of second input with shape (3,2,2).");

  // Repeated indices accumulate their cotangents.
  auto f = [](const V& x) {
    return V{gather_mm(x[0], x[1], array({1u, 0u, 1u, 1u}), array({2u, 2u, 0u, 2u}))};
  };
  check::grads(f, {check::uniform({2, 2, 3}, -1, 1, 1), check::uniform({3, 3, 2}, -1, 1, 2)});
  // Second order: the vjp is made of gather_mm and scatter_add.
  auto df = [&f](const V& x) {
    auto ct = check::uniform({4, 2, 2}, -1, 1, 9);
    return vjp(f, x, {ct}).second;
  };
  check::grads(df, {check::uniform({2, 2, 3}, -1, 1, 1), check::uniform({3, 3, 2}, -1, 1, 2)});
  array ca({complex64_t(1, 1), complex64_t(2, 0)}, {2, 1, 1});
  array cb({complex64_t(0, 1), complex64_t(1, -1)}, {2, 1, 1});
  expect_array<complex64_t>(gather_mm(ca, cb, array({1u, 0u}), array({1u, 0u})), {2, 1, 1},
                            complex64, {complex64_t(2, -2), complex64_t(-1, 1)});
  auto g = [](const V& x) { return V{gather_mm(x[0], x[1], x[2], x[3])}; };
  auto la = array({1u, 0u, 1u, 0u, 0u, 1u}, {3, 2});
  auto ra = array({2u, 0u, 1u, 1u, 0u, 2u}, {3, 2});
  auto ab = check::uniform({3, 2, 2, 3}, -1, 1, 4);
  auto bb = check::uniform({3, 3, 3, 2}, -1, 1, 5);
  check::vmap_matches_loop(g, {ab, bb, la, ra}, {0, 0, 0, 0});
  check::vmap_matches_loop(g, {ab, check::take_slice(bb, 0, 0), la, array({1u, 2u})},
                           {0, -1, 0, -1});
  check::vmap_matches_loop(g, {check::take_slice(ab, 0, 0), bb, array({0u, 1u}), ra},
                           {-1, 0, -1, 0});
  check::vmap_matches_loop(g, {moveaxis(ab, 0, 3), bb, la, ra}, {3, 0, 0, 0});
}

TEST(Products, SegmentedMM) {
  auto a = fiota({2, 5});
  auto b = fiota({5, 2}, float32, -3);
  auto segments = array({0, 2, 2, 5, 1, 1, 0, 5}, {4, 2});
  std::vector<float> expected{-1, 0, -21, -10, 31, 40, 76, 100, 0, 0, 0, 0, 30, 40, 55, 90};
  expect_array<float>(segmented_mm(a, b, segments), {4, 2, 2}, float32, expected);
  expect_array<float>(segmented_mm(a, b, reshape(segments, {2, 2, 2})), {2, 2, 2, 2}, float32,
                      expected);
  for (auto dt : {float16, bfloat16, float64}) {
    auto out = segmented_mm(astype(a, dt), astype(b, dt), segments);
    EXPECT_EQ(out.dtype(), dt);
    check::expect_same(astype(out, float32), array(expected.data(), {4, 2, 2}, float32));
  }
  EXPECT_EQ(error_of([&] {
              eval(segmented_mm(a, b, array({0, 6}, {1, 2})));
            }),
            "[segmented_mm] Segment [0, 6) is not a range within [0, 5].");
  EXPECT_EQ(error_of([&] {
              eval(segmented_mm(a, b, array({3, 2}, {1, 2})));
            }),
            "[segmented_mm] Segment [3, 2) is not a range within [0, 5].");
  EXPECT_INVALID(segmented_mm(fiota({1, 2, 5}), b, segments),
                 "[segmented_mm] Batched matmul not supported: the inputs must be matrices but "
                 "got shapes (1,2,5) and (5,2).");
  EXPECT_INVALID(segmented_mm(a, b, array({0, 1, 2})),
                 "[segmented_mm] The segments should have shape (..., 2) but (3) was provided.");
  EXPECT_INVALID(segmented_mm(a, b, array({0.0f, 1.0f})),
                 "[segmented_mm] Got segments with invalid dtype float32. Segments must be "
                 "integral.");
  EXPECT_INVALID(segmented_mm(a, fiota({4, 2}), segments),
                 "[segmented_mm] Last dimension of first input with shape (2,5) must match "
                 "second to last dimension of second input with shape (4,2).");

  auto f = [&](const V& x) { return V{segmented_mm(x[0], x[1], segments)}; };
  check::grads(f, {check::uniform({2, 5}, -1, 1, 1), check::uniform({5, 2}, -1, 1, 2)});
  auto g = [](const V& x) { return V{segmented_mm(x[0], x[1], x[2])}; };
  auto seg3 = array({0, 2, 2, 5, 1, 4, 0, 5, 3, 3, 2, 4}, {3, 2, 2});
  check::vmap_matches_loop(g, {check::uniform({3, 2, 5}), check::uniform({5, 2}), seg3},
                           {0, -1, 0});
  check::vmap_matches_loop(g, {check::uniform({2, 5}), check::uniform({5, 3, 2}), segments},
                           {-1, 1, -1});
}

TEST(Products, BlockMaskedMM) {
  // 40 x 70 @ 70 x 33 with 32-blocks: masks (2, 3), (3, 2) and (2, 2) blocks (edges partial).
  auto a = check::uniform({40, 70}, -1, 1, 1, float32);
  auto b = check::uniform({70, 33}, -1, 1, 2, float32);
  auto lhs = array({true, false, true, true, true, false}, {2, 3});
  auto rhs = array({1.0f, 0.5f, 2.0f, 1.0f, 0.0f, -1.0f}, {3, 2});
  auto out_mask = array({true, true, false, true}, {2, 2});
  auto got = block_masked_mm(a, b, 32, out_mask, lhs, rhs);
  ASSERT_EQ(got.shape(), Shape({40, 33}));
  auto av = values<float>(a);
  auto bv = values<float>(b);
  auto lv = values<bool>(lhs);
  auto rv = values<float>(rhs);
  auto ov = values<bool>(out_mask);
  std::vector<float> expected(40 * 33);
  for (int i = 0; i < 40; ++i) {
    for (int j = 0; j < 33; ++j) {
      double acc = 0;
      for (int k = 0; k < 70; ++k) {
        double l = lv[(i / 32) * 3 + k / 32] ? 1.0 : 0.0;
        acc += av[i * 70 + k] * l * bv[k * 33 + j] * rv[(k / 32) * 2 + j / 32];
      }
      expected[i * 33 + j] = ov[(i / 32) * 2 + j / 32] ? static_cast<float>(acc) : 0.0f;
    }
  }
  check::expect_same(got, array(expected.data(), {40, 33}, float32), 1e-5);
  // A false block of a bool mask is never multiplied: inf there does not make NaN.
  auto inf_a = concatenate({full({32, 32}, INFINITY, float32), ones({32, 32})}, 1);
  auto masked = block_masked_mm(inf_a, ones({64, 32}), 32, std::nullopt,
                                array({false, true}, {1, 2}), array({true, true}, {2, 1}));
  check::expect_same(masked, full({32, 32}, 32.0f));
  // No masks: matmul.
  EXPECT_EQ(block_masked_mm(a, b, 32).shape(), Shape({40, 33}));
  EXPECT_INVALID(block_masked_mm(a, b, 16, out_mask),
                 "[block_masked_mm] Only block_sizes 32, 64 are supported. Got block size 16.");
  EXPECT_INVALID(block_masked_mm(a, b, 32, array({true}, {1, 1})),
                 "[block_masked_mm] mask_out must have shape (..., 2, 2) for blocks of 32 but "
                 "got shape (1,1).");
  EXPECT_INVALID(block_masked_mm(astype(a, int32), astype(b, int32), 32, out_mask),
                 "[block_masked_mm] Only real floating point types are supported but int32 and "
                 "int32 were provided which results in int32, which is not a real floating point "
                 "type.");

  auto f = [&](const V& x) {
    return V{block_masked_mm(x[0], x[1], 32, out_mask, std::nullopt, x[2])};
  };
  check::grads(f, {check::uniform({40, 70}, -1, 1, 1), check::uniform({70, 33}, -1, 1, 2),
                   check::uniform({3, 2}, -1, 1, 3)});
}

TEST(Products, Hadamard) {
  expect_array<float>(hadamard_transform(array({1.0f, 2.0f, 3.0f, 4.0f})), {4}, float32,
                      {5, -1, -2, 0});
  // 24 = 12 * 2: H_12 kron H_2 (MLX's H_12), unscaled.
  auto x24 = fiota({24}, float32, -5);
  expect_array<float>(hadamard_transform(x24, 1.0f), {24}, float32,
                      {166, -10, -6,  2, -18, -2, -6,  2, -98, -2, -22, 2,
                       -18, -2,  -38, 2, 62,  -2, -54, 2, -18, -2, -70, 2});
  std::vector<float> x20;
  for (int i = 0; i < 20; ++i) x20.push_back(static_cast<float>(i % 7 - 3));
  expect_array<float>(
      hadamard_transform(array(x20.data(), {20}), 1.0f), {20}, float32,
      {-5, 15, 7, -1, 5, -3, 1, -3, -7, -3, -1, 9, -1, 3, -15, -13, -11, 5, 21, -5});
  // Rows along the last axis of a strided view; integers become float32.
  auto m = transpose(reshape(array({1, 2, 3, 4, 5, 6, 7, 8}, int32), {4, 2}));
  expect_array<float>(hadamard_transform(m, 0.5f), {2, 4}, float32, {8, -2, -4, 0, 10, -2, -4, 0});
  for (auto dt : {float16, bfloat16, float64}) {
    auto out = hadamard_transform(astype(x24, dt));
    EXPECT_EQ(out.dtype(), dt);
    check::expect_same(astype(out, float32),
                       multiply(hadamard_transform(x24, 1.0f), array(1.0f / std::sqrt(24.0f))),
                       1e-2);
  }
  // n = 1 only scales.
  expect_array<float>(hadamard_transform(array({3.0f}, {1, 1}), 2.0f), {1, 1}, float32, {6});
  // The transform is orthonormal with the default scale: applying it twice (H_20 is not
  // symmetric, so via the vjp's transpose) gives the input back.
  auto v = check::uniform({3, 40});
  auto [outs, back] =
      vjp([](const V& x) { return V{hadamard_transform(x[0])}; }, {v}, {hadamard_transform(v)});
  // The float scale squared times 40 is 1 to float precision.
  check::expect_same(back[0], v, 1e-6);
  EXPECT_INVALID(hadamard_transform(zeros({2, 0})),
                 "[hadamard_transform] Does not support empty arrays but got shape (2,0).");
  EXPECT_INVALID(hadamard_transform(zeros({2, 36})),
                 "[hadamard_transform] The last axis of shape (2,36) must have size m * 2^k with "
                 "m in (1, 12, 20, 28).");
  EXPECT_INVALID(hadamard_transform(astype(zeros({2}), complex64)),
                 "[hadamard_transform] Only real inputs are supported but got complex64.");

  for (int n : {8, 12, 40, 56}) {
    auto f = [](const V& x) { return V{hadamard_transform(x[0], 0.5f)}; };
    check::grads(f, {check::uniform({2, n})});
    check::vmaps(f, {check::uniform({2, n})});
  }
}
