#include <iostream>

#include <mlx/mlx.h>

namespace mx = mlx::core;

int main() {
  auto x = mx::arange(3) + mx::array(1);
  mx::eval(x);
  std::cout << "package ok " << mx::version() << " " << x << std::endl;
  return x.data<int>()[2] == 3 ? 0 : 1;
}
