// Small DOM helpers shared by the customers, activity and webhooks views. Everything the API returns
// goes in as text (textContent), never as markup.

/** An element with attributes (`class`, `for`, `data-*`, `aria-*`, ...) and children (nodes or text). */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name === 'text') element.textContent = value;
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children.filter((child) => child !== undefined && child !== null));
  return element;
}

/** A labelled input, select or textarea in a `.field`: the label names the control for everyone. */
export function field(id, label, control, className = 'field') {
  control.id = id;
  return el('div', { class: className }, el('label', { for: id, text: label }), control);
}

export function select(options, attributes = {}) {
  return el('select', attributes, ...options.map(([value, text]) => el('option', { value, text })));
}

const minuteFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const secondFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** A time in the reader's locale; the exact UTC time is in its tooltip. */
export function time(iso, empty = '', seconds = false) {
  if (!iso) return el('span', { class: 'muted', text: empty });
  const format = seconds ? secondFormat : minuteFormat;
  return el('time', { datetime: iso, title: iso, text: format.format(new Date(iso)) });
}

/** A table cell that carries its column's name, for the stacked layout of narrow screens. */
export function cell(label, ...content) {
  return el('td', { role: 'cell', 'data-label': label }, ...content);
}

/** A table of the page's look (stacked into cards below 720 px) with a caption for screen readers. */
export function table(caption, columns) {
  const body = el('tbody');
  const element = el(
    'table',
    { role: 'table', class: 'keys ops-table' },
    el('caption', { class: 'visually-hidden', text: caption }),
    el(
      'thead',
      {},
      el(
        'tr',
        { role: 'row' },
        ...columns.map((name) => el('th', { role: 'columnheader', scope: 'col', text: name })),
      ),
    ),
    body,
  );
  return { element, body };
}

/** Runs an action with its control disabled, and shows what went wrong in `errorElement`. */
export async function busy(control, errorElement, action) {
  if (control) control.disabled = true;
  errorElement.textContent = '';
  try {
    await action();
  } catch (error) {
    errorElement.textContent = error instanceof Error ? error.message : String(error);
  } finally {
    if (control) control.disabled = false;
  }
}

/** A modal dialog (Escape and the Cancel button close it) around a form; `onSubmit` gets the form. */
export function dialog(id, title, body, submitText, submitClass, onSubmit) {
  const titleId = `${id}-title`;
  const form = el(
    'form',
    { class: 'stack', method: 'dialog' },
    el('h2', { id: titleId, text: title }),
    ...body,
    el(
      'div',
      { class: 'actions' },
      el('button', { type: 'button', class: 'secondary', text: 'Cancel', onclick: () => element.close() }),
      el('button', { type: 'submit', class: submitClass, text: submitText }),
    ),
  );
  const element = el('dialog', { id, 'aria-labelledby': titleId }, form);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    // Closed first, so that an error shows on the page rather than behind the dialog.
    element.close();
    onSubmit(form);
  });
  return element;
}
