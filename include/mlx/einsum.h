// Einstein summation (src/ops/einsum.cpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "mlx/array.h"
#include "mlx/utils.h"

namespace mlx::core {

/** The contraction order einsum would use: pairs of operand positions (into the shrinking
 * operand list, NumPy's convention) and a printable description of the path and its cost. */
std::pair<std::vector<std::vector<int>>, std::string> einsum_path(
    const std::string& subscripts, const std::vector<array>& operands);

/** Einstein summation over the operands ("ij,jk->ik", implicit output, "..." broadcasting),
 * contracted pairwise in an order that avoids huge intermediates. */
array einsum(const std::string& subscripts, const std::vector<array>& operands,
             StreamOrDevice s = {});

}  // namespace mlx::core
