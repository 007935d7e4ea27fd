#include "mlx/array.h"

#include <cstring>
#include <sstream>

#include "core/array_access.h"
#include "mlx/ops.h"
#include "mlx/primitives.h"
#include "mlx/transforms.h"
#include "mlx/transforms_impl.h"

namespace mlx::core {

namespace {

// Reuses the vector's memory when it already has the right length.
void set_row_major_strides(const Shape& shape, Strides& strides) {
  strides.resize(shape.size());
  // Unsigned: a shape whose size overflows is rejected after its strides are set, and must not
  // be undefined behaviour before.
  uint64_t st = 1;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    strides[i] = static_cast<int64_t>(st);
    st *= static_cast<uint64_t>(std::max<int64_t>(shape[i], 1));
  }
}

Strides row_major_strides(const Shape& shape) {
  Strides strides;
  set_row_major_strides(shape, strides);
  return strides;
}

std::string shape_string(const Shape& shape) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    os << (i ? "," : "") << shape[i];
  }
  os << ")";
  return os.str();
}

}  // namespace

array::ArrayDesc::ArrayDesc(Shape shape_, Dtype dtype)
    : shape(std::move(shape_)), strides(row_major_strides(shape)), size(1), dtype(dtype) {
  init();
}

array::ArrayDesc::ArrayDesc(Shape shape_, Dtype dtype, std::shared_ptr<Primitive> primitive,
                            std::vector<array> inputs)
    : shape(std::move(shape_)),
      strides(row_major_strides(shape)),
      size(1),
      dtype(dtype),
      primitive(std::move(primitive)),
      inputs(std::move(inputs)) {
  init();
  for (auto& in : this->inputs) {
    is_tracer |= in.array_desc_->is_tracer;
  }
}

void array::ArrayDesc::init() {
  for (auto d : shape) {
    if (d < 0) {
      throw std::invalid_argument("[array] Shape " + shape_string(shape) +
                                  " has a negative dimension.");
    }
    if (d != 0 && size > (size_t{1} << 62) / static_cast<size_t>(d)) {
      throw std::invalid_argument("[array] Shape " + shape_string(shape) +
                                  " has too many elements.");
    }
    size *= static_cast<size_t>(d);
  }
}

// Destroying a long chain of nodes recursively would overflow the stack (a 100,000-op graph is
// ordinary), so inputs whose last reference is this node are torn down iteratively.
array::ArrayDesc::~ArrayDesc() {
  std::vector<std::shared_ptr<ArrayDesc>> for_deletion;
  auto collect = [&for_deletion](std::vector<array>& arrays) {
    for (auto& a : arrays) {
      if (a.array_desc_ && a.array_desc_.use_count() == 1) {
        for_deletion.push_back(std::move(a.array_desc_));
      }
    }
    arrays.clear();
  };
  collect(inputs);
  while (!for_deletion.empty()) {
    auto top = std::move(for_deletion.back());
    for_deletion.pop_back();
    collect(top->inputs);
  }
}

array::array(const std::complex<float>& val, Dtype dtype /* = complex64 */)
    : array_desc_(std::make_shared<ArrayDesc>(Shape{}, dtype)) {
  init_data();
  complex64_t v(val);
  detail::copy_to_dtype(&v, 1, dtype, data<void>());
}

array::array(std::initializer_list<float> data)
    : array_desc_(
          std::make_shared<ArrayDesc>(Shape{static_cast<ShapeElem>(data.size())}, float32)) {
  init_data();
  std::copy(data.begin(), data.end(), this->data<float>());
}

array::array(std::initializer_list<int> data, Dtype dtype)
    : array_desc_(std::make_shared<ArrayDesc>(Shape{static_cast<ShapeElem>(data.size())}, dtype)) {
  init_data();
  detail::copy_to_dtype(data.begin(), size(), dtype, this->data<void>());
}

array::array(allocator::Buffer data, Shape shape, Dtype dtype, Deleter deleter)
    : array_desc_(std::make_shared<ArrayDesc>(std::move(shape), dtype)) {
  set_data(data, std::move(deleter));
  array_desc_->state.store(State::available);
}

array::array(void* data, Shape shape, Dtype dtype, const std::function<void(void*)>& deleter)
    : array_desc_(std::make_shared<ArrayDesc>(std::move(shape), dtype)) {
  auto buffer = allocator::make_buffer(data, nbytes());
  if (buffer.ptr() == nullptr) {
    // The allocator cannot wrap the memory: copy it and let the caller's memory go now.
    init_data();
    std::memcpy(this->data<void>(), data, nbytes());
    deleter(data);
  } else {
    set_data(buffer, [deleter, data](allocator::Buffer b) {
      allocator::release(b);
      deleter(data);
    });
    array_desc_->state.store(State::available);
  }
}

array::array(Shape shape, Dtype dtype, std::shared_ptr<Primitive> primitive,
             std::vector<array> inputs)
    : array_desc_(std::make_shared<ArrayDesc>(std::move(shape), dtype, std::move(primitive),
                                              std::move(inputs))) {}

std::vector<array> array::make_arrays(std::vector<Shape> shapes, const std::vector<Dtype>& dtypes,
                                      const std::shared_ptr<Primitive>& primitive,
                                      const std::vector<array>& inputs) {
  if (shapes.size() != dtypes.size()) {
    throw std::invalid_argument("[array::make_arrays] Got " + std::to_string(shapes.size()) +
                                " shapes but " + std::to_string(dtypes.size()) + " dtypes.");
  }
  std::vector<array> outputs;
  outputs.reserve(shapes.size());
  for (size_t i = 0; i < shapes.size(); ++i) {
    outputs.emplace_back(std::move(shapes[i]), dtypes[i], primitive, inputs);
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    auto siblings = outputs;
    siblings.erase(siblings.begin() + i);
    outputs[i].set_siblings(std::move(siblings), static_cast<uint16_t>(i));
  }
  return outputs;
}

array array::unsafe_weak_copy(const array& other) {
  auto cpy = array(other.shape(), other.dtype(), nullptr, {});
  cpy.set_data(other.buffer(), other.data_size(), other.strides(), other.flags(),
               [](allocator::Buffer) {});
  cpy.array_desc_->data_ptr = other.array_desc_->data_ptr;
  cpy.array_desc_->state.store(State::available);
  return cpy;
}

void array::init_data() {
  set_data(allocator::malloc(nbytes()));
  array_desc_->state.store(State::available);
}

int array::shape(int dim) const {
  int nd = static_cast<int>(ndim());
  if (dim < -nd || dim >= nd) {
    throw std::invalid_argument("[array::shape] Dimension " + std::to_string(dim) +
                                " is out of bounds for an array with " + std::to_string(nd) +
                                " dimensions.");
  }
  return array_desc_->shape[dim < 0 ? dim + nd : dim];
}

int64_t array::strides(int dim) const {
  int nd = static_cast<int>(ndim());
  if (dim < -nd || dim >= nd) {
    throw std::invalid_argument("[array::strides] Dimension " + std::to_string(dim) +
                                " is out of bounds for an array with " + std::to_string(nd) +
                                " dimensions.");
  }
  return array_desc_->strides[dim < 0 ? dim + nd : dim];
}

void array::eval() {
  while (true) {
    switch (ArrayAccess::load(array_desc_->state)) {
      case State::available:
        return;
      case State::failed:
        // Only a strict memory-limit failure may be evaluated again.
        if (!ArrayAccess::retryable(ArrayAccess::error(*this))) {
          std::rethrow_exception(ArrayAccess::error(*this));
        }
        [[fallthrough]];
      case State::unscheduled:
        mlx::core::eval({*this});
        return;
      case State::scheduled:
        ArrayAccess::wait_while(array_desc_->state, State::scheduled);
        break;
    }
  }
}

void array::wait() {
  if (ArrayAccess::load(array_desc_->state) == State::unscheduled) {
    throw std::invalid_argument(
        "[array::wait] The array has not been scheduled; call eval or async_eval first.");
  }
  if (ArrayAccess::wait_done(*this) == State::failed) {
    std::rethrow_exception(ArrayAccess::error(*this));
  }
}

array::Status array::status() const {
  switch (ArrayAccess::load(array_desc_->state)) {
    case State::unscheduled:
      return Status::unscheduled;
    case State::available:
      return Status::available;
    default:
      return Status::evaluated;
  }
}

void array::set_status(Status s) const {
  ArrayAccess::store(array_desc_->state, s == Status::unscheduled ? State::unscheduled
                                         : s == Status::evaluated ? State::scheduled
                                                                  : State::available);
}

bool array::is_available() const {
  return ArrayAccess::load(array_desc_->state) == State::available;
}

// A tracer keeps its graph only while a transformation that needs it is running on this thread.
bool array::is_tracer() const {
  return array_desc_->is_tracer && (detail::in_tracing() || detail::retain_graph());
}

void array::detach() {
  for (auto& s : array_desc_->siblings) {
    s.array_desc_->inputs.clear();
    s.array_desc_->siblings.clear();
    s.array_desc_->position = 0;
    s.array_desc_->primitive = nullptr;
  }
  array_desc_->inputs.clear();
  array_desc_->siblings.clear();
  array_desc_->position = 0;
  array_desc_->primitive = nullptr;
}

void array::set_data(allocator::Buffer buffer, Deleter d) {
  array_desc_->data = std::make_shared<Data>(buffer, std::move(d));
  array_desc_->data_ptr = buffer.raw_ptr();
  array_desc_->data_size = size();
  set_row_major_strides(shape(), array_desc_->strides);
  int big_dims = 0;
  for (auto s : shape()) {
    big_dims += s > 1;
  }
  array_desc_->flags.contiguous = true;
  array_desc_->flags.row_contiguous = true;
  array_desc_->flags.col_contiguous = big_dims <= 1;
}

void array::set_data(allocator::Buffer buffer, size_t data_size, Strides strides, Flags flags,
                     Deleter d) {
  set_data(buffer, data_size, std::move(strides), flags, 0, std::move(d));
}

void array::set_data(allocator::Buffer buffer, size_t data_size, Strides strides, Flags flags,
                     int64_t offset, Deleter d) {
  array_desc_->data = std::make_shared<Data>(buffer, std::move(d));
  array_desc_->data_ptr = static_cast<char*>(buffer.raw_ptr()) + offset;
  array_desc_->data_size = data_size;
  array_desc_->strides = std::move(strides);
  array_desc_->flags = flags;
}

void array::copy_shared_buffer(const array& other, const Strides& strides, Flags flags,
                               size_t data_size, int64_t offset /* = 0 */) {
  array_desc_->data = other.array_desc_->data;
  array_desc_->strides = strides;
  array_desc_->flags = flags;
  array_desc_->data_size = data_size;
  array_desc_->data_ptr =
      static_cast<char*>(other.array_desc_->data_ptr) + static_cast<int64_t>(itemsize()) * offset;
}

void array::copy_shared_buffer(const array& other) {
  copy_shared_buffer(other, other.strides(), other.flags(), other.data_size());
}

// Siblings hold each other, so a group of outputs that nobody else holds would never be freed;
// the last outside handle to go breaks the cycle. Nodes being evaluated are left alone: the
// scheduler detaches them when they have run.
array::~array() {
  // The state first: the worker running a node changes its siblings.
  if (!array_desc_ || ArrayAccess::load(array_desc_->state) == State::scheduled ||
      array_desc_->siblings.empty()) {
    return;
  }
  auto n = static_cast<long>(array_desc_->siblings.size());
  if (array_desc_.use_count() != n + 1) {
    return;
  }
  for (auto& s : array_desc_->siblings) {
    if (s.array_desc_.use_count() != n) {
      return;
    }
  }
  std::vector<std::vector<array>> holders;
  holders.push_back(std::move(array_desc_->siblings));
  array_desc_->siblings.clear();
  for (auto& s : holders.front()) {
    holders.push_back(std::move(s.array_desc_->siblings));
    s.array_desc_->siblings.clear();
  }
}

array::ArrayIterator::ArrayIterator(const array& arr, int idx) : arr(arr), idx(idx) {
  if (arr.ndim() == 0) {
    throw std::invalid_argument("[array::ArrayIterator] Cannot iterate over a 0-d array.");
  }
}

array::ArrayIterator::reference array::ArrayIterator::operator*() const {
  Shape start(arr.ndim(), 0);
  Shape stop = arr.shape();
  start[0] = idx;
  stop[0] = idx + 1;
  return reshape(slice(arr, start, stop), Shape(arr.shape().begin() + 1, arr.shape().end()));
}

namespace detail {

void check_item(const array& a, size_t item_size, const char* caller) {
  if (a.size() != 1) {
    throw std::invalid_argument(std::string("[") + caller +
                                "] item can only be called on arrays of size 1, not shape " +
                                shape_string(a.shape()) + ".");
  }
  if (item_size != a.itemsize()) {
    throw std::invalid_argument(std::string("[") + caller + "] The requested type has " +
                                std::to_string(item_size) + " bytes but the array's dtype " +
                                dtype_to_string(a.dtype()) + " has " +
                                std::to_string(a.itemsize()) + ".");
  }
}

}  // namespace detail

}  // namespace mlx::core
