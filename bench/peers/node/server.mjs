// The Node.js peer of `make bench` (bench/peers/README.md): the subset of
// Parley's API v1 that parley-bench uses, written the way a good Node
// developer would write it in an afternoon, with parleyd's guarantees:
//
// - durability: SQLite in WAL mode with synchronous=FULL; a message is
//   acknowledged (ack frame) and delivered (message.created) only after the
//   commit that stores it;
// - group commit: message.send frames are queued, and one transaction per
//   event-loop turn (setImmediate) stores everything queued so far, so a
//   batch grows with the load;
// - seq starts at 1 in each session and grows by one per stored message
//   (sessions.last_seq, bumped in the same transaction);
// - a retry with the same client_msg_id from the same sender gets the very
//   same message, never a duplicate.
//
// Usage: node server.mjs --listen 127.0.0.1:PORT --data-dir DIR
//                        [--admin-email E --admin-password P]
// The admin is created on start when it does not exist yet. Prints
// "listening on http://HOST:PORT" once it accepts connections.
//
// Single-threaded (the event loop) apart from argon2's hashing, which runs
// on libuv's thread pool.

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import argon2 from 'argon2';
import Database from 'better-sqlite3';
import { WebSocketServer } from 'ws';

const MAX_BODY = 1 << 20;
const MAX_CONTENT = 10000;
// parleyd's hashing cost: libsodium's argon2id, OPSLIMIT_INTERACTIVE, 64 MiB
const ARGON2 = { type: argon2.argon2id, memoryCost: 65536, timeCost: 2, parallelism: 1 };

function parseArgs(argv) {
  const opts = { listen: '127.0.0.1:8080', dataDir: './peer-data' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--listen') opts.listen = value();
    else if (flag === '--data-dir') opts.dataDir = value();
    else if (flag === '--admin-email') opts.adminEmail = value();
    else if (flag === '--admin-password') opts.adminPassword = value();
    else {
      console.error(`peer: unknown option ${flag}`);
      process.exit(2);
    }
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
mkdirSync(opts.dataDir, { recursive: true });

// ---- storage ---------------------------------------------------------------

const db = new Database(path.join(opts.dataDir, 'peer.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('foreign_keys = ON');
db.exec(`
  CREATE TABLE IF NOT EXISTS agents (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL, role TEXT NOT NULL, created_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS customers (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT, created_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY, owner_kind TEXT NOT NULL, owner_id TEXT NOT NULL,
    created_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(id),
    agent_id TEXT, topic TEXT NOT NULL, status TEXT NOT NULL, strategies TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY, session_id TEXT NOT NULL REFERENCES sessions(id),
    seq INTEGER NOT NULL, sender_type TEXT NOT NULL, sender_id TEXT NOT NULL,
    type TEXT NOT NULL, content TEXT NOT NULL, client_msg_id TEXT,
    created_at TEXT NOT NULL, UNIQUE (session_id, seq));
  CREATE UNIQUE INDEX IF NOT EXISTS messages_client_msg_id
    ON messages (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;
`);

const sql = {
  agentByEmail: db.prepare('SELECT * FROM agents WHERE email = ?'),
  agentById: db.prepare('SELECT * FROM agents WHERE id = ?'),
  insertAgent: db.prepare(
    'INSERT INTO agents (id, name, email, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
  insertCustomer: db.prepare(
    'INSERT INTO customers (id, name, email, created_at) VALUES (?, ?, ?, ?)'),
  insertToken: db.prepare(
    'INSERT INTO tokens (token_hash, owner_kind, owner_id, created_at) VALUES (?, ?, ?, ?)'),
  tokenByHash: db.prepare('SELECT owner_kind, owner_id FROM tokens WHERE token_hash = ?'),
  insertSession: db.prepare(`INSERT INTO sessions
    (id, customer_id, agent_id, topic, status, strategies, last_seq, created_at, updated_at)
    VALUES (?, ?, NULL, ?, 'waiting', ?, 0, ?, ?)`),
  sessionOwner: db.prepare('SELECT customer_id FROM sessions WHERE id = ?'),
  bumpSeq: db.prepare('UPDATE sessions SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq'),
  insertMessage: db.prepare(`INSERT INTO messages
    (id, session_id, seq, sender_type, sender_id, type, content, client_msg_id, created_at)
    VALUES (?, ?, ?, ?, ?, 'text', ?, ?, ?)`),
  messageByClientId: db.prepare(
    'SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?'),
  messagesAfter: db.prepare(
    'SELECT * FROM messages WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT 500'),
  lastSeq: db.prepare('SELECT last_seq FROM sessions WHERE id = ?'),
};

const now = () => new Date().toISOString();
const hashToken = (token) => createHash('sha256').update(token).digest('hex');

function issueToken(kind, id) {
  const token = randomBytes(32).toString('base64url');
  sql.insertToken.run(hashToken(token), kind, id, now());
  return token;
}

// tokens never change owner: remember who they belong to
const tokenCache = new Map();
function authenticate(token) {
  if (!token) return null;
  let who = tokenCache.get(token);
  if (who === undefined) {
    const row = sql.tokenByHash.get(hashToken(token));
    who = row ? { kind: row.owner_kind, id: row.owner_id } : null;
    if (who && who.kind !== 'customer') {
      const agent = sql.agentById.get(who.id);
      who.role = agent ? agent.role : null;
    }
    if (who) tokenCache.set(token, who);
  }
  return who;
}

// session id -> its customer; sessions never change customer
const ownerCache = new Map();
function sessionOwner(sessionId) {
  let owner = ownerCache.get(sessionId);
  if (owner === undefined) {
    const row = sql.sessionOwner.get(sessionId);
    if (!row) return null;
    owner = row.customer_id;
    ownerCache.set(sessionId, owner);
  }
  return owner;
}

function mayAccess(who, sessionId) {
  const owner = sessionOwner(sessionId);
  if (owner === null) return false;
  return who.kind === 'agent' || owner === who.id;
}

const agentJson = (a) => ({
  id: a.id, name: a.name, email: a.email, role: a.role, status: 'offline', created_at: a.created_at,
});

function messageJson(m) {
  const out = {
    id: m.id, session_id: m.session_id, seq: m.seq, sender: { type: m.sender_type, id: m.sender_id },
    type: m.type, content: m.content, created_at: m.created_at,
  };
  if (m.client_msg_id !== null) out.client_msg_id = m.client_msg_id;
  return out;
}

// ---- HTTP ------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'payload_too_large', 'body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (body === null || typeof body !== 'object' || Array.isArray(body)) {
          throw new Error('not an object');
        }
        resolve(body);
      } catch {
        reject(new HttpError(400, 'invalid_json', 'the body is not a JSON object'));
      }
    });
    req.on('error', reject);
  });
}

function bearer(req) {
  const h = req.headers.authorization;
  return h && h.startsWith('Bearer ') ? h.slice(7) : null;
}

// The caller of an authenticated route, or a 401 / 403.
function caller(req, allowed, refusal) {
  const who = authenticate(bearer(req));
  if (!who) throw new HttpError(401, 'unauthenticated', 'a token is required');
  if (!allowed(who)) throw new HttpError(403, 'forbidden', refusal);
  return who;
}

function requireString(body, field, max = 1000) {
  const v = body[field];
  if (typeof v !== 'string' || v.length === 0 || v.length > max) {
    throw new HttpError(400, 'validation_failed', `${field} must be a non-empty string`);
  }
  return v;
}

const routes = {
  'POST /api/v1/auth/login': async (req) => {
    const body = await readJson(req);
    const email = requireString(body, 'email');
    const password = requireString(body, 'password');
    const agent = sql.agentByEmail.get(email);
    if (!agent || !(await argon2.verify(agent.password_hash, password))) {
      throw new HttpError(401, 'unauthenticated', 'wrong email or password');
    }
    return [200, { token: issueToken('agent', agent.id), agent: agentJson(agent) }];
  },

  'POST /api/v1/agents': async (req) => {
    caller(req, (who) => who.role === 'admin', 'admins only');
    const body = await readJson(req);
    const name = requireString(body, 'name');
    const email = requireString(body, 'email');
    const password = requireString(body, 'password');
    const role = body.role === undefined ? 'agent' : body.role;
    if (role !== 'agent' && role !== 'admin') {
      throw new HttpError(400, 'validation_failed', 'role must be agent or admin');
    }
    const hash = await argon2.hash(password, ARGON2);
    const agent = { id: randomUUID(), name, email, role, created_at: now() };
    try {
      sql.insertAgent.run(agent.id, name, email, hash, role, agent.created_at);
    } catch (e) {
      if (e.code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new HttpError(409, 'conflict', 'an agent with this email exists');
      }
      throw e;
    }
    return [201, agentJson(agent)];
  },

  'POST /api/v1/customers': async (req) => {
    const body = await readJson(req);
    const name = requireString(body, 'name');
    const email = typeof body.email === 'string' ? body.email : null;
    const customer = { id: randomUUID(), name, email, verified: false };
    sql.insertCustomer.run(customer.id, name, email, now());
    return [201, { customer, token: issueToken('customer', customer.id) }];
  },

  'POST /api/v1/sessions': async (req) => {
    const who = caller(req, (w) => w.kind === 'customer', 'customers only');
    const body = await readJson(req);
    const topic = requireString(body, 'topic');
    const strategies = Array.isArray(body.strategies) ? body.strategies : [];
    const t = now();
    const session = {
      id: randomUUID(), customer_id: who.id, agent_id: null, topic, status: 'waiting',
      strategies, last_seq: 0, created_at: t, updated_at: t,
    };
    sql.insertSession.run(session.id, who.id, topic, JSON.stringify(strategies), t, t);
    return [201, session];
  },

  'GET /healthz': async () => [200, { status: 'ok' }],
};

const server = http.createServer(async (req, res) => {
  const route = routes[`${req.method} ${req.url.split('?', 1)[0]}`];
  try {
    if (!route) throw new HttpError(404, 'not_found', 'no such route');
    const [status, body] = await route(req);
    send(res, status, body);
  } catch (e) {
    if (e instanceof HttpError) {
      send(res, e.status, { error: { code: e.code, message: e.message } });
    } else {
      console.error('peer:', e);
      send(res, 500, { error: { code: 'internal', message: 'internal error' } });
    }
  }
});

// ---- WebSocket -------------------------------------------------------------

const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
const subscribers = new Map(); // session id -> Set of sockets

server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://localhost');
  const who = url.pathname === '/api/v1/ws' ? authenticate(url.searchParams.get('token')) : null;
  if (!who) {
    socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.who = who;
    ws.sessions = new Set();
    ws.on('message', (data, isBinary) => onFrame(ws, data, isBinary));
    ws.on('close', () => {
      for (const id of ws.sessions) subscribers.get(id)?.delete(ws);
    });
    ws.on('error', () => {});
  });
});

function sendError(ws, code, message, clientMsgId) {
  const frame = { type: 'error', error: { code, message } };
  if (clientMsgId !== undefined) frame.client_msg_id = clientMsgId;
  ws.send(JSON.stringify(frame));
}

function onFrame(ws, data, isBinary) {
  let frame;
  try {
    frame = isBinary ? null : JSON.parse(data);
  } catch {
    frame = null;
  }
  if (frame === null || typeof frame !== 'object' || typeof frame.type !== 'string') {
    sendError(ws, 'invalid_json', 'a frame is one JSON object with a type');
    return;
  }
  switch (frame.type) {
    case 'message.send': return onSend(ws, frame);
    case 'subscribe': return onSubscribe(ws, frame);
    case 'ping': return ws.send('{"type":"pong"}');
    default: return sendError(ws, 'validation_failed', `unknown frame type ${frame.type}`);
  }
}

// Stored messages after after_seq, then live ones. better-sqlite3 reads
// synchronously and a commit never straddles event-loop turns, so nothing
// committed between the read and the registration can be missed.
function onSubscribe(ws, frame) {
  const sessionId = frame.session_id;
  if (typeof sessionId !== 'string' || !mayAccess(ws.who, sessionId)) {
    sendError(ws, 'not_found', 'no such session');
    return;
  }
  let after = Number.isInteger(frame.after_seq) && frame.after_seq > 0 ? frame.after_seq : 0;
  for (;;) {
    const rows = sql.messagesAfter.all(sessionId, after);
    for (const m of rows) {
      ws.send(`{"type":"message.created","session_id":${JSON.stringify(sessionId)},"message":${
        JSON.stringify(messageJson(m))}}`);
      after = m.seq;
    }
    if (rows.length < 500) break;
  }
  let set = subscribers.get(sessionId);
  if (!set) subscribers.set(sessionId, (set = new Set()));
  set.add(ws);
  ws.sessions.add(sessionId);
  ws.send(JSON.stringify({
    type: 'subscribed', session_id: sessionId, last_seq: sql.lastSeq.get(sessionId).last_seq,
  }));
}

// ---- message.send: group commit -----------------------------------------------

let queue = [];
let flushScheduled = false;

function onSend(ws, frame) {
  const { session_id: sessionId, content, client_msg_id: clientMsgId } = frame;
  if (clientMsgId !== undefined && (typeof clientMsgId !== 'string' || clientMsgId.length > 128)) {
    sendError(ws, 'validation_failed', 'client_msg_id must be a string of at most 128 characters');
    return;
  }
  if (typeof content !== 'string' || content.length === 0 || content.length > MAX_CONTENT) {
    sendError(ws, 'validation_failed', 'content must be a non-empty string', clientMsgId);
    return;
  }
  if (typeof sessionId !== 'string' || !mayAccess(ws.who, sessionId)) {
    sendError(ws, 'not_found', 'no such session', clientMsgId);
    return;
  }
  queue.push({ ws, sessionId, content, clientMsgId });
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

// One transaction for everything queued this turn; the result of each job
// is the stored message, new or (a retry) the one stored before.
const storeBatch = db.transaction((jobs) => {
  const createdAt = now();
  for (const job of jobs) {
    const sender = job.ws.who;
    if (job.clientMsgId !== undefined) {
      const existing = sql.messageByClientId.get(sender.id, job.clientMsgId);
      if (existing) {
        job.message = messageJson(existing);
        job.duplicate = true;
        continue;
      }
    }
    const { last_seq: seq } = sql.bumpSeq.get(job.sessionId);
    const m = {
      id: randomUUID(), session_id: job.sessionId, seq, sender_type: sender.kind,
      sender_id: sender.id, type: 'text', content: job.content,
      client_msg_id: job.clientMsgId ?? null, created_at: createdAt,
    };
    sql.insertMessage.run(m.id, m.session_id, m.seq, m.sender_type, m.sender_id, m.content,
      m.client_msg_id, m.created_at);
    job.message = messageJson(m);
  }
});

function flush() {
  flushScheduled = false;
  const jobs = queue;
  queue = [];
  try {
    storeBatch(jobs); // COMMIT returns after the fsync (synchronous=FULL)
  } catch (e) {
    console.error('peer: batch failed:', e.message);
    for (const job of jobs) sendError(job.ws, 'unavailable', 'could not store', job.clientMsgId);
    return;
  }
  for (const job of jobs) {
    const message = JSON.stringify(job.message);
    if (job.ws.readyState === job.ws.OPEN) {
      job.ws.send(`{"type":"ack","client_msg_id":${JSON.stringify(job.clientMsgId ?? null)},"message":${message}}`);
    }
    if (job.duplicate) continue;
    const subs = subscribers.get(job.sessionId);
    if (!subs || subs.size === 0) continue;
    const created = `{"type":"message.created","session_id":${JSON.stringify(job.sessionId)},"message":${message}}`;
    for (const sub of subs) sub.send(created);
  }
}

// ---- start -----------------------------------------------------------------

async function ensureAdmin() {
  if (!opts.adminEmail || sql.agentByEmail.get(opts.adminEmail)) return;
  if (!opts.adminPassword) {
    console.error('peer: --admin-email needs --admin-password');
    process.exit(2);
  }
  const hash = await argon2.hash(opts.adminPassword, ARGON2);
  sql.insertAgent.run(randomUUID(), 'Admin', opts.adminEmail, hash, 'admin', now());
}

function shutdown() {
  server.close();
  for (const ws of wss.clients) ws.terminate();
  db.close();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

await ensureAdmin();
const colon = opts.listen.lastIndexOf(':');
const host = opts.listen.slice(0, colon).replace(/^\[|\]$/g, '');
const port = Number(opts.listen.slice(colon + 1));
server.listen(port, host, () => {
  const { address, port: bound } = server.address();
  console.log(`peer: listening on http://${address.includes(':') ? `[${address}]` : address}:${bound}`);
});
