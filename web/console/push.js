// "Browser notifications" on the account page: an agent turns web push on
// for this browser (permission asked on the click, never on load) or off.
// The work is ../push.js's, shared with the widget.

import { API_BASE, errorText } from './api.js';
import { state } from './store.js';
import { el } from './ui.js';
import { pushSupported, currentSubscription, subscribePush, unsubscribePush } from '../push.js';

function token() {
  return state.auth && state.auth.token;
}

/** The card, built once; its state is read from the browser each time. */
export function pushCard() {
  const status = el('p', { id: 'push-status', className: 'muted small', role: 'status' });
  const error = el('p', { id: 'push-error', className: 'error', role: 'alert', hidden: true });
  const button = el('button', { id: 'push-toggle', className: 'btn', type: 'button' });
  const card = el('section', { id: 'push-card', className: 'admin-card', 'aria-labelledby': 'push-title' },
    el('h3', { id: 'push-title', text: 'Browser notifications' }),
    el('p', { className: 'muted small', text: 'Be told of waiting customers, transfers and mentions even when the console is closed.' }),
    status, error, button);

  async function refresh() {
    if (!pushSupported(API_BASE)) {
      status.textContent = 'This browser cannot show notifications from the console.';
      button.hidden = true;
      return;
    }
    const sub = await currentSubscription(API_BASE).catch(() => null);
    const on = Boolean(sub) && Notification.permission === 'granted';
    status.textContent = on ? 'On for this browser.' : 'Off for this browser.';
    button.textContent = on ? 'Turn off' : 'Turn on';
    button.dataset.on = String(on);
    button.hidden = false;
  }

  button.addEventListener('click', async () => {
    error.hidden = true;
    button.disabled = true;
    try {
      if (button.dataset.on === 'true') await unsubscribePush(API_BASE, token());
      else await subscribePush(API_BASE, token());
    } catch (err) {
      error.textContent = errorText(err);
      error.hidden = false;
    } finally {
      button.disabled = false;
      await refresh();
    }
  });
  refresh();
  return card;
}
