// Binary elementwise ops: one Binary primitive, one row per op.
#include <iterator>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

// How a row chooses its dtype from the promoted dtype of its operands.
enum class Promote {
  Same,          // the promoted dtype
  AtLeastFloat,  // integers and bools computed in float32 (MLX's at_least_float)
  Real,          // the promoted dtype; complex operands are rejected
  RealFloat,     // AtLeastFloat, and complex operands are rejected
  Bits,          // integers and bools only
  Shift,         // integers only; bools are shifted as uint8
};

struct BinaryRow {
  BinaryOp op;
  const char* name;     // the primitive's name
  const char* op_name;  // the user-facing op, for errors
  Promote promote;
  // The derivative, as a linear map of `d` (a cotangent or tangent of the output) into the
  // contribution of argument `arg`; elementwise Jacobians are diagonal, so vjp and jvp share it.
  // Written with ops, so it differentiates again.
  array (*derivative)(const array& a, const array& b, const array& out, const array& d, int arg,
                      Stream s);
};

// Piecewise constant ops (and the integer-only ones) have a zero derivative, as in MLX.
array zero_derivative(const array&, const array&, const array&, const array& d, int, Stream s) {
  return zeros_like(d, s);
}

constexpr BinaryRow kBinaryRows[] = {
    {BinaryOp::Add, "Add", "add", Promote::Same,
     [](const array&, const array&, const array&, const array& d, int, Stream) { return d; }},
    {BinaryOp::Subtract, "Subtract", "subtract", Promote::Same,
     [](const array&, const array&, const array&, const array& d, int arg, Stream s) {
       return arg == 0 ? d : negative(d, s);
     }},
    {BinaryOp::Multiply, "Multiply", "multiply", Promote::Same,
     [](const array& a, const array& b, const array&, const array& d, int arg, Stream s) {
       return multiply(d, arg == 0 ? b : a, s);
     }},
    {BinaryOp::Divide, "Divide", "divide", Promote::AtLeastFloat,
     [](const array&, const array& b, const array& out, const array& d, int arg, Stream s) {
       return arg == 0 ? divide(d, b, s) : negative(divide(multiply(d, out, s), b, s), s);
     }},
    // a - floor(a / b) * b.
    {BinaryOp::Remainder, "Remainder", "remainder", Promote::Real,
     [](const array& a, const array& b, const array&, const array& d, int arg, Stream s) {
       return arg == 0 ? d : negative(multiply(d, floor_divide(a, b, s), s), s);
     }},
    {BinaryOp::FloorDivide, "FloorDivide", "floor_divide", Promote::Real, zero_derivative},
    // The gradient goes to a where a > b and to b otherwise (ties included), as in MLX.
    {BinaryOp::Maximum, "Maximum", "maximum", Promote::Same,
     [](const array& a, const array& b, const array&, const array& d, int arg, Stream s) {
       return multiply(d, arg == 0 ? greater(a, b, s) : less_equal(a, b, s), s);
     }},
    {BinaryOp::Minimum, "Minimum", "minimum", Promote::Same,
     [](const array& a, const array& b, const array&, const array& d, int arg, Stream s) {
       return multiply(d, arg == 0 ? less(a, b, s) : greater_equal(a, b, s), s);
     }},
    // d/da = b a^(b-1); d/db = a^b log(a), taken as 0 where a^b is 0 (0 * log 0), as MLX does.
    {BinaryOp::Power, "Power", "power", Promote::Same,
     [](const array& a, const array& b, const array& out, const array& d, int arg, Stream s) {
       if (arg == 0) {
         return multiply(d, multiply(b, power(a, subtract(b, array(1, b.dtype()), s), s), s), s);
       }
       auto zero = zeros_like(out, s);
       auto dlog = where(not_equal(out, zero, s), multiply(out, log(a, s), s), zero, s);
       return multiply(d, dlog, s);
     }},
    // atan2(a, b) = atan(a / b): d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2).
    {BinaryOp::ArcTan2, "ArcTan2", "arctan2", Promote::RealFloat,
     [](const array& a, const array& b, const array&, const array& d, int arg, Stream s) {
       auto r2 = add(multiply(a, a, s), multiply(b, b, s), s);
       return arg == 0 ? divide(multiply(d, b, s), r2, s)
                       : negative(divide(multiply(d, a, s), r2, s), s);
     }},
    // d/da = exp(a) / (exp(a) + exp(b)) = exp(a - out).
    {BinaryOp::LogAddExp, "LogAddExp", "logaddexp", Promote::AtLeastFloat,
     [](const array& a, const array& b, const array& out, const array& d, int arg, Stream s) {
       return multiply(d, exp(subtract(arg == 0 ? a : b, out, s), s), s);
     }},
    {BinaryOp::BitwiseAnd, "BitwiseAnd", "bitwise_and", Promote::Bits, zero_derivative},
    {BinaryOp::BitwiseOr, "BitwiseOr", "bitwise_or", Promote::Bits, zero_derivative},
    {BinaryOp::BitwiseXor, "BitwiseXor", "bitwise_xor", Promote::Bits, zero_derivative},
    {BinaryOp::LeftShift, "LeftShift", "left_shift", Promote::Shift, zero_derivative},
    {BinaryOp::RightShift, "RightShift", "right_shift", Promote::Shift, zero_derivative},
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

// The dtype op computes in for operands a and b; throws where the row rejects them.
Dtype result_dtype(const BinaryRow& row, const array& a, const array& b) {
  auto dtype = promote_types(a.dtype(), b.dtype());
  auto reject = [&](const char* what) {
    std::ostringstream msg;
    msg << "[" << row.op_name << "] " << what << " but got operands of type " << a.dtype()
        << " and " << b.dtype() << ".";
    throw std::invalid_argument(msg.str());
  };
  switch (row.promote) {
    case Promote::Same:
      return dtype;
    case Promote::Real:
    case Promote::RealFloat:
      if (dtype == complex64) {
        reject("Complex operands are not supported,");
      }
      if (row.promote == Promote::Real) {
        return dtype;
      }
      [[fallthrough]];
    case Promote::AtLeastFloat:
      return issubdtype(dtype, inexact) ? dtype : float32;
    case Promote::Bits:
    case Promote::Shift:
      if (!issubdtype(dtype, integer) && dtype != bool_) {
        reject("Only integer and boolean operands are supported,");
      }
      return row.promote == Promote::Shift && dtype == bool_ ? uint8 : dtype;
  }
  return dtype;
}

std::vector<array> broadcast_operands(const BinaryRow& row, const array& a, const array& b,
                                      Dtype dtype, Stream s) {
  // The common case, without the shape vectors that broadcasting builds (per-op overhead).
  if (a.shape() == b.shape()) {
    std::vector<array> operands;
    operands.reserve(2);
    operands.push_back(astype(a, dtype, s));
    operands.push_back(astype(b, dtype, s));
    return operands;
  }
  try {
    broadcast_shapes(a.shape(), b.shape());
  } catch (const std::invalid_argument&) {
    std::ostringstream msg;
    msg << "[" << row.op_name << "] Shapes " << a.shape() << " and " << b.shape()
        << " cannot be broadcast.";
    throw std::invalid_argument(msg.str());
  }
  return broadcast_arrays({astype(a, dtype, s), astype(b, dtype, s)}, s);
}

array binary_op(const array& a, const array& b, BinaryOp op, StreamOrDevice s) {
  auto& row = row_of(op);
  auto dtype = result_dtype(row, a, b);
  auto stream = to_stream(s);
  auto inputs = broadcast_operands(row, a, b, dtype, stream);
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

// The quotient is piecewise constant; the remainder differentiates as remainder() does. (MLX
// gives zeros for the remainder too, which finite differences contradict.)
std::vector<array> DivMod::vjp(const std::vector<array>& primals,
                               const std::vector<array>& cotangents,
                               const std::vector<int>& argnums, const std::vector<array>& outputs) {
  auto& row = row_of(BinaryOp::Remainder);
  std::vector<array> vjps;
  for (int arg : argnums) {
    vjps.push_back(
        row.derivative(primals[0], primals[1], outputs[1], cotangents[1], arg, stream()));
  }
  return vjps;
}

std::vector<array> DivMod::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents,
                               const std::vector<int>& argnums) {
  auto& row = row_of(BinaryOp::Remainder);
  auto t = row.derivative(primals[0], primals[1], primals[0], tangents[0], argnums[0], stream());
  for (size_t i = 1; i < argnums.size(); ++i) {
    t = add(t,
            row.derivative(primals[0], primals[1], primals[0], tangents[i], argnums[i], stream()),
            stream());
  }
  return {zeros_like(primals[0], stream()), t};
}

std::pair<std::vector<array>, std::vector<int>> DivMod::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes) {
  auto in = batch_in_front(inputs, axes, stream());
  return {divmod(in[0], in[1], stream()), {0, 0}};
}

std::vector<array> divmod(const array& a, const array& b, StreamOrDevice s) {
  auto& row = row_of(BinaryOp::FloorDivide);
  auto dtype = result_dtype(row, a, b);
  auto stream = to_stream(s);
  auto inputs = broadcast_operands(row, a, b, dtype, stream);
  auto shape = inputs[0].shape();
  return array::make_arrays({shape, shape}, {dtype, dtype}, std::make_shared<DivMod>(stream),
                            std::move(inputs));
}

array floor_divide(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::FloorDivide, s);
}

array remainder(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::Remainder, s);
}
array operator%(const array& a, const array& b) { return remainder(a, b); }

array maximum(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::Maximum, s);
}

array minimum(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::Minimum, s);
}

array power(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::Power, s);
}

array arctan2(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::ArcTan2, s);
}

array logaddexp(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::LogAddExp, s);
}

array bitwise_and(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::BitwiseAnd, s);
}
array operator&(const array& a, const array& b) { return bitwise_and(a, b); }

array bitwise_or(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::BitwiseOr, s);
}
array operator|(const array& a, const array& b) { return bitwise_or(a, b); }

array bitwise_xor(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::BitwiseXor, s);
}
array operator^(const array& a, const array& b) { return bitwise_xor(a, b); }

array left_shift(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::LeftShift, s);
}
array operator<<(const array& a, const array& b) { return left_shift(a, b); }

array right_shift(const array& a, const array& b, StreamOrDevice s) {
  return binary_op(a, b, BinaryOp::RightShift, s);
}
array operator>>(const array& a, const array& b) { return right_shift(a, b); }

array clip(const array& a, const std::optional<array>& a_min, const std::optional<array>& a_max,
           StreamOrDevice s) {
  if (!a_min && !a_max) {
    throw std::invalid_argument("[clip] At least one of a_min and a_max must be given.");
  }
  auto out = a;
  if (a_min) {
    out = maximum(out, *a_min, s);
  }
  if (a_max) {
    out = minimum(out, *a_max, s);
  }
  return out;
}

}  // namespace mlx::core
