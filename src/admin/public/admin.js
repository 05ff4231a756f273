// The admin page: a plain client of the public API.
// - The session is the HttpOnly `token` cookie that login sets: this script never holds the token,
//   so nothing on the page (an injected script included) can read it or send it elsewhere. The cookie
//   is SameSite=Strict and goes to this origin only; the API refuses a write it authenticates unless
//   the browser says the request comes from this origin. It survives a reload; "Log out" ends the
//   session on the server and clears the cookie. Nothing is kept in localStorage or sessionStorage.
// - Everything the API returns is rendered with textContent: a key named `<img onerror=...>` is text.

import { mountViews, unmountViews } from './views.js';

const DAY_SECONDS = 86400;
const PAGE_SIZE = 100;
const $ = (id) => document.getElementById(id);

/** Who is logged in (the cookie holds the session); null on the login form. */
let session = null; // { username }
let nextPageToken = '';
/** Whether a page of keys follows the ones shown: only then is there a "Show more". */
let hasMore = false;

class ApiFailure extends Error {
  constructor(status, body) {
    const error = body && body.error;
    const details = error && Array.isArray(error.details) ? error.details.map((d) => d.message) : [];
    const message = (error && error.message) || `The request failed (HTTP ${status}).`;
    super(details.length > 0 ? `${message} ${details.join('; ')}.` : message);
    this.status = status;
  }
}

/** Calls the API next to this page (relative URLs, so a path prefix in front of the service works). */
async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(new URL(`../${path}`, document.baseURI), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiFailure(response.status, data);
  return data;
}

/** Runs an action with its button disabled; an expired session goes back to the login form. */
async function busy(button, errorElement, action) {
  button.disabled = true;
  errorElement.textContent = '';
  try {
    await action();
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 401 && session) {
      logOut('Your session has ended. Log in again.');
    } else {
      errorElement.textContent = error instanceof Error ? error.message : String(error);
    }
  } finally {
    button.disabled = false;
  }
}

// ---- rendering

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const minuteFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A date in the reader's locale; the exact UTC time is in its tooltip. */
function timeElement(iso, empty, format = dayFormat) {
  if (!iso) {
    const span = document.createElement('span');
    span.className = 'muted';
    span.textContent = empty;
    return span;
  }
  const time = document.createElement('time');
  time.dateTime = iso;
  time.title = iso;
  time.textContent = format.format(new Date(iso));
  return time;
}

function cell(label, className, ...content) {
  const td = document.createElement('td');
  td.setAttribute('role', 'cell');
  td.dataset.label = label;
  if (className) td.className = className;
  td.append(...content);
  return td;
}

function button(text, className, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.textContent = text;
  b.addEventListener('click', onClick);
  return b;
}

function keyRow(key) {
  const tr = document.createElement('tr');
  tr.setAttribute('role', 'row');
  tr.dataset.id = key.id;

  const expired = new Date(key.tm_expire).getTime() <= Date.now();
  const expires = [timeElement(key.tm_expire, '')];
  if (expired) {
    tr.classList.add('is-expired');
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = 'expired';
    expires.push(badge);
  }
  const prefix = document.createElement('code');
  prefix.textContent = `${key.token_prefix}…`;
  prefix.title = 'The first characters of the key';

  tr.append(
    cell('Name', 'name', key.name || '(no name)'),
    cell('Detail', 'detail', key.detail),
    cell('Key', '', prefix),
    cell('Created', '', timeElement(key.tm_create, '')),
    cell('Expires', '', ...expires),
    cell('Last used', '', timeElement(key.tm_last_used, 'Never', minuteFormat)),
    cell('Access', 'access', accessElement(key)),
    cell(
      '',
      'actions-cell',
      button('Rename', 'link', () => openRename(key)),
      button('Delete', 'link danger-text', () => openDelete(key)),
    ),
  );
  return tr;
}

/** What a key may do, in words: its preset, or its scopes; and where from. */
function accessElement(key) {
  const scopes = key.scopes ?? [];
  const span = document.createElement('span');
  const preset = { '*:write': 'Full access', '*:read': 'Read-only' }[scopes.join(' ')];
  span.textContent =
    preset ??
    (scopes.length > 3 ? `${scopes.slice(0, 3).join(', ')} +${scopes.length - 3}` : scopes.join(', '));
  span.title = scopes.join(' ');
  const networks = key.allowed_cidrs ?? [];
  const where = document.createElement('span');
  where.className = 'muted networks';
  where.textContent = networks.length === 0 ? 'from anywhere' : `from ${networks.join(', ')}`;
  const wrapper = document.createElement('span');
  wrapper.className = 'stack-xs';
  wrapper.append(span, where);
  return wrapper;
}

// ---- scopes of a new key

/** The catalogue (GET /v1.0/scopes), fetched once per page. */
let catalogue = null;

async function loadCatalogue() {
  if (catalogue) return;
  catalogue = await api('GET', 'v1.0/scopes');
  const rows = catalogue.resources
    .filter((resource) => !resource.super_admin)
    .map(({ resource }) => {
      const row = document.createElement('label');
      row.className = 'scope-row';
      row.dataset.resource = resource;
      const name = document.createElement('span');
      name.textContent = resource;
      const level = document.createElement('select');
      level.dataset.resource = resource;
      level.setAttribute('aria-label', `${resource}: access`);
      for (const [value, text] of [
        ['', '—'],
        ['read', 'read'],
        ['write', 'read and write'],
      ]) {
        const option = document.createElement('option');
        option.value = value;
        option.textContent = text;
        level.append(option);
      }
      row.append(name, level);
      return row;
    });
  $('scope-list').replaceChildren(...rows);
}

/** The scopes the form asks for; null when a custom choice names none. */
function chosenScopes() {
  const access = $('key-access').value;
  if (access === 'full') return ['*:write'];
  if (access === 'read') return ['*:read'];
  const chosen = [...$('scope-list').querySelectorAll('select')]
    .filter((select) => select.value)
    .map((select) => `${select.dataset.resource}:${select.value}`);
  return chosen.length > 0 ? chosen : null;
}

function chosenNetworks() {
  return $('key-networks')
    .value.split(/[\s,]+/)
    .map((network) => network.trim())
    .filter(Boolean);
}

$('key-access').addEventListener('change', () => {
  const custom = $('key-access').value === 'custom';
  $('key-scopes').hidden = !custom;
  if (custom) void busy($('key-access'), $('app-error'), loadCatalogue);
});

$('scope-filter').addEventListener('input', () => {
  const filter = $('scope-filter').value.trim().toLowerCase();
  for (const row of $('scope-list').children) row.hidden = !row.dataset.resource.includes(filter);
});

function showCount() {
  const rows = $('key-rows').children.length;
  $('empty').hidden = rows > 0;
  $('keys').hidden = rows === 0;
  $('key-count').textContent = rows === 1 ? '1 key' : `${rows} keys${hasMore ? ' so far' : ''}`;
  $('more').hidden = !hasMore;
}

function keysPage(pageToken, size = PAGE_SIZE) {
  const query = new URLSearchParams({ page_size: String(size) });
  if (pageToken) query.set('page_token', pageToken);
  return api('GET', `v1.0/accesskeys?${query}`);
}

async function loadKeys(append = false) {
  const page = await keysPage(append ? nextPageToken : '');
  const rows = page.result.map(keyRow);
  if (append) $('key-rows').append(...rows);
  else $('key-rows').replaceChildren(...rows);
  nextPageToken = page.next_page_token;
  // Every page with keys has a next_page_token, the last one too: the page after it is empty. A
  // page shorter than asked for is the last; after a full one, a one-key look ahead tells.
  hasMore =
    page.result.length === PAGE_SIZE &&
    nextPageToken !== '' &&
    (await keysPage(nextPageToken, 1)).result.length > 0;
  showCount();
}

// ---- views

function showLoggedIn() {
  $('login-view').hidden = true;
  $('keys-view').hidden = false;
  $('session').hidden = false;
  $('whoami').textContent = session.username;
  $('key-name').focus();
}

function logOut(message = '') {
  session = null;
  unmountViews();
  nextPageToken = '';
  hasMore = false;
  $('key-rows').replaceChildren();
  hideNewKey();
  $('app-error').textContent = '';
  $('keys-view').hidden = true;
  $('session').hidden = true;
  $('login-view').hidden = false;
  $('password').value = '';
  $('login-error').textContent = message;
  $('username').focus();
}

function hideNewKey() {
  $('new-key').hidden = true;
  $('new-token').textContent = '';
  $('copy-status').textContent = '';
}

// ---- dialogs

let dialogKey = null;

function openRename(key) {
  dialogKey = key;
  $('rename-name').value = key.name;
  $('rename-dialog').showModal();
  $('rename-name').select();
}

function openDelete(key) {
  dialogKey = key;
  const name = key.name || key.token_prefix;
  $('delete-text').textContent =
    `“${name}” stops working at once for every client that uses it. This cannot be undone.`;
  $('delete-dialog').showModal();
}

for (const dialog of document.querySelectorAll('dialog')) {
  for (const close of dialog.querySelectorAll('[data-close]')) {
    close.addEventListener('click', () => dialog.close());
  }
}

// ---- events

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const username = $('username').value.trim();
  const password = $('password').value;
  if (!username || !password) {
    $('login-error').textContent = 'Enter your username and password.';
    return;
  }
  void busy(event.submitter ?? $('login-form').querySelector('button'), $('login-error'), async () => {
    await api('POST', 'auth/login', { username, password });
    $('password').value = '';
    await enter(await api('GET', 'auth/session'));
  });
});

/** Permission bits that may manage access keys: customer admin (32), super admin (1). */
const MANAGES_KEYS = 32 | 1;

/** Shows the keys of the customer logged in, or says in words why this page cannot. */
async function enter(customer) {
  if ((customer.permission & MANAGES_KEYS) === 0) {
    await api('POST', 'auth/logout').catch(() => undefined);
    logOut(
      `${customer.username} may not manage access keys: that needs the customer admin (32) or ` +
        'super admin (1) permission. Ask an admin of your customer.',
    );
    return;
  }
  session = { username: customer.username };
  showLoggedIn();
  mountViews($('keys-view'), customer, api, () => logOut('Your session has ended. Log in again.'));
  await loadKeys();
}

// A session from before a reload: the cookie, while the API still takes it.
api('GET', 'auth/session').then(
  (state) => state.active && busy($('logout'), $('app-error'), () => enter(state)),
  () => undefined,
);

// "Log out" ends the session on the server too: its token is refused from then on, wherever it went.
$('logout').addEventListener('click', async () => {
  await api('POST', 'auth/logout').catch(() => undefined);
  logOut();
});

$('create-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const days = Number($('key-days').value);
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    $('app-error').textContent = 'Valid for (days) must be a whole number from 1 to 3650.';
    return;
  }
  const scopes = chosenScopes();
  if (scopes === null) {
    $('app-error').textContent = 'Choose at least one scope, or another access.';
    return;
  }
  void busy(event.submitter, $('app-error'), async () => {
    const key = await api('POST', 'v1.0/accesskeys', {
      name: $('key-name').value.trim(),
      detail: $('key-detail').value.trim(),
      expire: days * DAY_SECONDS,
      scopes,
      allowed_cidrs: chosenNetworks(),
    });
    $('create-form').reset();
    $('key-scopes').hidden = true;
    $('new-key-name').textContent = key.name || key.token_prefix;
    $('new-token').textContent = key.token;
    $('copy-status').textContent = '';
    $('new-key').hidden = false;
    $('copy').focus();
    await loadKeys();
  });
});

$('copy').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText($('new-token').textContent);
    $('copy-status').textContent = 'Copied to the clipboard.';
  } catch {
    // No clipboard access (an insecure origin, or permission refused): select it for Ctrl+C.
    getSelection().selectAllChildren($('new-token'));
    $('copy-status').textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
  }
});

$('dismiss').addEventListener('click', hideNewKey);

$('more').addEventListener('click', (event) => {
  void busy(event.currentTarget, $('app-error'), () => loadKeys(true));
});

$('rename-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = dialogKey;
  const name = $('rename-name').value.trim();
  // Closed first, so that an error shows on the page rather than behind the dialog.
  $('rename-dialog').close();
  void busy(event.submitter, $('app-error'), async () => {
    await api('PUT', `v1.0/accesskeys/${encodeURIComponent(key.id)}`, { name });
    await loadKeys();
  });
});

$('delete-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = dialogKey;
  $('delete-dialog').close();
  void busy(event.submitter, $('app-error'), async () => {
    await api('DELETE', `v1.0/accesskeys/${encodeURIComponent(key.id)}`);
    await loadKeys();
  });
});

$('username').focus();
