// Data types: the 14 dtypes, their kinds and categories, and type promotion.
#pragma once

#include <complex>
#include <cstdint>
#include <ostream>
#include <string>

#include "mlx/types/complex.h"
#include "mlx/types/half_types.h"

namespace mlx::core {

struct Dtype {
  // The order is part of the API: the promotion table is indexed by it.
  enum class Val {
    bool_,
    uint8,
    uint16,
    uint32,
    uint64,
    int8,
    int16,
    int32,
    int64,
    float16,
    float32,
    float64,
    bfloat16,
    complex64,
  };

  enum class Kind {
    b, /* bool */
    u, /* unsigned int */
    i, /* signed int */
    f, /* float */
    c, /* complex */
    V, /* void - used for brain float */
  };

  enum class Category {
    complexfloating,
    floating,
    inexact,
    signedinteger,
    unsignedinteger,
    integer,
    number,
    generic
  };

  constexpr explicit Dtype(Val val, uint8_t size) : val_(val), size_(size) {}

  constexpr operator Val() const { return val_; }
  constexpr Val val() const { return val_; }
  constexpr uint8_t size() const { return size_; }

 private:
  Val val_;
  uint8_t size_;
};

inline constexpr Dtype bool_{Dtype::Val::bool_, sizeof(bool)};

inline constexpr Dtype uint8{Dtype::Val::uint8, sizeof(uint8_t)};
inline constexpr Dtype uint16{Dtype::Val::uint16, sizeof(uint16_t)};
inline constexpr Dtype uint32{Dtype::Val::uint32, sizeof(uint32_t)};
inline constexpr Dtype uint64{Dtype::Val::uint64, sizeof(uint64_t)};

inline constexpr Dtype int8{Dtype::Val::int8, sizeof(int8_t)};
inline constexpr Dtype int16{Dtype::Val::int16, sizeof(int16_t)};
inline constexpr Dtype int32{Dtype::Val::int32, sizeof(int32_t)};
inline constexpr Dtype int64{Dtype::Val::int64, sizeof(int64_t)};

inline constexpr Dtype float16{Dtype::Val::float16, sizeof(uint16_t)};
inline constexpr Dtype float32{Dtype::Val::float32, sizeof(float)};
inline constexpr Dtype float64{Dtype::Val::float64, sizeof(double)};
inline constexpr Dtype bfloat16{Dtype::Val::bfloat16, sizeof(uint16_t)};
inline constexpr Dtype complex64{Dtype::Val::complex64, sizeof(complex64_t)};

inline constexpr Dtype::Category complexfloating = Dtype::Category::complexfloating;
inline constexpr Dtype::Category floating = Dtype::Category::floating;
inline constexpr Dtype::Category inexact = Dtype::Category::inexact;
inline constexpr Dtype::Category signedinteger = Dtype::Category::signedinteger;
inline constexpr Dtype::Category unsignedinteger = Dtype::Category::unsignedinteger;
inline constexpr Dtype::Category integer = Dtype::Category::integer;
inline constexpr Dtype::Category number = Dtype::Category::number;
inline constexpr Dtype::Category generic = Dtype::Category::generic;

// Number of dtypes; dtype_index(d) is in [0, num_dtypes).
inline constexpr int num_dtypes = 14;
constexpr int dtype_index(Dtype d) { return static_cast<int>(d.val()); }
// The dtype whose enum value is i (0 <= i < num_dtypes).
Dtype dtype_from_index(int i);

bool issubdtype(const Dtype& a, const Dtype& b);
bool issubdtype(const Dtype::Category& a, const Dtype& b);
bool issubdtype(const Dtype& a, const Dtype::Category& b);
bool issubdtype(const Dtype::Category& a, const Dtype::Category& b);

Dtype promote_types(const Dtype& t1, const Dtype& t2);

inline uint8_t size_of(const Dtype& t) { return t.size(); }

Dtype::Kind kindof(const Dtype& t);

// The category a dtype belongs to directly (bool is `generic`).
Dtype::Category category_of(const Dtype& t);

template <typename T>
struct TypeToDtype;

template <>
struct TypeToDtype<bool> {
  constexpr operator Dtype() const { return bool_; }
};
template <>
struct TypeToDtype<uint8_t> {
  constexpr operator Dtype() const { return uint8; }
};
template <>
struct TypeToDtype<uint16_t> {
  constexpr operator Dtype() const { return uint16; }
};
template <>
struct TypeToDtype<uint32_t> {
  constexpr operator Dtype() const { return uint32; }
};
template <>
struct TypeToDtype<uint64_t> {
  constexpr operator Dtype() const { return uint64; }
};
template <>
struct TypeToDtype<int8_t> {
  constexpr operator Dtype() const { return int8; }
};
template <>
struct TypeToDtype<int16_t> {
  constexpr operator Dtype() const { return int16; }
};
template <>
struct TypeToDtype<int32_t> {
  constexpr operator Dtype() const { return int32; }
};
template <>
struct TypeToDtype<int64_t> {
  constexpr operator Dtype() const { return int64; }
};
// `long long` and `unsigned long long` are distinct from int64_t/uint64_t on Linux.
template <>
struct TypeToDtype<long long> {
  constexpr operator Dtype() const { return int64; }
};
template <>
struct TypeToDtype<unsigned long long> {
  constexpr operator Dtype() const { return uint64; }
};
template <>
struct TypeToDtype<float16_t> {
  constexpr operator Dtype() const { return float16; }
};
template <>
struct TypeToDtype<float> {
  constexpr operator Dtype() const { return float32; }
};
// As in MLX, a C++ double becomes float32 unless float64 is asked for.
template <>
struct TypeToDtype<double> {
  constexpr operator Dtype() const { return float32; }
};
template <>
struct TypeToDtype<bfloat16_t> {
  constexpr operator Dtype() const { return bfloat16; }
};
template <>
struct TypeToDtype<complex64_t> {
  constexpr operator Dtype() const { return complex64; }
};
template <>
struct TypeToDtype<std::complex<float>> {
  constexpr operator Dtype() const { return complex64; }
};

// The dtype's name as MLX prints it ("float32", "bool", ...).
const char* dtype_to_string(Dtype d);

std::ostream& operator<<(std::ostream& os, const Dtype& d);
std::ostream& operator<<(std::ostream& os, const Dtype::Kind& k);

// Machine limits of an inexact dtype, as NumPy's finfo reports them: `min` is the lowest finite
// value, and complex64 describes its float32 components.
struct finfo {
  explicit finfo(Dtype type);
  Dtype dtype;
  int bits;
  double min;
  double max;
  double eps;
  double smallest_normal;
};

// Range of an integer dtype. `max` is unsigned so that uint64's maximum fits.
struct iinfo {
  explicit iinfo(Dtype type);
  Dtype dtype;
  int bits;
  int64_t min;
  uint64_t max;
};

}  // namespace mlx::core
