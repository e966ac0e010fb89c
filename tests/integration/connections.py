#!/usr/bin/python3
"""Who may connect, how many, and for how long. Clients bind 127.0.0.2, .3, ... before
connecting, so that the gateway sees distinct source hosts.

  allowlist ["127.0.0.2"]: 127.0.0.2 is served; 127.0.0.3 and 127.0.0.1 are closed at once
  max_connections_per_source 2, max_connections 3: the 3rd connection from one host and the
      4th in all are closed at once; closing one frees its place
  limits.max_connections 3 (gateway-wide, second gateway): the 4th connection across two
      listeners is closed at once
  idle_timeout_s 1: a silent connection, and one that went silent after a request, are closed
      by the gateway (the test waits for the EOF, bounded); other listeners' connections stay
Every refusal is counted and logged with its reason.
"""
import gwtest
from gwtest import Master, read_holding, registers


def served(env, master, what):
    return env.check(registers(master.request(1, read_holding(2, 1))) == [2], what)


with gwtest.Env(__doc__) as env:
    sim = env.simulator("--units", "1")
    gw = env.gateway({
        "channels": [gwtest.serial_channel("sim", sim.link)],
        "listeners": [gwtest.tcp_listener("allow", allowlist=["127.0.0.2"]),
                      gwtest.tcp_listener("limited", max_connections=3, max_connections_per_source=2),
                      gwtest.tcp_listener("idle", idle_timeout_s=1)],
        "routes": [{"units": 1, "channel": "sim"}],
    })

    # ---- allowlist
    with Master(gw.port("allow"), source="127.0.0.2") as ok:
        served(env, ok, "allowlist: 127.0.0.2 is served")
        for source in ("127.0.0.3", "127.0.0.1"):
            with Master(gw.port("allow"), source=source) as refused:
                env.check(refused.wait_closed(), "allowlist: %s is closed at once" % source)
        served(env, ok, "allowlist: 127.0.0.2 is still served")
    st = gw.wait_status(lambda s: gw.listener("allow", s)["connections_refused"] == 2, "2 refusals")
    env.check(gw.listener("allow", st)["connections_accepted"] == 1, "allowlist: 1 accepted, 2 refused")
    for source in ("127.0.0.3", "127.0.0.1"):
        env.check(gw.log.count(r"connection_refused source=0 peer=%s:\d+ reason=not_in_allowlist" %
                               source.replace(".", r"\.")) == 1,
                  "allowlist: the refusal of %s is logged with reason not_in_allowlist" % source)

    # ---- per-source and per-listener limits
    port = gw.port("limited")
    c1, c2 = Master(port), Master(port)
    served(env, c1, "limits: 1st connection from 127.0.0.1 served")
    served(env, c2, "limits: 2nd connection from 127.0.0.1 served")
    with Master(port) as c3:
        env.check(c3.wait_closed(), "limits: 3rd connection from 127.0.0.1 closed at once (per source: 2)")
    c4 = Master(port, source="127.0.0.4")
    served(env, c4, "limits: a connection from 127.0.0.4 served (3rd in all)")
    with Master(port, source="127.0.0.5") as c5:
        env.check(c5.wait_closed(), "limits: 4th connection in all (127.0.0.5) closed at once (listener: 3)")
    env.check(gw.log.count(r"connection_refused source=1 .*reason=too_many_from_source") == 1,
              "limits: logged with reason too_many_from_source")
    env.check(gw.log.count(r"connection_refused source=1 .*reason=too_many_connections") == 1,
              "limits: logged with reason too_many_connections")
    c1.close()
    gw.wait_status(lambda s: gw.listener("limited", s)["connections_active"] == 2, "the closed connection gone")
    c6 = Master(port)
    served(env, c6, "limits: after one closed, 127.0.0.1 is served again")
    served(env, c2, "limits: the earlier connections are unaffected")
    env.check(gw.listener("limited")["connections_refused"] == 2, "limits: 2 refusals counted")

    # ---- idle timeout
    port = gw.port("idle")
    silent = Master(port)
    talker = Master(port)
    served(env, talker, "idle: a connection that sends a request is answered")
    env.check(silent.wait_closed(), "idle: a silent connection is closed by the gateway")
    env.check(talker.wait_closed(), "idle: the connection that went silent after its request is closed")
    st = gw.wait_status(lambda s: gw.listener("idle", s)["idle_timeouts"] == 2, "2 idle timeouts")
    env.check(gw.listener("idle", st)["connections_active"] == 0, "idle: no connection left on that listener")
    env.check(gw.log.count(r"idle_timeout") >= 2, "idle: the closes are logged")
    served(env, c2, "idle: connections on listeners without an idle timeout stay open")
    for c in (c2, c4, c6, silent, talker):
        c.close()

    # ---- gateway-wide limit
    gw2 = env.gateway({
        "channels": [gwtest.serial_channel("sim", env.simulator("--units", "1").link)],
        "listeners": [gwtest.tcp_listener("one"), gwtest.tcp_listener("two")],
        "routes": [{"units": 1, "channel": "sim"}],
        "limits": {"max_connections": 3},
    }, name="gw-global")
    g = [Master(gw2.port("one")), Master(gw2.port("one"), source="127.0.0.2"), Master(gw2.port("two"))]
    for i, c in enumerate(g):
        served(env, c, "global limit: connection %d served" % (i + 1))
    with Master(gw2.port("two"), source="127.0.0.3") as extra:
        env.check(extra.wait_closed(), "global limit: a 4th connection (other listener, other host) closed at once")
    g[0].close()
    gw2.wait_status(lambda s: gw2.listener("one", s)["connections_active"] == 1, "the closed connection gone")
    with Master(gw2.port("two"), source="127.0.0.3") as again:
        served(env, again, "global limit: after one closed, a new connection is served")
    for c in g[1:]:
        c.close()
