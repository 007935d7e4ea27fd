// mlx::nn: modules, layers, losses and initialisers (not included by mlx/mlx.h, to keep core
// compile times down).
#pragma once

#include "mlx/mlx.h"
#include "mlx/nested.h"
#include "mlx/nn/module.h"
