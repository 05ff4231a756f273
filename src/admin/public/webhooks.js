// Webhooks: where the customer's events go (webhook_uri / webhook_method of PUT /v1.0/customer), the
// signing secret (rolled, shown once), a test event, and the last deliveries.
import { busy, cell, el, field, select, table, time } from './ops-ui.js';

const METHODS = [
  ['POST', 'POST'],
  ['PUT', 'PUT'],
  ['GET', 'GET'],
  ['DELETE', 'DELETE'],
];
const DELIVERIES = 20;

export function mount(section, api) {
  const error = el('p', { class: 'error', role: 'alert' });
  const status = el('p', { class: 'muted', role: 'status' });
  const uri = el('input', {
    type: 'url',
    maxlength: 1023,
    placeholder: 'https://example.com/webhooks/voipbin',
  });
  const method = select(METHODS);
  const endpointForm = el(
    'form',
    { class: 'create', 'aria-labelledby': 'webhook-endpoint-title' },
    field('webhook-uri', 'Endpoint URL', uri, 'field grow'),
    field('webhook-method', 'Method', method),
    el('button', { type: 'submit', class: 'primary', text: 'Save endpoint' }),
  );
  const secretState = el('p', { class: 'muted' });
  const rollButton = el('button', { type: 'button', class: 'secondary', text: 'Roll the signing secret' });
  const testButton = el('button', { type: 'button', class: 'secondary', text: 'Send a test event' });
  const secretCode = el('code');
  const secretCard = el(
    'div',
    { class: 'card notice', hidden: true },
    el('h2', { text: 'Your new signing secret' }),
    el('p', { text: 'Copy it now: it is shown only this once, and the old secret signs no more.' }),
    el('div', { class: 'token' }, secretCode),
    el('button', {
      type: 'button',
      class: 'secondary',
      text: 'Done',
      onclick: () => {
        secretCard.hidden = true;
        secretCode.textContent = '';
      },
    }),
  );
  const refresh = el('button', { type: 'button', class: 'secondary', text: 'Refresh' });
  const { element: list, body } = table('Webhook deliveries', [
    'Created',
    'Event',
    'Status',
    'Attempts',
    'Response',
    'Last error',
    'Next attempt / delivered',
  ]);
  const empty = el('p', { class: 'empty', text: 'No deliveries yet.', hidden: true });

  section.append(
    el(
      'div',
      { class: 'card' },
      el('h2', { id: 'webhook-endpoint-title', text: 'Webhook endpoint' }),
      el('p', {
        class: 'muted',
        text: 'Every event of the activity log is sent here, signed as Standard Webhooks say (webhook-signature).',
      }),
      endpointForm,
      secretState,
      el('div', { class: 'actions ops-actions' }, rollButton, testButton),
      error,
      status,
    ),
    secretCard,
    el(
      'div',
      { class: 'card' },
      el('div', { class: 'card-head' }, el('h2', { text: 'Last deliveries' }), refresh),
      list,
      empty,
    ),
  );

  function row(delivery) {
    const badge = el('span', { class: `ops-status is-${delivery.status}`, text: delivery.status });
    return el(
      'tr',
      { role: 'row', 'data-id': delivery.id },
      cell('Created', time(delivery.tm_create, '', true)),
      cell(
        'Event',
        el('code', { text: delivery.action }),
        el('span', { class: 'muted', text: ` ${delivery.event_id}` }),
      ),
      cell('Status', badge),
      cell('Attempts', String(delivery.attempts)),
      cell('Response', delivery.response_status === null ? '—' : String(delivery.response_status)),
      cell('Last error', delivery.last_error ?? ''),
      cell('Next attempt / delivered', time(delivery.tm_delivered ?? delivery.tm_next_attempt, '—', true)),
    );
  }

  async function loadDeliveries() {
    const page = await api('GET', `v1.0/webhook-deliveries?page_size=${DELIVERIES}`);
    body.replaceChildren(...page.result.map(row));
    empty.hidden = page.result.length > 0;
    list.hidden = page.result.length === 0;
  }

  async function loadEndpoint() {
    const customer = await api('GET', 'v1.0/customer');
    uri.value = customer.webhook_uri ?? '';
    method.value = customer.webhook_method || 'POST';
    const webhook = await api('GET', 'v1.0/customer/webhook');
    secretState.textContent = webhook.secret_set
      ? 'A signing secret is set.'
      : 'No signing secret yet: roll one before the first delivery.';
  }

  endpointForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void busy(event.submitter, error, async () => {
      const target = uri.value.trim();
      // No URL: no method either, so that the customer reads as "no webhook" everywhere.
      const changed = await api('PUT', 'v1.0/customer', {
        webhook_uri: target,
        webhook_method: target ? method.value : '',
      });
      uri.value = changed.webhook_uri;
      status.textContent = changed.webhook_uri
        ? `Events go to ${changed.webhook_method} ${changed.webhook_uri}.`
        : 'No endpoint: events are not sent.';
    });
  });
  rollButton.addEventListener('click', () => {
    void busy(rollButton, error, async () => {
      const { secret } = await api('POST', 'v1.0/customer/webhook-secret');
      secretCode.textContent = secret;
      secretCard.hidden = false;
      secretState.textContent = 'A signing secret is set.';
    });
  });
  testButton.addEventListener('click', () => {
    void busy(testButton, error, async () => {
      const { event_id: id } = await api('POST', 'v1.0/customer/webhook-test');
      status.textContent = `Test event ${id} is queued.`;
      await loadDeliveries();
    });
  });
  refresh.addEventListener('click', () => void busy(refresh, error, loadDeliveries));

  return {
    show: () =>
      busy(null, error, async () => {
        await loadEndpoint();
        await loadDeliveries();
      }),
  };
}
