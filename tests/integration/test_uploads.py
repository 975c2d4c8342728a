"""Attachments and transcripts (issue 5): POST/GET /api/v1/uploads, image
and file messages that carry an upload, and GET
/api/v1/sessions/{id}/transcript (docs/subsystems/uploads.md)."""

import hashlib
import json
import os
import unittest
import zlib
import struct

from parley_harness import (DeskTestCase, ParleyServer, RawConn, history, login, make_agent,
                            make_customer, make_session, send_message, unique_email, uniq,
                            ADMIN_PASSWORD)


def png_bytes(tag=b""):
    """A real 1x1 PNG; tag goes into a tEXt chunk so each call can differ."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    body = chunk(b"IHDR", ihdr)
    if tag:
        body += chunk(b"tEXt", b"Comment\x00" + tag)
    body += chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00\xff"))
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b"")


PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
       b"trailer << /Root 1 0 R >>\n%%EOF\n")
HTML = b"<!DOCTYPE html>\n<html><head><script>alert(document.cookie)</script></head></html>\n"
SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1">'
       b'<script>alert(1)</script></svg>\n')


def elf_bytes():
    with open("/bin/true", "rb") as f:
        return f.read(65536)


def multipart(parts, boundary="----parleyTestBoundary7MA4YWxk"):
    """parts: list of (name, filename or None, content type or None, bytes)."""
    out = b""
    for name, filename, ctype, data in parts:
        out += b"--" + boundary.encode() + b"\r\n"
        disp = f'Content-Disposition: form-data; name="{name}"'
        if filename is not None:
            quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
            disp += f'; filename="{quoted}"'
        out += disp.encode("utf-8") + b"\r\n"
        if ctype:
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + data + b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return out, f"multipart/form-data; boundary={boundary}"


def stored_files(data_dir):
    root = os.path.join(data_dir, "uploads")
    found = []
    for dirpath, _, files in os.walk(root):
        found.extend(os.path.join(dirpath, f) for f in files)
    return sorted(found)


class UploadCase(DeskTestCase):
    agents = 0

    def upload_raw(self, token, data, headers=None):
        h = {"Content-Type": "application/octet-stream"}
        h.update(headers or {})
        return self.server.client(token).post("/api/v1/uploads", raw=data, headers=h)

    def upload_form(self, token, data, filename="file.bin", ctype="application/octet-stream",
                    extra_parts=()):
        body, content_type = multipart(list(extra_parts) + [("file", filename, ctype, data)])
        return self.server.client(token).post("/api/v1/uploads", raw=body,
                                              headers={"Content-Type": content_type})

    def uploaded(self, token, data, **kw):
        r = self.upload_form(token, data, **kw)
        self.assertStatus(r, 201)
        return r.body


class UploadTest(UploadCase):
    agents = 1
    customers = 2

    def test_multipart_upload_is_stored_by_content_hash(self):
        data = png_bytes(uniq("a").encode())
        r = self.upload_form(self.cust_token, data, filename="../../etc/My Photo.png",
                             ctype="text/html",  # declared types are ignored
                             extra_parts=[("caption", None, None, b"hello")])
        self.assertStatus(r, 201)
        u = r.body
        self.assertId(u["id"], "upl")
        self.assertEqual(u["mime"], "image/png")
        self.assertEqual(u["name"], "My Photo.png")
        self.assertEqual(u["size"], len(data))
        sha = hashlib.sha256(data).hexdigest()
        self.assertEqual(u["sha256"], sha)
        self.assertEqual(u["url"], f"/api/v1/uploads/{u['id']}")
        self.assertIsNone(u["message_id"])
        self.assertIsNone(u["session_id"])
        self.assertTime(u["created_at"])
        path = os.path.join(self.server.data_dir, "uploads", sha[:2], sha[2:4], sha)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), data)
        leftovers = [p for p in stored_files(self.server.data_dir)
                     if os.path.basename(p).startswith(".tmp")]
        self.assertEqual(leftovers, [])

    def test_raw_body_with_x_filename_and_content_disposition(self):
        r = self.upload_raw(self.cust_token, PDF, {"Content-Type": "image/png",
                                                   "X-Filename": "invoice%20M%C3%A4rz.pdf"})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["mime"], "application/pdf")
        self.assertEqual(r.body["name"], "invoice März.pdf")
        r = self.upload_raw(self.cust_token, b"plain words\n", {
            "Content-Disposition": "attachment; filename=\"fallback.txt\"; "
                                   "filename*=UTF-8''r%C3%A9sum%C3%A9.txt"})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["mime"], "text/plain")
        self.assertEqual(r.body["name"], "résumé.txt")
        r = self.upload_raw(self.cust_token, png_bytes(b"noname"))
        self.assertStatus(r, 201)
        self.assertEqual(r.body["name"], "image.png")

    def test_file_names_are_sanitised(self):
        cases = {
            "C:\\Users\\x\\report.pdf": "report.pdf",
            "..hidden.pdf": "hidden.pdf",
            'a"b<c>d|e?.pdf': "a_b_c_d_e_.pdf",
            "x" * 300 + ".pdf": "x" * 200,
        }
        for given, want in cases.items():
            r = self.upload_raw(self.cust_token, PDF, {"X-Filename": given.replace("%", "%25")})
            self.assertStatus(r, 201)
            self.assertEqual(r.body["name"], want, given)
        r = self.upload_raw(self.cust_token, PDF, {"X-Filename": "a%0Ab%01c.pdf"})
        self.assertStatus(r, 201)
        self.assertEqual(r.body["name"], "a_b_c.pdf")

    def test_same_content_is_stored_once(self):
        data = png_bytes(uniq("dup").encode())
        a = self.uploaded(self.cust_token, data)
        b = self.uploaded(self.other_token, data)
        self.assertNotEqual(a["id"], b["id"])
        self.assertEqual(a["sha256"], b["sha256"])
        same = [p for p in stored_files(self.server.data_dir) if p.endswith(a["sha256"])]
        self.assertEqual(len(same), 1)

    def test_spoofed_types_are_refused(self):
        before = stored_files(self.server.data_dir)
        for label, data in [("html", HTML), ("elf", elf_bytes()), ("svg", SVG)]:
            r = self.upload_raw(self.cust_token, data, {"Content-Type": "image/png",
                                                        "X-Filename": "cute-cat.png"})
            self.assertError(r, 415, "unsupported_media_type", "file")
            r = self.upload_form(self.cust_token, data, filename="cute-cat.png", ctype="image/png")
            self.assertError(r, 415, "unsupported_media_type", "file")
        self.assertEqual(stored_files(self.server.data_dir), before, "a refused file was stored")

    def test_bad_bodies(self):
        c = self.server.client(self.cust_token)
        r = c.post("/api/v1/uploads", raw=b"", headers={"Content-Type": "text/plain"})
        self.assertError(r, 400, "validation_failed", "file")
        r = c.post("/api/v1/uploads", raw=b"--x\r\n", headers={"Content-Type":
                                                               "multipart/form-data"})
        self.assertError(r, 400, "validation_failed", "boundary")
        body, ctype = multipart([("note", None, None, b"no file here")])
        self.assertError(c.post("/api/v1/uploads", raw=body, headers={"Content-Type": ctype}),
                         400, "validation_failed", "no file part")
        body, ctype = multipart([("a", "a.txt", None, b"one"), ("b", "b.txt", None, b"two")])
        self.assertError(c.post("/api/v1/uploads", raw=body, headers={"Content-Type": ctype}),
                         400, "validation_failed", "more than one file")
        body, ctype = multipart([("a", "a.txt", None, b"one")])
        cut = body[:body.rindex(b"\r\n--")]
        self.assertError(c.post("/api/v1/uploads", raw=cut, headers={"Content-Type": ctype}),
                         400, "validation_failed", "closing boundary")
        self.assertError(self.server.client().post("/api/v1/uploads", raw=PDF,
                                                   headers={"Content-Type": "application/pdf"}),
                         401, "unauthenticated")

    def test_attachment_messages(self):
        s = make_session(self.server, self.cust_token)
        img = self.uploaded(self.cust_token, png_bytes(uniq("m").encode()), filename="shot.png")
        ws = self.server.ws(token=self.agent_token)
        try:
            ws.send_json({"type": "subscribe", "session_id": s["id"], "after_seq": 0})
            ws.recv_json(type="subscribed")
            m = send_message(self.server, self.cust_token, s["id"], "the error I see",
                             type="image", attachment_id=img["id"])
            self.assertEqual(m["type"], "image")
            self.assertEqual(m["content"], "the error I see")
            self.assertEqual(m["attachment"], {"id": img["id"], "name": "shot.png",
                                               "mime": "image/png", "size": img["size"],
                                               "url": img["url"]})
            live = ws.recv_json(type="message.created")
            self.assertEqual(live["message"]["attachment"]["id"], img["id"])
        finally:
            ws.close()
        stored = history(self.server, self.agent_token, s["id"])
        self.assertEqual(stored[-1]["attachment"]["id"], img["id"])
        # the upload now names its message and session
        r = self.server.client(self.cust_token).get(img["url"])
        self.assertStatus(r, 200)
        # once per upload: a second message cannot take it
        r = self.server.client(self.cust_token).post(
            f"/api/v1/sessions/{s['id']}/messages", {"content": "again", "type": "image",
                                                     "attachment_id": img["id"]})
        self.assertError(r, 409, "conflict", "attachment_id")

        # over the WebSocket as well
        ws = self.server.ws(token=self.cust_token)
        try:
            pic = self.uploaded(self.cust_token, png_bytes(uniq("w").encode()), filename="w.png")
            ws.send_json({"type": "message.send", "session_id": s["id"], "client_msg_id": "w1",
                          "attachment_id": pic["id"]})
            ack = ws.recv_json(type=("ack", "error"))
            self.assertEqual(ack["type"], "ack", ack)
            self.assertEqual((ack["message"]["type"], ack["message"]["content"]),
                             ("image", "w.png"))
            self.assertEqual(ack["message"]["attachment"]["id"], pic["id"])
        finally:
            ws.close()

        # no content: the file's name stands for it; no type: from the file
        doc = self.uploaded(self.cust_token, PDF + uniq("p").encode(), filename="invoice.pdf")
        m = send_message(self.server, self.cust_token, s["id"], None, attachment_id=doc["id"])
        self.assertEqual((m["type"], m["content"]), ("file", "invoice.pdf"))

        # only the uploader may attach it, others learn nothing of it
        mine = self.uploaded(self.cust_token, png_bytes(uniq("o").encode()))
        r = self.server.client(self.agent_token).post(
            f"/api/v1/sessions/{s['id']}/messages", {"content": "x", "attachment_id": mine["id"]})
        self.assertError(r, 404, "not_found", "attachment_id")
        # an image message needs an image; a text message carries none
        pdf = self.uploaded(self.cust_token, PDF + uniq("q").encode())
        r = self.server.client(self.cust_token).post(
            f"/api/v1/sessions/{s['id']}/messages", {"content": "x", "type": "image",
                                                     "attachment_id": pdf["id"]})
        self.assertError(r, 400, "validation_failed", "image")
        r = self.server.client(self.cust_token).post(
            f"/api/v1/sessions/{s['id']}/messages", {"content": "x", "type": "text",
                                                     "attachment_id": pdf["id"]})
        self.assertError(r, 400, "validation_failed", "attachment_id")
        r = self.server.client(self.cust_token).post(
            f"/api/v1/sessions/{s['id']}/messages", {"type": "file"})
        self.assertError(r, 400, "validation_failed", "content")
        # a refused send leaves the upload free to attach
        m = send_message(self.server, self.cust_token, s["id"], "now", type="file",
                         attachment_id=pdf["id"])
        self.assertEqual(m["attachment"]["mime"], "application/pdf")

    def test_download_headers_and_visibility(self):
        bot = self.server.client(self.admin_token).post("/api/v1/bots", {"name": "b"}).body
        s = make_session(self.server, self.cust_token)
        self.assertStatus(self.server.client(self.admin_token).post(
            f"/api/v1/sessions/{s['id']}/bot", {"bot_id": bot["bot"]["id"]}), 200)
        data = png_bytes(uniq("v").encode())
        body, ctype = multipart([("file", "naïve \"cat\".png", "text/html", data)])
        r = self.server.client(self.cust_token).post("/api/v1/uploads", raw=body,
                                                     headers={"Content-Type": ctype})
        self.assertStatus(r, 201)
        u = r.body
        get = lambda tok: self.server.client(tok).get(u["url"])  # noqa: E731
        # before it is attached: its uploader only
        self.assertStatus(get(self.cust_token), 200)
        for tok in (self.other_token, self.agent_token, self.admin_token, bot["token"]):
            self.assertError(get(tok), 404, "not_found")
        self.assertError(get(None), 401, "unauthenticated")
        send_message(self.server, self.cust_token, s["id"], "look", attachment_id=u["id"])
        # afterwards: who may read the session
        for tok in (self.cust_token, self.agent_token, self.admin_token, bot["token"]):
            r = get(tok)
            self.assertStatus(r, 200)
            self.assertEqual(r.body, data)
        self.assertError(get(self.other_token), 404, "not_found")
        r = get(self.agent_token)
        self.assertEqual(r.headers["content-type"], "image/png")
        self.assertEqual(r.headers["x-content-type-options"], "nosniff")
        self.assertEqual(r.headers["content-security-policy"], "sandbox")
        self.assertIn("private", r.headers["cache-control"])
        self.assertEqual(r.headers["content-disposition"],
                         "attachment; filename=\"na_ve _cat_.png\"; "
                         "filename*=UTF-8''na%C3%AFve%20_cat_.png")
        self.assertError(self.server.client(self.agent_token).get(
            "/api/v1/uploads/upl_AAAAAAAAAAAAAAAAAAAAAAAAAA"), 404, "not_found")


class UploadLimitsTest(UploadCase):
    server_args = ["--max-upload-bytes", "2000000", "--max-body-bytes", "4096",
                   "--upload-types", "text/plain,image/svg+xml,text/html,image/png"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cust, cls.cust_token = make_customer(cls.server)

    def test_upload_limit_is_its_own(self):
        # far above --max-body-bytes, within --max-upload-bytes
        text = (b"line of plain text\n" * 110000)[:2000000]
        r = self.upload_raw(self.cust_token, text)
        self.assertStatus(r, 201)
        self.assertEqual(r.body["size"], 2000000)
        r = self.upload_form(self.cust_token, text + b"x", filename="big.txt")
        self.assertError(r, 413, "payload_too_large", "file")
        # JSON routes keep the general limit
        r = self.server.client(self.cust_token).post(
            "/api/v1/sessions", raw=json.dumps({"topic": "x" * 5000}))
        self.assertError(r, 413, "payload_too_large")

    def test_body_far_over_the_limit_is_cut_off(self):
        with RawConn(self.server.host, self.server.port) as conn:
            conn.send(b"POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                      self.cust_token.encode() + b"\r\nContent-Type: text/plain\r\n"
                      b"Content-Length: 9000000\r\n\r\n")
            resp = conn.recv_response()
            self.assertEqual(resp.status, 413)

    def test_script_types_never_allowed(self):
        for data in (HTML, SVG):
            self.assertError(self.upload_raw(self.cust_token, data), 415,
                             "unsupported_media_type")
        self.assertStatus(self.upload_raw(self.cust_token, png_bytes()), 201)


class UploadRateLimitTest(UploadCase):
    server_args = ["--limit-uploads-per-minute", "2"]

    def test_uploads_per_participant(self):
        _, a = make_customer(self.server)
        _, b = make_customer(self.server)
        for _ in range(2):
            self.assertStatus(self.upload_raw(a, b"words\n"), 201)
        r = self.upload_raw(a, b"words\n")
        self.assertError(r, 429, "rate_limited", "uploads")
        self.assertGreaterEqual(int(r.headers["retry-after"]), 1)
        # the allowance is each participant's own
        self.assertStatus(self.upload_raw(b, b"words\n"), 201)


class TranscriptTest(UploadCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent, cls.agent_token, _, _ = make_agent(cls.server, cls.admin_token,
                                                      name="Sam Support")
        cls.other, cls.other_token = make_customer(cls.server)

    def conversation(self):
        # a new customer each time: the spam filter remembers what one sent
        _, self.cust_token = make_customer(self.server, name="Alex Buyer")
        s = make_session(self.server, self.cust_token, topic="Broken invoice",
                         policy=[{"name": "spam", "max_links": 1}])
        tag = uniq("n")
        send_message(self.server, self.cust_token, s["id"], f"My invoice {tag} is wrong\nline two")
        # refused by the spam strategy: never part of the conversation
        r = self.server.client(self.cust_token).post(
            f"/api/v1/sessions/{s['id']}/messages",
            {"content": f"SECRET-SPAM {tag} http://a.example/1 http://b.example/2"})
        self.assertEqual(r.status, 422, r.body)
        send_message(self.server, self.agent_token, s["id"], f"Let me check that {tag}")
        up = self.uploaded(self.cust_token, PDF + uniq("t").encode(), filename="invoice.pdf")
        send_message(self.server, self.cust_token, s["id"], f"here it is {tag}",
                     attachment_id=up["id"])
        return s, up

    def test_text_transcript(self):
        s, up = self.conversation()
        for tok in (self.cust_token, self.agent_token, self.admin_token):
            r = self.server.client(tok).get(f"/api/v1/sessions/{s['id']}/transcript")
            self.assertStatus(r, 200)
            self.assertEqual(r.headers["content-type"], "text/plain; charset=utf-8")
            self.assertIn("attachment;", r.headers["content-disposition"])
            self.assertIn(f"transcript-{s['id']}.txt", r.headers["content-disposition"])
        text = r.body.decode("utf-8")
        self.assertIn("Topic: Broken invoice", text)
        self.assertIn("Customer: Alex Buyer", text)
        lines = [ln for ln in text.splitlines() if ln.startswith("[")]
        self.assertEqual(len(lines), 3, text)
        self.assertIn("Alex Buyer (customer): My invoice ", lines[0])
        self.assertIn("    line two", text)  # continuation lines are indented
        self.assertIn("Sam Support (agent): Let me check that", lines[1])
        self.assertIn("Alex Buyer (customer): here it is", lines[2])
        self.assertIn(f"[attachment] invoice.pdf (application/pdf, {up['size']} bytes) "
                      f"{up['url']}", text)
        self.assertNotIn("SECRET-SPAM", text)

    def test_json_transcript_matches_history(self):
        s, up = self.conversation()
        r = self.server.client(self.cust_token).get(
            f"/api/v1/sessions/{s['id']}/transcript?format=json")
        self.assertStatus(r, 200)
        self.assertEqual(r.headers["content-type"], "application/json")
        doc = r.body
        self.assertEqual(doc["session"]["id"], s["id"])
        self.assertEqual(doc["customer_name"], "Alex Buyer")
        hist = history(self.server, self.cust_token, s["id"])
        self.assertEqual([m["seq"] for m in doc["messages"]], [m["seq"] for m in hist])
        self.assertEqual([m["content"] for m in doc["messages"]], [m["content"] for m in hist])
        self.assertEqual([m["sender"]["name"] for m in doc["messages"]],
                         ["Alex Buyer", "Sam Support", "Alex Buyer"])
        self.assertEqual(doc["messages"][2]["attachment"]["id"], up["id"])
        self.assertNotIn("SECRET-SPAM", json.dumps(doc))

    def test_long_conversation_is_whole(self):
        _, tok = make_customer(self.server)
        s = make_session(self.server, tok)
        for i in range(230):
            send_message(self.server, tok, s["id"], f"message number {i}")
        r = self.server.client(self.agent_token).get(
            f"/api/v1/sessions/{s['id']}/transcript?format=json")
        self.assertStatus(r, 200)
        self.assertEqual([m["seq"] for m in r.body["messages"]], list(range(1, 231)))
        r = self.server.client(tok).get(f"/api/v1/sessions/{s['id']}/transcript")
        lines = [ln for ln in r.body.decode().splitlines() if ln.startswith("[")]
        self.assertEqual(len(lines), 230)
        self.assertTrue(lines[-1].endswith("message number 229"), lines[-1])

    def test_who_may_have_it(self):
        s, _ = self.conversation()
        path = f"/api/v1/sessions/{s['id']}/transcript"
        self.assertError(self.server.client(self.other_token).get(path), 404, "not_found")
        self.assertError(self.server.client().get(path), 401, "unauthenticated")
        bot = self.server.client(self.admin_token).post("/api/v1/bots", {"name": "b"}).body
        self.assertError(self.server.client(bot["token"]).get(path), 403, "forbidden")
        self.assertError(self.server.client(self.agent_token).get(path + "?format=pdf"), 400,
                         "validation_failed", "format")
        self.assertError(self.server.client(self.agent_token).get(
            "/api/v1/sessions/ses_AAAAAAAAAAAAAAAAAAAAAAAAAA/transcript"), 404, "not_found")


if __name__ == "__main__":
    unittest.main()
