// mlx::nn activation functions: values against PyTorch (torch 1.13, float64) literals, dtypes,
// errors and derivatives.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "check.h"
#include "helpers.h"
#include "mlx/nn/activations.h"
#include "nn_helpers.h"

namespace {

using namespace mlx::core;
namespace nn = mlx::nn;

const std::vector<float> kX = {-3, -1.5, -0.5, 0, 0.25, 1, 2.5, 4};

array x8(Dtype dtype = float32) { return astype(array(kX.data(), {8}, float32), dtype); }

// (shape, dtype, expected[, tol]) in the order these tests read best.
void expect_near(const array& a, const Shape& shape, Dtype dtype,
                 const std::vector<double>& expected, double tol = 2e-6) {
  nn_test::expect_near(a, shape, expected, tol, dtype);
}

struct Case {
  const char* name;
  std::function<array(const array&)> f;
  std::vector<double> expected;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"sigmoid",
       [](auto& x) { return nn::sigmoid(x); },
       {0.04742587317756678, 0.18242552380635635, 0.3775406687981454, 0.5, 0.5621765008857981,
        0.7310585786300049, 0.9241418199787566, 0.9820137900379085}},
      {"tanh",
       [](auto& x) { return nn::tanh(x); },
       {-0.9950547536867305, -0.9051482536448664, -0.46211715726000974, 0.0, 0.24491866240370913,
        0.7615941559557649, 0.9866142981514303, 0.999329299739067}},
      {"relu", [](auto& x) { return nn::relu(x); }, {0, 0, 0, 0, 0.25, 1, 2.5, 4}},
      {"leaky_relu",
       [](auto& x) { return nn::leaky_relu(x); },
       {-0.03, -0.015, -0.005, 0.0, 0.25, 1.0, 2.5, 4.0}},
      {"leaky_relu(0.2)",
       [](auto& x) { return nn::leaky_relu(x, 0.2f); },
       {-0.6, -0.3, -0.1, 0.0, 0.25, 1.0, 2.5, 4.0}},
      {"elu",
       [](auto& x) { return nn::elu(x); },
       {-0.950212931632136, -0.7768698398515702, -0.3934693402873666, 0.0, 0.25, 1.0, 2.5, 4.0}},
      {"elu(0.5)",
       [](auto& x) { return nn::elu(x, 0.5f); },
       {-0.475106465816068, -0.3884349199257851, -0.1967346701436833, 0.0, 0.25, 1.0, 2.5, 4.0}},
      {"relu6", [](auto& x) { return nn::relu6(x + x); }, {0, 0, 0, 0, 0.5, 2, 5, 6}},
      {"relu_squared",
       [](auto& x) { return nn::relu_squared(x); },
       {0.0, 0.0, 0.0, 0.0, 0.0625, 1.0, 6.25, 16.0}},
      {"softplus",
       [](auto& x) { return nn::softplus(x); },
       {0.04858735157374206, 0.2014132779827524, 0.4740769841801067, 0.6931471805599453,
        0.8259394198788436, 1.3132616875182228, 2.5788897342925496, 4.0181499279178094}},
      {"softsign",
       [](auto& x) { return nn::softsign(x); },
       {-0.75, -0.6, -0.3333333333333333, 0.0, 0.2, 0.5, 0.7142857142857143, 0.8}},
      {"softshrink",
       [](auto& x) { return nn::softshrink(x); },
       {-2.5, -1.0, 0.0, 0.0, 0.0, 0.5, 2.0, 3.5}},
      {"softshrink(1)",
       [](auto& x) { return nn::softshrink(x, 1.0f); },
       {-2.0, -0.5, 0.0, 0.0, 0.0, 0.0, 1.5, 3.0}},
      {"celu",
       [](auto& x) { return nn::celu(x); },
       {-0.950212931632136, -0.7768698398515702, -0.3934693402873666, 0.0, 0.25, 1.0, 2.5, 4.0}},
      {"celu(2)",
       [](auto& x) { return nn::celu(x, 2.0f); },
       {-1.5537396797031404, -1.0552668945179706, -0.44239843385719024, 0.0, 0.25, 1.0, 2.5, 4.0}},
      {"silu",
       [](auto& x) { return nn::silu(x); },
       {-0.14227761953270035, -0.2736382857095345, -0.1887703343990727, 0.0, 0.14054412522144952,
        0.7310585786300049, 2.3103545499468914, 3.928055160151634}},
      {"log_sigmoid",
       [](auto& x) { return nn::log_sigmoid(x); },
       {-3.048587351573742, -1.7014132779827524, -0.9740769841801067, -0.6931471805599453,
        -0.5759394198788436, -0.31326168751822286, -0.07888973429254963, -0.018149927917809738}},
      {"gelu",
       [](auto& x) { return nn::gelu(x); },
       {-0.00404969409489031, -0.10021080190328704, -0.15426876936299344, 0.0, 0.14967658142073093,
        0.841344746068543, 2.4844758366855597, 3.9998733150326675}},
      {"gelu_approx",
       [](auto& x) { return nn::gelu_approx(x); },
       {-0.0036373920817729943, -0.10042842301976707, -0.15428599017485606, 0.0, 0.149675350701685,
        0.8411919906082768, 2.484915733910001, 3.9999297540518075}},
      {"gelu_fast_approx",
       [](auto& x) { return nn::gelu_fast_approx(x); },
       {-0.01807130970778597, -0.10833780155292341, -0.1496115633936199, 0.0, 0.1511996499001942,
        0.8457957659328212, 2.46501383495143, 3.9955852758604187}},
      {"selu",
       [](auto& x) { return nn::selu(x); },
       {-1.6705639217849153, -1.365810423301301, -0.6917561973015314, 0.0, 0.262675, 1.0507,
        2.62675, 4.2028}},
      {"mish",
       [](auto& x) { return nn::mish(x); },
       {-0.1456474612756246, -0.2980997421668068, -0.22074377465173, 0.0, 0.1695724096638176,
        0.8650983882673103, 2.471392304557881, 3.9974128069762385}},
      {"hard_swish",
       [](auto& x) { return nn::hard_swish(x); },
       {0.0, -0.375, -0.20833333333333334, 0.0, 0.13541666666666666, 0.6666666666666666,
        2.2916666666666665, 4.0}},
      {"hard_tanh",
       [](auto& x) { return nn::hard_tanh(x); },
       {-1.0, -1.0, -0.5, 0.0, 0.25, 1.0, 1.0, 1.0}},
      {"hard_tanh(-2, 0.5)",
       [](auto& x) { return nn::hard_tanh(x, -2.0f, 0.5f); },
       {-2.0, -1.5, -0.5, 0.0, 0.25, 0.5, 0.5, 0.5}},
      {"hard_shrink",
       [](auto& x) { return nn::hard_shrink(x); },
       {-3.0, -1.5, 0.0, 0.0, 0.0, 1.0, 2.5, 4.0}},
      {"prelu",
       [](auto& x) { return nn::prelu(x, astype(array({0.25f}), x.dtype())); },
       {-0.75, -0.375, -0.125, 0.0, 0.25, 1.0, 2.5, 4.0}},
  };
  return all;
}

TEST(NnActivations, ValuesMatchTorch) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    expect_near(c.f(x8()), {8}, float32, c.expected);
  }
}

TEST(NnActivations, HalfInputsStayHalf) {
  for (auto dtype : {float16, bfloat16}) {
    for (const auto& c : cases()) {
      SCOPED_TRACE(std::string(c.name) + " " + dtype_to_string(dtype));
      // The inputs are exact in both half types; the results are rounded to 8 (bfloat16) or 11
      // (float16) bits.
      expect_near(c.f(x8(dtype)), {8}, dtype, c.expected, dtype == float16 ? 2e-3 : 1.6e-2);
    }
  }
}

TEST(NnActivations, Float64InputsStayFloat64) {
  // The float parameters (0.01f, selu's 1.67326f) round to float32; the rest is float64 math.
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    expect_near(c.f(x8(float64)), {8}, float64, c.expected, 5e-8);
  }
}

TEST(NnActivations, IntegerInputs) {
  auto x = array({-2, 0, 3, 7});
  expect_array<int32_t>(nn::relu(x), {4}, int32, {0, 0, 3, 7});
  expect_array<int16_t>(nn::relu(astype(x, int16)), {4}, int16, {0, 0, 3, 7});
  // As MLX Python: a float constant meets an integer array in float32.
  expect_array<float>(nn::relu6(x), {4}, float32, {0, 0, 3, 6});
  expect_array<float>(nn::hard_tanh(x), {4}, float32, {-1, 0, 1, 1});
  expect_near(nn::sigmoid(x), {4}, float32,
              {0.11920292202211755, 0.5, 0.9525741268224334, 0.9990889488055994});
}

TEST(NnActivations, Step) {
  expect_array<int32_t>(nn::step(x8()), {8}, int32, {0, 0, 0, 0, 1, 1, 1, 1});
  expect_array<int32_t>(nn::step(x8(), 1.0f), {8}, int32, {0, 0, 0, 0, 0, 0, 1, 1});
  expect_array<int32_t>(nn::step(x8(float16), -1.0f), {8}, int32, {0, 0, 1, 1, 1, 1, 1, 1});
}

TEST(NnActivations, AxisActivations) {
  auto m = reshape(x8(), {2, 4});
  expect_near(nn::softmax(m, -1), {2, 4}, float32,
              {0.02649026274135226, 0.1187211209983021, 0.32271746586397215, 0.5320711503963734,
               0.018140320433267958, 0.03840305865858751, 0.1721105682577432, 0.7713460526504012});
  expect_near(nn::softmax(m, 0), {2, 4}, float32,
              {0.037326887344129464, 0.07585818002124356, 0.04742587317756679, 0.017986209962091555,
               0.9626731126558706, 0.9241418199787566, 0.9525741268224334, 0.9820137900379085});
  expect_near(nn::log_softmax(m), {2, 4}, float32,
              {-3.6309780572365025, -2.1309780572365025, -1.1309780572365025, -0.6309780572365026,
               -4.00961816999317, -3.2596181699931703, -1.7596181699931701, -0.25961816999317017});
  expect_near(nn::softmin(m), {2, 4}, float32,
              {0.7380061670529912, 0.16467143424506275, 0.06057923520697361, 0.03674316349497249,
               0.624499025648673, 0.29499245193578616, 0.06582171304300996, 0.014686809372530803});
  expect_near(nn::glu(m), {2, 2}, float32,
              {-1.132622006394436, -0.75, 0.23103545499468914, 0.9820137900379085});
  expect_near(nn::glu(reshape(x8(), {4, 2}), 0), {2, 2}, float32,
              {-1.686529502657394, -1.0965878679450074, -0.4620709099893783, 0.0});
  // log_softmax stays finite where exp overflows.
  expect_near(nn::log_softmax(array({1000.0f, 0.0f})), {2}, float32, {0.0, -1000.0});
}

TEST(NnActivations, PreluBroadcastsPerChannel) {
  auto x = reshape(x8(), {4, 2});
  expect_near(nn::prelu(x, array({0.5f, 0.1f})), {4, 2}, float32,
              {-1.5, -0.15, -0.25, 0.0, 0.25, 1.0, 2.5, 4.0});
}

TEST(NnActivations, Errors) {
  EXPECT_EQ(error_message([] {
              nn::glu(array({1.0f, 2.0f, 3.0f}));
            }),
            "[glu] Axis -1 of an input with shape (3) must exist and have an even size.");
  EXPECT_EQ(error_message([] {
              nn::glu(zeros({2, 4}), 2);
            }),
            "[glu] Axis 2 of an input with shape (2,4) must exist and have an even size.");
}

TEST(NnActivations, Gradients) {
  // Random points in (-2, 2) avoid the kinks of the piecewise activations.
  auto x = check::uniform({3, 4}, -2, 2);
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    check::grads([&](const std::vector<array>& in) { return std::vector<array>{c.f(in[0])}; }, {x},
                 1e-6, 1e-5);
  }
  auto axis_fns = std::vector<std::function<array(const array&)>>{
      [](auto& v) { return nn::softmax(v, -1); }, [](auto& v) { return nn::log_softmax(v, 0); },
      [](auto& v) { return nn::softmin(v); }, [](auto& v) { return nn::glu(v); },
      [](auto& v) {
        return nn::prelu(v, array({0.3, -0.2, 0.1, 0.7}));
      }};
  for (const auto& f : axis_fns) {
    check::grads([&](const std::vector<array>& in) { return std::vector<array>{f(in[0])}; }, {x},
                 1e-6, 1e-5);
  }
  // The prelu slope is differentiable too.
  check::grads(
      [](const std::vector<array>& in) { return std::vector<array>{nn::prelu(in[0], in[1])}; },
      {x, check::uniform({4}, 0, 1, 3)});
}

TEST(NnActivations, CompiledActivationsVmapAndGradOfGrad) {
  auto x = check::uniform({3, 5}, -2, 2);
  for (auto f : {&nn::gelu, &nn::silu, &nn::mish, &nn::gelu_approx}) {
    check::vmaps([&](const std::vector<array>& in) { return std::vector<array>{f(in[0])}; }, {x});
  }
  // Second derivatives through a compiled activation.
  auto dsilu = [](const std::vector<array>& in) {
    return std::vector<array>{grad([](const array& v) { return sum(nn::silu(v)); })(in[0])};
  };
  check::grads(dsilu, {x}, 1e-6, 1e-5);
}

TEST(NnActivations, InsideCompiledFunctions) {
  // The compiled activations nest inside a user's compiled function.
  auto f = [](const std::vector<array>& in) {
    return std::vector<array>{nn::gelu(in[0]) + nn::silu(in[0]) * nn::mish(in[0])};
  };
  auto x = check::uniform({4, 5}, -2, 2, 9, float32);
  check::expect_same(compile(f)({x})[0], f({x})[0], 1e-6);
  auto g = compile([](const std::vector<array>& in) {
    return std::vector<array>{grad([](const array& v) { return sum(nn::gelu(v)); })(in[0])};
  });
  check::expect_same(g({x})[0], grad([](const array& v) { return sum(nn::gelu(v)); })(x), 1e-6);
}

}  // namespace
