// Comparison, logical and selection ops: one Compare primitive (a row per op), one Predicate
// primitive for the tests of one input, IsClose, and Select (where). Comparisons, predicates
// and logical ops give bool outputs, which carry no gradient: their vjp and jvp are zeros.
#include <iterator>
#include <limits>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

struct CompareRow {
  CompareOp op;
  const char* name;     // the primitive's name
  const char* op_name;  // the user-facing op, for errors
  // Logical ops test their inputs against zero: the builder converts them to bool.
  bool logical;
};

constexpr CompareRow kCompareRows[] = {
    {CompareOp::Equal, "Equal", "equal", false},
    {CompareOp::NotEqual, "NotEqual", "not_equal", false},
    {CompareOp::Greater, "Greater", "greater", false},
    {CompareOp::GreaterEqual, "GreaterEqual", "greater_equal", false},
    {CompareOp::Less, "Less", "less", false},
    {CompareOp::LessEqual, "LessEqual", "less_equal", false},
    {CompareOp::NaNEqual, "NaNEqual", "array_equal", false},
    {CompareOp::LogicalAnd, "LogicalAnd", "logical_and", true},
    {CompareOp::LogicalOr, "LogicalOr", "logical_or", true},
    {CompareOp::LogicalXor, "LogicalXor", "logical_xor", true},
};

constexpr bool compare_rows_follow_enum() {
  for (size_t i = 0; i < std::size(kCompareRows); ++i) {
    if (static_cast<size_t>(kCompareRows[i].op) != i) {
      return false;
    }
  }
  return true;
}
static_assert(compare_rows_follow_enum(), "kCompareRows must list the ops in CompareOp's order");

const CompareRow& row_of(CompareOp op) { return kCompareRows[static_cast<int>(op)]; }

constexpr const char* kPredicateNames[] = {"IsNaN",    "IsInf",    "IsPosInf",
                                           "IsNegInf", "IsFinite", "LogicalNot"};
static_assert(std::size(kPredicateNames) == static_cast<size_t>(PredicateOp::LogicalNot) + 1);

// The broadcast shape of the inputs, or an error naming the op and every shape.
Shape broadcast_or_throw(const std::vector<array>& inputs, const char* op_name) {
  try {
    Shape shape = inputs[0].shape();
    for (size_t i = 1; i < inputs.size(); ++i) {
      shape = broadcast_shapes(shape, inputs[i].shape());
    }
    return shape;
  } catch (const std::invalid_argument&) {
    std::ostringstream msg;
    msg << "[" << op_name << "] Shapes ";
    for (size_t i = 0; i < inputs.size(); ++i) {
      msg << (i == 0 ? "" : i + 1 == inputs.size() ? " and " : ", ") << inputs[i].shape();
    }
    msg << " cannot be broadcast.";
    throw std::invalid_argument(msg.str());
  }
}

// The inputs converted to dtype and broadcast together.
std::vector<array> promoted(const array& a, const array& b, Dtype dtype, Stream s) {
  return broadcast_arrays({astype(a, dtype, s), astype(b, dtype, s)}, s);
}

array compare_op(const array& a, const array& b, CompareOp op, StreamOrDevice s) {
  auto& row = row_of(op);
  auto shape = broadcast_or_throw({a, b}, row.op_name);
  auto dtype = row.logical ? bool_ : promote_types(a.dtype(), b.dtype());
  auto stream = to_stream(s);
  return array(std::move(shape), bool_, std::make_shared<Compare>(stream, op),
               promoted(a, b, dtype, stream));
}

array predicate_op(const array& a, PredicateOp op, StreamOrDevice s) {
  auto shape = a.shape();
  return array(std::move(shape), bool_, std::make_shared<Predicate>(to_stream(s), op), {a});
}

// Zero cotangents for the inputs of a bool-valued op.
std::vector<array> no_vjp(const std::vector<array>& primals, const std::vector<int>& argnums,
                          Stream s) {
  std::vector<array> vjps;
  for (int arg : argnums) {
    vjps.push_back(zeros_like(primals[arg], s));
  }
  return vjps;
}

array no_jvp(const array& like, Stream s) { return zeros(like.shape(), bool_, s); }

// The largest finite value of a floating dtype (of float32 for complex64).
double finite_max(Dtype dtype) {
  switch (dtype) {
    case Dtype::Val::float16:
      return static_cast<double>(std::numeric_limits<float16_t>::max());
    case Dtype::Val::bfloat16:
      return static_cast<double>(std::numeric_limits<bfloat16_t>::max());
    case Dtype::Val::float64:
      return std::numeric_limits<double>::max();
    default:
      return std::numeric_limits<float>::max();
  }
}

}  // namespace

// ---- primitives ----

const char* Compare::name() const { return row_of(op()).name; }

std::vector<array> Compare::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                const std::vector<int>& argnums, const std::vector<array>&) {
  return no_vjp(primals, argnums, stream());
}

std::vector<array> Compare::jvp(const std::vector<array>& primals, const std::vector<array>&,
                                const std::vector<int>&) {
  return {no_jvp(primals[0], stream())};
}

std::pair<std::vector<array>, std::vector<int>> Compare::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes) {
  auto in = batch_in_front(inputs, axes, stream());
  return {{compare_op(in[0], in[1], op(), stream())}, {0}};
}

const char* Predicate::name() const { return kPredicateNames[static_cast<int>(op())]; }

std::vector<array> Predicate::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                  const std::vector<int>& argnums, const std::vector<array>&) {
  return no_vjp(primals, argnums, stream());
}

std::vector<array> Predicate::jvp(const std::vector<array>& primals, const std::vector<array>&,
                                  const std::vector<int>&) {
  return {no_jvp(primals[0], stream())};
}

std::pair<std::vector<array>, std::vector<int>> Predicate::vmap(const std::vector<array>& inputs,
                                                                const std::vector<int>& axes) {
  return {{predicate_op(inputs[0], op(), stream())}, axes};
}

std::vector<array> IsClose::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                const std::vector<int>& argnums, const std::vector<array>&) {
  return no_vjp(primals, argnums, stream());
}

std::vector<array> IsClose::jvp(const std::vector<array>& primals, const std::vector<array>&,
                                const std::vector<int>&) {
  return {no_jvp(primals[0], stream())};
}

std::pair<std::vector<array>, std::vector<int>> IsClose::vmap(const std::vector<array>& inputs,
                                                              const std::vector<int>& axes) {
  auto in = batch_in_front(inputs, axes, stream());
  return {{isclose(in[0], in[1], rtol(), atol(), equal_nan(), stream())}, {0}};
}

// The cotangent goes to x where the condition holds and to y elsewhere; the condition has none.
std::vector<array> Select::vjp(const std::vector<array>& primals,
                               const std::vector<array>& cotangents,
                               const std::vector<int>& argnums, const std::vector<array>&) {
  auto& g = cotangents[0];
  auto zero = array(0, g.dtype());
  std::vector<array> vjps;
  for (int arg : argnums) {
    if (arg == 0) {
      vjps.push_back(zeros_like(primals[0], stream()));
    } else if (arg == 1) {
      vjps.push_back(where(primals[0], g, zero, stream()));
    } else {
      vjps.push_back(where(primals[0], zero, g, stream()));
    }
  }
  return vjps;
}

std::vector<array> Select::jvp(const std::vector<array>& primals,
                               const std::vector<array>& tangents,
                               const std::vector<int>& argnums) {
  auto zero = array(0, primals[1].dtype());
  array tx = zero;
  array ty = zero;
  for (size_t i = 0; i < argnums.size(); ++i) {
    if (argnums[i] == 1) {
      tx = tangents[i];
    } else if (argnums[i] == 2) {
      ty = tangents[i];
    }
  }
  return {where(primals[0], tx, ty, stream())};
}

std::pair<std::vector<array>, std::vector<int>> Select::vmap(const std::vector<array>& inputs,
                                                             const std::vector<int>& axes) {
  auto in = batch_in_front(inputs, axes, stream());
  return {{where(in[0], in[1], in[2], stream())}, {0}};
}

// Replaced values are constants: only the finite elements pass a derivative on.
std::vector<array> NanToNum::vjp(const std::vector<array>& primals,
                                 const std::vector<array>& cotangents, const std::vector<int>&,
                                 const std::vector<array>&) {
  auto& g = cotangents[0];
  return {where(isfinite(primals[0], stream()), g, array(0, g.dtype()), stream())};
}

std::vector<array> NanToNum::jvp(const std::vector<array>& primals,
                                 const std::vector<array>& tangents, const std::vector<int>&) {
  auto& t = tangents[0];
  return {where(isfinite(primals[0], stream()), t, array(0, t.dtype()), stream())};
}

std::pair<std::vector<array>, std::vector<int>> NanToNum::vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes) {
  auto shape = inputs[0].shape();
  return {{array(std::move(shape), inputs[0].dtype(),
                 std::make_shared<NanToNum>(stream(), nan(), posinf(), neginf()), {inputs[0]})},
          axes};
}

// ---- comparisons ----

array equal(const array& a, const array& b, StreamOrDevice s) {
  return compare_op(a, b, CompareOp::Equal, s);
}
array operator==(const array& a, const array& b) { return equal(a, b); }

array not_equal(const array& a, const array& b, StreamOrDevice s) {
  return compare_op(a, b, CompareOp::NotEqual, s);
}
array operator!=(const array& a, const array& b) { return not_equal(a, b); }

array greater(const array& a, const array& b, StreamOrDevice s) {
  return compare_op(a, b, CompareOp::Greater, s);
}
array operator>(const array& a, const array& b) { return greater(a, b); }

array greater_equal(const array& a, const array& b, StreamOrDevice s) {
  return compare_op(a, b, CompareOp::GreaterEqual, s);
}
array operator>=(const array& a, const array& b) { return greater_equal(a, b); }

array less(const array& a, const array& b, StreamOrDevice s) {
  return compare_op(a, b, CompareOp::Less, s);
}
array operator<(const array& a, const array& b) { return less(a, b); }

array less_equal(const array& a, const array& b, StreamOrDevice s) {
  return compare_op(a, b, CompareOp::LessEqual, s);
}
array operator<=(const array& a, const array& b) { return less_equal(a, b); }

array array_equal(const array& a, const array& b, bool equal_nan, StreamOrDevice s) {
  if (a.shape() != b.shape()) {
    return array(false);
  }
  equal_nan = equal_nan && issubdtype(promote_types(a.dtype(), b.dtype()), inexact);
  return all(compare_op(a, b, equal_nan ? CompareOp::NaNEqual : CompareOp::Equal, s), false, s);
}

// ---- predicates ----

// Integers and bools are never NaN or infinite: those results are constants.
array isnan(const array& a, StreamOrDevice s) {
  if (!issubdtype(a.dtype(), inexact)) {
    return full(a.shape(), false, bool_, s);
  }
  return predicate_op(a, PredicateOp::IsNaN, s);
}

array isinf(const array& a, StreamOrDevice s) {
  if (!issubdtype(a.dtype(), inexact)) {
    return full(a.shape(), false, bool_, s);
  }
  return predicate_op(a, PredicateOp::IsInf, s);
}

array isposinf(const array& a, StreamOrDevice s) {
  if (!issubdtype(a.dtype(), inexact)) {
    return full(a.shape(), false, bool_, s);
  }
  return predicate_op(a, PredicateOp::IsPosInf, s);
}

array isneginf(const array& a, StreamOrDevice s) {
  if (!issubdtype(a.dtype(), inexact)) {
    return full(a.shape(), false, bool_, s);
  }
  return predicate_op(a, PredicateOp::IsNegInf, s);
}

array isfinite(const array& a, StreamOrDevice s) {
  if (!issubdtype(a.dtype(), inexact)) {
    return full(a.shape(), true, bool_, s);
  }
  return predicate_op(a, PredicateOp::IsFinite, s);
}

array isclose(const array& a, const array& b, double rtol, double atol, bool equal_nan,
              StreamOrDevice s) {
  auto shape = broadcast_or_throw({a, b}, "isclose");
  auto stream = to_stream(s);
  return array(std::move(shape), bool_, std::make_shared<IsClose>(stream, rtol, atol, equal_nan),
               promoted(a, b, promote_types(a.dtype(), b.dtype()), stream));
}

array allclose(const array& a, const array& b, double rtol, double atol, bool equal_nan,
               StreamOrDevice s) {
  return all(isclose(a, b, rtol, atol, equal_nan, s), false, s);
}

// ---- logical ----

// Tests its input against zero itself, so no conversion to bool comes first.
array logical_not(const array& a, StreamOrDevice s) {
  return predicate_op(a, PredicateOp::LogicalNot, s);
}

array logical_and(const array& a, const array& b, StreamOrDevice s) {
  return compare_op(a, b, CompareOp::LogicalAnd, s);
}
array operator&&(const array& a, const array& b) { return logical_and(a, b); }

array logical_or(const array& a, const array& b, StreamOrDevice s) {
  return compare_op(a, b, CompareOp::LogicalOr, s);
}
array operator||(const array& a, const array& b) { return logical_or(a, b); }

array logical_xor(const array& a, const array& b, StreamOrDevice s) {
  return compare_op(a, b, CompareOp::LogicalXor, s);
}

// ---- selection ----

array where(const array& condition, const array& x, const array& y, StreamOrDevice s) {
  auto shape = broadcast_or_throw({condition, x, y}, "where");
  auto dtype = promote_types(x.dtype(), y.dtype());
  auto stream = to_stream(s);
  auto inputs = broadcast_arrays(
      {astype(condition, bool_, stream), astype(x, dtype, stream), astype(y, dtype, stream)},
      stream);
  return array(std::move(shape), dtype, std::make_shared<Select>(stream), std::move(inputs));
}

// As NumPy, the replacements for infinities default to the dtype's own finite extremes (MLX
// uses float32's for float64). Complex values are replaced whole, as in MLX.
array nan_to_num(const array& a, float nan, const std::optional<float> posinf,
                 const std::optional<float> neginf, StreamOrDevice s) {
  auto dtype = a.dtype();
  if (!issubdtype(dtype, inexact)) {
    return a;
  }
  auto max = finite_max(dtype);
  auto shape = a.shape();
  return array(std::move(shape), dtype,
               std::make_shared<NanToNum>(to_stream(s), nan, posinf ? *posinf : max,
                                          neginf ? *neginf : -max),
               {a});
}

array tril(array x, int k, StreamOrDevice s) {
  if (x.ndim() < 2) {
    std::ostringstream msg;
    msg << "[tril] The array must have at least 2 dimensions, got shape " << x.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  auto mask = tri(x.shape(-2), x.shape(-1), k, bool_, s);
  return where(mask, x, array(0, x.dtype()), s);
}

array triu(array x, int k, StreamOrDevice s) {
  if (x.ndim() < 2) {
    std::ostringstream msg;
    msg << "[triu] The array must have at least 2 dimensions, got shape " << x.shape() << ".";
    throw std::invalid_argument(msg.str());
  }
  auto mask = tri(x.shape(-2), x.shape(-1), k - 1, bool_, s);
  return where(mask, array(0, x.dtype()), x, s);
}

}  // namespace mlx::core
