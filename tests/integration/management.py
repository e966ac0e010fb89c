#!/usr/bin/python3
"""The management console's REST API from the outside, as a new user and an attacker meet it:
over HTTPS, verified against the self-signed certificate the gateway made in its state dir.

  first run: no account, the console on 127.0.0.1 only; setup refuses a common password and
      then creates the administrator; a second setup is refused (409)
  every endpoint without a session (the configuration editor, traffic, certificate, backup,
      restore and reset ones too): 401; a forged cookie: 401
  login: a wrong password and an unknown account get the same answer; a cookie planted before
      login is not the session's id (no fixation); the session cookie is __Host-, Secure,
      HttpOnly, SameSite=Strict
  CSRF: a state-changing request without the token, or with a wrong one, is refused (403)
  an operator (created by the administrator, so it must change its password first) gets 403
      on accounts and sessions, on changing security settings and services, and nothing but
      the password change until it has changed it
  brute force from 127.0.0.5: management.lockout.max_failures (3) failures lock the account and
      the source: then even the right password gets 429, from any source; the administrator
      unlocks the account, the attacker's source stays locked
  bounds: a header over 8 KiB is answered 431, a body over 64 KiB 413
  the audit log (GET /api/v1/audit) holds login_failed, account_locked, account_created,
      login_succeeded; logout ends the session
  the accounts file is 0600 and holds no password
  accessible_ip_list with additional_restrictions: 127.0.0.9's connection is closed at accept
  a client that does not speak TLS, three times: one connection_refused record with
      reason=tls_handshake_failed (once per source per minute)
  --security-check exits 1 naming the failed criterion; --create-admin refuses once accounts
      exist and applies the password policy
"""
import json
import os
import socket
import ssl
import stat
import subprocess
import time

import gwtest
from console_client import Console

MAX_FAILURES = 3


with gwtest.Env(__doc__) as env:
    sim = env.simulator("--units", "1-3")
    port = gwtest.free_port()
    config = {
        "channels": [gwtest.serial_channel("sim", sim.link)],
        "listeners": [gwtest.tcp_listener("modbus")],
        "routes": [{"units": "1-3", "channel": "sim"}],
        "management": {"port": port, "login_message": "Authorised use only.",
                       "lockout": {"max_failures": MAX_FAILURES, "window_s": 600,
                                   "lockout_s": 600}},
    }
    gw = env.gateway(config)
    state = os.path.join(env.dir, gw.name + ".state")
    gw.log.wait(r"management console on https://127\.0\.0\.1:%d/ \(loopback only" % port,
                what="the console on loopback until an administrator exists")
    mgmt = os.path.join(state, "mgmt")
    cert = os.path.join(mgmt, "console.crt")
    env.check(stat.S_IMODE(os.stat(os.path.join(mgmt, "console.key")).st_mode) == 0o600,
              "the console's key is 0600")
    env.check(stat.S_IMODE(os.stat(mgmt).st_mode) == 0o700, "the mgmt directory is 0700")
    admin = Console(port, cert)  # verifies the self-signed certificate and its SAN 127.0.0.1

    # ---- first run
    status, _, j = admin.json("GET", "/api/v1/setup")
    env.check(status == 200 and j["needed"] is True and j["login_message"] == "Authorised use only.",
              "first run: setup needed, the login message shown (%s %s)" % (status, j))
    status, _, j = admin.json("POST", "/api/v1/setup", {"name": "admin", "password": "password1234"})
    env.check(status == 422 and "common" in j["error"], "setup refuses a common password (%s %s)"
              % (status, j))
    status, _, j = admin.json("POST", "/api/v1/setup", {"name": "admin",
                                                        "password": "long enough passphrase"},
                              headers={"Origin": "https://evil.example"})
    env.check(status == 403, "setup from another origin is refused (%s)" % status)
    status, _, _ = admin.json("POST", "/api/v1/setup", {"name": "admin",
                                                        "password": "long enough passphrase"})
    env.check(status == 201, "the first administrator is created (%s)" % status)
    status, _, _ = admin.json("POST", "/api/v1/setup", {"name": "root",
                                                        "password": "another long passphrase"})
    env.check(status == 409, "a second setup is refused (%s)" % status)

    # ---- without a session
    for method, path in (("GET", "/api/v1/status"), ("GET", "/api/v1/session"),
                         ("GET", "/api/v1/audit"), ("GET", "/api/v1/dashboard"),
                         ("GET", "/api/v1/accounts"), ("POST", "/api/v1/accounts"),
                         ("GET", "/api/v1/sessions"), ("POST", "/api/v1/logout"),
                         ("POST", "/api/v1/password"), ("DELETE", "/api/v1/accounts/admin"),
                         ("GET", "/metrics"), ("GET", "/api/v1/config"),
                         ("GET", "/api/v1/config/routes"), ("PUT", "/api/v1/config/routes"),
                         ("GET", "/api/v1/traffic"), ("GET", "/api/v1/traffic/stream"),
                         ("GET", "/api/v1/traffic/pcap"), ("GET", "/api/v1/certificate"),
                         ("POST", "/api/v1/certificate"),
                         ("POST", "/api/v1/certificate/regenerate"),
                         ("POST", "/api/v1/backup"), ("POST", "/api/v1/restore"),
                         ("POST", "/api/v1/factory-reset")):
        status, _, _ = admin.request(method, path,
                                     body={} if method in ("POST", "PUT") else None)
        env.check(status == 401, "%s %s without a session: 401 (%s)" % (method, path, status))
    admin.cookie = "0" * 32
    status, _, _ = admin.request("GET", "/api/v1/status")
    env.check(status == 401, "a forged session cookie: 401 (%s)" % status)

    # ---- login
    planted = "0123456789abcdef0123456789abcdef"
    s1, _, wrong = admin.json("POST", "/api/v1/login", {"name": "admin", "password": "nope nope"})
    s2, _, unknown = admin.json("POST", "/api/v1/login", {"name": "ghost", "password": "nope nope"})
    env.check(s1 == s2 == 401 and wrong == unknown,
              "a wrong password and an unknown account get the same answer (%s %s)"
              % (wrong, unknown))
    forger = Console(port, cert, source="127.0.0.7")
    status, _, j = forger.json("POST", "/api/v1/login", {"name": "x\nlogin_succeeded account=admin",
                                                         "password": "nope nope"})
    env.check(status == 401 and j == wrong, "a name no account can have: the same answer (%s)" % j)
    admin.cookie = planted
    status, headers, j = admin.login("admin", "long enough passphrase")
    env.check(status == 200 and j["role"] == "administrator" and not j["must_change_password"],
              "the administrator logs in (%s %s)" % (status, j))
    set_cookie = headers.get("Set-Cookie", "")
    env.check(set_cookie.startswith("__Host-gw_session=") and "Secure" in set_cookie and
              "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie and
              "Path=/" in set_cookie, "the session cookie: __Host-, Secure, HttpOnly, SameSite=Strict")
    env.check(admin.cookie != planted and len(admin.cookie) == 32,
              "a cookie planted before login is not the session (no fixation)")
    status, headers, _ = admin.request("GET", "/api/v1/status")
    env.check(status == 200, "with the session: the status (%s)" % status)
    csp = headers.get("Content-Security-Policy", "")
    env.check("script-src 'self'" in csp and "frame-ancestors 'none'" in csp and
              headers.get("X-Content-Type-Options") == "nosniff" and
              headers.get("X-Frame-Options") == "DENY" and
              "max-age" in headers.get("Strict-Transport-Security", ""),
              "security headers: CSP, nosniff, frame denial, HSTS")
    status, _, page = admin.request("GET", "/")
    env.check(status == 200 and b"console.js" in page and b"<script>" not in page,
              "the console page is served, its script from a file (%s)" % status)

    # ---- CSRF
    body = {"name": "op", "role": "operator", "password": "operator passphrase 1"}
    status, _, _ = admin.request("POST", "/api/v1/accounts", body, token=False)
    env.check(status == 403, "a change without the CSRF token: 403 (%s)" % status)
    status, _, _ = admin.request("POST", "/api/v1/accounts", body,
                                 headers={"X-CSRF-Token": "f" * 32})
    env.check(status == 403, "a change with a wrong CSRF token: 403 (%s)" % status)
    status, _, _ = admin.request("POST", "/api/v1/accounts", body)
    env.check(status == 201, "with the token: the operator account is created (%s)" % status)

    # ---- the operator: forced change, then least privilege
    op = Console(port, cert)
    status, _, j = op.login("op", "operator passphrase 1")
    env.check(status == 200 and j["must_change_password"] is True,
              "the operator must change the password the administrator chose (%s)" % (j,))
    status, _, _ = op.request("GET", "/api/v1/status")
    env.check(status == 403, "before the change: nothing but the password change (%s)" % status)
    status, _, j = op.json("POST", "/api/v1/password", {"current": "operator passphrase 1",
                                                        "new": "operator passphrase 1"})
    env.check(status == 422, "the new password must differ (%s %s)" % (status, j))
    status, _, _ = op.json("POST", "/api/v1/password", {"current": "operator passphrase 1",
                                                        "new": "a fresh operator phrase"})
    env.check(status == 204, "the operator changes the password (%s)" % status)
    status, _, _ = op.request("GET", "/api/v1/status")
    env.check(status == 200, "then the operator reads the status (%s)" % status)
    status, _, j = op.json("GET", "/api/v1/session")
    rights = (j or {}).get("rights", {})
    env.check(status == 200 and rights.get("accounts") == "none" and rights.get("lines") == "write"
              and rights.get("security") == "read",
              "the operator's session lists its rights: accounts none, lines write, security read "
              "(%s)" % rights)
    for method, path in (("GET", "/api/v1/accounts"), ("GET", "/api/v1/sessions"),
                         ("POST", "/api/v1/accounts"), ("DELETE", "/api/v1/accounts/admin"),
                         ("POST", "/api/v1/accounts/admin/unlock")):
        status, _, j = op.json(method, path, body={} if method == "POST" else None)
        env.check(status == 403 and "right on accounts" in (j or {}).get("error", ""),
                  "operator: %s %s: 403, no right on accounts (%s %s)" % (method, path, status, j))
    # The operator reads security settings but changes none of them, nor the services.
    for method, path, section in (("POST", "/api/v1/certificate", "security"),
                                  ("POST", "/api/v1/certificate/regenerate", "security"),
                                  ("POST", "/api/v1/backup", "security"),
                                  ("POST", "/api/v1/restore", "security"),
                                  ("POST", "/api/v1/factory-reset", "security"),
                                  ("PUT", "/api/v1/config/accessible_ip_list", "security"),
                                  ("PUT", "/api/v1/config/authorization", "security"),
                                  ("PUT", "/api/v1/config/listeners", "services"),
                                  ("PUT", "/api/v1/config/management", "accounts"),
                                  ("GET", "/api/v1/config/management", "accounts")):
        status, _, j = op.json(method, path, body={} if method != "GET" else None)
        env.check(status == 403 and ("right on " + section) in (j or {}).get("error", ""),
                  "operator: %s %s: 403, no right on %s (%s %s)" % (method, path, section,
                                                                  status, j))

    # ---- brute force on the operator account, from another source address
    attacker = Console(port, cert, source="127.0.0.5")
    for i in range(MAX_FAILURES):
        status, _, _ = attacker.json("POST", "/api/v1/login", {"name": "op", "password": "guess%d" % i})
        env.check(status == 401, "guess %d: 401 (%s)" % (i + 1, status))
    status, headers, j = attacker.login("op", "a fresh operator phrase")
    env.check(status == 429 and j.get("retry_after_s", 0) > 0 and "Retry-After" in headers,
              "after %d failures even the right password gets 429 (%s %s)"
              % (MAX_FAILURES, status, j))
    status, _, j = op.login("op", "a fresh operator phrase")
    env.check(status == 429, "the locked account is locked from every source (%s %s)" % (status, j))
    status, _, _ = admin.request("POST", "/api/v1/accounts/op/unlock")
    env.check(status == 204, "the administrator unlocks the account (%s)" % status)
    status, _, _ = op.login("op", "a fresh operator phrase")
    env.check(status == 200, "then the operator logs in again (%s)" % status)
    status, _, _ = attacker.login("op", "a fresh operator phrase")
    env.check(status == 429, "the attacker's source stays locked (%s)" % status)

    # ---- bounds
    status, _, _ = admin.request("GET", "/api/v1/status", headers={"X-Padding": "a" * 9000})
    env.check(status == 431, "a header over 8 KiB: 431 (%s)" % status)
    # Announced, not sent: the answer comes at the header (a client still sending a body the
    # server refused would race the close).
    with socket.create_connection(("127.0.0.1", port), timeout=gwtest.WAIT_S) as raw:
        with admin.ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(b"POST /api/v1/accounts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        b"Content-Type: application/json\r\nContent-Length: 71680\r\n\r\n")
            answer = b""
            while b"\r\n" not in answer:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                answer += chunk
    env.check(answer.startswith(b"HTTP/1.1 413"), "a body over 64 KiB: 413 (%r)" % answer[:20])

    # ---- a client that does not speak TLS (a scanner, plain HTTP): audited once per minute
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", port), timeout=gwtest.WAIT_S) as plain:
            plain.sendall(b"GET / HTTP/1.0\r\n\r\n")
            while plain.recv(4096):
                pass

    # ---- the audit log, the dashboard, metrics
    # The trail stores on its own thread: ask until the refusal is there (bounded). The other
    # two were left out on the io thread before their connections closed.
    deadline = time.monotonic() + gwtest.WAIT_S
    while True:
        status, _, j = admin.json("GET", "/api/v1/audit?category=security&limit=500")
        refusals = [r for r in j["records"] if r["type"] == "connection_refused" and
                    "console reason=tls_handshake_failed" in (r.get("detail") or "")]
        if refusals or time.monotonic() > deadline:
            break
        time.sleep(gwtest.POLL_S)
    env.check(len(refusals) == 1 and refusals[0].get("peer", "").startswith("127.0.0.1"),
              "three plain-HTTP connections to the console: one tls_handshake_failed record "
              "(%s)" % refusals)
    types = [r["type"] for r in j["records"]] if status == 200 else []
    for t in ("account_created", "login_failed", "account_locked", "login_succeeded",
              "account_changed"):
        env.check(t in types, "the audit log holds %s" % t)
    env.check(not any("\n" in (r.get("detail") or "") for r in j["records"]),
              "a forged name's line break never reaches the audit log")
    status, _, j = admin.json("GET", "/api/v1/dashboard")
    ids = {c["id"]: c for c in j["checks"]} if status == 200 else {}
    env.check("console_certificate" in ids and not ids["console_certificate"]["passed"],
              "dashboard: the self-signed console certificate is a failed criterion")
    env.check(all(c["fix"] for c in ids.values()), "dashboard: every criterion says its fix")
    env.check("audit_store" in ids and ids["audit_store"]["passed"] and
              " of 10000 records" in ids["audit_store"]["detail"],
              "dashboard: the running audit store is a passed criterion (%s)" % ids.get("audit_store"))
    status, _, text = admin.request("GET", "/metrics")
    env.check(status == 200 and b'gw_channel_' in text, "metrics in Prometheus format (%s)" % status)

    # ---- sessions and logout
    status, _, j = admin.json("GET", "/api/v1/sessions")
    env.check(status == 200 and {s["account"] for s in j["sessions"]} >= {"admin", "op"},
              "the administrator lists the sessions")
    status, _, _ = admin.request("POST", "/api/v1/logout")
    env.check(status == 204, "logout (%s)" % status)
    status, _, _ = admin.request("GET", "/api/v1/status")
    env.check(status == 401, "after logout the old cookie is refused (%s)" % status)

    # ---- the accounts file
    accounts = os.path.join(mgmt, "accounts.json")
    env.check(stat.S_IMODE(os.stat(accounts).st_mode) == 0o600, "accounts.json is 0600")
    with open(accounts) as f:
        text = f.read()
    env.check("passphrase" not in text and "$pbkdf2-sha256$i=600000$" in text,
              "accounts.json holds PBKDF2 hashes, no password")

    # ---- a reload cannot change the console behind its back
    with open(gw.config_path) as f:
        changed = json.load(f)
    changed["management"]["login_message"] = "changed"
    verdict = gw.reload(changed)
    env.check("reload refused" in verdict and "management settings changed" in verdict,
              "a reload changing management is refused, saying why (%s)" % verdict)

    # ---- the accessible IP list's additional restrictions reach the console
    port2 = gwtest.free_port()
    restricted = json.loads(json.dumps(config))
    restricted["management"]["port"] = port2
    restricted["accessible_ip_list"] = {"active": True, "additional_restrictions": True,
                                        "entries": ["127.0.0.1"]}
    gw2 = env.gateway(restricted, name="gw-restricted")
    gw2.log.wait(r"management console on https://127\.0\.0\.1:%d/" % port2, what="the console")
    state2 = os.path.join(env.dir, gw2.name + ".state")
    listed = Console(port2, os.path.join(state2, "mgmt", "console.crt"))
    status, _, _ = listed.request("GET", "/api/v1/setup")
    env.check(status == 200, "accessible IP list: a listed host reaches the console (%s)" % status)
    outsider = Console(port2, os.path.join(state2, "mgmt", "console.crt"), source="127.0.0.9")
    try:
        status, _, _ = outsider.request("GET", "/api/v1/setup")
        refused = False
    except (ssl.SSLError, ConnectionError, OSError):
        refused = True
    env.check(refused, "accessible IP list: an unlisted host's connection is closed at accept")
    gw2.stop()

    # ---- the command line: --security-check (for automation) and --create-admin
    gw.stop()
    r = subprocess.run([env.gateway_bin, "-c", gw.config_path, "--state-dir", state,
                        "--security-check"], capture_output=True, text=True, timeout=gwtest.WAIT_S)
    env.check(r.returncode == 1 and "FAIL console_certificate" in r.stdout and
              "ok   lockout" in r.stdout,
              "--security-check exits 1 and names the failed criterion (%d: %s)"
              % (r.returncode, r.stdout.strip().splitlines()[:3]))
    r = subprocess.run([env.gateway_bin, "-c", gw.config_path, "--state-dir", state,
                        "--create-admin", "root"], input="yet another passphrase\n",
                       capture_output=True, text=True, timeout=gwtest.WAIT_S)
    env.check(r.returncode == 1 and "accounts exist" in r.stderr,
              "--create-admin refuses once accounts exist (%d %s)" % (r.returncode, r.stderr.strip()))
    fresh = env.path("fresh.state")
    r = subprocess.run([env.gateway_bin, "-c", gw.config_path, "--state-dir", fresh,
                        "--create-admin", "root"], input="password1234\n",
                       capture_output=True, text=True, timeout=gwtest.WAIT_S)
    env.check(r.returncode == 1 and "common" in r.stderr,
              "--create-admin applies the password policy (%s)" % r.stderr.strip())
    r = subprocess.run([env.gateway_bin, "-c", gw.config_path, "--state-dir", fresh,
                        "--create-admin", "root"], input="yet another passphrase\n",
                       capture_output=True, text=True, timeout=gwtest.WAIT_S)
    env.check(r.returncode == 0, "--create-admin makes the first administrator (%s)" % r.stdout.strip())
