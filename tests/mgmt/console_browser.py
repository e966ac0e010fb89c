#!/usr/bin/env python3
"""The console page in headless Chromium against a stand-in of the /api/v1 contract.

Until gw's console server runs it, the page is served here with the console's
Content-Security-Policy by a small Python model of the API (the contract the console is
written against, not gw's implementation): first-run setup, login
failures and lock-out, forced password change, the views, account and session actions, a
reload, logout, and a session ended behind the page's back. Any CSP violation or uncaught
script error fails the test; server data containing markup must show as text.

Usage: console_browser.py <dir of index.html, console.js, console.css>
Exits 77 (skipped) without python3-selenium, chromium or chromium-driver.
"""

import json
import os
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
ASSETS = {"/": ("index.html", "text/html; charset=utf-8"),
          "/index.html": ("index.html", "text/html; charset=utf-8"),
          "/console.js": ("console.js", "text/javascript; charset=utf-8"),
          "/console.css": ("console.css", "text/css; charset=utf-8")}
# The rights the real API gives each built-in role (gw/mgmt/api_extension.hpp).
RIGHTS = {
    "administrator": {k: "write" for k in
                      ("status", "audit", "monitor", "lines", "services", "security", "accounts")},
    "operator": {"status": "read", "audit": "read", "monitor": "read", "lines": "write",
                 "services": "read", "security": "read", "accounts": "none"},
}


class Model:
    def __init__(self):
        self.accounts = {}  # name -> {name, role, password, must_change_password, last_login}
        self.sessions = {}  # id -> {account, role, csrf, created}
        self.status_requests = 0
        self.lock = threading.Lock()


def make_handler(asset_dir, model):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status, body=None, headers=()):
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def body(self):
            n = int(self.headers.get("Content-Length", 0))
            return json.loads(self.rfile.read(n) or b"{}")

        def session(self):
            for part in self.headers.get("Cookie", "").split(";"):
                k, _, v = part.strip().partition("=")
                if k == "gw_session" and v in model.sessions:
                    return model.sessions[v], v
            return None, None

        def do_GET(self):
            self.route("GET")

        def do_POST(self):
            self.route("POST")

        def do_DELETE(self):
            self.route("DELETE")

        def route(self, method):
            with model.lock:
                self.route_locked(method)

        def route_locked(self, m):
            url = urlparse(self.path)
            p = url.path
            if m == "GET" and p in ASSETS:
                name, content_type = ASSETS[p]
                with open(os.path.join(asset_dir, name), "rb") as f:
                    data = f.read()
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Security-Policy", CSP)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if p == "/favicon.ico":
                return self.reply(204)
            accounts, sessions = model.accounts, model.sessions
            if p == "/api/v1/setup":
                if m == "GET":
                    return self.reply(200, {"needed": not accounts,
                                            "login_message": "Authorised use only. <b>x</b>"})
                if accounts:
                    return self.reply(409, {"error": "an administrator exists"})
                b = self.body()
                if len(b["password"]) < 12:
                    return self.reply(422, {"error": "password shorter than 12 characters"})
                accounts[b["name"]] = {"name": b["name"], "role": "administrator",
                                       "password": b["password"],
                                       "must_change_password": False, "last_login": None}
                return self.reply(201, {"account": b["name"]})
            if p == "/api/v1/login" and m == "POST":
                b = self.body()
                if b["name"] == "locked":
                    return self.reply(429, {"error": "Too many failed logins.",
                                            "retry_after_s": 30})
                a = accounts.get(b["name"])
                if not a or a["password"] != b["password"]:
                    return self.reply(401, {"error": "Wrong name or password."})
                sid, csrf = secrets.token_hex(16), secrets.token_hex(16)
                sessions[sid] = {"account": a["name"], "role": a["role"], "csrf": csrf,
                                 "created": time.time()}
                a["last_login"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                return self.reply(
                    200, {"account": a["name"], "role": a["role"], "rights": RIGHTS[a["role"]],
                          "csrf_token": csrf,
                          "must_change_password": a["must_change_password"],
                          "password_expires_in_days": 5},
                    [("Set-Cookie", f"gw_session={sid}; HttpOnly; Path=/; SameSite=Strict")])
            s, sid = self.session()
            if not s:
                return self.reply(401, {"error": "not logged in"})
            if m != "GET" and self.headers.get("X-CSRF-Token") != s["csrf"]:
                return self.reply(403, {"error": "CSRF token missing or wrong"})
            if m != "GET" and self.headers.get("Content-Length", "0") != "0" and \
                    self.headers.get("Content-Type") != "application/json":
                return self.reply(400, {"error": "body not JSON"})
            a = accounts[s["account"]]
            if p == "/api/v1/session":
                return self.reply(200, {"account": s["account"], "role": s["role"],
                                        "rights": RIGHTS[s["role"]], "csrf_token": s["csrf"],
                                        "must_change_password": a["must_change_password"]})
            if p == "/api/v1/logout" and m == "POST":
                del sessions[sid]
                return self.reply(204)
            if p == "/api/v1/password" and m == "POST":
                b = self.body()
                if b["current"] != a["password"]:
                    return self.reply(422, {"error": "current password wrong"})
                a["password"], a["must_change_password"] = b["new"], False
                return self.reply(204)
            if p == "/api/v1/dashboard":
                return self.reply(200, {"checks": [
                    {"id": "tls", "title": "Console over TLS", "passed": True,
                     "detail": "self-signed", "fix": ""},
                    {"id": "pw", "title": "<img src=x> default password", "passed": False,
                     "detail": "admin uses a default", "fix": "Change it."}]})
            if p == "/api/v1/status":
                model.status_requests += 1
                return self.reply(200, {
                    "version": "0.9", "requests_served": model.status_requests,
                    "channels": [{"name": "rtu0", "requests": 12, "nested": {"x": 1}}],
                    "listeners": [{"name": "tcp502", "accepted": 3}],
                    "audit": {"written": 10, "dropped": 0}})
            if p == "/api/v1/audit":
                q = parse_qs(url.query)
                records = [{"seq": i, "time": f"2026-12-02T15:0{i}:00Z", "category": "security",
                            "severity": "warning" if i % 2 else "info", "type": "login_failed",
                            "source": "console", "peer": "127.0.0.1", "identity": "x",
                            "outcome": "failure", "detail": "d"} for i in range(1, 6)]
                severity = q.get("severity", [""])[0]
                if severity:
                    records = [r for r in records if r["severity"] == severity]
                return self.reply(200, {"records": records})
            if s["role"] != "administrator":
                return self.reply(403, {"error": "administrators only"})
            if p == "/api/v1/accounts":
                if m == "GET":
                    return self.reply(200, {"accounts": [
                        {k: v for k, v in x.items() if k != "password"}
                        for x in accounts.values()]})
                b = self.body()
                if b["name"] in accounts:
                    return self.reply(409, {"error": "account exists"})
                accounts[b["name"]] = {"name": b["name"], "role": b["role"],
                                       "password": b["password"],
                                       "must_change_password": True, "last_login": None}
                return self.reply(201, {"account": b["name"]})
            if p.startswith("/api/v1/accounts/"):
                rest = p[len("/api/v1/accounts/"):]
                if rest.endswith("/unlock") and m == "POST" and rest[:-7] in accounts:
                    return self.reply(204)
                if m == "DELETE" and rest in accounts:
                    del accounts[rest]
                    return self.reply(204)
                return self.reply(404, {"error": "no such account"})
            if p == "/api/v1/sessions":
                return self.reply(200, {"sessions": [
                    {"id_prefix": k[:8], "account": v["account"], "role": v["role"],
                     "source": "127.0.0.1", "created_s_ago": int(time.time() - v["created"]),
                     "idle_s": 0} for k, v in sessions.items()]})
            if p.startswith("/api/v1/sessions/") and m == "DELETE":
                prefix = p.rsplit("/", 1)[1]
                for k in list(sessions):
                    if k.startswith(prefix):
                        del sessions[k]
                        return self.reply(204)
                return self.reply(404, {"error": "no such session"})
            self.reply(404, {"error": "not found"})

    return Handler


def main():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC
        from selenium.webdriver.support.ui import Select, WebDriverWait
    except ImportError:
        print("no python3-selenium: skipped")
        return 77
    if not (os.access("/usr/bin/chromium", os.X_OK) and os.access("/usr/bin/chromedriver", os.X_OK)):
        print("no chromium and chromium-driver: skipped")
        return 77

    model = Model()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(sys.argv[1], model))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"

    options = Options()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu"):
        options.add_argument(a)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    wait = WebDriverWait(d, 15)

    def visible(i):
        return wait.until(EC.visibility_of_element_located((By.ID, i)))

    def has_text(i, t):
        wait.until(EC.text_to_be_present_in_element((By.ID, i), t))

    def type_into(i, t):
        e = visible(i)
        e.clear()
        e.send_keys(t)

    def click(i):
        d.find_element(By.ID, i).click()

    def rows(table, n):
        wait.until(lambda _: len(d.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")) == n)

    try:
        d.get(url)
        # First run: refusals are shown, then the administrator is created.
        visible("setup-form")
        type_into("setup-name", "admin")
        type_into("setup-password", "short")
        type_into("setup-confirm", "short")
        click("setup-submit")
        has_text("setup-error", "shorter than 12")
        type_into("setup-password", "correct horse battery")
        type_into("setup-confirm", "correct horse battery!")
        click("setup-submit")
        has_text("setup-error", "do not match")
        type_into("setup-confirm", "correct horse battery")
        click("setup-submit")
        visible("login-form")
        has_text("notice", "Administrator admin created")
        assert "<b>x</b>" in d.find_element(By.ID, "login-message").text  # text, not markup
        assert d.find_element(By.ID, "login-name").get_attribute("value") == "admin"

        # Login failures as the server words them; lock-out with its delay.
        type_into("login-password", "wrong")
        click("login-submit")
        has_text("login-error", "Wrong name or password.")
        type_into("login-name", "locked")
        type_into("login-password", "x")
        click("login-submit")
        has_text("login-error", "Try again in 30 s.")
        type_into("login-name", "admin")
        type_into("login-password", "correct horse battery")
        click("login-submit")
        visible("main")
        has_text("whoami", "admin (administrator)")
        has_text("notice", "expires in 5 days")

        rows("dashboard-table", 2)
        assert "<img src=x>" in d.find_element(By.ID, "dashboard-table").text
        assert not d.find_elements(By.CSS_SELECTOR, "#dashboard-table img")
        assert d.find_elements(By.CSS_SELECTOR, "#dashboard-table .badge.fail")

        # Status: generic tables and pairs, refreshed by itself while shown.
        click("nav-status")
        wait.until(lambda _: d.find_elements(By.CSS_SELECTOR, "#status-channels tbody tr"))
        text = d.find_element(By.ID, "status-view").text
        assert all(s in text for s in ("rtu0", "tcp502", "audit.written", "version")), text
        seen = model.status_requests
        wait.until(lambda _: model.status_requests >= seen + 2)
        has_text("status-view", str(seen + 1))

        click("nav-audit")
        rows("audit-table", 5)
        assert d.find_element(By.CSS_SELECTOR, "#audit-table tbody td").text == "5"  # newest first
        Select(d.find_element(By.ID, "audit-severity")).select_by_visible_text("warning")
        rows("audit-table", 3)
        assert d.find_element(By.ID, "audit-export").get_attribute("download") == "gw-audit.json"

        click("nav-accounts")
        rows("accounts-table", 1)
        type_into("account-name", "oper")
        type_into("account-password", "initial password 1")
        click("account-submit")
        rows("accounts-table", 2)
        type_into("account-name", "oper")
        type_into("account-password", "x")
        click("account-submit")
        has_text("account-error", "account exists")
        d.find_element(By.CSS_SELECTOR, 'button.account-unlock[data-account="oper"]').click()
        has_text("notice", "oper unlocked.")
        type_into("account-name", "oper2")
        type_into("account-password", "initial password 2")
        click("account-submit")
        rows("accounts-table", 3)
        d.find_element(By.CSS_SELECTOR, 'button.account-delete[data-account="oper2"]').click()
        wait.until(EC.alert_is_present()).accept()
        rows("accounts-table", 2)

        click("nav-sessions")
        rows("sessions-table", 1)

        # A reload keeps the session (cookie, and the CSRF token in sessionStorage).
        d.refresh()
        visible("main")
        has_text("whoami", "admin")
        click("nav-accounts")
        rows("accounts-table", 2)
        d.find_element(By.CSS_SELECTOR, 'button.account-unlock[data-account="oper"]').click()
        has_text("notice", "oper unlocked.")  # a POST after reload: the token was kept

        click("logout")
        visible("login-form")
        has_text("notice", "Logged out.")

        # An account that must change its password sees only that form, then the main view
        # without the administrator's sections.
        type_into("login-name", "oper")
        type_into("login-password", "initial password 1")
        click("login-submit")
        visible("password-form")
        assert not d.find_element(By.ID, "main").is_displayed()
        type_into("password-current", "nope")
        type_into("password-new", "new password 123")
        type_into("password-confirm", "new password 123")
        click("password-submit")
        has_text("password-error", "current password wrong")
        type_into("password-current", "initial password 1")
        click("password-submit")
        visible("main")
        has_text("whoami", "oper (operator)")
        assert not d.find_element(By.ID, "nav-accounts").is_displayed()
        assert not d.find_element(By.ID, "nav-sessions").is_displayed()

        # The session ends behind the page's back: the next request's 401 leads to the login.
        click("nav-status")
        wait.until(lambda _: d.find_elements(By.CSS_SELECTOR, "#status-channels tbody tr"))
        with model.lock:
            model.sessions.clear()
        visible("login-form")
        has_text("notice", "Your session has ended")

        errors = [entry["message"] for entry in d.get_log("browser")
                  if "Content Security Policy" in entry["message"]
                  or "Uncaught" in entry["message"]]
        assert not errors, errors
        print("console in Chromium: every step as expected")
        return 0
    finally:
        d.quit()
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
