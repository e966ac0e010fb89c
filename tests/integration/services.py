#!/usr/bin/python3
"""The services table: a listener switched off and on while the gateway runs, through the
console's configuration editor and through SIGHUP, as a master meets it.

  a listener with "enabled": false is not opened: a connection to its port is refused
  switched on from the console: at once a master connects and reads through it
  switched off again: the master's open connection is closed, a new one is refused; the
      other listener serves on
  switched on by SIGHUP, while another program holds its port: the reload is refused, nothing
      changed (the rest of the file not applied either)
"""
import json
import os
import socket

import gwtest
from console_client import gateway_with_console
from gwtest import Master, read_holding, registers


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=gwtest.WAIT_S).close()
        return False
    except ConnectionRefusedError:
        return True


with gwtest.Env(__doc__) as env:
    sim = env.simulator("--units", "1-3")
    gw, port, cert, admin = gateway_with_console(
        env, [gwtest.serial_channel("sim", sim.link)], [{"units": "1-3", "channel": "sim"}])
    # A second listener, off: added by a restart on a file that has it.
    second_port = gwtest.free_port()
    status, _, listeners = admin.json("GET", "/api/v1/config/listeners")
    gw.stop()
    with open(gw.config_path) as f:
        doc = json.loads("\n".join(l for l in f.read().splitlines() if not l.startswith("//")))
    doc["listeners"].append(dict(listeners[0], name="second", port=second_port, enabled=False))
    gwtest.write_atomically(gw.config_path, json.dumps(doc, indent=1))
    state = os.path.dirname(os.path.dirname(cert))
    gw = gwtest.Gateway(env, "gw-services", gw.config_path, ["--state-dir", state]).ready()
    gw.wait_channel_up("sim")
    env.check(gw.log.matches(r"notice: listener second disabled$"), "the log says it is off")
    env.check(refused(second_port), "a disabled listener's port refuses connections")

    admin.cookie = None
    admin.login("admin", "long enough passphrase")
    status, _, listeners = admin.json("GET", "/api/v1/config/listeners")
    on = [dict(l, enabled=True) if l["name"] == "second" else l for l in listeners]
    status, _, j = admin.json("PUT", "/api/v1/config/listeners", on)
    env.check(status == 200 and j["changed"] is True, "switched on from the console (%s %s)"
              % (status, j))
    with Master(second_port) as m:
        env.check(registers(m.request(1, read_holding(0, 2))) is not None,
                  "at once a master reads through it")
        held = Master(second_port)
        env.check(registers(held.request(2, read_holding(0, 1))) is not None,
                  "a second master connects")
        off = [dict(l, enabled=False) if l["name"] == "second" else l for l in listeners]
        status, _, j = admin.json("PUT", "/api/v1/config/listeners", off)
        env.check(status == 200, "switched off again (%s %s)" % (status, j))
        env.check(held.wait_closed(), "its open connection is closed")
        held.close()
    env.check(refused(second_port), "a new connection is refused")
    with Master(gw.port("modbus")) as m:
        env.check(registers(m.request(1, read_holding(0, 2))) is not None,
                  "the other listener serves on")

    # SIGHUP, with the port taken by someone else: refused as a whole.
    with open(gw.config_path) as f:
        doc = json.loads("\n".join(l for l in f.read().splitlines() if not l.startswith("//")))
    for l in doc["listeners"]:
        if l["name"] == "second":
            l["enabled"] = True
    doc["routes"] = [{"units": "1-2", "channel": "sim"}]
    squatter = socket.socket()
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    squatter.bind(("127.0.0.1", second_port))
    squatter.listen(1)
    verdict = gw.reload(json.dumps(doc, indent=1))
    env.check(verdict.startswith("error: reload refused") and "second" in verdict,
              "a port that cannot be had refuses the reload (%s)" % verdict)
    with Master(gw.port("modbus")) as m:
        env.check(registers(m.request(3, read_holding(0, 1))) is not None,
                  "nothing else of the file was applied (unit 3 still routed)")
    squatter.close()
    verdict = gw.reload(json.dumps(doc, indent=1))
    env.check(verdict == "notice: configuration reloaded", "with the port free it applies (%s)"
              % verdict)
    with Master(second_port) as m:
        env.check(registers(m.request(1, read_holding(0, 1))) is not None,
                  "switched on by SIGHUP")
