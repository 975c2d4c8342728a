"""Routing (issue 5): the waiting queue, auto-assignment (round-robin,
least-busy, capacity), teams, transfer, unassign and re-queue, against a
real parleyd."""

import unittest

from parley_harness import (ServerTestCase, make_agent, make_customer, make_session, run_threads,
                            wait_until)
from routing_helpers import (new_session, online_agents, put_presence, reset_desk,
                             set_settings)


class RoutingTest(ServerTestCase):

    def setUp(self):
        self.agent_tokens = []

    def tearDown(self):
        reset_desk(self.server, self.admin_token, self.agent_tokens)

    def agents(self, n, status="online"):
        pairs = online_agents(self.server, self.admin_token, n, status)
        self.agent_tokens.extend(t for _, t in pairs)
        return pairs

    def adm(self):
        return self.server.client(self.admin_token)

    def session(self, sid):
        r = self.adm().get(f"/api/v1/sessions/{sid}")
        self.assertStatus(r, 200)
        return r.body

    def queued_session(self, **fields):
        """A new session whose first dispatch has run: its customer heard its
        queue position, so it was not assignable then."""
        _, ctoken = make_customer(self.server)
        with self.server.ws(ctoken) as ws:
            s = make_session(self.server, ctoken, **fields)
            ev = ws.recv_json("queue.updated", match=lambda m: m["session_id"] == s["id"])
        self.assertGreaterEqual(ev["queue"]["position"], 1)
        return s

    def wait_assigned(self, ids, timeout=20):
        return wait_until(lambda: all(self.session(i)["status"] == "active" for i in ids)
                          and [self.session(i) for i in ids], timeout=timeout,
                          message=f"{len(ids)} sessions assigned")

    def test_round_robin_rotates_fairly_across_three_agents(self):
        (a1, _), (a2, _), (a3, _) = self.agents(3)
        sessions = [new_session(self.server)[0] for _ in range(9)]
        # manual: nothing is assigned, all nine wait in creation order
        r = self.adm().get("/api/v1/queue")
        self.assertStatus(r, 200)
        self.assertEqual([e["session"]["id"] for e in r.body["queue"]],
                         [s["id"] for s in sessions])
        self.assertEqual([e["position"] for e in r.body["queue"]], list(range(1, 10)))
        set_settings(self.server, self.admin_token, **{"routing.mode": "round_robin"})
        done = self.wait_assigned([s["id"] for s in sessions])
        got = [s["agent_id"] for s in done]
        self.assertEqual(got, [a1["id"], a2["id"], a3["id"]] * 3)
        self.assertTrue(all(s["assigned_at"] for s in done))
        self.assertEqual(self.adm().get("/api/v1/queue").body["queue"], [])

    def test_capacity_never_exceeded_under_concurrent_creation(self):
        (a1, t1), (a2, _) = self.agents(2)
        set_settings(self.server, self.admin_token,
                     **{"routing.mode": "least_busy", "routing.agent_capacity": 2})
        with self.server.ws(t1) as ws:
            created, errors = [], []

            def create():
                try:
                    created.append(new_session(self.server)[0]["id"])
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(e)

            run_threads([create] * 16)
            self.assertEqual(errors, [])
            self.assertEqual(len(created), 16)
            # every assignment is a session.updated to agents; count them per agent
            per_agent = {}
            while sum(per_agent.values()) < 4:
                ev = ws.recv_json("session.updated",
                                  match=lambda m: m["session"]["id"] in created
                                  and m["session"]["status"] == "active")
                per_agent[ev["session"]["agent_id"]] = per_agent.get(ev["session"]["agent_id"],
                                                                     0) + 1
        self.assertEqual(per_agent, {a1["id"]: 2, a2["id"]: 2})
        states = [self.session(i) for i in created]
        active = [s for s in states if s["status"] == "active"]
        self.assertEqual(len(active), 4)
        for agent in (a1, a2):
            self.assertEqual(sum(1 for s in active if s["agent_id"] == agent["id"]), 2)
        queue = self.adm().get("/api/v1/queue").body["queue"]
        self.assertEqual(len(queue), 12)
        self.assertEqual([e["position"] for e in queue], list(range(1, 13)))

    def test_least_busy_picks_the_least_loaded_agent(self):
        (a1, _), (a2, _), (a3, _) = self.agents(3)
        # a1 has two chats, a2 one, a3 none (assigned by hand in manual mode)
        for agent, n in ((a1, 2), (a2, 1)):
            for _ in range(n):
                s, _ = new_session(self.server)
                r = self.adm().post(f"/api/v1/sessions/{s['id']}/assign",
                                      {"agent_id": agent["id"]})
                self.assertStatus(r, 200)
        set_settings(self.server, self.admin_token, **{"routing.mode": "least_busy"})
        s1, _ = new_session(self.server)
        self.assertEqual(self.wait_assigned([s1["id"]])[0]["agent_id"], a3["id"])
        # now a2 and a3 have one each: the one given a session least recently wins (a2)
        s2, _ = new_session(self.server)
        self.assertEqual(self.wait_assigned([s2["id"]])[0]["agent_id"], a2["id"])
        s3, _ = new_session(self.server)
        self.assertEqual(self.wait_assigned([s3["id"]])[0]["agent_id"], a3["id"])

    def test_busy_and_offline_agents_get_nothing(self):
        (busy, _), = self.agents(1, status="busy")
        (offline, _), = self.agents(1, status="offline")
        (online, _), = self.agents(1)
        set_settings(self.server, self.admin_token, **{"routing.mode": "round_robin"})
        ids = [new_session(self.server)[0]["id"] for _ in range(3)]
        done = self.wait_assigned(ids)
        self.assertEqual({s["agent_id"] for s in done}, {online["id"]})
        # the only online agent full: the next one waits although two others exist
        set_settings(self.server, self.admin_token, **{"routing.agent_capacity": 3})
        s4 = self.queued_session()
        self.assertEqual(self.session(s4["id"])["status"], "waiting")

    def test_team_routing_by_topic_and_explicit_team(self):
        (member, _), (other, _) = self.agents(2)
        r = self.adm().post("/api/v1/teams", {"name": "Billing " + member["id"][-6:],
                                                "topics": ["billing-" + member["id"][-6:]]})
        self.assertStatus(r, 201)
        team = r.body
        topic = team["topics"][0]
        r = self.adm().post(f"/api/v1/teams/{team['id']}/members", {"agent_id": member["id"]})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["agent_ids"], [member["id"]])
        set_settings(self.server, self.admin_token,
                     **{"routing.mode": "least_busy", "routing.agent_capacity": 2})
        by_topic, _ = new_session(self.server, topic=topic.upper())
        self.assertEqual(by_topic["team_id"], team["id"])
        chosen, _ = new_session(self.server, team_id=team["id"])
        self.assertEqual(chosen["team_id"], team["id"])
        done = self.wait_assigned([by_topic["id"], chosen["id"]])
        self.assertEqual({s["agent_id"] for s in done}, {member["id"]})
        # the member is full: a third team session waits although `other` is free
        third = self.queued_session(topic="t", team_id=team["id"])
        anyone, _ = new_session(self.server, topic="no team for this")
        self.assertIsNone(anyone["team_id"])
        self.assertEqual(self.wait_assigned([anyone["id"]])[0]["agent_id"], other["id"])
        mine = self.session(third["id"])
        self.assertEqual((mine["status"], mine["queue"]["position"]), ("waiting", 1))
        # a team that does not exist is refused, naming the field
        _, ctoken2 = make_customer(self.server)
        r = self.server.client(ctoken2).post("/api/v1/sessions",
                                             {"topic": "x", "team_id": "tea_nope"})
        self.assertError(r, 400, "validation_failed", "team_id")

    def test_transfer_to_agent_and_team(self):
        (a1, _), (a2, _) = self.agents(2)
        r = self.adm().post("/api/v1/teams", {"name": "Tech " + a1["id"][-6:], "topics": []})
        self.assertStatus(r, 201)
        team = r.body
        self.assertStatus(self.adm().post(f"/api/v1/teams/{team['id']}/members",
                                            {"agent_id": a2["id"]}), 201)
        s, ctoken = new_session(self.server)
        self.assertStatus(self.adm().post(f"/api/v1/sessions/{s['id']}/assign",
                                            {"agent_id": a1["id"]}), 200)
        with self.server.ws(ctoken) as ws:
            r = self.adm().post(f"/api/v1/sessions/{s['id']}/transfer", {"agent_id": a2["id"]})
            self.assertStatus(r, 200)
            self.assertEqual((r.body["agent_id"], r.body["status"]), (a2["id"], "active"))
            ev = ws.recv_json("session.updated", match=lambda m: m["session"]["id"] == s["id"])
            self.assertEqual(ev["session"]["agent_id"], a2["id"])
        msgs = self.adm().get(f"/api/v1/sessions/{s['id']}/messages").body["messages"]
        self.assertEqual(msgs[-1]["sender"]["type"], "system")
        self.assertIn("transferred", msgs[-1]["content"])
        # the same agent again is a conflict; a full agent too
        r = self.adm().post(f"/api/v1/sessions/{s['id']}/transfer", {"agent_id": a2["id"]})
        self.assertError(r, 409, "conflict")
        set_settings(self.server, self.admin_token, **{"routing.agent_capacity": 1})
        s2, _ = new_session(self.server)
        self.assertStatus(self.adm().post(f"/api/v1/sessions/{s2['id']}/assign",
                                            {"agent_id": a1["id"]}), 200)
        r = self.adm().post(f"/api/v1/sessions/{s2['id']}/transfer", {"agent_id": a2["id"]})
        self.assertError(r, 409, "conflict", "capacity")
        # bad bodies
        r = self.adm().post(f"/api/v1/sessions/{s2['id']}/transfer", {})
        self.assertError(r, 400, "validation_failed", "agent_id")
        r = self.adm().post(f"/api/v1/sessions/{s2['id']}/transfer", {"team_id": "tea_nope"})
        self.assertError(r, 404, "not_found")
        # to a team: back to the queue for that team, then its member takes it
        set_settings(self.server, self.admin_token,
                     **{"routing.agent_capacity": 5, "routing.mode": "round_robin"})
        r = self.adm().post(f"/api/v1/sessions/{s2['id']}/transfer", {"team_id": team["id"]})
        self.assertStatus(r, 200)
        self.assertEqual((r.body["status"], r.body["team_id"], r.body["agent_id"]),
                         ("waiting", team["id"], None))
        self.assertEqual(self.wait_assigned([s2["id"]])[0]["agent_id"], a2["id"])

    def test_unassign_returns_to_original_place(self):
        (a1, _), = self.agents(1)
        s1, _ = new_session(self.server)
        s2, c2 = new_session(self.server)
        self.assertStatus(self.adm().post(f"/api/v1/sessions/{s1['id']}/assign",
                                            {"agent_id": a1["id"]}), 200)
        q = self.adm().get("/api/v1/queue").body["queue"]
        self.assertEqual([e["session"]["id"] for e in q], [s2["id"]])
        with self.server.ws(c2) as ws:
            r = self.adm().post(f"/api/v1/sessions/{s1['id']}/unassign")
            self.assertStatus(r, 200)
            self.assertEqual((r.body["status"], r.body["agent_id"]), ("waiting", None))
            # s2's customer hears it is second again
            ev = ws.recv_json("queue.updated", match=lambda m: m["session_id"] == s2["id"]
                              and m["queue"]["position"] == 2)
            self.assertIn("estimated_wait_seconds", ev["queue"])
        q = self.adm().get("/api/v1/queue").body["queue"]
        self.assertEqual([e["session"]["id"] for e in q], [s1["id"], s2["id"]])
        r = self.adm().post(f"/api/v1/sessions/{s1['id']}/unassign")
        self.assertError(r, 409, "conflict")

    def test_requeue_when_agent_goes_offline_without_answering(self):
        (a1, t1), = self.agents(1)
        set_settings(self.server, self.admin_token, **{"routing.mode": "round_robin",
                                                       "routing.requeue_after_seconds": 1})
        answered, _ = new_session(self.server)
        silent, ctoken = new_session(self.server)
        self.wait_assigned([answered["id"], silent["id"]])
        r = self.server.client(t1).post(f"/api/v1/sessions/{answered['id']}/messages",
                                        {"content": "Hello, how can I help?"})
        self.assertStatus(r, 201)
        with self.server.ws(ctoken) as ws:
            self.assertStatus(put_presence(self.server, t1, "offline"), 200)
            ev = ws.recv_json("session.updated", timeout=20,
                              match=lambda m: m["session"]["id"] == silent["id"])
            self.assertEqual((ev["session"]["status"], ev["session"]["agent_id"]),
                             ("waiting", None))
        msgs = self.adm().get(f"/api/v1/sessions/{silent['id']}/messages").body["messages"]
        self.assertEqual(msgs[-1]["sender"]["type"], "system")
        self.assertIn("back in the queue", msgs[-1]["content"])
        # the answered one stays with its agent
        self.assertEqual(self.session(answered["id"])["agent_id"], a1["id"])
        self.assertEqual(self.session(answered["id"])["status"], "active")

    def test_queue_position_and_estimated_wait_for_the_customer(self):
        (a1, _), = self.agents(1)
        sessions = [new_session(self.server) for _ in range(3)]
        (s1, _), (s2, c2), (s3, c3) = sessions
        r = self.server.client(c3).get(f"/api/v1/sessions/{s3['id']}")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["queue"]["position"], 3)
        wait = r.body["queue"]["estimated_wait_seconds"]
        self.assertTrue(wait is None or (isinstance(wait, int) and wait >= 0))
        with self.server.ws(c3) as ws:
            # an agent takes the first one: the third customer is now second
            self.assertStatus(self.adm().post(f"/api/v1/sessions/{s1['id']}/assign",
                                                {"agent_id": a1["id"]}), 200)
            ev = ws.recv_json("queue.updated", match=lambda m: m["queue"]["position"] == 2)
            self.assertEqual(ev["session_id"], s3["id"])
            self.assertIsInstance(ev["queue"]["estimated_wait_seconds"], int)
        r = self.server.client(c2).get(f"/api/v1/sessions/{s2['id']}")
        self.assertEqual(r.body["queue"]["position"], 1)
        # an assigned session has no queue; customers cannot read the queue
        r = self.server.client(c2).get(f"/api/v1/sessions/{s1['id']}")
        self.assertError(r, 404, "not_found")
        self.assertIsNone(self.session(s1["id"])["queue"])
        self.assertError(self.server.client(c2).get("/api/v1/queue"), 403, "forbidden")

    def test_queue_pagination(self):
        ids = [new_session(self.server)[0]["id"] for _ in range(5)]
        r = self.adm().get("/api/v1/queue?limit=2")
        self.assertStatus(r, 200)
        seen = [e["session"]["id"] for e in r.body["queue"]]
        positions = [e["position"] for e in r.body["queue"]]
        while r.body["next_cursor"]:
            r = self.adm().get(f"/api/v1/queue?limit=2&cursor={r.body['next_cursor']}")
            self.assertStatus(r, 200)
            seen += [e["session"]["id"] for e in r.body["queue"]]
            positions += [e["position"] for e in r.body["queue"]]
        self.assertEqual(seen, ids)
        self.assertEqual(positions, [1, 2, 3, 4, 5])
        self.assertError(self.adm().get("/api/v1/queue?cursor=abc"), 400, "validation_failed",
                         "cursor")

    def test_team_crud_and_membership(self):
        (a1, atoken), = self.agents(1)
        c = self.adm()
        name = "Sales " + a1["id"][-8:]
        r = c.post("/api/v1/teams", {"name": name, "topics": ["pricing", "quotes"]})
        self.assertStatus(r, 201)
        team = r.body
        self.assertId(team["id"], "tea")
        self.assertError(c.post("/api/v1/teams", {"name": name.upper()}), 409, "conflict")
        self.assertError(c.post("/api/v1/teams", {"name": ""}), 400, "validation_failed", "name")
        self.assertError(c.post("/api/v1/teams", {"name": "x", "topics": "pricing"}), 400,
                         "validation_failed", "topics")
        self.assertError(c.post("/api/v1/teams", {"name": "y", "topics": [1]}), 400,
                         "validation_failed", "topics")
        # agents cannot change teams; customers cannot even list them
        self.assertError(self.server.client(atoken).post("/api/v1/teams", {"name": "z"}), 403,
                         "forbidden")
        _, ctoken = make_customer(self.server)
        self.assertError(self.server.client(ctoken).get("/api/v1/teams?limit=200"), 403,
                         "forbidden")
        self.assertError(self.server.client(ctoken).get(f"/api/v1/teams/{team['id']}"), 403,
                         "forbidden")
        r = c.patch(f"/api/v1/teams/{team['id']}", {"topics": ["pricing"]})
        self.assertStatus(r, 200)
        self.assertEqual((r.body["name"], r.body["topics"]), (name, ["pricing"]))
        self.assertStatus(c.post(f"/api/v1/teams/{team['id']}/members", {"agent_id": a1["id"]}),
                          201)
        r = c.post(f"/api/v1/teams/{team['id']}/members", {"agent_id": a1["id"]})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["agent_ids"], [a1["id"]])
        self.assertError(c.post(f"/api/v1/teams/{team['id']}/members", {"agent_id": "agt_x"}),
                         404, "not_found")
        r = c.delete(f"/api/v1/teams/{team['id']}/members", body={"agent_id": a1["id"]})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["agent_ids"], [])
        r = c.delete(f"/api/v1/teams/{team['id']}/members", body={"agent_id": a1["id"]})
        self.assertError(r, 404, "not_found")
        s, _ = new_session(self.server, topic="Pricing")
        self.assertEqual(s["team_id"], team["id"])
        self.assertEqual(c.delete(f"/api/v1/teams/{team['id']}").status, 204)
        self.assertError(c.get(f"/api/v1/teams/{team['id']}"), 404, "not_found")
        self.assertIsNone(self.session(s["id"])["team_id"])
        audit = [e["action"] for e in c.get("/api/v1/audit?limit=50").body["entries"]]
        for action in ("team.create", "team.update", "team.member_add", "team.member_remove",
                       "team.delete"):
            self.assertIn(action, audit)


if __name__ == "__main__":
    unittest.main()
