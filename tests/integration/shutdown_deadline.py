#!/usr/bin/python3
"""SIGTERM when the queued work outlasts the stop's drain deadline: every request a master sent
before the stop must still get an answer (data, 0x0B or 0x06) before its connection is closed.

The device (HeldDevice) never answers; the channel's response timeout is 200 ms, so each
request ends in 0x0B after 200 ms and the next queued one goes on the bus. Eight requests are
queued when SIGTERM arrives. The gateway stops draining after "longest transaction + 1 s"
(about 1.2 s here), which is fine, but the requests still queued at that moment must not vanish:
the master has to learn they failed (the design: "nothing is lost silently").

No timing is asserted: the check is only that each of the 8 transaction ids is answered before
the connection's EOF and that the gateway exits 0.
"""
import signal

import gwtest
from gwtest import Master, read_holding

HELD = 20
COUNT = 8

with gwtest.Env(__doc__) as env:
    held_path, device = env.held_device()
    gw = env.gateway({
        "channels": [gwtest.serial_channel("held", held_path, response_timeout_ms=200)],
        "listeners": [gwtest.tcp_listener("modbus")],
        "routes": [{"units": HELD, "channel": "held"}],
    })
    m = Master(gw.port("modbus"))
    m.send([(tid, HELD, read_holding(tid, 1)) for tid in range(1, COUNT + 1)])
    device.read_request()
    gw.wait_status(lambda s: gw.channel("held", s)["queue_depth"] == COUNT - 1, "the requests queued")
    gw.signal(signal.SIGTERM)
    answered = {}
    closed = False
    try:
        while len(answered) < COUNT:
            tid, unit, pdu = m.recv()
            answered[tid] = pdu
    except EOFError:
        closed = True
    missing = sorted(set(range(1, COUNT + 1)) - set(answered))
    env.check(not missing, "every request sent before SIGTERM is answered before the connection closes "
              "(answered %s; never answered: %s; %s)" %
              (sorted(answered), missing, "closed by the gateway" if closed else "still open"))
    env.check(all(pdu in (bytes([0x83, 0x0B]), bytes([0x83, 0x06])) for pdu in answered.values()),
              "each answer is 0x0B (timed out on the bus) or 0x06 (still queued when the stop's "
              "deadline came: never sent, try again)")
    env.check(bytes([0x83, 0x0B]) in answered.values(), "the requests sent before the deadline timed out: 0x0B")
    env.check(gw.wait() == 0, "the gateway exits with code 0")
    m.close()
