import type { Socket } from 'node:net';
import mysql2, {
  type Pool,
  type PoolCluster,
  type PoolClusterOptions,
  type PoolConnection,
  type PoolOptions,
} from 'mysql2';
import { COMMIT_OUTCOME_UNKNOWN } from '../common/database-errors.js';

type Callback = (error: Error | null, ...results: unknown[]) => void;

const fault = (code: string, message: string) => Object.assign(new Error(message), { code, fatal: true });

/**
 * mysql2 as TypeORM's `driver`, with the two bounds its pool lacks (both `deadlineMs`), and a
 * commit cut off told apart from any other fault:
 *
 * - A statement that has not answered by then fails, and its connection is destroyed. mysql2's own
 *   query timeout fails the statement but leaves it pending on the connection, which goes back to
 *   the pool: the next statement there waits behind it with no timeout at all, and the abandoned
 *   one runs whenever the link heals, long after the client was told it failed. Destroying the
 *   connection makes the server roll back the transaction it was part of (common/transaction.ts).
 * - A wait for a pooled connection (queued behind busy ones, or opening one) fails too; mysql2
 *   would queue it for as long as the database stays silent. A connection that arrives after the
 *   deadline goes back to the pool.
 * - A COMMIT cut off so (timed out, or its connection lost) fails with COMMIT_OUTCOME_UNKNOWN:
 *   the server may have committed it before the link failed, which no other 503 means.
 *
 * With read replicas TypeORM asks for a pool cluster instead (a MASTER pool and a SLAVE pool per
 * replica), bounded the same way where it hands out connections.
 *
 * `deadlineMs` 0 bounds nothing (the migration CLI on a big table).
 */
export function mysqlWithDeadlines(deadlineMs: number): {
  createPool(options: PoolOptions): Pool;
  createPoolCluster(options: PoolClusterOptions): PoolCluster;
} {
  return {
    createPool(options) {
      const pool = mysql2.createPool(options);
      if (deadlineMs > 0) boundWaits(pool, deadlineMs);
      return pool;
    },
    createPoolCluster(options) {
      const cluster = mysql2.createPoolCluster(options);
      if (deadlineMs > 0) boundWaits(cluster, deadlineMs);
      return cluster;
    },
  };
}

/**
 * Bounds `getConnection` of a pool, or of a cluster (called with a pattern and a selector first),
 * and the statements of each connection it hands out.
 */
function boundWaits(source: Pool | PoolCluster, deadlineMs: number): void {
  const getConnection = source.getConnection.bind(source) as (...args: unknown[]) => void;
  const bounded = new WeakSet<PoolConnection>();
  (source as unknown as { getConnection: (...args: unknown[]) => void }).getConnection = (...args) => {
    const callback = args.pop() as (error: Error | null, connection: PoolConnection) => void;
    let waiting = true;
    const timer = setTimeout(() => {
      waiting = false;
      callback(fault('ETIMEDOUT', 'no database connection within the deadline'), undefined as never);
    }, deadlineMs);
    getConnection(...args, (error: Error | null, connection: PoolConnection) => {
      if (!waiting) {
        connection?.release();
        return;
      }
      waiting = false;
      clearTimeout(timer);
      if (error === null && !bounded.has(connection)) {
        bounded.add(connection);
        boundStatements(connection, deadlineMs);
      }
      callback(error, connection);
    });
  };
}

function boundStatements(connection: PoolConnection, deadlineMs: number): void {
  // TypeORM calls query(sql, [values,] callback); the per-request lookups (prepared.ts) execute().
  for (const method of ['query', 'execute'] as const) boundStatement(connection, method, deadlineMs);
}

function boundStatement(connection: PoolConnection, method: 'query' | 'execute', deadlineMs: number): void {
  const query = connection[method].bind(connection) as (...args: unknown[]) => unknown;
  (connection as unknown as Record<string, (...args: unknown[]) => unknown>)[method] = (
    ...args: unknown[]
  ) => {
    const done = args.at(-1);
    if (typeof done !== 'function') return query(...args);
    // A commit whose answer never came may have been applied: the one fault a rollback cannot undo.
    const answer =
      args[0] === 'COMMIT'
        ? (error: Error | null, ...results: unknown[]) =>
            (done as Callback)(
              error && (error as { fatal?: boolean }).fatal ? commitUncertain(error) : error,
              ...results,
            )
        : (done as Callback);
    let pending = true;
    const timer = setTimeout(() => {
      pending = false;
      // destroy() only half-closes the socket, which a silent peer never finishes closing.
      connection.destroy();
      (connection as unknown as { stream: Socket }).stream.destroy();
      answer(fault('PROTOCOL_SEQUENCE_TIMEOUT', 'the database did not answer within the deadline'));
    }, deadlineMs);
    return query(...args.slice(0, -1), (error: Error | null, ...results: unknown[]) => {
      if (!pending) return;
      pending = false;
      clearTimeout(timer);
      answer(error, ...results);
    });
  };
}

function commitUncertain(cause: Error): Error {
  return Object.assign(new Error('the connection was lost while committing', { cause }), {
    code: COMMIT_OUTCOME_UNKNOWN,
  });
}
