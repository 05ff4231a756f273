import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { AccessKey } from '../../src/accesskeys/access-key.entity.js';
import { Customer } from '../../src/customers/customer.entity.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME, login, type TestApp } from '../support/app.js';
import { insertAccessKey, insertCustomer, PASSWORD } from '../support/factories.js';
import { LAPTOP, launchChromium, PHONE, startServer, watchedPage } from './browser.js';

/** Written by the test run and embedded in the README. */
const SCREENSHOT = join(import.meta.dirname, '..', '..', 'docs', 'admin.png');
const PHONE_SCREENSHOT = join(import.meta.dirname, '..', '..', 'docs', 'admin-phone.png');
const DAY_MS = 86400_000;

describe('the admin page and Swagger UI in Chromium', () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let admin: Customer;

  beforeAll(async () => {
    ({ t, baseUrl } = await startServer());
    browser = await launchChromium();
    admin = await t.ds.getRepository(Customer).findOneByOrFail({ username: ADMIN_USERNAME });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('serves the page without a credential, with its CSP and no inline script', async () => {
    await request(t.http).get('/admin').expect(301).expect('location', '/admin/');
    const page = await request(t.http).get('/admin/').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).toContain('<script type="module" src="admin.js"></script>');
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    await request(t.http)
      .get('/admin/admin.js')
      .expect(200)
      .expect('content-type', /javascript/);
    await request(t.http).get('/admin/nothing.js').expect(404);
  });

  it('lets a person log in, see, create, copy, rename and delete keys, and log out', async () => {
    const hostile = '<img src=x onerror="window.pwned=1">';
    const { key: hostileKey } = await insertAccessKey(t.ds, admin.id, {
      name: hostile,
      detail: '<b>not bold</b>',
    });
    await insertAccessKey(t.ds, admin.id, {
      name: 'billing sync',
      detail: 'invoices to the accounting system',
      tmCreate: new Date(Date.now() - 90 * DAY_MS),
      tmExpire: new Date(Date.now() + 275 * DAY_MS),
      tmLastUsed: new Date(Date.now() - 2 * 3600_000),
    });
    await insertAccessKey(t.ds, admin.id, {
      name: 'old export',
      detail: 'replaced last year',
      tmCreate: new Date(Date.now() - 400 * DAY_MS),
      tmExpire: new Date(Date.now() - 35 * DAY_MS),
    });

    const context = await browser.newContext({ viewport: LAPTOP });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    const { page, errors } = await watchedPage(context);
    const pageLogin = page.waitForResponse((res) => res.url().endsWith('/auth/login') && res.ok());
    await page.goto(`${baseUrl}/admin`);
    await expect(page.title()).resolves.toContain('Access keys');

    // A failed login says why, in an alert.
    await page.getByLabel('Username').fill(ADMIN_USERNAME);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The provided credentials are invalid.' }).waitFor();

    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Your access keys' }).waitFor();
    const rows = page.locator('#key-rows').getByRole('row');
    await expect(rows.count()).resolves.toBe(3);

    // Data is text, never markup.
    const hostileRow = rows.filter({ hasText: '<b>not bold</b>' });
    await expect(hostileRow.locator('td').first().textContent()).resolves.toBe(hostile);
    await expect(page.locator('#key-rows img, #key-rows b').count()).resolves.toBe(0);
    await expect(page.evaluate(() => (window as { pwned?: number }).pwned)).resolves.toBeUndefined();

    // The expired key is listed and marked so; the live one is not.
    await expect(rows.filter({ hasText: 'old export' }).locator('.badge').textContent()).resolves.toBe(
      'expired',
    );
    // The factory's key expires in a day: marked as soon to expire, not as expired.
    await expect(hostileRow.locator('.badge').allTextContents()).resolves.toEqual(['expires soon']);
    // Gone from the next listing (and from the README's screenshot).
    const keys = t.ds.getRepository(AccessKey);
    await keys.update({ id: hostileKey.id }, { tmDelete: new Date() });

    // Create a key valid for 30 days; its token is shown once, and Copy puts it on the clipboard.
    await expect(page.getByLabel('Valid for (days)').inputValue()).resolves.toBe('365');
    const createForm = page.getByRole('form', { name: 'Create an access key' });
    await createForm.getByLabel('Name').fill('reporting');
    await createForm.getByLabel('Detail').fill('nightly export to the warehouse');
    await createForm.getByLabel('Valid for (days)').fill('30');
    await createForm.getByRole('button', { name: 'Create' }).click();
    const tokenElement = page.locator('#new-token');
    await tokenElement.waitFor();
    const token = (await tokenElement.textContent()) ?? '';
    expect(token).toMatch(/^vb_[A-Za-z0-9_-]{38}$/);
    await page.getByText('it will not be shown again').waitFor();
    await page.getByRole('heading', { name: 'Your new access key: reporting' }).waitFor();
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(token);
    await expect(rows.count()).resolves.toBe(3);
    const reportingRow = rows.filter({ hasText: 'nightly export to the warehouse' });
    await expect(reportingRow.textContent()).resolves.toContain(token.slice(0, 11));

    // The key is real: it authenticates, and expires in 30 days.
    const listed = await request(t.http).get('/v1.0/accesskeys').set('authorization', `Bearer ${token}`);
    expect(listed.status).toBe(200);
    const created = (listed.body as { result: { name: string; tm_expire: string }[] }).result.find(
      (key) => key.name === 'reporting',
    );
    expect(Math.abs(Date.parse(created!.tm_expire) - (Date.now() + 30 * DAY_MS))).toBeLessThan(60_000);

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // On a phone the page fits the width: no sideways scrolling.
    await page.setViewportSize(PHONE);
    await expect(
      page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth),
    ).resolves.toBe(true);
    await expect(reportingRow.getByRole('button', { name: 'Delete' }).isVisible()).resolves.toBe(true);
    await page.setViewportSize(LAPTOP);
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(tokenElement.isVisible()).resolves.toBe(false);

    // Edit the name and the detail.
    await reportingRow.getByRole('button', { name: 'Edit' }).click();
    const editDialog = page.getByRole('dialog', { name: 'Edit key' });
    await editDialog.getByLabel('Name').fill('reporting (retired)');
    await editDialog.getByLabel('Detail').fill('replaced by the new exporter');
    await editDialog.getByRole('button', { name: 'Save' }).click();
    await rows.filter({ hasText: 'reporting (retired)' }).waitFor();
    await expect(keys.findOneByOrFail({ tokenPrefix: token.slice(0, 11) })).resolves.toMatchObject({
      name: 'reporting (retired)',
      detail: 'replaced by the new exporter',
    });

    // Delete asks first: Cancel keeps the key, Delete removes it.
    const retiredRow = rows.filter({ hasText: 'reporting (retired)' });
    await retiredRow.getByRole('button', { name: 'Delete' }).click();
    const deleteDialog = page.getByRole('dialog', { name: 'Delete key?' });
    await deleteDialog.getByText('stops working at once').waitFor();
    await deleteDialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(rows.count()).resolves.toBe(3);
    await retiredRow.getByRole('button', { name: 'Delete' }).click();
    await deleteDialog.getByRole('button', { name: 'Delete' }).click();
    await retiredRow.waitFor({ state: 'detached' });
    await expect(rows.count()).resolves.toBe(2);
    await request(t.http).get('/v1.0/accesskeys').set('authorization', `Bearer ${token}`).expect(401);

    // Log out: back to the login form, the session ended on the server, and nothing left behind that authenticates.
    const { token: pageToken } = (await (await pageLogin).json()) as { token: string };
    await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${pageToken}`).expect(200);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${pageToken}`).expect(401);
    await expect(page.locator('#keys-view').isVisible()).resolves.toBe(false);
    await expect(page.evaluate(() => localStorage.length + sessionStorage.length)).resolves.toBe(0);
    await expect(context.cookies()).resolves.toEqual([]);
    await expect(
      page.evaluate(() => fetch('/v1.0/accesskeys', { credentials: 'include' }).then((r) => r.status)),
    ).resolves.toBe(401);

    // The only console errors: Chromium's own log line for each refused request the test made.
    expect(errors).toEqual([
      expect.stringMatching(/^console: Failed to load resource: .* 401/),
      expect.stringMatching(/^console: Failed to load resource: .* 401/),
    ]);
    await context.close();
  });

  it('keeps the session over a reload, in the HttpOnly cookie the script never sees, until Log out', async () => {
    const context = await browser.newContext({ viewport: LAPTOP });
    const { page, errors } = await watchedPage(context);
    await page.goto(`${baseUrl}/admin`);
    await page.getByLabel('Username').fill(ADMIN_USERNAME);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Your access keys' }).waitFor();
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'token', httpOnly: true, sameSite: 'Strict' });
    await expect(page.evaluate(() => document.cookie)).resolves.toBe('');

    await page.reload();
    await page.getByRole('heading', { name: 'Your access keys' }).waitFor();
    await expect(page.locator('#whoami').textContent()).resolves.toBe(ADMIN_USERNAME);
    // A write on the cookie, from the page itself, passes the same-origin check.
    const createForm = page.getByRole('form', { name: 'Create an access key' });
    await createForm.getByLabel('Name').fill('after a reload');
    await createForm.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Your new access key: after a reload' }).waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await expect(context.cookies()).resolves.toEqual([]);
    await request(t.http).get('/v1.0/customer').set('cookie', `token=${cookie.value}`).expect(401);
    await page.reload();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('tells a customer manager in words that it may not manage keys, instead of an empty table', async () => {
    const manager = await insertCustomer(t.ds, { username: 'page-manager', permission: 64 });
    const context = await browser.newContext({ viewport: LAPTOP });
    const { page, errors } = await watchedPage(context);
    await page.goto(`${baseUrl}/admin`);
    await page.getByLabel('Username').fill(manager.username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'page-manager may not manage access keys: that needs the customer admin (32)' })
      .waitFor();
    await expect(page.locator('#keys-view').isVisible()).resolves.toBe(false);
    await expect(context.cookies()).resolves.toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('marks a key disabled for being unused and enables it with one click', async () => {
    const customer = await insertCustomer(t.ds);
    const tmExpire = new Date(Date.now() + 90 * DAY_MS);
    const { key } = await insertAccessKey(t.ds, customer.id, {
      name: 'idle key',
      tmExpire,
      tmDisabled: new Date(),
    });
    await insertAccessKey(t.ds, customer.id, { name: 'busy key', tmExpire });
    const context = await browser.newContext({ viewport: LAPTOP });
    const { page, errors } = await watchedPage(context);
    await page.goto(`${baseUrl}/admin`);
    await page.getByLabel('Username').fill(customer.username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByText('2 keys', { exact: true }).waitFor();
    const row = (name: string) => page.locator('#key-rows tr').filter({ hasText: name });
    await expect(row('idle key').locator('.badge').allTextContents()).resolves.toEqual(['disabled']);
    await expect(
      row('busy key')
        .getByRole('button', { name: /^Enable/ })
        .count(),
    ).resolves.toBe(0);

    await row('idle key').getByRole('button', { name: 'Enable idle key' }).click();
    await row('idle key').getByRole('button', { name: 'Enable idle key' }).waitFor({ state: 'detached' });
    await expect(row('idle key').locator('.badge').count()).resolves.toBe(0);
    const stored = await t.ds.getRepository(AccessKey).findOneByOrFail({ id: key.id });
    expect(stored.tmDisabled).toBeNull();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('creates a read-only key and a key with chosen scopes and networks, and shows what each may do', async () => {
    const context = await browser.newContext({ viewport: LAPTOP });
    const { page, errors } = await watchedPage(context);
    await page.goto(`${baseUrl}/admin`);
    await page.getByLabel('Username').fill(ADMIN_USERNAME);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Your access keys' }).waitFor();
    const createForm = page.getByRole('form', { name: 'Create an access key' });
    const rows = page.locator('#key-rows').getByRole('row');

    await createForm.getByLabel('Name').fill('read only');
    await createForm.getByLabel('Access', { exact: true }).selectOption('read');
    await createForm.getByRole('button', { name: 'Create' }).click();
    await page.locator('#new-token').waitFor();
    await expect(rows.filter({ hasText: 'read only' }).locator('td.access').textContent()).resolves.toContain(
      'Read-only',
    );

    // Custom: from the catalogue, filtered; with a network. The catalogue arrives after the filter is
    // typed, and is filtered all the same.
    let releaseCatalogue = () => {};
    const catalogueHeld = new Promise<void>((resolve) => (releaseCatalogue = resolve));
    await page.route('**/v1.0/scopes', async (route) => {
      await catalogueHeld;
      await route.continue();
    });
    await createForm.getByLabel('Name').fill('call reports');
    await createForm.getByLabel('Access', { exact: true }).selectOption('custom');
    await page.getByLabel('Filter the resources').fill('calls');
    releaseCatalogue();
    await page.getByLabel('calls: access', { exact: true }).selectOption('read');
    await page.unroute('**/v1.0/scopes');
    await expect(page.getByLabel('numbers: access', { exact: true }).isVisible()).resolves.toBe(false);
    await createForm.getByLabel('Networks (optional)').fill('203.0.113.0/24');
    await createForm.getByRole('button', { name: 'Create' }).click();
    const reportRow = rows.filter({ hasText: 'call reports' });
    await reportRow.waitFor();
    await expect(reportRow.locator('td.access').textContent()).resolves.toBe('calls:readfrom 203.0.113.0/24');
    const stored = await t.ds.getRepository(AccessKey).findOneByOrFail({ name: 'call reports' });
    expect([stored.scopes, stored.allowedCidrs]).toEqual([['calls:read'], ['203.0.113.0/24']]);

    // A custom choice of nothing is refused on the page, before any request.
    await createForm.getByLabel('Access', { exact: true }).selectOption('custom');
    await createForm.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('alert').filter({ hasText: 'Choose at least one scope' }).waitFor();
    // A value the browser itself refuses clears the message of the attempt before.
    await createForm.getByLabel('Valid for (days)').fill('0');
    await createForm.getByRole('button', { name: 'Create' }).click();
    await expect(page.locator('#app-error').textContent()).resolves.toBe('');
    expect(errors).toEqual([]);

    // The service refusing a field: its message and the field's as one sentence.
    await createForm.getByLabel('Valid for (days)').fill('30');
    await createForm.getByLabel('Access', { exact: true }).selectOption('full');
    await createForm.getByLabel('Networks (optional)').fill('10.0.0.0/33');
    await createForm.getByRole('button', { name: 'Create' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /^The request is invalid: [^.]*allowed_cidrs/ })
      .waitFor();
    await context.close();
  });

  it('pages through more keys than one page holds, and asks to log in again when the session ends', async () => {
    const customer = await insertCustomer(t.ds);
    const start = Date.now() - 200_000;
    for (let i = 0; i < 101; i++) {
      await insertAccessKey(t.ds, customer.id, { name: `key ${i}`, tmCreate: new Date(start + i * 1000) });
    }
    const context = await browser.newContext({ viewport: LAPTOP });
    const { page, errors } = await watchedPage(context);
    await page.goto(`${baseUrl}/admin`);
    await page.getByLabel('Username').fill(customer.username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();

    const rows = page.locator('#key-rows').getByRole('row');
    await page.getByText('100 keys so far').waitFor();
    await expect(rows.first().locator('td').first().textContent()).resolves.toBe('key 100');
    await page.getByRole('button', { name: 'Show more' }).click();
    await page.getByText('101 keys').waitFor();
    await expect(rows.last().locator('td').first().textContent()).resolves.toBe('key 0');
    await expect(page.getByRole('button', { name: 'Show more' }).isVisible()).resolves.toBe(false);

    // A password change elsewhere revokes the JWT: the next call sends the person back to log in.
    const other = await login(t.http, customer.username, PASSWORD);
    await request(t.http)
      .put('/v1.0/customer/password')
      .set('authorization', `Bearer ${other}`)
      .send({ old_password: PASSWORD, new_password: 'a-new-password-1' })
      .expect(200);
    await page.getByRole('form', { name: 'Create an access key' }).getByLabel('Name').fill('too late');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('alert').filter({ hasText: 'Your session has ended. Log in again.' }).waitFor();
    await expect(page.locator('#keys-view').isVisible()).resolves.toBe(false);
    await expect(t.ds.getRepository(AccessKey).countBy({ customerId: customer.id })).resolves.toBe(101);

    expect(errors).toEqual([expect.stringMatching(/^console: Failed to load resource: .* 401/)]);
    await context.close();
  });

  it('offers no "Show more" when the next page is the empty one that ends the list', async () => {
    const full = await insertCustomer(t.ds);
    for (let i = 0; i < 100; i++) await insertAccessKey(t.ds, full.id, { name: `key ${i}` });
    const none = await insertCustomer(t.ds);
    const context = await browser.newContext({ viewport: LAPTOP });
    const { page, errors } = await watchedPage(context);
    for (const [customer, count] of [
      [full, '100 keys'],
      [none, '0 keys'],
    ] as const) {
      await page.goto(`${baseUrl}/admin`);
      await page.getByLabel('Username').fill(customer.username);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByText(count, { exact: true }).waitFor();
      await expect(page.getByRole('button', { name: 'Show more' }).isVisible()).resolves.toBe(false);
      if (customer === full) {
        await page.getByRole('button', { name: 'Log out' }).click();
        await page.getByRole('heading', { name: 'Log in' }).waitFor();
      }
    }
    await expect(page.getByText('No access keys yet. Create one above.').isVisible()).resolves.toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('works over plain HTTP on a host name other than localhost', async () => {
    // Chromium trusts localhost and 127.0.0.1 as if they were HTTPS; a real host name over HTTP is
    // not, and there a CSP `upgrade-insecure-requests` would send the page's own files to HTTPS.
    // The name resolves to the loopback address: no traffic leaves the machine.
    const named = await launchChromium(['--host-resolver-rules=MAP admin.test 127.0.0.1']);
    try {
      const page = await named.newPage();
      page.setDefaultTimeout(10_000);
      const failed: string[] = [];
      page.on('requestfailed', (req) => failed.push(`${req.url()} ${req.failure()?.errorText}`));
      const origin = baseUrl.replace('127.0.0.1', 'admin.test');

      await page.goto(`${origin}/admin`);
      await page.getByLabel('Username').fill(ADMIN_USERNAME);
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Your access keys' }).waitFor();
      await page.goto(`${origin}/docs`);
      await page.locator('#operations-accesskeys-AccessKeysController_list').waitFor();
      expect(failed).toEqual([]);
    } finally {
      await named.close();
    }
  });

  it('lets a person authorize Swagger UI with an access key and call GET /v1.0/accesskeys', async () => {
    const { token } = await insertAccessKey(t.ds, admin.id, { name: 'swagger-key' });
    // A fresh context: no login cookie, so only the key can make the call succeed.
    const context = await browser.newContext({ viewport: LAPTOP });
    const first = await watchedPage(context);
    const page = first.page;
    await page.goto(`${baseUrl}/docs`);

    await page.getByRole('button', { name: 'Authorize' }).first().click();
    const scheme = page.locator('.auth-container').filter({ hasText: 'accesskey (apiKey)' });
    await scheme.getByRole('textbox').fill(token);
    // Swagger UI labels each scheme's Authorize button "Apply credentials" for assistive technology.
    await scheme.getByRole('button', { name: 'Apply credentials' }).click();
    await scheme.getByRole('button', { name: /Logout|Remove authorization/ }).waitFor();
    await scheme.getByRole('button', { name: 'Close' }).click();

    const execute = async (page: Page, status: string): Promise<void> => {
      const operation = page.locator('#operations-accesskeys-AccessKeysController_list');
      await operation.locator('.opblock-summary').first().click();
      await operation.getByRole('button', { name: 'Try it out' }).click();
      await operation.getByRole('button', { name: 'Execute' }).click();
      // The server's answer, in the "Server response" table (the documented ones follow it).
      const answer = operation.locator('.live-responses-table tbody tr.response');
      await answer.waitFor();
      await expect(answer.locator('.response-col_status').textContent()).resolves.toBe(status);
    };
    await execute(first.page, '200');
    await expect(
      first.page.locator('.live-responses-table tbody tr.response .response-col_description').textContent(),
    ).resolves.toContain('"name": "swagger-key"');

    // Nothing typed into Authorize is kept: a new tab, with the same storage, holds no key, and its
    // call is refused.
    const second = await watchedPage(context);
    await second.page.goto(`${baseUrl}/docs`);
    await expect(
      second.page.evaluate(() => JSON.stringify(Object.entries(window.localStorage))),
    ).resolves.not.toContain(token);
    await execute(second.page, '401');

    expect(first.errors).toEqual([]);
    expect(second.errors).toEqual([expect.stringMatching(/^console: Failed to load resource: .* 401/)]);
    await context.close();
  });

  it('searches, sorts, marks and rolls keys, by keyboard, and fits a phone', async () => {
    const customer = await insertCustomer(t.ds);
    const ago = (ms: number) => new Date(Date.now() - ms);
    const ahead = (ms: number) => new Date(Date.now() + ms);
    const { token: billingToken } = await insertAccessKey(t.ds, customer.id, {
      name: 'billing sync',
      tmCreate: ago(90 * DAY_MS),
      tmExpire: ahead(3 * DAY_MS),
      tmLastUsed: ago(2 * 3600_000),
    });
    await insertAccessKey(t.ds, customer.id, {
      name: 'nightly export',
      tmCreate: ago(10 * DAY_MS),
      tmExpire: ahead(200 * DAY_MS),
    });
    await insertAccessKey(t.ds, customer.id, {
      name: 'old export',
      tmCreate: ago(400 * DAY_MS),
      tmExpire: ago(35 * DAY_MS),
      tmLastUsed: ago(40 * DAY_MS),
    });
    const { key: deploy } = await insertAccessKey(t.ds, customer.id, {
      name: 'ci deploy',
      tmCreate: ago(DAY_MS),
      tmExpire: ahead(300 * DAY_MS),
      tmLastUsed: ago(5 * 60_000),
    });

    const context = await browser.newContext({ viewport: LAPTOP });
    const { page, errors } = await watchedPage(context);
    // The leak fields come from the secret-scanning work: add them to the real answer for one key,
    // a hostile leak_url to another, to see how the page renders them.
    await page.route('**/v1.0/accesskeys?*', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { result: Record<string, unknown>[] };
      for (const key of body.result) {
        if (key.id === deploy.id) {
          Object.assign(key, { quarantined: true, leak_url: 'https://github.com/acme/app/blob/main/.env' });
        } else if (key.name === 'nightly export') {
          Object.assign(key, {
            quarantined: false,
            tm_leaked: key.tm_create,
            leak_url: 'javascript:alert(1)',
          });
        }
      }
      await route.fulfill({ response, json: body });
    });
    await page.goto(`${baseUrl}/admin`);
    await page.getByLabel('Username').fill(customer.username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByText('4 keys', { exact: true }).waitFor();
    const names = () => page.locator('#key-rows .key-name').allTextContents();
    await expect(names()).resolves.toEqual(['ci deploy', 'nightly export', 'billing sync', 'old export']);

    // Marks: soon to expire (< 7 days), expired, quarantined with where it leaked, leaked.
    const row = (name: string) => page.locator('#key-rows tr').filter({ hasText: name });
    await expect(row('billing sync').locator('.badge').allTextContents()).resolves.toEqual(['expires soon']);
    await expect(row('old export').locator('.badge').allTextContents()).resolves.toEqual(['expired']);
    await expect(row('ci deploy').locator('.badge').allTextContents()).resolves.toEqual(['quarantined']);
    await expect(
      row('ci deploy').getByRole('link', { name: 'where it leaked' }).getAttribute('href'),
    ).resolves.toBe('https://github.com/acme/app/blob/main/.env');
    await expect(row('nightly export').locator('.badge').allTextContents()).resolves.toEqual(['leaked']);
    await expect(row('nightly export').getByRole('link').count()).resolves.toBe(0);

    // Search by name, then sort by expiry and by last use.
    await page.getByLabel('Search by name').fill('EXPORT');
    await expect(names()).resolves.toEqual(['nightly export', 'old export']);
    await expect(page.locator('#key-count').textContent()).resolves.toBe('2 of 4 keys');
    await page.getByLabel('Search by name').fill('nothing like it');
    await page.getByText('No key has a name with that in it.').waitFor();
    await page.getByLabel('Search by name').fill('');
    await page.getByLabel('Sort by').selectOption('tm_expire');
    await expect(names()).resolves.toEqual(['old export', 'billing sync', 'nightly export', 'ci deploy']);
    await page.getByLabel('Sort by').selectOption('tm_last_used');
    await expect(names()).resolves.toEqual(['ci deploy', 'billing sync', 'old export', 'nightly export']);

    // Roll by keyboard with a grace of an hour: the card names the key, and both secrets work.
    await row('billing sync').getByRole('button', { name: 'Roll billing sync' }).focus();
    await page.keyboard.press('Enter');
    const rollDialog = page.getByRole('dialog', { name: 'Roll key' });
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('roll-grace');
    await rollDialog.getByLabel('The old secret keeps working for').selectOption({ label: '1 hour' });
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Roll');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'New secret for the key: billing sync' }).waitFor();
    const rolled = (await page.locator('#new-token').textContent()) ?? '';
    expect(rolled).toMatch(/^vb_/);
    expect(rolled).not.toBe(billingToken);
    for (const token of [rolled, billingToken]) {
      await request(t.http).get('/v1.0/accesskeys').set('authorization', `Bearer ${token}`).expect(200);
    }
    const stored = await t.ds
      .getRepository(AccessKey)
      .findOneByOrFail({ customerId: customer.id, name: 'billing sync' });
    expect(Math.abs(stored.tmPreviousExpire!.getTime() - (Date.now() + 3600_000))).toBeLessThan(60_000);

    // Phone width: nothing scrolls sideways; the screenshot the README shows.
    await page.setViewportSize(PHONE);
    await expect(
      page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth),
    ).resolves.toBe(true);
    await expect(row('ci deploy').getByRole('button', { name: 'Roll ci deploy' }).isVisible()).resolves.toBe(
      true,
    );
    await page.getByRole('button', { name: 'Done' }).click();
    await page.screenshot({ path: PHONE_SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('ends the session of every tab when one tab logs out, and the API refuses it', async () => {
    const context = await browser.newContext({ viewport: LAPTOP });
    const first = await watchedPage(context);
    const pageLogin = first.page.waitForResponse((res) => res.url().endsWith('/auth/login') && res.ok());
    await first.page.goto(`${baseUrl}/admin`);
    await first.page.getByLabel('Username').fill(ADMIN_USERNAME);
    await first.page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await first.page.getByRole('button', { name: 'Log in' }).click();
    await first.page.getByRole('heading', { name: 'Your access keys' }).waitFor();
    const { token } = (await (await pageLogin).json()) as { token: string };

    // A second tab shares the cookie: logged in without a form.
    const second = await watchedPage(context);
    await second.page.goto(`${baseUrl}/admin#account`);
    await second.page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await second.page.getByRole('button', { name: 'Log out' }).click();
    await second.page.getByRole('heading', { name: 'Log in' }).waitFor();
    await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${token}`).expect(401);
    await request(t.http).get('/v1.0/customer').set('cookie', `token=${token}`).expect(401);

    // The first tab learns it on its next call.
    await first.page.getByRole('link', { name: 'Account' }).click();
    await first.page
      .getByRole('alert')
      .filter({ hasText: 'Your session has ended. Log in again.' })
      .waitFor();
    await expect(first.page.locator('#account-view').isVisible()).resolves.toBe(false);
    expect(first.errors).toEqual([expect.stringMatching(/^console: Failed to load resource: .* 401/)]);
    expect(second.errors).toEqual([]);
    await context.close();
  });
});
