#!/usr/bin/env bash
# Runs every semihosted unit-test image listed in <build dir>/test_images.txt ("<machine> <elf>"
# per line) in QEMU; main's return value is QEMU's exit code. Each run is bounded by a timeout.
# Usage: run_target_tests.sh <qemu-system-arm> <build dir>
# Exit 77 (ctest: skipped) when QEMU or the cross compiler is not installed.
set -euo pipefail
qemu=${1:?qemu-system-arm}
build=${2:?build dir}
if ! command -v "$qemu" >/dev/null 2>&1; then
  echo "SKIP: $qemu not found (Debian: qemu-system-arm)"
  exit 77
fi
if ! command -v arm-none-eabi-g++ >/dev/null 2>&1; then
  echo "SKIP: arm-none-eabi-g++ not found, so no firmware images (Debian: gcc-arm-none-eabi)"
  exit 77
fi
manifest=$build/test_images.txt
if [[ ! -s $manifest ]]; then
  echo "FAIL: no test images listed in $manifest (did bare_metal_build run?)" >&2
  exit 1
fi

failed=0
ran=0
while read -r machine image; do
  [[ -n $machine ]] || continue
  echo "==== $(basename "$image") on $machine"
  log=$(mktemp)
  set +e
  timeout --kill-after=5 "${GW_BM_QEMU_TIMEOUT:-120}" "$qemu" -M "$machine" -nographic -monitor none \
    -semihosting-config enable=on,target=native -kernel "$image" </dev/null >"$log" 2>&1
  rc=$?
  set -e
  cat "$log"
  # A zero exit code alone would also pass an image that ran no test: require doctest's summary.
  if [[ $rc -ne 0 ]]; then
    echo "FAIL: $(basename "$image") exited with $rc"
    failed=$((failed + 1))
  elif ! grep -Eq '^\[doctest\] test cases: +[1-9][0-9]* \|.*\| +0 failed' "$log" ||
       ! grep -q 'Status: SUCCESS' "$log"; then
    echo "FAIL: $(basename "$image") printed no successful doctest summary"
    failed=$((failed + 1))
  fi
  ran=$((ran + 1))
  rm -f "$log"
done <"$manifest"

echo "==== $ran image(s), $failed failed"
[[ $ran -gt 0 && $failed -eq 0 ]]
