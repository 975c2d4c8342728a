"""PostgreSQL taken away under load and brought back (issues 12 and 13):
parleyd on a PostgreSQL cluster of this test's own (scripts/pg-test-cluster.sh,
so the run's shared cluster is never touched) while a customer and an agent
keep sending. The cluster is stopped as a crash would stop it (immediate
mode), then started again (crash recovery). While it is down, /healthz
says 503 with "database": "unreachable" and a Retry-After, sends answer
503 `unavailable` with a Retry-After, and parleyd stays up; once it is
back, /healthz says ok again and the same client_msg_ids retried are
stored. At the end every acknowledged message is there exactly once, seq
is gapless, and no send the server refused is stored twice."""

import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from parley_harness import (ADMIN_PASSWORD, ParleyServer, all_history, login, make_agent,
                            make_customer, make_session, unique_email, wait_until, T)

HERE = os.path.dirname(os.path.abspath(__file__))
CLUSTER_SCRIPT = os.path.join(HERE, "..", "..", "scripts", "pg-test-cluster.sh")


def cluster(action, state):
    cp = subprocess.run(["bash", CLUSTER_SCRIPT, action, state], capture_output=True,
                        timeout=T(120))
    if cp.returncode != 0:
        raise RuntimeError(f"pg-test-cluster.sh {action}: {cp.stderr.decode(errors='replace')}")


class Sender(threading.Thread):
    """Sends numbered messages as one participant, each with its own
    client_msg_id, retrying a refused one (503, or no answer) with the same
    id until it is acknowledged: what a client does. Records what was
    acknowledged and what was refused."""

    def __init__(self, server, token, session_id, prefix):
        super().__init__(daemon=True)
        self.server, self.token, self.session_id, self.prefix = server, token, session_id, prefix
        self.acked = {}        # client_msg_id -> the stored message's id
        self.refused = []      # (status, Retry-After) of each refusal
        self.unexpected = []   # any other answer
        self.stop = threading.Event()

    def run(self):
        c = self.server.client(self.token)
        n = 0
        while not self.stop.is_set():
            n += 1
            cmid = f"{self.prefix}-{n}"
            while True:
                try:
                    r = c.post(f"/api/v1/sessions/{self.session_id}/messages",
                               {"content": f"{self.prefix} message {n}", "client_msg_id": cmid})
                except OSError as e:  # the server closed the connection: try again
                    self.refused.append(("socket", str(e)))
                    time.sleep(0.05)
                    continue
                if r.status in (200, 201):
                    self.acked[cmid] = r.body["id"]
                    break
                if r.status == 503:
                    self.refused.append((503, r.headers.get("retry-after"),
                                         r.body.get("error", {}).get("code")))
                    time.sleep(0.1)
                    continue
                self.unexpected.append((r.status, r.body))
                return
            time.sleep(0.01)


class PostgresRestartTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="parley-pgr-")
        self.state = os.path.join(self.tmp, "cluster.state")
        cluster("start", self.state)
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.addCleanup(cluster, "stop", self.state)
        with open(self.state, encoding="utf-8") as f:
            conninfo = dict(part.split("=", 1) for part in f.read().split())
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", conninfo["host"],
                        "-p", conninfo["port"], "-U", conninfo["user"], "-d", "postgres", "-c",
                        "CREATE DATABASE parley_restart"], check=True, capture_output=True,
                       timeout=T(60))
        url = (f"postgres:///parley_restart?host={conninfo['host']}&port={conninfo['port']}"
               f"&user={conninfo['user']}")
        self.server = ParleyServer(env={"PARLEY_DATABASE": url})
        self.addCleanup(self.server.close)
        email = unique_email("admin")
        self.server.create_admin(email, "Admin One", ADMIN_PASSWORD)
        self.server.start()
        self.admin_token, _ = login(self.server, email, ADMIN_PASSWORD)

    def run(self, result=None):
        before = (len(result.failures) + len(result.errors)) if result else 0
        out = super().run(result)
        server = getattr(self, "server", None)
        if result is not None and len(result.failures) + len(result.errors) > before and server:
            print(f"\n[{self.id()}] {server.log_tail(60)}")
        return out

    def healthz(self):
        try:
            return self.server.client().get("/healthz")
        except OSError:
            return None

    def test_acknowledged_messages_survive_a_database_crash_and_restart(self):
        agent, agent_token, _, _ = make_agent(self.server, self.admin_token)
        _, cust_token = make_customer(self.server)
        session = make_session(self.server, cust_token)
        senders = [Sender(self.server, cust_token, session["id"], "cust"),
                   Sender(self.server, agent_token, session["id"], "agent")]
        for s in senders:
            s.start()
        wait_until(lambda: all(len(s.acked) >= 20 for s in senders), timeout=30,
                   message="both sides sending")

        cluster("down", self.state)
        down = wait_until(lambda: (lambda r: r if r is not None and r.status == 503 else None)(
            self.healthz()), timeout=20, message="/healthz saying 503 while PostgreSQL is down")
        self.assertEqual(down.body["database"], "unreachable", down.body)
        self.assertEqual(down.body["status"], "unavailable", down.body)
        self.assertTrue(down.headers.get("retry-after", "").isdigit(), down.headers)
        wait_until(lambda: all(any(r[0] == 503 for r in s.refused) for s in senders),
                   timeout=20, message="sends refused with 503 while PostgreSQL is down")
        acked_while_down = {k for s in senders for k in s.acked}
        self.assertTrue(self.server.running(), self.server.log_tail(30))

        cluster("up", self.state)
        wait_until(lambda: (lambda r: r is not None and r.status == 200)(self.healthz()),
                   timeout=60, message="/healthz ok once PostgreSQL is back")
        target = len(acked_while_down) + 40
        wait_until(lambda: sum(len(s.acked) for s in senders) >= target, timeout=60,
                   message="sending again after the restart")
        for s in senders:
            s.stop.set()
        for s in senders:
            s.join(T(30))
            self.assertFalse(s.is_alive())
            self.assertEqual(s.unexpected, [], "answers other than 201 and 503")
            for refusal in s.refused:
                if refusal[0] == 503:
                    self.assertTrue(refusal[1] and refusal[1].isdigit(), refusal)
                    self.assertEqual(refusal[2], "unavailable", refusal)
        self.assertTrue(self.server.running(), self.server.log_tail(30))

        stored = all_history(self.server, agent_token, session["id"])
        by_cmid = {}
        for m in stored:
            if m.get("client_msg_id"):
                by_cmid.setdefault(m["client_msg_id"], []).append(m)
        for s in senders:
            for cmid, msg_id in s.acked.items():
                self.assertIn(cmid, by_cmid, f"acknowledged {cmid} lost")
                self.assertEqual(len(by_cmid[cmid]), 1, f"{cmid} stored twice")
                self.assertEqual(by_cmid[cmid][0]["id"], msg_id, cmid)
        acked = {cmid for s in senders for cmid in s.acked}
        # a send refused while the database was down may have committed
        # after all (the answer lost, not the commit): then it is stored
        # once, and its retry was acknowledged with the same message
        for cmid, msgs in by_cmid.items():
            self.assertEqual(len(msgs), 1, f"{cmid} stored twice")
            self.assertIn(cmid, acked, f"{cmid} stored but never acknowledged")
        seqs = [m["seq"] for m in stored]
        self.assertEqual(seqs, list(range(1, len(seqs) + 1)), "seq not gapless")
        self.assertGreater(len(acked), len(acked_while_down))


if __name__ == "__main__":
    unittest.main()
