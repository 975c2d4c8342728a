// Admin: routing and session lifecycle (#/admin/routing). The settings of
// how waiting chats reach agents (mode, each agent's capacity, requeue,
// presence grace) and when idle chats are closed, drawn from the settings
// schema; each card saves only what changed (PATCH /api/v1/settings).

import { showError } from './api.js';
import { el, toast } from './ui.js';
import { formError, pageHead } from './admin-form.js';
import { loadSettings, saveSettings, settingField } from './admin-settings.js';

const CARDS = [
  {
    id: 'routing-form', title: 'Routing',
    keys: [['routing.mode', 'Routing mode'], ['routing.agent_capacity', 'Chats per agent (capacity)'],
      ['routing.requeue_after_seconds', 'Back to the queue after (seconds)'],
      ['presence.offline_grace_seconds', 'Shown offline after (seconds)']],
  },
  {
    id: 'lifecycle-form', title: 'Session lifecycle',
    keys: [['sessions.auto_close_idle_seconds', 'Close idle chats after (seconds)']],
  },
];

let root = null;
let current = null; // {settings, schema}

function card(c) {
  const form = el('form', { id: c.id, className: 'admin-card', noValidate: true },
    el('h3', { text: c.title }),
    ...c.keys.filter(([k]) => current.schema[k]).map(([k, label]) => settingField(k, current.schema[k], current.settings[k], label)),
    formError(c.id + '-error'),
    el('button', { className: 'btn btn-primary', type: 'submit', text: `Save ${c.title.toLowerCase()}` }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const saved = await saveSettings(form, current, c.keys.map(([k]) => k).filter((k) => current.schema[k]));
    if (saved === null) toast('Nothing changed.');
    else if (saved) toast(`${c.title} saved.`);
  });
  return form;
}

/** Shows the page in the container, drawn from the settings as they are now. */
export async function show(container) {
  root = container;
  const errBox = el('p', { className: 'error', role: 'alert', hidden: true });
  root.replaceChildren(...pageHead('Routing and lifecycle', 'How waiting chats reach agents, and when quiet chats end.'), errBox);
  try {
    current = await loadSettings();
  } catch (err) {
    showError(errBox, err);
    return;
  }
  root.append(...CARDS.map(card));
}
