// Internal: all built-in primitives. Each family's builders and rules live in
// src/ops/<family>.cpp, its primitives in src/ops/<family>.h, how it runs in
// src/backend/cpu/<family>.cpp.
#pragma once

#include "ops/compare.h"
#include "ops/compiled.h"
#include "ops/conv.h"
#include "ops/creation.h"
#include "ops/custom.h"
#include "ops/elementwise.h"
#include "ops/fast.h"
#include "ops/fft.h"
#include "ops/gather.h"
#include "ops/gradient.h"
#include "ops/indexing.h"
#include "ops/io.h"
#include "ops/linalg.h"
#include "ops/matmul.h"
#include "ops/quantized.h"
#include "ops/random.h"
#include "ops/reduce.h"
#include "ops/scan.h"
#include "ops/shape.h"
#include "ops/sort.h"
