// A user-defined primitive written as MLX's custom-extension guide writes `axpby`.
#include <gtest/gtest.h>

#include <sstream>

#include "mlx/backend/common/utils.h"
#include "mlx/backend/cpu/encoder.h"
#include "mlx/mlx.h"

namespace mx = mlx::core;

namespace {

class Axpby : public mx::Primitive {
 public:
  explicit Axpby(mx::Stream stream, float alpha, float beta)
      : mx::Primitive(stream), alpha_(alpha), beta_(beta) {}

  void eval_cpu(const std::vector<mx::array>& inputs, std::vector<mx::array>& outputs) override;
  void eval_gpu(const std::vector<mx::array>& inputs, std::vector<mx::array>& outputs) override {
    throw std::runtime_error("Axpby has no GPU implementation.");
  }

  std::vector<mx::array> jvp(const std::vector<mx::array>& primals,
                             const std::vector<mx::array>& tangents,
                             const std::vector<int>& argnums) override {
    // Tangents are scaled by alpha or beta depending on the input they belong to.
    auto scale = [&](int argnum) { return argnum == 0 ? alpha_ : beta_; };
    auto out = mx::multiply(mx::array(scale(argnums[0])), tangents[0], stream());
    for (size_t i = 1; i < argnums.size(); ++i) {
      out =
          mx::add(out, mx::multiply(mx::array(scale(argnums[i])), tangents[i], stream()), stream());
    }
    return {out};
  }

  std::vector<mx::array> vjp(const std::vector<mx::array>& primals,
                             const std::vector<mx::array>& cotangents,
                             const std::vector<int>& argnums,
                             const std::vector<mx::array>& outputs) override {
    std::vector<mx::array> vjps;
    for (auto arg : argnums) {
      auto scale = arg == 0 ? alpha_ : beta_;
      vjps.push_back(
          mx::multiply(mx::array(scale, cotangents[0].dtype()), cotangents[0], stream()));
    }
    return vjps;
  }

  std::pair<std::vector<mx::array>, std::vector<int>> vmap(const std::vector<mx::array>& inputs,
                                                           const std::vector<int>& axes) override {
    // Both inputs are batched along the same axis here, so the op applies unchanged.
    return {{mx::array(inputs[0].shape(), inputs[0].dtype(),
                       std::make_shared<Axpby>(stream(), alpha_, beta_), inputs)},
            {axes[0]}};
  }

  const char* name() const override { return "Axpby"; }

  bool is_equivalent(const mx::Primitive& other) const override {
    auto* o = dynamic_cast<const Axpby*>(&other);
    return o && alpha_ == o->alpha_ && beta_ == o->beta_;
  }

 private:
  float alpha_;
  float beta_;
};

template <typename T>
void axpby_impl(const mx::array& x, const mx::array& y, mx::array& out, float alpha_, float beta_,
                mx::Stream stream) {
  out.set_data(mx::allocator::malloc(out.nbytes()));
  auto& encoder = mx::cpu::get_command_encoder(stream);
  encoder.set_input_array(x);
  encoder.set_input_array(y);
  encoder.set_output_array(out);
  encoder.dispatch([x_ptr = x.data<T>(), y_ptr = y.data<T>(), out_ptr = out.data<T>(),
                    size = out.size(), shape = out.shape(), x_strides = x.strides(),
                    y_strides = y.strides(), alpha_, beta_]() {
    T alpha = static_cast<T>(alpha_);
    T beta = static_cast<T>(beta_);
    for (size_t out_idx = 0; out_idx < size; out_idx++) {
      auto x_offset = mx::elem_to_loc(out_idx, shape, x_strides);
      auto y_offset = mx::elem_to_loc(out_idx, shape, y_strides);
      out_ptr[out_idx] = alpha * x_ptr[x_offset] + beta * y_ptr[y_offset];
    }
  });
}

void Axpby::eval_cpu(const std::vector<mx::array>& inputs, std::vector<mx::array>& outputs) {
  auto& x = inputs[0];
  auto& y = inputs[1];
  auto& out = outputs[0];
  if (out.dtype() == mx::float32) {
    return axpby_impl<float>(x, y, out, alpha_, beta_, stream());
  } else if (out.dtype() == mx::float64) {
    return axpby_impl<double>(x, y, out, alpha_, beta_, stream());
  }
  throw std::runtime_error("Axpby is only supported for floating point types.");
}

mx::array axpby(const mx::array& x, const mx::array& y, const float alpha, const float beta,
                mx::StreamOrDevice s = {}) {
  auto promoted_dtype = mx::promote_types(x.dtype(), y.dtype());
  auto out_dtype = mx::issubdtype(promoted_dtype, mx::float32)
                       ? promoted_dtype
                       : mx::promote_types(promoted_dtype, mx::float32);
  auto x_casted = mx::astype(x, out_dtype, s);
  auto y_casted = mx::astype(y, out_dtype, s);
  auto broadcasted_inputs = mx::broadcast_arrays({x_casted, y_casted}, s);
  auto out_shape = broadcasted_inputs[0].shape();
  return mx::array(out_shape, out_dtype, std::make_shared<Axpby>(mx::to_stream(s), alpha, beta),
                   broadcasted_inputs);
}

}  // namespace

TEST(Extension, AxpbyComputesWithBroadcastingAndPromotion) {
  auto x = mx::reshape(mx::arange(6.0), {2, 3});
  auto y = mx::ones({3}, mx::int32);
  auto z = axpby(x, y, 4.0f, 2.0f);
  EXPECT_EQ(z.dtype(), mx::float32);
  EXPECT_EQ(z.shape(), (mx::Shape{2, 3}));
  mx::eval(z);
  std::vector<float> expected{2, 6, 10, 14, 18, 22};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(z.data<float>()[i], expected[i]);
  }
  // In a larger graph, on another stream.
  auto s = mx::new_stream(mx::Device::cpu);
  auto w = axpby(z, z, 0.5f, 0.5f, s) + mx::array(1.0f);
  mx::eval(w);
  EXPECT_EQ(w.data<float>()[5], 23.0f);
}

TEST(Extension, AxpbyFloat64AndErrorsAtRunTime) {
  auto x = mx::array({1.0, 2.0}, mx::float64);
  auto z = axpby(x, x, 1.0f, 1.0f);
  EXPECT_EQ(z.dtype(), mx::float64);
  mx::eval(z);
  EXPECT_EQ(z.data<double>()[1], 4.0);
  auto c = axpby(mx::array({1.0f}), mx::array(mx::complex64_t(1.0f, 1.0f)), 1.0f, 1.0f);
  EXPECT_EQ(c.dtype(), mx::complex64);
  EXPECT_THROW(mx::eval(c), std::runtime_error);
}

TEST(Extension, AxpbyDerivativeRulesAndEquivalence) {
  auto x = mx::array({1.0f, 2.0f});
  auto y = mx::array({3.0f, 4.0f});
  auto z = axpby(x, y, 3.0f, 5.0f);
  auto& p = z.primitive();
  EXPECT_STREQ(p.name(), "Axpby");
  auto ct = mx::ones({2});
  auto vjps = p.vjp({x, y}, {ct}, {0, 1}, {z});
  ASSERT_EQ(vjps.size(), 2u);
  mx::eval(vjps);
  EXPECT_EQ(vjps[0].data<float>()[1], 3.0f);
  EXPECT_EQ(vjps[1].data<float>()[1], 5.0f);
  auto jvps = p.jvp({x, y}, {ct, ct}, {0, 1});
  mx::eval(jvps);
  EXPECT_EQ(jvps[0].data<float>()[0], 8.0f);
  auto [outs, axes] = p.vmap({x, y}, {0, 0});
  EXPECT_EQ(axes[0], 0);
  mx::eval(outs);
  EXPECT_EQ(outs[0].data<float>()[0], 18.0f);

  auto same = axpby(x, y, 3.0f, 5.0f);
  auto other = axpby(x, y, 3.0f, 4.0f);
  EXPECT_TRUE(p.is_equivalent(same.primitive()));
  EXPECT_FALSE(p.is_equivalent(other.primitive()));
  std::ostringstream os;
  os << p;
  EXPECT_EQ(os.str(), "Axpby");
}

TEST(Extension, BuiltInPrimitivesCompareAndHashByParameters) {
  auto x = mx::ones({2, 3});
  auto a = mx::reshape(x, {3, 2});
  auto b = mx::reshape(x, {3, 2});
  auto c = mx::reshape(x, {6});
  EXPECT_TRUE(a.primitive().is_equivalent(b.primitive()));
  EXPECT_FALSE(a.primitive().is_equivalent(c.primitive()));
  EXPECT_EQ(a.primitive().hash(), b.primitive().hash());
  EXPECT_NE(a.primitive().hash(), c.primitive().hash());
  auto s = x + x;
  auto m = x * x;
  EXPECT_FALSE(s.primitive().is_equivalent(m.primitive()));
  std::ostringstream os;
  os << a.primitive() << " " << s.primitive();
  EXPECT_EQ(os.str(), "Reshape((3,2)) Add");
}

TEST(Extension, DefaultRulesThrowClearly) {
  // Arange has no inputs, so nothing can differentiate through it.
  auto y = mx::arange(3.0);
  try {
    y.primitive().vjp({}, {y}, {0}, {y});
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "[Arange] The vector-Jacobian product is not implemented.");
  }
}
