// export_function, exporter and import_function: round trips over the op families, several
// traces, shapeless replay, keyword inputs, metadata, transforms of imported functions, the
// callback variant, and damaged files.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include <unistd.h>

#include "check.h"
#include "helpers.h"
#include "mlx/mlx.h"
#include "transforms/export.h"

namespace mlx::core {
namespace {

// ctest runs tests in parallel processes: the pid keeps their files apart.
std::string temp_file(const std::string& name) {
  return ::testing::TempDir() + "export_" + std::to_string(::getpid()) + "_" + name;
}

std::string read_bytes(const std::string& path) {
  std::ifstream is(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(is), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream os(path, std::ios::binary | std::ios::trunc);
  os.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Exports fun at `inputs`, imports it, and checks that the import computes what fun computes
// (same shapes, dtypes and values, NaNs included) at the inputs and at `others` (same shapes).
void expect_round_trip(const std::string& name,
                       const std::function<std::vector<array>(const Args&)>& fun,
                       const Args& inputs, const Args& others = {}) {
  SCOPED_TRACE(name);
  auto path = temp_file(name + ".mlxfn");
  export_function(path, fun, inputs);
  auto imported = import_function(path);
  for (auto& in : {inputs, others}) {
    if (in.empty() && !inputs.empty()) {
      continue;
    }
    auto expected = fun(in);
    auto got = imported(in);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].shape(), expected[i].shape());
      EXPECT_EQ(got[i].dtype(), expected[i].dtype());
      EXPECT_TRUE(array_equal(got[i], expected[i], true).item<bool>()) << "output " << i;
    }
  }
  std::remove(path.c_str());
}

array x23() { return array({0.5f, -1.0f, 2.0f, 3.5f, -0.25f, 1.5f}, {2, 3}); }

TEST(ExportRoundTrip, ElementwiseValues) {
  auto fun = [](const Args& in) {
    return Args{exp(in[0]) * in[1] - 2.0f, maximum(in[0], in[1]), in[0] > in[1]};
  };
  auto path = temp_file("elementwise.mlxfn");
  export_function(path, fun, {array({0.0f, 1.0f}), array({1.0f, 2.0f})});
  auto f = import_function(path);
  auto out = f({array({0.0f, 2.0f}), array({3.0f, -1.0f})});
  ASSERT_EQ(out.size(), 3u);
  auto v = values<float>(out[0]);
  EXPECT_FLOAT_EQ(v[0], 1.0f);
  EXPECT_FLOAT_EQ(v[1], -std::exp(2.0f) - 2.0f);
  expect_array<float>(out[1], {2}, float32, {3.0f, 2.0f});
  expect_array<bool>(out[2], {2}, bool_, {false, true});
  std::remove(path.c_str());
}

TEST(ExportRoundTrip, OpFamilies) {
  auto x = x23();
  auto y = array({1.0f, 2.0f, -3.0f, 0.5f, 4.0f, -2.0f}, {2, 3});
  auto idx = array({2, 0, 1, 1}, {4});
  expect_round_trip("unary",
                    [](const Args& in) {
                      return Args{tanh(in[0]), sqrt(abs(in[0])), erf(in[0])};
                    },
                    {x}, {y});
  expect_round_trip("binary_int",
                    [](const Args& in) {
                      return Args{floor_divide(in[0], in[1]), remainder(in[0], in[1]),
                                  in[0] << in[1], divmod(in[0], in[1])[1]};
                    },
                    {array({7, -8, 9}), array({2, 3, 1})});
  expect_round_trip("reductions",
                    [](const Args& in) {
                      return Args{sum(in[0], 1),
                                  max(in[0], 0, true),
                                  argmax(in[0], 1),
                                  mean(in[0]),
                                  logsumexp(in[0], std::vector<int>{1}),
                                  all(in[0] > 0.0f)};
                    },
                    {x}, {y});
  expect_round_trip("matmul", [](const Args& in) { return Args{matmul(in[0], transpose(in[1]))}; },
                    {x, y});
  expect_round_trip("shape",
                    [](const Args& in) {
                      auto a = reshape(in[0], {3, 2});
                      return Args{transpose(a),      slice(a, {1, 0}, {3, 2}),
                                  expand_dims(a, 0), concatenate({in[0], in[0]}, 0),
                                  flatten(in[0]),    squeeze(reshape(a, {1, 6}))};
                    },
                    {x}, {y});
  expect_round_trip("gather_scatter",
                    [](const Args& in) {
                      return Args{take(in[0], in[1], 1),
                                  take_along_axis(in[0], reshape(in[1], {2, 2}), 1),
                                  scatter_add(zeros({3}), in[1], ones({4, 1}), 0)};
                    },
                    {x, idx});
  expect_round_trip("conv",
                    [](const Args& in) {
                      return Args{conv1d(in[0], in[1], 1, 1), conv2d(reshape(in[0], {1, 2, 3, 1}),
                                                                     reshape(in[1], {1, 1, 3, 1}))};
                    },
                    {reshape(x, {1, 6, 1}), reshape(array({1.0f, 0.5f, -1.0f}), {1, 3, 1})});
  expect_round_trip("softmax_fast",
                    [](const Args& in) {
                      auto q = reshape(in[0], {1, 1, 2, 3});
                      return Args{softmax(in[0], 1), fast::rms_norm(in[0], std::nullopt, 1e-5f),
                                  fast::layer_norm(in[0], in[1], std::nullopt, 1e-5f),
                                  fast::scaled_dot_product_attention(q, q, q, 0.5f, "causal")};
                    },
                    {x, array({1.0f, 2.0f, 3.0f})});
  expect_round_trip(
      "rope", [](const Args& in) { return Args{fast::rope(in[0], 4, false, 10000.0f, 1.0f, 2)}; },
      {reshape(astype(arange(16), float32), {1, 1, 4, 4})});
  expect_round_trip("scan_sort",
                    [](const Args& in) {
                      return Args{cumsum(in[0], 1), sort(in[0], 1), argsort(in[0], 0),
                                  topk(in[0], 2, 1), cumprod(in[0], 0, true)};
                    },
                    {x}, {y});
  expect_round_trip("select_cast_pad",
                    [](const Args& in) {
                      return Args{where(in[0] > 0.0f, in[0], in[1]), astype(in[0], int32),
                                  pad(in[0], {{1, 0}, {0, 2}}, array(9.0f)), isclose(in[0], in[1]),
                                  nan_to_num(log(in[0]))};
                    },
                    {x, y});
  // Random with an explicit key is part of the function: the import draws the same values.
  expect_round_trip("random",
                    [](const Args& in) {
                      return Args{random::normal({3}, float32, 0.0f, 1.0f, in[0]),
                                  random::uniform({2, 2}, float32, in[0]) + in[1]};
                    },
                    {random::key(7), array(1.0f)});
  expect_round_trip("fft_linalg",
                    [](const Args& in) {
                      return Args{fft::rfft(in[0]),
                                  fft::fftn(in[1]),
                                  linalg::inv(in[1]),
                                  linalg::solve(in[1], in[0]),
                                  linalg::eigh(in[1]).first,
                                  linalg::qr(in[1]).second,
                                  linalg::svd(in[1], false)[0]};
                    },
                    {array({1.0f, 2.0f}), array({2.0f, 1.0f, 1.0f, 3.0f}, {2, 2})});
  auto wq = quantize(reshape(astype(arange(64 * 4), float32), {4, 64}) / 100.0f, 64, 4);
  expect_round_trip("quantized",
                    [wq](const Args& in) {
                      return Args{quantized_matmul(in[0], wq[0], wq[1], wq[2], true, 64, 4)};
                    },
                    {ones({2, 64})});
}

TEST(ExportRoundTrip, ConstantsLiveInTheFile) {
  auto path = temp_file("constants.mlxfn");
  {
    auto w = array({1.0f, 2.0f, 3.0f});
    eval(w);
    auto lazy = w * 10.0f;  // captured unevaluated: its graph is exported
    export_function(path, [w, lazy](const Args& in) { return Args{in[0] * w + lazy}; },
                    {zeros({3})});
  }
  auto f = import_function(path);
  expect_array<float>(f({ones({3})})[0], {3}, float32, {11.0f, 22.0f, 33.0f});
  std::remove(path.c_str());
}

TEST(ExportRoundTrip, IdentityAndConstantOutputs) {
  auto path = temp_file("identity.mlxfn");
  export_function(path, [](const Args& in) { return Args{in[0], array(5)}; }, {zeros({2})});
  auto out = import_function(path)({array({1.0f, 2.0f})});
  expect_array<float>(out[0], {2}, float32, {1.0f, 2.0f});
  expect_array<int>(out[1], {}, int32, {5});
  std::remove(path.c_str());
}

TEST(ExportTraces, SeveralSignaturesInOneFile) {
  auto path = temp_file("traces.mlxfn");
  auto fun = [](const Args& in) {
    auto s = sum(in[0]);
    return Args{in.size() == 2 ? s + sum(in[1]) : s};
  };
  {
    auto ex = exporter(path, fun);
    ex({zeros({2, 3})});
    ex({zeros({4}, int32)});
    ex({zeros({2}), zeros({3})});
    // The destructor closes the file.
  }
  auto f = import_function(path);
  expect_array<float>(f({ones({2, 3})})[0], {}, float32, {6.0f});
  expect_array<int>(f({array({1, 2, 3, 4})})[0], {}, int32, {10});
  expect_array<float>(f({ones({2}), ones({3})})[0], {}, float32, {5.0f});
  EXPECT_EQ(error_message([&] {
              f({ones({3, 3})});
            }),
            "[import_function] No trace of the function matches the inputs ((3,3) float32). The "
            "file has ((2,3) float32), ((4) int32), ((2) float32, (3) float32).");
  std::remove(path.c_str());
}

TEST(ExportTraces, ClosedExporterRefusesTraces) {
  auto path = temp_file("closed.mlxfn");
  auto ex = exporter(path, [](const Args& in) { return Args{-in[0]}; });
  ex({zeros({2})});
  ex.close();
  EXPECT_EQ(error_message([&] { ex({zeros({3})}); }), "[export_function] The exporter is closed.");
  expect_array<float>(import_function(path)({array({1.0f, -2.0f})})[0], {2}, float32,
                      {-1.0f, 2.0f});
  std::remove(path.c_str());
}

TEST(ExportShapeless, ReplaysAtNewShapes) {
  auto path = temp_file("shapeless.mlxfn");
  auto fun = [](const Args& in) {
    return Args{exp(in[0]) * in[0] + in[1], sum(in[0], -1, true), matmul(in[0], in[2])};
  };
  export_function(path, fun, {zeros({2, 3}), zeros({2, 3}), zeros({3, 4})}, true);
  auto f = import_function(path);
  auto a = reshape(astype(arange(20), float32) / 10.0f, {4, 5});
  auto b = ones({4, 5});
  auto c = reshape(astype(arange(10), float32), {5, 2});
  auto got = f({a, b, c});
  auto expected = fun({a, b, c});
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].shape(), expected[i].shape());
    EXPECT_TRUE(allclose(got[i], expected[i]).item<bool>());
  }
  // Another rank is another signature.
  EXPECT_EQ(error_message([&] {
              f({ones({4}), ones({4}), ones({4, 2})});
            }),
            "[import_function] No trace of the function matches the inputs ((4) float32, (4) "
            "float32, (4,2) float32). The file has ((2,3) float32, (2,3) float32, (3,4) float32) "
            "(shapeless).");
  std::remove(path.c_str());
}

TEST(ExportShapeless, FixedShapeGraphsSayWhy) {
  // x + 1 broadcasts the constant to the traced shape: it cannot be replayed at others.
  auto path = temp_file("shapeless_fixed.mlxfn");
  export_function(
      path, [](const Args& in) { return Args{in[0] + 1.0f}; }, {zeros({2})}, true);
  auto f = import_function(path);
  expect_array<float>(f({array({1.0f, 2.0f})})[0], {2}, float32, {2.0f, 3.0f});
  auto msg = error_message([&] { f({ones({3})}); });
  EXPECT_NE(msg.find("No trace of the function matches the inputs ((3) float32)"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("The shapeless trace cannot take these shapes"), std::string::npos) << msg;
  std::remove(path.c_str());
}

TEST(ExportKwargs, MatchedByName) {
  auto path = temp_file("kwargs.mlxfn");
  auto fun = [](const Args& args, const Kwargs& kw) {
    return Args{args[0] * kw.at("scale") - kw.at("shift")};
  };
  export_function(path, fun, {zeros({2})}, {{"shift", zeros({2})}, {"scale", zeros({})}});
  auto f = import_function(path);
  auto out = f({array({1.0f, 2.0f})}, {{"scale", array(3.0f)}, {"shift", array({1.0f, 1.0f})}});
  expect_array<float>(out[0], {2}, float32, {2.0f, 5.0f});
  EXPECT_EQ(error_message([&] {
              f({array({1.0f, 2.0f})}, {{"scale", array(3.0f)}});
            }),
            "[import_function] No trace of the function matches the inputs ((2) float32, "
            "scale=() float32). The file has ((2) float32, scale=() float32, shift=(2) "
            "float32).");
  std::remove(path.c_str());

  auto kw_only = [](const Kwargs& kw) { return Args{kw.at("a") + kw.at("b")}; };
  export_function(path, kw_only, Kwargs{{"a", zeros({1})}, {"b", zeros({1})}});
  auto g = import_function(path);
  expect_array<float>(g(Kwargs{{"b", array({2.0f})}, {"a", array({1.0f})}})[0], {1}, float32,
                      {3.0f});
  std::remove(path.c_str());

  EXPECT_EQ(error_message([&] {
              auto ex = exporter(path, [](const Args& in) { return in; });
              ex(Args{zeros({1})}, Kwargs{{"a", zeros({1})}});
            }),
            "[export_function] The function takes positional inputs only; got 1 keyword inputs.");
  std::remove(path.c_str());
}

TEST(ExportMetadata, StoredAndRead) {
  auto path = temp_file("metadata.mlxfn");
  export_function(
      path, [](const Args& in) { return Args{in[0] * 2.0f}; }, {zeros({2})}, false,
      "{\"model\": \"tiny\", \"version\": 3}");
  EXPECT_EQ(import_function(path).metadata(), "{\"model\": \"tiny\", \"version\": 3}");
  export_function(path, [](const Args& in) { return Args{in[0] * 2.0f}; }, {zeros({2})});
  EXPECT_EQ(import_function(path).metadata(), "");
  std::remove(path.c_str());
}

TEST(ExportTransforms, GradVmapAndCompileOfImported) {
  auto path = temp_file("transforms.mlxfn");
  auto fun = [](const Args& in) { return Args{sin(in[0]) * in[1] + square(in[0])}; };
  {
    // check::grads differentiates in float64: a second trace serves it.
    auto ex = exporter(path, fun);
    ex({zeros({3}), zeros({3})});
    ex({zeros({3}, float64), zeros({3}, float64)});
  }
  auto f = import_function(path);
  auto x = array({0.1f, -0.7f, 1.3f});
  auto y = array({2.0f, 0.5f, -1.0f});
  auto loss_imported = [&](const std::vector<array>& in) { return sum(f(in)[0]); };
  auto loss_direct = [&](const std::vector<array>& in) { return sum(fun(in)[0]); };
  auto gi = grad(loss_imported, std::vector<int>{0, 1})({x, y});
  auto gd = grad(loss_direct, std::vector<int>{0, 1})({x, y});
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(allclose(gi[i], gd[i]).item<bool>());
  }
  // d/dx = cos(x) * y + 2x at x = 0.1, y = 2.
  EXPECT_NEAR(values<float>(gi[0])[0], std::cos(0.1f) * 2.0f + 0.2f, 1e-6);
  check::grads([&](const std::vector<array>& in) { return f(in); },
               {astype(x, float32), astype(y, float32)}, 1e-2, 1e-3);

  auto xs = reshape(astype(arange(6), float32) / 4.0f, {2, 3});
  auto vm = vmap([&](const std::vector<array>& in) { return f(in); }, {0, -1})({xs, y});
  auto vd = vmap([&](const std::vector<array>& in) { return fun(in); }, {0, -1})({xs, y});
  EXPECT_TRUE(allclose(vm[0], vd[0]).item<bool>());

  auto cf = compile([f](const std::vector<array>& in) { return f(in); });
  EXPECT_TRUE(allclose(cf({x, y})[0], fun({x, y})[0]).item<bool>());
  std::remove(path.c_str());
}

TEST(ExportTransforms, CompiledFunctionsInsideAreExportedUnfused) {
  auto path = temp_file("inner_compile.mlxfn");
  auto inner = compile(
      [](const std::vector<array>& in) { return std::vector<array>{exp(in[0]) * in[0] + 1.0f}; });
  export_function(path, [&](const Args& in) { return inner(in); }, {zeros({3})});
  auto x = array({0.0f, 1.0f, -1.0f});
  EXPECT_TRUE(allclose(import_function(path)({x})[0], exp(x) * x + 1.0f).item<bool>());
  std::remove(path.c_str());
}

TEST(ExportCallback, DeliversTheGraph) {
  std::vector<ExportCallbackInput> records;
  auto fun = [](const Args& args, const Kwargs& kw) {
    return Args{transpose(reshape(args[0], {3, 2})) + kw.at("b")};
  };
  export_function([&](const ExportCallbackInput& r) { records.push_back(r); }, fun, {zeros({2, 3})},
                  {{"b", zeros({2, 3})}});
  auto type = [](const ExportCallbackInput& r) { return std::get<std::string>(r.at("type")); };
  using Specs = std::vector<std::tuple<std::string, Shape, Dtype>>;
  ASSERT_EQ(records.size(), 7u);
  EXPECT_EQ(type(records[0]), "inputs");
  EXPECT_EQ(std::get<Specs>(records[0].at("inputs")),
            (Specs{{"A", {2, 3}, float32}, {"B", {2, 3}, float32}}));
  EXPECT_EQ(type(records[1]), "keyword_inputs");
  using Names = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(std::get<Names>(records[1].at("keywords")), (Names{{"b", "B"}}));
  EXPECT_EQ(type(records[2]), "outputs");
  EXPECT_EQ(std::get<Specs>(records[2].at("outputs")), (Specs{{"E", {2, 3}, float32}}));
  EXPECT_EQ(type(records[3]), "constants");
  using Constants = std::vector<std::pair<std::string, array>>;
  EXPECT_TRUE(std::get<Constants>(records[3].at("constants")).empty());
  EXPECT_EQ(type(records[4]), "primitive");
  EXPECT_EQ(std::get<std::string>(records[4].at("name")), "Reshape");
  EXPECT_EQ(std::get<Specs>(records[4].at("inputs")), (Specs{{"A", {2, 3}, float32}}));
  EXPECT_EQ(std::get<Specs>(records[4].at("outputs")), (Specs{{"C", {3, 2}, float32}}));
  auto args = std::get<std::vector<StateT>>(records[4].at("arguments"));
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(std::get<Shape>(args[0]), (Shape{3, 2}));
  EXPECT_EQ(std::get<std::string>(records[5].at("name")), "Transpose");
  EXPECT_EQ(std::get<Shape>(std::get<std::vector<StateT>>(records[5].at("arguments"))[0]),
            (Shape{1, 0}));
  EXPECT_EQ(std::get<std::string>(records[6].at("name")), "Add");
  // Enums are reported as int: Add is BinaryOp 0.
  EXPECT_EQ(std::get<int>(std::get<std::vector<StateT>>(records[6].at("arguments"))[0]), 0);
  EXPECT_EQ(std::get<Specs>(records[6].at("inputs")),
            (Specs{{"D", {2, 3}, float32}, {"B", {2, 3}, float32}}));

  // An exporter with a callback: one set of records per trace.
  records.clear();
  {
    auto ex = exporter([&](const ExportCallbackInput& r) { records.push_back(r); },
                       [](const Args& in) { return Args{in[0] * 2.0f}; });
    ex({zeros({2})});
    ex({zeros({3})});
  }
  int inputs = 0;
  for (auto& r : records) {
    inputs += type(r) == "inputs";
  }
  EXPECT_EQ(inputs, 2);
  auto& consts = std::get<std::vector<std::pair<std::string, array>>>(records[3].at("constants"));
  ASSERT_EQ(consts.size(), 1u);
  expect_array<float>(consts[0].second, {}, float32, {2.0f});
}

TEST(ExportErrors, UnexportablePrimitives) {
  auto path = temp_file("custom.mlxfn");
  auto custom = custom_vjp([](const std::vector<array>& in) { return std::vector<array>{in[0]}; },
                           [](const std::vector<array>&, const std::vector<array>& ct,
                              const std::vector<array>&) { return ct; });
  EXPECT_EQ(error_message([&] { export_function(path, custom, {zeros({2})}); }),
            "[export_function] Cannot export primitive CustomTransforms: custom_function, "
            "custom_vjp and checkpoint keep their rules as C++ closures, which a file cannot "
            "hold.");
  // A failed one-shot export leaves no file.
  EXPECT_FALSE(std::filesystem::exists(path));
  std::vector<ExportCallbackInput> records;
  EXPECT_EQ(error_message([&] {
              export_function([&](const ExportCallbackInput& r) { records.push_back(r); }, custom,
                              {zeros({2})});
            }).substr(0, 60),
            "[export_function] Cannot export primitive CustomTransforms: ");
  EXPECT_TRUE(records.empty());

  // A failed trace leaves an exporter's file as it was.
  {
    auto ex =
        exporter(path, [&](const Args& in) { return in.size() == 1 ? Args{-in[0]} : custom(in); });
    ex({zeros({2})});
    EXPECT_NE(error_message([&] { ex({zeros({2}), zeros({2})}); }), "<no exception>");
  }
  expect_array<float>(import_function(path)({array({1.0f, 2.0f})})[0], {2}, float32,
                      {-1.0f, -2.0f});
  std::remove(path.c_str());
}

class ExportFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = temp_file("damaged.mlxfn");
    auto w = array({1.0f, 2.0f, 3.0f, 4.0f});
    export_function(
        path_,
        [w](const Args& in) {
          return Args{sum(in[0] * w, 0), reshape(in[0], {2, 2})};
        },
        {zeros({4})}, false, "meta");
    good_ = read_bytes(path_);
  }
  void TearDown() override { std::remove(path_.c_str()); }

  // The error importing `bytes` gives (empty when it imports).
  std::string import_error(const std::string& bytes) {
    write_bytes(path_, bytes);
    return error_of([&] { import_function(path_); });
  }

  std::string path_;
  std::string good_;
};

TEST_F(ExportFiles, MissingFile) {
  EXPECT_EQ(error_of([] { import_function("/nonexistent/dir/f.mlxfn"); }),
            "[import_function] Failed to open /nonexistent/dir/f.mlxfn.");
}

TEST_F(ExportFiles, NotAnExportedFunction) {
  EXPECT_EQ(import_error("hello, world"),
            "[import_function] Malformed file " + path_ +
                ": not an exported function (the magic bytes differ) (at byte 8).");
  EXPECT_EQ(import_error("MLX"), "[import_function] Malformed file " + path_ +
                                     ": the file is too short to be an exported function (at "
                                     "byte 0).");
}

TEST_F(ExportFiles, VersionMismatch) {
  auto bytes = good_;
  bytes[8] = 2;
  EXPECT_EQ(import_error(bytes),
            "[import_function] " + path_ + " has format version 2; this build reads version 1.");
}

TEST_F(ExportFiles, EveryTruncationIsAnError) {
  ASSERT_EQ(import_error(good_), "");
  for (size_t n = 0; n < good_.size(); ++n) {
    auto msg = import_error(good_.substr(0, n));
    EXPECT_EQ(msg.rfind("[import_function] Malformed file", 0), 0u) << n << ": " << msg;
  }
  EXPECT_NE(import_error(good_ + "x").find("1 bytes after the end of the function"),
            std::string::npos);
}

TEST_F(ExportFiles, EveryDamagedByteIsAnError) {
  for (size_t i = 0; i < good_.size(); ++i) {
    auto bytes = good_;
    bytes[i] = static_cast<char>(bytes[i] ^ (1 << (i % 8)));
    auto msg = import_error(bytes);
    EXPECT_EQ(msg.rfind("[import_function] ", 0), 0u) << i << ": " << msg;
  }
}

TEST_F(ExportFiles, DamagedConstantIsCaughtByTheChecksum) {
  // The bytes of w = 1, 2, 3, 4 (float32) sit in the file as they are.
  float one = 2.0f;
  auto at = good_.find(std::string(reinterpret_cast<const char*>(&one), 4));
  ASSERT_NE(at, std::string::npos);
  auto bytes = good_;
  bytes[at + 3] = static_cast<char>(bytes[at + 3] ^ 0x01);
  auto msg = import_error(bytes);
  EXPECT_NE(msg.find("the checksum of the trace does not match (the file is damaged)"),
            std::string::npos)
      << msg;
}

// Every primitive class declared in src/ops/*.h is exportable or refused with a clear error.
TEST(ExportPrimitives, EveryPrimitiveIsCovered) {
  std::set<std::string> known;
  for (auto& k : detail::exportable_primitives()) {
    known.insert(k.substr(k.rfind(':') == std::string::npos ? 0 : k.rfind(':') + 1));
  }
  for (auto& k : detail::unexportable_primitives()) {
    known.insert(k);
  }
  // Abstract bases, not primitives of their own.
  const std::set<std::string> bases = {"Custom", "PrimitiveWithParams"};
  std::regex decl(R"(class\s+(\w+)\s*(?:final\s*)?:\s*public\s+(\w+))");
  int found = 0;
  for (auto& entry :
       std::filesystem::directory_iterator(std::string(MLX_SOURCE_DIR) + "/src/ops")) {
    if (entry.path().extension() != ".h") {
      continue;
    }
    auto text = read_bytes(entry.path().string());
    for (std::sregex_iterator it(text.begin(), text.end(), decl), end; it != end; ++it) {
      auto name = (*it)[1].str();
      if (bases.count(name)) {
        continue;
      }
      ++found;
      EXPECT_TRUE(known.count(name))
          << name << " (" << entry.path().filename().string()
          << ") is neither exportable nor listed as unexportable: add it to the registry in "
             "src/transforms/export.cpp";
    }
  }
  EXPECT_GT(found, 60);
}

}  // namespace
}  // namespace mlx::core
