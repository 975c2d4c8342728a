"""The message-processing strategies in the real server (issue 4): spam
refusals kept for review and never delivered, agents teaching the filter,
profanity censored with the original kept for admins, the admin allowlist."""

import unittest
import urllib.parse

from parley_harness import DeskTestCase


class StrategiesTest(DeskTestCase):

    def test_strategies_are_listed(self):
        r = self.server.client().get("/api/v1/strategies")
        self.assertStatus(r, 200)
        names = {s["name"]: s for s in r.body["strategies"]}
        self.assertIn("spam", names)
        self.assertIn("profanity", names)
        self.assertIn("max_links", names["spam"]["options"])
        self.assertTrue(names["spam"]["version"])

    def test_spam_is_refused_kept_for_review_and_never_delivered(self):
        tok, sid = self.session([{"name": "spam", "max_links": 1}])
        c = self.server.client(tok)
        self.assertStatus(c.post(f"/api/v1/sessions/{sid}/messages",
                                 {"content": "My order 1234 has not arrived yet"}), 201)
        spam = ("Cheap deals http://a.example/1 http://b.example/2 http://c.example/3 "
                "click now")
        r = c.post(f"/api/v1/sessions/{sid}/messages", {"content": spam})
        self.assertError(r, 422, "spam_detected")
        self.assertEqual([m["content"] for m in self.staff_history(sid)],
                         ["My order 1234 has not arrived yet"])
        r = self.server.client(self.admin_token).get("/api/v1/flagged")
        self.assertStatus(r, 200)
        flagged = [m for m in r.body["messages"] if m["session_id"] == sid]
        self.assertEqual(len(flagged), 1)
        self.assertEqual(flagged[0]["content"], spam)
        self.assertEqual(flagged[0]["reason"], "spam_detected")
        self.assertIn("links", flagged[0]["spam"]["rules"])
        self.assertIsNone(flagged[0]["reviewed_as"])
        # agents teach the filter; the same label twice teaches once
        fid = flagged[0]["id"]
        agent = self.server.client(self.agent_token)
        r = agent.post(f"/api/v1/messages/{fid}/spam", {"is_spam": True})
        self.assertStatus(r, 200)
        self.assertIs(r.body["learnt"], True)
        r = agent.post(f"/api/v1/messages/{fid}/spam", {"is_spam": True})
        self.assertIs(r.body["learnt"], False)
        r = agent.post(f"/api/v1/messages/{fid}/spam", {"is_spam": False})
        self.assertIs(r.body["learnt"], True)
        reviewed = [m for m in self.server.client(self.admin_token).get(
            "/api/v1/flagged").body["messages"] if m["id"] == fid]
        self.assertEqual(reviewed[0]["reviewed_as"], "ham")
        good = self.staff_history(sid)[0]["id"]
        self.assertStatus(agent.post(f"/api/v1/messages/{good}/spam", {"is_spam": False}), 200)
        self.assertError(self.server.client(tok).post(f"/api/v1/messages/{good}/spam",
                                                      {"is_spam": True}), 403, "forbidden")
        self.assertError(agent.post(f"/api/v1/messages/{good}/spam", {"is_spam": "yes"}), 400,
                         "validation_failed")
        self.assertError(agent.post("/api/v1/messages/msg_missing/spam", {"is_spam": True}), 404,
                         "not_found")

    def test_spam_rate_limit_is_429_and_not_kept(self):
        tok, sid = self.session([{"name": "spam", "rate_per_minute": 2, "burst": 2}])
        c = self.server.client(tok)
        for i in range(2):
            self.assertStatus(c.post(f"/api/v1/sessions/{sid}/messages",
                                     {"content": f"question number {i} about my invoice"}), 201)
        r = c.post(f"/api/v1/sessions/{sid}/messages", {"content": "and one more question"})
        self.assertError(r, 429, "rate_limited")
        self.assertIn("retry-after", r.headers)
        flagged = self.server.client(self.admin_token).get("/api/v1/flagged").body["messages"]
        self.assertEqual([m for m in flagged if m["session_id"] == sid], [])

    def test_profanity_censored_original_for_admins_only(self):
        tok, sid = self.session([{"name": "profanity"}])
        c = self.server.client(tok)
        sent = "this is fucking broken"
        r = c.post(f"/api/v1/sessions/{sid}/messages", {"content": sent})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["content"], "this is f****** broken")
        self.assertNotIn("original_content", r.body)
        mid = r.body["id"]
        self.assertNotIn("original_content", c.get(f"/api/v1/messages/{mid}").body)
        self.assertNotIn("original_content",
                         self.server.client(self.agent_token).get(f"/api/v1/messages/{mid}").body)
        admin_view = self.server.client(self.admin_token).get(f"/api/v1/messages/{mid}").body
        self.assertEqual(admin_view["original_content"], sent)
        innocent = "classic assistance from Scunthorpe"
        r = c.post(f"/api/v1/sessions/{sid}/messages", {"content": innocent})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["content"], innocent)

    def test_profanity_detects_the_language_when_none_is_declared(self):
        # issue 16: the customer declared no language; parleyd's detector
        # finds Spanish and the Spanish list applies, German "bitte" stays
        tok, sid = self.session([{"name": "profanity"}])
        c = self.server.client(tok)
        r = c.post(f"/api/v1/sessions/{sid}/messages",
                   {"content": "eres un gilipollas y un cabrón, no me vuelvas a escribir"})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["content"],
                         "eres un g********* y un c*****, no me vuelvas a escribir")
        meta = self.server.client(self.admin_token).get(f"/api/v1/messages/{r.body['id']}").body
        self.assertEqual(meta["profanity"]["detected"], "es")
        innocent = "Können Sie mir bitte helfen? Meine Bestellung ist nicht angekommen."
        r = c.post(f"/api/v1/sessions/{sid}/messages", {"content": innocent})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["content"], innocent)

    def test_profanity_reject_mode(self):
        tok, sid = self.session([{"name": "profanity", "mode": "reject"}])
        r = self.server.client(tok).post(f"/api/v1/sessions/{sid}/messages",
                                         {"content": "what the fuck"})
        self.assertError(r, 422, "profanity_detected")
        self.assertEqual(self.staff_history(sid), [])

    def test_admins_edit_the_allowlist(self):
        admin = self.server.client(self.admin_token)
        self.assertError(self.server.client(self.agent_token).post(
            "/api/v1/strategies/profanity/allowlist", {"word": "shit"}), 403, "forbidden")
        tok, sid = self.session([{"name": "profanity"}])
        c = self.server.client(tok)
        self.assertEqual(c.post(f"/api/v1/sessions/{sid}/messages",
                                {"content": "that is shit"}).body["content"], "that is s***")
        self.assertStatus(admin.post("/api/v1/strategies/profanity/allowlist", {"word": "shit"}),
                          201)
        self.assertIn("shit", admin.get("/api/v1/strategies/profanity/allowlist").body["words"])
        self.assertEqual(c.post(f"/api/v1/sessions/{sid}/messages",
                                {"content": "that is shit"}).body["content"], "that is shit")
        # it survives a restart (stored), and removing it censors again
        self.server.restart()
        c = self.server.client(tok)
        self.assertEqual(c.post(f"/api/v1/sessions/{sid}/messages",
                                {"content": "still shit"}).body["content"], "still shit")
        admin = self.server.client(self.admin_token)
        self.assertStatus(admin.delete("/api/v1/strategies/profanity/allowlist/shit"), 204)
        self.assertError(admin.delete("/api/v1/strategies/profanity/allowlist/shit"), 404,
                         "not_found")
        self.assertEqual(c.post(f"/api/v1/sessions/{sid}/messages",
                                {"content": "shit again"}).body["content"], "s*** again")

    def test_allowlist_spellings_built_ins_and_long_words(self):
        admin = self.server.client(self.admin_token)
        url = "/api/v1/strategies/profanity/allowlist"
        r = admin.post(url, {"word": "Cr4p"})
        self.assertStatus(r, 201)
        self.assertEqual(r.body, {"word": "Cr4p", "built_in": False})
        # another spelling of the same word changes nothing
        r = admin.post(url, {"word": "crap"})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["word"], "Cr4p")
        self.assertEqual([w for w in admin.get(url).body["words"] if w.lower() in
                          ("cr4p", "crap")], ["Cr4p"])
        # and any spelling removes it
        self.assertStatus(admin.delete(f"{url}/CRAP"), 204)
        self.assertNotIn("Cr4p", admin.get(url).body["words"])
        self.assertError(admin.delete(f"{url}/crap"), 404, "not_found")
        # built-in words are listed but stay
        built_in = admin.get(url).body["words"][0]
        r = admin.delete(url + "/" + urllib.parse.quote(built_in, safe=""))
        self.assertError(r, 409, "conflict")
        # words with spaces or beyond ASCII travel percent-encoded
        for word in ("shit show", "hostia puta " + "x" * 60):
            self.assertStatus(admin.post(url, {"word": word}), 201)
            self.assertStatus(admin.delete(url + "/" + urllib.parse.quote(word, safe="")), 204)
        self.assertError(admin.post(url, {"word": "x" * 101}), 400, "validation_failed")
        self.assertError(admin.post(url, {"word": "!!!"}), 400, "validation_failed")
        # the audit log has every change, in the spelling stored
        actions = [(e["action"], e["detail"]["word"]) for e in
                   admin.get("/api/v1/audit").body["entries"]
                   if e["action"].startswith("allowlist.")]
        self.assertIn(("allowlist.add", "Cr4p"), actions)
        self.assertIn(("allowlist.remove", "Cr4p"), actions)

    def test_a_delivered_message_teaches_once_per_label(self):
        tok, sid = self.session([])
        r = self.server.client(tok).post(f"/api/v1/sessions/{sid}/messages",
                                         {"content": "please call me back about my invoice"})
        mid = r.body["id"]
        agent = self.server.client(self.agent_token)
        learnt = [agent.post(f"/api/v1/messages/{mid}/spam", {"is_spam": v}).body["learnt"]
                  for v in (True, True, False, False, True)]
        self.assertEqual(learnt, [True, False, True, False, True])
        # agents find what was kept for review
        self.assertStatus(agent.get("/api/v1/flagged"), 200)


if __name__ == "__main__":
    unittest.main()
