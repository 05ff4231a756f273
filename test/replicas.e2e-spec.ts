import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { typeOrmOptions } from '../src/database/typeorm.options.js';
import { login, startApp, type TestApp } from './support/app.js';
import { insertAccessKey, insertCustomer, PASSWORD } from './support/factories.js';
import { until } from './support/instances.js';
import { MariaDbServer } from './support/mariadb-server.js';

const APP_USER = 'voipbin:app-password';

// A primary and a replica of the spec's own (whatever TEST_MYSQL_URL is, or none): the replica's
// SQL thread is stopped while the spec runs, so it lags the primary by everything written then.
describe('read replicas (DATABASE_REPLICA_URLS), on a MariaDB primary and replica of its own', () => {
  const root = mkdtempSync(join(tmpdir(), 'voipbin-replica-'));
  let primary: MariaDbServer | undefined;
  let replica: MariaDbServer | undefined;
  /** The replica's database as root: rows put there alone, and what it holds. */
  let onReplica: DataSource | undefined;
  let t: TestApp | undefined;
  let auth: string;
  let customerId: string;
  /** A key from before the replica stopped: both servers have it. */
  let old: { id: string; token: string };
  /** A key inserted on the replica alone. */
  let replicaOnly: { id: string; token: string };
  /** A key created through the service while the replica lags. */
  let created: { id: string; token: string };

  const app = () => t!.http;
  const listed = async () => {
    const res = await request(app()).get('/v1.0/accesskeys?page_size=100').set('authorization', auth);
    expect(res.status).toBe(200);
    return (res.body.result as { id: string }[]).map((key) => key.id);
  };
  const asKey = (token: string) =>
    request(app()).get('/v1.0/customer').set('authorization', `Bearer ${token}`);
  const caughtUp = async () => {
    const [{ position }] = await primary!.sql<{ position: string }>('SELECT @@gtid_binlog_pos AS position');
    const [{ waited }] = await replica!.sql<{ waited: number }>('SELECT MASTER_GTID_WAIT(?, 20) AS waited', [
      position,
    ]);
    expect(waited).toBe(0);
  };
  const replicaRow = async (id: string) =>
    (
      await replica!.sql<{ tm_delete: Date | null }>(
        'SELECT tm_delete FROM voipbin.access_keys WHERE id = ?',
        [id],
      )
    )[0];

  beforeAll(async () => {
    // Both settle before either failure is thrown, so that afterAll stops whichever started and
    // removes the folder once nothing writes there any more.
    const [started, startedReplica] = await Promise.allSettled([
      MariaDbServer.start(root, 'primary', ['--server-id=1', '--log-bin=primary-bin', '--binlog-format=ROW']),
      // read_only: the service's user cannot write there, so a write sent to it would fail.
      MariaDbServer.start(root, 'replica', ['--server-id=2', '--read-only']),
    ]);
    if (started.status === 'fulfilled') primary = started.value;
    if (startedReplica.status === 'fulfilled') replica = startedReplica.value;
    for (const result of [started, startedReplica]) if (result.status === 'rejected') throw result.reason;
    await primary!.sql(`
      CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-password';
      GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';
      CREATE DATABASE voipbin CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
      CREATE USER 'voipbin'@'127.0.0.1' IDENTIFIED BY 'app-password';
      GRANT ALL ON voipbin.* TO 'voipbin'@'127.0.0.1';`);
    await replica!.sql(`
      CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ${primary!.port}, MASTER_USER = 'repl',
        MASTER_PASSWORD = 'repl-password', MASTER_USE_GTID = slave_pos;
      START SLAVE;`);

    t = await startApp(`mariadb://${APP_USER}@127.0.0.1:${primary!.port}/voipbin`, {
      DATABASE_REPLICA_URLS: `mariadb://${APP_USER}@127.0.0.1:${replica!.port}/voipbin`,
    });
    const owner = await insertCustomer(t.ds, { username: 'replica-owner' });
    customerId = owner.id;
    auth = `Bearer ${await login(t.http, 'replica-owner', PASSWORD)}`;
    const { key, token } = await insertAccessKey(t.ds, owner.id, { name: 'old' });
    old = { id: key.id, token };
    await caughtUp();
    await replica!.sql('STOP SLAVE SQL_THREAD');

    const options = typeOrmOptions({ type: 'mariadb', url: 'mysql://root@localhost/voipbin' });
    onReplica = await new DataSource({
      ...options,
      url: undefined,
      socketPath: replica!.socket,
      username: 'root',
      database: 'voipbin',
      migrationsRun: false,
    } as DataSourceOptions).initialize();
    const inserted = await insertAccessKey(onReplica, owner.id, { name: 'only on the replica' });
    replicaOnly = { id: inserted.key.id, token: inserted.token };
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await onReplica?.destroy();
    await Promise.all([primary?.stop(), replica?.stop()]);
    rmSync(root, { recursive: true, force: true });
  }, 30_000);

  it('answers a list from the replica: a row there alone is listed, yet never lets its key in', async () => {
    expect(await listed()).toEqual(expect.arrayContaining([replicaOnly.id, old.id]));
    // Authentication asks the primary, which has no such key.
    expect((await asKey(replicaOnly.token)).status).toBe(401);
    expect((await asKey(old.token)).status).toBe(200);
  });

  it('lets a key created while the replica lags in at once, and reads it back by id from the primary', async () => {
    const res = await request(app())
      .post('/v1.0/accesskeys')
      .set('authorization', auth)
      .send({ name: 'new' });
    expect(res.status).toBe(200);
    created = { id: res.body.id as string, token: res.body.token as string };

    expect((await asKey(created.token)).status).toBe(200);
    const byId = await request(app()).get(`/v1.0/accesskeys/${created.id}`).set('authorization', auth);
    expect([byId.status, byId.body.id, byId.body.name]).toEqual([200, created.id, 'new']);
    // The list lags: it comes from the replica, which has not applied the insert.
    expect(await listed()).not.toContain(created.id);
    expect(await replicaRow(created.id)).toBeUndefined();
  });

  it('refuses a key deleted at once, while the replica still has it live', async () => {
    const res = await request(app()).delete(`/v1.0/accesskeys/${old.id}`).set('authorization', auth);
    expect(res.status).toBe(200);

    expect(await replicaRow(old.id)).toEqual({ tm_delete: null });
    expect(await listed()).toContain(old.id);
    const refused = await asKey(old.token);
    expect(refused.status).toBe(401);
    const [row] = await t!.ds.query<{ tm_delete: Date | null }[]>(
      'SELECT tm_delete FROM access_keys WHERE id = ? AND customer_id = ?',
      [old.id, customerId],
    );
    expect(row.tm_delete).not.toBeNull();
  });

  it('lists what the primary has once the replica catches up', async () => {
    await replica!.sql('START SLAVE SQL_THREAD');
    await caughtUp();
    const ids = await listed();
    expect(ids).toContain(created.id);
    expect(ids).not.toContain(old.id);
  });

  it('reads lists from the primary while the replica is silent, and from the replica once it answers again', async () => {
    replica!.pause();
    try {
      // The replica's connection times out (the deadline), and the primary answers.
      expect(await listed()).not.toContain(replicaOnly.id);
      // The replica rests: the next list goes to the primary at once, with no second deadline.
      const started = Date.now();
      expect(await listed()).not.toContain(replicaOnly.id);
      expect(Date.now() - started).toBeLessThan(2500);
    } finally {
      replica!.resume();
    }
    await until('a list from the replica', async () => (await listed()).includes(replicaOnly.id), 20_000);
  }, 40_000);

  it('reads a list from the primary while the replica is down', async () => {
    await replica!.stop();
    const ids = await listed();
    expect(ids).toContain(created.id);
    // The primary never had it.
    expect(ids).not.toContain(replicaOnly.id);
  });
});
