#!/usr/bin/env bash
# The README's test command and what CI runs: installs the Debian packages, then builds and tests
# every configuration gw promises. Warnings are errors everywhere.
#   GCC 12 developer build      - all unit and integration tests
#   Clang 14 + ASan + UBSan     - the same tests under sanitizers
#   core-only -fno-exceptions -fno-rtti - the core's tests in the bare-metal configuration
#   fuzz (Clang, libFuzzer)     - every corpus replayed as a ctest, then each fuzzer briefly
#   release                     - the benchmarks build and run once (figures are not judged here)
#   bare metal                  - firmware cross-built, tested in QEMU (when examples/bare_metal exists)
# Usage: scripts/test.sh [stage...]   (stages: dev asan core fuzz release; default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

bash scripts/install-deps.sh

jobs=$(nproc)
stages=("$@")
if ((${#stages[@]} == 0)); then stages=(dev asan core fuzz release); fi

banner() { printf '\n==== %s  [%dm%02ds since start] ====\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)); }

run_preset() {
  local preset=$1
  banner "configure + build: $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
}

run_ctest() {
  local preset=$1
  shift
  banner "ctest: $preset $*"
  ctest --preset "$preset" -j "$jobs" "$@"
}

for stage in "${stages[@]}"; do
  case "$stage" in
    dev)     run_preset dev; run_ctest dev ;;
    # The firmware is cross-built and run in QEMU once, in the dev stage: sanitizers do not apply.
    asan)    run_preset asan
             ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_ctest asan -LE bare_metal ;;
    core)    run_preset core-noexc; run_ctest core-noexc ;;
    fuzz)    run_preset fuzz; run_ctest fuzz
             if [[ -x fuzz/smoke.sh ]]; then banner "fuzz smoke"; fuzz/smoke.sh "$root/build/fuzz" "${GW_FUZZ_SECONDS:-15}"; fi ;;
    release) run_preset release
             if [[ -x bench/smoke.sh ]]; then banner "bench smoke"; bench/smoke.sh "$root/build/release"; fi ;;
    *) echo "unknown stage: $stage" >&2; exit 2 ;;
  esac
done
banner "all stages passed: ${stages[*]}"
