import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { ApiError } from './common/api-error.js';
import { ConfigError, loadConfig } from './config/app-config.js';
import { CustomersService } from './customers/customers.service.js';

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
