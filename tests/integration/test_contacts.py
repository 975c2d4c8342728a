"""Contacts (issue 15, docs/subsystems/contacts.md): what the pre-chat form
sent as a contact, searched by name or e-mail and paged; one contact, its
edit (custom attributes merged, audited) and its earlier sessions and
tickets; a returning verified customer with the same e-mail is the same
contact; staff only (customers, bots and strangers are refused). Runs on
SQLite and, via CMakeLists.txt's postgres list, on PostgreSQL."""

import hashlib
import hmac
import unittest
import urllib.parse

from parley_harness import ServerTestCase, make_agent, make_customer, make_session, uniq


class ContactsTest(ServerTestCase):

    SECRET = "contacts-site-secret"
    server_args = ["--site-secret", SECRET]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        srv = cls.server
        cls.agent, cls.agent_token, _, _ = make_agent(srv, cls.admin_token)
        cls.tag = uniq("zq")  # a word no other contact of this server has
        cls.ada, cls.ada_token = make_customer(srv, name=f"Ada {cls.tag} Lovelace",
                                               email=f"ada.{cls.tag}@example.com", language="en")
        cls.bob, cls.bob_token = make_customer(srv, name=f"Bob {cls.tag}",
                                               email=f"bob.{cls.tag}@example.org")
        cls.pct, _ = make_customer(srv, name=f"100% {cls.tag}")
        bot = srv.client(cls.admin_token).post("/api/v1/bots", {"name": "contacts bot"})
        assert bot.status == 201, bot.body
        cls.bot_token = bot.body["token"]

    def sign(self, identifier):
        return hmac.new(self.SECRET.encode(), identifier.encode(), hashlib.sha256).hexdigest()

    def search(self, q, token=None, **params):
        params["q"] = q
        r = self.c(token or self.agent_token).get(
            "/api/v1/contacts?" + urllib.parse.urlencode(params))
        self.assertStatus(r, 200)
        return r.body

    def test_contact_is_what_the_form_sent(self):
        r = self.c(self.agent_token).get(f"/api/v1/contacts/{self.ada['id']}")
        self.assertStatus(r, 200)
        self.assertFields(r.body, {"id": self.ada["id"], "name": self.ada["name"],
                                   "email": self.ada["email"], "language": "en",
                                   "verified": False, "identifier": None, "attributes": {},
                                   "updated_at": None})
        self.assertTime(r.body["created_at"])
        self.assertIsInstance(r.body["sessions_count"], int)

    def test_search_by_name_or_email_case_insensitive(self):
        names = {c["id"] for c in self.search(self.tag.upper())["contacts"]}
        self.assertEqual(names, {self.ada["id"], self.bob["id"], self.pct["id"]})
        by_mail = self.search(f"@example.org")["contacts"]
        self.assertIn(self.bob["id"], [c["id"] for c in by_mail])
        self.assertNotIn(self.ada["id"], [c["id"] for c in by_mail])
        self.assertEqual([c["id"] for c in self.search(f"LOVELACE")["contacts"]
                          if self.tag in c["name"]], [self.ada["id"]])
        # LIKE's own characters are searched for, not obeyed
        self.assertEqual([c["id"] for c in self.search("100%")["contacts"]
                          if self.tag in c["name"]], [self.pct["id"]])
        self.assertEqual(self.search(f"_{self.tag}")["contacts"], [])
        self.assertError(self.c(self.agent_token).get("/api/v1/contacts?q=" + "x" * 201), 400,
                         "validation_failed", "q")

    def test_list_pages_newest_first(self):
        first = self.search(self.tag, limit=2)
        self.assertEqual([c["id"] for c in first["contacts"]], [self.pct["id"], self.bob["id"]])
        self.assertIsInstance(first["next_cursor"], str)
        second = self.search(self.tag, limit=2, cursor=first["next_cursor"])
        self.assertEqual([c["id"] for c in second["contacts"]], [self.ada["id"]])
        self.assertIsNone(second["next_cursor"])

    def test_by_ids(self):
        ids = ",".join([self.bob["id"], "cus_nosuchcontact", self.ada["id"]])
        r = self.c(self.agent_token).get(f"/api/v1/contacts?ids={ids}")
        self.assertStatus(r, 200)
        self.assertEqual([c["id"] for c in r.body["contacts"]], [self.bob["id"], self.ada["id"]])
        too_many = ",".join(["cus_x"] * 101)
        self.assertError(self.c(self.agent_token).get(f"/api/v1/contacts?ids={too_many}"), 400,
                         "validation_failed", "ids")

    def test_edit_merges_attributes_and_is_audited(self):
        cust, _ = make_customer(self.server, name="Edit Me")
        path = f"/api/v1/contacts/{cust['id']}"
        c = self.c(self.agent_token)
        r = c.patch(path, {"name": "Edith", "email": "edith@example.com",
                           "attributes": {"plan": "gold", "company": "ACME"}})
        self.assertStatus(r, 200)
        self.assertFields(r.body, {"name": "Edith", "email": "edith@example.com",
                                   "attributes": {"company": "ACME", "plan": "gold"}})
        self.assertTime(r.body["updated_at"])
        r = c.patch(path, {"attributes": {"plan": None, "seats": "12"}, "email": None})
        self.assertStatus(r, 200)
        self.assertFields(r.body, {"name": "Edith", "email": None,
                                   "attributes": {"company": "ACME", "seats": "12"}})
        self.assertEqual(c.get(path).body["attributes"], {"company": "ACME", "seats": "12"})
        for bad, field in [({"attributes": {"bad key": "x"}}, "attributes"),
                           ({"attributes": {"n": 3}}, "attributes"),
                           ({"attributes": ["x"]}, "attributes"),
                           ({"attributes": {f"k{i}": "v" for i in range(51)}}, "attributes"),
                           ({"attributes": {"k": "v" * 1001}}, "attributes"),
                           ({"name": ""}, "name"), ({"name": None}, "name"),
                           ({"email": "not-an-address"}, "email"),
                           ({"verified": True}, "verified"), ({"identifier": "x"}, "identifier")]:
            self.assertError(c.patch(path, bad), 400, "validation_failed", field)
        self.assertEqual(c.get(path).body["attributes"], {"company": "ACME", "seats": "12"})
        self.assertError(c.patch("/api/v1/contacts/cus_nosuchcontact", {"name": "x"}), 404,
                         "not_found")
        audit = self.c(self.admin_token).get("/api/v1/audit?limit=50").body["entries"]
        edits = [e for e in audit if e["action"] == "contact.update" and e["target_id"] == cust["id"]]
        self.assertEqual(len(edits), 2)
        self.assertEqual(edits[0]["actor"], {"type": "agent", "id": self.agent["id"]})
        self.assertEqual(edits[0]["detail"], {"changed": ["email", "attributes"]})
        self.assertEqual(edits[1]["detail"], {"changed": ["name", "email", "attributes"]})
        self.assertNotIn("ACME", repr(edits))  # which fields, never their values

    def test_earlier_sessions_and_tickets(self):
        cust, token = make_customer(self.server, name="Returning Rita")
        s1 = make_session(self.server, token)
        s2 = make_session(self.server, token)
        other, other_token = make_customer(self.server)
        make_session(self.server, other_token)
        r = self.c(self.agent_token).post("/api/v1/tickets",
                                          {"session_id": s1["id"], "issue_description": "refund"})
        self.assertStatus(r, 201)
        ticket = r.body
        c = self.c(self.agent_token)
        sessions = c.get(f"/api/v1/contacts/{cust['id']}/sessions")
        self.assertStatus(sessions, 200)
        self.assertEqual([s["id"] for s in sessions.body["sessions"]], [s2["id"], s1["id"]])
        page = c.get(f"/api/v1/contacts/{cust['id']}/sessions?limit=1")
        self.assertEqual([s["id"] for s in page.body["sessions"]], [s2["id"]])
        self.assertIsInstance(page.body["next_cursor"], str)
        tickets = c.get(f"/api/v1/contacts/{cust['id']}/tickets")
        self.assertStatus(tickets, 200)
        self.assertEqual([t["id"] for t in tickets.body["tickets"]], [ticket["id"]])
        got = c.get(f"/api/v1/contacts/{cust['id']}").body
        self.assertEqual(got["sessions_count"], 2)
        self.assertEqual(got["last_seen_at"], s2["created_at"])
        for sub in ("", "/sessions", "/tickets"):
            self.assertError(c.get(f"/api/v1/contacts/cus_nosuchcontact{sub}"), 404, "not_found")

    def test_returning_verified_customer_same_email_same_contact(self):
        email = f"{uniq('vera')}@example.com"
        first_id = uniq("site-user-")
        r = self.http.post("/api/v1/customers", {"name": "Vera", "email": email,
                                                 "identifier": first_id,
                                                 "identifier_hash": self.sign(first_id)})
        self.assertStatus(r, 201)
        contact = r.body["customer"]["id"]
        # another identifier (a new account on the site), the same e-mail, any case
        second_id = uniq("site-user-")
        r = self.http.post("/api/v1/customers", {"name": "Vera", "email": email.upper(),
                                                 "identifier": second_id,
                                                 "identifier_hash": self.sign(second_id)})
        self.assertStatus(r, 200)
        self.assertEqual(r.body["customer"]["id"], contact)
        self.assertEqual(self.http.get("/api/v1/me", token=r.body["token"]).body["id"], contact)
        # an unverified form with the same e-mail proves nothing: a new contact
        r = self.http.post("/api/v1/customers", {"name": "Not Vera", "email": email})
        self.assertStatus(r, 201)
        self.assertNotEqual(r.body["customer"]["id"], contact)

    def test_only_staff(self):
        own = self.ada["id"]
        for who, token in [("customer", self.ada_token), ("bot", self.bot_token)]:
            c = self.c(token)
            for path in ["/api/v1/contacts", f"/api/v1/contacts/{own}",
                         f"/api/v1/contacts/{own}/sessions", f"/api/v1/contacts/{own}/tickets",
                         f"/api/v1/contacts?ids={own}"]:
                with self.subTest(who=who, path=path):
                    self.assertError(c.get(path), 403, "forbidden")
            self.assertError(c.patch(f"/api/v1/contacts/{own}", {"name": "Hacked"}), 403,
                             "forbidden")
        anon = self.c(None)
        self.assertError(anon.get("/api/v1/contacts"), 401, "unauthenticated")
        self.assertError(anon.patch(f"/api/v1/contacts/{own}", {"name": "x"}), 401,
                         "unauthenticated")
        # nothing was changed by the refused edits; admins read contacts too
        r = self.c(self.admin_token).get(f"/api/v1/contacts/{own}")
        self.assertStatus(r, 200)
        self.assertEqual(r.body["name"], self.ada["name"])


if __name__ == "__main__":
    unittest.main()
