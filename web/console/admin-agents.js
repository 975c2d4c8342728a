// Admin: agents (#/admin/agents), loaded on demand by app.js with import().
// List every agent, create one, change a role, deactivate or reactivate,
// reset a password, put a new agent in a team (the Teams column lists each
// agent's teams; membership is edited on the Teams page). Every answer is
// the server's: the last active admin
// cannot be demoted or deactivated (409), shown as the error it is.
// Names and e-mails go in as text only.

import { formatTime } from '../parley-client.js';
import { api, errorText, showError } from './api.js';
import { agents, myId } from './store.js';
import { el, toast } from './ui.js';

let root = null; // the section element
let rows = []; // GET /api/v1/agents
let teams = []; // GET /api/v1/teams (for the Teams column and the new agent's team)

const node = (sel) => root.querySelector(sel);

function field(id, label, input, hint) {
  return el('div', { className: 'field' },
    el('label', { for: id, text: label }), input,
    hint ? el('p', { id: id + '-hint', className: 'muted small', text: hint }) : null);
}

/** Builds the page once; the data is fetched every time it is shown. */
function build() {
  const createForm = el('form', { id: 'agent-create', className: 'admin-card', noValidate: true },
    el('h3', { text: 'Add an agent' }),
    el('div', { className: 'form-row' },
      field('new-agent-name', 'Name', el('input', { id: 'new-agent-name', maxLength: 200, autocomplete: 'off', required: true })),
      field('new-agent-email', 'Email', el('input', { id: 'new-agent-email', type: 'email', maxLength: 254, autocomplete: 'off', required: true })),
      field('new-agent-password', 'Password', el('input', {
        id: 'new-agent-password', type: 'password', autocomplete: 'new-password', required: true,
        'aria-describedby': 'new-agent-password-hint',
      }), 'At least 8 characters; tell it to the agent in person.'),
      field('new-agent-role', 'Role', el('select', { id: 'new-agent-role' },
        el('option', { value: 'agent', text: 'Agent' }), el('option', { value: 'admin', text: 'Admin' }))),
      field('new-agent-team', 'Team', el('select', { id: 'new-agent-team' }))),
    el('p', { id: 'agent-create-error', className: 'error', role: 'alert', hidden: true }),
    el('button', { className: 'btn btn-primary', type: 'submit', text: 'Add agent' }));
  createForm.addEventListener('submit', onCreate);

  const resetDialog = el('dialog', { id: 'reset-dialog', className: 'dialog', 'aria-labelledby': 'reset-title' },
    el('form', { id: 'reset-form', noValidate: true },
      el('h2', { id: 'reset-title', text: 'Reset password' }),
      el('p', { id: 'reset-for', className: 'muted' }),
      field('reset-password', 'New password', el('input', {
        id: 'reset-password', type: 'password', autocomplete: 'new-password', 'aria-describedby': 'reset-password-hint',
      }), 'The agent is signed out everywhere and signs in with this one.'),
      el('p', { id: 'reset-error', className: 'error', role: 'alert', hidden: true }),
      el('div', { className: 'dialog-actions' },
        el('button', { className: 'btn btn-ghost', type: 'button', text: 'Cancel', onclick: () => node('#reset-dialog').close() }),
        el('button', { id: 'reset-submit', className: 'btn btn-primary', type: 'submit', text: 'Set password' }))));
  resetDialog.querySelector('form').addEventListener('submit', onReset);

  root.replaceChildren(
    el('div', { className: 'tickets-head' }, el('h2', { text: 'Agents' })),
    el('p', { id: 'agents-admin-error', className: 'error', role: 'alert', hidden: true }),
    el('table', { className: 'tickets agents-table' },
      el('thead', {}, el('tr', {}, ...['Name', 'Email', 'Role', 'Teams', 'Status', 'Since', 'Actions']
        .map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', { id: 'agents-admin-rows' })),
    createForm,
    resetDialog);
}

function agentRow(a) {
  const me = a.id === myId();
  const role = el('select', { 'aria-label': `Role of ${a.name}`, dataset: { id: a.id } },
    el('option', { value: 'agent', text: 'Agent' }), el('option', { value: 'admin', text: 'Admin' }));
  role.value = a.role;
  role.addEventListener('change', () => patch(a, { role: role.value }, role,
    `${a.name} is now ${role.value === 'admin' ? 'an admin' : 'an agent'}.`));
  const active = a.active !== false;
  const toggle = el('button', {
    type: 'button', className: `btn btn-small ${active ? 'btn-danger' : 'btn-ghost'}`,
    text: active ? 'Deactivate' : 'Reactivate', 'aria-label': `${active ? 'Deactivate' : 'Reactivate'} ${a.name}`,
  });
  toggle.addEventListener('click', () => patch(a, { active: !active }, toggle,
    active ? `${a.name} is deactivated and signed out.` : `${a.name} can sign in again.`));
  const reset = el('button', {
    type: 'button', className: 'btn btn-ghost btn-small', text: 'Reset password', 'aria-label': `Reset password of ${a.name}`,
  });
  reset.addEventListener('click', () => openReset(a));
  return el('tr', { dataset: { id: a.id, active: String(active) } },
    el('td', { text: a.name + (me ? ' (you)' : '') }),
    el('td', { text: a.email }),
    el('td', {}, role),
    el('td', { className: 'agent-teams', text: teams.filter((t) => (t.agent_ids || []).includes(a.id)).map((t) => t.name).join(', ') || '—' }),
    el('td', {}, el('span', { className: `badge badge--${active ? 'active' : 'closed'}`, text: active ? 'Active' : 'Deactivated' })),
    el('td', {}, el('time', { dateTime: a.created_at, text: formatTime(a.created_at) })),
    el('td', {}, el('span', { className: 'row-actions' }, toggle, reset)));
}

function render() {
  node('#agents-admin-rows').replaceChildren(...rows.map(agentRow));
  const pick = node('#new-agent-team');
  const was = pick.value;
  pick.replaceChildren(el('option', { value: '', text: 'No team' }), ...teams.map((t) => el('option', { value: t.id, text: t.name })));
  if (teams.some((t) => t.id === was)) pick.value = was;
}

async function load() {
  node('#agents-admin-error').hidden = true;
  try {
    const [res, tres] = await Promise.all([api('GET', '/api/v1/agents'), api('GET', '/api/v1/teams?limit=200')]);
    rows = (res && res.agents) || [];
    teams = (tres && tres.teams) || [];
    for (const a of rows) agents.set(a.id, { ...agents.get(a.id), ...a });
  } catch (err) {
    showError(node('#agents-admin-error'), err);
  }
  render();
}

async function patch(a, body, control, done) {
  control.disabled = true;
  node('#agents-admin-error').hidden = true;
  try {
    const updated = await api('PATCH', `/api/v1/agents/${encodeURIComponent(a.id)}`, body);
    rows = rows.map((r) => (r.id === updated.id ? updated : r));
    agents.set(updated.id, { ...agents.get(updated.id), ...updated });
    toast(done);
  } catch (err) {
    showError(node('#agents-admin-error'), err);
  }
  render(); // a refused change shows the row as it is
}

async function onCreate(e) {
  e.preventDefault();
  const errBox = node('#agent-create-error');
  errBox.hidden = true;
  const body = {
    name: node('#new-agent-name').value.trim(),
    email: node('#new-agent-email').value.trim(),
    password: node('#new-agent-password').value,
    role: node('#new-agent-role').value,
  };
  if (!body.name || !body.email || !body.password) { showError(errBox, 'Enter a name, an email and a password.'); return; }
  if ([...body.password].length < 8) { showError(errBox, 'The password is too short: use at least 8 characters.'); return; }
  const btn = e.currentTarget.querySelector('button[type="submit"]');
  btn.disabled = true;
  try {
    const a = await api('POST', '/api/v1/agents', body); // 201 with the agent
    rows.push(a);
    agents.set(a.id, a);
    for (const id of ['#new-agent-name', '#new-agent-email', '#new-agent-password']) node(id).value = '';
    const teamId = node('#new-agent-team').value;
    let team = null;
    if (teamId) {
      try {
        team = await api('POST', `/api/v1/teams/${encodeURIComponent(teamId)}/members`, { agent_id: a.id });
        teams = teams.map((t) => (t.id === team.id ? team : t));
      } catch (err) {
        showError(errBox, `${a.name} was added, but not to the team: ${errorText(err)}`);
      }
    }
    render();
    toast(team ? `${a.name} can now sign in, in ${team.name}.` : `${a.name} can now sign in.`);
  } catch (err) {
    showError(errBox, err.status === 409 ? 'An agent with this email exists already.' : err);
  } finally {
    btn.disabled = false;
  }
}

let resetting = null; // the agent whose password the dialog sets

function openReset(a) {
  resetting = a;
  node('#reset-for').textContent = `For ${a.name} (${a.email})`;
  node('#reset-password').value = '';
  node('#reset-error').hidden = true;
  node('#reset-dialog').showModal();
  node('#reset-password').focus();
}

async function onReset(e) {
  e.preventDefault();
  const errBox = node('#reset-error');
  const password = node('#reset-password').value;
  if ([...password].length < 8) { showError(errBox, 'The password is too short: use at least 8 characters.'); return; }
  const btn = node('#reset-submit');
  btn.disabled = true;
  try {
    await api('POST', `/api/v1/agents/${encodeURIComponent(resetting.id)}/password`, { password });
    node('#reset-dialog').close();
    toast(`${resetting.name}'s password is set; they were signed out everywhere.`);
  } catch (err) {
    showError(errBox, err);
  } finally {
    btn.disabled = false;
  }
}

/** Shows the page in the given section element (built on first use) and loads the agents. */
export function show(section) {
  if (root !== section || !section.firstChild) { // new, or emptied at sign-out
    root = section;
    build();
  }
  return load();
}
