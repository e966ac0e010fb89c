#!/usr/bin/env bash
# Installs the Debian 12 packages gw needs to build, test, fuzz and benchmark.
# Idempotent and quick when everything is present: apt is only called for what is missing.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ clang-14 libclang-rt-14-dev clang-format clang-tidy zip
  # libraries
  libasio-dev libboost1.81-dev libboost-json1.81-dev libwolfssl-dev doctest-dev libbenchmark-dev
  libcli11-dev
  # throwaway certificates for the TLS tests and the built-in default's demo PKI (the openssl
  # command-line tool), and the scanners the Modbus/TCP Security tests run against the listener
  openssl nmap testssl.sh
  # a network namespace with its own loopback for the test of the fixed-port built-in default
  iproute2
  # real Modbus peers and virtual serial lines for integration tests and baselines
  libmodbus-dev mbpoll python3-pymodbus python3-serial python3-serial-asyncio socat
  # bare metal: cross compiler, newlib and QEMU
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm
  # a real syslog receiver (UDP, TCP, TLS) for the remote syslog tests
  rsyslog rsyslog-openssl
  # benchmark plots, and stunnel (the TLS terminator gw's built-in TLS is measured against)
  gnuplot-nox stunnel4
  # the management console in a real browser (tests/mgmt/console_browser.py) and the syntax
  # check of its script
  chromium chromium-driver python3-selenium nodejs
  # the decoder the pcap export of serial-line traffic is checked with (docs/management.md)
  tshark
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
