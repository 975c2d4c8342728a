// Password reset by e-mail (docs/subsystems/notifications.md "Password reset").
//
// Without a token: asks for the account's address (POST /api/v1/password-reset,
// always 202). With the e-mail's link (#token=<64 hex digits>): sets the new
// password (POST /api/v1/password-reset/confirm). The token leaves the
// address bar at once, so it is neither bookmarked nor shared.

import { ApiError, apiRequest } from './parley-client.js';

const API_BASE = new URL('/', import.meta.url).toString();

function byId(id) { return document.getElementById(id); }

function show(node, text) {
  node.textContent = text;
  node.hidden = !text;
}

function failure(err) {
  if (err instanceof ApiError && err.code === 'invalid_token') {
    return 'This link is used already or has expired. Ask for a new one.';
  }
  if (err instanceof ApiError && err.code === 'rate_limited') {
    return 'Too many attempts. Wait a minute and try again.';
  }
  return (err && err.message) || 'Something went wrong. Try again.';
}

function requestMode() {
  const form = byId('request-form');
  form.hidden = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    show(byId('request-error'), '');
    const email = byId('request-email').value.trim();
    if (!email) { show(byId('request-error'), 'Give your e-mail address.'); return; }
    byId('request-submit').disabled = true;
    try {
      await apiRequest(API_BASE, null, 'POST', '/api/v1/password-reset', { email });
      show(byId('request-status'), 'If this address belongs to an account, an e-mail with a link is on its way.');
    } catch (err) {
      show(byId('request-error'), failure(err));
    } finally {
      byId('request-submit').disabled = false;
    }
  });
}

function confirmMode(token) {
  const form = byId('confirm-form');
  form.hidden = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    show(byId('confirm-error'), '');
    const password = byId('confirm-password').value;
    if (password !== byId('confirm-again').value) {
      show(byId('confirm-error'), 'The two passwords differ.');
      return;
    }
    byId('confirm-submit').disabled = true;
    try {
      await apiRequest(API_BASE, null, 'POST', '/api/v1/password-reset/confirm', { token, password });
      show(byId('confirm-status'), 'Your password is set. Sign in with it.');
      form.querySelectorAll('input').forEach((i) => { i.value = ''; i.disabled = true; });
    } catch (err) {
      show(byId('confirm-error'), failure(err));
      byId('confirm-submit').disabled = false;
    }
  });
}

const match = /(?:^#|&)token=([0-9a-f]{64})/.exec(location.hash);
if (match) {
  history.replaceState(null, '', location.pathname + location.search);
  confirmMode(match[1]);
} else {
  requestMode();
}

// The e-mail's link opened over this very page (only the fragment changes):
// start again in the mode it asks for.
window.addEventListener('hashchange', () => {
  if (/(?:^#|&)token=/.test(location.hash)) location.reload();
});
