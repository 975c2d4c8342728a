// What the admin pages' forms share: a labelled field with its hint and
// its own error line, and an API error shown next to the field it names.
// The server's validation messages start with the key they are about
// ("name: …", "bot.greeting: …"); a field carries that key in data-key.
// Text goes in with textContent only (el()).

import { errorText } from './api.js';
import { el } from './ui.js';

/**
 * A field: label, input, optional hint, and an error line (role=alert,
 * hidden until set). key: the name the server uses for it (default: id).
 */
export function field(id, label, input, { hint, key } = {}) {
  input.id = id;
  input.dataset.key = key || id;
  const described = [];
  if (hint) described.push(id + '-hint');
  described.push(id + '-error');
  input.setAttribute('aria-describedby', described.join(' '));
  return el('div', { className: 'field' },
    el('label', { for: id, text: label }), input,
    hint ? el('p', { id: id + '-hint', className: 'muted small', text: hint }) : null,
    el('p', { id: id + '-error', className: 'field-error', role: 'alert', hidden: true }));
}

/** Hides every error line of a form (field lines and its general box). */
export function clearErrors(form) {
  for (const p of form.querySelectorAll('.field-error, .form-error')) { p.hidden = true; p.textContent = ''; }
  for (const i of form.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
}

/** Shows a message beside one field (found by its data-key). */
export function fieldError(form, key, text) {
  const input = [...form.querySelectorAll('[data-key]')].find((n) => n.dataset.key === key);
  const line = input && form.querySelector('#' + CSS.escape(input.id + '-error'));
  if (!line) return false;
  line.textContent = text;
  line.hidden = false;
  input.setAttribute('aria-invalid', 'true');
  return true;
}

/**
 * Shows an API error next to the field its message names ("key: text"),
 * else in the form's general box (.form-error). The longest matching key wins.
 */
export function showFormError(form, err) {
  const text = typeof err === 'string' ? err : errorText(err);
  const keys = [...form.querySelectorAll('[data-key]')].map((n) => n.dataset.key).sort((a, b) => b.length - a.length);
  const key = keys.find((k) => text.startsWith(k + ':') || text.startsWith(k + '['));
  if (key && fieldError(form, key, text)) return;
  const box = form.querySelector('.form-error');
  box.textContent = text;
  box.hidden = false;
}

/** The general error box of a form. */
export function formError(id) {
  return el('p', { id, className: 'error form-error', role: 'alert', hidden: true });
}

/** Runs fn with the form's submit button disabled, its errors cleared first and shown after. */
export async function submitting(form, fn) {
  clearErrors(form);
  const btn = form.querySelector('button[type="submit"]');
  if (btn) btn.disabled = true;
  try {
    return await fn();
  } catch (err) {
    showFormError(form, err);
    return undefined;
  } finally {
    if (btn) btn.disabled = false;
  }
}

/** A page heading with an optional line below it. */
export function pageHead(title, intro) {
  return [el('div', { className: 'tickets-head' }, el('h2', { text: title })),
    intro ? el('p', { className: 'muted', text: intro }) : null];
}
