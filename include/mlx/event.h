// Events: counters that streams signal and threads or streams wait for.
#pragma once

#include <cstdint>
#include <memory>

#include "mlx/stream.h"

namespace mlx::core {

class Event {
 public:
  Event() = default;
  explicit Event(Stream stream);

  // Blocks the calling thread until the event reaches value().
  void wait();
  // Makes the stream wait (without blocking the caller) until the event reaches value().
  void wait(Stream stream);
  // Sets the event to value() once the work queued so far on the stream has finished.
  void signal(Stream stream);
  // Sets the event to value() now.
  void signal();

  bool is_signaled() const;
  bool valid() const { return state_ != nullptr; }

  uint64_t value() const { return value_; }
  void set_value(uint64_t v) { value_ = v; }

  const Stream& stream() const { return stream_; }

 private:
  struct State;
  Stream stream_{0, Device::cpu};
  std::shared_ptr<State> state_;
  uint64_t value_{0};
};

}  // namespace mlx::core
