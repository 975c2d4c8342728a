// Browser test of Parley's web pages against a real parleyd, in Debian's
// Chromium driven by playwright-core.
//
//   cd tests/web && npm ci && PARLEYD=/path/to/parleyd node --test test_pages.mjs
//
// Environment: PARLEYD (required: the server binary), CHROMIUM (default
// /usr/bin/chromium), PARLEY_WEB_SHOTS (directory for screenshots, default /tmp).
//
// Long (~1,100 lines) on purpose: one customer and one agent walk through
// the pages as a story, each step using the state the earlier ones made
// (sessions, tickets, uploads). The admin area's steps already live in
// test_admin.mjs; the contact and report pages would be the next to move.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, Watcher, apiCall, createAdmin as createAdminIn, spawnParleyd, stopChild } from './harness.mjs';

const PARLEYD = process.env.PARLEYD;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.PARLEY_WEB_SHOTS || '/tmp';
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const WEB_DIR = path.join(REPO, 'web');

const ADMIN = { email: 'alice@example.com', name: 'Alice Admin', password: 'correct horse battery staple' };
const CUSTOMER = { name: 'Carol Customer', email: 'carol@example.com' };
const TOPIC = 'Gears slipping on my Gravel GX';
const XSS = 'Hello <img src=x onerror=alert(1)> my gears slip';
const REPLY = 'Hi Carol! Sorry to hear that — which gear is it?';
const LATER = 'Are you still there? We can book a free service.';
const TICKET = 'Check rear derailleur on Gravel GX <b>urgent</b>';
const NOTE = 'Private: rider sounds upset <b>VIP</b> — offer a discount';
const CANNED = { shortcode: 'gearcheck', title: 'Gear check', content: 'Please shift to the smallest cog and tell me if it still slips.' };
const LABEL = 'vip-rider';
const BOB = { email: 'bob@example.com', name: 'Bob Agent', password: 'bob password 12345' };
const DORA = {
  email: 'dora@example.com', name: 'Dora <b>Agent</b>', password: 'dora first password',
  reset: 'dora reset password', changed: 'dora changed password',
};
// A 1×1 PNG: libmagic reads it as image/png.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const STEP_MS = 15000;

const skip = !PARLEYD ? 'PARLEYD is not set (path to the parleyd binary)' : false;

let dataDir;
let server;
const serverLog = { text: '' };
let base;
let browser;
let customerCtx;
let agentCtx;
let customerPage;
let agentPage;
let agentToken;
let sessionId;
let bobToken;
let bobId;
let doraId;
let doraToken;
const watcher = new Watcher(); // console errors, page errors, CSP violations, dialogs; axe-core
let listenAddr; // host:port, reused when the server is restarted

function shot(page, name) {
  return page.screenshot({ path: path.join(SHOTS, `parley-web-${name}.png`), fullPage: false });
}

/** axe-core on the page: no serious or critical violation, and a main landmark and an h1 (the rules issue 15 named). */
function assertAccessible(page, what) {
  return watcher.assertAccessible(page, what, ['landmark-one-main', 'page-has-heading-one']);
}

/** Runs fn(page) in a browser context of its own (watched as `who`), closed after. */
async function inNewContext(who, fn) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  ctx.setDefaultTimeout(STEP_MS);
  try {
    const page = await ctx.newPage();
    watch(page, who);
    await fn(page);
  } finally {
    await ctx.close();
  }
}

function api(method, p, token, body) {
  return apiCall(base, method, p, token, body);
}

function watch(page, who) {
  watcher.watch(page, who);
}

function startServer(listen = '127.0.0.1:0', { dir = dataDir, extra = [] } = {}) {
  return spawnParleyd(PARLEYD, ['--listen', listen, '--data-dir', dir, '--web-dir', WEB_DIR,
    '--password-memlimit-kib', '19456', ...extra], serverLog);
}

/** Fills the widget's start form in the open panel as CUSTOMER; the message box once it is there. */
async function startChat(panel) {
  await panel.getByLabel('Your name').fill(CUSTOMER.name);
  await panel.getByLabel(/Email/).fill(CUSTOMER.email);
  await panel.getByLabel('How can we help?').fill(TOPIC);
  await panel.getByRole('button', { name: 'Start chat' }).click();
  const input = panel.getByLabel('Message', { exact: true });
  await input.waitFor();
  return input;
}

/** `parleyd admin create` of ADMIN in dir. */
function createAdmin(dir) {
  createAdminIn(PARLEYD, dir, ADMIN);
}

function stopServer() {
  return stopChild(server);
}

describe('Parley web pages in Chromium', { skip, timeout: 300000 }, () => {
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found (apt-get install chromium)`);
    dataDir = mkdtempSync(path.join(tmpdir(), 'parley-web-'));
    createAdmin(dataDir);
    const started = await startServer();
    server = started.child;
    server.removeAllListeners('exit');
    base = started.url;
    listenAddr = new URL(base).host;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30000 });
    customerCtx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    agentCtx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    for (const ctx of [customerCtx, agentCtx]) {
      ctx.setDefaultTimeout(STEP_MS);
      await ctx.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`);
        });
      });
    }
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    const ended = await stopServer();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (ended && ended.sig === 'SIGKILL') console.error('parleyd ignored SIGTERM for 10 s');
  });

  it('serves the landing page with links to the demo and the console', async () => {
    const page = await customerCtx.newPage();
    watch(page, 'landing');
    const res = await page.goto(base + '/');
    assert.equal(res.status(), 200);
    const csp = res.headers()['content-security-policy'] || '';
    assert.match(csp, /script-src 'self'/, 'pages must be served with the strict CSP');
    assert.match(await page.title(), /Parley/);
    await page.getByRole('heading', { level: 1, name: /Live chat for customer service/ }).waitFor();
    assert.equal(await page.getByRole('link', { name: /Open the demo shop/ }).getAttribute('href'), '/demo');
    assert.equal(await page.getByRole('link', { name: /Open the agent console/ }).getAttribute('href'), '/console');
    await shot(page, 'index');
    await page.close();
  });

  it('lets a customer start a chat and send a message from the demo page', async () => {
    customerPage = await customerCtx.newPage();
    watch(customerPage, 'customer');
    const res = await customerPage.goto(base + '/demo');
    assert.equal(res.status(), 200);
    await customerPage.getByRole('heading', { level: 1, name: 'Ride further. Smile wider.' }).waitFor();

    // Keyboard: focus the launcher and open it with Enter.
    const launcher = customerPage.getByRole('button', { name: 'Open chat' });
    await launcher.focus();
    await customerPage.keyboard.press('Enter');
    const panel = customerPage.getByRole('dialog', { name: 'Acme Bikes support' });
    await panel.waitFor();
    assert.equal(await customerPage.locator('.parley-launcher').getAttribute('aria-expanded'), 'true');
    assert.equal(await customerPage.locator('.parley-launcher').getAttribute('aria-label'), 'Close chat');
    // Escape closes it and gives focus back to the launcher; click opens it again.
    await customerPage.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
    await customerPage.getByRole('button', { name: 'Open chat' }).click();
    await panel.waitFor();

    const input = await startChat(panel);
    await panel.getByText('Topic: ' + TOPIC).waitFor();
    await input.fill(XSS);
    await input.press('Enter');
    // Shown as the customer's own message, confirmed (it has a seq once acked).
    const own = customerPage.locator('.parley-msg--own[data-seq]', { hasText: XSS });
    await own.waitFor();
    // Nobody has it yet: the widget shows its place in the queue.
    await panel.getByRole('status').filter({ hasText: 'You are number 1 in the queue.' }).waitFor();
    assert.equal(await customerPage.locator('.parley-msg.is-pending').count(), 0, 'no message may stay pending after the ack');

    const state = await customerPage.evaluate(() => JSON.parse(localStorage.getItem('parley.widget.v1')));
    assert.ok(state.token, 'customer token kept in localStorage');
    assert.equal(state.customer.name, CUSTOMER.name);
    sessionId = state.session.id;
    assert.match(sessionId, /^ses_/);
    assert.equal(state.lastSeq, 1);
    assert.equal(await customerPage.locator('img[src="x"]').count(), 0);
  });

  it('shows the session to an agent, renders the message as text, and sends a reply', async () => {
    agentPage = await agentCtx.newPage();
    watch(agentPage, 'agent');
    const res = await agentPage.goto(base + '/console');
    assert.equal(res.status(), 200);
    await agentPage.getByRole('heading', { name: 'Agent console' }).waitFor();
    await shot(agentPage, 'console-login');

    // A wrong password is refused with a visible message (Chromium logs the 401).
    watcher.expected = [/status of 401/];
    await agentPage.getByLabel('Email').fill(ADMIN.email);
    await agentPage.getByLabel('Password').fill('wrong password');
    await agentPage.getByRole('button', { name: 'Sign in' }).click();
    await agentPage.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor();

    await agentPage.getByLabel('Password').fill(ADMIN.password);
    await agentPage.getByRole('button', { name: 'Sign in' }).click();
    await agentPage.getByText(ADMIN.name, { exact: true }).waitFor();
    agentToken = await agentPage.evaluate(() => JSON.parse(sessionStorage.getItem('parley.console.v1')).token);
    assert.ok(agentToken);
    await agentPage.locator('#conn[data-state="open"]').waitFor();

    // Presence: the agent goes busy, then online; the server has it.
    const presence = agentPage.getByLabel('My status');
    await presence.selectOption('busy');
    await agentPage.locator('.agent-row[data-status="busy"]', { hasText: ADMIN.name }).waitFor();
    await presence.selectOption('online');
    await agentPage.locator('.agent-row[data-status="online"]', { hasText: ADMIN.name }).waitFor();
    const agentsNow = await api('GET', '/api/v1/agents', agentToken);
    assert.equal(agentsNow.body.agents.find((a) => a.email === ADMIN.email).status, 'online');

    // The waiting chat is in the queue.
    const queued = agentPage.locator('.queue-item', { hasText: TOPIC });
    await queued.waitFor();
    assert.match(await queued.innerText(), /#1/);

    const item = agentPage.locator('.session-item', { hasText: TOPIC });
    await item.waitFor();
    assert.match(await item.innerText(), /Waiting/);
    await item.click();
    await agentPage.getByRole('heading', { level: 2, name: TOPIC }).waitFor();

    // The customer's message, shown literally: no <img> was created, no dialog fired.
    const body = agentPage.locator('.msg--customer .msg-body');
    await body.filter({ hasText: XSS }).waitFor();
    assert.equal(await body.first().textContent(), XSS);
    assert.equal(await agentPage.locator('img[src="x"]').count(), 0);
    assert.equal(await agentPage.locator('.msg-log img').count(), 0);

    // Take it from the queue.
    await queued.getByRole('button', { name: `Take “${TOPIC}”` }).click();
    await agentPage.getByRole('button', { name: 'Assigned to you', exact: true }).waitFor();
    await queued.waitFor({ state: 'detached' });
    await agentPage.getByText('Nobody is waiting.').waitFor();
    assert.match(await item.innerText(), /Active/);
    const s = await api('GET', `/api/v1/sessions/${sessionId}`, agentToken);
    assert.equal(s.status, 200);
    assert.equal(s.body.status, 'active');
    const me = await api('GET', '/api/v1/me', agentToken);
    assert.equal(s.body.agent_id, me.body.id);

    const reply = agentPage.getByLabel('Reply');
    await reply.fill(REPLY);
    await reply.press('Enter');
    await agentPage.locator('.msg--own[data-seq]', { hasText: REPLY }).waitFor();
    assert.equal(await agentPage.locator('.msg.is-pending').count(), 0);
    await shot(agentPage, 'console');
  });

  it('delivers the reply to the customer live', async () => {
    await customerPage.locator('.parley-msg--agent', { hasText: REPLY }).waitFor();
    await customerPage.getByText('You’re chatting with our team').waitFor();
    assert.equal(await customerPage.locator('img[src="x"]').count(), 0);
    await shot(customerPage, 'demo');
  });

  it('has no serious or critical accessibility violations (axe-core) on the pages as people use them', async () => {
    await inNewContext('axe', async (page) => {
      await page.goto(base + '/');
      await page.getByRole('heading', { level: 1 }).waitFor();
      await assertAccessible(page, 'the landing page');
      await page.goto(base + '/demo');
      await page.getByRole('button', { name: 'Open chat' }).waitFor();
      await assertAccessible(page, 'the demo page, widget closed');
      await page.getByRole('button', { name: 'Open chat' }).click();
      await page.getByRole('dialog', { name: 'Acme Bikes support' }).getByLabel('Your name').waitFor();
      await assertAccessible(page, 'the widget\'s start form');
      await page.goto(base + '/console');
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await assertAccessible(page, 'the console\'s sign-in page');
    });
    await assertAccessible(customerPage, 'the widget in a conversation');
    await assertAccessible(agentPage, 'the console with a conversation open');
    await agentPage.getByRole('tab', { name: 'Your account' }).click();
    await agentPage.locator('#password-form').waitFor();
    await assertAccessible(agentPage, 'the console\'s account page');
    await agentPage.getByRole('tab', { name: 'Conversations' }).click();
    await agentPage.getByRole('heading', { level: 2, name: TOPIC }).waitFor();
  });

  it('creates a ticket from the conversation and changes its status', async () => {
    await agentPage.getByRole('button', { name: 'Create ticket' }).click();
    const dialog = agentPage.getByRole('dialog', { name: 'Create ticket' });
    await dialog.getByLabel('Describe the issue').fill(TICKET);
    await dialog.getByRole('button', { name: 'Create ticket' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await agentPage.getByRole('tab', { name: 'Tickets' }).click();
    const row = agentPage.locator('#ticket-rows tr', { hasText: TICKET });
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(TOPIC));
    assert.equal(await agentPage.locator('#ticket-rows b').count(), 0, 'ticket text must not become markup');
    const ticketId = await row.getAttribute('data-id');
    await row.getByRole('combobox', { name: /^Status of ticket/ }).selectOption('in_progress');
    await row.locator('.badge', { hasText: 'In progress' }).waitFor();
    const t = await api('GET', `/api/v1/tickets/${ticketId}`, agentToken);
    assert.equal(t.status, 200);
    assert.equal(t.body.status, 'in_progress');
    assert.equal(t.body.issue_description, TICKET);
    assert.equal(t.body.session_id, sessionId);
    await assertAccessible(agentPage, 'the console\'s tickets');
    await shot(agentPage, 'console-tickets');
    await agentPage.getByRole('tab', { name: 'Conversations' }).click();
  });

  it('shows who the customer is, and her contact page with every conversation and ticket', async () => {
    // the conversation list and view show the name the form sent, not an id
    const item = agentPage.locator('.session-item', { hasText: TOPIC });
    await item.locator('.si-who', { hasText: CUSTOMER.name }).waitFor();
    const link = agentPage.locator('#detail-customer');
    await link.filter({ hasText: CUSTOMER.name }).waitFor();
    await agentPage.locator('#detail-meta', { hasText: `<${CUSTOMER.email}>` }).waitFor();
    await link.click();
    await agentPage.getByRole('heading', { level: 2, name: CUSTOMER.name }).waitFor();
    assert.match(agentPage.url(), /#\/contacts\/cus_/);
    await agentPage.locator('#contact-details', { hasText: CUSTOMER.email }).waitFor();
    await agentPage.locator('#contact-sessions a', { hasText: TOPIC }).waitFor();
    await agentPage.locator('#contact-tickets tr', { hasText: TICKET }).waitFor();
    assert.equal(await agentPage.locator('#contact-tickets b').count(), 0, 'ticket text must not become markup');
    // an attribute whose value is markup stays text
    await agentPage.getByLabel('Attribute').fill('plan');
    await agentPage.getByLabel('Value (empty removes it)').fill('<img src=x onerror=alert(1)> gold');
    await agentPage.getByRole('button', { name: 'Save' }).click();
    await agentPage.locator('#contact-details dd', { hasText: '<img src=x onerror=alert(1)> gold' }).waitFor();
    assert.equal(await agentPage.locator('img[src="x"]').count(), 0);
    const contactId = decodeURIComponent(agentPage.url().split('#/contacts/')[1]);
    const stored = await api('GET', `/api/v1/contacts/${contactId}`, agentToken);
    assert.equal(stored.body.attributes.plan, '<img src=x onerror=alert(1)> gold');
    await assertAccessible(agentPage, 'the console\'s contact page');
    await shot(agentPage, 'console-contact');
    // the list, searched by e-mail
    await agentPage.getByRole('link', { name: 'All contacts' }).click();
    await agentPage.getByLabel('Search by name or e-mail').fill(CUSTOMER.email.toUpperCase());
    await agentPage.getByRole('button', { name: 'Search' }).click();
    const row = agentPage.locator('#contact-rows tr');
    await row.filter({ hasText: CUSTOMER.name }).waitFor();
    assert.equal(await row.count(), 1);
    await assertAccessible(agentPage, 'the console\'s contacts list');
    // back to the conversation from the contact page
    await row.getByRole('link', { name: CUSTOMER.name }).click();
    await agentPage.locator('#contact-sessions a', { hasText: TOPIC }).click();
    await agentPage.getByRole('heading', { level: 2, name: TOPIC }).waitFor();
  });

  it('draws the reports as SVG charts with their CSV beside them', async () => {
    await agentPage.getByRole('tab', { name: 'Reports' }).click();
    const volumeBars = agentPage.locator('#report-volume svg .chart-bar');
    await volumeBars.first().waitFor({ state: 'attached' }); // a day with none is a bar of height 0
    // the default range is the last 14 days, one bar each; today's is the sessions made today
    assert.equal(await volumeBars.count(), 14);
    const today = new Date().toISOString().slice(0, 10);
    const volume = await api('GET', `/api/v1/reports/volume?from=${today}&to=${today}`, agentToken);
    assert.equal(volume.status, 200);
    assert.ok(volume.body.days[0].sessions >= 1);
    assert.equal(Number(await volumeBars.last().getAttribute('data-value')), volume.body.days[0].sessions);
    assert.equal(await agentPage.locator('#report-hours svg .chart-cell').count(), 7 * 24);
    const cells = await agentPage.locator('#report-hours svg .chart-cell').evaluateAll((n) => n.reduce((s, c) => s + Number(c.dataset.value), 0));
    const total = await agentPage.locator('#report-volume svg .chart-bar').evaluateAll((n) => n.reduce((s, c) => s + Number(c.dataset.value), 0));
    assert.equal(cells, total, 'the heatmap counts the same conversations as the days');
    assert.equal(await agentPage.locator('#report-csat svg .chart-bar').count(), 5);
    await agentPage.locator('#report-times svg circle').first().waitFor({ state: 'attached' });
    await agentPage.locator('#report-agents tbody tr', { hasText: ADMIN.name }).waitFor();
    const [download] = await Promise.all([
      agentPage.waitForEvent('download'),
      agentPage.getByRole('button', { name: 'Download CSV of Conversations per day' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'volume.csv');
    const text = readFileSync(await download.path(), 'utf8');
    const lines = text.trim().split('\r\n');
    assert.equal(lines[0], 'date,sessions,first_response_count,avg_first_response_ms,resolution_count,avg_resolution_ms');
    assert.equal(lines.length, 1 + 14);
    assert.ok(lines[14].startsWith(`${today},${volume.body.days[0].sessions},`));
    await assertAccessible(agentPage, 'the console\'s reports');
    await shot(agentPage, 'console-reports');
    await agentPage.getByRole('tab', { name: 'Conversations' }).click();
  });

  it('shows the whole history exactly once after a reload, and what was missed while away', async () => {
    const expectOnce = async (page, texts) => {
      const log = page.locator('.parley-log');
      for (const text of texts) await log.locator('li', { hasText: text }).first().waitFor();
      const items = await log.locator('li').evaluateAll((lis) => lis.map((li) => ({ seq: li.dataset.seq, text: li.querySelector('.parley-bubble').textContent })));
      const stored = await api('GET', `/api/v1/sessions/${sessionId}/messages?after_seq=0&limit=200`, agentToken);
      assert.equal(stored.status, 200);
      assert.deepEqual(items.map((i) => Number(i.seq)), stored.body.messages.map((m) => m.seq), 'rendered seqs = stored seqs, each once, in order');
      assert.deepEqual(items.map((i) => i.text), stored.body.messages.map((m) => m.content));
      for (const text of texts) assert.equal(items.filter((i) => i.text === text).length, 1, `"${text}" shown once`);
    };

    await customerPage.reload();
    await customerPage.getByRole('dialog', { name: 'Acme Bikes support' }).waitFor();
    await expectOnce(customerPage, [XSS, REPLY]);

    // Leave, let the agent write, come back: the missed message arrives once.
    await customerPage.close();
    const reply = agentPage.getByLabel('Reply');
    await reply.fill(LATER);
    await reply.press('Enter');
    await agentPage.locator('.msg--own[data-seq]', { hasText: LATER }).waitFor();
    customerPage = await customerCtx.newPage();
    watch(customerPage, 'customer (back)');
    await customerPage.goto(base + '/demo');
    await customerPage.getByRole('dialog', { name: 'Acme Bikes support' }).waitFor();
    await expectOnce(customerPage, [XSS, REPLY, LATER]);
    const state = await customerPage.evaluate(() => JSON.parse(localStorage.getItem('parley.widget.v1')));
    assert.equal(state.lastSeq, 3);
    assert.equal(await customerPage.locator('img[src="x"]').count(), 0);
  });

  it('keeps a message typed while the server is down and sends it once when it is back', async () => {
    const WHILE_DOWN = 'Sent while you were down — Sunday opening hours?';
    watcher.tolerated = /WebSocket connection to .* failed|ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE/;
    const ended = await stopServer();
    assert.ok(ended && ended.sig !== 'SIGKILL', 'parleyd stops on SIGTERM');
    const panel = customerPage.getByRole('dialog', { name: 'Acme Bikes support' });
    await panel.getByText(/Connection lost|Reconnecting/).waitFor();
    await agentPage.locator('#conn[data-state="down"], #conn[data-state="connecting"]').first().waitFor();
    const input = panel.getByLabel('Message', { exact: true });
    await input.fill(WHILE_DOWN);
    await input.press('Enter');
    await customerPage.locator('.parley-msg.is-pending', { hasText: WHILE_DOWN }).waitFor();
    const restarted = await startServer(listenAddr);
    server = restarted.child;
    server.removeAllListeners('exit');
    assert.equal(restarted.url, base);
    // The widget reconnects (backoff), re-subscribes and resends with the same client_msg_id.
    await customerPage.locator('.parley-msg--own[data-seq]', { hasText: WHILE_DOWN }).waitFor({ timeout: 40000 });
    assert.equal(await customerPage.locator('.parley-msg.is-pending').count(), 0);
    await agentPage.locator('#conn[data-state="open"]').waitFor({ timeout: 40000 });
    await agentPage.locator('.msg--customer .msg-body', { hasText: WHILE_DOWN }).waitFor();
    watcher.tolerated = null;
    assert.equal(await agentPage.locator('.msg-body', { hasText: WHILE_DOWN }).count(), 1);
    const stored = await api('GET', `/api/v1/sessions/${sessionId}/messages?after_seq=0&limit=200`, agentToken);
    assert.equal(stored.body.messages.filter((m) => m.content === WHILE_DOWN).length, 1, 'stored exactly once');
    assert.deepEqual(stored.body.messages.map((m) => m.seq), [1, 2, 3, 4]);
  });

  it('shows typing both ways, offers a canned response, keeps private notes from the customer and labels the session', async () => {
    const panel = customerPage.getByRole('dialog', { name: 'Acme Bikes support' });
    const input = panel.getByLabel('Message', { exact: true });
    const reply = agentPage.getByLabel('Reply');

    // Typing indicators (each side sends at most one typing frame per 3 s, so keep typing until it shows).
    const untilShown = async (locator, type) => {
      for (let i = 0; i < 20 && !(await locator.isVisible()); i++) {
        await type(i);
        await locator.waitFor({ timeout: 500 }).catch(() => {});
      }
      await locator.waitFor();
    };
    await untilShown(agentPage.getByText('Customer is typing…'), (i) => input.fill('Let me check' + '.'.repeat(i)));
    await input.fill('');
    await untilShown(customerPage.getByText('Support is typing…'), (i) => reply.fill('One moment' + '.'.repeat(i)));
    await reply.fill('');

    // A team-wide canned response, made by the admin over the API.
    const made = await api('POST', '/api/v1/canned-responses', agentToken, CANNED);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const label = await api('POST', '/api/v1/labels', agentToken, { name: LABEL, color: '#0e7490' });
    assert.equal(label.status, 201, JSON.stringify(label.body));

    // A private note first: the customer must never get it.
    await agentPage.getByLabel('Private note', { exact: true }).fill(NOTE);
    await agentPage.getByRole('button', { name: 'Add note' }).click();
    await agentPage.locator('#note-list .note-body', { hasText: NOTE }).waitFor();
    assert.equal(await agentPage.locator('#note-list b').count(), 0, 'note text must not become markup');
    const stored = await api('GET', `/api/v1/sessions/${sessionId}/notes`, agentToken);
    assert.equal(stored.body.notes[0].content, NOTE);

    // "/gear" offers the canned response; Enter inserts it, Enter again sends it.
    await reply.fill('/gear');
    const option = agentPage.getByRole('option', { name: /\/gearcheck/ });
    await option.waitFor();
    assert.equal(await reply.getAttribute('aria-expanded'), 'true');
    await reply.press('Enter');
    await option.waitFor({ state: 'detached' });
    assert.equal(await reply.inputValue(), CANNED.content);
    await reply.press('Enter');
    await agentPage.locator('.msg--own[data-seq]', { hasText: CANNED.content }).waitFor();
    // The customer gets the message sent after the note, and never the note.
    await customerPage.locator('.parley-msg--agent', { hasText: CANNED.content }).waitFor();
    assert.ok(!(await customerPage.content()).includes('rider sounds upset'), 'a private note reached the customer page');
    assert.equal(await customerPage.getByText(NOTE).count(), 0);

    // Label the session: chip on the conversation and in the list; not for the customer.
    // (The label was defined after the console loaded: focusing the picker fetches the list again.)
    await agentPage.getByLabel('Label to add').focus();
    await agentPage.locator('#label-select option[value="' + LABEL + '"]').waitFor({ state: 'attached' });
    await agentPage.getByLabel('Label to add').selectOption(LABEL);
    await agentPage.getByRole('button', { name: 'Add label' }).click();
    await agentPage.getByRole('button', { name: `Remove label ${LABEL}` }).waitFor();
    await agentPage.locator('.session-item .label-chip', { hasText: LABEL }).waitFor();
    const s = await api('GET', `/api/v1/sessions/${sessionId}`, agentToken);
    assert.deepEqual(s.body.labels, [LABEL]);
    assert.ok(!(await customerPage.content()).includes(LABEL), 'labels are the team\'s only');
    await assertAccessible(agentPage, 'the console with notes, labels and canned responses');
    await shot(agentPage, 'console-tools');
  });

  it('sends the customer\'s image and the agent sees the thumbnail', async () => {
    const panel = customerPage.getByRole('dialog', { name: 'Acme Bikes support' });
    const [chooser] = await Promise.all([
      customerPage.waitForEvent('filechooser'),
      panel.getByRole('button', { name: 'Attach a file' }).click(),
    ]);
    await chooser.setFiles({ name: 'bike-photo.png', mimeType: 'image/png', buffer: PNG });
    const ownImg = customerPage.locator('.parley-msg--own[data-seq] img.parley-att-thumb[alt="bike-photo.png"]');
    await ownImg.waitFor();
    assert.match(await ownImg.getAttribute('src'), /^data:image\/png;base64,/);

    const thumb = agentPage.locator('.msg--customer img.att-thumb[alt="bike-photo.png"]');
    await thumb.waitFor();
    assert.match(await thumb.getAttribute('src'), /^data:image\/png;base64,/);
    await agentPage.waitForFunction(() => {
      const img = document.querySelector('.msg--customer img.att-thumb');
      return img && img.complete && img.naturalWidth === 1;
    });
    await agentPage.getByRole('button', { name: /^Download bike-photo\.png/ }).waitFor();
    const msgs = await api('GET', `/api/v1/sessions/${sessionId}/messages?after_seq=0&limit=200`, agentToken);
    const withFile = msgs.body.messages.find((m) => m.attachment);
    assert.equal(withFile.type, 'image');
    assert.equal(withFile.attachment.mime, 'image/png');
  });

  it('finds a message by search and shows the snippet\'s markup as text', async () => {
    await agentPage.getByLabel('Search messages').fill('gears');
    await agentPage.getByRole('button', { name: 'Search', exact: true }).click();
    const hit = agentPage.locator('.search-hit', { hasText: 'onerror' });
    await hit.waitFor();
    const snippet = hit.locator('.sr-snippet');
    assert.equal(await snippet.textContent(), XSS, 'the escaped snippet is shown as the text it stands for');
    assert.deepEqual(await snippet.locator('mark').allTextContents(), ['gears']);
    assert.equal(await snippet.locator('img').count(), 0);
    assert.equal(await agentPage.locator('img[src="x"]').count(), 0);
    await shot(agentPage, 'console-search');
    await hit.click();
    await agentPage.getByRole('heading', { level: 2, name: TOPIC }).waitFor();
    await agentPage.getByRole('button', { name: 'Clear' }).click();
    await agentPage.locator('#search-panel').waitFor({ state: 'hidden' });
  });

  it('lets the agent close the session and the customer rate it', async () => {
    await agentPage.getByRole('button', { name: 'Close', exact: true }).click();
    await agentPage.getByText('This conversation is closed.').waitFor();
    assert.ok(await agentPage.getByLabel('Reply').isHidden());

    const panel = customerPage.getByRole('dialog', { name: 'Acme Bikes support' });
    await panel.getByRole('heading', { name: 'This conversation has ended' }).waitFor();
    assert.ok(await panel.getByLabel('Message', { exact: true }).isHidden(), 'no composer once closed');
    await panel.locator('label[for="parley-star-4"]').click();
    assert.ok(await panel.getByRole('radio', { name: '4 stars' }).isChecked());
    await panel.getByLabel(/Comment/).fill('Quick and friendly <script>x</script>');
    await shot(customerPage, 'demo-rating');
    await panel.getByRole('button', { name: 'Send feedback' }).click();
    await panel.getByText('Thanks for your feedback!').waitFor();
    assert.ok(await panel.getByRole('button', { name: 'Send feedback' }).isHidden(), 'asked once');
    await shot(customerPage, 'demo-closed');

    const fb = await api('GET', `/api/v1/sessions/${sessionId}/feedback`, agentToken);
    assert.equal(fb.status, 200, JSON.stringify(fb.body));
    assert.equal(fb.body.rating, 4);
    assert.equal(fb.body.comment, 'Quick and friendly <script>x</script>');
    const s = await api('GET', `/api/v1/sessions/${sessionId}`, agentToken);
    assert.equal(s.body.status, 'closed');

    // After a reload the closed conversation still says thanks rather than asking again.
    await customerPage.reload();
    await customerPage.getByText('Thanks for your feedback!').waitFor();
  });

  it('lets the customer download the transcript (without the private note)', async () => {
    const panel = customerPage.getByRole('dialog', { name: 'Acme Bikes support' });
    const [download] = await Promise.all([
      customerPage.waitForEvent('download'),
      panel.getByRole('button', { name: 'Download transcript' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `transcript-${sessionId}.txt`);
    const text = readFileSync(await download.path(), 'utf8');
    assert.ok(text.includes(XSS), 'the transcript has the conversation');
    assert.ok(text.includes(CANNED.content));
    assert.ok(!text.includes('rider sounds upset'), 'the transcript must not have the private note');
  });

  it('greets a new customer with the bot, hands over on request, queues, and the agent takes, transfers and unassigns', async () => {
    const BOT_TOPIC = 'Delivery date for an E-City';
    // the bot names the desk's company, not Parley (issue 16)
    const set = await api('PATCH', '/api/v1/settings', agentToken, { 'bot.enabled': true, 'desk.company_name': 'Acme Bikes' });
    assert.equal(set.status, 200, JSON.stringify(set.body));

    // A second agent, online, appears in the team list live.
    const made = await api('POST', '/api/v1/agents', agentToken, BOB);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const login = await api('POST', '/api/v1/auth/login', null, { email: BOB.email, password: BOB.password });
    bobToken = login.body.token;
    bobId = login.body.agent.id;
    assert.equal((await api('PUT', '/api/v1/agents/me/presence', bobToken, { status: 'busy' })).status, 200);
    await agentPage.locator('.agent-row[data-status="busy"]', { hasText: BOB.name }).waitFor();

    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctx.setDefaultTimeout(STEP_MS);
    try {
      const page = await ctx.newPage();
      watch(page, 'customer 2');
      await page.goto(base + '/demo');
      await page.getByRole('button', { name: 'Open chat' }).click();
      const panel = page.getByRole('dialog', { name: 'Acme Bikes support' });
      await panel.getByLabel('Your name').fill('Dan <i>Customer</i>');
      await panel.getByLabel('How can we help?').fill(BOT_TOPIC);
      await panel.getByRole('button', { name: 'Start chat' }).click();

      // The bot's greeting, shown like a message from the team, and the hint.
      const greeting = page.locator('.parley-msg--bot[data-seq]', { hasText: 'Acme Bikes assistant' });
      await greeting.waitFor();
      assert.match(await greeting.innerText(), /Assistant/);
      await panel.getByText('Want a person? Type “human”').waitFor();
      await panel.getByText('You’re chatting with our assistant').waitFor();
      await shot(page, 'demo-bot');

      const input = panel.getByLabel('Message', { exact: true });
      await input.fill('I would like to talk to a human please');
      await input.press('Enter');
      await panel.getByRole('status').filter({ hasText: 'You are number 1 in the queue.' }).waitFor();
      assert.ok(await panel.getByText('Want a person? Type “human”').isHidden());

      // The agent takes it from the queue; the customer is told.
      const queued = agentPage.locator('.queue-item', { hasText: BOT_TOPIC });
      await queued.getByRole('button', { name: /^Take/ }).click();
      await agentPage.getByRole('heading', { level: 2, name: BOT_TOPIC }).waitFor();
      await agentPage.getByRole('button', { name: 'Assigned to you', exact: true }).waitFor();
      await agentPage.locator('.msg--bot', { hasText: 'Acme Bikes assistant' }).waitFor();
      await panel.getByText('You’re chatting with our team').waitFor();
      assert.ok(await panel.locator('.parley-queue').isHidden());
      const botSession = await page.evaluate(() => JSON.parse(localStorage.getItem('parley.widget.v1')).session.id);

      // Transfer to Bob, then put it back in the queue.
      await agentPage.getByLabel('Transfer to').selectOption(`agent:${bobId}`);
      await agentPage.getByRole('button', { name: 'Transfer', exact: true }).click();
      await agentPage.locator('#detail-meta', { hasText: `Assigned: ${BOB.name}` }).waitFor();
      let s = await api('GET', `/api/v1/sessions/${botSession}`, agentToken);
      assert.equal(s.body.agent_id, bobId);
      await agentPage.getByRole('button', { name: 'Unassign' }).click();
      await agentPage.locator('.queue-item', { hasText: BOT_TOPIC }).waitFor();
      s = await api('GET', `/api/v1/sessions/${botSession}`, agentToken);
      assert.equal(s.body.status, 'waiting');
      assert.equal(s.body.agent_id, null);
      await panel.getByRole('status').filter({ hasText: 'You are number 1 in the queue.' }).waitFor();
      assert.equal(await page.locator('i').count(), 0, 'names stay text');
      await page.close();
    } finally {
      await ctx.close();
      await api('PATCH', '/api/v1/settings', agentToken, { 'bot.enabled': false });
    }
  });

  it('lets an admin add an agent, reset the password and see it on #/admin/agents', async () => {
    await agentPage.getByRole('tab', { name: 'Admin' }).click();
    await agentPage.waitForURL(/#\/admin\/agents$/);
    const table = agentPage.locator('#agents-admin-rows');
    await table.locator('tr', { hasText: BOB.email }).waitFor();
    // Add Dora: her row appears, her name as text.
    const create = agentPage.locator('#agent-create');
    await create.getByLabel('Name', { exact: true }).fill(DORA.name);
    await create.getByLabel('Email', { exact: true }).fill(DORA.email);
    await create.getByLabel('Password', { exact: true }).fill(DORA.password);
    await create.getByRole('button', { name: 'Add agent' }).click();
    const row = table.locator('tr', { hasText: DORA.email });
    await row.waitFor();
    assert.equal(await row.locator('td').first().textContent(), DORA.name);
    assert.equal(await agentPage.locator('#agents-admin-rows b').count(), 0, 'names stay text');
    assert.equal(await row.getByRole('combobox', { name: `Role of ${DORA.name}` }).inputValue(), 'agent');
    const listed = await api('GET', '/api/v1/agents', agentToken);
    doraId = listed.body.agents.find((a) => a.email === DORA.email).id;
    // A duplicate e-mail is refused with a sentence (Chromium logs the 409).
    watcher.expected = [/status of 409/];
    await create.getByLabel('Name', { exact: true }).fill('Someone else');
    await create.getByLabel('Email', { exact: true }).fill(DORA.email.toUpperCase());
    await create.getByLabel('Password', { exact: true }).fill('another password 1');
    await create.getByRole('button', { name: 'Add agent' }).click();
    await agentPage.getByRole('alert').filter({ hasText: 'An agent with this email exists already.' }).waitFor();
    // Reset her password: she signs in with the new one only.
    await row.getByRole('button', { name: `Reset password of ${DORA.name}` }).click();
    const dialog = agentPage.getByRole('dialog', { name: 'Reset password' });
    await dialog.getByLabel('New password').fill(DORA.reset);
    await dialog.getByRole('button', { name: 'Set password' }).click();
    await dialog.waitFor({ state: 'hidden' });
    let login = await api('POST', '/api/v1/auth/login', null, { email: DORA.email, password: DORA.reset });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    login = await api('POST', '/api/v1/auth/login', null, { email: DORA.email, password: DORA.password });
    assert.equal(login.status, 401);
    // Make Bob an admin and back: the server has it.
    const bobRole = table.locator('tr', { hasText: BOB.email }).getByRole('combobox', { name: `Role of ${BOB.name}` });
    await bobRole.selectOption('admin');
    await agentPage.getByRole('status').filter({ hasText: `${BOB.name} is now an admin.` }).waitFor();
    assert.equal((await api('GET', '/api/v1/agents', agentToken)).body.agents.find((a) => a.id === bobId).role, 'admin');
    await bobRole.selectOption('agent');
    await agentPage.getByRole('status').filter({ hasText: `${BOB.name} is now an agent.` }).waitFor();
    await assertAccessible(agentPage, 'the agents admin page');
    await shot(agentPage, 'console-admin-agents');
  });

  it('lets an agent change her own password, and keeps the admin page from agents', async () => {
    await inNewContext('agent Dora', async (page) => {
      const fetched = [];
      page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
      await page.goto(base + '/console');
      await page.getByLabel('Email').fill(DORA.email);
      await page.getByLabel('Password').fill(DORA.reset);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#me', { hasText: DORA.name }).waitFor();
      const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('parley.console.v1')).token);
      // No admin tab for an agent; typed in, the page says why; the API answers 403.
      await page.getByRole('tab', { name: 'Tickets' }).waitFor();
      assert.equal(await page.getByRole('tab', { name: 'Admin' }).count(), 0, 'an agent sees no admin tab');
      await page.goto(base + '/console#/admin/agents');
      await page.getByText('Only admins see the admin area.').waitFor();
      assert.equal(await page.locator('#agents-admin-rows').count(), 0);
      assert.ok(fetched.includes('/console/app.js'), 'the console\'s modules are fetched');
      assert.ok(!fetched.some((f) => f.startsWith('/console/admin')), 'the admin pages are loaded on demand, and not for agents');
      const refused = await api('POST', '/api/v1/agents', token, { name: 'X', email: 'x@example.com', password: 'whatever 12345' });
      assert.equal(refused.status, 403);
      assert.equal((await api('PATCH', `/api/v1/agents/${bobId}`, token, { role: 'admin' })).status, 403);

      await page.getByRole('tab', { name: 'Your account' }).click();
      await page.waitForURL(/#\/account$/);
      await page.getByRole('heading', { level: 2, name: 'Your account' }).waitFor();
      const form = page.locator('#password-form');
      // Too short: refused before anything is sent.
      await form.getByLabel('Current password').fill(DORA.reset);
      await form.getByLabel('New password', { exact: true }).fill('short');
      await form.getByLabel('Confirm new password').fill('short');
      await form.getByRole('button', { name: 'Change password' }).click();
      await form.getByRole('alert').filter({ hasText: 'too short' }).waitFor();
      // Wrong current password (Chromium logs the 400).
      watcher.expected = [/status of 400/];
      await form.getByLabel('Current password').fill('not my password');
      await form.getByLabel('New password', { exact: true }).fill(DORA.changed);
      await form.getByLabel('Confirm new password').fill(DORA.changed);
      await form.getByRole('button', { name: 'Change password' }).click();
      await form.getByRole('alert').filter({ hasText: 'Your current password is wrong.' }).waitFor();
      await shot(page, 'console-account-error');
      // Right: changed; she stays signed in here and signs in with the new one.
      await form.getByLabel('Current password').fill(DORA.reset);
      await form.getByRole('button', { name: 'Change password' }).click();
      await form.getByRole('status').filter({ hasText: 'Your password is changed.' }).waitFor();
      assert.ok(await form.getByRole('alert').isHidden());
      assert.equal((await api('GET', '/api/v1/me', token)).status, 200, 'this device stays signed in');
      await shot(page, 'console-account');
      await page.getByRole('button', { name: 'Log out' }).click();
      watcher.expected = [/status of 401/];
      await page.getByLabel('Email').fill(DORA.email);
      await page.getByLabel('Password').fill(DORA.reset);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor();
      await page.getByLabel('Password').fill(DORA.changed);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#me', { hasText: DORA.name }).waitFor();

      // Throttled: after the account's allowance of guesses, a 429 is told as such.
      doraToken = await page.evaluate(() => JSON.parse(sessionStorage.getItem('parley.console.v1')).token);
      for (let i = 0; i < 12; i++) {
        const r = await api('POST', '/api/v1/me/password', doraToken, { current_password: 'guess ' + i, new_password: 'whatever 12345' });
        if (r.status === 429) break;
      }
      watcher.expected = [/status of 429/];
      await page.getByRole('tab', { name: 'Your account' }).click();
      await form.getByLabel('Current password').fill('one more guess');
      await form.getByLabel('New password', { exact: true }).fill('whatever 12345');
      await form.getByLabel('Confirm new password').fill('whatever 12345');
      await form.getByRole('button', { name: 'Change password' }).click();
      await form.getByRole('alert').filter({ hasText: /Too many attempts\. Try again/ }).waitFor();
    });
  });

  it('lets the admin deactivate an agent, who is signed out', async () => {
    const row = agentPage.locator('#agents-admin-rows tr', { hasText: DORA.email });
    await row.getByRole('button', { name: `Deactivate ${DORA.name}` }).click();
    await row.getByText('Deactivated').waitFor();
    assert.equal(await row.getAttribute('data-active'), 'false');
    // (her sign-ins are throttled by now: the token she had stops working instead)
    assert.equal((await api('GET', '/api/v1/me', doraToken)).status, 401, 'deactivation signs her out');
    const listed = await api('GET', '/api/v1/agents', agentToken);
    assert.equal(listed.body.agents.find((a) => a.id === doraId).active, false);
    // The last active admin stays: the server's refusal is shown (Chromium logs the 409).
    watcher.expected = [/status of 409/];
    const me = agentPage.locator('#agents-admin-rows tr', { hasText: ADMIN.email });
    await me.getByRole('button', { name: `Deactivate ${ADMIN.name}` }).click();
    await agentPage.locator('#agents-admin-error').filter({ hasText: 'last active admin' }).waitFor();
    assert.equal(await me.getAttribute('data-active'), 'true');
    // The sections are routes: Back returns to the admin page, Forward leaves it.
    await agentPage.getByRole('tab', { name: 'Conversations' }).click();
    await agentPage.waitForURL(/#\/conversations$/);
    assert.ok(await agentPage.locator('#admin-view').isHidden());
    await agentPage.goBack();
    await agentPage.waitForURL(/#\/admin\/agents$/);
    await agentPage.locator('#agents-admin-rows tr', { hasText: DORA.email }).waitFor();
    assert.equal(await agentPage.getByRole('tab', { name: 'Admin' }).getAttribute('aria-selected'), 'true');
    await agentPage.goForward();
    await agentPage.waitForURL(/#\/conversations$/);
    await agentPage.locator('#sessions-view').waitFor();
  });

  it('counts an agent\'s notifications on the bell and in the tab title, and alerts her while the tab is hidden (a ticket for her, a customer waiting)', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctx.setDefaultTimeout(STEP_MS);
    try {
      // The page cannot really be hidden in headless Chromium: the test
      // decides document.hidden, and records each browser Notification the
      // console makes (the real one is still made).
      await ctx.addInitScript(() => {
        window.__hidden = false;
        window.__shown = [];
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => window.__hidden });
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (window.__hidden ? 'hidden' : 'visible') });
        const Real = window.Notification;
        function Recorded(title, options) {
          window.__shown.push({ title, body: options && options.body });
          try { return new Real(title, options); } catch (e) { return { close() {} }; }
        }
        Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
        Recorded.requestPermission = (...args) => Real.requestPermission(...args);
        window.Notification = Recorded;
      });
      const page = await ctx.newPage();
      watch(page, 'agent Bob (bell)');
      await page.goto(base + '/console');
      await page.getByLabel('Email').fill(BOB.email);
      await page.getByLabel('Password').fill(BOB.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#me', { hasText: BOB.name }).waitFor();
      const bell = page.locator('#bell');
      const title = await page.evaluate(() => document.title.replace(/^\(\d+\) /, ''));
      // What Bob was told earlier (transfers) starts the count; he reads it all.
      const before = (await api('GET', '/api/v1/notifications?limit=1', bobToken)).body.unread_count;
      if (before > 0) await page.locator('#bell-count', { hasText: String(before) }).waitFor();
      await bell.click();
      const panel = page.getByRole('region', { name: 'Notifications' });
      // Asked on this click, not before; the test answers the browser's
      // prompt (headless Chromium would refuse it) by granting first.
      const turnOn = panel.getByRole('button', { name: 'Turn on desktop alerts' });
      await turnOn.waitFor();
      assert.equal(await page.evaluate(() => Notification.permission), 'default');
      await ctx.grantPermissions(['notifications'], { origin: base });
      await turnOn.click();
      await panel.getByRole('button', { name: 'Desktop alerts are on' }).waitFor();
      if (before > 0) await panel.getByRole('button', { name: 'Mark all read' }).click();
      await page.waitForFunction((t) => document.title === t, title);
      assert.ok(await page.locator('#bell-count').isHidden());
      assert.equal((await api('GET', '/api/v1/notifications?limit=1', bobToken)).body.unread_count, 0);
      await assertAccessible(page, 'the console with the bell open');
      await bell.click(); // closed again

      // The tab goes to the background; the admin assigns Bob a ticket.
      await page.evaluate(() => { window.__hidden = true; });
      const subject = 'Bell check <b>' + Date.now() + '</b>';
      const made = await api('POST', '/api/v1/tickets', agentToken, {
        session_id: sessionId, issue_description: 'Check the bell', subject, agent_id: bobId,
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      await page.locator('#bell-count', { hasText: '1' }).waitFor();
      await page.waitForFunction((t) => document.title === '(1) ' + t, title);
      assert.equal(await bell.getAttribute('aria-label'), 'Notifications, 1 unread');
      assert.deepEqual(await page.evaluate(() => window.__shown),
        [{ title: 'A ticket was assigned to you', body: subject }]);
      // A customer starts a chat (no bot now): every active agent is told.
      const topic = 'Waiting for the bell ' + Date.now();
      const cust = await api('POST', '/api/v1/customers', null, { name: 'Bea Customer' });
      assert.equal(cust.status, 201, JSON.stringify(cust.body));
      assert.equal((await api('POST', '/api/v1/sessions', cust.body.token, { topic })).status, 201);
      await page.locator('#bell-count', { hasText: '2' }).waitFor();
      await page.waitForFunction((t) => document.title === '(2) ' + t, title);
      assert.deepEqual(await page.evaluate(() => window.__shown), [
        { title: 'A ticket was assigned to you', body: subject },
        { title: 'A customer is waiting', body: topic }]);

      // Visible again: the next one counts but makes no browser notification.
      await page.evaluate(() => { window.__hidden = false; });
      const updated = await api('PATCH', `/api/v1/tickets/${made.body.id}`, agentToken, { priority: 'high' });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      await page.locator('#bell-count', { hasText: '3' }).waitFor();
      assert.equal((await page.evaluate(() => window.__shown)).length, 2);

      // Opening one marks it read and goes to the tickets; the markup is text.
      await bell.click();
      const first = panel.locator('.bell-item[data-unread="true"]', { hasText: 'A ticket was assigned to you' });
      assert.equal(await first.locator('.bell-item-body').innerText(), subject);
      await first.click();
      await page.waitForURL(/#\/tickets$/);
      await page.locator('#bell-count', { hasText: '2' }).waitFor();
      await page.waitForFunction((t) => document.title === '(2) ' + t, title);
      assert.equal((await api('GET', '/api/v1/notifications?limit=1', bobToken)).body.unread_count, 2);
    } finally {
      await ctx.close();
    }
  });

  it('logs the agent out', async () => {
    await agentPage.getByRole('button', { name: 'Log out' }).click();
    await agentPage.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal(await agentPage.evaluate(() => sessionStorage.getItem('parley.console.v1')), null);
    let status = 0;
    for (let i = 0; i < 50 && status !== 401; i++) { // the logout request is sent as the form appears
      status = (await api('GET', '/api/v1/me', agentToken)).status;
      if (status !== 401) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 401, 'the token stops working after logout');
  });

  it('tells a customer whose message was refused as spam what to do, without a Retry that cannot succeed', async () => {
    // A server of its own whose operator filters spam.
    const spamDir = mkdtempSync(path.join(tmpdir(), 'parley-web-spam-'));
    const spam = await startServer('127.0.0.1:0', { dir: spamDir, extra: ['--default-strategies', '[{"name":"spam"}]'] });
    spam.child.removeAllListeners('exit');
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctx.setDefaultTimeout(STEP_MS);
    try {
      const page = await ctx.newPage();
      watch(page, 'customer (spam filter)');
      await page.goto(spam.url + '/demo');
      await page.getByRole('button', { name: 'Open chat' }).click();
      const input = await startChat(page.getByRole('dialog', { name: 'Acme Bikes support' }));
      const SPAMMY = 'Great deals http://a.example/1 http://b.example/2 http://c.example/3';
      await input.fill(SPAMMY);
      await input.press('Enter');
      const failed = page.locator('.parley-msg.is-failed', { hasText: SPAMMY });
      await failed.waitFor();
      const meta = await failed.locator('.parley-meta').textContent();
      assert.match(meta, /Not sent/);
      assert.match(meta, /looks like spam/);
      assert.match(meta, /rephrase it/);
      assert.match(meta, /contact us by email or phone/);
      assert.equal(await failed.getByRole('button', { name: 'Retry' }).count(), 0, 'no Retry for a refused message');
      // Edit: the text goes back into the composer, the refused message away.
      await failed.getByRole('button', { name: 'Edit' }).click();
      await failed.waitFor({ state: 'detached' });
      assert.equal(await input.inputValue(), SPAMMY);
      const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('parley.widget.v1')));
      assert.equal(stored.outbox.length, 0, 'the refused message left the outbox');
      // Rephrased, it is sent.
      await input.fill('Do you have the Gravel GX in size M?');
      await input.press('Enter');
      await page.locator('.parley-msg--own[data-seq]', { hasText: 'Gravel GX in size M' }).waitFor();
      await shot(page, 'widget-refused');
      await page.close();
    } finally {
      await ctx.close();
      await stopChild(spam.child);
      rmSync(spamDir, { recursive: true, force: true });
    }
  });

  it('shows a Spanish customer the agent\'s reply in Spanish with the original a click away, and says when no translation exists', async () => {
    // A server of its own whose desk translates (issue 16), with an admin to reply.
    const trDir = mkdtempSync(path.join(tmpdir(), 'parley-web-tr-'));
    createAdmin(trDir);
    const tr = await startServer('127.0.0.1:0', { dir: trDir, extra: ['--default-strategies', '[{"name":"translation","target":"en"}]'] });
    tr.child.removeAllListeners('exit');
    const call = async (method, p, token, body) => {
      const headers = { 'Content-Type': 'application/json' };
      if (token) headers.Authorization = 'Bearer ' + token;
      const res = await fetch(tr.url + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(15000) });
      return { status: res.status, body: await res.json() };
    };
    const login = await call('POST', '/api/v1/auth/login', null, { email: ADMIN.email, password: ADMIN.password });
    assert.equal(login.status, 200);
    const contexts = [];
    // the browser's language is the customer's (the widget sends navigator.language)
    const chatIn = async (locale) => {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale });
      ctx.setDefaultTimeout(STEP_MS);
      contexts.push(ctx);
      const page = await ctx.newPage();
      watch(page, `customer (${locale})`);
      await page.goto(tr.url + '/demo');
      await page.getByRole('button', { name: 'Open chat' }).click();
      const input = await startChat(page.getByRole('dialog', { name: 'Acme Bikes support' }));
      await input.fill('Hola, los cambios de mi bicicleta no funcionan bien desde ayer.');
      await input.press('Enter');
      await page.locator('.parley-msg--own[data-seq]').first().waitFor();
      const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('parley.widget.v1')));
      return { page, sessionId: stored.session.id };
    };
    try {
      const es = await chatIn('es-ES');
      const english = 'Thank you for waiting, please bring the bicycle to the shop tomorrow morning.';
      const sent = await call('POST', `/api/v1/sessions/${es.sessionId}/messages`, login.body.token, { content: english });
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      assert.equal(sent.body.translation.to, 'es');
      const reply = es.page.locator('.parley-msg--agent');
      await reply.waitFor();
      const bubble = reply.locator('.parley-bubble');
      assert.equal(await bubble.textContent(), sent.body.translations.es);
      assert.equal(await bubble.getAttribute('lang'), 'es');
      assert.match(await reply.locator('.parley-translation-note').textContent(), /Translated from en/);
      await reply.getByRole('button', { name: 'Show original' }).click();
      assert.equal(await bubble.textContent(), english);
      await reply.getByRole('button', { name: 'Show translation' }).click();
      assert.equal(await bubble.textContent(), sent.body.translations.es);
      await shot(es.page, 'widget-translated');
      // a customer whose language apertium has no route to: the reply as written, and why
      const ja = await chatIn('ja-JP');
      const plain = await call('POST', `/api/v1/sessions/${ja.sessionId}/messages`, login.body.token, { content: english });
      assert.equal(plain.body.translation.status, 'unavailable');
      const untranslated = ja.page.locator('.parley-msg--agent');
      await untranslated.waitFor();
      assert.equal(await untranslated.locator('.parley-bubble').textContent(), english);
      assert.equal(await untranslated.locator('.parley-translation-note').textContent(), 'Translation not available for en→ja');
      await shot(ja.page, 'widget-untranslated');
    } finally {
      for (const ctx of contexts) await ctx.close();
      await stopChild(tr.child);
      rmSync(trDir, { recursive: true, force: true });
    }
  });

  it('reopens a conversation from a reply e-mail\'s signed link, and serves the password reset page', async () => {
    // A server of its own with an e-mail channel (to a port where nothing
    // listens) and a known link secret, so the test can sign a link.
    const SECRET = 'web-test-link-secret';
    const mailDir = mkdtempSync(path.join(tmpdir(), 'parley-web-mail-'));
    createAdmin(mailDir);
    const mail = await startServer('127.0.0.1:0', { dir: mailDir,
      extra: ['--smtp-url', 'smtp://127.0.0.1:1', '--link-secret', SECRET] });
    mail.child.removeAllListeners('exit');
    const call = async (method, p, token, body) => {
      const headers = { 'Content-Type': 'application/json' };
      if (token) headers.Authorization = 'Bearer ' + token;
      const res = await fetch(mail.url + p, { method, headers, body: JSON.stringify(body), signal: AbortSignal.timeout(10000) });
      return { status: res.status, body: await res.json().catch(() => null) };
    };
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctx.setDefaultTimeout(STEP_MS);
    try {
      // A customer who chatted on another device, and left; the agent answered.
      const cust = await call('POST', '/api/v1/customers', null, { name: 'Dana Customer', email: 'dana@example.com' });
      assert.equal(cust.status, 201);
      const session = await call('POST', '/api/v1/sessions', cust.body.token, { topic: 'Where is my order?' });
      assert.equal(session.status, 201);
      const login = await call('POST', '/api/v1/auth/login', null, { email: ADMIN.email, password: ADMIN.password });
      const REPLY_BY_MAIL = 'Your order ships tomorrow, Dana.';
      const sent = await call('POST', `/api/v1/sessions/${session.body.id}/messages`, login.body.token, { content: REPLY_BY_MAIL });
      assert.equal(sent.status, 201);
      const expires = Math.floor(Date.now() / 1000) + 600;
      const sig = createHmac('sha256', SECRET).update(`parley-resume:${session.body.id}:${expires}`).digest('hex');
      // This browser has never seen her: the link alone reopens the conversation.
      const page = await ctx.newPage();
      watch(page, 'customer (link)');
      await page.goto(`${mail.url}/demo#parley-resume=${session.body.id}.${expires}.${sig}`);
      await page.locator('.parley-msg', { hasText: REPLY_BY_MAIL }).waitFor();
      assert.ok(!page.url().includes('parley-resume'), 'the link leaves the address bar');
      const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('parley.widget.v1')));
      assert.equal(stored.session.id, session.body.id);
      assert.ok(stored.token && stored.token !== cust.body.token, 'a token of its own');
      await shot(page, 'widget-resumed');
      // The password reset page: asking for a link, then a link that does not work.
      await page.goto(`${mail.url}/reset-password`);
      await page.getByLabel('Email').fill('someone@example.com');
      await page.getByRole('button', { name: 'Send the link' }).click();
      await page.getByText(/an e-mail with a link is on its way/).waitFor();
      watcher.expected = [/status of 400/];
      await page.goto(`${mail.url}/reset-password#token=${'0'.repeat(64)}`);
      await page.getByLabel('New password', { exact: true }).fill('a new password 1234');
      assert.ok(!page.url().includes('token='), 'the token leaves the address bar');
      await page.getByLabel('New password, again').fill('a new password 1234');
      await page.getByRole('button', { name: 'Set the password' }).click();
      await page.getByText(/used already or has expired/).waitFor();
      await shot(page, 'reset-password');
      await page.close();
    } finally {
      await ctx.close();
      await stopChild(mail.child);
      rmSync(mailDir, { recursive: true, force: true });
    }
  });

  it('raised no dialog, page error, console error or CSP violation', () => {
    assert.deepEqual(watcher.problems, []);
  });
});
