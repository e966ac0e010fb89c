#!/usr/bin/python3
"""What Modbus/TCP Security costs, side by side in one run, against the same simulated line:

  plain     Modbus TCP to gw's modbus_tcp listener
  gw TLS    mutual TLS to gw's modbus_tls listener (role from the certificate)
  stunnel   mutual TLS to stunnel4, which forwards to gw's plain listener: what a user builds
            today to put TLS in front of a gateway without it (and gw then sees 127.0.0.1, not the
            client's role)

Latency: one master per path, one request in flight (FC 3, 2 registers), each timed with
time.perf_counter; the paths take turns in rounds of --batch requests so that machine noise
falls on all of them alike. Reported: p50/p99 per path and the TLS paths minus plain.

Handshakes: `openssl s_time` for --seconds against gw TLS and stunnel, full (-new) and resumed
(-reuse, TLS 1.2 session id), with the server's CPU (utime + stime from /proc) per handshake.

The PKI is tests/tls/make_pki.sh's. Figures, not a test: docs/benchmarks.md quotes them.

  bench/tls_cost.py --gateway build/release/examples/gateway/gw_gateway [--requests 5000]
  bench/tls_cost.py --gateway ... --smoke      (a few seconds; checks every path answers)
"""
import argparse
import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
READ = struct.pack(">HHHBBHH", 1, 0, 6, 1, 3, 0, 2)
# The benchmark measures TLS, not the rate limiter (0: no limit; s_time opens connections fast).
NO_LIMITS = {"connection_requests_per_s": 0, "source_requests_per_s": 0, "listener_requests_per_s": 0,
             "source_connections_per_s": 0, "block_after": 0}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def io_thread_ns(pid):
    """CPU time of the process's main thread (gw's io thread) in ns: /proc/PID/schedstat."""
    with open("/proc/%d/schedstat" % pid) as f:
        return int(f.read().split()[0])


def wait_port(port, proc, what):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("%s exited (%s)" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("%s does not listen on %d" % (what, port))


def recv_answer(s):
    data = b""
    while len(data) < 7 or len(data) < 6 + int.from_bytes(data[4:6], "big"):
        chunk = s.recv(260)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(p / 100.0 * len(sorted_values)))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--requests", type=int, default=5000, help="timed requests per path")
    ap.add_argument("--batch", type=int, default=100, help="requests per path per round")
    ap.add_argument("--seconds", type=int, default=5, help="s_time seconds per handshake run")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    if args.smoke:
        args.requests, args.batch, args.seconds = 200, 50, 1
    stunnel = shutil.which("stunnel4") or shutil.which("stunnel")
    if stunnel is None:
        sys.exit("stunnel4 not found (Debian: stunnel4; scripts/install-deps.sh installs it)")

    work = tempfile.mkdtemp(prefix="gw-tls-cost-")
    procs = []
    try:
        pki = os.path.join(work, "pki")
        subprocess.run(["sh", os.path.join(HERE, "..", "tests", "tls", "make_pki.sh"), pki],
                       check=True, capture_output=True)
        p = lambda f: os.path.join(pki, f)
        plain_port, tls_port, stunnel_port = free_port(), free_port(), free_port()
        config = {
            "channels": [{"name": "sim", "type": "simulator", "units": "1"}],
            "listeners": [
                {"name": "plain", "protocol": "modbus_tcp", "address": "127.0.0.1", "port": plain_port,
                 "roles_by_source": [{"network": "127.0.0.0/8", "role": "operator"}],
                 "rate_limit": NO_LIMITS},
                {"name": "secure", "protocol": "modbus_tls", "address": "127.0.0.1", "port": tls_port,
                 "tls": {"certificate": p("server.crt"), "private_key": p("server.key"), "ca": p("ca.crt")},
                 "rate_limit": NO_LIMITS},
            ],
            "routes": [{"units": 1, "channel": "sim"}],
            "authorization": {"roles": {"operator": [{"functions": [3], "access": "read"}]}},
        }
        config_path = os.path.join(work, "gw.json")
        with open(config_path, "w") as f:
            json.dump(config, f)
        gw_log = open(os.path.join(work, "gw.log"), "w")
        gw = subprocess.Popen([args.gateway, "--config", config_path, "--state-dir",
                               os.path.join(work, "state")], stdout=gw_log, stderr=gw_log)
        procs.append(gw)
        wait_port(tls_port, gw, "gw_gateway")
        # The same suites for both servers: gw's intermediate policy (TLS 1.2 part).
        stunnel_conf = os.path.join(work, "stunnel.conf")
        with open(stunnel_conf, "w") as f:
            f.write("foreground = yes\npid =\n[modbus]\naccept = 127.0.0.1:%d\nconnect = 127.0.0.1:%d\n"
                    "cert = %s\nkey = %s\nCAfile = %s\nverifyChain = yes\nrequireCert = yes\n"
                    "sslVersionMin = TLSv1.2\n"
                    "ciphers = ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                    "ECDHE-ECDSA-CHACHA20-POLY1305\nsocket = r:TCP_NODELAY=1\nsocket = l:TCP_NODELAY=1\n"
                    % (stunnel_port, plain_port, p("server.crt"), p("server.key"), p("ca.crt")))
        st_log = open(os.path.join(work, "stunnel.log"), "w")
        st = subprocess.Popen([stunnel, stunnel_conf], stdout=st_log, stderr=st_log)
        procs.append(st)
        wait_port(stunnel_port, st, "stunnel")

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(p("ca.crt"))
        ctx.load_cert_chain(p("operator.crt"), p("operator.key"))

        def connect(port, tls):
            s = socket.create_connection(("127.0.0.1", port))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return ctx.wrap_socket(s, server_hostname="127.0.0.1") if tls else s

        paths = {"plain": connect(plain_port, False), "gw TLS": connect(tls_port, True),
                 "stunnel": connect(stunnel_port, True)}
        samples = {name: [] for name in paths}
        gw_cpu_ns = {name: 0 for name in paths}  # gw's io thread, during each path's requests
        for s in paths.values():  # warm-up (and the first answer proves each path works)
            for _ in range(20):
                s.sendall(READ)
                answer = recv_answer(s)
                if answer[7] != 3:
                    sys.exit("unexpected answer %s" % answer.hex())
        rounds = max(1, args.requests // args.batch)
        for _ in range(rounds):
            for name, s in paths.items():
                cpu0 = io_thread_ns(gw.pid)
                for _ in range(args.batch):
                    t0 = time.perf_counter()
                    s.sendall(READ)
                    recv_answer(s)
                    samples[name].append(time.perf_counter() - t0)
                gw_cpu_ns[name] += io_thread_ns(gw.pid) - cpu0
        for s in paths.values():
            s.close()

        figures = {"latency_us": {}, "handshakes": {}}
        for name, v in samples.items():
            v.sort()
            figures["latency_us"][name] = {"p50": percentile(v, 50) * 1e6, "p99": percentile(v, 99) * 1e6,
                                           "n": len(v), "gw_io_thread_us_per_request":
                                               gw_cpu_ns[name] / 1e3 / len(v)}
        base = figures["latency_us"]["plain"]
        print("read latency, %d requests per path, one in flight (us); gw's io thread CPU per request:"
              % len(samples["plain"]))
        print("  %-8s %8s %8s %12s %12s %10s" % ("path", "p50", "p99", "p50 - plain", "p99 - plain",
                                                 "gw CPU"))
        for name, f in figures["latency_us"].items():
            print("  %-8s %8.1f %8.1f %12.1f %12.1f %10.1f" % (
                name, f["p50"], f["p99"], f["p50"] - base["p50"], f["p99"] - base["p99"],
                f["gw_io_thread_us_per_request"]))

        print("handshakes (openssl s_time, TLS 1.2, %d s each):" % args.seconds)
        for name, port, pid in (("gw TLS", tls_port, gw.pid), ("stunnel", stunnel_port, st.pid)):
            for mode in ("-new", "-reuse"):
                before = cpu_seconds(pid)
                r = subprocess.run(["openssl", "s_time", "-connect", "127.0.0.1:%d" % port, "-tls1_2",
                                    "-CAfile", p("ca.crt"), "-cert", p("operator.crt"), "-key",
                                    p("operator.key"), mode, "-time", str(args.seconds)],
                                   capture_output=True, text=True, timeout=args.seconds * 4 + 30)
                cpu = cpu_seconds(pid) - before
                count = 0
                for line in r.stdout.splitlines():
                    if "connections in" in line and "real seconds" in line:
                        count = int(line.split()[0])
                per = cpu / count * 1e3 if count else float("nan")
                figures["handshakes"]["%s %s" % (name, mode)] = {"connections": count, "server_cpu_s": cpu,
                                                                 "server_cpu_ms_per_handshake": per}
                print("  %-8s %-6s %6d connections, server CPU %.2f s, %.2f ms per handshake" %
                      (name, mode, count, cpu, per))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(figures, f, indent=1)
        if args.smoke:
            ok = all(f["n"] > 0 for f in figures["latency_us"].values()) and all(
                h["connections"] > 0 for h in figures["handshakes"].values())
            print("tls cost smoke: %s" % ("ok" if ok else "FAILED"))
            return 0 if ok else 1
        return 0
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
