// The tools beside the open conversation: labels (add/remove; the list of
// defined labels is fetched again when the picker gets focus), transfer to
// an agent or a team, and private notes (live from note.created).

import { formatTime } from '../parley-client.js';
import { api, showError } from './api.js';
import {
  state, agents, sessions, notes, emit, subscribe, upsertSession, myId, agentName, teamName,
  presenceOf, PRESENCE_LABEL,
} from './store.js';
import { $, el, toast, labelChip } from './ui.js';
import * as socket from './socket.js';
import { sessionAction, renderDetailHead } from './conversation.js';

// ---------------------------------------------------------------- labels ---

export async function loadLabelDefs() {
  try {
    const res = await api('GET', '/api/v1/labels?limit=200');
    const next = (res && res.labels) || [];
    const same = JSON.stringify(next) === JSON.stringify(state.labelDefs);
    state.labelDefs = next;
    if (same) return; // do not rebuild the select under the user's hands
  } catch (e) { return; }
  if (state.selectedId && sessions.get(state.selectedId)) renderLabels(sessions.get(state.selectedId));
  emit('labels');
}

function renderLabels(s) {
  const have = Array.isArray(s.labels) ? s.labels : [];
  $('label-chips').replaceChildren(...have.map((name) => el('li', {},
    labelChip(name),
    el('button', {
      type: 'button', className: 'chip-remove', text: '×', 'aria-label': `Remove label ${name}`,
      onclick: () => removeLabel(s.id, name),
    }))));
  const avail = state.labelDefs.filter((l) => !have.includes(l.name));
  const sel = $('label-select');
  sel.replaceChildren(...(avail.length
    ? avail.map((l) => el('option', { value: l.name, text: l.name }))
    : [el('option', { value: '', text: state.labelDefs.length ? 'All labels added' : 'No labels defined' })]));
  $('label-add').disabled = !avail.length;
}

async function onAddLabel(e) {
  e.preventDefault();
  const id = state.selectedId;
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

// -------------------------------------------------------------- transfer ---

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
      text: `${a.name}${a.id === myId() ? ' (you)' : ''} — ${PRESENCE_LABEL[presenceOf(a)]}`,
    }))));
  }
  if (state.teams.length) {
    opts.push(el('optgroup', { label: 'Teams' }, ...state.teams.map((t) => el('option', { value: 'team:' + t.id, text: t.name }))));
  }
  sel.replaceChildren(...opts);
  sel.value = Array.from(sel.options).some((o) => o.value === keep) ? keep : '';
}

async function onTransfer(e) {
  e.preventDefault();
  const id = state.selectedId;
  const v = $('transfer-target').value;
  $('detail-error').hidden = true;
  if (!id || !v) { showError($('detail-error'), 'Choose an agent or a team to transfer to.'); return; }
  const [kind, target] = [v.slice(0, v.indexOf(':')), v.slice(v.indexOf(':') + 1)];
  const body = kind === 'team' ? { team_id: target } : { agent_id: target };
  await sessionAction('transfer', 'transfer-btn', body,
    `Transferred to ${kind === 'team' ? teamName(target) : agentName(target)}.`);
  renderDetailHead();
  emit('queue-changed');
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
    if (state.selectedId === id) showError($('notes-error'), err);
  }
  if (state.selectedId === id) renderNotes();
}

function addNote(sessionId, note) {
  if (!sessionId || !note) return;
  const list = notes.get(sessionId) || [];
  if (list.some((n) => n.id === note.id)) return;
  list.unshift(note);
  notes.set(sessionId, list);
  if (sessionId === state.selectedId) renderNotes();
}

function renderNotes() {
  const list = (state.selectedId && notes.get(state.selectedId)) || [];
  $('note-list').replaceChildren(...list.map((n) => el('li', { className: 'note', dataset: { id: n.id } },
    el('p', { className: 'note-head' },
      el('span', { className: 'note-who', text: n.author && n.author.type === 'agent' ? agentName(n.author.id) : 'Staff' }),
      ' · ', el('time', { dateTime: n.created_at, text: formatTime(n.created_at) })),
    el('p', { className: 'note-body', text: n.content }))));
}

async function onAddNote(e) {
  e.preventDefault();
  const id = state.selectedId;
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

// ---------------------------------------------------------------- wiring ---

export function wireSidePanel() {
  $('transfer-form').addEventListener('submit', onTransfer);
  $('label-form').addEventListener('submit', onAddLabel);
  $('label-select').addEventListener('focus', loadLabelDefs); // an admin may have defined new ones
  $('note-form').addEventListener('submit', onAddNote);
  $('note-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) onAddNote(e);
  });
  subscribe('conversation-opened', (id) => {
    renderNotes();
    loadNotes(id);
    loadLabelDefs();
  });
  subscribe('detail-head', (s) => {
    const closed = s.status === 'closed';
    $('transfer-btn').disabled = closed;
    $('transfer-target').disabled = closed;
    renderLabels(s);
    renderTransferTargets(s);
  });
  subscribe('agents', () => {
    if (state.selectedId && sessions.get(state.selectedId)) renderTransferTargets(sessions.get(state.selectedId));
  });
  socket.on('note.created', (msg) => {
    if (msg.note) addNote(msg.session_id || msg.note.session_id, msg.note);
  });
}
