// The console's one WebSocket (ParleySocket of parley-client.js: reconnect
// with backoff, ping). Views register handlers per frame type with on(), and
// what to do on every (re)connect with onOpen(); after a reconnect they
// catch up themselves (conversations resume from their last seq).

import { ParleySocket, wsUrl } from '../parley-client.js';
import { API_BASE, api } from './api.js';
import { state } from './store.js';
import { $ } from './ui.js';

const handlers = new Map(); // frame type → [fn(frame)]
const openHooks = []; // fn(reconnected)
const downHooks = []; // fn() when the connection is lost
let reconnected = false;

/** Calls fn(frame) for every server frame of this type. */
export function on(type, fn) {
  if (!handlers.has(type)) handlers.set(type, []);
  handlers.get(type).push(fn);
}

/** Calls fn(reconnected) each time the socket opens; reconnected is false the first time after sign-in. */
export function onOpen(fn) {
  openHooks.push(fn);
}

/** Calls fn() when the socket is lost and waits to retry. */
export function onDown(fn) {
  downHooks.push(fn);
}

function setConn(connState, text) {
  $('conn').dataset.state = connState;
  $('conn-text').textContent = text;
}

const socket = new ParleySocket({
  url: () => wsUrl(API_BASE, state.auth.token),
  onOpen: () => {
    setConn('open', 'Live');
    const again = !!state.auth && reconnected;
    for (const fn of openHooks) fn(again);
    reconnected = true;
  },
  onStatus: (s) => {
    if (s.state === 'waiting') {
      for (const fn of downHooks) fn();
      setConn('down', `Offline — retrying in ${Math.max(1, Math.round(s.retryInMs / 1000))} s`);
    } else if (s.state === 'connecting') {
      setConn('connecting', s.attempt ? 'Reconnecting…' : 'Connecting…');
    }
  },
  onFailure: async (n) => {
    if (n >= 3 && state.auth) {
      try { await api('GET', '/api/v1/me'); } catch (e) { /* api() signs out on 401 */ }
    }
  },
  onMessage: (msg) => {
    for (const fn of handlers.get(msg.type) || []) fn(msg);
  },
});

export function send(frame) {
  return socket.send(frame);
}

export function start() {
  socket.start();
}

export function stop() {
  socket.stop();
}
