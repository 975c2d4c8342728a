"""The desk's run-time settings (issue 5): admins change them through the
API, all-or-nothing, audited, announced to agents, kept across restarts;
unknown keys and bad values are refused naming the key."""

import unittest

from parley_harness import ServerTestCase, make_agent


class SettingsTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent, cls.agent_token, _, _ = make_agent(cls.server, cls.admin_token)

    def admin_client(self):
        return self.server.client(self.admin_token)

    def test_defaults_and_schema(self):
        r = self.server.client(self.agent_token).get("/api/v1/settings")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["settings"]["routing.mode"], "manual")
        schema = r.body["schema"]
        self.assertEqual(set(schema), set(r.body["settings"]))
        self.assertEqual(schema["routing.mode"]["choices"], ["manual", "round_robin",
                                                             "least_busy"])
        cap = schema["routing.agent_capacity"]
        self.assertEqual((cap["type"], cap["minimum"]), ("integer", 1))
        self.assertEqual(r.body["settings"]["routing.agent_capacity"], cap["default"])

    def test_change_is_announced_audited_and_kept(self):
        with self.server.ws(self.agent_token) as ws:
            r = self.admin_client().patch("/api/v1/settings", {"routing.mode": "least_busy",
                                                        "routing.agent_capacity": 3})
            self.assertStatus(r, 200)
            self.assertEqual(r.body["settings"]["routing.mode"], "least_busy")
            event = ws.recv_json("settings.updated")
        self.assertEqual(event["settings"]["routing.agent_capacity"], 3)
        audit = [e for e in self.admin_client().get("/api/v1/audit").body["entries"]
                 if e["action"] == "settings.update"]
        self.assertEqual(audit[0]["detail"], {"routing.mode": "least_busy",
                                              "routing.agent_capacity": 3})
        self.server.restart()
        r = self.server.client(self.admin_token).get("/api/v1/settings")
        self.assertEqual(r.body["settings"]["routing.mode"], "least_busy")
        self.assertEqual(r.body["settings"]["routing.agent_capacity"], 3)
        r = self.server.client(self.admin_token).patch(
            "/api/v1/settings", {"routing.mode": "manual", "routing.agent_capacity": 5})
        self.assertStatus(r, 200)

    def test_bad_patches_change_nothing(self):
        before = self.admin_client().get("/api/v1/settings").body["settings"]
        cases = [
            ({"routing.mode": "random"}, "routing.mode"),
            ({"routing.agent_capacity": 0}, "routing.agent_capacity"),
            ({"routing.agent_capacity": "5"}, "routing.agent_capacity"),
            ({"routing.agent_capacity": 4, "no.such.key": 1}, "no.such.key"),
            ({"routing.requeue_after_seconds": 1.5}, "routing.requeue_after_seconds"),
        ]
        for patch, key in cases:
            r = self.admin_client().patch("/api/v1/settings", patch)
            self.assertError(r, 400, "validation_failed")
            self.assertIn(key, r.body["error"]["message"])
        self.assertError(self.admin_client().patch("/api/v1/settings", {}), 400, "validation_failed")
        r = self.admin_client().request("PATCH", "/api/v1/settings", raw=b"[1]",
                                 headers={"Content-Type": "application/json"})
        self.assertStatus(r, 400)
        self.assertEqual(self.admin_client().get("/api/v1/settings").body["settings"], before)


if __name__ == "__main__":
    unittest.main()
