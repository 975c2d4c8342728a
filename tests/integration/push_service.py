"""A push service on loopback for the web push tests (RFC 8030, 8291, 8292),
with the browser's side of each subscription.

It speaks the protocol and checks everything it receives, as a real push
service and a real browser would between them: the VAPID Authorization
(`vapid t=<JWT>, k=<key>`: k is the server's served public key, the JWT's
ES256 signature verifies against it, aud is this service's origin, exp is
in the future and at most 24 h away, sub is a mailto: or https: URI), the
TTL and Urgency headers, Content-Encoding aes128gcm; then it decrypts the
body with the subscription's private key and auth secret (RFC 8291: ECDH,
HKDF-SHA256 with "WebPush: info", the RFC 8188 header with its record
size, the 0x02 padding delimiter) and records the plaintext. A request
that fails a check is recorded with its error and answered 400.

Each subscription answers the statuses queued for it (201 when none
is), e.g. [429, 201] or [410]. Uses Debian's python3-cryptography."""

import base64
import http.server
import json
import os
import re
import threading
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hkdf(salt, ikm, info, length):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def decrypt_aes128gcm(body, ua_private, auth):
    """RFC 8291 section 3 from the user agent's side; returns the plaintext."""
    if len(body) < 21:
        raise ValueError("body shorter than the aes128gcm header")
    salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    if idlen != 65:
        raise ValueError(f"keyid of {idlen} bytes, not a P-256 point")
    as_public = body[21:21 + idlen]
    ciphertext = body[21 + idlen:]
    if rs < 18 or len(ciphertext) > rs:
        raise ValueError(f"record size {rs} for a {len(ciphertext)}-byte record")
    ua_public = ua_private.public_key().public_bytes(Encoding.X962,
                                                     PublicFormat.UncompressedPoint)
    peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public)
    secret = ua_private.exchange(ec.ECDH(), peer)
    ikm = hkdf(auth, secret, b"WebPush: info\x00" + ua_public + as_public, 32)
    cek = hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    record = AESGCM(cek).decrypt(nonce, ciphertext, None).rstrip(b"\x00")
    if not record.endswith(b"\x02"):
        raise ValueError("no 0x02 delimiter: not the last record")
    return record[:-1]


def verify_vapid(authorization, served_key, audience):
    """Checks `vapid t=..., k=...` (RFC 8292); returns the JWT's claims."""
    if not authorization.startswith("vapid "):
        raise ValueError(f"not a vapid Authorization: {authorization[:40]!r}")
    params = dict(p.strip().split("=", 1) for p in authorization[6:].split(","))
    if params.get("k") != served_key:
        raise ValueError("k is not the server's served public key")
    header64, claims64, sig64 = params["t"].split(".")
    header = json.loads(unb64url(header64))
    if header.get("alg") != "ES256":
        raise ValueError(f"alg {header.get('alg')!r}")
    sig = unb64url(sig64)
    if len(sig) != 64:
        raise ValueError("an ES256 signature is r || s, 64 bytes")
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(served_key))
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    try:
        key.verify(der, f"{header64}.{claims64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise ValueError("the VAPID JWT's signature does not verify") from None
    claims = json.loads(unb64url(claims64))
    now = time.time()
    if claims.get("aud") != audience:
        raise ValueError(f"aud {claims.get('aud')!r}, not {audience!r}")
    if not (now < claims.get("exp", 0) <= now + 24 * 3600):
        raise ValueError(f"exp {claims.get('exp')!r} not within the next 24 h")
    sub = claims.get("sub", "")
    if not (sub.startswith("mailto:") or sub.startswith("https:")):
        raise ValueError(f"sub {sub!r}")
    return claims


class PushService:
    def __init__(self):
        self.served_key = None  # set by the test from GET /api/v1/push/vapid-public-key
        self.lock = threading.Lock()
        self.subs = {}  # id -> {"private": key, "auth": bytes, "answers": [status, ...]}
        self.requests = []  # each: {"sub", "status", "error", "payload", "headers"}
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                service.handle(self)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def subscribe(self, answers=()):
        """A browser's new subscription: the PushSubscription JSON a page
        sends to the server, with its keys kept here to decrypt."""
        sub_id = b64url(os.urandom(12))
        private = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        with self.lock:
            self.subs[sub_id] = {"private": private, "auth": auth, "answers": list(answers)}
        public = private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        return {"endpoint": f"{self.origin}/push/{sub_id}", "expirationTime": None,
                "keys": {"p256dh": b64url(public), "auth": b64url(auth)}}

    def handle(self, h):
        body = h.rfile.read(int(h.headers.get("Content-Length", "0")))
        sub_id = h.path.rsplit("/", 1)[-1]
        rec = {"sub": sub_id, "error": None, "payload": None,
               "headers": {k.lower(): v for k, v in h.headers.items()}}
        with self.lock:
            sub = self.subs.get(sub_id)
            status = sub["answers"].pop(0) if sub and sub["answers"] else 201
        try:
            if sub is None:
                status = 404
                raise ValueError("no such subscription")
            if h.headers.get("Content-Encoding") != "aes128gcm":
                raise ValueError(f"Content-Encoding {h.headers.get('Content-Encoding')!r}")
            if not h.headers.get("TTL", "").isdigit():
                raise ValueError(f"TTL {h.headers.get('TTL')!r}")
            if h.headers.get("Urgency") not in ("very-low", "low", "normal", "high"):
                raise ValueError(f"Urgency {h.headers.get('Urgency')!r}")
            topic = h.headers.get("Topic")
            if topic is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", topic):
                raise ValueError(f"Topic {topic!r}: RFC 8030 wants at most 32 base64url chars")
            if len(body) > 4096:
                raise ValueError(f"a {len(body)}-byte body: over the 4096 bytes of RFC 8030")
            rec["claims"] = verify_vapid(h.headers.get("Authorization", ""), self.served_key,
                                         self.origin)
            rec["payload"] = json.loads(decrypt_aes128gcm(body, sub["private"], sub["auth"]))
        except Exception as e:  # noqa: BLE001 - every failed check is recorded
            rec["error"] = f"{type(e).__name__}: {e}"
            if status < 400:
                status = 400
        rec["status"] = status
        with self.lock:
            self.requests.append(rec)
        h.send_response(status)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def received(self, endpoint=None):
        sub_id = endpoint.rsplit("/", 1)[-1] if endpoint else None
        with self.lock:
            return [r for r in self.requests if sub_id is None or r["sub"] == sub_id]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
