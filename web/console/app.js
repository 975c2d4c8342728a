// The console's shell: sign-in and sign-out, the sections (tabs, one per
// route of the hash router) and start-up. Views wire themselves here; they
// talk to each other through store.js topics, not through this file.

import { ApiError, apiAs, errorText, showError } from './api.js';
import { state, emit, subscribe, loadAuth, saveAuth, resetState, isAdmin } from './store.js';
import { $, el } from './ui.js';
import * as socket from './socket.js';
import * as router from './router.js';
import { wireConversation } from './conversation.js';
import { wireCanned } from './canned.js';
import { wireSidePanel, loadLabelDefs } from './sidepanel.js';
import { wireInbox, loadSessions } from './inbox.js';
import { wireQueue, loadQueue } from './queue.js';
import { wireTeam, reloadAgents, renderAgents, loadTeams } from './team.js';
import { wireSearch } from './search.js';
import { wireTickets, showTickets } from './tickets.js';
import { wireAccount, showAccount } from './account.js';
import { showContactList, showContact, resetContacts } from './contacts.js';
import { wireBell } from './bell.js';

// ------------------------------------------------------------ sections ---

// Each section is a tab in the bar and a route: #/<route>.
const SECTIONS = [
  { route: 'conversations', tab: 'tab-sessions', view: 'sessions-view' },
  { route: 'tickets', tab: 'tab-tickets', view: 'tickets-view', onShow: showTickets },
  { route: 'contacts', tab: 'tab-contacts', view: 'contacts-view', onShow: showContacts },
  { route: 'account', tab: 'tab-account', view: 'account-view', onShow: showAccount },
  { route: 'admin', home: 'admin/agents', tab: 'tab-admin', view: 'admin-view' },
  { route: 'reports', tab: 'tab-reports', view: 'reports-view', onShow: showReports },
];

// #/contacts and #/contacts/{id} share the Contacts tab.
function showContacts(params) {
  const view = $('contacts-view');
  if (params && params.id) showContact(view, params.id);
  else showContactList(view);
}

// Reports are loaded on demand, for admins only (the API says 403 to others).
async function showReports() {
  const view = $('reports-view');
  if (!isAdmin()) {
    view.replaceChildren(el('h2', { text: 'Reports' }), el('p', { className: 'empty', text: 'Only admins see reports.' }));
    return;
  }
  try {
    const page = await import('./reports.js');
    await page.show(view);
  } catch (err) {
    view.replaceChildren(el('h2', { text: 'Reports' }), el('p', { className: 'error', role: 'alert', text: 'The page could not be loaded: ' + errorText(err) }));
  }
}

// The admin area (admin.js and each of its pages) is loaded on demand, and
// only for admins: an agent who types the address gets a sentence, not the
// page, and fetches none of its modules (the API would say 403 anyway).
async function showAdmin(params) {
  const view = $('admin-view');
  if (!isAdmin()) {
    view.replaceChildren(el('h2', { text: 'Admin' }), el('p', { className: 'empty', text: 'Only admins see the admin area.' }));
    return;
  }
  try {
    const admin = await import('./admin.js');
    await admin.show(view, params && params.page);
  } catch (err) {
    view.replaceChildren(el('h2', { text: 'Admin' }), el('p', { className: 'error', role: 'alert', text: 'The page could not be loaded: ' + errorText(err) }));
  }
}

function showSection(route, params) {
  for (const s of SECTIONS) {
    const on = s.route === route;
    $(s.tab).setAttribute('aria-selected', String(on));
    $(s.tab).tabIndex = on ? 0 : -1;
    $(s.view).hidden = !on;
  }
  const s = SECTIONS.find((x) => x.route === route);
  if (s && s.onShow) s.onShow(params);
}

/** The hash a section's tab goes to. */
const homeOf = (s) => '#/' + (s.home || s.route);

function visibleSections() {
  return SECTIONS.filter((s) => !$(s.tab).hidden);
}

function onTabKey(e) {
  const keys = ['ArrowRight', 'ArrowLeft', 'Home', 'End'];
  if (!keys.includes(e.key)) return;
  e.preventDefault();
  const list = visibleSections();
  const i = list.findIndex((s) => s.tab === e.currentTarget.id);
  const n = list.length;
  const next = e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : (i + (e.key === 'ArrowRight' ? 1 : n - 1)) % n;
  router.go(homeOf(list[next]));
  $(list[next].tab).focus();
}

function wireSections() {
  for (const s of SECTIONS) {
    router.route('/' + s.route, () => (s.home ? router.go(homeOf(s), { replace: true }) : showSection(s.route)));
    $(s.tab).addEventListener('click', () => router.go(homeOf(s)));
    $(s.tab).addEventListener('keydown', onTabKey);
  }
  router.route('/contacts/:id', (params) => showSection('contacts', params));
  router.route('/admin/:page', (params) => { showSection('admin'); showAdmin(params); });
  router.setFallback('#/conversations');
}

// ------------------------------------------------------------- sign-in ---

function showLogin(notice) {
  $('app').hidden = true;
  $('login-view').hidden = false;
  const n = $('login-notice');
  n.hidden = !notice;
  n.textContent = notice || '';
  $('login-email').focus();
}

async function onLogin(e) {
  e.preventDefault();
  const errBox = $('login-error');
  errBox.hidden = true;
  const email = $('login-email').value.trim();
  const password = $('login-password').value;
  if (!email || !password) {
    showError(errBox, 'Enter your email and password.');
    return;
  }
  const btn = $('login-submit');
  btn.disabled = true;
  btn.textContent = 'Signing in…';
  try {
    const res = await apiAs(null, 'POST', '/api/v1/auth/login', { email, password });
    state.auth = { token: res.token, agent: res.agent };
    saveAuth();
    $('login-password').value = '';
    await startApp();
  } catch (err) {
    showError(errBox, err instanceof ApiError && err.status === 401 ? 'Wrong email or password.' : err);
  } finally {
    btn.disabled = false;
    btn.textContent = 'Sign in';
  }
}

async function onLogout() {
  const token = state.auth && state.auth.token;
  signedOut();
  if (token) {
    try { await apiAs(token, 'POST', '/api/v1/auth/logout'); } catch (e) { /* gone anyway */ }
  }
}

function signedOut(notice) {
  resetState();
  socket.stop();
  emit('signed-out');
  showLogin(notice);
}

async function startApp() {
  $('login-view').hidden = true;
  $('app').hidden = false;
  $('me').textContent = state.auth.agent ? state.auth.agent.name : '';
  $('tab-admin').hidden = !isAdmin();
  $('tab-reports').hidden = !isAdmin();
  router.start();
  socket.start();
  if (!(await reloadAgents())) renderAgents(); // names fall back to ids
  loadTeams();
  loadLabelDefs();
  loadQueue();
  await loadSessions(false);
}

// --------------------------------------------------------------- start ---

function wire() {
  $('login-form').addEventListener('submit', onLogin);
  $('logout').addEventListener('click', onLogout);
  wireSections();
  wireConversation();
  wireCanned();
  wireSidePanel();
  wireInbox();
  wireQueue();
  wireTeam();
  wireSearch();
  wireTickets();
  wireAccount();
  wireBell();
  subscribe('signed-out', () => {
    $('admin-view').replaceChildren();
    $('contacts-view').replaceChildren();
    $('reports-view').replaceChildren();
    resetContacts();
  });
  subscribe('expired', (notice) => signedOut(notice));
  socket.onOpen((again) => { if (again) loadSessions(false); }); // catch up on what changed while away
}

export async function boot() {
  wire();
  state.auth = loadAuth();
  if (!state.auth) { showLogin(); return; }
  try {
    const me = await apiAs(state.auth.token, 'GET', '/api/v1/me');
    if (me && me.type && me.type !== 'agent') throw new ApiError(403, 'forbidden', 'Not an agent');
    state.auth.agent = { ...state.auth.agent, ...me };
    saveAuth();
    await startApp();
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      state.auth = null;
      saveAuth();
      showLogin('Please sign in.');
    } else {
      // Server unreachable: keep the token and show the app; it will reconnect.
      await startApp();
    }
  }
}
