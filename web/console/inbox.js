// The conversation list (left column): one page at a time, filtered by
// status, sorted newest first, with unread counts and label chips.

import { formatTime } from '../parley-client.js';
import { loadPage } from './api.js';
import { state, sessions, sessionList, subscribe, upsertSession, myId, agentName } from './store.js';
import { $, el, toast, statusBadge, labelChip } from './ui.js';
import { openSession } from './conversation.js';
import { customerName, ensureContacts } from './contacts.js';
import * as socket from './socket.js';

export async function loadSessions(more) {
  state.sessionFilter = $('status-filter').value;
  await loadPage(sessionList, more);
  renderList();
}

function filterMatches(s) {
  return !state.sessionFilter || s.status === state.sessionFilter;
}

function sortList() {
  sessionList.ids.sort((a, b) => {
    const x = sessions.get(a); const y = sessions.get(b);
    return String(y.created_at).localeCompare(String(x.created_at));
  });
}

function sessionItem(s) {
  const unread = s.id === state.selectedId ? 0 : Number(s.unread_count) || 0;
  const labels = Array.isArray(s.labels) ? s.labels : [];
  const btn = el('button', {
    type: 'button', className: 'session-item', 'aria-current': s.id === state.selectedId ? 'true' : null,
    dataset: { id: s.id },
  },
  el('span', { className: 'si-top' },
    el('span', { className: 'si-topic', text: s.topic || '(no topic)' }),
    statusBadge(s.status)),
  el('span', { className: 'si-sub' },
    el('span', {
      className: 'si-who',
      text: customerName(s.customer_id) + ' · '
        + (s.agent_id ? (s.agent_id === myId() ? 'assigned to you' : agentName(s.agent_id)) : 'unassigned'),
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

export function renderList() {
  sortList();
  const ul = $('session-list');
  const items = sessionList.ids.map((id) => sessions.get(id)).filter((s) => s && filterMatches(s)).map(sessionItem);
  ul.replaceChildren(...items);
  ensureContacts(sessionList.ids.map((id) => sessions.get(id)).filter(Boolean).map((s) => s.customer_id));
  $('sessions-empty').hidden = items.length > 0;
  $('load-more').hidden = !sessionList.cursor;
}

export function wireInbox() {
  $('status-filter').addEventListener('change', () => {
    state.sessionFilter = $('status-filter').value;
    sessionList.cursor = null;
    loadSessions(false);
  });
  $('load-more').addEventListener('click', () => loadSessions(true));
  subscribe('sessions', renderList);
  subscribe('labels', renderList);
  subscribe('contacts', renderList);
  subscribe('session', ({ session, isNew }) => {
    if (isNew) toast(`New conversation waiting: ${session.topic || '(no topic)'}`);
  });
  subscribe('signed-out', () => $('session-list').replaceChildren());
  socket.on('session.created', (msg) => { if (msg.session) upsertSession(msg.session, true); });
  socket.on('session.updated', (msg) => { if (msg.session) upsertSession(msg.session, false); });
}
