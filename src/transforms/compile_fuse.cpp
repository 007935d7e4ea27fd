// compile's fusion pass: each connected region of elementwise nodes of one shape becomes one
// node of the Compiled primitive (src/ops/compiled.h), which runs the region in one pass over
// cache-sized tiles. See docs/compile.md, "Fusion".
#include <algorithm>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "ops/compiled.h"
#include "ops/ops.h"
#include "transforms/compile.h"

namespace mlx::core::detail {

namespace {

// The step a node would be in a fused region, or nothing where it cannot be fused (another
// kind of op, or no tile kernel at its dtype).
std::optional<FusedStep> step_of(const array& node) {
  if (!node.siblings().empty() || node.inputs().empty()) {
    return std::nullopt;
  }
  auto& p = node.primitive();
  FusedStep step{FusedStep::Kind::Unary, 0, node.inputs()[0].dtype(), node.dtype(), {}, {}};
  if (auto u = dynamic_cast<const Unary*>(&p)) {
    step.op = static_cast<int>(u->op());
  } else if (auto b = dynamic_cast<const Binary*>(&p)) {
    step.kind = FusedStep::Kind::Binary;
    step.op = static_cast<int>(b->op());
  } else if (auto c = dynamic_cast<const Compare*>(&p)) {
    step.kind = FusedStep::Kind::Compare;
    step.op = static_cast<int>(c->op());
  } else if (auto pr = dynamic_cast<const Predicate*>(&p)) {
    step.kind = FusedStep::Kind::Predicate;
    step.op = static_cast<int>(pr->op());
  } else if (dynamic_cast<const Select*>(&p)) {
    step.kind = FusedStep::Kind::Select;
  } else if (dynamic_cast<const AsType*>(&p)) {
    step.kind = FusedStep::Kind::AsType;
  } else if (dynamic_cast<const Broadcast*>(&p)) {
    step.kind = FusedStep::Kind::Broadcast;
    step.shape = node.shape();
  } else {
    return std::nullopt;
  }
  if (!cpu::has_tile_kernel(step)) {
    return std::nullopt;
  }
  return step;
}

bool is_compute(const std::optional<FusedStep>& step) {
  return step && step->kind != FusedStep::Kind::Broadcast;
}

void insert_sorted(std::vector<int>& set, int x) {
  auto it = std::lower_bound(set.begin(), set.end(), x);
  if (it == set.end() || *it != x) {
    set.insert(it, x);
  }
}

// The nodes in topological order again, after fusion moved dependencies: a depth-first search
// from each node in the old order, so nodes stay close to where they were.
std::vector<array> topological_order(const std::vector<array>& nodes) {
  std::unordered_map<std::uintptr_t, size_t> entry_of;
  for (size_t e = 0; e < nodes.size(); ++e) {
    for (auto& o : nodes[e].outputs()) {
      entry_of.emplace(o.id(), e);
    }
  }
  std::vector<bool> seen(nodes.size(), false);
  std::vector<array> sorted;
  sorted.reserve(nodes.size());
  std::vector<std::pair<size_t, size_t>> stack;
  for (size_t root = 0; root < nodes.size(); ++root) {
    if (seen[root]) {
      continue;
    }
    seen[root] = true;
    stack.emplace_back(root, 0);
    while (!stack.empty()) {
      auto [e, i] = stack.back();
      auto& ins = nodes[e].inputs();
      if (i < ins.size()) {
        stack.back().second++;
        auto it = entry_of.find(ins[i].id());
        if (it != entry_of.end() && !seen[it->second]) {
          seen[it->second] = true;
          stack.emplace_back(it->second, 0);
        }
        continue;
      }
      sorted.push_back(nodes[e]);
      stack.pop_back();
    }
  }
  return sorted;
}

}  // namespace

void compile_fuse(std::vector<array>& tape, const std::vector<array>&,
                  const std::vector<array>& outputs) {
  size_t n = tape.size();
  std::unordered_map<std::uintptr_t, int> producer_of;
  for (size_t i = 0; i < n; ++i) {
    for (auto& o : tape[i].outputs()) {
      producer_of.emplace(o.id(), static_cast<int>(i));
    }
  }
  auto producer = [&](const array& a) {
    auto it = producer_of.find(a.id());
    return it == producer_of.end() ? -1 : it->second;
  };
  std::unordered_set<std::uintptr_t> returned;
  for (auto& o : outputs) {
    returned.insert(o.id());
  }
  std::vector<std::vector<int>> consumers(n);
  std::vector<std::optional<FusedStep>> steps(n);
  for (size_t i = 0; i < n; ++i) {
    steps[i] = step_of(tape[i]);
    for (auto& in : tape[i].inputs()) {
      int p = producer(in);
      if (p >= 0 && (consumers[p].empty() || consumers[p].back() != static_cast<int>(i))) {
        consumers[p].push_back(static_cast<int>(i));
      }
    }
  }

  // Regions grow in topological order: a compute node joins (and so merges) the regions of its
  // inputs that have its shape and stream, unless that would put a node outside the merged
  // region on a path between two of its nodes: the fused node would then come both before and
  // after that node (a cycle). Failing that, it joins one of them alone, or starts a region.
  // reach[i]: the regions node i depends on, dropped once its last consumer has read it.
  // into[R]: the regions R's nodes depend on through inputs outside R. Region ids are merged
  // by union-find; the sets keep the ids they were built with.
  std::vector<int> region(n, -1);
  std::vector<int> parent, first_of;
  std::vector<std::vector<int>> reach(n), into;
  auto find = [&](int r) {
    while (parent[r] != r) {
      r = parent[r] = parent[parent[r]];
    }
    return r;
  };
  auto root_of = [&](int node) { return node >= 0 && region[node] >= 0 ? find(region[node]) : -1; };
  auto contains = [&](const std::vector<int>& set, int R) {
    return std::any_of(set.begin(), set.end(), [&](int x) { return find(x) == R; });
  };
  for (size_t i = 0; i < n; ++i) {
    auto& node = tape[i];
    std::vector<int> r;
    for (auto& in : node.inputs()) {
      int p = producer(in);
      if (p >= 0) {
        for (int x : reach[p]) {
          insert_sorted(r, x);
        }
      }
    }
    if (is_compute(steps[i])) {
      std::vector<int> candidates;
      for (auto& in : node.inputs()) {
        int R = root_of(producer(in));
        if (R < 0 || std::find(candidates.begin(), candidates.end(), R) != candidates.end()) {
          continue;
        }
        auto& first = tape[first_of[R]];
        if (first.shape() == node.shape() &&
            first.primitive().stream() == node.primitive().stream()) {
          candidates.push_back(R);
        }
      }
      auto valid = [&](const std::vector<int>& merged) {
        auto in_merged = [&](int R) {
          return std::find(merged.begin(), merged.end(), R) != merged.end();
        };
        for (int R : merged) {
          for (int S : merged) {
            if (R != S && contains(into[S], R)) {
              return false;
            }
          }
        }
        for (auto& in : node.inputs()) {
          int q = producer(in);
          if (q >= 0 && !in_merged(root_of(q)) &&
              std::any_of(merged.begin(), merged.end(),
                          [&](int R) { return contains(reach[q], R); })) {
            return false;
          }
        }
        return true;
      };
      std::vector<int> merged;
      if (!candidates.empty() && valid(candidates)) {
        merged = candidates;
      } else {
        for (int R : candidates) {
          if (valid({R})) {
            merged = {R};
            break;
          }
        }
      }
      int R;
      if (merged.empty()) {
        R = static_cast<int>(parent.size());
        parent.push_back(R);
        first_of.push_back(static_cast<int>(i));
        into.emplace_back();
      } else {
        R = merged[0];
        for (size_t k = 1; k < merged.size(); ++k) {
          parent[merged[k]] = R;
          for (int x : into[merged[k]]) {
            insert_sorted(into[R], x);
          }
          into[merged[k]].clear();
        }
      }
      region[i] = R;
      for (auto& in : node.inputs()) {
        int q = producer(in);
        if (q >= 0 && root_of(q) != R) {
          for (int x : reach[q]) {
            insert_sorted(into[R], x);
          }
        }
      }
      insert_sorted(r, R);
    }
    reach[i] = std::move(r);
    for (auto& in : node.inputs()) {
      int p = producer(in);
      if (p >= 0 && consumers[p].back() == static_cast<int>(i)) {
        reach[p] = {};
      }
    }
  }
  for (auto& R : region) {
    if (R >= 0) {
      R = find(R);
    }
  }

  // A region pays when it keeps at least one intermediate out of memory: at least two compute
  // nodes and fewer outputs than nodes. Outputs are the nodes read outside the region or
  // returned.
  size_t num_regions = parent.size();
  std::vector<std::vector<int>> members(num_regions);
  for (size_t i = 0; i < n; ++i) {
    if (region[i] >= 0) {
      members[region[i]].push_back(static_cast<int>(i));
    }
  }
  auto is_output = [&](int i) {
    if (returned.count(tape[i].id())) {
      return true;
    }
    return std::any_of(consumers[i].begin(), consumers[i].end(),
                       [&](int c) { return region[c] != region[i]; });
  };
  for (auto& m : members) {
    auto outs = std::count_if(m.begin(), m.end(), is_output);
    if (m.size() < 2 || static_cast<size_t>(outs) >= m.size()) {
      for (int i : m) {
        region[i] = -1;
      }
      m.clear();
    }
  }
  // A broadcast read only inside one region becomes part of it (its input is broadcast by the
  // kernel, never materialised). Consumers first, so chains of broadcasts join together.
  for (int i = static_cast<int>(n) - 1; i >= 0; --i) {
    if (!steps[i] || is_compute(steps[i]) || consumers[i].empty() || returned.count(tape[i].id())) {
      continue;
    }
    int R = region[consumers[i][0]];
    if (R >= 0 && std::all_of(consumers[i].begin(), consumers[i].end(),
                              [&](int c) { return region[c] == R; })) {
      region[i] = R;
      members[R].push_back(i);
    }
  }

  std::vector<bool> dropped(n, false);
  for (auto& m : members) {
    if (m.empty()) {
      continue;
    }
    std::sort(m.begin(), m.end());
    int R = region[m[0]];
    FusedProgram program;
    std::vector<std::shared_ptr<Primitive>> primitives;
    std::vector<array> ext;
    std::vector<array> outs;
    std::unordered_map<std::uintptr_t, uint32_t> value;
    for (int i : m) {
      for (auto& in : tape[i].inputs()) {
        int p = producer(in);
        if ((p < 0 || region[p] != R) && !value.count(in.id())) {
          value.emplace(in.id(), static_cast<uint32_t>(ext.size()));
          ext.push_back(in);
        }
      }
    }
    program.num_inputs = static_cast<uint32_t>(ext.size());
    for (int i : m) {
      auto step = *steps[i];
      for (auto& in : tape[i].inputs()) {
        step.inputs.push_back(value.at(in.id()));
      }
      auto v = static_cast<uint32_t>(ext.size() + program.steps.size());
      value.emplace(tape[i].id(), v);
      program.steps.push_back(std::move(step));
      primitives.push_back(tape[i].primitive_ptr());
      if (is_compute(steps[i]) && is_output(i)) {
        program.outputs.push_back(v);
        outs.push_back(tape[i]);
      } else {
        dropped[i] = true;
      }
    }
    auto compiled = std::make_shared<Compiled>(tape[m[0]].primitive().stream(), std::move(program),
                                               std::move(primitives));
    // The outputs keep their identity: only what produces them changes.
    for (size_t j = 0; j < outs.size(); ++j) {
      auto siblings = outs;
      siblings.erase(siblings.begin() + static_cast<long>(j));
      outs[j].primitive_ptr() = compiled;
      outs[j].inputs() = ext;
      outs[j].set_siblings(std::move(siblings), static_cast<uint16_t>(j));
    }
    // The tape holds a primitive application once, by its first output.
    for (size_t j = 1; j < outs.size(); ++j) {
      dropped[producer(outs[j])] = true;
    }
  }

  std::vector<array> kept;
  kept.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (!dropped[i]) {
      kept.push_back(tape[i]);
    }
  }
  tape = topological_order(kept);
}

}  // namespace mlx::core::detail
