// Internal: the built-in primitives of the op families implemented so far. Each family's
// builders and rules live in src/ops/<family>.cpp; how it runs in src/backend/cpu/<family>.cpp.
#pragma once

#include "mlx/ops.h"
#include "ops/primitive_params.h"

namespace mlx::core {

// ---- copy family: materialising and converting data ----

// Converts to the output's dtype.
class AsType : public PrimitiveWithParams<UnaryPrimitive, Dtype> {
 public:
  AsType(Stream s, Dtype dtype) : PrimitiveWithParams(s, dtype) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "AsType"; }
};

// The same values; shares the input's buffer (arrays are immutable).
class Copy : public PrimitiveWithParams<UnaryPrimitive> {
 public:
  explicit Copy(Stream s) : PrimitiveWithParams(s) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Copy"; }
};

// Materialises its (broadcast) input into a new contiguous buffer.
class Full : public PrimitiveWithParams<UnaryPrimitive> {
 public:
  explicit Full(Stream s) : PrimitiveWithParams(s) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Full"; }
};

// ---- creation ----

class Arange : public PrimitiveWithParams<UnaryPrimitive, double, double, double> {
 public:
  Arange(Stream s, double start, double stop, double step)
      : PrimitiveWithParams(s, start, stop, step) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Arange"; }
};

// ---- shape family: views ----

class Reshape : public PrimitiveWithParams<UnaryPrimitive, Shape> {
 public:
  Reshape(Stream s, Shape shape) : PrimitiveWithParams(s, std::move(shape)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Reshape"; }
};

class Broadcast : public PrimitiveWithParams<UnaryPrimitive, Shape> {
 public:
  Broadcast(Stream s, Shape shape) : PrimitiveWithParams(s, std::move(shape)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Broadcast"; }
};

class Slice : public PrimitiveWithParams<UnaryPrimitive, Shape, Shape, Shape> {
 public:
  Slice(Stream s, Shape start, Shape stop, Shape strides)
      : PrimitiveWithParams(s, std::move(start), std::move(stop), std::move(strides)) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "Slice"; }
};

// ---- binary elementwise ----

enum class BinaryOp { Add, Multiply };

// One primitive for the whole family; the op is a row of the table in src/ops/binary.cpp.
class Binary : public PrimitiveWithParams<UnaryPrimitive, BinaryOp> {
 public:
  Binary(Stream s, BinaryOp op) : PrimitiveWithParams(s, op) {}
  BinaryOp op() const { return std::get<0>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override;
  // The name already says which op it is.
  void print(std::ostream& os) const override { os << name(); }
};

}  // namespace mlx::core
