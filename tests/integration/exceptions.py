#!/usr/bin/python3
"""Every exception a Modbus TCP master can get from gw_gateway, and where each comes from.

  0x0A  unit without a route: answered by the gateway, the bus never sees it
  0x06  the master's queue on a channel is full (queue_per_master 2, a device that holds its
        answer until the test releases it): the excess is answered at once, other masters are
        not affected, the accepted requests complete normally
  01/02/03/04 from the device: passed through byte for byte
  01/02/03 from validation: answered by the gateway itself, the bus never sees the request
        (the simulator's request log and the channel counters do not move)
(0x0B is in faults.py and device_loss.py.)
"""
import gwtest
from gwtest import Master, is_exception, read_holding, registers


def pdu(*values):
    return bytes(values)


with gwtest.Env(__doc__) as env:
    sim = env.simulator("--units", "1-3")
    held_path, device = env.held_device()
    gw = env.gateway({
        "channels": [gwtest.serial_channel("sim", sim.link),
                     gwtest.serial_channel("held", held_path, queue_per_master=2, response_timeout_ms=20000)],
        "listeners": [gwtest.tcp_listener("modbus")],
        "routes": [{"units": "1-3", "channel": "sim"}, {"units": 20, "channel": "held"}],
    })
    port = gw.port("modbus")
    m = Master(port)

    # A first request proves the path works and gives the counters a baseline.
    env.check(registers(m.request(1, read_holding(0, 2))) == [0, 1], "unit 1 answers through the gateway")
    sim_before = len(sim.requests())
    chan_before = gw.channel("sim")

    # ---- 0x0A: no route
    for unit in (9, 4, 247):
        env.check(is_exception(m.request(unit, read_holding(0, 1)), 3, 0x0A),
                  "unit %d has no route: 83 0A" % unit)
    env.check(is_exception(m.request(0, gwtest.write_register(0, 1)), 6, 0x0A),
              "unit 0 (broadcast) without a broadcast route: 86 0A")

    # ---- validation: the gateway answers, the bus never sees it
    invalid = [
        (pdu(3, 0, 0, 0, 0), pdu(0x83, 3), "FC 3 quantity 0"),
        (pdu(3, 0, 0, 0, 126), pdu(0x83, 3), "FC 3 quantity 126 (max 125)"),
        (pdu(4, 0, 0, 0, 0), pdu(0x84, 3), "FC 4 quantity 0"),
        (pdu(1, 0, 0, 0x07, 0xD1), pdu(0x81, 3), "FC 1 quantity 2001 (max 2000)"),
        (pdu(2, 0, 0, 0, 0), pdu(0x82, 3), "FC 2 quantity 0"),
        (pdu(3, 0xFF, 0xFF, 0, 2), pdu(0x83, 2), "FC 3 address 65535 + quantity 2 beyond 65536"),
        (pdu(5, 0, 1, 0x12, 0x34), pdu(0x85, 3), "FC 5 coil value 0x1234"),
        (pdu(6, 0, 1, 0), pdu(0x86, 3), "FC 6 one byte short"),
        (pdu(16, 0, 0, 0, 2, 3, 0, 1, 0), pdu(0x90, 3), "FC 16 byte count 3 for 2 registers"),
        (pdu(16, 0, 0, 0, 0, 0), pdu(0x90, 3), "FC 16 quantity 0"),
        (pdu(15, 0, 0, 0, 9, 1, 0xFF), pdu(0x8F, 3), "FC 15 9 coils in 1 byte"),
        (pdu(0x30), pdu(0xB0, 1), "function 0x30 (not a Modbus function)"),
    ]
    for request, answer, what in invalid:
        got = m.request(1, request)
        env.check(got == answer, "%s: gateway answers %s (got %s)" % (what, answer.hex(), got.hex()))
    # The held device's channel too: nothing reaches it (checked below: the first frame it sees
    # is the first valid request).
    for request, answer, what in invalid[:3]:
        env.check(m.request(20, request) == answer, "%s to unit 20: %s" % (what, answer.hex()))

    st = gw.status()
    chan = gw.channel("sim", st)
    env.check(len(sim.requests()) == sim_before, "the simulator saw none of those requests")
    env.check(chan["requests"] == chan_before["requests"] and chan["transactions"] == chan_before["transactions"],
              "channel sim counted no request or transaction for them")
    held = gw.channel("held", st)
    env.check(held["requests"] == 0 and held["transactions"] == 0, "channel held counted nothing either")
    lst = gw.listener("modbus", st)
    env.check(lst["exceptions"].get("10") == 4, "listener counted four 0x0A (%r)" % lst["exceptions"])
    env.check(lst["exceptions"].get("3", 0) >= 11 and lst["exceptions"].get("2") == 1
              and lst["exceptions"].get("1") == 1,
              "listener counted the validation exceptions by code (%r)" % lst["exceptions"])

    # ---- the devices' own exceptions pass through unchanged
    got = m.request(1, read_holding(9999, 2))
    env.check(got == pdu(0x83, 2), "simulator's 83 02 (beyond its tables) passes unchanged (%s)" % got.hex())
    got = m.request(2, pdu(24, 0, 0))
    env.check(got == pdu(0x98, 1), "simulator's 98 01 (FC 24 not implemented) passes unchanged (%s)" % got.hex())
    env.check([r[:2] for r in sim.requests()[-2:]] == [(1, 3), (2, 24)],
              "the simulator did receive both (%r)" % sim.requests()[-2:])
    for request, answer in [(read_holding(7, 1), pdu(0x83, 3)), (read_holding(7, 1), pdu(0x83, 4)),
                            (gwtest.write_register(7, 1), pdu(0x86, 1)), (read_holding(8, 2), pdu(0x83, 2))]:
        m.send([(0x0707, 20, request)])
        unit, seen = device.read_request()
        env.check(unit == 20 and seen == request, "the held device receives %s (first frame it sees: %s)"
                  % (request.hex(), seen.hex()))
        device.reply(unit, answer)
        tid, runit, got = m.recv()
        env.check((tid, runit, got) == (0x0707, 20, answer),
                  "device's own %s reaches the master unchanged (got %s)" % (answer.hex(), got.hex()))
    held = gw.channel("held")
    env.check(held["device_exceptions"] == 4 and held["timeouts"] == 0,
              "channel held counted 4 device exceptions (%r)" % held)

    # ---- 0x06: one master pipelines 6 requests, its queue holds 2 (one on the bus, one waiting)
    m.send([(tid, 20, read_holding(tid * 10, 1)) for tid in range(1, 7)])
    unit, first = device.read_request()
    env.check(first == read_holding(10, 1), "the device holds the first request (%s)" % first.hex())
    busy = m.recv_many(4)
    env.check(busy == [(tid, 20, pdu(0x83, 6)) for tid in range(3, 7)],
              "requests 3..6 are answered 83 06 at once, with their own tids (%r)" % busy)
    # Another master is not affected by the first one's full queue.
    other = Master(port)
    other.send([(77, 20, read_holding(500, 1))])
    gw.wait_status(lambda s: gw.channel("held", s)["requests"] >= 4 + 3,
                   "the other master's request queued")
    device.reply(unit, device.answer_for(first))
    env.check(m.recv() == (1, 20, pdu(3, 2, 0, 10)), "request 1 completes with its data")
    served = [device.serve_one()[1] for _ in range(2)]
    env.check(sorted(served) == sorted([read_holding(20, 1), read_holding(500, 1)]),
              "the device then gets request 2 and the other master's request (%r)" % [s.hex() for s in served])
    env.check(m.recv() == (2, 20, pdu(3, 2, 0, 20)), "request 2 completes with its data")
    env.check(other.recv() == (77, 20, pdu(3, 2, 0x01, 0xF4)), "the other master's request completes")
    st = gw.status()
    held = gw.channel("held", st)
    env.check(held["busy_rejections"] == 4, "channel held counted 4 busy rejections (%r)" % held)
    env.check(gw.listener("modbus", st)["exceptions"].get("6") == 4, "listener counted four 0x06")
    # The queue is free again: the same master is served normally.
    m.send([(8, 20, read_holding(8, 1))])
    device.serve_one()
    env.check(m.recv() == (8, 20, pdu(3, 2, 0, 8)), "after the burst, the master is served again")
    other.close()
    m.close()
