// Parley agent console. All text that comes from people (names, topics,
// messages, ticket descriptions) is inserted with textContent, never as HTML.

import {
  ApiError, apiRequest, ParleySocket, newClientMsgId, wsUrl, formatTime, el, attachmentNode, uploadFile,
  translatedBody,
} from './parley-client.js';

const API_BASE = new URL('/', location.href).toString();
const AUTH_KEY = 'parley.console.v1';

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- state ---

let auth = null; // {token, agent}
const agents = new Map(); // id → agent
const sessions = new Map(); // id → session (everything we have seen)
const convs = new Map(); // session id → {msgs: Map seq→msg, lastSeq, subscribed, wanted, pending: Map cid→{content, failed}}
let selectedId = null;
const tickets = new Map();
// The paged lists (conversations, tickets): where a page comes from, the
// filter select and error box on the page, the items by id, the ids shown in
// order and the cursor of the page after them.
const sessionList = {
  path: '/api/v1/sessions', key: 'sessions', filter: 'status-filter', errors: 'sessions-error',
  items: sessions, ids: [], cursor: null,
};
const ticketList = {
  path: '/api/v1/tickets', key: 'tickets', filter: 'ticket-filter', errors: 'tickets-error',
  items: tickets, ids: [], cursor: null,
};
let ticketsLoaded = false;
let teams = []; // [{id, name}]
let labelDefs = []; // [{name, color}]
let queueEntries = []; // GET /api/v1/queue entries
const notes = new Map(); // session id → [note] newest first

function loadAuth() {
  try {
    const a = JSON.parse(sessionStorage.getItem(AUTH_KEY) || 'null');
    if (a && a.token) return a;
  } catch (e) { /* ignore */ }
  return null;
}

function saveAuth() {
  if (auth) sessionStorage.setItem(AUTH_KEY, JSON.stringify(auth));
  else sessionStorage.removeItem(AUTH_KEY);
}

async function api(method, path, body) {
  try {
    return await apiRequest(API_BASE, auth && auth.token, method, path, body);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401 && auth) {
      signedOut('Your sign-in has expired. Please sign in again.');
    }
    throw err;
  }
}

function errorText(err) {
  if (err instanceof ApiError) {
    if (err.code === 'rate_limited') return `Too many requests; try again${err.retryAfter ? ` in ${err.retryAfter} s` : ' shortly'}.`;
    return err.message;
  }
  return String((err && err.message) || err);
}

function showError(node, err) {
  node.textContent = typeof err === 'string' ? err : errorText(err);
  node.hidden = false;
}

let toastTimer = null;
function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
}

function shortId(id) {
  if (!id) return '';
  const i = id.indexOf('_');
  return i >= 0 ? id.slice(0, i + 1) + id.slice(-6) : id.slice(-6);
}

function agentName(id) {
  if (!id) return 'Unassigned';
  if (auth && auth.agent && id === auth.agent.id) return 'You';
  const a = agents.get(id);
  return a ? a.name : 'Agent ' + shortId(id);
}

const STATUS_LABEL = { waiting: 'Waiting', active: 'Active', closed: 'Closed', open: 'Open', in_progress: 'In progress', resolved: 'Resolved' };

function statusBadge(status) {
  return el('span', { className: `badge badge--${status}`, text: STATUS_LABEL[status] || status });
}

// ---------------------------------------------------------------- login ---

function showLogin(notice) {
  $('app').hidden = true;
  $('login-view').hidden = false;
  const n = $('login-notice');
  n.hidden = !notice;
  n.textContent = notice || '';
  $('login-email').focus();
}

async function onLogin(e) {
  e.preventDefault();
  const errBox = $('login-error');
  errBox.hidden = true;
  const email = $('login-email').value.trim();
  const password = $('login-password').value;
  if (!email || !password) {
    showError(errBox, 'Enter your email and password.');
    return;
  }
  const btn = $('login-submit');
  btn.disabled = true;
  btn.textContent = 'Signing in…';
  try {
    const res = await apiRequest(API_BASE, null, 'POST', '/api/v1/auth/login', { email, password });
    auth = { token: res.token, agent: res.agent };
    saveAuth();
    $('login-password').value = '';
    await startApp();
  } catch (err) {
    showError(errBox, err instanceof ApiError && err.status === 401 ? 'Wrong email or password.' : err);
  } finally {
    btn.disabled = false;
    btn.textContent = 'Sign in';
  }
}

async function onLogout() {
  const token = auth && auth.token;
  signedOut();
  if (token) {
    try { await apiRequest(API_BASE, token, 'POST', '/api/v1/auth/logout'); } catch (e) { /* gone anyway */ }
  }
}

function signedOut(notice) {
  auth = null;
  saveAuth();
  socket.stop();
  agents.clear();
  sessions.clear();
  convs.clear();
  sessionList.ids = [];
  selectedId = null;
  tickets.clear();
  ticketList.ids = [];
  ticketsLoaded = false;
  teams = [];
  labelDefs = [];
  queueEntries = [];
  notes.clear();
  closeCanned();
  $('session-list').replaceChildren();
  $('queue-list').replaceChildren();
  $('agent-list').replaceChildren();
  $('search-results').replaceChildren();
  $('search-panel').hidden = true;
  $('ticket-rows').replaceChildren();
  $('msg-log').replaceChildren();
  $('detail').hidden = true;
  $('detail-empty').hidden = false;
  showLogin(notice);
}

async function startApp() {
  $('login-view').hidden = true;
  $('app').hidden = false;
  $('me').textContent = auth.agent ? auth.agent.name : '';
  selectTab('sessions', false);
  socket.start();
  try {
    const res = await api('GET', '/api/v1/agents');
    for (const a of (res && res.agents) || []) agents.set(a.id, a);
  } catch (e) { /* names fall back to ids */ }
  renderAgents();
  loadTeams();
  loadLabelDefs();
  loadQueue();
  await loadSessions(false);
}

// ------------------------------------------------------------------ tabs ---

function selectTab(name, focus = true) {
  const isSessions = name === 'sessions';
  $('tab-sessions').setAttribute('aria-selected', String(isSessions));
  $('tab-tickets').setAttribute('aria-selected', String(!isSessions));
  $('tab-sessions').tabIndex = isSessions ? 0 : -1;
  $('tab-tickets').tabIndex = isSessions ? -1 : 0;
  $('sessions-view').hidden = !isSessions;
  $('tickets-view').hidden = isSessions;
  if (focus) (isSessions ? $('tab-sessions') : $('tab-tickets')).focus();
  if (!isSessions && !ticketsLoaded) loadTickets(false);
}

function onTabKey(e) {
  if (e.key === 'ArrowRight' || e.key === 'ArrowLeft' || e.key === 'Home' || e.key === 'End') {
    e.preventDefault();
    const onSessions = $('tab-sessions').getAttribute('aria-selected') === 'true';
    selectTab(onSessions ? 'tickets' : 'sessions');
  }
}

// ------------------------------------------------------------- sessions ---

function filterMatches(s) {
  const f = $('status-filter').value;
  return !f || s.status === f;
}

// One page of a list: GET its path with ?limit=50, the status chosen in its
// filter and, for more, the cursor; the items go into its map and each id
// once into its order (emptied first unless more). False once the error is
// shown.
async function loadPage(list, more) {
  $(list.errors).hidden = true;
  const params = new URLSearchParams({ limit: '50' });
  const f = $(list.filter).value;
  if (f) params.set('status', f);
  if (more && list.cursor) params.set('cursor', list.cursor);
  try {
    const res = (await api('GET', list.path + '?' + params)) || {};
    if (!more) list.ids = [];
    for (const item of res[list.key] || []) {
      list.items.set(item.id, item);
      if (!list.ids.includes(item.id)) list.ids.push(item.id);
    }
    list.cursor = res.next_cursor || null;
    return true;
  } catch (err) {
    if (auth) showError($(list.errors), err);
    return false;
  }
}

async function loadSessions(more) {
  await loadPage(sessionList, more);
  renderList();
}

function sortList() {
  sessionList.ids.sort((a, b) => {
    const x = sessions.get(a); const y = sessions.get(b);
    return String(y.created_at).localeCompare(String(x.created_at));
  });
}

function sessionItem(s) {
  const unread = s.id === selectedId ? 0 : Number(s.unread_count) || 0;
  const labels = Array.isArray(s.labels) ? s.labels : [];
  const btn = el('button', {
    type: 'button', className: 'session-item', 'aria-current': s.id === selectedId ? 'true' : null,
    dataset: { id: s.id },
  },
  el('span', { className: 'si-top' },
    el('span', { className: 'si-topic', text: s.topic || '(no topic)' }),
    statusBadge(s.status)),
  el('span', { className: 'si-sub' },
    el('span', {
      className: 'si-who',
      text: 'Customer ' + shortId(s.customer_id) + ' · '
        + (s.agent_id ? (auth && s.agent_id === auth.agent.id ? 'assigned to you' : agentName(s.agent_id)) : 'unassigned'),
    }),
    el('time', { className: 'si-time', dateTime: s.created_at, text: formatTime(s.created_at) })),
  labels.length ? el('span', { className: 'si-labels' }, ...labels.map(labelChip)) : null,
  unread ? el('span', {
    className: 'unread-dot', text: unread >= 100 ? '99+' : String(unread),
    'aria-label': `${unread >= 100 ? 'over 99' : unread} unread message${unread === 1 ? '' : 's'}`,
  }) : null);
  btn.addEventListener('click', () => openSession(s.id));
  return el('li', {}, btn);
}

function renderList() {
  sortList();
  const ul = $('session-list');
  const items = sessionList.ids.map((id) => sessions.get(id)).filter((s) => s && filterMatches(s)).map(sessionItem);
  ul.replaceChildren(...items);
  $('sessions-empty').hidden = items.length > 0;
  $('load-more').hidden = !sessionList.cursor;
}

function upsertSession(s, isNew) {
  const prev = sessions.get(s.id);
  // Events carry no unread_count (it is the caller's) and no labels when there are none.
  if (s.unread_count === undefined) s.unread_count = prev ? prev.unread_count || 0 : 0;
  if (!Array.isArray(s.labels)) s.labels = [];
  sessions.set(s.id, s);
  if (filterMatches(s)) {
    if (!sessionList.ids.includes(s.id)) sessionList.ids.push(s.id);
  } else if (s.id !== selectedId) {
    sessionList.ids = sessionList.ids.filter((id) => id !== s.id);
  }
  renderList();
  if (s.id === selectedId) renderDetailHead();
  if (isNew && !prev) toast(`New conversation waiting: ${s.topic || '(no topic)'}`);
}

// -------------------------------------------------------- conversation ---

function conv(id) {
  let c = convs.get(id);
  if (!c) {
    c = { msgs: new Map(), lastSeq: 0, subscribed: false, wanted: false, pending: new Map(), loaded: false, readSeq: 0 };
    convs.set(id, c);
  }
  return c;
}

async function openSession(id) {
  selectedId = id;
  const c = conv(id);
  closeCanned();
  renderList();
  $('detail-empty').hidden = true;
  $('detail').hidden = false;
  $('detail-error').hidden = true;
  $('typing').hidden = true;
  renderDetailHead();
  renderMessages();
  renderNotes();
  loadNotes(id);
  loadLabelDefs();
  if (!sessions.has(id)) {
    try { sessions.set(id, await api('GET', `/api/v1/sessions/${encodeURIComponent(id)}`)); renderDetailHead(); } catch (err) { showError($('detail-error'), err); return; }
  }
  if (!c.loaded) {
    try {
      let after = 0;
      for (let page = 0; page < 100; page++) {
        const res = await api('GET', `/api/v1/sessions/${encodeURIComponent(id)}/messages?after_seq=${after}&limit=200`);
        const list = (res && res.messages) || [];
        for (const m of list) addMessage(m, false);
        if (list.length < 200) break;
        after = list[list.length - 1].seq;
      }
      c.loaded = true;
    } catch (err) {
      if (selectedId === id) showError($('detail-error'), err);
    }
  }
  markRead(id);
  if (!c.wanted) {
    c.wanted = true;
    subscribe(id);
  }
  if (selectedId === id && !$('reply-form').hidden) $('reply-input').focus();
}

function subscribe(id) {
  const c = conv(id);
  c.subscribed = false;
  socket.send({ type: 'subscribe', session_id: id, after_seq: c.lastSeq });
}

function renderDetailHead() {
  const s = sessions.get(selectedId);
  if (!s) return;
  $('detail-title').textContent = s.topic || '(no topic)';
  const meta = $('detail-meta');
  meta.replaceChildren(
    statusBadge(s.status),
    el('span', { text: ` Customer ${shortId(s.customer_id)}` }),
    el('span', { text: ` · Assigned: ${agentName(s.agent_id)}` }),
    el('span', { text: ` · Started ${formatTime(s.created_at)}` }));
  if (s.team_id) meta.append(el('span', { text: ` · Team: ${teamName(s.team_id)}` }));
  const closed = s.status === 'closed';
  const mine = auth && s.agent_id === auth.agent.id;
  $('assign-btn').disabled = closed || mine;
  $('assign-btn').textContent = mine ? 'Assigned to you' : 'Assign to me';
  $('unassign-btn').disabled = s.status !== 'active';
  $('close-btn').disabled = closed;
  $('transfer-btn').disabled = closed;
  $('transfer-target').disabled = closed;
  renderLabels(s);
  renderTransferTargets(s);
  $('reply-form').hidden = closed;
  $('closed-note').hidden = !closed;
  if (closed) $('typing').hidden = true;
}

function senderName(m) {
  const t = m.sender && m.sender.type;
  if (t === 'customer') return 'Customer';
  if (t === 'agent') return agentName(m.sender.id);
  if (t === 'bot') return 'Bot';
  return 'System';
}

function isMine(m) {
  return m.sender && m.sender.type === 'agent' && auth && m.sender.id === auth.agent.id;
}

function extras(m) {
  const parts = [];
  if (Array.isArray(m.flags) && m.flags.length) {
    const names = m.flags.map((f) => (typeof f === 'string' ? f : (f && (f.name || f.code)) || JSON.stringify(f)));
    parts.push(el('span', { className: 'flag', text: 'Flagged: ' + names.join(', ') }));
  }
  if (m.translations && typeof m.translations === 'object' && !(m.translation && m.translation.to)) {
    for (const [lang, text] of Object.entries(m.translations)) {
      const t = typeof text === 'string' ? text : text && typeof text.content === 'string' ? text.content : null;
      if (t) parts.push(el('span', { className: 'translation' }, el('span', { className: 'lang', text: lang }), ' ', t));
    }
  }
  return parts.length ? el('p', { className: 'msg-extra' }, ...parts) : null;
}

function messageNode(m, pending) {
  const kind = pending || isMine(m) ? 'own' : (m.sender && m.sender.type) || 'system';
  const li = el('li', { className: `msg msg--${kind}` });
  if (pending) {
    li.dataset.cid = pending.cid;
    li.classList.add('is-pending');
    if (pending.failed) li.classList.add('is-failed');
  } else {
    li.dataset.seq = String(m.seq);
  }
  const who = pending ? 'You' : senderName(m);
  li.append(el('p', { className: 'msg-head' },
    el('span', { className: 'msg-who', text: who }),
    pending ? el('span', { className: 'msg-time', text: pending.failed ? ` · Not sent: ${pending.failed}` : ' · Sending…' })
      : el('time', { className: 'msg-time', dateTime: m.created_at, text: ' · ' + formatTime(m.created_at) })));
  li.append(...messageText(m, pending));
  if (!pending && m.attachment) {
    li.append(attachmentNode(m.attachment, { base: API_BASE, token: () => auth && auth.token }));
  }
  if (!pending) {
    const x = extras(m);
    if (x) li.append(x);
  } else if (pending.failed) {
    li.append(el('button', { type: 'button', className: 'link', text: 'Retry', onclick: () => retryPending(pending.sessionId, pending.cid) }));
  }
  return li;
}

// Issue 16 (translation both ways): a message's text for the agent. A
// customer's message shows the translation into the agent's language with a
// "Show original" toggle; the desk's side (agents, bot) shows as written,
// with the translation the customer reads beside it; either shows a notice
// when no translation was possible ("Translation not available for en→ja").
function messageText(m, pending) {
  if (pending) return [el('p', { className: 'msg-body', text: pending.content })];
  const desk = !(m.sender && m.sender.type === 'customer');
  const nodes = translatedBody(m, { own: desk, bodyClass: 'msg-body' });
  const to = m.translation && m.translation.to;
  const sent = desk && to && m.translations && typeof m.translations[to] === 'string';
  if (sent) {
    nodes.push(el('p', { className: 'translation-note' }, el('span', { className: 'lang', text: to }), ' ', m.translations[to]));
  }
  return nodes;
}

function renderMessages() {
  const log = $('msg-log');
  const c = selectedId ? conv(selectedId) : null;
  if (!c) { log.replaceChildren(); return; }
  const nodes = Array.from(c.msgs.values()).sort((a, b) => a.seq - b.seq).map((m) => messageNode(m));
  for (const p of c.pending.values()) nodes.push(messageNode(null, p));
  log.replaceChildren(...nodes);
  log.scrollTop = log.scrollHeight;
}

/** Stores a message once (dedupe by seq) and shows it if its session is open. */
function addMessage(m, live) {
  if (!m || typeof m.seq !== 'number' || !m.session_id) return;
  const c = conv(m.session_id);
  if (m.client_msg_id && c.pending.has(m.client_msg_id)) settle(m.session_id, m.client_msg_id);
  if (c.msgs.has(m.seq)) return;
  c.msgs.set(m.seq, m);
  while (c.msgs.has(c.lastSeq + 1)) c.lastSeq += 1;
  if (m.session_id !== selectedId) {
    const s = sessions.get(m.session_id);
    if (live && !isMine(m) && s) { s.unread_count = (Number(s.unread_count) || 0) + 1; renderList(); }
    return;
  }
  const log = $('msg-log');
  const node = messageNode(m);
  let before = null;
  for (const li of log.children) {
    if (li.dataset.cid || Number(li.dataset.seq) > m.seq) { before = li; break; }
  }
  const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 100;
  log.insertBefore(node, before);
  if (nearBottom || isMine(m)) log.scrollTop = log.scrollHeight;
  if (live && m.sender && m.sender.type === 'customer') $('typing').hidden = true;
  if (live) markRead(m.session_id);
}

function pendingNode(cid) {
  return Array.from($('msg-log').querySelectorAll('li[data-cid]')).find((li) => li.dataset.cid === cid) || null;
}

function settle(sessionId, cid) {
  const c = conv(sessionId);
  c.pending.delete(cid);
  if (sessionId === selectedId) {
    const n = pendingNode(cid);
    if (n) n.remove();
  }
}

function showPending(p) {
  if (p.sessionId !== selectedId) return;
  const node = messageNode(null, p);
  const old = pendingNode(p.cid);
  const log = $('msg-log');
  if (old) old.replaceWith(node); else log.append(node);
  log.scrollTop = log.scrollHeight;
}

function sendPending(p) {
  if (!conv(p.sessionId).subscribed) return; // goes out after (re)subscribing
  socket.send({ type: 'message.send', session_id: p.sessionId, content: p.content, client_msg_id: p.cid });
}

function onReply(e) {
  e.preventDefault();
  const input = $('reply-input');
  const content = input.value.trim();
  if (!content || !selectedId) return;
  const p = { cid: newClientMsgId(), sessionId: selectedId, content, failed: null };
  conv(selectedId).pending.set(p.cid, p);
  showPending(p);
  input.value = '';
  sendPending(p);
}

function retryPending(sessionId, cid) {
  const p = conv(sessionId).pending.get(cid);
  if (!p) return;
  p.failed = null;
  showPending(p);
  sendPending(p);
}

function onSendError(cid, error) {
  for (const [sid, c] of convs) {
    const p = c.pending.get(cid);
    if (!p) continue;
    const code = (error && error.code) || 'error';
    if (code === 'rate_limited' || code === 'unavailable') {
      setTimeout(() => { if (c.pending.get(cid) === p && !p.failed) sendPending(p); }, 3000);
      return;
    }
    p.failed = code === 'conflict' ? 'the conversation is closed' : (error && error.message) || code;
    if (sid === selectedId) showPending(p);
    return;
  }
}

let lastTyping = 0;
function onReplyInput() {
  updateCanned();
  if (!selectedId || Date.now() - lastTyping < 3000) return;
  const c = conv(selectedId);
  if (!c.subscribed) return;
  lastTyping = Date.now();
  socket.send({ type: 'typing', session_id: selectedId });
}

let typingTimer = null;
function showTyping() {
  $('typing').hidden = false;
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => { $('typing').hidden = true; }, 5000);
}

// POST /sessions/{id}/<action> on the open conversation, from the button
// that asked for it: the session that comes back replaces ours and `done`
// is toasted; an error goes to the detail pane. False when it failed.
async function sessionAction(action, button, body, done) {
  const id = selectedId;
  $('detail-error').hidden = true;
  $(button).disabled = true;
  try {
    const s = await api('POST', `/api/v1/sessions/${encodeURIComponent(id)}/${action}`, body);
    upsertSession(s);
    toast(done);
    return true;
  } catch (err) {
    showError($('detail-error'), err);
    return false;
  }
}

async function onAssign() {
  if (!await sessionAction('assign', 'assign-btn', { agent_id: auth.agent.id }, 'Conversation assigned to you.')) {
    renderDetailHead();
  }
}

async function onClose() {
  if (!await sessionAction('close', 'close-btn', undefined, 'Conversation closed.')) renderDetailHead();
}

// -------------------------------------------------------------- tickets ---

function openTicketDialog() {
  const s = sessions.get(selectedId);
  if (!s) return;
  $('ticket-for').textContent = 'For the conversation “' + (s.topic || '(no topic)') + '”';
  $('ticket-desc').value = '';
  $('ticket-priority').value = 'normal';
  $('ticket-error').hidden = true;
  $('ticket-dialog').showModal();
  $('ticket-desc').focus();
}

async function onCreateTicket(e) {
  e.preventDefault();
  const desc = $('ticket-desc').value.trim();
  const body = { priority: $('ticket-priority').value };
  if (desc) body.issue_description = desc;
  const btn = $('ticket-create');
  btn.disabled = true;
  try {
    const t = await api('POST', `/api/v1/sessions/${encodeURIComponent(selectedId)}/ticket`, body);
    $('ticket-dialog').close();
    upsertTicket(t, true);
    toast(`Ticket ${shortId(t.id)} created.`);
    $('ticket-btn').focus();
  } catch (err) {
    showError($('ticket-error'), err);
  } finally {
    btn.disabled = false;
  }
}

async function loadTickets(more) {
  if (await loadPage(ticketList, more)) ticketsLoaded = true;
  renderTickets();
}

function upsertTicket(t, isNew) {
  tickets.set(t.id, t);
  if (!ticketsLoaded) return;
  const f = $('ticket-filter').value;
  if (!f || t.status === f) {
    if (!ticketList.ids.includes(t.id)) { if (isNew) ticketList.ids.unshift(t.id); else ticketList.ids.push(t.id); }
  }
  renderTickets();
}

function ticketRow(t) {
  const s = sessions.get(t.session_id);
  const select = el('select', { 'aria-label': `Status of ticket ${shortId(t.id)}`, dataset: { id: t.id } },
    ...['open', 'in_progress', 'resolved'].map((v) => el('option', { value: v, text: STATUS_LABEL[v], selected: v === t.status })));
  select.value = t.status;
  select.addEventListener('change', () => changeTicketStatus(t.id, select));
  const prio = el('select', { 'aria-label': `Priority of ticket ${shortId(t.id)}`, className: 'prio-select' },
    ...PRIORITIES.map((v) => el('option', { value: v, text: PRIORITY_LABEL[v] })));
  prio.value = t.priority || 'normal';
  prio.addEventListener('change', () => changeTicket(t.id, { priority: prio.value }, prio));
  const openBtn = el('button', {
    type: 'button', className: 'link', text: s ? s.topic || '(no topic)' : 'Open conversation',
    onclick: () => { selectTab('sessions', false); openSession(t.session_id); },
  });
  return el('tr', { dataset: { id: t.id } },
    el('td', {}, el('code', { text: shortId(t.id) })),
    el('td', { className: 'ticket-desc', text: t.issue_description }),
    el('td', {}, openBtn),
    el('td', { text: agentName(t.agent_id) }),
    el('td', {}, el('span', { className: 'status-cell' },
      el('span', { className: `badge badge--prio-${t.priority || 'normal'}`, text: PRIORITY_LABEL[t.priority] || 'Normal' }), prio)),
    el('td', {}, el('time', { dateTime: t.updated_at, text: formatTime(t.updated_at) })),
    el('td', {}, el('span', { className: 'status-cell' }, statusBadge(t.status), select)));
}

function renderTickets() {
  const f = $('ticket-filter').value;
  const rows = ticketList.ids.map((id) => tickets.get(id)).filter((t) => t && (!f || t.status === f)).map(ticketRow);
  $('ticket-rows').replaceChildren(...rows);
  $('tickets-empty').hidden = rows.length > 0;
  $('tickets-more').hidden = !ticketList.cursor;
}

async function changeTicketStatus(id, select) {
  const t = tickets.get(id);
  const want = select.value;
  select.disabled = true;
  $('tickets-error').hidden = true;
  try {
    const updated = await api('PATCH', `/api/v1/tickets/${encodeURIComponent(id)}`, { status: want });
    upsertTicket(updated);
    toast(`Ticket ${shortId(id)} is now ${STATUS_LABEL[updated.status] || updated.status}.`);
  } catch (err) {
    select.value = t ? t.status : want;
    select.disabled = false;
    showError($('tickets-error'), err);
  }
}

// ------------------------------------------------------ team & presence ---

const PRESENCE_LABEL = { online: 'Online', busy: 'Busy', offline: 'Offline' };
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
const PRIORITY_LABEL = { low: 'Low', normal: 'Normal', high: 'High', urgent: 'Urgent' };

function teamName(id) {
  const t = teams.find((x) => x.id === id);
  return t ? t.name : 'Team ' + shortId(id);
}

function presenceOf(a) {
  return (a && a.status && PRESENCE_LABEL[a.status]) ? a.status : 'offline';
}

function renderAgents() {
  const me = auth && auth.agent ? agents.get(auth.agent.id) : null;
  if (me) $('presence').value = presenceOf(me);
  const list = Array.from(agents.values())
    .filter((a) => a.active !== false)
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  $('agent-list').replaceChildren(...list.map((a) => {
    const st = presenceOf(a);
    const isMe = auth && a.id === auth.agent.id;
    return el('li', { className: 'agent-row', dataset: { id: a.id, status: st } },
      el('span', { className: `presence-dot presence-dot--${st}`, 'aria-hidden': 'true' }),
      el('span', { className: 'agent-name', text: a.name + (isMe ? ' (you)' : '') }),
      el('span', { className: 'agent-status', text: PRESENCE_LABEL[st] }));
  }));
  if (selectedId && sessions.get(selectedId)) renderTransferTargets(sessions.get(selectedId));
}

async function reloadAgents() {
  try {
    const res = await api('GET', '/api/v1/agents');
    for (const a of (res && res.agents) || []) agents.set(a.id, a);
    renderAgents();
  } catch (e) { /* keep what we have */ }
}

function onPresence(msg) {
  if (!msg.agent_id) return;
  if (!agents.has(msg.agent_id)) { reloadAgents(); return; } // a new colleague: fetch names
  const a = agents.get(msg.agent_id);
  a.status = msg.status;
  a.status_since = msg.since;
  agents.set(a.id, a);
  renderAgents();
}

async function onPresenceChange() {
  const sel = $('presence');
  const want = sel.value;
  sel.disabled = true;
  try {
    const p = await api('PUT', '/api/v1/agents/me/presence', { status: want });
    onPresence(p);
    toast(`Your status is now ${PRESENCE_LABEL[p.status] || p.status}.`);
  } catch (err) {
    toast('Could not change your status: ' + errorText(err));
    renderAgents();
  } finally {
    sel.disabled = false;
  }
}

async function loadTeams() {
  try {
    const res = await api('GET', '/api/v1/teams?limit=200');
    teams = (res && res.teams) || [];
  } catch (e) { teams = []; }
  if (selectedId && sessions.get(selectedId)) renderDetailHead();
}

// ----------------------------------------------------------------- queue ---

let queueTimer = null;
function scheduleQueue() {
  clearTimeout(queueTimer);
  queueTimer = setTimeout(loadQueue, 150);
}

async function loadQueue() {
  if (!auth) return;
  try {
    const res = await api('GET', '/api/v1/queue?limit=100');
    queueEntries = (res && res.queue) || [];
    $('queue-error').hidden = true;
  } catch (err) {
    if (auth) showError($('queue-error'), err);
  }
  renderQueue();
}

function renderQueue() {
  const items = queueEntries.map((q) => {
    const s = q.session || {};
    const topic = s.topic || '(no topic)';
    const take = el('button', {
      type: 'button', className: 'btn btn-primary btn-small', text: 'Take', 'aria-label': `Take “${topic}”`,
      onclick: () => takeFromQueue(s.id, take),
    });
    const wait = q.estimated_wait_seconds == null ? '' : ` · est. ${Math.max(1, Math.round(q.estimated_wait_seconds / 60))} min`;
    return el('li', { className: 'queue-item', dataset: { id: s.id } },
      el('span', { className: 'qi-pos', text: '#' + q.position, 'aria-label': `Position ${q.position}` }),
      el('span', { className: 'qi-main' },
        el('span', { className: 'qi-topic', text: topic }),
        el('span', { className: 'qi-sub' },
          'Waiting since ', el('time', { dateTime: q.waiting_since, text: formatTime(q.waiting_since) }),
          q.team_id ? ' · ' + teamName(q.team_id) : '', wait)),
      take);
  });
  $('queue-list').replaceChildren(...items);
  $('queue-count').textContent = String(items.length);
  $('queue-empty').hidden = items.length > 0;
}

async function takeFromQueue(id, btn) {
  btn.disabled = true;
  try {
    const s = await api('POST', `/api/v1/sessions/${encodeURIComponent(id)}/assign`, { agent_id: auth.agent.id });
    upsertSession(s);
    toast(`You took “${s.topic || '(no topic)'}”.`);
    await openSession(id);
  } catch (err) {
    showError($('queue-error'), err);
    btn.disabled = false;
  }
  loadQueue();
}

// --------------------------------------------------- transfer, unassign ---

function renderTransferTargets(s) {
  const sel = $('transfer-target');
  const keep = sel.value;
  const others = Array.from(agents.values())
    .filter((a) => a.active !== false && a.id !== s.agent_id)
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  const opts = [el('option', { value: '', text: 'Choose agent or team…' })];
  if (others.length) {
    opts.push(el('optgroup', { label: 'Agents' }, ...others.map((a) => el('option', {
      value: 'agent:' + a.id,
      text: `${a.name}${auth && a.id === auth.agent.id ? ' (you)' : ''} — ${PRESENCE_LABEL[presenceOf(a)]}`,
    }))));
  }
  if (teams.length) {
    opts.push(el('optgroup', { label: 'Teams' }, ...teams.map((t) => el('option', { value: 'team:' + t.id, text: t.name }))));
  }
  sel.replaceChildren(...opts);
  sel.value = Array.from(sel.options).some((o) => o.value === keep) ? keep : '';
}

async function onTransfer(e) {
  e.preventDefault();
  const id = selectedId;
  const v = $('transfer-target').value;
  $('detail-error').hidden = true;
  if (!id || !v) { showError($('detail-error'), 'Choose an agent or a team to transfer to.'); return; }
  const [kind, target] = [v.slice(0, v.indexOf(':')), v.slice(v.indexOf(':') + 1)];
  const body = kind === 'team' ? { team_id: target } : { agent_id: target };
  await sessionAction('transfer', 'transfer-btn', body,
    `Transferred to ${kind === 'team' ? teamName(target) : agentName(target)}.`);
  renderDetailHead();
  scheduleQueue();
}

async function onUnassign() {
  await sessionAction('unassign', 'unassign-btn', undefined, 'Conversation is back in the queue.');
  renderDetailHead();
  scheduleQueue();
}

// ---------------------------------------------------------------- labels ---

async function loadLabelDefs() {
  try {
    const res = await api('GET', '/api/v1/labels?limit=200');
    const next = (res && res.labels) || [];
    const same = JSON.stringify(next) === JSON.stringify(labelDefs);
    labelDefs = next;
    if (same) return; // do not rebuild the select under the user's hands
  } catch (e) { return; }
  if (selectedId && sessions.get(selectedId)) renderLabels(sessions.get(selectedId));
  renderList();
}

function labelChip(name) {
  const def = labelDefs.find((l) => l.name === name);
  const chip = el('span', { className: 'label-chip', text: name });
  if (def && /^#[0-9a-fA-F]{6}$/.test(def.color)) chip.style.setProperty('--label-color', def.color);
  return chip;
}

function renderLabels(s) {
  const have = Array.isArray(s.labels) ? s.labels : [];
  $('label-chips').replaceChildren(...have.map((name) => el('li', {},
    labelChip(name),
    el('button', {
      type: 'button', className: 'chip-remove', text: '×', 'aria-label': `Remove label ${name}`,
      onclick: () => removeLabel(s.id, name),
    }))));
  const avail = labelDefs.filter((l) => !have.includes(l.name));
  const sel = $('label-select');
  sel.replaceChildren(...(avail.length
    ? avail.map((l) => el('option', { value: l.name, text: l.name }))
    : [el('option', { value: '', text: labelDefs.length ? 'All labels added' : 'No labels defined' })]));
  $('label-add').disabled = !avail.length;
}

async function onAddLabel(e) {
  e.preventDefault();
  const id = selectedId;
  const label = $('label-select').value;
  if (!id || !label) return;
  $('detail-error').hidden = true;
  try {
    upsertSession(await api('POST', `/api/v1/sessions/${encodeURIComponent(id)}/labels`, { label }));
    toast(`Label “${label}” added.`);
  } catch (err) {
    showError($('detail-error'), err);
  }
}

async function removeLabel(id, label) {
  $('detail-error').hidden = true;
  try {
    const s = await api('DELETE', `/api/v1/sessions/${encodeURIComponent(id)}/labels/${encodeURIComponent(label)}`);
    if (s && s.id) upsertSession(s);
    else {
      const cur = sessions.get(id);
      if (cur) upsertSession({ ...cur, labels: (cur.labels || []).filter((x) => x !== label) });
    }
    toast(`Label “${label}” removed.`);
    $('label-select').focus();
  } catch (err) {
    showError($('detail-error'), err);
  }
}

// ----------------------------------------------------------------- notes ---

async function loadNotes(id) {
  try {
    const res = await api('GET', `/api/v1/sessions/${encodeURIComponent(id)}/notes?limit=100`);
    const list = (res && res.notes) || [];
    const known = notes.get(id) || [];
    const byId = new Map([...known, ...list].map((n) => [n.id, n]));
    notes.set(id, Array.from(byId.values()).sort((a, b) => String(b.created_at).localeCompare(String(a.created_at))));
    $('notes-error').hidden = true;
  } catch (err) {
    if (selectedId === id) showError($('notes-error'), err);
  }
  if (selectedId === id) renderNotes();
}

function addNote(sessionId, note) {
  if (!sessionId || !note) return;
  const list = notes.get(sessionId) || [];
  if (list.some((n) => n.id === note.id)) return;
  list.unshift(note);
  notes.set(sessionId, list);
  if (sessionId === selectedId) renderNotes();
}

function renderNotes() {
  const list = (selectedId && notes.get(selectedId)) || [];
  $('note-list').replaceChildren(...list.map((n) => el('li', { className: 'note', dataset: { id: n.id } },
    el('p', { className: 'note-head' },
      el('span', { className: 'note-who', text: n.author && n.author.type === 'agent' ? agentName(n.author.id) : 'Staff' }),
      ' · ', el('time', { dateTime: n.created_at, text: formatTime(n.created_at) })),
    el('p', { className: 'note-body', text: n.content }))));
}

async function onAddNote(e) {
  e.preventDefault();
  const id = selectedId;
  const input = $('note-input');
  const content = input.value.trim();
  if (!id || !content) return;
  $('notes-error').hidden = true;
  $('note-add').disabled = true;
  try {
    const n = await api('POST', `/api/v1/sessions/${encodeURIComponent(id)}/notes`, { content });
    addNote(id, n);
    input.value = '';
  } catch (err) {
    showError($('notes-error'), err);
  } finally {
    $('note-add').disabled = false;
  }
}

// ---------------------------------------------------------- read receipts ---

function markRead(id) {
  if (id !== selectedId || document.visibilityState === 'hidden') return;
  const c = conv(id);
  const seq = c.lastSeq;
  const s = sessions.get(id);
  if (s && s.unread_count) { s.unread_count = 0; renderList(); }
  if (!seq || seq <= c.readSeq) return;
  c.readSeq = seq;
  api('POST', `/api/v1/sessions/${encodeURIComponent(id)}/read`, { seq }).catch(() => { c.readSeq = 0; });
}

// ---------------------------------------------------------------- search ---

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Undoes the server's HTML escaping of a snippet piece, as plain text. */
function unescapeHtml(text) {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (all, ent) => {
    if (ent[0] === '#') {
      const code = ent[1] === 'x' || ent[1] === 'X' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return Object.prototype.hasOwnProperty.call(ENTITIES, ent) ? ENTITIES[ent] : all;
  });
}

/** The snippet as DOM: text nodes, and <mark> elements for the hits. Never parsed as HTML. */
function snippetNode(snippet) {
  const p = el('p', { className: 'sr-snippet' });
  let inMark = false;
  for (const part of String(snippet || '').split(/(<mark>|<\/mark>)/)) {
    if (part === '<mark>') { inMark = true; continue; }
    if (part === '</mark>') { inMark = false; continue; }
    if (!part) continue;
    const text = unescapeHtml(part);
    p.append(inMark ? el('mark', { text }) : document.createTextNode(text));
  }
  return p;
}

let searchSeq = 0;
async function onSearch(e) {
  e.preventDefault();
  const q = $('search-input').value.trim();
  if (!q) { clearSearch(); return; }
  const mine = ++searchSeq;
  $('search-panel').hidden = false;
  $('search-status').textContent = 'Searching…';
  $('search-results').replaceChildren();
  try {
    const res = await api('GET', '/api/v1/search/messages?' + new URLSearchParams({ q, limit: '20' }));
    if (mine !== searchSeq) return;
    const results = (res && res.results) || [];
    $('search-status').textContent = results.length
      ? `${results.length}${res.next_cursor ? '+' : ''} message${results.length === 1 ? '' : 's'} found.`
      : 'No messages found.';
    $('search-results').replaceChildren(...results.map((r) => {
      const s = sessions.get(r.session_id);
      const who = r.sender && r.sender.type === 'customer' ? 'Customer' : r.sender && r.sender.type === 'agent' ? agentName(r.sender.id) : 'Bot';
      return el('li', {}, el('button', {
        type: 'button', className: 'search-hit', dataset: { session: r.session_id, seq: String(r.seq) },
        onclick: () => { selectTab('sessions', false); openSession(r.session_id); },
      },
      el('span', { className: 'sr-head' },
        el('span', { className: 'sr-topic', text: s ? s.topic || '(no topic)' : 'Conversation ' + shortId(r.session_id) }),
        el('span', { className: 'sr-meta', text: ` · ${who} · ${formatTime(r.created_at)}` })),
      snippetNode(r.snippet)));
    }));
  } catch (err) {
    if (mine === searchSeq) $('search-status').textContent = 'Search failed: ' + errorText(err);
  }
}

function clearSearch() {
  searchSeq++;
  $('search-input').value = '';
  $('search-results').replaceChildren();
  $('search-panel').hidden = true;
  $('search-input').focus();
}

// ----------------------------------------------------------- attachments ---

async function onAttach() {
  const input = $('attach-input');
  const file = input.files && input.files[0];
  input.value = '';
  const id = selectedId;
  if (!file || !id) return;
  const status = $('upload-status');
  status.hidden = false;
  status.textContent = `Uploading ${file.name}…`;
  $('attach-btn').disabled = true;
  try {
    const up = await uploadFile(API_BASE, auth.token, file);
    const m = await api('POST', `/api/v1/sessions/${encodeURIComponent(id)}/messages`,
      { attachment_id: up.id, client_msg_id: newClientMsgId() });
    addMessage(m, false);
    status.hidden = true;
  } catch (err) {
    status.textContent = `Could not send ${file.name}: ${errorText(err)}`;
  } finally {
    $('attach-btn').disabled = false;
  }
}

// ------------------------------------------------------ canned responses ---

let canned = { open: false, items: [], active: -1, start: -1, end: -1, reqSeq: 0 };
let cannedTimer = null;

/** The "/code" being typed right before the caret, or null. */
function slashToken() {
  const input = $('reply-input');
  const pos = input.selectionStart;
  if (pos !== input.selectionEnd) return null;
  const before = input.value.slice(0, pos);
  const m = /(^|\s)\/([a-z0-9_-]{0,32})$/.exec(before);
  if (!m) return null;
  return { code: m[2], start: pos - m[2].length - 1, end: pos };
}

function updateCanned() {
  const tok = slashToken();
  if (!tok) { closeCanned(); return; }
  clearTimeout(cannedTimer);
  cannedTimer = setTimeout(() => fetchCanned(tok), 120);
}

async function fetchCanned(tok) {
  const mine = ++canned.reqSeq;
  try {
    const params = new URLSearchParams({ limit: '10' });
    if (tok.code) params.set('q', tok.code);
    const res = await api('GET', '/api/v1/canned-responses?' + params);
    if (mine !== canned.reqSeq) return;
    const now = slashToken();
    if (!now || now.code !== tok.code) return;
    const items = ((res && res.canned_responses) || []).slice()
      .sort((a, b) => (a.owner ? 0 : 1) - (b.owner ? 0 : 1) || a.shortcode.localeCompare(b.shortcode));
    canned = { ...canned, items, start: tok.start, end: tok.end, active: items.length ? 0 : -1 };
    renderCanned();
  } catch (e) { closeCanned(); }
}

function renderCanned() {
  const list = $('canned-list');
  const input = $('reply-input');
  if (!canned.items.length) { closeCanned(); return; }
  canned.open = true;
  list.replaceChildren(...canned.items.map((c, i) => {
    const li = el('li', {
      id: 'canned-opt-' + i, role: 'option', className: 'canned-opt', 'aria-selected': String(i === canned.active),
      dataset: { shortcode: c.shortcode },
    },
    el('span', { className: 'canned-code', text: '/' + c.shortcode }),
    el('span', { className: 'canned-title', text: c.title + (c.owner ? ' (personal)' : '') }),
    el('span', { className: 'canned-preview', text: c.content }));
    li.addEventListener('mousedown', (e) => { e.preventDefault(); insertCanned(i); });
    return li;
  }));
  list.hidden = false;
  input.setAttribute('aria-expanded', 'true');
  if (canned.active >= 0) input.setAttribute('aria-activedescendant', 'canned-opt-' + canned.active);
}

function closeCanned() {
  clearTimeout(cannedTimer);
  canned = { open: false, items: [], active: -1, start: -1, end: -1, reqSeq: canned.reqSeq + 1 };
  const list = $('canned-list');
  if (!list) return;
  list.hidden = true;
  list.replaceChildren();
  $('reply-input').setAttribute('aria-expanded', 'false');
  $('reply-input').removeAttribute('aria-activedescendant');
}

function insertCanned(i) {
  const c = canned.items[i];
  if (!c) return;
  const input = $('reply-input');
  const { start, end } = canned;
  input.value = input.value.slice(0, start) + c.content + input.value.slice(end);
  const caret = start + c.content.length;
  closeCanned();
  input.focus();
  input.setSelectionRange(caret, caret);
}

/** Keyboard in the reply box while suggestions are open; true when handled. */
function onCannedKey(e) {
  if (!canned.open || !canned.items.length) return false;
  const n = canned.items.length;
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    canned.active = (canned.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
    renderCanned();
    return true;
  }
  if ((e.key === 'Enter' && !e.shiftKey && !e.isComposing) || e.key === 'Tab') {
    e.preventDefault();
    insertCanned(Math.max(0, canned.active));
    return true;
  }
  if (e.key === 'Escape') {
    e.preventDefault();
    closeCanned();
    return true;
  }
  return false;
}

async function changeTicket(id, patch, control) {
  control.disabled = true;
  $('tickets-error').hidden = true;
  try {
    upsertTicket(await api('PATCH', `/api/v1/tickets/${encodeURIComponent(id)}`, patch));
    toast(`Ticket ${shortId(id)} updated.`);
  } catch (err) {
    control.disabled = false;
    showError($('tickets-error'), err);
    renderTickets();
  }
}

// ------------------------------------------------------------ realtime ---

function setConn(state, text) {
  $('conn').dataset.state = state;
  $('conn-text').textContent = text;
}

const socket = new ParleySocket({
  url: () => wsUrl(API_BASE, auth.token),
  onOpen: () => {
    setConn('open', 'Live');
    if (auth && reconnected) { loadQueue(); reloadAgents(); }
    for (const [id, c] of convs) if (c.wanted) subscribe(id);
    // Catch up on sessions created or changed while we were away.
    if (auth && reconnected) loadSessions(false);
    reconnected = true;
  },
  onStatus: (s) => {
    if (s.state === 'waiting') {
      for (const c of convs.values()) c.subscribed = false;
      setConn('down', `Offline — retrying in ${Math.max(1, Math.round(s.retryInMs / 1000))} s`);
    } else if (s.state === 'connecting') {
      setConn('connecting', s.attempt ? 'Reconnecting…' : 'Connecting…');
    }
  },
  onFailure: async (n) => {
    if (n >= 3 && auth) {
      try { await api('GET', '/api/v1/me'); } catch (e) { /* api() signs out on 401 */ }
    }
  },
  onMessage: (msg) => {
    switch (msg.type) {
      case 'message.created':
        addMessage(msg.message, conv(msg.session_id || (msg.message && msg.message.session_id)).subscribed);
        break;
      case 'subscribed': {
        const c = conv(msg.session_id);
        c.subscribed = true;
        for (const p of c.pending.values()) if (!p.failed) sendPending(p);
        break;
      }
      case 'ack':
        if (msg.message) addMessage(msg.message, false);
        if (msg.client_msg_id && msg.message) settle(msg.message.session_id, msg.client_msg_id);
        break;
      case 'error':
        if (msg.client_msg_id) onSendError(msg.client_msg_id, msg.error);
        else if (msg.error) toast('Server: ' + (msg.error.message || msg.error.code));
        break;
      case 'session.created':
        if (msg.session) upsertSession(msg.session, true);
        scheduleQueue();
        break;
      case 'session.updated':
        if (msg.session) upsertSession(msg.session, false);
        scheduleQueue();
        break;
      case 'session.handoff':
      case 'queue.updated':
        scheduleQueue();
        break;
      case 'presence':
      case 'presence.updated':
        onPresence(msg);
        break;
      case 'note.created':
        if (msg.note) addNote(msg.session_id || msg.note.session_id, msg.note);
        break;
      case 'ticket.updated':
        if (msg.ticket) upsertTicket(msg.ticket, !tickets.has(msg.ticket.id));
        break;
      case 'typing':
        if (msg.session_id === selectedId && msg.sender && msg.sender.type === 'customer') showTyping();
        break;
      default:
        break;
    }
  },
});
let reconnected = false;

// ---------------------------------------------------------------- wiring ---

function wire() {
  $('login-form').addEventListener('submit', onLogin);
  $('logout').addEventListener('click', onLogout);
  $('tab-sessions').addEventListener('click', () => selectTab('sessions'));
  $('tab-tickets').addEventListener('click', () => selectTab('tickets'));
  $('tab-sessions').addEventListener('keydown', onTabKey);
  $('tab-tickets').addEventListener('keydown', onTabKey);
  $('status-filter').addEventListener('change', () => { sessionList.cursor = null; loadSessions(false); });
  $('load-more').addEventListener('click', () => loadSessions(true));
  $('ticket-filter').addEventListener('change', () => { ticketList.cursor = null; loadTickets(false); });
  $('tickets-more').addEventListener('click', () => loadTickets(true));
  $('reply-form').addEventListener('submit', onReply);
  $('reply-input').addEventListener('keydown', (e) => {
    if (onCannedKey(e)) return;
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) onReply(e);
  });
  $('reply-input').addEventListener('input', onReplyInput);
  $('reply-input').addEventListener('blur', () => setTimeout(() => {
    if (document.activeElement !== $('reply-input')) closeCanned();
  }, 150));
  $('presence').addEventListener('change', onPresenceChange);
  $('unassign-btn').addEventListener('click', onUnassign);
  $('transfer-form').addEventListener('submit', onTransfer);
  $('label-form').addEventListener('submit', onAddLabel);
  $('label-select').addEventListener('focus', loadLabelDefs); // an admin may have defined new ones
  $('note-form').addEventListener('submit', onAddNote);
  $('note-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) onAddNote(e);
  });
  $('search-form').addEventListener('submit', onSearch);
  $('search-clear').addEventListener('click', clearSearch);
  $('attach-btn').addEventListener('click', () => $('attach-input').click());
  $('attach-input').addEventListener('change', onAttach);
  $('assign-btn').addEventListener('click', onAssign);
  $('close-btn').addEventListener('click', onClose);
  $('ticket-btn').addEventListener('click', openTicketDialog);
  $('ticket-form').addEventListener('submit', onCreateTicket);
  $('ticket-cancel').addEventListener('click', () => $('ticket-dialog').close());
}

async function boot() {
  wire();
  auth = loadAuth();
  if (!auth) { showLogin(); return; }
  try {
    const me = await apiRequest(API_BASE, auth.token, 'GET', '/api/v1/me');
    if (me && me.type && me.type !== 'agent') throw new ApiError(403, 'forbidden', 'Not an agent');
    auth.agent = { ...auth.agent, ...me };
    saveAuth();
    await startApp();
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      auth = null;
      saveAuth();
      showLogin('Please sign in.');
    } else {
      // Server unreachable: keep the token and show the app; it will reconnect.
      await startApp();
    }
  }
}

boot();
