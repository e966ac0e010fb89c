#!/usr/bin/python3
"""How gw_gateway orders, merges and answers requests: pipelining, priority, fairness,
read coalescing, broadcast.

The scheduling checks use a device played by the test (HeldDevice on a socat pty): it holds
each request until the test answers it, so "requests are queued while the bus is busy" is a
fact the test establishes (and confirms from the gateway's counters), not a matter of delays.
The device answers one request at a time and the test waits for that answer at its master
before releasing the next, so the order of answers is exactly the order on the bus.

  pipelining:  distinct transaction ids on one connection, each answered with its own id and
               data; answers in the order they complete (a fast channel overtakes a held one)
  priority:    three normal masters queue 9 requests; a master on the high listener then sends
               one: it goes on the bus right after the one in flight
  fairness:    master A queues 20 requests, master B then sends 1 on the same listener: B is
               served among the first 3
  coalescing:  3 masters queue the same read: one bus transaction answers all three
  broadcast:   a write to unit 0 reaches every unit of the device, the master gets no answer
               for it (the next answer on its connection is the following request's)
"""
import gwtest
from gwtest import Master, read_holding, read_input, registers, write_register, write_registers

HELD = 20  # unit of the held device


def answer(address, count=1):
    return gwtest.HeldDevice.answer_for(read_holding(address, count))


with gwtest.Env(__doc__) as env:
    sim = env.simulator("--units", "1-3")
    held_path, device = env.held_device()
    gw = env.gateway({
        "channels": [gwtest.serial_channel("sim", sim.link),
                     gwtest.serial_channel("held", held_path, response_timeout_ms=30000,
                                           coalesce_reads=True)],
        "listeners": [gwtest.tcp_listener("modbus"), gwtest.tcp_listener("priority", priority="high")],
        "routes": [{"units": "1-3", "channel": "sim"}, {"units": 0, "channel": "sim"},
                   {"units": HELD, "channel": "held"}],
    })
    port, priority_port = gw.port("modbus"), gw.port("priority")

    def held_status(predicate, what):
        return gw.wait_status(lambda s: predicate(gw.channel("held", s)), what)

    def serve_in_bus_order(owners):
        """Serves len(owners) held requests one by one; owners maps a request's address to
        (master, tid, label). Waits for each answer at its master before the next. Returns the
        labels in bus order."""
        order = []
        for _ in range(len(owners)):
            unit, request = device.read_request()
            address = int.from_bytes(request[1:3], "big")
            master, tid, label = owners[address]
            device.reply(unit, device.answer_for(request))
            got = master.recv()
            env.check(got == (tid, HELD, answer(address)),
                      "%s answered with its tid %d and holding[%d] (got %r)" % (label, tid, address, got))
            order.append(label)
        return order

    # ---- pipelining: distinct tids on one connection, each answered with its own
    m = Master(port)
    batch = [(0x0000, 1, read_holding(0, 2)), (0xFFFF, 2, read_input(7, 1)), (0x1234, 3, read_holding(40, 3)),
             (7, 1, read_input(9, 2)), (0x8000, 2, read_holding(123, 1)), (42, 3, read_input(0, 1))]
    expected = {0x0000: [0, 1], 0xFFFF: [2007], 0x1234: [40, 41, 42], 7: [1009, 1010], 0x8000: [123], 42: [3000]}
    m.send(batch)
    got = m.recv_many(len(batch))
    env.check([(tid, unit, registers(pdu)) for tid, unit, pdu in got] ==
              [(tid, unit, expected[tid]) for tid, unit, _ in batch],
              "6 pipelined requests on one channel: each answered with its own tid, unit and data, "
              "in the order they completed (FIFO on the line) (%r)" % got)
    # Completion order, not request order: a held request is overtaken by a later one.
    m.send([(501, HELD, read_holding(5, 1)), (502, 1, read_holding(6, 1))])
    unit, request = device.read_request()
    env.check(m.recv() == (502, 1, bytes([3, 2, 0, 6])),
              "tid 502 (simulator) is answered while tid 501 (held device) is still on its bus")
    device.reply(unit, device.answer_for(request))
    env.check(m.recv() == (501, HELD, answer(5)), "then tid 501, when the device answers")

    # ---- priority: three normal masters queue 3 requests each, then one from the high listener.
    # Several normal masters, so that round-robin alone would put it 4th (after N2, N3, N1).
    normals = [Master(port) for _ in range(3)]
    high = Master(priority_port)
    for k, n in enumerate(normals):
        n.send([(tid, HELD, read_holding(10 * k + tid, 1)) for tid in (1, 2, 3)])
        if k == 0:
            unit, first = device.read_request()  # N1's first request is on the bus, held
    held_status(lambda c: c["queue_depth"] == 8, "8 normal requests queued")
    high.send([(99, HELD, read_holding(100, 1))])
    held_status(lambda c: c["queue_depth"] == 9, "the priority request queued")
    device.reply(unit, device.answer_for(first))
    env.check(normals[0].recv() == (1, HELD, answer(1)), "N1's first request (in flight when the priority one came)")
    owners = {10 * k + tid: (n, tid, "N%d.%d" % (k + 1, tid)) for k, n in enumerate(normals) for tid in (1, 2, 3)}
    del owners[1]
    owners[100] = (high, 99, "priority")
    order = ["N1.1"] + serve_in_bus_order(owners)
    env.check(order.index("priority") <= 2,
              "the priority request is answered before all normal ones but the one in flight (+1): %r" % order)
    for k in range(3):
        mine = [o for o in order if o.startswith("N%d." % (k + 1))]
        env.check(mine == ["N%d.%d" % (k + 1, t) for t in (1, 2, 3)], "N%d's requests keep their order" % (k + 1))

    # ---- fairness: A queues 20, then B sends 1 on the same listener
    a, b = Master(port), Master(port)
    a.send([(tid, HELD, read_holding(200 + tid, 1)) for tid in range(1, 21)])
    unit, first = device.read_request()
    held_status(lambda c: c["queue_depth"] == 19, "A's other 19 requests queued")
    b.send([(1, HELD, read_holding(300, 1))])
    held_status(lambda c: c["queue_depth"] == 20, "B's request queued")
    device.reply(unit, device.answer_for(first))
    env.check(a.recv() == (1, HELD, answer(201)), "A's first request (in flight when B's came)")
    owners = {200 + tid: (a, tid, "A%d" % tid) for tid in range(2, 21)}
    owners[300] = (b, 1, "B")
    order = ["A1"] + serve_in_bus_order(owners)
    env.check(order.index("B") < 3, "B is answered among the first 3 replies: %r" % order[:5])

    # ---- coalescing: three masters queue the same read while the bus is busy
    before = gw.channel("held")
    x = Master(port)
    x.send([(1, HELD, read_holding(900, 1))])
    unit, first = device.read_request()
    readers = [Master(port), Master(priority_port), Master(port, source="127.0.0.2")]
    for i, r in enumerate(readers):
        r.send([(0x100 + i, HELD, read_holding(10, 3))])
    c = held_status(lambda c: c["requests"] == before["requests"] + 4, "four requests accepted")
    held = gw.channel("held", c)
    env.check(held["coalesced"] == before["coalesced"] + 2,
              "two of the three identical reads were attached to the first (coalesced %d)" % held["coalesced"])
    device.reply(unit, device.answer_for(first))
    env.check(x.recv() == (1, HELD, answer(900)), "the request in flight completes")
    unit, request = device.read_request()
    env.check(request == read_holding(10, 3), "the identical read goes on the bus once (%s)" % request.hex())
    device.reply(unit, device.answer_for(request))
    for i, r in enumerate(readers):
        env.check(r.recv() == (0x100 + i, HELD, answer(10, 3)),
                  "reader %d gets holding[10..12] with its own tid" % i)
    x.send([(2, HELD, read_holding(901, 1))])
    unit, request = device.read_request()
    env.check(request == read_holding(901, 1), "the next frame on the bus is a new request, not a second read")
    device.reply(unit, device.answer_for(request))
    env.check(x.recv() == (2, HELD, answer(901)), "and it is answered")
    after = gw.channel("held")
    env.check(after["transactions"] - before["transactions"] == 3 and after["requests"] - before["requests"] == 5,
              "5 requests, 3 bus transactions (%d, %d)" % (after["requests"] - before["requests"],
                                                          after["transactions"] - before["transactions"]))

    # ---- broadcast: unit 0 reaches the device, nobody is answered
    bc_before = gw.channel("sim")["broadcasts"]
    m.send([(50, 0, write_register(300, 4321)), (51, 1, read_holding(300, 1))])
    env.check(m.recv() == (51, 1, bytes([3, 2, 0x10, 0xE1])),
              "after a broadcast write, the first answer is the next request's (tid 51, holding[300] = 4321)")
    m.send([(52, 0, write_registers(310, [1, 2, 3])), (53, 3, read_holding(310, 3))])
    tid, unit, pdu = m.recv()
    env.check((tid, unit, registers(pdu)) == (53, 3, [1, 2, 3]),
              "broadcast FC 16 reached unit 3 too; only tid 53 is answered")
    env.check(registers(m.request(2, read_holding(300, 1))) == [4321], "and unit 2")
    seen = [r for r in sim.requests() if r[0] == 0]
    env.check(seen == [(0, 6, "no reply"), (0, 16, "no reply")],
              "the simulator received both broadcasts and answered neither (%r)" % seen)
    env.check(gw.channel("sim")["broadcasts"] - bc_before == 2, "channel sim counted 2 broadcasts")
