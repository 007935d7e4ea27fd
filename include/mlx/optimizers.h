// mlx::optimizers: optimizers, learning-rate schedules, gradient clipping and the compiled
// training step (MLXOptimizers in C++). Not included by mlx/mlx.h. See docs/optimizers.md.
#pragma once

#include "mlx/optimizers/optimizers.h"
#include "mlx/optimizers/schedulers.h"
#include "mlx/optimizers/training.h"
