"""Several writers on one database (issue 12): two real parleyd processes
on one PostgreSQL database. Concurrent sends to the same sessions through
both nodes, with the same and with different client_msg_ids, keep each
session's seq gapless with no message stored twice, and every duplicate
send is answered as one with the stored message; routing never gives an
agent more than its capacity while both nodes assign at once (dispatch
and transfers); two admins demoting each other through the two nodes
leave one admin; the
periodic jobs run on one node (the leader), and after the leader is
killed (SIGKILL) the other takes over within seconds.

PostgreSQL only (SQLite is one file for one server): under SQLite the
module skips with its reason. CTest runs it as
integration.test_two_writers.postgres."""

import threading
import time
import unittest

from parley_harness import (ADMIN_PASSWORD, ParleyServer, T, all_history, is_leader, login,
                            make_customer, make_session, on_postgres, run_threads,
                            same_database_server, unique_email, uniq, wait_until)
from routing_helpers import new_session, online_agents, put_presence, set_settings

SKIP_REASON = ("two parleyd on one database need PostgreSQL (PARLEY_TEST_DATABASE=postgres); "
               "SQLite is one file for one server")


def post_with_retries(client, path, body, tries=5):
    """A send; an answer of 503 (the unit lost twice to the other writer,
    or a lock timeout) is retried with the same client_msg_id, as a client
    must."""
    for _ in range(tries):
        r = client.post(path, body)
        if r.status != 503:
            return r
        time.sleep(0.05)
    return r


@unittest.skipUnless(on_postgres(), SKIP_REASON)
class TwoWritersTest(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.a = ParleyServer()
        cls.addClassCleanup(cls.a.close)
        cls.admin_email = unique_email("admin")
        cls.a.create_admin(cls.admin_email, "Admin One", ADMIN_PASSWORD)
        cls.a.start()
        # the first node leads before the second starts: the test knows which
        wait_until(lambda: is_leader(cls.a), timeout=T(15), message="node A leads")
        cls.b = same_database_server(cls.a)
        cls.addClassCleanup(cls.b.close)
        cls.b.start()
        cls.admin_token, cls.admin = login(cls.a, cls.admin_email, ADMIN_PASSWORD)
        cls.a.admin_token = cls.b.admin_token = cls.admin_token

    @classmethod
    def tearDownClass(cls):
        for node in (cls.b, cls.a):
            if node.running():
                node.stop()

    def nodes(self):
        return [n for n in (self.a, self.b) if n.running()]

    def test_concurrent_sends_same_sessions_both_nodes(self):
        sessions = []
        for _ in range(4):
            _, tok = make_customer(self.a)
            sessions.append((make_session(self.a, tok)["id"], tok))
        shared, own = 15, 8
        answers = []  # (node, session, client_msg_id, status, body)
        lock = threading.Lock()

        def sender(node, sid, tok, name):
            client = node.client(tok)
            # the shared ids interleaved with this node's own ones
            ids = []
            for i in range(shared):
                ids.append(f"shared-{i}")
                if i < own:
                    ids.append(f"{name}-own-{i}")
            for cmid in ids:
                r = post_with_retries(client, f"/api/v1/sessions/{sid}/messages",
                                      {"content": f"{cmid} via {name}", "client_msg_id": cmid})
                with lock:
                    answers.append((name, sid, cmid, r.status, r.body))

        threads = []
        for sid, tok in sessions:
            for node, name in ((self.a, "a"), (self.b, "b")):
                threads.append(lambda n=node, s=sid, t=tok, m=name: sender(n, s, t, m))
        run_threads(threads)

        self.assertEqual([a for a in answers if a[3] not in (200, 201)], [])
        for sid, tok in sessions:
            mine = [a for a in answers if a[1] == sid]
            stored = [a for a in mine if a[3] == 201]
            dups = [a for a in mine if a[3] == 200]
            # each shared id stored once, by one node; each own id stored once
            by_id = {}
            for a in stored:
                self.assertNotIn(a[2], by_id, f"{a[2]} stored twice in {sid}")
                by_id[a[2]] = a[4]
            self.assertEqual(len(by_id), shared + 2 * own)
            self.assertEqual(sorted(a[2] for a in dups),
                             sorted(f"shared-{i}" for i in range(shared)))
            for a in dups:
                # the duplicate answer is the stored message, unchanged
                self.assertEqual(a[4], by_id[a[2]])
            # the history is gapless, 1..n, one message per id, on both nodes
            for node in (self.a, self.b):
                h = all_history(node, tok, sid)
                self.assertEqual([m["seq"] for m in h], list(range(1, shared + 2 * own + 1)))
                self.assertEqual(sorted(m["id"] for m in h),
                                 sorted(b["id"] for b in by_id.values()))
                for m in h:
                    self.assertEqual(m["seq"], by_id[m["client_msg_id"]]["seq"])

    def test_capacity_never_exceeded_when_both_nodes_assign(self):
        pairs = online_agents(self.a, self.admin_token, 3)
        tokens = [t for _, t in pairs]
        agent_ids = {a["id"] for a, _ in pairs}
        try:
            set_settings(self.a, self.admin_token, **{"routing.mode": "least_busy",
                                                      "routing.agent_capacity": 1,
                                                      "routing.requeue_after_seconds": 0})
            created, errors = [], []
            lock = threading.Lock()

            def create(node):
                try:
                    for _ in range(4):
                        s, _ = new_session(node)
                        with lock:
                            created.append(s["id"])
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(e)

            run_threads([lambda: create(self.a), lambda: create(self.b)] * 3)
            self.assertEqual(errors, [])
            self.assertEqual(len(created), 24)

            def states():
                out = []
                for sid in created:
                    r = self.a.client(self.admin_token).get(f"/api/v1/sessions/{sid}")
                    self.assertEqual(r.status, 200, r.body)
                    out.append(r.body)
                return out

            # every agent gets exactly one; the rest wait
            done = wait_until(lambda: (lambda st: sum(s["status"] == "active" for s in st) >= 3
                                       and st)(states()),
                              timeout=T(20), message="three sessions assigned")
            time.sleep(1.5)  # both nodes' dispatchers run meanwhile: nothing more may go out
            done = states()
            active = [s for s in done if s["status"] == "active"]
            self.assertEqual(len(active), 3, [s["agent_id"] for s in active])
            self.assertEqual(sorted(s["agent_id"] for s in active), sorted(agent_ids))
            self.assertEqual(sum(s["status"] == "waiting" for s in done), 21)
            # an agent freed on node B gets exactly one more, by either node
            freed = active[0]
            r = self.b.client(self.admin_token).post(f"/api/v1/sessions/{freed['id']}/close")
            self.assertEqual(r.status, 200, r.body)
            wait_until(lambda: sum(s["status"] == "active" for s in states()) == 3,
                       timeout=T(20), message="the freed agent got another session")
            time.sleep(1.5)
            loads = {}
            for s in states():
                if s["status"] == "active":
                    loads[s["agent_id"]] = loads.get(s["agent_id"], 0) + 1
            self.assertEqual(loads, {a: 1 for a in agent_ids})
        finally:
            set_settings(self.a, self.admin_token, **{"routing.mode": "manual",
                                                      "routing.agent_capacity": 5,
                                                      "routing.requeue_after_seconds": 120})
            for tok in tokens:
                put_presence(self.a, tok, "offline")

    def test_transfers_to_one_agent_from_both_nodes_respect_capacity(self):
        # a transfer reads the agent's load, then assigns: two nodes doing it
        # at once for one agent take turns under the routing lock
        (agent, tok), = online_agents(self.a, self.admin_token, 1)
        set_settings(self.a, self.admin_token, **{"routing.mode": "manual",
                                                  "routing.agent_capacity": 1})
        try:
            for _ in range(8):
                s1, _ = new_session(self.a)
                s2, _ = new_session(self.b)
                out = {}

                def transfer(node, sid):
                    out[sid] = node.client(self.admin_token).post(
                        f"/api/v1/sessions/{sid}/transfer", {"agent_id": agent["id"]})

                run_threads([lambda: transfer(self.a, s1["id"]),
                             lambda: transfer(self.b, s2["id"])])
                statuses = sorted(r.status for r in out.values())
                self.assertEqual(statuses, [200, 409], {k: v.body for k, v in out.items()})
                for sid in (s1["id"], s2["id"]):
                    r = self.a.client(self.admin_token).post(f"/api/v1/sessions/{sid}/close")
                    self.assertEqual(r.status, 200, r.body)
        finally:
            set_settings(self.a, self.admin_token, **{"routing.agent_capacity": 5})
            put_presence(self.a, tok, "offline")

    def test_last_active_admin_rule_across_nodes(self):
        # two admins demote each other at once, one through each node: one
        # wins, every round
        me = self.admin
        for round_ in range(5):
            r = self.a.client(self.admin_token).post("/api/v1/agents", {
                "name": uniq("Admin "), "email": unique_email("admin"),
                "password": "admin-password-2", "role": "admin"})
            self.assertEqual(r.status, 201, r.body)
            other = r.body
            other_token, _ = login(self.b, other["email"], "admin-password-2")
            out = {}

            def demote(node, token, target):
                out[target] = node.client(token).patch(f"/api/v1/agents/{target}",
                                                       {"role": "agent"})

            run_threads([lambda: demote(self.a, self.admin_token, other["id"]),
                         lambda: demote(self.b, other_token, me["id"])])
            # the loser is refused by the rule (409), or, when the winner's
            # change committed before it was authorized, as no admin any
            # more (403); never are both demoted
            statuses = sorted(r.status for r in out.values())
            self.assertIn(statuses, ([200, 403], [200, 409]),
                          (round_, {k: v.body for k, v in out.items()}))
            winner_token = other_token if out[me["id"]].status == 200 else self.admin_token
            admins = [a for a in self.a.client(winner_token).get("/api/v1/agents").body["agents"]
                      if a["role"] == "admin" and a["active"]]
            self.assertEqual(len(admins), 1)
            # the class's admin stays an admin for the other tests
            if out[me["id"]].status == 200:
                r = self.b.client(other_token).patch(f"/api/v1/agents/{me['id']}",
                                                     {"role": "admin"})
                self.assertEqual(r.status, 200, r.body)
                r = self.b.client(self.admin_token).patch(f"/api/v1/agents/{other['id']}",
                                                          {"role": "agent"})
                self.assertEqual(r.status, 200, r.body)

    def test_z_periodic_jobs_on_one_node_and_takeover(self):
        # runs last (it kills node A)
        self.assertTrue(is_leader(self.a))
        self.assertFalse(is_leader(self.b))
        self.assertEqual(sum("became leader" in line for line in self.a.log()), 1)
        self.assertEqual(sum("became leader" in line for line in self.b.log()), 0)
        _, tok = make_customer(self.b)
        s = make_session(self.b, tok)
        notice = "This conversation was closed after 1 second without activity."
        set_settings(self.b, self.admin_token, **{"sessions.auto_close_idle_seconds": 1})
        try:
            wait_until(lambda: self.b.client(tok).get(f"/api/v1/sessions/{s['id']}")
                       .body["status"] == "closed", timeout=T(20), message="auto-closed")
            time.sleep(2.5)  # both nodes' lifecycle ticks ran meanwhile
            h = all_history(self.a, tok, s["id"])
            # closed once: one notice, one feedback prompt, nothing twice
            self.assertEqual([m["content"] for m in h].count(notice), 1)
            self.assertEqual([m["seq"] for m in h], list(range(1, len(h) + 1)))
            self.assertEqual(len(h), 2)

            # the leader dies; the follower takes over within seconds
            self.a.proc.kill()
            self.a.proc.wait(T(30))
            self.a.proc = None
            killed_at = time.monotonic()
            wait_until(lambda: is_leader(self.b), timeout=T(15), message="node B took over")
            self.assertLess(time.monotonic() - killed_at, T(10))
            # the gauge moves before the log line reaches the test's reader
            wait_until(lambda: any("became leader" in line for line in self.b.log()),
                       timeout=T(5), message="node B's 'became leader' line")
            self.assertEqual(sum("became leader" in line for line in self.b.log()), 1)
            # and runs the periodic jobs: another idle session is closed by B
            _, tok2 = make_customer(self.b)
            s2 = make_session(self.b, tok2)
            wait_until(lambda: self.b.client(tok2).get(f"/api/v1/sessions/{s2['id']}")
                       .body["status"] == "closed", timeout=T(20), message="closed by node B")
            h2 = all_history(self.b, tok2, s2["id"])
            self.assertEqual([m["content"] for m in h2].count(notice), 1)
        finally:
            if self.b.running():
                set_settings(self.b, self.admin_token, **{"sessions.auto_close_idle_seconds": 0})


if __name__ == "__main__":
    unittest.main()
