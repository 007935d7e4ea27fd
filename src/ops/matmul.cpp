// Matrix products: matmul.
#include <optional>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

array matmul(const array& in_a, const array& in_b, StreamOrDevice s) {
  if (in_a.ndim() == 0 || in_b.ndim() == 0) {
    std::ostringstream msg;
    msg << "[matmul] Inputs must have at least one dimension but got shapes " << in_a.shape()
        << " and " << in_b.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  auto stream = to_stream(s);
  // NumPy's 1-D rules: a vector is a row on the left and a column on the right; the added dim
  // is removed from the result. Errors show the promoted shapes, as MLX's do.
  array a = in_a.ndim() == 1 ? reshape(in_a, {1, in_a.shape(0)}, stream) : in_a;
  array b = in_b.ndim() == 1 ? reshape(in_b, {in_b.shape(0), 1}, stream) : in_b;
  if (a.shape(-1) != b.shape(-2)) {
    std::ostringstream msg;
    msg << "[matmul] Last dimension of first input with shape " << a.shape()
        << " must match second-to-last dimension of second input with shape " << b.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  auto dtype = promote_types(a.dtype(), b.dtype());
  if (!issubdtype(dtype, inexact)) {
    std::ostringstream msg;
    msg << "[matmul] Only inexact types are supported but got " << a.dtype() << " and " << b.dtype()
        << ".";
    throw std::invalid_argument(msg.str());
  }

  Shape a_batch(a.shape().begin(), a.shape().end() - 2);
  Shape b_batch(b.shape().begin(), b.shape().end() - 2);
  Shape batch;
  try {
    batch = broadcast_shapes(a_batch, b_batch);
  } catch (const std::invalid_argument&) {
    std::ostringstream msg;
    msg << "[matmul] Batch dimensions of inputs with shapes " << a.shape() << " and " << b.shape()
        << " cannot be broadcast.";
    throw std::invalid_argument(msg.str());
  }
  auto with_matrix = [&batch](int rows, int cols) {
    Shape shape = batch;
    shape.push_back(rows);
    shape.push_back(cols);
    return shape;
  };
  int m = a.shape(-2);
  int k = a.shape(-1);
  int n = b.shape(-1);
  a = broadcast_to(astype(a, dtype, stream), with_matrix(m, k), stream);
  b = broadcast_to(astype(b, dtype, stream), with_matrix(k, n), stream);
  array out(with_matrix(m, n), dtype, std::make_shared<Matmul>(stream), {a, b});

  if (in_a.ndim() == 1 || in_b.ndim() == 1) {
    Shape shape = batch;
    if (in_a.ndim() > 1) {
      shape.push_back(m);
    }
    if (in_b.ndim() > 1) {
      shape.push_back(n);
    }
    out = reshape(out, std::move(shape), stream);
  }
  return out;
}

namespace {
array swap_last(const array& x, Stream s) {
  std::vector<int> perm(x.ndim());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int>(i);
  std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
  return transpose(x, perm, s);
}
}  // namespace

// d(a @ b) = da @ b + a @ db, so the cotangents are ct @ b^T and a^T @ ct (batch dims match:
// the builder broadcast them).
std::vector<array> Matmul::vjp(const std::vector<array>& primals,
                               const std::vector<array>& cotangents,
                               const std::vector<int>& argnums, const std::vector<array>&) {
  std::vector<array> vjps;
  for (int arg : argnums) {
    vjps.push_back(arg == 0 ? matmul(cotangents[0], swap_last(primals[1], stream()), stream())
                            : matmul(swap_last(primals[0], stream()), cotangents[0], stream()));
  }
  return vjps;
}

std::vector<array> Matmul::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents,
                               const std::vector<int>& argnums) {
  std::optional<array> out;
  for (size_t i = 0; i < argnums.size(); ++i) {
    auto term = argnums[i] == 0 ? matmul(tangents[i], primals[1], stream())
                                : matmul(primals[0], tangents[i], stream());
    out = out ? add(*out, term, stream()) : term;
  }
  return {*out};
}

// With the batch axis in front (a leading size-1 axis for an unbatched operand), matmul's own
// batch broadcasting does the rest.
std::pair<std::vector<array>, std::vector<int>> Matmul::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes) {
  auto in = batch_in_front(inputs, axes, stream());
  return {{matmul(in[0], in[1], stream())}, {0}};
}

}  // namespace mlx::core
