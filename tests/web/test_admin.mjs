// Browser test of the console's admin area (web/console/admin*.js) against
// a real parleyd, in Debian's Chromium driven by playwright-core: an admin
// makes a team and an agent in it, a canned response an agent then uses in
// a conversation, a label, edits the bot's greeting (a new customer sees it
// in the widget) and the routing settings, reads the audit log of those
// changes filtered by action and actor, and reviews a message the spam
// filter refused; validation messages show beside their field; an agent
// sees no Admin tab and loads none of its modules; axe-core on each page.
//
//   cd tests/web && npm ci && PARLEYD=/path/to/parleyd node --test test_admin.mjs
//
// Environment: PARLEYD (required), CHROMIUM (default /usr/bin/chromium),
// PARLEY_WEB_SHOTS (screenshots, default /tmp).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, Watcher, apiCall, createAdmin, spawnParleyd, stopChild } from './harness.mjs';

const PARLEYD = process.env.PARLEYD;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.PARLEY_WEB_SHOTS || '/tmp';
const WEB_DIR = path.join(fileURLToPath(new URL('../..', import.meta.url)), 'web');
const STEP_MS = 15000;

const ADMIN = { email: 'ada@example.com', name: 'Ada Admin', password: 'ada admin password 1' };
const ERIN = { email: 'erin@example.com', name: 'Erin <b>Agent</b>', password: 'erin agent password' };
const TEAM = { name: 'Road <i>bikes</i>', topics: 'road, racing' };
const CANNED = { shortcode: 'tyres', title: 'Tyre pressure', content: 'Road tyres like 6 to 8 bar; check them weekly.' };
const GREETING = 'Welcome to {company}! Type {handoff_keyword} for a person.';
const COMPANY = 'Velo <b>Works</b>';
const SPAMMY = 'Cheap deals http://a.example/1 http://b.example/2 http://c.example/3';

const skip = !PARLEYD ? 'PARLEYD is not set (path to the parleyd binary)' : false;

let dataDir;
let server;
const serverLog = { text: '' };
let base;
let browser;
let ctx;
let page;
let adminToken;
let adminId;
let erinId;
let teamId;
const watcher = new Watcher();

const api = (method, p, token, body) => apiCall(base, method, p, token, body);
const watch = (p, who) => watcher.watch(p, who);
const assertAccessible = (p, what) => watcher.assertAccessible(p, what);

function shot(p, name) {
  return p.screenshot({ path: path.join(SHOTS, `parley-web-admin-${name}.png`), fullPage: false });
}

function startServer() {
  // The spam filter on for every session, so a refused message waits for review.
  return spawnParleyd(PARLEYD, ['--listen', '127.0.0.1:0', '--data-dir', dataDir, '--web-dir', WEB_DIR,
    '--password-memlimit-kib', '19456', '--default-strategies', '[{"name":"spam"}]'], serverLog);
}

async function newContext() {
  const c = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  c.setDefaultTimeout(STEP_MS);
  await c.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`);
    });
  });
  return c;
}

async function signIn(p, who) {
  await p.goto(base + '/console');
  await p.getByLabel('Email').fill(who.email);
  await p.getByLabel('Password').fill(who.password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.locator('#me', { hasText: who.name }).waitFor();
}

/** Opens admin page `title` from the admin navigation. */
async function openAdmin(title, hash) {
  await page.getByRole('navigation', { name: 'Admin pages' }).getByRole('link', { name: title }).click();
  await page.waitForURL(new RegExp(`#/admin/${hash}$`));
  await page.getByRole('heading', { level: 2, name: new RegExp(title.split(' ')[0]) }).first().waitFor();
}

describe('the console\'s admin area in Chromium', { skip, timeout: 300000 }, () => {
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found (apt-get install chromium)`);
    dataDir = mkdtempSync(path.join(tmpdir(), 'parley-web-admin-'));
    createAdmin(PARLEYD, dataDir, ADMIN);
    const started = await startServer();
    server = started.child;
    server.removeAllListeners('exit');
    base = started.url;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30000 });
    ctx = await newContext();
    page = await ctx.newPage();
    watch(page, 'admin');
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    await stopChild(server);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    assert.deepEqual(watcher.problems, [], 'no console errors, page errors, CSP violations or dialogs');
  });

  it('gives an admin an Admin tab whose pages make a team and an agent in it', async () => {
    await signIn(page, ADMIN);
    const stored = await page.evaluate(() => JSON.parse(sessionStorage.getItem('parley.console.v1')));
    adminToken = stored.token;
    adminId = stored.agent.id;
    await page.getByRole('tab', { name: 'Admin' }).click();
    await page.waitForURL(/#\/admin\/agents$/);
    await page.locator('#agents-admin-rows tr', { hasText: ADMIN.email }).waitFor();

    await openAdmin('Teams', 'teams');
    await page.getByText('No teams yet.').waitFor();
    const create = page.locator('#team-create');
    // An empty name: the server's message beside the name field (Chromium logs the 400).
    watcher.expected = [/status of 400/];
    await create.getByRole('button', { name: 'Add team' }).click();
    const nameError = page.locator('#new-team-name-error');
    await nameError.waitFor();
    assert.match(await nameError.textContent(), /^name:/);
    assert.equal(await page.locator('#new-team-name').getAttribute('aria-invalid'), 'true');
    await create.getByLabel('Team name').fill(TEAM.name);
    await create.getByLabel('Topics').fill(TEAM.topics);
    await create.getByRole('button', { name: 'Add team' }).click();
    const card = page.locator('.team-card', { hasText: 'Members (0)' });
    await card.waitFor();
    assert.ok(await nameError.isHidden(), 'the error goes once the form is sent again');
    assert.equal(await card.locator('h3').first().textContent(), TEAM.name, 'the name stays text');
    assert.equal(await page.locator('#team-cards i').count(), 0);
    const teams = await api('GET', '/api/v1/teams', adminToken);
    assert.equal(teams.body.teams.length, 1);
    teamId = teams.body.teams[0].id;
    assert.deepEqual(teams.body.teams[0].topics, ['road', 'racing']);
    // Renamed in its card: saved, and the card shows it.
    await card.getByLabel('Name', { exact: true }).fill(TEAM.name + ' team');
    await card.getByRole('button', { name: /^Save team/ }).click();
    await page.locator('.team-card h3', { hasText: TEAM.name + ' team' }).waitFor();
    assert.equal((await api('GET', `/api/v1/teams/${teamId}`, adminToken)).body.name, TEAM.name + ' team');
    await assertAccessible(page, 'the teams page');
    await shot(page, 'teams');

    // Agents: Erin, put in the team as she is made.
    await openAdmin('Agents', 'agents');
    const form = page.locator('#agent-create');
    await form.getByLabel('Name', { exact: true }).fill(ERIN.name);
    await form.getByLabel('Email', { exact: true }).fill(ERIN.email);
    await form.getByLabel('Password', { exact: true }).fill(ERIN.password);
    await form.getByLabel('Team').selectOption({ label: TEAM.name + ' team' });
    await form.getByRole('button', { name: 'Add agent' }).click();
    const row = page.locator('#agents-admin-rows tr', { hasText: ERIN.email });
    await row.waitFor();
    await row.locator('.agent-teams', { hasText: TEAM.name + ' team' }).waitFor();
    assert.equal(await page.locator('#agents-admin-rows b').count(), 0, 'names stay text');
    erinId = (await api('GET', '/api/v1/agents', adminToken)).body.agents.find((a) => a.email === ERIN.email).id;
    assert.deepEqual((await api('GET', `/api/v1/teams/${teamId}`, adminToken)).body.agent_ids, [erinId]);
    await assertAccessible(page, 'the agents page');

    // The team's card lists her; removed and added back from there.
    await openAdmin('Teams', 'teams');
    const members = page.getByRole('list', { name: `Members of ${TEAM.name} team` });
    await members.getByText(ERIN.name, { exact: true }).waitFor();
    await members.getByRole('button', { name: `Remove ${ERIN.name} from ${TEAM.name} team` }).click();
    await page.locator('.team-card', { hasText: 'Members (0)' }).waitFor();
    assert.deepEqual((await api('GET', `/api/v1/teams/${teamId}`, adminToken)).body.agent_ids, []);
    await page.getByLabel(`Agent to add to ${TEAM.name} team`).selectOption(erinId);
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.locator('.team-card', { hasText: 'Members (1)' }).waitFor();
    assert.deepEqual((await api('GET', `/api/v1/teams/${teamId}`, adminToken)).body.agent_ids, [erinId]);
  });

  it('makes a canned response that an agent inserts in a conversation, and a label', async () => {
    await openAdmin('Canned responses', 'canned');
    const form = page.locator('#canned-create');
    // A shortcode with capitals and a space: refused beside the shortcode field.
    watcher.expected = [/status of 400/];
    await form.getByLabel('Shortcode').fill('Tyre Info');
    await form.getByLabel('Title').fill(CANNED.title);
    await form.getByLabel('Text').fill(CANNED.content);
    await form.getByRole('button', { name: 'Add canned response' }).click();
    const scError = page.locator('#new-canned-shortcode-error');
    await scError.waitFor();
    assert.match(await scError.textContent(), /^shortcode:/);
    await form.getByLabel('Shortcode').fill(CANNED.shortcode);
    await form.getByRole('button', { name: 'Add canned response' }).click();
    const card = page.locator('.canned-card', { hasText: '/' + CANNED.shortcode });
    await card.waitFor();
    assert.equal(await card.getByLabel('Text').inputValue(), CANNED.content);
    const listed = await api('GET', '/api/v1/canned-responses', adminToken);
    assert.equal(listed.body.canned_responses.length, 1);
    assert.equal(listed.body.canned_responses[0].owner, null, 'team-wide by default');
    // The same shortcode again: the conflict beside the shortcode, nothing made.
    watcher.expected = [/status of 409/];
    await form.getByLabel('Shortcode').fill(CANNED.shortcode);
    await form.getByLabel('Title').fill('Again');
    await form.getByLabel('Text').fill('Again');
    await form.getByRole('button', { name: 'Add canned response' }).click();
    await page.locator('#new-canned-shortcode-error', { hasText: /^shortcode:/ }).waitFor();
    assert.equal((await api('GET', '/api/v1/canned-responses', adminToken)).body.canned_responses.length, 1);
    await assertAccessible(page, 'the canned responses page');
    await shot(page, 'canned');

    // Labels: one with a colour; its chip shows it.
    await openAdmin('Labels', 'labels');
    const lform = page.locator('#label-create');
    await lform.getByLabel('Label name').fill('warranty');
    await lform.getByLabel('Colour').fill('#0f766e');
    await page.locator('#new-label-preview .label-chip', { hasText: 'warranty' }).waitFor();
    await lform.getByRole('button', { name: 'Add label' }).click();
    const chip = page.locator('#label-rows .label-chip', { hasText: 'warranty' });
    await chip.waitFor();
    assert.equal(await chip.evaluate((n) => getComputedStyle(n).backgroundColor), 'rgb(15, 118, 110)');
    assert.equal((await api('GET', '/api/v1/labels', adminToken)).body.labels[0].color.toLowerCase(), '#0f766e');
    // Recoloured in its row: saved, and the chip follows.
    await page.getByLabel('Colour of warranty', { exact: true }).fill('#b45309');
    await page.getByRole('button', { name: 'Save colour of warranty' }).click();
    await page.waitForFunction(() => getComputedStyle(document.querySelector('#label-rows .label-chip')).backgroundColor === 'rgb(180, 83, 9)');
    assert.equal((await api('GET', '/api/v1/labels', adminToken)).body.labels[0].color.toLowerCase(), '#b45309');
    await assertAccessible(page, 'the labels page');

    // Erin, in her own browser, answers a customer with it.
    const cust = await api('POST', '/api/v1/customers', null, { name: 'Gus Rider' });
    const session = await api('POST', '/api/v1/sessions', cust.body.token, { topic: 'How hard should my tyres be?' });
    assert.equal(session.status, 201, JSON.stringify(session.body));
    const ectx = await newContext();
    try {
      const erin = await ectx.newPage();
      watch(erin, 'agent Erin');
      await signIn(erin, ERIN);
      await erin.locator('.session-item', { hasText: 'How hard should my tyres be?' }).click();
      await erin.getByRole('heading', { level: 2, name: 'How hard should my tyres be?' }).waitFor();
      const reply = erin.getByLabel('Reply', { exact: true });
      await reply.fill('/tyr');
      await erin.getByRole('option', { name: new RegExp('/' + CANNED.shortcode) }).waitFor();
      await reply.press('Enter');
      assert.equal(await reply.inputValue(), CANNED.content);
      await reply.press('Enter');
      await erin.locator('.msg--own[data-seq]', { hasText: CANNED.content }).waitFor();
      const msgs = await api('GET', `/api/v1/sessions/${session.body.id}/messages?after_seq=0&limit=50`, adminToken);
      assert.ok(msgs.body.messages.some((m) => m.content === CANNED.content && m.sender.id === erinId), 'the canned text was sent by Erin');
    } finally {
      await ectx.close();
    }
  });

  it('edits the bot\'s greeting with a live preview, and a new customer sees it in the widget', async () => {
    await openAdmin('Bot and hours', 'bot');
    const form = page.locator('#bot-form');
    await form.getByLabel('The bot greets and answers new chats').check();
    await form.getByLabel('Company name').fill(COMPANY);
    await form.getByLabel('Greeting').fill(GREETING);
    await form.getByLabel('Handoff keyword').fill('agent');
    // The preview follows the form before anything is saved, markup as text.
    const filled = `Welcome to ${COMPANY}! Type agent for a person.`;
    await page.locator('#wp-greeting', { hasText: filled }).waitFor();
    assert.equal(await page.locator('.widget-preview b').count(), 0);
    assert.equal((await api('GET', '/api/v1/settings', adminToken)).body.settings['bot.enabled'], false, 'not saved yet');

    // Out of range and a wrong time zone: each beside its own field.
    watcher.expected = [/status of 400/, /status of 400/];
    await form.getByLabel('Confidence needed to answer (%)').fill('500');
    await form.getByRole('button', { name: 'Save bot and hours' }).click();
    await page.locator('#set-bot-min-confidence-error', { hasText: 'bot.min_confidence: must be an integer in 1..100' }).waitFor();
    await form.getByLabel('Confidence needed to answer (%)').fill('20');
    await form.getByLabel('Open around the clock').uncheck();
    await form.getByLabel('Time zone').fill('Mars/Olympus');
    await form.getByRole('button', { name: 'Save bot and hours' }).click();
    await page.locator('#bh-timezone-error', { hasText: 'not a known time zone' }).waitFor();
    assert.ok(await page.locator('#set-bot-min-confidence-error').isHidden());
    // Closing before opening: refused in the page, nothing sent.
    await form.getByLabel('Time zone').fill('UTC');
    await form.getByLabel('Monday open').check();
    await form.getByLabel('Monday from').fill('18:00');
    await form.getByLabel('Monday to').fill('09:00');
    await form.getByRole('button', { name: 'Save bot and hours' }).click();
    await page.locator('#bh-days-error', { hasText: 'Monday: the closing time must be after the opening time.' }).waitFor();
    // Every day open around the clock in UTC, so the away message does not interfere.
    await form.getByLabel('Open around the clock').check();
    await form.getByRole('button', { name: 'Save bot and hours' }).click();
    await page.getByRole('status').filter({ hasText: 'Bot and hours saved.' }).waitFor();
    const settings = (await api('GET', '/api/v1/settings', adminToken)).body.settings;
    assert.equal(settings['bot.enabled'], true);
    assert.equal(settings['bot.greeting'], GREETING);
    assert.equal(settings['desk.company_name'], COMPANY);
    assert.equal(settings['bot.handoff_keyword'], 'agent');
    assert.deepEqual(settings['bot.business_hours'], {});
    await assertAccessible(page, 'the bot page');
    await shot(page, 'bot');

    // Reloaded, the page shows what was saved.
    await page.reload();
    await page.locator('#bot-form').waitFor();
    assert.equal(await page.getByLabel('Greeting').inputValue(), GREETING);
    assert.ok(await page.getByLabel('The bot greets and answers new chats').isChecked());

    // A new customer sees it in the widget, markup as text.
    const cctx = await newContext();
    try {
      const cust = await cctx.newPage();
      watch(cust, 'customer');
      await cust.goto(base + '/demo');
      await cust.getByRole('button', { name: 'Open chat' }).click();
      const panel = cust.getByRole('dialog', { name: 'Acme Bikes support' });
      await panel.getByLabel('Your name').fill('Hana Rider');
      await panel.getByLabel('How can we help?').fill('Do you fit road tyres?');
      await panel.getByRole('button', { name: 'Start chat' }).click();
      const greeting = cust.locator('.parley-msg--bot[data-seq]', { hasText: filled });
      await greeting.waitFor();
      assert.equal(await cust.locator('.parley-msg--bot b').count(), 0, 'the company name stays text');
      await shot(cust, 'widget-greeting');
    } finally {
      await cctx.close();
    }
  });

  it('saves routing and lifecycle settings, shown again after a reload', async () => {
    await openAdmin('Routing and lifecycle', 'routing');
    await page.getByLabel('Routing mode').selectOption('least_busy');
    await page.getByLabel('Chats per agent (capacity)').fill('3');
    await page.getByRole('button', { name: 'Save routing' }).click();
    await page.getByRole('status').filter({ hasText: 'Routing saved.' }).waitFor();
    watcher.expected = [/status of 400/];
    await page.getByLabel('Close idle chats after (seconds)').fill('-5');
    await page.getByRole('button', { name: 'Save session lifecycle' }).click();
    await page.locator('#set-sessions-auto-close-idle-seconds-error', { hasText: 'must be an integer in 0..31536000' }).waitFor();
    await page.getByLabel('Close idle chats after (seconds)').fill('3600');
    await page.getByRole('button', { name: 'Save session lifecycle' }).click();
    await page.getByRole('status').filter({ hasText: 'Session lifecycle saved.' }).waitFor();
    const s = (await api('GET', '/api/v1/settings', adminToken)).body.settings;
    assert.equal(s['routing.mode'], 'least_busy');
    assert.equal(s['routing.agent_capacity'], 3);
    assert.equal(s['sessions.auto_close_idle_seconds'], 3600);
    await page.reload();
    await page.locator('#routing-form').waitFor();
    assert.equal(await page.getByLabel('Routing mode').inputValue(), 'least_busy');
    assert.equal(await page.getByLabel('Chats per agent (capacity)').inputValue(), '3');
    await assertAccessible(page, 'the routing page');
  });

  it('shows the audit log of those changes, filtered by action and by actor', async () => {
    await openAdmin('Audit log', 'audit');
    const rows = page.locator('#audit-rows tr');
    await rows.first().waitFor();
    await page.getByLabel('Action', { exact: true }).selectOption('team.create');
    await page.locator('#audit-rows tr[data-action="team.create"]').waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('#audit-rows tr')].every((r) => r.dataset.action === 'team.create'));
    assert.equal(await rows.count(), 1);
    assert.equal(await rows.first().locator('td').nth(1).textContent(), ADMIN.name);
    assert.equal(await rows.first().locator('td').nth(3).textContent(), teamId);
    await page.getByLabel('Action', { exact: true }).selectOption('settings.update');
    await page.waitForFunction(() => { const r = [...document.querySelectorAll('#audit-rows tr')]; return r.length && r.every((x) => x.dataset.action === 'settings.update'); });
    const details = await rows.locator('td.audit-detail').allTextContents();
    assert.ok(details.some((d) => d.includes('"bot.greeting"') && d.includes('{company}')), 'the greeting change is logged');
    assert.ok(details.some((d) => d.includes('"routing.agent_capacity":3')), 'the routing change is logged');
    // By actor: Erin signed in (login), Ada made everything else.
    await page.getByLabel('Action', { exact: true }).selectOption('');
    await page.getByLabel('Actor', { exact: true }).selectOption(erinId);
    const byErin = await api('GET', `/api/v1/audit?actor=${erinId}`, adminToken);
    assert.ok(byErin.body.entries.some((e) => e.action === 'login'), JSON.stringify(byErin.body));
    assert.ok(byErin.body.entries.every((e) => e.actor.id === erinId));
    const erinName = ERIN.name;
    await page.waitForFunction((n) => { const r = [...document.querySelectorAll('#audit-rows tr')]; return r.length === n; }, byErin.body.entries.length);
    assert.deepEqual(new Set(await rows.locator('td:nth-child(2)').allTextContents()), new Set([erinName]));
    await page.getByLabel('Action', { exact: true }).selectOption('team.member_add');
    await page.getByLabel('Actor', { exact: true }).selectOption(adminId);
    await page.waitForFunction(() => { const r = [...document.querySelectorAll('#audit-rows tr')]; return r.length === 2 && r.every((x) => x.dataset.action === 'team.member_add'); });
    await assertAccessible(page, 'the audit log');
    await shot(page, 'audit');
  });

  it('reviews a message the spam filter refused', async () => {
    const cust = await api('POST', '/api/v1/customers', null, { name: 'Spam Bot' });
    const session = await api('POST', '/api/v1/sessions', cust.body.token, { topic: 'Offers' });
    const sent = await api('POST', `/api/v1/sessions/${session.body.id}/messages`, cust.body.token, { content: SPAMMY, client_msg_id: 's1' });
    assert.equal(sent.status, 422, JSON.stringify(sent.body));
    await openAdmin('Flagged messages', 'flagged');
    const row = page.locator('#flagged-rows tr', { hasText: SPAMMY });
    await row.waitFor();
    assert.equal(await row.locator('.flagged-reviewed').textContent(), 'Not yet');
    await row.getByRole('button', { name: /^Confirm spam/ }).click();
    await row.locator('.flagged-reviewed', { hasText: 'Spam' }).waitFor();
    assert.ok(await row.getByRole('button', { name: /^Confirm spam/ }).isDisabled());
    const flagged = await api('GET', '/api/v1/flagged', adminToken);
    assert.equal(flagged.body.messages.find((m) => m.content === SPAMMY).reviewed_as, 'spam');
    await assertAccessible(page, 'the flagged messages page');
  });

  it('filters the reports by team', async () => {
    // One chat whose topic routes it to the team, beside the others of today.
    const cust = await api('POST', '/api/v1/customers', null, { name: 'Ivy Rider' });
    const s = await api('POST', '/api/v1/sessions', cust.body.token, { topic: 'racing' });
    assert.equal(s.body.team_id, teamId);
    const asked = [];
    page.on('request', (r) => { if (r.url().includes('/api/v1/reports/volume')) asked.push(r.url()); });
    await page.getByRole('tab', { name: 'Reports' }).click();
    await page.waitForURL(/#\/reports$/);
    // every chat of today without a filter (the team's one and three others)
    await page.waitForFunction(() => [...document.querySelectorAll('#report-volume svg .chart-bar')]
      .reduce((t, c) => t + Number(c.dataset.value), 0) >= 4);
    await page.locator('#report-filters').getByLabel('Team', { exact: true }).selectOption({ label: TEAM.name + ' team' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForFunction(() => [...document.querySelectorAll('#report-volume svg .chart-bar')]
      .reduce((t, c) => t + Number(c.dataset.value), 0) === 1);
    assert.ok(asked.some((u) => new URL(u).searchParams.get('team_id') === teamId), 'the team goes to the API');
    await assertAccessible(page, 'the reports page with the team filter');
  });

  it('keeps the admin area from an agent', async () => {
    const actx = await newContext();
    try {
      const p = await actx.newPage();
      watch(p, 'agent Erin (admin area)');
      const fetched = [];
      p.on('request', (r) => fetched.push(new URL(r.url()).pathname));
      await signIn(p, ERIN);
      await p.getByRole('tab', { name: 'Tickets' }).waitFor();
      assert.equal(await p.getByRole('tab', { name: 'Admin' }).count(), 0, 'an agent sees no Admin tab');
      await p.goto(base + '/console#/admin/teams');
      await p.getByText('Only admins see the admin area.').waitFor();
      assert.equal(await p.locator('.admin-nav').count(), 0);
      assert.ok(!fetched.some((f) => /\/console\/admin/.test(f)), 'no admin module is fetched for an agent: ' + fetched.filter((f) => /admin/.test(f)));
      const token = await p.evaluate(() => JSON.parse(sessionStorage.getItem('parley.console.v1')).token);
      assert.equal((await api('GET', '/api/v1/audit', token)).status, 403);
      assert.equal((await api('POST', '/api/v1/teams', token, { name: 'Mine' })).status, 403);
      assert.equal((await api('PATCH', '/api/v1/settings', token, { 'routing.agent_capacity': 9 })).status, 403);
    } finally {
      await actx.close();
    }
  });
});
