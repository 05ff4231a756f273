import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { Customer } from '../../src/customers/customer.entity.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME, login, startApp, type TestApp } from '../support/app.js';
import { DATABASES } from '../support/databases.js';
import { insertCustomer, PASSWORD } from '../support/factories.js';
import { LAPTOP, launchChromium, PHONE, watchedPage } from './browser.js';

describe.each(DATABASES)(
  'the admin page: customers, activity and webhooks views in Chromium on $name',
  (db) => {
    let t: TestApp;
    let baseUrl: string;
    let browser: Browser;

    beforeAll(async () => {
      t = await startApp(await db.prepare('admin_ops_browser'));
      await t.app.listen(0, '127.0.0.1');
      baseUrl = `http://127.0.0.1:${(t.http.address() as AddressInfo).port}`;
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await t?.close();
    });

    async function logIn(page: Page, username: string, password: string): Promise<void> {
      await page.goto(`${baseUrl}/admin`);
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Your access keys' }).waitFor();
    }

    /** Reads for up to 15 s until the value is `expected` (the page, and the delivery worker, answer later), or fails with the last. */
    async function eventually<T>(read: () => Promise<T>, expected: T): Promise<void> {
      let last = await read();
      for (let i = 0; i < 150 && JSON.stringify(last) !== JSON.stringify(expected); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        last = await read();
      }
      expect(last).toEqual(expected);
    }

    /** Whether nothing of the page is wider than a phone's screen. */
    async function fitsWidth(page: Page): Promise<boolean> {
      return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    }

    it('lets a super admin list, search, create, re-permission, reset and delete customers', async () => {
      for (const name of ['ops-alpha', 'ops-beta']) await insertCustomer(t.ds, { username: name, name });
      const context = await browser.newContext({ viewport: LAPTOP });
      const { page, errors } = await watchedPage(context);
      await logIn(page, ADMIN_USERNAME, ADMIN_PASSWORD);

      // By keyboard: the nav's entries are links in the tab order.
      const customersTab = page
        .getByRole('navigation', { name: 'Views' })
        .getByRole('link', { name: 'Customers' });
      await customersTab.focus();
      await page.keyboard.press('Enter');
      await expect(customersTab.getAttribute('aria-current')).resolves.toBe('page');
      const view = page.locator('#customers-view');
      const rows = view.locator('tbody').getByRole('row');
      await rows.filter({ hasText: 'ops-alpha' }).waitFor();
      await expect(rows.count()).resolves.toBe(3); // the first super admin and the two above

      // Search filters by username, name or email.
      await view.getByLabel('Search').fill('beta');
      await expect(rows.count()).resolves.toBe(1);
      await expect(rows.first().textContent()).resolves.toContain('ops-beta');
      await view.getByLabel('Search').fill('');

      // Create: a customer manager with a password, who can then log in over the API.
      const form = page.getByRole('form', { name: 'Create a customer' });
      await form.getByLabel('Username').fill('ops-new');
      await form.getByLabel('Password (8+ characters)').fill('ops-new-password-1');
      await form.getByLabel('Name', { exact: true }).fill('New Co');
      await form.getByLabel('Email (optional)').fill('ops-new@example.com');
      await form.getByLabel('Permission').selectOption('64');
      await form.getByRole('button', { name: 'Create customer' }).click();
      await view.getByRole('status').filter({ hasText: 'ops-new is created.' }).waitFor();
      await expect(rows.count()).resolves.toBe(4);
      const created = await t.ds.getRepository(Customer).findOneByOrFail({ username: 'ops-new' });
      expect(created.permission).toBe(64);
      await login(t.http, 'ops-new', 'ops-new-password-1');

      // Change the permission from the row's select: it is what the API then says.
      const newRow = rows.filter({ hasText: 'ops-new' });
      await newRow.getByLabel('Permission of ops-new').selectOption('32');
      await view.getByRole('status').filter({ hasText: 'ops-new now has permission 32.' }).waitFor();
      await expect(t.ds.getRepository(Customer).findOneByOrFail({ id: created.id })).resolves.toMatchObject({
        permission: 32,
      });

      // Reset the password: the old one stops working, the new one works.
      await newRow.getByRole('button', { name: 'Reset the password of ops-new' }).click();
      const reset = page.getByRole('dialog', { name: 'Reset password' });
      await reset.getByLabel('New password (8+ characters)').fill('ops-reset-password-2');
      await reset.getByRole('button', { name: 'Set password' }).click();
      await view.getByRole('status').filter({ hasText: 'The password of ops-new is set' }).waitFor();
      await request(t.http)
        .post('/auth/login')
        .send({ username: 'ops-new', password: 'ops-new-password-1' })
        .expect(401);
      await login(t.http, 'ops-new', 'ops-reset-password-2');

      // An API refusal is shown in words: the super admin may not delete itself.
      await rows
        .filter({ hasText: ADMIN_USERNAME })
        .getByRole('button', { name: `Delete ${ADMIN_USERNAME}` })
        .click();
      await page
        .getByRole('dialog', { name: 'Delete customer?' })
        .getByRole('button', { name: 'Delete' })
        .click();
      await view
        .getByRole('alert')
        .filter({ hasText: /delete/i })
        .waitFor();

      // Delete asks first; Cancel keeps the customer, Delete removes it.
      await newRow.getByRole('button', { name: 'Delete ops-new' }).click();
      const confirm = page.getByRole('dialog', { name: 'Delete customer?' });
      await confirm.getByText('“ops-new” and all its access keys stop working').waitFor();
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await expect(rows.count()).resolves.toBe(4);
      await newRow.getByRole('button', { name: 'Delete ops-new' }).click();
      await confirm.getByRole('button', { name: 'Delete' }).click();
      await view.getByRole('status').filter({ hasText: 'ops-new is deleted.' }).waitFor();
      await expect(rows.count()).resolves.toBe(3);
      await request(t.http)
        .post('/auth/login')
        .send({ username: 'ops-new', password: 'ops-reset-password-2' })
        .expect(401);

      await page.setViewportSize(PHONE);
      await expect(fitsWidth(page)).resolves.toBe(true);
      await context.close();
      // The only console errors: Chromium's line for the refused self-delete.
      expect(errors).toEqual([expect.stringMatching(/^console: Failed to load resource: .* 409/)]);
    });

    it('shows no Customers view to a customer admin, nor to a manager', async () => {
      await insertCustomer(t.ds, { username: 'ops-admin', permission: 32 });
      await insertCustomer(t.ds, { username: 'ops-manager', permission: 64 });
      const context = await browser.newContext({ viewport: LAPTOP });
      const { page, errors } = await watchedPage(context);
      await logIn(page, 'ops-admin', PASSWORD);
      const nav = page.getByRole('navigation', { name: 'Views' });
      await nav.getByRole('link', { name: 'Activity' }).waitFor();
      await expect(nav.getByRole('link').allTextContents()).resolves.toEqual([
        'Keys',
        'Account',
        'Activity',
        'Webhooks',
      ]);
      await expect(page.locator('#customers-view').count()).resolves.toBe(0);

      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByLabel('Username').fill('ops-manager');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('alert').filter({ hasText: 'ops-manager may not manage access keys' }).waitFor();
      await expect(page.getByRole('navigation', { name: 'Views' }).count()).resolves.toBe(0);
      await expect(page.getByRole('link', { name: 'Customers' }).count()).resolves.toBe(0);
      await context.close();
      expect(errors).toEqual([]);
    });

    it("shows a key's activity, filtered by the key, and verifies the log", async () => {
      const customer = await insertCustomer(t.ds, { username: 'ops-activity', permission: 32 });
      const context = await browser.newContext({ viewport: LAPTOP });
      const { page, errors } = await watchedPage(context);
      await logIn(page, 'ops-activity', PASSWORD);

      // A key created and renamed in the page, and another one.
      const createForm = page.getByRole('form', { name: 'Create an access key' });
      for (const name of ['ops-watched', 'ops-other']) {
        await createForm.getByLabel('Name').fill(name);
        await createForm.getByRole('button', { name: 'Create' }).click();
        await page.getByRole('heading', { name: `Your new access key: ${name}` }).waitFor();
      }
      const keyRow = page.locator('#key-rows').getByRole('row').filter({ hasText: 'ops-watched' });
      await keyRow.getByRole('button', { name: 'Edit' }).click();
      await page.getByRole('dialog', { name: 'Edit key' }).getByLabel('Name').fill('ops-watched-2');
      await page.getByRole('dialog', { name: 'Edit key' }).getByRole('button', { name: 'Save' }).click();
      await page.locator('#key-rows').getByRole('row').filter({ hasText: 'ops-watched-2' }).waitFor();

      await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Activity' }).click();
      const view = page.locator('#activity-view');
      const rows = view.locator('tbody').getByRole('row');
      // Everything, newest first: the rename, the two creations, the login.
      await rows.filter({ hasText: 'login.succeeded' }).waitFor();
      await expect(rows.locator('td[data-label="Action"]').allTextContents()).resolves.toEqual([
        'accesskey.updated',
        'accesskey.created',
        'accesskey.created',
        'login.succeeded',
      ]);
      // Readable: the key by its name, the actor by how it came in, the address.
      await expect(rows.first().locator('td[data-label="Target"]').textContent()).resolves.toBe(
        'key “ops-watched-2”',
      );
      await expect(rows.first().locator('td[data-label="Actor"]').textContent()).resolves.toBe(
        'you, logged in',
      );
      await expect(rows.first().locator('td[data-label="IP address"]').textContent()).resolves.toBe(
        '127.0.0.1',
      );

      // Filtered by the key: its two events only; then by action too.
      await view.getByLabel('Key').selectOption({ label: 'ops-watched-2' });
      await view.getByRole('button', { name: 'Show' }).click();
      await eventually(
        () => rows.locator('td[data-label="Action"]').allTextContents(),
        ['accesskey.updated', 'accesskey.created'],
      );
      await view.getByLabel('Action').selectOption('accesskey.created');
      await view.getByRole('button', { name: 'Show' }).click();
      await eventually(() => rows.count(), 1);
      // A time window before everything: nothing.
      await view.getByLabel('Action').selectOption('');
      await view.getByLabel('Until').fill('2020-01-01T00:00');
      await view.getByRole('button', { name: 'Show' }).click();
      await view.getByText('No activity matches.').waitFor();

      await view.getByRole('button', { name: 'Verify the log' }).click();
      await view.getByRole('status').filter({ hasText: 'The log is intact: 4 events.' }).waitFor();
      // An event edited in the database: verify names it.
      await t.ds.query('UPDATE audit_events SET client_ip = ? WHERE customer_id = ? AND sequence = 2', [
        '198.51.100.1',
        customer.id,
      ]);
      await view.getByRole('button', { name: 'Verify the log' }).click();
      await view
        .getByRole('status')
        .filter({ hasText: 'The log does not hold from event 2 on (of 4).' })
        .waitFor();

      await page.setViewportSize(PHONE);
      await expect(fitsWidth(page)).resolves.toBe(true);
      await context.close();
      expect(errors).toEqual([]);
    });

    it('sets the webhook endpoint, rolls the secret once, sends a test event and shows it delivered', async () => {
      const received: { headers: IncomingHttpHeaders; method: string; body: string }[] = [];
      const receiver = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          received.push({ headers: req.headers, method: req.method ?? '', body });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
      try {
        const customer = await insertCustomer(t.ds, { username: 'ops-hooks', permission: 32 });
        const context = await browser.newContext({ viewport: PHONE });
        await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
        const { page, errors } = await watchedPage(context);
        await logIn(page, 'ops-hooks', PASSWORD);
        await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Webhooks' }).click();
        const view = page.locator('#webhooks-view');
        await view.getByText('No signing secret yet').waitFor();
        await view.getByText('No deliveries yet.').waitFor();

        await view.getByLabel('Endpoint URL').fill(endpoint);
        await view.getByLabel('Method').selectOption('PUT');
        await view.getByRole('button', { name: 'Save endpoint' }).click();
        await view
          .getByRole('status')
          .filter({ hasText: `Events go to PUT ${endpoint}.` })
          .waitFor();
        await expect(
          t.ds.getRepository(Customer).findOneByOrFail({ id: customer.id }),
        ).resolves.toMatchObject({
          webhookUri: endpoint,
          webhookMethod: 'PUT',
        });

        // The secret, shown once; the page keeps no copy once dismissed.
        await view.getByRole('button', { name: 'Roll the signing secret' }).click();
        const secretElement = view.locator('.notice code');
        await secretElement.waitFor();
        const secret = (await secretElement.textContent()) ?? '';
        expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32,}$/);
        await view.getByText('A signing secret is set.').waitFor();
        await view.getByRole('button', { name: 'Done' }).click();
        await expect(page.content()).resolves.not.toContain(secret);

        // A test event: queued, then delivered to the receiver, signed with that secret.
        await view.getByRole('button', { name: 'Send a test event' }).click();
        const queued = view.getByRole('status').filter({ hasText: /^Test event [0-9a-f-]{36} is queued\.$/ });
        await queued.waitFor();
        const eventId = /Test event (\S+) is queued/.exec((await queued.textContent()) ?? '')?.[1] ?? '';
        const rows = view.locator('tbody').getByRole('row');
        const testRow = rows.filter({ hasText: eventId });
        await eventually(async () => {
          await view.getByRole('button', { name: 'Refresh' }).click();
          return testRow.locator('td[data-label="Status"]').textContent();
        }, 'delivered');
        await expect(testRow.locator('td[data-label="Event"] code').textContent()).resolves.toBe(
          'webhook.test',
        );
        await expect(testRow.locator('td[data-label="Response"]').textContent()).resolves.toBe('204');

        const delivery = received.find((r) => r.headers['webhook-id'] === eventId);
        expect(delivery?.method).toBe('PUT');
        expect(JSON.parse(delivery?.body ?? '{}')).toMatchObject({ type: 'webhook.test' });
        const signed = `${eventId}.${String(delivery?.headers['webhook-timestamp'])}.${delivery?.body}`;
        const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
        const expected = `v1,${createHmac('sha256', key).update(signed).digest('base64')}`;
        expect(String(delivery?.headers['webhook-signature']).split(' ')).toContain(expected);

        // The activity view names the webhook actions too.
        await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Activity' }).click();
        await page
          .locator('#activity-view tbody')
          .getByRole('row')
          .filter({ hasText: 'webhook.test' })
          .waitFor();

        await expect(fitsWidth(page)).resolves.toBe(true);
        await context.close();
        expect(errors).toEqual([]);
      } finally {
        await new Promise((resolve) => receiver.close(resolve));
      }
    });
  },
);
