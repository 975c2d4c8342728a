// Canned responses in the reply box: "/" + shortcode opens a listbox
// (GET /canned-responses?q=); arrows move, Enter/Tab insert, Escape closes.

import { api } from './api.js';
import { subscribe } from './store.js';
import { $, el } from './ui.js';

let canned = { open: false, items: [], active: -1, start: -1, end: -1, reqSeq: 0 };
let cannedTimer = null;

/** The "/code" being typed right before the caret, or null. */
function slashToken() {
  const input = $('reply-input');
  const pos = input.selectionStart;
  if (pos !== input.selectionEnd) return null;
  const before = input.value.slice(0, pos);
  const m = /(^|\s)\/([a-z0-9_-]{0,32})$/.exec(before);
  if (!m) return null;
  return { code: m[2], start: pos - m[2].length - 1, end: pos };
}

/** After each keystroke in the reply box: look the shortcode up (debounced) or close. */
export function updateCanned() {
  const tok = slashToken();
  if (!tok) { closeCanned(); return; }
  clearTimeout(cannedTimer);
  cannedTimer = setTimeout(() => fetchCanned(tok), 120);
}

async function fetchCanned(tok) {
  const mine = ++canned.reqSeq;
  try {
    const params = new URLSearchParams({ limit: '10' });
    if (tok.code) params.set('q', tok.code);
    const res = await api('GET', '/api/v1/canned-responses?' + params);
    if (mine !== canned.reqSeq) return;
    const now = slashToken();
    if (!now || now.code !== tok.code) return;
    const items = ((res && res.canned_responses) || []).slice()
      .sort((a, b) => (a.owner ? 0 : 1) - (b.owner ? 0 : 1) || a.shortcode.localeCompare(b.shortcode));
    canned = { ...canned, items, start: tok.start, end: tok.end, active: items.length ? 0 : -1 };
    renderCanned();
  } catch (e) { closeCanned(); }
}

function renderCanned() {
  const list = $('canned-list');
  const input = $('reply-input');
  if (!canned.items.length) { closeCanned(); return; }
  canned.open = true;
  list.replaceChildren(...canned.items.map((c, i) => {
    const li = el('li', {
      id: 'canned-opt-' + i, role: 'option', className: 'canned-opt', 'aria-selected': String(i === canned.active),
      dataset: { shortcode: c.shortcode },
    },
    el('span', { className: 'canned-code', text: '/' + c.shortcode }),
    el('span', { className: 'canned-title', text: c.title + (c.owner ? ' (personal)' : '') }),
    el('span', { className: 'canned-preview', text: c.content }));
    li.addEventListener('mousedown', (e) => { e.preventDefault(); insertCanned(i); });
    return li;
  }));
  list.hidden = false;
  input.setAttribute('aria-expanded', 'true');
  if (canned.active >= 0) input.setAttribute('aria-activedescendant', 'canned-opt-' + canned.active);
}

export function closeCanned() {
  clearTimeout(cannedTimer);
  canned = { open: false, items: [], active: -1, start: -1, end: -1, reqSeq: canned.reqSeq + 1 };
  const list = $('canned-list');
  if (!list) return;
  list.hidden = true;
  list.replaceChildren();
  $('reply-input').setAttribute('aria-expanded', 'false');
  $('reply-input').removeAttribute('aria-activedescendant');
}

function insertCanned(i) {
  const c = canned.items[i];
  if (!c) return;
  const input = $('reply-input');
  const { start, end } = canned;
  input.value = input.value.slice(0, start) + c.content + input.value.slice(end);
  const caret = start + c.content.length;
  closeCanned();
  input.focus();
  input.setSelectionRange(caret, caret);
}

/** Keyboard in the reply box while suggestions are open; true when handled. */
export function onCannedKey(e) {
  if (!canned.open || !canned.items.length) return false;
  const n = canned.items.length;
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    canned.active = (canned.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
    renderCanned();
    return true;
  }
  if ((e.key === 'Enter' && !e.shiftKey && !e.isComposing) || e.key === 'Tab') {
    e.preventDefault();
    insertCanned(Math.max(0, canned.active));
    return true;
  }
  if (e.key === 'Escape') {
    e.preventDefault();
    closeCanned();
    return true;
  }
  return false;
}

export function wireCanned() {
  subscribe('conversation-opened', closeCanned);
  subscribe('signed-out', closeCanned);
}
