import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { ExpirySweeper } from '../src/accesskeys/expiry.sweeper.js';
import { LastUsedRecorder } from '../src/accesskeys/last-used.recorder.js';
import { sqlDatetime } from '../src/common/sql-time.js';
import type { Customer } from '../src/customers/customer.entity.js';
import { FakeClock, signJwt, startApp, type TestApp } from './support/app.js';
import { auditEvents, chainHolds } from './support/audit.js';
import { DATABASES } from './support/databases.js';
import { insertAccessKey, insertCustomer, truncate } from './support/factories.js';

const DAY = 86400;
/** The tests sweep by hand, on the clock they move. */
const NO_TIMER = { EXPIRY_SWEEP_SECONDS: '0' };

const setPolicy = (t: TestApp, customer: Customer, days: number, at: Date) =>
  t.ds.query(
    `INSERT INTO key_policies (customer_id, max_lifetime, disable_unused_days, leak_action, tm_update)
      VALUES (?, NULL, ?, 'revoke', ?)`,
    [customer.id, days, sqlDatetime(at)],
  );

const eventsOf = async (t: TestApp, customer: Customer, action: string) =>
  (await auditEvents(t.ds, customer.id)).filter((event) => event.action === action);

const jwtOf = (customer: Customer) => `Bearer ${signJwt({ gen: 0 }, { subject: customer.id })}`;

describe.each(DATABASES)('keys disabled for going unused on $name', (database) => {
  describe('of one app', () => {
    let t: TestApp;
    const clock = new FakeClock();
    let alice: Customer;
    let bob: Customer;

    beforeAll(async () => {
      t = await startApp(await database.prepare('key_disable'), NO_TIMER, clock);
    });
    afterAll(() => t.close());
    beforeEach(async () => {
      await truncate(t.ds);
      alice = await insertCustomer(t.ds, { username: 'alice' });
      bob = await insertCustomer(t.ds, { username: 'bob' });
    });
    const sweep = () => t.app.get(ExpirySweeper).disableUnused();
    const daysAgo = (days: number) => new Date(clock.now().getTime() - days * DAY * 1000);
    const key = (customer: Customer, tmCreate: Date, tmLastUsed: Date | null = null) =>
      insertAccessKey(t.ds, customer.id, {
        tmCreate,
        tmLastUsed,
        tmExpire: new Date(clock.now().getTime() + 365 * DAY * 1000),
        scopes: ['customer:read'],
        name: 'nightly',
      });
    const useByHeader = (token: string) =>
      request(t.http).get('/v1.0/customer').set('authorization', `Bearer ${token}`);
    const useByQuery = (token: string) => request(t.http).get('/v1.0/customer').query({ accesskey: token });

    it('disables the keys unused for more than N days, once each, and refuses them on header and query', async () => {
      await setPolicy(t, alice, 30, clock.now());
      // Used now (and so in the credential cache) before the clock moves on: the disable must drop it.
      const stale = await key(alice, clock.now());
      await useByHeader(stale.token).expect(200);
      await t.app.get(LastUsedRecorder).flush();
      clock.advance(31 * DAY);
      const neverUsed = await key(alice, daysAgo(31));
      const recent = await key(alice, daysAgo(60), daysAgo(29));
      const young = await key(alice, daysAgo(1));
      const bobs = await key(bob, daysAgo(100));

      await expect(sweep()).resolves.toBe(2);
      await expect(sweep()).resolves.toBe(0);

      const disabled = await eventsOf(t, alice, 'accesskey.disabled');
      expect(disabled.map((event) => event.target).sort()).toEqual(
        [`accesskey:${stale.key.id}`, `accesskey:${neverUsed.key.id}`].sort(),
      );
      for (const event of disabled) {
        expect(event.actor).toEqual({ customerId: null, via: 'system' });
        const k = event.target === `accesskey:${stale.key.id}` ? stale.key : neverUsed.key;
        expect(JSON.parse(event.data)).toEqual({ name: 'nightly', token_prefix: k.tokenPrefix, days: 30 });
        expect(event.data).not.toContain(stale.token.slice(11));
      }
      await expect(auditEvents(t.ds, bob.id)).resolves.toEqual([]);
      await expect(auditEvents(t.ds, alice.id).then(chainHolds)).resolves.toBe(true);

      for (const { token } of [stale, neverUsed]) {
        const byHeader = await useByHeader(token).expect(401);
        expect(byHeader.body.error).toMatchObject({
          status: 'UNAUTHENTICATED',
          reason: 'INVALID_CREDENTIALS',
        });
        const byQuery = await useByQuery(token).expect(401);
        expect(byQuery.body.error).toMatchObject({ reason: 'INVALID_CREDENTIALS' });
      }
      for (const { token } of [recent, young]) await useByHeader(token).expect(200);
      await useByHeader(bobs.token).expect(200);

      const shown = await request(t.http)
        .get(`/v1.0/accesskeys/${stale.key.id}`)
        .set('authorization', jwtOf(alice))
        .expect(200);
      expect(shown.body.tm_disabled).toBe(clock.now().toISOString());
      const listed = await request(t.http)
        .get('/v1.0/accesskeys')
        .set('authorization', jwtOf(alice))
        .expect(200);
      const byId = new Map(
        (listed.body.result as { id: string; tm_disabled: string | null }[]).map((k) => [
          k.id,
          k.tm_disabled,
        ]),
      );
      expect(byId.get(neverUsed.key.id)).toBe(clock.now().toISOString());
      expect(byId.get(recent.key.id)).toBeNull();
    });

    it('enables a disabled key once, which then works and is not disabled again before N more days', async () => {
      await setPolicy(t, alice, 30, clock.now());
      const stale = await key(alice, daysAgo(40));
      await expect(sweep()).resolves.toBe(1);
      clock.advance(3600);

      const enable = (id: string, customer: Customer) =>
        request(t.http).post(`/v1.0/accesskeys/${id}/enable`).set('authorization', jwtOf(customer));
      await enable(stale.key.id, bob).expect(404);
      const enabled = await enable(stale.key.id, alice).expect(200);
      expect(enabled.body).toMatchObject({
        id: stale.key.id,
        tm_disabled: null,
        tm_last_used: clock.now().toISOString(),
      });
      const again = await enable(stale.key.id, alice).expect(409);
      expect(again.body.error).toMatchObject({ reason: 'ACCESSKEY_NOT_DISABLED' });
      await request(t.http)
        .post('/v1.0/accesskeys/not-a-uuid/enable')
        .set('authorization', jwtOf(alice))
        .expect(400);

      const events = await eventsOf(t, alice, 'accesskey.enabled');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        target: `accesskey:${stale.key.id}`,
        actor: { customerId: alice.id, via: 'jwt' },
      });
      await useByHeader(stale.token).expect(200);

      await expect(sweep()).resolves.toBe(0);
      clock.advance(29 * DAY);
      await expect(sweep()).resolves.toBe(0);
      clock.advance(2 * DAY);
      await expect(sweep()).resolves.toBe(1);
      await expect(eventsOf(t, alice, 'accesskey.disabled')).resolves.toHaveLength(2);
    });

    it('leaves deleted and expired keys, and the keys of a deleted customer, alone', async () => {
      await setPolicy(t, alice, 30, clock.now());
      await setPolicy(t, bob, 30, clock.now());
      await insertAccessKey(t.ds, alice.id, { tmCreate: daysAgo(40), tmDelete: daysAgo(1) });
      await insertAccessKey(t.ds, alice.id, { tmCreate: daysAgo(40), tmExpire: daysAgo(1) });
      await key(bob, daysAgo(40));
      await t.ds.query('UPDATE customers SET tm_delete = ? WHERE id = ?', [sqlDatetime(clock.now()), bob.id]);
      await expect(sweep()).resolves.toBe(0);
    });
  });

  // Two instances need one database they both reach: MariaDB's.
  if (database.name === 'mysql') {
    describe('of two instances sweeping at once', () => {
      let a: TestApp;
      let b: TestApp;
      const clock = new FakeClock();

      beforeAll(async () => {
        const url = await database.prepare('key_disable_two');
        a = await startApp(url, NO_TIMER, clock);
        b = await startApp(url, NO_TIMER, clock);
      });
      afterAll(async () => {
        await a.close();
        await b.close();
      });

      it('disables and records each key once', async () => {
        await truncate(a.ds);
        const alice = await insertCustomer(a.ds, { username: 'alice' });
        await setPolicy(a, alice, 10, clock.now());
        const tmCreate = new Date(clock.now().getTime() - 11 * DAY * 1000);
        const tmExpire = new Date(clock.now().getTime() + 30 * DAY * 1000);
        for (let i = 0; i < 20; i += 1) await insertAccessKey(a.ds, alice.id, { tmCreate, tmExpire });

        const done = await Promise.all([
          a.app.get(ExpirySweeper).disableUnused(),
          b.app.get(ExpirySweeper).disableUnused(),
        ]);
        expect(done[0] + done[1]).toBe(20);
        const events = await eventsOf(a, alice, 'accesskey.disabled');
        expect(events).toHaveLength(20);
        expect(new Set(events.map((event) => event.target)).size).toBe(20);
        await expect(auditEvents(a.ds, alice.id).then(chainHolds)).resolves.toBe(true);
      });
    });
  }

  // The caches of other instances hear of a disable or an enable through Redis, as of a delete.
  for (const redisUrl of database.name === 'mysql' && process.env.TEST_REDIS_URL
    ? [process.env.TEST_REDIS_URL]
    : []) {
    describe('of two instances on Redis', () => {
      let a: TestApp;
      let b: TestApp;
      const clock = new FakeClock();

      beforeAll(async () => {
        const url = await database.prepare('key_disable_redis');
        a = await startApp(url, { ...NO_TIMER, REDIS_URL: redisUrl }, clock);
        b = await startApp(url, { ...NO_TIMER, REDIS_URL: redisUrl }, clock);
      });
      afterAll(async () => {
        await a.close();
        await b.close();
      });

      it("refuses on one instance, at once, a key the other's sweep disabled, and accepts it once enabled", async () => {
        await truncate(a.ds);
        const alice = await insertCustomer(a.ds, { username: 'alice' });
        await setPolicy(a, alice, 10, clock.now());
        const { key, token } = await insertAccessKey(a.ds, alice.id, {
          tmCreate: clock.now(),
          tmExpire: new Date(clock.now().getTime() + 30 * DAY * 1000),
          scopes: ['customer:read'],
        });
        const onB = () => request(b.http).get('/v1.0/customer').set('authorization', `Bearer ${token}`);
        await onB().expect(200); // now in B's cache (AUTH_CACHE_TTL=10)
        await b.app.get(LastUsedRecorder).flush();
        clock.advance(11 * DAY);

        await expect(a.app.get(ExpirySweeper).disableUnused()).resolves.toBe(1);
        await onB().expect(401);
        await request(a.http)
          .post(`/v1.0/accesskeys/${key.id}/enable`)
          .set('authorization', jwtOf(alice))
          .expect(200);
        await onB().expect(200);
      });
    });
  }
});
