// Internal: stream workers. Each stream has one worker thread that runs its tasks in order.
#pragma once

#include <functional>
#include <mutex>

#include "mlx/stream.h"

namespace mlx::core::scheduler {

// Queues a task on the stream's worker. Tasks must not throw (they catch their own errors).
// Throws std::invalid_argument for a stream that does not exist (never created or cleared).
void enqueue(const Stream& s, std::function<void()> task);

// Held while eval claims nodes and enqueues their tasks, and while streams are destroyed, so a
// stream cannot vanish between the two.
std::mutex& eval_mutex();

// Throws std::invalid_argument unless the stream exists.
void check_stream(const Stream& s, const char* caller);

}  // namespace mlx::core::scheduler
