"""Clear refusals (issue 9): a full disk answers 503 with Retry-After and a
fixed public message, never SQLite's text or a function name; /metrics is
served only where the operator chose (--metrics-listen, --metrics-token);
per-IP rules see the client behind a trusted reverse proxy
(--trusted-proxies) and ignore forwarding headers from anyone else."""

import errno
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from parley_harness import (ADMIN_PASSWORD, METRICS_TOKEN, Client, ParleyServer, RawConn,
                            ServerError, login, make_agent, make_customer, make_session,
                            parse_metrics, send_message, unique_email)

# What must never reach a client: SQLite's texts and our function names.
INTERNAL_TEXTS = ("database or disk", "disk is full", "sqlite", "token_insert", "_insert",
                  "file store", "SQLITE", "disk I/O")


def mount_small_tmpfs(test, size="24m"):
    """A tmpfs of its own the test can fill; skips where mounting is not
    allowed (not root, or a container without CAP_SYS_ADMIN)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        test.skipTest("filling a disk needs a tmpfs of its own (root may mount one)")
    mnt = tempfile.mkdtemp(prefix="parley-full-")
    cp = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", mnt],
                        capture_output=True)
    if cp.returncode != 0:
        os.rmdir(mnt)
        test.skipTest(f"cannot mount a tmpfs: {cp.stderr.decode(errors='replace').strip()}")

    def unmount():
        subprocess.run(["umount", "-l", mnt], capture_output=True)
        os.rmdir(mnt)
    test.addCleanup(unmount)
    return mnt


def fill(path):
    """Writes path until the file system has not one byte left."""
    with open(path, "wb", buffering=0) as f:
        for chunk in (1 << 20, 4096, 1):
            block = b"\0" * chunk
            while True:
                try:
                    f.write(block)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break


class DiskFullTest(unittest.TestCase):
    maxDiff = 4000

    def assert_public_503(self, r, what):
        self.assertEqual(r.status, 503, f"{what}: {r.status} {r.body!r}")
        self.assertIn("retry-after", r.headers, f"{what}: no Retry-After")
        self.assertGreaterEqual(int(r.headers["retry-after"]), 1)
        self.assertEqual(r.body["error"]["code"], "unavailable", what)
        text = repr(r.body)
        for internal in INTERNAL_TEXTS:
            self.assertNotIn(internal.lower(), text.lower(), f"{what}: leaks {internal!r}")

    def test_full_disk_is_a_clear_503_everywhere(self):
        mnt = mount_small_tmpfs(self)
        srv = ParleyServer(data_dir=os.path.join(mnt, "data"))
        self.addCleanup(srv.close)
        os.makedirs(srv.data_dir, mode=0o700)
        email = unique_email("admin")
        srv.create_admin(email, "Admin", ADMIN_PASSWORD)
        srv.start()
        admin_token, _ = login(srv, email, ADMIN_PASSWORD)
        _, agent_token, agent_email, agent_pw = make_agent(srv, admin_token)
        _, cust_token = make_customer(srv)
        session = make_session(srv, cust_token, "before the disk filled")
        send_message(srv, cust_token, session["id"], "stored before")
        ws = srv.ws(agent_token)
        self.addCleanup(ws.close)
        ws.send_json({"type": "subscribe", "session_id": session["id"]})
        ws.recv_json(type="subscribed")

        filler = os.path.join(mnt, "filler")
        fill(filler)

        # the login of the issue: its token cannot be stored
        r = srv.client().post("/api/v1/auth/login", {"email": agent_email, "password": agent_pw})
        self.assert_public_503(r, "login")
        self.assertEqual(r.body["error"]["message"], "storage is full; try again later")
        self.assertGreaterEqual(int(r.headers["retry-after"]), 30)

        # a message (group commit on the writer), a new customer
        r = srv.client(cust_token).post(f"/api/v1/sessions/{session['id']}/messages",
                                        {"content": "while full"})
        self.assert_public_503(r, "message")
        r = srv.client().post("/api/v1/customers", {"name": "Late"})
        self.assert_public_503(r, "customer")

        # the WebSocket says the same with retry_after
        ws.send_json({"type": "message.send", "session_id": session["id"],
                      "content": "ws while full", "client_msg_id": "full-1"})
        err = ws.recv_json(type="error")
        self.assertEqual(err["error"]["code"], "unavailable", err)
        self.assertGreaterEqual(err["error"]["retry_after"], 1, err)
        for internal in INTERNAL_TEXTS:
            self.assertNotIn(internal.lower(), repr(err).lower())

        # the operator still reads the detail in the log
        log = "\n".join(srv.log())
        self.assertIn("token_insert", log)
        self.assertIn("database or disk is full", log)

        # room again: the same requests succeed
        os.unlink(filler)
        token, _ = login(srv, agent_email, agent_pw)
        self.assertTrue(token)
        send_message(srv, cust_token, session["id"], "stored after")
        ws.send_json({"type": "message.send", "session_id": session["id"],
                      "content": "ws while full", "client_msg_id": "full-1"})
        ws.recv_json(type="ack", match=lambda m: m.get("client_msg_id") == "full-1")


def started(test, args):
    srv = ParleyServer(args)
    test.addCleanup(srv.close)
    srv.start()
    return srv


def metrics_port(srv):
    """The --metrics-listen port parleyd printed at start."""
    for line in srv.log():
        m = re.search(r"metrics \(only\): http://[^ ]+:(\d+)/metrics", line)
        if m:
            return int(m.group(1))
    raise AssertionError(f"no metrics listener in the log\n{srv.log_tail()}")


class MetricsAccessTest(unittest.TestCase):
    def assert_metrics(self, r):
        self.assertEqual(r.status, 200, r.body)
        self.assertIn("parley_http_requests_total", parse_metrics(r.body.decode()))

    def test_default_is_not_served(self):
        srv = started(self, ["--metrics-token", ""])  # unset: the default
        r = srv.client().get("/metrics")
        self.assertEqual(r.status, 404, r.body)
        self.assertEqual(r.body["error"]["code"], "not_found")
        # a token someone guesses changes nothing
        self.assertEqual(srv.client(METRICS_TOKEN).get("/metrics").status, 404)

    def test_separate_listener_serves_only_metrics(self):
        srv = started(self, ["--metrics-token", "", "--metrics-listen", "127.0.0.1:0"])
        self.assertEqual(srv.client().get("/metrics").status, 404)
        side = Client("127.0.0.1", metrics_port(srv))
        self.assert_metrics(side.get("/metrics"))
        for path in ("/healthz", "/api/v1/me", "/", "/console"):
            r = side.get(path)
            self.assertEqual(r.status, 404, f"{path}: {r.status} {r.body!r}")
        r = side.post("/api/v1/customers", {"name": "not here"})
        self.assertEqual(r.status, 404, r.body)
        # the main listener still serves everything else
        self.assertEqual(srv.client().get("/healthz").status, 200)

    def test_token(self):
        token = "a-long-metrics-token-for-this-test"
        srv = started(self, ["--metrics-token", token, "--metrics-listen", "127.0.0.1:0"])
        self.assert_metrics(srv.client(token).get("/metrics"))
        for wrong in (None, token[:-1], token + "x", "pt_" + token):
            r = srv.client(wrong).get("/metrics")
            self.assertEqual(r.status, 401, f"{wrong!r}: {r.body!r}")
            self.assertEqual(r.body["error"]["code"], "unauthenticated")
        # with a token, the separate listener wants it too
        side = Client("127.0.0.1", metrics_port(srv))
        self.assertEqual(side.get("/metrics").status, 401)
        self.assert_metrics(side.with_token(token).get("/metrics"))

    def test_bad_settings_refuse_to_start(self):
        for args, text in ((["--metrics-token", "short"], "--metrics-token"),
                           (["--metrics-token", "has a space in it, long enough"],
                            "--metrics-token"),
                           (["--metrics-listen", "nowhere"], "--metrics-listen"),
                           (["--metrics-listen", "example.com:9100"], "--metrics-listen")):
            srv = ParleyServer(args)
            self.addCleanup(srv.close)
            with self.assertRaises(ServerError, msg=args) as cm:
                srv.start()
            self.assertIn(text, str(cm.exception))


class TrustedProxyTest(unittest.TestCase):
    """127.0.0.1 (the test itself) plays the reverse proxy."""

    def customers(self, srv, n, headers):
        return [srv.client().request("POST", "/api/v1/customers", body={"name": "p"},
                                     headers=headers).status for _ in range(n)]

    def test_trusted_proxy_headers_name_the_client(self):
        srv = started(self, ["--trusted-proxies", "10.9.0.0/16, 127.0.0.1, ::1",
                             "--limit-customers-per-minute", "2"])
        a = {"X-Forwarded-For": "203.0.113.7"}
        b = {"X-Forwarded-For": "203.0.113.8"}
        self.assertEqual(self.customers(srv, 3, a), [201, 201, 429])
        # another client behind the same proxy has its own allowance
        self.assertEqual(self.customers(srv, 2, b), [201, 201])
        # trusted hops are walked past; what the client itself wrote on the
        # left cannot move it to a fresh bucket
        for forged in ("203.0.113.7, 10.9.4.4", "198.51.100.1, 203.0.113.7",
                       "unknown, 203.0.113.7"):
            self.assertEqual(self.customers(srv, 1, {"X-Forwarded-For": forged}), [429], forged)
        # two header lines are one list, the last hop last
        body = b'{"name": "p"}'
        raw = RawConn(srv.host, srv.port)
        self.addCleanup(raw.close)
        raw.send(b"POST /api/v1/customers HTTP/1.1\r\nHost: x\r\n"
                 b"X-Forwarded-For: 198.51.100.2\r\nX-Forwarded-For: 203.0.113.8\r\n"
                 b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                 % (len(body), body))
        self.assertEqual(raw.recv_response().status, 429)
        # RFC 7239 Forwarded wins over X-Forwarded-For
        fwd = {"Forwarded": 'for="[2001:db8::5]:4711";proto=https, for=10.9.0.1',
               "X-Forwarded-For": "203.0.113.7"}
        self.assertEqual(self.customers(srv, 3, fwd), [201, 201, 429])
        self.assertEqual(self.customers(srv, 1, {"Forwarded": "for=2001:db8::5"}), [429])
        # the audit log records the client, not the proxy
        admin_email = unique_email("admin")
        srv.create_admin(admin_email, "Admin", ADMIN_PASSWORD)
        r = srv.client().request("POST", "/api/v1/auth/login",
                                 body={"email": admin_email, "password": "wrong password!"},
                                 headers={"X-Forwarded-For": "192.0.2.55"})
        self.assertEqual(r.status, 401, r.body)
        token, _ = login(srv, admin_email, ADMIN_PASSWORD)
        entries = srv.client(token).get("/api/v1/audit?limit=50").body["entries"]
        failed = [e for e in entries if e["action"] == "login_failed"]
        self.assertEqual([e["ip"] for e in failed], ["192.0.2.55"])
        ok = [e for e in entries if e["action"] == "login"]
        self.assertEqual(ok[0]["ip"], "127.0.0.1")  # no header: the peer itself

    def test_untrusted_peer_headers_are_ignored(self):
        srv = started(self, ["--limit-customers-per-minute", "2"])  # no --trusted-proxies
        self.assertEqual(self.customers(srv, 2, {"X-Forwarded-For": "203.0.113.7"}), [201, 201])
        self.assertEqual(self.customers(srv, 1, {"X-Forwarded-For": "203.0.113.8"}), [429])
        self.assertEqual(self.customers(srv, 1, {"Forwarded": "for=203.0.113.9"}), [429])

    def test_proxy_list_elsewhere_ignores_this_peer(self):
        srv = started(self, ["--trusted-proxies", "10.0.0.0/8,fd00::/8",
                             "--limit-customers-per-minute", "1"])
        self.assertEqual(self.customers(srv, 1, {"X-Forwarded-For": "203.0.113.7"}), [201])
        self.assertEqual(self.customers(srv, 1, {"X-Forwarded-For": "203.0.113.8"}), [429])

    def test_bad_list_refuses_to_start(self):
        for bad in ("10.0.0.0/33", "not-an-ip", "10.0.0.1,,10.0.0.2", "::1/129",
                    "example.com"):
            srv = ParleyServer(["--trusted-proxies", bad])
            self.addCleanup(srv.close)
            with self.assertRaises(ServerError, msg=bad) as cm:
                srv.start()
            self.assertIn("--trusted-proxies", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
