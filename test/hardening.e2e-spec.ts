import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { AccessKey } from '../src/accesskeys/access-key.entity.js';
import { Permission } from '../src/customers/customer.entity.js';
import { login, startApp, startAppThroughRelay, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { insertCustomer, PASSWORD, truncate } from './support/factories.js';
import type { Relay } from './support/relay.js';

const attempt = (t: TestApp, username: string, password: string, ip?: string) => {
  const req = request(t.http).post('/auth/login').send({ username, password });
  return ip ? req.set('x-forwarded-for', ip) : req;
};

describe.each(DATABASES)('login throttling on $name', (database) => {
  let url: string;
  let folder: string | undefined;
  let t: TestApp;
  let behindProxy: TestApp;
  const limits = { LOGIN_LIMIT_PER_IP: '5', LOGIN_LIMIT_PER_USERNAME: '3' };

  beforeAll(async () => {
    // Two instances in one process share Passport's strategies: give them one database (a file).
    if (database.name === 'sqlite') folder = mkdtempSync(join(tmpdir(), 'voipbin-throttling-'));
    url = folder ? `sqlite:${join(folder, 'db.sqlite')}` : await database.prepare('throttling');
  });
  afterAll(() => {
    if (folder) rmSync(folder, { recursive: true, force: true });
  });
  // Fresh instances, so that each test starts with fresh counters.
  beforeEach(async () => {
    t = await startApp(url, limits);
    behindProxy = await startApp(url, { ...limits, TRUST_PROXY: 'true' });
    await truncate(t.ds);
    await insertCustomer(t.ds, { username: 'alice' });
    await insertCustomer(t.ds, { username: 'bob', permission: Permission.CustomerAdmin });
  });
  afterEach(async () => {
    await t.close();
    await behindProxy.close();
  });

  it('refuses a username after repeated attempts with 429 and Retry-After, the right password too', async () => {
    const bobToken = await login(t.http, 'bob', PASSWORD);
    for (let i = 0; i < 3; i++) await attempt(t, 'alice', 'wrong-password').expect(401);
    const res = await attempt(t, 'ALICE', PASSWORD).expect(429);
    expect(res.body.error).toMatchObject({ status: 'RESOURCE_EXHAUSTED', reason: 'RATE_LIMIT_EXCEEDED' });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Authenticated calls go on as before.
    await request(t.http).get('/v1.0/accesskeys').set('authorization', `Bearer ${bobToken}`).expect(200);
  });

  it('refuses an address after repeated attempts, whatever the usernames', async () => {
    for (const username of ['u1', 'u2', 'u3', 'u4', 'u5']) await attempt(t, username, 'x').expect(401);
    await attempt(t, 'bob', PASSWORD).expect(429);
  });

  it('believes X-Forwarded-For only when TRUST_PROXY says so', async () => {
    for (let i = 0; i < 6; i++) await attempt(behindProxy, `p${i}`, 'x', `203.0.113.${i}`).expect(401);
    for (let i = 0; i < 5; i++) await attempt(t, `q${i}`, 'x', `198.51.100.${i}`).expect(401);
    await attempt(t, 'q5', 'x', '198.51.100.99').expect(429);
  });
});

describe.each(DATABASES)('login throttling by username and address on $name', (database) => {
  let url: string;
  let t: TestApp;
  // Strict for one username from one address, loose for a username from anywhere and an address.
  const limits = {
    LOGIN_LIMIT_PER_USERNAME_IP: '2',
    LOGIN_LIMIT_PER_USERNAME: '3',
    LOGIN_LIMIT_PER_IP: '5',
    TRUST_PROXY: 'true',
  };

  beforeAll(async () => {
    url = await database.prepare('throttling_pairs');
  });
  beforeEach(async () => {
    t = await startApp(url, limits);
    await truncate(t.ds);
    await insertCustomer(t.ds, { username: 'alice' });
  });
  afterEach(() => t.close());

  it('refuses one address after its own failures on a username, and not another address', async () => {
    for (let i = 0; i < 2; i++) await attempt(t, 'alice', 'wrong-password', '203.0.113.1').expect(401);
    const res = await attempt(t, 'alice', PASSWORD, '203.0.113.1').expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    await attempt(t, 'alice', PASSWORD, '203.0.113.2').expect(200);
  });

  it('keeps the right password working from a fresh address however long others fail on the username', async () => {
    for (let wave = 0; wave < 3; wave++) {
      for (let i = 0; i < 4; i++) {
        const ip = `203.0.113.${wave * 10 + i}`;
        expect([401, 429]).toContain((await attempt(t, 'alice', 'wrong-password', ip)).status);
        // An address that failed on the username while it is under attack waits out the window...
        if (wave > 0) await attempt(t, 'alice', 'wrong-password', ip).expect(429);
      }
      // ...while its owner, from an address of its own, logs in.
      await attempt(t, 'alice', PASSWORD, `198.51.100.${wave}`).expect(200);
    }
  });

  it('counts only failures: the right password logs in again and again', async () => {
    for (let i = 0; i < 8; i++) await attempt(t, 'alice', PASSWORD, '203.0.113.1').expect(200);
    // The successes left the counters where they were: the failures allowed are all still there.
    for (let i = 0; i < 2; i++) await attempt(t, 'alice', 'wrong-password', '203.0.113.1').expect(401);
    await attempt(t, 'alice', 'wrong-password', '203.0.113.1').expect(429);
  });

  it('does not count an attempt another limit already refused', async () => {
    for (let i = 0; i < 5; i++) await attempt(t, `u${i}`, 'x', '203.0.113.1').expect(401);
    // The address is out of attempts: these reach no other counter.
    for (let i = 0; i < 10; i++) await attempt(t, 'alice', 'wrong-password', '203.0.113.1').expect(429);
    for (let i = 0; i < 2; i++) await attempt(t, 'alice', 'wrong-password', '198.51.100.1').expect(401);
    await attempt(t, 'alice', 'wrong-password', '198.51.100.2').expect(401);
    await attempt(t, 'alice', PASSWORD, '198.51.100.3').expect(200);
  });

  it('lets no more failures through than the limit when they all arrive at once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => attempt(t, 'alice', 'wrong-password', '203.0.113.1')),
    );
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(2);
    expect(statuses.filter((s) => s !== 401).every((s) => s === 429)).toBe(true);
  });
});

describe.each(DATABASES)('login failures on $name', (database) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(await database.prepare('login_timing'));
    await truncate(t.ds);
    await insertCustomer(t.ds, { username: 'carol' });
  });
  afterAll(() => t.close());

  it('answers an unknown username and a wrong password with the same body in about the same time', async () => {
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const timed = async (username: string) => {
      const started = process.hrtime.bigint();
      const res = await attempt(t, username, 'not-the-password').expect(401);
      return { ms: Number(process.hrtime.bigint() - started) / 1e6, body: res.body as { error: object } };
    };
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 15; i++) {
      const a = await timed(`nobody-${i}`);
      const b = await timed('carol');
      unknown.push(a.ms);
      wrong.push(b.ms);
      expect({ ...a.body.error, request_id: '' }).toEqual({ ...b.body.error, request_id: '' });
    }
    // Both run one argon2id verify; without the dummy hash an unknown name answers ~20x faster.
    const ratio = median(unknown) / median(wrong);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});

// Through a TCP relay the test cuts: MySQL/MariaDB only (SQLite has no connection to lose).
for (const database of DATABASES.filter((d) => d.name === 'mysql')) {
  describe(`a database that goes away, on ${database.name}`, () => {
    let t: TestApp;
    let relay: Relay;
    let auth: string;

    beforeAll(async () => {
      const behindRelay = await startAppThroughRelay(await database.prepare('outage'));
      ({ relay } = behindRelay);
      t = behindRelay;
      await truncate(t.ds);
      await insertCustomer(t.ds, { username: 'root', permission: Permission.ProjectSuperAdmin });
      auth = `Bearer ${await login(t.http, 'root', PASSWORD)}`;
    });
    afterAll(() => t.close());

    it('answers 503 quickly while it is gone, keeps /health, and recovers without a restart or a lost write', async () => {
      const kept = await request(t.http)
        .post('/v1.0/accesskeys')
        .set('authorization', auth)
        .send({ name: 'kept' });
      expect(kept.status).toBe(200);

      relay.cut();
      const started = Date.now();
      for (const req of [
        request(t.http).get('/v1.0/accesskeys').set('authorization', auth),
        request(t.http).post('/v1.0/accesskeys').set('authorization', auth).send({ name: 'lost' }),
        request(t.http).get('/v1.0/customer').query({ accesskey: kept.body.token }),
        request(t.http).post('/auth/login').send({ username: 'root', password: PASSWORD }),
      ]) {
        const res = await req;
        expect(res.status).toBe(503);
        expect(res.body.error).toMatchObject({ status: 'UNAVAILABLE', reason: 'DATABASE_UNAVAILABLE' });
        expect(JSON.stringify(res.body)).not.toMatch(/SELECT|INSERT|127\.0\.0\.1/);
      }
      expect(Date.now() - started).toBeLessThan(20_000);
      await request(t.http).get('/health').expect(200);
      const notReady = await request(t.http).get('/ready').expect(503);
      expect(notReady.body.error).toMatchObject({ status: 'UNAVAILABLE', reason: 'DATABASE_UNAVAILABLE' });

      relay.restore();
      let res = await request(t.http).get('/v1.0/accesskeys').set('authorization', auth);
      for (let i = 0; i < 40 && res.status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        res = await request(t.http).get('/v1.0/accesskeys').set('authorization', auth);
      }
      expect(res.status).toBe(200);
      expect(res.body.result.map((k: { name: string }) => k.name)).toEqual(['kept']);
      expect(await t.ds.getRepository(AccessKey).count()).toBe(1);
      await request(t.http).get('/v1.0/customer').query({ accesskey: kept.body.token }).expect(200);
      await request(t.http).get('/ready').expect(200);
    });

    it('answers 503 within seconds when the database stops answering without closing anything', async () => {
      await request(t.http).get('/v1.0/accesskeys').set('authorization', auth).expect(200);
      relay.stall();
      const started = Date.now();
      const [read, ready, health] = await Promise.all([
        request(t.http).get('/v1.0/accesskeys').set('authorization', auth),
        request(t.http).get('/ready'),
        request(t.http).get('/health'),
      ]);
      expect([read.status, ready.status, health.status]).toEqual([503, 503, 200]);
      expect(read.body.error.reason).toBe('DATABASE_UNAVAILABLE');
      // The query timeout (5 s) or the connect timeout (5 s), not TCP's own minutes.
      expect(Date.now() - started).toBeLessThan(12_000);

      relay.restore();
      let res = await request(t.http).get('/v1.0/accesskeys').set('authorization', auth);
      for (let i = 0; i < 40 && res.status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        res = await request(t.http).get('/v1.0/accesskeys').set('authorization', auth);
      }
      expect(res.status).toBe(200);
    }, 30_000);
  });
}
