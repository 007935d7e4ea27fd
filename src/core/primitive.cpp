#include <functional>
#include <stdexcept>
#include <string>

#include "mlx/primitives.h"

namespace mlx::core {

std::vector<array> Primitive::jvp(const std::vector<array>&, const std::vector<array>&,
                                  const std::vector<int>&) {
  throw std::invalid_argument(std::string("[") + name() +
                              "] The Jacobian-vector product is not implemented.");
}

std::vector<array> Primitive::vjp(const std::vector<array>&, const std::vector<array>&,
                                  const std::vector<int>&, const std::vector<array>&) {
  throw std::invalid_argument(std::string("[") + name() +
                              "] The vector-Jacobian product is not implemented.");
}

std::pair<std::vector<array>, std::vector<int>> Primitive::vmap(const std::vector<array>&,
                                                                const std::vector<int>&) {
  throw std::invalid_argument(std::string("[") + name() + "] vmap is not implemented.");
}

std::vector<Shape> Primitive::output_shapes(const std::vector<array>&) {
  throw std::invalid_argument(std::string("[") + name() +
                              "] Cannot infer output shapes (needed by shapeless compile).");
}

size_t Primitive::hash() const { return std::hash<std::string>{}(name()); }

void Primitive::print(std::ostream& os) const { os << name(); }

std::ostream& operator<<(std::ostream& os, const Primitive& p) {
  p.print(os);
  return os;
}

}  // namespace mlx::core
