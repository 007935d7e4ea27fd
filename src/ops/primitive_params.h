// Internal: built-in primitives keep their parameters as one value (a tuple), which gives them
// equivalence, hashing (compile's cache and CSE) and printing (and later export) in one place.
#pragma once

#include <functional>
#include <ostream>
#include <tuple>
#include <typeinfo>
#include <utility>
#include <vector>

#include "mlx/primitives.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace params {

inline size_t combine(size_t seed, size_t h) {
  return seed ^ (h + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2));
}

template <typename T>
size_t hash_value(const T& v) {
  if constexpr (std::is_enum_v<T>) {
    return std::hash<std::underlying_type_t<T>>{}(static_cast<std::underlying_type_t<T>>(v));
  } else if constexpr (std::is_same_v<T, Dtype>) {
    return std::hash<int>{}(static_cast<int>(v.val()));
  } else {
    return std::hash<T>{}(v);
  }
}

template <typename T>
size_t hash_value(const std::vector<T>& v) {
  size_t h = v.size();
  for (auto& x : v) {
    h = combine(h, hash_value(x));
  }
  return h;
}

template <typename T>
void print_value(std::ostream& os, const T& v) {
  if constexpr (std::is_enum_v<T>) {
    os << static_cast<int>(v);
  } else {
    os << v;
  }
}

template <typename T>
void print_value(std::ostream& os, const std::vector<T>& v) {
  os << "(";
  for (size_t i = 0; i < v.size(); ++i) {
    os << (i ? "," : "");
    print_value(os, v[i]);
  }
  os << ")";
}

}  // namespace params

template <typename Base, typename... Params>
class PrimitiveWithParams : public Base {
 public:
  using State = std::tuple<Params...>;

  PrimitiveWithParams(Stream stream, Params... p) : Base(stream), state_(std::move(p)...) {}

  const State& state() const { return state_; }

  bool is_equivalent(const Primitive& other) const override {
    return typeid(*this) == typeid(other) &&
           static_cast<const PrimitiveWithParams&>(other).state_ == state_;
  }

  size_t hash() const override {
    size_t h = std::hash<std::string>{}(this->name());
    std::apply([&h](const auto&... p) { ((h = params::combine(h, params::hash_value(p))), ...); },
               state_);
    return h;
  }

  void print(std::ostream& os) const override {
    os << this->name();
    if constexpr (sizeof...(Params) > 0) {
      os << "(";
      bool first = true;
      std::apply(
          [&](const auto&... p) {
            ((os << (first ? "" : ", "), params::print_value(os, p), first = false), ...);
          },
          state_);
      os << ")";
    }
  }

 protected:
  State state_;
};

// Declares a built-in primitive's derivative and batching rules (defined in its family's
// src/ops/<family>.cpp next to the builders).
#define MLX_TRANSFORM_RULES()                                                                     \
  std::vector<array> vjp(const std::vector<array>& primals, const std::vector<array>& cotangents, \
                         const std::vector<int>& argnums, const std::vector<array>& outputs)      \
      override;                                                                                   \
  std::vector<array> jvp(const std::vector<array>& primals, const std::vector<array>& tangents,   \
                         const std::vector<int>& argnums) override;                               \
  std::pair<std::vector<array>, std::vector<int>> vmap(const std::vector<array>& inputs,          \
                                                       const std::vector<int>& axes) override;

// Batching helpers for vmap rules: the input with its batch axis (`axis`, -1 for none) moved to
// `to`; for elementwise families, every input with the batch axis in front (unbatched inputs
// get a leading size-1 axis so the op broadcasts them).
array move_batch_axis(const array& x, int axis, int to, Stream s);
std::vector<array> batch_in_front(const std::vector<array>& inputs, const std::vector<int>& axes,
                                  Stream s);

// No GPU backend yet: every built-in primitive reports that clearly.
[[noreturn]] void no_gpu_backend(const char* name);

}  // namespace mlx::core
