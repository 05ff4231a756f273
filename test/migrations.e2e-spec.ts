import { afterAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { loadConfig, type AppConfig } from '../src/config/app-config.js';
import { migrateForStart, openDatabase, runMigrations } from '../src/database/migrator.js';
import { MIGRATIONS } from '../src/database/typeorm.options.js';
import { AccessKey } from '../src/accesskeys/access-key.entity.js';
import { Session } from '../src/sessions/session.entity.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { insertAccessKey, insertCustomer } from './support/factories.js';
import { TEST_ENV } from './support/env.js';

const quiet = { info: () => undefined, warn: () => undefined };
/** What a kill can leave behind: every statement that changes the schema or the migrations' record. */
const CHANGE = /^\s*(CREATE|ALTER|DROP|INSERT|RENAME)\b/i;

/** The schema as the service relies on it: columns with their types, indexes and foreign keys. */
async function schema(dataSource: DataSource) {
  const runner = dataSource.createQueryRunner();
  try {
    const tables = await runner.getTables(dataSource.entityMetadatas.map((entity) => entity.tableName));
    const recorded = (await dataSource.query('SELECT name FROM migrations')) as { name: string }[];
    return {
      tables: Object.fromEntries(
        tables.map((table) => [
          table.name.split('.').at(-1),
          {
            columns: table.columns
              .map(
                (c) => `${c.name} ${c.type}(${c.length}) ${c.isNullable ? 'null' : 'not null'} ${c.default}`,
              )
              .sort(),
            indices: table.indices.map((i) => `${i.name} ${i.columnNames.join(',')} ${i.isUnique}`).sort(),
            foreignKeys: table.foreignKeys.map((fk) => fk.name ?? '').sort(),
          },
        ]),
      ),
      recorded: recorded.map((row) => row.name).sort(),
    };
  } finally {
    await runner.release();
  }
}

describe.each(DATABASES)('migrations cut short on $name', (database: TestDatabase) => {
  const folder = mkdtempSync(join(tmpdir(), 'voipbin-migrations-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  /** A new, empty database for each round (SQLite in a file: the migrator opens its own connection). */
  let files = 0;
  const fresh = async (label: string): Promise<AppConfig> =>
    loadConfig({
      ...TEST_ENV,
      DATABASE_URL:
        database.name === 'sqlite'
          ? `sqlite:${join(folder, `${files++}.sqlite`)}`
          : await database.prepare(label),
    });

  const schemaOf = async (config: AppConfig) => {
    const dataSource = await openDatabase(config.database, quiet);
    try {
      return await schema(dataSource);
    } finally {
      await dataSource.destroy();
    }
  };

  /**
   * Runs the migrations as start-up does, stopped before the change after the first `k`: on MySQL
   * what it did so far stays (each DDL statement commits itself), as after a kill at that moment.
   * Resolves false when the run needed no more than `k` changes.
   */
  const cutAfter = async (config: AppConfig, k: number): Promise<boolean> => {
    const dataSource = await openDatabase(config.database, quiet);
    const createQueryRunner = dataSource.createQueryRunner.bind(dataSource);
    let changes = 0;
    dataSource.createQueryRunner = (...args) => {
      const runner = createQueryRunner(...args);
      const query = runner.query.bind(runner) as (...a: unknown[]) => Promise<unknown>;
      (runner as { query: (...a: unknown[]) => Promise<unknown> }).query = (...a: unknown[]) => {
        if (typeof a[0] === 'string' && CHANGE.test(a[0]) && changes++ === k) {
          return Promise.reject(new Error('cut'));
        }
        return query(...a);
      };
      return runner;
    };
    try {
      await runMigrations(dataSource, quiet);
      return false;
    } catch (error) {
      expect(String(error)).toMatch(/cut/);
      return true;
    } finally {
      await dataSource.destroy();
    }
  };

  it('completes the schema on the next start, whichever statement the previous run stopped before', async () => {
    const reference = await fresh('migrations_reference');
    await migrateForStart(reference, quiet);
    const expected = await schemaOf(reference);
    expect(expected.recorded).toHaveLength(MIGRATIONS.length);
    expect(Object.keys(expected.tables).sort()).toEqual([
      'access_keys',
      'customers',
      'key_policies',
      'recovery_codes',
      'sessions',
      'totp_credentials',
    ]);

    let k = 0;
    for (; ; k++) {
      const config = await fresh('migrations_cut');
      if (!(await cutAfter(config, k))) break;
      await migrateForStart(config, quiet);
      expect({ k, schema: await schemaOf(config) }).toEqual({ k, schema: expected });
    }
    // Every statement of every migration was a cut point.
    expect(k).toBeGreaterThanOrEqual(10);
  }, 300_000);

  it('keeps the keys and sessions when it drops their foreign keys (SQLite copies the tables)', async () => {
    const config = await fresh('migrations_foreign_keys');
    const dataSource = await openDatabase(config.database, quiet);
    try {
      await runMigrations(dataSource, quiet);
      await dataSource.undoLastMigration();
      const before = await schema(dataSource);
      expect(before.tables.access_keys.foreignKeys).toEqual(['FK_access_keys_customer']);
      expect(before.tables.sessions.foreignKeys).toEqual(['FK_sessions_customer']);

      const customer = await insertCustomer(dataSource);
      const { key } = await insertAccessKey(dataSource, customer.id);
      const at = new Date('2026-12-03T10:00:00.000Z');
      const session = dataSource.getRepository(Session).create({
        id: randomUUID(),
        customerId: customer.id,
        clientIp: '192.0.2.1',
        userAgent: 'test',
        tmCreate: at,
        tmLastSeen: at,
        tmExpire: new Date(at.getTime() + 3600_000),
        tmEnd: null,
      });
      await dataSource.getRepository(Session).insert(session);
      const rows = async () => ({
        keys: await dataSource
          .getRepository(AccessKey)
          .find({ select: { id: true, tokenHash: true, customerId: true } }),
        sessions: await dataSource.getRepository(Session).find(),
      });
      const kept = await rows();
      expect(kept.keys.map((k) => k.id)).toEqual([key.id]);
      expect(kept.sessions.map((s) => s.id)).toEqual([session.id]);

      expect(await runMigrations(dataSource, quiet)).toEqual(['NoForeignKeys1797000000000']);
      const after = await schema(dataSource);
      expect(after.tables.access_keys.foreignKeys).toEqual([]);
      expect(after.tables.sessions.foreignKeys).toEqual([]);
      expect(await rows()).toEqual(kept);
    } finally {
      await dataSource.destroy();
    }
  });
});
