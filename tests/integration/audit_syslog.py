#!/usr/bin/python3
"""gw_gateway's audit trail to a real rsyslog, from the configuration file (audit.syslog):

  server 0: UDP;  server 1: TLS, the server's certificate checked against the CA and the name
  syslog.test;  server 2: TLS with a CA that did not sign rsyslog's certificate.

- every record in the store (--audit-log) arrives over UDP and over TLS as RFC 5424, with the
  store's sequence number and type in [event@32473 seq=... id=...] and the peer in [peer@32473];
- the server with the wrong CA gets nothing, and the refusal is itself an audit record
  (syslog_failed, naming the server and the unknown CA) that reached the other two.

Exit code 77 (skipped) without rsyslogd or its openssl stream driver.
"""
import json
import os
import re
import subprocess
import sys
import time

import gwtest
from gwtest import Master
from remote_syslog import OSSL_DRIVER, RFC5424, RSYSLOGD, Rsyslog, make_pki

if not os.path.exists(RSYSLOGD) or not os.path.exists(OSSL_DRIVER):
    print("skipped: needs rsyslogd and its openssl stream driver (Debian rsyslog, rsyslog-openssl)")
    sys.exit(77)


def stored(env, state):
    r = subprocess.run([env.gateway_bin, "--state-dir", state, "--audit-log", "--format", "json"],
                       capture_output=True, text=True, timeout=gwtest.WAIT_S)
    return [json.loads(line) for line in r.stdout.splitlines()]


def received(rs):
    """(seq, type) -> how many times rsyslog wrote it, and the lines that are not RFC 5424."""
    seen, bad = {}, []
    for line in rs.out.text().splitlines():
        if "probe - - - ready" in line:
            continue
        m = RFC5424.match(line)
        s = re.search(r'\[event@32473 seq="(\d+)" id="(\d+)"', line)
        if not m or not s:
            bad.append(line)
            continue
        key = (int(s.group(1)), m.group(6))
        seen[key] = seen.get(key, 0) + 1
    return seen, bad


with gwtest.Env(__doc__) as env:
    make_pki(env)
    rs = Rsyslog(env, "rsyslog")
    sim = env.simulator("--units", "1")
    gw = env.gateway({
        "channels": [gwtest.serial_channel("sim", sim.link)],
        "listeners": [gwtest.tcp_listener("guarded", allowlist=["127.0.0.2"])],
        "routes": [{"units": 1, "channel": "sim"}],
        "audit": {"syslog": [
            {"host": "127.0.0.1", "port": rs.udp, "transport": "udp", "level": "info"},
            {"host": "127.0.0.1", "port": rs.tls, "transport": "tls", "level": "info",
             "tls": {"ca": env.path("ca.crt"), "server_name": "syslog.test"}},
            {"host": "127.0.0.1", "port": rs.tls, "transport": "tls", "level": "info",
             "tls": {"ca": env.path("other.crt"), "server_name": "syslog.test"}},
        ]},
    })
    state = os.path.join(env.dir, gw.name + ".state")
    for _ in range(3):
        with Master(gw.port("guarded"), source="127.0.0.1") as m:
            env.check(m.wait_closed(), "127.0.0.1 is refused by the allowlist")

    # The store says what happened; wait (bounded) until rsyslog has each record twice.
    deadline = time.monotonic() + gwtest.WAIT_S
    while True:
        records = stored(env, state)
        failed = [r for r in records if r["type"] == "syslog_failed"]
        seen, bad = received(rs)
        want = {(r["seq"], r["type"]) for r in records}
        if failed and all(seen.get(k, 0) >= 2 for k in want) or time.monotonic() > deadline:
            break
        time.sleep(gwtest.POLL_S)
    env.check(len([r for r in records if r["type"] == "connection_refused"]) == 3,
              "the store holds the 3 refusals")
    missing = sorted(k for k in want if seen.get(k, 0) < 2)
    env.check(not missing, "every stored record arrived over UDP and over TLS (missing: %s)" % missing)
    env.check(not bad, "every line is RFC 5424 with gw's structured data (%s)" % bad[:2])
    env.check(len(failed) == 1 and "syslog server 2" in failed[0].get("detail", "") and
              "unknown CA" in failed[0].get("detail", ""),
              "the wrong-CA server is one syslog_failed record naming it and the unknown CA (%s)"
              % [r.get("detail") for r in failed])
    refusal = next(line for line in rs.out.text().splitlines() if " connection_refused " in line)
    env.check('[peer@32473 ip="127.0.0.1"' in refusal and 'reason="not_in_allowlist"' in refusal,
              "a refusal carries peer and reason as structured data")
    env.check(seen and max(seen.values()) <= 2, "nothing reached rsyslog a third time (the wrong-CA server sent nothing)")
    st = gw.wait_status(lambda s: "audit" in s and len(s["audit"]["syslog"]) == 3, "audit status")
    env.check(st["audit"]["syslog"][1]["connected"] and not st["audit"]["syslog"][2]["connected"],
              "status: the TLS server connected, the wrong-CA one not")
    gw.stop()
