#!/usr/bin/env bash
# The README's run command: installs the Debian packages, builds the gateway program and runs it.
# Without arguments it runs the embedded default (a simulated RTU device on a virtual serial
# line, Modbus TCP on 127.0.0.1:1502, priority listener on 127.0.0.1:1503). Arguments are passed
# to gw_gateway, e.g.:  scripts/run.sh --serial /dev/ttyUSB0 --baud 19200 --listen 127.0.0.1:1502
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target gw_gateway
exec build/release/examples/gateway/gw_gateway "$@"
