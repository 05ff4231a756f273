import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config/app-config.js';
import { openDatabase, runMigrations } from '../src/database/migrator.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { TEST_ENV } from './support/env.js';

const quiet = { info: () => undefined, warn: () => undefined };
const root = resolve(import.meta.dirname, '..');

describe.each(DATABASES)('the schema for distributed SQL on $name', (database: TestDatabase) => {
  it('has no triggers and no foreign keys once migrated', async () => {
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

      // Every table, those without an entity too (audit, webhooks, key notices and networks).
      const tables: { name: string }[] =
        database.name === 'sqlite'
          ? await dataSource.query("SELECT name FROM sqlite_master WHERE type = 'table'")
          : await dataSource.query(
              'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
            );
      expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(['access_keys', 'sessions']));
      const runner = dataSource.createQueryRunner();
      try {
        const loaded = await runner.getTables(tables.map((table) => table.name));
        expect(loaded.length).toBe(tables.length);
        expect(loaded.flatMap((table) => table.foreignKeys.map((fk) => `${table.name}.${fk.name}`))).toEqual(
          [],
        );
      } finally {
        await runner.release();
      }
      if (database.name !== 'sqlite') {
        const constraints = await dataSource.query(
          'SELECT CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()',
        );
        expect(constraints).toEqual([]);
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
    expect(sources.length).toBeGreaterThanOrEqual(14);
    for (const source of sources) {
      expect(source).not.toMatch(/TRIGGER/i);
      expect(source).not.toMatch(/CASCADE|SET NULL|SET DEFAULT/i);
    }
  });

  it('declare no foreign key in the entities', () => {
    const entities = [...options.matchAll(/from '\.\.\/(\w+\/[\w.-]+\.entity)\.js'/g)].map((m) =>
      readFileSync(join(root, 'src', `${m[1]}.ts`), 'utf8'),
    );
    expect(entities.length).toBeGreaterThanOrEqual(5);
    for (const source of entities)
      expect(source).not.toMatch(/ManyToOne|OneToOne|OneToMany|ManyToMany|JoinColumn/);
  });

  it('scope every access-key query by customer, the token-hash lookup aside', () => {
    const source = readFileSync(join(root, 'src/accesskeys/access-key.repository.ts'), 'utf8');
    const body = source.slice(source.indexOf('export class AccessKeyRepository'));
    const methods = [...body.matchAll(/^ {2}(?:private )?(?:async )?(\w+)\(\s*(\w*)/gm)]
      .map(([, name, first]) => ({ name, first }))
      .filter(({ name }) => name !== 'constructor');
    expect(methods.length).toBeGreaterThanOrEqual(6);
    // findCredential is how a caller proves to be the owner; insert writes a key that carries its owner.
    const unscoped = methods.filter(({ first }) => first !== 'customerId').map(({ name }) => name);
    expect(unscoped.sort()).toEqual(['findCredential', 'insert']);
    expect(source).toMatch(/LIVE_KEYS_OF_CUSTOMER = `[^`]*WHERE customer_id = \?/);
  });
});
