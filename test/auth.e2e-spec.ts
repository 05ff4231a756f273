import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { AccessKey } from '../src/accesskeys/access-key.entity.js';
import { Customer, Permission } from '../src/customers/customer.entity.js';
import { login, signJwt, startApp, TEST_JWT_SECRET, type TestApp } from './support/app.js';
import { TEST_PUBLIC_URL } from './support/env.js';
import { DATABASES } from './support/databases.js';
import { insertAccessKey, insertCustomer, PASSWORD, truncate } from './support/factories.js';

const ENVELOPE_KEYS = ['status', 'reason', 'message', 'request_id', 'details'];

const sign = signJwt;

/** A token in the `alg: none` form, which must never be accepted. */
function unsigned(claims: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

describe.each(DATABASES)('authentication on $name', (database) => {
  let t: TestApp;
  let customer: Customer;

  beforeAll(async () => {
    t = await startApp(await database.prepare('auth'));
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncate(t.ds);
    customer = await insertCustomer(t.ds, { username: 'alice' });
  });

  describe('POST /auth/login', () => {
    it('returns a 7-day HS256 JWT with the documented claims and sets the cookie', async () => {
      const res = await request(t.http)
        .post('/auth/login')
        .send({ username: 'alice', password: PASSWORD })
        .expect(200);
      expect(Object.keys(res.body)).toEqual(['username', 'token']);
      expect(res.body.username).toBe('alice');
      expect(res.headers['cache-control']).toBe('no-store');

      const decoded = jwt.decode(res.body.token, { complete: true })!;
      expect(decoded.header.alg).toBe('HS256');
      const claims = decoded.payload as jwt.JwtPayload;
      expect(claims.sub).toBe(customer.id);
      expect(claims.iss).toBe(TEST_PUBLIC_URL);
      expect(claims.aud).toBe(TEST_PUBLIC_URL);
      expect(claims.exp! - claims.iat!).toBe(604800);
      expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
      expect(claims.customer).toEqual({
        id: customer.id,
        username: 'alice',
        name: customer.name,
        permission: Permission.CustomerAdmin,
      });
      expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(5);

      const cookie = String(res.headers['set-cookie']);
      expect(cookie).toContain(`token=${res.body.token}`);
      expect(cookie).toMatch(/Max-Age=604800/);
      expect(cookie).toMatch(/Path=\//);
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
    });

    it('accepts the username in any case', async () => {
      await request(t.http).post('/auth/login').send({ username: 'ALICE', password: PASSWORD }).expect(200);
    });

    it('answers a wrong password and an unknown username with the same 401', async () => {
      const wrong = await request(t.http)
        .post('/auth/login')
        .send({ username: 'alice', password: 'not-the-password' })
        .expect(401);
      const unknown = await request(t.http)
        .post('/auth/login')
        .send({ username: 'nobody', password: 'not-the-password' })
        .expect(401);
      for (const res of [wrong, unknown]) {
        expect(res.headers['www-authenticate']).toBe('Bearer');
        expect(res.headers['set-cookie']).toBeUndefined();
        expect({ ...res.body.error, request_id: undefined }).toEqual({
          status: 'UNAUTHENTICATED',
          reason: 'INVALID_CREDENTIALS',
          message: 'The provided credentials are invalid.',
          request_id: undefined,
          details: [],
        });
      }
    });

    it('refuses a deleted customer', async () => {
      await t.ds.getRepository(Customer).update(customer.id, { tmDelete: new Date(), live: null });
      await request(t.http).post('/auth/login').send({ username: 'alice', password: PASSWORD }).expect(401);
    });

    it.each([
      ['a missing password', { username: 'alice' }, 'password'],
      ['a missing username', { password: PASSWORD }, 'username'],
      ['a non-string password', { username: 'alice', password: 12345678 }, 'password'],
      ['an unknown field', { username: 'alice', password: PASSWORD, remember: true }, 'remember'],
    ])('answers 400 for %s', async (_label, body, field) => {
      const res = await request(t.http).post('/auth/login').send(body).expect(400);
      expect(res.body.error.status).toBe('INVALID_ARGUMENT');
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    });

    it('answers 400 INVALID_JSON_BODY for a body that is not JSON', async () => {
      const res = await request(t.http)
        .post('/auth/login')
        .set('content-type', 'application/json')
        .send('{"username": "alice",')
        .expect(400);
      expect(res.body.error.reason).toBe('INVALID_JSON_BODY');
    });
  });

  describe('credential sources', () => {
    let token: string;
    let accessKey: string;

    beforeEach(async () => {
      token = await login(t.http, 'alice', PASSWORD);
      accessKey = (await insertAccessKey(t.ds, customer.id)).token;
    });

    const expectAlice = (res: request.Response) => {
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(customer.id);
      expect(res.headers['cache-control']).toBe('no-store');
    };

    it('accepts a JWT in the Authorization header', async () => {
      expectAlice(await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${token}`));
    });

    it('accepts an access key in the Authorization header', async () => {
      expectAlice(await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${accessKey}`));
    });

    it('accepts a JWT in ?token=', async () => {
      expectAlice(await request(t.http).get('/v1.0/customer').query({ token }));
    });

    it('accepts an access key in ?accesskey=', async () => {
      expectAlice(await request(t.http).get('/v1.0/customer').query({ accesskey: accessKey }));
    });

    it('accepts the cookie set by login', async () => {
      expectAlice(await request(t.http).get('/v1.0/customer').set('cookie', `token=${token}`));
    });

    it('answers 401 AUTHENTICATION_REQUIRED with no credential', async () => {
      const res = await request(t.http).get('/v1.0/customer').expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(Object.keys(res.body.error)).toEqual(ENVELOPE_KEYS);
      expect(res.body.error.reason).toBe('AUTHENTICATION_REQUIRED');
    });

    it('never falls back to a later source when the first one present is invalid', async () => {
      const cases = [
        request(t.http).get('/v1.0/customer').set('authorization', 'Bearer nonsense').query({ token }),
        request(t.http)
          .get('/v1.0/customer')
          .set('authorization', 'Basic YWxpY2U6eA==')
          .query({ accesskey: accessKey }),
        request(t.http).get('/v1.0/customer').query({ token: 'nonsense', accesskey: accessKey }),
        request(t.http)
          .get('/v1.0/customer')
          .query({ accesskey: 'vb_nonsense' })
          .set('cookie', `token=${token}`),
      ];
      for (const res of await Promise.all(cases)) {
        expect(res.status).toBe(401);
        expect(res.body.error.reason).toBe('INVALID_CREDENTIALS');
      }
    });

    it('takes the header before the query string', async () => {
      const other = await insertCustomer(t.ds, { username: 'bob' });
      const bobToken = await login(t.http, 'bob', PASSWORD);
      const res = await request(t.http)
        .get('/v1.0/customer')
        .set('authorization', `Bearer ${bobToken}`)
        .query({ token })
        .expect(200);
      expect(res.body.id).toBe(other.id);
    });
  });

  describe('invalid JWTs', () => {
    const cases: [string, () => Promise<string> | string][] = [
      ['garbage', () => 'not.a.jwt'],
      [
        'a tampered signature',
        async () => {
          const good = await login(t.http, 'alice', PASSWORD);
          const [head, body, sig] = good.split('.');
          return `${head}.${body}.${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
        },
      ],
      [
        'a tampered payload',
        async () => {
          const good = await login(t.http, 'alice', PASSWORD);
          const [head, , sig] = good.split('.');
          const forged = Buffer.from(
            JSON.stringify({
              sub: customer.id,
              iss: TEST_PUBLIC_URL,
              aud: TEST_PUBLIC_URL,
              exp: 9999999999,
              customer: { permission: 1 },
            }),
          ).toString('base64url');
          return `${head}.${forged}.${sig}`;
        },
      ],
      [
        'another secret',
        () => sign({ sub: customer.id }, {}, 'another-secret-that-is-long-enough-for-hs256'),
      ],
      [
        'alg none',
        () =>
          unsigned({
            sub: customer.id,
            iss: TEST_PUBLIC_URL,
            aud: TEST_PUBLIC_URL,
            exp: Math.floor(Date.now() / 1000) + 3600,
          }),
      ],
      ['HS512', () => sign({ sub: customer.id }, { algorithm: 'HS512' })],
      ['an expired token', () => sign({ sub: customer.id }, { expiresIn: -10 })],
      [
        'no exp',
        () =>
          jwt.sign({ sub: customer.id }, TEST_JWT_SECRET, {
            algorithm: 'HS256',
            issuer: TEST_PUBLIC_URL,
            audience: TEST_PUBLIC_URL,
          }),
      ],
      ['another issuer', () => sign({ sub: customer.id }, { issuer: 'someone-else' })],
      ['an unknown customer', () => sign({ sub: randomUUID() })],
      ['a sub that is not a UUID', () => sign({ sub: 'admin' })],
      [
        'a deleted customer',
        async () => {
          const token = await login(t.http, 'alice', PASSWORD);
          await t.ds.getRepository(Customer).update(customer.id, { tmDelete: new Date(), live: null });
          return token;
        },
      ],
    ];

    it.each(cases)('refuses %s with 401 INVALID_CREDENTIALS', async (_label, make) => {
      const token = await make();
      for (const req of [
        request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${token}`),
        request(t.http).get('/v1.0/customer').query({ token }),
      ]) {
        const res = await req;
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer');
        expect(res.body.error.reason).toBe('INVALID_CREDENTIALS');
        expect(JSON.stringify(res.body)).not.toContain(token);
      }
    });

    it('accepts a token signed by the test itself with the right secret (control)', async () => {
      await request(t.http)
        .get('/v1.0/customer')
        .set('authorization', `Bearer ${sign({ sub: customer.id })}`)
        .expect(200);
    });
  });

  describe('invalid access keys', () => {
    const cases: [string, () => Promise<string>][] = [
      [
        'a bad checksum',
        async () => {
          const { token } = await insertAccessKey(t.ds, customer.id);
          return `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`;
        },
      ],
      ['a wrong length', async () => `${(await insertAccessKey(t.ds, customer.id)).token}x`],
      [
        'an unknown key',
        async () => {
          const { token, key } = await insertAccessKey(t.ds, customer.id);
          await t.ds.getRepository(AccessKey).delete(key.id);
          return token;
        },
      ],
      [
        'an expired key',
        async () =>
          (await insertAccessKey(t.ds, customer.id, { tmExpire: new Date(Date.now() - 1000) })).token,
      ],
      [
        'a deleted key',
        async () => (await insertAccessKey(t.ds, customer.id, { tmDelete: new Date() })).token,
      ],
      [
        'a key of a deleted customer',
        async () => {
          const { token } = await insertAccessKey(t.ds, customer.id);
          await t.ds.getRepository(Customer).update(customer.id, { tmDelete: new Date(), live: null });
          return token;
        },
      ],
    ];

    it.each(cases)('refuses %s with 401 INVALID_CREDENTIALS', async (_label, make) => {
      const token = await make();
      for (const req of [
        request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${token}`),
        request(t.http).get('/v1.0/customer').query({ accesskey: token }),
      ]) {
        const res = await req;
        expect(res.status).toBe(401);
        expect(res.body.error.reason).toBe('INVALID_CREDENTIALS');
        expect(JSON.stringify(res.body)).not.toContain(token);
      }
    });
  });
});
