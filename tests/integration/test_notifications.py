"""The notification service of issue 14 (docs/subsystems/notifications.md):
notifications written in the unit of their cause for each event of the
outbox's table, the recipient's inbox (GET /api/v1/notifications, unread
count, mark read), notification.created over the WebSocket to the
recipient only, the admins' delivery log, and delivery that survives a
kill -9 between the commit and the delivery."""

import signal
import time
import unittest

from parley_harness import (ADMIN_PASSWORD, DeskTestCase, ParleyServer, login, make_agent,
                            make_customer, make_session, send_message, uniq, unique_email,
                            wait_until, T)


def inbox(server, token, query=""):
    r = server.client(token).get("/api/v1/notifications" + query)
    assert r.status == 200, f"{r.status} {r.body!r}"
    return r.body


def of_event(body, event, session_id=None, ticket_id=None):
    return [n for n in body["notifications"] if n["event"] == event and
            (session_id is None or n["session_id"] == session_id) and
            (ticket_id is None or n["ticket_id"] == ticket_id)]


class NotificationsTestCase(DeskTestCase):
    agents = 2
    customers = 0
    # the in-app channel alone: preferences list exactly its channel
    # (web push has its own tests, test_push.py)
    server_args = ["--push", "0"]

    def notified(self, token, event, session_id=None, ticket_id=None, timeout=10):
        """Waits until the recipient of token has that notification; returns it."""
        found = []

        def has():
            found[:] = of_event(inbox(self.server, token, "?limit=200"), event, session_id,
                                ticket_id)
            return bool(found)
        wait_until(has, timeout=T(timeout), message=f"a {event} notification")
        return found[0]


class OutboxTest(NotificationsTestCase):

    def test_waiting_customer_notifies_every_agent_without_configuration(self):
        ws = self.server.ws(token=self.agent_token)
        self.addCleanup(ws.close)
        _, cust_token = make_customer(self.server)
        session = make_session(self.server, cust_token, topic="Invoice wrong")
        n = self.notified(self.agent_token, "session.waiting", session["id"])
        self.assertId(n["id"], "ntf")
        self.assertEqual(n["recipient"], {"type": "agent", "id": self.agent["id"]})
        self.assertEqual(n["body"], "Invoice wrong")
        self.assertIsNone(n["read_at"])
        self.assertTime(n["created_at"])
        # the other agent and the admin are told too, each their own
        n2 = self.notified(self.agent2_token, "session.waiting", session["id"])
        self.assertNotEqual(n2["id"], n["id"])
        self.notified(self.admin_token, "session.waiting", session["id"])
        # over the WebSocket, to the recipient only
        frame = ws.recv_json(type="notification.created",
                             match=lambda m: m["notification"]["id"] == n["id"], timeout=T(10))
        self.assertEqual(frame["notification"]["event"], "session.waiting")
        self.assertEqual(frame["idempotency_key"], n["id"] + ":in_app")
        self.assertFalse([m for m in ws.take_backlog("notification.created")
                          if m["notification"]["id"] == n2["id"]])
        # the customer is told nothing of it
        self.assertEqual(of_event(inbox(self.server, cust_token), "session.waiting"), [])

    def test_assignment_notifies_the_assignee_not_an_agent_who_takes_it(self):
        _, cust_token = make_customer(self.server)
        session = make_session(self.server, cust_token)
        r = self.c(self.admin_token).post(f"/api/v1/sessions/{session['id']}/assign",
                                          {"agent_id": self.agent2["id"]})
        self.assertStatus(r, 200)
        n = self.notified(self.agent2_token, "session.assigned", session["id"])
        self.assertEqual(n["title"], "A conversation was assigned to you")
        self.assertEqual(of_event(inbox(self.server, self.agent_token, "?limit=200"),
                                  "session.assigned", session["id"]), [])
        # transferred to the first agent: told too
        r = self.c(self.admin_token).post(f"/api/v1/sessions/{session['id']}/transfer",
                                          {"agent_id": self.agent["id"]})
        self.assertStatus(r, 200)
        self.notified(self.agent_token, "session.assigned", session["id"])
        # an agent who answers a waiting customer takes the chat: no notice
        _, cust2 = make_customer(self.server)
        s2 = make_session(self.server, cust2)
        send_message(self.server, self.agent_token, s2["id"], "Hello, I am here")
        self.notified(self.agent2_token, "session.waiting", s2["id"])
        self.assertEqual(of_event(inbox(self.server, self.agent_token, "?limit=200"),
                                  "session.assigned", s2["id"]), [])

    def test_customer_message_tells_the_agent_only_while_away(self):
        _, cust_token = make_customer(self.server)
        away = make_session(self.server, cust_token)
        self.assertStatus(self.c(self.admin_token).post(
            f"/api/v1/sessions/{away['id']}/assign", {"agent_id": self.agent2["id"]}), 200)
        send_message(self.server, cust_token, away["id"], "Are you there?")
        n = self.notified(self.agent2_token, "message.away", away["id"])
        self.assertEqual(n["body"], "Are you there?")
        # a connected agent is not told: the chat shows it
        ws = self.server.ws(token=self.agent_token)
        self.addCleanup(ws.close)
        _, cust2 = make_customer(self.server)
        here = make_session(self.server, cust2)
        self.assertStatus(self.c(self.admin_token).post(
            f"/api/v1/sessions/{here['id']}/assign", {"agent_id": self.agent["id"]}), 200)
        send_message(self.server, cust2, here["id"], "Hello?")
        # a later cause for the away agent proves the first was handled
        send_message(self.server, cust_token, away["id"], "Still there?")
        wait_until(lambda: len(of_event(inbox(self.server, self.agent2_token, "?limit=200"),
                                        "message.away", away["id"])) == 2, timeout=T(10))
        self.assertEqual(of_event(inbox(self.server, self.agent_token, "?limit=200"),
                                  "message.away", here["id"]), [])

    def test_mention_in_a_private_note(self):
        dana, dana_token, _, _ = make_agent(self.server, self.admin_token,
                                            name=uniq("Dana") + " Scully")
        first = dana["name"].split(" ")[0]
        _, cust_token = make_customer(self.server)
        session = make_session(self.server, cust_token)
        r = self.c(self.agent_token).post(f"/api/v1/sessions/{session['id']}/notes",
                                          {"content": f"@{first}, can you look at this?"})
        self.assertStatus(r, 201)
        n = self.notified(dana_token, "note.mention", session["id"])
        self.assertEqual(n["body"], f"@{first}, can you look at this?")
        # nobody else named; a name that only begins the same is no mention
        self.assertEqual(of_event(inbox(self.server, self.agent2_token, "?limit=200"),
                                  "note.mention", session["id"]), [])
        r = self.c(self.agent_token).post(f"/api/v1/sessions/{session['id']}/notes",
                                          {"content": f"@{first}x is not you"})
        self.assertStatus(r, 201)
        r = self.c(self.agent_token).post(f"/api/v1/sessions/{session['id']}/notes",
                                          {"content": f"and the full name: @{dana['name']}!"})
        wait_until(lambda: len(of_event(inbox(self.server, dana_token), "note.mention",
                                        session["id"])) == 2, timeout=T(10))
        bodies = [n["body"] for n in of_event(inbox(self.server, dana_token), "note.mention")]
        self.assertNotIn(f"@{first}x is not you", bodies)

    def test_ticket_assigned_then_updated(self):
        _, cust_token = make_customer(self.server)
        session = make_session(self.server, cust_token)
        r = self.c(self.agent_token).post("/api/v1/tickets", {
            "session_id": session["id"], "issue_description": "Refund", "subject": "Refund",
            "agent_id": self.agent2["id"]})
        self.assertStatus(r, 201)
        ticket = r.body
        n = self.notified(self.agent2_token, "ticket.assigned", ticket_id=ticket["id"])
        self.assertEqual(n["body"], "Refund")
        r = self.c(self.agent_token).patch(f"/api/v1/tickets/{ticket['id']}",
                                           {"status": "in_progress"})
        self.assertStatus(r, 200)
        self.notified(self.agent2_token, "ticket.updated", ticket_id=ticket["id"])
        self.assertEqual(of_event(inbox(self.server, self.agent_token, "?limit=200"),
                                  "ticket.assigned", ticket_id=ticket["id"]), [])

    def test_nobody_is_told_of_their_own_act(self):
        """The event's actor is not notified: an agent who takes a chat or a
        ticket herself, or updates her own ticket, is not told; a colleague's
        change to it still tells her. Notifications are written in the unit
        of their cause, so the inbox read after the response is complete."""
        _, cust_token = make_customer(self.server)
        session = make_session(self.server, cust_token)
        r = self.c(self.agent_token).post(f"/api/v1/sessions/{session['id']}/assign",
                                          {"agent_id": self.agent["id"]})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["agent_id"], self.agent["id"])
        mine = inbox(self.server, self.agent_token, "?limit=200")
        self.assertEqual(of_event(mine, "session.assigned", session["id"]), [])
        # a ticket she opens is hers (no agent_id named): not told
        r = self.c(self.agent_token).post("/api/v1/tickets", {
            "session_id": session["id"], "issue_description": "Broken hinge"})
        self.assertStatus(r, 201)
        ticket = r.body
        self.assertEqual(ticket["agent_id"], self.agent["id"])
        r = self.c(self.agent_token).patch(f"/api/v1/tickets/{ticket['id']}",
                                           {"status": "in_progress"})
        self.assertStatus(r, 200)
        mine = inbox(self.server, self.agent_token, "?limit=200")
        self.assertEqual(of_event(mine, "ticket.assigned", ticket_id=ticket["id"]), [])
        self.assertEqual(of_event(mine, "ticket.updated", ticket_id=ticket["id"]), [])
        # a colleague's change to her ticket tells her, once
        r = self.c(self.agent2_token).patch(f"/api/v1/tickets/{ticket['id']}",
                                            {"priority": "high"})
        self.assertStatus(r, 200)
        self.assertEqual(len(of_event(inbox(self.server, self.agent_token, "?limit=200"),
                                      "ticket.updated", ticket_id=ticket["id"])), 1)
        # and a colleague assigning her a chat tells her
        _, cust2 = make_customer(self.server)
        s2 = make_session(self.server, cust2)
        r = self.c(self.agent2_token).post(f"/api/v1/sessions/{s2['id']}/assign",
                                           {"agent_id": self.agent["id"]})
        self.assertStatus(r, 200)
        self.assertEqual(len(of_event(inbox(self.server, self.agent_token, "?limit=200"),
                                      "session.assigned", s2["id"])), 1)

    def test_agent_reply_tells_a_customer_who_is_not_connected(self):
        _, cust_token = make_customer(self.server)
        session = make_session(self.server, cust_token)
        send_message(self.server, self.agent_token, session["id"], "We refunded you")
        n = self.notified(cust_token, "reply.offline", session["id"])
        self.assertEqual(n["recipient"]["type"], "customer")
        self.assertEqual(n["body"], "We refunded you")
        # connected: the widget shows the reply, no notification
        ws = self.server.ws(token=cust_token)
        self.addCleanup(ws.close)
        ws.send_json({"type": "subscribe", "session_id": session["id"], "after_seq": 0})
        ws.recv_json(type="subscribed")
        send_message(self.server, self.agent_token, session["id"], "Anything else?")
        ws.recv_json(type="message.created",
                     match=lambda m: m["message"]["content"] == "Anything else?")
        self.assertEqual(len(of_event(inbox(self.server, cust_token), "reply.offline")), 1)


class InboxTest(NotificationsTestCase):

    def waiting_sessions(self, count):
        ids = []
        for _ in range(count):
            _, tok = make_customer(self.server)
            ids.append(make_session(self.server, tok)["id"])
        for sid in ids:
            self.notified(self.agent2_token, "session.waiting", sid)
        return ids

    def test_paging_mark_read_and_mark_all(self):
        self.c(self.agent2_token).post("/api/v1/notifications/read-all")
        self.waiting_sessions(3)
        body = inbox(self.server, self.agent2_token, "?limit=2")
        self.assertEqual(len(body["notifications"]), 2)
        self.assertIsNotNone(body["next_cursor"])
        self.assertEqual(body["unread_count"], 3)
        newest = body["notifications"][0]
        rest = inbox(self.server, self.agent2_token, "?limit=2&cursor=" + body["next_cursor"])
        self.assertNotIn(newest["id"], [n["id"] for n in rest["notifications"]])
        # one read
        r = self.c(self.agent2_token).post(f"/api/v1/notifications/{newest['id']}/read")
        self.assertStatus(r, 200)
        self.assertTime(r.body["read_at"])
        first_read = r.body["read_at"]
        r = self.c(self.agent2_token).post(f"/api/v1/notifications/{newest['id']}/read")
        self.assertEqual(r.body["read_at"], first_read)
        self.assertEqual(inbox(self.server, self.agent2_token)["unread_count"], 2)
        unread = inbox(self.server, self.agent2_token, "?unread=true")
        self.assertEqual(len(unread["notifications"]), 2)
        self.assertNotIn(newest["id"], [n["id"] for n in unread["notifications"]])
        # someone else's is not found for them
        self.assertError(self.c(self.agent_token).post(
            f"/api/v1/notifications/{newest['id']}/read"), 404, "not_found")
        self.assertError(self.c(self.agent_token).get("/api/v1/notifications?unread=maybe"),
                         400, "validation_failed", "unread")
        self.assertError(self.c(self.agent_token).get("/api/v1/notifications?cursor=zz"),
                         400, "validation_failed")
        # all
        r = self.c(self.agent2_token).post("/api/v1/notifications/read-all")
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {"marked": 2, "unread_count": 0})
        self.assertEqual(inbox(self.server, self.agent2_token)["unread_count"], 0)
        self.assertError(self.c().get("/api/v1/notifications"), 401, "unauthenticated")

    def test_delivery_log_is_for_admins(self):
        [sid] = self.waiting_sessions(1)
        n = of_event(inbox(self.server, self.agent2_token), "session.waiting", sid)[0]
        self.assertError(self.c(self.agent_token).get("/api/v1/notifications/deliveries"), 403,
                         "forbidden")
        log = []

        def sent():
            r = self.c(self.admin_token).get(
                "/api/v1/notifications/deliveries?notification_id=" + n["id"])
            self.assertStatus(r, 200)
            log[:] = r.body["deliveries"]
            return log and log[0]["state"] == "sent"
        wait_until(sent, timeout=T(10), message="the in_app delivery sent")
        self.assertEqual(len(log), 1)
        d = log[0]
        self.assertId(d["id"], "dlv")
        self.assertFields(d, {"notification_id": n["id"], "channel": "in_app", "attempts": 1,
                              "last_error": None, "idempotency_key": n["id"] + ":in_app",
                              "next_attempt_at": None})
        self.assertTime(d["sent_at"])
        r = self.c(self.admin_token).get("/api/v1/notifications/deliveries?state=sent&limit=1")
        self.assertStatus(r, 200)
        self.assertEqual([x["state"] for x in r.body["deliveries"]], ["sent"])
        self.assertError(self.c(self.admin_token).get(
            "/api/v1/notifications/deliveries?state=lost"), 400, "validation_failed", "state")


class PreferencesTest(NotificationsTestCase):

    def prefs(self, token, change=None, expect=200):
        c = self.c(token)
        path = "/api/v1/notifications/preferences"
        r = c.get(path) if change is None else c.request("PUT", path, body=change)
        self.assertStatus(r, expect)
        return r.body

    def test_defaults_tell_a_new_agent_everything(self):
        _, token, _, _ = make_agent(self.server, self.admin_token)
        p = self.prefs(token)
        self.assertIsNone(p["quiet_hours"])
        self.assertEqual(set(p["events"]), {
            "session.waiting", "session.assigned", "message.away", "note.mention",
            "ticket.assigned", "ticket.updated", "reply.offline"})
        self.assertTrue(all(v == {"in_app": True} for v in p["events"].values()))

    def test_an_event_turned_off_is_not_written(self):
        _, token, _, _ = make_agent(self.server, self.admin_token)
        p = self.prefs(token, {"events": {"session.waiting": {"in_app": False}}})
        self.assertEqual(p["events"]["session.waiting"], {"in_app": False})
        self.assertEqual(p["events"]["session.assigned"], {"in_app": True})
        self.assertEqual(self.prefs(token), p)  # stored
        _, cust = make_customer(self.server)
        sid = make_session(self.server, cust)["id"]
        self.notified(self.agent_token, "session.waiting", sid)  # others still are
        self.assertEqual(of_event(inbox(self.server, token), "session.waiting", sid), [])
        for bad in ({"events": {"session.lost": {"in_app": True}}},
                    {"events": {"session.waiting": {"email": True}}},
                    {"events": {"session.waiting": {"in_app": "yes"}}},
                    {"quiet_hours": {"start": "25:00", "end": "07:00"}},
                    {"quiet_hours": {"start": "22:00", "end": "07:00", "utc_offset_minutes": 9999}},
                    {"quiet_hours": {"start": "22:00", "end": "07:00", "snooze": True}},
                    {"colour": "red"}, []):
            r = self.c(token).request("PUT", "/api/v1/notifications/preferences", body=bad)
            self.assertError(r, 400, "validation_failed")
        self.assertEqual(self.prefs(token), p)  # unchanged by the refusals

    def test_quiet_hours_hold_the_delivery_not_the_inbox(self):
        agent, token, _, _ = make_agent(self.server, self.admin_token)
        now = time.gmtime()
        start = (now.tm_hour * 60 + now.tm_min - 60) % 1440
        end = (now.tm_hour * 60 + now.tm_min + 60) % 1440
        clock = lambda m: f"{m // 60:02d}:{m % 60:02d}"
        p = self.prefs(token, {"quiet_hours": {"start": clock(start), "end": clock(end)}})
        self.assertEqual(p["quiet_hours"], {"start": clock(start), "end": clock(end),
                                            "utc_offset_minutes": 0})
        _, cust = make_customer(self.server)
        sid = make_session(self.server, cust)["id"]
        n = self.notified(token, "session.waiting", sid)  # in the inbox at once
        r = self.c(self.admin_token).get(
            "/api/v1/notifications/deliveries?notification_id=" + n["id"])
        [d] = r.body["deliveries"]
        self.assertEqual(d["state"], "pending")
        self.assertEqual(d["attempts"], 0)
        self.assertGreater(d["next_attempt_at"], n["created_at"])
        self.assertEqual(self.prefs(token, {"quiet_hours": None})["quiet_hours"], None)


class CrashTest(unittest.TestCase):
    """kill -9 with deliveries pending: after the restart they are sent."""

    def test_pending_deliveries_survive_kill_9(self):
        server = ParleyServer(["--notify-delivery", "0"])
        self.addCleanup(server.close)
        email = unique_email("admin")
        server.create_admin(email, "Admin", ADMIN_PASSWORD)
        server.start()
        admin_token, _ = login(server, email, ADMIN_PASSWORD)
        _, cust_token = make_customer(server)
        sessions = [make_session(server, cust_token)["id"] for _ in range(3)]
        r = server.client(admin_token).get("/api/v1/notifications/deliveries?state=pending")
        self.assertEqual(r.status, 200, r.body)
        pending = {d["id"] for d in r.body["deliveries"]}
        self.assertEqual(len(pending), 3)
        body = inbox(server, admin_token)
        self.assertEqual({n["session_id"] for n in body["notifications"]}, set(sessions))
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(T(30))
        server.proc = None
        server.extra_args = ["--notify-delivery", "1"]
        server.start()
        admin_token, _ = login(server, email, ADMIN_PASSWORD)

        def all_sent():
            r = server.client(admin_token).get("/api/v1/notifications/deliveries?state=sent")
            return pending <= {d["id"] for d in r.body["deliveries"]}
        wait_until(all_sent, timeout=T(15), message="the pending deliveries sent")
        r = server.client(admin_token).get("/api/v1/notifications/deliveries?state=pending")
        self.assertEqual(r.body["deliveries"], [])
        server.stop()


if __name__ == "__main__":
    unittest.main()
