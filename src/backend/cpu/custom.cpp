// CustomTransforms on the CPU: the wrapped function's outputs are its trailing inputs, already
// computed, so the node only shares their buffers.
#include "ops/custom.h"

namespace mlx::core {

void CustomTransforms::eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) {
  size_t first = inputs.size() - outputs.size();
  for (size_t i = 0; i < outputs.size(); ++i) {
    outputs[i].copy_shared_buffer(inputs[first + i]);
  }
}

}  // namespace mlx::core
