#!/usr/bin/env bash
# Builds the library and runs the main demo.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

cmake --preset release -DMLX_BUILD_TESTS=OFF
cmake --build --preset release -j "$(nproc)" --target demo
./build/release/examples/demo
