// Function transformations: vjp, jvp, grad, value_and_grad, vmap.
//
// Each traces the function on tracer inputs, sorts the resulting graph (iteratively: graphs can
// be deep), then calls every primitive's vjp, jvp or vmap rule. The rules are written with ops,
// so the results are graphs too and the transformations compose (grad of grad, vmap of grad).
#include <algorithm>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "mlx/ops.h"
#include "mlx/primitives.h"
#include "mlx/transforms.h"
#include "mlx/transforms_impl.h"
#include "ops/gradient.h"
#include "transforms/sort.h"

namespace mlx::core {

namespace detail {

namespace {
thread_local int tracing_depth = 0;
thread_local int dynamic_depth = 0;
thread_local int grad_depth = 0;
thread_local int retain_depth = 0;
}  // namespace

InTracing::InTracing(bool dynamic, bool grad) {
  tracing_depth++;
  dynamic_depth += dynamic;
  grad_depth += grad;
  dynamic_ = dynamic;
  grad_ = grad;
}
InTracing::~InTracing() {
  tracing_depth--;
  dynamic_depth -= dynamic_;
  grad_depth -= grad_;
}
bool InTracing::in_tracing() { return tracing_depth > 0; }
bool InTracing::in_dynamic_tracing() { return dynamic_depth > 0; }
bool InTracing::in_grad_tracing() { return grad_depth > 0; }
bool InTracing::in_non_grad_tracing() { return tracing_depth > grad_depth; }

RetainGraph::RetainGraph() { retain_depth++; }
RetainGraph::~RetainGraph() { retain_depth--; }
bool RetainGraph::retain_graph() { return retain_depth > 0; }

}  // namespace detail

namespace {

Stream stream_of(const array& a) {
  return a.has_primitive() ? a.primitive().stream() : default_stream(default_device());
}

// Makes tracer handles for the primals: new nodes (sharing the data) whose ids mark where the
// traced graph starts.
std::vector<array> make_tracers(const std::vector<array>& primals) {
  std::vector<array> tracers;
  tracers.reserve(primals.size());
  for (auto& p : primals) {
    tracers.push_back(copy(p, stream_of(p)));
    tracers.back().set_tracer(true);
  }
  return tracers;
}

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << s;
  return os.str();
}

}  // namespace

namespace detail {

std::vector<array> sort_dependents(const std::vector<array>& outputs,
                                   std::unordered_set<std::uintptr_t>& depends,
                                   bool stop_at_stop_gradient) {
  std::unordered_set<std::uintptr_t> visited(depends.begin(), depends.end());
  std::vector<array> tape;
  std::vector<std::pair<array, size_t>> stack;
  for (auto& out : outputs) {
    if (!visited.insert(out.id()).second) {
      continue;
    }
    stack.emplace_back(out, 0);
    while (!stack.empty()) {
      auto& [a, i] = stack.back();
      if (i == 0) {
        for (auto& s : a.siblings()) {
          visited.insert(s.id());
        }
      }
      if (i < a.inputs().size()) {
        array in = a.inputs()[i++];
        if (visited.insert(in.id()).second) {
          stack.emplace_back(std::move(in), 0);
        }
        continue;
      }
      array node = std::move(a);
      stack.pop_back();
      if (stop_at_stop_gradient && node.has_primitive() &&
          typeid(node.primitive()) == typeid(StopGradient)) {
        continue;
      }
      for (auto& in : node.inputs()) {
        if (depends.count(in.id())) {
          depends.insert(node.id());
          for (auto& s : node.siblings()) {
            depends.insert(s.id());
          }
          tape.push_back(node);
          break;
        }
      }
    }
  }
  return tape;
}

}  // namespace detail

std::pair<std::vector<array>, std::vector<array>> vjp(
    const std::function<std::vector<array>(const std::vector<array>&)>& fun,
    const std::vector<array>& primals, const std::vector<array>& cotangents) {
  detail::InTracing in_tracing(false, true);
  auto tracers = make_tracers(primals);
  auto outputs = fun(tracers);

  // Outputs that come straight from stop_gradient take no cotangent (value_and_grad passes one
  // for the differentiated output only).
  std::unordered_map<std::uintptr_t, array> cotan;
  size_t next = 0;
  for (size_t i = 0; i < outputs.size(); ++i) {
    auto& out = outputs[i];
    if (cotangents.size() < outputs.size() && out.has_primitive() &&
        typeid(out.primitive()) == typeid(StopGradient)) {
      continue;
    }
    if (next >= cotangents.size()) {
      throw std::invalid_argument("[vjp] The function has " + std::to_string(outputs.size()) +
                                  " outputs but " + std::to_string(cotangents.size()) +
                                  " cotangents were given.");
    }
    auto& ct = cotangents[next];
    if (out.shape() != ct.shape()) {
      throw std::invalid_argument("[vjp] Output " + std::to_string(i) + " has shape " +
                                  shape_str(out.shape()) + " but its cotangent has shape " +
                                  shape_str(ct.shape()) + ".");
    }
    ++next;
    auto c = astype(ct, out.dtype(), stream_of(out));
    auto it = cotan.find(out.id());
    if (it == cotan.end()) {
      cotan.emplace(out.id(), c);
    } else {
      it->second = add(it->second, c, stream_of(out));
    }
  }
  if (next != cotangents.size()) {
    throw std::invalid_argument("[vjp] The function has " + std::to_string(outputs.size()) +
                                " outputs but " + std::to_string(cotangents.size()) +
                                " cotangents were given.");
  }

  std::unordered_set<std::uintptr_t> needs_grad;
  for (auto& t : tracers) {
    needs_grad.insert(t.id());
  }
  auto tape = detail::sort_dependents(outputs, needs_grad, /* stop_at_stop_gradient = */ true);

  for (auto it = tape.rbegin(); it != tape.rend(); ++it) {
    auto& node = *it;
    auto node_outputs = node.outputs();
    bool any = std::any_of(node_outputs.begin(), node_outputs.end(),
                           [&](const array& o) { return cotan.count(o.id()) > 0; });
    if (!any) {
      continue;
    }
    std::vector<int> argnums;
    for (size_t i = 0; i < node.inputs().size(); ++i) {
      if (needs_grad.count(node.inputs()[i].id())) {
        argnums.push_back(static_cast<int>(i));
      }
    }
    auto s = node.primitive().stream();
    std::vector<array> cts;
    for (auto& o : node_outputs) {
      auto c = cotan.find(o.id());
      if (c != cotan.end()) {
        cts.push_back(c->second);
        cotan.erase(c);
      } else {
        cts.push_back(zeros_like(o, s));
      }
    }
    std::vector<array> vjps;
    {
      detail::RetainGraph retain;
      vjps = node.primitive().vjp(node.inputs(), cts, argnums, node_outputs);
    }
    for (size_t i = 0; i < argnums.size(); ++i) {
      auto id = node.inputs()[argnums[i]].id();
      auto c = cotan.find(id);
      if (c == cotan.end()) {
        cotan.emplace(id, vjps[i]);
      } else {
        c->second = add(c->second, vjps[i], s);
      }
    }
  }

  std::vector<array> grads;
  for (auto& t : tracers) {
    auto c = cotan.find(t.id());
    grads.push_back(c != cotan.end() ? c->second : zeros_like(t, stream_of(t)));
  }
  return {outputs, grads};
}

std::pair<array, array> vjp(const std::function<array(const array&)>& fun, const array& primal,
                            const array& cotangent) {
  auto [outs, grads] =
      vjp([&fun](const std::vector<array>& in) { return std::vector<array>{fun(in[0])}; }, {primal},
          {cotangent});
  return {outs[0], grads[0]};
}

std::pair<std::vector<array>, std::vector<array>> jvp(
    const std::function<std::vector<array>(const std::vector<array>&)>& fun,
    const std::vector<array>& primals, const std::vector<array>& tangents) {
  if (primals.size() != tangents.size()) {
    throw std::invalid_argument("[jvp] Got " + std::to_string(primals.size()) + " primals but " +
                                std::to_string(tangents.size()) + " tangents.");
  }
  for (size_t i = 0; i < primals.size(); ++i) {
    if (primals[i].shape() != tangents[i].shape()) {
      throw std::invalid_argument("[jvp] Primal " + std::to_string(i) + " has shape " +
                                  shape_str(primals[i].shape()) + " but its tangent has shape " +
                                  shape_str(tangents[i].shape()) + ".");
    }
  }
  detail::InTracing in_tracing(false, true);
  auto tracers = make_tracers(primals);
  auto outputs = fun(tracers);

  std::unordered_set<std::uintptr_t> depends;
  std::unordered_map<std::uintptr_t, array> tan;
  for (size_t i = 0; i < tracers.size(); ++i) {
    depends.insert(tracers[i].id());
    tan.emplace(tracers[i].id(), tangents[i]);
  }
  auto tape = detail::sort_dependents(outputs, depends, /* stop_at_stop_gradient = */ true);
  for (auto& node : tape) {
    std::vector<int> argnums;
    std::vector<array> ts;
    for (size_t i = 0; i < node.inputs().size(); ++i) {
      auto t = tan.find(node.inputs()[i].id());
      if (t != tan.end()) {
        argnums.push_back(static_cast<int>(i));
        ts.push_back(t->second);
      }
    }
    if (argnums.empty()) {
      continue;  // only reached through a StopGradient
    }
    std::vector<array> jvps;
    {
      detail::RetainGraph retain;
      jvps = node.primitive().jvp(node.inputs(), ts, argnums);
    }
    auto node_outputs = node.outputs();
    for (size_t i = 0; i < jvps.size(); ++i) {
      tan.emplace(node_outputs[i].id(), jvps[i]);
    }
  }
  std::vector<array> jvps;
  for (auto& out : outputs) {
    auto t = tan.find(out.id());
    jvps.push_back(t != tan.end() ? t->second : zeros_like(out, stream_of(out)));
  }
  return {outputs, jvps};
}

std::pair<array, array> jvp(const std::function<array(const array&)>& fun, const array& primal,
                            const array& tangent) {
  auto [outs, tans] =
      jvp([&fun](const std::vector<array>& in) { return std::vector<array>{fun(in[0])}; }, {primal},
          {tangent});
  return {outs[0], tans[0]};
}

ValueAndGradFn value_and_grad(
    const std::function<std::vector<array>(const std::vector<array>&)>& fun,
    const std::vector<int>& argnums) {
  if (argnums.empty()) {
    throw std::invalid_argument("[grad] Must specify at least one argument.");
  }
  return [fun, argnums](const std::vector<array>& inputs) {
    int n = static_cast<int>(inputs.size());
    std::vector<int> args;
    for (int a : argnums) {
      if (a < -n || a >= n) {
        throw std::invalid_argument("[grad] Invalid argument number " + std::to_string(a) +
                                    " for a function with " + std::to_string(n) + " inputs.");
      }
      args.push_back(a < 0 ? a + n : a);
    }
    auto sorted = args;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      throw std::invalid_argument("[grad] Repeated argument numbers are not allowed.");
    }
    std::vector<array> primals;
    for (int a : args) {
      primals.push_back(inputs[a]);
    }
    // Only the first output is differentiated; the others pass through stop_gradient.
    auto gfun = [&](const std::vector<array>& traced) {
      auto all_inputs = inputs;
      for (size_t i = 0; i < args.size(); ++i) {
        all_inputs[args[i]] = traced[i];
      }
      auto outputs = fun(all_inputs);
      if (outputs.empty()) {
        throw std::invalid_argument("[grad] The function must return at least one array.");
      }
      if (outputs[0].ndim() != 0) {
        throw std::invalid_argument(
            "[grad] The function must return a scalar as its first output, got shape " +
            shape_str(outputs[0].shape()) + ".");
      }
      for (size_t i = 1; i < outputs.size(); ++i) {
        outputs[i] = stop_gradient(outputs[i], stream_of(outputs[i]));
      }
      return outputs;
    };
    // The seed is float32 1; vjp casts it to the output's dtype.
    return vjp(gfun, primals, {array(1.0f)});
  };
}

ValueAndGradFn value_and_grad(
    const std::function<std::vector<array>(const std::vector<array>&)>& fun, int argnum) {
  return value_and_grad(fun, std::vector<int>{argnum});
}

std::function<std::pair<array, array>(const array&)> value_and_grad(
    const std::function<array(const array&)>& fun) {
  auto vg = value_and_grad(
      [fun](const std::vector<array>& in) { return std::vector<array>{fun(in[0])}; }, 0);
  return [vg](const array& x) {
    auto [outs, grads] = vg({x});
    return std::make_pair(outs[0], grads[0]);
  };
}

SimpleValueAndGradFn value_and_grad(const std::function<array(const std::vector<array>&)>& fun,
                                    const std::vector<int>& argnums) {
  auto vg = value_and_grad(
      [fun](const std::vector<array>& in) { return std::vector<array>{fun(in)}; }, argnums);
  return [vg](const std::vector<array>& inputs) {
    auto [outs, grads] = vg(inputs);
    return std::make_pair(outs[0], grads);
  };
}

SimpleValueAndGradFn value_and_grad(const std::function<array(const std::vector<array>&)>& fun,
                                    int argnum) {
  return value_and_grad(fun, std::vector<int>{argnum});
}

std::function<std::vector<array>(const std::vector<array>&)> grad(
    const std::function<array(const std::vector<array>&)>& fun, const std::vector<int>& argnums) {
  auto vg = value_and_grad(fun, argnums);
  return [vg](const std::vector<array>& inputs) { return vg(inputs).second; };
}

std::function<std::vector<array>(const std::vector<array>&)> grad(
    const std::function<array(const std::vector<array>&)>& fun, int argnum) {
  return grad(fun, std::vector<int>{argnum});
}

std::function<array(const array&)> grad(const std::function<array(const array&)>& fun) {
  auto vg = value_and_grad(fun);
  return [vg](const array& x) { return vg(x).second; };
}

}  // namespace mlx::core
