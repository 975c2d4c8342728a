"""The translation strategy in the real server (issue 4): real apertium
pipelines and a real libexttextcat behind a session's chain, the original
and the translation stored and sent, degradation to the original with a
flag, and the LibreTranslate backend against a local server speaking its
API (only at the URL the operator configured)."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from parley_harness import DeskTestCase, ServerTestCase, make_customer, make_session

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_LIBRETRANSLATE = os.path.join(HERE, "..", "unit", "fake_libretranslate.py")


def start_fake_libretranslate():
    proc = subprocess.Popen([sys.executable, FAKE_LIBRETRANSLATE], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    port = int(proc.stdout.readline().strip())
    return proc, f"http://127.0.0.1:{port}"


class TranslationTest(DeskTestCase):

    @classmethod
    def setUpClass(cls):
        cls.fake, cls.fake_url = start_fake_libretranslate()
        cls.addClassCleanup(cls.fake.wait, 10)
        cls.addClassCleanup(cls.fake.kill)
        cls.server_args = ["--libretranslate-url", cls.fake_url, "--translation-pool", "1"]
        super().setUpClass()

    def send(self, token, sid, text):
        r = self.server.client(token).post(f"/api/v1/sessions/{sid}/messages",
                                           {"content": text})
        self.assertStatus(r, 201)
        return r.body

    def test_installed_pairs_are_listed(self):
        r = self.server.client().get("/api/v1/strategies")
        self.assertStatus(r, 200)
        tr = {s["name"]: s for s in r.body["strategies"]}["translation"]
        for pair in ("eng-spa", "spa-eng", "fr-es", "spa-cat"):
            self.assertIn(pair, tr["pairs"])
        self.assertIn("target", tr["options"])
        self.assertEqual(sorted(tr["backends"]), ["apertium", "libretranslate"])

    def test_customer_message_is_translated_and_both_texts_kept(self):
        tok, sid = self.session([{"name": "translation", "target": "es"}])
        text = "Hello, my order has not arrived yet and I would like to know where it is."
        m = self.send(tok, sid, text)
        self.assertEqual(m["content"], text)  # the original is the content
        self.assertEqual(m["language"], "en")
        translated = m["translations"]["es"]
        self.assertNotEqual(translated, text)
        self.assertIn("llegado", translated.lower())
        self.assertEqual(m["translation"]["backend"], "apertium")
        self.assertEqual(m["translation"]["pair"], "eng-spa")
        # stored: the history gives the same
        stored = self.staff_history(sid)[0]
        self.assertEqual(stored["content"], text)
        self.assertEqual(stored["translations"]["es"], translated)

    def test_agents_see_the_translation_live(self):
        tok, sid = self.session([{"name": "translation", "target": "en", "source": "es"}])
        with self.server.ws(self.agent_token) as ws:
            ws.send_json({"type": "subscribe", "session_id": sid, "after_seq": 0})
            ws.recv_json("subscribed")
            self.send(tok, sid, "Buenos días, quiero cambiar la dirección de envío de mi pedido.")
            frame = ws.recv_json("message.created")
        meta = frame["message"]
        self.assertIn("good morning", meta["translations"]["en"].lower())
        self.assertEqual(meta["language"], "es")

    def test_each_side_reads_its_own_language(self):
        tok, sid = self.session([{"name": "translation", "customer_language": "es",
                                  "agent_language": "en"}])
        m = self.send(tok, sid, "Mi paquete llegó roto, necesito un reembolso por favor.")
        self.assertIn("en", m["translations"])
        a = self.send(self.agent_token, sid, "I am sorry, we will send you a new one today.")
        self.assertIn("es", a["translations"])
        self.assertEqual(a["translation"]["pair"], "eng-spa")

    def test_pivot_through_spanish(self):
        # no English -> Portuguese pair is installed: eng-spa then es-pt
        tok, sid = self.session([{"name": "translation", "target": "pt", "source": "en"}])
        m = self.send(tok, sid, "Thank you very much")
        self.assertEqual(m["translation"]["pair"], "eng-spa+es-pt")
        self.assertIn("obrigado", m["translations"]["pt"].lower())

    def test_apertium_stream_syntax_in_the_text_is_harmless(self):
        tok, sid = self.session([{"name": "translation", "target": "es", "source": "en"}])
        texts = ["see [this] and ^that$ or {it} \\ / @ * # < >",
                 "an unclosed [ bracket stays", "^", "a caret ^ at the end^", "end$", "[",
                 "\\"]
        for text in texts:
            m = self.send(tok, sid, text)
            self.assertEqual(m["content"], text)
            self.assertIn("es", m["translations"], m)
            self.assertIn(text[-1], m["translations"]["es"])
        # and the pipeline still answers afterwards
        m = self.send(tok, sid, "Thank you very much for your help")
        self.assertIn("gracias", m["translations"]["es"].lower())

    def test_concurrent_sessions_share_the_pipelines(self):
        import threading
        tok, sid = self.session([{"name": "translation", "target": "es", "source": "en"}])
        results, errors = [], []

        def worker(i):
            try:
                c = self.server.client(tok)
                r = c.post(f"/api/v1/sessions/{sid}/messages",
                           {"content": f"Message number {i}: where is my parcel?",
                            "client_msg_id": f"tr-{i}"})
                results.append(r)
            except Exception as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(sorted(r.status for r in results), [201] * 12)
        hist = self.staff_history(sid)
        self.assertEqual([m["seq"] for m in hist], list(range(1, 13)))
        for m in hist:
            self.assertIn("es", m["translations"])

    def test_libretranslate_at_the_configured_url(self):
        tok, sid = self.session([{"name": "translation", "target": "fr", "source": "en",
                                  "backend": "libretranslate", "url": self.fake_url}])
        m = self.send(tok, sid, "Hello there, my friend")
        self.assertEqual(m["translations"]["fr"], "en>fr:Hello there, my friend")
        self.assertEqual(m["translation"]["backend"], "libretranslate")
        # a backend failure keeps the message, flagged
        m = self.send(tok, sid, "boom")
        self.assertEqual(m["content"], "boom")
        self.assertEqual(m["translation"]["error"], "backend_failed")

    def test_libretranslate_elsewhere_is_refused(self):
        _, tok = make_customer(self.server)
        admin = self.server.client(self.admin_token)
        for url in ("http://169.254.169.254", self.fake_url + "1", "ftp://x"):
            chain = [{"name": "translation", "target": "fr", "backend": "libretranslate",
                      "url": url}]
            r = admin.patch("/api/v1/settings", {"strategies.policy": {"chain": chain}})
            self.assertError(r, 400, "validation_failed")
            # and a customer may not name a backend at all (issue 16)
            r = self.server.client(tok).post("/api/v1/sessions", {"topic": "t",
                                                                  "strategies": chain})
            self.assertEqual(r.status, 403, r.body)

    def test_translation_does_not_hold_up_other_sessions(self):
        """Slow translations run before the writer: a session without
        strategies is stored while a LibreTranslate call of another session
        is still waiting for its answer."""
        import threading
        tok, sid = self.session([{"name": "translation", "target": "fr", "source": "en",
                                  "backend": "libretranslate", "url": self.fake_url}])
        tok2, sid2 = self.session([])
        done = {}

        def slow():
            done["slow"] = self.server.client(tok).post(f"/api/v1/sessions/{sid}/messages",
                                                        {"content": "slow"})
        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.3)
        self.send(tok2, sid2, "a quick question")
        # the fake answers "slow" after 3 s: the plain message was stored
        # while the other one was still being translated
        slow_still_running = t.is_alive()
        t.join(30)
        self.assertStatus(done["slow"], 201)
        self.assertTrue(slow_still_running,
                        "a plain message waited for another session's translation")


class OperatorChosenPairsTest(ServerTestCase):
    """The operator decides which pairs exist (--translation-mode-dir): a
    session asking for another degrades to the original with a flag."""

    @classmethod
    def setUpClass(cls):
        cls.modes = tempfile.mkdtemp(prefix="parley-modes-")
        cls.addClassCleanup(shutil.rmtree, cls.modes)
        shutil.copy("/usr/share/apertium/modes/eng-spa.mode", cls.modes)
        cls.server_args = ["--translation-mode-dir", cls.modes]
        super().setUpClass()

    def test_only_the_installed_pair_is_offered(self):
        r = self.server.client().get("/api/v1/strategies")
        tr = {s["name"]: s for s in r.body["strategies"]}["translation"]
        self.assertEqual(tr["pairs"], ["eng-spa"])

    def test_unsupported_pair_keeps_the_original_with_a_flag(self):
        _, tok = make_customer(self.server)
        sid = make_session(self.server, tok, policy=[
            {"name": "translation", "target": "fr", "source": "en"}])["id"]
        r = self.server.client(tok).post(f"/api/v1/sessions/{sid}/messages",
                                         {"content": "Hello, is anybody there?"})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["content"], "Hello, is anybody there?")
        self.assertNotIn("translations", r.body)
        self.assertEqual(r.body["translation"]["error"], "unsupported_pair")
        self.assertEqual(r.body["seq"], 1)


if __name__ == "__main__":
    unittest.main()
