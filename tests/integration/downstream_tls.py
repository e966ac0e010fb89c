#!/usr/bin/python3
"""Channels to downstream Modbus/TCP Security devices: gw as the TLS client. The device is a
second gw_gateway with a modbus_tls listener in front of a simulator (a real mutual TLS server
that reads the client's role), the PKI tests/tls/make_pki.sh's.

  operator certificate: a master's reads and writes through the gateway reach the device; the
      device logs the gateway's identity (subject and role); the channel's link is "tls ..."
  viewer certificate: the device answers its write with exception 01, which reaches the master
  the device's certificate from another CA, or for another name: the channel stays down with
      the reason in the log, masters get exception 0x0B
  no client certificate: the device refuses the handshake (audited there as
      tls_no_certificate), the channel stays down
  a certificate file that is not there: a start error naming the channel
"""
import json
import os
import subprocess

import gwtest
from gwtest import Master, read_holding, registers, write_register, is_exception

HERE = os.path.dirname(os.path.abspath(__file__))

with gwtest.Env(__doc__) as env:
    pki = env.path("pki")
    subprocess.run(["sh", os.path.join(HERE, "..", "tls", "make_pki.sh"), pki], check=True,
                   capture_output=True)
    p = lambda f: os.path.join(pki, f)
    sim = env.simulator("--units", "1")
    device = env.gateway({
        "channels": [gwtest.serial_channel("sim", sim.link)],
        "listeners": [{"name": "secure", "protocol": "modbus_tls", "address": "127.0.0.1",
                       "tls": {"certificate": p("server.crt"), "private_key": p("server.key"),
                               "ca": p("ca.crt")}}],
        "routes": [{"units": 1, "channel": "sim"}],
        "authorization": {"roles": {"operator": [{"functions": [3, 6], "access": "read_write"}],
                                    "viewer": [{"functions": [3, 6], "access": "read"}]}},
        "log": {"level": "info"},
    }, name="device")
    device_port = device.port("secure")

    def gateway(name, tls, wait=True):
        return env.gateway({
            "channels": [{"name": "plc", "type": "tcp", "host": "127.0.0.1", "port": device_port,
                          "tls": tls, "response_timeout_ms": 2000, "connect_timeout_ms": 2000,
                          "reopen_backoff_ms": [200, 1000]}],
            "listeners": [gwtest.tcp_listener("modbus")],
            "routes": [{"units": 1, "channel": "plc"}],
        }, name=name, wait_up=None if wait else [])

    operator = {"ca": p("ca.crt"), "certificate": p("operator.crt"), "private_key": p("operator.key"),
                "server_name": "localhost"}
    gw = gateway("gw", operator)
    with Master(gw.port("modbus")) as m:
        env.check(not is_exception(m.request(1, write_register(3, 4321)), 6, 1),
                  "operator: a write through the TLS channel is done")
        env.check(registers(m.request(1, read_holding(3, 1))) == [4321],
                  "operator: and read back through it")
    device.log.wait(r"authenticated: subject 'operator', role 'operator'",
                    what="the device's record of the gateway's identity")
    env.check(gw.channel("plc")["link"] == "tls 127.0.0.1:%d" % device_port,
              "the channel's link is 'tls 127.0.0.1:%d' (%s)" % (device_port, gw.channel("plc")["link"]))
    gw.stop()

    viewer = dict(operator, certificate=p("viewer.crt"), private_key=p("viewer.key"))
    gw = gateway("gw-viewer", viewer)
    with Master(gw.port("modbus")) as m:
        env.check(registers(m.request(1, read_holding(3, 1))) == [4321], "viewer: reads")
        env.check(is_exception(m.request(1, write_register(3, 1)), 6, 1),
                  "viewer: the device's exception 01 for its write reaches the master")
    gw.stop()

    refusals = [
        ("other CA", dict(operator, ca=p("other_ca.crt")), r"channel plc down: tls .*handshake: the device's certificate is from an unknown CA"),
        ("wrong name", dict(operator, server_name="plc9.example"),
         r"channel plc down: tls .*handshake: the device's certificate is not for 'plc9\.example'"),
        # TLS 1.3: the client's handshake ends before the device checks its certificate; the
        # device's alert arrives with the first read.
        ("no client certificate", {"ca": p("ca.crt"), "server_name": "localhost"},
         r"channel plc down: tls .*: read: the device requires a client certificate"),
    ]
    for what, tls, pattern in refusals:
        gw = gateway("gw-" + what.replace(" ", "-"), tls, wait=False)
        line = gw.log.wait(pattern, what="the channel's failure (%s)" % what).group(0)
        print("  log: %s" % line)
        with Master(gw.port("modbus")) as m:
            env.check(is_exception(m.request(1, read_holding(0, 1)), 3, 0x0B),
                      "%s: the channel is down, a master gets 0x0B" % what)
        gw.stop()
    device.log.wait(r"connection_refused source=0 peer=127\.0\.0\.1:\d+ reason=tls_no_certificate",
                    what="the device's audit of the gateway without a certificate")

    # A certificate file that is not there: a start error, not a channel that never comes up.
    bad = dict(operator, certificate=p("missing.crt"))
    path = env.path("bad.json")
    gwtest.write_atomically(path, json.dumps({
        "channels": [{"name": "plc", "type": "tcp", "host": "127.0.0.1", "port": device_port,
                      "tls": bad}],
        "listeners": [gwtest.tcp_listener("modbus", port=gwtest.free_port())],
        "routes": [{"units": 1, "channel": "plc"}]}))
    proc = gwtest.Proc(env, "gw-bad", [env.gateway_bin, "--config", path])
    env.check(proc.wait() == 1, "a missing certificate file: the gateway does not start (exit 1)")
    env.check("channel 'plc': tls:" in proc.err.text(), "the error names the channel (%s)"
              % proc.err.text().strip()[-200:])
