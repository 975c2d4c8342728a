// Browser test of the web push subscribe flow (docs/subsystems/notifications.md,
// "Web push") against a real parleyd, in Debian's Chromium driven by
// playwright-core: the console's account page registers /sw.js (served as
// JavaScript under the pages' CSP), asks for permission on the click, and
// posts a valid subscription (a real P-256 key made by the page's WebCrypto)
// made for the server's VAPID key; turning it off deletes it.
//
// Headless Chromium's own pushManager.subscribe needs Google's push service
// (no network here), so the page's PushManager is replaced, over the
// DevTools protocol, by one that returns such a subscription; everything
// else (service worker, permission, the page's modules, the API) is real.
//
//   cd tests/web && npm ci && PARLEYD=/path/to/parleyd node --test test_push.mjs

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const PARLEYD = process.env.PARLEYD;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WEB_DIR = path.join(fileURLToPath(new URL('../..', import.meta.url)), 'web');
const ADMIN = { email: 'pat@example.com', name: 'Pat Admin', password: 'push test password 1' };
const ENDPOINT = 'http://127.0.0.1:9/push/chromium-test';

const skip = !PARLEYD ? 'PARLEYD is not set (path to the parleyd binary)' : false;

describe('web push subscribe flow in Chromium', { skip, timeout: 120000 }, () => {
  let dir;
  let child;
  let base;
  let browser;
  let log = '';
  const problems = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found`);
    dir = mkdtempSync(path.join(tmpdir(), 'parley-push-web-'));
    const created = spawnSync(PARLEYD, ['admin', 'create', '--data-dir', dir, '--email', ADMIN.email,
      '--name', ADMIN.name, '--password', ADMIN.password, '--password-memlimit-kib', '19456'],
    { encoding: 'utf8', timeout: 60000 });
    assert.equal(created.status, 0, created.stderr);
    child = spawn(PARLEYD, ['--listen', '127.0.0.1:0', '--data-dir', dir, '--web-dir', WEB_DIR,
      '--password-memlimit-kib', '19456', '--push-allow-private', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    base = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('parleyd did not start:\n' + log)), 20000);
      child.stdout.on('data', (d) => {
        log += d;
        const m = log.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      child.stderr.on('data', (d) => { log += d; });
      child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`parleyd exited (${code}):\n${log}`)); });
    });
    browser = await chromium.launch({ executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  });

  after(async () => {
    if (browser) await browser.close();
    if (child && child.exitCode === null) {
      child.removeAllListeners('exit');
      await new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); });
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('subscribes from the account page with the server\'s key, and unsubscribes', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await ctx.grantPermissions(['notifications'], { origin: base });
    ctx.setDefaultTimeout(15000);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    page.on('console', (m) => { if (m.type() === 'error') problems.push('console error: ' + m.text()); });
    const calls = [];
    page.on('response', async (res) => {
      if (!res.url().includes('/api/v1/push/')) return;
      const req = res.request();
      calls.push({ method: req.method(), path: new URL(res.url()).pathname, status: res.status(), body: req.postData() });
    });

    await page.goto(base + '/console');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: /Sign in/ }).click();
    await page.getByRole('tab', { name: 'Your account' }).click();
    await page.getByRole('heading', { name: 'Browser notifications' }).waitFor();
    await page.getByText('Off for this browser.').waitFor();

    // The stand-in push service: a subscription with a real P-256 key.
    await page.evaluate(async (endpoint) => {
      const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
      const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
      const b64 = (u) => btoa(String.fromCharCode(...u)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      const auth = crypto.getRandomValues(new Uint8Array(16));
      let current = null;
      PushManager.prototype.subscribe = async function subscribe(options) {
        if (!options.userVisibleOnly) throw new Error('userVisibleOnly must be true');
        const key = new Uint8Array(options.applicationServerKey);
        window.parleyTestServerKey = b64(key);
        current = {
          endpoint,
          options: { applicationServerKey: key.buffer },
          toJSON() { return { endpoint, expirationTime: null, keys: { p256dh: b64(raw), auth: b64(auth) } }; },
          async unsubscribe() { current = null; return true; },
        };
        return current;
      };
      PushManager.prototype.getSubscription = async function getSubscription() { return current; };
    }, ENDPOINT);

    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByText('On for this browser.').waitFor();

    // the service worker is the site's /sw.js, scope the whole origin
    const sw = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration('/');
      const w = reg && (reg.active || reg.waiting || reg.installing);
      return reg ? { scope: reg.scope, script: w && w.scriptURL } : null;
    });
    assert.deepEqual(sw, { scope: base + '/', script: base + '/sw.js' });
    const served = await fetch(base + '/sw.js');
    assert.match(served.headers.get('content-type'), /^text\/javascript/);

    // the page subscribed with the server's key and posted a valid subscription
    const keyRes = await (await fetch(base + '/api/v1/push/vapid-public-key')).json();
    assert.equal(await page.evaluate(() => window.parleyTestServerKey), keyRes.public_key);
    const post = calls.find((c) => c.method === 'POST' && c.path === '/api/v1/push/subscriptions');
    assert.ok(post, 'POST /api/v1/push/subscriptions: ' + JSON.stringify(calls));
    assert.equal(post.status, 201);
    const sent = JSON.parse(post.body);
    assert.equal(sent.endpoint, ENDPOINT);
    assert.match(sent.keys.p256dh, /^[A-Za-z0-9_-]{87}$/);
    assert.match(sent.keys.auth, /^[A-Za-z0-9_-]{22}$/);

    await page.getByRole('button', { name: 'Turn off' }).click();
    await page.getByText('Off for this browser.').waitFor();
    const del = calls.find((c) => c.method === 'DELETE' && c.path === '/api/v1/push/subscriptions');
    assert.ok(del, 'DELETE /api/v1/push/subscriptions: ' + JSON.stringify(calls));
    assert.equal(del.status, 204);
    assert.deepEqual(JSON.parse(del.body), { endpoint: ENDPOINT });
    await ctx.close();
    assert.deepEqual(problems, []);
  });
});
