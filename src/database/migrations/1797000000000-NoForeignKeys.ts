import { TableForeignKey, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The last two foreign keys go: a sharded engine (Vitess/PlanetScale, TiDB) need not enforce any
 * (docs/scaling.md). The service removes a customer's keys and sessions with the customer, in the
 * transaction that deletes it. On SQLite TypeORM drops a foreign key by copying the table into a new
 * one, rows included.
 */
const FOREIGN_KEYS = [
  { table: 'access_keys', name: 'FK_access_keys_customer' },
  { table: 'sessions', name: 'FK_sessions_customer' },
];

export class NoForeignKeys1797000000000 implements MigrationInterface {
  name = 'NoForeignKeys1797000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Each drop only if still there: on MySQL a run cut short keeps the drops it made.
    for (const { table, name } of FOREIGN_KEYS) {
      const found = (await queryRunner.getTable(table))?.foreignKeys.find((fk) => fk.name === name);
      if (found) await queryRunner.dropForeignKey(table, found);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const { table, name } of FOREIGN_KEYS) {
      if ((await queryRunner.getTable(table))?.foreignKeys.some((fk) => fk.name === name)) continue;
      await queryRunner.createForeignKey(
        table,
        new TableForeignKey({
          name,
          columnNames: ['customer_id'],
          referencedTableName: 'customers',
          referencedColumnNames: ['id'],
          onDelete: 'RESTRICT',
          onUpdate: 'RESTRICT',
        }),
      );
    }
  }
}
