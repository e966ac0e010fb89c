#!/usr/bin/python3
"""The built-in default as a new user meets it: gw_gateway with no configuration and a fresh
--state-dir, in a network namespace of its own (its ports are fixed: 1502, 1503, 1802).

  first start: the demo PKI is made in <state>/pki (CA, server, operator, viewer, guest), keys
      0600, directories 0700, and the start-up message names the files
  plain Modbus TCP on 1502 and 1503: this machine has the role operator (reads and writes)
  Modbus/TCP Security on 1802: operator reads and writes, viewer reads and gets exception 01
      for a write (audited with its role), guest (a certificate without a role) gets 01 for a
      read, no certificate: the handshake fails
  openssl s_client with each demo certificate and without one: the same answers and refusal
  second start: the same PKI is used again (the CA certificate is unchanged)
  a start killed while making the PKI leaves only pki.partial-*: the next start removes it
  a private key made readable by others: the start fails and says which file
"""
import http.client
import json
import os
import select
import socket
import ssl
import stat
import subprocess
import time

import gwtest
from gwtest import Master, read_holding, registers, write_register, is_exception

ROLE_REFUSED = r"request_refused source=2 peer=127\.0\.0\.1:\d+ reason=unauthorized unit=1 function=6 role=viewer"


def tls_ask(pki, name, pdu):
    """One MBAP request over mutual TLS to 1802 with `name`'s certificate; the answer's PDU."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(os.path.join(pki, "ca.crt"))
    if name:
        ctx.load_cert_chain(os.path.join(pki, name + ".crt"), os.path.join(pki, name + ".key"))
    try:
        with socket.create_connection(("127.0.0.1", 1802), timeout=gwtest.WAIT_S) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(Master.adu(9, 1, pdu))
                data = gwtest.recv_mbap(s)
                return None if data is None else data[7:]
    except (ssl.SSLError, ConnectionError, OSError):
        return None


def s_client_ask(pki, name, pdu):
    """The same over `openssl s_client -quiet`: the answer's PDU, or None if it got none."""
    argv = ["openssl", "s_client", "-quiet", "-connect", "127.0.0.1:1802",
            "-CAfile", os.path.join(pki, "ca.crt"), "-verify_return_error"]
    if name:
        argv += ["-cert", os.path.join(pki, name + ".crt"), "-key", os.path.join(pki, name + ".key")]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:
        proc.stdin.write(Master.adu(9, 1, pdu))
        proc.stdin.flush()
        data = b""
        deadline = time.monotonic() + gwtest.WAIT_S
        while len(data) < 7 or len(data) < 6 + int.from_bytes(data[4:6], "big"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
                return None
            chunk = os.read(proc.stdout.fileno(), 260)
            if not chunk:
                return None
            data += chunk
        return data[7:]
    finally:
        proc.kill()
        proc.wait()


def start(env, state, name):
    gw = gwtest.Proc(env, name, [env.gateway_bin, "--state-dir", state])
    gw.out.wait(r"^gw_gateway: ready$", what="'gw_gateway: ready'")
    return gw


with gwtest.Env(__doc__) as env:
    state = env.path("state")
    pki = os.path.join(state, "pki")
    gw = start(env, state, "gw")

    # ---- the demo PKI
    files = sorted(os.listdir(pki))
    for stem in ("ca", "server", "operator", "viewer", "guest"):
        env.check(stem + ".crt" in files and stem + ".key" in files, "PKI: %s.crt and %s.key" % (stem, stem))
        mode = stat.S_IMODE(os.stat(os.path.join(pki, stem + ".key")).st_mode)
        env.check(mode == 0o600, "PKI: %s.key is 0600 (%o)" % (stem, mode))
    for d in (state, pki):
        mode = stat.S_IMODE(os.stat(d).st_mode)
        env.check(mode == 0o700, "PKI: %s is 0700 (%o)" % (d, mode))
    env.check(not [f for f in files if f.endswith((".csr", ".ext", ".srl", ".log"))],
              "PKI: no leftovers (%s)" % files)
    banner = gw.out.text()
    env.check("127.0.0.1:1802" in banner and os.path.join(pki, "viewer.crt") in banner,
              "the start-up message names the TLS port and the certificates")
    env.check("https://127.0.0.1:8443/" in banner and "--create-admin" in banner,
              "the start-up message names the console and its first-run flow")
    console_ctx = ssl.create_default_context(cafile=os.path.join(state, "mgmt", "console.crt"))
    conn = http.client.HTTPSConnection("127.0.0.1", 8443, context=console_ctx,
                                       timeout=gwtest.WAIT_S)
    conn.request("GET", "/api/v1/setup")
    answer = conn.getresponse()
    setup = json.loads(answer.read())
    conn.close()
    env.check(answer.status == 200 and setup["needed"] is True,
              "the console on 127.0.0.1:8443 offers the first-run administrator (%s)" % setup)

    # ---- plain listeners: the machine's own address has the role operator
    for port in (1502, 1503):
        with Master(port) as m:
            env.check(not is_exception(m.request(1, write_register(4, 1234)), 6, 1),
                      "port %d: this machine (operator) writes" % port)
            env.check(registers(m.request(1, read_holding(4, 1))) == [1234],
                      "port %d: and reads it back" % port)

    # ---- Modbus/TCP Security
    env.check(tls_ask(pki, "operator", write_register(5, 77)) == write_register(5, 77),
              "1802 operator: the write is done (echoed)")
    env.check(registers(tls_ask(pki, "operator", read_holding(5, 1))) == [77], "1802 operator: reads")
    env.check(registers(tls_ask(pki, "viewer", read_holding(5, 1))) == [77], "1802 viewer: reads")
    env.check(tls_ask(pki, "viewer", write_register(5, 1)) == b"\x86\x01",
              "1802 viewer: a write is exception 01")
    gw.err.wait(ROLE_REFUSED, what="the viewer's refused write audited with its role")
    env.check(tls_ask(pki, "guest", read_holding(5, 1)) == b"\x83\x01",
              "1802 guest (no role): even a read is exception 01")
    env.check(tls_ask(pki, None, read_holding(5, 1)) is None, "1802 without a certificate: refused")
    gw.err.wait(r"reason=tls_no_certificate", what="the refusal audited")
    with Master(1502) as m:
        env.check(registers(m.request(1, read_holding(5, 1))) == [77],
                  "the viewer's refused write never reached the device")
    # The same with openssl s_client, each demo certificate and none.
    for name, pdu, expected in (("operator", read_holding(5, 1), b"\x03\x02\x00\x4d"),
                                ("viewer", read_holding(5, 1), b"\x03\x02\x00\x4d"),
                                ("viewer", write_register(5, 1), b"\x86\x01"),
                                ("guest", read_holding(5, 1), b"\x83\x01"),
                                (None, read_holding(5, 1), None)):
        got = s_client_ask(pki, name, pdu)
        env.check(got == expected, "s_client %s, FC %d: %s (%r)" % (
            name or "without a certificate", pdu[0],
            "no answer" if expected is None else expected.hex(), got))
    with open(os.path.join(pki, "ca.crt"), "rb") as f:
        ca = f.read()
    env.check(gw.stop() == 0, "the gateway stops (exit 0)")

    # ---- a second start keeps the PKI
    gw = start(env, state, "gw-again")
    with open(os.path.join(pki, "ca.crt"), "rb") as f:
        env.check(f.read() == ca, "second start: the same CA certificate")
    env.check(tls_ask(pki, "viewer", read_holding(0, 1)) is not None,
              "second start: the certificates of the first still work")
    gw.stop()

    # ---- killed while making the PKI: only the partial directory is left, and removed
    state2 = env.path("state2")
    os.makedirs(os.path.join(state2, "pki.partial-abc123"), mode=0o700)
    with open(os.path.join(state2, "pki.partial-abc123", "ca.key"), "w") as f:
        f.write("half")
    gw = start(env, state2, "gw-after-crash")
    env.check(sorted(os.listdir(state2)) == ["audit", "audit.lock", "mgmt", "pki"],
              "after a crash: the partial directory is gone, the audit store is there (%s)"
              % sorted(os.listdir(state2)))
    gw.stop()

    # ---- a key readable by others is refused
    os.chmod(os.path.join(state2, "pki", "operator.key"), 0o644)
    bad = gwtest.Proc(env, "gw-bad-key", [env.gateway_bin, "--state-dir", state2])
    env.check(bad.wait() == 1, "a world-readable key: the start fails (exit 1)")
    env.check("operator.key is readable by group or others" in bad.err.text(),
              "and says which file (%s)" % bad.err.text().strip())
