// Internal: the passes of compile over a traced graph (src/transforms/compile*.cpp).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "mlx/array.h"
#include "mlx/primitives.h"

namespace mlx::core::detail {

// The function as traced: placeholder inputs, what it returned, and every node still to be
// computed between them (also those that depend on no input), in topological order, one entry
// per primitive application (the first of its outputs; a.outputs() gives all).
struct Trace {
  std::vector<array> inputs;
  std::vector<array> outputs;
  std::vector<array> tape;
};

// The traced graph as a program. Values live in slots: the inputs first, then the constants,
// then the nodes' outputs in order, so a replay fills one vector front to back.
struct Node {
  std::shared_ptr<Primitive> primitive;
  std::vector<uint32_t> inputs;
  std::vector<Shape> shapes;
  std::vector<Dtype> dtypes;
};

struct Program {
  std::vector<Shape> input_shapes;
  std::vector<array> constants;
  std::vector<Node> nodes;
  std::vector<uint32_t> outputs;
  size_t num_slots = 0;
};

// Runs `fun` once on placeholders with the inputs' shapes and dtypes.
Trace compile_trace(const std::function<std::vector<array>(const std::vector<array>&)>& fun,
                    const std::vector<array>& inputs, bool shapeless);

// Merges equal scalar constants and common subexpressions; drops nodes nothing uses.
void compile_simplify(Trace& t);
void compile_drop_dead(Trace& t);

// Arrays the tape reads that are neither inputs nor produced on it become the constants.
Program make_program(const Trace& t);

// Builds the program's nodes on the real inputs. With `infer_shapes`, each node's shapes come
// from its primitive (shapeless reuse at other input shapes); that throws where a primitive
// cannot say, or where the shapes do not fit together.
std::vector<array> compile_replace(const Program& p, const std::vector<array>& inputs,
                                   bool infer_shapes);

// While alive on a thread, compiled functions run their function directly, so a function being
// exported records ordinary ops rather than fused nodes (which a file cannot hold).
struct InExportTracing {
  InExportTracing();
  ~InExportTracing();
  InExportTracing(const InExportTracing&) = delete;
  InExportTracing& operator=(const InExportTracing&) = delete;
  static bool in_export_tracing();
};

// A traced graph. `inputs` are the trace's placeholder inputs; `outputs` what the function
// returned; `tape` holds every node that has a primitive and lies between them, in topological
// order, one entry per primitive application (the first of its outputs; a.outputs() gives all).
// Arrays reached from the outputs that are neither inputs nor on the tape are constants
// (captured arrays, or values the function created).
//
// compile_fuse replaces each connected elementwise region of the tape (unary, binary,
// comparison, select, astype and broadcast nodes) by one node of the Compiled primitive, which
// computes the whole region in one pass over cache-sized tiles. It works in place: the arrays
// the region's outputs are (those used outside the region, or listed in `outputs`) stay the
// same array objects, now produced by the Compiled primitive from the region's external inputs
// (as siblings of each other); the region's other nodes leave the tape.
void compile_fuse(std::vector<array>& tape, const std::vector<array>& inputs,
                  const std::vector<array>& outputs);

}  // namespace mlx::core::detail
