import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import request from 'supertest';
import { AccessKey } from '../src/accesskeys/access-key.entity.js';
import { AccessKeyRepository } from '../src/accesskeys/access-key.repository.js';
import { LastUsedRecorder } from '../src/accesskeys/last-used.recorder.js';
import { Customer, Permission } from '../src/customers/customer.entity.js';
import { CustomersService } from '../src/customers/customers.service.js';
import { FakeClock, login, startApp, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { insertAccessKey, insertCustomer, PASSWORD, truncate } from './support/factories.js';

const SUPER = Permission.ProjectSuperAdmin | Permission.CustomerAdmin;

describe.each(DATABASES)('the life of a credential on $name', (database) => {
  let t: TestApp;
  const clock = new FakeClock();
  let root: Customer;
  let rootAuth: string;

  beforeAll(async () => {
    t = await startApp(await database.prepare('lifecycle'), {}, clock);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await truncate(t.ds);
    root = await insertCustomer(t.ds, { username: 'root', permission: SUPER });
    rootAuth = `Bearer ${await login(t.http, 'root', PASSWORD)}`;
  });

  const bearer = (token: string) => `Bearer ${token}`;
  const me = (credential: string) => request(t.http).get('/v1.0/customer').set('authorization', credential);

  describe('customers, for a super admin', () => {
    it('lists live customers newest first over pages, with a stable cursor across equal times', async () => {
      const same = new Date(Date.now() - 10_000);
      const ids = [root.id];
      for (let i = 0; i < 11; i++) ids.push((await insertCustomer(t.ds, { tmCreate: same })).id);
      await insertCustomer(t.ds, { tmDelete: new Date(), live: null });
      const seen: string[] = [];
      let pageToken = '';
      do {
        const res = await request(t.http)
          .get('/v1.0/customers')
          .set('authorization', rootAuth)
          .query({ page_size: 5, ...(pageToken ? { page_token: pageToken } : {}) })
          .expect(200);
        expect(res.body.result.length).toBeLessThanOrEqual(5);
        seen.push(...res.body.result.map((c: { id: string }) => c.id));
        pageToken = res.body.next_page_token;
      } while (pageToken);
      expect(seen[0]).toBe(root.id);
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual([...ids].sort());
    });

    it('gets, updates (only the fields given) and resets the password of a customer', async () => {
      const bob = await insertCustomer(t.ds, { username: 'bob', name: 'Bob', detail: 'keep' });
      const bobToken = await login(t.http, 'bob', PASSWORD);
      const got = await request(t.http)
        .get(`/v1.0/customers/${bob.id}`)
        .set('authorization', rootAuth)
        .expect(200);
      expect(got.body).toMatchObject({ id: bob.id, username: 'bob', name: 'Bob' });
      expect(got.body.password_hash).toBeUndefined();

      const res = await request(t.http)
        .put(`/v1.0/customers/${bob.id}`)
        .set('authorization', rootAuth)
        .send({ permission: Permission.CustomerManager, password: 'a-new-password' })
        .expect(200);
      expect(res.body).toMatchObject({ name: 'Bob', detail: 'keep', permission: Permission.CustomerManager });
      expect(res.body.tm_update).not.toBeNull();
      await me(bearer(bobToken)).expect(401);
      await request(t.http).post('/auth/login').send({ username: 'bob', password: PASSWORD }).expect(401);
      const fresh = await login(t.http, 'bob', 'a-new-password');
      expect((await me(bearer(fresh)).expect(200)).body.permission).toBe(Permission.CustomerManager);
    });

    it('refuses to let a super admin delete or demote itself, so one always remains', async () => {
      const del = await request(t.http)
        .delete(`/v1.0/customers/${root.id}`)
        .set('authorization', rootAuth)
        .expect(409);
      expect(del.body.error).toMatchObject({ status: 'FAILED_PRECONDITION', reason: 'CANNOT_DELETE_SELF' });
      const demote = await request(t.http)
        .put(`/v1.0/customers/${root.id}`)
        .set('authorization', rootAuth)
        .send({ permission: Permission.CustomerAdmin })
        .expect(409);
      expect(demote.body.error.reason).toBe('CANNOT_DEMOTE_SELF');
      const { token: rootKey } = await insertAccessKey(t.ds, root.id, { scopes: ['customers:write'] });
      await request(t.http).delete(`/v1.0/customers/${root.id}`).query({ accesskey: rootKey }).expect(409);
      expect(await t.ds.getRepository(Customer).findOneByOrFail({ id: root.id })).toMatchObject({
        permission: SUPER,
        tmDelete: null,
      });
      await request(t.http)
        .put(`/v1.0/customers/${root.id}`)
        .set('authorization', rootAuth)
        .send({ name: 'still root', permission: SUPER })
        .expect(200);
    });

    it('deletes a customer: its JWT, its key and its login stop at once, its rows stay, its username is free', async () => {
      const bob = await insertCustomer(t.ds, { username: 'bob' });
      const bobToken = await login(t.http, 'bob', PASSWORD);
      const { key, token: bobKey } = await insertAccessKey(t.ds, bob.id);
      await me(bearer(bobToken)).expect(200);
      await me(bearer(bobKey)).expect(200);

      const res = await request(t.http)
        .delete(`/v1.0/customers/${bob.id}`)
        .set('authorization', rootAuth)
        .expect(200);
      expect(res.body.tm_delete).not.toBeNull();

      await me(bearer(bobToken)).expect(401);
      await request(t.http).get('/v1.0/accesskeys').query({ accesskey: bobKey }).expect(401);
      await request(t.http).post('/auth/login').send({ username: 'bob', password: PASSWORD }).expect(401);
      for (const path of [`/v1.0/customers/${bob.id}`]) {
        await request(t.http).get(path).set('authorization', rootAuth).expect(404);
        await request(t.http).delete(path).set('authorization', rootAuth).expect(404);
      }
      expect(await t.ds.getRepository(Customer).findOneByOrFail({ id: bob.id })).toMatchObject({
        live: null,
      });
      // The key's row stays too, deleted with its customer (no foreign key ties it to the customer).
      expect(await t.ds.getRepository(AccessKey).findOneByOrFail({ id: key.id })).toMatchObject({
        tmDelete: new Date(res.body.tm_delete),
      });

      const again = await request(t.http)
        .post('/v1.0/customers')
        .set('authorization', rootAuth)
        .send({ username: 'bob', password: 'new-bob-password' })
        .expect(200);
      expect(again.body.id).not.toBe(bob.id);
      await request(t.http)
        .post('/v1.0/customers')
        .set('authorization', rootAuth)
        .send({ username: 'bob', password: 'third-bob-password' })
        .expect(409);
      await login(t.http, 'bob', 'new-bob-password');
    });

    it('enforces live-username uniqueness in the database itself', async () => {
      await insertCustomer(t.ds, { username: 'carol', tmDelete: new Date(), live: null });
      await insertCustomer(t.ds, { username: 'carol', tmDelete: new Date(), live: null });
      await insertCustomer(t.ds, { username: 'carol' });
      await expect(insertCustomer(t.ds, { username: 'carol' })).rejects.toThrow();
    });

    it('is for super admins only, on every route', async () => {
      const admin = await insertCustomer(t.ds, { username: 'admin2', permission: Permission.CustomerAdmin });
      await insertCustomer(t.ds, { username: 'manager', permission: Permission.CustomerManager });
      const { token: adminKey } = await insertAccessKey(t.ds, admin.id);
      // A super admin's key has the super-admin powers only when it was given them by name.
      const { token: rootDefaultKey } = await insertAccessKey(t.ds, root.id);
      const { token: rootKey } = await insertAccessKey(t.ds, root.id, { scopes: ['customers:write'] });
      const routes = (id: string) => [
        request(t.http).get('/v1.0/customers'),
        request(t.http).get(`/v1.0/customers/${id}`),
        request(t.http).put(`/v1.0/customers/${id}`).send({ name: 'x' }),
        request(t.http).delete(`/v1.0/customers/${id}`),
      ];
      for (const credential of [
        bearer(await login(t.http, 'admin2', PASSWORD)),
        bearer(await login(t.http, 'manager', PASSWORD)),
        bearer(adminKey),
        bearer(rootDefaultKey),
      ]) {
        for (const req of routes(admin.id))
          expect((await req.set('authorization', credential)).status).toBe(403);
      }
      for (const req of routes(admin.id)) expect((await req).status).toBe(401);
      expect((await routes(admin.id)[1].set('authorization', bearer(rootKey))).status).toBe(200);
      for (const req of routes(randomUUID()).slice(1))
        expect((await req.set('authorization', rootAuth)).status).toBe(404);
      for (const req of routes('nope').slice(1))
        expect((await req.set('authorization', rootAuth)).status).toBe(400);
      expect(await t.ds.getRepository(Customer).findOneByOrFail({ id: admin.id })).toMatchObject({
        tmDelete: null,
      });
    });
  });

  describe('the customer itself', () => {
    let alice: Customer;
    let aliceToken: string;
    beforeEach(async () => {
      alice = await insertCustomer(t.ds, { username: 'alice', name: 'Alice', detail: 'd' });
      aliceToken = await login(t.http, 'alice', PASSWORD);
    });

    it('changes its own name and detail, and nothing else', async () => {
      const res = await request(t.http)
        .put('/v1.0/customer')
        .set('authorization', bearer(aliceToken))
        .send({ name: 'Alice B.' })
        .expect(200);
      expect(res.body).toMatchObject({ name: 'Alice B.', detail: 'd', permission: Permission.CustomerAdmin });
      const refused = await request(t.http)
        .put('/v1.0/customer')
        .set('authorization', bearer(aliceToken))
        .send({ permission: SUPER })
        .expect(400);
      expect(refused.body.error.details).toEqual([{ field: 'permission', message: expect.any(String) }]);
      expect(await t.ds.getRepository(Customer).findOneByOrFail({ id: alice.id })).toMatchObject({
        name: 'Alice B.',
        permission: Permission.CustomerAdmin,
      });
    });

    it("changes its password with a JWT, which ends every other session; the caller's goes on", async () => {
      const other = await login(t.http, 'alice', PASSWORD);
      const { token: key } = await insertAccessKey(t.ds, alice.id);
      await request(t.http)
        .put('/v1.0/customer/password')
        .set('authorization', bearer(aliceToken))
        .send({ old_password: PASSWORD, new_password: 'alice-new-password' })
        .expect(200);
      await me(bearer(aliceToken)).expect(200);
      await request(t.http).get('/v1.0/customer').query({ token: other }).expect(401);
      await me(bearer(key)).expect(200);
      await request(t.http).post('/auth/login').send({ username: 'alice', password: PASSWORD }).expect(401);
      await me(bearer(await login(t.http, 'alice', 'alice-new-password'))).expect(200);
    });

    it('refuses a password change with an access key, a wrong old password or a short new one', async () => {
      const { token: key } = await insertAccessKey(t.ds, alice.id);
      const viaKey = await request(t.http)
        .put('/v1.0/customer/password')
        .query({ accesskey: key })
        .send({ old_password: PASSWORD, new_password: 'alice-new-password' })
        .expect(403);
      expect(viaKey.body.error.reason).toBe('PERMISSION_DENIED');
      const wrong = await request(t.http)
        .put('/v1.0/customer/password')
        .set('authorization', bearer(aliceToken))
        .send({ old_password: 'not-it', new_password: 'alice-new-password' })
        .expect(400);
      expect(wrong.body.error.details).toEqual([{ field: 'old_password', message: expect.any(String) }]);
      await request(t.http)
        .put('/v1.0/customer/password')
        .set('authorization', bearer(aliceToken))
        .send({ old_password: PASSWORD, new_password: 'short' })
        .expect(400);
      await me(bearer(aliceToken)).expect(200);
      await login(t.http, 'alice', PASSWORD);
    });

    it('can be recovered with the reset-password command, which prints a new password', async () => {
      const password = await t.app.get(CustomersService).resetPassword('ALICE');
      expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
      await me(bearer(aliceToken)).expect(401);
      await login(t.http, 'alice', password);
    });
  });

  describe('access keys over time', () => {
    let key: AccessKey;
    let token: string;
    beforeEach(async () => {
      ({ key, token } = await insertAccessKey(t.ds, root.id, {
        name: 'rotating',
        tmExpire: new Date(clock.now().getTime() + 30 * 86400_000),
      }));
    });
    const roll = (body: object, id = key.id) =>
      request(t.http).post(`/v1.0/accesskeys/${id}/roll`).set('authorization', rootAuth).send(body);
    const flush = () => t.app.get(LastUsedRecorder).flush();
    const lastUsed = async () =>
      (await t.ds.getRepository(AccessKey).findOneByOrFail({ id: key.id })).tmLastUsed;

    it('records the last use behind the request, at most once a minute, never backwards', async () => {
      await flush(); // the next flush of its own is an interval away
      await me(bearer(token)).expect(200);
      expect(await lastUsed()).toBeNull();
      await flush();
      const first = clock.now().toISOString();
      expect((await lastUsed())?.toISOString()).toBe(first);

      clock.advance(30);
      await me(bearer(token)).expect(200);
      await flush();
      expect((await lastUsed())?.toISOString()).toBe(first);

      clock.advance(31);
      await me(bearer(token)).expect(200);
      await flush();
      expect((await lastUsed())?.toISOString()).toBe(clock.now().toISOString());
      const shown = await request(t.http).get(`/v1.0/accesskeys/${key.id}`).set('authorization', rootAuth);
      expect(shown.body.tm_last_used).toBe(clock.now().toISOString());

      // An older use written late never moves it backwards.
      await t.app
        .get(AccessKeyRepository)
        .markUsed(key.customerId, key.id, new Date(Date.parse(first) - 60_000));
      expect((await lastUsed())?.toISOString()).toBe(clock.now().toISOString());
      // A mark is scoped by the key's customer: another customer's id reaches no key.
      await t.app
        .get(AccessKeyRepository)
        .markUsed(randomUUID(), key.id, new Date(clock.now().getTime() + 60_000));
      expect((await lastUsed())?.toISOString()).toBe(clock.now().toISOString());
    });

    it('rolls with grace 0: the old secret dies at once, the new one is shown once and works', async () => {
      const res = await roll({ grace: 0 }).expect(200);
      expect(res.body).toMatchObject({ id: key.id, name: 'rotating', tm_expire: key.tmExpire.toISOString() });
      expect(res.body.token).not.toBe(token);
      expect(res.body.token_prefix).toBe(res.body.token.slice(0, 11));
      await me(bearer(token)).expect(401);
      await me(bearer(res.body.token)).expect(200);
      const row = await t.ds.getRepository(AccessKey).findOneOrFail({
        where: { id: key.id },
        select: { id: true, tokenHash: true, previousTokenHash: true },
      });
      expect(row.tokenHash).toBe(createHash('sha256').update(res.body.token).digest('hex'));
      expect(row.previousTokenHash).toBeNull();
      const shown = await request(t.http).get(`/v1.0/accesskeys/${key.id}`).set('authorization', rootAuth);
      expect(JSON.stringify(shown.body)).not.toContain(res.body.token);
    });

    it('rolls with a grace period: both secrets work inside it, only the new one after it', async () => {
      const res = await roll({ grace: 3600 }).expect(200);
      await me(bearer(token)).expect(200);
      await me(bearer(res.body.token)).expect(200);
      clock.advance(3599);
      await me(bearer(token)).expect(200);
      clock.advance(2);
      await me(bearer(token)).expect(401);
      await me(bearer(res.body.token)).expect(200);
    });

    it('defaults to a day of grace, and a second roll kills the first secret at once', async () => {
      const first = await roll({}).expect(200);
      clock.advance(86399);
      await me(bearer(token)).expect(200);
      const second = await roll({ grace: 600 }).expect(200);
      await me(bearer(token)).expect(401);
      await me(bearer(first.body.token)).expect(200);
      await me(bearer(second.body.token)).expect(200);
    });

    it("refuses a bad grace, another customer's key and a deleted key", async () => {
      for (const grace of [-1, 604801, 1.5, '60', null]) {
        const res = await roll({ grace }).expect(400);
        expect(res.body.error.details).toEqual([{ field: 'grace', message: expect.any(String) }]);
      }
      const bob = await insertCustomer(t.ds, { username: 'bob' });
      const bobs = await insertAccessKey(t.ds, bob.id, {
        tmExpire: new Date(clock.now().getTime() + 86400_000),
      });
      await roll({}, bobs.key.id).expect(404);
      await me(bearer(bobs.token)).expect(200);
      await request(t.http).delete(`/v1.0/accesskeys/${key.id}`).set('authorization', rootAuth).expect(200);
      await roll({}).expect(404);
      await me(bearer(token)).expect(401);
    });
  });
});
