// mlx::optimizers: each update rule against a float64 reference of MLX's formulas (3 steps on a
// tree {"b": (3), "w": (2, 2)}), dtypes, state trees and their round trips, schedules,
// MultiOptimizer routing, clip_grad_norm, errors, and the (compiled) training step.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "helpers.h"
#include "mlx/mlx.h"
#include "mlx/nn.h"
#include "mlx/optimizers.h"

using namespace mlx::core;
namespace opt = mlx::optimizers;
using opt::Parameters;

namespace {

Parameters tree(const std::vector<float>& b, const std::vector<float>& w) {
  return Parameters::unflattened(std::vector<std::pair<std::string, array>>{
      {"b", array(b.begin(), {3}, float32)}, {"w", array(w.begin(), {2, 2}, float32)}});
}

Parameters initial_params() { return tree({0.1f, -0.2f, 0.3f}, {0.5f, -1.0f, 1.5f, 2.0f}); }

// The gradients of steps 1, 2, 3 (the reference uses the same).
Parameters gradient(int step) {
  switch (step) {
    case 1:
      return tree({0.2f, -0.1f, 0.4f}, {0.3f, -0.6f, 0.1f, 0.8f});
    case 2:
      return tree({-0.3f, 0.25f, 0.1f}, {-0.2f, 0.5f, 0.7f, -0.1f});
    default:
      return tree({0.05f, -0.4f, 0.35f}, {0.4f, 0.3f, -0.5f, 0.2f});
  }
}

Parameters run(opt::Optimizer& o, Parameters params, int first = 1, int last = 3) {
  for (int t = first; t <= last; ++t) {
    params = o.apply_gradients(gradient(t), params);
  }
  return params;
}

void expect_close(const array& a, const std::vector<double>& expected, double rtol = 2e-5,
                  double atol = 1e-6) {
  ASSERT_EQ(a.size(), expected.size());
  auto got = values<float>(astype(a, float32));
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(got[i], expected[i], atol + rtol * std::abs(expected[i])) << "at " << i;
  }
}

void expect_tree(const Parameters& p, const std::vector<double>& b, const std::vector<double>& w,
                 double rtol = 2e-5, double atol = 1e-6) {
  expect_close(p.at("b").value(), b, rtol, atol);
  expect_close(p.at("w").value(), w, rtol, atol);
}

std::vector<std::string> keys(const Parameters& p) {
  std::vector<std::string> out;
  for (auto& [k, v] : p.flattened()) {
    out.push_back(k);
  }
  return out;
}

void expect_identical(const Parameters& a, const Parameters& b) {
  auto fa = a.flattened(), fb = b.flattened();
  ASSERT_EQ(fa.size(), fb.size());
  for (size_t i = 0; i < fa.size(); ++i) {
    EXPECT_EQ(fa[i].first, fb[i].first);
    EXPECT_TRUE(array_equal(fa[i].second, fb[i].second).item<bool>()) << fa[i].first;
  }
}

// y = x w^T + b with w (2, 2), b (2).
class Affine : public mlx::nn::Module {
 public:
  Affine() : weight(array({0.5f, -0.25f, 0.75f, 1.0f}, {2, 2})), bias(array({0.1f, -0.1f})) {
    register_parameter("weight", weight);
    register_parameter("bias", bias);
  }
  array operator()(const array& x) const { return matmul(x, transpose(weight)) + bias; }
  array weight, bias;
};

array batch_x() { return array({1.0f, 2.0f, -1.0f, 0.5f, 0.0f, -2.0f}, {3, 2}); }
array batch_y() { return array({0.5f, -1.0f, 1.0f, 0.0f, 2.0f, 1.5f}, {3, 2}); }

struct RuleCase {
  std::string name;
  std::function<std::shared_ptr<opt::Optimizer>()> make;
  std::vector<double> b, w;
};

}  // namespace

// Reference values: a float64 Python transcription of MLX's update rules, 3 steps, lr 0.1.
TEST(OptimRules, ThreeStepsAgainstReference) {
  std::vector<RuleCase> cases = {
      {"SGD",
       [] { return std::make_shared<opt::SGD>(0.1f); },
       {0.105, -0.175, 0.215},
       {0.45, -1.02, 1.47, 1.91}},
      {"SGD momentum, weight decay, dampening",
       [] { return std::make_shared<opt::SGD>(0.1f, 0.9f, 0.1f, 0.2f); },
       {0.0940760448, -0.175488026, 0.157742758},
       {0.411673408, -0.926482816, 1.34575072, 1.73849088}},
      {"SGD Nesterov",
       [] { return std::make_shared<opt::SGD>(0.1f, 0.9f, 0.0f, 0.0f, true); },
       {0.10302, -0.15736, 0.06884},
       {0.37503, -0.98616, 1.37091, 1.71398}},
      {"RMSprop",
       [] { return std::make_shared<opt::RMSprop>(0.1f); },
       {-0.204914562, 0.701916783, -1.59449866},
       {-0.688972616, -1.00315157, 0.089275509, 0.881607082}},
      {"AdaGrad",
       [] { return std::make_shared<opt::AdaGrad>(0.1f); },
       {0.0694689761, -0.109891542, 0.111031419},
       {0.381191888, -0.999875299, 1.35874009, 1.8883263}},
      {"AdaDelta",
       [] { return std::make_shared<opt::AdaDelta>(0.1f); },
       {0.0999770139, -0.199591989, 0.299261236},
       {0.499550548, -1.00018167, 1.49961251, 1.99962543}},
      {"Adam",
       [] { return std::make_shared<opt::Adam>(0.1f); },
       {-0.0605447168, 0.0962246511, -0.81616399},
       {-0.149628649, -0.767423864, 0.753398632, 1.15163309}},
      {"Adam bias correction",
       [] {
         return std::make_shared<opt::Adam>(0.1f, opt::Betas{0.9f, 0.999f}, 1e-8f, true);
       },
       {0.034955464, -0.110299672, 0.0266481905},
       {0.330603877, -0.91635892, 1.30129261, 1.78439868}},
      {"AdamW",
       [] { return std::make_shared<opt::AdamW>(0.1f); },
       {-0.0603175416, 0.0963798372, -0.816077981},
       {-0.150433596, -0.765075202, 0.74988857, 1.14651453}},
      {"AdamW bias correction, weight decay 0.1",
       [] {
         return std::make_shared<opt::AdamW>(0.1f, opt::Betas{0.9f, 0.999f}, 1e-8f, 0.1f, true);
       },
       {0.0337276621, -0.105907257, 0.020558488},
       {0.317887897, -0.888686042, 1.25956249, 1.72755922}},
      {"Adamax",
       [] { return std::make_shared<opt::Adamax>(0.1f); },
       {0.0959352689, -0.190000001, 0.259350232},
       {0.476089332, -0.993741479, 1.47569698, 1.97274826}},
      {"Lion",
       [] { return std::make_shared<opt::Lion>(0.1f); },
       {0, -0.1, 0},
       {0.4, -1.1, 1.4, 1.9}},
      {"Lion betas (0.9, 0.99), weight decay",
       [] {
         return std::make_shared<opt::Lion>(0.1f, opt::Betas{0.9f, 0.99f}, 0.5f);
       },
       {-0.0095125, -0.076225, -0.0280375},
       {0.3334375, -0.962125, 1.2008125, 1.6195}},
      {"Adafactor",
       [] { return std::make_shared<opt::Adafactor>(); },
       {0.0997714388, -0.197708813, 0.29465644},
       {0.474011903, -1.01221012, 1.48840669, 1.98293921}},
      {"Adafactor lr 0.05, beta1, weight decay, no scaling",
       [] {
         return std::make_shared<opt::Adafactor>(0.05f, std::pair{1e-30f, 1e-3f}, 1.0f, -0.8f, 0.9f,
                                                 0.1f, false, false, false);
       },
       {0.0946672037, -0.188838529, 0.272983687},
       {0.473379484, -0.986699751, 1.46321632, 1.95618524}},
      {"Muon",
       [] { return std::make_shared<opt::Muon>(0.1f); },
       {0.100039088, -0.197725612, 0.287615033},
       {0.368518923, -1.07710915, 1.38711623, 1.8121256}},
      {"Muon no Nesterov, no decay, 3 iterations",
       [] { return std::make_shared<opt::Muon>(0.1f, 0.95f, 0.0f, false, 3); },
       {0.0998225, -0.19901125, 0.29157},
       {0.27897655, -0.893480252, 1.41296142, 1.81661634}},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto o = c.make();
    auto p = run(*o, initial_params());
    // float32 hyperparameters (1 - 0.999f is 1.3e-5 off 0.001) move steps of about 0.1 by a few
    // 1e-6 from the float64 reference.
    expect_tree(p, c.b, c.w, 5e-5, 1e-5);
    EXPECT_EQ(std::dynamic_pointer_cast<opt::OptimizerBase>(o)->step().item<uint64_t>(), 3u);
  }
}

// Warm-up relative steps are 1e-6 * step: checked from zero parameters, where float32 resolves
// them (parameter scale is then eps[1] = 1e-3).
TEST(OptimRules, AdafactorWarmupFromZero) {
  opt::Adafactor o(std::nullopt, {1e-30f, 1e-3f}, 0.5f, -0.8f, std::nullopt, 0.0f, true, true,
                   true);
  auto zero = tree({0, 0, 0}, {0, 0, 0, 0});
  auto p = run(o, zero);
  expect_tree(p, {2.8317999e-10, 1.20773458e-09, -2.54051761e-09},
              {-1.94580792e-09, -1.95838053e-09, 1.05977598e-10, -1.05826625e-09}, 1e-4, 1e-15);
  EXPECT_THROW(o.learning_rate(), std::invalid_argument);
}

TEST(OptimRules, ScheduledLearningRate) {
  // Adam (bias corrected) whose rate is cosine_decay(0.1, 4) at the step before each update.
  opt::Adam o(opt::cosine_decay(0.1f, 4), {0.9f, 0.999f}, 1e-8f, true);
  expect_close(o.learning_rate(), {0.1});
  auto p = run(o, initial_params());
  expect_tree(p, {0.0262353159, -0.120784511, 0.0839580401},
              {0.360192368, -0.906831644, 1.32125261, 1.82195719});
  expect_close(o.learning_rate(), {0.05});  // the rate of the third update (step 2)
  // A lambda is a schedule too; set_learning_rate switches to a constant.
  opt::SGD s([](const array& step) { return astype(step, float32) * array(0.5f); });
  auto q = run(s, initial_params(), 1, 2);
  expect_close(q.at("b").value(), {0.1 - 0.5 * -0.3, -0.2 - 0.5 * 0.25, 0.3 - 0.5 * 0.1});
  s.set_learning_rate(0.25f);
  expect_close(s.learning_rate(), {0.25});
}

TEST(OptimRules, HalfPrecisionStaysHalf) {
  for (auto dt : {float16, bfloat16}) {
    opt::Adam o(0.1f, {0.9f, 0.999f}, 1e-8f, true);
    auto p = initial_params().map_values([dt](const array& a) { return astype(a, dt); });
    for (int t = 1; t <= 3; ++t) {
      auto g = gradient(t).map_values([dt](const array& a) { return astype(a, dt); });
      p = o.apply_gradients(g, p);
    }
    EXPECT_EQ(p.at("w").value().dtype(), dt);
    EXPECT_EQ(o.state().at("w").dictionary().at("m").value().dtype(), dt);
    expect_tree(p, {0.034955464, -0.110299672, 0.0266481905},
                {0.330603877, -0.91635892, 1.30129261, 1.78439868}, 2e-2, 2e-2);
  }
}

TEST(OptimRules, OnlyParametersWithGradientsChange) {
  opt::SGD o(0.5f);
  auto g = Parameters::unflattened(
      std::vector<std::pair<std::string, array>>{{"w", array({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2})}});
  auto out = o.apply_gradients(g, initial_params());
  EXPECT_EQ(keys(out), std::vector<std::string>{"w"});
  expect_close(out.at("w").value(), {0.0, -2.0, 0.0, 0.0});
  EXPECT_EQ(keys(o.state()), (std::vector<std::string>{"learning_rate", "step", "w.v"}));
}

TEST(OptimRules, NestedPathsAndLists) {
  auto params = Parameters::unflattened(std::vector<std::pair<std::string, array>>{
      {"layers.0.weight", array({1.0f, 2.0f})}, {"layers.1.weight", array({3.0f})}});
  auto grads = params.map_values([](const array& a) { return ones_like(a); });
  opt::Adam o(0.1f);
  auto out = o.apply_gradients(grads, params);
  EXPECT_EQ(keys(out), (std::vector<std::string>{"layers.0.weight", "layers.1.weight"}));
  EXPECT_TRUE(out.at("layers").is_list());
  // First Adam step without bias correction: m = 0.1 g, v = 0.001 g^2: the step is lr * 0.1 /
  // sqrt(0.001) = lr * 3.16227766.
  expect_close(out.at("layers").list()[0].dictionary().at("weight").value(),
               {1 - 0.316227766, 2 - 0.316227766});
  EXPECT_EQ(keys(o.state()),
            (std::vector<std::string>{"layers.0.weight.m", "layers.0.weight.v", "layers.1.weight.m",
                                      "layers.1.weight.v", "learning_rate", "step"}));
}

TEST(OptimState, AdafactorFactoredShapes) {
  auto params = Parameters::unflattened(std::vector<std::pair<std::string, array>>{
      {"b", zeros({5})}, {"m", zeros({2, 3})}, {"t", zeros({4, 2, 3})}});
  opt::Adafactor o(std::nullopt, {1e-30f, 1e-3f}, 1.0f, -0.8f, 0.9f);
  o.init(params);
  std::vector<std::pair<std::string, Shape>> expected = {
      {"b.exp_avg", {5}},        {"b.exp_avg_sq", {5}},        {"m.exp_avg", {2, 3}},
      {"m.exp_avg_sq_col", {3}}, {"m.exp_avg_sq_row", {2}},    {"step", {}},
      {"t.exp_avg", {4, 2, 3}},  {"t.exp_avg_sq_col", {4, 3}}, {"t.exp_avg_sq_row", {4, 2}}};
  auto flat = o.state().flattened();
  ASSERT_EQ(flat.size(), expected.size());
  for (size_t i = 0; i < flat.size(); ++i) {
    EXPECT_EQ(flat[i].first, expected[i].first);
    EXPECT_EQ(flat[i].second.shape(), expected[i].second) << flat[i].first;
  }
  // A 3-d parameter's update is finite and keeps its shape (each matrix factored on its own).
  auto g = params.map_values([](const array& a) {
    return reshape(astype(arange(static_cast<int>(a.size())), float32), a.shape()) * array(0.01f) +
           array(0.1f);
  });
  auto out = o.apply_gradients(g, params);
  EXPECT_EQ(out.at("t").value().shape(), (Shape{4, 2, 3}));
  EXPECT_TRUE(all(isfinite(out.at("t").value())).item<bool>());
}

TEST(OptimState, RoundTripResumesExactly) {
  std::vector<std::function<std::shared_ptr<opt::Optimizer>()>> makers = {
      [] { return std::make_shared<opt::SGD>(0.1f, 0.9f); },
      [] { return std::make_shared<opt::Adam>(opt::exponential_decay(0.1f, 0.5f)); },
      [] { return std::make_shared<opt::Adafactor>(); },
      [] { return std::make_shared<opt::Muon>(0.05f); },
  };
  for (auto& make : makers) {
    auto a = make();
    auto p = run(*a, initial_params(), 1, 2);
    eval(p.flattened_values());
    // Through a flat {key: array} map, as a safetensors file stores it.
    auto flat = a->state().flattened();
    std::vector<std::pair<std::string, array>> copied;
    for (auto& [k, v] : flat) {
      copied.emplace_back(k, copy(v));
    }
    auto b = make();
    b->set_state(opt::OptimizerState::unflattened(copied));
    auto pa = run(*a, p, 3, 3);
    auto pb = run(*b, p, 3, 3);
    expect_identical(pa, pb);
    expect_identical(a->state(), b->state());
  }
}

TEST(OptimState, InnerStateRoundTrip) {
  opt::Adam a(0.1f), b(0.1f);
  auto p = run(a, initial_params(), 1, 1);
  b.init(initial_params());
  auto inner = a.inner_state();
  EXPECT_EQ(inner.size(), 6u);  // step, learning_rate, b.m, b.v, w.m, w.v
  b.set_inner_state(inner);
  expect_identical(run(a, p, 2, 2), run(b, p, 2, 2));
  EXPECT_INVALID(b.set_inner_state({array(1)}),
                 "[Optimizer::set_inner_state] Expected 6 arrays but got 1.");
}

TEST(OptimState, SetStateErrors) {
  opt::Adam a(0.1f);
  auto only = [](std::vector<std::pair<std::string, array>> kv) {
    return opt::OptimizerState::unflattened(kv);
  };
  EXPECT_INVALID(a.set_state(only({{"learning_rate", array(0.1f)}})),
                 "[Optimizer::set_state] The state has no 'step'.");
  EXPECT_INVALID(a.set_state(only({{"step", array(1)}})),
                 "[Optimizer::set_state] The state has no 'learning_rate'.");
  EXPECT_INVALID(a.set_state(only({{"step", array(1)}, {"oops", array(1)}})),
                 "[Optimizer::set_state] Unexpected key 'oops': expected 'step', "
                 "'learning_rate' or '<parameter path>.<state name>'.");
  opt::Adafactor f;
  EXPECT_INVALID(f.set_state(only({{"step", array(1)}, {"learning_rate", array(0.1f)}})),
                 "[Optimizer::set_state] Unexpected key 'learning_rate': this optimizer has no "
                 "learning rate.");
}

TEST(OptimSchedules, Values) {
  auto at = [](const opt::Schedule& s, int step) {
    auto v = s(array(static_cast<uint64_t>(step)));
    EXPECT_EQ(v.dtype(), float32);
    EXPECT_EQ(v.ndim(), 0u);
    return static_cast<double>(v.item<float>());
  };
  auto e = opt::exponential_decay(0.1f, 0.9f);
  EXPECT_NEAR(at(e, 0), 0.1, 1e-7);
  EXPECT_NEAR(at(e, 1), 0.09, 1e-7);
  EXPECT_NEAR(at(e, 5), 0.059049, 1e-7);
  auto sd = opt::step_decay(0.1f, 0.9f, 10);
  EXPECT_NEAR(at(sd, 0), 0.1, 1e-7);
  EXPECT_NEAR(at(sd, 9), 0.1, 1e-7);
  EXPECT_NEAR(at(sd, 10), 0.09, 1e-7);
  EXPECT_NEAR(at(sd, 21), 0.081, 1e-7);
  auto c = opt::cosine_decay(0.1f, 10, 0.01f);
  EXPECT_NEAR(at(c, 0), 0.1, 1e-7);
  EXPECT_NEAR(at(c, 2), 0.0914057647, 1e-7);
  EXPECT_NEAR(at(c, 5), 0.055, 1e-7);
  EXPECT_NEAR(at(c, 10), 0.01, 1e-7);
  EXPECT_NEAR(at(c, 20), 0.01, 1e-7);
  auto l = opt::linear_schedule(0.0f, 0.1f, 10);
  EXPECT_NEAR(at(l, 0), 0.0, 1e-7);
  EXPECT_NEAR(at(l, 3), 0.03, 1e-7);
  EXPECT_NEAR(at(l, 10), 0.1, 1e-7);
  EXPECT_NEAR(at(l, 15), 0.1, 1e-7);
  // Linear warm-up for 10 steps, then a cosine decay over 10 steps counted from the boundary.
  auto j = opt::join_schedules({opt::linear_schedule(0.0f, 0.1f, 10), opt::cosine_decay(0.1f, 10)},
                               {10});
  EXPECT_NEAR(at(j, 5), 0.05, 1e-7);
  EXPECT_NEAR(at(j, 10), 0.1, 1e-7);
  EXPECT_NEAR(at(j, 13), 0.0793892626, 1e-7);
  EXPECT_NEAR(at(j, 15), 0.05, 1e-7);
  EXPECT_NEAR(at(j, 25), 0.0, 1e-7);
  // Any numeric step dtype.
  EXPECT_NEAR(e(array(2)).item<float>(), 0.081, 1e-7);
}

TEST(OptimSchedules, Errors) {
  EXPECT_INVALID(opt::step_decay(0.1f, 0.9f, 0),
                 "[step_decay] step_size must be positive but got 0.");
  EXPECT_INVALID(opt::cosine_decay(0.1f, -3),
                 "[cosine_decay] decay_steps must be positive but got -3.");
  EXPECT_INVALID(opt::linear_schedule(0.0f, 1.0f, 0),
                 "[linear_schedule] steps must be at least 1 but got 0.");
  EXPECT_INVALID(opt::join_schedules({opt::exponential_decay(0.1f, 0.9f)}, {5}),
                 "[join_schedules] Expected one boundary fewer than schedules but got 1 "
                 "schedules and 1 boundaries.");
}

TEST(OptimMulti, RoutesByFilter) {
  auto sgd = std::make_shared<opt::SGD>(0.1f);
  auto adam = std::make_shared<opt::Adam>(0.1f);
  opt::MultiOptimizer m({sgd, adam},
                        {[](const std::string& path, const array&) { return path == "w"; }});
  auto p = run(m, initial_params());
  // Each part follows its own optimizer's reference.
  expect_close(p.at("w").value(), {0.45, -1.02, 1.47, 1.91});
  expect_close(p.at("b").value(), {-0.0605447168, 0.0962246511, -0.81616399});
  EXPECT_EQ(keys(m.state()),
            (std::vector<std::string>{"states.0.learning_rate", "states.0.step", "states.0.w.v",
                                      "states.1.b.m", "states.1.b.v", "states.1.learning_rate",
                                      "states.1.step"}));
  EXPECT_EQ(sgd->step().item<uint64_t>(), 3u);
  // Round trip of the combined state.
  auto sgd2 = std::make_shared<opt::SGD>(0.1f);
  auto adam2 = std::make_shared<opt::Adam>(0.1f);
  opt::MultiOptimizer m2({sgd2, adam2},
                         {[](const std::string& path, const array&) { return path == "w"; }});
  m2.set_state(m.state());
  expect_identical(m.state(), m2.state());
  EXPECT_EQ(m2.inner_state().size(), m.inner_state().size());
  expect_identical(run(m, p, 1, 1), run(m2, p, 1, 1));
  // The filter sees the gradient too: route by rank.
  auto s3 = std::make_shared<opt::SGD>(1.0f);
  auto s4 = std::make_shared<opt::SGD>(0.0f);
  opt::MultiOptimizer by_rank({s3, s4},
                              {[](const std::string&, const array& g) { return g.ndim() == 1; }});
  auto q = by_rank.apply_gradients(gradient(1), initial_params());
  expect_close(q.at("b").value(), {-0.1, -0.1, -0.1});
  expect_close(q.at("w").value(), {0.5, -1.0, 1.5, 2.0});
}

TEST(OptimMulti, Errors) {
  auto sgd = std::make_shared<opt::SGD>(0.1f);
  EXPECT_INVALID(opt::MultiOptimizer({sgd, sgd}, {}),
                 "[MultiOptimizer] Expected one filter fewer than optimizers but got 2 "
                 "optimizers and 0 filters.");
  EXPECT_INVALID(
      opt::MultiOptimizer({sgd, nullptr}, {[](const std::string&, const array&) { return true; }}),
      "[MultiOptimizer] An optimizer is null.");
  opt::MultiOptimizer m({sgd}, {});
  EXPECT_INVALID(m.set_state(opt::OptimizerState::unflattened(
                     std::vector<std::pair<std::string, array>>{{"states.1.step", array(1)}})),
                 "[MultiOptimizer::set_state] Unexpected key 'states.1.step': expected "
                 "'states.<i>.<key>' with i below 1.");
}

TEST(OptimClip, GradNorm) {
  auto g = Parameters::unflattened(std::vector<std::pair<std::string, array>>{
      {"b", array({3.0f, 4.0f})}, {"w", array({0.0f, 0.0f, 0.0f, 12.0f}, {2, 2})}});
  auto [clipped, norm] = opt::clip_grad_norm(g, 6.5f);
  expect_close(norm, {13.0});
  expect_close(clipped.at("b").value(), {1.5, 2.0});
  expect_close(clipped.at("w").value(), {0, 0, 0, 6.0});
  auto [same, norm2] = opt::clip_grad_norm(g, 20.0f);
  expect_identical(same, g);
  expect_close(norm2, {13.0});
  // The vector form, and half precision (its squares would overflow float16: 300^2 * 2).
  auto [v, n] = opt::clip_grad_norm(
      std::vector<array>{astype(array({300.0f, 300.0f}), float16), array({0.0f})}, 1.0f);
  EXPECT_EQ(v[0].dtype(), float16);
  expect_close(n, {424.264069}, 1e-6);
  expect_close(v[0], {0.70710678, 0.70710678}, 1e-3);
  auto [e, zero] = opt::clip_grad_norm(std::vector<array>{}, 1.0f);
  EXPECT_TRUE(e.empty());
  expect_close(zero, {0.0});
  EXPECT_INVALID(opt::clip_grad_norm(g, -1.0f),
                 "[clip_grad_norm] max_norm must be non-negative but got -1.");
}

TEST(OptimErrors, Arguments) {
  opt::SGD o(0.1f);
  auto g = Parameters::unflattened(
      std::vector<std::pair<std::string, array>>{{"missing", array({1.0f})}});
  EXPECT_INVALID(o.apply_gradients(g, initial_params()),
                 "[Optimizer::apply_gradients] The gradient 'missing' has no parameter.");
  auto wrong = Parameters::unflattened(
      std::vector<std::pair<std::string, array>>{{"b", array({1.0f, 2.0f})}});
  EXPECT_INVALID(o.apply_gradients(wrong, initial_params()),
                 "[Optimizer::apply_gradients] The gradient 'b' has shape (2) but its parameter "
                 "has shape (3).");
  EXPECT_INVALID(opt::SGD(0.1f, 0.0f, 0.0f, 0.0f, true),
                 "[SGD] Nesterov momentum needs a positive momentum and zero dampening but got "
                 "momentum 0 and dampening 0.");
  EXPECT_INVALID(
      opt::Adafactor(std::nullopt, {1e-30f, 1e-3f}, 1.0f, -0.8f, std::nullopt, 0.0f, true, false),
      "[Adafactor] A learning_rate is needed when relative_step is false.");
  EXPECT_INVALID(opt::RMSprop(0.1f, -0.5f),
                 "[RMSprop] alpha and eps must be non-negative but got alpha -0.5 and eps 1e-08.");
  EXPECT_INVALID(opt::Muon(0.1f, 0.9f, 0.0f, true, -1),
                 "[Muon] ns_steps must be non-negative but got -1.");
}

TEST(OptimTraining, UpdateChangesOnlyParametersWithGradients) {
  auto model = std::make_shared<Affine>();
  opt::SGD sgd(0.5f);
  auto grads = Parameters::unflattened(std::vector<std::pair<std::string, array>>{
      {"weight", array({1.0f, 0.0f, 0.0f, 1.0f}, {2, 2})}});
  sgd.update(*model, grads);
  expect_close(model->weight, {0.0, -0.25, 0.75, 0.5});
  expect_close(model->bias, {0.1, -0.1});
  // A frozen parameter gets no gradient from nn::value_and_grad, so it does not move.
  model->freeze(true, std::vector<std::string>{"bias"});
  auto vg = mlx::nn::value_and_grad(*model, [&](const std::vector<array>& in) {
    return std::vector<array>{mean(square((*model)(in[0]) - in[1]))};
  });
  auto [loss, g] = vg({batch_x(), batch_y()});
  EXPECT_EQ(keys(g), std::vector<std::string>{"weight"});
  sgd.update(*model, g);
  expect_close(model->bias, {0.1, -0.1});
}

namespace {

// Three steps of a mean-square loss with and without compile: the same parameters, optimizer
// state and losses. `noisy` multiplies the prediction by a random mask (drawn from the
// thread's key, which the compiled step carries as state).
void expect_compiled_matches(const std::function<std::shared_ptr<opt::Optimizer>()>& make,
                             bool noisy) {
  std::vector<std::vector<float>> losses(2);
  std::vector<Parameters> params, states;
  for (bool compiled : {false, true}) {
    random::seed(42);
    auto model = std::make_shared<Affine>();
    auto o = make();
    auto step = opt::training_step(
        *model, *o,
        [model, noisy](const std::vector<array>& in) {
          auto pred = (*model)(in[0]);
          if (noisy) {
            pred = pred * astype(random::bernoulli(0.5f, pred.shape()), float32);
          }
          return std::vector<array>{mean(square(pred - in[1])), pred};
        },
        compiled);
    for (int i = 0; i < 3; ++i) {
      auto out = step({batch_x(), batch_y()});
      ASSERT_EQ(out.size(), 2u);
      EXPECT_EQ(out[1].shape(), (Shape{3, 2}));
      losses[compiled].push_back(out[0].item<float>());
    }
    params.push_back(model->parameters());
    states.push_back(o->state());
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(losses[0][i], losses[1][i], 1e-6 * std::abs(losses[0][i]) + 1e-7);
  }
  if (!noisy) {
    EXPECT_GT(losses[0][0], losses[0][2]);
  }
  auto a = params[0].flattened(), b = params[1].flattened();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(allclose(a[i].second, b[i].second, 1e-5, 1e-6).item<bool>()) << a[i].first;
  }
  EXPECT_EQ(keys(states[0]), keys(states[1]));
}

}  // namespace

TEST(OptimTraining, CompiledStepMatchesUncompiled) {
  expect_compiled_matches([] { return std::make_shared<opt::Adam>(0.1f); }, false);
  expect_compiled_matches(
      [] {
        return std::make_shared<opt::AdamW>(opt::cosine_decay(0.1f, 3), opt::Betas{0.9f, 0.99f},
                                            1e-8f, 0.1f, true);
      },
      false);
  expect_compiled_matches(
      [] {
        return std::make_shared<opt::MultiOptimizer>(
            std::vector<std::shared_ptr<opt::Optimizer>>{std::make_shared<opt::SGD>(0.1f, 0.9f),
                                                         std::make_shared<opt::Lion>(0.01f)},
            std::vector<opt::ParameterFilter>{
                [](const std::string& path, const array&) { return path == "bias"; }});
      },
      false);
  expect_compiled_matches([] { return std::make_shared<opt::Adafactor>(); }, false);
}

TEST(OptimTraining, CompiledStepCarriesTheRandomKey) {
  expect_compiled_matches([] { return std::make_shared<opt::SGD>(0.1f); }, true);
  // Each compiled call draws a new key (the mask is not a constant of the trace).
  random::seed(7);
  auto model = std::make_shared<Affine>();
  opt::SGD sgd(0.0f);
  auto step = opt::training_step(*model, sgd, [model](const std::vector<array>& in) {
    return std::vector<array>{sum((*model)(in[0])), random::uniform({64})};
  });
  auto first = step({batch_x()})[1];
  auto second = step({batch_x()})[1];
  EXPECT_FALSE(array_equal(first, second).item<bool>());
  EXPECT_EQ(sgd.step().item<uint64_t>(), 2u);
}
