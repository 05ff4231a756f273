import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ADMIN_PASSWORD, ADMIN_USERNAME } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { call, metric, startInstances, until, type Instances } from './support/instances.js';
import type { Relay } from './support/relay.js';
import type { ServiceProcess } from './support/service.js';

const REDIS_URL = process.env.TEST_REDIS_URL;
/** docs/scaling.md: how long a revoked credential may still be accepted elsewhere while Redis is away. */
const STATED_WINDOW_MS = 1000;
/** What a DELETE may take while Redis is silent: the database's part, and a short wait for Redis. */
const DELETE_MS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const redisUp = (service: ServiceProcess) => metric(service, 'redis_up');
/** Up, and subscribed: what the other instance publishes reaches this one. */
const shared = async (service: ServiceProcess) =>
  (await redisUp(service)) === 1 && (await metric(service, 'redis_revocations_subscribed')) === 1;

// Two built services sharing one database and one Redis, which each reaches through a relay the
// test cuts or black-holes. Registered only when TEST_REDIS_URL names a Redis to use.
for (const redisUrl of REDIS_URL ? [REDIS_URL] : []) {
  const mysql = DATABASES.find((d) => d.name === 'mysql');
  describe(`revocations between two instances whose Redis goes away, on ${mysql ? 'MariaDB' : 'one SQLite file'}`, () => {
    let instances: Instances;
    let relays: Relay[];
    let a: ServiceProcess;
    let b: ServiceProcess;
    let admin: string;

    beforeAll(async () => {
      // Long enough that only a revocation, or the outage rules, can drop an entry in a round.
      instances = await startInstances(redisUrl, 'revocations', { AUTH_CACHE_TTL: '30' });
      ({ a, b, relays } = instances);
      await bothOnRedis();
      const res = await call(a, 'POST', '/auth/login', {
        body: { username: ADMIN_USERNAME, password: ADMIN_PASSWORD },
      });
      admin = res.body.token as string;
    }, 60_000);
    afterAll(() => instances?.stop());

    const cut = () => relays.forEach((relay) => relay.cut());
    const stall = () => relays.forEach((relay) => relay.stall());
    const restore = () => relays.forEach((relay) => relay.restore());
    const bothOnRedis = () =>
      until('both instances on Redis', async () => (await shared(a)) && (await shared(b)));

    /**
     * A key both instances hold in their caches; then the fault; then the key deleted through A.
     * How long A took to answer the DELETE, and how long after that answer B still accepted the key.
     */
    async function revokeDuring(
      fault: () => void,
      after: number,
    ): Promise<{ deleteMs: number; windowMs: number }> {
      const created = await call(a, 'POST', '/v1.0/accesskeys', { token: admin, body: { name: 'cached' } });
      const key = created.body.token as string;
      for (const service of [a, b])
        expect((await call(service, 'GET', '/v1.0/customer', { token: key })).status).toBe(200);
      fault();
      await sleep(after);
      const started = Date.now();
      const deleted = await call(a, 'DELETE', `/v1.0/accesskeys/${created.body.id as string}`, {
        token: admin,
      });
      const answered = Date.now();
      expect(deleted.status).toBe(200);
      // Asked every 50 ms; well past the stated window, the test stops and reports.
      while ((await call(b, 'GET', '/v1.0/customer', { token: key })).status === 200) {
        if (Date.now() - answered > 3 * STATED_WINDOW_MS) break;
        await sleep(50);
      }
      return { deleteMs: answered - started, windowMs: Date.now() - answered };
    }

    it('refuses a revoked key on the other instance within the stated window when their link to Redis is cut', async () => {
      for (const after of [0, 300, 1500]) {
        try {
          const { windowMs } = await revokeDuring(cut, after);
          expect(windowMs).toBeLessThan(STATED_WINDOW_MS);
        } finally {
          restore();
        }
        await bothOnRedis();
      }
    }, 60_000);

    it('refuses it within the stated window, and answers the DELETE at once, when the link goes silent', async () => {
      for (const after of [0, 300, 1500]) {
        try {
          const { deleteMs, windowMs } = await revokeDuring(stall, after);
          expect(deleteMs).toBeLessThan(DELETE_MS);
          expect(windowMs).toBeLessThan(STATED_WINDOW_MS);
          // Found silent by the heartbeat, not left for TCP to notice in minutes.
          await until(
            'both instances to see Redis gone',
            async () => (await redisUp(a)) === 0 && (await redisUp(b)) === 0,
            STATED_WINDOW_MS,
          );
        } finally {
          restore();
        }
        await bothOnRedis();
      }
    }, 60_000);

    it('refuses on the other instance, as soon as Redis is back, what was revoked through an instance that could not publish it', async () => {
      const created = await call(a, 'POST', '/v1.0/accesskeys', {
        token: admin,
        body: { name: 'unpublished' },
      });
      const key = created.body.token as string;
      expect((await call(b, 'GET', '/v1.0/customer', { token: key })).status).toBe(200);
      // Only A loses Redis: B stays subscribed, and keeps what it cached.
      relays[0].cut();
      try {
        await until('A to see Redis gone', async () => (await redisUp(a)) === 0);
        expect(
          (await call(a, 'DELETE', `/v1.0/accesskeys/${created.body.id as string}`, { token: admin })).status,
        ).toBe(200);
        expect((await call(b, 'GET', '/v1.0/customer', { token: key })).status).toBe(200);
      } finally {
        relays[0].restore();
      }
      await bothOnRedis();
      await until(
        'B to refuse the key',
        async () => (await call(b, 'GET', '/v1.0/customer', { token: key })).status === 401,
        STATED_WINDOW_MS,
      );
    }, 30_000);
  });
}
