"""Logs an operator can use, X-Request-Id, HEAD, and cacheable static files.

A real parleyd writes its log lines to stderr (the harness reads stdout and
stderr together); every test here reads them back and parses them as the
documented formats (docs/subsystems/operations.md#logs).
"""
import json
import os
import re
import shutil
import tempfile
import time
import unittest

from parley_harness import (ADMIN_PASSWORD, ParleyServer, RawConn, ServerTestCase, T, login,
                            make_customer, make_session, send_message, uniq, unique_email,
                            wait_until)

LOGFMT_PAIR = re.compile(r'([a-z_]+)=("(?:[^"\\]|\\.)*"|[^ "]*)(?: |$)')
HEX32 = re.compile(r"^[0-9a-f]{32}$")


def parse_logfmt(line):
    """key=value pairs of one line; quoted values are JSON string literals.
    Returns None when the line is not logfmt from start to end."""
    out = {}
    pos = 0
    while pos < len(line):
        m = LOGFMT_PAIR.match(line, pos)
        if not m:
            return None
        value = m.group(2)
        out[m.group(1)] = json.loads(value) if value.startswith('"') else value
        pos = m.end()
    return out


def log_records(server, fmt="logfmt"):
    """The parsed log lines of the server (the banner and the harness's own
    lines are not log lines)."""
    records = []
    for line in server.log():
        if not line.startswith("ts=" if fmt == "logfmt" else "{"):
            continue
        records.append(parse_logfmt(line) if fmt == "logfmt" else json.loads(line))
    return records


def access_lines(server, fmt="logfmt"):
    return [r for r in log_records(server, fmt) if r and r.get("msg") in ("request", "websocket")]


def line_for(server, request_id, fmt="logfmt"):
    """Waits for the access line of this request id (it is written just
    after the response is queued, so it may trail the answer a little)."""
    def find():
        for r in access_lines(server, fmt):
            if r.get("request_id") == request_id:
                return r
        return None
    return wait_until(find, timeout=10, message=f"the access line of {request_id}")


class AccessLogNeverHoldsSecrets(unittest.TestCase):
    """Drives logins, customers, messages over REST and a WebSocket with
    secrets it knows, then greps the whole output for them."""

    def test_access_lines_and_no_secret_in_the_log(self):
        server = ParleyServer()
        self.addCleanup(server.close)
        admin_email = unique_email("admin")
        server.create_admin(admin_email, "Admin", ADMIN_PASSWORD)
        server.start()
        admin_token, _ = login(server, admin_email, ADMIN_PASSWORD)
        customer, customer_token = make_customer(server)
        session = make_session(server, customer_token)
        rest_text = uniq("secret-rest-message-")
        send_message(server, customer_token, session["id"], rest_text, client_msg_id="c1")

        # requests with our own ids: each must have a line with its status
        c = server.client(customer_token)
        expected = {}
        for i, (method, path, body, status) in enumerate([
                ("GET", f"/api/v1/sessions/{session['id']}/messages?after_seq=0", None, 200),
                ("POST", f"/api/v1/sessions/{session['id']}/messages",
                 {"content": rest_text + "-2", "client_msg_id": "c2"}, 201),
                ("GET", "/api/v1/sessions/ses_nosuchsessionxxxxxxxxxxxxxx", None, 404),
                ("GET", "/api/v1/agents", None, 403),
                ("DELETE", "/api/v1/me", None, 405),
                ("GET", "/widget.js", None, 200),
                ("HEAD", "/demo", None, 200)]):
            rid = f"it-{i}-{uniq()}"
            r = c.request(method, path, body=body, headers={"X-Request-Id": rid})
            self.assertEqual(r.status, status, f"{method} {path}: {r.body!r}")
            self.assertEqual(r.headers.get("x-request-id"), rid)
            expected[rid] = (method, path.split("?")[0], status)
        # a wrong password: the attempt is logged, the password is not
        bad_password = uniq("WrongPassw0rd-")
        r = server.client().post("/api/v1/auth/login",
                                 {"email": admin_email, "password": bad_password},
                                 headers={"X-Request-Id": "it-bad-login"})
        self.assertEqual(r.status, 401)
        expected["it-bad-login"] = ("POST", "/api/v1/auth/login", 401)

        # a WebSocket with the token in the query string, one message sent
        ws_text = uniq("secret-ws-message-")
        ws = server.ws(token=customer_token, extra_headers={"X-Request-Id": "it-ws-1"})
        self.assertEqual(ws.handshake_headers.get("x-request-id"), "it-ws-1")
        ws.send_json({"type": "subscribe", "session_id": session["id"], "after_seq": 0})
        ws.recv_json(type="subscribed")
        ws.send_json({"type": "message.send", "session_id": session["id"], "content": ws_text,
                      "client_msg_id": "w1"})
        ws.recv_json(type="ack")
        ws.send_close(1000)
        ws.wait_closed()
        ws.close()

        for rid, (method, path, status) in expected.items():
            line = line_for(server, rid)
            self.assertEqual(line["msg"], "request")
            self.assertEqual(line["method"], method, line)
            self.assertEqual(line["path"], path, line)
            self.assertEqual(int(line["status"]), status, line)
            self.assertEqual(line["level"], "info")
            self.assertEqual(line["client_ip"], "127.0.0.1")
            self.assertGreaterEqual(float(line["duration_ms"]), 0.0)
            self.assertGreater(int(line["bytes_in"]), 0)
            self.assertGreater(int(line["bytes_out"]), 0)
        # the authenticated ones know the caller's role and id
        ok_line = line_for(server, next(k for k in expected if k.startswith("it-0-")))
        self.assertEqual(ok_line["role"], "customer")
        self.assertEqual(ok_line["participant_id"], customer["id"])
        self.assertEqual(ok_line["route"], "/api/v1/sessions/{}/messages")

        ws_line = line_for(server, "it-ws-1")
        self.assertEqual(ws_line["msg"], "websocket")
        self.assertEqual(ws_line["path"], "/api/v1/ws")
        self.assertEqual(int(ws_line["status"]), 101)
        self.assertGreaterEqual(int(ws_line["frames_in"]), 2)
        self.assertGreaterEqual(int(ws_line["frames_out"]), 2)
        self.assertGreater(int(ws_line["bytes_in"]), 0)
        self.assertGreater(int(ws_line["bytes_out"]), 0)
        self.assertEqual(int(ws_line["close_received"]), 1000)
        self.assertEqual(ws_line["role"], "customer")

        server.stop()
        output = "\n".join(server.log())
        for secret in (admin_token, customer_token, ADMIN_PASSWORD, bad_password, rest_text,
                       ws_text, "token="):
            self.assertNotIn(secret, output, f"{secret!r} reached the log")
        # every line parses, every access line is complete
        for line in server.log():
            if line.startswith("ts="):
                self.assertIsNotNone(parse_logfmt(line), line)


class JsonLogs(ServerTestCase):
    server_args = ["--log-format", "json"]

    def test_every_line_is_a_json_object(self):
        r = self.http.get("/healthz", headers={"X-Request-Id": "json-1"})
        self.assertEqual(r.status, 200)
        line = line_for(self.server, "json-1", fmt="json")
        self.assertEqual(line["status"], 200)  # numbers are numbers
        self.assertIsInstance(line["duration_ms"], float)
        self.assertEqual(line["method"], "GET")
        self.assertEqual(line["route"], "/healthz")
        objects = 0
        for text in self.server.log():
            if text.startswith("----") or text.startswith("parleyd listening") or \
                    text.startswith("  "):
                continue  # the harness's marker and the banner on stdout
            obj = json.loads(text)
            self.assertRegex(obj["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertIn(obj["level"], ("error", "warn", "info", "debug"))
            self.assertIsInstance(obj["msg"], str)
            objects += 1
        self.assertGreaterEqual(objects, 3)  # started, the login, healthz
        started = [o for o in log_records(self.server, "json") if o["msg"] == "started"]
        self.assertEqual(len(started), 1)
        self.assertTrue(started[0]["address"].startswith("http://127.0.0.1:"))

    def test_hostile_path_bytes_stay_one_valid_line(self):
        path = "/a%22b%0Ac%5Cd%C3%A9%FF"  # a quote, a line break, a backslash, é, a bad byte
        with RawConn(self.server.host, self.server.port) as conn:
            conn.send(f"GET {path} HTTP/1.1\r\nHost: x\r\nX-Request-Id: json-2\r\n\r\n")
            self.assertEqual(conn.recv_response().status, 404)
        line = line_for(self.server, "json-2", fmt="json")
        self.assertEqual(line["path"], "/a\"b\nc\\d\u00e9\ufffd")


class LevelsAndSwitches(unittest.TestCase):
    def run_server(self, args):
        server = ParleyServer(args)
        self.addCleanup(server.close)
        server.start()
        r = server.client().get("/healthz", headers={"X-Request-Id": "lvl-1"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["x-request-id"], "lvl-1")
        time.sleep(T(0.3))  # a line, if any were written, would be there by now
        server.stop()
        return server.log()

    def test_log_level_error_suppresses_info_lines(self):
        out = self.run_server(["--log-level", "error"])
        self.assertTrue(any(line.startswith("parleyd listening on") for line in out))
        self.assertFalse([line for line in out if line.startswith("ts=")], out)

    def test_log_level_warn_from_the_environment(self):
        server = ParleyServer(env={"PARLEY_LOG_LEVEL": "warn"})
        self.addCleanup(server.close)
        server.start()
        server.client().get("/healthz")
        time.sleep(T(0.3))
        server.stop()
        self.assertFalse([line for line in server.log() if " level=info " in line])

    def test_access_log_off_keeps_other_info_lines(self):
        out = self.run_server(["--access-log", "off"])
        records = [parse_logfmt(line) for line in out if line.startswith("ts=")]
        msgs = [r["msg"] for r in records]
        self.assertIn("started", msgs)
        self.assertIn("stopped", msgs)
        self.assertNotIn("request", msgs)

    def test_debug_and_info_show_access_lines(self):
        out = self.run_server(["--log-level", "debug"])
        self.assertTrue([line for line in out if "request_id=lvl-1 " in line])

    def test_bad_values_are_refused(self):
        for args, flag in ((["--log-format", "xml"], "--log-format"),
                           (["--access-log", "yes"], "--access-log"),
                           (["--log-level", "trace"], "--log-level")):
            server = ParleyServer(args)
            self.addCleanup(server.close)
            cp = server.run_cli(["--data-dir", server.data_dir] + args)
            self.assertEqual(cp.returncode, 2, args)
            self.assertIn(flag, cp.stderr.decode())


class RequestIds(ServerTestCase):
    def test_valid_ids_are_echoed(self):
        for rid in ("abc", "3f2a9c1e-7b4d-4c1a-9e55-0f6b7a2d8c10", "a.b_c:d/e+f=g@h~i",
                    "x" * 128):
            r = self.http.get("/healthz", headers={"X-Request-Id": rid})
            self.assertEqual(r.headers.get("x-request-id"), rid)

    def test_invalid_or_missing_ids_are_replaced_by_fresh_ones(self):
        seen = set()
        for rid in (None, "", "has space", "x" * 129, "quote\"d", "semi;colon"):
            headers = {"X-Request-Id": rid} if rid is not None else {}
            r = self.http.get("/healthz", headers=headers)
            got = r.headers.get("x-request-id")
            self.assertRegex(got, HEX32, f"for {rid!r}")
            seen.add(got)
        self.assertEqual(len(seen), 6, "fresh ids repeat")

    def test_errors_and_malformed_requests_carry_an_id(self):
        r = self.http.post("/api/v1/sessions", {"topic": "x"}, headers={"X-Request-Id": "e-1"})
        self.assertEqual(r.status, 401)
        self.assertEqual(r.headers.get("x-request-id"), "e-1")
        with RawConn(self.server.host, self.server.port) as conn:
            conn.send("NONSENSE\r\n\r\n")
            res = conn.recv_response()
            self.assertEqual(res.status, 400)
            self.assertRegex(res.headers.get("x-request-id", ""), HEX32)
        line = line_for(self.server, res.headers["x-request-id"])
        self.assertEqual(line["method"], "-")
        self.assertEqual(int(line["status"]), 400)


def head_and_get(server, path, token=None):
    c = server.client(token)
    return c.request("HEAD", path), c.get(path)


class HeadAndCaching(ServerTestCase):
    VOLATILE = {"x-request-id"}

    def assertSameHeaders(self, head, get):
        h = {k: v for k, v in head.headers.items() if k not in self.VOLATILE}
        g = {k: v for k, v in get.headers.items() if k not in self.VOLATILE}
        self.assertEqual(h, g)

    def test_head_equals_get_without_a_body(self):
        for path in ("/", "/demo", "/console", "/widget.js", "/console.css", "/favicon.svg",
                     "/healthz", "/nope.js"):
            with RawConn(self.server.host, self.server.port) as conn:
                conn.send(f"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n"
                          f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n")
                # a HEAD answer must not carry a body: the next bytes are the GET's
                head_end = b""
                while b"\r\n\r\n" not in head_end:
                    conn._fill(time.monotonic() + T(10))
                    head_end = conn.buf
                head_text, _, rest = conn.buf.partition(b"\r\n\r\n")
                self.assertTrue(rest == b"" or rest.startswith(b"HTTP/1.1 "), path)
            head, get = head_and_get(self.server, path)
            self.assertEqual(head.status, get.status, path)
            self.assertEqual(head.body, b"", path)
            self.assertSameHeaders(head, get)
            body_len = len(get.body) if isinstance(get.body, bytes) else \
                int(get.headers["content-length"])
            self.assertEqual(int(head.headers["content-length"]), body_len, path)

    def test_head_on_an_api_read(self):
        head, get = head_and_get(self.server, "/api/v1/me", token=self.admin_token)
        self.assertEqual(head.status, 200)
        self.assertEqual(head.body, b"")
        self.assertEqual(head.headers["content-length"], get.headers["content-length"])

    def test_allow_lists_head_and_the_websocket_refuses_it(self):
        r = self.http.request("DELETE", "/api/v1/me", token=self.admin_token)
        self.assertEqual(r.status, 405)
        self.assertEqual({m.strip() for m in r.headers["allow"].split(",")}, {"GET", "HEAD"})
        r = self.http.request("HEAD", "/api/v1/ws")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.headers["allow"], "GET")

    def test_cache_control_policy(self):
        self.assertEqual(self.http.get("/widget.js").headers["cache-control"],
                         "public, max-age=300")
        self.assertEqual(self.http.get("/console.css").headers["cache-control"],
                         "public, max-age=300")
        # the console's modules (one folder down) are revalidated every time:
        # a module graph must come from one version
        r = self.http.get("/console/app.js")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["content-type"], "text/javascript; charset=utf-8")
        self.assertEqual(r.headers["cache-control"], "no-cache")
        self.assertIn("etag", r.headers)
        for page in ("/", "/demo", "/console"):
            r = self.http.get(page)
            self.assertEqual(r.headers["cache-control"], "no-cache", page)
            self.assertIn("content-security-policy", r.headers)
            self.assertNotIn("nonce-", r.headers["content-security-policy"])
        r = self.http.get("/api/v1/me", token=self.admin_token)
        self.assertEqual(r.headers["cache-control"], "no-store")
        self.assertNotIn("etag", r.headers)

    def test_etag_and_last_modified_give_304(self):
        r = self.http.get("/widget.js")
        self.assertEqual(r.status, 200)
        etag = r.headers["etag"]
        last_modified = r.headers["last-modified"]
        self.assertRegex(etag, r'^"[0-9a-f]+-[0-9a-f]+\.[0-9a-f]+"$')  # strong
        self.assertRegex(last_modified, r"^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} "
                                        r"\d\d:\d\d:\d\d GMT$")
        for headers in ({"If-None-Match": etag}, {"If-None-Match": "W/" + etag},
                        {"If-None-Match": f'"other", {etag}'}, {"If-None-Match": "*"},
                        {"If-Modified-Since": last_modified},
                        {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}):
            r304 = self.http.get("/widget.js", headers=headers)
            self.assertEqual(r304.status, 304, headers)
            self.assertEqual(r304.body, b"")
            self.assertEqual(r304.headers["etag"], etag)
            self.assertEqual(r304.headers["cache-control"], "public, max-age=300")
        for headers in ({"If-None-Match": '"other"'},
                        {"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"},
                        {"If-Modified-Since": "not a date"},
                        # If-None-Match decides when both are sent
                        {"If-None-Match": '"other"', "If-Modified-Since": last_modified}):
            r200 = self.http.get("/widget.js", headers=headers)
            self.assertEqual(r200.status, 200, headers)
            self.assertEqual(r200.body, r.body)
        self.assertEqual(self.http.request("HEAD", "/widget.js",
                                           headers={"If-None-Match": etag}).status, 304)


class UpgradeIsPickedUp(unittest.TestCase):
    """A changed file gets a new ETag, so a cached copy is replaced."""

    def test_changed_file_new_etag(self):
        web = tempfile.mkdtemp(prefix="parley-web-")
        self.addCleanup(shutil.rmtree, web, True)
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "web")
        shutil.copy(os.path.join(src, "widget.js"), os.path.join(web, "widget.js"))
        server = ParleyServer(["--web-dir", web])
        self.addCleanup(server.close)
        server.start()
        c = server.client()
        first = c.get("/widget.js")
        self.assertEqual(first.status, 200)
        with open(os.path.join(web, "widget.js"), "ab") as f:
            f.write(b"\n// upgraded\n")
        second = c.get("/widget.js", headers={"If-None-Match": first.headers["etag"]})
        self.assertEqual(second.status, 200)
        self.assertNotEqual(second.headers["etag"], first.headers["etag"])
        self.assertTrue(second.body.endswith(b"// upgraded\n"))
        server.stop()


if __name__ == "__main__":
    unittest.main()
