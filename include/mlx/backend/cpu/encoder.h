// The CPU command encoder, as MLX's custom-extension guide uses it in eval_cpu. A primitive's
// eval_cpu already runs on its stream's worker thread, so dispatch runs the task right away;
// set_input_array and set_output_array exist for source compatibility.
#pragma once

#include <functional>
#include <utility>

#include "mlx/array.h"
#include "mlx/stream.h"

namespace mlx::core::cpu {

class CommandEncoder {
 public:
  void set_input_array(const array&) {}
  void set_output_array(const array&) {}

  template <class F, class... Args>
  void dispatch(F&& f, Args&&... args) {
    std::invoke(std::forward<F>(f), std::forward<Args>(args)...);
  }
};

CommandEncoder& get_command_encoder(Stream stream);

}  // namespace mlx::core::cpu
