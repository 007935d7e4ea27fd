// compile: trace a function on placeholder inputs, simplify the traced graph, fuse it, and turn
// it into a small program that later calls replay on their real inputs. See docs/compile.md.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>

#include "mlx/compile.h"
#include "mlx/compile_impl.h"
#include "mlx/primitives.h"
#include "mlx/stream.h"
#include "mlx/transforms_impl.h"
#include "ops/primitive_params.h"
#include "transforms/compile.h"

namespace mlx::core {

namespace detail {

namespace {

using Fun = std::function<std::vector<array>(const std::vector<array>&)>;

CompileMode initial_mode() {
  const char* v = std::getenv("MLX_DISABLE_COMPILE");
  bool disabled = v != nullptr && v[0] != '\0' && std::strcmp(v, "0") != 0;
  return disabled ? CompileMode::disabled : CompileMode::enabled;
}

thread_local int export_tracing = 0;

std::atomic<CompileMode>& mode_ref() {
  static std::atomic<CompileMode> mode{initial_mode()};
  return mode;
}

// Calls f on each output of the node's primitive (no copies for the common single output).
template <typename F>
void for_each_output(const array& node, F&& f) {
  if (node.siblings().empty()) {
    f(node);
  } else {
    for (auto& o : node.outputs()) {
      f(o);
    }
  }
}

// Post-order depth-first search without recursion (a 100,000-op chain is an ordinary graph).
// It goes through every node still to be computed, also those that do not depend on the
// inputs, so that simplification sees them; compile_split_constants takes those out after.
std::vector<array> compile_dfs(const std::vector<array>& inputs,
                               const std::vector<array>& outputs) {
  std::unordered_set<std::uintptr_t> visited;
  for (auto& in : inputs) {
    visited.insert(in.id());
  }
  std::vector<array> tape;
  std::vector<std::pair<array, size_t>> stack;
  auto push = [&](const array& a) {
    if (!visited.insert(a.id()).second) {
      return;
    }
    if (a.has_primitive() && a.status() == array::Status::unscheduled) {
      stack.emplace_back(a, 0);
    }
  };
  for (auto& out : outputs) {
    push(out);
    while (!stack.empty()) {
      auto& [a, i] = stack.back();
      if (i < a.inputs().size()) {
        push(a.inputs()[i++]);
        continue;
      }
      array node = std::move(a);
      stack.pop_back();
      for_each_output(node, [&](const array& o) { visited.insert(o.id()); });
      tape.push_back(node.sibling_position() == 0 ? std::move(node) : node.outputs()[0]);
    }
  }
  return tape;
}

// Nodes that depend on no input leave the tape and become constants: they are computed once,
// by the first replay that evaluates them, and then kept.
void compile_split_constants(Trace& t) {
  std::unordered_set<std::uintptr_t> depends;
  for (auto& in : t.inputs) {
    depends.insert(in.id());
  }
  std::vector<array> kept;
  for (auto& node : t.tape) {
    bool dep = false;
    for (auto& in : node.inputs()) {
      dep |= depends.count(in.id()) > 0;
    }
    if (dep) {
      for_each_output(node, [&](const array& o) { depends.insert(o.id()); });
      kept.push_back(node);
    }
  }
  t.tape = std::move(kept);
}

}  // namespace

Trace compile_trace(const Fun& fun, const std::vector<array>& inputs, bool shapeless) {
  // Non-grad tracing: ops whose shapes depend on values, and evaluation, refuse it.
  InTracing in_tracing(shapeless, false);
  Trace t;
  t.inputs.reserve(inputs.size());
  for (auto& in : inputs) {
    t.inputs.emplace_back(in.shape(), in.dtype(), nullptr, std::vector<array>{});
    t.inputs.back().set_tracer(true);
  }
  t.outputs = fun(t.inputs);
  t.tape = compile_dfs(t.inputs, t.outputs);
  return t;
}

namespace {

// ---- simplification ----

// The bytes of a one-element constant with data, or nothing.
std::optional<std::string> scalar_bytes(const array& a) {
  if (a.size() != 1 || a.has_primitive() || !a.is_available()) {
    return std::nullopt;
  }
  return std::string(a.data<char>(), a.itemsize());
}

void replace_inputs(array& node, const std::unordered_map<std::uintptr_t, array>& replaced) {
  if (replaced.empty()) {
    return;
  }
  for_each_output(node, [&](array o) {
    for (auto& in : o.inputs()) {
      auto r = replaced.find(in.id());
      if (r != replaced.end()) {
        in = r->second;
      }
    }
  });
}

bool same_node(const array& a, const array& b) {
  if (typeid(a.primitive()) != typeid(b.primitive()) ||
      !a.primitive().is_equivalent(b.primitive())) {
    return false;
  }
  auto& ai = a.inputs();
  auto& bi = b.inputs();
  if (ai.size() != bi.size()) {
    return false;
  }
  for (size_t i = 0; i < ai.size(); ++i) {
    if (ai[i].id() != bi[i].id()) {
      return false;
    }
  }
  auto ao = a.outputs();
  auto bo = b.outputs();
  if (ao.size() != bo.size()) {
    return false;
  }
  for (size_t i = 0; i < ao.size(); ++i) {
    if (ao[i].shape() != bo[i].shape() || ao[i].dtype() != bo[i].dtype()) {
      return false;
    }
  }
  return true;
}

}  // namespace

// Merges equal scalar constants, then common subexpressions. One pass in topological order
// reaches the fixed point: a node's inputs are already replaced by their representatives when
// the node is looked up, so nodes that become equal through merged inputs merge too.
void compile_simplify(Trace& t) {
  std::unordered_map<std::uintptr_t, array> replaced;
  std::unordered_map<std::string, array> scalars;
  auto merge_scalar = [&](const array& c) {
    if (replaced.count(c.id())) {
      return;
    }
    auto bytes = scalar_bytes(c);
    if (!bytes) {
      return;
    }
    std::string key = std::to_string(static_cast<int>(c.dtype().val())) + ":" +
                      std::to_string(c.ndim()) + ":" + *bytes;
    auto [it, inserted] = scalars.emplace(std::move(key), c);
    if (!inserted && it->second.id() != c.id()) {
      replaced.emplace(c.id(), it->second);
    }
  };
  std::unordered_set<std::uintptr_t> inputs;
  for (auto& in : t.inputs) {
    inputs.insert(in.id());
  }

  std::unordered_multimap<size_t, array> seen;
  std::vector<array> kept;
  kept.reserve(t.tape.size());
  for (auto& node : t.tape) {
    for (auto& in : node.inputs()) {
      if (!inputs.count(in.id()) && !in.has_primitive()) {
        merge_scalar(in);
      }
    }
    replace_inputs(node, replaced);
    size_t h = params::combine(node.primitive().hash(), node.inputs().size());
    for (auto& in : node.inputs()) {
      h = params::combine(h, std::hash<std::uintptr_t>{}(in.id()));
    }
    bool merged = false;
    for (auto [it, end] = seen.equal_range(h); it != end; ++it) {
      auto& other = it->second;
      if (same_node(node, other)) {
        auto a = node.outputs();
        auto b = other.outputs();
        for (size_t i = 0; i < a.size(); ++i) {
          replaced.emplace(a[i].id(), b[i]);
        }
        merged = true;
        break;
      }
    }
    if (!merged) {
      seen.emplace(h, node);
      kept.push_back(node);
    }
  }
  t.tape = std::move(kept);
  for (auto& out : t.outputs) {
    if (!inputs.count(out.id()) && !out.has_primitive()) {
      merge_scalar(out);
    }
    auto r = replaced.find(out.id());
    if (r != replaced.end()) {
      out = r->second;
    }
  }
}

void compile_drop_dead(Trace& t) {
  std::unordered_set<std::uintptr_t> live;
  for (auto& out : t.outputs) {
    live.insert(out.id());
  }
  std::vector<array> kept;
  for (auto it = t.tape.rbegin(); it != t.tape.rend(); ++it) {
    bool used = false;
    for_each_output(*it, [&](const array& o) { used |= live.count(o.id()) > 0; });
    if (!used) {
      continue;
    }
    for (auto& in : it->inputs()) {
      live.insert(in.id());
    }
    kept.push_back(*it);
  }
  t.tape.assign(kept.rbegin(), kept.rend());
}

Program make_program(const Trace& t) {
  Program p;
  std::unordered_map<std::uintptr_t, uint32_t> slot;
  for (auto& in : t.inputs) {
    slot.emplace(in.id(), static_cast<uint32_t>(p.input_shapes.size()));
    p.input_shapes.push_back(in.shape());
  }
  std::unordered_set<std::uintptr_t> produced;
  for (auto& node : t.tape) {
    for_each_output(node, [&](const array& o) { produced.insert(o.id()); });
  }
  auto add_constant = [&](const array& a) {
    if (slot.count(a.id()) || produced.count(a.id())) {
      return;
    }
    slot.emplace(a.id(), static_cast<uint32_t>(t.inputs.size() + p.constants.size()));
    p.constants.push_back(a);
  };
  for (auto& node : t.tape) {
    for (auto& in : node.inputs()) {
      add_constant(in);
    }
  }
  for (auto& out : t.outputs) {
    add_constant(out);
  }
  auto next = static_cast<uint32_t>(t.inputs.size() + p.constants.size());
  p.nodes.reserve(t.tape.size());
  for (auto& node : t.tape) {
    if (slot.count(node.id())) {
      continue;  // a sibling listed on its own
    }
    Node n;
    n.primitive = node.primitive_ptr();
    for (auto& in : node.inputs()) {
      n.inputs.push_back(slot.at(in.id()));
    }
    for_each_output(node, [&](const array& o) {
      slot.emplace(o.id(), next++);
      n.shapes.push_back(o.shape());
      n.dtypes.push_back(o.dtype());
    });
    p.nodes.push_back(std::move(n));
  }
  p.num_slots = next;
  for (auto& out : t.outputs) {
    p.outputs.push_back(slot.at(out.id()));
  }
  return p;
}

namespace {

std::shared_ptr<Program> compile_program(const Fun& fun, const std::vector<array>& inputs,
                                         bool shapeless, CompileMode mode) {
  auto t = compile_trace(fun, inputs, shapeless);
  if (mode != CompileMode::no_simplify) {
    compile_simplify(t);
  }
  compile_drop_dead(t);
  compile_split_constants(t);
  if (mode != CompileMode::no_fuse) {
    compile_fuse(t.tape, t.inputs, t.outputs);
  }
  return std::make_shared<Program>(make_program(t));
}

}  // namespace

std::vector<array> compile_replace(const Program& p, const std::vector<array>& inputs,
                                   bool infer_shapes) {
  std::vector<array> slots;
  slots.reserve(p.num_slots);
  slots.insert(slots.end(), inputs.begin(), inputs.end());
  slots.insert(slots.end(), p.constants.begin(), p.constants.end());
  std::vector<array> ins;
  for (auto& n : p.nodes) {
    ins.clear();
    for (auto i : n.inputs) {
      ins.push_back(slots[i]);
    }
    std::vector<Shape> inferred;
    if (infer_shapes) {
      inferred = n.primitive->output_shapes(ins);
      if (inferred.size() != n.shapes.size()) {
        throw std::invalid_argument("[compile] Inconsistent output shapes.");
      }
    }
    const auto& shapes = infer_shapes ? inferred : n.shapes;
    if (n.dtypes.size() == 1) {
      slots.emplace_back(shapes[0], n.dtypes[0], n.primitive, ins);
    } else {
      auto outs = array::make_arrays(shapes, n.dtypes, n.primitive, ins);
      slots.insert(slots.end(), std::make_move_iterator(outs.begin()),
                   std::make_move_iterator(outs.end()));
    }
  }
  std::vector<array> outputs;
  outputs.reserve(p.outputs.size());
  for (auto i : p.outputs) {
    outputs.push_back(slots[i]);
  }
  return outputs;
}

namespace {

bool same_constant(const array& a, const array& b) {
  if (a.id() == b.id()) {
    return true;
  }
  if (a.dtype() != b.dtype() || a.shape() != b.shape() || !a.is_available() || !b.is_available() ||
      !a.flags().row_contiguous || !b.flags().row_contiguous || a.data_size() != a.size() ||
      b.data_size() != b.size()) {
    return false;
  }
  return std::memcmp(a.data<char>(), b.data<char>(), a.nbytes()) == 0;
}

// True when two traces of one function at different input shapes are the same graph: then the
// trace does not depend on the shapes (no shape-dependent parameters or constants).
bool compile_validate_shapeless(const Program& a, const Program& b) {
  if (a.input_shapes.size() != b.input_shapes.size() || a.constants.size() != b.constants.size() ||
      a.nodes.size() != b.nodes.size() || a.outputs != b.outputs) {
    return false;
  }
  for (size_t i = 0; i < a.constants.size(); ++i) {
    if (!same_constant(a.constants[i], b.constants[i])) {
      return false;
    }
  }
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    auto& x = a.nodes[i];
    auto& y = b.nodes[i];
    if (x.inputs != y.inputs || x.dtypes != y.dtypes ||
        typeid(*x.primitive) != typeid(*y.primitive) || !x.primitive->is_equivalent(*y.primitive)) {
      return false;
    }
  }
  return true;
}

// ---- the cache ----

struct Entry {
  Stream stream;
  bool shapeless;
  CompileMode mode;
  std::vector<uint64_t> constants;
  std::vector<Dtype> dtypes;
  std::vector<Shape> shapes;  // only the ranks count when shapeless
  std::shared_ptr<Program> program;
  // Shapeless only: whether a second trace confirmed that the program is shape-generic, or
  // showed that it is not (then every shape gets its own trace); traces for particular shapes.
  bool validated = false;
  bool per_shape = false;
  std::vector<std::shared_ptr<Program>> by_shape;
};

struct Cache {
  std::mutex mutex;
  std::unordered_map<std::uintptr_t, std::vector<std::shared_ptr<Entry>>> entries;
};

// Never destroyed: compiled closures may outlive static destruction and erase themselves.
Cache& cache() {
  static Cache* c = new Cache;
  return *c;
}

bool matches(const Entry& e, const Stream& s, bool shapeless, CompileMode mode,
             const std::vector<uint64_t>& constants, const std::vector<array>& inputs) {
  if (e.stream != s || e.shapeless != shapeless || e.mode != mode || e.constants != constants ||
      e.dtypes.size() != inputs.size()) {
    return false;
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (e.dtypes[i] != inputs[i].dtype()) {
      return false;
    }
    if (shapeless ? e.shapes[i].size() != inputs[i].ndim() : e.shapes[i] != inputs[i].shape()) {
      return false;
    }
  }
  return true;
}

bool same_shapes(const std::vector<Shape>& shapes, const std::vector<array>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (shapes[i] != inputs[i].shape()) {
      return false;
    }
  }
  return true;
}

std::vector<array> call_shapeless(const std::shared_ptr<Entry>& e, const Fun& fun,
                                  const std::vector<array>& inputs, CompileMode mode) {
  auto& c = cache();
  std::shared_ptr<Program> program;
  bool validated = false;
  bool per_shape = false;
  {
    std::lock_guard<std::mutex> lk(c.mutex);
    if (same_shapes(e->program->input_shapes, inputs)) {
      program = e->program;
    }
    for (auto& p : e->by_shape) {
      if (!program && same_shapes(p->input_shapes, inputs)) {
        program = p;
      }
    }
    validated = e->validated;
    per_shape = e->per_shape;
  }
  if (program) {
    return compile_replace(*program, inputs, false);
  }
  if (validated) {
    try {
      return compile_replace(*e->program, inputs, true);
    } catch (const std::exception&) {
      // A primitive that cannot infer its shapes: this shape gets its own trace below.
    }
  }
  program = compile_program(fun, inputs, true, mode);
  {
    std::lock_guard<std::mutex> lk(c.mutex);
    if (!validated && !per_shape && !e->validated && !e->per_shape) {
      if (compile_validate_shapeless(*e->program, *program)) {
        e->validated = true;
      } else {
        e->per_shape = true;
      }
    }
    e->by_shape.push_back(program);
  }
  return compile_replace(*program, inputs, false);
}

}  // namespace

CompileMode compile_mode() { return mode_ref().load(std::memory_order_relaxed); }

InExportTracing::InExportTracing() { ++export_tracing; }
InExportTracing::~InExportTracing() { --export_tracing; }
bool InExportTracing::in_export_tracing() { return export_tracing > 0; }

std::function<std::vector<array>(const std::vector<array>&)> compile(
    std::function<std::vector<array>(const std::vector<array>&)> fun, std::uintptr_t fun_id,
    bool shapeless, std::vector<uint64_t> constants) {
  if (compile_mode() == CompileMode::disabled) {
    return fun;
  }
  return [fun = std::move(fun), fun_id, shapeless,
          constants = std::move(constants)](const std::vector<array>& inputs) {
    auto mode = compile_mode();
    if (mode == CompileMode::disabled || InExportTracing::in_export_tracing()) {
      return fun(inputs);
    }
    auto stream = default_stream(default_device());
    auto& c = cache();
    std::shared_ptr<Entry> entry;
    {
      std::lock_guard<std::mutex> lk(c.mutex);
      auto it = c.entries.find(fun_id);
      if (it != c.entries.end()) {
        for (auto& e : it->second) {
          if (matches(*e, stream, shapeless, mode, constants, inputs)) {
            entry = e;
            break;
          }
        }
      }
    }
    if (entry) {
      if (shapeless) {
        return call_shapeless(entry, fun, inputs, mode);
      }
      return compile_replace(*entry->program, inputs, false);
    }
    // Trace without holding the lock: the function may call other compiled functions, and
    // other threads keep using the cache. Two threads tracing the same signature at once both
    // get correct programs; the first one stored is used afterwards.
    auto e = std::make_shared<Entry>(
        Entry{stream, shapeless, mode, constants, {}, {}, nullptr, false, false, {}});
    for (auto& in : inputs) {
      e->dtypes.push_back(in.dtype());
      e->shapes.push_back(in.shape());
    }
    e->program = compile_program(fun, inputs, shapeless, mode);
    auto program = e->program;
    {
      std::lock_guard<std::mutex> lk(c.mutex);
      c.entries[fun_id].push_back(std::move(e));
    }
    return compile_replace(*program, inputs, false);
  };
}

void compile_erase(std::uintptr_t fun_id) {
  auto& c = cache();
  std::vector<std::shared_ptr<Entry>> dropped;  // destroyed after the lock is released
  std::lock_guard<std::mutex> lk(c.mutex);
  auto it = c.entries.find(fun_id);
  if (it != c.entries.end()) {
    dropped = std::move(it->second);
    c.entries.erase(it);
  }
}

void compile_clear_cache() {
  auto& c = cache();
  std::unordered_map<std::uintptr_t, std::vector<std::shared_ptr<Entry>>> dropped;
  std::lock_guard<std::mutex> lk(c.mutex);
  dropped.swap(c.entries);
}

}  // namespace detail

std::function<std::vector<array>(const std::vector<array>&)> compile(
    std::function<std::vector<array>(const std::vector<array>&)> fun, bool shapeless) {
  if (detail::compile_mode() == CompileMode::disabled) {
    return fun;
  }
  // A closure has no address of its own: each compile() call gets an id, and its traces are
  // dropped when the last copy of the returned function is gone (closures built in a loop do
  // not pile up in the cache).
  using Fn = std::function<std::vector<array>(const std::vector<array>&)>;
  auto owner = std::shared_ptr<Fn>(new Fn(std::move(fun)), [](Fn* p) {
    detail::compile_erase(reinterpret_cast<std::uintptr_t>(p));
    delete p;
  });
  auto id = reinterpret_cast<std::uintptr_t>(owner.get());
  return detail::compile([owner](const std::vector<array>& in) { return (*owner)(in); }, id,
                         shapeless);
}

std::function<std::vector<array>(const std::vector<array>&)> compile(
    std::vector<array> (*fun)(const std::vector<array>&), bool shapeless) {
  return detail::compile(fun, reinterpret_cast<std::uintptr_t>(fun), shapeless);
}

void disable_compile() { detail::mode_ref().store(CompileMode::disabled); }

void enable_compile() { detail::mode_ref().store(CompileMode::enabled); }

void set_compile_mode(CompileMode mode) { detail::mode_ref().store(mode); }

}  // namespace mlx::core
