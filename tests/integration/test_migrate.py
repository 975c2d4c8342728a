"""`parleyd migrate --from sqlite:PATH --to postgres://…` (issue 12,
docs/subsystems/storage.md "Moving from SQLite to PostgreSQL").

A real parleyd on a SQLite file gets agents, customers, sessions with
awkward messages, tickets, notes, labels, feedback and an upload; it
stops; the migration copies it into a fresh database of the PostgreSQL
test cluster; a parleyd on PostgreSQL then answers the same through the
API (logins, histories, resume, the next seq, search, the upload) and
takes new rows. A second migration into that database is refused, and a
SQLite file with a gap in a session's seq or a table the migration does
not know fails without leaving a row behind.

Runs with the pg_cluster fixture only (integration.test_migrate.postgres);
on SQLite alone it is skipped.
"""

import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

from parley_harness import (ADMIN_PASSWORD, ParleyServer, T, _pg_cluster, all_history, history,
                            login, make_agent, make_customer, make_session, on_postgres,
                            postgres_database_url, postgres_drop_database, send_message, uniq,
                            unique_email)
from test_uploads import multipart, png_bytes

# what COPY's text format has to escape, and what it must leave alone
AWKWARD = [
    "héllo wörld — 日本語 🎉 ÅÄÖ",
    "a\ttab and two\t\ttabs",
    "back\\slash, \\N, \\t, \\\\ and a trailing \\",
    "line one\nline two\r\nline three\n",
    "quotes \"double\" 'single' `back` and <b>markup</b> & amp",
    "\\.",
    "N",
]


def pg_query(url, sql):
    """The rows of sql on the database of url (psql, unaligned, tab-separated)."""
    c = _pg_cluster()
    name = url.split("///", 1)[1].split("?", 1)[0]
    cp = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                         "-h", c["host"], "-p", c["port"], "-U", c["user"], "-d", name,
                         "-c", sql], stdin=subprocess.DEVNULL, capture_output=True,
                        timeout=T(60))
    if cp.returncode != 0:
        raise AssertionError(f"psql {sql!r}: {cp.stderr.decode(errors='replace')}")
    return [line.split("\t") for line in cp.stdout.decode().splitlines() if line]


@unittest.skipUnless(on_postgres(), "needs the PostgreSQL test cluster "
                                    "(integration.test_migrate.postgres)")
class MigrateTest(unittest.TestCase):
    maxDiff = 8000

    def setUp(self):
        self.data_dir = tempfile.mkdtemp(prefix="parley-it-migrate-")
        self.addCleanup(shutil.rmtree, self.data_dir, True)
        # the source serves from the data dir's SQLite file; the data dir's
        # own (new, empty) PostgreSQL database is the target
        self.src = ParleyServer(data_dir=self.data_dir, env={
            "PARLEY_DATABASE": f"sqlite:{self.data_dir}/parley.db"})
        self.pg_url = self.src.database_url
        self.addCleanup(postgres_drop_database, self.pg_url)
        self.addCleanup(self.src.kill)

    def migrate(self, source, target):
        return self.src.run_cli(["migrate", "--from", source, "--to", target], timeout=300)

    def populate(self):
        """Everything the desk has, made through the API; returns what the
        checks compare."""
        srv = self.src
        admin_email = unique_email("admin")
        srv.create_admin(admin_email, "Admin Ünï", ADMIN_PASSWORD)
        srv.start()
        admin_token, _ = login(srv, admin_email, ADMIN_PASSWORD)
        agent, agent_token, agent_email, agent_password = make_agent(
            srv, admin_token, password="agent-pässword-1", name="Agent\tTab \\ Ω")
        cust, cust_token = make_customer(srv, name="Zoë \"Q\" O'Brien\n", email="zoe@example.com")
        other, other_token = make_customer(srv, name="Other")
        word = uniq("migrword").lower()
        s1 = make_session(srv, cust_token, topic="billing\tquestion")
        for text in AWKWARD:
            send_message(srv, cust_token, s1["id"], text, client_msg_id=uniq("c"))
        send_message(srv, cust_token, s1["id"], f"please find {word} in the old data")
        for i in range(25):
            send_message(srv, cust_token, s1["id"], f"filler {i}")
        # an attachment: the file stays under the data dir
        data = png_bytes(uniq("img").encode())
        body, ctype = multipart([("file", "shot.png", "image/png", data)])
        r = srv.client(cust_token).post("/api/v1/uploads", raw=body,
                                        headers={"Content-Type": ctype})
        self.assertEqual(r.status, 201, r.body)
        upload = r.body
        send_message(srv, cust_token, s1["id"], "the picture", type="image",
                     attachment_id=upload["id"])
        s2 = make_session(srv, other_token)
        send_message(srv, other_token, s2["id"], "short one")
        self.assertEqual(srv.client(other_token).post(f"/api/v1/sessions/{s2['id']}/close").status,
                         200)
        fb = srv.client(other_token).post(f"/api/v1/sessions/{s2['id']}/feedback",
                                          {"rating": 5, "comment": "très bien\tmerci\n\\o/"})
        self.assertEqual(fb.status, 201, fb.body)
        staff = srv.client(agent_token)
        t = staff.post("/api/v1/tickets", {"session_id": s1["id"],
                                           "issue_description": "broken\tparcel\nline 2 \\ end"})
        self.assertEqual(t.status, 201, t.body)
        tn = staff.post(f"/api/v1/tickets/{t.body['id']}/notes", {"body": "called back — ok"})
        self.assertEqual(tn.status, 201, tn.body)
        sn = staff.post(f"/api/v1/sessions/{s1['id']}/notes", {"content": "vip\ncustomer"})
        self.assertEqual(sn.status, 201, sn.body)
        label = uniq("lbl").lower()
        self.assertEqual(srv.client(admin_token).post(
            "/api/v1/labels", {"name": label, "color": "#00ff00"}).status, 201)
        self.assertEqual(staff.post(f"/api/v1/sessions/{s1['id']}/labels",
                                    {"label": label}).status, 200)
        snapshot = {
            "admin": (admin_email, ADMIN_PASSWORD),
            "agent": (agent_email, agent_password, agent["id"]),
            "cust_token": cust_token, "other_token": other_token, "word": word,
            "s1": s1["id"], "s2": s2["id"], "upload": upload, "upload_bytes": data,
            "ticket": t.body["id"], "label": label,
            "h1": all_history(srv, cust_token, s1["id"]),
            "h2": all_history(srv, other_token, s2["id"]),
            "session1": staff.get(f"/api/v1/sessions/{s1['id']}").body,
            "ticket_body": staff.get(f"/api/v1/tickets/{t.body['id']}").body,
            "ticket_notes": staff.get(f"/api/v1/tickets/{t.body['id']}/notes").body,
            "session_notes": staff.get(f"/api/v1/sessions/{s1['id']}/notes").body,
            "feedback": staff.get(f"/api/v1/sessions/{s2['id']}/feedback").body,
            "customer": staff.get(f"/api/v1/contacts/{cust['id']}").body,
        }
        srv.stop()
        return snapshot

    def test_everything_moves_and_keeps_working(self):
        snap = self.populate()
        self.assertEqual([m["content"] for m in snap["h1"][:len(AWKWARD)]], AWKWARD)
        cp = self.migrate(f"sqlite:{self.data_dir}", self.pg_url)
        out = cp.stdout.decode()
        self.assertEqual(cp.returncode, 0, out + cp.stderr.decode())
        self.assertIn("verified", out)
        self.assertIn("1 present, 0 missing", out)
        # the same data dir (the upload files), the PostgreSQL database
        dst = ParleyServer(data_dir=self.data_dir)
        self.assertEqual(dst.database_url, self.pg_url)
        self.addCleanup(dst.kill)
        dst.start()
        admin_token, _ = login(dst, *snap["admin"])
        agent_token, agent = login(dst, snap["agent"][0], snap["agent"][1])
        self.assertEqual(agent["id"], snap["agent"][2])
        staff = dst.client(agent_token)
        cust = dst.client(snap["cust_token"])
        # messages identical, resumable, and the next one continues the seq
        h1 = all_history(dst, snap["cust_token"], snap["s1"])
        self.assertEqual(h1, snap["h1"])
        self.assertEqual([m["seq"] for m in h1], list(range(1, len(h1) + 1)))
        self.assertEqual(history(dst, snap["cust_token"], snap["s1"], "?after_seq=5&limit=3"),
                         snap["h1"][5:8])
        self.assertEqual(all_history(dst, snap["other_token"], snap["s2"]), snap["h2"])
        nxt = send_message(dst, snap["cust_token"], snap["s1"], "after the move")
        self.assertEqual(nxt["seq"], len(h1) + 1)
        # the rest, as the API shows it
        self.assertEqual(staff.get(f"/api/v1/tickets/{snap['ticket']}").body, snap["ticket_body"])
        self.assertEqual(staff.get(f"/api/v1/tickets/{snap['ticket']}/notes").body,
                         snap["ticket_notes"])
        self.assertEqual(staff.get(f"/api/v1/sessions/{snap['s1']}/notes").body,
                         snap["session_notes"])
        self.assertEqual(staff.get(f"/api/v1/sessions/{snap['s2']}/feedback").body,
                         snap["feedback"])
        self.assertEqual(staff.get(f"/api/v1/contacts/{snap['customer']['id']}").body,
                         snap["customer"])
        session1 = staff.get(f"/api/v1/sessions/{snap['s1']}").body
        self.assertEqual(session1["labels"], [snap["label"]])
        self.assertEqual(session1["last_seq"], len(h1) + 1)
        # search finds the old message (PostgreSQL's tsvector, filled on the way in)
        r = staff.get(f"/api/v1/search/messages?q={snap['word']}")
        self.assertEqual(r.status, 200, r.body)
        found = [x["message_id"] for x in r.body["results"]]
        old = [m["id"] for m in snap["h1"] if snap["word"] in m["content"]]
        self.assertEqual(found, old)
        # the upload downloads
        r = cust.get(snap["upload"]["url"])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, snap["upload_bytes"])
        self.assertEqual(hashlib.sha256(r.body).hexdigest(), snap["upload"]["sha256"])
        # new rows take positions past the copied ones (identity counters moved)
        t2 = staff.post("/api/v1/tickets", {"session_id": snap["s1"], "issue_description": "new"})
        self.assertEqual(t2.status, 201, t2.body)
        tickets = staff.get("/api/v1/tickets").body["tickets"]
        self.assertEqual([t["id"] for t in tickets][:2], [t2.body["id"], snap["ticket"]])
        self.assertEqual(staff.post(f"/api/v1/sessions/{snap['s1']}/notes",
                                    {"content": "new note"}).status, 201)
        s3 = make_session(dst, snap["cust_token"])
        self.assertEqual(send_message(dst, snap["cust_token"], s3["id"], "hello")["seq"], 1)
        dst.stop()
        # a second migration into the same (now not empty) database is refused
        before = pg_query(self.pg_url, "SELECT count(*) FROM messages")
        cp = self.migrate(f"sqlite:{self.data_dir}/parley.db", self.pg_url)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("already holds data", cp.stderr.decode())
        self.assertEqual(pg_query(self.pg_url, "SELECT count(*) FROM messages"), before)
        self.assertTrue(admin_token)

    def broken_copy(self, sql):
        """A copy of the source's SQLite file with sql applied, and a fresh
        PostgreSQL database for it; returns (path, url)."""
        other_dir = tempfile.mkdtemp(prefix="parley-it-migrate-bad-")
        self.addCleanup(shutil.rmtree, other_dir, True)
        path = os.path.join(other_dir, "parley.db")
        src = sqlite3.connect(os.path.join(self.data_dir, "parley.db"))
        dst = sqlite3.connect(path)
        src.backup(dst)
        src.close()
        dst.executescript(sql)
        dst.close()
        url = postgres_database_url(other_dir)
        self.addCleanup(postgres_drop_database, url)
        return path, url

    def test_a_gap_or_an_unknown_table_fails_and_leaves_nothing(self):
        snap = self.populate()
        # a message in the middle of a session gone: the seq has a gap
        path, url = self.broken_copy(
            f"DELETE FROM messages WHERE session_id = '{snap['s1']}' AND seq = 3")
        cp = self.migrate(f"sqlite:{path}", url)
        err = cp.stderr.decode()
        self.assertEqual(cp.returncode, 1, cp.stdout.decode() + err)
        self.assertIn("not 1..last_seq", err)
        self.assertIn(snap["s1"], cp.stdout.decode())
        self.assertIn("rolled back", cp.stdout.decode())
        self.assertEqual(pg_query(url, "SELECT count(*) FROM messages"), [["0"]])
        self.assertEqual(pg_query(url, "SELECT count(*) FROM agents"), [["0"]])
        # a table a later schema step would add, unknown to the migration
        path, url = self.broken_copy("CREATE TABLE future_things (id TEXT PRIMARY KEY);"
                                     "INSERT INTO future_things VALUES ('x')")
        cp = self.migrate(f"sqlite:{path}", url)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("future_things", cp.stderr.decode())
        # a column only SQLite has
        path, url = self.broken_copy("ALTER TABLE tickets ADD COLUMN mood TEXT")
        cp = self.migrate(f"sqlite:{path}", url)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("tickets.mood", cp.stderr.decode())
        # a NUL byte, which PostgreSQL text cannot hold
        path, url = self.broken_copy(
            f"UPDATE messages SET content = 'a' || char(0) || 'b' WHERE session_id = "
            f"'{snap['s2']}'")
        cp = self.migrate(f"sqlite:{path}", url)
        self.assertEqual(cp.returncode, 1)
        self.assertIn("NUL byte", cp.stderr.decode())
        self.assertEqual(pg_query(url, "SELECT count(*) FROM customers"), [["0"]])
        # the migration succeeds on the untouched file into that database
        cp = self.migrate(f"sqlite:{self.data_dir}", url)
        self.assertEqual(cp.returncode, 0, cp.stdout.decode() + cp.stderr.decode())


if __name__ == "__main__":
    unittest.main()
