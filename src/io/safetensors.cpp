// safetensors: an 8-byte little-endian header length, a JSON header mapping each tensor name to
// its dtype, shape and [begin, end) byte range in the data that follows, and an optional
// "__metadata__" map of strings.
#include <algorithm>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "io/format.h"
#include "mlx/io.h"

namespace mlx::core {

using io_detail::fail;
using json = nlohmann::json;

namespace {

constexpr const char* kLoad = "load_safetensors";
constexpr const char* kSave = "save_safetensors";
// The format's own limit on the header (it keeps parsing cheap on hostile files).
constexpr uint64_t kMaxHeader = 100'000'000;

struct StDtype {
  const char* name;
  Dtype dtype;
};

// F8 types have no MLX dtype: their bytes load as uint8.
constexpr StDtype kDtypes[] = {
    {"BOOL", bool_},    {"U8", uint8},      {"I8", int8},       {"U16", uint16},
    {"I16", int16},     {"U32", uint32},    {"I32", int32},     {"U64", uint64},
    {"I64", int64},     {"F16", float16},   {"BF16", bfloat16}, {"F32", float32},
    {"F64", float64},   {"C64", complex64}, {"F8_E4M3", uint8}, {"F8_E5M2", uint8},
    {"F8_E8M0", uint8},
};

const char* dtype_name(Dtype t) {
  for (auto& d : kDtypes) {
    if (d.dtype == t) {
      return d.name;
    }
  }
  return nullptr;
}

uint64_t to_u64(const json& v, const io::Reader& in, const std::string& what) {
  if (!v.is_number_unsigned()) {
    fail(kLoad, in, what + " must be a non-negative integer.");
  }
  return v.get<uint64_t>();
}

}  // namespace

SafetensorsLoad load_safetensors(std::shared_ptr<io::Reader> in, StreamOrDevice s) {
  if (!in || !in->good()) {
    throw std::runtime_error(std::string("[") + kLoad + "] Failed to open " +
                             (in ? in->label() : std::string("a null reader")));
  }
  auto stream = to_stream(s, Device(Device::cpu));
  const size_t file_size = io_detail::stream_size(*in);
  if (file_size < 8) {
    fail(kLoad, *in,
         "the file is too short (" + std::to_string(file_size) + " bytes) for a header.");
  }
  uint64_t header_len = 0;
  in->read(reinterpret_cast<char*>(&header_len), 8, 0);
  if (header_len > file_size - 8 || header_len > kMaxHeader) {
    fail(kLoad, *in,
         "header length " + std::to_string(header_len) + " exceeds the file size " +
             std::to_string(file_size) + " or the 100 MB limit.");
  }
  std::string text(header_len, '\0');
  in->read(text.data(), header_len, 8);
  json header = json::parse(text, nullptr, /* allow_exceptions */ false);
  if (!header.is_object()) {
    fail(kLoad, *in, "the header is not a JSON object.");
  }

  const size_t data_start = 8 + header_len;
  const uint64_t data_size = file_size - data_start;
  SafetensorsLoad result;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto& [key, entry] : header.items()) {
    if (key == "__metadata__") {
      if (!entry.is_object()) {
        fail(kLoad, *in, "__metadata__ is not an object.");
      }
      for (auto& [mkey, mval] : entry.items()) {
        if (!mval.is_string()) {
          fail(kLoad, *in, "metadata value of '" + mkey + "' is not a string.");
        }
        result.second.emplace(mkey, mval.get<std::string>());
      }
      continue;
    }
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets")) {
      fail(kLoad, *in, "tensor '" + key + "' needs dtype, shape and data_offsets.");
    }
    auto& jdtype = entry["dtype"];
    auto& jshape = entry["shape"];
    auto& joffsets = entry["data_offsets"];
    if (!jdtype.is_string()) {
      fail(kLoad, *in, "dtype of tensor '" + key + "' is not a string.");
    }
    auto name = jdtype.get<std::string>();
    auto it = std::find_if(std::begin(kDtypes), std::end(kDtypes),
                           [&](const StDtype& d) { return name == d.name; });
    if (it == std::end(kDtypes)) {
      fail(kLoad, *in, "tensor '" + key + "' has unsupported dtype " + name + ".");
    }
    if (!jshape.is_array() || jshape.size() > 64) {
      fail(kLoad, *in, "shape of tensor '" + key + "' is not a list of at most 64 dimensions.");
    }
    std::vector<uint64_t> dims;
    for (auto& d : jshape) {
      dims.push_back(to_u64(d, *in, "a dimension of tensor '" + key + "'"));
    }
    uint64_t nbytes = 0;
    Shape shape = io_detail::checked_shape(kLoad, *in, dims, size_of(it->dtype), nbytes);
    if (!joffsets.is_array() || joffsets.size() != 2) {
      fail(kLoad, *in, "data_offsets of tensor '" + key + "' is not a pair.");
    }
    uint64_t begin = to_u64(joffsets[0], *in, "data_offsets of tensor '" + key + "'");
    uint64_t end = to_u64(joffsets[1], *in, "data_offsets of tensor '" + key + "'");
    if (begin > end || end > data_size) {
      fail(kLoad, *in,
           "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] of tensor '" +
               key + "' are outside the data (" + std::to_string(data_size) + " bytes).");
    }
    if (end - begin != nbytes) {
      fail(kLoad, *in,
           "tensor '" + key + "' has " + std::to_string(end - begin) + " bytes but its shape and " +
               "dtype need " + std::to_string(nbytes) + ".");
    }
    if (begin < end) {
      ranges.emplace_back(begin, end);
    }
    result.first.emplace(
        key, io_detail::lazy_load(in, data_start + begin, std::move(shape), it->dtype, 0, stream));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) {
      fail(kLoad, *in, "two tensors' data_offsets overlap.");
    }
  }
  return result;
}

SafetensorsLoad load_safetensors(const std::string& file, StreamOrDevice s) {
  return load_safetensors(std::make_shared<io::ParallelFileReader>(file), s);
}

void save_safetensors(std::shared_ptr<io::Writer> out, std::unordered_map<std::string, array> a,
                      std::unordered_map<std::string, std::string> metadata) {
  if (!out || !out->good()) {
    throw std::runtime_error(std::string("[") + kSave + "] Failed to open " +
                             (out ? out->label() : std::string("a null writer")));
  }
  // Sorted names make the file deterministic.
  std::map<std::string, array> sorted(a.begin(), a.end());
  json header = json::object();
  if (!metadata.empty()) {
    header["__metadata__"] =
        json(std::map<std::string, std::string>(metadata.begin(), metadata.end()));
  }
  uint64_t offset = 0;
  for (auto& [key, arr] : sorted) {
    if (key == "__metadata__") {
      throw std::invalid_argument("[save_safetensors] The name __metadata__ is reserved.");
    }
    const char* name = dtype_name(arr.dtype());
    if (arr.dtype() == float64 || name == nullptr) {
      std::ostringstream msg;
      msg << "[save_safetensors] Array '" << key << "' has dtype " << arr.dtype()
          << ", which safetensors files here cannot hold.";
      throw std::invalid_argument(msg.str());
    }
    header[key] = {
        {"dtype", name}, {"shape", arr.shape()}, {"data_offsets", {offset, offset + arr.nbytes()}}};
    offset += arr.nbytes();
  }
  std::string text = header.dump();
  // Spaces pad the header so the data starts 8-byte aligned, as the format allows.
  text.append((8 - text.size() % 8) % 8, ' ');
  uint64_t header_len = text.size();
  out->write(reinterpret_cast<const char*>(&header_len), 8);
  out->write(text.data(), text.size());
  for (auto& [key, arr] : sorted) {
    io_detail::write_array(*out, arr);
  }
}

void save_safetensors(std::string file, std::unordered_map<std::string, array> a,
                      std::unordered_map<std::string, std::string> metadata) {
  if (file.size() < 12 || file.compare(file.size() - 12, 12, ".safetensors") != 0) {
    file += ".safetensors";
  }
  save_safetensors(std::make_shared<io::FileWriter>(std::move(file)), std::move(a),
                   std::move(metadata));
}

}  // namespace mlx::core
