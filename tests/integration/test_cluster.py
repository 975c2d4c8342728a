"""Several parleyd nodes on one PostgreSQL database with Redis between them
(issue 13, docs/subsystems/cluster.md): real PostgreSQL (the ctest fixture
pg_cluster), real Redis (the fixture redis_server, or one of the test's own
through scripts/redis-test-server.sh), real parleyd nodes on loopback.

Each test asserts delivery *across* nodes, which only the cluster bus
provides: with PARLEY_TEST_CLUSTER_NO_BUS=1 the nodes start without --redis
and every test here must fail (a check run by hand, see cluster.md).
"""

import os
import threading
import time
import unittest

from parley_harness import (ADMIN_PASSWORD, T, ParleyCluster, RedisServer, WSClient,
                            all_history, login, make_agent, make_customer, make_session,
                            on_postgres, send_message, set_policy, unique_email, wait_until)
from routing_helpers import put_presence, set_settings
from test_websocket import subscribe as ws_subscribe

NO_BUS = os.environ.get("PARLEY_TEST_CLUSTER_NO_BUS") == "1"


def subscribe(ws, sid, after_seq=0):
    """Subscribes; returns the seqs replayed before "subscribed"."""
    replay, _ = ws_subscribe(ws, sid, after_seq=after_seq, timeout=15)
    return [m["message"]["seq"] for m in replay]


def collect(ws, sid, last_seq, timeout=20):
    """The message.created messages for sid, in arrival order, until one
    with seq >= last_seq arrived."""
    out = []
    while not out or out[-1]["seq"] < last_seq:
        m = ws.recv_json(type="message.created", timeout=timeout,
                         match=lambda m: m.get("session_id") == sid)
        out.append(m["message"])
    return out


def no_more(ws, sid, wait=0.5):
    """The message.created for sid that still arrive within wait seconds."""
    extra = []
    deadline = time.monotonic() + T(wait)
    while time.monotonic() < deadline:
        try:
            m = ws.recv_json(type="message.created", timeout=0.1,
                             match=lambda m: m.get("session_id") == sid)
            extra.append(m["message"]["seq"])
        except AssertionError:
            pass
    return extra


@unittest.skipUnless(on_postgres(), "needs PARLEY_TEST_DATABASE=postgres (ctest: pg_cluster)")
class ClusterTestCase(unittest.TestCase):
    nodes = 3
    own_redis = False  # a Redis of the class's own (it is restarted)
    extra_args = []    # for every node
    node_env = {}      # node index -> extra environment variables

    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer() if cls.own_redis else RedisServer.for_tests()
        cls.addClassCleanup(cls.redis.stop)
        cls.cluster = ParleyCluster(cls.nodes, cls.redis.url, list(cls.extra_args))
        for i, env in cls.node_env.items():
            cls.cluster.nodes[i].extra_env.update(env)
        if NO_BUS:
            for node in cls.cluster.nodes:
                node.extra_args = [a for a in node.extra_args if a != "--redis" and
                                   a != cls.redis.url]
        cls.addClassCleanup(cls.cluster.close)
        admin_email = unique_email("admin")
        cls.cluster.start(admin_email, ADMIN_PASSWORD)
        cls.a, cls.b = cls.cluster.nodes[0], cls.cluster.nodes[1]
        cls.c = cls.cluster.nodes[2] if cls.nodes > 2 else None
        cls.admin_token, _ = login(cls.a, admin_email, ADMIN_PASSWORD)
        cls.agent, cls.agent_token, _, _ = make_agent(cls.a, cls.admin_token)
        if not NO_BUS:
            for node in cls.cluster.nodes:  # each node heard Redis confirm its channels
                wait_until(lambda node=node: any("cluster bus: subscribed" in line
                                                 for line in node.log()),
                           timeout=20, message="the node subscribed on Redis")

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()  # a clean exit of every node still running

    def setUp(self):
        self._sockets = []

    def tearDown(self):
        for ws in self._sockets:
            ws.close()

    def run(self, result=None):
        before = (len(result.failures) + len(result.errors)) if result else 0
        out = super().run(result)
        if result is not None and len(result.failures) + len(result.errors) > before:
            print(self.cluster.log_tails(), flush=True)
        return out

    def ws(self, node, token):
        ws = WSClient.connect(node.host, node.port, token=token)
        self._sockets.append(ws)
        return ws


class CrossNodeTest(ClusterTestCase):

    def test_customer_on_a_agent_on_b_see_each_other_live_once_in_order(self):
        cust, cust_token = make_customer(self.a)
        sid = make_session(self.a, cust_token)["id"]
        cust_ws = self.ws(self.a, cust_token)
        agent_ws = self.ws(self.b, self.agent_token)
        before = subscribe(cust_ws, sid)
        self.assertEqual(subscribe(agent_ws, sid), before)
        start = before[-1] if before else 0

        # the customer writes on A, the agent answers on B, at the same time
        per_side = 25
        errors = []

        def send(node, token, tag):
            try:
                for i in range(per_side):
                    send_message(node, token, sid, f"{tag} {i}", client_msg_id=f"{tag}-{i}")
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=send, args=(self.a, cust_token, "cust")),
                   threading.Thread(target=send, args=(self.b, self.agent_token, "agent"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(T(120))
        self.assertEqual(errors, [])
        last = start + 2 * per_side
        want = list(range(start + 1, last + 1))
        for ws in (cust_ws, agent_ws):
            got = collect(ws, sid, last)
            self.assertEqual([m["seq"] for m in got], want)  # once each, in order
            self.assertEqual(no_more(ws, sid), [])
        # and what they saw is what was stored
        stored = [m for m in all_history(self.c, self.agent_token, sid) if m["seq"] > start]
        self.assertEqual([m["seq"] for m in stored], want)
        self.assertEqual(sorted(m["content"] for m in stored),
                         sorted([f"cust {i}" for i in range(per_side)] +
                                [f"agent {i}" for i in range(per_side)]))

    def test_retry_of_one_client_msg_id_on_another_node_is_stored_once(self):
        cust, cust_token = make_customer(self.a)
        sid = make_session(self.a, cust_token)["id"]
        watcher = self.ws(self.c, self.agent_token)  # a third node watches
        start = (subscribe(watcher, sid) or [0])[-1]
        first = send_message(self.a, cust_token, sid, "only once", client_msg_id="retry-1")
        again = send_message(self.b, cust_token, sid, "only once", client_msg_id="retry-1",
                             expect=200)
        self.assertEqual(again["id"], first["id"])
        self.assertEqual(again["seq"], first["seq"])
        self.assertEqual(first["seq"], start + 1)
        # the watcher on C heard it live, once
        got = collect(watcher, sid, first["seq"])
        self.assertEqual([(m["seq"], m["id"]) for m in got], [(first["seq"], first["id"])])
        self.assertEqual(no_more(watcher, sid), [])
        stored = [m for m in all_history(self.b, self.agent_token, sid)
                  if m.get("client_msg_id") == "retry-1"]
        self.assertEqual(len(stored), 1)

    def test_resume_with_after_seq_on_a_third_node_misses_nothing(self):
        cust, cust_token = make_customer(self.a)
        sid = make_session(self.a, cust_token)["id"]
        on_b = self.ws(self.b, self.agent_token)
        start = (subscribe(on_b, sid) or [0])[-1]
        for i in range(5):
            send_message(self.a, cust_token, sid, f"before {i}")
        seen = collect(on_b, sid, start + 5)
        self.assertEqual([m["seq"] for m in seen], list(range(start + 1, start + 6)))
        on_b.close()
        for i in range(5):  # while the agent is away
            send_message(self.a, cust_token, sid, f"away {i}")
        on_c = self.ws(self.c, self.agent_token)
        replayed = subscribe(on_c, sid, after_seq=seen[-1]["seq"])
        self.assertEqual(replayed, list(range(start + 6, start + 11)))
        for i in range(5):  # and live again, from A to C
            send_message(self.a, cust_token, sid, f"after {i}")
        live = collect(on_c, sid, start + 15)
        self.assertEqual([m["seq"] for m in live], list(range(start + 11, start + 16)))
        self.assertEqual(no_more(on_c, sid), [])


class NodeKillTest(ClusterTestCase):
    nodes = 3

    def test_kill_9_of_a_node_under_load_loses_nothing_acknowledged(self):
        cust, cust_token = make_customer(self.b)
        sid = make_session(self.b, cust_token)["id"]
        watcher = self.ws(self.c, self.agent_token)
        start = (subscribe(watcher, sid) or [0])[-1]
        acked = {}  # client_msg_id -> seq, for every acknowledged send
        errors = []
        total = 80

        def stream():
            node = self.a
            try:
                for i in range(total):
                    cid = f"k-{i}"
                    while True:
                        try:
                            body = send_message(node, cust_token, sid, f"k {i}",
                                                client_msg_id=cid, expect=None)
                        except OSError:  # A died under the request: retry on B
                            node = self.b
                            continue
                        if isinstance(body, dict) and "seq" in body:
                            acked[cid] = body["seq"]
                            break
                        node = self.b  # no answer worth keeping: the same id on B
                    time.sleep(0.01)
            except Exception as e:  # reported below
                errors.append(e)

        sender = threading.Thread(target=stream)
        sender.start()
        wait_until(lambda: len(acked) >= 25, timeout=60, message="25 messages acknowledged")
        self.a.kill()  # SIGKILL: no goodbye to Redis, PostgreSQL or the clients
        sender.join(T(120))
        self.assertFalse(sender.is_alive())
        self.assertEqual(errors, [])
        self.assertEqual(len(acked), total)
        # every acknowledged message is stored once, seq gapless
        stored = [m for m in all_history(self.b, self.agent_token, sid) if m["seq"] > start]
        self.assertEqual([m["seq"] for m in stored], list(range(start + 1, start + 1 + total)))
        self.assertEqual(sorted(acked.values()), [m["seq"] for m in stored])
        self.assertEqual(sorted(m["client_msg_id"] for m in stored), sorted(acked))
        # the watcher on C saw each seq once, in order
        got = collect(watcher, sid, start + total, timeout=30)
        self.assertEqual([m["seq"] for m in got], list(range(start + 1, start + 1 + total)))
        self.assertEqual(no_more(watcher, sid), [])


class RedisRestartTest(ClusterTestCase):
    nodes = 2
    own_redis = True

    def test_redis_restarted_under_a_stream_delivery_resumes_without_gaps_or_duplicates(self):
        cust, cust_token = make_customer(self.a)
        sid = make_session(self.a, cust_token)["id"]
        sub = self.ws(self.b, self.agent_token)
        start = (subscribe(sub, sid) or [0])[-1]
        total = 120
        sent = []
        errors = []

        def stream():
            try:
                for i in range(total):
                    sent.append(send_message(self.a, cust_token, sid, f"m {i}",
                                             client_msg_id=f"s-{i}")["seq"])
                    time.sleep(0.02)
            except Exception as e:  # reported below
                errors.append(e)

        sender = threading.Thread(target=stream)
        sender.start()
        wait_until(lambda: len(sent) >= 30, timeout=30, message="30 messages sent")
        self.assertEqual(self.a.client().get("/healthz").status, 200)
        self.redis.kill()
        # not ready while Redis is away (a load balancer sends elsewhere),
        # yet the node still stores what reaches it
        def not_ready():
            r = self.b.client().get("/healthz")
            return r if r.status == 503 else None
        r = wait_until(not_ready, timeout=30, message="/healthz says 503 without Redis")
        self.assertEqual(r.body, {"status": "unavailable", "database": "ok",
                                  "redis": "unreachable"})
        self.assertIsNotNone(r.headers.get("retry-after"))
        wait_until(lambda: len(sent) >= 60, timeout=30, message="30 more sent without Redis")
        self.redis.restart()
        sender.join(T(120))
        self.assertFalse(sender.is_alive())
        self.assertEqual(errors, [])
        self.assertEqual(len(sent), total)
        last = start + total
        got = collect(sub, sid, last, timeout=30)
        self.assertEqual([m["seq"] for m in got], list(range(start + 1, last + 1)))
        self.assertEqual(no_more(sub, sid, wait=1.0), [])
        # ready again once subscribed
        for node in (self.a, self.b):
            wait_until(lambda: node.client().get("/healthz").status == 200, timeout=30,
                       message="/healthz says 200 again")
        # both nodes said they lost Redis and subscribed again
        for node in self.cluster.nodes:
            log = node.log()
            self.assertTrue(any("cluster bus: redis" in line and "lost" in line for line in log),
                            node.log_tail(20))
            self.assertGreaterEqual(sum("cluster bus: subscribed" in line for line in log), 2)
        # and /metrics says so: connected again, one reconnect, A published, B received
        ma, mb = self.a.metrics(), self.b.metrics()
        for m in (ma, mb):
            self.assertEqual(m["parley_cluster_connected"], 1)
            self.assertGreaterEqual(m["parley_cluster_reconnects_total"], 1)
        self.assertGreaterEqual(ma["parley_cluster_published_total"], total)
        self.assertGreater(mb["parley_cluster_received_total"], 0)


if __name__ == "__main__":
    unittest.main()


def listed_status(node, admin_token, agent_id):
    """The agent's presence as node lists it (from the database)."""
    r = node.client(admin_token).get("/api/v1/agents")
    assert r.status == 200, r.body
    return [a for a in r.body["agents"] if a["id"] == agent_id][0]["status"]


class PresenceAcrossNodesTest(ClusterTestCase):
    """An agent's sockets on every node count (cluster_presence.h)."""
    nodes = 3
    grace = 1

    def test_online_until_the_sockets_on_both_nodes_closed(self):
        set_settings(self.a, self.admin_token, **{"presence.offline_grace_seconds": self.grace})
        agent, token, _, _ = make_agent(self.a, self.admin_token)
        on_a = self.ws(self.a, token)
        on_b = self.ws(self.b, token)
        self.assertEqual(put_presence(self.c, token, "online").status, 200)
        time.sleep(T(1.5))  # B's snapshot reached A (sent at once; a heartbeat every second)
        on_a.close()
        # A's grace is over; B still holds a socket: still online, as C lists it
        time.sleep(T(self.grace + 2))
        self.assertEqual(listed_status(self.c, self.admin_token, agent["id"]), "online")
        on_b.close()
        started = time.monotonic()
        wait_until(lambda: listed_status(self.c, self.admin_token, agent["id"]) == "offline",
                   timeout=20, message="offline once B's socket closed too")
        self.assertGreaterEqual(time.monotonic() - started, self.grace * 0.9)


class PresenceNodeKillTest(ClusterTestCase):
    """A kill -9'd node's agents go offline on the others after its
    heartbeats stop (3.5 s) and the grace period."""
    nodes = 3
    grace = 1

    def test_agent_whose_only_socket_was_on_a_killed_node_goes_offline(self):
        set_settings(self.b, self.admin_token, **{"presence.offline_grace_seconds": self.grace})
        agent, token, _, _ = make_agent(self.b, self.admin_token)
        self.ws(self.a, token)
        self.assertEqual(put_presence(self.b, token, "online").status, 200)
        time.sleep(T(1.5))  # A's snapshot reached B and C
        self.a.kill()  # SIGKILL: its socket never closes in an orderly way
        killed = time.monotonic()
        time.sleep(T(1))
        self.assertEqual(listed_status(self.b, self.admin_token, agent["id"]), "online")
        wait_until(lambda: listed_status(self.c, self.admin_token, agent["id"]) == "offline",
                   timeout=30, message="offline after A's heartbeats stopped and the grace")
        self.assertGreaterEqual(time.monotonic() - killed, 3.0)
        self.assertTrue(any("cluster presence: node" in line for line in self.c.log()))


class SharedCopiesTest(ClusterTestCase):
    """A knowledge-base edit on A reaches C's in-memory index; a settings
    change on A is effective on B (cluster_changes.h)."""
    nodes = 3

    def ask_on(self, node, text):
        """A customer's new bot session on node, one question: the bot's reply."""
        _, cust_token = make_customer(node)
        sid = make_session(node, cust_token)["id"]
        ws = self.ws(node, cust_token)
        subscribe(ws, sid)
        sent = send_message(node, cust_token, sid, text)
        reply = ws.recv_json("message.created", timeout=20,
                             match=lambda m: m["session_id"] == sid and
                             m["message"]["seq"] > sent["seq"] and
                             m["message"]["sender"]["type"] in ("bot", "system"))
        return reply["message"]

    def test_settings_on_a_effective_on_b_and_kb_edit_on_a_answers_on_c(self):
        admin_a = self.a.client(self.admin_token)
        self.assertEqual(admin_a.patch("/api/v1/settings", {"bot.enabled": True}).status, 200)
        # the setting, changed on A, starts B's sessions with the bot
        _, cust_token = make_customer(self.b)
        self.assertEqual(make_session(self.b, cust_token)["bot_id"], "bot_builtin")
        r = admin_a.post("/api/v1/kb/entries", {"question": "Where is the warehouse located?",
                                                "answer": "The warehouse is in Leeds."})
        self.assertEqual(r.status, 201, r.body)
        entry = r.body
        # C builds its index (the entry as first written)
        self.assertEqual(self.ask_on(self.c, "Where is the warehouse located?")["content"],
                         "The warehouse is in Leeds.")
        r = admin_a.patch(f"/api/v1/kb/entries/{entry['id']}",
                          {"answer": "The warehouse moved to York."})
        self.assertEqual(r.status, 200, r.body)
        # C's index is stale now: its next search rebuilds it
        wait_until(lambda: self.ask_on(self.c, "Where is the warehouse located?")["content"] ==
                   "The warehouse moved to York.", timeout=15,
                   message="C answers with the entry as edited on A")


class SharedAllowlistTest(ClusterTestCase):
    """A word added to (and removed from) the profanity allowlist on A is
    effective on C without a restart (cluster_changes.h)."""
    nodes = 3

    def test_allowlist_edit_on_a_effective_on_c(self):
        set_policy(self.a, self.admin_token, [{"name": "profanity"}])
        _, cust_token = make_customer(self.c)
        sid = make_session(self.c, cust_token)["id"]
        set_policy(self.a, self.admin_token)
        say = lambda text: send_message(self.c, cust_token, sid, text)["content"]
        self.assertEqual(say("that is shit"), "that is s***")
        admin_a = self.a.client(self.admin_token)
        self.assertEqual(admin_a.post("/api/v1/strategies/profanity/allowlist",
                                      {"word": "shit"}).status, 201)
        wait_until(lambda: say("still shit") == "still shit", timeout=10,
                   message="C no longer censors the word allowed on A")
        self.assertEqual(admin_a.delete("/api/v1/strategies/profanity/allowlist/shit").status, 204)
        wait_until(lambda: say("shit again") == "s*** again", timeout=10,
                   message="C censors it again once removed on A")


class SeqCheckTest(ClusterTestCase):
    """A node that commits but never publishes (as if killed between the
    two, every time): the others' subscribers still get each message within
    about two --seq-check-ms (seq_check.h)."""
    nodes = 2
    every_ms = 500
    extra_args = ["--seq-check-ms", str(every_ms)]
    node_env = {0: {"PARLEY_TEST_CLUSTER_NO_PUBLISH": "1"}}

    def test_a_message_never_published_is_delivered_within_the_bound(self):
        cust, cust_token = make_customer(self.a)
        sid = make_session(self.a, cust_token)["id"]
        watcher = self.ws(self.b, self.agent_token)
        start = (subscribe(watcher, sid) or [0])[-1]
        for i in range(3):
            sent = send_message(self.a, cust_token, sid, f"unpublished {i}")
            acked = time.monotonic()
            got = collect(watcher, sid, sent["seq"], timeout=T(10))
            waited = time.monotonic() - acked
            self.assertEqual([m["seq"] for m in got], [sent["seq"]])
            self.assertEqual(got[0]["content"], f"unpublished {i}")
            self.assertLess(waited, T(2 * self.every_ms / 1000 + 1.5))
        self.assertEqual(sent["seq"], start + 3)
        self.assertEqual(no_more(watcher, sid), [])
        self.assertTrue(any("cluster seq check: session" in line for line in self.b.log()))


class PresenceRedisOutageTest(ClusterTestCase):
    """Both of an agent's sockets (on A and B) close while Redis is down:
    each node's grace ends seeing the other's last (stale) count; once
    Redis is back, the fresh snapshots run the countdown again and the
    agent goes offline."""
    nodes = 2
    own_redis = True
    grace = 1

    def test_sockets_closed_during_an_outage_go_offline_after_it(self):
        set_settings(self.a, self.admin_token, **{"presence.offline_grace_seconds": self.grace})
        agent, token, _, _ = make_agent(self.a, self.admin_token)
        on_a = self.ws(self.a, token)
        on_b = self.ws(self.b, token)
        self.assertEqual(put_presence(self.a, token, "online").status, 200)
        time.sleep(T(1.5))  # each node has the other's snapshot
        self.redis.kill()
        for node in (self.a, self.b):
            wait_until(lambda node=node: node.client().get("/healthz").status == 503,
                       timeout=30, message="the node lost Redis")
        on_a.close()
        on_b.close()
        time.sleep(T(self.grace + 2))
        self.assertEqual(listed_status(self.a, self.admin_token, agent["id"]), "online")
        self.redis.restart()
        wait_until(lambda: listed_status(self.a, self.admin_token, agent["id"]) == "offline",
                   timeout=30, message="offline once the nodes hear each other again")
