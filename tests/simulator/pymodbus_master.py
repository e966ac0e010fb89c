#!/usr/bin/python3
"""Drives the gw_simulator program with a real Modbus master: pymodbus 3.0's ModbusSerialClient
over the pty the simulator creates (--pty-link). Usage: pymodbus_master.py PATH/TO/gw_simulator

Checks: reads and writes on several units with separate tables, an exception response, silence
for a unit that is not simulated, each fault mode as pymodbus reports it, and a clean stop on
SIGTERM (exit code 0, symlink removed). Exit code 0 when every check passed.
"""
import os
import signal
import subprocess
import sys
import tempfile

from pymodbus.client import ModbusSerialClient
from pymodbus.transaction import ModbusAsciiFramer, ModbusRtuFramer

# pymodbus' response timeout: only the checks that expect no valid answer wait for it.
TIMEOUT_S = 1  # whole seconds: pymodbus 3.0 truncates the timeout to an int
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


class Simulator:
    """gw_simulator in the foreground, serving a pty linked into a private directory."""

    def __init__(self, program, *args):
        self.dir = tempfile.TemporaryDirectory(prefix="gw-sim-")
        self.link = os.path.join(self.dir.name, "tty")
        self.proc = subprocess.Popen([program, "--pty-link", self.link, *args],
                                     stdout=subprocess.PIPE, text=True)
        # The start-up line is printed once the pty and the link exist: no polling needed.
        self.banner = self.proc.stdout.readline().strip()
        print("     " + self.banner, flush=True)

    def client(self, framer=ModbusRtuFramer):
        c = ModbusSerialClient(port=self.link, framer=framer, baudrate=19200,
                               timeout=TIMEOUT_S, retries=1)
        check(c.connect(), "connect to " + self.link)
        return c

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        check(code == 0, "simulator exits 0 on SIGTERM (got %s)" % code)
        check(not os.path.lexists(self.link), "pty link removed on exit")
        self.dir.cleanup()


def registers(response):
    return None if response.isError() else list(response.registers)


def main(program):
    sim = Simulator(program, "--units", "1-3")
    check(" on /dev/pts/" in sim.banner and "units 1,2,3" in sim.banner, "start-up line")
    c = sim.client()
    check(registers(c.read_holding_registers(0, 10, slave=1)) == list(range(10)),
          "unit 1 holding[0..9] = 0..9")
    check(registers(c.read_input_registers(5, 3, slave=2)) == [2005, 2006, 2007],
          "unit 2 input[5..7] = 2005..2007")
    check(registers(c.read_input_registers(5, 1, slave=3)) == [3005], "unit 3 input[5] = 3005")
    check(not c.write_register(100, 4242, slave=1).isError(), "unit 1 write holding[100]")
    check(registers(c.read_holding_registers(100, 1, slave=1)) == [4242], "unit 1 reads it back")
    check(registers(c.read_holding_registers(100, 1, slave=2)) == [100], "unit 2 unaffected")
    check(not c.write_registers(200, [7, 8, 9], slave=3).isError(), "unit 3 write multiple")
    check(registers(c.read_holding_registers(200, 3, slave=3)) == [7, 8, 9], "read them back")
    coils = c.read_coils(0, 6, slave=1)
    check(not coils.isError() and coils.bits[:6] == [True, False, False, True, False, False],
          "unit 1 coils: i % 3 == 0")
    exc = c.read_holding_registers(9999, 2, slave=1)
    check(exc.isError() and getattr(exc, "exception_code", None) == 2,
          "exception 02 beyond the tables")
    check(c.read_holding_registers(0, 1, slave=9).isError(), "unit 9 (not simulated) is silent")
    check(registers(c.read_holding_registers(3, 1, slave=1)) == [3], "still answering after it")
    c.close()
    sim.stop()

    # Every fault makes pymodbus report an error for the faulty request, and only for it
    # (pymodbus does not resynchronise past noise: the garbage fault is an error to it too).
    for fault in ("silence", "bad_crc", "wrong_unit", "garbage", "truncated"):
        sim = Simulator(program, "--units", "1,2", "--fault", fault, "--fault-unit", "2")
        c = sim.client()
        check(registers(c.read_holding_registers(1, 2, slave=1)) == [1, 2],
              fault + ": unit 1 unaffected")
        check(c.read_holding_registers(1, 2, slave=2).isError(),
              fault + ": master sees an error from unit 2")
        c.close()
        sim.stop()

    # ASCII framing with pymodbus' ASCII framer.
    sim = Simulator(program, "--units", "5", "--mode", "ascii")
    c = sim.client(ModbusAsciiFramer)
    check(registers(c.read_holding_registers(40, 2, slave=5)) == [40, 41], "ASCII: unit 5 read")
    check(registers(c.read_input_registers(0, 1, slave=5)) == [5000], "ASCII: unit 5 input[0]")
    c.close()
    sim.stop()

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
