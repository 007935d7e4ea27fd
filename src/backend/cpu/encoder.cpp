#include "mlx/backend/cpu/encoder.h"

namespace mlx::core::cpu {

CommandEncoder& get_command_encoder(Stream) {
  // Stateless: one per thread is enough.
  static thread_local CommandEncoder encoder;
  return encoder;
}

}  // namespace mlx::core::cpu
