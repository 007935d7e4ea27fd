// Printing arrays the way NumPy does: nested brackets, aligned rows, summarised when large.
#include <iomanip>
#include <sstream>
#include <string>

#include "core/dtype_utils.h"
#include "mlx/transforms.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace {

// NumPy's defaults: summarise above this many elements, keeping this many at each edge.
constexpr size_t kSummaryThreshold = 1000;
constexpr int kEdgeItems = 3;

template <typename T>
void print_float(std::ostream& os, T val, const PrintOptions& opts) {
  if (opts.precision >= 0) {
    auto flags = os.flags();
    auto prec = os.precision();
    os << std::fixed << std::setprecision(opts.precision) << val;
    os.flags(flags);
    os.precision(prec);
  } else {
    os << val;
  }
}

}  // namespace

void PrintFormatter::print(std::ostream& os, bool val) {
  if (capitalize_bool) {
    os << (val ? "True" : "False");
  } else {
    os << (val ? "true" : "false");
  }
}
void PrintFormatter::print(std::ostream& os, int8_t val) { os << static_cast<int>(val); }
void PrintFormatter::print(std::ostream& os, int16_t val) { os << val; }
void PrintFormatter::print(std::ostream& os, int32_t val) { os << val; }
void PrintFormatter::print(std::ostream& os, int64_t val) { os << val; }
void PrintFormatter::print(std::ostream& os, uint8_t val) { os << static_cast<unsigned>(val); }
void PrintFormatter::print(std::ostream& os, uint16_t val) { os << val; }
void PrintFormatter::print(std::ostream& os, uint32_t val) { os << val; }
void PrintFormatter::print(std::ostream& os, uint64_t val) { os << val; }
void PrintFormatter::print(std::ostream& os, float16_t val) {
  print_float(os, static_cast<float>(val), options);
}
void PrintFormatter::print(std::ostream& os, bfloat16_t val) {
  print_float(os, static_cast<float>(val), options);
}
void PrintFormatter::print(std::ostream& os, float val) { print_float(os, val, options); }
void PrintFormatter::print(std::ostream& os, double val) { print_float(os, val, options); }
void PrintFormatter::print(std::ostream& os, complex64_t val) {
  print_float(os, val.real(), options);
  if (val.imag() >= 0 || val.imag() != val.imag()) {
    os << "+";
  }
  print_float(os, val.imag(), options);
  os << "j";
}

PrintFormatter& get_global_formatter() {
  static PrintFormatter formatter;
  return formatter;
}

void set_printoptions(PrintOptions options) { get_global_formatter().options = options; }

namespace {

template <typename T>
class ArrayPrinter {
 public:
  ArrayPrinter(const array& a, std::ostream& os)
      : a_(a), os_(os), summarise_(a.size() > kSummaryThreshold) {}

  void print(int dim, int64_t offset, int indent) {
    if (a_.ndim() == 0) {
      get_global_formatter().print(os_, a_.data<T>()[0]);
      return;
    }
    int n = a_.shape(dim);
    bool last = dim + 1 == static_cast<int>(a_.ndim());
    os_ << "[";
    for (int i = 0; i < n; ++i) {
      if (summarise_ && n > 2 * kEdgeItems && i == kEdgeItems) {
        os_ << "...";
        separator(dim, indent);
        i = n - kEdgeItems - 1;
        continue;
      }
      int64_t off = offset + static_cast<int64_t>(i) * a_.strides()[dim];
      if (last) {
        get_global_formatter().print(os_, a_.data<T>()[off]);
      } else {
        print(dim + 1, off, indent + 1);
      }
      if (i + 1 < n) {
        separator(dim, indent);
      }
    }
    os_ << "]";
  }

 private:
  // Elements of the last dim are separated by ", "; sub-arrays by a newline per remaining dim
  // (so 3-D blocks get a blank line between them) and the indentation of their bracket.
  void separator(int dim, int indent) {
    int remaining = static_cast<int>(a_.ndim()) - dim - 1;
    if (remaining == 0) {
      os_ << ", ";
    } else {
      os_ << "," << std::string(remaining, '\n') << std::string(indent + 1, ' ');
    }
  }

  const array& a_;
  std::ostream& os_;
  bool summarise_;
};

}  // namespace

std::ostream& operator<<(std::ostream& os, const array& a) {
  array arr = a;
  arr.eval();
  os << "array(";
  if (arr.size() == 0) {
    os << "[]";
    if (arr.ndim() > 1) {
      os << ", shape=" << arr.shape();
    }
  } else {
    dispatch_dtype(arr.dtype(), [&](auto tag) {
      ArrayPrinter<typename decltype(tag)::type>(arr, os).print(0, 0, 6);
    });
  }
  return os << ", dtype=" << arr.dtype() << ")";
}

}  // namespace mlx::core
