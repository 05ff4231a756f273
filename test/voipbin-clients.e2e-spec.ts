import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { AccessKey } from '../src/accesskeys/access-key.entity.js';
import { Customer } from '../src/customers/customer.entity.js';
import { CustomersService } from '../src/customers/customers.service.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME, login, startApp, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { insertAccessKey, insertCustomer } from './support/factories.js';
import {
  answerOf,
  component,
  CUSTOMER_FIELDS,
  expectMatches,
  requiredFields,
} from './support/voipbin-schemas.js';

/** What VoIPBIN's Go SDK (PutCustomer, PostCustomers, PutCustomersId) and its `vn` CLI always send. */
const contact = (email = `ops-${randomUUID().slice(0, 8)}@acme.example.com`) => ({
  name: 'Acme Corporation',
  detail: 'Enterprise customer account',
  email,
  phone_number: '+14155551234',
  address: '123 Main St, San Francisco, CA 94105',
  webhook_method: 'POST',
  webhook_uri: 'https://api.acme.example.com/webhooks/voipbin',
});

const NO_EMAIL_FIELDS = CUSTOMER_FIELDS.filter((field) => field !== 'email');

type Method = 'get' | 'post' | 'put' | 'delete';
type Ids = { result: { id: string }[]; next_page_token: string };

describe.each(DATABASES)("VoIPBIN's own clients on $name", (database) => {
  let t: TestApp;
  let rootKey: string;

  beforeAll(async () => {
    t = await startApp(await database.prepare('voipbin'));
    const admin = await t.ds.getRepository(Customer).findOneByOrFail({ username: ADMIN_USERNAME });
    // A super admin's key has the super-admin powers only when it was given them by name.
    rootKey = (await insertAccessKey(t.ds, admin.id, { scopes: ['*:write', 'customers:write'] })).token;
  });
  afterAll(() => t.close());

  /**
   * A request as VoIPBIN's Go SDK, `vn` CLI and MCP client send it: the access key added to the
   * query, which Go's url.Values then sorts; JSON bodies as application/json.
   */
  const sdk = (method: Method, path: string, key: string, query: Record<string, string> = {}) => {
    const params = new URLSearchParams({ ...query, accesskey: key });
    params.sort();
    return request(t.http)[method](`${path}?${params}`);
  };

  /** A customer admin and a key of its that outlives any key it makes here (a key makes none that lives longer). */
  async function customerWithKey(): Promise<{ customer: Customer; key: string }> {
    const customer = await insertCustomer(t.ds);
    const tmExpire = new Date(Date.now() + 2 * 365 * 86400_000);
    return { customer, key: (await insertAccessKey(t.ds, customer.id, { tmExpire })).token };
  }

  const withPassword = (id: string) =>
    t.ds
      .getRepository(Customer)
      .createQueryBuilder('c')
      .addSelect('c.passwordHash')
      .where('c.id = :id', { id })
      .getOneOrFail();

  describe('POST /auth/login', () => {
    const body = JSON.stringify({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD });

    it('answers AuthLoginResponse and sets the token cookie for a JSON body', async () => {
      const res = await request(t.http)
        .post('/auth/login')
        .set('content-type', 'application/json')
        .send(body)
        .expect(200);
      expectMatches(component('AuthLoginResponse'), res.body);
      expect(res.headers['set-cookie']).toEqual([expect.stringMatching(/^token=[^;]+;.*HttpOnly/)]);
    });

    it.each([
      ['text/plain;charset=UTF-8', "a browser fetch's default, when its headers option is misspelt"],
      ['application/x-www-form-urlencoded', 'a form'],
      ['', 'an empty Content-Type'],
    ])('reads a JSON body sent as %p (%s) as VoIPBIN does, and sets no cookie then', async (contentType) => {
      const res = await request(t.http)
        .post('/auth/login')
        .set('content-type', contentType)
        .send(body)
        .expect(200);
      expectMatches(component('AuthLoginResponse'), res.body);
      expect(res.headers['set-cookie']).toBeUndefined();
      await request(t.http)
        .get('/v1.0/customer')
        .set('authorization', `Bearer ${res.body.token}`)
        .expect(200);
    });

    it('reads a JSON body with no Content-Type at all', async () => {
      const res = await request(t.http).post('/auth/login').send(Buffer.from(body)).expect(200);
      // supertest's typings leave out the request that was sent.
      const sent = (res as unknown as { req: { getHeader(name: string): unknown } }).req;
      expect(sent.getHeader('content-type')).toBeUndefined();
      expectMatches(component('AuthLoginResponse'), res.body);
    });

    it('answers 400 INVALID_JSON_BODY in the envelope for a text/plain body that is not JSON', async () => {
      const res = await request(t.http)
        .post('/auth/login')
        .set('content-type', 'text/plain')
        .send('username=admin')
        .expect(400);
      expectMatches(component('ErrorResponse'), res.body);
      expect(res.body.error.reason).toBe('INVALID_JSON_BODY');
    });

    it('keeps 415 for a body that is not sent as JSON on every other route', async () => {
      const { customer, key } = await customerWithKey();
      for (const [method, path] of [
        ['post', '/v1.0/accesskeys'],
        ['put', '/v1.0/customer'],
        ['post', '/v1.0/customers'],
        ['post', '/auth/introspect'],
      ] as const) {
        const res = await sdk(method, path, key)
          .set('content-type', 'text/plain')
          .send(JSON.stringify({ name: 'x', username: 'x', token: 'x' }))
          .expect(415);
        expectMatches(component('ErrorResponse'), res.body);
      }
      await expect(t.ds.getRepository(AccessKey).countBy({ customerId: customer.id })).resolves.toBe(1);
      await expect(t.ds.getRepository(Customer).countBy({ username: 'x' })).resolves.toBe(0);
    });
  });

  describe('access keys', () => {
    it("answers each route in VoIPBIN's schemas, and its errors in its envelope", async () => {
      const { customer, key } = await customerWithKey();
      const created = await sdk('post', '/v1.0/accesskeys', key)
        .send({ name: 'Production API Key', detail: 'API key for production', expire: 31536000 })
        .expect(200);
      expectMatches(answerOf('accesskeys/main.yaml', 'post'), created.body);
      const id: string = created.body.id;

      const list = await sdk('get', '/v1.0/accesskeys', key, { page_size: '10' }).expect(200);
      expectMatches(answerOf('accesskeys/main.yaml', 'get'), list.body);
      expect(list.body.result).toHaveLength(2);
      expectMatches(
        answerOf('accesskeys/id.yaml', 'get'),
        (await sdk('get', `/v1.0/accesskeys/${id}`, key)).body,
      );
      const updated = await sdk('put', `/v1.0/accesskeys/${id}`, key).send({ name: 'renamed' }).expect(200);
      expectMatches(answerOf('accesskeys/id.yaml', 'put'), updated.body);
      expect(updated.body.tm_update).not.toBeNull();
      const rolled = await sdk('post', `/v1.0/accesskeys/${id}/roll`, key).send({ grace: 0 }).expect(200);
      expectMatches(component('CustomerManagerAccesskey'), rolled.body);
      // VoIPBIN's path file documents no body for DELETE; its server answers the deleted key, as here.
      const deleted = await sdk('delete', `/v1.0/accesskeys/${id}`, key).expect(200);
      expectMatches(component('CustomerManagerAccesskey'), deleted.body);
      expect(deleted.body.tm_delete).not.toBeNull();

      for (const res of [
        await sdk('get', `/v1.0/accesskeys/${id}`, key).expect(404),
        await sdk('get', '/v1.0/accesskeys/not-a-uuid', key).expect(400),
        await sdk('post', '/v1.0/accesskeys', key).send({ expire: 60 }).expect(400),
        await request(t.http).get('/v1.0/accesskeys').expect(401),
      ]) {
        expectMatches(component('ErrorResponse'), res.body);
      }
      await expect(t.ds.getRepository(AccessKey).countBy({ customerId: customer.id })).resolves.toBe(2);
    });
  });

  describe('customers', () => {
    it('sends exactly the body fields that VoIPBIN requires', () => {
      for (const [file, method] of [
        ['customer/main.yaml', 'put'],
        ['customers/main.yaml', 'post'],
        ['customers/id.yaml', 'put'],
      ]) {
        expect(requiredFields(file!, method!).sort()).toEqual(Object.keys(contact()).sort());
      }
    });

    it("PUT /v1.0/customer takes VoIPBIN's seven fields; every answer carries them in VoIPBIN's order", async () => {
      const { customer, key } = await customerWithKey();
      const fields = contact();
      const put = await sdk('put', '/v1.0/customer', key).send(fields).expect(200);
      expectMatches(answerOf('customer/main.yaml', 'put'), put.body);
      expect(Object.keys(put.body)).toEqual(CUSTOMER_FIELDS);
      expect(put.body).toMatchObject({ id: customer.id, username: customer.username, ...fields });

      const got = await sdk('get', '/v1.0/customer', key).expect(200);
      expectMatches(answerOf('customer/main.yaml', 'get'), got.body);
      // GET of the own customer adds whether its login needs a second factor.
      expect(got.body).toEqual({ ...put.body, totp_enabled: false });
      const row = await t.ds.getRepository(Customer).findOneByOrFail({ id: customer.id });
      expect(row).toMatchObject({
        email: fields.email,
        phoneNumber: fields.phone_number,
        address: fields.address,
        webhookMethod: 'POST',
        webhookUri: fields.webhook_uri,
      });
    });

    it('changes only the fields given, and clears one given as an empty string', async () => {
      const { customer, key } = await customerWithKey();
      const fields = contact();
      await sdk('put', '/v1.0/customer', key).send(fields).expect(200);
      const res = await sdk('put', '/v1.0/customer', key)
        .send({ email: '', webhook_method: '', address: '10 Other St' })
        .expect(200);
      expectMatches(answerOf('customer/main.yaml', 'put'), res.body);
      // No email: VoIPBIN leaves empty fields out, and "" is no email address.
      expect(Object.keys(res.body)).toEqual(NO_EMAIL_FIELDS);
      expect(res.body).toMatchObject({
        name: fields.name,
        phone_number: fields.phone_number,
        address: '10 Other St',
        webhook_method: '',
        webhook_uri: fields.webhook_uri,
      });
      const row = await t.ds.getRepository(Customer).findOneByOrFail({ id: customer.id });
      expect(row).toMatchObject({ email: '', webhookMethod: '', address: '10 Other St' });
    });

    it.each([
      ['email', 'not-an-address'],
      ['email', 'ops@localhost'],
      ['email', `${'x'.repeat(243)}@example.com`],
      ['email', null],
      ['phone_number', '14155551234'],
      ['phone_number', '+1 415 555 1234'],
      ['phone_number', '+01234'],
      ['phone_number', '+1234567890123456'],
      ['address', 'a'.repeat(1025)],
      ['webhook_method', 'PATCH'],
      ['webhook_method', 'post'],
      ['webhook_uri', 'ftp://files.example.com/in'],
      ['webhook_uri', 'hooks.example.com/voipbin'],
      ['webhook_uri', `https://hooks.example.com/${'a'.repeat(1024 - 'https://hooks.example.com/'.length)}`],
      ['webhook_uri', 5],
    ])('refuses %s %p with a 400 naming it, and changes nothing', async (field, value) => {
      const { customer, key } = await customerWithKey();
      const res = await sdk('put', '/v1.0/customer', key)
        .send({ ...contact(), [field]: value })
        .expect(400);
      expectMatches(component('ErrorResponse'), res.body);
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual([field]);
      const row = await t.ds.getRepository(Customer).findOneByOrFail({ id: customer.id });
      expect(row).toMatchObject({ name: customer.name, email: '', phoneNumber: '', webhookUri: '' });
    });

    it('accepts the longest values: a 1023-character webhook_uri, 15 digits of phone number', async () => {
      const { key } = await customerWithKey();
      const uri = `http://hooks.internal:8080/${'a'.repeat(1023 - 'http://hooks.internal:8080/'.length)}`;
      const res = await sdk('put', '/v1.0/customer', key)
        .send({ webhook_uri: uri, phone_number: '+123456789012345', webhook_method: 'DELETE' })
        .expect(200);
      expect(res.body).toMatchObject({ webhook_uri: uri, phone_number: '+123456789012345' });
    });

    it("POST /v1.0/customers takes VoIPBIN's body: the email is the username; no login until a password is set", async () => {
      const fields = contact(`New.Customer-${randomUUID().slice(0, 6)}@Acme.example.com`);
      const res = await sdk('post', '/v1.0/customers', rootKey).send(fields).expect(200);
      expectMatches(answerOf('customers/main.yaml', 'post'), res.body);
      expect(Object.keys(res.body)).toEqual(CUSTOMER_FIELDS);
      expect(res.body).toMatchObject({ ...fields, username: fields.email.toLowerCase(), permission: 32 });

      // No password: no guessable default, and nothing that any password matches.
      expect((await withPassword(res.body.id)).passwordHash).toBe('');
      for (const password of ['password', fields.email, fields.email.toLowerCase(), ' ']) {
        const refused = await request(t.http)
          .post('/auth/login')
          .send({ username: fields.email, password })
          .expect(401);
        expect(refused.body.error.reason).toBe('INVALID_CREDENTIALS');
      }
      // A super admin, logged in (a key resets no password), sets one; from then on it logs in with it.
      const rootJwt = await login(t.http, ADMIN_USERNAME, ADMIN_PASSWORD);
      await request(t.http)
        .put(`/v1.0/customers/${res.body.id}`)
        .set('authorization', `Bearer ${rootJwt}`)
        .send({ password: 'a-first-password' })
        .expect(200);
      const token = await login(t.http, fields.email, 'a-first-password');
      const me = await request(t.http)
        .get('/v1.0/customer')
        .set('authorization', `Bearer ${token}`)
        .expect(200);
      expect(me.body.id).toBe(res.body.id);
    });

    it('lets the admin command give a customer created without a password its first one', async () => {
      const email = `first-password-${randomUUID().slice(0, 6)}@acme.example.com`;
      await sdk('post', '/v1.0/customers', rootKey).send(contact(email)).expect(200);
      await request(t.http)
        .post('/auth/login')
        .send({ username: email, password: 'anything-at-all' })
        .expect(401);
      // What `npm run admin -- reset-password <username>` runs.
      const password = await t.app.get(CustomersService).resetPassword(email);
      expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
      await login(t.http, email, password);
    });

    it('answers a login of a customer without a password like one of an unknown username, in about the same time', async () => {
      const email = `no-password-${randomUUID().slice(0, 6)}@acme.example.com`;
      await sdk('post', '/v1.0/customers', rootKey).send(contact(email)).expect(200);
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      const timed = async (username: string) => {
        const started = process.hrtime.bigint();
        const res = await request(t.http)
          .post('/auth/login')
          .send({ username, password: 'not-the-password' })
          .expect(401);
        return { ms: Number(process.hrtime.bigint() - started) / 1e6, error: res.body.error as object };
      };
      const none: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 15; i++) {
        const a = await timed(email);
        const b = await timed(`nobody-${i}@acme.example.com`);
        none.push(a.ms);
        unknown.push(b.ms);
        expect({ ...a.error, request_id: '' }).toEqual({ ...b.error, request_id: '' });
      }
      // Both run one argon2id verify; a stored hash that is no hash would fail at once.
      const ratio = median(none) / median(unknown);
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
    });

    it('answers 409 for an email a live customer has as its username, whatever its case, and frees it on delete', async () => {
      const email = `taken-${randomUUID().slice(0, 6)}@acme.example.com`;
      const first = await sdk('post', '/v1.0/customers', rootKey).send(contact(email)).expect(200);
      const again = await sdk('post', '/v1.0/customers', rootKey)
        .send(contact(email.toUpperCase()))
        .expect(409);
      expectMatches(component('ErrorResponse'), again.body);
      expect(again.body.error).toMatchObject({ reason: 'USERNAME_TAKEN', details: [{ field: 'email' }] });
      await expect(t.ds.getRepository(Customer).countBy({ username: email })).resolves.toBe(1);

      await sdk('delete', `/v1.0/customers/${first.body.id}`, rootKey).expect(200);
      await sdk('post', '/v1.0/customers', rootKey).send(contact(email)).expect(200);
    });

    it.each([
      ['neither a username nor an email', { ...contact(), email: '' }, 'username'],
      ['an email that cannot be a username', contact("o'brien@acme.example.com"), 'email'],
    ])('refuses a customer with %s', async (_label, body, field) => {
      const before = await t.ds.getRepository(Customer).count();
      const res = await sdk('post', '/v1.0/customers', rootKey).send(body).expect(400);
      expectMatches(component('ErrorResponse'), res.body);
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual([field]);
      await expect(t.ds.getRepository(Customer).count()).resolves.toBe(before);
    });

    it("answers the super admin's routes in CustomerManagerCustomerAdmin", async () => {
      const created = await sdk('post', '/v1.0/customers', rootKey)
        .send({
          ...contact(),
          username: `admin-routes-${randomUUID().slice(0, 6)}`,
          password: 'a-password-1',
        })
        .expect(200);
      const id: string = created.body.id;
      expectMatches(
        answerOf('customers/id.yaml', 'get'),
        (await sdk('get', `/v1.0/customers/${id}`, rootKey)).body,
      );
      const put = await sdk('put', `/v1.0/customers/${id}`, rootKey).send(contact()).expect(200);
      expectMatches(answerOf('customers/id.yaml', 'put'), put.body);
      expect(Object.keys(put.body)).toEqual(CUSTOMER_FIELDS);
      const list = await sdk('get', '/v1.0/customers', rootKey, { page_size: '100' }).expect(200);
      expectMatches(answerOf('customers/main.yaml', 'get'), list.body);
      const deleted = await sdk('delete', `/v1.0/customers/${id}`, rootKey).expect(200);
      expectMatches(answerOf('customers/id.yaml', 'delete'), deleted.body);
      expect(deleted.body.tm_delete).not.toBeNull();
      for (const res of [
        await sdk('get', `/v1.0/customers/${id}`, rootKey).expect(404),
        await sdk('get', '/v1.0/customers', (await customerWithKey()).key).expect(403),
      ]) {
        expectMatches(component('ErrorResponse'), res.body);
      }
    });
  });

  describe('lists end the way VoIPBIN ends them', () => {
    /** The loop VoIPBIN's clients run: follow next_page_token until a page comes back empty. */
    async function walk(path: string, key: string, query: Record<string, string> = {}) {
      const seen: string[] = [];
      let pageToken = '';
      for (let requests = 1; requests <= 1000; requests++) {
        const res = await sdk('get', path, key, {
          ...query,
          ...(pageToken && { page_token: pageToken }),
        }).expect(200);
        const page = res.body as Ids;
        if (page.result.length === 0) {
          expect(res.body).toEqual({ result: [], next_page_token: '' });
          return { seen, requests };
        }
        expect(page.next_page_token).not.toBe('');
        seen.push(...page.result.map((item) => item.id));
        pageToken = page.next_page_token;
      }
      throw new Error(`${path}: the walk did not end`);
    }

    it('a loop until the result is empty sees each of 250 keys once, and ends', async () => {
      const customer = await insertCustomer(t.ds);
      const start = Date.now() - 600_000;
      const ids: string[] = [];
      // Groups of ten created in the same millisecond: the cursor must neither skip nor repeat one.
      for (let i = 0; i < 250; i++) {
        const tmCreate = new Date(start + Math.floor(i / 10) * 1000);
        ids.push((await insertAccessKey(t.ds, customer.id, { tmCreate })).key.id);
      }
      const { key: own, token: key } = await insertAccessKey(t.ds, customer.id);
      ids.push(own.id);

      for (const [query, pages] of [
        [{}, 3],
        [{ page_size: '7' }, 36],
        [{ page_size: '100' }, 3],
        [{ page_size: '1000' }, 3],
      ] as const) {
        const { seen, requests } = await walk('/v1.0/accesskeys', key, query);
        expect(requests).toBe(pages + 1);
        expect(new Set(seen).size).toBe(seen.length);
        expect([...seen].sort()).toEqual([...ids].sort());
      }
    });

    it('so does the list of customers', async () => {
      for (let i = 0; i < 5; i++) await insertCustomer(t.ds, { tmCreate: new Date(Date.now() - 1000) });
      const live = await t.ds.getRepository(Customer).find({ where: { live: true } });
      const { seen, requests } = await walk('/v1.0/customers', rootKey, { page_size: '3' });
      expect(requests).toBe(Math.ceil(live.length / 3) + 1);
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual(live.map((c) => c.id).sort());
    });

    describe('a page_token that is a timestamp, as VoIPBIN reads it', () => {
      let key: string;
      let byTime: { id: string; time: number }[];
      const base = Date.UTC(2026, 0, 15, 9, 30, 0, 0);

      beforeAll(async () => {
        const customer = await insertCustomer(t.ds);
        byTime = [];
        for (const offset of [0, 1000, 2000, 2000, 3000, 4000]) {
          const { key: row } = await insertAccessKey(t.ds, customer.id, {
            tmCreate: new Date(base + offset),
          });
          byTime.push({ id: row.id, time: base + offset });
        }
        const own = await insertAccessKey(t.ds, customer.id);
        byTime.push({ id: own.key.id, time: own.key.tmCreate.getTime() });
        key = own.token;
      });

      /** The keys created strictly before `time`, newest first (ties in any order). */
      const before = (time: number) =>
        byTime
          .filter((k) => k.time < time)
          .sort((a, b) => b.time - a.time)
          .map((k) => k.time);

      it.each([
        ['2026-01-15T09:30:02.000000Z', base + 2000],
        ['2026-01-15T09:30:02.000001Z', base + 2001],
        ['2026-01-15T09:30:02Z', base + 2000],
        ['2026-01-15T09:30:03.5Z', base + 3500],
        ['2026-01-15 09:30:02.000000', base + 2000],
        ['2026-01-15T18:30:02.000+09:00', base + 2000],
        ['2026-01-15t09:30:04.000000z', base + 4000],
        ['2026-01-15T09:30:00.000000Z', base],
        ['0050-01-15T09:30:00Z', new Date(0).setUTCFullYear(50, 0, 15)],
        ['9999-12-31T23:59:59.999999Z', Date.UTC(9999, 11, 31, 23, 59, 59, 999)],
      ])('%s: the keys created strictly before it, newest first', async (pageToken, time) => {
        const res = await sdk('get', '/v1.0/accesskeys', key, { page_token: pageToken }).expect(200);
        const page = res.body as Ids;
        const times = new Map(byTime.map((k) => [k.id, k.time]));
        expect(page.result.map((k) => times.get(k.id))).toEqual(before(time));
        if (page.result.length === 0) {
          expect(res.body).toEqual({ result: [], next_page_token: '' });
        } else {
          // The next page, from the opaque cursor, is the empty one: nothing was lost or repeated.
          const next = await sdk('get', '/v1.0/accesskeys', key, { page_token: page.next_page_token }).expect(
            200,
          );
          expect(next.body).toEqual({ result: [], next_page_token: '' });
        }
      });

      it('pages on from a timestamp with the opaque cursor, through keys created in the same millisecond', async () => {
        const first = await sdk('get', '/v1.0/accesskeys', key, {
          page_token: '2026-01-15T09:30:03.000000Z',
          page_size: '2',
        }).expect(200);
        const second = await sdk('get', '/v1.0/accesskeys', key, {
          page_token: first.body.next_page_token,
          page_size: '2',
        }).expect(200);
        const ids = [...first.body.result, ...second.body.result].map((k: { id: string }) => k.id);
        expect(new Set(ids).size).toBe(4);
        expect(ids.map((id) => byTime.find((k) => k.id === id)!.time)).toEqual(before(base + 3000));
      });

      it.each([
        '2026-02-30T00:00:00Z',
        '2026-01-15T24:00:00Z',
        '2026-01-15T09:61:00Z',
        '2026-01-15T09:30:00+25:00',
        '2026-01-15T09:30:00.0000000001Z',
        '2026-01-15T09:30',
        '2026-01-15',
      ])('refuses %p with a 400 naming page_token', async (pageToken) => {
        const res = await sdk('get', '/v1.0/accesskeys', key, { page_token: pageToken }).expect(400);
        expectMatches(component('ErrorResponse'), res.body);
        expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(['page_token']);
      });
    });
  });
});
