"""Keeps docs/openapi.yaml honest.

Long (~1,300 lines) on purpose: check 3 calls every route of the table in
one live server's story (each call needs the ids the earlier ones made), so
the story stays in one file; the structural checks (1, 2) would be the
first to move out if it grows further.

Three kinds of check, each failing with the route and the mismatch named:

1. The document is a structurally valid OpenAPI 3 document, as far as can
   be checked without a full validator (only Debian's python3-yaml is
   used): every operation has responses, every $ref resolves inside the
   document, every `{x}` of a path is declared as a path parameter (and
   every declared path parameter is in the path), operationIds are unique,
   tags and security schemes named by operations exist.
2. The set of (method, path) in the document equals the route table
   `routes[]` of src/net/http/router.c.
3. Against a live parleyd, every route of the table is called (successes
   and the main errors); each answer must have a status the document lists
   for that operation, the headers it documents, a documented Content-Type
   and a body that validates against the documented schema. The checking
   is done by a standard validator, Ajv (JSON Schema 2020-12, strict),
   in tests/openapi/check_server.mjs, with a closed-world policy: an object
   field the document does not describe is an error. The standard npm
   validators' verdict on the document itself is tests/openapi/
   test_document.mjs (CTest openapi.document).
"""

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
import unittest

try:
    import yaml
except ImportError:  # python3-yaml (scripts/deps.sh installs it)
    yaml = None

from parley_harness import (METRICS_TOKEN, RawConn, ServerTestCase, make_agent, make_customer,
                            make_session, uniq, ws_handshake_request)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OPENAPI = os.path.join(ROOT, "docs", "openapi.yaml")
ROUTER = os.path.join(ROOT, "src", "net", "http", "router.c")

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PATH_ITEM_KEYS = set(HTTP_METHODS) | {"$ref", "summary", "description", "servers", "parameters"}
STATUS_KEY_RE = re.compile(r"^([1-5][0-9][0-9]|[1-5]XX|default)$")


def load_document():
    if yaml is None:
        raise unittest.SkipTest("PyYAML is not installed (Debian: python3-yaml)")
    with open(OPENAPI, encoding="utf-8") as f:
        return yaml.safe_load(f)


# --------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------

class RefError(Exception):
    pass


def resolve_pointer(doc, ref):
    """The node a local reference "#/a/b" names; RefError when it does not."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise RefError(f"{ref!r} is not a reference inside the document")
    node = doc
    pointer = ref[1:]
    if pointer == "":
        return node
    if not pointer.startswith("/"):
        raise RefError(f"{ref!r}: a JSON pointer must start with '/'")
    for raw in pointer[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise RefError(f"{ref!r}: no {part!r} there")
    return node


def deref(doc, node, seen=None):
    """Follows $ref chains (Reference Objects) to the node they name."""
    seen = set() if seen is None else seen
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            raise RefError(f"{ref!r}: reference cycle")
        seen.add(ref)
        node = resolve_pointer(doc, ref)
    return node


def walk_refs(node, where="#"):
    """Yields (location, ref) for every $ref in the tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            loc = f"{where}/{str(k).replace('~', '~0').replace('/', '~1')}"
            if k == "$ref":
                yield where, v
            else:
                yield from walk_refs(v, loc)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk_refs(v, f"{where}/{i}")


# --------------------------------------------------------------------------
# The response validator: tests/openapi/check_server.mjs (Ajv, JSON Schema
# 2020-12, strict, closed-world: see tests/openapi/openapi_check.mjs) as a
# child process. One JSON line per question, one per answer.
# --------------------------------------------------------------------------

OPENAPI_PKG = os.path.join(ROOT, "tests", "openapi")
CHECK_SERVER = os.path.join(OPENAPI_PKG, "check_server.mjs")


def _short(value, n=120):
    s = repr(value)
    return s if len(s) <= n else s[:n] + "..."


class NodeChecker:
    """The standard validator behind a pipe. Raises AssertionError (never
    skips) when node or the npm packages are missing: `make test` must run
    this check."""

    def __init__(self):
        node = shutil.which("node")
        if node is None:
            raise AssertionError("node is not installed: run scripts/deps.sh")
        if not os.path.isdir(os.path.join(OPENAPI_PKG, "node_modules", "ajv")):
            raise AssertionError("tests/openapi/node_modules is missing: run scripts/deps.sh "
                                 "(npm ci in tests/openapi)")
        self.proc = subprocess.Popen([node, CHECK_SERVER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, encoding="utf-8",
                                     cwd=OPENAPI_PKG)
        first = self.proc.stdout.readline()
        if not first or not json.loads(first).get("ready"):
            raise AssertionError(f"{CHECK_SERVER} did not start: {first!r}")

    def ask(self, question):
        self.proc.stdin.write(json.dumps(question) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"{CHECK_SERVER} exited (status {self.proc.poll()})")
        answer = json.loads(line)
        if "fatal" in answer:
            raise AssertionError(f"{CHECK_SERVER}: {answer['fatal']}")
        return answer["errors"]

    def response(self, method, template, resp):
        q = {"op": "response", "method": method, "template": template, "status": resp.status,
             "headers": resp.headers}
        if isinstance(resp.body, (bytes, bytearray)):
            q["body_text"] = bytes(resp.body).decode("utf-8", "replace")
        else:
            q["body"] = resp.body
        return self.ask(q)

    def schema(self, ref, value):
        return self.ask({"op": "schema", "ref": ref, "value": value})

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --------------------------------------------------------------------------
# The route table
# --------------------------------------------------------------------------

ROUTE_ENTRY_RE = re.compile(r"\b(JOB|PREPARED_JOB|CHAIN_JOB|INLINE)\(([^()]*)\)")


def router_routes():
    """[(kind, METHOD, pattern, needs_auth or None)] from routes[] in router.c."""
    with open(ROUTER, encoding="utf-8") as f:
        src = f.read()
    m = re.search(r"\broutes\[\]\s*=\s*\{(.*?)\n\};", src, re.S)
    if not m:
        raise AssertionError(f"{ROUTER}: no `routes[] = {{ ... }};` table found")
    out = []
    for kind, args in ROUTE_ENTRY_RE.findall(m.group(1)):
        parts = [a.strip() for a in args.split(",")]
        method = re.fullmatch(r"HTTP_([A-Z]+)", parts[0])
        pattern = re.fullmatch(r'"([^"]*)"', parts[1])
        if not method or not pattern:
            raise AssertionError(f"{ROUTER}: cannot read the route entry {kind}({args})")
        auth = None  # INLINE routes authenticate (or not) in their own handler
        if kind == "JOB":
            auth = parts[4] == "true"
        elif kind in ("PREPARED_JOB", "CHAIN_JOB"):
            auth = parts[4] == "true"
        out.append((kind, method.group(1), pattern.group(1), auth))
    if len(out) < 10:
        raise AssertionError(f"{ROUTER}: only {len(out)} routes read; has the table changed form?")
    return out


def normalise(path):
    """Path parameters of either spelling ("{id}", "{}") become "{}"."""
    return re.sub(r"\{[^/{}]*\}", "{}", path)


# --------------------------------------------------------------------------
# 1. Structure
# --------------------------------------------------------------------------

class OpenApiStructureTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.doc = load_document()

    def operations(self):
        for path, item in self.doc["paths"].items():
            item = deref(self.doc, item)
            for method in HTTP_METHODS:
                if method in item:
                    yield path, method, item, deref(self.doc, item[method])

    def test_top_level(self):
        d = self.doc
        self.assertIsInstance(d, dict, "openapi.yaml is not a mapping")
        self.assertRegex(str(d.get("openapi", "")), r"^3\.[01]\.\d+$", "openapi: version")
        self.assertIsInstance(d.get("info"), dict, "info is missing")
        for k in ("title", "version"):
            self.assertIsInstance(d["info"].get(k), str, f"info.{k} is missing")
        self.assertIsInstance(d.get("paths"), dict, "paths is missing")
        for path, item in d["paths"].items():
            self.assertTrue(path.startswith("/"), f"path {path!r} does not start with '/'")
            self.assertIsInstance(item, dict, f"{path}: path item is not a mapping")
            unknown = set(item) - PATH_ITEM_KEYS - {k for k in item if k.startswith("x-")}
            self.assertFalse(unknown, f"{path}: unknown path item keys {sorted(unknown)}")

    def test_every_ref_resolves(self):
        bad = []
        for where, ref in walk_refs(self.doc):
            try:
                resolve_pointer(self.doc, ref)
            except RefError as e:
                bad.append(f"{where}: {e}")
        self.assertEqual(bad, [], "unresolved $ref:\n" + "\n".join(bad))

    def test_every_operation_has_responses(self):
        problems = []
        for path, method, _, op in self.operations():
            where = f"{method.upper()} {path}"
            responses = op.get("responses")
            if not isinstance(responses, dict) or not responses:
                problems.append(f"{where}: no responses")
                continue
            for status, resp in responses.items():
                if not STATUS_KEY_RE.match(str(status)):
                    problems.append(f"{where}: response key {status!r} is not a status code")
                resp = deref(self.doc, resp)
                if not isinstance(resp, dict) or not isinstance(resp.get("description"), str):
                    problems.append(f"{where} {status}: response has no description")
                    continue
                for ctype, media in (resp.get("content") or {}).items():
                    if "schema" not in media:
                        problems.append(f"{where} {status} {ctype}: no schema")
            body = op.get("requestBody")
            if body is not None:
                body = deref(self.doc, body)
                if not body.get("content"):
                    problems.append(f"{where}: requestBody without content")
                for ctype, media in (body.get("content") or {}).items():
                    if "schema" not in media:
                        problems.append(f"{where}: requestBody {ctype} has no schema")
        self.assertEqual(problems, [], "\n".join(problems))

    def test_path_parameters_are_declared(self):
        problems = []
        for path, method, item, op in self.operations():
            where = f"{method.upper()} {path}"
            in_path = re.findall(r"\{([^/{}]+)\}", path)
            declared = {}
            for p in list(item.get("parameters", [])) + list(op.get("parameters", [])):
                p = deref(self.doc, p)
                for k in ("name", "in"):
                    if k not in p:
                        problems.append(f"{where}: parameter without {k!r}: {p!r}")
                if p.get("in") not in ("query", "header", "path", "cookie"):
                    problems.append(f"{where}: parameter {p.get('name')!r} has in: "
                                    f"{p.get('in')!r}")
                if "schema" not in p and "content" not in p:
                    problems.append(f"{where}: parameter {p.get('name')!r} has no schema")
                if p.get("in") == "path":
                    declared[p.get("name")] = p
            for name in in_path:
                if name not in declared:
                    problems.append(f"{where}: path parameter {{{name}}} is not declared")
                elif declared[name].get("required") is not True:
                    problems.append(f"{where}: path parameter {{{name}}} is not required: true")
            for name in declared:
                if name not in in_path:
                    problems.append(f"{where}: declares path parameter {name!r} "
                                    f"that the path does not have")
        self.assertEqual(problems, [], "\n".join(problems))

    def test_operation_ids_tags_and_security(self):
        problems = []
        ids = {}
        tags = {t["name"] for t in self.doc.get("tags", [])}
        schemes = set(self.doc.get("components", {}).get("securitySchemes", {}))
        for path, method, _, op in self.operations():
            where = f"{method.upper()} {path}"
            oid = op.get("operationId")
            if oid is not None:
                if oid in ids:
                    problems.append(f"{where}: operationId {oid!r} also used by {ids[oid]}")
                ids[oid] = where
            elif method != "options":
                problems.append(f"{where}: no operationId")
            for t in op.get("tags", []):
                if t not in tags:
                    problems.append(f"{where}: tag {t!r} is not in the top-level tags")
            for req in op.get("security", self.doc.get("security", [])):
                for name in req:
                    if name not in schemes:
                        problems.append(f"{where}: security scheme {name!r} is not defined")
        self.assertEqual(problems, [], "\n".join(problems))

    def test_required_properties_exist(self):
        """An object schema's `required` names only properties it documents
        (legal JSON Schema otherwise, but in this document always a typo)."""
        problems = []

        def visit(node, where):
            if isinstance(node, dict):
                props = node.get("properties")
                if isinstance(props, dict) and isinstance(node.get("required"), list):
                    for name in node["required"]:
                        if name not in props:
                            problems.append(f"{where}: required {name!r} is not in properties")
                for k, v in node.items():
                    visit(v, f"{where}/{k}")
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    visit(v, f"{where}/{i}")

        visit(self.doc.get("components", {}), "#/components")
        visit(self.doc.get("paths", {}), "#/paths")
        self.assertEqual(problems, [], "\n".join(problems))


# --------------------------------------------------------------------------
# 2. The document against router.c
# --------------------------------------------------------------------------

class OpenApiMatchesRouterTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.doc = load_document()
        cls.routes = router_routes()

    def doc_operations(self):
        """{(METHOD, normalised path): operation}, leaving out `options`:
        the CORS preflight is answered by parley_router_dispatch itself for
        every /api/ path before the table is consulted, so it is no row of
        routes[] (the document lists it on every /api/v1 path)."""
        out = {}
        for path, item in self.doc["paths"].items():
            item = deref(self.doc, item)
            for method in HTTP_METHODS:
                if method in item and method != "options":
                    out[(method.upper(), normalise(path))] = deref(self.doc, item[method])
        return out

    def test_same_routes(self):
        # The static-file fallback ("/*", GET outside /api) is no row of
        # routes[] either: the document describes it in x-static-pages,
        # not in paths. The WebSocket upgrade is an ordinary row
        # (INLINE GET /api/v1/ws) and the document has GET /api/v1/ws, so
        # it is compared like every other route.
        table = {(m, normalise(p)) for _, m, p, _ in self.routes if p != "/*"}
        documented = set(self.doc_operations())
        missing = sorted(table - documented)
        extra = sorted(documented - table)
        msg = []
        if missing:
            msg.append("in src/net/http/router.c but not in docs/openapi.yaml: " +
                       ", ".join(f"{m} {p}" for m, p in missing))
        if extra:
            msg.append("in docs/openapi.yaml but not in src/net/http/router.c: " +
                       ", ".join(f"{m} {p}" for m, p in extra))
        self.assertFalse(msg, "\n".join(msg))

    def test_no_duplicate_routes(self):
        seen = {}
        for _, m, p, _ in self.routes:
            key = (m, normalise(p))
            self.assertNotIn(key, seen, f"router.c lists {m} {p} twice")
            seen[key] = True

    def test_authentication_matches(self):
        """A route the table authenticates documents bearerAuth and a 401;
        a public one documents `security: []`."""
        ops = self.doc_operations()
        problems = []
        for kind, m, p, auth in self.routes:
            op = ops.get((m, normalise(p)))
            if op is None or auth is None:
                continue
            security = op.get("security", self.doc.get("security", []))
            names = {n for req in security for n in req}
            if auth:
                if "bearerAuth" not in names:
                    problems.append(f"{m} {p}: authenticated in router.c, but the document's "
                                    f"security is {security!r}")
                if "401" not in op.get("responses", {}):
                    problems.append(f"{m} {p}: authenticated in router.c, no 401 documented")
            elif security:
                problems.append(f"{m} {p}: public in router.c, but the document's security "
                                f"is {security!r}")
        self.assertEqual(problems, [], "\n".join(problems))


# --------------------------------------------------------------------------
# 3. Live responses against the documented schemas
# --------------------------------------------------------------------------

class OpenApiLiveTest(ServerTestCase):
    """Each check names the route as the document spells it (e.g.
    "POST /api/v1/sessions/{id}/messages"), sends a real request, and has
    the standard validator (tests/openapi/check_server.mjs) check status,
    documented headers, Content-Type and body against that operation's
    responses. The last test checks that every route of router.c was
    called, with at least one success."""

    # (METHOD, template) -> statuses seen, over the whole class
    seen = {}
    # an e-mail channel (to a port where nothing listens: the deliveries
    # fail in the background) so that its links and password reset exist;
    # a webhook receiver on loopback answers test_webhooks
    LINK_SECRET = "openapi-link-secret"
    server_args = ["--smtp-url", "smtp://127.0.0.1:1", "--link-secret", LINK_SECRET,
                   "--webhooks-allow-private", "1", "--push-allow-private", "1"]

    @classmethod
    def setUpClass(cls):
        cls.doc = load_document()
        cls.checker = NodeChecker()
        cls.addClassCleanup(cls.checker.close)
        super().setUpClass()
        cls.agent, cls.agent_token, _, _ = make_agent(cls.server, cls.admin_token)
        cls.customer, cls.customer_token = make_customer(cls.server, language="en")

    def check_response(self, method, template, resp):
        """Asserts that resp fits what the document says of `method
        template` for its status; records the call for the coverage test."""
        type(self).seen.setdefault((method, template), set()).add(resp.status)
        errors = self.checker.response(method, template, resp)
        if errors:
            self.fail("the live response does not fit docs/openapi.yaml:\n  " + "\n  ".join(errors))

    def call(self, method, template, path=None, body=None, raw=None, token=None, expect=None,
             headers=None):
        """Sends the request, checks the status (when `expect` is given),
        and the whole response against the document."""
        where = f"{method} {template}"
        c = self.server.client(token)
        resp = c.request(method, path or template, body=body, raw=raw, headers=headers)
        if expect is not None:
            self.assertEqual(resp.status, expect,
                             f"{where}: expected {expect}, got {resp.status} {_short(resp.body, 400)}")
        self.check_response(method, template, resp)
        return resp

    def check_schema(self, ref, value, where):
        errors = self.checker.schema(ref, value)
        if errors:
            self.fail(f"{where} does not fit {ref}:\n  " + "\n  ".join(errors))

    def check_error_schema(self, where, resp, status, code):
        """Answers the router gives on no particular operation (unknown path,
        wrong method) have the common Error shape."""
        self.assertEqual(resp.status, status, f"{where}: {resp.body!r}")
        self.check_schema("#/components/schemas/Error", resp.body, f"{where} {status}")
        self.assertEqual(resp.body["error"]["code"], code, f"{where}: {resp.body!r}")

    def test_zz_every_route_was_checked(self):
        """Runs last (unittest sorts by name): every row of routes[] in
        src/net/http/router.c was called above under its documented path, at
        least once with a 2xx (101 for the WebSocket upgrade). A new route
        fails here until a call for it is added to this class."""
        names = unittest.defaultTestLoader.getTestCaseNames(type(self))
        if any(n != "test_zz_every_route_was_checked" for n in names) and not type(self).seen:
            self.skipTest("the other live tests did not run (filtered run)")
        templates = {}
        for path, item in self.doc["paths"].items():
            for m in deref(self.doc, item):
                templates[(m.upper(), normalise(path))] = path
        problems = []
        for _, m, p, _ in router_routes():
            if p == "/*":
                continue
            template = templates.get((m, normalise(p)))
            if template is None:
                problems.append(f"{m} {p}: no path in docs/openapi.yaml")
                continue
            statuses = type(self).seen.get((m, template))
            if not statuses:
                problems.append(f"{m} {template}: never called by OpenApiLiveTest")
            elif not any(200 <= st < 300 or st == 101 for st in statuses):
                problems.append(f"{m} {template}: called, but never successfully "
                                f"(got {sorted(statuses)})")
        if problems:
            self.fail("routes of src/net/http/router.c the live check did not cover (add calls in "
                      "tests/integration/test_openapi.py; when another test of this class failed, "
                      "it may have stopped before its calls):\n  " + "\n  ".join(problems))

    # -- customers, sessions, messages ---------------------------------------
    def test_customers(self):
        r = self.call("POST", "/api/v1/customers", body={"name": "Alex", "language": "en"},
                      expect=201)
        self.call("POST", "/api/v1/customers", body={}, expect=400)
        self.call("POST", "/api/v1/customers", raw="not json", expect=400)
        self.call("GET", "/api/v1/me", token=r.body["token"], expect=200)
        self.call("GET", "/api/v1/me", token=self.agent_token, expect=200)
        self.call("GET", "/api/v1/me", token="pt_" + "A" * 43, expect=401)

    def test_sessions_and_messages(self):
        chain = [{"name": "translation", "target": "es"},
                 {"name": "profanity"}, {"name": "spam", "max_links": 1}]
        policy = {"strategies.policy": {"chain": chain}}
        self.call("PATCH", "/api/v1/settings", body=policy, token=self.admin_token, expect=200)
        s = self.call("POST", "/api/v1/sessions", body={"topic": "Billing", "strategies": [
            {"name": "translation", "target": "es"}]}, token=self.customer_token, expect=201).body
        self.call("POST", "/api/v1/sessions", body={"topic": "Billing", "strategies": [
            {"name": "spam", "max_links": 9}]}, token=self.customer_token, expect=403)
        self.call("PATCH", "/api/v1/settings", body={"strategies.policy": {}},
                  token=self.admin_token, expect=200)
        sid = s["id"]
        self.call("POST", "/api/v1/sessions", body={"topic": "x"}, expect=401)
        self.call("POST", "/api/v1/sessions", body={"topic": "x"}, token=self.agent_token,
                  expect=403)
        self.call("POST", "/api/v1/sessions", body={"topic": "x",
                                                    "strategies": [{"name": "nope"}]},
                  token=self.customer_token, expect=400)
        self.call("GET", "/api/v1/sessions", token=self.agent_token, expect=200)
        self.call("GET", "/api/v1/sessions", path="/api/v1/sessions?status=bogus",
                  token=self.agent_token, expect=400)
        self.call("GET", "/api/v1/sessions/{id}", path=f"/api/v1/sessions/{sid}",
                  token=self.customer_token, expect=200)
        self.call("GET", "/api/v1/sessions/{id}", path="/api/v1/sessions/ses_nope",
                  token=self.customer_token, expect=404)

        send = "/api/v1/sessions/{id}/messages"
        at = f"/api/v1/sessions/{sid}/messages"
        cid = uniq("c")
        m1 = self.call("POST", send, path=at, token=self.customer_token, expect=201,
                       body={"content": "Hello, my invoice for March is wrong, please check it",
                             "client_msg_id": cid}).body
        self.call("POST", send, path=at, token=self.customer_token, expect=200,
                  body={"content": "Hello, my invoice for March is wrong, please check it",
                        "client_msg_id": cid})
        bad = self.call("POST", send, path=at, token=self.customer_token, expect=201,
                        body={"content": "this is shit"}).body
        self.assertIn("profanity", bad, f"POST {send}: no profanity meta on {bad!r}")
        self.call("POST", send, path=at, token=self.customer_token, expect=422,
                  body={"content": "deals http://a.example/1 http://b.example/2 click"})
        self.call("POST", send, path=at, token=self.customer_token, expect=400,
                  body={"content": ""})
        self.call("POST", send, path=at, token=self.customer_token, expect=400, raw="{")
        self.call("POST", send, path=at, expect=401, body={"content": "hi"})
        self.call("POST", send, path="/api/v1/sessions/ses_nope/messages",
                  token=self.customer_token, expect=404, body={"content": "hi"})
        self.call("POST", send, path=at, token=self.agent_token, expect=201,
                  body={"content": "Let me look at it"})

        self.call("GET", send, path=at, token=self.customer_token, expect=200)
        self.call("GET", send, path=at + "?after_seq=-1", token=self.customer_token, expect=400)
        self.call("GET", send, path="/api/v1/sessions/ses_nope/messages",
                  token=self.customer_token, expect=404)

        one = "/api/v1/messages/{id}"
        self.call("GET", one, path=f"/api/v1/messages/{bad['id']}", token=self.admin_token,
                  expect=200)
        self.call("GET", one, path=f"/api/v1/messages/{m1['id']}", token=self.customer_token,
                  expect=200)
        self.call("GET", one, path="/api/v1/messages/msg_nope", token=self.agent_token,
                  expect=404)

        flagged = self.call("GET", "/api/v1/flagged", token=self.admin_token, expect=200).body
        self.call("GET", "/api/v1/flagged", token=self.agent_token, expect=200)
        self.call("GET", "/api/v1/flagged", token=self.customer_token, expect=403)
        kept = [m for m in flagged["messages"] if m["session_id"] == sid]
        self.assertTrue(kept, f"GET /api/v1/flagged: the refused message of {sid} is not kept")
        label = "/api/v1/messages/{id}/spam"
        self.call("POST", label, path=f"/api/v1/messages/{kept[0]['id']}/spam",
                  token=self.agent_token, body={"is_spam": True}, expect=200)
        self.call("POST", label, path=f"/api/v1/messages/{m1['id']}/spam",
                  token=self.agent_token, body={"is_spam": "yes"}, expect=400)
        # a delivered message keeps its label: the same one again teaches nothing
        learnt = [self.call("POST", label, path=f"/api/v1/messages/{m1['id']}/spam",
                            token=self.agent_token, body={"is_spam": v},
                            expect=200).body["learnt"] for v in (False, False, True)]
        self.assertEqual(learnt, [True, False, True])
        self.call("POST", label, path=f"/api/v1/messages/{m1['id']}/spam",
                  token=self.customer_token, body={"is_spam": True}, expect=403)

        # the rest of a conversation's life
        self.call("POST", "/api/v1/sessions/{id}/assign", path=f"/api/v1/sessions/{sid}/assign",
                  token=self.admin_token, body={"agent_id": self.agent["id"]}, expect=200)
        t = self.call("POST", "/api/v1/tickets", token=self.agent_token, expect=201,
                      body={"session_id": sid, "issue_description": "Invoice wrong"}).body
        self.call("GET", "/api/v1/tickets", token=self.agent_token, expect=200)
        self.call("GET", "/api/v1/tickets/{id}", path=f"/api/v1/tickets/{t['id']}",
                  token=self.customer_token, expect=200)
        self.call("PATCH", "/api/v1/tickets/{id}", path=f"/api/v1/tickets/{t['id']}",
                  token=self.agent_token, body={"status": "bogus"}, expect=400)
        self.call("PATCH", "/api/v1/tickets/{id}", path=f"/api/v1/tickets/{t['id']}",
                  token=self.agent_token, body={"status": "resolved"}, expect=200)
        self.call("POST", "/api/v1/sessions/{id}/close", path=f"/api/v1/sessions/{sid}/close",
                  token=self.agent_token, expect=200)
        self.call("POST", send, path=at, token=self.customer_token, expect=409,
                  body={"content": "still there?"})
        fb = "/api/v1/sessions/{id}/feedback"
        self.call("POST", fb, path=f"/api/v1/sessions/{sid}/feedback",
                  token=self.customer_token, body={"rating": 9}, expect=400)
        self.call("POST", fb, path=f"/api/v1/sessions/{sid}/feedback",
                  token=self.customer_token, body={"rating": 5, "comment": "thanks"}, expect=201)
        self.call("GET", fb, path=f"/api/v1/sessions/{sid}/feedback",
                  token=self.agent_token, expect=200)

    # -- the support desk: tickets, notes, ratings, reports ---------------------
    def test_support_desk(self):
        sid = make_session(self.server, self.customer_token)["id"]
        self.call("POST", "/api/v1/sessions/{id}/messages",
                  path=f"/api/v1/sessions/{sid}/messages", token=self.agent_token,
                  body={"content": "hello"}, expect=201)
        st = "/api/v1/sessions/{id}/ticket"
        t = self.call("POST", st, path=f"/api/v1/sessions/{sid}/ticket", token=self.agent_token,
                      body={"priority": "high", "subject": "Lost parcel"}, expect=201).body
        self.call("POST", st, path=f"/api/v1/sessions/{sid}/ticket", token=self.agent_token,
                  body={"priority": "soon"}, expect=400)
        self.call("POST", st, path=f"/api/v1/sessions/{sid}/ticket",
                  token=self.customer_token, body={}, expect=403)
        self.call("POST", st, path="/api/v1/sessions/ses_nope/ticket", token=self.agent_token,
                  body={}, expect=404)
        self.call("GET", "/api/v1/tickets", path="/api/v1/tickets?priority=high&session_id=" + sid,
                  token=self.agent_token, expect=200)
        self.call("PATCH", "/api/v1/tickets/{id}", path=f"/api/v1/tickets/{t['id']}",
                  token=self.agent_token, body={"agent_id": None, "priority": "low"},
                  expect=200)
        self.call("PATCH", "/api/v1/tickets/{id}", path=f"/api/v1/tickets/{t['id']}",
                  token=self.agent_token, body={"status": "resolved"}, expect=200)
        self.call("PATCH", "/api/v1/tickets/{id}", path=f"/api/v1/tickets/{t['id']}",
                  token=self.agent_token, body={"status": "in_progress"}, expect=409)
        notes = "/api/v1/tickets/{id}/notes"
        self.call("POST", notes, path=f"/api/v1/tickets/{t['id']}/notes",
                  token=self.agent_token, body={"body": "internal"}, expect=201)
        self.call("POST", notes, path=f"/api/v1/tickets/{t['id']}/notes",
                  token=self.agent_token, body={}, expect=400)
        self.call("GET", notes, path=f"/api/v1/tickets/{t['id']}/notes",
                  token=self.agent_token, expect=200)
        self.call("GET", notes, path=f"/api/v1/tickets/{t['id']}/notes",
                  token=self.customer_token, expect=403)
        self.call("GET", notes, path="/api/v1/tickets/tkt_nope/notes", token=self.agent_token,
                  expect=404)
        self.call("POST", "/api/v1/sessions/{id}/close", path=f"/api/v1/sessions/{sid}/close",
                  token=self.customer_token, expect=200)
        self.call("POST", "/api/v1/sessions/{id}/feedback",
                  path=f"/api/v1/sessions/{sid}/feedback", token=self.customer_token,
                  body={"rating": 4}, expect=201)
        self.call("GET", "/api/v1/feedback", token=self.agent_token, expect=200)
        self.call("GET", "/api/v1/feedback", path="/api/v1/feedback?from=nope",
                  token=self.agent_token, expect=400)
        self.call("GET", "/api/v1/feedback", token=self.customer_token, expect=403)
        for kind in ("first-response", "resolution", "agents", "csat", "volume", "hours"):
            route = f"/api/v1/reports/{kind}"
            self.call("GET", route, path=route + "?from=2026-01-01", token=self.admin_token,
                      expect=200)
            r = self.call("GET", route, path=route + "?format=csv", token=self.admin_token,
                          expect=200)
            self.assertTrue(r.headers["content-type"].startswith("text/csv"))
            self.call("GET", route, path=route + "?to=never", token=self.admin_token,
                      expect=400)
            self.call("GET", route, token=self.agent_token, expect=403)
            self.call("GET", route, expect=401)

    # -- staff ---------------------------------------------------------------
    def test_presence_queue_teams_transfer(self):
        self.call("PUT", "/api/v1/agents/me/presence", body={"status": "busy"},
                  token=self.agent_token, expect=200)
        self.call("POST", "/api/v1/agents/me/presence", body={"status": "offline"},
                  token=self.agent_token, expect=200)
        self.call("PUT", "/api/v1/agents/me/presence", body={"status": "away"},
                  token=self.agent_token, expect=400)
        self.call("PUT", "/api/v1/agents/me/presence", body={"status": "online"},
                  token=self.customer_token, expect=403)
        self.call("GET", "/api/v1/agents", token=self.agent_token, expect=200)
        team = self.call("POST", "/api/v1/teams", body={"name": uniq("team "), "topics": ["q"]},
                         token=self.admin_token, expect=201).body
        tpath = f"/api/v1/teams/{team['id']}"
        self.call("POST", "/api/v1/teams", body={"name": team["name"]}, token=self.admin_token,
                  expect=409)
        self.call("POST", "/api/v1/teams", body={"name": ""}, token=self.admin_token, expect=400)
        self.call("GET", "/api/v1/teams", path="/api/v1/teams?limit=1", token=self.admin_token,
                  expect=200)
        self.call("GET", "/api/v1/teams", token=self.customer_token, expect=403)
        self.call("GET", "/api/v1/teams/{id}", path=tpath, token=self.customer_token, expect=403)
        self.call("GET", "/api/v1/teams/{id}", path=tpath, token=self.agent_token, expect=200)
        self.call("GET", "/api/v1/teams/{id}", path="/api/v1/teams/tea_x", token=self.agent_token,
                  expect=404)
        self.call("PATCH", "/api/v1/teams/{id}", path=tpath, body={"topics": ["q", "r"]},
                  token=self.admin_token, expect=200)
        self.call("PATCH", "/api/v1/teams/{id}", path=tpath, body={"topics": 3},
                  token=self.admin_token, expect=400)
        self.call("POST", "/api/v1/teams/{id}/members", path=tpath + "/members",
                  body={"agent_id": self.agent["id"]}, token=self.admin_token, expect=201)
        self.call("POST", "/api/v1/teams/{id}/members", path=tpath + "/members",
                  body={"agent_id": self.agent["id"]}, token=self.admin_token, expect=200)
        self.call("POST", "/api/v1/teams/{id}/members", path=tpath + "/members",
                  body={"agent_id": "agt_none"}, token=self.admin_token, expect=404)
        # a session routed by topic, its queue place, transfer and unassign
        s = self.call("POST", "/api/v1/sessions", body={"topic": "Q"}, token=self.customer_token,
                      expect=201).body
        self.assertEqual(s["team_id"], team["id"])
        sp = f"/api/v1/sessions/{s['id']}"
        got = self.call("GET", "/api/v1/sessions/{id}", path=sp, token=self.customer_token,
                        expect=200).body
        self.assertGreaterEqual(got["queue"]["position"], 1)
        self.call("GET", "/api/v1/queue", token=self.agent_token, expect=200)
        self.call("GET", "/api/v1/queue", path="/api/v1/queue?cursor=x", token=self.agent_token,
                  expect=400)
        self.call("GET", "/api/v1/queue", token=self.customer_token, expect=403)
        self.call("POST", "/api/v1/sessions/{id}/unassign", path=sp + "/unassign",
                  token=self.agent_token, expect=409)
        self.call("POST", "/api/v1/sessions/{id}/transfer", path=sp + "/transfer",
                  body={"agent_id": self.agent["id"]}, token=self.agent_token, expect=200)
        self.call("POST", "/api/v1/sessions/{id}/transfer", path=sp + "/transfer",
                  body={"agent_id": self.agent["id"]}, token=self.agent_token, expect=409)
        self.call("POST", "/api/v1/sessions/{id}/transfer", path=sp + "/transfer", body={},
                  token=self.agent_token, expect=400)
        self.call("POST", "/api/v1/sessions/{id}/transfer", path=sp + "/transfer",
                  body={"team_id": "tea_none"}, token=self.agent_token, expect=404)
        self.call("POST", "/api/v1/sessions/{id}/unassign", path=sp + "/unassign",
                  token=self.agent_token, expect=200)
        self.call("POST", "/api/v1/sessions/{id}/transfer", path=sp + "/transfer",
                  body={"team_id": team["id"]}, token=self.customer_token, expect=403)
        self.call("DELETE", "/api/v1/teams/{id}/members", path=tpath + "/members",
                  body={"agent_id": self.agent["id"]}, token=self.admin_token, expect=200)
        self.call("DELETE", "/api/v1/teams/{id}/members", path=tpath + "/members",
                  body={"agent_id": self.agent["id"]}, token=self.admin_token, expect=404)
        self.call("DELETE", "/api/v1/teams/{id}", path=tpath, token=self.agent_token, expect=403)
        self.call("DELETE", "/api/v1/teams/{id}", path=tpath, token=self.admin_token, expect=204)
        self.call("DELETE", "/api/v1/teams/{id}", path=tpath, token=self.admin_token, expect=404)

    def test_agents_bots_audit(self):
        self.call("POST", "/api/v1/auth/login", expect=200,
                  body={"email": self.admin_email, "password": "admin-password-1"})
        self.call("POST", "/api/v1/auth/login", expect=401,
                  body={"email": self.admin_email, "password": "wrong-password"})
        self.call("GET", "/api/v1/agents", token=self.agent_token, expect=200)
        self.call("POST", "/api/v1/agents", token=self.agent_token, expect=403,
                  body={"name": "X", "email": "x@example.com", "password": "long-password"})
        email = uniq("openapi") + "@example.com"
        self.call("POST", "/api/v1/agents", token=self.admin_token, expect=201,
                  body={"name": "Second", "email": email, "password": "long-password-2"})
        self.call("POST", "/api/v1/agents", token=self.admin_token, expect=409,
                  body={"name": "Second", "email": email, "password": "long-password-2"})
        self.call("POST", "/api/v1/agents", token=self.admin_token, expect=400,
                  body={"name": "Second"})
        tok = self.call("POST", "/api/v1/auth/login", expect=200,
                        body={"email": email, "password": "long-password-2"}).body["token"]
        self.call("POST", "/api/v1/me/password", token=tok, expect=400,
                  body={"current_password": "not-it-at-all", "new_password": "long-password-3"})
        self.call("POST", "/api/v1/me/password", token=tok, expect=204,
                  body={"current_password": "long-password-2", "new_password": "long-password-3"})
        self.call("POST", "/api/v1/auth/logout", token=tok, expect=204)
        self.call("GET", "/api/v1/me", token=tok, expect=401)
        second = self.call("GET", "/api/v1/agents", token=self.admin_token, expect=200).body
        second_id = [a["id"] for a in second["agents"] if a["email"] == email][0]
        self.call("POST", "/api/v1/agents/{id}/password",
                  path=f"/api/v1/agents/{second_id}/password", token=self.admin_token,
                  body={"password": "long-password-4"}, expect=204)
        self.call("POST", "/api/v1/agents/{id}/password", path="/api/v1/agents/agt_nope/password",
                  token=self.admin_token, body={"password": "long-password-4"}, expect=404)
        self.call("POST", "/api/v1/agents/{id}/password",
                  path=f"/api/v1/agents/{second_id}/password", token=self.agent_token,
                  body={"password": "long-password-4"}, expect=403)
        self.call("PATCH", "/api/v1/agents/{id}", path=f"/api/v1/agents/{second_id}",
                  token=self.admin_token, body={"password": "long-password-5"}, expect=400)
        self.call("PATCH", "/api/v1/agents/{id}", path=f"/api/v1/agents/{self.agent['id']}",
                  token=self.admin_token, body={"role": "boss"}, expect=400)
        self.call("PATCH", "/api/v1/agents/{id}", path=f"/api/v1/agents/{self.agent['id']}",
                  token=self.admin_token, body={"name": "Agent Renamed"}, expect=200)
        bot = self.call("POST", "/api/v1/bots", token=self.admin_token, body={"name": "Helper"},
                        expect=201).body
        self.call("GET", "/api/v1/bots", token=self.admin_token, expect=200)
        _, ctok = make_customer(self.server)
        sid = make_session(self.server, ctok)["id"]
        self.call("POST", "/api/v1/sessions/{id}/bot", path=f"/api/v1/sessions/{sid}/bot",
                  token=self.admin_token, body={"bot_id": bot["bot"]["id"]}, expect=200)
        self.call("GET", "/api/v1/me", token=bot["token"], expect=200)
        self.call("DELETE", "/api/v1/bots/{id}", path=f"/api/v1/bots/{bot['bot']['id']}",
                  token=self.admin_token, expect=204)
        self.call("DELETE", "/api/v1/bots/{id}", path="/api/v1/bots/bot_nope",
                  token=self.admin_token, expect=404)
        self.call("GET", "/api/v1/audit", token=self.admin_token, expect=200)
        self.call("GET", "/api/v1/audit", token=self.agent_token, expect=403)

    def test_settings(self):
        self.call("GET", "/api/v1/settings", token=self.admin_token, expect=200)
        self.call("GET", "/api/v1/settings", token=self.agent_token, expect=200)
        self.call("GET", "/api/v1/settings", token=self.customer_token, expect=403)
        self.call("GET", "/api/v1/settings", expect=401)
        self.call("PATCH", "/api/v1/settings", token=self.admin_token, expect=200,
                  body={"routing.agent_capacity": 5})
        self.call("PATCH", "/api/v1/settings", token=self.admin_token, expect=400,
                  body={"routing.agent_capacity": "many"})
        self.call("PATCH", "/api/v1/settings", token=self.admin_token, expect=400,
                  body={"no.such.key": 1})
        self.call("PATCH", "/api/v1/settings", token=self.agent_token, expect=403,
                  body={"routing.agent_capacity": 5})

    def test_zy_audit_log_after_everything(self):
        """Runs after the other live tests (by name): the audit log then
        holds an entry of most actions (teams, settings, knowledge base,
        bots, logins...), each page validated whole."""
        cursor, pages = None, 0
        while True:
            q = "?limit=200" + (f"&cursor={cursor}" if cursor else "")
            body = self.call("GET", "/api/v1/audit", path="/api/v1/audit" + q,
                             token=self.admin_token, expect=200).body
            pages += 1
            cursor = body.get("next_cursor")
            if not cursor or pages > 20:
                break
        self.call("GET", "/api/v1/audit", path="/api/v1/audit?limit=0", token=self.admin_token,
                  expect=400)
        # filtered by action and actor: every entry matches
        body = self.call("GET", "/api/v1/audit", path="/api/v1/audit?action=login&limit=5",
                         token=self.admin_token, expect=200).body
        self.assertTrue(body["entries"])
        self.assertTrue(all(e["action"] == "login" for e in body["entries"]))
        actor = body["entries"][0]["actor"]["id"]
        body = self.call("GET", "/api/v1/audit", path=f"/api/v1/audit?actor={actor}",
                         token=self.admin_token, expect=200).body
        self.assertTrue(all(e["actor"]["id"] == actor for e in body["entries"]))
        self.call("GET", "/api/v1/audit", path="/api/v1/audit?action=" + "x" * 60,
                  token=self.admin_token, expect=400)

    # -- strategies ------------------------------------------------------------
    def test_uploads_and_transcripts(self):
        png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
               b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01"
               b"\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
        up = "/api/v1/uploads"
        boundary = "openapiBoundary"
        form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"dot.png\"\r\nContent-Type: image/png\r\n\r\n").encode() + png + \
            f"\r\n--{boundary}--\r\n".encode()
        u = self.call("POST", up, raw=form, token=self.customer_token, expect=201,
                      headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}).body
        self.call("POST", up, raw=b"<html><script>x()</script></html>", token=self.customer_token,
                  expect=415, headers={"Content-Type": "image/png", "X-Filename": "a.png"})
        self.call("POST", up, raw=b"", token=self.customer_token, expect=400,
                  headers={"Content-Type": "text/plain"})
        self.call("POST", up, raw=b"x", expect=401, headers={"Content-Type": "text/plain"})
        one = "/api/v1/uploads/{id}"
        self.call("GET", one, path=u["url"], token=self.customer_token, expect=200)
        self.call("GET", one, path=u["url"], token=self.agent_token, expect=404)
        self.call("GET", one, path=u["url"], expect=401)

        sid = self.call("POST", "/api/v1/sessions", body={"topic": "Files"},
                        token=self.customer_token, expect=201).body["id"]
        send = "/api/v1/sessions/{id}/messages"
        m = self.call("POST", send, path=f"/api/v1/sessions/{sid}/messages",
                      token=self.customer_token, expect=201,
                      body={"content": "a dot", "attachment_id": u["id"]}).body
        self.assertEqual(m["attachment"]["id"], u["id"])
        self.call("POST", send, path=f"/api/v1/sessions/{sid}/messages",
                  token=self.customer_token, expect=409,
                  body={"content": "again", "attachment_id": u["id"]})
        self.call("GET", one, path=u["url"], token=self.agent_token, expect=200)

        tr = "/api/v1/sessions/{id}/transcript"
        at = f"/api/v1/sessions/{sid}/transcript"
        self.call("GET", tr, path=at, token=self.customer_token, expect=200)
        self.call("GET", tr, path=at + "?format=json", token=self.agent_token, expect=200)
        self.call("GET", tr, path=at + "?format=doc", token=self.agent_token, expect=400)
        self.call("GET", tr, path=at, expect=401)
        self.call("GET", tr, path="/api/v1/sessions/ses_nope/transcript", token=self.agent_token,
                  expect=404)

    def test_strategies(self):
        self.call("GET", "/api/v1/strategies", expect=200)
        allow = "/api/v1/strategies/profanity/allowlist"
        self.call("GET", allow, token=self.admin_token, expect=200)
        self.call("GET", allow, token=self.agent_token, expect=403)
        r = self.call("POST", allow, token=self.admin_token, body={"word": "Scunthorpe"},
                      expect=201)
        self.assertEqual(r.body, {"word": "Scunthorpe", "built_in": False})
        # another spelling of a word the list holds: 200 with the entry as stored
        r = self.call("POST", allow, token=self.admin_token, body={"word": "SCUNTHORPE"},
                      expect=200)
        self.assertEqual(r.body, {"word": "Scunthorpe", "built_in": False})
        r = self.call("POST", allow, token=self.admin_token, body={"word": "Martillo"},
                      expect=200)
        self.assertEqual(r.body, {"word": "martillo", "built_in": True})
        self.call("POST", allow, token=self.admin_token, body={"word": "123"}, expect=400)
        self.call("POST", allow, token=self.admin_token, body={"word": "x" * 101}, expect=400)
        one = "/api/v1/strategies/profanity/allowlist/{word}"
        self.call("DELETE", one, path=allow + "/scunthorpe", token=self.admin_token, expect=204)
        self.call("DELETE", one, path=allow + "/Scunthorpe", token=self.admin_token, expect=404)
        # built-in words stay
        self.call("DELETE", one, path=allow + "/martillo", token=self.admin_token, expect=409)
        # a word with a space travels percent-encoded
        self.call("POST", allow, token=self.admin_token, body={"word": "Scunthorpe United"},
                  expect=201)
        self.call("DELETE", one, path=allow + "/scunthorpe%20united", token=self.admin_token,
                  expect=204)
        self.call("DELETE", one, path=allow + "/%21%21%21", token=self.admin_token, expect=400)
        self.call("DELETE", one, path=allow + "/" + "a" * 256, token=self.admin_token,
                  expect=404)
        reapply = "/api/v1/strategies/policy/reapply"
        r = self.call("POST", reapply, token=self.admin_token, body={}, expect=200)
        self.assertLessEqual(r.body["sessions_updated"], r.body["sessions_checked"])
        self.call("POST", reapply, token=self.agent_token, body={}, expect=403)
        self.call("POST", reapply, body={}, expect=401)

    # -- the agent tools -----------------------------------------------------------
    def test_agent_tools(self):
        canned = "/api/v1/canned-responses"
        one = "/api/v1/canned-responses/{id}"
        code = uniq("c").lower()
        team = self.call("POST", canned, token=self.admin_token, expect=201,
                         body={"shortcode": code, "title": "Refunds",
                               "content": "Refunds take 5 days."}).body
        mine = self.call("POST", canned, token=self.agent_token, expect=201,
                         body={"shortcode": code, "title": "Mine", "content": "Hi!"}).body
        self.call("POST", canned, token=self.agent_token, expect=409,
                  body={"shortcode": code, "title": "Again", "content": "x"})
        self.call("POST", canned, token=self.agent_token, expect=403,
                  body={"shortcode": code + "t", "title": "t", "content": "x", "scope": "team"})
        self.call("POST", canned, token=self.agent_token, expect=400, body={"shortcode": "A B"})
        self.call("POST", canned, token=self.customer_token, expect=403, body={})
        self.call("GET", canned, path=f"{canned}?q={code}", token=self.agent_token, expect=200)
        self.call("GET", canned, path=f"{canned}?q=Not%20Ok", token=self.agent_token, expect=400)
        self.call("GET", one, path=f"{canned}/{team['id']}", token=self.agent_token, expect=200)
        self.call("GET", one, path=f"{canned}/{mine['id']}", token=self.admin_token, expect=404)
        self.call("PATCH", one, path=f"{canned}/{team['id']}", token=self.agent_token,
                  body={"title": "x"}, expect=403)
        self.call("PATCH", one, path=f"{canned}/{mine['id']}", token=self.agent_token,
                  body={"title": "Mine too"}, expect=200)
        self.call("PATCH", one, path=f"{canned}/{mine['id']}", token=self.agent_token,
                  body={"title": ""}, expect=400)
        self.call("DELETE", one, path=f"{canned}/{mine['id']}", token=self.agent_token,
                  expect=204)
        self.call("DELETE", one, path=f"{canned}/{mine['id']}", token=self.agent_token,
                  expect=404)

        s = self.call("POST", "/api/v1/sessions", body={"topic": "Tools"},
                      token=self.customer_token, expect=201).body
        sid = s["id"]
        self.call("POST", "/api/v1/sessions/{id}/messages",
                  path=f"/api/v1/sessions/{sid}/messages", token=self.customer_token,
                  body={"content": "My parcel never arrived"}, expect=201)
        notes = "/api/v1/sessions/{id}/notes"
        at = f"/api/v1/sessions/{sid}/notes"
        self.call("POST", notes, path=at, token=self.agent_token, body={"content": "VIP"},
                  expect=201)
        self.call("POST", notes, path=at, token=self.agent_token, body={}, expect=400)
        self.call("POST", notes, path=at, token=self.customer_token, body={"content": "x"},
                  expect=403)
        self.call("POST", notes, path="/api/v1/sessions/ses_nope/notes", token=self.agent_token,
                  body={"content": "x"}, expect=404)
        self.call("GET", notes, path=at, token=self.agent_token, expect=200)
        self.call("GET", notes, path=at + "?cursor=x", token=self.agent_token, expect=400)

        read = "/api/v1/sessions/{id}/read"
        at = f"/api/v1/sessions/{sid}/read"
        self.call("POST", read, path=at, token=self.customer_token, body={"seq": 1}, expect=200)
        self.call("POST", read, path=at, token=self.agent_token, body={"seq": 0}, expect=200)
        self.call("POST", read, path=at, token=self.customer_token, body={"seq": 2}, expect=400)
        self.call("POST", read, path="/api/v1/sessions/ses_nope/read",
                  token=self.customer_token, body={"seq": 0}, expect=404)
        self.call("GET", read, path=at, token=self.customer_token, expect=200)
        self.call("GET", read, path="/api/v1/sessions/ses_nope/read", token=self.agent_token,
                  expect=404)

        name = uniq("l").lower()
        self.call("POST", "/api/v1/labels", token=self.admin_token,
                  body={"name": name, "color": "#00aa00"}, expect=201)
        self.call("POST", "/api/v1/labels", token=self.admin_token, body={"name": name},
                  expect=409)
        self.call("POST", "/api/v1/labels", token=self.admin_token, body={"name": "A"},
                  expect=400)
        self.call("POST", "/api/v1/labels", token=self.agent_token, body={"name": "x"},
                  expect=403)
        self.call("GET", "/api/v1/labels", token=self.agent_token, expect=200)
        self.call("GET", "/api/v1/labels", token=self.customer_token, expect=403)
        for token, label, status in ((self.agent_token, name, 200),
                                     (self.agent_token, "no-such", 404),
                                     (self.agent_token, 5, 400),
                                     (self.customer_token, name, 403)):
            self.call("POST", "/api/v1/sessions/{id}/labels",
                      path=f"/api/v1/sessions/{sid}/labels", token=token, body={"label": label},
                      expect=status)
        self.call("GET", "/api/v1/sessions", path=f"/api/v1/sessions?label={name}",
                  token=self.agent_token, expect=200)
        self.call("GET", "/api/v1/sessions", path=f"/api/v1/sessions?label={name}",
                  token=self.customer_token, expect=403)
        self.call("GET", "/api/v1/sessions/{id}", path=f"/api/v1/sessions/{sid}",
                  token=self.agent_token, expect=200)
        remove = "/api/v1/sessions/{id}/labels/{label}"
        self.call("DELETE", remove, path=f"/api/v1/sessions/{sid}/labels/{name}",
                  token=self.agent_token, expect=200)
        self.call("DELETE", remove, path=f"/api/v1/sessions/{sid}/labels/{name}",
                  token=self.agent_token, expect=404)
        for token, body, status in ((self.admin_token, {"color": "#112233"}, 200),
                                    (self.admin_token, {"color": "red"}, 400),
                                    (self.agent_token, {"color": "#112233"}, 403)):
            self.call("PATCH", "/api/v1/labels/{name}", path=f"/api/v1/labels/{name}",
                      token=token, body=body, expect=status)
        self.call("PATCH", "/api/v1/labels/{name}", path="/api/v1/labels/no-such",
                  token=self.admin_token, body={"color": "#112233"}, expect=404)
        for token, status in ((self.admin_token, 204), (self.admin_token, 404),
                              (self.agent_token, 403)):
            self.call("DELETE", "/api/v1/labels/{name}", path=f"/api/v1/labels/{name}",
                      token=token, expect=status)

        search = "/api/v1/search/messages"
        r = self.call("GET", search, path=f"{search}?q=parcel", token=self.customer_token,
                      expect=200)
        self.assertTrue(r.body["results"], f"GET {search}: no hit for a stored word")
        self.call("GET", search, path=f"{search}?q=parcel&session_id={sid}",
                  token=self.agent_token, expect=200)
        self.call("GET", search, path=f"{search}?q=%22", token=self.agent_token, expect=400)
        self.call("GET", search, path=f"{search}?q=x&session_id=ses_nope",
                  token=self.agent_token, expect=404)
        self.call("GET", search, path=f"{search}?q=x", expect=401)

    # -- operations and router-level answers -----------------------------------
    def test_operations_and_router_errors(self):
        self.call("GET", "/healthz", expect=200)
        self.call("GET", "/metrics", token=METRICS_TOKEN, expect=200)
        self.call("GET", "/metrics", expect=401)
        self.call("GET", "/metrics", token="pt_not-the-metrics-token", expect=401)
        self.call("POST", "/api/v1/auth/logout", expect=401)
        self.call("OPTIONS", "/api/v1/sessions", expect=204,
                  headers={"Origin": f"http://127.0.0.1:{self.server.port}"})
        self.call("GET", "/api/v1/sessions", expect=403,
                  headers={"Origin": "http://evil.example"})
        # answers no single operation documents: the common Error shape
        self.check_error_schema("GET /api/v1/nope (unknown path)",
                                self.http.get("/api/v1/nope"), 404, "not_found")
        r = self.http.get("/api/v1/auth/login")
        self.check_error_schema("GET /api/v1/auth/login (wrong method)", r, 405,
                                "method_not_allowed")
        self.assertEqual(r.headers.get("allow"), "POST", "405 without the documented Allow")
        # not an upgrade request: an answer the operation documents (400/401)
        self.call("GET", "/api/v1/ws")
        # the upgrade itself (101 with its headers), and a wrong version (426)
        key = base64.b64encode(os.urandom(16)).decode()
        hello = ws_handshake_request(self.server.host, self.server.port,
                                     f"/api/v1/ws?token={self.agent_token}", key)
        for request, expect in ((hello, 101),
                                (hello.replace(b"Version: 13", b"Version: 12"), 426)):
            with RawConn(self.server.host, self.server.port) as c:
                c.send(request)
                resp = c.recv_response()
            self.assertEqual(resp.status, expect, f"GET /api/v1/ws: {resp!r}")
            self.check_response("GET", "/api/v1/ws", resp)

    # -- the notification service (issue 14) ------------------------------------------
    def test_notifications(self):
        a, g = self.admin_token, self.agent_token
        make_session(self.server, self.customer_token)  # every agent is told
        lst = "/api/v1/notifications"
        page = self.call("GET", lst, token=g, expect=200).body
        self.assertTrue(page["notifications"], "a waiting customer made no notification")
        n = page["notifications"][0]
        self.call("GET", lst, path=lst + "?limit=1&unread=true", token=g, expect=200)
        self.call("GET", lst, path=lst + "?unread=1", token=g, expect=400)
        self.call("GET", lst, path=lst + "?cursor=x", token=g, expect=400)
        self.call("GET", lst, token=self.customer_token, expect=200)
        self.call("GET", lst, expect=401)
        one = "/api/v1/notifications/{id}/read"
        self.call("POST", one, path=f"/api/v1/notifications/{n['id']}/read", token=g, expect=200)
        self.call("POST", one, path=f"/api/v1/notifications/{n['id']}/read", token=a, expect=404)
        self.call("POST", one, path="/api/v1/notifications/ntf_nope/read", expect=401)
        self.call("POST", "/api/v1/notifications/read-all", token=g, expect=200)
        self.call("POST", "/api/v1/notifications/read-all", expect=401)
        log = "/api/v1/notifications/deliveries"
        self.call("GET", log, path=f"{log}?notification_id={n['id']}", token=a, expect=200)
        self.call("GET", log, path=f"{log}?state=sent&limit=1", token=a, expect=200)
        self.call("GET", log, path=f"{log}?state=lost", token=a, expect=400)
        self.call("GET", log, token=g, expect=403)
        self.call("GET", log, expect=401)
        prefs = "/api/v1/notifications/preferences"
        self.call("GET", prefs, token=g, expect=200)
        self.call("GET", prefs, expect=401)
        self.call("PUT", prefs, token=g, expect=200,
                  body={"events": {"ticket.updated": {"in_app": False}},
                        "quiet_hours": {"start": "22:00", "end": "07:00", "utc_offset_minutes": 60}})
        self.call("PUT", prefs, token=self.customer_token, expect=200, body={"quiet_hours": None})
        self.call("PUT", prefs, token=g, expect=400, body={"events": {"x": {}}})
        self.call("PUT", prefs, expect=401, body={})

    # -- the e-mail channel's endpoints (issue 14) ------------------------------------
    def test_email_links_and_password_reset(self):
        def mac(message):
            return hmac.new(self.LINK_SECRET.encode(), message.encode(),
                            hashlib.sha256).hexdigest()
        session = make_session(self.server, self.customer_token)
        red = "/api/v1/conversation-links/redeem"
        expires = int(time.time()) + 600
        link = {"session_id": session["id"], "expires": expires,
                "signature": mac(f"parley-resume:{session['id']}:{expires}")}
        self.call("POST", red, body=link, expect=200)
        self.call("POST", red, body=dict(link, signature="0" * 64), expect=403)
        self.call("POST", red, body=dict(link, session_id="ses_nope",
                                         signature=mac(f"parley-resume:ses_nope:{expires}")),
                  expect=404)
        self.call("POST", red, body={}, expect=400)
        _, _, email, _ = make_agent(self.server, self.admin_token, do_login=False)
        self.call("POST", "/api/v1/password-reset", body={"email": email}, expect=202)
        self.call("POST", "/api/v1/password-reset", body={"email": "nobody@x.test"}, expect=202)
        self.call("POST", "/api/v1/password-reset", body={}, expect=400)
        # the token as the e-mail channel derives it from the stored reset
        with sqlite3.connect(os.path.join(self.server.data_dir, "parley.db")) as db:
            reset_id = db.execute("SELECT id FROM password_resets ORDER BY created_at DESC "
                                  "LIMIT 1").fetchone()[0]
        conf = "/api/v1/password-reset/confirm"
        token = mac(f"parley-password-reset:{reset_id}")
        self.call("POST", conf, body={"token": "0" * 64, "password": "a-new-password-9"},
                  expect=400)
        self.call("POST", conf, body={"token": token, "password": "a-new-password-9"},
                  expect=204)

    # -- contacts (issue 15) ------------------------------------------------------
    def test_contacts(self):
        cust, token = make_customer(self.server, name="Openapi Olga", email="olga@example.com")
        s = self.call("POST", "/api/v1/sessions", body={"topic": "contact"}, token=token,
                      expect=201).body
        self.call("POST", "/api/v1/tickets", body={"session_id": s["id"],
                                                   "issue_description": "contact ticket"},
                  token=self.agent_token, expect=201)
        lst = "/api/v1/contacts"
        self.call("GET", lst, path=lst + "?q=olga&limit=5", token=self.agent_token, expect=200)
        self.call("GET", lst, path=lst + "?ids=" + cust["id"], token=self.agent_token, expect=200)
        self.call("GET", lst, path=lst + "?q=" + "x" * 201, token=self.agent_token, expect=400)
        self.call("GET", lst, token=token, expect=403)
        self.call("GET", lst, expect=401)
        one = "/api/v1/contacts/{id}"
        path = f"/api/v1/contacts/{cust['id']}"
        self.call("GET", one, path=path, token=self.agent_token, expect=200)
        self.call("GET", one, path="/api/v1/contacts/cus_none", token=self.agent_token, expect=404)
        self.call("GET", one, path=path, token=token, expect=403)
        self.call("PATCH", one, path=path, body={"name": "Olga O.", "email": None,
                                                 "attributes": {"plan": "gold"}},
                  token=self.agent_token, expect=200)
        self.call("PATCH", one, path=path, body={"attributes": {"bad key": "x"}},
                  token=self.agent_token, expect=400)
        self.call("PATCH", one, path="/api/v1/contacts/cus_none", body={"name": "x"},
                  token=self.agent_token, expect=404)
        for sub in ("sessions", "tickets"):
            t = "/api/v1/contacts/{id}/" + sub
            self.call("GET", t, path=f"{path}/{sub}?limit=10", token=self.agent_token, expect=200)
            self.call("GET", t, path=f"/api/v1/contacts/cus_none/{sub}", token=self.agent_token,
                      expect=404)
            self.call("GET", t, path=f"{path}/{sub}", token=token, expect=403)

    # -- outgoing webhooks (issue 14) ------------------------------------------------------
    def test_webhooks(self):
        from test_webhooks import Receiver
        a, g = self.admin_token, self.agent_token
        rec = Receiver()
        self.addCleanup(rec.close)
        lst, one = "/api/v1/webhooks", "/api/v1/webhooks/{id}"
        w = self.call("POST", lst, token=a, expect=201,
                      body={"url": rec.url, "events": ["session.created"],
                            "description": "openapi"}).body
        rec.secret = w["secret"]
        self.call("POST", lst, token=a, expect=400, body={"url": "ftp://x/", "events": []})
        self.call("POST", lst, token=g, expect=403, body={"url": rec.url, "events": []})
        self.call("POST", lst, expect=401, body={})
        self.call("GET", lst, token=a, expect=200)
        self.call("GET", lst, token=g, expect=403)
        path = f"/api/v1/webhooks/{w['id']}"
        self.call("GET", one, path=path, token=a, expect=200)
        self.call("GET", one, path="/api/v1/webhooks/whk_nope", token=a, expect=404)
        self.call("PATCH", one, path=path, token=a, expect=200, body={"description": "d"})
        self.call("PATCH", one, path=path, token=a, expect=400, body={"events": ["x"]})
        make_session(self.server, self.customer_token)
        log = "/api/v1/webhooks/{id}/deliveries"
        deadline = time.monotonic() + 20
        while True:
            page = self.call("GET", log, path=path + "/deliveries", token=a, expect=200).body
            if page["deliveries"] and page["deliveries"][0]["state"] == "sent":
                break
            self.assertLess(time.monotonic(), deadline, "the delivery was never sent")
            time.sleep(0.05)
        self.call("GET", log, path=path + "/deliveries?cursor=x", token=a, expect=400)
        self.call("GET", log, path="/api/v1/webhooks/whk_nope/deliveries", token=a, expect=404)
        replay = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/replay"
        dpath = f"{path}/deliveries/{page['deliveries'][0]['id']}/replay"
        self.call("POST", replay, path=dpath, token=a, expect=202)
        self.call("POST", replay, path=f"{path}/deliveries/dlv_nope/replay", token=a, expect=404)
        self.call("DELETE", one, path=path, token=g, expect=403)
        self.call("DELETE", one, path=path, token=a, expect=204)
        self.call("DELETE", one, path=path, token=a, expect=404)

    # -- web push (issue 14) --------------------------------------------------------------
    def test_web_push(self):
        from push_service import PushService
        push = PushService()
        self.addCleanup(push.close)
        key = self.call("GET", "/api/v1/push/vapid-public-key", expect=200).body
        push.served_key = key["public_key"]
        subs = "/api/v1/push/subscriptions"
        for token in (self.agent_token, self.customer_token):
            sub = push.subscribe()
            r = self.call("POST", subs, token=token, body=sub, expect=201).body
            self.assertEqual(r["endpoint"], sub["endpoint"])
            self.call("DELETE", subs, token=token, body={"endpoint": sub["endpoint"]}, expect=204)
            self.call("DELETE", subs, token=token, body={"endpoint": sub["endpoint"]}, expect=404)
        self.call("POST", subs, token=self.agent_token, body={"endpoint": "x"}, expect=400)
        self.call("POST", subs, body=push.subscribe(), expect=401)
        self.call("DELETE", subs, token=self.agent_token, body={}, expect=400)

    # -- the ChatBot's knowledge base and its handoff event ------------------------
    def test_knowledge_base_and_bot(self):
        a, g = self.admin_token, self.agent_token
        entry = self.call("POST", "/api/v1/kb/entries", token=a, expect=201,
                          body={"question": "How do I reset my password?", "answer": "Settings.",
                                "alternatives": ["forgot password"], "tags": ["account"]}).body
        one = "/api/v1/kb/entries/{id}"
        self.call("POST", "/api/v1/kb/entries", token=a, expect=400, body={"question": "q"})
        self.call("POST", "/api/v1/kb/entries", token=g, expect=403,
                  body={"question": "q", "answer": "a"})
        self.call("POST", "/api/v1/kb/entries", expect=401, body={"question": "q", "answer": "a"})
        self.call("GET", "/api/v1/kb/entries", path="/api/v1/kb/entries?limit=1", token=g,
                  expect=200)
        self.call("GET", "/api/v1/kb/entries", path="/api/v1/kb/entries?cursor=x", token=g,
                  expect=400)
        self.call("GET", "/api/v1/kb/entries", token=self.customer_token, expect=403)
        self.call("GET", one, path=f"/api/v1/kb/entries/{entry['id']}", token=g, expect=200)
        self.call("GET", one, path="/api/v1/kb/entries/kb_nope", token=g, expect=404)
        self.call("PATCH", one, path=f"/api/v1/kb/entries/{entry['id']}", token=a, expect=200,
                  body={"answer": "Settings > Security."})
        self.call("PATCH", one, path=f"/api/v1/kb/entries/{entry['id']}", token=a, expect=400,
                  body={"answer": 5})
        self.call("PATCH", one, path="/api/v1/kb/entries/kb_nope", token=a, expect=404,
                  body={"answer": "x"})
        self.call("GET", "/api/v1/kb/search", path="/api/v1/kb/search?q=forgot%20password",
                  token=g, expect=200)
        self.call("GET", "/api/v1/kb/search", token=g, expect=400)
        # the bot's messages and the handoff event fit the documented frames
        self.assertEqual(self.server.client(a).patch(
            "/api/v1/settings", {"bot.enabled": True}).status, 200)
        try:
            _, ctok = make_customer(self.server)
            sid = make_session(self.server, ctok)["id"]
            # the built-in bot's id (bot_builtin) until it hands over
            got = self.call("GET", "/api/v1/sessions/{id}", path=f"/api/v1/sessions/{sid}",
                            token=g, expect=200).body
            self.assertEqual(got["bot_id"], "bot_builtin")
            with self.server.ws(g) as ws:
                # an answer from the knowledge base, then a hand-over
                ws.send_json({"type": "subscribe", "session_id": sid, "after_seq": 0})
                self.server.client(ctok).post(f"/api/v1/sessions/{sid}/messages",
                                              {"content": "I forgot my password"})
                ws.recv_json("message.created", match=lambda m: m["session_id"] == sid and
                             m["message"]["sender"]["type"] == "bot" and
                             m["message"].get("bot", {}).get("kind") == "answer")
                self.server.client(ctok).post(f"/api/v1/sessions/{sid}/messages",
                                              {"content": "a human please"})
                event = ws.recv_json("session.handoff", match=lambda m: m["session_id"] == sid)
            self.check_schema("#/components/schemas/WsSessionHandoff", event,
                              "the session.handoff WebSocket event")
            self.call("GET", "/api/v1/sessions/{id}/messages",
                      path=f"/api/v1/sessions/{sid}/messages", token=ctok, expect=200)
        finally:
            self.server.client(a).patch("/api/v1/settings", {"bot.enabled": False})
        self.call("DELETE", one, path=f"/api/v1/kb/entries/{entry['id']}", token=a, expect=204)
        self.call("DELETE", one, path=f"/api/v1/kb/entries/{entry['id']}", token=a, expect=404)


if __name__ == "__main__":
    unittest.main()
