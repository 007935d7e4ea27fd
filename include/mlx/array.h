// The array: a cheap shared handle to a node of the lazy computation graph.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "mlx/allocator.h"
#include "mlx/dtype.h"
#include "mlx/event.h"

namespace mlx::core {

class Primitive;

using Deleter = std::function<void(allocator::Buffer)>;
using ShapeElem = int32_t;
using Shape = std::vector<ShapeElem>;
using Strides = std::vector<int64_t>;

namespace detail {

// Converts one element between the scalar types of the dtypes (complex to real keeps the real
// part, as NumPy does with a warning).
template <typename To, typename From>
To cast_value(const From& v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<From, complex64_t> ||
                       std::is_same_v<From, std::complex<float>>) {
    if constexpr (std::is_same_v<To, complex64_t>) {
      return complex64_t(v);
    } else if constexpr (std::is_same_v<To, bool>) {
      return v.real() != 0.0f || v.imag() != 0.0f;
    } else {
      return cast_value<To>(v.real());
    }
  } else if constexpr (std::is_same_v<From, float16_t> || std::is_same_v<From, bfloat16_t>) {
    return cast_value<To>(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    // Out-of-range float to int conversions are undefined in C++. Ours go through a 64-bit
    // integer (NaN -> 0, saturating at its bounds) and then wrap, which matches NumPy and MLX
    // for every value that fits in 64 bits (-1.0 -> uint8 is 255).
    if (!(v == v)) {
      return To(0);
    }
    if constexpr (std::is_unsigned_v<To> && sizeof(To) == 8) {
      if (v >= From(18446744073709551615.0)) {
        return ~To(0);
      }
      if (v >= From(9223372036854775808.0)) {
        return static_cast<To>(v);
      }
    }
    if (v >= From(9223372036854775807.0)) {
      return static_cast<To>(INT64_MAX);
    }
    if (v <= From(-9223372036854775807.0)) {
      return static_cast<To>(INT64_MIN);
    }
    return static_cast<To>(static_cast<int64_t>(v));
  } else {
    return static_cast<To>(v);
  }
}

// Copies n values from src, converting them to the dtype, into dst.
template <typename It>
void copy_to_dtype(It src, size_t n, Dtype dtype, void* dst);

}  // namespace detail

class Index;
class ArrayAt;

namespace detail {
// The element types a scalar array can be built from. Constraining array(T val, ...) keeps clang
// from instantiating its default dtype argument for unrelated types (std::nullopt_t, while
// checking std::optional<array> defaults).
template <typename T>
concept ArrayScalar = std::is_arithmetic_v<T> || std::is_same_v<T, float16_t> ||
    std::is_same_v<T, bfloat16_t> || std::is_same_v<T, complex64_t>;
}  // namespace detail

class array {
 public:
  /** A scalar (0-d) array. */
  template <detail::ArrayScalar T>
  explicit array(T val, Dtype dtype = TypeToDtype<T>());

  /* Special case since std::complex can't be implicitly converted to other types. */
  explicit array(const std::complex<float>& val, Dtype dtype = complex64);

  template <typename It>
  explicit array(It data, const Shape& shape,
                 Dtype dtype = TypeToDtype<typename std::iterator_traits<It>::value_type>());

  template <typename T>
  explicit array(std::initializer_list<T> data, Dtype dtype = TypeToDtype<T>());

  /* Special case so empty lists default to float32. */
  explicit array(std::initializer_list<float> data);

  /* Special case so array({}, type) is an empty array. */
  explicit array(std::initializer_list<int> data, Dtype dtype);

  template <typename T>
  explicit array(std::initializer_list<T> data, const Shape& shape, Dtype dtype = TypeToDtype<T>());

  /* Build an array from a buffer */
  explicit array(allocator::Buffer data, Shape shape, Dtype dtype,
                 Deleter deleter = allocator::free);

  /* Build an array from memory the caller owns, without copying; `deleter` runs when the last
   * array using the memory is gone. */
  explicit array(void* data, Shape shape, Dtype dtype, const std::function<void(void*)>& deleter);

  /** A node of the graph: computed by `primitive` from `inputs` when evaluated. */
  array(Shape shape, Dtype dtype, std::shared_ptr<Primitive> primitive, std::vector<array> inputs);

  /** The outputs of a multi-output primitive, each knowing the others as its siblings. */
  static std::vector<array> make_arrays(std::vector<Shape> shapes, const std::vector<Dtype>& dtypes,
                                        const std::shared_ptr<Primitive>& primitive,
                                        const std::vector<array>& inputs);

  /** A new handle sharing the data but none of the graph; the caller keeps the source alive. */
  static array unsafe_weak_copy(const array& other);

  array(const array& other) = default;
  array(array&& other) = default;

  // The replaced value leaves through ~array (in `old`), which frees an unevaluated multi-output
  // node whose outputs now only hold each other; dropping it here would leak that cycle.
  array& operator=(const array& other) & {
    if (this->id() != other.id()) {
      array old(other);
      std::swap(array_desc_, old.array_desc_);
    }
    return *this;
  }

  array& operator=(array&& other) & {
    if (this != &other) {
      array old(std::move(other));
      std::swap(array_desc_, old.array_desc_);
    }
    return *this;
  }
  array& operator=(const array& other) && = delete;
  array& operator=(array&& other) && = delete;

  /** The size of the array's datatype in bytes. */
  size_t itemsize() const { return size_of(dtype()); }

  /** The number of elements in the array. */
  size_t size() const { return array_desc_->size; }

  /** The number of bytes in the array. */
  size_t nbytes() const { return size() * itemsize(); }

  /** The number of dimensions of the array. */
  size_t ndim() const { return array_desc_->shape.size(); }

  /** The shape of the array as a vector of integers. */
  const Shape& shape() const { return array_desc_->shape; }

  /** The size of one dimension; negative dims count from the end. Bounds checked. */
  int shape(int dim) const;

  /** The strides of the array, in elements. */
  const Strides& strides() const { return array_desc_->strides; }

  /** The stride of one dimension; negative dims count from the end. Bounds checked. */
  int64_t strides(int dim) const;

  /** Get the arrays data type. */
  Dtype dtype() const { return array_desc_->dtype; }

  /** Evaluate the array. */
  void eval();

  /** Get the value from a scalar array; evaluates it. */
  template <typename T>
  T item();

  /** Get the value from a scalar array that was already scheduled. */
  template <typename T>
  T item() const;

  /** NumPy-style indexing (mlx/indexing.h, docs/indexing.md): a.index({0, Slice(1, {})}) or
   * a(0, Slice(1, {})) reads; index_put reassigns this handle to the updated array (other
   * handles keep the old value); at(...) gives accumulating updates. */
  array index(const std::vector<Index>& indices) const;
  template <typename... Ts>
  array operator()(const Ts&... indices) const;
  array& index_put(const std::vector<Index>& indices, const array& value);
  template <typename T>
  array& index_put(const std::vector<Index>& indices, T value);
  ArrayAt at(const std::vector<Index>& indices) const;

  struct ArrayIterator {
    using iterator_category = std::random_access_iterator_tag;
    using difference_type = size_t;
    using value_type = const array;
    using reference = value_type;

    explicit ArrayIterator(const array& arr, int idx = 0);

    reference operator*() const;

    ArrayIterator& operator+(difference_type diff) {
      idx += diff;
      return *this;
    }

    ArrayIterator& operator++() {
      idx++;
      return *this;
    }

    friend bool operator==(const ArrayIterator& a, const ArrayIterator& b) {
      return a.arr.id() == b.arr.id() && a.idx == b.idx;
    }
    friend bool operator!=(const ArrayIterator& a, const ArrayIterator& b) { return !(a == b); }

   private:
    const array& arr;
    int idx;
  };

  ArrayIterator begin() const { return ArrayIterator(*this); }
  ArrayIterator end() const { return ArrayIterator(*this, shape(0)); }

  /** A unique identifier for the array's node. */
  std::uintptr_t id() const { return reinterpret_cast<std::uintptr_t>(array_desc_.get()); }

  /** A unique identifier for the array's primitive (0 without one). */
  std::uintptr_t primitive_id() const {
    return reinterpret_cast<std::uintptr_t>(array_desc_->primitive.get());
  }

  struct Data {
    allocator::Buffer buffer;
    Deleter d;
    Data(allocator::Buffer buffer, Deleter d = allocator::free) : buffer(buffer), d(std::move(d)) {}
    Data(const Data& d) = delete;
    Data& operator=(const Data& d) = delete;
    ~Data() {
      if (d) {
        d(buffer);
      }
    }
  };

  struct Flags {
    // True iff there are no gaps in the underlying data. Each item in the underlying data buffer
    // belongs to at least one index.
    bool contiguous : 1;
    bool row_contiguous : 1;
    bool col_contiguous : 1;
  };

  /** The array's primitive. */
  Primitive& primitive() const { return *(array_desc_->primitive); }

  /** A shared pointer to the array's primitive. */
  std::shared_ptr<Primitive>& primitive_ptr() const { return array_desc_->primitive; }

  /** Whether the array has a primitive (it is not yet evaluated, or is a tracer). */
  bool has_primitive() const { return array_desc_->primitive != nullptr; }

  /** The array's inputs. */
  const std::vector<array>& inputs() const { return array_desc_->inputs; }
  std::vector<array>& inputs() { return array_desc_->inputs; }

  /** True iff the node and its data are held by this handle alone, so an output may reuse the
   * buffer. */
  bool is_donatable() const {
    return array_desc_.use_count() == 1 && (array_desc_->data.use_count() == 1);
  }

  /** The array's siblings: the other outputs of its primitive. */
  const std::vector<array>& siblings() const { return array_desc_->siblings; }
  std::vector<array>& siblings() { return array_desc_->siblings; }

  void set_siblings(std::vector<array> siblings, uint16_t position) {
    array_desc_->siblings = std::move(siblings);
    array_desc_->position = position;
  }

  /** This array's position among the outputs of its primitive. */
  uint16_t sibling_position() const { return array_desc_->position; }

  /** All outputs of the array's primitive, this array included, in order. */
  std::vector<array> outputs() const {
    auto idx = array_desc_->position;
    std::vector<array> outputs;
    outputs.reserve(siblings().size() + 1);
    outputs.insert(outputs.end(), siblings().begin(), siblings().begin() + idx);
    outputs.push_back(*this);
    outputs.insert(outputs.end(), siblings().begin() + idx, siblings().end());
    return outputs;
  }

  /** Drops the primitive, inputs and siblings: the node becomes a plain array of data. */
  void detach();

  const Flags& flags() const { return array_desc_->flags; }

  /** The number of elements in the data buffer the array uses (smaller than size() for
   * broadcast arrays). */
  size_t data_size() const { return array_desc_->data_size; }

  allocator::Buffer& buffer() { return array_desc_->data->buffer; }
  const allocator::Buffer& buffer() const { return array_desc_->data->buffer; }

  size_t buffer_size() const { return allocator::allocator().size(buffer()); }

  std::shared_ptr<Data> data_shared_ptr() const { return array_desc_->data; }

  /** A pointer to the array's first element (with its offset applied). */
  template <typename T>
  T* data() {
    return static_cast<T*>(array_desc_->data_ptr);
  }

  template <typename T>
  const T* data() const {
    return static_cast<T*>(array_desc_->data_ptr);
  }

  /** The offset, in bytes, of the first element from the start of the buffer. */
  int64_t offset() const {
    return static_cast<char*>(array_desc_->data_ptr) -
           static_cast<char*>(array_desc_->data->buffer.raw_ptr());
  }

  enum Status {
    // The output of a computation which has not been scheduled.
    unscheduled,
    // The array's computation has been scheduled (its data may not be ready yet).
    evaluated,
    // The array's data is ready to use.
    available
  };

  Status status() const;
  void set_status(Status s) const;

  /** True when the data is ready (a failed computation counts as not available). */
  bool is_available() const;

  /** Blocks until the array's computation has finished; rethrows the error if it failed. */
  void wait();

  Event& event() const { return array_desc_->event; }
  void attach_event(Event e) const { array_desc_->event = std::move(e); }
  void detach_event() const { array_desc_->event = Event{}; }

  void set_tracer(bool is_tracer) { array_desc_->is_tracer = is_tracer; }
  bool is_tracer() const;

  void set_data(allocator::Buffer buffer, Deleter d = allocator::free);

  void set_data(allocator::Buffer buffer, size_t data_size, Strides strides, Flags flags,
                Deleter d = allocator::free);

  void set_data(allocator::Buffer buffer, size_t data_size, Strides strides, Flags flags,
                int64_t offset, Deleter d = allocator::free);

  void copy_shared_buffer(const array& other, const Strides& strides, Flags flags, size_t data_size,
                          int64_t offset = 0);

  void copy_shared_buffer(const array& other);

  void overwrite_descriptor(const array& other) { array_desc_ = other.array_desc_; }

  ~array();

 private:
  void init_data();

  // Node states, changed atomically; a node is claimed (scheduled) before any thread runs it.
  enum class State : uint8_t { unscheduled, scheduled, available, failed };

  struct ArrayDesc {
    Shape shape;
    Strides strides;
    size_t size;
    Dtype dtype;
    std::shared_ptr<Primitive> primitive;

    std::atomic<State> state{State::unscheduled};
    // The error raised by the kernel that computed this node (or by one of its inputs).
    std::exception_ptr error;
    mutable Event event;

    std::shared_ptr<Data> data;
    void* data_ptr{nullptr};
    size_t data_size{0};
    Flags flags{};

    std::vector<array> inputs;
    std::vector<array> siblings;
    uint32_t position{0};
    bool is_tracer{false};

    explicit ArrayDesc(Shape shape, Dtype dtype);
    explicit ArrayDesc(Shape shape, Dtype dtype, std::shared_ptr<Primitive> primitive,
                       std::vector<array> inputs);
    ~ArrayDesc();

   private:
    void init();
  };

  std::shared_ptr<ArrayDesc> array_desc_;

  friend struct ArrayAccess;
};

template <detail::ArrayScalar T>
array::array(T val, Dtype dtype /* = TypeToDtype<T>() */)
    : array_desc_(std::make_shared<ArrayDesc>(Shape{}, dtype)) {
  init_data();
  detail::copy_to_dtype(&val, 1, dtype, data<void>());
}

template <typename It>
array::array(It data, const Shape& shape, Dtype dtype)
    : array_desc_(std::make_shared<ArrayDesc>(shape, dtype)) {
  init_data();
  detail::copy_to_dtype(data, size(), dtype, this->data<void>());
}

template <typename T>
array::array(std::initializer_list<T> data, Dtype dtype /* = TypeToDtype<T>() */)
    : array_desc_(std::make_shared<ArrayDesc>(Shape{static_cast<ShapeElem>(data.size())}, dtype)) {
  init_data();
  detail::copy_to_dtype(data.begin(), size(), dtype, this->data<void>());
}

template <typename T>
array::array(std::initializer_list<T> data, const Shape& shape, Dtype dtype)
    : array_desc_(std::make_shared<ArrayDesc>(shape, dtype)) {
  if (data.size() != size()) {
    throw std::invalid_argument("[array] Data size (" + std::to_string(data.size()) +
                                ") does not match the number of elements of the shape (" +
                                std::to_string(size()) + ").");
  }
  init_data();
  detail::copy_to_dtype(data.begin(), size(), dtype, this->data<void>());
}

namespace detail {
// Throws unless an item of C++ type size `item_size` can be read from the array.
void check_item(const array& a, size_t item_size, const char* caller);
}  // namespace detail

template <typename T>
T array::item() {
  detail::check_item(*this, sizeof(T), "item");
  eval();
  return *data<T>();
}

template <typename T>
T array::item() const {
  detail::check_item(*this, sizeof(T), "item");
  if (status() == Status::unscheduled) {
    throw std::invalid_argument("[item] item() const can only be called on evaluated arrays.");
  }
  const_cast<array*>(this)->eval();
  return *data<T>();
}

namespace detail {
template <typename It>
void copy_to_dtype(It src, size_t n, Dtype dtype, void* dst) {
  auto fill = [&](auto* out) {
    using To = std::remove_pointer_t<decltype(out)>;
    for (size_t i = 0; i < n; ++i, ++src) {
      out[i] = cast_value<To>(*src);
    }
  };
  switch (dtype) {
    case Dtype::Val::bool_:
      return fill(static_cast<bool*>(dst));
    case Dtype::Val::uint8:
      return fill(static_cast<uint8_t*>(dst));
    case Dtype::Val::uint16:
      return fill(static_cast<uint16_t*>(dst));
    case Dtype::Val::uint32:
      return fill(static_cast<uint32_t*>(dst));
    case Dtype::Val::uint64:
      return fill(static_cast<uint64_t*>(dst));
    case Dtype::Val::int8:
      return fill(static_cast<int8_t*>(dst));
    case Dtype::Val::int16:
      return fill(static_cast<int16_t*>(dst));
    case Dtype::Val::int32:
      return fill(static_cast<int32_t*>(dst));
    case Dtype::Val::int64:
      return fill(static_cast<int64_t*>(dst));
    case Dtype::Val::float16:
      return fill(static_cast<float16_t*>(dst));
    case Dtype::Val::float32:
      return fill(static_cast<float*>(dst));
    case Dtype::Val::float64:
      return fill(static_cast<double*>(dst));
    case Dtype::Val::bfloat16:
      return fill(static_cast<bfloat16_t*>(dst));
    case Dtype::Val::complex64:
      return fill(static_cast<complex64_t*>(dst));
  }
}
}  // namespace detail

template <typename T>
inline constexpr bool is_array_v =
    std::is_same_v<std::remove_cv_t<std::remove_reference_t<T>>, array>;

template <typename... T>
inline constexpr bool is_arrays_v = (is_array_v<T> && ...);

template <typename... T>
using enable_for_arrays_t = typename std::enable_if_t<is_arrays_v<T...>>;

}  // namespace mlx::core
