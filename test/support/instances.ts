import { METRICS_TOKEN } from './env.js';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { DATABASES } from './databases.js';
import { Relay } from './relay.js';
import { ServiceProcess } from './service.js';

/** One request to a built service, JSON both ways. */
export async function call(
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
  const text = await res.text(); // a 204 has no body
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

/** A gauge or counter without labels, from the service's /metrics. */
export async function metric(service: ServiceProcess, name: string): Promise<number> {
  const headers = { authorization: `Bearer ${METRICS_TOKEN}` };
  const text = await (await fetch(`${service.url}/metrics`, { headers })).text();
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
}

export async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface Instances {
  a: ServiceProcess;
  b: ServiceProcess;
  /** A's and B's links to Redis, each through a relay of its own. */
  relays: [Relay, Relay];
  /** The REDIS_URL each instance was given (through its relay). */
  redisUrls: [string, string];
  stop(): Promise<void>;
}

/**
 * Two built services as separate processes, as behind a load balancer: one database (MariaDB when
 * TEST_MYSQL_URL is set, else one SQLite file) and one Redis, reached through the relays,
 * under a key prefix of this run's own (parallel runs never share counters, and `stop` deletes only
 * its own keys). A starts first: it runs the migrations and creates the super admin.
 */
export async function startInstances(
  redisUrl: string,
  label: string,
  env: NodeJS.ProcessEnv,
): Promise<Instances> {
  const keyPrefix = `voipbin-test-${randomUUID().slice(0, 8)}:`;
  const direct = new URL(redisUrl);
  const relays: [Relay, Relay] = [0, 1].map(
    () => new Relay(direct.hostname, Number(direct.port || 6379)),
  ) as [Relay, Relay];
  const redisUrls = (await Promise.all(
    relays.map(async (relay) => {
      const url = new URL(redisUrl);
      url.hostname = '127.0.0.1';
      url.port = String(await relay.listen());
      return url.toString();
    }),
  )) as [string, string];
  const mysql = DATABASES.find((d) => d.name === 'mysql');
  const folder = mysql ? undefined : mkdtempSync(join(tmpdir(), 'voipbin-instances-'));
  const shared = {
    DATABASE_URL: mysql ? await mysql.prepare(label) : `sqlite:${join(folder!, 'shared.sqlite')}`,
    REDIS_KEY_PREFIX: keyPrefix,
    ...env,
  };
  const a = await ServiceProcess.start({ ...shared, REDIS_URL: redisUrls[0] });
  const b = await ServiceProcess.start({ ...shared, REDIS_URL: redisUrls[1] });
  return {
    a,
    b,
    relays,
    redisUrls,
    async stop() {
      await a.stop();
      await b.stop();
      for (const relay of relays) await relay.close();
      if (folder) rmSync(folder, { recursive: true, force: true });
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`${keyPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
}
