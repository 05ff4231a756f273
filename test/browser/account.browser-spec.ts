import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { IsNull } from 'typeorm';
import { Session } from '../../src/sessions/session.entity.js';
import type { TestApp } from '../support/app.js';
import { insertCustomer, PASSWORD } from '../support/factories.js';
import { LAPTOP, launchChromium, PHONE, startServer, watchedPage } from './browser.js';

/** Logs in over the API as another client would, with a User-Agent of its own; returns its JWT. */
async function apiLogin(t: TestApp, username: string, password: string, agent: string): Promise<string> {
  const res = await request(t.http)
    .post('/auth/login')
    .set('user-agent', agent)
    .send({ username, password })
    .expect(200);
  return (res.body as { token: string }).token;
}

async function pageLogin(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/admin`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Your access keys' }).waitFor();
}

describe('the Account view of the admin page in Chromium', () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    ({ t, baseUrl } = await startServer());
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('serves the QR library from the service itself, and nothing else of its package', async () => {
    await request(t.http)
      .get('/admin/vendor/qrcode.mjs')
      .expect(200)
      .expect('content-type', /javascript/);
    await request(t.http).get('/admin/vendor/qrcode.js').expect(404);
    const traversal = await request(t.http).get('/admin/vendor/../package.json');
    expect([403, 404]).toContain(traversal.status);
  });

  it('lists the sessions, ends one and then all others, by keyboard; each ended JWT is refused', async () => {
    const customer = await insertCustomer(t.ds);
    const phone = await apiLogin(t, customer.username, PASSWORD, 'PhoneApp/1.0');
    const laptop = await apiLogin(t, customer.username, PASSWORD, 'LaptopScript/2.0');
    const context = await browser.newContext({ viewport: LAPTOP });
    const { page, errors } = await watchedPage(context);
    await pageLogin(page, baseUrl, customer.username, PASSWORD);

    // The nav by keyboard: focus Keys, Tab to Account, Enter.
    await page.getByRole('link', { name: 'Keys' }).focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await expect(page.getByRole('link', { name: 'Account' }).getAttribute('aria-current')).resolves.toBe(
      'page',
    );
    await expect(page.locator('#keys-view').isVisible()).resolves.toBe(false);
    const rows = page.getByRole('table', { name: 'Sessions' }).locator('tbody tr');
    await expect(rows.count()).resolves.toBe(3);
    await expect(rows.filter({ hasText: 'this session' }).textContent()).resolves.toContain('HeadlessChrome');

    await rows
      .filter({ hasText: 'PhoneApp/1.0' })
      .getByRole('button', { name: /^End the session/ })
      .focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Session ended.' }).waitFor();
    await expect(rows.count()).resolves.toBe(2);
    await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${phone}`).expect(401);
    await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${laptop}`).expect(200);

    await page.getByRole('button', { name: 'End all other sessions' }).click();
    await page.getByRole('status').filter({ hasText: '1 other session ended.' }).waitFor();
    await expect(rows.count()).resolves.toBe(1);
    await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${laptop}`).expect(401);
    await expect(page.getByRole('button', { name: 'End all other sessions' }).isDisabled()).resolves.toBe(
      true,
    );
    await expect(
      t.ds.getRepository(Session).countBy({ customerId: customer.id, tmEnd: IsNull() }),
    ).resolves.toBe(1);

    // The page's own session goes on, over a reload too, back on the Account view.
    await page.reload();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await expect(rows.count()).resolves.toBe(1);

    // At phone width the view fits without sideways scrolling.
    await page.setViewportSize(PHONE);
    await expect(
      page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth),
    ).resolves.toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('changes the password: refuses a wrong one and a mistyped new one, then ends every other session', async () => {
    const customer = await insertCustomer(t.ds);
    const other = await apiLogin(t, customer.username, PASSWORD, 'OtherClient/1.0');
    const context = await browser.newContext({ viewport: LAPTOP });
    const { page, errors } = await watchedPage(context);
    await pageLogin(page, baseUrl, customer.username, PASSWORD);
    await page.getByRole('link', { name: 'Account' }).click();
    const form = page.getByRole('form', { name: 'Password' });

    await form.getByLabel('Current password').fill(PASSWORD);
    await form.getByLabel('New password', { exact: true }).fill('a-new-password-1');
    await form.getByLabel('New password again').fill('a-new-password-2');
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByText('The two new passwords differ.').waitFor();

    await form.getByLabel('Current password').fill('not-the-password');
    await form.getByLabel('New password again').fill('a-new-password-1');
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.locator('.error').waitFor();
    await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${other}`).expect(200);

    await form.getByLabel('Current password').fill(PASSWORD);
    await form.getByLabel('Current password').press('Enter');
    await form.getByText('Password changed. Every other session has ended; this one goes on.').waitFor();
    await expect(form.getByLabel('Current password').inputValue()).resolves.toBe('');
    await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${other}`).expect(401);
    await apiLogin(t, customer.username, 'a-new-password-1', 'NewLogin/1.0');

    // The page's session is the one that made the change: it still works.
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByText('0 keys', { exact: true }).waitFor();
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    // The one console error is the wrong current password's answer.
    expect(errors).toEqual([expect.stringMatching(/^console: Failed to load resource: .* 400/)]);
    await context.close();
  });
});
