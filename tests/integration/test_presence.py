"""Agents' presence (issue 5): set by REST or WebSocket, shown in the agent
list, announced to every agent, and a closed socket reflected only after
the grace period (a quick reconnect announces nothing)."""

import math
import time
import unittest

from parley_harness import T, ServerTestCase, make_agent, make_customer
from routing_helpers import put_presence, reset_desk, set_settings


class PresenceTest(ServerTestCase):

    def setUp(self):
        self.agent_tokens = []

    def tearDown(self):
        reset_desk(self.server, self.admin_token, self.agent_tokens)

    def new_agent(self):
        agent, token, _, _ = make_agent(self.server, self.admin_token)
        self.agent_tokens.append(token)
        return agent, token

    def event_of(self, ws, agent, **kw):
        """The next presence.updated about this agent on ws."""
        return ws.recv_json("presence.updated", match=lambda m: m["agent_id"] == agent["id"], **kw)

    def agent_with_grace(self, seconds):
        """A new agent, with presence.offline_grace_seconds set to seconds."""
        set_settings(self.server, self.admin_token, **{"presence.offline_grace_seconds": seconds})
        return self.new_agent()

    def online_then_disconnected(self, watcher, agent, token, status, timeout=10):
        """The agent connects, sets status, disconnects; watcher sees the
        status, then offline (after the grace)."""
        with self.server.ws(token):
            self.assertStatus(put_presence(self.server, token, status), 200)
            self.event_of(watcher, agent)
        self.assertEqual(self.event_of(watcher, agent, timeout=timeout)["status"], "offline")

    def listed(self, agent_id):
        r = self.server.client(self.admin_token).get("/api/v1/agents")
        self.assertStatus(r, 200)
        return [a for a in r.body["agents"] if a["id"] == agent_id][0]

    def test_set_by_rest_is_listed_and_announced(self):
        agent, token = self.new_agent()
        self.assertEqual(self.listed(agent["id"])["status"], "offline")
        self.assertIsNone(self.listed(agent["id"])["status_since"])
        with self.server.ws(self.admin_token) as watcher:
            r = put_presence(self.server, token, "online")
            self.assertStatus(r, 200)
            self.assertEqual((r.body["agent_id"], r.body["status"]), (agent["id"], "online"))
            self.assertTime(r.body["since"])
            ev = self.event_of(watcher, agent)
            self.assertEqual((ev["status"], ev["since"]), ("online", r.body["since"]))
            # POST works too; the same status again changes nothing and says nothing
            r2 = self.server.client(token).post("/api/v1/agents/me/presence", {"status": "busy"})
            self.assertStatus(r2, 200)
            ev = self.event_of(watcher, agent)
            self.assertEqual(ev["status"], "busy")
            r3 = put_presence(self.server, token, "busy")
            self.assertEqual(r3.body["since"], r2.body["since"])
            # a marker change by another agent arrives next, with nothing in between
            other, other_token = self.new_agent()
            self.assertStatus(put_presence(self.server, other_token, "online"), 200)
            ev = watcher.recv_json("presence.updated")
            self.assertEqual(ev["agent_id"], other["id"])
        listed = self.listed(agent["id"])
        self.assertEqual((listed["status"], listed["status_since"]), ("busy", r2.body["since"]))

    def test_bad_status_and_customers_refused(self):
        _, token = self.new_agent()
        r = put_presence(self.server, token, "away")
        self.assertError(r, 400, "validation_failed", "status")
        r = self.server.client(token).request("PUT", "/api/v1/agents/me/presence", {})
        self.assertError(r, 400, "validation_failed", "status")
        _, ctoken = make_customer(self.server)
        self.assertError(put_presence(self.server, ctoken, "online"), 403, "forbidden")
        self.assertError(put_presence(self.server, None, "online"), 401, "unauthenticated")

    def test_set_by_websocket_frame(self):
        agent, token = self.new_agent()
        with self.server.ws(token) as ws:
            ws.send_json({"type": "presence", "status": "online"})
            reply = ws.recv_json("presence")
            self.assertEqual((reply["agent_id"], reply["status"]), (agent["id"], "online"))
            ev = self.event_of(ws, agent)
            self.assertEqual(ev["status"], "online")
            ws.send_json({"type": "presence", "status": "nope"})
            err = ws.recv_json("error")
            self.assertEqual(err["error"]["code"], "validation_failed")
        _, ctoken = make_customer(self.server)
        with self.server.ws(ctoken) as ws:
            ws.send_json({"type": "presence", "status": "online"})
            self.assertEqual(ws.recv_json("error")["error"]["code"], "forbidden")

    def test_disconnect_goes_offline_after_grace(self):
        agent, token = self.agent_with_grace(1)
        with self.server.ws(self.admin_token) as watcher:
            self.online_then_disconnected(watcher, agent, token, "busy", timeout=20)
        self.assertEqual(self.listed(agent["id"])["status"], "offline")

    def test_reconnect_within_grace_changes_nothing(self):
        # a short grace, so that staying connected past it proves the timer
        # was cancelled (not merely slow): the wait below is that proof
        grace = max(2, math.ceil(T(2)))
        agent, token = self.agent_with_grace(grace)
        _, marker_token = self.new_agent()
        with self.server.ws(self.admin_token) as watcher:
            first = self.server.ws(token)
            self.assertStatus(put_presence(self.server, token, "online"), 200)
            self.event_of(watcher, agent)
            # a second socket closing is not the last one; then the last closes and
            # the agent is back long before the grace period ends
            with self.server.ws(token):
                pass
            first.close()
            with self.server.ws(token):
                time.sleep(grace + 1)
                # the marker: everything published before it has been received
                self.assertStatus(put_presence(self.server, marker_token, "online"), 200)
                ev = watcher.recv_json("presence.updated")
                self.assertNotEqual(ev["agent_id"], agent["id"], "an unexpected presence change")
        self.assertEqual(self.listed(agent["id"])["status"], "online")

    def test_grace_zero_and_explicit_status_survives_reconnect(self):
        agent, token = self.agent_with_grace(0)
        with self.server.ws(self.admin_token) as watcher:
            self.online_then_disconnected(watcher, agent, token, "online")
            # connecting again does not make the agent online: only the agent says so
            with self.server.ws(token) as ws:
                ws.send_json({"type": "ping"})
                ws.recv_json("pong")
        self.assertEqual(self.listed(agent["id"])["status"], "offline")


if __name__ == "__main__":
    unittest.main()
