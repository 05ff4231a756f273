import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import request from 'supertest';
import { RouteScopes } from '../src/auth/route-scopes.js';
import { Customer, Permission } from '../src/customers/customer.entity.js';
import { RESOURCES } from '../src/common/scopes.js';
import { login, startApp, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { insertAccessKey, insertCustomer, PASSWORD, truncate } from './support/factories.js';

const DAY = 86400;

describe.each(DATABASES)('scoped access keys on $name', (database) => {
  let t: TestApp;
  let alice: Customer;
  let jwt: string;

  beforeAll(async () => {
    t = await startApp(await database.prepare('scopes'));
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncate(t.ds);
    alice = await insertCustomer(t.ds, { username: 'alice', permission: Permission.CustomerAdmin });
    jwt = `Bearer ${await login(t.http, 'alice', PASSWORD)}`;
  });

  /** A key made through the API by `caller`, with these fields. */
  const mint = (caller: string, body: object) =>
    request(t.http).post('/v1.0/accesskeys').set('authorization', caller).send(body);
  const introspect = async (token: string) => {
    const root = await insertCustomer(t.ds, { permission: Permission.ProjectSuperAdmin });
    const rootJwt = `Bearer ${await login(t.http, root.username, PASSWORD)}`;
    const res = await request(t.http).post('/auth/introspect').set('authorization', rootJwt).send({ token });
    return res.body as { active: boolean; scope?: string; exp?: number; allowed_cidrs?: string[] };
  };

  it('declares a scope on every route that is not public', () => {
    const routes = t.app.get(RouteScopes).all();
    expect(routes.length).toBeGreaterThan(15);
    expect(routes.filter((route) => !route.public && route.scope === undefined)).toEqual([]);
  });

  it('lists the catalogue publicly: this service and the VoIPBIN API', async () => {
    const res = await request(t.http).get('/v1.0/scopes').expect(200);
    const names = (res.body.resources as { resource: string }[]).map((r) => r.resource);
    expect(names).toEqual(RESOURCES);
    expect(names).toEqual(expect.arrayContaining(['accesskeys', 'customer', 'calls', 'messages', 'numbers']));
    expect(res.body.resources).toContainEqual({
      resource: 'customers',
      scopes: ['customers:read', 'customers:write'],
      super_admin: true,
    });
  });

  it('stores what it was given in its shortest form, shows it on every answer, and refuses an unknown scope', async () => {
    const created = await mint(jwt, { scopes: ['calls:read', 'calls:write', 'numbers:read'] }).expect(200);
    expect(created.body.scopes).toEqual(['calls:write', 'numbers:read']);
    const shown = await request(t.http).get(`/v1.0/accesskeys/${created.body.id}`).set('authorization', jwt);
    expect(shown.body).toMatchObject({ scopes: ['calls:write', 'numbers:read'], allowed_cidrs: [] });
    const listed = await request(t.http).get('/v1.0/accesskeys').set('authorization', jwt);
    expect(listed.body.result[0].scopes).toEqual(['calls:write', 'numbers:read']);

    for (const scopes of [['calls:admin'], ['nothing:read'], 'calls:read', [5]]) {
      const res = await mint(jwt, { scopes }).expect(400);
      expect(res.body.error.details[0].field).toBe('scopes');
    }
    // Without scopes, as a VoIPBIN client creates one: its customer's admin, as before.
    expect((await mint(jwt, { name: 'voipbin' }).expect(200)).body.scopes).toEqual(['*:write']);
  });

  it('lets a read-only key read every route it reads, and refuses every write with INSUFFICIENT_SCOPE', async () => {
    const { token } = await insertAccessKey(t.ds, alice.id, { scopes: ['*:read'] });
    const other = (await insertAccessKey(t.ds, alice.id, { tmExpire: new Date(Date.now() + 3600_000) })).key;
    const key = `Bearer ${token}`;
    for (const path of ['/v1.0/accesskeys', `/v1.0/accesskeys/${other.id}`, '/v1.0/customer']) {
      expect([path, (await request(t.http).get(path).set('authorization', key)).status]).toEqual([path, 200]);
    }
    const writes = [
      request(t.http).post('/v1.0/accesskeys').send({}),
      request(t.http).put(`/v1.0/accesskeys/${other.id}`).send({ name: 'x' }),
      request(t.http).delete(`/v1.0/accesskeys/${other.id}`),
      request(t.http).post(`/v1.0/accesskeys/${other.id}/roll`).send({}),
      request(t.http).put('/v1.0/customer').send({ name: 'x' }),
    ];
    for (const write of writes) {
      const res = await write.set('authorization', key);
      expect([res.status, res.body.error.reason]).toEqual([403, 'INSUFFICIENT_SCOPE']);
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer error="insufficient_scope", scope="[a-z]+:write"$/,
      );
      expect(res.body.error.details).toEqual([{ field: 'scope', message: expect.stringMatching(/:write$/) }]);
    }
    // The password is for login JWTs only, whatever the key's scopes.
    const password = await request(t.http)
      .put('/v1.0/customer/password')
      .set('authorization', key)
      .send({ old_password: PASSWORD, new_password: 'a new password' });
    expect([password.status, password.body.error.reason]).toEqual([403, 'PERMISSION_DENIED']);
    expect(password.body.error.message).toBe(
      'Only a login JWT (POST /auth/login) may do this; an access key may not.',
    );
  });

  it('explains a refusal to the caller', async () => {
    const { token } = await insertAccessKey(t.ds, alice.id, { scopes: ['*:read'] });
    const explain = (credential: string, method: string, path: string) =>
      request(t.http)
        .post('/v1.0/auth/explain')
        .set('authorization', credential)
        .send({ method, path })
        .expect(200);
    expect((await explain(`Bearer ${token}`, 'POST', '/v1.0/accesskeys')).body).toEqual({
      allowed: false,
      scope: 'accesskeys:write',
      missing_scope: 'accesskeys:write',
      reason: "the access key's scopes do not include accesskeys:write",
    });
    expect(
      (await explain(`Bearer ${token}`, 'GET', '/v1.0/accesskeys/3f0c9a5e-8b7d-4c21-a6e0-f4b2d9c8e7a1')).body,
    ).toMatchObject({
      allowed: true,
      scope: 'accesskeys:read',
    });
    // The VoIPBIN API's routes, by their resource.
    expect((await explain(`Bearer ${token}`, 'POST', '/v1.0/calls')).body).toMatchObject({
      allowed: false,
      missing_scope: 'calls:write',
    });
    expect((await explain(jwt, 'PUT', '/v1.0/customer/password')).body).toMatchObject({ allowed: true });
    expect((await explain(`Bearer ${token}`, 'PUT', '/v1.0/customer/password')).body).toMatchObject({
      allowed: false,
    });
    expect((await explain(jwt, 'GET', '/v1.0/customers')).body).toMatchObject({
      allowed: false,
      reason: "the customer's permission does not include customers:read",
    });
    expect((await explain(jwt, 'GET', '/health')).body).toMatchObject({ allowed: true, scope: null });
    const unknown = await request(t.http)
      .post('/v1.0/auth/explain')
      .set('authorization', jwt)
      .send({ method: 'GET', path: '/v2/nothing' })
      .expect(400);
    expect(unknown.body.error.details[0].field).toBe('path');
  });

  it("never mints a key beyond its maker: more scopes, a later expiry or wider networks are refused, and the defaults are the maker's own", async () => {
    const root = await insertAccessKey(t.ds, alice.id, {
      scopes: ['accesskeys:write', 'calls:read'],
      allowedCidrs: ['127.0.0.0/8', '::1/128'],
      tmExpire: new Date(Date.now() + 10 * DAY * 1000),
    });
    const maker = `Bearer ${root.token}`;
    const wider = await mint(maker, { scopes: ['calls:write'] }).expect(403);
    expect([wider.body.error.reason, wider.body.error.details]).toEqual([
      'INSUFFICIENT_SCOPE',
      [{ field: 'scopes', message: 'calls:write' }],
    ]);
    expect((await mint(maker, { expire: 30 * DAY }).expect(400)).body.error.details[0].field).toBe('expire');
    expect((await mint(maker, { allowed_cidrs: [] }).expect(400)).body.error.details[0].field).toBe(
      'allowed_cidrs',
    );
    expect(
      (await mint(maker, { allowed_cidrs: ['10.0.0.0/8'] }).expect(400)).body.error.details[0].field,
    ).toBe('allowed_cidrs');

    const child = (await mint(maker, {}).expect(200)).body;
    expect(child.scopes).toEqual(['accesskeys:write', 'calls:read']);
    expect(child.allowed_cidrs).toEqual(['127.0.0.0/8', '::1/128']);
    expect(child.tm_expire).toBe(root.key.tmExpire.toISOString());
    const narrower = (
      await mint(maker, { scopes: ['calls:read'], allowed_cidrs: ['127.0.0.1/32'], expire: DAY }).expect(200)
    ).body;
    expect(narrower).toMatchObject({ scopes: ['calls:read'], allowed_cidrs: ['127.0.0.1/32'] });

    // A super admin's key gets its powers only by name, and only from a caller that holds them.
    const superAdmin = await insertCustomer(t.ds, {
      permission: Permission.ProjectSuperAdmin | Permission.CustomerAdmin,
    });
    const superJwt = `Bearer ${await login(t.http, superAdmin.username, PASSWORD)}`;
    const plain = (await mint(superJwt, {}).expect(200)).body;
    const customers = await request(t.http)
      .get('/v1.0/customers')
      .set('authorization', `Bearer ${plain.token}`);
    expect([customers.status, customers.body.error.reason]).toEqual([403, 'INSUFFICIENT_SCOPE']);
    const powered = (await mint(superJwt, { scopes: ['customers:read'] }).expect(200)).body;
    await request(t.http).get('/v1.0/customers').set('authorization', `Bearer ${powered.token}`).expect(200);
    expect((await mint(jwt, { scopes: ['customers:read'] }).expect(403)).body.error.reason).toBe(
      'INSUFFICIENT_SCOPE',
    );
  });

  it('keeps every key of any chain of mints by keys within the root: scopes and expiry', async () => {
    const scope = fc.constantFrom(
      'accesskeys:write',
      'accesskeys:read',
      'calls:read',
      'calls:write',
      'numbers:read',
      '*:read',
    );
    const step = fc.record({
      scopes: fc.option(fc.uniqueArray(scope, { maxLength: 3 }), { nil: undefined }),
      expire: fc.option(fc.constantFrom(DAY, 5 * DAY, 20 * DAY), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 4 }), async (steps) => {
        const root = await mint(jwt, { scopes: ['accesskeys:write', 'calls:read'], expire: 10 * DAY }).expect(
          200,
        );
        const rootScope = (await introspect(root.body.token)).scope!.split(' ');
        let parent = root.body as { token: string; tm_expire: string };
        for (const ask of steps) {
          const res = await mint(`Bearer ${parent.token}`, ask);
          if (res.status !== 200) {
            expect([400, 403]).toContain(res.status);
            continue;
          }
          const child = await introspect(res.body.token);
          expect(child.active).toBe(true);
          // Each scope it holds is one the root holds (or implies).
          for (const held of child.scope!.split(' ').filter(Boolean)) {
            const [resource, level] = held.split(':');
            expect(rootScope.some((r) => r === held || (level === 'read' && r === `${resource}:write`))).toBe(
              true,
            );
          }
          expect(Date.parse(res.body.tm_expire)).toBeLessThanOrEqual(Date.parse(parent.tm_expire));
          if (res.body.scopes.includes('accesskeys:write')) parent = res.body;
        }
      }),
      { numRuns: 15 },
    );
  }, 120_000);

  it('lets a key manage no key broader than itself', async () => {
    const narrow = await insertAccessKey(t.ds, alice.id, {
      scopes: ['accesskeys:write'],
      tmExpire: new Date(Date.now() + 5 * DAY * 1000),
    });
    const broader = await insertAccessKey(t.ds, alice.id, { tmExpire: new Date(Date.now() + DAY * 1000) });
    const longer = await insertAccessKey(t.ds, alice.id, {
      scopes: ['accesskeys:read'],
      tmExpire: new Date(Date.now() + 9 * DAY * 1000),
    });
    const within = await insertAccessKey(t.ds, alice.id, {
      scopes: ['accesskeys:read'],
      tmExpire: new Date(Date.now() + DAY * 1000),
    });
    const as = `Bearer ${narrow.token}`;
    for (const { key } of [broader, longer]) {
      for (const req of [
        request(t.http).put(`/v1.0/accesskeys/${key.id}`).send({ name: 'x' }),
        request(t.http).post(`/v1.0/accesskeys/${key.id}/roll`).send({ grace: 0 }),
        request(t.http).delete(`/v1.0/accesskeys/${key.id}`),
      ]) {
        const res = await req.set('authorization', as);
        expect([res.status, res.body.error.reason]).toEqual([403, 'ACCESSKEY_BROADER']);
      }
    }
    await request(t.http)
      .put(`/v1.0/accesskeys/${within.key.id}`)
      .set('authorization', as)
      .send({ name: 'x' })
      .expect(200);
    await request(t.http).delete(`/v1.0/accesskeys/${within.key.id}`).set('authorization', as).expect(200);
    // The customer itself manages them all.
    await request(t.http).delete(`/v1.0/accesskeys/${broader.key.id}`).set('authorization', jwt).expect(200);
  });

  it('is refused from outside its networks, and takes the client address as TRUST_PROXY says', async () => {
    const elsewhere = await insertAccessKey(t.ds, alice.id, { allowedCidrs: ['203.0.113.0/24'] });
    const loopback = await insertAccessKey(t.ds, alice.id, { allowedCidrs: ['127.0.0.0/8', '::1/128'] });
    const res = await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${elsewhere.token}`);
    expect([res.status, res.body.error.reason]).toEqual([401, 'INVALID_CREDENTIALS']);
    await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${loopback.token}`).expect(200);
    // Without TRUST_PROXY, X-Forwarded-For is nobody's word.
    await request(t.http)
      .get('/v1.0/customer')
      .set('authorization', `Bearer ${elsewhere.token}`)
      .set('x-forwarded-for', '203.0.113.9')
      .expect(401);
  });
});

describe.each(DATABASES)('scoped access keys behind a trusted proxy on $name', (database) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(await database.prepare('scopes_proxy'), { TRUST_PROXY: '127.0.0.1' });
  });
  afterAll(() => t.close());

  it("takes the client address from the trusted proxy's X-Forwarded-For", async () => {
    const alice = await insertCustomer(t.ds);
    const { token } = await insertAccessKey(t.ds, alice.id, { allowedCidrs: ['203.0.113.0/24'] });
    const from = (address: string) =>
      request(t.http)
        .get('/v1.0/customer')
        .set('authorization', `Bearer ${token}`)
        .set('x-forwarded-for', address);
    await from('203.0.113.9').expect(200);
    await from('198.51.100.9').expect(401);
  });
});
