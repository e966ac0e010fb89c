#!/usr/bin/python3
"""Backup, restore and factory reset through the console, from the outside.

  a backup without a passphrase: the configuration and a SHA-512 digest, no secret at all;
      a passphrase under 12 characters is refused; with one, the accounts' hashes are sealed
      (nothing of them readable in the file)
  refused before anything changes (the configuration file byte for byte, the accounts): a
      changed byte (digest), a sealed part changed (its digest recomputed), a wrong
      passphrase, a configuration the reader refuses (its key path named), an operator (403)
  after a route was added, restoring the sealed backup: the gateway stops (exit 0), the file
      holds the backup's configuration; started again, the backup's operator logs in and the
      route added later is gone
  factory reset: a wrong password 403; the right one 202, the gateway stops and its state is
      erased; started again it is a first run; --factory-reset refuses while a gateway runs
"""
import hashlib
import json
import os
import subprocess

import gwtest
from console_client import OPERATOR_PASSWORD, Console, gateway_with_console, operator_session
from gwtest import Master, exception_of, read_holding, registers


def digest(doc):
    """The backup's digest as gw computes it: SHA-512 of the compact JSON without it."""
    d = dict(doc)
    d.pop("digest", None)
    return hashlib.sha512(json.dumps(d, separators=(",", ":"), ensure_ascii=False)
                          .encode()).hexdigest()


with gwtest.Env(__doc__) as env:
    sim = env.simulator("--units", "1-3")
    sim2 = env.simulator("--units", "4-6", name="sim2")
    gw, port, cert, admin = gateway_with_console(
        env, [gwtest.serial_channel("sim", sim.link), gwtest.serial_channel("sim2", sim2.link)],
        [{"units": "1-3", "channel": "sim"}])
    state = os.path.dirname(os.path.dirname(cert))
    op = operator_session(admin)

    status, headers, body = admin.request("POST", "/api/v1/backup", {})
    plain = json.loads(body) if status == 200 else {}
    env.check(status == 200 and plain.get("format") == "gw-backup" and plain["secrets"] is None
              and "attachment" in headers.get("Content-Disposition", "") and
              '"channel": "sim"' in plain["config"] and b"$pbkdf2" not in body,
              "a backup without a passphrase: the configuration, no secret (%s)" % status)
    env.check(plain.get("digest") == digest(plain), "its SHA-512 digest is of its canonical text")
    status, _, j = admin.json("POST", "/api/v1/backup", {"passphrase": "too short"})
    env.check(status == 422, "a passphrase under 12 characters: 422 (%s %s)" % (status, j))
    passphrase = "backup passphrase 2026"
    status, _, body = admin.request("POST", "/api/v1/backup", {"passphrase": passphrase})
    sealed = json.loads(body) if status == 200 else {}
    env.check(status == 200 and sealed["secrets"]["cipher"] == "aes-256-gcm" and
              b"$pbkdf2" not in body and b'"op"' not in body,
              "with a passphrase the secrets are sealed: no hash, no account name readable")

    config_before = open(gw.config_path, "rb").read()
    accounts = os.path.join(state, "mgmt", "accounts.json")
    accounts_before = open(accounts, "rb").read()

    def refused(doc, key_phrase, what, pw=passphrase, console=admin, code=422):
        status, _, j = console.json("POST", "/api/v1/restore", {"backup": doc, "passphrase": pw})
        env.check(status == code and key_phrase in (j or {}).get("error", ""),
                  "%s: %s (%s %s)" % (what, code, status, j))

    changed = dict(sealed, config=sealed["config"].replace('"1-3"', '"1-4"'))
    refused(changed, "digest", "a changed byte is found by the digest")
    inner = dict(sealed["secrets"])
    inner["ciphertext"] = ("0" if inner["ciphertext"][0] != "0" else "1") + inner["ciphertext"][1:]
    forged = dict(sealed, secrets=inner)
    forged["digest"] = digest(forged)
    refused(forged, "changed", "a changed sealed part (digest recomputed) fails its tag")
    refused(sealed, "wrong passphrase", "a wrong passphrase", pw="not the passphrase")
    refused(sealed, "passphrase", "sealed secrets without the passphrase", pw="")
    bad = dict(plain, config=plain["config"].replace('"channel": "sim"', '"channel": "nosuch"'))
    bad["digest"] = digest(bad)
    refused(bad, "routes[0].channel", "a configuration the reader refuses names its key")
    refused(sealed, "security", "an operator may not restore", console=op, code=403)
    env.check(open(gw.config_path, "rb").read() == config_before and
              open(accounts, "rb").read() == accounts_before and gw.poll() is None,
              "after every refusal: the files unchanged, the gateway running")

    # ---- a change after the backup, then the restore
    status, _, _ = admin.json("PUT", "/api/v1/config/routes",
                              [{"units": "1-3", "channel": "sim"}, {"units": "4-6", "channel": "sim2"}])
    with Master(gw.port("modbus")) as m:
        env.check(registers(m.request(5, read_holding(0, 1))) is not None, "unit 5 routed now")
    status, _, j = admin.json("POST", "/api/v1/restore", {"backup": sealed, "passphrase": passphrase})
    env.check(status == 200 and j["restarting"] is True, "the sealed backup is restored (%s %s)"
              % (status, j))
    env.check(gw.wait() == 0, "the gateway stops to start on it (exit 0)")
    env.check(gw.log.matches(r"stopped \(a backup was restored by admin\)"),
              "its log says why it stopped")
    env.check(open(gw.config_path).read() == sealed["config"] + "\n",
              "the file holds the backup's configuration")
    again = gwtest.Gateway(env, "gw-restored", gw.config_path, ["--state-dir", state]).ready()
    again.wait_channel_up("sim2")
    with Master(again.port("modbus")) as m:
        env.check(exception_of(m.request(5, read_holding(0, 1))) is not None,
                  "the route added after the backup is gone")
    op2 = Console(port, cert)
    status, _, _ = op2.login("op", OPERATOR_PASSWORD)
    env.check(status == 200, "the backup's operator logs in (%s)" % status)

    # ---- factory reset
    r = subprocess.run([env.gateway_bin, "--state-dir", state, "--factory-reset"],
                       capture_output=True, text=True, timeout=gwtest.WAIT_S)
    env.check(r.returncode == 1 and "stop it first" in r.stderr,
              "--factory-reset refuses while a gateway runs (%s %s)" % (r.returncode, r.stderr))
    admin = Console(port, cert)
    admin.login("admin", "long enough passphrase")
    status, _, _ = admin.json("POST", "/api/v1/factory-reset", {"password": "not it at all"})
    env.check(status == 403 and again.poll() is None, "a wrong password: 403, nothing happens")
    status, _, _ = op2.json("POST", "/api/v1/factory-reset", {"password": OPERATOR_PASSWORD})
    env.check(status == 403, "an operator may not reset (%s)" % status)
    status, _, j = admin.json("POST", "/api/v1/factory-reset", {"password": "long enough passphrase"})
    env.check(status == 202 and j["reset"] is True, "the administrator confirms: 202 (%s)" % status)
    env.check(again.wait() == 0, "the gateway stops (exit 0)")
    env.check(not os.path.exists(os.path.join(state, "mgmt")) and
              not os.path.exists(os.path.join(state, "audit")),
              "its state is erased (accounts, keys, certificates, audit store)")
    fresh = gwtest.Gateway(env, "gw-fresh", gw.config_path, ["--state-dir", state]).ready()
    fresh.log.wait(r"management console on https://127\.0\.0\.1:%d/ \(loopback only" % port,
                   what="the console in first-run mode")
    first = Console(port, os.path.join(state, "mgmt", "console.crt"))
    status, _, j = first.json("GET", "/api/v1/setup")
    env.check(status == 200 and j["needed"] is True, "started again: a first run (%s %s)" % (status, j))
    fresh.stop()
    r = subprocess.run([env.gateway_bin, "--state-dir", state, "--factory-reset"],
                       capture_output=True, text=True, timeout=gwtest.WAIT_S)
    env.check(r.returncode == 0 and "next start is a first run" in r.stdout and
              not os.path.exists(os.path.join(state, "mgmt")),
              "--factory-reset with the gateway stopped (%s %s)" % (r.returncode, r.stdout))
