// Reports (#/reports, admins), loaded on demand by app.js with import():
// conversations per day, per hour of the week (a heatmap), first response
// and resolution time per day, per agent, and the CSAT distribution, over
// a date range and optionally one agent and one team. Each has its CSV beside it, fetched
// with the bearer token and offered as a download. Charts are charts.js's
// inline SVG; every figure from the server goes in as text.

import { fetchBlob, saveBlob } from '../parley-client.js';
import { API_BASE, api, errorText } from './api.js';
import { agents, state } from './store.js';
import { el } from './ui.js';
import { barChart, heatmap, lineChart } from './charts.js';

const DAY = 24 * 3600 * 1000;
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

let root = null;

const isoDay = (t) => new Date(t).toISOString().slice(0, 10);

/** A duration in ms as "42 s", "3.5 min", "2.1 h". */
export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 60000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3600000) return `${(ms / 60000).toFixed(1)} min`;
  return `${(ms / 3600000).toFixed(1)} h`;
}

function query(extra) {
  const p = new URLSearchParams({ from: root.querySelector('#report-from').value, to: root.querySelector('#report-to').value });
  const agent = root.querySelector('#report-agent').value;
  if (agent) p.set('agent_id', agent);
  const team = root.querySelector('#report-team').value;
  if (team) p.set('team_id', team);
  for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
  return p.toString();
}

/** A card: its heading, a CSV download button, the figure. */
function card(id, title, kind) {
  const csv = el('button', { type: 'button', className: 'btn btn-ghost btn-small', text: 'Download CSV', 'aria-label': `Download CSV of ${title}`, dataset: { kind } });
  csv.addEventListener('click', async () => {
    try {
      const { blob } = await fetchBlob(API_BASE, state.auth && state.auth.token, `/api/v1/reports/${kind}?` + query({ format: 'csv' }));
      saveBlob(blob, `${kind}.csv`);
    } catch (err) {
      root.querySelector(`#${id} .error`).textContent = errorText(err);
      root.querySelector(`#${id} .error`).hidden = false;
    }
  });
  return el('section', { id, className: 'admin-card report-card', 'aria-labelledby': id + '-title' },
    el('div', { className: 'report-head' }, el('h3', { id: id + '-title', text: title }), csv),
    el('p', { className: 'error', role: 'alert', hidden: true }),
    el('div', { className: 'report-body' }));
}

function build() {
  const today = isoDay(Date.now());
  const agentSelect = el('select', { id: 'report-agent' }, el('option', { value: '', text: 'All agents' }),
    ...Array.from(agents.values()).map((a) => el('option', { value: a.id, text: a.name })));
  const form = el('form', { id: 'report-filters', className: 'report-filters', noValidate: true },
    el('div', { className: 'field' }, el('label', { for: 'report-from', text: 'From' }),
      el('input', { id: 'report-from', type: 'date', value: isoDay(Date.now() - 13 * DAY) })),
    el('div', { className: 'field' }, el('label', { for: 'report-to', text: 'To (included)' }),
      el('input', { id: 'report-to', type: 'date', value: today })),
    el('div', { className: 'field' }, el('label', { for: 'report-agent', text: 'Agent' }), agentSelect),
    el('div', { className: 'field' }, el('label', { for: 'report-team', text: 'Team' }), el('select', { id: 'report-team' })),
    el('button', { className: 'btn btn-primary', type: 'submit', text: 'Show' }));
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  root.replaceChildren(
    el('div', { className: 'tickets-head' }, el('h2', { text: 'Reports' })),
    form,
    el('p', { className: 'muted small', text: 'Days and hours are UTC, by when the conversation started.' }),
    el('p', { id: 'reports-error', className: 'error', role: 'alert', hidden: true }),
    card('report-volume', 'Conversations per day', 'volume'),
    card('report-hours', 'Conversations by hour of the week', 'hours'),
    card('report-times', 'First response and resolution time per day', 'volume'),
    card('report-agents', 'Per agent', 'agents'),
    card('report-csat', 'Customer satisfaction', 'csat'));
}

function fill(id, ...nodes) {
  root.querySelector(`#${id} .report-body`).replaceChildren(...nodes);
}

async function load() {
  const errBox = root.querySelector('#reports-error');
  errBox.hidden = true;
  const q = query();
  let volume, hours, agentRep, csat, fr, res;
  try {
    [volume, hours, agentRep, csat, fr, res] = await Promise.all(
      ['volume', 'hours', 'agents', 'csat', 'first-response', 'resolution'].map((k) => api('GET', `/api/v1/reports/${k}?${q}`)));
  } catch (err) {
    errBox.textContent = errorText(err);
    errBox.hidden = false;
    return;
  }
  const days = volume.days || [];
  const every = Math.max(1, Math.ceil(days.length / 10));
  const label = (d) => d.date.slice(5);
  const total = days.reduce((n, d) => n + d.sessions, 0);
  fill('report-volume',
    barChart(days.map((d) => ({ label: label(d), value: d.sessions })), { label: `Conversations per day: ${total} in ${days.length} days`, labelEvery: every }));
  const grid = WEEKDAYS.map((w, i) => ({ label: w, values: Array.from({ length: 24 }, (_, h) => {
    const cell = (hours.hours || []).find((x) => x.weekday === i && x.hour === h);
    return cell ? cell.sessions : 0;
  }) }));
  fill('report-hours', heatmap(grid, Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0')),
    { label: 'Conversations by weekday and hour (UTC)' }));
  fill('report-times',
    lineChart(days.map(label), [
      { name: 'First response', values: days.map((d) => d.avg_first_response_ms), className: 'chart-series-1' },
      { name: 'Resolution', values: days.map((d) => d.avg_resolution_ms), className: 'chart-series-2' },
    ], { label: 'Average first response and resolution time per day', format: duration, labelEvery: every }),
    el('p', { className: 'chart-legend' },
      el('span', { className: 'legend legend--1', text: 'First response' }), ' ',
      el('span', { className: 'legend legend--2', text: 'Resolution' })),
    el('p', { className: 'muted small', text: `Over the range: first response median ${duration(fr.median_ms)}, 90th percentile ${duration(fr.p90_ms)} (${fr.count} answered); resolution median ${duration(res.median_ms)}, 90th percentile ${duration(res.p90_ms)} (${res.count} closed).` }));
  const rows = (agentRep.agents || []).map((a) => el('tr', {},
    el('td', { text: a.name || a.agent_id }), el('td', { text: String(a.handled) }), el('td', { text: String(a.closed) }),
    el('td', { text: duration(a.avg_first_response_ms) }),
    el('td', { text: a.csat_average === null ? '—' : `${a.csat_average.toFixed(2)} (${a.csat_count})` })));
  fill('report-agents', el('table', { className: 'tickets report-agents' },
    el('thead', {}, el('tr', {}, ...['Agent', 'Handled', 'Closed', 'Avg. first response', 'CSAT'].map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, ...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 5, className: 'empty', text: 'No conversations in this range.' }))]))));
  fill('report-csat',
    barChart((csat.distribution || []).map((d) => ({ label: `${d.rating} ★`, value: d.count })),
      { label: `Ratings 1 to 5: ${csat.count} ratings, average ${csat.average === null ? 'none' : csat.average.toFixed(2)}` }));
}

/** Shows the page (builds it once per sign-in) and loads the reports. */
export async function show(view) {
  if (root !== view || !view.querySelector('#report-filters')) {
    root = view;
    build();
  }
  fillTeams();
  await load();
}

/** The team filter's choices: the teams as the console knows them now (kept chosen if still there). */
function fillTeams() {
  const pick = root.querySelector('#report-team');
  const was = pick.value;
  pick.replaceChildren(el('option', { value: '', text: 'All teams' }),
    ...(state.teams || []).map((t) => el('option', { value: t.id, text: t.name })));
  if ((state.teams || []).some((t) => t.id === was)) pick.value = was;
}
