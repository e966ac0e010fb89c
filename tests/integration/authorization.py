#!/usr/bin/python3
"""Modbus authorization by role, configured in the file (docs/configuration.md, "authorization"),
through the real gw_gateway. Clients bind 127.0.0.2, .3, .4 before connecting.

  "authorization": viewer reads holding registers 0-99, operator reads and writes them all,
      the NULL role reads input register 0 only; roles_by_source 127.0.0.2 -> viewer,
      127.0.0.3 -> operator
  viewer (127.0.0.2): its read is served; its write and a read beyond 99 get exception 01, logged
      with reason=unauthorized, the role, function code, unit and address range
  operator (127.0.0.3): its write is served; 127.0.0.4 (no role) gets 01 for a holding register
      read, its NULL-role rule serves an input register read
  a read_only listener: the operator's write gets 01, its read is served
  --check-config: a roles_by_source role that authorization does not define is an error naming
      the key
"""
import json
import subprocess

import gwtest
from gwtest import Master, is_exception, read_holding, read_input, registers, write_register

ROLES = [{"network": "127.0.0.2", "role": "viewer"}, {"network": "127.0.0.3", "role": "operator"}]
AUTHORIZATION = {
    "roles": {
        "viewer": [{"functions": [3], "addresses": "0-99", "access": "read"}],
        "operator": [{"functions": [3, 6, 16], "access": "read_write"}],
    },
    "null_role": [{"functions": [4], "addresses": 0}],
}

with gwtest.Env(__doc__) as env:
    sim = env.simulator("--units", "1")
    config = {
        "channels": [gwtest.serial_channel("sim", sim.link)],
        "listeners": [gwtest.tcp_listener("modbus", roles_by_source=ROLES),
                      gwtest.tcp_listener("readonly", roles_by_source=ROLES, read_only=True)],
        "routes": [{"units": 1, "channel": "sim"}],
        "authorization": AUTHORIZATION,
    }
    gw = env.gateway(config)

    with Master(gw.port("modbus"), source="127.0.0.2") as viewer:
        env.check(registers(viewer.request(1, read_holding(2, 1))) == [2], "viewer: its read is served")
        env.check(is_exception(viewer.request(1, write_register(5, 77)), 6, 1),
                  "viewer: its write is answered with exception 01")
        env.check(is_exception(viewer.request(1, read_holding(99, 2)), 3, 1),
                  "viewer: a read one past its range is answered with exception 01")
    env.check(gw.log.wait(r"request_refused source=0 peer=127\.0\.0\.2:\d+ reason=unauthorized unit=1 "
                          r"function=6 role=viewer address=5 outcome=denied",
                          what="the viewer's denial logged") is not None,
              "viewer: the denial is logged with role, function code, unit and address")

    with Master(gw.port("modbus"), source="127.0.0.3") as op:
        env.check(write_register(5, 77) == op.request(1, write_register(5, 77)),
                  "operator: its write is served")
        env.check(registers(op.request(1, read_holding(5, 1))) == [77], "operator: it reads it back")

    with Master(gw.port("modbus"), source="127.0.0.4") as nobody:
        env.check(is_exception(nobody.request(1, read_holding(0, 1)), 3, 1),
                  "no role: a holding register read is answered with exception 01")
        env.check(registers(nobody.request(1, read_input(0, 1))) is not None,
                  "no role: the NULL role's own rule serves an input register read")
    env.check(gw.log.wait(r"peer=127\.0\.0\.4:\d+ reason=unauthorized unit=1 function=3 role=- address=0",
                          what="the NULL role's denial logged") is not None,
              "no role: the denial is logged with role '-'")

    with Master(gw.port("readonly"), source="127.0.0.3") as op:
        env.check(is_exception(op.request(1, write_register(5, 1)), 6, 1),
                  "read_only listener: the operator's write is answered with exception 01")
        env.check(registers(op.request(1, read_holding(5, 1))) == [77],
                  "read_only listener: the operator's read is served (the write did not happen)")

    bad = json.loads(json.dumps(config))
    bad["listeners"][0]["roles_by_source"] = [{"network": "10.0.0.0/8", "role": "viewr"}]
    for listener in bad["listeners"]:
        listener["port"] = gwtest.free_port()  # env.gateway() gave its own copy the ports
    path = env.path("bad.json")
    with open(path, "w") as f:
        json.dump(bad, f)
    out = subprocess.run([env.gateway_bin, "--check-config", path], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=30)
    env.check(out.returncode == 1 and "listeners[0].roles_by_source[0].role" in out.stdout
              and "did you mean \"viewer\"" in out.stdout,
              "--check-config: an undefined role is an error naming its key (%s)" % out.stdout.strip())
