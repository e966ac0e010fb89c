#!/usr/bin/python3
"""Three real Modbus TCP masters through gw_gateway to two real RTU slaves.

Masters: mbpoll, pymodbus 3.0 ModbusTcpClient, libmodbus (gw_modbus_script).
Slaves:  gw_simulator (units 1-3, on its own pty) and a pymodbus RTU slave (unit 5, on a socat pty).
Each master reads and writes through the gateway, reads what another master wrote, sees the
slaves' exceptions and the gateway's 0x0A, and a remapped unit range (11-13 -> simulator 1-3).
"""
import re
import subprocess

import gwtest
from gwtest import Master
from pymodbus.client import ModbusTcpClient
from pymodbus.pdu import ExceptionResponse
from pymodbus.transaction import ModbusSocketFramer


def mbpoll(port, unit, *args):
    """Runs mbpoll once; returns (exit code, {reference: value}, output)."""
    cmd = ["mbpoll", "-m", "tcp", "-a", str(unit), "-p", str(port), "-o", "5", "-1", *map(str, args)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=gwtest.WAIT_S * 2)
    out = r.stdout + r.stderr
    values = {int(ref): int(v) for ref, v in re.findall(r"^\[(\d+)\]:\s+(-?\d+)", out, re.M)}
    return r.returncode, values, out


def regs(rr):
    return None if rr.isError() else list(rr.registers)


def exception_code(rr):
    return rr.exception_code if isinstance(rr, ExceptionResponse) else None


with gwtest.Env(__doc__) as env:
    sim = env.simulator("--units", "1-3")
    line_a, line_b = env.pty_pair("pymodbus-line")
    env.pymodbus_rtu_slave(line_b, 5)
    gw = env.gateway({
        "channels": [gwtest.serial_channel("sim", sim.link),
                     gwtest.serial_channel("pym", line_a)],
        "listeners": [gwtest.tcp_listener("modbus")],
        "routes": [{"units": "1-3", "channel": "sim"},
                   {"units": 5, "channel": "pym"},
                   {"units": "11-13", "channel": "sim", "map_to": 1}],
    })
    port = gw.port("modbus")

    # ---- mbpoll
    rc, values, out = mbpoll(port, 1, "-t", "4", "-r", "1", "-c", "10", "127.0.0.1")
    env.check(rc == 0 and values == {i + 1: i for i in range(10)},
              "mbpoll: simulator unit 1 holding[0..9] = 0..9 (%r)" % values)
    rc, values, out = mbpoll(port, 5, "-t", "4", "-r", "1", "-c", "5", "127.0.0.1")
    env.check(rc == 0 and values == {i + 1: 20000 + i for i in range(5)},
              "mbpoll: pymodbus unit 5 holding[0..4] = 20000.. (%r)" % values)
    rc, values, out = mbpoll(port, 2, "-t", "3", "-r", "6", "-c", "3", "127.0.0.1")
    env.check(rc == 0 and values == {6: 2005, 7: 2006, 8: 2007},
              "mbpoll: simulator unit 2 input[5..7] = 2005..2007 (%r)" % values)
    rc, values, out = mbpoll(port, 5, "-t", "0", "-r", "1", "-c", "6", "127.0.0.1")
    env.check(rc == 0 and values == {1: 1, 2: 0, 3: 1, 4: 0, 5: 1, 6: 0},
              "mbpoll: pymodbus unit 5 coils[0..5] = i %% 2 == 0 (%r)" % values)
    rc, _, out = mbpoll(port, 1, "-t", "4", "-r", "101", "127.0.0.1", "4242", "4343")
    env.check(rc == 0, "mbpoll: writes simulator unit 1 holding[100..101]")
    rc, _, out = mbpoll(port, 5, "-t", "4", "-r", "51", "127.0.0.1", "5151")
    env.check(rc == 0, "mbpoll: writes pymodbus unit 5 holding[50]")

    # ---- pymodbus
    client = ModbusTcpClient("127.0.0.1", port=port, framer=ModbusSocketFramer, timeout=5, retries=0)
    env.check(client.connect(), "pymodbus: connects to the gateway")
    env.check(regs(client.read_holding_registers(100, 2, slave=1)) == [4242, 4343],
              "pymodbus reads what mbpoll wrote to the simulator")
    env.check(regs(client.read_holding_registers(50, 1, slave=5)) == [5151],
              "pymodbus reads what mbpoll wrote to the pymodbus slave")
    env.check(regs(client.read_holding_registers(0, 10, slave=1)) == list(range(10)),
              "pymodbus: simulator unit 1 holding[0..9]")
    env.check(regs(client.read_input_registers(5, 3, slave=3)) == [3005, 3006, 3007],
              "pymodbus: simulator unit 3 input[5..7]")
    env.check(regs(client.read_holding_registers(10, 3, slave=5)) == [20010, 20011, 20012],
              "pymodbus: pymodbus slave holding[10..12]")
    env.check(regs(client.read_input_registers(0, 2, slave=5)) == [30000, 30001],
              "pymodbus: pymodbus slave input[0..1]")
    coils = client.read_coils(0, 6, slave=1)
    env.check(not coils.isError() and coils.bits[:6] == [True, False, False, True, False, False],
              "pymodbus: simulator unit 1 coils i % 3 == 0")
    env.check(not client.write_registers(200, [7, 8, 9], slave=5).isError(),
              "pymodbus: writes pymodbus slave holding[200..202]")
    env.check(not client.write_register(300, 31337, slave=2).isError(),
              "pymodbus: writes simulator unit 2 holding[300]")
    env.check(not client.write_coil(7, True, slave=5).isError(), "pymodbus: writes pymodbus slave coil 7")
    env.check(regs(client.read_input_registers(0, 1, slave=12)) == [2000],
              "pymodbus: unit 12 is remapped to simulator unit 2 (input[0] = 2000)")
    env.check(exception_code(client.read_holding_registers(0, 1, slave=9)) == 0x0A,
              "pymodbus: unit 9 has no route: exception 0x0A")
    env.check(exception_code(client.read_holding_registers(9999, 2, slave=1)) == 0x02,
              "pymodbus: the simulator's own exception 0x02 (beyond its tables)")
    env.check(exception_code(client.read_holding_registers(999, 2, slave=5)) == 0x02,
              "pymodbus: the pymodbus slave's own exception 0x02 (beyond its tables)")
    client.close()

    # The remapped answer carries the unit id the master used, not the device's.
    with Master(port) as m:
        m.send([(0x4242, 12, gwtest.read_input(0, 1))])
        tid, unit, pdu = m.recv()
        env.check((tid, unit, gwtest.registers(pdu)) == (0x4242, 12, [2000]),
                  "raw: remapped answer has tid 0x4242, unit 12, input[0] = 2000 (%r)" % ((tid, unit, pdu),))

    # ---- libmodbus
    out = env.modbus_script("tcp", "127.0.0.1", port,
                            "rh:0:10", "rh:100:2", "ri:5:3", "rc:0:6", "unit:2", "rh:300:1",
                            "unit:5", "rh:200:3", "rc:7:1", "rd:0:10", "wm:400:11,22,33", "rh:400:3",
                            "unit:9", "rh:0:1", "unit:1", "rh:9999:2", "wr:500:600", "unit:13", "ri:0:1")
    if out is None:
        print("SKIP libmodbus checks: gw_modbus_script was not built (libmodbus-dev missing)")
    else:
        expected = [
            "rh:0:10 ok 0 1 2 3 4 5 6 7 8 9",
            "rh:100:2 ok 4242 4343",          # mbpoll's write
            "ri:5:3 ok 1005 1006 1007",
            "rc:0:6 ok 1 0 0 1 0 0",
            "unit:2 ok",
            "rh:300:1 ok 31337",              # pymodbus' write
            "unit:5 ok",
            "rh:200:3 ok 7 8 9",              # pymodbus' write to the pymodbus slave
            "rc:7:1 ok 1",                    # pymodbus' coil write
            "rd:0:10 ok 1 0 0 0 0 1 0 0 0 0",
            "wm:400:11,22,33 ok",
            "rh:400:3 ok 11 22 33",
            "unit:9 ok",
            "rh:0:1 exception 10",            # no route
            "unit:1 ok",
            "rh:9999:2 exception 2",          # the simulator's own exception
            "wr:500:600 ok",
            "unit:13 ok",
            "ri:0:1 ok 3000",                 # 13 -> simulator unit 3
        ]
        for want, got in zip(expected, out + [""] * len(expected)):
            env.check(got == want, "libmodbus: %r (got %r)" % (want, got))
        # And the others see libmodbus' writes.
        rc, values, _ = mbpoll(port, 1, "-t", "4", "-r", "501", "127.0.0.1")
        env.check(rc == 0 and values == {501: 600}, "mbpoll reads libmodbus' write (%r)" % values)

    # Every request reached exactly the device it was routed to.
    st = gw.status()
    env.check(gw.channel("sim", st)["transport_failures"] == 0 and gw.channel("pym", st)["transport_failures"] == 0,
              "no transport failures on either line")
    env.check(gw.listener("modbus", st)["protocol_errors"] == 0, "no protocol errors from any master")
