"""Backpressure on the message path (issue 11): a WebSocket that floods
message.send frames is no longer read once WS_SEND_WINDOW (32) of its sends
are unanswered (net/ws/websocket.c), so what the server holds for it stays
bounded whatever the client writes; every send is still answered (stored,
or refused with a retry hint), none is dropped; and once the client has
gone the server has nothing left to do.

The bound is asserted on parley_jobs_in_flight (/metrics), sampled while the
flood is being written: it counts every job queued or running. Nothing here
measures time."""

import os
import threading
import unittest

from parley_harness import (T, ServerTestCase, WSClient, encode_frame, make_customer,
                            make_session, uniq, wait_until, wrapper_argv, OP_TEXT)

import json

FLOOD = 6000
# the window, plus what wslay had already buffered (a few KB of frames) and
# the server's own jobs: far below a flood that was read and queued whole
BOUND = 200


def proc_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field}")


class BackpressureTest(ServerTestCase):
    server_args = ["--limit-messages-per-minute", "0", "--durability", "full"]

    def test_a_flooding_socket_is_paused_and_every_send_answered(self):
        customer, token = make_customer(self.server)
        session = make_session(self.server, token)
        sid = session["id"]
        ws = WSClient.connect(self.server.host, self.server.port, token=token)
        self.addCleanup(ws.close)
        run = uniq("f")
        frames = [encode_frame(OP_TEXT, json.dumps({
            "type": "message.send", "session_id": sid, "client_msg_id": f"{run}-{i}",
            "content": f"flood {i} " + "x" * 40}).encode()) for i in range(FLOOD)]

        def flood():
            for k in range(0, FLOOD, 100):
                ws.send_raw(b"".join(frames[k:k + 100]))

        sender = threading.Thread(target=flood, daemon=True)
        peak = [0]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], int(self.server.metrics().get("parley_jobs_in_flight", 0)))

        sampler = threading.Thread(target=sample, daemon=True)
        sender.start()
        sampler.start()

        answers = {}
        while len(answers) < FLOOD:
            m = ws.recv_json(type=("ack", "error"), timeout=120)
            if m["type"] == "ack":
                cid = m["message"]["client_msg_id"]
                self.assertNotIn(cid, answers, "answered twice")
                answers[cid] = ("ack", m["message"]["seq"])
            else:
                err = m["error"]
                cid = m.get("client_msg_id")
                self.assertIsNotNone(cid, f"an error without its client_msg_id: {m!r}")
                self.assertNotIn(cid, answers, "answered twice")
                # the only refusal a flood may get: the writer's queue is full
                self.assertEqual(err["code"], "unavailable", m)
                self.assertGreater(err.get("retry_after", 0), 0, m)
                answers[cid] = ("refused", None)
        done.set()
        sender.join(T(60))
        sampler.join(T(60))

        self.assertEqual(set(answers), {f"{run}-{i}" for i in range(FLOOD)})
        seqs = sorted(seq for kind, seq in answers.values() if kind == "ack")
        self.assertEqual(seqs, list(range(1, len(seqs) + 1)), "acked seqs are gapless")
        self.assertGreater(len(seqs), 0)
        self.assertLessEqual(peak[0], BOUND, "jobs in flight while one socket floods")

        # the client leaves: nothing is left queued
        ws.close()
        wait_until(lambda: int(self.server.metrics().get("parley_jobs_in_flight", 1)) == 0,
                   timeout=30, message="no job left after the client left")

    def test_sends_after_a_pause_still_go_through_in_order(self):
        """A socket that was paused reads again: a second burst on the same
        socket is answered as well, seq continuing."""
        customer, token = make_customer(self.server)
        sid = make_session(self.server, token)["id"]
        ws = WSClient.connect(self.server.host, self.server.port, token=token)
        self.addCleanup(ws.close)
        for burst in range(2):
            blob = b"".join(encode_frame(OP_TEXT, json.dumps({
                "type": "message.send", "session_id": sid, "client_msg_id": f"b{burst}-{i}",
                "content": f"burst {burst} {i}"}).encode()) for i in range(300))
            ws.send_raw(blob)
            got = []
            while len(got) < 300:
                m = ws.recv_json(type="ack", timeout=60)
                got.append(m["message"]["seq"])
            self.assertEqual(got, list(range(burst * 300 + 1, burst * 300 + 301)))


if __name__ == "__main__":
    unittest.main()
