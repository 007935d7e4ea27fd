// libFuzzer target: .npy headers and data, evaluated (every array is read).
#include <memory>

#include "memory_reader.h"
#include "mlx/mlx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlx::core;
  try {
    auto a = load(std::make_shared<MemoryReader>(data, size));
    eval(sum(astype(a, float32)));
  } catch (const std::exception&) {
  }
  return 0;
}
