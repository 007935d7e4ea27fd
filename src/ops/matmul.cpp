// Matrix products: matmul.
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

}  // namespace mlx::core
