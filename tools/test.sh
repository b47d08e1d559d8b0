#!/usr/bin/env bash
# The whole test suite: install what is missing, build with warnings as errors, run CTest.
# .ci/run calls this script, so CI and the README never drift apart.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --data --browser
build=${GRADFLOW_BUILD_DIR:-build-ci}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGRADFLOW_WERROR=ON >/dev/null
cmake --build "$build"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "$@"
