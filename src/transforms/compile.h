// Internal: the passes of compile over a traced graph (src/transforms/compile*.cpp).
#pragma once

#include <vector>

#include "mlx/array.h"

namespace mlx::core::detail {

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
