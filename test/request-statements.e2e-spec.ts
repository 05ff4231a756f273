import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Pool, PoolConnection } from 'mysql2';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { LastUsedRecorder } from '../src/accesskeys/last-used.recorder.js';
import { NewNetworkRecorder } from '../src/accesskeys/new-network.recorder.js';
import { Permission } from '../src/customers/customer.entity.js';
import { login, startApp, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';
import { insertAccessKey, insertCustomer, PASSWORD } from './support/factories.js';

interface SqliteStatement {
  [method: string]: unknown;
}

/**
 * Counts every statement the database is sent from now on, below TypeORM and below the prepared
 * reads (common/prepared.ts): better-sqlite3's statements run, or mysql2's pooled connections'
 * query() and execute() (pool.execute takes a connection through getConnection too).
 */
function countStatements(ds: DataSource): { sent: string[] } {
  const counter = { sent: [] as string[] };
  const driver = ds.driver as unknown as {
    databaseConnection?: { prepare(sql: string): SqliteStatement };
    pool?: Pool;
  };
  if (ds.options.type === 'better-sqlite3') {
    const db = driver.databaseConnection!;
    const prepare = db.prepare.bind(db);
    db.prepare = (sql: string) => {
      const statement = prepare(sql);
      for (const method of ['all', 'get', 'run', 'iterate']) {
        const run = (statement[method] as (...args: unknown[]) => unknown).bind(statement);
        statement[method] = (...args: unknown[]) => {
          counter.sent.push(sql);
          return run(...args);
        };
      }
      return statement;
    };
    return counter;
  }
  const pool = driver.pool!;
  const getConnection = pool.getConnection.bind(pool);
  const counted = new WeakSet<PoolConnection>();
  pool.getConnection = (callback: (error: Error | null, connection: PoolConnection) => void) =>
    getConnection((error, connection) => {
      if (error === null && !counted.has(connection)) {
        counted.add(connection);
        for (const method of ['query', 'execute'] as const) {
          const send = (connection[method] as (...args: unknown[]) => unknown).bind(connection);
          (connection as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
            const sql = args[0] as string | { sql: string };
            counter.sent.push(typeof sql === 'string' ? sql : sql.sql);
            return send(...args);
          };
        }
      }
      callback(error, connection);
    });
  return counter;
}

describe.each(DATABASES)('the statements of a request on $name', (database) => {
  let t: TestApp;
  let counter: { sent: string[] };

  beforeAll(async () => {
    // As shipped without Redis: no credential cache, so every request asks the database.
    t = await startApp(await database.prepare('statements'), { AUTH_CACHE_TTL: '0' });
    counter = countStatements(t.ds);
  });
  afterAll(() => t.close());

  /** The statements one GET /v1.0/customer sends, after one like it (a first use writes behind it). */
  async function statementsOfOwnCustomer(authorization: string): Promise<string[]> {
    const first = await request(t.http).get('/v1.0/customer').set('authorization', authorization).expect(200);
    await t.app.get(LastUsedRecorder).flush();
    await t.app.get(NewNetworkRecorder).flush();
    counter.sent = [];
    const again = await request(t.http).get('/v1.0/customer').set('authorization', authorization).expect(200);
    expect(again.body).toEqual(first.body);
    return counter.sent;
  }

  it('GET /v1.0/customer costs one statement, with an access key and with a JWT', async () => {
    const customer = await insertCustomer(t.ds, {
      username: 'dora',
      permission: Permission.CustomerManager,
      detail: 'one statement',
    });
    const { token } = await insertAccessKey(t.ds, customer.id);
    const jwt = await login(t.http, 'dora', PASSWORD);
    for (const authorization of [`Bearer ${token}`, `Bearer ${jwt}`]) {
      const sent = await statementsOfOwnCustomer(authorization);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toContain('totp_credentials');
    }
  });
});

describe.each(DATABASES)('the profile a cached credential carries, on $name', (database) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(await database.prepare('statements_cached'), { AUTH_CACHE_TTL: '10' });
  });
  afterAll(() => t.close());

  it('is new at once after PUT /v1.0/customer, for a key and a JWT already cached', async () => {
    const customer = await insertCustomer(t.ds, { username: 'erin', permission: Permission.CustomerManager });
    const { token } = await insertAccessKey(t.ds, customer.id);
    const jwt = await login(t.http, 'erin', PASSWORD);
    const callers = [`Bearer ${token}`, `Bearer ${jwt}`];
    for (const authorization of callers) {
      const before = await request(t.http)
        .get('/v1.0/customer')
        .set('authorization', authorization)
        .expect(200);
      expect(before.body.detail).toBe('');
    }
    const changes = { detail: 'changed', name: 'Erin', webhook_uri: 'https://example.com/hook' };
    await request(t.http).put('/v1.0/customer').set('authorization', callers[0]).send(changes).expect(200);
    for (const authorization of callers) {
      const after = await request(t.http)
        .get('/v1.0/customer')
        .set('authorization', authorization)
        .expect(200);
      expect(after.body).toMatchObject(changes);
    }
  });
});
