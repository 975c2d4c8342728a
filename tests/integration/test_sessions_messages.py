"""Sessions and messages over HTTP (docs/api-behaviour.md, "Sessions", "Messages")."""

import json
import subprocess
import tempfile
import threading
import unittest
from urllib.parse import quote

from parley_harness import (ParleyServer, Senders, ServerTestCase, all_history, all_pages, history,
                            make_agent, make_customer, make_session, parleyd_path, run_threads,
                            send_message, T, uniq, wrapper_argv)

MAX_MESSAGE_BYTES = 1024


class SessionsMessagesTest(ServerTestCase):
    server_args = ["--max-message-bytes", str(MAX_MESSAGE_BYTES), "--durability", "normal"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent, cls.agent_token, _, _ = make_agent(cls.server, cls.admin_token)
        cls.agent2, cls.agent2_token, _, _ = make_agent(cls.server, cls.admin_token)
        cls.cust, cls.cust_token = make_customer(cls.server, name="Alice")
        cls.other, cls.other_token = make_customer(cls.server, name="Bob")

    def c(self, token):
        return self.server.client(token)

    def list_all_sessions(self, token, query=""):
        """Walks every page of GET /api/v1/sessions; returns the list."""
        return all_pages(self.c(token), f"/api/v1/sessions?limit=200{query}", "sessions",
                         max_pages=99)

    # -- create --------------------------------------------------------------
    def test_create_session(self):
        r = self.c(self.cust_token).post("/api/v1/sessions", {"topic": "Where is my order?"})
        self.assertStatus(r, 201)
        s = r.body
        self.assertId(s["id"], "ses")
        self.assertEqual(s["customer_id"], self.cust["id"])
        self.assertIsNone(s["agent_id"])
        self.assertEqual(s["topic"], "Where is my order?")
        self.assertEqual(s["status"], "waiting")
        self.assertEqual(s["strategies"], [])  # the server's default chain is []
        self.assertEqual(s["last_seq"], 0)
        self.assertTime(s["created_at"])
        self.assertTime(s["updated_at"])

    def test_create_session_with_strategies(self):
        chain = [{"name": "spam"}, {"name": "profanity"}]
        # the chain is the desk's policy: a customer cannot add filters either
        r = self.c(self.cust_token).post("/api/v1/sessions", {"topic": "t", "strategies": chain})
        self.assertError(r, 403, "strategy_not_allowed", "spam")
        s = make_session(self.server, self.cust_token, policy=chain)
        self.assertEqual([x["name"] for x in s["strategies"]], ["spam", "profanity"])
        got = self.c(self.cust_token).get(f"/api/v1/sessions/{s['id']}")
        self.assertEqual([x["name"] for x in got.body["strategies"]], ["spam", "profanity"])
        r = self.c(self.cust_token).post("/api/v1/sessions", {
            "topic": "t", "strategies": [{"name": "no-such-strategy"}]})
        self.assertError(r, 400, "validation_failed", "no-such-strategy")
        r = self.c(self.cust_token).post("/api/v1/sessions", {"topic": "t", "strategies": []})
        self.assertStatus(r, 201)
        got = self.c(self.cust_token).get(f"/api/v1/sessions/{r.body['id']}")
        self.assertEqual(got.body["strategies"], [])
        self.assertError(self.c(self.cust_token).post(
            "/api/v1/sessions", {"topic": "t", "strategies": {"name": "spam"}}),
            400, "validation_failed", "strategies")

    def test_create_session_forbidden_for_agent(self):
        r = self.c(self.agent_token).post("/api/v1/sessions", {"topic": "t"})
        self.assertError(r, 403, "forbidden")
        self.assertError(self.c(None).post("/api/v1/sessions", {"topic": "t"}), 401,
                         "unauthenticated")

    def test_create_session_validation(self):
        c = self.c(self.cust_token)
        self.assertError(c.post("/api/v1/sessions", {}), 400, "validation_failed", "topic")
        self.assertError(c.post("/api/v1/sessions", {"topic": ""}), 400, "validation_failed",
                         "topic")
        self.assertError(c.post("/api/v1/sessions", {"topic": 12}), 400, "validation_failed",
                         "topic")
        self.assertError(c.post("/api/v1/sessions", {"topic": "x" * 501}), 400,
                         "validation_failed", "topic")
        self.assertStatus(c.post("/api/v1/sessions", {"topic": "x" * 500}), 201)
        self.assertError(c.post("/api/v1/sessions",
                                {"topic": "t", "strategies": [{"name": "no-such-strategy"}]}),
                         400, "validation_failed", "strateg")
        self.assertError(c.post("/api/v1/sessions", {"topic": "t", "strategies": "spam"}),
                         400, "validation_failed", "strateg")
        self.assertError(c.post("/api/v1/sessions", {"topic": "t", "strategies": [{}]}),
                         400, "validation_failed", "strateg")
        self.assertError(c.post("/api/v1/sessions", {"topic": "t", "strategies": ["spam"]}),
                         400, "validation_failed", "strateg")

    def test_unknown_fields_are_ignored(self):
        r = self.c(self.cust_token).post("/api/v1/sessions",
                                         {"topic": "t", "colour": "blue", "status": "closed"})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["status"], "waiting")
        self.assertNotIn("colour", r.body)

    # -- get / list ---------------------------------------------------------------
    def test_get_session_visibility(self):
        s = make_session(self.server, self.cust_token, "mine")
        r = self.c(self.cust_token).get(f"/api/v1/sessions/{s['id']}")
        self.assertStatus(r, 200)
        # GET adds the session's place in the queue while it waits (issue 5)
        queue = r.body.pop("queue")
        self.assertEqual(r.body, s)
        self.assertGreaterEqual(queue["position"], 1)
        r = self.c(self.agent_token).get(f"/api/v1/sessions/{s['id']}")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["id"], s["id"])
        self.assertEqual(r.body["customer_id"], self.cust["id"])
        self.assertError(self.c(self.other_token).get(f"/api/v1/sessions/{s['id']}"), 404,
                         "not_found")
        self.assertError(self.c(self.cust_token).get("/api/v1/sessions/ses_AAAAAAAAAAAAAAAAAAAAAAAAAA"),
                         404, "not_found")
        self.assertError(self.c(self.agent_token).get("/api/v1/sessions/nonsense"), 404,
                         "not_found")
        self.assertError(self.c(None).get(f"/api/v1/sessions/{s['id']}"), 401,
                         "unauthenticated")

    def test_customer_lists_only_own_sessions_agent_sees_all(self):
        cust, tok = make_customer(self.server)
        oth, otok = make_customer(self.server)
        mine = [make_session(self.server, tok, f"mine {i}")["id"] for i in range(3)]
        theirs = [make_session(self.server, otok, f"theirs {i}")["id"] for i in range(2)]
        r = self.c(tok).get("/api/v1/sessions")
        self.assertStatus(r, 200)
        ids = [s["id"] for s in r.body["sessions"]]
        self.assertEqual(sorted(ids), sorted(mine))
        self.assertIsNone(r.body["next_cursor"])
        for s in r.body["sessions"]:
            self.assertEqual(s["customer_id"], cust["id"])
        # newest first
        created = [s["created_at"] for s in r.body["sessions"]]
        self.assertEqual(created, sorted(created, reverse=True))
        r = self.c(otok).get("/api/v1/sessions")
        self.assertEqual(sorted(s["id"] for s in r.body["sessions"]), sorted(theirs))
        every = {s["id"] for s in self.list_all_sessions(self.agent_token)}
        self.assertTrue(set(mine + theirs) <= every)

    def test_status_filter(self):
        _, tok = make_customer(self.server)
        waiting = make_session(self.server, tok, "w")["id"]
        active = make_session(self.server, tok, "a")["id"]
        closed = make_session(self.server, tok, "c")["id"]
        self.assertStatus(self.c(self.agent_token).post(f"/api/v1/sessions/{active}/assign",
                                                        {"agent_id": self.agent["id"]}), 200)
        self.assertStatus(self.c(tok).post(f"/api/v1/sessions/{closed}/close"), 200)
        for status, sid in (("waiting", waiting), ("active", active), ("closed", closed)):
            r = self.c(tok).get(f"/api/v1/sessions?status={status}")
            self.assertStatus(r, 200)
            self.assertEqual([s["id"] for s in r.body["sessions"]], [sid], status)
            self.assertEqual(r.body["sessions"][0]["status"], status)
        # the agent's filtered view holds only that status
        agent_closed = self.list_all_sessions(self.agent_token, "&status=closed")
        self.assertIn(closed, {s["id"] for s in agent_closed})
        self.assertEqual({s["status"] for s in agent_closed}, {"closed"})

    def test_pagination_no_duplicates_no_gaps(self):
        _, tok = make_customer(self.server)
        created = [make_session(self.server, tok, f"page {i}")["id"] for i in range(7)]
        seen, sizes, cursor = [], [], None
        for _ in range(6):
            q = "/api/v1/sessions?limit=3" + (f"&cursor={cursor}" if cursor else "")
            r = self.c(tok).get(q)
            self.assertStatus(r, 200)
            page = [s["id"] for s in r.body["sessions"]]
            sizes.append(len(page))
            seen.extend(page)
            cursor = r.body["next_cursor"]
            if cursor is None:
                break
            self.assertIsInstance(cursor, str)
        self.assertIsNone(cursor, "pagination did not end")
        self.assertEqual(sizes[:3], [3, 3, 1])
        self.assertEqual(len(seen), 7, "duplicates across pages")
        self.assertEqual(set(seen), set(created))
        # paging keeps working with the status filter too
        r = self.c(tok).get("/api/v1/sessions?limit=5&status=waiting")
        self.assertEqual(len(r.body["sessions"]), 5)
        r2 = self.c(tok).get(f"/api/v1/sessions?limit=5&status=waiting&cursor={r.body['next_cursor']}")
        self.assertStatus(r2, 200)
        self.assertEqual(len(r2.body["sessions"]), 2)
        self.assertEqual(set(s["id"] for s in r.body["sessions"] + r2.body["sessions"]),
                         set(created))

    def test_pagination_is_stable_while_sessions_are_created(self):
        """A cursor marks a position, not an offset: sessions created between
        two pages neither repeat nor hide older ones."""
        _, tok = make_customer(self.server)
        older = [make_session(self.server, tok, f"old {i}")["id"] for i in range(5)]
        r = self.c(tok).get("/api/v1/sessions?limit=2")
        self.assertStatus(r, 200)
        seen = [s["id"] for s in r.body["sessions"]]
        cursor = r.body["next_cursor"]
        newer = [make_session(self.server, tok, f"new {i}")["id"] for i in range(3)]
        for _ in range(10):
            if cursor is None:
                break
            r = self.c(tok).get(f"/api/v1/sessions?limit=2&cursor={quote(cursor, safe='')}")
            self.assertStatus(r, 200)
            seen.extend(s["id"] for s in r.body["sessions"])
            cursor = r.body["next_cursor"]
        self.assertIsNone(cursor)
        self.assertEqual(len(seen), len(set(seen)), "a session appeared on two pages")
        self.assertEqual(sorted(seen), sorted(older))
        self.assertEqual(set(seen) & set(newer), set())

    def test_query_parameters_are_percent_decoded(self):
        _, tok = make_customer(self.server)
        sid = make_session(self.server, tok)["id"]
        r = self.c(tok).get("/api/v1/sessions?status=%77aiting&limit=%31%30")
        self.assertStatus(r, 200)
        self.assertEqual([s["id"] for s in r.body["sessions"]], [sid])
        for i in range(3):
            send_message(self.server, tok, sid, f"q{i}")
        r = self.c(tok).get(f"/api/v1/sessions/{sid}/messages?after_seq=%31")
        self.assertStatus(r, 200)
        self.assertEqual([m["seq"] for m in r.body["messages"]], [2, 3])

    def test_list_bad_parameters(self):
        c = self.c(self.cust_token)
        self.assertError(c.get("/api/v1/sessions?status=open"), 400, "validation_failed",
                         "status")
        self.assertError(c.get("/api/v1/sessions?limit=0"), 400, "validation_failed", "limit")
        self.assertError(c.get("/api/v1/sessions?limit=abc"), 400, "validation_failed", "limit")
        self.assertError(c.get("/api/v1/sessions?limit=-3"), 400, "validation_failed", "limit")
        self.assertError(c.get("/api/v1/sessions?cursor=%21%21not-a-cursor"), 400,
                         "validation_failed", "cursor")
        r = c.get("/api/v1/sessions?limit=100000")  # clamped, not refused
        self.assertStatus(r, 200)
        self.assertLessEqual(len(r.body["sessions"]), 200)

    # -- assign -------------------------------------------------------------------
    def test_assign(self):
        s = make_session(self.server, self.cust_token)
        r = self.c(self.agent_token).post(f"/api/v1/sessions/{s['id']}/assign",
                                          {"agent_id": self.agent2["id"]})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["id"], s["id"])
        self.assertEqual(r.body["status"], "active")
        self.assertEqual(r.body["agent_id"], self.agent2["id"])
        got = self.c(self.cust_token).get(f"/api/v1/sessions/{s['id']}")
        self.assertEqual(got.body["status"], "active")
        self.assertEqual(got.body["agent_id"], self.agent2["id"])
        # reassign to another agent
        r = self.c(self.agent2_token).post(f"/api/v1/sessions/{s['id']}/assign",
                                           {"agent_id": self.agent["id"]})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["agent_id"], self.agent["id"])

    def test_assign_errors(self):
        s = make_session(self.server, self.cust_token)
        path = f"/api/v1/sessions/{s['id']}/assign"
        self.assertError(self.c(self.agent_token).post(path, {"agent_id": "agt_AAAAAAAAAAAAAAAAAAAAAAAAAA"}),
                         404, "not_found")
        self.assertError(self.c(self.cust_token).post(path, {"agent_id": self.agent["id"]}),
                         403, "forbidden")
        self.assertError(self.c(self.agent_token).post(path, {}), 400, "validation_failed",
                         "agent_id")
        self.assertError(self.c(self.agent_token).post(path, {"agent_id": 5}), 400,
                         "validation_failed", "agent_id")
        self.assertError(self.c(self.agent_token).post(
            "/api/v1/sessions/ses_AAAAAAAAAAAAAAAAAAAAAAAAAA/assign", {"agent_id": self.agent["id"]}),
            404, "not_found")
        # still waiting after all these failures
        self.assertEqual(self.c(self.agent_token).get(f"/api/v1/sessions/{s['id']}").body["status"],
                         "waiting")
        self.assertStatus(self.c(self.cust_token).post(f"/api/v1/sessions/{s['id']}/close"), 200)
        self.assertError(self.c(self.agent_token).post(path, {"agent_id": self.agent["id"]}),
                         409, "conflict")

    # -- close --------------------------------------------------------------------
    def test_close_by_customer_is_idempotent(self):
        s = make_session(self.server, self.cust_token)
        path = f"/api/v1/sessions/{s['id']}/close"
        self.assertError(self.c(self.other_token).post(path), 404, "not_found")
        r1 = self.c(self.cust_token).post(path)
        self.assertStatus(r1, 200)
        self.assertEqual(r1.body["status"], "closed")
        self.assertEqual(r1.body["id"], s["id"])
        r2 = self.c(self.cust_token).post(path)
        self.assertStatus(r2, 200)
        self.assertEqual(r2.body, r1.body)  # unchanged, including updated_at
        r3 = self.c(self.agent_token).post(path)
        self.assertStatus(r3, 200)
        # staff also see the session's labels, which customers never do
        self.assertEqual(r3.body.pop("labels"), [])
        self.assertEqual(r3.body, r1.body)

    def test_close_by_agent(self):
        s = make_session(self.server, self.cust_token)
        r = self.c(self.agent_token).post(f"/api/v1/sessions/{s['id']}/close")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["status"], "closed")
        self.assertError(self.c(None).post(f"/api/v1/sessions/{s['id']}/close"), 401,
                         "unauthenticated")

    # -- messages -----------------------------------------------------------------
    def test_messages_by_customer_and_agent_have_gapless_seq(self):
        s = make_session(self.server, self.cust_token)
        sid = s["id"]
        m1 = send_message(self.server, self.cust_token, sid, "Hello")
        m2 = send_message(self.server, self.agent_token, sid, "Hi, how can I help?")
        m3 = send_message(self.server, self.cust_token, sid, "My order", type="text")
        self.assertEqual([m1["seq"], m2["seq"], m3["seq"]], [1, 2, 3])
        self.assertId(m1["id"], "msg")
        self.assertEqual(m1["session_id"], sid)
        self.assertEqual(m1["sender"], {"type": "customer", "id": self.cust["id"]})
        self.assertEqual(m2["sender"], {"type": "agent", "id": self.agent["id"]})
        self.assertEqual(m1["type"], "text")
        self.assertEqual(m1["content"], "Hello")
        self.assertTime(m1["created_at"])
        self.assertEqual(len({m1["id"], m2["id"], m3["id"]}), 3)
        h = history(self.server, self.cust_token, sid)
        self.assertEqual([m["seq"] for m in h], [1, 2, 3])
        self.assertEqual([m["id"] for m in h], [m1["id"], m2["id"], m3["id"]])
        self.assertEqual(h[0], m1)
        self.assertEqual(self.c(self.cust_token).get(f"/api/v1/sessions/{sid}").body["last_seq"], 3)

    def test_message_types_and_unicode(self):
        s = make_session(self.server, self.cust_token)
        m = send_message(self.server, self.cust_token, s["id"], "https://x.example/cat.png",
                         type="image")
        self.assertEqual(m["type"], "image")
        m = send_message(self.server, self.cust_token, s["id"], "report.pdf", type="file")
        self.assertEqual(m["type"], "file")
        text = "héllo wörld – 日本語 🎉 \"quoted\" \\ back\nnewline"
        m = send_message(self.server, self.cust_token, s["id"], text)
        self.assertEqual(m["content"], text)
        self.assertEqual(history(self.server, self.cust_token, s["id"])[-1]["content"], text)

    def test_agent_first_message_assigns_session(self):
        s = make_session(self.server, self.cust_token)
        self.assertEqual(s["status"], "waiting")
        send_message(self.server, self.cust_token, s["id"], "anyone?")
        got = self.c(self.cust_token).get(f"/api/v1/sessions/{s['id']}").body
        self.assertEqual(got["status"], "waiting")  # a customer message does not assign
        m = send_message(self.server, self.agent2_token, s["id"], "I'm here")
        self.assertEqual(m["seq"], 2)
        got = self.c(self.cust_token).get(f"/api/v1/sessions/{s['id']}").body
        self.assertEqual(got["status"], "active")
        self.assertEqual(got["agent_id"], self.agent2["id"])

    def test_idempotent_client_msg_id(self):
        s = make_session(self.server, self.cust_token)
        sid = s["id"]
        path = f"/api/v1/sessions/{sid}/messages"
        send_message(self.server, self.cust_token, sid, "before")
        r1 = self.c(self.cust_token).post(path, {"content": "once", "client_msg_id": "cm-1"})
        self.assertStatus(r1, 201)
        self.assertEqual(r1.body["client_msg_id"], "cm-1")
        self.assertEqual(r1.body["seq"], 2)
        r2 = self.c(self.cust_token).post(path, {"content": "once", "client_msg_id": "cm-1"})
        self.assertStatus(r2, 200)
        self.assertEqual(r2.body, r1.body)
        # a retry whose body differs still returns the stored message
        r3 = self.c(self.cust_token).post(path, {"content": "changed", "client_msg_id": "cm-1"})
        self.assertStatus(r3, 200)
        self.assertEqual(r3.body["id"], r1.body["id"])
        self.assertEqual(r3.body["content"], "once")
        # the same client_msg_id from another sender is a different message
        r4 = self.c(self.agent_token).post(path, {"content": "agent", "client_msg_id": "cm-1"})
        self.assertStatus(r4, 201)
        self.assertNotEqual(r4.body["id"], r1.body["id"])
        self.assertEqual(r4.body["seq"], 3)
        r5 = self.c(self.agent_token).post(path, {"content": "agent", "client_msg_id": "cm-1"})
        self.assertStatus(r5, 200)
        self.assertEqual(r5.body["id"], r4.body["id"])
        h = history(self.server, self.agent_token, sid)
        self.assertEqual([m["seq"] for m in h], [1, 2, 3])
        self.assertEqual([m["id"] for m in h[1:]], [r1.body["id"], r4.body["id"]])
        self.assertNotIn("client_msg_id", h[0])

    def test_concurrent_retries_store_one_message(self):
        s = make_session(self.server, self.cust_token)
        results = []
        lock = threading.Lock()

        def worker():
            r = self.c(self.cust_token).post(f"/api/v1/sessions/{s['id']}/messages",
                                             {"content": "dup?", "client_msg_id": "same"})
            with lock:
                results.append(r)

        run_threads([worker] * 6)
        statuses = sorted(r.status for r in results)
        self.assertEqual(statuses, [200] * 5 + [201])
        self.assertEqual(len({r.body["id"] for r in results}), 1)
        self.assertEqual({r.body["seq"] for r in results}, {1})
        self.assertEqual(len(history(self.server, self.cust_token, s["id"])), 1)

    def test_message_validation(self):
        s = make_session(self.server, self.cust_token)
        c = self.c(self.cust_token)
        path = f"/api/v1/sessions/{s['id']}/messages"
        self.assertError(c.post(path, {"content": ""}), 400, "validation_failed", "content")
        self.assertError(c.post(path, {}), 400, "validation_failed", "content")
        self.assertError(c.post(path, {"content": 5}), 400, "validation_failed", "content")
        self.assertError(c.post(path, {"content": None}), 400, "validation_failed", "content")
        self.assertError(c.post(path, {"content": ["a"]}), 400, "validation_failed", "content")
        self.assertError(c.post(path, {"content": "x", "type": "video"}), 400,
                         "validation_failed", "type")
        self.assertError(c.post(path, {"content": "x", "type": 1}), 400, "validation_failed",
                         "type")
        self.assertError(c.post(path, {"content": "x", "client_msg_id": ""}), 400,
                         "validation_failed", "client_msg_id")
        self.assertError(c.post(path, {"content": "x", "client_msg_id": "c" * 129}), 400,
                         "validation_failed", "client_msg_id")
        self.assertError(c.post(path, {"content": "x", "client_msg_id": 17}), 400,
                         "validation_failed", "client_msg_id")
        self.assertStatus(c.post(path, {"content": "x", "client_msg_id": "c" * 128}), 201)
        # none of the failures stored anything
        self.assertEqual([m["seq"] for m in history(self.server, self.cust_token, s["id"])], [1])

    def test_message_size_limit_is_bytes(self):
        s = make_session(self.server, self.cust_token)
        path = f"/api/v1/sessions/{s['id']}/messages"
        c = self.c(self.cust_token)
        self.assertStatus(c.post(path, {"content": "a" * MAX_MESSAGE_BYTES}), 201)
        self.assertError(c.post(path, {"content": "a" * (MAX_MESSAGE_BYTES + 1)}), 413,
                         "payload_too_large")
        # 342 three-byte characters = 1026 bytes, only 342 characters
        self.assertError(c.post(path, {"content": "€" * 342}), 413, "payload_too_large")
        self.assertStatus(c.post(path, {"content": "€" * 341}), 201)
        self.assertEqual([m["seq"] for m in history(self.server, self.cust_token, s["id"])],
                         [1, 2])

    def test_send_into_closed_session_409(self):
        s = make_session(self.server, self.cust_token)
        send_message(self.server, self.cust_token, s["id"], "bye")
        self.assertStatus(self.c(self.cust_token).post(f"/api/v1/sessions/{s['id']}/close"), 200)
        path = f"/api/v1/sessions/{s['id']}/messages"
        self.assertError(self.c(self.cust_token).post(path, {"content": "more"}), 409, "conflict")
        self.assertError(self.c(self.agent_token).post(path, {"content": "more"}), 409,
                         "conflict")
        # the customer's message and the desk's feedback request, nothing refused
        got = history(self.server, self.agent_token, s["id"])
        self.assertEqual([m["sender"]["type"] for m in got], ["customer", "system"])

    def test_messages_of_other_customer_404(self):
        s = make_session(self.server, self.cust_token)
        send_message(self.server, self.cust_token, s["id"], "private")
        path = f"/api/v1/sessions/{s['id']}/messages"
        self.assertError(self.c(self.other_token).get(path), 404, "not_found")
        self.assertError(self.c(self.other_token).post(path, {"content": "intrude"}), 404,
                         "not_found")
        self.assertError(self.c(None).get(path), 401, "unauthenticated")
        self.assertError(self.c(self.cust_token).post(
            "/api/v1/sessions/ses_AAAAAAAAAAAAAAAAAAAAAAAAAA/messages", {"content": "x"}),
            404, "not_found")
        self.assertEqual(len(history(self.server, self.cust_token, s["id"])), 1)

    def test_history_windows_and_limits(self):
        s = make_session(self.server, self.cust_token)
        sid = s["id"]
        total = 205
        # several senders in parallel to keep this quick
        self.assertEqual(Senders(self.server, sid, [
            (tok, [f"{tag}-{i}" for i in range(n)])
            for tok, n, tag in ((self.cust_token, 70, "c"), (self.agent_token, 70, "a"),
                                (self.agent2_token, 65, "b"))]).run(), [])

        def seqs(q):
            return [m["seq"] for m in history(self.server, self.cust_token, sid, q)]

        self.assertEqual(seqs("?after_seq=0"), list(range(1, 51)))  # default limit 50
        default = seqs("")
        self.assertEqual(len(default), 50)
        self.assertEqual(default, list(range(default[0], default[0] + 50)))
        self.assertEqual(seqs("?after_seq=0&limit=1000"), list(range(1, 201)))  # clamped
        self.assertEqual(seqs("?after_seq=0&limit=201"), list(range(1, 201)))
        self.assertEqual(seqs("?after_seq=0&limit=200"), list(range(1, 201)))
        self.assertEqual(seqs("?after_seq=200"), [201, 202, 203, 204, 205])
        self.assertEqual(seqs("?after_seq=100&limit=3"), [101, 102, 103])
        self.assertEqual(seqs("?after_seq=205"), [])
        self.assertEqual(seqs("?after_seq=1000"), [])
        self.assertEqual(seqs("?before_seq=4"), [1, 2, 3])
        self.assertEqual(seqs("?before_seq=1"), [])
        self.assertEqual(seqs("?after_seq=10&before_seq=15"), [11, 12, 13, 14])
        full = all_history(self.server, self.agent_token, sid)
        self.assertEqual([m["seq"] for m in full], list(range(1, total + 1)))
        self.assertEqual(len({m["id"] for m in full}), total)
        # each sender's own messages are in the order it sent them
        for tag, n in (("c", 70), ("a", 70), ("b", 65)):
            mine = [m["content"] for m in full if m["content"].startswith(tag + "-")]
            self.assertEqual(mine, [f"{tag}-{i}" for i in range(n)])
        self.assertEqual(self.c(self.cust_token).get(f"/api/v1/sessions/{sid}").body["last_seq"],
                         total)

    def test_history_bad_parameters(self):
        s = make_session(self.server, self.cust_token)
        c = self.c(self.cust_token)
        base = f"/api/v1/sessions/{s['id']}/messages"
        for q, field in (("?limit=0", "limit"), ("?limit=-1", "limit"), ("?limit=x", "limit"),
                         ("?after_seq=-1", "after_seq"), ("?after_seq=abc", "after_seq"),
                         ("?before_seq=1.5", "before_seq"), ("?before_seq=", "before_seq")):
            self.assertError(c.get(base + q), 400, "validation_failed", field)


class DefaultStrategiesTest(unittest.TestCase):
    """--default-strategies is checked at start: a chain naming a strategy
    this server does not have stops it with a message naming the strategy,
    instead of refusing every new session later."""

    def test_unknown_default_strategy_refuses_to_start(self):
        with tempfile.TemporaryDirectory() as data_dir:
            argv = wrapper_argv() + [parleyd_path(), "--listen", "127.0.0.1:0",
                                     "--data-dir", data_dir, "--default-strategies",
                                     json.dumps([{"name": "no-such-strategy"}])]
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=T(60))
            self.assertNotEqual(proc.returncode, 0)
            self.assertIn("--default-strategies", proc.stderr)
            self.assertIn("no-such-strategy", proc.stderr)
            self.assertNotIn("listening on", proc.stdout)

    def test_malformed_default_chain_refuses_to_start(self):
        with tempfile.TemporaryDirectory() as data_dir:
            argv = wrapper_argv() + [parleyd_path(), "--listen", "127.0.0.1:0",
                                     "--data-dir", data_dir, "--default-strategies", "{oops"]
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=T(60))
            self.assertNotEqual(proc.returncode, 0)
            self.assertIn("--default-strategies", proc.stderr)


if __name__ == "__main__":
    unittest.main()
