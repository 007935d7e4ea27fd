// Matrix products: matmul, addmm, gather_mm, segmented_mm, block_masked_mm, tensordot, outer,
// inner, vecdot, kron and hadamard_transform, with the transform rules of their primitives.
#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

Shape leading(const array& x, int trailing) {
  return Shape(x.shape().begin(), x.shape().end() - trailing);
}

Shape with_matrix(Shape batch, int rows, int cols) {
  batch.push_back(rows);
  batch.push_back(cols);
  return batch;
}

int64_t product(const Shape& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

array swap_last(const array& x, Stream s) { return swapaxes(x, -1, -2, s); }

array scaled(const array& x, float factor, Stream s) {
  return factor == 1.0f ? x : multiply(x, array(factor, x.dtype()), s);
}

// The operands of a product after NumPy's 1-D rules (a vector is a row on the left, a column on
// the right) and the checks every product shares; `what` names the op in messages.
void promote_vectors(const char* what, array& a, array& b, Stream s) {
  if (a.ndim() == 0 || b.ndim() == 0) {
    std::ostringstream msg;
    msg << "[" << what << "] Got 0 dimension input. Inputs must have at least one dimension, but "
        << "got shapes " << a.shape() << " and " << b.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  if (a.ndim() == 1) a = reshape(a, {1, a.shape(0)}, s);
  if (b.ndim() == 1) b = reshape(b, {b.shape(0), 1}, s);
  if (a.shape(-1) != b.shape(-2)) {
    std::ostringstream msg;
    msg << "[" << what << "] Last dimension of first input with shape " << a.shape()
        << " must match second to last dimension of second input with shape " << b.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
}

Dtype inexact_type(const char* what, const std::vector<array>& inputs) {
  Dtype dtype = inputs[0].dtype();
  for (auto& x : inputs) dtype = promote_types(dtype, x.dtype());
  if (!issubdtype(dtype, inexact)) {
    std::ostringstream msg;
    msg << "[" << what << "] Only inexact types are supported but got ";
    for (size_t i = 0; i < inputs.size(); ++i) {
      msg << (i == 0 ? "" : i + 1 == inputs.size() ? " and " : ", ") << inputs[i].dtype();
    }
    msg << ".";
    throw std::invalid_argument(msg.str());
  }
  return dtype;
}

Shape broadcast_batch(const char* what, const array& a, const array& b) {
  try {
    return broadcast_shapes(leading(a, 2), leading(b, 2));
  } catch (const std::invalid_argument&) {
    std::ostringstream msg;
    msg << "[" << what << "] Batch dimensions of inputs with shapes " << a.shape() << " and "
        << b.shape() << " cannot be broadcast.";
    throw std::invalid_argument(msg.str());
  }
}

// Removes the dims NumPy's 1-D rules added to a (..., M, N) result.
array drop_vector_dims(const array& out, int a_ndim, int b_ndim, Stream s) {
  std::vector<int> axes;
  if (a_ndim == 1) axes.push_back(static_cast<int>(out.ndim()) - 2);
  if (b_ndim == 1) axes.push_back(static_cast<int>(out.ndim()) - 1);
  return axes.empty() ? out : squeeze(out, axes, s);
}

}  // namespace

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
  auto batch = broadcast_batch("matmul", a, b);
  int m = a.shape(-2);
  int k = a.shape(-1);
  int n = b.shape(-1);
  a = broadcast_to(astype(a, dtype, stream), with_matrix(batch, m, k), stream);
  b = broadcast_to(astype(b, dtype, stream), with_matrix(batch, k, n), stream);
  array out(with_matrix(batch, m, n), dtype, std::make_shared<Matmul>(stream), {a, b});
  return drop_vector_dims(out, in_a.ndim(), in_b.ndim(), stream);
}

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

// ---- addmm ----

array addmm(array c, array a, array b, const float& alpha, const float& beta, StreamOrDevice s) {
  auto stream = to_stream(s);
  int a_ndim = static_cast<int>(a.ndim());
  int b_ndim = static_cast<int>(b.ndim());
  promote_vectors("addmm", a, b, stream);
  auto dtype = inexact_type("addmm", {c, a, b});
  auto batch = broadcast_batch("addmm", a, b);
  int m = a.shape(-2);
  int k = a.shape(-1);
  int n = b.shape(-1);
  // c broadcasts to the product's shape as the user sees it (1-D rules applied), as in MLX.
  Shape visible = batch;
  if (a_ndim > 1) visible.push_back(m);
  if (b_ndim > 1) visible.push_back(n);
  bool fits = c.ndim() <= visible.size();
  for (size_t i = 0; fits && i < c.ndim(); ++i) {
    auto d = c.shape()[c.ndim() - 1 - i];
    fits = d == 1 || d == visible[visible.size() - 1 - i];
  }
  if (!fits) {
    std::ostringstream msg;
    msg << "[addmm] Input c with shape " << c.shape()
        << " cannot be broadcast to the product's shape " << visible << ".";
    throw std::invalid_argument(msg.str());
  }
  auto out_shape = with_matrix(batch, m, n);
  c = reshape(broadcast_to(astype(c, dtype, stream), visible, stream), out_shape, stream);
  a = broadcast_to(astype(a, dtype, stream), with_matrix(batch, m, k), stream);
  b = broadcast_to(astype(b, dtype, stream), with_matrix(batch, k, n), stream);
  array out(std::move(out_shape), dtype, std::make_shared<AddMM>(stream, alpha, beta), {a, b, c});
  return drop_vector_dims(out, a_ndim, b_ndim, stream);
}

std::vector<array> AddMM::vjp(const std::vector<array>& primals,
                              const std::vector<array>& cotangents, const std::vector<int>& argnums,
                              const std::vector<array>&) {
  auto& ct = cotangents[0];
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg == 0) {
      vjps.push_back(
          scaled(matmul(ct, swap_last(primals[1], stream()), stream()), alpha(), stream()));
    } else if (arg == 1) {
      vjps.push_back(
          scaled(matmul(swap_last(primals[0], stream()), ct, stream()), alpha(), stream()));
    } else {
      vjps.push_back(scaled(ct, beta(), stream()));
    }
  }
  return vjps;
}

std::vector<array> AddMM::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                              const std::vector<int>& argnums) {
  std::optional<array> out;
  for (size_t i = 0; i < argnums.size(); ++i) {
    array term =
        argnums[i] == 0   ? scaled(matmul(tangents[i], primals[1], stream()), alpha(), stream())
        : argnums[i] == 1 ? scaled(matmul(primals[0], tangents[i], stream()), alpha(), stream())
                          : scaled(tangents[i], beta(), stream());
    out = out ? add(*out, term, stream()) : term;
  }
  return {*out};
}

std::pair<std::vector<array>, std::vector<int>> AddMM::vmap(const std::vector<array>& inputs,
                                                            const std::vector<int>& axes) {
  // c must broadcast to the product, so a batch of c alone is given to a as well (a view).
  auto in = batch_in_front(inputs, axes, stream());
  if (axes[2] >= 0 && axes[0] < 0 && axes[1] < 0) {
    auto shape = in[0].shape();
    shape[0] = in[2].shape(0);
    in[0] = broadcast_to(in[0], shape, stream());
  }
  return {{addmm(in[2], in[0], in[1], alpha(), beta(), stream())}, {0}};
}

// ---- gather_mm ----

namespace {

// The default index array of an operand: every matrix of its batch, in the batch's shape.
array all_matrices(const array& x, Stream s) {
  auto batch = leading(x, 2);
  return reshape(arange(0.0, static_cast<double>(product(batch)), uint32, s), batch, s);
}

array check_indices(const char* which, const array& indices, Stream s) {
  if (!issubdtype(indices.dtype(), integer)) {
    std::ostringstream msg;
    msg << "[gather_mm] Got " << which << " with invalid dtype " << indices.dtype()
        << ". Indices must be integral.";
    throw std::invalid_argument(msg.str());
  }
  return astype(indices, uint32, s);
}

// x[i] (x is (I, rows, cols)) summed into slot index[i] of a (slots, rows, cols) array.
array scatter_rows(const array& x, const array& index, int slots, Stream s) {
  Shape shape = x.shape();
  shape[0] = slots;
  Shape updates = x.shape();
  updates.insert(updates.begin() + 1, 1);
  return scatter_add(zeros(shape, x.dtype(), s), index, reshape(x, updates, s), 0, s);
}

}  // namespace

array gather_mm(array a, array b, std::optional<array> lhs_indices,
                std::optional<array> rhs_indices, bool sorted_indices, StreamOrDevice s) {
  if (!lhs_indices && !rhs_indices) {
    return matmul(a, b, s);
  }
  auto stream = to_stream(s);
  int a_ndim = static_cast<int>(a.ndim());
  int b_ndim = static_cast<int>(b.ndim());
  promote_vectors("gather_mm", a, b, stream);
  auto dtype = inexact_type("gather_mm", {a, b});
  auto lhs =
      lhs_indices ? check_indices("lhs_indices", *lhs_indices, stream) : all_matrices(a, stream);
  auto rhs =
      rhs_indices ? check_indices("rhs_indices", *rhs_indices, stream) : all_matrices(b, stream);
  Shape idx_shape;
  try {
    idx_shape = broadcast_shapes(lhs.shape(), rhs.shape());
  } catch (const std::invalid_argument&) {
    std::ostringstream msg;
    msg << "[gather_mm] The index shapes " << lhs.shape() << " and " << rhs.shape()
        << " cannot be broadcast.";
    throw std::invalid_argument(msg.str());
  }
  lhs = broadcast_to(lhs, idx_shape, stream);
  rhs = broadcast_to(rhs, idx_shape, stream);
  int m = a.shape(-2);
  int n = b.shape(-1);
  array out(with_matrix(idx_shape, m, n), dtype,
            std::make_shared<GatherMM>(stream, sorted_indices && !rhs_indices,
                                       sorted_indices && !lhs_indices),
            {astype(a, dtype, stream), astype(b, dtype, stream), lhs, rhs});
  return drop_vector_dims(out, a_ndim, b_ndim, stream);
}

// ct_i @ b[rhs_i]^T summed into a's matrix lhs_i, and a[lhs_i]^T @ ct_i into b's matrix rhs_i:
// gather_mm's and scatter_add's, so grad of grad works.
std::vector<array> GatherMM::vjp(const std::vector<array>& primals,
                                 const std::vector<array>& cotangents,
                                 const std::vector<int>& argnums, const std::vector<array>&) {
  auto& a = primals[0];
  auto& b = primals[1];
  auto count = static_cast<int>(primals[2].size());
  auto lhs = reshape(primals[2], {count}, stream());
  auto rhs = reshape(primals[3], {count}, stream());
  auto iota = arange(0.0, count, uint32, stream());
  auto ct = reshape(cotangents[0], {count, a.shape(-2), b.shape(-1)}, stream());
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg == 0) {
      auto per = gather_mm(ct, swap_last(b, stream()), iota, rhs, false, stream());
      auto slots = static_cast<int>(product(leading(a, 2)));
      vjps.push_back(reshape(scatter_rows(per, lhs, slots, stream()), a.shape(), stream()));
    } else if (arg == 1) {
      auto per = gather_mm(swap_last(a, stream()), ct, lhs, iota, false, stream());
      auto slots = static_cast<int>(product(leading(b, 2)));
      vjps.push_back(reshape(scatter_rows(per, rhs, slots, stream()), b.shape(), stream()));
    } else {
      throw std::invalid_argument("[gather_mm] Cannot calculate the VJP with respect to indices.");
    }
  }
  return vjps;
}

std::vector<array> GatherMM::jvp(const std::vector<array>& primals,
                                 const std::vector<array>& tangents,
                                 const std::vector<int>& argnums) {
  std::optional<array> out;
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] > 1) {
      throw std::invalid_argument("[gather_mm] Cannot calculate the JVP with respect to indices.");
    }
    auto term = argnums[i] == 0
                    ? gather_mm(tangents[i], primals[1], primals[2], primals[3], false, stream())
                    : gather_mm(primals[0], tangents[i], primals[2], primals[3], false, stream());
    out = out ? add(*out, term, stream()) : term;
  }
  return {*out};
}

// A batched operand gets the vmap axis in front, a batch dim of its own: its index array then
// points into batch element v's matrices by adding v times the matrices per element.
std::pair<std::vector<array>, std::vector<int>> GatherMM::vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes) {
  int size = 1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (axes[i] >= 0) size = inputs[i].shape(axes[i]);
  }
  std::vector<array> ops;
  std::vector<array> idx;
  for (int j = 0; j < 2; ++j) {
    auto x = inputs[j];
    auto index = move_batch_axis(inputs[j + 2], axes[j + 2], 0, stream());
    if (axes[j] >= 0) {
      x = move_batch_axis(x, axes[j], 0, stream());
      auto per = static_cast<uint32_t>(product(leading(x, 2)) / size);
      Shape offsets_shape(index.ndim(), 1);
      offsets_shape[0] = size;
      auto offsets = multiply(arange(0.0, size, uint32, stream()), array(per, uint32), stream());
      index = add(index, reshape(offsets, offsets_shape, stream()), stream());
    }
    ops.push_back(x);
    idx.push_back(index);
  }
  return {{gather_mm(ops[0], ops[1], idx[0], idx[1], false, stream())}, {0}};
}

// ---- segmented_mm ----

array segmented_mm(array a, array b, array segments, StreamOrDevice s) {
  auto stream = to_stream(s);
  if (a.ndim() != 2 || b.ndim() != 2) {
    std::ostringstream msg;
    msg << "[segmented_mm] Batched matmul not supported: the inputs must be matrices but got "
        << "shapes " << a.shape() << " and " << b.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  if (a.shape(1) != b.shape(0)) {
    std::ostringstream msg;
    msg << "[segmented_mm] Last dimension of first input with shape " << a.shape()
        << " must match second to last dimension of second input with shape " << b.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  if (segments.ndim() < 1 || segments.shape(-1) != 2) {
    std::ostringstream msg;
    msg << "[segmented_mm] The segments should have shape (..., 2) but " << segments.shape()
        << " was provided.";
    throw std::invalid_argument(msg.str());
  }
  auto dtype = inexact_type("segmented_mm", {a, b});
  if (!issubdtype(segments.dtype(), integer)) {
    std::ostringstream msg;
    msg << "[segmented_mm] Got segments with invalid dtype " << segments.dtype()
        << ". Segments must be integral.";
    throw std::invalid_argument(msg.str());
  }
  Shape out_shape = leading(segments, 1);
  out_shape.push_back(a.shape(0));
  out_shape.push_back(b.shape(1));
  return array(
      std::move(out_shape), dtype, std::make_shared<SegmentedMM>(stream),
      {astype(a, dtype, stream), astype(b, dtype, stream), astype(segments, uint32, stream)});
}

namespace {

// (S, K): whether column k of a (row k of b) is inside segment s.
array segment_mask(const array& segments, int k, Dtype dtype, Stream s) {
  auto count = static_cast<int>(segments.size() / 2);
  auto seg = reshape(segments, {count, 2}, s);
  auto start = slice(seg, Shape{0, 0}, Shape{count, 1}, s);
  auto end = slice(seg, Shape{0, 1}, Shape{count, 2}, s);
  auto pos = reshape(arange(0.0, k, uint32, s), {1, k}, s);
  return astype(logical_and(greater_equal(pos, start, s), less(pos, end, s), s), dtype, s);
}

}  // namespace

// Each segment's product restricted to its columns of a (rows of b): the full products masked,
// which keeps the rules in ops (grad of grad works) at S times the work of one product.
std::vector<array> SegmentedMM::vjp(const std::vector<array>& primals,
                                    const std::vector<array>& cotangents,
                                    const std::vector<int>& argnums, const std::vector<array>&) {
  auto& a = primals[0];
  auto& b = primals[1];
  int m = a.shape(0);
  int k = a.shape(1);
  int n = b.shape(1);
  auto mask = segment_mask(primals[2], k, a.dtype(), stream());
  int count = mask.shape(0);
  auto ct = reshape(cotangents[0], {count, m, n}, stream());
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg == 0) {
      auto full = matmul(ct, swap_last(b, stream()), stream());  // (S, M, K)
      vjps.push_back(
          sum(multiply(full, expand_dims(mask, 1, stream()), stream()), 0, false, stream()));
    } else if (arg == 1) {
      auto full = matmul(swap_last(a, stream()), ct, stream());  // (S, K, N)
      vjps.push_back(
          sum(multiply(full, expand_dims(mask, 2, stream()), stream()), 0, false, stream()));
    } else {
      throw std::invalid_argument(
          "[segmented_mm] Cannot calculate the VJP with respect to segments.");
    }
  }
  return vjps;
}

std::vector<array> SegmentedMM::jvp(const std::vector<array>& primals,
                                    const std::vector<array>& tangents,
                                    const std::vector<int>& argnums) {
  std::optional<array> out;
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] > 1) {
      throw std::invalid_argument(
          "[segmented_mm] Cannot calculate the JVP with respect to segments.");
    }
    auto term = argnums[i] == 0 ? segmented_mm(tangents[i], primals[1], primals[2], stream())
                                : segmented_mm(primals[0], tangents[i], primals[2], stream());
    out = out ? add(*out, term, stream()) : term;
  }
  return {*out};
}

// segmented_mm takes single matrices, so a batch is a loop over its elements.
std::pair<std::vector<array>, std::vector<int>> SegmentedMM::vmap(const std::vector<array>& inputs,
                                                                  const std::vector<int>& axes) {
  int size = 1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (axes[i] >= 0) size = inputs[i].shape(axes[i]);
  }
  std::vector<array> moved;
  for (size_t i = 0; i < inputs.size(); ++i) {
    moved.push_back(axes[i] >= 0 ? move_batch_axis(inputs[i], axes[i], 0, stream()) : inputs[i]);
  }
  std::vector<array> outs;
  for (int v = 0; v < size; ++v) {
    std::vector<array> in;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (axes[i] < 0) {
        in.push_back(moved[i]);
        continue;
      }
      Shape start(moved[i].ndim(), 0);
      Shape stop = moved[i].shape();
      start[0] = v;
      stop[0] = v + 1;
      in.push_back(squeeze(slice(moved[i], start, stop, stream()), 0, stream()));
    }
    outs.push_back(segmented_mm(in[0], in[1], in[2], stream()));
  }
  return {{stack(outs, 0, stream())}, {0}};
}

// ---- block_masked_mm ----

namespace {

// A block mask (..., rows / bs, cols / bs) applied to x (..., rows, cols): blocks with a false
// (bool) mask become zero (never multiplied, so inf and NaN there vanish as in MLX's kernels),
// float masks scale their blocks.
array apply_block_mask(const array& x, const array& mask, int block_size, Stream s) {
  int rows = x.shape(-2);
  int cols = x.shape(-1);
  auto full = repeat(repeat(mask, block_size, -2, s), block_size, -1, s);
  Shape start(full.ndim(), 0);
  Shape stop = full.shape();
  stop[stop.size() - 2] = rows;
  stop[stop.size() - 1] = cols;
  full = slice(full, start, stop, s);
  if (mask.dtype() == bool_) {
    return where(full, x, zeros({}, x.dtype(), s), s);
  }
  return multiply(x, astype(full, x.dtype(), s), s);
}

void check_mask(const char* which, const array& mask, int rows, int cols, int block_size) {
  int tr = (rows + block_size - 1) / block_size;
  int tc = (cols + block_size - 1) / block_size;
  if (mask.ndim() < 2 || mask.shape(-2) != tr || mask.shape(-1) != tc) {
    std::ostringstream msg;
    msg << "[block_masked_mm] " << which << " must have shape (..., " << tr << ", " << tc
        << ") for blocks of " << block_size << " but got shape " << mask.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  if (!issubdtype(mask.dtype(), floating) && mask.dtype() != bool_) {
    std::ostringstream msg;
    msg << "[block_masked_mm] " << which << " must be bool or a real floating type but got "
        << mask.dtype() << ".";
    throw std::invalid_argument(msg.str());
  }
}

}  // namespace

// Composed of ops: the masks expand to the operands' shapes (views plus one select or multiply
// each), then one matmul. The derivatives (float masks included) and vmap follow from the ops.
array block_masked_mm(array a, array b, int block_size, std::optional<array> mask_out,
                      std::optional<array> mask_lhs, std::optional<array> mask_rhs,
                      StreamOrDevice s) {
  if (!mask_out && !mask_lhs && !mask_rhs) {
    return matmul(a, b, s);
  }
  if (block_size != 32 && block_size != 64) {
    std::ostringstream msg;
    msg << "[block_masked_mm] Only block_sizes 32, 64 are supported. Got block size " << block_size
        << ".";
    throw std::invalid_argument(msg.str());
  }
  auto stream = to_stream(s);
  int a_ndim = static_cast<int>(a.ndim());
  int b_ndim = static_cast<int>(b.ndim());
  promote_vectors("block_masked_mm", a, b, stream);
  auto dtype = promote_types(a.dtype(), b.dtype());
  if (!issubdtype(dtype, floating)) {
    std::ostringstream msg;
    msg << "[block_masked_mm] Only real floating point types are supported but " << a.dtype()
        << " and " << b.dtype() << " were provided which results in " << dtype
        << ", which is not a real floating point type.";
    throw std::invalid_argument(msg.str());
  }
  broadcast_batch("block_masked_mm", a, b);
  int m = a.shape(-2);
  int k = a.shape(-1);
  int n = b.shape(-1);
  a = astype(a, dtype, stream);
  b = astype(b, dtype, stream);
  // Masks of vector operands get the added dim, as the operands did.
  if (mask_lhs) {
    auto mask = a_ndim == 1 ? expand_dims(*mask_lhs, -2, stream) : *mask_lhs;
    check_mask("mask_lhs", mask, m, k, block_size);
    a = apply_block_mask(a, mask, block_size, stream);
  }
  if (mask_rhs) {
    auto mask = b_ndim == 1 ? expand_dims(*mask_rhs, -1, stream) : *mask_rhs;
    check_mask("mask_rhs", mask, k, n, block_size);
    b = apply_block_mask(b, mask, block_size, stream);
  }
  auto out = matmul(a, b, stream);
  if (mask_out) {
    auto mask = *mask_out;
    if (a_ndim == 1) mask = expand_dims(mask, -2, stream);
    if (b_ndim == 1) mask = expand_dims(mask, -1, stream);
    check_mask("mask_out", mask, m, n, block_size);
    out = apply_block_mask(out, mask, block_size, stream);
  }
  return drop_vector_dims(out, a_ndim, b_ndim, stream);
}

// ---- tensordot, outer, inner, vecdot, kron ----

array tensordot(const array& a, const array& b, const int axis, StreamOrDevice s) {
  if (axis < 0) {
    std::ostringstream msg;
    msg << "[tensordot] axis must be greater or equal to 0 but got " << axis << ".";
    throw std::invalid_argument(msg.str());
  }
  if (axis > static_cast<int>(std::min(a.ndim(), b.ndim()))) {
    std::ostringstream msg;
    msg << "[tensordot] axis " << axis << " is more than the number of dimensions of a "
        << a.shape() << " or b " << b.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  std::vector<int> axes_a;
  std::vector<int> axes_b;
  for (int i = 0; i < axis; ++i) {
    axes_a.push_back(static_cast<int>(a.ndim()) - axis + i);
    axes_b.push_back(i);
  }
  return tensordot(a, b, axes_a, axes_b, s);
}

namespace {

// Normalised, distinct axes of x; `which` names the argument in messages.
std::vector<int> contracted_axes(const char* which, const array& x, const std::vector<int>& axes) {
  int ndim = static_cast<int>(x.ndim());
  std::vector<int> out;
  std::vector<bool> seen(ndim, false);
  for (int ax : axes) {
    int a = ax < 0 ? ax + ndim : ax;
    if (a < 0 || a >= ndim) {
      std::ostringstream msg;
      msg << "[tensordot] Invalid axis " << ax << " in " << which << " for an array with " << ndim
          << " dimensions.";
      throw std::invalid_argument(msg.str());
    }
    if (seen[a]) {
      std::ostringstream msg;
      msg << "[tensordot] Repeated axis " << ax << " in " << which << ".";
      throw std::invalid_argument(msg.str());
    }
    seen[a] = true;
    out.push_back(a);
  }
  return out;
}

}  // namespace

array tensordot(const array& a, const array& b, const std::vector<int>& axes_a,
                const std::vector<int>& axes_b, StreamOrDevice s) {
  if (axes_a.size() != axes_b.size()) {
    std::ostringstream msg;
    msg << "[tensordot] axes must have the same size but got " << axes_a.size() << " and "
        << axes_b.size() << " axes.";
    throw std::invalid_argument(msg.str());
  }
  auto ca = contracted_axes("axes_a", a, axes_a);
  auto cb = contracted_axes("axes_b", b, axes_b);
  int csize = 1;
  for (size_t i = 0; i < ca.size(); ++i) {
    if (a.shape(ca[i]) != b.shape(cb[i])) {
      std::ostringstream msg;
      msg << "[tensordot] a and b must have the same shape on the contracted axes but a "
          << a.shape() << " has " << a.shape(ca[i]) << " on axis " << ca[i] << " and b "
          << b.shape() << " has " << b.shape(cb[i]) << " on axis " << cb[i] << ".";
      throw std::invalid_argument(msg.str());
    }
    csize *= a.shape(ca[i]);
  }
  auto stream = to_stream(s);
  // a to (free_a, contracted), b to (contracted, free_b): one matrix product.
  std::vector<int> perm_a;
  std::vector<int> perm_b(cb);
  Shape out_shape;
  int rows = 1;
  int cols = 1;
  for (int i = 0; i < static_cast<int>(a.ndim()); ++i) {
    if (std::find(ca.begin(), ca.end(), i) == ca.end()) {
      perm_a.push_back(i);
      rows *= a.shape(i);
      out_shape.push_back(a.shape(i));
    }
  }
  perm_a.insert(perm_a.end(), ca.begin(), ca.end());
  for (int i = 0; i < static_cast<int>(b.ndim()); ++i) {
    if (std::find(cb.begin(), cb.end(), i) == cb.end()) {
      perm_b.push_back(i);
      cols *= b.shape(i);
      out_shape.push_back(b.shape(i));
    }
  }
  auto x = reshape(transpose(a, perm_a, stream), {rows, csize}, stream);
  auto y = reshape(transpose(b, perm_b, stream), {csize, cols}, stream);
  return reshape(matmul(x, y, stream), std::move(out_shape), stream);
}

array outer(const array& a, const array& b, StreamOrDevice s) {
  auto stream = to_stream(s);
  return multiply(reshape(a, {static_cast<int>(a.size()), 1}, stream), flatten(b, stream), stream);
}

array inner(const array& a, const array& b, StreamOrDevice s) {
  if (a.ndim() == 0 || b.ndim() == 0) {
    return multiply(a, b, s);
  }
  if (a.shape(-1) != b.shape(-1)) {
    std::ostringstream msg;
    msg << "[inner] a and b must have the same last dimension but got shapes " << a.shape()
        << " and " << b.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  return tensordot(a, b, std::vector<int>{-1}, std::vector<int>{-1}, s);
}

array vecdot(const array& a, const array& b, int axis, StreamOrDevice s) {
  auto stream = to_stream(s);
  Shape shape;
  try {
    shape = broadcast_shapes(a.shape(), b.shape());
  } catch (const std::invalid_argument&) {
    std::ostringstream msg;
    msg << "[vecdot] Inputs with shapes " << a.shape() << " and " << b.shape()
        << " cannot be broadcast.";
    throw std::invalid_argument(msg.str());
  }
  int ndim = static_cast<int>(shape.size());
  int ax = axis < 0 ? axis + ndim : axis;
  if (ax < 0 || ax >= ndim) {
    std::ostringstream msg;
    msg << "[vecdot] Invalid axis " << axis << " for inputs with broadcast shape " << shape << ".";
    throw std::invalid_argument(msg.str());
  }
  auto dtype = promote_types(a.dtype(), b.dtype());
  auto x = moveaxis(broadcast_to(astype(conjugate(a, stream), dtype, stream), shape, stream), ax,
                    -1, stream);
  auto y = moveaxis(broadcast_to(astype(b, dtype, stream), shape, stream), ax, -1, stream);
  if (issubdtype(dtype, inexact)) {
    // (..., 1, n) @ (..., n, 1): GEMM's accumulation, no product array.
    auto out = matmul(expand_dims(x, -2, stream), expand_dims(y, -1, stream), stream);
    return squeeze(out, {-2, -1}, stream);
  }
  return astype(sum(multiply(x, y, stream), -1, false, stream), dtype, stream);
}

array kron(const array& a, const array& b, StreamOrDevice s) {
  if (a.size() == 0 || b.size() == 0) {
    std::ostringstream msg;
    msg << "[kron] Input arrays cannot be empty but got shapes " << a.shape() << " and "
        << b.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  auto stream = to_stream(s);
  size_t ndim = std::max(a.ndim(), b.ndim());
  Shape as(ndim - a.ndim(), 1);
  as.insert(as.end(), a.shape().begin(), a.shape().end());
  Shape bs(ndim - b.ndim(), 1);
  bs.insert(bs.end(), b.shape().begin(), b.shape().end());
  // a as (a0, 1, a1, 1, ...) times b as (1, b0, 1, b1, ...), then each pair of dims merged.
  Shape ai;
  Shape bi;
  Shape out_shape;
  for (size_t i = 0; i < ndim; ++i) {
    ai.insert(ai.end(), {as[i], 1});
    bi.insert(bi.end(), {1, bs[i]});
    out_shape.push_back(as[i] * bs[i]);
  }
  return reshape(multiply(reshape(a, ai, stream), reshape(b, bi, stream), stream), out_shape,
                 stream);
}

// ---- hadamard_transform ----

int detail::hadamard_factor(int n) {
  for (int m : {1, 12, 20, 28}) {
    if (n % m == 0) {
      int rest = n / m;
      if ((rest & (rest - 1)) == 0) {
        return m;
      }
    }
  }
  return 0;
}

array hadamard_transform(const array& a, std::optional<float> scale, StreamOrDevice s) {
  if (a.size() == 0) {
    std::ostringstream msg;
    msg << "[hadamard_transform] Does not support empty arrays but got shape " << a.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  if (issubdtype(a.dtype(), complexfloating)) {
    throw std::invalid_argument(
        "[hadamard_transform] Only real inputs are supported but got complex64.");
  }
  auto stream = to_stream(s);
  int n = a.ndim() > 0 ? a.shape(-1) : 1;
  float factor = scale ? *scale : 1.0f / std::sqrt(static_cast<float>(n));
  auto dtype = issubdtype(a.dtype(), floating) ? a.dtype() : float32;
  if (n == 1) {
    return scaled(astype(a, dtype, stream), factor, stream);
  }
  if (detail::hadamard_factor(n) == 0) {
    std::ostringstream msg;
    msg << "[hadamard_transform] The last axis of shape " << a.shape()
        << " must have size m * 2^k with m in (1, 12, 20, 28).";
    throw std::invalid_argument(msg.str());
  }
  return array(a.shape(), dtype, std::make_shared<Hadamard>(stream, factor, false),
               {astype(a, dtype, stream)});
}

// The transform is linear: its vjp applies the transposed matrix.
std::vector<array> Hadamard::vjp(const std::vector<array>&, const std::vector<array>& cotangents,
                                 const std::vector<int>&, const std::vector<array>&) {
  auto& ct = cotangents[0];
  return {array(ct.shape(), ct.dtype(),
                std::make_shared<Hadamard>(stream(), scale(), !transposed()), {ct})};
}

std::vector<array> Hadamard::jvp(const std::vector<array>&, const std::vector<array>& tangents,
                                 const std::vector<int>&) {
  auto& t = tangents[0];
  return {array(t.shape(), t.dtype(), std::make_shared<Hadamard>(stream(), scale(), transposed()),
                {t})};
}

std::pair<std::vector<array>, std::vector<int>> Hadamard::vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes) {
  // Any axis but the last can stay where it is.
  auto x = inputs[0];
  int axis = axes[0];
  if (axis == static_cast<int>(x.ndim()) - 1) {
    x = move_batch_axis(x, axis, 0, stream());
    axis = 0;
  }
  return {{array(x.shape(), x.dtype(), std::make_shared<Hadamard>(stream(), scale(), transposed()),
                 {x})},
          {axis}};
}

}  // namespace mlx::core
