// Internal: primitives of the sort family (src/ops/sort.cpp builds them, src/backend/cpu/sort.cpp
// runs them).
#pragma once

#include "mlx/ops.h"
#include "ops/primitive_params.h"

namespace mlx::core {

// The order is the order of the names in src/ops/sort.cpp.
enum class SortOp { Sort, ArgSort, Partition, ArgPartition };

// Sorts each line of its input along `axis` (non-negative), stably, NaN (of either sign) last;
// or partitions it around position `kth` (non-negative; ignored by the sorts). The value
// variants keep the dtype, the arg variants give uint32 indices along the axis. A partition is
// the value gathered through the arg partition, so the two always agree (the derivative rules
// rely on it).
class Sort : public PrimitiveWithParams<UnaryPrimitive, SortOp, int, int> {
 public:
  Sort(Stream s, SortOp op, int axis, int kth) : PrimitiveWithParams(s, op, axis, kth) {}
  SortOp op() const { return std::get<0>(state_); }
  int axis() const { return std::get<1>(state_); }
  int kth() const { return std::get<2>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override;
  MLX_TRANSFORM_RULES()
};

// Moves the elements of input 0 along `axis` by the permutations in input 1 (uint32, same
// shape): out[.., i, ..] = x[.., idx[i], ..], or with `inverse` out[.., idx[i], ..] = x[.., i, ..].
// It carries the derivatives of sort, partition and topk until a general gather/scatter along
// an axis exists; being a permutation, its own derivative is the inverse permutation.
class AxisPermute : public PrimitiveWithParams<UnaryPrimitive, int, bool> {
 public:
  AxisPermute(Stream s, int axis, bool inverse) : PrimitiveWithParams(s, axis, inverse) {}
  int axis() const { return std::get<0>(state_); }
  bool inverse() const { return std::get<1>(state_); }
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "AxisPermute"; }
  MLX_TRANSFORM_RULES()
};

// For each value of input 1 (shape batch + (m,)), where it would go in the matching sorted line
// of input 0 (shape batch + (n,), same dtype): before equal values, or after them with `right`.
// NaN sorts last, as in Sort. uint32.
class SearchSorted : public PrimitiveWithParams<UnaryPrimitive, bool> {
 public:
  SearchSorted(Stream s, bool right) : PrimitiveWithParams(s, right) {}
  void eval_cpu(const std::vector<array>& inputs, array& out) override;
  void eval_gpu(const std::vector<array>&, array&) override { no_gpu_backend(name()); }
  const char* name() const override { return "SearchSorted"; }
  MLX_TRANSFORM_RULES()
};

}  // namespace mlx::core
