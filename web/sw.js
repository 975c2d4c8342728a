// Parley's service worker (docs/subsystems/notifications.md, "Web push"):
// shows the web push notifications the server sends (their payload is the
// JSON of net/notify_channel_push.c: title, body, event, session_id,
// notification_id, url) and, on a click, focuses the tab of the
// conversation or opens it. Served from the site's root, so its scope is
// the whole origin: the console and the widget's page share it.
// Registered by push.js on a person's gesture, never on load. Classic
// script, no imports, nothing inline (the pages' Content-Security-Policy).

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function readPayload(data) {
  if (!data) return {};
  try { return data.json() || {}; } catch (e) { return { body: data.text() }; }
}

self.addEventListener('push', (event) => {
  const p = readPayload(event.data);
  const target = new URL(p.url || '/console', self.registration.scope);
  event.waitUntil((async () => {
    // A page of the conversation in front already shows it (its own
    // in-app notice): no second one on top.
    const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    if (wins.some((w) => w.focused && w.visibilityState === 'visible' &&
        new URL(w.url).pathname === target.pathname)) return;
    await self.registration.showNotification(p.title || 'Parley', {
      body: p.body || '',
      tag: p.session_id ? 'parley-' + p.session_id : p.notification_id,
      renotify: Boolean(p.session_id),
      icon: '/favicon.svg',
      data: { url: target.href },
    });
  })());
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const href = (event.notification.data && event.notification.data.url) || new URL('/console', self.registration.scope).href;
  const target = new URL(href);
  event.waitUntil((async () => {
    const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = wins.find((w) => new URL(w.url).pathname === target.pathname);
    if (open) {
      const focused = await open.focus();
      if (open.url !== target.href && 'navigate' in focused) await focused.navigate(target.href);
      return;
    }
    await self.clients.openWindow(target.href);
  })());
});
