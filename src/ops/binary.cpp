// Binary elementwise ops: one Binary primitive, one row per op.
#include <iterator>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

struct BinaryRow {
  BinaryOp op;
  const char* name;     // the primitive's name
  const char* op_name;  // the user-facing op, for errors
  // True division: integer and bool operands are computed in float32 (at_least_float).
  bool inexact;
  // The derivative, as a linear map of `d` (a cotangent or tangent of the output) into the
  // contribution of argument `arg`; elementwise Jacobians are diagonal, so vjp and jvp share it.
  // Written with ops, so it differentiates again.
  array (*derivative)(const array& a, const array& b, const array& out, const array& d, int arg,
                      Stream s);
};

constexpr BinaryRow kBinaryRows[] = {
    {BinaryOp::Add, "Add", "add", false,
     [](const array&, const array&, const array&, const array& d, int, Stream) { return d; }},
    {BinaryOp::Subtract, "Subtract", "subtract", false,
     [](const array&, const array&, const array&, const array& d, int arg, Stream s) {
       return arg == 0 ? d : negative(d, s);
     }},
    {BinaryOp::Multiply, "Multiply", "multiply", false,
     [](const array& a, const array& b, const array&, const array& d, int arg, Stream s) {
       return multiply(d, arg == 0 ? b : a, s);
     }},
    {BinaryOp::Divide, "Divide", "divide", true,
     [](const array&, const array& b, const array& out, const array& d, int arg, Stream s) {
       return arg == 0 ? divide(d, b, s) : negative(divide(multiply(d, out, s), b, s), s);
     }},
};

constexpr bool rows_follow_enum() {
  for (size_t i = 0; i < std::size(kBinaryRows); ++i) {
    if (static_cast<size_t>(kBinaryRows[i].op) != i) {
      return false;
    }
  }
  return true;
}
static_assert(rows_follow_enum(), "kBinaryRows must list the ops in BinaryOp's order");

const BinaryRow& row_of(BinaryOp op) { return kBinaryRows[static_cast<int>(op)]; }

array binary_op(const array& a, const array& b, BinaryOp op, StreamOrDevice s) {
  auto& row = row_of(op);
  try {
    broadcast_shapes(a.shape(), b.shape());
  } catch (const std::invalid_argument&) {
    std::ostringstream msg;
    msg << "[" << row.op_name << "] Shapes " << a.shape() << " and " << b.shape()
        << " cannot be broadcast.";
    throw std::invalid_argument(msg.str());
  }
  auto dtype = promote_types(a.dtype(), b.dtype());
  if (row.inexact && !issubdtype(dtype, inexact)) {
    dtype = float32;
  }
  auto stream = to_stream(s);
  auto inputs = broadcast_arrays({astype(a, dtype, stream), astype(b, dtype, stream)}, stream);
  auto shape = inputs[0].shape();
  return array(std::move(shape), dtype, std::make_shared<Binary>(stream, op), std::move(inputs));
}

}  // namespace

const char* Binary::name() const { return row_of(op()).name; }

std::vector<array> Binary::vjp(const std::vector<array>& primals,
                               const std::vector<array>& cotangents,
                               const std::vector<int>& argnums, const std::vector<array>& outputs) {
  auto& row = row_of(op());
  std::vector<array> vjps;
  for (int arg : argnums) {
    vjps.push_back(
        row.derivative(primals[0], primals[1], outputs[0], cotangents[0], arg, stream()));
  }
  return vjps;
}

std::vector<array> Binary::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents,
                               const std::vector<int>& argnums) {
  auto& row = row_of(op());
  auto out = binary_op(primals[0], primals[1], op(), stream());
  auto t = row.derivative(primals[0], primals[1], out, tangents[0], argnums[0], stream());
  for (size_t i = 1; i < argnums.size(); ++i) {
    t = add(t, row.derivative(primals[0], primals[1], out, tangents[i], argnums[i], stream()),
            stream());
  }
  return {t};
}

std::pair<std::vector<array>, std::vector<int>> Binary::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes) {
  auto in = batch_in_front(inputs, axes, stream());
  return {{binary_op(in[0], in[1], op(), stream())}, {0}};
}

array add(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::Add, s);
}
array operator+(const array& a, const array& b) { return add(a, b); }

array subtract(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::Subtract, s);
}
array operator-(const array& a, const array& b) { return subtract(a, b); }

array multiply(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::Multiply, s);
}
array operator*(const array& a, const array& b) { return multiply(a, b); }

array divide(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::Divide, s);
}
array operator/(const array& a, const array& b) { return divide(a, b); }
array operator/(double a, const array& b) { return divide(array(a), b); }
array operator/(const array& a, double b) { return divide(a, array(b)); }

}  // namespace mlx::core
