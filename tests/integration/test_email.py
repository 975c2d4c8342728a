"""The e-mail channel of the notification service (issue 14,
docs/subsystems/notifications.md "E-mail"), against a real SMTP server:
Debian's python3-aiosmtpd, started here on a free loopback port as this
(unprivileged) user. It checks what arrives (envelope, Date, Message-ID,
From, To, Subject, a multipart/alternative with a text and an HTML part,
HTML escaping), the signed link that reopens a customer's conversation
(followed, tampered with, expired), the preferences' defaults, and a
server that refuses (4xx, 5xx, nothing listening) through the worker's
retry, backoff and dead-letter path."""

import email
import email.policy
import email.utils
import hashlib
import hmac
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

try:
    from aiosmtpd.controller import Controller
except ImportError:  # Debian's package, when the tests run under another Python
    sys.path.append("/usr/lib/python3/dist-packages")
    from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from parley_harness import (ADMIN_PASSWORD, DeskTestCase, ParleyServer, login, make_agent,
                            make_customer, make_session, send_message, uniq, unique_email,
                            wait_until, T)

LINK_SECRET = "test-link-secret-of-the-email-tests"
FROM = "support@parley.test"
LINK_RE = re.compile(r"parley-resume=([A-Za-z0-9_]+)\.(\d+)\.([0-9a-f]{64})")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler: keeps what it accepts; recipients whose local
    part starts with flaky- are refused (451) twice, busy- always (451),
    gone- permanently (550)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []  # (mail_from, rcpt_tos, bytes)
        self.rcpt_attempts = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        with self.lock:
            n = self.rcpt_attempts[address] = self.rcpt_attempts.get(address, 0) + 1
        if local.startswith("flaky-") and n <= 2:
            return "451 4.3.0 try again later"
        if local.startswith("busy-"):
            return "451 4.3.0 mailbox busy"
        if local.startswith("gone-"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def to(self, address):
        with self.lock:
            return [email.message_from_bytes(m[2], policy=email.policy.default)
                    for m in self.messages if address in m[1]]

    def envelopes(self, address):
        with self.lock:
            return [(m[0], m[1]) for m in self.messages if address in m[1]]

    def attempts(self, address):
        with self.lock:
            return self.rcpt_attempts.get(address, 0)


class EmailTestCase(DeskTestCase):
    agents = 2
    extra_args = []
    smtp_options = {}  # more keyword arguments of aiosmtpd's SMTP (TLS, AUTH)

    @classmethod
    def setUpClass(cls):
        cls.mailbox = Mailbox()
        cls.smtp = Controller(cls.mailbox, hostname="127.0.0.1", port=free_port(),
                              **cls.smtp_options)
        cls.smtp.start()
        cls.addClassCleanup(cls.smtp.stop)
        cls.server_args = ["--smtp-url", f"smtp://127.0.0.1:{cls.smtp.port}",
                           "--smtp-from", FROM, "--link-secret", LINK_SECRET,
                           "--notify-retry-base-ms", "100", "--notify-retry-max-ms", "300",
                           "--notify-max-attempts", "3",
                           # in-app and e-mail only (web push: test_push.py)
                           "--push", "0"] + cls.extra_args
        super().setUpClass()

    def mail_to(self, address, count=1, timeout=15):
        return wait_until(lambda: (lambda m: m if len(m) >= count else None)(
            self.mailbox.to(address)), timeout=T(timeout), message=f"an e-mail to {address}")

    def inbox_of(self, token, event, session_id):
        def find():
            r = self.c(token).get("/api/v1/notifications?limit=200")
            self.assertEqual(r.status, 200)
            return [n for n in r.body["notifications"]
                    if n["event"] == event and n["session_id"] == session_id]
        return wait_until(find, timeout=T(10), message=f"a {event} notification")[0]

    def deliveries(self, notification_id):
        r = self.c(self.admin_token).get(
            "/api/v1/notifications/deliveries?notification_id=" + notification_id)
        self.assertEqual(r.status, 200, r.body)
        return {d["channel"]: d for d in r.body["deliveries"]}

    def delivery_in(self, notification_id, channel, states, timeout=15):
        def done():
            d = self.deliveries(notification_id).get(channel)
            return d if d is not None and d["state"] in states else None
        return wait_until(done, timeout=T(timeout), message=f"{channel} delivery in {states}")

    def agent_with_email(self, address):
        r = self.c(self.admin_token).post("/api/v1/agents", {
            "name": uniq("Mailed "), "email": address, "password": "agent-password-1"})
        self.assertEqual(r.status, 201, r.body)
        return r.body

    def assign_new_session(self, agent_id, topic):
        _, cust_token = make_customer(self.server)
        session = make_session(self.server, cust_token, topic=topic)
        r = self.c(self.admin_token).post(f"/api/v1/sessions/{session['id']}/assign",
                                          {"agent_id": agent_id})
        self.assertEqual(r.status, 200, r.body)
        return session


class AgentEmailTest(EmailTestCase):

    def test_assignment_arrives_with_headers_and_both_parts(self):
        topic = uniq("Refund <b>now</b> & \"later\"")
        session = self.assign_new_session(self.agent2["id"], topic)
        msg = self.mail_to(self.agent2["email"])[0]
        n = self.inbox_of(self.agent2_token, "session.assigned", session["id"])
        # the envelope and the headers
        self.assertEqual(self.mailbox.envelopes(self.agent2["email"])[0],
                         (FROM, [self.agent2["email"]]))
        self.assertEqual(msg["Subject"], "A conversation was assigned to you")
        self.assertEqual(email.utils.parseaddr(msg["From"]), ("Parley", FROM))
        self.assertEqual(email.utils.parseaddr(msg["To"])[1], self.agent2["email"])
        sent = email.utils.parsedate_to_datetime(msg["Date"]).timestamp()
        self.assertLess(abs(sent - time.time()), 120)
        # the Message-ID is the delivery's idempotency key
        d = self.delivery_in(n["id"], "email", {"sent"})
        self.assertEqual(d["attempts"], 1)
        self.assertEqual(d["idempotency_key"], f"{n['id']}:email")
        self.assertEqual(msg["Message-ID"], f"<{n['id']}.email@parley.test>")
        self.assertEqual(msg["Auto-Submitted"], "auto-generated")
        # multipart/alternative: text then HTML, the topic raw in one and
        # escaped in the other
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        parts = list(msg.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts], ["text/plain", "text/html"])
        text, html = parts[0].get_content(), parts[1].get_content()
        self.assertIn(topic, text)
        self.assertIn(f"Hello {self.agent2['name']}", text)
        self.assertNotIn("<b>now</b>", html)
        self.assertIn(topic.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                      .replace('"', "&quot;"), html)
        self.assertIn(f"/console#session={session['id']}", text)
        self.assertIn(f'href="http://127.0.0.1:{self.server.port}/console#session=', html)

    def test_waiting_customers_stay_in_app_by_default(self):
        r = self.c(self.agent_token).get("/api/v1/notifications/preferences")
        self.assertEqual(r.status, 200)
        events = r.body["events"]
        self.assertEqual(events["session.waiting"], {"in_app": True, "email": False})
        for name in ("session.assigned", "message.away", "note.mention", "ticket.assigned",
                     "ticket.updated", "reply.offline"):
            self.assertEqual(events[name], {"in_app": True, "email": True}, name)
        _, cust_token = make_customer(self.server)
        session = make_session(self.server, cust_token, topic=uniq("waiting "))
        n = self.inbox_of(self.agent_token, "session.waiting", session["id"])
        self.delivery_in(n["id"], "in_app", {"sent"})
        self.assertEqual(set(self.deliveries(n["id"])), {"in_app"})

    def test_an_agent_who_turns_an_event_on_gets_it(self):
        agent, token, address, _ = make_agent(self.server, self.admin_token)
        r = self.c(token).request("PUT", "/api/v1/notifications/preferences",
                              {"events": {"session.waiting": {"email": True},
                                          "session.assigned": {"email": False}}})
        self.assertEqual(r.status, 200, r.body)
        _, cust_token = make_customer(self.server)
        session = make_session(self.server, cust_token, topic=uniq("now by mail "))
        msg = self.mail_to(address)[0]
        self.assertEqual(msg["Subject"], "A customer is waiting")
        r = self.c(self.admin_token).post(f"/api/v1/sessions/{session['id']}/assign",
                                          {"agent_id": agent["id"]})
        self.assertEqual(r.status, 200)
        n = self.inbox_of(token, "session.assigned", session["id"])
        self.assertEqual(set(self.deliveries(n["id"])), {"in_app"})


class CustomerLinkTest(EmailTestCase):

    def reply_to_absent_customer(self, address=None):
        fields = {"email": address} if address else {}
        customer, cust_token = make_customer(self.server, **fields)
        session = make_session(self.server, cust_token, topic=uniq("where is my order "))
        reply = uniq("It ships tomorrow <really> ")
        send_message(self.server, self.agent_token, session["id"], reply)
        return customer, cust_token, session, reply

    def sign(self, session_id, expires):
        return hmac.new(LINK_SECRET.encode(), f"parley-resume:{session_id}:{expires}".encode(),
                        hashlib.sha256).hexdigest()

    def redeem(self, session_id, expires, signature):
        return self.c().post("/api/v1/conversation-links/redeem",
                             {"session_id": session_id, "expires": expires,
                              "signature": signature})

    def test_the_reply_arrives_and_its_link_reopens_the_conversation(self):
        address = f"{uniq('cust')}@example.test"
        customer, _, session, reply = self.reply_to_absent_customer(address)
        msg = self.mail_to(address)[0]
        self.assertEqual(msg["Subject"], "You have a new reply")
        parts = list(msg.iter_parts())
        text, html = parts[0].get_content(), parts[1].get_content()
        self.assertIn(reply, text)
        self.assertIn("It ships tomorrow &lt;really&gt;", html)
        link = LINK_RE.search(text)
        self.assertIsNotNone(link, text)
        sid, expires, sig = link.group(1), int(link.group(2)), link.group(3)
        self.assertEqual(sid, session["id"])
        self.assertIn(link.group(0), html)
        # about --link-ttl-s (a week) from now, signed with the server's secret
        self.assertLess(abs(expires - (time.time() + 604800)), 120)
        self.assertEqual(sig, self.sign(sid, expires))
        # following it: a new token of the same customer, which reads the history
        r = self.redeem(sid, expires, sig)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.body["customer"]["id"], customer["id"])
        self.assertEqual(r.body["session_id"], session["id"])
        h = self.c(r.body["token"]).get(f"/api/v1/sessions/{sid}/messages")
        self.assertEqual(h.status, 200, h.body)
        self.assertIn(reply, [m["content"] for m in h.body["messages"]])
        # audited
        audit = self.c(self.admin_token).get("/api/v1/audit?limit=50").body["entries"]
        self.assertTrue([e for e in audit if e["action"] == "session.link_redeemed" and
                         e["target_id"] == sid], audit[:3])

    def test_a_tampered_or_expired_link_is_refused(self):
        address = f"{uniq('cust')}@example.test"
        _, _, session, _ = self.reply_to_absent_customer(address)
        link = LINK_RE.search(list(self.mail_to(address)[0].iter_parts())[0].get_content())
        sid, expires, sig = link.group(1), int(link.group(2)), link.group(3)
        flipped = sig[:-1] + ("0" if sig[-1] != "0" else "1")
        self.assertError(self.redeem(sid, expires, flipped), 403, "link_invalid")
        self.assertError(self.redeem(sid, expires + 1, sig), 403, "link_invalid")
        # another session with this one's signature
        _, other_token = make_customer(self.server)
        other = make_session(self.server, other_token)
        self.assertError(self.redeem(other["id"], expires, sig), 403, "link_invalid")
        self.assertError(self.redeem(sid, expires, "zz" * 32), 403, "link_invalid")
        self.assertError(self.redeem(sid, expires, sig[:10]), 403, "link_invalid")
        # a well-signed link whose time is up
        past = int(time.time()) - 5
        self.assertError(self.redeem(sid, past, self.sign(sid, past)), 403, "link_expired")
        # malformed bodies
        r = self.c().post("/api/v1/conversation-links/redeem", {"session_id": sid})
        self.assertEqual(r.status, 400, r.body)

    def test_a_customer_without_an_address_gets_no_email_delivery(self):
        _, cust_token, session, _ = self.reply_to_absent_customer(None)
        n = self.inbox_of(cust_token, "reply.offline", session["id"])
        self.delivery_in(n["id"], "in_app", {"sent"})
        self.assertEqual(set(self.deliveries(n["id"])), {"in_app"})
        # one with an address gets both
        address = f"{uniq('cust')}@example.test"
        _, cust_token, session, _ = self.reply_to_absent_customer(address)
        n = self.inbox_of(cust_token, "reply.offline", session["id"])
        self.delivery_in(n["id"], "email", {"sent"})
        self.assertEqual(set(self.deliveries(n["id"])), {"in_app", "email"})


class RefusingServerTest(EmailTestCase):
    """The worker's retry path with --notify-max-attempts 3 and a 100 ms base."""

    @classmethod
    def setUpClass(cls):
        cls.templates = tempfile.mkdtemp(prefix="parley-templates-")
        cls.addClassCleanup(shutil.rmtree, cls.templates)
        with open(os.path.join(cls.templates, "notification.txt"), "w") as f:
            f.write("OPERATOR TEMPLATE for {{name}}: {{title}} / {{body}} / {{nothing}}.\n")
        cls.extra_args = ["--email-templates-dir", cls.templates]
        super().setUpClass()

    def notify_by_mail(self, local):
        """A new agent at local-...@example.test is assigned a session;
        returns (address, the session.assigned notification's id)."""
        address = f"{local}-{uniq('a')}@example.test"
        agent = self.agent_with_email(address)
        token, _ = login(self.server, address, "agent-password-1")
        session = self.assign_new_session(agent["id"], uniq("topic "))
        return address, self.inbox_of(token, "session.assigned", session["id"])["id"]

    def test_a_451_twice_is_retried_then_sent(self):
        address, nid = self.notify_by_mail("flaky")
        d = self.delivery_in(nid, "email", {"sent"})
        self.assertEqual(d["attempts"], 3)
        self.assertEqual(self.mailbox.attempts(address), 3)
        self.assertEqual(len(self.mail_to(address)), 1)
        self.assertIsNone(d["last_error"])

    def test_a_451_every_time_dead_letters_after_the_last_attempt(self):
        address, nid = self.notify_by_mail("busy")
        d = self.delivery_in(nid, "email", {"dead"})
        self.assertEqual(d["attempts"], 3)
        self.assertIn("451", d["last_error"])
        self.assertEqual(self.mailbox.attempts(address), 3)
        self.assertEqual(self.mailbox.to(address), [])

    def test_a_550_is_dead_at_once(self):
        address, nid = self.notify_by_mail("gone")
        d = self.delivery_in(nid, "email", {"dead"})
        self.assertEqual(d["attempts"], 1)
        self.assertIn("550", d["last_error"])
        self.assertEqual(self.mailbox.attempts(address), 1)

    def test_the_operator_template_replaces_the_text_part_only(self):
        address, nid = self.notify_by_mail("plain")
        self.delivery_in(nid, "email", {"sent"})
        msg = self.mail_to(address)[0]
        text, html = [p.get_content() for p in msg.iter_parts()]
        self.assertRegex(text, r"^OPERATOR TEMPLATE for Mailed \w+: "
                               r"A conversation was assigned to you / topic \w+ / \.\n$")
        self.assertIn("<!DOCTYPE html>", html)  # the compiled-in one


RESET_RE = re.compile(r"/reset-password#token=([0-9a-f]{64})")


class PasswordResetTestCase(EmailTestCase):
    agents = 0

    def request_reset(self, address, expect=202):
        r = self.c().post("/api/v1/password-reset", {"email": address})
        self.assertEqual(r.status, expect, r.body)
        return r

    def confirm(self, token, password):
        return self.c().post("/api/v1/password-reset/confirm",
                             {"token": token, "password": password})

    def reset_token(self, address, count=1):
        msg = self.mail_to(address, count)[count - 1]
        self.assertEqual(msg["Subject"], "Reset your Parley password")
        text, html = [p.get_content() for p in msg.iter_parts()]
        token = RESET_RE.search(text).group(1)
        self.assertIn(f"/reset-password#token={token}", html)
        return token

    def audit(self, action):
        entries = self.c(self.admin_token).get("/api/v1/audit?limit=100").body["entries"]
        return [e for e in entries if e["action"] == action]


class PasswordResetTest(PasswordResetTestCase):

    def test_reset_by_email_sets_the_password_once_and_signs_out_everywhere(self):
        agent, old_token, address, old_password = make_agent(self.server, self.admin_token)
        ws = self.server.ws(token=old_token)
        self.addCleanup(ws.close)
        r = self.request_reset(address)
        self.assertEqual(r.body, {"accepted": True})
        token = self.reset_token(address)
        # a password the policy refuses leaves the token usable
        self.assertEqual(self.confirm(token, "short").status, 400)
        r = self.confirm(token, "a-brand-new-password-2")
        self.assertEqual(r.status, 204, r.body)
        # signed out everywhere (the live socket too), the new password
        # works, the old one not
        ws.wait_closed(timeout=10)
        self.assertError(self.c(old_token).get("/api/v1/me"), 401, "unauthenticated")
        login(self.server, address, "a-brand-new-password-2")
        r = self.c().post("/api/v1/auth/login", {"email": address, "password": old_password})
        self.assertEqual(r.status, 401, r.body)
        # single use
        self.assertError(self.confirm(token, "yet-another-password-3"), 400, "invalid_token")
        login(self.server, address, "a-brand-new-password-2")
        # audited, without the address
        req = [e for e in self.audit("password_reset.request") if e["target_id"] == agent["id"]]
        self.assertTrue(req)
        self.assertEqual(req[0]["detail"], {"known": True})
        self.assertNotIn(address, str(req[0]))
        self.assertTrue([e for e in self.audit("agent.password_reset_by_email")
                         if e["target_id"] == agent["id"] and e["actor"]["id"] == agent["id"]])

    def test_an_unknown_address_is_answered_the_same_and_gets_nothing(self):
        address = f"{uniq('nobody')}@example.test"
        before = len(self.audit("password_reset.request"))
        r = self.request_reset(address)
        self.assertEqual(r.body, {"accepted": True})
        entries = self.audit("password_reset.request")
        self.assertEqual(len(entries), before + 1)
        self.assertEqual(entries[0]["detail"], {"known": False})
        self.assertIsNone(entries[0]["target_id"])
        # a known agent asked after it is mailed; the unknown one never was
        _, _, known, _ = make_agent(self.server, self.admin_token, do_login=False)
        self.request_reset(known)
        self.reset_token(known)
        self.assertEqual(self.mailbox.to(address), [])

    def test_tokens_that_are_not_one_are_refused(self):
        for token in ["0" * 64, "not-a-token", "f" * 128]:
            self.assertError(self.confirm(token, "a-brand-new-password-2"), 400,
                             "invalid_token")
        r = self.c().post("/api/v1/password-reset/confirm", {"token": "0" * 64})
        self.assertEqual(r.status, 400, r.body)
        r = self.c().post("/api/v1/password-reset", {})
        self.assertEqual(r.status, 400, r.body)

    def test_a_second_request_makes_a_second_token_both_single_use(self):
        _, _, address, _ = make_agent(self.server, self.admin_token, do_login=False)
        self.request_reset(address)
        first = self.reset_token(address, 1)
        self.request_reset(address)
        second = self.reset_token(address, 2)
        self.assertNotEqual(first, second)
        self.assertEqual(self.confirm(second, "second-password-22").status, 204)
        self.assertEqual(self.confirm(first, "first-password-11").status, 204)
        login(self.server, address, "first-password-11")
        self.assertError(self.confirm(second, "third-password-33"), 400, "invalid_token")


class PasswordResetLimitsTest(PasswordResetTestCase):
    extra_args = ["--password-reset-ttl-s", "1", "--limit-logins-per-minute", "3"]

    def test_an_expired_token_is_refused(self):
        _, _, address, password = make_agent(self.server, self.admin_token, do_login=False)
        self.request_reset(address)
        token = self.reset_token(address)
        time.sleep(1.2)
        self.assertError(self.confirm(token, "too-late-password-1"), 400, "invalid_token")
        login(self.server, address, password)

    def test_requests_are_throttled_like_logins(self):
        address = f"{uniq('flood')}@example.test"
        for _ in range(3):
            self.request_reset(address)
        r = self.c().post("/api/v1/password-reset", {"email": address})
        self.assertError(r, 429, "rate_limited")


def self_signed_certificate(directory):
    """A certificate for 127.0.0.1 and its key, made with the openssl CLI."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class StartTlsAuthTest(EmailTestCase):
    """--smtp-starttls 1 with AUTH: the server requires STARTTLS and AUTH
    (aiosmtpd refuses AUTH in the clear), the certificate is verified with
    --smtp-ca-file."""
    agents = 1
    USER, PASSWORD = "parley-relay", "relay password 42"

    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.mkdtemp(prefix="parley-smtp-tls-")
        cls.addClassCleanup(shutil.rmtree, cls.certs)
        cert, key = self_signed_certificate(cls.certs)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        cls.logins = []

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = (auth_data.login, auth_data.password) == (cls.USER.encode(),
                                                             cls.PASSWORD.encode())
            cls.logins.append((mechanism, ok, session.ssl is not None))
            return AuthResult(success=ok)
        cls.smtp_options = {"tls_context": context, "require_starttls": True,
                            "auth_required": True, "authenticator": authenticate}
        cls.extra_args = ["--smtp-starttls", "1", "--smtp-ca-file", cert,
                          "--smtp-user", cls.USER, "--smtp-password", cls.PASSWORD]
        super().setUpClass()

    def test_the_mail_goes_over_starttls_with_auth(self):
        session = self.assign_new_session(self.agent["id"], uniq("over tls "))
        msg = self.mail_to(self.agent["email"])[0]
        self.assertEqual(msg["Subject"], "A conversation was assigned to you")
        self.assertIn(session["topic"], list(msg.iter_parts())[0].get_content())
        # logged in with the configured user, over TLS
        self.assertIn(True, [ok and tls for _, ok, tls in self.logins], self.logins)


class NothingListeningTest(unittest.TestCase):

    def test_connection_refused_is_retried_then_dead(self):
        # the same server, another port where nothing listens
        dead_port = free_port()
        srv = ParleyServer(["--smtp-url", f"smtp://127.0.0.1:{dead_port}",
                            "--notify-retry-base-ms", "100", "--notify-retry-max-ms", "200",
                            "--notify-max-attempts", "2"])
        self.addCleanup(srv.close)
        admin_email = unique_email("admin")
        srv.create_admin(admin_email, "Admin Two", ADMIN_PASSWORD)
        srv.start()
        admin_token, _ = login(srv, admin_email, ADMIN_PASSWORD)
        agent, _, _, _ = make_agent(srv, admin_token)
        _, cust_token = make_customer(srv)
        session = make_session(srv, cust_token)
        r = srv.client(admin_token).post(f"/api/v1/sessions/{session['id']}/assign",
                                         {"agent_id": agent["id"]})
        self.assertEqual(r.status, 200)

        def dead():
            ds = srv.client(admin_token).get(
                "/api/v1/notifications/deliveries?state=dead").body["deliveries"]
            return [d for d in ds if d["channel"] == "email"]
        d = wait_until(dead, timeout=T(15), message="a dead e-mail delivery")[0]
        self.assertEqual(d["attempts"], 2)
        self.assertRegex(d["last_error"], r"(?i)smtp: .*(connect|refused)")
        srv.stop()


if __name__ == "__main__":
    unittest.main()
