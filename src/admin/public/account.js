// The Account view: the password, the second factor (TOTP) and the sessions of the person logged in.
// `mount(section, api)` draws it afresh each time the view is opened; `api(method, path, body)` is
// the page's client (it asks for a fresh code itself when a change needs one).
// The QR code of an enrolment is drawn here, on a canvas, by a library this service serves: the
// secret in it goes to no one else.
import { qrcode } from './vendor/qrcode.mjs';

/** A small element builder: properties, then children (strings become text, never markup). */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name.startsWith('aria-') || name === 'role' || name === 'for') node.setAttribute(name, value);
    else node[name] = value;
  }
  node.append(...children);
  return node;
}

const minuteFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function time(iso) {
  return el('time', { dateTime: iso, title: iso }, minuteFormat.format(new Date(iso)));
}

/** Runs an action with its button disabled, and says in `status` how it went. */
async function run(button, status, action) {
  button.disabled = true;
  status.textContent = '';
  status.classList.remove('error');
  try {
    const message = await action();
    if (message) status.textContent = message;
  } catch (error) {
    if (error.sessionEnded) return;
    status.classList.add('error');
    status.textContent = error instanceof Error ? error.message : String(error);
  } finally {
    button.disabled = false;
  }
}

function field(id, label, props = {}) {
  const input = el('input', { id, ...props });
  return { input, nodes: [el('label', { for: id }, label), input] };
}

// ---- password

function passwordCard(api) {
  const old = field('account-old-password', 'Current password', {
    type: 'password',
    autocomplete: 'current-password',
  });
  const next = field('account-new-password', 'New password', {
    type: 'password',
    autocomplete: 'new-password',
  });
  const again = field('account-new-password-again', 'New password again', {
    type: 'password',
    autocomplete: 'new-password',
  });
  const status = el('p', { role: 'status', className: 'muted' });
  const submit = el('button', { type: 'submit', className: 'primary' }, 'Change password');
  const form = el(
    'form',
    { className: 'stack narrow', 'aria-labelledby': 'password-title' },
    ...old.nodes,
    ...next.nodes,
    ...again.nodes,
    status,
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run(submit, status, async () => {
      if (next.input.value !== again.input.value) throw new Error('The two new passwords differ.');
      await api('PUT', 'v1.0/customer/password', {
        old_password: old.input.value,
        new_password: next.input.value,
      });
      form.reset();
      return 'Password changed. Every other session has ended; this one goes on.';
    });
  });
  return el('div', { className: 'card' }, el('h2', { id: 'password-title' }, 'Password'), form);
}

// ---- second factor

/** Draws the otpauth:// URI as a QR code on a canvas, dark modules on white with a quiet zone. */
function qrCanvas(uri) {
  const code = qrcode(0, 'M');
  code.addData(uri);
  code.make();
  const modules = code.getModuleCount();
  const scale = 5;
  const quiet = 4;
  const size = (modules + quiet * 2) * scale;
  const canvas = el('canvas', {
    width: size,
    height: size,
    className: 'qr',
    role: 'img',
    'aria-label': 'QR code to scan with your authenticator app',
  });
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, size, size);
  context.fillStyle = '#000000';
  for (let row = 0; row < modules; row++) {
    for (let col = 0; col < modules; col++) {
      if (code.isDark(row, col)) {
        context.fillRect((col + quiet) * scale, (row + quiet) * scale, scale, scale);
      }
    }
  }
  return canvas;
}

function recoveryCodes(codes, onDone) {
  const done = el('button', { type: 'button', className: 'primary' }, 'I have saved them');
  done.addEventListener('click', onDone);
  return el(
    'div',
    { className: 'notice-box stack', role: 'group', 'aria-labelledby': 'recovery-title' },
    el('h3', { id: 'recovery-title' }, 'Your recovery codes'),
    el(
      'p',
      {},
      'Each logs you in once without the app. Keep them somewhere safe: ',
      el('strong', {}, 'they will not be shown again.'),
    ),
    el(
      'ul',
      { className: 'codes', id: 'recovery-codes' },
      ...codes.map((c) => el('li', {}, el('code', {}, c))),
    ),
    done,
  );
}

/** `sessionsChanged` redraws the sessions: turning the factor on ends every other one. */
function totpCard(api, customer, redraw, sessionsChanged) {
  const body = el('div', { className: 'stack' });
  const card = el(
    'div',
    { className: 'card' },
    el('h2', { id: 'totp-title' }, 'Two-factor authentication'),
    body,
  );
  const status = el('p', { role: 'status', className: 'muted' });

  if (customer.totp_enabled) {
    const code = field('totp-disable-code', 'Code from your app (or a recovery code)', {
      autocomplete: 'one-time-code',
      inputmode: 'numeric',
    });
    const submit = el('button', { type: 'submit', className: 'danger' }, 'Turn off two-factor');
    const form = el(
      'form',
      { className: 'stack narrow', 'aria-label': 'Turn off two-factor' },
      ...code.nodes,
      status,
      submit,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void run(submit, status, async () => {
        await api('POST', 'v1.0/customer/totp/disable', { otp: code.input.value.trim() });
        await redraw('Two-factor authentication is off.');
      });
    });
    body.append(
      el('p', {}, el('span', { className: 'badge ok' }, 'on'), ' Logging in needs a code from your app.'),
      form,
    );
    return card;
  }

  const start = el('button', { type: 'button', className: 'primary' }, 'Set up two-factor');
  body.append(el('p', { className: 'muted' }, 'Off: logging in needs only your password.'), start, status);
  start.addEventListener('click', () => {
    void run(start, status, async () => {
      const enrolment = await api('POST', 'v1.0/customer/totp');
      const code = field('totp-confirm-code', 'Code shown by the app', {
        autocomplete: 'one-time-code',
        inputmode: 'numeric',
      });
      const confirm = el('button', { type: 'submit', className: 'primary' }, 'Turn on');
      const confirmStatus = el('p', { role: 'status', className: 'muted' });
      const form = el(
        'form',
        { className: 'stack narrow', 'aria-label': 'Confirm two-factor' },
        ...code.nodes,
        confirmStatus,
        confirm,
      );
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        void run(confirm, confirmStatus, async () => {
          const { recovery_codes: codes } = await api('POST', 'v1.0/customer/totp/confirm', {
            otp: code.input.value.trim(),
          });
          body.replaceChildren(
            el('p', {}, 'Two-factor authentication is on.'),
            recoveryCodes(codes, () => void redraw('')),
          );
          body.querySelector('button').focus();
          await sessionsChanged();
        });
      });
      body.replaceChildren(
        el('p', {}, 'Scan this with your authenticator app, then type the code it shows.'),
        qrCanvas(enrolment.uri),
        el(
          'p',
          { className: 'muted' },
          'Or enter this key by hand: ',
          el('code', { id: 'totp-secret' }, enrolment.secret),
        ),
        form,
      );
      code.input.focus();
    });
  });
  return card;
}

// ---- sessions

function sessionsCard(api, redraw) {
  const rows = el('tbody');
  const status = el('p', { role: 'status', className: 'muted' });
  const endOthers = el('button', { type: 'button', className: 'secondary' }, 'End all other sessions');
  endOthers.addEventListener('click', () => {
    void run(endOthers, status, async () => {
      const { ended } = await api('DELETE', 'v1.0/customer/sessions');
      await redraw(ended === 1 ? '1 other session ended.' : `${ended} other sessions ended.`);
    });
  });
  const card = el(
    'div',
    { className: 'card' },
    el('div', { className: 'card-head' }, el('h2', { id: 'sessions-title' }, 'Sessions'), endOthers),
    el(
      'table',
      { className: 'keys sessions', 'aria-labelledby': 'sessions-title' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...['Browser', 'Address', 'Started', 'Last seen'].map((h) => el('th', { scope: 'col' }, h)),
          el('th', { scope: 'col' }, el('span', { className: 'visually-hidden' }, 'Actions')),
        ),
      ),
      rows,
    ),
    status,
  );
  const load = async () => {
    const page = await api('GET', 'v1.0/customer/sessions?page_size=100');
    rows.replaceChildren(
      ...page.result.map((session) => {
        const action = session.current
          ? el('span', { className: 'badge ok' }, 'this session')
          : el(
              'button',
              {
                type: 'button',
                className: 'link danger-text',
                'aria-label': `End the session from ${session.client_ip} started ${session.tm_create}`,
              },
              'End',
            );
        if (!session.current) {
          action.addEventListener('click', () => {
            void run(action, status, async () => {
              await api('DELETE', `v1.0/customer/sessions/${encodeURIComponent(session.id)}`);
              await redraw('Session ended.');
            });
          });
        }
        const cell = (label, ...content) => el('td', { className: label ? '' : 'actions-cell' }, ...content);
        const tr = el(
          'tr',
          {},
          cell('Browser', session.user_agent || 'unknown'),
          cell('Address', session.client_ip),
          cell('Started', time(session.tm_create)),
          cell('Last seen', time(session.tm_last_seen)),
          cell('', action),
        );
        for (const [i, label] of ['Browser', 'Address', 'Started', 'Last seen', ''].entries()) {
          tr.children[i].dataset.label = label;
        }
        if (session.current) tr.className = 'current';
        return tr;
      }),
    );
    endOthers.disabled = page.result.every((session) => session.current);
  };
  return { card, load };
}

/** Draws the Account view into `section`, with `message` said at its top. */
export async function mount(section, api, message = '') {
  const customer = await api('GET', 'v1.0/customer');
  const redraw = (said) => mount(section, api, said);
  const sessions = sessionsCard(api, redraw);
  await sessions.load();
  const heading = el('h1', { tabIndex: -1 }, 'Account');
  section.replaceChildren(
    heading,
    el('p', { role: 'status', id: 'account-status', className: message ? 'done' : 'muted' }, message),
    passwordCard(api),
    totpCard(api, customer, redraw, sessions.load),
    sessions.card,
  );
  // The view was drawn anew (the button just used among it): focus goes to its top, not to <body>.
  heading.focus();
}
