// nn::Module: registration, parameter trees, updates and their errors, freezing, printing,
// value_and_grad, weights files. The layers are small ones of the test's own.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "helpers.h"
#include "mlx/nn.h"

namespace mlx::core {
namespace {

using nn::Module;
using nn::ModuleChildren;
using nn::ModuleParameters;
using nn::VerifyUpdate;
using Flat = std::vector<std::pair<std::string, array>>;

class TLinear : public nn::UnaryLayer {
 public:
  TLinear(int in, int out, bool with_bias = true)
      : weight(reshape(arange(0.0f, float(in * out), 1.0f), {out, in})) {
    if (with_bias) bias = zeros({out});
    register_parameter("weight", weight);
    register_parameter("bias", bias);
  }
  std::string name() const override { return "TLinear"; }
  std::string describe_extra() const override {
    return "input_dims=" + std::to_string(weight.shape(1)) +
           ", output_dims=" + std::to_string(weight.shape(0)) +
           ", bias=" + (bias ? "True" : "False");
  }
  array operator()(const array& x) override {
    auto y = matmul(x, transpose(weight));
    return bias ? y + *bias : y;
  }
  array weight;
  std::optional<array> bias;
};

class ReLU : public nn::UnaryLayer {
 public:
  std::string name() const override { return "ReLU"; }
  array operator()(const array& x) override { return maximum(x, array(0.0f)); }
};

class Block : public Module {
 public:
  Block()
      : fc(std::make_shared<TLinear>(2, 2)),
        act(std::make_shared<ReLU>()),
        scales{ones({2}), full({2}, 2.0f)},
        cache_(zeros({3})) {
    register_module("fc", fc);
    register_module("act", act);
    register_parameters("scales", scales);
    register_parameter("_cache", cache_);
  }
  std::string name() const override { return "Block"; }
  std::shared_ptr<nn::UnaryLayer> fc;
  std::shared_ptr<nn::UnaryLayer> act;
  std::vector<array> scales;
  array cache_;
};

class Net : public Module {
 public:
  Net()
      : layers{std::make_shared<Block>(), std::make_shared<Block>()},
        head(std::make_shared<TLinear>(2, 1, false)) {
    register_modules("layers", layers);
    register_module("head", head);
  }
  std::string name() const override { return "Net"; }
  std::vector<std::shared_ptr<Block>> layers;
  std::shared_ptr<TLinear> head;
};

std::vector<std::string> keys_of(const ModuleParameters& p) {
  std::vector<std::string> out;
  for (auto& [k, v] : p.flattened()) out.push_back(k);
  return out;
}

template <class T>
std::vector<std::string> paths_of(const T& named) {
  std::vector<std::string> out;
  for (auto& [k, v] : named) out.push_back(k);
  return out;
}

const std::vector<std::string> all_keys{
    "head.weight",        "layers.0.fc.bias",  "layers.0.fc.weight",
    "layers.0.scales.0",  "layers.0.scales.1", "layers.1.fc.bias",
    "layers.1.fc.weight", "layers.1.scales.0", "layers.1.scales.1"};

TEST(Module, ParameterTrees) {
  auto net = std::make_shared<Net>();
  auto params = net->parameters();
  EXPECT_EQ(keys_of(params), all_keys);
  EXPECT_EQ(params.keys(), (std::vector<std::string>{"head", "layers"}));
  EXPECT_TRUE(params.at("layers").is_list());
  auto flat = params.flattened();
  expect_array<float>(flat[0].second, {1, 2}, float32, {0, 1});
  expect_array<float>(flat[4].second, {2}, float32, {2, 2});
  EXPECT_EQ(keys_of(net->trainable_parameters()), all_keys);
  EXPECT_EQ(net->inner_state().size(), all_keys.size());

  auto children = net->children();
  EXPECT_EQ(paths_of(children.flattened()),
            (std::vector<std::string>{"head", "layers.0", "layers.1"}));
  EXPECT_EQ(children.at("head").value().get(), net->head.get());
  EXPECT_EQ(paths_of(net->leaf_modules().flattened()),
            (std::vector<std::string>{"head", "layers.0.act", "layers.0.fc", "layers.1.act",
                                      "layers.1.fc"}));
  // MLX Python's order: the reverse of the stack walk, so the model itself comes last.
  auto named = net->named_modules();
  EXPECT_EQ(paths_of(named),
            (std::vector<std::string>{"head", "layers.0.act", "layers.0.fc", "layers.0",
                                      "layers.1.act", "layers.1.fc", "layers.1", ""}));
  EXPECT_EQ(named.back().second.get(), net.get());
  EXPECT_EQ(net->modules().size(), 8u);
  std::vector<std::string> visited;
  net->apply_to_modules(
      [&](const std::string& path, Module& m) { visited.push_back(path + ":" + m.name()); });
  EXPECT_EQ(visited,
            (std::vector<std::string>{":Net", "layers.1:Block", "layers.1.fc:TLinear",
                                      "layers.1.act:ReLU", "layers.0:Block", "layers.0.fc:TLinear",
                                      "layers.0.act:ReLU", "head:TLinear"}));

  // A module not held by a shared_ptr cannot hand out shared_ptrs to itself.
  Block stack_block;
  EXPECT_INVALID(stack_block.named_modules(),
                 "[Module::named_modules] The module '' must be held by a std::shared_ptr.");
}

TEST(Module, Printing) {
  auto net = std::make_shared<Net>();
  std::string expected =
      "Net(\n"
      "  (head): TLinear(input_dims=2, output_dims=1, bias=False)\n"
      "  (layers.0): Block(\n"
      "    (act): ReLU()\n"
      "    (fc): TLinear(input_dims=2, output_dims=2, bias=True)\n"
      "  )\n"
      "  (layers.1): Block(\n"
      "    (act): ReLU()\n"
      "    (fc): TLinear(input_dims=2, output_dims=2, bias=True)\n"
      "  )\n"
      ")";
  std::ostringstream os;
  os << *net;
  EXPECT_EQ(os.str(), expected);
  EXPECT_EQ(ReLU().description(), "ReLU()");
}

TEST(Module, RegisterTwice) {
  class Twice : public Module {
   public:
    Twice() : a(zeros({1})) {
      register_parameter("a", a);
      register_parameter("a", a);
    }
    std::string name() const override { return "Twice"; }
    array a;
  };
  EXPECT_INVALID(Twice(), "[Module] Twice registers the key 'a' twice.");
}

TEST(Module, UpdatePartial) {
  auto net = std::make_shared<Net>();
  auto old_bias = net->layers[1]->fc->parameters().at("bias").value();
  auto update = ModuleParameters::unflattened(Flat{{"head.weight", array({5.0f, 6.0f}, {1, 2})},
                                                   {"layers.0.scales.1", array({7.0f, 8.0f})}});
  net->update(update, VerifyUpdate::shape_mismatch | VerifyUpdate::no_unused_keys);
  expect_array<float>(net->head->weight, {1, 2}, float32, {5, 6});
  expect_array<float>(net->layers[0]->scales[1], {2}, float32, {7, 8});
  expect_array<float>(net->layers[0]->scales[0], {2}, float32, {1, 1});
  EXPECT_EQ(net->layers[1]->fc->parameters().at("bias").value().id(), old_bias.id());

  // Unknown keys are ignored without verification and private members are never touched.
  net->update(
      ModuleParameters::unflattened(Flat{{"nope", array(1.0f)}, {"layers.0._cache", array(1.0f)}}));
  expect_array<float>(net->layers[0]->cache_, {3}, float32, {0, 0, 0});

  // The whole tree back, verified in every way.
  auto params = net->parameters();
  net->update(params.map_values([](const array& a) { return a + 1.0f; }), VerifyUpdate::all);
  expect_array<float>(net->head->weight, {1, 2}, float32, {6, 7});
}

TEST(Module, UpdateErrors) {
  auto net = std::make_shared<Net>();
  auto update = ModuleParameters::unflattened(Flat{{"head.weight", array({1.0f, 2.0f}, {2, 1})},
                                                   {"head.bias", zeros({1})},
                                                   {"layers.1.fc.weight", zeros({2, 2})}});
  EXPECT_INVALID(net->update(update, VerifyUpdate::all),
                 "[Module::update] Net: Unexpected keys (not in the model): head.bias. Missing "
                 "keys: layers.0.fc.bias, layers.0.fc.weight, layers.0.scales.0, "
                 "layers.0.scales.1, layers.1.fc.bias, layers.1.scales.0, layers.1.scales.1. "
                 "'head.weight' has shape (1,2) in the model but (2,1) in the update.");
  // Nothing changed.
  expect_array<float>(net->head->weight, {1, 2}, float32, {0, 1});
  expect_array<float>(net->layers[1]->fc->parameters().at("weight").value(), {2, 2}, float32,
                      {0, 1, 2, 3});
  EXPECT_INVALID(net->update(update, VerifyUpdate::shape_mismatch),
                 "[Module::update] Net: 'head.weight' has shape (1,2) in the model but (2,1) in "
                 "the update.");
  // Without a shape check the new array is taken as it is.
  net->update(update);
  EXPECT_EQ(net->head->weight.shape(), (Shape{2, 1}));
  EXPECT_FALSE(net->head->bias.has_value());

  // A structure that disagrees with the model always throws.
  ModuleParameters wrong;
  wrong["layers"] = ModuleParameters::Item(zeros({1}));
  wrong["head"] = ModuleParameters::Item(ModuleParameters::Item::Dictionary{
      {"weight", ModuleParameters::Item(ModuleParameters::Item::List{})}});
  EXPECT_INVALID(net->update(wrong),
                 "[Module::update] Net: 'head.weight' is a parameter in the model but a list in "
                 "the update. 'layers' is a list of modules in the model but a value in the "
                 "update.");
}

class Gelu : public nn::UnaryLayer {
 public:
  std::string name() const override { return "Gelu"; }
  array operator()(const array& x) override { return x * array(2.0f); }
};

TEST(Module, UpdateModules) {
  auto net = std::make_shared<Net>();
  auto gelu = std::make_shared<Gelu>();
  auto lin = std::make_shared<TLinear>(2, 1, true);
  ModuleChildren update;
  update["layers"] = ModuleChildren::Item(ModuleChildren::Item::List{
      ModuleChildren::Item(),
      ModuleChildren::Item(ModuleChildren::Item::Dictionary{{"act", ModuleChildren::Item(gelu)}})});
  update["head"] = ModuleChildren::Item(lin);
  net->update_modules(update);
  EXPECT_EQ(net->layers[1]->act.get(), gelu.get());
  EXPECT_EQ(net->layers[0]->act->name(), "ReLU");
  EXPECT_EQ(net->head.get(), lin.get());
  EXPECT_EQ(keys_of(net->parameters()).front(), "head.bias");

  // The head is a TLinear member: a Gelu cannot take its place; nothing changes.
  ModuleChildren bad;
  bad["head"] = ModuleChildren::Item(std::shared_ptr<Module>(gelu));
  bad["layers"] = ModuleChildren::Item(ModuleChildren::Item::List{
      ModuleChildren::Item(ModuleChildren::Item::Dictionary{{"act", ModuleChildren::Item(lin)}})});
  EXPECT_INVALID(net->update_modules(bad),
                 "[Module::update_modules] Net: 'head' holds a mlx::core::(anonymous "
                 "namespace)::TLinear and cannot be replaced by a mlx::core::(anonymous "
                 "namespace)::Gelu.");
  EXPECT_EQ(net->layers[0]->act->name(), "ReLU");

  ModuleChildren unknown;
  unknown["layers"] = ModuleChildren::Item(ModuleChildren::Item::List{
      ModuleChildren::Item(), ModuleChildren::Item(), ModuleChildren::Item(gelu)});
  unknown["scales"] = ModuleChildren::Item(gelu);
  net->update_modules(unknown);  // no checks: unknown keys are ignored
  EXPECT_INVALID(net->update_modules(unknown, VerifyUpdate::no_unused_keys),
                 "[Module::update_modules] Net: 'layers.2' is not a module. 'scales' is not a "
                 "module.");
}

TEST(Module, FreezeUnfreeze) {
  auto net = std::make_shared<Net>();
  net->freeze();
  EXPECT_TRUE(net->trainable_parameters().flattened().empty());
  EXPECT_EQ(keys_of(net->parameters()), all_keys);
  net->unfreeze();
  EXPECT_EQ(keys_of(net->trainable_parameters()), all_keys);

  // Keys: local names in every module visited.
  net->freeze(true, std::vector<std::string>{"bias", "scales"});
  EXPECT_EQ(keys_of(net->trainable_parameters()),
            (std::vector<std::string>{"head.weight", "layers.0.fc.weight", "layers.1.fc.weight"}));
  net->unfreeze(true, std::vector<std::string>{"scales"});
  EXPECT_EQ(keys_of(net->trainable_parameters()),
            (std::vector<std::string>{"head.weight", "layers.0.fc.weight", "layers.0.scales.0",
                                      "layers.0.scales.1", "layers.1.fc.weight",
                                      "layers.1.scales.0", "layers.1.scales.1"}));
  net->unfreeze();

  // Not recursive: only this module's own parameters; freezing a child's key drops the child.
  net->layers[0]->freeze(false);
  EXPECT_EQ(keys_of(net->trainable_parameters()),
            (std::vector<std::string>{"head.weight", "layers.0.fc.bias", "layers.0.fc.weight",
                                      "layers.1.fc.bias", "layers.1.fc.weight", "layers.1.scales.0",
                                      "layers.1.scales.1"}));
  net->freeze(false, std::vector<std::string>{"layers"});
  EXPECT_EQ(keys_of(net->trainable_parameters()), (std::vector<std::string>{"head.weight"}));
  net->unfreeze();

  EXPECT_INVALID(net->freeze(true, std::vector<std::string>{"head", "nope"}, true),
                 "[Module::freeze] Net has no member 'nope' (members: layers, head).");
  EXPECT_INVALID(net->head->unfreeze(true, std::vector<std::string>{"_x"}, true),
                 "[Module::unfreeze] TLinear has no member '_x' (members: weight, bias).");
  net->freeze(true, std::vector<std::string>{"nope"});  // not strict: ignored
  EXPECT_EQ(keys_of(net->trainable_parameters()), all_keys);
}

TEST(Module, TrainApply) {
  auto net = std::make_shared<Net>();
  EXPECT_TRUE(net->training());
  net->train(false);
  for (auto& m : net->modules()) EXPECT_FALSE(m->training());
  net->train();
  EXPECT_TRUE(net->layers[1]->act->training());

  net->apply([](const array& a) { return astype(a, float16); });
  for (auto& [k, v] : net->parameters().flattened()) EXPECT_EQ(v.dtype(), float16) << k;
  EXPECT_EQ(net->layers[0]->cache_.dtype(), float32);  // private members are not parameters

  net->apply([](const std::string& path, const array&) { return path.ends_with("weight"); },
             [](const array& a) { return astype(a, float32); });
  auto flat = net->parameters().flattened();
  EXPECT_EQ(flat[0].second.dtype(), float32);  // head.weight
  EXPECT_EQ(flat[1].second.dtype(), float16);  // layers.0.fc.bias
  EXPECT_EQ(flat[2].second.dtype(), float32);  // layers.0.fc.weight
}

class Affine : public nn::UnaryLayer {
 public:
  Affine() : weight(array({1.0f, 2.0f}, {1, 2})), bias(array({0.5f})) {
    register_parameter("weight", weight);
    register_parameter("bias", bias);
  }
  array operator()(const array& x) override { return matmul(x, transpose(weight)) + bias; }
  array weight;
  array bias;
};

TEST(Module, ValueAndGrad) {
  auto model = std::make_shared<Affine>();
  auto x = array({1.0f, 3.0f}, {1, 2});
  // loss = y^2 with y = w.x + b = 7.5: dloss/dw = 2 y x = (15, 45), dloss/db = 2 y = 15.
  auto loss_fn = [&](const std::vector<array>& in) { return sum(square((*model)(in[0]))); };
  auto vg = nn::value_and_grad(*model, loss_fn);
  auto [loss, grads] = vg({x});
  expect_array<float>(loss, {}, float32, {56.25f});
  EXPECT_EQ(keys_of(grads), (std::vector<std::string>{"bias", "weight"}));
  expect_array<float>(grads.at("weight").value(), {1, 2}, float32, {15, 45});
  expect_array<float>(grads.at("bias").value(), {1}, float32, {15});
  // Afterwards the model holds its own arrays again, not tracers.
  EXPECT_FALSE(model->weight.is_tracer());
  expect_array<float>(model->weight, {1, 2}, float32, {1, 2});

  // Frozen parameters get no gradient; extra outputs come back undifferentiated.
  model->freeze(false, std::vector<std::string>{"bias"});
  auto vg2 = nn::value_and_grad(*model, [&](const std::vector<array>& in) {
    auto y = (*model)(in[0]);
    return std::vector<array>{sum(square(y)), y};
  });
  auto [outs, grads2] = vg2({x});
  ASSERT_EQ(outs.size(), 2u);
  expect_array<float>(outs[1], {1, 1}, float32, {7.5f});
  EXPECT_EQ(keys_of(grads2), (std::vector<std::string>{"weight"}));
  expect_array<float>(grads2.at("weight").value(), {1, 2}, float32, {15, 45});

  // Everything frozen: the loss, no gradients.
  model->freeze();
  auto [loss3, grads3] = vg({x});
  expect_array<float>(loss3, {}, float32, {56.25f});
  EXPECT_TRUE(grads3.empty());
  model->unfreeze();

  // A throwing loss function leaves the model's arrays in place.
  auto before = model->weight.id();
  auto throwing = nn::value_and_grad(
      *model, [&](const std::vector<array>&) -> array { throw std::runtime_error("boom"); });
  EXPECT_THROW(throwing({x}), std::runtime_error);
  EXPECT_EQ(model->weight.id(), before);

  // A training step with the gradients: w <- w - 0.01 g.
  auto [l, g] = vg({x});
  model->update(model->parameters().map_values(
      g, [](const array& p, const array& gr) { return p - array(0.01f) * gr; }));
  expect_array<float>(model->weight, {1, 2}, float32, {0.85f, 1.55f});
}

TEST(Module, SaveLoadWeights) {
  auto dir = std::filesystem::temp_directory_path();
  auto path = (dir / "mlx_test_module_weights.safetensors").string();
  auto net = std::make_shared<Net>();
  net->apply([](const array& a) { return a * 3.0f + 1.0f; });
  net->save_weights(path);
  auto restored = std::make_shared<Net>();
  restored->load_weights(path);
  auto saved = net->parameters().flattened();
  auto loaded = restored->parameters().flattened();
  ASSERT_EQ(saved.size(), loaded.size());
  for (size_t i = 0; i < saved.size(); ++i) {
    EXPECT_EQ(saved[i].first, loaded[i].first);
    EXPECT_EQ(values<float>(saved[i].second), values<float>(loaded[i].second)) << saved[i].first;
  }

  auto linear_path = (dir / "mlx_test_module_linear.safetensors").string();
  std::make_shared<TLinear>(2, 2, true)->save_weights(linear_path);
  auto no_bias = std::make_shared<TLinear>(2, 2, false);
  EXPECT_INVALID(no_bias->load_weights(linear_path),
                 "[Module::load_weights] The weights in '" + linear_path +
                     "' do not match the TLinear: Unexpected keys (not in the model): bias.");
  no_bias->load_weights(linear_path, false);  // not strict: the keys the model has
  expect_array<float>(no_bias->weight, {2, 2}, float32, {0, 1, 2, 3});
  auto wider = std::make_shared<TLinear>(3, 2, true);
  EXPECT_INVALID(wider->load_weights(linear_path, false),
                 "[Module::load_weights] The weights in '" + linear_path +
                     "' do not match the TLinear: 'weight' has shape (2,3) in the model but (2,2) "
                     "in the file.");
  auto head = std::make_shared<Net>();
  EXPECT_INVALID(
      head->load_weights(linear_path),
      "[Module::load_weights] The weights in '" + linear_path +
          "' do not match the Net: Unexpected keys (not in the model): bias, weight. "
          "Missing keys: " +
          [] {
            std::string s;
            for (auto& k : all_keys) s += (s.empty() ? "" : ", ") + k;
            return s;
          }() +
          ".");
  EXPECT_THROW(head->load_weights((dir / "mlx_no_such_file.safetensors").string()), std::exception);
  std::filesystem::remove(path);
  std::filesystem::remove(linear_path);
}

}  // namespace
}  // namespace mlx::core
