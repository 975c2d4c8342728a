// Admin: teams (#/admin/teams). Create a team (name, topics), rename it or
// change its topics, add and remove members, delete it. Each team is a
// card with its own form; the server's validation message is shown next
// to the field it names. Names go in as text only.

import { api, showError } from './api.js';
import { loadTeams } from './team.js';
import { el, toast } from './ui.js';
import { field, formError, pageHead, submitting } from './admin-form.js';

let root = null;
let teams = []; // GET /api/v1/teams
let agentList = []; // GET /api/v1/agents (members to pick)

const node = (sel) => root.querySelector(sel);
const topicsOf = (text) => text.split(',').map((t) => t.trim()).filter(Boolean);

function build() {
  const create = el('form', { id: 'team-create', className: 'admin-card', noValidate: true },
    el('h3', { text: 'Add a team' }),
    el('div', { className: 'form-row' },
      field('new-team-name', 'Team name', el('input', { maxLength: 100, autocomplete: 'off' }), { key: 'name' }),
      field('new-team-topics', 'Topics', el('input', { maxLength: 2000, autocomplete: 'off' }),
        { key: 'topics', hint: 'Comma-separated; a chat whose topic is one of these goes to this team.' })),
    formError('team-create-error'),
    el('button', { className: 'btn btn-primary', type: 'submit', text: 'Add team' }));
  create.addEventListener('submit', onCreate);
  root.replaceChildren(...pageHead('Teams', 'Chats of a team go to its members only.'),
    el('p', { id: 'teams-error', className: 'error', role: 'alert', hidden: true }),
    el('div', { id: 'team-cards', className: 'card-list' }),
    el('p', { id: 'teams-empty', className: 'empty', text: 'No teams yet.', hidden: true }),
    create);
}

function agentName(id) {
  const a = agentList.find((x) => x.id === id);
  return a ? a.name : id;
}

function teamCard(t) {
  const idp = 'team-' + t.id;
  const form = el('form', { className: 'team-edit', noValidate: true },
    el('div', { className: 'form-row' },
      field(idp + '-name', 'Name', el('input', { maxLength: 100, value: t.name, autocomplete: 'off' }), { key: 'name' }),
      field(idp + '-topics', 'Topics', el('input', { maxLength: 2000, value: (t.topics || []).join(', '), autocomplete: 'off' }), { key: 'topics' })),
    formError(idp + '-error'),
    el('span', { className: 'row-actions' },
      el('button', { className: 'btn btn-primary btn-small', type: 'submit', text: 'Save', 'aria-label': `Save team ${t.name}` }),
      el('button', { className: 'btn btn-danger btn-small', type: 'button', text: 'Delete', 'aria-label': `Delete team ${t.name}`, onclick: () => onDelete(t) })));
  form.addEventListener('submit', (e) => { e.preventDefault(); onSave(t, form); });

  const members = t.agent_ids || [];
  const memberList = el('ul', { className: 'member-list', 'aria-label': `Members of ${t.name}` },
    ...members.map((id) => el('li', {}, el('span', { text: agentName(id) }),
      el('button', { className: 'btn btn-ghost btn-small', type: 'button', text: 'Remove',
        'aria-label': `Remove ${agentName(id)} from ${t.name}`, onclick: () => member(t, id, 'DELETE') }))));
  const pick = el('select', {},
    ...agentList.filter((a) => a.active !== false && !members.includes(a.id)).map((a) => el('option', { value: a.id, text: a.name })));
  const add = el('form', { className: 'inline-form', noValidate: true },
    el('label', { for: idp + '-add', className: 'sr-only', text: `Agent to add to ${t.name}` }), pick,
    el('button', { className: 'btn btn-ghost btn-small', type: 'submit', text: 'Add member', disabled: !pick.options.length }));
  pick.id = idp + '-add';
  add.addEventListener('submit', (e) => { e.preventDefault(); if (pick.value) member(t, pick.value, 'POST'); });

  return el('section', { className: 'admin-card team-card', dataset: { id: t.id }, 'aria-label': `Team ${t.name}` },
    el('h3', { text: t.name }), form,
    el('h4', { text: `Members (${members.length})` }),
    members.length ? memberList : el('p', { className: 'muted small', text: 'No members: any agent may take its chats.' }),
    add);
}

function render() {
  node('#team-cards').replaceChildren(...teams.map(teamCard));
  node('#teams-empty').hidden = teams.length > 0;
  loadTeams(); // the console's own team names (conversation heads, transfer)
}

async function load() {
  node('#teams-error').hidden = true;
  try {
    const [tres, ares] = await Promise.all([api('GET', '/api/v1/teams?limit=200'), api('GET', '/api/v1/agents')]);
    teams = (tres && tres.teams) || [];
    agentList = (ares && ares.agents) || [];
  } catch (err) {
    showError(node('#teams-error'), err);
  }
  render();
}

function replace(team) {
  teams = teams.some((t) => t.id === team.id) ? teams.map((t) => (t.id === team.id ? team : t)) : [team, ...teams];
  render();
}

async function onCreate(e) {
  e.preventDefault();
  const form = e.currentTarget;
  const body = { name: node('#new-team-name').value.trim(), topics: topicsOf(node('#new-team-topics').value) };
  const team = await submitting(form, () => api('POST', '/api/v1/teams', body));
  if (!team) return;
  node('#new-team-name').value = '';
  node('#new-team-topics').value = '';
  replace(team);
  toast(`Team ${team.name} added.`);
}

async function onSave(t, form) {
  const body = {
    name: form.querySelector('[data-key="name"]').value.trim(),
    topics: topicsOf(form.querySelector('[data-key="topics"]').value),
  };
  const team = await submitting(form, () => api('PATCH', `/api/v1/teams/${encodeURIComponent(t.id)}`, body));
  if (!team) return;
  replace(team);
  toast(`Team ${team.name} saved.`);
}

async function onDelete(t) {
  node('#teams-error').hidden = true;
  try {
    await api('DELETE', `/api/v1/teams/${encodeURIComponent(t.id)}`);
    teams = teams.filter((x) => x.id !== t.id);
    render();
    toast(`Team ${t.name} deleted.`);
  } catch (err) {
    showError(node('#teams-error'), err);
  }
}

async function member(t, agentId, method) {
  node('#teams-error').hidden = true;
  try {
    const team = await api(method, `/api/v1/teams/${encodeURIComponent(t.id)}/members`, { agent_id: agentId });
    replace(team);
    toast(method === 'POST' ? `${agentName(agentId)} is in ${t.name}.` : `${agentName(agentId)} left ${t.name}.`);
  } catch (err) {
    showError(node('#teams-error'), err);
  }
}

/** Shows the page in the container (built on first use) and loads the teams. */
export function show(container) {
  if (root !== container || !container.firstChild) { root = container; build(); }
  return load();
}
