import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { DatabaseLogger } from './database.logger.js';
import { mysqlWithDeadlines } from './mysql-driver.js';
import { AccessKey } from '../accesskeys/access-key.entity.js';
import type { DatabaseConfig } from '../config/app-config.js';
import { Customer } from '../customers/customer.entity.js';
import { Session } from '../sessions/session.entity.js';
import { KeyPolicy } from '../accesskeys/key-policy.entity.js';
import { InitialSchema1795897522357 } from './migrations/1795897522357-InitialSchema.js';
import { CredentialLifecycle1795898488202 } from './migrations/1795898488202-CredentialLifecycle.js';
import { CustomerContact1796195593009 } from './migrations/1796195593009-CustomerContact.js';
import { KeyScopes1796200000000 } from './migrations/1796200000000-KeyScopes.js';
import { AuditEvents1796300000000 } from './migrations/1796300000000-AuditEvents.js';
import { AuditCheckpoints1796300000001 } from './migrations/1796300000001-AuditCheckpoints.js';
import { Sessions1796400000000 } from './migrations/1796400000000-Sessions.js';
import { KeyPolicies1796500000000 } from './migrations/1796500000000-KeyPolicies.js';
import { KeyLeaks1796500000001 } from './migrations/1796500000001-KeyLeaks.js';
import { Webhooks1796600000000 } from './migrations/1796600000000-Webhooks.js';
import { KeyNotices1796700000000 } from './migrations/1796700000000-KeyNotices.js';
import { KeyNetworks1796700000001 } from './migrations/1796700000001-KeyNetworks.js';
import { Totp1796800000000 } from './migrations/1796800000000-Totp.js';
import { KeyDisabled1796900000000 } from './migrations/1796900000000-KeyDisabled.js';
import { NoForeignKeys1797000000000 } from './migrations/1797000000000-NoForeignKeys.js';
import { RecoveryCode, TotpCredential } from '../totp/totp.entity.js';

/**
 * A statement that has not answered by then fails (503) and its connection is dropped, and a wait
 * for a connection fails too: a database that stops answering without closing the connection must
 * not hang requests (see mysql-driver.ts).
 */
const QUERY_TIMEOUT_MS = 5000;

const ENTITIES = [Customer, AccessKey, Session, KeyPolicy, TotpCredential, RecoveryCode];
export const MIGRATIONS = [
  InitialSchema1795897522357,
  CredentialLifecycle1795898488202,
  CustomerContact1796195593009,
  KeyScopes1796200000000,
  AuditEvents1796300000000,
  AuditCheckpoints1796300000001,
  Sessions1796400000000,
  KeyPolicies1796500000000,
  KeyLeaks1796500000001,
  Webhooks1796600000000,
  KeyNotices1796700000000,
  KeyNetworks1796700000001,
  Totp1796800000000,
  KeyDisabled1796900000000,
  NoForeignKeys1797000000000,
];

/**
 * The only place database options are built: the app, ormconfig.ts and the tests all call it.
 * `queryTimeoutMs` 0 lets queries run as long as they need (the migration CLI on a big table).
 */
export function typeOrmOptions(
  database: DatabaseConfig,
  queryTimeoutMs = QUERY_TIMEOUT_MS,
): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    // The migrator runs them before the app starts (migrator.ts), except on an in-memory database,
    // which only the app's own connection can see.
    migrationsRun: database.type === 'sqlite' && database.path === ':memory:',
    synchronize: false,
    logger: new DatabaseLogger(),
  } as const;

  if (database.type === 'sqlite') {
    if (database.path !== ':memory:') mkdirSync(dirname(database.path), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: database.path,
      enableWAL: database.path !== ':memory:',
      // Wait for a lock held by another process (the CLI, a second instance) instead of failing.
      timeout: 5000,
    };
  }

  return {
    ...common,
    type: database.type,
    ...(database.replicas === undefined
      ? { url: database.url }
      : {
          replication: {
            master: { url: database.url },
            slaves: database.replicas.map((url) => ({ url })),
            // Every query stays on the primary unless it asks for a replica (common/replica-read.ts):
            // TypeORM's default would send every find() there, reads after writes and lookups for
            // authentication among them.
            defaultMode: 'master',
            // Each pool fails as the single pool does: no retry on another one (which would stack
            // the deadlines), and never dropped from the cluster after failures (mysql2's default
            // drops a pool for good after 5, so an outage of the primary would never heal).
            canRetry: false,
            removeNodeErrorCount: Number.POSITIVE_INFINITY,
          },
        }),
    charset: 'utf8mb4_unicode_ci',
    // mysql2 reads and writes DATETIME as UTC whatever the process TZ.
    timezone: 'Z',
    connectTimeout: 5000,
    driver: mysqlWithDeadlines(queryTimeoutMs),
    extra: { connectionLimit: 10, enableKeepAlive: true },
  };
}
