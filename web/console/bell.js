// The bell: the signed-in agent's notifications (GET /api/v1/notifications
// and the notification.created frame), the unread count on the bell and in
// the tab's title, and, while the tab is hidden, a short sound and a browser
// Notification. The browser's permission is asked only when the agent
// clicks "Turn on desktop alerts" (a user gesture), never on load.
// Owns #bell, #bell-panel and the title's "(n) " prefix.

import { api, errorText } from './api.js';
import { state, subscribe } from './store.js';
import { $, el } from './ui.js';
import { openSession } from './conversation.js';
import * as router from './router.js';
import * as socket from './socket.js';

const baseTitle = document.title;
let items = []; // newest first, at most MAX
let unread = 0;
let audio = null; // an AudioContext, made on the first click anywhere
const MAX = 30;

function render() {
  const count = $('bell-count');
  count.textContent = unread > 99 ? '99+' : String(unread);
  count.hidden = unread === 0;
  $('bell').setAttribute('aria-label', unread === 0 ? 'Notifications' : `Notifications, ${unread} unread`);
  document.title = unread === 0 ? baseTitle : `(${unread}) ${baseTitle}`;
  const list = $('bell-list');
  list.replaceChildren(...items.map(item));
  $('bell-empty').hidden = items.length > 0;
  $('bell-read-all').disabled = unread === 0;
  renderAlertsButton();
}

function item(n) {
  const btn = el('button', { type: 'button', className: 'bell-item', dataset: { id: n.id, unread: n.read_at ? 'false' : 'true' } },
    el('span', { className: 'bell-item-title', text: n.title }),
    el('span', { className: 'bell-item-body', text: n.body }),
    el('time', { className: 'bell-item-time', dateTime: n.created_at, text: new Date(n.created_at).toLocaleString() }));
  btn.addEventListener('click', () => openItem(n));
  return el('li', {}, btn);
}

async function load() {
  try {
    const page = await api('GET', `/api/v1/notifications?limit=${MAX}`);
    items = page.notifications || [];
    unread = Number(page.unread_count) || 0;
    $('bell-error').hidden = true;
  } catch (err) {
    $('bell-error').textContent = 'Notifications could not be loaded: ' + errorText(err);
    $('bell-error').hidden = false;
  }
  render();
}

async function openItem(n) {
  if (!n.read_at) {
    try {
      await api('POST', `/api/v1/notifications/${encodeURIComponent(n.id)}/read`);
      n.read_at = new Date().toISOString();
      unread = Math.max(0, unread - 1);
    } catch (err) { /* shown unread still; the next load says */ }
  }
  closePanel();
  render();
  // a ticket's notification names its session too: the ticket is the point
  if (n.ticket_id) {
    router.go('#/tickets');
  } else if (n.session_id) {
    router.go('#/conversations');
    openSession(n.session_id);
  }
}

async function readAll() {
  try {
    await api('POST', '/api/v1/notifications/read-all');
    const now = new Date().toISOString();
    for (const n of items) if (!n.read_at) n.read_at = now;
    unread = 0;
  } catch (err) {
    $('bell-error').textContent = 'Could not mark them read: ' + errorText(err);
    $('bell-error').hidden = false;
  }
  render();
}

// ------------------------------------------------- while the tab is away ---

function notificationsSupported() {
  return typeof window.Notification === 'function';
}

function renderAlertsButton() {
  const btn = $('bell-alerts');
  const supported = notificationsSupported();
  const granted = supported && Notification.permission === 'granted';
  btn.hidden = !supported || Notification.permission === 'denied';
  btn.disabled = granted;
  btn.textContent = granted ? 'Desktop alerts are on' : 'Turn on desktop alerts';
}

async function askForAlerts() {
  if (!notificationsSupported()) return;
  try { await Notification.requestPermission(); } catch (e) { /* old callback form: ignored */ }
  renderAlertsButton();
}

function beep() {
  if (!audio) return; // no click yet: the browser would refuse to play
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.frequency.value = 880;
  gain.gain.setValueAtTime(0.08, audio.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
  osc.connect(gain).connect(audio.destination);
  osc.start();
  osc.stop(audio.currentTime + 0.25);
}

function alertAway(n) {
  if (!document.hidden) return;
  beep();
  if (!notificationsSupported() || Notification.permission !== 'granted') return;
  const shown = new Notification(n.title, { body: n.body, tag: n.id });
  shown.onclick = () => {
    window.focus();
    openItem(n);
    shown.close();
  };
}

function onCreated(frame) {
  const n = frame.notification;
  if (!n || items.some((x) => x.id === n.id)) return; // a retried delivery
  items = [n, ...items].slice(0, MAX);
  if (!n.read_at) unread += 1;
  render();
  alertAway(n);
}

// ---------------------------------------------------------------- panel ---

function closePanel() {
  $('bell-panel').hidden = true;
  $('bell').setAttribute('aria-expanded', 'false');
}

function togglePanel() {
  const open = $('bell-panel').hidden;
  $('bell-panel').hidden = !open;
  $('bell').setAttribute('aria-expanded', String(open));
  if (open) $('bell-read-all').focus();
}

export function wireBell() {
  $('bell').addEventListener('click', togglePanel);
  $('bell-read-all').addEventListener('click', readAll);
  $('bell-alerts').addEventListener('click', askForAlerts);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('bell-panel').hidden) { closePanel(); $('bell').focus(); }
  });
  document.addEventListener('click', () => {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!audio && Ctx) audio = new Ctx();
  }, { once: true, capture: true });
  socket.on('notification.created', onCreated);
  socket.onOpen(() => { if (state.auth) load(); }); // first sign-in and every reconnect
  subscribe('signed-out', () => {
    items = [];
    unread = 0;
    closePanel();
    render();
  });
}
