#!/usr/bin/python3
"""Who may connect, how many, and for how long. Clients bind 127.0.0.2, .3, ... before
connecting, so that the gateway sees distinct source hosts.

  allowlist ["127.0.0.2"]: 127.0.0.2 is served; 127.0.0.3 and 127.0.0.1 are closed at once
  max_connections_per_source 2, max_connections 3: the 3rd connection from one host is closed
      at once; on the full listener a newcomer takes the longest-idle connection of the host
      holding the most (audited as an eviction); when every host holds one, a further host is
      refused (nobody can lock another out)
  max_connections 4 and no per-source cap (the default): one host may use every slot; a second
      host still gets in, at the cost of the first host's longest-idle connection
  limits.max_connections 3 (gateway-wide, second gateway): the 4th connection across two
      listeners is closed at once
  idle_timeout_s 1: a silent connection, and one that went silent after a request, are closed
      by the gateway (the test waits for the EOF, bounded); other listeners' connections stay
  write_timeout_s 1: a master that floods pipelined requests and never reads its answers is
      closed once an answer has not drained for 1 s (reason=write_timeout); meanwhile another
      master on the same listener is served (nothing waits on the stuck one)
Every refusal is counted and logged with its reason.
"""
import socket
import threading

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
                      gwtest.tcp_listener("idle", idle_timeout_s=1),
                      gwtest.tcp_listener("fair", max_connections=4),
                      gwtest.tcp_listener("stuck", write_timeout_s=1)],
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

    # ---- per-source and per-listener limits, fair eviction
    port = gw.port("limited")
    c1, c2 = Master(port), Master(port)
    served(env, c1, "limits: 1st connection from 127.0.0.1 served")
    served(env, c2, "limits: 2nd connection from 127.0.0.1 served")
    with Master(port) as c3:
        env.check(c3.wait_closed(), "limits: 3rd connection from 127.0.0.1 closed at once (per source: 2)")
    c4 = Master(port, source="127.0.0.4")
    served(env, c4, "limits: a connection from 127.0.0.4 served (3rd in all: the listener is full)")
    c5 = Master(port, source="127.0.0.5")
    served(env, c5, "limits: a newcomer (127.0.0.5) on the full listener is served")
    env.check(c1.wait_closed(),
              "limits: the longest-idle connection of the host holding the most (127.0.0.1) gave way")
    served(env, c2, "limits: 127.0.0.1's other connection is unaffected")
    with Master(port, source="127.0.0.6") as c6:
        env.check(c6.wait_closed(), "limits: every host holds one: 127.0.0.6 is closed at once")
    env.check(gw.log.settled_count(r"connection_refused source=1 .*reason=too_many_from_source", 1) == 1,
              "limits: logged with reason too_many_from_source")
    env.check(gw.log.settled_count(r"connection_refused source=1 .*reason=too_many_connections", 1) == 1,
              "limits: logged with reason too_many_connections")
    env.check(gw.log.wait(r"connection_closed source=1 peer=127\.0\.0\.1:\d+ reason=evicted",
                          what="the eviction logged") is not None,
              "limits: the eviction is logged with the evicted peer")
    env.check(gw.listener("limited")["connections_refused"] == 2, "limits: 2 refusals counted")
    c1.close()

    # ---- the default: no per-source cap, one host may use every slot
    port = gw.port("fair")
    mine = [Master(port) for _ in range(4)]
    for i, c in enumerate(mine):
        served(env, c, "fair: connection %d of 4 from one host served" % (i + 1))
    with Master(port) as extra:
        env.check(extra.wait_closed(), "fair: a 5th from the same host is closed (the listener is full)")
    other = Master(port, source="127.0.0.7")
    served(env, other, "fair: another host still gets in")
    env.check(mine[0].wait_closed(), "fair: the first host's longest-idle connection gave way")
    for i, c in enumerate(mine[1:]):
        served(env, c, "fair: the first host's connection %d stays" % (i + 2))
    for c in mine + [other]:
        c.close()

    # ---- idle timeout
    port = gw.port("idle")
    silent = Master(port)
    talker = Master(port)
    served(env, talker, "idle: a connection that sends a request is answered")
    env.check(silent.wait_closed(), "idle: a silent connection is closed by the gateway")
    env.check(talker.wait_closed(), "idle: the connection that went silent after its request is closed")
    st = gw.wait_status(lambda s: gw.listener("idle", s)["idle_timeouts"] == 2, "2 idle timeouts")
    env.check(gw.listener("idle", st)["connections_active"] == 0, "idle: no connection left on that listener")
    env.check(gw.log.settled_count(r"idle_timeout", 2) >= 2, "idle: the closes are logged")
    served(env, c2, "idle: connections on listeners without an idle timeout stay open")
    for c in (c2, c4, c5, silent, talker):
        c.close()

    # ---- write deadline: a master that stops reading
    port = gw.port("stuck")
    stuck = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window, never read
    stuck.connect(("127.0.0.1", port))
    flood = b"".join(Master.adu(i & 0xFFFF, 1, read_holding(0, 125)) for i in range(40000))

    def send_flood():
        try:
            stuck.sendall(flood)  # blocks once the gateway pauses reading; ends when it closes
        except OSError:
            pass

    sender = threading.Thread(target=send_flood, daemon=True)
    sender.start()
    with Master(port, source="127.0.0.8") as other:
        served(env, other, "write deadline: another master is served while one stops reading")
    gw.log.wait(r"connection_closed source=4 peer=127\.0\.0\.1:\d+ reason=write_timeout",
                what="the stuck master closed for its write timeout")
    env.check(True, "write deadline: the master that stopped reading is closed (reason=write_timeout)")
    sender.join(gwtest.WAIT_S)
    env.check(not sender.is_alive(), "write deadline: its flood ends with the connection")
    stuck.close()
    st = gw.wait_status(lambda s: gw.listener("stuck", s)["write_timeouts"] == 1, "1 write timeout")
    env.check(gw.listener("stuck", st)["connections_active"] == 0, "write deadline: nothing left open")

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
