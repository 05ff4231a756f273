import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import argon2 from 'argon2';
import request from 'supertest';
import { Customer, Permission } from '../src/customers/customer.entity.js';
import { SuperAdminSeed } from '../src/customers/super-admin.seed.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME, login, startApp, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { insertAccessKey, insertCustomer, PASSWORD, truncate } from './support/factories.js';
import { CUSTOMER_FIELDS as ALL_CUSTOMER_FIELDS } from './support/voipbin-schemas.js';

/** Of a customer without an email, which the answer leaves out while empty (as VoIPBIN does). */
const CUSTOMER_FIELDS = ALL_CUSTOMER_FIELDS.filter((field) => field !== 'email');

describe.each(DATABASES)('customers on $name', (database) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(await database.prepare('customers'));
  });
  afterAll(() => t.close());

  describe('the first start', () => {
    it('created the super admin from ADMIN_USERNAME and ADMIN_PASSWORD, with an argon2id hash', async () => {
      const admin = await t.ds
        .getRepository(Customer)
        .createQueryBuilder('c')
        .addSelect('c.passwordHash')
        .where('c.username = :u', { u: ADMIN_USERNAME })
        .getOneOrFail();
      expect(admin.permission & Permission.ProjectSuperAdmin).toBe(Permission.ProjectSuperAdmin);
      expect(admin.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
      expect(admin.passwordHash).not.toContain(ADMIN_PASSWORD);
      await login(t.http, ADMIN_USERNAME, ADMIN_PASSWORD);
    });

    it('creates no second admin when the database already has customers', async () => {
      await t.app.get(SuperAdminSeed).onApplicationBootstrap();
      expect(await t.ds.getRepository(Customer).count()).toBe(1);
    });
  });

  describe('GET /v1.0/customer', () => {
    beforeEach(() => truncate(t.ds));

    it("answers the caller's own customer, for a JWT and for an access key, without the hash", async () => {
      const manager = await insertCustomer(t.ds, {
        username: 'carol',
        permission: Permission.CustomerManager,
        name: 'Carol',
        detail: 'ops',
      });
      const { token: key } = await insertAccessKey(t.ds, manager.id);
      const jwtRes = await request(t.http)
        .get('/v1.0/customer')
        .set('authorization', `Bearer ${await login(t.http, 'carol', PASSWORD)}`)
        .expect(200);
      const keyRes = await request(t.http).get('/v1.0/customer').query({ accesskey: key }).expect(200);
      for (const res of [jwtRes, keyRes]) {
        // The own customer: its fields, then whether its login needs a second factor.
        expect(Object.keys(res.body)).toEqual([...CUSTOMER_FIELDS, 'totp_enabled']);
        expect(res.body).toEqual({
          id: manager.id,
          username: 'carol',
          name: 'Carol',
          detail: 'ops',
          phone_number: '',
          address: '',
          webhook_method: '',
          webhook_uri: '',
          permission: Permission.CustomerManager,
          tm_create: manager.tmCreate.toISOString(),
          tm_update: null,
          tm_delete: null,
          totp_enabled: false,
        });
      }
    });
  });

  describe('POST /v1.0/customers', () => {
    let rootToken: string;
    beforeEach(async () => {
      await truncate(t.ds);
      await insertCustomer(t.ds, {
        username: 'root',
        permission: Permission.ProjectSuperAdmin | Permission.CustomerAdmin,
      });
      rootToken = await login(t.http, 'root', PASSWORD);
    });
    const post = (body: object, token = rootToken) =>
      request(t.http).post('/v1.0/customers').set('authorization', `Bearer ${token}`).send(body);

    it('creates a customer who can log in, with an argon2id hash at rest', async () => {
      const res = await post({
        username: 'Dave@Example.com',
        password: 'dave-password',
        name: 'Dave',
      }).expect(200);
      expect(Object.keys(res.body)).toEqual(CUSTOMER_FIELDS);
      expect(res.body).toMatchObject({
        username: 'dave@example.com',
        name: 'Dave',
        detail: '',
        permission: Permission.CustomerAdmin,
      });
      expect(JSON.stringify(res.body)).not.toContain('dave-password');

      const row = await t.ds
        .getRepository(Customer)
        .createQueryBuilder('c')
        .addSelect('c.passwordHash')
        .where('c.id = :id', { id: res.body.id })
        .getOneOrFail();
      expect(await argon2.verify(row.passwordHash, 'dave-password')).toBe(true);
      expect(row.passwordHash.startsWith('$argon2id$')).toBe(true);

      const token = await login(t.http, 'dave@example.com', 'dave-password');
      const me = await request(t.http)
        .get('/v1.0/customer')
        .set('authorization', `Bearer ${token}`)
        .expect(200);
      expect(me.body.id).toBe(res.body.id);
    });

    it('answers 409 USERNAME_TAKEN for a live username, whatever its case', async () => {
      await post({ username: 'erin', password: 'erin-password' }).expect(200);
      const res = await post({ username: 'ERIN', password: 'other-password' }).expect(409);
      expect(res.body.error).toMatchObject({ status: 'ALREADY_EXISTS', reason: 'USERNAME_TAKEN' });
      expect(await t.ds.getRepository(Customer).countBy({ username: 'erin' })).toBe(1);
    });

    it.each([
      ['a short password', { username: 'frank', password: 'short' }, 'password'],
      ['a long password', { username: 'frank', password: 'p'.repeat(129) }, 'password'],
      ['no username', { password: 'frank-password' }, 'username'],
      ['a username with a space', { username: 'frank smith', password: 'frank-password' }, 'username'],
      [
        'an unknown permission bit',
        { username: 'frank', password: 'frank-password', permission: 2 },
        'permission',
      ],
      ['an unknown field', { username: 'frank', password: 'frank-password', admin: true }, 'admin'],
    ])('answers 400 for %s', async (_label, body, field) => {
      const res = await post(body).expect(400);
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual([field]);
      expect(await t.ds.getRepository(Customer).count()).toBe(1);
    });

    it("is for super admins only: 403 for an admin, a manager and an admin's key", async () => {
      const admin = await insertCustomer(t.ds, { username: 'admin2', permission: Permission.CustomerAdmin });
      await insertCustomer(t.ds, { username: 'manager', permission: Permission.CustomerManager });
      const { token: key } = await insertAccessKey(t.ds, admin.id);
      for (const token of [
        await login(t.http, 'admin2', PASSWORD),
        await login(t.http, 'manager', PASSWORD),
        key,
      ]) {
        const res = await post({ username: 'gina', password: 'gina-password' }, token).expect(403);
        expect(res.body.error).toMatchObject({
          reason: 'PERMISSION_DENIED',
          message:
            "This needs customers:write, which only a super admin (permission 1) has; the caller's customer is not one.",
        });
      }
      await request(t.http)
        .post('/v1.0/customers')
        .send({ username: 'gina', password: 'gina-password' })
        .expect(401);
      expect(await t.ds.getRepository(Customer).countBy({ username: 'gina' })).toBe(0);
    });
  });

  describe('DELETE /v1.0/customers/:id', () => {
    beforeEach(() => truncate(t.ds));

    it("deletes the customer's keys and ends its sessions with it: both are refused at once", async () => {
      const root = await insertCustomer(t.ds, {
        username: 'root2',
        permission: Permission.ProjectSuperAdmin,
      });
      const dave = await insertCustomer(t.ds, { username: 'dave', permission: Permission.CustomerAdmin });
      const { token: rootKey } = await insertAccessKey(t.ds, root.id);
      const keys = [await insertAccessKey(t.ds, dave.id), await insertAccessKey(t.ds, dave.id)];
      const jwt = await login(t.http, 'dave', PASSWORD);
      const rootJwt = await login(t.http, 'root2', PASSWORD);
      // Each is used once first, so that the instance holds it in its cache.
      for (const token of [jwt, ...keys.map((k) => k.token)]) {
        await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${token}`).expect(200);
      }

      await request(t.http)
        .delete(`/v1.0/customers/${dave.id}`)
        .set('authorization', `Bearer ${rootJwt}`)
        .expect(200);

      for (const token of [jwt, ...keys.map((k) => k.token)]) {
        await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${token}`).expect(401);
      }
      const live = async (table: string, column: string, customerId: string) =>
        Number(
          (
            (await t.ds.query(
              `SELECT COUNT(*) AS n FROM ${table} WHERE customer_id = ? AND ${column} IS NULL`,
              [customerId],
            )) as { n: number | string }[]
          )[0].n,
        );
      expect(await live('access_keys', 'tm_delete', dave.id)).toBe(0);
      expect(await live('sessions', 'tm_end', dave.id)).toBe(0);
      // The rows stay, marked: the customer's row does too (a soft delete), so none is an orphan.
      const ended = (await t.ds.query('SELECT tm_delete FROM access_keys WHERE customer_id = ?', [
        dave.id,
      ])) as unknown[];
      expect(ended).toHaveLength(2);
      // Another customer's keys and sessions are left alone.
      expect(await live('access_keys', 'tm_delete', root.id)).toBe(1);
      expect(await live('sessions', 'tm_end', root.id)).toBe(1);
      for (const token of [rootJwt, rootKey]) {
        await request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${token}`).expect(200);
      }
    });
  });
});
