"""Passwords after creation: an agent changes their own (current one
required), an admin resets anyone's, and PATCH /agents/{id} refuses a
password (and any field it does not change) instead of answering 200
(docs/api-behaviour.md, "Agents and auth")."""

import unittest

from parley_harness import ServerTestCase, login, make_agent


class PasswordsTest(ServerTestCase):

    def audit_actions(self, target_id):
        r = self.server.client(self.admin_token).get("/api/v1/audit?limit=200")
        self.assertStatus(r, 200)
        return [e["action"] for e in r.body["entries"] if e["target_id"] == target_id]

    def test_change_own_password_signs_out_other_devices_only(self):
        agent, token_a, email, password = make_agent(self.server, self.admin_token)
        token_b, _ = login(self.server, email, password)  # a second device
        ws_a = self.server.ws(token=token_a)
        self.addCleanup(ws_a.close)
        ws_b = self.server.ws(token=token_b)
        self.addCleanup(ws_b.close)
        for ws in (ws_a, ws_b):
            ws.send_json({"type": "ping"})
            self.assertEqual(ws.recv_json(type="pong"), {"type": "pong"})
        me = self.server.client(token_a)
        r = me.post("/api/v1/me/password",
                    {"current_password": password, "new_password": "a-new-secret-42"})
        self.assertStatus(r, 204)
        # the other device is signed out at once, socket included
        self.assertError(self.server.client(token_b).get("/api/v1/me"), 401, "unauthenticated")
        ws_b.wait_closed(timeout=10)
        self.assertEqual(ws_b.close_code, 1008)
        # this device keeps working, socket included
        self.assertStatus(me.get("/api/v1/me"), 200)
        ws_a.send_json({"type": "ping"})
        self.assertEqual(ws_a.recv_json(type="pong"), {"type": "pong"})
        # the old password is gone, the new one logs in
        self.assertError(self.server.client().post(
            "/api/v1/auth/login", {"email": email, "password": password}), 401,
            "unauthenticated")
        new_token, _ = login(self.server, email, "a-new-secret-42")
        self.assertStatus(self.server.client(new_token).get("/api/v1/me"), 200)
        self.assertIn("agent.password_change", self.audit_actions(agent["id"]))

    def test_change_needs_the_current_password_and_a_valid_new_one(self):
        agent, token, email, password = make_agent(self.server, self.admin_token)
        me = self.server.client(token)
        self.assertError(me.post("/api/v1/me/password",
                                 {"current_password": "not-my-password",
                                  "new_password": "a-new-secret-42"}),
                         400, "validation_failed", "current_password")
        self.assertError(me.post("/api/v1/me/password", {"new_password": "a-new-secret-42"}),
                         400, "validation_failed", "current_password")
        self.assertError(me.post("/api/v1/me/password",
                                 {"current_password": password, "new_password": "short"}),
                         400, "validation_failed")
        # nothing changed: the password still logs in, the token still works
        login(self.server, email, password)
        self.assertStatus(me.get("/api/v1/me"), 200)
        self.assertIn("password_change_failed", self.audit_actions(agent["id"]))
        self.assertNotIn("agent.password_change", self.audit_actions(agent["id"]))

    def test_customers_and_bots_have_no_password(self):
        r = self.server.client().post("/api/v1/customers", {"name": "Cara"})
        self.assertStatus(r, 201)
        self.assertError(self.server.client(r.body["token"]).post(
            "/api/v1/me/password", {"current_password": "x" * 10, "new_password": "y" * 10}),
            403, "forbidden")

    def test_admin_reset_signs_the_agent_out_everywhere(self):
        agent, token, email, password = make_agent(self.server, self.admin_token)
        ws = self.server.ws(token=token)
        self.addCleanup(ws.close)
        ws.send_json({"type": "ping"})
        self.assertEqual(ws.recv_json(type="pong"), {"type": "pong"})
        admin = self.server.client(self.admin_token)
        r = admin.post(f"/api/v1/agents/{agent['id']}/password", {"password": "reset-by-admin-1"})
        self.assertStatus(r, 204)
        self.assertError(self.server.client(token).get("/api/v1/me"), 401, "unauthenticated")
        ws.wait_closed(timeout=10)
        self.assertEqual(ws.close_code, 1008)
        self.assertError(self.server.client().post(
            "/api/v1/auth/login", {"email": email, "password": password}), 401,
            "unauthenticated")
        login(self.server, email, "reset-by-admin-1")
        self.assertIn("agent.password_reset", self.audit_actions(agent["id"]))
        # validation and a missing agent
        self.assertError(admin.post(f"/api/v1/agents/{agent['id']}/password", {"password": "s"}),
                         400, "validation_failed")
        self.assertError(admin.post("/api/v1/agents/agt_missing/password",
                                    {"password": "long-enough-1"}), 404, "not_found")
        # only admins reset
        _, other_token, _, _ = make_agent(self.server, self.admin_token)
        self.assertError(self.server.client(other_token).post(
            f"/api/v1/agents/{agent['id']}/password", {"password": "long-enough-1"}), 403,
            "forbidden")

    def test_patch_refuses_a_password_and_unknown_fields(self):
        agent, token, email, password = make_agent(self.server, self.admin_token)
        admin = self.server.client(self.admin_token)
        self.assertError(admin.patch(f"/api/v1/agents/{agent['id']}",
                                     {"password": "would-be-ignored-1"}),
                         400, "validation_failed", "/password")
        self.assertError(admin.patch(f"/api/v1/agents/{agent['id']}",
                                     {"name": "N", "email": "new@example.com"}),
                         400, "validation_failed", "email")
        # nothing changed
        login(self.server, email, password)
        r = admin.get("/api/v1/agents")
        listed = {a["id"]: a for a in r.body["agents"]}
        self.assertNotEqual(listed[agent["id"]]["name"], "N")


if __name__ == "__main__":
    unittest.main()
