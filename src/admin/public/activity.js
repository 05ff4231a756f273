// Activity: the customer's audit log (GET /v1.0/audit), filtered by action, key and time, with the
// chain's verification (GET /v1.0/audit/verify).
import { busy, cell, el, field, select, table, time } from './ops-ui.js';

const PAGE_SIZE = 50;
const ACTIONS = [
  'login.succeeded',
  'login.failed',
  'login.throttled',
  'accesskey.created',
  'accesskey.updated',
  'accesskey.rolled',
  'accesskey.deleted',
  'accesskey.leaked',
  'accesskey.disabled',
  'accesskey.enabled',
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'password.changed',
  'password.reset',
  'session.ended',
  'webhook.secret_rolled',
  'webhook.test',
];

/** Who did it, in words: you or another customer by a login, a key (its prefix), the admin command... */
function actorText(actor, ownId) {
  if (actor.via === 'accesskey') return `key ${actor.key_prefix ?? ''}…`;
  if (actor.via === 'jwt')
    return actor.customer_id === ownId ? 'you, logged in' : `customer ${actor.customer_id}, logged in`;
  if (actor.via === 'password') return 'a login';
  return actor.via;
}

/** A `datetime-local` value (the reader's time zone) as the ISO time the API takes. */
function isoOf(value) {
  return value ? new Date(value).toISOString() : '';
}

export function mount(section, api) {
  const error = el('p', { class: 'error', role: 'alert' });
  const action = select([['', 'Any action'], ...ACTIONS.map((a) => [a, a])]);
  const key = select([['', 'Any key']]);
  const since = el('input', { type: 'datetime-local' });
  const until = el('input', { type: 'datetime-local' });
  const filters = el(
    'form',
    { class: 'create', 'aria-label': 'Filter the activity' },
    field('activity-action', 'Action', action),
    field('activity-key', 'Key', key),
    field('activity-since', 'From', since),
    field('activity-until', 'Until', until),
    el('button', { type: 'submit', class: 'primary', text: 'Show' }),
  );
  const verifyButton = el('button', { type: 'button', class: 'secondary', text: 'Verify the log' });
  const verdict = el('p', { class: 'ops-verdict', role: 'status' });
  const { element: list, body } = table('Activity', ['Time', 'Action', 'Actor', 'Target', 'IP address']);
  const empty = el('p', { class: 'empty', text: 'No activity matches.', hidden: true });
  const more = el('button', { type: 'button', class: 'secondary', text: 'Show more', hidden: true });

  section.append(
    el(
      'div',
      { class: 'card' },
      el('div', { class: 'card-head' }, el('h2', { text: 'Activity' }), verifyButton),
      verdict,
      filters,
      error,
      list,
      empty,
      more,
    ),
  );

  let nextPageToken = '';
  /** The customer logged in (its log is the one shown), to name its own actions "you". */
  let ownId = null;
  let keyNames = new Map();

  function targetText(target) {
    const [kind, id] = target.split(':');
    if (kind === 'accesskey' && keyNames.has(id)) return `key “${keyNames.get(id)}”`;
    return target || '—';
  }

  function row(event) {
    const target = el('span', { text: targetText(event.target), title: event.target });
    return el(
      'tr',
      { role: 'row', 'data-sequence': event.sequence },
      cell('Time', time(event.tm_create, '', true)),
      cell('Action', el('code', { text: event.action })),
      cell('Actor', actorText(event.actor, ownId)),
      cell('Target', target),
      cell('IP address', event.client_ip || '—'),
    );
  }

  async function loadKeys() {
    ownId ??= (await api('GET', 'v1.0/customer')).id;
    const chosen = key.value;
    const page = await api('GET', 'v1.0/accesskeys?page_size=100');
    keyNames = new Map(page.result.map((k) => [k.id, k.name || `${k.token_prefix}…`]));
    key.replaceChildren(
      el('option', { value: '', text: 'Any key' }),
      ...page.result.map((k) => el('option', { value: k.id, text: keyNames.get(k.id) })),
    );
    key.value = keyNames.has(chosen) ? chosen : '';
  }

  async function load(append = false) {
    const query = new URLSearchParams({ page_size: String(PAGE_SIZE) });
    if (action.value) query.set('action', action.value);
    if (key.value) query.set('target', `accesskey:${key.value}`);
    if (since.value) query.set('since', isoOf(since.value));
    if (until.value) query.set('until', isoOf(until.value));
    if (append) query.set('page_token', nextPageToken);
    const page = await api('GET', `v1.0/audit?${query}`);
    const rows = page.result.map(row);
    if (append) body.append(...rows);
    else body.replaceChildren(...rows);
    nextPageToken = page.result.length === PAGE_SIZE ? page.next_page_token : '';
    more.hidden = nextPageToken === '';
    empty.hidden = body.children.length > 0;
    list.hidden = body.children.length === 0;
  }

  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    void busy(event.submitter, error, () => load());
  });
  more.addEventListener('click', () => void busy(more, error, () => load(true)));
  verifyButton.addEventListener('click', () => {
    verdict.textContent = '';
    verdict.classList.remove('is-valid', 'is-broken');
    void busy(verifyButton, error, async () => {
      const result = await api('GET', 'v1.0/audit/verify');
      const pruned = result.pruned_through ? ` (events through ${result.pruned_through} pruned)` : '';
      verdict.classList.add(result.valid ? 'is-valid' : 'is-broken');
      verdict.textContent = result.valid
        ? `The log is intact: ${result.events} events${pruned}.`
        : `The log does not hold from event ${result.sequence} on (of ${result.events}).`;
    });
  });

  // Shown again: keys created meanwhile join the chooser, and the newest events come first.
  return {
    show: () =>
      busy(null, error, async () => {
        await loadKeys();
        await load();
      }),
  };
}
