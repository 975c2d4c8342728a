"""The agent tools of issue 5 (docs/subsystems/agent-tools.md): canned
responses, private notes, typing both ways, read receipts, labels on
sessions and full-text search over message text."""

import json
import sqlite3
import time
import unittest
import urllib.parse

from parley_harness import (OP_TEXT, DeskTestCase, all_pages, encode_frame, make_customer,
                            make_session, send_message, uniq)

NO_SUCH_SESSION = "ses_AAAAAAAAAAAAAAAAAAAAAAAAAA"


def q(value):
    return urllib.parse.quote(value, safe="")


class ToolsTestCase(DeskTestCase):
    agents = 2
    customers = 2

    def subscribed_ws(self, token, session_id):
        ws = self.server.ws(token=token)
        self.addCleanup(ws.close)
        ws.send_json({"type": "subscribe", "session_id": session_id, "after_seq": 0})
        ws.recv_json(type="subscribed", match=lambda m: m["session_id"] == session_id)
        return ws


class CannedResponsesTest(ToolsTestCase):

    def create(self, token, shortcode, **fields):
        body = {"shortcode": shortcode, "title": "T " + shortcode, "content": "C " + shortcode}
        body.update(fields)
        return self.c(token).post("/api/v1/canned-responses", body)

    def all_canned(self, token, query=""):
        return all_pages(self.c(token), "/api/v1/canned-responses?limit=2" + query,
                         "canned_responses", max_pages=50)

    def test_team_and_personal_scopes(self):
        code = uniq("r").lower()
        r = self.create(self.admin_token, code + "-team")
        self.assertStatus(r, 201)
        team = r.body
        self.assertIsNone(team["owner"])
        self.assertEqual(team["content"], "C " + code + "-team")
        r = self.create(self.agent_token, code + "-mine")
        self.assertStatus(r, 201)
        mine = r.body
        self.assertEqual(mine["owner"], self.agent["id"])
        # agents cannot make team-wide ones
        self.assertError(self.create(self.agent_token, code + "-x", scope="team"), 403,
                         "forbidden")
        # the same shortcode: free in another scope, a conflict in the same
        self.assertStatus(self.create(self.agent2_token, code + "-mine"), 201)
        self.assertError(self.create(self.agent_token, code + "-mine"), 409, "conflict",
                         "shortcode")
        # what each may use: team-wide plus their own
        ids = {c["id"] for c in self.all_canned(self.agent_token, "&q=" + code)}
        self.assertEqual(ids, {team["id"], mine["id"]})
        ids2 = {c["shortcode"] for c in self.all_canned(self.agent2_token, "&q=" + code)}
        self.assertEqual(ids2, {code + "-team", code + "-mine"})
        self.assertNotIn(mine["id"], {c["id"] for c in self.all_canned(self.agent2_token)})
        # someone else's personal one does not exist for you
        self.assertError(self.c(self.agent2_token).get(f"/api/v1/canned-responses/{mine['id']}"),
                         404, "not_found")
        self.assertError(self.c(self.agent2_token).patch(
            f"/api/v1/canned-responses/{mine['id']}", {"title": "x"}), 404, "not_found")
        # team-wide ones: agents use them, admins edit them
        self.assertStatus(self.c(self.agent_token).get(f"/api/v1/canned-responses/{team['id']}"),
                          200)
        self.assertError(self.c(self.agent_token).patch(
            f"/api/v1/canned-responses/{team['id']}", {"title": "x"}), 403, "forbidden")
        self.assertError(self.c(self.agent_token).delete(
            f"/api/v1/canned-responses/{team['id']}"), 403, "forbidden")
        r = self.c(self.admin_token).patch(f"/api/v1/canned-responses/{team['id']}",
                                           {"content": "Refunds take 5 days."})
        self.assertStatus(r, 200)
        self.assertEqual((r.body["content"], r.body["shortcode"]),
                         ("Refunds take 5 days.", code + "-team"))
        r = self.c(self.agent_token).patch(f"/api/v1/canned-responses/{mine['id']}",
                                           {"shortcode": code + "-renamed"})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["shortcode"], code + "-renamed")
        self.assertStatus(self.c(self.agent_token).delete(
            f"/api/v1/canned-responses/{mine['id']}"), 204)
        self.assertError(self.c(self.agent_token).get(f"/api/v1/canned-responses/{mine['id']}"),
                         404, "not_found")

    def test_prefix_filter_and_paging(self):
        base = uniq("p").lower()
        made = set()
        for i in range(5):
            r = self.create(self.agent_token, f"{base}-{i}")
            self.assertStatus(r, 201)
            made.add(r.body["id"])
        self.assertStatus(self.create(self.agent_token, "zz" + base), 201)
        got = self.all_canned(self.agent_token, "&q=" + base)
        self.assertEqual({c["id"] for c in got}, made)
        self.assertEqual(len(got), 5)  # paging at 2 a page: nothing twice, nothing lost
        self.assertEqual(self.all_canned(self.agent_token, "&q=" + base + "-3")[0]["shortcode"],
                         base + "-3")

    def test_validation(self):
        c = self.c(self.agent_token)
        for bad in ["", "UPPER", "has space", "x" * 33, "semi;colon"]:
            self.assertError(self.create(self.agent_token, bad), 400, "validation_failed",
                             "shortcode")
        self.assertError(c.post("/api/v1/canned-responses", {"shortcode": "ok"}), 400,
                         "validation_failed", "title")
        self.assertError(self.create(self.agent_token, uniq("v").lower(), content=""), 400,
                         "validation_failed", "content")
        self.assertError(self.create(self.agent_token, uniq("v").lower(), scope="world"), 400,
                         "validation_failed", "scope")
        self.assertError(c.get("/api/v1/canned-responses?q=NOT%20OK"), 400, "validation_failed",
                         "q")
        self.assertError(c.get("/api/v1/canned-responses?cursor=abc"), 400, "validation_failed")
        self.assertError(self.c(self.cust_token).get("/api/v1/canned-responses"), 403,
                         "forbidden")


class NotesTest(ToolsTestCase):

    def test_notes_reach_staff_only(self):
        s = make_session(self.server, self.cust_token)
        cust_ws = self.subscribed_ws(self.cust_token, s["id"])
        agent_ws = self.server.ws(token=self.agent_token)
        self.addCleanup(agent_ws.close)
        agent_ws.send_json({"type": "ping"})
        agent_ws.recv_json(type="pong")
        r = self.c(self.agent_token).post(f"/api/v1/sessions/{s['id']}/notes",
                                          {"content": "VIP, was overcharged twice"})
        self.assertStatus(r, 201)
        note = r.body
        self.assertEqual(note["author"], {"type": "agent", "id": self.agent["id"]})
        self.assertEqual(note["session_id"], s["id"])
        ev = agent_ws.recv_json(type="note.created")
        self.assertEqual(ev["note"], note)
        # a message after the note: the customer's socket gets it, and had
        # the note reached it, it would have come first on the same socket
        send_message(self.server, self.agent_token, s["id"], "How can I help?")
        cust_ws.recv_json(type="message.created")
        self.assertEqual(cust_ws.take_backlog("note.created"), [])
        # not in history, not searchable, not readable by the customer
        for m in self.c(self.cust_token).get(f"/api/v1/sessions/{s['id']}/messages").body[
                "messages"]:
            self.assertNotIn("overcharged", m["content"])
        self.assertEqual(self.c(self.admin_token).get(
            "/api/v1/search/messages?q=overcharged").body["results"], [])
        self.assertError(self.c(self.cust_token).get(f"/api/v1/sessions/{s['id']}/notes"), 403,
                         "forbidden")
        self.assertError(self.c(self.cust_token).post(f"/api/v1/sessions/{s['id']}/notes",
                                                      {"content": "x"}), 403, "forbidden")
        # notes do not take a seq: the session's messages stay gapless
        self.assertEqual(self.c(self.agent_token).get(f"/api/v1/sessions/{s['id']}").body[
            "last_seq"], 1)
        r = self.c(self.agent2_token).get(f"/api/v1/sessions/{s['id']}/notes")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["notes"], [note])

    def test_note_list_pages_and_errors(self):
        s = make_session(self.server, self.cust_token)
        c = self.c(self.agent_token)
        made = [c.post(f"/api/v1/sessions/{s['id']}/notes", {"content": f"n{i}"}).body["id"]
                for i in range(5)]
        got, cursor = [], None
        while True:
            r = c.get(f"/api/v1/sessions/{s['id']}/notes?limit=2" +
                      (f"&cursor={cursor}" if cursor else ""))
            self.assertStatus(r, 200)
            got.extend(n["id"] for n in r.body["notes"])
            cursor = r.body["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(got, list(reversed(made)))  # newest first
        self.assertError(c.post(f"/api/v1/sessions/{s['id']}/notes", {"content": ""}), 400,
                         "validation_failed", "content")
        self.assertError(c.post(f"/api/v1/sessions/{s['id']}/notes", {}), 400,
                         "validation_failed", "content")
        self.assertError(c.post(f"/api/v1/sessions/{NO_SUCH_SESSION}/notes", {"content": "x"}),
                         404, "not_found")


class TypingTest(ToolsTestCase):

    def test_typing_both_ways(self):
        s = make_session(self.server, self.cust_token)
        cust_ws = self.subscribed_ws(self.cust_token, s["id"])
        agent_ws = self.subscribed_ws(self.agent_token, s["id"])
        agent_ws.send_json({"type": "typing", "session_id": s["id"]})
        m = cust_ws.recv_json(type="typing")
        self.assertEqual(m, {"type": "typing", "session_id": s["id"],
                             "sender": {"type": "agent", "id": self.agent["id"]}})
        cust_ws.send_json({"type": "typing", "session_id": s["id"]})
        m = agent_ws.recv_json(type="typing")
        self.assertEqual(m["sender"], {"type": "customer", "id": self.cust["id"]})
        # nobody hears their own typing: a ping answered after it proves
        # the server is past it
        agent_ws.send_json({"type": "ping"})
        agent_ws.recv_json(type="pong")
        self.assertEqual(agent_ws.take_backlog("typing"), [])

    def test_customer_cannot_type_into_another_session(self):
        s = make_session(self.server, self.cust_token)
        agent_ws = self.subscribed_ws(self.agent_token, s["id"])
        intruder = self.server.ws(token=self.other_token)
        self.addCleanup(intruder.close)
        # subscribe and type in one TCP write: the server reads both frames
        # before the subscription's check (a job on a worker) can answer
        frames = [json.dumps({"type": "subscribe", "session_id": s["id"], "after_seq": 0}),
                  json.dumps({"type": "typing", "session_id": s["id"]})]
        intruder.send_raw(b"".join(encode_frame(OP_TEXT, f.encode()) for f in frames))
        e1 = intruder.recv_json(type="error")
        e2 = intruder.recv_json(type="error")
        self.assertEqual({e1["error"]["code"], e2["error"]["code"]},
                         {"not_found", "validation_failed"})
        intruder.send_json({"type": "typing", "session_id": s["id"]})
        self.assertEqual(intruder.recv_json(type="error")["error"]["code"], "validation_failed")
        # the agent's socket heard nothing of it: the customer's own typing,
        # sent afterwards, is the first typing frame there
        cust_ws = self.subscribed_ws(self.cust_token, s["id"])
        cust_ws.send_json({"type": "typing", "session_id": s["id"]})
        m = agent_ws.recv_json(type="typing")
        self.assertEqual(m["sender"]["id"], self.cust["id"])


class ReadReceiptsTest(ToolsTestCase):

    def unread(self, token, session_id):
        """unread_count of the session in the caller's GET /api/v1/sessions."""
        cursor = None
        for _ in range(100):
            r = self.c(token).get("/api/v1/sessions?limit=200" +
                                  (f"&cursor={cursor}" if cursor else ""))
            self.assertStatus(r, 200)
            for x in r.body["sessions"]:
                if x["id"] == session_id:
                    return x["unread_count"]
            cursor = r.body["next_cursor"]
            if cursor is None:
                break
        self.fail(f"{session_id} not listed")

    def test_monotonic_receipts_and_events(self):
        s = make_session(self.server, self.cust_token)
        for i in range(3):
            send_message(self.server, self.cust_token, s["id"], f"m{i}")
        agent_ws = self.subscribed_ws(self.agent_token, s["id"])
        cust_ws = self.subscribed_ws(self.cust_token, s["id"])
        c = self.c(self.agent_token)
        self.assertEqual(self.unread(self.agent_token, s["id"]), 3)
        self.assertEqual(self.unread(self.cust_token, s["id"]), 0)  # their own messages
        r = c.post(f"/api/v1/sessions/{s['id']}/read", {"seq": 2})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["last_read_seq"], 2)
        self.assertEqual(r.body["participant"], {"type": "agent", "id": self.agent["id"]})
        ev = cust_ws.recv_json(type="session.read")
        self.assertEqual(ev, {"type": "session.read", "session_id": s["id"],
                              "participant": {"type": "agent", "id": self.agent["id"]},
                              "last_read_seq": 2})
        agent_ws.recv_json(type="session.read")
        # lower: ignored, no event; beyond last_seq: 400
        r = c.post(f"/api/v1/sessions/{s['id']}/read", {"seq": 1})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["last_read_seq"], 2)
        self.assertError(c.post(f"/api/v1/sessions/{s['id']}/read", {"seq": 4}), 400,
                         "validation_failed", "seq")
        self.assertError(c.post(f"/api/v1/sessions/{s['id']}/read", {"seq": -1}), 400,
                         "validation_failed", "seq")
        self.assertError(c.post(f"/api/v1/sessions/{s['id']}/read", {"seq": "3"}), 400,
                         "validation_failed", "seq")
        # the customer reads over the WebSocket
        cust_ws.send_json({"type": "read", "session_id": s["id"], "seq": 3})
        ack = cust_ws.recv_json(type="read.ack")
        self.assertEqual(ack["last_read_seq"], 3)
        ev = agent_ws.recv_json(type="session.read")
        self.assertEqual(ev["participant"], {"type": "customer", "id": self.cust["id"]})
        self.assertEqual(ev["last_read_seq"], 3)
        self.assertEqual(self.unread(self.agent_token, s["id"]), 1)
        self.assertEqual(self.unread(self.agent2_token, s["id"]), 3)  # receipts are per agent
        send_message(self.server, self.agent_token, s["id"], "On it")
        self.assertEqual(self.unread(self.agent_token, s["id"]), 1)  # not their own reply
        self.assertEqual(self.unread(self.cust_token, s["id"]), 1)
        # the lower read of before produced no event: the next one is the customer's
        self.assertEqual([e["last_read_seq"] for e in cust_ws.take_backlog("session.read")],
                         [3])
        r = self.c(self.cust_token).get(f"/api/v1/sessions/{s['id']}/read")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["last_seq"], 4)
        got = {(x["participant"]["type"], x["last_read_seq"]) for x in r.body["receipts"]}
        self.assertEqual(got, {("agent", 2), ("customer", 3)})
        # another customer can neither read nor mark it
        self.assertError(self.c(self.other_token).get(f"/api/v1/sessions/{s['id']}/read"), 404,
                         "not_found")
        self.assertError(self.c(self.other_token).post(f"/api/v1/sessions/{s['id']}/read",
                                                       {"seq": 1}), 404, "not_found")
        intruder = self.server.ws(token=self.other_token)
        self.addCleanup(intruder.close)
        intruder.send_json({"type": "read", "session_id": s["id"], "seq": 1})
        self.assertEqual(intruder.recv_json(type="error")["error"]["code"], "not_found")


class LabelsTest(ToolsTestCase):

    def test_labels_on_sessions(self):
        admin = self.c(self.admin_token)
        name = uniq("vip").lower()
        r = admin.post("/api/v1/labels", {"name": name, "color": "#ff0000"})
        self.assertStatus(r, 201)
        self.assertEqual((r.body["name"], r.body["color"]), (name, "#ff0000"))
        self.assertError(admin.post("/api/v1/labels", {"name": name}), 409, "conflict")
        self.assertError(self.c(self.agent_token).post("/api/v1/labels", {"name": "x"}), 403,
                         "forbidden")
        self.assertError(admin.post("/api/v1/labels", {"name": "Bad Name"}), 400,
                         "validation_failed", "name")
        self.assertError(admin.post("/api/v1/labels", {"name": "ok", "color": "red"}), 400,
                         "validation_failed", "color")
        names = [l["name"] for l in self.c(self.agent_token).get("/api/v1/labels?limit=200").body[
            "labels"]]
        self.assertIn(name, names)
        # recoloured: the answer and the list have the new colour; the name cannot change
        r = admin.patch(f"/api/v1/labels/{name}", {"color": "#00AA11"})
        self.assertStatus(r, 200)
        self.assertEqual((r.body["name"], r.body["color"]), (name, "#00AA11"))
        listed = {l["name"]: l["color"] for l in admin.get("/api/v1/labels?limit=200").body[
            "labels"]}
        self.assertEqual(listed[name], "#00AA11")
        self.assertError(admin.patch(f"/api/v1/labels/{name}", {"color": "green"}), 400,
                         "validation_failed", "color")
        self.assertError(admin.patch(f"/api/v1/labels/{name}", {"name": "other"}), 400,
                         "validation_failed")
        self.assertError(admin.patch("/api/v1/labels/no-such", {"color": "#000000"}), 404,
                         "not_found")
        self.assertError(self.c(self.agent_token).patch(f"/api/v1/labels/{name}",
                                                        {"color": "#000000"}), 403, "forbidden")

        s = make_session(self.server, self.cust_token)
        other = make_session(self.server, self.cust_token)
        agent_ws = self.server.ws(token=self.agent_token)
        self.addCleanup(agent_ws.close)
        agent_ws.send_json({"type": "ping"})
        agent_ws.recv_json(type="pong")
        cust_ws = self.server.ws(token=self.cust_token)
        self.addCleanup(cust_ws.close)
        cust_ws.send_json({"type": "ping"})
        cust_ws.recv_json(type="pong")
        c = self.c(self.agent_token)
        r = c.post(f"/api/v1/sessions/{s['id']}/labels", {"label": name})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["labels"], [name])
        ev = agent_ws.recv_json(type="session.updated", match=lambda m: m["session"]["id"] == s["id"])
        self.assertEqual(ev["session"]["labels"], [name])
        self.assertEqual(c.get(f"/api/v1/sessions/{s['id']}").body["labels"], [name])
        # adding again changes nothing
        self.assertEqual(c.post(f"/api/v1/sessions/{s['id']}/labels", {"label": name}).body[
            "labels"], [name])
        self.assertError(c.post(f"/api/v1/sessions/{s['id']}/labels", {"label": "nope-x"}), 404,
                         "not_found", "label")
        self.assertError(self.c(self.cust_token).post(f"/api/v1/sessions/{s['id']}/labels",
                                                      {"label": name}), 403, "forbidden")
        # the filter
        r = c.get(f"/api/v1/sessions?label={name}&limit=200")
        self.assertStatus(r, 200)
        self.assertEqual([x["id"] for x in r.body["sessions"]], [s["id"]])
        r = c.get(f"/api/v1/sessions?label={name}&status=waiting&limit=200")
        self.assertEqual([x["id"] for x in r.body["sessions"]], [s["id"]])
        r = c.get(f"/api/v1/sessions?label={name}&status=closed")
        self.assertEqual(r.body["sessions"], [])
        # customers see neither the labels nor the filter
        r = self.c(self.cust_token).get(f"/api/v1/sessions/{s['id']}")
        self.assertNotIn("labels", r.body)
        self.assertError(self.c(self.cust_token).get(f"/api/v1/sessions?label={name}"), 403,
                         "forbidden")
        # a change the customer does hear of carries no labels either
        r = c.post(f"/api/v1/sessions/{s['id']}/close")
        self.assertStatus(r, 200)
        ev = cust_ws.recv_json(type="session.updated", match=lambda m: m["session"]["id"] == s["id"])
        self.assertEqual(ev["session"]["status"], "closed")
        self.assertNotIn("labels", ev["session"])
        ev = agent_ws.recv_json(type="session.updated",
                                match=lambda m: m["session"]["status"] == "closed")
        self.assertEqual(ev["session"]["labels"], [name])
        # removal
        r = c.delete(f"/api/v1/sessions/{s['id']}/labels/{name}")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["labels"], [])
        self.assertError(c.delete(f"/api/v1/sessions/{s['id']}/labels/{name}"), 404, "not_found")
        # deleting a label takes it off every session
        self.assertStatus(c.post(f"/api/v1/sessions/{other['id']}/labels", {"label": name}), 200)
        self.assertStatus(admin.delete(f"/api/v1/labels/{name}"), 204)
        self.assertEqual(c.get(f"/api/v1/sessions/{other['id']}").body["labels"], [])
        self.assertError(admin.delete(f"/api/v1/labels/{name}"), 404, "not_found")


class SearchTest(ToolsTestCase):

    def test_stored_messages_are_indexed_without_a_search(self):
        """The periodic index job (every 250 ms, net/server.c) catches up on
        its own: no search has to run for the index to follow the messages.
        Read from the database file, as nothing else exposes the mark."""
        s = make_session(self.server, self.cust_token)
        for i in range(3):
            send_message(self.server, self.cust_token, s["id"], f"index me {i}")
        db = sqlite3.connect(f"file:{self.server.data_dir}/parley.db?mode=ro", uri=True)
        self.addCleanup(db.close)
        newest = db.execute("SELECT max(rowid) FROM messages").fetchone()[0]
        deadline = time.monotonic() + 30
        while True:
            mark = db.execute("SELECT last_rowid FROM search_progress").fetchone()[0]
            if mark >= newest or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertGreaterEqual(mark, newest)
        # the session is a token of the index's scope column (schema step 13)
        scope = "s" + s["id"].encode().hex().upper()
        indexed = db.execute("SELECT count(*) FROM message_fts WHERE message_fts MATCH ?",
                             (f'scope : "{scope}"',)).fetchone()[0]
        self.assertEqual(indexed, 3)

    def search(self, token, query, expect=200):
        r = self.c(token).get("/api/v1/search/messages?" + query)
        self.assertStatus(r, expect)
        return r.body

    def test_scope_and_snippets(self):
        word = uniq("zebra").lower()
        mine = make_session(self.server, self.cust_token)
        theirs = make_session(self.server, self.other_token)
        m1 = send_message(self.server, self.cust_token, mine["id"],
                          f"My {word} <b>arrived</b> broken")
        m2 = send_message(self.server, self.other_token, theirs["id"], f"Another {word} here")
        # staff see both
        res = self.search(self.agent_token, f"q={word}")["results"]
        self.assertEqual([x["message_id"] for x in res], [m2["id"], m1["id"]])  # newest first
        hit = res[1]
        self.assertEqual(hit["session_id"], mine["id"])
        self.assertEqual(hit["seq"], m1["seq"])
        self.assertEqual(hit["sender"], {"type": "customer", "id": self.cust["id"]})
        self.assertIn(f"<mark>{word}</mark>", hit["snippet"])
        self.assertIn("&lt;b&gt;arrived&lt;/b&gt;", hit["snippet"])  # escaped
        self.assertNotIn("<b>", hit["snippet"])
        # customers: only their own
        res = self.search(self.cust_token, f"q={word}")["results"]
        self.assertEqual([x["message_id"] for x in res], [m1["id"]])
        self.assertError(self.c(self.cust_token).get(
            f"/api/v1/search/messages?q={word}&session_id={theirs['id']}"), 404, "not_found")
        res = self.search(self.agent_token, f"q={word}&session_id={theirs['id']}")["results"]
        self.assertEqual([x["message_id"] for x in res], [m2["id"]])
        # bots do not search
        bot = self.c(self.admin_token).post("/api/v1/bots", {"name": "b"}).body
        self.assertError(self.c(bot["token"]).get(f"/api/v1/search/messages?q={word}"), 403,
                         "forbidden")

    def test_query_syntax_never_breaks(self):
        word = uniq("quux").lower()
        s = make_session(self.server, self.cust_token)
        m = send_message(self.server, self.cust_token, s["id"], f'He said "{word}" AND left')
        send_message(self.server, self.cust_token, s["id"], f"{word}ish prefix")
        for raw in ['"', '"unbalanced', 'a OR', 'NEAR(', '*', 'col:x', '(', ')', "'", 'AND',
                    '^x', 'x -y', '""""']:
            r = self.c(self.agent_token).get("/api/v1/search/messages?q=" + q(raw))
            self.assertIn(r.status, (200, 400), f"{raw!r}: {r.body!r}")
            if r.status == 400:
                self.assertEqual(r.body["error"]["code"], "validation_failed")
                self.assertIn("q", r.body["error"]["message"])
        # operators are words, quotes are literal
        res = self.search(self.agent_token, "q=" + q(f'"{word}" AND'))["results"]
        self.assertEqual([x["message_id"] for x in res], [m["id"]])
        # prefix queries stay possible
        res = self.search(self.agent_token, "q=" + q(f"{word}*"))["results"]
        self.assertEqual(len(res), 2)
        # a prefix needs three characters before its star
        self.assertError(self.c(self.agent_token).get("/api/v1/search/messages?q=" + q("ab*")),
                         400, "validation_failed", "q")
        for bad in ["", "   ", "!!!", "x" * 300]:
            self.assertError(self.c(self.agent_token).get(
                "/api/v1/search/messages?q=" + q(bad)), 400, "validation_failed", "q")
        self.assertError(self.c(self.agent_token).get("/api/v1/search/messages"), 400,
                         "validation_failed", "q")
        self.assertError(self.c(self.agent_token).get(
            "/api/v1/search/messages?q=" + q(" ".join(["w"] * 17))), 400, "validation_failed",
            "q")

    def test_paging_and_refused_messages(self):
        word = uniq("walrus").lower()
        s = make_session(self.server, self.cust_token,
                         policy=[{"name": "profanity", "mode": "reject"}])
        ids = [send_message(self.server, self.cust_token, s["id"], f"{word} number {i}")["id"]
               for i in range(5)]
        # a refused message is kept for review, never indexed
        r = self.c(self.cust_token).post(f"/api/v1/sessions/{s['id']}/messages",
                                         {"content": f"{word} shit"})
        self.assertEqual(r.status, 422, r.body)
        got, cursor = [], None
        while True:
            body = self.search(self.admin_token, f"q={word}&limit=2" +
                               (f"&cursor={cursor}" if cursor else ""))
            got.extend(x["message_id"] for x in body["results"])
            cursor = body["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(got, list(reversed(ids)))
        self.assertError(self.c(self.agent_token).get(
            f"/api/v1/search/messages?q={word}&cursor=xyz"), 400, "validation_failed")


class SearchLimitsTest(ToolsTestCase):
    """Customers' searches are rate-limited (anyone can register as one);
    staff's are not."""
    server_args = ["--limit-searches-per-minute", "3"]

    def test_customer_searches_are_rate_limited(self):
        word = uniq("okapi").lower()
        s = make_session(self.server, self.cust_token)
        send_message(self.server, self.cust_token, s["id"], f"an {word} appears")
        for _ in range(3):
            r = self.c(self.cust_token).get(f"/api/v1/search/messages?q={word}")
            self.assertStatus(r, 200)
            self.assertEqual(len(r.body["results"]), 1)  # found at once: not yet indexed
        r = self.c(self.cust_token).get(f"/api/v1/search/messages?q={word}")
        self.assertError(r, 429, "rate_limited")
        self.assertGreaterEqual(int(r.headers["retry-after"]), 1)
        # per customer: another customer still searches
        self.assertStatus(self.c(self.other_token).get(f"/api/v1/search/messages?q={word}"), 200)
        for _ in range(5):
            self.assertStatus(self.c(self.agent_token).get(f"/api/v1/search/messages?q={word}"),
                              200)


class SearchBudgetTest(ToolsTestCase):
    """A search past --search-budget-ms is stopped inside SQLite and
    answered 422 search_too_broad with a hint. 200,000 messages are written straight into the
    database file (the server indexes them with its periodic job); every
    other one says "odd", the others "even", so "odd even parcel the" has
    no hit and FTS5 must walk four doclists of 100,000-200,000 entries to
    prove it, far more than any build does in 10 ms. Nothing here measures
    time."""
    server_args = ["--search-budget-ms", "10"]
    ROWS = 200000

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bulk_cust, cls.bulk_token = make_customer(cls.server)
        cls.bulk = make_session(cls.server, cls.bulk_token)
        db = sqlite3.connect(f"{cls.server.data_dir}/parley.db", timeout=30)
        with db:
            db.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                "INSERT INTO messages (id, session_id, seq, sender_kind, sender_id, type, "
                "content, created_at) SELECT 'msg_bulk' || i, ?, i, 'customer', ?, 'text', "
                "'the parcel ' || i || ' is ' || iif(i % 2, 'odd', 'even') || ' tag' || "
                "(i % 4999), 1 FROM n",
                (cls.ROWS, cls.bulk["id"], cls.bulk_cust["id"]))
            db.execute("UPDATE sessions SET last_seq = ? WHERE id = ?", (cls.ROWS, cls.bulk["id"]))
        newest = db.execute("SELECT max(rowid) FROM messages").fetchone()[0]
        deadline = time.monotonic() + 300
        while db.execute("SELECT last_rowid FROM search_progress").fetchone()[0] < newest:
            if time.monotonic() > deadline:
                raise AssertionError("the index job did not catch up")
            time.sleep(0.1)
        db.close()

    def test_past_the_budget_is_a_clear_refusal(self):
        broad = q("odd even parcel the")
        for token in (self.agent_token, self.bulk_token):
            r = self.c(token).get(f"/api/v1/search/messages?q={broad}")
            self.assertError(r, 422, "search_too_broad")
            self.assertIn("session_id", r.body["error"]["message"])  # the hint
        # the server goes on answering (a wall-time budget of 10 ms is
        # meant to refuse; narrow scoped searches under the default budget
        # are SearchTest's, and their speed on big data is the benchmark's)
        r = self.c(self.bulk_token).get("/api/v1/sessions")
        self.assertStatus(r, 200)
        self.assertIn(self.bulk["id"], [x["id"] for x in r.body["sessions"]])


if __name__ == "__main__":
    unittest.main()
