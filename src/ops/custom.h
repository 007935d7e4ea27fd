// Internal: the node custom_function, custom_vjp and checkpoint wrap a function's outputs in.
#pragma once

#include <functional>
#include <optional>

#include "mlx/transforms.h"
#include "ops/primitive_params.h"

namespace mlx::core {

// A function and the rules that replace transforming it. A rule left out falls back to
// transforming `fun`.
struct CustomRules {
  std::function<std::vector<array>(const std::vector<array>&)> fun;
  std::optional<CustomVJPFunction> vjp;
  std::optional<CustomJVPFunction> jvp;
  std::optional<CustomVMapFunction> vmap;

  // With a derivative rule, the node's trailing inputs (fun's outputs) pass through
  // stop_gradient, so vjp and jvp never reach fun's graph and only the node's rules apply.
  bool stops_gradient() const { return vjp.has_value() || jvp.has_value(); }
};

// Inputs: the function's inputs followed by its outputs; the node's outputs share the buffers of
// those trailing inputs. Its vjp, jvp and vmap are the rules'. Never equivalent to another node
// (the rules are opaque closures), so compile cannot merge two of them.
class CustomTransforms : public Primitive {
 public:
  CustomTransforms(Stream s, int num_outputs, CustomRules rules)
      : Primitive(s), num_outputs_(num_outputs), rules_(std::move(rules)) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>&, std::vector<array>&) override { no_gpu_backend(name()); }
  MLX_TRANSFORM_RULES()
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
  const char* name() const override { return "CustomTransforms"; }
  void print(std::ostream& os) const override { os << name() << "(" << num_outputs_ << ")"; }

 private:
  int num_outputs_;
  CustomRules rules_;
};

}  // namespace mlx::core
