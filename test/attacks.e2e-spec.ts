import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { AccessKey } from '../src/accesskeys/access-key.entity.js';
import { Customer, Permission } from '../src/customers/customer.entity.js';
import { login, signJwt as sign, startApp, TEST_JWT_SECRET, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { METRICS_TOKEN, TEST_PUBLIC_URL } from './support/env.js';
import { insertAccessKey, insertCustomer, PASSWORD, truncate } from './support/factories.js';
import { ServiceProcess } from './support/service.js';

/** The envelope of API.md, with the id the answer's X-Request-Id header carries. */
function expectEnvelope(
  res: { status: number; headers: Record<string, string>; body: unknown },
  reason: string,
) {
  expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  expect(res.body).toEqual({
    error: {
      status: expect.stringMatching(/^[A-Z_]+$/),
      reason,
      message: expect.any(String),
      request_id: res.headers['x-request-id'],
      details: expect.any(Array),
    },
  });
}

/** The app started with `env` on `url`, for `use` alone. */
async function withApp(url: string, env: Record<string, string>, use: (t: TestApp) => Promise<void>) {
  const t = await startApp(url, env);
  try {
    await use(t);
  } finally {
    await t.close();
  }
}

/** `depth` arrays one inside the other: `[[[...]]]`. */
const nestedArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

/** A login body whose password is `depth - 1` objects deep, so the whole body is `depth` deep. */
const nestedLogin = (depth: number) =>
  `{"username":"nobody","password":${'{"a":'.repeat(depth - 2)}{}${'}'.repeat(depth - 2)}}`;

interface RawAnswer {
  head: string;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the first byte sent to the connection's end. */
  ms: number;
}

/**
 * Sends raw bytes on a connection of its own (`chunks` one after the other, `every` ms apart),
 * and collects what the server answers until it closes the connection.
 */
function raw(port: number, chunks: string[], every = 0, giveUpMs = 40_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the connection was still open after ${giveUpMs} ms`));
    }, giveUpMs);
    const finish = () => {
      clearTimeout(giveUp);
      clearTimeout(timer);
      const [headText, ...rest] = received.split('\r\n\r\n');
      const [head, ...lines] = headText.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      resolve({ head, headers, body: rest.join('\r\n\r\n'), ms: Date.now() - started });
    };
    socket.on('data', (data) => (received += data.toString()));
    socket.on('close', finish);
    socket.on('error', () => undefined);
    let next = 0;
    const send = () => {
      if (socket.destroyed || next >= chunks.length) return;
      socket.write(chunks[next++]);
      timer = setTimeout(send, every);
    };
    socket.on('connect', send);
  });
}

/** The JSON envelope inside a raw answer, checked like `expectEnvelope`. */
function expectRawEnvelope(answer: RawAnswer, status: number, reason: string) {
  expect(answer.head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
  const body =
    answer.body
      .trim()
      .split('\r\n')
      .find((line) => line.startsWith('{')) ?? answer.body;
  expectEnvelope({ status, headers: answer.headers, body: JSON.parse(body) }, reason);
}

describe.each(DATABASES)('attacks from outside on $name', (database) => {
  let t: TestApp;
  let port: number;
  let root: Customer;
  let rootJwt: string;
  let rootKey: string;

  beforeAll(async () => {
    t = await startApp(await database.prepare('attacks'));
    await new Promise<void>((resolve) => t.http.listen(0, '127.0.0.1', resolve));
    port = (t.http.address() as net.AddressInfo).port;
    await truncate(t.ds);
    root = await insertCustomer(t.ds, {
      username: 'root',
      permission: Permission.ProjectSuperAdmin | Permission.CustomerAdmin,
    });
    rootJwt = await login(t.http, 'root', PASSWORD);
    rootKey = (await insertAccessKey(t.ds, root.id)).token;
  });
  afterAll(() => t.close());

  const bearer = () => `Bearer ${rootJwt}`;

  describe('deeply nested JSON', () => {
    it('is refused with 400 before validation, on every JSON route, login included, without a 500', async () => {
      for (const body of [nestedArrays(1500), nestedArrays(33), nestedLogin(33), nestedLogin(1500)]) {
        for (const req of [
          request(t.http).post('/auth/login'),
          request(t.http).post('/v1.0/accesskeys').set('authorization', bearer()),
          request(t.http).put('/v1.0/customer').set('authorization', bearer()),
          request(t.http).post('/v1.0/customers').set('authorization', bearer()),
        ]) {
          const res = await req.set('content-type', 'application/json').send(body);
          expect(res.status).toBe(400);
          expectEnvelope(res, 'INVALID_JSON_BODY');
        }
      }
    });

    it('reaches validation up to 32 levels', async () => {
      const res = await request(t.http)
        .post('/auth/login')
        .set('content-type', 'application/json')
        .send(nestedLogin(32))
        .expect(400);
      expectEnvelope(res, 'INVALID_ARGUMENT');
      expect(res.body.error.details).toEqual([{ field: 'password', message: expect.any(String) }]);
    });
  });

  describe('bodies validation cannot see', () => {
    // Sent as text: supertest would parse, reorder or drop them.
    const unfit: [string, string, string][] = [
      ['{"toString":1}', 'INVALID_ARGUMENT', 'toString'],
      ['{"constructor":1}', 'INVALID_ARGUMENT', 'constructor'],
      ['{"hasOwnProperty":1}', 'INVALID_ARGUMENT', 'hasOwnProperty'],
      ['{"__proto__":{"name":"x"}}', 'INVALID_ARGUMENT', '__proto__'],
      ['{"name":"x","scopes":[{"valueOf":1}]}', 'INVALID_ARGUMENT', 'scopes.0.valueOf'],
      ['{"name":"\\ud800"}', 'INVALID_ARGUMENT', 'name'],
      ['{"name":"x\\udc00y"}', 'INVALID_ARGUMENT', 'name'],
      ['null', 'INVALID_JSON_BODY', ''],
    ];

    it('are refused with 400 on every JSON route, and change nothing', async () => {
      const keys = async () => Number((await t.ds.query('SELECT COUNT(*) AS n FROM access_keys'))[0].n);
      const before = await keys();
      for (const [body, reason, field] of unfit) {
        for (const req of [
          request(t.http).post('/auth/login'),
          request(t.http).post('/v1.0/accesskeys').set('authorization', bearer()),
          request(t.http).put('/v1.0/customer').set('authorization', bearer()),
          request(t.http).put('/v1.0/customer/key-policy').set('authorization', bearer()),
          request(t.http).post('/v1.0/customers').set('authorization', bearer()),
        ]) {
          const res = await req.set('content-type', 'application/json').send(body);
          expect([body, res.status]).toEqual([body, 400]);
          expectEnvelope(res, reason);
          if (field) expect(res.body.error.details).toEqual([{ field, message: expect.any(String) }]);
        }
      }
      expect(await keys()).toBe(before);
    });

    it('lets a name with a character outside the BMP through, as sent', async () => {
      const res = await request(t.http)
        .post('/v1.0/accesskeys')
        .set('authorization', bearer())
        .set('content-type', 'application/json')
        .send('{"name":"\\ud83d\\udd11 key"}')
        .expect(200);
      const read = await request(t.http)
        .get(`/v1.0/accesskeys/${res.body.id as string}`)
        .set('authorization', bearer())
        .expect(200);
      expect(read.body.name).toBe('\u{1F511} key');
    });
  });

  describe('bodies that are not JSON', () => {
    const bodies: [string | undefined, string][] = [
      ['application/x-www-form-urlencoded', 'username=evil&password=evil-password-1&permission=1'],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--x--',
      ],
      ['text/plain', '{"name":"x"}'],
      ['application/xml', '<name>x</name>'],
      [undefined, '{"name":"x"}'],
    ];

    it('are refused with 415 on every route that takes a body', async () => {
      const doc = (await request(t.http).get('/docs-json').expect(200)).body as {
        paths: Record<string, Record<string, unknown>>;
      };
      const routes = Object.entries(doc.paths)
        // The one exception: login reads its body as JSON whatever its type, as VoIPBIN does.
        .filter(([path]) => path !== '/auth/login')
        .flatMap(([path, ops]) =>
          (['post', 'put', 'delete'] as const)
            .filter((method) => method in ops)
            .map((method) => ({ method, path: path.replace('{id}', randomUUID()) })),
        );
      expect(routes.length).toBeGreaterThanOrEqual(10);
      for (const { method, path } of routes) {
        for (const [type, body] of bodies) {
          let req = request(t.http)[method](path).set('authorization', bearer());
          if (type !== undefined) req = req.set('content-type', type);
          const res = await req.send(body);
          expect([method, path, type, res.status]).toEqual([method, path, type, 415]);
          expectEnvelope(res, 'UNSUPPORTED_MEDIA_TYPE');
          expect(res.body.error.message).toBe('Send the request body as application/json.');
        }
      }
    });

    it('cannot make a customer from a cross-site form with the super admin cookie', async () => {
      const res = await request(t.http)
        .post('/v1.0/customers')
        .set('cookie', `token=${rootJwt}`)
        .set('origin', 'https://evil.example')
        .set('content-type', 'application/x-www-form-urlencoded')
        .send('username=evil&password=evil-password-1&permission=1');
      expect(res.status).toBe(415);
      expect(await t.ds.getRepository(Customer).countBy({ username: 'evil' })).toBe(0);
    });
  });

  describe('a state-changing request authenticated by the cookie', () => {
    const create = (headers: Record<string, string>) =>
      request(t.http)
        .post('/v1.0/customers')
        .set({ cookie: `token=${rootJwt}`, ...headers })
        .send({ username: `csrf-${randomUUID().slice(0, 8)}`, password: 'a long password' });

    it('is refused with 403 unless the browser says it comes from this origin', async () => {
      const host = `127.0.0.1:${port}`;
      const refused: Record<string, string>[] = [
        { origin: 'https://evil.example' },
        // A sibling subdomain is the same site, not the same origin.
        { 'sec-fetch-site': 'same-site', origin: 'https://sibling.example' },
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'cross-site', origin: `http://${host}` },
        { origin: 'null' },
        // A cookie is a browser's credential, and browsers say where a request comes from.
        {},
      ];
      for (const headers of refused) {
        const res = await create({ host, ...headers });
        expect([headers, res.status]).toEqual([headers, 403]);
        expectEnvelope(res, 'CROSS_SITE_REQUEST');
      }
      const before = await t.ds.getRepository(Customer).count();
      const allowed: Record<string, string>[] = [
        { 'sec-fetch-site': 'same-origin' },
        { origin: `http://${host}` },
        // Where the service says it is (PUBLIC_URL), as behind a proxy that rewrites Host.
        { origin: TEST_PUBLIC_URL },
      ];
      for (const headers of allowed) {
        const res = await create({ host, ...headers });
        expect([headers, res.status]).toEqual([headers, 200]);
      }
      expect(await t.ds.getRepository(Customer).count()).toBe(before + 3);
    });

    it('leaves reads with the cookie and calls with a header credential alone', async () => {
      const cross = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
      await request(t.http)
        .get('/v1.0/customer')
        .set({ cookie: `token=${rootJwt}`, ...cross })
        .expect(200);
      await request(t.http)
        .put('/v1.0/customer')
        .set({ authorization: bearer(), ...cross })
        .send({ detail: 'by header' })
        .expect(200);
      await request(t.http)
        .put('/v1.0/customer')
        .query({ accesskey: rootKey })
        .set(cross)
        .send({ detail: 'by key' })
        .expect(200);
    });
  });

  describe('password changes through an access key', () => {
    it("are refused with 403, the super admin's own included, and change nothing", async () => {
      const admin = await insertCustomer(t.ds, {
        username: `sa-${randomUUID().slice(0, 8)}`,
        permission: Permission.ProjectSuperAdmin,
      });
      // A key with every power of its super admin.
      const { token } = await insertAccessKey(t.ds, admin.id, { scopes: ['*:write', 'customers:write'] });
      const adminKey = `Bearer ${token}`;
      const other = await insertCustomer(t.ds, { username: `o-${randomUUID().slice(0, 8)}` });
      for (const id of [admin.id, other.id]) {
        const res = await request(t.http)
          .put(`/v1.0/customers/${id}`)
          .set('authorization', adminKey)
          .send({ password: 'taken-over-password' })
          .expect(403);
        expectEnvelope(res, 'PERMISSION_DENIED');
      }
      await login(t.http, admin.username, PASSWORD);
      await login(t.http, other.username, PASSWORD);
      // Other changes through the key, and a reset by JWT, still work.
      await request(t.http)
        .put(`/v1.0/customers/${other.id}`)
        .set('authorization', adminKey)
        .send({ name: 'renamed' })
        .expect(200);
      await request(t.http)
        .put(`/v1.0/customers/${other.id}`)
        .set('authorization', bearer())
        .send({ password: 'a reset password' })
        .expect(200);
      await login(t.http, other.username, 'a reset password');
    });
  });

  describe('a forged page_token', () => {
    it('with a time out of range is a 400 naming page_token, on every list', async () => {
      const forge = (ms: number) => Buffer.from(JSON.stringify([ms, randomUUID()])).toString('base64url');
      for (const ms of [8.64e15 + 1, 2 ** 53 - 1, 253402300800000]) {
        for (const path of ['/v1.0/accesskeys', '/v1.0/customers']) {
          const res = await request(t.http)
            .get(path)
            .query({ page_token: forge(ms) })
            .set('authorization', bearer());
          expect([path, ms, res.status]).toEqual([path, ms, 400]);
          expect(res.body.error.details).toEqual([{ field: 'page_token', message: expect.any(String) }]);
        }
      }
    });
  });

  describe('slow clients', () => {
    it('are answered 408 and cut off: a body trickled one byte a second, and headers trickled', async () => {
      const head =
        'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n';
      const [body, headers] = await Promise.all([
        raw(port, [head, ...'{"username":"a","password":"b"}'.padEnd(400).split('')], 1000),
        raw(port, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: yes\r\n\r\n'.split(''), 1000),
      ]);
      // The request timeout (15 s) and the headers timeout (10 s), checked every second.
      expect(body.ms).toBeLessThan(18_000);
      expect(headers.ms).toBeLessThan(13_000);
      expectRawEnvelope(body, 408, 'REQUEST_TIMEOUT');
      expectRawEnvelope(headers, 408, 'REQUEST_TIMEOUT');
    }, 45_000);
  });

  describe('errors the HTTP parser or the router answer', () => {
    it('are the envelope with a request id, and never echo the input', async () => {
      const long = 'x'.repeat(200);
      const tooLong = await request(t.http).get(`/v1.0/accesskeys/${long}`).set('authorization', bearer());
      expect(tooLong.status).toBe(414);
      expectEnvelope(tooLong, 'URI_TOO_LONG');
      expect(JSON.stringify(tooLong.body)).not.toContain(long);

      const badUrl = await request(t.http).get('/v1.0/accesskeys/%E0%A4%A').set('authorization', bearer());
      expect(badUrl.status).toBe(400);
      expectEnvelope(badUrl, 'INVALID_URL');
      expect(JSON.stringify(badUrl.body)).not.toContain('%E0');

      const duplicate = await raw(port, [
        'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
          'Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
      ]);
      expectRawEnvelope(duplicate, 400, 'INVALID_REQUEST');
      const huge = await raw(port, [
        `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
      ]);
      expectRawEnvelope(huge, 431, 'HEADERS_TOO_LARGE');
      expect(huge.body).not.toContain('bbbb');
    });
  });

  describe('a secret superseded by a roll, in its grace period', () => {
    it('reads and makes ordinary calls, but cannot roll, delete or otherwise manage keys', async () => {
      const owner = await insertCustomer(t.ds, { username: `k-${randomUUID().slice(0, 8)}` });
      const { key, token: old } = await insertAccessKey(t.ds, owner.id);
      const rolled = await request(t.http)
        .post(`/v1.0/accesskeys/${key.id}/roll`)
        .set('authorization', `Bearer ${old}`)
        .send({ grace: 3600 })
        .expect(200);
      const current = rolled.body.token as string;
      const as = (token: string) => ({ authorization: `Bearer ${token}` });

      await request(t.http).get('/v1.0/accesskeys').set(as(old)).expect(200);
      await request(t.http).get(`/v1.0/accesskeys/${key.id}`).set(as(old)).expect(200);
      await request(t.http).get('/v1.0/customer').set(as(old)).expect(200);
      await request(t.http).put('/v1.0/customer').set(as(old)).send({ detail: 'still mine' }).expect(200);

      for (const req of [
        request(t.http).post(`/v1.0/accesskeys/${key.id}/roll`).send({ grace: 0 }),
        request(t.http).delete(`/v1.0/accesskeys/${key.id}`),
        request(t.http).put(`/v1.0/accesskeys/${key.id}`).send({ name: 'hijacked' }),
        request(t.http).post('/v1.0/accesskeys').send({ name: 'a key of my own' }),
      ]) {
        const res = await req.set(as(old));
        expect(res.status).toBe(403);
        expectEnvelope(res, 'SUPERSEDED_SECRET');
      }
      const row = await t.ds.getRepository(AccessKey).findOneByOrFail({ id: key.id });
      expect(row).toMatchObject({ name: key.name, tmDelete: null });
      expect(await t.ds.getRepository(AccessKey).countBy({ customerId: owner.id })).toBe(1);
      // The owner's new secret is untouched, and manages its key.
      await request(t.http)
        .put(`/v1.0/accesskeys/${key.id}`)
        .set(as(current))
        .send({ name: 'mine' })
        .expect(200);
    });
  });

  describe('Swagger UI', () => {
    it('keeps nothing typed into Authorize across reloads', async () => {
      const init = await request(t.http).get('/docs/swagger-ui-init.js').expect(200);
      expect(init.text).toMatch(/"persistAuthorization":\s*false/);
    });
  });

  describe('/metrics', () => {
    it('answers the METRICS_TOKEN bearer only, and tells no runtime version', async () => {
      const none = await request(t.http).get('/metrics').expect(401);
      expectEnvelope(none, 'AUTHENTICATION_REQUIRED');
      for (const authorization of [
        bearer(),
        `Bearer ${rootKey}`,
        `Bearer ${METRICS_TOKEN}x`,
        METRICS_TOKEN,
      ]) {
        const res = await request(t.http).get('/metrics').set('authorization', authorization).expect(401);
        expectEnvelope(res, 'INVALID_CREDENTIALS');
      }
      const res = await request(t.http)
        .get('/metrics')
        .set('authorization', `Bearer ${METRICS_TOKEN}`)
        .expect(200);
      expect(res.text).toMatch(/^process_cpu_seconds_total /m);
      expect(res.text).not.toContain('nodejs_version_info');
      expect(res.text).not.toContain(process.version);
    });
  });

  describe('access key bodies', () => {
    it('tell a number sent as a string that it must be an integer', async () => {
      for (const [path, field, value] of [
        ['/v1.0/accesskeys', 'expire', '86400'],
        ['/v1.0/accesskeys', 'expire', 86400.5],
      ] as const) {
        const res = await request(t.http)
          .post(path)
          .set('authorization', bearer())
          .send({ [field]: value })
          .expect(400);
        expect(res.body.error.details).toEqual([{ field, message: `${field} must be an integer number` }]);
      }
      const { key } = await insertAccessKey(t.ds, root.id);
      const res = await request(t.http)
        .post(`/v1.0/accesskeys/${key.id}/roll`)
        .set('authorization', bearer())
        .send({ grace: '0' })
        .expect(400);
      expect(res.body.error.details).toEqual([
        { field: 'grace', message: 'grace must be an integer number' },
      ]);
    });
  });

  describe('JWTs', () => {
    const rootClaims = () => ({ sub: root.id, gen: 0 });

    it('carry the public URL as issuer and audience, and are refused without them or with a critical header', async () => {
      const claims = jwt.decode(rootJwt) as jwt.JwtPayload;
      expect(claims).toMatchObject({ iss: TEST_PUBLIC_URL, aud: TEST_PUBLIC_URL });
      await request(t.http)
        .get('/v1.0/customer')
        .set('authorization', `Bearer ${sign(rootClaims())}`)
        .expect(200);
      for (const token of [
        sign(rootClaims(), { audience: 'https://another.example' }),
        sign(rootClaims(), { issuer: 'voipbin-auth' }),
        jwt.sign(rootClaims(), TEST_JWT_SECRET, {
          algorithm: 'HS256',
          issuer: TEST_PUBLIC_URL,
          expiresIn: 3600,
        }),
        sign(rootClaims(), {
          header: { alg: 'HS256', crit: ['x-vb-bind'], 'x-vb-bind': 1 } as jwt.JwtHeader,
        }),
        sign(rootClaims(), { header: { alg: 'HS256', crit: [] } as jwt.JwtHeader }),
      ]) {
        const res = await request(t.http)
          .get('/v1.0/customer')
          .set('authorization', `Bearer ${token}`)
          .expect(401);
        expectEnvelope(res, 'INVALID_CREDENTIALS');
      }
    });
  });
});

describe.each(DATABASES)('deployment settings on $name', (database) => {
  let url: string;
  beforeAll(async () => {
    url = await database.prepare('settings');
  });

  it('verify JWT_ISSUER on every token', () =>
    withApp(url, { JWT_ISSUER: 'https://auth.example.test' }, async (t) => {
      await truncate(t.ds);
      const alice = await insertCustomer(t.ds, { username: 'alice' });
      const token = await login(t.http, 'alice', PASSWORD);
      expect(jwt.decode(token)).toMatchObject({ iss: 'https://auth.example.test', aud: TEST_PUBLIC_URL });
      await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${token}`).expect(200);
      // Signed with the secret, for the public URL as issuer: not this deployment's issuer.
      const foreign = sign({ sub: alice.id, gen: 0 });
      await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${foreign}`).expect(401);
    }));

  it('send HSTS only over TLS: behind a trusted proxy that says https, not over plain HTTP', async () => {
    await withApp(url, { TRUST_PROXY: 'true' }, async (t) => {
      const plain = await request(t.http).get('/health').expect(200);
      expect(plain.headers['strict-transport-security']).toBeUndefined();
      const forwardedHttp = await request(t.http).get('/health').set('x-forwarded-proto', 'http').expect(200);
      expect(forwardedHttp.headers['strict-transport-security']).toBeUndefined();
      for (const path of ['/health', '/v1.0/customer', '/no/such/route']) {
        const tls = await request(t.http).get(path).set('x-forwarded-proto', 'https');
        expect([path, tls.headers['strict-transport-security']]).toEqual([
          path,
          'max-age=31536000; includeSubDomains',
        ]);
      }
    });
    await withApp(url, { TRUST_PROXY: 'false' }, async (t) => {
      const res = await request(t.http).get('/health').set('x-forwarded-proto', 'https').expect(200);
      expect(res.headers['strict-transport-security']).toBeUndefined();
    });
  });

  it('turn /metrics off without METRICS_TOKEN: 403 METRICS_DISABLED, whatever the credential', () =>
    withApp(url, { METRICS_TOKEN: '' }, async (t) => {
      for (const authorization of [undefined, `Bearer ${METRICS_TOKEN}`, 'Bearer ']) {
        const req = request(t.http).get('/metrics');
        const res = await (authorization === undefined ? req : req.set('authorization', authorization));
        expect(res.status).toBe(403);
        expectEnvelope(res, 'METRICS_DISABLED');
      }
    }));

  it('warn in /ready while AUTH_CACHE_TTL is on without REDIS_URL, and not otherwise', async () => {
    await withApp(url, { AUTH_CACHE_TTL: '10' }, async (t) => {
      const res = await request(t.http).get('/ready').expect(200);
      expect(res.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
      expect(res.body.warnings).toEqual([expect.stringMatching(/AUTH_CACHE_TTL.*REDIS_URL/)]);
    });
    await withApp(url, { AUTH_CACHE_TTL: '0' }, async (t) => {
      const res = await request(t.http).get('/ready').expect(200);
      expect(res.body.warnings).toBeUndefined();
    });
    if (process.env.TEST_REDIS_URL) {
      const redis = {
        AUTH_CACHE_TTL: '10',
        REDIS_URL: process.env.TEST_REDIS_URL,
        REDIS_KEY_PREFIX: `spec-${randomUUID()}:`,
      };
      await withApp(url, redis, async (t) => {
        const res = await request(t.http).get('/ready').expect(200);
        expect(res.body.warnings).toBeUndefined();
      });
    }
  });
});

describe('the built service started with AUTH_CACHE_TTL and no REDIS_URL', () => {
  let service: ServiceProcess | undefined;
  afterAll(() => service?.stop());

  it('warns at start, naming both variables', async () => {
    service = await ServiceProcess.start({ AUTH_CACHE_TTL: '10' });
    const warned = async () =>
      service!
        .logLines()
        .some((line) => line.level === 40 && /AUTH_CACHE_TTL=10 without REDIS_URL/.test(String(line.msg)));
    for (let i = 0; i < 50 && !(await warned()); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await warned()).toBe(true);
  });
});
