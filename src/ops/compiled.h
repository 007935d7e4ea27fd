// Internal: the Compiled primitive, one fused elementwise region of a compiled graph. The fusion
// pass (src/transforms/compile_fuse.cpp) builds it; src/ops/compiled.cpp has its transform
// rules, src/backend/cpu/compiled.cpp runs it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ops/primitive_params.h"

namespace mlx::core {

// One node of a fused region, as the kernel runs it. Values are numbered: the region's inputs
// first, then one per step in order.
struct FusedStep {
  enum class Kind : uint8_t { Unary, Binary, Compare, Predicate, Select, AsType, Broadcast };
  Kind kind;
  // The family's enum value (UnaryOp, BinaryOp, CompareOp, PredicateOp); 0 for the others.
  int op;
  // The dtype of the first input (the one the tile kernel is chosen by) and of the result.
  Dtype in_dtype;
  Dtype out_dtype;
  std::vector<uint32_t> inputs;
  // Broadcast only: the target shape. The kernel broadcasts the region's inputs itself, so a
  // Broadcast step just names its input's value.
  Shape shape;

  bool operator==(const FusedStep&) const = default;
};

struct FusedProgram {
  uint32_t num_inputs = 0;
  std::vector<FusedStep> steps;
  // The values the region's outputs are, in the order of the primitive's outputs.
  std::vector<uint32_t> outputs;

  bool operator==(const FusedProgram&) const = default;
};

// A fused region: its outputs all have one shape, the broadcast of its inputs' shapes (or the
// shape its Broadcast steps name). Besides the program it keeps the primitives of the nodes it
// replaced, one per step, so that its transforms rebuild the region from ordinary ops.
class Compiled : public Primitive {
 public:
  Compiled(Stream s, FusedProgram program, std::vector<std::shared_ptr<Primitive>> primitives);

  const FusedProgram& program() const { return program_; }

  // The region as the original (unfused) nodes on `inputs`: its outputs, in order.
  std::vector<array> replay(const std::vector<array>& inputs) const;

  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>&, std::vector<array>&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Compiled"; }
  bool is_equivalent(const Primitive& other) const override;
  size_t hash() const override;
  // Compiled(Multiply, Add, Tanh, ...): the replaced nodes in order.
  void print(std::ostream& os) const override;
  // Throws std::invalid_argument where the region broadcasts to a fixed shape: its output
  // shape does not follow from its inputs', so shapeless compile retraces instead.
  std::vector<Shape> output_shapes(const std::vector<array>& inputs) override;
  MLX_TRANSFORM_RULES()

 private:
  FusedProgram program_;
  std::vector<std::shared_ptr<Primitive>> primitives_;
};

namespace cpu {
// Whether the CPU backend has a tile kernel for the step (the fusion pass leaves the others
// unfused). Broadcast steps need none.
bool has_tile_kernel(const FusedStep& step);
}  // namespace cpu

}  // namespace mlx::core
