import type { QueryRunner, TableColumnOptions } from 'typeorm';

/** A UUID column, as TypeORM maps the entities' own `uuid` type on each driver. */
export function uuid(queryRunner: QueryRunner, name: string, isNullable = false): TableColumnOptions {
  switch (queryRunner.connection.driver.options.type) {
    case 'mariadb':
      return { name, type: 'uuid', isNullable };
    case 'mysql':
      return { name, type: 'varchar', length: '36', isNullable };
    default:
      return { name, type: 'varchar', isNullable };
  }
}

/** A time to the millisecond. */
export const timestamp = (name: string, isNullable = false): TableColumnOptions => ({
  name,
  type: 'datetime',
  precision: 3,
  isNullable,
});
