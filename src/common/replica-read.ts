import type { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from './database-errors.js';

/**
 * A read that may answer from a read replica (DATABASE_REPLICA_URLS): a list, which may lag the
 * primary by the replica's delay. Nothing that decides whether a request is allowed, nor a read
 * after a write, comes here (docs/scaling.md, "Read replicas"). Without replicas, the primary as
 * every other query. A replica that cannot be reached hands the read to the primary.
 */
export async function replicaRead<Row>(
  dataSource: DataSource,
  sql: string,
  params: readonly unknown[],
): Promise<Row[]> {
  if (!('replication' in dataSource.options) || dataSource.options.replication === undefined) {
    return dataSource.query(sql, [...params]);
  }
  const runner = dataSource.createQueryRunner('slave');
  try {
    try {
      await runner.connect();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      return await dataSource.query(sql, [...params]);
    }
    return await runner.query(sql, [...params]);
  } finally {
    await runner.release();
  }
}
