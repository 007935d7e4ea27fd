// Force-included into the fuzz targets. With libstdc++, clang instantiates the default argument
// of the template constructor array(T val, Dtype = TypeToDtype<T>()) while checking whether
// std::optional<array> can be built from std::nullopt (ops.h's `= std::nullopt` defaults), and
// TypeToDtype<std::nullopt_t> is undefined, so mlx/ops.h does not compile with clang. GCC builds
// the library; until array.h constrains that constructor, this gives clang a (never used) dtype.
#pragma once

#include <optional>

#include "mlx/dtype.h"

namespace mlx::core {
template <>
struct TypeToDtype<std::nullopt_t> {
  constexpr operator Dtype() const { return bool_; }
};
}  // namespace mlx::core
