import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { hashAccessKeyToken } from '../src/accesskeys/access-key-token.js';
import { ExpirySweeper } from '../src/accesskeys/expiry.sweeper.js';
import { KeyNetworksRepository } from '../src/accesskeys/key-networks.repository.js';
import { NewNetworkRecorder } from '../src/accesskeys/new-network.recorder.js';
import type { Customer } from '../src/customers/customer.entity.js';
import { FakeClock, signJwt, startApp, type TestApp } from './support/app.js';
import { auditEvents, auditText, chainHolds } from './support/audit.js';
import { DATABASES } from './support/databases.js';
import { insertAccessKey, insertCustomer, truncate } from './support/factories.js';

const DAY = 86400;
/** The tests sweep by hand, on the clock they move. */
const NO_TIMER = { EXPIRY_SWEEP_SECONDS: '0', TRUST_PROXY: 'true' };

const notices = async (t: TestApp, customer: Customer) =>
  (await auditEvents(t.ds, customer.id))
    .filter((event) => event.action.startsWith('accesskey.expir'))
    .map((event) => ({
      action: event.action,
      target: event.target,
      data: JSON.parse(event.data) as unknown,
    }));

describe.each(DATABASES)('access key expiry notices on $name', (database) => {
  describe('of one app', () => {
    let t: TestApp;
    const clock = new FakeClock();
    let alice: Customer;

    beforeAll(async () => {
      t = await startApp(await database.prepare('expiry'), NO_TIMER, clock);
    });
    afterAll(() => t.close());
    beforeEach(async () => {
      await truncate(t.ds);
      alice = await insertCustomer(t.ds, { username: 'alice' });
    });
    const sweep = () => t.app.get(ExpirySweeper).sweep();

    it('sends 30, 7 and 1 days before tm_expire and once after, each once', async () => {
      const tmExpire = new Date(clock.now().getTime() + 40 * DAY * 1000);
      const { key, token } = await insertAccessKey(t.ds, alice.id, { tmExpire });
      const target = `accesskey:${key.id}`;
      const data = (days?: number) => ({ tm_expire: tmExpire.toISOString(), ...(days && { days }) });

      await expect(sweep()).resolves.toBe(0);
      clock.advance(11 * DAY); // 29 days left
      await expect(sweep()).resolves.toBe(1);
      await expect(sweep()).resolves.toBe(0);
      clock.advance(20 * DAY); // 9 days left: still nothing new
      await expect(sweep()).resolves.toBe(0);
      clock.advance(3 * DAY); // 6 days left
      await expect(sweep()).resolves.toBe(1);
      clock.advance(5.5 * DAY); // half a day left
      await expect(sweep()).resolves.toBe(1);
      await expect(sweep()).resolves.toBe(0);
      clock.advance(DAY); // expired half a day ago
      await expect(sweep()).resolves.toBe(1);
      clock.advance(DAY);
      await expect(sweep()).resolves.toBe(0);

      await expect(notices(t, alice)).resolves.toEqual([
        { action: 'accesskey.expiring', target, data: data(30) },
        { action: 'accesskey.expiring', target, data: data(7) },
        { action: 'accesskey.expiring', target, data: data(1) },
        { action: 'accesskey.expired', target, data: data() },
      ]);
      for (const event of await auditEvents(t.ds, alice.id))
        expect(event.actor).toEqual({ customerId: null, via: 'system' });
      await expect(auditEvents(t.ds, alice.id).then(chainHolds)).resolves.toBe(true);
      const text = await auditText(t.ds);
      expect(text).not.toContain(token);
      expect(text).not.toContain(hashAccessKeyToken(token));
    });

    it('sends only the window a key is in, and nothing for a deleted key', async () => {
      const now = clock.now().getTime();
      const { key } = await insertAccessKey(t.ds, alice.id, { tmExpire: new Date(now + 5 * DAY * 1000) });
      await insertAccessKey(t.ds, alice.id, {
        tmExpire: new Date(now + 5 * DAY * 1000),
        tmDelete: new Date(now),
      });

      await expect(sweep()).resolves.toBe(1);
      await expect(notices(t, alice)).resolves.toEqual([
        expect.objectContaining({
          action: 'accesskey.expiring',
          target: `accesskey:${key.id}`,
          data: expect.objectContaining({ days: 7 }),
        }),
      ]);
    });

    it('tells every key-authenticated answer, errors included, when the key expires, and no JWT one', async () => {
      const tmExpire = new Date(clock.now().getTime() + 3 * DAY * 1000);
      const { token } = await insertAccessKey(t.ds, alice.id, { tmExpire, scopes: ['customer:read'] });
      const byKey = await request(t.http)
        .get('/v1.0/customer')
        .set('authorization', `Bearer ${token}`)
        .expect(200);
      expect(byKey.headers['accesskey-expires']).toBe(tmExpire.toISOString());
      const refused = await request(t.http)
        .get('/v1.0/accesskeys')
        .set('authorization', `Bearer ${token}`)
        .expect(403);
      expect(refused.headers['accesskey-expires']).toBe(tmExpire.toISOString());

      const jwt = signJwt({ gen: 0 }, { subject: alice.id });
      const byJwt = await request(t.http)
        .get('/v1.0/customer')
        .set('authorization', `Bearer ${jwt}`)
        .expect(200);
      expect(byJwt.headers['accesskey-expires']).toBeUndefined();
    });

    it('records accesskey.used_from_new_network once per /24 or /48 in 30 days, off the request path', async () => {
      const { key, token } = await insertAccessKey(t.ds, alice.id, {
        tmExpire: new Date(clock.now().getTime() + 90 * DAY * 1000),
        scopes: ['customer:read'],
      });
      const use = (ip: string) =>
        request(t.http)
          .get('/v1.0/customer')
          .set('authorization', `Bearer ${token}`)
          .set('x-forwarded-for', ip)
          .expect(200);
      const networks = async () =>
        (await auditEvents(t.ds, alice.id))
          .filter((event) => event.action === 'accesskey.used_from_new_network')
          .map((event) => [event.origin.ip, (JSON.parse(event.data) as { network: string }).network]);
      const flush = () => t.app.get(NewNetworkRecorder).flush();

      await use('198.51.100.7');
      await expect(networks()).resolves.toEqual([]); // nothing written by the request itself
      await use('198.51.100.200');
      await use('2001:db8:1:2::1');
      await flush();
      await use('198.51.100.9');
      await use('2001:db8:1:ffff::2');
      clock.advance(2 * DAY);
      await use('198.51.100.10');
      await flush();
      await expect(networks()).resolves.toEqual([
        ['198.51.100.7', '198.51.100.0/24'],
        ['2001:db8:1:2::1', '2001:db8:1::/48'],
      ]);
      const [event] = (await auditEvents(t.ds, alice.id)).filter(
        (e) => e.action === 'accesskey.used_from_new_network',
      );
      expect(event?.actor).toEqual({
        customerId: alice.id,
        via: 'accesskey',
        keyId: key.id,
        keyPrefix: token.slice(0, 11),
      });

      clock.advance(29 * DAY); // seen 2 days in: still known
      await use('198.51.100.11');
      await flush();
      await expect(networks()).resolves.toHaveLength(2);
      clock.advance(31 * DAY); // unseen 31 days: new again
      await use('198.51.100.12');
      await use('203.0.113.5');
      await flush();
      await expect(networks()).resolves.toEqual([
        ['198.51.100.7', '198.51.100.0/24'],
        ['2001:db8:1:2::1', '2001:db8:1::/48'],
        ['198.51.100.12', '198.51.100.0/24'],
        ['203.0.113.5', '203.0.113.0/24'],
      ]);
      await expect(auditEvents(t.ds, alice.id).then(chainHolds)).resolves.toBe(true);
      const text = await auditText(t.ds);
      expect(text).not.toContain(token);
      expect(text).not.toContain(hashAccessKeyToken(token));
    });

    it('goes through more keys than one batch', async () => {
      const tmExpire = new Date(clock.now().getTime() + 12 * 3600_000);
      await Promise.all(Array.from({ length: 510 }, () => insertAccessKey(t.ds, alice.id, { tmExpire })));
      await expect(sweep()).resolves.toBe(510);
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
        const url = await database.prepare('expiry_two');
        a = await startApp(url, NO_TIMER, clock);
        b = await startApp(url, NO_TIMER, clock);
      });
      afterAll(async () => {
        await a.close();
        await b.close();
      });

      it('sends each notice once', async () => {
        await truncate(a.ds);
        const alice = await insertCustomer(a.ds, { username: 'alice' });
        const bob = await insertCustomer(a.ds, { username: 'bob' });
        const tmExpire = new Date(clock.now().getTime() + 20 * DAY * 1000);
        for (let i = 0; i < 30; i += 1) await insertAccessKey(a.ds, i % 2 ? alice.id : bob.id, { tmExpire });

        const sent = await Promise.all([a.app.get(ExpirySweeper).sweep(), b.app.get(ExpirySweeper).sweep()]);
        expect(sent[0] + sent[1]).toBe(30);
        const events = [...(await notices(a, alice)), ...(await notices(a, bob))];
        expect(events).toHaveLength(30);
        expect(new Set(events.map((event) => event.target)).size).toBe(30);
        await expect(auditEvents(a.ds, alice.id).then(chainHolds)).resolves.toBe(true);
        await expect(auditEvents(a.ds, bob.id).then(chainHolds)).resolves.toBe(true);
      });

      it("records a key's new network once", async () => {
        await truncate(a.ds);
        const alice = await insertCustomer(a.ds, { username: 'alice' });
        const { key } = await insertAccessKey(a.ds, alice.id);
        const event = {
          customerId: alice.id,
          action: 'accesskey.used_from_new_network' as const,
          target: `accesskey:${key.id}`,
          actor: { customerId: alice.id, via: 'accesskey' as const, keyId: key.id },
          origin: { ip: '198.51.100.7', userAgent: '', requestId: '' },
          data: { network: '198.51.100.0/24' },
        };
        const seen = (t: TestApp, after: number) =>
          t.app
            .get(KeyNetworksRepository)
            .seen(key.id, '198.51.100.0/24', new Date(clock.now().getTime() + after), event);
        const first = await Promise.all([seen(a, 0), seen(b, 1), seen(a, 2), seen(b, 3)]);
        expect(first.filter(Boolean)).toHaveLength(1);
        const renewed = await Promise.all([seen(a, 31 * DAY * 1000), seen(b, 31 * DAY * 1000 + 1)]);
        expect(renewed.filter(Boolean)).toHaveLength(1);
        const events = (await auditEvents(a.ds, alice.id)).filter(
          (e) => e.action === 'accesskey.used_from_new_network',
        );
        expect(events).toHaveLength(2);
      });
    });
  }
});
