#!/usr/bin/python3
"""Each fault gw_simulator can inject, as a Modbus TCP master sees it through gw_gateway.

Nine simulators, one channel each (units 1 and 2; only unit 2 is faulty):
  recover-*: the fault hits every 2nd request to unit 2, the channel retries once: the master
             gets the right data, and the counters show the retry and its cause
             (silence -> timeouts, bad_crc -> crc_errors, wrong_unit -> wrong_unit,
             truncated -> timeouts: a silence does not end a reply of known length, USB
             adapters deliver frames in chunks; garbage before a good reply needs no retry:
             the gateway resynchronises on the good frame and counts the noise)
  fail-*:    every request to unit 2 is faulty, the channel retries twice: the master gets
             0x0B after exactly 3 attempts on the line, counted as 2 retries and 3 causes
Unit 1 on every line is answered normally throughout: a faulty unit does not disturb its line.
All requests are pipelined on one connection: each channel keeps their order, and the
channels work in parallel.
"""
import gwtest
from gwtest import Master, read_holding

FAULTS = ["silence", "bad_crc", "wrong_unit", "garbage", "truncated"]
CAUSE = {"silence": "timeouts", "bad_crc": "crc_errors", "wrong_unit": "wrong_unit",
         "truncated": "timeouts"}

with gwtest.Env(__doc__) as env:
    sims, channels, routes = {}, [], []
    for i, (kind, every, retries) in enumerate([(k, 2, 1) for k in FAULTS] +
                                               [(k, 1, 2) for k in FAULTS if k != "garbage"]):
        name = ("recover-" if every == 2 else "fail-") + kind
        sims[name] = env.simulator("--units", "1,2", "--fault", kind, "--fault-unit", "2",
                                   "--fault-every", every, name=name)
        # Silence and a truncated reply cost a whole response timeout per attempt: keep it short.
        timeout = 500 if kind in ("silence", "truncated") else 1000
        channels.append(gwtest.serial_channel(name, sims[name].link, retries=retries,
                                              response_timeout_ms=timeout))
        # Units 10i+1 and 10i+2 of the master are units 1 and 2 of simulator i.
        routes.append({"units": "%d-%d" % (10 * i + 1, 10 * i + 2), "channel": name, "map_to": 1})
    gw = env.gateway({"channels": channels, "listeners": [gwtest.tcp_listener("modbus")],
                      "routes": routes})
    base = {name: 10 * i for i, name in enumerate(sims)}

    # recover-*: unit 1, unit 2 (the 1st qualifying request: not faulty), unit 2 again (faulty),
    # unit 1 again. fail-*: unit 1, unit 2 (faulty), unit 1. Transaction id = 10 * base + step.
    requests, expected = [], {}
    for name, b in base.items():
        steps = [(1, 10), (2, 20), (2, 30), (1, 40)] if name.startswith("recover-") else [(1, 10), (2, 30), (1, 40)]
        for step, (unit, address) in enumerate(steps):
            tid = 10 * b + step
            requests.append((tid, b + unit, read_holding(address, 2)))
            gives_up = unit == 2 and name.startswith("fail-")
            expected[tid] = (name, step, bytes([0x83, 0x0B]) if gives_up else
                             bytes([3, 4, 0, address, 0, address + 1]))
    m = Master(gw.port("modbus"))
    m.send(requests)
    answers = {tid: pdu for tid, unit, pdu in m.recv_many(len(requests))}
    for tid, (name, step, want) in sorted(expected.items()):
        got = answers.get(tid)
        env.check(got == want, "%s step %d (tid %d): %s (got %s)" %
                  (name, step, tid, want.hex(), got.hex() if got is not None else None))

    st = gw.status()
    for name, sim in sims.items():
        kind = name.split("-", 1)[1]
        c = gw.channel(name, st)
        unit2 = [r for r in sim.requests() if r[0] == 2]
        if name.startswith("recover-"):
            if kind == "garbage":
                env.check(c["retries"] == 0 and len(unit2) == 2,
                          "%s: no retry needed, the line saw unit 2 twice (%d)" % (name, len(unit2)))
                env.check(c["crc_errors"] + c["invalid_responses"] >= 1,
                          "%s: the noise is counted (crc_errors %d, invalid_responses %d)" %
                          (name, c["crc_errors"], c["invalid_responses"]))
            else:
                env.check(c["retries"] == 1 and c[CAUSE[kind]] == 1,
                          "%s: 1 retry, 1 %s (%d, %d)" % (name, CAUSE[kind], c["retries"], c[CAUSE[kind]]))
                env.check(len(unit2) == 3, "%s: the line saw unit 2 three times (%d)" % (name, len(unit2)))
            env.check(c["exceptions"] == {}, "%s: no exception answered (%r)" % (name, c["exceptions"]))
        else:
            env.check(c["retries"] == 2 and c[CAUSE[kind]] == 3,
                      "%s: 2 retries, 3 %s (%d, %d)" % (name, CAUSE[kind], c["retries"], c[CAUSE[kind]]))
            env.check(len(unit2) == 3, "%s: the line saw unit 2 three times: 3 attempts (%d)" % (name, len(unit2)))
            env.check(c["exceptions"] == {"11": 1}, "%s: one 0x0B answered (%r)" % (name, c["exceptions"]))
        env.check(c["transactions"] == (4 if name.startswith("recover-") else 3) and c["transport_failures"] == 0,
                  "%s: one transaction per request, the line never failed" % name)
        env.check(all(r[2].startswith("9 bytes") or r[0] == 2 for r in sim.requests()),
                  "%s: every unit 1 request answered normally by the device" % name)
    gave_up = gw.log.count(r"warning: modbus channel_event source=\d+ event=gave_up")
    env.check(gave_up == 4, "the log has one gave_up warning per 0x0B (%d)" % gave_up)
    env.check(gw.listener("modbus", st)["exceptions"] == {"11": 4}, "listener answered four 0x0B")
    m.close()
