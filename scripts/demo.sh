#!/usr/bin/env bash
# Builds the library and runs the main demo (a transformer trained from scratch on 3-digit
# addition, checkpointed and reloaded), then the other examples (an MLP classifier; a tutorial;
# linear and logistic regression trained with value_and_grad: their losses go down; concurrent
# inference requests taking wired-memory tickets, with the event stream).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

examples="transformer_addition mnist_mlp demo tutorial linear_regression logistic_regression wired_memory"
cmake --preset release -DMLX_BUILD_TESTS=OFF
# shellcheck disable=SC2086
cmake --build --preset release -j "$(nproc)" --target $examples
for example in $examples; do
  echo "== examples/$example"
  (cd build/release/examples && "./$example")  # the main demo writes its checkpoint there
done
