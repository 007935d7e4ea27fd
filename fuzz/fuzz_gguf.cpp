// libFuzzer target: GGUF files (load_gguf takes a path, so the input goes through a file in
// /dev/shm), every tensor evaluated, the quantized ones converted.
#include <unistd.h>

#include <fstream>
#include <string>

#include "mlx/mlx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlx::core;
  static const std::string path = "/dev/shm/mlx_fuzz_gguf_" + std::to_string(::getpid());
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    auto [arrays, metadata] = load_gguf(path);
    for (auto& [name, a] : arrays) {
      a.eval();
    }
  } catch (const std::exception&) {
  }
  return 0;
}
