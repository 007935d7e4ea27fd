// Random numbers: keys, the default key sequence, bits and split (RandomBits), and the
// distributions, built from ops on bits exactly as MLX builds them so that a key gives the
// same numbers.
#include "mlx/random.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include "ops/ops.h"

namespace mlx::core {

namespace {

Dtype bits_dtype(int width) {
  switch (width) {
    case 1:
      return uint8;
    case 2:
      return uint16;
    case 4:
      return uint32;
    default: {
      std::ostringstream msg;
      msg << "[bits] Bit width must be in {1, 2, 4} but got " << width << ".";
      throw std::invalid_argument(msg.str());
    }
  }
}

void check_shape(const Shape& shape, const char* op) {
  for (auto d : shape) {
    if (d < 0) {
      std::ostringstream msg;
      msg << "[" << op << "] Negative dimensions are not allowed, got shape " << shape << ".";
      throw std::invalid_argument(msg.str());
    }
  }
}

uint64_t clock_seed() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

}  // namespace

namespace random {

KeySequence::KeySequence(uint64_t seed) : key_(key(seed)) {}

void KeySequence::seed(uint64_t seed) { key_ = key(seed); }

array KeySequence::next() {
  auto [current, out] = random::split(key_);
  key_ = current;
  return out;
}

KeySequence& KeySequence::default_() {
  static thread_local KeySequence sequence(clock_seed());
  return sequence;
}

array key(uint64_t seed) {
  return array({static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(seed)});
}

void seed(uint64_t seed) { KeySequence::default_().seed(seed); }

array bits(const Shape& shape, int width, const std::optional<array>& key_, StreamOrDevice s) {
  auto dtype = bits_dtype(width);
  check_shape(shape, "bits");
  if (key_) {
    if (key_->dtype() != uint32) {
      std::ostringstream msg;
      msg << "[bits] Expected key type uint32 but received " << key_->dtype() << ".";
      throw std::invalid_argument(msg.str());
    }
    if (key_->shape() != Shape{2}) {
      std::ostringstream msg;
      msg << "[bits] Expected key shape (2) but received " << key_->shape() << ".";
      throw std::invalid_argument(msg.str());
    }
  }
  auto key = key_ ? *key_ : KeySequence::default_().next();
  return array(shape, dtype, std::make_shared<RandomBits>(to_stream(s), shape, width), {key});
}

std::pair<array, array> split(const array& key, StreamOrDevice s) {
  auto stream = to_stream(s);
  auto keys = random::split(key, 2, stream);
  return {reshape(slice(keys, {0, 0}, {1, 2}, stream), {2}, stream),
          reshape(slice(keys, {1, 0}, {2, 2}, stream), {2}, stream)};
}

array split(const array& key, int num, StreamOrDevice s) { return bits({num, 2}, 4, key, s); }

}  // namespace random

// ---- transform rules ----

// Keys are not differentiable: their cotangents and the output's tangents are zero.
std::vector<array> RandomBits::vjp(const std::vector<array>& primals, const std::vector<array>&,
                                   const std::vector<int>& argnums, const std::vector<array>&) {
  return {zeros_like(primals[0], stream())};
}
std::vector<array> RandomBits::jvp(const std::vector<array>&, const std::vector<array>&,
                                   const std::vector<int>&) {
  auto& [shape, width] = state_;
  return {zeros(shape, bits_dtype(width), stream())};
}

// A batch of keys gives a batch of independent draws, as in MLX: the batch axis moves in front
// of the key pair and of the per-key shape.
std::pair<std::vector<array>, std::vector<int>> RandomBits::vmap(const std::vector<array>& inputs,
                                                                 const std::vector<int>& axes) {
  auto [shape, width] = state_;
  auto key = inputs[0];
  if (axes[0] >= 0) {
    key = move_batch_axis(key, axes[0], 0, stream());
    shape.insert(shape.begin(), key.shape(0));
  }
  auto out =
      array(shape, bits_dtype(width), std::make_shared<RandomBits>(stream(), shape, width), {key});
  return {{out}, {axes[0] >= 0 ? 0 : -1}};
}

}  // namespace mlx::core
