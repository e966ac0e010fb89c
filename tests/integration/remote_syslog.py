#!/usr/bin/env python3
"""Remote syslog against a real rsyslog: gw::audit::syslog_client (driven by gw_syslog_send,
tests/audit/syslog_send.cpp) sends numbered RFC 5424 messages over UDP, TCP and TLS.

- every message arrives, parses as RFC 5424 and in order, over each transport;
- over TCP and TLS, rsyslog killed (SIGKILL) mid-stream and restarted loses nothing: duplicates
  are allowed and removed by the sequence number in [event@32473 seq=...];
- a server certificate from another CA is refused, and so is a certificate for another name;
  on_failure says why;
- with --bench N: messages/s over each transport (not a check).

rsyslog runs in the foreground with its own configuration (rsyslogd -n -f FILE -i PIDFILE) and
writes each message's raw text on a line of its own. Exit code 77 (skipped) without rsyslogd or
its openssl stream driver.
"""

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwtest  # noqa: E402
from gwtest import Failure, LogFile, Proc, free_port  # noqa: E402

RSYSLOGD = "/usr/sbin/rsyslogd"
OSSL_DRIVER = "/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so"

# RFC 5424 as gw writes it: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]
RFC5424 = re.compile(
    r'^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) (\S{1,255}) (\S{1,48}) (\S{1,128}) '
    r'(\S{1,32}) ((?:\[[^ =\]"]{1,32}(?: [^ =\]"]{1,32}="(?:[^"\\\]]|\\["\\\]])*")*\])+|-)(?: (.*))?$')


class SyslogEnv(gwtest.Env):
    """gwtest's Env (work directory, children, checks) without the gateway's arguments."""

    def __init__(self, description):
        parser = argparse.ArgumentParser(description=description)
        parser.add_argument("--sender", required=True, help="the gw_syslog_send program")
        parser.add_argument("--bench", type=int, default=0, help="also measure N messages/s")
        parser.add_argument("--keep", action="store_true", help="keep the work directory")
        self.args = parser.parse_args()
        self.dir = tempfile.mkdtemp(prefix="gw-syslog-")
        self.procs = []
        self.failures = []
        self.passed = 0
        self._names = {}


def openssl(env, *args):
    subprocess.run(["openssl", *args], cwd=env.dir, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_pki(env):
    """ca: signs the server's certificate (syslog.test, 127.0.0.1); other: a CA that signed
    nothing the server has; client: a client certificate from ca."""
    for ca in ("ca", "other"):
        openssl(env, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", ca + ".key", "-out", ca + ".crt", "-days", "2", "-subj",
                "/CN=gw syslog test " + ca, "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for name, ext in (("server", "subjectAltName=DNS:syslog.test,IP:127.0.0.1\n"
                                 "extendedKeyUsage=serverAuth\n"),
                      ("client", "extendedKeyUsage=clientAuth\n")):
        openssl(env, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name)
        with open(env.path(name + ".ext"), "w") as f:
            f.write(ext)
        openssl(env, "x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", name + ".ext", "-out", name + ".crt")


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Rsyslog:
    """One rsyslogd with a UDP, a TCP and a TLS input, writing every message to `out`."""

    def __init__(self, env, name):
        self.env = env
        self.name = name
        self.udp, self.tcp, self.tls = free_udp_port(), free_port(), free_port()
        self.work = env.path(name + ".work")
        os.makedirs(self.work, exist_ok=True)
        self.out = LogFile(env.path(name + ".messages"))
        self.config = env.path(name + ".conf")
        with open(self.config, "w") as f:
            f.write(f'''
global(workDirectory="{self.work}"
       DefaultNetstreamDriverCAFile="{env.path("ca.crt")}"
       DefaultNetstreamDriverCertFile="{env.path("server.crt")}"
       DefaultNetstreamDriverKeyFile="{env.path("server.key")}"
       maxMessageSize="64k")
template(name="raw" type="string" string="%rawmsg%\\n")
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="{self.udp}")
input(type="imtcp" address="127.0.0.1" port="{self.tcp}")
input(type="imtcp" address="127.0.0.1" port="{self.tls}" streamDriver.name="ossl"
      streamDriver.mode="1" streamDriver.authMode="anon")
action(type="omfile" file="{self.out.path}" template="raw")
''')
        self.proc = None
        self.start()

    def start(self):
        self.proc = Proc(self.env, self.env.unique(self.name),
                         [RSYSLOGD, "-n", "-f", self.config, "-i", self.env.path(self.name + ".pid")])
        # The TLS port is not probed: a probe that connects and leaves without a handshake can
        # leave rsyslog's openssl driver holding a later session's data until it ends, then
        # dropping it (rsyslog issue 4859's shape: "Incomplete frame at end of stream"). A
        # client that finds the port not yet open reconnects after its backoff anyway.
        self.wait_listening(self.tcp)
        # imudp is ready once a probe datagram comes out (it may be opened after imtcp).
        probe = 0
        deadline = time.monotonic() + gwtest.WAIT_S
        while not self.out.matches(r"^<14>1 - - probe - - - ready$"):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise Failure("rsyslog's UDP input did not come up")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(b"<14>1 - - probe - - - ready", ("127.0.0.1", self.udp))
            probe += 1
            time.sleep(0.05)

    def wait_listening(self, port):
        deadline = time.monotonic() + gwtest.WAIT_S
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise Failure("rsyslogd exited: " + self.proc.err.text())
                if time.monotonic() > deadline:
                    raise Failure("rsyslog does not listen on %d" % port)
                time.sleep(gwtest.POLL_S)

    def kill(self):
        self.proc.signal(signal.SIGKILL)
        self.proc.wait()

    def sequences(self):
        """The sequence numbers of the test's messages, in the order they were written, and the
        lines that are not RFC 5424."""
        seqs, bad = [], []
        for line in self.out.text().splitlines():
            if "probe - - - ready" in line:
                continue
            m = RFC5424.match(line)
            s = re.search(r'\[event@32473 seq="(\d+)"', line)
            if not m or not s or m.group(6) != "test_event":
                bad.append(line)
                continue
            seqs.append(int(s.group(1)))
        return seqs, bad


def sender(env, name, transport, port, *args):
    argv = [env.args.sender, "--transport", transport, "--port", port, *args]
    if transport == "tls":
        argv += ["--ca", env.path("ca.crt"), "--name", "syslog.test"]
    return argv


def check_all_arrived(env, rs, what, count, duplicates_allowed):
    seqs = []
    deadline = time.monotonic() + gwtest.WAIT_S
    while time.monotonic() < deadline:
        seqs, bad = rs.sequences()
        if count in seqs:
            break
        time.sleep(gwtest.POLL_S)
    seqs, bad = rs.sequences()
    env.check(not bad, "%s: every line parses as RFC 5424 (%d do not: %r)" % (what, len(bad), bad[:3]))
    first = []
    seen = set()
    for s in seqs:
        if s not in seen:
            seen.add(s)
            first.append(s)
    env.check(first == list(range(1, count + 1)),
              "%s: messages 1..%d all arrived, in order (got %d distinct of %d lines)" %
              (what, count, len(first), len(seqs)))
    if not duplicates_allowed:
        env.check(len(seqs) == count, "%s: no duplicates (%d lines)" % (what, len(seqs)))
    return seqs


def run_plain(env, transport, count):
    rs = Rsyslog(env, "rsyslog-" + transport)
    port = {"udp": rs.udp, "tcp": rs.tcp, "tls": rs.tls}[transport]
    p = Proc(env, "send-" + transport, sender(env, transport, transport, port, "--count", count,
                                              "--hold"), stdin=subprocess.PIPE)
    p.out.wait(r"^done ", what="everything written")
    env.check(p.out.matches(r"^done sent=%d dropped=0 reconnects=0" % count),
              "%s: all %d written, none dropped" % (transport, count))
    # Connected until everything arrived (see run_restart).
    check_all_arrived(env, rs, transport, count, duplicates_allowed=False)
    p.popen.stdin.write(b"stop\n")
    p.popen.stdin.flush()
    env.check(p.wait() == 0, "%s: gw_syslog_send exits 0" % transport)
    rs.kill()


def run_restart(env, transport, count, replay=None):
    """rsyslog frozen (SIGSTOP) while the second half is written, so that those bytes sit unread
    in its socket, then killed (SIGKILL: they are gone) and restarted: only the client's replay
    of what it had written brings them back."""
    rs = Rsyslog(env, "rsyslog-" + transport + "-restart")
    port = rs.tcp if transport == "tcp" else rs.tls
    half = count // 2
    extra = ["--replay", replay] if replay is not None else []
    p = Proc(env, "send-" + transport + "-restart",
             sender(env, transport, transport, port, "--count", count, "--pause-at", half,
                    "--hold", *extra),
             stdin=subprocess.PIPE)
    p.out.wait(r"^paused %d$" % half, what="the first half written")
    rs.proc.signal(signal.SIGSTOP)
    p.popen.stdin.write(b"go\n")
    p.popen.stdin.flush()
    p.out.wait(r"^done ", what="the second half written (to a server that reads nothing)")
    rs.kill()
    p.out.wait(r"^failure .*connection closed by the server", what="the lost connection reported")
    p.out.wait(r"^failure .*connect: Connection refused", what="a refused reconnect")
    rs.start()
    # The connection stays open until everything arrived: rsyslog's openssl driver can hold
    # the end of a burst unread and drops it when the session ends ("Incomplete frame at end
    # of stream"), which is the receiver's loss, not the client's.
    check_all_arrived(env, rs, transport + " restart", count, duplicates_allowed=True)
    p.popen.stdin.write(b"stop\n")
    p.popen.stdin.flush()
    env.check(p.wait() == 0, "%s restart: gw_syslog_send exits 0" % transport)
    final = p.out.matches(r"^final sent=(\d+) dropped=(\d+) reconnects=(\d+)$")
    env.check(bool(final) and final[-1].group(2) == "0" and int(final[-1].group(3)) >= 1,
              "%s restart: reconnected, nothing dropped (%s)" %
              (transport, final[-1].group(0) if final else "no final line"))
    rs.kill()


def run_refused(env, what, args, reason):
    rs = Rsyslog(env, "rsyslog-refuse")
    before = rs.sequences()[0]
    p = Proc(env, env.unique("send-refused"),
             [env.args.sender, "--transport", "tls", "--port", rs.tls, "--expect-failure", *args])
    env.check(p.wait() == 0, "%s: on_failure was called" % what)
    env.check(bool(p.out.matches(reason)),
              "%s: on_failure says why (%s)" % (what, p.out.text().strip().splitlines()[:1]))
    env.check(rs.sequences()[0] == before, "%s: nothing reached rsyslog" % what)
    rs.kill()


def run_bench(env, count):
    """Not a check: messages/s per transport, as written by the client ("rate", the client's own
    figure) and as rsyslog wrote them to its file (from the sender's start to the last line)."""
    rs = Rsyslog(env, "rsyslog-bench")
    for transport, port in (("udp", rs.udp), ("tcp", rs.tcp), ("tls", rs.tls)):
        baseline = len(rs.sequences()[0])
        start = time.monotonic()
        p = Proc(env, "bench-" + transport,
                 sender(env, transport, transport, port, "--count", count, "--bench", "--hold"),
                 stdin=subprocess.PIPE)
        p.out.wait(r"^rate ", what="the sender's rate")
        last, last_change, arrived_at = -1, time.monotonic(), None
        while True:
            n = len(rs.sequences()[0]) - baseline
            now = time.monotonic()
            if n != last:
                last, last_change, arrived_at = n, now, now
            if n >= count or now - last_change > 2.0:
                break
            time.sleep(0.05)
        p.popen.stdin.write(b"stop\n")
        p.popen.stdin.flush()
        p.wait()
        rate = p.out.matches(r"^rate ([\d.]+)")
        print("bench %s: %d messages: client wrote %.0f/s; rsyslog wrote %d of them, %.0f/s end "
              "to end" % (transport, count, float(rate[-1].group(1)) if rate else 0.0, last,
                          last / (arrived_at - start) if last > 0 else 0.0))
    rs.kill()


def main():
    if not os.path.exists(RSYSLOGD) or not os.path.exists(OSSL_DRIVER):
        print("skipped: needs rsyslogd and its openssl stream driver (Debian rsyslog, rsyslog-openssl)")
        sys.exit(77)
    with SyslogEnv(__doc__) as env:
        make_pki(env)
        if env.args.bench:
            run_bench(env, env.args.bench)
            return
        for transport in ("udp", "tcp", "tls"):
            run_plain(env, transport, 200)
        for transport in ("tcp", "tls"):
            run_restart(env, transport, 2000)
        run_refused(env, "wrong CA", ["--ca", env.path("other.crt"), "--name", "syslog.test"],
                    r"^failure tls 127\.0\.0\.1:\d+: tls handshake: the server's certificate is "
                    r"from an unknown CA$")
        run_refused(env, "wrong name", ["--ca", env.path("ca.crt"), "--name", "other.test"],
                    r"^failure tls 127\.0\.0\.1:\d+: tls handshake: the server's certificate is "
                    r"not for 'other\.test'$")


if __name__ == "__main__":
    main()
