import { pino } from 'pino';
import {
  DataSource,
  MigrationExecutor,
  type Logger,
  type MigrationInterface,
  type QueryRunner,
} from 'typeorm';
import type { AppConfig, DatabaseConfig } from '../config/app-config.js';
import { typeOrmOptions } from './typeorm.options.js';

/** A start that cannot go on, said in one line that names what to fix. */
export class DatabaseStartError extends Error {
  override name = 'DatabaseStartError';
}

/** Where progress goes: pino's logger before Nest exists, the console for the admin command. */
export interface MigratorLog {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * A database still starting (compose, a restarted server) refuses connections for a few seconds;
 * the other faults do not heal by waiting and end the start at once.
 */
const CONNECT_ATTEMPTS = 5;
const CONNECT_RETRY_MS = 2000;
const TRANSIENT = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
]);

/** How long an instance waits for another one's migrations (a big table may take minutes). */
const LOCK_WAIT_S = 600;

/** DATABASE_URL as it may be shown: the password masked, the scheme as the operator wrote it. */
function displayUrl(database: DatabaseConfig): string {
  if (database.type === 'sqlite') return `sqlite:${database.path}`;
  const url = new URL(database.url);
  if (url.password) url.password = '***';
  return database.type === 'mariadb' ? url.toString().replace(/^mysql:/, 'mariadb:') : url.toString();
}

const firstLine = (error: unknown) => String((error as Error).message ?? error).split('\n')[0];

/** The fault in the words of what to fix, and whether waiting may heal it. */
function describe(error: unknown, database: DatabaseConfig): { cause: string; transient: boolean } {
  const e = error as { code?: string; message?: string; errors?: unknown[] };
  // mysql2 reports a refused dual-stack host (localhost) as an AggregateError of both attempts.
  const code = e.code ?? (e.errors?.[0] as { code?: string } | undefined)?.code ?? '';
  const url = database.type === 'sqlite' ? undefined : new URL(database.url);
  const where = url ? `${url.hostname}:${url.port || 3306}` : '';
  const causes: Record<string, string> = {
    ECONNREFUSED: `connection refused by ${where} (is the database running and listening there?)`,
    ETIMEDOUT: `no answer from ${where} within 5 s`,
    EHOSTUNREACH: `${where} is unreachable`,
    ENOTFOUND: `unknown host ${url?.hostname}`,
    EAI_AGAIN: `unknown host ${url?.hostname} (name resolution failed)`,
    ER_ACCESS_DENIED_ERROR: `access denied for user ${decodeURIComponent(url?.username ?? '')} (check the user and password)`,
    ER_DBACCESS_DENIED_ERROR: `access denied to database ${url?.pathname.slice(1)} for user ${decodeURIComponent(url?.username ?? '')}`,
    ER_BAD_DB_ERROR: `unknown database ${url?.pathname.slice(1)} (create it first, see README)`,
    SQLITE_CANTOPEN: 'cannot open the SQLite file (does its folder exist and may this user write it?)',
  };
  return {
    cause: `${causes[code] ?? firstLine(error)}${code ? ` (${code})` : ''}`,
    transient: TRANSIENT.has(code),
  };
}

/**
 * Opens the database for migrations (no query deadline: a migration on a big table may take
 * minutes), retrying a few times what waiting may heal, one line per failed attempt.
 */
export async function openDatabase(database: DatabaseConfig, log: MigratorLog): Promise<DataSource> {
  for (let attempt = 1; ; attempt++) {
    // Migrations run on the primary alone: the replicas apply them as they replicate.
    const primary: DatabaseConfig =
      database.type === 'sqlite' ? database : { type: database.type, url: database.url };
    const dataSource = new DataSource({
      ...typeOrmOptions(primary, 0),
      migrationsRun: false,
      logger: SILENT,
    });
    try {
      return await dataSource.initialize();
    } catch (error) {
      const { cause, transient } = describe(error, database);
      if (!transient || attempt === CONNECT_ATTEMPTS) {
        const tries = attempt > 1 ? ` after ${attempt} attempts` : '';
        throw new DatabaseStartError(
          `cannot open the database DATABASE_URL=${displayUrl(database)}${tries}: ${cause}`,
        );
      }
      log.warn(
        `database: ${cause}; attempt ${attempt} of ${CONNECT_ATTEMPTS}, next in ${CONNECT_RETRY_MS / 1000} s`,
      );
      await new Promise((resolve) => setTimeout(resolve, CONNECT_RETRY_MS));
    }
  }
}

const nameOf = (migration: MigrationInterface) => migration.name ?? migration.constructor.name;

/** TypeORM's own lines (counts, "No migrations are pending") would say less than the migrator's. */
const SILENT: Logger = {
  logQuery: () => undefined,
  logQueryError: () => undefined,
  logQuerySlow: () => undefined,
  logSchemaBuild: () => undefined,
  logMigration: () => undefined,
  log: () => undefined,
};

/** Every migration of this version, oldest first, and whether it has run on this database. */
export async function migrationStatus(dataSource: DataSource): Promise<{ name: string; ran: boolean }[]> {
  const executor = new MigrationExecutor(dataSource);
  const ran = new Set((await executor.getExecutedMigrations()).map((migration) => migration.name));
  return dataSource.migrations.map((migration) => ({
    name: nameOf(migration),
    ran: ran.has(nameOf(migration)),
  }));
}

/**
 * Runs the pending migrations, at most one process at a time: on MySQL/MariaDB under a named lock
 * held by one connection for the whole run (released by the server if the process dies), on
 * SQLite inside one write transaction taken before the pending ones are read. An instance that
 * waited finds them run and runs none. Returns the names of those it ran.
 */
export async function runMigrations(dataSource: DataSource, log: MigratorLog): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  try {
    return dataSource.options.type === 'better-sqlite3'
      ? await inSqliteWriteTransaction(runner, () => runPending(dataSource, runner, 'none', log))
      : await underMysqlLock(runner, log, () => runPending(dataSource, runner, 'each', log));
  } finally {
    await runner.release();
  }
}

async function runPending(
  dataSource: DataSource,
  runner: QueryRunner,
  transaction: 'none' | 'each',
  log: MigratorLog,
): Promise<string[]> {
  const executor = new MigrationExecutor(dataSource, runner);
  executor.transaction = transaction;
  const pending = await executor.getPendingMigrations();
  if (pending.length === 0) return [];
  log.info(`database: running ${pending.length} pending migrations`);
  for (const migration of dataSource.migrations) {
    const up = migration.up.bind(migration);
    migration.up = (queryRunner) =>
      up(queryRunner).catch((error: unknown) => {
        throw new DatabaseStartError(`migration ${nameOf(migration)} failed: ${firstLine(error)}`);
      });
  }
  const ran = await executor.executePendingMigrations();
  for (const migration of ran) log.info(`database: ran migration ${migration.name}`);
  return ran.map((migration) => migration.name);
}

async function underMysqlLock<T>(runner: QueryRunner, log: MigratorLog, work: () => Promise<T>): Promise<T> {
  // Server-wide, so named after the database; hashed to stay within MySQL's 64 characters.
  const [{ name }] = (await runner.query(
    `SELECT CONCAT('voipbin-migrations-', SHA1(DATABASE())) AS name`,
  )) as { name: string }[];
  const lock = async (seconds: number) => {
    const [{ got }] = (await runner.query('SELECT GET_LOCK(?, ?) AS got', [name, seconds])) as {
      got: unknown;
    }[];
    return Number(got);
  };
  if ((await lock(0)) !== 1) {
    log.info('database: another instance is migrating; waiting for it');
    if ((await lock(LOCK_WAIT_S)) !== 1) {
      throw new DatabaseStartError(`another instance has held the migration lock for ${LOCK_WAIT_S} s`);
    }
  }
  try {
    return await work();
  } finally {
    await runner.query('SELECT RELEASE_LOCK(?)', [name]);
  }
}

async function inSqliteWriteTransaction<T>(runner: QueryRunner, work: () => Promise<T>): Promise<T> {
  // Foreign-key checks off while tables are rebuilt, as TypeORM does: SQLite ignores the pragma
  // inside a transaction. IMMEDIATE takes the write lock now, before the pending ones are read.
  await runner.beforeMigration();
  await runner.query('BEGIN IMMEDIATE');
  try {
    const result = await work();
    await runner.query('COMMIT');
    return result;
  } catch (error) {
    await runner.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await runner.afterMigration();
  }
}

/**
 * Opens the database and, with MIGRATIONS=auto, runs what is pending; with MIGRATIONS=off refuses
 * to go on while anything is pending. An in-memory SQLite database is the app's own connection's
 * alone, so the app migrates it itself (typeorm.options.ts).
 */
export async function migrateForStart(config: AppConfig, log: MigratorLog): Promise<void> {
  if (config.database.type === 'sqlite' && config.database.path === ':memory:') return;
  const dataSource = await openDatabase(config.database, log);
  try {
    if (config.migrations === 'auto') {
      await runMigrations(dataSource, log);
      return;
    }
    const pending = (await migrationStatus(dataSource)).filter((migration) => !migration.ran);
    if (pending.length > 0) {
      throw new DatabaseStartError(
        `${pending.length} migrations are pending (${pending.map((m) => m.name).join(', ')}) and MIGRATIONS=off: run \`admin migrate\` (npm run admin -- migrate, or node dist/cli.js migrate in the image)`,
      );
    }
  } finally {
    await dataSource.destroy();
  }
}

/**
 * The start's database step (main.ts), before Nest exists: progress as JSON log lines like the
 * rest of the service's; on failure one plain line on stderr, as for a bad configuration, and exit 1.
 */
export async function prepareDatabase(config: AppConfig): Promise<void> {
  try {
    await migrateForStart(config, pino({ level: config.logLevel }));
  } catch (error) {
    console.error(startFailure(error, config.database));
    process.exit(1);
  }
}

/** One line: what failed and why, naming DATABASE_URL; a fault the steps do not name (a link lost mid-run) too. */
function startFailure(error: unknown, database: DatabaseConfig): string {
  if (error instanceof DatabaseStartError && error.message.includes('DATABASE_URL=')) return error.message;
  const what =
    error instanceof DatabaseStartError ? error.message : `cannot prepare the database: ${firstLine(error)}`;
  return `${what} (DATABASE_URL=${displayUrl(database)})`;
}
