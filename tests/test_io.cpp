// File formats: .npy, safetensors and GGUF round trips, known bytes, lazy reads, and the errors
// hostile files give.
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "helpers.h"
#include "mlx/io.h"

namespace mlx::core {

namespace {

namespace fs = std::filesystem;

// A Reader over bytes in memory that counts the reads that happen.
class MemoryReader : public io::Reader {
 public:
  explicit MemoryReader(std::string bytes) : bytes_(std::move(bytes)) {}
  bool is_open() const override { return true; }
  bool good() const override { return true; }
  size_t tell() override { return pos_; }
  void seek(int64_t off, std::ios_base::seekdir way) override {
    pos_ = way == std::ios_base::beg   ? off
           : way == std::ios_base::cur ? pos_ + off
                                       : bytes_.size() + off;
  }
  void read(char* data, size_t n) override {
    read(data, n, pos_);
    pos_ += n;
  }
  void read(char* data, size_t n, size_t offset) override {
    if (offset > bytes_.size() || n > bytes_.size() - offset) {
      throw std::runtime_error("MemoryReader: read past the end");
    }
    std::memcpy(data, bytes_.data() + offset, n);
    reads++;
    bytes_read += n;
  }
  std::string label() const override { return "memory"; }

  std::atomic<int> reads{0};
  std::atomic<size_t> bytes_read{0};

 private:
  std::string bytes_;
  size_t pos_{0};
};

class MemoryWriter : public io::Writer {
 public:
  bool is_open() const override { return true; }
  bool good() const override { return true; }
  size_t tell() override { return bytes.size(); }
  void seek(int64_t, std::ios_base::seekdir) override {}
  void write(const char* data, size_t n) override { bytes.append(data, n); }
  std::string label() const override { return "memory"; }
  std::string bytes;
};

// A file in a fresh temporary directory, removed with the fixture.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("mlx_io_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(dir_);
  }
  ~TempDir() { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  fs::path dir_;
};

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), bytes.size());
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

template <typename T>
std::string le(T v) {
  return std::string(reinterpret_cast<const char*>(&v), sizeof(T));
}

bool same_array(const array& a, const array& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && array_equal(a, b).item<bool>();
}

const std::vector<Dtype> kAllDtypes = {bool_,    uint8,   uint16,  uint32,   uint64,
                                       int8,     int16,   int32,   int64,    float16,
                                       bfloat16, float32, float64, complex64};

// What NumPy writes (numpy/lib/format.py): magic, version 1.0, the header padded with 1 to 64
// spaces and '\n' so that the data starts on a 64-byte boundary.
std::string npy_bytes(const std::string& dict, const std::string& data) {
  std::string header = dict;
  header.append(64 - (10 + header.size() + 1) % 64, ' ');
  header += '\n';
  return std::string("\x93NUMPY\x01\x00", 8) + le<uint16_t>(header.size()) + header + data;
}

std::string safetensors_bytes(const std::string& json, const std::string& data) {
  return le<uint64_t>(json.size()) + json + data;
}

// A GGUF v3 file with the given metadata and tensor-info bytes, then data from offset 32-aligned.
struct GGUFBuilder {
  std::string kv;
  std::string infos;
  std::string data;
  uint64_t n_kv = 0;
  uint64_t n_tensors = 0;

  static std::string str(const std::string& s) { return le<uint64_t>(s.size()) + s; }
  void add_kv(const std::string& key, uint32_t type, const std::string& value) {
    kv += str(key) + le<uint32_t>(type) + value;
    n_kv++;
  }
  void add_tensor(const std::string& name, std::vector<uint64_t> dims_fastest_first, uint32_t type,
                  const std::string& bytes) {
    infos += str(name) + le<uint32_t>(dims_fastest_first.size());
    for (auto d : dims_fastest_first) {
      infos += le<uint64_t>(d);
    }
    data.append((32 - data.size() % 32) % 32, '\0');
    infos += le<uint32_t>(type) + le<uint64_t>(data.size());
    data += bytes;
    n_tensors++;
  }
  std::string bytes(uint32_t version = 3) const {
    std::string head =
        "GGUF" + le<uint32_t>(version) + le<uint64_t>(n_tensors) + le<uint64_t>(n_kv) + kv + infos;
    head.append((32 - head.size() % 32) % 32, '\0');
    return head + data;
  }
};

std::string error_in(const std::function<void()>& f) { return error_of(f); }

}  // namespace

// ---- safetensors ----

TEST(IoSafetensors, RoundTripEveryDtypeAndMetadata) {
  TempDir dir;
  std::unordered_map<std::string, array> arrays;
  for (auto t : kAllDtypes) {
    if (t == float64) {
      continue;
    }
    std::ostringstream name;
    name << "x_" << t;
    arrays.emplace(name.str(), iota({2, 3}, t, 1));
  }
  arrays.emplace("scalar", array(2.5f));
  arrays.emplace("empty", zeros({0, 4}, int32));
  arrays.emplace("transposed", transpose(iota({3, 2}, float32)));
  std::unordered_map<std::string, std::string> meta = {{"format", "mlx"}, {"note", "é\"\\"}};
  save_safetensors(dir.path("w"), arrays, meta);
  ASSERT_TRUE(fs::exists(dir.path("w.safetensors")));
  auto [loaded, loaded_meta] = load_safetensors(dir.path("w.safetensors"));
  EXPECT_EQ(loaded_meta, meta);
  ASSERT_EQ(loaded.size(), arrays.size());
  for (auto& [k, v] : arrays) {
    ASSERT_TRUE(loaded.count(k)) << k;
    EXPECT_TRUE(same_array(loaded.at(k), v)) << k;
  }
  expect_array<float>(loaded.at("transposed"), {2, 3}, float32, {0, 2, 4, 1, 3, 5});
}

TEST(IoSafetensors, WriterAndReaderOverloads) {
  auto w = std::make_shared<MemoryWriter>();
  save_safetensors(w, {{"a", array({1, 2, 3})}});
  // The header is padded with spaces so that the data starts 8-byte aligned.
  uint64_t header_len;
  std::memcpy(&header_len, w->bytes.data(), 8);
  EXPECT_EQ(header_len % 8, 0u);
  EXPECT_EQ(w->bytes.substr(8, header_len),
            R"({"a":{"data_offsets":[0,12],"dtype":"I32","shape":[3]}})"
            " ");
  auto loaded = load_safetensors(std::make_shared<MemoryReader>(w->bytes));
  expect_array<int32_t>(loaded.first.at("a"), {3}, int32, {1, 2, 3});
  EXPECT_TRUE(loaded.second.empty());
}

TEST(IoSafetensors, KnownBytes) {
  // As other writers lay files out: F16 [1, -2] and U8 [7], keys not sorted, metadata last.
  std::string json =
      R"({"b":{"dtype":"U8","shape":[1],"data_offsets":[4,5]},)"
      R"("a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"__metadata__":{"k":"v"}})";
  std::string data = std::string("\x00\x3c\x00\xc0\x07", 5);
  auto [arrays, meta] =
      load_safetensors(std::make_shared<MemoryReader>(safetensors_bytes(json, data)));
  expect_array<float16_t>(arrays.at("a"), {2}, float16, {float16_t(1.0f), float16_t(-2.0f)});
  expect_array<uint8_t>(arrays.at("b"), {1}, uint8, {7});
  EXPECT_EQ(meta.at("k"), "v");
}

TEST(IoSafetensors, Fp8LoadsAsUint8) {
  std::string json = R"({"f":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})";
  auto loaded =
      load_safetensors(std::make_shared<MemoryReader>(safetensors_bytes(json, "\x38\x45")));
  expect_array<uint8_t>(loaded.first.at("f"), {2}, uint8, {0x38, 0x45});
}

TEST(IoSafetensors, Float64CannotBeSaved) {
  auto w = std::make_shared<MemoryWriter>();
  EXPECT_INVALID(save_safetensors(w, {{"d", array(1.0, float64)}}),
                 "[save_safetensors] Array 'd' has dtype float64, which safetensors files here "
                 "cannot hold.");
  EXPECT_INVALID(save_safetensors(w, {{"__metadata__", array(1)}}),
                 "[save_safetensors] The name __metadata__ is reserved.");
}

TEST(IoSafetensors, MalformedFiles) {
  auto load_bytes = [](const std::string& bytes) {
    return error_in([&] {
      auto r = load_safetensors(std::make_shared<MemoryReader>(bytes));
      for (auto& [k, v] : r.first) {
        v.eval();
      }
    });
  };
  auto with = [&](const std::string& json, const std::string& data = std::string(16, '\0')) {
    return load_bytes(safetensors_bytes(json, data));
  };
  EXPECT_EQ(load_bytes("abc"),
            "[load_safetensors] memory: the file is too short (3 bytes) for a header.");
  EXPECT_EQ(load_bytes(le<uint64_t>(1000) + "{}"),
            "[load_safetensors] memory: header length 1000 exceeds the file size 10 or the 100 MB "
            "limit.");
  EXPECT_EQ(load_bytes(le<uint64_t>(~uint64_t(0)) + "{}"),
            "[load_safetensors] memory: header length 18446744073709551615 exceeds the file size "
            "10 or the 100 MB limit.");
  EXPECT_EQ(with("{\"a\":"), "[load_safetensors] memory: the header is not a JSON object.");
  EXPECT_EQ(with("[1]"), "[load_safetensors] memory: the header is not a JSON object.");
  EXPECT_EQ(with(R"({"a":1})"),
            "[load_safetensors] memory: tensor 'a' needs dtype, shape and data_offsets.");
  EXPECT_EQ(with(R"({"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}})"),
            "[load_safetensors] memory: tensor 'a' has unsupported dtype Q4.");
  EXPECT_EQ(with(R"({"a":{"dtype":1,"shape":[1],"data_offsets":[0,1]}})"),
            "[load_safetensors] memory: dtype of tensor 'a' is not a string.");
  EXPECT_EQ(with(R"({"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}})"),
            "[load_safetensors] memory: a dimension of tensor 'a' must be a non-negative integer.");
  EXPECT_EQ(with(R"({"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}})"),
            "[load_safetensors] memory: a dimension of tensor 'a' must be a non-negative integer.");
  EXPECT_EQ(with(R"({"a":{"dtype":"U8","shape":3,"data_offsets":[0,1]}})"),
            "[load_safetensors] memory: shape of tensor 'a' is not a list of at most 64 "
            "dimensions.");
  EXPECT_EQ(with(R"({"a":{"dtype":"U8","shape":[3000000000],"data_offsets":[0,1]}})"),
            "[load_safetensors] memory: dimension 3000000000 is too large.");
  EXPECT_EQ(with(R"({"a":{"dtype":"U64","shape":[2147483647,2147483647,2147483647],)"
                 R"("data_offsets":[0,1]}})"),
            "[load_safetensors] memory: the tensor's size overflows 64 bits.");
  EXPECT_EQ(with(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}})"),
            "[load_safetensors] memory: data_offsets of tensor 'a' is not a pair.");
  EXPECT_EQ(with(R"({"a":{"dtype":"U8","shape":[20],"data_offsets":[0,20]}})"),
            "[load_safetensors] memory: data_offsets [0, 20] of tensor 'a' are outside the data "
            "(16 bytes).");
  EXPECT_EQ(with(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[2,1]}})"),
            "[load_safetensors] memory: data_offsets [2, 1] of tensor 'a' are outside the data "
            "(16 bytes).");
  EXPECT_EQ(with(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[18446744073709551615,1]}})"),
            "[load_safetensors] memory: data_offsets [18446744073709551615, 1] of tensor 'a' are "
            "outside the data (16 bytes).");
  EXPECT_EQ(with(R"({"a":{"dtype":"I32","shape":[2],"data_offsets":[0,4]}})"),
            "[load_safetensors] memory: tensor 'a' has 4 bytes but its shape and dtype need 8.");
  EXPECT_EQ(with(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                 R"("b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})"),
            "[load_safetensors] memory: two tensors' data_offsets overlap.");
  EXPECT_EQ(with(R"({"__metadata__":{"a":1}})"),
            "[load_safetensors] memory: metadata value of 'a' is not a string.");
  EXPECT_EQ(with(R"({"__metadata__":[]})"),
            "[load_safetensors] memory: __metadata__ is not an object.");
  // Deep nesting is parsed without recursion.
  EXPECT_EQ(with(std::string(100000, '[') + std::string(100000, ']')),
            "[load_safetensors] memory: the header is not a JSON object.");
  EXPECT_EQ(error_in([] { load_safetensors("/nonexistent/x.safetensors"); }),
            "[load_safetensors] Failed to open file /nonexistent/x.safetensors");
}

// ---- lazy loading ----

TEST(IoLazy, NothingIsReadBeforeEvaluation) {
  auto w = std::make_shared<MemoryWriter>();
  save_safetensors(w, {{"a", iota({1000}, float32)}, {"b", iota({10}, int8)}});
  auto r = std::make_shared<MemoryReader>(w->bytes);
  auto loaded = load_safetensors(r);
  int header_reads = r->reads;
  size_t header_bytes = r->bytes_read;
  EXPECT_EQ(header_bytes, w->bytes.size() - 4010);
  auto& a = loaded.first.at("a");
  EXPECT_EQ(a.shape(), Shape{1000});
  EXPECT_EQ(r->reads, header_reads);
  auto s = sum(a);
  EXPECT_EQ(r->reads, header_reads);
  EXPECT_EQ(s.item<float>(), 499500.0f);
  EXPECT_EQ(r->reads, header_reads + 1);
  EXPECT_EQ(r->bytes_read, header_bytes + 4000);
}

TEST(IoLazy, FileIsReadAtEvaluation) {
  TempDir dir;
  save(dir.path("x.npy"), array({1, 2, 3}));
  auto x = load(dir.path("x.npy"));
  save(dir.path("x.npy"), array({4, 5, 6}));
  expect_array<int32_t>(x, {3}, int32, {4, 5, 6});
  // A file truncated after loading fails at evaluation, with the file named.
  auto y = load(dir.path("x.npy"));
  write_file(dir.path("x.npy"), read_file(dir.path("x.npy")).substr(0, 134));
  EXPECT_EQ(error_in([&] { y.eval(); }), "[ParallelFileReader] Unexpected end of file " +
                                             dir.path("x.npy") +
                                             " at byte 134 (6 more bytes expected).");
}

TEST(IoLazy, LargeReadsAreSplitOverThePool) {
  TempDir dir;
  // 36 MiB: two read batches of 32 MiB, one read by the pool.
  auto a = arange(0, 9 << 20);
  save(dir.path("big.npy"), a);
  auto b = load(dir.path("big.npy"));
  EXPECT_TRUE(same_array(a, b));
  EXPECT_GE(io::thread_pool().size(), 1u);
}

// ---- .npy ----

TEST(IoNpy, RoundTripEveryDtype) {
  TempDir dir;
  for (auto t : kAllDtypes) {
    for (auto shape : {Shape{}, Shape{5}, Shape{2, 3}, Shape{2, 0, 3}}) {
      auto a = iota(shape, t, 1);
      save(dir.path("a"), a);
      auto b = load(dir.path("a.npy"));
      EXPECT_TRUE(same_array(a, b)) << t;
    }
  }
}

TEST(IoNpy, SaveWritesNumPyBytes) {
  auto w = std::make_shared<MemoryWriter>();
  save(w, array({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}, {2, 3}));
  std::string data;
  for (float v : {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}) {
    data += le(v);
  }
  EXPECT_EQ(w->bytes,
            npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data));
  w = std::make_shared<MemoryWriter>();
  save(w, transpose(array({true, false, true, true}, {2, 2})));
  EXPECT_EQ(w->bytes, npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (2, 2), }",
                                std::string("\1\1\0\1", 4)));
  w = std::make_shared<MemoryWriter>();
  save(w, array({7}, bfloat16));
  EXPECT_EQ(w->bytes, npy_bytes("{'descr': '<V2', 'fortran_order': False, 'shape': (1,), }",
                                le(bfloat16_t(7.0f))));
  w = std::make_shared<MemoryWriter>();
  save(w, array(3, int64));
  EXPECT_EQ(w->bytes,
            npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", le<int64_t>(3)));
}

TEST(IoNpy, KnownBytesBigEndianAndFortran) {
  auto load_bytes = [](const std::string& b) { return load(std::make_shared<MemoryReader>(b)); };
  // np.arange(6, dtype='>i4').reshape(2, 3)
  std::string be;
  for (int v = 0; v < 6; ++v) {
    be += std::string("\0\0\0", 3) + static_cast<char>(v);
  }
  expect_array<int32_t>(
      load_bytes(npy_bytes("{'descr': '>i4', 'fortran_order': False, 'shape': (2, 3), }", be)),
      {2, 3}, int32, {0, 1, 2, 3, 4, 5});
  // np.asfortranarray(np.arange(6, dtype='<i2').reshape(2, 3)): memory holds 0 3 1 4 2 5.
  std::string f;
  for (int16_t v : {0, 3, 1, 4, 2, 5}) {
    f += le(v);
  }
  expect_array<int16_t>(
      load_bytes(npy_bytes("{'descr': '<i2', 'fortran_order': True, 'shape': (2, 3), }", f)),
      {2, 3}, int16, {0, 1, 2, 3, 4, 5});
  // np.array([1+2j], dtype='>c8'): each float32 swapped on its own.
  std::string c = std::string("\x3f\x80\x00\x00\x40\x00\x00\x00", 8);
  expect_array<complex64_t>(
      load_bytes(npy_bytes("{'descr': '>c8', 'fortran_order': False, 'shape': (1,), }", c)), {1},
      complex64, {complex64_t(1.0f, 2.0f)});
  // Big-endian float64 and float16, Fortran-ordered 3-D data, and a version 2.0 header.
  std::string d = std::string("\x40\x09\x21\xfb\x54\x44\x2d\x18", 8);
  expect_array<double>(
      load_bytes(npy_bytes("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", d)), {1},
      float64, {3.141592653589793});
  expect_array<float16_t>(
      load_bytes(npy_bytes("{'descr': '>f2', 'fortran_order': False, 'shape': (), }",
                           std::string("\xc0\x00", 2))),
      {}, float16, {float16_t(-2.0f)});
  std::string f3;
  for (uint8_t v : {0, 4, 2, 6, 1, 5, 3, 7}) {
    f3 += static_cast<char>(v);
  }
  expect_array<uint8_t>(
      load_bytes(npy_bytes("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 2, 2), }", f3)),
      {2, 2, 2}, uint8, {0, 1, 2, 3, 4, 5, 6, 7});
  std::string dict = "{\"descr\": \"<u2\", \"fortran_order\": False, \"shape\": (2,)}";
  std::string v2 = std::string("\x93NUMPY\x02\x00", 8) + le<uint32_t>(dict.size() + 1) + dict +
                   "\n" + le<uint16_t>(513) + le<uint16_t>(2);
  expect_array<uint16_t>(load_bytes(v2), {2}, uint16, {513, 2});
}

TEST(IoNpy, MalformedFiles) {
  auto load_bytes = [](const std::string& b) {
    return error_in([&] { load(std::make_shared<MemoryReader>(b)).eval(); });
  };
  auto with = [&](const std::string& dict, const std::string& data = std::string(8, '\0')) {
    return load_bytes(npy_bytes(dict, data));
  };
  EXPECT_EQ(load_bytes("\x93NUM"), "[load] memory: the file is too short for a .npy header.");
  EXPECT_EQ(load_bytes("PK\x03\x04 zip file"),
            "[load] memory: not a .npy file (bad magic string).");
  EXPECT_EQ(load_bytes(std::string("\x93NUMPY\x04\x00\x00\x00\x00\x00", 12)),
            "[load] memory: unsupported .npy format version 4.");
  EXPECT_EQ(load_bytes(std::string("\x93NUMPY\x01\x00\xff\xff", 10) + "{}"),
            "[load] memory: header length 65535 exceeds the file size 12 or NumPy's limit.");
  EXPECT_EQ(load_bytes(std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff", 12) + "{}"),
            "[load] memory: header length 4294967295 exceeds the file size 14 or NumPy's limit.");
  EXPECT_EQ(with("{'descr': '<i4', 'fortran_order': False}"),
            "[load] memory: the header needs 'descr', 'fortran_order' and 'shape'.");
  EXPECT_EQ(with("{'descr': '<i4', 'fortran_order': Maybe, 'shape': ()}"),
            "[load] memory: malformed header (expected True or False at character 34).");
  EXPECT_EQ(with("{'descr': '<i4', 'fortran_order': False, 'shape': (1, -2)}"),
            "[load] memory: malformed header (expected a dimension at character 54).");
  EXPECT_EQ(with("{'descr': '<i4', 'fortran_order': False, 'shape': (99999999999999999999,)}"),
            "[load] memory: malformed header (a dimension overflows at character 70).");
  EXPECT_EQ(with("{'descr': '<i4', 'fortran_order': False, 'shape': (3000000000,)}"),
            "[load] memory: dimension 3000000000 is too large.");
  EXPECT_EQ(with("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647, 2147483647, "
                 "2147483647)}"),
            "[load] memory: the tensor's size overflows 64 bits.");
  EXPECT_EQ(with("{'descr': '<i4', 'fortran_order': False, 'shape': (3,)}"),
            "[load] memory: the data needs 12 bytes but the file has 8 after the header.");
  EXPECT_EQ(with("{'descr': '<c16', 'fortran_order': False, 'shape': (1,)}"),
            "[load] memory: unsupported dtype '<c16'.");
  EXPECT_EQ(with("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,)}"),
            "[load] memory: malformed header (expected a string at character 10).");
  EXPECT_EQ(with("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), 'x': 1}"),
            "[load] memory: malformed header (unknown key 'x' at character 60).");
  EXPECT_EQ(with("{'descr': '<i4"),
            "[load] memory: malformed header (unterminated string at character 11).");
  EXPECT_EQ(error_in([] { load("/nonexistent/x.npy"); }),
            "[load] Failed to open file /nonexistent/x.npy");
}

// ---- GGUF ----

TEST(IoGguf, RoundTripTensorsAndMetadata) {
  TempDir dir;
  std::unordered_map<std::string, array> arrays;
  for (auto t : {float32, float16, bfloat16, float64, int8, int16, int32, int64}) {
    std::ostringstream name;
    name << "t." << t;
    arrays.emplace(name.str(), iota({2, 3, 4}, t, -5));
  }
  arrays.emplace("scalar", array(1.5f));
  arrays.emplace("odd", iota({3}, int8));
  std::unordered_map<std::string, GGUFMetaData> meta = {
      {"general.name", std::string("tiny")},
      {"tokens", std::vector<std::string>{"a", "", "ccc"}},
      {"u8", array(uint8_t(200), uint8)},
      {"flag", array(true)},
      {"f64", array(2.5, float64)},
      {"i64s", array({int64_t(-1), int64_t(1) << 40}, int64)},
      {"f32s", array({1.0f, -2.0f})},
  };
  save_gguf(dir.path("m"), arrays, meta);
  auto [loaded, loaded_meta] = load_gguf(dir.path("m.gguf"));
  ASSERT_EQ(loaded.size(), arrays.size());
  for (auto& [k, v] : arrays) {
    ASSERT_TRUE(loaded.count(k)) << k;
    EXPECT_TRUE(same_array(loaded.at(k), v)) << k;
  }
  ASSERT_EQ(loaded_meta.size(), meta.size());
  EXPECT_EQ(std::get<std::string>(loaded_meta.at("general.name")), "tiny");
  EXPECT_EQ(std::get<std::vector<std::string>>(loaded_meta.at("tokens")),
            (std::vector<std::string>{"a", "", "ccc"}));
  for (auto key : {"u8", "flag", "f64", "i64s", "f32s"}) {
    EXPECT_TRUE(same_array(std::get<array>(loaded_meta.at(key)), std::get<array>(meta.at(key))))
        << key;
  }
}

TEST(IoGguf, SaveErrors) {
  TempDir dir;
  EXPECT_INVALID(save_gguf(dir.path("x"), {{"b", array({true})}}),
                 "[save_gguf] Array 'b' has dtype bool; GGUF holds float32, float16, bfloat16, "
                 "float64, int8, int16, int32 and int64.");
  EXPECT_INVALID(save_gguf(dir.path("x"), {}, {{"m", array({1.0f}, {1, 1})}}),
                 "[save_gguf] Metadata 'm' must be a scalar or a 1-D array.");
  EXPECT_INVALID(save_gguf(dir.path("x"), {}, {{"m", array(1.0f, float16)}}),
                 "[save_gguf] Metadata 'm' has dtype float16, which GGUF cannot hold.");
  EXPECT_INVALID(save_gguf(dir.path("x"), {}, {{"m", std::monostate{}}}),
                 "[save_gguf] Metadata 'm' has no value.");
  EXPECT_FALSE(fs::exists(dir.path("x.gguf")));
}

TEST(IoGguf, QuantizedBlocksBecomeAffine) {
  TempDir dir;
  // One row of 32 weights per format. Q4_0: d = 0.5, codes j -> j % 16 (w = (q - 8) d).
  std::string q40 = le<uint16_t>(0x3800);
  for (int j = 0; j < 16; ++j) {
    q40 += static_cast<char>((j % 16) | (((15 - j) % 16) << 4));
  }
  // Q4_1: d = 2, m = -1, codes as Q4_0 (w = q d + m).
  std::string q41 = le<uint16_t>(0x4000) + le<uint16_t>(0xbc00) + q40.substr(2);
  // Q8_0: d = 0.25, codes -16..15 (w = q d).
  std::string q80 = le<uint16_t>(0x3400);
  for (int j = 0; j < 32; ++j) {
    q80 += static_cast<char>(j - 16);
  }
  GGUFBuilder b;
  b.add_kv("general.alignment", 4, le<uint32_t>(32));
  b.add_tensor("blk.q40.weight", {32, 1}, 2, q40);
  b.add_tensor("q41", {32, 1}, 3, q41);
  b.add_tensor("blk.q80.weight", {32, 1}, 8, q80);
  write_file(dir.path("q.gguf"), b.bytes());
  auto [w, meta] = load_gguf(dir.path("q.gguf"));
  ASSERT_EQ(w.size(), 9u);
  std::vector<float> codes(32);
  for (int j = 0; j < 16; ++j) {
    codes[j] = j;
    codes[j + 16] = 15 - j;
  }
  auto expect_dequant = [&](const std::string& wname, const std::string& prefix, int bits,
                            std::vector<float> expected) {
    auto& wq = w.at(wname);
    EXPECT_EQ(wq.dtype(), uint32);
    EXPECT_EQ(wq.shape(), (Shape{1, bits}));
    EXPECT_EQ(w.at(prefix + ".scales").shape(), (Shape{1, 1}));
    EXPECT_EQ(w.at(prefix + ".scales").dtype(), float16);
    EXPECT_EQ(w.at(prefix + ".biases").dtype(), float16);
    auto deq = dequantize(wq, w.at(prefix + ".scales"), w.at(prefix + ".biases"), 32, bits);
    EXPECT_EQ(values<float16_t>(deq).size(), 32u);
    auto got = values<float>(astype(deq, float32));
    EXPECT_EQ(got, expected) << wname;
  };
  std::vector<float> e40, e41, e80;
  for (int j = 0; j < 32; ++j) {
    e40.push_back((codes[j] - 8) * 0.5f);
    e41.push_back(codes[j] * 2 - 1);
    e80.push_back((j - 16) * 0.25f);
  }
  expect_dequant("blk.q40.weight", "blk.q40", 4, e40);
  expect_dequant("q41", "q41", 4, e41);
  expect_dequant("blk.q80.weight", "blk.q80", 8, e80);
  // Packing: code i at bit 4 i, so the first word holds codes 0..7 = 0x76543210.
  EXPECT_EQ(values<uint32_t>(w.at("blk.q40.weight"))[0], 0x76543210u);
  expect_array<float16_t>(w.at("q41.biases"), {1, 1}, float16, {float16_t(-1.0f)});
  expect_array<float16_t>(w.at("blk.q40.biases"), {1, 1}, float16, {float16_t(-4.0f)});
}

TEST(IoGguf, MalformedFiles) {
  TempDir dir;
  auto load_bytes = [&](const std::string& bytes) {
    write_file(dir.path("f.gguf"), bytes);
    return error_in([&] {
      auto r = load_gguf(dir.path("f.gguf"));
      for (auto& [k, v] : r.first) {
        v.eval();
      }
    });
  };
  const std::string file = "[load_gguf] file " + dir.path("f.gguf") + ": ";
  EXPECT_EQ(load_bytes("GGU"), file + "truncated header (4 bytes needed at byte 0, 3 left).");
  EXPECT_EQ(load_bytes("GGML" + std::string(20, '\0')), file + "not a GGUF file (bad magic).");
  EXPECT_EQ(load_bytes("GGUF" + le<uint32_t>(1) + std::string(16, '\0')),
            file + "unsupported GGUF version 1 (2 and 3 are).");
  EXPECT_EQ(load_bytes("GGUF" + le<uint32_t>(3) + le<uint64_t>(0) + le<uint64_t>(1ull << 60)),
            file + "metadata count 1152921504606846976 exceeds the file.");
  EXPECT_EQ(load_bytes("GGUF" + le<uint32_t>(3) + le<uint64_t>(~0ull) + le<uint64_t>(0)),
            file + "tensor count 18446744073709551615 exceeds the file.");
  auto kv = [&](const std::string& key, uint32_t type, const std::string& value) {
    GGUFBuilder b;
    b.add_kv(key, type, value);
    return load_bytes(b.bytes());
  };
  EXPECT_EQ(kv("k", 8, le<uint64_t>(1000) + "abc"),
            file + "string length 1000 at byte 45 exceeds the file.");
  EXPECT_EQ(kv("k", 13, ""), file + "unknown metadata value type 13.");
  EXPECT_EQ(kv("k", 9, le<uint32_t>(4) + le<uint64_t>(1ull << 62)),
            file + "array count 4611686018427387904 exceeds the file.");
  EXPECT_EQ(kv("k", 9, le<uint32_t>(42) + le<uint64_t>(0)),
            file + "unknown metadata array element type 42.");
  std::string nested;
  for (int i = 0; i < 20; ++i) {
    nested += le<uint32_t>(9) + le<uint64_t>(1);
  }
  EXPECT_EQ(kv("k", 9, nested + std::string(64, '\0')),
            file + "metadata arrays nested deeper than 8.");
  EXPECT_EQ(kv("general.alignment", 4, le<uint32_t>(3)),
            file + "general.alignment must be a power of two stored as uint32.");
  EXPECT_EQ(kv("general.alignment", 5, le<int32_t>(32)),
            file + "general.alignment must be a power of two stored as uint32.");
  auto tensor = [&](std::vector<uint64_t> dims, uint32_t type, const std::string& data,
                    uint64_t offset_shift = 0) {
    GGUFBuilder b;
    b.add_tensor("t", dims, type, data);
    std::string bytes = b.bytes();
    if (offset_shift) {
      // The offset is the last 8 bytes of the tensor info.
      size_t at = 24 + 8 + 1 + 4 + 8 * dims.size() + 4;
      std::string off = le<uint64_t>(offset_shift);
      bytes.replace(at, 8, off);
    }
    return load_bytes(bytes);
  };
  EXPECT_EQ(tensor({4}, 0, std::string(8, '\0')),
            file + "tensor 't' (16 bytes at offset 0) is outside the data (8 bytes).");
  EXPECT_EQ(tensor({4}, 0, std::string(16, '\0'), 32),
            file + "tensor 't' (16 bytes at offset 32) is outside the data (16 bytes).");
  EXPECT_EQ(tensor({4}, 0, std::string(16, '\0'), ~0ull << 5),
            file +
                "tensor 't' (16 bytes at offset 18446744073709551584) is outside the data "
                "(16 bytes).");
  EXPECT_EQ(tensor({4}, 0, std::string(16, '\0'), 4),
            file + "tensor 't' has offset 4, not a multiple of the alignment 32.");
  EXPECT_EQ(tensor({1ull << 40}, 0, ""), file + "dimension 1099511627776 is too large.");
  EXPECT_EQ(tensor({1u << 30, 1u << 30, 1u << 30, 1u << 30}, 0, ""),
            file + "the tensor's size overflows 64 bits.");
  EXPECT_EQ(tensor({1, 1, 1, 1, 1, 1, 1, 1, 1}, 0, ""), file + "tensor 't' has 9 dimensions.");
  EXPECT_EQ(tensor({32}, 12, std::string(144, '\0')),
            file +
                "tensor 't' has the unsupported type Q4_K (F32, F16, BF16, F64, I8, I16, I32, "
                "I64, Q4_0, Q4_1 and Q8_0 load).");
  EXPECT_EQ(tensor({32}, 99, ""),
            file +
                "tensor 't' has unknown type 99 (F32, F16, BF16, F64, I8, I16, I32, I64, Q4_0, "
                "Q4_1 and Q8_0 load).");
  EXPECT_EQ(tensor({16}, 2, std::string(18, '\0')),
            file + "quantized tensor 't' needs a last dimension divisible by 32.");
  EXPECT_EQ(tensor({64}, 8, std::string(34, '\0')),
            file + "tensor 't' (68 bytes at offset 0) is outside the data (34 bytes).");
  GGUFBuilder dup;
  dup.add_tensor("a.weight", {32}, 2, std::string(18, '\0'));
  dup.add_tensor("a.scales", {1}, 0, std::string(4, '\0'));
  EXPECT_EQ(load_bytes(dup.bytes()), file + "duplicate tensor name 'a.scales'.");
  EXPECT_EQ(error_in([] { load_gguf("/nonexistent/x.gguf"); }),
            "[load_gguf] Failed to open file /nonexistent/x.gguf");
}

TEST(IoGguf, Version2AndNestedArrays) {
  TempDir dir;
  GGUFBuilder b;
  // An array of two arrays of uint8 is skipped; the keys after it still load.
  b.add_kv("nested", 9,
           le<uint32_t>(9) + le<uint64_t>(2) + le<uint32_t>(0) + le<uint64_t>(1) + "x" +
               le<uint32_t>(0) + le<uint64_t>(0));
  b.add_kv("after", 7, "\x05");
  b.add_tensor("t", {2}, 26, le<int32_t>(-3) + le<int32_t>(9));
  write_file(dir.path("v2.gguf"), b.bytes(2));
  auto [w, meta] = load_gguf(dir.path("v2.gguf"));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(meta.at("nested")));
  expect_array<bool>(std::get<array>(meta.at("after")), {}, bool_, {true});
  expect_array<int32_t>(w.at("t"), {2}, int32, {-3, 9});
}

}  // namespace mlx::core
