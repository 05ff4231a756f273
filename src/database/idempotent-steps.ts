import type { QueryRunner, Table, TableColumn, TableForeignKey, TableIndex } from 'typeorm';

/**
 * Schema steps that do only what is still missing. MySQL and MariaDB commit each DDL statement by
 * itself, so a migration cut short (a kill, a lost link) leaves its first steps applied and itself
 * unrecorded; the next run repeats it, and each step must then find its work done instead of
 * failing on it. On SQLite a migration runs in one transaction and these checks find nothing done.
 * Objects are recognised by name: a migration always names its tables, columns, indexes and keys.
 */

/** Creates the table with its indexes and foreign keys, or adds those of them it lacks. */
export async function ensureTable(queryRunner: QueryRunner, table: Table): Promise<void> {
  const existing = await queryRunner.getTable(table.name);
  if (!existing) {
    await queryRunner.createTable(table);
    return;
  }
  await ensureColumns(queryRunner, table.name, table.columns);
  for (const index of table.indices) await ensureIndex(queryRunner, table.name, index);
  for (const foreignKey of table.foreignKeys) await ensureForeignKey(queryRunner, table.name, foreignKey);
}

/** Adds the columns the table lacks, in one call: SQLite rebuilds the table once for all of them. */
export async function ensureColumns(
  queryRunner: QueryRunner,
  tableName: string,
  columns: TableColumn[],
): Promise<void> {
  const table = await queryRunner.getTable(tableName);
  const missing = columns.filter((column) => !table?.findColumnByName(column.name));
  if (missing.length > 0) await queryRunner.addColumns(tableName, missing);
}

export async function ensureIndex(
  queryRunner: QueryRunner,
  tableName: string,
  index: TableIndex,
): Promise<void> {
  const table = await queryRunner.getTable(tableName);
  if (!table?.indices.some((existing) => existing.name === index.name)) {
    await queryRunner.createIndex(tableName, index);
  }
}

async function ensureForeignKey(
  queryRunner: QueryRunner,
  tableName: string,
  foreignKey: TableForeignKey,
): Promise<void> {
  const table = await queryRunner.getTable(tableName);
  if (!table?.foreignKeys.some((existing) => existing.name === foreignKey.name)) {
    await queryRunner.createForeignKey(tableName, foreignKey);
  }
}

/** The reverse steps, for `down`: each drops only what is there. */
export async function dropColumnsIfPresent(
  queryRunner: QueryRunner,
  tableName: string,
  names: string[],
): Promise<void> {
  const table = await queryRunner.getTable(tableName);
  const present = names.filter((name) => table?.findColumnByName(name));
  if (present.length > 0) await queryRunner.dropColumns(tableName, present);
}

export async function dropIndexIfPresent(
  queryRunner: QueryRunner,
  tableName: string,
  name: string,
): Promise<void> {
  const table = await queryRunner.getTable(tableName);
  if (table?.indices.some((index) => index.name === name)) await queryRunner.dropIndex(tableName, name);
}
