// Streams: ordered queues of work on a device.
#pragma once

#include <variant>
#include <vector>

#include "mlx/device.h"

namespace mlx::core {

struct Stream {
  int index;
  Device device;
  explicit Stream(int index, Device device) : index(index), device(device) {}
};

// A stream handle that stands for a different concrete stream on each thread that uses it.
struct ThreadLocalStream : Stream {
  explicit ThreadLocalStream(int index, Device device) : Stream(index, device) {}
};

// The calling thread's default stream for a device, created on first use.
Stream default_stream(Device d);

// Sets the calling thread's default stream for the stream's device.
void set_default_stream(Stream s);

// A new stream on the device. Every stream of ours may be used from any thread; see
// docs/streams.md.
Stream new_stream(Device d);

// A new stream meant to be shared between threads (MLX's name; all our streams allow this).
Stream new_thread_unsafe_stream(Device d);

// A handle that maps to one concrete stream per thread, created on first use by that thread.
ThreadLocalStream new_thread_local_stream(Device d);

// The calling thread's concrete stream for a thread-local stream handle.
Stream stream_from_thread_local_stream(ThreadLocalStream s);

// All live streams.
std::vector<Stream> get_streams();

bool operator==(const Stream& lhs, const Stream& rhs);
bool operator!=(const Stream& lhs, const Stream& rhs);
bool operator<(const Stream& lhs, const Stream& rhs);

// Waits for all work queued so far on the default stream of the default device.
void synchronize();
// Waits for all work queued so far on the stream.
void synchronize(Stream s);
void synchronize(ThreadLocalStream s);

// Finishes and destroys the streams created by the calling thread (its default streams
// included; they are created again on next use).
void clear_streams();

}  // namespace mlx::core
