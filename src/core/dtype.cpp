#include "mlx/dtype.h"

#include <array>
#include <limits>
#include <stdexcept>
#include <string>

namespace mlx::core {

namespace {

using Val = Dtype::Val;
using Kind = Dtype::Kind;
using Category = Dtype::Category;

struct DtypeRow {
  Dtype dtype;
  const char* name;
  Kind kind;
  Category category;
};

// One row per dtype, in enum order.
constexpr std::array<DtypeRow, num_dtypes> kRows = {{
    {bool_, "bool", Kind::b, generic},
    {uint8, "uint8", Kind::u, unsignedinteger},
    {uint16, "uint16", Kind::u, unsignedinteger},
    {uint32, "uint32", Kind::u, unsignedinteger},
    {uint64, "uint64", Kind::u, unsignedinteger},
    {int8, "int8", Kind::i, signedinteger},
    {int16, "int16", Kind::i, signedinteger},
    {int32, "int32", Kind::i, signedinteger},
    {int64, "int64", Kind::i, signedinteger},
    {float16, "float16", Kind::f, floating},
    {float32, "float32", Kind::f, floating},
    {float64, "float64", Kind::f, floating},
    {bfloat16, "bfloat16", Kind::V, floating},
    {complex64, "complex64", Kind::c, complexfloating},
}};

constexpr bool rows_in_enum_order() {
  for (int i = 0; i < num_dtypes; ++i) {
    if (dtype_index(kRows[i].dtype) != i) {
      return false;
    }
  }
  return true;
}
static_assert(rows_in_enum_order());

// A Dtype can be built from any Val, including out-of-range casts; those must not index past the
// tables.
int checked_index(Dtype d) {
  const int i = dtype_index(d);
  if (i < 0 || i >= num_dtypes) {
    throw std::invalid_argument("[Dtype] Invalid dtype value " + std::to_string(i) + ".");
  }
  return i;
}

const DtypeRow& row_of(Dtype d) { return kRows[checked_index(d)]; }

constexpr Dtype signed_of_size(int size) { return size == 2 ? int16 : (size == 4 ? int32 : int64); }

// The rules behind MLX's promotion table; the tests compare the result with the table itself.
constexpr Dtype promote(Dtype a, Dtype b) {
  if (a == b || b == Val::bool_) {
    return a;
  }
  if (a == Val::bool_) {
    return b;
  }
  if (a == Val::complex64 || b == Val::complex64) {
    return complex64;
  }
  if (a == Val::float64 || b == Val::float64) {
    return float64;
  }
  const Category ca = kRows[dtype_index(a)].category;
  const Category cb = kRows[dtype_index(b)].category;
  if (ca == floating && cb == floating) {
    // Two different formats among float16, bfloat16 and float32: only float32 holds both.
    return float32;
  }
  if (ca == floating) {
    return a;
  }
  if (cb == floating) {
    return b;
  }
  if (ca == cb) {
    return a.size() >= b.size() ? a : b;
  }
  const Dtype u = ca == unsignedinteger ? a : b;
  const Dtype s = ca == unsignedinteger ? b : a;
  if (u.size() < s.size()) {
    return s;
  }
  // No signed integer holds every uint64, so the pair leaves the integers altogether.
  if (u.size() == 8) {
    return float32;
  }
  return signed_of_size(2 * u.size());
}

constexpr auto kPromotion = [] {
  std::array<std::array<uint8_t, num_dtypes>, num_dtypes> table{};
  for (int i = 0; i < num_dtypes; ++i) {
    for (int j = 0; j < num_dtypes; ++j) {
      table[i][j] = static_cast<uint8_t>(dtype_index(promote(kRows[i].dtype, kRows[j].dtype)));
    }
  }
  return table;
}();

constexpr Category parent_of(Category c) {
  switch (c) {
    case complexfloating:
    case floating:
      return inexact;
    case signedinteger:
    case unsignedinteger:
      return integer;
    case inexact:
    case integer:
      return number;
    case number:
    case generic:
      return generic;
  }
  return generic;
}

template <typename T>
void fill_finfo(finfo& info) {
  using limits = std::numeric_limits<T>;
  info.bits = static_cast<int>(sizeof(T) * 8);
  info.min = static_cast<double>(limits::lowest());
  info.max = static_cast<double>(limits::max());
  info.eps = static_cast<double>(limits::epsilon());
  info.smallest_normal = static_cast<double>(limits::min());
}

template <typename T>
void fill_iinfo(iinfo& info) {
  using limits = std::numeric_limits<T>;
  info.bits = static_cast<int>(sizeof(T) * 8);
  info.min = static_cast<int64_t>(limits::min());
  info.max = static_cast<uint64_t>(limits::max());
}

}  // namespace

Dtype dtype_from_index(int i) {
  if (i < 0 || i >= num_dtypes) {
    throw std::invalid_argument("[dtype_from_index] Index " + std::to_string(i) +
                                " is out of range [0, " + std::to_string(num_dtypes) + ").");
  }
  return kRows[i].dtype;
}

bool issubdtype(const Dtype& a, const Dtype& b) { return a == b; }

bool issubdtype(const Dtype::Category&, const Dtype&) { return false; }

bool issubdtype(const Dtype& a, const Dtype::Category& b) { return issubdtype(category_of(a), b); }

bool issubdtype(const Dtype::Category& a, const Dtype::Category& b) {
  for (Category c = a;; c = parent_of(c)) {
    if (c == b) {
      return true;
    }
    if (c == generic) {
      return false;
    }
  }
}

Dtype promote_types(const Dtype& t1, const Dtype& t2) {
  return kRows[kPromotion[checked_index(t1)][checked_index(t2)]].dtype;
}

Dtype::Kind kindof(const Dtype& t) { return row_of(t).kind; }

Dtype::Category category_of(const Dtype& t) { return row_of(t).category; }

const char* dtype_to_string(Dtype d) { return row_of(d).name; }

std::ostream& operator<<(std::ostream& os, const Dtype& d) { return os << dtype_to_string(d); }

std::ostream& operator<<(std::ostream& os, const Dtype::Kind& k) {
  switch (k) {
    case Kind::b:
      return os << 'b';
    case Kind::u:
      return os << 'u';
    case Kind::i:
      return os << 'i';
    case Kind::f:
      return os << 'f';
    case Kind::c:
      return os << 'c';
    case Kind::V:
      return os << 'V';
  }
  return os << '?';
}

finfo::finfo(Dtype type) : dtype(type == Val::complex64 ? float32 : type) {
  switch (dtype.val()) {
    case Val::float16:
      fill_finfo<float16_t>(*this);
      break;
    case Val::float32:
      fill_finfo<float>(*this);
      break;
    case Val::float64:
      fill_finfo<double>(*this);
      break;
    case Val::bfloat16:
      fill_finfo<bfloat16_t>(*this);
      break;
    default:
      throw std::invalid_argument("[finfo] dtype " + std::string(dtype_to_string(type)) +
                                  " is not inexact.");
  }
}

iinfo::iinfo(Dtype type) : dtype(type) {
  switch (type.val()) {
    case Val::uint8:
      fill_iinfo<uint8_t>(*this);
      break;
    case Val::uint16:
      fill_iinfo<uint16_t>(*this);
      break;
    case Val::uint32:
      fill_iinfo<uint32_t>(*this);
      break;
    case Val::uint64:
      fill_iinfo<uint64_t>(*this);
      break;
    case Val::int8:
      fill_iinfo<int8_t>(*this);
      break;
    case Val::int16:
      fill_iinfo<int16_t>(*this);
      break;
    case Val::int32:
      fill_iinfo<int32_t>(*this);
      break;
    case Val::int64:
      fill_iinfo<int64_t>(*this);
      break;
    default:
      throw std::invalid_argument("[iinfo] dtype " + std::string(dtype_to_string(type)) +
                                  " is not integral.");
  }
}

}  // namespace mlx::core
