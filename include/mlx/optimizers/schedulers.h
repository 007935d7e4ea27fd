// Learning-rate schedules: functions of the optimizer's step counter, written with array ops so
// that a compiled training step recomputes the rate from its step inside the compiled graph.
#pragma once

#include <functional>
#include <vector>

#include "mlx/array.h"

namespace mlx::optimizers {

/**
 * A schedule maps the step counter (a scalar array of any numeric dtype; the optimizers pass
 * their uint64 `step`) to a float32 scalar. Being array-valued rather than `float(int)` as in MLX
 * Swift, a schedule traces into a compiled training step.
 */
using Schedule = std::function<core::array(const core::array& step)>;

/** init * decay_rate^step. */
Schedule exponential_decay(float init, float decay_rate);

/** init * decay_rate^floor(step / step_size); step_size must be positive. */
Schedule step_decay(float init, float decay_rate, int step_size);

/**
 * end + (init - end) * (1 + cos(pi * min(step, decay_steps) / decay_steps)) / 2: from init down
 * to end over decay_steps, then end; decay_steps must be positive.
 */
Schedule cosine_decay(float init, int decay_steps, float end = 0.0f);

/** From init to end linearly over steps (at least 1), then end. */
Schedule linear_schedule(float init, float end, int steps);

/**
 * schedules[0] before boundaries[0], then schedules[i] (counting its steps from boundaries[i-1])
 * up to boundaries[i], and so on. Needs one boundary fewer than schedules.
 */
Schedule join_schedules(std::vector<Schedule> schedules, std::vector<int> boundaries);

}  // namespace mlx::optimizers
