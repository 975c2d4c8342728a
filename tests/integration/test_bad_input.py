"""Malformed HTTP, JSON and WebSocket input (docs/api-behaviour.md "General",
"WebSocket"). After every bad input the server still answers /healthz."""

import json
import socket
import struct
import unittest

from parley_harness import (OP_CONT, OP_PING, OP_TEXT, TIMEOUT_SCALE, RawConn,
                            ServerTestCase, encode_frame, make_agent, make_customer, make_session,
                            parse_http_response, raw_exchange, send_message)

MAX_BODY = 8192
MAX_HEADER = 8192
WS_MAX_FRAME = 4096
WS_MAX_MESSAGE = 16384


def http_req(method, path, body=None, token=None, extra=""):
    data = b"" if body is None else (body if isinstance(body, bytes) else body.encode())
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
    head += extra + "\r\n"
    return head.encode() + data


class BadHttpInputTest(ServerTestCase):
    server_args = ["--max-body-bytes", str(MAX_BODY), "--max-header-bytes", str(MAX_HEADER)]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent, cls.agent_token, _, _ = make_agent(cls.server, cls.admin_token)
        cls.cust, cls.cust_token = make_customer(cls.server)
        cls.session = make_session(cls.server, cls.cust_token)

    def tearDown(self):
        self.assertHealthy()

    def raw(self):
        return RawConn(self.server.host, self.server.port)

    # -- JSON bodies -------------------------------------------------------------
    def test_malformed_json_400_invalid_json(self):
        for body in (b'{"name": ', b"not json at all", b'{"name": "a"} trailing',
                     b"{'name': 'single quotes'}", b'{"name": "\xff\xfe"}'):
            with self.subTest(body=body):
                r = self.http.post("/api/v1/customers", raw=body)
                self.assertError(r, 400, "invalid_json")
        sid = self.session["id"]
        r = self.http.post(f"/api/v1/sessions/{sid}/messages", raw=b'{"content": "x",}',
                           token=self.cust_token)
        self.assertError(r, 400, "invalid_json")
        r = self.http.post("/api/v1/auth/login", raw=b"{{{")
        self.assertError(r, 400, "invalid_json")
        self.assertEqual(self.http.get(f"/api/v1/sessions/{sid}/messages",
                                       token=self.cust_token).body["messages"], [])

    def test_json_that_is_not_an_object_400(self):
        for body in (b"[1, 2, 3]", b"42", b'"a string"', b"null", b"true", b"[]"):
            with self.subTest(body=body):
                r = self.http.post("/api/v1/customers", raw=body)
                self.assertError(r, 400, "validation_failed")
                r = self.http.post("/api/v1/sessions", raw=body, token=self.cust_token)
                self.assertError(r, 400, "validation_failed")

    def test_empty_body_where_one_is_required_400(self):
        r = self.http.post("/api/v1/customers", raw=b"")
        self.assertEqual(r.status, 400, r.body)
        self.assertIn(r.body["error"]["code"], ("invalid_json", "validation_failed"))

    def test_wrong_field_types_name_the_field(self):
        sid = self.session["id"]
        cases = (
            ("/api/v1/customers", None, {"name": 5}, "name"),
            ("/api/v1/customers", None, {"name": "ok", "language": ["en"]}, "language"),
            ("/api/v1/auth/login", None, {"email": {"a": 1}, "password": "password-1"}, "email"),
            ("/api/v1/sessions", self.cust_token, {"topic": ["x"]}, "topic"),
            ("/api/v1/sessions", self.cust_token, {"topic": "t", "strategies": {"name": "spam"}},
             "strategies"),
            (f"/api/v1/sessions/{sid}/messages", self.cust_token, {"content": 5}, "content"),
            (f"/api/v1/sessions/{sid}/messages", self.cust_token, {"content": "x", "type": True},
             "type"),
            (f"/api/v1/sessions/{sid}/messages", self.cust_token,
             {"content": "x", "client_msg_id": 1.5}, "client_msg_id"),
            (f"/api/v1/sessions/{sid}/assign", self.agent_token, {"agent_id": []}, "agent_id"),
            ("/api/v1/tickets", self.agent_token, {"session_id": sid, "issue_description": 1},
             "issue_description"),
            ("/api/v1/agents", self.admin_token,
             {"name": "n", "email": "e@example.com", "password": "password-1", "role": 1}, "role"),
            ("/api/v1/bots", self.admin_token, {"name": 12}, "name"),
        )
        for path, token, body, field in cases:
            with self.subTest(path=path, field=field):
                r = self.http.post(path, body, token=token)
                self.assertError(r, 400, "validation_failed", field)
        self.assertEqual(self.http.get(f"/api/v1/sessions/{sid}/messages",
                                       token=self.cust_token).body["messages"], [])

    def test_nul_in_content_is_never_truncated(self):
        sid = self.session["id"]
        r = self.http.post(f"/api/v1/sessions/{sid}/messages", raw=b'{"content": "a\\u0000b"}',
                           token=self.cust_token)
        if r.status == 201:
            self.assertEqual(r.body["content"], "a\u0000b")
            h = self.http.get(f"/api/v1/sessions/{sid}/messages", token=self.cust_token)
            self.assertEqual(h.body["messages"][-1]["content"], "a\u0000b")
        else:
            self.assertEqual(r.status, 400, r.body)
            self.assertIn(r.body["error"]["code"], ("invalid_json", "validation_failed"))
            self.assertEqual(self.http.get(f"/api/v1/sessions/{sid}/messages",
                                           token=self.cust_token).body["messages"], [])

    def test_deeply_nested_json(self):
        body = b"[" * 4000 + b"]" * 4000
        r = self.http.post("/api/v1/customers", raw=body)
        self.assertEqual(r.status, 400, r.body)
        self.assertIn(r.body["error"]["code"], ("invalid_json", "validation_failed"))
        body = b'{"name": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1000 + b"}"  # < MAX_BODY
        r = self.http.post("/api/v1/customers", raw=body)
        self.assertEqual(r.status, 400, r.body)
        self.assertIn(r.body["error"]["code"], ("invalid_json", "validation_failed"))

    def test_lengths_count_characters_not_bytes(self):
        r = self.http.post("/api/v1/customers", {"name": "é" * 200})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["customer"]["name"], "é" * 200)
        self.assertError(self.http.post("/api/v1/customers", {"name": "é" * 201}), 400,
                         "validation_failed", "name")

    def test_chunked_request_body(self):
        body = json.dumps({"name": "chunky"}).encode()
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 5]), body[i:i + 5])
                          for i in range(0, len(body), 5)) + b"0\r\n\r\n"
        with self.raw() as c:
            c.send(b"POST /api/v1/customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                   b"\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks)
            r = c.recv_response()
            self.assertStatus(r, 201)
            self.assertEqual(r.body["customer"]["name"], "chunky")
            c.send(http_req("GET", "/healthz"))
            self.assertStatus(c.recv_response(), 200)

    def test_chunked_body_over_limit_413(self):
        with self.raw() as c:
            c.send(b"POST /api/v1/customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                   b"\r\nTransfer-Encoding: chunked\r\n\r\n")
            piece = b"%x\r\n%s\r\n" % (1000, b"a" * 1000)
            try:
                for _ in range(MAX_BODY // 1000 + 3):
                    c.send(piece)
            except OSError:
                pass  # the server may stop reading once it has answered
            r = c.recv_response()
            self.assertError(r, 413, "payload_too_large")
            self.assertTrue(c.wait_eof())

    def test_error_messages_quoting_multibyte_input_stay_valid(self):
        """An error message that quotes (part of) the input never cuts a
        UTF-8 character in half: still a 400 with a JSON body."""
        for n in range(60, 70):
            with self.subTest(n=n):
                r = self.http.post("/api/v1/sessions",
                                   {"topic": "t", "strategies": [{"name": "a" + "é" * n}]},
                                   token=self.cust_token)
                self.assertError(r, 400, "validation_failed", "strateg")
        r = self.http.post("/api/v1/customers", raw='{"name": "€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€"'.encode())
        self.assertError(r, 400, "invalid_json")

    # -- sizes -------------------------------------------------------------------
    def test_oversized_body_413_and_connection_closed(self):
        with self.raw() as c:
            body_len = MAX_BODY * 4
            c.send(f"POST /api/v1/customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                   f"\r\nContent-Length: {body_len}\r\n\r\n".encode() + b'{"name": "' + b"a" * 1000)
            r = c.recv_response()
            self.assertError(r, 413, "payload_too_large")
            self.assertTrue(c.wait_eof(), "connection not closed after 413")
        # a new connection works, with a body of the allowed size
        r = self.http.post("/api/v1/customers", raw=json.dumps({"name": "n" * 100,
                                                                 "email": "e" * (MAX_BODY - 200)}))
        self.assertNotEqual(r.status, 413)
        self.assertStatus(self.http.post("/api/v1/customers", {"name": "after 413"}), 201)

    def test_oversized_headers_431(self):
        with self.raw() as c:
            c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"h" * (MAX_HEADER * 2)
                   + b"\r\n\r\n")
            r = c.recv_response()
            self.assertError(r, 431, "headers_too_large")
            self.assertTrue(c.wait_eof(), "connection not closed after 431")
        with self.raw() as c:  # many small headers add up too
            hdrs = "".join(f"X-H{i}: {'v' * 50}\r\n" for i in range(MAX_HEADER // 40))
            c.send(f"GET /healthz HTTP/1.1\r\nHost: x\r\n{hdrs}\r\n".encode())
            r = c.recv_response()
            self.assertError(r, 431, "headers_too_large")
            self.assertTrue(c.wait_eof())

    def test_garbage_bytes_400_bad_request(self):
        for junk in (b"\x00\x01\x02\x03 garbage \xff\xfe\r\n\r\n",
                     b"HELLO THERE\r\n\r\n",
                     b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                     b"GET /healthz HTTP/1.1\r\nBroken header line without colon\r\n\r\n",
                     b"POST /api/v1/customers HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                     b"Content-Length: 15\r\n\r\n{\"name\": \"a\"}"):
            with self.subTest(junk=junk):
                data = raw_exchange(self.server.host, self.server.port, junk)
                parsed = parse_http_response(data, eof=True)
                self.assertIsNotNone(parsed, f"no response to garbage: {data!r}")
                r, rest = parsed
                self.assertError(r, 400, "bad_request")
                self.assertEqual(rest, b"")
        self.assertHealthy()

    def test_unknown_path_404(self):
        for path in ("/api/v1/does-not-exist", "/api/v2/sessions", "/api/v1/sessions/x/y/z"):
            with self.subTest(path=path):
                self.assertError(self.http.get(path, token=self.agent_token), 404, "not_found")

    def test_wrong_method_405_with_allow(self):
        sid = self.session["id"]
        cases = (("DELETE", "/api/v1/sessions", ("GET", "POST")),
                 ("PUT", "/healthz", ("GET",)),
                 ("GET", "/api/v1/auth/login", ("POST",)),
                 ("DELETE", f"/api/v1/sessions/{sid}", ("GET",)),
                 ("PUT", "/api/v1/tickets/tkt_AAAAAAAAAAAAAAAAAAAAAAAAAA", ("GET", "PATCH")),
                 ("POST", "/api/v1/ws", ("GET",)))
        for method, path, allowed in cases:
            with self.subTest(method=method, path=path):
                r = self.http.request(method, path, token=self.agent_token)
                self.assertError(r, 405, "method_not_allowed")
                self.assertIn("allow", r.headers)
                methods = {m.strip() for m in r.headers["allow"].split(",")}
                self.assertTrue(set(allowed) <= methods, r.headers["allow"])
                self.assertNotIn(method, methods)

    def test_abrupt_disconnects_mid_request(self):
        """Clients that vanish (RST) halfway through a request, or right
        after sending one, do not hurt the server or the data."""
        sid = make_session(self.server, self.cust_token)["id"]
        full = http_req("POST", f"/api/v1/sessions/{sid}/messages",
                        json.dumps({"content": "maybe"}), token=self.cust_token)
        for i in range(40):
            c = self.raw()
            cut = [len(full), len(full) // 2, 10, len(full) - 1][i % 4]
            c.send(full[:cut])
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()
        self.assertHealthy()
        msgs = self.http.get(f"/api/v1/sessions/{sid}/messages?limit=200",
                             token=self.cust_token).body["messages"]
        self.assertEqual([m["seq"] for m in msgs], list(range(1, len(msgs) + 1)))
        self.assertLessEqual(len(msgs), 10)  # only whole requests can have stored anything
        self.assertTrue(all(m["content"] == "maybe" for m in msgs))

    # -- connection handling -----------------------------------------------------
    def test_keep_alive_several_requests_on_one_connection(self):
        with self.raw() as c:
            for i in range(5):
                c.send(http_req("GET", "/healthz"))
                r = c.recv_response()
                self.assertStatus(r, 200)
                self.assertEqual(r.body, {"status": "ok"})
            c.send(http_req("POST", "/api/v1/customers", json.dumps({"name": "ka"})))
            r = c.recv_response()
            self.assertStatus(r, 201)
            tok = r.body["token"]
            c.send(http_req("GET", "/api/v1/me", token=tok))
            r = c.recv_response()
            self.assertStatus(r, 200)
            self.assertEqual(r.body["name"], "ka")
            # errors do not end a keep-alive connection either
            c.send(http_req("GET", "/api/v1/nope"))
            self.assertStatus(c.recv_response(), 404)
            c.send(http_req("POST", "/api/v1/customers", "{bad"))
            self.assertError(c.recv_response(), 400, "invalid_json")
            c.send(http_req("GET", "/healthz"))
            self.assertStatus(c.recv_response(), 200)
            self.assertFalse(c.eof)

    def test_pipelining_three_requests_in_one_send(self):
        with self.raw() as c:
            c.send(http_req("GET", "/healthz")
                   + http_req("POST", "/api/v1/customers", json.dumps({"name": "piped"}))
                   + http_req("GET", "/api/v1/me", token=self.cust_token))
            r1 = c.recv_response()
            r2 = c.recv_response()
            r3 = c.recv_response()
            self.assertStatus(r1, 200)
            self.assertEqual(r1.body, {"status": "ok"})
            self.assertStatus(r2, 201)
            self.assertEqual(r2.body["customer"]["name"], "piped")
            self.assertStatus(r3, 200)
            self.assertEqual(r3.body["id"], self.cust["id"])

    def test_http_1_0_request(self):
        with self.raw() as c:
            c.send(b"GET /healthz HTTP/1.0\r\n\r\n")
            r = c.recv_response()
            self.assertStatus(r, 200)
            self.assertEqual(r.body, {"status": "ok"})
            self.assertTrue(c.wait_eof(), "HTTP/1.0 without keep-alive must be closed")

    def test_connection_close_header_is_honoured(self):
        with self.raw() as c:
            c.send(http_req("GET", "/healthz", extra="Connection: close\r\n"))
            self.assertStatus(c.recv_response(), 200)
            self.assertTrue(c.wait_eof())

    def test_request_split_across_many_small_writes(self):
        with self.raw() as c:
            data = http_req("POST", "/api/v1/customers", json.dumps({"name": "slow writer"}))
            for i in range(0, len(data), 7):
                c.send(data[i:i + 7])
            r = c.recv_response()
            self.assertStatus(r, 201)
            self.assertEqual(r.body["customer"]["name"], "slow writer")


class BadWebSocketInputTest(ServerTestCase):
    server_args = ["--ws-max-frame-bytes", str(WS_MAX_FRAME),
                   "--ws-max-message-bytes", str(WS_MAX_MESSAGE)]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cust, cls.cust_token = make_customer(cls.server)

    def tearDown(self):
        self.assertHealthy()

    def ws(self):
        ws = self.server.ws(token=self.cust_token)
        self.addCleanup(ws.close)
        return ws

    def test_invalid_utf8_text_frame_closes_1007(self):
        ws = self.ws()
        ws.send_frame(OP_TEXT, b'{"type": "ping", "x": "\xc3\x28"}')
        self.assertEqual(ws.wait_closed(), 1007)

    def test_binary_frame_closes_1003(self):
        ws = self.ws()
        ws.send_binary(b'{"type": "ping"}')
        self.assertEqual(ws.wait_closed(), 1003)

    def test_frame_over_limit_closes_1009(self):
        ws = self.ws()
        ws.send_text(json.dumps({"type": "ping", "pad": "x" * (WS_MAX_FRAME + 100)}))
        self.assertEqual(ws.wait_closed(), 1009)

    def test_frame_header_announcing_huge_length_closes_1009(self):
        ws = self.ws()
        # announce 2^40 bytes but send only a few: the header alone must do it
        ws.send_raw(encode_frame(OP_TEXT, b"", mask=True, length_override=1 << 40) + b"abcd")
        self.assertEqual(ws.wait_closed(), 1009)

    def test_fragmented_message_over_message_limit_closes_1009(self):
        ws = self.ws()
        payload = json.dumps({"type": "ping", "pad": "y" * (WS_MAX_MESSAGE + 100)})
        parts = -(-len(payload) // (WS_MAX_FRAME - 100))
        ws.send_fragmented(payload, parts)
        self.assertEqual(ws.wait_closed(), 1009)

    def test_fragmented_message_is_reassembled(self):
        ws = self.ws()
        ws.send_fragmented('{"type": "ping"}', 4)
        self.assertEqual(ws.recv_json(type="pong"), {"type": "pong"})
        # a message larger than one frame but within the message limit
        big = json.dumps({"type": "ping", "pad": "z" * (WS_MAX_FRAME * 2)})
        ws.send_fragmented(big, 3)
        self.assertEqual(ws.recv_json(type=("pong", "error")), {"type": "pong"})
        # a control frame may come between fragments
        ws.send_fragmented('{"type": "ping"}', 2,
                           between=lambda i: ws.send_ping(b"mid"))
        self.assertEqual(ws.recv_json(type="pong"), {"type": "pong"})
        self.assertIn(b"mid", ws.pongs)
        # a multi-byte character split across two frames is still valid UTF-8
        s = make_session(self.server, self.cust_token)
        text = json.dumps({"type": "message.send", "session_id": s["id"], "content": "é€🎉",
                           "client_msg_id": "frag-utf8"}, ensure_ascii=False).encode()
        cut = text.index("€".encode()) + 1
        ws.send_frame(OP_TEXT, text[:cut], fin=False)
        ws.send_frame(OP_CONT, text[cut:], fin=True)
        ack = ws.recv_json(type=("ack", "error"))
        self.assertEqual(ack["type"], "ack", ack)
        self.assertEqual(ack["message"]["content"], "é€🎉")
        self.assertFalse(ws.closed.is_set())

    def test_error_frames_quoting_multibyte_input_arrive(self):
        ws = self.ws()
        for n in range(15, 25):
            ws.send_json({"type": "x" + "é" * n})
            err = ws.recv_json(type=("error", "pong"))
            self.assertEqual(err["type"], "error")
            self.assertIsInstance(err["error"]["message"], str)
        ws.send_text('{"type": "ping"')  # truncated JSON, with a multibyte neighbour
        self.assertEqual(ws.recv_json(type=("error", "pong"))["type"], "error")
        ws.send_text("€" * 100)
        self.assertEqual(ws.recv_json(type=("error", "pong"))["type"], "error")
        ws.send_json({"type": "ping"})
        self.assertEqual(ws.recv_json(type=("error", "pong")), {"type": "pong"})

    def test_abrupt_disconnects_during_replay_and_mid_frame(self):
        s = make_session(self.server, self.cust_token)
        for i in range(250):  # more than one history page
            send_message(self.server, self.cust_token, s["id"], f"r{i}")
        frame = encode_frame(OP_TEXT, json.dumps({"type": "ping"}))
        for i in range(20):
            ws = self.server.ws(token=self.cust_token, start_reading=False)
            if i % 2 == 0:
                ws.send_json({"type": "subscribe", "session_id": s["id"], "after_seq": 0})
            else:
                ws.send_raw(frame[:len(frame) // 2])
            ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            ws.close()
        self.assertHealthy()
        ws = self.ws()
        replay = 0
        ws.send_json({"type": "subscribe", "session_id": s["id"], "after_seq": 0})
        while ws.recv_json(type=("message.created", "subscribed"))["type"] != "subscribed":
            replay += 1
        self.assertEqual(replay, 250)

    def test_unmasked_client_frame_closes_1002(self):
        ws = self.ws()
        ws.send_frame(OP_TEXT, b'{"type": "ping"}', mask=False)
        code = ws.wait_closed()
        self.assertEqual(code, 1002)

    def test_continuation_without_start_closes_1002(self):
        ws = self.ws()
        ws.send_frame(OP_CONT, b'{"type": "ping"}', fin=True)
        self.assertEqual(ws.wait_closed(), 1002)

    def test_reserved_bits_close_1002(self):
        ws = self.ws()
        ws.send_frame(OP_TEXT, b'{"type": "ping"}', rsv=4)
        self.assertEqual(ws.wait_closed(), 1002)

    def test_rfc6455_protocol_violations_close_the_connection(self):
        """RFC 6455 7.1.7: the server fails the connection; it SHOULD send
        close 1002 first (the docs do not list these cases, so a bare TCP
        close is accepted too)."""
        cases = {
            "control frame over 125 bytes": encode_frame(OP_PING, b"p" * 126),
            "fragmented control frame": encode_frame(OP_PING, b"p", fin=False),
            "unknown opcode": encode_frame(0x3, b"x"),
            "unknown control opcode": encode_frame(0xB, b"x"),
            "data frame inside a fragmented message":
                encode_frame(OP_TEXT, b'{"type":', fin=False) + encode_frame(OP_TEXT, b'"ping"}'),
        }
        for name, data in cases.items():
            with self.subTest(name):
                ws = self.ws()
                ws.send_raw(data)
                self.assertIn(ws.wait_closed(), (1002, None))
                ws.close()

    def test_bad_close_frames_do_not_hurt(self):
        ws = self.ws()
        ws.send_frame(0x8, struct.pack("!H", 1000) + b"\xff\xfe")  # invalid UTF-8 reason
        ws.wait_closed()
        self.assertIn(ws.close_code, (1000, 1002, 1007))

    def test_wrong_handshakes_are_refused(self):
        with RawConn(self.server.host, self.server.port) as c:
            c.send(f"GET /api/v1/ws?token={self.cust_token} HTTP/1.1\r\nHost: x\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n".encode())  # no key
            r = c.recv_response()
            self.assertEqual(r.status, 400, r.body)
        with RawConn(self.server.host, self.server.port) as c:
            c.send(f"GET /api/v1/ws?token={self.cust_token} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            r = c.recv_response()  # a plain GET, no upgrade at all
            self.assertEqual(r.status // 100, 4, r)
            self.assertNotEqual(r.status, 101)


class SlowHttpClientTest(ServerTestCase):
    """--request-timeout-ms ends a request that never arrives whole;
    --idle-timeout-ms ends an idle keep-alive connection."""

    MS = int(400 * TIMEOUT_SCALE)
    server_args = ["--request-timeout-ms", str(MS), "--idle-timeout-ms", str(MS)]

    def test_incomplete_request_is_timed_out(self):
        with RawConn(self.server.host, self.server.port) as c:
            c.send(b"POST /api/v1/customers HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                   b"\r\n{\"name\": ")
            self.assertTrue(c.wait_eof(timeout=10), "a stalled request was never timed out")
            if c.buf:  # a response before closing is the 408 of --help
                r, _ = parse_http_response(c.buf, eof=True)
                self.assertEqual(r.status, 408, r)
        with RawConn(self.server.host, self.server.port) as c:
            c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # headers never end
            self.assertTrue(c.wait_eof(timeout=10), "stalled headers were never timed out")
        self.assertHealthy()

    def test_idle_keep_alive_connection_is_closed(self):
        with RawConn(self.server.host, self.server.port) as c:
            c.send(http_req("GET", "/healthz"))
            self.assertStatus(c.recv_response(), 200)
            self.assertTrue(c.wait_eof(timeout=10), "an idle connection was never closed")
            self.assertEqual(c.buf, b"")
        self.assertHealthy()


if __name__ == "__main__":
    unittest.main()
