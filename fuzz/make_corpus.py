#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/.

Run once after changing it (python3 fuzz/make_corpus.py) and commit the
files it writes; scripts/fuzz.sh never runs it. It only (re)writes the
files named here, so regression-* inputs kept next to them stay. Every seed
is small and means something: see fuzz/README.md for the input layout of
each target.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def write_all(target, seeds):
    """Writes every {name: bytes or text} seed of one target."""
    for name, data in seeds.items():
        write(target, name, data)


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# --- fuzz_http_request: byte 0 seeds the read sizes (0 = one read) ---------------

def http(name, seed, text):
    write("fuzz_http_request", name, bytes([seed]) + (text.encode("utf-8") if isinstance(text, str) else text))


def post(path, body, extra=""):
    return (f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            f"{extra}Content-Length: {len(body.encode('utf-8'))}\r\n\r\n{body}")


def http_seeds():
    http("get_healthz", 0, "GET /healthz HTTP/1.1\r\nHost: localhost:8080\r\n\r\n")
    http("get_healthz_split", 7, "GET /healthz HTTP/1.1\r\nHost: localhost:8080\r\n\r\n")
    http("get_query_bearer", 3,
         "GET /api/v1/sessions/s_123/messages?after_seq=10&limit=50&status=open HTTP/1.1\r\n"
         "Host: localhost\r\nAuthorization: Bearer tok_abcdefghijklmnop\r\n"
         "Origin: http://localhost:8080\r\n\r\n")
    http("post_login", 0, post("/api/v1/auth/login",
                                compact({"email": "admin@example.com", "password": "hunter22"})))
    http("post_message_split", 11, post("/api/v1/sessions/s_1/messages",
                                        compact({"content": "hi ☺", "client_msg_id": "c1"}),
                                        "Authorization: Bearer t\r\n"))
    # keep-alive pipelined pair, then an HTTP/1.0 request that closes
    http("pipelined_pair", 0,
         "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
         + post("/api/v1/customers", compact({"name": "Ann", "language": "en"})))
    http("pipelined_split", 5,
         post("/api/v1/auth/login", compact({"email": "a@b.c", "password": "x"}))
         + "GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n"
         + "GET /healthz HTTP/1.0\r\n\r\n")
    http("chunked_body", 0,
         "POST /api/v1/tickets HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
         "Content-Type: application/json\r\n\r\n"
         "10\r\n{\"session_id\":\"s\r\n"
         "1b\r\n_1\",\"issue_description\":\"x\"}\r\n"
         "0\r\n\r\n")
    http("chunked_trailer_split", 9,
         "POST /api/v1/bots HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
         "e\r\n{\"name\":\"bot\"}\r\n0\r\nX-Trailer: 1\r\n\r\n"
         "GET /healthz HTTP/1.1\r\n\r\n")
    http("chunked_too_large", 0,
         "POST /api/v1/bots HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
         + "1000\r\n" + "a" * 4096 + "\r\n" + "1000\r\n" + "b" * 4096 + "\r\n" + "10\r\n" + "c" * 16 + "\r\n0\r\n\r\n")
    http("upgrade_ws", 0,
         b"GET /api/v1/ws?token=tok_abc HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
         b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
         b"Sec-WebSocket-Version: 13\r\n\r\n"
         b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58")
    http("upgrade_other_path_then_get", 4,
         "GET /healthz HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\r\n"
         "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    http("header_too_large", 0,
         "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "x" * 5000 + "\r\n\r\n")
    http("many_headers_split", 13,
         "GET / HTTP/1.1\r\n" + "".join(f"X-H{i}: {'v' * 40}\r\n" for i in range(80)) + "\r\n")
    http("url_too_large", 0, "GET /" + "a" * 4200 + " HTTP/1.1\r\n\r\n")
    http("body_too_large", 0,
         "POST /api/v1/customers HTTP/1.1\r\nHost: a\r\nContent-Length: 9000\r\n\r\n" + "{" * 100)
    http("absolute_form", 0, "GET http://example.com/healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    http("asterisk_form", 0, "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
    http("percent_path", 0, "GET /api/v1/sessions/s%5F1/messages?token=a%20b+c HTTP/1.1\r\n\r\n")
    http("percent_nul", 0, "GET /a%00b HTTP/1.1\r\n\r\n")
    http("percent_bad", 0, "GET /a%zz HTTP/1.1\r\n\r\nGET /%4 HTTP/1.1\r\n\r\n")
    http("duplicate_headers", 2,
         "GET / HTTP/1.1\r\nAuthorization: Bearer one\r\nauthorization: Bearer two\r\n"
         "Content-Type: a\r\nCONTENT-TYPE: b\r\n\r\n")
    http("bad_version", 0, "GET / HTTP/9.9\r\n\r\n")
    http("bad_method", 0, "BREW /pot HTTP/1.1\r\n\r\n")
    http("content_length_twice", 0,
         "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
    http("cl_and_chunked", 0,
         "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    http("garbage", 0, b"\x00\x01\x02\xff\xfe\r\n\r\n\x16\x03\x01\x02\x00")
    http("tls_hello", 1, b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(range(32)))
    http("bare_lf", 6, "GET /healthz HTTP/1.1\nHost: a\n\n")


# --- fuzz_ws_frames: byte 0 seeds the read sizes, then client frames ------------------

def frame(opcode, payload, fin=True, mask=b"\x00\x00\x00\x00", rsv=0):
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    mask_bit = 0x80 if mask is not None else 0
    if n < 126:
        head = bytes([b0, mask_bit | n])
    elif n < 65536:
        head = bytes([b0, mask_bit | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, mask_bit | 127]) + struct.pack(">Q", n)
    if mask is None:
        return head + payload
    masked = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
    return head + mask + masked


TEXT, BINARY, CONT, CLOSE, PING, PONG = 1, 2, 0, 8, 9, 10


def ws(name, seed, *frames):
    write("fuzz_ws_frames", name, bytes([seed]) + b"".join(frames))


def ws_seeds():
    # A zero masking key keeps the JSON readable for the mutator.
    ws("subscribe", 0, frame(TEXT, compact({"type": "subscribe", "session_id": "s_1", "after_seq": 5})))
    ws("unsubscribe", 0, frame(TEXT, compact({"type": "unsubscribe", "session_id": "s_1"})))
    ws("message_send", 0, frame(TEXT, compact({"type": "message.send", "session_id": "s_1",
                                               "content": "héllo 𝄞", "client_msg_id": "c-1",
                                               "message_type": "text"})))
    ws("typing", 0, frame(TEXT, compact({"type": "typing", "session_id": "s_1"})))
    ws("ping_json", 0, frame(TEXT, compact({"type": "ping"})))
    ws("unknown_type", 0, frame(TEXT, compact({"type": "dance", "client_msg_id": "c-9"})))
    ws("not_json", 0, frame(TEXT, "not json"))
    ws("negative_after_seq", 0, frame(TEXT, compact({"type": "subscribe", "session_id": "s", "after_seq": -1})))
    ws("masked_key", 3, frame(TEXT, compact({"type": "ping"}), mask=b"\x37\xfa\x21\x3d"))
    ws("several_split", 9,
       frame(TEXT, compact({"type": "subscribe", "session_id": "s_1"}), mask=b"\x01\x02\x03\x04"),
       frame(PING, "p", mask=b"\xaa\xbb\xcc\xdd"),
       frame(TEXT, compact({"type": "typing", "session_id": "s_1"})),
       frame(PONG, ""))
    ws("fragmented", 0,
       frame(TEXT, '{"type":"message.send","session_id":"s_1",', fin=False),
       frame(PING, "in between"),
       frame(CONT, '"content":"split across frames"}'))
    ws("fragmented_split", 17,
       frame(TEXT, '{"type":', fin=False, mask=b"\x10\x20\x30\x40"),
       frame(CONT, '"pi', fin=False, mask=b"\x50\x60\x70\x80"),
       frame(CONT, 'ng"}', mask=b"\x90\xa0\xb0\xc0"))
    ws("fragmented_utf8_boundary", 0,
       frame(TEXT, b'{"type":"typing","session_id":"\xc3', fin=False),
       frame(CONT, b'\xa9"}'))
    ws("continuation_without_start", 0, frame(CONT, "x"))
    ws("ping_control", 0, frame(PING, "are you there"))
    ws("close_with_code", 0, frame(CLOSE, struct.pack(">H", 1000) + b"bye"))
    ws("close_bad_code", 0, frame(CLOSE, struct.pack(">H", 999)))
    ws("close_one_byte", 0, frame(CLOSE, b"\x03"))
    ws("close_then_more", 0, frame(CLOSE, b""), frame(TEXT, compact({"type": "ping"})))
    ws("binary", 0, frame(BINARY, b"\x00\x01\x02\x03"))
    ws("invalid_utf8_overlong", 0, frame(TEXT, b'{"type":"\xc0\xaf"}'))
    ws("invalid_utf8_surrogate", 0, frame(TEXT, b'{"type":"\xed\xa0\x80"}'))
    ws("invalid_utf8_too_big", 0, frame(TEXT, b'{"type":"\xf4\x90\x80\x80"}'))
    ws("invalid_utf8_truncated", 0, frame(TEXT, b'{"type":"ping"}\xe2\x82'))
    ws("valid_utf8_edges", 0, frame(TEXT, compact({"type": "typing",
                                                   "session_id": "\u0080\u07ff\u0800\ufffd\U00010000\U0010ffff"})))
    ws("unmasked", 0, frame(TEXT, compact({"type": "ping"}), mask=None))
    ws("rsv_bits", 0, frame(TEXT, compact({"type": "ping"}), rsv=4))
    ws("control_too_long", 0, frame(PING, "p" * 126))
    ws("fragmented_control", 0, frame(PING, "p", fin=False))
    ws("frame_over_limit", 0, frame(TEXT, '{"type":"ping","pad":"' + "x" * 1100 + '"}'))
    ws("message_over_limit", 5,
       *[frame(CONT if i else TEXT, "y" * 1000, fin=(i == 4)) for i in range(5)])
    ws("length_64bit_huge", 0, b"\x81\xff" + struct.pack(">Q", 1 << 62) + b"\x00\x00\x00\x00abc")
    ws("length_64bit_msb", 0, b"\x81\xff" + struct.pack(">Q", 1 << 63) + b"\x00\x00\x00\x00")
    ws("length_16bit_small", 0, b"\x81\xfe\x00\x05\x00\x00\x00\x00hello")
    ws("unknown_opcode", 0, frame(3, "?"))


# --- fuzz_json_request: the bytes are a body ----------------------------------------------

def json_seeds():
    bodies = {
        "login": {"email": "admin@example.com", "password": "correct horse"},
        "agent": {"name": "Bea", "email": "bea@example.com", "password": "pw12345678",
                  "role": "admin", "language": "de"},
        "customer": {"name": "Ann", "email": "ann@example.com", "identifier": "u42",
                     "identifier_hash": "ab" * 32, "language": "en"},
        "session": {"topic": "billing", "strategies": [{"name": "profanity_filter"},
                                                       {"name": "rate_limit", "per_minute": 10}]},
        "session_no_strategies": {"topic": "help", "strategies": []},
        "session_null_strategies": {"topic": "help", "strategies": None},
        "session_strategies_object": {"topic": "help", "strategies": {"name": "x"}},
        "assign": {"agent_id": "a_1"},
        "message": {"content": "Hello there", "type": "text", "client_msg_id": "m-1"},
        "ticket": {"session_id": "s_1", "issue_description": "refund please"},
        "ticket_patch": {"status": "resolved"},
        "feedback": {"rating": 5, "comment": "great"},
        "feedback_float": {"rating": 4.5},
        "bot": {"name": "helper"},
        "ws_subscribe": {"type": "subscribe", "session_id": "s_1", "after_seq": 3},
        "ws_message_send": {"type": "message.send", "session_id": "s_1", "content": "x",
                            "client_msg_id": "c" * 140},
        "ws_unknown": {"type": "wave", "client_msg_id": "k"},
        "wrong_types": {"email": 5, "password": ["x"], "name": True, "content": {}, "rating": "5",
                        "topic": None, "type": 1},
        "nulls": {"email": None, "password": None, "comment": None},
        "big_numbers": {"rating": 99999999999999999999, "after_seq": 9223372036854775807,
                        "type": "subscribe", "session_id": "s"},
    }
    write_all("fuzz_json_request", {name: compact(body) for name, body in bodies.items()})
    raw = {
        "big_float": '{"rating":1e400,"after_seq":-0}',
        "duplicate_keys": '{"email":"a@b.c","email":"d@e.f","password":"p"}',
        "nul_escape": '{"name":"a\\u0000b","content":"x"}',
        "nul_in_key": '{"na\\u0000me":"x"}',
        "raw_nul": b'{"name":"a\x00b"}',
        "surrogates": '{"content":"\\ud83d\\ude00","name":"\\ud800"}',
        "invalid_utf8": b'{"name":"\xff\xfe","topic":"\xc3"}',
        "deep_nesting": "[" * 3000 + "]" * 3000,
        "deep_object": '{"topic":"t","strategies":' + '[{"a":' * 500 + "1" + "}]" * 500 + "}",
        "not_object_array": '[{"name":"x"}]',
        "not_object_string": '"just a string"',
        "empty": "",
        "whitespace": " \t\r\n",
        "bom": b"\xef\xbb\xbf{}",
        "trailing_garbage": '{"name":"x"} {"name":"y"}',
        "truncated": '{"email":"a@b.c","pass',
        "strategies_empty_array": "[]",
        "strategies_list": '[{"name":"spam_filter","threshold":3}]',
        "strategies_bad_entry": '[1,{"nom":"x"}]',
    }
    write_all("fuzz_json_request", raw)


# --- fuzz_config: NUL-separated arguments, 0xFF, NUL-separated NAME=value -----------------

def config(name, args, env=None):
    data = b"\x00".join(a.encode("utf-8") if isinstance(a, str) else a for a in args)
    if env is not None:
        data += b"\xff" + b"\x00".join(e.encode("utf-8") for e in env)
    write("fuzz_config", name, data)


def config_seeds():
    config("listen_port0", ["--listen", "127.0.0.1:0"])
    config("many_equals", ["--listen=[::1]:8080", "--durability=normal", "--log-level=debug",
                           "--data-dir=/tmp/p", "--worker-threads=4", "--batch-max=64",
                           "--site-secret=s3cret", "--default-strategies=[]"])
    config("limits", ["--max-header-bytes", "4096", "--max-body-bytes", "8192",
                      "--ws-max-frame-bytes=1024", "--ws-max-message-bytes=4096",
                      "--ws-max-pending-bytes=65536", "--password-memlimit-kib=19456"])
    config("env_only", [], ["PARLEY_LISTEN=0.0.0.0:80", "PARLEY_MAX_BODY_BYTES=2048",
                            "PARLEY_LOG_LEVEL=warn", "PARLEY_TOKEN_LIFETIME_S=3600"])
    config("env_and_flag", ["--listen=127.0.0.1:9"], ["PARLEY_LISTEN=nonsense",
                                                      "PARLEY_DURABILITY=full"])
    config("help", ["--help", "-h"])
    config("unknown_flag", ["--bogus=1"])
    config("missing_value", ["--listen"])
    config("out_of_range", ["--max-connections=0"])
    config("frame_over_message", ["--ws-max-frame-bytes=70000"])
    config("not_a_number", ["--worker-threads", " 4"])
    config("huge_number", ["--worker-threads=99999999999999999999"])
    config("bad_listen", ["--listen=8080"])
    config("bad_port", ["--listen=host:65536"])
    config("empty_data_dir", ["--data-dir="])
    config("bad_durability", ["--durability=sometimes"])
    config("env_bad_number", [], ["PARLEY_BATCH_MAX=12abc"])
    config("log_format_json", ["--log-format=json", "--access-log", "off"],
           ["PARLEY_LOG_LEVEL=debug"])
    config("bad_log_format", ["--log-format=xml"])
    config("bad_access_log", [], ["PARLEY_ACCESS_LOG=yes"])


# --- fuzz_http_headers: one header value (up to the first NUL) -------------------

def header_seeds():
    seeds = {
        "request_id_uuid": "3f2a9c1e-7b4d-4c1a-9e55-0f6b7a2d8c10",
        "request_id_chars": "a.b_c:d/e+f=g@h~i",
        "request_id_128": "r" * 128,
        "request_id_129": "r" * 129,
        "request_id_space": "has space",
        "request_id_crlf": "id\r\nX-Injected: 1",
        "etag": '"7d46-6b161e8d.c26c2e9"',
        "etag_weak": 'W/"7d46-6b161e8d.c26c2e9"',
        "etag_list": '"a", W/"b" ,"7d46-6b161e8d.c26c2e9"',
        "etag_star": " * ",
        "etag_unterminated": '"7d46',
        "etag_junk_after": '"a" b',
        "date_imf": "Sun, 06 Nov 1994 08:49:37 GMT",
        "date_rfc850": "Sunday, 06-Nov-94 08:49:37 GMT",
        "date_asctime": "Sun Nov  6 08:49:37 1994",
        "date_leap_day": "Thu, 29 Feb 2024 23:59:59 GMT",
        "date_feb_31": "Sat, 31 Feb 2024 00:00:60 GMT",
        "date_year_0": "Sat, 01 Jan 0000 00:00:00 GMT",
        "date_bad_zone": "Sun, 06 Nov 1994 08:49:37 UTC",
        "log_quotes": 'say "hi" \\ k=v',
        "log_controls": "a\nb\tc\x1b[0m\x7f",
        "log_utf8": "caf\u00e9 \u263a \U0001F600",
    }
    write_all("fuzz_http_headers", seeds)
    # bytes that are not UTF-8: a lone continuation, a truncated sequence,
    # an overlong slash, a surrogate
    write("fuzz_http_headers", "log_bad_utf8", b"/a\x80b\xe2\x82 \xc0\xaf \xed\xa0\x80")


# --- the parsers of issue 9 (one target each; see fuzz/README.md) ----------------

def time_parse_seeds():
    for name, text in [("epoch_ms", "1764000000000"), ("epoch_zero", "0"),
                       ("epoch_16_digits", "1234567890123456"), ("date", "2026-11-24"),
                       ("leap_day", "2024-02-29"), ("not_leap", "2023-02-29"),
                       ("century_not_leap", "1900-02-29"), ("year_zero", "0000-01-01"),
                       ("utc", "2026-11-24T05:49:19Z"), ("millis", "2026-11-24T05:49:19.123Z"),
                       ("micros", "2026-11-24T05:49:19.123456z"),
                       ("offset", "2026-11-24T05:49:19+05:30"),
                       ("negative_offset", "1970-01-01T00:00:00-23:59"),
                       ("leap_second", "2016-12-31T23:59:60Z"), ("space_sep", "2026-11-24 05:49:19Z"),
                       ("bad_month", "2026-13-01"), ("no_zone", "2026-11-24T05:49:19"),
                       ("signed", "-5"), ("empty_fraction", "2026-11-24T05:49:19.Z")]:
        write("fuzz_time_parse", name, text)


def search_seeds():
    for name, text in [("words", "forgot password"), ("prefix", "pass* reset"),
                       ("quotes", 'say "hi" to\"them'), ("operators", "a OR b NOT c NEAR(d e)"),
                       ("column", "content:secret title:*"), ("only_punct", "*** ... !!!"),
                       ("utf8", "contraseña olvidé 密码"), ("tabs", "a\tb\nc\rd\fe\vf"),
                       ("seventeen", " ".join(f"w{i}" for i in range(17))),
                       ("long", "x" * 257), ("snippet", "a \x02hit\x03 & <b>'q'</b> \"end\""),
                       ("lone_star", "* a"),
                       # terms cut at '|' go to the FTS5 builder as they are
                       ("raw_terms", 'two words|"q" OR x|*|pre*|'),
                       ("symbols_only", "\u20ac parcel \u2603\u2603\u2603*")]:
        write("fuzz_search_query", name, text)


def path_seeds():
    # byte 0 picks the route pattern
    for name, pat, text in [("label", 0, "/api/v1/labels/tied%20up"),
                            ("percent", 0, "/api/v1/labels/100%25"),
                            ("double", 0, "/api/v1/labels/%2541"),
                            ("slash", 0, "/api/v1/labels/a%2Fb"),
                            ("nul", 0, "/api/v1/labels/a%00b"),
                            ("bad_escape", 0, "/api/v1/labels/%G1%4"),
                            ("plus", 3, "/api/v1/strategies/profanity/allowlist/a+b"),
                            ("session_label", 2, "/api/v1/sessions/s_123/labels/vip%E2%9C%93"),
                            ("long_id", 1, "/api/v1/sessions/" + "a" * 40),
                            ("utf8_word", 0, "caf\u00e9 \u2603"),
                            ("healthz", 5, "/healthz"),
                            # a word is decoded once: "%41" stays "%41", "100%" is reachable
                            ("regression-double-decode", 0, "%41"),
                            ("regression-percent-word", 0, "100%")]:
        write("fuzz_path_decode", name, bytes([pat]) + text.encode("utf-8"))


def origin_seeds():
    for name, lst, origin, host in [
            ("listed", "https://a.example, https://b.example:8443", "https://B.example:8443", "x"),
            ("same_origin", "", "http://localhost:8080", "localhost:8080"),
            ("star", "*", "https://evil.example", "chat.example"),
            ("other", "https://a.example", "https://evil.example", "a.example"),
            ("ipv6", "http://[::1]:8080", "http://[::1]:8080", ""),
            ("path_refused", "https://a.example/path", "", ""),
            ("ftp_refused", "ftp://a.example", "", ""),
            ("null_origin", "https://a.example", "null", "a.example"),
            ("many", ",".join(f"http://h{i}.example" for i in range(65)), "http://h1.example", "")]:
        write("fuzz_origin_policy", name, "\0".join([lst, origin, host]))
    write("fuzz_origin_policy", "no_origin", "https://a.example")


def ws_handshake_seeds():
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    def req(extra, policy=0):
        return bytes([policy]) + (
            "GET /api/v1/ws HTTP/1.1\r\nHost: localhost:8080\r\n" + extra + "\r\n").encode()
    up = f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
    write("fuzz_ws_handshake", "ok", req(up + "Sec-WebSocket-Version: 13\r\n"))
    write("fuzz_ws_handshake", "ok_origin", req(up + "Sec-WebSocket-Version: 13\r\n"
                                                "Origin: http://localhost:8080\r\n"))
    write("fuzz_ws_handshake", "foreign_origin", req(up + "Sec-WebSocket-Version: 13\r\n"
                                                     "Origin: https://evil.example\r\n", 2))
    write("fuzz_ws_handshake", "version_8", req(up + "Sec-WebSocket-Version: 8\r\n"))
    write("fuzz_ws_handshake", "keep_alive_upgrade", req(
        f"Upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n"))
    write("fuzz_ws_handshake", "regression-substring-token", req(
        f"Upgrade: notwebsocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n"))
    write("fuzz_ws_handshake", "short_key", req(
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: abc\r\n"))
    write("fuzz_ws_handshake", "fields", b"\x01" + b"\0".join(
        [b"websocket", b"Upgrade", key.encode(), b"13", b"https://chat.example.com", b"x"]))
    write("fuzz_ws_handshake", "fields_upgrade_insecure", b"\x00" + b"\0".join(
        [b"websocket, h2c", b"upgrade-insecure-requests", key.encode(), b"13"]))


def cursor_seeds():
    for name, text in [("empty", ""), ("one", "1"), ("position", "1234"),
                       ("int64_max", "9223372036854775807"), ("over_max", "9223372036854775808"),
                       ("regression-strtoll-clamp", "9999999999999999999"), ("twenty_digits", "1" * 20),
                       ("zero", "0"), ("leading_zeros", "0007"), ("regression-strtoll-plus", "+5"), ("regression-strtoll-space", " 5"),
                       ("negative", "-1"), ("trailing", "12abc")]:
        write("fuzz_paging_cursor", name, text)
    write("fuzz_paging_cursor", "no_nul_after", b"42\x0099")


def libre_seeds():
    for name, obj in [("ok", {"translatedText": "Hola, ¿cómo estás?"}),
                      ("ok_extra", {"translatedText": "x", "detectedLanguage": {"confidence": 90,
                                                                                 "language": "en"}}),
                      ("number", {"translatedText": 5}), ("null", {"translatedText": None}),
                      ("error", {"error": "Invalid API key"}), ("empty", {"translatedText": ""}),
                      ("array_text", {"translatedText": ["a", "b"]})]:
        write("fuzz_libre_answer", name, compact(obj))
    write("fuzz_libre_answer", "escaped_nul", '{"translatedText":"a\\u0000b"}')
    write("fuzz_libre_answer", "lone_surrogate", '{"translatedText":"\\ud800"}')
    write("fuzz_libre_answer", "not_object", '["translatedText"]')
    write("fuzz_libre_answer", "truncated", '{"translatedText":"abc')
    write("fuzz_libre_answer", "html_error", "<html><body>502 Bad Gateway</body></html>")


def langdetect_seeds():
    # byte 0: bits 0-1 min_chars (0, 1, 10, 40), bits 2-4 known language
    for name, b0, text in [("english", 0, "Hello, I cannot log in to my account since yesterday."),
                           ("spanish", 1 << 2, "Hola, no puedo entrar en mi cuenta desde ayer."),
                           ("french", 2, "Bonjour, je ne peux plus me connecter depuis hier."),
                           ("portuguese", 3, "Olá, não consigo entrar na minha conta desde ontem."),
                           ("catalan", 5 << 2, "Hola, no puc entrar al meu compte des d'ahir."),
                           ("short", 2 | (3 << 2), "ok"), ("german_known", 6 << 2,
                                                           "Guten Tag, ich kann mich nicht anmelden."),
                           ("mixed", 0, "Hello hola bonjour olá"), ("digits", 1, "1234 5678 !!!"),
                           ("invalid_utf8", 0, b"caf\xc3 \xff\xfe na\xefve"),
                           ("long", 0, "the quick brown fox " * 120)]:
        write("fuzz_langdetect", name, bytes([b0]) + (text if isinstance(text, bytes)
                                                      else text.encode("utf-8")))


def stopwords_seeds():
    # the message as it is (any bytes)
    write_all("fuzz_stopwords", {
        "english": "What the fuck, my order has not arrived yet and the tracking page shows nothing.",
        "spanish": "Joder, mi pedido todavía no ha llegado y la página de seguimiento no muestra nada.",
        "french": "Putain, ma commande n'est toujours pas arrivée et la page de suivi n'affiche rien.",
        "german": "Hallo, ich möchte wissen, wann mein Paket kommt. Bitte helfen Sie mir, danke.",
        "italian": "Ciao, vorrei sapere quando arriva il mio pacco, sono due settimane che aspetto.",
        "portuguese": "Olá, a minha encomenda ainda não chegou e a página não mostra nada.",
        "mixed": "Hola, thanks for the ayuda, gracias",
        "shared_only": "de la que de la que",
        "uppercase": "THE ORDER IS NOT HERE AND THE PAGE SHOWS NOTHING",
        "nul_inside": b"the order is not here\x00und die Seite zeigt nichts",
        "long_word": "a" * 40 + " the and is " + "b" * 16,
        "invalid_utf8": b"caf\xc3 \xff\xfe na\xefve the and",
    })


def kb_seeds():
    def kb(name, flag, body, q=None):
        data = bytes([flag]) + (compact(body) if not isinstance(body, str) else body).encode()
        if q is not None:
            data += b"\xff" + q.encode("utf-8")
        write("fuzz_kb_match", name, data)
    kb("create", 0, {"question": "How do I reset my password?", "answer": "Use the link.",
                     "alternatives": ["forgot password", "cannot log in"], "tags": ["account"]},
       "I forgot my pasword")
    kb("create_es", 0, {"question": "¿Cómo cambio mi contraseña?", "answer": "Desde el perfil."},
       "contraseña olvidada")
    kb("stopwords_only", 0, {"question": "the and of", "answer": "a"}, "the")
    kb("update", 1, {"tags": ["billing", "faq"]})
    kb("update_empty", 1, {})
    kb("unknown_field", 0, {"question": "q", "answer": "a", "id": "x"})
    kb("bad_types", 0, {"question": 5, "answer": ["a"], "alternatives": "x"})
    kb("control_char", 0, {"question": "a\u0001b", "answer": "a"})
    kb("too_many_alts", 0, {"question": "q", "answer": "a", "alternatives": ["x"] * 21})
    kb("ligatures", 0, {"question": "ﬁnd Ｆｕｌｌｗｉｄｔｈ Straße", "answer": "a",
                        "alternatives": ["find fullwidth strasse"]}, "FIND")
    kb("not_json", 0, "question=x", "hello")


def settings_seeds():
    # byte 0 picks the key in the registry's order (core/settings.c)
    for name, idx, value in [("mode", 0, '"least_busy"'), ("mode_bad", 0, '"random"'),
                             ("capacity", 1, "5"), ("capacity_zero", 1, "0"),
                             ("capacity_real", 1, "5.0"), ("capacity_huge", 1, "99999999999999999999"),
                             ("requeue", 2, "86400"), ("bot_enabled", 4, "true"),
                             ("bot_enabled_string", 4, '"true"'), ("bot_id", 5, '"bot_1"'),
                             ("greeting_empty", 6, '""'), ("regression-no-answer-empty", 8, '""'),
                             ("regression-handoff-empty", 9, '""'), ("greeting_control", 6, '"hi\\u0007"'),
                             ("hours", 10, compact({"timezone": "Europe/Madrid",
                                                    "days": {"mon": [["09:00", "18:00"]]}})),
                             ("hours_array", 10, "[]"), ("confidence", 11, "100"),
                             ("auto_close", 13, "31536000"), ("null", 3, "null")]:
        write("fuzz_settings", name, bytes([idx]) + value.encode("utf-8"))


def business_hours_seeds():
    for name, value in [
            ("madrid", {"timezone": "Europe/Madrid", "days": {
                "mon": [["09:00", "13:00"], ["15:00", "18:00"]], "fri": [["09:00", "15:00"]]}}),
            ("utc_all_week", {"timezone": "UTC", "days": {d: [["00:00", "24:00"]] for d in
                                                          ["mon", "tue", "wed", "thu", "fri",
                                                           "sat", "sun"]}}),
            ("offset", {"timezone": "+05:30", "days": {"sat": [["10:00", "12:00"]]}}),
            ("no_zone", {"days": {"sun": [["08:00", "09:00"]]}}),
            ("empty", {}), ("closed_all", {"timezone": "America/New_York", "days": {}}),
            ("bad_zone", {"timezone": "Mars/Olympus", "days": {}}),
            ("traversal", {"timezone": "../../etc/passwd"}),
            ("regression-space-clock", {"days": {"mon": [[" 9:00", "18:00"]]}}),
            ("regression-negative-clock", {"days": {"mon": [["-1:00", "01:00"]]}}),
            ("regression-plus-minus-offset", {"timezone": "+-1:00", "days": {"mon": [["09:00", "10:00"]]}}),
            ("to_before_from", {"days": {"tue": [["18:00", "09:00"]]}}),
            ("bad_day", {"days": {"monday": [["09:00", "10:00"]]}}),
            ("extra_key", {"timezone": "UTC", "holidays": []})]:
        write("fuzz_business_hours", name, compact(value))
    write("fuzz_business_hours", "regression-not-object", "[1,2]")


def tzif_seeds():
    # byte 0 picks the system zone, bytes 1-8 the time, the rest a TZif file
    import struct as st
    zonedir = "/usr/share/zoneinfo"
    for name, idx, t, zone in [("madrid", 1, 1_700_000_000, "Europe/Madrid"),
                               ("new_york_future", 2, 4_102_444_800, "America/New_York"),
                               ("lord_howe", 3, 1_000_000_000, "Australia/Lord_Howe"),
                               ("kolkata", 4, 0, "Asia/Kolkata")]:
        path = os.path.join(zonedir, zone)
        tzif = open(path, "rb").read() if os.path.exists(path) else b""
        write("fuzz_tzif", name, bytes([idx]) + st.pack(">q", t) + tzif)
    write("fuzz_tzif", "fixed_offset", bytes([0]) + b"+05:30\0" + b"\0")
    write("fuzz_tzif", "truncated_header", bytes([5]) + st.pack(">q", 0) + b"TZif2" + b"\0" * 20)


# --- fuzz_ws_frame_guard: byte 0 picks the limits (low nibble: frame = 125 + 100 n;
# high nibble: message = frame + 300 n) and the read sizes; then client frames ---

def guard(name, seed, *frames):
    write("fuzz_ws_frame_guard", name, bytes([seed]) + b"".join(frames))


def ext_header(opcode, length, fin=True):
    """A masked header declaring length bytes, with no payload after it."""
    b0 = (0x80 if fin else 0) | opcode
    if length < 126:
        return bytes([b0, 0x80 | length]) + b"\x01\x02\x03\x04"
    if length < 65536:
        return bytes([b0, 0x80 | 126]) + struct.pack(">H", length) + b"\x01\x02\x03\x04"
    return bytes([b0, 0x80 | 127]) + struct.pack(">Q", length) + b"\x01\x02\x03\x04"


def guard_seeds():
    # seed 0x00: frame and message limit 125
    guard("header_2_pow_40", 0x00, ext_header(TEXT, 1 << 40))
    guard("header_2_pow_40_after_ping", 0x07, frame(PING, "p"), frame(TEXT, '{"type":"ping"}'),
          ext_header(TEXT, 1 << 40))
    guard("frame_at_limit", 0x01, frame(TEXT, "a" * 225), frame(TEXT, "b" * 10))
    guard("frame_one_over", 0x01, frame(TEXT, "a" * 226))
    guard("message_over_by_fragments", 0x11, frame(TEXT, "a" * 200, fin=False),
          frame(PING, "in between"), frame(CONT, "b" * 200, fin=False), ext_header(CONT, 200))
    guard("message_at_limit", 0x11, frame(TEXT, "a" * 225, fin=False), frame(CONT, "b" * 200))
    guard("control_with_16bit_length", 0x00, ext_header(PING, 300))
    guard("unmasked_64bit", 0x23, frame(BINARY, "x" * 70000, mask=None))
    guard("split_header", 0x09, frame(TEXT, "hello"), ext_header(CONT, 70000, fin=False))


# --- fuzz_webhook_target: byte 0 even = an address (bytes 1-16), odd = a URL ----------

def webhook_target_seeds():
    def addr(name, packed):
        write("fuzz_webhook_target", "addr_" + name, b"\x00" + packed)

    def url(name, text):
        write("fuzz_webhook_target", "url_" + name, b"\x01" + text.encode())
    addr("loopback_v4", bytes([127, 0, 0, 1]) + bytes(12))
    addr("metadata", bytes([169, 254, 169, 254]) + bytes(12))
    addr("cgnat", bytes([100, 64, 0, 1]) + bytes(12))
    addr("public_v4", bytes([8, 8, 8, 8]) + bytes(12))
    addr("unique_local_v6", bytes([0xFD, 0x12]) + bytes(13) + b"\x01")
    addr("link_local_v6", bytes([0xFE, 0x80]) + bytes(13) + b"\x01")
    addr("mapped_v6", bytes(10) + b"\xff\xff" + bytes([10, 0, 0, 1]))
    for name, text in [("loopback", "http://127.0.0.1:8080/h"),
                       ("private", "https://10.1.2.3/hook?x=1"),
                       ("metadata", "http://169.254.169.254/latest/meta-data/"),
                       ("v6_loopback", "http://[::1]:9000/"),
                       ("v6_mapped", "http://[::ffff:127.0.0.1]/"),
                       ("v6_zone", "http://[fe80::1%25eth0]/"),
                       ("public", "https://203.0.113.7/h"),
                       ("short_v4", "http://127.1/"),
                       ("hex_v4", "http://0x7f000001/"),
                       ("name", "https://hooks.example.com/in"),
                       ("userinfo", "http://user:pw@10.0.0.1@8.8.8.8/"),
                       ("ftp", "ftp://8.8.8.8/"),
                       ("no_scheme", "8.8.8.8/h"),
                       ("big_port", "http://8.8.8.8:99999/")]:
        url(name, text)


# --- fuzz_cluster_codec: byte 0 even = an envelope from Redis, odd = a --redis URL ------

def cluster_codec_seeds():
    def env(name, obj):
        write("fuzz_cluster_codec", "env_" + name, b"\x00" + compact(obj).encode())

    def url(name, text):
        write("fuzz_cluster_codec", "url_" + name, b"\x01" + text.encode())
    ses = "ses_" + "a" * 26
    frame = compact({"type": "message.created", "session_id": ses,
                     "message": {"seq": 7, "content": "hi \u00e9"}})
    env("message", {"v": 1, "n": "n_0123456789abcdef", "t": "message.created", "a": 2, "s": ses,
                    "c": "", "q": 7, "p": frame})
    env("labels", {"v": 1, "n": "n_1", "t": "session.updated", "a": 5, "s": ses,
                   "c": "cus_" + "b" * 26, "q": 0, "p": "{\"type\":\"session.updated\"}",
                   "f": "{\"type\":\"session.updated\",\"labels\":[\"x\"]}"})
    env("revoke", {"v": 1, "n": "n_2", "t": "token.revoked", "a": 16, "s": "", "c": "", "q": 0,
                   "r": ["a" * 64, "agt_" + "c" * 26, ""]})
    env("typing", {"v": 1, "n": "n_3", "t": "typing", "s": ses, "p": "{\"type\":\"typing\"}"})
    env("bad_version", {"v": 2, "n": "n", "t": "typing", "s": ses, "p": "x"})
    env("long_session", {"v": 1, "n": "n", "t": "message.created", "a": 2, "s": "s" * 80,
                         "c": "", "q": 1, "p": "x"})
    env("negative_seq", {"v": 1, "n": "n", "t": "message.created", "a": 2, "s": ses, "c": "",
                         "q": -1, "p": "x"})
    write("fuzz_cluster_codec", "env_nul_in_string",
          b'\x00{"v":1,"n":"n\\u0000x","t":"typing","s":"s","p":"x"}')
    for name, text in [("plain", "redis://127.0.0.1:6379"), ("db", "redis://redis.internal/3"),
                       ("no_port", "redis://localhost"), ("v6", "redis://[::1]:6380/1"),
                       ("unix", "unix:/run/redis/redis.sock"), ("unix_url", "unix:///tmp/r.sock"),
                       ("bad_port", "redis://h:0"), ("big_port", "redis://h:70000"),
                       ("userinfo", "redis://user:pw@h:6379"), ("relative_unix", "unix:r.sock"),
                       ("tls", "rediss://h:6379"), ("unclosed_v6", "redis://[::1:6379")]:
        url(name, text)


def main():
    cluster_codec_seeds()
    guard_seeds()
    http_seeds()
    ws_seeds()
    json_seeds()
    config_seeds()
    header_seeds()
    time_parse_seeds()
    search_seeds()
    path_seeds()
    origin_seeds()
    ws_handshake_seeds()
    cursor_seeds()
    libre_seeds()
    langdetect_seeds()
    stopwords_seeds()
    kb_seeds()
    settings_seeds()
    business_hours_seeds()
    tzif_seeds()
    webhook_target_seeds()


if __name__ == "__main__":
    main()
