// Customers, for super admins (permission bit 1): list, search, create, change permission, reset a
// password, delete. A plain client of /v1.0/customers; the API refuses anyone else whatever this shows.
import { busy, cell, dialog, el, field, select, table, time } from './ops-ui.js';

const PAGE_SIZE = 100;
/** The permission sets the API takes (bits 1 super admin, 32 customer admin, 64 customer manager). */
const PERMISSIONS = [
  ['32', 'Customer admin (32)'],
  ['64', 'Customer manager (64)'],
  ['96', 'Customer admin and manager (96)'],
  ['1', 'Super admin (1)'],
  ['33', 'Super admin and customer admin (33)'],
  ['0', 'No permission (0)'],
];

export function mount(section, api) {
  const error = el('p', { class: 'error', role: 'alert' });
  const status = el('p', { class: 'muted', role: 'status' });
  const username = el('input', {
    name: 'username',
    autocomplete: 'off',
    autocapitalize: 'none',
    required: true,
  });
  const password = el('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'new-password',
    minlength: 8,
  });
  const name = el('input', { name: 'name', maxlength: 255 });
  const email = el('input', { name: 'email', type: 'email', maxlength: 254 });
  const permission = select(PERMISSIONS, { name: 'permission' });
  const createForm = el(
    'form',
    { class: 'create', 'aria-labelledby': 'customer-create-title', novalidate: true },
    field('customer-username', 'Username', username),
    field('customer-password', 'Password (8+ characters)', password),
    field('customer-name', 'Name', name),
    field('customer-email', 'Email (optional)', email),
    field('customer-permission', 'Permission', permission),
    el('button', { type: 'submit', class: 'primary', text: 'Create customer' }),
  );

  const search = el('input', { type: 'search', placeholder: 'Username, name or email' });
  const count = el('span', { class: 'muted' });
  const { element: list, body } = table('Customers', [
    'Username',
    'Name',
    'Email',
    'Permission',
    'Created',
    'Actions',
  ]);
  const empty = el('p', { class: 'empty', text: 'No customer matches.', hidden: true });
  const more = el('button', { type: 'button', class: 'secondary', text: 'Show more', hidden: true });

  let customers = [];
  let nextPageToken = '';
  let chosen = null;

  const newPassword = el('input', {
    type: 'password',
    autocomplete: 'new-password',
    minlength: 8,
    required: true,
  });
  const resetDialog = dialog(
    'customer-reset-dialog',
    'Reset password',
    [
      el('p', { class: 'reset-for' }),
      field('customer-new-password', 'New password (8+ characters)', newPassword, 'stack'),
    ],
    'Set password',
    'primary',
    () => {
      const customer = chosen;
      const value = newPassword.value;
      newPassword.value = '';
      void busy(null, error, async () => {
        await api('PUT', `v1.0/customers/${encodeURIComponent(customer.id)}`, { password: value });
        status.textContent = `The password of ${customer.username} is set; its sessions have ended.`;
      });
    },
  );
  const deleteText = el('p');
  const deleteDialog = dialog(
    'customer-delete-dialog',
    'Delete customer?',
    [deleteText],
    'Delete',
    'danger',
    () => {
      const customer = chosen;
      void busy(null, error, async () => {
        await api('DELETE', `v1.0/customers/${encodeURIComponent(customer.id)}`);
        status.textContent = `${customer.username} is deleted.`;
        await load();
      });
    },
  );

  section.append(
    el(
      'div',
      { class: 'card' },
      el('h2', { id: 'customer-create-title', text: 'Create a customer' }),
      createForm,
      error,
      status,
    ),
    el(
      'div',
      { class: 'card' },
      el('div', { class: 'card-head' }, el('h2', { text: 'Customers' }), count),
      field('customer-search', 'Search', search, 'field ops-search'),
      list,
      empty,
      more,
    ),
    resetDialog,
    deleteDialog,
  );

  function matches(customer) {
    const needle = search.value.trim().toLowerCase();
    if (!needle) return true;
    return [customer.username, customer.name, customer.email ?? ''].some((text) =>
      text.toLowerCase().includes(needle),
    );
  }

  function row(customer) {
    const level = select(PERMISSIONS, { 'aria-label': `Permission of ${customer.username}` });
    if (!PERMISSIONS.some(([value]) => value === String(customer.permission))) {
      level.append(el('option', { value: String(customer.permission), text: String(customer.permission) }));
    }
    level.value = String(customer.permission);
    level.addEventListener('change', () => {
      void busy(level, error, async () => {
        try {
          const changed = await api('PUT', `v1.0/customers/${encodeURIComponent(customer.id)}`, {
            permission: Number(level.value),
          });
          customer.permission = changed.permission;
          status.textContent = `${customer.username} now has permission ${changed.permission}.`;
        } finally {
          level.value = String(customer.permission);
        }
      });
    });
    return el(
      'tr',
      { role: 'row', 'data-id': customer.id },
      cell('Username', el('span', { class: 'name', text: customer.username })),
      cell('Name', customer.name),
      cell('Email', customer.email ?? ''),
      cell('Permission', level),
      cell('Created', time(customer.tm_create)),
      el(
        'td',
        { role: 'cell', class: 'actions-cell' },
        el('button', {
          type: 'button',
          class: 'link',
          text: 'Reset password',
          'aria-label': `Reset the password of ${customer.username}`,
          onclick: () => {
            chosen = customer;
            resetDialog.querySelector('.reset-for').textContent =
              `${customer.username} logs in with the new password; its sessions end.`;
            resetDialog.showModal();
            newPassword.focus();
          },
        }),
        el('button', {
          type: 'button',
          class: 'link danger-text',
          text: 'Delete',
          'aria-label': `Delete ${customer.username}`,
          onclick: () => {
            chosen = customer;
            deleteText.textContent = `“${customer.username}” and all its access keys stop working at once. This cannot be undone.`;
            deleteDialog.showModal();
          },
        }),
      ),
    );
  }

  function render() {
    const shown = customers.filter(matches);
    body.replaceChildren(...shown.map(row));
    empty.hidden = shown.length > 0;
    list.hidden = shown.length === 0;
    more.hidden = nextPageToken === '';
    count.textContent = `${shown.length} of ${customers.length}${nextPageToken ? ' loaded' : ''}`;
  }

  /** The first page again, or the next one; the search filters what is loaded. */
  async function load(append = false) {
    const query = new URLSearchParams({ page_size: String(PAGE_SIZE) });
    if (append) query.set('page_token', nextPageToken);
    const page = await api('GET', `v1.0/customers?${query}`);
    customers = append ? customers.concat(page.result) : page.result;
    // A page shorter than asked for is the last one.
    nextPageToken = page.result.length === PAGE_SIZE ? page.next_page_token : '';
    render();
  }

  search.addEventListener('input', render);
  more.addEventListener('click', () => void busy(more, error, () => load(true)));
  createForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!username.value.trim()) {
      error.textContent = 'Enter a username.';
      return;
    }
    void busy(event.submitter, error, async () => {
      const body = { username: username.value.trim(), permission: Number(permission.value) };
      if (password.value) body.password = password.value;
      if (name.value.trim()) body.name = name.value.trim();
      if (email.value.trim()) body.email = email.value.trim();
      const created = await api('POST', 'v1.0/customers', body);
      createForm.reset();
      status.textContent = `${created.username} is created.`;
      await load();
    });
  });

  return { show: () => busy(null, error, () => load()) };
}
