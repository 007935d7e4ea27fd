// Printing arrays (NumPy's layout with MLX's number formatting), dtypes, devices and streams.
#include <gtest/gtest.h>

#include <complex>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "mlx/mlx.h"

using namespace mlx::core;

namespace {

template <typename T>
std::string str(const T& x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

// Restores the default print options when a test ends, whatever it set.
class PrintOptionsGuard {
 public:
  PrintOptionsGuard() : saved_(get_global_formatter().options) {}
  ~PrintOptionsGuard() { set_printoptions(saved_); }

 private:
  PrintOptions saved_;
};

// "a, a+1, a+2, ..., b-2, b-1, b": a summarised run of consecutive integers [a, b].
std::string summarised_run(int a, int b) {
  std::ostringstream os;
  os << a << ", " << a + 1 << ", " << a + 2 << ", ..., " << b - 2 << ", " << b - 1 << ", " << b;
  return os.str();
}

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

}  // namespace

TEST(PrintArray, ZeroDimensional) {
  EXPECT_EQ(str(array(1)), "array(1, dtype=int32)");
  EXPECT_EQ(str(array(-7)), "array(-7, dtype=int32)");
  EXPECT_EQ(str(array(1.5f)), "array(1.5, dtype=float32)");
  EXPECT_EQ(str(array(true)), "array(true, dtype=bool)");
  EXPECT_EQ(str(array(false)), "array(false, dtype=bool)");
  EXPECT_EQ(str(array(int64_t{1} << 40)), "array(1099511627776, dtype=int64)");
  EXPECT_EQ(str(array(0.25, float64)), "array(0.25, dtype=float64)");
}

TEST(PrintArray, OneDimensional) {
  EXPECT_EQ(str(array({1, 2, 3})), "array([1, 2, 3], dtype=int32)");
  EXPECT_EQ(str(array({5})), "array([5], dtype=int32)");
  EXPECT_EQ(str(array({-1, 10, -100})), "array([-1, 10, -100], dtype=int32)");
  EXPECT_EQ(str(array({uint32_t{4000000000u}}, uint32)), "array([4000000000], dtype=uint32)");
  EXPECT_EQ(str(array({int16_t{-3}}, int16)), "array([-3], dtype=int16)");
  EXPECT_EQ(str(array({uint16_t{65535}}, uint16)), "array([65535], dtype=uint16)");
  EXPECT_EQ(str(array({uint64_t{18446744073709551615ull}}, uint64)),
            "array([18446744073709551615], dtype=uint64)");
}

TEST(PrintArray, TwoDimensional) {
  EXPECT_EQ(str(array({1, 2, 3, 4}, {2, 2})), "array([[1, 2],\n       [3, 4]], dtype=int32)");
  EXPECT_EQ(str(array({1, 2, 3}, {3, 1})), "array([[1],\n       [2],\n       [3]], dtype=int32)");
  EXPECT_EQ(str(array({1, 2, 3}, {1, 3})), "array([[1, 2, 3]], dtype=int32)");
}

TEST(PrintArray, ThreeDimensional) {
  // A blank line between 2-D blocks; inner rows indented one more than the block's bracket.
  EXPECT_EQ(str(reshape(arange(8), {2, 2, 2})),
            "array([[[0, 1],\n"
            "        [2, 3]],\n"
            "\n"
            "       [[4, 5],\n"
            "        [6, 7]]], dtype=int32)");
  EXPECT_EQ(str(reshape(arange(3), {1, 1, 3})), "array([[[0, 1, 2]]], dtype=int32)");
}

TEST(PrintArray, FourDimensional) {
  // Two blank lines between 3-D blocks.
  EXPECT_EQ(str(reshape(arange(4), {2, 1, 2, 1})),
            "array([[[[0],\n"
            "         [1]]],\n"
            "\n"
            "\n"
            "       [[[2],\n"
            "         [3]]]], dtype=int32)");
}

TEST(PrintArray, Bool) {
  EXPECT_EQ(str(array({true, false, true})), "array([true, false, true], dtype=bool)");
  EXPECT_EQ(str(array({true, false, false, true}, {2, 2})),
            "array([[true, false],\n       [false, true]], dtype=bool)");
}

TEST(PrintArray, Floats) {
  EXPECT_EQ(str(array({0.5f, 1.0f, 1.5f})), "array([0.5, 1, 1.5], dtype=float32)");
  EXPECT_EQ(str(array({-0.25f, 100.0f, 1e-5f, 1e10f})),
            "array([-0.25, 100, 1e-05, 1e+10], dtype=float32)");
  // Six significant digits by default.
  EXPECT_EQ(str(array({1.0f / 3.0f, 0.1f})), "array([0.333333, 0.1], dtype=float32)");
  EXPECT_EQ(str(array({kInf, -kInf, kNaN})), "array([inf, -inf, nan], dtype=float32)");
  EXPECT_EQ(str(array({0.1, 2.5}, float64)), "array([0.1, 2.5], dtype=float64)");
  EXPECT_EQ(str(arange(0.0, 1.0, 0.25)), "array([0, 0.25, 0.5, 0.75], dtype=float32)");
}

TEST(PrintArray, HalfTypes) {
  // The stored value is printed: float16(0.1) is 0.0999755859375, bfloat16(0.1) 0.10009765625.
  EXPECT_EQ(str(array({0.5f, 1.0f, 0.1f}, float16)), "array([0.5, 1, 0.0999756], dtype=float16)");
  EXPECT_EQ(str(array({0.5f, 1.0f, 0.1f}, bfloat16)), "array([0.5, 1, 0.100098], dtype=bfloat16)");
  EXPECT_EQ(str(array({65520.0f}, float16)), "array([inf], dtype=float16)");
  EXPECT_EQ(str(array(2049.0f, float16)), "array(2048, dtype=float16)");
}

TEST(PrintArray, Complex) {
  EXPECT_EQ(str(array(std::complex<float>(1, 2))), "array(1+2j, dtype=complex64)");
  EXPECT_EQ(str(array({complex64_t(1, 2), complex64_t(1, -2)})),
            "array([1+2j, 1-2j], dtype=complex64)");
  EXPECT_EQ(str(array({complex64_t(0, 0), complex64_t(-1.5f, 0.25f)})),
            "array([0+0j, -1.5+0.25j], dtype=complex64)");
  EXPECT_EQ(str(astype(array({1, 2}), complex64)), "array([1+0j, 2+0j], dtype=complex64)");
}

TEST(PrintArray, SmallIntegersPrintAsNumbers) {
  EXPECT_EQ(str(array({uint8_t{200}, uint8_t{7}, uint8_t{65}}, uint8)),
            "array([200, 7, 65], dtype=uint8)");
  EXPECT_EQ(str(array({int8_t{-5}, int8_t{65}, int8_t{0}}, int8)),
            "array([-5, 65, 0], dtype=int8)");
  EXPECT_EQ(str(array(uint8_t{48}, uint8)), "array(48, dtype=uint8)");
}

TEST(PrintArray, Empty) {
  EXPECT_EQ(str(array({})), "array([], dtype=float32)");
  EXPECT_EQ(str(zeros({0})), "array([], dtype=float32)");
  EXPECT_EQ(str(array({}, int32)), "array([], dtype=int32)");
  EXPECT_EQ(str(zeros({2, 0})), "array([], shape=(2,0), dtype=float32)");
  EXPECT_EQ(str(zeros({0, 3}, bool_)), "array([], shape=(0,3), dtype=bool)");
  EXPECT_EQ(str(zeros({2, 0, 4}, int8)), "array([], shape=(2,0,4), dtype=int8)");
  EXPECT_EQ(str(slice(arange(5), {3}, {1})), "array([], dtype=int32)");
}

TEST(PrintArray, StridedViews) {
  auto m = reshape(arange(12), {3, 4});
  // m[::-1, 1::2]
  EXPECT_EQ(str(slice(m, {2, 1}, {-4, 4}, {-1, 2})),
            "array([[9, 11],\n       [5, 7],\n       [1, 3]], dtype=int32)");
  EXPECT_EQ(str(slice(arange(6), {5}, {-7}, {-2})), "array([5, 3, 1], dtype=int32)");
  EXPECT_EQ(str(broadcast_to(array({1, 2}), {2, 2})),
            "array([[1, 2],\n       [1, 2]], dtype=int32)");
  EXPECT_EQ(str(broadcast_to(array({true, false}, {2, 1}), {2, 3})),
            "array([[true, true, true],\n       [false, false, false]], dtype=bool)");
  // A 0-d view into the middle of a buffer.
  EXPECT_EQ(str(reshape(slice(arange(5), {3}, {4}), {})), "array(3, dtype=int32)");
}

TEST(PrintArray, EvaluatesLazyArrays) {
  auto a = array({1, 2}) + array({10, 20});
  EXPECT_EQ(a.status(), array::unscheduled);
  EXPECT_EQ(str(a), "array([11, 22], dtype=int32)");
  EXPECT_EQ(str(a), "array([11, 22], dtype=int32)");
}

TEST(PrintArray, SummarisesAbove1000Elements) {
  // Exactly 1000 elements print in full.
  auto full_str = str(arange(1000));
  EXPECT_EQ(full_str.find("..."), std::string::npos);
  EXPECT_EQ(full_str.substr(0, 16), "array([0, 1, 2, ");
  EXPECT_EQ(full_str.substr(full_str.size() - 28), "997, 998, 999], dtype=int32)");
  // 1001 elements keep three at each edge.
  EXPECT_EQ(str(arange(1001)), "array([0, 1, 2, ..., 998, 999, 1000], dtype=int32)");
  EXPECT_EQ(str(arange(1001.0)), "array([0, 1, 2, ..., 998, 999, 1000], dtype=float32)");
  // Each axis longer than 6 is summarised; the others print in full.
  EXPECT_EQ(str(reshape(arange(2000), {2, 1000})), "array([[" + summarised_run(0, 999) +
                                                       "],\n       [" + summarised_run(1000, 1999) +
                                                       "]], dtype=int32)");
  EXPECT_EQ(str(reshape(arange(2000), {1000, 2})),
            "array([[0, 1],\n"
            "       [2, 3],\n"
            "       [4, 5],\n"
            "       ...,\n"
            "       [1994, 1995],\n"
            "       [1996, 1997],\n"
            "       [1998, 1999]], dtype=int32)");
  // 3-D: the "..." between blocks is followed by a blank line like the blocks themselves.
  auto block = [](int b) {
    return "[[" + summarised_run(200 * b, 200 * b + 99) + "],\n        [" +
           summarised_run(200 * b + 100, 200 * b + 199) + "]]";
  };
  std::string sep = ",\n\n       ";
  EXPECT_EQ(str(reshape(arange(1600), {8, 2, 100})),
            "array([" + block(0) + sep + block(1) + sep + block(2) + sep + "..." + sep + block(5) +
                sep + block(6) + sep + block(7) + "], dtype=int32)");
  // A small axis of a large array is not summarised.
  EXPECT_EQ(str(reshape(arange(1005), {5, 201})).substr(0, 37),
            "array([[0, 1, 2, ..., 198, 199, 200],");
  // Summarising a strided view prints its logical values.
  EXPECT_EQ(str(slice(arange(3000), {2999}, {-3001}, {-2})),
            "array([2999, 2997, 2995, ..., 5, 3, 1], dtype=int32)");
}

TEST(PrintArray, Precision) {
  PrintOptionsGuard guard;
  EXPECT_EQ(get_global_formatter().options.precision, -1);
  set_printoptions(PrintOptions{2});
  EXPECT_EQ(get_global_formatter().options.precision, 2);
  // A fixed number of digits after the point for inexact dtypes.
  EXPECT_EQ(str(array({0.5f, 1.0f, 1.0f / 3.0f})), "array([0.50, 1.00, 0.33], dtype=float32)");
  EXPECT_EQ(str(array(2.0f / 3.0f, float64)), "array(0.67, dtype=float64)");
  EXPECT_EQ(str(array({0.1f}, float16)), "array([0.10], dtype=float16)");
  EXPECT_EQ(str(array({1.5f}, bfloat16)), "array([1.50], dtype=bfloat16)");
  EXPECT_EQ(str(array(complex64_t(1, -2))), "array(1.00-2.00j, dtype=complex64)");
  // Integers and bools are unaffected.
  EXPECT_EQ(str(array({1, 2})), "array([1, 2], dtype=int32)");
  EXPECT_EQ(str(array(true)), "array(true, dtype=bool)");
  set_printoptions(PrintOptions{0});
  EXPECT_EQ(str(array({1.5f, 2.25f})), "array([2, 2], dtype=float32)");
  // Printing does not leave its formatting on the stream.
  set_printoptions(PrintOptions{3});
  std::ostringstream os;
  os << array(0.5f) << " " << 0.125;
  EXPECT_EQ(os.str(), "array(0.500, dtype=float32) 0.125");
  // Back to the default.
  set_printoptions(PrintOptions{});
  EXPECT_EQ(str(array({1.0f / 3.0f, 1.0f})), "array([0.333333, 1], dtype=float32)");
}

TEST(PrintArray, PrintsIntoAStreamInsideOtherText) {
  std::ostringstream os;
  os << "x = " << array({1, 2}) << "; y = " << array(3.5f);
  EXPECT_EQ(os.str(), "x = array([1, 2], dtype=int32); y = array(3.5, dtype=float32)");
}

TEST(PrintOther, Dtypes) {
  EXPECT_EQ(str(bool_), "bool");
  EXPECT_EQ(str(uint8), "uint8");
  EXPECT_EQ(str(uint16), "uint16");
  EXPECT_EQ(str(uint32), "uint32");
  EXPECT_EQ(str(uint64), "uint64");
  EXPECT_EQ(str(int8), "int8");
  EXPECT_EQ(str(int16), "int16");
  EXPECT_EQ(str(int32), "int32");
  EXPECT_EQ(str(int64), "int64");
  EXPECT_EQ(str(float16), "float16");
  EXPECT_EQ(str(float32), "float32");
  EXPECT_EQ(str(float64), "float64");
  EXPECT_EQ(str(bfloat16), "bfloat16");
  EXPECT_EQ(str(complex64), "complex64");
  EXPECT_EQ(str(kindof(float32)), "f");
  EXPECT_EQ(str(kindof(bfloat16)), "V");
  EXPECT_EQ(str(kindof(uint8)), "u");
}

TEST(PrintOther, DeviceAndStream) {
  EXPECT_EQ(str(Device(Device::cpu)), "Device(cpu, 0)");
  EXPECT_EQ(str(Device(Device::cpu, 0)), "Device(cpu, 0)");
  EXPECT_EQ(str(Device(Device::gpu, 1)), "Device(gpu, 1)");
  EXPECT_EQ(str(Stream(3, Device(Device::cpu))), "Stream(Device(cpu, 0), 3)");
  EXPECT_EQ(str(Stream(0, Device(Device::gpu, 2))), "Stream(Device(gpu, 2), 0)");
}

TEST(PrintOther, ScalarsAndShapes) {
  EXPECT_EQ(str(complex64_t(1, 2)), "1+2j");
  EXPECT_EQ(str(complex64_t(1, -2)), "1-2j");
  EXPECT_EQ(str(complex64_t(-0.5f, 0)), "-0.5+0j");
  EXPECT_EQ(str(float16_t(0.5f)), "0.5");
  EXPECT_EQ(str(bfloat16_t(3.14159f)), "3.14062");
  EXPECT_EQ(str(Shape{2, 3}), "(2,3)");
  EXPECT_EQ(str(Shape{}), "()");
  EXPECT_EQ(str(Strides{12, 4, 1}), "(12,4,1)");
}
