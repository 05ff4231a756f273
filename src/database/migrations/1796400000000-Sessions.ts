import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { uuid } from './1795897522357-InitialSchema.js';

const time = (name: string, isNullable = false) => ({ name, type: 'datetime', precision: 3, isNullable });

/** Made anew for each use: TypeORM may keep and change the objects it is given. */
const index = () =>
  new TableIndex({ name: 'IDX_sessions_customer_create', columnNames: ['customer_id', 'tm_create', 'id'] });
const foreignKey = () =>
  new TableForeignKey({
    name: 'FK_sessions_customer',
    columnNames: ['customer_id'],
    referencedTableName: 'customers',
    referencedColumnNames: ['id'],
    onDelete: 'RESTRICT',
    onUpdate: 'RESTRICT',
  });

/**
 * Login sessions. MySQL commits each DDL statement by itself, so a run cut short may have made the
 * table without its index or foreign key: each is made only if missing.
 */
export class Sessions1796400000000 implements MigrationInterface {
  name = 'Sessions1796400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (!(await queryRunner.hasTable('sessions'))) {
      await queryRunner.createTable(
        new Table({
          name: 'sessions',
          columns: [
            { ...uuid(queryRunner, 'id'), isPrimary: true },
            uuid(queryRunner, 'customer_id'),
            { name: 'client_ip', type: 'varchar', length: '45' },
            { name: 'user_agent', type: 'varchar', length: '255' },
            time('tm_create'),
            time('tm_last_seen'),
            time('tm_expire'),
            time('tm_end', true),
          ],
          indices: [index()],
          foreignKeys: [foreignKey()],
        }),
      );
    }
    const table = (await queryRunner.getTable('sessions'))!;
    if (!table.indices.some((index) => index.name === 'IDX_sessions_customer_create')) {
      await queryRunner.createIndex('sessions', index());
    }
    if (!table.foreignKeys.some((key) => key.name === 'FK_sessions_customer')) {
      await queryRunner.createForeignKey('sessions', foreignKey());
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('sessions', true, true, true);
  }
}
