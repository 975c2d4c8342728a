// The console's REST calls: the bearer token of the signed-in user, errors
// as ApiError, a 401 on a signed-in call ends the sign-in ('expired').

import { ApiError, apiRequest } from '../parley-client.js';
import { state, emit } from './store.js';
import { $ } from './ui.js';

export { ApiError };

export const API_BASE = new URL('/', location.href).toString();

/** Calls the API with the signed-in user's token; resolves with the JSON body. */
export async function api(method, path, body) {
  try {
    return await apiRequest(API_BASE, state.auth && state.auth.token, method, path, body);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401 && state.auth) {
      emit('expired', 'Your sign-in has expired. Please sign in again.');
    }
    throw err;
  }
}

/** Calls the API with the given token (or none), without the 401 handling. */
export function apiAs(token, method, path, body) {
  return apiRequest(API_BASE, token, method, path, body);
}

/** What to tell a person about an error. */
export function errorText(err) {
  if (err instanceof ApiError) {
    if (err.code === 'rate_limited') return `Too many requests; try again${err.retryAfter ? ` in ${err.retryAfter} s` : ' shortly'}.`;
    return err.message;
  }
  return String((err && err.message) || err);
}

/** Shows a message or an error's text in an error box and unhides it. */
export function showError(node, err) {
  node.textContent = typeof err === 'string' ? err : errorText(err);
  node.hidden = false;
}

/**
 * One page of a list (store.js sessionList, ticketList): GET its path with
 * ?limit=50, the status chosen in its filter and, for more, the cursor; the
 * items go into its map and each id once into its order (emptied first
 * unless more). False once the error is shown.
 */
export async function loadPage(list, more) {
  $(list.errors).hidden = true;
  const params = new URLSearchParams({ limit: '50' });
  const f = $(list.filter).value;
  if (f) params.set('status', f);
  if (more && list.cursor) params.set('cursor', list.cursor);
  try {
    const res = (await api('GET', list.path + '?' + params)) || {};
    if (!more) list.ids = [];
    for (const item of res[list.key] || []) {
      list.items.set(item.id, item);
      if (!list.ids.includes(item.id)) list.ids.push(item.id);
    }
    list.cursor = res.next_cursor || null;
    return true;
  } catch (err) {
    if (state.auth) showError($(list.errors), err);
    return false;
  }
}
