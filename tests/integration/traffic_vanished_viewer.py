#!/usr/bin/python3
"""A traffic monitor viewer that vanishes without a FIN (a pulled cable, a closed laptop) must
not hold one of the four viewer slots until TCP gives up, a quarter of an hour later. Run in a
network namespace of its own (in_netns.sh), whose loopback the test can cut.

  four streams open: a fifth is 503
  the loopback is cut (a pfifo qdisc of limit 0 drops every packet): the viewers acknowledge
      nothing; within a minute the gateway has given up on each stream (the keep-alive comment
      stays unacknowledged: the write deadline, and TCP_USER_TIMEOUT for data in flight), its
      established connections of the streams are gone
  the loopback is back: a new stream opens (200), the slots were freed
"""
import subprocess
import time

import gwtest
from console_client import TrafficStream, gateway_with_console


def stream_connections(console_port, client_ports):
    """The gateway's established connections of the console port to those client ports."""
    out = subprocess.run(["ss", "-Htn", "state", "established"], capture_output=True, text=True,
                         check=True).stdout
    found = 0
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[2].endswith(":%d" % console_port) and \
                int(fields[3].rsplit(":", 1)[1]) in client_ports:
            found += 1
    return found


def tc(verb, *qdisc):
    subprocess.run(["tc", "qdisc", verb, "dev", "lo", "root", *qdisc], check=True)


with gwtest.Env(__doc__) as env:
    sim = env.simulator("--units", "1-3")
    gw, port, cert, admin = gateway_with_console(
        env, [gwtest.serial_channel("sim", sim.link)], [{"units": "1-3", "channel": "sim"}])

    viewers = [TrafficStream(port, cert, admin.cookie) for _ in range(4)]
    fifth = TrafficStream(port, cert, admin.cookie)
    env.check([v.status for v in viewers] == [200] * 4 and fifth.status == 503,
              "four viewers: a fifth is 503 (%s %s)" % ([v.status for v in viewers], fifth.status))
    fifth.close()
    ports = {v.sock.getsockname()[1] for v in viewers}
    env.check(stream_connections(port, ports) == 4, "the gateway holds the four streams")

    tc("add", "pfifo", "limit", "0")
    try:
        # Bounded: the keep-alive comes within 10 s, the write deadline is 15 s; without the
        # user timeout the kernel retransmits for about 15 minutes.
        deadline = time.monotonic() + 60
        while stream_connections(port, ports) and time.monotonic() < deadline:
            time.sleep(0.5)  # polling the kernel's table for the event, not waiting in its place
        left = stream_connections(port, ports)
    finally:
        tc("del")
    env.check(left == 0, "the loopback cut: the gateway gave up on the vanished viewers "
              "(%d streams left)" % left)
    for v in viewers:
        v.close()
    again = TrafficStream(port, cert, admin.cookie)
    env.check(again.status == 200, "the loopback back: a new viewer gets a slot (%s)" % again.status)
    again.close()
