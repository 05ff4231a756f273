import pLimit, { type LimitFunction } from 'p-limit';
import type { DataSource, EntityManager } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel.js';

const sqliteWrites = new WeakMap<DataSource, LimitFunction>();

/**
 * Runs a write in a transaction: it applies entirely or not at all, and what it reads back after
 * writing is the row as this write left it (the rows it wrote stay locked until it commits).
 *
 * On MySQL/MariaDB this is also what keeps a write answered 503 from being applied later: a
 * statement that times out has its connection destroyed (mysql-driver.ts), and the server rolls
 * back the open transaction when it sees the connection go, even if the statement itself reaches
 * it after the link heals. A statement run outside a transaction would commit then.
 *
 * SQLite has one connection, which every request shares: a transaction there would take in the
 * statements other requests run meanwhile. So writes to SQLite run here one at a time, and every
 * write to it must come through here.
 */
export function transaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
  isolation?: IsolationLevel,
): Promise<T> {
  if (dataSource.options.type !== 'better-sqlite3') {
    return isolation === undefined ? dataSource.transaction(work) : dataSource.transaction(isolation, work);
  }
  let writes = sqliteWrites.get(dataSource);
  if (writes === undefined) sqliteWrites.set(dataSource, (writes = pLimit(1)));
  return writes(() => dataSource.transaction(work));
}
