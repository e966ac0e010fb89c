#!/usr/bin/python3
"""Slow clients (slowloris on Modbus TCP), end to end. Clients bind 127.0.0.2, .3 so that the
gateway sees distinct hosts.

  frame_timeout_ms 100: a master that sends half a request and stops is closed by the gateway
      (the test waits for the EOF, bounded) and the close is logged with reason=frame_timeout
      and counted as frame_timeouts; a master on the same listener that sends a request in
      two parts with a short gap, and stays silent between requests for longer than the
      deadline, is served throughout
  rtu_over_tcp, frame_timeout_ms 100: an RTU ADU without its CRC is closed the same way
"""
import socket
import time

import gwtest
from gwtest import Master, read_holding, registers, rtu_frame

with gwtest.Env(__doc__) as env:
    sim = env.simulator("--units", "1")
    rtu = gwtest.tcp_listener("rtu", frame_timeout_ms=100)
    rtu["protocol"] = "rtu_over_tcp"
    gw = env.gateway({
        "channels": [gwtest.serial_channel("sim", sim.link)],
        "listeners": [gwtest.tcp_listener("slow", frame_timeout_ms=100), rtu],
        "routes": [{"units": 1, "channel": "sim"}],
    })
    port = gw.port("slow")

    honest = Master(port, source="127.0.0.3")
    env.check(registers(honest.request(1, read_holding(2, 1))) == [2], "an honest master is served")

    half = Master(port, source="127.0.0.2")
    half.sock.sendall(Master.adu(1, 1, read_holding(0, 1))[:8])  # header + function code
    env.check(half.wait_closed(), "half a request: the gateway closes the connection")
    gw.log.wait(r"connection_closed source=0 peer=127\.0\.0\.2:\d+ reason=frame_timeout",
                what="the frame timeout logged")
    env.check(True, "half a request: logged with reason=frame_timeout")
    half.close()

    # Two parts, a gap far below the deadline (a pause, not a synchronisation: the request is
    # owed an answer however the parts arrive within it).
    request = Master.adu(7, 1, read_holding(2, 1))
    honest.sock.sendall(request[:5])
    time.sleep(0.01)
    honest.sock.sendall(request[5:])
    tid, unit, pdu = honest.recv()
    env.check((tid, registers(pdu)) == (7, [2]), "a request in two parts within the deadline is served")
    time.sleep(0.3)  # silent for three deadlines: between requests the clock does not run
    env.check(registers(honest.request(1, read_holding(2, 1))) == [2],
              "silence between requests longer than the deadline: still served")
    st = gw.wait_status(lambda s: gw.listener("slow", s)["frame_timeouts"] == 1, "1 frame timeout")
    env.check(gw.listener("slow", st)["connections_active"] == 1, "only the honest master is left")
    honest.close()

    r = socket.create_connection(("127.0.0.1", gw.port("rtu")), timeout=gwtest.WAIT_S)
    r.sendall(rtu_frame(1, read_holding(0, 1))[:-2])  # no CRC
    try:
        closed = r.recv(64) == b""  # EOF: no answer, then the close
    except ConnectionResetError:
        closed = True
    except socket.timeout:
        closed = False
    env.check(closed, "rtu_over_tcp: an ADU without its CRC is closed")
    gw.wait_status(lambda s: gw.listener("rtu", s)["frame_timeouts"] == 1, "1 RTU frame timeout")
    env.check(True, "rtu_over_tcp: counted as a frame timeout")
    r.close()
