// Primitives: the operations the graph is made of. Public so users can add their own, as MLX's
// custom-extension guide shows (subclass Primitive or UnaryPrimitive, then build outputs with
// `array(shape, dtype, primitive, inputs)`).
#pragma once

#include <ostream>
#include <utility>
#include <vector>

#include "mlx/array.h"
#include "mlx/device.h"
#include "mlx/stream.h"

namespace mlx::core {

class Primitive {
 public:
  explicit Primitive(Stream stream) : stream_(stream) {}

  /** The device the primitive will run on. */
  const Device& device() { return stream().device; }

  /** The stream the primitive will run on. */
  const Stream& stream() { return stream_; }

  /**
   * Computes the outputs from the inputs on the CPU. The outputs' shapes and dtypes are set;
   * the primitive allocates their data (set_data or copy_shared_buffer).
   */
  virtual void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) = 0;
  virtual void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) = 0;

  /** Forward-mode derivative: the outputs' tangents given the inputs' tangents at `argnums`. */
  virtual std::vector<array> jvp(const std::vector<array>& primals,
                                 const std::vector<array>& tangents,
                                 const std::vector<int>& argnums);

  /** Reverse-mode derivative: the cotangents of the inputs at `argnums`. */
  virtual std::vector<array> vjp(const std::vector<array>& primals,
                                 const std::vector<array>& cotangents,
                                 const std::vector<int>& argnums,
                                 const std::vector<array>& outputs);

  /** The primitive applied over a batch: the outputs and the axes they are batched along. */
  virtual std::pair<std::vector<array>, std::vector<int>> vmap(const std::vector<array>& inputs,
                                                               const std::vector<int>& axes);

  /** The name of the primitive, for printing and errors. */
  virtual const char* name() const = 0;

  /** True when `other` computes the same function of its inputs as this primitive. */
  virtual bool is_equivalent(const Primitive& /* other */) const { return false; }

  /** The output shapes for given inputs (only needed by shapeless compile). */
  virtual std::vector<Shape> output_shapes(const std::vector<array>& inputs);

  /** A hash consistent with is_equivalent (used by compile's cache and simplification). */
  virtual size_t hash() const;

  /** Writes the name and, for built-in primitives, the parameters. */
  virtual void print(std::ostream& os) const;

  virtual ~Primitive() = default;
  Primitive(const Primitive& other) = delete;
  Primitive(Primitive&& other) = delete;
  Primitive& operator=(const Primitive& other) = delete;
  Primitive& operator=(Primitive&& other) = delete;

 private:
  // Every primitive runs on a stream and may have different device specific implementations.
  Stream stream_;
};

class UnaryPrimitive : public Primitive {
  /**
   * An abstract base class for a primitive with a single output.
   */
 public:
  explicit UnaryPrimitive(Stream stream) : Primitive(stream) {}

  virtual void eval_cpu(const std::vector<array>& inputs, array& output) = 0;
  virtual void eval_gpu(const std::vector<array>& inputs, array& output) = 0;

  inline void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override {
    eval_cpu(inputs, outputs[0]);
  }
  inline void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override {
    eval_gpu(inputs, outputs[0]);
  }

  virtual ~UnaryPrimitive() = default;
  UnaryPrimitive(const UnaryPrimitive& other) = delete;
  UnaryPrimitive(UnaryPrimitive&& other) = delete;
  UnaryPrimitive& operator=(const UnaryPrimitive& other) = delete;
  UnaryPrimitive& operator=(UnaryPrimitive&& other) = delete;
};

std::ostream& operator<<(std::ostream& os, const Primitive& p);

}  // namespace mlx::core
