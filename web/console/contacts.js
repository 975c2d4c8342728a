// Contacts: the customers' names the conversation lists and the
// conversation view show (a cache filled in batches with ?ids=), the
// contacts list with search (#/contacts) and a contact's page
// (#/contacts/{id}): what the customer told us, custom attributes staff
// edit, and every earlier conversation and ticket. Everything from people
// goes in as text (el() sets textContent), never as HTML.

import { formatTime } from '../parley-client.js';
import { api, errorText, showError } from './api.js';
import { contacts, emit, shortId, upsertSession, STATUS_LABEL } from './store.js';
import { el, statusBadge, toast } from './ui.js';
import * as router from './router.js';

// ---------------------------------------------------------- the cache ---

const asked = new Set(); // ids fetched or being fetched (unknown ones stay unknown)
let batch = new Set();
let batchTimer = null;

/** The customer's name, or "Customer cus_…abcdef" until it is known. */
export function customerName(id) {
  const c = contacts.get(id);
  return c && c.name ? c.name : 'Customer ' + shortId(id);
}

/** Fetches the contacts of ids not asked for yet (100 a request); emits 'contacts'. */
export function ensureContacts(ids) {
  for (const id of ids) {
    if (id && !asked.has(id)) {
      asked.add(id);
      batch.add(id);
    }
  }
  if (batch.size && !batchTimer) batchTimer = setTimeout(flush, 0);
}

async function flush() {
  batchTimer = null;
  const ids = Array.from(batch);
  batch = new Set();
  for (let i = 0; i < ids.length; i += 100) {
    const part = ids.slice(i, i + 100);
    try {
      const res = await api('GET', '/api/v1/contacts?ids=' + encodeURIComponent(part.join(',')));
      for (const c of (res && res.contacts) || []) contacts.set(c.id, c);
    } catch (err) {
      for (const id of part) asked.delete(id); // try again next time
    }
  }
  emit('contacts');
}

/** Forgets what was asked (sign-out). */
export function resetContacts() {
  asked.clear();
  batch = new Set();
}

// ------------------------------------------------------ shared pieces ---

function table(id, heads, caption) {
  return el('table', { className: 'tickets contacts-table' },
    caption ? el('caption', { className: 'sr-only', text: caption }) : null,
    el('thead', {}, el('tr', {}, ...heads.map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', { id }));
}

function contactLink(c) {
  return el('a', { href: '#/contacts/' + encodeURIComponent(c.id), text: c.name || shortId(c.id) });
}

// ------------------------------------------------------------- the list ---

let listRoot = null;
let cursor = null;

/** #/contacts: search by name or e-mail, newest first, 50 at a time. */
export async function showContactList(view) {
  listRoot = view;
  const form = el('form', { id: 'contact-search', className: 'contact-search', role: 'search' },
    el('label', { for: 'contact-q', text: 'Search by name or e-mail' }),
    el('input', { id: 'contact-q', type: 'search', maxLength: 200, autocomplete: 'off' }),
    el('button', { className: 'btn btn-primary btn-small', type: 'submit', text: 'Search' }));
  form.addEventListener('submit', (e) => { e.preventDefault(); loadList(false); });
  const more = el('button', { id: 'contacts-more', className: 'btn btn-ghost btn-small load-more', type: 'button', text: 'Load more', hidden: true });
  more.addEventListener('click', () => loadList(true));
  view.replaceChildren(
    el('div', { className: 'tickets-head' }, el('h2', { text: 'Contacts' })),
    form,
    el('p', { id: 'contacts-error', className: 'error', role: 'alert', hidden: true }),
    table('contact-rows', ['Name', 'Email', 'Language', 'Verified', 'Conversations', 'Last seen'], 'Contacts'),
    el('p', { id: 'contacts-empty', className: 'empty', text: 'No contacts.', hidden: true }),
    more);
  await loadList(false);
}

async function loadList(more) {
  const q = listRoot.querySelector('#contact-q').value.trim();
  const errBox = listRoot.querySelector('#contacts-error');
  errBox.hidden = true;
  const params = new URLSearchParams({ limit: '50' });
  if (q) params.set('q', q);
  if (more && cursor) params.set('cursor', cursor);
  try {
    const res = (await api('GET', '/api/v1/contacts?' + params)) || {};
    const rows = listRoot.querySelector('#contact-rows');
    if (!more) rows.replaceChildren();
    for (const c of res.contacts || []) {
      contacts.set(c.id, c);
      rows.append(el('tr', { dataset: { id: c.id } },
        el('td', {}, contactLink(c)),
        el('td', { text: c.email || '—' }),
        el('td', { text: c.language || '—' }),
        el('td', { text: c.verified ? 'Yes' : 'No' }),
        el('td', { text: String(c.sessions_count || 0) }),
        el('td', { text: c.last_seen_at ? formatTime(c.last_seen_at) : '—' })));
    }
    cursor = res.next_cursor || null;
    listRoot.querySelector('#contacts-more').hidden = !cursor;
    listRoot.querySelector('#contacts-empty').hidden = rows.children.length > 0;
  } catch (err) {
    showError(errBox, err);
  }
}

// ---------------------------------------------------------- one contact ---

/** #/contacts/{id}: the contact, its edit, its conversations and tickets. */
export async function showContact(view, id) {
  view.replaceChildren(el('h2', { text: 'Contact' }), el('p', { className: 'muted', text: 'Loading…' }));
  let c;
  try {
    c = await api('GET', '/api/v1/contacts/' + encodeURIComponent(id));
  } catch (err) {
    view.replaceChildren(el('h2', { text: 'Contact' }),
      el('p', { className: 'error', role: 'alert', text: errorText(err) }),
      el('p', {}, el('a', { href: '#/contacts', text: 'All contacts' })));
    return;
  }
  contacts.set(c.id, c);
  emit('contacts');
  view.replaceChildren(
    el('p', { className: 'crumbs' }, el('a', { href: '#/contacts', text: 'All contacts' })),
    el('h2', { id: 'contact-name', text: c.name }),
    details(c),
    editForm(view, c),
    el('h3', { text: 'Conversations' }),
    el('p', { id: 'contact-sessions-error', className: 'error', role: 'alert', hidden: true }),
    el('ul', { id: 'contact-sessions', className: 'contact-history' }),
    el('h3', { text: 'Tickets' }),
    el('p', { id: 'contact-tickets-error', className: 'error', role: 'alert', hidden: true }),
    table('contact-tickets', ['Subject', 'Status', 'Priority', 'Created'], 'Tickets of this contact'));
  await Promise.all([loadHistory(view, c.id), loadTickets(view, c.id)]);
}

function details(c) {
  const rows = [
    ['Email', c.email || '—'], ['Language', c.language || '—'],
    ['Verified', c.verified ? 'Yes (signed in on the site)' : 'No'],
    ['Site user id', c.identifier || '—'], ['First seen', formatTime(c.created_at)],
    ['Last conversation', c.last_seen_at ? formatTime(c.last_seen_at) : '—'],
    ['Conversations', String(c.sessions_count || 0)],
  ];
  for (const [k, v] of Object.entries(c.attributes || {})) rows.push([k, v]);
  return el('dl', { id: 'contact-details', className: 'contact-details' },
    ...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
}

function editForm(view, c) {
  const input = (id, label, value, type = 'text') => el('div', { className: 'field' },
    el('label', { for: id, text: label }),
    el('input', { id, type, value: value || '', maxLength: type === 'email' ? 254 : 200, autocomplete: 'off' }));
  const form = el('form', { id: 'contact-edit', className: 'admin-card', noValidate: true },
    el('h3', { text: 'Edit' }),
    el('div', { className: 'form-row' },
      input('contact-edit-name', 'Name', c.name),
      input('contact-edit-email', 'Email', c.email, 'email'),
      input('contact-edit-language', 'Language', c.language)),
    el('div', { className: 'form-row' },
      input('contact-attr-key', 'Attribute', ''),
      input('contact-attr-value', 'Value (empty removes it)', '')),
    el('p', { id: 'contact-edit-error', className: 'error', role: 'alert', hidden: true }),
    el('button', { className: 'btn btn-primary', type: 'submit', text: 'Save' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = (sel) => form.querySelector(sel).value.trim();
    const body = { name: v('#contact-edit-name'), email: v('#contact-edit-email') || null, language: v('#contact-edit-language') || null };
    const key = v('#contact-attr-key');
    if (key) body.attributes = { [key]: v('#contact-attr-value') || null };
    try {
      const saved = await api('PATCH', '/api/v1/contacts/' + encodeURIComponent(c.id), body);
      contacts.set(saved.id, saved);
      emit('contacts');
      toast('Contact saved.');
      await showContact(view, c.id);
    } catch (err) {
      showError(form.querySelector('#contact-edit-error'), err);
    }
  });
  return form;
}

async function loadHistory(view, id) {
  const ul = view.querySelector('#contact-sessions');
  try {
    const res = (await api('GET', `/api/v1/contacts/${encodeURIComponent(id)}/sessions?limit=200`)) || {};
    const items = (res.sessions || []).map((s) => {
      const open = el('a', { href: '#/conversations', text: s.topic || '(no topic)', dataset: { id: s.id } });
      open.addEventListener('click', async (e) => {
        e.preventDefault();
        upsertSession(s, false);
        router.go('#/conversations');
        const { openSession } = await import('./conversation.js');
        openSession(s.id);
      });
      return el('li', { className: 'contact-session' }, open, ' ', statusBadge(s.status),
        el('time', { className: 'muted', dateTime: s.created_at, text: ' ' + formatTime(s.created_at) }));
    });
    ul.replaceChildren(...(items.length ? items : [el('li', { className: 'empty', text: 'No conversations.' })]));
  } catch (err) {
    showError(view.querySelector('#contact-sessions-error'), err);
  }
}

async function loadTickets(view, id) {
  const body = view.querySelector('#contact-tickets');
  try {
    const res = (await api('GET', `/api/v1/contacts/${encodeURIComponent(id)}/tickets?limit=200`)) || {};
    const rows = (res.tickets || []).map((t) => el('tr', { dataset: { id: t.id } },
      el('td', { text: t.subject || t.issue_description || '(no subject)' }),
      el('td', { text: STATUS_LABEL[t.status] || t.status }),
      el('td', { text: t.priority || '' }),
      el('td', { text: formatTime(t.created_at) })));
    body.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 4, className: 'empty', text: 'No tickets.' }))]));
  } catch (err) {
    showError(view.querySelector('#contact-tickets-error'), err);
  }
}
