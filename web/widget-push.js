// The widget's offer of web push: "Notify me when the agent answers". A
// customer who clicks it consents (the browser then asks for permission,
// on that click) and the widget's customer token subscribes this browser;
// when she has left the page, the agent's reply comes as a notification
// that reopens the chat. Only where the widget runs on Parley's own origin
// (the service worker must be of the page's origin): embedded on another
// site the offer is not shown. The work is push.js's, shared with the
// console.

import { el } from './parley-client.js';
import { pushSupported, currentSubscription, subscribePush, unsubscribePush } from './push.js';

/** The offer's node; getToken() gives the customer's token at click time. */
export function pushOffer(base, getToken) {
  const button = el('button', { type: 'button', className: 'parley-link parley-push-offer', text: 'Notify me when the agent answers' });
  const note = el('span', { className: 'parley-upload', role: 'status' });
  const box = el('p', { className: 'parley-push', hidden: true }, button, note);

  async function refresh() {
    if (!pushSupported(base) || !getToken()) { box.hidden = true; return; }
    const sub = await currentSubscription(base).catch(() => null);
    const on = Boolean(sub) && Notification.permission === 'granted';
    button.textContent = on ? 'Stop notifications' : 'Notify me when the agent answers';
    button.dataset.on = String(on);
    if (on) note.textContent = ' We’ll notify you here when the agent answers.';
    box.hidden = false;
  }

  button.addEventListener('click', async () => {
    button.disabled = true;
    note.textContent = '';
    try {
      if (button.dataset.on === 'true') await unsubscribePush(base, getToken());
      else await subscribePush(base, getToken());
    } catch (err) {
      note.textContent = ' ' + ((err && err.message) || String(err));
    } finally {
      button.disabled = false;
      await refresh();
    }
  });
  return { node: box, refresh };
}
