"""Tickets and feedback (docs/api-behaviour.md, "Tickets", "Feedback")."""

import unittest

from parley_harness import DeskTestCase, all_pages, make_customer, make_session

NO_SUCH_SESSION = "ses_AAAAAAAAAAAAAAAAAAAAAAAAAA"
NO_SUCH_TICKET = "tkt_AAAAAAAAAAAAAAAAAAAAAAAAAA"


class TicketsTest(DeskTestCase):
    agents = 2
    customers = 2

    def new_ticket(self, token=None, session_token=None, text="Refund needed"):
        s = make_session(self.server, session_token or self.cust_token)
        r = self.c(token or self.agent_token).post("/api/v1/tickets", {
            "session_id": s["id"], "issue_description": text})
        self.assertStatus(r, 201)
        return r.body

    def patch(self, tid, status, token=None):
        return self.c(token or self.agent_token).patch(f"/api/v1/tickets/{tid}",
                                                       {"status": status})

    def list_tickets(self, token, query=""):
        return all_pages(self.c(token), "/api/v1/tickets?limit=200" + query, "tickets")

    def test_create_ticket(self):
        s = make_session(self.server, self.cust_token)
        r = self.c(self.agent2_token).post("/api/v1/tickets", {
            "session_id": s["id"], "issue_description": "Package lost in transit"})
        self.assertStatus(r, 201)
        t = r.body
        self.assertId(t["id"], "tkt")
        self.assertEqual(t["session_id"], s["id"])
        self.assertEqual(t["agent_id"], self.agent2["id"])  # the creating agent
        self.assertEqual(t["issue_description"], "Package lost in transit")
        self.assertEqual(t["status"], "open")
        self.assertTime(t["created_at"])
        self.assertTime(t["updated_at"])

    def test_create_ticket_errors(self):
        s = make_session(self.server, self.cust_token)
        c = self.c(self.agent_token)
        self.assertError(self.c(self.cust_token).post("/api/v1/tickets", {
            "session_id": s["id"], "issue_description": "x"}), 403, "forbidden")
        self.assertError(self.c(None).post("/api/v1/tickets", {
            "session_id": s["id"], "issue_description": "x"}), 401, "unauthenticated")
        self.assertError(c.post("/api/v1/tickets", {"session_id": NO_SUCH_SESSION,
                                                    "issue_description": "x"}), 404, "not_found")
        self.assertError(c.post("/api/v1/tickets", {"session_id": s["id"]}), 400,
                         "validation_failed", "issue_description")
        self.assertError(c.post("/api/v1/tickets", {"session_id": s["id"],
                                                    "issue_description": ""}), 400,
                         "validation_failed", "issue_description")
        self.assertError(c.post("/api/v1/tickets", {"session_id": s["id"],
                                                    "issue_description": "d" * 5001}), 400,
                         "validation_failed", "issue_description")
        self.assertError(c.post("/api/v1/tickets", {"issue_description": "x"}), 400,
                         "validation_failed", "session_id")
        self.assertError(c.post("/api/v1/tickets", {"session_id": 3, "issue_description": "x"}),
                         400, "validation_failed", "session_id")
        r = c.post("/api/v1/tickets", {"session_id": s["id"], "issue_description": "d" * 5000})
        self.assertStatus(r, 201)
        self.assertEqual(len(r.body["issue_description"]), 5000)

    def test_get_ticket(self):
        t = self.new_ticket()
        r = self.c(self.agent2_token).get(f"/api/v1/tickets/{t['id']}")
        self.assertStatus(r, 200)
        self.assertEqual(r.body, t)
        r = self.c(self.cust_token).get(f"/api/v1/tickets/{t['id']}")  # own session's ticket
        self.assertStatus(r, 200)
        self.assertEqual(r.body["id"], t["id"])
        self.assertError(self.c(self.other_token).get(f"/api/v1/tickets/{t['id']}"), 404,
                         "not_found")
        self.assertError(self.c(self.agent_token).get(f"/api/v1/tickets/{NO_SUCH_TICKET}"), 404,
                         "not_found")
        self.assertError(self.c(None).get(f"/api/v1/tickets/{t['id']}"), 401, "unauthenticated")

    def test_list_with_status_filter(self):
        t_open = self.new_ticket()
        t_prog = self.new_ticket()
        t_res = self.new_ticket()
        self.assertStatus(self.patch(t_prog["id"], "in_progress"), 200)
        self.assertStatus(self.patch(t_res["id"], "resolved"), 200)
        all_ids = {t["id"] for t in self.list_tickets(self.agent_token)}
        self.assertTrue({t_open["id"], t_prog["id"], t_res["id"]} <= all_ids)
        for status, tid in (("open", t_open["id"]), ("in_progress", t_prog["id"]),
                            ("resolved", t_res["id"])):
            got = self.list_tickets(self.agent_token, f"&status={status}")
            ids = {t["id"] for t in got}
            self.assertIn(tid, ids, status)
            self.assertEqual({t["status"] for t in got}, {status})
            others = {t_open["id"], t_prog["id"], t_res["id"]} - {tid}
            self.assertEqual(ids & others, set(), status)
        self.assertError(self.c(self.agent_token).get("/api/v1/tickets?status=closed"), 400,
                         "validation_failed", "status")
        self.assertError(self.c(None).get("/api/v1/tickets"), 401, "unauthenticated")

    def test_customer_sees_only_own_tickets(self):
        cust, tok = make_customer(self.server)
        oth, otok = make_customer(self.server)
        mine = [self.new_ticket(session_token=tok)["id"] for _ in range(2)]
        theirs = self.new_ticket(session_token=otok)["id"]
        got = self.list_tickets(tok)
        self.assertEqual(sorted(t["id"] for t in got), sorted(mine))
        self.assertEqual([t["id"] for t in self.list_tickets(otok)], [theirs])
        self.assertError(self.c(tok).get(f"/api/v1/tickets/{theirs}"), 404, "not_found")

    def test_ticket_pagination(self):
        _, tok = make_customer(self.server)
        made = {self.new_ticket(session_token=tok)["id"] for _ in range(5)}
        seen, cursor = [], None
        for _ in range(5):
            r = self.c(tok).get("/api/v1/tickets?limit=2" + (f"&cursor={cursor}" if cursor else ""))
            self.assertStatus(r, 200)
            self.assertLessEqual(len(r.body["tickets"]), 2)
            seen.extend(t["id"] for t in r.body["tickets"])
            cursor = r.body["next_cursor"]
            if cursor is None:
                break
        self.assertIsNone(cursor)
        self.assertEqual(len(seen), 5)
        self.assertEqual(set(seen), made)

    def test_allowed_transitions(self):
        t = self.new_ticket()
        tid = t["id"]
        for status in ("in_progress", "open", "resolved", "open", "in_progress", "resolved"):
            r = self.patch(tid, status)
            self.assertStatus(r, 200)
            self.assertEqual(r.body["status"], status)
            self.assertEqual(r.body["id"], tid)
            self.assertEqual(r.body["session_id"], t["session_id"])
            self.assertGreaterEqual(r.body["updated_at"], t["created_at"])
        got = self.c(self.agent_token).get(f"/api/v1/tickets/{tid}")
        self.assertEqual(got.body["status"], "resolved")

    def test_forbidden_transition_409(self):
        t = self.new_ticket()
        self.assertStatus(self.patch(t["id"], "resolved"), 200)
        self.assertError(self.patch(t["id"], "in_progress"), 409, "conflict")
        self.assertEqual(self.c(self.agent_token).get(f"/api/v1/tickets/{t['id']}").body["status"],
                         "resolved")

    def test_same_status_is_noop_200(self):
        t = self.new_ticket()
        r = self.patch(t["id"], "open")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["status"], "open")
        self.assertStatus(self.patch(t["id"], "resolved"), 200)
        r = self.patch(t["id"], "resolved")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["status"], "resolved")

    def test_patch_validation_and_permissions(self):
        t = self.new_ticket()
        self.assertError(self.patch(t["id"], "closed"), 400, "validation_failed", "status")
        self.assertError(self.patch(t["id"], 2), 400, "validation_failed", "status")
        r = self.c(self.agent_token).patch(f"/api/v1/tickets/{t['id']}", {})
        self.assertError(r, 400, "validation_failed", "status")
        self.assertError(self.patch(t["id"], "resolved", token=self.cust_token), 403, "forbidden")
        self.assertError(self.c(None).patch(f"/api/v1/tickets/{t['id']}", {"status": "resolved"}),
                         401, "unauthenticated")
        self.assertError(self.patch(NO_SUCH_TICKET, "resolved"), 404, "not_found")
        self.assertEqual(self.c(self.agent_token).get(f"/api/v1/tickets/{t['id']}").body["status"],
                         "open")


class FeedbackTest(DeskTestCase):
    customers = 2

    def closed_session(self):
        s = make_session(self.server, self.cust_token)
        self.assertStatus(self.c(self.cust_token).post(f"/api/v1/sessions/{s['id']}/close"), 200)
        return s

    def test_feedback_roundtrip(self):
        s = self.closed_session()
        path = f"/api/v1/sessions/{s['id']}/feedback"
        self.assertError(self.c(self.agent_token).get(path), 404, "not_found")  # none yet
        r = self.c(self.cust_token).post(path, {"rating": 4, "comment": "Quick and kind"})
        self.assertStatus(r, 201)
        f = r.body
        self.assertId(f["id"], "fbk")
        self.assertEqual(f["session_id"], s["id"])
        self.assertEqual(f["customer_id"], self.cust["id"])
        self.assertEqual(f["rating"], 4)
        self.assertEqual(f["comment"], "Quick and kind")
        self.assertTime(f["created_at"])
        got = self.c(self.agent_token).get(path)
        self.assertStatus(got, 200)
        self.assertEqual(got.body, f)
        got = self.c(self.cust_token).get(path)
        self.assertStatus(got, 200)
        self.assertEqual(got.body, f)
        self.assertError(self.c(self.other_token).get(path), 404, "not_found")

    def test_second_rating_409(self):
        s = self.closed_session()
        path = f"/api/v1/sessions/{s['id']}/feedback"
        self.assertStatus(self.c(self.cust_token).post(path, {"rating": 5}), 201)
        self.assertError(self.c(self.cust_token).post(path, {"rating": 1}), 409, "conflict")
        self.assertEqual(self.c(self.agent_token).get(path).body["rating"], 5)

    def test_rating_bounds(self):
        for bad in (0, 6, -1, 3.5, "5", None, True):
            s = self.closed_session()
            r = self.c(self.cust_token).post(f"/api/v1/sessions/{s['id']}/feedback",
                                             {"rating": bad})
            self.assertError(r, 400, "validation_failed", "rating")
        s = self.closed_session()
        self.assertError(self.c(self.cust_token).post(f"/api/v1/sessions/{s['id']}/feedback", {}),
                         400, "validation_failed", "rating")
        for good in (1, 5):
            s = self.closed_session()
            r = self.c(self.cust_token).post(f"/api/v1/sessions/{s['id']}/feedback",
                                             {"rating": good})
            self.assertStatus(r, 201)
            self.assertEqual(r.body["rating"], good)

    def test_comment_limits(self):
        s = self.closed_session()
        path = f"/api/v1/sessions/{s['id']}/feedback"
        self.assertError(self.c(self.cust_token).post(path, {"rating": 3, "comment": "c" * 2001}),
                         400, "validation_failed", "comment")
        self.assertError(self.c(self.cust_token).post(path, {"rating": 3, "comment": 9}),
                         400, "validation_failed", "comment")
        r = self.c(self.cust_token).post(path, {"rating": 3, "comment": "c" * 2000})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["comment"], "c" * 2000)

    def test_only_own_customer_may_rate(self):
        s = self.closed_session()
        path = f"/api/v1/sessions/{s['id']}/feedback"
        self.assertError(self.c(self.other_token).post(path, {"rating": 1}), 404, "not_found")
        self.assertError(self.c(self.agent_token).post(path, {"rating": 1}), 403, "forbidden")
        self.assertError(self.c(None).post(path, {"rating": 1}), 401, "unauthenticated")
        self.assertError(self.c(self.cust_token).post(
            f"/api/v1/sessions/{NO_SUCH_SESSION}/feedback", {"rating": 1}), 404, "not_found")
        # none of those stored a rating
        self.assertError(self.c(self.agent_token).get(path), 404, "not_found")
        self.assertStatus(self.c(self.cust_token).post(path, {"rating": 2}), 201)


if __name__ == "__main__":
    unittest.main()
