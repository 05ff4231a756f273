import mysql from 'mysql2/promise';

export interface TestDatabase {
  name: 'sqlite' | 'mysql';
  /** A DATABASE_URL for one spec file: a fresh, empty database. */
  prepare(label: string): Promise<string>;
}

const sqlite: TestDatabase = {
  name: 'sqlite',
  prepare: () => Promise.resolve('sqlite::memory:'),
};

/** `<TEST_MYSQL_URL's database>_<run id>_`: what every database of this run is named with (global-teardown.mjs drops them). */
function runPrefix(url: URL): string {
  return `${url.pathname.slice(1) || 'voipbin_test'}_${process.env.TEST_RUN_ID ?? 'local'}_`;
}

const connect = (url: URL) =>
  mysql.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });

/**
 * MySQL/MariaDB: each spec file gets its own database, dropped and created anew, named after the
 * TEST_MYSQL_URL database, the run and the file, so spec files never share rows and runs side by
 * side never drop each other's.
 */
function mysqlDatabase(baseUrl: string): TestDatabase {
  return {
    name: 'mysql',
    async prepare(label: string): Promise<string> {
      const url = new URL(baseUrl);
      const name = `${runPrefix(url)}${label}`.replace(/[^A-Za-z0-9_]/g, '_');
      const connection = await connect(url);
      try {
        await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await connection.query(
          `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
        );
      } finally {
        await connection.end();
      }
      url.pathname = `/${name}`;
      return url.toString();
    },
  };
}

/** SQLite always; MySQL too when TEST_MYSQL_URL is set. */
export const DATABASES: TestDatabase[] = [
  sqlite,
  ...(process.env.TEST_MYSQL_URL ? [mysqlDatabase(process.env.TEST_MYSQL_URL)] : []),
];
