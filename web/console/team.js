// The team: everyone's presence in the sidebar (live from presence.updated),
// "My status", and the teams list the other views name teams from.

import { api, errorText } from './api.js';
import { state, agents, emit, subscribe, myId, presenceOf, PRESENCE_LABEL } from './store.js';
import { $, el, toast } from './ui.js';
import * as socket from './socket.js';

export function renderAgents() {
  const me = myId() ? agents.get(myId()) : null;
  if (me) $('presence').value = presenceOf(me);
  const list = Array.from(agents.values())
    .filter((a) => a.active !== false)
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  $('agent-list').replaceChildren(...list.map((a) => {
    const st = presenceOf(a);
    const isMe = a.id === myId();
    return el('li', { className: 'agent-row', dataset: { id: a.id, status: st } },
      el('span', { className: `presence-dot presence-dot--${st}`, 'aria-hidden': 'true' }),
      el('span', { className: 'agent-name', text: a.name + (isMe ? ' (you)' : '') }),
      el('span', { className: 'agent-status', text: PRESENCE_LABEL[st] }));
  }));
  emit('agents');
}

/** Fetches the agents; false when they could not be fetched (what we have stays). */
export async function reloadAgents() {
  try {
    const res = await api('GET', '/api/v1/agents');
    for (const a of (res && res.agents) || []) agents.set(a.id, a);
    renderAgents();
    return true;
  } catch (e) { return false; }
}

function onPresence(msg) {
  if (!msg.agent_id) return;
  if (!agents.has(msg.agent_id)) { reloadAgents(); return; } // a new colleague: fetch names
  const a = agents.get(msg.agent_id);
  a.status = msg.status;
  a.status_since = msg.since;
  agents.set(a.id, a);
  renderAgents();
}

async function onPresenceChange() {
  const sel = $('presence');
  const want = sel.value;
  sel.disabled = true;
  try {
    const p = await api('PUT', '/api/v1/agents/me/presence', { status: want });
    onPresence(p);
    toast(`Your status is now ${PRESENCE_LABEL[p.status] || p.status}.`);
  } catch (err) {
    toast('Could not change your status: ' + errorText(err));
    renderAgents();
  } finally {
    sel.disabled = false;
  }
}

export async function loadTeams() {
  try {
    const res = await api('GET', '/api/v1/teams?limit=200');
    state.teams = (res && res.teams) || [];
  } catch (e) { state.teams = []; }
  emit('teams');
}

export function wireTeam() {
  $('presence').addEventListener('change', onPresenceChange);
  socket.on('presence', onPresence);
  socket.on('presence.updated', onPresence);
  socket.onOpen((again) => { if (again) reloadAgents(); });
  subscribe('signed-out', () => $('agent-list').replaceChildren());
}
