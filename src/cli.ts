import { unsupportedNode } from './config/runtime.js';

// Before the rest is loaded, as in main.ts.
const tooOld = unsupportedNode();
if (tooOld) {
  console.error(tooOld);
  process.exit(1);
}
await import('reflect-metadata');
const { NestFactory } = await import('@nestjs/core');
const { AppModule } = await import('./app.module.js');
const { ApiError } = await import('./common/api-error.js');
const { ConfigError, loadConfig } = await import('./config/app-config.js');
const { CustomersService } = await import('./customers/customers.service.js');
const { DatabaseStartError, migrateForStart, migrationStatus, openDatabase, runMigrations } =
  await import('./database/migrator.js');

const USAGE = [
  'usage: npm run admin -- reset-password <username>',
  '       npm run admin -- migrate             run the pending migrations',
  '       npm run admin -- migrate --status    list the migrations and whether each has run',
].join('\n');

const log = {
  info: (message: string) => console.log(message),
  warn: (message: string) => console.error(message),
};

/** `migrate`: what start-up does with MIGRATIONS=auto, under the same lock; `--status` changes nothing. */
async function migrate(status: boolean): Promise<number> {
  const dataSource = await openDatabase(loadConfig().database, log);
  try {
    if (status) {
      for (const migration of await migrationStatus(dataSource)) {
        console.log(`${migration.ran ? '[X] ran    ' : '[ ] pending'} ${migration.name}`);
      }
      return 0;
    }
    const ran = await runMigrations(dataSource, log);
    if (ran.length === 0) console.log('No migrations are pending.');
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Recovery that works on the database directly, with the service's own configuration: for when
 * the only super admin's password is lost.
 */
async function main(argv: string[]): Promise<number> {
  const [command, username, ...rest] = argv;
  if (command === 'migrate' && rest.length === 0 && (username === undefined || username === '--status')) {
    return migrate(username === '--status');
  }
  if (command !== 'reset-password' || !username || rest.length > 0) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  await migrateForStart(config, log);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
    logger: ['error'],
  });
  try {
    const password = await app.get(CustomersService).resetPassword(username);
    console.log(`New password for "${username.toLowerCase()}": ${password}`);
    console.log('Every JWT issued to this customer before now is refused.');
    return 0;
  } catch (error) {
    if (error instanceof ApiError && error.getStatus() === 404) {
      console.error(`No live customer is named "${username}".`);
      return 1;
    }
    throw error;
  } finally {
    await app.close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const oneLine = error instanceof ConfigError || error instanceof DatabaseStartError;
  console.error(oneLine ? error.message : error);
  process.exitCode = 1;
}
