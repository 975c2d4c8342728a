// openapi_check.mjs - docs/openapi.yaml against standard validators and
// against what parleyd really answers.
//
// - validateDocument(): the document itself, by two independent standard
//   validators from npm: @apidevtools/swagger-parser (the most used
//   OpenAPI parser; validates against the official OpenAPI 3.1 JSON
//   schema and resolves every $ref) and @seriousme/openapi-schema-validator
//   (the official 3.1 schema including the schema dialect).
// - ResponseChecker: one live response (method, path template, status,
//   headers, body) against the operation the document lists for it, with
//   Ajv's JSON Schema 2020-12 validator (OpenAPI 3.1 schemas *are* JSON
//   Schema 2020-12 plus a few annotation keywords), strict mode on, so an
//   unknown keyword in the document (a typo such as `minimun`) is an error
//   instead of being silently ignored.
//
// Closed-world policy: the document must list every field the server
// sends. Every object schema that does not say `additionalProperties`
// (true, false or a schema) or `unevaluatedProperties` is validated as if
// it said `unevaluatedProperties: false`, so a field the server adds
// without documenting it fails the live check. `additionalProperties: true`
// in the document is the explicit, reviewed opt-out (maps such as
// settings, strategy options). Clients are still told to ignore fields
// they do not know (the API may add fields).
//
// routerRoutes(): the route table `routes[]` of src/net/router.c.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Validator as SchemaValidator } from "@seriousme/openapi-schema-validator";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, "..", "..");
export const DOCUMENT = path.join(ROOT, "docs", "openapi.yaml");
export const ROUTER = path.join(ROOT, "src", "net", "router.c");
export const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const DOC_ID = "openapi.json";

export function loadDocument(file = DOCUMENT) {
  return YAML.parse(fs.readFileSync(file, "utf8"));
}

// --------------------------------------------------------------------------
// The document itself
// --------------------------------------------------------------------------

/** Problems the standard validators find in the document; [] when none. */
export async function validateDocument(file = DOCUMENT) {
  const problems = [];
  try {
    // validate() parses, resolves every $ref and checks the official schema
    await SwaggerParser.validate(file);
  } catch (e) {
    problems.push(`@apidevtools/swagger-parser rejects ${path.relative(ROOT, file)}:\n  ` +
                  String(e.message).trim().split("\n").join("\n  "));
  }
  const result = await new SchemaValidator().validate(file);
  if (!result.valid) {
    problems.push(`@seriousme/openapi-schema-validator rejects ${path.relative(ROOT, file)}:\n  ` +
                  JSON.stringify(result.errors, null, 1).split("\n").join("\n  "));
  }
  return problems;
}

// --------------------------------------------------------------------------
// JSON pointers
// --------------------------------------------------------------------------

export const escapePointer = (s) => String(s).replace(/~/g, "~0").replace(/\//g, "~1");

export function resolvePointer(doc, ref) {
  if (typeof ref !== "string" || !ref.startsWith("#")) {
    throw new Error(`${JSON.stringify(ref)} is not a reference inside the document`);
  }
  let node = doc;
  const pointer = ref.slice(1);
  if (pointer === "") return node;
  for (const raw of pointer.slice(1).split("/")) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (node === null || typeof node !== "object" || !(part in node)) {
      throw new Error(`${ref}: nothing at ${JSON.stringify(part)}`);
    }
    node = node[part];
  }
  return node;
}

/** Follows Reference Objects; returns [node, pointer of the node]. */
function deref(doc, node, pointer) {
  const seen = new Set();
  while (node && typeof node === "object" && typeof node.$ref === "string") {
    if (seen.has(node.$ref)) throw new Error(`${node.$ref}: reference cycle`);
    seen.add(node.$ref);
    pointer = node.$ref.slice(1);
    node = resolvePointer(doc, node.$ref);
  }
  return [node, pointer];
}

// --------------------------------------------------------------------------
// Closed-world transform
// --------------------------------------------------------------------------

const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function mayBeObject(s) {
  if ("properties" in s || "$ref" in s || "allOf" in s || "oneOf" in s || "anyOf" in s) return true;
  const t = s.type;
  return t === "object" || (Array.isArray(t) && t.includes("object"));
}

/**
 * Adds `unevaluatedProperties: false` to every schema in a "closing"
 * position that leaves additional properties unsaid. A direct member of
 * `allOf` is not closed (its parent is: it sees the properties of every
 * member), and neither is a component definition itself (every place that
 * uses it through `$ref` is, so `allOf: [{$ref: X}, ...]` still works).
 */
function closeSchema(s, closing) {
  if (!isObj(s)) return;
  if (closing && !("additionalProperties" in s) && !("unevaluatedProperties" in s) &&
      mayBeObject(s)) {
    s.unevaluatedProperties = false;
  }
  for (const k of ["properties", "patternProperties", "$defs", "dependentSchemas"]) {
    if (isObj(s[k])) for (const v of Object.values(s[k])) closeSchema(v, true);
  }
  for (const k of ["additionalProperties", "items", "unevaluatedItems"]) closeSchema(s[k], true);
  for (const k of ["not", "if", "then", "else", "contains", "propertyNames"]) closeSchema(s[k], false);
  if (Array.isArray(s.prefixItems)) s.prefixItems.forEach((v) => closeSchema(v, true));
  for (const k of ["oneOf", "anyOf"]) if (Array.isArray(s[k])) s[k].forEach((v) => closeSchema(v, true));
  if (Array.isArray(s.allOf)) s.allOf.forEach((v) => closeSchema(v, false));
}

/** A copy of the document with every object schema closed (see above). */
export function closedDocument(doc) {
  const copy = structuredClone(doc);
  const walk = (node, key, parentKey) => {
    if (Array.isArray(node)) { node.forEach((v) => walk(v, null, key)); return; }
    if (!isObj(node)) return;
    for (const [k, v] of Object.entries(node)) {
      if (k === "schemas" && key === "components") {
        for (const def of Object.values(v)) closeSchema(def, false);
      } else if (k === "schema") {
        closeSchema(v, true);
      } else if (k !== "examples" && k !== "example") {
        walk(v, k, key);
      }
    }
  };
  walk(copy, null, null);
  return copy;
}

// --------------------------------------------------------------------------
// Ajv
// --------------------------------------------------------------------------

/** Ajv 2020-12 in strict mode that knows the document's non-schema keys and
 *  OpenAPI's own schema keywords (the 3.1 base dialect's vocabulary). */
export function makeAjv(doc) {
  const ajv = new Ajv2020({
    strict: true,
    strictTypes: false,   // `unevaluatedProperties` next to a `$ref` with no `type`
    strictRequired: false,
    allErrors: true,
    verbose: true,
    inlineRefs: false,    // every referenced schema is compiled once, not into every user
    validateFormats: true,
  });
  addFormats(ajv);
  // OpenAPI formats with no JSON Schema meaning (raw bytes of a file body)
  ajv.addFormat("binary", true);
  // OpenAPI 3.1 base dialect: annotation keywords of the OAS vocabulary
  ajv.addVocabulary(["discriminator", "xml", "externalDocs", "example"]);
  // the top-level keys of the document (it is added whole, for its $refs)
  const topKeys = Object.keys(doc).filter((k) => !ajv.getKeyword(k));
  ajv.addVocabulary(topKeys);
  ajv.addSchema({ ...doc, $id: DOC_ID });
  return ajv;
}

// --------------------------------------------------------------------------
// Error messages
// --------------------------------------------------------------------------

function jsonPath(instancePath) {
  if (!instancePath) return "$";
  return "$" + instancePath.split("/").slice(1).map((p) => {
    const k = p.replace(/~1/g, "/").replace(/~0/g, "~");
    return /^\d+$/.test(k) ? `[${k}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
  }).join("");
}

export function short(value, n = 160) {
  let s;
  try { s = JSON.stringify(value); } catch { s = String(value); }
  if (s === undefined) s = String(value);
  return s.length <= n ? s : s.slice(0, n) + "...";
}

/** One line per Ajv error: where in the body, what was expected, what came. */
export function describeErrors(errors, root) {
  const out = [];
  for (const e of errors || []) {
    const at = `body ${jsonPath(e.instancePath)}`;
    const got = short(e.data);
    const schemaAt = e.schemaPath.startsWith(DOC_ID) ? e.schemaPath.slice(DOC_ID.length) : e.schemaPath;
    const p = e.params || {};
    let what;
    switch (e.keyword) {
      case "unevaluatedProperties":
      case "additionalProperties": {
        const name = p.unevaluatedProperty ?? p.additionalProperty;
        const value = isObj(e.data) ? short(e.data[name], 80) : "?";
        what = `has property "${name}" (= ${value}), which the document does not describe`;
        break;
      }
      case "required":
        what = `required property "${p.missingProperty}" is missing (has ${short(Object.keys(e.data || {}))})`;
        break;
      case "enum":
        what = `expected one of ${short(p.allowedValues, 400)}, got ${got}`;
        break;
      case "const":
        what = `expected ${short(p.allowedValue)}, got ${got}`;
        break;
      case "type":
        what = `expected type ${p.type}, got ${got}`;
        break;
      case "pattern":
        what = `expected a string matching ${p.pattern}, got ${got}`;
        break;
      case "oneOf":
        what = p.passingSchemas ? `matches more than one oneOf alternative (${p.passingSchemas})`
                                : `matches no oneOf alternative (see the lines above), got ${got}`;
        break;
      case "anyOf":
        what = `matches no anyOf alternative (see the lines above), got ${got}`;
        break;
      default:
        what = `${e.message}, got ${got}`;
    }
    const line = `${at}: ${what}  [schema ${schemaAt}]`;
    if (!out.includes(line)) out.push(line);
  }
  const MAX = 25;
  return out.length > MAX ? [...out.slice(0, MAX), `... and ${out.length - MAX} more`] : out;
}

// --------------------------------------------------------------------------
// Live responses
// --------------------------------------------------------------------------

const baseType = (ct) => String(ct || "").split(";")[0].trim().toLowerCase();

export class ResponseChecker {
  constructor(doc = loadDocument()) {
    this.doc = doc;
    this.closed = closedDocument(doc);
    this.ajv = makeAjv(this.closed);
    this.cache = new Map();
  }

  /** A validate function for the schema at a JSON pointer of the document. */
  validatorAt(pointer, close = false) {
    const key = `${close}${pointer}`;
    let v = this.cache.get(key);
    if (!v) {
      const schema = { $ref: `${DOC_ID}#${pointer}` };
      // a component definition is closed where it is used, as here
      if (close) schema.unevaluatedProperties = false;
      v = this.ajv.compile(schema);
      this.cache.set(key, v);
    }
    return v;
  }

  /** Mismatches of a value against the schema at `ref`
   *  ("#/components/schemas/X"), closed like every use of it. */
  checkSchema(ref, value) {
    const validate = this.validatorAt(ref.replace(/^#/, ""), true);
    return validate(value) ? [] : describeErrors(validate.errors);
  }

  /**
   * Mismatches of one live response against the document, each a line
   * naming the route, the status and the field. `headers` has lower-case
   * names; `body` is the parsed JSON, or `bodyText` the raw text.
   */
  checkResponse({ method, template, status, headers = {}, body, bodyText }) {
    const where = `${method.toUpperCase()} ${template} -> ${status}`;
    const item = this.doc.paths?.[template];
    if (!item) return [`${method.toUpperCase()} ${template}: the path is not in docs/openapi.yaml`];
    const [pathItem, itemPtr] = deref(this.doc, item, `/paths/${escapePointer(template)}`);
    const m = method.toLowerCase();
    if (!pathItem[m]) {
      return [`${method.toUpperCase()} ${template}: docs/openapi.yaml has no ${m} operation on this path ` +
              `(it has ${HTTP_METHODS.filter((x) => x in pathItem).join(", ")})`];
    }
    const [op, opPtr] = deref(this.doc, pathItem[m], `${itemPtr}/${m}`);
    const responses = op.responses || {};
    const s = String(status);
    const key = [s, `${s[0]}XX`, "default"].find((k) => k in responses);
    if (!key) {
      return [`${where}: the server answered ${status}, which the document does not list ` +
              `(it lists ${Object.keys(responses).join(", ")})` +
              (bodyText !== undefined || body !== undefined ? `; body: ${short(body ?? bodyText, 300)}` : "")];
    }
    const [resp, respPtr] = deref(this.doc, responses[key], `${opPtr}/responses/${escapePointer(key)}`);
    const errors = [];

    // headers the document lists for this response
    for (const [name, h0] of Object.entries(resp.headers || {})) {
      const [h, hPtr] = deref(this.doc, h0, `${respPtr}/headers/${escapePointer(name)}`);
      const value = headers[name.toLowerCase()];
      if (value === undefined) {
        if (h.required) errors.push(`${where}: header ${name} is documented as required but missing`);
        continue;
      }
      if (h.schema) {
        const [hs] = deref(this.doc, h.schema, `${hPtr}/schema`);
        const t = hs.type;
        const coerced = (t === "integer" || t === "number") && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
        const v = this.validatorAt(`${hPtr}/schema`);
        if (!v(coerced)) {
          errors.push(...describeErrors(v.errors).map((l) => `${where}: header ${name} ${short(value)}: ` +
                                                             l.replace(/^body \$: /, "")));
        }
      }
    }
    // headers every response but 101 carries (x-every-response-headers)
    const every = status >= 200 ? this.doc["x-every-response-headers"] || {} : {};
    for (const [name, h0] of Object.entries(every)) {
      const [h, hPtr] = deref(this.doc, h0, `/x-every-response-headers/${escapePointer(name)}`);
      const value = headers[name.toLowerCase()];
      if (value === undefined) {
        errors.push(`${where}: header ${name} is missing (x-every-response-headers says every response has it)`);
      } else if (h.schema) {
        const v = this.validatorAt(`${hPtr}/schema`);
        if (!v(value)) errors.push(`${where}: header ${name}: expected ${short(h.schema)}, got ${short(value)}`);
      }
    }

    // body
    const content = resp.content || {};
    const hasBody = body !== undefined && body !== null ? true : (bodyText !== undefined && bodyText !== "");
    if (Object.keys(content).length === 0) {
      if (hasBody) errors.push(`${where}: documented without a body, got ${short(body ?? bodyText, 300)}`);
      return errors;
    }
    const ctype = baseType(headers["content-type"]);
    const mediaKey = ctype in content ? ctype : Object.keys(content).find((k) => baseType(k) === ctype);
    if (mediaKey === undefined) {
      errors.push(`${where}: Content-Type ${JSON.stringify(headers["content-type"] ?? null)} is not one of ` +
                  `the documented ${Object.keys(content).join(", ")}`);
      return errors;
    }
    let value = body;
    if (ctype === "application/json" || ctype.endsWith("+json")) {
      if (value === undefined) {
        try {
          value = JSON.parse(bodyText ?? "");
        } catch {
          errors.push(`${where}: the body is not JSON: ${short(bodyText, 300)}`);
          return errors;
        }
      }
    } else if (value === undefined) {
      value = bodyText ?? "";
    }
    const schemaPtr = `${respPtr}/content/${escapePointer(mediaKey)}/schema`;
    if (content[mediaKey] && "schema" in content[mediaKey]) {
      const v = this.validatorAt(schemaPtr);
      if (!v(value)) {
        errors.push(...describeErrors(v.errors).map((l) => `${where}: ${l}`));
        errors.push(`${where}: (whole body: ${short(value, 800)})`);
      }
    }
    return errors;
  }
}

// --------------------------------------------------------------------------
// The route table
// --------------------------------------------------------------------------

const ROUTE_ENTRY_RE = /\b(JOB|PREPARED_JOB|CHAIN_JOB|INLINE)\(([^()]*)\)/g;

/** [{kind, method, pattern, auth}] from `routes[]` in src/net/router.c. */
export function routerRoutes(file = ROUTER) {
  const src = fs.readFileSync(file, "utf8");
  const m = /\broutes\[\]\s*=\s*\{([\s\S]*?)\n\};/.exec(src);
  if (!m) throw new Error(`${file}: no \`routes[] = { ... };\` table found`);
  const out = [];
  for (const [, kind, args] of m[1].matchAll(ROUTE_ENTRY_RE)) {
    const parts = args.split(",").map((a) => a.trim());
    const method = /^HTTP_([A-Z]+)$/.exec(parts[0]);
    const pattern = /^"([^"]*)"$/.exec(parts[1]);
    if (!method || !pattern) throw new Error(`${file}: cannot read the route entry ${kind}(${args})`);
    out.push({ kind, method: method[1], pattern: pattern[1], auth: kind === "INLINE" ? null : parts[4] === "true" });
  }
  if (out.length < 10) throw new Error(`${file}: only ${out.length} routes read; has the table changed form?`);
  return out;
}

/** "{id}" and "{}" alike become "{}". */
export const normalisePath = (p) => p.replace(/\{[^/{}]*\}/g, "{}");

/** Set of "METHOD /normalised/path" the document lists (no `options`: the
 *  CORS preflight is answered by the router itself for every /api/ path). */
export function documentedRoutes(doc) {
  const out = new Set();
  for (const [p, item0] of Object.entries(doc.paths || {})) {
    const [item] = deref(doc, item0, "");
    for (const m of HTTP_METHODS) {
      if (m in item && m !== "options") out.add(`${m.toUpperCase()} ${normalisePath(p)}`);
    }
  }
  return out;
}
