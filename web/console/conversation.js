// The open conversation: its head (title, who, actions), the message log,
// the reply box (pending messages, resend, typing) and the session actions
// (assign, unassign, close). Every message becomes DOM in renderMessage()
// and nowhere else.

import { formatTime, newClientMsgId, attachmentNode, translatedBody } from '../parley-client.js';
import { API_BASE, api, showError } from './api.js';
import {
  state, sessions, convs, conv, emit, subscribe, upsertSession, myId, agentName, teamName, contacts,
} from './store.js';
import { $, el, toast, statusBadge } from './ui.js';
import * as socket from './socket.js';
import { closeCanned, onCannedKey, updateCanned } from './canned.js';
import { customerName, ensureContacts } from './contacts.js';

// ------------------------------------------------------------- opening ---

/** Shows a conversation: its messages (loaded once), then live frames from a subscription. */
export async function openSession(id) {
  state.selectedId = id;
  const c = conv(id);
  emit('conversation-opened', id);
  emit('sessions');
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
      if (state.selectedId === id) showError($('detail-error'), err);
    }
  }
  markRead(id);
  if (!c.wanted) {
    c.wanted = true;
    subscribe_(id);
  }
  if (state.selectedId === id && !$('reply-form').hidden) $('reply-input').focus();
}

/** Asks the server for the session's frames after the last seq we hold (resume). */
function subscribe_(id) {
  const c = conv(id);
  c.subscribed = false;
  socket.send({ type: 'subscribe', session_id: id, after_seq: c.lastSeq });
}

/** " <e-mail>" of the session's contact, when known. */
function customerEmail(id) {
  const c = contacts.get(id);
  return c && c.email ? el('span', { className: 'muted', text: ` <${c.email}>` }) : null;
}

export function renderDetailHead() {
  const s = sessions.get(state.selectedId);
  if (!s) return;
  $('detail-title').textContent = s.topic || '(no topic)';
  ensureContacts([s.customer_id]);
  const meta = $('detail-meta');
  meta.replaceChildren(
    statusBadge(s.status),
    ' ',
    el('a', { id: 'detail-customer', href: '#/contacts/' + encodeURIComponent(s.customer_id), text: customerName(s.customer_id) }),
    customerEmail(s.customer_id),
    el('span', { text: ` · Assigned: ${agentName(s.agent_id)}` }),
    el('span', { text: ` · Started ${formatTime(s.created_at)}` }));
  if (s.team_id) meta.append(el('span', { text: ` · Team: ${teamName(s.team_id)}` }));
  const closed = s.status === 'closed';
  const mine = !!myId() && s.agent_id === myId();
  $('assign-btn').disabled = closed || mine;
  $('assign-btn').textContent = mine ? 'Assigned to you' : 'Assign to me';
  $('unassign-btn').disabled = s.status !== 'active';
  $('close-btn').disabled = closed;
  emit('detail-head', s);
  $('reply-form').hidden = closed;
  $('closed-note').hidden = !closed;
  if (closed) $('typing').hidden = true;
}

// ------------------------------------------------------------ messages ---

function senderName(m) {
  const t = m.sender && m.sender.type;
  if (t === 'customer') return customerName(m.sender.id);
  if (t === 'agent') return agentName(m.sender.id);
  if (t === 'bot') return 'Bot';
  return 'System';
}

function isMine(m) {
  return !!(m.sender && m.sender.type === 'agent' && myId() && m.sender.id === myId());
}

/** Flags and translations under a message, or null. */
function messageExtras(m) {
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

/**
 * The one function that turns a message into DOM: a stored message m
 * (data-seq), or with pending = {cid, content, failed} one of ours not yet
 * acknowledged (data-cid; Retry when it failed). Text goes in as text only.
 */
export function renderMessage(m, pending) {
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
    li.append(attachmentNode(m.attachment, { base: API_BASE, token: () => state.auth && state.auth.token }));
  }
  if (!pending) {
    const x = messageExtras(m);
    if (x) li.append(x);
  } else if (pending.failed) {
    li.append(el('button', { type: 'button', className: 'link', text: 'Retry', onclick: () => retryPending(pending.sessionId, pending.cid) }));
  }
  return li;
}

function renderMessages() {
  const log = $('msg-log');
  const c = state.selectedId ? conv(state.selectedId) : null;
  if (!c) { log.replaceChildren(); return; }
  const nodes = Array.from(c.msgs.values()).sort((a, b) => a.seq - b.seq).map((m) => renderMessage(m));
  for (const p of c.pending.values()) nodes.push(renderMessage(null, p));
  log.replaceChildren(...nodes);
  scrollToEnd();
}

/** The message list scrolls inside #msg-scroll (the live region). */
function scrollToEnd() {
  const box = $('msg-scroll');
  box.scrollTop = box.scrollHeight;
}

/** Stores a message once (dedupe by seq) and shows it if its session is open. */
export function addMessage(m, live) {
  if (!m || typeof m.seq !== 'number' || !m.session_id) return;
  const c = conv(m.session_id);
  if (m.client_msg_id && c.pending.has(m.client_msg_id)) settle(m.session_id, m.client_msg_id);
  if (c.msgs.has(m.seq)) return;
  c.msgs.set(m.seq, m);
  while (c.msgs.has(c.lastSeq + 1)) c.lastSeq += 1;
  if (m.session_id !== state.selectedId) {
    const s = sessions.get(m.session_id);
    if (live && !isMine(m) && s) { s.unread_count = (Number(s.unread_count) || 0) + 1; emit('sessions'); }
    return;
  }
  const log = $('msg-log');
  const node = renderMessage(m);
  let before = null;
  for (const li of log.children) {
    if (li.dataset.cid || Number(li.dataset.seq) > m.seq) { before = li; break; }
  }
  const box = $('msg-scroll');
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 100;
  log.insertBefore(node, before);
  if (nearBottom || isMine(m)) scrollToEnd();
  if (live && m.sender && m.sender.type === 'customer') $('typing').hidden = true;
  if (live) markRead(m.session_id);
}

/** Marks the open conversation read up to its last seq (POST /read). */
function markRead(id) {
  if (id !== state.selectedId || document.visibilityState === 'hidden') return;
  const c = conv(id);
  const seq = c.lastSeq;
  const s = sessions.get(id);
  if (s && s.unread_count) { s.unread_count = 0; emit('sessions'); }
  if (!seq || seq <= c.readSeq) return;
  c.readSeq = seq;
  api('POST', `/api/v1/sessions/${encodeURIComponent(id)}/read`, { seq }).catch(() => { c.readSeq = 0; });
}

// ----------------------------------------------- sending and pending ---

function pendingNode(cid) {
  return Array.from($('msg-log').querySelectorAll('li[data-cid]')).find((li) => li.dataset.cid === cid) || null;
}

function settle(sessionId, cid) {
  const c = conv(sessionId);
  c.pending.delete(cid);
  if (sessionId === state.selectedId) {
    const n = pendingNode(cid);
    if (n) n.remove();
  }
}

function showPending(p) {
  if (p.sessionId !== state.selectedId) return;
  const node = renderMessage(null, p);
  const old = pendingNode(p.cid);
  const log = $('msg-log');
  if (old) old.replaceWith(node); else log.append(node);
  scrollToEnd();
}

function sendPending(p) {
  if (!conv(p.sessionId).subscribed) return; // goes out after (re)subscribing
  socket.send({ type: 'message.send', session_id: p.sessionId, content: p.content, client_msg_id: p.cid });
}

function onReply(e) {
  e.preventDefault();
  const input = $('reply-input');
  const content = input.value.trim();
  if (!content || !state.selectedId) return;
  const p = { cid: newClientMsgId(), sessionId: state.selectedId, content, failed: null };
  conv(state.selectedId).pending.set(p.cid, p);
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
    if (sid === state.selectedId) showPending(p);
    return;
  }
}

let lastTyping = 0;
function onReplyInput() {
  updateCanned();
  if (!state.selectedId || Date.now() - lastTyping < 3000) return;
  const c = conv(state.selectedId);
  if (!c.subscribed) return;
  lastTyping = Date.now();
  socket.send({ type: 'typing', session_id: state.selectedId });
}

let typingTimer = null;
function showTyping() {
  $('typing').hidden = false;
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => { $('typing').hidden = true; }, 5000);
}

// ------------------------------------------------------------- actions ---

/**
 * POST /sessions/{id}/<action> on the open conversation, from the button
 * that asked for it: the session that comes back replaces ours and `done`
 * is toasted; an error goes to the detail pane. False when it failed.
 */
export async function sessionAction(action, button, body, done) {
  const id = state.selectedId;
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
  if (!await sessionAction('assign', 'assign-btn', { agent_id: myId() }, 'Conversation assigned to you.')) {
    renderDetailHead();
  }
}

async function onClose() {
  if (!await sessionAction('close', 'close-btn', undefined, 'Conversation closed.')) renderDetailHead();
}

async function onUnassign() {
  await sessionAction('unassign', 'unassign-btn', undefined, 'Conversation is back in the queue.');
  renderDetailHead();
  emit('queue-changed');
}

// -------------------------------------------------------------- wiring ---

export function wireConversation() {
  $('reply-form').addEventListener('submit', onReply);
  $('reply-input').addEventListener('keydown', (e) => {
    if (onCannedKey(e)) return;
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) onReply(e);
  });
  $('reply-input').addEventListener('input', onReplyInput);
  $('reply-input').addEventListener('blur', () => setTimeout(() => {
    if (document.activeElement !== $('reply-input')) closeCanned();
  }, 150));
  $('assign-btn').addEventListener('click', onAssign);
  $('close-btn').addEventListener('click', onClose);
  $('unassign-btn').addEventListener('click', onUnassign);

  subscribe('session', ({ session }) => { if (session.id === state.selectedId) renderDetailHead(); });
  subscribe('teams', () => { if (state.selectedId && sessions.get(state.selectedId)) renderDetailHead(); });
  subscribe('contacts', () => { if (state.selectedId && sessions.get(state.selectedId)) renderDetailHead(); });
  subscribe('signed-out', () => {
    $('msg-log').replaceChildren();
    $('detail').hidden = true;
    $('detail-empty').hidden = false;
  });

  socket.onOpen(() => { for (const [id, c] of convs) if (c.wanted) subscribe_(id); });
  socket.onDown(() => { for (const c of convs.values()) c.subscribed = false; });
  socket.on('message.created', (msg) => {
    addMessage(msg.message, conv(msg.session_id || (msg.message && msg.message.session_id)).subscribed);
  });
  socket.on('subscribed', (msg) => {
    const c = conv(msg.session_id);
    c.subscribed = true;
    for (const p of c.pending.values()) if (!p.failed) sendPending(p);
  });
  socket.on('ack', (msg) => {
    if (msg.message) addMessage(msg.message, false);
    if (msg.client_msg_id && msg.message) settle(msg.message.session_id, msg.client_msg_id);
  });
  socket.on('error', (msg) => {
    if (msg.client_msg_id) onSendError(msg.client_msg_id, msg.error);
    else if (msg.error) toast('Server: ' + (msg.error.message || msg.error.code));
  });
  socket.on('typing', (msg) => {
    if (msg.session_id === state.selectedId && msg.sender && msg.sender.type === 'customer') showTyping();
  });
}
