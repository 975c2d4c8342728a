// Message search (GET /search/messages). The server's snippet is HTML-escaped
// text with <mark> around the hits: it is split on the marks and each piece
// un-escaped into a text node, never parsed as HTML.

import { formatTime } from '../parley-client.js';
import { api, errorText } from './api.js';
import { sessions, subscribe, shortId, agentName } from './store.js';
import { $, el } from './ui.js';
import { openSession } from './conversation.js';
import { go } from './router.js';

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Undoes the server's HTML escaping of a snippet piece, as plain text. */
function unescapeHtml(text) {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (all, ent) => {
    if (ent[0] === '#') {
      const code = ent[1] === 'x' || ent[1] === 'X' ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return Object.prototype.hasOwnProperty.call(ENTITIES, ent) ? ENTITIES[ent] : all;
  });
}

/** The snippet as DOM: text nodes, and <mark> elements for the hits. Never parsed as HTML. */
function snippetNode(snippet) {
  const p = el('p', { className: 'sr-snippet' });
  let inMark = false;
  for (const part of String(snippet || '').split(/(<mark>|<\/mark>)/)) {
    if (part === '<mark>') { inMark = true; continue; }
    if (part === '</mark>') { inMark = false; continue; }
    if (!part) continue;
    const text = unescapeHtml(part);
    p.append(inMark ? el('mark', { text }) : document.createTextNode(text));
  }
  return p;
}

let searchSeq = 0;
async function onSearch(e) {
  e.preventDefault();
  const q = $('search-input').value.trim();
  if (!q) { clearSearch(); return; }
  const mine = ++searchSeq;
  $('search-panel').hidden = false;
  $('search-status').textContent = 'Searching…';
  $('search-results').replaceChildren();
  try {
    const res = await api('GET', '/api/v1/search/messages?' + new URLSearchParams({ q, limit: '20' }));
    if (mine !== searchSeq) return;
    const results = (res && res.results) || [];
    $('search-status').textContent = results.length
      ? `${results.length}${res.next_cursor ? '+' : ''} message${results.length === 1 ? '' : 's'} found.`
      : 'No messages found.';
    $('search-results').replaceChildren(...results.map((r) => {
      const s = sessions.get(r.session_id);
      const who = r.sender && r.sender.type === 'customer' ? 'Customer' : r.sender && r.sender.type === 'agent' ? agentName(r.sender.id) : 'Bot';
      return el('li', {}, el('button', {
        type: 'button', className: 'search-hit', dataset: { session: r.session_id, seq: String(r.seq) },
        onclick: () => { go('#/conversations'); openSession(r.session_id); },
      },
      el('span', { className: 'sr-head' },
        el('span', { className: 'sr-topic', text: s ? s.topic || '(no topic)' : 'Conversation ' + shortId(r.session_id) }),
        el('span', { className: 'sr-meta', text: ` · ${who} · ${formatTime(r.created_at)}` })),
      snippetNode(r.snippet)));
    }));
  } catch (err) {
    if (mine === searchSeq) $('search-status').textContent = 'Search failed: ' + errorText(err);
  }
}

function clearSearch() {
  searchSeq++;
  $('search-input').value = '';
  $('search-results').replaceChildren();
  $('search-panel').hidden = true;
  $('search-input').focus();
}

export function wireSearch() {
  $('search-form').addEventListener('submit', onSearch);
  $('search-clear').addEventListener('click', clearSearch);
  subscribe('signed-out', () => {
    $('search-results').replaceChildren();
    $('search-panel').hidden = true;
  });
}
