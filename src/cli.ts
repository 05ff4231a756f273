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

const USAGE = 'usage: npm run admin -- reset-password <username>';

/**
 * Recovery that works on the database directly, with the service's own configuration: for when
 * the only super admin's password is lost.
 */
async function main(argv: string[]): Promise<number> {
  const [command, username, ...rest] = argv;
  if (command !== 'reset-password' || !username || rest.length > 0) {
    console.error(USAGE);
    return 2;
  }
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(loadConfig()), {
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
  console.error(error instanceof ConfigError ? error.message : error);
  process.exitCode = 1;
}
