// libFuzzer target: safetensors headers and data, every tensor evaluated.
#include <memory>

#include "memory_reader.h"
#include "mlx/mlx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlx::core;
  try {
    auto [arrays, metadata] = load_safetensors(std::make_shared<MemoryReader>(data, size));
    for (auto& [name, a] : arrays) {
      a.eval();
    }
  } catch (const std::exception&) {
  }
  return 0;
}
