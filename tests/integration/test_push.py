"""Web push (issue 14, docs/subsystems/notifications.md "Web push"): the
VAPID public key served and kept across a restart, the subscriptions API
for agents and customers (each only their own), and delivery through the
outbox and the worker to a push service on loopback (push_service.py)
that verifies the VAPID JWT against the served key and decrypts each
aes128gcm body with the subscription's keys: an agent away gets the
waiting session, a customer who left gets the agent's reply, 410 prunes
the subscription, 429 is retried with backoff, and a retry posts only
to the subscriptions that did not take the message."""

import unittest

from parley_harness import (DeskTestCase, make_customer, make_session, send_message,
                            wait_until, T)
from push_service import PushService, unb64url


class PushTestCase(DeskTestCase):
    agents = 2
    server_args = ["--push-allow-private", "1", "--push-subject", "mailto:ops@example.com",
                   "--notify-retry-base-ms", "200", "--notify-retry-max-ms", "800",
                   "--notify-max-attempts", "4"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.push = PushService()
        cls.addClassCleanup(cls.push.close)
        r = cls.server.client().get("/api/v1/push/vapid-public-key")
        assert r.status == 200, r.body
        cls.push.served_key = r.body["public_key"]

    def subscribe(self, token, answers=()):
        sub = self.push.subscribe(answers)
        r = self.c(token).post("/api/v1/push/subscriptions", sub)
        self.assertStatus(r, 201)
        self.assertId(r.body["id"], "psb")
        self.assertEqual(r.body["endpoint"], sub["endpoint"])
        return sub

    def pushed(self, endpoint, count=1, timeout=15):
        wait_until(lambda: len(self.push.received(endpoint)) >= count, timeout=T(timeout),
                   message=f"{count} push requests to {endpoint}")
        got = self.push.received(endpoint)
        for r in got:
            self.assertIsNone(r["error"], r)
        return got

    def deliveries(self, notification_id):
        r = self.c(self.admin_token).get(
            "/api/v1/notifications/deliveries?notification_id=" + notification_id)
        self.assertStatus(r, 200)
        return {d["channel"]: d for d in r.body["deliveries"]}


class VapidAndSubscriptionsTest(PushTestCase):
    def test_the_public_key_is_a_p256_point_and_stays(self):
        key = unb64url(self.push.served_key)
        self.assertEqual(len(key), 65)
        self.assertEqual(key[0], 4)
        again = self.c().get("/api/v1/push/vapid-public-key")
        self.assertEqual(again.body["public_key"], self.push.served_key)

    def test_subscribe_validates_and_each_removes_only_their_own(self):
        agent = self.c(self.agent_token)
        sub = self.push.subscribe()
        self.assertError(self.c().post("/api/v1/push/subscriptions", sub), 401,
                         "unauthenticated")
        for bad, field in (({**sub, "endpoint": "ftp://x/y"}, "endpoint"),
                           ({**sub, "keys": {**sub["keys"], "p256dh": "AAAA"}}, "p256dh"),
                           ({**sub, "keys": {**sub["keys"], "auth": "!!"}}, "auth"),
                           ({"endpoint": sub["endpoint"]}, "p256dh")):
            self.assertError(agent.post("/api/v1/push/subscriptions", bad), 400,
                             "validation_failed", field)
        # 65 bytes with the 0x04 prefix, but not a point of the curve
        off_curve = "BA" + "A" * 85
        self.assertError(agent.post("/api/v1/push/subscriptions",
                                    {**sub, "keys": {**sub["keys"], "p256dh": off_curve}}),
                         400, "validation_failed", "p256dh")
        r = agent.post("/api/v1/push/subscriptions", sub)
        self.assertStatus(r, 201)
        again = agent.post("/api/v1/push/subscriptions", sub)  # the same browser again
        self.assertStatus(again, 201)
        self.assertEqual(again.body["id"], r.body["id"])
        # another agent, a customer: not theirs
        self.assertError(self.c(self.agent2_token).delete(
            "/api/v1/push/subscriptions", body={"endpoint": sub["endpoint"]}), 404, "not_found")
        _, cust_token = make_customer(self.server)
        self.assertError(self.c(cust_token).delete(
            "/api/v1/push/subscriptions", body={"endpoint": sub["endpoint"]}), 404, "not_found")
        self.assertStatus(agent.delete("/api/v1/push/subscriptions",
                                       body={"endpoint": sub["endpoint"]}), 204)
        self.assertError(agent.delete("/api/v1/push/subscriptions",
                                      body={"endpoint": sub["endpoint"]}), 404, "not_found")


class PushDeliveryTest(PushTestCase):
    def test_an_agent_away_gets_a_push_for_a_waiting_session(self):
        sub = self.subscribe(self.agent_token)
        _, cust_token = make_customer(self.server)
        session = make_session(self.server, cust_token)
        [req] = self.pushed(sub["endpoint"])
        p = req["payload"]
        self.assertEqual(p["event"], "session.waiting")
        self.assertEqual(p["session_id"], session["id"])
        self.assertEqual(p["url"], f"/console#session={session['id']}")
        self.assertTrue(p["title"])
        self.assertEqual(req["claims"]["sub"], "mailto:ops@example.com")
        self.assertEqual(req["headers"]["urgency"], "high")
        self.assertEqual(req["headers"]["ttl"], "86400")
        # the in-app notification is the same one; the push delivery is sent
        wait_until(lambda: self.deliveries(p["notification_id"]).get("web_push", {})
                   .get("state") == "sent", timeout=T(10), message="web_push sent")
        self.assertEqual(set(self.deliveries(p["notification_id"])), {"in_app", "web_push"})

    def test_a_customer_who_left_gets_the_agents_reply(self):
        _, cust_token = make_customer(self.server)
        session = make_session(self.server, cust_token)
        sub = self.subscribe(cust_token)
        send_message(self.server, self.agent_token, session["id"], "Your refund is on its way")
        [req] = self.pushed(sub["endpoint"])
        self.assertEqual(req["payload"]["event"], "reply.offline")
        self.assertEqual(req["payload"]["body"], "Your refund is on its way")
        self.assertEqual(req["payload"]["session_id"], session["id"])
        self.assertEqual(req["payload"]["url"], "/demo")

    def test_410_prunes_the_subscription(self):
        sub = self.subscribe(self.agent2_token, answers=[410])
        _, cust_token = make_customer(self.server)
        make_session(self.server, cust_token)
        wait_until(lambda: self.push.received(sub["endpoint"]), timeout=T(15),
                   message="a push request")
        [req] = self.push.received(sub["endpoint"])
        self.assertIsNone(req["error"], req)
        self.assertEqual(req["status"], 410)
        n_id = req["payload"]["notification_id"]
        wait_until(lambda: self.deliveries(n_id).get("web_push", {}).get("state") == "dead",
                   timeout=T(10), message="web_push dead")
        self.assertIn("410", self.deliveries(n_id)["web_push"]["last_error"])
        # gone: nothing left to remove, and the next cause sends nothing
        self.assertError(self.c(self.agent2_token).delete(
            "/api/v1/push/subscriptions", body={"endpoint": sub["endpoint"]}), 404, "not_found")
        _, cust2 = make_customer(self.server)
        s2 = make_session(self.server, cust2)
        wait_until(lambda: any(n["session_id"] == s2["id"] for n in self.c(self.agent2_token)
                               .get("/api/v1/notifications").body["notifications"]),
                   timeout=T(10), message="the next notification")
        self.assertEqual(len(self.push.received(sub["endpoint"])), 1)

    def test_429_is_retried_with_backoff(self):
        _, cust_token = make_customer(self.server)
        session = make_session(self.server, cust_token)
        sub = self.subscribe(cust_token, answers=[429, 503])
        send_message(self.server, self.agent_token, session["id"], "Still with us?")
        reqs = self.pushed(sub["endpoint"], count=3)
        self.assertEqual([r["status"] for r in reqs[:3]], [429, 503, 201])
        self.assertEqual(len({r["payload"]["notification_id"] for r in reqs}), 1)
        self.assertEqual(reqs[2]["payload"]["body"], "Still with us?")
        n_id = reqs[0]["payload"]["notification_id"]
        wait_until(lambda: self.deliveries(n_id)["web_push"]["state"] == "sent",
                   timeout=T(10), message="web_push sent")
        self.assertEqual(self.deliveries(n_id)["web_push"]["attempts"], 3)

    def test_a_retry_posts_only_to_the_subscriptions_that_did_not_take_it(self):
        """A customer on two devices: one push service answers 503 once, the
        other takes the message. The retry goes to the first alone: the
        second device shows the reply once. Every message carries the
        notification's id as its Topic (RFC 8030 5.4)."""
        _, cust_token = make_customer(self.server)
        session = make_session(self.server, cust_token)
        flaky = self.subscribe(cust_token, answers=[503])
        steady = self.subscribe(cust_token)
        send_message(self.server, self.agent_token, session["id"], "Two devices, one reply")
        reqs = self.pushed(flaky["endpoint"], count=2)
        self.assertEqual([r["status"] for r in reqs[:2]], [503, 201])
        n_id = reqs[0]["payload"]["notification_id"]
        wait_until(lambda: self.deliveries(n_id)["web_push"]["state"] == "sent",
                   timeout=T(10), message="web_push sent")
        self.assertEqual(self.deliveries(n_id)["web_push"]["attempts"], 2)
        [once] = self.push.received(steady["endpoint"])
        self.assertEqual(once["status"], 201)
        self.assertEqual(once["payload"]["body"], "Two devices, one reply")
        for r in reqs[:2] + [once]:
            self.assertEqual(r["headers"]["topic"], n_id)


if __name__ == "__main__":
    unittest.main()
