#!/bin/bash -u
# Runs every libFuzzer harness of a build for a few seconds from its seed corpus and fails on any
# finding (crash, property violation, leak, timeout, out-of-memory). CI calls it after the ctest
# corpus replay, e.g. `fuzz/smoke.sh build/fuzz 20` (docs/fuzzing.md).
#
#   fuzz/smoke.sh <build-dir> <seconds per fuzzer>
#
# <build-dir> is a CMake build directory (fuzzers in <build-dir>/fuzz) or a directory holding the
# fuzzers directly (fuzz/build.sh's $OUT). The committed corpora are not modified: each run works
# on a copy. Reproducers of findings are kept in $SMOKE_ARTIFACTS (default <build-dir>/fuzz-smoke).

if [ $# -ne 2 ]; then
    echo "usage: $0 <build-dir> <seconds per fuzzer>" >&2
    exit 2
fi
build="$1"
seconds="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin_dir="$build/fuzz"
[ -d "$bin_dir" ] || bin_dir="$build"
artifacts="${SMOKE_ARTIFACTS:-$build/fuzz-smoke}"
mkdir -p "$artifacts"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failed=()
ran=0
for bin in "$bin_dir"/*_fuzzer; do
    [ -x "$bin" ] || continue
    name="$(basename "$bin" _fuzzer)"
    if ! "$bin" -help=1 2>&1 | grep -q "libFuzzer"; then
        echo "skip $name: not a libFuzzer binary (corpus replayer of a non-Clang build)"
        continue
    fi
    corpus="$work/$name"
    mkdir -p "$corpus"
    [ -d "$here/$name/corpus" ] && cp "$here/$name/corpus/"* "$corpus/" 2>/dev/null
    dict=()
    [ -f "$here/$name/$name.dict" ] && dict=(-dict="$here/$name/$name.dict")
    log="$artifacts/$name.log"
    "$bin" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts/$name-" >"$log" 2>&1
    status=$?
    ran=$((ran + 1))
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')"
    cov="$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')"
    if [ $status -ne 0 ]; then
        failed+=("$name")
        echo "FAIL $name (exit $status), log: $log"
        grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
    else
        echo "ok   $name: ${execs:-?} runs, ${cov:-no coverage line}"
    fi
done

if [ $ran -eq 0 ]; then
    echo "no libFuzzer binaries in $bin_dir" >&2
    exit 1
fi
if [ ${#failed[@]} -gt 0 ]; then
    echo "findings in: ${failed[*]} (reproducers in $artifacts)"
    exit 1
fi
echo "all $ran fuzzers ran ${seconds}s without finding"
