"""Shared machinery of the gw integration tests: real programs on virtual serial lines (pty pairs)
and loopback TCP.

Every test script builds an Env from its command line (--gateway, --simulator, --modbus-script),
starts what it needs through it (gateway, gw_simulator, socat, pymodbus peers) and calls
env.check(...) for each assertion. Children are always stopped when the Env closes, and they die
with the test script even if it is killed (PR_SET_PDEATHSIG).

Synchronisation is on events only: a line in a log, a file appearing, a reply on a socket. Every
wait has a bound (WAIT_S); a wait that runs out is a failure that names what it waited for.
"""

import argparse
import copy
import ctypes
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time
import traceback
import tty

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"  # the interpreter with pymodbus 3.0 (not the first python3 on PATH)
WAIT_S = 15.0  # the bound of every wait for an event; generous: 2 cores are shared
POLL_S = 0.01  # how often a file is looked at again while waiting for a line in it


class Failure(Exception):
    """A wait ran out or a precondition broke: the test cannot go on."""


# --------------------------------------------------------------------------------------------
# Modbus encoding

def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def rtu_frame(unit, pdu):
    body = bytes([unit]) + bytes(pdu)
    return body + struct.pack("<H", crc16(body))


def read_holding(address, count):
    return struct.pack(">BHH", 3, address, count)


def read_input(address, count):
    return struct.pack(">BHH", 4, address, count)


def read_coils(address, count):
    return struct.pack(">BHH", 1, address, count)


def write_register(address, value):
    return struct.pack(">BHH", 6, address, value)


def write_coil(address, on):
    return struct.pack(">BHH", 5, address, 0xFF00 if on else 0)


def write_registers(address, values):
    return struct.pack(">BHHB", 16, address, len(values), 2 * len(values)) + b"".join(
        struct.pack(">H", v) for v in values)


def registers(pdu):
    """The values of a FC 3/4 answer, or None for anything else (an exception)."""
    if len(pdu) < 2 or pdu[0] & 0x80 or len(pdu) != 2 + pdu[1] or pdu[1] % 2:
        return None
    return [struct.unpack_from(">H", pdu, 2 + 2 * i)[0] for i in range(pdu[1] // 2)]


def exception_of(pdu):
    """The exception code of an exception answer, or None."""
    return pdu[1] if len(pdu) == 2 and pdu[0] & 0x80 else None


def is_exception(pdu, function, code):
    return bytes(pdu) == bytes([function | 0x80, code])


# --------------------------------------------------------------------------------------------
# Sockets

def recv_mbap(sock):
    """One whole MBAP ADU from a stream socket (plain or TLS), or None if it closed first."""
    data = b""
    while len(data) < 7 or len(data) < 6 + int.from_bytes(data[4:6], "big"):
        chunk = sock.recv(260)
        if not chunk:
            return None
        data += chunk
    return data


def refused(port, host="127.0.0.1"):
    """Whether a TCP connection to host:port is refused (nothing listens there)."""
    try:
        with socket.create_connection((host, port), timeout=WAIT_S):
            return False
    except ConnectionRefusedError:
        return True


def free_port():
    """A port nobody listens on right now (the kernel's pick for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


class Master:
    """A Modbus TCP master on a raw socket: exact bytes, chosen transaction ids, pipelining,
    and a source address of choice (127.0.0.2, ...) so that the gateway sees distinct hosts."""

    def __init__(self, port, source=None, host="127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if source:
            self.sock.bind((source, 0))
        self.sock.settimeout(WAIT_S)
        self.sock.connect((host, port))
        self.next_tid = 1

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def adu(tid, unit, pdu):
        return struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + bytes(pdu)

    def send(self, requests):
        """requests: [(tid, unit, pdu), ...], written with one send (pipelined)."""
        self.sock.sendall(b"".join(self.adu(*r) for r in requests))

    def recv(self):
        """The next answer: (tid, unit, pdu). Raises on EOF or after WAIT_S."""
        tid, proto, length, unit = struct.unpack(">HHHB", _recv_exact(self.sock, 7))
        if proto != 0 or length < 2:
            raise Failure("bad MBAP header from the gateway: proto %d length %d" % (proto, length))
        return tid, unit, _recv_exact(self.sock, length - 1)

    def recv_many(self, n):
        return [self.recv() for _ in range(n)]

    def request(self, unit, pdu):
        """One request, its answer's PDU (the transaction id is checked)."""
        tid = self.next_tid
        self.next_tid = (self.next_tid + 1) & 0xFFFF
        self.send([(tid, unit, pdu)])
        rtid, runit, answer = self.recv()
        if rtid != tid or runit != unit:
            raise Failure("answer tid %d unit %d to request tid %d unit %d" % (rtid, runit, tid, unit))
        return answer

    def wait_closed(self):
        """True when the gateway closes the connection (EOF or reset) within WAIT_S; bytes
        received meanwhile are discarded."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.sock], [], [], deadline - time.monotonic())
            if not ready:
                break
            try:
                if not self.sock.recv(4096):
                    return True
            except (ConnectionResetError, BrokenPipeError):
                return True
        return False


# --------------------------------------------------------------------------------------------
# Files written by other processes

class LogFile:
    """A file another process appends to; waits for lines matching a pattern."""

    def __init__(self, path, proc=None):
        self.path = path
        self.proc = proc

    def text(self):
        try:
            with open(self.path, "r", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def complete_lines(self):
        """The text up to its last line break: a line the writer is still appending to is left
        out, or a pattern ending in `$` would match its first half."""
        text = self.text()
        return text[:text.rfind("\n") + 1]

    def matches(self, pattern, finished=False):
        return list(re.finditer(pattern, self.text() if finished else self.complete_lines(), re.M))

    def count(self, pattern):
        return len(self.matches(pattern))

    def settled_count(self, pattern, expected):
        """The number of matches once at least `expected` are there (or WAIT_S passed): the gateway
        writes its log on a worker thread, so a line can land just after the event it reports."""
        try:
            self.wait(pattern, after=expected - 1)
        except Failure:
            pass
        return self.count(pattern)

    def wait(self, pattern, after=0, what=None):
        """Waits until the file holds more than `after` matches of `pattern`; returns the last."""
        deadline = time.monotonic() + WAIT_S
        while True:
            found = self.matches(pattern)
            if len(found) > after:
                return found[-1]
            if self.proc is not None and self.proc.poll() is not None:
                # One last look: the line may have been written just before the exit.
                found = self.matches(pattern, finished=True)
                if len(found) > after:
                    return found[-1]
                raise Failure("%s exited (%s) before %s appeared in %s" %
                              (self.proc.name, self.proc.returncode, what or repr(pattern), self.path))
            if time.monotonic() > deadline:
                raise Failure("no %s in %s after %.0f s" % (what or repr(pattern), self.path, WAIT_S))
            time.sleep(POLL_S)


def wait_for_path(path, exists=True, proc=None):
    deadline = time.monotonic() + WAIT_S
    while os.path.lexists(path) != exists:
        if proc is not None and proc.poll() is not None:
            raise Failure("%s exited while waiting for %s to %s" %
                          (proc.name, path, "appear" if exists else "vanish"))
        if time.monotonic() > deadline:
            raise Failure("%s did not %s within %.0f s" % (path, "appear" if exists else "vanish", WAIT_S))
        time.sleep(POLL_S)


# --------------------------------------------------------------------------------------------
# Child processes

_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    _libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: no orphans if the test is killed


class Proc:
    """A child process with stdout and stderr in files of the test's directory."""

    def __init__(self, env, name, argv, stdin=None):
        self.env = env
        self.name = name
        self.argv = [str(a) for a in argv]
        self.out = LogFile(os.path.join(env.dir, name + ".out"))
        self.err = LogFile(os.path.join(env.dir, name + ".err"))
        # Its own state directory (gw_gateway's audit store is locked by one process at a time).
        child_env = dict(os.environ, STATE_DIRECTORY=os.path.join(env.dir, name + ".state"))
        with open(self.out.path, "ab") as out, open(self.err.path, "ab") as err:
            self.popen = subprocess.Popen(self.argv, stdout=out, stderr=err, env=child_env,
                                          stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                          preexec_fn=_die_with_parent)
        self.out.proc = self
        self.err.proc = self
        env.procs.append(self)

    @property
    def pid(self):
        return self.popen.pid

    @property
    def returncode(self):
        return self.popen.returncode

    def poll(self):
        return self.popen.poll()

    def signal(self, sig):
        if self.popen.poll() is None:
            self.popen.send_signal(sig)

    def wait(self):
        """Waits for the exit (bounded); returns the exit code."""
        try:
            return self.popen.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            raise Failure("%s did not exit within %.0f s" % (self.name, WAIT_S))

    def stop(self):
        """SIGTERM, then SIGKILL if it does not exit within the bound. Returns the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


class Simulator(Proc):
    """gw_simulator serving a pty it creates, linked at `link`; verbose, so that every request
    it receives is a line "unit U fc F: ..." in its stderr (the bus as the device saw it)."""

    def __init__(self, env, name, link, args):
        super().__init__(env, name, [env.simulator_bin, "--pty-link", link, "--verbose", *args])
        self.link = link
        # The start-up line is printed once the pty and its link exist.
        self.banner = self.out.wait(r"^gw_simulator: .*$", what="the simulator's start-up line").group(0)

    REQUEST = r"^gw_simulator: unit (\d+) fc (\d+): (.*)$"

    def requests(self):
        """[(unit, fc, outcome), ...] in the order the device received them."""
        return [(int(m.group(1)), int(m.group(2)), m.group(3)) for m in self.err.matches(self.REQUEST)]

    def wait_requests(self, n):
        """Waits until the device has received at least n requests."""
        self.err.wait(self.REQUEST, after=n - 1, what="request %d at the simulator" % n)
        return self.requests()


class Gateway(Proc):
    """gw_gateway running a configuration file, with a status file."""

    def __init__(self, env, name, config_path, extra_args=()):
        self.config_path = config_path
        self.status_path = os.path.join(env.dir, name + ".status.json")
        super().__init__(env, name, [env.gateway_bin, "-c", config_path, "--status-file",
                                     self.status_path, *extra_args])
        self.log = self.err
        self.ports = {}

    def ready(self):
        self.out.wait(r"^gw_gateway: ready$", what="'gw_gateway: ready'")
        for m in self.log.matches(r"notice: listener (\S+) on (\S+):(\d+)"):
            self.ports[m.group(1)] = int(m.group(3))
        return self

    def port(self, listener):
        return self.ports[listener]

    def wait_channel_up(self, channel, after=0):
        return self.log.wait(r"notice: channel %s up: " % re.escape(channel), after=after,
                             what="channel %s up" % channel)

    STATUS = r"notice: status (\{.*\})$"

    def status(self):
        """Counters now: SIGUSR1, then the status line in the log, then the status file holding
        the same JSON (it is written right after the line)."""
        before = self.log.count(self.STATUS)
        self.signal(signal.SIGUSR1)
        text = self.log.wait(self.STATUS, after=before, what="a status line after SIGUSR1").group(1)
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                with open(self.status_path) as f:
                    if f.read().strip() == text:
                        break
            except FileNotFoundError:
                pass
            if time.monotonic() > deadline:
                raise Failure("status file %s never held the logged status" % self.status_path)
            time.sleep(POLL_S)
        return json.loads(text)

    def channel(self, name, status=None):
        status = status or self.status()
        return next(c for c in status["channels"] if c["name"] == name)

    def listener(self, name, status=None):
        status = status or self.status()
        return next(l for l in status["listeners"] if l["name"] == name)

    def wait_status(self, predicate, what):
        """Asks for the counters until predicate(status) holds (bounded); returns that status."""
        deadline = time.monotonic() + WAIT_S
        while True:
            status = self.status()
            if predicate(status):
                return status
            if time.monotonic() > deadline:
                raise Failure("status never showed %s; last: %s" % (what, json.dumps(status)))
            time.sleep(POLL_S)

    RELOAD = r"(notice: configuration reloaded|error: reload refused.*)$"

    def reload(self, config):
        """Replaces the configuration file (dict: JSON; str: raw text), sends SIGHUP and returns
        the gateway's verdict line."""
        before = self.log.count(self.RELOAD)
        write_atomically(self.config_path, config if isinstance(config, str) else json.dumps(config, indent=1))
        self.signal(signal.SIGHUP)
        return self.log.wait(self.RELOAD, after=before, what="the reload verdict").group(1)


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


class SerialEnd:
    """The test's own end of a virtual serial line (the other end of a socat pair)."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(self.fd)
        attrs = termios.tcgetattr(self.fd)
        attrs[2] |= termios.CLOCAL | termios.CREAD
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
        self.buffer = b""

    def close(self):
        os.close(self.fd)

    def write(self, data):
        view = memoryview(bytes(data))
        while view:
            select.select([], [self.fd], [], WAIT_S)
            n = os.write(self.fd, view)
            view = view[n:]

    def read_some(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure("nothing more on the serial line within %.0f s (have %s)" %
                          (WAIT_S, self.buffer.hex()))
        ready, _, _ = select.select([self.fd], [], [], left)
        if ready:
            try:
                self.buffer += os.read(self.fd, 512)
            except BlockingIOError:
                pass


def request_frame_size(buf):
    """The size of the RTU request frame at the start of buf, or None if more bytes are needed."""
    if len(buf) < 2:
        return None
    fc = buf[1]
    if fc in (1, 2, 3, 4, 5, 6):
        return 8
    if fc in (15, 16):
        return 9 + buf[6] if len(buf) >= 7 else None
    raise Failure("the test device does not know function %d (frame %s)" % (fc, buf.hex()))


class HeldDevice(SerialEnd):
    """A Modbus RTU slave played by the test itself on a socat pty: it reads each request frame
    and answers only when the test says so. With it, "the device is busy" lasts exactly as long
    as the test wants, so queueing, priority, fairness and coalescing are observed without
    relying on any delay. Holding registers answer holding[i] = i, like gw_simulator."""

    def read_request(self):
        """(unit, pdu) of the next request on the line (waits, bounded)."""
        deadline = time.monotonic() + WAIT_S
        while True:
            size = request_frame_size(self.buffer)
            if size is not None and len(self.buffer) >= size:
                frame, self.buffer = self.buffer[:size], self.buffer[size:]
                if crc16(frame[:-2]) != struct.unpack("<H", frame[-2:])[0]:
                    raise Failure("bad CRC in request %s" % frame.hex())
                return frame[0], frame[1:-2]
            self.read_some(deadline)

    def reply(self, unit, pdu):
        self.write(rtu_frame(unit, pdu))

    @staticmethod
    def answer_for(pdu):
        """What a device with holding[i] = i answers (reads of FC 3; writes are echoed)."""
        fc = pdu[0]
        if fc == 3:
            address, count = struct.unpack(">HH", pdu[1:5])
            return bytes([3, 2 * count]) + b"".join(struct.pack(">H", (address + i) & 0xFFFF)
                                                    for i in range(count))
        if fc in (5, 6):
            return bytes(pdu)
        if fc in (15, 16):
            return bytes(pdu[:5])
        raise Failure("the test device cannot answer %s" % bytes(pdu).hex())

    def serve_one(self):
        """Reads one request and answers it normally; returns (unit, pdu) of the request."""
        unit, pdu = self.read_request()
        self.reply(unit, self.answer_for(pdu))
        return unit, pdu


# --------------------------------------------------------------------------------------------
# The environment of one test script

class Env:
    def __init__(self, description):
        parser = argparse.ArgumentParser(description=description)
        parser.add_argument("--gateway", required=True, help="the gw_gateway program")
        parser.add_argument("--simulator", required=True, help="the gw_simulator program")
        parser.add_argument("--modbus-script", default="",
                            help="gw_modbus_script (libmodbus client); empty: skip its checks")
        parser.add_argument("--custom-gateway", default="",
                            help="examples/custom_gateway (for the script that tests it)")
        parser.add_argument("--device-server", default="",
                            help="gw_device_server (for the device server's script)")
        parser.add_argument("--keep", action="store_true", help="keep the work directory")
        self.args = parser.parse_args()
        self.custom_gateway_bin = self.args.custom_gateway
        self.device_server_bin = self.args.device_server
        self.gateway_bin = self.args.gateway
        self.simulator_bin = self.args.simulator
        self.modbus_script_bin = self.args.modbus_script
        self.dir = tempfile.mkdtemp(prefix="gw-integ-")
        # Every gw_gateway keeps its state (the audit store) under the test's directory, never
        # in the machine's /var/lib/gw: tests run in parallel. Proc gives each process its own.
        os.environ["STATE_DIRECTORY"] = os.path.join(self.dir, "state")
        self.procs = []
        self.failures = []
        self.passed = 0
        self._names = {}

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        crashed = kind is not None and kind is not SystemExit
        if crashed:
            self.failures.append("%s: %s" % (kind.__name__, value))
            traceback.print_exception(kind, value, tb)
        for p in reversed(self.procs):
            p.stop()
        # Programs built with sanitizers report to stderr; such a report fails the test.
        for p in self.procs:
            report = re.search(r"ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error: ", p.err.text())
            if report:
                self.failures.append("%s: sanitizer report in %s" % (p.name, p.err.path))
        if self.failures or crashed:
            self.dump_logs()
        if not self.args.keep and not (self.failures and os.environ.get("GW_INTEG_KEEP")):
            for root, dirs, files in os.walk(self.dir, topdown=False):
                for f in files:
                    os.unlink(os.path.join(root, f))
                for d in dirs:
                    os.rmdir(os.path.join(root, d))
            os.rmdir(self.dir)
        else:
            print("work directory kept: " + self.dir)
        if self.failures:
            print("%d check(s) failed:" % len(self.failures))
            for f in self.failures:
                print("  " + f)
            sys.exit(1)
        print("all %d checks passed" % self.passed)
        sys.exit(0)

    def dump_logs(self):
        for p in self.procs:
            for log in (p.out, p.err):
                text = log.text()
                if text:
                    lines = text.splitlines()
                    print("---- %s (%s), last %d of %d lines" %
                          (p.name, os.path.basename(log.path), min(80, len(lines)), len(lines)))
                    print("\n".join(lines[-80:]))

    def check(self, condition, what):
        print(("ok   " if condition else "FAIL ") + what, flush=True)
        if condition:
            self.passed += 1
        else:
            self.failures.append(what)
        return condition

    def unique(self, base):
        n = self._names.get(base, 0)
        self._names[base] = n + 1
        return base if n == 0 else "%s%d" % (base, n + 1)

    def path(self, name):
        return os.path.join(self.dir, name)

    # -- peers -----------------------------------------------------------------------------------
    def simulator(self, *args, name="sim", link=None):
        name = self.unique(name)
        return Simulator(self, name, link or self.path(name + ".tty"), [str(a) for a in args])

    def pty_pair(self, name="line"):
        """A virtual serial line: two linked paths, whatever is written to one is read from the
        other. Returns (a, b)."""
        name = self.unique(name)
        a, b = self.path(name + ".a"), self.path(name + ".b")
        p = Proc(self, "socat-" + name, ["socat", "-d", "-d", "pty,raw,echo=0,link=" + a,
                                         "pty,raw,echo=0,link=" + b])
        p.err.wait(r"starting data transfer loop", what="socat's start")
        wait_for_path(a, proc=p)
        wait_for_path(b, proc=p)
        return a, b

    def held_device(self, name="held"):
        """A serial line whose far end the test plays (HeldDevice). Returns (path for the
        gateway, device)."""
        a, b = self.pty_pair(name)
        return a, HeldDevice(b)

    def pymodbus_rtu_slave(self, device, unit, name="pymodbus-rtu"):
        p = Proc(self, self.unique(name), [PYTHON, os.path.join(HERE, "pymodbus_peers.py"), "rtu-slave",
                                           "--device", device, "--unit", unit])
        p.out.wait(r"^ready", what="pymodbus RTU slave ready")
        return p

    def pymodbus_tcp_server(self, unit, framer="socket", name="pymodbus-tcp"):
        p = Proc(self, self.unique(name), [PYTHON, os.path.join(HERE, "pymodbus_peers.py"), "tcp-server",
                                           "--unit", unit, "--framer", framer])
        m = p.out.wait(r"^ready on port (\d+)", what="pymodbus TCP server ready")
        return p, int(m.group(1))

    # -- the gateway -----------------------------------------------------------------------------
    def gateway(self, config, name="gw", wait_up=None, extra_args=()):
        """Starts gw_gateway on `config` (a dict; TCP listeners without "port" get a free one)
        and waits until it is ready and its channels (`wait_up`, default all) are up."""
        name = self.unique(name)
        config = json.loads(json.dumps(config))
        for attempt in range(3):
            for l in config["listeners"]:
                if l.get("protocol") != "rtu_serial" and ("port" not in l or attempt > 0 and l.get("_auto")):
                    l["port"] = free_port()
                    l["_auto"] = True
            path = self.path(name + ".json")
            write_atomically(path, json.dumps(strip_private(copy.deepcopy(config)), indent=1))
            gw = Gateway(self, name if attempt == 0 else "%s-retry%d" % (name, attempt), path, extra_args)
            try:
                gw.ready()
                break
            except Failure:
                # Another program may have taken a port between free_port() and the bind.
                if gw.poll() is not None and "in use" in gw.log.text() and attempt < 2:
                    continue
                raise
        for ch in (config["channels"] if wait_up is None else [{"name": n} for n in wait_up]):
            gw.wait_channel_up(ch["name"])
        gw.config = strip_private(copy.deepcopy(config))
        return gw

    # -- the libmodbus client --------------------------------------------------------------------
    def modbus_script(self, *args):
        """Runs gw_modbus_script; returns its output lines, or None if it is not available."""
        if not self.modbus_script_bin:
            return None
        r = subprocess.run([self.modbus_script_bin, *[str(a) for a in args]], capture_output=True,
                           text=True, timeout=WAIT_S * 2)
        if r.returncode not in (0, 1):
            raise Failure("gw_modbus_script %s: exit %d: %s" % (" ".join(map(str, args)), r.returncode, r.stderr))
        return r.stdout.splitlines()


def strip_private(config):
    for l in config["listeners"]:
        l.pop("_auto", None)
    return config


def serial_channel(name, device, **options):
    """A serial channel on a virtual line (a pty has no parity: ask for none)."""
    ch = {"name": name, "type": "serial", "device": device, "baud": 115200, "parity": "none"}
    ch.update(options)
    return ch


def tcp_listener(name, **options):
    l = {"name": name, "protocol": "modbus_tcp", "address": "127.0.0.1"}
    l.update(options)
    return l
