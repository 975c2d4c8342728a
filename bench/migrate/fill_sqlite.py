"""fill_sqlite.py DATA_DIR SESSIONS MESSAGES_PER_SESSION - a SQLite desk of
that size for timing `parleyd migrate` (BENCHMARKS.md "parleyd migrate").

DATA_DIR/parley.db must exist at the newest schema (e.g. made by `parleyd
admin create --data-dir DATA_DIR ...`); this adds one customer per session
and MESSAGES_PER_SESSION messages of ~80 characters to each, seq 1..n, in
one transaction with plain inserts (no parleyd running)."""

import os
import random
import sqlite3
import string
import sys


def rid(prefix):
    return prefix + "_" + "".join(random.choices(string.ascii_letters + string.digits, k=26))


def main():
    data_dir, sessions, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    db = sqlite3.connect(os.path.join(data_dir, "parley.db"))
    words = ["parcel", "invoice", "refund", "late", "thanks", "order", "tab\there", "ünïcode",
             "back\\slash", "line\nbreak", "hello", "where", "is", "my", "the", "a"]
    t = 1_700_000_000_000
    with db:
        for s in range(sessions):
            cus, ses = rid("cus"), rid("ses")
            db.execute("INSERT INTO customers (id, name, verified, created_at) VALUES (?, ?, 0, ?)",
                       (cus, f"Customer {s}", t))
            db.execute("INSERT INTO sessions (id, customer_id, status, last_seq, created_at, "
                       "updated_at) VALUES (?, ?, 'waiting', ?, ?, ?)", (ses, cus, per, t, t))
            db.executemany(
                "INSERT INTO messages (id, session_id, seq, sender_kind, sender_id, type, content, "
                "created_at) VALUES (?, ?, ?, 'customer', ?, 'text', ?, ?)",
                [(rid("msg"), ses, q, cus, " ".join(random.choices(words, k=12)), t + q)
                 for q in range(1, per + 1)])


if __name__ == "__main__":
    main()
