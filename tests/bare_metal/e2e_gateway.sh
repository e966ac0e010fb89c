#!/usr/bin/env bash
# End to end through the gateway: Modbus TCP masters (mbpoll and pymodbus ModbusTcpClient) ->
# gw_gateway on 127.0.0.1 -> pty -> the RTU slave firmware running in QEMU (lm3s6965evb).
# Usage: e2e_gateway.sh <gw_gateway> [qemu-system-arm] [gw_rtu_slave.elf] [python3 with pymodbus]
# Exit 77 (ctest: skipped) when QEMU or the cross compiler is missing. Every wait is bounded;
# QEMU and the gateway are stopped on every path (EXIT trap), and `timeout` bounds their
# lifetime even if this script is killed with SIGKILL.
set -euo pipefail
gateway=${1:?gw_gateway binary}
qemu=${2:-qemu-system-arm}
here=$(cd "$(dirname "$0")" && pwd)
elf=${3:-$here/../../build/bare-metal/gw_rtu_slave.elf}  # as built in docs/bare-metal.md
python=${4:-/usr/bin/python3}
lifetime=${GW_BM_E2E_LIFETIME:-240}  # seconds QEMU and the gateway may live at most

if ! command -v "$qemu" >/dev/null 2>&1; then
  echo "SKIP: $qemu not found (Debian: qemu-system-arm)"
  exit 77
fi
if ! command -v arm-none-eabi-g++ >/dev/null 2>&1; then
  echo "SKIP: arm-none-eabi-g++ not found, so no firmware images (Debian: gcc-arm-none-eabi)"
  exit 77
fi
for f in "$gateway" "$elf"; do
  [[ -f $f ]] || { echo "FAIL: $f not found" >&2; exit 1; }
done
command -v mbpoll >/dev/null 2>&1 || { echo "FAIL: mbpoll not found (Debian: mbpoll)" >&2; exit 1; }
"$python" -c 'import pymodbus.client' 2>/dev/null ||
  { echo "FAIL: $python cannot import pymodbus.client" >&2; exit 1; }

work=$(mktemp -d)
qemu_pid=""
gateway_pid=""
cleanup() {
  local rc=$?
  for pid in $gateway_pid $qemu_pid; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $gateway_pid $qemu_pid; do
    # Bounded: give each 5 s, then SIGKILL.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ $rc -ne 0 ]]; then
    echo "---- QEMU output"; cat "$work/qemu.log" 2>/dev/null || true
    echo "---- gateway output"; cat "$work/gateway.log" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for <seconds> <command...>: polls the command every 0.1 s until it succeeds.
wait_for() {
  local limit=$1; shift
  local deadline=$((SECONDS + limit))
  until "$@"; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.1
  done
}

timeout --kill-after=5 "$lifetime" "$qemu" -M lm3s6965evb -nographic -monitor none -serial pty \
  -kernel "$elf" </dev/null >"$work/qemu.log" 2>&1 &
qemu_pid=$!
alive() { kill -0 "$1" 2>/dev/null || { echo "FAIL: $2 exited early" >&2; exit 1; }; }
pty_printed() { alive "$qemu_pid" QEMU; grep -q 'redirected to /dev/pts/[0-9]* (label serial0)' "$work/qemu.log"; }
wait_for 20 pty_printed || { echo "FAIL: QEMU printed no pty path" >&2; exit 1; }
pty=$(grep -o '/dev/pts/[0-9]*' "$work/qemu.log" | head -1)
echo "firmware UART0 on $pty"

port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# --retries 2: QEMU's pty backend switches to "connected" on a 1 s poll, and a frame that
# crosses that switch can be lost (CI saw one FC 16 time out right after a successful read). The
# gateway's own retry covers it, as it would on a noisy line; a firmware that never answered
# would still fail every check.
timeout --kill-after=5 "$lifetime" "$gateway" --serial "$pty" --baud 115200 --parity none \
  --retries 2 --listen "127.0.0.1:$port" --state-dir "$work/state" </dev/null >"$work/gateway.log" 2>&1 &
gateway_pid=$!
listening() {
  alive "$gateway_pid" "the gateway"
  "$python" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$port" 2>/dev/null
}
wait_for 20 listening || { echo "FAIL: the gateway does not listen on 127.0.0.1:$port" >&2; exit 1; }
echo "gateway listening on 127.0.0.1:$port"

# Readiness: QEMU notices that the pty was opened within about a second; until then a request
# may time out (0x0B from the gateway). Poll with mbpoll itself until a read succeeds.
mbpoll_read() { mbpoll -m tcp -a 1 -p "$port" -t 4 -r 1 -c 10 -1 -o 1 127.0.0.1 >"$work/mbpoll.out" 2>&1; }
wait_for 30 mbpoll_read || { echo "FAIL: no successful mbpoll read:"; cat "$work/mbpoll.out"; exit 1; }
echo "ok   mbpoll reads 10 holding registers through the gateway"

# The checks proper: pymodbus writes and reads, mbpoll sees the same data.
exec_checks=("$python" "$here/e2e_gateway_checks.py" "$port")
"${exec_checks[@]}"

echo "all checks passed"
