// A small hash router: '#/tickets', '#/admin/agents'. A route is a path of
// fixed segments and ':name' parameters; the first one that matches the
// hash runs with the parameters, an unknown hash goes to the fallback.

const routes = []; // {parts, handler}
let fallback = '#/conversations';
let started = false;

/** Adds a route: route('/conversations', () => …), route('/admin/:page', ({page}) => …). */
export function route(path, handler) {
  routes.push({ parts: path.split('/').filter(Boolean), handler });
}

/** Where an unknown or empty hash goes. */
export function setFallback(hash) {
  fallback = hash;
}

function match(hash) {
  const parts = hash.replace(/^#/, '').split('/').filter(Boolean).map(decodeURIComponent);
  for (const r of routes) {
    if (r.parts.length !== parts.length) continue;
    const params = {};
    if (r.parts.every((p, i) => (p[0] === ':' ? ((params[p.slice(1)] = parts[i]), true) : p === parts[i]))) {
      return { handler: r.handler, params };
    }
  }
  return null;
}

/** Runs the route of the current hash (or goes to the fallback). */
export function resolve() {
  const m = match(location.hash);
  if (!m) {
    if (location.hash !== fallback) { go(fallback, { replace: true }); return; }
    return;
  }
  m.handler(m.params);
}

/** Navigates to a hash; the route runs at once (also when the hash is already there). */
export function go(hash, { replace = false } = {}) {
  if (location.hash === hash) { resolve(); return; }
  if (replace) history.replaceState(null, '', hash);
  else history.pushState(null, '', hash);
  resolve();
}

/** Starts following the hash (back/forward, typed links); runs the current route. */
export function start() {
  if (!started) {
    window.addEventListener('hashchange', resolve);
    started = true;
  }
  resolve();
}

/** The current hash, '#/conversations' when none. */
export function current() {
  return location.hash || fallback;
}
