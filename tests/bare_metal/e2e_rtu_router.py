#!/usr/bin/python3
"""End to end: the RTU router firmware (gw_rtu_router.elf) in QEMU lm3s6965evb. UART0 (a pty) has
a pymodbus master, UART1 (another pty) a pymodbus RTU slave simulator with units 1 and 2.

Usage: e2e_rtu_router.py <qemu-system-arm> <gw_rtu_router.elf>
Exit 0 when every check passed. Every wait is bounded; QEMU and the simulator are stopped on
every path (and die with this process).
"""

import os
import subprocess
import sys
import time

from pymodbus.client import ModbusSerialClient
from pymodbus.pdu import ExceptionResponse
from pymodbus.transaction import ModbusRtuFramer

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu_pty import QemuFirmware, _die_with_parent  # noqa: E402

BAUD = 115200
READY_TIMEOUT = 30.0
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def exception_code(rr):
    return rr.exception_code if isinstance(rr, ExceptionResponse) else None


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    qemu, elf = sys.argv[1], sys.argv[2]
    with QemuFirmware(qemu, elf, serial_ports=2) as firmware:
        master_pty, bus_pty = firmware.ptys
        print("router UART0 (master) on %s, UART1 (bus) on %s" % (master_pty, bus_pty), flush=True)
        simulator = subprocess.Popen(
            [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "serial_slave_sim.py"),
             bus_pty, str(BAUD)], stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        client = ModbusSerialClient(master_pty, framer=ModbusRtuFramer, baudrate=BAUD, timeout=3, retries=0)
        try:
            if not client.connect():
                raise RuntimeError("cannot open " + master_pty)
            # Poll until the whole path answers: QEMU connects each pty within about a second.
            deadline = time.monotonic() + READY_TIMEOUT
            while True:
                rr = client.read_holding_registers(0, 1, slave=1)
                if not rr.isError():
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError("no answer through the router: %r" % rr)

            rr = client.read_holding_registers(0, 10, slave=1)
            check(not rr.isError() and rr.registers == [3 * i for i in range(10)],
                  "unit 1: FC 3 through the router")
            rr = client.read_holding_registers(5, 3, slave=2)
            check(not rr.isError() and rr.registers == [1005, 1006, 1007], "unit 2: FC 3 through the router")
            rr = client.write_registers(10, [7, 8, 9], slave=2)
            check(not rr.isError(), "unit 2: FC 16 through the router")
            rr = client.read_holding_registers(10, 3, slave=2)
            check(not rr.isError() and rr.registers == [7, 8, 9], "unit 2: the write landed")
            rr = client.read_holding_registers(10, 3, slave=1)
            check(not rr.isError() and rr.registers == [30, 33, 36], "unit 1 untouched by the write to unit 2")

            rr = client.read_holding_registers(98, 5, slave=1)
            check(exception_code(rr) == 0x02, "the slave's exception 02 comes back through the router")
            rr = client.read_holding_registers(0, 126, slave=1)
            check(exception_code(rr) == 0x03, "the router refuses quantity 126 itself: exception 03")
            rr = client.read_holding_registers(0, 1, slave=248)
            check(exception_code(rr) == 0x0A, "unit 248 has no route: exception 0A")
            rr = client.read_holding_registers(0, 1, slave=9)
            check(exception_code(rr) == 0x0B, "unit 9 does not answer: exception 0B after the timeout")
            rr = client.read_holding_registers(1, 2, slave=1)
            check(not rr.isError() and rr.registers == [3, 6], "the bus works again after the timeout")
        finally:
            client.close()
            simulator.terminate()
            try:
                simulator.wait(timeout=5)
            except subprocess.TimeoutExpired:
                simulator.kill()
                simulator.wait(timeout=5)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
