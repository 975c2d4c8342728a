"""The support desk's tickets (issue 5): the transition table, priority,
assignee, subject, internal notes that customers never see, tickets made
from a session in one call, list filters with pagination, and the
ticket.created / ticket.updated / ticket.note_created events."""

import itertools
import unittest
import urllib.parse

from parley_harness import DeskTestCase, make_customer, make_session, send_message

STATUSES = ["open", "in_progress", "resolved"]
# docs/api-behaviour.md, "Tickets": every other change between two
# different statuses answers 409
ALLOWED = {("open", "in_progress"), ("open", "resolved"), ("in_progress", "resolved"),
           ("in_progress", "open"), ("resolved", "open")}
NO_SUCH_TICKET = "tkt_AAAAAAAAAAAAAAAAAAAAAAAAAA"


class TicketsDeskTest(DeskTestCase):
    agents = 2
    customers = 2

    def ticket(self, token=None, cust_token=None, **fields):
        s = make_session(self.server, cust_token or self.cust_token)
        body = {"session_id": s["id"], "issue_description": "Broken order"}
        body.update(fields)
        r = self.c(token or self.agent_token).post("/api/v1/tickets", body)
        self.assertStatus(r, 201)
        return r.body

    def move_to(self, tid, status):
        """Brings a fresh open ticket to status along allowed steps."""
        path = {"open": [], "in_progress": ["in_progress"], "resolved": ["resolved"]}[status]
        for step in path:
            self.assertStatus(self.c(self.agent_token).patch(f"/api/v1/tickets/{tid}",
                                                             {"status": step}), 200)

    def test_transition_table_exhaustively(self):
        for frm, to in itertools.product(STATUSES, STATUSES):
            t = self.ticket()
            self.move_to(t["id"], frm)
            r = self.c(self.agent_token).patch(f"/api/v1/tickets/{t['id']}", {"status": to})
            if frm == to or (frm, to) in ALLOWED:
                self.assertStatus(r, 200)
                self.assertEqual(r.body["status"], to, f"{frm} -> {to}")
            else:
                self.assertError(r, 409, "conflict")
                # the message names both states
                self.assertIn(frm, r.body["error"]["message"])
                self.assertIn(to, r.body["error"]["message"])
                got = self.c(self.agent_token).get(f"/api/v1/tickets/{t['id']}").body
                self.assertEqual(got["status"], frm, f"{frm} -> {to} changed the ticket")

    def test_new_fields_and_defaults(self):
        t = self.ticket()
        self.assertEqual(t["priority"], "normal")
        self.assertIsNone(t["subject"])
        self.assertEqual(t["customer_id"], self.cust["id"])
        self.assertEqual(t["agent_id"], self.agent["id"])
        t = self.ticket(priority="urgent", subject="Refund", agent_id=self.agent2["id"])
        self.assertEqual((t["priority"], t["subject"], t["agent_id"]),
                         ("urgent", "Refund", self.agent2["id"]))
        s = make_session(self.server, self.cust_token)
        c = self.c(self.agent_token)
        for body, field in (({"priority": "asap"}, "priority"), ({"priority": 3}, "priority"),
                            ({"subject": ""}, "subject"), ({"subject": "s" * 201}, "subject")):
            body.update({"session_id": s["id"], "issue_description": "x"})
            self.assertError(c.post("/api/v1/tickets", body), 400, "validation_failed", field)
        self.assertError(c.post("/api/v1/tickets", {"session_id": s["id"], "issue_description": "x",
                                                     "agent_id": "agt_AAAAAAAAAAAAAAAAAAAAAAAAAA"}),
                         404, "not_found")

    def test_patch_priority_assignee_subject(self):
        t = self.ticket()
        c = self.c(self.agent_token)
        path = f"/api/v1/tickets/{t['id']}"
        r = c.patch(path, {"priority": "high", "agent_id": self.agent2["id"], "subject": "S"})
        self.assertStatus(r, 200)
        self.assertEqual((r.body["priority"], r.body["agent_id"], r.body["subject"],
                          r.body["status"]), ("high", self.agent2["id"], "S", "open"))
        r = c.patch(path, {"agent_id": None})  # unassign
        self.assertStatus(r, 200)
        self.assertIsNone(r.body["agent_id"])
        r = c.patch(path, {"issue_description": "Rewritten"})
        self.assertEqual(r.body["issue_description"], "Rewritten")
        self.assertError(c.patch(path, {"priority": "whenever"}), 400, "validation_failed",
                         "priority")
        self.assertError(c.patch(path, {"agent_id": "agt_AAAAAAAAAAAAAAAAAAAAAAAAAA"}), 404,
                         "not_found")
        got = c.get(path).body
        self.assertEqual((got["priority"], got["agent_id"], got["issue_description"]),
                         ("high", None, "Rewritten"))

    def test_internal_notes_staff_only(self):
        t = self.ticket()
        path = f"/api/v1/tickets/{t['id']}/notes"
        r = self.c(self.agent_token).post(path, {"body": "customer sounded upset"})
        self.assertStatus(r, 201)
        note = r.body
        self.assertEqual((note["ticket_id"], note["author_id"], note["body"]),
                         (t["id"], self.agent["id"], "customer sounded upset"))
        self.assertTime(note["created_at"])
        self.assertStatus(self.c(self.admin_token).post(path, {"body": "second"}), 201)
        got = self.c(self.agent2_token).get(path)
        self.assertStatus(got, 200)
        self.assertEqual([n["body"] for n in got.body["notes"]], ["second",
                                                                  "customer sounded upset"])
        # customers never see notes, not even on their own ticket
        self.assertError(self.c(self.cust_token).get(path), 403, "forbidden")
        self.assertError(self.c(self.cust_token).post(path, {"body": "x"}), 403, "forbidden")
        own = self.c(self.cust_token).get(f"/api/v1/tickets/{t['id']}")
        self.assertStatus(own, 200)
        self.assertNotIn("upset", repr(own.body))
        self.assertNotIn("upset", repr(self.c(self.cust_token).get("/api/v1/tickets").body))
        # validation, unknown ticket
        c = self.c(self.agent_token)
        self.assertError(c.post(path, {}), 400, "validation_failed", "body")
        self.assertError(c.post(path, {"body": ""}), 400, "validation_failed", "body")
        self.assertError(c.post(path, {"body": "n" * 5001}), 400, "validation_failed", "body")
        self.assertError(c.post(f"/api/v1/tickets/{NO_SUCH_TICKET}/notes", {"body": "x"}), 404,
                         "not_found")
        self.assertError(c.get(f"/api/v1/tickets/{NO_SUCH_TICKET}/notes"), 404, "not_found")
        # pagination
        for i in range(3):
            self.assertStatus(c.post(path, {"body": f"p{i}"}), 201)
        seen, cursor = [], None
        for _ in range(10):
            r = c.get(path + "?limit=2" + (f"&cursor={cursor}" if cursor else ""))
            self.assertStatus(r, 200)
            self.assertLessEqual(len(r.body["notes"]), 2)
            seen += [n["body"] for n in r.body["notes"]]
            cursor = r.body["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(seen, ["p2", "p1", "p0", "second", "customer sounded upset"])

    def test_ticket_from_session(self):
        s = make_session(self.server, self.cust_token, topic="Parcel never arrived")
        send_message(self.server, self.cust_token, s["id"], "Where is my parcel?")
        send_message(self.server, self.agent_token, s["id"], "Let me check")
        r = self.c(self.agent_token).post(f"/api/v1/sessions/{s['id']}/ticket",
                                          {"priority": "high"})
        self.assertStatus(r, 201)
        t = r.body
        self.assertEqual((t["session_id"], t["customer_id"], t["agent_id"], t["priority"],
                          t["status"]), (s["id"], self.cust["id"], self.agent["id"], "high",
                                         "open"))
        self.assertIn("Parcel never arrived", t["issue_description"])
        self.assertIn("customer: Where is my parcel?", t["issue_description"])
        self.assertIn("agent: Let me check", t["issue_description"])
        # no body at all, or a description of one's own
        r = self.c(self.agent_token).post(f"/api/v1/sessions/{s['id']}/ticket")
        self.assertStatus(r, 201)
        r = self.c(self.agent_token).post(f"/api/v1/sessions/{s['id']}/ticket",
                                          {"issue_description": "Mine", "subject": "Lost"})
        self.assertStatus(r, 201)
        self.assertEqual((r.body["issue_description"], r.body["subject"]), ("Mine", "Lost"))
        # errors
        self.assertError(self.c(self.cust_token).post(f"/api/v1/sessions/{s['id']}/ticket", {}),
                         403, "forbidden")
        self.assertError(self.c(self.agent_token).post(
            "/api/v1/sessions/ses_AAAAAAAAAAAAAAAAAAAAAAAAAA/ticket", {}), 404, "not_found")
        self.assertError(self.c(self.agent_token).post(
            f"/api/v1/sessions/{s['id']}/ticket", {"priority": "meh"}), 400,
            "validation_failed", "priority")
        self.assertError(self.c(self.agent_token).post(
            f"/api/v1/sessions/{s['id']}/ticket", raw="{"), 400, "invalid_json")
        listed = self.c(self.agent_token).get(f"/api/v1/tickets?session_id={s['id']}").body
        self.assertEqual(len(listed["tickets"]), 3)

    def list_ids(self, token, query):
        ids, cursor = [], None
        for _ in range(50):
            r = self.c(token).get("/api/v1/tickets?limit=2" + query +
                                  (f"&cursor={cursor}" if cursor else ""))
            self.assertStatus(r, 200)
            self.assertLessEqual(len(r.body["tickets"]), 2)
            ids += [t["id"] for t in r.body["tickets"]]
            cursor = r.body["next_cursor"]
            if cursor is None:
                return ids
        self.fail("no end to the pages")

    def test_filters_and_pagination(self):
        cust, ctok = make_customer(self.server)
        a = self.ticket(cust_token=ctok, priority="low")
        b = self.ticket(cust_token=ctok, priority="urgent", agent_id=self.agent2["id"])
        c = self.ticket(cust_token=ctok, priority="urgent")
        self.assertStatus(self.c(self.agent_token).patch(f"/api/v1/tickets/{c['id']}",
                                                         {"status": "resolved"}), 200)
        q = f"&customer_id={cust['id']}"
        self.assertEqual(self.list_ids(self.agent_token, q), [c["id"], b["id"], a["id"]])
        self.assertEqual(self.list_ids(self.agent_token, q + "&priority=urgent"),
                         [c["id"], b["id"]])
        self.assertEqual(self.list_ids(self.agent_token, q + f"&assignee_id={self.agent2['id']}"),
                         [b["id"]])
        self.assertEqual(self.list_ids(self.agent_token, q + "&status=resolved&priority=urgent"),
                         [c["id"]])
        self.assertEqual(self.list_ids(self.agent_token, q + f"&session_id={a['session_id']}"),
                         [a["id"]])
        after = urllib.parse.quote(c["created_at"])
        # expected from the server's own timestamps (equal milliseconds are possible)
        newest_first = [c, b, a]
        self.assertEqual(self.list_ids(self.agent_token, q + f"&created_after={after}"),
                         [t["id"] for t in newest_first if t["created_at"] >= c["created_at"]])
        self.assertEqual(self.list_ids(self.agent_token, q + f"&created_before={after}"),
                         [t["id"] for t in newest_first if t["created_at"] < c["created_at"]])
        # a customer sees only their own, whatever filter they pass
        self.assertEqual(self.list_ids(ctok, ""), [c["id"], b["id"], a["id"]])
        self.assertEqual(self.list_ids(self.other_token, q), [])
        bad = self.c(self.agent_token)
        self.assertError(bad.get("/api/v1/tickets?priority=meh"), 400, "validation_failed",
                         "priority")
        self.assertError(bad.get("/api/v1/tickets?created_after=yesterday"), 400,
                         "validation_failed", "created_after")
        self.assertError(bad.get("/api/v1/tickets?assignee_id=" + "a" * 60), 400,
                         "validation_failed", "assignee_id")
        self.assertError(bad.get("/api/v1/tickets?cursor=abc"), 400, "validation_failed")

    def test_events(self):
        cust, ctok = make_customer(self.server)
        agent_ws = self.server.ws(self.agent_token)
        cust_ws = self.server.ws(ctok)
        other_ws = self.server.ws(self.other_token)
        self.addCleanup(agent_ws.close)
        self.addCleanup(cust_ws.close)
        self.addCleanup(other_ws.close)
        s = make_session(self.server, ctok)
        r = self.c(self.agent_token).post(f"/api/v1/sessions/{s['id']}/ticket",
                                          {"issue_description": "evented"})
        self.assertStatus(r, 201)
        tid = r.body["id"]
        mine = lambda m: m.get("ticket", {}).get("id") == tid  # noqa: E731
        for ws in (agent_ws, cust_ws):
            self.assertEqual(ws.recv_json("ticket.created", match=mine)["ticket"], r.body)
            self.assertEqual(ws.recv_json("ticket.updated", match=mine)["ticket"], r.body)
        r = self.c(self.agent_token).patch(f"/api/v1/tickets/{tid}", {"status": "in_progress"})
        for ws in (agent_ws, cust_ws):
            self.assertEqual(ws.recv_json("ticket.updated", match=mine)["ticket"]["status"],
                             "in_progress")
        self.assertStatus(self.c(self.agent_token).post(f"/api/v1/tickets/{tid}/notes",
                                                        {"body": "secret note"}), 201)
        ev = agent_ws.recv_json("ticket.note_created")
        self.assertEqual((ev["ticket_id"], ev["note"]["body"]), (tid, "secret note"))
        # a ping answered after the note proves the customers' sockets got
        # everything sent before it: no note, and the other customer nothing
        for ws in (cust_ws, other_ws):
            ws.send_json({"type": "ping"})
            ws.recv_json("pong")
        self.assertNotIn("secret note", repr(cust_ws.backlog))
        self.assertEqual([m for m in other_ws.backlog if "ticket" in m.get("type", "")], [])


if __name__ == "__main__":
    unittest.main()
