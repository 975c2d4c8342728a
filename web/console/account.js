// "Your account": who you are, and changing your own password
// (POST /api/v1/me/password: the current one is checked like a login and
// counts against the same limit; other devices are signed out).

import { ApiError, api, errorText, showError } from './api.js';
import { state, subscribe } from './store.js';
import { $, el } from './ui.js';
import { pushCard } from './push.js';

const MIN_PASSWORD = 8; // code points, as the server counts (docs/subsystems/accounts.md)

function field(id, label, autocomplete, hint) {
  return el('div', { className: 'field' },
    el('label', { for: id, text: label }),
    el('input', { id, type: 'password', autocomplete, maxLength: 1024, 'aria-describedby': hint ? id + '-hint' : null }),
    hint ? el('p', { id: id + '-hint', className: 'muted small', text: hint }) : null);
}

// Built when first shown, not in console.html: the sign-in form's
// "Password" field stays the only one on the page until then.
function build(view) {
  const form = el('form', { id: 'password-form', className: 'admin-card', noValidate: true },
    el('h3', { text: 'Change your password' }),
    field('pw-current', 'Current password', 'current-password'),
    field('pw-new', 'New password', 'new-password', 'At least 8 characters. Your other devices will be signed out.'),
    field('pw-confirm', 'Confirm new password', 'new-password'),
    el('p', { id: 'pw-error', className: 'error', role: 'alert', hidden: true }),
    el('p', { id: 'pw-done', className: 'success', role: 'status', hidden: true }),
    el('button', { id: 'pw-submit', className: 'btn btn-primary', type: 'submit', text: 'Change password' }));
  form.addEventListener('submit', onChangePassword);
  view.replaceChildren(
    el('div', { className: 'tickets-head' }, el('h2', { text: 'Your account' })),
    el('dl', { className: 'account-facts' },
      el('dt', { text: 'Name' }), el('dd', { id: 'account-name' }),
      el('dt', { text: 'Email' }), el('dd', { id: 'account-email' }),
      el('dt', { text: 'Role' }), el('dd', { id: 'account-role' })),
    form,
    pushCard());
}

/** Fills in who is signed in; called each time the section is shown. */
export function showAccount() {
  if (!$('password-form')) build($('account-view'));
  const a = (state.auth && state.auth.agent) || {};
  $('account-name').textContent = a.name || '';
  $('account-email').textContent = a.email || '';
  $('account-role').textContent = a.role === 'admin' ? 'Admin' : 'Agent';
}

/** What the person should read for a refused change. */
function passwordError(err) {
  if (err instanceof ApiError) {
    if (err.status === 400 && /^current_password: incorrect/.test(err.message)) return 'Your current password is wrong.';
    // the policy's own words ("password: at least 8 characters are required")
    if (err.status === 400 && /^password: /.test(err.message)) return 'The new password is refused: ' + err.message.slice(10) + '.';
    if (err.status === 429) {
      return `Too many attempts. Try again${err.retryAfter ? ` in ${err.retryAfter} s` : ' later'}.`;
    }
  }
  return errorText(err);
}

async function onChangePassword(e) {
  e.preventDefault();
  const errBox = $('pw-error');
  const done = $('pw-done');
  errBox.hidden = true;
  done.hidden = true;
  const current = $('pw-current').value;
  const next = $('pw-new').value;
  const confirm = $('pw-confirm').value;
  if (!current || !next) { showError(errBox, 'Enter your current password and a new one.'); return; }
  if ([...next].length < MIN_PASSWORD) {
    showError(errBox, `The new password is too short: use at least ${MIN_PASSWORD} characters.`);
    $('pw-new').focus();
    return;
  }
  if (next !== confirm) {
    showError(errBox, 'The new password and its confirmation do not match.');
    $('pw-confirm').focus();
    return;
  }
  const btn = $('pw-submit');
  btn.disabled = true;
  try {
    await api('POST', '/api/v1/me/password', { current_password: current, new_password: next });
    for (const id of ['pw-current', 'pw-new', 'pw-confirm']) $(id).value = '';
    done.textContent = 'Your password is changed. Your other devices were signed out.';
    done.hidden = false;
  } catch (err) {
    showError(errBox, passwordError(err));
  } finally {
    btn.disabled = false;
  }
}

export function wireAccount() {
  subscribe('signed-out', () => $('account-view').replaceChildren());
}
