import type { Pool, PoolCluster } from 'mysql2';
import type { DataSource } from 'typeorm';

/** A read statement run with its parameters, answering raw rows (column names as in the SQL). */
export type PreparedRead<Row> = (params: readonly (string | number)[]) => Promise<Row[]>;

interface SqliteStatement {
  all(...params: unknown[]): unknown[];
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
}

/**
 * A read asked on every authenticated request, prepared once and run on the driver itself: on
 * MySQL/MariaDB a prepared statement (mysql2 caches it per connection) on TypeORM's pool, with the
 * pool's deadlines (mysql-driver.ts); on SQLite a better-sqlite3 statement. TypeORM's query runner,
 * its logging and its entity hydration are skipped. With read replicas it runs on the primary's
 * pool all the same: these lookups decide who is let in, and a lagging replica would still find a
 * key just deleted (docs/scaling.md, "Read replicas"). Any other driver goes through
 * `dataSource.query`.
 */
export function preparedRead<Row>(dataSource: DataSource, sql: string): PreparedRead<Row> {
  let prepared: { db: SqliteDatabase; statement: SqliteStatement } | undefined;
  return (params) => {
    const driver = dataSource.driver as unknown as {
      databaseConnection?: SqliteDatabase;
      pool?: Pool;
      poolCluster?: PoolCluster;
    };
    if (dataSource.options.type === 'better-sqlite3' && driver.databaseConnection !== undefined) {
      try {
        const db = driver.databaseConnection;
        if (prepared?.db !== db) prepared = { db, statement: db.prepare(sql) };
        return Promise.resolve(prepared.statement.all(...params) as Row[]);
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    const pool = driver.pool ?? driver.poolCluster?.of('MASTER');
    const mysql = dataSource.options.type === 'mysql' || dataSource.options.type === 'mariadb';
    if (!mysql || pool === undefined) return dataSource.query(sql, [...params]);
    return new Promise((resolve, reject) => {
      pool.execute(sql, params as (string | number)[], (error, rows) => {
        if (error) reject(error);
        else resolve(rows as Row[]);
      });
    });
  };
}
