// Binary elementwise ops: one Binary primitive, one row per op.
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

struct BinaryRow {
  BinaryOp op;
  const char* name;     // the primitive's name
  const char* op_name;  // the user-facing op, for errors
};

constexpr BinaryRow kBinaryRows[] = {
    {BinaryOp::Add, "Add", "add"},
    {BinaryOp::Multiply, "Multiply", "multiply"},
};

array binary_op(const array& a, const array& b, BinaryOp op, StreamOrDevice s) {
  auto& row = kBinaryRows[static_cast<int>(op)];
  try {
    broadcast_shapes(a.shape(), b.shape());
  } catch (const std::invalid_argument&) {
    std::ostringstream msg;
    msg << "[" << row.op_name << "] Shapes " << a.shape() << " and " << b.shape()
        << " cannot be broadcast.";
    throw std::invalid_argument(msg.str());
  }
  auto dtype = promote_types(a.dtype(), b.dtype());
  auto stream = to_stream(s);
  auto inputs = broadcast_arrays({astype(a, dtype, stream), astype(b, dtype, stream)}, stream);
  auto shape = inputs[0].shape();
  return array(std::move(shape), dtype, std::make_shared<Binary>(stream, op), std::move(inputs));
}

}  // namespace

const char* Binary::name() const { return kBinaryRows[static_cast<int>(op())].name; }

array add(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::Add, s);
}
array operator+(const array& a, const array& b) { return add(a, b); }

array multiply(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::Multiply, s);
}
array operator*(const array& a, const array& b) { return multiply(a, b); }

}  // namespace mlx::core
