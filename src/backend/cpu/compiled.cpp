// Fused elementwise regions (compile) on the CPU: one pass over cache-sized tiles of the
// region's inputs, with no compiler at run time. Per tile, the program's steps run in order,
// each through the tile kernel its eager op uses, on scratch tiles held per thread; a
// register-allocation-like plan gives each intermediate a scratch tile that is free again after
// its last use, so intermediates never reach memory and each output is written once.
#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "backend/cpu/binary.h"
#include "backend/cpu/compare.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/elementwise.h"
#include "backend/cpu/strided.h"
#include "backend/cpu/unary.h"
#include "ops/compiled.h"

namespace mlx::core {

namespace cpu {

namespace {

// Elements per tile. The working set per tile is the input and output tiles, a tile per scalar
// input and the live scratch tiles: at 4 bytes per element a typical region (GELU) stays within
// L1 and L2.
constexpr size_t kFusedTile = 1024;
// Bytes per scratch tile: room for the widest element (float64, complex64).
constexpr size_t kScratchBytes = kFusedTile * 8;

TileFn step_kernel(const FusedStep& step) {
  switch (step.kind) {
    case FusedStep::Kind::Unary:
      return unary_kernel(static_cast<UnaryOp>(step.op), step.in_dtype);
    case FusedStep::Kind::Binary:
      return binary_kernel(static_cast<BinaryOp>(step.op), step.out_dtype);
    case FusedStep::Kind::Compare:
      return compare_kernel(static_cast<CompareOp>(step.op), step.in_dtype);
    case FusedStep::Kind::Predicate:
      return predicate_kernel(static_cast<PredicateOp>(step.op), step.in_dtype);
    case FusedStep::Kind::Select:
      return select_kernel(size_of(step.out_dtype));
    case FusedStep::Kind::AsType:
      return convert_kernel(step.in_dtype, step.out_dtype);
    case FusedStep::Kind::Broadcast:
      return nullptr;
  }
  return nullptr;
}

// Where a step reads or writes its tile: the region's input tile, a scratch tile, or the
// output's own memory.
struct Loc {
  enum Kind : uint8_t { input, scratch, output } kind;
  uint32_t index;
};

struct PlannedStep {
  TileFn fn;
  // Set instead of fn where an input takes a prologue (folded constants, below).
  PrologueFn prologue_fn;
  std::array<float, 4> prologue;
  std::array<Loc, 3> in;
  size_t num_in;
  Loc out;
};

struct Plan {
  std::vector<PlannedStep> steps;
  size_t num_scratch = 0;
  // The last step that reads each region input (-1 for none): an output produced at or after it
  // may take over the input's buffer.
  std::vector<int> input_last_use;
  // The region inputs no step reads as a whole tile (for_each_tile's first_only): a one-value
  // input that is only folded into prologues or read by scalar kernels needs no filled tile.
  std::vector<bool> first_only;
};

// A float32 value that is base * base, or (base * factor) + term reached from `base` by at most
// one multiplication and then at most one addition or subtraction of a constant (a one-value
// float32 region input): no step computes it; each step that reads it applies these operations
// to base as it loads it, which rounds exactly as the steps it replaces did. A factor of 1
// changes nothing (x * 1 is x).
struct Fold {
  bool folded = false;
  uint32_t base = 0;
  bool square = false, has_factor = false, has_term = false;
  float factor = 1.0f, term = 0.0f;
  // The prologue mode of a step reading it (see PrologueTile): only the operations it has, so
  // none is spent on an identity.
  unsigned mode() const { return !folded ? 0 : square ? 2 : has_term ? 3 : 1; }
};

// Whether a step's inputs may be read through a prologue.
bool takes_prologue(const FusedStep& step) {
  if (step.in_dtype != float32 || step.out_dtype != float32) {
    return false;
  }
  if (step.kind == FusedStep::Kind::Unary) {
    return unary_prologue_kernel(static_cast<UnaryOp>(step.op), 1) != nullptr;
  }
  return step.kind == FusedStep::Kind::Binary &&
         binary_prologue_kernel(static_cast<BinaryOp>(step.op), 1, false) != nullptr;
}

// The folds of a program's values (see Fold): candidates in program order, then unfolded where
// a value is an output or read by a step that cannot take a prologue, until none is.
std::vector<Fold> fold_constants(const FusedProgram& p, const std::vector<array>& inputs,
                                 const std::vector<uint32_t>& value) {
  const size_t n_in = p.num_inputs;
  std::vector<Fold> fold(n_in + p.steps.size());
  auto dtype_of = [&](uint32_t v) {
    return v < n_in ? inputs[v].dtype() : p.steps[v - n_in].out_dtype;
  };
  auto constant = [&](uint32_t v) {
    return v < n_in && inputs[v].dtype() == float32 && inputs[v].data_size() == 1;
  };
  for (size_t k = 0; k < p.steps.size(); ++k) {
    auto& step = p.steps[k];
    if (step.kind != FusedStep::Kind::Binary || step.out_dtype != float32) {
      continue;
    }
    auto op = static_cast<BinaryOp>(step.op);
    if (op != BinaryOp::Multiply && op != BinaryOp::Add && op != BinaryOp::Subtract) {
      continue;
    }
    const uint32_t a = value[step.inputs[0]], b = value[step.inputs[1]];
    if (op == BinaryOp::Multiply && a == b && !constant(a) && !fold[a].folded &&
        dtype_of(a) == float32) {
      fold[n_in + k] = Fold{true, a, true};
      continue;
    }
    if (constant(a) == constant(b)) {
      continue;
    }
    const int side = constant(a) ? 0 : 1;  // the constant's side
    const uint32_t u = side == 0 ? b : a;
    if (dtype_of(u) != float32) {
      continue;
    }
    const float c = inputs[side == 0 ? a : b].data<float>()[0];
    if (std::isnan(c)) {
      continue;  // which NaN comes out depends on the operands' order, which folding changes
    }
    Fold f = fold[u].folded ? fold[u] : Fold{true, u};
    if (f.square || f.has_term || (op == BinaryOp::Multiply && f.has_factor)) {
      continue;
    }
    if (op == BinaryOp::Multiply) {
      f.has_factor = true;
      f.factor = c;
    } else if (op == BinaryOp::Add) {
      f.has_term = true;
      f.term = c;
    } else if (side == 1) {  // u - c = u + (-c)
      f.has_term = true;
      f.term = -c;
    } else {  // c - u = (u * -1) + c
      f.has_factor = true;
      f.factor = -f.factor;
      f.has_term = true;
      f.term = c;
    }
    fold[n_in + k] = f;
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (auto v : p.outputs) {
      changed |= std::exchange(fold[value[v]].folded, false);
    }
    for (size_t k = 0; k < p.steps.size(); ++k) {
      auto& step = p.steps[k];
      if (fold[n_in + k].folded || step.kind == FusedStep::Kind::Broadcast ||
          takes_prologue(step)) {
        continue;
      }
      for (auto v : step.inputs) {
        changed |= std::exchange(fold[value[v]].folded, false);
      }
    }
  }
  return fold;
}

Plan make_plan(const FusedProgram& p, const std::vector<array>& inputs,
               const std::vector<array>& outputs) {
  size_t n_in = p.num_inputs;
  size_t n_values = n_in + p.steps.size();
  auto dtype_of = [&](uint32_t v) {
    return v < n_in ? inputs[v].dtype() : p.steps[v - n_in].out_dtype;
  };
  // A Broadcast step's value is its input's: the kernel broadcasts the region's inputs itself.
  std::vector<uint32_t> value(n_values);
  for (uint32_t v = 0; v < n_values; ++v) {
    value[v] = v < n_in || p.steps[v - n_in].kind != FusedStep::Kind::Broadcast
                   ? v
                   : value[p.steps[v - n_in].inputs[0]];
  }
  auto fold = fold_constants(p, inputs, value);
  // The value a step reads for input v: a folded value's base.
  auto read = [&](uint32_t v) { return fold[value[v]].folded ? fold[value[v]].base : value[v]; };
  auto computed = [&](size_t k) {
    return p.steps[k].kind != FusedStep::Kind::Broadcast && !fold[n_in + k].folded;
  };

  std::vector<int> last_use(n_values, -1);
  std::vector<int> output_of(n_values, -1);
  for (size_t j = 0; j < p.outputs.size(); ++j) {
    output_of[p.outputs[j]] = static_cast<int>(j);
  }
  for (size_t k = 0; k < p.steps.size(); ++k) {
    if (computed(k)) {
      for (auto v : p.steps[k].inputs) {
        last_use[read(v)] = static_cast<int>(k);
      }
    }
  }

  Plan plan;
  plan.input_last_use.assign(last_use.begin(), last_use.begin() + n_in);
  plan.first_only.assign(n_in, true);
  std::vector<Loc> loc(n_values);
  for (uint32_t v = 0; v < n_in; ++v) {
    loc[v] = {Loc::input, v};
  }
  std::vector<uint32_t> free_slots;
  for (size_t k = 0; k < p.steps.size(); ++k) {
    if (!computed(k)) {
      continue;
    }
    auto& step = p.steps[k];
    auto v = static_cast<uint32_t>(n_in + k);
    PlannedStep ps{nullptr, nullptr, {}, {}, step.inputs.size(), {}};
    int scalar_side = -1;  // the input a scalar kernel reads at its first element only
    unsigned modes = 0;
    for (size_t i = 0; i < step.inputs.size(); ++i) {
      ps.in[i] = loc[read(step.inputs[i])];
      // Only unary and binary steps read folded values.
      if (auto& f = fold[value[step.inputs[i]]]; f.folded) {
        modes |= f.mode() << (2 * i);
        ps.prologue[2 * i] = f.factor;
        ps.prologue[2 * i + 1] = f.term;
      }
    }
    // The scratch tiles of values read for the last time here; the result may overwrite one of
    // the same element size (elementwise kernels read each element before writing it).
    std::vector<uint32_t> dying;
    int reuse = -1;
    for (auto in : step.inputs) {
      auto u = read(in);
      if (loc[u].kind != Loc::scratch || last_use[u] != static_cast<int>(k) ||
          std::find(dying.begin(), dying.end(), loc[u].index) != dying.end()) {
        continue;
      }
      dying.push_back(loc[u].index);
      if (reuse < 0 && size_of(dtype_of(u)) == size_of(step.out_dtype)) {
        reuse = static_cast<int>(loc[u].index);
      }
    }
    if (output_of[v] >= 0) {
      loc[v] = {Loc::output, static_cast<uint32_t>(output_of[v])};
    } else if (reuse >= 0) {
      loc[v] = {Loc::scratch, static_cast<uint32_t>(reuse)};
    } else if (!free_slots.empty()) {
      loc[v] = {Loc::scratch, free_slots.back()};
      free_slots.pop_back();
    } else {
      loc[v] = {Loc::scratch, static_cast<uint32_t>(plan.num_scratch++)};
    }
    for (auto slot : dying) {
      if (loc[v].kind != Loc::scratch || slot != loc[v].index) {
        free_slots.push_back(slot);
      }
    }
    ps.out = loc[v];

    // An output nothing reads again goes straight to memory, as the eager op writes it.
    const bool streaming =
        output_of[v] >= 0 && last_use[v] < 0 && outputs[output_of[v]].nbytes() > kStreamingBytes;
    if (modes != 0) {
      ps.prologue_fn =
          step.kind == FusedStep::Kind::Unary
              ? unary_prologue_kernel(static_cast<UnaryOp>(step.op), modes)
              : binary_prologue_kernel(static_cast<BinaryOp>(step.op), modes, streaming);
    } else if (step.kind == FusedStep::Kind::Binary) {
      auto op = static_cast<BinaryOp>(step.op);
      auto exponent = value[step.inputs[1]];
      if (op == BinaryOp::Power && exponent < n_in) {
        ps.fn = small_power_simd_kernel(small_power_exponent(inputs[exponent]), step.out_dtype);
      }
      if (!ps.fn && streaming) {
        ps.fn = binary_simd_kernel(op, step.out_dtype, /* streaming */ true);
      }
      // A constant operand (one value broadcast) stays in a register.
      for (int side = 0; side < 2 && !ps.fn; ++side) {
        auto u = value[step.inputs[side]];
        if (u < n_in && inputs[u].data_size() == 1) {
          ps.fn = binary_scalar_simd_kernel(op, step.out_dtype, side);
          scalar_side = ps.fn ? side : -1;
        }
      }
    }
    if (!ps.fn && !ps.prologue_fn) {
      ps.fn = step_kernel(step);
    }
    if (!ps.fn && !ps.prologue_fn) {
      std::ostringstream msg;
      msg << "[Compiled] No CPU kernel for step " << k << " at type " << step.in_dtype << ".";
      throw std::runtime_error(msg.str());
    }
    for (size_t i = 0; i < ps.num_in; ++i) {
      if (ps.in[i].kind == Loc::input && static_cast<int>(i) != scalar_side) {
        plan.first_only[ps.in[i].index] = false;
      }
    }
    plan.steps.push_back(ps);
  }
  return plan;
}

// `in` seen with `shape` (stride 0 along the broadcast dims), sharing its buffer.
array broadcast_view(const array& in, const Shape& shape) {
  Strides strides(shape.size(), 0);
  size_t lead = shape.size() - in.ndim();
  for (size_t i = 0; i < in.ndim(); ++i) {
    strides[lead + i] = (in.shape()[i] == 1 && shape[lead + i] != 1) ? 0 : in.strides()[i];
  }
  array view(shape, in.dtype(), nullptr, {});
  view.copy_shared_buffer(in, strides, view_flags(shape, strides), view_data_size(shape, strides));
  return view;
}

// The calling thread's scratch tiles (a kernel runs one region at a time per thread), aligned
// to cache lines so that no vector access straddles two.
char* scratch_space(size_t num_tiles) {
  constexpr size_t kAlign = 64;
  thread_local std::vector<char> space;
  size_t bytes = num_tiles * kScratchBytes + kAlign;
  if (space.size() < bytes) {
    space.resize(bytes);
  }
  auto addr = reinterpret_cast<uintptr_t>(space.data());
  return space.data() + (kAlign - addr % kAlign) % kAlign;
}

}  // namespace

bool has_tile_kernel(const FusedStep& step) {
  return step.kind == FusedStep::Kind::Broadcast || step_kernel(step) != nullptr;
}

}  // namespace cpu

void Compiled::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  auto& p = program();
  auto plan = cpu::make_plan(p, inputs, outputs);

  // Each output takes over the buffer of an input nobody else holds, where no later step reads
  // that input.
  std::vector<bool> donated(inputs.size(), false);
  for (size_t j = 0; j < outputs.size(); ++j) {
    auto& out = outputs[j];
    int step = static_cast<int>(p.outputs[j] - p.num_inputs);
    bool done = false;
    for (size_t k = 0; k < inputs.size() && !done; ++k) {
      if (!donated[k] && plan.input_last_use[k] <= step && cpu::can_donate(inputs[k], out)) {
        out.copy_shared_buffer(inputs[k]);
        donated[k] = done = true;
      }
    }
    if (!done) {
      out.set_data(allocator::malloc(out.nbytes()));
    }
  }

  const Shape& shape = outputs[0].shape();
  std::vector<array> views;
  views.reserve(inputs.size());
  for (auto& in : inputs) {
    views.push_back(in.shape() == shape ? in : cpu::broadcast_view(in, shape));
  }
  views = cpu::untranspose_large(views);

  // Inputs read in place (contiguous, full size): the next tile's lines are prefetched while
  // this tile's steps compute, spread over the steps, so the memory read overlaps the
  // arithmetic instead of stalling the first step that reads each tile.
  std::vector<std::pair<size_t, size_t>> prefetched;  // (input, item size)
  for (size_t k = 0; k < views.size(); ++k) {
    if (views[k].flags().row_contiguous && views[k].data_size() == views[k].size()) {
      prefetched.emplace_back(k, views[k].itemsize());
    }
  }
  const size_t num_steps = plan.steps.size();
  const size_t total = outputs[0].size();

  std::vector<char*> out_base;
  std::vector<size_t> out_item;
  for (auto& out : outputs) {
    out_base.push_back(out.data<char>());
    out_item.push_back(out.itemsize());
  }
  cpu::for_each_tile(
      views, outputs[0],
      [&](const void* const* in, void* out0, size_t n) {
        size_t pos = static_cast<size_t>(static_cast<char*>(out0) - out_base[0]) / out_item[0];
        char* scratch = cpu::scratch_space(plan.num_scratch);
        auto at = [&](cpu::Loc l) -> void* {
          switch (l.kind) {
            case cpu::Loc::input:
              return const_cast<void*>(in[l.index]);
            case cpu::Loc::scratch:
              return scratch + l.index * cpu::kScratchBytes;
            default:
              return out_base[l.index] + pos * out_item[l.index];
          }
        };
        // The next tile's elements (within the array), prefetched in equal shares of elements
        // across the steps.
        const size_t next_n = std::min(n, total - std::min(total, pos + n));
        const size_t share = (next_n + num_steps - 1) / num_steps;
        for (size_t k = 0; k < num_steps; ++k) {
          const size_t first = std::min(next_n, k * share), last = std::min(next_n, first + share);
          for (auto [input, item] : prefetched) {
            const char* next = static_cast<const char*>(in[input]) + n * item;
            for (size_t b = first * item; b < last * item; b += 64) {
              __builtin_prefetch(next + b);
            }
          }
          auto& s = plan.steps[k];
          const void* args[3];
          for (size_t i = 0; i < s.num_in; ++i) {
            args[i] = at(s.in[i]);
          }
          if (s.prologue_fn) {
            s.prologue_fn(args, at(s.out), n, s.prologue.data());
          } else {
            s.fn(args, at(s.out), n);
          }
        }
      },
      cpu::kFusedTile, plan.first_only);
}

}  // namespace mlx::core
