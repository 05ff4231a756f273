import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config/app-config.js';
import { openDatabase, runMigrations } from '../src/database/migrator.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { TEST_ENV } from './support/env.js';

const quiet = { info: () => undefined, warn: () => undefined };
const root = resolve(import.meta.dirname, '..');

/**
 * The foreign keys the schema has, each RESTRICT: a sharded engine (Vitess, TiDB) must enforce them
 * within one customer's shard, which holds both ends. A new one must be added here on purpose.
 */
const RESTRICTING_FOREIGN_KEYS = ['access_keys.FK_access_keys_customer', 'sessions.FK_sessions_customer'];

describe.each(DATABASES)('the schema for distributed SQL on $name', (database: TestDatabase) => {
  it('has no triggers and no cascading foreign keys once migrated', async () => {
    const config = loadConfig({ ...TEST_ENV, DATABASE_URL: await database.prepare('distributed_sql') });
    const dataSource = await openDatabase(config.database, quiet);
    try {
      await runMigrations(dataSource, quiet);
      const triggers =
        database.name === 'sqlite'
          ? await dataSource.query("SELECT name FROM sqlite_master WHERE type = 'trigger'")
          : await dataSource.query(
              'SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()',
            );
      expect(triggers).toEqual([]);

      const runner = dataSource.createQueryRunner();
      try {
        const tables = await runner.getTables(dataSource.entityMetadatas.map((entity) => entity.tableName));
        const foreignKeys = tables.flatMap((table) =>
          table.foreignKeys.map((fk) => ({
            name: `${table.name.split('.').at(-1)}.${fk.name}`,
            rules: [fk.onDelete ?? 'NO ACTION', fk.onUpdate ?? 'NO ACTION'],
            // Each one points from a customer's row to that customer: the shard key on both ends.
            columns: [fk.columnNames, fk.referencedTableName.split('.').at(-1), fk.referencedColumnNames],
          })),
        );
        expect(foreignKeys.map((fk) => fk.name).sort()).toEqual(RESTRICTING_FOREIGN_KEYS);
        for (const fk of foreignKeys) {
          expect(fk.rules.every((rule) => rule === 'RESTRICT' || rule === 'NO ACTION')).toBe(true);
          expect(fk.columns).toEqual([['customer_id'], 'customers', ['id']]);
        }
      } finally {
        await runner.release();
      }
    } finally {
      await dataSource.destroy();
    }
  });
});

describe('the migrations and the key queries, read as source', () => {
  const migrations = join(root, 'src/database/migrations');
  const options = readFileSync(join(root, 'src/database/typeorm.options.ts'), 'utf8');
  const sources = [...options.matchAll(/from '\.\/migrations\/([^']+)\.js'/g)].map((m) =>
    readFileSync(join(migrations, `${m[1]}.ts`), 'utf8'),
  );

  it('create no trigger and no cascading foreign key', () => {
    expect(sources.length).toBeGreaterThanOrEqual(7);
    for (const source of sources) {
      expect(source).not.toMatch(/TRIGGER/i);
      expect(source).not.toMatch(/CASCADE|SET NULL|SET DEFAULT/i);
    }
  });

  it('scope every access-key query by customer, the token-hash lookup and the last-use mark aside', () => {
    const source = readFileSync(join(root, 'src/accesskeys/access-key.repository.ts'), 'utf8');
    const body = source.slice(source.indexOf('export class AccessKeyRepository'));
    const methods = [...body.matchAll(/^ {2}(?:private )?(?:async )?(\w+)\(\s*(\w*)/gm)]
      .map(([, name, first]) => ({ name, first }))
      .filter(({ name }) => name !== 'constructor');
    expect(methods.length).toBeGreaterThanOrEqual(6);
    // findCredential is how a caller proves to be the owner; markUsed follows it with the id it found.
    const unscoped = methods.filter(({ first }) => first !== 'customerId').map(({ name }) => name);
    expect(unscoped.filter((name) => !['findCredential', 'markUsed', 'insert'].includes(name))).toEqual([]);
    expect(source).toMatch(/LIVE_KEYS_OF_CUSTOMER = `[^`]*WHERE customer_id = \?/);
  });
});
