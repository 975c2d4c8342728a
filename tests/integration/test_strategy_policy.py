"""The message filters are the operator's policy (issue 16): the strategies
.policy setting decides the chain of every new session whatever the
customer sends; a customer chooses only the options the policy lets them
(the translation languages by default); every way a customer can name
strategies is refused or reduced to the policy."""

from parley_harness import (DeskTestCase, make_customer, make_session, send_message,
                            set_policy)

FILTERS = [{"name": "profanity"}, {"name": "spam"}]


class DefaultStrategiesArePolicyTest(DeskTestCase):
    """--default-strategies is the initial policy; an empty list from the
    customer no longer switches it off."""

    server_args = ["--default-strategies", '[{"name":"profanity"},{"name":"spam"}]']

    def new_customer(self):
        return make_customer(self.server)[1]

    def test_empty_list_keeps_the_desks_filters(self):
        tok = self.new_customer()
        s = make_session(self.server, tok, strategies=[])
        self.assertEqual([x["name"] for x in s["strategies"]], ["profanity", "spam"])
        m = send_message(self.server, tok, s["id"], "this is shit service")
        self.assertNotEqual(m["content"], "this is shit service")
        self.assertIn("*", m["content"])

    def test_null_and_absent_lists_get_the_policy(self):
        tok = self.new_customer()
        for fields in ({}, {"strategies": None}):
            s = make_session(self.server, tok, **fields)
            self.assertEqual([x["name"] for x in s["strategies"]], ["profanity", "spam"])

    def test_customer_cannot_loosen_or_add(self):
        c = self.server.client(self.new_customer())
        for chain, word in (([{"name": "profanity", "mode": "flag"}], "mode"),
                            ([{"name": "spam", "max_links": 100}], "max_links"),
                            ([{"name": "translation", "target": "es"}], "translation")):
            r = c.post("/api/v1/sessions", {"topic": "t", "strategies": chain})
            self.assertError(r, 403, "strategy_not_allowed", word)
        # malformed or unknown is still a 400
        self.assertError(c.post("/api/v1/sessions", {"topic": "t", "strategies": [{}]}), 400,
                         "validation_failed", "strateg")
        self.assertError(c.post("/api/v1/sessions",
                                {"topic": "t", "strategies": [{"name": "nope"}]}),
                         400, "validation_failed", "nope")
        # naming the policy's own strategies without options changes nothing
        r = c.post("/api/v1/sessions", {"topic": "t", "strategies": [{"name": "spam"}]})
        self.assertStatus(r, 201)
        self.assertEqual([x["name"] for x in r.body["strategies"]], ["profanity", "spam"])

    def test_strategies_in_a_message_change_nothing(self):
        """REST and WebSocket message bodies carry no chain: a "strategies"
        member there is ignored, the session's chain still filters."""
        tok = self.new_customer()
        sid = make_session(self.server, tok)["id"]
        r = self.server.client(tok).post(f"/api/v1/sessions/{sid}/messages",
                                         {"content": "what a shit day", "strategies": []})
        self.assertStatus(r, 201)
        self.assertNotIn("shit", r.body["content"])
        ws = self.server.ws(tok)
        try:
            ws.send_json({"type": "message.send", "session_id": sid, "content": "more shit",
                          "strategies": []})
            ack = ws.recv_json(type=("ack", "error"))
        finally:
            ws.close()
        self.assertEqual(ack["type"], "ack", ack)
        self.assertNotIn("shit", ack["message"]["content"])


class PolicySettingTest(DeskTestCase):
    """Admins set the policy at run time through the settings."""

    customers = 1

    def tearDown(self):
        set_policy(self.server, self.admin_token)

    def test_policy_applies_to_new_sessions_only(self):
        old = make_session(self.server, self.cust_token)
        self.assertEqual(old["strategies"], [])
        set_policy(self.server, self.admin_token, FILTERS)
        new = make_session(self.server, self.cust_token, strategies=[])
        self.assertEqual([x["name"] for x in new["strategies"]], ["profanity", "spam"])
        # the session started before keeps its chain
        m = send_message(self.server, self.cust_token, old["id"], "shit happens")
        self.assertEqual(m["content"], "shit happens")
        m = send_message(self.server, self.cust_token, new["id"], "shit happens")
        self.assertNotIn("shit", m["content"])

    def test_reapply_brings_open_sessions_to_the_policy(self):
        """An admin re-applies the policy: open sessions (waiting, and a
        send proved the chain live) take it, keeping the translation
        language their customer chose; a closed one keeps its chain; the
        action is admin-only and audited with its counts."""
        # a session with no chain at all, which the loop learns from a send
        # (sends to it then skip the pool's prepare step)
        bare = make_session(self.server, self.cust_token)
        self.assertEqual(bare["strategies"], [])
        self.assertEqual(send_message(self.server, self.cust_token, bare["id"], "shit")["content"],
                         "shit")
        set_policy(self.server, self.admin_token,
                   [{"name": "translation", "target": "en", "source": "es"}])
        c = self.server.client(self.cust_token)
        chose = c.post("/api/v1/sessions", {"topic": "t", "strategies": [
            {"name": "translation", "source": "fr"}]}).body
        plain = make_session(self.server, self.cust_token)
        closed = make_session(self.server, self.cust_token)
        self.assertStatus(c.post(f"/api/v1/sessions/{closed['id']}/close", {}), 200)
        # learnt on the loop: this session has a chain (translation), and
        # a send before the change goes through unfiltered
        m = send_message(self.server, self.cust_token, plain["id"], "shit happens")
        self.assertEqual(m["content"], "shit happens")
        set_policy(self.server, self.admin_token,
                   [{"name": "translation", "target": "en", "source": "es"}] + FILTERS)
        for token in (self.agent_token, self.cust_token):
            r = self.server.client(token).post("/api/v1/strategies/policy/reapply", {})
            self.assertError(r, 403, "forbidden")
        # not yet re-applied: the open session still runs its old chain
        m = send_message(self.server, self.cust_token, plain["id"], "shit again")
        self.assertEqual(m["content"], "shit again")
        admin = self.server.client(self.admin_token)
        r = admin.post("/api/v1/strategies/policy/reapply", {})
        self.assertStatus(r, 200)
        # other tests of this class leave open sessions of their own
        updated = r.body["sessions_updated"]
        self.assertGreaterEqual(updated, 3, r.body)
        self.assertGreaterEqual(r.body["sessions_checked"], updated)
        got = {sid: admin.get(f"/api/v1/sessions/{sid}").body["strategies"]
               for sid in (chose["id"], plain["id"], closed["id"])}
        self.assertEqual([x["name"] for x in got[plain["id"]]],
                         ["translation", "profanity", "spam"])
        # the customer's own language choice survives the re-apply
        self.assertEqual(got[chose["id"]][0],
                         {"name": "translation", "target": "en", "source": "fr"})
        self.assertEqual([x["name"] for x in got[closed["id"]]], ["translation"])
        for sid in (plain["id"], bare["id"]):
            m = send_message(self.server, self.cust_token, sid, "shit happens")
            self.assertNotIn("shit", m["content"])
        # a second re-apply has nothing left to change
        self.assertEqual(admin.post("/api/v1/strategies/policy/reapply", {}).body[
            "sessions_updated"], 0)
        entries = admin.get("/api/v1/audit?limit=20").body["entries"]
        self.assertTrue(any(e["action"] == "strategies.reapply" and
                            (e["detail"] or {}).get("sessions_updated") == updated
                            for e in entries), entries)

    def test_a_team_has_its_own_policy(self):
        """A team's entry in the policy gives the sessions routed to it its
        own chain (and customer options), decided once routing picked the
        team; other sessions keep the desk's; an unknown option in a
        team's chain is refused like the desk's; re-applying uses each
        session's team."""
        admin = self.server.client(self.admin_token)
        topic = "refunds-" + self.cust_token[-6:].lower()
        r = admin.post("/api/v1/teams", {"name": "Refunds " + topic[-6:], "topics": [topic]})
        self.assertStatus(r, 201)
        team = r.body["id"]
        self.assertError(admin.patch("/api/v1/settings", {"strategies.policy": {
            "teams": {team: {"chain": [{"name": "spam", "max_links": "many"}]}}}}), 400,
            "validation_failed", "max_links")
        self.assertError(admin.patch("/api/v1/settings", {"strategies.policy": {
            "teams": {team: {"chain": [], "teams": {}}}}}), 400, "validation_failed", "team")
        self.assertStatus(admin.patch("/api/v1/settings", {"strategies.policy": {
            "chain": [{"name": "spam"}],
            "teams": {team: {"chain": FILTERS, "customer_options": {}}}}}), 200)
        c = self.server.client(self.cust_token)
        theirs = c.post("/api/v1/sessions", {"topic": topic}).body
        ours = c.post("/api/v1/sessions", {"topic": "anything else"}).body
        self.assertEqual(theirs["team_id"], team)
        self.assertEqual([x["name"] for x in theirs["strategies"]], ["profanity", "spam"])
        self.assertEqual([x["name"] for x in ours["strategies"]], ["spam"])
        m = send_message(self.server, self.cust_token, theirs["id"], "shit happens")
        self.assertNotIn("shit", m["content"])
        m = send_message(self.server, self.cust_token, ours["id"], "shit happens")
        self.assertEqual(m["content"], "shit happens")
        # the team's policy loosened; re-applying follows each session's team
        self.assertStatus(admin.patch("/api/v1/settings", {"strategies.policy": {
            "chain": [{"name": "spam"}], "teams": {team: {"chain": []}}}}), 200)
        self.assertStatus(admin.post("/api/v1/strategies/policy/reapply", {}), 200)
        got = admin.get(f"/api/v1/sessions/{theirs['id']}").body["strategies"]
        self.assertEqual(got, [])
        got = admin.get(f"/api/v1/sessions/{ours['id']}").body["strategies"]
        self.assertEqual([x["name"] for x in got], ["spam"])

    def test_customer_chooses_only_allowed_options(self):
        set_policy(self.server, self.admin_token,
                   [{"name": "translation", "target": "en", "source": "es"}])
        c = self.server.client(self.cust_token)
        # the translation languages are the customer's to pick by default
        r = c.post("/api/v1/sessions", {"topic": "t", "strategies": [
            {"name": "translation", "source": "fr"}]})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["strategies"],
                         [{"name": "translation", "target": "en", "source": "fr"}])
        # the backend and its address are the desk's
        r = c.post("/api/v1/sessions", {"topic": "t", "strategies": [
            {"name": "translation", "backend": "libretranslate", "url": "http://169.254.169.254"}]})
        self.assertError(r, 403, "strategy_not_allowed", "backend")
        # a bad language value is a 400 naming it
        r = c.post("/api/v1/sessions", {"topic": "t", "strategies": [
            {"name": "translation", "source": "xx"}]})
        self.assertError(r, 400, "validation_failed", "source")
        # an admin may close the choice
        set_policy(self.server, self.admin_token,
                   [{"name": "translation", "target": "en", "source": "es"}], {})
        r = c.post("/api/v1/sessions", {"topic": "t", "strategies": [
            {"name": "translation", "source": "fr"}]})
        self.assertError(r, 403, "strategy_not_allowed", "source")

    def test_policy_is_validated_admin_only_and_audited(self):
        admin = self.server.client(self.admin_token)
        for bad, word in (({"chain": [{"name": "nope"}]}, "nope"),
                          ({"chain": {"name": "spam"}}, "chain"),
                          ({"chain": [{"name": "spam", "max_links": "many"}]}, "max_links"),
                          ({"customer_options": {"spam": "max_links"}}, "customer_options"),
                          ({"other": 1}, "strategies.policy"),
                          ([], "strategies.policy")):
            r = admin.patch("/api/v1/settings", {"strategies.policy": bad})
            self.assertError(r, 400, "validation_failed", word)
        for token in (self.agent_token, self.cust_token):
            r = self.server.client(token).patch("/api/v1/settings",
                                                {"strategies.policy": {"chain": []}})
            self.assertError(r, 403, "forbidden")
        set_policy(self.server, self.admin_token, FILTERS)
        got = admin.get("/api/v1/settings").body
        self.assertEqual(got["settings"]["strategies.policy"], {"chain": FILTERS})
        self.assertEqual(got["schema"]["strategies.policy"]["type"], "object")
        entries = admin.get("/api/v1/audit?limit=20").body["entries"]
        self.assertTrue(any(e["action"] == "settings.update" and
                            (e["detail"] or {}).get("strategies.policy") == {"chain": FILTERS}
                            for e in entries), entries)


class ReapplyManySessionsTest(DeskTestCase):
    """Re-apply pages across writer units (PARLEY_REAPPLY_PAGE = 200
    sessions a unit): with 450 open sessions (waiting and active) every
    one is brought to the policy over REST and the counts are the sums of
    the pages. (That it takes three units is shown by unit.test_chat_facade,
    test_policy_reapply_pages; the batch count below cannot tell, since the
    server commits other batches meanwhile.)"""

    customers = 1
    SESSIONS = 450

    def test_reapply_pages_over_several_units(self):
        admin = self.server.client(self.admin_token)
        c = self.server.client(self.cust_token)
        ids = []
        for i in range(self.SESSIONS):
            r = c.post("/api/v1/sessions", {"topic": f"t{i}"})
            self.assertStatus(r, 201)
            ids.append(r.body["id"])
        # some of them active: both open states are paged
        for sid in ids[:5]:
            self.assertStatus(admin.post(f"/api/v1/sessions/{sid}/assign",
                                         {"agent_id": self.agent["id"]}), 200)
        set_policy(self.server, self.admin_token, FILTERS)
        batches = self.server.metrics()["parley_db_batches_total"]
        r = admin.post("/api/v1/strategies/policy/reapply", {})
        self.assertStatus(r, 200)
        self.assertEqual(r.body, {"sessions_checked": self.SESSIONS,
                                  "sessions_updated": self.SESSIONS})
        # three pages at least (450 / 200), each its own unit and commit
        self.assertGreaterEqual(self.server.metrics()["parley_db_batches_total"] - batches, 3)
        for sid in (ids[0], ids[4], ids[5], ids[199], ids[200], ids[400], ids[-1]):
            got = admin.get(f"/api/v1/sessions/{sid}").body["strategies"]
            self.assertEqual([x["name"] for x in got], ["profanity", "spam"], sid)
        # unchanged: every session checked, none written
        r = admin.post("/api/v1/strategies/policy/reapply", {})
        self.assertEqual(r.body, {"sessions_checked": self.SESSIONS, "sessions_updated": 0})
        entries = admin.get("/api/v1/audit?limit=5").body["entries"]
        self.assertTrue(any(e["action"] == "strategies.reapply" and
                            (e["detail"] or {}).get("sessions_checked") == self.SESSIONS
                            for e in entries), entries)
        set_policy(self.server, self.admin_token)
