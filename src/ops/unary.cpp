// Unary elementwise ops: one Unary primitive, one row per op.
#include <cmath>
#include <iterator>
#include <numbers>
#include <sstream>
#include <stdexcept>
#include <string>

#include "ops/ops.h"

namespace mlx::core {

namespace {

using Derivative = array (*)(const array& x, const array& out, const array& d, Stream s);

struct UnaryRow {
  UnaryOp op;
  const char* name;  // the primitive's name
  // The derivative as a linear map of `d` (a tangent of the input for jvp, a cotangent of the
  // output for vjp); written with ops, so it differentiates again.
  Derivative derivative;
  // The vjp where it is not the same map as the jvp (the complex-to-real rows); else nullptr.
  Derivative transpose = nullptr;
};

// A constant of x's dtype.
array cst(double v, const array& x) { return array(v, x.dtype()); }

array zero_derivative(const array& x, const array&, const array&, Stream s) {
  return zeros_like(x, s);
}

// d / sqrt(1 - x^2), the derivative of arcsin.
array over_sqrt_one_minus_square(const array& x, const array& d, Stream s) {
  return multiply(d, rsqrt(subtract(cst(1, x), square(x, s), s), s), s);
}

constexpr UnaryRow kUnaryRows[] = {
    {UnaryOp::Negative, "Negative",
     [](const array&, const array&, const array& d, Stream s) { return negative(d, s); }},
    {UnaryOp::Exp, "Exp",
     [](const array&, const array& out, const array& d, Stream s) { return multiply(d, out, s); }},
    {UnaryOp::Log, "Log",
     [](const array& x, const array&, const array& d, Stream s) { return divide(d, x, s); }},
    {UnaryOp::Log1p, "Log1p",
     [](const array& x, const array&, const array& d, Stream s) {
       return divide(d, add(x, cst(1, x), s), s);
     }},
    {UnaryOp::Sqrt, "Sqrt",
     [](const array&, const array& out, const array& d, Stream s) {
       return divide(d, multiply(out, cst(2, out), s), s);
     }},
    {UnaryOp::Abs, "Abs",
     [](const array& x, const array&, const array& d, Stream s) {
       return multiply(d, sign(x, s), s);
     }},
    {UnaryOp::Sign, "Sign", zero_derivative},
    {UnaryOp::Reciprocal, "Reciprocal",
     [](const array&, const array& out, const array& d, Stream s) {
       return negative(multiply(d, square(out, s), s), s);
     }},
    {UnaryOp::Floor, "Floor", zero_derivative},
    {UnaryOp::Ceil, "Ceil", zero_derivative},
    {UnaryOp::Trunc, "Trunc", zero_derivative},
    {UnaryOp::Round, "Round", zero_derivative},
    {UnaryOp::Square, "Square",
     [](const array& x, const array&, const array& d, Stream s) {
       return multiply(d, multiply(x, cst(2, x), s), s);
     }},
    {UnaryOp::Rsqrt, "Rsqrt",
     // d(x^-1/2) = -x^-1/2 / (2x)
     [](const array& x, const array& out, const array& d, Stream s) {
       return multiply(d, divide(out, multiply(x, cst(-2, x), s), s), s);
     }},
    {UnaryOp::Expm1, "Expm1",
     [](const array& x, const array&, const array& d, Stream s) {
       return multiply(d, exp(x, s), s);
     }},
    {UnaryOp::Log2, "Log2",
     [](const array& x, const array&, const array& d, Stream s) {
       return divide(d, multiply(x, cst(std::numbers::ln2, x), s), s);
     }},
    {UnaryOp::Log10, "Log10",
     [](const array& x, const array&, const array& d, Stream s) {
       return divide(d, multiply(x, cst(std::numbers::ln10, x), s), s);
     }},
    {UnaryOp::Sin, "Sin",
     [](const array& x, const array&, const array& d, Stream s) {
       return multiply(d, cos(x, s), s);
     }},
    {UnaryOp::Cos, "Cos",
     [](const array& x, const array&, const array& d, Stream s) {
       return negative(multiply(d, sin(x, s), s), s);
     }},
    {UnaryOp::Tan, "Tan",
     [](const array& x, const array&, const array& d, Stream s) {
       return divide(d, square(cos(x, s), s), s);
     }},
    {UnaryOp::ArcSin, "ArcSin",
     [](const array& x, const array&, const array& d, Stream s) {
       return over_sqrt_one_minus_square(x, d, s);
     }},
    {UnaryOp::ArcCos, "ArcCos",
     [](const array& x, const array&, const array& d, Stream s) {
       return negative(over_sqrt_one_minus_square(x, d, s), s);
     }},
    {UnaryOp::ArcTan, "ArcTan",
     [](const array& x, const array&, const array& d, Stream s) {
       return divide(d, add(cst(1, x), square(x, s), s), s);
     }},
    {UnaryOp::Sinh, "Sinh",
     [](const array& x, const array&, const array& d, Stream s) {
       return multiply(d, cosh(x, s), s);
     }},
    {UnaryOp::Cosh, "Cosh",
     [](const array& x, const array&, const array& d, Stream s) {
       return multiply(d, sinh(x, s), s);
     }},
    {UnaryOp::Tanh, "Tanh",
     [](const array&, const array& out, const array& d, Stream s) {
       return multiply(d, subtract(cst(1, out), square(out, s), s), s);
     }},
    {UnaryOp::ArcSinh, "ArcSinh",
     [](const array& x, const array&, const array& d, Stream s) {
       return multiply(d, rsqrt(add(square(x, s), cst(1, x), s), s), s);
     }},
    {UnaryOp::ArcCosh, "ArcCosh",
     [](const array& x, const array&, const array& d, Stream s) {
       return multiply(d, rsqrt(subtract(square(x, s), cst(1, x), s), s), s);
     }},
    {UnaryOp::ArcTanh, "ArcTanh",
     [](const array& x, const array&, const array& d, Stream s) {
       return divide(d, subtract(cst(1, x), square(x, s), s), s);
     }},
    {UnaryOp::Degrees, "Degrees",
     [](const array& x, const array&, const array& d, Stream s) {
       return multiply(d, cst(180 / std::numbers::pi, x), s);
     }},
    {UnaryOp::Radians, "Radians",
     [](const array& x, const array&, const array& d, Stream s) {
       return multiply(d, cst(std::numbers::pi / 180, x), s);
     }},
    {UnaryOp::Sigmoid, "Sigmoid",
     [](const array&, const array& out, const array& d, Stream s) {
       return multiply(d, multiply(out, subtract(cst(1, out), out, s), s), s);
     }},
    {UnaryOp::Erf, "Erf",
     // 2/sqrt(pi) exp(-x^2)
     [](const array& x, const array&, const array& d, Stream s) {
       auto scale = cst(2 * std::numbers::inv_sqrtpi, x);
       return multiply(d, multiply(scale, exp(negative(square(x, s), s), s), s), s);
     }},
    {UnaryOp::ErfInv, "ErfInv",
     // sqrt(pi)/2 exp(erfinv(x)^2)
     [](const array&, const array& out, const array& d, Stream s) {
       auto scale = cst(0.5 / std::numbers::inv_sqrtpi, out);
       return multiply(d, multiply(scale, exp(square(out, s), s), s), s);
     }},
    {UnaryOp::Conjugate, "Conjugate",
     [](const array&, const array&, const array& d, Stream s) { return conjugate(d, s); }},
    {UnaryOp::Real, "Real",
     [](const array&, const array&, const array& d, Stream s) { return real(d, s); },
     [](const array&, const array&, const array& d, Stream s) { return astype(d, complex64, s); }},
    {UnaryOp::Imag, "Imag",
     [](const array&, const array&, const array& d, Stream s) { return imag(d, s); },
     // As MLX: the cotangent times -i.
     [](const array&, const array&, const array& d, Stream s) {
       return multiply(array(complex64_t{0.0f, -1.0f}), astype(d, complex64, s), s);
     }},
    {UnaryOp::BitwiseInvert, "BitwiseInvert", zero_derivative},
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

// The magnitude and the parts of a complex number are real.
Dtype output_dtype(UnaryOp op, Dtype in) {
  if (in == complex64 && (op == UnaryOp::Abs || op == UnaryOp::Real || op == UnaryOp::Imag)) {
    return float32;
  }
  return in;
}

array make_unary(const array& a, UnaryOp op, Stream s) {
  return array(a.shape(), output_dtype(op, a.dtype()), std::make_shared<Unary>(s, op), {a});
}

// The op on `a` converted to `dtype`.
array unary_op(const array& a, UnaryOp op, Dtype dtype, StreamOrDevice s) {
  auto stream = to_stream(s);
  return make_unary(astype(a, dtype, stream), op, stream);
}

std::string dtype_name(Dtype d) {
  std::ostringstream os;
  os << d;
  return os.str();
}

void reject_complex(const char* name, const array& a) {
  if (a.dtype() == complex64) {
    throw std::invalid_argument(std::string("[") + name + "] Not supported for complex64.");
  }
}

// Transcendental ops compute integers and bools in float32 (MLX's at_least_float).
Dtype at_least_float(Dtype d) { return issubdtype(d, inexact) ? d : float32; }

array float_op(const array& a, UnaryOp op, StreamOrDevice s) {
  return unary_op(a, op, at_least_float(a.dtype()), s);
}

// floor, ceil, trunc and round of integers and bools are the identity.
array rounding_op(const char* name, const array& a, UnaryOp op, StreamOrDevice s) {
  reject_complex(name, a);
  return issubdtype(a.dtype(), floating) ? unary_op(a, op, a.dtype(), s) : a;
}

}  // namespace

const char* Unary::name() const { return row_of(op()).name; }

std::vector<array> Unary::vjp(const std::vector<array>& primals,
                              const std::vector<array>& cotangents, const std::vector<int>&,
                              const std::vector<array>& outputs) {
  const auto& row = row_of(op());
  auto rule = row.transpose ? row.transpose : row.derivative;
  return {rule(primals[0], outputs[0], cotangents[0], stream())};
}

std::vector<array> Unary::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                              const std::vector<int>&) {
  auto out = make_unary(primals[0], op(), stream());
  return {row_of(op()).derivative(primals[0], out, tangents[0], stream())};
}

std::pair<std::vector<array>, std::vector<int>> Unary::vmap(const std::vector<array>& inputs,
                                                            const std::vector<int>& axes) {
  return {{make_unary(inputs[0], op(), stream())}, axes};
}

array negative(const array& a, StreamOrDevice s) {
  if (a.dtype() == bool_) {
    throw std::invalid_argument("[negative] The negative of a boolean array is not defined.");
  }
  return unary_op(a, UnaryOp::Negative, a.dtype(), s);
}
array operator-(const array& a) { return negative(a); }

array exp(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Exp, s); }
array log(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Log, s); }
array log1p(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Log1p, s); }
array sqrt(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Sqrt, s); }

array abs(const array& a, StreamOrDevice s) {
  if (a.dtype() == bool_ || issubdtype(a.dtype(), unsignedinteger)) {
    return a;
  }
  return unary_op(a, UnaryOp::Abs, a.dtype(), s);
}

// Arrays are immutable, so the array itself serves.
array positive(const array& a, StreamOrDevice) { return a; }

array sign(const array& a, StreamOrDevice s) {
  if (a.dtype() == bool_) {
    return a;
  }
  return unary_op(a, UnaryOp::Sign, a.dtype(), s);
}

array reciprocal(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Reciprocal, s); }

array floor(const array& a, StreamOrDevice s) { return rounding_op("floor", a, UnaryOp::Floor, s); }
array ceil(const array& a, StreamOrDevice s) { return rounding_op("ceil", a, UnaryOp::Ceil, s); }
array trunc(const array& a, StreamOrDevice s) { return rounding_op("trunc", a, UnaryOp::Trunc, s); }

// Like NumPy: scaled by a power of ten that is exact where it can be (dividing by 10^-decimals
// rather than multiplying by its inexact reciprocal), rounded half to even, scaled back.
// Integers round only to negative decimals, computed in float32 as MLX does, then converted back.
array round(const array& a, int decimals, StreamOrDevice s) {
  reject_complex("round", a);
  if (decimals == 0) {
    return rounding_op("round", a, UnaryOp::Round, s);
  }
  if (!issubdtype(a.dtype(), floating) && decimals > 0) {
    return a;
  }
  auto dtype = at_least_float(a.dtype());
  auto scale = array(std::pow(10.0, std::abs(decimals)), dtype);
  auto x = astype(a, dtype, s);
  auto r = decimals > 0 ? divide(round(multiply(x, scale, s), 0, s), scale, s)
                        : multiply(round(divide(x, scale, s), 0, s), scale, s);
  return astype(r, a.dtype(), s);
}

array square(const array& a, StreamOrDevice s) {
  if (a.dtype() == bool_) {
    return a;
  }
  return unary_op(a, UnaryOp::Square, a.dtype(), s);
}

array rsqrt(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Rsqrt, s); }
array expm1(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Expm1, s); }
array log2(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Log2, s); }
array log10(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Log10, s); }
array sin(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Sin, s); }
array cos(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Cos, s); }
array tan(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Tan, s); }
array arcsin(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::ArcSin, s); }
array arccos(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::ArcCos, s); }
array arctan(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::ArcTan, s); }
array sinh(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Sinh, s); }
array cosh(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Cosh, s); }
array tanh(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Tanh, s); }
array arcsinh(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::ArcSinh, s); }
array arccosh(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::ArcCosh, s); }
array arctanh(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::ArcTanh, s); }
array degrees(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Degrees, s); }
array radians(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Radians, s); }
array sigmoid(const array& a, StreamOrDevice s) { return float_op(a, UnaryOp::Sigmoid, s); }

array erf(const array& a, StreamOrDevice s) {
  reject_complex("erf", a);
  return float_op(a, UnaryOp::Erf, s);
}
array erfinv(const array& a, StreamOrDevice s) {
  reject_complex("erfinv", a);
  return float_op(a, UnaryOp::ErfInv, s);
}

array conjugate(const array& a, StreamOrDevice s) {
  return a.dtype() == complex64 ? unary_op(a, UnaryOp::Conjugate, complex64, s) : a;
}
array real(const array& a, StreamOrDevice s) {
  return a.dtype() == complex64 ? unary_op(a, UnaryOp::Real, complex64, s) : a;
}
array imag(const array& a, StreamOrDevice s) {
  return a.dtype() == complex64 ? unary_op(a, UnaryOp::Imag, complex64, s) : zeros_like(a, s);
}

array bitwise_invert(const array& a, StreamOrDevice s) {
  if (issubdtype(a.dtype(), inexact)) {
    throw std::invalid_argument(
        "[bitwise_invert] Bitwise inverse only allowed on integer and boolean types, got " +
        dtype_name(a.dtype()) + ".");
  }
  return unary_op(a, UnaryOp::BitwiseInvert, a.dtype(), s);
}
array operator~(const array& a) { return bitwise_invert(a); }

}  // namespace mlx::core
