#!/usr/bin/python3
"""End to end: the RTU slave firmware (gw_rtu_slave.elf) in QEMU lm3s6965evb, UART0 on a pty,
driven by a real Modbus master (pymodbus 3.0, ModbusSerialClient + ModbusRtuFramer) and by raw
frames for what a library master does not send (garbage, bad CRC, other units).

Usage: e2e_rtu_slave.py <qemu-system-arm> <gw_rtu_slave.elf>
Exit 0 when every check passed. Every wait is bounded; QEMU is stopped on every path.
"""

import os
import select
import sys
import termios
import time
import tty

from pymodbus.client import ModbusSerialClient
from pymodbus.mei_message import ReadDeviceInformationRequest
from pymodbus.other_message import ReportSlaveIdRequest
from pymodbus.pdu import ExceptionResponse
from pymodbus.transaction import ModbusRtuFramer

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu_pty import QemuFirmware  # noqa: E402

UNIT = 1
BAUD = 115200
READY_TIMEOUT = 30.0  # QEMU notices that a pty was opened on a 1 s timer
REPLY_TIMEOUT = 5.0

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return bytes([crc & 0xFF, crc >> 8])


def rtu(unit, pdu):
    adu = bytes([unit]) + pdu
    return adu + crc16(adu)


def connect(pty):
    # The timeout outlasts QEMU's pty connect delay (about 1 s), so that the answer to a request
    # sent before QEMU listened is not taken for the answer to the next one.
    # retries=2: the firmware frames requests by silence (t3.5), as an RTU slave must; when the
    # host is busy, QEMU can deliver a request's bytes with a gap the guest's clock sees as the
    # end of a frame, and the split request fails its CRC (CI lost one FC 15 that way). A real
    # master retries; every check still compares what it reads back.
    client = ModbusSerialClient(pty, framer=ModbusRtuFramer, baudrate=BAUD, timeout=3, retries=2)
    if not client.connect():
        raise RuntimeError("pymodbus cannot open " + pty)
    # Poll until the firmware answers (QEMU connects the pty within about a second).
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        rr = client.read_holding_registers(0, 1, slave=UNIT)
        if not rr.isError():
            return client
        if time.monotonic() > deadline:
            client.close()
            raise TimeoutError("no answer from the firmware within %.0f s: %r" % (READY_TIMEOUT, rr))


def exception_code(rr):
    return rr.exception_code if isinstance(rr, ExceptionResponse) else None


def master_checks(client):
    rr = client.read_input_registers(0, 8, slave=UNIT)
    check(not rr.isError() and rr.registers == [0x1000 + i for i in range(8)],
          "FC 4 read input registers 0..7 = 0x1000+i (%r)" % getattr(rr, "registers", rr))

    rr = client.read_discrete_inputs(0, 8, slave=UNIT)
    check(not rr.isError() and rr.bits[:8] == [i % 2 == 1 for i in range(8)],
          "FC 2 read discrete inputs 0..7 alternate")

    values = [1, 2, 3, 0xBEEF, 0, 0xFFFF, 42, 7]
    rr = client.write_registers(10, values, slave=UNIT)
    check(not rr.isError(), "FC 16 write multiple registers 10..17")
    rr = client.read_holding_registers(10, len(values), slave=UNIT)
    check(not rr.isError() and rr.registers == values,
          "FC 3 reads back what FC 16 wrote (%r)" % getattr(rr, "registers", rr))

    rr = client.write_register(5, 1234, slave=UNIT)
    check(not rr.isError(), "FC 6 write single register 5")
    rr = client.read_holding_registers(5, 1, slave=UNIT)
    check(not rr.isError() and rr.registers == [1234], "FC 3 reads back FC 6")

    # pymodbus 3.0 passes these two straight to the request class, which wants unit=, not slave=.
    rr = client.mask_write_register(5, and_mask=0x00FF, or_mask=0x0F00, unit=UNIT)
    check(not rr.isError(), "FC 22 mask write register 5")
    rr = client.read_holding_registers(5, 1, slave=UNIT)
    expected = (1234 & 0x00FF) | (0x0F00 & ~0x00FF)
    check(not rr.isError() and rr.registers == [expected], "FC 22 result = 0x%04X" % expected)

    rr = client.readwrite_registers(read_address=10, read_count=2, write_address=20,
                                    write_registers=[0x1111, 0x2222], unit=UNIT)
    check(not rr.isError() and rr.registers == [1, 2], "FC 23 read/write multiple registers")
    rr = client.read_holding_registers(20, 2, slave=UNIT)
    check(not rr.isError() and rr.registers == [0x1111, 0x2222], "FC 23 write part landed")

    coils = [True, False, True, True, False, False, True, False, True]
    rr = client.write_coils(3, coils, slave=UNIT)
    check(not rr.isError(), "FC 15 write multiple coils 3..11")
    rr = client.write_coil(0, True, slave=UNIT)
    check(not rr.isError(), "FC 5 write single coil 0")
    rr = client.read_coils(0, 12, slave=UNIT)
    check(not rr.isError() and rr.bits[:12] == [True, False, False] + coils,
          "FC 1 reads back FC 5 and FC 15")

    # Exception replies.
    rr = client.read_holding_registers(60, 10, slave=UNIT)
    check(exception_code(rr) == 0x02, "FC 3 past the 64 holding registers -> exception 02")
    rr = client.write_register(64, 1, slave=UNIT)
    check(exception_code(rr) == 0x02, "FC 6 at address 64 -> exception 02")
    rr = client.read_holding_registers(0, 126, slave=UNIT)
    check(exception_code(rr) == 0x03, "FC 3 quantity 126 -> exception 03")
    rr = client.execute(ReadDeviceInformationRequest(unit=UNIT))
    check(exception_code(rr) == 0x01, "FC 43 (not implemented) -> exception 01")

    rr = client.diag_query_data(0x1234, slave=UNIT)
    echoed = getattr(rr, "message", None)
    check(not rr.isError() and list(echoed) == [0x1234],
          "FC 8/0 echoes the query data (%r)" % (echoed,))
    rr = client.read_exception_status(slave=UNIT)
    check(not rr.isError() and rr.status == 0, "FC 7 read exception status")
    rr = client.execute(ReportSlaveIdRequest(unit=UNIT))
    # pymodbus 3.0 keeps the run indicator (0xFF = on) at the end of `identifier`.
    check(not rr.isError() and rr.identifier == b"gw-lm3s6965\xff" and rr.status,
          "FC 17 report server id = gw-lm3s6965, running (%r)" % getattr(rr, "identifier", rr))


def read_reply(fd, size, timeout):
    """Reads exactly `size` bytes or whatever arrived before the timeout."""
    data = b""
    deadline = time.monotonic() + timeout
    while len(data) < size:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            data += os.read(fd, size - len(data))
    return data


def raw_checks(pty):
    fd = os.open(pty, os.O_RDWR | os.O_NOCTTY)
    try:
        tty.setraw(fd)
        termios.tcflush(fd, termios.TCIOFLUSH)
        # FC 8/10 clear counters; the reply echoes the request.
        clear = rtu(UNIT, bytes([0x08, 0x00, 0x0A, 0x00, 0x00]))
        os.write(fd, clear)
        check(read_reply(fd, len(clear), REPLY_TIMEOUT) == clear, "raw: FC 8/10 clears the counters")

        # Garbage and a frame with a bad CRC, then a good request in the same write: the framer
        # resynchronises and answers the good one, and nothing else.
        good = rtu(UNIT, bytes([0x03, 0x00, 0x0A, 0x00, 0x02]))
        bad_crc = bytearray(rtu(UNIT, bytes([0x03, 0x00, 0x00, 0x00, 0x01])))
        bad_crc[-1] ^= 0xFF
        os.write(fd, b"\xFF\x00" + bytes(bad_crc) + good)
        expected = rtu(UNIT, bytes([0x03, 0x04, 0x00, 0x01, 0x00, 0x02]))
        check(read_reply(fd, len(expected), REPLY_TIMEOUT) == expected,
              "raw: a good request after garbage and a bad CRC is answered")

        # A request for unit 2 and a broadcast write get no answer: the next bytes on the line are
        # the answer to the request after them.
        os.write(fd, rtu(2, bytes([0x03, 0x00, 0x00, 0x00, 0x01])))
        os.write(fd, rtu(0, bytes([0x06, 0x00, 0x1E, 0xCA, 0xFE])))
        read30 = rtu(UNIT, bytes([0x03, 0x00, 0x1E, 0x00, 0x01]))
        os.write(fd, read30)
        expected = rtu(UNIT, bytes([0x03, 0x02, 0xCA, 0xFE]))
        check(read_reply(fd, len(expected), REPLY_TIMEOUT) == expected,
              "raw: no answer to unit 2 nor to a broadcast, whose write took effect")

        # FC 8/12: the bus communication error count saw the bad CRC.
        query = rtu(UNIT, bytes([0x08, 0x00, 0x0C, 0x00, 0x00]))
        os.write(fd, query)
        reply = read_reply(fd, 8, REPLY_TIMEOUT)
        ok = len(reply) == 8 and reply[:4] == bytes([UNIT, 0x08, 0x00, 0x0C]) and reply[-2:] == crc16(reply[:-2])
        count = int.from_bytes(reply[4:6], "big") if ok else None
        check(ok and count >= 1, "raw: FC 8/12 counts the CRC error (%r)" % count)
    finally:
        os.close(fd)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    qemu, elf = sys.argv[1], sys.argv[2]
    with QemuFirmware(qemu, elf) as firmware:
        pty = firmware.ptys[0]
        print("firmware UART0 on " + pty, flush=True)
        client = connect(pty)
        try:
            master_checks(client)
        finally:
            client.close()
        raw_checks(pty)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
