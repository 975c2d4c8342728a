// Small DOM helpers the console's views share. Text from people goes in
// with textContent only (el() of parley-client.js).

import { el } from '../parley-client.js';
import { state, STATUS_LABEL } from './store.js';

export { el };

export const $ = (id) => document.getElementById(id);

let toastTimer = null;
/** A short notice at the bottom of the page (role=status), gone after 4 s. */
export function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
}

export function statusBadge(status) {
  return el('span', { className: `badge badge--${status}`, text: STATUS_LABEL[status] || status });
}

/** A label's chip, in its defined colour when it has one. */
export function labelChip(name) {
  const def = state.labelDefs.find((l) => l.name === name);
  const chip = el('span', { className: 'label-chip', text: name });
  if (def && /^#[0-9a-fA-F]{6}$/.test(def.color)) chip.style.setProperty('--label-color', def.color);
  return chip;
}
