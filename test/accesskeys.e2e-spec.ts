import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import request from 'supertest';
import { AccessKey } from '../src/accesskeys/access-key.entity.js';
import { isWellFormedAccessKeyToken } from '../src/accesskeys/access-key-token.js';
import { Customer, Permission } from '../src/customers/customer.entity.js';
import { login, startApp, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { insertAccessKey, insertCustomer, PASSWORD, truncate } from './support/factories.js';

const KEY_FIELDS = [
  'id',
  'customer_id',
  'name',
  'detail',
  'token_prefix',
  'tm_expire',
  'tm_create',
  'tm_update',
  'tm_delete',
  'tm_last_used',
  'scopes',
  'allowed_cidrs',
  'quarantined',
  'leak_url',
  'tm_leaked',
  'tm_disabled',
];
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe.each(DATABASES)('/v1.0/accesskeys on $name', (database) => {
  let t: TestApp;
  let alice: Customer;
  let auth: string;

  beforeAll(async () => {
    t = await startApp(await database.prepare('accesskeys'));
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncate(t.ds);
    alice = await insertCustomer(t.ds, { username: 'alice' });
    auth = `Bearer ${await login(t.http, 'alice', PASSWORD)}`;
  });

  const create = (body: object = {}) =>
    request(t.http).post('/v1.0/accesskeys').set('authorization', auth).send(body);
  const rawRow = async (id: string) =>
    (await t.ds.query(`SELECT * FROM access_keys WHERE id = ?`, [id]))[0] as Record<string, unknown>;

  describe('POST', () => {
    it('creates a key and shows its token once, in the documented shape', async () => {
      const res = await create({ name: 'reporting', detail: 'nightly export', expire: 86400 }).expect(200);
      expect(Object.keys(res.body)).toEqual([...KEY_FIELDS.slice(0, 4), 'token', ...KEY_FIELDS.slice(4)]);
      const key = res.body;
      expect(key).toMatchObject({
        customer_id: alice.id,
        name: 'reporting',
        detail: 'nightly export',
        tm_update: null,
        tm_delete: null,
        tm_last_used: null,
      });
      expect(key.token).toMatch(/^vb_[A-Za-z0-9_-]{32}[0-9A-Za-z]{6}$/);
      expect(isWellFormedAccessKeyToken(key.token)).toBe(true);
      expect(key.token_prefix).toBe(key.token.slice(0, 11));
      expect(key.tm_create).toMatch(ISO);
      expect(Date.parse(key.tm_expire) - Date.parse(key.tm_create)).toBe(86400_000);

      const row = await rawRow(key.id);
      expect(row.token_hash).toBe(createHash('sha256').update(key.token).digest('hex'));
      expect(JSON.stringify(row)).not.toContain(key.token);
      expect(JSON.stringify(row)).not.toContain(key.token.slice(11));

      await request(t.http).get('/v1.0/customer').query({ accesskey: key.token }).expect(200);
    });

    it('defaults to an empty name and detail and a 365-day lifetime', async () => {
      for (const res of [
        await create().expect(200),
        await request(t.http).post('/v1.0/accesskeys').set('authorization', auth).expect(200),
      ]) {
        expect(res.body.name).toBe('');
        expect(res.body.detail).toBe('');
        expect(Date.parse(res.body.tm_expire) - Date.parse(res.body.tm_create)).toBe(31536000_000);
      }
    });

    it('accepts the longest lifetime and the longest fields', async () => {
      const res = await create({ name: 'n'.repeat(255), detail: 'd'.repeat(4096), expire: 315360000 }).expect(
        200,
      );
      const stored = await request(t.http)
        .get(`/v1.0/accesskeys/${res.body.id}`)
        .set('authorization', auth)
        .expect(200);
      expect(stored.body.name).toHaveLength(255);
      expect(stored.body.detail).toHaveLength(4096);
      expect(Date.parse(stored.body.tm_expire) - Date.parse(stored.body.tm_create)).toBe(315360000_000);
    });

    it.each([
      ['expire below one day', { expire: 86399 }, 'expire'],
      ['expire above ten years', { expire: 315360001 }, 'expire'],
      ['a fractional expire', { expire: 86400.5 }, 'expire'],
      ['expire as a string', { expire: '86400' }, 'expire'],
      ['a null expire', { expire: null }, 'expire'],
      ['a null name', { name: null }, 'name'],
      ['a name of 256 characters', { name: 'n'.repeat(256) }, 'name'],
      ['a detail of 4097 characters', { detail: 'd'.repeat(4097) }, 'detail'],
      ['a numeric name', { name: 7 }, 'name'],
      ['an unknown field', { token: 'vb_mine' }, 'token'],
    ])('answers 400 with details for %s, and creates nothing', async (_label, body, field) => {
      const res = await create(body).expect(400);
      expect(res.body.error).toMatchObject({ status: 'INVALID_ARGUMENT', reason: 'INVALID_ARGUMENT' });
      expect(res.body.error.details).toEqual([{ field, message: expect.any(String) }]);
      expect(await t.ds.getRepository(AccessKey).count()).toBe(0);
    });

    it('answers 400 for a body that is not an object', async () => {
      const res = await request(t.http)
        .post('/v1.0/accesskeys')
        .set('authorization', auth)
        .set('content-type', 'application/json')
        .send('[1,2]')
        .expect(400);
      expect(res.body.error.status).toBe('INVALID_ARGUMENT');
    });
  });

  describe('GET one, PUT, DELETE', () => {
    let key: AccessKey;
    let token: string;
    beforeEach(async () => {
      ({ key, token } = await insertAccessKey(t.ds, alice.id, { name: 'old', detail: 'kept' }));
    });

    it('gets a key without its token', async () => {
      const res = await request(t.http)
        .get(`/v1.0/accesskeys/${key.id}`)
        .set('authorization', auth)
        .expect(200);
      expect(Object.keys(res.body)).toEqual(KEY_FIELDS);
      expect(res.body).toMatchObject({ id: key.id, name: 'old', token_prefix: token.slice(0, 11) });
      expect(JSON.stringify(res.body)).not.toContain(token);
    });

    it('changes only the fields given and sets tm_update', async () => {
      const res = await request(t.http)
        .put(`/v1.0/accesskeys/${key.id}`)
        .set('authorization', auth)
        .send({ name: 'new' })
        .expect(200);
      expect(res.body).toMatchObject({ name: 'new', detail: 'kept', tm_delete: null });
      expect(res.body.tm_update).toMatch(ISO);
      expect(res.body.token).toBeUndefined();
      const row = await t.ds.getRepository(AccessKey).findOneByOrFail({ id: key.id });
      expect(row).toMatchObject({ name: 'new', detail: 'kept' });
      expect(row.tmUpdate?.toISOString()).toBe(res.body.tm_update);

      const detail = await request(t.http)
        .put(`/v1.0/accesskeys/${key.id}`)
        .set('authorization', auth)
        .send({ detail: '' })
        .expect(200);
      expect(detail.body).toMatchObject({ name: 'new', detail: '' });
    });

    it.each([
      ['an unknown field', { expire: 86400 }],
      ['a null name', { name: null }],
      ['a long detail', { detail: 'd'.repeat(4097) }],
    ])('refuses an update with %s and changes nothing', async (_label, body) => {
      await request(t.http)
        .put(`/v1.0/accesskeys/${key.id}`)
        .set('authorization', auth)
        .send(body)
        .expect(400);
      const row = await t.ds.getRepository(AccessKey).findOneByOrFail({ id: key.id });
      expect(row).toMatchObject({ name: 'old', detail: 'kept', tmUpdate: null });
    });

    it('soft-deletes a key, which stops authenticating at once', async () => {
      await request(t.http).get('/v1.0/customer').query({ accesskey: token }).expect(200);
      const res = await request(t.http)
        .delete(`/v1.0/accesskeys/${key.id}`)
        .set('authorization', auth)
        .expect(200);
      expect(res.body.id).toBe(key.id);
      expect(res.body.tm_delete).toMatch(ISO);
      expect(res.body.tm_update).toBe(res.body.tm_delete);
      expect(res.body.token).toBeUndefined();

      const row = await t.ds.getRepository(AccessKey).findOneByOrFail({ id: key.id });
      expect(row.tmDelete?.toISOString()).toBe(res.body.tm_delete);

      await request(t.http).get('/v1.0/customer').query({ accesskey: token }).expect(401);
      for (const req of [
        request(t.http).get(`/v1.0/accesskeys/${key.id}`),
        request(t.http).put(`/v1.0/accesskeys/${key.id}`).send({ name: 'x' }),
        request(t.http).delete(`/v1.0/accesskeys/${key.id}`),
      ]) {
        const again = await req.set('authorization', auth);
        expect(again.status).toBe(404);
        expect(again.body.error.reason).toBe('ACCESSKEY_NOT_FOUND');
      }
    });

    it("answers the same 404 for a missing key and for another customer's key, and touches neither", async () => {
      const bob = await insertCustomer(t.ds, { username: 'bob' });
      const bobs = await insertAccessKey(t.ds, bob.id, { name: 'bobs' });
      for (const id of [randomUUID(), bobs.key.id]) {
        for (const req of [
          request(t.http).get(`/v1.0/accesskeys/${id}`),
          request(t.http).put(`/v1.0/accesskeys/${id}`).send({ name: 'mine now' }),
          request(t.http).delete(`/v1.0/accesskeys/${id}`),
        ]) {
          const res = await req.set('authorization', auth);
          expect(res.status).toBe(404);
          expect(res.body.error).toMatchObject({ status: 'NOT_FOUND', reason: 'ACCESSKEY_NOT_FOUND' });
        }
      }
      const row = await t.ds.getRepository(AccessKey).findOneByOrFail({ id: bobs.key.id });
      expect(row).toMatchObject({ name: 'bobs', tmDelete: null, tmUpdate: null });
      await request(t.http).get('/v1.0/customer').query({ accesskey: bobs.token }).expect(200);

      const list = await request(t.http).get('/v1.0/accesskeys').set('authorization', auth).expect(200);
      expect(list.body.result.map((k: { id: string }) => k.id)).toEqual([key.id]);
    });

    it.each(['abc', '123', `${randomUUID()}x`])('answers 400 INVALID_ID for the id %s', async (id) => {
      for (const req of [
        request(t.http).get(`/v1.0/accesskeys/${id}`),
        request(t.http).put(`/v1.0/accesskeys/${id}`).send({ name: 'x' }),
        request(t.http).delete(`/v1.0/accesskeys/${id}`),
      ]) {
        const res = await req.set('authorization', auth);
        expect(res.status).toBe(400);
        expect(res.body.error.reason).toBe('INVALID_ID');
      }
    });
  });

  describe('GET list', () => {
    const list = (query: Record<string, unknown> = {}) =>
      request(t.http).get('/v1.0/accesskeys').set('authorization', auth).query(query);

    it('lists newest first, hides deleted keys, shows expired ones, never shows tokens', async () => {
      const base = Date.now() - 60_000;
      const old = await insertAccessKey(t.ds, alice.id, { tmCreate: new Date(base) });
      const expired = await insertAccessKey(t.ds, alice.id, {
        tmCreate: new Date(base + 1000),
        tmExpire: new Date(base + 2000),
      });
      await insertAccessKey(t.ds, alice.id, { tmCreate: new Date(base + 2000), tmDelete: new Date() });
      const newest = await insertAccessKey(t.ds, alice.id, { tmCreate: new Date(base + 3000) });
      await insertAccessKey(t.ds, (await insertCustomer(t.ds)).id);

      const res = await list().expect(200);
      expect(Object.keys(res.body)).toEqual(['result', 'next_page_token']);
      expect(res.body.result.map((k: { id: string }) => k.id)).toEqual([
        newest.key.id,
        expired.key.id,
        old.key.id,
      ]);
      // As in VoIPBIN, the last page with keys leads on, to an empty one that ends the list.
      expect(res.body.next_page_token).not.toBe('');
      const after = await list({ page_token: res.body.next_page_token }).expect(200);
      expect(after.body).toEqual({ result: [], next_page_token: '' });
      for (const k of res.body.result) expect(Object.keys(k)).toEqual(KEY_FIELDS);
      for (const { token } of [old, expired, newest]) expect(JSON.stringify(res.body)).not.toContain(token);
    });

    it('walks many pages of keys created in the same millisecond without skipping or repeating one', async () => {
      const same = new Date(Date.now() - 5000);
      const ids: string[] = [];
      for (let i = 0; i < 23; i++)
        ids.push((await insertAccessKey(t.ds, alice.id, { tmCreate: same })).key.id);
      for (let i = 0; i < 4; i++) {
        ids.push(
          (await insertAccessKey(t.ds, alice.id, { tmCreate: new Date(same.getTime() + 1 + i) })).key.id,
        );
      }
      // Keys created while the walk goes on must not disturb it either.
      const seen: string[] = [];
      let pageToken = '';
      let pages = 0;
      do {
        const res = await list({ page_size: 4, ...(pageToken ? { page_token: pageToken } : {}) }).expect(200);
        expect(res.body.result.length).toBeLessThanOrEqual(4);
        seen.push(...res.body.result.map((k: { id: string }) => k.id));
        pageToken = res.body.next_page_token;
        if (pages++ === 2) await insertAccessKey(t.ds, alice.id);
      } while (pageToken !== '');
      // Seven pages of keys, then the empty one that ends the list.
      expect(pages).toBe(8);
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual([...ids].sort());
      const times = await t.ds.getRepository(AccessKey).findBy({ customerId: alice.id });
      const created = new Map(times.map((k) => [k.id, k.tmCreate.getTime()]));
      const order = seen.map((id) => created.get(id)!);
      expect(order).toEqual([...order].sort((a, b) => b - a));
    });

    it('clamps page_size to 100 and defaults to 100', async () => {
      const keys = Array.from({ length: 105 }, (_, i) => ({ tmCreate: new Date(Date.now() - i * 10) }));
      for (const overrides of keys) await insertAccessKey(t.ds, alice.id, overrides);
      const big = await list({ page_size: 1000 }).expect(200);
      expect(big.body.result).toHaveLength(100);
      expect(big.body.next_page_token).not.toBe('');
      const rest = await list({ page_token: big.body.next_page_token }).expect(200);
      expect(rest.body.result).toHaveLength(5);
      const end = await list({ page_token: rest.body.next_page_token }).expect(200);
      expect(end.body).toEqual({ result: [], next_page_token: '' });
      expect((await list().expect(200)).body.result).toHaveLength(100);
    });

    it.each([
      ['page_size', '0'],
      ['page_size', '-1'],
      ['page_size', '1.5'],
      ['page_size', 'ten'],
      ['page_token', 'not-a-cursor'],
      ['page_token', Buffer.from('[1,"x"]').toString('base64url')],
      ['unknown', '1'],
    ])('answers 400 for %s=%s', async (field, value) => {
      const res = await list({ [field]: value }).expect(400);
      expect(res.body.error.status).toBe('INVALID_ARGUMENT');
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual([field]);
    });
  });

  describe('who may call', () => {
    it('answers 401 on every route without a credential', async () => {
      const id = randomUUID();
      for (const req of [
        request(t.http).post('/v1.0/accesskeys').send({}),
        request(t.http).get('/v1.0/accesskeys'),
        request(t.http).get(`/v1.0/accesskeys/${id}`),
        request(t.http).put(`/v1.0/accesskeys/${id}`).send({}),
        request(t.http).delete(`/v1.0/accesskeys/${id}`),
      ]) {
        const res = await req;
        expect(res.status).toBe(401);
        expect(res.body.error.reason).toBe('AUTHENTICATION_REQUIRED');
      }
    });

    it('refuses a manager without the admin bit with 403 on every route', async () => {
      const manager = await insertCustomer(t.ds, {
        username: 'manager',
        permission: Permission.CustomerManager,
      });
      const { key } = await insertAccessKey(t.ds, manager.id);
      const token = await login(t.http, 'manager', PASSWORD);
      for (const req of [
        request(t.http).post('/v1.0/accesskeys').send({}),
        request(t.http).get('/v1.0/accesskeys'),
        request(t.http).get(`/v1.0/accesskeys/${key.id}`),
        request(t.http).put(`/v1.0/accesskeys/${key.id}`).send({ name: 'x' }),
        request(t.http).delete(`/v1.0/accesskeys/${key.id}`),
      ]) {
        const res = await req.set('authorization', `Bearer ${token}`);
        expect(res.status).toBe(403);
        expect(res.body.error).toMatchObject({ status: 'PERMISSION_DENIED', reason: 'PERMISSION_DENIED' });
        expect(res.body.error.message).toMatch(
          /^This needs accesskeys:(read|write), which only a customer admin \(permission 32\) or super admin \(permission 1\) has/,
        );
      }
      expect(await t.ds.getRepository(AccessKey).countBy({ customerId: manager.id })).toBe(1);
      await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${token}`).expect(200);
    });

    it("lets a super admin and an admin's key manage their own keys, and never a manager's key", async () => {
      const root = await insertCustomer(t.ds, { username: 'root', permission: Permission.ProjectSuperAdmin });
      const rootToken = await login(t.http, 'root', PASSWORD);
      const created = await request(t.http)
        .post('/v1.0/accesskeys')
        .set('authorization', `Bearer ${rootToken}`)
        .send({ name: 'root key' })
        .expect(200);
      expect(created.body.customer_id).toBe(root.id);

      const manager = await insertCustomer(t.ds, {
        username: 'manager',
        permission: Permission.CustomerManager,
      });
      const { key, token } = await insertAccessKey(t.ds, manager.id);
      // What the key may do is bounded by what its customer may do now: a manager manages no keys.
      const refused = await request(t.http).get('/v1.0/accesskeys').query({ accesskey: token }).expect(403);
      expect(refused.body.error.reason).toBe('PERMISSION_DENIED');
      await request(t.http)
        .put(`/v1.0/customers/${manager.id}`)
        .set('authorization', `Bearer ${rootToken}`)
        .send({ permission: Permission.CustomerAdmin })
        .expect(200);
      const res = await request(t.http).get('/v1.0/accesskeys').query({ accesskey: token }).expect(200);
      expect(res.body.result.map((k: { id: string }) => k.id)).toEqual([key.id]);
    });
  });
});
