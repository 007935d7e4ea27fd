// GGUF (versions 2 and 3): "GGUF", a version, the tensor and metadata counts, typed metadata
// key/values, tensor infos (name, dimensions fastest first, GGML type, offset), then the tensor
// data from the next multiple of general.alignment (default 32), little-endian throughout.
#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <sstream>

#include "io/format.h"
#include "mlx/io.h"
#include "mlx/ops.h"
#include "ops/io.h"

namespace mlx::core {

using io_detail::fail;

namespace {

constexpr const char* kLoad = "load_gguf";
constexpr uint32_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 8;
constexpr int kMaxNesting = 8;

enum ValueType : uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};

// The dtype of a numeric metadata type, or nullopt-like false.
bool value_dtype(uint32_t t, Dtype& d) {
  static const Dtype table[] = {uint8, int8,  uint16, int16,  uint32, int32,  float32,
                                bool_, bool_, bool_,  uint64, int64,  float64};
  if (t > F64 || t == STRING || t == ARRAY) {
    return false;
  }
  d = table[t];
  return true;
}

// GGML tensor types: plain dtypes and the block formats we convert.
struct TensorType {
  uint32_t id;
  const char* name;
  bool plain;
  Dtype dtype;
  GGMLQuant quant;
};

constexpr TensorType kTensorTypes[] = {
    {0, "F32", true, float32, {}},
    {1, "F16", true, float16, {}},
    {2, "Q4_0", false, uint32, GGMLQuant::Q4_0},
    {3, "Q4_1", false, uint32, GGMLQuant::Q4_1},
    {8, "Q8_0", false, uint32, GGMLQuant::Q8_0},
    {24, "I8", true, int8, {}},
    {25, "I16", true, int16, {}},
    {26, "I32", true, int32, {}},
    {27, "I64", true, int64, {}},
    {28, "F64", true, float64, {}},
    {30, "BF16", true, bfloat16, {}},
};

const char* unsupported_type_name(uint32_t id) {
  static const std::map<uint32_t, const char*> names = {
      {6, "Q5_0"},    {7, "Q5_1"},     {9, "Q8_1"},   {10, "Q2_K"},   {11, "Q3_K"},
      {12, "Q4_K"},   {13, "Q5_K"},    {14, "Q6_K"},  {15, "Q8_K"},   {16, "IQ2_XXS"},
      {17, "IQ2_XS"}, {18, "IQ3_XXS"}, {19, "IQ1_S"}, {20, "IQ4_NL"}, {21, "IQ3_S"},
      {22, "IQ2_S"},  {23, "IQ4_XS"},  {29, "IQ1_M"}, {34, "TQ1_0"},  {35, "TQ2_0"},
      {39, "MXFP4"}};
  auto it = names.find(id);
  return it == names.end() ? nullptr : it->second;
}

// Sequential, bounds-checked reads of the header through a buffer.
class Cursor {
 public:
  Cursor(io::Reader& in, size_t size) : in_(in), size_(size) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  void get(void* dst, size_t n) {
    if (n > remaining()) {
      fail(kLoad, in_,
           "truncated header (" + std::to_string(n) + " bytes needed at byte " +
               std::to_string(pos_) + ", " + std::to_string(remaining()) + " left).");
    }
    auto* out = static_cast<char*>(dst);
    while (n > 0) {
      if (pos_ < buf_start_ || pos_ >= buf_start_ + buf_.size()) {
        buf_.resize(std::min(kBuffer, remaining()));
        buf_start_ = pos_;
        in_.read(buf_.data(), buf_.size(), buf_start_);
      }
      size_t take = std::min(n, buf_start_ + buf_.size() - pos_);
      std::memcpy(out, buf_.data() + (pos_ - buf_start_), take);
      out += take;
      pos_ += take;
      n -= take;
    }
  }
  template <typename T>
  T get() {
    T v;
    get(&v, sizeof(T));
    return v;
  }
  std::string string() {
    auto n = get<uint64_t>();
    if (n > remaining()) {
      fail(kLoad, in_,
           "string length " + std::to_string(n) + " at byte " + std::to_string(pos_) +
               " exceeds the file.");
    }
    std::string s(n, '\0');
    get(s.data(), n);
    return s;
  }
  // A count of items that take at least `min_bytes` each must fit in the rest of the file.
  uint64_t count(uint64_t n, size_t min_bytes, const char* what) {
    if (n > remaining() / min_bytes) {
      fail(kLoad, in_, std::string(what) + " count " + std::to_string(n) + " exceeds the file.");
    }
    return n;
  }

 private:
  static constexpr size_t kBuffer = size_t(1) << 20;
  io::Reader& in_;
  size_t size_;
  size_t pos_{0};
  std::vector<char> buf_;
  size_t buf_start_{0};
};

size_t value_size(uint32_t t) {
  static const size_t sizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8};
  return sizes[t];
}

// n numbers of a numeric dtype as a 1-D array (a scalar when `scalar`).
array read_numbers(Cursor& c, io::Reader& in, Dtype dtype, uint64_t n, bool scalar = false) {
  if (n > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
    fail(kLoad, in, "metadata array of " + std::to_string(n) + " elements is too long.");
  }
  auto buffer = allocator::malloc(n * size_of(dtype));
  array values(buffer, scalar ? Shape{} : Shape{static_cast<int32_t>(n)}, dtype);
  c.get(values.data<char>(), n * size_of(dtype));
  if (dtype == bool_) {
    // Any nonzero byte is true; a bool must hold 0 or 1.
    auto* b = values.data<uint8_t>();
    for (uint64_t i = 0; i < n; ++i) {
      b[i] = b[i] != 0;
    }
  }
  return values;
}

GGUFMetaData read_value(Cursor& c, io::Reader& in, uint32_t type, int depth) {
  Dtype dtype = bool_;
  if (value_dtype(type, dtype)) {
    return read_numbers(c, in, dtype, 1, true);
  }
  if (type == STRING) {
    return c.string();
  }
  if (type != ARRAY) {
    fail(kLoad, in, "unknown metadata value type " + std::to_string(type) + ".");
  }
  auto elem = c.get<uint32_t>();
  auto n = c.get<uint64_t>();
  if (elem == STRING) {
    std::vector<std::string> strings(c.count(n, 8, "string array"));
    for (auto& s : strings) {
      s = c.string();
    }
    return strings;
  }
  if (elem == ARRAY) {
    // Arrays of arrays have no MLX form; they are read (to find what follows) and dropped.
    if (depth >= kMaxNesting) {
      fail(kLoad, in, "metadata arrays nested deeper than " + std::to_string(kMaxNesting) + ".");
    }
    for (uint64_t i = 0, m = c.count(n, 12, "nested array"); i < m; ++i) {
      read_value(c, in, ARRAY, depth + 1);
    }
    return std::monostate{};
  }
  if (!value_dtype(elem, dtype)) {
    fail(kLoad, in, "unknown metadata array element type " + std::to_string(elem) + ".");
  }
  return read_numbers(c, in, dtype, c.count(n, value_size(elem), "array"));
}

}  // namespace

GGUFLoad load_gguf(const std::string& file, StreamOrDevice s) {
  auto in = std::make_shared<io::ParallelFileReader>(file);
  if (!in->good()) {
    throw std::runtime_error("[load_gguf] Failed to open " + in->label());
  }
  auto stream = to_stream(s, Device(Device::cpu));
  const size_t file_size = io_detail::stream_size(*in);
  Cursor c(*in, file_size);
  char magic[4];
  c.get(magic, 4);
  if (std::memcmp(magic, "GGUF", 4) != 0) {
    fail(kLoad, *in, "not a GGUF file (bad magic).");
  }
  auto version = c.get<uint32_t>();
  if (version != 2 && version != 3) {
    fail(kLoad, *in, "unsupported GGUF version " + std::to_string(version) + " (2 and 3 are).");
  }
  uint64_t n_tensors = c.get<uint64_t>();
  uint64_t n_kv = c.get<uint64_t>();
  // A key/value takes at least 13 bytes, a tensor info at least 24.
  c.count(n_kv, 13, "metadata");
  c.count(n_tensors, 24, "tensor");

  GGUFLoad result;
  auto& meta = result.second;
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = c.string();
    auto type = c.get<uint32_t>();
    meta.insert_or_assign(key, read_value(c, *in, type, 0));
  }
  uint64_t alignment = kDefaultAlignment;
  if (auto it = meta.find("general.alignment"); it != meta.end()) {
    auto* a = std::get_if<array>(&it->second);
    if (!a || a->dtype() != uint32 || a->ndim() != 0 || a->item<uint32_t>() == 0 ||
        (a->item<uint32_t>() & (a->item<uint32_t>() - 1)) != 0) {
      fail(kLoad, *in, "general.alignment must be a power of two stored as uint32.");
    }
    alignment = a->item<uint32_t>();
  }

  struct Info {
    std::string name;
    Shape shape;
    const TensorType* type;
    uint64_t offset;
    uint64_t nbytes;
  };
  std::vector<Info> infos(n_tensors);
  for (auto& t : infos) {
    t.name = c.string();
    auto n_dims = c.get<uint32_t>();
    if (n_dims > kMaxDims) {
      fail(kLoad, *in, "tensor '" + t.name + "' has " + std::to_string(n_dims) + " dimensions.");
    }
    std::vector<uint64_t> dims(n_dims);
    for (auto& d : dims) {
      d = c.get<uint64_t>();
    }
    std::reverse(dims.begin(), dims.end());
    auto type_id = c.get<uint32_t>();
    t.offset = c.get<uint64_t>();
    auto it = std::find_if(std::begin(kTensorTypes), std::end(kTensorTypes),
                           [&](const TensorType& tt) { return tt.id == type_id; });
    if (it == std::end(kTensorTypes)) {
      const char* name = unsupported_type_name(type_id);
      fail(kLoad, *in,
           "tensor '" + t.name + "' has " +
               (name ? std::string("the unsupported type ") + name
                     : "unknown type " + std::to_string(type_id)) +
               " (F32, F16, BF16, F64, I8, I16, I32, I64, Q4_0, Q4_1 and Q8_0 load).");
    }
    t.type = &*it;
    if (t.type->plain) {
      t.shape = io_detail::checked_shape(kLoad, *in, dims, size_of(t.type->dtype), t.nbytes);
    } else {
      if (dims.empty() || dims.back() % 32 != 0) {
        fail(kLoad, *in,
             "quantized tensor '" + t.name + "' needs a last dimension divisible by 32.");
      }
      uint64_t elements = 0;
      t.shape = io_detail::checked_shape(kLoad, *in, dims, 1, elements);
      t.nbytes = elements / 32 * ggml_block_bytes(t.type->quant);
    }
    if (t.offset % alignment != 0) {
      fail(kLoad, *in,
           "tensor '" + t.name + "' has offset " + std::to_string(t.offset) +
               ", not a multiple of the alignment " + std::to_string(alignment) + ".");
    }
  }
  const uint64_t data_start = (c.pos() + alignment - 1) / alignment * alignment;
  const uint64_t data_size = file_size > data_start ? file_size - data_start : 0;

  auto& arrays = result.first;
  auto insert = [&](const std::string& name, array a) {
    if (!arrays.emplace(name, std::move(a)).second) {
      fail(kLoad, *in, "duplicate tensor name '" + name + "'.");
    }
  };
  for (auto& t : infos) {
    if (t.offset > data_size || t.nbytes > data_size - t.offset) {
      fail(kLoad, *in,
           "tensor '" + t.name + "' (" + std::to_string(t.nbytes) + " bytes at offset " +
               std::to_string(t.offset) + ") is outside the data (" + std::to_string(data_size) +
               " bytes).");
    }
    if (t.type->plain) {
      insert(t.name,
             io_detail::lazy_load(in, data_start + t.offset, t.shape, t.type->dtype, 0, stream));
      continue;
    }
    // The weight keeps the tensor's name; scales and biases replace its ".weight" suffix.
    const int bits = t.type->quant == GGMLQuant::Q8_0 ? 8 : 4;
    Shape wshape = t.shape;
    wshape.back() = wshape.back() / 32 * bits;
    Shape sshape = t.shape;
    sshape.back() /= 32;
    auto outs = array::make_arrays(
        {wshape, sshape, sshape}, {uint32, float16, float16},
        std::make_shared<LoadQuantized>(stream, in, data_start + t.offset, t.type->quant), {});
    std::string prefix = t.name;
    constexpr std::string_view suffix = ".weight";
    if (prefix.size() >= suffix.size() &&
        prefix.compare(prefix.size() - suffix.size(), suffix.size(), suffix) == 0) {
      prefix.resize(prefix.size() - suffix.size());
    }
    insert(t.name, outs[0]);
    insert(prefix + ".scales", outs[1]);
    insert(prefix + ".biases", outs[2]);
  }
  return result;
}

namespace {

class GGUFWriter {
 public:
  explicit GGUFWriter(io::Writer& out) : out_(out) {}
  template <typename T>
  void put(T v) {
    out_.write(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void string(const std::string& s) {
    put<uint64_t>(s.size());
    out_.write(s.data(), s.size());
  }
  void pad(uint64_t alignment) {
    static const char zeros[kDefaultAlignment] = {};
    out_.write(zeros, (alignment - out_.tell() % alignment) % alignment);
  }
  io::Writer& out() { return out_; }

 private:
  io::Writer& out_;
};

uint32_t metadata_type(Dtype t, const std::string& key) {
  for (uint32_t v = U8; v <= F64; ++v) {
    Dtype d = bool_;
    if (value_dtype(v, d) && d == t) {
      return v;
    }
  }
  std::ostringstream msg;
  msg << "[save_gguf] Metadata '" << key << "' has dtype " << t << ", which GGUF cannot hold.";
  throw std::invalid_argument(msg.str());
}

uint32_t tensor_type(Dtype t, const std::string& key) {
  for (auto& tt : kTensorTypes) {
    if (tt.plain && tt.dtype == t) {
      return tt.id;
    }
  }
  std::ostringstream msg;
  msg << "[save_gguf] Array '" << key << "' has dtype " << t
      << "; GGUF holds float32, float16, bfloat16, float64, int8, int16, int32 and int64.";
  throw std::invalid_argument(msg.str());
}

}  // namespace

void save_gguf(std::string file, std::unordered_map<std::string, array> array_map,
               std::unordered_map<std::string, GGUFMetaData> meta_data) {
  if (file.size() < 5 || file.compare(file.size() - 5, 5, ".gguf") != 0) {
    file += ".gguf";
  }
  // Everything is checked before the file is created.
  std::map<std::string, array> arrays(array_map.begin(), array_map.end());
  std::map<std::string, GGUFMetaData> meta(meta_data.begin(), meta_data.end());
  for (auto& [key, a] : arrays) {
    tensor_type(a.dtype(), key);
  }
  for (auto& [key, v] : meta) {
    if (std::holds_alternative<std::monostate>(v)) {
      throw std::invalid_argument("[save_gguf] Metadata '" + key + "' has no value.");
    }
    if (auto* a = std::get_if<array>(&v)) {
      metadata_type(a->dtype(), key);
      if (a->ndim() > 1) {
        throw std::invalid_argument("[save_gguf] Metadata '" + key +
                                    "' must be a scalar or a 1-D array.");
      }
    }
  }

  auto writer = std::make_shared<io::FileWriter>(file);
  if (!writer->good()) {
    throw std::runtime_error("[save_gguf] Failed to open " + writer->label());
  }
  GGUFWriter w(*writer);
  writer->write("GGUF", 4);
  w.put<uint32_t>(3);
  w.put<uint64_t>(arrays.size());
  w.put<uint64_t>(meta.size());
  for (auto& [key, v] : meta) {
    w.string(key);
    if (auto* str = std::get_if<std::string>(&v)) {
      w.put<uint32_t>(STRING);
      w.string(*str);
    } else if (auto* strs = std::get_if<std::vector<std::string>>(&v)) {
      w.put<uint32_t>(ARRAY);
      w.put<uint32_t>(STRING);
      w.put<uint64_t>(strs->size());
      for (auto& s : *strs) {
        w.string(s);
      }
    } else {
      auto& a = std::get<array>(v);
      uint32_t type = metadata_type(a.dtype(), key);
      if (a.ndim() == 1) {
        w.put<uint32_t>(ARRAY);
        w.put<uint32_t>(type);
        w.put<uint64_t>(a.size());
      } else {
        w.put<uint32_t>(type);
      }
      io_detail::write_array(*writer, a);
    }
  }
  uint64_t offset = 0;
  for (auto& [key, a] : arrays) {
    w.string(key);
    w.put<uint32_t>(a.ndim());
    for (int d = static_cast<int>(a.ndim()) - 1; d >= 0; --d) {
      w.put<uint64_t>(a.shape()[d]);
    }
    w.put<uint32_t>(tensor_type(a.dtype(), key));
    w.put<uint64_t>(offset);
    offset += (a.nbytes() + kDefaultAlignment - 1) / kDefaultAlignment * kDefaultAlignment;
  }
  w.pad(kDefaultAlignment);
  for (auto& [key, a] : arrays) {
    io_detail::write_array(*writer, a);
    w.pad(kDefaultAlignment);
  }
}

}  // namespace mlx::core
