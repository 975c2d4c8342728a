"""What a delivery across nodes adds (issue 13): three parleyd nodes on one
PostgreSQL database with Redis between them, a customer's WebSocket on node
A sending message.send frames at a steady pace, and two agents' WebSockets
subscribed to the session: one on A (same node) and one on B (across the
bus). Each message's send -> message.created time is taken on both agent
sockets, so the two figures come from the same messages, in one sitting.

    python3 bench/cluster/cross_node_latency.py [MESSAGES] [INTERVAL_MS]

Needs the release build (PARLEYD, default build/parleyd), Debian's
postgresql-15 and redis-server (scripts/deps.sh). It starts and removes a
durable PostgreSQL cluster of its own (scripts/pg-test-cluster.sh with
PARLEY_PG_DURABLE=1) and a Redis of its own. One client thread in Python
paces the sends: this measures latency at a modest rate, not the nodes'
throughput (parley-bench drives one URL only)."""

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
os.environ.setdefault("PARLEYD", os.path.join(ROOT, "build", "parleyd"))
PG_SCRIPT = os.path.join(ROOT, "scripts", "pg-test-cluster.sh")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    interval = (float(sys.argv[2]) if len(sys.argv) > 2 else 5.0) / 1000
    work = tempfile.mkdtemp(prefix="parley-xnode-")
    state = os.path.join(work, "pg.state")
    subprocess.run(["bash", PG_SCRIPT, "start", state], check=True,
                   env=dict(os.environ, PARLEY_PG_DURABLE="1"), stdout=subprocess.DEVNULL)
    os.environ["PARLEY_TEST_DATABASE"] = "postgres"
    os.environ["PARLEY_TEST_PG_STATE"] = state
    # imported after the environment names the cluster
    from parley_harness import (ADMIN_PASSWORD, ParleyCluster, RedisServer, WSClient, login,
                                make_agent, make_customer, make_session, unique_email,
                                wait_until)
    from test_websocket import subscribe
    redis = RedisServer()
    cluster = ParleyCluster(3, redis.url, ["--limit-messages-per-minute", "0"])
    try:
        admin = unique_email("admin")
        cluster.start(admin, ADMIN_PASSWORD)
        a, b = cluster.nodes[0], cluster.nodes[1]
        for node in cluster.nodes:
            wait_until(lambda node=node: any("cluster bus: subscribed" in line
                                             for line in node.log()), timeout=20,
                       message="the node subscribed on Redis")
        admin_token, _ = login(a, admin, ADMIN_PASSWORD)
        _, agent1_token, _, _ = make_agent(a, admin_token)
        _, agent2_token, _, _ = make_agent(a, admin_token)
        _, cust_token = make_customer(a)
        sid = make_session(a, cust_token)["id"]
        cust = WSClient.connect(a.host, a.port, token=cust_token)
        same = WSClient.connect(a.host, a.port, token=agent1_token)
        cross = WSClient.connect(b.host, b.port, token=agent2_token)
        for ws in (cust, same, cross):
            subscribe(ws, sid)
        sent = {}
        got = {"same": {}, "cross": {}}

        def reader(ws, name):
            for _ in range(count):
                m = ws.recv_json(type="message.created", timeout=60,
                                 match=lambda m: m.get("session_id") == sid)
                got[name][m["message"]["client_msg_id"]] = time.monotonic()

        readers = [threading.Thread(target=reader, args=(same, "same")),
                   threading.Thread(target=reader, args=(cross, "cross"))]
        for t in readers:
            t.start()
        start = time.monotonic()
        for i in range(count):
            due = start + i * interval
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            cid = f"x{i}"
            sent[cid] = time.monotonic()
            cust.send_json({"type": "message.send", "session_id": sid, "content": f"m {i}",
                            "client_msg_id": cid})
        for t in readers:
            t.join(120)
        print(f"{count} messages, one every {interval * 1000:.1f} ms "
              f"({count / (time.monotonic() - start):.0f} msgs/s offered), "
              f"customer on node A; send -> message.created in ms")
        print("| agent's socket | delivered | p50 | p90 | p99 | max |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, label in (("same", "on A (same node)"), ("cross", "on B (through Redis)")):
            lat = [(got[name][c] - sent[c]) * 1000 for c in sent if c in got[name]]
            print(f"| {label} | {len(lat)} | {statistics.median(lat):.2f} | {pct(lat, 90):.2f} "
                  f"| {pct(lat, 99):.2f} | {max(lat):.2f} |")
        extra = [(got["cross"][c] - got["same"][c]) * 1000 for c in sent
                 if c in got["cross"] and c in got["same"]]
        print(f"| B minus A, per message | {len(extra)} | {statistics.median(extra):.2f} "
              f"| {pct(extra, 90):.2f} | {pct(extra, 99):.2f} | {max(extra):.2f} |")
        for ws in (cust, same, cross):
            ws.close()
    finally:
        cluster.close()
        redis.stop()
        subprocess.run(["bash", PG_SCRIPT, "stop", state], stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
