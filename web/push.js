// Web push, the page's side (docs/subsystems/notifications.md, "Web push"),
// shared by the console (console/push.js) and the widget (widget-push.js):
// registers the service worker (/sw.js), subscribes the browser with the
// server's VAPID key (GET /api/v1/push/vapid-public-key) and hands the
// subscription to POST /api/v1/push/subscriptions under the caller's token
// (an agent's or a customer's: it is always the caller's own). Every entry
// point that asks for permission must run from a person's gesture (a click).

import { apiRequest } from './parley-client.js';

/** Can this page subscribe at all? (A widget embedded on another site
 *  cannot: the service worker must be of the page's own origin.) */
export function pushSupported(base) {
  return typeof navigator !== 'undefined' && 'serviceWorker' in navigator &&
    typeof window !== 'undefined' && 'PushManager' in window && 'Notification' in window &&
    window.isSecureContext && new URL(base).origin === location.origin;
}

/** The base64url text of a key as the bytes PushManager wants. */
export function keyBytes(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function sameKey(a, b) {
  if (!a) return false;
  const x = new Uint8Array(a);
  return x.length === b.length && x.every((v, i) => v === b[i]);
}

/** This browser's push subscription on the site, or null. */
export async function currentSubscription(base) {
  if (!pushSupported(base)) return null;
  const reg = await navigator.serviceWorker.getRegistration(new URL('/', base).href);
  return reg ? reg.pushManager.getSubscription() : null;
}

/** Asks for permission (from a click), subscribes and tells the server;
 *  resolves with the subscription's JSON as sent. */
export async function subscribePush(base, token) {
  if (!pushSupported(base)) throw new Error('This browser cannot receive notifications from this page.');
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error('Notifications are blocked for this site in your browser settings.');
  const reg = await navigator.serviceWorker.register(new URL('/sw.js', base).href, { scope: '/' });
  const { public_key: publicKey } = await apiRequest(base, null, 'GET', '/api/v1/push/vapid-public-key');
  const key = keyBytes(publicKey);
  let sub = await reg.pushManager.getSubscription();
  if (sub && !sameKey(sub.options && sub.options.applicationServerKey, key)) {
    await sub.unsubscribe(); // made for another key (the server's was replaced)
    sub = null;
  }
  if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  const json = sub.toJSON();
  await apiRequest(base, token, 'POST', '/api/v1/push/subscriptions', json);
  return json;
}

/** Tells the server to stop, then unsubscribes the browser. */
export async function unsubscribePush(base, token) {
  const sub = await currentSubscription(base);
  if (!sub) return;
  try {
    await apiRequest(base, token, 'DELETE', '/api/v1/push/subscriptions', { endpoint: sub.endpoint });
  } catch (err) {
    if (!(err && err.status === 404)) throw err; // not (or no longer) the server's: fine
  }
  await sub.unsubscribe();
}
