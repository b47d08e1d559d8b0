#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for a bounded time; every
# test prints "<target>: N executions in S s, 0 findings" or the reproducer of a finding.
#   tools/fuzz.sh [SECONDS]     (default: $GRADFLOW_FUZZ_SECONDS, else 60)
# A crash found here becomes a file in tests/fuzz/regressions/<target>/, replayed by the
# ordinary test suite (tests/unit/test_fuzz_regressions.cpp).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-${GRADFLOW_FUZZ_SECONDS:-60}}
build=${GRADFLOW_FUZZ_BUILD_DIR:-build-fuzz}
# libFuzzer comes with clang's runtime package, which a fresh Debian 12 does not have.
if ! command -v "${FUZZ_CXX:-clang++}" >/dev/null 2>&1 ||
  ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    clang libclang-rt-14-dev >/dev/null
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
CC=${FUZZ_CC:-clang} CXX=${FUZZ_CXX:-clang++} cmake -S . -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRADFLOW_SANITIZE=ON -DGRADFLOW_FUZZ=ON \
  -DGRADFLOW_FUZZ_SECONDS="$seconds" -DGRADFLOW_WERROR=ON >/dev/null
# Only what the fuzz tests run: the whole suite already ran under sanitizers in tools/sanitize.sh.
cmake --build "$build" --target fuzz_graph fuzz_idx fuzz_csv fuzz_safetensors fuzz_checkpoint \
  fuzz_onnx
# --verbose shows each target's summary (run_fuzzer.sh keeps libFuzzer's own log to itself
# unless there is a finding).
ctest --test-dir "$build" -L fuzz --output-on-failure --verbose -j "$(nproc)"
