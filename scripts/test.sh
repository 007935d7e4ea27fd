#!/usr/bin/env bash
# Builds the library and the test suite (release preset) and runs every test.
# Usage: bash scripts/test.sh [preset]   (release by default; debug and asan also work)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"

bash scripts/setup.sh

start=$(date +%s)
cmake --preset "$preset" -DMLX_BUILD_TESTS=ON
cmake --build --preset "$preset" -j "$(nproc)"
built=$(date +%s)
echo "build wall time: $((built - start)) s"

ctest --preset "$preset" -j "$(nproc)" --timeout 600
done_=$(date +%s)
echo "test wall time: $((done_ - built)) s"
echo "total wall time: $((done_ - start)) s"
