// custom_function, custom_vjp, checkpoint and the rules of their CustomTransforms node.
//
// custom_function calls fun, then wraps its outputs in one node whose inputs are fun's inputs
// followed by fun's outputs. With a derivative rule, those trailing inputs pass through
// stop_gradient, so vjp and jvp see the node's rules instead of fun's graph; a derivative rule
// left out then transforms fun again (re-tracing it). With only a vmap rule, the derivatives
// flow through the trailing inputs into fun's graph, as if the wrapper were not there.
//
// vmap without a rule keeps the custom derivatives: it builds a new node for the batched
// function whose rules are the user's rules under vmap, so grad(vmap(checkpoint(f))) still
// recomputes and vmap(custom_vjp(f, r)) still differentiates with r.
#include <algorithm>
#include <sstream>

#include "mlx/ops.h"
#include "mlx/transforms.h"
#include "ops/custom.h"

namespace mlx::core {

namespace {

using Fun = std::function<std::vector<array>(const std::vector<array>&)>;

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << s;
  return os.str();
}

[[noreturn]] void rule_error(const std::string& msg) {
  throw std::invalid_argument("[custom_function] " + msg);
}

Shape without_axis(Shape shape, int axis) {
  if (axis >= 0) {
    shape.erase(shape.begin() + axis);
  }
  return shape;
}

// The user's vjp rule, checked: one cotangent per input, of the input's shape (and cast to its
// dtype, so cotangents summed from several uses keep the primal's dtype).
std::vector<array> call_vjp(const CustomVJPFunction& rule, const std::vector<array>& primals,
                            const std::vector<array>& cotangents,
                            const std::vector<array>& outputs) {
  auto vjps = rule(primals, cotangents, outputs);
  if (vjps.size() != primals.size()) {
    rule_error("The vjp rule returned " + std::to_string(vjps.size()) +
               " cotangents for a function of " + std::to_string(primals.size()) + " inputs.");
  }
  for (size_t i = 0; i < vjps.size(); ++i) {
    if (vjps[i].shape() != primals[i].shape()) {
      rule_error("The vjp rule returned a cotangent of shape " + shape_str(vjps[i].shape()) +
                 " for input " + std::to_string(i) + " of shape " + shape_str(primals[i].shape()) +
                 ".");
    }
    if (vjps[i].dtype() != primals[i].dtype()) {
      vjps[i] = astype(vjps[i], primals[i].dtype());
    }
  }
  return vjps;
}

// The user's jvp rule, checked against the outputs' shapes and dtypes.
std::vector<array> call_jvp(const CustomJVPFunction& rule, const std::vector<array>& primals,
                            const std::vector<array>& tangents, const std::vector<int>& argnums,
                            const std::vector<Shape>& out_shapes,
                            const std::vector<Dtype>& out_dtypes) {
  auto jvps = rule(primals, tangents, argnums);
  if (jvps.size() != out_shapes.size()) {
    rule_error("The jvp rule returned " + std::to_string(jvps.size()) +
               " tangents for a function of " + std::to_string(out_shapes.size()) + " outputs.");
  }
  for (size_t i = 0; i < jvps.size(); ++i) {
    if (jvps[i].shape() != out_shapes[i]) {
      rule_error("The jvp rule returned a tangent of shape " + shape_str(jvps[i].shape()) +
                 " for output " + std::to_string(i) + " of shape " + shape_str(out_shapes[i]) +
                 ".");
    }
    if (jvps[i].dtype() != out_dtypes[i]) {
      jvps[i] = astype(jvps[i], out_dtypes[i]);
    }
  }
  return jvps;
}

// The node over `inputs` whose outputs are `outputs` (fun's, already through stop_gradient when
// the rules say so).
std::vector<array> make_node(std::vector<array> inputs, const std::vector<array>& outputs,
                             CustomRules rules, Stream s) {
  std::vector<Shape> shapes;
  std::vector<Dtype> dtypes;
  for (auto& out : outputs) {
    shapes.push_back(out.shape());
    dtypes.push_back(out.dtype());
  }
  inputs.insert(inputs.end(), outputs.begin(), outputs.end());
  return array::make_arrays(
      std::move(shapes), dtypes,
      std::make_shared<CustomTransforms>(s, static_cast<int>(outputs.size()), std::move(rules)),
      inputs);
}

// The vjp rule of the batched function: the user's rule under vmap (primals batched along
// `in_axes`, cotangents and outputs along 0); an unbatched input's cotangent sums the batch.
CustomVJPFunction batched_vjp(CustomVJPFunction rule, std::vector<int> in_axes, Stream s) {
  return [rule = std::move(rule), in_axes = std::move(in_axes), s](
             const std::vector<array>& primals, const std::vector<array>& cotangents,
             const std::vector<array>& outputs) {
    size_t n = primals.size(), nc = cotangents.size();
    auto args = primals;
    args.insert(args.end(), cotangents.begin(), cotangents.end());
    args.insert(args.end(), outputs.begin(), outputs.end());
    auto axes = in_axes;
    axes.resize(args.size(), 0);
    auto vjps = vmap(
        [&](const std::vector<array>& a) {
          return call_vjp(rule, {a.begin(), a.begin() + n}, {a.begin() + n, a.begin() + n + nc},
                          {a.begin() + n + nc, a.end()});
        },
        axes)(args);
    for (size_t i = 0; i < n; ++i) {
      vjps[i] =
          in_axes[i] < 0 ? sum(vjps[i], 0, false, s) : move_batch_axis(vjps[i], 0, in_axes[i], s);
    }
    return vjps;
  };
}

// The jvp rule of the batched function: the user's rule under vmap (primals and their tangents
// batched along `in_axes`), giving tangents batched along 0 like the batched outputs.
CustomJVPFunction batched_jvp(CustomJVPFunction rule, std::vector<int> in_axes,
                              std::vector<Shape> out_shapes, std::vector<Dtype> out_dtypes) {
  return [rule = std::move(rule), in_axes = std::move(in_axes), out_shapes = std::move(out_shapes),
          out_dtypes = std::move(out_dtypes)](const std::vector<array>& primals,
                                              const std::vector<array>& tangents,
                                              const std::vector<int>& argnums) {
    size_t n = primals.size();
    auto args = primals;
    args.insert(args.end(), tangents.begin(), tangents.end());
    auto axes = in_axes;
    for (int a : argnums) {
      axes.push_back(in_axes[a]);
    }
    return vmap(
        [&](const std::vector<array>& a) {
          return call_jvp(rule, {a.begin(), a.begin() + n}, {a.begin() + n, a.end()}, argnums,
                          out_shapes, out_dtypes);
        },
        axes)(args);
  };
}

}  // namespace

std::vector<Shape> CustomTransforms::output_shapes(const std::vector<array>& inputs) {
  std::vector<Shape> shapes;
  for (auto it = inputs.end() - num_outputs_; it != inputs.end(); ++it) {
    shapes.push_back(it->shape());
  }
  return shapes;
}

std::vector<array> CustomTransforms::vjp(const std::vector<array>& primals,
                                         const std::vector<array>& cotangents,
                                         const std::vector<int>& argnums,
                                         const std::vector<array>& outputs) {
  size_t n_in = primals.size() - num_outputs_;
  std::vector<array> inputs(primals.begin(), primals.begin() + n_in);
  std::vector<array> input_vjps;
  bool wants_inputs = !argnums.empty() && static_cast<size_t>(argnums.front()) < n_in;
  if (wants_inputs && rules_.stops_gradient()) {
    input_vjps = rules_.vjp ? call_vjp(*rules_.vjp, inputs, cotangents, outputs)
                            : mlx::core::vjp(rules_.fun, inputs, cotangents).second;
  }
  // Without stop_gradient the cotangents go on into fun's graph through the trailing inputs,
  // which reaches the inputs; the direct edges to the inputs carry nothing.
  std::vector<array> vjps;
  for (int a : argnums) {
    size_t i = static_cast<size_t>(a);
    if (i >= n_in) {
      vjps.push_back(cotangents[i - n_in]);
    } else {
      vjps.push_back(input_vjps.empty() ? zeros_like(primals[i], stream()) : input_vjps[i]);
    }
  }
  return vjps;
}

std::vector<array> CustomTransforms::jvp(const std::vector<array>& primals,
                                         const std::vector<array>& tangents,
                                         const std::vector<int>& argnums) {
  size_t n_in = primals.size() - num_outputs_;
  std::vector<Shape> out_shapes;
  std::vector<Dtype> out_dtypes;
  for (size_t i = n_in; i < primals.size(); ++i) {
    out_shapes.push_back(primals[i].shape());
    out_dtypes.push_back(primals[i].dtype());
  }
  if (!rules_.stops_gradient()) {
    // The tangents came through fun's graph to the trailing inputs.
    std::vector<array> jvps;
    for (size_t i = n_in; i < primals.size(); ++i) {
      auto it = std::find(argnums.begin(), argnums.end(), static_cast<int>(i));
      jvps.push_back(it == argnums.end() ? zeros_like(primals[i], stream())
                                         : tangents[it - argnums.begin()]);
    }
    return jvps;
  }
  // stop_gradient keeps the trailing inputs out of argnums.
  std::vector<array> inputs(primals.begin(), primals.begin() + n_in);
  if (rules_.jvp) {
    return call_jvp(*rules_.jvp, inputs, tangents, argnums, out_shapes, out_dtypes);
  }
  std::vector<array> all_tangents;
  for (size_t i = 0, j = 0; i < n_in; ++i) {
    if (j < argnums.size() && static_cast<size_t>(argnums[j]) == i) {
      all_tangents.push_back(tangents[j++]);
    } else {
      all_tangents.push_back(zeros_like(inputs[i], stream()));
    }
  }
  return mlx::core::jvp(rules_.fun, inputs, all_tangents).second;
}

std::pair<std::vector<array>, std::vector<int>> CustomTransforms::vmap(
    const std::vector<array>& inputs, const std::vector<int>& axes) {
  size_t n_in = inputs.size() - num_outputs_;
  std::vector<array> ins(inputs.begin(), inputs.begin() + n_in);
  std::vector<int> in_axes(axes.begin(), axes.begin() + n_in);
  int batch = -1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (axes[i] >= 0) {
      batch = inputs[i].shape(axes[i]);
    }
  }
  // The function's outputs without their batch axis: what a rule's outputs must match.
  std::vector<Shape> out_shapes;
  std::vector<Dtype> out_dtypes;
  for (size_t i = n_in; i < inputs.size(); ++i) {
    out_shapes.push_back(without_axis(inputs[i].shape(), axes[i]));
    out_dtypes.push_back(inputs[i].dtype());
  }

  if (rules_.vmap) {
    auto [outs, out_axes] = (*rules_.vmap)(ins, in_axes);
    if (outs.size() != static_cast<size_t>(num_outputs_) || out_axes.size() != outs.size()) {
      rule_error("The vmap rule returned " + std::to_string(outs.size()) + " outputs and " +
                 std::to_string(out_axes.size()) + " output axes for a function of " +
                 std::to_string(num_outputs_) + " outputs.");
    }
    for (size_t j = 0; j < outs.size(); ++j) {
      int ax = out_axes[j];
      int nd = static_cast<int>(outs[j].ndim());
      bool ok = ax >= -1 && ax < nd && without_axis(outs[j].shape(), ax) == out_shapes[j] &&
                (ax < 0 || outs[j].shape(ax) == batch);
      if (!ok) {
        rule_error("The vmap rule returned output " + std::to_string(j) + " of shape " +
                   shape_str(outs[j].shape()) + " batched along axis " + std::to_string(ax) +
                   ", but the function's output has shape " + shape_str(out_shapes[j]) +
                   " and the batch size is " + std::to_string(batch) + ".");
      }
      if (ax < 0) {
        // An output the rule left unbatched is the same for every element of the batch.
        auto shape = outs[j].shape();
        shape.insert(shape.begin(), batch);
        outs[j] = broadcast_to(expand_dims(outs[j], 0, stream()), shape, stream());
        out_axes[j] = 0;
      }
    }
    return {outs, out_axes};
  }

  // No vmap rule (so there is a derivative rule): the vmap transform has already batched fun's
  // graph into the trailing inputs; reuse them, batched along 0, under a node of the batched
  // function with batched rules.
  std::vector<array> outs;
  for (size_t i = n_in; i < inputs.size(); ++i) {
    array out = inputs[i];
    if (axes[i] < 0) {
      auto shape = out.shape();
      shape.insert(shape.begin(), batch);
      out = broadcast_to(expand_dims(out, 0, stream()), shape, stream());
    } else {
      out = move_batch_axis(out, axes[i], 0, stream());
    }
    outs.push_back(stop_gradient(out, stream()));
  }
  CustomRules batched{mlx::core::vmap(rules_.fun, in_axes), std::nullopt, std::nullopt,
                      std::nullopt};
  if (rules_.vjp) {
    batched.vjp = batched_vjp(*rules_.vjp, in_axes, stream());
  }
  if (rules_.jvp) {
    batched.jvp = batched_jvp(*rules_.jvp, in_axes, out_shapes, out_dtypes);
  }
  return {make_node(ins, outs, std::move(batched), stream()), std::vector<int>(num_outputs_, 0)};
}

Fun custom_function(Fun fun, std::optional<CustomVJPFunction> fun_vjp,
                    std::optional<CustomJVPFunction> fun_jvp,
                    std::optional<CustomVMapFunction> fun_vmap) {
  if (!fun_vjp && !fun_jvp && !fun_vmap) {
    return fun;
  }
  CustomRules rules{std::move(fun), std::move(fun_vjp), std::move(fun_jvp), std::move(fun_vmap)};
  return [rules = std::move(rules)](const std::vector<array>& args) {
    auto outputs = rules.fun(args);
    if (outputs.empty()) {
      rule_error("The function must return at least one array.");
    }
    Stream s = outputs[0].has_primitive() ? outputs[0].primitive().stream()
                                          : default_stream(default_device());
    if (rules.stops_gradient()) {
      for (auto& out : outputs) {
        out = stop_gradient(out, s);
      }
    }
    return make_node(args, outputs, rules, s);
  };
}

Fun custom_vjp(Fun fun, CustomVJPFunction fun_vjp) {
  return custom_function(std::move(fun), std::move(fun_vjp));
}

Fun checkpoint(Fun fun) {
  // depends ties the recomputation to the forward outputs: it cannot run before them or be
  // merged with the forward pass, so the forward's intermediates can be freed as it goes. The
  // tie goes through stop_gradient so that grad of grad sends no (zero) cotangent back along it.
  CustomVJPFunction recompute = [fun](const std::vector<array>& primals,
                                      const std::vector<array>& cotangents,
                                      const std::vector<array>& outputs) {
    std::vector<array> after;
    for (auto& out : outputs) {
      after.push_back(stop_gradient(out));
    }
    return vjp(fun, depends(primals, after), cotangents).second;
  };
  return custom_vjp(std::move(fun), std::move(recompute));
}

}  // namespace mlx::core
