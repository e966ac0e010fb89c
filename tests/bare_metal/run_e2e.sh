#!/usr/bin/env bash
# ctest wrapper of the Python end-to-end tests (e2e_rtu_slave.py, e2e_rtu_router.py): skips (77)
# with the reason when QEMU or the cross compiler is missing; bounds the whole run with a timeout.
# Usage: run_e2e.sh <test script.py> <qemu-system-arm> <firmware.elf> [python3 with pymodbus]
set -euo pipefail
script=${1:?test script}
qemu=${2:?qemu-system-arm}
elf=${3:?firmware.elf}
python=${4:-/usr/bin/python3}
if ! command -v "$qemu" >/dev/null 2>&1; then
  echo "SKIP: $qemu not found (Debian: qemu-system-arm)"
  exit 77
fi
if ! command -v arm-none-eabi-g++ >/dev/null 2>&1; then
  echo "SKIP: arm-none-eabi-g++ not found, so no firmware images (Debian: gcc-arm-none-eabi)"
  exit 77
fi
if ! "$python" -c 'import pymodbus.client, serial' >/dev/null 2>&1; then
  # Not a reason to skip: these are project dependencies (scripts/install-deps.sh).
  echo "FAIL: $python cannot import pymodbus.client (Debian: python3-pymodbus python3-serial python3-serial-asyncio)" >&2
  exit 1
fi
if [[ ! -f $elf ]]; then
  echo "FAIL: $elf not found (did bare_metal_build run?)" >&2
  exit 1
fi
exec timeout --kill-after=5 240 "$python" "$script" "$qemu" "$elf"
