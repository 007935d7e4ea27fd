// Helpers shared by the file formats.
#include "io/format.h"

#include "mlx/ops.h"
#include "ops/io.h"

namespace mlx::core::io_detail {

void fail(const char* op, const io::Reader& in, const std::string& what) {
  throw std::runtime_error(std::string("[") + op + "] " + in.label() + ": " + what);
}

size_t stream_size(io::Reader& in) {
  size_t pos = in.tell();
  in.seek(0, std::ios_base::end);
  size_t end = in.tell();
  in.seek(static_cast<int64_t>(pos), std::ios_base::beg);
  return end;
}

Shape checked_shape(const char* op, const io::Reader& in, const std::vector<uint64_t>& dims,
                    size_t itemsize, uint64_t& nbytes) {
  Shape shape;
  shape.reserve(dims.size());
  nbytes = itemsize;
  for (auto d : dims) {
    if (d > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
      fail(op, in, "dimension " + std::to_string(d) + " is too large.");
    }
    if (mul_overflows(nbytes, d, nbytes)) {
      fail(op, in, "the tensor's size overflows 64 bits.");
    }
    shape.push_back(static_cast<int32_t>(d));
  }
  return shape;
}

array lazy_load(std::shared_ptr<io::Reader> in, size_t offset, Shape shape, Dtype dtype,
                int swap_width, Stream s) {
  return array(std::move(shape), dtype,
               std::make_shared<Load>(s, std::move(in), offset, swap_width), {});
}

void write_array(io::Writer& out, array a) {
  a = contiguous(a, false, Device(Device::cpu));
  a.eval();
  out.write(a.data<char>(), a.nbytes());
}

}  // namespace mlx::core::io_detail
