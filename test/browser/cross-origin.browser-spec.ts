import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AccessKey } from '../../src/accesskeys/access-key.entity.js';
import { Customer } from '../../src/customers/customer.entity.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME, type TestApp } from '../support/app.js';
import { insertAccessKey } from '../support/factories.js';
import { launchChromium, startServer, watchedPage } from './browser.js';

/** A blank page on its own origin: what a console served from elsewhere looks like to the API. */
async function servePage(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>console</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // localhost, while the API is on 127.0.0.1: another origin, and another site too.
  return { server, origin: `http://localhost:${(server.address() as AddressInfo).port}` };
}

describe('a page on another origin calling the API, in Chromium', () => {
  let page: { server: Server; origin: string };
  let browser: Browser;

  beforeAll(async () => {
    page = await servePage();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    page?.server.close();
  });

  async function consolePage(): Promise<{ context: BrowserContext; tab: Page; errors: string[] }> {
    const context = await browser.newContext();
    const { page: tab, errors } = await watchedPage(context);
    await tab.goto(page.origin);
    return { context, tab, errors };
  }

  // One service at a time: Passport keeps its strategies in one registry per process, so a second
  // service started in this process would answer for the first.
  describe('with the default CORS_ORIGINS', () => {
    let t: TestApp;
    let api: string;

    beforeAll(async () => {
      ({ t, baseUrl: api } = await startServer());
    });
    afterAll(() => t?.close());

    it('lists and creates keys with an access key, and reads the answers, their request id and an error', async () => {
      const admin = await t.ds.getRepository(Customer).findOneByOrFail({ username: ADMIN_USERNAME });
      const { token } = await insertAccessKey(t.ds, admin.id, { name: 'console key' });
      const { context, tab, errors } = await consolePage();

      const seen = await tab.evaluate(
        async ({ api, key }) => {
          const auth = { Authorization: `Bearer ${key}` };
          const list = await fetch(`${api}/v1.0/accesskeys`, { headers: auth });
          const created = await fetch(`${api}/v1.0/accesskeys`, {
            method: 'POST',
            headers: { ...auth, 'Content-Type': 'application/json' },
            body: JSON.stringify({ name: 'made by the console', expire: 86400 }),
          });
          const refused = await fetch(`${api}/v1.0/accesskeys?accesskey=vb_not-a-key`);
          return {
            list: {
              status: list.status,
              body: await list.json(),
              requestId: list.headers.get('x-request-id'),
            },
            created: { status: created.status, body: await created.json() },
            refused: { status: refused.status, body: await refused.json() },
          };
        },
        { api, key: token },
      );

      expect(seen.list.status).toBe(200);
      expect(seen.list.body.result.map((k: { name: string }) => k.name)).toEqual(['console key']);
      expect(seen.list.requestId).toMatch(/^req_/);
      expect(seen.created).toMatchObject({ status: 200, body: { name: 'made by the console' } });
      expect(seen.created.body.token).toMatch(/^vb_/);
      await expect(t.ds.getRepository(AccessKey).countBy({ customerId: admin.id })).resolves.toBe(2);
      expect(seen.refused).toMatchObject({ status: 401, body: { error: { reason: 'INVALID_CREDENTIALS' } } });
      expect(errors).toEqual([expect.stringMatching(/^console: Failed to load resource: .* 401/)]);
      await context.close();
    });

    it("logs in as VoIPBIN's console does, with a misspelt headers option (the body goes as text/plain)", async () => {
      const { context, tab, errors } = await consolePage();
      const seen = await tab.evaluate(
        async ({ api, username, password }) => {
          const login = await fetch(`${api}/auth/login`, {
            method: 'POST',
            mode: 'cors',
            // `header`, not `headers`: the request carries no Content-Type of its own.
            header: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ username, password }),
          } as RequestInit);
          const { token } = (await login.json()) as { token: string };
          const me = await fetch(`${api}/v1.0/customer`, { headers: { Authorization: `Bearer ${token}` } });
          return {
            login: login.status,
            me: me.status,
            username: ((await me.json()) as { username: string }).username,
          };
        },
        { api, username: ADMIN_USERNAME, password: ADMIN_PASSWORD },
      );
      expect(seen).toEqual({ login: 200, me: 200, username: ADMIN_USERNAME });
      await expect(context.cookies()).resolves.toEqual([]);
      expect(errors).toEqual([]);
      await context.close();
    });
  });

  describe('with CORS_ORIGINS naming other origins', () => {
    let t: TestApp;
    let api: string;

    beforeAll(async () => {
      ({ t, baseUrl: api } = await startServer({ CORS_ORIGINS: 'https://console.example.com' }));
    });
    afterAll(() => t?.close());

    it('cannot read any answer', async () => {
      const { context, tab, errors } = await consolePage();
      const outcome = await tab.evaluate(async (api) => {
        try {
          await fetch(`${api}/v1.0/customer?accesskey=vb_not-a-key`);
          return 'read';
        } catch (error) {
          return (error as Error).name;
        }
      }, api);
      expect(outcome).toBe('TypeError');
      expect(errors).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/blocked by CORS policy: No 'Access-Control-Allow-Origin'/),
        ]),
      );
      await context.close();
    });
  });
});
