// What the settings pages (admin-bot.js, admin-routing.js) share: fields
// drawn from the settings schema of GET /api/v1/settings (a checkbox for a
// boolean, a number box with its bounds for an integer, a select of the
// choices for an enum, a text box or area for a string, the description as
// the hint), reading them back, and saving only what changed with one
// PATCH /api/v1/settings (all or nothing on the server; a refusal names
// the key, shown next to its field).

import { api } from './api.js';
import { el } from './ui.js';
import { clearErrors, field, fieldError, submitting } from './admin-form.js';

/** {settings, schema} as the server has them now. */
export async function loadSettings() {
  const res = (await api('GET', '/api/v1/settings')) || {};
  return { settings: res.settings || {}, schema: res.schema || {} };
}

const idOf = (key) => 'set-' + key.replace(/[^a-z0-9]+/gi, '-');

/** The field of one setting, filled with its value. */
export function settingField(key, spec, value, label) {
  const id = idOf(key);
  let input;
  if (spec.type === 'boolean') {
    input = el('input', { type: 'checkbox', id, dataset: { key }, 'aria-describedby': `${id}-hint ${id}-error` });
    input.checked = value === true;
    return el('div', { className: 'field field-check' },
      el('label', { for: id }, input, ' ', label),
      el('p', { id: id + '-hint', className: 'muted small', text: spec.description }),
      el('p', { id: id + '-error', className: 'field-error', role: 'alert', hidden: true }));
  }
  if (spec.type === 'integer') {
    input = el('input', { type: 'number', step: 1, inputMode: 'numeric' });
    if (spec.minimum !== undefined) input.min = String(spec.minimum);
    if (spec.maximum !== undefined) input.max = String(spec.maximum);
    input.value = String(value);
  } else if (spec.type === 'enum') {
    input = el('select', {}, ...(spec.choices || []).map((c) => el('option', { value: c, text: c })));
    input.value = value;
  } else if (spec.type === 'string' && (spec.max_length || 0) > 200) {
    input = el('textarea', { rows: 3, maxLength: spec.max_length });
    input.value = value == null ? '' : String(value);
  } else {
    input = el('input', { autocomplete: 'off' });
    if (spec.max_length) input.maxLength = spec.max_length;
    input.value = value == null ? '' : String(value);
  }
  return field(id, label, input, { key, hint: spec.description });
}

/** The value a setting's field holds now; undefined (with the error shown) when it cannot be one. */
export function readSetting(form, key, spec) {
  const input = form.querySelector('#' + CSS.escape(idOf(key)));
  if (spec.type === 'boolean') return input.checked;
  if (spec.type === 'integer') {
    if (!/^-?\d+$/.test(input.value.trim())) { fieldError(form, key, `${key}: enter a whole number`); return undefined; }
    return Number(input.value.trim());
  }
  return input.value;
}

/**
 * Saves the keys of the form whose values differ from `current.settings`
 * (extra: {key: value} built by the page itself, e.g. business hours).
 * Resolves with the new settings, null when nothing changed, undefined
 * when refused (the error is shown).
 */
export async function saveSettings(form, current, keys, extra = {}) {
  clearErrors(form);
  const patch = {};
  let bad = false;
  const values = {};
  for (const key of keys) {
    const v = readSetting(form, key, current.schema[key]);
    if (v === undefined) bad = true;
    else values[key] = v;
  }
  if (bad) return undefined;
  Object.assign(values, extra);
  for (const [k, v] of Object.entries(values)) {
    if (JSON.stringify(v) !== JSON.stringify(current.settings[k])) patch[k] = v;
  }
  if (!Object.keys(patch).length) return null;
  const res = await submitting(form, () => api('PATCH', '/api/v1/settings', patch));
  if (!res) return undefined;
  current.settings = res.settings || current.settings;
  return current.settings;
}
