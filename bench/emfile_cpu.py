#!/usr/bin/python3
"""CPU a gateway burns while it is out of file descriptors and masters keep connecting.

Runs gw_gateway (each binary given) on a simulated device with RLIMIT_NOFILE lowered so that
accept() fails with EMFILE, opens more connections than it can take, and measures the gateway's
CPU time (utime + stime from /proc) over a few seconds while the connections wait in the
backlog. A spinning accept loop shows about one CPU second per second; a backed-off one almost
none. Figures, not a test: docs/benchmarks.md quotes them.

  bench/emfile_cpu.py --gateway build/dev/examples/gateway/gw_gateway [--gateway OLD ...]
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(binary, seconds, nofile, connections):
    port = free_port()
    work = tempfile.mkdtemp(prefix="gw-emfile-")
    config = os.path.join(work, "gateway.json")
    with open(config, "w") as f:
        json.dump({"channels": [{"name": "sim", "type": "simulator", "units": "1-3"}],
                   "listeners": [{"name": "modbus", "protocol": "modbus_tcp",
                                  "address": "127.0.0.1", "port": port,
                                  # one host takes every slot (older builds capped it at 8)
                                  "max_connections": 64, "max_connections_per_source": 64}],
                   "routes": [{"units": "1-3", "channel": "sim"}]}, f)
    log = open(os.path.join(work, "gateway.log"), "w+")
    proc = subprocess.Popen(["prlimit", "--nofile=%d:%d" % (nofile, nofile), binary,
                             "--config", config, "--state-dir", os.path.join(work, "state")],
                            stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            log.seek(0)
            if "ready" in log.read():
                break
            time.sleep(0.05)
        else:
            raise SystemExit("%s did not start: see %s" % (binary, log.name))
        socks = []
        for _ in range(connections):
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            socks.append(s)
        time.sleep(0.5)  # let the gateway reach EMFILE
        before = cpu_seconds(proc.pid)
        time.sleep(seconds)
        used = cpu_seconds(proc.pid) - before
        log.seek(0)
        text = log.read()
        lines = len(re.findall(r"accept: ", text))
        for s in socks:
            s.close()
        return used / seconds, lines
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gateway", action="append", required=True)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--nofile", type=int, default=24)
    ap.add_argument("--connections", type=int, default=40)
    a = ap.parse_args()
    for binary in a.gateway:
        cpu, lines = measure(binary, a.seconds, a.nofile, a.connections)
        print("%s: %.3f CPU s per s while out of descriptors; %d log lines mentioning accept" %
              (binary, cpu, lines))


if __name__ == "__main__":
    sys.exit(main())
