#!/usr/bin/python3
"""The audit trail from the outside: what an attacker's refused connections, a write and the
gateway's own start and stop leave in the persistent store, read back with --audit-log; its
filters; --audit-verify on an intact store and on one whose file was edited (a record's byte
flipped), and the gateway's start on the edited store (tampering recorded, the evidence kept,
recording going on). One gateway per state directory: a second one is refused.

  listener "guarded": allowlist ["127.0.0.2"]; 127.0.0.1 connects 3 times and is refused each
      time; audit.reconnaissance.threshold 3: one reconnaissance_suspected event for 127.0.0.1
  listener "audited": audit_writes; a write single register (FC 6, address 7) is recorded as
      write_request with unit, function and address; a read is not
  unit 3 is silent on every second request: the gateway answers 0x0B (device_lost, once), then
      the unit answers again (device_recovered)
"""
import glob
import json
import os
import subprocess

import gwtest
from gwtest import Master, is_exception, read_holding, registers, write_register


def audit_log(env, state, *args):
    r = subprocess.run([env.gateway_bin, "--state-dir", state, "--audit-log", *args],
                       capture_output=True, text=True, timeout=gwtest.WAIT_S)
    return r.returncode, r.stdout, r.stderr


def records(env, state, *args):
    code, out, err = audit_log(env, state, "--format", "json", *args)
    if code != 0:
        raise gwtest.Failure("--audit-log %s: exit %d: %s" % (" ".join(args), code, err))
    return [json.loads(line) for line in out.splitlines()]


def verify(env, state):
    r = subprocess.run([env.gateway_bin, "--state-dir", state, "--audit-verify"],
                       capture_output=True, text=True, timeout=gwtest.WAIT_S)
    return r.returncode, r.stdout + r.stderr


def of_type(recs, t):
    return [r for r in recs if r["type"] == t]


with gwtest.Env(__doc__) as env:
    sim = env.simulator("--units", "1-3", "--fault", "silence", "--fault-unit", "3",
                        "--fault-every", "2")
    config = {
        "channels": [gwtest.serial_channel("sim", sim.link, response_timeout_ms=300)],
        "listeners": [gwtest.tcp_listener("guarded", allowlist=["127.0.0.2"]),
                      gwtest.tcp_listener("audited", audit_writes=True)],
        "routes": [{"units": "1-3", "channel": "sim"}],
        "audit": {"reconnaissance": {"threshold": 3, "window_s": 600}},
    }
    gw = env.gateway(config)
    state = os.path.join(env.dir, gw.name + ".state")

    # ---- an attacker's refused connections, a write and a read
    for _ in range(3):
        with Master(gw.port("guarded"), source="127.0.0.1") as m:
            env.check(m.wait_closed(), "127.0.0.1 is refused by the allowlist")
    with Master(gw.port("audited")) as m:
        env.check(m.request(1, write_register(7, 1234)) is not None, "the write is answered")
        env.check(registers(m.request(1, read_holding(7, 1))) == [1234], "the read sees it")
        # Unit 3: answered, silent (0x0B), answered: lost, then recovered.
        answers = [m.request(3, read_holding(0, 1)) for _ in range(4)]
        lost_at = next((i for i, a in enumerate(answers) if is_exception(a, 3, 0x0B)), None)
        env.check(lost_at is not None and lost_at + 1 < len(answers) and
                  registers(answers[lost_at + 1]) == [0],
                  "unit 3: a request answered 0x0B, the next one served")

    # ---- one gateway per state directory
    second = gwtest.Proc(env, "gw-second", [env.gateway_bin, "-c", env.path(gw.name + ".json"),
                                            "--state-dir", state])
    env.check(second.wait() == 1, "a second gateway on the same state directory exits 1")
    env.check(second.err.count(r"another gw_gateway uses the state directory") + 
              second.out.count(r"another gw_gateway uses the state directory") == 1,
              "... and says another gateway holds it")

    # ---- a reload cannot change the trail: refused (and recorded), never ignored
    changed = json.loads(json.dumps(gw.config))
    changed["audit"]["reconnaissance"]["threshold"] = 50
    verdict = gw.reload(changed)
    env.check("reload refused" in verdict and "audit settings changed" in verdict,
              "a reload changing audit is refused: %s" % verdict)

    # ---- read while the gateway runs, then after it stopped
    recs = records(env, state)
    env.check(len(of_type(recs, "connection_refused")) == 3,
              "running: --audit-log shows the 3 refusals")
    env.check(gw.stop() == 0, "the gateway stops cleanly")
    recs = records(env, state)
    seqs = [r["seq"] for r in recs]
    env.check(seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] >= 1,
              "sequence numbers strictly increase")
    env.check([r["type"] for r in recs[:2]] == ["started", "config_loaded"],
              "the trail begins with started, config_loaded")
    env.check(recs[-1]["type"] == "stopping", "and ends with stopping")
    refused = of_type(recs, "connection_refused")
    env.check(len(refused) == 3 and all(r["peer"] == "127.0.0.1" and r["reason"] == "not_in_allowlist"
                                        and r["source"] == "guarded" and r["category"] == "security"
                                        for r in refused),
              "3 connection_refused: peer 127.0.0.1, reason not_in_allowlist, source guarded")
    recon = of_type(recs, "reconnaissance_suspected")
    env.check(len(recon) == 1 and recon[0]["peer"] == "127.0.0.1" and recon[0]["repeats"] == 3,
              "one reconnaissance_suspected for 127.0.0.1 with the count 3")
    writes = of_type(recs, "write_request")
    env.check(len(writes) == 1 and writes[0]["function"] == 6 and writes[0]["unit"] == 1 and
              writes[0]["address"] == 7 and writes[0]["quantity"] == 1 and
              writes[0]["source"] == "audited",
              "one write_request: unit 1, FC 6, address 7 (the read is not recorded)")
    env.check(all(r["time"].endswith("Z") and "T" in r["time"] for r in recs), "RFC 3339 UTC times")
    device = [r for r in recs if r["type"] in ("device_lost", "device_recovered")]
    env.check([(r["type"], r["unit"], r["source"]) for r in device[:2]] ==
              [("device_lost", 3, "sim"), ("device_recovered", 3, "sim")],
              "device_lost, then device_recovered, for unit 3 on channel sim")
    loaded = of_type(recs, "config_loaded")[0]
    env.check(loaded.get("detail") == "1 channels, 2 listeners, 1 routes", "config_loaded's summary")
    rejected = of_type(recs, "config_rejected")
    env.check(len(rejected) == 1 and "audit settings changed" in rejected[0].get("detail", ""),
              "the refused reload is a config_rejected record saying why")

    # ---- filters and formats
    sec = records(env, state, "--category", "security")
    env.check(sec and all(r["category"] == "security" for r in sec) and len(sec) == 4,
              "--category security: the 3 refusals and the reconnaissance event")
    warn = records(env, state, "--severity", "warning")
    env.check(warn and all(r["severity"] in ("warning", "error") for r in warn),
              "--severity warning: warnings and errors only")
    later = records(env, state, "--since", str(refused[-1]["seq"]))
    env.check(later and later[0]["seq"] == refused[-1]["seq"], "--since SEQ starts there")
    env.check(records(env, state, "--since", "2999-01-01T00:00:00Z") == [], "--since a future time: none")
    code, text, _ = audit_log(env, state)
    env.check(code == 0 and " security connection_refused id=2 source=guarded peer=127.0.0.1:" in text,
              "the text format names type, id, source and peer")
    code, _, err = audit_log(env, state, "--since", "yesterday")
    env.check(code == 2 and "--since yesterday" in err, "a bad --since is a usage error")

    # ---- verification, and an edited record
    code, out = verify(env, state)
    env.check(code == 0 and "OK" in out, "--audit-verify: intact (%s)" % out.strip())
    segments = sorted(glob.glob(os.path.join(state, "audit", "segment-*.gwa")))
    env.check(len(segments) >= 1, "the store's segment files are in <state>/audit")
    with open(segments[-1], "r+b") as f:
        data = bytearray(f.read())
        at = data.find(b"not_in_allowlist")
        if at < 0:
            at = len(data) // 2  # no such text in the payload: flip a byte in the middle
        data[at] ^= 0x01
        f.seek(0)
        f.write(data)
    code, out = verify(env, state)
    env.check(code == 1 and "NOT INTACT" in out, "--audit-verify after an edit: not intact (%s)" % out.strip())

    gw2 = env.gateway(config, name="gw-after-edit", extra_args=("--state-dir", state))
    env.check(gw2.log.count(r"audit: the store in .* does not verify") == 1,
              "the gateway starts on the edited store and says it does not verify")
    env.check(gw2.stop() == 0, "it stops cleanly")
    code, out, _ = audit_log(env, state, "--format", "json")
    after = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    tamper = of_type(after, "audit_tampering_detected")
    env.check(len(tamper) == 1 and tamper[0]["category"] == "security" and tamper[0]["severity"] == "error",
              "audit_tampering_detected (security, error) is recorded in the new segment")
    env.check(glob.glob(os.path.join(state, "audit", "*")) != [], "the evidence is kept in <state>/audit")
