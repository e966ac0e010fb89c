#!/usr/bin/python3
"""Configuration reload on SIGHUP, with a master connected throughout.

  v1 -> v2: a new route (unit 7 -> simulator B unit 5), an allowlist (127.0.0.2 only), more
            retries and a shorter timeout on channel B. The established connection from
            127.0.0.2 keeps working and sees the new route and retries at once; the one from
            127.0.0.1, which the new allowlist excludes, is closed (and audited); new
            connections obey the allowlist.
  broken:   a syntax error, a route to a channel that does not exist, and an allowlist longer
            than the runtime holds: all refused with file:line:column, the old configuration
            keeps running (route, allowlist).
  restart:  a changed device path together with a route change: the whole reload is refused
            (it needs a restart), so not even the route changes: all or nothing.
  v3:       the route and the allowlist are removed again.
"""
import copy
import json

import gwtest
from gwtest import Master, is_exception, read_holding, read_input, registers

with gwtest.Env(__doc__) as env:
    sim_a = env.simulator("--units", "1-3", name="sim-a")
    sim_b = env.simulator("--units", "4-6", "--fault", "silence", "--fault-unit", "6", name="sim-b")
    v1 = {
        "channels": [gwtest.serial_channel("a", sim_a.link),
                     gwtest.serial_channel("b", sim_b.link, response_timeout_ms=400, retries=0)],
        "listeners": [gwtest.tcp_listener("modbus")],
        "routes": [{"units": "1-3", "channel": "a"}, {"units": "4-6", "channel": "b"}],
    }
    gw = env.gateway(v1)
    port = gw.port("modbus")
    v1 = gw.config  # with the port it was given

    def unit6_attempts():
        return len([r for r in sim_b.requests() if r[0] == 6])

    c1 = Master(port, source="127.0.0.2")  # established before every reload, always allowed
    excluded = Master(port)  # from 127.0.0.1: v2's allowlist excludes it
    env.check(registers(c1.request(1, read_holding(3, 1))) == [3], "v1: unit 1 works")
    env.check(is_exception(c1.request(7, read_input(0, 1)), 4, 0x0A), "v1: unit 7 has no route (0x0A)")
    env.check(is_exception(c1.request(6, read_input(0, 1)), 4, 0x0B) and unit6_attempts() == 1,
              "v1: silent unit 6: 0x0B after 1 attempt (retries 0)")
    with Master(port, source="127.0.0.3") as c3:
        env.check(registers(c3.request(2, read_holding(0, 1))) == [0], "v1: 127.0.0.3 may connect (no allowlist)")
    env.check(registers(excluded.request(1, read_holding(3, 1))) == [3], "v1: 127.0.0.1 is served")

    # ---- v2
    v2 = copy.deepcopy(v1)
    v2["routes"].append({"units": 7, "channel": "b", "map_to": 5})
    v2["listeners"][0]["allowlist"] = ["127.0.0.2"]
    v2["channels"][1].update(retries=2, response_timeout_ms=300)
    verdict = gw.reload(v2)
    env.check(verdict == "notice: configuration reloaded", "v2 accepted (%s)" % verdict)
    env.check(registers(c1.request(1, read_holding(3, 1))) == [3],
              "v2: the established connection from 127.0.0.2 (allowed) keeps working")
    env.check(excluded.wait_closed(), "v2: the established connection from 127.0.0.1 is closed")
    env.check(gw.log.settled_count(r"connection_closed source=0 peer=127\.0\.0\.1:\d+ reason=not_in_allowlist", 1) == 1,
              "v2: its closing is audited with reason not_in_allowlist")
    got = c1.request(7, read_input(0, 1))
    env.check(registers(got) == [5000], "v2: the new route applies at once: unit 7 -> B unit 5 (%s)" % got.hex())
    before = gw.channel("b")["retries"]
    env.check(is_exception(c1.request(6, read_input(0, 1)), 4, 0x0B), "v2: silent unit 6: 0x0B")
    env.check(unit6_attempts() == 1 + 3 and gw.channel("b")["retries"] - before == 2,
              "v2: after 3 attempts, 2 retries: the new retries apply (%d attempts)" % unit6_attempts())
    with Master(port, source="127.0.0.2") as c2:
        env.check(registers(c2.request(7, read_input(1, 1))) == [5001], "v2: 127.0.0.2 (allowed) is served")
    refused = gw.listener("modbus")["connections_refused"]
    for source in ("127.0.0.3", "127.0.0.1"):
        with Master(port, source=source) as c:
            env.check(c.wait_closed(), "v2: a new connection from %s is closed at once" % source)
    gw.wait_status(lambda s: gw.listener("modbus", s)["connections_refused"] == refused + 2,
                   "two refused connections")
    env.check(gw.log.count(r"connection_refused .*reason=not_in_allowlist") >= 2,
              "v2: the refusals are logged with their reason")

    # ---- broken configurations are refused, v2 keeps running
    broken_syntax = json.dumps(v2, indent=1).replace('"routes"', '"routes" [', 1)
    verdict = gw.reload(broken_syntax)
    env.check(verdict.startswith("error: reload refused, configuration unchanged: ") and
              gw.config_path + ":" in verdict, "a syntax error is refused with its position (%s)" % verdict)
    broken_route = copy.deepcopy(v2)
    broken_route["routes"].append({"units": 9, "channel": "nope"})
    verdict = gw.reload(broken_route)
    env.check(verdict.startswith("error: reload refused") and "routes[3].channel" in verdict,
              "a route to a missing channel is refused, naming the key (%s)" % verdict)
    too_long = copy.deepcopy(v2)
    too_long["listeners"][0]["allowlist"] = ["10.0.%d.%d" % (i // 256, i % 256) for i in range(65)]
    verdict = gw.reload(too_long)
    env.check(verdict.startswith("error: reload refused") and "listeners[0].allowlist[64]" in verdict,
              "an allowlist longer than the runtime holds is refused, naming the entry (%s)" % verdict)
    env.check(gw.poll() is None, "the gateway is still running")
    env.check(registers(c1.request(7, read_input(0, 1))) == [5000], "after the refusals: v2's route still applies")
    with Master(port, source="127.0.0.3") as c:
        env.check(c.wait_closed(), "after the refusals: v2's allowlist still applies")

    # ---- a reload that needs a restart is refused whole
    restart = copy.deepcopy(v1)
    restart["channels"][1]["device"] = env.path("elsewhere.tty")
    verdict = gw.reload(restart)
    env.check(verdict.startswith("error: reload refused, configuration unchanged: ") and
              "channel 'b'" in verdict and "restart" in verdict,
              "a changed device path is refused: it needs a restart (%s)" % verdict)
    env.check(registers(c1.request(7, read_input(0, 1))) == [5000],
              "after the refused restart-only change: v2's route still applies (all or nothing)")
    env.check(registers(c1.request(4, read_input(0, 1))) == [4000], "channel b keeps its line")

    # ---- v3: back to v1's routes and allowlist
    verdict = gw.reload(v1)
    env.check(verdict == "notice: configuration reloaded", "v3 accepted")
    env.check(is_exception(c1.request(7, read_input(0, 1)), 4, 0x0A), "v3: unit 7 has no route again")
    with Master(port, source="127.0.0.3") as c3:
        env.check(registers(c3.request(2, read_holding(0, 1))) == [0], "v3: 127.0.0.3 may connect again")
    c1.close()
