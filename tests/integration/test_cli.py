"""The command line: --help, flags and PARLEY_* variables, `admin create`."""

import os
import re
import socket
import subprocess
import tempfile
import unittest

from parley_harness import (ADMIN_PASSWORD, PASSWORD_MEMLIMIT_KIB, T, ParleyServer, login,
                            parleyd_path, unique_email, wrapper_argv)

CONFIG_H = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "core",
                        "config.h")


def config_fields():
    """Every field of struct parley_config, read from src/core/config.h."""
    with open(CONFIG_H, encoding="utf-8") as f:
        text = f.read()
    body = re.search(r"typedef struct parley_config \{(.*?)\} parley_config;", text, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    return re.findall(r"^\s*(?:char\s*\*|int64_t|bool|double|int)\s*(\w+)\s*;", body, re.M)


def run(args, env=None, timeout=60):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(wrapper_argv() + [parleyd_path()] + args, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=T(timeout), env=full_env)


def output(cp):
    return cp.stdout.decode("utf-8", "replace") + cp.stderr.decode("utf-8", "replace")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CliTest(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="parley-cli-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", self.tmp]))

    def test_config_h_is_readable(self):
        fields = config_fields()
        self.assertIn("listen", fields)
        self.assertIn("password_memlimit_kib", fields)
        self.assertGreaterEqual(len(fields), 20)

    def test_help_lists_every_flag_and_variable(self):
        cp = run(["--help"])
        self.assertEqual(cp.returncode, 0, output(cp))
        text = output(cp)
        missing = []
        for field in config_fields():
            flag = "--" + field.replace("_", "-")
            var = "PARLEY_" + field.upper()
            if not re.search(re.escape(flag) + r"(?![\w-])", text):
                missing.append(flag)
            if not re.search(re.escape(var) + r"(?!\w)", text):
                missing.append(var)
        self.assertEqual(missing, [], text)

    def test_unknown_flag_fails_naming_it(self):
        cp = run(["--data-dir", self.tmp, "--bogus-flag", "1"], timeout=30)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("--bogus-flag", output(cp))
        self.assertNotIn("listening on", output(cp))

    def test_bad_values_fail_naming_the_flag(self):
        for args, name in ((["--max-connections", "abc"], "--max-connections"),
                           (["--max-connections", "-5"], "--max-connections"),
                           (["--max-body-bytes=12x"], "--max-body-bytes"),
                           (["--data-dir", self.tmp, "--listen"], "--listen")):
            with self.subTest(args=args):
                cp = run(["--data-dir", self.tmp] + args, timeout=30)
                self.assertNotEqual(cp.returncode, 0, output(cp))
                self.assertIn(name, output(cp))
                self.assertNotIn("listening on", output(cp))

    def test_bad_environment_value_fails_naming_the_variable(self):
        cp = run(["--data-dir", self.tmp], env={"PARLEY_MAX_CONNECTIONS": "lots"}, timeout=30)
        self.assertNotEqual(cp.returncode, 0, output(cp))
        self.assertIn("PARLEY_MAX_CONNECTIONS", output(cp))

    def test_env_parley_listen(self):
        port = free_port()
        srv = ParleyServer(listen=None, env={"PARLEY_LISTEN": f"127.0.0.1:{port}"})
        try:
            srv.start()
            self.assertEqual(srv.port, port)
            r = srv.client().get("/healthz")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.body, {"status": "ok"})
            srv.stop()
        finally:
            srv.close()

    def test_flag_beats_environment_and_equals_syntax(self):
        srv = ParleyServer(listen=None, extra_args=["--listen=127.0.0.1:0"],
                           env={"PARLEY_LISTEN": "127.0.0.1:1"})
        try:
            srv.start()
            self.assertNotEqual(srv.port, 1)
            self.assertEqual(srv.client().get("/healthz").status, 200)
            srv.stop()
        finally:
            srv.close()

    def admin_create(self, *where):
        """`parleyd admin create` with these storage flags; returns the email."""
        email = unique_email("cliadmin")
        cp = run(["admin", "create", *where, "--email", email, "--name", "E",
                  "--password", ADMIN_PASSWORD, "--password-memlimit-kib", PASSWORD_MEMLIMIT_KIB])
        self.assertEqual(cp.returncode, 0, output(cp))
        return email

    def assertAdminLogsIn(self, srv, email, then=None):
        """srv starts and the admin made with admin_create logs in to it
        (then(agent), if given, runs before the server stops)."""
        try:
            srv.start()
            _, agent = login(srv, email, ADMIN_PASSWORD)
            self.assertEqual(agent["role"], "admin")
            if then is not None:
                then(agent)
            srv.stop()
        finally:
            srv.close()

    def test_env_data_dir_is_used(self):
        email = self.admin_create("--data-dir", self.tmp)
        # the server finds that admin through PARLEY_DATA_DIR alone
        self.assertAdminLogsIn(ParleyServer(env={"PARLEY_DATA_DIR": self.tmp},
                                            pass_data_dir=False), email)

    def test_database_url_chooses_the_file(self):
        """--database sqlite:PATH puts the database there, not under --data-dir;
        admin create and the server agree on it."""
        data_dir = os.path.join(self.tmp, "data")
        db = os.path.join(self.tmp, "elsewhere.db")
        email = self.admin_create("--data-dir", data_dir, "--database", f"sqlite:{db}")
        self.assertTrue(os.path.exists(db))
        self.assertFalse(os.path.exists(os.path.join(data_dir, "parley.db")))
        self.assertAdminLogsIn(ParleyServer(env={"PARLEY_DATABASE": f"sqlite:{db}"}), email)

    def test_bad_database_url_stops_the_start(self):
        # (a PostgreSQL URL is taken: a server that is not there stops the
        # start with libpq's words, which never repeat the password)
        for url, expected in (("mysql://parley:secret@db/parley", "unknown scheme"),
                              ("postgres://parley:secret@127.0.0.1:1/parley", "Connection refused"),
                              ("/var/lib/parley/parley.db", "malformed"),
                              ("sqlite:", "malformed")):
            with self.subTest(url=url):
                cp = run(["--data-dir", self.tmp, "--listen", "127.0.0.1:0", "--database", url],
                         timeout=30)
                self.assertNotEqual(cp.returncode, 0, output(cp))
                self.assertIn(expected, output(cp))
                if not url.startswith("postgres:"):
                    self.assertIn("sqlite", output(cp))
                self.assertNotIn("secret", output(cp))
                self.assertNotIn("listening on", output(cp))

    def test_admin_create_then_login(self):
        srv = ParleyServer(data_dir=self.tmp)
        email = unique_email("cliadmin")
        srv.create_admin(email, "CLI Admin", ADMIN_PASSWORD)

        def second_admin(agent):
            self.assertEqual(agent["name"], "CLI Admin")
            # a second admin created while the server runs can log in too
            email2 = unique_email("cliadmin2")
            srv.create_admin(email2, "Second", ADMIN_PASSWORD)
            _, agent2 = login(srv, email2, ADMIN_PASSWORD)
            self.assertEqual(agent2["role"], "admin")

        self.assertAdminLogsIn(srv, email, then=second_admin)

    def test_admin_create_missing_argument_fails_clearly(self):
        base = {"--data-dir": self.tmp, "--email": unique_email("x"), "--name": "N",
                "--password": ADMIN_PASSWORD}
        for drop in ("--email", "--password"):
            with self.subTest(missing=drop):
                args = ["admin", "create", "--password-memlimit-kib", PASSWORD_MEMLIMIT_KIB]
                for k, v in base.items():
                    if k != drop:
                        args += [k, v]
                cp = run(args)
                self.assertNotEqual(cp.returncode, 0, output(cp))
                self.assertIn(drop.lstrip("-"), output(cp).lower())


if __name__ == "__main__":
    unittest.main()
