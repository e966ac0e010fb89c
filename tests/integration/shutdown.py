#!/usr/bin/python3
"""SIGTERM with requests in flight: a graceful stop.

A device played by the test (HeldDevice) holds the request on its bus, two more from the same
master and one from another master are queued behind it. Then SIGTERM:
  - the gateway logs that it is stopping and keeps running while requests are outstanding;
  - a new request on an open connection is answered 0x06 (busy) at once, new connections
    are refused (the listener is closed);
  - when the device answers, every outstanding request is answered with its data;
  - the gateway then closes the connections, writes the status file and exits with code 0.
"""
import json
import signal
import socket

import gwtest
from gwtest import Master, read_holding

HELD = 20

with gwtest.Env(__doc__) as env:
    sim = env.simulator("--units", "1")
    held_path, device = env.held_device()
    gw = env.gateway({
        "channels": [gwtest.serial_channel("sim", sim.link),
                     gwtest.serial_channel("held", held_path, response_timeout_ms=30000)],
        "listeners": [gwtest.tcp_listener("modbus")],
        "routes": [{"units": 1, "channel": "sim"}, {"units": HELD, "channel": "held"}],
    })
    port = gw.port("modbus")
    m, other = Master(port), Master(port)
    m.send([(tid, HELD, read_holding(tid, 1)) for tid in (1, 2, 3)])
    unit, first = device.read_request()
    other.send([(9, HELD, read_holding(9, 1))])
    gw.wait_status(lambda s: gw.channel("held", s)["queue_depth"] == 3, "three requests queued")

    gw.signal(signal.SIGTERM)
    gw.log.wait(r"notice: system stopping", what="the stopping event")
    env.check(gw.poll() is None, "the gateway keeps running while requests are outstanding")
    m.send([(4, 1, read_holding(0, 1))])
    env.check(m.recv() == (4, 1, bytes([0x83, 0x06])), "a new request while stopping: 0x06 at once")
    try:
        socket.create_connection(("127.0.0.1", port), timeout=gwtest.WAIT_S).close()
        refused = False
    except ConnectionRefusedError:
        refused = True
    env.check(refused, "a new connection while stopping is refused (the listener is closed)")

    device.reply(unit, device.answer_for(first))
    served = [device.serve_one()[1] for _ in range(3)]
    env.check(sorted(served) == sorted(read_holding(a, 1) for a in (2, 3, 9)),
              "the queued requests still go on the bus")
    env.check(m.recv_many(3) == [(tid, HELD, bytes([3, 2, 0, tid])) for tid in (1, 2, 3)],
              "the master gets the in-flight request and its two queued ones answered with data")
    env.check(other.recv() == (9, HELD, bytes([3, 2, 0, 9])), "the other master's queued request is answered")
    env.check(m.wait_closed() and other.wait_closed(), "then the gateway closes the connections")
    env.check(gw.wait() == 0, "and exits with code 0")
    env.check(gw.log.count(r"notice: stopped$") == 1, "the log ends with 'stopped'")
    final = json.load(open(gw.status_path))
    held = gw.channel("held", final)
    env.check(held["responses"] == 4 and held["queue_depth"] == 0,
              "the status file written at exit shows the 4 answers (%d)" % held["responses"])
    env.check(gw.listener("modbus", final)["exceptions"] == {"6": 1}, "and the one 0x06")
    m.close()
    other.close()
