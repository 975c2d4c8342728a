// check_server.mjs - the response validator as a child process for the
// Python live test (tests/integration/test_openapi.py): one JSON request
// per line on stdin, one JSON answer per line on stdout.
//
//   {"op": "response", "method", "template", "status", "headers", "body"?, "body_text"?}
//   {"op": "schema", "ref": "#/components/schemas/X", "value": ...}
//   -> {"errors": ["<route> -> <status>: body $.field: expected ..., got ..."]}
//
// A request the checker cannot handle answers {"fatal": "<message>"}.
import readline from "node:readline";
import { ResponseChecker, DOCUMENT, loadDocument } from "./openapi_check.mjs";

const checker = new ResponseChecker(loadDocument(process.env.PARLEY_OPENAPI || DOCUMENT));
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
process.stdout.write(JSON.stringify({ ready: true }) + "\n");
for await (const line of rl) {
  if (!line.trim()) continue;
  let answer;
  try {
    const req = JSON.parse(line);
    if (req.op === "response") {
      answer = { errors: checker.checkResponse({
        method: req.method, template: req.template, status: req.status,
        headers: req.headers || {}, body: req.body, bodyText: req.body_text,
      }) };
    } else if (req.op === "schema") {
      answer = { errors: checker.checkSchema(req.ref, req.value) };
    } else {
      answer = { fatal: `unknown op ${JSON.stringify(req.op)}` };
    }
  } catch (e) {
    answer = { fatal: String(e && e.stack || e) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
