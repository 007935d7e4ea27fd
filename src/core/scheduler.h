// Internal: stream workers. Each stream has one worker thread that runs its tasks in order.
#pragma once

#include <functional>
#include <memory>
#include <mutex>

#include "mlx/stream.h"

namespace mlx::core::scheduler {

class StreamWorker;

// Queues a task on the stream's worker. Tasks must not throw (they catch their own errors).
void enqueue(StreamWorker& worker, std::function<void()> task);

// Takes the worker's turn for the calling thread when no task runs or waits on it: until
// release(), tasks queued behind wait, so the caller may run its next task itself, in order.
// A synchronous eval does, under eval_mutex(): it would only wait for the worker, and handing a
// task over costs a wake-up each way (tens of microseconds in a VM).
bool try_claim_idle(StreamWorker& worker);
void release(StreamWorker& worker);

// The stream's worker. Throws std::invalid_argument, naming the caller, for a stream that does
// not exist (never created or cleared).
std::shared_ptr<StreamWorker> worker(const Stream& s, const char* caller);

// Queues a task on the stream (worker(s, "eval") then enqueue).
void enqueue(const Stream& s, std::function<void()> task);

// Held while eval claims nodes and enqueues their tasks, and while streams are destroyed, so a
// stream cannot vanish between the two.
std::mutex& eval_mutex();

// Throws std::invalid_argument unless the stream exists.
void check_stream(const Stream& s, const char* caller);

}  // namespace mlx::core::scheduler
