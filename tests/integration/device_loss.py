#!/usr/bin/python3
"""The serial device vanishes and comes back (a USB adapter unplugged and plugged in again).

gw_simulator serves a pty linked at a fixed path; the gateway's channel opens that path.
  1. A request is on the bus (unit 3 stays silent, the response timeout is 30 s) and another is
     queued behind it when the simulator is stopped: its pty and link disappear. Both masters
     get 0x0B at once - well before the response timeout, which is longer than any wait here -
     and the log says the channel is down.
  2. While it is down, new requests get 0x0B at once (no hang), the status shows it down.
  3. A new simulator at the same link: the gateway reopens it (the log says up) and requests
     succeed again. Twice, to show the reopen backoff starts over after a recovery.
"""
import os

import gwtest
from gwtest import Master, is_exception, read_holding, registers

with gwtest.Env(__doc__) as env:
    link = env.path("adapter.tty")
    sim = env.simulator("--units", "1-3", "--fault", "silence", "--fault-unit", "3", name="sim", link=link)
    gw = env.gateway({
        "channels": [gwtest.serial_channel("line", link, response_timeout_ms=30000,
                                           reopen_backoff_ms=[20, 500])],
        "listeners": [gwtest.tcp_listener("modbus")],
        "routes": [{"units": "1-3", "channel": "line"}],
    })
    port = gw.port("modbus")
    a, b = Master(port), Master(port)
    env.check(registers(a.request(1, read_holding(4, 2))) == [4, 5], "the line works")

    for cycle in (1, 2):
        downs = gw.log.count(r"error: channel line down: ")
        ups = gw.log.count(r"notice: channel line up: ")
        # 1. one request on the bus (unit 3 is silent), one queued behind it
        seen = len(sim.requests())
        a.send([(10, 3, read_holding(0, 1))])
        sim.wait_requests(seen + 1)
        b.send([(11, 1, read_holding(0, 1))])
        gw.wait_status(lambda s: gw.channel("line", s)["queue_depth"] == 1, "the second request queued")
        env.check(sim.stop() == 0, "cycle %d: the simulator stops (exit 0)" % cycle)
        env.check(not os.path.lexists(link), "cycle %d: its link is gone" % cycle)
        env.check(a.recv() == (10, 3, bytes([0x83, 0x0B])),
                  "cycle %d: the request on the bus is answered 0x0B when the line fails" % cycle)
        env.check(b.recv() == (11, 1, bytes([0x83, 0x0B])),
                  "cycle %d: the queued request is answered 0x0B too" % cycle)
        line = gw.log.wait(r"error: channel line down: (.*)$", after=downs, what="channel line down").group(1)
        env.check("reopening" in line, "cycle %d: the log says the channel is down: %s" % (cycle, line))

        # 2. while it is down
        env.check(is_exception(a.request(1, read_holding(0, 1)), 3, 0x0B), "cycle %d: down: 0x0B at once" % cycle)
        env.check(is_exception(b.request(2, gwtest.write_register(0, 1)), 6, 0x0B),
                  "cycle %d: down: a write gets 0x0B at once too" % cycle)
        st = gw.channel("line")
        env.check(st["up"] is False and st["transport_failures"] == cycle,
                  "cycle %d: status shows the channel down, %d transport failure(s)" % (cycle, cycle))

        # 3. the device comes back at the same path
        sim = env.simulator("--units", "1-3", "--fault", "silence", "--fault-unit", "3", name="sim", link=link)
        gw.wait_channel_up("line", after=ups)
        result = None
        for attempt in range(5):  # bounded; the first attempt after "up" is expected to work
            result = registers(a.request(1, read_holding(20, 2)))
            if result is not None:
                break
        env.check(result == [20, 21], "cycle %d: after the device is back, requests succeed (attempts: %d)"
                  % (cycle, attempt + 1))
        env.check(registers(b.request(2, read_holding(7, 1))) == [7], "cycle %d: on both connections" % cycle)
        env.check(gw.channel("line")["up"] is True, "cycle %d: status shows the channel up" % cycle)
    a.close()
    b.close()
