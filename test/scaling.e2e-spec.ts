import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ADMIN_PASSWORD, ADMIN_USERNAME } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { METRICS_TOKEN } from './support/env.js';
import { Relay } from './support/relay.js';
import { ServiceProcess } from './support/service.js';

const REDIS_URL = process.env.TEST_REDIS_URL;
const PER_USERNAME = 3;

async function call(
  service: ServiceProcess,
  method: string,
  path: string,
  options: { token?: string; body?: object } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${service.url}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body ? { 'content-type': 'application/json' } : {}),
    },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const loginStatus = async (service: ServiceProcess, username: string, password: string) =>
  (await call(service, 'POST', '/auth/login', { body: { username, password } })).status;

const metrics = async (service: ServiceProcess) =>
  (await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();

async function redisUp(service: ServiceProcess): Promise<number> {
  return Number(/^redis_up (\d+)$/m.exec(await metrics(service))?.[1]);
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const warnings = (service: ServiceProcess, pattern: RegExp) =>
  service.logLines().filter((line) => pattern.test(String(line.msg))).length;

describe('an instance whose Redis is down from the start', () => {
  let service: ServiceProcess;
  let relay: Relay;

  beforeAll(async () => {
    // A cut relay: every connection is dropped at once, as with a stopped Redis.
    relay = new Relay('127.0.0.1', 1);
    const port = await relay.listen();
    relay.cut();
    service = await ServiceProcess.start({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      LOGIN_LIMIT_PER_USERNAME: String(PER_USERNAME),
    });
  });
  afterAll(async () => {
    await service.stop();
    await relay.close();
  });

  it('starts, serves and throttles with its own counters, and says so once', async () => {
    expect(await loginStatus(service, ADMIN_USERNAME, ADMIN_PASSWORD)).toBe(200);
    for (let i = 0; i < PER_USERNAME; i++)
      expect(await loginStatus(service, 'mallory', 'wrong-password')).toBe(401);
    expect(await loginStatus(service, 'mallory', 'wrong-password')).toBe(429);
    expect(await redisUp(service)).toBe(0);
    expect(Number(/^redis_errors_total (\d+)$/m.exec(await metrics(service))?.[1])).toBeGreaterThan(0);
    expect(warnings(service, /^Redis is unavailable/)).toBe(1);
  });

  it('shuts down on SIGTERM without waiting for Redis', async () => {
    service.signal('SIGTERM');
    expect(await service.exitCode(1000)).toBe(0);
  });
});

// Two built services as separate processes, as behind a load balancer: one database (MariaDB when
// TEST_MYSQL_URL is set, else one SQLite file) and one Redis, reached through a relay the test cuts.
// Registered only when TEST_REDIS_URL names a Redis to use.
for (const redisUrl of REDIS_URL ? [REDIS_URL] : []) {
  const mysql = DATABASES.find((d) => d.name === 'mysql');
  describe(`two instances on ${mysql ? 'MariaDB' : 'one SQLite file'} and Redis`, () => {
    // A prefix of this run's own: parallel runs never share counters, and cleanup deletes only ours.
    const keyPrefix = `voipbin-test-${randomUUID().slice(0, 8)}:`;
    let relay: Relay;
    let folder: string | undefined;
    let a: ServiceProcess;
    let b: ServiceProcess;
    let admin: string;
    let relayedUrl: string;

    beforeAll(async () => {
      const direct = new URL(redisUrl);
      relay = new Relay(direct.hostname, Number(direct.port || 6379));
      const viaRelay = new URL(redisUrl);
      viaRelay.hostname = '127.0.0.1';
      viaRelay.port = String(await relay.listen());
      let databaseUrl: string;
      if (mysql) {
        databaseUrl = await mysql.prepare('instances');
      } else {
        folder = mkdtempSync(join(tmpdir(), 'voipbin-instances-'));
        databaseUrl = `sqlite:${join(folder, 'shared.sqlite')}`;
      }
      const env = {
        DATABASE_URL: databaseUrl,
        REDIS_URL: (relayedUrl = viaRelay.toString()),
        REDIS_KEY_PREFIX: keyPrefix,
        LOGIN_LIMIT_PER_USERNAME: String(PER_USERNAME),
      };
      // One after the other: the first runs the migrations and creates the super admin.
      a = await ServiceProcess.start(env);
      b = await ServiceProcess.start(env);
      await until(
        'both instances on Redis',
        async () => (await redisUp(a)) === 1 && (await redisUp(b)) === 1,
      );
      const res = await call(a, 'POST', '/auth/login', {
        body: { username: ADMIN_USERNAME, password: ADMIN_PASSWORD },
      });
      admin = res.body.token as string;
    }, 60_000);

    afterAll(async () => {
      await a?.stop();
      await b?.stop();
      await relay.close();
      if (folder) rmSync(folder, { recursive: true, force: true });
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`${keyPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    });

    it('accepts through one instance what was created through the other, and refuses at once what was deleted', async () => {
      const created = await call(a, 'POST', '/v1.0/accesskeys', { token: admin, body: { name: 'shared' } });
      expect(created.status).toBe(200);
      const key = created.body.token as string;
      expect((await call(b, 'GET', '/v1.0/customer', { token: key })).status).toBe(200);
      // Both instances now hold the key in their caches (AUTH_CACHE_TTL=10).
      expect((await call(a, 'GET', '/v1.0/customer', { token: key })).status).toBe(200);
      // A login JWT from one instance works on the other.
      expect((await call(b, 'GET', '/v1.0/customer', { token: admin })).body.username).toBe(ADMIN_USERNAME);

      const deleted = await call(b, 'DELETE', `/v1.0/accesskeys/${created.body.id as string}`, {
        token: admin,
      });
      expect(deleted.status).toBe(200);
      // Published before the DELETE was answered: the other instance's very next request refuses it.
      const refused = await call(a, 'GET', '/v1.0/customer', { token: key });
      expect(refused.status).toBe(401);
      expect(refused.body.error).toMatchObject({ reason: 'INVALID_CREDENTIALS' });
    });

    it('refuses on one instance, at once, a JWT whose customer changed its password through the other', async () => {
      const username = `pw-${randomUUID().slice(0, 8)}`;
      const made = await call(a, 'POST', '/v1.0/customers', {
        token: admin,
        body: { username, password: 'first-password-1', permission: 32 },
      });
      expect(made.status).toBe(200);
      const login = await call(a, 'POST', '/auth/login', {
        body: { username, password: 'first-password-1' },
      });
      const jwt = login.body.token as string;
      expect((await call(b, 'GET', '/v1.0/customer', { token: jwt })).status).toBe(200);
      const changed = await call(a, 'PUT', '/v1.0/customer/password', {
        token: jwt,
        body: { old_password: 'first-password-1', new_password: 'second-password-2' },
      });
      expect(changed.status).toBe(200);
      expect((await call(b, 'GET', '/v1.0/customer', { token: jwt })).status).toBe(401);
    });

    it('narrows, at once on the other instance, the keys of a customer demoted through one', async () => {
      const username = `demoted-${randomUUID().slice(0, 8)}`;
      const made = await call(a, 'POST', '/v1.0/customers', {
        token: admin,
        body: { username, password: 'first-password-1', permission: 32 },
      });
      const jwt = (await call(a, 'POST', '/auth/login', { body: { username, password: 'first-password-1' } }))
        .body.token as string;
      const key = (await call(a, 'POST', '/v1.0/accesskeys', { token: jwt, body: {} })).body.token as string;
      // Cached on B, with its customer's admin rights.
      expect((await call(b, 'GET', '/v1.0/accesskeys', { token: key })).status).toBe(200);
      const demoted = await call(a, 'PUT', `/v1.0/customers/${made.body.id as string}`, {
        token: admin,
        body: { permission: 64 },
      });
      expect(demoted.status).toBe(200);
      const refused = await call(b, 'GET', '/v1.0/accesskeys', { token: key });
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ reason: 'PERMISSION_DENIED' });
      // What a manager may still do, the key still may.
      expect((await call(b, 'GET', '/v1.0/customer', { token: key })).status).toBe(200);
    });

    it('adds up failed logins over both instances into one 429', async () => {
      const username = `spread-${randomUUID().slice(0, 8)}`;
      expect(await loginStatus(a, username, 'wrong-password')).toBe(401);
      expect(await loginStatus(b, username, 'wrong-password')).toBe(401);
      expect(await loginStatus(a, username, 'wrong-password')).toBe(401);
      // Each instance alone has seen at most 2 of the 3 allowed.
      expect(await loginStatus(b, username, 'wrong-password')).toBe(429);
      expect(await loginStatus(a, username, 'wrong-password')).toBe(429);
    });

    it('keeps serving while Redis is gone, throttling with local counters, warning once, and shares again when it returns', async () => {
      relay.cut();
      await until(
        'both instances to see Redis gone',
        async () => (await redisUp(a)) === 0 && (await redisUp(b)) === 0,
      );

      // Logins and authenticated calls go on, on both.
      for (const service of [a, b]) {
        expect(await loginStatus(service, ADMIN_USERNAME, ADMIN_PASSWORD)).toBe(200);
        expect((await call(service, 'GET', '/v1.0/accesskeys', { token: admin })).status).toBe(200);
      }
      // Each instance counts on its own: a's attempts do not count on b.
      const username = `local-${randomUUID().slice(0, 8)}`;
      for (let i = 0; i < PER_USERNAME; i++)
        expect(await loginStatus(a, username, 'wrong-password')).toBe(401);
      expect(await loginStatus(a, username, 'wrong-password')).toBe(429);
      expect(await loginStatus(b, username, 'wrong-password')).toBe(401);

      // Reconnection attempts go on meanwhile; still one warning per instance for the outage.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      for (const service of [a, b]) {
        expect(warnings(service, /^Redis is unavailable/)).toBe(1);
        // A REDIS_URL may hold a password: no log line quotes it.
        expect(service.output.join('\n')).not.toContain(relayedUrl);
      }

      relay.restore();
      await until(
        'both instances back on Redis',
        async () => (await redisUp(a)) === 1 && (await redisUp(b)) === 1,
      );
      // Log lines are written asynchronously: the line may come a moment after the gauge.
      await until('both instances to say so', async () =>
        Promise.resolve([a, b].every((service) => warnings(service, /^Redis is back/) === 1)),
      );
      const shared = `shared-${randomUUID().slice(0, 8)}`;
      expect(await loginStatus(b, shared, 'wrong-password')).toBe(401);
      expect(await loginStatus(a, shared, 'wrong-password')).toBe(401);
      expect(await loginStatus(b, shared, 'wrong-password')).toBe(401);
      expect(await loginStatus(a, shared, 'wrong-password')).toBe(429);
    }, 30_000);

    it('answers logins without waiting on a Redis that stops answering without closing anything', async () => {
      relay.stall();
      try {
        const started = Date.now();
        expect(await loginStatus(a, ADMIN_USERNAME, ADMIN_PASSWORD)).toBe(200);
        expect(await loginStatus(b, `stalled-${randomUUID().slice(0, 8)}`, 'wrong-password')).toBe(401);
        // Redis's command timeout (500 ms) per login at most, not TCP's minutes.
        expect(Date.now() - started).toBeLessThan(2500);
      } finally {
        relay.restore();
      }
      await until(
        'both instances back on Redis',
        async () => (await redisUp(a)) === 1 && (await redisUp(b)) === 1,
      );
    }, 30_000);
  });
}
