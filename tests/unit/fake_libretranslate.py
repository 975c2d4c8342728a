#!/usr/bin/env python3
"""A tiny LibreTranslate-compatible server for tests/unit/test_translation.c.

Listens on 127.0.0.1 on a free port and prints the port on stdout.
POST /translate {q, source, target, format} -> {"translatedText": "<source>><target>:<q>"}
  q == "boom"  -> 500
  q == "slow"  -> answers after 3 seconds
  q == "junk"  -> 200 with a body that is not JSON
  missing or wrongly typed fields, or format != "text" -> 400
GET /languages -> the languages with their targets.

With --pairs en-es,es-en,... only those directions exist (as a real
LibreTranslate with some models installed): another answers 400
{"error": "<target> is not supported"} as LibreTranslate does, and
/languages lists only those targets. GET /requests (not LibreTranslate's:
for tests) gives every /translate request received, in order, as
[{"q", "source", "target"}], and DELETE /requests forgets them.
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LANGS = ["en", "es", "fr", "pt", "ca"]
PAIRS = None  # None: every pair of LANGS
REQUESTS = []


def has_pair(source, target):
    return PAIRS is None or (source, target) in PAIRS


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:
            pass

    def do_GET(self):
        if self.path == "/languages":
            self.reply(200, [{"code": c, "name": c,
                              "targets": [t for t in LANGS if t != c and has_pair(c, t)]}
                             for c in LANGS])
        elif self.path == "/requests":
            self.reply(200, list(REQUESTS))
        else:
            self.reply(404, {"error": "not found"})

    def do_DELETE(self):
        if self.path == "/requests":
            REQUESTS.clear()
            self.reply(200, [])
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        if self.path != "/translate":
            self.reply(404, {"error": "not found"})
            return
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            self.reply(400, {"error": "expected JSON"})
            return
        try:
            req = json.loads(raw)
        except ValueError:
            self.reply(400, {"error": "bad JSON"})
            return
        fields = ("q", "source", "target", "format")
        if not isinstance(req, dict) or any(not isinstance(req.get(f), str) for f in fields):
            self.reply(400, {"error": "missing fields"})
            return
        if req["format"] != "text" or req["source"] not in LANGS or req["target"] not in LANGS:
            self.reply(400, {"error": "bad field values"})
            return
        REQUESTS.append({"q": req["q"], "source": req["source"], "target": req["target"]})
        if not has_pair(req["source"], req["target"]):
            self.reply(400, {"error": "%s is not supported" % req["target"]})
            return
        q = req["q"]
        if q == "boom":
            self.reply(500, {"error": "internal"})
            return
        if q == "slow":
            time.sleep(3)
        if q == "junk":
            self.reply(200, b"<html>not json</html>")
            return
        self.reply(200, {"translatedText": "%s>%s:%s" % (req["source"], req["target"], q)})


def main():
    global PAIRS
    if len(sys.argv) == 3 and sys.argv[1] == "--pairs":
        PAIRS = {tuple(p.split("-", 1)) for p in sys.argv[2].split(",")}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
