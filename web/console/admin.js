// The admin area (#/admin/<page>), loaded on demand by app.js with import()
// for admins only: a navigation of the admin pages and the page itself,
// each page a module of its own, itself loaded on demand. A page module
// exports show(container) and builds its DOM into that container.

import { errorText } from './api.js';
import { el } from './ui.js';

/** The admin pages, in the order of the navigation. */
export const PAGES = [
  { page: 'agents', title: 'Agents', load: () => import('./admin-agents.js') },
  { page: 'teams', title: 'Teams', load: () => import('./admin-teams.js') },
  { page: 'canned', title: 'Canned responses', load: () => import('./admin-canned.js') },
  { page: 'labels', title: 'Labels', load: () => import('./admin-labels.js') },
  { page: 'bot', title: 'Bot and hours', load: () => import('./admin-bot.js') },
  { page: 'routing', title: 'Routing and lifecycle', load: () => import('./admin-routing.js') },
  { page: 'audit', title: 'Audit log', load: () => import('./admin-audit.js') },
  { page: 'flagged', title: 'Flagged messages', load: () => import('./admin-flagged.js') },
];

let root = null; // the admin section
let shown = null; // the page name shown

function build(section) {
  root = section;
  const nav = el('nav', { className: 'admin-nav', 'aria-label': 'Admin pages' },
    el('ul', {}, ...PAGES.map((p) => el('li', {},
      el('a', { href: `#/admin/${p.page}`, text: p.title, dataset: { page: p.page } })))));
  root.replaceChildren(el('div', { className: 'admin-layout' }, nav, el('div', { id: 'admin-page', className: 'admin-page' })));
  shown = null;
}

/** Shows admin page `page` (unknown names show the agents page) in the section. */
export async function show(section, page) {
  if (root !== section || !section.firstChild) build(section);
  const p = PAGES.find((x) => x.page === page) || PAGES[0];
  for (const a of root.querySelectorAll('.admin-nav a')) {
    if (a.dataset.page === p.page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const container = root.querySelector('#admin-page');
  if (shown !== p.page) container.replaceChildren();
  shown = p.page;
  try {
    const mod = await p.load();
    if (shown !== p.page) return; // another page was asked for meanwhile
    await mod.show(container);
  } catch (err) {
    container.replaceChildren(el('h2', { text: p.title }),
      el('p', { className: 'error', role: 'alert', text: 'The page could not be loaded: ' + errorText(err) }));
  }
}
