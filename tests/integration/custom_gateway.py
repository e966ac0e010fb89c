#!/usr/bin/python3
"""examples/custom_gateway: gw's runtime with a site policy composed in (writes to holding
registers 0-99 only during given hours), driven by a real Modbus TCP master.

  --from-hour 0 --to-hour 24 (always): a write to register 10 succeeds and reads back
  --from-hour 7 --to-hour 7 (never):   a write to register 10 gets exception 01, the register is
      unchanged; a write to register 150 and every read still succeed; the refusal is logged
      as gw logs any policy refusal (request_refused ... reason=unauthorized)
"""
import struct

import gwtest
from gwtest import Master, is_exception, read_holding, registers


def write_single(address, value):
    return struct.pack(">BHH", 6, address, value)


with gwtest.Env(__doc__) as env:
    binary = env.custom_gateway_bin
    if not binary:
        raise gwtest.Failure("--custom-gateway is required")
    sim = env.simulator("--units", "1")

    def start(name, hours):
        port = gwtest.free_port()
        config = env.path(name + ".json")
        gwtest.write_atomically(config, gwtest.json.dumps({
            "channels": [gwtest.serial_channel("line", sim.link)],
            "listeners": [gwtest.tcp_listener("modbus", port=port)],
            "routes": [{"units": 1, "channel": "line"}]}))
        p = gwtest.Proc(env, name, [binary, "--config", config, "--from-hour", hours[0],
                                    "--to-hour", hours[1]])
        p.out.wait(r"^custom_gateway: ready$", what="custom_gateway ready")
        p.err.wait(r"channel line up", what="the channel up")
        return p, port

    always, port = start("always", ("0", "24"))
    with Master(port) as m:
        env.check(m.request(1, write_single(10, 4242)) == write_single(10, 4242),
                  "inside the hours: writing register 10 is echoed")
        env.check(registers(m.request(1, read_holding(10, 1))) == [4242], "and reads back")
    always.signal(2)
    always.popen.wait(gwtest.WAIT_S)

    never, port = start("never", ("7", "7"))
    with Master(port) as m:
        env.check(is_exception(m.request(1, write_single(10, 1)), 6, 0x01),
                  "outside the hours: writing register 10 gets exception 01")
        env.check(registers(m.request(1, read_holding(10, 1))) == [4242],
                  "the register is unchanged (the write never reached the device)")
        env.check(m.request(1, write_single(150, 7)) == write_single(150, 7),
                  "writing register 150 (unprotected) is echoed")
        env.check(registers(m.request(1, read_holding(150, 1))) == [7], "and reads back")
    never.err.wait(r"request_refused .*reason=unauthorized", what="the refusal logged")
    env.check(True, "the refusal is logged with reason unauthorized")
    never.signal(2)
    never.popen.wait(gwtest.WAIT_S)
    env.check(never.returncode == 0, "SIGINT stops it")
