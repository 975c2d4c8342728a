"""Login, logout, /me, agents and bots (docs/api-behaviour.md, "Agents and auth", "Bots")."""

import hashlib
import hmac
import unittest

from parley_harness import (ADMIN_PASSWORD, ServerTestCase, login, make_agent, make_customer,
                            uniq, unique_email)

SECRET_FIELDS = ("password", "password_hash", "hash", "secret")


class AuthAgentsTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent, cls.agent_token, cls.agent_email, cls.agent_password = make_agent(
            cls.server, cls.admin_token, name="Agent Smith")
        cls.customer, cls.customer_token = make_customer(cls.server, name="Carla Customer",
                                                         email="carla@example.com")

    # -- login -------------------------------------------------------------
    def test_login_ok_returns_token_and_agent(self):
        r = self.http.post("/api/v1/auth/login",
                           {"email": self.agent_email, "password": self.agent_password})
        self.assertStatus(r, 200)
        self.assertIsInstance(r.body["token"], str)
        self.assertGreater(len(r.body["token"]), 20)
        agent = r.body["agent"]
        self.assertEqual(agent["id"], self.agent["id"])
        self.assertEqual(agent["email"], self.agent_email)
        self.assertEqual(agent["name"], "Agent Smith")
        self.assertEqual(agent["role"], "agent")
        for f in SECRET_FIELDS:
            self.assertNotIn(f, agent)
        # the new token works
        me = self.http.get("/api/v1/me", token=r.body["token"])
        self.assertStatus(me, 200)
        self.assertEqual(me.body["id"], self.agent["id"])

    def test_admin_login_via_cli_created_admin(self):
        self.assertId(self.admin["id"], "agt")
        self.assertEqual(self.admin["role"], "admin")
        self.assertEqual(self.admin["email"], self.admin_email)
        self.assertEqual(self.admin["name"], "Admin One")

    def test_login_failures_are_identical_401(self):
        wrong_pw = self.http.post("/api/v1/auth/login",
                                  {"email": self.agent_email, "password": "wrong-password"})
        err1 = self.assertError(wrong_pw, 401, "unauthenticated")
        unknown = self.http.post("/api/v1/auth/login",
                                 {"email": unique_email("nobody"), "password": "whatever-123"})
        err2 = self.assertError(unknown, 401, "unauthenticated")
        self.assertEqual(err1["message"], err2["message"])
        self.assertNotIn("token", wrong_pw.body)

    def test_login_missing_fields_400(self):
        r = self.http.post("/api/v1/auth/login", {"email": self.agent_email})
        self.assertError(r, 400, "validation_failed", "password")
        r = self.http.post("/api/v1/auth/login", {"email": 42, "password": "x" * 10})
        self.assertError(r, 400, "validation_failed", "email")

    # -- logout --------------------------------------------------------------
    def test_logout_revokes_only_that_token(self):
        token1, _ = login(self.server, self.agent_email, self.agent_password)
        token2, _ = login(self.server, self.agent_email, self.agent_password)
        self.assertNotEqual(token1, token2)
        self.assertStatus(self.http.get("/api/v1/me", token=token1), 200)
        r = self.http.post("/api/v1/auth/logout", token=token1)
        self.assertEqual(r.status, 204, r.body)
        self.assertEqual(r.body, b"")
        self.assertError(self.http.get("/api/v1/me", token=token1), 401, "unauthenticated")
        self.assertError(self.http.get("/api/v1/sessions", token=token1), 401,
                         "unauthenticated")
        self.assertError(self.http.post("/api/v1/auth/logout", token=token1), 401,
                         "unauthenticated")
        # another token of the same agent is unaffected
        me = self.http.get("/api/v1/me", token=token2)
        self.assertStatus(me, 200)
        self.assertEqual(me.body["id"], self.agent["id"])

    def test_customer_logout(self):
        _, token = make_customer(self.server)
        self.assertStatus(self.http.get("/api/v1/me", token=token), 200)
        self.assertEqual(self.http.post("/api/v1/auth/logout", token=token).status, 204)
        self.assertError(self.http.get("/api/v1/me", token=token), 401, "unauthenticated")

    def test_logout_without_token_401(self):
        self.assertError(self.http.post("/api/v1/auth/logout"), 401, "unauthenticated")

    # -- /me ----------------------------------------------------------------------
    def me(self, token):
        r = self.http.get("/api/v1/me", token=token)
        self.assertStatus(r, 200)
        return r.body

    def test_me_agent(self):
        me = self.me(self.agent_token)
        self.assertFields(me, {"type": "agent", "id": self.agent["id"], "name": "Agent Smith",
                               "email": self.agent_email, "role": "agent"})
        self.assertIn(me["status"], ("online", "busy", "offline"))
        self.assertIn("language", me)
        for f in SECRET_FIELDS:
            self.assertNotIn(f, me)

    def test_me_admin(self):
        self.assertFields(self.me(self.admin_token),
                          {"type": "agent", "role": "admin", "id": self.admin["id"]})

    def test_me_customer(self):
        me = self.me(self.customer_token)
        self.assertFields(me, {"type": "customer", "id": self.customer["id"],
                               "name": "Carla Customer", "email": "carla@example.com"})
        self.assertIs(me["verified"], False)
        self.assertIn("language", me)

    def test_me_bot(self):
        r = self.http.post("/api/v1/bots", {"name": "Helper Bot"}, token=self.admin_token)
        self.assertStatus(r, 201)
        bot_token = r.body["token"]
        me = self.http.get("/api/v1/me", token=bot_token)
        self.assertStatus(me, 200)
        self.assertEqual(me.body["type"], "bot")
        self.assertEqual(me.body["id"], r.body["bot"]["id"])
        self.assertEqual(me.body["name"], "Helper Bot")

    def test_me_without_or_with_bad_token_401(self):
        self.assertError(self.http.get("/api/v1/me"), 401, "unauthenticated")
        self.assertError(self.http.get("/api/v1/me", token="pt_notarealtoken"), 401,
                         "unauthenticated")
        r = self.http.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
        self.assertError(r, 401, "unauthenticated")

    # -- customers ---------------------------------------------------------------
    def test_create_customer(self):
        r = self.http.post("/api/v1/customers",
                           {"name": "Dora", "email": "dora@example.com", "language": "es"})
        self.assertStatus(r, 201)
        c = r.body["customer"]
        self.assertId(c["id"], "cus")
        self.assertEqual(c["name"], "Dora")
        self.assertEqual(c["email"], "dora@example.com")
        self.assertEqual(c["language"], "es")
        self.assertIs(c["verified"], False)
        self.assertTime(c["created_at"])
        self.assertIsInstance(r.body["token"], str)

    def test_create_customer_without_optional_fields(self):
        r = self.http.post("/api/v1/customers", {"name": "Eve"})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["customer"]["name"], "Eve")
        self.assertIsNone(r.body["customer"].get("email"))
        self.assertIs(r.body["customer"]["verified"], False)

    def test_create_customer_validation(self):
        self.assertError(self.http.post("/api/v1/customers", {}), 400, "validation_failed",
                         "name")
        self.assertError(self.http.post("/api/v1/customers", {"name": ""}), 400,
                         "validation_failed", "name")
        self.assertError(self.http.post("/api/v1/customers", {"name": "x" * 201}), 400,
                         "validation_failed", "name")
        self.assertStatus(self.http.post("/api/v1/customers", {"name": "y" * 200}), 201)
        self.assertError(self.http.post("/api/v1/customers", {"name": "Ok", "email": 7}), 400,
                         "validation_failed", "email")

    def test_identifier_without_site_secret_is_unverified_and_not_merged(self):
        ident = uniq("user-")
        r1 = self.http.post("/api/v1/customers", {"name": "A", "identifier": ident})
        r2 = self.http.post("/api/v1/customers", {"name": "B", "identifier": ident})
        self.assertStatus(r1, 201)
        self.assertStatus(r2, 201)
        self.assertIs(r1.body["customer"]["verified"], False)
        self.assertIs(r2.body["customer"]["verified"], False)
        self.assertNotEqual(r1.body["customer"]["id"], r2.body["customer"]["id"])

    # -- agents ------------------------------------------------------------------
    def test_admin_creates_agent(self):
        email = unique_email("new")
        r = self.http.post("/api/v1/agents", {"name": "Nina", "email": email,
                                              "password": "12345678", "language": "fr"},
                           token=self.admin_token)
        self.assertStatus(r, 201)
        a = r.body
        self.assertId(a["id"], "agt")
        self.assertEqual(a["name"], "Nina")
        self.assertEqual(a["email"], email)
        self.assertEqual(a["role"], "agent")  # the default
        self.assertIn(a["status"], ("online", "busy", "offline"))
        self.assertEqual(a["language"], "fr")
        for f in SECRET_FIELDS:
            self.assertNotIn(f, a)
        # an 8-character password is long enough: the agent can log in
        token, agent = login(self.server, email, "12345678")
        self.assertEqual(agent["id"], a["id"])

    def test_admin_creates_admin_who_can_create_agents(self):
        admin2, token2, _, _ = make_agent(self.server, self.admin_token, role="admin")
        self.assertEqual(admin2["role"], "admin")
        r = self.http.post("/api/v1/agents", {"name": "By Admin2", "email": unique_email(),
                                              "password": "password-123"}, token=token2)
        self.assertStatus(r, 201)
        self.assertEqual(r.body["role"], "agent")

    def test_agent_cannot_create_agents(self):
        r = self.http.post("/api/v1/agents", {"name": "X", "email": unique_email(),
                                              "password": "password-123"},
                           token=self.agent_token)
        self.assertError(r, 403, "forbidden")

    def test_customer_and_anonymous_cannot_create_agents(self):
        body = {"name": "X", "email": unique_email(), "password": "password-123"}
        self.assertError(self.http.post("/api/v1/agents", body, token=self.customer_token),
                         403, "forbidden")
        self.assertError(self.http.post("/api/v1/agents", body), 401, "unauthenticated")

    def test_duplicate_email_409_case_insensitive(self):
        email = unique_email("dup")
        body = {"name": "D", "email": email, "password": "password-123"}
        self.assertStatus(self.http.post("/api/v1/agents", body, token=self.admin_token), 201)
        r = self.http.post("/api/v1/agents", body, token=self.admin_token)
        self.assertError(r, 409, "conflict")
        body2 = dict(body, email=email.upper())
        r = self.http.post("/api/v1/agents", body2, token=self.admin_token)
        self.assertError(r, 409, "conflict")

    def test_create_agent_validation(self):
        def post(**over):
            body = {"name": "V", "email": unique_email("v"), "password": "password-123"}
            body.update(over)
            body = {k: v for k, v in body.items() if v is not None}
            return self.http.post("/api/v1/agents", body, token=self.admin_token)

        self.assertError(post(password="1234567"), 400, "validation_failed", "password")
        self.assertError(post(role="superuser"), 400, "validation_failed", "role")
        self.assertError(post(email="no-at-sign.example.com"), 400, "validation_failed",
                         "email")
        self.assertError(post(name=""), 400, "validation_failed", "name")
        self.assertError(post(name="n" * 201), 400, "validation_failed", "name")
        self.assertError(post(name=None), 400, "validation_failed", "name")
        self.assertError(post(password=None), 400, "validation_failed", "password")
        self.assertError(post(password=12345678), 400, "validation_failed", "password")

    def test_list_agents(self):
        r = self.http.get("/api/v1/agents", token=self.agent_token)
        self.assertStatus(r, 200)
        agents = r.body["agents"]
        self.assertIsInstance(agents, list)
        by_id = {a["id"]: a for a in agents}
        self.assertIn(self.agent["id"], by_id)
        self.assertIn(self.admin["id"], by_id)
        mine = by_id[self.agent["id"]]
        self.assertEqual(mine["email"], self.agent_email)
        self.assertEqual(mine["name"], "Agent Smith")
        self.assertEqual(mine["role"], "agent")
        self.assertEqual(by_id[self.admin["id"]]["role"], "admin")
        for a in agents:
            self.assertEqual(set(("id", "name", "email", "role", "status", "language"))
                             - set(a), set(), a)
            self.assertIn(a["status"], ("online", "busy", "offline"))
            for f in SECRET_FIELDS:
                self.assertNotIn(f, a)
        self.assertEqual(len(by_id), len(agents), "duplicate agents in the list")

    def test_list_agents_forbidden_for_customer_and_anonymous(self):
        self.assertError(self.http.get("/api/v1/agents", token=self.customer_token), 403,
                         "forbidden")
        self.assertError(self.http.get("/api/v1/agents"), 401, "unauthenticated")

    # -- bots ----------------------------------------------------------------------
    def test_admin_creates_bot(self):
        r = self.http.post("/api/v1/bots", {"name": "FAQ Bot"}, token=self.admin_token)
        self.assertStatus(r, 201)
        self.assertId(r.body["bot"]["id"], "bot")
        self.assertEqual(r.body["bot"]["name"], "FAQ Bot")
        self.assertIsInstance(r.body["token"], str)
        self.assertGreater(len(r.body["token"]), 20)

    def test_bot_creation_requires_admin(self):
        self.assertError(self.http.post("/api/v1/bots", {"name": "B"}, token=self.agent_token),
                         403, "forbidden")
        self.assertError(self.http.post("/api/v1/bots", {"name": "B"},
                                        token=self.customer_token), 403, "forbidden")
        self.assertError(self.http.post("/api/v1/bots", {"name": "B"}), 401, "unauthenticated")
        self.assertError(self.http.post("/api/v1/bots", {}, token=self.admin_token), 400,
                         "validation_failed", "name")

    def test_bot_reaches_only_sessions_it_is_attached_to(self):
        r = self.http.post("/api/v1/bots", {"name": "Helpful Bot"}, token=self.admin_token)
        self.assertStatus(r, 201)
        bot_id, bot_token = r.body["bot"]["id"], r.body["token"]
        sid = self.http.post("/api/v1/sessions", {"topic": "hi"}, token=self.customer_token).body["id"]
        other = self.http.post("/api/v1/sessions", {"topic": "x"}, token=self.customer_token).body["id"]
        # not attached: the sessions do not exist for the bot; listing is not a bot's job
        self.assertError(self.http.get("/api/v1/sessions", token=bot_token), 403, "forbidden")
        for path in (f"/api/v1/sessions/{sid}", f"/api/v1/sessions/{sid}/messages"):
            self.assertError(self.http.get(path, token=bot_token), 404, "not_found")
        self.assertError(self.http.post(f"/api/v1/sessions/{sid}/messages", {"content": "beep"},
                                        token=bot_token), 404, "not_found")
        # only staff attach bots, and only existing ones
        self.assertError(self.http.post(f"/api/v1/sessions/{sid}/bot", {"bot_id": bot_id},
                                        token=self.customer_token), 403, "forbidden")
        self.assertError(self.http.post(f"/api/v1/sessions/{sid}/bot", {"bot_id": "bot_nope"},
                                        token=self.agent_token), 404, "not_found")
        r = self.http.post(f"/api/v1/sessions/{sid}/bot", {"bot_id": bot_id}, token=self.agent_token)
        self.assertStatus(r, 200)
        self.assertEqual(r.body["bot_id"], bot_id)
        # attached: the bot reads and writes that session, and only that one
        self.assertStatus(self.http.get(f"/api/v1/sessions/{sid}", token=bot_token), 200)
        r = self.http.post(f"/api/v1/sessions/{sid}/messages", {"content": "beep"}, token=bot_token)
        self.assertStatus(r, 201)
        self.assertEqual(r.body["sender"], {"type": "bot", "id": bot_id})
        self.assertError(self.http.get(f"/api/v1/sessions/{other}", token=bot_token), 404,
                         "not_found")
        # a live subscription of the bot ends with the attachment
        ws = self.server.ws(token=bot_token)
        self.addCleanup(ws.close)
        ws.send_json({"type": "subscribe", "session_id": sid, "after_seq": 0})
        self.assertEqual(ws.recv_json(type="subscribed")["session_id"], sid)
        # detached again: gone
        r = self.http.post(f"/api/v1/sessions/{sid}/bot", {"bot_id": None}, token=self.agent_token)
        ws.wait_closed(timeout=10)
        self.assertEqual(ws.close_code, 1008)
        self.assertStatus(r, 200)
        self.assertIsNone(r.body["bot_id"])
        self.assertError(self.http.get(f"/api/v1/sessions/{sid}", token=bot_token), 404,
                         "not_found")
        r = self.http.get(f"/api/v1/sessions/{sid}/messages", token=self.agent_token)
        self.assertEqual([m["content"] for m in r.body["messages"]], ["beep"])

    def test_admin_password_never_accepted_for_other_accounts(self):
        r = self.http.post("/api/v1/auth/login",
                           {"email": self.agent_email, "password": ADMIN_PASSWORD})
        self.assertError(r, 401, "unauthenticated")


class VerifiedIdentityTest(ServerTestCase):
    """API.md: with a site secret, `identifier` must carry identifier_hash =
    lowercase hex HMAC-SHA256(secret, identifier), else 401; the same
    identifier then returns the same customer (200 with a new token)."""

    SECRET = "site-secret-for-tests"
    server_args = ["--site-secret", SECRET]

    def sign(self, identifier):
        return hmac.new(self.SECRET.encode(), identifier.encode(), hashlib.sha256).hexdigest()

    def test_verified_customer(self):
        ident = uniq("user-")
        r = self.http.post("/api/v1/customers", {"name": "Vera", "identifier": ident,
                                                 "identifier_hash": self.sign(ident)})
        self.assertStatus(r, 201)
        self.assertIs(r.body["customer"]["verified"], True)
        self.assertEqual(r.body["customer"]["name"], "Vera")
        self.assertTime(r.body["customer"]["created_at"])
        first = r.body["customer"]["id"]
        r2 = self.http.post("/api/v1/customers", {"name": "Vera", "identifier": ident,
                                                  "identifier_hash": self.sign(ident)})
        self.assertStatus(r2, 200)  # seen before: the same customer, a new token
        self.assertNotEqual(r2.body["token"], r.body["token"])
        self.assertEqual(r2.body["customer"]["id"], first)
        self.assertIs(r2.body["customer"]["verified"], True)
        # both tokens act as the same customer
        me = self.http.get("/api/v1/me", token=r2.body["token"])
        self.assertEqual(me.body["id"], first)
        self.assertIs(me.body["verified"], True)
        # the first token keeps working too
        self.assertEqual(self.http.get("/api/v1/me", token=r.body["token"]).body["id"], first)

    def test_bad_or_missing_hash_401(self):
        ident = uniq("user-")
        r = self.http.post("/api/v1/customers", {"name": "M", "identifier": ident,
                                                 "identifier_hash": self.sign(ident + "x")})
        self.assertError(r, 401, "unauthenticated")
        r = self.http.post("/api/v1/customers", {"name": "M", "identifier": ident})
        self.assertError(r, 401, "unauthenticated")
        r = self.http.post("/api/v1/customers", {"name": "M", "identifier": ident,
                                                 "identifier_hash": "00" * 32})
        self.assertError(r, 401, "unauthenticated")

    def test_anonymous_customer_still_allowed(self):
        r = self.http.post("/api/v1/customers", {"name": "Anon"})
        self.assertStatus(r, 201)
        self.assertIs(r.body["customer"]["verified"], False)


if __name__ == "__main__":
    unittest.main()
