#!/usr/bin/python3
"""The console's live traffic monitor from the outside: server-sent events over HTTPS, the
recent frames as JSON, and a pcapng capture that tshark decodes as Modbus RTU.

  without a session the stream is 401
  a stream filtered to unit 2, function 3: a master's reads of units 1 and 2 and a write to
      unit 2 go through the gateway; the stream carries exactly the request and the answer of
      the unit-2 read, in order, the request's bytes the RTU frame on the line (CRC included)
  GET /api/v1/traffic?unit=1: the unit-1 read's request and answer
  a reconnecting stream with Last-Event-ID gets the frames after that id from the ring
  a fifth stream while four are open: 503
  the pcapng capture: tshark (with the DLT User table mapping 147 to mbrtu) reads unit and
      function code of every frame, the interface is named after the channel
  logout: the open stream ends (at its next keep-alive)
"""
import json
import os
import socket
import ssl
import subprocess

import gwtest
from console_client import TrafficStream as Stream, gateway_with_console
from gwtest import Master, read_holding, registers, rtu_frame, write_register


with gwtest.Env(__doc__) as env:
    sim = env.simulator("--units", "1-3")
    gw, port, cert, admin = gateway_with_console(
        env, [gwtest.serial_channel("line1", sim.link)],
        [{"units": "1-3", "channel": "line1"}])

    anonymous = Stream(port, cert, None)
    env.check(anonymous.status == 401, "the stream without a session: 401 (%s)" % anonymous.status)
    anonymous.close()

    s = Stream(port, cert, admin.cookie, "?unit=2&function=3")
    env.check(s.status == 200 and s.headers.get("content-type") == "text/event-stream",
              "a stream opens: 200 text/event-stream (%s %s)" % (s.status, s.headers))
    env.check("script-src 'self'" in s.headers.get("content-security-policy", ""),
              "the stream carries the security headers")
    with Master(gw.port("modbus")) as m:
        env.check(registers(m.request(1, read_holding(0, 2))) is not None, "unit 1 read")
        env.check(registers(m.request(2, read_holding(0, 3))) is not None, "unit 2 read")
        m.request(2, write_register(4, 77))
    first = s.event()
    second = s.event()
    expected = rtu_frame(2, read_holding(0, 3)).hex()
    env.check(first is not None and first[1]["direction"] == "to_device" and
              first[1]["hex"] == expected and first[1]["unit"] == 2 and first[1]["function"] == 3,
              "the stream's first event: the unit-2 read as written on the line (%s)" % (first,))
    env.check(second is not None and second[1]["direction"] == "from_device" and
              second[1]["unit"] == 2 and second[1]["function"] == 3 and
              second[1]["channel"] == "line1" and second[0] > first[0],
              "then its answer from the device (%s)" % (second,))

    # Nothing else matched the filter: the next event is a unit-2 FC 3 read made now.
    with Master(gw.port("modbus")) as m:
        m.request(2, read_holding(10, 1))
    third = s.event()
    s.event()  # its answer
    env.check(third is not None and third[1]["hex"] == rtu_frame(2, read_holding(10, 1)).hex(),
              "the unit-1 read and the unit-2 write were filtered out (%s)" % (third,))

    status, _, j = admin.json("GET", "/api/v1/traffic?unit=1")
    frames = (j or {}).get("frames", [])
    env.check(status == 200 and [f["direction"] for f in frames] == ["to_device", "from_device"]
              and frames[0]["hex"] == rtu_frame(1, read_holding(0, 2)).hex(),
              "GET /api/v1/traffic?unit=1: the unit-1 read and its answer (%s)" % frames)
    status, _, j = admin.json("GET", "/api/v1/traffic?function=300")
    env.check(status == 400, "a function code out of range: 400 (%s %s)" % (status, j))

    again = Stream(port, cert, admin.cookie, "?unit=2&function=3", last_id=first[0])
    replayed = [again.event(), again.event()]
    env.check([e[0] for e in replayed if e] == [second[0], third[0]],  # filtered, in order
              "a reconnect with Last-Event-ID gets what followed from the ring (%s)" % replayed)

    more = [Stream(port, cert, admin.cookie) for _ in range(2)]
    fifth = Stream(port, cert, admin.cookie)
    env.check([x.status for x in more] == [200, 200] and fifth.status == 503,
              "four streams at most: the fifth is 503 (%s %s)" % ([x.status for x in more],
                                                                   fifth.status))
    for x in more + [fifth, again]:
        x.close()

    status, headers, body = admin.request("GET", "/api/v1/traffic/pcap")
    capture = os.path.join(env.dir, "traffic.pcapng")
    with open(capture, "wb") as f:
        f.write(body)
    env.check(status == 200 and body[:4] == b"\x0a\x0d\x0d\x0a", "the capture is pcapng (%s)" % status)
    r = subprocess.run(["tshark", "-r", capture, "-o",
                        'uat:user_dlts:"User 0 (DLT=147)","mbrtu","0","","0",""',
                        "-T", "fields", "-e", "frame.interface_name", "-e", "mbrtu.unit_id",
                        "-e", "modbus.func_code"], capture_output=True, text=True,
                       timeout=gwtest.WAIT_S * 2)
    rows = [l.split("\t") for l in r.stdout.splitlines()]
    env.check(r.returncode == 0 and len(rows) >= 8 and
              ["line1", "2", "6"] in rows and ["line1", "1", "3"] in rows and
              all(row[0] == "line1" and row[1] in ("1", "2") for row in rows),
              "tshark decodes every frame as Modbus RTU on interface line1 (%s %s)"
              % (rows, r.stderr.strip()))

    admin.request("POST", "/api/v1/logout")
    end = s.event()
    env.check(end is None, "after logout the open stream ends (%s)" % (end,))
    s.close()
