// The admin page: a plain client of the public API.
// - The session is the HttpOnly `token` cookie that login sets: this script never holds the token,
//   so nothing on the page (an injected script included) can read it or send it elsewhere. The cookie
//   is SameSite=Strict and goes to this origin only; the API refuses a write it authenticates unless
//   the browser says the request comes from this origin. It survives a reload; "Log out" ends the
//   session on the server and clears the cookie. Nothing is kept in localStorage or sessionStorage.
// - Everything the API returns is rendered with textContent: a key named `<img onerror=...>` is text.
// - Views: each nav entry names a <section data-view>; an entry with data-module is an ES module of
//   its own whose `mount(section, api)` draws the view each time it is opened (account.js, ...).
// - A 401 STEP_UP_REQUIRED (a sensitive change, for an account with a second factor) asks for a
//   fresh code, trades it at POST /auth/step-up for a fresh session cookie, and retries once.

import { mountViews, showMounted, unmountViews } from './views.js';

const DAY_SECONDS = 86400;
const PAGE_SIZE = 100;
const $ = (id) => document.getElementById(id);

/** Who is logged in (the cookie holds the session); null on the login form. */
let session = null; // { username }
/** Every key loaded so far, in the API's order (newest first); search and sort work on these. */
let allKeys = [];
let nextPageToken = '';
/** Whether a page of keys follows the ones shown: only then is there a "Show more". */
let hasMore = false;

class ApiFailure extends Error {
  constructor(status, body) {
    const error = body && body.error;
    const details = error && Array.isArray(error.details) ? error.details.map((d) => d.message) : [];
    const message = (error && error.message) || `The request failed (HTTP ${status}).`;
    // "The request is invalid: name must be shorter...": the details go on the message's sentence.
    super(details.length > 0 ? `${message.replace(/\.$/, '')}: ${details.join('; ')}.` : message);
    this.status = status;
    this.reason = (error && error.reason) || '';
  }
}

/** 401 reasons that do not mean the session is gone. */
const FACTOR_REASONS = new Set(['OTP_REQUIRED', 'OTP_INVALID', 'STEP_UP_REQUIRED']);

async function send(method, path, body) {
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

/**
 * Calls the API next to this page (relative URLs, so a path prefix in front of the service works).
 * Asks for a fresh second factor when the API wants one; a session that has ended goes back to the
 * login form (the error it throws then is marked `sessionEnded`).
 */
async function api(method, path, body) {
  try {
    return await send(method, path, body);
  } catch (error) {
    if (!(error instanceof ApiFailure) || error.status !== 401 || !session) throw error;
    if (error.reason === 'STEP_UP_REQUIRED') {
      await stepUp();
      return send(method, path, body);
    }
    if (!FACTOR_REASONS.has(error.reason)) {
      logOut('Your session has ended. Log in again.');
      error.sessionEnded = true;
    }
    throw error;
  }
}

// ---- step-up: a fresh code for a sensitive change

/** The step-up asked for now, shared by calls that need it at the same time. */
let pendingStepUp = null;

function stepUp() {
  pendingStepUp ??= new Promise((resolve, reject) => {
    const dialog = $('step-up-dialog');
    const form = $('step-up-form');
    $('step-up-otp').value = '';
    $('step-up-error').textContent = '';
    const submit = async (event) => {
      event.preventDefault();
      const button = event.submitter ?? form.querySelector('[type=submit]');
      button.disabled = true;
      try {
        await send('POST', 'auth/step-up', { otp: $('step-up-otp').value.trim() });
        done();
        resolve();
      } catch (error) {
        $('step-up-error').textContent = error instanceof Error ? error.message : String(error);
        $('step-up-otp').select();
      } finally {
        button.disabled = false;
      }
    };
    const cancelled = () => {
      done();
      reject(new Error('Not done: this change needs a code from your authenticator app.'));
    };
    const done = () => {
      form.removeEventListener('submit', submit);
      dialog.removeEventListener('close', cancelled);
      pendingStepUp = null;
      if (dialog.open) dialog.close();
    };
    form.addEventListener('submit', submit);
    dialog.addEventListener('close', cancelled);
    dialog.showModal();
    $('step-up-otp').focus();
  });
  return pendingStepUp;
}

/** Runs an action with its button disabled; an expired session goes back to the login form. */
async function busy(button, errorElement, action) {
  button.disabled = true;
  errorElement.textContent = '';
  try {
    await action();
  } catch (error) {
    if (!error.sessionEnded) {
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
  // One child per cell: on a phone a cell is a grid of its label and its value.
  if (content.length > 1) {
    const value = document.createElement('span');
    value.append(...content);
    td.append(value);
  } else {
    td.append(...content);
  }
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

function badge(text, className = '', title = '') {
  const span = document.createElement('span');
  span.className = `badge ${className}`.trim();
  span.textContent = text;
  if (title) span.title = title;
  return span;
}

/** A key this close to its expiry is marked, so that it is rolled or replaced in time. */
const EXPIRES_SOON_MS = 7 * DAY_SECONDS * 1000;

/** The leak report's address, as a link only when it is http(s): never a `javascript:` URL. */
function leakLink(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  const a = document.createElement('a');
  a.href = parsed.href;
  a.rel = 'noopener noreferrer';
  a.target = '_blank';
  a.className = 'leak-link';
  a.textContent = 'where it leaked';
  return a;
}

function keyRow(key) {
  const tr = document.createElement('tr');
  tr.setAttribute('role', 'row');
  tr.dataset.id = key.id;

  const left = new Date(key.tm_expire).getTime() - Date.now();
  const expires = [timeElement(key.tm_expire, '')];
  if (left <= 0) {
    tr.classList.add('is-expired');
    expires.push(badge('expired'));
  } else if (left < EXPIRES_SOON_MS) {
    expires.push(badge('expires soon', 'warn', 'In less than 7 days: roll it or make a new one.'));
  }
  const keyName = document.createElement('span');
  keyName.className = 'key-name';
  keyName.textContent = key.name || '(no name)';
  const name = [keyName];
  if (key.quarantined) {
    name.push(badge('quarantined', '', 'Found in public: refused until it is rolled or deleted.'));
  } else if (key.tm_leaked) {
    name.push(badge('leaked', '', `Found in public on ${key.tm_leaked}.`));
  }
  if (key.tm_disabled) name.push(badge('disabled', 'warn', 'Disabled for being unused.'));
  const link = key.leak_url ? leakLink(key.leak_url) : null;
  if (link) name.push(link);

  const prefix = document.createElement('code');
  prefix.textContent = `${key.token_prefix}…`;
  prefix.title = 'The first characters of the key';
  const label = key.name || key.token_prefix;
  const action = (text, className, onClick) => {
    const b = button(text, className, onClick);
    b.setAttribute('aria-label', `${text} ${label}`);
    return b;
  };

  tr.append(
    cell('Name', 'name', ...name),
    cell('Detail', 'detail', key.detail),
    cell('Key', '', prefix),
    cell('Created', '', timeElement(key.tm_create, '')),
    cell('Expires', '', ...expires),
    cell('Last used', '', timeElement(key.tm_last_used, 'Never', minuteFormat)),
    cell('Access', 'access', accessElement(key)),
    cell(
      '',
      'actions-cell',
      action('Edit', 'link', () => openEdit(key)),
      ...(key.tm_disabled ? [action('Enable', 'link', (event) => enableKey(event.currentTarget, key))] : []),
      action('Roll', 'link', () => openRoll(key)),
      action('Delete', 'link danger-text', () => openDelete(key)),
    ),
  );
  return tr;
}

/** A key the unused-key sweep disabled works again at once; nothing to confirm, nothing is lost. */
function enableKey(button, key) {
  void busy(button, $('app-error'), async () => {
    await api('POST', `v1.0/accesskeys/${encodeURIComponent(key.id)}/enable`);
    await loadKeys();
  });
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
  // A filter typed while the catalogue was on its way applies to it too.
  filterScopes();
}

function filterScopes() {
  const filter = $('scope-filter').value.trim().toLowerCase();
  for (const row of $('scope-list').children) row.hidden = !row.dataset.resource.includes(filter);
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

$('scope-filter').addEventListener('input', filterScopes);

/** Newest or soonest first; a key never used goes last when sorting by last use. */
const SORTS = {
  tm_create: (a, b) => b.tm_create.localeCompare(a.tm_create),
  tm_expire: (a, b) => a.tm_expire.localeCompare(b.tm_expire),
  tm_last_used: (a, b) => (b.tm_last_used ?? '').localeCompare(a.tm_last_used ?? ''),
};

/** Draws the keys loaded so far, searched by name and sorted as the toolbar says. */
function renderKeys() {
  const search = $('key-search').value.trim().toLowerCase();
  const shown = allKeys
    .filter((key) => (key.name || '').toLowerCase().includes(search))
    .sort(SORTS[$('key-sort').value] ?? SORTS.tm_create);
  $('key-rows').replaceChildren(...shown.map(keyRow));
  const total = allKeys.length;
  $('empty').hidden = total > 0;
  $('no-match').hidden = total === 0 || shown.length > 0;
  $('keys').hidden = shown.length === 0;
  const count = total === 1 ? '1 key' : `${total} keys${hasMore ? ' so far' : ''}`;
  $('key-count').textContent = shown.length === total ? count : `${shown.length} of ${count}`;
  $('more').hidden = !hasMore;
}

function keysPage(pageToken, size = PAGE_SIZE) {
  const query = new URLSearchParams({ page_size: String(size) });
  if (pageToken) query.set('page_token', pageToken);
  return api('GET', `v1.0/accesskeys?${query}`);
}

async function loadKeys(append = false) {
  const page = await keysPage(append ? nextPageToken : '');
  allKeys = append ? [...allKeys, ...page.result] : page.result;
  nextPageToken = page.next_page_token;
  // Every page with keys has a next_page_token, the last one too: the page after it is empty. A
  // page shorter than asked for is the last; after a full one, a one-key look ahead tells.
  hasMore =
    page.result.length === PAGE_SIZE &&
    nextPageToken !== '' &&
    (await keysPage(nextPageToken, 1)).result.length > 0;
  renderKeys();
}

$('key-search').addEventListener('input', renderKeys);
$('key-sort').addEventListener('change', renderKeys);

// ---- views

const navLinks = () => [...document.querySelectorAll('#nav a[data-view]')];

/** Shows the view a nav entry names (the first one for an unknown hash); a module draws its own. */
async function showView(hash) {
  const links = navLinks();
  const link = links.find((a) => a.hash === hash) ?? links[0];
  for (const a of links) {
    if (a === link) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  for (const section of document.querySelectorAll('main > section[data-view]')) {
    section.hidden = section.id !== link.dataset.view;
  }
  const section = $(link.dataset.view);
  if (link.dataset.module) {
    const module = await import(`./${link.dataset.module}`);
    await module.mount(section, api);
  } else if (section.id === 'keys-view') {
    $('key-name').focus();
  } else {
    showMounted(section);
  }
}

window.addEventListener('hashchange', () => {
  if (session) void busy($('logout'), $('app-error'), () => showView(location.hash));
});

function showLoggedIn() {
  $('login-view').hidden = true;
  $('nav').hidden = false;
  $('session').hidden = false;
  $('whoami').textContent = session.username;
}

function logOut(message = '') {
  session = null;
  unmountViews();
  allKeys = [];
  nextPageToken = '';
  hasMore = false;
  $('key-rows').replaceChildren();
  $('key-search').value = '';
  hideNewKey();
  $('app-error').textContent = '';
  for (const section of document.querySelectorAll('main > section[data-view]')) {
    section.hidden = true;
    // A module's view holds what it showed (recovery codes among them): gone with the session.
    if (section.id !== 'keys-view') section.replaceChildren();
  }
  for (const dialog of document.querySelectorAll('dialog')) if (dialog.open) dialog.close();
  $('nav').hidden = true;
  $('session').hidden = true;
  $('login-view').hidden = false;
  $('password').value = '';
  $('login-otp').value = '';
  $('login-otp-field').hidden = true;
  $('login-error').textContent = message;
  $('username').focus();
}

function hideNewKey() {
  $('new-key').hidden = true;
  $('new-token').textContent = '';
  $('copy-status').textContent = '';
}

/** The token of a new key, or the new secret of a rolled one: shown once, with the key's name. */
function showToken(title, key) {
  $('new-key-title').firstChild.textContent = title;
  $('new-key-name').textContent = key.name || key.token_prefix;
  $('new-token').textContent = key.token;
  $('copy-status').textContent = '';
  $('new-key').hidden = false;
  $('copy').focus();
}

// ---- dialogs

let dialogKey = null;

function openEdit(key) {
  dialogKey = key;
  $('edit-name').value = key.name;
  $('edit-detail').value = key.detail;
  $('edit-dialog').showModal();
  $('edit-name').select();
}

function openRoll(key) {
  dialogKey = key;
  const name = key.name || key.token_prefix;
  $('roll-text').textContent =
    `“${name}” gets a new secret, shown once. Clients still using the old one keep working only for the time you choose.`;
  $('roll-grace').value = '86400';
  $('roll-dialog').showModal();
  $('roll-grace').focus();
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
  const otp = $('login-otp-field').hidden ? '' : $('login-otp').value.trim();
  void busy(event.submitter ?? $('login-form').querySelector('button'), $('login-error'), async () => {
    try {
      await api('POST', 'auth/login', otp ? { username, password, otp } : { username, password });
    } catch (error) {
      // An account with a second factor: ask for the code, and log in again with it.
      if (error instanceof ApiFailure && error.reason === 'OTP_REQUIRED') {
        $('login-otp-field').hidden = false;
        $('login-otp').focus();
        throw new Error('Enter the code from your authenticator app.', { cause: error });
      }
      if (error instanceof ApiFailure && error.reason === 'OTP_INVALID') $('login-otp').select();
      throw error;
    }
    $('password').value = '';
    $('login-otp').value = '';
    $('login-otp-field').hidden = true;
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
  mountViews(document.querySelector('#nav ul'), document.querySelector('main'), customer, api, () =>
    logOut('Your session has ended. Log in again.'),
  );
  await loadKeys();
  await showView(location.hash);
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

// The browser refusing a field (out of range, say) says why itself: the last attempt's message goes.
$('create-form').addEventListener('invalid', () => ($('app-error').textContent = ''), true);

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
    showToken('Your new access key: ', key);
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

$('edit-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = dialogKey;
  const body = { name: $('edit-name').value.trim(), detail: $('edit-detail').value.trim() };
  // Closed first, so that an error shows on the page rather than behind the dialog.
  $('edit-dialog').close();
  void busy(event.submitter, $('app-error'), async () => {
    await api('PUT', `v1.0/accesskeys/${encodeURIComponent(key.id)}`, body);
    await loadKeys();
  });
});

$('roll-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = dialogKey;
  const grace = Number($('roll-grace').value);
  $('roll-dialog').close();
  void busy(event.submitter, $('app-error'), async () => {
    const rolled = await api('POST', `v1.0/accesskeys/${encodeURIComponent(key.id)}/roll`, { grace });
    showToken('New secret for the key: ', rolled);
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
