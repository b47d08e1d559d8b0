#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer (GCC by default;
# CC/CXX pick another compiler). The built-in plugin is built with the same flags in the same
# tree, so the instrumented host dlopen()s an instrumented plugin.
#   tools/sanitize.sh [ctest arguments...]
# Tests labelled "slow" (the CNN accuracy bars: minutes of training, hours under ASan) are left
# out unless GRADFLOW_SANITIZE_SLOW=1; the ops they train have their own, fast tests.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${GRADFLOW_ASAN_BUILD_DIR:-build-asan}
# halt_on_error: the first report fails the test that caused it, instead of scrolling past.
# detect_leaks: graph-runner and the tests must free what they allocate; dlopen()ed plugins
# stay loaded on purpose, which LSan does not count as a leak.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRADFLOW_SANITIZE=ON \
  -DGRADFLOW_WERROR=ON >/dev/null
cmake --build "$build"
skip_slow=(-LE slow)
[[ ${GRADFLOW_SANITIZE_SLOW:-0} == 1 ]] && skip_slow=()
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "${skip_slow[@]}" "$@"
