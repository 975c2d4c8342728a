// Console state: who is signed in, what the console has loaded, and a tiny
// publish/subscribe so views learn of changes without importing each other.
// Owned by the page's one thread; nothing here touches the DOM.

const AUTH_KEY = 'parley.console.v1';

/** Scalars; read and written directly by the views. */
export const state = {
  auth: null, // {token, agent}
  selectedId: null, // the open conversation
  sessionFilter: '', // the status the conversation list shows ('' = all)
  teams: [], // [{id, name}]
  labelDefs: [], // [{name, color}]
  queueEntries: [], // GET /api/v1/queue entries
};

export const agents = new Map(); // id → agent
export const sessions = new Map(); // id → session (everything we have seen)
export const convs = new Map(); // session id → conversation (see conv())
export const tickets = new Map(); // id → ticket
export const notes = new Map(); // session id → [note] newest first
export const contacts = new Map(); // customer id → contact (contacts.js fills it)

// The paged lists: where a page comes from, the filter select and error box
// on the page, the items by id, the ids shown in order and the cursor of the
// page after them.
export const sessionList = {
  path: '/api/v1/sessions', key: 'sessions', filter: 'status-filter', errors: 'sessions-error',
  items: sessions, ids: [], cursor: null,
};
export const ticketList = {
  path: '/api/v1/tickets', key: 'tickets', filter: 'ticket-filter', errors: 'tickets-error',
  items: tickets, ids: [], cursor: null, loaded: false,
};

// ----------------------------------------------------------- pub/sub ---

const topics = new Map(); // topic → Set of listeners

/**
 * Calls fn(detail) on every emit(topic), in the order of subscription.
 * Returns the unsubscribe function. The topics, who emits them and who
 * listens: docs/subsystems/console.md ("How views talk").
 */
export function subscribe(topic, fn) {
  if (!topics.has(topic)) topics.set(topic, new Set());
  topics.get(topic).add(fn);
  return () => topics.get(topic).delete(fn);
}

export function emit(topic, detail) {
  for (const fn of Array.from(topics.get(topic) || [])) fn(detail);
}

// -------------------------------------------------------------- auth ---

export function loadAuth() {
  try {
    const a = JSON.parse(sessionStorage.getItem(AUTH_KEY) || 'null');
    if (a && a.token) return a;
  } catch (e) { /* ignore */ }
  return null;
}

export function saveAuth() {
  if (state.auth) sessionStorage.setItem(AUTH_KEY, JSON.stringify(state.auth));
  else sessionStorage.removeItem(AUTH_KEY);
}

export function myId() {
  return state.auth && state.auth.agent ? state.auth.agent.id : null;
}

export function isAdmin() {
  return !!(state.auth && state.auth.agent && state.auth.agent.role === 'admin');
}

// ------------------------------------------------------ conversations ---

/** The conversation record of a session, made on first use. */
export function conv(id) {
  let c = convs.get(id);
  if (!c) {
    // msgs: seq → message; pending: client_msg_id → {cid, sessionId, content, failed}
    c = { msgs: new Map(), lastSeq: 0, subscribed: false, wanted: false, pending: new Map(), loaded: false, readSeq: 0 };
    convs.set(id, c);
  }
  return c;
}

/**
 * Stores a session (from a page, an action or an event) and keeps the
 * list's order of ids in step with the filter; then 'sessions' and
 * 'session' are emitted.
 */
export function upsertSession(s, isNew) {
  const prev = sessions.get(s.id);
  // Events carry no unread_count (it is the caller's) and no labels when there are none.
  if (s.unread_count === undefined) s.unread_count = prev ? prev.unread_count || 0 : 0;
  if (!Array.isArray(s.labels)) s.labels = [];
  sessions.set(s.id, s);
  if (!state.sessionFilter || s.status === state.sessionFilter) {
    if (!sessionList.ids.includes(s.id)) sessionList.ids.push(s.id);
  } else if (s.id !== state.selectedId) {
    sessionList.ids = sessionList.ids.filter((id) => id !== s.id);
  }
  emit('sessions');
  emit('session', { session: s, isNew: !!isNew && !prev });
}

/** Forgets everything of the signed-out user. */
export function resetState() {
  state.auth = null;
  saveAuth();
  agents.clear();
  sessions.clear();
  convs.clear();
  tickets.clear();
  notes.clear();
  contacts.clear();
  sessionList.ids = [];
  sessionList.cursor = null;
  ticketList.ids = [];
  ticketList.cursor = null;
  ticketList.loaded = false;
  state.selectedId = null;
  state.teams = [];
  state.labelDefs = [];
  state.queueEntries = [];
}

// ------------------------------------------------------------- names ---

export const STATUS_LABEL = { waiting: 'Waiting', active: 'Active', closed: 'Closed', open: 'Open', in_progress: 'In progress', resolved: 'Resolved' };
export const PRESENCE_LABEL = { online: 'Online', busy: 'Busy', offline: 'Offline' };
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
export const PRIORITY_LABEL = { low: 'Low', normal: 'Normal', high: 'High', urgent: 'Urgent' };

export function shortId(id) {
  if (!id) return '';
  const i = id.indexOf('_');
  return i >= 0 ? id.slice(0, i + 1) + id.slice(-6) : id.slice(-6);
}

export function agentName(id) {
  if (!id) return 'Unassigned';
  if (id === myId()) return 'You';
  const a = agents.get(id);
  return a ? a.name : 'Agent ' + shortId(id);
}

export function teamName(id) {
  const t = state.teams.find((x) => x.id === id);
  return t ? t.name : 'Team ' + shortId(id);
}

export function presenceOf(a) {
  return (a && a.status && PRESENCE_LABEL[a.status]) ? a.status : 'offline';
}
