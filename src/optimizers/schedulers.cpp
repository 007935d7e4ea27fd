// Schedules as array functions of the step (see include/mlx/optimizers/schedulers.h).
#include "mlx/optimizers/schedulers.h"

#include <numbers>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "mlx/ops.h"

namespace mlx::optimizers {

using core::array;

namespace {

array as_float(const array& step) { return core::astype(step, core::float32); }

}  // namespace

Schedule exponential_decay(float init, float decay_rate) {
  return [init, decay_rate](const array& step) {
    return array(init) * core::power(array(decay_rate), as_float(step));
  };
}

Schedule step_decay(float init, float decay_rate, int step_size) {
  if (step_size <= 0) {
    throw std::invalid_argument("[step_decay] step_size must be positive but got " +
                                std::to_string(step_size) + ".");
  }
  return [init, decay_rate, step_size](const array& step) {
    auto k = core::floor(as_float(step) / static_cast<double>(step_size));
    return array(init) * core::power(array(decay_rate), k);
  };
}

Schedule cosine_decay(float init, int decay_steps, float end) {
  if (decay_steps <= 0) {
    throw std::invalid_argument("[cosine_decay] decay_steps must be positive but got " +
                                std::to_string(decay_steps) + ".");
  }
  return [init, decay_steps, end](const array& step) {
    auto s = core::minimum(as_float(step), array(static_cast<float>(decay_steps)));
    auto decay =
        0.5f * (1.0f + core::cos(array(static_cast<float>(std::numbers::pi / decay_steps)) * s));
    return array(end) + decay * (init - end);
  };
}

Schedule linear_schedule(float init, float end, int steps) {
  if (steps < 1) {
    throw std::invalid_argument("[linear_schedule] steps must be at least 1 but got " +
                                std::to_string(steps) + ".");
  }
  return [init, end, steps](const array& step) {
    auto s = core::minimum(as_float(step), array(static_cast<float>(steps)));
    return s * ((end - init) / static_cast<float>(steps)) + init;
  };
}

Schedule join_schedules(std::vector<Schedule> schedules, std::vector<int> boundaries) {
  if (schedules.empty() || boundaries.size() + 1 != schedules.size()) {
    std::ostringstream msg;
    msg << "[join_schedules] Expected one boundary fewer than schedules but got "
        << schedules.size() << " schedules and " << boundaries.size() << " boundaries.";
    throw std::invalid_argument(msg.str());
  }
  return [schedules = std::move(schedules), boundaries = std::move(boundaries)](const array& step) {
    auto s = as_float(step);
    auto out = schedules[0](s);
    for (size_t i = 0; i < boundaries.size(); ++i) {
      auto b = array(static_cast<float>(boundaries[i]));
      out = core::where(core::less(s, b), out, schedules[i + 1](s - b));
    }
    return out;
  };
}

}  // namespace mlx::optimizers
