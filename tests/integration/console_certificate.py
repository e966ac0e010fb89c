#!/usr/bin/python3
"""The console's certificate from the outside: imported, served at once, kept at restart, and
regenerated, over the REST API; what is refused is refused before anything changes.

  GET /api/v1/certificate: the self-signed ECC P-256 certificate the gateway made, naming
      127.0.0.1
  an operator may read it but not import one (403)
  a certificate with another certificate's key: 422, the console still serves the old one
  an RSA 2048 certificate made by openssl imported: 200; a new connection is served it
      (verified against it), imported.key is 0600, setting_changed names who
  a restarted gateway serves the imported certificate
  regenerate: a new self-signed certificate (not the first one), served at once; the imported
      files are gone
"""
import os
import socket
import ssl
import stat
import subprocess

import gwtest
from console_client import Console, gateway_with_console, operator_session


def served_certificate(port):
    """The DER certificate the console presents to a new connection (not verified)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=gwtest.WAIT_S) as raw:
        with ctx.wrap_socket(raw) as s:
            return s.getpeercert(binary_form=True)


def der_of(pem_path):
    with open(pem_path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def make_rsa(env, name):
    crt, key = env.path(name + ".crt"), env.path(name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "20",
                    "-subj", "/CN=gw console test", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", crt], check=True, capture_output=True)
    return open(crt).read(), open(key).read(), crt


with gwtest.Env(__doc__) as env:
    sim = env.simulator("--units", "1")
    gw, port, cert, admin = gateway_with_console(
        env, [gwtest.serial_channel("sim", sim.link)], [{"units": "1", "channel": "sim"}])
    mgmt = os.path.dirname(cert)

    status, _, j = admin.json("GET", "/api/v1/certificate")
    env.check(status == 200 and j["source"] == "self-signed" and j["key"] == "ECC 256" and
              "127.0.0.1" in j["ip_addresses"] and j["self_signed"] is True,
              "GET /api/v1/certificate: the self-signed ECC P-256 one (%s %s)" % (status, j))
    first = served_certificate(port)
    env.check(first == der_of(cert), "the console serves console.crt")

    op = operator_session(admin)
    status, _, _ = op.json("GET", "/api/v1/certificate")
    env.check(status == 200, "an operator reads the certificate (%s)" % status)
    rsa_pem, rsa_key, rsa_crt = make_rsa(env, "rsa")
    status, _, j = op.json("POST", "/api/v1/certificate",
                           {"certificate": rsa_pem, "private_key": rsa_key})
    env.check(status == 403 and "security" in j["error"],
              "an operator may not import one (%s %s)" % (status, j))

    other_pem, other_key, _ = make_rsa(env, "other")
    status, _, j = admin.json("POST", "/api/v1/certificate",
                              {"certificate": rsa_pem, "private_key": other_key})
    env.check(status == 422 and "does not belong" in j["error"],
              "a certificate with another's key: 422 (%s %s)" % (status, j))
    status, _, j = admin.json("POST", "/api/v1/certificate", {"certificate": "junk",
                                                              "private_key": rsa_key})
    env.check(status == 422 and "certificate" in j["error"], "not PEM: 422 (%s %s)" % (status, j))
    env.check(served_certificate(port) == first and not os.path.exists(os.path.join(mgmt, "imported.crt")),
              "after the refusals the console serves the old certificate, nothing was written")

    status, _, j = admin.json("POST", "/api/v1/certificate",
                              {"certificate": rsa_pem, "private_key": rsa_key})
    env.check(status == 200 and j["source"] == "imported" and j["key"] == "RSA 2048" and
              j.get("warning", "").startswith("the certificate expires in"),
              "the RSA 2048 certificate is imported, its expiry in 20 days warned (%s %s)"
              % (status, j))
    env.check(served_certificate(port) == der_of(rsa_crt), "a new connection is served it at once")
    imported = Console(port, rsa_crt)  # verifies the chain and the name against the new one
    status, _, _ = imported.json("GET", "/api/v1/setup")
    env.check(status == 200, "a client trusting the imported certificate connects (%s)" % status)
    env.check(stat.S_IMODE(os.stat(os.path.join(mgmt, "imported.key")).st_mode) == 0o600,
              "imported.key is 0600")
    admin.ctx = ssl.create_default_context(cafile=rsa_crt)
    status, _, j = admin.json("GET", "/api/v1/audit?limit=50")
    changed = [r for r in (j or {}).get("records", []) if r.get("type") == "setting_changed"]
    env.check(any("key=certificate imported by=admin" in r.get("detail", "") for r in changed),
              "setting_changed names the import and who (%s)" % changed)

    gw.stop()
    again = gwtest.Gateway(env, "gw-restarted", gw.config_path,
                           ["--state-dir", os.path.dirname(mgmt)]).ready()
    env.check(served_certificate(port) == der_of(rsa_crt),
              "a restarted gateway serves the imported certificate")
    admin.cookie = None
    status, _, _ = admin.login("admin", "long enough passphrase")
    status, _, j = admin.json("POST", "/api/v1/certificate/regenerate")
    env.check(status == 200 and j["source"] == "self-signed" and j["key"] == "ECC 256",
              "regenerate: a new self-signed certificate (%s %s)" % (status, j))
    now = served_certificate(port)
    env.check(now == der_of(cert) and now != first,
              "it is served at once, and it is not the first one")
    env.check(not os.path.exists(os.path.join(mgmt, "imported.crt")) and
              not os.path.exists(os.path.join(mgmt, "imported.key")),
              "the imported files are gone")
