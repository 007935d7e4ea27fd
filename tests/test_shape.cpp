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

TEST(ShapeTranspose, LargeTransposedCopies) {
  // contiguous(transpose) of 4-byte elements: 16 x 16 register tiles, streamed out when the
  // output is over 4 MiB with rows of whole cache lines (1040 columns), stored when not (1033),
  // with 8 x 8 and scalar blocks at the ragged edges; a batch of matrices; and 8-byte elements.
  for (auto [rows, cols] : {std::pair{1056, 1040}, std::pair{1041, 1033}}) {
    auto m = reshape(arange(rows * cols), {rows, cols});
    auto t = values<int32_t>(contiguous(transpose(m)));
    ASSERT_EQ(t.size(), static_cast<size_t>(rows * cols));
    for (int i = 0; i < cols; ++i) {
      for (int j = 0; j < rows; ++j) {
        ASSERT_EQ(t[static_cast<size_t>(i) * rows + j], j * cols + i) << i << "," << j;
      }
    }
  }
  auto batch = reshape(arange(3 * 48 * 40), {3, 48, 40});
  auto tb = values<int32_t>(contiguous(swapaxes(batch, 1, 2)));
  for (int b = 0; b < 3; ++b) {
    for (int i = 0; i < 40; ++i) {
      for (int j = 0; j < 48; ++j) {
        ASSERT_EQ(tb[(b * 40 + i) * 48 + j], (b * 48 + j) * 40 + i);
      }
    }
  }
  auto d = astype(reshape(arange(40 * 24), {40, 24}), float64);
  auto td = values<double>(contiguous(transpose(d)));
  for (int i = 0; i < 24; ++i) {
    for (int j = 0; j < 40; ++j) {
      ASSERT_EQ(td[i * 40 + j], j * 24 + i);
    }
  }
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

TEST(ShapeContiguous, TransposedCopiesEveryDtypeAndSize) {
  // Sizes around the 8 x 8 blocks, the 16 x 16 tiles and the 256 x 256 parallel super-tiles,
  // with outer dims, negative strides and (in astype) a dtype conversion.
  for (auto [rows, cols] : {std::pair{1, 9}, {7, 8}, {9, 17}, {33, 31}, {300, 517}}) {
    SCOPED_TRACE(rows * 1000 + cols);
    auto m = reshape(arange(rows * cols), {rows, cols});
    std::vector<int32_t> expected;
    for (int j = 0; j < cols; ++j) {
      for (int i = 0; i < rows; ++i) {
        expected.push_back(i * cols + j);
      }
    }
    expect_array<int32_t>(contiguous(transpose(m)), {cols, rows}, int32, expected);
    for (int k = 0; k < num_dtypes; ++k) {
      auto dt = dtype_from_index(k);
      if (dt == bool_ || size_of(dt) == 4) continue;
      auto x = astype(m, dt);
      x.eval();
      auto c = contiguous(transpose(x));
      EXPECT_EQ(c.dtype(), dt);
      EXPECT_EQ(check::values(c), check::values(transpose(x)));
    }
    expect_array<float>(astype(transpose(m), float32), {cols, rows}, float32,
                        std::vector<float>(expected.begin(), expected.end()));
  }
  // Elementwise ops copy large transposed inputs by blocks first.
  auto m = reshape(arange(300 * 517), {300, 517});
  auto sum = transpose(m) + reshape(arange(517 * 300), {517, 300});
  std::vector<int32_t> sums;
  for (int j = 0; j < 517; ++j) {
    for (int i = 0; i < 300; ++i) {
      sums.push_back(i * 517 + j + j * 300 + i);
    }
  }
  expect_array<int32_t>(sum, {517, 300}, int32, sums);
  auto x = reshape(arange(2 * 20 * 12), {2, 20, 12});
  auto t = flip(transpose(x, {0, 2, 1}), 1);
  auto c = contiguous(t);
  c.eval();
  EXPECT_TRUE(c.flags().row_contiguous);
  EXPECT_EQ(values<int32_t>(c), values<int32_t>(t));
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

// ---------------------------------------------------------------------------------------------
// view

TEST(ShapeView, ReinterpretsBits) {
  auto f = array({1.0f, -2.0f});
  expect_array<int32_t>(view(f, int32), {2}, int32, {1065353216, -1073741824});
  auto i = array({1, 256});
  auto bytes = view(i, uint8);
  expect_array<uint8_t>(bytes, {8}, uint8, {1, 0, 0, 0, 0, 1, 0, 0});
  expect_view_of(bytes, i);
  expect_array<int32_t>(view(reshape(bytes, {2, 4}), int32), {2, 1}, int32, {1, 256});
  auto b = view(array({0, 1, 1, 0}, uint8), bool_);
  expect_array<bool>(b, {4}, bool_, {false, true, true, false});
  expect_array<uint8_t>(view(b, uint8), {4}, uint8, {0, 1, 1, 0});
  expect_array<int16_t>(view(array({-1}, int32), int16), {2}, int16, {-1, -1});
  // A scalar keeps its shape between dtypes of one size.
  expect_array<uint32_t>(view(array(1.0f), uint32), {}, uint32, {0x3f800000u});
  EXPECT_EQ(view(f, float32).id(), f.id());
}

TEST(ShapeView, StridedInputs) {
  auto m = reshape(arange(4), {2, 2});
  auto t = transpose(m);
  expect_array<uint8_t>(view(t, uint8), {2, 8}, uint8,
                        {0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0});
  // One item size: a view with the input's strides.
  auto u = view(t, uint32);
  expect_array<uint32_t>(u, {2, 2}, uint32, {0, 2, 1, 3});
  expect_view_of(u, m);
  // A first element misaligned for the wider dtype is copied first.
  auto s = slice(astype(arange(9), uint8), {1}, {9});
  expect_array<int32_t>(view(s, int32), {2}, int32, {0x04030201, 0x08070605});
  auto bc = broadcast_to(array({1, 2}, int16), {2, 2});
  expect_array<int32_t>(view(bc, int32), {2, 1}, int32, {0x00020001, 0x00020001});
}

TEST(ShapeView, EveryDtypeRoundTrips) {
  for (int k = 0; k < num_dtypes; ++k) {
    auto dt = dtype_from_index(k);
    SCOPED_TRACE(k);
    auto a = astype(reshape(arange(6), {2, 3}), dt);
    auto bytes = view(a, uint8);
    EXPECT_EQ(bytes.shape(), (Shape{2, 3 * static_cast<int>(size_of(dt))}));
    auto back = view(bytes, dt);
    EXPECT_EQ(back.dtype(), dt);
    EXPECT_EQ(check::values(back), check::values(a));
  }
}

TEST(ShapeView, Errors) {
  EXPECT_INVALID(view(array({1, 2, 3}, int16), float32),
                 "[view] Cannot view an array of shape (3) and dtype int16 as float32: its last "
                 "axis has 6 bytes, not a multiple of the item size 4.");
  EXPECT_INVALID(view(array(1.0f), float64),
                 "[view] Cannot view a scalar of float32 (4 bytes) as float64 (8 bytes): the item "
                 "sizes must match.");
}

TEST(ShapeView, Transforms) {
  auto x = check::uniform({2, 3});
  check::grads(
      [](const std::vector<array>& in) {
        return std::vector<array>{view(view(in[0], int64), float64) * in[0]};
      },
      {x});
  check::vmaps(
      [](const std::vector<array>& in) {
        return std::vector<array>{view(view(in[0], uint8), float64)};
      },
      {x});
  // Across item sizes the elements do not correspond: no derivative.
  auto f = [](const std::vector<array>& in) { return std::vector<array>{view(in[0], float32)}; };
  EXPECT_THROW(vjp(f, {x}, {zeros({2, 6})}), std::invalid_argument);
  EXPECT_THROW(jvp(f, {x}, {x}), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// flatten, unflatten, atleast_nd

TEST(ShapeFlatten, Values) {
  auto a = reshape(arange(24), {2, 3, 4});
  expect_array<int32_t>(flatten(a), {24}, int32, iota(0, 24));
  EXPECT_EQ(flatten(a, 1, 2).shape(), (Shape{2, 12}));
  EXPECT_EQ(flatten(a, 0, 1).shape(), (Shape{6, 4}));
  EXPECT_EQ(flatten(a, -2).shape(), (Shape{2, 12}));
  // End axes past the last one clamp, as do start axes before the first.
  EXPECT_EQ(flatten(a, 1, 10).shape(), (Shape{2, 12}));
  EXPECT_EQ(flatten(a, -10, 1).shape(), (Shape{6, 4}));
  EXPECT_EQ(flatten(a, 1, 1).id(), a.id());
  expect_array<float>(flatten(array(2.0f)), {1}, float32, {2.0f});
  auto f = flatten(a, 0, 1);
  expect_view_of(f, a);
  expect_array<int32_t>(flatten(transpose(reshape(arange(4), {2, 2}))), {4}, int32, {0, 2, 1, 3});
  expect_array<float>(flatten(zeros({2, 0, 3})), {0}, float32, {});
}

TEST(ShapeFlatten, Errors) {
  auto a = zeros({2, 3, 4});
  EXPECT_INVALID(flatten(a, 3), "[flatten] Invalid start axis 3 for an array with 3 dimensions.");
  EXPECT_INVALID(flatten(a, 2, 1),
                 "[flatten] The start axis 2 must not come after the end axis 1 (for an array "
                 "with 3 dimensions).");
  EXPECT_INVALID(flatten(a, 0, -5),
                 "[flatten] The start axis 0 must not come after the end axis -5 (for an array "
                 "with 3 dimensions).");
}

TEST(ShapeUnflatten, Values) {
  auto a = reshape(arange(24), {2, 12});
  auto u = unflatten(a, 1, {3, 4});
  expect_array<int32_t>(u, {2, 3, 4}, int32, iota(0, 24));
  expect_view_of(u, a);
  EXPECT_EQ(unflatten(a, -1, {-1, 2}).shape(), (Shape{2, 6, 2}));
  EXPECT_EQ(unflatten(a, 0, {1, 2, 1}).shape(), (Shape{1, 2, 1, 12}));
  EXPECT_EQ(unflatten(zeros({0}), 0, {-1, 3}).shape(), (Shape{0, 3}));
  EXPECT_INVALID(unflatten(a, 1, {5, -1}),
                 "[unflatten] Cannot unflatten axis 1 of size 12 into shape (5,-1).");
  EXPECT_INVALID(unflatten(a, 1, {5, 2}),
                 "[unflatten] Cannot unflatten axis 1 of size 12 into shape (5,2).");
  EXPECT_INVALID(
      unflatten(a, 1, {-1, -1}),
      "[unflatten] Invalid shape (-1,-1): dims must be non-negative, with at most one -1.");
  EXPECT_INVALID(unflatten(a, 1, {}), "[unflatten] The shape to unflatten into cannot be empty.");
  EXPECT_INVALID(unflatten(a, 2, {12}),
                 "[unflatten] Axis 2 is out of bounds for an array with 2 dimensions.");
}

TEST(ShapeAtLeast, Shapes) {
  auto s = array(1.0f), v = array({1.0f, 2.0f}), m = zeros({2, 3}), t = zeros({2, 3, 4});
  EXPECT_EQ(atleast_1d(s).shape(), (Shape{1}));
  EXPECT_EQ(atleast_1d(v).id(), v.id());
  EXPECT_EQ(atleast_2d(s).shape(), (Shape{1, 1}));
  EXPECT_EQ(atleast_2d(v).shape(), (Shape{1, 2}));
  EXPECT_EQ(atleast_2d(m).id(), m.id());
  EXPECT_EQ(atleast_3d(s).shape(), (Shape{1, 1, 1}));
  EXPECT_EQ(atleast_3d(v).shape(), (Shape{1, 2, 1}));
  EXPECT_EQ(atleast_3d(m).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(atleast_3d(t).id(), t.id());
  expect_array<float>(atleast_3d(v), {1, 2, 1}, float32, {1.0f, 2.0f});
  auto many = atleast_2d(std::vector<array>{s, v, t});
  ASSERT_EQ(many.size(), 3u);
  EXPECT_EQ(many[0].shape(), (Shape{1, 1}));
  EXPECT_EQ(many[1].shape(), (Shape{1, 2}));
  EXPECT_EQ(many[2].shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(atleast_1d(std::vector<array>{s})[0].shape(), (Shape{1}));
  EXPECT_EQ(atleast_3d(std::vector<array>{m})[0].shape(), (Shape{2, 3, 1}));
}

// ---------------------------------------------------------------------------------------------
// flip, swapaxes, moveaxis

TEST(ShapeFlip, Values) {
  auto a = reshape(arange(6), {2, 3});
  expect_array<int32_t>(flip(a), {2, 3}, int32, {5, 4, 3, 2, 1, 0});
  expect_array<int32_t>(flip(a, 0), {2, 3}, int32, {3, 4, 5, 0, 1, 2});
  expect_array<int32_t>(flip(a, -1), {2, 3}, int32, {2, 1, 0, 5, 4, 3});
  expect_array<int32_t>(flip(a, std::vector<int>{1, 0}), {2, 3}, int32, {5, 4, 3, 2, 1, 0});
  auto f = flip(a);
  expect_view_of(f, a, 5 * 4);
  EXPECT_EQ(f.strides(), (Strides{-3, -1}));
  expect_array<int32_t>(flip(flip(a, 1), 1), {2, 3}, int32, iota(0, 6));
  expect_array<int32_t>(flip(transpose(a), 0), {3, 2}, int32, {2, 5, 1, 4, 0, 3});
  expect_array<float>(flip(zeros({0, 2})), {0, 2}, float32, {});
  expect_array<int32_t>(flip(array(7)), {}, int32, {7});
  EXPECT_INVALID(flip(a, 2), "[flip] Invalid axis 2 for an array with 2 dimensions.");
  EXPECT_INVALID(flip(a, std::vector<int>{1, -1}), "[flip] Received duplicate axes (1,-1).");
}

TEST(ShapeSwapMoveAxes, Values) {
  auto a = reshape(arange(24), {2, 3, 4});
  auto s = swapaxes(a, 0, 2);
  EXPECT_EQ(s.shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(values<int32_t>(s), values<int32_t>(transpose(a, {2, 1, 0})));
  expect_view_of(s, a);
  EXPECT_EQ(swapaxes(a, 1, -2).id(), a.id());
  expect_array<int32_t>(swapaxes(reshape(arange(4), {2, 2}), -1, 0), {2, 2}, int32, {0, 2, 1, 3});
  auto m = moveaxis(a, 0, -1);
  EXPECT_EQ(m.shape(), (Shape{3, 4, 2}));
  EXPECT_EQ(values<int32_t>(m), values<int32_t>(transpose(a, {1, 2, 0})));
  auto m2 = moveaxis(a, 2, 0);
  EXPECT_EQ(m2.shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(values<int32_t>(m2), values<int32_t>(transpose(a, {2, 0, 1})));
  EXPECT_EQ(moveaxis(a, 1, 1).id(), a.id());
  EXPECT_INVALID(swapaxes(a, 0, 3),
                 "[swapaxes] Axis 3 is out of bounds for an array with 3 dimensions.");
  EXPECT_INVALID(moveaxis(a, -4, 0),
                 "[moveaxis] Axis -4 is out of bounds for an array with 3 dimensions.");
}

// ---------------------------------------------------------------------------------------------
// split, unstack, meshgrid

TEST(ShapeSplit, EqualParts) {
  auto a = arange(12);
  auto parts = split(a, 3);
  ASSERT_EQ(parts.size(), 3u);
  expect_array<int32_t>(parts[0], {4}, int32, {0, 1, 2, 3});
  expect_array<int32_t>(parts[2], {4}, int32, {8, 9, 10, 11});
  expect_view_of(parts[1], a, 4 * 4);
  auto m = reshape(a, {2, 6});
  auto cols = split(m, 2, 1);
  ASSERT_EQ(cols.size(), 2u);
  expect_array<int32_t>(cols[0], {2, 3}, int32, {0, 1, 2, 6, 7, 8});
  expect_array<int32_t>(cols[1], {2, 3}, int32, {3, 4, 5, 9, 10, 11});
  expect_view_of(cols[1], m, 3 * 4);
  EXPECT_EQ(split(m, 1, -1)[0].shape(), (Shape{2, 6}));
  EXPECT_INVALID(split(a, 5), "[split] Cannot split axis 0 of size 12 into 5 equal parts.");
  EXPECT_INVALID(split(a, 0), "[split] Cannot split axis 0 of size 12 into 0 equal parts.");
  EXPECT_INVALID(split(a, 2, 1), "[split] Axis 1 is out of bounds for an array with 1 dimensions.");
}

TEST(ShapeSplit, AtIndices) {
  auto a = arange(6);
  auto parts = split(a, Shape{2, 5});
  ASSERT_EQ(parts.size(), 3u);
  expect_array<int32_t>(parts[0], {2}, int32, {0, 1});
  expect_array<int32_t>(parts[1], {3}, int32, {2, 3, 4});
  expect_array<int32_t>(parts[2], {1}, int32, {5});
  // NumPy's slice rules: negative indices count from the end, out-of-order ones give empty parts.
  auto neg = split(a, Shape{-2});
  expect_array<int32_t>(neg[0], {4}, int32, {0, 1, 2, 3});
  expect_array<int32_t>(neg[1], {2}, int32, {4, 5});
  auto odd = split(a, Shape{4, 1, 9});
  ASSERT_EQ(odd.size(), 4u);
  expect_array<int32_t>(odd[0], {4}, int32, {0, 1, 2, 3});
  expect_array<int32_t>(odd[1], {0}, int32, {});
  expect_array<int32_t>(odd[2], {5}, int32, {1, 2, 3, 4, 5});
  expect_array<int32_t>(odd[3], {0}, int32, {});
  auto m = reshape(arange(8), {2, 4});
  auto cols = split(m, Shape{1}, 1);
  expect_array<int32_t>(cols[0], {2, 1}, int32, {0, 4});
  expect_array<int32_t>(cols[1], {2, 3}, int32, {1, 2, 3, 5, 6, 7});
  EXPECT_EQ(split(m, Shape{}, 0)[0].id(), m.id());
}

TEST(ShapeUnstack, Values) {
  auto a = reshape(arange(6), {2, 3});
  auto rows = unstack(a);
  ASSERT_EQ(rows.size(), 2u);
  expect_array<int32_t>(rows[1], {3}, int32, {3, 4, 5});
  expect_view_of(rows[1], a, 3 * 4);
  auto cols = unstack(a, -1);
  ASSERT_EQ(cols.size(), 3u);
  expect_array<int32_t>(cols[2], {2}, int32, {2, 5});
  EXPECT_TRUE(unstack(zeros({0, 2})).empty());
  EXPECT_INVALID(unstack(array(1)), "[unstack] Cannot unstack a scalar (it has no axis).");
  EXPECT_INVALID(unstack(a, 2),
                 "[unstack] Axis 2 is out of bounds for an array with 2 dimensions.");
}

TEST(ShapeMeshgrid, Values) {
  auto x = array({1, 2, 3});
  auto y = array({4, 5});
  auto xy = meshgrid({x, y});
  expect_array<int32_t>(xy[0], {2, 3}, int32, {1, 2, 3, 1, 2, 3});
  expect_array<int32_t>(xy[1], {2, 3}, int32, {4, 4, 4, 5, 5, 5});
  auto ij = meshgrid({x, y}, false, "ij");
  expect_array<int32_t>(ij[0], {3, 2}, int32, {1, 1, 2, 2, 3, 3});
  expect_array<int32_t>(ij[1], {3, 2}, int32, {4, 5, 4, 5, 4, 5});
  auto sp = meshgrid({x, y}, true);
  expect_array<int32_t>(sp[0], {1, 3}, int32, {1, 2, 3});
  expect_array<int32_t>(sp[1], {2, 1}, int32, {4, 5});
  auto three = meshgrid({x, y, array({1.0f, 2.0f, 3.0f, 4.0f})});
  for (auto& g : three) {
    EXPECT_EQ(g.shape(), (Shape{2, 3, 4}));
  }
  EXPECT_EQ(three[2].dtype(), float32);
  auto sp3 = meshgrid({x, y, zeros({4})}, true, "ij");
  EXPECT_EQ(sp3[0].shape(), (Shape{3, 1, 1}));
  EXPECT_EQ(sp3[2].shape(), (Shape{1, 1, 4}));
  // Inputs are flattened; one input is unchanged by either indexing.
  auto one = meshgrid({reshape(arange(4), {2, 2})});
  expect_array<int32_t>(one[0], {4}, int32, {0, 1, 2, 3});
  EXPECT_INVALID(meshgrid({x, y}, false, "yx"),
                 "[meshgrid] Invalid indexing \"yx\": use \"xy\" or \"ij\".");
}

// ---------------------------------------------------------------------------------------------
// repeat, tile, roll

TEST(ShapeRepeat, Values) {
  auto a = array({1, 2, 3, 4}, {2, 2});
  expect_array<int32_t>(repeat(a, 2, 0), {4, 2}, int32, {1, 2, 1, 2, 3, 4, 3, 4});
  expect_array<int32_t>(repeat(a, 2, -1), {2, 4}, int32, {1, 1, 2, 2, 3, 3, 4, 4});
  expect_array<int32_t>(repeat(a, 3), {12}, int32, {1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4});
  expect_array<int32_t>(repeat(transpose(a), 2, 1), {2, 4}, int32, {1, 1, 3, 3, 2, 2, 4, 4});
  expect_array<int32_t>(repeat(a, 0, 0), {0, 2}, int32, {});
  expect_array<int32_t>(repeat(array(5), 2), {2}, int32, {5, 5});
  EXPECT_INVALID(repeat(a, -1, 0), "[repeat] The number of repeats must be non-negative, got -1.");
  EXPECT_INVALID(repeat(a, 2, 2),
                 "[repeat] Axis 2 is out of bounds for an array with 2 dimensions.");
}

TEST(ShapeTile, Values) {
  auto v = array({1, 2, 3});
  expect_array<int32_t>(tile(v, {2}), {6}, int32, {1, 2, 3, 1, 2, 3});
  expect_array<int32_t>(tile(v, {2, 1}), {2, 3}, int32, {1, 2, 3, 1, 2, 3});
  auto m = array({1, 2, 3, 4}, {2, 2});
  expect_array<int32_t>(tile(m, {2}), {2, 4}, int32, {1, 2, 1, 2, 3, 4, 3, 4});
  expect_array<int32_t>(tile(m, {2, 1}), {4, 2}, int32, {1, 2, 3, 4, 1, 2, 3, 4});
  EXPECT_EQ(tile(m, {2, 1, 3}).shape(), (Shape{2, 2, 6}));
  expect_array<int32_t>(tile(m, {0, 1}), {0, 2}, int32, {});
  expect_array<int32_t>(tile(array(7), {3}), {3}, int32, {7, 7, 7});
  EXPECT_INVALID(tile(v, {2, -1}), "[tile] The repetitions must be non-negative, got (2,-1).");
}

TEST(ShapeRoll, Values) {
  auto v = arange(5);
  expect_array<int32_t>(roll(v, 2), {5}, int32, {3, 4, 0, 1, 2});
  expect_array<int32_t>(roll(v, -1), {5}, int32, {1, 2, 3, 4, 0});
  expect_array<int32_t>(roll(v, 7), {5}, int32, {3, 4, 0, 1, 2});
  expect_array<int32_t>(roll(v, 5), {5}, int32, {0, 1, 2, 3, 4});
  auto a = reshape(arange(6), {2, 3});
  expect_array<int32_t>(roll(a, 1), {2, 3}, int32, {5, 0, 1, 2, 3, 4});
  expect_array<int32_t>(roll(a, Shape{1, 2}), {2, 3}, int32, {3, 4, 5, 0, 1, 2});
  expect_array<int32_t>(roll(a, 1, 1), {2, 3}, int32, {2, 0, 1, 5, 3, 4});
  expect_array<int32_t>(roll(a, 1, std::vector<int>{0, 1}), {2, 3}, int32, {5, 3, 4, 2, 0, 1});
  expect_array<int32_t>(roll(a, Shape{1, 2}, std::vector<int>{0, -1}), {2, 3}, int32,
                        {4, 5, 3, 1, 2, 0});
  expect_array<int32_t>(roll(a, Shape{1, 1}, 1), {2, 3}, int32, {1, 2, 0, 4, 5, 3});
  expect_array<int32_t>(roll(transpose(a), 1, 0), {3, 2}, int32, {2, 5, 0, 3, 1, 4});
  expect_array<int32_t>(roll(array(4), 3), {}, int32, {4});
  expect_array<float>(roll(zeros({0, 3}), 1, 0), {0, 3}, float32, {});
  EXPECT_INVALID(roll(a, Shape{1, 2}, std::vector<int>{0, 1, 1}),
                 "[roll] The shift (1,2) and the axes (0,1,1) must have the same size (or one "
                 "shift for every axis).");
  EXPECT_INVALID(roll(a, 1, 2), "[roll] Invalid axis 2 for an array with 2 dimensions.");
}

TEST(ShapeLayoutOps, EveryDtype) {
  for (int k = 0; k < num_dtypes; ++k) {
    auto dt = dtype_from_index(k);
    SCOPED_TRACE(k);
    auto a = astype(reshape(arange(6), {2, 3}), dt);
    auto expect = [&](const array& out, const Shape& shape, std::vector<double> v) {
      EXPECT_EQ(out.dtype(), dt);
      EXPECT_EQ(out.shape(), shape);
      if (dt == bool_) {
        for (auto& x : v) x = x != 0;
      }
      EXPECT_EQ(check::values(out), v);
    };
    expect(flip(a, 1), {2, 3}, {2, 1, 0, 5, 4, 3});
    expect(roll(a, 1, 1), {2, 3}, {2, 0, 1, 5, 3, 4});
    expect(repeat(a, 2, 0), {4, 3}, {0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5});
    expect(tile(a, {1, 2}), {2, 6}, {0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5});
    expect(split(a, 3, 1)[1], {2, 1}, {1, 4});
    expect(swapaxes(a, 0, 1), {3, 2}, {0, 3, 1, 4, 2, 5});
    expect(pad(a, {{0, 1}, {1, 0}}), {3, 4}, {0, 0, 1, 2, 0, 3, 4, 5, 0, 0, 0, 0});
    expect(pad(a, {0, 1}, array(1), "edge"), {3, 4}, {0, 1, 2, 2, 3, 4, 5, 5, 3, 4, 5, 5});
    expect(pad(a, {{0, 0}, {2, 0}}, array(0), "reflect"), {2, 5}, {2, 1, 0, 1, 2, 5, 4, 3, 4, 5});
  }
}

TEST(ShapeLayoutOps, Transforms) {
  using V = std::vector<array>;
  auto x = check::uniform({2, 3});
  auto x3 = check::uniform({2, 3, 4});
  std::vector<check::Fn> fns = {
      [](const V& in) { return V{flatten(in[0])}; },
      [](const V& in) { return V{flatten(in[0], 1, 2)}; },
      [](const V& in) {
        return V{unflatten(in[0], -1, {2, -1})};
      },
      [](const V& in) { return V{flip(in[0], 0)}; },
      [](const V& in) { return V{flip(in[0])}; },
      [](const V& in) { return V{swapaxes(in[0], 0, -1)}; },
      [](const V& in) { return V{moveaxis(in[0], 0, 2)}; },
      [](const V& in) { return split(in[0], 2, 2); },
      [](const V& in) {
        return split(in[0], Shape{1, 2}, 1);
      },
      [](const V& in) { return unstack(in[0], 1); },
      [](const V& in) { return V{repeat(in[0], 2, 1)}; },
      [](const V& in) { return V{repeat(in[0], 2)}; },
      [](const V& in) {
        return V{tile(in[0], {2, 1, 2})};
      },
      [](const V& in) { return V{roll(in[0], 1)}; },
      [](const V& in) {
        return V{roll(in[0], Shape{1, -1}, std::vector<int>{0, 2})};
      },
      [](const V& in) { return V{atleast_3d(in[0])}; },
  };
  for (size_t i = 0; i < fns.size(); ++i) {
    SCOPED_TRACE(i);
    check::grads(fns[i], {x3});
    check::vmaps(fns[i], {x3});
  }
  auto mesh = [](const V& in) { return meshgrid({in[0], in[1]}); };
  check::grads(mesh, {check::uniform({3}), check::uniform({2})});
  check::grads([](const V& in) { return V{atleast_2d(in[0])}; }, {check::uniform({3})});
  check::vmaps([](const V& in) { return V{flip(in[0], -1)}; }, {x});
}

// ---------------------------------------------------------------------------------------------
// pad

TEST(ShapePad, Constant) {
  auto v = array({1, 2, 3});
  expect_array<int32_t>(pad(v, 2), {7}, int32, {0, 0, 1, 2, 3, 0, 0});
  expect_array<int32_t>(pad(v, {1, 0}, array(9)), {4}, int32, {9, 1, 2, 3});
  auto m = array({1, 2, 3, 4}, {2, 2});
  expect_array<int32_t>(pad(m, {{1, 0}, {0, 2}}, array(-1)), {3, 4}, int32,
                        {-1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1, -1});
  expect_array<int32_t>(pad(m, std::vector<int>{-1}, Shape{1}, Shape{0}), {2, 3}, int32,
                        {0, 1, 2, 0, 3, 4});
  // The pad value takes the array's dtype.
  expect_array<int8_t>(pad(array({1, 2}, int8), 1, array(2.5f)), {4}, int8, {2, 1, 2, 2});
  expect_array<float>(pad(array({1.0f}), 1, array({3}, {1, 1})), {3}, float32, {3.0f, 1.0f, 3.0f});
  expect_array<int32_t>(pad(transpose(m), {0, 1}), {3, 3}, int32, {1, 3, 0, 2, 4, 0, 0, 0, 0});
  EXPECT_EQ(pad(m, 0).id(), m.id());
  expect_array<float>(pad(zeros({0}), 1), {2}, float32, {0.0f, 0.0f});
}

TEST(ShapePad, EdgeReflectSymmetric) {
  auto v = array({1, 2, 3});
  expect_array<int32_t>(pad(v, {2, 3}, array(0), "edge"), {8}, int32, {1, 1, 1, 2, 3, 3, 3, 3});
  expect_array<int32_t>(pad(v, 2, array(0), "reflect"), {7}, int32, {3, 2, 1, 2, 3, 2, 1});
  expect_array<int32_t>(pad(v, 2, array(0), "symmetric"), {7}, int32, {2, 1, 1, 2, 3, 3, 2});
  // Widths larger than the axis reflect again (NumPy's results).
  expect_array<int32_t>(pad(v, 5, array(0), "reflect"), {13}, int32,
                        {2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2});
  expect_array<int32_t>(pad(v, 4, array(0), "symmetric"), {11}, int32,
                        {3, 3, 2, 1, 1, 2, 3, 3, 2, 1, 1});
  expect_array<int32_t>(pad(array({5}), 2, array(0), "reflect"), {5}, int32, {5, 5, 5, 5, 5});
  expect_array<int32_t>(pad(array({5}), {1, 2}, array(0), "symmetric"), {4}, int32, {5, 5, 5, 5});
  auto m = array({1, 2, 3, 4, 5, 6}, {2, 3});
  expect_array<int32_t>(pad(m, {{1, 1}, {1, 0}}, array(0), "reflect"), {4, 4}, int32,
                        {5, 4, 5, 6, 2, 1, 2, 3, 5, 4, 5, 6, 2, 1, 2, 3});
  expect_array<int32_t>(pad(m, {{0, 1}, {2, 1}}, array(0), "edge"), {3, 6}, int32,
                        {1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6, 4, 4, 4, 5, 6, 6});
  expect_array<int32_t>(pad(flip(m, 1), {0, 1}, array(0), "symmetric"), {3, 4}, int32,
                        {3, 2, 1, 1, 6, 5, 4, 4, 6, 5, 4, 4});
}

TEST(ShapePad, Errors) {
  auto m = zeros({2, 2});
  EXPECT_INVALID(pad(m, 1, array(0), "wrap"),
                 "[pad] Invalid padding mode \"wrap\": use \"constant\", \"edge\", \"reflect\" or "
                 "\"symmetric\".");
  EXPECT_INVALID(pad(m, -1),
                 "[pad] Pad sizes must be non-negative, got low (-1,-1) and high (-1,-1).");
  EXPECT_INVALID(pad(m, {{1, 1}, {1, 1}, {1, 1}}),
                 "[pad] Expected 2 (low, high) pairs (or one for every axis) for an array of shape "
                 "(2,2), got 3.");
  EXPECT_INVALID(pad(m, std::vector<int>{0}, Shape{1, 1}, Shape{1}),
                 "[pad] The axes (0), low pad sizes (1,1) and high pad sizes (1) must have the "
                 "same length.");
  EXPECT_INVALID(pad(m, std::vector<int>{0, -2}, Shape{1, 1}, Shape{1, 1}),
                 "[pad] Invalid axes (0,-2) for an array with 2 dimensions: each must be in range "
                 "and appear once.");
  EXPECT_INVALID(pad(m, 1, array({1.0f, 2.0f})),
                 "[pad] The pad value must be a single value, got shape (2).");
  EXPECT_INVALID(pad(zeros({0, 2}), 1, array(0), "edge"),
                 "[pad] Cannot pad axis 0 of size 0 with low 1 and high 1 in a mode that copies "
                 "the array's values.");
}

TEST(ShapePad, Transforms) {
  using V = std::vector<array>;
  auto x = check::uniform({2, 3});
  check::grads(
      [](const V& in) {
        return V{pad(in[0], {{1, 2}, {0, 1}}, in[1])};
      },
      {x, check::uniform({})});
  for (auto mode : {"constant", "edge", "reflect", "symmetric"}) {
    SCOPED_TRACE(mode);
    auto f = [mode](const V& in) { return V{pad(in[0], {{1, 4}, {2, 0}}, array(0.5), mode)}; };
    check::grads(f, {x});
    check::vmaps(f, {x});
  }
}

// ---------------------------------------------------------------------------------------------
// as_strided, number_of_elements

TEST(ShapeAsStrided, Values) {
  auto a = arange(10);
  auto w = as_strided(a, {3, 3}, {1, 1}, 0);
  expect_array<int32_t>(w, {3, 3}, int32, {0, 1, 2, 1, 2, 3, 2, 3, 4});
  expect_view_of(w, a);
  expect_array<int32_t>(as_strided(a, {2, 3}, {4, 0}, 2), {2, 3}, int32, {2, 2, 2, 6, 6, 6});
  expect_array<int32_t>(as_strided(a, {5}, {-2}, 9), {5}, int32, {9, 7, 5, 3, 1});
  // Strides index the input's elements in row-major order, whatever its layout.
  auto t = transpose(reshape(arange(6), {2, 3}));
  expect_array<int32_t>(as_strided(t, {6}, {1}, 0), {6}, int32, {0, 3, 1, 4, 2, 5});
  expect_array<int32_t>(as_strided(a, {0, 4}, {100, 100}, 50), {0, 4}, int32, {});
  for (int k = 0; k < num_dtypes; ++k) {
    auto dt = dtype_from_index(k);
    auto out = as_strided(astype(arange(4), dt), {2, 2}, {1, 2}, 0);
    EXPECT_EQ(out.dtype(), dt);
    std::vector<double> expected{0, 2, 1, 3};
    if (dt == bool_) expected = {0, 1, 1, 1};
    EXPECT_EQ(check::values(out), expected);
  }
}

TEST(ShapeAsStrided, Errors) {
  auto a = arange(4);
  EXPECT_INVALID(as_strided(a, {3}, {2}, 0),
                 "[as_strided] The shape (3), strides (2) and offset 0 reach elements 0 to 4 of "
                 "an array with 4 elements.");
  EXPECT_INVALID(as_strided(a, {2}, {-1}, 0),
                 "[as_strided] The shape (2), strides (-1) and offset 0 reach elements -1 to 0 of "
                 "an array with 4 elements.");
  EXPECT_THROW(as_strided(a, {3}, {INT64_MAX / 2}, 0), std::invalid_argument);
  EXPECT_THROW(as_strided(a, {1}, {1}, SIZE_MAX), std::invalid_argument);
  EXPECT_INVALID(as_strided(a, {2, 2}, {1}, 0),
                 "[as_strided] The shape (2,2) and strides (1) must have the same length.");
  EXPECT_INVALID(as_strided(a, {-1}, {1}, 0),
                 "[as_strided] Negative dimensions are not allowed, got shape (-1).");
}

TEST(ShapeAsStrided, Transforms) {
  using V = std::vector<array>;
  // Overlapping windows: the vjp adds up every read of an element.
  auto f = [](const V& in) { return V{as_strided(in[0], {3, 3}, {1, 2}, 1)}; };
  auto x = check::uniform({2, 4});
  check::grads(f, {x});
  check::vmaps(f, {x});
  auto [outs, vjps] = vjp(f, {x}, {ones({3, 3}, float64)});
  expect_array<double>(vjps[0], {2, 4}, float64, {0, 1, 1, 2, 1, 2, 1, 1});
  // The adjoint's own rules (grad of grad, vmap of grad).
  auto g = [&](const V& in) { return vjp(f, {in[0]}, {in[1]}).second; };
  check::grads(g, {x, check::uniform({3, 3})});
  check::vmaps(g, {x, check::uniform({3, 3})});
}

TEST(ShapeNumberOfElements, Values) {
  auto a = zeros({2, 3, 4});
  expect_array<int32_t>(number_of_elements(a, {0, 2}, false), {}, int32, {8});
  expect_array<float>(number_of_elements(a, {-1}, true, float32), {}, float32, {0.25f});
  expect_array<int32_t>(number_of_elements(a, {}, false), {}, int32, {1});
  expect_array<float16_t>(number_of_elements(a, {0, 1, 2}, false, float16), {}, float16,
                          {float16_t(24.0f)});
  expect_array<int32_t>(number_of_elements(zeros({0, 3}), {0, 1}, false), {}, int32, {0});
  EXPECT_INVALID(number_of_elements(a, {3}, false),
                 "[number_of_elements] Invalid axis 3 for an array with 3 dimensions.");
}

TEST(ShapeNumberOfElements, Transforms) {
  using V = std::vector<array>;
  auto f = [](const V& in) { return V{in[0] * number_of_elements(in[0], {0}, true, float64)}; };
  auto x = check::uniform({2, 3});
  check::grads(f, {x});
  check::vmaps(f, {x});
  // Under vmap the count is of the per-example shape.
  auto n = vmap([](const array& y) {
    return number_of_elements(y, {0, 1}, false);
  })(zeros({5, 2, 3}));
  expect_array<int32_t>(n, {5}, int32, {6, 6, 6, 6, 6});
}
