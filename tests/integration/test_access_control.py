"""Access control (issue 3): the authorization matrix of every route and
WebSocket action x every role x own/other resource, agent and bot
management, and revocation taking effect at once."""

import json
import os
import unittest

from parley_harness import (ADMIN_PASSWORD, ServerTestCase, WSClient, WSHandshakeError, all_pages,
                            login, make_agent, make_customer, make_session, uniq, unique_email)

ROLES = ["admin", "agent", "customer_own", "customer_other", "bot_attached", "bot_unattached",
         "anonymous"]


def row(*codes):
    """Expected statuses in the order of ROLES."""
    assert len(codes) == len(ROLES)
    return dict(zip(ROLES, codes))


class AuthorizationMatrixTest(ServerTestCase):
    """Every cell is checked; one wrong answer fails the test and names it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        srv = cls.server
        cls.agent, agent_token, _, _ = make_agent(srv, cls.admin_token)
        cls.own, own_token = make_customer(srv)
        cls.other, other_token = make_customer(srv)
        admin = srv.client(cls.admin_token)
        bot_a = admin.post("/api/v1/bots", {"name": "attached"}).body
        bot_u = admin.post("/api/v1/bots", {"name": "unattached"}).body
        cls.bot_attached_id = bot_a["bot"]["id"]
        cls.tokens = {"admin": cls.admin_token, "agent": agent_token, "customer_own": own_token,
                      "customer_other": other_token, "bot_attached": bot_a["token"],
                      "bot_unattached": bot_u["token"], "anonymous": None}
        cls.session = cls.fresh_session()
        rated = cls.fresh_session()
        r = srv.client(own_token).post(f"/api/v1/sessions/{rated}/feedback", {"rating": 5})
        assert r.status == 201, r.body
        cls.rated_session = rated
        r = admin.post("/api/v1/tickets", {"session_id": cls.session, "issue_description": "x"})
        assert r.status == 201, r.body
        cls.ticket = r.body["id"]
        r = srv.client(own_token).post(f"/api/v1/sessions/{cls.session}/messages",
                                       {"content": "a message to read"})
        assert r.status == 201, r.body
        cls.message = r.body["id"]
        admin_client = srv.client(cls.admin_token)
        r = admin_client.post("/api/v1/canned-responses", {"shortcode": uniq("team").lower(),
                                                          "title": "t", "content": "c"})
        assert r.status == 201, r.body
        cls.canned = r.body["id"]
        cls.label = uniq("lbl").lower()
        r = admin_client.post("/api/v1/labels", {"name": cls.label})
        assert r.status == 201, r.body
        # an upload of customer_own, attached in the session (upload.read)
        r = srv.client(own_token).post("/api/v1/uploads", raw=b"a note to attach\n",
                                       headers={"Content-Type": "text/plain"})
        assert r.status == 201, r.body
        cls.upload = r.body["id"]
        r = srv.client(own_token).post(f"/api/v1/sessions/{cls.session}/messages",
                                       {"content": "see the file", "attachment_id": cls.upload})
        assert r.status == 201, r.body
        cls.team = cls.fresh_team()
        cls.webhook = cls.new_webhook()

    @classmethod
    def new_webhook(cls):
        """An inactive webhook to a public address (nothing is sent)."""
        r = cls.server.client(cls.admin_token).post("/api/v1/webhooks", {
            "url": "https://203.0.113.10/h", "events": ["message.created"], "active": False})
        assert r.status == 201, r.body
        return r.body["id"]

    @classmethod
    def fresh_team(cls, member=None):
        admin = cls.server.client(cls.admin_token)
        r = admin.post("/api/v1/teams", {"name": uniq("team "), "topics": []})
        assert r.status == 201, r.body
        if member is not None:
            m = admin.post(f"/api/v1/teams/{r.body['id']}/members", {"agent_id": member})
            assert m.status == 201, m.body
        return r.body["id"]

    @classmethod
    def assigned_session(cls):
        """A fresh session of customer_own, assigned to the agent."""
        sid = cls.fresh_session()
        r = cls.server.client(cls.admin_token).post(f"/api/v1/sessions/{sid}/assign",
                                                    {"agent_id": cls.agent["id"]})
        assert r.status == 200, r.body
        return sid

    @classmethod
    def fresh_session(cls):
        """A session of customer_own with the attached bot."""
        s = make_session(cls.server, cls.tokens["customer_own"])
        r = cls.server.client(cls.admin_token).post(f"/api/v1/sessions/{s['id']}/bot",
                                                    {"bot_id": cls.bot_attached_id})
        assert r.status == 200, r.body
        return s["id"]

    def cells(self):
        """(name, method, path or factory, body or factory, expected row)."""
        S = self.session
        fresh = lambda: self.fresh_session()  # noqa: E731
        return [
            ("me", "GET", "/api/v1/me", None, row(200, 200, 200, 200, 200, 200, 401)),
            ("create agent", "POST", "/api/v1/agents",
             lambda: {"name": "N", "email": unique_email("m"), "password": "password-123"},
             row(201, 403, 403, 403, 403, 403, 401)),
            ("list agents", "GET", "/api/v1/agents", None, row(200, 200, 403, 403, 403, 403, 401)),
            ("update agent", "PATCH", f"/api/v1/agents/{self.agent['id']}", {"name": "Renamed"},
             row(200, 403, 403, 403, 403, 403, 401)),
            # a wrong current password: staff get 400, nothing changes
            ("change own password", "POST", "/api/v1/me/password",
             {"current_password": "not-the-password", "new_password": "password-456"},
             row(400, 400, 403, 403, 403, 403, 401)),
            ("reset password", "POST",
             lambda: f"/api/v1/agents/{make_agent(self.server, self.admin_token)[0]['id']}"
                     "/password", {"password": "password-789"},
             row(204, 403, 403, 403, 403, 403, 401)),
            ("create bot", "POST", "/api/v1/bots", {"name": "b"},
             row(201, 403, 403, 403, 403, 403, 401)),
            ("list bots", "GET", "/api/v1/bots", None, row(200, 403, 403, 403, 403, 403, 401)),
            ("revoke bot", "DELETE",
             lambda: "/api/v1/bots/" + self.server.client(self.admin_token).post(
                 "/api/v1/bots", {"name": "doomed"}).body["bot"]["id"], None,
             row(204, 403, 403, 403, 403, 403, 401)),
            ("create session", "POST", "/api/v1/sessions", {"topic": "t"},
             row(403, 403, 201, 201, 403, 403, 401)),
            ("list sessions", "GET", "/api/v1/sessions", None,
             row(200, 200, 200, 200, 403, 403, 401)),
            ("read session", "GET", f"/api/v1/sessions/{S}", None,
             row(200, 200, 200, 404, 200, 404, 401)),
            ("assign", "POST", f"/api/v1/sessions/{S}/assign", {"agent_id": self.agent["id"]},
             row(200, 200, 403, 403, 403, 403, 401)),
            ("attach bot", "POST", f"/api/v1/sessions/{S}/bot", {"bot_id": self.bot_attached_id},
             row(200, 200, 403, 403, 403, 403, 401)),
            ("close", "POST", lambda: f"/api/v1/sessions/{fresh()}/close", None,
             row(200, 200, 200, 404, 403, 403, 401)),
            ("send message", "POST", f"/api/v1/sessions/{S}/messages", {"content": "hi"},
             row(201, 201, 201, 404, 201, 404, 401)),
            ("read messages", "GET", f"/api/v1/sessions/{S}/messages", None,
             row(200, 200, 200, 404, 200, 404, 401)),
            ("read one message", "GET", f"/api/v1/messages/{self.message}", None,
             row(200, 200, 200, 404, 200, 404, 401)),
            ("review queue", "GET", "/api/v1/flagged", None,
             row(200, 200, 403, 403, 403, 403, 401)),
            ("audit log", "GET", "/api/v1/audit", None, row(200, 403, 403, 403, 403, 403, 401)),
            ("rate", "POST", lambda: f"/api/v1/sessions/{fresh()}/feedback", {"rating": 4},
             row(403, 403, 201, 404, 403, 403, 401)),
            ("read rating", "GET", f"/api/v1/sessions/{self.rated_session}/feedback", None,
             row(200, 200, 200, 404, 403, 403, 401)),
            ("create ticket", "POST", "/api/v1/tickets",
             {"session_id": S, "issue_description": "d"}, row(201, 201, 403, 403, 403, 403, 401)),
            ("list tickets", "GET", "/api/v1/tickets", None,
             row(200, 200, 200, 200, 403, 403, 401)),
            ("read ticket", "GET", f"/api/v1/tickets/{self.ticket}", None,
             row(200, 200, 200, 404, 403, 403, 401)),
            ("update ticket", "PATCH", f"/api/v1/tickets/{self.ticket}", {"status": "open"},
             row(200, 200, 403, 403, 403, 403, 401)),
            ("read settings", "GET", "/api/v1/settings", None,
             row(200, 200, 403, 403, 403, 403, 401)),
            ("change settings", "PATCH", "/api/v1/settings", {"routing.agent_capacity": 5},
             row(200, 403, 403, 403, 403, 403, 401)),
            ("create kb entry", "POST", "/api/v1/kb/entries", {"question": "q?", "answer": "a"},
             row(201, 403, 403, 403, 403, 403, 401)),
            ("list kb entries", "GET", "/api/v1/kb/entries", None,
             row(200, 200, 403, 403, 403, 403, 401)),
            ("read kb entry", "GET", lambda: f"/api/v1/kb/entries/{self.kb_entry()}", None,
             row(200, 200, 403, 403, 403, 403, 401)),
            ("update kb entry", "PATCH", lambda: f"/api/v1/kb/entries/{self.kb_entry()}",
             {"answer": "b"}, row(200, 403, 403, 403, 403, 403, 401)),
            ("delete kb entry", "DELETE", lambda: f"/api/v1/kb/entries/{self.kb_entry()}", None,
             row(204, 403, 403, 403, 403, 403, 401)),
            ("search kb", "GET", "/api/v1/kb/search?q=question", None,
             row(200, 200, 403, 403, 403, 403, 401)),
            ("upload", "POST", "/api/v1/uploads", lambda: {"raw": b"plain text file\n"},
             row(201, 201, 201, 201, 201, 201, 401)),
            ("download upload", "GET", f"/api/v1/uploads/{self.upload}", None,
             row(200, 200, 200, 404, 200, 404, 401)),
            ("transcript", "GET", f"/api/v1/sessions/{S}/transcript", None,
             row(200, 200, 200, 404, 403, 403, 401)),
            ("set presence", "PUT", "/api/v1/agents/me/presence", {"status": "busy"},
             row(200, 200, 403, 403, 403, 403, 401)),
            ("set presence (POST)", "POST", "/api/v1/agents/me/presence", {"status": "busy"},
             row(200, 200, 403, 403, 403, 403, 401)),
            ("read queue", "GET", "/api/v1/queue", None, row(200, 200, 403, 403, 403, 403, 401)),
            ("transfer", "POST", f"/api/v1/sessions/{S}/transfer", {"team_id": self.team},
             row(200, 200, 403, 403, 403, 403, 401)),
            ("unassign", "POST", lambda: f"/api/v1/sessions/{self.assigned_session()}/unassign",
             None, row(200, 200, 403, 403, 403, 403, 401)),
            # customers may not see the organisation's teams (issue 9)
            ("list teams", "GET", "/api/v1/teams", None, row(200, 200, 403, 403, 403, 403, 401)),
            ("read team", "GET", f"/api/v1/teams/{self.team}", None,
             row(200, 200, 403, 403, 403, 403, 401)),
            ("create team", "POST", "/api/v1/teams", lambda: {"name": uniq("t ")},
             row(201, 403, 403, 403, 403, 403, 401)),
            ("update team", "PATCH", f"/api/v1/teams/{self.team}", {"topics": ["x"]},
             row(200, 403, 403, 403, 403, 403, 401)),
            ("delete team", "DELETE", lambda: f"/api/v1/teams/{self.fresh_team()}", None,
             row(204, 403, 403, 403, 403, 403, 401)),
            ("add team member", "POST", lambda: f"/api/v1/teams/{self.fresh_team()}/members",
             {"agent_id": self.agent["id"]}, row(201, 403, 403, 403, 403, 403, 401)),
            ("remove team member", "DELETE",
             lambda: f"/api/v1/teams/{self.fresh_team(self.agent['id'])}/members",
             {"agent_id": self.agent["id"]}, row(200, 403, 403, 403, 403, 403, 401)),
            # the agent tools (issue 5)
            ("list canned responses", "GET", "/api/v1/canned-responses", None,
             row(200, 200, 403, 403, 403, 403, 401)),
            ("create canned response", "POST", "/api/v1/canned-responses",
             lambda: {"shortcode": uniq("s").lower(), "title": "t", "content": "c"},
             row(201, 201, 403, 403, 403, 403, 401)),
            ("read canned response", "GET", f"/api/v1/canned-responses/{self.canned}", None,
             row(200, 200, 403, 403, 403, 403, 401)),
            ("edit team canned response", "PATCH", f"/api/v1/canned-responses/{self.canned}",
             {"title": "t2"}, row(200, 403, 403, 403, 403, 403, 401)),
            ("delete team canned response", "DELETE",
             lambda: "/api/v1/canned-responses/" + self.new_canned(), None,
             row(204, 403, 403, 403, 403, 403, 401)),
            ("write note", "POST", f"/api/v1/sessions/{S}/notes", {"content": "n"},
             row(201, 201, 403, 403, 403, 403, 401)),
            ("read notes", "GET", f"/api/v1/sessions/{S}/notes", None,
             row(200, 200, 403, 403, 403, 403, 401)),
            ("mark read", "POST", f"/api/v1/sessions/{S}/read", {"seq": 1},
             row(200, 200, 200, 404, 200, 404, 401)),
            ("read receipts", "GET", f"/api/v1/sessions/{S}/read", None,
             row(200, 200, 200, 404, 200, 404, 401)),
            ("list labels", "GET", "/api/v1/labels", None,
             row(200, 200, 403, 403, 403, 403, 401)),
            ("create label", "POST", "/api/v1/labels", lambda: {"name": uniq("l").lower()},
             row(201, 403, 403, 403, 403, 403, 401)),
            ("delete label", "DELETE", lambda: "/api/v1/labels/" + self.new_label(), None,
             row(204, 403, 403, 403, 403, 403, 401)),
            ("recolour label", "PATCH", lambda: "/api/v1/labels/" + self.new_label(),
             {"color": "#123456"}, row(200, 403, 403, 403, 403, 403, 401)),
            ("label a session", "POST", f"/api/v1/sessions/{S}/labels", {"label": self.label},
             row(200, 200, 403, 403, 403, 403, 401)),
            ("unlabel a session", "DELETE",
             lambda: f"/api/v1/sessions/{self.labelled_session()}/labels/{self.label}", None,
             row(200, 200, 403, 403, 403, 403, 401)),
            ("search messages", "GET", "/api/v1/search/messages?q=message", None,
             row(200, 200, 200, 200, 403, 403, 401)),
            ("search one session", "GET", f"/api/v1/search/messages?q=message&session_id={S}",
             None, row(200, 200, 200, 404, 403, 403, 401)),
            # the support desk (issue 5): tickets from sessions, internal notes,
            # the ratings list, reports
            ("ticket from session", "POST", f"/api/v1/sessions/{S}/ticket", {},
             row(201, 201, 403, 403, 403, 403, 401)),
            ("add ticket note", "POST", f"/api/v1/tickets/{self.ticket}/notes", {"body": "n"},
             row(201, 201, 403, 403, 403, 403, 401)),
            ("read ticket notes", "GET", f"/api/v1/tickets/{self.ticket}/notes", None,
             row(200, 200, 403, 403, 403, 403, 401)),
            ("list feedback", "GET", "/api/v1/feedback", None,
             row(200, 200, 403, 403, 403, 403, 401)),
            # outgoing webhooks (issue 14): admins only
            ("list webhooks", "GET", "/api/v1/webhooks", None,
             row(200, 403, 403, 403, 403, 403, 401)),
            ("create webhook", "POST", "/api/v1/webhooks",
             lambda: {"url": "https://203.0.113.10/h", "events": ["message.created"],
                      "active": False}, row(201, 403, 403, 403, 403, 403, 401)),
            ("read webhook", "GET", f"/api/v1/webhooks/{self.webhook}", None,
             row(200, 403, 403, 403, 403, 403, 401)),
            ("edit webhook", "PATCH", f"/api/v1/webhooks/{self.webhook}", {"description": "d"},
             row(200, 403, 403, 403, 403, 403, 401)),
            ("delete webhook", "DELETE", lambda: "/api/v1/webhooks/" + self.new_webhook(), None,
             row(204, 403, 403, 403, 403, 403, 401)),
            ("webhook deliveries", "GET", f"/api/v1/webhooks/{self.webhook}/deliveries", None,
             row(200, 403, 403, 403, 403, 403, 401)),
            ("replay webhook delivery", "POST",
             f"/api/v1/webhooks/{self.webhook}/deliveries/dlv_{'0' * 26}/replay", None,
             row(404, 403, 403, 403, 403, 403, 401)),
        ] + [(f"report {kind}", "GET", f"/api/v1/reports/{kind}", None,
              row(200, 403, 403, 403, 403, 403, 401))
             for kind in ("first-response", "resolution", "agents", "csat")]

    def kb_entry(self):
        r = self.server.client(self.admin_token).post("/api/v1/kb/entries",
                                                      {"question": uniq("q "), "answer": "a"})
        assert r.status == 201, r.body
        return r.body["id"]

    def new_canned(self):
        r = self.server.client(self.admin_token).post("/api/v1/canned-responses", {
            "shortcode": uniq("d").lower(), "title": "t", "content": "c"})
        assert r.status == 201, r.body
        return r.body["id"]

    def new_label(self):
        name = uniq("d").lower()
        r = self.server.client(self.admin_token).post("/api/v1/labels", {"name": name})
        assert r.status == 201, r.body
        return name

    def labelled_session(self):
        s = self.fresh_session()
        r = self.server.client(self.admin_token).post(f"/api/v1/sessions/{s}/labels",
                                                      {"label": self.label})
        assert r.status == 200, r.body
        return s

    def test_rest_matrix(self):
        wrong = []
        for name, method, path, body, expected in self.cells():
            for role in ROLES:
                p = path() if callable(path) else path
                b = body() if callable(body) else body
                if isinstance(b, dict) and "raw" in b:  # an upload: bytes, not JSON
                    r = self.server.client(self.tokens[role]).request(
                        method, p, raw=b["raw"], headers={"Content-Type": "text/plain"})
                else:
                    r = self.server.client(self.tokens[role]).request(method, p, body=b)
                if r.status != expected[role]:
                    wrong.append(f"{name} as {role}: {r.status} (want {expected[role]}) {r.body!r}")
                elif r.status >= 400:
                    code = {400: "validation_failed", 401: "unauthenticated", 403: "forbidden",
                            404: "not_found"}[r.status]
                    if r.body["error"]["code"] != code:
                        wrong.append(f"{name} as {role}: code {r.body['error']['code']}")
        self.assertEqual(wrong, [], "\n".join(wrong))

    def test_websocket_matrix(self):
        expected = {"admin": True, "agent": True, "customer_own": True, "customer_other": False,
                    "bot_attached": True, "bot_unattached": False}
        wrong = []
        for role, allowed in expected.items():
            ws = self.server.ws(token=self.tokens[role])
            try:
                ws.send_json({"type": "subscribe", "session_id": self.session, "after_seq": 0})
                m = ws.recv_json(type=("subscribed", "error"), timeout=10)
                if (m["type"] == "subscribed") != allowed:
                    wrong.append(f"subscribe as {role}: {m}")
                cid = uniq("m")
                ws.send_json({"type": "message.send", "session_id": self.session,
                              "content": f"from {role}", "client_msg_id": cid})
                m = ws.recv_json(type=("ack", "error"), match=lambda x: x.get("client_msg_id") == cid,
                                 timeout=10)
                if (m["type"] == "ack") != allowed:
                    wrong.append(f"message.send as {role}: {m}")
                elif not allowed and m["error"]["code"] != "not_found":
                    wrong.append(f"message.send as {role}: code {m['error']['code']}")
                ws.send_json({"type": "read", "session_id": self.session, "seq": 1})
                m = ws.recv_json(type=("read.ack", "error"),
                                 match=lambda x: "client_msg_id" not in x, timeout=10)
                if (m["type"] == "read.ack") != allowed:
                    wrong.append(f"read as {role}: {m}")
                elif not allowed and m["error"]["code"] != "not_found":
                    wrong.append(f"read as {role}: code {m['error']['code']}")
            finally:
                ws.close()
        self.assertEqual(wrong, [], "\n".join(wrong))


class AccountManagementTest(ServerTestCase):

    def test_role_changes_and_the_last_admin(self):
        agent, agent_token, email, password = make_agent(self.server, self.admin_token)
        admin = self.server.client(self.admin_token)
        self.assertError(self.server.client(agent_token).patch(
            f"/api/v1/agents/{agent['id']}", {"role": "admin"}), 403, "forbidden")
        r = admin.patch(f"/api/v1/agents/{agent['id']}", {"role": "admin", "name": "Promoted"})
        self.assertStatus(r, 200)
        self.assertEqual((r.body["role"], r.body["name"]), ("admin", "Promoted"))
        # the promoted agent now may create agents with the same token
        r = self.server.client(agent_token).post("/api/v1/agents", {
            "name": "x", "email": unique_email("x"), "password": "password-123"})
        self.assertStatus(r, 201)
        self.assertError(admin.patch(f"/api/v1/agents/{agent['id']}", {"role": "boss"}), 400,
                         "validation_failed", "role")
        self.assertError(admin.patch(f"/api/v1/agents/{agent['id']}", {"active": "no"}), 400,
                         "validation_failed", "active")
        self.assertError(admin.patch("/api/v1/agents/agt_missing", {"name": "x"}), 404,
                         "not_found")
        # two admins: one may step down; the last one may not
        me = admin.get("/api/v1/me").body
        self.assertStatus(admin.patch(f"/api/v1/agents/{agent['id']}", {"role": "agent"}), 200)
        self.assertError(admin.patch(f"/api/v1/agents/{me['id']}", {"role": "agent"}), 409,
                         "conflict")
        self.assertError(admin.patch(f"/api/v1/agents/{me['id']}", {"active": False}), 409,
                         "conflict")

    def test_deactivation_stops_tokens_and_sockets_at_once(self):
        agent, agent_token, email, password = make_agent(self.server, self.admin_token)
        ws = self.server.ws(token=agent_token)
        self.addCleanup(ws.close)
        ws.send_json({"type": "ping"})
        self.assertEqual(ws.recv_json(type="pong"), {"type": "pong"})
        admin = self.server.client(self.admin_token)
        r = admin.patch(f"/api/v1/agents/{agent['id']}", {"active": False})
        self.assertStatus(r, 200)
        self.assertIs(r.body["active"], False)
        self.assertError(self.server.client(agent_token).get("/api/v1/me"), 401,
                         "unauthenticated")
        ws.wait_closed(timeout=10)
        self.assertEqual(ws.close_code, 1008)
        r = self.server.client().post("/api/v1/auth/login", {"email": email, "password": password})
        self.assertError(r, 401, "unauthenticated")
        # reactivated: a fresh login works, the old token stays dead
        self.assertStatus(admin.patch(f"/api/v1/agents/{agent['id']}", {"active": True}), 200)
        new_token, _ = login(self.server, email, password)
        self.assertStatus(self.server.client(new_token).get("/api/v1/me"), 200)
        self.assertError(self.server.client(agent_token).get("/api/v1/me"), 401,
                         "unauthenticated")

    def test_bots_listed_and_revoked(self):
        admin = self.server.client(self.admin_token)
        created = admin.post("/api/v1/bots", {"name": uniq("Bot ")}).body
        bot_id, bot_token = created["bot"]["id"], created["token"]
        listed = admin.get("/api/v1/bots").body["bots"]
        self.assertIn(bot_id, [b["id"] for b in listed])
        ws = self.server.ws(token=bot_token)
        self.addCleanup(ws.close)
        ws.send_json({"type": "ping"})
        self.assertEqual(ws.recv_json(type="pong"), {"type": "pong"})
        self.assertStatus(admin.delete(f"/api/v1/bots/{bot_id}"), 204)
        self.assertError(self.server.client(bot_token).get("/api/v1/me"), 401, "unauthenticated")
        ws.wait_closed(timeout=10)
        self.assertEqual(ws.close_code, 1008)
        bots = {b["id"]: b for b in admin.get("/api/v1/bots").body["bots"]}
        self.assertIs(bots[bot_id]["active"], False)
        self.assertError(admin.delete("/api/v1/bots/bot_missing"), 404, "not_found")


class AuditLogTest(ServerTestCase):

    def test_security_actions_are_audited_without_secrets(self):
        admin = self.server.client(self.admin_token)
        newest = admin.get("/api/v1/audit?limit=1").body["entries"]
        before = newest[0]["id"] if newest else 0
        agent, agent_token, email, password = make_agent(self.server, self.admin_token)
        anon = self.server.client()
        self.assertError(anon.post("/api/v1/auth/login", {"email": email, "password": "nope-nope"}),
                         401, "unauthenticated")
        typed = "my-secret-password-typed-as-email"
        self.assertError(anon.post("/api/v1/auth/login", {"email": typed, "password": "x" * 9}),
                         401, "unauthenticated")
        admin = self.server.client(self.admin_token)
        self.assertStatus(admin.patch(f"/api/v1/agents/{agent['id']}", {"role": "admin"}), 200)
        bot = admin.post("/api/v1/bots", {"name": "audited"}).body["bot"]["id"]
        self.assertStatus(admin.delete(f"/api/v1/bots/{bot}"), 204)
        self.assertStatus(self.server.client(agent_token).post("/api/v1/auth/logout"), 204)
        # a plain agent may not read it
        _, plain_token, _, _ = make_agent(self.server, self.admin_token)
        self.assertError(self.server.client(plain_token).get("/api/v1/audit"), 403, "forbidden")
        r = admin.get("/api/v1/audit?limit=200")
        self.assertStatus(r, 200)
        entries = r.body["entries"]
        ids = [e["id"] for e in entries]
        self.assertEqual(ids, sorted(ids, reverse=True))  # newest first
        by_action = {}
        for e in entries:
            if e["id"] > before or e["detail"].get("via") == "cli":
                by_action.setdefault(e["action"], []).append(e)
        failed = by_action["login_failed"]
        self.assertIn({"target_id": agent["id"], "reason": "wrong_password"},
                      [{"target_id": e["target_id"], "reason": e["detail"]["reason"]}
                       for e in failed])
        unknown = [e for e in failed if e["detail"]["reason"] == "unknown_account"]
        self.assertEqual(len(unknown), 1)
        self.assertIsNone(unknown[0]["target_id"])
        self.assertIsNone(unknown[0]["actor"])
        self.assertEqual(unknown[0]["ip"], "127.0.0.1")
        self.assertNotIn(typed, json.dumps(r.body))
        self.assertIn(agent["id"], [e["target_id"] for e in by_action["login"]])
        update = [e for e in by_action["agent.update"] if e["target_id"] == agent["id"]][0]
        self.assertEqual(update["detail"], {"role": "admin"})
        self.assertEqual(update["actor"]["type"], "agent")
        self.assertEqual([e["target_id"] for e in by_action["bot.create"]], [bot])
        self.assertEqual([e["target_id"] for e in by_action["bot.revoke"]], [bot])
        self.assertIn(agent["id"], [e["target_id"] for e in by_action["logout"]])
        cli = [e for e in by_action["agent.create"] if e["detail"].get("via") == "cli"]
        self.assertEqual(len(cli), 1)
        # paging walks the whole log without repeats or gaps
        seen = [e["id"] for e in all_pages(admin, "/api/v1/audit?limit=3", "entries",
                                           max_pages=100_000)]
        self.assertEqual(len(seen), len(set(seen)))
        self.assertEqual(seen[:len(ids)], ids)

    def test_no_secret_is_stored_in_the_clear(self):
        """After a run, no password, token or mistyped secret appears anywhere
        in the data directory (database, WAL, anything else)."""
        agent, agent_token, email, password = make_agent(self.server, self.admin_token,
                                                         password="Unique-Agent-Passw0rd")
        _, customer_token = make_customer(self.server)
        bot_token = self.server.client(self.admin_token).post("/api/v1/bots",
                                                              {"name": "b"}).body["token"]
        typed = "Typed-Into-Email-Field-9"
        self.server.client().post("/api/v1/auth/login", {"email": typed, "password": "whatever1"})
        secrets = [password, agent_token, customer_token, bot_token, self.admin_token, typed,
                   ADMIN_PASSWORD]
        self.server.stop()  # flush everything the server holds to disk
        self.addCleanup(self.server.start)
        found, scanned = [], 0
        for root, _, files in os.walk(self.server.data_dir):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    blob = f.read()
                scanned += len(blob)
                found += [f"{secret[:6]}... in {name}" for secret in secrets
                          if secret.encode() in blob]
        self.assertGreater(scanned, 0)
        self.assertEqual(found, [])


SHOP = "https://shop.example.com"


class OriginPolicyTest(ServerTestCase):
    """--allowed-origins: browsers pages of listed sites (and this server's
    own) may call the API and open WebSockets; others are refused."""

    server_args = ["--allowed-origins", SHOP + ", https://help.example.com:8443",
                   "--frame-ancestors", SHOP]

    def handshake(self, origin):
        _, tok = make_customer(self.server)
        headers = {"Origin": origin} if origin else None
        try:
            ws = WSClient.connect(self.server.host, self.server.port, token=tok,
                                  extra_headers=headers)
        except WSHandshakeError as e:
            return e.status
        ws.close()
        return 101

    def test_websocket_origin_allowlist(self):
        own = f"http://127.0.0.1:{self.server.port}"
        self.assertEqual(self.handshake(SHOP), 101)
        self.assertEqual(self.handshake("https://help.example.com:8443"), 101)
        self.assertEqual(self.handshake(own), 101)
        self.assertEqual(self.handshake(None), 101)  # not a browser page
        self.assertEqual(self.handshake("https://evil.example"), 403)
        self.assertEqual(self.handshake("https://shop.example.com.evil.example"), 403)
        self.assertEqual(self.handshake("http://shop.example.com"), 403)  # other scheme

    def test_cors(self):
        c = self.server.client(self.admin_token)
        r = c.request("OPTIONS", "/api/v1/me", headers={
            "Origin": SHOP, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization"})
        self.assertStatus(r, 204)
        self.assertEqual(r.headers["access-control-allow-origin"], SHOP)
        self.assertIn("Authorization", r.headers["access-control-allow-headers"])
        self.assertNotIn("access-control-allow-credentials", r.headers)
        r = c.get("/api/v1/me", headers={"Origin": SHOP})
        self.assertStatus(r, 200)
        self.assertEqual(r.headers["access-control-allow-origin"], SHOP)
        self.assertEqual(r.headers["vary"], "Origin")
        r = c.get("/api/v1/me")
        self.assertNotIn("access-control-allow-origin", r.headers)
        for method in ("OPTIONS", "GET", "POST"):
            r = c.request(method, "/api/v1/me", headers={"Origin": "https://evil.example"})
            self.assertError(r, 403, "forbidden")
        # the refusal happens before anything is done
        r = self.server.client().post("/api/v1/customers", {"name": "x"},
                                      headers={"Origin": "https://evil.example"})
        self.assertError(r, 403, "forbidden")

    def test_frame_ancestors_configurable(self):
        r = self.server.client().get("/demo")
        self.assertStatus(r, 200)
        csp = r.headers["content-security-policy"]
        self.assertIn(f"frame-ancestors {SHOP}", csp)
        self.assertNotIn("x-frame-options", r.headers)
        self.assertEqual(r.headers["x-content-type-options"], "nosniff")


class DefaultOriginPolicyTest(ServerTestCase):

    def test_same_origin_only_by_default(self):
        r = self.server.client().get("/")
        self.assertIn("frame-ancestors 'self'", r.headers["content-security-policy"])
        self.assertEqual(r.headers["x-frame-options"], "SAMEORIGIN")
        c = self.server.client(self.admin_token)
        self.assertError(c.get("/api/v1/me", headers={"Origin": SHOP}), 403, "forbidden")
        own = f"http://127.0.0.1:{self.server.port}"
        self.assertStatus(c.get("/api/v1/me", headers={"Origin": own}), 200)

    def test_bad_settings_refuse_to_start(self):
        import subprocess
        import tempfile
        from parley_harness import parleyd_path, wrapper_argv, T
        for args in (["--require-verified-customers", "1"],
                     ["--allowed-origins", "javascript:alert(1)"],
                     ["--allowed-origins", "https://a.example/path"],
                     ["--frame-ancestors", "'self'; script-src *"]):
            with tempfile.TemporaryDirectory() as d:
                proc = subprocess.run(wrapper_argv() + [parleyd_path(), "--listen", "127.0.0.1:0",
                                                        "--data-dir", d] + args,
                                      capture_output=True, text=True, timeout=T(60))
                self.assertNotEqual(proc.returncode, 0, args)
                self.assertIn(args[0], proc.stderr)


class EnforcedIdentityTest(ServerTestCase):
    """--require-verified-customers: only verified customers start chats."""

    SECRET = "enforced-site-secret"
    server_args = ["--site-secret", SECRET, "--require-verified-customers", "1"]

    def test_unverified_customers_cannot_start_sessions(self):
        import hashlib
        import hmac
        _, anon_token = make_customer(self.server)
        r = self.server.client(anon_token).post("/api/v1/sessions", {"topic": "hi"})
        self.assertError(r, 403, "verification_required")
        ident = uniq("user-")
        sig = hmac.new(self.SECRET.encode(), ident.encode(), hashlib.sha256).hexdigest()
        r = self.server.client().post("/api/v1/customers", {"name": "V", "identifier": ident,
                                                            "identifier_hash": sig})
        self.assertStatus(r, 201)
        self.assertIs(r.body["customer"]["verified"], True)
        r = self.server.client(r.body["token"]).post("/api/v1/sessions", {"topic": "hi"})
        self.assertStatus(r, 201)


class TokenLifetimeTest(ServerTestCase):
    """Tokens end after their absolute lifetime however much they are used,
    and after the idle timeout when unused."""

    server_args = ["--token-lifetime-s", "4", "--token-idle-timeout-s", "2"]

    def test_idle_timeout_and_lifetime(self):
        import time
        _, tok = make_customer(self.server)
        c = self.server.client(tok)
        issued = time.monotonic()
        # kept alive by use past the idle timeout...
        while time.monotonic() - issued < 2.6:
            self.assertStatus(c.get("/api/v1/me"), 200)
            time.sleep(0.3)
        # ...but not past the absolute lifetime
        while time.monotonic() - issued < 4.5:
            r = c.get("/api/v1/me")
            if r.status == 401:
                break
            time.sleep(0.3)
        self.assertError(c.get("/api/v1/me"), 401, "unauthenticated")
        self.assertGreaterEqual(time.monotonic() - issued, 3.5)
        # an unused token ends after the idle timeout
        _, idle = make_customer(self.server)
        self.assertStatus(self.server.client(idle).get("/api/v1/me"), 200)
        time.sleep(2.4)
        r = self.server.client(idle).get("/api/v1/me")
        self.assertError(r, 401, "unauthenticated")
        self.assertIn("expired", r.body["error"]["message"])


if __name__ == "__main__":
    unittest.main()
