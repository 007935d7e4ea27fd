// stop_gradient.
#include "ops/gradient.h"

#include "mlx/ops.h"

namespace mlx::core {

array stop_gradient(const array& a, StreamOrDevice s) {
  return array(a.shape(), a.dtype(), std::make_shared<StopGradient>(to_stream(s)), {a});
}

std::vector<array> StopGradient::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                     const std::vector<int>& argnums, const std::vector<array>&) {
  return {zeros_like(primals[0], stream())};
}

std::vector<array> StopGradient::jvp(const std::vector<array>& primals, const std::vector<array>&,
                                     const std::vector<int>&) {
  return {zeros_like(primals[0], stream())};
}

std::pair<std::vector<array>, std::vector<int>> StopGradient::vmap(const std::vector<array>& inputs,
                                                                   const std::vector<int>& axes) {
  return {{stop_gradient(inputs[0], stream())}, axes};
}

namespace detail {
array equal_mask(const array& x, const array& y, Stream s) {
  return array(x.shape(), x.dtype(), std::make_shared<EqualMask>(s), {x, astype(y, x.dtype(), s)});
}
}  // namespace detail

std::vector<array> EqualMask::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                  const std::vector<int>& argnums, const std::vector<array>&) {
  std::vector<array> out;
  for (int a : argnums) out.push_back(zeros_like(primals[a], stream()));
  return out;
}

std::vector<array> EqualMask::jvp(const std::vector<array>& primals, const std::vector<array>&,
                                  const std::vector<int>&) {
  return {zeros_like(primals[0], stream())};
}

std::pair<std::vector<array>, std::vector<int>> EqualMask::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes) {
  auto in = batch_in_front(inputs, axes, stream());
  auto shape = broadcast_shapes(in[0].shape(), in[1].shape());
  return {{detail::equal_mask(broadcast_to(in[0], shape, stream()),
                              broadcast_to(in[1], shape, stream()), stream())},
          {0}};
}

}  // namespace mlx::core
