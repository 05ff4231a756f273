import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { Permission } from '../src/customers/customer.entity.js';
import { login, startApp, type TestApp } from './support/app.js';
import { auditEvents } from './support/audit.js';
import { DATABASES } from './support/databases.js';
import { insertAccessKey, insertCustomer, PASSWORD } from './support/factories.js';

describe.each(DATABASES)('the key policy on $name', (database) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(await database.prepare('key_policy'));
  });
  afterAll(() => t.close());

  const customerWithJwt = async () => {
    const customer = await insertCustomer(t.ds);
    return { customer, jwt: await login(t.http, customer.username, PASSWORD) };
  };

  it('answers the defaults, keeps the fields given, clears with null and records key_policy.updated', async () => {
    const { customer, jwt } = await customerWithJwt();
    const auth = { authorization: `Bearer ${jwt}` };
    const first = await request(t.http).get('/v1.0/customer/key-policy').set(auth).expect(200);
    expect(first.body).toEqual({ max_lifetime: null, disable_unused_days: null, leak_action: 'revoke' });

    const put = await request(t.http)
      .put('/v1.0/customer/key-policy')
      .set(auth)
      .send({ max_lifetime: 172800, leak_action: 'quarantine' })
      .expect(200);
    expect(put.body).toEqual({ max_lifetime: 172800, disable_unused_days: null, leak_action: 'quarantine' });
    await request(t.http)
      .put('/v1.0/customer/key-policy')
      .set(auth)
      .send({ disable_unused_days: 30 })
      .expect(200);
    const cleared = await request(t.http)
      .put('/v1.0/customer/key-policy')
      .set(auth)
      .send({ max_lifetime: null })
      .expect(200);
    expect(cleared.body).toEqual({ max_lifetime: null, disable_unused_days: 30, leak_action: 'quarantine' });
    const read = await request(t.http).get('/v1.0/customer/key-policy').set(auth).expect(200);
    expect(read.body).toEqual(cleared.body);

    const rows = await t.ds.query(
      'SELECT max_lifetime, disable_unused_days, leak_action FROM key_policies WHERE customer_id = ?',
      [customer.id],
    );
    expect(rows).toEqual([{ max_lifetime: null, disable_unused_days: 30, leak_action: 'quarantine' }]);
    const events = (await auditEvents(t.ds, customer.id)).filter((e) => e.action === 'key_policy.updated');
    expect(events).toHaveLength(3);
    expect(events[0].target).toBe(`customer:${customer.id}`);
    expect(JSON.parse(events[0].data)).toEqual({
      fields: ['max_lifetime', 'leak_action'],
      max_lifetime: 172800,
      disable_unused_days: null,
      leak_action: 'quarantine',
    });
  });

  it('refuses bad values with the 400 envelope, changing nothing', async () => {
    const { customer, jwt } = await customerWithJwt();
    for (const body of [
      { max_lifetime: 10 },
      { max_lifetime: 'long' },
      { disable_unused_days: 0 },
      { leak_action: 'ignore' },
      { leak_action: null },
      { other: 1 },
    ]) {
      const res = await request(t.http)
        .put('/v1.0/customer/key-policy')
        .set('authorization', `Bearer ${jwt}`)
        .send(body)
        .expect(400);
      expect(res.body.error.reason).toBe('INVALID_ARGUMENT');
    }
    expect(await t.ds.query('SELECT * FROM key_policies WHERE customer_id = ?', [customer.id])).toEqual([]);
  });

  it('caps POST /v1.0/accesskeys by max_lifetime: a longer expire is 400 naming the limit; none gets the limit', async () => {
    const { jwt } = await customerWithJwt();
    const auth = { authorization: `Bearer ${jwt}` };
    await request(t.http)
      .put('/v1.0/customer/key-policy')
      .set(auth)
      .send({ max_lifetime: 172800 })
      .expect(200);
    const refused = await request(t.http)
      .post('/v1.0/accesskeys')
      .set(auth)
      .send({ expire: 172801 })
      .expect(400);
    expect(refused.body.error.details).toEqual([
      { field: 'expire', message: expect.stringContaining('172800') },
    ]);
    const exact = await request(t.http)
      .post('/v1.0/accesskeys')
      .set(auth)
      .send({ expire: 172800 })
      .expect(200);
    const lifetime = (key: { tm_expire: string; tm_create: string }) =>
      (Date.parse(key.tm_expire) - Date.parse(key.tm_create)) / 1000;
    expect(lifetime(exact.body)).toBe(172800);
    const unasked = await request(t.http).post('/v1.0/accesskeys').set(auth).send({}).expect(200);
    expect(lifetime(unasked.body)).toBe(172800);
    await request(t.http).put('/v1.0/customer/key-policy').set(auth).send({ max_lifetime: null }).expect(200);
    await request(t.http).post('/v1.0/accesskeys').set(auth).send({ expire: 172801 }).expect(200);
  });

  it('takes a key with customer:write, not one with customer:read only', async () => {
    const customer = await insertCustomer(t.ds);
    const { token: reader } = await insertAccessKey(t.ds, customer.id, { scopes: ['customer:read'] });
    await request(t.http)
      .get('/v1.0/customer/key-policy')
      .set('authorization', `Bearer ${reader}`)
      .expect(200);
    await request(t.http)
      .put('/v1.0/customer/key-policy')
      .set('authorization', `Bearer ${reader}`)
      .send({ leak_action: 'notify' })
      .expect(403);
    await request(t.http).get('/v1.0/customer/key-policy').expect(401);
  });

  it("lets a super admin read and set another customer's policy, and no one else", async () => {
    const admin = await insertCustomer(t.ds, {
      permission: Permission.ProjectSuperAdmin | Permission.CustomerAdmin,
    });
    const adminJwt = await login(t.http, admin.username, PASSWORD);
    const { customer, jwt } = await customerWithJwt();
    await request(t.http)
      .put(`/v1.0/customers/${customer.id}/key-policy`)
      .set('authorization', `Bearer ${adminJwt}`)
      .send({ leak_action: 'notify' })
      .expect(200);
    const own = await request(t.http)
      .get('/v1.0/customer/key-policy')
      .set('authorization', `Bearer ${jwt}`)
      .expect(200);
    expect(own.body.leak_action).toBe('notify');
    const read = await request(t.http)
      .get(`/v1.0/customers/${customer.id}/key-policy`)
      .set('authorization', `Bearer ${adminJwt}`)
      .expect(200);
    expect(read.body.leak_action).toBe('notify');
    await request(t.http)
      .get(`/v1.0/customers/${admin.id}/key-policy`)
      .set('authorization', `Bearer ${jwt}`)
      .expect(403);
    await request(t.http)
      .get('/v1.0/customers/00000000-0000-4000-8000-000000000000/key-policy')
      .set('authorization', `Bearer ${adminJwt}`)
      .expect(404);
    await request(t.http)
      .get('/v1.0/customers/nope/key-policy')
      .set('authorization', `Bearer ${adminJwt}`)
      .expect(400);
  });
});
