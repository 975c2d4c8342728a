// test_document.mjs - docs/openapi.yaml by itself (CTest: openapi.document).
//
// 1. Two standard validators from npm accept it.
// 2. Every schema in it compiles under Ajv 2020-12 in strict mode (no
//    unknown keyword such as a 3.0 `nullable`, no bad regex, no unknown
//    format).
// 3. Its operations are exactly the route table of src/net/router.c.
// 4. The response checker the live test (tests/integration/
//    test_openapi.py) uses really catches what it must: a missing field,
//    a wrong type, a field the document does not describe, an undocumented
//    status or Content-Type, a missing required header.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DOCUMENT, ResponseChecker, documentedRoutes, escapePointer, loadDocument, normalisePath,
  routerRoutes, validateDocument,
} from "./openapi_check.mjs";

const doc = loadDocument();

test("standard validators accept docs/openapi.yaml", async () => {
  const problems = await validateDocument(DOCUMENT);
  assert.deepEqual(problems, [], problems.join("\n"));
});

test("every schema of the document compiles under Ajv 2020-12 strict mode", () => {
  const checker = new ResponseChecker(doc);
  const problems = [];
  const tryCompile = (pointer) => {
    try {
      checker.validatorAt(pointer);
    } catch (e) {
      problems.push(`#${pointer}: ${e.message}`);
    }
  };
  for (const name of Object.keys(doc.components?.schemas || {})) {
    tryCompile(`/components/schemas/${escapePointer(name)}`);
  }
  const visit = (node, pointer) => {
    if (Array.isArray(node)) { node.forEach((v, i) => visit(v, `${pointer}/${i}`)); return; }
    if (node === null || typeof node !== "object") return;
    for (const [k, v] of Object.entries(node)) {
      if (k === "schema" && !pointer.startsWith("/components/schemas")) tryCompile(`${pointer}/schema`);
      else if (k !== "examples" && k !== "example") visit(v, `${pointer}/${escapePointer(k)}`);
    }
  };
  visit(doc.paths, "/paths");
  visit(doc.components, "/components");
  assert.deepEqual(problems, [], problems.join("\n"));
});

test("the document's operations are the route table of src/net/router.c", () => {
  const table = new Set(routerRoutes().filter((r) => r.pattern !== "/*")
    .map((r) => `${r.method} ${normalisePath(r.pattern)}`));
  const documented = documentedRoutes(doc);
  const missing = [...table].filter((r) => !documented.has(r)).sort();
  const extra = [...documented].filter((r) => !table.has(r)).sort();
  const msg = [];
  if (missing.length) msg.push(`in src/net/router.c but not in docs/openapi.yaml: ${missing.join(", ")}`);
  if (extra.length) msg.push(`in docs/openapi.yaml but not in src/net/router.c: ${extra.join(", ")}`);
  assert.equal(msg.length, 0, msg.join("\n"));
});

// -- the checker catches drift (on a small document of its own) ----------------

const MINI = {
  openapi: "3.1.0",
  info: { title: "t", version: "1" },
  paths: {
    "/things/{id}": {
      get: {
        responses: {
          200: {
            description: "ok",
            headers: { "X-Req": { required: true, schema: { type: "integer", minimum: 1 } } },
            content: { "application/json": { schema: { $ref: "#/components/schemas/Thing" } } },
          },
          204: { description: "no body" },
        },
      },
    },
    "/me": {
      get: {
        responses: {
          200: { description: "ok", content: { "application/json": { schema: { $ref: "#/components/schemas/Me" } } } },
        },
      },
    },
  },
  components: {
    schemas: {
      Id: { type: "string", pattern: "^t_[0-9]+$" },
      Thing: {
        type: "object",
        required: ["id", "n"],
        properties: {
          id: { $ref: "#/components/schemas/Id" },
          n: { type: "integer" },
          sub: { type: "object", properties: { a: { type: "string" } } },
          meta: { type: "object", additionalProperties: true },
          tags: { type: "array", items: { type: "object", properties: { k: { type: "string" } } } },
        },
      },
      Agent: { type: "object", required: ["id"], properties: { id: { type: "string" } } },
      Me: {
        oneOf: [
          { allOf: [{ $ref: "#/components/schemas/Agent" },
                    { type: "object", required: ["type"], properties: { type: { const: "agent" } } }] },
          { type: "object", required: ["type"], properties: { type: { const: "customer" } } },
        ],
      },
    },
  },
};

const mini = new ResponseChecker(MINI);
const thing = (body, extra = {}) => mini.checkResponse({
  method: "GET", template: "/things/{id}", status: 200,
  headers: { "content-type": "application/json", "x-req": "7" }, body, ...extra,
});

test("checker: a fitting response passes", () => {
  assert.deepEqual(thing({ id: "t_1", n: 2, sub: { a: "x" }, meta: { anything: 1 }, tags: [{ k: "v" }] }), []);
  assert.deepEqual(mini.checkResponse({ method: "GET", template: "/me", status: 200,
    headers: { "content-type": "application/json; charset=utf-8" }, body: { id: "a", type: "agent" } }), []);
});

test("checker: drift is caught and named", () => {
  const one = (errors, re) => assert.ok(errors.some((e) => re.test(e)), `${re} not in:\n${errors.join("\n")}`);
  one(thing({ id: "t_1" }), /GET \/things\/\{id\} -> 200: body \$: required property "n" is missing/);
  one(thing({ id: "t_1", n: "2" }), /body \$\.n: expected type integer, got "2"/);
  one(thing({ id: "bot_builtin", n: 1 }), /body \$\.id: expected a string matching/);
  one(thing({ id: "t_1", n: 1, bot: null }), /body \$: has property "bot" .*does not describe/);
  one(thing({ id: "t_1", n: 1, sub: { a: "x", b: 1 } }), /body \$\.sub: has property "b"/);
  one(thing({ id: "t_1", n: 1, tags: [{ k: "v", z: 1 }] }), /body \$\.tags\[0\]: has property "z"/);
  one(mini.checkResponse({ method: "GET", template: "/me", status: 200, headers: { "content-type": "application/json" },
    body: { id: "a", type: "agent", extra: 1 } }), /has property "extra"/);
  one(thing({ id: "t_1", n: 1 }, { headers: { "content-type": "application/json" } }),
      /header X-Req is documented as required but missing/);
  one(thing({ id: "t_1", n: 1 }, { headers: { "content-type": "application/json", "x-req": "0" } }),
      /header X-Req "0"/);
  one(thing({ id: "t_1", n: 1 }, { headers: { "content-type": "text/plain", "x-req": "1" } }),
      /Content-Type "text\/plain" is not one of the documented application\/json/);
  one(thing(undefined, { bodyText: "{nope" }), /the body is not JSON/);
  one(thing({ id: "t_1", n: 1 }, { status: 418 }), /answered 418, which the document does not list \(it lists 200, 204\)/);
  one(mini.checkResponse({ method: "GET", template: "/things/{id}", status: 204, headers: {}, bodyText: "x" }),
      /documented without a body/);
  one(mini.checkResponse({ method: "GET", template: "/nope", status: 200 }), /the path is not in docs\/openapi.yaml/);
  one(mini.checkResponse({ method: "POST", template: "/me", status: 200 }), /has no post operation/);
  one(mini.checkSchema("#/components/schemas/Thing", { id: "t_1", n: 1, extra: 0 }), /has property "extra"/);
});

test("checker: x-every-response-headers are required on every response but 1xx", () => {
  const withEvery = structuredClone(MINI);
  withEvery["x-every-response-headers"] = { "X-Content-Type-Options": { schema: { const: "nosniff" } } };
  const c = new ResponseChecker(withEvery);
  const at = (status, headers) => c.checkResponse({ method: "GET", template: "/things/{id}", status, headers });
  assert.deepEqual(at(204, { "x-content-type-options": "nosniff" }), []);
  assert.match(at(204, {}).join("\n"), /header X-Content-Type-Options is missing/);
  assert.match(at(204, { "x-content-type-options": "sniff" }).join("\n"), /X-Content-Type-Options: expected/);
});

test("checker: unknown keywords in a schema are refused (strict mode)", () => {
  const bad = structuredClone(MINI);
  bad.components.schemas.Thing.properties.n = { type: "integer", minimun: 1 };
  assert.throws(() => new ResponseChecker(bad).validatorAt("/components/schemas/Thing"), /minimun/);
});
