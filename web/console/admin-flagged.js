// Admin: flagged messages (#/admin/flagged). The messages the filters
// refused (spam, profanity, rejected) and kept for review, newest first,
// 50 a page: each with its text (as text), sender, conversation, reason
// and the label given so far. "Confirm spam" and "Not spam" label it
// (POST /api/v1/messages/{id}/spam), which teaches the spam filter. The
// API does not deliver a refused message afterwards: "Not spam" teaches,
// it does not release (the customer is told at send time and may resend).

import { formatTime } from '../parley-client.js';
import { api, showError } from './api.js';
import { el, toast } from './ui.js';
import { pageHead } from './admin-form.js';

let root = null;
let items = [];
let cursor = null;

const node = (sel) => root.querySelector(sel);
const REVIEWED = { spam: 'Spam', ham: 'Not spam' };

function build() {
  root.replaceChildren(...pageHead('Flagged messages', 'Messages the filters refused, kept for review. Your label teaches the spam filter.'),
    el('p', { id: 'flagged-error', className: 'error', role: 'alert', hidden: true }),
    el('table', { className: 'tickets flagged-table' },
      el('thead', {}, el('tr', {}, ...['When', 'Message', 'Sender', 'Reason', 'Reviewed', 'Actions'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', { id: 'flagged-rows' })),
    el('p', { id: 'flagged-empty', className: 'empty', text: 'Nothing is waiting for review.', hidden: true }),
    el('button', { id: 'flagged-more', className: 'btn btn-ghost btn-small', type: 'button', text: 'Load older', hidden: true, onclick: () => load(true) }));
}

function row(m) {
  const label = (isSpam) => el('button', {
    type: 'button', className: `btn btn-small ${isSpam ? 'btn-danger' : 'btn-ghost'}`,
    text: isSpam ? 'Confirm spam' : 'Not spam', 'aria-label': `${isSpam ? 'Confirm spam' : 'Not spam'}: ${m.content.slice(0, 60)}`,
    disabled: m.reviewed_as === (isSpam ? 'spam' : 'ham'), onclick: () => review(m, isSpam),
  });
  return el('tr', { dataset: { id: m.id } },
    el('td', {}, el('time', { dateTime: m.created_at, text: formatTime(m.created_at) })),
    el('td', { className: 'flagged-text', text: m.content }),
    el('td', { text: `${m.sender.type} ${m.sender.id}` }),
    el('td', {}, el('code', { text: m.reason })),
    el('td', { className: 'flagged-reviewed', text: REVIEWED[m.reviewed_as] || 'Not yet' }),
    el('td', {}, el('span', { className: 'row-actions' }, label(true), label(false))));
}

function render() {
  node('#flagged-rows').replaceChildren(...items.map(row));
  node('#flagged-empty').hidden = items.length > 0;
  node('#flagged-more').hidden = !cursor;
}

async function load(more) {
  node('#flagged-error').hidden = true;
  const params = new URLSearchParams({ limit: '50' });
  if (more && cursor) params.set('cursor', cursor);
  try {
    const res = (await api('GET', '/api/v1/flagged?' + params)) || {};
    items = (more ? items : []).concat(res.messages || []);
    cursor = res.next_cursor || null;
  } catch (err) {
    showError(node('#flagged-error'), err);
  }
  render();
}

async function review(m, isSpam) {
  node('#flagged-error').hidden = true;
  try {
    await api('POST', `/api/v1/messages/${encodeURIComponent(m.id)}/spam`, { is_spam: isSpam });
    items = items.map((x) => (x.id === m.id ? { ...x, reviewed_as: isSpam ? 'spam' : 'ham' } : x));
    render();
    toast(isSpam ? 'Marked as spam: the filter learnt it.' : 'Marked as not spam: the filter learnt it.');
  } catch (err) {
    showError(node('#flagged-error'), err);
  }
}

/** Shows the page in the container (built on first use) and loads the newest flagged messages. */
export function show(container) {
  if (root !== container || !container.firstChild) { root = container; build(); }
  return load(false);
}
