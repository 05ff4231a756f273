/** Masks the password of a database or Redis URL. */
const masked = (value) => {
  const url = new URL(value);
  if (url.password) url.password = '***';
  return url.toString();
};

/**
 * Ends Jest's summary with the databases the end-to-end specs ran on, so that a green run on
 * SQLite alone is not mistaken for one on MySQL/MariaDB and Redis too.
 */
export default class DatabasesReporter {
  onRunComplete() {
    const { TEST_MYSQL_URL, TEST_REDIS_URL } = process.env;
    const lines = [
      'SQLite: yes',
      TEST_MYSQL_URL ? `MySQL/MariaDB: ${masked(TEST_MYSQL_URL)}` : 'MySQL/MariaDB: no (set TEST_MYSQL_URL)',
      TEST_REDIS_URL
        ? `Redis (two-instance specs): ${masked(TEST_REDIS_URL)}`
        : 'Redis (two-instance specs): no (set TEST_REDIS_URL)',
    ];
    process.stderr.write(`Databases:   ${lines.join('\n             ')}\n`);
  }
}
