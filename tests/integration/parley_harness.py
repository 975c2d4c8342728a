"""
parley_harness.py - drives a real parleyd for the integration tests.

Everything here uses the Python standard library only and talks to the
server over real loopback sockets; the server keeps its data in a real
SQLite file under a temporary data directory, or, with
PARLEY_TEST_DATABASE=postgres, in a PostgreSQL database of its own.

Environment:
  PARLEYD                    path to the parleyd binary (required)
  PARLEYD_WRAPPER            command prepended to every parleyd run, split on
                             spaces (e.g. "valgrind --error-exitcode=99 ...")
  PARLEY_TEST_TIMEOUT_SCALE  multiplies every deadline (valgrind runs use 10)
  PARLEY_TEST_KEEP           when set, temporary data dirs are not removed
  PARLEY_TEST_DATABASE       "postgres": every server (and its admin CLI) gets
                             PARLEY_DATABASE naming a database of its own on
                             the test cluster, one per data directory (a
                             restart on the same directory finds its data);
                             dropped when the server's temporary directory
                             is. Default: sqlite (the file in the data dir).
  PARLEY_TEST_PG_STATE       with postgres: the file with the test cluster's
                             conninfo (scripts/pg-test-cluster.sh; the ctest
                             fixture pg_cluster sets it)
"""

import base64
import hashlib
import http.client
import itertools
import json
import os
import queue
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from collections import namedtuple

TIMEOUT_SCALE = float(os.environ.get("PARLEY_TEST_TIMEOUT_SCALE", "1") or "1")
PASSWORD_MEMLIMIT_KIB = "19456"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

ID_RE = re.compile(r"^(cus|agt|bot|ses|msg|tkt|fbk)_[A-Za-z0-9]{26}$")
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


NO_RATE_LIMITS = ["--limit-customers-per-minute", "0", "--limit-connections-per-minute", "0",
                  "--limit-messages-per-minute", "0", "--limit-logins-per-minute", "0",
                  "--limit-uploads-per-minute", "0", "--limit-searches-per-minute", "0"]


# The --metrics-token every test server gets (ParleyServer.metrics()).
METRICS_TOKEN = "test-metrics-token-0123456789"


def T(seconds):
    """A deadline in seconds, scaled for slow runs (valgrind)."""
    return seconds * TIMEOUT_SCALE


def parleyd_path():
    path = os.environ.get("PARLEYD")
    if not path:
        raise unittest.SkipTest("PARLEYD is not set (path to the parleyd binary)")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"PARLEYD={path} is not an executable file")
    return path


def wrapper_argv():
    return os.environ.get("PARLEYD_WRAPPER", "").split()


_counter = itertools.count(1)


def uniq(prefix="x"):
    """A short string unique within this test process run."""
    return f"{prefix}{os.getpid()}t{int(time.time() * 1000) % 100000000}n{next(_counter)}"


def unique_email(prefix="agent"):
    return f"{uniq(prefix)}@example.com"


class ServerError(AssertionError):
    pass


# --------------------------------------------------------------------------
# The database: SQLite in the data dir, or PostgreSQL on the test cluster
# --------------------------------------------------------------------------

TEST_DATABASE = os.environ.get("PARLEY_TEST_DATABASE", "sqlite") or "sqlite"


def on_postgres():
    return TEST_DATABASE == "postgres"


def _pg_cluster():
    """The test cluster's maintenance conninfo as a dict (host, port, user)."""
    state = os.environ.get("PARLEY_TEST_PG_STATE")
    if not state or not os.path.exists(state):
        raise RuntimeError("PARLEY_TEST_DATABASE=postgres needs PARLEY_TEST_PG_STATE naming the "
                           "test cluster's conninfo file (ctest fixture pg_cluster)")
    with open(state, encoding="utf-8") as f:
        line = f.read().strip()
    return dict(part.split("=", 1) for part in line.split())


def _psql(sql, ok_codes=()):
    """Runs sql on the cluster's maintenance database; an error whose text
    contains one of ok_codes' words is accepted."""
    c = _pg_cluster()
    cp = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", c["host"],
                         "-p", c["port"], "-U", c["user"], "-d", c.get("dbname", "postgres"),
                         "-c", sql], stdin=subprocess.DEVNULL, capture_output=True,
                        timeout=T(60))
    err = cp.stderr.decode(errors="replace")
    if cp.returncode != 0 and not any(code in err for code in ok_codes):
        raise RuntimeError(f"psql {sql!r}: {err}")


def postgres_database_url(data_dir):
    """The URL of the database of data_dir (created when it is not there)."""
    c = _pg_cluster()
    digest = hashlib.sha1(os.path.realpath(data_dir).encode()).hexdigest()[:24]
    name = f"parley_it_{digest}"
    _psql(f"CREATE DATABASE {name}", ok_codes=("already exists",))
    return f"postgres:///{name}?host={c['host']}&port={c['port']}&user={c['user']}"


def postgres_drop_database(url):
    name = url.split("///", 1)[1].split("?", 1)[0]
    _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------

LISTEN_RE = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


class ParleyServer:
    """A parleyd process on a free loopback port with its own data dir.

    extra_args: more flags. data_dir: reuse a directory (not removed on
    close); by default a fresh temporary one that close() removes.
    listen: the --listen value, or None to pass no --listen at all.
    env: extra environment variables for the process. pass_data_dir=False
    leaves out --data-dir (e.g. to test PARLEY_DATA_DIR). preexec: a
    function the child runs before exec (e.g. resource.setrlimit).
    """

    def __init__(self, extra_args=None, data_dir=None, listen="127.0.0.1:0", env=None,
                 pass_data_dir=True, preexec=None):
        self.parleyd = parleyd_path()
        self.preexec = preexec  # run in the child before exec (e.g. setrlimit)
        self.extra_args = list(extra_args or [])
        self.listen = listen
        self.extra_env = dict(env or {})
        self.pass_data_dir = pass_data_dir
        if data_dir is None:
            self.data_dir = tempfile.mkdtemp(prefix="parley-it-")
            self._owns_dir = True
        else:
            self.data_dir = data_dir
            self._owns_dir = False
        self.proc = None
        self.port = None
        self.host = "127.0.0.1"
        self._log = []
        self._log_lock = threading.Lock()
        self._ready = threading.Event()
        self._reader = None
        self.starts = 0
        # PARLEY_TEST_DATABASE=postgres: the data dir's own database
        self.database_url = postgres_database_url(self.data_dir) if on_postgres() else None

    # -- process control -------------------------------------------------
    def argv(self):
        argv = wrapper_argv() + [self.parleyd]
        if self.listen is not None:
            argv += ["--listen", self.listen]
        if self.pass_data_dir:
            argv += ["--data-dir", self.data_dir]
        argv += ["--password-memlimit-kib", PASSWORD_MEMLIMIT_KIB]
        # Tests drive many customers, connections and messages from one
        # address, far beyond what the rate limits allow a real client; the
        # limits are off here unless a test sets them (its extra_args come
        # later and win), and test_rate_limits.py checks them on purpose.
        argv += NO_RATE_LIMITS
        # /metrics needs a token or a listener of its own; tests read it
        # with this one (metrics()), test_refusals.py checks the default
        # by passing --metrics-token "" (unset) after it
        argv += ["--metrics-token", METRICS_TOKEN]
        # a wall-time budget: a slow run (valgrind) gets it scaled like
        # every other deadline, or ordinary searches would be refused;
        # the budget tests set their own after it
        argv += ["--search-budget-ms", str(min(60000, int(250 * TIMEOUT_SCALE)))]
        return argv + self.extra_args

    def _env(self):
        env = dict(os.environ)
        if self.database_url is not None:
            env["PARLEY_DATABASE"] = self.database_url
        env.update(self.extra_env)
        return env

    def _read_output(self, proc, ready):
        for raw in iter(proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._log_lock:
                self._log.append(line)
            if not ready.is_set():
                m = LISTEN_RE.search(line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
        proc.stdout.close()

    def start(self, timeout=30):
        assert self.proc is None, "server already running"
        self.starts += 1
        with self._log_lock:
            self._log.append(f"---- start #{self.starts}: {' '.join(self.argv())}")
        self._ready = threading.Event()
        self.port = None
        self.proc = subprocess.Popen(
            self.argv(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, env=self._env(), preexec_fn=self.preexec)
        self._reader = threading.Thread(target=self._read_output, args=(self.proc, self._ready),
                                        daemon=True)
        self._reader.start()
        deadline = time.monotonic() + T(timeout)
        while not self._ready.wait(0.05):
            if self.proc.poll() is not None:
                self._reader.join(T(5))
                rc = self.proc.returncode
                self.proc = None
                raise ServerError(f"parleyd exited with {rc} before listening\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise ServerError(f"parleyd did not print 'listening on' within "
                                  f"{T(timeout)}s\n{self.log_tail()}")
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=30):
        """Waits for the process to exit; returns its exit code."""
        try:
            rc = self.proc.wait(T(timeout))
        except subprocess.TimeoutExpired:
            self.kill()
            raise ServerError(f"parleyd did not exit within {T(timeout)}s of SIGTERM\n"
                              f"{self.log_tail()}")
        if self._reader:
            self._reader.join(T(10))
        self.proc = None
        return rc

    def stop(self, timeout=30):
        """SIGTERM, then asserts a clean exit (code 0) within the deadline."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.wait_exit(timeout)
        if rc != 0:
            raise ServerError(f"parleyd exited with {rc} after SIGTERM (expected 0)\n"
                              f"{self.log_tail()}")
        return rc

    def restart(self):
        self.stop()
        self.start()
        return self

    def kill(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
                try:
                    self.proc.wait(T(30))
                except subprocess.TimeoutExpired:
                    pass
            self.proc = None

    def close(self):
        """Kills a still-running server (no assertion) and removes the temp dir."""
        self.kill()
        if self._owns_dir and not os.environ.get("PARLEY_TEST_KEEP"):
            shutil.rmtree(self.data_dir, ignore_errors=True)
            if self.database_url is not None:
                postgres_drop_database(self.database_url)
                self.database_url = None

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.stop()
        finally:
            self.close()
        return False

    # -- logs --------------------------------------------------------------
    def log(self):
        with self._log_lock:
            return list(self._log)

    def log_tail(self, n=80):
        lines = self.log()[-n:]
        return "---- parleyd output (last %d lines) ----\n%s\n---- end ----" % (
            len(lines), "\n".join(lines))

    # -- admin CLI -----------------------------------------------------------
    def run_cli(self, args, timeout=60):
        """Runs `parleyd ARGS` (with the wrapper); returns CompletedProcess."""
        argv = wrapper_argv() + [self.parleyd] + list(args)
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=T(timeout), env=self._env())

    def create_admin(self, email, name, password):
        cp = self.run_cli(["admin", "create", "--data-dir", self.data_dir, "--email", email,
                           "--name", name, "--password", password,
                           "--password-memlimit-kib", PASSWORD_MEMLIMIT_KIB])
        if cp.returncode != 0:
            raise ServerError(f"parleyd admin create exited with {cp.returncode}\n"
                              f"stdout: {cp.stdout.decode(errors='replace')}\n"
                              f"stderr: {cp.stderr.decode(errors='replace')}")
        return cp

    # -- clients -------------------------------------------------------------
    def metrics_response(self):
        """GET /metrics with the test servers' --metrics-token."""
        return self.client(METRICS_TOKEN).get("/metrics")

    def metrics(self):
        """/metrics parsed ({sample: value}); asserts 200."""
        r = self.metrics_response()
        if r.status != 200:
            raise AssertionError(f"GET /metrics: {r.status} {r.body!r}")
        return parse_metrics(r.body.decode("utf-8"))

    def client(self, token=None):
        return Client(self.host, self.port, token)

    def ws(self, token=None, **kw):
        return WSClient.connect(self.host, self.port, token=token, **kw)


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------

Response = namedtuple("Response", "status headers body")


def _decode_body(headers, data):
    ctype = headers.get("content-type", "")
    if "json" in ctype:
        try:
            return json.loads(data.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return data
    return data


class Client:
    """HTTP/1.1 client. Each request uses a new connection. Returns
    Response(status, headers (lower-case names), body): body is the parsed
    JSON when the response is JSON, else raw bytes."""

    def __init__(self, host, port, token=None):
        self.host = host
        self.port = port
        self.token = token

    def with_token(self, token):
        return Client(self.host, self.port, token)

    def request(self, method, path, body=None, raw=None, headers=None, token=None,
                timeout=20):
        hdrs = {}
        tok = token if token is not None else self.token
        if tok:
            hdrs["Authorization"] = f"Bearer {tok}"
        data = None
        if raw is not None:
            data = raw if isinstance(raw, bytes) else raw.encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        elif body is not None:
            data = json.dumps(body).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        if headers:
            hdrs.update(headers)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=T(timeout))
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            payload = resp.read()
            rh = {}
            for k, v in resp.getheaders():
                rh[k.lower()] = v
            return Response(resp.status, rh, _decode_body(rh, payload))
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def _parse_head(head):
    lines = head.decode("iso-8859-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    if not m:
        raise AssertionError(f"bad status line: {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        if not line:
            continue
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(m.group(1)), headers


def parse_http_response(buf, eof=False):
    """Parses one HTTP response from the start of buf. Returns
    (Response, rest) or None when buf does not yet hold a whole response."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    status, headers = _parse_head(buf[:end])
    rest = buf[end + 4:]
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = b""
        pos = 0
        while True:
            le = rest.find(b"\r\n", pos)
            if le < 0:
                return None
            size = int(rest[pos:le].split(b";")[0], 16)
            start = le + 2
            if len(rest) < start + size + 2:
                return None
            body += rest[start:start + size]
            pos = start + size + 2
            if size == 0:
                # trailers end with an empty line; we send none, expect none
                return Response(status, headers, _decode_body(headers, body)), rest[pos:]
    if "content-length" in headers:
        n = int(headers["content-length"])
        if len(rest) < n:
            return None
        return Response(status, headers, _decode_body(headers, rest[:n])), rest[n:]
    if status in (204, 304) or 100 <= status < 200:
        return Response(status, headers, b""), rest
    if not eof:
        return None
    return Response(status, headers, _decode_body(headers, rest)), b""


class RawConn:
    """A raw TCP connection for sending arbitrary bytes."""

    def __init__(self, host, port, timeout=20):
        self.sock = socket.create_connection((host, port), timeout=T(timeout))
        self.buf = b""
        self.eof = False

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode("utf-8"))

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out reading from server")
        r, _, _ = select.select([self.sock], [], [], remaining)
        if not r:
            raise TimeoutError("timed out reading from server")
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
        self.buf += chunk

    def recv_response(self, timeout=20):
        deadline = time.monotonic() + T(timeout)
        while True:
            parsed = parse_http_response(self.buf, self.eof)
            if parsed is not None:
                resp, self.buf = parsed
                return resp
            if self.eof:
                raise AssertionError(f"connection closed before a whole response; got {self.buf!r}")
            self._fill(deadline)

    def wait_eof(self, timeout=20):
        """Reads until the server closes the connection; returns True when it
        did within the deadline (extra bytes stay in self.buf)."""
        deadline = time.monotonic() + T(timeout)
        while not self.eof:
            try:
                self._fill(deadline)
            except TimeoutError:
                return False
        return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


def raw_exchange(host, port, data, timeout=20):
    """Sends data on a new connection, reads until the server closes it,
    and returns every byte received."""
    with RawConn(host, port, timeout) as c:
        c.send(data)
        c.wait_eof(timeout)
        return c.buf


# --------------------------------------------------------------------------
# WebSocket
# --------------------------------------------------------------------------

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class WSHandshakeError(AssertionError):
    def __init__(self, status, headers, body):
        super().__init__(f"WebSocket handshake refused: {status} {body!r}")
        self.status = status
        self.headers = headers
        self.body = body


class WSClosed(AssertionError):
    def __init__(self, code, reason=""):
        super().__init__(f"WebSocket closed (code {code}, reason {reason!r})")
        self.code = code
        self.reason = reason


def _mask(data, key):
    n = len(data)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def encode_frame(opcode, payload=b"", fin=True, mask=True, rsv=0, length_override=None):
    """Builds one WebSocket frame (client frames are masked by default)."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    n = len(payload) if length_override is None else length_override
    mbit = 0x80 if mask else 0
    if n < 126:
        head += bytes([mbit | n])
    elif n < 65536:
        head += bytes([mbit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack("!Q", n)
    if mask:
        key = os.urandom(4)
        return head + key + _mask(payload, key)
    return head + payload


def ws_handshake_request(host, port, path, key, token_header=None, extra_headers=None):
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if token_header:
        lines.append(f"Authorization: Bearer {token_header}")
    for k, v in (extra_headers or {}).items():
        lines.append(f"{k}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


class WSClient:
    """Minimal RFC 6455 client. A reader thread parses frames, answers
    server pings (unless auto_pong=False), reassembles fragmented messages
    and queues ("text", str) / ("binary", bytes) items."""

    def __init__(self, sock, leftover=b"", auto_pong=True, start_reading=True):
        self.sock = sock
        self.auto_pong = auto_pong
        self._buf = leftover
        self._send_lock = threading.Lock()
        self._q = queue.Queue()
        self.backlog = []           # JSON messages read but not yet returned
        self.pings = []             # payloads of server pings
        self.pongs = []             # payloads of server pongs
        self.close_code = None
        self.close_reason = None
        self.close_received = threading.Event()
        self.closed = threading.Event()  # TCP connection finished
        self.close_sent = False
        self.protocol_errors = []   # things the server did wrong at frame level
        self._stop = False
        self._thread = threading.Thread(target=self._reader, daemon=True)
        if start_reading:
            self._thread.start()

    def start_reading(self):
        """Starts the reader of a client connected with start_reading=False
        (one that leaves the server's output unread until now)."""
        if not self._thread.is_alive() and not self.closed.is_set():
            self._thread.start()

    @classmethod
    def connect(cls, host, port, token=None, header_token=None, path="/api/v1/ws",
                auto_pong=True, timeout=20, extra_headers=None, start_reading=True,
                rcvbuf=None):
        """Opens a WebSocket. token goes in ?token=, header_token in an
        Authorization header. Raises WSHandshakeError unless 101.
        start_reading=False leaves the server's frames unread until
        start_reading(); rcvbuf sets a small SO_RCVBUF (a slow consumer)."""
        full_path = path
        if token is not None:
            full_path += ("&" if "?" in path else "?") + "token=" + token
        key = base64.b64encode(os.urandom(16)).decode()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(T(timeout))
        try:
            sock.connect((host, port))
            sock.sendall(ws_handshake_request(host, port, full_path, key, header_token,
                                              extra_headers))
            buf = b""
            deadline = time.monotonic() + T(timeout)
            while b"\r\n\r\n" not in buf:
                if time.monotonic() > deadline:
                    raise TimeoutError("no handshake response")
                chunk = sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                raise AssertionError(f"connection closed during handshake: {buf!r}")
            status, headers = _parse_head(buf[:end])
            rest = buf[end + 4:]
            if status != 101:
                # read the error body
                n = int(headers.get("content-length", "0") or 0)
                while len(rest) < n and time.monotonic() < deadline:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    rest += chunk
                raise WSHandshakeError(status, headers, _decode_body(headers, rest[:n]))
            expected = base64.b64encode(
                hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
            if headers.get("sec-websocket-accept") != expected:
                raise AssertionError(f"bad Sec-WebSocket-Accept {headers.get('sec-websocket-accept')!r}"
                                     f", expected {expected!r}")
            if headers.get("upgrade", "").lower() != "websocket":
                raise AssertionError(f"bad Upgrade header {headers.get('upgrade')!r}")
        except BaseException:
            sock.close()
            raise
        sock.settimeout(None)
        ws = cls(sock, rest, auto_pong, start_reading)
        ws.handshake_headers = headers
        return ws

    # -- sending ---------------------------------------------------------
    def send_raw(self, data):
        with self._send_lock:
            self.sock.sendall(data)

    def send_frame(self, opcode, payload=b"", fin=True, mask=True, rsv=0):
        self.send_raw(encode_frame(opcode, payload, fin=fin, mask=mask, rsv=rsv))

    def send_text(self, text):
        self.send_frame(OP_TEXT, text.encode("utf-8") if isinstance(text, str) else text)

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    def send_binary(self, data):
        self.send_frame(OP_BINARY, data)

    def send_ping(self, payload=b""):
        self.send_frame(OP_PING, payload)

    def send_close(self, code=1000, reason=""):
        payload = struct.pack("!H", code) + reason.encode("utf-8") if code is not None else b""
        self.close_sent = True
        self.send_frame(OP_CLOSE, payload)

    def send_fragmented(self, data, parts, opcode=OP_TEXT, between=None):
        """Sends one message split into `parts` frames (first with opcode,
        then continuation frames). between(i) is called after frame i, e.g.
        to interleave a control frame."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        size = max(1, -(-len(data) // parts))
        chunks = [data[i:i + size] for i in range(0, len(data), size)] or [b""]
        for i, chunk in enumerate(chunks):
            op = opcode if i == 0 else OP_CONT
            self.send_frame(op, chunk, fin=(i == len(chunks) - 1))
            if between and i < len(chunks) - 1:
                between(i)

    # -- receiving -------------------------------------------------------
    def _read_exact(self, n):
        while len(self._buf) < n:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                raise EOFError
            self._buf += chunk
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def _read_frame(self):
        b0, b1 = self._read_exact(2)
        fin = bool(b0 & 0x80)
        opcode = b0 & 0x0F
        if b0 & 0x70:
            self.protocol_errors.append(f"server frame with RSV bits {b0 & 0x70:#x}")
        masked = bool(b1 & 0x80)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read_exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read_exact(8))[0]
        key = self._read_exact(4) if masked else None
        payload = self._read_exact(n)
        if masked:
            self.protocol_errors.append("server sent a masked frame")
            payload = _mask(payload, key)
        return fin, opcode, payload

    def _reader(self):
        frag_op = None
        frag = b""
        try:
            while not self._stop:
                fin, op, payload = self._read_frame()
                if op == OP_PING:
                    self.pings.append(payload)
                    if self.auto_pong and not self.close_sent:
                        try:
                            self.send_frame(OP_PONG, payload)
                        except OSError:
                            pass
                elif op == OP_PONG:
                    self.pongs.append(payload)
                elif op == OP_CLOSE:
                    if len(payload) >= 2:
                        self.close_code = struct.unpack("!H", payload[:2])[0]
                        self.close_reason = payload[2:].decode("utf-8", "replace")
                    else:
                        self.close_code = 1005
                        self.close_reason = ""
                    self.close_received.set()
                    if not self.close_sent:
                        try:
                            self.send_close(self.close_code if self.close_code != 1005 else 1000)
                        except OSError:
                            pass
                    # keep reading until the server closes TCP
                elif op in (OP_TEXT, OP_BINARY):
                    if frag_op is not None:
                        self.protocol_errors.append("new data frame inside a fragmented message")
                    if fin:
                        self._deliver(op, payload)
                    else:
                        frag_op, frag = op, payload
                elif op == OP_CONT:
                    if frag_op is None:
                        self.protocol_errors.append("continuation frame without a start")
                        continue
                    frag += payload
                    if fin:
                        self._deliver(frag_op, frag)
                        frag_op, frag = None, b""
                else:
                    self.protocol_errors.append(f"unknown opcode {op:#x}")
        except (EOFError, OSError):
            pass
        finally:
            self.closed.set()
            self._q.put(None)

    def _deliver(self, op, payload):
        if op == OP_TEXT:
            try:
                self._q.put(("text", payload.decode("utf-8")))
            except UnicodeDecodeError:
                self.protocol_errors.append("server text frame is not UTF-8")
                self._q.put(("binary", payload))
        else:
            self._q.put(("binary", payload))

    def recv_message(self, timeout=10):
        """The next data message as (kind, payload); raises WSClosed when the
        connection ended, TimeoutError when nothing came in time."""
        try:
            item = self._q.get(timeout=T(timeout) if timeout is not None else None)
        except queue.Empty:
            raise TimeoutError(f"no WebSocket message within {T(timeout)}s")
        if item is None:
            self._q.put(None)
            raise WSClosed(self.close_code, self.close_reason)
        return item

    def recv_json(self, type=None, timeout=10, match=None):
        """The next JSON message whose "type" is `type` (a string or tuple;
        None = any) and for which match(msg) is true. Messages that do not
        fit are kept in self.backlog and returned by later calls."""
        types = (type,) if isinstance(type, str) else type

        def ok(m):
            return (types is None or m.get("type") in types) and (match is None or match(m))

        for i, m in enumerate(self.backlog):
            if ok(m):
                return self.backlog.pop(i)
        deadline = time.monotonic() + T(timeout)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"no WebSocket message of type {type!r} within {T(timeout)}s; "
                    f"unmatched meanwhile: {self.backlog[-8:]!r}")
            try:
                kind, payload = self.recv_message(remaining / TIMEOUT_SCALE)
            except TimeoutError:
                continue
            if kind != "text":
                raise AssertionError(f"server sent a binary message: {payload[:100]!r}")
            m = json.loads(payload)
            if not isinstance(m, dict):
                raise AssertionError(f"server sent a non-object JSON message: {payload[:200]!r}")
            if ok(m):
                return m
            self.backlog.append(m)

    def take_backlog(self, type=None):
        """Removes and returns the backlogged messages of a type (or all)."""
        keep, out = [], []
        for m in self.backlog:
            (out if type is None or m.get("type") == type else keep).append(m)
        self.backlog = keep
        return out

    def wait_closed(self, timeout=10):
        """Waits until the server ended the connection; returns the close
        code it sent (None when it closed TCP without a close frame)."""
        if not self.closed.wait(T(timeout)):
            raise AssertionError(f"server did not close the WebSocket within {T(timeout)}s")
        return self.close_code

    def close(self):
        self._stop = True
        started = self._thread.ident is not None
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
        if started:
            self._thread.join(T(5))

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


# --------------------------------------------------------------------------
# Domain helpers
# --------------------------------------------------------------------------

def _retry_rate_limited(fn, deadline_s=60):
    """Calls fn() again while it answers 429, honouring Retry-After."""
    deadline = time.monotonic() + T(deadline_s)
    while True:
        r = fn()
        if r.status != 429 or time.monotonic() > deadline:
            return r
        try:
            wait = float(r.headers.get("retry-after", "1"))
        except ValueError:
            wait = 1.0
        time.sleep(min(max(wait, 0.1), 5))


def login(server, email, password):
    """Logs in; asserts 200; returns (token, agent dict)."""
    c = server.client()
    r = _retry_rate_limited(lambda: c.post("/api/v1/auth/login",
                                           {"email": email, "password": password}))
    if r.status != 200:
        raise AssertionError(f"login {email} failed: {r.status} {r.body!r}")
    return r.body["token"], r.body["agent"]


def make_customer(server, name=None, **fields):
    """POST /api/v1/customers; returns (customer dict, token)."""
    body = {"name": name or uniq("Customer ")}
    body.update(fields)
    c = server.client()
    r = _retry_rate_limited(lambda: c.post("/api/v1/customers", body))
    if r.status != 201:
        raise AssertionError(f"create customer failed: {r.status} {r.body!r}")
    return r.body["customer"], r.body["token"]


def make_agent(server, admin_token, role="agent", password="agent-password-1", name=None,
               do_login=True):
    """The admin creates an agent, which then logs in.
    Returns (agent dict, token, email, password); token is None without login."""
    email = unique_email(role)
    r = server.client(admin_token).post("/api/v1/agents", {
        "name": name or uniq("Agent "), "email": email, "password": password, "role": role})
    if r.status != 201:
        raise AssertionError(f"create agent failed: {r.status} {r.body!r}")
    token = None
    if do_login:
        token, _ = login(server, email, password)
    return r.body, token, email, password


def set_policy(server, admin_token, chain=None, customer_options=None):
    """Sets the desk's strategy policy (the strategies.policy setting): no
    chain and no customer_options puts back the initial policy
    (--default-strategies, the default customer options)."""
    policy = {}
    if chain is not None:
        policy["chain"] = chain
    if customer_options is not None:
        policy["customer_options"] = customer_options
    r = server.client(admin_token).patch("/api/v1/settings", {"strategies.policy": policy})
    if r.status != 200:
        raise AssertionError(f"set policy failed: {r.status} {r.body!r}")


def make_session(server, customer_token, topic=None, policy=None, **fields):
    """A new session. policy: a strategy chain the desk's admin sets as the
    policy for this one session (the initial policy is put back after);
    customers cannot choose their filters (issue 16)."""
    body = {"topic": topic or uniq("topic ")}
    body.update(fields)
    if policy is not None:
        set_policy(server, server.admin_token, policy)
    try:
        r = server.client(customer_token).post("/api/v1/sessions", body)
    finally:
        if policy is not None:
            set_policy(server, server.admin_token)
    if r.status != 201:
        raise AssertionError(f"create session failed: {r.status} {r.body!r}")
    return r.body


def send_message(server, token, session_id, content, client_msg_id=None, expect=201, **fields):
    body = {"content": content}
    if client_msg_id is not None:
        body["client_msg_id"] = client_msg_id
    body.update(fields)
    c = server.client(token)
    r = _retry_rate_limited(lambda: c.post(f"/api/v1/sessions/{session_id}/messages", body))
    if expect is not None and r.status != expect:
        raise AssertionError(f"send message: expected {expect}, got {r.status} {r.body!r}")
    return r.body


def all_pages(client, path, key, max_pages=100):
    """Every item of a cursor-paged list: GET path (its query included, e.g.
    "?limit=2"), then again with &cursor=<next_cursor> until next_cursor is
    null. Every page must answer 200 and the walk end within max_pages."""
    out, cursor = [], None
    sep = "&" if "?" in path else "?"
    for _ in range(max_pages):
        r = client.get(path + (f"{sep}cursor={cursor}" if cursor else ""))
        if r.status != 200:
            raise AssertionError(f"GET {path}: {r.status} {r.body!r}")
        out.extend(r.body[key])
        cursor = r.body["next_cursor"]
        if cursor is None:
            return out
    raise AssertionError(f"GET {path}: paging did not end within {max_pages} pages")


def history(server, token, session_id, query=""):
    r = server.client(token).get(f"/api/v1/sessions/{session_id}/messages{query}")
    if r.status != 200:
        raise AssertionError(f"history failed: {r.status} {r.body!r}")
    return r.body["messages"]


def all_history(server, token, session_id):
    """Every message of a session, paging with after_seq."""
    out = []
    after = 0
    while True:
        page = history(server, token, session_id, f"?after_seq={after}&limit=200")
        if not page:
            return out
        out.extend(page)
        after = page[-1]["seq"]


class Senders:
    """Threads that each send their own list of message contents to one
    session over HTTP, in order: plans is [(token, [content, ...]), ...].
    What was stored goes to .sent, what went wrong to .errors."""

    def __init__(self, server, session_id, plans):
        self.sent, self.errors = [], []
        self.threads = [threading.Thread(target=self._send, args=(server, session_id, tok, texts))
                        for tok, texts in plans]

    def _send(self, server, session_id, token, texts):
        try:
            for text in texts:
                self.sent.append(send_message(server, token, session_id, text))
        except Exception as e:  # noqa: BLE001 - the test asserts .errors
            self.errors.append(e)

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def alive(self):
        return any(t.is_alive() for t in self.threads)

    def join(self, timeout=None):
        for t in self.threads:
            t.join(T(timeout) if timeout is not None else None)
        return self.errors

    def run(self, timeout=None):
        """Starts them all and waits; returns the errors."""
        return self.start().join(timeout)


def run_threads(targets):
    """Starts a thread for each callable (or (callable, args) pair) and joins them all."""
    threads = [threading.Thread(target=t[0], args=t[1]) if isinstance(t, tuple)
               else threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def parse_metrics(text):
    """Prometheus text -> {sample name with labels: float}."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?)\s+(\S+)", line)
        if m:
            try:
                out[m.group(1)] = float(m.group(2))
            except ValueError:
                pass
    return out


def wait_until(pred, timeout=10, interval=0.02, message="condition"):
    """Polls pred() until it returns a truthy value; returns it."""
    deadline = time.monotonic() + T(timeout)
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {T(timeout)}s waiting for {message}")
        time.sleep(interval)


# --------------------------------------------------------------------------
# Base test case
# --------------------------------------------------------------------------

ADMIN_PASSWORD = "admin-password-1"


class ServerTestCase(unittest.TestCase):
    """Starts one parleyd for the class (with an admin created through the
    CLI before start) and stops it, asserting a clean exit, afterwards."""

    server_args = []
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.server = ParleyServer(cls.server_args)
        cls.addClassCleanup(cls.server.close)
        cls.admin_email = unique_email("admin")
        cls.server.create_admin(cls.admin_email, "Admin One", ADMIN_PASSWORD)
        cls.server.start()
        cls.admin_token, cls.admin = login(cls.server, cls.admin_email, ADMIN_PASSWORD)
        cls.server.admin_token = cls.admin_token  # for make_session(policy=...)
        cls.http = cls.server.client()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def run(self, result=None):
        before = (len(result.failures) + len(result.errors)) if result else 0
        out = super().run(result)
        if result is not None and len(result.failures) + len(result.errors) > before:
            srv = getattr(type(self), "server", None)
            if srv is not None:
                sys.stderr.write(f"\n[{self.id()}] {srv.log_tail(40)}\n")
        return out

    def c(self, token=None):
        """An HTTP client of this class's server, with that bearer token."""
        return self.server.client(token)

    # -- assertions ------------------------------------------------------
    def assertStatus(self, resp, status):
        self.assertEqual(resp.status, status, f"body: {resp.body!r}")

    def assertError(self, resp, status, code, field=None):
        self.assertEqual(resp.status, status, f"body: {resp.body!r}")
        self.assertIsInstance(resp.body, dict, f"error body is not JSON: {resp.body!r}")
        err = resp.body.get("error")
        self.assertIsInstance(err, dict, f"no error object: {resp.body!r}")
        self.assertEqual(err.get("code"), code, f"body: {resp.body!r}")
        self.assertIsInstance(err.get("message"), str)
        self.assertTrue(err["message"], "empty error message")
        if field is not None:
            self.assertIn(field, err["message"], f"message does not name {field!r}: {err!r}")
        return err

    def assertFields(self, obj, expected):
        """Each field of expected has that value in obj (others may exist)."""
        self.assertEqual({k: obj.get(k) for k in expected}, expected, f"in {obj!r}")

    def assertId(self, value, prefix):
        self.assertIsInstance(value, str)
        self.assertRegex(value, rf"^{prefix}_[A-Za-z0-9]{{26}}$")

    def assertTime(self, value):
        self.assertIsInstance(value, str)
        self.assertRegex(value, TIME_RE)

    def assertHealthy(self):
        r = self.server.client().get("/healthz")
        self.assertEqual(r.status, 200, f"/healthz: {r.status} {r.body!r}")
        self.assertEqual(r.body, {"status": "ok"})


class DeskTestCase(ServerTestCase):
    """A ServerTestCase with the desk's usual cast, made once for the class:
    `agents` agents (cls.agent and cls.agent_token, then cls.agent2 and
    cls.agent2_token) and `customers` customers (cls.cust and cls.cust_token,
    then cls.other and cls.other_token)."""

    agents = 1
    customers = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name in ("agent", "agent2")[:cls.agents]:
            agent, token, _, _ = make_agent(cls.server, cls.admin_token)
            setattr(cls, name, agent)
            setattr(cls, f"{name}_token", token)
        for name in ("cust", "other")[:cls.customers]:
            customer, token = make_customer(cls.server)
            setattr(cls, name, customer)
            setattr(cls, f"{name}_token", token)

    def session(self, chain):
        """A new customer's session with that strategy chain (set as the desk's
        policy for it); returns (token, session id)."""
        _, tok = make_customer(self.server)
        return tok, make_session(self.server, tok, policy=chain)["id"]

    def staff_history(self, session_id):
        """The session's messages as the first agent reads them."""
        return history(self.server, self.agent_token, session_id)


# --------------------------------------------------------------------------
# Several parleyd on one database (issue 12: several writers, leadership)
# --------------------------------------------------------------------------

def same_database_server(first, extra_args=None):
    """Another parleyd (not started) on first's PostgreSQL database, with
    a data dir and port of its own: two writers on one database."""
    if first.database_url is None:
        raise RuntimeError("several parleyd on one database need PARLEY_TEST_DATABASE=postgres")
    return ParleyServer(extra_args, env={"PARLEY_DATABASE": first.database_url})


def is_leader(server):
    """Whether server runs the periodic jobs (its parley_leader gauge)."""
    return server.metrics().get("parley_leader") == 1


# --------------------------------------------------------------------------
# Several nodes on one PostgreSQL database with Redis between them (issue 13)
# --------------------------------------------------------------------------

REDIS_SCRIPT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                             "..", "scripts", "redis-test-server.sh"))


class RedisServer:
    """A redis-server through scripts/redis-test-server.sh: started here in a
    temp dir on a free loopback port (owned: stop() removes it), or the ctest
    fixture's (state_file = PARLEY_TEST_REDIS_STATE; stop() leaves it). kill()
    and restart() keep the port, as a Redis that crashed and came back."""

    def __init__(self, state_file=None):
        self.owned = state_file is None
        if self.owned:
            self._dir = tempfile.mkdtemp(prefix="parley-it-redis-")
            self.state_file = os.path.join(self._dir, "state")
            self._run("start")
        else:
            self.state_file = state_file
        with open(self.state_file, encoding="utf-8") as f:
            self.url = f.readline().strip()

    @classmethod
    def for_tests(cls):
        """The fixture's server when ctest started one, else an owned one."""
        state = os.environ.get("PARLEY_TEST_REDIS_STATE")
        return cls(state) if state and os.path.exists(state) else cls()

    def _run(self, action):
        cp = subprocess.run(["bash", REDIS_SCRIPT, action, self.state_file],
                            stdin=subprocess.DEVNULL, capture_output=True, timeout=T(60))
        if cp.returncode != 0:
            raise RuntimeError(f"redis-test-server.sh {action}: {cp.stderr.decode(errors='replace')}")

    def kill(self):
        self._run("kill")

    def restart(self):
        self._run("restart")

    def stop(self):
        if self.owned:
            self._run("stop")
            shutil.rmtree(self._dir, ignore_errors=True)


class ParleyCluster:
    """n parleyd nodes on one PostgreSQL database (the first node's, on the
    test cluster: PARLEY_TEST_DATABASE=postgres), each with --redis URL and
    extra_args. start() creates an admin through the first node's CLI, then
    starts the nodes one after the other (each migrates: a no-op after the
    first). close() kills every node and drops the database."""

    def __init__(self, n, redis_url, extra_args=None):
        if not on_postgres():
            raise RuntimeError("ParleyCluster needs PARLEY_TEST_DATABASE=postgres")
        args = ["--redis", redis_url] + list(extra_args or [])
        self.nodes = [ParleyServer(args) for _ in range(n)]
        for node in self.nodes[1:]:
            postgres_drop_database(node.database_url)
            node.database_url = self.nodes[0].database_url

    def start(self, admin_email, admin_password):
        self.nodes[0].create_admin(admin_email, "Admin One", admin_password)
        for node in self.nodes:
            node.start()
        return self

    def stop(self):
        """SIGTERM to every node still running; asserts each exits cleanly
        (code 0: under ASan, no leak either)."""
        for node in self.nodes:
            node.stop()

    def close(self):
        for node in self.nodes:
            node.kill()
        for node in self.nodes[1:]:
            node.database_url = None  # the first node's: dropped once, below
            node.close()
        self.nodes[0].close()

    def log_tails(self, n=30):
        return "\n".join(f"--- node {i}:\n{node.log_tail(n)}" for i, node in enumerate(self.nodes))
