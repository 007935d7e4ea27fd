// A tour of the basics: arrays, lazy evaluation, grad and vmap.
#include <iostream>

#include "mlx/mlx.h"

namespace mx = mlx::core;
using mx::operator<<;  // printing of shapes (std::vector) lives in mlx::core

int main() {
  // Arrays: shapes, dtypes, NumPy promotion and broadcasting.
  auto a = mx::array({1.0f, 2.0f, 3.0f, 4.0f}, {2, 2});
  auto b = mx::array({10, 20});  // int32
  auto c = a * b;                // float32, b broadcast over the rows
  std::cout << "c.dtype() = " << c.dtype() << ", c.shape() = " << c.shape() << "\n";

  // Lazy evaluation: nothing ran yet. eval (or printing, or item) computes.
  std::cout << "before eval, status = "
            << (c.status() == mx::array::unscheduled ? "unscheduled" : "computed") << "\n";
  mx::eval(c);
  std::cout << "c = " << c << "\n";

  // grad: derivatives of scalar functions, composable to any order.
  auto f = [](const mx::array& x) { return mx::sum(x * x * x); };  // d/dx = 3x^2
  auto df = mx::grad(f);
  auto d2f = mx::grad([&](const mx::array& x) { return mx::sum(df(x)); });  // 6x
  auto x = mx::array({1.0f, 2.0f});
  std::cout << "grad of sum(x^3) at [1, 2] = " << df(x) << "\n";
  std::cout << "second derivative = " << d2f(x) << "\n";

  // vmap: vectorise a per-example function over a batch axis.
  auto dot = [](const mx::array& u, const mx::array& v) { return mx::sum(u * v); };
  auto batched_dot = mx::vmap(dot);
  auto us = mx::reshape(mx::arange(6.0f), {3, 2});
  auto vs = mx::ones({3, 2});
  std::cout << "row-wise dots = " << batched_dot(us, vs) << "\n";
  return 0;
}
