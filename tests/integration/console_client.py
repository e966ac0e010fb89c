"""An HTTPS client of the management console's API for the integration tests: verified against
the console's certificate, carrying the session cookie and the CSRF token as a browser would."""
import http.client
import json
import os
import socket
import ssl

import gwtest


class Console:
    def __init__(self, port, cafile, source="127.0.0.1"):
        self.port = port
        self.source = source
        self.cafile = cafile
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.cookie = None
        self.token = None

    def request(self, method, path, body=None, headers=None, cookie=True, token=True):
        h = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        if cookie and self.cookie:
            h.setdefault("Cookie", "__Host-gw_session=" + self.cookie)
        if token and self.token and method != "GET":
            h.setdefault("X-CSRF-Token", self.token)
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx,
                                        timeout=gwtest.WAIT_S, source_address=(self.source, 0))
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            text = r.read()
            return r.status, dict(r.getheaders()), text
        finally:
            c.close()

    def json(self, method, path, body=None, **kw):
        status, headers, text = self.request(method, path, body, **kw)
        try:
            return status, headers, json.loads(text) if text else None
        except ValueError:
            return status, headers, None

    def login(self, name, password):
        status, headers, j = self.json("POST", "/api/v1/login", {"name": name,
                                                                 "password": password})
        if status == 200:
            cookie = headers.get("Set-Cookie", "")
            self.cookie = cookie.split(";")[0].split("=", 1)[1]
            self.token = j["csrf_token"]
        return status, headers, j

    def first_administrator(self, name, password):
        """Creates the first administrator (from loopback) and logs in as it."""
        status, _, j = self.json("POST", "/api/v1/setup", {"name": name, "password": password})
        if status != 201:
            raise gwtest.Failure("setup: %s %s" % (status, j))
        status, _, j = self.login(name, password)
        if status != 200:
            raise gwtest.Failure("login: %s %s" % (status, j))


def gateway_with_console(env, channels, routes, management=None):
    """gw_gateway with a console on a free port (and the `management` keys given) and one
    modbus_tcp listener "modbus"; the first administrator "admin" logged in. Returns (gateway,
    console port, its certificate, admin)."""
    port = gwtest.free_port()
    gw = env.gateway({"channels": channels, "listeners": [gwtest.tcp_listener("modbus")],
                      "routes": routes, "management": dict(management or {}, port=port)})
    gw.log.wait(r"management console on https://127\.0\.0\.1:%d/" % port, what="the console")
    cert = os.path.join(env.dir, gw.name + ".state", "mgmt", "console.crt")
    admin = Console(port, cert)
    admin.first_administrator("admin", "long enough passphrase")
    return gw, port, cert, admin


OPERATOR_PASSWORD = "a fresh operator phrase"


def operator_session(admin, name="op", role="operator"):
    """An account of `role` made by `admin` (so it must change its first password), logged in
    with its own password OPERATOR_PASSWORD. Returns its Console."""
    first = "operator passphrase 1"
    status, _, j = admin.json("POST", "/api/v1/accounts", {"name": name, "role": role,
                                                           "password": first})
    if status != 201:
        raise gwtest.Failure("creating operator %s: %s %s" % (name, status, j))
    op = Console(admin.port, admin.cafile)
    op.login(name, first)
    status, _, j = op.json("POST", "/api/v1/password", {"current": first, "new": OPERATOR_PASSWORD})
    if status != 204:
        raise gwtest.Failure("operator %s's password change: %s %s" % (name, status, j))
    return op


class TrafficStream:
    """An EventSource of /api/v1/traffic/stream, read by hand."""

    def __init__(self, port, cafile, cookie, query="", last_id=None):
        ctx = ssl.create_default_context(cafile=cafile)
        raw = socket.create_connection(("127.0.0.1", port), timeout=gwtest.WAIT_S)
        self.sock = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        head = ("GET /api/v1/traffic/stream%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Accept: text/event-stream\r\n" % query)
        if cookie:
            head += "Cookie: __Host-gw_session=%s\r\n" % cookie
        if last_id is not None:
            head += "Last-Event-ID: %s\r\n" % last_id
        self.sock.sendall((head + "\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        header, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
        self.headers = {k.strip().lower(): v.strip() for k, _, v in
                        (l.partition(":") for l in lines[1:])}

    def event(self):
        """The next data event as (id, object), or None when the stream ends."""
        while True:
            while b"\n\n" not in self.buf:
                try:
                    chunk = self.sock.recv(4096)
                except (ssl.SSLError, OSError):
                    chunk = b""
                if not chunk:
                    return None
                self.buf += chunk
            block, _, self.buf = self.buf.partition(b"\n\n")
            fields = {}
            for line in block.decode().split("\n"):
                if line.startswith(":") or ":" not in line:
                    continue
                k, _, v = line.partition(":")
                fields[k] = v.lstrip(" ")
            if "data" in fields:
                return int(fields.get("id", "-1")), json.loads(fields["data"])

    def close(self):
        self.sock.close()
