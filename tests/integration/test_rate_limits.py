"""Rate limits (issue 3): new customers and connections per client IP,
messages per participant, login attempts per account and per IP. Each
refusal is 429 rate_limited with Retry-After, and costs nothing else."""

import unittest

from parley_harness import (RawConn, ServerTestCase, make_agent, make_customer, make_session,
                            uniq)


class CustomerLimitTest(ServerTestCase):
    server_args = ["--limit-customers-per-minute", "3"]

    def test_new_customers_per_ip(self):
        c = self.server.client()
        for i in range(3):
            self.assertStatus(c.post("/api/v1/customers", {"name": f"c{i}"}), 201)
        r = c.post("/api/v1/customers", {"name": "one too many"})
        self.assertError(r, 429, "rate_limited")
        retry = int(r.headers["retry-after"])
        self.assertGreaterEqual(retry, 1)
        self.assertLessEqual(retry, 60)



class MessageLimitTest(ServerTestCase):
    server_args = ["--limit-messages-per-minute", "4"]

    def test_messages_per_participant(self):
        admin = self.server.client(self.admin_token)
        cust, tok = make_customer(self.server)
        other, other_tok = make_customer(self.server)
        sid = make_session(self.server, tok)["id"]
        other_sid = make_session(self.server, other_tok)["id"]
        c = self.server.client(tok)
        for i in range(4):
            self.assertStatus(c.post(f"/api/v1/sessions/{sid}/messages",
                                     {"content": f"m{i}", "client_msg_id": f"id-{i}"}), 201)
        r = c.post(f"/api/v1/sessions/{sid}/messages", {"content": "flood", "client_msg_id": "x"})
        self.assertError(r, 429, "rate_limited")
        self.assertIn("retry-after", r.headers)
        # a retry of a stored message is free, and nothing extra was stored
        r = c.post(f"/api/v1/sessions/{sid}/messages", {"content": "m1", "client_msg_id": "id-1"})
        self.assertStatus(r, 200)
        msgs = admin.get(f"/api/v1/sessions/{sid}/messages").body["messages"]
        self.assertEqual([m["content"] for m in msgs], ["m0", "m1", "m2", "m3"])
        # the WebSocket path has the same allowance and says when to retry
        ws = self.server.ws(token=tok)
        self.addCleanup(ws.close)
        ws.send_json({"type": "message.send", "session_id": sid, "content": "ws",
                      "client_msg_id": "ws-1"})
        err = ws.recv_json(type=("ack", "error"))
        self.assertEqual(err["type"], "error")
        self.assertEqual(err["error"]["code"], "rate_limited")
        self.assertGreaterEqual(err["error"]["retry_after"], 1)
        self.assertEqual(err["client_msg_id"], "ws-1")
        # other participants keep their own allowance
        self.assertStatus(self.server.client(other_tok).post(
            f"/api/v1/sessions/{other_sid}/messages", {"content": "hello"}), 201)


class LoginLimitsTest(ServerTestCase):
    server_args = ["--limit-logins-per-minute", "3"]

    def login(self, email, password):
        return self.server.client().post("/api/v1/auth/login",
                                         {"email": email, "password": password})

    def test_guessing_one_account_is_throttled(self):
        agent, _, email, password = make_agent(self.server, self.admin_token, do_login=False)
        for _ in range(3):
            self.assertError(self.login(email, "wrong-guess"), 401, "unauthenticated")
        r = self.login(email, password)  # even the right password waits now
        self.assertError(r, 429, "rate_limited")
        self.assertGreaterEqual(int(r.headers["retry-after"]), 1)
        # the same limit applies to an address nobody has: no difference shows
        ghost = uniq("ghost") + "@example.com"
        answers = [self.login(ghost, "guess").status for _ in range(4)]
        self.assertEqual(answers, [401, 401, 401, 429])

    def test_success_resets_the_account(self):
        agent, _, email, password = make_agent(self.server, self.admin_token, do_login=False)
        for _ in range(2):
            self.assertError(self.login(email, "wrong-guess"), 401, "unauthenticated")
        self.assertStatus(self.login(email, password), 200)
        for _ in range(2):
            self.assertError(self.login(email, "wrong-again"), 401, "unauthenticated")
        self.assertStatus(self.login(email, password), 200)


class ConnectionLimitTest(ServerTestCase):
    server_args = ["--limit-connections-per-minute", "40"]

    def test_new_connections_per_ip(self):
        statuses = []
        for _ in range(60):
            with RawConn(self.server.host, self.server.port) as conn:
                conn.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                status, headers, _ = conn.recv_response()
                statuses.append(status)
                if status == 429:
                    self.assertGreaterEqual(int(headers["retry-after"]), 1)
        # the class setup used a few connections of the 40 already
        self.assertIn(429, statuses)
        self.assertEqual(statuses[:statuses.index(429)], [200] * statuses.index(429))
        self.assertGreater(statuses.index(429), 20)


if __name__ == "__main__":
    unittest.main()
