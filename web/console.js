// Parley agent console. All text that comes from people (names, topics,
// messages, ticket descriptions) is inserted with textContent, never as HTML.

import { ApiError, apiRequest, ParleySocket, newClientMsgId, wsUrl, formatTime, el } from './parley-client.js';

const API_BASE = new URL('/', location.href).toString();
const AUTH_KEY = 'parley.console.v1';

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- state ---

let auth = null; // {token, agent}
const agents = new Map(); // id → agent
const sessions = new Map(); // id → session (everything we have seen)
const convs = new Map(); // session id → {msgs: Map seq→msg, lastSeq, subscribed, wanted, pending: Map cid→{content, failed}}
let listIds = []; // ids shown in the list, in order
let listCursor = null;
let selectedId = null;
let tickets = new Map();
let ticketIds = [];
let ticketCursor = null;
let ticketsLoaded = false;

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
  listIds = [];
  selectedId = null;
  tickets = new Map();
  ticketIds = [];
  ticketsLoaded = false;
  $('session-list').replaceChildren();
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

async function loadSessions(more) {
  const errBox = $('sessions-error');
  errBox.hidden = true;
  const params = new URLSearchParams({ limit: '50' });
  const f = $('status-filter').value;
  if (f) params.set('status', f);
  if (more && listCursor) params.set('cursor', listCursor);
  try {
    const res = await api('GET', '/api/v1/sessions?' + params);
    if (!more) listIds = [];
    for (const s of (res && res.sessions) || []) {
      sessions.set(s.id, s);
      if (!listIds.includes(s.id)) listIds.push(s.id);
    }
    listCursor = (res && res.next_cursor) || null;
  } catch (err) {
    if (auth) showError(errBox, err);
  }
  renderList();
}

function sortList() {
  listIds.sort((a, b) => {
    const x = sessions.get(a); const y = sessions.get(b);
    return String(y.created_at).localeCompare(String(x.created_at));
  });
}

function sessionItem(s) {
  const conv = convs.get(s.id);
  const unread = !!(conv && conv.unread);
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
  unread ? el('span', { className: 'unread-dot', text: 'new', 'aria-label': 'new messages' }) : null);
  btn.addEventListener('click', () => openSession(s.id));
  return el('li', {}, btn);
}

function renderList() {
  sortList();
  const ul = $('session-list');
  const items = listIds.map((id) => sessions.get(id)).filter((s) => s && filterMatches(s)).map(sessionItem);
  ul.replaceChildren(...items);
  $('sessions-empty').hidden = items.length > 0;
  $('load-more').hidden = !listCursor;
}

function upsertSession(s, isNew) {
  const prev = sessions.get(s.id);
  sessions.set(s.id, s);
  if (filterMatches(s)) {
    if (!listIds.includes(s.id)) listIds.push(s.id);
  } else if (s.id !== selectedId) {
    listIds = listIds.filter((id) => id !== s.id);
  }
  renderList();
  if (s.id === selectedId) renderDetailHead();
  if (isNew && !prev) toast(`New conversation waiting: ${s.topic || '(no topic)'}`);
}

// -------------------------------------------------------- conversation ---

function conv(id) {
  let c = convs.get(id);
  if (!c) {
    c = { msgs: new Map(), lastSeq: 0, subscribed: false, wanted: false, pending: new Map(), unread: false, loaded: false };
    convs.set(id, c);
  }
  return c;
}

async function openSession(id) {
  selectedId = id;
  const c = conv(id);
  c.unread = false;
  renderList();
  $('detail-empty').hidden = true;
  $('detail').hidden = false;
  $('detail-error').hidden = true;
  $('typing').hidden = true;
  renderDetailHead();
  renderMessages();
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
  const closed = s.status === 'closed';
  const mine = auth && s.agent_id === auth.agent.id;
  $('assign-btn').disabled = closed || mine;
  $('assign-btn').textContent = mine ? 'Assigned to you' : 'Assign to me';
  $('close-btn').disabled = closed;
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
  if (m.translations && typeof m.translations === 'object') {
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
  li.append(el('p', { className: 'msg-body', text: pending ? pending.content : m.content }));
  if (!pending) {
    const x = extras(m);
    if (x) li.append(x);
  } else if (pending.failed) {
    li.append(el('button', { type: 'button', className: 'link', text: 'Retry', onclick: () => retryPending(pending.sessionId, pending.cid) }));
  }
  return li;
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
    if (live && !isMine(m)) { c.unread = true; renderList(); }
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

async function onAssign() {
  const id = selectedId;
  $('detail-error').hidden = true;
  $('assign-btn').disabled = true;
  try {
    const s = await api('POST', `/api/v1/sessions/${encodeURIComponent(id)}/assign`, { agent_id: auth.agent.id });
    upsertSession(s);
    toast('Conversation assigned to you.');
  } catch (err) {
    showError($('detail-error'), err);
    renderDetailHead();
  }
}

async function onClose() {
  const id = selectedId;
  $('detail-error').hidden = true;
  $('close-btn').disabled = true;
  try {
    const s = await api('POST', `/api/v1/sessions/${encodeURIComponent(id)}/close`);
    upsertSession(s);
    toast('Conversation closed.');
  } catch (err) {
    showError($('detail-error'), err);
    renderDetailHead();
  }
}

// -------------------------------------------------------------- tickets ---

function openTicketDialog() {
  const s = sessions.get(selectedId);
  if (!s) return;
  $('ticket-for').textContent = 'For the conversation “' + (s.topic || '(no topic)') + '”';
  $('ticket-desc').value = '';
  $('ticket-error').hidden = true;
  $('ticket-dialog').showModal();
  $('ticket-desc').focus();
}

async function onCreateTicket(e) {
  e.preventDefault();
  const desc = $('ticket-desc').value.trim();
  if (!desc) {
    showError($('ticket-error'), 'Please describe the issue.');
    $('ticket-desc').focus();
    return;
  }
  const btn = $('ticket-create');
  btn.disabled = true;
  try {
    const t = await api('POST', '/api/v1/tickets', { session_id: selectedId, issue_description: desc });
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
  const errBox = $('tickets-error');
  errBox.hidden = true;
  const params = new URLSearchParams({ limit: '50' });
  const f = $('ticket-filter').value;
  if (f) params.set('status', f);
  if (more && ticketCursor) params.set('cursor', ticketCursor);
  try {
    const res = await api('GET', '/api/v1/tickets?' + params);
    if (!more) { ticketIds = []; }
    for (const t of (res && res.tickets) || []) {
      tickets.set(t.id, t);
      if (!ticketIds.includes(t.id)) ticketIds.push(t.id);
    }
    ticketCursor = (res && res.next_cursor) || null;
    ticketsLoaded = true;
  } catch (err) {
    if (auth) showError(errBox, err);
  }
  renderTickets();
}

function upsertTicket(t, isNew) {
  tickets.set(t.id, t);
  if (!ticketsLoaded) return;
  const f = $('ticket-filter').value;
  if (!f || t.status === f) {
    if (!ticketIds.includes(t.id)) { if (isNew) ticketIds.unshift(t.id); else ticketIds.push(t.id); }
  }
  renderTickets();
}

function ticketRow(t) {
  const s = sessions.get(t.session_id);
  const select = el('select', { 'aria-label': `Status of ticket ${shortId(t.id)}`, dataset: { id: t.id } },
    ...['open', 'in_progress', 'resolved'].map((v) => el('option', { value: v, text: STATUS_LABEL[v], selected: v === t.status })));
  select.value = t.status;
  select.addEventListener('change', () => changeTicketStatus(t.id, select));
  const openBtn = el('button', {
    type: 'button', className: 'link', text: s ? s.topic || '(no topic)' : 'Open conversation',
    onclick: () => { selectTab('sessions', false); openSession(t.session_id); },
  });
  return el('tr', { dataset: { id: t.id } },
    el('td', {}, el('code', { text: shortId(t.id) })),
    el('td', { className: 'ticket-desc', text: t.issue_description }),
    el('td', {}, openBtn),
    el('td', { text: agentName(t.agent_id) }),
    el('td', {}, el('time', { dateTime: t.updated_at, text: formatTime(t.updated_at) })),
    el('td', {}, el('span', { className: 'status-cell' }, statusBadge(t.status), select)));
}

function renderTickets() {
  const f = $('ticket-filter').value;
  const rows = ticketIds.map((id) => tickets.get(id)).filter((t) => t && (!f || t.status === f)).map(ticketRow);
  $('ticket-rows').replaceChildren(...rows);
  $('tickets-empty').hidden = rows.length > 0;
  $('tickets-more').hidden = !ticketCursor;
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

// ------------------------------------------------------------ realtime ---

function setConn(state, text) {
  $('conn').dataset.state = state;
  $('conn-text').textContent = text;
}

const socket = new ParleySocket({
  url: () => wsUrl(API_BASE, auth.token),
  onOpen: () => {
    setConn('open', 'Live');
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
        break;
      case 'session.updated':
        if (msg.session) upsertSession(msg.session, false);
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
  $('status-filter').addEventListener('change', () => { listCursor = null; loadSessions(false); });
  $('load-more').addEventListener('click', () => loadSessions(true));
  $('ticket-filter').addEventListener('change', () => { ticketCursor = null; loadTickets(false); });
  $('tickets-more').addEventListener('click', () => loadTickets(true));
  $('reply-form').addEventListener('submit', onReply);
  $('reply-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) onReply(e);
  });
  $('reply-input').addEventListener('input', onReplyInput);
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
