/** A time as both databases compare it with a DATETIME(3) column: UTC `YYYY-MM-DD HH:MM:SS.mmm`. */
export function sqlDatetime(time: Date): string {
  return time.toISOString().replace('T', ' ').replace('Z', '');
}

/** A DATETIME read by plain SQL: mysql2 (with `timezone: 'Z'`) gives a Date, SQLite TypeORM's UTC text. */
export function fromSqlDatetime(value: Date | string): Date {
  return value instanceof Date ? value : new Date(`${value.replace(' ', 'T')}Z`);
}

export function fromSqlDatetimeOrNull(value: Date | string | null): Date | null {
  return value === null ? null : fromSqlDatetime(value);
}
