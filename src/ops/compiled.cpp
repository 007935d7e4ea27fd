// The Compiled primitive's rules. A fused region differentiates and batches as the nodes it
// replaced: each rule rebuilds the region from those nodes' primitives on the real inputs and
// hands it to the ordinary transformation, so grad(compile(f)) and vmap(compile(f)) see plain
// ops (which an enclosing compile may fuse again).
#include "ops/compiled.h"

#include <sstream>

#include "mlx/transforms.h"
#include "mlx/utils.h"

namespace mlx::core {

Compiled::Compiled(Stream s, FusedProgram program,
                   std::vector<std::shared_ptr<Primitive>> primitives)
    : Primitive(s), program_(std::move(program)), primitives_(std::move(primitives)) {}

std::vector<array> Compiled::replay(const std::vector<array>& inputs) const {
  // Every node of the region has its output shape: the inputs' broadcast shape, or what a
  // Broadcast step names (the two agree).
  Shape shape;
  for (auto& in : inputs) {
    shape = broadcast_shapes(shape, in.shape());
  }
  for (auto& step : program_.steps) {
    if (step.kind == FusedStep::Kind::Broadcast) {
      shape = step.shape;
      break;
    }
  }
  std::vector<array> values(inputs.begin(), inputs.end());
  values.reserve(inputs.size() + program_.steps.size());
  std::vector<array> args;
  for (size_t k = 0; k < program_.steps.size(); ++k) {
    auto& step = program_.steps[k];
    args.clear();
    for (auto v : step.inputs) {
      args.push_back(values[v]);
    }
    values.emplace_back(shape, step.out_dtype, primitives_[k], args);
  }
  std::vector<array> outputs;
  for (auto v : program_.outputs) {
    outputs.push_back(values[v]);
  }
  return outputs;
}

bool Compiled::is_equivalent(const Primitive& other) const {
  auto c = dynamic_cast<const Compiled*>(&other);
  return c != nullptr && c->program_ == program_;
}

size_t Compiled::hash() const {
  size_t h = params::combine(program_.num_inputs, program_.steps.size());
  for (auto& step : program_.steps) {
    h = params::combine(h, static_cast<size_t>(step.kind));
    h = params::combine(h, static_cast<size_t>(step.op));
    h = params::combine(h, params::hash_value(step.out_dtype));
  }
  return h;
}

void Compiled::print(std::ostream& os) const {
  os << name() << "(";
  for (size_t k = 0; k < primitives_.size(); ++k) {
    os << (k ? ", " : "");
    primitives_[k]->print(os);
  }
  os << ")";
}

std::vector<Shape> Compiled::output_shapes(const std::vector<array>& inputs) {
  for (auto& step : program_.steps) {
    if (step.kind == FusedStep::Kind::Broadcast) {
      std::ostringstream msg;
      msg << "[Compiled] The region broadcasts to the fixed shape " << step.shape
          << ", so its output shape does not follow from its inputs.";
      throw std::invalid_argument(msg.str());
    }
  }
  Shape shape;
  for (auto& in : inputs) {
    shape = broadcast_shapes(shape, in.shape());
  }
  return std::vector<Shape>(program_.outputs.size(), shape);
}

namespace {

// The region as a function of the inputs at `argnums` only, the others held fixed: the
// transformations then trace (and differentiate) just those.
std::function<std::vector<array>(const std::vector<array>&)> replay_of(
    const Compiled& c, const std::vector<array>& primals, const std::vector<int>& argnums) {
  return [&c, &primals, &argnums](const std::vector<array>& xs) {
    auto inputs = primals;
    for (size_t i = 0; i < argnums.size(); ++i) {
      inputs[argnums[i]] = xs[i];
    }
    return c.replay(inputs);
  };
}

std::vector<array> at(const std::vector<array>& primals, const std::vector<int>& argnums) {
  std::vector<array> out;
  for (int a : argnums) {
    out.push_back(primals[a]);
  }
  return out;
}

}  // namespace

std::vector<array> Compiled::vjp(const std::vector<array>& primals,
                                 const std::vector<array>& cotangents,
                                 const std::vector<int>& argnums, const std::vector<array>&) {
  return mlx::core::vjp(replay_of(*this, primals, argnums), at(primals, argnums), cotangents)
      .second;
}

std::vector<array> Compiled::jvp(const std::vector<array>& primals,
                                 const std::vector<array>& tangents,
                                 const std::vector<int>& argnums) {
  return mlx::core::jvp(replay_of(*this, primals, argnums), at(primals, argnums), tangents).second;
}

std::pair<std::vector<array>, std::vector<int>> Compiled::vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes) {
  auto outputs =
      mlx::core::vmap([this](const std::vector<array>& xs) { return replay(xs); }, axes)(inputs);
  return {outputs, std::vector<int>(outputs.size(), 0)};
}

}  // namespace mlx::core
