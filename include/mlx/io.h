// Saving and loading arrays: NumPy's .npy, safetensors and GGUF. Loading is lazy: the header is
// parsed at once, and each tensor's bytes are read when the array is evaluated (on the CPU).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "mlx/array.h"
#include "mlx/io/load.h"
#include "mlx/stream.h"
#include "mlx/utils.h"

namespace mlx::core {

using GGUFMetaData = std::variant<std::monostate, array, std::string, std::vector<std::string>>;
using GGUFLoad = std::pair<std::unordered_map<std::string, array>,
                           std::unordered_map<std::string, GGUFMetaData>>;
using SafetensorsLoad =
    std::pair<std::unordered_map<std::string, array>, std::unordered_map<std::string, std::string>>;

/** Saves an array as .npy (little-endian, C order) to the writer. */
void save(std::shared_ptr<io::Writer> out_stream, array a);

/** Saves an array as .npy; ".npy" is appended to the file name if missing. */
void save(std::string file, array a);

/** Loads a .npy array from the reader. */
array load(std::shared_ptr<io::Reader> in_stream, StreamOrDevice s = {});

/** Loads a .npy file. */
array load(std::string file, StreamOrDevice s = {});

/** Loads the tensors and the `__metadata__` strings of a safetensors stream. */
SafetensorsLoad load_safetensors(std::shared_ptr<io::Reader> in_stream, StreamOrDevice s = {});
SafetensorsLoad load_safetensors(const std::string& file, StreamOrDevice s = {});

/** Saves arrays (any dtype but float64) and string metadata in the safetensors format. */
void save_safetensors(std::shared_ptr<io::Writer> in_stream, std::unordered_map<std::string, array>,
                      std::unordered_map<std::string, std::string> metadata = {});
void save_safetensors(std::string file, std::unordered_map<std::string, array>,
                      std::unordered_map<std::string, std::string> metadata = {});

/** Loads a GGUF (v2 or v3) file: tensors (Q4_0, Q4_1 and Q8_0 become affine-quantized
 * `name.weight`, `name.scales`, `name.biases` triples) and metadata. */
GGUFLoad load_gguf(const std::string& file, StreamOrDevice s = {});

/** Saves arrays (float32, float16, bfloat16, float64, int8, int16, int32, int64) and metadata
 * (scalars and 1-D arrays, strings, string lists) as GGUF v3. */
void save_gguf(std::string file, std::unordered_map<std::string, array> array_map,
               std::unordered_map<std::string, GGUFMetaData> meta_data = {});

}  // namespace mlx::core
