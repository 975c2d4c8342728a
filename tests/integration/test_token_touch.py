"""A token's last-used time is noted, not written, on the connect path
(issue 11 B, core/token_touches.h): a reconnect storm does not wait for a
committed write that only bumps last_used_at. The writer's next batch
writes the touches later, and a token kept in use never expires for lack
of a flushed touch.

How it is seen: the test holds SQLite's write lock from outside (BEGIN
IMMEDIATE on the server's own file) while tokens due for a touch open
WebSockets. A touch written on the connect path would wait for that lock
(up to the server's 5 s busy timeout); noted in memory it does not, so
every connect completes while the lock is still held. Once the lock is
released the touches reach the file."""

import os
import sqlite3
import time
import unittest

from parley_harness import T, ServerTestCase, make_customer, on_postgres, wait_until


def last_used(db, customer_id):
    row = db.execute("SELECT last_used_at FROM tokens WHERE owner_id = ?",
                     (customer_id,)).fetchone()
    return row[0]


@unittest.skipIf(on_postgres(), "holds SQLite's write lock from outside")
class TokenTouchTest(ServerTestCase):
    # idle timeout 8 s: a token unused for 2 s is due for a touch
    server_args = ["--token-idle-timeout-s", "8"]

    def test_reconnect_storm_does_not_wait_for_the_touch(self):
        customers = [make_customer(self.server) for _ in range(8)]
        path = os.path.join(self.server.data_dir, "parley.db")
        reader = sqlite3.connect(path, timeout=30)
        self.addCleanup(reader.close)
        before = {c["id"]: last_used(reader, c["id"]) for c, _ in customers}
        time.sleep(2.3)  # every token is now due for a touch

        lock = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.addCleanup(lock.close)
        lock.execute("BEGIN IMMEDIATE")  # no other writer until ROLLBACK
        try:
            started = time.monotonic()
            # a storm: every token connects three times
            for _ in range(3):
                for _, token in customers:
                    ws = self.server.ws(token, timeout=T(20))
                    ws.close()
            elapsed = time.monotonic() - started
            # still under the lock: no connect waited for a write
            self.assertLess(elapsed, T(3.0), "a connect waited for the database's write lock")
            for c, _ in customers:
                self.assertEqual(last_used(reader, c["id"]), before[c["id"]])
        finally:
            lock.execute("ROLLBACK")

        # the writer's next batch writes them (within about a second)
        def all_touched():
            reader.rollback()  # a fresh read snapshot
            return all(last_used(reader, c["id"]) > before[c["id"]] for c, _ in customers)

        wait_until(all_touched, timeout=10, message="touches written after the lock")
        # and the tokens still work
        for _, token in customers:
            self.assertEqual(self.server.client(token).get("/api/v1/me").status, 200)

    def test_token_in_use_outlives_idle_timeout_with_touches_in_memory(self):
        """Reconnects of one token within the touch interval note one use
        (the newest); the token stays valid past its idle timeout while it
        is used."""
        _, token = make_customer(self.server)
        c = self.server.client(token)
        issued = time.monotonic()
        while time.monotonic() - issued < 9.0:
            ws = self.server.ws(token)
            ws.close()
            self.assertEqual(c.get("/api/v1/me").status, 200)
            time.sleep(0.5)


if __name__ == "__main__":
    unittest.main()
