#!/usr/bin/python3
"""The real console page of gw_gateway in headless Chromium, end to end, as a new user meets it.

  1. first run: the setup form; a common password is refused with the server's words, then
     the administrator "admin" is created
  2. the login page shows management.login_message; admin logs in: the main view, #whoami
  3. the dashboard lists its criteria (the self-signed console certificate fails), the status
     view the channel table, the audit log view login_succeeded and account_created
  3d. configuration: admin edits the routes in the Configuration view; a route to a channel
     that does not exist is refused with its JSON path shown, then the route 4-6 -> sim2 is
     applied and a real Modbus read of unit 5 through the gateway is answered by sim2
  3f. the traffic monitor filtered to unit 5 shows the frames of a master's reads of units 5
     and 1 as they update: only unit 5's, newest first, the bytes as on the line
  3g. the Certificate view shows the self-signed ECC P-256 certificate and the import form
  4. accounts: admin adds the operator "op" with an initial password, logs out
  5. op logs in: the forced password change, then the main view without Accounts (and the
     accounts API answers the page 403)
  6. three wrong passwords for op, then the right one: the lockout message (HTTP 429). These
     tries come from another loopback address (127.0.0.5, through a relay in this script):
     the gateway locks the source address as well as the account, and a locked 127.0.0.1
     would lock the administrator out of step 7 too
  7. admin logs in, unlocks op in Accounts, logs out; op logs in (the relay's source stays
     locked)
  8. logout: the login page, and the old session cookie gets 401 on GET /api/v1/status

A PNG screenshot after each step goes to --screenshots (default: the test's work directory,
kept with --keep). Waits are Selenium's WebDriverWait on DOM conditions; HTTP statuses are
read from Chromium's performance log. Any CSP violation or uncaught script error fails.
Exits 77 (skipped) without python3-selenium, /usr/bin/chromium or /usr/bin/chromedriver.
"""
import argparse
import http.client
import json
import os
import socket
import ssl
import sys
import threading

import gwtest

MAX_FAILURES = 3
LOGIN_MESSAGE = "Authorised use only: every action is recorded."
ADMIN_PASSWORD = "violet ledger canyon 42"
OP_INITIAL = "operator start phrase 1"
OP_PASSWORD = "a fresh operator phrase 7"
ATTACKER = "127.0.0.5"

# Our own option; the rest of the command line is gwtest.Env's.
_pre = argparse.ArgumentParser(add_help=False)
_pre.add_argument("--screenshots", default="")
_own, _rest = _pre.parse_known_args()
sys.argv = sys.argv[:1] + _rest

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    if os.path.realpath(sys.executable) != os.path.realpath(gwtest.PYTHON) and \
            os.access(gwtest.PYTHON, os.X_OK) and "GW_CONSOLE_BROWSER_REEXEC" not in os.environ:
        # Debian's python3-selenium is in /usr/bin/python3, maybe not in the first python3.
        os.environ["GW_CONSOLE_BROWSER_REEXEC"] = "1"
        argv = [gwtest.PYTHON, os.path.abspath(__file__), *sys.argv[1:]]
        if _own.screenshots:
            argv += ["--screenshots", _own.screenshots]
        os.execv(gwtest.PYTHON, argv)
    print("no python3-selenium: skipped")
    sys.exit(77)
for tool in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
    if not os.access(tool, os.X_OK):
        print("no %s: skipped" % tool)
        sys.exit(77)


class Relay:
    """A TCP relay on 127.0.0.1 whose connections to the console leave from another loopback
    address: a second client machine for the browser (TLS passes through untouched)."""

    def __init__(self, target_port, source):
        self.target_port = target_port
        self.source = source
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port),
                                                    timeout=gwtest.WAIT_S,
                                                    source_address=(self.source, 0))
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.sock.close()


with gwtest.Env(__doc__) as env:
    shots = os.path.abspath(_own.screenshots or env.dir)
    os.makedirs(shots, exist_ok=True)
    sim = env.simulator("--units", "1-3")
    sim2 = env.simulator("--units", "4-6", name="sim2")
    port = gwtest.free_port()
    config = {
        "channels": [gwtest.serial_channel("sim", sim.link), gwtest.serial_channel("sim2", sim2.link)],
        "listeners": [gwtest.tcp_listener("modbus")],
        "routes": [{"units": "1-3", "channel": "sim"}],
        "management": {"port": port, "login_message": LOGIN_MESSAGE,
                       "lockout": {"max_failures": MAX_FAILURES, "window_s": 600,
                                   "lockout_s": 600},
                       "password_policy": {"min_length": 12}},
    }
    gw = env.gateway(config)
    gw.log.wait(r"management console on https://127\.0\.0\.1:%d/" % port,
                what="the management console's start")
    cert = os.path.join(env.dir, gw.name + ".state", "mgmt", "console.crt")
    url = "https://127.0.0.1:%d/" % port
    relay = Relay(port, ATTACKER)
    relay_url = "https://127.0.0.1:%d/" % relay.port

    options = Options()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors",
              "--window-size=1280,900"):
        options.add_argument(a)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    wait = WebDriverWait(d, gwtest.WAIT_S)
    responses = []  # (path, status) of every answer the page got, in order
    browser_errors = []

    def drain():
        for entry in d.get_log("performance"):
            m = json.loads(entry["message"])["message"]
            if m.get("method") == "Network.responseReceived":
                r = m["params"]["response"]
                path = "/" + r["url"].split("/", 3)[3] if r["url"].count("/") >= 3 else r["url"]
                responses.append((path, r["status"]))
        for entry in d.get_log("browser"):
            if "Content Security Policy" in entry["message"] or "Uncaught" in entry["message"]:
                browser_errors.append(entry["message"])

    def statuses(path):
        drain()
        return [s for p, s in responses if p == path]

    def until(condition, what):
        """Waits for a DOM condition; False (and a failed check) if it does not come."""
        try:
            wait.until(condition)
            return True
        except TimeoutException:
            env.check(False, "waited %.0f s for %s" % (gwtest.WAIT_S, what))
            return False

    def must(condition, what):
        """A condition the rest of the test needs: a failure ends the test."""
        if not until(condition, what):
            shot("failed")
            raise gwtest.Failure("the page never showed " + what)

    def shown(i):
        return EC.visibility_of_element_located((By.ID, i))

    def text_in(i, t):
        return EC.text_to_be_present_in_element((By.ID, i), t)

    def text(i):
        return d.find_element(By.ID, i).text

    def displayed(i):
        return d.find_element(By.ID, i).is_displayed()

    def type_into(i, t):
        e = wait.until(shown(i))
        e.clear()
        e.send_keys(t)

    def click(i):
        d.find_element(By.ID, i).click()

    def answered(path, n):
        """The page has had n answers to `path`, and its submit buttons are enabled again."""
        return lambda _: len(statuses(path)) >= n and not d.find_elements(
            By.CSS_SELECTOR, "button[type=submit]:disabled")

    def shot(name):
        path = os.path.join(shots, "%s.png" % name)
        d.save_screenshot(path)
        print("     screenshot " + path)

    def login(name, password):
        n = len(statuses("/api/v1/login"))
        type_into("login-name", name)
        type_into("login-password", password)
        click("login-submit")
        until(answered("/api/v1/login", n + 1), "the answer to %s's login" % name)
        return statuses("/api/v1/login")[-1]

    def logout():
        click("logout")
        must(shown("login-form"), "the login form after logout")
        until(text_in("notice", "Logged out."), "the notice 'Logged out.'")

    def page_fetch(path):
        """The HTTP status of a GET from inside the page (its cookie, its origin)."""
        return d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0], {credentials: 'same-origin', cache: 'no-store'})"
            ".then(r => done(r.status), e => done(String(e)));", path)

    def status_with_cookie(cookie):
        c = http.client.HTTPSConnection("127.0.0.1", port, timeout=gwtest.WAIT_S,
                                        context=ssl.create_default_context(cafile=cert))
        try:
            c.request("GET", "/api/v1/status", headers={"Cookie": "__Host-gw_session=" + cookie})
            r = c.getresponse()
            r.read()
            return r.status
        finally:
            c.close()

    try:
        # ---- 1. first run
        d.get(url)
        must(shown("setup-form"), "the first-run form")
        env.check(not displayed("login-view") and not displayed("main"),
                  "first run: only the setup form is shown")
        type_into("setup-name", "admin")
        type_into("setup-password", "password1234")
        type_into("setup-confirm", "password1234")
        click("setup-submit")
        if until(shown("setup-error"), "the setup error") and \
                until(answered("/api/v1/setup", 2), "the answer to the setup"):
            env.check("common" in text("setup-error") and statuses("/api/v1/setup")[-1:] == [422],
                      "setup refuses the common 'password1234', the server's words shown: %r (%s)"
                      % (text("setup-error"), statuses("/api/v1/setup")))
        shot("01-setup-common-password-refused")
        type_into("setup-password", ADMIN_PASSWORD)
        type_into("setup-confirm", ADMIN_PASSWORD)
        click("setup-submit")
        must(shown("login-form"), "the login form after setup")
        env.check(statuses("/api/v1/setup")[-1:] == [201], "the administrator is created (201)")
        until(text_in("notice", "Administrator admin created"), "the notice of the new admin")

        # ---- 2. login
        env.check(displayed("login-message") and text("login-message") == LOGIN_MESSAGE,
                  "the login page shows the login message: %r" % text("login-message"))
        shot("02-login-page")
        status = login("admin", ADMIN_PASSWORD)
        env.check(status == 200, "admin logs in (%s)" % status)
        must(shown("main"), "the main view after admin's login")
        until(text_in("whoami", "admin (administrator)"), "#whoami: admin (administrator)")
        env.check(text("whoami") == "admin (administrator)", "#whoami: %r" % text("whoami"))
        env.check(displayed("nav-accounts") and displayed("nav-sessions"),
                  "the administrator sees Accounts and Sessions")

        # ---- 3. dashboard, status, audit log
        rows = "#dashboard-table tbody tr"
        until(lambda _: len(d.find_elements(By.CSS_SELECTOR, rows)) > 3, "the dashboard's criteria")
        criteria = {r.find_elements(By.TAG_NAME, "td")[0].text: r.find_elements(By.TAG_NAME, "td")[1].text
                    for r in d.find_elements(By.CSS_SELECTOR, rows)
                    if len(r.find_elements(By.TAG_NAME, "td")) >= 2}
        env.check(criteria.get("Console certificate") == "fail",
                  "dashboard: 'Console certificate' (self-signed) fails (%s)" % criteria)
        env.check(criteria.get("Login failure lockout") == "pass" and
                  criteria.get("Password policy") == "pass",
                  "dashboard: lockout and password policy pass")
        shot("03a-dashboard")
        click("nav-status")
        if until(lambda _: d.find_elements(By.CSS_SELECTOR, "#status-channels tbody tr"),
                 "the status view's channel table"):
            env.check("sim" in text("status-channels"),
                      "status: the channel table lists channel sim")
        shot("03b-status")
        click("nav-audit")
        if until(lambda _: all(t in text("audit-table")
                               for t in ("login_succeeded", "account_created")),
                 "login_succeeded and account_created in the audit log"):
            env.check(True, "audit log view: login_succeeded and account_created")
        shot("03c-audit-log")

        # ---- 3d. configuration: a route edited in the page reaches a real Modbus read
        with gwtest.Master(gw.port("modbus")) as m:
            env.check(gwtest.exception_of(m.request(5, gwtest.read_holding(0, 3))) is not None,
                      "before the edit unit 5 has no route: an exception")
        click("nav-config")
        must(lambda _: [o.text for o in Select(d.find_element(By.ID, "config-key")).options][:2]
             == ["channels", "routes"], "the configuration's keys")
        Select(d.find_element(By.ID, "config-key")).select_by_visible_text("routes")
        must(lambda _: '"1-3"' in d.find_element(By.ID, "config-value").get_attribute("value"),
             "the running routes in the editor")
        n = len(statuses("/api/v1/config/routes"))
        route = '[{"units": "1-3", "channel": "sim"}, {"units": "4-6", "channel": "%s"}]'
        type_into("config-value", route % "nosuch")
        click("config-save")
        if until(shown("config-error"), "the refusal of a route to an unknown channel"):
            env.check("routes[1].channel" in text("config-error") and
                      422 in statuses("/api/v1/config/routes")[n:],
                      "the page shows the refused value's path: %r" % text("config-error"))
        shot("03d-config-refused")
        type_into("config-value", route % "sim2")
        click("config-save")
        until(text_in("notice", "routes applied and saved"), "the notice 'routes applied and saved'")
        with gwtest.Master(gw.port("modbus")) as m:
            values = gwtest.registers(m.request(5, gwtest.read_holding(0, 3)))
        env.check(values is not None and any(u == 5 for u, _, _ in sim2.wait_requests(1)),
                  "after the edit a real read of unit 5 is answered by sim2 (%s)" % values)
        shot("03e-config-route-applied")

        # ---- 3f. the live traffic monitor: frames appear as a master reads
        click("nav-traffic")
        must(text_in("traffic-table", "No traffic yet."), "the traffic monitor's empty table")
        type_into("traffic-unit", "5")
        click("traffic-apply")
        must(text_in("traffic-count", "0 frames"), "the filtered monitor")
        with gwtest.Master(gw.port("modbus")) as m:
            for i in range(3):
                m.request(5, gwtest.read_holding(i, 1))
                m.request(1, gwtest.read_holding(i, 1))
        request = gwtest.rtu_frame(5, gwtest.read_holding(2, 1)).hex()
        spaced = " ".join(request[i:i + 2] for i in range(0, len(request), 2))
        if until(text_in("traffic-table", spaced), "the last unit-5 request in the monitor"):
            rows = [[td.text for td in r.find_elements(By.TAG_NAME, "td")]
                    for r in d.find_elements(By.CSS_SELECTOR, "#traffic-table tbody tr")]
            env.check(len(rows) == 6 and all(r[3] == "5" for r in rows) and
                      [r[2] for r in rows[:2]] == ["from device", "to device"] and
                      rows[1][5] == spaced and rows[0][1] == "sim2",
                      "the monitor shows the unit-5 frames only, newest first, as on the wire: %s"
                      % rows)
        shot("03f-traffic-monitor")

        # ---- 3g. the certificate view: what the console serves, and the import form
        click("nav-certificate")
        if until(text_in("certificate-table", "ECC 256"), "the certificate's key in its view"):
            env.check("self-signed" in text("certificate-table") and displayed("certificate-form"),
                      "the certificate view: self-signed ECC 256, the import form for admin")
        shot("03g-certificate")

        # ---- 4. accounts: add the operator
        click("nav-accounts")
        until(text_in("accounts-table", "admin"), "the accounts table")
        n = len(statuses("/api/v1/accounts"))
        type_into("account-name", "op")
        type_into("account-password", OP_INITIAL)
        click("account-submit")
        until(text_in("notice", "Account op added"), "the notice 'Account op added'")
        env.check(201 in statuses("/api/v1/accounts")[n:],
                  "the operator op is created (201)")
        until(lambda _: "op" in [r.find_elements(By.TAG_NAME, "td")[0].text
                                 for r in d.find_elements(By.CSS_SELECTOR, "#accounts-table tbody tr")],
              "op in the accounts table")
        shot("04-accounts-op-added")
        logout()

        # ---- 5. op: forced password change
        status = login("op", OP_INITIAL)
        env.check(status == 200, "op logs in with the initial password (%s)" % status)
        must(shown("password-form"), "the forced password change form")
        env.check(not displayed("main"), "before the change: no main view")
        shot("05a-forced-password-change")
        type_into("password-current", OP_INITIAL)
        type_into("password-new", OP_PASSWORD)
        type_into("password-confirm", OP_PASSWORD)
        click("password-submit")
        must(shown("main"), "the main view after the password change")
        env.check(statuses("/api/v1/password")[-1:] == [204], "the password change: 204")
        until(text_in("whoami", "op (operator)"), "#whoami: op (operator)")
        env.check(not displayed("nav-accounts") and not displayed("nav-sessions"),
                  "the operator sees neither Accounts nor Sessions")
        status = page_fetch("/api/v1/accounts")
        env.check(status == 403, "the accounts API refuses the operator's page (%s)" % status)
        shot("05b-operator-main")
        logout()

        # ---- 6. brute force from another source address: lockout
        d.get(relay_url)
        must(shown("login-form"), "the login form through the relay (source %s)" % ATTACKER)
        for i in range(MAX_FAILURES):
            status = login("op", "wrong guess %d" % i)
            env.check(status == 401 and "wrong name or password" in text("login-error"),
                      "wrong password %d for op: 401, %r" % (i + 1, text("login-error")))
        status = login("op", OP_PASSWORD)
        env.check(status == 429 and "Too many failed logins" in text("login-error") and
                  "Try again in" in text("login-error"),
                  "the 4th try, the right password: 429 and the lockout message %r (%s)"
                  % (text("login-error"), status))
        env.check(not displayed("main"), "the locked account does not get in")
        shot("06-locked-out")

        # ---- 7. admin unlocks op
        d.get(url)
        must(shown("login-form"), "the login form on 127.0.0.1")
        status = login("op", OP_PASSWORD)
        env.check(status == 429, "op is locked from 127.0.0.1 too (%s)" % status)
        status = login("admin", ADMIN_PASSWORD)
        env.check(status == 200, "admin logs in from 127.0.0.1, not locked (%s)" % status)
        must(shown("main"), "the main view for admin")
        click("nav-accounts")
        unlock = (By.CSS_SELECTOR, 'button.account-unlock[data-account="op"]')
        must(EC.element_to_be_clickable(unlock), "op's Unlock button")
        d.find_element(*unlock).click()
        until(text_in("notice", "op unlocked."), "the notice 'op unlocked.'")
        env.check(statuses("/api/v1/accounts/op/unlock")[-1:] == [204], "unlock: 204")
        shot("07a-op-unlocked")
        logout()
        status = login("op", OP_PASSWORD)
        env.check(status == 200, "after the unlock op logs in (%s)" % status)
        must(shown("main"), "op's main view after the unlock")
        until(text_in("whoami", "op (operator)"), "#whoami: op (operator)")
        shot("07b-op-logged-in")

        # ---- 8. logout ends the session
        cookies = {c["name"]: c for c in d.get_cookies()}
        cookie = cookies.get("__Host-gw_session", {})
        env.check(cookie.get("secure") and cookie.get("httpOnly") and
                  cookie.get("sameSite") == "Strict",
                  "the browser holds __Host-gw_session, Secure, HttpOnly, SameSite=Strict")
        old = cookie.get("value", "")
        env.check(old and status_with_cookie(old) == 200, "before logout the cookie is a session")
        logout()
        env.check(displayed("login-form") and not displayed("main"), "after logout: the login page")
        env.check("__Host-gw_session" not in {c["name"] for c in d.get_cookies()},
                  "the browser's session cookie is gone")
        status = status_with_cookie(old)
        env.check(status == 401, "GET /api/v1/status with the old cookie: 401 (%s)" % status)
        env.check(page_fetch("/api/v1/status") == 401, "the page's own GET /api/v1/status: 401")
        shot("08-logged-out")

        # The attacker's source stays locked after the account was unlocked.
        d.get(relay_url)
        must(shown("login-form"), "the login form through the relay")
        status = login("op", OP_PASSWORD)
        env.check(status == 429, "the relay's source %s stays locked (%s)" % (ATTACKER, status))

        drain()
        env.check(not browser_errors, "no CSP violation or uncaught script error %s" % browser_errors)
    except WebDriverException as e:
        env.check(False, "Chromium: %s" % e.msg)
        try:
            shot("failed")
        except WebDriverException:
            pass
    finally:
        d.quit()
        relay.close()
