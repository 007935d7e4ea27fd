#!/usr/bin/env bash
# Builds the library and runs the main demo and the examples (tutorial, linear and logistic
# regression trained with value_and_grad: their losses go down; concurrent inference requests
# taking wired-memory tickets, with the event stream).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

cmake --preset release -DMLX_BUILD_TESTS=OFF
cmake --build --preset release -j "$(nproc)" --target demo tutorial linear_regression logistic_regression wired_memory
for example in demo tutorial linear_regression logistic_regression wired_memory; do
  echo "== examples/$example"
  "./build/release/examples/$example"
done
