#!/usr/bin/env bash
# Runs one libFuzzer binary for a bounded time; used by the "fuzz: <target>" CTest tests.
#   run_fuzzer.sh BINARY SECONDS WORK_CORPUS SEED_CORPUS REGRESSIONS [libFuzzer flags...]
# New inputs go to WORK_CORPUS (the build tree), so the committed seeds never change. Exits
# non-zero on any finding (crash, sanitizer report, leak, timeout, OOM) and always prints the
# number of executions, which is what the hardening report quotes.
set -uo pipefail
binary=$1 seconds=$2 work=$3 seeds=$4 regressions=$5
shift 5
name=$(basename "$binary")
mkdir -p "$work"
artifacts="$work/../../findings/$name/"
mkdir -p "$artifacts"
: "${ASAN_OPTIONS:=halt_on_error=1:detect_leaks=1:abort_on_error=0}"
: "${UBSAN_OPTIONS:=halt_on_error=1:print_stacktrace=1}"
export ASAN_OPTIONS UBSAN_OPTIONS
dirs=("$work" "$seeds")
[ -d "$regressions" ] && dirs+=("$regressions")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# -timeout: an input that takes 10 s is a hang; -rss_limit_mb: one that needs 2 GiB is an OOM.
"$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts" "$@" "${dirs[@]}" >"$log" 2>&1
status=$?
runs=$(grep -oE 'Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -n 1)
if [ "$status" -ne 0 ] || [ -z "$runs" ]; then
  tail -n 80 "$log"
  echo "$name: FINDING (exit $status) -- reproducer in $artifacts"
  ls -l "$artifacts"
  exit 1
fi
grep -E 'INITED|stat::' "$log"
echo "$name: $runs executions in $seconds s, 0 findings"
