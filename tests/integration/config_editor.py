#!/usr/bin/python3
"""The console's configuration editor from the outside: an administrator changes the routes over
the REST API and a real Modbus read through the gateway sees the change at once; the file on disk
holds it, the previous file is kept, and a restarted gateway runs it.

  GET /api/v1/config: the file, editable, the keys and their sections
  unit 5 has no route: the read is answered with an exception
  a route to a channel that does not exist: 422 naming routes[1].channel; nothing changes
  without the CSRF token: 403; an operator's role may not change listeners: 403
  a save that fails (the .previous name taken): 500, the live change undone, the file unchanged
  a new listener or audit settings: 202, saved for the next start, listed as pending with why;
      the new port stays closed
  the route 4-6 -> sim2 applied and saved beside them: unit 5 answers the registers of the
      second device; <file>.previous holds the file before; the audit log names who and what
  SIGHUP with changes pending is refused; POST /api/v1/restart (403 for an operator or without
      the CSRF token) restarts the same process on the file: the new listener serves, nothing
      is pending, the audit log names who restarted and what it applied
  SIGHUP re-reads the saved file; a gateway started anew serves unit 5
"""
import os

import gwtest
from console_client import gateway_with_console, operator_session
from gwtest import Master, exception_of, read_holding, registers

with gwtest.Env(__doc__) as env:
    sim = env.simulator("--units", "1-3")
    sim2 = env.simulator("--units", "4-6", name="sim2")
    gw, port, cert, admin = gateway_with_console(
        env, [gwtest.serial_channel("sim", sim.link), gwtest.serial_channel("sim2", sim2.link)],
        [{"units": "1-3", "channel": "sim"}])

    status, _, j = admin.json("GET", "/api/v1/config")
    keys = {k["key"]: k for k in (j or {}).get("keys", [])}
    env.check(status == 200 and j["file"] == gw.config_path and j["editable"] is True and
              keys["routes"]["section"] == "lines" and keys["listeners"]["section"] == "services"
              and keys["audit"]["live"] is False,
              "GET /api/v1/config: the file, editable, each key's section (%s %s)" % (status, j))
    status, _, routes = admin.json("GET", "/api/v1/config/routes")
    env.check(status == 200 and routes == [{"units": "1-3", "channel": "sim"}],
              "GET /api/v1/config/routes: the running routes (%s %s)" % (status, routes))

    with Master(gw.port("modbus")) as m:
        env.check(exception_of(m.request(5, read_holding(0, 3))) is not None,
                  "before the change unit 5 has no route: an exception")

    wrong = routes + [{"units": "4-6", "channel": "nosuch"}]
    status, _, j = admin.json("PUT", "/api/v1/config/routes", wrong)
    env.check(status == 422 and j["path"] == "routes[1].channel" and "nosuch" in j["error"],
              "a route to an unknown channel: 422 naming routes[1].channel (%s %s)" % (status, j))
    right = routes + [{"units": "4-6", "channel": "sim2"}]
    status, _, _ = admin.request("PUT", "/api/v1/config/routes", right, token=False)
    env.check(status == 403, "without the CSRF token: 403 (%s)" % status)
    status, _, j = admin.json("PUT", "/api/v1/config/routes", {"units": "4-6"})
    env.check(status == 422 and j["path"].startswith("routes"),
              "a value of the wrong shape: 422 (%s %s)" % (status, j))

    listeners = admin.json("GET", "/api/v1/config/listeners")[2]
    op = operator_session(admin)
    status, _, j = op.json("PUT", "/api/v1/config/listeners", listeners)
    env.check(status == 403 and "services" in j["error"],
              "an operator may not change the listeners: 403 naming services (%s %s)" % (status, j))

    # ---- a save that fails undoes the live change (the .previous name is taken by a directory)
    before = open(gw.config_path).read()
    os.mkdir(gw.config_path + ".previous")
    status, _, j = admin.json("PUT", "/api/v1/config/routes", right)
    env.check(status == 500 and "undone" in j["error"],
              "a failed save: 500, the change undone (%s %s)" % (status, j))
    with Master(gw.port("modbus")) as m:
        env.check(exception_of(m.request(5, read_holding(0, 3))) is not None,
                  "after the failed save unit 5 has no route again")
    env.check(open(gw.config_path).read() == before, "the file is unchanged")
    os.rmdir(gw.config_path + ".previous")

    # ---- what applies at start only is saved, pending until a restart
    second_port = gwtest.free_port()
    more = listeners + [dict(listeners[0], name="second", port=second_port)]
    status, _, j = admin.json("PUT", "/api/v1/config/listeners", more)
    env.check(status == 202 and j["applied"] is False and "second" in j["restart_required"],
              "a new listener: 202, saved for the next start (%s %s)" % (status, j))
    env.check(gwtest.refused(second_port), "the new listener's port is not open yet")
    audit_settings = admin.json("GET", "/api/v1/config/audit")[2]
    status, _, j = admin.json("PUT", "/api/v1/config/audit", dict(audit_settings, warn_percent=70))
    env.check(status == 202 and "start" in j["restart_required"],
              "audit settings: 202, saved for the next start (%s %s)" % (status, j))
    status, _, j = admin.json("GET", "/api/v1/config")
    pending = {p["key"]: p["why"] for p in (j or {}).get("pending_restart", [])}
    env.check(set(pending) == {"listeners", "audit"} and "second" in pending["listeners"],
              "GET /api/v1/config lists both as pending a restart, with why (%s)" % j)
    status, _, j = admin.json("GET", "/api/v1/config/listeners")
    env.check(status == 200 and [l["name"] for l in j] == ["modbus", "second"],
              "GET /api/v1/config/listeners: what the file holds (%s)" % j)

    # ---- the change
    status, _, j = admin.json("PUT", "/api/v1/config/routes", right)
    env.check(status == 200 and j["changed"] is True and j["applied"] is True and
              j["file"] == gw.config_path,
              "the route 4-6 -> sim2 is applied and saved beside the pending changes (%s %s)"
              % (status, j))
    with Master(gw.port("modbus")) as m:
        values = registers(m.request(5, read_holding(0, 3)))
    env.check(values is not None, "at once a real read of unit 5 is answered by sim2 (%s)" % values)
    env.check(any(u == 5 for u, _, _ in sim2.wait_requests(1)), "sim2 received the read of unit 5")
    saved = open(gw.config_path).read()
    env.check(saved.startswith("// Saved by gw_gateway's console") and "for admin" in saved[:200],
              "the file says who saved it")
    env.check('"second"' in open(gw.config_path + ".previous").read(),
              "the previous file (with the pending changes) is kept")
    env.check('"second"' in saved and '"warn_percent": 70' in saved,
              "the pending changes stay in the file")
    status, _, j = admin.json("PUT", "/api/v1/config/routes", right)
    env.check(status == 200 and j["changed"] is False, "the same routes again: unchanged (%s)" % j)
    status, _, j = admin.json("GET", "/api/v1/audit?limit=50")
    changed = [r for r in (j or {}).get("records", []) if r.get("type") == "setting_changed"]
    details = [r.get("detail", "") for r in reversed(changed)]  # newest first: in order
    env.check(len(changed) == 3 and "key=listeners by=admin applies=at_restart" in details[0] and
              "key=audit by=admin applies=at_restart" in details[1] and
              "key=routes by=admin" in details[2],
              "the audit log names each key, who changed it and what waits (%s)" % details)

    # ---- a SIGHUP cannot take the pending changes: refused, what runs unchanged
    verdict = gw.reload(saved)
    env.check("restart to apply" in verdict, "SIGHUP with changes pending: refused (%s)" % verdict)

    # ---- the console's restart runs the file: the same process, the new listener open
    status, _, j = op.json("POST", "/api/v1/restart")
    env.check(status == 403, "the restart needs write on services: the operator's 403 (%s)" % status)
    status, _, j = admin.json("POST", "/api/v1/restart", token=False)
    env.check(status == 403, "the restart without the CSRF token: 403 (%s)" % status)
    pid = gw.pid
    status, _, j = admin.json("POST", "/api/v1/restart")
    env.check(status == 202 and j["restarting"] is True, "POST /api/v1/restart: 202 (%s %s)"
              % (status, j))
    gw.out.wait(r"^gw_gateway: ready$", after=1, what="ready again after the restart")
    env.check(gw.poll() is None and gw.pid == pid, "the gateway restarted in the same process")
    with Master(second_port) as m:
        env.check(registers(m.request(5, read_holding(0, 3))) is not None,
                  "after the restart the new listener serves unit 5")
    admin.login("admin", "long enough passphrase")
    status, _, j = admin.json("GET", "/api/v1/config")
    env.check(status == 200 and j["pending_restart"] == [],
              "after the restart nothing is pending (%s)" % j)
    status, _, j = admin.json("GET", "/api/v1/audit?limit=100")
    restarts = [r for r in (j or {}).get("records", []) if r.get("type") == "setting_changed" and
                "key=restart" in r.get("detail", "")]
    env.check(len(restarts) == 1 and "applies=listeners,audit" in restarts[0]["detail"],
              "the audit log names who restarted and what it applied (%s)" % restarts)

    # ---- the saved file is what runs
    verdict = gw.reload(saved)
    env.check(verdict == "notice: configuration reloaded", "SIGHUP re-reads the saved file (%s)"
              % verdict)
    with Master(gw.port("modbus")) as m:
        env.check(registers(m.request(5, read_holding(0, 3))) is not None,
                  "after the reload unit 5 is still served")
    gw.stop()
    again = gwtest.Gateway(env, "gw-restarted", gw.config_path).ready()
    again.wait_channel_up("sim2")
    with Master(again.port("modbus")) as m:
        env.check(registers(m.request(5, read_holding(0, 3))) is not None,
                  "a restarted gateway runs the saved routes: unit 5 served")
