// What the browser tests (test_pages.mjs, test_admin.mjs) share: Chromium's
// flags, the REST call, a parleyd started for a test, and a Watcher that
// records what a page must never do (console errors, page errors, CSP
// violations, dialogs) and runs axe-core on a page.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// axe-core's browser bundle, evaluated in the page over the DevTools
// protocol (the pages' CSP allows no injected <script>).
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A REST call to base: {status, body (parsed JSON or null), headers}. */
export async function apiCall(base, method, p, token, body) {
  const headers = {};
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10000) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/**
 * Starts parleyd with args; resolves with {child, url} once it prints its
 * address. Its output is appended to log.text (for the failure message).
 */
export function spawnParleyd(parleyd, args, log) {
  return new Promise((resolve, reject) => {
    const child = spawn(parleyd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => reject(new Error('parleyd did not print its address within 20 s:\n' + log.text)), 20000);
    let buf = '';
    child.stdout.on('data', (d) => {
      log.text += d;
      buf += d;
      const m = buf.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve({ child, url: m[1] }); }
    });
    child.stderr.on('data', (d) => { log.text += d; });
    child.on('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`parleyd exited early (${code ?? sig}):\n${log.text}`)); });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

/** Records what pages must not do; runs axe-core. */
export class Watcher {
  constructor() {
    this.problems = []; // console errors, page errors, CSP violations, dialogs
    this.expected = []; // console errors a step provokes on purpose (each allowed once)
    this.tolerated = null; // console errors allowed any number of times while set
  }

  /** Watches a page (named `who` in the problems). */
  watch(page, who) {
    page.on('dialog', async (d) => {
      this.problems.push(`${who}: dialog fired: ${d.type()} ${d.message()}`);
      await d.dismiss().catch(() => {});
    });
    page.on('pageerror', (e) => this.problems.push(`${who}: page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      if (this.tolerated && this.tolerated.test(m.text())) return;
      const i = this.expected.findIndex((re) => re.test(m.text()));
      if (i >= 0) this.expected.splice(i, 1);
      else this.problems.push(`${who}: console error: ${m.text()}`);
    });
  }

  /**
   * Runs axe-core (its default rules: WCAG 2.0-2.2 A/AA and best practices)
   * on the page as it is and fails on any serious or critical violation,
   * and on the rules in `named` whatever their impact.
   */
  async assertAccessible(page, what, named = []) {
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE + '\n;0');
    // axe adds <style> elements of its own while it runs, which the CSP
    // blocks (and the page reports): those reports are allowed meanwhile.
    const before = this.tolerated;
    this.tolerated = /Applying inline style violates|CSP violation: style-src(-elem|-attr)? blocked inline/;
    let result;
    try {
      result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
      await page.evaluate(() => new Promise((r) => { setTimeout(r, 50); })); // reports come as tasks
    } finally {
      this.tolerated = before;
    }
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical' || named.includes(v.id));
    const text = bad.map((v) => `${v.impact} ${v.id}: ${v.help}\n` + v.nodes.slice(0, 5)
      .map((n) => `    ${n.target.join(' ')}: ${n.failureSummary.split('\n').slice(1).join(' ')}`).join('\n')).join('\n');
    assert.equal(bad.length, 0, `axe-core on ${what}:\n${text}`);
    assert.ok(result.passes.length > 10, `axe-core ran its rules on ${what}`);
  }
}

/** `parleyd admin create` of admin {email, name, password} in dir. */
export function createAdmin(parleyd, dir, admin) {
  const created = spawnSync(parleyd, ['admin', 'create', '--data-dir', dir, '--email', admin.email,
    '--name', admin.name, '--password', admin.password, '--password-memlimit-kib', '19456'],
  { encoding: 'utf8', timeout: 60000 });
  assert.equal(created.status, 0, `admin create failed: ${created.stdout}${created.stderr}${created.error || ''}`);
}

/** Stops a server a test started: SIGTERM, SIGKILL after 10 s; resolves with {code, sig} (none when it had ended). */
export function stopChild(child) {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
    const kill = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.once('exit', (code, sig) => { clearTimeout(kill); resolve({ code, sig }); });
    child.kill('SIGTERM');
  });
}
