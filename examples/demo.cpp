// The main demo: lazy arrays, evaluation on a stream, and memory figures.
#include <iostream>

#include "mlx/mlx.h"

namespace mx = mlx::core;

int main() {
  std::cout << "mlx " << mx::version() << " on " << mx::default_device() << "\n";
  auto a = mx::reshape(mx::arange(12.0), {3, 4});
  auto b = mx::ones({4}, mx::float32);
  auto c = a * 2.0f + b;
  std::cout << "c = a * 2 + 1 (not computed yet: status " << c.status() << ")\n";
  mx::eval(c);
  std::cout << c << "\n";
  std::cout << "active memory: " << mx::get_active_memory() << " bytes\n";
  return 0;
}
