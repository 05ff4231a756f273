import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/app-config.js';
import { typeOrmOptions } from './src/database/typeorm.options.js';

/**
 * The TypeORM CLI's DataSource (`npm run typeorm -- migration:show`), from the app's own options,
 * without the query timeout: a migration on a big table may take minutes.
 */
export default new DataSource(typeOrmOptions(loadConfig().database, 0));
