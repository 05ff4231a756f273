import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config/app-config.js';
import { openDatabase } from '../src/database/migrator.js';
import { MIGRATIONS } from '../src/database/typeorm.options.js';
import { DATABASES } from './support/databases.js';
import { TEST_ENV } from './support/env.js';
import { freePort, ServiceProcess } from './support/service.js';

const DIST = resolve(import.meta.dirname, '../dist');
/** Every migration, in the order they run. */
const NAMES = MIGRATIONS.map((migration) => migration.name);
const PASSWORD = 'not-the-password-5f3a';

/** Runs a built entry point to its end: its lines (stdout and stderr), exit code and duration. */
async function run(
  entry: 'main.js' | 'cli.js',
  env: NodeJS.ProcessEnv,
  args: string[] = [],
): Promise<{ lines: string[]; code: number | null; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [join(DIST, entry), ...args], {
    env: { PATH: process.env.PATH, ...TEST_ENV, PORT: String(await freePort()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { lines: output.split('\n').filter((line) => line !== ''), code, ms: Date.now() - started };
}

/**
 * Loading the service takes seconds on a loaded machine: the bounds are on top of what a start
 * that fails on its configuration took just before (it loads the same modules, then exits).
 */
let loadMs = 0;
beforeAll(async () => {
  const refused = await run('main.js', { PORT: 'not-a-port' });
  expect(refused.code).toBe(1);
  loadMs = refused.ms;
}, 60_000);
/** Retrying a refused connection: 4 waits of 2 s, and the 5 attempts themselves. */
const RETRIES_MS = 15_000;
/** Anything not retried: a connection refused at once, and scheduling. */
const NO_RETRY_MS = 5000;

function expectOneLineFailure(
  result: Awaited<ReturnType<typeof run>>,
  cause: RegExp,
  maxLines: number,
  maxMs: number,
) {
  expect(result.code).toBe(1);
  expect(result.lines.length).toBeGreaterThanOrEqual(1);
  expect(result.lines.length).toBeLessThanOrEqual(maxLines);
  const last = result.lines.at(-1)!;
  expect(last).toMatch(/DATABASE_URL=/);
  expect(last).toMatch(cause);
  expect(result.lines.join('\n')).not.toContain(PASSWORD);
  // No stack, no colour.
  expect(result.lines.join('\n')).not.toContain('\u001b[');
  expect(result.lines.join('\n')).not.toMatch(/^\s+at /m);
  expect(result.ms).toBeLessThan(maxMs);
}

describe('a DATABASE_URL the service cannot open', () => {
  it('a refused connection: a few tries, one line each, then the URL with the password masked', async () => {
    const result = await run('main.js', {
      DATABASE_URL: `mysql://voipbin:${PASSWORD}@127.0.0.1:${await freePort()}/voipbin`,
    });
    expectOneLineFailure(result, /connection refused/, 5, loadMs + RETRIES_MS);
    expect(result.lines.at(-1)).toContain('mysql://voipbin:***@127.0.0.1:');
  }, 60_000);

  it('an unknown host: one line, no waiting', async () => {
    const result = await run('main.js', {
      DATABASE_URL: `mysql://voipbin:${PASSWORD}@no-such-host.invalid/voipbin`,
    });
    // EAI_AGAIN (no resolver reachable) is retried like a refusal; ENOTFOUND is not.
    expectOneLineFailure(result, /unknown host no-such-host\.invalid/, 5, loadMs + RETRIES_MS);
  }, 60_000);
});

for (const database of DATABASES.filter((d) => d.name === 'mysql')) {
  describe(`a DATABASE_URL the server refuses, on ${database.name}`, () => {
    const base = new URL(process.env.TEST_MYSQL_URL!);

    it('a wrong password: one line naming it as access denied, no retry', async () => {
      const url = new URL(await database.prepare('startup'));
      url.password = PASSWORD;
      const result = await run('main.js', { DATABASE_URL: url.toString() });
      expectOneLineFailure(result, /access denied/, 1, loadMs + NO_RETRY_MS);
      expect(result.lines[0]).toContain(':***@');
    }, 30_000);

    it('an unknown database: one line naming it, no retry', async () => {
      base.pathname = '/voipbin_test_no_such_database';
      const result = await run('main.js', { DATABASE_URL: base.toString().replace(/^mysql:/, 'mariadb:') });
      expectOneLineFailure(result, /unknown database voipbin_test_no_such_database/, 1, loadMs + NO_RETRY_MS);
      expect(result.lines[0]).toContain('DATABASE_URL=mariadb://');
    }, 30_000);
  });
}

describe.each(DATABASES)('migrations at start on $name', (database) => {
  const folder = mkdtempSync(join(tmpdir(), 'voipbin-startup-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  let files = 0;
  const fresh = async () =>
    database.name === 'sqlite' ? `sqlite:${join(folder, `${files++}.sqlite`)}` : database.prepare('startup');
  const sql = async (databaseUrl: string, statement: string) => {
    const config = loadConfig({ ...TEST_ENV, DATABASE_URL: databaseUrl });
    const dataSource = await openDatabase(config.database, { info: () => undefined, warn: () => undefined });
    await dataSource.query(statement);
    await dataSource.destroy();
  };

  it('a migration that fails: one line naming it and why, exit 1', async () => {
    const databaseUrl = await fresh();
    // A table of that name with rows the first migration cannot complete or index uniquely.
    await sql(
      databaseUrl,
      'CREATE TABLE customers (id varchar(36) PRIMARY KEY, username varchar(255), live int)',
    );
    await sql(databaseUrl, "INSERT INTO customers VALUES ('a', 'same', 1), ('b', 'same', 1)");
    const result = await run('main.js', { DATABASE_URL: databaseUrl });
    expect(result.code).toBe(1);
    // Progress on stdout, the failure on stderr: their order across the two pipes is not kept.
    expect(result.lines).toHaveLength(2);
    expect(result.lines).toContainEqual(
      expect.stringMatching(new RegExp(`running ${NAMES.length} pending migrations`)),
    );
    expect(result.lines).toContainEqual(
      expect.stringMatching(/^migration InitialSchema1795897522357 failed: .+ \(DATABASE_URL=/),
    );
  }, 60_000);

  it('MIGRATIONS=off: refuses to start while migrations are pending, naming admin migrate; starts once they ran', async () => {
    const databaseUrl = await fresh();
    const refused = await run('main.js', { DATABASE_URL: databaseUrl, MIGRATIONS: 'off' });
    expect(refused.code).toBe(1);
    expect(refused.lines).toHaveLength(1);
    expect(refused.lines[0]).toMatch(
      new RegExp(`^${NAMES.length} migrations are pending .*MIGRATIONS=off.*\`admin migrate\``),
    );

    const before = await run('cli.js', { DATABASE_URL: databaseUrl }, ['migrate', '--status']);
    expect([before.code, before.lines]).toEqual([0, NAMES.map((name) => `[ ] pending ${name}`)]);
    const migrated = await run('cli.js', { DATABASE_URL: databaseUrl }, ['migrate']);
    expect(migrated.code).toBe(0);
    expect(migrated.lines).toEqual([
      `database: running ${NAMES.length} pending migrations`,
      ...NAMES.map((name) => `database: ran migration ${name}`),
    ]);
    const after = await run('cli.js', { DATABASE_URL: databaseUrl }, ['migrate', '--status']);
    expect(after.lines.every((line) => line.startsWith('[X] ran'))).toBe(true);
    await expect(run('cli.js', { DATABASE_URL: databaseUrl }, ['migrate'])).resolves.toMatchObject({
      code: 0,
      lines: ['No migrations are pending.'],
    });

    const service = await ServiceProcess.start({ DATABASE_URL: databaseUrl, MIGRATIONS: 'off' });
    await service.stop();
  }, 180_000);
});
