// The elementwise kernel layer on the CPU.
//
// Every elementwise row (an op at one dtype) is a *tile kernel*: a function over contiguous
// tiles, out[i] = f(in_0[i], in_1[i], ...) for i < n. The drivers here feed tile kernels from any
// inputs: contiguous ones directly, scalars (broadcast) through a tile filled with the value, and
// general strided ones by gathering each tile into a small buffer. Eager ops call
// run_elementwise; compile's fused regions call for_each_tile and chain several tile kernels per
// tile, so no kernel is ever written twice.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "mlx/array.h"

namespace mlx::core::cpu {

// Above this many output bytes, streaming stores pay: the output would only evict the inputs
// from the cache, and skipping the read-for-ownership saves a third of the memory traffic.
inline constexpr size_t kStreamingBytes = size_t(4) << 20;

using TileFn = void (*)(const void* const* inputs, void* out, size_t n);

// A float32 tile kernel whose inputs pass through a prologue first: input i, where the kernel
// has one, is taken to x * prologue[2i], x * x or (x * prologue[2i]) + prologue[2i + 1],
// rounded after each operation (compiled regions fold squares and multiplications and additions
// by constants into the ops that read them).
using PrologueFn = void (*)(const void* const* inputs, void* out, size_t n, const float* prologue);

// Elements per tile in the scalar-broadcast and strided paths: a handful of tiles fit in L1.
inline constexpr size_t kTileSize = 2048;

// Calls body(input_tiles, out_tile, n) over the whole output, in parallel chunks. The inputs have
// out's shape (any strides, broadcasts included; scalars have data_size() == 1). Each input tile
// is contiguous and holds n elements of that input's dtype; out_tile points into out's buffer.
// n never exceeds max_tile (contiguous inputs are passed straight through in chunks up to that
// size). `out` must already have row-contiguous data. Tile kernels may write `out` with
// non-temporal stores and leave the fence to this driver: one per chunk, after its last tile.
// Scalar inputs flagged in `first_only` (the body reads only their first element) are passed as
// their own one-element buffer instead of a filled tile.
using TileBody = std::function<void(const void* const* in, void* out, size_t n)>;
void for_each_tile(const std::vector<array>& inputs, array& out, const TileBody& body,
                   size_t max_tile = kTileSize, const std::vector<bool>& first_only = {});

// Allocates out (reusing a donatable input's buffer when it can) and runs fn over the inputs.
void run_elementwise(TileFn fn, const std::vector<array>& inputs, array& out);

// Whether `out` may take over `in`'s buffer: nobody else holds it, and it has out's dtype, size
// and a row-contiguous layout.
bool can_donate(const array& in, const array& out);

// The inputs, each large transposed one replaced by a row-contiguous copy: gathering it tile by
// tile would touch a new cache line per element; one blocked copy first costs much less.
std::vector<array> untranspose_large(const std::vector<array>& inputs);

// Gives `out` row-contiguous memory: the buffer of an input that nobody else holds, with the
// same dtype and size and a row-contiguous layout, or a new one.
void allocate_or_donate(const std::vector<array>& inputs, array& out);

}  // namespace mlx::core::cpu
