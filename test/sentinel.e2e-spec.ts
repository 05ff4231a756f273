import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ADMIN_PASSWORD, ADMIN_USERNAME } from './support/env.js';
import { call, metric, until } from './support/instances.js';
import { freePort, ServiceProcess } from './support/service.js';

/** docs/scaling.md: how long a revoked credential may still be accepted elsewhere while Redis is away. */
const STATED_WINDOW_MS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Two redis-servers (a master and its replica) and one sentinel of this spec's own, then two built
 * services on one SQLite file, both given only the sentinel. A failover happens while keys cached
 * on B are deleted through A: each must be refused by B within the stated window, none ever lost.
 */
describe('revocations across a Redis Sentinel failover', () => {
  const folder = mkdtempSync(join(tmpdir(), 'voipbin-sentinel-'));
  const servers: ChildProcess[] = [];
  let ports: { master: number; replica: number; sentinel: number };
  let a: ServiceProcess;
  let b: ServiceProcess;
  let admin: string;

  const redis = (args: string[]) => {
    const child = spawn('redis-server', args, { cwd: folder, stdio: 'ignore' });
    servers.push(child);
  };
  const sentinel = () => new Redis({ port: ports.sentinel, host: '127.0.0.1', lazyConnect: true });
  const masterPort = async () => {
    const client = sentinel();
    try {
      const [, port] = (await client.call('SENTINEL', 'get-master-addr-by-name', 'mymaster')) as string[];
      return Number(port);
    } finally {
      client.disconnect();
    }
  };
  const shared = async (service: ServiceProcess) =>
    (await metric(service, 'redis_up')) === 1 &&
    (await metric(service, 'redis_revocations_subscribed')) === 1;

  beforeAll(async () => {
    ports = { master: await freePort(), replica: await freePort(), sentinel: await freePort() };
    const base = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    redis([...base, '--port', String(ports.master)]);
    redis([...base, '--port', String(ports.replica), '--replicaof', '127.0.0.1', String(ports.master)]);
    const config = join(folder, 'sentinel.conf');
    writeFileSync(
      config,
      [
        `port ${ports.sentinel}`,
        'bind 127.0.0.1',
        `dir ${folder}`,
        `sentinel monitor mymaster 127.0.0.1 ${ports.master} 1`,
        'sentinel down-after-milliseconds mymaster 1000',
        'sentinel failover-timeout mymaster 5000',
        '',
      ].join('\n'),
    );
    redis([config, '--sentinel']);
    await until('the sentinel to know the replica', async () => {
      const client = sentinel();
      try {
        const replicas = (await client.call('SENTINEL', 'replicas', 'mymaster').catch(() => [])) as unknown[];
        return replicas.length === 1;
      } finally {
        client.disconnect();
      }
    });

    const env = {
      DATABASE_URL: `sqlite:${join(folder, 'shared.sqlite')}`,
      REDIS_SENTINELS: `127.0.0.1:${ports.sentinel}`,
      REDIS_SENTINEL_NAME: 'mymaster',
      // Long enough that only a revocation, or the outage rule, can drop an entry during the test.
      AUTH_CACHE_TTL: '30',
    };
    a = await ServiceProcess.start(env);
    b = await ServiceProcess.start(env);
    await until('both instances on Redis', async () => (await shared(a)) && (await shared(b)));
    const login = await call(a, 'POST', '/auth/login', {
      body: { username: ADMIN_USERNAME, password: ADMIN_PASSWORD },
    });
    admin = login.body.token as string;
  }, 60_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    for (const server of servers) server.kill('SIGKILL');
    await Promise.all(servers.map((server) => new Promise((resolve) => server.once('exit', resolve))));
    rmSync(folder, { recursive: true, force: true });
  });

  it('loses no revocation published while the master switches', async () => {
    const keys: { id: string; token: string }[] = [];
    for (let i = 0; i < 30; i++) {
      const created = await call(a, 'POST', '/v1.0/accesskeys', { token: admin, body: { name: `k${i}` } });
      keys.push({ id: created.body.id as string, token: created.body.token as string });
    }
    for (const key of keys)
      expect((await call(b, 'GET', '/v1.0/customer', { token: key.token })).status).toBe(200);

    const client = sentinel();
    await client.call('SENTINEL', 'failover', 'mymaster');
    client.disconnect();

    // One deletion every 100 ms, through the switch and after it; B asked until it refuses each.
    const windows: number[] = [];
    for (const key of keys) {
      const deleted = await call(a, 'DELETE', `/v1.0/accesskeys/${key.id}`, { token: admin });
      expect([200, 503]).toContain(deleted.status);
      if (deleted.status === 503) continue;
      const answered = Date.now();
      while ((await call(b, 'GET', '/v1.0/customer', { token: key.token })).status === 200) {
        if (Date.now() - answered > 3 * STATED_WINDOW_MS) break;
        await sleep(50);
      }
      windows.push(Date.now() - answered);
      await sleep(100);
    }
    expect(await masterPort()).toBe(ports.replica);
    expect(windows.length).toBeGreaterThan(20);
    expect(Math.max(...windows)).toBeLessThan(STATED_WINDOW_MS);
    // After the switch both are back on the new master and share revocations again.
    await until('both instances on the new master', async () => (await shared(a)) && (await shared(b)));
  }, 60_000);
});
