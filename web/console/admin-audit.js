// Admin: the audit log (#/admin/audit). GET /api/v1/audit, newest first,
// 50 entries a page with "Load older entries"; filtered by action and by
// actor (?action=, ?actor= on the server, so the pages hold only matching
// entries). Actors are named from the agents list; details are shown as
// JSON text. Everything goes in as text only.

import { formatTime } from '../parley-client.js';
import { api, showError } from './api.js';
import { agentName } from './store.js';
import { el } from './ui.js';
import { pageHead } from './admin-form.js';

// The actions this build records (docs/openapi.yaml AuditEntry.action).
const ACTIONS = ['login', 'login_failed', 'logout', 'agent.create', 'agent.update', 'agent.password_reset',
  'agent.password_change', 'password_change_failed', 'bot.create', 'bot.revoke', 'allowlist.add',
  'allowlist.remove', 'settings.update', 'strategies.reapply', 'kb.create', 'kb.update', 'kb.delete',
  'team.create', 'team.update', 'team.delete', 'team.member_add', 'team.member_remove', 'retention.purge',
  'password_reset.request', 'agent.password_reset_by_email', 'session.link_redeemed', 'webhook.create',
  'webhook.update', 'webhook.delete', 'webhook.replay', 'contact.update'];

let root = null;
let entries = [];
let cursor = null;
let agentRows = [];
let asked = 0; // the newest load asked for: an older answer arriving late is dropped

const node = (sel) => root.querySelector(sel);

function build() {
  const action = el('select', { id: 'audit-action' }, el('option', { value: '', text: 'Any action' }),
    ...ACTIONS.map((a) => el('option', { value: a, text: a })));
  const actor = el('select', { id: 'audit-actor' }, el('option', { value: '', text: 'Anyone' }));
  const filters = el('form', { id: 'audit-filters', className: 'filters', role: 'search', 'aria-label': 'Filter the audit log' },
    el('div', { className: 'field-inline' }, el('label', { for: 'audit-action', text: 'Action' }), action),
    el('div', { className: 'field-inline' }, el('label', { for: 'audit-actor', text: 'Actor' }), actor));
  filters.addEventListener('change', () => load(false));
  filters.addEventListener('submit', (e) => { e.preventDefault(); load(false); });
  root.replaceChildren(...pageHead('Audit log', 'Sign-ins, and every change admins made, newest first.'),
    filters,
    el('p', { id: 'audit-error', className: 'error', role: 'alert', hidden: true }),
    el('table', { className: 'tickets audit-table' },
      el('thead', {}, el('tr', {}, ...['When', 'Actor', 'Action', 'Target', 'IP', 'Detail'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', { id: 'audit-rows' })),
    el('p', { id: 'audit-empty', className: 'empty', text: 'No entries.', hidden: true }),
    el('button', { id: 'audit-more', className: 'btn btn-ghost btn-small', type: 'button', text: 'Load older entries', hidden: true, onclick: () => load(true) }));
}

function actorText(a) {
  if (!a) return '—';
  if (a.type === 'agent') return agentRows.find((x) => x.id === a.id)?.name || agentName(a.id);
  return `${a.type} ${a.id}`;
}

function render() {
  node('#audit-rows').replaceChildren(...entries.map((e) => el('tr', { dataset: { id: String(e.id), action: e.action } },
    el('td', {}, el('time', { dateTime: e.at, text: formatTime(e.at) })),
    el('td', { text: actorText(e.actor) }),
    el('td', {}, el('code', { text: e.action })),
    el('td', { text: e.target_id || '—' }),
    el('td', { text: e.ip || '—' }),
    el('td', { className: 'audit-detail', text: e.detail && Object.keys(e.detail).length ? JSON.stringify(e.detail) : '' }))));
  node('#audit-empty').hidden = entries.length > 0;
  node('#audit-more').hidden = !cursor;
}

async function load(more) {
  node('#audit-error').hidden = true;
  const params = new URLSearchParams({ limit: '50' });
  if (node('#audit-action').value) params.set('action', node('#audit-action').value);
  if (node('#audit-actor').value) params.set('actor', node('#audit-actor').value);
  if (more && cursor) params.set('cursor', cursor);
  const mine = ++asked;
  try {
    const res = (await api('GET', '/api/v1/audit?' + params)) || {};
    if (mine !== asked) return;
    entries = (more ? entries : []).concat(res.entries || []);
    cursor = res.next_cursor || null;
  } catch (err) {
    if (mine !== asked) return;
    if (!more) entries = [];
    cursor = null;
    showError(node('#audit-error'), err);
  }
  render();
}

async function loadActors() {
  try {
    agentRows = ((await api('GET', '/api/v1/agents')) || {}).agents || [];
  } catch (e) { agentRows = []; }
  const pick = node('#audit-actor');
  const was = pick.value;
  pick.replaceChildren(el('option', { value: '', text: 'Anyone' }), ...agentRows.map((a) => el('option', { value: a.id, text: a.name })));
  if (agentRows.some((a) => a.id === was)) pick.value = was;
}

/** Shows the page in the container (built on first use) and loads the newest entries. */
export async function show(container) {
  if (root !== container || !container.firstChild) { root = container; build(); }
  await loadActors();
  return load(false);
}
