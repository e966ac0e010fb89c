#!/usr/bin/python3
"""The management console's port as an outside scanner sees it: testssl, nmap and the HTTP
headers, against the real gw_gateway with a `management` object on a free port (its self-signed
certificate in <state>/mgmt/console.crt) and a Modbus/TCP listener.

  testssl 3.0 (-p -s -f -U -E, JSON output): only TLS 1.2 and TLS 1.3 offered (SSLv2, SSLv3,
      TLS 1.0 and TLS 1.1 not); no NULL, aNULL, EXPORT, LOW, RC4, 3DES, CBC-SHA1 or static-RSA
      suite; forward secrecy for every suite; ECDHE groups within X25519, P-256 and P-384; not
      vulnerable to anything it checks (Heartbleed, CCS, Ticketbleed, ROBOT, renegotiation,
      CRIME, BREACH, POODLE, SWEET32, FREAK, DROWN, LOGJAM, BEAST, LUCKY13, RC4). A failed check
      names testssl's finding.
  nmap -sT (TCP connect, no privileges) on 127.0.0.1, a range of ports around the gateway's:
      the console port and the Modbus listener port are open; every open port in the range that
      belongs to the gateway's process (ss -ltnp) is one its configuration declares, and the
      gateway listens on nothing else at all
  HTTP headers on / and /api/v1/setup: HSTS, CSP, X-Frame-Options, X-Content-Type-Options nosniff

Exits 77 (skipped) when testssl or nmap is not installed.
"""
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time

if not shutil.which("testssl") or not shutil.which("nmap"):
    print("SKIP: console_scan needs testssl and nmap (Debian: testssl.sh, nmap)")
    sys.exit(77)

import gwtest  # noqa: E402

TESTSSL_TIMEOUT_S = 180  # a backstop: the run takes about a minute on 2 shared cores
NMAP_SPAN = 500  # ports scanned on each side of the console's


def run_testssl(env, port):
    out = env.path("testssl.json")
    argv = ["testssl", "--quiet", "--color", "0", "--warnings", "off", "--openssl-timeout", "10",
            "--jsonfile", out, "-p", "-s", "-f", "-U", "-E", "127.0.0.1:%d" % port]
    start = time.monotonic()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=TESTSSL_TIMEOUT_S)
    elapsed = time.monotonic() - start
    with open(env.path("testssl.out"), "w") as f:
        f.write(r.stdout + r.stderr)
    print("testssl ran %.1f s (exit %d)" % (elapsed, r.returncode), flush=True)
    if not os.path.exists(out):
        raise gwtest.Failure("testssl wrote no JSON (exit %d): %s"
                             % (r.returncode, r.stdout[-2000:] + r.stderr[-2000:]))
    with open(out) as f:
        return json.load(f)


def check_testssl(env, findings):
    by_id = {}
    for f in findings:
        by_id.setdefault(f["id"], []).append(f)

    def one(fid):
        items = by_id.get(fid)
        return items[0] if items else None

    def show(f):
        return "%s: %s [%s]" % (f["id"], f["finding"], f["severity"])

    # engine_problem (no GOST engine in Debian's openssl) is about testssl's tool, not the target
    scan = [f for f in findings if f["id"] == "scanProblem"]
    env.check(not [f for f in scan if f["severity"] in ("WARN", "FATAL")],
              "testssl: no scan problem (%s)" % "; ".join(show(f) for f in scan))

    # ---- protocols
    for fid, name in (("SSLv2", "SSLv2"), ("SSLv3", "SSLv3"), ("TLS1", "TLS 1.0"),
                      ("TLS1_1", "TLS 1.1")):
        f = one(fid)
        env.check(f is not None and f["finding"].startswith("not offered"),
                  "testssl: %s not offered (%s)" % (name, show(f) if f else "no finding"))
    for fid, name in (("TLS1_2", "TLS 1.2"), ("TLS1_3", "TLS 1.3")):
        f = one(fid)
        env.check(f is not None and f["finding"].startswith("offered"),
                  "testssl: %s offered (%s)" % (name, show(f) if f else "no finding"))

    # ---- cipher categories (-s)
    for fid, name in (("cipherlist_NULL", "NULL"), ("cipherlist_aNULL", "anonymous (aNULL)"),
                      ("cipherlist_EXPORT", "EXPORT"), ("cipherlist_LOW", "LOW (64/56-bit)"),
                      ("cipherlist_3DES_IDEA", "3DES/IDEA"),
                      ("cipherlist_AVERAGE", "AVERAGE (CBC, non-FS)")):
        f = one(fid)
        env.check(f is not None and f["finding"].startswith("not offered"),
                  "testssl: no %s suite (%s)" % (name, show(f) if f else "no finding"))

    # ---- every suite offered (-E): names, forward secrecy, no CBC-SHA1, no static RSA
    suites = [f for f in findings if f["id"].startswith("cipher-tls1") or
              f["id"].startswith("cipher-ssl")]
    names = []  # (testssl id, IANA name, the whole finding)
    for f in suites:
        # "TLS 1.2  xc02b  ECDHE-ECDSA-AES128-GCM-SHA256  ECDH 253  AESGCM  128  TLS_ECDHE_..."
        m = re.search(r"\bx[0-9a-f]{2,6}\s+(\S+)\s.*\s(\S+)$", f["finding"].strip())
        names.append((f["id"], m.group(2) if m else f["finding"], f["finding"]))
    print("testssl: suites offered:\n  " + "\n  ".join(n[2] for n in names), flush=True)
    env.check(len(names) > 0, "testssl: suites enumerated per protocol (%d)" % len(names))
    env.check(all(i.startswith("cipher-tls1_2") or i.startswith("cipher-tls1_3")
                  for i, _, _ in names),
              "testssl: every suite is TLS 1.2 or 1.3 (%s)" % sorted({i for i, _, _ in names}))
    iana = [n for _, n, _ in names]
    env.check(all(n.startswith("TLS_") for n in iana), "testssl: every suite has its IANA name "
              "(%s)" % iana)
    for bad, what in (("_NULL_", "NULL"), ("_anon_", "aNULL"), ("_EXPORT", "EXPORT"),
                      ("_RC4_", "RC4"), ("_3DES_", "3DES"), ("_DES_", "DES"), ("_IDEA_", "IDEA"),
                      ("_PSK_", "PSK")):
        hits = [n for n in iana if bad in n + "_"]
        env.check(not hits, "testssl: no %s suite offered (%s)" % (what, hits))
    cbc_sha1 = [n for n in iana if "_CBC_" in n and n.endswith("_SHA")]
    env.check(not cbc_sha1, "testssl: no CBC-SHA1 suite offered (%s)" % cbc_sha1)
    static_rsa = [n for i, n, _ in names if not i.startswith("cipher-tls1_3") and
                  not (n.startswith("TLS_ECDHE_") or n.startswith("TLS_DHE_"))]
    env.check(not static_rsa, "testssl: no static-RSA (non-ephemeral) key exchange: every TLS 1.2 "
              "suite ECDHE or DHE (%s)" % static_rsa)
    fs = one("FS") or one("PFS")
    env.check(fs is not None and fs["finding"].startswith("offered") and fs["severity"] == "OK",
              "testssl: forward secrecy offered (%s)" % (show(fs) if fs else "no finding"))
    curves = one("PFS_ECDHE_curves") or one("FS_ECDHE_curves")
    env.check(curves is not None and curves["finding"].split() and
              set(curves["finding"].split()) <= {"prime256v1", "secp384r1", "X25519"},
              "testssl: ECDHE groups within X25519, P-256, P-384 (%s)"
              % (show(curves) if curves else "no finding"))
    non_fs = [f for f in findings if f["id"] in ("FS_ciphers_not", "PFS_ciphers_not")]
    env.check(not non_fs, "testssl: no suite without forward secrecy (%s)"
              % "; ".join(show(f) for f in non_fs))

    # ---- vulnerabilities (-U): not vulnerable, whatever testssl found names itself
    vulns = ("heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_renego", "secure_client_renego",
             "CRIME_TLS", "BREACH", "POODLE_SSL", "fallback_SCSV", "SWEET32", "FREAK", "DROWN",
             "LOGJAM", "BEAST", "LUCKY13", "RC4")
    for fid in vulns:
        items = by_id.get(fid, [])
        bad = [f for f in items if f["severity"] not in ("OK", "INFO")]
        env.check(items and not bad, "testssl: %s not vulnerable (%s)"
                  % (fid, "; ".join(show(f) for f in items) or "no finding"))
    # anything else testssl graded as a problem, by name
    severe = [f for f in findings if f["severity"] in ("MEDIUM", "HIGH", "CRITICAL")]
    env.check(not severe, "testssl: no finding graded MEDIUM or worse (%s)"
              % "; ".join(show(f) for f in severe))


def gateway_listen_ports(pid):
    """The TCP ports the process `pid` listens on (any address), from ss -ltnp."""
    r = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, timeout=gwtest.WAIT_S)
    ports = set()
    for line in r.stdout.splitlines():
        if re.search(r"pid=%d," % pid, line):
            local = line.split()[3]
            ports.add(int(local.rsplit(":", 1)[1]))
    return ports


def run_nmap(env, ranges):
    out = env.path("nmap.xml")
    argv = ["nmap", "-sT", "-Pn", "-n", "--open", "-p", ranges, "-oX", out,
            "127.0.0.1"]
    start = time.monotonic()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=120)
    print("nmap -sT -p %s ran %.1f s (exit %d)" % (ranges, time.monotonic() - start,
                                                    r.returncode), flush=True)
    with open(out) as f:
        xml = f.read()
    return {int(p) for p, state in re.findall(r'<port protocol="tcp" portid="(\d+)">'
                                               r'<state state="(\w+)"', xml) if state == "open"}


def headers_of(port, cafile, path):
    ctx = ssl.create_default_context(cafile=cafile)
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=gwtest.WAIT_S)
    try:
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()


with gwtest.Env(__doc__) as env:
    started = time.monotonic()
    sim = env.simulator("--units", "1")
    port = gwtest.free_port()
    config = {
        "channels": [gwtest.serial_channel("sim", sim.link)],
        "listeners": [gwtest.tcp_listener("modbus")],
        "routes": [{"units": "1", "channel": "sim"}],
        "management": {"port": port},
    }
    gw = env.gateway(config)
    gw.log.wait(r"management console on https://127\.0\.0\.1:%d/" % port,
                what="the management console listening")
    cert = os.path.join(env.dir, gw.name + ".state", "mgmt", "console.crt")
    modbus_port = gw.port("modbus")
    configured = {port, modbus_port}

    # ---- HTTP headers
    for path in ("/", "/api/v1/setup"):
        status, h = headers_of(port, cert, path)
        env.check(status == 200, "GET %s: 200 (%s)" % (path, status))
        env.check("max-age=" in h.get("strict-transport-security", ""),
                  "GET %s: Strict-Transport-Security (HSTS) with max-age (%r)"
                  % (path, h.get("strict-transport-security")))
        csp = h.get("content-security-policy", "")
        env.check("default-src 'none'" in csp and "frame-ancestors 'none'" in csp,
                  "GET %s: Content-Security-Policy default-src 'none', frame-ancestors 'none' (%r)"
                  % (path, csp))
        env.check(h.get("x-frame-options", "").upper() == "DENY",
                  "GET %s: X-Frame-Options DENY (%r)" % (path, h.get("x-frame-options")))
        env.check(h.get("x-content-type-options", "").lower() == "nosniff",
                  "GET %s: X-Content-Type-Options nosniff (%r)"
                  % (path, h.get("x-content-type-options")))

    # ---- nmap: what is open around the gateway's ports
    spans = sorted((max(1, p - NMAP_SPAN), min(65535, p + NMAP_SPAN)) for p in configured)
    merged = []
    for lo, hi in spans:  # one range when the two ports are close, else one around each
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    ranges = ",".join("%d-%d" % r for r in merged)
    open_ports = run_nmap(env, ranges)
    env.check(port in open_ports, "nmap -sT: the console port %d is open" % port)
    env.check(modbus_port in open_ports, "nmap -sT: the Modbus listener port %d is open"
              % modbus_port)
    owned = gateway_listen_ports(gw.pid)
    env.check(configured <= owned, "ss: the gateway's process owns the console and Modbus "
              "listeners (%s)" % sorted(owned))
    stray = sorted(p for p in open_ports if p in owned and p not in configured)
    env.check(not stray, "nmap -sT %s: no open port of the gateway's beyond the configured %s "
              "(%s; open ports of other processes: %s)"
              % (ranges, sorted(configured), stray, sorted(open_ports - owned)))
    env.check(owned <= configured, "ss: the gateway listens on nothing but %s (%s)"
              % (sorted(configured), sorted(owned)))

    # ---- testssl
    check_testssl(env, run_testssl(env, port))
    print("console_scan ran %.1f s" % (time.monotonic() - started), flush=True)
