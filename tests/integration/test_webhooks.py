"""Outgoing webhooks (issue 14, docs/subsystems/notifications.md "Webhooks"):
the admins' CRUD with the secret shown once, signed deliveries through the
outbox and the delivery worker to real receivers on loopback started here
(python http.server), retries with backoff, dead letters and replay, no
redirect followed, the SSRF rule at creation and at delivery, and kill -9
with deliveries pending or under way: each is received, once after the
receiver drops repeats by their delivery id."""

import hashlib
import hmac
import http.server
import json
import re
import signal
import threading
import time
import unittest

from parley_harness import (ADMIN_PASSWORD, ParleyServer, ServerTestCase, login, make_agent,
                            make_customer, make_session, send_message, unique_email, wait_until,
                            T)

REPLAY_WINDOW_S = 300


class Receiver:
    """A webhook receiver on 127.0.0.1: checks each request's signature
    (HMAC-SHA256 of "timestamp.body" under the secret, timestamp within the
    replay window) and records it. Answers `status` to the first
    `fail_first` requests (-1: to all), then 200. `hold`, when set, is an
    Event the first request waits for before answering."""

    def __init__(self, fail_first=0, status=500, delay_first=0.0, location=None):
        self.secret = None
        self.fail_first = fail_first
        self.status = status
        self.delay_first = delay_first
        self.location = location
        self.hold = None
        self.held = threading.Event()
        self.lock = threading.Lock()
        self.requests = []  # every request, in order of arrival
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                receiver.handle(self)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def verify(self, headers, body):
        ts = headers.get("X-Parley-Timestamp", "")
        sig = headers.get("X-Parley-Signature", "")
        if self.secret is None or not ts.isdigit() or not sig.startswith("sha256="):
            return False
        if abs(time.time() - int(ts)) > REPLAY_WINDOW_S:
            return False  # too old or from the future: a replayed capture
        want = hmac.new(self.secret.encode(), ts.encode() + b"." + body,
                        hashlib.sha256).hexdigest()
        return hmac.compare_digest(want, sig[len("sha256="):])

    def handle(self, h):
        body = h.rfile.read(int(h.headers.get("Content-Length", "0")))
        with self.lock:
            n = len(self.requests)
            rec = {"delivery": h.headers.get("X-Parley-Delivery"),
                   "event": h.headers.get("X-Parley-Event"),
                   "content_type": h.headers.get("Content-Type"),
                   "signature_ok": self.verify(h.headers, body),
                   "body": json.loads(body), "raw": body, "at": time.monotonic()}
            self.requests.append(rec)
            failing = self.fail_first < 0 or n < self.fail_first
        if n == 0 and self.hold is not None:
            self.held.set()
            self.hold.wait(T(60))
        if n == 0 and self.delay_first:
            time.sleep(self.delay_first)
        status = self.status if failing else 200
        try:
            h.send_response(status)
            if self.location and failing:
                h.send_header("Location", self.location)
            h.send_header("Content-Type", "text/plain")
            h.end_headers()
            h.wfile.write(b"nope" if failing else b"ok")
        except OSError:
            pass  # the server that sent it is gone (kill -9)

    def received(self, event=None):
        with self.lock:
            return [r for r in self.requests if event is None or r["event"] == event]

    def unique(self, event=None):
        """The requests after dropping repeats of a delivery id (what a
        receiver following the docs keeps)."""
        seen, out = set(), []
        for r in self.received(event):
            if r["delivery"] not in seen:
                seen.add(r["delivery"])
                out.append(r)
        return out

    def close(self):
        if self.hold is not None:
            self.hold.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def create_webhook(client, url, events, **fields):
    body = {"url": url, "events": events}
    body.update(fields)
    return client.post("/api/v1/webhooks", body)


def deliveries(client, webhook_id):
    r = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries?limit=100")
    assert r.status == 200, f"{r.status} {r.body!r}"
    return r.body["deliveries"]


class WebhooksTestCase(ServerTestCase):
    server_args = ["--webhooks-allow-private", "1", "--notify-retry-base-ms", "200",
                   "--notify-retry-max-ms", "800", "--notify-max-attempts", "4"]

    def receiver(self, **kw):
        r = Receiver(**kw)
        self.addCleanup(r.close)
        return r

    def hook(self, receiver, events, **fields):
        r = create_webhook(self.c(self.admin_token), receiver.url, events, **fields)
        self.assertStatus(r, 201)
        receiver.secret = r.body["secret"]
        return r.body

    def wait_delivery(self, webhook_id, state, count=1, timeout=20):
        found = []

        def done():
            found[:] = [d for d in deliveries(self.c(self.admin_token), webhook_id)
                        if d["state"] == state]
            return len(found) >= count
        wait_until(done, timeout=timeout, message=f"{count} {state} deliveries of {webhook_id}")
        return found


class WebhookAdminTest(WebhooksTestCase):
    def test_crud_and_the_secret_shown_once(self):
        admin = self.c(self.admin_token)
        r = create_webhook(admin, "http://127.0.0.1:9/h", ["message.created", "ticket.updated"],
                           description="CRM sync", active=False)
        self.assertStatus(r, 201)
        w = r.body
        self.assertId(w["id"], "whk")
        self.assertRegex(w["secret"], r"^whsec_[0-9a-f]{64}$")
        self.assertFields(w, {"url": "http://127.0.0.1:9/h", "active": False,
                              "events": ["message.created", "ticket.updated"],
                              "description": "CRM sync"})
        self.assertTime(w["created_at"])
        # never again: not on read, list or update
        got = admin.get(f"/api/v1/webhooks/{w['id']}")
        self.assertStatus(got, 200)
        self.assertNotIn("secret", got.body)
        self.assertEqual(got.body, {k: v for k, v in w.items() if k != "secret"})
        listed = admin.get("/api/v1/webhooks")
        self.assertStatus(listed, 200)
        self.assertIn(w["id"], [x["id"] for x in listed.body["webhooks"]])
        self.assertFalse(any("secret" in x for x in listed.body["webhooks"]))
        r = admin.patch(f"/api/v1/webhooks/{w['id']}",
                        {"events": ["session.created"], "active": True, "description": ""})
        self.assertStatus(r, 200)
        self.assertFields(r.body, {"events": ["session.created"], "active": True,
                                   "description": "", "url": "http://127.0.0.1:9/h"})
        self.assertNotIn("secret", r.body)
        r = admin.patch(f"/api/v1/webhooks/{w['id']}", {"active": False})
        self.assertStatus(r, 200)
        # audited, without the secret
        audit = admin.get("/api/v1/audit?limit=50")
        self.assertStatus(audit, 200)
        actions = [(e["action"], e.get("target_id")) for e in audit.body["entries"]]
        self.assertIn(("webhook.create", w["id"]), actions)
        self.assertIn(("webhook.update", w["id"]), actions)
        self.assertNotIn(w["secret"], json.dumps(audit.body))
        r = admin.delete(f"/api/v1/webhooks/{w['id']}")
        self.assertStatus(r, 204)
        self.assertError(admin.get(f"/api/v1/webhooks/{w['id']}"), 404, "not_found")
        self.assertError(admin.delete(f"/api/v1/webhooks/{w['id']}"), 404, "not_found")
        self.assertError(admin.patch(f"/api/v1/webhooks/{w['id']}", {"active": True}), 404,
                         "not_found")
        audit = admin.get("/api/v1/audit?limit=50")
        self.assertIn(("webhook.delete", w["id"]),
                      [(e["action"], e.get("target_id")) for e in audit.body["entries"]])

    def test_refusals(self):
        admin = self.c(self.admin_token)
        url = "http://127.0.0.1:9/h"
        cases = [
            ({"events": ["message.created"]}, "url"),
            ({"url": url}, "events"),
            ({"url": "ftp://127.0.0.1/h", "events": ["message.created"]}, "url"),
            ({"url": "http://a b/", "events": ["message.created"]}, "url"),
            ({"url": "http://x/" + "a" * 2100, "events": ["message.created"]}, "url"),
            ({"url": url, "events": []}, "events"),
            ({"url": url, "events": ["message.deleted"]}, "events"),
            ({"url": url, "events": ["message.created", "message.created"]}, "events"),
            ({"url": url, "events": "message.created"}, "events"),
            ({"url": url, "events": ["message.created"], "active": "yes"}, "active"),
            ({"url": url, "events": ["message.created"], "description": "d" * 501},
             "description"),
            ({"url": url, "events": ["message.created"], "secret": "mine"}, "secret"),
            ({"url": "http://no-such-host.invalid/h", "events": ["message.created"]}, "url"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                self.assertError(admin.post("/api/v1/webhooks", body), 400, "validation_failed",
                                 field)
        # non-admins: the access matrix checks every role; one here
        _, agent_token, _, _ = make_agent(self.server, self.admin_token)
        self.assertError(create_webhook(self.c(agent_token), url, ["message.created"]), 403,
                         "forbidden")
        self.assertError(self.c(agent_token).get("/api/v1/webhooks"), 403, "forbidden")


class WebhookDeliveryTest(WebhooksTestCase):
    def test_signed_delivery_of_the_events_asked_for(self):
        rec = self.receiver()
        other = self.receiver()
        w = self.hook(rec, ["session.created", "message.created"])
        self.hook(other, ["ticket.created"])
        off = self.receiver()
        self.hook(off, ["session.created", "message.created"], active=False)
        _, cust = make_customer(self.server)
        s = make_session(self.server, cust)
        m = send_message(self.server, cust, s["id"], "hello webhook")
        wait_until(lambda: len(rec.received("message.created")) == 1, timeout=15,
                   message="message.created at the receiver")
        wait_until(lambda: len(rec.received("session.created")) == 1, timeout=15,
                   message="session.created at the receiver")
        for r in rec.received():
            self.assertTrue(r["signature_ok"], r)
            self.assertEqual(r["content_type"], "application/json")
            self.assertEqual(set(r["body"]), {"type", "id", "created_at", "data"})
            self.assertEqual(r["body"]["type"], r["event"])
            self.assertId(r["body"]["id"], "evt")
            self.assertTime(r["body"]["created_at"])
            self.assertRegex(r["delivery"], r"^ntf_[A-Za-z0-9]{26}:webhook$")
        msg = rec.received("message.created")[0]["body"]["data"]["message"]
        self.assertEqual((msg["id"], msg["content"]), (m["id"], "hello webhook"))
        ses = rec.received("session.created")[0]["body"]["data"]["session"]
        self.assertEqual(ses["id"], s["id"])
        # the log: sent after one attempt, its status and duration
        log = self.wait_delivery(w["id"], "sent", count=2)
        by_event = {d["event"]: d for d in log}
        d = by_event["message.created"]
        self.assertEqual(d["attempts"], 1)
        self.assertEqual(d["channel"], "webhook")
        self.assertEqual(d["idempotency_key"], rec.received("message.created")[0]["delivery"])
        self.assertEqual(len(d["attempts_log"]), 1)
        a = d["attempts_log"][0]
        self.assertEqual((a["attempt"], a["status_code"], a["error"]), (1, 200, None))
        self.assertGreaterEqual(a["duration_ms"], 0)
        self.assertTime(a["at"])
        # a signature over another body, or with another secret, does not verify
        raw = rec.received("message.created")[0]["raw"]
        good = {"X-Parley-Timestamp": str(int(time.time())), "X-Parley-Signature": "sha256="
                + hmac.new(rec.secret.encode(), str(int(time.time())).encode() + b"." + raw,
                           hashlib.sha256).hexdigest()}
        self.assertTrue(rec.verify(good, raw))
        self.assertFalse(rec.verify(good, raw + b" "))
        old = str(int(time.time()) - REPLAY_WINDOW_S - 60)
        stale = {"X-Parley-Timestamp": old, "X-Parley-Signature": "sha256=" + hmac.new(
            rec.secret.encode(), old.encode() + b"." + raw, hashlib.sha256).hexdigest()}
        self.assertFalse(rec.verify(stale, raw))
        # only what was asked for, only to active webhooks
        time.sleep(T(0.5))
        self.assertEqual(other.received(), [])
        self.assertEqual(off.received(), [])

    def test_failures_are_retried_with_backoff(self):
        rec = self.receiver(fail_first=2, status=500)
        w = self.hook(rec, ["session.created"])
        _, cust = make_customer(self.server)
        make_session(self.server, cust)
        [d] = self.wait_delivery(w["id"], "sent")
        got = rec.received()
        self.assertEqual(len(got), 3)
        self.assertEqual(len({r["delivery"] for r in got}), 1, "the same delivery id each time")
        self.assertTrue(all(r["signature_ok"] for r in got))
        self.assertEqual(len({r["raw"] for r in got}), 1, "the same body each time")
        self.assertEqual(d["attempts"], 3)
        self.assertEqual([a["status_code"] for a in d["attempts_log"]], [500, 500, 200])
        self.assertEqual([a["attempt"] for a in d["attempts_log"]], [1, 2, 3])
        self.assertEqual(d["attempts_log"][0]["error"], "HTTP 500: nope")
        # the waits: at least the fixed half of base * 2^(n-1) (200 ms, 400 ms)
        self.assertGreaterEqual(got[1]["at"] - got[0]["at"], 0.1 - 0.02)
        self.assertGreaterEqual(got[2]["at"] - got[1]["at"], 0.2 - 0.02)

    def test_a_timeout_is_retried(self):
        server = ParleyServer(["--webhooks-allow-private", "1", "--webhooks-timeout-ms", "500",
                               "--notify-retry-base-ms", "100"])
        self.addCleanup(server.close)
        email = unique_email("admin")
        server.create_admin(email, "Admin", ADMIN_PASSWORD)
        server.start()
        token, _ = login(server, email, ADMIN_PASSWORD)
        rec = self.receiver(delay_first=2.0)
        r = create_webhook(server.client(token), rec.url, ["session.created"])
        self.assertStatus(r, 201)
        rec.secret = r.body["secret"]
        _, cust = make_customer(server)
        make_session(server, cust)

        def sent():
            log = deliveries(server.client(token), r.body["id"])
            return log and log[0]["state"] == "sent" and log[0]
        d = wait_until(sent, timeout=20, message="sent after a timeout")
        first = d["attempts_log"][0]
        self.assertIsNone(first["status_code"])
        self.assertIn("timed out", first["error"].lower())
        self.assertLess(first["duration_ms"], 1900)
        self.assertEqual(d["attempts_log"][-1]["status_code"], 200)
        server.stop()

    def test_dead_letter_then_replay(self):
        rec = self.receiver(fail_first=-1, status=503)
        w = self.hook(rec, ["session.created"])
        _, cust = make_customer(self.server)
        make_session(self.server, cust)
        [d] = self.wait_delivery(w["id"], "dead")
        self.assertEqual(d["attempts"], 4)  # --notify-max-attempts
        self.assertEqual(len(d["attempts_log"]), 4)
        self.assertEqual({a["status_code"] for a in d["attempts_log"]}, {503})
        self.assertEqual(d["last_error"], "HTTP 503: nope")
        self.assertIsNone(d["next_attempt_at"])
        time.sleep(T(0.6))
        self.assertEqual(len(rec.received()), 4, "a dead delivery is not tried again")
        admin = self.c(self.admin_token)
        # the receiver is fixed; the admin replays the dead letter
        rec.fail_first = 0
        r = admin.post(f"/api/v1/webhooks/{w['id']}/deliveries/{d['id']}/replay")
        self.assertStatus(r, 202)
        self.assertEqual((r.body["id"], r.body["state"], r.body["attempts"]),
                         (d["id"], "pending", 0))
        [d2] = self.wait_delivery(w["id"], "sent")
        self.assertEqual(d2["attempts"], 1)
        self.assertEqual(d2["attempts_log"][-1]["status_code"], 200)
        got = rec.received()
        self.assertEqual(len(got), 5)
        self.assertEqual(got[-1]["delivery"], got[0]["delivery"], "a replay keeps its id")
        self.assertTrue(got[-1]["signature_ok"])
        self.assertIn(("webhook.replay", w["id"]),
                      [(e["action"], e.get("target_id"))
                       for e in admin.get("/api/v1/audit?limit=20").body["entries"]])
        # refusals: another webhook's delivery, an unknown one, one still queued
        other = self.hook(self.receiver(), ["ticket.created"], active=False)
        self.assertError(admin.post(
            f"/api/v1/webhooks/{other['id']}/deliveries/{d['id']}/replay"), 404, "not_found")
        self.assertError(admin.post(
            f"/api/v1/webhooks/{w['id']}/deliveries/dlv_{'0' * 26}/replay"), 404, "not_found")
        self.assertError(admin.get(f"/api/v1/webhooks/whk_{'0' * 26}/deliveries"), 404,
                         "not_found")

    def test_no_redirect_is_followed(self):
        target = self.receiver()
        rec = self.receiver(fail_first=-1, status=302, location=target.url)
        w = self.hook(rec, ["session.created"])
        _, cust = make_customer(self.server)
        make_session(self.server, cust)
        wait_until(lambda: len(rec.received()) >= 2, timeout=15, message="two attempts")
        d = deliveries(self.c(self.admin_token), w["id"])[0]
        self.assertEqual(d["attempts_log"][0]["status_code"], 302)
        self.assertEqual(target.received(), [], "the redirect was not followed")


def start_admin_server(args, data_dir=None):
    server = ParleyServer(args, data_dir=data_dir)
    email = unique_email("admin")
    server.create_admin(email, "Admin", ADMIN_PASSWORD)
    server.start()
    token, _ = login(server, email, ADMIN_PASSWORD)
    return server, email, token


def kill_9(server):
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(T(30))
    server.proc = None


class WebhookCrashTest(unittest.TestCase):
    """kill -9 loses no delivery; what is repeated carries the same id."""

    def receiver(self, **kw):
        r = Receiver(**kw)
        self.addCleanup(r.close)
        return r

    def test_pending_deliveries_survive_kill_9(self):
        server, email, token = start_admin_server(["--webhooks-allow-private", "1",
                                                   "--notify-delivery", "0"])
        self.addCleanup(server.close)
        rec = self.receiver()
        r = create_webhook(server.client(token), rec.url, ["session.created"])
        assert r.status == 201, r.body
        rec.secret, hook_id = r.body["secret"], r.body["id"]
        # two more: one made inactive, one deleted, before their deliveries go
        off, gone = self.receiver(), self.receiver()
        hooks = [create_webhook(server.client(token), x.url, ["session.created"]).body["id"]
                 for x in (off, gone)]
        _, cust = make_customer(server)
        sessions = {make_session(server, cust)["id"] for _ in range(3)}
        log = deliveries(server.client(token), hook_id)
        self.assertEqual([d["state"] for d in log], ["pending"] * 3)
        # still queued: no replay
        r = server.client(token).post(f"/api/v1/webhooks/{hook_id}/deliveries/{log[0]['id']}"
                                      "/replay")
        self.assertEqual((r.status, r.body["error"]["code"]), (409, "conflict"), r.body)
        self.assertEqual(server.client(token).patch(f"/api/v1/webhooks/{hooks[0]}",
                                                    {"active": False}).status, 200)
        self.assertEqual(server.client(token).delete(f"/api/v1/webhooks/{hooks[1]}").status, 204)
        kill_9(server)
        server.extra_args = ["--webhooks-allow-private", "1", "--notify-delivery", "1"]
        server.start()
        token, _ = login(server, email, ADMIN_PASSWORD)
        wait_until(lambda: len(rec.unique()) == 3, timeout=20, message="three deliveries")
        # the inactive and the deleted webhook's deliveries are dead, with why
        wait_until(lambda: [d["state"] for d in deliveries(server.client(token), hooks[0])]
                   == ["dead"] * 3, message="the inactive webhook's deliveries dead")
        self.assertEqual({d["last_error"] for d in deliveries(server.client(token), hooks[0])},
                         {"the webhook is inactive"})

        def dead_deleted():
            r = server.client(token).get("/api/v1/notifications/deliveries?state=dead&limit=200")
            return [d for d in r.body["deliveries"]
                    if d["last_error"] == "the webhook was deleted"]
        wait_until(lambda: len(dead_deleted()) == 3, message="the deleted webhook's dead")
        self.assertEqual(off.received() + gone.received(), [])
        self.assertEqual({r["body"]["data"]["session"]["id"] for r in rec.unique()}, sessions)
        self.assertTrue(all(r["signature_ok"] for r in rec.received()))
        self.assertEqual({r["delivery"] for r in rec.unique()},
                         {d["idempotency_key"] for d in log})
        wait_until(lambda: all(d["state"] == "sent"
                               for d in deliveries(server.client(token), hook_id)),
                   message="all sent")
        time.sleep(T(0.5))
        self.assertEqual(len(rec.received()), 3, "each once")
        server.stop()

    def test_kill_9_during_a_delivery_sends_it_again_with_the_same_id(self):
        args = ["--webhooks-allow-private", "1"]
        server, email, token = start_admin_server(args)
        self.addCleanup(server.close)
        rec = self.receiver()
        rec.hold = threading.Event()
        r = create_webhook(server.client(token), rec.url, ["session.created"])
        assert r.status == 201, r.body
        rec.secret, hook_id = r.body["secret"], r.body["id"]
        _, cust = make_customer(server)
        make_session(server, cust)
        # the receiver has the request; parleyd dies before it has the answer
        self.assertTrue(rec.held.wait(T(20)), "the first attempt never came")
        kill_9(server)
        rec.hold.set()
        server.start()
        token, _ = login(server, email, ADMIN_PASSWORD)
        wait_until(lambda: len(rec.received()) == 2, timeout=20, message="the second attempt")
        first, second = rec.received()
        self.assertEqual(first["delivery"], second["delivery"])
        self.assertEqual(first["raw"], second["raw"])
        self.assertTrue(second["signature_ok"])
        self.assertEqual(len(rec.unique()), 1)
        wait_until(lambda: deliveries(server.client(token), hook_id)[0]["state"] == "sent",
                   message="sent")
        server.stop()


class WebhookTargetRefusalTest(ServerTestCase):
    """Without --webhooks-allow-private: loopback, private, link-local and
    names resolving to them are refused when written and when delivered."""

    def test_refused_at_creation(self):
        admin = self.c(self.admin_token)
        for url, kind in [("http://127.0.0.1:8080/h", "loopback"),
                          ("http://10.1.2.3/h", "private"),
                          ("http://192.168.1.20/h", "private"),
                          ("http://169.254.169.254/latest/meta-data/", "link-local"),
                          ("http://100.64.1.1/h", "CGNAT"),
                          ("http://[::1]:8080/h", "loopback"),
                          ("http://[fd00::5]/h", "private"),
                          ("http://[::ffff:127.0.0.1]/h", "loopback"),
                          ("http://0.0.0.0/h", "unspecified"),
                          ("http://localhost:8080/h", "loopback")]:
            with self.subTest(url=url):
                err = self.assertError(create_webhook(admin, url, ["message.created"]), 400,
                                       "validation_failed", "url")
                self.assertIn(kind, err["message"])
                self.assertIn("--webhooks-allow-private", err["message"])
        # a public address is accepted (inactive: nothing is sent there)
        r = create_webhook(admin, "https://203.0.113.10/h", ["message.created"], active=False)
        self.assertStatus(r, 201)
        # and cannot be changed into a refused one
        err = self.assertError(admin.patch(f"/api/v1/webhooks/{r.body['id']}",
                                           {"url": "http://127.0.0.2/h"}),
                               400, "validation_failed", "url")
        self.assertIn("loopback", err["message"])

    def test_refused_at_delivery(self):
        """A webhook written while private targets were allowed (or a name
        that resolves elsewhere by now) is dead at delivery, with the reason,
        and nothing reaches the receiver."""
        rec = Receiver()
        self.addCleanup(rec.close)
        server, email, token = start_admin_server(["--webhooks-allow-private", "1",
                                                   "--notify-delivery", "0"])
        self.addCleanup(server.close)
        r = create_webhook(server.client(token), f"http://localhost:{rec.port}/hook",
                           ["session.created"])
        assert r.status == 201, r.body
        hook_id = r.body["id"]
        _, cust = make_customer(server)
        make_session(server, cust)
        server.stop()
        server.extra_args = []
        server.start()
        token, _ = login(server, email, ADMIN_PASSWORD)

        def dead():
            log = deliveries(server.client(token), hook_id)
            return log and log[0]["state"] == "dead" and log[0]
        d = wait_until(dead, timeout=20, message="the delivery dead")
        self.assertEqual(d["attempts"], 1)
        self.assertRegex(d["last_error"], r"^refused: url: localhost resolves to .*loopback")
        self.assertEqual(d["attempts_log"][0]["status_code"], None)
        self.assertEqual(rec.received(), [])
        server.stop()


class SlowReceiverTest(WebhooksTestCase):
    """Each channel has its own delivery worker: a webhook receiver that
    does not answer holds up only the webhooks' deliveries, not an agent's
    in-app notifications (with one worker for all, they waited for the
    webhook's timeout, here 30 s)."""
    server_args = WebhooksTestCase.server_args + ["--webhooks-timeout-ms", "30000"]

    def test_a_receiver_that_hangs_delays_no_other_channel(self):
        agent, agent_token, _, _ = make_agent(self.server, self.admin_token)
        rx = self.receiver()
        rx.hold = threading.Event()
        hook = self.hook(rx, ["session.created"])
        _, cust = make_customer(self.server)
        make_session(self.server, cust)
        self.assertTrue(rx.held.wait(T(20)), "the webhook's first request")
        # the webhook worker is now stuck in that request: a second waiting
        # customer's in-app notification is delivered all the same
        _, cust2 = make_customer(self.server)
        s2 = make_session(self.server, cust2)
        admin = self.c(self.admin_token)

        def in_app_sent():
            r = self.c(agent_token).get("/api/v1/notifications?limit=50")
            mine = [n for n in r.body["notifications"] if n["session_id"] == s2["id"]]
            if not mine:
                return False
            d = admin.get("/api/v1/notifications/deliveries?notification_id=" + mine[0]["id"])
            return any(x["channel"] == "in_app" and x["state"] == "sent"
                       for x in d.body["deliveries"])
        wait_until(in_app_sent, timeout=10, message="the in-app delivery while a webhook hangs")
        self.assertFalse(rx.hold.is_set())
        self.assertEqual(len(rx.received()), 1, "the webhook still holds its first request")
        rx.hold.set()
        self.wait_delivery(hook["id"], "sent", count=2)


if __name__ == "__main__":
    unittest.main()
