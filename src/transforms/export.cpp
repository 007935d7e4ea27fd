// export_function, exporter and import_function: a function traced as compile traces it,
// written as a program of primitives with their parameters, and replayed when imported.
// docs/export.md describes the file byte by byte.
#include "transforms/export.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <typeindex>
#include <unordered_map>

#include "mlx/export.h"
#include "mlx/transforms.h"
#include "mlx/version.h"
#include "ops/ops.h"
#include "transforms/compile.h"

namespace mlx::core {

namespace detail {

namespace {

static_assert(std::endian::native == std::endian::little,
              "The export format is little-endian; a big-endian host would need byte swaps.");

constexpr char kMagic[8] = {'M', 'L', 'X', 'E', 'X', 'P', 'R', 'T'};
constexpr uint32_t kFormatVersion = 1;
constexpr uint8_t kTraceTag = 1;
constexpr uint8_t kEndTag = 0;

// ---- checksum ----
// A word-at-a-time multiply-xorshift hash over each record: it catches damaged and truncated
// files before anything in them is used (it is not a defence against crafted files).
class Checksum {
 public:
  void update(const void* data, size_t n) {
    auto p = static_cast<const unsigned char*>(data);
    total_ += n;
    while (n > 0 && used_ > 0) {
      pending_ |= static_cast<uint64_t>(*p++) << (8 * used_);
      --n;
      if (++used_ == 8) {
        mix(pending_);
        pending_ = 0;
        used_ = 0;
      }
    }
    for (; n >= 8; n -= 8, p += 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      mix(w);
    }
    for (; n > 0; --n) {
      pending_ |= static_cast<uint64_t>(*p++) << (8 * used_++);
    }
  }
  uint64_t digest() const {
    uint64_t h = h_;
    h = (h ^ pending_ ^ (total_ << 3)) * 0x9fb21c651e98df25ull;
    return h ^ (h >> 31);
  }
  void reset() { *this = Checksum{}; }

 private:
  void mix(uint64_t w) {
    h_ = (h_ ^ w) * 0xff51afd7ed558ccdull;
    h_ ^= h_ >> 29;
  }
  uint64_t h_ = 0x9e3779b97f4a7c15ull;
  uint64_t pending_ = 0;
  unsigned used_ = 0;
  uint64_t total_ = 0;
};

// ---- writing ----

class ByteWriter {
 public:
  template <typename T>
  void put(T v) {
    static_assert(std::is_arithmetic_v<T>);
    buf_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void put_bytes(const void* data, size_t n) { buf_.append(static_cast<const char*>(data), n); }
  void put_string(const std::string& s) {
    put<uint64_t>(s.size());
    buf_.append(s);
  }
  void put_spec(const Shape& shape, Dtype dtype) {
    put<uint8_t>(static_cast<uint8_t>(dtype.val()));
    put<uint32_t>(static_cast<uint32_t>(shape.size()));
    for (auto d : shape) {
      put<int32_t>(d);
    }
  }
  const std::string& bytes() const { return buf_; }
  void clear() { buf_.clear(); }

 private:
  std::string buf_;
};

// ---- reading ----

// Reads a file (or a record's bytes held in memory) with every length checked against what is
// left, so a damaged file gives an error naming the byte offset, never an out-of-bounds read.
class Reader {
 public:
  Reader(std::istream& is, uint64_t size, std::string what)
      : is_(&is), remaining_(size), what_(std::move(what)) {}
  Reader(const std::string& mem, std::string what)
      : mem_(mem.data()), remaining_(mem.size()), what_(std::move(what)) {}

  [[noreturn]] void fail(const std::string& why) const {
    std::ostringstream msg;
    msg << "[import_function] " << what_ << ": " << why << " (at byte " << offset_ << ").";
    throw std::runtime_error(msg.str());
  }

  void read(void* dst, uint64_t n) {
    if (n > remaining_) {
      fail("the file is truncated: " + std::to_string(n) + " bytes needed, " +
           std::to_string(remaining_) + " left");
    }
    if (mem_) {
      std::memcpy(dst, mem_ + offset_, n);
    } else if (is_->rdbuf()->sgetn(static_cast<char*>(dst), static_cast<std::streamsize>(n)) !=
               static_cast<std::streamsize>(n)) {
      fail("read error");
    }
    checksum_.update(dst, n);
    offset_ += n;
    remaining_ -= n;
  }

  template <typename T>
  T get() {
    static_assert(std::is_arithmetic_v<T>);
    T v;
    read(&v, sizeof(T));
    return v;
  }

  // A count of items of at least `item_bytes` bytes each that must fit in what is left.
  uint64_t get_count(uint64_t item_bytes, const char* what) {
    auto n = get<uint64_t>();
    if (item_bytes > 0 && n > remaining_ / item_bytes) {
      fail(std::string("a ") + what + " count of " + std::to_string(n) +
           " does not fit in the rest of the file");
    }
    return n;
  }
  uint32_t get_count32(uint64_t item_bytes, const char* what) {
    auto n = get<uint32_t>();
    if (item_bytes > 0 && n > remaining_ / item_bytes) {
      fail(std::string("a ") + what + " count of " + std::to_string(n) +
           " does not fit in the rest of the file");
    }
    return n;
  }

  std::string get_string() {
    std::string s(get_count(1, "string length"), '\0');
    read(s.data(), s.size());
    return s;
  }

  Dtype get_dtype() {
    static constexpr Dtype all[] = {bool_, uint8, uint16,  uint32,  uint64,  int8,     int16,
                                    int32, int64, float16, float32, float64, bfloat16, complex64};
    auto v = get<uint8_t>();
    if (v >= std::size(all)) {
      fail("invalid dtype code " + std::to_string(v));
    }
    return all[v];
  }

  std::pair<Shape, Dtype> get_spec() {
    auto dtype = get_dtype();
    auto ndim = get_count32(4, "dimension");
    Shape shape(ndim);
    uint64_t size = 1;
    for (auto& d : shape) {
      d = get<int32_t>();
      if (d < 0) {
        fail("negative dimension " + std::to_string(d));
      }
      if (d > 0 && size > (uint64_t{1} << 62) / dtype.size() / static_cast<uint64_t>(d)) {
        fail("the shape's size overflows");
      }
      size *= static_cast<uint64_t>(d);
    }
    return {std::move(shape), dtype};
  }

  uint64_t remaining() const { return remaining_; }
  Checksum& checksum() { return checksum_; }

  // The record's checksum, stored after it, must match what was read.
  void check_checksum(const char* record) {
    auto expected = checksum_.digest();
    auto stored = get<uint64_t>();
    if (stored != expected) {
      fail(std::string("the checksum of the ") + record + " does not match (the file is damaged)");
    }
    checksum_.reset();
  }

 private:
  std::istream* is_ = nullptr;
  const char* mem_ = nullptr;
  uint64_t offset_ = 0;
  uint64_t remaining_;
  std::string what_;
  Checksum checksum_;
};

// ---- primitive parameters ----
// Every built-in primitive keeps its parameters as one tuple (PrimitiveWithParams::State), so
// one serialiser over the element types covers them all. Enums are checked against their last
// value when read: a table indexed by an op enum must never see a value out of range.

template <typename E>
constexpr int enum_last = -1;
template <>
constexpr int enum_last<UnaryOp> = static_cast<int>(UnaryOp::BitwiseInvert);
template <>
constexpr int enum_last<BinaryOp> = static_cast<int>(BinaryOp::RightShift);
template <>
constexpr int enum_last<CompareOp> = static_cast<int>(CompareOp::LogicalXor);
template <>
constexpr int enum_last<PredicateOp> = static_cast<int>(PredicateOp::LogicalNot);
template <>
constexpr int enum_last<ReduceOp> = static_cast<int>(ReduceOp::Or);
template <>
constexpr int enum_last<ArgReduceOp> = static_cast<int>(ArgReduceOp::ArgMax);
template <>
constexpr int enum_last<ScanOp> = static_cast<int>(ScanOp::LogAddExp);
template <>
constexpr int enum_last<ScatterOp> = static_cast<int>(ScatterOp::Min);
template <>
constexpr int enum_last<SliceReduce> = static_cast<int>(SliceReduce::Min);
template <>
constexpr int enum_last<SortOp> = static_cast<int>(SortOp::ArgPartition);
template <>
constexpr int enum_last<QuantMode> = static_cast<int>(QuantMode::Nvfp4);
template <>
constexpr int enum_last<fft::FFTNorm> = static_cast<int>(fft::FFTNorm::Forward);
template <>
constexpr int enum_last<SolveKind> = static_cast<int>(SolveKind::Upper);

template <typename T>
struct TypeTraits {
  static constexpr bool vector = false;
  static constexpr bool optional = false;
  static constexpr bool tuple = false;
};
template <typename T>
struct TypeTraits<std::vector<T>> : TypeTraits<void> {
  static constexpr bool vector = true;
};
template <typename T>
struct TypeTraits<std::optional<T>> : TypeTraits<void> {
  static constexpr bool optional = true;
};
template <typename... T>
struct TypeTraits<std::tuple<T...>> : TypeTraits<void> {
  static constexpr bool tuple = true;
};

template <typename>
constexpr bool dependent_false = false;

template <typename T>
void write_value(ByteWriter& w, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    w.put<uint8_t>(v ? 1 : 0);
  } else if constexpr (std::is_same_v<T, Dtype>) {
    w.put<uint8_t>(static_cast<uint8_t>(v.val()));
  } else if constexpr (std::is_enum_v<T>) {
    static_assert(enum_last<T> >= 0, "Give the enum its enum_last in src/transforms/export.cpp.");
    w.put<int32_t>(static_cast<int32_t>(v));
  } else if constexpr (std::is_arithmetic_v<T>) {
    w.put<T>(v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    w.put_string(v);
  } else if constexpr (TypeTraits<T>::vector) {
    w.put<uint64_t>(v.size());
    for (const auto& x : v) {
      write_value(w, x);
    }
  } else if constexpr (TypeTraits<T>::optional) {
    w.put<uint8_t>(v.has_value() ? 1 : 0);
    if (v) {
      write_value(w, *v);
    }
  } else if constexpr (TypeTraits<T>::tuple) {
    std::apply([&w](const auto&... x) { (write_value(w, x), ...); }, v);
  } else {
    static_assert(dependent_false<T>, "A parameter type export cannot write.");
  }
}

template <typename T>
T read_value(Reader& r) {
  if constexpr (std::is_same_v<T, bool>) {
    auto b = r.get<uint8_t>();
    if (b > 1) {
      r.fail("invalid bool " + std::to_string(b));
    }
    return b == 1;
  } else if constexpr (std::is_same_v<T, Dtype>) {
    return r.get_dtype();
  } else if constexpr (std::is_enum_v<T>) {
    auto v = r.get<int32_t>();
    if (v < 0 || v > enum_last<T>) {
      r.fail("enum value " + std::to_string(v) + " out of range");
    }
    return static_cast<T>(v);
  } else if constexpr (std::is_arithmetic_v<T>) {
    return r.get<T>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    return r.get_string();
  } else if constexpr (TypeTraits<T>::vector) {
    using V = typename T::value_type;
    auto n = r.get_count(std::is_arithmetic_v<V> ? sizeof(V) : 1, "list");
    T v;
    v.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      v.push_back(read_value<V>(r));
    }
    return v;
  } else if constexpr (TypeTraits<T>::optional) {
    if (read_value<bool>(r)) {
      return T(read_value<typename T::value_type>(r));
    }
    return T();
  } else if constexpr (TypeTraits<T>::tuple) {
    // Elements of a braced list are evaluated in order.
    return [&r]<typename... E>(std::type_identity<std::tuple<E...>>) {
      return std::tuple<E...>{read_value<E>(r)...};
    }(std::type_identity<T>{});
  } else {
    static_assert(dependent_false<T>, "A parameter type export cannot read.");
  }
}

template <typename T>
StateT to_state(const T& v) {
  if constexpr (std::is_enum_v<T>) {
    return StateT(std::in_place_type<int>, static_cast<int>(v));
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return StateT(std::in_place_type<size_t>, static_cast<size_t>(v));
  } else {
    return StateT(std::in_place_type<T>, v);
  }
}

// ---- the registry of exportable primitives ----

struct Codec {
  std::string key;
  void (*write)(ByteWriter&, const Primitive&);
  std::shared_ptr<Primitive> (*read)(Reader&, Stream);
  std::vector<StateT> (*arguments)(const Primitive&);
};

struct Registry {
  std::unordered_map<std::type_index, Codec> by_type;
  std::unordered_map<std::string, const Codec*> by_key;
};

template <typename P>
void add(Registry& r, const char* key) {
  Codec c{
      key,
      [](ByteWriter& w, const Primitive& p) { write_value(w, static_cast<const P&>(p).state()); },
      [](Reader& rd, Stream s) -> std::shared_ptr<Primitive> {
        return std::apply([&s](auto&&... a) { return std::make_shared<P>(s, std::move(a)...); },
                          read_value<typename P::State>(rd));
      },
      [](const Primitive& p) {
        std::vector<StateT> out;
        std::apply([&out](const auto&... a) { (out.push_back(to_state(a)), ...); },
                   static_cast<const P&>(p).state());
        return out;
      }};
  auto [it, inserted] = r.by_type.emplace(std::type_index(typeid(P)), std::move(c));
  r.by_key.emplace(it->second.key, &it->second);
}

#define MLX_EXPORTABLE(P) add<P>(*r, #P)

const Registry& registry() {
  static const Registry* reg = [] {
    auto* r = new Registry;
    MLX_EXPORTABLE(AddMM);
    MLX_EXPORTABLE(Arange);
    MLX_EXPORTABLE(ArgReduce);
    MLX_EXPORTABLE(AsStrided);
    MLX_EXPORTABLE(AsStridedAdd);
    MLX_EXPORTABLE(AsType);
    MLX_EXPORTABLE(AxisPermute);
    MLX_EXPORTABLE(Binary);
    MLX_EXPORTABLE(Broadcast);
    MLX_EXPORTABLE(Cholesky);
    MLX_EXPORTABLE(Compare);
    MLX_EXPORTABLE(Concatenate);
    MLX_EXPORTABLE(Contiguous);
    MLX_EXPORTABLE(ConvertFP8);
    MLX_EXPORTABLE(Convolution);
    MLX_EXPORTABLE(Copy);
    MLX_EXPORTABLE(Depends);
    MLX_EXPORTABLE(Dequantize);
    MLX_EXPORTABLE(DivMod);
    MLX_EXPORTABLE(DynamicSlice);
    MLX_EXPORTABLE(DynamicSliceUpdate);
    MLX_EXPORTABLE(Eig);
    MLX_EXPORTABLE(Eigh);
    MLX_EXPORTABLE(EqualMask);
    MLX_EXPORTABLE(ExpandDims);
    MLX_EXPORTABLE(Eye);
    MLX_EXPORTABLE(FFT);
    MLX_EXPORTABLE(Full);
    MLX_EXPORTABLE(Gather);
    MLX_EXPORTABLE(GatherAxis);
    MLX_EXPORTABLE(GatherMM);
    MLX_EXPORTABLE(GatherQMM);
    MLX_EXPORTABLE(Hadamard);
    MLX_EXPORTABLE(Inverse);
    MLX_EXPORTABLE(IsClose);
    MLX_EXPORTABLE(Linspace);
    MLX_EXPORTABLE(LogSumExp);
    MLX_EXPORTABLE(LUF);
    MLX_EXPORTABLE(MaskedGather);
    MLX_EXPORTABLE(MaskedScatter);
    MLX_EXPORTABLE(Matmul);
    MLX_EXPORTABLE(NanToNum);
    MLX_EXPORTABLE(NumberOfElements);
    MLX_EXPORTABLE(Predicate);
    MLX_EXPORTABLE(QRF);
    MLX_EXPORTABLE(Quantize);
    MLX_EXPORTABLE(QuantizedMatmul);
    MLX_EXPORTABLE(RandomBits);
    MLX_EXPORTABLE(Reduce);
    MLX_EXPORTABLE(Reshape);
    MLX_EXPORTABLE(Scan);
    MLX_EXPORTABLE(ScanGrad);
    MLX_EXPORTABLE(Scatter);
    MLX_EXPORTABLE(ScatterAxis);
    MLX_EXPORTABLE(SearchSorted);
    MLX_EXPORTABLE(SegmentedMM);
    MLX_EXPORTABLE(Select);
    MLX_EXPORTABLE(SliceUpdate);
    MLX_EXPORTABLE(SliceView);
    MLX_EXPORTABLE(Softmax);
    MLX_EXPORTABLE(Solve);
    MLX_EXPORTABLE(Sort);
    MLX_EXPORTABLE(Squeeze);
    MLX_EXPORTABLE(StopGradient);
    MLX_EXPORTABLE(SVD);
    MLX_EXPORTABLE(Transpose);
    MLX_EXPORTABLE(Tri);
    MLX_EXPORTABLE(Unary);
    MLX_EXPORTABLE(View);
    MLX_EXPORTABLE(fast::LayerNorm);
    MLX_EXPORTABLE(fast::LayerNormVJP);
    MLX_EXPORTABLE(fast::RMSNorm);
    MLX_EXPORTABLE(fast::RMSNormVJP);
    MLX_EXPORTABLE(fast::RoPE);
    MLX_EXPORTABLE(fast::ScaledDotProductAttention);
    MLX_EXPORTABLE(fast::ScaledDotProductAttentionVJP);
    return r;
  }();
  return *reg;
}

#undef MLX_EXPORTABLE

const Codec& codec_of(const Primitive& p) {
  auto& r = registry();
  auto it = r.by_type.find(std::type_index(typeid(p)));
  if (it != r.by_type.end()) {
    return it->second;
  }
  std::string why;
  if (typeid(p) == typeid(CustomTransforms)) {
    why =
        "custom_function, custom_vjp and checkpoint keep their rules as C++ closures, which a "
        "file cannot hold";
  } else if (typeid(p) == typeid(Compiled)) {
    why =
        "it is a fused region of a compiled function called outside the exported function "
        "(evaluate its result first, or call the compiled function inside)";
  } else if (typeid(p) == typeid(Load) || typeid(p) == typeid(LoadQuantized)) {
    why =
        "it reads a file when evaluated, and a file handle cannot be stored (evaluate the loaded "
        "arrays before exporting, or pass them as inputs)";
  } else {
    why = "it is not a built-in primitive with serialisable parameters";
  }
  throw std::invalid_argument(std::string("[export_function] Cannot export primitive ") + p.name() +
                              ": " + why + ".");
}

// ---- signatures ----

// Positional inputs, then keyword inputs sorted by name: the order the trace's inputs have.
std::vector<array> flatten_inputs(const Args& args, const Kwargs& kwargs,
                                  std::vector<std::string>& names) {
  names.clear();
  for (auto& [k, v] : kwargs) {
    names.push_back(k);
  }
  std::sort(names.begin(), names.end());
  std::vector<array> inputs(args.begin(), args.end());
  for (auto& k : names) {
    inputs.push_back(kwargs.at(k));
  }
  return inputs;
}

std::string describe_inputs(size_t num_args, const std::vector<std::string>& names,
                            const std::vector<Shape>& shapes, const std::vector<Dtype>& dtypes) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < shapes.size(); ++i) {
    os << (i ? ", " : "");
    if (i >= num_args) {
      os << names[i - num_args] << "=";
    }
    os << shapes[i] << " " << dtypes[i];
  }
  os << ")";
  return os.str();
}

// MLX names a graph's values A, B, ..., Z, AA, AB, ...
std::string value_name(uint32_t i) {
  std::string s;
  uint64_t n = uint64_t{i} + 1;
  while (n > 0) {
    --n;
    s.insert(s.begin(), static_cast<char>('A' + n % 26));
    n /= 26;
  }
  return s;
}

// Makes a constant's data one dense row-major block.
array dense(const array& a) {
  if (a.flags().row_contiguous && a.data_size() == a.size()) {
    return a;
  }
  array c(a.shape(), a.dtype(),
          std::make_shared<Contiguous>(default_stream(default_device()), false), {a});
  eval(c);
  return c;
}

}  // namespace

// ---- exporting ----

struct ExportState {
  std::function<std::vector<array>(const Args&, const Kwargs&)> fun;
  bool shapeless = false;
  std::string path;
  std::ofstream file;
  ExportCallback callback;
  // Constants already written, by array id, and the arrays themselves (kept alive so that no
  // other array reuses an id).
  std::unordered_map<std::uintptr_t, uint32_t> constant_index;
  std::vector<array> constants;
  bool closed = false;

  void write(const void* data, size_t n, Checksum& sum) {
    file.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
    sum.update(data, n);
  }

  void open(const std::string& metadata) {
    file.open(path, std::ios::binary | std::ios::trunc);
    if (!file) {
      throw std::runtime_error("[export_function] Failed to open " + path + " for writing.");
    }
    ByteWriter w;
    w.put_bytes(kMagic, sizeof(kMagic));
    w.put<uint32_t>(kFormatVersion);
    w.put_string(version());
    w.put_string(metadata);
    w.put<uint8_t>(shapeless ? 1 : 0);
    Checksum sum;
    write(w.bytes().data(), w.bytes().size(), sum);
    auto digest = sum.digest();
    file.write(reinterpret_cast<const char*>(&digest), sizeof(digest));
    check_stream();
  }

  void check_stream() {
    if (!file) {
      throw std::runtime_error("[export_function] Failed to write " + path + ".");
    }
  }

  void add_trace(const Args& args, const Kwargs& kwargs) {
    if (closed) {
      throw std::invalid_argument("[export_function] The exporter is closed.");
    }
    std::vector<std::string> names;
    auto inputs = flatten_inputs(args, kwargs, names);
    size_t num_args = args.size();
    auto flat_fun = [&](const std::vector<array>& in) {
      Args a(in.begin(), in.begin() + num_args);
      Kwargs k;
      for (size_t i = 0; i < names.size(); ++i) {
        k.emplace(names[i], in[num_args + i]);
      }
      return fun(a, k);
    };
    Program p;
    {
      InExportTracing exporting;
      auto t = compile_trace(flat_fun, inputs, shapeless);
      compile_simplify(t);
      compile_drop_dead(t);
      p = make_program(t);
    }
    for (auto& c : p.constants) {
      c = dense(c);
    }
    eval(p.constants);
    if (callback) {
      emit(p, inputs, num_args, names);
    } else {
      write_trace(p, inputs, num_args, names);
    }
  }

  void write_trace(const Program& p, const std::vector<array>& inputs, size_t num_args,
                   const std::vector<std::string>& names) {
    // Everything that can fail is done before the first byte is written, so a failed trace
    // leaves the file as it was.
    ByteWriter nodes;
    std::vector<uint32_t> used;
    std::vector<array> fresh;
    std::unordered_map<std::uintptr_t, uint32_t> pending;
    for (auto& c : p.constants) {
      auto it = constant_index.find(c.id());
      if (it != constant_index.end()) {
        used.push_back(it->second);
        continue;
      }
      auto [pit, inserted] =
          pending.emplace(c.id(), static_cast<uint32_t>(constants.size() + fresh.size()));
      if (inserted) {
        fresh.push_back(c);
      }
      used.push_back(pit->second);
    }
    nodes.put<uint32_t>(static_cast<uint32_t>(used.size()));
    for (auto i : used) {
      nodes.put<uint32_t>(i);
    }
    nodes.put<uint32_t>(static_cast<uint32_t>(p.nodes.size()));
    ByteWriter params;
    for (auto& n : p.nodes) {
      auto& codec = codec_of(*n.primitive);
      params.clear();
      codec.write(params, *n.primitive);
      nodes.put_string(codec.key);
      nodes.put_string(params.bytes());
      nodes.put<uint32_t>(static_cast<uint32_t>(n.inputs.size()));
      for (auto i : n.inputs) {
        nodes.put<uint32_t>(i);
      }
      nodes.put<uint32_t>(static_cast<uint32_t>(n.shapes.size()));
      for (size_t i = 0; i < n.shapes.size(); ++i) {
        nodes.put_spec(n.shapes[i], n.dtypes[i]);
      }
    }
    nodes.put<uint32_t>(static_cast<uint32_t>(p.outputs.size()));
    for (auto o : p.outputs) {
      nodes.put<uint32_t>(o);
    }

    ByteWriter head;
    head.put<uint8_t>(kTraceTag);
    head.put<uint32_t>(static_cast<uint32_t>(num_args));
    head.put<uint32_t>(static_cast<uint32_t>(names.size()));
    for (auto& k : names) {
      head.put_string(k);
    }
    for (auto& in : inputs) {
      head.put_spec(in.shape(), in.dtype());
    }
    head.put<uint32_t>(static_cast<uint32_t>(fresh.size()));
    Checksum sum;
    write(head.bytes().data(), head.bytes().size(), sum);
    for (auto& c : fresh) {
      ByteWriter spec;
      spec.put_spec(c.shape(), c.dtype());
      spec.put<uint64_t>(c.nbytes());
      write(spec.bytes().data(), spec.bytes().size(), sum);
      if (c.nbytes() > 0) {
        write(c.data<char>(), c.nbytes(), sum);
      }
      constant_index.emplace(c.id(), static_cast<uint32_t>(constants.size()));
      constants.push_back(c);
    }
    write(nodes.bytes().data(), nodes.bytes().size(), sum);
    auto digest = sum.digest();
    file.write(reinterpret_cast<const char*>(&digest), sizeof(digest));
    check_stream();
  }

  void emit(const Program& p, const std::vector<array>& inputs, size_t num_args,
            const std::vector<std::string>& names) {
    using Specs = std::vector<std::tuple<std::string, Shape, Dtype>>;
    std::vector<std::pair<Shape, Dtype>> slots;
    for (auto& in : inputs) {
      slots.emplace_back(in.shape(), in.dtype());
    }
    for (auto& c : p.constants) {
      slots.emplace_back(c.shape(), c.dtype());
    }
    for (auto& n : p.nodes) {
      for (size_t i = 0; i < n.shapes.size(); ++i) {
        slots.emplace_back(n.shapes[i], n.dtypes[i]);
      }
    }
    auto specs = [&](auto begin, auto end) {
      Specs s;
      for (auto it = begin; it != end; ++it) {
        s.emplace_back(value_name(*it), slots[*it].first, slots[*it].second);
      }
      return s;
    };
    std::vector<uint32_t> ids(slots.size());
    for (uint32_t i = 0; i < ids.size(); ++i) {
      ids[i] = i;
    }
    // Arguments first, so that an unexportable primitive fails before any record goes out.
    std::vector<std::vector<StateT>> arguments;
    for (auto& n : p.nodes) {
      arguments.push_back(codec_of(*n.primitive).arguments(*n.primitive));
    }
    callback({{"type", std::string("inputs")},
              {"inputs", specs(ids.begin(), ids.begin() + inputs.size())}});
    std::vector<std::pair<std::string, std::string>> keywords;
    for (size_t i = 0; i < names.size(); ++i) {
      keywords.emplace_back(names[i], value_name(static_cast<uint32_t>(num_args + i)));
    }
    callback({{"type", std::string("keyword_inputs")}, {"keywords", keywords}});
    callback(
        {{"type", std::string("outputs")}, {"outputs", specs(p.outputs.begin(), p.outputs.end())}});
    std::vector<std::pair<std::string, array>> consts;
    for (size_t i = 0; i < p.constants.size(); ++i) {
      consts.emplace_back(value_name(static_cast<uint32_t>(inputs.size() + i)), p.constants[i]);
    }
    callback({{"type", std::string("constants")}, {"constants", consts}});
    auto next = static_cast<uint32_t>(inputs.size() + p.constants.size());
    for (size_t k = 0; k < p.nodes.size(); ++k) {
      auto& n = p.nodes[k];
      auto first = next;
      next += static_cast<uint32_t>(n.shapes.size());
      callback({{"type", std::string("primitive")},
                {"name", std::string(n.primitive->name())},
                {"inputs", specs(n.inputs.begin(), n.inputs.end())},
                {"outputs", specs(ids.begin() + first, ids.begin() + next)},
                {"arguments", std::move(arguments[k])}});
    }
  }

  void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (!callback) {
      file.put(static_cast<char>(kEndTag));
      file.close();
      if (!file) {
        throw std::runtime_error("[export_function] Failed to write " + path + ".");
      }
    }
  }

  // A one-shot export that failed leaves no file behind.
  void abandon() {
    closed = true;
    if (!callback) {
      file.close();
      std::remove(path.c_str());
    }
  }
};

// ---- importing ----

struct ImportedTrace {
  uint32_t num_args = 0;
  std::vector<std::string> kwargs;
  std::vector<Dtype> dtypes;
  Program program;
};

struct FunctionTable {
  std::string metadata;
  bool shapeless = false;
  std::vector<ImportedTrace> traces;
};

namespace {

ImportedTrace read_trace(Reader& r, std::vector<array>& constants, Stream stream) {
  ImportedTrace t;
  auto& p = t.program;
  t.num_args = r.get<uint32_t>();
  auto num_kwargs = r.get_count32(8, "keyword");
  for (uint32_t i = 0; i < num_kwargs; ++i) {
    t.kwargs.push_back(r.get_string());
  }
  if (!std::is_sorted(t.kwargs.begin(), t.kwargs.end()) ||
      std::adjacent_find(t.kwargs.begin(), t.kwargs.end()) != t.kwargs.end()) {
    r.fail("keyword names are not sorted and unique");
  }
  uint64_t num_inputs = uint64_t{t.num_args} + num_kwargs;
  if (num_inputs > r.remaining() / 5) {
    r.fail("an input count of " + std::to_string(num_inputs) + " does not fit in the file");
  }
  for (uint64_t i = 0; i < num_inputs; ++i) {
    auto [shape, dtype] = r.get_spec();
    p.input_shapes.push_back(std::move(shape));
    t.dtypes.push_back(dtype);
  }
  auto num_fresh = r.get_count32(13, "constant");
  for (uint32_t i = 0; i < num_fresh; ++i) {
    auto [shape, dtype] = r.get_spec();
    uint64_t size = 1;
    for (auto d : shape) {
      size *= static_cast<uint64_t>(d);
    }
    auto nbytes = r.get<uint64_t>();
    if (nbytes != size * dtype.size()) {
      r.fail("a constant of " + std::to_string(size) + " elements has " + std::to_string(nbytes) +
             " bytes");
    }
    if (nbytes > r.remaining()) {
      r.fail("the file is truncated inside a constant's data");
    }
    array c(allocator::malloc(nbytes), std::move(shape), dtype);
    if (nbytes > 0) {
      r.read(c.data<char>(), nbytes);
    }
    constants.push_back(std::move(c));
  }
  auto num_used = r.get_count32(4, "constant");
  for (uint32_t i = 0; i < num_used; ++i) {
    auto k = r.get<uint32_t>();
    if (k >= constants.size()) {
      r.fail("constant " + std::to_string(k) + " does not exist");
    }
    p.constants.push_back(constants[k]);
  }
  uint64_t slots = num_inputs + num_used;
  auto& reg = registry();
  auto num_nodes = r.get_count32(24, "node");
  for (uint32_t i = 0; i < num_nodes; ++i) {
    Node n;
    auto key = r.get_string();
    auto it = reg.by_key.find(key);
    if (it == reg.by_key.end()) {
      r.fail("unknown primitive '" + key + "'");
    }
    auto params = r.get_string();
    Reader pr(params, "Malformed parameters of primitive " + key);
    n.primitive = it->second->read(pr, stream);
    if (pr.remaining() != 0) {
      r.fail("the parameters of primitive " + key + " have " + std::to_string(pr.remaining()) +
             " bytes too many");
    }
    auto num_in = r.get_count32(4, "node input");
    for (uint32_t j = 0; j < num_in; ++j) {
      auto id = r.get<uint32_t>();
      if (id >= slots) {
        r.fail("node " + std::to_string(i) + " reads value " + std::to_string(id) +
               " before it is computed");
      }
      n.inputs.push_back(id);
    }
    auto num_out = r.get_count32(5, "node output");
    if (num_out == 0) {
      r.fail("node " + std::to_string(i) + " has no outputs");
    }
    for (uint32_t j = 0; j < num_out; ++j) {
      auto [shape, dtype] = r.get_spec();
      n.shapes.push_back(std::move(shape));
      n.dtypes.push_back(dtype);
    }
    slots += num_out;
    p.nodes.push_back(std::move(n));
  }
  auto num_out = r.get_count32(4, "output");
  for (uint32_t j = 0; j < num_out; ++j) {
    auto id = r.get<uint32_t>();
    if (id >= slots) {
      r.fail("output " + std::to_string(j) + " is value " + std::to_string(id) +
             ", which does not exist");
    }
    p.outputs.push_back(id);
  }
  p.num_slots = slots;
  r.check_checksum("trace");
  return t;
}

std::shared_ptr<FunctionTable> read_file(const std::string& path) {
  std::ifstream is(path, std::ios::binary | std::ios::ate);
  if (!is) {
    throw std::runtime_error("[import_function] Failed to open " + path + ".");
  }
  auto size = static_cast<uint64_t>(is.tellg());
  is.seekg(0);
  Reader r(is, size, "Malformed file " + path);
  char magic[sizeof(kMagic)];
  if (size < sizeof(kMagic)) {
    r.fail("the file is too short to be an exported function");
  }
  r.read(magic, sizeof(magic));
  if (std::memcmp(magic, kMagic, sizeof(kMagic)) != 0) {
    r.fail("not an exported function (the magic bytes differ)");
  }
  auto format = r.get<uint32_t>();
  if (format != kFormatVersion) {
    throw std::runtime_error("[import_function] " + path + " has format version " +
                             std::to_string(format) + "; this build reads version " +
                             std::to_string(kFormatVersion) + ".");
  }
  auto table = std::make_shared<FunctionTable>();
  r.get_string();  // the exporting library's version, for people reading the file
  table->metadata = r.get_string();
  table->shapeless = read_value<bool>(r);
  r.check_checksum("header");
  auto stream = default_stream(default_device());
  std::vector<array> constants;
  while (true) {
    auto tag = r.get<uint8_t>();
    if (tag == kEndTag) {
      break;
    }
    if (tag != kTraceTag) {
      r.fail("invalid record tag " + std::to_string(tag));
    }
    table->traces.push_back(read_trace(r, constants, stream));
  }
  if (r.remaining() != 0) {
    r.fail(std::to_string(r.remaining()) + " bytes after the end of the function");
  }
  return table;
}

bool signature_matches(const ImportedTrace& t, size_t num_args,
                       const std::vector<std::string>& names, const std::vector<array>& inputs,
                       bool exact_shapes) {
  if (t.num_args != num_args || t.kwargs != names) {
    return false;
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (t.dtypes[i] != inputs[i].dtype()) {
      return false;
    }
    auto& s = t.program.input_shapes[i];
    if (exact_shapes ? s != inputs[i].shape() : s.size() != inputs[i].ndim()) {
      return false;
    }
  }
  return true;
}

std::shared_ptr<ExportState> make_state(
    std::function<std::vector<array>(const Args&, const Kwargs&)> fun, bool shapeless) {
  auto s = std::make_shared<ExportState>();
  s->fun = std::move(fun);
  s->shapeless = shapeless;
  return s;
}

std::function<std::vector<array>(const Args&, const Kwargs&)> positional(
    const std::function<std::vector<array>(const Args&)>& fun) {
  return [fun](const Args& args, const Kwargs& kwargs) {
    if (!kwargs.empty()) {
      throw std::invalid_argument(
          "[export_function] The function takes positional inputs only; got " +
          std::to_string(kwargs.size()) + " keyword inputs.");
    }
    return fun(args);
  };
}

std::function<std::vector<array>(const Args&, const Kwargs&)> keyword(
    const std::function<std::vector<array>(const Kwargs&)>& fun) {
  return [fun](const Args& args, const Kwargs& kwargs) {
    if (!args.empty()) {
      throw std::invalid_argument("[export_function] The function takes keyword inputs only; got " +
                                  std::to_string(args.size()) + " positional inputs.");
    }
    return fun(kwargs);
  };
}

FunctionExporter file_exporter(const std::string& file,
                               std::function<std::vector<array>(const Args&, const Kwargs&)> fun,
                               bool shapeless, const std::string& metadata) {
  auto s = make_state(std::move(fun), shapeless);
  s->path = file;
  s->open(metadata);
  return FunctionExporter(std::move(s));
}

FunctionExporter callback_exporter(
    const ExportCallback& callback,
    std::function<std::vector<array>(const Args&, const Kwargs&)> fun, bool shapeless) {
  if (!callback) {
    throw std::invalid_argument("[export_function] The callback is empty.");
  }
  auto s = make_state(std::move(fun), shapeless);
  s->callback = callback;
  return FunctionExporter(std::move(s));
}

}  // namespace

std::vector<std::string> exportable_primitives() {
  std::vector<std::string> keys;
  for (auto& [k, c] : registry().by_key) {
    keys.push_back(k);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::vector<std::string> unexportable_primitives() {
  return {"Compiled", "CustomTransforms", "Load", "LoadQuantized"};
}

}  // namespace detail

// ---- the public API ----

FunctionExporter::FunctionExporter(std::shared_ptr<detail::ExportState> state)
    : state_(std::move(state)) {}

FunctionExporter::~FunctionExporter() {
  if (state_ && !state_->closed) {
    try {
      state_->close();
    } catch (const std::exception&) {
      // A destructor cannot report it; close() does.
    }
  }
}

void FunctionExporter::operator()(const Args& args) { (*this)(args, Kwargs{}); }
void FunctionExporter::operator()(const Kwargs& kwargs) { (*this)(Args{}, kwargs); }
void FunctionExporter::operator()(const Args& args, const Kwargs& kwargs) {
  state_->add_trace(args, kwargs);
}

void FunctionExporter::close() { state_->close(); }

FunctionExporter exporter(const std::string& file,
                          const std::function<std::vector<array>(const Args&)>& fun, bool shapeless,
                          const std::string& metadata) {
  return detail::file_exporter(file, detail::positional(fun), shapeless, metadata);
}
FunctionExporter exporter(const std::string& file,
                          const std::function<std::vector<array>(const Kwargs&)>& fun,
                          bool shapeless, const std::string& metadata) {
  return detail::file_exporter(file, detail::keyword(fun), shapeless, metadata);
}
FunctionExporter exporter(const std::string& file,
                          const std::function<std::vector<array>(const Args&, const Kwargs&)>& fun,
                          bool shapeless, const std::string& metadata) {
  return detail::file_exporter(file, fun, shapeless, metadata);
}

FunctionExporter exporter(const ExportCallback& callback,
                          const std::function<std::vector<array>(const Args&)>& fun,
                          bool shapeless) {
  return detail::callback_exporter(callback, detail::positional(fun), shapeless);
}
FunctionExporter exporter(const ExportCallback& callback,
                          const std::function<std::vector<array>(const Kwargs&)>& fun,
                          bool shapeless) {
  return detail::callback_exporter(callback, detail::keyword(fun), shapeless);
}
FunctionExporter exporter(const ExportCallback& callback,
                          const std::function<std::vector<array>(const Args&, const Kwargs&)>& fun,
                          bool shapeless) {
  return detail::callback_exporter(callback, fun, shapeless);
}

namespace {

template <typename Target, typename Fun>
void export_one(const Target& target, const Fun& fun, const Args& args, const Kwargs& kwargs,
                bool shapeless, const std::string* metadata) {
  auto s = detail::make_state(fun, shapeless);
  if constexpr (std::is_same_v<Target, std::string>) {
    s->path = target;
    s->open(*metadata);
  } else {
    if (!target) {
      throw std::invalid_argument("[export_function] The callback is empty.");
    }
    s->callback = target;
  }
  try {
    s->add_trace(args, kwargs);
    s->close();
  } catch (...) {
    s->abandon();
    throw;
  }
}

}  // namespace

void export_function(const std::string& file,
                     const std::function<std::vector<array>(const Args&)>& fun, const Args& args,
                     bool shapeless, const std::string& metadata) {
  export_one(file, detail::positional(fun), args, {}, shapeless, &metadata);
}
void export_function(const std::string& file,
                     const std::function<std::vector<array>(const Kwargs&)>& fun,
                     const Kwargs& kwargs, bool shapeless, const std::string& metadata) {
  export_one(file, detail::keyword(fun), {}, kwargs, shapeless, &metadata);
}
void export_function(const std::string& file,
                     const std::function<std::vector<array>(const Args&, const Kwargs&)>& fun,
                     const Args& args, const Kwargs& kwargs, bool shapeless,
                     const std::string& metadata) {
  export_one(file, fun, args, kwargs, shapeless, &metadata);
}

void export_function(const ExportCallback& callback,
                     const std::function<std::vector<array>(const Args&)>& fun, const Args& args,
                     bool shapeless) {
  export_one(callback, detail::positional(fun), args, {}, shapeless, nullptr);
}
void export_function(const ExportCallback& callback,
                     const std::function<std::vector<array>(const Kwargs&)>& fun,
                     const Kwargs& kwargs, bool shapeless) {
  export_one(callback, detail::keyword(fun), {}, kwargs, shapeless, nullptr);
}
void export_function(const ExportCallback& callback,
                     const std::function<std::vector<array>(const Args&, const Kwargs&)>& fun,
                     const Args& args, const Kwargs& kwargs, bool shapeless) {
  export_one(callback, fun, args, kwargs, shapeless, nullptr);
}

ImportedFunction import_function(const std::string& file) {
  return ImportedFunction(detail::read_file(file));
}

ImportedFunction::ImportedFunction(std::shared_ptr<const detail::FunctionTable> table)
    : table_(std::move(table)) {}

const std::string& ImportedFunction::metadata() const { return table_->metadata; }

std::vector<array> ImportedFunction::operator()(const Args& args) const {
  return (*this)(args, Kwargs{});
}
std::vector<array> ImportedFunction::operator()(const Kwargs& kwargs) const {
  return (*this)(Args{}, kwargs);
}

std::vector<array> ImportedFunction::operator()(const Args& args, const Kwargs& kwargs) const {
  std::vector<std::string> names;
  auto inputs = detail::flatten_inputs(args, kwargs, names);
  for (auto& t : table_->traces) {
    if (detail::signature_matches(t, args.size(), names, inputs, true)) {
      return detail::compile_replace(t.program, inputs, false);
    }
  }
  std::string reason;
  if (table_->shapeless) {
    for (auto& t : table_->traces) {
      if (detail::signature_matches(t, args.size(), names, inputs, false)) {
        try {
          return detail::compile_replace(t.program, inputs, true);
        } catch (const std::exception& e) {
          reason = std::string(" The shapeless trace cannot take these shapes: ") + e.what();
        }
      }
    }
  }
  std::vector<Shape> shapes;
  std::vector<Dtype> dtypes;
  for (auto& in : inputs) {
    shapes.push_back(in.shape());
    dtypes.push_back(in.dtype());
  }
  std::ostringstream msg;
  msg << "[import_function] No trace of the function matches the inputs "
      << detail::describe_inputs(args.size(), names, shapes, dtypes) << ". The file has";
  for (size_t i = 0; i < table_->traces.size(); ++i) {
    auto& t = table_->traces[i];
    msg << (i ? ", " : " ")
        << detail::describe_inputs(t.num_args, t.kwargs, t.program.input_shapes, t.dtypes);
  }
  msg << (table_->shapeless ? " (shapeless)." : ".") << reason;
  throw std::invalid_argument(msg.str());
}

}  // namespace mlx::core
