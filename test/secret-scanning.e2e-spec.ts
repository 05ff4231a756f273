import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { generateKeyPairSync, hash, sign } from 'node:crypto';
import request from 'supertest';
import { generateAccessKeyToken } from '../src/accesskeys/access-key-token.js';
import { AccessKeyRepository } from '../src/accesskeys/access-key.repository.js';
import { Permission } from '../src/customers/customer.entity.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME, login, startApp, type TestApp } from './support/app.js';
import { auditEvents } from './support/audit.js';
import { DATABASES } from './support/databases.js';
import { insertAccessKey, insertCustomer, PASSWORD } from './support/factories.js';
import { call, startInstances, type Instances } from './support/instances.js';

/** A key pair of the test's own, published as GitHub publishes its keys. */
const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const KEY_ID = 'test-key-1';
const PUBLIC_KEYS = JSON.stringify({
  public_keys: [
    { key_identifier: KEY_ID, key: pair.publicKey.export({ type: 'spki', format: 'pem' }), is_current: true },
  ],
});
const ENV = { SECRET_SCANNING_PUBLIC_KEYS: PUBLIC_KEYS };
const PATH = '/v1.0/secret-scanning/github';

const signed = (body: string, keyId = KEY_ID) => ({
  'content-type': 'application/json',
  'github-public-key-identifier': keyId,
  'github-public-key-signature': sign('sha256', Buffer.from(body), pair.privateKey).toString('base64'),
});
const reportOf = (tokens: string[], url = 'https://github.com/someone/repo/blob/abc/config.env') =>
  JSON.stringify(tokens.map((token) => ({ token, type: 'voipbin_access_key', url, source: 'content' })));
const sha256 = (token: string) => hash('sha256', token, 'hex');

describe.each(DATABASES)('POST /v1.0/secret-scanning/github on $name', (database) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(await database.prepare('secret_scanning'), ENV);
  });
  afterAll(() => t.close());

  const post = (body: string, headers: Record<string, string>) =>
    request(t.http).post(PATH).set(headers).send(body);
  const status = async (key: string, method: 'get' | 'put' = 'get') => {
    const req = request(t.http)[method]('/v1.0/customer').set('authorization', `Bearer ${key}`);
    return (await (method === 'put' ? req.send({ detail: 'x' }) : req)).status;
  };
  const policy = async (customerId: string, username: string, leak_action: string) => {
    const jwt = await login(t.http, username, PASSWORD);
    await request(t.http)
      .put('/v1.0/customer/key-policy')
      .set('authorization', `Bearer ${jwt}`)
      .send({ leak_action })
      .expect(200);
    return { customerId, jwt };
  };

  it('refuses a tampered body, an unknown key identifier and a missing signature with 401, changing nothing', async () => {
    const customer = await insertCustomer(t.ds);
    const { token } = await insertAccessKey(t.ds, customer.id);
    const body = reportOf([token]);
    const tampered = reportOf([token], 'https://example.com/elsewhere');
    for (const res of [
      await post(tampered, signed(body)),
      await post(body, signed(body, 'unknown-key')),
      await post(body, { 'content-type': 'application/json' }),
      await post(body, { ...signed(body), 'github-public-key-signature': 'bm90IGEgc2lnbmF0dXJl' }),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body.error.reason).toBe('INVALID_SIGNATURE');
    }
    expect(await status(token)).toBe(200);
    expect((await auditEvents(t.ds, customer.id)).filter((e) => e.action === 'accesskey.leaked')).toEqual([]);
  });

  it('revokes a reported live key by default, records where it was found, and answers in GitHub format', async () => {
    const customer = await insertCustomer(t.ds);
    const { key, token } = await insertAccessKey(t.ds, customer.id);
    const { token: other } = await insertAccessKey(t.ds, customer.id);
    const body = reportOf([token]);
    const res = await post(body, signed(body)).expect(200);
    expect(res.body).toEqual([
      { token_hash: sha256(token), token_type: 'voipbin_access_key', label: 'true_positive' },
    ]);
    expect(res.text).not.toContain(token);
    expect(await status(token)).toBe(401);
    expect(await status(other)).toBe(200);
    const [row] = await t.ds.query('SELECT tm_delete, tm_leaked, leak_url FROM access_keys WHERE id = ?', [
      key.id,
    ]);
    expect(row.tm_delete).not.toBeNull();
    expect(row.tm_leaked).not.toBeNull();
    expect(row.leak_url).toBe('https://github.com/someone/repo/blob/abc/config.env');
    const leaked = (await auditEvents(t.ds, customer.id)).filter((e) => e.action === 'accesskey.leaked');
    expect(leaked).toHaveLength(1);
    expect(leaked[0].target).toBe(`accesskey:${key.id}`);
    expect(JSON.parse(leaked[0].data)).toEqual({
      source: 'github',
      url: 'https://github.com/someone/repo/blob/abc/config.env',
      report_source: 'content',
      secret: 'current',
      leak_action: 'revoke',
    });
  });

  it('answers unknown and malformed tokens false_positive, looking up only the well-formed', async () => {
    const lookups = jest.spyOn(t.app.get(AccessKeyRepository), 'findCredential');
    try {
      const unknown = generateAccessKeyToken();
      const malformed = [
        'vb_not-a-key',
        `${unknown.slice(0, -1)}${unknown.endsWith('A') ? 'B' : 'A'}`,
        'ghp_x',
      ];
      const body = reportOf([unknown, ...malformed]);
      const res = await post(body, signed(body)).expect(200);
      expect(res.body).toEqual(
        [unknown, ...malformed].map((token) => ({
          token_hash: sha256(token),
          token_type: 'voipbin_access_key',
          label: 'false_positive',
        })),
      );
      expect(lookups).toHaveBeenCalledTimes(1);
      expect(lookups).toHaveBeenCalledWith(sha256(unknown));
    } finally {
      lookups.mockRestore();
    }
  });

  it('under notify changes nothing but records the report on the key and in the audit log', async () => {
    const customer = await insertCustomer(t.ds);
    await policy(customer.id, customer.username, 'notify');
    const { key, token } = await insertAccessKey(t.ds, customer.id);
    const body = reportOf([token]);
    expect((await post(body, signed(body)).expect(200)).body[0].label).toBe('true_positive');
    expect(await status(token, 'put')).toBe(200);
    const jwt = await login(t.http, customer.username, PASSWORD);
    const shown = await request(t.http)
      .get(`/v1.0/accesskeys/${key.id}`)
      .set('authorization', `Bearer ${jwt}`)
      .expect(200);
    expect(shown.body).toMatchObject({
      quarantined: false,
      leak_url: 'https://github.com/someone/repo/blob/abc/config.env',
      tm_leaked: expect.any(String),
      tm_delete: null,
    });
    const leaked = (await auditEvents(t.ds, customer.id)).filter((e) => e.action === 'accesskey.leaked');
    expect(JSON.parse(leaked[0].data)).toMatchObject({ leak_action: 'notify' });
  });

  it('under quarantine leaves the key its reads: writes are 403 KEY_QUARANTINED, introspection says so', async () => {
    const customer = await insertCustomer(t.ds);
    await policy(customer.id, customer.username, 'quarantine');
    const { key, token } = await insertAccessKey(t.ds, customer.id, { scopes: ['*:write'] });
    expect(await status(token, 'put')).toBe(200);
    const body = reportOf([token]);
    expect((await post(body, signed(body)).expect(200)).body[0].label).toBe('true_positive');
    expect(await status(token)).toBe(200);
    const auth = { authorization: `Bearer ${token}` };
    expect((await request(t.http).get('/v1.0/accesskeys').set(auth)).status).toBe(200);
    const refused = await request(t.http).put('/v1.0/customer').set(auth).send({ detail: 'x' }).expect(403);
    expect(refused.body.error.reason).toBe('KEY_QUARANTINED');
    const minted = await request(t.http).post('/v1.0/accesskeys').set(auth).send({}).expect(403);
    expect(minted.body.error.reason).toBe('KEY_QUARANTINED');

    const root = await insertCustomer(t.ds, { permission: Permission.ProjectSuperAdmin });
    const rootJwt = await login(t.http, root.username, PASSWORD);
    const seen = await request(t.http)
      .post('/auth/introspect')
      .set('authorization', `Bearer ${rootJwt}`)
      .send({ token })
      .expect(200);
    expect(seen.body).toMatchObject({ active: true, quarantined: true, scope: '*:read' });
    const [row] = await t.ds.query('SELECT quarantined, tm_delete FROM access_keys WHERE id = ?', [key.id]);
    expect(Boolean(Number(row.quarantined))).toBe(true);
    expect(row.tm_delete).toBeNull();
  });

  it('refuses a body that is not a list of reports, once signed', async () => {
    for (const body of ['{}', '[]', JSON.stringify([{ token: 1 }])]) {
      expect((await post(body, signed(body))).status).toBe(400);
    }
  });
});

// Two built services on one database and Redis: a revocation reaches the other one's cache.
for (const redisUrl of process.env.TEST_REDIS_URL ? [process.env.TEST_REDIS_URL] : []) {
  describe('a key reported through one instance, on the other', () => {
    let instances: Instances;
    let admin: string;
    beforeAll(async () => {
      instances = await startInstances(redisUrl, 'scanning', { ...ENV, AUTH_CACHE_TTL: '10' });
      const res = await call(instances.a, 'POST', '/auth/login', {
        body: { username: ADMIN_USERNAME, password: ADMIN_PASSWORD },
      });
      admin = res.body.token as string;
    }, 60_000);
    afterAll(() => instances?.stop());

    it('is refused within 100 ms under revoke', async () => {
      const created = await call(instances.a, 'POST', '/v1.0/accesskeys', {
        token: admin,
        body: { name: 'leaks' },
      });
      const key = created.body.token as string;
      // Cached on B (AUTH_CACHE_TTL=10).
      expect((await call(instances.b, 'GET', '/v1.0/customer', { token: key })).status).toBe(200);
      const body = reportOf([key]);
      const res = await fetch(`${instances.a.url}${PATH}`, { method: 'POST', headers: signed(body), body });
      expect(res.status).toBe(200);
      const reported = Date.now();
      let refusedAfter = Infinity;
      while (Date.now() - reported < 1000) {
        if ((await call(instances.b, 'GET', '/v1.0/customer', { token: key })).status === 401) {
          refusedAfter = Date.now() - reported;
          break;
        }
      }
      expect(refusedAfter).toBeLessThan(100);
    });
  });
}
