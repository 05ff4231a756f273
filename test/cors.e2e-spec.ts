import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import request from 'supertest';
import { Customer } from '../src/customers/customer.entity.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startApp, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { METRICS_TOKEN } from './support/env.js';
import { insertAccessKey } from './support/factories.js';

const CONSOLE = 'https://console.example.com';

/** A browser's preflight before a call with an Authorization header or a JSON body. */
const preflight = (http: Server, path: string, origin = CONSOLE, method = 'PUT') =>
  request(http)
    .options(path)
    .set('origin', origin)
    .set('access-control-request-method', method)
    .set('access-control-request-headers', 'authorization,content-type');

/** The sum of auth_attempts_total over every label. */
async function authAttempts(http: Server): Promise<number> {
  const { text } = await request(http)
    .get('/metrics')
    .set('authorization', `Bearer ${METRICS_TOKEN}`)
    .expect(200);
  return text
    .split('\n')
    .filter((line) => line.startsWith('auth_attempts_total{'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

describe.each(DATABASES)('CORS on $name', (database) => {
  describe('with the default CORS_ORIGINS (any origin)', () => {
    let t: TestApp;
    let key: string;

    beforeAll(async () => {
      t = await startApp(await database.prepare('cors'), {
        LOGIN_LIMIT_PER_IP: '2',
        LOGIN_LIMIT_PER_USERNAME: '100',
      });
      const admin = await t.ds.getRepository(Customer).findOneByOrFail({ username: ADMIN_USERNAME });
      key = (await insertAccessKey(t.ds, admin.id)).token;
    });
    afterAll(() => t.close());

    it('answers a preflight 204 with the methods and headers a client needs, and no credentials', async () => {
      for (const path of [
        '/v1.0/accesskeys/00000000-0000-4000-8000-000000000000',
        '/auth/login',
        '/nowhere',
      ]) {
        const res = await preflight(t.http, path).expect(204);
        expect(res.text).toBe('');
        expect(res.headers).toMatchObject({
          'access-control-allow-origin': '*',
          'access-control-allow-methods': 'GET, HEAD, POST, PUT, DELETE',
          'access-control-allow-headers': 'Authorization, Content-Type',
          'access-control-max-age': '600',
        });
        expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      }
    });

    it('lets any origin read every answer, errors included, with X-Request-Id, Retry-After and Accesskey-Expires exposed', async () => {
      const ok = await request(t.http)
        .get('/v1.0/accesskeys')
        .set('origin', 'http://localhost:5173')
        .set('authorization', `Bearer ${key}`)
        .expect(200);
      const refused = await request(t.http).get('/v1.0/accesskeys').set('origin', CONSOLE).expect(401);
      for (const res of [ok, refused]) {
        expect(res.headers['access-control-allow-origin']).toBe('*');
        expect(res.headers['access-control-expose-headers']).toBe(
          'X-Request-Id, Retry-After, Accesskey-Expires',
        );
        expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      }
    });

    it('counts no preflight as an authentication or login attempt', async () => {
      const before = await authAttempts(t.http);
      for (let i = 0; i < 10; i++) {
        await preflight(t.http, '/v1.0/accesskeys').expect(204);
        await preflight(t.http, '/auth/login', CONSOLE, 'POST').expect(204);
      }
      expect(await authAttempts(t.http)).toBe(before);

      // LOGIN_LIMIT_PER_IP is 2 (failed logins): the two failures are answered, the third attempt
      // is the first one throttled.
      const login = () =>
        request(t.http)
          .post('/auth/login')
          .set('origin', CONSOLE)
          .send({ username: ADMIN_USERNAME, password: `not-${ADMIN_PASSWORD}` });
      await login().expect(401);
      await login().expect(401);
      const throttled = await login().expect(429);
      expect(throttled.headers['retry-after']).toMatch(/^\d+$/);
      expect(throttled.headers['access-control-allow-origin']).toBe('*');
    });
  });

  describe('with CORS_ORIGINS naming origins', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startApp(await database.prepare('cors_list'), {
        CORS_ORIGINS: `${CONSOLE}, http://127.0.0.1:8080`,
      });
    });
    afterAll(() => t.close());

    it('allows those origins only, each by name, and never sends credentials', async () => {
      for (const origin of [CONSOLE, 'http://127.0.0.1:8080']) {
        const res = await preflight(t.http, '/v1.0/accesskeys', origin).expect(204);
        expect(res.headers['access-control-allow-origin']).toBe(origin);
        expect(res.headers.vary).toMatch(/Origin/);
        expect(res.headers['access-control-allow-credentials']).toBeUndefined();
        const answer = await request(t.http).get('/v1.0/customer').set('origin', origin).expect(401);
        expect(answer.headers['access-control-allow-origin']).toBe(origin);
      }
      for (const origin of ['https://evil.example.com', 'https://console.example.com.evil.example', 'null']) {
        const res = await preflight(t.http, '/v1.0/accesskeys', origin);
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        const answer = await request(t.http).get('/v1.0/customer').set('origin', origin).expect(401);
        expect(answer.headers['access-control-allow-origin']).toBeUndefined();
      }
    });
  });
});
