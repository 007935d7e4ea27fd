// vmap: trace the function on unbatched placeholders, then rebuild the traced graph on the real
// (batched) inputs, calling each primitive's vmap rule where an input is batched.
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include "mlx/ops.h"
#include "mlx/primitives.h"
#include "mlx/transforms.h"
#include "mlx/transforms_impl.h"
#include "ops/primitive_params.h"
#include "transforms/sort.h"

namespace mlx::core {

namespace {

array move_axis(const array& a, int from, int to) {
  if (from == to) {
    return a;
  }
  std::vector<int> perm(a.ndim());
  std::iota(perm.begin(), perm.end(), 0);
  perm.erase(perm.begin() + from);
  perm.insert(perm.begin() + to, from);
  return transpose(a, perm);
}

}  // namespace

std::function<std::vector<array>(const std::vector<array>&)> vmap(
    const std::function<std::vector<array>(const std::vector<array>&)>& fun,
    const std::vector<int>& in_axes, const std::vector<int>& out_axes) {
  return [fun, in_axes, out_axes](const std::vector<array>& inputs) {
    auto axes = in_axes.empty() ? std::vector<int>(inputs.size(), 0) : in_axes;
    if (axes.size() != inputs.size()) {
      throw std::invalid_argument("[vmap] Got " + std::to_string(axes.size()) + " input axes for " +
                                  std::to_string(inputs.size()) + " inputs.");
    }
    // Placeholders: the inputs without their batch axis.
    int batch = -1;
    std::vector<array> placeholders;
    std::unordered_map<std::uintptr_t, std::pair<array, int>> batched;
    detail::InTracing in_tracing;
    for (size_t i = 0; i < inputs.size(); ++i) {
      int ax = axes[i];
      if (ax == -1) {
        placeholders.push_back(inputs[i]);
        continue;
      }
      int nd = static_cast<int>(inputs[i].ndim());
      if (ax < 0 || ax >= nd) {
        throw std::invalid_argument("[vmap] Input axis " + std::to_string(ax) + " of input " +
                                    std::to_string(i) + " is out of bounds for an array with " +
                                    std::to_string(nd) + " dimensions.");
      }
      int size = inputs[i].shape(ax);
      if (batch >= 0 && size != batch) {
        throw std::invalid_argument("[vmap] Inconsistent sizes of the mapped axes: " +
                                    std::to_string(batch) + " and " + std::to_string(size) + ".");
      }
      batch = size;
      auto shape = inputs[i].shape();
      shape.erase(shape.begin() + ax);
      placeholders.emplace_back(shape, inputs[i].dtype(), nullptr, std::vector<array>{});
      placeholders.back().set_tracer(true);
      batched.emplace(placeholders.back().id(), std::make_pair(inputs[i], ax));
    }
    if (batch < 0) {
      throw std::invalid_argument("[vmap] At least one input must be mapped.");
    }
    auto outputs = fun(placeholders);
    auto oaxes = out_axes.empty() ? std::vector<int>(outputs.size(), 0) : out_axes;
    if (oaxes.size() != outputs.size()) {
      throw std::invalid_argument("[vmap] Got " + std::to_string(oaxes.size()) +
                                  " output axes for " + std::to_string(outputs.size()) +
                                  " outputs.");
    }

    std::unordered_set<std::uintptr_t> depends;
    for (auto& [id, _] : batched) {
      depends.insert(id);
    }
    auto tape = detail::sort_dependents(outputs, depends, /* stop_at_stop_gradient = */ false);

    for (auto& node : tape) {
      std::vector<array> v_inputs;
      std::vector<int> v_axes;
      for (auto& in : node.inputs()) {
        auto b = batched.find(in.id());
        if (b != batched.end()) {
          v_inputs.push_back(b->second.first);
          v_axes.push_back(b->second.second);
        } else {
          v_inputs.push_back(in);
          v_axes.push_back(-1);
        }
      }
      auto [v_outputs, v_out_axes] = node.primitive().vmap(v_inputs, v_axes);
      auto node_outputs = node.outputs();
      for (size_t i = 0; i < v_outputs.size(); ++i) {
        batched.emplace(node_outputs[i].id(), std::make_pair(v_outputs[i], v_out_axes[i]));
      }
    }

    std::vector<array> results;
    for (size_t i = 0; i < outputs.size(); ++i) {
      int oax = oaxes[i];
      auto b = batched.find(outputs[i].id());
      if (b == batched.end()) {
        // The output does not depend on a mapped input: repeat it along the batch axis.
        auto& out = outputs[i];
        int nd = static_cast<int>(out.ndim()) + 1;
        if (oax < 0 || oax >= nd) {
          throw std::invalid_argument("[vmap] Output axis " + std::to_string(oax) +
                                      " is out of bounds for an output with " + std::to_string(nd) +
                                      " dimensions.");
        }
        auto shape = out.shape();
        shape.insert(shape.begin() + oax, batch);
        results.push_back(broadcast_to(expand_dims(out, oax), shape));
        continue;
      }
      auto [out, vax] = b->second;
      int nd = static_cast<int>(out.ndim());
      if (oax < 0 || oax >= nd) {
        throw std::invalid_argument("[vmap] Output axis " + std::to_string(oax) +
                                    " is out of bounds for an output with " + std::to_string(nd) +
                                    " dimensions.");
      }
      results.push_back(move_axis(out, vax, oax));
    }
    return results;
  };
}

std::function<array(const array&)> vmap(const std::function<array(const array&)>& fun, int in_axis,
                                        int out_axis) {
  auto vf = vmap([fun](const std::vector<array>& in) { return std::vector<array>{fun(in[0])}; },
                 {in_axis}, {out_axis});
  return [vf](const array& x) { return vf({x})[0]; };
}

std::function<array(const array&, const array&)> vmap(
    const std::function<array(const array&, const array&)>& fun, int in_axis_a, int in_axis_b,
    int out_axis) {
  auto vf =
      vmap([fun](const std::vector<array>& in) { return std::vector<array>{fun(in[0], in[1])}; },
           {in_axis_a, in_axis_b}, {out_axis});
  return [vf](const array& a, const array& b) { return vf({a, b})[0]; };
}

}  // namespace mlx::core

namespace mlx::core {

array move_batch_axis(const array& x, int axis, int to, Stream s) {
  if (axis < 0) {
    return expand_dims(x, to, s);
  }
  if (axis == to) {
    return x;
  }
  std::vector<int> perm;
  for (int i = 0; i < static_cast<int>(x.ndim()); ++i) {
    if (i != axis) perm.push_back(i);
  }
  perm.insert(perm.begin() + to, axis);
  return transpose(x, perm, s);
}

std::vector<array> batch_in_front(const std::vector<array>& inputs, const std::vector<int>& axes,
                                  Stream s) {
  std::vector<array> out;
  out.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    out.push_back(move_batch_axis(inputs[i], axes[i], 0, s));
  }
  return out;
}

}  // namespace mlx::core
