// Parley browser client helpers shared by the customer widget and the agent
// console: a small REST wrapper and a self-healing WebSocket.
// Plain ES module, no dependencies, no build step.

/** An error answered by the API: `{error: {code, message}}` plus the HTTP status. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || 'http_' + status;
    this.retryAfter = retryAfter; // seconds, for 429
  }
}

/**
 * Calls the REST API. Resolves with the parsed JSON body (null for 204),
 * rejects with ApiError on a non-2xx answer and with a plain Error when the
 * server cannot be reached.
 */
export async function apiRequest(base, token, method, path, body) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  const init = { method, headers, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(new URL(path, base), init);
  } catch (e) {
    throw new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection.');
  }
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = null; }
  }
  if (!res.ok) {
    const err = data && data.error ? data.error : {};
    const ra = Number(res.headers.get('Retry-After'));
    throw new ApiError(res.status, err.code, err.message, Number.isFinite(ra) ? ra : undefined);
  }
  return data;
}

/** A random UUID; falls back to getRandomValues outside secure contexts. */
export function newClientMsgId() {
  if (globalThis.crypto && typeof crypto.randomUUID === 'function') {
    try { return crypto.randomUUID(); } catch (e) { /* insecure context */ }
  }
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The WebSocket URL of the API next to `base` (http→ws, https→wss). */
export function wsUrl(base, token) {
  const u = new URL('/api/v1/ws', base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.searchParams.set('token', token);
  return u.toString();
}

/**
 * A WebSocket that reconnects with exponential backoff (0.5 s doubling to
 * 30 s, with jitter), sends an application ping when idle and treats a
 * missing pong as a dead connection.
 *
 * options:
 *   url()          → the URL to connect to (asked again on every attempt)
 *   onOpen()       → connected (re-subscribe here)
 *   onMessage(obj) → one parsed server frame
 *   onStatus(s)    → {state: 'connecting'|'open'|'waiting'|'stopped', retryInMs?, attempt}
 *   onFailure(n)   → called after n consecutive attempts that never opened
 */
export class ParleySocket {
  constructor(options) {
    this.opts = options;
    this.ws = null;
    this.attempt = 0;
    this.failedOpens = 0;
    this.stopped = true;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.lastFrameAt = 0;
    this._onOnline = () => this.reconnectNow();
    this._onVisible = () => {
      if (document.visibilityState === 'visible' && !this.isOpen()) this.reconnectNow();
    };
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this._onOnline);
    document.addEventListener('visibilitychange', this._onVisible);
    this._connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this._onOnline);
    document.removeEventListener('visibilitychange', this._onVisible);
    clearTimeout(this.retryTimer);
    this._clearPing();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try { ws.close(1000, 'bye'); } catch (e) { /* ignore */ }
    }
    this._status({ state: 'stopped' });
  }

  isOpen() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends one JSON frame; returns false when not connected. */
  send(obj) {
    if (!this.isOpen()) return false;
    try {
      this.ws.send(JSON.stringify(obj));
      return true;
    } catch (e) {
      return false;
    }
  }

  /** Skip the backoff wait (e.g. the browser came back online). */
  reconnectNow() {
    if (this.stopped || this.isOpen()) return;
    if (this.ws && this.ws.readyState === WebSocket.CONNECTING) return;
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this._connect();
  }

  _status(s) {
    if (this.opts.onStatus) this.opts.onStatus(s);
  }

  _connect() {
    if (this.stopped) return;
    this._status({ state: 'connecting', attempt: this.attempt });
    let ws;
    try {
      ws = new WebSocket(this.opts.url());
    } catch (e) {
      this._scheduleRetry(false);
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.failedOpens = 0;
      this.lastFrameAt = Date.now();
      this._startPing();
      this._status({ state: 'open' });
      if (this.opts.onOpen) this.opts.onOpen();
    };
    ws.onmessage = (ev) => {
      this.lastFrameAt = Date.now();
      clearTimeout(this.pongTimer);
      this.pongTimer = null;
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (!msg || typeof msg !== 'object') return;
      if (msg.type === 'pong') return;
      if (this.opts.onMessage) this.opts.onMessage(msg);
    };
    ws.onerror = () => { /* onclose follows */ };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this._clearPing();
      this._scheduleRetry(opened);
    };
  }

  _scheduleRetry(wasOpen) {
    if (this.stopped) return;
    if (!wasOpen) {
      this.failedOpens += 1;
      if (this.opts.onFailure) this.opts.onFailure(this.failedOpens);
      if (this.stopped) return;
    }
    const base = Math.min(30000, 500 * 2 ** this.attempt);
    const delay = Math.round(base * (0.7 + Math.random() * 0.6));
    this.attempt = Math.min(this.attempt + 1, 10);
    this._status({ state: 'waiting', retryInMs: delay, attempt: this.attempt });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this._connect(), delay);
  }

  _startPing() {
    this._clearPing();
    this.pingTimer = setInterval(() => {
      if (!this.isOpen()) return;
      if (Date.now() - this.lastFrameAt < 20000) return;
      this.send({ type: 'ping' });
      if (!this.pongTimer) {
        this.pongTimer = setTimeout(() => {
          // No answer: the connection is dead even if the browser hasn't noticed.
          if (this.ws) try { this.ws.close(4000, 'ping timeout'); } catch (e) { /* ignore */ }
        }, 10000);
      }
    }, 5000);
  }

  _clearPing() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = null;
    this.pongTimer = null;
  }
}

/** "14:05", or "Mar 3, 14:05" when not today. */
export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const now = new Date();
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === now.toDateString()) return time;
  return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) + ', ' + time;
}

/** Small DOM builder: el('div', {className: 'x', text: 'hi'}, child...). Text goes in via textContent. */
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') node.textContent = v;
      else if (k === 'className') node.className = v;
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
      else if (k in node && typeof v !== 'string') node[k] = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/**
 * Fetches a protected resource (an upload, a transcript) with the bearer
 * token. Resolves with {blob, filename}; rejects with ApiError.
 */
export async function fetchBlob(base, token, path) {
  let res;
  try {
    res = await fetch(new URL(path, base), {
      headers: token ? { Authorization: 'Bearer ' + token } : {}, credentials: 'omit', cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection.');
  }
  if (!res.ok) {
    let err = {};
    try { err = ((await res.json()) || {}).error || {}; } catch (e) { /* not JSON */ }
    throw new ApiError(res.status, err.code, err.message);
  }
  return { blob: await res.blob(), filename: filenameFrom(res.headers.get('Content-Disposition')) };
}

/** The file name of a Content-Disposition header (filename* first), or ''. */
export function filenameFrom(cd) {
  if (!cd) return '';
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(cd);
  if (star) {
    try { return decodeURIComponent(star[1].trim()); } catch (e) { /* fall through */ }
  }
  const plain = /filename\s*=\s*"([^"]*)"/i.exec(cd) || /filename\s*=\s*([^;]+)/i.exec(cd);
  return plain ? plain[1].trim() : '';
}

/** Reads a blob as a data: URL (the pages' CSP allows img-src 'self' data:, not blob:). */
export function blobToDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error || new Error('read failed'));
    r.readAsDataURL(blob);
  });
}

/** Offers a blob as a download (a temporary same-origin blob: link). */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: filename || 'download' });
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** Uploads one File as the raw body (named by X-Filename); resolves with the upload object. */
export async function uploadFile(base, token, file) {
  let res;
  try {
    res = await fetch(new URL('/api/v1/uploads', base), {
      method: 'POST',
      headers: {
        Accept: 'application/json',
        Authorization: 'Bearer ' + token,
        'Content-Type': 'application/octet-stream',
        'X-Filename': encodeURIComponent(file.name || 'file'),
      },
      body: file,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection.');
  }
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) {
    const err = (data && data.error) || {};
    const ra = Number(res.headers.get('Retry-After'));
    throw new ApiError(res.status, err.code, err.message, Number.isFinite(ra) ? ra : undefined);
  }
  return data;
}

/** "12 KB", "1.4 MB". */
export function formatSize(n) {
  if (!Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const THUMB_MAX_BYTES = 5 * 1024 * 1024;

/**
 * The node showing a message's attachment: an image thumbnail (fetched with
 * the token, shown as a data: URL) or a download button. `cls` prefixes the
 * class names ('' for the console, 'parley-' for the widget).
 */
export function attachmentNode(att, { base, token, cls = '' }) {
  if (!att || !att.url) return null;
  const label = `${att.name || 'file'}${att.size ? ` (${formatSize(att.size)})` : ''}`;
  const status = el('span', { className: cls + 'att-status', role: 'status' });
  const download = el('button', {
    type: 'button', className: cls + 'att-download', text: 'Download ' + label,
    onclick: async () => {
      status.textContent = '';
      try {
        const { blob, filename } = await fetchBlob(base, token(), att.url);
        saveBlob(blob, filename || att.name);
      } catch (e) {
        status.textContent = 'Download failed: ' + (e.message || e);
      }
    },
  });
  const box = el('div', { className: cls + 'attachment', dataset: { uploadId: att.id || '' } });
  if (/^image\/(png|jpeg|gif|webp)$/.test(att.mime || '') && (!att.size || att.size <= THUMB_MAX_BYTES)) {
    const img = el('img', { className: cls + 'att-thumb', alt: att.name || 'image', hidden: true });
    box.append(img);
    fetchBlob(base, token(), att.url)
      .then(({ blob }) => blobToDataUrl(blob))
      .then((url) => { img.src = url; img.hidden = false; })
      .catch(() => { status.textContent = 'Image preview unavailable.'; });
  }
  box.append(download, status);
  return box;
}

/**
 * A message's text as its reader sees it (issue 16). The server translates
 * each message into the other side's language and keeps the original as
 * `content`; `translation` says how ({status, from, to, ...}) and
 * `translations[to]` holds the text.
 *  - someone else's translated message: the translation, with a
 *    "Show original" toggle;
 *  - one's own message: as written (the other side got the translation);
 *  - no route or a failure: as written, with a notice such as
 *    "Translation not available for es→ja".
 * Returns the nodes to append: the body <p> (class bodyClass) and maybe a
 * <p> (class `${cls}translation-note`) with the toggle or the notice.
 * Every text goes in through textContent.
 */
export function translatedBody(m, { own = false, bodyClass = '', cls = '' } = {}) {
  const original = typeof m.content === 'string' ? m.content : '';
  const info = m.translation && typeof m.translation === 'object' ? m.translation : null;
  const to = info && typeof info.to === 'string' ? info.to : null;
  const translated = to && m.translations && typeof m.translations[to] === 'string'
    ? m.translations[to] : null;
  const body = el('p', { className: bodyClass, text: original });
  if (!info) return [body];
  const note = el('p', { className: `${cls}translation-note` });
  if (translated && !own) {
    let showingOriginal = false;
    body.textContent = translated;
    body.lang = to;
    const label = el('span', { text: `Translated from ${info.from || '?'} · ` });
    const toggle = el('button', { type: 'button', className: `${cls}link`, text: 'Show original' });
    toggle.addEventListener('click', () => {
      showingOriginal = !showingOriginal;
      body.textContent = showingOriginal ? original : translated;
      body.lang = showingOriginal ? (info.from || '') : to;
      toggle.textContent = showingOriginal ? 'Show translation' : 'Show original';
    });
    note.append(label, toggle);
    return [body, note];
  }
  if (translated) return [body];
  if (info.status === 'unavailable' || info.status === 'failed' || info.error) {
    const pair = info.from && to ? ` for ${info.from}→${to}` : '';
    note.classList.add(`${cls}translation-note--unavailable`);
    note.textContent = info.status === 'failed'
      ? `Translation failed${pair}: shown as written`
      : info.from ? `Translation not available${pair}` : 'Translation not available (language not recognised)';
    return [body, note];
  }
  return [body];
}
