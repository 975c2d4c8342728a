// Admin: canned responses (#/admin/canned). The team-wide ones every agent
// may insert with "/shortcode" in the reply box, and the admin's own: add
// one (shortcode, title, text, scope), edit or delete each. The server's
// validation message is shown next to the field it names; the texts go in
// as text only (textContent and input values).

import { api, showError } from './api.js';
import { el, toast } from './ui.js';
import { field, formError, pageHead, submitting } from './admin-form.js';

let root = null;
let items = []; // GET /api/v1/canned-responses, every page
let cursor = null;

const node = (sel) => root.querySelector(sel);

const shortcodeHint = '1 to 32 of a-z, 0-9, _ and -; agents type /shortcode in the reply box.';

function build() {
  const create = el('form', { id: 'canned-create', className: 'admin-card', noValidate: true },
    el('h3', { text: 'Add a canned response' }),
    el('div', { className: 'form-row' },
      field('new-canned-shortcode', 'Shortcode', el('input', { maxLength: 32, autocomplete: 'off' }), { key: 'shortcode', hint: shortcodeHint }),
      field('new-canned-title', 'Title', el('input', { maxLength: 200, autocomplete: 'off' }), { key: 'title' }),
      field('new-canned-scope', 'Who may use it', el('select', {},
        el('option', { value: 'team', text: 'Every agent (team-wide)' }), el('option', { value: 'personal', text: 'Only me' })), { key: 'scope' })),
    field('new-canned-content', 'Text', el('textarea', { rows: 3, maxLength: 5000 }), { key: 'content' }),
    formError('canned-create-error'),
    el('button', { className: 'btn btn-primary', type: 'submit', text: 'Add canned response' }));
  create.addEventListener('submit', onCreate);
  root.replaceChildren(...pageHead('Canned responses', 'Ready answers agents insert with / and the shortcode.'),
    el('p', { id: 'canned-error', className: 'error', role: 'alert', hidden: true }),
    el('div', { id: 'canned-cards', className: 'card-list' }),
    el('p', { id: 'canned-empty', className: 'empty', text: 'No canned responses yet.', hidden: true }),
    el('button', { id: 'canned-more', className: 'btn btn-ghost btn-small', type: 'button', text: 'Load more', hidden: true, onclick: () => load(true) }),
    create);
}

/** A textarea holding text (a textarea's value is not an attribute). */
function textArea(text) {
  const t = el('textarea', { rows: 3, maxLength: 5000 });
  t.value = text;
  return t;
}

function card(c) {
  const idp = 'canned-' + c.id;
  const form = el('form', { className: 'canned-edit', noValidate: true },
    el('div', { className: 'form-row' },
      field(idp + '-shortcode', 'Shortcode', el('input', { maxLength: 32, value: c.shortcode, autocomplete: 'off' }), { key: 'shortcode' }),
      field(idp + '-title', 'Title', el('input', { maxLength: 200, value: c.title, autocomplete: 'off' }), { key: 'title' })),
    field(idp + '-content', 'Text', textArea(c.content), { key: 'content' }),
    formError(idp + '-error'),
    el('span', { className: 'row-actions' },
      el('button', { className: 'btn btn-primary btn-small', type: 'submit', text: 'Save', 'aria-label': `Save /${c.shortcode}` }),
      el('button', { className: 'btn btn-danger btn-small', type: 'button', text: 'Delete', 'aria-label': `Delete /${c.shortcode}`, onclick: () => onDelete(c) })));
  form.addEventListener('submit', (e) => { e.preventDefault(); onSave(c, form); });
  return el('section', { className: 'admin-card canned-card', dataset: { id: c.id }, 'aria-label': `Canned response /${c.shortcode}` },
    el('h3', {}, el('code', { text: '/' + c.shortcode }), ' ',
      el('span', { className: 'muted small', text: c.owner ? 'only you' : 'team-wide' })),
    form);
}

function render() {
  node('#canned-cards').replaceChildren(...items.map(card));
  node('#canned-empty').hidden = items.length > 0;
  node('#canned-more').hidden = !cursor;
}

async function load(more) {
  node('#canned-error').hidden = true;
  try {
    const params = new URLSearchParams({ limit: '100' });
    if (more && cursor) params.set('cursor', cursor);
    const res = (await api('GET', '/api/v1/canned-responses?' + params)) || {};
    items = (more ? items : []).concat(res.canned_responses || []);
    cursor = res.next_cursor || null;
  } catch (err) {
    showError(node('#canned-error'), err);
  }
  render();
}

async function onCreate(e) {
  e.preventDefault();
  const form = e.currentTarget;
  const body = {
    shortcode: node('#new-canned-shortcode').value.trim(),
    title: node('#new-canned-title').value.trim(),
    content: node('#new-canned-content').value,
    scope: node('#new-canned-scope').value,
  };
  const made = await submitting(form, () => api('POST', '/api/v1/canned-responses', body));
  if (!made) return;
  for (const id of ['#new-canned-shortcode', '#new-canned-title', '#new-canned-content']) node(id).value = '';
  items = [made, ...items];
  render();
  toast(`/${made.shortcode} added.`);
}

async function onSave(c, form) {
  const body = {
    shortcode: form.querySelector('[data-key="shortcode"]').value.trim(),
    title: form.querySelector('[data-key="title"]').value.trim(),
    content: form.querySelector('[data-key="content"]').value,
  };
  const saved = await submitting(form, () => api('PATCH', `/api/v1/canned-responses/${encodeURIComponent(c.id)}`, body));
  if (!saved) return;
  items = items.map((x) => (x.id === saved.id ? saved : x));
  render();
  toast(`/${saved.shortcode} saved.`);
}

async function onDelete(c) {
  node('#canned-error').hidden = true;
  try {
    await api('DELETE', `/api/v1/canned-responses/${encodeURIComponent(c.id)}`);
    items = items.filter((x) => x.id !== c.id);
    render();
    toast(`/${c.shortcode} deleted.`);
  } catch (err) {
    showError(node('#canned-error'), err);
  }
}

/** Shows the page in the container (built on first use) and loads the canned responses. */
export function show(container) {
  if (root !== container || !container.firstChild) { root = container; build(); }
  return load(false);
}
