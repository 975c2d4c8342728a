"""The session lifecycle (issue 5): closing asks the customer for a rating
(a system message and feedback.requested), closed_at is recorded, and idle
sessions are closed by the desk after sessions.auto_close_idle_seconds."""

import calendar
import time
import unittest

from parley_harness import (DeskTestCase, history, make_customer, make_session,
                            send_message)

def ms(text):
    base = calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))
    return base * 1000 + int(text[20:23])


SETTING = "sessions.auto_close_idle_seconds"
PROMPT = "Thank you for chatting with us. How did we do? Please rate this conversation from 1 to 5."


class LifecycleTest(DeskTestCase):

    def set_idle(self, seconds):
        r = self.server.client(self.admin_token).patch("/api/v1/settings", {SETTING: seconds})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["settings"][SETTING], seconds)

    def test_setting_is_registered_and_off_by_default(self):
        r = self.server.client(self.agent_token).get("/api/v1/settings")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["schema"][SETTING]["default"], 0)
        for bad in (-1, "60", 1.5):
            r = self.server.client(self.admin_token).patch("/api/v1/settings", {SETTING: bad})
            self.assertError(r, 400, "validation_failed", SETTING)

    def test_close_requests_feedback(self):
        cust, tok = make_customer(self.server)
        ws = self.server.ws(tok)
        self.addCleanup(ws.close)
        s = make_session(self.server, tok)
        send_message(self.server, tok, s["id"], "thanks, bye")
        r = self.server.client(self.agent_token).post(f"/api/v1/sessions/{s['id']}/close")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["status"], "closed")
        self.assertEqual(r.body["closed_at"], r.body["updated_at"])
        self.assertEqual(r.body["last_seq"], 2)  # the request is counted
        ev = ws.recv_json("feedback.requested")
        self.assertEqual(ev, {"type": "feedback.requested", "session_id": s["id"]})
        msgs = history(self.server, tok, s["id"])
        self.assertEqual(msgs[-1]["sender"], {"type": "system", "id": None})
        self.assertEqual(msgs[-1]["content"], PROMPT)
        self.assertIs(msgs[-1]["feedback_requested"], True)
        # closing again changes nothing and asks nothing
        again = self.server.client(tok).post(f"/api/v1/sessions/{s['id']}/close")
        staff_view = dict(r.body)
        staff_view.pop("labels")  # the team's own triage: never shown to customers
        self.assertEqual(again.body, staff_view)
        self.assertEqual(len(history(self.server, tok, s["id"])), 2)
        # the customer rates as asked
        self.assertStatus(self.server.client(tok).post(f"/api/v1/sessions/{s['id']}/feedback",
                                                       {"rating": 5}), 201)

    def test_rated_before_close_is_not_asked(self):
        cust, tok = make_customer(self.server)
        s = make_session(self.server, tok)
        self.assertStatus(self.server.client(tok).post(f"/api/v1/sessions/{s['id']}/feedback",
                                                       {"rating": 2}), 201)
        r = self.server.client(tok).post(f"/api/v1/sessions/{s['id']}/close")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["last_seq"], 0)
        self.assertEqual(history(self.server, tok, s["id"]), [])

    def test_auto_close_idle_sessions(self):
        cust, tok = make_customer(self.server)
        cust_ws = self.server.ws(tok)
        agent_ws = self.server.ws(self.agent_token)
        self.addCleanup(cust_ws.close)
        self.addCleanup(agent_ws.close)
        s = make_session(self.server, tok)
        send_message(self.server, tok, s["id"], "anyone?")
        cust_ws.send_json({"type": "subscribe", "session_id": s["id"], "after_seq": 1})
        cust_ws.recv_json("subscribed")
        closed = None
        self.set_idle(1)
        self.addCleanup(self.set_idle, 0)
        mine = lambda m: m["session"]["id"] == s["id"] and \
            m["session"]["status"] == "closed"  # noqa: E731
        for ws in (agent_ws, cust_ws):
            closed = ws.recv_json("session.updated", match=mine, timeout=15)["session"]
        notice = cust_ws.recv_json("message.created")["message"]
        self.assertEqual(notice["sender"]["type"], "system")
        self.assertEqual(notice["content"],
                         "This conversation was closed after 1 second without activity.")
        self.assertEqual(notice["seq"], 2)
        prompt = cust_ws.recv_json("message.created")["message"]
        self.assertEqual((prompt["seq"], prompt["content"]), (3, PROMPT))
        self.assertEqual(cust_ws.recv_json("feedback.requested")["session_id"], s["id"])
        self.assertEqual(closed["last_seq"], 3)
        self.assertIsNotNone(closed["closed_at"])
        got = self.server.client(tok).get(f"/api/v1/sessions/{s['id']}").body
        self.assertIsNone(got.pop("queue"))  # GET adds the queue place; closed: none
        self.assertEqual(got, closed)
        # the notice came at least the idle time after the last message
        msgs = history(self.server, tok, s["id"])
        self.assertEqual([m["sender"]["type"] for m in msgs], ["customer", "system", "system"])
        idle = ms(msgs[1]["created_at"]) - ms(msgs[0]["created_at"])
        self.assertGreater(idle, 1000, "closed before the session was idle for the setting")
        self.assertError(self.server.client(tok).post(f"/api/v1/sessions/{s['id']}/messages",
                                                      {"content": "late"}), 409, "conflict")


if __name__ == "__main__":
    unittest.main()
