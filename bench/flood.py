#!/usr/bin/python3
"""An honest master's latency and rate while another host floods the gateway.

Starts gw_gateway (the binary given) on a simulated device with the default rate limits, and
runs three phases, each on a freshly started gateway (a source blocked in one phase would
otherwise still be blocked in the next):

  unloaded     the honest master alone
  pipelined    attackers on 127.0.0.2 pipeline requests as fast as they can over a few
               connections (and read the answers, so the gateway's backpressure does not stop
               them)
  connections  an attacker on 127.0.0.2 opens new connections at a fixed rate (500/s), each
               sending one request

The honest master, on 127.0.0.3, is a SCADA poller: one request in flight, one read every
1/rate seconds, each timed with time.perf_counter. Reported per phase: its p50/p99/max latency
and request rate (and their ratio to the unloaded phase), the attacker's answers (normal and
0x06) and refused connections, and the gateway's CPU (utime + stime from /proc) during the
phase. Figures, not a test: docs/benchmarks.md quotes them.

  bench/flood.py --gateway build/release/examples/gateway/gw_gateway [--seconds 10]
  bench/flood.py --gateway ... --smoke     (about 5 s; checks the phases ran, judges nothing)
"""
import argparse
import json
import multiprocessing
import os
import selectors
import socket
import struct
import subprocess
import sys
import tempfile
import time

HONEST = "127.0.0.3"
ATTACKER = "127.0.0.2"
GATEWAY = "127.0.0.1"


def free_port():
    with socket.socket() as s:
        s.bind((GATEWAY, 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def io_thread_schedstat(pid):
    """The io thread's (the main thread's) time on a CPU and waiting for one, in seconds, and
    the times it was scheduled (/proc/PID/schedstat: run ns, run-queue wait ns, timeslices)."""
    with open("/proc/%d/task/%d/schedstat" % (pid, pid)) as f:
        run, wait, slices = (int(x) for x in f.read().split()[:3])
    return run / 1e9, wait / 1e9, slices


def read_request(tid, unit=1, address=0, count=1):
    """An MBAP read holding registers request: header (tid, protocol 0, length 6, unit), PDU."""
    return struct.pack(">HHHBBHH", tid & 0xFFFF, 0, 6, unit, 3, address, count)


class Gateway:
    """gw_gateway on a simulated device, with the listener's default limits."""

    def __init__(self, binary, work):
        self.port = free_port()
        config = os.path.join(work, "gateway-%d.json" % self.port)
        with open(config, "w") as f:
            json.dump({"channels": [{"name": "sim", "type": "simulator", "units": "1-3"}],
                       "listeners": [{"name": "modbus", "protocol": "modbus_tcp",
                                      "address": GATEWAY, "port": self.port}],
                       "routes": [{"units": "1-3", "channel": "sim"}]}, f)
        self.log = open(os.path.join(work, "gateway-%d.log" % self.port), "w+")
        self.proc = subprocess.Popen([binary, "--config", config, "--state-dir",
                                      os.path.join(work, "state-%d" % self.port)], stdout=self.log,
                                     stderr=self.log)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            self.log.seek(0)
            if "gw_gateway: ready" in self.log.read():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise SystemExit("%s did not start: see %s" % (binary, self.log.name))

    def cpu(self):
        return cpu_seconds(self.proc.pid)

    def log_text(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ---- attackers (separate processes: the honest master's timing must not wait on their GIL) ----

def count_answers(buf, counts):
    """Counts complete MBAP answers at the front of buf (normal, 0x06, other exceptions);
    returns the bytes consumed."""
    at = 0
    n = len(buf)
    while n - at >= 9:
        length = (buf[at + 4] << 8) | buf[at + 5]
        end = at + 6 + length
        if end > n:
            break
        fc = buf[at + 7]
        if fc & 0x80:
            if buf[at + 8] == 6:
                counts["busy"] += 1
            else:
                counts["other_exceptions"] += 1
        else:
            counts["answered"] += 1
        at = end
    return at


def attacker_priority(nice):
    """On this machine the attacker shares the gateway's cores; on a plant network it is
    another host. Niced, it takes only CPU time that the gateway and the honest master leave,
    so what is measured is the gateway's defence, not the scheduler's."""
    if nice:
        os.nice(nice)


def pipelined_attacker(port, connections, seconds, depth, nice, result):
    """Keeps `depth` requests in flight on each connection, topping them up as answers come:
    as fast as the gateway answers, never limited by its own reading (it reads everything)."""
    attacker_priority(nice)
    # closed: connections the gateway closed (a blocked source's are refused at accept)
    counts = {"sent": 0, "answered": 0, "busy": 0, "other_exceptions": 0, "closed": 0,
              "refused": 0}
    sel = selectors.DefaultSelector()
    burst = b"".join(read_request(i) for i in range(depth))
    conns = []
    for _ in range(connections):
        s = socket.socket()
        s.bind((ATTACKER, 0))
        try:
            s.connect((GATEWAY, port))
        except OSError:
            counts["refused"] += 1
            s.close()
            continue
        s.setblocking(False)
        c = {"sock": s, "in": bytearray(), "out": bytearray(burst), "inflight": depth}
        counts["sent"] += depth
        conns.append(c)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    end = time.monotonic() + seconds
    while conns and time.monotonic() < end:
        for key, events in sel.select(timeout=0.1):
            c = key.data
            s = c["sock"]
            try:
                if events & selectors.EVENT_WRITE and c["out"]:
                    try:
                        n = s.send(c["out"])
                    except BlockingIOError:
                        n = 0
                    del c["out"][:n]
                if events & selectors.EVENT_READ:
                    try:
                        data = s.recv(1 << 16)
                    except BlockingIOError:
                        data = None
                    if data == b"":
                        raise ConnectionResetError
                    if data:
                        c["in"] += data
                        answers = counts["answered"] + counts["busy"] + counts["other_exceptions"]
                        del c["in"][:count_answers(c["in"], counts)]
                        c["inflight"] -= (counts["answered"] + counts["busy"] +
                                          counts["other_exceptions"] - answers)
                        # Top up in batches, so that the flood costs the gateway more than us.
                        if c["inflight"] <= depth // 2:
                            more = depth - c["inflight"]
                            c["out"] += burst[:12 * more]
                            c["inflight"] += more
                            counts["sent"] += more
            except (ConnectionResetError, BrokenPipeError, OSError):
                counts["closed"] += 1
                sel.unregister(s)
                s.close()
                conns.remove(c)
                continue
            sel.modify(s, selectors.EVENT_READ | (selectors.EVENT_WRITE if c["out"] else 0), c)
    for c in conns:
        c["sock"].close()
    result.update(counts)


def connection_attacker(port, rate, seconds, nice, result):
    """Opens `rate` connections a second (paced), each sending one request; counts what the
    gateway did with each: answered, answered 0x06, or closed without an answer (refused)."""
    attacker_priority(nice)
    counts = {"opened": 0, "answered": 0, "busy": 0, "other_exceptions": 0, "refused": 0,
              "connect_failed": 0, "unfinished": 0}
    sel = selectors.DefaultSelector()
    start = time.monotonic()
    end = start + seconds
    live = {}
    request = read_request(1)
    while True:
        now = time.monotonic()
        due = int((min(now, end) - start) * rate)
        while counts["opened"] + counts["connect_failed"] < due:
            s = socket.socket()
            s.setblocking(False)
            try:
                s.bind((ATTACKER, 0))
                s.connect_ex((GATEWAY, port))
            except OSError:
                counts["connect_failed"] += 1
                s.close()
                continue
            counts["opened"] += 1
            c = {"sock": s, "in": bytearray(), "sent": False, "born": now}
            live[s.fileno()] = c
            sel.register(s, selectors.EVENT_WRITE, c)
        if now >= end and not live:
            break
        if now >= end + 2:
            counts["unfinished"] += len(live)
            break
        for key, events in sel.select(timeout=0.002):
            c = key.data
            s = c["sock"]
            done = False
            try:
                if not c["sent"]:
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        counts["refused"] += 1
                        done = True
                    else:
                        s.send(request)
                        c["sent"] = True
                        sel.modify(s, selectors.EVENT_READ, c)
                else:
                    data = s.recv(512)
                    if not data:
                        counts["refused"] += 1  # closed by the gateway without an answer
                        done = True
                    else:
                        c["in"] += data
                        got = dict.fromkeys(("answered", "busy", "other_exceptions"), 0)
                        count_answers(c["in"], got)
                        if any(got.values()):
                            for k, v in got.items():
                                counts[k] += v
                            done = True
            except OSError:
                counts["refused"] += 1
                done = True
            if done:
                sel.unregister(s)
                del live[s.fileno()]
                s.close()
    for c in live.values():
        c["sock"].close()
    result.update(counts)


# ---- the honest master -----------------------------------------------------------------------

def honest_master(port, rate, seconds):
    s = socket.socket()
    s.bind((HONEST, 0))
    s.connect((GATEWAY, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(5)
    latencies = []
    exceptions = 0
    period = 1.0 / rate
    start = time.perf_counter()
    next_at = start
    tid = 0
    while True:
        now = time.perf_counter()
        if now - start >= seconds:
            break
        if next_at > now:
            time.sleep(next_at - now)
        next_at += period
        tid = (tid + 1) & 0xFFFF
        t0 = time.perf_counter()
        s.sendall(read_request(tid, unit=1, address=4, count=2))
        buf = b""
        while len(buf) < 9 or len(buf) < 6 + ((buf[4] << 8) | buf[5]):
            chunk = s.recv(512)
            if not chunk:
                raise SystemExit("the gateway closed the honest master's connection")
            buf += chunk
        latencies.append(time.perf_counter() - t0)
        if buf[7] & 0x80:
            exceptions += 1
    elapsed = time.perf_counter() - start
    s.close()
    return latencies, exceptions, elapsed


def quantile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def run_phase(name, binary, work, seconds, rate, attack, nice):
    gw = Gateway(binary, work)
    manager = multiprocessing.Manager() if attack else None
    attackers = []  # (process, the dict it fills)
    try:
        for _ in range(2 if attack == "pipelined" else 1 if attack else 0):
            d = manager.dict()
            if attack == "pipelined":  # two processes, two connections each, 256 in flight
                args = (gw.port, 2, seconds + 0.5, 256, nice, d)
                target = pipelined_attacker
            else:
                args = (gw.port, 500, seconds + 0.5, nice, d)
                target = connection_attacker
            attackers.append((multiprocessing.Process(target=target, args=args), d))
        for p, _ in attackers:
            p.start()
        if attack:
            time.sleep(0.25)  # the flood is on before the honest master starts
        cpu0 = gw.cpu()
        sched0 = io_thread_schedstat(gw.proc.pid)
        t0 = time.monotonic()
        latencies, exceptions, elapsed = honest_master(gw.port, rate, seconds)
        wall = time.monotonic() - t0
        cpu = (gw.cpu() - cpu0) / wall
        sched = [(b - a) / wall for a, b in zip(sched0, io_thread_schedstat(gw.proc.pid))]
        results = {}
        for p, d in attackers:
            p.join(seconds + 60)  # a niced attacker on a busy machine finishes late
            for k, v in dict(d).items():
                results[k] = results.get(k, 0) + v
        if results:  # what the attacker achieved: requests or connections a second
            results["per_s"] = round(results.get("sent", results.get("opened", 0)) /
                                     (seconds + 0.5))
        log = gw.log_text()
    finally:
        for p, _ in attackers:
            if p.is_alive():
                p.terminate()
        gw.stop()
        if manager:
            manager.shutdown()
    lat = sorted(latencies)
    return {"phase": name, "latencies": lat, "requests": len(lat), "rate": len(lat) / elapsed,
            "p50_us": quantile(lat, 0.5) * 1e6, "p99_us": quantile(lat, 0.99) * 1e6,
            "max_us": (lat[-1] if lat else float("nan")) * 1e6, "honest_exceptions": exceptions,
            "gw_cpu": cpu, "io_wait_ms_per_s": sched[1] * 1e3, "io_runs_per_s": sched[2],
            "attacker": results,
            "blocked_lines": log.count("reason=source_blocked")}


def median(values):
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


PHASES = (("unloaded", None), ("pipelined", "pipelined"), ("connections", "connections"))


def summarise(runs):
    """runs: the rounds of one phase. Latency quantiles over every sample of every round
    (pooled), the rest as medians over rounds; attacker counts per round (median)."""
    lat = sorted(x for r in runs for x in r["latencies"])
    keys = sorted({k for r in runs for k in r["attacker"]})
    return {"rounds": len(runs), "requests": len(lat),
            "rate": median([r["rate"] for r in runs]),
            "p50_us": quantile(lat, 0.5) * 1e6, "p99_us": quantile(lat, 0.99) * 1e6,
            "max_us": lat[-1] * 1e6 if lat else float("nan"),
            "p99_us_by_round": [r["p99_us"] for r in runs],
            "gw_cpu": median([r["gw_cpu"] for r in runs]),
            "io_wait_ms_per_s": median([r["io_wait_ms_per_s"] for r in runs]),
            "io_runs_per_s": median([r["io_runs_per_s"] for r in runs]),
            "honest_exceptions": sum(r["honest_exceptions"] for r in runs),
            "attacker": {k: median([r["attacker"].get(k, 0) for r in runs]) for k in keys},
            "blocked_lines": median([r["blocked_lines"] for r in runs])}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gateway", required=True, action="append",
                    help="path to gw_gateway; give it twice to compare two builds (interleaved)")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds of the three phases (a shared machine's noise: see the medians)")
    ap.add_argument("--rate", type=float, default=40.0, help="the honest master's reads/s")
    ap.add_argument("--attacker-nice", type=int, default=10,
                    help="nice value of the attacker processes (0: compete with the gateway)")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--smoke", action="store_true", help="one round of 1.5 s phases; checks they ran")
    a = ap.parse_args()
    seconds = 1.5 if a.smoke else a.seconds
    rounds = 1 if a.smoke else a.rounds
    work = tempfile.mkdtemp(prefix="gw-flood-")
    raw = {(g, n): [] for g in a.gateway for n, _ in PHASES}
    for _ in range(rounds):
        for g in a.gateway:
            for n, k in PHASES:
                raw[(g, n)].append(run_phase(n, g, work, seconds, a.rate, k, a.attacker_nice))
    print("honest master on %s: one request in flight, %.0f reads/s target; %d round(s) of "
          "%.1f s per phase; attackers at nice %d; load average %s" % (
              HONEST, a.rate, rounds, seconds, a.attacker_nice,
              open("/proc/loadavg").read().split()[0]))
    out = {"seconds": seconds, "rounds": rounds, "rate": a.rate, "gateways": {}}
    ok = True
    for g in a.gateway:
        s = {n: summarise(raw[(g, n)]) for n, _ in PHASES}
        out["gateways"][g] = s
        base = s["unloaded"]
        print("\n%s" % g)
        print("%-12s %8s %9s %9s %9s %10s %10s %7s %9s %8s" % (
            "phase", "reads/s", "p50 us", "p99 us", "max us", "p99 ratio", "rate ratio", "gw CPU",
            "io wait", "io runs"))
        for n, _ in PHASES:
            p = s[n]
            print("%-12s %8.1f %9.0f %9.0f %9.0f %10.2f %10.2f %6.1f%% %6.1fms/s %6.0f/s" % (
                n, p["rate"], p["p50_us"], p["p99_us"], p["max_us"],
                p["p99_us"] / base["p99_us"], p["rate"] / base["rate"], p["gw_cpu"] * 100,
                p["io_wait_ms_per_s"], p["io_runs_per_s"]))
            if rounds > 1:
                print("%-12s p99 by round: %s" % ("", " ".join("%.0f" % x for x in
                                                              p["p99_us_by_round"])))
        for n, _ in PHASES[1:]:
            print("attacker (%s) on %s, per round: %s; audit lines for the block: %g" % (
                n, ATTACKER, ", ".join("%s %g" % kv for kv in sorted(s[n]["attacker"].items())),
                s[n]["blocked_lines"]))
            ok = ok and bool(s[n]["attacker"])
        for n, _ in PHASES:
            ok = ok and s[n]["requests"] > 0
            if s[n]["honest_exceptions"]:
                print("the honest master got %d exception answers in phase %s"
                      % (s[n]["honest_exceptions"], n))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)
    if a.smoke:
        if not ok:
            print("flood smoke: FAIL: a phase did not run", file=sys.stderr)
            return 1
        print("flood smoke: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
