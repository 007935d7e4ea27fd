// The shape family: transpose, expand_dims, squeeze (views for any strides), reshape as a view
// where the strides allow, contiguous, concatenate and stack.
#include <gtest/gtest.h>

#include "helpers.h"

#include <complex>
#include <cstdint>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "check.h"
#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

std::vector<int32_t> iota(int32_t begin, int32_t end) {
  std::vector<int32_t> v(end - begin);
  std::iota(v.begin(), v.end(), begin);
  return v;
}

// Evaluates both and checks that `view` uses `base`'s buffer, starting `offset` bytes later.
void expect_view_of(array view, array base, int64_t offset = 0) {
  eval({view, base});
  EXPECT_EQ(view.data_shared_ptr(), base.data_shared_ptr());
  EXPECT_EQ(view.offset(), base.offset() + offset);
  EXPECT_EQ(view.data<char>(), base.data<char>() + offset);
}

void expect_copy_of(array result, array base) {
  eval({result, base});
  EXPECT_NE(result.data_shared_ptr(), base.data_shared_ptr());
  EXPECT_TRUE(result.flags().row_contiguous);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// transpose

TEST(ShapeTranspose, ReversesDimsByDefault) {
  auto a = reshape(arange(6), {2, 3});
  auto t = transpose(a);
  expect_array<int32_t>(t, {3, 2}, int32, {0, 3, 1, 4, 2, 5});
  EXPECT_EQ(t.strides(), (Strides{1, 3}));
  EXPECT_FALSE(t.flags().row_contiguous);
  EXPECT_TRUE(t.flags().col_contiguous);
  EXPECT_TRUE(t.flags().contiguous);
  EXPECT_EQ(t.data_size(), 6u);
  expect_view_of(t, a);

  auto b = reshape(arange(24), {2, 3, 4});
  auto tb = transpose(b);
  EXPECT_EQ(tb.shape(), (Shape{4, 3, 2}));
  tb.eval();
  EXPECT_EQ(tb.strides(), (Strides{1, 4, 12}));
  EXPECT_EQ(values<int32_t>(tb)[0], 0);
  EXPECT_EQ(values<int32_t>(tb)[1], 12);
  EXPECT_EQ(values<int32_t>(tb)[2], 4);
  EXPECT_EQ(values<int32_t>(tb)[23], 23);
}

TEST(ShapeTranspose, Permutations) {
  auto a = reshape(arange(24), {2, 3, 4});
  // out[i, j, k] = a[k, i, j]
  auto t = transpose(a, {1, 2, 0});
  std::vector<int32_t> expected;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 4; ++j) {
      for (int k = 0; k < 2; ++k) {
        expected.push_back(k * 12 + i * 4 + j);
      }
    }
  }
  expect_array<int32_t>(t, {3, 4, 2}, int32, expected);
  EXPECT_EQ(t.strides(), (Strides{4, 1, 12}));
  expect_view_of(t, a);
  // Negative axes and the vector overload give the same view.
  auto n = transpose(a, std::vector<int>{-2, -1, 0});
  expect_array<int32_t>(n, {3, 4, 2}, int32, expected);
  // A transpose of a transpose composes the permutations.
  auto back = transpose(t, {2, 0, 1});
  expect_array<int32_t>(back, {2, 3, 4}, int32, iota(0, 24));
  back.eval();
  EXPECT_EQ(back.strides(), (Strides{12, 4, 1}));
  EXPECT_TRUE(back.flags().row_contiguous);
  expect_view_of(back, a);
}

TEST(ShapeTranspose, IdentityPermutationAndSmallRanks) {
  auto a = reshape(arange(6), {2, 3});
  EXPECT_EQ(transpose(a, {0, 1}).id(), a.id());
  EXPECT_EQ(transpose(a, {-2, -1}).id(), a.id());
  auto v = arange(3);
  EXPECT_EQ(transpose(v).id(), v.id());
  auto s = array(5.0f);
  EXPECT_EQ(transpose(s).id(), s.id());
  EXPECT_EQ(transpose(s, std::vector<int>{}).id(), s.id());
}

TEST(ShapeTranspose, StridedInputs) {
  // Every other column of a 4x6, then transposed: strides compose.
  auto m = reshape(arange(24), {4, 6});
  auto cols = slice(m, {0, 1}, {4, 6}, {1, 2});
  auto t = transpose(cols);
  expect_array<int32_t>(t, {3, 4}, int32, {1, 7, 13, 19, 3, 9, 15, 21, 5, 11, 17, 23});
  EXPECT_EQ(t.strides(), (Strides{2, 6}));
  expect_view_of(t, m, 4);
  // A broadcast input keeps its zero strides.
  auto b = broadcast_to(array({1, 2, 3}), {2, 3});
  auto tb = transpose(b);
  expect_array<int32_t>(tb, {3, 2}, int32, {1, 1, 2, 2, 3, 3});
  EXPECT_EQ(tb.strides(), (Strides{1, 0}));
}

TEST(ShapeTranspose, Errors) {
  auto a = reshape(arange(6), {2, 3});
  EXPECT_INVALID(transpose(a, {0}),
                 "[transpose] Recived invalid axes (0) for array with 2 dimensions: they must be "
                 "a permutation of the dimensions.");
  EXPECT_INVALID(transpose(a, {0, 1, 2}),
                 "[transpose] Recived invalid axes (0,1,2) for array with 2 dimensions: they must "
                 "be a permutation of the dimensions.");
  EXPECT_INVALID(transpose(a, {0, 2}),
                 "[transpose] Recived invalid axes (0,2) for array with 2 dimensions: they must be "
                 "a permutation of the dimensions.");
  EXPECT_INVALID(transpose(a, {-3, 0}),
                 "[transpose] Recived invalid axes (-3,0) for array with 2 dimensions: they must "
                 "be a permutation of the dimensions.");
  EXPECT_INVALID(transpose(a, {1, -1}),
                 "[transpose] Recived invalid axes (1,-1) for array with 2 dimensions: they must "
                 "be a permutation of the dimensions.");
  EXPECT_INVALID(transpose(array(1), {0}),
                 "[transpose] Recived invalid axes (0) for array with 0 dimensions: they must be "
                 "a permutation of the dimensions.");
}

// ---------------------------------------------------------------------------------------------
// expand_dims

TEST(ShapeExpandDims, Values) {
  auto a = reshape(arange(6), {2, 3});
  auto e0 = expand_dims(a, 0);
  expect_array<int32_t>(e0, {1, 2, 3}, int32, iota(0, 6));
  EXPECT_EQ(e0.strides(), (Strides{6, 3, 1}));
  EXPECT_TRUE(e0.flags().row_contiguous);
  expect_view_of(e0, a);
  auto e1 = expand_dims(a, -1);
  expect_array<int32_t>(e1, {2, 3, 1}, int32, iota(0, 6));
  EXPECT_EQ(e1.strides(), (Strides{3, 1, 1}));
  auto e2 = expand_dims(a, 1);
  expect_array<int32_t>(e2, {2, 1, 3}, int32, iota(0, 6));
  EXPECT_EQ(e2.strides(), (Strides{3, 3, 1}));
  // Several axes index the result; order and sign do not matter.
  auto e3 = expand_dims(a, {0, 2});
  expect_array<int32_t>(e3, {1, 2, 1, 3}, int32, iota(0, 6));
  auto e4 = expand_dims(a, {-1, 0});
  expect_array<int32_t>(e4, {1, 2, 3, 1}, int32, iota(0, 6));
  auto e5 = expand_dims(a, {3, -4, 2});
  expect_array<int32_t>(e5, {2, 1, 1, 1, 3}, int32, iota(0, 6));
  expect_view_of(e5, a);
  // Scalars and empty axes.
  auto s = array(7.5f);
  expect_array<float>(expand_dims(s, 0), {1}, float32, {7.5f});
  expect_array<float>(expand_dims(s, {0, 1}), {1, 1}, float32, {7.5f});
  EXPECT_EQ(expand_dims(a, std::vector<int>{}).id(), a.id());
  expect_array<float>(expand_dims(zeros({0, 2}), 1), {0, 1, 2}, float32, {});
}

TEST(ShapeExpandDims, StridedInputsStayViews) {
  auto a = reshape(arange(6), {2, 3});
  auto t = transpose(a);  // (3,2), strides (1,3)
  auto e = expand_dims(t, 1);
  expect_array<int32_t>(e, {3, 1, 2}, int32, {0, 3, 1, 4, 2, 5});
  EXPECT_EQ(e.strides()[0], 1);
  EXPECT_EQ(e.strides()[2], 3);
  expect_view_of(e, a);
  // A slice with an offset keeps it.
  auto m = reshape(arange(12), {3, 4});
  auto sl = slice(m, {1, 1}, {3, 4});
  auto es = expand_dims(sl, {0, 3});
  expect_array<int32_t>(es, {1, 2, 3, 1}, int32, {5, 6, 7, 9, 10, 11});
  expect_view_of(es, m, 5 * 4);
}

TEST(ShapeExpandDims, Errors) {
  auto a = reshape(arange(6), {2, 3});
  EXPECT_INVALID(expand_dims(a, 3),
                 "[expand_dims] Invalid axes (3) for an array with 2 dimensions: the axes index "
                 "the 3-dimensional result and must be unique.");
  EXPECT_INVALID(expand_dims(a, -4),
                 "[expand_dims] Invalid axes (-4) for an array with 2 dimensions: the axes index "
                 "the 3-dimensional result and must be unique.");
  EXPECT_INVALID(expand_dims(a, {0, 0}),
                 "[expand_dims] Invalid axes (0,0) for an array with 2 dimensions: the axes index "
                 "the 4-dimensional result and must be unique.");
  EXPECT_INVALID(expand_dims(a, {0, -4}),
                 "[expand_dims] Invalid axes (0,-4) for an array with 2 dimensions: the axes "
                 "index the 4-dimensional result and must be unique.");
  EXPECT_INVALID(expand_dims(array(1), 1),
                 "[expand_dims] Invalid axes (1) for an array with 0 dimensions: the axes index "
                 "the 1-dimensional result and must be unique.");
}

// ---------------------------------------------------------------------------------------------
// squeeze

TEST(ShapeSqueeze, Values) {
  auto a = reshape(arange(6), {1, 2, 1, 3});
  auto all = squeeze(a);
  expect_array<int32_t>(all, {2, 3}, int32, iota(0, 6));
  EXPECT_EQ(all.strides(), (Strides{3, 1}));
  EXPECT_TRUE(all.flags().row_contiguous);
  expect_view_of(all, a);
  expect_array<int32_t>(squeeze(a, 0), {2, 1, 3}, int32, iota(0, 6));
  expect_array<int32_t>(squeeze(a, 2), {1, 2, 3}, int32, iota(0, 6));
  expect_array<int32_t>(squeeze(a, -2), {1, 2, 3}, int32, iota(0, 6));
  expect_array<int32_t>(squeeze(a, {2, 0}), {2, 3}, int32, iota(0, 6));
  expect_array<int32_t>(squeeze(a, {-4, -2}), {2, 3}, int32, iota(0, 6));
  // Nothing to remove, or no axes: the same array.
  auto b = reshape(arange(6), {2, 3});
  EXPECT_EQ(squeeze(b).id(), b.id());
  EXPECT_EQ(squeeze(a, std::vector<int>{}).id(), a.id());
  // To a scalar.
  auto one = reshape(array({4.0f}), {1, 1});
  expect_array<float>(squeeze(one), {}, float32, {4.0f});
  // Size-zero dims stay.
  expect_array<float>(squeeze(zeros({1, 0, 1})), {0}, float32, {});
}

TEST(ShapeSqueeze, TransposedThenSqueezedIsAView) {
  auto a = reshape(arange(6), {2, 1, 3});
  auto t = transpose(a);  // (3,1,2), strides (1,3,3)
  auto s = squeeze(t, 1);
  expect_array<int32_t>(s, {3, 2}, int32, {0, 3, 1, 4, 2, 5});
  EXPECT_EQ(s.strides(), (Strides{1, 3}));
  EXPECT_FALSE(s.flags().row_contiguous);
  EXPECT_TRUE(s.flags().col_contiguous);
  expect_view_of(s, a);
  // A negative-stride slice with an offset, squeezed.
  auto m = reshape(arange(12), {3, 1, 4});
  auto rev = slice(m, {2, 0, 3}, {-4, 1, -5}, {-1, 1, -2});  // rows 2,1,0; cols 3,1
  auto sq = squeeze(rev);
  expect_array<int32_t>(sq, {3, 2}, int32, {11, 9, 7, 5, 3, 1});
  EXPECT_EQ(sq.strides(), (Strides{-4, -2}));
  expect_view_of(sq, m, 11 * 4);
  // A broadcast.
  auto b = broadcast_to(reshape(array({1, 2}), {1, 2, 1}), {1, 2, 3});
  auto sb = squeeze(b, 0);
  expect_array<int32_t>(sb, {2, 3}, int32, {1, 1, 1, 2, 2, 2});
  EXPECT_EQ(sb.strides()[1], 0);
}

TEST(ShapeSqueeze, Errors) {
  auto a = reshape(arange(6), {1, 2, 1, 3});
  EXPECT_INVALID(
      squeeze(a, 1),
      "[squeeze] Cannot squeeze axis 1 with size 2 (only size-one axes can be removed).");
  EXPECT_INVALID(squeeze(a, -1),
                 "[squeeze] Cannot squeeze axis -1 with size 3 (only size-one axes can be "
                 "removed).");
  EXPECT_INVALID(squeeze(a, 4),
                 "[squeeze] Axis 4 is out of bounds for an array with 4 dimensions.");
  EXPECT_INVALID(squeeze(a, {0, -5}),
                 "[squeeze] Axis -5 is out of bounds for an array with 4 dimensions.");
  EXPECT_INVALID(squeeze(a, {0, -4}),
                 "[squeeze] Received duplicate axes (0,-4) for an array with 4 dimensions.");
  EXPECT_INVALID(squeeze(array(1), 0),
                 "[squeeze] Axis 0 is out of bounds for an array with 0 dimensions.");
}

// ---------------------------------------------------------------------------------------------
// reshape: a view whenever the strides allow

TEST(ShapeReshape, SplittingDimsOfATransposeIsAView) {
  auto a = reshape(arange(24), {2, 3, 4});
  auto t = transpose(a, {1, 0, 2});  // (3,2,4), strides (4,12,1)
  auto r = reshape(t, {3, 2, 2, 2});
  std::vector<int32_t> expected;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 2; ++j) {
      for (int k = 0; k < 4; ++k) {
        expected.push_back(j * 12 + i * 4 + k);
      }
    }
  }
  expect_array<int32_t>(r, {3, 2, 2, 2}, int32, expected);
  EXPECT_EQ(r.strides(), (Strides{4, 12, 2, 1}));
  expect_view_of(r, a);
  // Adding and removing size-one dims is a view too.
  auto r1 = reshape(t, {1, 3, 2, 1, 4});
  expect_array<int32_t>(r1, {1, 3, 2, 1, 4}, int32, expected);
  expect_view_of(r1, a);
  // Merging dims whose strides do not line up copies.
  auto c = reshape(t, {6, 4});
  expect_array<int32_t>(c, {6, 4}, int32, expected);
  expect_copy_of(c, a);
  auto c2 = reshape(t, {3, 8});
  expect_array<int32_t>(c2, {3, 8}, int32, expected);
  expect_copy_of(c2, a);
}

TEST(ShapeReshape, ColumnMajorAndSlicedInputs) {
  auto a = reshape(arange(12), {4, 3});
  auto t = transpose(a);  // (3,4), strides (1,3)
  auto r = reshape(t, {3, 2, 2});
  expect_array<int32_t>(r, {3, 2, 2}, int32, {0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11});
  EXPECT_EQ(r.strides(), (Strides{1, 6, 3}));
  expect_view_of(r, a);
  auto flat = reshape(t, {12});
  expect_array<int32_t>(flat, {12}, int32, {0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11});
  expect_copy_of(flat, a);
  // Every other row: the rows stay rows.
  auto rows = slice(a, {1, 0}, {4, 3}, {2, 1});  // rows 1 and 3, strides (6,1), offset 3
  auto rr = reshape(rows, {2, 1, 3});
  expect_array<int32_t>(rr, {2, 1, 3}, int32, {3, 4, 5, 9, 10, 11});
  expect_view_of(rr, a, 3 * 4);
  auto rf = reshape(rows, {6});
  expect_array<int32_t>(rf, {6}, int32, {3, 4, 5, 9, 10, 11});
  expect_copy_of(rf, a);
  // Reversed rows merge with nothing, but splitting them is a view.
  auto rev = slice(a, {3, 0}, {-5, 3}, {-1, 1});
  auto rs = reshape(rev, {2, 2, 3});
  expect_array<int32_t>(rs, {2, 2, 3}, int32, {9, 10, 11, 6, 7, 8, 3, 4, 5, 0, 1, 2});
  EXPECT_EQ(rs.strides(), (Strides{-6, -3, 1}));
  expect_view_of(rs, a, 9 * 4);
}

TEST(ShapeReshape, BroadcastInputs) {
  auto v = arange(4);
  auto b = broadcast_to(v, {3, 4});  // strides (0,1)
  auto r = reshape(b, {3, 2, 2});
  expect_array<int32_t>(r, {3, 2, 2}, int32, {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3});
  EXPECT_EQ(r.strides(), (Strides{0, 2, 1}));
  expect_view_of(r, v);
  auto flat = reshape(b, {12});
  expect_array<int32_t>(flat, {12}, int32, {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3});
  expect_copy_of(flat, v);
  // A broadcast dim split in two keeps stride zero in both parts.
  auto col = broadcast_to(reshape(arange(3), {3, 1}), {3, 4});  // strides (1,0)
  auto rc = reshape(col, {3, 2, 2});
  expect_array<int32_t>(rc, {3, 2, 2}, int32, {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2});
  EXPECT_EQ(rc.strides(), (Strides{1, 0, 0}));
  // A scalar broadcast to anything reshapes to anything as a view.
  auto s = array(3.0f);
  auto bs = broadcast_to(s, {4, 6});
  auto rs = reshape(bs, {2, 12});
  expect_array<float>(rs, {2, 12}, float32, std::vector<float>(24, 3.0f));
  EXPECT_EQ(rs.strides(), (Strides{0, 0}));
  EXPECT_EQ(rs.data_size(), 1u);
  expect_view_of(rs, s);
}

// ---------------------------------------------------------------------------------------------
// contiguous

TEST(ShapeContiguous, RowContiguousInputsAreShared) {
  auto a = reshape(arange(6), {2, 3});
  a.eval();
  EXPECT_EQ(contiguous(a).id(), a.id());
  // Not yet computed: the layout is checked when the kernel runs.
  auto lazy = reshape(arange(6), {3, 2});
  auto c = contiguous(lazy);
  EXPECT_NE(c.id(), lazy.id());
  expect_array<int32_t>(c, {3, 2}, int32, iota(0, 6));
  expect_view_of(c, lazy);
  // A row-contiguous slice with an offset.
  auto rows = slice(a, {1, 0}, {2, 3});
  auto cr = contiguous(rows);
  expect_array<int32_t>(cr, {1, 3}, int32, {3, 4, 5});
  expect_view_of(cr, a, 3 * 4);
}

TEST(ShapeContiguous, OtherLayoutsAreCopied) {
  auto a = reshape(arange(6), {2, 3});
  auto t = transpose(a);
  auto c = contiguous(t);
  expect_array<int32_t>(c, {3, 2}, int32, {0, 3, 1, 4, 2, 5});
  EXPECT_EQ(c.strides(), (Strides{2, 1}));
  expect_copy_of(c, a);
  // Column-major is kept when allowed, computed or not.
  auto lazy = contiguous(transpose(a), true);
  expect_array<int32_t>(lazy, {3, 2}, int32, {0, 3, 1, 4, 2, 5});
  EXPECT_EQ(lazy.strides(), (Strides{1, 3}));
  expect_view_of(lazy, a);
  t.eval();
  EXPECT_EQ(contiguous(t, true).id(), t.id());
  // A 3-D transpose is neither row- nor column-major.
  auto b = transpose(reshape(arange(8), {2, 2, 2}), {1, 0, 2});
  auto cb = contiguous(b, true);
  expect_array<int32_t>(cb, {2, 2, 2}, int32, {0, 1, 4, 5, 2, 3, 6, 7});
  expect_copy_of(cb, b);
  // Broadcasts and strided slices.
  auto bc = contiguous(broadcast_to(array({1.5f, 2.5f}), {2, 2}));
  expect_array<float>(bc, {2, 2}, float32, {1.5f, 2.5f, 1.5f, 2.5f});
  EXPECT_EQ(bc.data_size(), 4u);
  auto sl = contiguous(slice(arange(10), {1}, {10}, {3}));
  expect_array<int32_t>(sl, {3}, int32, {1, 4, 7});
  EXPECT_EQ(sl.strides(), (Strides{1}));
}

// ---------------------------------------------------------------------------------------------
// concatenate

TEST(ShapeConcatenate, Values) {
  auto a = reshape(arange(6), {2, 3});
  auto b = reshape(arange(6, 9), {1, 3});
  expect_array<int32_t>(concatenate({a, b}, 0), {3, 3}, int32, iota(0, 9));
  expect_array<int32_t>(concatenate({b, a}, -2), {3, 3}, int32, {6, 7, 8, 0, 1, 2, 3, 4, 5});
  auto c = reshape(arange(10, 14), {2, 2});
  expect_array<int32_t>(concatenate({a, c}, 1), {2, 5}, int32, {0, 1, 2, 10, 11, 3, 4, 5, 12, 13});
  expect_array<int32_t>(concatenate({c, a, c}, -1), {2, 7}, int32,
                        {10, 11, 0, 1, 2, 10, 11, 12, 13, 3, 4, 5, 12, 13});
  // 1-D, and 3-D along the middle axis.
  expect_array<float>(concatenate({array({1.0f, 2.0f}), array({3.0f})}, 0), {3}, float32,
                      {1.0f, 2.0f, 3.0f});
  auto x = reshape(arange(8), {2, 2, 2});
  auto y = reshape(arange(100, 104), {2, 1, 2});
  expect_array<int32_t>(concatenate({x, y}, 1), {2, 3, 2}, int32,
                        {0, 1, 2, 3, 100, 101, 4, 5, 6, 7, 102, 103});
  // Empty inputs contribute nothing.
  expect_array<int32_t>(concatenate({zeros({0, 3}, int32), a, zeros({0, 3}, int32)}, 0), {2, 3},
                        int32, iota(0, 6));
  expect_array<float>(concatenate({zeros({2, 0}), zeros({2, 0})}, 1), {2, 0}, float32, {});
  auto out = concatenate({a, b}, 0);
  out.eval();
  EXPECT_TRUE(out.flags().row_contiguous);
  EXPECT_EQ(out.offset(), 0);
}

TEST(ShapeConcatenate, FlattenedOverload) {
  auto a = reshape(arange(4), {2, 2});
  auto b = array({7, 8, 9});
  auto c = array(10);
  expect_array<int32_t>(concatenate({a, b, c}), {8}, int32, {0, 1, 2, 3, 7, 8, 9, 10});
  auto t = transpose(a);
  expect_array<int32_t>(concatenate({t, b}), {7}, int32, {0, 2, 1, 3, 7, 8, 9});
  // One input: the flattened view itself when the strides allow.
  auto f = concatenate({a});
  expect_array<int32_t>(f, {4}, int32, {0, 1, 2, 3});
  expect_view_of(f, a);
}

TEST(ShapeConcatenate, SingleInputIsNotCopied) {
  auto a = reshape(arange(6), {2, 3});
  EXPECT_EQ(concatenate({a}, 1).id(), a.id());
  EXPECT_EQ(concatenate({a}, -2).id(), a.id());
}

TEST(ShapeConcatenate, PromotesDtypes) {
  auto i = array({1, 2}, int32);
  auto f = array({0.5f});
  expect_array<float>(concatenate({i, f}, 0), {3}, float32, {1.0f, 2.0f, 0.5f});
  auto u8 = array({200}, uint8);
  auto i8 = array({-3}, int8);
  expect_array<int16_t>(concatenate({u8, i8}, 0), {2}, int16, {200, -3});
  auto b = array({true, false});
  expect_array<int32_t>(concatenate({b, i}, 0), {4}, int32, {1, 0, 1, 2});
  auto h = array({1.5f}, float16);
  auto bf = array({2.5f}, bfloat16);
  expect_array<float>(concatenate({h, bf}, 0), {2}, float32, {1.5f, 2.5f});
  auto c = array({complex64_t(1, -1)});
  expect_array<complex64_t>(concatenate({c, f}, 0), {2}, complex64,
                            {complex64_t(1, -1), complex64_t(0.5f, 0)});
  auto u64 = array({uint64_t(5)}, uint64);
  expect_array<float>(concatenate({u64, i}, 0), {3}, float32, {5.0f, 1.0f, 2.0f});
}

TEST(ShapeConcatenate, EveryDtype) {
  for (int k = 0; k < num_dtypes; ++k) {
    auto dt = dtype_from_index(k);
    SCOPED_TRACE(k);
    auto a = astype(reshape(arange(6), {2, 3}), dt);
    auto b = astype(reshape(arange(1, 3), {2, 1}), dt);
    auto out = concatenate({a, b, a}, 1);
    EXPECT_EQ(out.dtype(), dt);
    EXPECT_EQ(out.shape(), (Shape{2, 7}));
    std::vector<double> expected = {0, 1, 2, 1, 0, 1, 2, 3, 4, 5, 2, 3, 4, 5};
    if (dt == bool_) {
      for (auto& v : expected) {
        v = v != 0;
      }
    }
    EXPECT_EQ(check::values(out), expected);
  }
}

TEST(ShapeConcatenate, StridedInputs) {
  auto m = reshape(arange(16), {4, 4});
  auto even_rows = slice(m, {0, 0}, {4, 4}, {2, 1});  // rows 0, 2
  auto odd_cols = slice(m, {0, 1}, {4, 4}, {1, 2});   // (4,2): cols 1, 3
  auto t = transpose(slice(m, {0, 0}, {2, 4}));       // (4,2): rows 0,1 as columns
  auto rev = slice(m, {3, 3}, {-5, -5}, {-1, -1});    // reversed both ways
  auto bc = broadcast_to(array({-1, -2, -3, -4}), {2, 4});
  expect_array<int32_t>(concatenate({even_rows, bc, rev}, 0), {8, 4}, int32,
                        {0,  1,  2,  3,  8,  9,  10, 11, -1, -2, -3, -4, -1, -2, -3, -4,
                         15, 14, 13, 12, 11, 10, 9,  8,  7,  6,  5,  4,  3,  2,  1,  0});
  expect_array<int32_t>(
      concatenate({odd_cols, t, odd_cols}, 1), {4, 6}, int32,
      {1, 3, 0, 4, 1, 3, 5, 7, 1, 5, 5, 7, 9, 11, 2, 6, 9, 11, 13, 15, 3, 7, 13, 15});
  // A size-one input dim next to a larger output dim (inner strides differ from one).
  auto col = slice(m, {0, 2}, {4, 3});  // (4,1)
  expect_array<int32_t>(concatenate({col, odd_cols}, 1), {4, 3}, int32,
                        {2, 1, 3, 6, 5, 7, 10, 9, 11, 14, 13, 15});
}

TEST(ShapeConcatenate, LargeInputs) {
  // Big enough for the thread pool; chunks start in the middle of rows and runs.
  int n = 300000;
  auto a = arange(n);
  auto b = arange(n, 2 * n + 7);
  auto out = concatenate({a, b}, 0);
  EXPECT_EQ(values<int32_t>(out), iota(0, 2 * n + 7));

  int r = 700, c = 500;
  auto m = reshape(arange(r * c), {r, c});
  auto t = transpose(m);  // (500,700)
  auto halves = concatenate({t, slice(t, {0, 0}, {c, 350})}, 1);
  auto v = values<int32_t>(halves);
  ASSERT_EQ(v.size(), static_cast<size_t>(c) * 1050);
  bool ok = true;
  for (int i = 0; i < c && ok; ++i) {
    for (int j = 0; j < 1050 && ok; ++j) {
      int src = j < r ? j : j - r;
      ok = v[static_cast<size_t>(i) * 1050 + j] == src * c + i;
    }
  }
  EXPECT_TRUE(ok);

  // Tiles of a batched transpose: the outer index moves both sides.
  auto x = reshape(arange(3 * 130 * 70), {3, 130, 70});
  auto xt = transpose(x, {0, 2, 1});  // (3,70,130)
  auto xv = values<int32_t>(concatenate({xt, slice(xt, {1, 0, 0}, {2, 70, 130})}, 0));
  ASSERT_EQ(xv.size(), 4u * 70 * 130);
  ok = true;
  for (int b = 0; b < 4 && ok; ++b) {
    for (int i = 0; i < 70 && ok; ++i) {
      for (int j = 0; j < 130 && ok; ++j) {
        int src = b < 3 ? b : 1;
        ok = xv[(static_cast<size_t>(b) * 70 + i) * 130 + j] == (src * 130 + j) * 70 + i;
      }
    }
  }
  EXPECT_TRUE(ok);

  auto f = astype(reshape(arange(r * c), {r, c}), float64);
  auto joined = concatenate({f, f * array(2.0, float64)}, 1);
  auto fv = values<double>(joined);
  EXPECT_EQ(fv[0], 0.0);
  EXPECT_EQ(fv[c - 1], c - 1.0);
  EXPECT_EQ(fv[c], 0.0);
  EXPECT_EQ(fv[2 * c - 1], 2.0 * (c - 1));
  EXPECT_EQ(fv[static_cast<size_t>(r - 1) * 2 * c + 2 * c - 1], 2.0 * (r * c - 1));
}

TEST(ShapeConcatenate, Errors) {
  auto a = reshape(arange(6), {2, 3});
  auto b = reshape(arange(6), {3, 2});
  EXPECT_INVALID(concatenate(std::vector<array>{}, 0),
                 "[concatenate] No arrays provided for concatenation.");
  EXPECT_INVALID(concatenate(std::vector<array>{}),
                 "[concatenate] No arrays provided for concatenation.");
  EXPECT_INVALID(concatenate({a, b}, 1),
                 "[concatenate] All the input array dimensions must match exactly except for the "
                 "concatenation axis. However, the provided shapes are (2,3) and (3,2), and the "
                 "concatenation axis is 1.");
  EXPECT_INVALID(concatenate({a, a, b}, -2),
                 "[concatenate] All the input array dimensions must match exactly except for the "
                 "concatenation axis. However, the provided shapes are (2,3) and (3,2), and the "
                 "concatenation axis is -2.");
  EXPECT_INVALID(concatenate({a, arange(3)}, 0),
                 "[concatenate] All the input array dimensions must match exactly except for the "
                 "concatenation axis. However, the provided shapes are (2,3) and (3), and the "
                 "concatenation axis is 0.");
  EXPECT_INVALID(concatenate({a, a}, 2),
                 "[concatenate] Axis 2 is out of bounds for an array with 2 dimensions.");
  EXPECT_INVALID(concatenate({a, a}, -3),
                 "[concatenate] Axis -3 is out of bounds for an array with 2 dimensions.");
  EXPECT_INVALID(concatenate({array(1), array(2)}, 0),
                 "[concatenate] Axis 0 is out of bounds for an array with 0 dimensions.");
}

// ---------------------------------------------------------------------------------------------
// stack

TEST(ShapeStack, Values) {
  auto a = array({1, 2, 3});
  auto b = array({4, 5, 6});
  expect_array<int32_t>(stack({a, b}), {2, 3}, int32, {1, 2, 3, 4, 5, 6});
  expect_array<int32_t>(stack({a, b}, 0), {2, 3}, int32, {1, 2, 3, 4, 5, 6});
  expect_array<int32_t>(stack({a, b}, 1), {3, 2}, int32, {1, 4, 2, 5, 3, 6});
  expect_array<int32_t>(stack({a, b}, -1), {3, 2}, int32, {1, 4, 2, 5, 3, 6});
  expect_array<int32_t>(stack({a, b}, -2), {2, 3}, int32, {1, 2, 3, 4, 5, 6});
  auto m = reshape(arange(4), {2, 2});
  auto t = transpose(m);
  expect_array<int32_t>(stack({m, t, m}, 1), {2, 3, 2}, int32,
                        {0, 1, 0, 2, 0, 1, 2, 3, 1, 3, 2, 3});
  expect_array<int32_t>(stack({m, t}, 2), {2, 2, 2}, int32, {0, 0, 1, 2, 2, 1, 3, 3});
  // Scalars stack into a vector; promotion as concatenate.
  expect_array<float>(stack({array(1), array(2.5f)}), {2}, float32, {1.0f, 2.5f});
  // One input: a view with the new axis.
  auto one = stack({m}, 1);
  expect_array<int32_t>(one, {2, 1, 2}, int32, {0, 1, 2, 3});
  expect_view_of(one, m);
  expect_array<float>(stack({zeros({0}), zeros({0})}, 1), {0, 2}, float32, {});
}

TEST(ShapeStack, EveryDtype) {
  for (int k = 0; k < num_dtypes; ++k) {
    auto dt = dtype_from_index(k);
    SCOPED_TRACE(k);
    auto a = astype(array({0, 1, 2}), dt);
    auto b = astype(array({3, 0, 5}), dt);
    auto out = stack({a, b}, 1);
    EXPECT_EQ(out.dtype(), dt);
    EXPECT_EQ(out.shape(), (Shape{3, 2}));
    std::vector<double> expected = {0, 3, 1, 0, 2, 5};
    if (dt == bool_) {
      expected = {0, 1, 1, 0, 1, 1};
    }
    EXPECT_EQ(check::values(out), expected);
  }
}

TEST(ShapeStack, Errors) {
  auto a = array({1, 2, 3});
  EXPECT_INVALID(stack(std::vector<array>{}), "[stack] No arrays provided for stacking.");
  EXPECT_INVALID(stack(std::vector<array>{}, 1), "[stack] No arrays provided for stacking.");
  EXPECT_INVALID(stack({a, array({1, 2})}),
                 "[stack] All arrays must have the same shape, got (3) and (2).");
  EXPECT_INVALID(stack({a, a, reshape(a, {3, 1})}, 0),
                 "[stack] All arrays must have the same shape, got (3) and (3,1).");
  EXPECT_INVALID(stack({a, a}, 2),
                 "[stack] Invalid axis 2 for arrays with 1 dimensions (the stacked result has 2).");
  EXPECT_INVALID(stack({a, a}, -3),
                 "[stack] Invalid axis -3 for arrays with 1 dimensions (the stacked result has "
                 "2).");
}
