import type { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from './database-errors.js';

/** After a replica fails, reads go to the primary for this long before a replica is tried again. */
const REPLICA_REST_MS = 5000;
const resting = new WeakMap<DataSource, number>();

/**
 * A read that may answer from a read replica (DATABASE_REPLICA_URLS): a list, which may lag the
 * primary by the replica's delay. Nothing that decides whether a request is allowed, nor a read
 * after a write, comes here (docs/scaling.md, "Read replicas"). Without replicas, the primary as
 * every other query. A replica that cannot be reached, or stops answering, hands the read to the
 * primary, which then serves the lists alone for a few seconds: a silent replica costs one
 * request one deadline, not every request.
 */
export async function replicaRead<Row>(
  dataSource: DataSource,
  sql: string,
  params: readonly unknown[],
): Promise<Row[]> {
  const replicated = 'replication' in dataSource.options && dataSource.options.replication !== undefined;
  if (!replicated || Date.now() < (resting.get(dataSource) ?? 0)) {
    return dataSource.query(sql, [...params]);
  }
  const runner = dataSource.createQueryRunner('slave');
  try {
    return await runner.query(sql, [...params]);
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    resting.set(dataSource, Date.now() + REPLICA_REST_MS);
    return await dataSource.query(sql, [...params]);
  } finally {
    await runner.release();
  }
}
