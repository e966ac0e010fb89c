#!/usr/bin/python3
"""The reverse topology and the other framings.

  serial master -> gw (listener "rtu_serial" on a socat pty) -> downstream Modbus TCP device:
      pymodbus ModbusSerialClient and libmodbus (RTU) poll the gateway as if it were a slave;
      the gateway forwards over a "tcp" channel to a pymodbus TCP server (unit 1), over an
      "rtu_over_tcp" channel to a pymodbus server speaking RTU frames over TCP (unit 2), and
      over a serial channel to gw_simulator (units 3-4). A Modbus TCP master sees the same data.
  RTU-over-TCP listener: RTU frames with CRC on a TCP connection, pipelined; a frame with a bad
      CRC is dropped (as a slave would) and counted; exceptions come back as RTU frames.
"""
import socket
import struct
import time

import gwtest
from gwtest import Master, crc16, read_holding, registers, rtu_frame
from pymodbus.client import ModbusSerialClient
from pymodbus.pdu import ExceptionResponse
from pymodbus.transaction import ModbusRtuFramer


def regs(rr):
    return None if rr.isError() else list(rr.registers)


class RtuOverTcp:
    """A master speaking RTU frames over a TCP connection."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=gwtest.WAIT_S)
        self.buffer = b""

    def send(self, *frames):
        self.sock.sendall(b"".join(frames))

    def recv(self):
        """(unit, pdu) of the next response frame; the CRC is checked."""
        while True:
            size = self.size(self.buffer)
            if size is not None and len(self.buffer) >= size:
                frame, self.buffer = self.buffer[:size], self.buffer[size:]
                if crc16(frame[:-2]) != struct.unpack("<H", frame[-2:])[0]:
                    raise gwtest.Failure("bad CRC from the gateway: " + frame.hex())
                return frame[0], frame[1:-2]
            chunk = self.sock.recv(512)
            if not chunk:
                raise gwtest.Failure("connection closed")
            self.buffer += chunk

    @staticmethod
    def size(b):
        if len(b) < 3:
            return None
        if b[1] & 0x80:
            return 5
        if b[1] in (1, 2, 3, 4):
            return 5 + b[2]
        return 8  # 5, 6, 15, 16

    def close(self):
        self.sock.close()


with gwtest.Env(__doc__) as env:
    plc, plc_port = env.pymodbus_tcp_server(1, name="pymodbus-tcp")
    rtu_dev, rtu_dev_port = env.pymodbus_tcp_server(2, framer="rtu", name="pymodbus-rtu-over-tcp")
    sim = env.simulator("--units", "3,4")
    gw_side, master_side = env.pty_pair("master-line")
    gw = env.gateway({
        "channels": [
            {"name": "plc", "type": "tcp", "host": "127.0.0.1", "port": plc_port},
            {"name": "rtu-dev", "type": "tcp", "host": "127.0.0.1", "port": rtu_dev_port,
             "protocol": "rtu_over_tcp"},
            gwtest.serial_channel("sim", sim.link),
        ],
        "listeners": [
            {"name": "serial_in", "protocol": "rtu_serial", "device": gw_side, "baud": 115200,
             "parity": "none"},
            {"name": "rtu_tcp", "protocol": "rtu_over_tcp", "address": "127.0.0.1"},
            gwtest.tcp_listener("modbus"),
        ],
        "routes": [{"units": 1, "channel": "plc"}, {"units": 2, "channel": "rtu-dev"},
                   {"units": "3-4", "channel": "sim"}],
    })
    gw.log.wait(r"notice: listener serial_in serving masters on ", what="the serial listener open")

    # ---- a serial master (pymodbus) through the gateway to Modbus TCP devices
    client = ModbusSerialClient(port=master_side, framer=ModbusRtuFramer, baudrate=115200, parity="N",
                                timeout=3, retries=1)
    env.check(client.connect(), "pymodbus serial master opens its end of the line")
    env.check(regs(client.read_holding_registers(0, 5, slave=1)) == [20000 + i for i in range(5)],
              "serial master -> tcp channel -> pymodbus TCP server: holding[0..4]")
    env.check(regs(client.read_input_registers(3, 2, slave=2)) == [30003, 30004],
              "serial master -> rtu_over_tcp channel -> pymodbus RTU-over-TCP server: input[3..4]")
    env.check(regs(client.read_holding_registers(8, 2, slave=4)) == [8, 9],
              "serial master -> serial channel -> gw_simulator unit 4")
    env.check(not client.write_registers(40, [41, 42, 43], slave=1).isError(),
              "serial master writes the TCP device's holding[40..42]")
    env.check(not client.write_register(60, 6060, slave=2).isError(),
              "serial master writes the RTU-over-TCP device's holding[60]")
    rr = client.read_holding_registers(0, 1, slave=9)
    env.check(isinstance(rr, ExceptionResponse) and rr.exception_code == 0x0A,
              "serial master: unit 9 has no route: exception 0x0A as an RTU frame (%s)" % rr)
    rr = client.read_holding_registers(999, 2, slave=1)
    env.check(isinstance(rr, ExceptionResponse) and rr.exception_code == 0x02,
              "serial master: the TCP device's own exception 0x02 passes through (%s)" % rr)
    client.close()

    # ---- libmodbus as the serial master on the same line
    out = env.modbus_script("rtu", master_side, 115200, "rh:40:3", "unit:2", "rh:60:1", "unit:3", "ri:0:2",
                            "unit:1", "wr:70:7070", "rh:70:1")
    if out is None:
        print("SKIP libmodbus checks: gw_modbus_script was not built")
    else:
        env.check(out == ["rh:40:3 ok 41 42 43", "unit:2 ok", "rh:60:1 ok 6060", "unit:3 ok", "ri:0:2 ok 3000 3001",
                          "unit:1 ok", "wr:70:7070 ok", "rh:70:1 ok 7070"],
                  "libmodbus RTU master through the serial listener: %r" % out)

    # ---- a user-defined function code from the serial master: its length is unknown, so only
    # silence ends the frame. A timer completes it (before, it waited for a byte that never
    # came and the master got no answer). The simulator answers it with exception 01.
    line = gwtest.SerialEnd(master_side)
    line.write(gwtest.rtu_frame(4, bytes([0x41, 0x12, 0x34])))
    deadline = time.monotonic() + gwtest.WAIT_S
    expected = gwtest.rtu_frame(4, bytes([0xC1, 0x01]))
    while len(line.buffer) < len(expected):
        line.read_some(deadline)
    env.check(line.buffer == expected,
              "serial master: user-defined FC 0x41 framed by silence and answered (%s)" % line.buffer.hex())
    line.close()

    # A Modbus TCP master sees what the serial masters wrote.
    with Master(gw.port("modbus")) as m:
        env.check(registers(m.request(1, read_holding(40, 3))) == [41, 42, 43],
                  "a Modbus TCP master reads what the serial master wrote")
    st = gw.status()
    serial_in = gw.listener("serial_in", st)
    # pymodbus' requests, the user-defined one, libmodbus' requests
    expected = 7 + 1 + (5 if out is not None else 0)
    env.check(serial_in["requests"] == expected and serial_in["responses"] == expected,
              "the serial listener answered each of the %d requests (%d, %d)" %
              (expected, serial_in["requests"], serial_in["responses"]))
    env.check(gw.channel("plc", st)["responses"] >= 4 and gw.channel("rtu-dev", st)["responses"] >= 3,
              "both TCP channels carried the traffic")

    # ---- RTU over TCP listener
    r = RtuOverTcp(gw.port("rtu_tcp"))
    r.send(rtu_frame(3, read_holding(0, 2)))
    env.check(r.recv() == (3, bytes([3, 4, 0, 0, 0, 1])), "rtu_over_tcp: unit 3 holding[0..1] with a valid CRC")
    r.send(rtu_frame(4, gwtest.read_input(1, 1)), rtu_frame(1, read_holding(40, 1)), rtu_frame(2, read_holding(60, 1)))
    # Three channels work in parallel and RTU frames carry no transaction id: the answers come
    # in the order they complete, told apart by their unit ids.
    got = sorted(r.recv() for _ in range(3))
    env.check(got == [(1, bytes([3, 2, 0, 41])), (2, bytes([3, 2, 0x17, 0xAC])), (4, bytes([4, 2, 0x0F, 0xA1]))],
              "rtu_over_tcp: three pipelined frames to three channels, each answered (%r)" % got)
    errors = gw.listener("rtu_tcp")["protocol_errors"]
    bad = bytearray(rtu_frame(3, read_holding(5, 1)))
    bad[-1] ^= 0xFF
    r.send(bytes(bad), rtu_frame(3, read_holding(6, 1)))
    env.check(r.recv() == (3, bytes([3, 2, 0, 6])), "rtu_over_tcp: a frame with a bad CRC gets no answer, the next does")
    env.check(gw.listener("rtu_tcp")["protocol_errors"] == errors + 1, "rtu_over_tcp: the bad CRC is counted")
    r.send(rtu_frame(9, read_holding(0, 1)))
    env.check(r.recv() == (9, bytes([0x83, 0x0A])), "rtu_over_tcp: unit 9 -> exception 0x0A as an RTU frame")
    # TCP segments arrive whenever the network delivers them: a gap inside a frame means nothing
    # (with serial silence timing, a 20 ms gap dropped the request without an answer).
    frame = rtu_frame(3, read_holding(7, 1))
    r.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    r.send(frame[:3])
    time.sleep(0.02)  # the gap under test, not a synchronisation: any length must work
    r.send(frame[3:])
    env.check(r.recv() == (3, bytes([3, 2, 0, 7])), "rtu_over_tcp: a request split 20 ms apart is answered")
    r.close()
