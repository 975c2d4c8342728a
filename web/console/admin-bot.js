// Admin: the bot's texts and the business hours (#/admin/bot). The bot.*
// and desk.company_name settings drawn from the settings schema, a
// business-hours editor (time zone, one opening range per day; a day's
// further ranges, set over the API, are kept), and a live preview of what
// a new customer sees in the widget: the greeting with {company} and
// {handoff_keyword} filled in as the server fills them (parley_bot_fill).
// Saves only what changed with one PATCH /api/v1/settings.

import { showError } from './api.js';
import { el, toast } from './ui.js';
import { clearErrors, field, fieldError, formError, pageHead } from './admin-form.js';
import { loadSettings, saveSettings, settingField } from './admin-settings.js';

const KEYS = [
  ['bot.enabled', 'The bot greets and answers new chats'],
  ['desk.company_name', 'Company name'],
  ['bot.greeting', 'Greeting'],
  ['bot.handoff_keyword', 'Handoff keyword'],
  ['bot.away_message', 'Away message'],
  ['bot.no_answer_message', 'No-answer message'],
  ['bot.handoff_message', 'Handoff message'],
  ['bot.min_confidence', 'Confidence needed to answer (%)'],
  ['bot.max_failed_attempts', 'Unanswered questions before handoff'],
];
const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'],
  ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];
const HOURS = 'bot.business_hours';

let root = null;
let current = null; // {settings, schema}

const node = (sel) => root.querySelector(sel);

/** The server's filling of {company} and {handoff_keyword} (core/chat_bot.c parley_bot_fill). */
export function fillBotText(text, company, keyword) {
  return text.replace(/\{company\}( ?)|\{handoff_keyword\}/g, (m, space) =>
    (m.startsWith('{company}') ? (company ? company + space : '') : keyword));
}

function hoursEditor(value) {
  const always = !value || !value.days;
  const alwaysBox = el('input', { type: 'checkbox', id: 'bh-always', dataset: { key: HOURS }, 'aria-describedby': 'bh-always-error' });
  alwaysBox.checked = always;
  const tz = el('input', { autocomplete: 'off', maxLength: 64, placeholder: 'Europe/Madrid' });
  tz.value = (value && value.timezone) || '';
  const rows = DAYS.map(([d, name]) => {
    const ranges = (value && value.days && value.days[d]) || [];
    const open = el('input', { type: 'checkbox', id: `bh-${d}-open` });
    open.checked = ranges.length > 0;
    const from = el('input', { type: 'time', id: `bh-${d}-from`, value: ranges[0] ? ranges[0][0] : '09:00' });
    const to = el('input', { type: 'time', id: `bh-${d}-to`, value: ranges[0] ? ranges[0][1] : '18:00' });
    return el('tr', { dataset: { day: d } },
      el('th', { scope: 'row', text: name }),
      el('td', {}, open, el('label', { for: open.id, className: 'sr-only', text: `${name} open` })),
      el('td', {}, el('label', { for: from.id, className: 'sr-only', text: `${name} from` }), from),
      el('td', {}, el('label', { for: to.id, className: 'sr-only', text: `${name} to` }), to),
      el('td', { className: 'muted small', text: ranges.length > 1 ? `+ ${ranges.length - 1} more range(s) kept` : '' }));
  });
  const table = el('table', { id: 'bh-days', className: 'tickets hours-table', dataset: { key: HOURS + ': days' }, 'aria-describedby': 'bh-days-error' },
    el('caption', { className: 'sr-only', text: 'Opening hours per day' }),
    el('thead', {}, el('tr', {}, ...['Day', 'Open', 'From', 'To', ''].map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, ...rows));
  const sync = () => {
    for (const i of table.querySelectorAll('input')) i.disabled = alwaysBox.checked;
    tz.disabled = alwaysBox.checked;
  };
  alwaysBox.addEventListener('change', sync);
  const box = el('fieldset', { className: 'hours' },
    el('legend', { text: 'Business hours' }),
    el('div', { className: 'field field-check' },
      el('label', { for: 'bh-always' }, alwaysBox, ' Open around the clock'),
      el('p', { id: 'bh-always-error', className: 'field-error', role: 'alert', hidden: true })),
    field('bh-timezone', 'Time zone', tz, { key: HOURS + ': timezone', hint: 'An IANA name such as Europe/Madrid, UTC, or an offset such as +02:00.' }),
    table,
    el('p', { id: 'bh-days-error', className: 'field-error', role: 'alert', hidden: true }),
    el('p', { className: 'muted small', text: 'Outside these hours, when no agent is online, the bot says the away message.' }));
  sync();
  return box;
}

/** The business-hours value the editor holds; undefined (error shown) when a range is wrong. */
function readHours(form) {
  if (node('#bh-always').checked) return {};
  const was = current.settings[HOURS] || {};
  const out = {};
  const tz = node('#bh-timezone').value.trim();
  if (tz) out.timezone = tz;
  out.days = {};
  for (const [d, name] of DAYS) {
    if (!node(`#bh-${d}-open`).checked) continue;
    const from = node(`#bh-${d}-from`).value;
    const to = node(`#bh-${d}-to`).value;
    if (!from || !to || to <= from) {
      fieldError(form, HOURS + ': days', `${name}: the closing time must be after the opening time.`);
      return undefined;
    }
    const rest = ((was.days && was.days[d]) || []).slice(1);
    out.days[d] = [[from, to], ...rest];
  }
  return out;
}

function preview() {
  const p = el('div', { className: 'widget-preview' },
    el('div', { className: 'wp-header' }, el('span', { className: 'wp-title', text: 'Chat with us' }),
      el('span', { className: 'wp-subtitle', text: 'We usually reply in a few minutes' })),
    el('div', { className: 'wp-body' },
      el('p', { id: 'wp-greeting', className: 'wp-msg' }),
      el('p', { id: 'wp-off', className: 'muted small', text: 'The bot is off: new customers get no greeting.' })));
  return el('figure', { className: 'admin-card wp-figure' },
    el('figcaption', { text: 'What a new customer sees in the widget' }), p);
}

function updatePreview() {
  const on = node('#set-bot-enabled').checked;
  const text = fillBotText(node('#set-bot-greeting').value, node('#set-desk-company-name').value, node('#set-bot-handoff-keyword').value);
  const g = node('#wp-greeting');
  g.textContent = text;
  g.hidden = !on || !text;
  node('#wp-off').hidden = on;
}

/** Shows the page in the container, drawn from the settings as they are now. */
export async function show(container) {
  root = container;
  const errBox = el('p', { className: 'error', role: 'alert', hidden: true });
  root.replaceChildren(...pageHead('Bot and business hours', 'What the desk\u2019s bot says, and when agents are in.'), errBox);
  try {
    current = await loadSettings();
  } catch (err) {
    showError(errBox, err);
    return;
  }
  const keys = KEYS.filter(([k]) => current.schema[k]);
  const form = el('form', { id: 'bot-form', className: 'admin-card', noValidate: true },
    el('h3', { text: 'Bot texts' }),
    el('p', { className: 'muted small', text: 'In every text {company} is the company name and {handoff_keyword} the handoff keyword.' }),
    ...keys.map(([k, label]) => settingField(k, current.schema[k], current.settings[k], label)),
    current.schema[HOURS] ? hoursEditor(current.settings[HOURS]) : null,
    formError('bot-form-error'),
    el('button', { className: 'btn btn-primary', type: 'submit', text: 'Save bot and hours' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const extra = {};
    if (current.schema[HOURS]) {
      const hours = readHours(form);
      if (hours === undefined) return;
      extra[HOURS] = hours;
    }
    const saved = await saveSettings(form, current, keys.map(([k]) => k), extra);
    if (saved === null) toast('Nothing changed.');
    else if (saved) toast('Bot and hours saved.');
  });
  form.addEventListener('input', updatePreview);
  form.addEventListener('change', updatePreview);
  root.append(el('div', { className: 'settings-split' }, form, preview()));
  updatePreview();
}
