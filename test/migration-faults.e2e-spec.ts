import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/app-config.js';
import { openDatabase } from '../src/database/migrator.js';
import { MIGRATIONS } from '../src/database/typeorm.options.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { TEST_ENV } from './support/env.js';
import { until } from './support/instances.js';
import { ServiceProcess } from './support/service.js';

const MIGRATION_COUNT = MIGRATIONS.length;
const quiet = { info: () => undefined, warn: () => undefined };

/** The migrations recorded on that database, as the service's own query sees them. */
async function recorded(databaseUrl: string): Promise<string[]> {
  const dataSource = await openDatabase(
    loadConfig({ ...TEST_ENV, DATABASE_URL: databaseUrl }).database,
    quiet,
  );
  try {
    const rows = (await dataSource.query('SELECT name FROM migrations')) as { name: string }[];
    return rows.map((row) => row.name).sort();
  } finally {
    await dataSource.destroy();
  }
}

/** When the service logged a message (pino's `time`), or undefined before it has. */
const loggedAt = (service: ServiceProcess, message: RegExp) =>
  service.logLines().find((line) => message.test(String(line.msg)))?.time as number | undefined;

const RUNNING = /^database: running \d+ pending migrations$/;
const LAST_RAN = /^database: ran migration KeyScopes/;

describe.each(DATABASES)('migrations under faults on $name', (database: TestDatabase) => {
  const folder = mkdtempSync(join(tmpdir(), 'voipbin-migration-faults-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  let files = 0;
  const fresh = async (label: string) =>
    database.name === 'sqlite' ? `sqlite:${join(folder, `${files++}.sqlite`)}` : database.prepare(label);

  // SQLite rolls a cut migration back: fewer rounds there, the partial runs are MySQL's.
  const rounds = database.name === 'sqlite' ? 3 : 6;

  it('starts with the whole schema after a kill -9 at any moment of the first start', async () => {
    // How long migrating takes here, from the service's own log times.
    const first = await ServiceProcess.start({ DATABASE_URL: await fresh('migration_kills') });
    const window = loggedAt(first, LAST_RAN)! - loggedAt(first, RUNNING)!;
    await first.stop();
    expect(window).toBeGreaterThanOrEqual(0);

    for (let round = 0; round < rounds; round++) {
      const databaseUrl = await fresh('migration_kills');
      const killed = await ServiceProcess.launch({ DATABASE_URL: databaseUrl });
      await until('the migrations to start', async () => loggedAt(killed, RUNNING) !== undefined, 30_000);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * (window + 20)));
      await killed.stop();

      const next = await ServiceProcess.start({ DATABASE_URL: databaseUrl });
      await next.stop();
      const seen = await recorded(databaseUrl).catch((error: unknown) => [String(error)]);
      expect({ round, seen, killed: killed.output, next: next.output }).toMatchObject({
        seen: { length: MIGRATION_COUNT },
      });
    }
  }, 300_000);

  it('runs each migration once when four instances start together on an empty database', async () => {
    const databaseUrl = await fresh('migration_lock');
    const instances = await Promise.all(
      Array.from({ length: 4 }, () => ServiceProcess.start({ DATABASE_URL: databaseUrl })),
    );
    try {
      const migrated = instances.filter((instance) => loggedAt(instance, RUNNING) !== undefined);
      expect(migrated).toHaveLength(1);
      for (const instance of instances) {
        expect((await fetch(`${instance.url}/ready`)).status).toBe(200);
      }
      const names = await recorded(databaseUrl);
      expect(names).toHaveLength(MIGRATION_COUNT);
      expect(new Set(names).size).toBe(MIGRATION_COUNT);
    } finally {
      await Promise.all(instances.map((instance) => instance.stop()));
    }
  }, 120_000);
});
