// Parley customer chat widget.
//
// Embed with:
//   <link rel="stylesheet" href="https://YOUR-PARLEY/widget.css">
//   <script type="module" src="https://YOUR-PARLEY/widget.js"></script>
// Optional settings on any element with a data-parley-widget attribute:
//   data-title="Acme Bikes support"  data-subtitle="We usually reply in minutes"
//
// All text that comes from people (names, topics, messages) is inserted with
// textContent, never as HTML.

import {
  ApiError, apiRequest, ParleySocket, newClientMsgId, wsUrl, formatTime, el, attachmentNode, uploadFile, fetchBlob, saveBlob,
  translatedBody,
} from './parley-client.js';
import { pushOffer } from './widget-push.js';

const API_BASE = new URL('/', import.meta.url).toString();
const STORE_KEY = 'parley.widget.v1';
const CACHE_MAX = 300; // messages kept in localStorage for an instant reload
const DEFAULT_TOPIC = 'General question';
const RETRYABLE = new Set(['rate_limited', 'unavailable', 'network_error']);
// Refused for what the message says: sending it again can never succeed, so
// no Retry; the customer is told what to do instead (and may edit it).
const CONTENT_REFUSALS = {
  spam_detected: 'It looks like spam to our filter. Please rephrase it (fewer links, no repeated text), or contact us by email or phone instead.',
  profanity_detected: 'It contains words that are not allowed here. Please rephrase it.',
};

// ---------------------------------------------------------------- state ---

function loadState() {
  try {
    const s = JSON.parse(localStorage.getItem(STORE_KEY) || 'null');
    if (s && typeof s === 'object') {
      return {
        token: s.token || null,
        customer: s.customer || null,
        session: s.session || null,
        lastSeq: Number(s.lastSeq) || 0,
        messages: Array.isArray(s.messages) ? s.messages : [],
        outbox: Array.isArray(s.outbox) ? s.outbox : [],
        rated: !!s.rated,
        feedbackRequested: !!s.feedbackRequested,
        queue: s.queue && typeof s.queue === 'object' ? s.queue : null,
        open: !!s.open,
      };
    }
  } catch (e) { /* corrupt: start over */ }
  return {
    token: null, customer: null, session: null, lastSeq: 0, messages: [], outbox: [], rated: false,
    feedbackRequested: false, queue: null, open: false,
  };
}

const state = loadState();

function saveState() {
  const messages = state.messages.slice(-CACHE_MAX);
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify({ ...state, messages }));
  } catch (e) { /* storage full or disabled: the widget still works for this page */ }
}

function resetConversation() {
  state.session = null;
  state.lastSeq = 0;
  state.messages = [];
  state.outbox = [];
  state.rated = false;
  state.feedbackRequested = false;
  state.queue = null;
  saveState();
}

function forgetCustomer() {
  state.token = null;
  state.customer = null;
  resetConversation();
}

// -------------------------------------------------------------- the DOM ---

const config = (() => {
  const host = document.querySelector('[data-parley-widget]');
  return {
    title: (host && host.dataset.title) || 'Chat with us',
    subtitle: (host && host.dataset.subtitle) || 'We usually reply in a few minutes',
  };
})();

function ensureStylesheet() {
  const href = new URL('widget.css', import.meta.url).toString();
  const present = Array.from(document.querySelectorAll('link[rel="stylesheet"]')).some((l) => l.href === href);
  if (!present) document.head.append(el('link', { rel: 'stylesheet', href }));
}

const ui = {};

// A 24x24 icon of one path, hidden from assistive technology; attrs are
// the path's attributes after d.
function icon(d, attrs) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', d);
  for (const [name, value] of Object.entries(attrs)) p.setAttribute(name, value);
  svg.append(p);
  return svg;
}

function clipIcon() {
  return icon('M16.5 6.5l-7.8 7.8a1.5 1.5 0 0 0 2.1 2.1l7.8-7.8a3 3 0 0 0-4.2-4.2L6.6 12.2a4.5 4.5 0 0 0 6.4 6.4l6.5-6.5',
    { fill: 'none', stroke: 'currentColor', 'stroke-width': '2', 'stroke-linecap': 'round' });
}

function chatIcon() {
  return icon('M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z',
    { fill: 'currentColor' });
}

function build() {
  ensureStylesheet();
  const root = el('div', { className: 'parley-widget' });

  ui.badge = el('span', { className: 'parley-badge', hidden: true, 'aria-hidden': 'true' });
  ui.launcher = el('button', {
    type: 'button', className: 'parley-launcher', 'aria-expanded': 'false',
    'aria-controls': 'parley-panel', 'aria-label': 'Open chat',
  }, chatIcon(), ui.badge);

  // Header
  ui.title = el('h2', { className: 'parley-title', id: 'parley-title', text: config.title });
  ui.subtitle = el('p', { className: 'parley-subtitle', text: config.subtitle });
  ui.closeBtn = el('button', { type: 'button', className: 'parley-icon-btn', 'aria-label': 'Minimise chat', text: '×' });
  const header = el('div', { className: 'parley-header' },
    el('div', { className: 'parley-header-text' }, ui.title, ui.subtitle), ui.closeBtn);

  // View 1: start form
  ui.startError = el('p', { className: 'parley-error', role: 'alert', hidden: true });
  ui.nameInput = el('input', { id: 'parley-name', name: 'name', type: 'text', autocomplete: 'name', required: true, maxLength: 200 });
  ui.emailInput = el('input', { id: 'parley-email', name: 'email', type: 'email', autocomplete: 'email' });
  ui.topicInput = el('textarea', { id: 'parley-topic', name: 'topic', rows: 3, maxLength: 500, placeholder: 'e.g. My order hasn’t arrived yet' });
  ui.identityFields = el('div', { className: 'parley-identity' },
    el('div', { className: 'parley-field' },
      el('label', { for: 'parley-name', text: 'Your name' }), ui.nameInput),
    el('div', { className: 'parley-field' },
      el('label', { for: 'parley-email' }, 'Email ', el('span', { className: 'parley-optional', text: '(optional)' })),
      ui.emailInput));
  ui.greeting = el('p', { className: 'parley-greeting', hidden: true });
  ui.startBtn = el('button', { type: 'submit', className: 'parley-primary', text: 'Start chat' });
  ui.startForm = el('form', { className: 'parley-start', novalidate: true },
    el('p', { className: 'parley-intro', text: 'Hi there! Tell us who you are and what you need, and someone from our team will be right with you.' }),
    ui.greeting,
    ui.identityFields,
    el('div', { className: 'parley-field' },
      el('label', { for: 'parley-topic', text: 'How can we help?' }), ui.topicInput),
    ui.startError,
    ui.startBtn);

  // View 2: conversation
  ui.conn = el('p', { className: 'parley-conn', role: 'status', hidden: true });
  // The live region scrolls; the list in it holds the messages (a list
  // item's parent must be a list, and role=log is not one).
  ui.log = el('ol', { className: 'parley-log-list' });
  ui.logBox = el('div', {
    className: 'parley-log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions',
    'aria-label': 'Conversation', tabIndex: 0,
  }, ui.log);
  ui.typing = el('p', { className: 'parley-typing', role: 'status', hidden: true, text: 'Support is typing…' });
  ui.botHint = el('p', {
    className: 'parley-hint', hidden: true,
    text: 'Our assistant answers first. Want a person? Type “human” and we’ll bring in our team.',
  });
  ui.queueLine = el('p', { className: 'parley-queue', role: 'status', hidden: true });
  ui.fileInput = el('input', { type: 'file', id: 'parley-file', hidden: true, tabIndex: -1 });
  ui.attachBtn = el('button', { type: 'button', className: 'parley-attach', 'aria-label': 'Attach a file', title: 'Attach a file' }, clipIcon());
  ui.uploadStatus = el('p', { className: 'parley-upload', role: 'status', hidden: true });
  ui.transcriptBtn = el('button', { type: 'button', className: 'parley-link parley-transcript', text: 'Download transcript' });
  ui.transcriptStatus = el('span', { className: 'parley-upload', role: 'status' });
  ui.input = el('textarea', {
    id: 'parley-input', name: 'message', rows: 1, maxLength: 4000,
    placeholder: 'Write a message…', 'aria-describedby': 'parley-compose-hint',
  });
  ui.sendBtn = el('button', { type: 'submit', className: 'parley-send', text: 'Send' });
  ui.composer = el('form', { className: 'parley-composer' },
    el('label', { for: 'parley-input', className: 'parley-sr', text: 'Message' }),
    ui.fileInput, ui.attachBtn, ui.input, ui.sendBtn,
    el('span', { id: 'parley-compose-hint', className: 'parley-sr', text: 'Press Enter to send, Shift+Enter for a new line.' }));

  // Closed + rating
  ui.ratingError = el('p', { className: 'parley-error', role: 'alert', hidden: true });
  const stars = el('div', { className: 'parley-stars' });
  for (let i = 1; i <= 5; i++) {
    const id = 'parley-star-' + i;
    stars.append(
      el('input', { type: 'radio', name: 'rating', id, value: String(i), className: 'parley-star-input', required: true }),
      el('label', { for: id, className: 'parley-star', title: `${i} star${i > 1 ? 's' : ''}` },
        el('span', { 'aria-hidden': 'true', text: '★' }),
        el('span', { className: 'parley-sr', text: `${i} star${i > 1 ? 's' : ''}` })));
  }
  ui.commentInput = el('textarea', { id: 'parley-comment', name: 'comment', rows: 2, maxLength: 2000 });
  ui.rateBtn = el('button', { type: 'submit', className: 'parley-primary', text: 'Send feedback' });
  ui.ratingForm = el('form', { className: 'parley-rating', novalidate: true },
    el('fieldset', {},
      el('legend', { text: 'How did we do?' }), stars),
    el('div', { className: 'parley-field' },
      el('label', { for: 'parley-comment' }, 'Comment ', el('span', { className: 'parley-optional', text: '(optional)' })),
      ui.commentInput),
    ui.ratingError, ui.rateBtn);
  ui.thanks = el('p', { className: 'parley-thanks', hidden: true, text: 'Thanks for your feedback!' });
  ui.newChatBtn = el('button', { type: 'button', className: 'parley-secondary', text: 'Start a new conversation' });
  ui.closedBox = el('section', { className: 'parley-closed', hidden: true, 'aria-labelledby': 'parley-closed-title' },
    el('h3', { id: 'parley-closed-title', text: 'This conversation has ended' }),
    ui.ratingForm, ui.thanks, ui.newChatBtn);

  ui.topicLine = el('p', { className: 'parley-topic' });
  ui.push = pushOffer(API_BASE, () => state.token);
  ui.chatView = el('div', { className: 'parley-chat', hidden: true },
    el('div', { className: 'parley-topbar' }, ui.topicLine, ui.transcriptBtn, ui.transcriptStatus),
    ui.push.node, ui.conn, ui.botHint, ui.queueLine, ui.logBox, ui.typing, ui.uploadStatus, ui.composer, ui.closedBox);

  ui.panel = el('section', {
    id: 'parley-panel', className: 'parley-panel', role: 'dialog', 'aria-modal': 'false',
    'aria-labelledby': 'parley-title', hidden: true,
  }, header, el('div', { className: 'parley-body' }, ui.startForm, ui.chatView));

  root.append(ui.panel, ui.launcher);
  document.body.append(root);

  ui.launcher.addEventListener('click', () => (isOpen() ? closePanel() : openPanel()));
  ui.closeBtn.addEventListener('click', () => closePanel());
  ui.panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { e.preventDefault(); closePanel(); }
  });
  ui.startForm.addEventListener('submit', onStart);
  ui.composer.addEventListener('submit', (e) => { e.preventDefault(); sendFromComposer(); });
  ui.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendFromComposer(); }
  });
  ui.input.addEventListener('input', () => { autoGrow(); sendTyping(); });
  ui.ratingForm.addEventListener('submit', onRate);
  ui.attachBtn.addEventListener('click', () => ui.fileInput.click());
  ui.fileInput.addEventListener('change', onAttach);
  ui.transcriptBtn.addEventListener('click', onTranscript);
  ui.newChatBtn.addEventListener('click', onNewChat);
}

function autoGrow() {
  ui.input.rows = Math.min(5, Math.max(1, ui.input.value.split('\n').length));
}

function isOpen() { return !ui.panel.hidden; }

let unread = 0;
function setUnread(n) {
  unread = n;
  ui.badge.hidden = n === 0;
  ui.badge.textContent = n > 9 ? '9+' : String(n);
  ui.launcher.setAttribute('aria-label', n ? `Open chat (${n} unread message${n > 1 ? 's' : ''})` : 'Open chat');
}

function openPanel({ focus = true } = {}) {
  ui.panel.hidden = false;
  ui.launcher.setAttribute('aria-expanded', 'true');
  ui.launcher.setAttribute('aria-label', 'Close chat');
  ui.launcher.classList.add('is-open');
  unread = 0;
  ui.badge.hidden = true;
  state.open = true;
  saveState();
  render();
  scrollToEnd();
  if (!focus) return;
  const target = ui.startForm.hidden ? (ui.composer.hidden ? ui.ratingForm.querySelector('input') : ui.input)
    : (ui.identityFields.hidden ? ui.topicInput : ui.nameInput);
  if (target) target.focus();
}

function closePanel() {
  ui.panel.hidden = true;
  ui.launcher.setAttribute('aria-expanded', 'false');
  ui.launcher.classList.remove('is-open');
  setUnread(0);
  state.open = false;
  saveState();
  ui.launcher.focus();
}

/** Shows the view that fits the state. */
function render() {
  const hasSession = !!(state.token && state.session);
  ui.startForm.hidden = hasSession;
  ui.chatView.hidden = !hasSession;
  if (!hasSession) {
    const known = !!(state.token && state.customer);
    ui.identityFields.hidden = known;
    ui.nameInput.required = !known;
    ui.greeting.hidden = !known;
    if (known) ui.greeting.textContent = `Welcome back, ${state.customer.name}!`;
    ui.subtitle.textContent = config.subtitle;
    return;
  }
  const closed = state.session.status === 'closed';
  ui.topicLine.textContent = 'Topic: ' + (state.session.topic || DEFAULT_TOPIC);
  if (closed) ui.push.node.hidden = true;
  else ui.push.refresh();
  ui.composer.hidden = closed;
  ui.closedBox.hidden = !closed;
  ui.ratingForm.hidden = state.rated || !(closed || state.feedbackRequested);
  ui.thanks.hidden = !state.rated;
  if (closed) ui.typing.hidden = true;
  const withBot = !closed && state.session.status === 'waiting' && !!state.session.bot_id;
  ui.botHint.hidden = !withBot;
  const q = !closed && state.session.status === 'waiting' && !state.session.bot_id ? state.queue : null;
  ui.queueLine.hidden = !q;
  if (q) {
    const est = q.estimated_wait_seconds;
    ui.queueLine.textContent = `You are number ${q.position} in the queue.`
      + (est == null ? ' An agent will be with you soon.' : ` Estimated wait: about ${Math.max(1, Math.round(est / 60))} min.`);
  }
  ui.subtitle.textContent = closed ? 'Conversation closed'
    : state.session.status === 'active' ? 'You’re chatting with our team'
      : withBot ? 'You’re chatting with our assistant'
        : 'Waiting for the next available agent…';
}

function showError(node, err) {
  let text;
  if (err instanceof ApiError) {
    if (err.code === 'rate_limited') text = `Too many attempts. Please try again${err.retryAfter ? ` in ${err.retryAfter} s` : ' shortly'}.`;
    else text = err.message;
  } else {
    text = String(err && err.message ? err.message : err);
  }
  node.textContent = text;
  node.hidden = false;
}

// ------------------------------------------------------------- messages ---

const renderedSeqs = new Set();

function scrollToEnd() {
  ui.logBox.scrollTop = ui.logBox.scrollHeight;
}

function isOwn(m) {
  return m.sender && m.sender.type === 'customer' && state.customer && m.sender.id === state.customer.id;
}

function senderLabel(m) {
  switch (m.sender && m.sender.type) {
    case 'customer': return isOwn(m) ? 'You' : 'Customer';
    case 'agent': return 'Support';
    case 'bot': return 'Assistant';
    default: return 'System';
  }
}

function messageNode(m, pending) {
  const kind = pending || isOwn(m) ? 'own' : (m.sender && m.sender.type) || 'system';
  const li = el('li', { className: `parley-msg parley-msg--${kind}` });
  if (pending) {
    li.dataset.cid = pending.client_msg_id;
    li.classList.add('is-pending');
  } else {
    li.dataset.seq = String(m.seq);
  }
  const content = pending ? pending.content : m.content;
  if (kind !== 'system') li.append(el('span', { className: 'parley-sr', text: senderLabel(m || { sender: { type: 'customer' } }) + ': ' }));
  if (pending) li.append(el('p', { className: 'parley-bubble', text: content }));
  else li.append(...translatedBody(m, { own: kind === 'own', bodyClass: 'parley-bubble', cls: 'parley-' }));
  if (!pending && m.attachment) {
    li.append(attachmentNode(m.attachment, { base: API_BASE, token: () => state.token, cls: 'parley-' }));
  }
  const meta = el('p', { className: 'parley-meta' });
  if (pending) {
    meta.append(el('span', { className: 'parley-state', text: pending.failed ? 'Not sent' : 'Sending…' }));
    if (pending.failed) {
      li.classList.add('is-failed');
      meta.append(' · ', el('span', { text: pending.failed }), ' ',
        pending.refused
          ? el('button', { type: 'button', className: 'parley-link', text: 'Edit', onclick: () => editRefused(pending.client_msg_id) })
          : el('button', { type: 'button', className: 'parley-link', text: 'Retry', onclick: () => retryFailed(pending.client_msg_id) }));
    }
  } else {
    if (kind !== 'own' && kind !== 'system') meta.append(el('span', { className: 'parley-who', text: senderLabel(m) }), ' · ');
    meta.append(el('time', { dateTime: m.created_at, text: formatTime(m.created_at) }));
  }
  li.append(meta);
  return li;
}

/** Renders a stored message once, in seq order. Returns true if it was new. */
function addMessage(m, { live = false } = {}) {
  if (!m || typeof m.seq !== 'number' || !state.session || m.session_id !== state.session.id) return false;
  if (m.client_msg_id) settlePending(m.client_msg_id);
  if (renderedSeqs.has(m.seq)) return false;
  renderedSeqs.add(m.seq);
  const node = messageNode(m);
  showHandoffKeyword(m);
  // Keep seq order; pending (unsent) bubbles always stay last.
  let before = null;
  for (const li of ui.log.children) {
    if (li.dataset.cid || Number(li.dataset.seq) > m.seq) { before = li; break; }
  }
  const box = ui.logBox;
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  ui.log.insertBefore(node, before);
  if (nearBottom || isOwn(m)) scrollToEnd();

  if (!state.messages.some((x) => x.seq === m.seq)) {
    state.messages.push({
      id: m.id, session_id: m.session_id, seq: m.seq, sender: m.sender, type: m.type,
      content: m.content, created_at: m.created_at, client_msg_id: m.client_msg_id, attachment: m.attachment,
      translation: m.translation, translations: m.translations, bot: m.bot,
    });
    state.messages.sort((a, b) => a.seq - b.seq);
  }
  // lastSeq is the highest seq up to which nothing is missing: that is what
  // we resume from, so a gap (say an ack overtaking a broadcast) is refilled.
  while (renderedSeqs.has(state.lastSeq + 1)) state.lastSeq += 1;
  saveState();

  if (live && !isOwn(m)) {
    ui.typing.hidden = true;
    if (!isOpen()) setUnread(unread + 1);
  }
  return true;
}

// The bot's greeting names the word that brings a person (the desk's
// bot.handoff_keyword): the hint says the same word (issue 16).
function showHandoffKeyword(m) {
  const kw = m.bot && m.bot.kind === 'greeting' && typeof m.bot.handoff_keyword === 'string'
    ? m.bot.handoff_keyword : null;
  if (kw) ui.botHint.textContent = `Our assistant answers first. Want a person? Type “${kw}” and we’ll bring in our team.`;
}

function clearLog() {
  ui.log.replaceChildren();
  renderedSeqs.clear();
}

// ------------------------------------------------------ outbox (sending) ---

function pendingNode(cid) {
  return Array.from(ui.log.querySelectorAll('li[data-cid]')).find((li) => li.dataset.cid === cid) || null;
}

function renderPending(p) {
  const old = pendingNode(p.client_msg_id);
  const node = messageNode(null, p);
  if (old) old.replaceWith(node); else ui.log.append(node);
  scrollToEnd();
}

/** The message with this client_msg_id is stored: drop it from the outbox. */
function settlePending(cid) {
  const i = state.outbox.findIndex((p) => p.client_msg_id === cid);
  if (i >= 0) { state.outbox.splice(i, 1); saveState(); }
  const node = pendingNode(cid);
  if (node) node.remove();
}

let subscribed = false;

function flushOutbox() {
  if (!subscribed) return;
  for (const p of state.outbox) {
    if (p.failed || p.session_id !== state.session.id) continue;
    socket.send({ type: 'message.send', session_id: p.session_id, content: p.content, client_msg_id: p.client_msg_id });
  }
}

function sendFromComposer() {
  const content = ui.input.value.trim();
  if (!content || !state.session || state.session.status === 'closed') return;
  const p = { client_msg_id: newClientMsgId(), session_id: state.session.id, content };
  state.outbox.push(p);
  saveState();
  renderPending(p);
  ui.input.value = '';
  autoGrow();
  if (subscribed) socket.send({ type: 'message.send', session_id: p.session_id, content, client_msg_id: p.client_msg_id });
  // Otherwise it goes out (same client_msg_id) as soon as the socket is back.
}

function retryFailed(cid) {
  const p = state.outbox.find((x) => x.client_msg_id === cid);
  if (!p) return;
  delete p.failed;
  saveState();
  renderPending(p);
  if (subscribed) socket.send({ type: 'message.send', session_id: p.session_id, content: p.content, client_msg_id: p.client_msg_id });
}

/** A refused message back into the composer (and out of the outbox). */
function editRefused(cid) {
  const p = state.outbox.find((x) => x.client_msg_id === cid);
  if (!p) return;
  settlePending(cid);
  ui.input.value = p.content;
  autoGrow();
  ui.input.focus();
}

function onSendError(cid, error) {
  const p = state.outbox.find((x) => x.client_msg_id === cid);
  if (!p) return;
  const code = (error && error.code) || 'error';
  if (RETRYABLE.has(code)) {
    // Try again a little later with the same id: the server never stores it twice.
    setTimeout(() => { if (subscribed && state.outbox.includes(p) && !p.failed) socket.send({ type: 'message.send', session_id: p.session_id, content: p.content, client_msg_id: p.client_msg_id }); }, 3000);
    return;
  }
  if (CONTENT_REFUSALS[code]) p.refused = true;
  p.failed = code === 'conflict' ? 'the conversation is closed'
    : CONTENT_REFUSALS[code] || ((error && error.message) || code);
  saveState();
  renderPending(p);
}

let lastTypingSent = 0;
function sendTyping() {
  if (!subscribed || !state.session || state.session.status === 'closed') return;
  const now = Date.now();
  if (now - lastTypingSent < 3000) return;
  lastTypingSent = now;
  socket.send({ type: 'typing', session_id: state.session.id });
}

let typingTimer = null;
function showTyping() {
  ui.typing.hidden = false;
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => { ui.typing.hidden = true; }, 5000);
}

// ------------------------------------------------------------ realtime ---

function setSession(s) {
  if (!state.session || s.id !== state.session.id) return;
  const wasClosed = state.session.status === 'closed';
  state.session = { id: s.id, topic: s.topic, status: s.status, agent_id: s.agent_id, bot_id: s.bot_id || null };
  if (s.queue !== undefined) state.queue = s.queue; // only GET /sessions/{id} has it
  if (s.status !== 'waiting') state.queue = null;
  saveState();
  render();
  if (s.status === 'waiting' && !s.bot_id && !state.queue && s.queue === undefined) refreshQueue();
  if (s.status === 'closed' && !wasClosed) {
    for (const p of state.outbox) if (!p.failed) { p.failed = 'the conversation is closed'; renderPending(p); }
    saveState();
    if (isOpen() && !state.rated) {
      const first = ui.ratingForm.querySelector('input');
      if (first && !ui.panel.contains(document.activeElement)) first.focus();
    }
  }
}

function onSocketMessage(msg) {
  switch (msg.type) {
    case 'message.created':
      if (state.session && msg.session_id === state.session.id) addMessage(msg.message, { live: subscribed });
      break;
    case 'subscribed':
      if (state.session && msg.session_id === state.session.id) {
        subscribed = true;
        ui.conn.hidden = true;
        flushOutbox();
      }
      break;
    case 'ack':
      if (msg.message) addMessage(msg.message);
      if (msg.client_msg_id) settlePending(msg.client_msg_id);
      break;
    case 'error':
      if (msg.client_msg_id) onSendError(msg.client_msg_id, msg.error);
      else if (msg.error && msg.error.code === 'not_found' && !subscribed) {
        // Our session is gone (e.g. the server's data was reset): start over.
        socket.stop();
        resetConversation();
        clearLog();
        render();
      }
      break;
    case 'session.updated':
      if (msg.session) setSession(msg.session);
      break;
    case 'queue.updated':
      if (state.session && msg.session_id === state.session.id) {
        state.queue = msg.queue || null;
        saveState();
        render();
      }
      break;
    case 'feedback.requested':
      if (state.session && msg.session_id === state.session.id && !state.rated) {
        state.feedbackRequested = true;
        saveState();
        render();
        if (isOpen() && !ui.panel.contains(document.activeElement)) {
          const first = ui.ratingForm.querySelector('input');
          if (first) first.focus();
        }
      }
      break;
    case 'typing':
      if (state.session && msg.session_id === state.session.id && !(msg.sender && msg.sender.type === 'customer')) showTyping();
      break;
    default:
      break;
  }
}

const socket = new ParleySocket({
  url: () => wsUrl(API_BASE, state.token),
  onOpen: () => {
    subscribed = false;
    if (state.session) socket.send({ type: 'subscribe', session_id: state.session.id, after_seq: state.lastSeq });
  },
  onMessage: onSocketMessage,
  onStatus: (s) => {
    if (s.state === 'open') return; // shown as connected once 'subscribed' arrives
    subscribed = false;
    if (s.state === 'waiting') {
      ui.conn.textContent = `Connection lost. Reconnecting in ${Math.max(1, Math.round(s.retryInMs / 1000))} s…`;
      ui.conn.hidden = false;
    } else if (s.state === 'connecting' && s.attempt > 0) {
      ui.conn.textContent = 'Reconnecting…';
      ui.conn.hidden = false;
    }
  },
  onFailure: async (n) => {
    if (n < 3 || !state.token) return;
    // Several attempts failed before the upgrade: is our token still good?
    try {
      await apiRequest(API_BASE, state.token, 'GET', '/api/v1/me');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        socket.stop();
        forgetCustomer();
        clearLog();
        render();
      }
    }
  },
});

function connect() {
  if (!state.token || !state.session) return;
  socket.stop();
  subscribed = false;
  socket.start();
}

// ------------------------------------------------------------- actions ---

async function onStart(e) {
  e.preventDefault();
  ui.startError.hidden = true;
  const topic = ui.topicInput.value.trim() || DEFAULT_TOPIC;
  if (!state.token) {
    const name = ui.nameInput.value.trim();
    if (!name) {
      showError(ui.startError, 'Please tell us your name.');
      ui.nameInput.setAttribute('aria-invalid', 'true');
      ui.nameInput.focus();
      return;
    }
    ui.nameInput.removeAttribute('aria-invalid');
  }
  ui.startBtn.disabled = true;
  ui.startBtn.textContent = 'Starting…';
  try {
    if (!state.token) {
      const body = { name: ui.nameInput.value.trim() };
      const email = ui.emailInput.value.trim();
      if (email) body.email = email;
      const lang = (navigator.language || '').split('-')[0];
      if (lang) body.language = lang;
      const res = await apiRequest(API_BASE, null, 'POST', '/api/v1/customers', body);
      state.token = res.token;
      state.customer = res.customer;
      saveState();
    }
    let session;
    try {
      session = await apiRequest(API_BASE, state.token, 'POST', '/api/v1/sessions', { topic });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) { forgetCustomer(); render(); }
      throw err;
    }
    resetConversation();
    state.session = {
      id: session.id, topic: session.topic, status: session.status, agent_id: session.agent_id, bot_id: session.bot_id || null,
    };
    saveState();
    clearLog();
    ui.topicInput.value = '';
    render();
    connect();
    ui.input.focus();
    if (session.status === 'waiting' && !session.bot_id) refreshQueue();
  } catch (err) {
    showError(ui.startError, err);
  } finally {
    ui.startBtn.disabled = false;
    ui.startBtn.textContent = 'Start chat';
  }
}

async function onRate(e) {
  e.preventDefault();
  ui.ratingError.hidden = true;
  const chosen = ui.ratingForm.querySelector('input[name="rating"]:checked');
  if (!chosen) {
    showError(ui.ratingError, 'Please choose from 1 to 5 stars.');
    const first = ui.ratingForm.querySelector('input[name="rating"]');
    if (first) first.focus();
    return;
  }
  const body = { rating: Number(chosen.value) };
  const comment = ui.commentInput.value.trim();
  if (comment) body.comment = comment;
  ui.rateBtn.disabled = true;
  try {
    await apiRequest(API_BASE, state.token, 'POST', `/api/v1/sessions/${encodeURIComponent(state.session.id)}/feedback`, body);
    state.rated = true;
  } catch (err) {
    if (err instanceof ApiError && err.code === 'conflict') state.rated = true; // rated before
    else showError(ui.ratingError, err);
  } finally {
    ui.rateBtn.disabled = false;
  }
  saveState();
  render();
  if (state.rated) ui.newChatBtn.focus();
}

function onNewChat() {
  socket.stop();
  resetConversation();
  clearLog();
  render();
  ui.topicInput.focus();
}

let queueFetch = null;
/** Asks the server for our place in the queue (GET /sessions/{id} has `queue`). */
function refreshQueue() {
  if (queueFetch || !state.session) return;
  const id = state.session.id;
  queueFetch = apiRequest(API_BASE, state.token, 'GET', `/api/v1/sessions/${encodeURIComponent(id)}`)
    .then((s) => { if (state.session && state.session.id === id && s) setSession(s); })
    .catch(() => { /* the socket's queue.updated will tell */ })
    .finally(() => { queueFetch = null; });
}

async function onAttach() {
  const file = ui.fileInput.files && ui.fileInput.files[0];
  ui.fileInput.value = '';
  if (!file || !state.session || state.session.status === 'closed') return;
  const sessionId = state.session.id;
  ui.uploadStatus.hidden = false;
  ui.uploadStatus.classList.remove('is-error');
  ui.uploadStatus.textContent = `Sending ${file.name}…`;
  ui.attachBtn.disabled = true;
  try {
    const up = await uploadFile(API_BASE, state.token, file);
    const m = await apiRequest(API_BASE, state.token, 'POST', `/api/v1/sessions/${encodeURIComponent(sessionId)}/messages`,
      { attachment_id: up.id, client_msg_id: newClientMsgId() });
    addMessage(m);
    scrollToEnd();
    ui.uploadStatus.hidden = true;
  } catch (err) {
    ui.uploadStatus.classList.add('is-error');
    showError(ui.uploadStatus, err);
    ui.uploadStatus.textContent = `Could not send ${file.name}: ${ui.uploadStatus.textContent}`;
  } finally {
    ui.attachBtn.disabled = false;
    ui.input.focus();
  }
}

async function onTranscript() {
  if (!state.session) return;
  ui.transcriptStatus.textContent = '';
  ui.transcriptBtn.disabled = true;
  try {
    const { blob, filename } = await fetchBlob(API_BASE, state.token,
      `/api/v1/sessions/${encodeURIComponent(state.session.id)}/transcript?format=txt`);
    saveBlob(blob, filename || `transcript-${state.session.id}.txt`);
  } catch (err) {
    ui.transcriptStatus.textContent = 'Download failed: ' + (err.message || err);
  } finally {
    ui.transcriptBtn.disabled = false;
  }
}

// --------------------------------------------------------------- start ---

async function restore() {
  if (!state.token || !state.session) return;
  // Instant history from the cache, then fill any gap from the server.
  for (const m of state.messages) addMessage(m);
  for (const p of state.outbox) if (p.session_id === state.session.id) renderPending(p);
  try {
    const s = await apiRequest(API_BASE, state.token, 'GET', `/api/v1/sessions/${encodeURIComponent(state.session.id)}`);
    setSession(s);
    const contiguous = state.messages.length > 0 && state.messages[0].seq === 1
      && state.messages.length === state.messages[state.messages.length - 1].seq;
    if (state.lastSeq > 0 && !contiguous) await fetchHistory();
    if (s.status === 'closed' && !state.rated) {
      try {
        await apiRequest(API_BASE, state.token, 'GET', `/api/v1/sessions/${encodeURIComponent(s.id)}/feedback`);
        state.rated = true;
        saveState();
        render();
      } catch (e) { /* 404: not rated yet */ }
    }
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 404)) {
      if (err.status === 401) forgetCustomer(); else resetConversation();
      clearLog();
      render();
      return;
    }
    // Network trouble: the socket will keep trying.
  }
  connect();
}

// The signed link of a reply e-mail (#parley-resume=<session>.<expires>.<signature>,
// docs/subsystems/notifications.md "The links"): the server checks it and
// gives this browser a token of the conversation's customer, on any device.
// The fragment leaves the address bar first, so it is not bookmarked.
async function resumeFromLink() {
  const m = /(?:^#|&)parley-resume=([A-Za-z0-9_]+)\.(\d+)\.([0-9a-f]{64})/.exec(location.hash);
  if (!m) return;
  history.replaceState(null, '', location.pathname + location.search);
  try {
    const res = await apiRequest(API_BASE, null, 'POST', '/api/v1/conversation-links/redeem',
      { session_id: m[1], expires: Number(m[2]), signature: m[3] });
    forgetCustomer();
    state.token = res.token;
    state.customer = res.customer;
    state.session = { id: res.session_id };
    state.open = true;
    saveState();
  } catch (e) { /* an expired or altered link: the widget starts as usual */ }
}

async function fetchHistory() {
  let after = 0;
  for (let page = 0; page < 100; page++) {
    const res = await apiRequest(API_BASE, state.token, 'GET',
      `/api/v1/sessions/${encodeURIComponent(state.session.id)}/messages?after_seq=${after}&limit=200`);
    const list = (res && res.messages) || [];
    for (const m of list) addMessage(m);
    if (list.length < 200) break;
    after = list[list.length - 1].seq;
  }
}

build();
render();
resumeFromLink().then(() => {
  render();
  if (state.open) openPanel({ focus: false });
  restore();
});
