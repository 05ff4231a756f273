import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { Permission } from '../src/customers/customer.entity.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME, login, startApp, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { insertCustomer, PASSWORD, truncate } from './support/factories.js';
import { ServiceProcess } from './support/service.js';

const ROUNDS = 20;
const SUPER_ADMIN = Permission.ProjectSuperAdmin | Permission.CustomerAdmin;

interface Answer {
  status: number;
  body: { id?: string; token?: string; result?: { id: string; permission: number }[] };
}

type Request = [method: string, path: string, token: string, body?: object];

/** Sends a request to one instance with a bearer credential: how the race is run. */
type Call = (instance: number, ...request: Request) => Promise<Answer>;

interface Admin {
  id: string;
  token: string;
}

type Removal = 'demote' | 'delete';

/** Every way a super admin can remove another, as a request with the remover's token. */
const REMOVALS: Record<Removal, (target: string, token: string) => Request> = {
  demote: (target, token) => [
    'PUT',
    `/v1.0/customers/${target}`,
    token,
    { permission: Permission.CustomerAdmin },
  ],
  delete: (target, token) => ['DELETE', `/v1.0/customers/${target}`, token],
};

/**
 * Rounds of two super admins removing each other at the same moment, each through its own
 * instance (the same one in a single-instance run): one removal wins, the other is refused
 * (409 LAST_SUPER_ADMIN, or 401/403 when the loser was already removed by the time it
 * authenticated), and one live super admin is always left. The survivor makes the next round's rival.
 */
async function race(call: Call, first: Admin, mode: Removal | 'mixed'): Promise<void> {
  let survivor = first;
  for (let round = 0; round < ROUNDS; round++) {
    const username = `rival-${randomUUID().slice(0, 8)}`;
    const made = await call(0, 'POST', '/v1.0/customers', survivor.token, {
      username,
      password: 'a rival password',
      permission: SUPER_ADMIN,
    });
    expect(made.status).toBe(200);
    const login = await call(0, 'POST', '/auth/login', '', { username, password: 'a rival password' });
    const rival: Admin = { id: made.body.id!, token: login.body.token! };

    const [kindA, kindB]: Removal[] =
      mode === 'mixed' ? (round % 2 ? ['demote', 'delete'] : ['delete', 'demote']) : [mode, mode];
    const [answerA, answerB] = await Promise.all([
      call(0, ...REMOVALS[kindA](rival.id, survivor.token)),
      call(1, ...REMOVALS[kindB](survivor.id, rival.token)),
    ]);
    const statuses = [answerA.status, answerB.status];
    expect([round, statuses.filter((s) => s === 200).length]).toEqual([round, 1]);
    expect([401, 403, 409]).toContain(statuses.find((s) => s !== 200));
    const winner = answerA.status === 200 ? survivor : rival;

    const live = await call(0, 'GET', '/v1.0/customers?page_size=100', winner.token);
    expect(live.status).toBe(200);
    const supers = live.body.result!.filter((c) => (c.permission & Permission.ProjectSuperAdmin) !== 0);
    expect([round, supers.map((c) => c.id)]).toEqual([round, [winner.id]]);
    survivor = winner;
  }
}

describe.each(DATABASES)('the last super admin on $name, under concurrent removals', (database) => {
  let t: TestApp;
  let first: Admin;
  const call: Call = async (_instance, method, path, token, body) => {
    let req = request(t.http)[method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'](path);
    if (token) req = req.set('authorization', `Bearer ${token}`);
    const res = await (body === undefined ? req : req.send(body));
    return { status: res.status, body: res.body as Answer['body'] };
  };

  beforeAll(async () => {
    t = await startApp(await database.prepare('super_admins'));
  });
  afterAll(() => t.close());
  // One super admin to start from.
  beforeEach(async () => {
    await truncate(t.ds);
    const customer = await insertCustomer(t.ds, { username: 'first', permission: SUPER_ADMIN });
    first = { id: customer.id, token: await login(t.http, 'first', PASSWORD) };
  });

  it.each(['demote', 'delete', 'mixed'] as const)(
    'always leaves one when two %s each other at once, round after round',
    (mode) => race(call, first, mode),
    120_000,
  );
});

// Two built services on one database: on SQLite, two processes writing one file; on MariaDB, two
// connection pools.
describe.each(DATABASES)('the last super admin on $name, across two instances', (database) => {
  let folder: string | undefined;
  let instances: ServiceProcess[] = [];
  let call: Call;

  beforeAll(async () => {
    let databaseUrl: string;
    if (database.name === 'mysql') {
      databaseUrl = await database.prepare('super_admins_instances');
    } else {
      folder = mkdtempSync(join(tmpdir(), 'voipbin-super-admins-'));
      databaseUrl = `sqlite:${join(folder, 'shared.sqlite')}`;
    }
    // One after the other: the first runs the migrations and creates the super admin.
    instances = [await ServiceProcess.start({ DATABASE_URL: databaseUrl })];
    instances.push(await ServiceProcess.start({ DATABASE_URL: databaseUrl }));
    call = async (instance, method, path, token, body) => {
      const res = await fetch(`${instances[instance].url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as Answer['body'] };
    };
  }, 60_000);
  afterAll(async () => {
    for (const instance of instances) await instance.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('always leaves one when two demote or delete each other at once, round after round', async () => {
    const res = await call(0, 'POST', '/auth/login', '', {
      username: ADMIN_USERNAME,
      password: ADMIN_PASSWORD,
    });
    const me = await call(0, 'GET', '/v1.0/customer', res.body.token!);
    await race(call, { id: me.body.id!, token: res.body.token! }, 'mixed');
  }, 120_000);
});
