// The views beside Keys and Account: an entry each in the header's nav and a section each in <main>,
// drawn once by the module's `mount(section, api)`; admin.js shows them like its own views and calls
// `showMounted` when one is opened. mountViews runs on login, unmountViews on logout.
import { mount as mountActivity } from './activity.js';
import { mount as mountCustomers } from './customers.js';
import { el } from './ops-ui.js';
import { mount as mountWebhooks } from './webhooks.js';

const SUPER_ADMIN = 1;

/** Which views a customer gets: Customers only for super admins (the API refuses others anyway). */
function viewsFor(permission) {
  return [
    { id: 'activity', label: 'Activity', mount: mountActivity },
    { id: 'webhooks', label: 'Webhooks', mount: mountWebhooks },
    ...((permission & SUPER_ADMIN) !== 0
      ? [{ id: 'customers', label: 'Customers', mount: mountCustomers }]
      : []),
  ];
}

let mounted = [];

/**
 * Adds each view's nav entry to `navList` and its section to `main`. `api(method, path, body)` is the
 * page's API client; `onExpired` runs when the API answers 401 (the session has ended).
 */
export function mountViews(navList, main, customer, api, onExpired) {
  unmountViews();
  const guarded = async (...args) => {
    try {
      return await api(...args);
    } catch (error) {
      if (error && error.status === 401) onExpired();
      throw error;
    }
  };
  for (const view of viewsFor(customer.permission)) {
    const section = el('section', {
      id: `${view.id}-view`,
      class: 'stack-lg',
      'aria-label': view.label,
      'data-view': '',
      hidden: true,
    });
    main.append(section);
    const item = el('li');
    item.append(el('a', { href: `#${view.id}`, 'data-view': section.id, text: view.label }));
    navList.append(item);
    const drawn = view.mount(section, guarded);
    mounted.push({ item, section, show: drawn && drawn.show });
  }
}

/** Called when the view in `section` is opened: a view that reloads on opening does so. */
export function showMounted(section) {
  const view = mounted.find((m) => m.section === section);
  if (view && view.show) void view.show();
}

export function unmountViews() {
  for (const view of mounted) {
    view.item.remove();
    view.section.remove();
  }
  mounted = [];
}
