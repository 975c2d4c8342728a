// The queue: who is waiting, in order (GET /queue), refreshed when sessions
// change; "Take" assigns the session to oneself and opens it.

import { formatTime } from '../parley-client.js';
import { api, showError } from './api.js';
import { state, subscribe, upsertSession, myId, teamName } from './store.js';
import { $, el, toast } from './ui.js';
import * as socket from './socket.js';
import { openSession } from './conversation.js';

let queueTimer = null;
export function scheduleQueue() {
  clearTimeout(queueTimer);
  queueTimer = setTimeout(loadQueue, 150);
}

export async function loadQueue() {
  if (!state.auth) return;
  try {
    const res = await api('GET', '/api/v1/queue?limit=100');
    state.queueEntries = (res && res.queue) || [];
    $('queue-error').hidden = true;
  } catch (err) {
    if (state.auth) showError($('queue-error'), err);
  }
  renderQueue();
}

function renderQueue() {
  const items = state.queueEntries.map((q) => {
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
    const s = await api('POST', `/api/v1/sessions/${encodeURIComponent(id)}/assign`, { agent_id: myId() });
    upsertSession(s);
    toast(`You took “${s.topic || '(no topic)'}”.`);
    await openSession(id);
  } catch (err) {
    showError($('queue-error'), err);
    btn.disabled = false;
  }
  loadQueue();
}

export function wireQueue() {
  for (const type of ['session.created', 'session.updated', 'session.handoff', 'queue.updated']) {
    socket.on(type, scheduleQueue);
  }
  socket.onOpen((again) => { if (again) loadQueue(); });
  subscribe('queue-changed', scheduleQueue);
  subscribe('signed-out', () => $('queue-list').replaceChildren());
}
