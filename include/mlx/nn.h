// mlx::nn: modules, layers, losses and initialisers (not included by mlx/mlx.h, to keep core
// compile times down).
#pragma once

#include "mlx/mlx.h"
#include "mlx/nested.h"
#include "mlx/nn/activations.h"
#include "mlx/nn/init.h"
#include "mlx/nn/layers/activations.h"
#include "mlx/nn/layers/containers.h"
#include "mlx/nn/layers/conv.h"
#include "mlx/nn/layers/dropout.h"
#include "mlx/nn/layers/embedding.h"
#include "mlx/nn/layers/linear.h"
#include "mlx/nn/layers/normalization.h"
#include "mlx/nn/layers/pooling.h"
#include "mlx/nn/layers/positional.h"
#include "mlx/nn/layers/quantized.h"
#include "mlx/nn/layers/recurrent.h"
#include "mlx/nn/layers/transformer.h"
#include "mlx/nn/layers/upsample.h"
#include "mlx/nn/losses.h"
#include "mlx/nn/module.h"
