#!/usr/bin/python3
"""Custom console roles (management.roles) from the outside: a role of the configuration is
given to an account, which gets exactly that role's rights on every endpoint, checked on the
server; a role that is not configured cannot be given, and an account whose role is removed
from the configuration keeps no right at all.

  the accounts list offers administrator, operator and maintainer
  a role that is not configured: 422
  maintainer (lines write, audit read, the defaults status and monitor read, nothing else):
      its session lists those rights; it reads status, the audit log and the traffic, changes
      the routes, and is refused (403, naming the section) listeners, the certificate, backups
      and accounts
  the role removed from the configuration, the gateway restarted: the account logs in and has
      no right (status 403), never a default
"""
import json
import os

import gwtest
from console_client import OPERATOR_PASSWORD, Console, gateway_with_console, operator_session

with gwtest.Env(__doc__) as env:
    sim = env.simulator("--units", "1-3")
    channels = [gwtest.serial_channel("sim", sim.link)]
    routes = [{"units": "1-3", "channel": "sim"}]
    gw, port, cert, admin = gateway_with_console(
        env, channels, routes,
        {"roles": [{"name": "maintainer", "lines": "write", "audit": "read"}]})

    status, _, j = admin.json("GET", "/api/v1/accounts")
    env.check(status == 200 and j["roles"] == ["administrator", "operator", "maintainer"],
              "the accounts list offers the configured role (%s)" % (j or {}).get("roles"))
    status, _, j = admin.json("POST", "/api/v1/accounts", {"name": "x", "role": "superuser",
                                                           "password": "some long passphrase"})
    env.check(status == 422, "a role that is not configured: 422 (%s %s)" % (status, j))

    m = operator_session(admin, "maint", role="maintainer")
    status, _, j = m.json("GET", "/api/v1/session")
    env.check(status == 200 and j["role"] == "maintainer" and j["rights"] == {
        "status": "read", "audit": "read", "monitor": "read", "lines": "write",
        "services": "none", "security": "none", "accounts": "none"},
        "the session lists the role's rights (%s)" % (j,))
    for path in ("/api/v1/status", "/api/v1/audit", "/api/v1/traffic", "/api/v1/config/routes"):
        status, _, _ = m.json("GET", path)
        env.check(status == 200, "maintainer reads %s (%s)" % (path, status))
    status, _, j = m.json("PUT", "/api/v1/config/routes", routes + [{"units": "4", "channel": "sim"}])
    env.check(status == 200 and j["changed"] is True, "maintainer changes the routes (%s %s)"
              % (status, j))
    for method, path, section in (("PUT", "/api/v1/config/listeners", "services"),
                                  ("GET", "/api/v1/certificate", "security"),
                                  ("POST", "/api/v1/backup", "security"),
                                  ("GET", "/api/v1/accounts", "accounts"),
                                  ("POST", "/api/v1/status", "status")):
        status, _, j = m.json(method, path, {} if method != "GET" else None)
        env.check(status == 403 and section in (j or {}).get("error", ""),
                  "maintainer %s %s: 403 naming %s (%s %s)" % (method, path, section, status, j))

    # ---- the role removed from the configuration
    state = os.path.dirname(os.path.dirname(cert))
    gw.stop()
    with open(gw.config_path) as f:
        text = f.read()
    saved = json.loads("\n".join(l for l in text.splitlines() if not l.startswith("//")))
    saved["management"]["roles"] = []
    gwtest.write_atomically(gw.config_path, json.dumps(saved, indent=1))
    again = gwtest.Gateway(env, "gw-without-role", gw.config_path, ["--state-dir", state]).ready()
    m2 = Console(port, cert)
    status, _, j = m2.login("maint", OPERATOR_PASSWORD)
    env.check(status == 200 and j["role"] == "maintainer", "maint still logs in (%s)" % status)
    status, _, j = m2.json("GET", "/api/v1/session")
    env.check(set((j or {}).get("rights", {}).values()) == {"none"},
              "with its role gone it has no right at all (%s)" % (j,))
    status, _, _ = m2.json("GET", "/api/v1/status")
    env.check(status == 403, "not even the status (%s)" % status)
