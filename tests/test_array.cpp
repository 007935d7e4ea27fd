// The array class: constructors, metadata, data access, buffers, graph accessors.
#include <gtest/gtest.h>

#include "helpers.h"

#include <complex>
#include <numeric>

#include "mlx/mlx.h"
#include "mlx/transforms_impl.h"

using namespace mlx::core;

TEST(Array, ScalarConstructors) {
  array a(3);
  EXPECT_EQ(a.dtype(), int32);
  EXPECT_EQ(a.ndim(), 0u);
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(a.shape(), Shape{});
  EXPECT_EQ(a.item<int>(), 3);
  EXPECT_TRUE(a.is_available());

  EXPECT_EQ(array(2.5).dtype(), float32);  // a C++ double becomes float32
  EXPECT_EQ(array(2.5).item<float>(), 2.5f);
  EXPECT_EQ(array(2.5, float64).item<double>(), 2.5);
  EXPECT_EQ(array(true).dtype(), bool_);
  EXPECT_EQ(array(int64_t{1} << 40).item<int64_t>(), int64_t{1} << 40);
  EXPECT_EQ(array(7u).dtype(), uint32);
  EXPECT_EQ(array(float16_t(1.5f)).dtype(), float16);
  EXPECT_EQ(array(bfloat16_t(1.5f)).item<bfloat16_t>(), bfloat16_t(1.5f));
  EXPECT_EQ(array(-1.5f, int32).item<int>(), -1);
  EXPECT_EQ(array(-1.0f, uint8).item<uint8_t>(), 255);
  EXPECT_EQ(array(3, float16).item<float16_t>(), float16_t(3.0f));

  array c(std::complex<float>(1.0f, -2.0f));
  EXPECT_EQ(c.dtype(), complex64);
  EXPECT_EQ(c.item<complex64_t>(), complex64_t(1.0f, -2.0f));
  EXPECT_EQ(array(complex64_t(0.0f, 2.0f), bool_).item<bool>(), true);
}

TEST(Array, ListConstructors) {
  array a({1.0f, 2.0f, 3.0f});
  EXPECT_EQ(a.dtype(), float32);
  EXPECT_EQ(a.shape(), Shape{3});
  EXPECT_EQ(a.data<float>()[2], 3.0f);

  array e({});
  EXPECT_EQ(e.dtype(), float32);
  EXPECT_EQ(e.size(), 0u);
  EXPECT_EQ(e.shape(), Shape{0});
  array ei({}, int32);
  EXPECT_EQ(ei.dtype(), int32);
  EXPECT_EQ(ei.size(), 0u);

  array b({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(b.shape(), (Shape{2, 3}));
  EXPECT_EQ(b.dtype(), int32);
  EXPECT_EQ(b.data<int>()[5], 6);
  EXPECT_EQ(b.strides(), (Strides{3, 1}));

  array f({1, 2, 3}, float16);
  EXPECT_EQ(f.dtype(), float16);
  EXPECT_EQ(f.data<float16_t>()[1], float16_t(2.0f));

  array g({true, false}, {2});
  EXPECT_EQ(g.dtype(), bool_);

  EXPECT_EQ(error_of([] {
              array({1, 2, 3}, {2, 2});
            }),
            "[array] Data size (3) does not match the number of elements of the shape (4).");
  EXPECT_EQ(error_of([] { array({1.0f}, {-1}); }), "[array] Shape (-1) has a negative dimension.");
  EXPECT_EQ(error_of([] {
              zeros({65536, 65536, 65536, 65536});
            }),
            "[array] Shape (65536,65536,65536,65536) has too many elements.");
}

TEST(Array, IteratorConstructor) {
  std::vector<double> v(6);
  std::iota(v.begin(), v.end(), 0.5);
  array a(v.begin(), {3, 2});
  EXPECT_EQ(a.dtype(), float32);
  EXPECT_EQ(a.data<float>()[5], 5.5f);
  array b(v.data(), {6}, float64);
  EXPECT_EQ(b.data<double>()[1], 1.5);
  std::vector<int> iv{1, 2, 3};
  array c(iv.begin(), {3}, uint8);
  EXPECT_EQ(c.data<uint8_t>()[2], 3);
}

TEST(Array, MetadataAccessors) {
  array a({1, 2, 3, 4, 5, 6}, {1, 2, 3});
  EXPECT_EQ(a.itemsize(), 4u);
  EXPECT_EQ(a.nbytes(), 24u);
  EXPECT_EQ(a.ndim(), 3u);
  EXPECT_EQ(a.shape(-1), 3);
  EXPECT_EQ(a.shape(1), 2);
  EXPECT_EQ(a.strides(0), 6);
  EXPECT_EQ(a.strides(-1), 1);
  EXPECT_EQ(error_of([&] { a.shape(3); }),
            "[array::shape] Dimension 3 is out of bounds for an array with 3 dimensions.");
  EXPECT_EQ(error_of([&] { a.strides(-4); }),
            "[array::strides] Dimension -4 is out of bounds for an array with 3 dimensions.");
  EXPECT_TRUE(a.flags().contiguous);
  EXPECT_TRUE(a.flags().row_contiguous);
  EXPECT_FALSE(a.flags().col_contiguous);
  EXPECT_TRUE(array({1, 2, 3}).flags().col_contiguous);
  EXPECT_EQ(a.data_size(), 6u);
  EXPECT_EQ(a.offset(), 0);
  EXPECT_GE(a.buffer_size(), 24u);
  EXPECT_NE(a.id(), array(1).id());
  EXPECT_EQ(a.primitive_id(), 0u);
  EXPECT_FALSE(a.has_primitive());
}

TEST(Array, ItemChecks) {
  array a({1, 2});
  EXPECT_EQ(error_of([&] { a.item<int>(); }),
            "[item] item can only be called on arrays of size 1, not shape (2).");
  EXPECT_EQ(error_of([] { array(1).item<int64_t>(); }),
            "[item] The requested type has 8 bytes but the array's dtype int32 has 4.");
}

TEST(Array, ExternalMemoryIsWrappedWithoutCopy) {
  static int deleted = 0;
  deleted = 0;
  float* raw = new float[4]{1, 2, 3, 4};
  {
    array a(raw, {2, 2}, float32, [](void* p) {
      delete[] static_cast<float*>(p);
      deleted++;
    });
    EXPECT_EQ(a.data<float>(), raw);
    auto b = a + a;
    eval(b);
    EXPECT_EQ(b.data<float>()[3], 8.0f);
    EXPECT_EQ(deleted, 0);
  }
  // The deleter runs once the last array using the memory is gone.
  EXPECT_EQ(deleted, 1);
}

TEST(Array, BufferConstructorAndSetData) {
  auto buf = allocator::malloc(3 * sizeof(int));
  static_cast<int*>(buf.raw_ptr())[0] = 7;
  static_cast<int*>(buf.raw_ptr())[1] = 8;
  static_cast<int*>(buf.raw_ptr())[2] = 9;
  array a(buf, {3}, int32);
  EXPECT_EQ(a.data<int>()[2], 9);
  EXPECT_EQ(a.data<void>(), buf.raw_ptr());
  EXPECT_EQ(a.buffer().ptr(), buf.ptr());
  EXPECT_EQ(a.buffer_size(), 12u);

  // copy_shared_buffer makes a strided view of the same data; offset() is in bytes.
  array v(Shape{2}, int32, nullptr, {});
  v.copy_shared_buffer(a, {1}, a.flags(), 2, 1);
  EXPECT_EQ(v.data<int>()[0], 8);
  EXPECT_EQ(v.offset(), 4);
  EXPECT_EQ(v.data_shared_ptr(), a.data_shared_ptr());
  EXPECT_FALSE(a.is_donatable());  // the view holds the data too
}

TEST(Array, UnsafeWeakCopySharesData) {
  array a({1.0f, 2.0f});
  auto w = array::unsafe_weak_copy(a);
  EXPECT_EQ(w.data<float>(), a.data<float>());
  EXPECT_TRUE(w.is_available());
  EXPECT_EQ(w.shape(), a.shape());
}

TEST(Array, DonatableWhenUniquelyHeld) {
  array a({1.0f, 2.0f});
  EXPECT_TRUE(a.is_donatable());
  auto b = a;
  EXPECT_FALSE(a.is_donatable());
}

TEST(Array, IterationOverFirstAxis) {
  array a({1, 2, 3, 4, 5, 6}, {3, 2});
  int row = 0;
  for (auto r : a) {
    EXPECT_EQ(r.shape(), Shape{2});
    eval(r);
    EXPECT_EQ(r.data<int>()[0], 2 * row + 1);
    EXPECT_EQ(r.data<int>()[1], 2 * row + 2);
    row++;
  }
  EXPECT_EQ(row, 3);
  EXPECT_EQ(error_of([] { array(1).begin(); }),
            "[array::ArrayIterator] Cannot iterate over a 0-d array.");
}

TEST(Array, StatusTransitions) {
  auto x = array(1.0f) + array(2.0f);
  EXPECT_EQ(x.status(), array::unscheduled);
  x.eval();
  EXPECT_EQ(x.status(), array::available);
  EXPECT_EQ(x.item<float>(), 3.0f);
  auto y = array(Shape{}, float32, nullptr, {});
  y.set_status(array::evaluated);
  EXPECT_EQ(y.status(), array::evaluated);
  y.set_status(array::unscheduled);
  EXPECT_EQ(y.status(), array::unscheduled);
}

TEST(Array, TracerFlagAndSiblings) {
  auto x = array(1.0f) + array(1.0f);
  EXPECT_FALSE(x.is_tracer());
  x.set_tracer(true);
  // A tracer keeps its graph only while a transformation is tracing on this thread.
  EXPECT_FALSE(x.is_tracer());
  {
    detail::InTracing tracing;
    EXPECT_TRUE(x.is_tracer());
    EXPECT_TRUE((x + x).is_tracer());  // arrays built on tracers are tracers
  }
  x.set_tracer(false);
  EXPECT_TRUE(x.siblings().empty());
  EXPECT_EQ(x.outputs().size(), 1u);
  x.detach();
  EXPECT_FALSE(x.has_primitive());
  EXPECT_TRUE(x.inputs().empty());
}

TEST(Array, TypeTraits) {
  static_assert(is_array_v<array>);
  static_assert(is_array_v<const array&>);
  static_assert(!is_array_v<int>);
  static_assert(is_arrays_v<array, array&, const array>);
  static_assert(!is_arrays_v<array, float>);
  SUCCEED();
}

TEST(Array, VersionAndDtypes) {
  EXPECT_EQ(version(), std::to_string(MLX_VERSION_MAJOR) + "." + std::to_string(MLX_VERSION_MINOR) +
                           "." + std::to_string(MLX_VERSION_PATCH));
}
