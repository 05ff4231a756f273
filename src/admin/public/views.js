// The views beside the keys: a nav of tabs, one section per view, each module's `mount(section, api)`.
// admin.js calls mountViews on login and unmountViews on logout, which drops every view's state.
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

let mounted = null;

/**
 * Adds the nav and the views before `keysView`. `api(method, path, body)` is the page's API client;
 * `onExpired` runs when the API answers 401 (the session has ended).
 */
export function mountViews(keysView, customer, api, onExpired) {
  unmountViews();
  const guarded = async (...args) => {
    try {
      return await api(...args);
    } catch (error) {
      if (error && error.status === 401) onExpired();
      throw error;
    }
  };
  const nav = el('nav', { class: 'ops-nav', 'aria-label': 'Views' });
  const tabs = [{ id: 'keys', label: 'Access keys', section: keysView, show: null }];
  for (const view of viewsFor(customer.permission)) {
    const section = el('section', {
      id: `${view.id}-view`,
      class: 'stack-lg',
      'aria-label': view.label,
      hidden: true,
    });
    keysView.after(section);
    const mountedView = view.mount(section, guarded);
    tabs.push({ ...view, section, show: mountedView && mountedView.show });
  }

  function open(tab) {
    for (const other of tabs) {
      other.section.hidden = other !== tab;
      other.button.setAttribute('aria-current', String(other === tab));
    }
    if (tab.show) void tab.show();
  }
  for (const tab of tabs) {
    tab.button = el('button', {
      type: 'button',
      class: 'ops-tab',
      text: tab.label,
      onclick: () => open(tab),
    });
    nav.append(tab.button);
  }
  keysView.before(nav);
  mounted = { nav, tabs };
  open(tabs[0]);
}

export function unmountViews() {
  if (!mounted) return;
  mounted.nav.remove();
  for (const tab of mounted.tabs) {
    if (tab.id === 'keys') tab.section.hidden = true;
    else tab.section.remove();
  }
  mounted = null;
}
