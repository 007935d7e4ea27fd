// Scans: cumsum, cumprod, cummax, cummin, logcumsumexp (one Scan primitive parameterised by the
// op), and diff (slices and a subtraction).
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

constexpr const char* kScanNames[] = {"CumSum", "CumProd", "CumMax", "CumMin", "LogCumSumExp"};
constexpr const char* kOpNames[] = {"cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"};

// Running sums and products take the dtype of sum and prod, except that a running product of
// bools stays bool.
Dtype widened(Dtype d, ScanOp op) {
  return d == bool_ && op == ScanOp::Prod ? bool_ : detail::sum_dtype(d);
}

array scan_node(const array& x, ScanOp op, int axis, bool reverse, bool inclusive, Stream s) {
  return array(x.shape(), x.dtype(), std::make_shared<Scan>(s, op, axis, reverse, inclusive), {x});
}

array scan(const array& a, ScanOp op, int axis, bool reverse, bool inclusive,
           std::optional<Dtype> dtype, StreamOrDevice s) {
  const char* name = kOpNames[static_cast<int>(op)];
  const int nd = static_cast<int>(a.ndim());
  if (axis < -nd || axis >= nd) {
    std::ostringstream msg;
    msg << "[" << name << "] Received invalid axis " << axis << " for array with " << nd
        << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  Dtype out = a.dtype();
  switch (op) {
    case ScanOp::Sum:
    case ScanOp::Prod:
      out = dtype ? *dtype : widened(a.dtype(), op);
      break;
    case ScanOp::Max:
    case ScanOp::Min:
    case ScanOp::LogAddExp:
      if (a.dtype() == complex64) {
        std::ostringstream msg;
        msg << "[" << name << "] Complex inputs (got " << a.dtype() << ") are not supported.";
        throw std::invalid_argument(msg.str());
      }
      if (op == ScanOp::LogAddExp && !issubdtype(a.dtype(), floating)) {
        out = float32;
      }
      break;
  }
  auto stream = to_stream(s);
  return scan_node(astype(a, out, stream), op, axis < 0 ? axis + nd : axis, reverse, inclusive,
                   stream);
}

array flat(const array& a, StreamOrDevice s) { return reshape(a, {static_cast<int>(a.size())}, s); }

array scan_grad(const array& x, const array& v, Scan& p, bool vjp) {
  return array(
      x.shape(), x.dtype(),
      std::make_shared<ScanGrad>(p.stream(), p.op(), p.axis(), p.reverse(), p.inclusive(), vjp),
      {x, astype(v, x.dtype(), p.stream())});
}

}  // namespace

const char* Scan::name() const { return kScanNames[static_cast<int>(op())]; }

array cumsum(const array& a, int axis, bool reverse, bool inclusive, std::optional<Dtype> dtype,
             StreamOrDevice s) {
  return scan(a, ScanOp::Sum, axis, reverse, inclusive, dtype, s);
}
array cumsum(const array& a, bool reverse, bool inclusive, std::optional<Dtype> dtype,
             StreamOrDevice s) {
  return scan(flat(a, s), ScanOp::Sum, 0, reverse, inclusive, dtype, s);
}
array cumprod(const array& a, int axis, bool reverse, bool inclusive, std::optional<Dtype> dtype,
              StreamOrDevice s) {
  return scan(a, ScanOp::Prod, axis, reverse, inclusive, dtype, s);
}
array cumprod(const array& a, bool reverse, bool inclusive, std::optional<Dtype> dtype,
              StreamOrDevice s) {
  return scan(flat(a, s), ScanOp::Prod, 0, reverse, inclusive, dtype, s);
}
array cummax(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  return scan(a, ScanOp::Max, axis, reverse, inclusive, std::nullopt, s);
}
array cummax(const array& a, bool reverse, bool inclusive, StreamOrDevice s) {
  return scan(flat(a, s), ScanOp::Max, 0, reverse, inclusive, std::nullopt, s);
}
array cummin(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  return scan(a, ScanOp::Min, axis, reverse, inclusive, std::nullopt, s);
}
array cummin(const array& a, bool reverse, bool inclusive, StreamOrDevice s) {
  return scan(flat(a, s), ScanOp::Min, 0, reverse, inclusive, std::nullopt, s);
}
array logcumsumexp(const array& a, int axis, bool reverse, bool inclusive, StreamOrDevice s) {
  return scan(a, ScanOp::LogAddExp, axis, reverse, inclusive, std::nullopt, s);
}
array logcumsumexp(const array& a, bool reverse, bool inclusive, StreamOrDevice s) {
  return scan(flat(a, s), ScanOp::LogAddExp, 0, reverse, inclusive, std::nullopt, s);
}

// The n-th forward difference: n times a[1:] - a[:-1] along the axis (empty once n reaches the
// axis size); bools differ where they are unequal, as in NumPy.
array diff(const array& a, int n, int axis, StreamOrDevice s) {
  const int nd = static_cast<int>(a.ndim());
  if (n < 0) {
    throw std::invalid_argument("[diff] Order n must be non-negative but got " + std::to_string(n) +
                                ".");
  }
  if (axis < -nd || axis >= nd) {
    std::ostringstream msg;
    msg << "[diff] Received invalid axis " << axis << " for array with " << nd << " dimensions.";
    throw std::invalid_argument(msg.str());
  }
  int ax = axis < 0 ? axis + nd : axis;
  auto stream = to_stream(s);
  array out = a;
  for (int i = 0; i < n && out.shape(ax) > 0; ++i) {
    int len = out.shape(ax);
    Shape start(nd, 0), stop = out.shape();
    start[ax] = 1;
    auto hi = slice(out, start, stop, stream);
    start[ax] = 0;
    stop[ax] = len - 1;
    auto lo = slice(out, start, stop, stream);
    out = out.dtype() == bool_ ? not_equal(hi, lo, stream) : subtract(hi, lo, stream);
  }
  return out;
}

// ---- derivative and batching rules ----

std::vector<array> Scan::vjp(const std::vector<array>& primals,
                             const std::vector<array>& cotangents, const std::vector<int>&,
                             const std::vector<array>&) {
  auto& x = primals[0];
  if (op() == ScanOp::Sum) {
    // The adjoint of a running sum is the running sum the other way.
    return {scan_node(astype(cotangents[0], x.dtype(), stream()), op(), axis(), !reverse(),
                      inclusive(), stream())};
  }
  return {scan_grad(x, cotangents[0], *this, true)};
}

std::vector<array> Scan::jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                             const std::vector<int>&) {
  if (op() == ScanOp::Sum) {
    return {scan_node(astype(tangents[0], primals[0].dtype(), stream()), op(), axis(), reverse(),
                      inclusive(), stream())};
  }
  return {scan_grad(primals[0], tangents[0], *this, false)};
}

std::pair<std::vector<array>, std::vector<int>> Scan::vmap(const std::vector<array>& inputs,
                                                           const std::vector<int>& axes) {
  auto x = move_batch_axis(inputs[0], axes[0], 0, stream());
  return {{scan_node(x, op(), axis() + 1, reverse(), inclusive(), stream())}, {0}};
}

std::vector<array> ScanGrad::vjp(const std::vector<array>&, const std::vector<array>&,
                                 const std::vector<int>&, const std::vector<array>&) {
  throw std::invalid_argument(
      "[ScanGrad] Second derivatives of cumprod, cummax, cummin and logcumsumexp are not "
      "implemented.");
}

std::vector<array> ScanGrad::jvp(const std::vector<array>&, const std::vector<array>&,
                                 const std::vector<int>&) {
  throw std::invalid_argument(
      "[ScanGrad] Second derivatives of cumprod, cummax, cummin and logcumsumexp are not "
      "implemented.");
}

std::pair<std::vector<array>, std::vector<int>> ScanGrad::vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes) {
  auto in = batch_in_front(inputs, axes, stream());
  Shape shape = in[0].shape();
  shape[0] = std::max(in[0].shape(0), in[1].shape(0));
  std::vector<array> args{broadcast_to(in[0], shape, stream()),
                          broadcast_to(in[1], shape, stream())};
  auto p = std::make_shared<ScanGrad>(stream(), op(), axis() + 1, reverse(), inclusive(), is_vjp());
  return {{array(shape, args[0].dtype(), p, args)}, {0}};
}

}  // namespace mlx::core
