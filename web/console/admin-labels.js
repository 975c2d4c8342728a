// Admin: labels (#/admin/labels). The labels agents put on conversations:
// add one (name and colour, with a preview chip), change a colour
// (PATCH /api/v1/labels/{name}), delete one (it comes off every
// conversation). A name cannot change: conversations carry labels by name.
// Names go in as text only.

import { api, showError } from './api.js';
import { el, toast } from './ui.js';
import { loadLabelDefs } from './sidepanel.js';
import { field, formError, pageHead, submitting } from './admin-form.js';

let root = null;
let labels = []; // GET /api/v1/labels

const node = (sel) => root.querySelector(sel);

/** A chip in the label's colour (a CSS custom property: the CSP allows no style attribute). */
function chip(name, color) {
  const c = el('span', { className: 'label-chip', text: name });
  if (/^#[0-9a-fA-F]{6}$/.test(color || '')) c.style.setProperty('--label-color', color);
  return c;
}

function build() {
  const color = el('input', { type: 'color', value: '#2563eb' });
  const name = el('input', { maxLength: 48, autocomplete: 'off' });
  const preview = el('span', { id: 'new-label-preview', className: 'label-preview', 'aria-live': 'polite' });
  const update = () => preview.replaceChildren('Preview: ', chip(name.value.trim() || 'label', color.value));
  name.addEventListener('input', update);
  color.addEventListener('input', update);
  const create = el('form', { id: 'label-create', className: 'admin-card', noValidate: true },
    el('h3', { text: 'Add a label' }),
    el('div', { className: 'form-row' },
      field('new-label-name', 'Label name', name, { key: 'name', hint: '1 to 48 of a-z, 0-9, _ and -.' }),
      field('new-label-color', 'Colour', color, { key: 'color' })),
    preview,
    formError('label-create-error'),
    el('button', { className: 'btn btn-primary', type: 'submit', text: 'Add label' }));
  create.addEventListener('submit', onCreate);
  update();
  root.replaceChildren(...pageHead('Labels', 'Agents put these on conversations; the inbox shows them as chips.'),
    el('p', { id: 'labels-error', className: 'error', role: 'alert', hidden: true }),
    el('table', { className: 'tickets labels-table' },
      el('thead', {}, el('tr', {}, ...['Label', 'Colour', 'Actions'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', { id: 'label-rows' })),
    el('p', { id: 'labels-empty', className: 'empty', text: 'No labels yet.', hidden: true }),
    create);
}

function row(l) {
  const id = 'label-color-' + l.name;
  const color = el('input', { type: 'color', id, value: l.color });
  const save = el('form', { className: 'inline-form', noValidate: true },
    el('label', { for: id, className: 'sr-only', text: `Colour of ${l.name}` }), color,
    el('button', { className: 'btn btn-ghost btn-small', type: 'submit', text: 'Save colour', 'aria-label': `Save colour of ${l.name}` }));
  save.addEventListener('submit', (e) => { e.preventDefault(); onRecolor(l, color.value); });
  return el('tr', { dataset: { name: l.name } },
    el('td', {}, chip(l.name, l.color)),
    el('td', {}, save),
    el('td', {}, el('button', { className: 'btn btn-danger btn-small', type: 'button', text: 'Delete',
      'aria-label': `Delete label ${l.name}`, onclick: () => onDelete(l) })));
}

function render() {
  node('#label-rows').replaceChildren(...labels.map(row));
  node('#labels-empty').hidden = labels.length > 0;
}

async function load() {
  node('#labels-error').hidden = true;
  try {
    const res = await api('GET', '/api/v1/labels?limit=200');
    labels = (res && res.labels) || [];
  } catch (err) {
    showError(node('#labels-error'), err);
  }
  render();
}

async function onCreate(e) {
  e.preventDefault();
  const form = e.currentTarget;
  const body = { name: node('#new-label-name').value.trim(), color: node('#new-label-color').value };
  const made = await submitting(form, () => api('POST', '/api/v1/labels', body));
  if (!made) return;
  node('#new-label-name').value = '';
  labels = [made, ...labels];
  render();
  loadLabelDefs();
  toast(`Label ${made.name} added.`);
}

async function onRecolor(l, color) {
  node('#labels-error').hidden = true;
  try {
    const saved = await api('PATCH', `/api/v1/labels/${encodeURIComponent(l.name)}`, { color });
    labels = labels.map((x) => (x.name === saved.name ? saved : x));
    render();
    loadLabelDefs();
    toast(`Label ${saved.name} is now ${saved.color}.`);
  } catch (err) {
    showError(node('#labels-error'), err);
  }
}

async function onDelete(l) {
  node('#labels-error').hidden = true;
  try {
    await api('DELETE', `/api/v1/labels/${encodeURIComponent(l.name)}`);
    labels = labels.filter((x) => x.name !== l.name);
    render();
    loadLabelDefs();
    toast(`Label ${l.name} deleted.`);
  } catch (err) {
    showError(node('#labels-error'), err);
  }
}

/** Shows the page in the container (built on first use) and loads the labels. */
export function show(container) {
  if (root !== container || !container.firstChild) { root = container; build(); }
  return load();
}
