#!/usr/bin/python3
"""Modbus/TCP Security (a modbus_tls listener) against real TLS peers: OpenSSL (Python's ssl
module and the openssl command-line tool), pymodbus's TLS client, and nmap's ssl-enum-ciphers.
The PKI is made for the run by tests/tls/make_pki.sh (openssl ca).

  operator certificate: handshake, then a raw MBAP read is answered; the gateway logs the
      identity it read (subject and role)
  a certificate without a role: authenticated (logged with role ''), its read denied (01)
  no certificate, another CA's, an expired one, a not-yet-valid one: the handshake fails, the
      request is never answered, and the refusal is audited with its reason
  pymodbus AsyncModbusTlsClient (MBAP framer, as the specification keeps MBAP inside TLS) as
      viewer: reads, and its write is answered with exception 01 (audited with the role)
  session resumption: openssl s_client -sess_out, then -sess_in says "Reused", and the gateway
      logs the resumed session with the same role
  key exchange: X25519, P-256 and P-384 accepted; secp256k1, P-521, ffdhe2048, X448 refused
  nmap ssl-enum-ciphers (when nmap is installed): only TLSv1.2 and TLSv1.3, no NULL, aNULL,
      EXPORT, RC4, 3DES or CBC suite, and every TLS 1.2 suite ECDHE (forward secrecy)
"""
import os
import re
import shutil
import socket
import ssl
import subprocess

import gwtest
from gwtest import Master, read_holding

HERE = os.path.dirname(os.path.abspath(__file__))
MBAP_READ = Master.adu(0x0102, 1, read_holding(0, 2))


def tls_context(pki, name):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(os.path.join(pki, "ca.crt"))
    if name:
        ctx.load_cert_chain(os.path.join(pki, name + ".crt"), os.path.join(pki, name + ".key"))
    return ctx


def mbap_read(pki, port, name):
    """The answer to one MBAP read over TLS with `name`'s certificate, or None if refused."""
    ctx = tls_context(pki, name)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=gwtest.WAIT_S) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(MBAP_READ)
                return gwtest.recv_mbap(s)
    except (ssl.SSLError, ConnectionError, OSError):
        return None


with gwtest.Env(__doc__) as env:
    pki = env.path("pki")
    subprocess.run(["sh", os.path.join(HERE, "..", "tls", "make_pki.sh"), pki], check=True,
                   capture_output=True)
    sim = env.simulator("--units", "1")
    gw = env.gateway({
        "channels": [gwtest.serial_channel("sim", sim.link)],
        "listeners": [{
            "name": "secure", "protocol": "modbus_tls", "address": "127.0.0.1",
            "tls": {"certificate": os.path.join(pki, "server.crt"),
                    "private_key": os.path.join(pki, "server.key"),
                    "ca": os.path.join(pki, "ca.crt")}}],
        "routes": [{"units": 1, "channel": "sim"}],
        # The certificate role "operator" reads holding registers; a certificate without a role
        # gets the NULL role, which has no rules: denied.
        "authorization": {"roles": {"operator": [{"functions": [3], "access": "read"}],
                                    "viewer": [{"functions": [3, 6], "access": "read"}]}},
        "log": {"level": "info"},
    })
    port = gw.port("secure")

    # ---- accepted certificates
    answer = mbap_read(pki, port, "operator")
    env.check(answer is not None and answer[:2] == b"\x01\x02" and answer[7] == 3,
              "operator: a raw MBAP read over TLS is answered (FC 3, transaction id echoed)")
    gw.log.wait(r"client 127\.0\.0\.1 authenticated: subject 'operator', role 'operator'",
                what="the operator's identity in the log")
    answer = mbap_read(pki, port, "no_role")
    env.check(answer is not None and answer[7:9] == b"\x83\x01",
              "no role: authenticated, then denied with exception 01 (%r)" % answer)
    gw.log.wait(r"authenticated: subject 'no_role', role ''", what="the empty role in the log")

    # ---- refused certificates
    for name, reason in ((None, "tls_no_certificate"), ("stranger", "tls_unknown_ca"),
                         ("expired", "tls_certificate_expired"),
                         ("not_yet_valid", "tls_certificate_not_yet_valid")):
        env.check(mbap_read(pki, port, name) is None,
                  "%s: the handshake fails, nothing is answered" % (name or "no certificate"))
        gw.log.wait(r"connection_refused source=0 peer=127\.0\.0\.1:\d+ reason=%s" % reason,
                    what="the refusal audited as %s" % reason)

    # ---- pymodbus's TLS client. The asyncio one: pymodbus 3.0's synchronous ModbusTlsClient
    # select()s on the raw socket between SSL reads, so it misses bytes OpenSSL has already
    # buffered (it reads an answer's first 8 bytes, then waits for a socket that stays quiet).
    import asyncio
    from pymodbus.client import AsyncModbusTlsClient
    from pymodbus.transaction import ModbusSocketFramer

    async def pymodbus_session(name):
        client = AsyncModbusTlsClient("127.0.0.1", port=port, sslctx=tls_context(pki, name),
                                      framer=ModbusSocketFramer, server_hostname="127.0.0.1",
                                      timeout=gwtest.WAIT_S)
        await client.connect()
        try:
            read = await client.read_holding_registers(0, 2, slave=1)
            write = await client.write_register(0, 7, slave=1)
            return read, write
        finally:
            await client.close()

    rr, wr = asyncio.run(pymodbus_session("viewer"))
    env.check(not rr.isError() and len(rr.registers) == 2,
              "pymodbus: AsyncModbusTlsClient as viewer reads 2 registers over TLS (%s)" % rr)
    env.check(wr.isError() and getattr(wr, "exception_code", None) == 1,
              "pymodbus: the viewer's write (FC 6) is answered with exception 01 (%s)" % wr)
    # (Its audit line is folded into the NULL role's refusal from the same source above: one
    # line per source per window, with a count.)
    st = gw.wait_status(lambda s: gw.listener("secure", s)["exceptions"].get("1") == 2,
                        "two exceptions 01")
    env.check(gw.channel("sim", st)["requests"] == 2,
              "the denied requests never reached the device (2 requests: the two reads)")

    # ---- session resumption (TLS 1.2 session id, and TLS 1.3 ticket). s_client leaves when its
    # stdin closes; it is closed once the gateway has logged the handshake and (first run) the
    # session file exists, so that the ticket or session id has arrived.
    def s_client(version, session_arg, sess, logged, after):
        base = ["openssl", "s_client", version, "-connect", "127.0.0.1:%d" % port,
                "-CAfile", os.path.join(pki, "ca.crt"), "-cert", os.path.join(pki, "operator.crt"),
                "-key", os.path.join(pki, "operator.key"), session_arg, sess]
        proc = subprocess.Popen(base, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        try:
            proc.stdin.write(MBAP_READ)
            proc.stdin.flush()
            gw.log.wait(logged, after=after, what="the handshake of s_client %s" % version)
            if session_arg == "-sess_out":
                gwtest.LogFile(sess).wait(r"^-----END SSL SESSION PARAMETERS-----$",
                                          what="the session s_client saved")
            return proc.communicate(timeout=gwtest.WAIT_S)[0]  # closes stdin: s_client leaves
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    full = r"subject 'operator', role 'operator'$"
    resumed = r"subject 'operator', role 'operator' \(resumed session\)$"
    for version in ("-tls1_2", "-tls1_3"):
        sess = env.path("session%s.pem" % version)
        first = s_client(version, "-sess_out", sess, full, gw.log.count(full))
        env.check(b"New, TLSv1." in first, "openssl s_client %s: a full handshake" % version)
        second = s_client(version, "-sess_in", sess, resumed, gw.log.count(resumed))
        env.check(b"Reused, TLSv1." in second,
                  "openssl s_client %s: the second connection resumes the session" % version)

    # ---- key exchange groups: X25519, P-256 and P-384 only (Mozilla intermediate)
    for group, offered in (("X25519", True), ("P-256", True), ("P-384", True), ("secp256k1", False),
                           ("P-521", False), ("ffdhe2048", False), ("X448", False)):
        r = subprocess.run(["openssl", "s_client", "-tls1_3", "-groups", group, "-connect",
                            "127.0.0.1:%d" % port, "-CAfile", os.path.join(pki, "ca.crt"),
                            "-cert", os.path.join(pki, "operator.crt"),
                            "-key", os.path.join(pki, "operator.key")],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=gwtest.WAIT_S)
        done = b"New, TLSv1.3" in r.stdout
        env.check(done == offered, "TLS 1.3 key exchange with %s: %s" % (
            group, "accepted" if offered else "refused"))

    # ---- cipher suites
    if shutil.which("nmap"):
        r = subprocess.run(["nmap", "-Pn", "--script", "ssl-enum-ciphers", "-p", str(port),
                            "127.0.0.1"], capture_output=True, text=True, timeout=120)
        out = r.stdout
        protocols = set(re.findall(r"\|\s+(TLSv1\.\d|SSLv\d)", out))
        env.check(protocols and protocols <= {"TLSv1.2", "TLSv1.3"},
                  "nmap: only TLS 1.2 and 1.3 (%s)" % sorted(protocols))
        suites = re.findall(r"\|\s+(TLS_\w+)", out)
        env.check(len(suites) > 0, "nmap: suites enumerated")
        for bad in ("NULL", "anon", "EXPORT", "RC4", "3DES", "CBC", "_DES_"):
            env.check(not any(bad in s for s in suites), "nmap: no %s suite" % bad)
        tls12 = [s for s in suites if "ECDHE" in s or s.startswith("TLS_AES") or
                 s.startswith("TLS_CHACHA20") or s.startswith("TLS_AKE_")]
        env.check(len(tls12) == len(suites), "nmap: forward secrecy only (ECDHE or TLS 1.3)")
    else:
        print("SKIP nmap ssl-enum-ciphers: nmap is not installed (scripts/install-deps.sh)")
