"""The desk's ChatBot (issue 5): greeting and away message when a session
starts, answers from the knowledge base (exact, paraphrased, typo'd, and
changed by an edit), handoff to a human on request in several languages or
after N unanswered questions (session.handoff to agents), silence after a
handoff or where the desk's bot is not attached, and customer messages
acknowledged regardless of the bot. Bot replies are awaited as WebSocket
events, never by sleeping."""

import unittest
import urllib.parse

from parley_harness import ServerTestCase, make_agent, make_customer, make_session, \
    send_message, all_history, uniq
from routing_helpers import put_presence

PASSWORD_ANSWER = "Go to Settings > Security and press 'Reset password'."
SHIPPING_ANSWER = "Shipping is free over 50 EUR, otherwise 4.90 EUR."
HANDOFF_TEXT = "A human agent will take over this conversation shortly."


def subscribe(ws, sid):
    ws.send_json({"type": "subscribe", "session_id": sid, "after_seq": 0})
    replayed = []
    while True:
        m = ws.recv_json(type=("message.created", "subscribed", "error"))
        if m["type"] == "error":
            raise AssertionError(f"subscribe failed: {m!r}")
        if m["type"] == "subscribed":
            return replayed
        replayed.append(m["message"])


class BotTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent, cls.agent_token, _, _ = make_agent(cls.server, cls.admin_token)
        admin = cls.server.client(cls.admin_token)
        r = admin.patch("/api/v1/settings", {"bot.enabled": True, "bot.max_failed_attempts": 2})
        assert r.status == 200, r
        cls.password_entry = admin.post("/api/v1/kb/entries", {
            "question": "How do I reset my password?", "answer": PASSWORD_ANSWER,
            "alternatives": ["I forgot my password", "¿Cómo cambio mi contraseña?"],
            "tags": ["account"]}).body
        cls.shipping_entry = admin.post("/api/v1/kb/entries", {
            "question": "How much does shipping cost?", "answer": SHIPPING_ANSWER}).body
        admin.post("/api/v1/kb/entries", {"question": "What are your opening hours?",
                                          "answer": "Monday to Friday, 9 to 18."})

    def admin_client(self):
        return self.server.client(self.admin_token)

    def start(self):
        """A customer, their bot session and a subscribed socket."""
        _, token = make_customer(self.server)
        session = make_session(self.server, token)
        ws = self.server.ws(token)
        self.addCleanup(ws.close)
        replayed = subscribe(ws, session["id"])
        return token, session, ws, replayed

    def ask(self, token, session, ws, text):
        """Sends; returns (the acked message, the bot's reply as delivered)."""
        sent = send_message(self.server, token, session["id"], text)
        reply = ws.recv_json("message.created", match=lambda m: m["message"]["seq"] > sent["seq"]
                             and m["message"]["sender"]["type"] in ("bot", "system"))
        return sent, reply["message"]

    def barrier(self):
        """Another bot session's question, asked later, has been answered: a
        bot turn queued earlier would have run by now too."""
        token, session, ws, _ = self.start()
        _, reply = self.ask(token, session, ws, "How much does shipping cost?")
        self.assertEqual(reply["content"], SHIPPING_ANSWER)

    # -- session start --------------------------------------------------------------
    def test_greeting_when_the_session_starts(self):
        token, session, ws, replayed = self.start()
        self.assertEqual((session["bot_id"], session["last_seq"]), ("bot_builtin", 1))
        self.assertEqual(len(replayed), 1)
        greeting = replayed[0]
        self.assertEqual((greeting["seq"], greeting["sender"]),
                         (1, {"type": "bot", "id": "bot_builtin"}))
        self.assertIn("agent", greeting["content"])
        # the built-in bot exists as a participant admins can see
        bots = self.admin_client().get("/api/v1/bots").body["bots"]
        self.assertIn("bot_builtin", [b["id"] for b in bots])

    def test_away_message_outside_business_hours(self):
        # a week with no open day: now is outside, whatever the clock says
        r = self.admin_client().patch("/api/v1/settings", {"bot.business_hours": {
            "timezone": "Europe/Madrid", "days": {}}})
        self.assertStatus(r, 200)
        try:
            token, session, ws, replayed = self.start()
            self.assertEqual([m["sender"]["type"] for m in replayed], ["bot", "bot"])
            self.assertIn("away", replayed[1]["content"])
            with self.server.ws(self.agent_token) as agent_ws:
                send_message(self.server, token, session["id"], "I need a human please")
                event = agent_ws.recv_json("session.handoff",
                                           match=lambda m: m["session_id"] == session["id"])
            self.assertEqual((event["reason"], event["agents_available"]), ("requested", False))
            hist = all_history(self.server, token, session["id"])
            tail = hist[-2:]
            # the away message was said at the start: not again (issue 16)
            self.assertEqual((tail[0]["sender"]["type"], tail[0]["content"]),
                             ("customer", "I need a human please"))
            self.assertEqual((tail[1]["sender"]["type"], tail[1]["content"]),
                             ("system", HANDOFF_TEXT))
            self.assertEqual([m["bot"]["kind"] for m in hist if "bot" in m],
                             ["greeting", "away"])
        finally:
            self.admin_client().patch("/api/v1/settings", {"bot.business_hours": {}})
        # open hours: no away message
        _, _, _, replayed = self.start()
        self.assertEqual(len(replayed), 1)

    def test_no_away_message_while_an_agent_is_online(self):
        """Issue 16: outside business hours with an agent online the desk is
        not away: no away message at the start nor at the handoff."""
        admin = self.admin_client()
        self.assertStatus(admin.patch("/api/v1/settings", {"bot.business_hours": {
            "timezone": "Europe/Madrid", "days": {}}}), 200)
        self.assertStatus(put_presence(self.server, self.agent_token, "online"), 200)
        try:
            token, session, ws, replayed = self.start()
            self.assertEqual([m["bot"]["kind"] for m in replayed], ["greeting"])
            with self.server.ws(self.agent_token) as agent_ws:
                send_message(self.server, token, session["id"], "I need a human please")
                event = agent_ws.recv_json("session.handoff",
                                           match=lambda m: m["session_id"] == session["id"])
            self.assertEqual((event["reason"], event["agents_available"]), ("requested", True))
            hist = all_history(self.server, token, session["id"])
            self.assertFalse([m for m in hist if m.get("bot", {}).get("kind") == "away"], hist)
        finally:
            put_presence(self.server, self.agent_token, "offline")
            admin.patch("/api/v1/settings", {"bot.business_hours": {}})

    def test_texts_in_the_customers_language_with_the_company_and_keyword(self):
        """Issue 16: the greeting names the company, the keyword the widget
        shows (and the bot hands over on it), in the customer's language
        when the admin wrote one, else in English."""
        admin = self.admin_client()
        self.assertStatus(admin.patch("/api/v1/settings", {
            "desk.company_name": "Bicis Pepe", "bot.handoff_keyword": "helpdesk",
            "bot.texts": {"es": {
                "greeting": "¡Hola! Soy el asistente de {company}. Escribe \"{handoff_keyword}\" "
                            "para hablar con una persona.",
                "handoff_message": "Una persona del equipo seguirá la conversación."}}}), 200)
        try:
            # a Spanish customer (their profile language, as the widget sets it)
            _, token = make_customer(self.server, language="es-ES")
            session = make_session(self.server, token)
            ws = self.server.ws(token)
            self.addCleanup(ws.close)
            greeting = subscribe(ws, session["id"])[0]
            self.assertEqual(greeting["content"], "¡Hola! Soy el asistente de Bicis Pepe. "
                                                  "Escribe \"helpdesk\" para hablar con una persona.")
            self.assertEqual(greeting["bot"], {"kind": "greeting", "handoff_keyword": "helpdesk"})
            # the configured keyword hands over; the handoff text in Spanish
            _, reply = self.ask(token, session, ws, "helpdesk por favor")
            self.assertEqual((reply["sender"]["type"], reply["content"]),
                             ("system", "Una persona del equipo seguirá la conversación."))
            # an English customer: the English setting, with the company and keyword
            token, session, _, replayed = self.start()
            self.assertEqual(replayed[0]["content"], "Hi! I'm the Bicis Pepe assistant. Ask me a "
                             "question, or type \"helpdesk\" to talk to an agent.")
            # bad texts are refused whole
            for bad in ({"es": "hola"}, {"Spanish": {"greeting": "x"}},
                        {"es": {"farewell": "adiós"}}, {"es": {"greeting": 5}}, []):
                r = admin.patch("/api/v1/settings", {"bot.texts": bad})
                self.assertError(r, 400, "validation_failed")
        finally:
            admin.patch("/api/v1/settings", {"desk.company_name": "", "bot.texts": {},
                                             "bot.handoff_keyword": "human"})
        # no company name: no gap where it would be
        _, _, _, replayed = self.start()
        self.assertTrue(replayed[0]["content"].startswith("Hi! I'm the assistant."),
                        replayed[0]["content"])

    # -- answers -----------------------------------------------------------------------
    def test_answer_translated_for_a_spanish_customer(self):
        """Issue 16: the knowledge base has the answer in English only; a
        Spanish customer gets it translated through the translation
        strategy's routes, the original kept as content."""
        _, token = make_customer(self.server, language="es")
        session = make_session(self.server, token)
        ws = self.server.ws(token)
        self.addCleanup(ws.close)
        subscribe(ws, session["id"])
        _, reply = self.ask(token, session, ws, "¿Cómo cambio mi contraseña?")
        self.assertEqual(reply["content"], PASSWORD_ANSWER)
        self.assertEqual(reply["bot"]["kind"], "answer")
        info = reply["translation"]
        self.assertEqual((info["status"], info["from"], info["to"]), ("translated", "en", "es"))
        self.assertEqual(info["pair"], "eng-spa")
        self.assertIn("contraseña", reply["translations"]["es"].lower())
        # an English customer gets it as written, with nothing added
        token, session, ws, _ = self.start()
        _, reply = self.ask(token, session, ws, "I forgot my password")
        self.assertEqual(reply["content"], PASSWORD_ANSWER)
        self.assertNotIn("translations", reply)

    def test_answers_exact_and_paraphrased_questions(self):
        token, session, ws, _ = self.start()
        for question in ["How do I reset my password?", "i forgot my pasword, how to reset it",
                         "como cambio mi CONTRASENA"]:
            sent, reply = self.ask(token, session, ws, question)
            self.assertEqual(reply["seq"], sent["seq"] + 1)
            self.assertEqual(reply["sender"], {"type": "bot", "id": "bot_builtin"})
            self.assertEqual(reply["content"], PASSWORD_ANSWER, question)
        stored = all_history(self.server, token, session["id"])
        self.assertEqual([m["seq"] for m in stored], list(range(1, len(stored) + 1)))

    def test_answer_follows_a_knowledge_base_edit(self):
        admin = self.admin_client()
        entry = admin.post("/api/v1/kb/entries", {"question": "Do you ship to the Canary Islands?",
                                                  "answer": "Not yet."}).body
        token, session, ws, _ = self.start()
        _, reply = self.ask(token, session, ws, "do you ship to the canary islands")
        self.assertEqual(reply["content"], "Not yet.")
        r = admin.patch(f"/api/v1/kb/entries/{entry['id']}", {"answer": "Yes, since May."})
        self.assertStatus(r, 200)
        _, reply = self.ask(token, session, ws, "do you ship to the canary islands")
        self.assertEqual(reply["content"], "Yes, since May.")
        self.assertStatus(admin.delete(f"/api/v1/kb/entries/{entry['id']}"), 204)
        _, reply = self.ask(token, session, ws, "do you ship to the canary islands")
        self.assertNotEqual(reply["content"], "Yes, since May.")

    # -- handoff ---------------------------------------------------------------------------
    def test_handoff_on_request_in_several_languages(self):
        with self.server.ws(self.agent_token) as agent_ws:
            for text in ["Can I talk to a human?", "Quiero hablar con un AGENTE",
                         "Je voudrais parler à un humain", "una persona, por favor"]:
                token, session, ws, _ = self.start()
                sent, reply = self.ask(token, session, ws, text)
                self.assertEqual((reply["sender"]["type"], reply["content"]),
                                 ("system", HANDOFF_TEXT), text)
                event = agent_ws.recv_json("session.handoff",
                                           match=lambda m, s=session: m["session_id"] == s["id"])
                self.assertEqual((event["reason"], event["bot_id"]), ("requested", "bot_builtin"))
                self.assertTrue(event["agents_available"])
                # the customer's socket hears it too
                ws.recv_json("session.handoff")
                s = self.server.client(token).get(f"/api/v1/sessions/{session['id']}").body
                self.assertEqual((s["status"], s["bot_id"]), ("waiting", None))

    def test_handoff_after_failed_attempts_and_silence_afterwards(self):
        token, session, ws, _ = self.start()
        with self.server.ws(self.agent_token) as agent_ws:
            _, first = self.ask(token, session, ws, "xyzzy plugh frobozz")
            self.assertEqual(first["sender"]["type"], "bot")
            self.assertIn("don't know", first["content"])
            _, second = self.ask(token, session, ws, "quux wibble wobble")
            self.assertEqual((second["sender"]["type"], second["content"]),
                             ("system", HANDOFF_TEXT))
            event = agent_ws.recv_json("session.handoff",
                                       match=lambda m: m["session_id"] == session["id"])
            self.assertEqual(event["reason"], "no_answer")
        # a question the bot knows, after the handoff: no answer
        last = send_message(self.server, token, session["id"], "How do I reset my password?")
        self.barrier()
        stored = all_history(self.server, token, session["id"])
        self.assertEqual(stored[-1]["id"], last["id"])

    def test_handoff_keeps_the_labels_from_the_customer(self):
        """Labels are the staff's triage: when the bot hands a labelled
        session over, the agents' session.updated carries the labels, the
        customer's copy of the same update does not, and neither does the
        session.handoff the customer gets."""
        name = uniq("triage").lower()
        self.assertStatus(self.admin_client().post("/api/v1/labels", {"name": name}), 201)
        token, session, ws, _ = self.start()
        sid = session["id"]
        r = self.server.client(self.agent_token).post(f"/api/v1/sessions/{sid}/labels",
                                                      {"label": name})
        self.assertStatus(r, 200)

        def handed_over(m):  # the update that takes the bot off this session
            return m["session"]["id"] == sid and not m["session"].get("bot_id")

        with self.server.ws(self.agent_token) as agent_ws:
            agent_ws.send_json({"type": "ping"})
            agent_ws.recv_json("pong")  # connected before the handoff happens
            send_message(self.server, token, sid, "I need a human please")
            staff = agent_ws.recv_json("session.updated", match=handed_over)
            agent_ws.recv_json("session.handoff", match=lambda m: m["session_id"] == sid)
        customer = ws.recv_json("session.updated", match=handed_over)
        self.assertEqual(staff["session"]["labels"], [name])
        self.assertNotIn("labels", customer["session"])
        # otherwise the customer's copy is the same session
        self.assertEqual(customer["session"],
                         {k: v for k, v in staff["session"].items() if k != "labels"})
        handoff = ws.recv_json("session.handoff", match=lambda m: m["session_id"] == sid)
        self.assertEqual(handoff["reason"], "requested")
        self.assertEqual(set(handoff), {"type", "session_id", "reason", "bot_id",
                                        "agents_available"})

    def test_no_bot_where_the_desk_bot_is_not_attached(self):
        token, session, ws, _ = self.start()
        # an admin puts another bot in charge of this session
        other = self.admin_client().post("/api/v1/bots", {"name": "Other bot"}).body
        r = self.admin_client().post(f"/api/v1/sessions/{session['id']}/bot", {"bot_id": other["bot"]["id"]}
                              if "bot" in other else {"bot_id": other["id"]})
        self.assertStatus(r, 200)
        last = send_message(self.server, token, session["id"], "How do I reset my password?")
        # and a session an agent took: the bot stays quiet there too
        token2, session2, ws2, _ = self.start()
        r = self.server.client(self.agent_token).post(
            f"/api/v1/sessions/{session2['id']}/assign", {"agent_id": self.agent["id"]})
        self.assertStatus(r, 200)
        last2 = send_message(self.server, token2, session2["id"], "How do I reset my password?")
        # with the bot disabled, a new session has none
        self.assertStatus(self.admin_client().patch("/api/v1/settings", {"bot.enabled": False}), 200)
        try:
            _, token3 = make_customer(self.server)
            session3 = make_session(self.server, token3)
            self.assertIsNone(session3["bot_id"])
            self.assertEqual(all_history(self.server, token3, session3["id"]), [])
        finally:
            self.assertStatus(self.admin_client().patch("/api/v1/settings", {"bot.enabled": True}), 200)
        self.barrier()
        self.assertEqual(all_history(self.server, token, session["id"])[-1]["id"], last["id"])
        self.assertEqual(all_history(self.server, token2, session2["id"])[-1]["id"], last2["id"])

    def test_customer_messages_are_acked_regardless_of_the_bot(self):
        token, session, ws, _ = self.start()
        ws.send_json({"type": "message.send", "session_id": session["id"],
                      "content": "How much does shipping cost?", "client_msg_id": "c-1"})
        ack = ws.recv_json("ack")
        self.assertEqual(ack["message"]["seq"], 2)
        reply = ws.recv_json("message.created", match=lambda m: m["message"]["seq"] == 3)
        self.assertEqual(reply["message"]["content"], SHIPPING_ANSWER)
        # a retry is the same message and does not make the bot speak twice
        again = send_message(self.server, token, session["id"], "How much does shipping cost?",
                             client_msg_id="c-1", expect=200)
        self.assertEqual(again["seq"], 2)
        self.barrier()
        self.assertEqual(len(all_history(self.server, token, session["id"])), 3)

    # -- the knowledge-base API ---------------------------------------------------------
    def test_kb_crud_validation_and_paging(self):
        admin = self.admin_client()
        r = admin.post("/api/v1/kb/entries", {"question": "Where is my order?",
                                              "answer": "See Orders.", "tags": ["orders"]})
        self.assertStatus(r, 201)
        self.assertId(r.body["id"], "kb")
        self.assertEqual((r.body["alternatives"], r.body["tags"]), ([], ["orders"]))
        self.assertTime(r.body["created_at"])
        eid = r.body["id"]
        self.assertEqual(admin.get(f"/api/v1/kb/entries/{eid}").body["question"],
                         "Where is my order?")
        for body, field in [({"answer": "x"}, "question"), ({"question": "q"}, "answer"),
                            ({"question": "", "answer": "a"}, "question"),
                            ({"question": "q", "answer": "a", "alternatives": "no"}, "alternatives"),
                            ({"question": "q", "answer": "a", "tags": [1]}, "tags"),
                            ({"question": "q", "answer": "a", "colour": "red"}, "question")]:
            r = admin.post("/api/v1/kb/entries", body)
            self.assertError(r, 400, "validation_failed")
            self.assertIn(field, r.body["error"]["message"])
        self.assertError(admin.patch(f"/api/v1/kb/entries/{eid}", {}), 400, "validation_failed")
        self.assertError(admin.patch("/api/v1/kb/entries/kb_nope", {"answer": "a"}), 404,
                         "not_found")
        self.assertError(admin.delete("/api/v1/kb/entries/kb_nope"), 404, "not_found")
        # paging: newest first, every entry once
        seen, cursor = [], None
        while True:
            q = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
            page = admin.get("/api/v1/kb/entries" + q).body
            self.assertLessEqual(len(page["entries"]), 2)
            seen += [e["id"] for e in page["entries"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(len(seen), len(set(seen)))
        self.assertIn(eid, seen)
        self.assertIn(self.password_entry["id"], seen)
        self.assertError(admin.get("/api/v1/kb/entries?cursor=abc"), 400, "validation_failed")
        self.assertStatus(admin.delete(f"/api/v1/kb/entries/{eid}"), 204)
        self.assertError(admin.get(f"/api/v1/kb/entries/{eid}"), 404, "not_found")

    def test_search_is_scored_and_for_staff(self):
        agent = self.server.client(self.agent_token)
        q = urllib.parse.quote("forgot my password")
        r = agent.get(f"/api/v1/kb/search?q={q}&limit=3")
        self.assertStatus(r, 200)
        matches = r.body["matches"]
        self.assertEqual(matches[0]["entry"]["id"], self.password_entry["id"])
        scores = [m["score"] for m in matches]
        self.assertEqual(scores, sorted(scores, reverse=True))
        self.assertTrue(0 < scores[-1] <= scores[0] <= 1)
        self.assertLessEqual(len(matches), 3)
        self.assertError(agent.get("/api/v1/kb/search"), 400, "validation_failed")
        # agents read, only admins edit; customers neither
        self.assertError(agent.post("/api/v1/kb/entries", {"question": "q", "answer": "a"}), 403,
                         "forbidden")
        _, customer = make_customer(self.server)
        self.assertError(self.server.client(customer).get(f"/api/v1/kb/search?q={q}"), 403,
                         "forbidden")

    def test_bot_settings_are_checked(self):
        admin = self.admin_client()
        for value in [{"timezone": "Mars/Olympus_Mons"}, {"timezone": "../../etc/passwd"},
                      {"days": {"mon": [["18:00", "09:00"]]}}, {"days": {"noday": []}},
                      {"timezone": "UTC", "extra": 1}]:
            r = admin.patch("/api/v1/settings", {"bot.business_hours": value})
            self.assertError(r, 400, "validation_failed")
            self.assertIn("bot.business_hours", r.body["error"]["message"])
        self.assertError(admin.patch("/api/v1/settings", {"bot.min_confidence": 0}), 400,
                         "validation_failed")
        r = admin.patch("/api/v1/settings", {"bot.business_hours": {
            "timezone": "America/New_York", "days": {"mon": [["09:00", "17:30"]]}}})
        self.assertStatus(r, 200)
        self.assertStatus(admin.patch("/api/v1/settings", {"bot.business_hours": {}}), 200)


if __name__ == "__main__":
    unittest.main()
