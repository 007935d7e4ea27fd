// Unary elementwise ops: one Unary primitive, one row per op.
#include <iterator>
#include <stdexcept>

#include "ops/ops.h"

namespace mlx::core {

namespace {

struct UnaryRow {
  UnaryOp op;
  const char* name;  // the primitive's name
  // The derivative as a linear map of `d` (a cotangent or tangent of the output); written with
  // ops, so it differentiates again.
  array (*derivative)(const array& x, const array& out, const array& d, Stream s);
};

constexpr UnaryRow kUnaryRows[] = {
    {UnaryOp::Negative, "Negative",
     [](const array&, const array&, const array& d, Stream s) { return negative(d, s); }},
    {UnaryOp::Exp, "Exp",
     [](const array&, const array& out, const array& d, Stream s) { return multiply(d, out, s); }},
    {UnaryOp::Log, "Log",
     [](const array& x, const array&, const array& d, Stream s) { return divide(d, x, s); }},
    {UnaryOp::Log1p, "Log1p",
     [](const array& x, const array&, const array& d, Stream s) {
       return divide(d, add(x, array(1, x.dtype()), s), s);
     }},
    {UnaryOp::Sqrt, "Sqrt",
     [](const array&, const array& out, const array& d, Stream s) {
       return divide(d, multiply(out, array(2, out.dtype()), s), s);
     }},
};

constexpr bool rows_follow_enum() {
  for (size_t i = 0; i < std::size(kUnaryRows); ++i) {
    if (static_cast<size_t>(kUnaryRows[i].op) != i) {
      return false;
    }
  }
  return true;
}
static_assert(rows_follow_enum(), "kUnaryRows must list the ops in UnaryOp's order");

const UnaryRow& row_of(UnaryOp op) { return kUnaryRows[static_cast<int>(op)]; }

// The op on `a` converted to `dtype`, giving `dtype`.
array unary_op(const array& a, UnaryOp op, Dtype dtype, StreamOrDevice s) {
  auto stream = to_stream(s);
  auto shape = a.shape();
  return array(std::move(shape), dtype, std::make_shared<Unary>(stream, op),
               {astype(a, dtype, stream)});
}

}  // namespace

const char* Unary::name() const { return row_of(op()).name; }

std::vector<array> Unary::vjp(const std::vector<array>& primals,
                              const std::vector<array>& cotangents, const std::vector<int>&,
                              const std::vector<array>& outputs) {
  return {row_of(op()).derivative(primals[0], outputs[0], cotangents[0], stream())};
}

std::vector<array> Unary::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                              const std::vector<int>&) {
  auto out = array(primals[0].shape(), primals[0].dtype(), std::make_shared<Unary>(stream(), op()),
                   {primals[0]});
  return {row_of(op()).derivative(primals[0], out, tangents[0], stream())};
}

std::pair<std::vector<array>, std::vector<int>> Unary::vmap(const std::vector<array>& inputs,
                                                            const std::vector<int>& axes) {
  return {{array(inputs[0].shape(), inputs[0].dtype(), std::make_shared<Unary>(stream(), op()),
                 {inputs[0]})},
          axes};
}

array negative(const array& a, StreamOrDevice s) {
  if (a.dtype() == bool_) {
    throw std::invalid_argument("[negative] The negative of a boolean array is not defined.");
  }
  return unary_op(a, UnaryOp::Negative, a.dtype(), s);
}
array operator-(const array& a) { return negative(a); }

namespace {
// Transcendental ops compute integers and bools in float32 (MLX's at_least_float).
Dtype at_least_float(Dtype d) { return issubdtype(d, inexact) ? d : float32; }
}  // namespace

array exp(const array& a, StreamOrDevice s) {
  return unary_op(a, UnaryOp::Exp, at_least_float(a.dtype()), s);
}
array log(const array& a, StreamOrDevice s) {
  return unary_op(a, UnaryOp::Log, at_least_float(a.dtype()), s);
}
array log1p(const array& a, StreamOrDevice s) {
  return unary_op(a, UnaryOp::Log1p, at_least_float(a.dtype()), s);
}
array sqrt(const array& a, StreamOrDevice s) {
  return unary_op(a, UnaryOp::Sqrt, at_least_float(a.dtype()), s);
}

}  // namespace mlx::core
