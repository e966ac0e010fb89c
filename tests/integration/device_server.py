#!/usr/bin/python3
"""gw_device_server from the outside: a serial line (a socat pty pair) on loopback TCP in the
NPort's TCP Server and RFC 2217 modes, with raw TCP clients and pyserial's rfc2217:// client.

  TCP server, two clients: what the line sends reaches both, byte for byte; what either sends
      reaches the line; a third client past --max-clients 2 is refused (closed, logged)
  a slow client (it never reads) with --when-full drop_oldest: the other client still receives
      all of 8 MiB from the line, in order; the slow one's oldest data is dropped and counted
  --when-full disconnect: the slow client is cut off (logged), the other receives everything
  --allow 127.0.0.2/32: a client from 127.0.0.1 is refused before a byte, one from 127.0.0.2 is
      served
  RFC 2217 with pyserial: the port opens at 57600 baud 8E1 and the line's termios says so;
      bytes 0xFF (Telnet IAC) pass both ways unescaped; a baud change to 115200 reaches termios
  TLS (a demo CA made with openssl): a verified TLS client exchanges data with the line; a
      plain TCP client on the TLS port is refused (handshake failed, logged)
  TLS authenticated (--tls-client-ca): openssl s_client with a certificate from the CA gets the
      line's data; a client without a certificate, or with one from another CA, is refused
"""
import hashlib
import os
import socket
import ssl
import subprocess
import termios
import threading
import time

import gwtest
from gwtest import Proc, SerialEnd


def device_server(env, name, line, *args):
    port = gwtest.free_port()
    p = Proc(env, name, [env.device_server_bin, "--device", line, "--port", str(port), *args])
    p.out.wait(r"^gw_device_server: ready$", what="%s ready" % name)
    p.port = port
    return p


def connect(port, source="127.0.0.1", rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((source, 0))
    s.settimeout(gwtest.WAIT_S)
    s.connect(("127.0.0.1", port))
    return s


def receive(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(min(65536, n - len(data)))
        if not chunk:
            break
        data += chunk
    return data


def line_receives(end, n):
    deadline = time.monotonic() + gwtest.WAIT_S
    while len(end.buffer) < n:
        end.read_some(deadline)
    data, end.buffer = end.buffer[:n], end.buffer[n:]
    return data


def refused(sock):
    """Whether the server closed this connection without a byte."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def flood(end, sock, size):
    """Writes `size` bytes to the line while reading them from `sock`; the digest of both."""
    payload = os.urandom(size)
    got = {}
    reader = threading.Thread(target=lambda: got.setdefault("data", receive(sock, size)))
    reader.start()
    end.write(payload)
    reader.join(timeout=60)
    return hashlib.sha256(payload).hexdigest(), hashlib.sha256(got.get("data", b"")).hexdigest()


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_pki(env, name):
    """A CA and a server (CN 127.0.0.1, IP SAN) and client certificate, EC P-256."""
    d = env.path(name)
    os.makedirs(d, exist_ok=True)
    ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=%s CA" % name)
    out = {"ca": ca}
    for who, ext in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "keyUsage=digitalSignature")):
        key, csr, crt = (os.path.join(d, who + x) for x in (".key", ".csr", ".crt"))
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key, "-out", csr, "-subj", "/CN=%s" % ("127.0.0.1" if who == "server" else who))
        extfile = os.path.join(d, who + ".ext")
        with open(extfile, "w") as f:
            f.write(ext + "\n")
        openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
                "-out", crt, "-days", "2", "-extfile", extfile)
        out[who] = (crt, key)
    return out


def tls_connect(port, ca, cert=None):
    ctx = ssl.create_default_context(cafile=ca)
    if cert:
        ctx.load_cert_chain(*cert)
    raw = socket.create_connection(("127.0.0.1", port), timeout=gwtest.WAIT_S)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def tls_refused(port, ca, cert=None):
    try:
        s = tls_connect(port, ca, cert)
        # TLS 1.3: the server's verdict on a client certificate comes after the handshake.
        data = s.recv(1)
        s.close()
        return data == b""
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return True


with gwtest.Env(__doc__) as env:
    if not env.device_server_bin:
        raise gwtest.Failure("--device-server is required")

    # ---- TCP server mode
    a, b = env.pty_pair("raw")
    end = SerialEnd(b)
    ds = device_server(env, "ds", a, "--max-clients", "2", "--client-backlog", "65536")
    c1, c2 = connect(ds.port), connect(ds.port, rcvbuf=4096)
    ds.err.wait(r"connected .*tcp_server", after=1, what="two clients connected")
    end.write(b"from the line \xff\x00")
    env.check(receive(c1, 16) == b"from the line \xff\x00" and
              receive(c2, 16) == b"from the line \xff\x00",
              "what the line sends reaches both clients, byte for byte")
    c1.sendall(b"one ")
    env.check(line_receives(end, 4) == b"one ", "the first client's bytes reach the line")
    c2.sendall(b"two\xff")
    env.check(line_receives(end, 4) == b"two\xff", "the second client's bytes reach the line")
    third = connect(ds.port)
    env.check(refused(third), "a third client past --max-clients 2 is refused")
    ds.err.wait(r"refused .*too many clients \(2\)", what="the refusal logged")

    # c2 never reads from here on: its backlog fills, c1 must still get everything.
    sent, got = flood(end, c1, 8 << 20)
    env.check(sent == got, "with a client that never reads, the other still receives all of "
              "8 MiB in order")
    ds.stop()
    m = ds.err.wait(r"dropped (\d+) bytes", what="the counters at stop")
    env.check(int(m.group(1)) > 0, "the slow client's oldest data was dropped and counted (%s)"
              % m.group(1))
    for s in (c1, c2, third):
        s.close()

    # ---- disconnect instead of dropping
    ds = device_server(env, "ds-disconnect", a, "--max-clients", "2", "--when-full", "disconnect",
                       "--client-backlog", "65536")
    fast, slow = connect(ds.port), connect(ds.port, rcvbuf=4096)
    ds.err.wait(r"connected .*tcp_server", after=1, what="two clients connected")
    sent, got = flood(end, fast, 8 << 20)
    env.check(sent == got, "--when-full disconnect: the fast client receives all of 8 MiB")
    ds.err.wait(r"disconnected .*backlog full", what="the slow client cut off")
    ds.stop()
    fast.close()
    slow.close()

    # ---- the allowlist
    ds = device_server(env, "ds-allow", a, "--allow", "127.0.0.2/32")
    outsider = connect(ds.port)
    env.check(refused(outsider), "a client from 127.0.0.1 outside --allow is refused")
    ds.err.wait(r"refused 127\.0\.0\.1:\d+: not in the allowlist", what="the refusal logged")
    insider = connect(ds.port, source="127.0.0.2")
    end.write(b"allowed")
    env.check(receive(insider, 7) == b"allowed", "a client from 127.0.0.2 is served")
    ds.stop()
    outsider.close()
    insider.close()

    # ---- RFC 2217 with pyserial
    import serial  # Debian python3-serial

    ds = device_server(env, "ds-rfc2217", a, "--mode", "rfc2217", "--baud", "9600")
    port = serial.serial_for_url("rfc2217://127.0.0.1:%d" % ds.port, baudrate=57600,
                                 parity=serial.PARITY_EVEN, timeout=gwtest.WAIT_S)
    line = os.open(a, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        attrs = termios.tcgetattr(line)
        env.check(attrs[4] == termios.B57600 and attrs[5] == termios.B57600,
                  "pyserial opened at 57600 baud: the line's termios says so (%s)" % attrs[4:6])
        port.write(b"\xff\xffiac\xff")
        env.check(line_receives(end, 6) == b"\xff\xffiac\xff",
                  "0xFF bytes from the client reach the line unescaped")
        end.write(b"\xffback\xff")
        env.check(port.read(6) == b"\xffback\xff", "0xFF bytes from the line reach the client")
        port.baudrate = 115200
        ds.err.wait(r"settings .*115200 baud", what="the baud change applied")
        attrs = termios.tcgetattr(line)
        env.check(attrs[4] == termios.B115200, "a baud change to 115200 reaches termios (%s)"
                  % attrs[4])
    finally:
        os.close(line)
    port.close()
    ds.stop()

    # ---- TLS
    pki, other = make_pki(env, "pki"), make_pki(env, "other")
    ds = device_server(env, "ds-tls", a, "--tls-certificate", pki["server"][0],
                       "--tls-key", pki["server"][1], "--max-clients", "2")
    secure = tls_connect(ds.port, pki["ca"])
    ds.err.wait(r"connected .*tcp_server over TLS", what="the TLS client connected")
    end.write(b"over tls")
    env.check(receive(secure, 8) == b"over tls", "TLS: the line's bytes reach a verified client")
    secure.sendall(b"back")
    env.check(line_receives(end, 4) == b"back", "TLS: the client's bytes reach the line")
    plain = connect(ds.port)
    plain.sendall(b"not a ClientHello\r\n")
    env.check(refused(plain), "a plain TCP client on the TLS port is refused")
    ds.err.wait(r"refused .*TLS handshake failed", what="the failed handshake logged")
    ds.stop()
    for x in (secure, plain):
        x.close()

    ds = device_server(env, "ds-mtls", a, "--tls-certificate", pki["server"][0],
                       "--tls-key", pki["server"][1], "--tls-client-ca", pki["ca"],
                       "--max-clients", "4")
    client = subprocess.Popen(["openssl", "s_client", "-quiet", "-connect", "127.0.0.1:%d" % ds.port,
                               "-CAfile", pki["ca"], "-cert", pki["client"][0], "-key",
                               pki["client"][1], "-verify_return_error"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ds.err.wait(r"connected .*over TLS", what="openssl s_client connected")
        end.write(b"authenticated\n")
        env.check(client.stdout.readline() == b"authenticated\n",
                  "authenticated TLS: openssl s_client with the CA's certificate gets the line's data")
    finally:
        client.kill()
        client.wait()
    env.check(tls_refused(ds.port, pki["ca"]), "authenticated TLS: a client without a certificate "
              "is refused")
    env.check(tls_refused(ds.port, pki["ca"], other["client"]),
              "authenticated TLS: a client with another CA's certificate is refused")
    ds.err.wait(r"refused .*TLS handshake failed", after=1, what="both refusals logged")
    ds.stop()
