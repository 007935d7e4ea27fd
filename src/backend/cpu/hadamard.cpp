// Hadamard on the CPU: each row along the last axis, as m blocks of 2^k, gets Sylvester's fast
// transform per block (n log n butterflies), then the m x m matrix across the blocks, in a
// float32 (float64) buffer, scaled and rounded once. Rows are read through any strides and
// split over the pool.
#include <algorithm>
#include <array>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <vector>

#include "backend/cpu/strided.h"
#include "backend/cpu/thread_pool.h"
#include "mlx/backend/common/utils.h"
#include "ops/ops.h"

namespace mlx::core {

namespace {

// The m x m Hadamard matrices MLX uses (N. J. A. Sloane's library), one row of signs per line.
constexpr std::string_view kH12 =
    "+-++++++++++"
    "--+-+-+-+-+-"
    "+++-++----++"
    "+---+--+-++-"
    "+++++-++----"
    "+-+---+--+-+"
    "++--+++-++--"
    "+--++---+--+"
    "++----+++-++"
    "+--+-++---+-"
    "++++----+++-"
    "+-+--+-++---";
constexpr std::string_view kH20 =
    "+----+----++--++-++-"
    "-+----+---+++---+-++"
    "--+----+---+++-+-+-+"
    "---+----+---+++++-+-"
    "----+----++--++-++-+"
    "-+++++-----+--+++--+"
    "+-+++-+---+-+--+++--"
    "++-++--+---+-+--+++-"
    "+++-+---+---+-+--+++"
    "++++-----++--+-+--++"
    "--++-+-++-+-----++++"
    "---++-+-++-+---+-+++"
    "+---++-+-+--+--++-++"
    "++---++-+----+-+++-+"
    "-++---++-+----+++++-"
    "-+--+--++-+----+----"
    "+-+-----++-+----+---"
    "-+-+-+---+--+----+--"
    "--+-+++------+----+-"
    "+--+--++------+----+";
constexpr std::string_view kH28 =
    "+------++----++-+--+-+--++--"
    "-+-----+++-----+-+--+-+--++-"
    "--+-----+++---+-+-+----+--++"
    "---+-----+++---+-+-+-+--+--+"
    "----+-----+++---+-+-+++--+--"
    "-----+-----++++--+-+--++--+-"
    "------++----++-+--+-+--++--+"
    "--++++-+-------++--+++-+--+-"
    "---++++-+-----+-++--+-+-+--+"
    "+---+++--+----++-++--+-+-+--"
    "++---++---+----++-++--+-+-+-"
    "+++---+----+----++-++--+-+-+"
    "++++--------+-+--++-++--+-+-"
    "-++++--------+++--++--+--+-+"
    "-+-++-++--++--+--------++++-"
    "+-+-++--+--++--+--------++++"
    "-+-+-++--+--++--+----+---+++"
    "+-+-+-++--+--+---+---++---++"
    "++-+-+-++--+------+--+++---+"
    "-++-+-+-++--+------+-++++---"
    "+-++-+---++--+------+-++++--"
    "-++--++-+-++-+++----++------"
    "+-++--++-+-++-+++-----+-----"
    "++-++---+-+-++-+++-----+----"
    "-++-++-+-+-+-+--+++-----+---"
    "--++-++++-+-+----+++-----+--"
    "+--++-+-++-+-+----+++-----+-"
    "++--++-+-++-+-+----++------+";

std::string_view sign_matrix(int m) { return m == 12 ? kH12 : m == 20 ? kH20 : kH28; }

template <typename Acc>
void fwht(Acc* x, int n) {
  for (int h = 1; h < n; h <<= 1) {
    for (int i = 0; i < n; i += 2 * h) {
      for (int j = i; j < i + h; ++j) {
        Acc u = x[j];
        Acc v = x[j + h];
        x[j] = u + v;
        x[j + h] = u - v;
      }
    }
  }
}

template <typename T>
void hadamard(const array& in, array& out, float scale, bool transposed) {
  using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;
  int total = in.shape(-1);
  int m = detail::hadamard_factor(total);
  int n = total / m;
  auto signs = m > 1 ? sign_matrix(m) : std::string_view();
  size_t rows = in.size() / total;
  int64_t step = in.strides().back();
  const T* src = in.data<T>();
  T* dst = out.data<T>();
  cpu::parallel_for(rows, std::max<size_t>(1, cpu::kElementwiseGrain / total),
                    [&](size_t begin, size_t end) {
                      std::vector<Acc> x(total);
                      std::vector<Acc> mixed(m);
                      for (size_t r = begin; r < end; ++r) {
                        const T* row = src + elem_to_loc(static_cast<int64_t>(r * total), in);
                        for (int i = 0; i < total; ++i) {
                          x[i] = static_cast<Acc>(row[i * step]);
                        }
                        for (int b = 0; b < m; ++b) {
                          fwht(x.data() + b * n, n);
                        }
                        if (m > 1) {
                          for (int i = 0; i < n; ++i) {
                            for (int j = 0; j < m; ++j) {
                              Acc acc = 0;
                              for (int k = 0; k < m; ++k) {
                                char sign = transposed ? signs[k * m + j] : signs[j * m + k];
                                acc += sign == '+' ? x[k * n + i] : -x[k * n + i];
                              }
                              mixed[j] = acc;
                            }
                            for (int j = 0; j < m; ++j) {
                              x[j * n + i] = mixed[j];
                            }
                          }
                        }
                        T* o = dst + r * total;
                        for (int i = 0; i < total; ++i) {
                          o[i] = static_cast<T>(x[i] * static_cast<Acc>(scale));
                        }
                      }
                    });
}

}  // namespace

void Hadamard::eval_cpu(const std::vector<array>& inputs, array& out) {
  out.set_data(allocator::malloc(out.nbytes()));
  auto& in = inputs[0];
  switch (out.dtype().val()) {
    case Dtype::Val::float32:
      return hadamard<float>(in, out, scale(), transposed());
    case Dtype::Val::float64:
      return hadamard<double>(in, out, scale(), transposed());
    case Dtype::Val::float16:
      return hadamard<float16_t>(in, out, scale(), transposed());
    case Dtype::Val::bfloat16:
      return hadamard<bfloat16_t>(in, out, scale(), transposed());
    default: {
      std::ostringstream msg;
      msg << "[Hadamard] Unsupported dtype " << out.dtype() << ".";
      throw std::runtime_error(msg.str());
    }
  }
}

}  // namespace mlx::core
