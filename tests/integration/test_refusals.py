"""Clear refusals (issue 9): a full disk answers 503 with Retry-After and a
fixed public message, never SQLite's text or a function name."""

import errno
import os
import shutil
import subprocess
import tempfile
import unittest

from parley_harness import (ADMIN_PASSWORD, ParleyServer, login, make_agent, make_customer,
                            make_session, send_message, unique_email)

# What must never reach a client: SQLite's texts and our function names.
INTERNAL_TEXTS = ("database or disk", "disk is full", "sqlite", "token_insert", "_insert",
                  "file store", "SQLITE", "disk I/O")


def mount_small_tmpfs(test, size="24m"):
    """A tmpfs of its own the test can fill; skips where mounting is not
    allowed (not root, or a container without CAP_SYS_ADMIN)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        test.skipTest("filling a disk needs a tmpfs of its own (root may mount one)")
    mnt = tempfile.mkdtemp(prefix="parley-full-")
    cp = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", mnt],
                        capture_output=True)
    if cp.returncode != 0:
        os.rmdir(mnt)
        test.skipTest(f"cannot mount a tmpfs: {cp.stderr.decode(errors='replace').strip()}")

    def unmount():
        subprocess.run(["umount", "-l", mnt], capture_output=True)
        os.rmdir(mnt)
    test.addCleanup(unmount)
    return mnt


def fill(path):
    """Writes path until the file system has not one byte left."""
    with open(path, "wb", buffering=0) as f:
        for chunk in (1 << 20, 4096, 1):
            block = b"\0" * chunk
            while True:
                try:
                    f.write(block)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break


class DiskFullTest(unittest.TestCase):
    maxDiff = 4000

    def assert_public_503(self, r, what):
        self.assertEqual(r.status, 503, f"{what}: {r.status} {r.body!r}")
        self.assertIn("retry-after", r.headers, f"{what}: no Retry-After")
        self.assertGreaterEqual(int(r.headers["retry-after"]), 1)
        self.assertEqual(r.body["error"]["code"], "unavailable", what)
        text = repr(r.body)
        for internal in INTERNAL_TEXTS:
            self.assertNotIn(internal.lower(), text.lower(), f"{what}: leaks {internal!r}")

    def test_full_disk_is_a_clear_503_everywhere(self):
        mnt = mount_small_tmpfs(self)
        srv = ParleyServer(data_dir=os.path.join(mnt, "data"))
        self.addCleanup(srv.close)
        os.makedirs(srv.data_dir, mode=0o700)
        email = unique_email("admin")
        srv.create_admin(email, "Admin", ADMIN_PASSWORD)
        srv.start()
        admin_token, _ = login(srv, email, ADMIN_PASSWORD)
        _, agent_token, agent_email, agent_pw = make_agent(srv, admin_token)
        _, cust_token = make_customer(srv)
        session = make_session(srv, cust_token, "before the disk filled")
        send_message(srv, cust_token, session["id"], "stored before")
        ws = srv.ws(agent_token)
        self.addCleanup(ws.close)
        ws.send_json({"type": "subscribe", "session_id": session["id"]})
        ws.recv_json(type="subscribed")

        filler = os.path.join(mnt, "filler")
        fill(filler)

        # the login of the issue: its token cannot be stored
        r = srv.client().post("/api/v1/auth/login", {"email": agent_email, "password": agent_pw})
        self.assert_public_503(r, "login")
        self.assertEqual(r.body["error"]["message"], "storage is full; try again later")
        self.assertGreaterEqual(int(r.headers["retry-after"]), 30)

        # a message (group commit on the writer), a new customer
        r = srv.client(cust_token).post(f"/api/v1/sessions/{session['id']}/messages",
                                        {"content": "while full"})
        self.assert_public_503(r, "message")
        r = srv.client().post("/api/v1/customers", {"name": "Late"})
        self.assert_public_503(r, "customer")

        # the WebSocket says the same with retry_after
        ws.send_json({"type": "message.send", "session_id": session["id"],
                      "content": "ws while full", "client_msg_id": "full-1"})
        err = ws.recv_json(type="error")
        self.assertEqual(err["error"]["code"], "unavailable", err)
        self.assertGreaterEqual(err["error"]["retry_after"], 1, err)
        for internal in INTERNAL_TEXTS:
            self.assertNotIn(internal.lower(), repr(err).lower())

        # the operator still reads the detail in the log
        log = "\n".join(srv.log())
        self.assertIn("token_insert", log)
        self.assertIn("database or disk is full", log)

        # room again: the same requests succeed
        os.unlink(filler)
        token, _ = login(srv, agent_email, agent_pw)
        self.assertTrue(token)
        send_message(srv, cust_token, session["id"], "stored after")
        ws.send_json({"type": "message.send", "session_id": session["id"],
                      "content": "ws while full", "client_msg_id": "full-1"})
        ws.recv_json(type="ack", match=lambda m: m.get("client_msg_id") == "full-1")


if __name__ == "__main__":
    unittest.main()
