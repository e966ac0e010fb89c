#!/usr/bin/env bash
# Proves that the firmware's post-build check can fail, so that its passing means something:
#  1. gw_heap_canary (a firmware calling operator new) must fail to build with "forbidden symbol",
#     and its image must be gone.
#  2. check_image.cmake must reject the real RTU slave against a 1 KiB flash budget.
# Usage: check_rejects.sh <gw source dir> <build dir> (after build_and_check.sh)
set -euo pipefail
src=${1:?gw source dir}
build=${2:?build dir}
if ! command -v arm-none-eabi-g++ >/dev/null 2>&1; then
  echo "SKIP: arm-none-eabi-g++ not found"
  exit 77
fi
status=0

log=$(mktemp)
trap 'rm -f "$log" "$build/budget_probe.elf"' EXIT
if cmake --build "$build" --target gw_heap_canary >"$log" 2>&1; then
  echo "FAIL: gw_heap_canary built although it calls operator new"
  status=1
elif ! grep -q 'forbidden symbol(s) linked:.*\(malloc\|_Znwj\)' "$log"; then
  echo "FAIL: gw_heap_canary failed, but not on the symbol check:"
  cat "$log"
  status=1
elif [[ -e $build/gw_heap_canary.elf ]]; then
  echo "FAIL: the rejected gw_heap_canary.elf was left behind"
  status=1
else
  echo "ok   heap canary rejected: $(grep -o 'forbidden symbol(s) linked:.*' "$log" | head -1)"
fi

cp "$build/gw_rtu_slave.elf" "$build/budget_probe.elf"
if cmake -DELF="$build/budget_probe.elf" -DNM=arm-none-eabi-nm -DSIZE=arm-none-eabi-size \
     -DFLASH_BUDGET=1024 -DRAM_BUDGET=65536 -P "$src/examples/bare_metal/check_image.cmake" >"$log" 2>&1; then
  echo "FAIL: a 1 KiB flash budget accepted the RTU slave"
  status=1
elif ! grep -q 'over budget 1024 B' "$log"; then
  echo "FAIL: the budget check failed for another reason:"
  cat "$log"
  status=1
else
  echo "ok   budget check rejects the slave against 1 KiB of flash"
fi
exit $status
