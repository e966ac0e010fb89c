#!/usr/bin/python3
"""Diagnostic, not a ctest: shows that the RTU slave firmware in QEMU drops a request that arrives
with a gap longer than t3.5 in the middle, which is what a starved QEMU does to every frame it
passes on (docs/testing.md, "The bare-metal end-to-end tests and `ctest -j`").

Usage: probe_gap.py <qemu-system-arm> <gw_rtu_slave.elf>
Writes FC 3 requests to the firmware's pty in two parts with a pause of 0, 1, 5 and 20 ms
between them (the pause is the experiment, not synchronisation) and counts the answers.
"""

import os
import select
import sys
import termios
import time
import tty

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_rtu_slave import rtu  # noqa: E402
from qemu_pty import QemuFirmware  # noqa: E402


def reply(fd, size, timeout):
    data = b""
    deadline = time.monotonic() + timeout
    while len(data) < size and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if ready:
            data += os.read(fd, size - len(data))
    return data


def main():
    qemu, elf = sys.argv[1], sys.argv[2]
    request = rtu(1, bytes([3, 0, 0, 0, 1]))
    with QemuFirmware(qemu, elf) as firmware:
        fd = os.open(firmware.ptys[0], os.O_RDWR | os.O_NOCTTY)
        tty.setraw(fd)
        for _ in range(30):  # until QEMU has noticed the pty (about a second)
            os.write(fd, request)
            if len(reply(fd, 7, 1.0)) == 7:
                break
        for gap_ms in (0, 1, 5, 20):
            answered = 0
            for _ in range(5):
                termios.tcflush(fd, termios.TCIOFLUSH)
                os.write(fd, request[:4])
                time.sleep(gap_ms / 1000)
                os.write(fd, request[4:])
                answered += len(reply(fd, 7, 0.5)) == 7
            print("pause of %2d ms mid-request: %d of 5 answered" % (gap_ms, answered), flush=True)
        os.close(fd)


if __name__ == "__main__":
    main()
