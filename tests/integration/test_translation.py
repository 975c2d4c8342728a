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

from parley_harness import (DeskTestCase, ServerTestCase, history, login, make_customer,
                            make_session, uniq, unique_email)

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_LIBRETRANSLATE = os.path.join(HERE, "..", "unit", "fake_libretranslate.py")


def start_fake_libretranslate(*args):
    proc = subprocess.Popen([sys.executable, FAKE_LIBRETRANSLATE, *args], stdout=subprocess.PIPE,
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


DESK_POLICY = [{"name": "translation", "target": "en"}]  # the desk reads English


class TwoWayTranslationTest(DeskTestCase):
    """Issue 16: each side reads the other in their own language. The
    customer's language comes from their profile (the widget's), else the
    browser's Accept-Language, else detection; the agent's from their
    profile, else the desk's (the policy's target). Real apertium; a local
    LibreTranslate with only some pairs for the pivot through English."""

    agents = 1

    @classmethod
    def setUpClass(cls):
        # no es<->fr pair: LibreTranslate has to go through English
        cls.fake, cls.fake_url = start_fake_libretranslate(
            "--pairs", "en-es,es-en,en-fr,fr-en,en-pt,pt-en")
        cls.addClassCleanup(cls.fake.wait, 10)
        cls.addClassCleanup(cls.fake.kill)
        cls.server_args = ["--libretranslate-url", cls.fake_url, "--translation-pool", "1"]
        super().setUpClass()

    def agent_with_language(self, language):
        agent, token, _, _ = make_agent_with(self.server, self.admin_token, language)
        return agent, token

    def customer_session(self, chain=None, headers=None, **customer):
        body = {"name": "Cliente"}
        body.update(customer)
        r = self.server.client().post("/api/v1/customers", body, headers=headers)
        self.assertStatus(r, 201)
        tok = r.body["token"]
        sid = make_session(self.server, tok, policy=chain or DESK_POLICY)["id"]
        return r.body["customer"], tok, sid

    def send(self, token, sid, text):
        r = self.server.client(token).post(f"/api/v1/sessions/{sid}/messages",
                                           {"content": text})
        self.assertStatus(r, 201)
        return r.body

    def assign(self, sid, agent):
        r = self.server.client(self.admin_token).post(f"/api/v1/sessions/{sid}/assign",
                                                      {"agent_id": agent["id"]})
        self.assertStatus(r, 200)

    def test_spanish_customer_and_english_agent_over_rest(self):
        _, tok, sid = self.customer_session(language="es")
        spanish = "Mi paquete llegó roto y necesito un reembolso, por favor."
        m = self.send(tok, sid, spanish)
        self.assertEqual(m["content"], spanish)  # the original, always
        self.assertEqual(m["language"], "es")
        self.assertIn("broken", m["translations"]["en"].lower())
        self.assertEqual(m["translation"]["status"], "translated")
        self.assertEqual((m["translation"]["from"], m["translation"]["to"]), ("es", "en"))
        english = "I am sorry, we will send you a new one today."
        a = self.send(self.agent_token, sid, english)
        self.assertEqual(a["content"], english)
        self.assertEqual(a["language"], "en")
        self.assertIn("hoy", a["translations"]["es"].lower())
        self.assertEqual((a["translation"]["from"], a["translation"]["to"]), ("en", "es"))
        self.assertEqual(a["translation"]["pair"], "eng-spa")
        # both kept as stored, both sides see the same history
        for reader in (self.agent_token, tok):
            hist = history(self.server, reader, sid)
            self.assertEqual([h["content"] for h in hist], [spanish, english])
            self.assertIn("en", hist[0]["translations"])
            self.assertIn("es", hist[1]["translations"])

    def test_spanish_customer_and_english_agent_over_websocket(self):
        _, tok, sid = self.customer_session(language="es")
        with self.server.ws(tok) as cws, self.server.ws(self.agent_token) as aws:
            for ws in (cws, aws):
                ws.send_json({"type": "subscribe", "session_id": sid, "after_seq": 0})
                ws.recv_json("subscribed")
            cws.send_json({"type": "message.send", "session_id": sid, "client_msg_id": "c1",
                           "content": "Buenos días, quiero cambiar la dirección de envío."})
            got = aws.recv_json("message.created")["message"]
            self.assertIn("good morning", got["translations"]["en"].lower())
            aws.send_json({"type": "message.send", "session_id": sid, "client_msg_id": "a1",
                           "content": "Good morning, of course, what is the new address?"})
            got = cws.recv_json("message.created",
                                match=lambda f: f["message"]["sender"]["type"] == "agent")
            self.assertEqual(got["message"]["content"],
                             "Good morning, of course, what is the new address?")
            self.assertIn("buenos días", got["message"]["translations"]["es"].lower())
            self.assertEqual(got["message"]["translation"]["to"], "es")

    def test_the_assigned_agents_language(self):
        french, ftok = self.agent_with_language("fr-FR")
        _, tok, sid = self.customer_session(language="es")
        self.assign(sid, french)
        m = self.send(tok, sid, "Hola, mi pedido no ha llegado todavía, ¿dónde está?")
        self.assertIn("fr", m["translations"])
        self.assertNotIn("en", m["translations"])
        self.assertEqual(m["translation"]["pair"], "es-fr")
        a = self.send(ftok, sid, "Bonjour, votre commande arrivera demain matin.")
        self.assertEqual(a["language"], "fr")
        self.assertEqual(a["translation"]["pair"], "fr-es")
        self.assertIn("es", a["translations"])

    def test_pivot_is_recorded(self):
        # no pt<->en pair installed: through Spanish
        _, tok, sid = self.customer_session(language="pt")
        m = self.send(tok, sid, "Obrigado, a minha encomenda ainda não chegou a casa.")
        self.assertEqual(m["translation"]["pair"], "pt-es+spa-eng")
        self.assertEqual(m["translation"]["via"], "es")
        self.assertIn("en", m["translations"])
        a = self.send(self.agent_token, sid, "Thank you, we are looking into it right now.")
        self.assertEqual(a["translation"]["pair"], "eng-spa+es-pt")
        self.assertIn("agora", a["translations"]["pt"].lower())

    def test_no_route_is_flagged_and_delivered(self):
        _, tok, sid = self.customer_session(language="ja")
        text = "Hello, thank you for waiting, your refund has been sent."
        a = self.send(self.agent_token, sid, text)
        self.assertEqual(a["content"], text)
        self.assertNotIn("translations", a)
        info = a["translation"]
        self.assertEqual((info["status"], info["from"], info["to"]), ("unavailable", "en", "ja"))
        self.assertEqual(info["error"], "unsupported_pair")
        self.assertEqual(a["seq"], 1)

    def test_browser_language_when_none_declared(self):
        cust, tok, sid = self.customer_session(
            headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.8"})
        self.assertEqual(cust["language"], "es")
        a = self.send(self.agent_token, sid, "Hello, how can I help you today?")
        self.assertEqual(a["translation"]["to"], "es")
        # a declared language wins over the browser's
        cust, _, _ = self.customer_session(language="fr", headers={"Accept-Language": "es"})
        self.assertEqual(cust["language"], "fr")

    def test_detected_language_when_nothing_else(self):
        cust, tok, sid = self.customer_session()
        self.assertIsNone(cust["language"])
        # nothing known yet: the agent's greeting stays as written
        a = self.send(self.agent_token, sid, "Hello, how can I help you today?")
        self.assertNotIn("translations", a)
        self.send(tok, sid, "Hola, quiero devolver unos zapatos que compré la semana pasada.")
        a = self.send(self.agent_token, sid, "Of course, I will send you a return label.")
        self.assertEqual(a["translation"]["to"], "es")
        self.assertIn("es", a["translations"])

    def test_libretranslate_pivots_through_english(self):
        chain = [{"name": "translation", "target": "fr", "backend": "libretranslate",
                  "url": self.fake_url}]
        _, tok, sid = self.customer_session(chain=chain, language="es")
        urllib_delete(self.fake_url + "/requests")
        text = "Hola, mi pedido no ha llegado todavía."
        m = self.send(tok, sid, text)
        self.assertEqual(m["translations"]["fr"], "en>fr:es>en:" + text)
        self.assertEqual(m["translation"]["pair"], "es-en+en-fr")
        self.assertEqual(m["translation"]["via"], "en")
        # what the server asked, in LibreTranslate's protocol: the direct
        # pair first (refused with 400), then both halves
        self.assertEqual(urllib_get_json(self.fake_url + "/requests"), [
            {"q": text, "source": "es", "target": "fr"},
            {"q": text, "source": "es", "target": "en"},
            {"q": "es>en:" + text, "source": "en", "target": "fr"}])
        # the other way too (the agent writes the desk's French)
        a = self.send(self.agent_token, sid, "Bonjour, votre commande arrive demain matin.")
        self.assertEqual(a["translation"]["to"], "es")
        self.assertEqual(a["translation"]["pair"], "fr-en+en-es")
        # a direct pair is used as it is
        urllib_delete(self.fake_url + "/requests")
        a = self.send(self.agent_token, sid, "Hello, your parcel will arrive tomorrow morning, thank you for waiting.")
        self.assertEqual(a["translation"]["pair"], "en-es")
        self.assertNotIn("via", a["translation"])
        self.assertEqual(len(urllib_get_json(self.fake_url + "/requests")), 1)

    def test_libretranslate_without_a_route(self):
        chain = [{"name": "translation", "target": "en", "backend": "libretranslate",
                  "url": self.fake_url}]
        _, tok, sid = self.customer_session(chain=chain, language="ja")
        a = self.send(self.agent_token, sid, "Hello, your refund has been sent today.")
        info = a["translation"]
        self.assertEqual((info["status"], info["from"], info["to"]), ("unavailable", "en", "ja"))
        self.assertEqual(info["backend"], "libretranslate")
        self.assertNotIn("translations", a)


def urllib_get_json(url):
    import json
    import urllib.request
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def urllib_delete(url):
    import urllib.request
    req = urllib.request.Request(url, method="DELETE")
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()


def make_agent_with(server, admin_token, language):
    """An agent whose profile says language; logged in."""
    email = unique_email("agent")
    r = server.client(admin_token).post("/api/v1/agents", {
        "name": uniq("Agent "), "email": email, "password": "agent-password-1",
        "role": "agent", "language": language})
    if r.status != 201:
        raise AssertionError(f"create agent failed: {r.status} {r.body!r}")
    token, _ = login(server, email, "agent-password-1")
    return r.body, token, email, "agent-password-1"


if __name__ == "__main__":
    unittest.main()
