// Tickets: the table (paged, filtered by status; status and priority
// changed in place) and the "Create ticket" dialog of a conversation.

import { formatTime } from '../parley-client.js';
import { api, loadPage, showError } from './api.js';
import {
  state, sessions, tickets, ticketList, subscribe, shortId, agentName, STATUS_LABEL, PRIORITIES, PRIORITY_LABEL,
} from './store.js';
import { $, el, toast, statusBadge } from './ui.js';
import * as socket from './socket.js';
import { openSession } from './conversation.js';
import { go } from './router.js';

export async function loadTickets(more) {
  if (await loadPage(ticketList, more)) ticketList.loaded = true;
  renderTickets();
}

/** Loads the first page the first time the tickets are shown. */
export function showTickets() {
  if (!ticketList.loaded) loadTickets(false);
}

function upsertTicket(t, isNew) {
  tickets.set(t.id, t);
  if (!ticketList.loaded) return;
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
    onclick: () => { go('#/conversations'); openSession(t.session_id); },
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

// ------------------------------------------------- the create dialog ---

function openTicketDialog() {
  const s = sessions.get(state.selectedId);
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
    const t = await api('POST', `/api/v1/sessions/${encodeURIComponent(state.selectedId)}/ticket`, body);
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

export function wireTickets() {
  $('ticket-filter').addEventListener('change', () => { ticketList.cursor = null; loadTickets(false); });
  $('tickets-more').addEventListener('click', () => loadTickets(true));
  $('ticket-btn').addEventListener('click', openTicketDialog);
  $('ticket-form').addEventListener('submit', onCreateTicket);
  $('ticket-cancel').addEventListener('click', () => $('ticket-dialog').close());
  socket.on('ticket.updated', (msg) => {
    if (msg.ticket) upsertTicket(msg.ticket, !tickets.has(msg.ticket.id));
  });
  subscribe('signed-out', () => $('ticket-rows').replaceChildren());
}
