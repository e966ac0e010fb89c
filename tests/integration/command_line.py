#!/usr/bin/python3
"""The quick-start command line of gw_gateway, as an operator types it.

  --serial LINE --baud --parity --listen --units: serves a Modbus TCP read from the line
  out-of-range values, unknown flags, --config with --serial, a malformed --listen or --units:
      refused with exit status 2 and a message naming the flag, before anything opens
  --check-config on a file whose allowlist is longer than the runtime holds: refused (exit 1)
"""
import json
import subprocess

import gwtest
from gwtest import Master, read_holding, registers


def run(env, *args):
    r = subprocess.run([env.gateway_bin, *args], capture_output=True, text=True, timeout=gwtest.WAIT_S)
    return r.returncode, r.stdout + r.stderr


with gwtest.Env(__doc__) as env:
    for args, needle in [
        (["--serial", "/dev/null", "--baud", "10"], "--baud"),
        (["--serial", "/dev/null", "--parity", "mark"], "--parity"),
        (["--serial", "/dev/null", "--retries", "11"], "--retries"),
        (["--serial", "/dev/null", "--units", "300"], "--units"),
        (["--serial", "/dev/null", "--units", "9-3"], "--units"),
        (["--serial", "/dev/null", "--listen", "localhost:1502"], "--listen"),
        (["--serial", "/dev/null", "--listen", "127.0.0.1"], "--listen"),
        (["--config", "x.json", "--serial", "/dev/null"], "--config"),
        (["--baud", "9600"], "--serial"),
        (["--no-such-flag"], "--no-such-flag"),
    ]:
        rc, out = run(env, *args)
        env.check(rc == 2 and needle in out, "%s: exit 2 naming %s (%d: %s)" %
                  (" ".join(args), needle, rc, out.strip().splitlines()[0] if out.strip() else ""))

    rc, out = run(env, "--version")
    env.check(rc == 0 and out.startswith("gw_gateway "), "--version (%s)" % out.strip())

    too_long = env.path("too_long.json")
    with open(too_long, "w") as f:
        json.dump({"channels": [{"name": "sim", "type": "simulator", "units": 1}],
                   "listeners": [{"name": "m", "protocol": "modbus_tcp", "port": gwtest.free_port(),
                                  "allowlist": ["10.0.0.%d" % i for i in range(65)]}],
                   "routes": [{"units": 1, "channel": "sim"}]}, f)
    rc, out = run(env, "--check-config", too_long)
    env.check(rc == 1 and "listeners[0].allowlist[64]" in out,
              "--check-config refuses 65 allowlist entries, naming the entry (%s)" % out.strip())

    sim = env.simulator("--units", "1-3")
    port = gwtest.free_port()
    gw = gwtest.Proc(env, "gw-flags", [env.gateway_bin, "--serial", sim.link, "--baud", "115200",
                                       "--parity", "none", "--listen", "127.0.0.1:%d" % port,
                                       "--units", "1-2"])
    gw.out.wait(r"^gw_gateway: ready$", what="'gw_gateway: ready'")
    with Master(port) as m:
        env.check(registers(m.request(2, read_holding(4, 2))) == [4, 5], "the flags' line serves unit 2")
        answer = m.request(3, read_holding(0, 1))
        env.check(answer == bytes([0x83, 0x0A]), "unit 3 is outside --units 1-2: 0x0A (%s)" % answer.hex())
    gw.signal(2)
    gw.popen.wait(gwtest.WAIT_S)
    env.check(gw.returncode == 0, "SIGINT stops it (exit %s)" % gw.returncode)
