"""Memory that clients can make the server hold is bounded (issue 9):
unsent output per WebSocket (--ws-max-pending-bytes) and for all
connections together (--max-pending-bytes-total), closing connections that
read nothing (--close-grace-ms), and WebSocket frame headers that declare
more than --ws-max-frame-bytes (close 1009 on arrival, not after buffering).

The RSS assertions read /proc/<pid>/status of the real parleyd. They are
skipped when PARLEYD_WRAPPER is set (the valgrind pass): valgrind's shadow
memory and its queue of freed blocks make the process RSS unrelated to what
the server allocates. The bounds read from /metrics (parley_unsent_bytes_peak)
hold, and are asserted, in every pass."""

import os
import time
import unittest

from parley_harness import (ADMIN_PASSWORD, OP_TEXT, T, ParleyServer, WSClient, WSClosed,
                            encode_frame, make_customer, make_session,
                            send_message, unique_email, wait_until, wrapper_argv)

MIB = 1 << 20
UNDER_WRAPPER = bool(wrapper_argv())


def start_server(args, env=None):
    """A parleyd with an admin, like ServerTestCase, but with extra
    environment (the ASan allocator's quarantine kept small, so freed
    frames do not count as resident memory for long)."""
    asan = os.environ.get("ASAN_OPTIONS", "")
    env = dict(env or {})
    env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "quarantine_size_mb=16"
    server = ParleyServer(args, env=env)
    email = unique_email("admin")
    server.create_admin(email, "Admin One", ADMIN_PASSWORD)
    server.start()
    return server


def proc_status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def metrics(server):
    return server.metrics()


def subscribe(ws, sid, timeout=10):
    ws.send_json({"type": "subscribe", "session_id": sid, "after_seq": 0})
    ws.recv_json(type="subscribed", timeout=timeout, match=lambda m: m.get("session_id") == sid)


def collect_seqs(ws, sid, last_seq, timeout=60):
    seqs = []
    while not seqs or seqs[-1] < last_seq:
        m = ws.recv_json(type="message.created", timeout=timeout,
                         match=lambda m: m.get("session_id") == sid)
        seqs.append(m["message"]["seq"])
    return seqs


def bounded_args(per_socket, grace_ms, *extra):
    """The flags these tests share: messages up to 128 KiB, the per-socket
    cap, the close grace (and extra flags), normal durability."""
    return ["--max-message-bytes", "131072", "--ws-max-pending-bytes", str(per_socket), *extra,
            "--close-grace-ms", str(grace_ms), "--durability", "normal"]


# long enough that the non-readers are still there to read their close frame
# once a test lets them read
LONG_GRACE_MS = min(600000, int(T(300) * 1000))


class BoundsTestCase(unittest.TestCase):
    """One start_server(args) for the class."""

    args = []

    @classmethod
    def setUpClass(cls):
        cls.server = start_server(cls.args)
        cls.addClassCleanup(cls.server.close)

    def customer_session(self):
        """A new customer's token and the id of a session of theirs."""
        _, tok = make_customer(self.server)
        return tok, make_session(self.server, tok)["id"]

    def non_readers(self, tok, sid, n):
        """n subscribers of sid that stop reading, closed after the test."""
        slow = [non_reader(self.server, tok, sid) for _ in range(n)]
        for ws in slow:
            self.addCleanup(ws.close)
        return slow


def non_reader(server, token, sid):
    """A subscriber that stops reading after subscribing, with a small
    receive buffer so the kernel absorbs little of what it is sent."""
    ws = WSClient.connect(server.host, server.port, token=token, start_reading=False,
                          rcvbuf=8192)
    ws.send_json({"type": "subscribe", "session_id": sid, "after_seq": 0})
    return ws


class SlowSubscribersTest(BoundsTestCase):
    """N subscribers that never read while messages flow: each is closed
    with 1008 at --ws-max-pending-bytes, the server's memory stays within a
    bound computed from that cap, and readers get every message."""

    N = 40
    PER_SOCKET = 1 * MIB
    MESSAGES = 60
    BODY = 100_000  # per message: unbounded, 40 non-readers would hold 40 x 6 MB
    args = bounded_args(PER_SOCKET, LONG_GRACE_MS)

    def test_non_readers_closed_1008_memory_bounded_readers_served(self):
        server = self.server
        tok, sid = self.customer_session()
        slow = self.non_readers(tok, sid, self.N)
        readers = []
        for _ in range(2):
            ws = server.ws(token=tok)
            self.addCleanup(ws.close)
            subscribe(ws, sid)
            readers.append(ws)
        # the non-readers' subscriptions are registered before anything flows
        wait_until(lambda: metrics(server)["parley_ws_frames_received_total"] >= self.N + 2,
                   message="every subscribe frame read")
        pid = server.proc.pid
        rss_before = proc_status_kib(pid, "VmRSS")

        for i in range(self.MESSAGES):
            send_message(server, tok, sid, f"{i}:" + "x" * self.BODY)
        for ws in readers:
            self.assertEqual(collect_seqs(ws, sid, self.MESSAGES),
                             list(range(1, self.MESSAGES + 1)))
            self.assertFalse(ws.closed.is_set(), "a reader was closed")

        m = metrics(server)
        self.assertGreaterEqual(m["parley_ws_slow_consumer_closes_total"], self.N)
        # what the server counted never went past the caps: every non-reader
        # at most its own limit plus one frame, the readers a few frames
        frame = self.BODY + 1000
        self.assertLessEqual(m["parley_unsent_bytes_peak"],
                             self.N * (self.PER_SOCKET + frame) + 2 * 8 * frame)
        if not UNDER_WRAPPER:
            grown = proc_status_kib(pid, "VmHWM") - rss_before
            # each unsent byte may sit in a buffer twice its size (the
            # per-flush buffer doubles as it grows), plus 64 MiB for
            # everything else (SQLite cache, request bodies, allocator)
            bound = (2 * self.N * (self.PER_SOCKET + frame) + 64 * MIB) // 1024
            self.assertLess(grown, bound,
                            f"peak RSS grew {grown} KiB over {rss_before} KiB; bound {bound} KiB "
                            f"(unbounded it would be ~{self.N * self.MESSAGES * self.BODY >> 10} KiB)")

        # the non-readers now read: each finds its messages in order, then 1008
        for ws in slow:
            ws.start_reading()
        for ws in slow:
            self.assertEqual(ws.wait_closed(timeout=60), 1008)
            self.assertIn("too slow", ws.close_reason or "")
            seqs = []
            while True:
                try:
                    m = ws.recv_json(type="message.created", timeout=10)
                except WSClosed:
                    break
                seqs.append(m["message"]["seq"])
            # cut off, and what it got is the start of the session, in order
            self.assertLess(len(seqs), self.MESSAGES)
            self.assertEqual(seqs, list(range(1, len(seqs) + 1)))
        self.assertEqual(metrics(server)["parley_unsent_bytes"], 0)


class NodeWideCapTest(BoundsTestCase):
    """With --max-pending-bytes-total below what the non-readers hold, the
    connections with the most unsent output are evicted: the counted total
    never passes the cap, readers keep receiving."""

    N = 8
    PER_SOCKET = 1 * MIB
    TOTAL = 3 * MIB
    MESSAGES = 40
    BODY = 100_000
    args = bounded_args(PER_SOCKET, LONG_GRACE_MS, "--max-pending-bytes-total", str(TOTAL))

    def test_cap_evicts_the_slowest_and_holds(self):
        server = self.server
        tok, sid = self.customer_session()
        slow = self.non_readers(tok, sid, self.N)
        reader = server.ws(token=tok)
        self.addCleanup(reader.close)
        subscribe(reader, sid)
        wait_until(lambda: metrics(server)["parley_ws_frames_received_total"] >= self.N + 1,
                   message="every subscribe frame read")
        for i in range(self.MESSAGES):
            send_message(server, tok, sid, f"{i}:" + "z" * self.BODY)
        self.assertEqual(collect_seqs(reader, sid, self.MESSAGES),
                         list(range(1, self.MESSAGES + 1)))
        self.assertFalse(reader.closed.is_set())
        m = metrics(server)
        self.assertEqual(m["parley_unsent_bytes_limit"], self.TOTAL)
        self.assertGreater(m["parley_output_evictions_total"], 0)
        # a frame's header bytes and a ping are written after room was made
        self.assertLessEqual(m["parley_unsent_bytes_peak"], self.TOTAL + 64 * 1024)
        # the non-readers now read: an evicted one finds the TCP connection
        # ended (its close frame, if any, was behind output it never read); one
        # that was never over a limit gets everything; either way in order
        for ws in slow:
            ws.start_reading()
        dropped = 0
        for ws in slow:
            seqs = []
            while not seqs or seqs[-1] < self.MESSAGES:
                try:
                    seqs.append(ws.recv_json(type="message.created", timeout=60)["message"]["seq"])
                except WSClosed:
                    break
            self.assertEqual(seqs, list(range(1, len(seqs) + 1)))
            if ws.closed.is_set():
                self.assertIn(ws.close_code, (1008, None))
                dropped += ws.close_code is None
        self.assertGreater(dropped, 0)
        # and the server still serves
        self.assertEqual(server.client().get("/healthz").status, 200)


class CloseGraceTest(BoundsTestCase):
    """A connection closed for slowness that then reads nothing is dropped
    after --close-grace-ms, releasing what it held."""

    GRACE_MS = 500
    args = bounded_args(1 * MIB, GRACE_MS)

    def test_non_reader_dropped_after_grace(self):
        server = self.server
        tok, sid = self.customer_session()
        ws, = self.non_readers(tok, sid, 1)
        wait_until(lambda: metrics(server)["parley_ws_frames_received_total"] >= 1,
                   message="the subscribe frame read")
        # more than the kernel's socket buffers absorb, then 1 MiB more
        for i in range(100):
            send_message(server, tok, sid, f"{i}:" + "g" * 100_000)
        wait_until(lambda: metrics(server)["parley_ws_slow_consumer_closes_total"] >= 1,
                   timeout=30, message="the non-reader closed as too slow")
        wait_until(lambda: metrics(server)["parley_close_grace_expired_total"] >= 1,
                   timeout=30, message="the grace period to expire")
        wait_until(lambda: metrics(server)["parley_unsent_bytes"] == 0, timeout=30,
                   message="its unsent output released")
        ws.start_reading()
        # it was dropped without waiting for the client: TCP ends, no close frame
        # reached it (its close frame was behind output it never read)
        ws.wait_closed(timeout=30)


class FrameHeaderRefusedOnArrivalTest(BoundsTestCase):
    """A frame header that declares more than --ws-max-frame-bytes, with no
    payload after it, is refused at once (1009), far sooner than the ping
    interval would end the connection."""

    PING_MS = int(T(120) * 1000)  # three silent intervals would take 6 minutes
    args = ["--ws-ping-interval-ms", str(PING_MS)]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cust, cls.tok = make_customer(cls.server)

    def refused_on_arrival(self, data, reason):
        ws = self.server.ws(token=self.tok)
        self.addCleanup(ws.close)
        started = time.monotonic()
        ws.send_raw(data)
        self.assertEqual(ws.wait_closed(timeout=10), 1009)
        elapsed = time.monotonic() - started
        self.assertEqual(ws.close_reason, reason)
        self.assertTrue(ws.closed.is_set(), "the TCP connection was not closed")
        self.assertLess(elapsed, self.PING_MS / 1000 / 4)

    def test_header_declaring_2_pow_40_bytes(self):
        before = metrics(self.server)["parley_ws_frames_refused_total"]
        self.refused_on_arrival(encode_frame(OP_TEXT, b"", length_override=1 << 40),
                                "frame too large")
        self.assertEqual(metrics(self.server)["parley_ws_frames_refused_total"], before + 1)

    def test_header_that_takes_the_message_over_its_limit(self):
        # 60000 + 60000 bytes declared across two fragments; the first
        # arrives whole, the second only as a header (limit 65536)
        first = encode_frame(OP_TEXT, b'{"type":"ping","pad":"' + b"a" * 59978, fin=False)
        second = encode_frame(0, b"", fin=True, length_override=60000)
        self.refused_on_arrival(first + second, "message too large")

    def test_frames_before_the_bad_header_are_still_answered(self):
        ws = self.server.ws(token=self.tok)
        self.addCleanup(ws.close)
        ws.send_raw(encode_frame(OP_TEXT, b'{"type":"ping"}') +
                    encode_frame(OP_TEXT, b"", length_override=1 << 40))
        self.assertEqual(ws.recv_json(type="pong"), {"type": "pong"})
        self.assertEqual(ws.wait_closed(timeout=10), 1009)


class ResponseOverTheNodeCapTest(BoundsTestCase):
    """An HTTP response that does not fit under --max-pending-bytes-total
    (nothing else to evict) is not queued: it is replaced by 503 with
    Retry-After, and the connection is closed after it."""

    CAP = 65536  # the smallest cap there is
    args = ["--ws-max-pending-bytes", str(CAP), "--max-pending-bytes-total", str(CAP)]

    def test_a_response_larger_than_the_cap_is_refused_with_503(self):
        tok, sid = self.customer_session()
        for i in range(8):  # 8 x 10 kB of history: more than the cap in one answer
            send_message(self.server, tok, sid, f"{i}:" + "h" * 10_000)
        client = self.server.client(tok)
        before = metrics(self.server)["parley_http_responses_refused_total"]
        # an answer that fits is sent as usual
        small = client.get(f"/api/v1/sessions/{sid}/messages?limit=2")
        self.assertEqual(small.status, 200, small.body)
        self.assertEqual(len(small.body["messages"]), 2)
        # the whole history does not fit: refused, not queued
        r = client.get(f"/api/v1/sessions/{sid}/messages?limit=50")
        self.assertEqual(r.status, 503, str(r.body)[:300])
        self.assertEqual(r.body["error"]["code"], "unavailable")
        self.assertIn("output buffers are full", r.body["error"]["message"])
        self.assertGreaterEqual(int(r.headers["retry-after"]), 1)
        self.assertEqual(r.headers.get("connection", "").lower(), "close")
        m = metrics(self.server)
        self.assertEqual(m["parley_http_responses_refused_total"], before + 1)
        self.assertEqual(m["parley_unsent_bytes"], 0)  # nothing of it was kept
        # the server goes on serving what fits
        self.assertEqual(client.get(f"/api/v1/sessions/{sid}/messages?limit=2").status, 200)


if __name__ == "__main__":
    unittest.main()
