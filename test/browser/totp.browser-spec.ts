import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { FakeClock, type TestApp } from '../support/app.js';
import { insertCustomer, PASSWORD } from '../support/factories.js';
import { LAPTOP, launchChromium, PHONE, startServer, watchedPage } from './browser.js';

/** RFC 4648 base32, as otpauth:// secrets are written. */
function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of text.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  }
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((byte) => parseInt(byte, 2)));
}

/**
 * RFC 6238 (SHA-1, 6 digits, 30 s) written out here, apart from the service's library, so that the
 * test checks the codes an authenticator app would show.
 */
function totp(secret: string, at: Date): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at.getTime() / 30_000)));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

describe('two-factor authentication on the admin page in Chromium', () => {
  // The service's clock, moved by hand: each code is for a step of its own (a code works once),
  // and a login grows old enough for the step-up check without waiting.
  const clock = new FakeClock();
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    ({ t, baseUrl } = await startServer({}, clock));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('enrols with the QR code, logs in with a code, steps up for a password change, and turns it off with a recovery code', async () => {
    const customer = await insertCustomer(t.ds);
    const context = await browser.newContext({ viewport: LAPTOP });
    const { page, errors } = await watchedPage(context);
    await page.goto(`${baseUrl}/admin#account`);
    await page.getByLabel('Username').fill(customer.username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.keyboard.press('Enter');

    // Another session, in another browser: listed, and ended by the enrolment, as the table shows.
    await request(t.http)
      .post('/auth/login')
      .send({ username: customer.username, password: PASSWORD })
      .expect(200);
    await page.reload();
    const sessionRows = page.getByRole('table', { name: 'Sessions' }).locator('tbody tr');
    await page.getByRole('button', { name: /^End the session from/ }).waitFor();
    await expect(sessionRows.count()).resolves.toBe(2);

    // Enrol: the QR code is drawn in the page; the key is there to type by hand too.
    await page.getByRole('button', { name: 'Set up two-factor' }).click();
    const qr = page.getByRole('img', { name: 'QR code to scan with your authenticator app' });
    await qr.waitFor();
    const darkPixels = await qr.evaluate((canvas: HTMLCanvasElement) => {
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let dark = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] === 0) dark++;
      return dark / (data.length / 4);
    });
    expect(darkPixels).toBeGreaterThan(0.2);
    const secret = (await page.locator('#totp-secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{16,}=*$/);
    await page.getByLabel('Code shown by the app').fill(totp(secret, clock.now()));
    await page.keyboard.press('Enter');
    await page.getByText('they will not be shown again.').waitFor();
    const codes = await page.locator('#recovery-codes code').allTextContents();
    expect(codes).toHaveLength(10);
    await page.getByRole('button', { name: /^End the session from/ }).waitFor({ state: 'detached' });
    await expect(sessionRows.count()).resolves.toBe(1);
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByText('Logging in needs a code from your app.').waitFor();
    await expect(page.locator('#recovery-codes').count()).resolves.toBe(0);
    await request(t.http)
      .post('/auth/login')
      .send({ username: customer.username, password: PASSWORD })
      .expect(401)
      .expect((res) => expect((res.body as { error: { reason: string } }).error.reason).toBe('OTP_REQUIRED'));

    // Log in again: the form asks for the code after the password; a wrong one is refused.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Username').fill(customer.username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'Enter the code from your authenticator app.' })
      .waitFor();
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('login-otp');
    const wrong = totp(secret, new Date(clock.now().getTime() + 3600_000));
    await page.getByLabel('Authentication code').fill(wrong);
    await page.keyboard.press('Enter');
    await page.locator('#login-error').filter({ hasText: /./ }).waitFor();
    await expect(page.locator('#keys-view').isVisible()).resolves.toBe(false);
    clock.advance(30);
    await page.getByLabel('Authentication code').fill(totp(secret, clock.now()));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();

    // Eleven minutes on, a password change needs a fresh code: asked for, then the change is made.
    clock.advance(11 * 60);
    const form = page.getByRole('form', { name: 'Password' });
    await form.getByLabel('Current password').fill(PASSWORD);
    await form.getByLabel('New password', { exact: true }).fill('a-new-password-1');
    await form.getByLabel('New password again').fill('a-new-password-1');
    await form.getByRole('button', { name: 'Change password' }).click();
    const stepUp = page.getByRole('dialog', { name: 'Confirm it is you' });
    await stepUp.waitFor();
    await stepUp.getByLabel('Fresh code').fill(totp(secret, clock.now()));
    await page.keyboard.press('Enter');
    await form.getByText('Password changed.').waitFor();
    await expect(stepUp.isVisible()).resolves.toBe(false);

    // Turn it off with a recovery code.
    await page.getByLabel('Code from your app (or a recovery code)').fill(codes[0]);
    await page.getByRole('button', { name: 'Turn off two-factor' }).click();
    await page.getByText('Two-factor authentication is off.').waitFor();
    await page.getByRole('button', { name: 'Set up two-factor' }).waitFor();
    await request(t.http)
      .post('/auth/login')
      .send({ username: customer.username, password: 'a-new-password-1' })
      .expect(200);

    await page.setViewportSize(PHONE);
    await expect(
      page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth),
    ).resolves.toBe(true);
    // The login's OTP_REQUIRED, the wrong code's OTP_INVALID, the password change's STEP_UP_REQUIRED.
    expect(errors).toEqual([
      expect.stringMatching(/^console: Failed to load resource: .* 401/),
      expect.stringMatching(/^console: Failed to load resource: .* 401/),
      expect.stringMatching(/^console: Failed to load resource: .* 401/),
    ]);
    await context.close();
  });
});
