"""Retention (issue 9): a real parleyd purges, on the schedule its flags
set, tokens that no longer work, anonymous customers who never started a
session, old audit entries and uploads never attached to a message (with
their files on disk, unless another upload shares the bytes).

The settings are seconds instead of days; every check reads the SQLite
file itself (read-only) or the uploads directory, since no API shows what
retention deleted. Deadlines scale with PARLEY_TEST_TIMEOUT_SCALE."""

import hashlib
import os
import sqlite3
import unittest

from parley_harness import (NO_RATE_LIMITS, T, ParleyServer, ServerTestCase, login, make_customer,
                            make_session, parse_metrics, send_message, uniq, wait_until)

TOKEN_LIFETIME_S = max(8, int(T(8)))
SHORT_S = max(2, int(T(2)))


def file_path(data_dir, data):
    sha = hashlib.sha256(data).hexdigest()
    return os.path.join(data_dir, "uploads", sha[:2], sha[2:4], sha)


class RetentionTest(ServerTestCase):

    server_args = NO_RATE_LIMITS + [
        "--retention-interval-s", "1",
        "--token-lifetime-s", str(TOKEN_LIFETIME_S),
        "--retention-customers-s", str(SHORT_S),
        "--retention-audit-s", str(SHORT_S),
        "--retention-uploads-s", str(SHORT_S),
    ]

    def db(self):
        db = sqlite3.connect(f"file:{self.server.data_dir}/parley.db?mode=ro", uri=True)
        self.addCleanup(db.close)
        return db

    def count(self, sql, *args):
        db = sqlite3.connect(f"file:{self.server.data_dir}/parley.db?mode=ro", uri=True)
        try:
            return db.execute(sql, args).fetchone()[0]
        finally:
            db.close()

    def upload(self, token, data):
        r = self.server.client(token).post(
            "/api/v1/uploads", raw=data,
            headers={"Content-Type": "application/octet-stream", "X-Filename": "notes.txt"})
        self.assertStatus(r, 201)
        return r.body

    def test_expired_tokens_and_never_started_customers_are_purged(self):
        idle, idle_token = make_customer(self.server)
        chatty, chatty_token = make_customer(self.server)
        make_session(self.server, chatty_token)
        hashes = [hashlib.sha256(t.encode()).hexdigest() for t in (idle_token, chatty_token)]
        q = "SELECT count(*) FROM tokens WHERE token_hash IN (?, ?)"
        self.assertEqual(self.count(q, *hashes), 2)
        self.assertEqual(self.count("SELECT started_session FROM customers WHERE id = ?",
                                    chatty["id"]), 1)
        # the tokens stop working, then the pass deletes their rows
        wait_until(lambda: self.count(q, *hashes) == 0, timeout=TOKEN_LIFETIME_S + 15,
                   message="expired tokens deleted")
        r = self.server.client(idle_token).get("/api/v1/sessions")
        self.assertError(r, 401, "unauthenticated")
        # without a token and a session, the anonymous customer goes too
        wait_until(lambda: self.count("SELECT count(*) FROM customers WHERE id = ?",
                                      idle["id"]) == 0,
                   timeout=15, message="never-started customer deleted")
        # one who started a session never does
        self.assertEqual(self.count("SELECT count(*) FROM customers WHERE id = ?",
                                    chatty["id"]), 1)
        self.assertGreaterEqual(
            self.count("SELECT count(*) FROM audit_log WHERE action = 'retention.purge' AND "
                       "json_extract(detail_json, '$.customers') >= 1"), 1)

    def test_unattached_uploads_and_their_files_are_purged(self):
        cust, tok = make_customer(self.server)
        s = make_session(self.server, tok)
        lonely = f"never sent {uniq()}\n".encode()
        shared = f"sent once, uploaded twice {uniq()}\n".encode()
        sent = f"sent {uniq()}\n".encode()
        lonely_up = self.upload(tok, lonely)
        shared_lonely = self.upload(tok, shared)
        shared_sent = self.upload(tok, shared)
        sent_up = self.upload(tok, sent)
        for up in (shared_sent, sent_up):
            r = self.server.client(tok).post(
                f"/api/v1/sessions/{s['id']}/messages",
                {"client_msg_id": uniq("c"), "attachment_id": up["id"]})
            self.assertStatus(r, 201)
        for data in (lonely, shared, sent):
            self.assertTrue(os.path.exists(file_path(self.server.data_dir, data)))

        gone = "SELECT count(*) FROM uploads WHERE id IN (?, ?)"
        wait_until(lambda: self.count(gone, lonely_up["id"], shared_lonely["id"]) == 0,
                   timeout=SHORT_S + 15, message="unattached uploads deleted")
        # the file goes after the commit that deleted its last row
        wait_until(lambda: not os.path.exists(file_path(self.server.data_dir, lonely)),
                   timeout=10, message="the unattached upload's file removed")
        # a file another (attached) upload names stays, and so do attached uploads
        self.assertTrue(os.path.exists(file_path(self.server.data_dir, shared)))
        self.assertTrue(os.path.exists(file_path(self.server.data_dir, sent)))
        self.assertEqual(self.count(gone, shared_sent["id"], sent_up["id"]), 2)

        # the purged id is gone for its uploader too; the same bytes can come again
        self.assertError(self.server.client(tok).get(f"/api/v1/uploads/{lonely_up['id']}"),
                         404, "not_found")
        again = self.upload(tok, lonely)
        r = self.server.client(tok).get(f"/api/v1/uploads/{again['id']}")
        self.assertStatus(r, 200)
        self.assertEqual(r.body, lonely)

        m = self.server.metrics()
        self.assertGreaterEqual(m['parley_retention_deleted_total{kind="uploads"}'], 2)
        self.assertGreaterEqual(m['parley_retention_deleted_total{kind="files"}'], 1)
        self.assertGreaterEqual(m["parley_retention_passes_total"], 1)
        self.assertIn(' level=info msg="retention deleted" tokens=', "\n".join(self.server.log()))

    def test_old_audit_entries_are_purged_and_the_pass_is_on_record(self):
        token, _ = login(self.server, self.admin_email, "admin-password-1")
        newest = self.count("SELECT max(position) FROM audit_log WHERE action = 'login'")
        self.assertIsNotNone(newest)
        wait_until(lambda: self.count("SELECT count(*) FROM audit_log WHERE position = ?",
                                      newest) == 0,
                   timeout=SHORT_S + 15, message="old audit entry deleted")
        # each pass that deleted something says so, without an actor
        db = self.db()
        row = db.execute("SELECT actor_kind, detail_json FROM audit_log WHERE action = "
                         "'retention.purge' ORDER BY position DESC LIMIT 1").fetchone()
        self.assertIsNotNone(row)
        self.assertIsNone(row[0])
        self.assertIn('"via":"retention"', row[1])


class RetentionFlagsTest(unittest.TestCase):

    def test_flags_are_validated(self):
        srv = ParleyServer()
        self.addCleanup(srv.close)
        for flag, value in (("--retention-interval-s", "0"), ("--retention-batch", "100001"),
                            ("--retention-audit-s", "-1"), ("--retention-uploads-s", "x")):
            cp = srv.run_cli([flag, value, "--data-dir", srv.data_dir])
            self.assertEqual(cp.returncode, 2, cp.stderr)
            self.assertIn(flag, cp.stderr.decode())
        cp = srv.run_cli(["--help"])
        self.assertEqual(cp.returncode, 0)
        for flag in ("--retention-interval-s", "--retention-batch", "--retention-customers-s",
                     "--retention-audit-s", "--retention-uploads-s"):
            self.assertIn(flag, cp.stdout.decode())


if __name__ == "__main__":
    unittest.main()
