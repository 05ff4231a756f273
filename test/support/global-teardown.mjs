import mysql from 'mysql2/promise';

/**
 * Drops the MySQL/MariaDB databases this run made, `<TEST_MYSQL_URL's database>_<run id>_<spec>`
 * (see databases.ts). SQLite's are in memory, or in folders the specs remove.
 */
export default async function globalTeardown() {
  if (!process.env.TEST_MYSQL_URL) return;
  const url = new URL(process.env.TEST_MYSQL_URL);
  const prefix = `${url.pathname.slice(1) || 'voipbin_test'}_${process.env.TEST_RUN_ID}_`;
  const connection = await mysql.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });
  try {
    const [rows] = await connection.query(
      'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?',
      [`${prefix.replace(/_/g, '\\_')}%`],
    );
    for (const { name } of rows) await connection.query(`DROP DATABASE \`${name}\``);
  } finally {
    await connection.end();
  }
}
