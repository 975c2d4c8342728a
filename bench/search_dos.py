#!/usr/bin/env python3
"""search_dos.py - issue 9: does a worst-case message search hold up sends?

Generates a large database straight in SQLite (customers, sessions,
messages, the search index), starts parleyd on it, then measures the
latency of message sends (POST /api/v1/sessions/{id}/messages, one at a
time over keep-alive) twice: alone, and while search loops run the worst
searches there are (a common word in every message, as a customer and as
an agent, across everything and in one big session; short prefixes).
It prints send p50/p99/max for both phases and, per kind of search, how
many answered what and how long they took.

    make bench-search                      # 2,000,000 messages (a few minutes)
    python3 bench/search_dos.py --messages 500000 --parleyd build/parleyd
    python3 bench/search_dos.py --keep /tmp/searchdb   # reuse a generated db

Flags: --messages N, --sessions N, --big-session N (messages in the one
big session), --seconds S (each phase), --parleyd PATH, --keep DIR (keep /
reuse the generated data dir), --server-arg ARG (repeatable, passed on).
The search rate limit is turned off (--limit-searches-per-minute 0) so the
loops keep the pool as busy as possible: the worst case for everyone else.
"""
import argparse
import http.client
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PASSWORD = "bench password 123"
# "the" is in every message: the most common word there can be
WORDS = ("hello please order invoice refund payment account password login shipping "
         "delivery broken cancel subscription price thanks help parcel late again today "
         "card address email number support agent wrong charge twice week month").split()


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def generate(data_dir, parleyd, n_messages, n_sessions, big_session):
    subprocess.run([parleyd, "admin", "create", "--data-dir", data_dir, "--email",
                    "admin@bench.local", "--name", "Bench", "--password", PASSWORD],
                   check=True, stdout=subprocess.DEVNULL)
    db = sqlite3.connect(os.path.join(data_dir, "parley.db"))
    db.execute("PRAGMA synchronous=OFF")
    t0 = time.monotonic()
    n_customers = max(1, n_sessions // 2)
    db.execute("CREATE TEMP TABLE words (id INTEGER PRIMARY KEY, w TEXT)")
    db.executemany("INSERT INTO words VALUES (?, ?)", enumerate(WORDS))
    nw = len(WORDS)
    with db:
        db.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                   "INSERT INTO customers (id, name, verified, created_at) "
                   "SELECT printf('cus_gen%07d', i), 'Customer ' || i, 0, 1 FROM n",
                   (n_customers,))
        db.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                   "INSERT INTO sessions (id, customer_id, status, last_seq, created_at, "
                   "updated_at) SELECT printf('ses_gen%07d', i), printf('cus_gen%07d', "
                   "1 + (i - 1) % ?), 'closed', 0, 1, 1 FROM n", (n_sessions, n_customers))
    log(f"  {n_customers} customers, {n_sessions} sessions")
    # messages: session of message i is i % sessions (the big session takes
    # the first big_session of them); seq follows from i; 7 words per
    # message chosen from i by multiplicative hashing
    rest = n_messages - big_session
    pick = " || ' ' || ".join(
        f"(SELECT w FROM words WHERE id = ((i * {p}) >> {s}) % {nw})"
        for p, s in ((2654435761, 7), (40503, 3), (2246822519, 11), (3266489917, 5),
                     (668265263, 9), (374761393, 13), (1103515245, 4)))
    chunk = 200000
    done = 0
    while done < n_messages:
        hi = min(n_messages, done + chunk)
        with db:
            db.execute(
                "WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                "INSERT INTO messages (id, session_id, seq, sender_kind, sender_id, type, content, "
                "created_at) SELECT printf('msg_gen%09d', i), "
                "iif(i <= ?, 'ses_gen0000001', printf('ses_gen%07d', 2 + (i - ?) % (? - 1))), "
                "iif(i <= ?, i, 1 + (i - ? - 1) / (? - 1)), 'customer', 'cus_gen0000001', "
                "'text', 'the ' || " + pick + ", i FROM n",
                (done + 1, hi, big_session, big_session + 1, n_sessions, big_session,
                 big_session, n_sessions))
        done = hi
        log(f"  {done} messages ({time.monotonic() - t0:.0f} s)")
    with db:
        db.execute("UPDATE sessions SET last_seq = (SELECT max(seq) FROM messages m "
                   "WHERE m.session_id = sessions.id) WHERE EXISTS (SELECT 1 FROM messages m "
                   "WHERE m.session_id = sessions.id)")
        # messages' sender must be the session's customer for realism only;
        # the index follows the schema (step 12 if present, else the old one)
        cols = [r[1] for r in db.execute("PRAGMA table_info(message_fts)")]
        t1 = time.monotonic()
        if "scope" in cols:
            db.execute("INSERT INTO message_fts (rowid, content, scope, message_id) "
                       "SELECT m.rowid, m.content, 's' || hex(m.session_id) || ' c' || "
                       "hex(s.customer_id), m.id FROM messages m JOIN sessions s ON "
                       "s.id = m.session_id ORDER BY m.rowid")
        else:
            db.execute("INSERT INTO message_fts (content, message_id, session_id) "
                       "SELECT content, id, session_id FROM messages ORDER BY rowid")
        db.execute("UPDATE search_progress SET last_rowid = (SELECT max(rowid) FROM messages)")
        log(f"  search index: {time.monotonic() - t1:.0f} s")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    log(f"generated in {time.monotonic() - t0:.0f} s")


class Client:
    def __init__(self, port, token=None):
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        self.conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        r = self.conn.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)


def start_server(parleyd, data_dir, extra):
    # a parleyd from before issue 9 (to compare) has no search limit flag
    helptext = subprocess.run([parleyd, "--help"], capture_output=True, text=True).stdout
    if "--limit-searches-per-minute" in helptext:
        extra = ["--limit-searches-per-minute", "0"] + extra
    proc = subprocess.Popen([parleyd, "--listen", "127.0.0.1:0", "--data-dir", data_dir,
                             "--limit-messages-per-minute", "0", "--limit-customers-per-minute",
                             "0", "--limit-connections-per-minute", "0"] + extra,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if "listening on http://" in line:
            port = int(line.rsplit(":", 1)[1].strip().rstrip("/"))
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc, port
    raise SystemExit("parleyd did not start")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] if xs else float("nan")


def send_phase(port, token, session_id, seconds, tag):
    c = Client(port, token)
    lat = []
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        t = time.monotonic()
        st, body = c.call("POST", f"/api/v1/sessions/{session_id}/messages",
                          {"content": f"the probe {tag} {i}", "client_msg_id": f"{tag}-{i}"})
        lat.append((time.monotonic() - t) * 1000)
        if st != 201:
            raise SystemExit(f"send answered {st}: {body}")
        i += 1
    return lat


def search_loop(port, token, kinds, stop, results):
    c = Client(port, token)
    while not stop.is_set():
        for name, query in kinds:
            if stop.is_set():
                break
            t = time.monotonic()
            st, body = c.call("GET", "/api/v1/search/messages?" + query)
            ms = (time.monotonic() - t) * 1000
            code = st if st == 200 else f"{st} {body['error']['code']}"
            results.setdefault(name, []).append((code, ms))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=2000000)
    ap.add_argument("--sessions", type=int, default=50000)
    ap.add_argument("--big-session", type=int, default=100000)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--parleyd", default=os.path.join(ROOT, "build", "parleyd"))
    ap.add_argument("--keep", help="data dir to keep (reused when it exists)")
    ap.add_argument("--server-arg", action="append", default=[])
    a = ap.parse_args()
    data_dir = a.keep or tempfile.mkdtemp(prefix="parley-search-bench-")
    if not os.path.exists(os.path.join(data_dir, "parley.db")):
        os.makedirs(data_dir, exist_ok=True)
        log(f"generating {a.messages} messages in {data_dir} ...")
        generate(data_dir, a.parleyd, a.messages, a.sessions, a.big_session)
    proc, port = start_server(a.parleyd, data_dir, a.server_arg)
    try:
        admin = Client(port)
        st, body = admin.call("POST", "/api/v1/auth/login",
                              {"email": "admin@bench.local", "password": PASSWORD})
        agent_token = body["token"]
        st, body = Client(port).call("POST", "/api/v1/customers", {"name": "Sender"})
        sender_token = body["token"]
        st, sess = Client(port, sender_token).call("POST", "/api/v1/sessions",
                                                   {"topic": "probe", "strategies": []})
        st, body = Client(port).call("POST", "/api/v1/customers", {"name": "Attacker"})
        attacker_token = body["token"]
        st, own = Client(port, attacker_token).call("POST", "/api/v1/sessions", {"topic": "x"})
        Client(port, attacker_token).call("POST", f"/api/v1/sessions/{own['id']}/messages",
                                          {"content": "the attacker was here"})
        big = "ses_gen0000001"
        customer_kinds = [("customer: q=the", "q=the"),
                          ("customer: q=the, own session", f"q=the&session_id={own['id']}"),
                          ("customer: q=hel*", "q=hel*"),
                          ("customer: q=the*", "q=the*")]
        agent_kinds = [("agent: q=the", "q=the"),
                       ("agent: q=the, big session", f"q=the&session_id={big}"),
                       ("agent: q=hello thanks, big session",
                        f"q={urllib.parse.quote('hello thanks')}&session_id={big}"),
                       ("agent: q=the*", "q=the*"),
                       ("agent: q=hel*, big session", f"q=hel*&session_id={big}"),
                       ("agent: q=zebra hello (no hit)", f"q={urllib.parse.quote('zebra hello')}"),
                       ("agent: q=hello refund parcel card (rare AND)",
                        "q=" + urllib.parse.quote("hello refund parcel card"))]
        log("phase 1: sends alone")
        send_phase(port, sender_token, sess["id"], 2, "warm")
        alone = send_phase(port, sender_token, sess["id"], a.seconds, "alone")
        log("phase 2: sends while search loops run")
        stop, results = threading.Event(), {}
        loops = [threading.Thread(target=search_loop, args=(port, tok, kinds, stop, results))
                 for tok, kinds in ((attacker_token, customer_kinds), (agent_token, agent_kinds),
                                    (attacker_token, customer_kinds[::-1]))]
        for t in loops:
            t.start()
        time.sleep(1)
        during = send_phase(port, sender_token, sess["id"], a.seconds, "during")
        stop.set()
        for t in loops:
            t.join()
        st, mine = Client(port, sender_token).call(
            "GET", "/api/v1/search/messages?q=" + urllib.parse.quote(f"during {len(during) - 1}"))
        print(f"database: {a.messages} messages, {a.sessions} sessions "
              f"(one of {a.big_session}), parleyd {a.parleyd}")
        for name, lat in (("sends alone", alone), ("sends during searches", during)):
            print(f"{name:24s} n={len(lat):6d}  p50 {pct(lat, 50):7.2f} ms  p99 "
                  f"{pct(lat, 99):7.2f} ms  max {max(lat):8.2f} ms")
        print(f"{'search':48s} {'n':>5s}  answers                       p50 ms   p99 ms   max ms")
        for name, rs in results.items():
            codes = {}
            for code, _ in rs:
                codes[code] = codes.get(code, 0) + 1
            ms = [m for _, m in rs]
            print(f"{name:48s} {len(rs):5d}  {str(codes):28s} {pct(ms, 50):8.1f} "
                  f"{pct(ms, 99):8.1f} {max(ms):8.1f}")
        found = st == 200 and len(mine["results"]) > 0
        print(f"the sender finds its newest message at once: {found}")
    finally:
        proc.terminate()
        proc.wait()
        if not a.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
