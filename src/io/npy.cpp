// NumPy's .npy format: "\x93NUMPY", a version (1.0: 2-byte header length; 2.0 and 3.0: 4-byte),
// a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with
// spaces to a 64-byte boundary and ended by '\n', then the data.
#include <cstring>
#include <sstream>

#include "io/format.h"
#include "mlx/io.h"
#include "mlx/ops.h"

namespace mlx::core {

using io_detail::fail;

namespace {

constexpr const char* kLoad = "load";
constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
// NumPy's own limit for reading headers.
constexpr uint32_t kMaxHeader = 100'000;

// bfloat16 has no NumPy type; as MLX does, it is stored as the 2-byte void type 'V2'.
std::string descr_of(Dtype t) {
  std::string order = size_of(t) > 1 ? "<" : "|";
  std::ostringstream kind;
  kind << kindof(t);
  return order + kind.str() + std::to_string(size_of(t));
}

struct NpyDtype {
  const char* code;
  Dtype dtype;
};

constexpr NpyDtype kDtypes[] = {
    {"b1", bool_},   {"u1", uint8},   {"u2", uint16},    {"u4", uint32},   {"u8", uint64},
    {"i1", int8},    {"i2", int16},   {"i4", int32},     {"i8", int64},    {"f2", float16},
    {"f4", float32}, {"f8", float64}, {"c8", complex64}, {"V2", bfloat16},
};

// A cursor over the header dict: just enough of Python's literal syntax for what NumPy writes.
class DictParser {
 public:
  DictParser(const std::string& text, const io::Reader& in) : t_(text), in_(in) {}

  void skip_space() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n')) {
      ++i_;
    }
  }
  bool accept(char c) {
    skip_space();
    if (i_ < t_.size() && t_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!accept(c)) {
      bad(std::string("expected '") + c + "'");
    }
  }
  std::string string() {
    skip_space();
    if (i_ >= t_.size() || (t_[i_] != '\'' && t_[i_] != '"')) {
      bad("expected a string");
    }
    char quote = t_[i_++];
    size_t end = t_.find(quote, i_);
    if (end == std::string::npos) {
      bad("unterminated string");
    }
    std::string s = t_.substr(i_, end - i_);
    i_ = end + 1;
    return s;
  }
  bool boolean() {
    skip_space();
    if (t_.compare(i_, 4, "True") == 0) {
      i_ += 4;
      return true;
    }
    if (t_.compare(i_, 5, "False") == 0) {
      i_ += 5;
      return false;
    }
    bad("expected True or False");
  }
  std::vector<uint64_t> tuple() {
    expect('(');
    std::vector<uint64_t> dims;
    while (!accept(')')) {
      skip_space();
      if (i_ >= t_.size() || t_[i_] < '0' || t_[i_] > '9') {
        bad("expected a dimension");
      }
      uint64_t d = 0;
      while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') {
        if (io_detail::mul_overflows(d, 10, d) || __builtin_add_overflow(d, t_[i_] - '0', &d)) {
          bad("a dimension overflows");
        }
        ++i_;
      }
      dims.push_back(d);
      if (dims.size() > 64) {
        bad("more than 64 dimensions");
      }
      if (!accept(',')) {
        expect(')');
        break;
      }
    }
    return dims;
  }

  [[noreturn]] void bad(const std::string& what) {
    fail(kLoad, in_, "malformed header (" + what + " at character " + std::to_string(i_) + ").");
  }

 private:
  const std::string& t_;
  const io::Reader& in_;
  size_t i_{0};
};

}  // namespace

array load(std::shared_ptr<io::Reader> in, StreamOrDevice s) {
  if (!in || !in->good()) {
    throw std::runtime_error(std::string("[load] Failed to open ") +
                             (in ? in->label() : std::string("a null reader")));
  }
  auto stream = to_stream(s, Device(Device::cpu));
  const size_t file_size = io_detail::stream_size(*in);
  char prefix[kMagicLen + 2];
  if (file_size < sizeof(prefix) + 2) {
    fail(kLoad, *in, "the file is too short for a .npy header.");
  }
  in->read(prefix, sizeof(prefix), 0);
  if (std::memcmp(prefix, kMagic, kMagicLen) != 0) {
    fail(kLoad, *in, "not a .npy file (bad magic string).");
  }
  const int major = static_cast<unsigned char>(prefix[kMagicLen]);
  size_t len_bytes = major == 1 ? 2 : 4;
  if (major < 1 || major > 3) {
    fail(kLoad, *in, "unsupported .npy format version " + std::to_string(major) + ".");
  }
  unsigned char len_le[4] = {0, 0, 0, 0};
  if (file_size < sizeof(prefix) + len_bytes) {
    fail(kLoad, *in, "the file is too short for a .npy header.");
  }
  in->read(reinterpret_cast<char*>(len_le), len_bytes, sizeof(prefix));
  uint32_t header_len =
      len_le[0] | (len_le[1] << 8) | (len_le[2] << 16) | (uint32_t(len_le[3]) << 24);
  const size_t header_start = sizeof(prefix) + len_bytes;
  if (header_len > kMaxHeader || header_len > file_size - header_start) {
    fail(kLoad, *in,
         "header length " + std::to_string(header_len) + " exceeds the file size " +
             std::to_string(file_size) + " or NumPy's limit.");
  }
  std::string text(header_len, '\0');
  in->read(text.data(), header_len, header_start);

  DictParser p(text, *in);
  std::string descr;
  bool fortran = false;
  std::vector<uint64_t> dims;
  bool seen[3] = {false, false, false};
  p.expect('{');
  while (!p.accept('}')) {
    std::string key = p.string();
    p.expect(':');
    if (key == "descr") {
      descr = p.string();
      seen[0] = true;
    } else if (key == "fortran_order") {
      fortran = p.boolean();
      seen[1] = true;
    } else if (key == "shape") {
      dims = p.tuple();
      seen[2] = true;
    } else {
      p.bad("unknown key '" + key + "'");
    }
    if (!p.accept(',')) {
      p.expect('}');
      break;
    }
  }
  if (!seen[0] || !seen[1] || !seen[2]) {
    fail(kLoad, *in, "the header needs 'descr', 'fortran_order' and 'shape'.");
  }

  if (descr.size() < 2) {
    fail(kLoad, *in, "unsupported dtype '" + descr + "'.");
  }
  char order = descr[0];
  std::string code = descr.substr(1);
  const NpyDtype* found = nullptr;
  for (auto& d : kDtypes) {
    if (code == d.code) {
      found = &d;
    }
  }
  if (!found || (order != '<' && order != '>' && order != '|' && order != '=')) {
    fail(kLoad, *in, "unsupported dtype '" + descr + "'.");
  }
  Dtype dtype = found->dtype;
  // complex64 is two float32s, each swapped on its own.
  int swap_width = 0;
  if (order == '>' && size_of(dtype) > 1) {
    swap_width = dtype == complex64 ? 4 : size_of(dtype);
  }

  uint64_t nbytes = 0;
  Shape shape = io_detail::checked_shape(kLoad, *in, dims, size_of(dtype), nbytes);
  const size_t data_start = header_start + header_len;
  if (nbytes > file_size - data_start) {
    fail(kLoad, *in,
         "the data needs " + std::to_string(nbytes) + " bytes but the file has " +
             std::to_string(file_size - data_start) + " after the header.");
  }
  if (fortran && shape.size() > 1) {
    // Column-major data is the row-major data of the reversed shape, transposed.
    Shape reversed(shape.rbegin(), shape.rend());
    return transpose(
        io_detail::lazy_load(in, data_start, std::move(reversed), dtype, swap_width, stream),
        stream);
  }
  return io_detail::lazy_load(in, data_start, std::move(shape), dtype, swap_width, stream);
}

array load(std::string file, StreamOrDevice s) {
  return load(std::make_shared<io::ParallelFileReader>(std::move(file)), s);
}

void save(std::shared_ptr<io::Writer> out, array a) {
  if (!out || !out->good()) {
    throw std::runtime_error(std::string("[save] Failed to open ") +
                             (out ? out->label() : std::string("a null writer")));
  }
  std::string header =
      "{'descr': '" + descr_of(a.dtype()) + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < a.ndim(); ++i) {
    header += std::to_string(a.shape()[i]) + (a.ndim() == 1 || i + 1 < a.ndim() ? "," : "");
    if (i + 1 < a.ndim()) {
      header += " ";
    }
  }
  header += "), }";
  // As NumPy does: 1 to 64 spaces so the data starts on a 64-byte boundary, then '\n'.
  size_t version = header.size() + 1 + 64 > 65535 ? 2 : 1;
  size_t prefix = kMagicLen + 2 + (version == 1 ? 2 : 4);
  header.append(64 - (prefix + header.size() + 1) % 64, ' ');
  header += '\n';
  std::string head(kMagic, kMagicLen);
  head += static_cast<char>(version);
  head += '\0';
  uint32_t len = static_cast<uint32_t>(header.size());
  head += static_cast<char>(len & 0xff);
  head += static_cast<char>((len >> 8) & 0xff);
  if (version == 2) {
    head += static_cast<char>((len >> 16) & 0xff);
    head += static_cast<char>((len >> 24) & 0xff);
  }
  out->write(head.data(), head.size());
  out->write(header.data(), header.size());
  io_detail::write_array(*out, std::move(a));
}

void save(std::string file, array a) {
  if (file.size() < 4 || file.compare(file.size() - 4, 4, ".npy") != 0) {
    file += ".npy";
  }
  save(std::make_shared<io::FileWriter>(std::move(file)), std::move(a));
}

}  // namespace mlx::core
