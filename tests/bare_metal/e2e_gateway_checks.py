#!/usr/bin/python3
"""Modbus TCP checks through gw_gateway to the RTU slave firmware (called by e2e_gateway.sh).

Usage: e2e_gateway_checks.py <port>   (gateway on 127.0.0.1:<port>, firmware behind it, unit 1)
"""

import re
import subprocess
import sys

from pymodbus.client import ModbusTcpClient
from pymodbus.pdu import ExceptionResponse
from pymodbus.transaction import ModbusSocketFramer

UNIT = 1
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def mbpoll(port, *args):
    cmd = ["mbpoll", "-m", "tcp", "-a", str(UNIT), "-p", str(port), "-o", "2", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    return result.returncode, result.stdout + result.stderr


def mbpoll_registers(output):
    """{reference: value} from mbpoll's "[ref]: value" lines."""
    return {int(ref): int(value) for ref, value in re.findall(r"^\[(\d+)\]:\s+(-?\d+)", output, re.M)}


def exception_code(rr):
    return rr.exception_code if isinstance(rr, ExceptionResponse) else None


def main():
    port = int(sys.argv[1])
    client = ModbusTcpClient("127.0.0.1", port=port, framer=ModbusSocketFramer, timeout=3, retries=1)
    if not client.connect():
        print("FAIL cannot connect to 127.0.0.1:%d" % port)
        return 1
    try:
        values = [100 + i for i in range(10)]
        rr = client.write_registers(0, values, slave=UNIT)
        check(not rr.isError(), "pymodbus FC 16 writes holding registers 0..9")
        rr = client.read_holding_registers(0, 10, slave=UNIT)
        check(not rr.isError() and rr.registers == values, "pymodbus FC 3 reads them back")

        rc, out = mbpoll(port, "-t", "4", "-r", "1", "-c", "10", "-1", "127.0.0.1")
        seen = mbpoll_registers(out)
        check(rc == 0 and seen == {i + 1: 100 + i for i in range(10)},
              "mbpoll -t 4 -r 1 -c 10 sees what pymodbus wrote (%r)" % seen)

        rc, out = mbpoll(port, "-t", "4", "-r", "21", "127.0.0.1", "4321", "8765")
        check(rc == 0, "mbpoll writes holding registers 21..22 (1-based)")
        rr = client.read_holding_registers(20, 2, slave=UNIT)
        check(not rr.isError() and rr.registers == [4321, 8765], "pymodbus reads mbpoll's write")

        rr = client.read_input_registers(0, 4, slave=UNIT)
        check(not rr.isError() and rr.registers == [0x1000, 0x1001, 0x1002, 0x1003],
              "pymodbus FC 4 reads the firmware's input registers")
        rc, out = mbpoll(port, "-t", "3", "-r", "1", "-c", "4", "-1", "127.0.0.1")
        check(rc == 0 and mbpoll_registers(out) == {1: 4096, 2: 4097, 3: 4098, 4: 4099},
              "mbpoll -t 3 reads the same input registers")

        rr = client.read_holding_registers(60, 10, slave=UNIT)
        check(exception_code(rr) == 0x02, "the firmware's exception 02 reaches the TCP master")
        rr = client.read_holding_registers(0, 200, slave=UNIT)
        check(exception_code(rr) == 0x03, "quantity 200 -> exception 03")
    finally:
        client.close()
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
