"""Runs a firmware image in QEMU with its UARTs on pseudo-terminals, for the end-to-end tests.

QEMU prints "char device redirected to /dev/pts/N (label serialK)" for each `-serial pty`; the
paths are parsed from its output (bounded wait). QEMU dies with this process on every path: it is
terminated by stop() / the context manager, and the kernel kills it (PR_SET_PDEATHSIG) if the test
process itself is killed, e.g. by a ctest timeout.
"""

import ctypes
import os
import re
import select
import signal
import subprocess
import time

_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class QemuFirmware:
    def __init__(self, qemu, elf, machine="lm3s6965evb", serial_ports=1, timeout=20.0):
        self.args = [qemu, "-M", machine, "-nographic", "-monitor", "none"]
        for _ in range(serial_ports):
            self.args += ["-serial", "pty"]
        self.args += ["-kernel", elf]
        self.serial_ports = serial_ports
        self.timeout = timeout
        self.process = None
        self.output = b""
        self.ptys = []

    def start(self):
        self.process = subprocess.Popen(
            self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + self.timeout
        found = {}
        fd = self.process.stdout.fileno()
        while len(found) < self.serial_ports:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("QEMU printed no pty path in %.0f s: %r" % (self.timeout, self.output))
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError("QEMU exited (%s): %r" % (self.process.poll(), self.output))
            self.output += chunk
            for path, label in re.findall(rb"redirected to (/dev/pts/\d+) \(label serial(\d+)\)", self.output):
                found[int(label)] = path.decode()
        self.ptys = [found[i] for i in range(self.serial_ports)]
        return self.ptys

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process.stdout.close()
        self.process = None

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
